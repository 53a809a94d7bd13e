// SPDX-License-Identifier: GPL-2.0-only
/*
 * check_pool.c - I21 (the harness's own, issue 13 D7): the hstate's pool
 * counters equal what the folio table holds.  At a quiescent point, per
 * node: nr_huge_pages_node = the live folios but those on hpage_freelist
 * (FREEING: removed, waiting for free_hpage_workfn), free_huge_pages_node
 * = those on the free list (free or surplus-free), surplus_huge_pages_node
 * = the folios that carry a surplus charge, free or in use (the kernel's
 * charge has no folio; the model names one per charge).  The counters are changed by hugetlb.c where the
 * kernel changes them; this counts the folio table itself, through no
 * model helper.
 */
#include <inttypes.h>

#include "internal.h"

int check_pool(struct hvo_machine *m)
{
	int64_t nr[HVO_MAX_NODES] = { 0 }, free_[HVO_MAX_NODES] = { 0 }, surplus[HVO_MAX_NODES] = { 0 };

	for (uint32_t id = 0; id < m->nr_folios; id++) {
		const struct folio *f = folio_at(m, id);
		enum hvo_folio_state st;

		if (!f->live || f->node >= HVO_MAX_NODES)
			continue;
		st = __atomic_load_n(&f->state, __ATOMIC_ACQUIRE);
		nr[f->node] += st != HVO_FOLIO_FREEING;
		free_[f->node] += st == HVO_FOLIO_FREE || st == HVO_FOLIO_SURPLUS;
		surplus[f->node] += st == HVO_FOLIO_SURPLUS ||
				    (st == HVO_FOLIO_IN_USE && __atomic_load_n(&f->surplus, __ATOMIC_RELAXED));
	}
	for (unsigned n = 0; n < HVO_MAX_NODES; n++) {
		const struct hstate_node *h = &m->hstate[n];
		int64_t hn = __atomic_load_n(&h->nr, __ATOMIC_RELAXED), hf = __atomic_load_n(&h->free, __ATOMIC_RELAXED);
		int64_t hs = __atomic_load_n(&h->surplus, __ATOMIC_RELAXED);

		if (hn != nr[n] || hf != free_[n] || hs != surplus[n]) {
			hvo_violate(m, 21, UINT64_MAX, -1, "node %u pool counters nr=%" PRId64 " free=%" PRId64 " surplus=%"
				    PRId64 ", the folio table holds %" PRId64 " live, %" PRId64 " free, %" PRId64 " surplus",
				    n, hn, hf, hs, nr[n], free_[n], surplus[n]);
			return 21;
		}
	}
	return 0;
}
