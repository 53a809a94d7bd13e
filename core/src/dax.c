// SPDX-License-Identifier: GPL-2.0-only
/*
 * dax.c - G3 device DAX (spec 2.10): the device ranges of the config, the
 * hot-add / hot-remove / list API (memremap_pages / memunmap_pages of a
 * device-dax pgmap with vmemmap_shift = order) and memmap_init_zone_device.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dax.h"

static int refuse(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -HVO_EINVAL;
}

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

int dax_config_validate(const struct hvo_config *cfg, const struct hvo_geometry *g, char *err, size_t errlen)
{
	uint64_t sec = 1ull << (g->section_shift - g->page_shift), max_pfn = 1ull << (46 - g->page_shift);

	for (unsigned i = 0; i < cfg->nr_nodes; i++) {
		const struct hvo_node_config *n = &cfg->node[i];
		uint64_t end = n->dax_start_pfn + n->dax_nr_pages;

		if (!n->dax_nr_pages && !n->dax_start_pfn)
			continue;
		if (cfg->gen != HVO_G3)
			return refuse(err, errlen, "node %u: device (dax) ranges need a G3 machine (gen=g3)", i);
		if (!n->dax_nr_pages || n->dax_start_pfn % sec || n->dax_nr_pages % sec)
			return refuse(err, errlen, "node %u: dax range start 0x%llx size 0x%llx must be non-empty and "
				      "multiples of the section size (0x%llx pages)", i,
				      (unsigned long long)n->dax_start_pfn, (unsigned long long)n->dax_nr_pages,
				      (unsigned long long)sec);
		if (n->dax_start_pfn > max_pfn || n->dax_nr_pages > max_pfn || end > max_pfn)
			return refuse(err, errlen, "node %u: dax range ends above the 64 TiB the model supports", i);
		if (cfg->vmemmap_base > UINT64_MAX - end * g->struct_page_size)
			return refuse(err, errlen, "node %u: dax range: the vmemmap would wrap around", i);
		for (unsigned j = 0; j < cfg->nr_nodes; j++) {
			const struct hvo_node_config *o = &cfg->node[j];

			if (overlaps(n->dax_start_pfn, n->dax_nr_pages, o->start_pfn, o->nr_pages))
				return refuse(err, errlen, "node %u: dax range overlaps the memory of node %u", i, j);
			if (j != i && overlaps(n->dax_start_pfn, n->dax_nr_pages, o->dax_start_pfn, o->dax_nr_pages))
				return refuse(err, errlen, "node %u: dax range overlaps the dax range of node %u", i, j);
		}
	}
	return 0;
}

int dax_create(struct hvo_machine *m)
{
	struct dax_state *d = calloc(1, sizeof(*d));

	if (!d)
		return -HVO_ENOMEM;
	m->dax = d;
	return 0;
}

void dax_destroy(struct hvo_machine *m)
{
	if (!m->dax)
		return;
	free(m->dax->r);
	free(m->dax);
	m->dax = NULL;
}

/* ------------------------------------------------ section metadata (2.10) */

bool dax_range_optimizable(const struct hvo_machine *m, const struct dax_range *r)
{
	return m->geo.sps_pow2 && r->order >= m->geo.tail_min_order && (!r->altmap || hook_self_hosted_unchecked(m));
}

bool dax_addr_optimizable(const struct hvo_machine *m, const struct dax_range *r, uint64_t va)
{
	uint64_t pfn = (va - m->vbase) / m->geo.struct_page_size;

	return dax_range_optimizable(m, r) && (pfn & ((1ull << r->order) - 1)) >= m->geo.reserve_pages;
}

uint64_t dax_section_vmemmap_pages(const struct hvo_machine *m, const struct dax_range *r, uint64_t spfn)
{
	uint64_t sec = section_pages(m), psz = m->geo.page_size;

	if (!dax_range_optimizable(m, r))
		return (sec * m->geo.struct_page_size + psz - 1) / psz;
	if ((1ull << r->order) < sec)
		return sec >> r->order;           /* one kept page per compound page */
	return (spfn & ((1ull << r->order) - 1)) == 0;  /* only the head's section */
}

int32_t dax_page_ref_add(struct hvo_machine *m, uint64_t pfn, int32_t delta)
{
	uint64_t va = page_vaddr(m, pfn) + PO_REFCOUNT;
	int32_t ref = (int32_t)vm_read32(m, va) + delta;

	vm_write32(m, va, (uint32_t)ref);
	return ref;
}

int64_t dax_tail_refcount(struct hvo_machine *m, unsigned node, unsigned order)
{
	uint64_t t = g2_tail_pfn(m, node, HVO_ZONE_DEVICE, order);

	return t ? (int32_t)vm_read32(m, page_vaddr(m, t - 1) + PO_REFCOUNT) : 0;
}

/* ------------------------------------------------ memmap_init_zone_device */

/* The dev_pagemap a range's pages point back to: a kernel address of the
 * range's own (bit 0 clear, as any pointer in lru.next of a head). */
uint64_t dax_pgmap(uint64_t range_pfn)
{
	return 0xffff888040000000ull + (range_pfn << 4);
}

/* __init_zone_device_page() + prep_compound_head/tail for one struct page;
 * f describes the range (pfn, order, node).  Every page is
 * __init_single_page's (last_cpupid all ones) with PG_reserved, and the
 * ZONE_DEVICE pair over lru (D12): pgmap in lru.next, zone_device_data =
 * NULL in lru.prev; prep_compound_tail then puts compound_head over a
 * tail's pgmap.  The shared tails (canonical_tail_page) are built on a
 * zeroed page instead, so they carry no last_cpupid. */
static void zone_device_img(struct hvo_machine *m, const struct folio *f, uint64_t pfn, uint8_t *img)
{
	uint64_t i = (pfn - f->pfn) & ((1ull << f->order) - 1), flags, pgmap = dax_pgmap(f->pfn);

	if (i == 0) {
		memmap_init_page(m, pfn, img);  /* node, ZONE_DEVICE, PG_reserved */
		memcpy(&flags, img + PO_FLAGS, 8);
		flags |= (uint64_t)(f->order > 0) << PG_HEAD | FLAGS_CPUPID_MASK << FLAGS_CPUPID_SHIFT;
		memcpy(img + PO_FLAGS, &flags, 8);
		memcpy(img + PO_INFO, &pgmap, 8);
		memset(img + PO_LRU_PREV, 0, 8);
		return;
	}
	canonical_tail_page(m, f->node, HVO_ZONE_DEVICE, f->order, page_vaddr(m, pfn - i), img);
	memcpy(&flags, img + PO_FLAGS, 8);
	flags |= FLAGS_CPUPID_MASK << FLAGS_CPUPID_SHIFT;
	if (i == 1)    /* prep_compound_head(): the folio order lives in page[1] */
		flags |= f->order;
	memcpy(img + PO_FLAGS, &flags, 8);
}

/* Only compound_nr_pages() struct pages per compound page: the rest sit in
 * shared tails, read-only and already canonical (B21 writes them all). */
static void memmap_init_zone_device(struct hvo_machine *m, const struct dax_range *r)
{
	struct folio desc = { .pfn = r->pfn, .order = r->order, .node = r->node, .zone = HVO_ZONE_DEVICE };
	uint64_t per = 1ull << r->order;
	uint64_t keep = dax_range_optimizable(m, r) && !hook_zone_device_inits_all_pages(m) ? m->geo.reserve_pages : per;

	if (keep == per) {
		write_struct_pages(m, r->pfn, r->nr, zone_device_img, &desc);
		return;
	}
	for (uint64_t p = r->pfn; p < r->pfn + r->nr; p += per)
		write_struct_pages(m, p, keep, zone_device_img, &desc);
}

/* ------------------------------------------------------------ the API */

static int check_add(struct hvo_machine *m, uint64_t pfn, uint64_t nr, unsigned order, unsigned node,
		     unsigned flags, char *err, size_t errlen)
{
	const struct hvo_node_config *nc;
	uint64_t sec = section_pages(m);

	if (!m->dax)
		return refuse(err, errlen, "device DAX needs a G3 machine (config gen=g3)");
	if (flags & ~HVO_DAX_ALTMAP)
		return refuse(err, errlen, "unknown dax flags 0x%x", flags);
	if (node >= m->cfg.nr_nodes)
		return refuse(err, errlen, "node %u does not exist", node);
	if (!nr || pfn % sec || nr % sec || pfn + nr < pfn)
		return refuse(err, errlen, "range [0x%llx, +0x%llx) is not whole sections (0x%llx pages each)",
			      (unsigned long long)pfn, (unsigned long long)nr, (unsigned long long)sec);
	nc = &m->cfg.node[node];
	if (pfn < nc->dax_start_pfn || pfn + nr > nc->dax_start_pfn + nc->dax_nr_pages)
		return refuse(err, errlen, "range [0x%llx, +0x%llx) is outside node %u's device range [0x%llx, +0x%llx)",
			      (unsigned long long)pfn, (unsigned long long)nr, node,
			      (unsigned long long)nc->dax_start_pfn, (unsigned long long)nc->dax_nr_pages);
	if (order > m->geo.max_folio_order)
		return refuse(err, errlen, "order %u is above MAX_FOLIO_ORDER %u", order, m->geo.max_folio_order);
	if ((pfn | nr) & ((1ull << order) - 1))
		return refuse(err, errlen, "compound pages of order %u do not tile [0x%llx, +0x%llx)", order,
			      (unsigned long long)pfn, (unsigned long long)nr);
	if (sec * m->geo.struct_page_size % m->geo.page_size)
		return refuse(err, errlen, "a section's memmap is not whole pages here (vmemmap pages shared "
			      "between sections are not modelled)");
	for (uint32_t i = 0; i < m->dax->nr; i++) {
		const struct dax_range *o = &m->dax->r[i];

		if (o->nr && overlaps(pfn, nr, o->pfn, o->nr))
			return refuse(err, errlen, "range [0x%llx, +0x%llx) overlaps DAX range %u",
				      (unsigned long long)pfn, (unsigned long long)nr, i);
	}
	return 0;
}

static int do_dax_add(struct hvo_machine *m, uint64_t pfn, uint64_t nr, unsigned order, unsigned node,
		      unsigned flags, int32_t *id, char *err, size_t errlen)
{
	struct dax_state *d = m->dax;
	struct dax_range *r;
	uint64_t sec = section_pages(m);
	int rc = check_add(m, pfn, nr, order, node, flags, err, errlen);

	if (rc)
		return rc;
	if (d->nr == d->cap) {
		uint32_t cap = d->cap ? 2 * d->cap : 8;
		struct dax_range *n = realloc(d->r, cap * sizeof(*n));

		if (!n)
			return -HVO_ENOMEM;
		d->r = n;
		d->cap = cap;
	}
	/* The slot is taken now (an injected racer cannot reuse it); it stays
	 * a dead hole with nr = 0 if the hot-add fails. */
	r = &d->r[d->nr++];
	*r = (struct dax_range){ .pfn = pfn, .nr = nr, .order = order, .node = node,
				 .altmap = flags & HVO_DAX_ALTMAP };
	for (uint64_t s = pfn; s < pfn + nr; s += sec) {
		rc = g3_populate_section(m, r, s);
		if (!rc)
			continue;
		while (s > pfn) {
			s -= sec;
			g3_depopulate_section(m, r, s, true);
		}
		r->nr = 0;
		refuse(err, errlen, "hot-add failed populating the vmemmap (rc %d), undone", rc);
		return rc;
	}
	memmap_init_zone_device(m, r);
	r->live = true;
	*id = (int32_t)(r - d->r);
	return 0;
}

static int do_dax_remove(struct hvo_machine *m, int32_t id)
{
	struct dax_range *r;

	if (!m->dax || id < 0 || (uint32_t)id >= m->dax->nr || !m->dax->r[id].live)
		return -HVO_ENOENT;
	r = &m->dax->r[id];
	for (uint64_t s = r->pfn; s < r->pfn + r->nr; s += section_pages(m))
		g3_depopulate_section(m, r, s, true);
	r->live = false;
	r->nr = 0;
	return 0;
}

int hvo_dax_add(struct hvo_machine *m, uint64_t pfn, uint64_t nr_pages, unsigned order, unsigned node,
		unsigned flags, int32_t *id, char *err, size_t errlen)
{
	return API_CALL(m, do_dax_add(m, pfn, nr_pages, order, node, flags, id, err, errlen));
}

int hvo_dax_remove(struct hvo_machine *m, int32_t id)
{
	return API_CALL(m, do_dax_remove(m, id));
}

unsigned hvo_dax_list(const struct hvo_machine *m, struct hvo_dax_info *out, unsigned max)
{
	unsigned n = 0;

	for (uint32_t i = 0; m->dax && i < m->dax->nr; i++) {
		const struct dax_range *r = &m->dax->r[i];
		struct hvo_dax_info *o;

		if (!r->live || n++ >= max)
			continue;
		o = &out[n - 1];
		*o = (struct hvo_dax_info){ .id = (int32_t)i, .pfn = r->pfn, .nr_pages = r->nr, .order = r->order,
					    .node = r->node, .altmap = r->altmap };
		for (uint64_t s = r->pfn; s < r->pfn + r->nr; s += section_pages(m))
			o->vmemmap_pages += dax_section_vmemmap_pages(m, r, s);
	}
	return n;
}
