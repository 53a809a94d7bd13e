// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_klane.c - the kernel lane's machine and oracle: a clean run is
 * clean, and each kind of damage planted by hand is reported under the ID
 * it must carry (so no check of the oracle is one that cannot fail).
 * Built against each tree; the planned count makes a test that never ran
 * a failure (liburcu tests style).
 */
#include <stdio.h>
#include <stdlib.h>

#include "kcheck.h"
#include "krun.h"

#define PLANNED 11
static int run, failed;

static void boot(bool hvo)
{
	char err[256];

	if (ka_boot(false, err, sizeof(err))) {
		fprintf(stderr, "boot: %s\n", err);
		exit(2);
	}
	kcheck_reset(ka.tree_api[0] == 'f' ? 4 : 3);
	kc.check_acct = ka.has_memmap_acct;
	ka_set_enabled(hvo);
	kmach_install_fault_handler();
}

static struct kfolio *alloc2m(void)
{
	struct kfolio *f;

	if (ka_alloc(9, &f, NULL) || !f) {
		fprintf(stderr, "alloc failed\n");
		exit(2);
	}
	return f;
}

/* expect: NULL = no finding, else the first finding's ID */
static void verdict(const char *name, const char *expect)
{
	const char *got = kmach.nr_findings ? kmach.findings[0].id : NULL;
	bool ok = expect ? got && !strcmp(got, expect) : !got;

	run++;
	if (!ok)
		failed++;
	printf("%s %s: expected %s, got %s%s%s\n", ok ? "ok" : "FAIL", name, expect ? expect : "clean",
	       got ? got : "clean", got ? ": " : "", got ? kmach.findings[0].msg : "");
	ka_shutdown();
}

int main(void)
{
	static sigjmp_buf recover;
	struct kfolio *f;
	uint64_t pfn;
	bool rw;

	/* 1: alloc (optimized) and the oracle: clean */
	boot(true);
	f = alloc2m();
	kcheck_after(KC_OPTIMIZE);
	verdict("optimized folio is clean", NULL);

	/* 2: a write to a read-only tail slot faults on the host: I10 */
	boot(true);
	f = alloc2m();
	kmach.recover = &recover;
	if (!sigsetjmp(recover, 1))
		((struct page *)pfn_to_page(f->pfn))[64].private = 1;
	kmach.recover = NULL;
	verdict("write through a read-only PTE", "I10");

	/* 3: a plain tail of a folio that was never optimized is damaged: I8 */
	boot(false);
	f = alloc2m();
	pfn_to_page(f->pfn)[100].mapping = NULL;
	kcheck_after(KC_OTHER);
	verdict("tail mapping not TAIL_MAPPING", "I8");

	/* 4: compound_head of a tail no longer leads to the head: I1 */
	boot(false);
	f = alloc2m();
	pfn_to_page(f->pfn)[70].compound_head = 0;
	kcheck_after(KC_OTHER);
	verdict("broken compound_head", "I1");

	/* 5: an order-0 page the kernel took and dropped: I17 */
	boot(true);
	kmach.cur_site = KS_HEAD_COPY;
	(void)alloc_pages_node(0, GFP_KERNEL, 0);
	kcheck_after(KC_OTHER);
	verdict("leaked page", "I17");

	/* 6: freeing the frame slot 0 of an optimized folio maps: I12 */
	boot(true);
	f = alloc2m();
	if (!kmach_translate((unsigned long)pfn_to_page(f->pfn), &pfn, &rw))
		exit(2);
	/* 6.12 maps a buddy head copy there, 6.1 the boot page itself */
	if (PageReserved(pfn_to_page(pfn)))
		free_bootmem_page(pfn_to_page(pfn));
	else
		__free_page(pfn_to_page(pfn));
	verdict("free of a mapped frame", "I12");

	/* 7: a PTE changed and its old frame freed before the flush: I12 */
	boot(false);
	f = alloc2m();
	kmach.cur_site = KS_HEAD_COPY;
	{
		/* split the PMD as the file would, then move slot 1 */
		unsigned long va = (unsigned long)pfn_to_page(f->pfn) + PAGE_SIZE;
		pmd_t *pmd = pmd_off_k(va);
		struct page *blk = pmd_page(*pmd);
		pte_t *t = pte_alloc_one_kernel(&init_mm);
		pmd_t local;
		struct page *n = alloc_pages_node(0, GFP_KERNEL, 0), *old;

		pmd_populate_kernel(&init_mm, &local, t);
		for (unsigned i = 0; i < PTRS_PER_PTE; i++)
			set_pte_at(&init_mm, (va & PMD_MASK) + i * PAGE_SIZE, pte_offset_kernel(&local, (va & PMD_MASK) + i * PAGE_SIZE),
				   mk_pte(blk + i, PAGE_KERNEL));
		pmd_populate_kernel(&init_mm, pmd, t);
		flush_tlb_all();
		old = pte_page(*pte_offset_kernel(pmd, va));
		copy_page(page_to_virt(n), (void *)va);
		set_pte_at(&init_mm, va, pte_offset_kernel(pmd, va), mk_pte(n, PAGE_KERNEL));
		free_bootmem_page(old);
	}
	verdict("free before the TLB flush", "I12");

	/* 8: the memmap counters drift from what is mapped: I11 (trees that
	 * keep them; 6.1 has no NR_MEMMAP_PAGES, where it must stay clean) */
	boot(true);
	memmap_pages_add(1);
	kcheck_after(KC_OTHER);
	verdict("memmap counter off by one", ka.has_memmap_acct ? "I11" : NULL);

	/* 9: one static-key reference too many: I7 */
	boot(true);
	f = alloc2m();
	static_branch_inc(&hugetlb_optimize_vmemmap_key);
	kcheck_after(KC_OTHER);
	verdict("static key count", "I7");

	/* 10: a WARN in kernel code is a finding, never a pass */
	boot(true);
	WARN_ON(1);
	verdict("WARN", "WARN");

	/* 11: a machine on kept host memory runs exactly as a fresh one (the
	 * fuzz target keeps it): same verdict, findings, pfns and counters */
	{
		static const char text[] = "hvo-ops 1\nfail site=restore_page nth=9 repeat=1\nops\n"
					   "alloc order=9 node=0 zone=normal\nalloc order=9 node=0 zone=normal\n"
					   "restore f=0\nrestore f=1\noptimize f=0\nfree f=1\nrestore f=0\n";
		struct hvo_opstream st;
		struct krun_result r[3];
		char err[256];
		bool same = true;

		if (hvo_ops_parse(text, sizeof(text) - 1, "keep", &st, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		for (int k = 0; k < 3; k++) {
			kmach_keep_host(k > 0);
			krun_stream(&st, &r[k], NULL);
		}
		kmach_keep_host(false);
		for (int k = 1; k < 3; k++) {
			same &= r[k].status == r[0].status && r[k].nr_findings == r[0].nr_findings &&
				r[k].fail_op == r[0].fail_op && r[k].memmap_pages == r[0].memmap_pages &&
				r[k].memmap_boot_pages == r[0].memmap_boot_pages && r[k].rcu_syncs == r[0].rcu_syncs;
			for (unsigned i = 0; same && i < r[0].nr_findings; i++)
				same = !strcmp(r[k].findings[i].id, r[0].findings[i].id) &&
				       r[k].findings[i].pfn == r[0].findings[i].pfn;
		}
		hvo_ops_free(&st);
		run++;
		failed += !same;
		printf("%s kept host memory: status %d, %u findings, memmap %ld+%ld in every run\n", same ? "ok" : "FAIL",
		       r[0].status, r[0].nr_findings, r[0].memmap_pages, r[0].memmap_boot_pages);
	}

	printf("%d passed, %d failed (planned %d)\n", run - failed, failed, PLANNED);
	return failed || run != PLANNED;
}
