// SPDX-License-Identifier: GPL-2.0-only
/*
 * kdiff.c - lockstep of the kernel lane against the model's G1 (kdiff.h).
 *
 * The same stream runs op by op on the real file (krun_step) and on the
 * model with gen=g1 (the executor's exec_step, checker after every op).
 * Ops the file has no entry point for are skipped on both sides.  After
 * each op both sides must agree on what kernel code can see: the rc, the
 * live folios (order, optimized flag) and, for every struct page of every
 * folio, where compound_head() leads (as an offset from the folio's pfn),
 * PageHead(), PageTail(), the refcount and, for tails, the mapcount; and,
 * where the tree keeps them, the memmap counters' change since boot.
 * Physical addresses differ between the two machines and are not compared.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "kadapter.h"
#include "kdiff.h"
#include "ops_exec_int.h"

static long lane_memmap(void) { return kmach.memmap_pages + kmach.memmap_boot_pages; }

static long model_memmap(struct hvo_machine *m)
{
	struct hvo_counters c;

	hvo_counters(m, &c);
	return (long)(c.memmap_pages + c.memmap_boot_pages);
}

/* 0 when the two agree, else 1 with what differs in diff */
static int compare(struct hvo_machine *m, long lane0, long model0, char *diff, size_t len)
{
	int32_t ids[KA_MAX_FOLIOS];
	unsigned n = hvo_folio_list(m, ids, KA_MAX_FOLIOS), k = 0;

	if (n != (unsigned)ka_live()) {
		snprintf(diff, len, "live folios: model %u, kernel %u", n, ka_live());
		return 1;
	}
	for (unsigned i = 0; i < ka.nr_folios; i++) {
		const struct kfolio *kf = &ka.folios[i];
		struct hvo_folio_info fi;

		if (!kf->live)
			continue;
		if (hvo_folio_info(m, ids[k++], &fi)) {
			snprintf(diff, len, "model folio %d has no info", ids[k - 1]);
			return 1;
		}
		bool kopt = hvo_k_hpg_test(&ka_folio(kf)->page, HPG_vmemmap_optimized);
		if (fi.order != kf->order || fi.optimized != kopt) {
			snprintf(diff, len, "folio #%u: model order %u optimized %d, kernel order %u optimized %d", k - 1,
				 fi.order, fi.optimized, kf->order, kopt);
			return 1;
		}
		for (unsigned long j = 0; j < 1UL << kf->order; j++) {
			struct hvo_page_view v;
			struct page *p = pfn_to_page(kf->pfn + j);
			long krel = (long)(page_to_pfn(compound_head(p)) - kf->pfn);

			if (hvo_walk_pfn(m, fi.pfn + j, &v)) {
				snprintf(diff, len, "model walk of folio #%u + %lu failed", k - 1, j);
				return 1;
			}
			long mrel = (long)(v.head_pfn - fi.pfn);
			int kmap = atomic_read(&p->_mapcount);

			if (mrel != krel || v.head != !!PageHead(p) || v.tail != !!PageTail(p) ||
			    v.refcount != page_ref_count(p) || (j && v.mapcount != kmap)) {
				snprintf(diff, len,
					 "folio #%u (order %u) struct page %lu: model head%+ld PageHead %d PageTail %d ref %d "
					 "map %d; kernel head%+ld PageHead %d PageTail %d ref %d map %d",
					 k - 1, kf->order, j, mrel, v.head, v.tail, v.refcount, v.mapcount, krel,
					 !!PageHead(p), !!PageTail(p), page_ref_count(p), kmap);
				return 1;
			}
		}
	}
	if (ka.has_memmap_acct && lane_memmap() - lane0 != model_memmap(m) - model0) {
		snprintf(diff, len, "memmap pages since boot: model %+ld, kernel %+ld", model_memmap(m) - model0,
			 lane_memmap() - lane0);
		return 1;
	}
	return 0;
}

/* Does the lane report the invariant the model's violation names? */
static bool same_finding(const struct hvo_run_result *mr)
{
	char id[16];

	if (!mr->has_violation)
		return false;
	snprintf(id, sizeof(id), "I%d", mr->violation.inv);
	for (unsigned i = 0; i < kmach.nr_findings; i++)
		if (!strcmp(kmach.findings[i].id, id))
			return true;
	return false;
}

int kdiff_stream(const struct hvo_opstream *s0, uint64_t model_variants, struct kdiff_result *res)
{
	struct hvo_opstream s = *s0;   /* shallow: the same ops, gen=g1 */
	struct krun_result kr;
	struct hvo_run_result mr;
	struct exec_ctx c;
	long lane0, model0;

	memset(res, 0, sizeof(*res));
	res->op = SIZE_MAX;
	s.config.gen = HVO_G1;
	if (krun_setup(&s, &kr, NULL)) {
		res->status = 2;
		snprintf(res->reason, sizeof(res->reason), "kernel lane: %s", kr.reason);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	memset(&mr, 0, sizeof(mr));
	c.s = &s;
	c.policy = s.fail;   /* the executor counts down its own copy */
	c.res = &mr;
	if (exec_setup(&c, model_variants) || !c.m) {
		res->status = 2;
		snprintf(res->reason, sizeof(res->reason), "model: %s", mr.reason);
		krun_finish();
		exec_cleanup(&c);
		return 2;
	}
	lane0 = lane_memmap();
	model0 = model_memmap(c.m);
	for (size_t i = 0; i < s.nr_ops && !res->status; i++) {
		bool skipped, kfail, mfail;
		int64_t krc;

		kmach.huge_full = false;
		kfail = krun_step(i, &skipped, &krc);
		bool full = kmach.huge_full;
		if (skipped) {
			res->skipped++;
			continue;
		}
		kmach.huge_full = false;
		mfail = exec_step(&c, i);
		res->op = i;
		if (kfail && mfail && same_finding(&mr)) {
			/* both oracles report the same invariant after the same op:
			 * the model (with the tree's variants) reproduces the tree */
			res->both_found = true;
			snprintf(res->reason, sizeof(res->reason), "both report I%d after this op: %s",
				 mr.violation.inv, mr.reason);
			break;
		}
		if (kfail || mfail) {
			res->status = 1;
			res->finding = true;
			snprintf(res->reason, sizeof(res->reason), "%s%s%s%s%s", kfail ? "kernel lane finding " : "",
				 kfail && kmach.nr_findings ? kmach.findings[0].id : "", kfail && mfail ? "; " : "",
				 mfail ? "model: " : "", mfail ? mr.reason : "");
			break;
		}
		if (full) {
			/* the lane's machine (64 MiB of folios, kmachine.c) is smaller
			 * than the model's: from here on they differ in capacity only */
			res->capacity_stop = true;
			break;
		}
		/* the kernel's optimize entry points return nothing: their outcome
		 * is the flag, compared below, not an rc */
		enum hvo_op_kind kind = s.ops[i].kind;
		bool void_entry = kind == HVO_OP_OPTIMIZE || kind == HVO_OP_OPTIMIZE_BATCH;
		if (kind != HVO_OP_EXPECT && kind != HVO_OP_CHECK && !void_entry && c.last_rc != krc) {
			res->status = 1;
			snprintf(res->reason, sizeof(res->reason), "rc: model %" PRId64 ", kernel %" PRId64, c.last_rc, krc);
			break;
		}
		if (compare(c.m, lane0, model0, res->reason, sizeof(res->reason)))
			res->status = 1;
		res->compared++;
	}
	if (res->status == 0 && !res->both_found)
		res->op = SIZE_MAX;
	krun_finish();
	exec_cleanup(&c);
	return res->status;
}
