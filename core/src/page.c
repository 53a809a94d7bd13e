// SPDX-License-Identifier: GPL-2.0-only
/*
 * page.c - compound_head() in both encodings (1.2) and the struct page
 * initialisers of a HugeTLB folio (2.1).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* hugetlb_optimize_vmemmap_enabled() as this CPU sees it: inside an RCU
 * read-side section, what the key was when the section began (the
 * optimizer's synchronize_rcu() after raising it waits for such readers
 * before any remap; B1-gp drops that wait). */
static bool g1_key_on(struct hvo_machine *m)
{
	const struct rcu_cpu *r = &m->rcu_cpu[mach_cpu(m) % GP_CPUS];

	return r->nest ? r->key != 0 : __atomic_load_n(&m->g1_key, __ATOMIC_RELAXED) != 0;
}

/* G1 page_fixed_fake_head(): a PAGE_SIZE-aligned struct page with PG_head
 * may be an alias of the head page (slots 1..N-1 of an optimized folio map
 * slot 0).  Then page[1] is a real tail and names the real head.  Only
 * while the static key is on (spec 1.2). */
static uint64_t fixed_fake_head(struct hvo_machine *m, uint64_t vaddr, uint64_t flags)
{
	uint64_t w1;

	if (m->cfg.gen != HVO_G1 || !g1_key_on(m) ||
	    vaddr % m->geo.page_size || !(flags >> PG_HEAD & 1))
		return vaddr;
	sync_point(m, HVO_SP_READ_ONCE, "page_fixed_fake_head");
	w1 = vm_read64(m, vaddr + m->geo.struct_page_size + PO_INFO);
	return (w1 & 1) ? w1 - 1 : vaddr;
}

/* compound_info as one word (1d798ca3f164).  B24: the 2015 two-field form,
 * PageTail then first_page then PageTail again, each its own access: a
 * reader can pair a stale head with a fresh tail flag. */
static uint64_t read_compound_info(struct hvo_machine *m, uint64_t vaddr)
{
	uint64_t flag, head;

	if (!hook_compound_head_two_fields(m))
		return vm_read64(m, vaddr + PO_INFO);
	flag = vm_read64(m, vaddr + PO_INFO) & 1;
	sync_point(m, HVO_SP_READ_ONCE, "compound_head.first_page");
	head = vm_read64(m, vaddr + PO_INFO) & ~1ull;
	sync_point(m, HVO_SP_READ_ONCE, "compound_head.recheck");
	flag &= vm_read64(m, vaddr + PO_INFO);
	return head | flag;
}

uint64_t compound_head_vaddr(struct hvo_machine *m, uint64_t vaddr)
{
	uint64_t w;

	sync_point(m, HVO_SP_READ_ONCE, "compound_head");
	w = read_compound_info(m, vaddr);
	if (mask_encoding(m)) {
		/* Branch-free mask resolution: tail -> w, otherwise all ones. */
		uint64_t mask = ((w & 1) - 1) | w;

		return vaddr & mask;
	}
	if (w & 1)
		return w - 1;
	return fixed_fake_head(m, vaddr, vm_read64(m, vaddr + PO_FLAGS));
}

/* G1 page_is_fake_head(): page_fixed_fake_head(p) != p (spec 1.2). */
bool page_is_fake_head(struct hvo_machine *m, uint64_t vaddr)
{
	return fixed_fake_head(m, vaddr, vm_read64(m, vaddr + PO_FLAGS)) != vaddr;
}

void page_head_tail(struct hvo_machine *m, uint64_t vaddr, bool *head, bool *tail)
{
	uint64_t flags = vm_read64(m, vaddr + PO_FLAGS), info = read_compound_info(m, vaddr);
	bool fake = !(info & 1) && page_is_fake_head(m, vaddr);

	*head = (flags >> PG_HEAD & 1) && !fake;
	*tail = (info & 1) || fake;
}

uint64_t tail_info(const struct hvo_machine *m, uint64_t head_vaddr, unsigned order)
{
	return mask_encoding(m) ? hvo_geo_tail_info(&m->geo, order) : head_vaddr | 1;
}

static void put64(uint8_t *b, unsigned off, uint64_t v) { memcpy(b + off, &v, 8); }
static void put32(uint8_t *b, unsigned off, uint32_t v) { memcpy(b + off, &v, 4); }

void init_compound_tail(const struct hvo_machine *m, unsigned node, int zone, unsigned order,
			uint64_t head_vaddr, uint8_t *buf)
{
	uint64_t flags;

	memcpy(&flags, buf + PO_FLAGS, 8);
	flags &= ~(FLAGS_NODE_MASK << FLAGS_NODE_SHIFT | FLAGS_ZONE_MASK << FLAGS_ZONE_SHIFT);
	put64(buf, PO_FLAGS, flags | page_flags_nodezone(node, zone));   /* set_page_node, set_page_zone */
	if (!hook_tail_keeps_refcount(m))
		put32(buf, PO_REFCOUNT, 0);                                /* set_page_count(tail, 0) */
	/* X1: the experiment of tracker issue 14, B14's symptom planted in
	 * this helper the model shares by all its writers */
	put32(buf, PO_MAPCOUNT, hook_tail_image_mapcount_zero(m) ? 0 : (uint32_t)-1);
	/* prep_compound_tail(): TAIL_MAPPING, compound_info, private 0 */
	put64(buf, PO_MAPPING, TAIL_MAPPING);
	put64(buf, PO_INFO, tail_info(m, head_vaddr, order));
	put64(buf, PO_PRIVATE, 0);
}

void canonical_tail_page(const struct hvo_machine *m, unsigned node, int zone, unsigned order,
			 uint64_t head_vaddr, uint8_t *buf)
{
	memset(buf, 0, m->geo.struct_page_size);
	init_compound_tail(m, node, zone, order, head_vaddr, buf);
	if (zone == HVO_ZONE_DEVICE)
		put64(buf, PO_FLAGS, page_flags_nodezone(node, zone) | 1ull << PG_RESERVED);
}

/* B24: prep/free as two fields, first_page then (after smp_wmb) the tail
 * flag: write the new image with every old tail flag kept, a scheduling
 * point, then the caller writes the flags too. */
static bool b24_write_head_first(struct hvo_machine *m, uint64_t pva, uint64_t lo, uint64_t hi,
				 const uint8_t *stage)
{
	unsigned sps = m->geo.struct_page_size;
	uint64_t psz = m->geo.page_size, frame;
	bool rw;
	const uint8_t *old = vm_cpu_page_bytes(m, pva, &frame, &rw);
	uint8_t *half = malloc(psz);
	bool ok;

	if (!old || !half) {
		free(half);
		return false;
	}
	memcpy(half, stage, psz);
	for (uint64_t p = (lo - m->vbase) / sps; page_vaddr(m, p) < hi; p++) {
		uint64_t flag_va = page_vaddr(m, p) + PO_INFO; /* bit 0: the low byte (little endian) */

		if (flag_va >= lo && flag_va < hi)
			half[flag_va - pva] = (uint8_t)((half[flag_va - pva] & ~1u) | (old[flag_va - pva] & 1u));
	}
	ok = vm_write_bytes(m, lo, half + (lo - pva), hi - lo);
	free(half);
	sync_point(m, HVO_SP_WRITE_ONCE, "set_compound_head.tail_flag");
	return ok;
}

/* The staging buffer of write_pages: the machine's own when no other
 * thread holds it, else one from the host pool.  A fresh malloc per call
 * faulted in new pages under ASan (its quarantine), a tenth of fuzz_ops'
 * time (issue 16); a free per call left a 4 KiB hole in the heap per 1 GiB
 * folio, each page table's 4 KiB + header just too big for it (bench core:
 * 4 MiB of the 1 TiB machine's peak).  Every byte read is written first. */
static uint8_t *stage_get(struct hvo_machine *m)
{
	uint8_t *b = __atomic_exchange_n(&m->stage, NULL, __ATOMIC_ACQUIRE);

	return b ? b : hpool_alloc(m->cfg.host_pool, 2 * m->geo.page_size, 16, false);
}

static void stage_put(struct hvo_machine *m, uint8_t *b)
{
	uint8_t *none = NULL;

	if (b && !__atomic_compare_exchange_n(&m->stage, &none, b, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		hpool_free(m->cfg.host_pool, b, 2 * m->geo.page_size, 16);
}

/* Write the struct pages of [pfn, pfn + nr) through the vmemmap, one
 * translation per vmemmap page (a struct page may straddle two pages when
 * its size is not a power of two).  tails: fn writes f's tail
 * (hugetlb_page_img) from index 4 on, the same bytes for each but its own
 * lru.prev, so a vmemmap page holding only those is one image, composed
 * once, with each struct page's lru.prev set as it is copied. */
static bool write_pages(struct hvo_machine *m, uint64_t pfn, uint64_t nr, page_img_fn fn, const struct folio *f,
			bool tails)
{
	unsigned sps = m->geo.struct_page_size;
	uint64_t psz = m->geo.page_size;
	uint64_t va = page_vaddr(m, pfn), vend = page_vaddr(m, pfn + nr);
	uint8_t *stage = stage_get(m), img[256];
	bool ok = stage != NULL;

	tails = ok && tails && psz % sps == 0;
	if (tails) {
		fn(m, f, f->pfn + NR_USED_SUBPAGE, img);
		for (uint64_t off = 0; off < psz; off += sps)
			memcpy(stage + psz + off, img, sps);
	}
	for (uint64_t pva = va & ~(psz - 1); ok && pva < vend; pva += psz) {
		uint64_t lo = pva > va ? pva : va, hi = pva + psz < vend ? pva + psz : vend;
		const uint8_t *src = stage;

		if (tails && lo == pva && hi == pva + psz && (pva - m->vbase) / sps >= f->pfn + NR_USED_SUBPAGE) {
			src = stage + psz;
			for (uint64_t off = 0; off < psz; off += sps)
				put64(stage + psz + off, PO_LRU_PREV, pva + off + PO_INFO);
		}
		for (uint64_t p = (lo - m->vbase) / sps; src == stage && page_vaddr(m, p) < hi; p++) {
			uint64_t sva = page_vaddr(m, p);
			uint64_t from = sva < lo ? lo - sva : 0, to = sva + sps > hi ? hi - sva : sps;

			fn(m, f, p, img);
			memcpy(stage + (sva + from - pva), img + from, to - from);
		}
		if (hook_compound_head_two_fields(m))
			ok = b24_write_head_first(m, pva, lo, hi, src);
		if (ok)
			ok = vm_write_bytes(m, lo, src + (lo - pva), hi - lo);
	}
	stage_put(m, stage);
	return ok;
}

bool write_struct_pages(struct hvo_machine *m, uint64_t pfn, uint64_t nr, page_img_fn fn,
			       const struct folio *f)
{
	return write_pages(m, pfn, nr, fn, f, false);
}

/* A HugeTLB folio's struct pages as the kernel leaves them (D12): the
 * buddy's page (memmap_init_page: __init_single_page, refcount 0), then
 * prep_compound_page / hugetlb_folio_init_vmemmap: each tail gets
 * init_compound_tail's fields (the same bytes as __init_single_page +
 * prep_compound_tail + set_page_count(0)), keeping its self-pointing
 * lru.prev and last_cpupid; the head keeps its lru (INIT_LIST_HEAD in
 * init_new_hugetlb_folio) and is frozen at refcount 0. */
static void hugetlb_page_img(struct hvo_machine *m, const struct folio *f, uint64_t pfn, uint8_t *img)
{
	uint64_t i = pfn - f->pfn, nr = 1ull << f->order, flags;

	memmap_init_page(m, pfn, img);
	if (i == 0) { /* the head, typed hugetlb, frozen (refcount 0) in the pool */
		memcpy(&flags, img + PO_FLAGS, 8);
		put64(img, PO_FLAGS, flags | 1ull << PG_HEAD);
		put32(img, PO_MAPCOUNT, PAGE_TYPE_HUGETLB);
		return;
	}
	init_compound_tail(m, f->node, f->zone, f->order, page_vaddr(m, f->pfn), img);
	if (i == 1) { /* folio: order, mapcounts, nr_pages */
		memcpy(&flags, img + PO_FLAGS, 8);
		put64(img, PO_FLAGS, flags | f->order);
		put32(img, F1_LARGE_MAPCOUNT, (uint32_t)-1);
		put32(img, F1_NR_PAGES_MAPPED, 0);
		put32(img, F1_ENTIRE_MAPCOUNT, (uint32_t)-1);
		put32(img, F1_PINCOUNT, 0);
		put64(img, F1_NR_PAGES, nr);
	} else if (i == 2) { /* _deferred_list, empty: points at itself */
		uint64_t self = page_vaddr(m, pfn) + F2_DEFERRED_NEXT;

		put64(img, F2_DEFERRED_NEXT, self);
		put64(img, F2_DEFERRED_PREV, self);
	} else if (i == 3) { /* hugetlb subpool and cgroup (B7 leaks these) */
		put64(img, F3_SUBPOOL, f->tag);
		put64(img, F3_CGROUP, f->tag ^ 0x00000000c0000000ull);
	}
}

static void memmap_page_img(struct hvo_machine *m, const struct folio *f, uint64_t pfn, uint8_t *img)
{
	(void)f;
	memmap_init_page(m, pfn, img);
}

bool prep_hugetlb_folio(struct hvo_machine *m, const struct folio *f)
{
	return write_pages(m, f->pfn, 1ull << f->order, hugetlb_page_img, f, true);
}

bool prep_hugetlb_range(struct hvo_machine *m, const struct folio *f, uint64_t from, uint64_t to)
{
	return write_pages(m, f->pfn + from, to - from, hugetlb_page_img, f, true);
}

/* What free_pages_prepare() leaves in one struct page of a compound page
 * going to the buddy (D12), from its current bytes: every page's flags
 * lose PAGE_FLAGS_CHECK_AT_PREP (the raw page keeps PG_hwpoison), page[1]
 * also PAGE_FLAGS_SECOND; free_tail_page_prepare writes mapping = NULL
 * and clear_compound_head (lru.next = 0) in each tail, so a tail keeps
 * its lru.prev (page[1]: _large_mapcount over it) and the rest; the head
 * gets mapping = NULL and page_cpupid_reset_last().  Not modelled: what
 * the buddy then writes into the head of the free block (PageBuddy, the
 * order in private, the free-list links in lru: phys.c keeps its free
 * lists in its own table). */
static void freed_page_img(struct hvo_machine *m, const struct folio *f, uint64_t pfn, uint8_t *img)
{
	unsigned sps = m->geo.struct_page_size;
	uint64_t va = page_vaddr(m, pfn), off = va & (m->geo.page_size - 1), flags, frame;
	const uint8_t *b = NULL;
	bool rw;

	/* one translation per struct page unless it straddles two pages */
	if (!weak_mode(m) && off + sps <= m->geo.page_size)
		b = vm_cpu_page_bytes(m, va, &frame, &rw);
	if (b)
		memcpy(img, b + off, sps);
	else
		for (unsigned o = 0; o + 8 <= sps; o += 8)
			put64(img, o, vm_read64(m, va + o));
	memcpy(&flags, img + PO_FLAGS, 8);
	flags &= ~PAGE_FLAGS_CHECK_AT_PREP;
	if (pfn == f->pfn + 1)
		flags &= ~PAGE_FLAGS_SECOND;
	if (pfn == f->pfn)
		flags |= FLAGS_CPUPID_MASK << FLAGS_CPUPID_SHIFT;
	else
		put64(img, PO_INFO, 0);
	put64(img, PO_FLAGS, flags);
	put64(img, PO_MAPPING, 0);
}

bool free_pages_prepare(struct hvo_machine *m, const struct folio *f)
{
	return write_struct_pages(m, f->pfn, 1ull << f->order, freed_page_img, f);
}

bool reset_struct_pages(struct hvo_machine *m, uint64_t pfn, uint64_t nr)
{
	return write_struct_pages(m, pfn, nr, memmap_page_img, NULL);
}
