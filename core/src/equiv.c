// SPDX-License-Identifier: GPL-2.0-only
/*
 * equiv.c - the kernel-visible state of two machines, compared (issue 3:
 * G1, G2 and G3 must agree on it for the same ops).
 *
 * Visible means what kernel code outside HVO can observe through struct
 * pages and the hugetlb pool: per folio its order, node, zone, pool state,
 * optimized flag; per struct page compound_head (as an offset from the
 * folio's first pfn, since where the allocator puts a folio depends on the
 * pages each generation allocated for itself), PageHead and PageTail as the
 * generation's own helpers report them, and page_count / the mapcount as
 * kernel code reads them, through compound_head (a G1 fake head's raw
 * fields are the head's, so raw tail fields are not comparable); and the
 * total of the memmap counters, whose accounting rules (2.9) are the same
 * in every generation for operations that succeed (the split between the
 * boot and the buddy counter is not: it depends on which pfns a folio got,
 * a restored range keeping buddy pages where boot pages were).  Not visible:
 * which frames back the vmemmap, shared tails, PTE permissions.
 */
#include <inttypes.h>
#include <stdio.h>

#include "internal.h"

struct view {
	uint64_t head_off;
	bool head, tail;
	int32_t ref, map;
};

static void page_view(struct hvo_machine *m, const struct folio *f, uint64_t i, struct view *v)
{
	uint64_t va = page_vaddr(m, f->pfn + i), hva = compound_head_vaddr(m, va);

	v->head_off = (hva - page_vaddr(m, f->pfn)) / m->geo.struct_page_size;
	page_head_tail(m, va, &v->head, &v->tail);
	v->ref = (int32_t)vm_read32(m, hva + PO_REFCOUNT);
	v->map = (int32_t)vm_read32(m, hva + PO_MAPCOUNT);
}

#define DIFF(...) do { snprintf(diff, len, __VA_ARGS__); return 1; } while (0)

static int compare_folio(struct hvo_machine *a, struct hvo_machine *b, const struct folio *fa,
			 const struct folio *fb, bool pages, char *diff, size_t len)
{
	int32_t id = fa->id;

	if (fa->order != fb->order || fa->node != fb->node || fa->zone != fb->zone || fa->state != fb->state)
		DIFF("folio %d: order/node/zone/state %u/%u/%s/%d vs %u/%u/%s/%d", id, fa->order, fa->node,
		     hvo_zone_name(fa->zone), (int)fa->state, fb->order, fb->node, hvo_zone_name(fb->zone),
		     (int)fb->state);
	if (folio_optimized(a, fa) != folio_optimized(b, fb))
		DIFF("folio %d: optimized %d vs %d", id, folio_optimized(a, fa), folio_optimized(b, fb));
	for (uint64_t i = 0; pages && i < 1ull << fa->order; i++) {
		struct view x, y;

		page_view(a, fa, i, &x);
		page_view(b, fb, i, &y);
		if (x.head_off != y.head_off || x.head != y.head || x.tail != y.tail || x.ref != y.ref || x.map != y.map)
			DIFF("folio %d page %" PRIu64 ": compound_head +%" PRIu64 " head=%d tail=%d ref=%d map=%d vs +%"
			     PRIu64 " head=%d tail=%d ref=%d map=%d", id, i, x.head_off, x.head, x.tail, x.ref, x.map,
			     y.head_off, y.head, y.tail, y.ref, y.map);
	}
	return 0;
}

/* since: compare only the struct pages of folios rechecked after epochs ea / eb. */
static int compare(struct hvo_machine *a, uint64_t ea, struct hvo_machine *b, uint64_t eb, bool since, char *diff,
		   size_t len)
{
	uint32_t n = a->nr_folios > b->nr_folios ? a->nr_folios : b->nr_folios;

	if (a->enabled != b->enabled)
		DIFF("hugetlb_optimize_vmemmap %d vs %d", a->enabled, b->enabled);
	if (memmap_total(a, false) + memmap_total(a, true) != memmap_total(b, false) + memmap_total(b, true))
		DIFF("memmap pages buddy=%" PRId64 " boot=%" PRId64 " vs buddy=%" PRId64 " boot=%" PRId64, memmap_total(a, false),
		     memmap_total(a, true), memmap_total(b, false), memmap_total(b, true));
	for (uint32_t id = 0; id < n; id++) {
		bool la = id < a->nr_folios && folio_at(a, id)->live, lb = id < b->nr_folios && folio_at(b, id)->live;
		bool pages = !since || !track_unchanged_since(a, (int32_t)id, ea) ||
			     !track_unchanged_since(b, (int32_t)id, eb);

		if (la != lb)
			DIFF("folio %" PRIu32 ": live %d vs %d", id, la, lb);
		if (la && compare_folio(a, b, folio_at(a, id), folio_at(b, id), pages, diff, len))
			return 1;
	}
	return 0;
}

/* The oracle reads the page tables, never a CPU's TLB (tlb_cpu.c). */
static int observed_compare(struct hvo_machine *a, uint64_t ea, struct hvo_machine *b, uint64_t eb, bool since,
			    char *diff, size_t len)
{
	int rc;

	observe_begin(a);
	observe_begin(b);
	rc = compare(a, ea, b, eb, since, diff, len);
	observe_end(b);
	observe_end(a);
	return rc;
}

int hvo_compare_visible(struct hvo_machine *a, struct hvo_machine *b, char *diff, size_t len)
{
	return observed_compare(a, 0, b, 0, false, diff, len);
}

int hvo_compare_visible_since(struct hvo_machine *a, uint64_t ea, struct hvo_machine *b, uint64_t eb, char *diff,
			      size_t len)
{
	return observed_compare(a, ea, b, eb, true, diff, len);
}
