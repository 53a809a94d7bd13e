// SPDX-License-Identifier: GPL-2.0-only
/*
 * check_view.c - I20, a speculative walker's result judged (issue 17).
 *
 * A PFN walker (the kernel's speculative users: compaction, memory-failure,
 * /proc/kpageflags) reads a struct page, follows compound_head() and takes
 * folio_try_get() on the head it named; it must drop the reference on the
 * same page.  The judge compares the walker's view with what its caller
 * knows independently of it (the folio table before the walk, or its own
 * bookkeeping for a folio no one else may free): never with a model helper.
 * The scheduler's walkers, the op stream's walk op and the stress walkers
 * all come here, so they judge one rule.
 */
#include <inttypes.h>
#include <stdio.h>

#include "hvo/hvo.h"

#define judge_fail(inv, ...) (snprintf(msg, len, __VA_ARGS__), (inv))

int hvo_check_view(const struct hvo_page_view *v, bool own, const struct hvo_walk_truth *t, char *msg, size_t len)
{
	/* own (isolate_migratepages_block): the get goes to the pfn's own page
	 * first; otherwise to whatever compound_head() returned */
	uint64_t want_ref = own ? v->pfn : v->head_pfn;
	uint64_t nr;

	if (len)
		msg[0] = 0;
	if (v->got_ref && v->put_pfn != v->ref_pfn)
		return judge_fail(20, "walker at pfn 0x%" PRIx64 " took its reference on pfn 0x%" PRIx64
				  " and dropped it on 0x%" PRIx64, v->pfn, v->ref_pfn, v->put_pfn);
	if (!t || !t->in_folio) {
		/* nothing known of the pfn: the reference still goes where the
		 * view says compound_head() pointed */
		if (v->got_ref && v->ref_pfn != want_ref)
			return judge_fail(20, "walker at pfn 0x%" PRIx64 " took its reference on pfn 0x%" PRIx64
					  ", compound_head named 0x%" PRIx64, v->pfn, v->ref_pfn, v->head_pfn);
		return 0;
	}
	nr = t->order < 64 ? 1ull << t->order : 0;
	if (v->pfn < t->head_pfn || v->pfn - t->head_pfn >= nr)
		return judge_fail(20, "walker at pfn 0x%" PRIx64 " judged against folio 0x%" PRIx64 " order %u, "
				  "which does not hold it", v->pfn, t->head_pfn, t->order);
	if (v->head_pfn != t->head_pfn)
		return judge_fail(1, "walker at pfn 0x%" PRIx64 " saw head 0x%" PRIx64 ", the live folio's is 0x%" PRIx64,
				  v->pfn, v->head_pfn, t->head_pfn);
	if (t->order && (v->head != (v->pfn == t->head_pfn) || v->tail != (v->pfn != t->head_pfn)))
		return judge_fail(2, "walker at pfn 0x%" PRIx64 " of folio 0x%" PRIx64 " saw PageHead=%d PageTail=%d",
				  v->pfn, t->head_pfn, v->head, v->tail);
	if (v->node != (int)t->node || v->zone != t->zone)
		return judge_fail(4, "walker at pfn 0x%" PRIx64 " saw node/zone %d/%d, folio 0x%" PRIx64 " is on %u/%d",
				  v->pfn, v->node, v->zone, t->head_pfn, t->node, t->zone);
	if (t->order && v->order >= 0 && v->order != (int)t->order)
		return judge_fail(20, "walker at pfn 0x%" PRIx64 " read folio_order %d, folio 0x%" PRIx64 " is order %u",
				  v->pfn, v->order, t->head_pfn, t->order);
	if (t->ref >= 0 && v->got_ref != (t->ref > 0))
		return judge_fail(20, "walker at pfn 0x%" PRIx64 " %s a reference on folio 0x%" PRIx64 ", %s", v->pfn,
				  v->got_ref ? "got" : "did not get", t->head_pfn,
				  t->ref ? "in use the whole walk" : "frozen the whole walk (I13)");
	if (v->got_ref && v->ref_pfn != (own ? v->pfn : t->head_pfn))
		return judge_fail(20, "walker at pfn 0x%" PRIx64 " took its reference on pfn 0x%" PRIx64
				  ", not on the head 0x%" PRIx64 " of the live folio", v->pfn, v->ref_pfn, t->head_pfn);
	return 0;
}
