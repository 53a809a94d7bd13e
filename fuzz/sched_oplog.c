// SPDX-License-Identifier: GPL-2.0-only
/*
 * sched_oplog.c - hvo-stress op logs replayed on the scheduler (sched_oplog.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sched_oplog.h"

static const char *const kind_names[NR_OPK] = { "restore", "optimize", "get", "put", "walk", "isolate" };

static bool folio_logged(const struct oplog *log, int32_t id)
{
	for (unsigned i = 0; i < log->nr_folios; i++)
		if (log->folio[i].id == id)
			return true;
	return false;
}

static int perr(char *err, size_t errlen, unsigned line, const char *msg)
{
	snprintf(err, errlen, "line %u: %s", line, msg);
	return -1;
}

int oplog_parse(const char *text, struct oplog *log, char *err, size_t errlen)
{
	unsigned lineno = 0;
	int cur = -1;
	bool header = false;

	memset(log, 0, sizeof(*log));
	log->gen = HVO_G2;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[512], w[6][64];
		int n;

		lineno++;
		if (len >= sizeof(line))
			return perr(err, errlen, lineno, "too long");
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl != NULL);
		if (!line[0] || line[0] == '#')
			continue;
		n = sscanf(line, "%63s %63s %63s %63s %63s %63s", w[0], w[1], w[2], w[3], w[4], w[5]);
		if (!header) {
			if (n != 2 || strcmp(w[0], "hvo-oplog") || strcmp(w[1], "1"))
				return perr(err, errlen, lineno, "want the header 'hvo-oplog 1'");
			header = true;
		} else if (n == 2 && !strcmp(w[0], "scenario") && (!strcmp(w[1], "churn") || !strcmp(w[1], "tail-storm"))) {
			log->storm = !strcmp(w[1], "tail-storm");
		} else if (n == 2 && !strcmp(w[0], "gen") && (!strcmp(w[1], "g1") || !strcmp(w[1], "g2"))) {
			log->gen = w[1][1] == '1' ? HVO_G1 : HVO_G2;
		} else if (n == 2 && !strcmp(w[0], "expect-fail") && w[1][0] == 'I' && w[1][1] &&
			   strspn(w[1] + 1, "0123456789") == strlen(w[1] + 1) && strlen(w[1]) < sizeof(log->expect)) {
			snprintf(log->expect, sizeof(log->expect), "%s", w[1]);
		} else if (n == 2 && !strcmp(w[0], "mutant") && hvo_mutant_by_name(w[1]) >= 0) {
			log->mutants |= 1ull << hvo_mutant_by_name(w[1]);
		} else if ((n == 5 || (n == 6 && !strcmp(w[5], "inuse"))) && !strcmp(w[0], "folio")) {
			if (log->nr_folios == OPLOG_MAX_FOLIOS)
				return perr(err, errlen, lineno, "too many folios");
			log->folio[log->nr_folios].inuse = n == 6;
			log->folio[log->nr_folios].id = (int32_t)strtol(w[1], NULL, 0);
			log->folio[log->nr_folios].order = (unsigned)strtoul(w[2], NULL, 0);
			log->folio[log->nr_folios].node = (unsigned)strtoul(w[3], NULL, 0);
			log->folio[log->nr_folios++].zone = (int)strtol(w[4], NULL, 0);
		} else if (n == 2 && !strcmp(w[0], "thread")) {
			cur = (int)strtol(w[1], NULL, 0);
			if (cur < 0 || cur >= SCHED_MAX_CPUS)
				return perr(err, errlen, lineno, "thread number beyond the scheduler's CPUs (8)");
			if ((unsigned)cur + 1 > log->nr_threads)
				log->nr_threads = (unsigned)cur + 1;
		} else if (n == 5 && !strcmp(w[0], "op") && cur >= 0) {
			struct oplog_op *o;
			int k;

			for (k = 0; k < NR_OPK && strcmp(w[1], kind_names[k]); k++)
				;
			if (k == NR_OPK || log->nr_ops[cur] == OPLOG_MAX_OPS)
				return perr(err, errlen, lineno, "unknown op or too many ops");
			o = &log->op[cur][log->nr_ops[cur]++];
			o->kind = (enum oplog_kind)k;
			o->folio = (int32_t)strtol(w[2], NULL, 0);
			o->idx = strtoull(w[3], NULL, 0);
			if (!folio_logged(log, o->folio))
				return perr(err, errlen, lineno, "an op on a folio no folio line (before it) declares");
		} else {
			return perr(err, errlen, lineno, "unknown line");
		}
	}
	if (!header || !log->nr_folios || !log->nr_threads) {
		snprintf(err, errlen, "no header, folio or thread");
		return -1;
	}
	return 0;
}

struct replay;
struct fiber { struct replay *r; unsigned cpu; };

struct replay {
	const struct oplog *log;
	struct hvo_machine *m;
	struct hvo_folio_info fi[OPLOG_MAX_FOLIOS];  /* as set up: where each folio is */
	struct fiber fib[SCHED_MAX_CPUS];
	char oracle[256];
};

/* The first oracle failure wins. */
#define oracle_fail(r, ...) sched_first_failure((r)->oracle, sizeof((r)->oracle), __VA_ARGS__)

static const struct hvo_folio_info *folio_of(const struct replay *r, int32_t id)
{
	for (unsigned i = 0; i < r->log->nr_folios; i++)
		if (r->log->folio[i].id == id)
			return &r->fi[i];
	return NULL;
}

static bool folio_inuse(const struct replay *r, int32_t id)
{
	for (unsigned i = 0; i < r->log->nr_folios; i++)
		if (r->log->folio[i].id == id)
			return r->log->folio[i].inuse;
	return false;
}

/* The checks hvo-stress makes on each op (stress.c churn_thread, walk_thread). */
static void run_op(struct replay *r, unsigned cpu, const struct oplog_op *o)
{
	const struct hvo_folio_info *fi = folio_of(r, o->folio);
	uint64_t pfn = fi ? fi->pfn + o->idx : 0;
	struct hvo_page_view v = { 0 };
	int rc;

	switch (o->kind) {
	case OPK_RESTORE: rc = hvo_folio_restore(r->m, o->folio); break;
	case OPK_OPTIMIZE: rc = hvo_folio_optimize(r->m, o->folio); break;
	case OPK_GET: rc = hvo_folio_get(r->m, o->folio); break;
	case OPK_PUT: rc = hvo_folio_put(r->m, o->folio); break;
	case OPK_WALK: rc = hvo_walk_pfn(r->m, pfn, &v); break;
	default: rc = hvo_isolate_pfn(r->m, pfn, &v); break;
	}
	if (rc) {
		oracle_fail(r, "cpu%u: %s of folio %d (+0x%" PRIx64 ") returned %d", cpu, kind_names[o->kind], o->folio,
			    o->idx, rc);
	} else if (o->kind >= OPK_WALK) {
		/* as hvo-stress judges: a walk against the folio, frozen unless
		 * logged in use; the compaction walker's view alone (I20) */
		struct hvo_walk_truth t = { .in_folio = true, .head_pfn = fi->pfn, .order = fi->order, .node = fi->node,
					    .zone = fi->zone, .ref = folio_inuse(r, o->folio) };
		char why[HVO_ERR_LEN];
		int inv = hvo_check_view(&v, o->kind == OPK_ISOLATE, o->kind == OPK_WALK ? &t : NULL, why, sizeof(why));

		if (inv)
			oracle_fail(r, "I%d: cpu%u: %s", inv, cpu, why);
		else if (o->kind == OPK_ISOLATE && v.got_ref)
			oracle_fail(r, "cpu%u: walker at pfn 0x%" PRIx64 " of folio %d saw head 0x%" PRIx64 " tail=%d got_ref=%d",
				    cpu, pfn, o->folio, v.head_pfn, v.tail, v.got_ref);
	}
}

static void fiber_main(void *arg)
{
	struct fiber *f = arg;

	for (unsigned i = 0; i < f->r->log->nr_ops[f->cpu]; i++)
		run_op(f->r, f->cpu, &f->r->log->op[f->cpu][i]);
}

/* Each folio in the state its first logged op expects (sched_oplog.h). */
static int setup(struct replay *r, struct sched *s)
{
	const struct oplog *log = r->log;

	hvo_set_enabled(r->m, !log->storm);
	for (unsigned i = 0; i < log->nr_folios; i++) {
		int32_t id;

		if (hvo_folio_alloc(r->m, log->folio[i].order, log->folio[i].node, log->folio[i].zone, &id) ||
		    id != log->folio[i].id || hvo_folio_info(r->m, id, &r->fi[i]) ||
		    (log->folio[i].inuse && hvo_folio_get(r->m, id)))
			return -1;
	}
	hvo_set_enabled(r->m, true);
	for (unsigned i = 0; i < log->nr_folios; i++) {
		int first = -1;

		for (unsigned c = 0; c < log->nr_threads && first < 0; c++)
			for (unsigned k = 0; k < log->nr_ops[c] && first < 0; k++)
				if (log->op[c][k].folio == log->folio[i].id && log->op[c][k].kind < OPK_WALK)
					first = (int)log->op[c][k].kind;
		if (first == OPK_OPTIMIZE && !log->storm && hvo_folio_restore(r->m, log->folio[i].id))
			return -1;
		if (first == OPK_PUT && hvo_folio_get(r->m, log->folio[i].id))
			return -1;
	}
	for (unsigned c = 0; c < log->nr_threads; c++) {
		r->fib[c] = (struct fiber){ r, c };
		if (log->nr_ops[c])
			sched_spawn(s, c, fiber_main, &r->fib[c]);
	}
	return 0;
}

int oplog_run(const struct oplog *log, const struct sched_cfg *sc, char *reason, size_t rlen, char *schedule,
	      size_t slen)
{
	struct sched_cfg cfg = *sc;
	struct replay r = { .log = log };
	struct hvo_config mc;
	struct sched *s = NULL;
	char err[HVO_ERR_LEN];
	const struct hvo_violation *v;
	enum sched_status st;
	int status = 2;

	cfg.ncpus = log->nr_threads;
	reason[0] = schedule[0] = '\0';
	if (sched_create(&cfg, &s)) {
		snprintf(reason, rlen, "bad scheduler config or out of memory");
		return 2;
	}
	hvo_config_default(&mc);
	mc.gen = log->gen;
	mc.mutants = log->mutants;
	mc.sync = sched_sync_ops(s);
	mc.skip_op_checks = true;  /* as in hvo-stress: hvo_check at the quiescent end */
	if (hvo_machine_create(&mc, &r.m, err, sizeof(err)) || setup(&r, s)) {
		snprintf(reason, rlen, "setup failed: %s", r.m ? "the logged folios cannot be set up again" : err);
		goto out;
	}
	st = sched_run(s);
	status = 1;
	if (st != SCHED_OK) {
		snprintf(reason, rlen, "scheduler: %s", sched_reason(s));
	} else if (hvo_check(r.m), (v = hvo_violation(r.m)) != NULL) {
		snprintf(reason, rlen, "I%d pfn=0x%" PRIx64 " folio=%d: %s", v->inv, v->pfn, v->folio, v->msg);
	} else if (r.oracle[0]) {
		snprintf(reason, rlen, "%s", r.oracle);
	} else {
		struct hvo_counters c;

		hvo_counters(r.m, &c);
		status = 0;
		if (log->storm && (c.shared_tails != 1 || c.nr_optimized != log->nr_folios)) {
			snprintf(reason, rlen, "B29: %" PRIu64 " shared tails, %" PRIu64 " of %u folios optimized",
				 c.shared_tails, c.nr_optimized, log->nr_folios);
			status = 1;
		}
	}
out:
	snprintf(schedule, slen, "%s", sched_schedule(s));
	hvo_machine_destroy(r.m);
	sched_destroy(s);
	return status;
}
