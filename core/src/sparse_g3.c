// SPDX-License-Identifier: GPL-2.0-only
/*
 * sparse_g3.c - G3 population of a DAX section's vmemmap, decided per
 * vmemmap page address (spec 2.10, seed 002 patch 37: vmemmap_pte_populate
 * under vmemmap_populate_basepages), and its undo (section_deactivate ->
 * depopulate_section_memmap -> vmemmap_free).
 */
#include <stdlib.h>

#include "dax.h"

/* get_page(page) on the shared tail page's own struct page; pairs with
 * the put in the free path.  Hot-add runs after slab is up, so every
 * mapping takes one (seed 002 patch 37, I14, B20). */
static void tail_get(struct hvo_machine *m, uint64_t pfn)
{
	if (!hook_dax_tail_no_get(m))
		dax_page_ref_add(m, pfn, hook_dax_tail_extra_get(m) ? 2 : 1);
}

/* put_page_testzero(), freeing at zero: only reachable when the pairing is
 * broken, because the zone table holds alloc_page()'s reference (I14). */
static void tail_put(struct hvo_machine *m, uint64_t pfn)
{
	if ((int32_t)vm_read32(m, page_vaddr(m, pfn) + PO_REFCOUNT) <= 0) {
		hvo_violate(m, 14, pfn, -1, "put on a shared tail page that was already freed (use-after-free)");
		return;
	}
	if (dax_page_ref_add(m, pfn, -1) == 0)
		mach_free(m, pfn, 0);
}

/* vmemmap_pte_populate() for the vmemmap page at va. */
static int pte_populate(struct hvo_machine *m, const struct dax_range *r, uint64_t va)
{
	bool tail = dax_addr_optimizable(m, r, va);
	uint64_t *slot, pfn;
	int rc;

	slot = vm_pte_alloc(m, va, r->node, &rc);
	if (!slot) {
		if (rc == -HVO_EINVAL)
			hvo_violate(m, 3, UINT64_MAX, -1, "DAX vmemmap at 0x%llx is a PMD leaf (never for G3 sections)",
				    (unsigned long long)va);
		return rc;
	}
	if (*slot & PTE_PRESENT)
		return 0;
	if (tail) {
		rc = g2_get_tail(m, r->node, HVO_ZONE_DEVICE, r->order, &pfn);
		if (rc)
			return rc;
		tail_get(m, pfn);
	} else {
		/* Bytes appear on first access, as memmap init would leave them. */
		rc = mach_alloc(m, HVO_SITE_DAX_VMEMMAP, r->node, -1, 0, PHYS_GFP_KERNEL, &pfn);
		if (rc)
			return rc;
	}
	vm_set_pte(m, slot, va, mk_pte(pfn, !tail));  /* shared tails RO (patch 38) */
	return 0;
}

/* section_nr_vmemmap_pages() (G3 patch 03, "fix vmemmap page accounting
 * for HVOed DAX").  B12e is the form before it: populate_section_memmap and
 * depopulate_section_memmap charged DIV_ROUND_UP(nr_pages *
 * sizeof(struct page), PAGE_SIZE) whatever the section's HVO left private. */
static uint64_t section_nr_vmemmap_pages(struct hvo_machine *m, const struct dax_range *r, uint64_t spfn)
{
	uint64_t psz = m->geo.page_size;

	if (hook_dax_charges_full_memmap(m))
		return (section_pages(m) * m->geo.struct_page_size + psz - 1) / psz;
	return dax_section_vmemmap_pages(m, r, spfn);
}

/* memmap_pages_add(+-section_nr_vmemmap_pages): the formula's amount, not
 * the pages mapped (TRACEABILITY D3); memmap_charge gives the per-node
 * shards the nodes the private pages live on. */
static void account_section(struct hvo_machine *m, const struct dax_range *r, uint64_t spfn, int delta)
{
	uint64_t vs = page_vaddr(m, spfn), ve = page_vaddr(m, spfn + section_pages(m));

	memmap_charge(m, vs, ve, false, delta * (int64_t)section_nr_vmemmap_pages(m, r, spfn), r->node);
}

int g3_populate_section(struct hvo_machine *m, const struct dax_range *r, uint64_t spfn)
{
	uint64_t vs = page_vaddr(m, spfn), ve = page_vaddr(m, spfn + section_pages(m));

	for (uint64_t va = vs; va < ve; va += m->geo.page_size) {
		int rc = pte_populate(m, r, va);

		if (rc) {
			/* section_activate(): section_deactivate() undoes the partial
			 * population; it must not un-account what was never
			 * accounted (G3 patch 01, B12d). */
			g3_depopulate_section(m, r, spfn, hook_populate_error_unaccounts(m));
			return rc;
		}
	}
	account_section(m, r, spfn, +1);
	return 0;
}

void g3_depopulate_section(struct hvo_machine *m, const struct dax_range *r, uint64_t spfn, bool accounted)
{
	uint64_t psz = m->geo.page_size, pmd_size = 1ull << m->geo.pmd_shift;
	uint64_t vs = page_vaddr(m, spfn), ve = page_vaddr(m, spfn + section_pages(m));
	uint64_t tail = g2_tail_pfn(m, r->node, HVO_ZONE_DEVICE, r->order), nr = 0;
	uint64_t *gone = malloc((ve - vs) / psz * sizeof(*gone));

	if (!gone)
		abort(); /* host OOM: nothing sensible to model */
	/* The stat first, then the pages (the B12a rule). */
	if (accounted)
		account_section(m, r, spfn, -1);
	for (uint64_t va = vs; va < ve; va += psz) {
		uint64_t *slot = vm_pte_slot(m, va);

		if (!slot || !(*slot & PTE_PRESENT))
			continue;
		gone[nr++] = pte_pfn(*slot);
		vm_set_pte(m, slot, va, 0);
	}
	/* No page goes back while a stale translation may reach it (I12). */
	flush_tlb_range(m, vs, ve);
	for (uint64_t i = 0; i < nr; i++) {
		if (tail && gone[i] == tail - 1)
			tail_put(m, gone[i]);
		else
			mach_free(m, gone[i], 0);
	}
	for (uint64_t va = m->vbase + ((vs - m->vbase) & ~(pmd_size - 1)); va < ve; va += pmd_size)
		vm_pte_table_release(m, va);
	free(gone);
}
