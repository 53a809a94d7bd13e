/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Named hooks: every seam where a mutant (a known bug of the spec's
 * catalogue, or one of ours: names.c) or a variant (another revision's
 * design, `./hvo variants`) departs from the baseline.
 *
 * The baseline calls a hook by the name of what departs there, never a
 * mutant by its ID, so it reads like the kernel; each hook says which
 * mutants and variants turn it on.  Only this file calls mut(): the
 * `hooks-only` test (core/tests/test_hooks_only.sh) fails on a mut() or a
 * cfg.mutants test anywhere else in core/src.  A new mutant or variant
 * adds its hook here, next to its names.c entry.
 */
#ifndef HVO_HOOKS_H
#define HVO_HOOKS_H

/* ---------------------------------------------- hugetlb_vmemmap.c, G1 RCU */

/* B3: G1 waits for a grace period per folio, and with no HVO work at all. */
static inline bool hook_rcu_sync_per_folio(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B3);
}

/* B1-gp: G1 optimize raises the static key and remaps without the
 * synchronize_rcu() that lets speculative walkers leave. */
static inline bool hook_optimize_skips_synchronize_rcu(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B1GP);
}

/* ------------------------------------------ hugetlb_vmemmap.c, shared tail */

/* Variant seed-v6 (one vmemmap_tails[] per node) and mutant B13 (the same
 * switch seen as a bug: a movable folio maps the normal zone's tail). */
static inline bool hook_tails_per_node(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B13) || mut(m, HVO_MUT_SEED_V6);
}

/* B14: the tail page initialised by prep_compound_tail() alone. */
static inline bool hook_tail_init_prep_only(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B14);
}

/* B17e, B17f: vmemmap_get_tail()'s fast path reads the slot relaxed. */
static inline bool hook_tail_fast_path_relaxed(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B17E) || mut(m, HVO_MUT_B17F);
}

/* B18: orders above MAX_FOLIO_ORDER only warn (hugetlb_add_hstate), so the
 * runtime vmemmap_get_tail() indexes past vmemmap_tails[]. */
static inline bool hook_folio_order_unchecked(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B18);
}

/* B17c: the tail page is published before it is initialised. */
static inline bool hook_tail_init_after_publish(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B17C);
}

/* B17d: a plain store publishes instead of cmpxchg. */
static inline bool hook_tail_publish_plain_store(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B17D);
}

/* B15 (seed v4): published under spin_lock(&hugetlb_lock), IRQs on. */
static inline bool hook_tail_publish_under_hugetlb_lock(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B15);
}

/* B17e: a relaxed cmpxchg publishes. */
static inline bool hook_tail_publish_relaxed(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B17E);
}

/* B17b: the cmpxchg loser keeps its page (a leak). */
static inline bool hook_tail_loser_keeps_page(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B17B);
}

/* B17a: the loser frees its page and returns it, not the winner's. */
static inline bool hook_tail_loser_returns_own(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B17A);
}

/* ------------------------------------------- hugetlb_vmemmap.c, remap walk */

/* B25: self-hosted vmemmap (memmap_on_memory, an altmap DAX range) is not
 * refused (vmemmap_pmd_entry's test, dax's optimizable test). */
static inline bool hook_self_hosted_unchecked(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B25);
}

/* How many struct pages G1's restore resets per rebuilt page: the
 * baseline's NR_RESET_STRUCT_PAGE; B7-G1 resets 3; variant
 * V6.12.115-restore (Debian 6.12.115+ as shipped) none. */
static inline unsigned hook_g1_restore_reset_pages(const struct hvo_machine *m, unsigned baseline)
{
	if (mut(m, HVO_MUT_V612_RESTORE))
		return 0;
	return mut(m, HVO_MUT_B7G1) ? 3 : baseline;
}

/* Variant V6.12.115-rollback: G1's rollback also rebuilds slot 0. */
static inline bool hook_g1_rollback_rebuilds_slot0(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_V612_ROLLBACK);
}

/* B7: restore fills tail slots from slot 0 (folio metadata in tails). */
static inline bool hook_restore_copies_slot0(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B7);
}

/* B8: the rollback rebuilds every walked slot, slot 0 included. */
static inline bool hook_rollback_rebuilds_slot0(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B8);
}

/* Variant V6.12.113-headcopy: keep the mapped head page when its copy
 * cannot be allocated (mainline to 6.12.113). */
static inline bool hook_head_copy_fallback(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_V612_113_HEADCOPY);
}

/* B27: optimize's out: tests if (ret), not ret < 0. */
static inline bool hook_out_tests_nonzero(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B27);
}

/* B22: the optimized flag is set after the head copy. */
static inline bool hook_flag_after_head_copy(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B22);
}

/* ------------------------------------------ hugetlb_vmemmap.c, accounting */

/* B12a: free_vmemmap_page_list() frees before it accounts. */
static inline bool hook_free_before_account(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B12A);
}

/* B12b: restore accounts its pages before (and whether or not) it got them. */
static inline bool hook_restore_accounts_first(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B12B);
}

/* B26: restore allocates its vmemmap pages __GFP_THISNODE. */
static inline bool hook_restore_alloc_thisnode(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B26);
}

/* ---------------------------------------------- hugetlb_vmemmap.c, batches */

/* B10: the pre-HVO write-protect ends at start + pages_per_huge_page. */
static inline bool hook_wrprotect_end_in_pages(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B10);
}

/* wrprotect-noflush: an all-pre-HVO batch returns before out:'s flush. */
static inline bool hook_wrprotect_batch_skips_flush(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_WRPROTECT_NOFLUSH);
}

/* B23: the batch frees the old vmemmap pages before flush_tlb_all(). */
static inline bool hook_free_before_flush(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B23);
}

/* ---------------------------------------------------------------- boot.c */

/* B16 (seed v6): the HVO population derives the order from the vmemmap
 * length. */
static inline bool hook_order_from_vmemmap_length(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B16);
}

/* Variant V7-boot-fallback-undo: the repair of finding S1, undoing the
 * HVO mapping before the full population. */
static inline bool hook_boot_fallback_undoes_hvo(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_V7_FALLBACK_UNDO);
}

/* Variant LMM-incomplete-gather: gather has no repair of tails left
 * writable (linux-mm's newest tree; D9). */
static inline bool hook_gather_without_tail_repair(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_LMM_INCOMPLETE_GATHER);
}

/* B9: the boot shared tails are initialised after gather reads them. */
static inline bool hook_boot_tails_after_gather(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B9);
}

/* B11: zone contiguity is scanned before gather initialised the memmap. */
static inline bool hook_zone_contiguity_before_gather(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B11);
}

/* Z1 (ours): zones-valid compares the zones of the page's two ends only,
 * blind to a zone run inside it (kernelcore=mirror). */
static inline bool hook_zones_valid_ends_only(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_Z1);
}

/* --------------------------------------------------------- machine.c */

/* B19: the vmemmap base is not checked for MAX_FOLIO_VMEMMAP_ALIGN (I16).
 * Taken from the config: the machine does not exist yet. */
static inline bool hook_vmemmap_base_align_unchecked(const struct hvo_config *cfg)
{
	return cfg->mutants >> HVO_MUT_B19 & 1;
}

/* B12c: the memmap counters go to the node of the described memory. */
static inline bool hook_memmap_node_of_described(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B12C);
}

/* ---------------------------------------------------------------- page.c */

/* B24: compound_head() as two fields written and read apart (2015). */
static inline bool hook_compound_head_two_fields(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B24);
}

/* Variant seed-v7-tail-refcount: init_compound_tail() without
 * set_page_count(tail, 0) (v7; finding S3). */
static inline bool hook_tail_keeps_refcount(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_SEED_V7_TAIL_REFCOUNT);
}

/* X1 (issue 14's experiment): the shared tail-image helper writes
 * _mapcount 0. */
static inline bool hook_tail_image_mapcount_zero(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_X1);
}

/* --------------------------------------------------------------- folio.c */

/* B4: a fresh folio is optimized before it is typed hugetlb. */
static inline bool hook_optimize_before_hugetlb_type(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B4);
}

/* H3: batched demote splits a folio whose restore failed. */
static inline bool hook_demote_splits_unrestored(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_H3);
}

/* B1: G1's speculative get without the RCU read side and fake-head test. */
static inline bool hook_speculative_get_unguarded(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B1);
}

/* B2: G1 tests for a fake head before the acquire read of the refcount. */
static inline bool hook_fake_head_test_first(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B2);
}

/* W1: the walker's folio_try_get() takes its reference on the page it was
 * handed, not on the head compound_head() named. */
static inline bool hook_walker_gets_own_page(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_W1);
}

/* ------------------------------------------------------------- hugetlb.c */

/* H1: remove_hugetlb_folio clears the hugetlb type of an optimized folio
 * before its vmemmap is restored. */
static inline bool hook_clear_hugetlb_before_restore(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_H1);
}

/* H2: PG_hwpoison is moved to the raw page before the vmemmap is
 * restored, a write into the shared tail. */
static inline bool hook_hwpoison_moved_before_restore(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_H2);
}

/* Variant V6.12.118-bulk-warn: the bulk retry restores a folio that is not
 * optimized (Debian 6.12.118 as shipped). */
static inline bool hook_bulk_restores_unoptimized(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_V612_BULK_WARN);
}

/* ------------------------------------------------------ dax.c, sparse_g3.c */

/* B21: memmap_init_zone_device initialises every struct page. */
static inline bool hook_zone_device_inits_all_pages(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B21);
}

/* B20a: DAX populate maps the shared tail without get_page(). */
static inline bool hook_dax_tail_no_get(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B20A);
}

/* B20b: DAX populate takes an extra shared-tail reference per mapping. */
static inline bool hook_dax_tail_extra_get(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B20B);
}

/* B12e: DAX hot-add charges an optimized section's full memmap (before G3
 * patch 03). */
static inline bool hook_dax_charges_full_memmap(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B12E);
}

/* B12d: a hot-add populate error un-accounts the failing section. */
static inline bool hook_populate_error_unaccounts(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B12D);
}

/* ------------------------------------------------------------- vmemmap.c */

/* B28: page_ref_add_unless adds first and checks after. */
static inline bool hook_ref_add_then_check(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B28);
}

/* B6: no smp_wmb() before set_pte_at(); the PTE store is relaxed. */
static inline bool hook_pte_store_unordered(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B6);
}

/* B5: the PMD split reads the leaf before page_table_lock and does not
 * re-check it. */
static inline bool hook_split_pmd_unlocked_read(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_B5);
}

/* H4: vmemmap_split_pmd does not split_page() a block from the buddy (a
 * hotplug=1 node's vmemmap), so the walk frees pages of an unsplit
 * order-9 allocation (I23). */
static inline bool hook_split_pmd_skips_split_page(const struct hvo_machine *m)
{
	return mut(m, HVO_MUT_H4);
}

#endif
