// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_tlb_cpu.c - the simulated CPUs' private TLBs (tlb_cpu.c, spec 5.4):
 * a CPU keeps reading the old frame through its entry until a flush, a miss
 * walks and fills, a flush drops the range on every CPU, a write through a
 * stale entry lands in the old frame (also inside the batch optimize's
 * deferred flush), an access through a stale entry to a freed page is I12; the oracle reads the page tables; without cpu_tlb the
 * model reads the page tables as before.  The CPU is chosen by hand here
 * (a backend whose cpu() returns `cur`), no fibers needed.  Also the
 * global list's write-protect entries (D10).
 */
#include "internal.h"
#include "tests.h"

static unsigned cur;
static unsigned cur_cpu(void *ctx) { (void)ctx; return cur; }

static const struct hvo_sync_ops tlb_ops = { .cpu = cur_cpu, .cpu_tlb = true };
/* Like the threads backend: CPUs, but no private TLB. */
static const struct hvo_sync_ops no_tlb_ops = { .cpu = cur_cpu };

struct remap {
	uint64_t va, old, new_;   /* the vmemmap page, its frame before and after */
	uint64_t *slot;
	uint64_t flags_old, flags_new;
};

/* Split the PMD over an idle pfn's vmemmap and prepare a copy of its page
 * with one struct page's flags changed; nothing mapped yet. */
static void remap_prepare(struct hvo_machine *m, struct remap *r)
{
	uint64_t pfn = m->cfg.node[0].start_pfn + (1ull << 18), psz = m->geo.page_size;
	bool rw;
	uint8_t *from, *to;

	r->va = page_vaddr(m, pfn) & ~(psz - 1);
	CHECK(vm_split_pmd(m, r->va, true) == 0);
	r->slot = vm_pte_slot(m, r->va);
	CHECK(r->slot != NULL);
	r->old = pte_pfn(*r->slot);
	from = vm_page_bytes(m, r->va, &r->old, &rw);
	CHECK(mach_alloc_frame(m, HVO_SITE_HEAD_COPY, 0, false, &r->new_) == 0);
	to = phys_frame(m->phys, r->new_, false);
	memcpy(to, from, psz);
	memcpy(&r->flags_old, from + PO_FLAGS, 8);
	r->flags_new = r->flags_old ^ 0x5a5a0000ull;
	memcpy(to + PO_FLAGS, &r->flags_new, 8);
}

static struct hvo_machine *machine(const struct hvo_sync_ops *ops)
{
	struct hvo_config c;

	hvo_config_default(&c);
	c.sync = ops;
	cur = 0;
	return tests_machine(&c);
}

/* Stale until a flush, fill on a miss, the flush a broadcast. */
static void test_stale_until_flush(void)
{
	struct hvo_machine *m = machine(&tlb_ops);
	struct remap r;
	uint64_t f;

	remap_prepare(m, &r);
	flush_tlb_all(m);
	CHECK(!tlb_cpu_cached(m, 0, r.va, &f) && !tlb_cpu_cached(m, 1, r.va, &f));
	cur = 1;
	CHECK_EQ(vm_read64(m, r.va + PO_FLAGS), r.flags_old);       /* a miss fills */
	CHECK(tlb_cpu_cached(m, 1, r.va, &f) && f == r.old);
	CHECK(!tlb_cpu_cached(m, 0, r.va, &f));                      /* its own TLB only */
	cur = 3;
	(void)vm_read64(m, r.va + PO_FLAGS);
	vm_set_pte(m, r.slot, r.va, mk_pte(r.new_, true));
	cur = 1;
	CHECK_EQ(vm_read64(m, r.va + PO_FLAGS), r.flags_old);       /* stale: the old frame */
	cur = 0;
	CHECK_EQ(vm_read64(m, r.va + PO_FLAGS), r.flags_new);       /* a miss sees the new PTE */
	CHECK(tlb_cpu_cached(m, 0, r.va, &f) && f == r.new_);
	cur = 2;
	CHECK_EQ(vm_read64(m, r.va + PO_FLAGS), r.flags_new);
	/* The oracle reads the page tables, whatever the running CPU holds; a
	 * CPU switch inside it leaves the other CPUs on their TLBs. */
	cur = 1;
	observe_begin(m);
	CHECK_EQ(vm_read64(m, r.va + PO_FLAGS), r.flags_new);
	cur = 3;
	CHECK_EQ(vm_read64(m, r.va + PO_FLAGS), r.flags_old);
	cur = 1;
	observe_end(m);
	/* A flush of another range leaves the entry, one covering it drops it everywhere. */
	flush_tlb_range(m, r.va + m->geo.page_size, r.va + 2 * m->geo.page_size);
	CHECK_EQ(vm_read64(m, r.va + PO_FLAGS), r.flags_old);
	flush_tlb_range(m, r.va, r.va + m->geo.page_size);
	for (unsigned c = 0; c < 4; c++)
		CHECK(!tlb_cpu_cached(m, c, r.va, &f));
	CHECK_EQ(vm_read64(m, r.va + PO_FLAGS), r.flags_new);
	mach_free(m, r.old, 0);
	CHECK(hvo_violation(m) == NULL);
	hvo_machine_destroy(m);
}

/* A write through a stale entry lands in the old frame: lost to the new
 * mapping (B22's hazard); flush_tlb_all drops every CPU's entries. */
static void test_stale_write_lost(void)
{
	struct hvo_machine *m = machine(&tlb_ops);
	struct remap r;
	uint64_t v, f;

	remap_prepare(m, &r);
	flush_tlb_all(m);
	cur = 1;
	(void)vm_read64(m, r.va + PO_FLAGS);
	cur = 3;
	(void)vm_read64(m, r.va + PO_FLAGS);
	vm_set_pte(m, r.slot, r.va, mk_pte(r.new_, true));
	cur = 1;
	CHECK(vm_write64(m, r.va + PO_PRIVATE, 0x1234));
	memcpy(&v, phys_frame(m->phys, r.old, false) + PO_PRIVATE, 8);
	CHECK_EQ(v, 0x1234);
	memcpy(&v, phys_frame(m->phys, r.new_, false) + PO_PRIVATE, 8);
	CHECK(v != 0x1234);
	flush_tlb_all(m);
	CHECK(!tlb_cpu_cached(m, 1, r.va, &f) && !tlb_cpu_cached(m, 3, r.va, &f));
	CHECK(vm_read64(m, r.va + PO_PRIVATE) != 0x1234);
	CHECK(hvo_violation(m) == NULL);
	hvo_machine_destroy(m);
}

/* A PTE changed behind the conservative list's back (as B5's table
 * overwrite does), the old page freed: only the CPU still holding the
 * entry touches freed memory, and that access is I12 (B23's hazard). */
static void test_stale_use_after_free(void)
{
	struct hvo_machine *m = machine(&tlb_ops);
	const struct hvo_violation *v;
	struct remap r;

	remap_prepare(m, &r);
	flush_tlb_all(m);
	cur = 1;
	(void)vm_read64(m, r.va + PO_FLAGS);
	__atomic_store_n(r.slot, mk_pte(r.new_, true), __ATOMIC_RELEASE);
	mach_free(m, r.old, 0);
	CHECK(hvo_violation(m) == NULL);
	cur = 0;
	CHECK_EQ(vm_read64(m, r.va + PO_FLAGS), r.flags_new);
	CHECK(hvo_violation(m) == NULL);
	cur = 1;
	(void)vm_read64(m, r.va + PO_FLAGS);
	v = hvo_violation(m);
	CHECK(v && v->inv == 12 && v->pfn == r.old && strstr(v->msg, "cpu1") && strstr(v->msg, "stale TLB entry"));
	hvo_machine_destroy(m);
}

/* The batch optimize's window (spec 5.4): at its final flush_tlb_all, the
 * optimizer's own entry for a folio's slot 0 still names the old page, not
 * the head copy the PTE now maps; a write through it there (what B22 does
 * when the flag goes in late) is lost once the flush drops the entry. */
static struct hvo_machine *window_m;
static uint64_t window_va, window_old, window_copy, window_val;
static unsigned window_flushes;

static void window_sched(void *ctx, enum hvo_sync_point sp, const char *where)
{
	struct hvo_machine *m = window_m;
	uint64_t f = UINT64_MAX;
	bool rw;

	(void)ctx;
	if (!m || sp != HVO_SP_TLB_FLUSH || strcmp(where, "flush_tlb_all") || ++window_flushes != 2)
		return;
	CHECK(vm_translate(m, window_va, &window_copy, &rw) && window_copy != window_old);
	CHECK(tlb_cpu_cached(m, 0, window_va, &f) && f == window_old);
	window_val = vm_read64(m, window_va + PO_MAPPING) ^ 0x1000;
	CHECK(vm_write64(m, window_va + PO_MAPPING, window_val));
	memcpy(&f, phys_frame(m->phys, window_old, false) + PO_MAPPING, 8);
	CHECK_EQ(f, window_val);
	memcpy(&f, phys_frame(m->phys, window_copy, false) + PO_MAPPING, 8);
	CHECK(f != window_val);
}

static void test_batch_window(void)
{
	static const struct hvo_sync_ops ops = { .sched = window_sched, .cpu = cur_cpu, .cpu_tlb = true };
	struct hvo_machine *m = machine(&ops);
	int32_t ids[2];
	uint64_t f;
	bool rw;

	hvo_set_enabled(m, false);
	for (unsigned i = 0; i < 2; i++)
		CHECK(hvo_folio_alloc(m, 9, 0, HVO_ZONE_NORMAL, &ids[i]) == 0);
	hvo_set_enabled(m, true);
	window_va = page_vaddr(m, folio_at(m, ids[1])->pfn);
	CHECK(vm_translate(m, window_va, &window_old, &rw));
	window_m = m;
	CHECK(hvo_folios_optimize(m, ids, 2) == 0);
	window_m = NULL;
	CHECK_EQ(window_flushes, 2);
	CHECK(vm_read64(m, window_va + PO_MAPPING) != window_val);
	CHECK(tlb_cpu_cached(m, 0, window_va, &f) && f == window_copy);
	hvo_machine_destroy(m);
}

/* Without cpu_tlb (plain, or CPUs without private TLBs like the threads
 * backend) every access reads the current page tables. */
static void test_no_tlb_reads_page_tables(void)
{
	const struct hvo_sync_ops *ops[] = { NULL, &no_tlb_ops };

	for (unsigned i = 0; i < 2; i++) {
		struct hvo_machine *m = machine(ops[i]);
		struct remap r;
		uint64_t f;

		remap_prepare(m, &r);
		cur = 1;
		CHECK_EQ(vm_read64(m, r.va + PO_FLAGS), r.flags_old);
		vm_set_pte(m, r.slot, r.va, mk_pte(r.new_, true));
		CHECK_EQ(vm_read64(m, r.va + PO_FLAGS), r.flags_new);
		CHECK(!tlb_cpu_cached(m, 1, r.va, &f));
		flush_tlb_all(m);
		mach_free(m, r.old, 0);
		CHECK(hvo_violation(m) == NULL);
		hvo_machine_destroy(m);
	}
}

/* The correct model flushes before every free and never relies on a stale
 * entry: a run that hops CPUs between operations stays clean and ends with
 * the digest of the same run without TLBs. */
static uint64_t lifecycle_digest(const struct hvo_sync_ops *ops)
{
	struct hvo_machine *m = machine(ops);
	int32_t ids[4];
	uint64_t d;

	for (unsigned i = 0; i < 4; i++) {
		cur = i % 3;
		CHECK(hvo_folio_alloc(m, 9, i % 2, HVO_ZONE_NORMAL, &ids[i]) == 0);
	}
	cur = 1;
	CHECK(hvo_folio_restore(m, ids[0]) == 0);
	CHECK(hvo_folios_restore(m, ids + 1, 2) == 2);
	cur = 2;
	CHECK(hvo_folios_optimize(m, ids, 3) == 0);
	cur = 0;
	CHECK(hvo_folio_get(m, ids[3]) == 0);
	cur = 1;
	CHECK(hvo_folio_put(m, ids[3]) == 0);
	CHECK(hvo_folio_free(m, ids[1]) == 0);
	CHECK(hvo_folio_demote(m, ids[2], 2) >= 0);
	CHECK_CLEAN(m);
	d = hvo_digest(m);
	hvo_machine_destroy(m);
	return d;
}

static void test_lifecycle_same_digest(void)
{
	uint64_t plain = lifecycle_digest(NULL);

	CHECK_EQ(lifecycle_digest(&tlb_ops), plain);
	CHECK_EQ(lifecycle_digest(&no_tlb_ops), plain);
}

/* D10: an RW->RO change of the same page is a stale (writable)
 * translation until a flush covers it; consecutive ones of one frame share
 * an entry, and a flush of part of them leaves the rest listed (below and
 * above it).  (The checker's side, I10 at a quiescent point with one
 * pending, is the zoo witness wrprotect-noflush.) */
static void test_wrprotect_stale(void)
{
	struct hvo_machine *m = machine(NULL);
	uint64_t pfn = m->cfg.node[0].start_pfn + (1ull << 18), psz = m->geo.page_size;
	uint64_t va = page_vaddr(m, pfn) & ~(psz - 1), frame;
	uint64_t *slot[8];

	CHECK(vm_split_pmd(m, va, true) == 0);
	CHECK(mach_alloc_frame(m, HVO_SITE_HEAD_COPY, 0, false, &frame) == 0);
	for (int k = 1; k < 8; k++) {
		slot[k] = vm_pte_slot(m, va + k * psz);
		CHECK(slot[k] != NULL);
		if (!slot[k])
			return;
		vm_set_pte(m, slot[k], va + k * psz, mk_pte(frame, true));   /* moved: stale */
	}
	flush_tlb_all(m);
	CHECK_EQ(tlb_nr_stale(m), 0);
	for (int k = 1; k < 8; k++)
		vm_set_pte(m, slot[k], va + k * psz, mk_pte(frame, false));  /* write-protect */
	CHECK_EQ(tlb_nr_stale(m), 1);
	flush_tlb_range(m, va + 3 * psz, va + 5 * psz);   /* leaves slots 1-2 and 5-7 */
	CHECK_EQ(tlb_nr_stale(m), 2);
	flush_tlb_range(m, va, va + 4 * psz);
	CHECK_EQ(tlb_nr_stale(m), 1);
	flush_tlb_range(m, va + 7 * psz, va + 8 * psz);
	CHECK_EQ(tlb_nr_stale(m), 1);                     /* slots 5-6 still */
	flush_tlb_range(m, va + 5 * psz, va + 7 * psz);
	CHECK_EQ(tlb_nr_stale(m), 0);
	hvo_machine_destroy(m);
}

int main(void)
{
	test_wrprotect_stale();
	test_stale_until_flush();
	test_stale_write_lost();
	test_stale_use_after_free();
	test_batch_window();
	test_no_tlb_reads_page_tables();
	test_lifecycle_same_digest();
	TESTS_DONE("test_tlb_cpu");
}
