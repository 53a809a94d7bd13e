// SPDX-License-Identifier: GPL-2.0-only
/*
 * krun.c - run one op stream on the kernel lane (krun.h): boot the machine
 * and the file, drive every op through the adapter, the oracle after each,
 * stop at the first op that produced a finding.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kcheck.h"
#include "krun.h"

static const int site_map[KS_NR] = {
	[KS_HUGETLB_FOLIO] = HVO_SITE_HUGETLB_FOLIO,
	[KS_HEAD_COPY] = HVO_SITE_HEAD_COPY,
	[KS_PTE_TABLE] = HVO_SITE_PTE_TABLE,
	[KS_RESTORE_PAGE] = HVO_SITE_RESTORE_PAGE,
};

static bool fail_hook(void *ctx, int site, uint64_t site_call, uint64_t call)
{
	return hvo_fail_policy_hook(ctx, (enum hvo_site)site_map[site], site_call, call);
}

static bool needs_big(const struct hvo_opstream *s)
{
	for (size_t i = 0; i < s->nr_ops; i++)
		if ((s->ops[i].kind == HVO_OP_ALLOC || s->ops[i].kind == HVO_OP_ALLOC_BATCH) && s->ops[i].order > 9)
			return true;
	return false;
}

/* The lane's refusals: one clear line, status 2. */
static int refuse(struct krun_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct krun_result *res, const char *fmt, ...)
{
	va_list ap;

	res->status = 2;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	return 2;
}

/* The run in progress (one machine per process, kmachine.h). */
static struct {
	const struct hvo_opstream *s;
	struct krun_result *res;
	FILE *log;
	struct hvo_fail_policy policy;
	int64_t last_rc;
	enum kcheck_op last_kop;
} run;

static void check_restored_folio(void)
{
	kcheck_after(KC_RESTORE);
}

int krun_setup(const struct hvo_opstream *s, struct krun_result *res, FILE *log)
{
	char err[256];

	memset(res, 0, sizeof(*res));
	res->fail_op = SIZE_MAX;
	if (s->config.page_shift != 12)
		return refuse(res, "unsupported page size: the kernel lane builds 4 KiB pages only (config page_shift=%u)",
			      s->config.page_shift);
	if (s->config.struct_page_size != 64)
		return refuse(res, "unsupported struct page size: the kernel lane builds the 64-byte struct page only "
			      "(config struct_page_size=%u)", s->config.struct_page_size);
	if (s->expect_setup_error)
		return refuse(res, "the stream expects a setup error of the model; the kernel lane has no such config");
	if (ka_boot(needs_big(s), err, sizeof(err)))
		return refuse(res, "machine: %s", err);
	kcheck_reset(ka.tree_api[0] == 'f' ? 4 : 3);
	kc.check_acct = ka.has_memmap_acct;
	run.s = s;
	run.res = res;
	run.log = log;
	run.policy = s->fail;
	run.last_rc = 0;
	run.last_kop = KC_OTHER;
	kmach.fail = fail_hook;
	kmach.fail_ctx = &run.policy;
	ka.after_restore = check_restored_folio;
	ka_set_enabled(s->config.hvo_enabled);
	kmach_install_fault_handler();
	return 0;
}

/* One op; the oracle after it.  *skipped: the file has no entry point for
 * it (or no live folio).  Returns true when the run has a finding. */
bool krun_step(size_t i, bool *skipped_out, int64_t *rc_out)
{
	const struct hvo_opstream *s = run.s;
	struct krun_result *res = run.res;
	const struct hvo_op *op = &s->ops[i];
	struct kfolio *f = NULL, *fs[HVO_OPS_MAX_BATCH];
	sigjmp_buf recover;
	volatile enum kcheck_op kop = KC_OTHER;
	volatile int64_t rc = 0;
	volatile bool skipped = false;

	*skipped_out = false;
	*rc_out = 0;
	if (kmach.has_finding)
		return true;
	res->ops_executed++;
	res->fail_op = i;
	kmach.recover = &recover;
	if (sigsetjmp(recover, 1)) {
		/* a BUG or a host fault inside kernel code: reported, and the op
		 * is over */
		kmach.recover = NULL;
		return true;
	}
	switch (op->kind) {
	case HVO_OP_ALLOC:
	case HVO_OP_ALLOC_BATCH:
		/* node 0 and ZONE_NORMAL are the machine's only ones */
		if (op->node != 0 || (op->zone != -1 && op->zone != 1) || !ka_hstate(op->order)) {
			skipped = true;
		} else if (op->kind == HVO_OP_ALLOC) {
			kop = KC_OPTIMIZE;
			rc = ka_alloc(op->order, &f, kcheck_before);
		} else {
			/* alloc_pool_huge_folios: allocate, then one batch */
			rc = ka_alloc_batch(op->order, op->n < HVO_OPS_MAX_BATCH ? op->n : HVO_OPS_MAX_BATCH);
		}
		break;
	case HVO_OP_OPTIMIZE:
	case HVO_OP_RESTORE:
	case HVO_OP_FREE:
	case HVO_OP_DISSOLVE:
		f = ka_select(op->f);
		if (!f) {
			skipped = true;
			break;
		}
		kcheck_before(f);
		if (op->kind == HVO_OP_OPTIMIZE) {
			kop = KC_OPTIMIZE;
			rc = ka_optimize(f);
		} else if (op->kind == HVO_OP_RESTORE) {
			kop = KC_RESTORE;
			rc = ka_restore(f);
		} else {
			kop = KC_FREE;
			rc = ka_free(f);
		}
		break;
	case HVO_OP_OPTIMIZE_BATCH:
	case HVO_OP_RESTORE_BATCH: {
		unsigned n = 0;

		for (unsigned k = 0; k < op->n; k++)
			if ((fs[n] = ka_select(s->sel[op->f + k])))
				n++;
		if (!n) {
			skipped = true;
			break;
		}
		rc = op->kind == HVO_OP_OPTIMIZE_BATCH ? ka_optimize_batch(fs, n) : ka_restore_batch(fs, n);
		break;
	}
	case HVO_OP_ENABLE:
		ka_set_enabled(op->n != 0);
		break;
	case HVO_OP_CHECK:
		break;   /* the oracle runs after every op anyway */
	case HVO_OP_EXPECT:
		kmach.recover = NULL;
		if (op->rc != run.last_rc)
			kmach_report("EXPECT", UINT64_MAX, "op %zu: expected rc=%lld, got %lld", i, (long long)op->rc,
				     (long long)run.last_rc);
		res->kind_count[op->kind]++;
		return kmach.has_finding;
	default:
		/* demote, get/put, walk, inject, dax_*: no entry point in this
		 * file (hugetlb.c, gup, the scheduler's racers, G3) */
		skipped = true;
		break;
	}
	kmach.recover = NULL;
	if (skipped) {
		res->skipped[op->kind]++;
		res->nr_skipped++;
		run.last_rc = 0;
		*skipped_out = true;
		return false;
	}
	res->kind_count[op->kind]++;
	run.last_rc = rc;
	*rc_out = rc;
	if (run.log) {
		fprintf(run.log, "op %zu: ", i);
		hvo_ops_print_op(s, op, run.log);
		fprintf(run.log, " -> rc=%lld\n", (long long)rc);
	}
	kcheck_after(kop);
	return kmach.has_finding;
}

int krun_finish(void)
{
	struct krun_result *res = run.res;

	kmach.recover = NULL;
	if (kmach.has_finding) {
		/* the rest of what the state shows, for the report */
		sigjmp_buf again;

		kmach.recover = &again;
		if (!sigsetjmp(again, 1))
			kcheck_after(kc.last_op);
		kmach.recover = NULL;
		res->status = 1;
		res->nr_findings = kmach.nr_findings;
		memcpy(res->findings, kmach.findings, sizeof(res->findings));
	} else {
		res->fail_op = SIZE_MAX;
	}
	res->memmap_pages = kmach.memmap_pages;
	res->memmap_boot_pages = kmach.memmap_boot_pages;
	res->rcu_syncs = kmach.rcu_syncs;
	res->flushes = kmach.flush_all + kmach.flush_range;
	ka_shutdown();
	return res->status;
}

int krun_stream(const struct hvo_opstream *s, struct krun_result *res, FILE *log)
{
	if (krun_setup(s, res, log))
		return res->status;
	for (size_t i = 0; i < s->nr_ops; i++) {
		bool skipped;
		int64_t rc;

		if (krun_step(i, &skipped, &rc))
			break;
	}
	return krun_finish();
}

bool krun_matches(const struct krun_result *res, const char *expect, char *why, size_t len)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", expect);
	/* every expected ID found, and nothing else */
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool found = false;

		for (unsigned i = 0; i < res->nr_findings; i++)
			found |= !strcmp(res->findings[i].id, t);
		if (!found) {
			snprintf(why, len, "expected %s, not found", t);
			return false;
		}
	}
	for (unsigned i = 0; i < res->nr_findings; i++) {
		bool listed = false;

		snprintf(buf, sizeof(buf), "%s", expect);
		save = NULL;
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
			listed |= !strcmp(res->findings[i].id, t);
		if (!listed) {
			snprintf(why, len, "unexpected finding %s: %s", res->findings[i].id, res->findings[i].msg);
			return false;
		}
	}
	return true;
}
