// SPDX-License-Identifier: GPL-2.0-only
/*
 * oracle_geo.c - the checker's own vmemmap arithmetic: how many vmemmap
 * pages a folio or a device-DAX section has, which of them HVO may share,
 * and what section_nr_vmemmap_pages() must leave private.
 *
 * Independence (architecture: "the checker never uses a model helper to
 * compute what the model should have produced"): these come from the
 * config's page and struct page sizes and the spec's formulas (1.4, 1.5,
 * 2.9, 2.10), never from geometry.c, folio.c or dax.c.  The model's
 * dax_range_optimizable() carries mutant B25's hook; an oracle that called
 * it would expect what the mutant does.
 */
#include "dax.h"

/* SECTION_SIZE_BITS: 29 for arm64 with 64K pages, else 27 (x86-64, arm64
 * 4K/16K; TRACEABILITY D11). */
static unsigned oracle_section_bits(const struct hvo_machine *m)
{
	return m->cfg.page_shift == 16 ? 29 : 27;
}

/* (1 << order) struct pages laid end to end, in pages (spec 1.4). */
uint64_t oracle_vmemmap_pages(const struct hvo_machine *m, unsigned order)
{
	if (order >= 40)
		return 0;
	return ((1ull << order) * m->cfg.struct_page_size) >> m->cfg.page_shift;
}

/* hugetlb_vmemmap_optimizable_size() != 0: a power-of-two struct page and
 * at least one vmemmap page past the kept one (spec 1.5). */
bool oracle_optimizable(const struct hvo_machine *m, unsigned order)
{
	unsigned sps = m->cfg.struct_page_size;

	return !(sps & (sps - 1)) && oracle_vmemmap_pages(m, order) >= 2;
}

/* vmemmap_can_optimize() for a device-DAX range: never a self-hosted
 * (altmap) one (I18), else as for a folio (2.10). */
bool oracle_dax_optimizable(const struct hvo_machine *m, const struct dax_range *r)
{
	return !r->altmap && oracle_optimizable(m, r->order);
}

/* Is the vmemmap page at va, inside range r, one HVO shares?  Every page
 * of a compound page's vmemmap but the first (the kept reserve page). */
bool oracle_dax_shared(const struct hvo_machine *m, const struct dax_range *r, uint64_t va)
{
	uint64_t pfn = (va - m->vbase) / m->cfg.struct_page_size;
	uint64_t per_page = (1ull << m->cfg.page_shift) / m->cfg.struct_page_size;

	return oracle_dax_optimizable(m, r) && (pfn & ((1ull << r->order) - 1)) >= per_page;
}

/* section_nr_vmemmap_pages() for a whole section (2.9): unoptimized,
 * DIV_ROUND_UP(PAGES_PER_SECTION * sizeof(struct page), PAGE_SIZE); else one
 * kept page per compound page, and a compound page larger than a section
 * keeps its page in the head's section only. */
uint64_t oracle_dax_section_pages(const struct hvo_machine *m, const struct dax_range *r, uint64_t spfn)
{
	unsigned section_order = oracle_section_bits(m) - m->cfg.page_shift;
	uint64_t sec = 1ull << section_order, psz = 1ull << m->cfg.page_shift;

	if (!oracle_dax_optimizable(m, r))
		return (sec * m->cfg.struct_page_size + psz - 1) / psz;
	if (r->order < section_order)
		return sec >> r->order;
	return (spfn & ((1ull << r->order) - 1)) == 0;
}

/* I18 for HugeTLB: memory hot-added with memmap_on_memory hosts its own
 * vmemmap (the config says which nodes), so a folio there is never
 * optimized (spec 1.x memmap_on_memory, B25). */
bool oracle_self_hosted(const struct hvo_machine *m, uint64_t pfn)
{
	for (unsigned n = 0; n < m->cfg.nr_nodes; n++) {
		const struct hvo_node_config *nc = &m->cfg.node[n];

		if (nc->memmap_on_memory && pfn >= nc->start_pfn && pfn - nc->start_pfn < nc->nr_pages)
			return true;
	}
	return false;
}
