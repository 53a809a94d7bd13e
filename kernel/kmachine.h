/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kmachine.h - the simulated machine under the kernel lane.
 *
 * Physical memory is one memfd; the direct map is the memfd mapped RW; the
 * vmemmap is a PROT_NONE host reservation in which every translation the
 * page tables hold is a real MAP_SHARED|MAP_FIXED view of a frame (2 MiB
 * for a PMD leaf, 4 KiB for a PTE, PROT_READ for a read-only PTE).  So
 * struct page pointers are host pointers, aliasing is done by the host
 * MMU, and a stray write to a read-only slot faults and is reported as I10
 * with the op that did it.
 *
 * One machine per process: the kernel file under test has globals of its
 * own (the static key, vmemmap_optimize_enabled), so the lane resets the
 * machine between inputs instead of keeping two.
 *
 * Memory layout: pfns [0, low_pfns) hold the boot vmemmap blocks (memblock,
 * PG_reserved) and the order-0 pages the kernel file allocates; pfns
 * [huge_base, nr_pfns) hold the HugeTLB folios.  Node 0, ZONE_NORMAL.
 */
#ifndef HVO_KMACHINE_H
#define HVO_KMACHINE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel_internal.h"

enum kframe {
	KF_FREE = 0,   /* on the order-0 free list, or an unused huge frame */
	KF_FIRMWARE,   /* never usable (the first MiB) */
	KF_MEMBLOCK,   /* boot vmemmap block page (PG_reserved) */
	KF_BUDDY,      /* an order-0 page the kernel file holds */
	KF_PTABLE,     /* a PTE table page */
	KF_HUGE,       /* part of a live HugeTLB folio */
};

/* Allocation sites, named as the model's (core/src/names.c), so one op
 * stream's "fail site=..." rules mean the same on both. */
enum ksite { KS_HUGETLB_FOLIO, KS_HEAD_COPY, KS_PTE_TABLE, KS_RESTORE_PAGE, KS_NR };

/* A finding: an invariant ID ("I12"), or "WARN", "BUG", "BAD_PAGE",
 * "FAULT" for what the kernel code itself reported or did. */
struct kfinding {
	char id[16];
	uint64_t pfn;          /* UINT64_MAX if none */
	char msg[512];
};

#define KMACH_MAX_FINDINGS 8

struct kstale {
	unsigned long va;
	uint64_t pfn;
};

struct kmach {
	int memfd;
	uint64_t nr_pfns, low_pfns, huge_base;
	unsigned char *dmap;
	struct page *vmemmap;
	size_t vmemmap_bytes;
	void *vmemmap_reserve;   /* the aligned reservation's raw mapping */
	size_t vmemmap_reserve_len;
	pmd_t *pmds;             /* the live PMD table of the vmemmap (host memory) */
	size_t nr_pmds;
	pud_t pud;
	pgd_t pgd;
	uint8_t *state;          /* enum kframe per pfn */
	uint16_t *mapcnt;        /* live vmemmap translations of each frame (the free check's fast path) */
	uint16_t *stalecnt;      /* unflushed old translations of each frame */
	uint64_t *freelist;      /* order-0 free pfns, LIFO, lowest on top */
	size_t nr_free;
	struct kstale *stale;    /* translations changed but not yet flushed */
	size_t nr_stale, cap_stale;
	long memmap_pages, memmap_boot_pages;
	bool huge_full;          /* a folio allocation found no free range */
	uint64_t flush_all, flush_range, rcu_syncs, warns, pte_sets;
	/* failure injection: the adapter names the site of the next order-0
	 * allocation (optimize's head copy or restore's pages); fail() decides */
	int cur_site;
	bool (*fail)(void *ctx, int site, uint64_t site_call, uint64_t call);
	void *fail_ctx;
	uint64_t site_calls[KS_NR], calls;
	/* the findings of the run, one per ID, in the order found; where a
	 * BUG or a fault goes */
	bool has_finding;
	unsigned nr_findings;
	struct kfinding findings[KMACH_MAX_FINDINGS];
	sigjmp_buf *recover;
	const char *sysctl_path;
	struct ctl_table *sysctl;
	size_t nr_sysctl;
};

extern struct kmach kmach;

struct kmach_layout {
	uint64_t mem_bytes;      /* whole machine */
	uint64_t low_bytes;      /* the boot and order-0 region */
};
/* 128 MiB: 64 MiB of 2 MiB folios, one vmemmap PMD.  2 GiB: one 1 GiB
 * folio at 1 GiB and 2 MiB folios below it, 16 vmemmap PMDs. */
void kmach_layout_small(struct kmach_layout *l);
void kmach_layout_big(struct kmach_layout *l);

/* Boot: memfd, direct map, vmemmap blocks from memblock mapped by PMD
 * leaves, every struct page initialised (memmap_init), the boot vmemmap
 * registered as x86's get_page_bootmem() does.  0, or -1 with err set. */
int kmach_create(const struct kmach_layout *l, char *err, size_t errlen);
void kmach_destroy(void);
/* Keep the host memory (memfd, mappings) of a destroyed machine for the
 * next one of the same layout: a fuzz target's setting.  Changes no run. */
void kmach_keep_host(bool keep);

/* Record a finding; one per ID (the first), at most KMACH_MAX_FINDINGS. */
void kmach_report(const char *id, uint64_t pfn, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One call at an allocation site: counted, and true if the failure rules
 * say it fails (kmach.fail). */
bool kmach_should_fail(int site);

/* HugeTLB folio frames (the adapter's): an aligned free range, or -1. */
int64_t kmach_alloc_huge(unsigned order);
void kmach_free_huge(uint64_t pfn, unsigned order);

/* The current translation of a vmemmap address, read from the tables:
 * false if unmapped. */
bool kmach_translate(unsigned long va, uint64_t *pfn, bool *rw);
/* Is this frame a PTE table linked into the live PMD table? */
bool kmach_table_linked(uint64_t pfn);

/* Host fault handling: SIGSEGV/SIGBUS inside the vmemmap or the direct map
 * while an op runs become a finding and a siglongjmp to *kmach.recover. */
void kmach_install_fault_handler(void);

#endif
