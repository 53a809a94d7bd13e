// SPDX-License-Identifier: GPL-2.0-only
/*
 * names.c - printable names of the enums in hvo.h, and the mutant catalogue.
 */
#include <strings.h>

#include "hvo/hvo.h"

#define LOOKUP(tab, i) ((i) >= 0 && (size_t)(i) < sizeof(tab) / sizeof(tab[0]) ? tab[i] : "?")

static const char *const zone_names[HVO_NR_ZONES] = { "dma32", "normal", "movable", "device" };
static const char *const site_names[HVO_NR_SITES] = {
	"memblock", "hugetlb_folio", "shared_tail", "head_copy", "pte_table", "restore_page", "pte_update",
	"dax_vmemmap", "pmd_populate",
};
static const char *const sp_names[HVO_NR_SYNC_POINTS] = {
	"read_once", "write_once", "cmpxchg", "atomic", "pte_set", "pmd_set", "tlb_flush", "lock",
	"rcu_read_lock", "rcu_read_unlock", "rcu_sync",
};

/* Each entry cites its catalogue ID in spec section 4. */
static const struct hvo_mutant_info mutants[HVO_NR_MUTANTS] = {
	[HVO_MUT_B7] = { "B7", "restore fills tail slots from slot 0, so folio metadata lands in tail struct pages", false, false },
	[HVO_MUT_B8] = { "B8", "rollback rebuilds every walked slot, slot 0 included, from the tail template", false, false },
	[HVO_MUT_B12A] = { "B12a", "memmap stat updated after the vmemmap page was freed (reads a freed page)", false, false },
	[HVO_MUT_B12B] = { "B12b", "restore accounts the new vmemmap pages even when allocating them failed", false, false },
	[HVO_MUT_B12C] = { "B12c", "memmap accounted to the node of the described memory, not where the page lives", false, false },
	[HVO_MUT_B17B] = { "B17b", "get_tail loser does not free its page (leak)", false, false },
	[HVO_MUT_B17C] = { "B17c", "get_tail publishes the tail page before initialising it", false, false },
	[HVO_MUT_B18] = { "B18", "orders above MAX_FOLIO_ORDER only warn; runtime get_tail indexes past vmemmap_tails[]", false, false },
	[HVO_MUT_B19] = { "B19", "vmemmap base not checked for MAX_FOLIO_VMEMMAP_ALIGN with the mask encoding", false, false },
	[HVO_MUT_B22] = { "B22", "optimized flag set after the head copy, so the new head never carries it", false, false },
	[HVO_MUT_B27] = { "B27", "optimize's out: tests if (ret), not ret < 0, so VMEMMAP_REMAP_INCOMPLETE (+1, the rollback "
			  "walk failed too) clears the flag of a partially optimized folio (I7)", false, false },
	[HVO_MUT_B5] = { "B5", "PMD split reads the leaf before taking page_table_lock and does not re-check it", true, false },
	[HVO_MUT_B17A] = { "B17a", "get_tail loser frees its page and returns it instead of the winner's", true, false },
	[HVO_MUT_B17D] = { "B17d", "get_tail publishes with a plain store instead of cmpxchg", true, false },
	[HVO_MUT_B23] = { "B23", "batch optimize frees the old vmemmap pages before flush_tlb_all()", true, false },
	/* G1 and boot */
	[HVO_MUT_B7G1] = { "B7-G1", "G1 restore resets 3 struct pages per rebuilt page, leaving page[3] metadata in tails", false, false },
	[HVO_MUT_B3] = { "B3", "G1 synchronize_rcu() once per folio and even without HVO work", false, false },
	[HVO_MUT_B4] = { "B4", "a fresh folio is optimized before it is typed hugetlb", false, false },
	[HVO_MUT_B13] = { "B13", "shared tails per node (v6): a movable folio maps the normal zone's tail", false, false },
	[HVO_MUT_B14] = { "B14", "shared tail initialised by prep_compound_tail only: node/zone 0, mapcount 0", false, false },
	[HVO_MUT_B9] = { "B9", "boot: shared tails initialised after gather, which reads them (late_initcall)", false, false },
	[HVO_MUT_B10] = { "B10", "boot: pre-HVO write-protect ends at start + pages_per_huge_page (bytes for pages)", false, false },
	[HVO_MUT_B11] = { "B11", "boot: zone contiguity scanned before gather initialised the bootmem memmap", false, false },
	[HVO_MUT_B16] = { "B16", "boot: HVO population derives the order from the vmemmap length (v6)", false, false },
	[HVO_MUT_B26] = { "B26", "restore allocates its vmemmap pages __GFP_THISNODE (fails on movable-only nodes)", false, false },
	/* G3 DAX */
	[HVO_MUT_B20A] = { "B20a", "DAX populate maps the shared tail without get_page: hot-remove frees it under other users", false, false },
	[HVO_MUT_B20B] = { "B20b", "DAX populate takes an extra shared-tail reference per mapping (leak)", false, false },
	[HVO_MUT_B21] = { "B21", "memmap_init_zone_device initialises every struct page, writing into the RO shared tail", false, false },
	[HVO_MUT_B12D] = { "B12d", "hot-add populate error un-accounts the failing section that was never accounted", false, false },
	[HVO_MUT_B25] = { "B25", "self-hosted vmemmap is optimized: an altmap DAX range, or a HugeTLB folio on a "
			  "memmap_on_memory node (the walk's PageVmemmapSelfHosted test dropped)", false, false },
	/* concurrency (issue 5) */
	[HVO_MUT_B28] = { "B28", "speculative page_ref_add_unless adds first and checks after (lock-bit refcount scheme)", true, false },
	[HVO_MUT_B1] = { "B1", "G1 speculative get without the RCU read side and the fake-head test: writes to a fake head (I10)", true, false },
	[HVO_MUT_B2] = { "B2", "G1 speculative get tests for a fake head before the acquire read of the refcount (I10)", true, false },
	[HVO_MUT_B17E] = { "B17e", "get_tail publishes with a relaxed cmpxchg and reads the slot relaxed: "
			   "a reader may see the tail before its contents (TSan, weak memory)", true, false },
	[HVO_MUT_X1] = { "X1", "experiment (issue 14): the model's shared tail-image helper writes _mapcount 0, B14's "
			       "symptom in code every writer shares; the checker's own image must catch it", false, false },
	/* variants */
	[HVO_MUT_V612_113_HEADCOPY] = { "V6.12.113-headcopy", "mainline to 6.12.113: when the head copy cannot be "
					"allocated, G1 keeps the mapped head page for every slot; the G1 baseline "
					"(6.12.118, backport 'mm/hugetlb: refactor code around vmemmap_walk') ends "
					"the optimize with -ENOMEM", false, true },
	[HVO_MUT_V612_RESTORE] = { "V6.12.115-restore", "Debian 6.12.115+ (backport 'mm/hugetlb_vmemmap: fix incorrect "
				   "vmemmap restore in rollback'): G1 restore copies the page the PTE maps and resets no "
				   "struct page, so head and folio metadata land in tails (reports/findings.md K1)",
				   false, true },
	[HVO_MUT_V612_ROLLBACK] = { "V6.12.115-rollback", "Debian 6.12.115+: the rollback restores every PTE that maps "
				    "the tail page, and in G1 the tail page is the head copy, so slot 0 is restored as a "
				    "tail (reports/findings.md K2)", false, true },
	[HVO_MUT_SEED_V6] = { "seed-v6", "the seed series as posted in v6 (shared tails per node per order in "
			      "pglist_data): a folio of any zone maps the node's one tail page of its order, so "
			      "movable folios' tails name the normal zone (the design v7 changed; B13's symptom)",
			      false, true },
	[HVO_MUT_V7_FALLBACK_UNDO] = { "V7-boot-fallback-undo", "repair of S1 (reports/findings.md): when "
				       "vmemmap_populate_hvo() fails at init_late, undo the HVO mapping, populate "
				       "normally, charge what was mapped and clear the bootmem HVO flag (the baseline "
				       "mirrors PATCHv7 09/18, which does none of these)", false, true },
	[HVO_MUT_LMM_INCOMPLETE_GATHER] = { "LMM-incomplete-gather", "linux-mm's newest tree (vmemmap PTE updates "
					    "may fail, VMEMMAP_REMAP_INCOMPLETE): gather skips the tail init of a "
					    "partially optimized bootmem folio, whose unreached tail slots keep the "
					    "memblock poison (reports/findings.md S2); the baselines have no "
					    "INCOMPLETE and the model initialises those slots", false, true },
	[HVO_MUT_SEED_V7_TAIL_REFCOUNT] = { "seed-v7-tail-refcount", "the seed as posted in v7: init_compound_tail() "
					    "has no set_page_count(tail, 0) (v7.1 12/18 added it), so a boot shared "
					    "tail memmap_init wrote through keeps __init_single_page's _refcount 1 "
					    "(reports/findings.md S3: I4, I10)", false, true },
	[HVO_MUT_WRPROTECT_NOFLUSH] = { "wrprotect-noflush", "boot: a batch whose folios were all pre-HVO'd returns "
					"before out:'s flush_tlb_all(), so vmemmap_wrprotect_hvo()'s RW->RO change never "
					"reaches other CPUs' TLBs: the shared tail stays writable through them (I10)",
					false, false },
	[HVO_MUT_H1] = { "H1", "remove_hugetlb_folio clears the hugetlb type of an optimized folio before its vmemmap is "
			 "restored (the kernel before 32c877191e02): restore meets a folio no longer hugetlb (I7), "
			 "memory_failure takes it for a plain page and writes to a read-only tail (I10)", false, false },
	[HVO_MUT_H2] = { "H2", "__update_and_free_hugetlb_folio moves PG_hwpoison from the head to the raw tail page "
			 "before the vmemmap restore: a write to a read-only tail (I10)", false, false },
	[HVO_MUT_V612_BULK_WARN] = { "V6.12.118-bulk-warn", "Debian 6.12.118 as shipped (and mainline): when the bulk "
				     "restore of update_and_free_pages_bulk fails with nothing restored, "
				     "bulk_vmemmap_restore_error calls hugetlb_vmemmap_restore_folio on every folio left "
				     "on the list, also a never-optimized one whose hugetlb type remove_hugetlb_folio "
				     "cleared: VM_WARN_ON_ONCE(!folio_test_hugetlb) (reports/findings.md K3)", false, true },
	[HVO_MUT_B12E] = { "B12e", "DAX hot-add charges DIV_ROUND_UP(nr_pages * sizeof(struct page), PAGE_SIZE) for an "
			   "optimized section too, counting its shared tail mappings as private pages (I11)", false, false },
	[HVO_MUT_B15] = { "B15", "seed v4: get_tail publishes the shared tail under spin_lock(&hugetlb_lock) with IRQs "
			  "enabled; an interrupt that frees a hugetlb folio on that CPU (free_huge_folio, "
			  "spin_lock_irqsave) self-deadlocks (I22)", false, false },
	[HVO_MUT_H3] = { "H3", "demote_free_hugetlb_folios splits every folio of the batch, also one whose "
			 "hugetlb_vmemmap_restore_folios failed and is still optimized: the split writes new "
			 "heads into read-only tail struct pages (I10)", false, false },
	[HVO_MUT_Z1] = { "Z1", "boot: hugetlb_bootmem_page_zones_valid compares the zones of the page's two ends "
			  "(the model's test before issue 13 D11), not pfn_range_intersects_zones' spans: with "
			  "kernelcore=mirror a gigantic page with NORMAL ends and a MOVABLE run inside is pre-HVO'd "
			  "and enqueued across two zones (I15)", false, false },
	[HVO_MUT_H4] = { "H4", "vmemmap_split_pmd skips split_page() for a vmemmap PMD block from the buddy (a node "
			 "hot-added without memmap_on_memory): the walk then frees single pages of a high-order "
			 "allocation never split, put_page_testzero's VM_BUG_ON_PAGE on a zero refcount (I23)", false, false },
	[HVO_MUT_B24] = { "B24", "compound_head() as two fields, tail flag and head pointer, written and read apart: "
			  "a stale head with a fresh flag (I1)", true, false },
	/* weak memory (issue 17) */
	[HVO_MUT_B17F] = { "B17f", "get_tail's fast path reads vmemmap_tails[] relaxed (no acquire) while the publishing "
			   "cmpxchg stays fully ordered: a CPU maps a tail whose init it has not seen (weak memory)",
			   true, false },
	[HVO_MUT_B6] = { "B6", "no smp_wmb() before set_pte_at(): a CPU that sees the new PTE may read the page's "
			 "contents from before the copy or init (weak memory)", true, false },
	[HVO_MUT_B1GP] = { "B1-gp", "G1 optimize raises the static key and remaps without synchronize_rcu(): a walker "
			   "whose RCU section began with the key off reads a fake head uncorrected and writes to it (I10)",
			   true, false },
	[HVO_MUT_W1] = { "W1", "walker results (issue 17): the speculative walker's folio_try_get() takes its reference "
			 "on the page it was handed, not on the head compound_head() named; it gets none on a tail of a "
			 "folio in use (I20)", true, false },
};

const char *hvo_zone_name(int zone) { return LOOKUP(zone_names, zone); }
const char *hvo_site_name(int site) { return LOOKUP(site_names, site); }
const char *hvo_sync_point_name(int sp) { return LOOKUP(sp_names, sp); }

int hvo_site_by_name(const char *name)
{
	for (int i = 0; i < HVO_NR_SITES; i++)
		if (!strcasecmp(name, site_names[i]))
			return i;
	return -1;
}

const struct hvo_mutant_info *hvo_mutant_info(int mutant)
{
	return mutant >= 0 && mutant < HVO_NR_MUTANTS ? &mutants[mutant] : NULL;
}

int hvo_mutant_by_name(const char *name)
{
	for (int i = 0; i < HVO_NR_MUTANTS; i++)
		if (!strcasecmp(name, mutants[i].name))
			return i;
	return -1;
}
