/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * internal.h - the machine and the helpers shared by the core's files.
 *
 * Shim map (kernel tools/testing style):
 *   DUPLICATED  struct page layout (page.h), compound_info encodings,
 *               the remap walk and its callbacks (hugetlb_vmemmap.c)
 *   CUSTOMISED  page tables (vmemmap.c: PMD leaf or PTE table per 2^pmd_shift
 *               of vmemmap), the TLB (a list of stale translations, and a
 *               private TLB per simulated CPU: tlb_cpu.c), the
 *               buddy/memblock allocators (phys.c)
 *   STUBBED     nothing with ordering meaning: every primitive goes through
 *               sync.h and reaches the sync backend
 */
#ifndef HVO_INTERNAL_H
#define HVO_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "hostpool.h"
#include "hvo/hvo.h"
#include "phys.h"

/* ------------------------------------------------------------ page tables */

#define PTE_PRESENT 0x1ull
#define PTE_RW      0x2ull
#define PTE_PFN_SHIFT 12
static inline uint64_t pte_pfn(uint64_t pte) { return pte >> PTE_PFN_SHIFT; }
static inline uint64_t mk_pte(uint64_t pfn, bool rw)
{
	return (pfn << PTE_PFN_SHIFT) | PTE_PRESENT | (rw ? PTE_RW : 0);
}

struct pte_table {
	uint64_t table_pfn;   /* the frame holding this table */
	uint64_t *pte;        /* ptrs_per_table entries */
	struct pte_table *next_orphan;  /* on m->orphan_tables (B5 only) */
};

enum pmd_kind { PMD_NONE, PMD_LEAF, PMD_TABLE };
struct pmd {
	uint64_t val;             /* kind, read/written through the sync seam */
	uint64_t leaf_pfn;        /* PMD_LEAF: first frame of the 2^pmd_order block */
	struct pte_table *table;  /* PMD_TABLE */
};

/* A translation some CPU may still hold until the next covering flush (5.4). */
/* [vaddr, end) still reaches frame pfn.  wr: not a moved PTE but a
 * write-protect of the same page (RW->RO), so the old entry still writes
 * it (D10); consecutive ones of one frame (a folio's tail slots) share an
 * entry, so a boot of many pre-HVO pages lists one per folio. */
struct stale_tlb { uint64_t vaddr, end, pfn; bool wr; };
/* The list is sharded by the node of the old page an entry still reaches
 * (lock HVO_LOCK_TLB + shard): a free asks only its page's shard (I12), so
 * optimize/restore on different nodes share no list and no lock.  A flush
 * looks at every shard whose span may hold its range: [lo, hi) covers every
 * vaddr ever listed there and only grows, so that line stays clean while
 * other nodes flush.  flushes: the flushes of ranges describing this node. */
struct tlb_shard {
	uint64_t lo, hi;   /* written under the lock, read without */
	struct stale_tlb *stale __attribute__((aligned(64)));
	unsigned nr, cap;
	uint64_t flushes;
} __attribute__((aligned(64)));

/* tlb_cpu.c: the simulated CPUs' private TLBs (spec 5.4). */
#define TLB_CPUS 16
struct tlb_cpu;

/* ------------------------------------------------------------ HVO state */

struct zone_hvo {
	uint64_t *tails;   /* vmemmap_tails[NR_VMEMMAP_TAILS]: pfn + 1, 0 = NULL */
};

struct folio {
	int32_t id;
	uint64_t pfn;
	unsigned order;
	unsigned node;
	int zone;
	enum hvo_folio_state state;
	bool live;
	bool busy;        /* inside an optimize/restore: I3/I7 do not hold yet */
	bool partial;     /* the last optimize reported an incomplete rollback */
	bool put_done;    /* in use, the owner's folio_put done: a walker holds the last reference (M1) */
	bool surplus;     /* carries one of its node's surplus charges, free or in use (I21) */
	int32_t llnext;   /* on hpage_freelist: the next folio's id + 1, 0 at the end */
	uint64_t tag;     /* hugetlb metadata value stored in page[3] */
} __attribute__((aligned(64)));  /* a line each: threads churn neighbouring folios */

/* A bootmem gigantic page (huge_bootmem_page) and its flags (boot.c). */
struct bootmem {
	uint64_t pfn;
	unsigned order, node, flags;
	int zone;
};

struct shadow;
struct track;
#define SNAP_POOL 8   /* reusable I8/I9 snapshot buffers per machine */
#define API_SLOTS 64  /* nesting counters, by CPU: one per stress thread (no shared line) */
#define GP_CPUS 64    /* I19 batch registrations, by CPU (the stress maximum) */
#define GP_DEPTHS 4

struct hvo_machine {
	struct hvo_config cfg;
	struct hvo_geometry geo;
	struct hvo_geometry phys_geo;   /* the allocator's: two orders above MAX_FOLIO_ORDER */
	struct phys *phys;

	/* vmemmap */
	uint64_t vbase;
	uint64_t max_pfn;
	uint64_t ptrs_per_table;  /* PAGE_SIZE / 8 */
	unsigned pmd_order;       /* frames per PMD leaf: 2^pmd_order */
	struct pmd *pmd;
	uint64_t nr_pmd;
	struct tlb_shard tlb[HVO_MAX_NODES];
	uint64_t nr_pte_tables;
	struct pte_table *orphan_tables;  /* overwritten under B5, kept until destroy */
	struct tlb_cpu *cpu_tlb[TLB_CPUS];  /* sync->cpu_tlb only, filled lazily */
	unsigned observe[TLB_CPUS];         /* per CPU, oracle nesting: read the page tables */

	/* HVO */
	struct zone_hvo zhvo[HVO_MAX_NODES][HVO_NR_ZONES];
	bool enabled;
	struct folio **folio_chunks;      /* FOLIO_CHUNK folios each, never moved */
	struct bootmem bootmem[HVO_MAX_BOOTMEM];
	unsigned nr_bootmem;
	uint64_t boot_nrinvalid;
	uint32_t nr_folios;               /* ids 0..nr_folios-1, live or dead */

	/* accounting (2.9), like the kernel's per-cpu vmstat diffs: a cache line
	 * per node (where the page lives; B12c: the memory it describes), so
	 * optimize/restore on different nodes share no counter; the system-wide
	 * counters are the sums (memmap_total), the last shard takes pages of
	 * no node (never in practice) */
	struct memmap_shard { int64_t buddy, boot; } __attribute__((aligned(64))) memmap[HVO_MAX_NODES + 1];
	uint64_t pmd_splits;
	/* the hstate's pool counters, per node (nr_huge_pages_node[],
	 * free_huge_pages_node[], surplus_huge_pages_node[]), summed over the
	 * orders: one pool of mixed orders.  Changed where mm/hugetlb.c
	 * changes them (hugetlb.c), judged against the folio table (check_pool.c). */
	struct hstate_node { int64_t nr, free, surplus; } __attribute__((aligned(64))) hstate[HVO_MAX_NODES];
	/* hpage_freelist, an llist: the first folio's id + 1, 0 when empty */
	int32_t hpage_freelist;

	/* G1: hugetlb_optimize_vmemmap_key (a count, like static_branch_inc/dec)
	 * gates the fake-head correction; the simulated RCU (sync.c). */
	int g1_key;
	unsigned rcu_readers;
	uint64_t rcu_gp;
	/* ...and the key each CPU's RCU read-side section saw when it began:
	 * a static branch is patched under stop_machine, and a reader keeps
	 * acting on what it saw until its section ends (issue 17; page.c). */
	struct rcu_cpu { unsigned nest; int key; } __attribute__((aligned(64))) rcu_cpu[GP_CPUS];

	/* seams */
	uint64_t fail_calls, site_calls[HVO_NR_SITES];
	uint64_t vmemmap_oom;
	bool lock_held[HVO_NR_LOCKS];
	/* lockdep.c: IRQs off depth and locks held, per CPU (I22) */
	struct lockdep_cpu { unsigned irq_off; uint64_t held; } __attribute__((aligned(64))) ld_cpu[GP_CPUS];

	/* oracle */
	bool has_viol;
	struct hvo_violation viol;
	struct shadow *shadow;
	struct dax_state *dax;    /* G3 device DAX ranges (dax.c); NULL before G3 */
	/* API nesting (injected racers), per slot of the calling CPU (the sync
	 * ops' cpu() modulo API_SLOTS): every call of every thread writes its
	 * slot, a line of its own, so CPUs share no counter; the sum is
	 * api_depth().  has_viol and the pointers above are read. */
	struct { unsigned n; } __attribute__((aligned(64))) depth[API_SLOTS];
	/* I19's count: the grace-period counter of the batch running on each
	 * CPU (modulo GP_CPUS) at each API nesting depth, registered by the
	 * batch and bumped by the sync seam's synchronize_rcu(), so that no
	 * code path of the model counts its own grace periods (hugetlb_vmemmap.c). */
	unsigned *gp_count[GP_CPUS][GP_DEPTHS];
	/* what the batches' counts came to (hvo_g2.c records, check.c judges
	 * I19): the largest, and the grace periods of batches with no work */
	unsigned batch_gp_max, batch_gp_idle;
	struct track *track;      /* what changed since the last check (track.c); NULL unless cfg.track_changes */
	struct snap_buf { uint8_t *buf; size_t cap; } snap_pool[SNAP_POOL];
	unsigned nr_snap_pool;
	/* write_pages' two-page staging buffer, kept between calls (page.c):
	 * taken and put back by exchange, so a thread that finds it taken
	 * allocates its own. */
	uint8_t *stage;
};

/* The simulated CPU running now (0 without a backend that says). */
static inline unsigned mach_cpu(const struct hvo_machine *m)
{
	const struct hvo_sync_ops *ops = m->cfg.sync;

	return ops && ops->cpu ? ops->cpu(ops->ctx) : 0;
}

/* The public entry points count their nesting: an injected racer runs
 * inside another operation, where only per-folio invariants can hold.  A
 * call leaves the slot it entered (a CPU's number does not change). */
static inline unsigned *api_slot(struct hvo_machine *m)
{
	return &m->depth[mach_cpu(m) % API_SLOTS].n;
}
#define API_CALL(m, call) ({ int _rc; unsigned *_d = api_slot(m); __atomic_fetch_add(_d, 1, __ATOMIC_RELAXED); \
	_rc = (call); __atomic_fetch_sub(_d, 1, __ATOMIC_RELAXED); _rc; })
/* Where synchronize_rcu() counts for the running CPU and nesting depth. */
static inline unsigned **gp_slot(struct hvo_machine *m)
{
	unsigned cpu = mach_cpu(m);

	return &m->gp_count[cpu % GP_CPUS][__atomic_load_n(&m->depth[cpu % API_SLOTS].n, __ATOMIC_RELAXED) % GP_DEPTHS];
}
static inline unsigned api_depth(const struct hvo_machine *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < API_SLOTS; i++)
		n += __atomic_load_n(&m->depth[i].n, __ATOMIC_RELAXED);
	return n;
}

#define FOLIO_CHUNK 256u
#define FOLIO_CHUNK_SIZE (FOLIO_CHUNK * sizeof(struct folio))
static inline struct folio *folio_at(const struct hvo_machine *m, uint32_t id)
{
	return &m->folio_chunks[id / FOLIO_CHUNK][id % FOLIO_CHUNK];
}

/* Called only from hooks.h: the baseline asks a named hook. */
static inline bool mut(const struct hvo_machine *m, enum hvo_mutant b)
{
	return (m->cfg.mutants >> b) & 1;
}

#include "hooks.h"

/* machine.c */
void hvo_violate(struct hvo_machine *m, int inv, uint64_t pfn, int32_t folio, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void hvo_log(const struct hvo_machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool mach_should_fail(struct hvo_machine *m, enum hvo_site site);
/* Allocate for the given site; the failure hook decides first. */
int mach_alloc(struct hvo_machine *m, enum hvo_site site, unsigned node, int zone, unsigned order,
	       unsigned gfp, uint64_t *pfn);
/* A frame with host bytes: zeroed, or for the caller to overwrite whole. */
int mach_alloc_frame(struct hvo_machine *m, enum hvo_site site, unsigned node, bool zero, uint64_t *pfn);
void mach_free(struct hvo_machine *m, uint64_t pfn, unsigned order);
/* memmap_pages_add / memmap_boot_pages_add for one vmemmap page (sign +-1).
 * described_node is the node of the memory the page describes (B12c). */
void memmap_account(struct hvo_machine *m, uint64_t page_pfn, bool boot, int delta, unsigned described_node);
/* NR_MEMMAP_BOOT_PAGES (boot) or NR_MEMMAP_PAGES, and both on node n. */
int64_t memmap_total(const struct hvo_machine *m, bool boot);
int64_t memmap_node(const struct hvo_machine *m, unsigned n);
/* A formula's amount nr (signed) for the vmemmap at [vs, ve): the total is
 * nr whatever is mapped there (TRACEABILITY D3). */
void memmap_charge(struct hvo_machine *m, uint64_t vs, uint64_t ve, bool boot, int64_t nr, unsigned described_node);

/* sync.c */
void sync_point(struct hvo_machine *m, enum hvo_sync_point sp, const char *where);
uint64_t read_once(struct hvo_machine *m, const uint64_t *p, const char *where);
uint64_t load_acquire(struct hvo_machine *m, const uint64_t *p, const char *where);
void write_once(struct hvo_machine *m, uint64_t *p, uint64_t v, const char *where);
uint64_t cmpxchg(struct hvo_machine *m, uint64_t *p, uint64_t old, uint64_t new_, const char *where);
uint64_t cmpxchg_relaxed(struct hvo_machine *m, uint64_t *p, uint64_t old, uint64_t new_, const char *where);
void smp_wmb(struct hvo_machine *m);
void smp_rmb(struct hvo_machine *m);
void smp_mb(struct hvo_machine *m);
/* Weak memory (issue 17): a backend's view of a seam access (no backend:
 * cur, nothing).  A page's contents written with plain stores before a
 * publication count as one location (fuzz/WEAK.md). */
uint64_t weak_load(const struct hvo_machine *m, const void *p, uint64_t cur, unsigned mo);
void weak_store(const struct hvo_machine *m, const void *p, uint64_t old, uint64_t v, unsigned mo);
void frame_publish(const struct hvo_machine *m, uint64_t pfn);
static inline bool weak_mode(const struct hvo_machine *m) { return m->cfg.sync && m->cfg.sync->load; }
bool frame_contents_seen(const struct hvo_machine *m, uint64_t pfn);
void mlock(struct hvo_machine *m, enum hvo_lock l);
void munlock(struct hvo_machine *m, enum hvo_lock l);
void mlock_irq(struct hvo_machine *m, enum hvo_lock l, bool irq);
void munlock_irq(struct hvo_machine *m, enum hvo_lock l, bool irq);
/* lockdep.c: each CPU's IRQ state and locks held (B15, I22) */
void local_irq_disable(struct hvo_machine *m);
void local_irq_enable(struct hvo_machine *m);
void lockdep_acquired(struct hvo_machine *m, enum hvo_lock l);
void lockdep_released(struct hvo_machine *m, enum hvo_lock l);
void spin_lock(struct hvo_machine *m, enum hvo_lock l);
void spin_unlock(struct hvo_machine *m, enum hvo_lock l);
void rcu_read_lock(struct hvo_machine *m);
void rcu_read_unlock(struct hvo_machine *m);
void synchronize_rcu(struct hvo_machine *m);

/* The mask encoding of compound_info is in use (G2/G3 with a power-of-two
 * struct page); G1 and odd sizes use pointer|1 (spec 1.2). */
static inline bool mask_encoding(const struct hvo_machine *m)
{
	return m->cfg.gen != HVO_G1 && m->geo.sps_pow2;
}
void model_lock(struct hvo_machine *m, enum hvo_lock l);
void model_unlock(struct hvo_machine *m, enum hvo_lock l);

/* vmemmap.c */
int vmemmap_init(struct hvo_machine *m, char *err, size_t errlen);
/* After boot: add the nodes hot-added with memmap_on_memory=0 (config
 * hotplug): populate their vmemmap from the buddy, then online them. */
int vmemmap_hot_add(struct hvo_machine *m, char *err, size_t errlen);
/* Hot-remove of such a node once its memory is offline: its vmemmap
 * uncharged, unmapped, flushed and freed (memory_hotplug.c). */
void vmemmap_hot_remove(struct hvo_machine *m, unsigned node);
/* folio.c: dissolve a free (or surplus-free) folio, inside an API call:
 * restore, then free; -EBUSY when the restore fails (folio back). */
int dissolve_free_hugetlb_folio(struct hvo_machine *m, int32_t id);
void vmemmap_destroy(struct hvo_machine *m);
/* machine_reset.c's copy of s's page tables and TLB lists into m. */
int vmemmap_clone(struct hvo_machine *m, const struct hvo_machine *s);
/* Boot population: normal (PMD leaves where whole) and single PTEs. */
int vmemmap_populate(struct hvo_machine *m, unsigned node, uint64_t vstart, uint64_t vend);
int vmemmap_map_boot_page(struct hvo_machine *m, unsigned node, uint64_t vaddr, uint64_t pfn, bool rw);
void vmemmap_unmap_boot_page(struct hvo_machine *m, uint64_t vaddr);
static inline uint64_t page_vaddr(const struct hvo_machine *m, uint64_t pfn)
{
	return m->vbase + pfn * m->geo.struct_page_size;
}
/* Translate a vmemmap address: pfn of the frame and its PTE (0 when unmapped). */
bool vm_translate(const struct hvo_machine *m, uint64_t vaddr, uint64_t *frame, bool *rw);
/* The PTE slot for vaddr; NULL if that PMD is not split. */
uint64_t *vm_pte_slot(struct hvo_machine *m, uint64_t vaddr);
/* Host bytes of the vmemmap page at vaddr (page aligned), materialising
 * memmap-init contents for a never-touched population frame.  Through the
 * page tables: the oracle's view. */
uint8_t *vm_page_bytes(struct hvo_machine *m, uint64_t vaddr, uint64_t *frame, bool *rw);
/* The same as the running CPU sees it: through its TLB (tlb_cpu.c) when
 * there is one.  The kernel's own reads (head copy, restore copies). */
uint8_t *vm_cpu_page_bytes(struct hvo_machine *m, uint64_t vaddr, uint64_t *frame, bool *rw);
/* Field access as the running CPU sees it (vm_cpu_page_bytes); the oracle
 * inside observe_begin/end reads the current mapping.  Writes to a
 * read-only PTE or to a sealed frame are refused and reported as I10. */
uint64_t vm_read64(struct hvo_machine *m, uint64_t vaddr);
uint32_t vm_read32(struct hvo_machine *m, uint64_t vaddr);
uint32_t vm_load_acquire32(struct hvo_machine *m, uint64_t vaddr);
bool vm_write64(struct hvo_machine *m, uint64_t vaddr, uint64_t v);
bool vm_write32(struct hvo_machine *m, uint64_t vaddr, uint32_t v);
bool vm_store_release32(struct hvo_machine *m, uint64_t vaddr, uint32_t v, const char *where);
/* Copy bytes into the vmemmap, one translation per page; same refusal rules. */
bool vm_write_bytes(struct hvo_machine *m, uint64_t vaddr, const uint8_t *src, uint64_t len);
/* atomic_add_unless on a 32-bit field: never writes when *p == unless. */
bool vm_add_unless32(struct hvo_machine *m, uint64_t vaddr, int32_t add, int32_t unless);
/* atomic_sub_return on a 32-bit field, fully ordered: the new value
 * (INT32_MIN when the write is refused). */
int32_t vm_sub_return32(struct hvo_machine *m, uint64_t vaddr, int32_t sub, const char *where);
/* Split the PMD covering vaddr into a PTE table (re-check under the lock). */
int vm_split_pmd(struct hvo_machine *m, uint64_t vaddr, bool flush);
void vm_set_pte(struct hvo_machine *m, uint64_t *slot, uint64_t vaddr, uint64_t pte);
/* Runtime population (G3 hot-add): the PTE slot for vaddr, installing an
 * empty PTE table from the buddy on node when the PMD is none.  NULL with
 * *rc = -ENOMEM (table allocation failed) or -EINVAL (a PMD leaf: never for
 * optimizable sections, 2.10). */
uint64_t *vm_pte_alloc(struct hvo_machine *m, uint64_t vaddr, unsigned node, int *rc);
/* free_pte_table(): free the PTE table covering vaddr when no entry is present. */
void vm_pte_table_release(struct hvo_machine *m, uint64_t vaddr);
void flush_tlb_range(struct hvo_machine *m, uint64_t start, uint64_t end);
void flush_tlb_all(struct hvo_machine *m);
/* The lowest of the nr pages from pfn that a stale translation still
 * reaches, or UINT64_MAX. */
uint64_t tlb_first_stale(struct hvo_machine *m, uint64_t pfn, uint64_t nr);
unsigned tlb_nr_stale(const struct hvo_machine *m);  /* over the shards, without their locks */
uint64_t tlb_nr_flushes(const struct hvo_machine *m);
/* __init_single_page() of pfn into buf (struct_page_size bytes): what
 * memmap_init writes (D12): _refcount 1, _mapcount -1, node/zone and an
 * all-ones last_cpupid in flags, lru pointing at itself. */
void init_single_page(const struct hvo_machine *m, uint64_t pfn, uint8_t *buf);
/* The struct page of pfn as boot leaves a page it gave to the buddy
 * allocator (__free_pages_core: _refcount 0); ZONE_DEVICE pages as
 * __init_zone_device_page leaves them in the model (PG_reserved). */
void memmap_init_page(const struct hvo_machine *m, uint64_t pfn, uint8_t *buf);

/* tlb_cpu.c.  With sync->cpu_tlb (the fiber scheduler) the kernel's accesses
 * through the vmemmap translate through the running CPU's TLB; the oracle
 * (checker, digest, dump, equivalence, shadow) reads the page tables: it
 * brackets its reads with observe_begin/observe_end, which count per CPU,
 * so a scheduling point inside (compound_head has some) leaves the other
 * CPUs on their TLBs.  Other backends: no TLB, nothing changes. */
static inline bool tlb_cpu_enabled(const struct hvo_machine *m)
{
	return m->cfg.sync && m->cfg.sync->cpu_tlb;
}
void observe_begin(struct hvo_machine *m);
void observe_end(struct hvo_machine *m);
/* The running CPU's translation of page_va: its entry, even when stale, or
 * a walk that fills one (the page tables only while it observes).  false:
 * unmapped, or (I12 reported) the entry leads to a page already back in
 * the allocator. */
bool tlb_cpu_translate(struct hvo_machine *m, uint64_t page_va, uint64_t *frame, bool *rw);
/* A flush is a broadcast: every CPU drops its entries in [start, end). */
void tlb_cpu_flush(struct hvo_machine *m, uint64_t start, uint64_t end);
/* Does cpu hold an entry for vaddr's page (and to which frame)? */
bool tlb_cpu_cached(const struct hvo_machine *m, unsigned cpu, uint64_t vaddr, uint64_t *frame);
void tlb_cpu_destroy(struct hvo_machine *m);
int tlb_cpu_clone(struct hvo_machine *m, const struct hvo_machine *s);

/* page.c */
#include "page.h"

/* boot.c: reserve after phys_create, init_early before vmemmap_init,
 * init_late after it, finish after phys_buddy_init. */
int boot_reserve(struct hvo_machine *m, char *err, size_t errlen);
void boot_init_early(struct hvo_machine *m);
bool boot_section_preinit(const struct hvo_machine *m, uint64_t section_pfn);
int boot_init_late(struct hvo_machine *m, char *err, size_t errlen);
void boot_finish(struct hvo_machine *m);

/* hugetlb_vmemmap.c */
int g2_optimize_folio(struct hvo_machine *m, struct folio *f);
int g2_restore_folio(struct hvo_machine *m, struct folio *f);
void g2_optimize_folios(struct hvo_machine *m, struct folio **fs, unsigned n);
/* The same in boot mode (hugetlb_vmemmap_optimize_bootmem_folios): folios
 * pre-HVO'd at boot get their tail slots write-protected instead. */
void g2_optimize_bootmem_folios(struct hvo_machine *m, struct folio **fs, unsigned n);
/* boot.c: vmemmap_wrprotect_hvo() over [start, end), no flush (the g2_
 * prefix as for the other entry points: see core/TRACEABILITY.md). */
void g2_vmemmap_wrprotect_hvo(struct hvo_machine *m, uint64_t start, uint64_t end);
int g2_restore_folios(struct hvo_machine *m, struct folio **fs, unsigned n, unsigned *restored);
int g2_get_tail(struct hvo_machine *m, unsigned node, int zone, unsigned order, uint64_t *out);
uint64_t g2_tail_pfn(const struct hvo_machine *m, unsigned node, int zone, unsigned order);
int g2_read_tail(struct hvo_machine *m, unsigned node, int zone, unsigned order, unsigned idx, uint8_t *buf);

/* folio.c */
int32_t folio_new(struct hvo_machine *m, uint64_t pfn, unsigned order);
bool folio_optimized(struct hvo_machine *m, const struct folio *f);
void folio_set_optimized(struct hvo_machine *m, struct folio *f, bool on);
int folio_refcount(struct hvo_machine *m, const struct folio *f);
uint64_t folio_vmemmap_pages(const struct hvo_machine *m, const struct folio *f);

/* folio.c, for hugetlb.c's lifecycle paths */
int restore_checked(struct hvo_machine *m, int32_t id);
/* Restore fs[0..n) as one batch (hugetlb_vmemmap_restore_folios) with the
 * I8 checks; the folios are the caller's (busy).  Returns its rc. */
int folios_restore_checked(struct hvo_machine *m, struct folio **fs, unsigned n, unsigned *restored);
void folio_release(struct hvo_machine *m, int32_t id);
/* A live pool folio no operation holds: 0, -ENOENT or -EBUSY. */
int pool_folio(struct hvo_machine *m, int32_t id, struct folio **out);

/* hugetlb.c: the hstate's lifecycle around HVO (mm/hugetlb.c) */
bool folio_test_hugetlb(struct hvo_machine *m, const struct folio *f);
void __folio_clear_hugetlb(struct hvo_machine *m, struct folio *f);
void account_new_hugetlb_folio(struct hvo_machine *m, struct folio *f);
void enqueue_hugetlb_folio(struct hvo_machine *m, struct folio *f, enum hvo_folio_state st);
void dequeue_hugetlb_folio(struct hvo_machine *m, struct folio *f);
void remove_hugetlb_folio(struct hvo_machine *m, struct folio *f, bool adjust_surplus);
void add_hugetlb_folio(struct hvo_machine *m, struct folio *f, bool adjust_surplus);
/* free_huge_folio(): the last reference is gone. */
void free_huge_folio(struct hvo_machine *m, struct folio *f);
bool folio_test_hwpoison(struct hvo_machine *m, const struct folio *f);
/* __update_and_free_hugetlb_folio after a successful (or no) restore. */
void update_and_free_restored(struct hvo_machine *m, struct folio *f);
int check_pool(struct hvo_machine *m);

/* track.c: the change log behind hvo_check_changed.  The hooks are no-ops
 * unless cfg.track_changes (a multithreaded user never pays or races). */
int track_create(struct hvo_machine *m);
int track_clone(struct hvo_machine *m, const struct hvo_machine *s);
void track_destroy(struct hvo_machine *m);
void track_frames_slow(struct hvo_machine *m, uint64_t pfn, uint64_t nr);
void track_vaddrs_slow(struct hvo_machine *m, uint64_t start, uint64_t end);
void track_mapping_slow(struct hvo_machine *m);
/* Frames written, allocated or freed (their bytes or their allocation record changed). */
static inline void track_frames(struct hvo_machine *m, uint64_t pfn, uint64_t nr)
{
	if (m->track)
		track_frames_slow(m, pfn, nr);
}
/* The translation of vmemmap addresses [start, end) changed (PTE or PMD). */
static inline void track_vaddrs(struct hvo_machine *m, uint64_t start, uint64_t end)
{
	if (m->track)
		track_vaddrs_slow(m, start, end);
}
/* The memmap counters changed. */
static inline void track_mapping(struct hvo_machine *m)
{
	if (m->track)
		track_mapping_slow(m);
}
/* For check.c: is a full check due (no tracking, overflow, G1 key flip)? */
bool track_everything(struct hvo_machine *m);
bool track_mapping_changed(const struct hvo_machine *m);
bool track_folio_changed(struct hvo_machine *m, const struct folio *f, int32_t id);
void track_folio_set(struct hvo_machine *m, const struct folio *f, int32_t id, bool clean);
/* After a passing check at a quiescent point: nothing has changed since
 * (and the check epoch advances). */
void track_reset(struct hvo_machine *m);
/* Folio id was not rechecked by any passing check after check epoch `epoch`. */
bool track_unchanged_since(const struct hvo_machine *m, int32_t id, uint64_t epoch);

/* shadow.c */
struct shadow *shadow_create(void);
struct shadow *shadow_clone(const struct shadow *s);
void shadow_destroy(struct shadow *s);
/* A folio the caller asked for on node (-1: a boot folio, placed by the
 * config's bootmem lines). */
void shadow_add(struct shadow *s, int32_t id, uint64_t pfn, unsigned order, int node);
void shadow_demote(struct shadow *s, int32_t parent, const int32_t *ids, uint64_t nr, unsigned order);
void shadow_remove(struct shadow *s, int32_t id);
void shadow_set_state(struct shadow *s, int32_t id, enum hvo_folio_state st);
void shadow_set_optimized(struct shadow *s, int32_t id, bool on);
int shadow_compare(struct hvo_machine *m);

/* dax.c (G3 device DAX: ranges, hot-add/remove, memmap_init_zone_device) */
struct dax_state;
int dax_config_validate(const struct hvo_config *cfg, const struct hvo_geometry *g, char *err, size_t errlen);
int dax_create(struct hvo_machine *m);
void dax_destroy(struct hvo_machine *m);

/* check_dax.c */
int check_dax(struct hvo_machine *m);
/* check_ro.c: I10 over every read-only vmemmap PTE (G2/G3): refcount 0,
 * mapcount -1 and an owning compound page; with heads, the compound_info
 * decode of every such struct page instead. */
int check_ro_reachable(struct hvo_machine *m, bool heads);
uint64_t dax_digest(struct hvo_machine *m, uint64_t h, uint64_t (*mix)(uint64_t h, uint64_t v));

/* check.c */

/* oracle_image.c: the checker's own tail image (never the model's helper). */
void oracle_tail_image(const struct hvo_machine *m, unsigned node, int zone, unsigned order, uint64_t head_vaddr,
		       uint8_t *page);
/* page equals the oracle's image expect in every field I4 names (not
 * lru.prev, not last_cpupid: D12). */
bool oracle_tail_equal(const struct hvo_machine *m, const uint8_t *expect, const uint8_t *page);
/* oracle_geo.c: the checker's own vmemmap arithmetic (never geometry.c's). */
uint64_t oracle_vmemmap_pages(const struct hvo_machine *m, unsigned order);
bool oracle_optimizable(const struct hvo_machine *m, unsigned order);
bool oracle_self_hosted(const struct hvo_machine *m, uint64_t pfn);
/* oracle_page.c: the checker's own compound_head()/PageHead()/PageTail(). */
uint64_t oracle_compound_head(struct hvo_machine *m, uint64_t va);
void oracle_head_tail(struct hvo_machine *m, uint64_t va, bool *head, bool *tail);
int32_t oracle_refcount(struct hvo_machine *m, uint64_t pfn);

#endif
