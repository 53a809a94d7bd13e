// SPDX-License-Identifier: GPL-2.0-only
/*
 * hugetlb_vmemmap.c - the runtime algorithms (spec 2.2 - 2.7): the shared tail page
 * per (zone, order), optimize and restore of one folio with the remap walk
 * and its rollback, and the batch variants.  G2 and G3 share all of it; G1
 * differs where 2.4/2.6 say so (no shared tail: slots 1..N-1 alias the head
 * copy, restore rebuilds tails from slot 0, RCU grace periods, static key),
 * and those places test g1().
 *
 * Static functions carry the names of mm/hugetlb_vmemmap.c; the entry points
 * the rest of the model calls keep a g2_ prefix, because the kernel lane
 * links the model beside the real file (core/TRACEABILITY.md maps them).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* remap flags */
#define REMAP_NO_TLB_FLUSH 0x1u
#define SPLIT_NO_TLB_FLUSH 0x2u
#define SYNCHRONIZE_RCU    0x4u  /* G1: a grace period before the first remap of the batch */

/* G1 restore: struct pages [0, NR_RESET) of every rebuilt page are copied
 * from [NR_RESET, 2 * NR_RESET): the folio metadata lives in page[0..3]. */
#define NR_RESET_STRUCT_PAGE 4

static bool g1(const struct hvo_machine *m)
{
	return m->cfg.gen == HVO_G1;
}

/* One batch (or single call): its remap flags, and its own count of grace
 * periods and of folios past should_optimize, kept on the caller's stack
 * (concurrent batches and an injected racer's batch each have their own). */
struct batch {
	unsigned flags;
	unsigned gp, work;   /* gp: counted by the sync seam (batch_begin) */
	unsigned *prev_gp;   /* the registration batch_begin replaced */
};

/* The batch's grace period: once, and only when the batch has work (I19).
 * B3 instead synchronizes in every call, work or not. */
static void g1_sync_rcu(struct hvo_machine *m, struct batch *b)
{
	if (g1(m) && (b->flags & SYNCHRONIZE_RCU)) {
		synchronize_rcu(m);
		b->flags &= ~SYNCHRONIZE_RCU;
	}
}

static void b3_sync_rcu(struct hvo_machine *m)
{
	if (hook_rcu_sync_per_folio(m) && g1(m))
		synchronize_rcu(m);
}

/* Register the batch with the sync seam, which then counts every grace
 * period this CPU waits for at this nesting depth into b->gp: the count
 * does not depend on the model's own code paths calling it (B3). */
static void batch_begin(struct hvo_machine *m, struct batch *b)
{
	unsigned **slot = gp_slot(m);

	b->gp = 0;
	b->prev_gp = *slot;
	*slot = &b->gp;
}

/* I19's facts for the checker (check.c judges them): the most grace
 * periods one batch took, and grace periods taken by batches with no HVO
 * work, over the machine's life.  G1 only: the invariant is G1's. */
static void batch_end(struct hvo_machine *m, const struct batch *b)
{
	unsigned max;

	*gp_slot(m) = b->prev_gp;
	if (!g1(m))
		return;
	max = __atomic_load_n(&m->batch_gp_max, __ATOMIC_RELAXED);
	while (b->gp > max &&
	       !__atomic_compare_exchange_n(&m->batch_gp_max, &max, b->gp, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (b->gp && !b->work)
		__atomic_fetch_add(&m->batch_gp_idle, b->gp, __ATOMIC_RELAXED);
}

/* The list of vmemmap pages in flight: LIFO like list_add + list_first_entry. */
struct pagelist {
	uint64_t *pfn;
	unsigned nr, cap;
};

static bool pl_push(struct pagelist *l, uint64_t pfn)
{
	if (l->nr == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 16;
		uint64_t *n = realloc(l->pfn, cap * sizeof(*n));

		if (!n)
			return false;
		l->pfn = n;
		l->cap = cap;
	}
	l->pfn[l->nr++] = pfn;
	return true;
}

/* Room for n more pages in one allocation: grown by doubling from 16
 * while the walk pushed, the list's old copies left a hole of about 4 KiB
 * per 1 GiB folio between the page tables' 4 KiB allocations, too small
 * for the next one (bench core: 4 MiB of the 1 TiB machine's peak).  A
 * failure is no error: pl_push grows the list as before. */
static void pl_reserve(struct pagelist *l, uint64_t n)
{
	uint64_t cap = l->cap ? 2ull * l->cap : 16;
	uint64_t *p;

	if (l->nr + n <= l->cap)
		return;
	if (cap < l->nr + n)
		cap = l->nr + n;
	if (cap > UINT32_MAX || !(p = realloc(l->pfn, cap * sizeof(*p))))
		return;
	l->pfn = p;
	l->cap = (unsigned)cap;
}

static bool pl_pop(struct pagelist *l, uint64_t *pfn)
{
	if (!l->nr)
		return false;
	*pfn = l->pfn[--l->nr];
	return true;
}

static bool pl_remove(struct pagelist *l, uint64_t pfn)
{
	for (unsigned i = 0; i < l->nr; i++)
		if (l->pfn[i] == pfn) {
			memmove(&l->pfn[i], &l->pfn[i + 1], (l->nr - i - 1) * sizeof(uint64_t));
			l->nr--;
			return true;
		}
	return false;
}

/* free_vmemmap_page_list(): account first, then free (B12a reverses it). */
static void free_vmemmap_page_list(struct hvo_machine *m, struct pagelist *l, unsigned described_node)
{
	uint64_t pfn;

	while (pl_pop(l, &pfn)) {
		struct phys_alloc_info a;
		bool boot;

		if (hook_free_before_account(m))
			mach_free(m, pfn, 0);
		/* After B12a's early free the page's origin is gone and it is
		 * counted as a buddy page: the checker's I11 sees the counters
		 * disagree with the mapping. */
		boot = phys_lookup(m->phys, pfn, &a) && a.origin == PHYS_ORIGIN_BOOT;
		memmap_account(m, pfn, boot, -1, described_node);
		if (!hook_free_before_account(m))
			mach_free(m, pfn, 0);
	}
}

/* ------------------------------------------------------------ shared tail */

/* v7, the baseline, keeps one tail array per zone; v6 one per node. */
static int tail_slot_zone(const struct hvo_machine *m, int zone)
{
	return hook_tails_per_node(m) ? HVO_ZONE_NORMAL : zone;
}

uint64_t g2_tail_pfn(const struct hvo_machine *m, unsigned node, int zone, unsigned order)
{
	unsigned min = m->geo.tail_min_order;

	if (order < min || order - min >= m->geo.nr_vmemmap_tails)
		return 0;
	return __atomic_load_n(&m->zhvo[node][tail_slot_zone(m, zone)].tails[order - min], __ATOMIC_ACQUIRE);
}

/* init_compound_tail() on every struct page of the new page, one at a time:
 * set_compound_head() is a WRITE_ONCE, so each entry starts with a
 * scheduling point at which a racer may look at the page (B17c). */
static void init_tail_page(struct hvo_machine *m, uint64_t pfn, uint8_t *bytes, unsigned node, int zone,
			   unsigned order)
{
	unsigned sps = m->geo.struct_page_size;
	uint8_t img[256];

	canonical_tail_page(m, node, zone, order, 0, img);
	if (hook_tail_init_prep_only(m)) {
		/* B14: prep_compound_tail() on a zeroed page only: node 0, zone 0,
		 * _mapcount 0 (looks mapped). */
		memset(img, 0, PO_INFO);
		memset(img + PO_MAPCOUNT, 0, 4);
	}
	for (uint64_t off = 0; off + sps <= m->geo.page_size; off += sps) {
		uint64_t info;

		memcpy(&info, img + PO_INFO, 8);
		write_once(m, (uint64_t *)(void *)(bytes + off + PO_INFO), info, "get_tail.init");
		memcpy(bytes + off, img, PO_INFO);
		memcpy(bytes + off + PO_INFO + 8, img + PO_INFO + 8, sps - PO_INFO - 8);
	}
	/* the page's plain stores, as one weak-memory location (issue 17) */
	frame_publish(m, pfn);
}

/* vmemmap_get_tail()'s fast path: the load of vmemmap_tails[idx], pfn + 1
 * or 0.  B17e, B17f: a plain (relaxed) reader: nothing orders the tail's
 * contents before this CPU's later reads through its mapping, nor before
 * the PTEs it then points at the tail (spec 5.3). */
static uint64_t vmemmap_get_tail_fast(struct hvo_machine *m, uint64_t *slot)
{
	return hook_tail_fast_path_relaxed(m) ? read_once(m, slot, "get_tail.fast") : load_acquire(m, slot, "get_tail.fast");
}

/* A reader of a published tail that takes no lock (issue 17, item 3): the
 * fast path alone, then struct page idx of the tail read through the linear
 * map with plain loads, as copy_page() from the tail in the restore walk
 * does (compound_info with READ_ONCE).  -ENOENT while nothing is published:
 * no allocation, no publication. */
int g2_read_tail(struct hvo_machine *m, unsigned node, int zone, unsigned order, unsigned idx, uint8_t *buf)
{
	int64_t i = (int64_t)order - m->geo.tail_min_order;
	unsigned sps = m->geo.struct_page_size;
	const uint8_t *bytes;
	uint64_t t, info;

	if (node >= m->cfg.nr_nodes || zone < 0 || zone >= HVO_NR_ZONES || i < 0 || i >= m->geo.nr_vmemmap_tails ||
	    idx >= m->geo.page_size / sps)
		return -HVO_EINVAL;
	t = vmemmap_get_tail_fast(m, m->zhvo[node][tail_slot_zone(m, zone)].tails + i);
	if (!t)
		return -HVO_ENOENT;
	bytes = phys_frame(m->phys, t - 1, false);
	if (!bytes)
		return -HVO_EINVAL;
	/* a weak-memory backend may not show this CPU the init yet (fuzz/WEAK.md) */
	if (!frame_contents_seen(m, t - 1)) {
		memset(buf, 0, sps);
		return 0;
	}
	bytes += (size_t)idx * sps;
	memcpy(buf, bytes, PO_INFO);
	info = __atomic_load_n((const uint64_t *)(const void *)(bytes + PO_INFO), __ATOMIC_RELAXED);
	memcpy(buf + PO_INFO, &info, 8);
	memcpy(buf + PO_INFO + 8, bytes + PO_INFO + 8, sps - PO_INFO - 8);
	return 0;
}

/* vmemmap_get_tail(order, zone): lock-free publication with cmpxchg (2.2). */
int g2_get_tail(struct hvo_machine *m, unsigned node, int zone, unsigned order, uint64_t *out)
{
	int64_t idx = (int64_t)order - m->geo.tail_min_order;
	uint64_t *slot = m->zhvo[node][tail_slot_zone(m, zone)].tails + idx;
	uint64_t t, pfn;
	uint8_t *bytes;
	int rc;

	if (idx < 0 || idx >= m->geo.nr_vmemmap_tails) {
		hvo_violate(m, 6, UINT64_MAX, -1, "vmemmap_tails[] indexed with order %u outside [%u, %u]",
			    order, m->geo.tail_min_order, m->geo.max_folio_order);
		if (!hook_folio_order_unchecked(m))
			return -HVO_EINVAL;
		/* B18: the runtime path has no bounds check; ASan sees this read. */
		(void)read_once(m, slot, "get_tail.fast");
		return -HVO_EINVAL;
	}
	t = vmemmap_get_tail_fast(m, slot);
	if (t) {
		*out = t - 1;
		return 0;
	}
	rc = mach_alloc_frame(m, HVO_SITE_SHARED_TAIL, node, true, &pfn);
	if (rc)
		return rc;
	bytes = phys_frame(m->phys, pfn, false);
	if (!hook_tail_init_after_publish(m))
		init_tail_page(m, pfn, bytes, node, zone, order);
	if (hook_tail_publish_plain_store(m)) {
		/* B17d: a plain store; whoever stores last wins, silently */
		sync_point(m, HVO_SP_CMPXCHG, "get_tail.publish");
		weak_store(m, slot, __atomic_exchange_n(slot, pfn + 1, __ATOMIC_RELAXED), pfn + 1, HVO_MO_RELAXED);
		t = 0;
	} else if (hook_tail_publish_under_hugetlb_lock(m)) {
		/* B15 (seed v4): published under spin_lock(&hugetlb_lock), which
		 * leaves IRQs on; an interrupt freeing a hugetlb folio on this
		 * CPU spins on it (lockdep.c, I22).  Review: cmpxchg instead. */
		spin_lock(m, HVO_LOCK_HUGETLB);
		t = read_once(m, slot, "get_tail.publish");
		if (!t)
			write_once(m, slot, pfn + 1, "get_tail.publish");
		spin_unlock(m, HVO_LOCK_HUGETLB);
	} else if (hook_tail_publish_relaxed(m)) {
		/* B17e: a relaxed publish; the init stores above may be seen after it */
		t = cmpxchg_relaxed(m, slot, 0, pfn + 1, "get_tail.publish");
	} else {
		t = cmpxchg(m, slot, 0, pfn + 1, "get_tail.publish");
	}
	if (t) {
		/* Lost the race: free ours, use the winner's. */
		if (!hook_tail_loser_keeps_page(m))
			mach_free(m, pfn, 0);
		*out = hook_tail_loser_returns_own(m) ? pfn : read_once(m, slot, "get_tail.winner") - 1;
		return 0;
	}
	if (hook_tail_init_after_publish(m))
		init_tail_page(m, pfn, bytes, node, zone, order);
	/* alloc_page()'s reference, which the zone's table keeps: _refcount 1
	 * in the tail page's own struct page, where DAX mappings count their
	 * get_page() (G3, I14).  Nothing else looks at a tail's own struct
	 * page, so the model writes it for ZONE_DEVICE tails only. */
	if (zone == HVO_ZONE_DEVICE)
		vm_write32(m, page_vaddr(m, pfn) + PO_REFCOUNT, 1);
	/* Published tails never change again: make stray writes fault. */
	phys_frame_seal(m->phys, pfn);
	*out = pfn;
	return 0;
}

/* ------------------------------------------------------------ remap walk */

struct walk {
	int (*pte_fn)(struct hvo_machine *m, struct walk *w, uint64_t *slot, uint64_t addr);
	uint64_t head_copy;      /* UINT64_MAX: none */
	uint64_t tail;           /* the shared tail page, UINT64_MAX: none */
	const uint8_t *tail_bytes;
	bool tail_only;          /* restore: touch only slots that map the tail */
	uint64_t slot0;          /* vaddr of the folio's slot 0 (B7 source) */
	struct pagelist *list;
	unsigned flags;
	uint64_t nr_walked;
};

/* vmemmap_pmd_entry()'s test on the first PMD of a walk: the vmemmap page
 * there is PageVmemmapSelfHosted (a memmap_on_memory section hosts its own
 * vmemmap at its start, so the first page decides for the folio).  The
 * model writes no struct page for memory outside folios and bootmem pages,
 * so the bit is the allocator's record of the page: origin ALTMAP.  B25
 * drops the test. */
static bool vmemmap_self_hosted(struct hvo_machine *m, uint64_t addr)
{
	struct phys_alloc_info a;
	uint64_t frame;
	bool rw;

	if (hook_self_hosted_unchecked(m) || !vm_translate(m, addr, &frame, &rw))
		return false;
	return phys_lookup(m->phys, frame, &a) && a.origin == PHYS_ORIGIN_ALTMAP;
}

static int vmemmap_remap_range(struct hvo_machine *m, uint64_t start, uint64_t end, struct walk *w)
{
	uint64_t psz = m->geo.page_size, pmd_size = 1ull << m->geo.pmd_shift;

	if ((start | end) & (psz - 1)) {
		hvo_violate(m, 0, UINT64_MAX, -1, "remap of an unaligned range");
		return -HVO_EINVAL;
	}
	for (uint64_t addr = start; addr < end;) {
		uint64_t pmd_end = m->vbase + (((addr - m->vbase) >> m->geo.pmd_shift) + 1) * pmd_size;
		int rc;

		if (!w->nr_walked && vmemmap_self_hosted(m, addr))
			return -HVO_ENOTSUPP;
		rc = vm_split_pmd(m, addr, !(w->flags & SPLIT_NO_TLB_FLUSH));

		if (rc)
			return rc;
		if (pmd_end > end)
			pmd_end = end;
		for (; addr < pmd_end; addr += psz) {
			uint64_t *slot = vm_pte_slot(m, addr);

			if (!slot || !(*slot & PTE_PRESENT)) {
				hvo_violate(m, 0, UINT64_MAX, -1, "remap walk found no PTE at 0x%llx",
					    (unsigned long long)addr);
				return -HVO_EINVAL;
			}
			rc = w->pte_fn(m, w, slot, addr);
			if (rc)
				return rc;
			w->nr_walked++;
		}
	}
	if (!(w->flags & REMAP_NO_TLB_FLUSH))
		flush_tlb_range(m, start, end);
	return 0;
}

/* Optimize direction: slot 0 -> the head copy (RW), the rest -> the tail (RO). */
static int vmemmap_remap_pte(struct hvo_machine *m, struct walk *w, uint64_t *slot, uint64_t addr)
{
	uint64_t pte;

	if (mach_should_fail(m, HVO_SITE_PTE_UPDATE))
		return -HVO_EAGAIN;
	if (w->nr_walked == 0 && w->head_copy != UINT64_MAX) {
		pl_remove(w->list, w->head_copy);
		pte = mk_pte(w->head_copy, true);
	} else {
		pte = mk_pte(w->tail, false);
	}
	if (!pl_push(w->list, pte_pfn(*slot)))
		return -HVO_ENOMEM;
	vm_set_pte(m, slot, addr, pte);
	return 0;
}

/* G1: copy slot 0 (what every alias shows), then overwrite its head and
 * folio metadata struct pages with the tails that follow them. */
static int g1_vmemmap_restore_pte(struct hvo_machine *m, struct walk *w, uint64_t *slot, uint64_t addr, uint64_t dst)
{
	unsigned sps = m->geo.struct_page_size, nr = hook_g1_restore_reset_pages(m, NR_RESET_STRUCT_PAGE);
	uint64_t frame;
	bool rw;
	const uint8_t *from = vm_cpu_page_bytes(m, w->slot0, &frame, &rw);
	uint8_t *to = phys_frame(m->phys, dst, true);

	if (!to || !from)
		return -HVO_ENOMEM;
	memcpy(to, from, m->geo.page_size);
	memcpy(to, to + (size_t)nr * sps, (size_t)nr * sps);
	frame_publish(m, dst);
	vm_set_pte(m, slot, addr, mk_pte(dst, true));
	return 0;
}

/* Restore direction (and rollback): a fresh RW copy of the tail page. */
static int vmemmap_restore_pte(struct hvo_machine *m, struct walk *w, uint64_t *slot, uint64_t addr)
{
	uint64_t src = pte_pfn(*slot), dst;
	uint8_t *to;
	const uint8_t *from;
	bool rw;

	/* Keep what is not the shared tail: the head copy at slot 0 (B8 drops this).
	 * In G1 slot 0 maps the very page the tails alias. */
	if (w->tail_only && (src != w->tail || (g1(m) && addr == w->slot0 && !hook_g1_rollback_rebuilds_slot0(m))))
		return 0;
	if (mach_should_fail(m, HVO_SITE_PTE_UPDATE))
		return -HVO_EAGAIN;
	if (!pl_pop(w->list, &dst)) {
		/* The kernel's list_first_entry() on an empty list: an oops, so
		 * it is reported where it happens (I17: fewer pages taken than
		 * slots to rebuild); the checker cannot see a list that is gone. */
		hvo_violate(m, 17, src, -1, "restore walk ran out of pages");
		return -HVO_ENOMEM;
	}
	if (g1(m))
		return g1_vmemmap_restore_pte(m, w, slot, addr, dst);
	/* copy_page(dst, tail): the tail is already canonical (the fixed G2). */
	if (hook_restore_copies_slot0(m))
		from = vm_cpu_page_bytes(m, w->slot0, &src, &rw); /* B7: folio metadata into tails */
	else if (w->tail_bytes)
		from = w->tail_bytes;
	else
		from = vm_cpu_page_bytes(m, addr, &src, &rw);
	to = phys_frame(m->phys, dst, true);
	if (!to || !from)
		return -HVO_ENOMEM;
	memcpy(to, from, m->geo.page_size);
	frame_publish(m, dst);
	vm_set_pte(m, slot, addr, mk_pte(dst, true));
	return 0;
}

/* linux-mm @0454b15e, the one tree whose PTE updates (so rollbacks) can
 * fail: a positive result, "partially optimized: keep the flag", which its
 * caller tells from a failure by testing ret < 0 (B27 tests if (ret)).
 * The baselines have no such outcome: their rollback cannot fail (D8). */
#define VMEMMAP_REMAP_INCOMPLETE 1

/* vmemmap_remap_free(): remap, and roll back the walked slots on failure. */
static int vmemmap_remap_free(struct hvo_machine *m, uint64_t vstart, uint64_t start, uint64_t end, uint64_t head_copy,
		      uint64_t tail, struct pagelist *list, unsigned flags)
{
	const uint8_t *tb = phys_frame(m->phys, tail, false);
	struct walk w = { vmemmap_remap_pte, head_copy, tail, tb, false, vstart, list, flags, 0 };
	struct walk rb = { vmemmap_restore_pte, UINT64_MAX, tail, tb, !hook_rollback_rebuilds_slot0(m), vstart, list, 0, 0 };
	int rc = vmemmap_remap_range(m, start, end, &w);

	/* I17 is the checker's: a page left off the list stays allocated and
	 * unmapped (conservation), the head copy left on it is freed while
	 * mapped (I12), and a walk that stops early leaves a flagged folio
	 * with a partial shape that no failed rollback reported (I3). */
	if (rc == 0)
		return 0;
	if (w.nr_walked == 0)
		return rc;
	if (vmemmap_remap_range(m, start, start + (w.nr_walked << m->geo.page_shift), &rb)) {
		/* linux-mm's walk flushes even when it failed; the old pages
		 * are freed next (I12). */
		flush_tlb_range(m, start, end);
		return VMEMMAP_REMAP_INCOMPLETE;
	}
	return rc;
}

/* ---------------------------------------------------------- one folio */

/* Mainline to 6.12.113 kept the mapped head page when its copy could not be
 * allocated; the G1 baseline (6.12.118, "mm/hugetlb: refactor code around
 * vmemmap_walk") returns -ENOMEM, as G2 does. */
static bool head_copy_fallback(const struct hvo_machine *m)
{
	return g1(m) && hook_head_copy_fallback(m);
}

/* out:'s test of the remap's result: ret < 0 clears the flag and keeps
 * it for VMEMMAP_REMAP_INCOMPLETE (+1).  B27: the caller written if (ret),
 * which clears it with tail slots still mapped (I7). */
static bool optimize_failed(const struct hvo_machine *m, int ret)
{
	return hook_out_tests_nonzero(m) ? ret != 0 : ret < 0;
}

static bool folio_is_hugetlb(struct hvo_machine *m, const struct folio *f)
{
	return vm_read32(m, page_vaddr(m, f->pfn) + PO_MAPCOUNT) == PAGE_TYPE_HUGETLB;
}

/* Preconditions both directions assert (B4, I13). */
static bool folio_precheck(struct hvo_machine *m, struct folio *f, int32_t id)
{
	if (!folio_is_hugetlb(m, f)) {
		hvo_violate(m, 7, f->pfn, id, "vmemmap optimize/restore of a folio not marked hugetlb");
		return false;
	}
	if (folio_refcount(m, f) != 0) {
		hvo_violate(m, 13, f->pfn, id, "vmemmap optimize/restore of a folio with refcount %d",
			    folio_refcount(m, f));
		return false;
	}
	return true;
}

static bool vmemmap_should_optimize_folio(struct hvo_machine *m, struct folio *f)
{
	if (folio_optimized(m, f))
		return false;
	if (!__atomic_load_n(&m->enabled, __ATOMIC_RELAXED))
		return false;
	return hvo_geo_optimizable(&m->geo, f->order);
}

static int __hugetlb_vmemmap_optimize_folio(struct hvo_machine *m, struct folio *f, struct pagelist *list, struct batch *b)
{
	int32_t id = f->id;
	uint64_t vstart = page_vaddr(m, f->pfn), vend = vstart + folio_vmemmap_pages(m, f) * m->geo.page_size;
	uint64_t start = vstart, tail = UINT64_MAX, head_copy, frame;
	uint8_t *from, *to;
	bool rw;
	int rc;

	if (!folio_precheck(m, f, id))
		return -HVO_EINVAL;
	b3_sync_rcu(m);
	if (!vmemmap_should_optimize_folio(m, f))
		return 0;
	b->work++;
	if (g1(m)) {
		/* The key first, so readers after the grace period check for fake
		 * heads; B1-gp remaps without waiting for the readers before it. */
		__atomic_fetch_add(&m->g1_key, 1, __ATOMIC_RELAXED);
		if (!hook_optimize_skips_synchronize_rcu(m))
			g1_sync_rcu(m, b);
	} else {
		rc = g2_get_tail(m, f->node, f->zone, f->order, &tail);
		if (rc)
			return rc;
	}
	pl_reserve(list, folio_vmemmap_pages(m, f) + 1);   /* the head copy and every old page */
	/* "Very Subtle": the flag goes in before the copy, so old and new head
	 * agree while other CPUs may still use the old slot 0 (5.4). */
	if (!hook_flag_after_head_copy(m))
		folio_set_optimized(m, f, true);
	rc = mach_alloc_frame(m, HVO_SITE_HEAD_COPY, f->node, false, &head_copy);
	if (rc && head_copy_fallback(m)) {
		/* Variant V6.12.113-headcopy: reuse the old slot 0 page for every
		 * slot and leave slot 0 alone. */
		head_copy = UINT64_MAX;
		vm_translate(m, vstart, &tail, &rw);
		start = vstart + m->geo.page_size;
		rc = 0;
	} else if (rc) {
		goto out;
	} else {
		from = vm_cpu_page_bytes(m, vstart, &frame, &rw);
		to = phys_frame(m->phys, head_copy, false);
		memcpy(to, from, m->geo.page_size);
		frame_publish(m, head_copy);
		if (g1(m))
			tail = head_copy;
		pl_push(list, head_copy);
		memmap_account(m, head_copy, false, +1, f->node);
	}
	if (hook_flag_after_head_copy(m))
		folio_set_optimized(m, f, true);   /* lands in the old slot 0 only */
	rc = vmemmap_remap_free(m, vstart, start, vend, head_copy, tail, list, b->flags);
out:
	/* An incomplete rollback keeps the flag: some slots still map the tail.
	 * The folio records that it was reported (the checker allows the
	 * partial shape only then, I3). */
	f->partial = rc == VMEMMAP_REMAP_INCOMPLETE;
	if (optimize_failed(m, rc)) {
		folio_set_optimized(m, f, false);
		if (g1(m))
			__atomic_fetch_sub(&m->g1_key, 1, __ATOMIC_RELAXED);
	}
	return rc;
}

int g2_optimize_folio(struct hvo_machine *m, struct folio *f)
{
	struct pagelist list = { 0 };
	struct batch b = { SYNCHRONIZE_RCU, 0, 0, NULL };
	int rc;

	batch_begin(m, &b);
	rc = __hugetlb_vmemmap_optimize_folio(m, f, &list, &b);

	batch_end(m, &b);
	free_vmemmap_page_list(m, &list, f->node);
	free(list.pfn);
	/* The kernel's hugetlb_vmemmap_optimize_folio() returns nothing; the
	 * model's API names INCOMPLETE -HVO_EINCOMPLETE (hvo.h). */
	return rc == VMEMMAP_REMAP_INCOMPLETE ? -HVO_EINCOMPLETE : rc;
}

/* Liveness (I0, spec B26): restore's vmemmap pages may come from any node
 * (6a898c2757af), so a real (not injected) allocation failure must mean no
 * node has a GFP_KERNEL page free.  Probe the allocator at that moment,
 * before the pages taken so far go back.  One-CPU backends only (no
 * sync->cpu): with several real or simulated CPUs another one may free a
 * page between the failure and the probe.
 * This judgement stays in the model, not in check.c: the fact it needs
 * (the allocator's state at the failure, with the restore's partial pages
 * still held) exists only here; by the next quiescent check those pages
 * are free again and a correct run looks the same as B26's. */
static void restore_liveness(struct hvo_machine *m, const struct folio *f, uint64_t oom_before)
{
	uint64_t pfn;

	if ((m->cfg.sync && m->cfg.sync->cpu) || __atomic_load_n(&m->vmemmap_oom, __ATOMIC_RELAXED) == oom_before)
		return;
	if (phys_alloc(m->phys, HVO_SITE_RESTORE_PAGE, f->node, -1, 0, PHYS_GFP_KERNEL, &pfn))
		return;
	phys_free(m->phys, pfn, 0);
	hvo_violate(m, 0, f->pfn, f->id,
		    "liveness: restore failed for lack of memory while node %d has a free GFP_KERNEL page (the pool cannot shrink)",
		    phys_node_of(m->phys, pfn));
}

static int __hugetlb_vmemmap_restore_folio(struct hvo_machine *m, struct folio *f, struct batch *b)
{
	int32_t id = f->id;
	uint64_t vstart = page_vaddr(m, f->pfn), psz = m->geo.page_size;
	uint64_t n = folio_vmemmap_pages(m, f), start = vstart + psz, end = vstart + n * psz;
	struct pagelist list = { 0 };
	uint64_t flags_word, tail, pfn, oom_before;
	unsigned node;
	int rc = 0;

	bool rw;

	if (!folio_precheck(m, f, id))
		return -HVO_EINVAL;
	b3_sync_rcu(m);
	if (!folio_optimized(m, f))
		return 0;
	b->work++;
	g1_sync_rcu(m, b);
	/* page_to_nid() of the struct page at start: read through the shared tail (B14). */
	flags_word = vm_read64(m, start + PO_FLAGS);
	node = (unsigned)(flags_word >> FLAGS_NODE_SHIFT & FLAGS_NODE_MASK);
	if (node >= m->cfg.nr_nodes)
		node = f->node;
	if (g1(m))  /* the page every tail slot aliases */
		tail = vm_translate(m, vstart, &tail, &rw) ? tail + 1 : 0;
	else
		tail = g2_tail_pfn(m, f->node, f->zone, f->order);
	if (hook_restore_accounts_first(m))
		for (uint64_t i = 0; i < n - 1; i++)
			memmap_account(m, 0, false, +1, f->node);
	oom_before = __atomic_load_n(&m->vmemmap_oom, __ATOMIC_RELAXED);
	/* All or nothing: the N-1 pages first, accounting only once all came. */
	for (uint64_t i = 0; i < n - 1 && !rc; i++) {
		/* bytes come with the copy in vmemmap_restore_pte */
		rc = mach_alloc(m, HVO_SITE_RESTORE_PAGE, node, -1, 0,
				PHYS_GFP_KERNEL | (hook_restore_alloc_thisnode(m) ? PHYS_GFP_THISNODE : 0), &pfn);
		if (!rc && !pl_push(&list, pfn)) {
			mach_free(m, pfn, 0);
			rc = -HVO_ENOMEM;
		}
	}
	if (rc) {
		restore_liveness(m, f, oom_before);
		while (pl_pop(&list, &pfn))
			mach_free(m, pfn, 0);
		free(list.pfn);
		return rc;
	}
	if (!hook_restore_accounts_first(m))
		for (unsigned i = 0; i < list.nr; i++)
			memmap_account(m, list.pfn[i], false, +1, f->node);
	{
		struct walk w = { vmemmap_restore_pte, UINT64_MAX, tail ? tail - 1 : UINT64_MAX,
				  tail ? phys_frame(m->phys, tail - 1, false) : NULL, tail != 0, vstart, &list, b->flags, 0 };

		rc = vmemmap_remap_range(m, start, end, &w);
		/* a walk that failed after rebuilding some slots is reported
		 * partial: the checker allows that shape (I3) */
		if (rc && w.nr_walked)
			f->partial = true;
	}
	/* Pages a partial walk did not consume go back (newest kernels). */
	free_vmemmap_page_list(m, &list, f->node);
	free(list.pfn);
	if (!rc) {
		folio_set_optimized(m, f, false);
		if (g1(m))
			__atomic_fetch_sub(&m->g1_key, 1, __ATOMIC_RELAXED);
	}
	return rc;
}

int g2_restore_folio(struct hvo_machine *m, struct folio *f)
{
	struct batch b = { SYNCHRONIZE_RCU, 0, 0, NULL };
	int rc;

	batch_begin(m, &b);
	rc = __hugetlb_vmemmap_restore_folio(m, f, &b);

	batch_end(m, &b);
	return rc;
}

/* ---------------------------------------------------------------- batches */

static int hugetlb_vmemmap_split_folio(struct hvo_machine *m, struct folio *f)
{
	uint64_t vstart = page_vaddr(m, f->pfn), psz = m->geo.page_size;
	uint64_t vend = vstart + folio_vmemmap_pages(m, f) * psz, pmd_size = 1ull << m->geo.pmd_shift;

	if (!vmemmap_should_optimize_folio(m, f))
		return 0;
	for (uint64_t a = vstart; a < vend; a = m->vbase + (((a - m->vbase) >> m->geo.pmd_shift) + 1) * pmd_size) {
		int rc = vm_split_pmd(m, a, false);

		if (rc)
			return rc;
	}
	return 0;
}

/* __hugetlb_vmemmap_optimize_folios(h, list, boot) (2.7).  boot: a folio
 * pre-HVO'd at boot is only write-protected, and a batch of nothing else
 * goes to out:, whose flush is the one that makes those write-protects
 * hold on every CPU (D10). */
static void optimize_folios(struct hvo_machine *m, struct folio **fs, unsigned n, bool boot)
{
	struct pagelist list = { 0 };
	struct batch b = { REMAP_NO_TLB_FLUSH | SYNCHRONIZE_RCU, 0, 0, NULL };
	unsigned node = n ? fs[0]->node : 0, nr_to_optimize = 0;
	uint64_t psz = m->geo.page_size;

	if (!n)
		return;
	batch_begin(m, &b);
	/* One split pass without flushes, one flush for all of them. */
	for (unsigned i = 0; i < n; i++) {
		if (boot && folio_optimized(m, fs[i])) {
			uint64_t start = page_vaddr(m, fs[i]->pfn) + psz;
			uint64_t end = start - psz + folio_vmemmap_pages(m, fs[i]) * psz;

			if (hook_wrprotect_end_in_pages(m))
				end = start + (1ull << fs[i]->order);   /* B10: pages added to an address */
			g2_vmemmap_wrprotect_hvo(m, start, end);
			continue;
		}
		nr_to_optimize++;
		if (hugetlb_vmemmap_split_folio(m, fs[i]) == -HVO_ENOMEM)
			break;
	}
	if (!nr_to_optimize) {
		/* D10 mutant: "nothing left to do" returns before out:'s flush */
		if (hook_wrprotect_batch_skips_flush(m)) {
			batch_end(m, &b);
			return;
		}
		goto out;
	}
	flush_tlb_all(m);
	for (unsigned i = 0; i < n; i++) {
		int rc = __hugetlb_vmemmap_optimize_folio(m, fs[i], &list, &b);

		/* "only need to synchronize_rcu() once for each batch": cleared
		 * after the first folio even when it was skipped, so the rest of
		 * the batch runs without a grace period (D6). */
		b.flags &= ~SYNCHRONIZE_RCU;
		if (rc == -HVO_ENOMEM && list.nr) {
			/* Free what we have (after a flush) and retry once. */
			if (!hook_free_before_flush(m))
				flush_tlb_all(m);
			free_vmemmap_page_list(m, &list, node);
			__hugetlb_vmemmap_optimize_folio(m, fs[i], &list, &b);
		}
	}
	/* Other CPUs may use the old translations until this flush (5.4). */
	if (hook_free_before_flush(m))
		free_vmemmap_page_list(m, &list, node);
out:
	flush_tlb_all(m);
	free_vmemmap_page_list(m, &list, node);
	free(list.pfn);
	batch_end(m, &b);
}

void g2_optimize_folios(struct hvo_machine *m, struct folio **fs, unsigned n)
{
	optimize_folios(m, fs, n, false);
}

void g2_optimize_bootmem_folios(struct hvo_machine *m, struct folio **fs, unsigned n)
{
	optimize_folios(m, fs, n, true);
}

int g2_restore_folios(struct hvo_machine *m, struct folio **fs, unsigned n, unsigned *restored)
{
	struct batch b = { REMAP_NO_TLB_FLUSH | SYNCHRONIZE_RCU, 0, 0, NULL };
	int rc = 0;

	*restored = 0;
	batch_begin(m, &b);
	for (unsigned i = 0; i < n; i++) {
		if (!folio_optimized(m, fs[i]) && !(hook_rcu_sync_per_folio(m) && g1(m)))
			continue;
		rc = __hugetlb_vmemmap_restore_folio(m, fs[i], &b);
		if (rc)
			break;
		(*restored)++;
	}
	if (*restored)
		flush_tlb_all(m);
	batch_end(m, &b);
	return rc;
}
