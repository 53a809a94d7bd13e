/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dax.h - G3 device DAX state shared by dax.c (hot-add/remove API),
 * sparse_g3.c (per-address vmemmap population, spec 2.10) and check_dax.c
 * (I3, I11, I14, I18 for DAX ranges).
 *
 * A range is what memremap_pages() adds: whole sections of one node's
 * ZONE_DEVICE pfns, tiled by compound pages of one order.  The model keeps
 * the section metadata of 2.10 (compound order and zone per mem_section) on
 * the range: sections never straddle ranges, so "the range holding pfn"
 * answers section_order() and section_to_zone().
 */
#ifndef HVO_DAX_H
#define HVO_DAX_H

#include "internal.h"

/* The fake dev_pagemap pointer of the range starting at range_pfn. */
uint64_t dax_pgmap(uint64_t range_pfn);

struct dax_range {
	bool live;
	bool altmap;       /* self-hosted vmemmap (I18) */
	uint64_t pfn, nr;  /* section aligned */
	unsigned order;    /* compound order, 0 = base pages */
	unsigned node;
};

struct dax_state {
	struct dax_range *r;   /* id = index; dead ranges stay as holes */
	uint32_t nr, cap;
};

static inline uint64_t section_pages(const struct hvo_machine *m)
{
	return 1ull << (m->geo.section_shift - m->geo.page_shift);
}

/* vmemmap_can_optimize() for the range: a compound order that fills two
 * or more vmemmap pages, the mask encoding, and no altmap (I18; B25 drops
 * the altmap test). */
bool dax_range_optimizable(const struct hvo_machine *m, const struct dax_range *r);
/* vmemmap_page_optimizable(): the vmemmap page at va (inside r's vmemmap)
 * describes only tails past the struct pages a compound page keeps. */
bool dax_addr_optimizable(const struct hvo_machine *m, const struct dax_range *r, uint64_t va);
/* section_nr_vmemmap_pages() (2.9 table) for the section starting at spfn. */
uint64_t dax_section_vmemmap_pages(const struct hvo_machine *m, const struct dax_range *r, uint64_t spfn);
/* The _refcount of the (node, ZONE_DEVICE, order) shared tail page, read
 * from the tail page's own struct page; 0 while none is published. */
int64_t dax_tail_refcount(struct hvo_machine *m, unsigned node, unsigned order);
/* page_ref_add() on the struct page of pfn, the new count.  Hot-add and
 * hot-remove are serialised, so no scheduling point. */
int32_t dax_page_ref_add(struct hvo_machine *m, uint64_t pfn, int32_t delta);

/* sparse_g3.c: one section's vmemmap.  populate: 0 or -ENOMEM, with the
 * section's own partial population undone on failure (not accounted).
 * depopulate: account -1 per private page first when accounted, clear the
 * PTEs, flush, then free private pages and put shared tail references. */
int g3_populate_section(struct hvo_machine *m, const struct dax_range *r, uint64_t spfn);
void g3_depopulate_section(struct hvo_machine *m, const struct dax_range *r, uint64_t spfn, bool accounted);

/* oracle_geo.c: the checker's own DAX arithmetic (never the helpers above). */
bool oracle_dax_optimizable(const struct hvo_machine *m, const struct dax_range *r);
bool oracle_dax_shared(const struct hvo_machine *m, const struct dax_range *r, uint64_t va);
uint64_t oracle_dax_section_pages(const struct hvo_machine *m, const struct dax_range *r, uint64_t spfn);

#endif
