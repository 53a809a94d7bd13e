// SPDX-License-Identifier: GPL-2.0-only
/*
 * geometry.c - derived constants of spec 1.4 and 1.5.
 */
#include <stdio.h>

#include "hvo/hvo.h"

static unsigned ilog2_u64(uint64_t v)
{
	unsigned r = 0;

	while (v >>= 1)
		r++;
	return r;
}

int hvo_geometry_init(struct hvo_geometry *g, unsigned page_shift, unsigned sps, char *err, size_t errlen)
{
	if (page_shift != 12 && page_shift != 14 && page_shift != 16) {
		snprintf(err, errlen, "page shift %u not supported (12, 14 or 16)", page_shift);
		return -HVO_EINVAL;
	}
	if (sps < 64 || sps > 256 || sps % 8) {
		snprintf(err, errlen, "struct page size %u not supported (a multiple of 8 in [64, 256])", sps);
		return -HVO_EINVAL;
	}
	g->page_shift = page_shift;
	g->page_size = 1ull << page_shift;
	g->struct_page_size = sps;
	g->sps_pow2 = (sps & (sps - 1)) == 0;
	g->sps_shift = ilog2_u64(sps);
	/* HUGETLB_VMEMMAP_RESERVE_PAGES: the struct pages of the one kept page. */
	g->reserve_pages = (unsigned)(g->page_size / sps);
	/* VMEMMAP_TAIL_MIN_ORDER = ilog2(2 * PAGE_SIZE / sizeof(struct page)) */
	g->tail_min_order = ilog2_u64(2 * g->page_size / sps);
	/* MAX_FOLIO_ORDER = ilog2(SZ_16G) - PAGE_SHIFT on 64-bit with hugetlb */
	g->max_folio_order = 34 - page_shift;
	g->nr_vmemmap_tails = g->max_folio_order >= g->tail_min_order ?
		g->max_folio_order - g->tail_min_order + 1 : 0;
	g->max_folio_vmemmap_align = g->sps_pow2 ? (1ull << g->max_folio_order) * sps : 0;
	/* A page-table page holds PAGE_SIZE / 8 entries; a PMD maps that many pages. */
	g->pmd_shift = 2 * page_shift - 3;
	g->section_shift = hvo_section_shift(page_shift);
	return 0;
}

/* arch/arm64/include/asm/sparsemem.h: 29 bits with 64K pages, so that a
 * section's memmap is whole pages for any struct page size (TRACEABILITY
 * D3/D11); 27 with 4K and 16K pages, as x86-64 has. */
unsigned hvo_section_shift(unsigned page_shift)
{
	return page_shift == 16 ? 29 : 27;
}

uint64_t hvo_geo_vmemmap_pages(const struct hvo_geometry *g, unsigned order)
{
	if (order >= 40)
		return 0;
	return ((1ull << order) * g->struct_page_size) >> g->page_shift;
}

bool hvo_geo_optimizable(const struct hvo_geometry *g, unsigned order)
{
	/* hugetlb_vmemmap_optimizable_size(): vmemmap size - PAGE_SIZE, 0 unless pow2 */
	return g->sps_pow2 && hvo_geo_vmemmap_pages(g, order) >= 2;
}

uint64_t hvo_geo_freed_pages(const struct hvo_geometry *g, unsigned order)
{
	return hvo_geo_optimizable(g, order) ? hvo_geo_vmemmap_pages(g, order) - 1 : 0;
}

uint64_t hvo_geo_tail_info(const struct hvo_geometry *g, unsigned order)
{
	unsigned shift = order + g->sps_shift;

	return (shift >= 64 ? 0 : ~0ull << shift) | 1;
}
