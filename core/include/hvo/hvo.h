/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hvo.h - public API of the HugeTLB Vmemmap Optimization (HVO) model.
 *
 * A machine is created from a config and owns all state (no globals), so a
 * fuzzer can create and destroy one per input and two can run side by side.
 * Tests steer a machine only through the seams given in the config: the
 * allocation-failure hook, the sync backend, the log sink and the mutant set.
 *
 * Spec references (I1..I19, B1..B29, section numbers) are to
 * shared/spec/hvo-kernel-spec.md.
 */
#ifndef HVO_HVO_H
#define HVO_HVO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HVO_MAX_NODES 8
/* mirrored ranges per node (kernelcore=mirror) */
#define HVO_MAX_MIRROR 8
#define HVO_ERR_LEN 256

/* ---------------------------------------------------------------- geometry */

/* Derived constants of spec section 1.4 / 1.5 for one (page shift, sizeof(struct page)). */
struct hvo_geometry {
	unsigned page_shift;
	uint64_t page_size;
	unsigned struct_page_size;
	bool sps_pow2;              /* mask encoding usable, HVO possible */
	unsigned sps_shift;         /* log2(struct_page_size) when sps_pow2 */
	unsigned reserve_pages;     /* HUGETLB_VMEMMAP_RESERVE_PAGES: struct pages kept private */
	unsigned tail_min_order;    /* VMEMMAP_TAIL_MIN_ORDER */
	unsigned max_folio_order;   /* MAX_FOLIO_ORDER = ilog2(16G) - page_shift */
	unsigned nr_vmemmap_tails;  /* NR_VMEMMAP_TAILS */
	uint64_t max_folio_vmemmap_align; /* 0 when sizeof(struct page) is not a power of two */
	unsigned pmd_shift;         /* one vmemmap PMD maps 2^pmd_shift bytes of vmemmap */
	unsigned section_shift;     /* memory section size (SECTION_SIZE_BITS) */
};

int hvo_geometry_init(struct hvo_geometry *g, unsigned page_shift, unsigned struct_page_size,
		      char *err, size_t errlen);
/* SECTION_SIZE_BITS for a page size: 27 (x86-64; arm64 4K/16K), 29 (arm64 64K). */
unsigned hvo_section_shift(unsigned page_shift);
/* N: vmemmap pages describing a folio of this order (0 when less than one page). */
uint64_t hvo_geo_vmemmap_pages(const struct hvo_geometry *g, unsigned order);
/* Pages HVO frees for a folio of this order (N - 1, or 0 when not optimizable). */
uint64_t hvo_geo_freed_pages(const struct hvo_geometry *g, unsigned order);
bool hvo_geo_optimizable(const struct hvo_geometry *g, unsigned order);
/* compound_info of every tail of a folio of this order in the mask encoding: mask | 1. */
uint64_t hvo_geo_tail_info(const struct hvo_geometry *g, unsigned order);

/* ------------------------------------------------------------------ seams */

/* Code generations of spec section 0: G1 fake heads + RCU, G2 shared tails
 * per (zone, order), G3 the unified DAX + HugeTLB population. */
enum hvo_gen { HVO_G1 = 1, HVO_G2 = 2, HVO_G3 = 3 };
/* The kernel revision a generation mirrors (baseline.c, core/TRACEABILITY.md). */
const char *hvo_baseline(int gen);
/* One "PREFIXbaseline GN: REVISION" line per generation. */
void hvo_print_baselines(FILE *f, const char *prefix);

/* ZONE_DEVICE (G3 device DAX) holds only the pfns of the device ranges a
 * node config describes; the buddy allocator never hands them out. */
enum hvo_zone { HVO_ZONE_DMA32, HVO_ZONE_NORMAL, HVO_ZONE_MOVABLE, HVO_ZONE_DEVICE, HVO_NR_ZONES };
const char *hvo_zone_name(int zone);

/* Named allocation (and failable) call sites; the failure hook sees these. */
enum hvo_site {
	HVO_SITE_MEMBLOCK,      /* vmemmap population at machine creation: memblock at boot, the
				 * buddy for a hot-added node (hotplug=1) */
	HVO_SITE_HUGETLB_FOLIO, /* the huge page itself */
	HVO_SITE_SHARED_TAIL,   /* get_tail: the per-(zone, order) shared tail page (2.2) */
	HVO_SITE_HEAD_COPY,     /* optimize: private copy of the head vmemmap page (2.4) */
	HVO_SITE_PTE_TABLE,     /* split_pmd: PTE table (2.5) */
	HVO_SITE_RESTORE_PAGE,  /* restore: the N-1 fresh tail pages (2.6) */
	HVO_SITE_PTE_UPDATE,    /* newest arm64: a vmemmap PTE update fails with -EAGAIN (2.5) */
	HVO_SITE_DAX_VMEMMAP,   /* G3 hot-add: a private vmemmap page of a DAX section (2.10) */
	HVO_SITE_PMD_POPULATE,  /* newest arm64: split_pmd's PMD install fails with -EAGAIN (2.5) */
	HVO_NR_SITES
};
const char *hvo_site_name(int site);
int hvo_site_by_name(const char *name); /* -1 when unknown */

/* Return true to make this call fail.  site_call counts calls at this site
 * from 1, call counts all failable calls from 1. */
typedef bool (*hvo_fail_fn)(void *ctx, enum hvo_site site, uint64_t site_call, uint64_t call);

/* A ready-made failure policy (fail the Nth call, by site, by budget). */
#define HVO_FAIL_MAX_RULES 16
struct hvo_fail_rule {
	int site;        /* enum hvo_site, or -1 for any site */
	uint32_t nth;    /* first failing call, counted at that site (or globally for -1), from 1 */
	uint32_t repeat; /* how many consecutive calls fail from nth on (0: every later call) */
};
struct hvo_fail_policy {
	unsigned nr_rules;
	struct hvo_fail_rule rules[HVO_FAIL_MAX_RULES];
	int64_t budget;            /* successful calls allowed at budget_sites; -1 = unlimited */
	uint32_t budget_sites;     /* bit mask of enum hvo_site */
};
bool hvo_fail_policy_hook(void *policy, enum hvo_site site, uint64_t site_call, uint64_t call);

/* Sync seam (architecture rule 3).  Every primitive with ordering meaning
 * calls sched() first when it is set: that is where a scheduler or an
 * injected racer runs.  Atomics themselves are C11 __atomic builtins. */
enum hvo_sync_point {
	HVO_SP_READ_ONCE, HVO_SP_WRITE_ONCE, HVO_SP_CMPXCHG, HVO_SP_ATOMIC,
	HVO_SP_PTE_SET, HVO_SP_PMD_SET, HVO_SP_TLB_FLUSH, HVO_SP_LOCK,
	HVO_SP_RCU_READ_LOCK, HVO_SP_RCU_READ_UNLOCK, HVO_SP_RCU_SYNC,
	HVO_NR_SYNC_POINTS
};
const char *hvo_sync_point_name(int sp);
/* init_mm.page_table_lock, hugetlb_lock, the locks of the TLB model's
 * lists of stale translations (HVO_LOCK_TLB + shard: the node of the old page;
 * hardware needs none, the lists are the model's; vmemmap.c), and
 * zone->lock, one per node (HVO_LOCK_ZONE + node: that node's buddy lists,
 * allocation and frame records; phys.c).
 * Lock order: ascending enum value, with at most one TLB lock and at most
 * one zone lock held at a time; the TLB and zone locks are leaves
 * (page_table_lock -> zone lock, page_table_lock -> TLB lock in
 * vm_split_pmd).  The threads backend (stress_sync.c) checks it. */
enum hvo_lock {
	HVO_LOCK_PAGE_TABLE, HVO_LOCK_HUGETLB, HVO_LOCK_TLB,
	HVO_LOCK_ZONE = HVO_LOCK_TLB + HVO_MAX_NODES,
	HVO_NR_LOCKS = HVO_LOCK_ZONE + HVO_MAX_NODES
};
/* Memory orders of the seam's accesses (weak-memory backends, issue 17):
 * READ_ONCE/WRITE_ONCE and plain stores are relaxed; smp_load_acquire,
 * smp_store_release; value-returning RMWs (cmpxchg) are fully ordered. */
enum hvo_mo {
	HVO_MO_RELAXED = 0, HVO_MO_ACQUIRE = 1, HVO_MO_RELEASE = 2, HVO_MO_FULL = 3,
	HVO_MO_RMW = 4,     /* or-ed in: part of a read-modify-write (reads the latest store) */
	HVO_MO_LATEST = 8,  /* or-ed in: a load the model keeps coherent-latest (see fuzz/WEAK.md) */
};
struct hvo_sync_ops {
	void (*sched)(void *ctx, enum hvo_sync_point sp, const char *where);
	void (*lock)(void *ctx, enum hvo_lock lock);   /* NULL: plain single-thread lock */
	void (*unlock)(void *ctx, enum hvo_lock lock);
	/* RCU (G1 only, spec 5.2).  All three NULL: the model's simulated RCU
	 * (one CPU: a grace period cannot wait for a reader of its own CPU, and
	 * says so).  A backend (liburcu, the fiber scheduler) sets all three;
	 * the sched point comes first either way. */
	void (*rcu_read_lock)(void *ctx);
	void (*rcu_read_unlock)(void *ctx);
	void (*synchronize_rcu)(void *ctx);
	/* The simulated CPU now running (per-CPU TLB); NULL: always CPU 0. */
	unsigned (*cpu)(void *ctx);
	/* Give each CPU a private TLB (spec 5.4): its accesses through the
	 * vmemmap keep a translation until a flush drops it.  For backends whose
	 * CPUs take turns on one host thread (the fiber scheduler); the threads
	 * backend models a flush as waiting for every CPU's access instead. */
	bool cpu_tlb;
	/* Bracket the model's own bookkeeping (which host buffer backs a frame,
	 * its seal, the TLB model's list): no kernel counterpart, so a race
	 * detector should see neither its accesses nor its lock as ordering,
	 * which would hide a missing acquire (B17e).  NULL: nothing to do. */
	void (*model_begin)(void *ctx);
	void (*model_end)(void *ctx);
	/* Weak memory (issue 17; fuzz/WEAK.md), all NULL or all set.  The
	 * model's memory always holds the latest store; the backend keeps each
	 * location's recent stores and decides which one a load reads.
	 *   load: memory holds cur; returns the value this CPU reads.
	 *   store: after a store (or a successful RMW) of v over old.
	 *   fence: smp_wmb (RELEASE), smp_rmb (ACQUIRE), smp_mb (FULL).
	 *   publish / contents_seen: a page's contents, written with plain
	 *   stores before a publication (a shared tail's init, a head copy, a
	 *   restored page), as one location: contents_seen is false when this
	 *   CPU reads the page as it was before those stores. */
	uint64_t (*load)(void *ctx, const void *loc, uint64_t cur, unsigned mo);
	void (*store)(void *ctx, const void *loc, uint64_t old, uint64_t v, unsigned mo);
	void (*fence)(void *ctx, enum hvo_mo mo);
	void (*publish)(void *ctx, uint64_t pfn);
	bool (*contents_seen)(void *ctx, uint64_t pfn);
	void *ctx;
};

typedef void (*hvo_log_fn)(void *ctx, const char *line);

/* ---------------------------------------------------------------- mutants */

enum hvo_mutant {
	HVO_MUT_B7,   /* restore fills tail slots from slot 0 */
	HVO_MUT_B8,   /* rollback rebuilds slot 0 from the tail template */
	HVO_MUT_B12A, /* memmap stat updated after the page is freed */
	HVO_MUT_B12B, /* memmap accounted although the allocation failed */
	HVO_MUT_B12C, /* memmap accounted to the node of the described memory */
	HVO_MUT_B17B, /* get_tail loser does not free its page */
	HVO_MUT_B17C, /* get_tail publishes before initialising */
	HVO_MUT_B18,  /* runtime get_tail has no bounds check */
	HVO_MUT_B19,  /* vmemmap base alignment not enforced */
	HVO_MUT_B22,  /* optimized flag set after copying the head */
	HVO_MUT_B27,  /* out: tests if (ret): INCOMPLETE (+1) clears the flag although rollback failed */
	HVO_MUT_B5,   /* PMD split reads the leaf without the lock, no re-check */
	HVO_MUT_B17A, /* get_tail loser returns its own (freed) page */
	HVO_MUT_B17D, /* get_tail publishes with a plain store, not cmpxchg */
	HVO_MUT_B23,  /* batch frees old vmemmap pages before the TLB flush */
	/* G1 and boot */
	HVO_MUT_B7G1, /* G1 restore resets 3 struct pages, not 4 */
	HVO_MUT_B3,   /* G1 synchronize_rcu() in every call, with or without work */
	HVO_MUT_B26,  /* restore pages allocated __GFP_THISNODE */
	HVO_MUT_B4,   /* optimize before the folio is typed hugetlb */
	HVO_MUT_B13,  /* one shared tail array per node (v6), not per zone */
	HVO_MUT_B14,  /* shared tail built by prep_compound_tail only */
	HVO_MUT_B9,   /* boot: shared tails initialised after gather */
	HVO_MUT_B10,  /* boot: pre-HVO write-protect range too short */
	HVO_MUT_B11,  /* boot: zone contiguity scanned before gather */
	HVO_MUT_B16,  /* boot: folio order derived from the vmemmap length */
	/* G3 DAX */
	HVO_MUT_B20A, /* DAX populate maps the shared tail without get_page */
	HVO_MUT_B20B, /* DAX populate takes two references per mapping */
	HVO_MUT_B21,  /* memmap_init_zone_device initialises every struct page */
	HVO_MUT_B12D, /* hot-add populate error un-accounts a section never accounted */
	HVO_MUT_B25,  /* self-hosted (altmap) DAX vmemmap optimized */
	/* concurrency (issue 5) */
	HVO_MUT_B28,  /* speculative get adds to the refcount before checking it */
	HVO_MUT_B1,   /* G1 speculative get without RCU and the fake-head test (before bd225530a4c7) */
	HVO_MUT_B2,   /* G1 speculative get tests for a fake head before reading the refcount */
	HVO_MUT_B17E, /* get_tail publishes and reads the slot relaxed (no release/acquire) */
	HVO_MUT_B24,  /* compound_head as two fields (tail flag, head pointer), each its own access */
	/* weak memory (issue 17) */
	HVO_MUT_B17F, /* get_tail fast path reads the slot relaxed; the cmpxchg stays fully ordered */
	HVO_MUT_B6,   /* no smp_wmb() before set_pte_at(): the PTE store does not order the page's contents */
	HVO_MUT_B1GP, /* G1 optimize remaps without synchronize_rcu() after raising the static key */
	HVO_MUT_W1,   /* speculative walker takes its reference on the page it was handed, not the head */
	/* experiments on the oracle (issue 14), not catalogue bugs */
	HVO_MUT_X1,   /* the shared tail-image helper writes _mapcount 0 */
	/* variants: named kernel revisions beside the baseline, same switches */
	HVO_MUT_V612_113_HEADCOPY, /* mainline to 6.12.113: keep the mapped head when its copy fails */
	HVO_MUT_V612_RESTORE,  /* Debian 6.12.115+: restore copies the mapped page and resets nothing (K1) */
	HVO_MUT_V612_ROLLBACK, /* Debian 6.12.115+: the rollback cannot tell slot 0 from the tails (K2) */
	HVO_MUT_SEED_V6,       /* G2 as posted in v6: vmemmap_tails[] per node, not per zone */
	HVO_MUT_V7_FALLBACK_UNDO, /* repair of S1: the boot fallback undoes HVO and clears the flag */
	HVO_MUT_LMM_INCOMPLETE_GATHER, /* linux-mm arm64: gather skips a partially optimized folio's tails (S2) */
	HVO_MUT_SEED_V7_TAIL_REFCOUNT, /* PATCHv7: init_compound_tail leaves _refcount as it was (v7.1 zeroes it) */
	HVO_MUT_WRPROTECT_NOFLUSH, /* an all-pre-HVO boot batch returns before its flush (D10) */
	/* the hugetlb.c lifecycle (issue 13, D7) */
	HVO_MUT_H1,   /* remove_hugetlb_folio clears the hugetlb type of an optimized folio (before 32c877191e02) */
	HVO_MUT_H2,   /* the free moves PG_hwpoison to the raw tail page before the vmemmap restore */
	HVO_MUT_V612_BULK_WARN, /* Debian 6.12.118: bulk_vmemmap_restore_error restores a never-optimized folio (K3) */
	/* accounting by the kernel's formulas (issue 13, D3) */
	HVO_MUT_B12E, /* DAX hot-add charges every section's full memmap, HVO or not (before G3 patch 03) */
	/* lock discipline (issue 13, D10) */
	HVO_MUT_B15,  /* seed v4: the shared tail published under spin_lock(&hugetlb_lock), IRQs on */
	/* the hugetlb.c lifecycle, continued (issue 13, D7) */
	HVO_MUT_H3,   /* demote_free_hugetlb_folios splits a folio whose batch restore failed (still optimized) */
	HVO_MUT_Z1,  /* boot zones-valid tests the zones of the two ends only (interleaved zones) */
	/* hot-added vmemmap from the buddy (issue 13, D4) */
	HVO_MUT_H4,   /* vmemmap_split_pmd skips split_page() for a PMD block from the buddy */
	HVO_NR_MUTANTS
};
struct hvo_mutant_info {
	const char *name;   /* catalogue ID, e.g. "B17c" */
	const char *desc;   /* one line */
	bool concurrent;    /* needs a schedule to show */
	bool variant;       /* not a bug: a named revision of the kernel the baseline differs from */
};
const struct hvo_mutant_info *hvo_mutant_info(int mutant);
int hvo_mutant_by_name(const char *name); /* -1 when unknown (case-insensitive) */

/* ----------------------------------------------------------------- config */

struct hvo_node_config {
	uint64_t start_pfn;
	uint64_t nr_pages;
	uint64_t movable_start_pfn; /* pfns >= this are ZONE_MOVABLE; 0 = none */
	bool movable_only;          /* the whole node is ZONE_MOVABLE (hotplugged memory) */
	/* Hot-added with memory_hotplug.memmap_on_memory: each section's
	 * vmemmap lives in the section's own first pages (PageVmemmapSelfHosted),
	 * which HVO must refuse (I18, B25).  Memblock never uses the node. */
	bool memmap_on_memory;
	/* Hot-added after boot with memmap_on_memory=0: each section's vmemmap
	 * is an order-PMD block from the buddy (vmemmap_populate_hugepages once
	 * slab is up), mapped by a PMD leaf and not PG_reserved, so HVO's PMD
	 * split must split_page() it (H4).  Memblock never uses the node, and
	 * the buddy gets its memory only after the vmemmap is populated
	 * (online_pages).  Not with memmap_on_memory, which says hot-added
	 * already. */
	bool hotplug;
	/* G3 only: this node's ZONE_DEVICE pfns (a pmem device), outside every
	 * node's memory, section aligned; 0 pages = none.  DAX ranges are
	 * hot-added inside it (hvo_dax_add). */
	uint64_t dax_start_pfn;
	uint64_t dax_nr_pages;
	/* kernelcore=mirror (issue 13 D11): the node's mirrored pfn ranges
	 * (memblock MEMBLOCK_MIRROR), section aligned, ascending, disjoint.
	 * With any, the node's unmirrored memory at or above 4 GiB is
	 * ZONE_MOVABLE and its mirrored memory ZONE_NORMAL, so the two zones'
	 * spans overlap (find_zone_movable_pfns_for_nodes,
	 * adjust_zone_range_for_zone_movable); the first section at or above
	 * 4 GiB must be mirrored.  Not with movable_start, movable_only or
	 * memmap_on_memory.  0 ranges: the node is as before. */
	unsigned nr_mirror;
	struct hvo_pfn_range { uint64_t start_pfn, nr_pages; } mirror[HVO_MAX_MIRROR];
};

/* A gigantic page reserved at boot (hugepages= on the command line, spec
 * 2.8): a naturally aligned 2^order block inside one node, which may span
 * zones. */
#define HVO_MAX_BOOTMEM 1024
struct hvo_bootmem {
	uint64_t pfn;
	unsigned order;
};
/* deferred: HVO population in init_late (the seed series); early: in
 * init_early, undone in init_late for cross-zone pages (the older design). */
enum hvo_boot_design { HVO_BOOT_DEFERRED, HVO_BOOT_EARLY };

struct hvo_config {
	enum hvo_gen gen;
	unsigned page_shift;        /* 12, 14 or 16 */
	unsigned struct_page_size;  /* multiple of 8 in [64, 256]; power of two => mask encoding */
	unsigned nr_nodes;
	struct hvo_node_config node[HVO_MAX_NODES];
	uint64_t vmemmap_base;      /* 0 = default, aligned to MAX_FOLIO_VMEMMAP_ALIGN (I16) */
	bool hvo_enabled;           /* vm.hugetlb_optimize_vmemmap */
	uint64_t mutants;           /* bit (1 << enum hvo_mutant) */
	hvo_fail_fn fail;
	void *fail_ctx;
	const struct hvo_sync_ops *sync; /* NULL: plain single-thread backend */
	hvo_log_fn log;
	void *log_ctx;
	unsigned nr_bootmem;
	struct hvo_bootmem bootmem[HVO_MAX_BOOTMEM];
	enum hvo_boot_design boot_design;
	/* CONFIG_DEFERRED_STRUCT_PAGE_INIT=n: memmap_init initialises every
	 * pfn at boot.  false (=y, Debian's): only the first section of the
	 * zone that ends each node, the rest later and free ranges only (B9
	 * needs it). */
	bool no_deferred_init;
	/* Skip the per-operation byte snapshots behind I8/I9 (benchmarks only;
	 * hvo_check still evaluates every invariant). */
	bool skip_op_checks;
	/* Boot stops before gather (2.8): the caller runs hvo_boot_gather_node()
	 * for every node, one thread per node if it likes (the kernel's padata
	 * jobs), then hvo_boot_finish() once; only then is the machine booted. */
	bool gather_by_caller;
	/* Log what each operation changes so hvo_check_changed() can skip the
	 * folios and the mapping walk it did not touch.  Single-threaded users
	 * only (fuzz targets, injected racers, the fiber scheduler). */
	bool track_changes;
	/* Host memory kept across machines (NULL: none): see hvo_host_pool. */
	struct hvo_host_pool *host_pool;
};

/* Host memory a caller keeps across the machines it creates one after the
 * other (a fuzz target: one per input).  The machine's big host blocks
 * that live until it is destroyed (the machine itself, frame buffers, the
 * frame radix tree, folio chunks, snapshot buffers) come from it and go back
 * to it, poisoned under ASan, at destroy (what a machine frees while it runs
 * goes to free(), so ASan's quarantine still sees a stale use); a run is
 * the same with or without one.  The caller owns it (architecture rule 2);
 * it may serve several machines at once, and outlives every machine using it. */
struct hvo_host_pool;
struct hvo_host_pool *hvo_host_pool_create(void);
void hvo_host_pool_destroy(struct hvo_host_pool *pool);
/* Blocks handed out again so far (tests: the pool is really in use). */
uint64_t hvo_host_pool_reused(const struct hvo_host_pool *pool);

/* A small two-node 4K/64B machine with HVO on: the default everywhere. */
void hvo_config_default(struct hvo_config *cfg);
int hvo_config_validate(const struct hvo_config *cfg, char *err, size_t errlen);

struct hvo_machine;
/* Returns 0, or -EINVAL (bad config) / -ENOMEM (memblock failure) with err set. */
int hvo_machine_create(const struct hvo_config *cfg, struct hvo_machine **out,
		       char *err, size_t errlen);
void hvo_machine_destroy(struct hvo_machine *m);
const struct hvo_geometry *hvo_machine_geometry(const struct hvo_machine *m);

/* Snapshot and reset (machine_reset.c, issue 16): a copy of machine s, to
 * run as s would have run from here (same result, digest and counters).
 * hooks gives the copy its fail, sync and log hooks and its host pool; its
 * other fields are s's.  A fuzz target copies a booted machine once and
 * runs each input on a fresh copy of it instead of booting again.  0,
 * -ENOMEM, or -EINVAL when s holds state the copy does not cover (G3 DAX,
 * B5's orphan tables, inside an API call): hvo_machine_clonable(s). */
int hvo_machine_clone(const struct hvo_machine *s, const struct hvo_config *hooks, struct hvo_machine **out);
bool hvo_machine_clonable(const struct hvo_machine *s);
/* A copy of s to keep and copy from, never to run: no hooks, no host
 * pool, frame bytes outside the heap (a leak check does not scan them). */
int hvo_machine_snapshot(const struct hvo_machine *s, struct hvo_machine **out);
/* The bytes of its frames' contents: most of what a copy costs to keep. */
uint64_t hvo_machine_frame_bytes(const struct hvo_machine *m);
/* Test only: break one part of every later copy, so the equivalence test
 * (test_reuse) shows it catches a reset that keeps or loses state. */
enum hvo_reset_break {
	HVO_RESET_BREAK_NONE,
	HVO_RESET_BREAK_FRAMES,      /* "skip-frame": frame bytes zeroed, not copied */
	HVO_RESET_BREAK_FOLIOS,      /* "skip-folio-table": the folio table zeroed */
	HVO_RESET_BREAK_COUNTERS,    /* "skip-counters": memmap and hstate counters zeroed */
	HVO_RESET_BREAK_FAIL_CALLS,  /* "skip-fail-calls": the failure sites' call counts zeroed */
	HVO_NR_RESET_BREAKS
};
void hvo_reset_break_set(enum hvo_reset_break b);
int hvo_reset_break_by_name(const char *name);   /* -1: unknown */
const char *hvo_reset_break_name(enum hvo_reset_break b);
/* With config gather_by_caller: gather_bootmem_prealloc_node + its batch
 * optimize for one node (nodes may run concurrently), then the rest of the
 * boot pipeline once every node is done. */
void hvo_boot_gather_node(struct hvo_machine *m, unsigned node);
void hvo_boot_finish(struct hvo_machine *m);

/* ----------------------------------------------------------------- folios */

/* FREEING: off the pool, on hpage_freelist, waiting for free_hpage_workfn
 * (free_huge_folio of an optimized folio: hvo_free_hpage_work). */
enum hvo_folio_state { HVO_FOLIO_FREE, HVO_FOLIO_IN_USE, HVO_FOLIO_SURPLUS, HVO_FOLIO_FREEING };

struct hvo_folio_info {
	int32_t id;
	uint64_t pfn;
	unsigned order;
	unsigned node;
	int zone;
	enum hvo_folio_state state;
	bool optimized;        /* HPG_vmemmap_optimized, read through the vmemmap */
	int refcount;          /* head refcount, read through the vmemmap */
};

/* Allocate a HugeTLB folio of this order on node (zone preferred, -1 any),
 * prepare it, and add it to the pool: optimized when HVO is on (as
 * alloc_fresh_hugetlb_folio + prep_and_add does).  *id gets the new folio. */
int hvo_folio_alloc(struct hvo_machine *m, unsigned order, unsigned node, int zone, int32_t *id);
/* Allocate up to n folios and optimize them as one batch (2.7). Returns count. */
int hvo_folio_alloc_batch(struct hvo_machine *m, unsigned order, unsigned node, int zone,
			  unsigned n, int32_t *ids);
/* The single-folio entry points (2.4, 2.6) on a free pool folio. */
int hvo_folio_optimize(struct hvo_machine *m, int32_t id);
int hvo_folio_restore(struct hvo_machine *m, int32_t id);
/* Batch variants over the given pool folios. */
int hvo_folios_optimize(struct hvo_machine *m, const int32_t *ids, unsigned n);
int hvo_folios_restore(struct hvo_machine *m, const int32_t *ids, unsigned n);
/* Free to the buddy allocator (restore first; failure keeps it as surplus). */
int hvo_folio_free(struct hvo_machine *m, int32_t id);
/* update_and_free_pages_bulk: take the pool folios off the pool, restore
 * their vmemmap in one batch (bulk_vmemmap_restore_error on a failure:
 * the restored are freed and the batch retried, or one by one, a folio
 * that cannot be restored back as surplus), free them.  Returns the
 * number freed. */
int hvo_folios_free_bulk(struct hvo_machine *m, const int32_t *ids, unsigned n);
/* memory_failure() on page index of a live folio: the hugetlb path marks
 * the head (the raw page moves to the tail at free, after restore); a
 * folio no longer typed hugetlb is hit as a plain page. */
int hvo_memory_failure(struct hvo_machine *m, int32_t id, uint64_t index);
/* Dissolve (memory offline): restore, then free; failure is -EBUSY. */
int hvo_folio_dissolve(struct hvo_machine *m, int32_t id);
/* offline_and_remove_memory() of a whole node hot-added with hotplug=1:
 * offline_pages (its memory isolated; -EBUSY while a folio on it is in
 * use; every free folio on it dissolved, its vmemmap restored first;
 * -EBUSY when a dissolve fails or any other allocation lives on it), then
 * the hot-remove (its vmemmap uncharged and freed).  -EINVAL: not such a
 * node, or already removed.  A failure leaves the node online; the folios
 * dissolved stay dissolved, as in the kernel. */
int hvo_memory_offline(struct hvo_machine *m, unsigned node);
/* Demote a folio to folios of a smaller order (restore, split, batch optimize). */
int hvo_folio_demote(struct hvo_machine *m, int32_t id, unsigned new_order);
/* demote_pool_huge_page over the named free folios (not hwpoisoned):
 * remove them, restore their vmemmap in one batch, split those restored,
 * optimize the new folios in one batch; a folio the batch left optimized
 * goes back to the pool.  Returns the number demoted, or the restore's
 * error. */
int hvo_folios_demote(struct hvo_machine *m, const int32_t *ids, unsigned n, unsigned new_order);
/* free_hpage_workfn(): free every folio free_huge_folio deferred (newest
 * first, as llist_del_all hands them), restoring each; a folio whose
 * restore fails goes back to the pool as surplus.  Returns the number
 * freed to the buddy. */
int hvo_free_hpage_work(struct hvo_machine *m);
/* Take a free folio into use (refcount 1) and give it back.  put is
 * folio_put(): a walker holding a speculative reference keeps the folio
 * in use until its own put, which frees it (M1); hvo_folio_state says
 * when it is back in the pool. */
int hvo_folio_get(struct hvo_machine *m, int32_t id);
int hvo_folio_put(struct hvo_machine *m, int32_t id);
/* An interrupt on the running CPU whose handler frees a hugetlb folio
 * (free_huge_folio's spin_lock_irqsave(&hugetlb_lock); core/src/lockdep.c):
 * 1 not delivered (IRQs off on this CPU), 0 delivered, -HVO_EBUSY delivered
 * on a CPU holding hugetlb_lock with IRQs on (self-deadlock: I22, B15). */
int hvo_irq_free_huge_folio(struct hvo_machine *m);
/* The pool state of a live folio (enum hvo_folio_state, read with
 * acquire), or -HVO_ENOENT; no scheduling point. */
int hvo_folio_state(const struct hvo_machine *m, int32_t id);
int hvo_folio_info(const struct hvo_machine *m, int32_t id, struct hvo_folio_info *out);
/* Live folio ids in ascending order; returns the count (at most max). */
unsigned hvo_folio_list(const struct hvo_machine *m, int32_t *ids, unsigned max);
unsigned hvo_folio_count(const struct hvo_machine *m);
void hvo_set_enabled(struct hvo_machine *m, bool on);

/* ------------------------------------------------ G3 device DAX (spec 2.10) */

/* The vmemmap of the range lives in the device itself (memmap_on_memory /
 * altmap): self-hosted, never optimized (I18). */
#define HVO_DAX_ALTMAP 0x1u

struct hvo_dax_info {
	int32_t id;
	uint64_t pfn, nr_pages;
	unsigned order;        /* compound order (pgmap vmemmap_shift); 0 = base pages */
	unsigned node;
	bool altmap;
	uint64_t vmemmap_pages; /* private vmemmap pages: sum of section_nr_vmemmap_pages */
};

/* Hot-add (memremap_pages) [pfn, pfn + nr_pages) of node's device range as
 * compound pages of this order: populate each section's vmemmap per address
 * (shared tail of (order, ZONE_DEVICE) or a private page), account it, then
 * memmap_init_zone_device.  Needs a G3 machine.  -EINVAL with err set for
 * bad input (not section aligned, not tiled by the order, outside the
 * node's device range, overlapping a live range, order above
 * MAX_FOLIO_ORDER); -ENOMEM when an allocation fails (everything undone). */
int hvo_dax_add(struct hvo_machine *m, uint64_t pfn, uint64_t nr_pages, unsigned order, unsigned node,
		unsigned flags, int32_t *id, char *err, size_t errlen);
/* Hot-remove: un-account and free the vmemmap, dropping the shared tail
 * references.  -ENOENT for an id that is not live. */
int hvo_dax_remove(struct hvo_machine *m, int32_t id);
/* Live ranges in ascending id order (at most max filled); returns how many are live. */
unsigned hvo_dax_list(const struct hvo_machine *m, struct hvo_dax_info *out, unsigned max);

/* ------------------------------------------------------- kernel-visible view */

struct hvo_page_view {
	uint64_t pfn;
	uint64_t head_pfn;    /* compound_head() through the current mapping */
	bool head, tail;      /* PageHead / PageTail */
	int refcount, mapcount;
	int node, zone;       /* page_to_nid / page_zonenum from the page's own flags */
	int order;            /* folio_order() of the head compound_head named (its first
			       * tail's flags), 0 when that head is not PageHead; -1 not
			       * read (the scheduler's weak-memory mode: a read there is a
			       * recorded decision, and witnesses keep their schedules) */
	bool got_ref;         /* speculative get_page_unless_zero succeeded (and was put) */
	uint64_t ref_pfn, put_pfn; /* got_ref: the page the reference was taken on, and dropped on (I20) */
};
/* The speculative PFN walker: read flags, compound_head, get_page_unless_zero
 * on the head.  Never writes to read-only memory in the correct model. */
int hvo_walk_pfn(struct hvo_machine *m, uint64_t pfn, struct hvo_page_view *out);
/* The compaction walker (isolate_migratepages_block): get_page_unless_zero
 * on the pfn's own struct page first (got_ref is about that page), then the
 * same view.  In G1 the page may be a fake-head alias of the head (B1, B2). */
int hvo_isolate_pfn(struct hvo_machine *m, uint64_t pfn, struct hvo_page_view *out);

/* A lock-free reader of the shared tail of (node, zone, order) (issue 17,
 * item 3): vmemmap_get_tail()'s fast path alone (the acquire of
 * vmemmap_tails[]; B17e, B17f: READ_ONCE), then struct page idx of the
 * tail page read through the linear map, as copy_page() from the tail
 * does.  No lock, no allocation, no publication.  -ENOENT while the slot
 * is empty, -EINVAL for a slot or idx outside the tail page. */
struct hvo_tail_view {
	uint64_t flags, compound_info, mapping;
	int refcount, mapcount;
	int node, zone;       /* page_to_nid / page_zonenum from flags */
};
int hvo_tail_read(struct hvo_machine *m, unsigned node, int zone, unsigned order, unsigned idx,
		  struct hvo_tail_view *out);

struct hvo_boot_counters {
	uint64_t nrinvalid;      /* hstate_boot_nrinvalid: bootmem pages spanning zones */
	uint64_t prehvo;         /* folios that came up pre-optimized */
	uint64_t freed;          /* bootmem pages given back (cross-zone) */
};
void hvo_boot_counters(const struct hvo_machine *m, struct hvo_boot_counters *out);

struct hvo_counters {
	int64_t memmap_pages;        /* NR_MEMMAP_PAGES (buddy) */
	int64_t memmap_boot_pages;   /* NR_MEMMAP_BOOT_PAGES */
	int64_t node_memmap[HVO_MAX_NODES]; /* both, by the node the vmemmap page lives on */
	uint64_t nr_folios, nr_free, nr_in_use, nr_surplus, nr_optimized;
	uint64_t tlb_flushes, pmd_splits, shared_tails;
};
void hvo_counters(const struct hvo_machine *m, struct hvo_counters *out);
/* HVO's own allocations (vmemmap pages, shared tails, page tables: not the
 * folios) the allocator could not satisfy; injected failures not counted. */
uint64_t hvo_vmemmap_oom(const struct hvo_machine *m);

/* --------------------------------------------------------------- checking */

struct hvo_violation {
	int inv;            /* 1..20 for I1..I20 */
	uint64_t pfn;       /* the pfn concerned, or UINT64_MAX */
	int32_t folio;      /* folio id, or -1 */
	char msg[HVO_ERR_LEN];
};
/* The first violation recorded since creation, or NULL. */
const struct hvo_violation *hvo_violation(const struct hvo_machine *m);
/* Evaluate every invariant and compare with the shadow model.  Returns 0 or
 * the invariant number of the first violation (then hvo_violation is set). */
int hvo_check(struct hvo_machine *m);
/* The same verdict as hvo_check, cheaper: with config track_changes, at a
 * quiescent point, the per-folio checks (I1-I4, I7, I16) and the mapping
 * walk (I3 aliasing, I11, I12, I17) run only for what changed since the
 * last check that passed; the shared tails, DAX, the shadow model and the
 * locks are checked in full.  Everything else: hvo_check. */
int hvo_check_changed(struct hvo_machine *m);
/* With track_changes: the number of passing checks at quiescent points so
 * far (0 without tracking). */
uint64_t hvo_check_epoch(const struct hvo_machine *m);
/* What a walker's caller knows of the pfn it walked, apart from the view:
 * from the folio table (or its own bookkeeping) before the walk, and true
 * for the whole walk. */
struct hvo_walk_truth {
	bool in_folio;         /* a live pool folio held the pfn the whole walk */
	uint64_t head_pfn;     /* in_folio: that folio's head, order, node, zone */
	unsigned order, node;
	int zone;
	int ref;               /* in_folio: its refcount stayed >= 1 (1: a get must
				* succeed), 0 (0: frozen, none may), -1 unknown */
};
/* I20: judge a walker's view (hvo_walk_pfn, or hvo_isolate_pfn when own)
 * against truth: a reference is taken on the head compound_head named,
 * that of the live folio holding the pfn (own: on the pfn's own page, as
 * compaction does), and dropped on the same page; and the view is one the
 * kernel could see (head, PageHead/PageTail, order, node, zone of that
 * folio).  Pure: no machine state; safe from any thread.  Returns 0, or
 * the invariant broken (1 compound_head, 2 PageHead/PageTail, 4 node/zone,
 * 20 the reference or the order) with msg filled. */
int hvo_check_view(const struct hvo_page_view *v, bool own, const struct hvo_walk_truth *t, char *msg, size_t len);
/* Compact state dump through the log sink given (or the machine's). */
void hvo_dump(const struct hvo_machine *m, hvo_log_fn log, void *ctx);
/* Is addr inside the host bytes of a sealed (published shared tail) frame?
 * Async-signal-safe: for a SIGSEGV handler that turns the host fault of a
 * stray raw write into an I10 report. */
bool hvo_sealed_frame_at(const struct hvo_machine *m, const void *addr, uint64_t *pfn);
/* Compare the kernel-visible state of two machines that ran the same ops
 * (G1 vs G2 vs G3, or a model vs a mutant): folios, their flags, and per
 * struct page compound_head, PageHead, PageTail, page_count and mapcount as
 * kernel code reads them, plus the memmap counters.  0 when equal, else 1
 * with the first difference described in diff. */
int hvo_compare_visible(struct hvo_machine *a, struct hvo_machine *b, char *diff, size_t len);
/* The same comparison for machines with track_changes that compared equal
 * at check epochs ea and eb (hvo_check_epoch) and passed every check since:
 * the struct pages of a folio neither checker rechecked after that are
 * skipped (a passing check pins every compound_head to the folio's own
 * head, so its view depends on its own vmemmap only, which is unchanged). */
int hvo_compare_visible_since(struct hvo_machine *a, uint64_t ea, struct hvo_machine *b, uint64_t eb, char *diff,
			      size_t len);
/* 64-bit digest of the logical and byte state (no host addresses). */
uint64_t hvo_digest(const struct hvo_machine *m);

/* Error numbers returned by the API (negated, kernel style). */
#define HVO_ENOMEM 12
#define HVO_EBUSY 16
#define HVO_EINVAL 22
#define HVO_EAGAIN 11
#define HVO_ENOENT 2
#define HVO_ENOTSUPP 524
/* The rollback walk failed too: the folio is left partially optimized and
 * keeps its optimized flag.  The API's name for linux-mm's
 * VMEMMAP_REMAP_INCOMPLETE, which is +1 inside the model as in that tree. */
#define HVO_EINCOMPLETE 1000

#ifdef __cplusplus
}
#endif
#endif
