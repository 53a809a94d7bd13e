// SPDX-License-Identifier: GPL-2.0-only
/*
 * check_dax.c - the G3 device DAX invariants (spec section 3), evaluated
 * through the current vmemmap mapping at quiescent points:
 *   I14  refcount of each ZONE_DEVICE shared tail == 1 + PTEs mapping it
 *   I18  a self-hosted (altmap) range never maps a shared tail
 *   I3   per vmemmap page: optimizable address -> the shared tail of
 *        (node, ZONE_DEVICE, order) read-only, else a private writable
 *        page; PTE-mapped, never a PMD leaf
 *   I11  private pages of each section == section_nr_vmemmap_pages (2.9)
 *   I1/I2/I4 one struct page per vmemmap page: compound_head, head/tail
 *        bits, node, ZONE_DEVICE and PG_reserved
 * The shared tails' bytes (I4, with PG_reserved) are checked with every
 * other published tail in check.c.
 */
#include <inttypes.h>

#include "dax.h"

static uint64_t device_tail(const struct hvo_machine *m, const struct dax_range *r)
{
	uint64_t t = g2_tail_pfn(m, r->node, HVO_ZONE_DEVICE, r->order);

	return t ? t - 1 : UINT64_MAX;
}

/* PTEs of live ranges that map the shared tail page pfn. */
static uint64_t tail_mappings(const struct hvo_machine *m, uint64_t pfn)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < m->dax->nr; i++) {
		const struct dax_range *r = &m->dax->r[i];

		for (uint64_t va = page_vaddr(m, r->pfn); r->live && va < page_vaddr(m, r->pfn + r->nr);
		     va += m->geo.page_size) {
			uint64_t frame;
			bool rw;

			n += vm_translate(m, va, &frame, &rw) && frame == pfn;
		}
	}
	return n;
}

static int check_refs(struct hvo_machine *m)
{
	for (unsigned n = 0; n < m->cfg.nr_nodes; n++)
		for (unsigned i = 0; i < m->geo.nr_vmemmap_tails; i++) {
			unsigned order = m->geo.tail_min_order + i;
			uint64_t t = g2_tail_pfn(m, n, HVO_ZONE_DEVICE, order), maps;
			int64_t ref;

			if (!t)
				continue;
			ref = oracle_refcount(m, t - 1);
			maps = tail_mappings(m, t - 1);
			if (ref != 1 + (int64_t)maps) {
				hvo_violate(m, 14, t - 1, -1, "shared tail (node %u device order %u) has refcount %" PRId64
					    ", %" PRIu64 " PTEs map it (must be 1 + PTEs)", n, order, ref, maps);
				return 14;
			}
		}
	return 0;
}

/* I1/I2/I4 on the first struct page that starts in the vmemmap page at va. */
static int check_page(struct hvo_machine *m, const struct dax_range *r, uint64_t va)
{
	unsigned sps = m->geo.struct_page_size;
	uint64_t pfn = (va - m->vbase + sps - 1) / sps, i = (pfn - r->pfn) & ((1ull << r->order) - 1);
	uint64_t pva = page_vaddr(m, pfn), hva = page_vaddr(m, pfn - i);
	uint64_t flags = vm_read64(m, pva + PO_FLAGS), info = vm_read64(m, pva + PO_INFO);

	if (r->order && oracle_compound_head(m, pva) != hva) {
		hvo_violate(m, 1, pfn, -1, "DAX page %" PRIu64 " of its compound page: compound_head 0x%" PRIx64
			    ", head is 0x%" PRIx64, i, oracle_compound_head(m, pva), hva);
		return 1;
	}
	if ((flags >> PG_HEAD & 1) != (r->order && !i) || (info & 1) != (i > 0)) {
		hvo_violate(m, 2, pfn, -1, "DAX page %" PRIu64 " of its compound page has PG_head=%d tail=%d", i,
			    (int)(flags >> PG_HEAD & 1), (int)(info & 1));
		return 2;
	}
	if ((flags >> FLAGS_NODE_SHIFT & FLAGS_NODE_MASK) != r->node ||
	    (flags >> FLAGS_ZONE_SHIFT & FLAGS_ZONE_MASK) != HVO_ZONE_DEVICE || !(flags >> PG_RESERVED & 1)) {
		hvo_violate(m, 4, pfn, -1, "DAX struct page flags 0x%" PRIx64 ": not node %u ZONE_DEVICE PG_reserved",
			    flags, r->node);
		return 4;
	}
	return 0;
}

static int check_section(struct hvo_machine *m, const struct dax_range *r, uint64_t spfn)
{
	uint64_t tail = device_tail(m, r), priv = 0, want = oracle_dax_section_pages(m, r, spfn);
	uint64_t ve = page_vaddr(m, spfn + section_pages(m));

	for (uint64_t va = page_vaddr(m, spfn); va < ve; va += m->geo.page_size) {
		uint64_t frame, pfn = (va - m->vbase) / m->geo.struct_page_size;
		bool rw, opt = oracle_dax_shared(m, r, va);
		int rc;

		if (!vm_pte_slot(m, va) || !vm_translate(m, va, &frame, &rw)) {
			hvo_violate(m, 3, pfn, -1, "DAX vmemmap at 0x%" PRIx64 " is %s", va,
				    vm_translate(m, va, &frame, &rw) ? "a PMD leaf" : "unmapped");
			return 3;
		}
		if (r->altmap && frame == tail) {
			hvo_violate(m, 18, pfn, -1, "self-hosted (altmap) DAX vmemmap at 0x%" PRIx64 " maps the shared "
				    "tail 0x%" PRIx64, va, frame);
			return 18;
		}
		if (opt != (frame == tail) || opt == rw) {
			hvo_violate(m, 3, pfn, -1, "DAX vmemmap at 0x%" PRIx64 " maps 0x%" PRIx64 " %s, expected %s", va,
				    frame, rw ? "RW" : "RO", opt ? "the shared tail RO" : "a private page RW");
			return 3;
		}
		priv += rw;
		rc = check_page(m, r, va);
		if (rc)
			return rc;
	}
	if (priv != want) {
		hvo_violate(m, 11, spfn, -1, "DAX section has %" PRIu64 " private vmemmap pages, "
			    "section_nr_vmemmap_pages says %" PRIu64, priv, want);
		return 11;
	}
	return 0;
}

int check_dax(struct hvo_machine *m)
{
	int rc;

	if (!m->dax || api_depth(m))
		return 0;
	rc = check_refs(m);
	for (uint32_t i = 0; !rc && i < m->dax->nr; i++) {
		const struct dax_range *r = &m->dax->r[i];

		for (uint64_t s = r->pfn; r->live && !rc && s < r->pfn + r->nr; s += section_pages(m))
			rc = check_section(m, r, s);
	}
	return rc;
}

uint64_t dax_digest(struct hvo_machine *m, uint64_t h, uint64_t (*mix)(uint64_t h, uint64_t v))
{
	for (unsigned n = 0; m->dax && n < m->cfg.nr_nodes; n++)
		for (unsigned i = 0; i < m->geo.nr_vmemmap_tails; i++) {
			uint64_t t = g2_tail_pfn(m, n, HVO_ZONE_DEVICE, m->geo.tail_min_order + i);

			h = mix(h, (uint64_t)(uint32_t)(t ? oracle_refcount(m, t - 1) : 0) << 1 | (t != 0));
		}
	for (uint32_t i = 0; m->dax && i < m->dax->nr; i++) {
		const struct dax_range *r = &m->dax->r[i];
		uint64_t tail = device_tail(m, r);

		if (!r->live)
			continue;
		h = mix(h, i);
		h = mix(h, r->pfn);
		h = mix(h, r->nr);
		h = mix(h, (uint64_t)r->order << 32 | r->node << 1 | r->altmap);
		for (uint64_t va = page_vaddr(m, r->pfn); va < page_vaddr(m, r->pfn + r->nr); va += m->geo.page_size) {
			uint64_t frame = 0, pva = page_vaddr(m, (va - m->vbase + m->geo.struct_page_size - 1) /
							     m->geo.struct_page_size);
			bool rw = false, ok = vm_translate(m, va, &frame, &rw);

			h = mix(h, (uint64_t)ok << 2 | (uint64_t)rw << 1 | (ok && frame == tail));
			h = mix(h, vm_read64(m, pva + PO_FLAGS));
			h = mix(h, vm_read64(m, pva + PO_INFO));
		}
	}
	return h;
}
