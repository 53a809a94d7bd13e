// SPDX-License-Identifier: GPL-2.0-only
/*
 * ops_exec.c - the op-stream executor: one machine per run, every op, then
 * hvo_check() after each; stop at the first violation or failed expect.
 *
 * Injection.  An inject op arms a one-shot racer: the hit-th scheduling
 * point of its type (and where prefix) runs the nested op on the same
 * machine from inside the sched callback, then hvo_check().  A racer in the
 * kernel that needs a lock held by the interrupted thread would wait for it,
 * so the executor also installs lock/unlock callbacks: when the point is hit
 * inside a critical section, the nested op runs right after the last lock is
 * released (still inside the interrupted op).  Running later is always a
 * schedule the kernel allows, so this never invents a race; it only avoids
 * the false self-deadlock a nested op would hit on the plain backend.  The
 * callbacks keep the plain backend's checks: a lock taken twice or still
 * held after an op fails the run.
 *
 * No global state: everything the callbacks need hangs off struct exec_ctx
 * (the SIGSEGV reporter in ops_fault.c is the one exception).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ops_exec_int.h"

static const char *lock_name(enum hvo_lock l)
{
	return l == HVO_LOCK_PAGE_TABLE ? "page_table_lock" : "hugetlb_lock";
}

static void harness_fail(struct exec_ctx *c, const char *msg, const char *arg)
{
	if (!c->harness_err[0])
		snprintf(c->harness_err, sizeof(c->harness_err), "%s%s", msg, arg);
}

static int32_t *ensure(int32_t **p, unsigned *cap, unsigned need)
{
	int32_t *q;

	if (need <= *cap)
		return *p;
	q = realloc(*p, (size_t)need * sizeof(*q));
	if (!q)
		return NULL;
	*cap = need;
	return *p = q;
}

/* ------------------------------------------------------ harness calls */

/*
 * Calls the harness makes for itself (the checker, folio lists, info) are
 * not kernel code: their scheduling points must neither count towards an
 * inject's hit nor fire it.
 */
static int quiet_check(struct exec_ctx *c)
{
	int rc;

	c->quiet++;
	rc = hvo_check(c->m);
	c->quiet--;
	return rc;
}

/* The check after a top-level op: with HVO_RUN_CHANGED only what the op
 * changed, in full every HVO_RUN_FULL_EVERY ops and after the last one. */
#define HVO_RUN_FULL_EVERY 16
static int quiet_check_after(struct exec_ctx *c, size_t i)
{
	int rc;

	if (!(c->flags & HVO_RUN_CHANGED) || i + 1 == c->s->nr_ops || (i + 1) % HVO_RUN_FULL_EVERY == 0)
		return quiet_check(c);
	c->quiet++;
	rc = hvo_check_changed(c->m);
	c->quiet--;
	return rc;
}

static unsigned quiet_list(struct exec_ctx *c, int32_t **buf, unsigned *cap)
{
	unsigned n;

	c->quiet++;
	n = hvo_folio_count(c->m);
	if (n && !ensure(buf, cap, n)) {
		harness_fail(c, "out of memory", "");
		n = 0;
	}
	n = n ? hvo_folio_list(c->m, *buf, n) : 0;
	c->quiet--;
	return n;
}

static int quiet_info(struct exec_ctx *c, int32_t id, struct hvo_folio_info *info)
{
	int rc;

	c->quiet++;
	rc = hvo_folio_info(c->m, id, info);
	c->quiet--;
	return rc;
}

/* ------------------------------------------------------ folio selection */

/* Refresh the live folio list of this depth; returns its length. */
static unsigned live_folios(struct exec_ctx *c, int depth)
{
	struct id_buf *b = &c->buf[depth];

	return quiet_list(c, &b->live, &b->cap_live);
}

/* The sel-th live folio (modulo their number); false when none is live. */
static bool select_folio(struct exec_ctx *c, int depth, uint32_t sel, int32_t *id)
{
	unsigned n = live_folios(c, depth);

	if (!n)
		return false;
	*id = c->buf[depth].live[sel % n];
	return true;
}

/* Resolve a batch's selectors into buf[depth].ids; returns the count. */
static unsigned select_batch(struct exec_ctx *c, int depth, const struct hvo_op *op)
{
	struct id_buf *b = &c->buf[depth];
	unsigned n = live_folios(c, depth);

	if (!n || !ensure(&b->ids, &b->cap_ids, op->n ? op->n : 1))
		return 0;
	for (unsigned i = 0; i < op->n; i++) {
		size_t k = (size_t)op->f + i;

		b->ids[i] = b->live[(k < c->s->nr_sel ? c->s->sel[k] : 0) % n];
	}
	return op->n;
}

/* ------------------------------------------------------------ the ops */

typedef int (*folio_fn)(struct hvo_machine *m, int32_t id);

static folio_fn single_folio_fn(enum hvo_op_kind kind)
{
	switch (kind) {
	case HVO_OP_OPTIMIZE: return hvo_folio_optimize;
	case HVO_OP_RESTORE: return hvo_folio_restore;
	case HVO_OP_FREE: return hvo_folio_free;
	case HVO_OP_DISSOLVE: return hvo_folio_dissolve;
	case HVO_OP_GET: return hvo_folio_get;
	case HVO_OP_PUT: return hvo_folio_put;
	default: return NULL;
	}
}

static void exec_alloc(struct exec_ctx *c, const struct hvo_op *op, int depth, struct op_out *out)
{
	struct id_buf *b = &c->buf[depth];
	int32_t id = -1;

	if (op->kind == HVO_OP_ALLOC) {
		out->rc = hvo_folio_alloc(c->m, op->order, op->node, op->zone, &id);
		out->folio = out->rc == 0 ? id : -1;
		return;
	}
	if (!ensure(&b->ids, &b->cap_ids, op->n ? op->n : 1)) {
		harness_fail(c, "out of memory", "");
		return;
	}
	out->rc = hvo_folio_alloc_batch(c->m, op->order, op->node, op->zone, op->n, b->ids);
	out->folio = out->rc > 0 ? b->ids[0] : -1;
}

static void exec_batch(struct exec_ctx *c, const struct hvo_op *op, int depth, struct op_out *out)
{
	unsigned n = select_batch(c, depth, op);
	const int32_t *ids = c->buf[depth].ids;

	if (!n) {
		out->skipped = true;
		return;
	}
	out->folio = ids[0];
	if (op->kind == HVO_OP_OPTIMIZE_BATCH)
		out->rc = hvo_folios_optimize(c->m, ids, n);
	else if (op->kind == HVO_OP_FREE_BULK)
		out->rc = hvo_folios_free_bulk(c->m, ids, n);
	else if (op->kind == HVO_OP_DEMOTE_BATCH)
		out->rc = hvo_folios_demote(c->m, ids, n, op->order);
	else
		out->rc = hvo_folios_restore(c->m, ids, n);
}

/* The live folio holding pfn, from the folio table before the walk. */
static bool folio_holding(struct exec_ctx *c, int depth, uint64_t pfn, struct hvo_folio_info *info)
{
	unsigned n = live_folios(c, depth);

	for (unsigned i = 0; i < n; i++)
		if (!quiet_info(c, c->buf[depth].live[i], info) && info->order < 64 && pfn >= info->pfn &&
		    pfn - info->pfn < 1ull << info->order)
			return true;
	return false;
}

/* f= index= (walk, hwpoison): the selected folio and its info; false when
 * the op is skipped (no live folio) or the info call failed (out->rc). */
static bool folio_page_of(struct exec_ctx *c, const struct hvo_op *op, int depth, struct op_out *out,
			  struct hvo_folio_info *info)
{
	if (!select_folio(c, depth, op->f, &out->folio)) {
		out->skipped = true;
		return false;
	}
	out->rc = quiet_info(c, out->folio, info);
	return out->rc == 0;
}

/* index= is taken modulo the folio's size */
static uint64_t page_index(const struct hvo_op *op, const struct hvo_folio_info *info)
{
	return info->order < 64 ? op->index & ((1ull << info->order) - 1) : op->index;
}

/* The walk, judged (I20): against the folio that held the pfn before it.
 * The view alone when an injected op ran during the walk, or when the walk
 * is the injected op (another op is half done: the folio table is ahead of
 * or behind its struct pages). */
static void exec_walk(struct exec_ctx *c, const struct hvo_op *op, int depth, struct op_out *out)
{
	struct hvo_page_view view;
	struct hvo_folio_info info;
	struct hvo_walk_truth t = { .ref = -1 };
	uint64_t pfn = op->pfn;
	uint64_t fires = c->res->injected;
	int inv;

	if (op->by_folio) {
		if (!folio_page_of(c, op, depth, out, &info))
			return;
		pfn = info.pfn + page_index(op, &info);
		t.in_folio = true;
	} else {
		t.in_folio = folio_holding(c, depth, pfn, &info);
	}
	if (t.in_folio) {
		t.head_pfn = info.pfn;
		t.order = info.order;
		t.node = info.node;
		t.zone = info.zone;
		/* the folio table's state: in use holds a reference, a free
		 * pool folio is frozen at 0 (I13); surplus either */
		t.ref = info.state == HVO_FOLIO_IN_USE ? 1 : info.state == HVO_FOLIO_FREE ? 0 : -1;
	}
	out->rc = hvo_walk_pfn(c->m, pfn, &view);
	if (out->rc || c->walk_viol.inv)
		return;
	if (depth || c->res->injected != fires)
		t.in_folio = false;
	inv = hvo_check_view(&view, false, &t, c->walk_viol.msg, sizeof(c->walk_viol.msg));
	if (inv) {
		c->walk_viol.inv = inv;
		c->walk_viol.pfn = pfn;
		c->walk_viol.folio = t.in_folio && op->by_folio ? out->folio : -1;
	}
}

static void exec_on_folio(struct exec_ctx *c, const struct hvo_op *op, int depth, struct op_out *out)
{
	if (!select_folio(c, depth, op->f, &out->folio)) {
		out->skipped = true;
		return;
	}
	if (op->kind == HVO_OP_DEMOTE)
		out->rc = hvo_folio_demote(c->m, out->folio, op->order);
	else
		out->rc = single_folio_fn(op->kind)(c->m, out->folio);
}

/* memory_failure on a page of the selected folio: index modulo its size,
 * as a walk's. */
static void exec_hwpoison(struct exec_ctx *c, const struct hvo_op *op, int depth, struct op_out *out)
{
	struct hvo_folio_info info;

	if (!folio_page_of(c, op, depth, out, &info))
		return;
	out->rc = hvo_memory_failure(c->m, out->folio, page_index(op, &info));
}

/* dax_add's error text is for people calling the API; the stream has the rc. */
static void exec_dax(struct exec_ctx *c, const struct hvo_op *op, struct op_out *out)
{
	struct hvo_dax_info *list;
	unsigned n;
	int32_t id;

	if (op->kind == HVO_OP_DAX_ADD) {
		out->rc = hvo_dax_add(c->m, op->pfn, op->pages, op->order, op->node, op->altmap ? HVO_DAX_ALTMAP : 0,
				      &id, NULL, 0);
		return;
	}
	n = hvo_dax_list(c->m, NULL, 0);
	list = n ? malloc(n * sizeof(*list)) : NULL;
	if (!list) {
		if (n)
			harness_fail(c, "out of memory", "");
		out->skipped = true;
		return;
	}
	hvo_dax_list(c->m, list, n);
	out->rc = hvo_dax_remove(c->m, list[op->f % n].id);
	free(list);
}

static void exec_arm(struct exec_ctx *c, const struct hvo_op *op, struct op_out *out)
{
	if (op->f >= c->s->nr_injects) {
		out->skipped = true;
		return;
	}
	c->armed = &c->s->injects[op->f];
	c->armed_op = c->cur;
	c->hits = 0;
}

static void exec_expect(struct exec_ctx *c, const struct hvo_op *op, struct op_out *out)
{
	out->rc = c->last_rc;
	c->expect_failed = c->last_rc != op->rc;
}

/* Run one op; depth 1 is an injected op (no inject/expect there). */
static void exec_op(struct exec_ctx *c, const struct hvo_op *op, int depth, struct op_out *out)
{
	memset(out, 0, sizeof(*out));
	out->folio = -1;
	switch (op->kind) {
	case HVO_OP_ALLOC:
	case HVO_OP_ALLOC_BATCH:
		exec_alloc(c, op, depth, out);
		break;
	case HVO_OP_OPTIMIZE_BATCH:
	case HVO_OP_RESTORE_BATCH:
	case HVO_OP_FREE_BULK:
	case HVO_OP_DEMOTE_BATCH:
		exec_batch(c, op, depth, out);
		break;
	case HVO_OP_HPAGE_WORK:
		out->rc = hvo_free_hpage_work(c->m);
		break;
	case HVO_OP_OFFLINE:
		out->rc = hvo_memory_offline(c->m, op->node);
		break;
	case HVO_OP_HWPOISON:
		exec_hwpoison(c, op, depth, out);
		break;
	case HVO_OP_WALK:
		exec_walk(c, op, depth, out);
		break;
	case HVO_OP_ENABLE:
		hvo_set_enabled(c->m, op->n != 0);
		break;
	case HVO_OP_CHECK:
		out->rc = quiet_check(c);
		break;
	case HVO_OP_DAX_ADD:
	case HVO_OP_DAX_REMOVE:
		exec_dax(c, op, out);
		break;
	case HVO_OP_INJECT:
	case HVO_OP_EXPECT:
		if (depth)
			out->skipped = true;
		else if (op->kind == HVO_OP_INJECT)
			exec_arm(c, op, out);
		else
			exec_expect(c, op, out);
		break;
	default:
		if (single_folio_fn(op->kind) || op->kind == HVO_OP_DEMOTE)
			exec_on_folio(c, op, depth, out);
		else
			out->skipped = true;
		break;
	}
}

/* ------------------------------------------------------------ injection */

static bool lock_held(const struct exec_ctx *c)
{
	for (int l = 0; l < HVO_NR_LOCKS; l++)
		if (c->held[l])
			return true;
	return false;
}

/* A racer waits for the interrupted op's locks and, since it may call
 * synchronize_rcu(), for the end of its RCU read-side section (G1). */
static bool racer_blocked(const struct exec_ctx *c)
{
	return lock_held(c) || c->rcu_readers;
}

static void fire(struct exec_ctx *c, bool deferred)
{
	struct fire_rec fr = { .during = c->cur, .inject_op = c->pending_op, .sp = c->pending_sp,
			       .deferred = deferred };
	const struct hvo_inject *inj = c->pending;

	memcpy(fr.where, c->pending_where, sizeof(fr.where));
	c->pending = NULL;
	c->nested = true;
	exec_op(c, &inj->op, 1, &fr.out);
	quiet_check(c);
	c->nested = false;
	c->res->injected++;
	report_fire(c, &fr);
}

static void exec_sched(void *ctx, enum hvo_sync_point sp, const char *where)
{
	struct exec_ctx *c = ctx;
	const struct hvo_inject *inj = c->armed;

	if (!inj || c->nested || c->quiet || c->pending || (int)sp != inj->at)
		return;
	if (strncmp(where ? where : "", inj->where, strlen(inj->where)) || ++c->hits < inj->hit)
		return;
	c->armed = NULL;
	c->pending = inj;
	c->pending_op = c->armed_op;
	c->pending_sp = (int)sp;
	snprintf(c->pending_where, sizeof(c->pending_where), "%s", where ? where : "");
	if (!racer_blocked(c))
		fire(c, false);
}

static void exec_lock(void *ctx, enum hvo_lock l)
{
	struct exec_ctx *c = ctx;

	if ((unsigned)l >= HVO_NR_LOCKS)
		return;
	if (c->held[l])
		harness_fail(c, "self-deadlock: lock taken twice: ", lock_name(l));
	c->held[l] = true;
}

static void exec_unlock(void *ctx, enum hvo_lock l)
{
	struct exec_ctx *c = ctx;

	if ((unsigned)l >= HVO_NR_LOCKS)
		return;
	if (!c->held[l])
		harness_fail(c, "unlock of a lock not held: ", lock_name(l));
	c->held[l] = false;
	if (c->pending && !c->nested && !c->quiet && !racer_blocked(c))
		fire(c, true);
}

static void exec_rcu_read_lock(void *ctx)
{
	((struct exec_ctx *)ctx)->rcu_readers++;
}

static void exec_rcu_read_unlock(void *ctx)
{
	struct exec_ctx *c = ctx;

	if (!c->rcu_readers)
		harness_fail(c, "rcu_read_unlock without rcu_read_lock", "");
	else
		c->rcu_readers--;
	if (c->pending && !c->nested && !c->quiet && !racer_blocked(c))
		fire(c, true);
}

/* One CPU: a grace period can never wait out a reader of its own. */
static void exec_synchronize_rcu(void *ctx)
{
	struct exec_ctx *c = ctx;

	if (c->rcu_readers)
		harness_fail(c, "synchronize_rcu() inside an RCU read-side section", "");
}

/* ------------------------------------------------------------ the run */

static bool boot_failure_injected(const struct hvo_fail_policy *p)
{
	for (unsigned i = 0; i < p->nr_rules && i < HVO_FAIL_MAX_RULES; i++)
		if (p->rules[i].site < 0 || p->rules[i].site == HVO_SITE_MEMBLOCK)
			return true;
	return p->budget >= 0 && (p->budget_sites >> HVO_SITE_MEMBLOCK & 1);
}

int exec_setup(struct exec_ctx *c, uint64_t extra_mutants)
{
	struct hvo_config cfg = c->s->config;
	char err[HVO_ERR_LEN] = "";
	int rc;

	cfg.mutants |= extra_mutants;
	cfg.fail = hvo_fail_policy_hook;
	cfg.fail_ctx = &c->policy;
	c->sync = (struct hvo_sync_ops){ .sched = exec_sched, .lock = exec_lock, .unlock = exec_unlock,
					 .rcu_read_lock = exec_rcu_read_lock, .rcu_read_unlock = exec_rcu_read_unlock,
					 .synchronize_rcu = exec_synchronize_rcu, .ctx = c };
	cfg.sync = &c->sync;
	cfg.log = c->log && (c->flags & HVO_RUN_VERBOSE) ? report_core_log : NULL;
	cfg.log_ctx = c->log;
	cfg.track_changes = (c->flags & HVO_RUN_CHANGED) != 0;
	if (boot_cache_take(c, &cfg) == 0)
		return 0;
	rc = hvo_machine_create(&cfg, &c->m, err, sizeof(err));
	if (rc == 0) {
		boot_cache_put(c, &cfg);
		return 0;
	}
	c->m = NULL;
	if (rc == -HVO_ENOMEM && boot_failure_injected(&c->s->fail)) {
		c->res->boot_failed = true;
		snprintf(c->res->reason, sizeof(c->res->reason), "boot failed as injected: %s", err);
		return 0;
	}
	if (c->s->expect_setup_error) {
		snprintf(c->res->reason, sizeof(c->res->reason), "config refused as expected: %s", err);
		return 0;
	}
	c->res->status = 2;
	snprintf(c->res->reason, sizeof(c->res->reason), "machine creation refused the config (rc %d): %s", rc, err);
	return -1;
}

/* After op i: the checker, then the executor's own checks.  True = stop. */
static bool op_failed(struct exec_ctx *c, size_t i)
{
	struct hvo_run_result *res = c->res;
	const struct hvo_violation *v;
	const char *kind = hvo_op_kind_name(c->s->ops[i].kind);

	quiet_check_after(c, i);
	v = hvo_violation(c->m);
	if (!v && c->walk_viol.inv)  /* a walker's view judged wrong (I20) */
		v = &c->walk_viol;
	for (int l = 0; l < HVO_NR_LOCKS && !v; l++)
		if (c->held[l])
			harness_fail(c, "lock still held after the op: ", lock_name((enum hvo_lock)l));
	if (v) {
		res->has_violation = true;
		res->violation = *v;
		snprintf(res->reason, sizeof(res->reason), "op %zu (%s): I%d pfn=0x%" PRIx64 " folio=%" PRId32 ": %s",
			 i, kind, v->inv, v->pfn, v->folio, v->msg);
	} else if (c->harness_err[0]) {
		snprintf(res->reason, sizeof(res->reason), "op %zu (%s): %s", i, kind, c->harness_err);
	} else if (c->expect_failed) {
		snprintf(res->reason, sizeof(res->reason), "op %zu: expect rc=%" PRId64 " but the previous op returned %"
			 PRId64, i, c->s->ops[i].rc, c->last_rc);
	} else {
		return false;
	}
	res->status = 1;
	res->fail_op = i;
	return true;
}

bool exec_step(struct exec_ctx *c, size_t i)
{
	const struct hvo_opstream *s = c->s;
	struct op_out out;

	c->cur = i;
	exec_op(c, &s->ops[i], 0, &out);
	if (c->pending)  /* hit under a lock the op never released */
		fire(c, true);
	c->res->ops_executed++;
	c->res->kind_count[s->ops[i].kind < HVO_NR_OP_KINDS ? s->ops[i].kind : 0]++;
	c->res->skipped += out.skipped;
	if (s->ops[i].kind != HVO_OP_EXPECT)
		c->last_rc = out.rc;
	report_op(c, i, &out);
	return op_failed(c, i);
}

static void run_ops(struct exec_ctx *c)
{
	for (size_t i = 0; i < c->s->nr_ops; i++)
		if (exec_step(c, i))
			return;
}

void exec_finish(struct exec_ctx *c)
{
	c->armed = NULL;  /* digest, counters and dump are not kernel code either */
	if (c->m) {
		if (!(c->flags & HVO_RUN_NO_DIGEST))
			c->res->digest = hvo_digest(c->m);
		hvo_counters(c->m, &c->res->counters);
	}
}

void exec_cleanup(struct exec_ctx *c)
{
	if (c->m)
		hvo_machine_destroy(c->m);
	for (int d = 0; d < 2; d++) {
		free(c->buf[d].live);
		free(c->buf[d].ids);
	}
	free(c->recs);
	free(c->fires);
}

int hvo_ops_run_flags(const struct hvo_opstream *s, uint64_t extra_mutants, unsigned flags,
		      struct hvo_run_result *res, FILE *log)
{
	struct exec_ctx c = { .s = s, .policy = s->fail, .res = res, .log = log, .flags = flags };

	memset(res, 0, sizeof(*res));
	res->fail_op = SIZE_MAX;
	if (log && !(flags & HVO_RUN_VERBOSE) && s->nr_ops)
		c.recs = calloc(s->nr_ops, sizeof(*c.recs));
	report_start(&c, extra_mutants);
	if (exec_setup(&c, extra_mutants) == 0 && c.m) {
		fault_report_begin(&c);
		run_ops(&c);
		fault_report_end();
		if (s->expect_setup_error && res->status == 0) {
			res->status = 1;
			snprintf(res->reason, sizeof(res->reason), "the config was accepted; it should have been refused");
		}
	}
	exec_finish(&c);
	report_end(&c, extra_mutants);
	exec_cleanup(&c);
	return res->status;
}

int hvo_ops_run(const struct hvo_opstream *s, uint64_t extra_mutants, struct hvo_run_result *res, FILE *log)
{
	return hvo_ops_run_flags(s, extra_mutants, 0, res, log);
}
