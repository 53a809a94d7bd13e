/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kadapter.h - hugetlb.c's part around the file under test: the hstates,
 * folio allocation and prep, the pool, free to buddy with the page
 * allocator's checks, the sysctl switch, and the calls into the file's
 * entry points (which differ between trees: HVO_K_* feature macros).
 */
#ifndef HVO_KADAPTER_H
#define HVO_KADAPTER_H

#include <stdbool.h>
#include <stdint.h>

#include "kmachine.h"

#define KA_MAX_FOLIOS 4096

struct kfolio {
	int32_t id;
	uint64_t pfn;
	unsigned order;
	bool live;
};

struct kadapter {
	struct kfolio folios[KA_MAX_FOLIOS];
	unsigned nr_folios;       /* slots used (ids are never reused) */
	bool has_memmap_acct;     /* the tree has NR_MEMMAP_PAGES */
	void (*after_restore)(void); /* ka_free: between the restore and the free to buddy */
	const char *tree_api;     /* "folio (6.12)" or "page (6.1)" */
};

extern struct kadapter ka;

/* Boot the machine and the file: HVO on (hugetlb_free_vmemmap=on), the
 * hstates of 2 MiB and 1 GiB, then the file's late initcall. */
int ka_boot(bool big, char *err, size_t errlen);
void ka_shutdown(void);

/* hstate of this order, or NULL (the lane has 2 MiB and 1 GiB). */
struct hstate *ka_hstate(unsigned order);
/* The folio at selector f (f-th live one, modulo their number), or NULL. */
struct kfolio *ka_select(uint32_t f);
unsigned ka_live(void);
static inline struct folio *ka_folio(const struct kfolio *f) { return (struct folio *)pfn_to_page(f->pfn); }

/* The ops.  rc as the kernel returns it; optimize's entry point returns
 * nothing, so its rc is 0 and the outcome is the HPG flag. */
/* before_optimize (may be NULL) sees the prepared folio before the
 * optimize that alloc_fresh + prep_and_add do. */
int ka_alloc(unsigned order, struct kfolio **out, void (*before_optimize)(const struct kfolio *));
/* alloc_pool_huge_folios: up to n (at most 16) folios, one batch. */
int ka_alloc_batch(unsigned order, unsigned n);
int ka_optimize(struct kfolio *f);
int ka_restore(struct kfolio *f);
int ka_optimize_batch(struct kfolio **fs, unsigned n);
int ka_restore_batch(struct kfolio **fs, unsigned n);
/* update_and_free_hugetlb_folio: restore, then the folio goes to buddy
 * through free_pages_prepare's checks (a "Bad page state" is a finding). */
int ka_free(struct kfolio *f);
void ka_set_enabled(bool on);

#endif
