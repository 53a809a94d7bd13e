// SPDX-License-Identifier: GPL-2.0-only
/*
 * machine.c - config validation, machine creation and teardown, the
 * failure-injection and accounting wrappers around the allocator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define GIB(x) ((uint64_t)(x) << 30)
#define MACHINE_SIZE ((sizeof(struct hvo_machine) + 63) & ~(size_t)63)

void hvo_config_default(struct hvo_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->gen = HVO_G2;
	cfg->page_shift = 12;
	cfg->struct_page_size = 64;
	cfg->hvo_enabled = true;
	/* Node 0 straddles DMA32/NORMAL at 4 GiB; node 1 has NORMAL and MOVABLE. */
	cfg->nr_nodes = 2;
	cfg->node[0].start_pfn = GIB(3) >> 12;
	cfg->node[0].nr_pages = GIB(2) >> 12;
	cfg->node[1].start_pfn = GIB(5) >> 12;
	cfg->node[1].nr_pages = GIB(2) >> 12;
	cfg->node[1].movable_start_pfn = GIB(6) >> 12;
}

/* kernelcore=mirror on node i (issue 13 D11): ranges section aligned,
 * inside the node, ascending and disjoint; the first section at or above
 * 4 GiB (dma_end) mirrored, else ZONE_NORMAL would be empty
 * (adjust_zone_range_for_zone_movable) and the mirrored memory above it in
 * no zone; not with the other movable settings. */
static int mirror_validate(const struct hvo_node_config *n, unsigned i, uint64_t sec, uint64_t dma_end, char *err,
			   size_t errlen)
{
	uint64_t end = n->start_pfn + n->nr_pages, lo = n->start_pfn > dma_end ? n->start_pfn : dma_end, prev = 0;
	bool first = false;

	if (!n->nr_mirror)
		return 0;
	if (n->nr_mirror > HVO_MAX_MIRROR || n->movable_start_pfn || n->movable_only || n->memmap_on_memory) {
		snprintf(err, errlen, "node %u: mirror= takes at most %d ranges and no movable_start, movable_only "
			 "or memmap_on_memory", i, HVO_MAX_MIRROR);
		return -HVO_EINVAL;
	}
	for (unsigned k = 0; k < n->nr_mirror; k++) {
		const struct hvo_pfn_range *r = &n->mirror[k];

		if (!r->nr_pages || r->start_pfn % sec || r->nr_pages % sec || r->start_pfn < n->start_pfn ||
		    r->start_pfn >= end || r->nr_pages > end - r->start_pfn || (k && r->start_pfn < prev)) {
			snprintf(err, errlen, "node %u: mirror range %u (0x%llx+0x%llx) must be non-empty, section "
				 "aligned, inside the node and above the range before it", i, k,
				 (unsigned long long)r->start_pfn, (unsigned long long)r->nr_pages);
			return -HVO_EINVAL;
		}
		prev = r->start_pfn + r->nr_pages;
		first |= lo >= r->start_pfn && lo < prev;
	}
	if (!first) {
		snprintf(err, errlen, "node %u: mirror= needs memory at or above 4 GiB whose first section is "
			 "mirrored (pfn 0x%llx)", i, (unsigned long long)lo);
		return -HVO_EINVAL;
	}
	return 0;
}

int hvo_config_validate(const struct hvo_config *cfg, char *err, size_t errlen)
{
	struct hvo_geometry g;
	uint64_t sec, prev_end = 0, max_pfn;
	bool have_kernel_node = false;
	int rc;

	if (cfg->gen != HVO_G1 && cfg->gen != HVO_G2 && cfg->gen != HVO_G3) {
		snprintf(err, errlen, "generation G%d not modelled (G1, G2 and G3)", (int)cfg->gen);
		return -HVO_EINVAL;
	}
	rc = hvo_geometry_init(&g, cfg->page_shift, cfg->struct_page_size, err, errlen);
	if (rc)
		return rc;
	if (cfg->nr_nodes < 1 || cfg->nr_nodes > HVO_MAX_NODES) {
		snprintf(err, errlen, "%u nodes: need 1..%d", cfg->nr_nodes, HVO_MAX_NODES);
		return -HVO_EINVAL;
	}
	sec = 1ull << (g.section_shift - g.page_shift);
	/* 64 TiB of physical address space at most: keeps the PMD array small. */
	max_pfn = 1ull << (46 - g.page_shift);
	for (unsigned i = 0; i < cfg->nr_nodes; i++) {
		const struct hvo_node_config *n = &cfg->node[i];
		uint64_t end = n->start_pfn + n->nr_pages;

		if (!n->nr_pages || n->start_pfn % sec || n->nr_pages % sec) {
			snprintf(err, errlen, "node %u: start 0x%llx and size 0x%llx pages must be non-empty and "
				 "multiples of the section size (0x%llx pages)", i,
				 (unsigned long long)n->start_pfn, (unsigned long long)n->nr_pages,
				 (unsigned long long)sec);
			return -HVO_EINVAL;
		}
		if (n->start_pfn > max_pfn || n->nr_pages > max_pfn || end > max_pfn) {
			snprintf(err, errlen, "node %u: ends above the 64 TiB the model supports", i);
			return -HVO_EINVAL;
		}
		if (n->start_pfn < prev_end) {
			snprintf(err, errlen, "node %u overlaps or precedes node %u: nodes must be ascending "
				 "and disjoint", i, i - 1);
			return -HVO_EINVAL;
		}
		if (n->movable_start_pfn && (n->movable_start_pfn <= n->start_pfn || n->movable_start_pfn >= end ||
					     n->movable_start_pfn % sec)) {
			snprintf(err, errlen, "node %u: movable_start 0x%llx must be a section boundary strictly "
				 "inside the node", i, (unsigned long long)n->movable_start_pfn);
			return -HVO_EINVAL;
		}
		rc = mirror_validate(n, i, sec, (1ull << 32) >> g.page_shift, err, errlen);
		if (rc)
			return rc;
		if (n->hotplug && n->memmap_on_memory) {
			snprintf(err, errlen, "node %u: memmap_on_memory=1 is hot-added already; hotplug=1 is the "
				 "memmap_on_memory=0 form", i);
			return -HVO_EINVAL;
		}
		if (!n->movable_only && !n->memmap_on_memory && !n->hotplug)
			have_kernel_node = true;
		prev_end = end;
	}
	rc = dax_config_validate(cfg, &g, err, errlen);
	if (rc)
		return rc;
	if (!have_kernel_node) {
		snprintf(err, errlen, "every node is movable-only or hot-added (memmap_on_memory, hotplug): nowhere "
			 "to put kernel memory");
		return -HVO_EINVAL;
	}
	if (cfg->vmemmap_base) {
		if (cfg->vmemmap_base % g.page_size) {
			snprintf(err, errlen, "vmemmap base 0x%llx is not page aligned",
				 (unsigned long long)cfg->vmemmap_base);
			return -HVO_EINVAL;
		}
		if (cfg->vmemmap_base > UINT64_MAX - prev_end * g.struct_page_size) {
			snprintf(err, errlen, "vmemmap base 0x%llx: the vmemmap would wrap around",
				 (unsigned long long)cfg->vmemmap_base);
			return -HVO_EINVAL;
		}
		/* I16; the check sparse_init added (B19 drops it). */
		if (cfg->gen != HVO_G1 && g.sps_pow2 && cfg->vmemmap_base % g.max_folio_vmemmap_align &&
		    !hook_vmemmap_base_align_unchecked(cfg)) {
			snprintf(err, errlen, "I16: vmemmap base 0x%llx not aligned to MAX_FOLIO_VMEMMAP_ALIGN 0x%llx",
				 (unsigned long long)cfg->vmemmap_base,
				 (unsigned long long)g.max_folio_vmemmap_align);
			return -HVO_EINVAL;
		}
	}
	if (cfg->nr_bootmem > HVO_MAX_BOOTMEM) {
		snprintf(err, errlen, "%u bootmem pages: at most %d", cfg->nr_bootmem, HVO_MAX_BOOTMEM);
		return -HVO_EINVAL;
	}
	if (cfg->boot_design != HVO_BOOT_DEFERRED && cfg->boot_design != HVO_BOOT_EARLY) {
		snprintf(err, errlen, "unknown boot design %d", (int)cfg->boot_design);
		return -HVO_EINVAL;
	}
	for (unsigned i = 0; i < cfg->nr_bootmem; i++) {
		const struct hvo_bootmem *b = &cfg->bootmem[i];
		uint64_t nr = 1ull << (b->order < 63 ? b->order : 63), node_end = 0;
		bool in_node = false;

		if (b->order < 2 || b->order > g.max_folio_order || b->pfn & (nr - 1)) {
			snprintf(err, errlen, "bootmem %u: order %u must be in [2, %u] and pfn 0x%llx aligned to it", i,
				 b->order, g.max_folio_order, (unsigned long long)b->pfn);
			return -HVO_EINVAL;
		}
		/* hugetlb_folio_init_vmemmap prepares RESERVE_PAGES struct pages
		 * whatever the folio's size: only gigantic pages come from bootmem,
		 * and a smaller one would overwrite its neighbours' (2.8). */
		if (nr < g.reserve_pages) {
			snprintf(err, errlen, "bootmem %u: order %u is smaller than the %u struct pages boot prepares "
				 "(only gigantic pages come from bootmem)", i, b->order, g.reserve_pages);
			return -HVO_EINVAL;
		}
		for (unsigned n = 0; n < cfg->nr_nodes; n++) {
			node_end = cfg->node[n].start_pfn + cfg->node[n].nr_pages;
			in_node |= b->pfn >= cfg->node[n].start_pfn && b->pfn + nr <= node_end;
		}
		if (!in_node) {
			snprintf(err, errlen, "bootmem %u: pfns 0x%llx..0x%llx are not inside one node", i,
				 (unsigned long long)b->pfn, (unsigned long long)(b->pfn + nr - 1));
			return -HVO_EINVAL;
		}
		for (unsigned n = 0; n < cfg->nr_nodes; n++)
			if ((cfg->node[n].memmap_on_memory || cfg->node[n].hotplug) &&
			    b->pfn < cfg->node[n].start_pfn + cfg->node[n].nr_pages && b->pfn + nr > cfg->node[n].start_pfn) {
				snprintf(err, errlen, "bootmem %u: node %u is hot-added (%s), after boot reserved its "
					 "gigantic pages", i, n, cfg->node[n].hotplug ? "hotplug" : "memmap_on_memory");
				return -HVO_EINVAL;
			}
		for (unsigned j = 0; j < i; j++) {
			const struct hvo_bootmem *o = &cfg->bootmem[j];

			if (o->pfn < b->pfn + nr && b->pfn < o->pfn + (1ull << o->order)) {
				snprintf(err, errlen, "bootmem %u overlaps bootmem %u", i, j);
				return -HVO_EINVAL;
			}
		}
	}
	if (cfg->mutants >> HVO_NR_MUTANTS) {
		snprintf(err, errlen, "unknown mutant bits 0x%llx", (unsigned long long)cfg->mutants);
		return -HVO_EINVAL;
	}
	return 0;
}

int hvo_machine_create(const struct hvo_config *cfg, struct hvo_machine **out, char *err, size_t errlen)
{
	struct hvo_machine *m;
	int rc;

	*out = NULL;
	rc = hvo_config_validate(cfg, err, errlen);
	if (rc)
		return rc;
	/* its per-node shards are cache-line aligned (the machine's type is too) */
	m = hpool_alloc(cfg->host_pool, MACHINE_SIZE, _Alignof(struct hvo_machine), true);
	if (!m) {
		snprintf(err, errlen, "out of host memory");
		return -HVO_ENOMEM;
	}
	m->cfg = *cfg;
	hvo_geometry_init(&m->geo, cfg->page_shift, cfg->struct_page_size, err, errlen);
	m->enabled = cfg->hvo_enabled;
	m->vbase = cfg->vmemmap_base ? cfg->vmemmap_base : 0xffffea0000000000ull;
	{
		/* The allocator's top order sits above MAX_FOLIO_ORDER so that the
		 * folios B18 lets through (upstream only warns) can exist. */
		m->phys_geo = m->geo;
		m->phys_geo.max_folio_order += 2;
		rc = phys_create(&m->phys, &m->cfg, &m->phys_geo, err, errlen);
	}
	for (unsigned n = 0; n < cfg->nr_nodes && !rc; n++)
		for (int z = 0; z < HVO_NR_ZONES && !rc; z++) {
			/* Sized exactly, so an out-of-range index (B18) is a heap overflow. */
			m->zhvo[n][z].tails = calloc(m->geo.nr_vmemmap_tails ? m->geo.nr_vmemmap_tails : 1,
						     sizeof(uint64_t));
			if (!m->zhvo[n][z].tails) {
				rc = -HVO_ENOMEM;
				snprintf(err, errlen, "out of host memory");
			}
		}
	if (!rc) {
		m->shadow = shadow_create();
		if (!m->shadow || (cfg->gen == HVO_G3 && dax_create(m)) || track_create(m)) {
			rc = -HVO_ENOMEM;
			snprintf(err, errlen, "out of host memory");
		}
	}
	/* Boot in the kernel's order (2.8): reserve the gigantic pages, pick the
	 * pre-HVO ones, populate the rest of the vmemmap, populate theirs,
	 * start the buddy allocator, then memmap init, tails and gather. */
	if (!rc)
		rc = boot_reserve(m, err, errlen);
	if (!rc) {
		boot_init_early(m);
		rc = vmemmap_init(m, err, errlen);
	}
	if (!rc)
		rc = boot_init_late(m, err, errlen);
	if (!rc) {
		phys_buddy_init(m->phys);
		boot_finish(m);
		/* memory hot-added after boot, before the first op (D4) */
		rc = vmemmap_hot_add(m, err, errlen);
	}
	if (rc) {
		hvo_machine_destroy(m);
		return rc;
	}
	*out = m;
	return 0;
}

void hvo_machine_destroy(struct hvo_machine *m)
{
	if (!m)
		return;
	vmemmap_destroy(m);
	for (unsigned n = 0; n < HVO_MAX_NODES; n++)
		for (int z = 0; z < HVO_NR_ZONES; z++)
			free(m->zhvo[n][z].tails);
	phys_destroy(m->phys);
	shadow_destroy(m->shadow);
	dax_destroy(m);
	track_destroy(m);
	for (uint32_t i = 0; i * FOLIO_CHUNK < m->nr_folios; i++)
		hpool_free(m->cfg.host_pool, m->folio_chunks[i], FOLIO_CHUNK_SIZE, _Alignof(struct folio));
	free(m->folio_chunks);
	for (unsigned s = 0; s < HVO_MAX_NODES; s++)
		free(m->tlb[s].stale);
	for (unsigned i = 0; i < m->nr_snap_pool; i++)
		hpool_free(m->cfg.host_pool, m->snap_pool[i].buf, m->snap_pool[i].cap, 16);
	hpool_free(m->cfg.host_pool, m->stage, 2 * m->geo.page_size, 16);
	hpool_free(m->cfg.host_pool, m, MACHINE_SIZE, _Alignof(struct hvo_machine));
}

const struct hvo_geometry *hvo_machine_geometry(const struct hvo_machine *m) { return &m->geo; }
const struct hvo_violation *hvo_violation(const struct hvo_machine *m) { return m->has_viol ? &m->viol : NULL; }

bool hvo_sealed_frame_at(const struct hvo_machine *m, const void *addr, uint64_t *pfn)
{
	return phys_addr_in_sealed_frame(m->phys, addr, pfn);
}

/* Records the first violation only: later ones are usually its echo. */
void hvo_violate(struct hvo_machine *m, int inv, uint64_t pfn, int32_t folio, const char *fmt, ...)
{
	va_list ap;

	/* several threads may see one at once: the first records it */
	if (__atomic_exchange_n(&m->has_viol, true, __ATOMIC_ACQ_REL))
		return;
	m->viol.inv = inv;
	m->viol.pfn = pfn;
	m->viol.folio = folio;
	va_start(ap, fmt);
	vsnprintf(m->viol.msg, sizeof(m->viol.msg), fmt, ap);
	va_end(ap);
	hvo_log(m, "violation I%d pfn=0x%llx folio=%d: %s", inv, (unsigned long long)pfn, folio, m->viol.msg);
}

void hvo_log(const struct hvo_machine *m, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!m->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	m->cfg.log(m->cfg.log_ctx, line);
}

bool mach_should_fail(struct hvo_machine *m, enum hvo_site site)
{
	uint64_t call, site_call;

	/* The counts only feed the hook: without one, threads share no counter line. */
	if (!m->cfg.fail)
		return false;
	call = __atomic_add_fetch(&m->fail_calls, 1, __ATOMIC_RELAXED);
	site_call = __atomic_add_fetch(&m->site_calls[site], 1, __ATOMIC_RELAXED);
	return m->cfg.fail(m->cfg.fail_ctx, site, site_call, call);
}

int mach_alloc(struct hvo_machine *m, enum hvo_site site, unsigned node, int zone, unsigned order,
	       unsigned gfp, uint64_t *pfn)
{
	int rc;

	if (mach_should_fail(m, site))
		return -HVO_ENOMEM;
	rc = phys_alloc(m->phys, site, node, zone, order, gfp, pfn);
	if (!rc)
		track_frames(m, *pfn, 1ull << order);
	if (rc == -HVO_ENOMEM && site != HVO_SITE_HUGETLB_FOLIO)
		__atomic_fetch_add(&m->vmemmap_oom, 1, __ATOMIC_RELAXED);
	return rc;
}

int mach_alloc_frame(struct hvo_machine *m, enum hvo_site site, unsigned node, bool zero, uint64_t *pfn)
{
	uint8_t *b;
	int rc = mach_alloc(m, site, node, -1, 0, PHYS_GFP_KERNEL, pfn);

	if (rc)
		return rc;
	b = phys_frame(m->phys, *pfn, true);
	if (!b) {
		phys_free(m->phys, *pfn, 0);
		return -HVO_ENOMEM;
	}
	/* Without zero the caller overwrites every byte at once (the head copy). */
	if (zero)
		memset(b, 0, m->geo.page_size);
	return 0;
}

void mach_free(struct hvo_machine *m, uint64_t pfn, unsigned order)
{
	struct phys_alloc_info a;
	int rc;
	/* I12: nothing may still translate to a page that goes back to the allocator. */
	uint64_t stale = tlb_first_stale(m, pfn, 1ull << order);

	if (stale != UINT64_MAX)
		hvo_violate(m, 12, stale, -1, "page freed before the TLB flush of its old vmemmap mapping");
	track_frames(m, pfn, 1ull << order);
	rc = phys_free(m->phys, pfn, order);
	if (rc == -HVO_EBUSY && phys_lookup(m->phys, pfn, &a))
		/* I23: the kernel frees only what it was handed out as.  A page
		 * of a non-compound high-order block nobody split_page()d:
		 * a tail has refcount 0 (put_page_testzero's VM_BUG_ON_PAGE, or
		 * an underflow and a leak without DEBUG_VM), the head's free
		 * leaks the rest.  Nothing is freed. */
		hvo_violate(m, 23, pfn, -1, "order-%u free of a page inside the order-%u allocation at 0x%llx, never "
			    "split (split_page)", order, a.order, (unsigned long long)a.pfn);
	else if (rc)
		hvo_violate(m, 12, pfn, -1, "free of a page that is not allocated as order %u (double free?)", order);
}

/* The amount nr (signed) at the node of the vmemmap page page_pfn (B12c:
 * at the described node). */
static void memmap_account_nr(struct hvo_machine *m, uint64_t page_pfn, bool boot, int64_t nr, unsigned described_node)
{
	int node = hook_memmap_node_of_described(m) ? (int)described_node : phys_node_of(m->phys, page_pfn);
	struct memmap_shard *s = &m->memmap[node >= 0 && node < HVO_MAX_NODES ? node : HVO_MAX_NODES];

	track_mapping(m);
	__atomic_fetch_add(boot ? &s->boot : &s->buddy, nr, __ATOMIC_RELAXED);
}

void memmap_account(struct hvo_machine *m, uint64_t page_pfn, bool boot, int delta, unsigned described_node)
{
	/* atomics: optimize/restore of different folios run concurrently (5.1) */
	memmap_account_nr(m, page_pfn, boot, delta, described_node);
}

int64_t memmap_total(const struct hvo_machine *m, bool boot)
{
	int64_t v = 0;

	for (unsigned n = 0; n <= HVO_MAX_NODES; n++)
		v += __atomic_load_n(boot ? &m->memmap[n].boot : &m->memmap[n].buddy, __ATOMIC_RELAXED);
	return v;
}

int64_t memmap_node(const struct hvo_machine *m, unsigned n)
{
	return __atomic_load_n(&m->memmap[n].buddy, __ATOMIC_RELAXED) + __atomic_load_n(&m->memmap[n].boot, __ATOMIC_RELAXED);
}

/* memmap_boot_pages_add() / memmap_pages_add() of a formula's amount nr for
 * the vmemmap at [vs, ve) (TRACEABILITY D3): sparse_init_nid's
 * DIV_ROUND_UP(PAGES_PER_SECTION * sizeof(struct page), PAGE_SIZE), init_late's
 * DIV_ROUND_UP(nr_mmap, PAGE_SIZE), section_nr_vmemmap_pages().  The kernel's
 * counters are global; the model's per-node shards (D13) take the amount
 * at the nodes of the private (writable) pages mapped there, in address
 * order, one each, and any rest at the node of the first.  Boot pages of one
 * range all come from one node (phys_memblock_alloc), so boot takes the
 * first page's node for the whole amount.  The total is the formula's
 * whatever is mapped, so I11 compares it with the pages really mapped. */
void memmap_charge(struct hvo_machine *m, uint64_t vs, uint64_t ve, bool boot, int64_t nr, unsigned described_node)
{
	int64_t sign = nr < 0 ? -1 : 1, left = nr * sign;
	uint64_t frame, first = UINT64_MAX;
	bool rw;

	for (uint64_t va = vs; va < ve && left; va += m->geo.page_size) {
		if (!vm_translate(m, va, &frame, &rw) || !rw)
			continue;
		if (first == UINT64_MAX)
			first = frame;
		if (boot)
			break;
		memmap_account_nr(m, frame, false, sign, described_node);
		left--;
	}
	/* nothing mapped (first still UINT64_MAX, a pfn of no node): the
	 * counter moves all the same, and I11 says so */
	if (left)
		memmap_account_nr(m, first, boot, sign * left, described_node);
}

uint64_t hvo_vmemmap_oom(const struct hvo_machine *m)
{
	return __atomic_load_n(&m->vmemmap_oom, __ATOMIC_RELAXED);
}

void hvo_set_enabled(struct hvo_machine *m, bool on)
{
	/* READ_ONCE(vmemmap_optimize_enabled) on the reader side; only new optimizations stop. */
	__atomic_store_n(&m->enabled, on, __ATOMIC_RELAXED);
}
