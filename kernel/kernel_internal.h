/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel_internal.h - the one header that stands in for the kernel's
 * headers when an unmodified mm/hugetlb_vmemmap.c is compiled in userspace
 * (the kernel lane; the way tools/testing/vma's vma_internal.h does it).
 * Every linux/ and asm/ header under kernel/include includes only this.
 *
 * Each API is marked:
 *   [stubbed]    no behaviour the lane needs (annotations, init macros)
 *   [duplicated] the kernel's semantics written again here; the kernel
 *                file named beside it is the reference, re-read it when a
 *                tree changes it
 *   [machine]    implemented over the simulated machine (kmachine.c):
 *                frames in a memfd, a host vmemmap whose PTEs are real
 *                4 KiB MAP_FIXED views, a recorded TLB
 *   [customised] behaves like the kernel but reports to the lane's oracle
 *                (a WARN, a BUG, a bad free) instead of printing or
 *                crashing
 *
 * Geometry: x86-64, 4 KiB pages, 64-byte struct page (the only one this
 * shim builds; shim_geometry_check() refuses others).  The layout of
 * struct page, struct folio and the page flags follows 6.12; the file
 * under test touches them only through the accessors below, which is what
 * lets one shim serve the 6.1 and 6.12 trees (feature macros HVO_K_*, set
 * by kernel/meson.build from the tree's own text, pick the entry points).
 */
#ifndef HVO_KERNEL_INTERNAL_H
#define HVO_KERNEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------- [stubbed] */
#define __init
#define __initdata
#define __ro_after_init
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __maybe_unused __attribute__((unused))
#define EXPORT_SYMBOL(sym) extern int hvo_k_export_unused_##sym
#define EXPORT_SYMBOL_GPL(sym) extern int hvo_k_export_unused_##sym
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define BIT(n) (1UL << (n))
#define BUILD_BUG_ON(cond) _Static_assert(!(cond), "BUILD_BUG_ON(" #cond ")")
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_info(...) ((void)0)
#define pr_warn(...) ((void)0)
#define _AC(x, y) (x##y)
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* IS_ENABLED(): the kconfig.h trick, written again ([duplicated],
 * include/linux/kconfig.h).  The lane's config: */
#define CONFIG_64BIT 1
#define CONFIG_MMU 1
#define CONFIG_SPARSEMEM_VMEMMAP 1
#define CONFIG_MEMORY_HOTPLUG 1
#define CONFIG_PROC_SYSCTL 1
#define CONFIG_HUGETLB_PAGE 1
#define CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP 1
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x) ___is_defined(x)
#define ___is_defined(val) ____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)
#define IS_ENABLED(option) __is_defined(option)

/* Module and init plumbing [customised]: the lane's adapter reaches the
 * file's boot parameter and its late initcall through these symbols. */
#define core_param(name, var, type, perm) type *const hvo_k_param_##name = &(var)
#define late_initcall(fn) int (*const hvo_k_late_initcall)(void) = (fn)

/* ------------------------------------------------- errors, gfp [stubbed] */
#define ENOMEM 12
#define EINVAL 22
#define ENOTSUPP 524
typedef unsigned int gfp_t;
#define GFP_KERNEL 0x1u
#define __GFP_RETRY_MAYFAIL 0x2u
#define __GFP_NORETRY 0x4u
#define __GFP_THISNODE 0x8u

/* ------------------------------------------------------------ geometry */
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PMD_SHIFT 21
#define PMD_SIZE (1UL << PMD_SHIFT)
#define PMD_MASK (~(PMD_SIZE - 1))
#define PUD_SHIFT 30
#define PUD_SIZE (1UL << PUD_SHIFT)
#define PUD_MASK (~(PUD_SIZE - 1))
#define P4D_SHIFT 39
#define P4D_SIZE (1UL << P4D_SHIFT)
#define P4D_MASK (~(P4D_SIZE - 1))
#define PGDIR_SHIFT 39
#define PGDIR_SIZE (1UL << PGDIR_SHIFT)
#define PGDIR_MASK (~(PGDIR_SIZE - 1))
#define PTRS_PER_PTE 512
#define PTRS_PER_PMD 512
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define PAGE_ALIGNED(addr) IS_ALIGNED((unsigned long)(addr), PAGE_SIZE)

static inline bool is_power_of_2(unsigned long n) { return n != 0 && (n & (n - 1)) == 0; }
static inline int get_order(unsigned long size)
{
	int order = 0;

	size = (size - 1) >> PAGE_SHIFT;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

/* ----------------------------------------------- lists [duplicated] */
/* include/linux/list.h, with the poison values of include/linux/poison.h
 * (x86-64: CONFIG_ILLEGAL_POINTER_VALUE 0xdead000000000000). */
#define POISON_POINTER_DELTA 0xdead000000000000UL
#define LIST_POISON1 ((void *)(0x100 + POISON_POINTER_DELTA))
#define LIST_POISON2 ((void *)(0x122 + POISON_POINTER_DELTA))
#define TAIL_MAPPING ((void *)(0x400 + POISON_POINTER_DELTA))

struct list_head {
	struct list_head *next, *prev;
};
#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)
static inline void INIT_LIST_HEAD(struct list_head *l)
{
	WRITE_ONCE(l->next, l);
	l->prev = l;
}
static inline void __list_add(struct list_head *n, struct list_head *prev, struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	WRITE_ONCE(prev->next, n);
}
static inline void list_add(struct list_head *n, struct list_head *head) { __list_add(n, head, head->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *head) { __list_add(n, head->prev, head); }
static inline void __list_del(struct list_head *prev, struct list_head *next)
{
	next->prev = prev;
	WRITE_ONCE(prev->next, next);
}
static inline void list_del(struct list_head *e)
{
	__list_del(e->prev, e->next);
	e->next = LIST_POISON1;
	e->prev = LIST_POISON2;
}
static inline void list_move(struct list_head *e, struct list_head *head)
{
	__list_del(e->prev, e->next);
	list_add(e, head);
}
static inline int list_empty(const struct list_head *head) { return READ_ONCE(head->next) == head; }
static inline void list_splice_init(struct list_head *list, struct list_head *head)
{
	if (!list_empty(list)) {
		struct list_head *first = list->next, *last = list->prev, *at = head->next;

		first->prev = head;
		head->next = first;
		last->next = at;
		at->prev = last;
		INIT_LIST_HEAD(list);
	}
}
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)
#define list_next_entry(pos, member) list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_for_each_entry(pos, head, member)                                        \
	for (pos = list_first_entry(head, __typeof__(*pos), member); &pos->member != (head); \
	     pos = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)                                \
	for (pos = list_first_entry(head, __typeof__(*pos), member), n = list_next_entry(pos, member); \
	     &pos->member != (head); pos = n, n = list_next_entry(n, member))

/* ------------------------------------------ atomics, barriers [machine] */
typedef struct { int counter; } atomic_t;
static inline int atomic_read(const atomic_t *v) { return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); }
static inline void atomic_set(atomic_t *v, int i) { __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); }
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* Locks [stubbed]: the lane runs the file on one thread (concurrency is
 * the model's and the scheduler's job); the depth is kept so that an
 * unbalanced lock is still a finding (kshim.c checks it after each op). */
typedef struct { int depth; } spinlock_t;
void hvo_k_lock(int *depth);
void hvo_k_unlock(int *depth);
#define spin_lock(l) hvo_k_lock(&(l)->depth)
#define spin_unlock(l) hvo_k_unlock(&(l)->depth)

/* ------------------------------------------------ struct page [duplicated] */
/* include/linux/mm_types.h (6.12) on x86-64: 64 bytes, the fields at the
 * offsets the spec's table 1.1 gives.  Only what the file and the adapter
 * use is named; the rest is padding of the same size. */
struct address_space;
struct page {
	unsigned long flags;                       /* 0 */
	union {
		struct list_head lru;              /* 8 */
		struct {
			unsigned long compound_head;  /* 8: bit 0 = PageTail */
			unsigned long __pad_prev;
		};
	};
	struct address_space *mapping;             /* 24 */
	unsigned long index;                       /* 32 */
	unsigned long private;                     /* 40 */
	union {
		atomic_t _mapcount;                /* 48 */
		unsigned int page_type;
	};
	atomic_t _refcount;                        /* 52 */
	unsigned long memcg_data;                  /* 56 */
};
_Static_assert(sizeof(struct page) == 64, "the lane builds the 64-byte struct page only");
_Static_assert(offsetof(struct page, mapping) == 24 && offsetof(struct page, private) == 40 &&
	       offsetof(struct page, _refcount) == 52, "struct page layout of spec 1.1");

/* The first four struct pages of a large folio (mm_types.h 6.12). */
struct folio {
	union {
		struct {
			unsigned long flags;
			struct list_head lru;
			struct address_space *mapping;
			unsigned long index;
			void *private;
			atomic_t _mapcount;
			atomic_t _refcount;
			unsigned long memcg_data;
		};
		struct page page;
	};
	union {
		struct {
			unsigned long _flags_1;
			unsigned long _head_1;
			atomic_t _large_mapcount;
			atomic_t _entire_mapcount;
			atomic_t _nr_pages_mapped;
			atomic_t _pincount;
			unsigned int _folio_nr_pages;
		};
		struct page __page_1;
	};
	union {
		struct {
			unsigned long _flags_2;
			unsigned long _head_2;
			struct list_head _deferred_list;
		};
		struct page __page_2;
	};
	union {
		struct {
			unsigned long _flags_3;
			unsigned long _head_3;
			void *_hugetlb_subpool;
			void *_hugetlb_cgroup;
			void *_hugetlb_cgroup_rsvd;
			void *_hugetlb_hwpoison;
		};
		struct page __page_3;
	};
};
_Static_assert(offsetof(struct folio, _flags_1) == 64 && offsetof(struct folio, _flags_3) == 192,
	       "struct folio overlays whole struct pages");

/* Page flags: the bit numbers of 6.12's enum pageflags [duplicated]. */
enum pageflags {
	PG_locked, PG_writeback, PG_referenced, PG_uptodate, PG_dirty, PG_lru,
	PG_head = 6, PG_waiters, PG_active, PG_workingset, PG_owner_priv_1, PG_owner_2,
	PG_arch_1, PG_reserved = 13, PG_private, PG_private_2, PG_reclaim,
	PG_vmemmap_self_hosted = PG_owner_priv_1,
};
/* Node and zone in the high bits of flags (SPARSEMEM_VMEMMAP: no section
 * bits); the positions are the lane's, shared with its oracle (kgeom.h). */
#include "kgeom.h"

static inline unsigned long hvo_k_flags(const struct page *p) { return READ_ONCE(p->flags); }
static inline int page_to_nid(const struct page *p) { return (int)((hvo_k_flags(p) >> KG_NODE_SHIFT) & KG_NODE_MASK); }

/* The machine's vmemmap base, the direct map and the static key live in
 * kmachine.c; the fake-head logic needs the key. */
extern struct page *hvo_k_vmemmap;
extern unsigned char *hvo_k_direct_map;
struct static_key_false {
	atomic_t enabled;
};
extern struct static_key_false hugetlb_optimize_vmemmap_key;
#define DEFINE_STATIC_KEY_FALSE(name) struct static_key_false name = { { 0 } }
void hvo_k_static_branch_inc(struct static_key_false *key);
void hvo_k_static_branch_dec(struct static_key_false *key);
#define static_branch_inc(k) hvo_k_static_branch_inc(k)
#define static_branch_dec(k) hvo_k_static_branch_dec(k)
#define static_branch_unlikely(k) (atomic_read(&(k)->enabled) > 0)
#define static_branch_likely(k) (atomic_read(&(k)->enabled) > 0)
static inline bool hugetlb_optimize_vmemmap_enabled(void)
{
	return static_branch_unlikely(&hugetlb_optimize_vmemmap_key);
}

/* The G1 fake-head correction [duplicated]: include/linux/page-flags.h
 * (6.12) page_fixed_fake_head(), page_is_fake_head(), compound_head(),
 * PageHead(), PageTail(). */
static inline const struct page *page_fixed_fake_head(const struct page *page)
{
	if (!hugetlb_optimize_vmemmap_enabled())
		return page;
	if (IS_ALIGNED((unsigned long)page, PAGE_SIZE) && (hvo_k_flags(page) & BIT(PG_head))) {
		unsigned long head = READ_ONCE(page[1].compound_head);

		if (likely(head & 1))
			return (const struct page *)(head - 1);
	}
	return page;
}
static inline int page_is_fake_head(const struct page *page) { return page_fixed_fake_head(page) != page; }
static inline unsigned long _compound_head(const struct page *page)
{
	unsigned long head = READ_ONCE(page->compound_head);

	if (unlikely(head & 1))
		return head - 1;
	return (unsigned long)page_fixed_fake_head(page);
}
#define compound_head(page) ((__typeof__(page))_compound_head(page))
static inline int PageTail(const struct page *page)
{
	return (READ_ONCE(page->compound_head) & 1) || page_is_fake_head(page);
}
static inline int PageHead(const struct page *page)
{
	return (hvo_k_flags(page) & BIT(PG_head)) && !page_is_fake_head(page);
}
static inline int PageReserved(const struct page *page) { return !!(hvo_k_flags(page) & BIT(PG_reserved)); }
static inline int PageVmemmapSelfHosted(const struct page *page)
{
	return !!(hvo_k_flags(page) & BIT(PG_vmemmap_self_hosted));
}
static inline int page_ref_count(const struct page *page) { return atomic_read(&page->_refcount); }
static inline int folio_ref_count(const struct folio *folio) { return page_ref_count(&folio->page); }
static inline int folio_nid(const struct folio *folio) { return page_to_nid(&folio->page); }

/* The hugetlb page type (6.12 PGTY_hugetlb in the top byte of page_type). */
#define PGTY_hugetlb 0xf4u
static inline bool folio_test_hugetlb(const struct folio *folio)
{
	return (READ_ONCE(folio->page.page_type) >> 24) == PGTY_hugetlb;
}

/* ----------------------------------------- pfn <-> page <-> virt [machine] */
static inline unsigned long page_to_pfn(const struct page *page) { return (unsigned long)(page - hvo_k_vmemmap); }
static inline struct page *pfn_to_page(unsigned long pfn) { return hvo_k_vmemmap + pfn; }
static inline void *page_to_virt(const struct page *page)
{
	return hvo_k_direct_map + (page_to_pfn(page) << PAGE_SHIFT);
}
#define page_address(p) page_to_virt(p)
static inline struct page *virt_to_page(const void *v)
{
	return pfn_to_page((unsigned long)((const unsigned char *)v - hvo_k_direct_map) >> PAGE_SHIFT);
}
/* copy_page() through host addresses: a write to a read-only vmemmap view
 * faults on the host and the lane reports it (kmachine.c). */
static inline void copy_page(void *to, const void *from) { memcpy(to, from, PAGE_SIZE); }

/* -------------------------------------------- page tables [machine] */
typedef struct { unsigned long pte; } pte_t;
typedef struct { unsigned long pmd; } pmd_t;
typedef struct { unsigned long pud; } pud_t;
typedef struct { unsigned long p4d; } p4d_t;
typedef struct { unsigned long pgd; } pgd_t;
typedef struct { unsigned long pgprot; } pgprot_t;
#define _PAGE_PRESENT 0x001UL
#define _PAGE_RW 0x002UL
#define _PAGE_PSE 0x080UL
#define _PAGE_TABLE (_PAGE_PRESENT | _PAGE_RW)
#define PTE_PFN_MASK 0x000ffffffffff000UL
#define __pgprot(x) ((pgprot_t){ (x) })
#define pgprot_val(p) ((p).pgprot)
#define PAGE_KERNEL __pgprot(_PAGE_PRESENT | _PAGE_RW)
#define PAGE_KERNEL_RO __pgprot(_PAGE_PRESENT)
#define __pte(x) ((pte_t){ (x) })
#define pte_val(p) ((p).pte)
#define pmd_val(p) ((p).pmd)

struct mm_struct {
	spinlock_t page_table_lock;
	int mmap_lock;
};
extern struct mm_struct init_mm;
#define mmap_read_lock(mm) hvo_k_lock(&(mm)->mmap_lock)
#define mmap_read_unlock(mm) hvo_k_unlock(&(mm)->mmap_lock)
#define mmap_assert_locked(mm) ((void)0)

static inline pte_t mk_pte(const struct page *page, pgprot_t prot)
{
	return __pte((page_to_pfn(page) << PAGE_SHIFT) | pgprot_val(prot));
}
static inline struct page *pte_page(pte_t pte) { return pfn_to_page((pte_val(pte) & PTE_PFN_MASK) >> PAGE_SHIFT); }
static inline pte_t ptep_get(pte_t *ptep) { return READ_ONCE(*ptep); }
static inline unsigned long pte_index(unsigned long addr) { return (addr >> PAGE_SHIFT) & (PTRS_PER_PTE - 1); }
static inline int pmd_leaf(pmd_t pmd) { return !!(pmd_val(pmd) & _PAGE_PSE); }
static inline int pmd_none(pmd_t pmd) { return pmd_val(pmd) == 0; }
static inline int pmd_present(pmd_t pmd) { return !!(pmd_val(pmd) & _PAGE_PRESENT); }
static inline struct page *pmd_page(pmd_t pmd) { return pfn_to_page((pmd_val(pmd) & PTE_PFN_MASK) >> PAGE_SHIFT); }
static inline pte_t *pte_offset_kernel(pmd_t *pmd, unsigned long addr)
{
	return (pte_t *)page_to_virt(pmd_page(*pmd)) + pte_index(addr);
}
/* A PTE store into a table that is linked into the vmemmap changes the
 * host view at once (an eager TLB); the old translation is recorded as
 * stale until a flush covers it (I12 at free). */
void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte);
/* Linking a table into the machine's PMD replaces the host views of the
 * whole 2 MiB; into a local pmd_t it only fills the local word. */
void pmd_populate_kernel(struct mm_struct *mm, pmd_t *pmd, pte_t *pte);
pte_t *pte_alloc_one_kernel(struct mm_struct *mm);
void pte_free_kernel(struct mm_struct *mm, pte_t *pte);
/* The model in core/ has functions of these kernel names too; the lane's
 * own carry a prefix so that one binary can hold both. */
#define flush_tlb_all hvo_k_flush_tlb_all
#define synchronize_rcu hvo_k_synchronize_rcu
void flush_tlb_kernel_range(unsigned long start, unsigned long end);
void flush_tlb_all(void);

/* The upper levels (6.1 walks them by hand): one PGD entry, folded P4D,
 * one PUD table spanning the vmemmap; pmd_offset() leads to the
 * machine's PMD table. */
pgd_t *pgd_offset_k(unsigned long addr);
static inline p4d_t *p4d_offset(pgd_t *pgd, unsigned long addr) { (void)addr; return (p4d_t *)pgd; }
pud_t *pud_offset(p4d_t *p4d, unsigned long addr);
pmd_t *pmd_offset(pud_t *pud, unsigned long addr);
pmd_t *pmd_off_k(unsigned long addr);
static inline int pgd_none(pgd_t p) { return p.pgd == 0; }
static inline int p4d_none(p4d_t p) { return p.p4d == 0; }
static inline int pud_none(pud_t p) { return p.pud == 0; }
static inline int pgd_bad(pgd_t p) { (void)p; return 0; }
static inline int p4d_bad(p4d_t p) { (void)p; return 0; }
static inline int pud_bad(pud_t p) { (void)p; return 0; }
#define __hvo_addr_end(addr, end, size)                                      \
	({ unsigned long __boundary = ((addr) + (size)) & ~((size) - 1);   \
	   (__boundary - 1 < (end) - 1) ? __boundary : (end); })
#define pgd_addr_end(addr, end) __hvo_addr_end(addr, end, PGDIR_SIZE)
#define p4d_addr_end(addr, end) __hvo_addr_end(addr, end, P4D_SIZE)
#define pud_addr_end(addr, end) __hvo_addr_end(addr, end, PUD_SIZE)
#define pmd_addr_end(addr, end) __hvo_addr_end(addr, end, PMD_SIZE)

/* ---------------------------------------- the page walker [duplicated] */
/* include/linux/pagewalk.h and the kernel-range part of mm/pagewalk.c
 * (6.12 walk_kernel_page_table_range: walk_pmd_range, walk_pte_range);
 * kshim.c has the walk, PMD level and below, which is all a vmemmap
 * range has. */
enum page_walk_action { ACTION_SUBTREE = 0, ACTION_CONTINUE = 1, ACTION_AGAIN = 2 };
struct mm_walk;
struct mm_walk_ops {
	int (*pmd_entry)(pmd_t *pmd, unsigned long addr, unsigned long next, struct mm_walk *walk);
	int (*pte_entry)(pte_t *pte, unsigned long addr, unsigned long next, struct mm_walk *walk);
	int (*pte_hole)(unsigned long addr, unsigned long next, int depth, struct mm_walk *walk);
};
struct mm_walk {
	const struct mm_walk_ops *ops;
	struct mm_struct *mm;
	pgd_t *pgd;
	void *vma;
	enum page_walk_action action;
	bool no_vma;
	void *private;
};
int walk_kernel_page_table_range(unsigned long start, unsigned long end, const struct mm_walk_ops *ops,
				 pgd_t *pgd, void *private);

/* ------------------------------------------ page allocator [machine] */
struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order);
void __free_pages(struct page *page, unsigned int order);
#define __free_page(page) __free_pages((page), 0)
void split_page(struct page *page, unsigned int order);
/* bootmem_info.h free_bootmem_page() [customised]: the refcount-2 and
 * SECTION_INFO magic checks of x86's get_page_bootmem(), then the frame
 * goes back to the allocator. */
enum bootmem_type { MEMORY_HOTPLUG_MIN_BOOTMEM_TYPE = 1, SECTION_INFO = 1, MIX_SECTION_INFO, NODE_INFO };
void free_bootmem_page(struct page *page);
/* NR_MEMMAP_PAGES / NR_MEMMAP_BOOT_PAGES (6.12 vmstat) [machine]. */
void memmap_pages_add(long delta);
void memmap_boot_pages_add(long delta);

/* ------------------------------------------------- RCU [machine] */
void synchronize_rcu(void);

/* --------------------------------------- WARN / BUG [customised] */
/* A WARN is a finding (architecture rule 5: a WARN never counts as a
 * pass); a BUG ends the op with a report instead of the process. */
void hvo_k_warn(const char *file, int line, const char *cond);
_Noreturn void hvo_k_bug(const char *file, int line, const char *cond);
#define WARN_ON(c) ({ bool __c = !!(c); if (unlikely(__c)) hvo_k_warn(__FILE__, __LINE__, #c); __c; })
#define WARN_ON_ONCE(c) WARN_ON(c)
#define VM_WARN_ON(c) ((void)WARN_ON(c))
#define VM_WARN_ON_ONCE(c) ((void)WARN_ON(c))
#define VM_WARN_ON_ONCE_FOLIO(c, folio) ((void)(folio), (void)WARN_ON(c))
#define VM_WARN_ON_FOLIO(c, folio) ((void)(folio), (void)WARN_ON(c))
#define BUG_ON(c) do { if (unlikely(c)) hvo_k_bug(__FILE__, __LINE__, #c); } while (0)
#define VM_BUG_ON(c) BUG_ON(c)
#define VM_BUG_ON_PAGE(c, page) ((void)(page), BUG_ON(c))

/* --------------------------------------- sysctl [customised] */
struct ctl_table {
	const char *procname;
	void *data;
	int maxlen;
	unsigned short mode;
	int (*proc_handler)(const struct ctl_table *, int, void *, size_t *, long *);
};
int proc_dobool(const struct ctl_table *table, int write, void *buffer, size_t *lenp, long *ppos);
/* The adapter writes the switch through the registered table, as
 * /proc/sys/vm/hugetlb_optimize_vmemmap does. */
void hvo_k_register_sysctl(const char *path, struct ctl_table *table, size_t n);
#define register_sysctl_init(path, table) hvo_k_register_sysctl(path, table, ARRAY_SIZE(table))

/* ------------------------------------------ hugetlb.h [duplicated] */
/* include/linux/hugetlb.h: the hstate (only what HVO reads), the HPG
 * flags in the head's private word, the iterator. */
struct hstate {
	unsigned int order;
	char name[32];
};
extern struct hstate hstates[];
extern unsigned int hugetlb_max_hstate;
#define for_each_hstate(h) for ((h) = hstates; (h) < &hstates[hugetlb_max_hstate]; (h)++)
static inline unsigned long pages_per_huge_page(const struct hstate *h) { return 1UL << h->order; }
#define __NR_USED_SUBPAGE 3
enum hugetlb_page_flags {
	HPG_restore_reserve = 0, HPG_migratable, HPG_temporary, HPG_freed, HPG_vmemmap_optimized,
	HPG_raw_hwp_unreliable, __NR_HPAGEFLAGS,
};
static inline bool hvo_k_hpg_test(const struct page *head, int bit) { return !!(READ_ONCE(head->private) & BIT(bit)); }
static inline void hvo_k_hpg_set(struct page *head, int bit) { head->private |= BIT(bit); }
static inline void hvo_k_hpg_clear(struct page *head, int bit) { head->private &= ~BIT(bit); }
/* 6.12: folio accessors */
#define folio_test_hugetlb_vmemmap_optimized(f) hvo_k_hpg_test(&(f)->page, HPG_vmemmap_optimized)
#define folio_set_hugetlb_vmemmap_optimized(f) hvo_k_hpg_set(&(f)->page, HPG_vmemmap_optimized)
#define folio_clear_hugetlb_vmemmap_optimized(f) hvo_k_hpg_clear(&(f)->page, HPG_vmemmap_optimized)
/* 6.1: page accessors */
#define HPageVmemmapOptimized(p) hvo_k_hpg_test((p), HPG_vmemmap_optimized)
#define SetHPageVmemmapOptimized(p) hvo_k_hpg_set((p), HPG_vmemmap_optimized)
#define ClearHPageVmemmapOptimized(p) hvo_k_hpg_clear((p), HPG_vmemmap_optimized)

#endif /* HVO_KERNEL_INTERNAL_H */
