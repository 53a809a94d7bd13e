// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmemmap.c - the vmemmap virtual range and its kernel page tables.
 *
 * One PMD entry per 2^pmd_shift bytes of vmemmap: none, a leaf mapping a
 * naturally aligned block of frames RW (the boot default where a section's
 * vmemmap covers whole PMDs), or a PTE table with per-page RW/RO entries.
 * Aliasing is real: every address that maps a frame sees its one buffer.
 * The TLB is a list of replaced translations that stay usable until a
 * flush covers them; freeing such a page is I12.  The simulated CPUs' own
 * TLBs, when the backend has them, are tlb_cpu.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static inline uint64_t pmd_index(const struct hvo_machine *m, uint64_t vaddr)
{
	return (vaddr - m->vbase) >> m->geo.pmd_shift;
}

static inline uint64_t pte_index(const struct hvo_machine *m, uint64_t vaddr)
{
	return ((vaddr - m->vbase) >> m->geo.page_shift) & (m->ptrs_per_table - 1);
}

static struct pte_table *table_new(struct hvo_machine *m, uint64_t table_pfn)
{
	struct pte_table *t = malloc(sizeof(*t));

	if (!t)
		return NULL;
	t->pte = calloc(m->ptrs_per_table, sizeof(uint64_t));
	if (!t->pte) {
		free(t);
		return NULL;
	}
	t->table_pfn = table_pfn;
	__atomic_fetch_add(&m->nr_pte_tables, 1, __ATOMIC_RELAXED);
	return t;
}

static void table_release(struct pte_table *t)
{
	free(t->pte);
	free(t);
}

static void table_free(struct hvo_machine *m, struct pte_table *t)
{
	table_release(t);
	__atomic_fetch_sub(&m->nr_pte_tables, 1, __ATOMIC_RELAXED);
}

/* B5 only: a table another CPU installed is overwritten.  Its page stays
 * allocated, unmapped (the kernel leaks it: I17), and a CPU that found a slot
 * in it before the overwrite may still store there, so its host memory
 * lives on until the machine goes. */
static void table_orphan(struct hvo_machine *m, struct pte_table *t)
{
	t->next_orphan = m->orphan_tables;
	m->orphan_tables = t;
	__atomic_fetch_sub(&m->nr_pte_tables, 1, __ATOMIC_RELAXED);
}

static int boot_alloc(struct hvo_machine *m, unsigned node, unsigned order, uint64_t *pfn)
{
	if (mach_should_fail(m, HVO_SITE_MEMBLOCK))
		return -HVO_ENOMEM;
	return phys_memblock_alloc(m->phys, HVO_SITE_MEMBLOCK, node, order, pfn);
}

/* The PTE slot for vaddr, with a PTE table when the PMD has none yet: from
 * the boot allocator before SMP (plain store), else from the buddy
 * allocator at the pte_table site, published with a release store.  NULL
 * with *rc on failure or under a leaf. */
static uint64_t *pte_slot_alloc(struct hvo_machine *m, unsigned node, uint64_t vaddr, bool boot, int *rc)
{
	struct pmd *pmd = &m->pmd[pmd_index(m, vaddr)];
	uint64_t table;

	*rc = 0;
	if (pmd->val == PMD_LEAF) {
		*rc = -HVO_EINVAL;
		return NULL;
	}
	if (pmd->val == PMD_NONE) {
		*rc = boot ? boot_alloc(m, node, 0, &table)
			   : mach_alloc(m, HVO_SITE_PTE_TABLE, node, -1, 0, PHYS_GFP_KERNEL, &table);
		if (*rc)
			return NULL;
		pmd->table = table_new(m, table);
		if (!pmd->table) {
			if (!boot)
				mach_free(m, table, 0);
			*rc = -HVO_ENOMEM;
			return NULL;
		}
		if (boot) {
			pmd->val = PMD_TABLE;
		} else {
			sync_point(m, HVO_SP_PMD_SET, "vmemmap_pmd_populate");
			__atomic_store_n(&pmd->val, PMD_TABLE, __ATOMIC_RELEASE);
		}
	}
	return &pmd->table->pte[pte_index(m, vaddr)];
}

/* Boot population of one section's vmemmap from the boot allocator
 * (__populate_section_memmap).  It charges nothing: its callers charge the
 * kernel's formulas (TRACEABILITY D3). */
static int populate_range(struct hvo_machine *m, unsigned node, uint64_t vstart, uint64_t vend)
{
	uint64_t psz = m->geo.page_size, pmd_size = 1ull << m->geo.pmd_shift;
	uint64_t va = vstart & ~(psz - 1);

	while (va < vend) {
		struct pmd *pmd = &m->pmd[pmd_index(m, va)];
		uint64_t pmd_start = m->vbase + (pmd_index(m, va) << m->geo.pmd_shift);
		uint64_t pfn;
		int rc;

		if (pmd->val == PMD_LEAF) {
			va = pmd_start + pmd_size;
			continue;
		}
		if (pmd->val == PMD_NONE && va == pmd_start && vend - va >= pmd_size) {
			rc = boot_alloc(m, node, m->pmd_order, &pfn);
			if (rc)
				return rc;
			pmd->leaf_pfn = pfn;
			pmd->val = PMD_LEAF;
			va += pmd_size;
			continue;
		}
		uint64_t *slot = pte_slot_alloc(m, node, va, true, &rc);
		if (!slot)
			return rc;
		if (!(*slot & PTE_PRESENT)) {
			rc = boot_alloc(m, node, 0, &pfn);
			if (rc)
				return rc;
			*slot = mk_pte(pfn, true);
		}
		va += psz;
	}
	return 0;
}

int vmemmap_populate(struct hvo_machine *m, unsigned node, uint64_t vstart, uint64_t vend)
{
	return populate_range(m, node, vstart, vend);
}

/* Boot: map one vmemmap page at vaddr to pfn through a PTE table (plain
 * stores, nothing runs concurrently before SMP). */
int vmemmap_map_boot_page(struct hvo_machine *m, unsigned node, uint64_t vaddr, uint64_t pfn, bool rw)
{
	int rc;
	uint64_t *slot = pte_slot_alloc(m, node, vaddr, true, &rc);

	if (!slot)
		return rc;
	*slot = mk_pte(pfn, rw);
	return 0;
}

void vmemmap_unmap_boot_page(struct hvo_machine *m, uint64_t vaddr)
{
	uint64_t *slot = vm_pte_slot(m, vaddr);

	if (slot)
		*slot = 0;
}

/* A hot-added memmap_on_memory section (mhp_init_memmap_on_memory): its
 * vmemmap is its own first pages (the altmap), recorded with origin ALTMAP,
 * the model's PageVmemmapSelfHosted; populate_section_memmap charges
 * section_nr_vmemmap_pages, the full memmap, as vmemmap_can_optimize refuses
 * an altmap.  The model adds the node before the first op (TRACEABILITY D4). */
static int populate_self_hosted(struct hvo_machine *m, unsigned node, uint64_t spfn, uint64_t sec)
{
	const struct hvo_geometry *g = &m->geo;
	uint64_t vs = page_vaddr(m, spfn), nr = (sec * g->struct_page_size + g->page_size - 1) / g->page_size;
	int rc = phys_altmap_reserve(m->phys, spfn, nr);

	for (uint64_t i = 0; !rc && i < nr; i++)
		rc = vmemmap_map_boot_page(m, node, vs + i * g->page_size, spfn + i, true);
	if (!rc)
		memmap_charge(m, vs, page_vaddr(m, spfn + sec), false, (int64_t)nr, node);
	return rc;
}

/* A vmemmap page table for a hot-added section, from the buddy (plain
 * stores: the model hot-adds before the first op, nothing runs beside).
 * Site memblock, as every allocation of the creation-time population: a
 * failure there is a boot failure (exec_setup), and pte_table's calls
 * stay HVO's own. */
static uint64_t *hot_pte_slot(struct hvo_machine *m, unsigned node, uint64_t vaddr, int *rc)
{
	struct pmd *pmd = &m->pmd[pmd_index(m, vaddr)];
	uint64_t table;

	if (pmd->val == PMD_NONE) {
		*rc = mach_alloc(m, HVO_SITE_MEMBLOCK, node, -1, 0, PHYS_GFP_KERNEL, &table);
		if (*rc)
			return NULL;
		pmd->table = table_new(m, table);
		if (!pmd->table) {
			mach_free(m, table, 0);
			*rc = -HVO_ENOMEM;
			return NULL;
		}
		pmd->val = PMD_TABLE;
	}
	return &pmd->table->pte[pte_index(m, vaddr)];
}

/* A section hot-added with memmap_on_memory=0, after slab is up
 * (__populate_section_memmap -> vmemmap_populate, x86's
 * vmemmap_populate_hugepages): each PMD of vmemmap the section covers whole
 * is one non-compound order-PMD block from vmemmap_alloc_block()'s
 * alloc_pages_node(node, GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN),
 * mapped by a leaf; the pages are not PG_reserved (origin BUDDY), so HVO's
 * split must split_page() the block (H4).  The node's own memory is not
 * online yet (phys_online_node follows), so the block comes from the next
 * node with memory, as the zonelist of a memoryless node falls back
 * (build_zonelists prefers the nodes after it; the model's fallback is
 * node id order from node).  A failed block falls back to base pages
 * (vmemmap_populate_basepages), as do parts of a PMD.  Site memblock: the
 * machine-creation population site.  populate_section_memmap charges
 * DIV_ROUND_UP(PAGES_PER_SECTION * sizeof(struct page), PAGE_SIZE) to
 * NR_MEMMAP (the buddy counter; D3). */
static int populate_hot_added(struct hvo_machine *m, unsigned node, uint64_t spfn, uint64_t sec)
{
	const struct hvo_geometry *g = &m->geo;
	uint64_t psz = g->page_size, pmd_size = 1ull << g->pmd_shift;
	uint64_t vs = page_vaddr(m, spfn), ve = page_vaddr(m, spfn + sec), va = vs & ~(psz - 1);

	while (va < ve) {
		struct pmd *pmd = &m->pmd[pmd_index(m, va)];
		uint64_t pmd_start = m->vbase + (pmd_index(m, va) << g->pmd_shift);
		uint64_t pfn, *slot;
		int rc;

		if (pmd->val == PMD_LEAF) {
			va = pmd_start + pmd_size;
			continue;
		}
		if (pmd->val == PMD_NONE && va == pmd_start && ve - va >= pmd_size &&
		    !mach_alloc(m, HVO_SITE_MEMBLOCK, node, -1, m->pmd_order, PHYS_GFP_KERNEL, &pfn)) {
			pmd->leaf_pfn = pfn;
			pmd->val = PMD_LEAF;
			va += pmd_size;
			continue;
		}
		slot = hot_pte_slot(m, node, va, &rc);
		if (!slot)
			return rc;
		if (!(*slot & PTE_PRESENT)) {
			rc = mach_alloc(m, HVO_SITE_MEMBLOCK, node, -1, 0, PHYS_GFP_KERNEL, &pfn);
			if (rc)
				return rc;
			*slot = mk_pte(pfn, true);
		}
		va += psz;
	}
	memmap_charge(m, vs, ve, false, (int64_t)((sec * g->struct_page_size + psz - 1) / psz), node);
	return 0;
}

int vmemmap_hot_add(struct hvo_machine *m, char *err, size_t errlen)
{
	uint64_t sec = 1ull << (m->geo.section_shift - m->geo.page_shift);

	for (unsigned n = 0; n < m->cfg.nr_nodes; n++) {
		const struct hvo_node_config *nc = &m->cfg.node[n];
		int rc = 0;

		if (!nc->hotplug)
			continue;
		for (uint64_t s = nc->start_pfn; !rc && s < nc->start_pfn + nc->nr_pages; s += sec)
			rc = populate_hot_added(m, n, s, sec);
		if (!rc)
			rc = phys_online_node(m->phys, n);   /* online_pages */
		if (rc) {
			snprintf(err, errlen, "node %u: out of memory hot-adding its vmemmap", n);
			return rc;
		}
	}
	return 0;
}

/* Hot-remove of a hotplug=1 node whose memory is offline
 * (sparse_remove_section -> section_deactivate -> depopulate_section_memmap):
 * memmap_pages_add(-DIV_ROUND_UP(PAGES_PER_SECTION * sizeof(struct page),
 * PAGE_SIZE)) per section, then vmemmap_free: a PMD leaf goes back as its
 * order-PMD block, each PTE's page as an order-0 page (HVO's split made
 * them order-0 allocations; under H4 that free is I23), an emptied PTE
 * table with it.  x86's remove_pagetable frees as it walks and flushes the
 * TLB once at the end, since nothing can reach the memmap of offline
 * memory; the model clears every entry, flushes, then frees, so that I12
 * keeps its meaning for every other free. */
void vmemmap_hot_remove(struct hvo_machine *m, unsigned node)
{
	const struct hvo_geometry *g = &m->geo;
	const struct hvo_node_config *nc = &m->cfg.node[node];
	uint64_t psz = g->page_size, pmd_size = 1ull << g->pmd_shift;
	uint64_t sec = 1ull << (g->section_shift - g->page_shift);
	uint64_t vs = page_vaddr(m, nc->start_pfn), ve = page_vaddr(m, nc->start_pfn + nc->nr_pages);
	uint64_t *pfn, nr = 0, cap = 64;
	unsigned *order;

	for (uint64_t s = nc->start_pfn; s < nc->start_pfn + nc->nr_pages; s += sec)
		memmap_charge(m, page_vaddr(m, s), page_vaddr(m, s + sec), false,
			      -(int64_t)((sec * g->struct_page_size + psz - 1) / psz), node);
	pfn = malloc(cap * sizeof(*pfn));
	order = malloc(cap * sizeof(*order));
	if (!pfn || !order)
		abort();   /* host OOM */
	for (uint64_t va = vs & ~(psz - 1); va < ve;) {
		struct pmd *pmd = &m->pmd[pmd_index(m, va)];
		uint64_t pmd_start = m->vbase + (pmd_index(m, va) << g->pmd_shift), *slot;

		if (nr + 1 >= cap) {
			cap *= 2;
			pfn = realloc(pfn, cap * sizeof(*pfn));
			order = realloc(order, cap * sizeof(*order));
			if (!pfn || !order)
				abort();
		}
		if (pmd->val == PMD_LEAF) {
			/* a leaf is a whole PMD of this node's sections (populate_hot_added) */
			pfn[nr] = pmd->leaf_pfn;
			order[nr++] = m->pmd_order;
			track_vaddrs(m, pmd_start, pmd_start + pmd_size);
			sync_point(m, HVO_SP_PMD_SET, "vmemmap_free.pmd_clear");
			__atomic_store_n(&pmd->val, PMD_NONE, __ATOMIC_RELEASE);
			va = pmd_start + pmd_size;
			continue;
		}
		slot = vm_pte_slot(m, va);
		if (slot && (*slot & PTE_PRESENT)) {
			pfn[nr] = pte_pfn(*slot);
			order[nr++] = 0;
			vm_set_pte(m, slot, va, 0);
		}
		va += psz;
	}
	flush_tlb_range(m, vs & ~(pmd_size - 1), (ve + pmd_size - 1) & ~(pmd_size - 1));
	for (uint64_t i = 0; i < nr; i++)
		mach_free(m, pfn[i], order[i]);
	for (uint64_t va = vs & ~(pmd_size - 1); va < ve; va += pmd_size)
		vm_pte_table_release(m, va);   /* only a table left empty */
	free(pfn);
	free(order);
}

int vmemmap_init(struct hvo_machine *m, char *err, size_t errlen)
{
	const struct hvo_geometry *g = &m->geo;
	uint64_t sec = 1ull << (g->section_shift - g->page_shift);

	m->ptrs_per_table = g->page_size / 8;
	m->pmd_order = g->pmd_shift - g->page_shift;
	m->max_pfn = phys_max_pfn(m->phys);
	m->nr_pmd = ((m->max_pfn * g->struct_page_size) >> g->pmd_shift) + 1;
	m->pmd = calloc(m->nr_pmd, sizeof(*m->pmd));
	if (!m->pmd) {
		snprintf(err, errlen, "out of host memory for %llu PMDs", (unsigned long long)m->nr_pmd);
		return -HVO_ENOMEM;
	}
	for (unsigned n = 0; n < m->cfg.nr_nodes; n++) {
		const struct hvo_node_config *nc = &m->cfg.node[n];

		if (nc->hotplug)
			continue;   /* hot-added after boot: vmemmap_hot_add */
		for (uint64_t s = nc->start_pfn; s < nc->start_pfn + nc->nr_pages; s += sec) {
			int rc;

			/* SECTION_IS_VMEMMAP_PREINIT: the boot HVO code populates it (2.8). */
			if (boot_section_preinit(m, s))
				continue;
			if (nc->memmap_on_memory) {
				rc = populate_self_hosted(m, n, s, sec);
				if (rc) {
					snprintf(err, errlen, "node %u: out of memory hot-adding section 0x%llx", n,
						 (unsigned long long)s);
					return rc;
				}
				continue;
			}
			rc = populate_range(m, n, page_vaddr(m, s), page_vaddr(m, s + sec));

			if (rc) {
				snprintf(err, errlen, "boot allocator out of memory populating the vmemmap of node %u", n);
				return rc;
			}
			/* sparse_init_nid: DIV_ROUND_UP(PAGES_PER_SECTION * sizeof(struct page), PAGE_SIZE) */
			memmap_charge(m, page_vaddr(m, s), page_vaddr(m, s + sec), true,
				      (int64_t)((sec * g->struct_page_size + g->page_size - 1) / g->page_size), n);
		}
	}
	return 0;
}

void vmemmap_destroy(struct hvo_machine *m)
{
	tlb_cpu_destroy(m);
	for (uint64_t i = 0; m->pmd && i < m->nr_pmd; i++)
		if (m->pmd[i].val == PMD_TABLE)
			table_free(m, m->pmd[i].table);
	while (m->orphan_tables) {
		struct pte_table *t = m->orphan_tables;

		m->orphan_tables = t->next_orphan;
		table_release(t);
	}
	free(m->pmd);
	m->pmd = NULL;
}

/* A translation as a value: the readers below then keep nothing
 * address-taken on their stack, which under ASan costs a fake stack frame
 * per call (use-after-return detection): 5 to 15% of the op-stream fuzz
 * targets' time went to those frames (issue 16). */
struct xlate {
	uint64_t frame;
	bool ok, rw;
};

static inline __attribute__((always_inline)) struct xlate pt_xlate(const struct hvo_machine *m, uint64_t vaddr)
{
	struct xlate x = { 0, false, false };
	uint64_t idx;
	const struct pmd *pmd;

	if (vaddr < m->vbase)
		return x;
	idx = pmd_index(m, vaddr);
	if (idx >= m->nr_pmd)
		return x;
	pmd = &m->pmd[idx];
	switch (__atomic_load_n(&pmd->val, __ATOMIC_ACQUIRE)) {
	case PMD_LEAF:
		x.frame = pmd->leaf_pfn + (((vaddr - m->vbase) >> m->geo.page_shift) & ((1ull << m->pmd_order) - 1));
		x.ok = x.rw = true;
		return x;
	case PMD_TABLE: {
		uint64_t pte = __atomic_load_n(&pmd->table->pte[pte_index(m, vaddr)], __ATOMIC_ACQUIRE);

		if (!(pte & PTE_PRESENT))
			return x;
		x.frame = pte_pfn(pte);
		x.rw = pte & PTE_RW;
		x.ok = true;
		return x;
	}
	default:
		return x;
	}
}

bool vm_translate(const struct hvo_machine *m, uint64_t vaddr, uint64_t *frame, bool *rw)
{
	struct xlate x = pt_xlate(m, vaddr);

	if (!x.ok)
		return false;
	*frame = x.frame;
	*rw = x.rw;
	return true;
}

uint64_t *vm_pte_slot(struct hvo_machine *m, uint64_t vaddr)
{
	uint64_t idx = pmd_index(m, vaddr);

	if (vaddr < m->vbase || idx >= m->nr_pmd || __atomic_load_n(&m->pmd[idx].val, __ATOMIC_ACQUIRE) != PMD_TABLE)
		return NULL;
	return &m->pmd[idx].table->pte[pte_index(m, vaddr)];
}

void init_single_page(const struct hvo_machine *m, uint64_t pfn, uint8_t *buf)
{
	int zone, node = phys_node_zone(m->phys, pfn, &zone);
	uint64_t flags = node >= 0 ? page_flags_init((unsigned)node, zone) : 0;
	uint64_t lru = page_vaddr(m, pfn) + PO_INFO;   /* INIT_LIST_HEAD(&page->lru) */
	int32_t mapcount = -1, refcount = 1;

	memset(buf, 0, m->geo.struct_page_size);   /* mm_zero_struct_page */
	memcpy(buf + PO_FLAGS, &flags, 8);
	memcpy(buf + PO_INFO, &lru, 8);
	memcpy(buf + PO_LRU_PREV, &lru, 8);
	memcpy(buf + PO_MAPCOUNT, &mapcount, 4);
	memcpy(buf + PO_REFCOUNT, &refcount, 4);
}

void memmap_init_page(const struct hvo_machine *m, uint64_t pfn, uint8_t *buf)
{
	int zone, node = phys_node_zone(m->phys, pfn, &zone);  /* one lookup: a boot writes every page */
	int32_t mapcount = -1, refcount = 0;

	if (zone == HVO_ZONE_DEVICE) {
		/* __init_zone_device_page(): device pages are PG_reserved;
		 * dax.c's zone_device_img adds last_cpupid and the pgmap /
		 * zone_device_data pair over lru (D12).  Refcount 0 here, where
		 * a MEMORY_DEVICE_GENERIC head keeps __init_single_page's 1. */
		uint64_t flags = page_flags_nodezone((unsigned)node, zone) | 1ull << PG_RESERVED;

		memset(buf, 0, m->geo.struct_page_size);
		memcpy(buf + PO_FLAGS, &flags, 8);
		memcpy(buf + PO_MAPCOUNT, &mapcount, 4);
		return;
	}
	init_single_page(m, pfn, buf);
	/* __free_pages_core(): set_page_count(p, 0) on every page */
	memcpy(buf + PO_REFCOUNT, &refcount, 4);
}

/* Fill a never-touched population frame with what memmap_init wrote there. */
static void materialise(const struct hvo_machine *m, uint64_t page_va, uint8_t *bytes)
{
	unsigned sps = m->geo.struct_page_size;
	uint64_t psz = m->geo.page_size;
	uint64_t pfn = (page_va - m->vbase) / sps;
	uint8_t img[256];

	for (; page_vaddr(m, pfn) < page_va + psz; pfn++) {
		uint64_t sva = page_vaddr(m, pfn);
		uint64_t from = sva < page_va ? page_va - sva : 0;
		uint64_t to = sva + sps > page_va + psz ? page_va + psz - sva : sps;

		memmap_init_page(m, pfn, img);
		memcpy(bytes + (sva + from - page_va), img + from, to - from);
	}
}

static __attribute__((noinline)) uint8_t *frame_materialise(struct hvo_machine *m, uint64_t page_va, uint64_t frame)
{
	uint8_t *b = phys_frame(m->phys, frame, true);

	if (b)
		materialise(m, page_va, b);
	return b;
}

static inline uint8_t *frame_bytes(struct hvo_machine *m, uint64_t page_va, uint64_t frame)
{
	uint8_t *b = phys_frame(m->phys, frame, false);

	return b ? b : frame_materialise(m, page_va, frame);
}

/* Through the page tables, or (via_tlb) the running CPU's TLB. */
static inline uint8_t *page_bytes(struct hvo_machine *m, uint64_t vaddr, uint64_t *frame, bool *rw, bool via_tlb)
{
	uint64_t page_va = vaddr & ~(m->geo.page_size - 1);

	if (!(via_tlb ? tlb_cpu_translate(m, page_va, frame, rw) : vm_translate(m, page_va, frame, rw)))
		return NULL;
	return frame_bytes(m, page_va, *frame);
}

uint8_t *vm_page_bytes(struct hvo_machine *m, uint64_t vaddr, uint64_t *frame, bool *rw)
{
	return page_bytes(m, vaddr, frame, rw, false);
}

uint8_t *vm_cpu_page_bytes(struct hvo_machine *m, uint64_t vaddr, uint64_t *frame, bool *rw)
{
	return page_bytes(m, vaddr, frame, rw, tlb_cpu_enabled(m));
}

/* Weak memory (issue 17; fuzz/WEAK.md): a read through the vmemmap reads
 * its PTE (the page-table walk, then an address dependency: ordered like an
 * acquire of the latest PTE), then the page's contents, which a CPU that
 * has not seen their publication reads as before it: the zeroed page the
 * allocator handed out (the frames the model publishes are fresh). */
static uint8_t stale_page[1u << 16];

static bool weak_view(struct hvo_machine *m, uint64_t page_va, uint64_t frame)
{
	const uint64_t *slot = vm_pte_slot(m, page_va);

	if (slot) {
		uint64_t pte = __atomic_load_n(slot, __ATOMIC_RELAXED);

		if ((pte & PTE_PRESENT) && pte_pfn(pte) == frame)
			(void)weak_load(m, slot, pte, HVO_MO_ACQUIRE | HVO_MO_LATEST);
	}
	return m->geo.page_size > sizeof(stale_page) || frame_contents_seen(m, frame);
}

/* The bytes of the struct page at vaddr through the running CPU's view,
 * checked for the access.  whole: the caller overwrites the whole vmemmap
 * page, so a never-touched frame is made without what memmap_init wrote
 * there (materialise), unless the write is refused and the frame stays. */
/* The running CPU's TLB (tlb_cpu.c), out of line: only the scheduler's
 * TLB model takes this path, so the page-table one stays frame-free. */
static __attribute__((noinline)) struct xlate cpu_xlate(struct hvo_machine *m, uint64_t page_va)
{
	struct xlate x = { 0, false, false };

	x.ok = tlb_cpu_translate(m, page_va, &x.frame, &x.rw);
	return x;
}

/* The bytes of the struct page at vaddr through the running CPU's view,
 * checked for the access.  whole: the caller overwrites the whole vmemmap
 * page, so a never-touched frame is made without what memmap_init wrote
 * there (materialise), unless the write is refused and the frame stays. */
static uint8_t *field_for(struct hvo_machine *m, uint64_t vaddr, bool write, bool whole)
{
	uint64_t page_va = vaddr & ~(m->geo.page_size - 1);
	struct xlate x = tlb_cpu_enabled(m) ? cpu_xlate(m, page_va) : pt_xlate(m, page_va);
	bool fresh = false;
	uint8_t *b = NULL;

	if (x.ok) {
		b = phys_frame(m->phys, x.frame, false);
		if (!b && whole)
			fresh = (b = phys_frame(m->phys, x.frame, true)) != NULL;
		else if (!b)
			b = frame_materialise(m, page_va, x.frame);
	}
	if (!b) {
		hvo_violate(m, 0, UINT64_MAX, -1, "access to unmapped vmemmap address 0x%llx",
			    (unsigned long long)vaddr);
		return NULL;
	}
	if (!write && weak_mode(m) && !weak_view(m, page_va, x.frame))
		return stale_page + (vaddr & (m->geo.page_size - 1));
	if (write && (!x.rw || phys_frame_sealed(m->phys, x.frame))) {
		if (fresh)
			materialise(m, page_va, b);
		hvo_violate(m, 10, (vaddr - m->vbase) / m->geo.struct_page_size, -1,
			    "write to read-only struct page at 0x%llx (frame 0x%llx, %s)",
			    (unsigned long long)vaddr, (unsigned long long)x.frame,
			    x.rw ? "writable alias of a shared tail" : "RO PTE");
		return NULL;
	}
	return b + (vaddr & (m->geo.page_size - 1));
}

static uint8_t *field(struct hvo_machine *m, uint64_t vaddr, bool write)
{
	return field_for(m, vaddr, write, false);
}

uint64_t vm_read64(struct hvo_machine *m, uint64_t vaddr)
{
	uint8_t *p = field(m, vaddr, false);

	return p ? __atomic_load_n((uint64_t *)(void *)p, __ATOMIC_RELAXED) : 0;
}

uint32_t vm_read32(struct hvo_machine *m, uint64_t vaddr)
{
	uint8_t *p = field(m, vaddr, false);

	return p ? __atomic_load_n((uint32_t *)(void *)p, __ATOMIC_RELAXED) : 0;
}

/* atomic_read_acquire() of a 32-bit field: a scheduling point. */
uint32_t vm_load_acquire32(struct hvo_machine *m, uint64_t vaddr)
{
	uint8_t *p;

	sync_point(m, HVO_SP_READ_ONCE, "page_ref.acquire");
	p = field(m, vaddr, false);
	if (!p)
		return 0;
	return (uint32_t)weak_load(m, p, __atomic_load_n((uint32_t *)(void *)p, __ATOMIC_ACQUIRE),
				   HVO_MO_ACQUIRE | HVO_MO_LATEST);
}

bool vm_write64(struct hvo_machine *m, uint64_t vaddr, uint64_t v)
{
	uint8_t *p = field(m, vaddr, true);

	if (p)
		__atomic_store_n((uint64_t *)(void *)p, v, __ATOMIC_RELAXED);
	return p != NULL;
}

bool vm_write32(struct hvo_machine *m, uint64_t vaddr, uint32_t v)
{
	uint8_t *p = field(m, vaddr, true);

	if (p)
		__atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
	return p != NULL;
}

/* atomic_set_release() of a refcount (page_ref_unfreeze): a scheduling point, paired with the walker's
 * acquire read (spec 5.3). */
bool vm_store_release32(struct hvo_machine *m, uint64_t vaddr, uint32_t v, const char *where)
{
	uint8_t *p;

	sync_point(m, HVO_SP_ATOMIC, where);
	p = field(m, vaddr, true);
	if (p)
		weak_store(m, p, __atomic_exchange_n((uint32_t *)(void *)p, v, __ATOMIC_RELEASE), v, HVO_MO_RELEASE);
	return p != NULL;
}

bool vm_add_unless32(struct hvo_machine *m, uint64_t vaddr, int32_t add, int32_t unless)
{
	uint8_t *p;
	int32_t cur;

	sync_point(m, HVO_SP_ATOMIC, "page_ref_add_unless");
	if (hook_ref_add_then_check(m)) {
		/* B28: atomic_add_return first, then look (the PAGEREF_LOCKED_BIT
		 * proposal): a frozen or read-only refcount is written all the same. */
		p = field(m, vaddr, true);
		if (!p)
			return false;
		cur = __atomic_fetch_add((int32_t *)(void *)p, add, __ATOMIC_SEQ_CST);
		if (cur != unless)
			return true;
		sync_point(m, HVO_SP_ATOMIC, "page_ref_add_unless.undo");
		/* The undo goes through the address again, as the kernel's does: the
		 * page may have been remapped (RO trap) or freed (I12) meanwhile. */
		p = field(m, vaddr, true);
		if (p)
			__atomic_fetch_sub((int32_t *)(void *)p, add, __ATOMIC_SEQ_CST);
		return false;
	}
	cur = (int32_t)vm_read32(m, vaddr);
	if (cur == unless)
		return false;
	p = field(m, vaddr, true);
	if (!p)
		return false;
	__atomic_fetch_add((int32_t *)(void *)p, add, __ATOMIC_SEQ_CST);
	return true;
}

/* atomic_sub_return() on a 32-bit field (page_ref_dec_and_test, the
 * put of folio_put_testzero): a scheduling point named where, fully
 * ordered.  Returns the new value; INT32_MIN when vaddr maps nothing
 * writable (the write was refused and reported). */
int32_t vm_sub_return32(struct hvo_machine *m, uint64_t vaddr, int32_t sub, const char *where)
{
	uint8_t *p;
	int32_t old;

	sync_point(m, HVO_SP_ATOMIC, where);
	p = field(m, vaddr, true);
	if (!p)
		return INT32_MIN;
	old = __atomic_fetch_sub((int32_t *)(void *)p, sub, __ATOMIC_SEQ_CST);
	weak_store(m, p, (uint32_t)old, (uint32_t)(old - sub), HVO_MO_FULL | HVO_MO_RMW);
	return old - sub;
}

/* The TLB shard of a page: its node (pages of no node: shard 0). */
static unsigned tlb_shard_of_pfn(const struct hvo_machine *m, uint64_t pfn)
{
	int n = phys_node_of(m->phys, pfn);

	return n > 0 ? (unsigned)n : 0;
}

/* The node of the pfn a vmemmap address describes (where its flushes count). */
static unsigned tlb_shard_of(const struct hvo_machine *m, uint64_t vaddr)
{
	return tlb_shard_of_pfn(m, (vaddr - m->vbase) / m->geo.struct_page_size);
}

void vm_set_pte(struct hvo_machine *m, uint64_t *slot, uint64_t vaddr, uint64_t pte)
{
	uint64_t old = *slot;
	/* D10: RW->RO on the same page leaves a writable translation too */
	bool wr = (old & PTE_PRESENT) && (old & PTE_RW) && (pte & PTE_PRESENT) && !(pte & PTE_RW) &&
		  pte_pfn(old) == pte_pfn(pte);

	sync_point(m, HVO_SP_PTE_SET, "set_pte");
	if ((old & PTE_PRESENT) && (pte_pfn(old) != pte_pfn(pte) || wr)) {
		unsigned s = tlb_shard_of_pfn(m, pte_pfn(old));
		struct tlb_shard *t = &m->tlb[s];
		uint64_t va = vaddr & ~(m->geo.page_size - 1);

		model_lock(m, (enum hvo_lock)(HVO_LOCK_TLB + s));
		if (wr && t->nr && t->stale[t->nr - 1].wr && t->stale[t->nr - 1].pfn == pte_pfn(old) &&
		    t->stale[t->nr - 1].end == va) {
			t->stale[t->nr - 1].end = va + m->geo.page_size;
			if (va >= t->hi)
				__atomic_store_n(&t->hi, va + m->geo.page_size, __ATOMIC_RELAXED);
			model_unlock(m, (enum hvo_lock)(HVO_LOCK_TLB + s));
			goto set;
		}
		if (t->nr == t->cap) {
			unsigned cap = t->cap ? 2 * t->cap : 64;
			struct stale_tlb *n = realloc(t->stale, cap * sizeof(*n));

			if (!n)
				abort(); /* host OOM: nothing sensible to model */
			t->stale = n;
			t->cap = cap;
		}
		t->stale[t->nr] = (struct stale_tlb){ va, va + m->geo.page_size, pte_pfn(old), wr };
		/* atomic: flushes peek at the span and the count without the lock */
		if (!t->hi || va < t->lo)  /* hi 0: no span yet */
			__atomic_store_n(&t->lo, va, __ATOMIC_RELAXED);
		if (va >= t->hi)
			__atomic_store_n(&t->hi, va + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&t->nr, t->nr + 1, __ATOMIC_RELAXED);
		model_unlock(m, (enum hvo_lock)(HVO_LOCK_TLB + s));
	}
set:
	track_vaddrs(m, vaddr & ~(m->geo.page_size - 1), (vaddr & ~(m->geo.page_size - 1)) + m->geo.page_size);
	/* smp_wmb() before set_pte_at: contents first, then the entry (B6).
	 * The kernel has one barrier before the walk's first PTE that needs it;
	 * the model one before each (the same for the stores it orders). */
	if (!hook_pte_store_unordered(m))
		smp_wmb(m);
	weak_store(m, slot, __atomic_exchange_n(slot, pte, hook_pte_store_unordered(m) ? __ATOMIC_RELAXED : __ATOMIC_RELEASE),
		   pte, HVO_MO_RELAXED);
}

/* Drop shard s's entries inside [start, end); a shard whose span misses
 * the range, or that is empty, is not locked. */
static void tlb_flush_shard(struct hvo_machine *m, unsigned s, uint64_t start, uint64_t end)
{
	struct tlb_shard *t = &m->tlb[s];
	unsigned j = 0;

	if (__atomic_load_n(&t->hi, __ATOMIC_RELAXED) <= start || __atomic_load_n(&t->lo, __ATOMIC_RELAXED) >= end ||
	    !__atomic_load_n(&t->nr, __ATOMIC_RELAXED))
		return;
	unsigned nr, extra = 0;

	model_lock(m, (enum hvo_lock)(HVO_LOCK_TLB + s));
	nr = t->nr;
	for (unsigned i = 0; i < nr; i++) {
		struct stale_tlb e = t->stale[i];

		if (e.end <= start || e.vaddr >= end) {
			t->stale[j++] = e;
			continue;
		}
		/* what the flush leaves of a range entry: below it and above it;
		 * the part above, when there are both, goes past the old end */
		if (e.vaddr < start)
			t->stale[j++] = (struct stale_tlb){ e.vaddr, start, e.pfn, e.wr };
		if (e.end > end && e.vaddr < start) {
			if (nr + extra == t->cap) {
				unsigned cap = 2 * t->cap;
				struct stale_tlb *n = realloc(t->stale, cap * sizeof(*n));

				if (!n)
					abort(); /* host OOM: nothing sensible to model */
				t->stale = n;
				t->cap = cap;
			}
			t->stale[nr + extra++] = (struct stale_tlb){ end, e.end, e.pfn, e.wr };
		} else if (e.end > end) {
			t->stale[j++] = (struct stale_tlb){ end, e.end, e.pfn, e.wr };
		}
	}
	memmove(t->stale + j, t->stale + nr, extra * sizeof(*t->stale));
	__atomic_store_n(&t->nr, j + extra, __ATOMIC_RELAXED);
	model_unlock(m, (enum hvo_lock)(HVO_LOCK_TLB + s));
}

void flush_tlb_range(struct hvo_machine *m, uint64_t start, uint64_t end)
{
	sync_point(m, HVO_SP_TLB_FLUSH, "flush_tlb_kernel_range");
	__atomic_fetch_add(&m->tlb[tlb_shard_of(m, start)].flushes, 1, __ATOMIC_RELAXED);
	tlb_cpu_flush(m, start, end);
	for (unsigned s = 0; s < m->cfg.nr_nodes; s++)
		tlb_flush_shard(m, s, start, end);
}

void flush_tlb_all(struct hvo_machine *m)
{
	sync_point(m, HVO_SP_TLB_FLUSH, "flush_tlb_all");
	__atomic_fetch_add(&m->tlb[0].flushes, 1, __ATOMIC_RELAXED);
	tlb_cpu_flush(m, 0, UINT64_MAX);
	for (unsigned s = 0; s < m->cfg.nr_nodes; s++)
		tlb_flush_shard(m, s, 0, UINT64_MAX);
}

unsigned tlb_nr_stale(const struct hvo_machine *m)
{
	unsigned n = 0;

	for (unsigned s = 0; s < m->cfg.nr_nodes; s++)
		n += __atomic_load_n(&m->tlb[s].nr, __ATOMIC_RELAXED);
	return n;
}

uint64_t tlb_nr_flushes(const struct hvo_machine *m)
{
	uint64_t n = 0;

	for (unsigned s = 0; s < HVO_MAX_NODES; s++)
		n += __atomic_load_n(&m->tlb[s].flushes, __ATOMIC_RELAXED);
	return n;
}

/* Shard s's lowest entry in [pfn, pfn + nr). */
static uint64_t tlb_shard_first_stale(struct hvo_machine *m, unsigned s, uint64_t pfn, uint64_t nr)
{
	struct tlb_shard *t = &m->tlb[s];
	uint64_t first = UINT64_MAX;

	if (!__atomic_load_n(&t->nr, __ATOMIC_RELAXED))
		return first;
	model_lock(m, (enum hvo_lock)(HVO_LOCK_TLB + s));
	for (unsigned i = 0; i < t->nr; i++)
		if (t->stale[i].pfn - pfn < nr && t->stale[i].pfn < first)
			first = t->stale[i].pfn;
	model_unlock(m, (enum hvo_lock)(HVO_LOCK_TLB + s));
	return first;
}

uint64_t tlb_first_stale(struct hvo_machine *m, uint64_t pfn, uint64_t nr)
{
	uint64_t last = pfn + nr - 1, first = UINT64_MAX;
	int n = phys_node_of(m->phys, pfn);

	/* Nodes and their device ranges are pfn intervals: both ends in one of
	 * them, so is every page between (the common case, one page: one shard). */
	if (nr == 1 || (n >= 0 && n == phys_node_of(m->phys, last) &&
			(phys_zone_of(m->phys, pfn) == HVO_ZONE_DEVICE) == (phys_zone_of(m->phys, last) == HVO_ZONE_DEVICE)))
		return tlb_shard_first_stale(m, n > 0 ? (unsigned)n : 0, pfn, nr);
	for (unsigned s = 0; s < m->cfg.nr_nodes; s++) {
		uint64_t f = tlb_shard_first_stale(m, s, pfn, nr);

		if (f < first)
			first = f;
	}
	return first;
}

/* vmemmap_split_pmd()'s `if (!PageReserved(head)) split_page(head,
 * get_order(PMD_SIZE))`: a block from the buddy (a hot-added node's,
 * origin BUDDY) becomes 2^PMD-order order-0 pages the walk may free one at
 * a time; H4 skips it, and the first such free is I23 (mach_free).  A
 * memblock block is PG_reserved: the kernel calls nothing, each page goes
 * back alone through free_bootmem_page(); the model's records become per
 * page all the same (its allocator keeps orders where memblock keeps
 * none). */
static int vmemmap_split_page(struct hvo_machine *m, uint64_t head)
{
	struct phys_alloc_info a;

	if (phys_lookup(m->phys, head, &a) && a.origin == PHYS_ORIGIN_BUDDY && hook_split_pmd_skips_split_page(m))
		return 0;
	return phys_split(m->phys, head, m->pmd_order);
}

int vm_split_pmd(struct hvo_machine *m, uint64_t vaddr, bool flush)
{
	uint64_t idx = pmd_index(m, vaddr), table_pfn;
	struct pmd *pmd = &m->pmd[idx];
	struct pte_table *t;
	uint64_t head;
	int node, rc;

	if (read_once(m, &pmd->val, "split_pmd.check") != PMD_LEAF)
		return 0;
	/* The table comes from the node of the vmemmap it maps. */
	node = phys_node_of(m->phys, pmd->leaf_pfn);
	rc = mach_alloc(m, HVO_SITE_PTE_TABLE, node < 0 ? 0 : (unsigned)node, -1, 0, PHYS_GFP_KERNEL, &table_pfn);
	if (rc)
		return rc;
	t = table_new(m, table_pfn);
	if (!t) {
		mach_free(m, table_pfn, 0);
		return -HVO_ENOMEM;
	}
	/* B5: the leaf read before the lock, and trusted after it */
	head = pmd->leaf_pfn;
	mlock(m, HVO_LOCK_PAGE_TABLE);
	/* Re-check under the lock: someone may have split it meanwhile (B5). */
	if (pmd->val == PMD_LEAF || hook_split_pmd_unlocked_read(m)) {
		/* linux-mm @0454b15e: hvo_populate_vmemmap_pmd() may fail (arm64's
		 * in-place update lost its race; the fail_hugetlb_vmemmap_pmd
		 * knob): -EAGAIN, the table freed, the leaf kept.  No baseline
		 * has this site (D8). */
		if (mach_should_fail(m, HVO_SITE_PMD_POPULATE)) {
			rc = -HVO_EAGAIN;
			goto unlock;
		}
		if (!hook_split_pmd_unlocked_read(m))
			head = pmd->leaf_pfn;
		for (uint64_t i = 0; i < m->ptrs_per_table; i++)
			t->pte[i] = mk_pte(head + i, true);
		/* Once: under B5 the racer's table is simply overwritten. */
		if (pmd->val == PMD_LEAF && vmemmap_split_page(m, head))
			hvo_violate(m, 0, head, -1, "split of a vmemmap block that is not one allocation");
		if (pmd->val == PMD_TABLE)
			table_orphan(m, pmd->table);
		pmd->table = t;
		track_vaddrs(m, m->vbase + (idx << m->geo.pmd_shift), m->vbase + ((idx + 1) << m->geo.pmd_shift));
		sync_point(m, HVO_SP_PMD_SET, "pmd_populate");
		__atomic_store_n(&pmd->val, PMD_TABLE, __ATOMIC_RELEASE);
		__atomic_fetch_add(&m->pmd_splits, 1, __ATOMIC_RELAXED);
		t = NULL;
		if (flush) {
			uint64_t start = m->vbase + (idx << m->geo.pmd_shift);

			flush_tlb_range(m, start, start + (1ull << m->geo.pmd_shift));
		}
	}
unlock:
	munlock(m, HVO_LOCK_PAGE_TABLE);
	if (t) {
		mach_free(m, t->table_pfn, 0);
		table_free(m, t);
	}
	return rc;
}

bool vm_write_bytes(struct hvo_machine *m, uint64_t vaddr, const uint8_t *src, uint64_t len)
{
	uint64_t psz = m->geo.page_size;

	while (len) {
		uint64_t off = vaddr & (psz - 1), n = psz - off < len ? psz - off : len;
		uint8_t *p = field_for(m, vaddr, true, n == psz);

		if (!p)
			return false;
		memcpy(p, src, n);
		vaddr += n;
		src += n;
		len -= n;
	}
	return true;
}

uint64_t *vm_pte_alloc(struct hvo_machine *m, uint64_t vaddr, unsigned node, int *rc)
{
	return pte_slot_alloc(m, node, vaddr, false, rc);
}

void vm_pte_table_release(struct hvo_machine *m, uint64_t vaddr)
{
	struct pmd *pmd = &m->pmd[pmd_index(m, vaddr)];
	struct pte_table *t = pmd->table;

	if (pmd->val != PMD_TABLE)
		return;
	for (uint64_t i = 0; i < m->ptrs_per_table; i++)
		if (t->pte[i] & PTE_PRESENT)
			return;
	sync_point(m, HVO_SP_PMD_SET, "free_pte_table");
	__atomic_store_n(&pmd->val, PMD_NONE, __ATOMIC_RELEASE);
	pmd->table = NULL;
	mach_free(m, t->table_pfn, 0);
	table_free(m, t);
}

/* m's page tables and lists of stale translations as copies of s's
 * (machine_reset.c), which found m's pointers NULL (and s without B5's
 * orphan tables).  0 or -ENOMEM: the caller destroys m. */
int vmemmap_clone(struct hvo_machine *m, const struct hvo_machine *s)
{
	for (unsigned n = 0; n < HVO_MAX_NODES; n++) {
		struct tlb_shard *t = &m->tlb[n];

		if (!s->tlb[n].cap)
			continue;
		t->stale = malloc(s->tlb[n].cap * sizeof(*t->stale));
		if (!t->stale)
			return -HVO_ENOMEM;
		memcpy(t->stale, s->tlb[n].stale, s->tlb[n].nr * sizeof(*t->stale));
	}
	m->pmd = calloc(m->nr_pmd, sizeof(*m->pmd));
	if (!m->pmd)
		return -HVO_ENOMEM;
	m->nr_pte_tables = 0;
	for (uint64_t i = 0; i < m->nr_pmd; i++) {
		const struct pmd *sp = &s->pmd[i];

		if (sp->val != PMD_TABLE) {
			m->pmd[i] = *sp;
			continue;
		}
		m->pmd[i].table = table_new(m, sp->table->table_pfn);
		if (!m->pmd[i].table)
			return -HVO_ENOMEM;
		memcpy(m->pmd[i].table->pte, sp->table->pte, m->ptrs_per_table * sizeof(uint64_t));
		m->pmd[i].table->next_orphan = NULL;
		m->pmd[i].val = sp->val;
		m->pmd[i].leaf_pfn = sp->leaf_pfn;
	}
	return tlb_cpu_clone(m, s);
}
