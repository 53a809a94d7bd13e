// SPDX-License-Identifier: GPL-2.0-only
/*
 * kcheck.c - the kernel lane's oracle (kcheck.h).
 *
 * Independence: every expectation here is computed from the spec's
 * constants (shared/spec/hvo-kernel-spec.md 1.1, 1.2, 1.5, section 3) and
 * the folio's own pfn and order.  It reads struct pages as raw words at
 * their offsets and the page tables as raw entries; it never calls the
 * shim's compound_head()/PageHead() (those are the kernel's, under test),
 * the adapter's prep, or anything of the model in core/.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kcheck.h"

/* spec 1.1 / 1.2 and the x86-64 constants the spec assumes */
#define SP_SIZE 64UL                          /* sizeof(struct page) */
#define OFF_FLAGS 0
#define OFF_INFO 8                            /* compound_info (compound_head) */
#define OFF_MAPPING 24
#define OFF_INDEX 32
#define OFF_PRIVATE 40
#define OFF_MAPCOUNT 48
#define OFF_REFCOUNT 52
#define OFF_MEMCG 56
#define PG_HEAD_BIT 6                         /* "PG_head is bit 6" */
#define HPG_OPTIMIZED_BIT 4                   /* HPG_vmemmap_optimized in folio->private */
#define TAIL_MAPPING_VAL 0xdead000000000400UL /* 0x400 + POISON_POINTER_DELTA */
#define K_PAGE 4096UL
#define K_PTE_PRESENT 1UL
#define K_PTE_RW 2UL
#define K_PMD_LEAF 0x80UL
#define K_PFN_MASK 0x000ffffffffff000UL

struct kcheck kc;

static uint64_t rd64(unsigned long va) { return *(const volatile uint64_t *)va; }
static int32_t rd32(unsigned long va) { return *(const volatile int32_t *)va; }

static unsigned long sp_va(uint64_t pfn) { return (unsigned long)kmach.vmemmap + pfn * SP_SIZE; }

/* The page tables as the hardware would read them. */
static bool walk_va(unsigned long va, uint64_t *pfn, bool *rw)
{
	unsigned long off = va - (unsigned long)kmach.vmemmap;
	uint64_t pmd = kmach.pmds[off >> 21].pmd;

	if (!pmd)
		return false;
	if (pmd & K_PMD_LEAF) {
		*pfn = ((pmd & K_PFN_MASK) >> 12) + ((off >> 12) & 511);
		*rw = true;
		return true;
	}
	uint64_t pte = ((const uint64_t *)(kmach.dmap + (pmd & K_PFN_MASK)))[(off >> 12) & 511];
	if (!(pte & K_PTE_PRESENT))
		return false;
	*pfn = (pte & K_PFN_MASK) >> 12;
	*rw = !!(pte & K_PTE_RW);
	return true;
}

static unsigned long nodezone(void)
{
	/* node 0, ZONE_NORMAL: the only node and zone of the lane's machine */
	return (0UL << KG_NODE_SHIFT) | (KG_ZONE_NORMAL << KG_ZONE_SHIFT);
}

/* spec 1.2: legacy encoding, plus the G1 fake-head rule when the static
 * key is on */
static unsigned long head_of(unsigned long p, bool key_on)
{
	uint64_t w = rd64(p + OFF_INFO);

	if (w & 1)
		return w - 1;
	if (key_on && (p & (K_PAGE - 1)) == 0 && (rd64(p + OFF_FLAGS) & (1UL << PG_HEAD_BIT))) {
		uint64_t w1 = rd64(p + SP_SIZE + OFF_INFO);

		if (w1 & 1)
			return w1 - 1;
	}
	return p;
}

void kcheck_reset(unsigned plain_from)
{
	free(kc.snap);
	memset(&kc, 0, sizeof(kc));
	kc.plain_from = plain_from;
}

void kcheck_before(const struct kfolio *f)
{
	size_t len = (1UL << f->order) * SP_SIZE;

	if (len > kc.snap_cap) {
		free(kc.snap);
		kc.snap = malloc(len);
		kc.snap_cap = kc.snap ? len : 0;
		if (!kc.snap) {
			fprintf(stderr, "hvo-kernel: out of host memory\n");
			abort();
		}
	}
	memcpy(kc.snap, (const void *)sp_va(f->pfn), len);
	kc.snap_id = f->id;
	kc.snap_valid = true;
	kc.was_opt[f->id] = (rd64(sp_va(f->pfn) + OFF_PRIVATE) >> HPG_OPTIMIZED_BIT) & 1;
}

static const char *tail_field_bad(unsigned long p, unsigned long head)
{
	if (rd64(p + OFF_FLAGS) != nodezone())
		return "flags are not the node/zone bits alone";
	if (rd64(p + OFF_INFO) != (head | 1))
		return "compound_head is not head|1";
	if (rd64(p + OFF_MAPPING) != TAIL_MAPPING_VAL)
		return "mapping is not TAIL_MAPPING";
	if (rd64(p + OFF_INDEX) != 0)
		return "index is not 0";
	if (rd64(p + OFF_PRIVATE) != 0)
		return "private is not 0";
	if (rd32(p + OFF_MAPCOUNT) != -1)
		return "_mapcount is not -1";
	if (rd32(p + OFF_REFCOUNT) != 0)
		return "_refcount is not 0";
	if (rd64(p + OFF_MEMCG) != 0)
		return "memcg_data is not 0";
	return NULL;
}

/* Byte equality of one struct page against its snapshot.  A plain tail's
 * word at offset 16 (lru.prev, in the union with compound_head) has no
 * meaning for a tail: prep never writes it and restore copies whatever the
 * source page held there, so it is left out (spec 1.1: offset 16 matters
 * for page[1..3] only). */
static bool sp_equal(const unsigned char *snap, unsigned long p, unsigned long i)
{
	if (i < kc.plain_from)
		return !memcmp(snap, (const void *)p, SP_SIZE);
	return !memcmp(snap, (const void *)p, 16) && !memcmp(snap + 24, (const void *)(p + 24), SP_SIZE - 24);
}

static void dump_sp(char *buf, size_t len, unsigned long p)
{
	snprintf(buf, len, "flags=%#llx info=%#llx mapping=%#llx index=%#llx private=%#llx mapcount=%d refcount=%d",
		 (unsigned long long)rd64(p + OFF_FLAGS), (unsigned long long)rd64(p + OFF_INFO),
		 (unsigned long long)rd64(p + OFF_MAPPING), (unsigned long long)rd64(p + OFF_INDEX),
		 (unsigned long long)rd64(p + OFF_PRIVATE), rd32(p + OFF_MAPCOUNT), rd32(p + OFF_REFCOUNT));
}

static void check_folio(const struct kfolio *f, bool key_on, enum kcheck_op op)
{
	unsigned long n = 1UL << f->order;
	unsigned long head = sp_va(f->pfn);
	unsigned long slots = n * SP_SIZE / K_PAGE;
	bool opt = (rd64(head + OFF_PRIVATE) >> HPG_OPTIMIZED_BIT) & 1;
	bool snap = kc.snap_valid && kc.snap_id == f->id;
	uint64_t pfn0 = 0, pk;
	bool rw0 = false, rwk;
	char dump[256];

	/* I3 / I7: the mapping shape agrees with the flag */
	if (!walk_va(head, &pfn0, &rw0) || !rw0)
		kmach_report("I3", f->pfn, "folio 0x%llx: slot 0 is not mapped read-write", (unsigned long long)f->pfn);
	for (unsigned long k = 1; k < slots; k++) {
		if (!walk_va(head + k * K_PAGE, &pk, &rwk)) {
			kmach_report("I3", f->pfn, "folio 0x%llx: slot %lu unmapped", (unsigned long long)f->pfn, k);
			return;
		}
		if (opt && (pk != pfn0 || rwk))
			kmach_report("I3", f->pfn, "optimized folio 0x%llx: slot %lu maps frame 0x%llx %s, not slot 0's "
				     "frame 0x%llx read-only", (unsigned long long)f->pfn, k, (unsigned long long)pk,
				     rwk ? "RW" : "RO", (unsigned long long)pfn0);
		if (!opt && (pk == pfn0 || !rwk))
			kmach_report("I7", f->pfn, "folio 0x%llx without the optimized flag: slot %lu maps frame 0x%llx %s",
				     (unsigned long long)f->pfn, k, (unsigned long long)pk, rwk ? "RW" : "RO");
	}
	if (opt && !key_on)
		kmach_report("I1", f->pfn, "optimized folio 0x%llx while hugetlb_optimize_vmemmap_key is off: fake heads "
			     "are not corrected", (unsigned long long)f->pfn);

	/* I1 and I2 for every struct page, through the current mapping */
	for (unsigned long i = 0; i < n; i++) {
		unsigned long p = head + i * SP_SIZE;
		unsigned long h = head_of(p, key_on);

		if (h != head) {
			dump_sp(dump, sizeof(dump), p);
			kmach_report("I1", f->pfn + i, "compound_head of pfn 0x%llx (folio 0x%llx + %lu) is %s, not the head: %s",
				     (unsigned long long)(f->pfn + i), (unsigned long long)f->pfn, i,
				     h == p ? "itself" : "another page", dump);
			break;
		}
		if (i && !opt && (rd64(p + OFF_FLAGS) & (1UL << PG_HEAD_BIT))) {
			dump_sp(dump, sizeof(dump), p);
			kmach_report("I2", f->pfn + i, "raw PG_head on tail pfn 0x%llx (folio 0x%llx + %lu) of a folio "
				     "that is not optimized: %s", (unsigned long long)(f->pfn + i),
				     (unsigned long long)f->pfn, i, dump);
			break;
		}
	}

	if (opt) {
		/* I10: what read-only PTEs reach has refcount 0 */
		for (unsigned long i = 0; i < K_PAGE / SP_SIZE; i++)
			if (rd32(head + K_PAGE + i * SP_SIZE + OFF_REFCOUNT) != 0)
				kmach_report("I10", f->pfn + i, "optimized folio 0x%llx: struct page %lu behind the read-only "
					     "slots has refcount %d", (unsigned long long)f->pfn, i,
					     rd32(head + K_PAGE + i * SP_SIZE + OFF_REFCOUNT));
		return;
	}

	/* Not optimized: every plain tail holds the never-optimized image
	 * (I8 after a restore, I9 after a rolled-back optimize) */
	const char *inv = kc.was_opt[f->id] ? "I8" : op == KC_OPTIMIZE ? "I9" : "I8";
	for (unsigned long i = kc.plain_from; i < n; i++) {
		unsigned long p = head + i * SP_SIZE;
		const char *why = tail_field_bad(p, head);

		if (why) {
			dump_sp(dump, sizeof(dump), p);
			kmach_report(inv, f->pfn + i, "folio 0x%llx (order %u) struct page %lu (slot %lu, +%lu): %s "
				     "[%s]", (unsigned long long)f->pfn, f->order, i, i * SP_SIZE / K_PAGE,
				     i % (K_PAGE / SP_SIZE), why, dump);
			break;
		}
	}
	/* I8: restore leaves slot 0 as it was; I9: a failed optimize leaves
	 * every byte as it was */
	if (snap && kc.was_opt[f->id] && (op == KC_RESTORE || op == KC_FREE) &&
	    memcmp(kc.snap, (const void *)head, K_PAGE) != 0) {
		for (unsigned long i = 0; i < K_PAGE / SP_SIZE; i++) {
			if (i == 0)
				continue;   /* the head's flag word changed on purpose */
			if (!sp_equal(kc.snap + i * SP_SIZE, head + i * SP_SIZE, i))
				kmach_report("I8", f->pfn + i, "restore changed struct page %lu of slot 0 of folio 0x%llx", i,
					     (unsigned long long)f->pfn);
		}
	}
	if (snap && !kc.was_opt[f->id] && op == KC_OPTIMIZE) {
		for (unsigned long i = 1; i < n; i++)
			if (!sp_equal(kc.snap + i * SP_SIZE, head + i * SP_SIZE, i)) {
				dump_sp(dump, sizeof(dump), head + i * SP_SIZE);
				kmach_report("I9", f->pfn + i, "optimize of folio 0x%llx did not happen or was rolled back, "
					     "yet struct page %lu changed: %s", (unsigned long long)f->pfn, i, dump);
				break;
			}
	}
}

/* I11, I12 and the conservation of frames, from the raw tables. */
static void check_frames(void)
{
	uint8_t *mapped = calloc(kmach.nr_pfns, 1);
	long distinct = 0;

	if (!mapped) {
		fprintf(stderr, "hvo-kernel: out of host memory\n");
		abort();
	}
	for (size_t i = 0; i < kmach.nr_pmds; i++) {
		uint64_t pmd = kmach.pmds[i].pmd;

		if (!pmd)
			continue;
		if (pmd & K_PMD_LEAF) {
			for (unsigned j = 0; j < 512; j++)
				mapped[((pmd & K_PFN_MASK) >> 12) + j] |= 1;
			continue;
		}
		uint64_t tpfn = (pmd & K_PFN_MASK) >> 12;
		const uint64_t *t = (const uint64_t *)(kmach.dmap + (tpfn << 12));

		mapped[tpfn] |= 2;
		for (unsigned j = 0; j < 512; j++)
			if (t[j] & K_PTE_PRESENT)
				mapped[(t[j] & K_PFN_MASK) >> 12] |= 1;
	}
	/* the folio region holds only KF_FREE and KF_HUGE frames: none may be
	 * mapped by the vmemmap (a folio's own frames never back struct pages) */
	for (uint64_t p = kmach.low_pfns; p < kmach.nr_pfns; p++)
		if (mapped[p])
			kmach_report("I12", p, "frame 0x%llx of the folio region is mapped by the vmemmap",
				     (unsigned long long)p);
	for (uint64_t p = 0; p < kmach.low_pfns; p++) {
		distinct += mapped[p] & 1;
		switch (kmach.state[p]) {
		case KF_FREE:
			if (mapped[p])
				kmach_report("I12", p, "frame 0x%llx is free yet the vmemmap maps it", (unsigned long long)p);
			break;
		case KF_BUDDY:
		case KF_MEMBLOCK:
			if (!(mapped[p] & 1))
				kmach_report("I17", p, "frame 0x%llx (%s) is held but neither mapped by the vmemmap nor free: "
					     "leaked", (unsigned long long)p,
					     kmach.state[p] == KF_BUDDY ? "buddy page" : "boot vmemmap page");
			break;
		case KF_PTABLE:
			if (!(mapped[p] & 2))
				kmach_report("I17", p, "PTE table frame 0x%llx is allocated but not linked: leaked",
					     (unsigned long long)p);
			break;
		default:
			break;
		}
	}
	if (kc.check_acct && kmach.memmap_pages + kmach.memmap_boot_pages != distinct)
		kmach_report("I11", UINT64_MAX, "NR_MEMMAP_PAGES %ld + NR_MEMMAP_BOOT_PAGES %ld = %ld, but the vmemmap "
			     "maps %ld distinct frames", kmach.memmap_pages, kmach.memmap_boot_pages,
			     kmach.memmap_pages + kmach.memmap_boot_pages, distinct);
	free(mapped);
}

void kcheck_after(enum kcheck_op op)
{
	kc.last_op = op;
	bool key_on = atomic_read(&hugetlb_optimize_vmemmap_key.enabled) > 0;
	int opt = 0;

	if (init_mm.page_table_lock.depth || init_mm.mmap_lock)
		kmach_report("BUG", UINT64_MAX, "a lock is still held after the op (page_table_lock %d, mmap %d)",
			     init_mm.page_table_lock.depth, init_mm.mmap_lock);
	for (unsigned i = 0; i < ka.nr_folios; i++) {
		const struct kfolio *f = &ka.folios[i];

		if (!f->live)
			continue;
		check_folio(f, key_on, op);
		opt += (rd64(sp_va(f->pfn) + OFF_PRIVATE) >> HPG_OPTIMIZED_BIT) & 1;
	}
	/* one static-key reference per optimized folio (static_branch_inc in
	 * optimize, _dec in restore) */
	if (atomic_read(&hugetlb_optimize_vmemmap_key.enabled) != opt)
		kmach_report("I7", UINT64_MAX, "hugetlb_optimize_vmemmap_key is %d with %d optimized folios",
			     atomic_read(&hugetlb_optimize_vmemmap_key.enabled), opt);
	check_frames();
	kc.snap_valid = false;
	for (unsigned i = 0; i < ka.nr_folios; i++)
		if (ka.folios[i].live)
			kc.was_opt[i] = kc.was_opt[i] ||
					((rd64(sp_va(ka.folios[i].pfn) + OFF_PRIVATE) >> HPG_OPTIMIZED_BIT) & 1);
}
