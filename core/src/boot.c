// SPDX-License-Identifier: GPL-2.0-only
/*
 * boot.c - gigantic pages reserved at boot and their pre-HVO (spec 2.8):
 * reservation, init_early (which pages to pre-optimize, which sections the
 * generic code must leave alone), init_late (the zones-valid check, the
 * cross-zone fallback, HVO population with the boot shared-tail getter or
 * full population when it fails), memmap init, tail initialisation, gather
 * (write-protect, batch optimize in boot mode, enqueue) and the
 * zone-contiguity scan.  Two designs: the deferred one of the seed series
 * (populate in init_late) and the older one that populated in init_early and
 * undid a cross-zone page in init_late (the removed vmemmap_undo_hvo).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define BOOTMEM_HVO         0x1u  /* HUGE_BOOTMEM_HVO */
#define BOOTMEM_ZONES_VALID 0x2u  /* HUGE_BOOTMEM_ZONES_VALID (cached) */
#define BOOTMEM_ZONES_KNOWN 0x4u
#define BOOTMEM_FREED       0x8u  /* given back to memblock in init_late */

/* The poison memblock leaves in memmap that memmap_init skipped (noinit). */
#define PAGE_POISON_BYTE 0xff

static uint64_t nr_pages(const struct bootmem *b) { return 1ull << b->order; }

static uint64_t vstart_of(const struct hvo_machine *m, const struct bootmem *b)
{
	return page_vaddr(m, b->pfn);
}

static uint64_t vend_of(const struct hvo_machine *m, const struct bootmem *b)
{
	return page_vaddr(m, b->pfn + nr_pages(b));
}

/* zone_intersects(): zone's span meets [pfn, pfn + nr). */
static bool zone_intersects(struct hvo_machine *m, unsigned nid, int zone, uint64_t pfn, uint64_t nr)
{
	uint64_t zs, ze;

	if (!phys_zone_span(m->phys, nid, zone, &zs, &ze))  /* zone_is_empty */
		return false;
	return !(pfn >= ze || pfn + nr <= zs);
}

/* pfn_range_intersects_zones(nid, ...): more than one of nid's zones
 * spans part of the range.  Spans, not pfns: with kernelcore=mirror NORMAL
 * and MOVABLE overlap, so every page above the first unmirrored pfn is
 * refused, wherever its ends lie (issue 13 D11). */
static bool pfn_range_intersects_zones(struct hvo_machine *m, unsigned nid, uint64_t pfn, uint64_t nr)
{
	int izone = -1;

	for (int z = 0; z < HVO_NR_ZONES; z++) {
		if (!zone_intersects(m, nid, z, pfn, nr))
			continue;
		if (izone >= 0)
			return true;
		izone = z;
	}
	return false;
}

/* hugetlb_bootmem_page_zones_valid(), cached in the flags; invalid pages
 * are counted like hstate_boot_nrinvalid[].  Mutant Z1: the test the
 * model had before, the zones of the two ends only. */
static bool zones_valid(struct hvo_machine *m, struct bootmem *b)
{
	if (!(b->flags & BOOTMEM_ZONES_KNOWN)) {
		uint64_t last = b->pfn + nr_pages(b) - 1;
		bool valid;

		if (hook_zones_valid_ends_only(m))
			valid = phys_zone_of(m->phys, b->pfn) == phys_zone_of(m->phys, last) &&
				phys_node_of(m->phys, b->pfn) == phys_node_of(m->phys, last);
		else
			valid = !pfn_range_intersects_zones(m, b->node, b->pfn, nr_pages(b));
		b->flags |= BOOTMEM_ZONES_KNOWN | (valid ? BOOTMEM_ZONES_VALID : 0);
		if (!valid)   /* atomic: the nodes' gathers may run at once */
			__atomic_fetch_add(&m->boot_nrinvalid, 1, __ATOMIC_RELAXED);
	}
	return b->flags & BOOTMEM_ZONES_VALID;
}

int boot_reserve(struct hvo_machine *m, char *err, size_t errlen)
{
	for (unsigned i = 0; i < m->cfg.nr_bootmem; i++) {
		const struct hvo_bootmem *c = &m->cfg.bootmem[i];
		struct bootmem *b = &m->bootmem[m->nr_bootmem];

		if (phys_memblock_reserve(m->phys, HVO_SITE_HUGETLB_FOLIO, c->pfn, c->order)) {
			snprintf(err, errlen, "bootmem %u: pfn 0x%llx order %u: cannot reserve (outside one node, "
				 "misaligned or overlapping)", i, (unsigned long long)c->pfn, c->order);
			return -HVO_EINVAL;
		}
		memset(b, 0, sizeof(*b));
		b->pfn = c->pfn;
		b->order = c->order;
		/* the actual node of the memory picks the per-node list */
		b->node = (unsigned)phys_node_of(m->phys, c->pfn);
		b->zone = phys_zone_of(m->phys, c->pfn);
		m->nr_bootmem++;
	}
	return 0;
}

/* init_early: only whole sections, whole vmemmap PMDs, an optimizable order
 * (pre-HVO never splits a PMD), HVO on.  G1 is modelled without pre-HVO. */
void boot_init_early(struct hvo_machine *m)
{
	uint64_t sec = 1ull << (m->geo.section_shift - m->geo.page_shift);
	uint64_t pmd_pfns = (1ull << m->geo.pmd_shift) / m->geo.struct_page_size;
	uint64_t align = sec > pmd_pfns ? sec : pmd_pfns;

	if (!m->enabled || m->cfg.gen == HVO_G1)
		return;
	for (unsigned i = 0; i < m->nr_bootmem; i++) {
		struct bootmem *b = &m->bootmem[i];

		if (hvo_geo_optimizable(&m->geo, b->order) && b->pfn % align == 0 && nr_pages(b) % align == 0)
			b->flags |= BOOTMEM_HVO;
	}
}

bool boot_section_preinit(const struct hvo_machine *m, uint64_t section_pfn)
{
	for (unsigned i = 0; i < m->nr_bootmem; i++) {
		const struct bootmem *b = &m->bootmem[i];

		if ((b->flags & BOOTMEM_HVO) && section_pfn >= b->pfn && section_pfn < b->pfn + nr_pages(b))
			return true;
	}
	return false;
}

/* The boot vmemmap_get_tail (2.3): single threaded, a plain store, and the
 * page stays uninitialised (zero) until boot_init_tails. */
static int boot_get_tail(struct hvo_machine *m, unsigned node, int zone, unsigned order, uint64_t *out)
{
	uint64_t *slot, pfn;
	uint8_t *bytes;

	if (order < m->geo.tail_min_order || order > m->geo.max_folio_order) {
		hvo_log(m, "WARN: boot vmemmap_get_tail order %u outside [%u, %u]", order, m->geo.tail_min_order,
			m->geo.max_folio_order);
		return -HVO_EINVAL;
	}
	slot = &m->zhvo[node][zone].tails[order - m->geo.tail_min_order];
	if (*slot) {
		*out = *slot - 1;
		return 0;
	}
	if (mach_should_fail(m, HVO_SITE_SHARED_TAIL) ||
	    phys_memblock_alloc(m->phys, HVO_SITE_SHARED_TAIL, node, 0, &pfn))
		return -HVO_ENOMEM;
	bytes = phys_frame(m->phys, pfn, true);
	if (!bytes) {
		phys_free(m->phys, pfn, 0);
		return -HVO_ENOMEM;
	}
	memset(bytes, 0, m->geo.page_size);   /* memblock memory is zeroed */
	*slot = pfn + 1;
	*out = pfn;
	return 0;
}

/* vmemmap_populate_hvo(): slot 0 gets its own page, every other slot the
 * shared tail, RW until gather write-protects it.  On failure the caller
 * populates normally over whatever was mapped. */
static int populate_hvo(struct hvo_machine *m, struct bootmem *b)
{
	uint64_t vs = vstart_of(m, b), ve = vend_of(m, b), psz = m->geo.page_size, head, tail;
	unsigned order = b->order;
	int rc;

	if (hook_order_from_vmemmap_length(m)) {
		/* B16: the order from the vmemmap length (seed v6), right only when
		 * sizeof(struct page)^2 == PAGE_SIZE. */
		uint64_t v = (ve - vs) * m->geo.struct_page_size / psz;

		for (order = 0; v > 1; v >>= 1)
			order++;
	}
	rc = boot_get_tail(m, b->node, b->zone, order, &tail);
	if (rc)
		return rc;
	if (mach_should_fail(m, HVO_SITE_MEMBLOCK) || phys_memblock_alloc(m->phys, HVO_SITE_MEMBLOCK, b->node, 0, &head))
		return -HVO_ENOMEM;
	rc = vmemmap_map_boot_page(m, b->node, vs, head, true);
	if (rc) {
		phys_free(m->phys, head, 0);
		return rc;
	}
	for (uint64_t va = vs + psz; va < ve && !rc; va += psz)
		rc = vmemmap_map_boot_page(m, b->node, va, tail, true);
	return rc;
}

/* Undo of a partial or unwanted HVO population: clear the PTEs, give the
 * slot 0 page back (the removed vmemmap_undo_hvo). */
static void unpopulate_hvo(struct hvo_machine *m, struct bootmem *b)
{
	uint64_t frame, psz = m->geo.page_size;
	bool rw;

	if (vm_translate(m, vstart_of(m, b), &frame, &rw) && rw)
		phys_free(m->phys, frame, 0);
	for (uint64_t va = vstart_of(m, b); va < vend_of(m, b); va += psz)
		vmemmap_unmap_boot_page(m, va);
	flush_tlb_range(m, vstart_of(m, b), vend_of(m, b));
}

/* Cross-zone or failed: a normally populated vmemmap (init_late charges
 * it) and, when the page spans zones, the memory back to memblock. */
static int populate_full(struct hvo_machine *m, struct bootmem *b, bool free_page)
{
	int rc = vmemmap_populate(m, b->node, vstart_of(m, b), vend_of(m, b));

	b->flags &= ~BOOTMEM_HVO;
	if (free_page) {
		phys_free(m->phys, b->pfn, b->order);
		b->flags |= BOOTMEM_FREED;
	}
	return rc;
}

/* hugetlb_vmemmap_init_late() when vmemmap_populate_hvo() fails (seed
 * PATCHv7 09/18): vmemmap_populate() on top with no undo, so the PTEs already
 * aimed at the shared tail stay, RW (populate skips present PTEs); the boot
 * counter gets the formula amount, DIV_ROUND_UP(end - start, PAGE_SIZE);
 * the bootmem HVO flag set by init_early stays, so gather marks the folio
 * optimized, write-protects its tail slots and skips the tail init
 * (reports/findings.md S1).  The variant V7-boot-fallback-undo is the
 * repair: undo the HVO mapping, populate normally, clear the flag. */
static int boot_hvo_fallback(struct hvo_machine *m, struct bootmem *b)
{
	if (hook_boot_fallback_undoes_hvo(m)) {
		unpopulate_hvo(m, b);
		return populate_full(m, b, false);
	}
	return vmemmap_populate(m, b->node, vstart_of(m, b), vend_of(m, b));
}

/* What init_late charges for a bootmem page (seed PATCHv7 09/18, and the
 * older design's init_early + init_late): memmap_boot_pages_add(
 * DIV_ROUND_UP(nr_mmap, PAGE_SIZE)), nr_mmap = HUGETLB_VMEMMAP_RESERVE_SIZE
 * when the HVO population stands, else end - start (populated normally, or
 * populated on top after a failed HVO population).  A formula, not the
 * pages mapped: I11 compares the two (TRACEABILITY D3). */
static void boot_charge(struct hvo_machine *m, struct bootmem *b, bool hvo)
{
	uint64_t vs = vstart_of(m, b), ve = vend_of(m, b), psz = m->geo.page_size;
	uint64_t nr_mmap = hvo ? psz : ve - vs;

	memmap_charge(m, vs, ve, true, (int64_t)((nr_mmap + psz - 1) / psz), b->node);
}

int boot_init_late(struct hvo_machine *m, char *err, size_t errlen)
{
	for (unsigned i = 0; i < m->nr_bootmem; i++) {
		struct bootmem *b = &m->bootmem[i];
		bool early = m->cfg.boot_design == HVO_BOOT_EARLY, hvo = false;
		int rc = 0;

		if (!(b->flags & BOOTMEM_HVO))
			continue;
		/* The older design had populated already (in init_early). */
		if (early && populate_hvo(m, b)) {
			unpopulate_hvo(m, b);
			rc = populate_full(m, b, false);
		} else if (!zones_valid(m, b)) {
			if (early)
				unpopulate_hvo(m, b);
			rc = populate_full(m, b, true);
		} else if (!early) {
			if (populate_hvo(m, b))
				rc = boot_hvo_fallback(m, b);
			else
				hvo = true;
		} else {
			hvo = true;
		}
		if (rc) {
			snprintf(err, errlen, "boot allocator out of memory populating the vmemmap of bootmem %u", i);
			return rc;
		}
		boot_charge(m, b, hvo);
	}
	return 0;
}

/* ---------------------------------------------------------------- after mm init */

static void poison_img(struct hvo_machine *m, const struct folio *f, uint64_t pfn, uint8_t *img)
{
	(void)f;
	(void)pfn;
	memset(img, PAGE_POISON_BYTE, m->geo.struct_page_size);
}

static void init_page_img(struct hvo_machine *m, const struct folio *f, uint64_t pfn, uint8_t *img)
{
	(void)f;
	init_single_page(m, pfn, img);
}

/* CONFIG_DEFERRED_STRUCT_PAGE_INIT: defer_init() lets memmap_init
 * initialise only the zone that ends the node up to the first section
 * boundary past one section of it; the rest is deferred_init_memmap's,
 * which initialises free ranges only, so no generic code ever writes the
 * struct pages of a bootmem page there.  UINT64_MAX: nothing deferred. */
static uint64_t first_deferred_pfn(const struct hvo_machine *m, unsigned node)
{
	const struct hvo_node_config *nc = &m->cfg.node[node];
	uint64_t sec = 1ull << (m->geo.section_shift - m->geo.page_shift);
	uint64_t end = nc->start_pfn + nc->nr_pages, lo = end, zs, ze;

	if (m->cfg.no_deferred_init)
		return UINT64_MAX;
	/* defer_init() defers in the zones whose span ends at the node's end:
	 * the top zone, or with kernelcore=mirror NORMAL and MOVABLE, both;
	 * the first of them sets first_deferred_pfn and the rest follows it */
	for (int z = 0; z < HVO_ZONE_DEVICE; z++)
		if (phys_zone_span(m->phys, node, z, &zs, &ze) && ze == end && zs < lo)
			lo = zs;
	return (lo + sec + sec - 1) / sec * sec;
}

/* memmap_init (D2): __init_single_page on every pfn it initialises early,
 * through the current vmemmap mapping, so into the boot shared tail of a
 * pre-HVO page too (why boot_get_tail leaves it uninitialised).  Past
 * first_deferred_pfn nothing writes the tails of a bootmem page: its
 * private vmemmap keeps the poison memblock left (page_init_poison), the
 * shared tail its zeros.  The head is reserve_bootmem_region's. */
static void boot_memmap_init(struct hvo_machine *m)
{
	for (unsigned i = 0; i < m->nr_bootmem; i++) {
		struct bootmem *b = &m->bootmem[i];
		uint64_t end = (b->flags & BOOTMEM_HVO) ? m->geo.reserve_pages : nr_pages(b);
		uint64_t fd = first_deferred_pfn(m, b->node), early = nr_pages(b);

		if (b->flags & BOOTMEM_FREED)
			continue;
		if (fd < b->pfn + early)
			early = fd > b->pfn ? fd - b->pfn : 0;
		if (early)
			write_struct_pages(m, b->pfn, early, init_page_img, NULL);
		if (end > early && end > 1)
			write_struct_pages(m, b->pfn + (early > 1 ? early : 1), end - (early > 1 ? early : 1), poison_img,
					   NULL);
	}
}

/* hugetlb_vmemmap_init_tails(): init_compound_tail on every struct page of
 * every published tail before anything reads tail struct pages (B9), over
 * whatever memmap_init wrote through it (D12: lru.prev and last_cpupid
 * stay). */
static void boot_init_tails(struct hvo_machine *m)
{
	unsigned sps = m->geo.struct_page_size;

	for (unsigned n = 0; n < m->cfg.nr_nodes; n++)
		for (int z = 0; z < HVO_NR_ZONES; z++)
			for (unsigned i = 0; i < m->geo.nr_vmemmap_tails; i++) {
				uint64_t t = m->zhvo[n][z].tails[i];
				uint8_t *bytes;
				bool sealed;

				if (!t)
					continue;
				/* B9 only (after gather): a tail published at run time is
				 * sealed already; the kernel writes it through the direct
				 * map, which the host seal (D13) would turn into a raw
				 * SEGV instead of the I15 the mutant is caught by. */
				sealed = phys_frame_sealed(m->phys, t - 1);
				if (sealed)
					phys_frame_unseal(m->phys, t - 1);
				bytes = phys_frame(m->phys, t - 1, false);
				for (uint64_t off = 0; bytes && off + sps <= m->geo.page_size; off += sps)
					init_compound_tail(m, n, z, m->geo.tail_min_order + i, 0, bytes + off);
				if (sealed)
					phys_frame_seal(m->phys, t - 1);
			}
}

/* Read the struct page of every pageblock start of [pfn, pfn + nr) the way
 * init_migratetype and set_zone_contiguous do: each must be initialised and
 * name a zone (of a node) that spans the pfn (I15; VM_BUG_ON_PAGE in B9).
 * A span, as the kernel tests it: that the pfn's own zone is another one
 * under kernelcore=mirror is the checker's to judge (I15, check.c). */
static void read_pageblocks(struct hvo_machine *m, uint64_t pfn, uint64_t nr, const char *who)
{
	unsigned pb_order = 21 - m->geo.page_shift;

	for (uint64_t p = pfn; p < pfn + nr; p += 1ull << pb_order) {
		uint64_t flags = vm_read64(m, page_vaddr(m, p) + PO_FLAGS), zs, ze;
		int zone = (int)(flags >> FLAGS_ZONE_SHIFT & FLAGS_ZONE_MASK);
		int node = (int)(flags >> FLAGS_NODE_SHIFT & FLAGS_NODE_MASK);

		if (flags == UINT64_MAX) {
			hvo_violate(m, 15, p, -1, "%s reads the uninitialised (poisoned) struct page of pfn 0x%llx", who,
				    (unsigned long long)p);
			return;
		}
		/* zone_spans_pfn(page_zone(page), pfn): with interleaved zones
		 * (kernelcore=mirror) a zone spans pfns of the other one */
		if (!phys_zone_span(m->phys, (unsigned)node, zone, &zs, &ze) || p < zs || p >= ze) {
			hvo_violate(m, 15, p, -1, "%s: struct page of pfn 0x%llx names node %d zone %s, the pfn is in "
				    "node %d zone %s", who, (unsigned long long)p, node, hvo_zone_name(zone),
				    phys_node_of(m->phys, p), hvo_zone_name(phys_zone_of(m->phys, p)));
			return;
		}
	}
}

/* page_alloc_init_late() -> set_zone_contiguous(): memmap that was never
 * written is only found where the bootmem pages are. */
static void boot_zone_contiguous(struct hvo_machine *m)
{
	for (unsigned i = 0; i < m->nr_bootmem; i++)
		if (!(m->bootmem[i].flags & BOOTMEM_FREED))
			read_pageblocks(m, m->bootmem[i].pfn, nr_pages(&m->bootmem[i]), "set_zone_contiguous");
}

/* Write-protect the vmemmap PTEs of [start, end), no flush: the caller's
 * batch flushes (D10: until then each is a stale writable translation). */
void g2_vmemmap_wrprotect_hvo(struct hvo_machine *m, uint64_t start, uint64_t end)
{
	uint64_t psz = m->geo.page_size;

	for (uint64_t va = start; va < end; va += psz) {
		uint64_t *slot = vm_pte_slot(m, va);

		if (slot && (*slot & PTE_PRESENT))
			vm_set_pte(m, slot, va, *slot & ~PTE_RW);
	}
}

/* A folio left partially optimized (the rollback failed too: INCOMPLETE)
 * keeps its flag, so "initialise the tails if HVO failed" skips it, and the
 * slots still writable keep the memblock poison.  INCOMPLETE exists in no
 * baseline (only linux-mm's newest arm64 tree has it) and the model repairs
 * those slots here, which no kernel does (issue 13 D9); the variant
 * LMM-incomplete-gather mirrors that tree, where the next read of one is
 * a violation (finding S2). */
static void init_unremapped_tails(struct hvo_machine *m, const struct folio *f)
{
	uint64_t per = m->geo.reserve_pages, n = hvo_geo_vmemmap_pages(&m->geo, f->order), frame;
	bool rw;

	for (uint64_t i = 1; i < n; i++)
		if (vm_translate(m, page_vaddr(m, f->pfn) + i * m->geo.page_size, &frame, &rw) && rw)
			prep_hugetlb_range(m, f, i * per, (i + 1) * per);
}

/* gather_bootmem_prealloc_node: node n's bootmem pages become folios,
 * appended to fs.  locked: nodes gather at once (hvo_boot_gather_node), so
 * the folio table is taken under hugetlb_lock. */
static void gather_collect(struct hvo_machine *m, unsigned n, struct folio **fs, unsigned *k, bool locked)
{
	for (unsigned i = 0; i < m->nr_bootmem; i++) {
		struct bootmem *b = &m->bootmem[i];
		int32_t id;

		if (b->node != n || (b->flags & BOOTMEM_FREED))
			continue;
		if (!zones_valid(m, b)) {
			/* hugetlb_bootmem_free_invalid_page: initialised, then to the buddy */
			reset_struct_pages(m, b->pfn, nr_pages(b));
			mach_free(m, b->pfn, b->order);
			b->flags |= BOOTMEM_FREED;
			continue;
		}
		if (locked)
			mlock(m, HVO_LOCK_HUGETLB);
		id = folio_new(m, b->pfn, b->order);
		if (locked)
			munlock(m, HVO_LOCK_HUGETLB);
		if (id < 0)
			continue;   /* host OOM */
		/* hugetlb_folio_init_vmemmap: head and tails [1, RESERVE_PAGES) */
		prep_hugetlb_range(m, folio_at(m, id), 0, m->geo.reserve_pages);
		/* the batch write-protects its tail slots (2.7) */
		if (b->flags & BOOTMEM_HVO)
			folio_set_optimized(m, folio_at(m, id), true);
		fs[(*k)++] = folio_at(m, id);
	}
}

/* prep_and_add_bootmem_folios after the batch optimize. */
static void gather_prep(struct hvo_machine *m, struct folio **fs, unsigned k, bool locked)
{
	for (unsigned i = 0; i < k; i++) {
		struct folio *f = fs[i];

		/* "If HVO fails, initialize all tail struct pages" */
		if (!folio_optimized(m, f))
			prep_hugetlb_range(m, f, m->geo.reserve_pages, 1ull << f->order);
		else if (!hook_gather_without_tail_repair(m))
			init_unremapped_tails(m, f);
		read_pageblocks(m, f->pfn, 1ull << f->order, "init_migratetype");
		if (locked)
			mlock(m, HVO_LOCK_HUGETLB);
		shadow_add(m->shadow, f->id, f->pfn, f->order, -1);
		shadow_set_optimized(m->shadow, f->id, folio_optimized(m, f));
		account_new_hugetlb_folio(m, f);
		if (locked)
			munlock(m, HVO_LOCK_HUGETLB);
	}
}

/* gather_bootmem_prealloc + prep_and_add_bootmem_folios, one node after the
 * other, one batch for all (hvo_boot_gather_node is the kernel's per-node
 * parallel form: the nodes touch disjoint state). */
static void boot_gather(struct hvo_machine *m)
{
	struct folio *fs[HVO_MAX_BOOTMEM];
	unsigned k = 0;

	for (unsigned n = 0; n < m->cfg.nr_nodes; n++)
		gather_collect(m, n, fs, &k, false);
	/* Batch optimize in boot mode: pre-HVO'd folios are write-protected. */
	g2_optimize_bootmem_folios(m, fs, k);
	gather_prep(m, fs, k, false);
}

void hvo_boot_gather_node(struct hvo_machine *m, unsigned node)
{
	struct folio *fs[HVO_MAX_BOOTMEM];
	unsigned k = 0;

	if (!m->cfg.gather_by_caller || node >= m->cfg.nr_nodes)
		return;
	gather_collect(m, node, fs, &k, true);
	g2_optimize_bootmem_folios(m, fs, k);
	gather_prep(m, fs, k, true);
}

/* What follows gather: tails (B9), the zone-contiguity scan, sealing. */
static void boot_after_gather(struct hvo_machine *m)
{
	if (hook_boot_tails_after_gather(m))
		boot_init_tails(m);        /* B9: the late_initcall of v7.1 */
	if (!hook_zone_contiguity_before_gather(m))
		boot_zone_contiguous(m);
	/* Every tail slot is read-only now: stray host writes must fault. */
	for (unsigned n = 0; n < m->cfg.nr_nodes; n++)
		for (int z = 0; z < HVO_NR_ZONES; z++)
			for (unsigned i = 0; i < m->geo.nr_vmemmap_tails; i++)
				if (m->zhvo[n][z].tails[i])
					phys_frame_seal(m->phys, m->zhvo[n][z].tails[i] - 1);
}

void boot_finish(struct hvo_machine *m)
{
	if (!m->nr_bootmem)
		return;
	boot_memmap_init(m);
	if (hook_zone_contiguity_before_gather(m))
		boot_zone_contiguous(m);   /* B11: before gather initialised the memmap */
	if (!hook_boot_tails_after_gather(m))
		boot_init_tails(m);
	if (m->cfg.gather_by_caller)
		return;
	boot_gather(m);
	boot_after_gather(m);
}

void hvo_boot_finish(struct hvo_machine *m)
{
	if (m->nr_bootmem && m->cfg.gather_by_caller)
		boot_after_gather(m);
}

void hvo_boot_counters(const struct hvo_machine *m, struct hvo_boot_counters *out)
{
	memset(out, 0, sizeof(*out));
	out->nrinvalid = m->boot_nrinvalid;
	for (unsigned i = 0; i < m->nr_bootmem; i++) {
		out->freed += !!(m->bootmem[i].flags & BOOTMEM_FREED);
		out->prehvo += (m->bootmem[i].flags & (BOOTMEM_HVO | BOOTMEM_FREED)) == BOOTMEM_HVO;
	}
}
