// SPDX-License-Identifier: GPL-2.0-only
/*
 * kadapter.c - hugetlb.c's part around mm/hugetlb_vmemmap.c (kadapter.h).
 *
 * What the adapter writes into struct pages is what the tree's hugetlb.c
 * and page_alloc.c write for a fresh gigantic or buddy folio (prep, the
 * hugetlb type, the folio fields); it is the lane's [customised] mirror of
 * those callers, per tree revision (HVO_K_FOLIO_API: 6.12, else 6.1).
 */
#include <stdio.h>

#include "kadapter.h"

/* The file's own entry points (mm/hugetlb_vmemmap.h of the tree). */
#ifdef HVO_K_FOLIO_API
int hugetlb_vmemmap_restore_folio(const struct hstate *h, struct folio *folio);
long hugetlb_vmemmap_restore_folios(const struct hstate *h, struct list_head *folio_list,
				    struct list_head *non_hvo_folios);
void hugetlb_vmemmap_optimize_folio(const struct hstate *h, struct folio *folio);
void hugetlb_vmemmap_optimize_folios(struct hstate *h, struct list_head *folio_list);
#else
int hugetlb_vmemmap_restore(const struct hstate *h, struct page *head);
void hugetlb_vmemmap_optimize(const struct hstate *h, struct page *head);
#endif
extern bool *const hvo_k_param_hugetlb_free_vmemmap;
extern int (*const hvo_k_late_initcall)(void);

struct kadapter ka;
struct hstate hstates[2] = { { 9, "hugepages-2048kB" }, { 18, "hugepages-1048576kB" } };
unsigned int hugetlb_max_hstate = 2;

int ka_boot(bool big, char *err, size_t errlen)
{
	struct kmach_layout l;

	if (big)
		kmach_layout_big(&l);
	else
		kmach_layout_small(&l);
	memset(&ka, 0, sizeof(ka));
#ifdef HVO_K_FOLIO_API
	ka.tree_api = "folio (6.12)";
#else
	ka.tree_api = "page (6.1)";
#endif
#ifdef HVO_K_MEMMAP_ACCT
	ka.has_memmap_acct = true;
#endif
	if (kmach_create(&l, err, errlen))
		return -1;
	atomic_set(&hugetlb_optimize_vmemmap_key.enabled, 0);
	/* hugetlb_free_vmemmap=on, then the file's late_initcall */
	*hvo_k_param_hugetlb_free_vmemmap = true;
	hvo_k_late_initcall();
	if (!kmach.sysctl) {
		snprintf(err, errlen, "the file's initcall registered no vm.hugetlb_optimize_vmemmap sysctl");
		kmach_destroy();
		return -1;
	}
	return 0;
}

void ka_shutdown(void)
{
	kmach_destroy();
}

struct hstate *ka_hstate(unsigned order)
{
	for (unsigned i = 0; i < hugetlb_max_hstate; i++)
		if (hstates[i].order == order)
			return &hstates[i];
	return NULL;
}

unsigned ka_live(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ka.nr_folios; i++)
		n += ka.folios[i].live;
	return n;
}

struct kfolio *ka_select(uint32_t f)
{
	unsigned n = ka_live(), k;

	if (!n)
		return NULL;
	k = f % n;
	for (unsigned i = 0; i < ka.nr_folios; i++)
		if (ka.folios[i].live && k-- == 0)
			return &ka.folios[i];
	return NULL;
}

void ka_set_enabled(bool on)
{
	/* the write /proc/sys/vm/hugetlb_optimize_vmemmap does (proc_dobool) */
	for (size_t i = 0; i < kmach.nr_sysctl; i++)
		if (kmach.sysctl[i].procname && !strcmp(kmach.sysctl[i].procname, "hugetlb_optimize_vmemmap"))
			*(bool *)kmach.sysctl[i].data = on;
}

/* ---------------------------------------------------------------- prep */

static unsigned long nodezone_flags(void)
{
	return (0UL << KG_NODE_SHIFT) | (KG_ZONE_NORMAL << KG_ZONE_SHIFT);
}

/* The words a plain tail and a free page share: node/zone flags, the
 * mapping given, index and private 0, _mapcount -1, _refcount 0. */
static void set_page_words(struct page *p, void *mapping)
{
	p->flags = nodezone_flags();
	p->mapping = mapping;
	p->index = 0;
	p->private = 0;
	atomic_set(&p->_mapcount, -1);
	atomic_set(&p->_refcount, 0);
	p->memcg_data = 0;
}

/* prep_compound_page / prep_compound_gigantic_folio + init_new_hugetlb_folio
 * of the tree: head typed hugetlb, frozen (refcount 0) in the pool; tails
 * with compound_head = head | 1 and TAIL_MAPPING. */
static void prep_folio(uint64_t pfn, unsigned order)
{
	struct page *head = pfn_to_page(pfn);
	struct folio *folio = (struct folio *)head;
	unsigned long n = 1UL << order;

	for (unsigned long i = 1; i < n; i++) {
		struct page *p = head + i;

		set_page_words(p, TAIL_MAPPING);
		WRITE_ONCE(p->compound_head, (unsigned long)head | 1);
	}
	head->flags = nodezone_flags() | BIT(PG_head);
	head->mapping = NULL;
	head->index = 0;
	head->private = 0;
	head->page_type = PGTY_hugetlb << 24;
	atomic_set(&head->_refcount, 0);
	head->memcg_data = 0;
	INIT_LIST_HEAD(&head->lru);
#ifdef HVO_K_FOLIO_API
	/* 6.12 prep_compound_head: the folio fields of page[1] and page[2] */
	folio->_flags_1 = (folio->_flags_1 & ~0xffUL) | order;
	atomic_set(&folio->_large_mapcount, -1);
	atomic_set(&folio->_entire_mapcount, -1);
	atomic_set(&folio->_nr_pages_mapped, 0);
	atomic_set(&folio->_pincount, 0);
	folio->_folio_nr_pages = (unsigned int)n;
	INIT_LIST_HEAD(&folio->_deferred_list);
	/* hugetlb_set_folio_subpool(NULL), no cgroup, no hwpoison: page[3] */
	folio->_hugetlb_subpool = NULL;
	folio->_hugetlb_cgroup = NULL;
	folio->_hugetlb_cgroup_rsvd = NULL;
	folio->_hugetlb_hwpoison = NULL;
#else
	/* 6.1 prep_compound_head: compound_dtor/order in page[1], the
	 * compound and pin counts; the hugetlb subpage fields live in the
	 * private words of page[1..] (NULL here) */
	folio->_flags_1 = (folio->_flags_1 & ~0xffffUL) | (order << 8) | 2 /* HUGETLB_PAGE_DTOR */;
	atomic_set(&folio->_large_mapcount, -1);
	atomic_set(&folio->_entire_mapcount, 0);
	atomic_set(&folio->_nr_pages_mapped, 0);
	folio->_folio_nr_pages = (unsigned int)n;
#endif
}

/* only_alloc_fresh_hugetlb_folio and its prep: a new folio, not optimized. */
static int alloc_prepped(unsigned order, struct kfolio **out)
{
	int64_t pfn;

	*out = NULL;
	if (!ka_hstate(order))
		return -EINVAL;
	if (ka.nr_folios == KA_MAX_FOLIOS || kmach_should_fail(KS_HUGETLB_FOLIO))
		return -ENOMEM;
	pfn = kmach_alloc_huge(order);
	if (pfn < 0)
		return -ENOMEM;
	prep_folio((uint64_t)pfn, order);
	struct kfolio *f = &ka.folios[ka.nr_folios];
	*f = (struct kfolio){ .id = (int32_t)ka.nr_folios, .pfn = (uint64_t)pfn, .order = order, .live = true };
	ka.nr_folios++;
	*out = f;
	return 0;
}

int ka_alloc(unsigned order, struct kfolio **out, void (*before_optimize)(const struct kfolio *))
{
	int rc = alloc_prepped(order, out);

	if (rc)
		return rc;
	if (before_optimize)
		before_optimize(*out);
	/* alloc_fresh_hugetlb_folio: the single entry point (6.12
	 * hugetlb_vmemmap_optimize_folio, 6.1 prep_new_huge_page's
	 * hugetlb_vmemmap_optimize); the pool's bulk growth is alloc_batch */
	return ka_optimize(*out);
}

int ka_alloc_batch(unsigned order, unsigned n)
{
	struct kfolio *fs[16];
	unsigned got = 0;

	/* alloc_pool_huge_folios: allocate and prep, then one batch */
	while (got < n && got < 16 && alloc_prepped(order, &fs[got]) == 0)
		got++;
	if (got)
		ka_optimize_batch(fs, got);
	return (int)got;
}

int ka_optimize(struct kfolio *f)
{
	struct hstate *h = ka_hstate(f->order);

	kmach.cur_site = KS_HEAD_COPY;
#ifdef HVO_K_FOLIO_API
	hugetlb_vmemmap_optimize_folio(h, ka_folio(f));
#else
	/* 6.1's entry point trusts its caller: hugetlb.c only hands it fresh
	 * folios (prep_new_huge_page), never an optimized one */
	if (!HPageVmemmapOptimized(&ka_folio(f)->page))
		hugetlb_vmemmap_optimize(h, &ka_folio(f)->page);
#endif
	return 0;
}

int ka_restore(struct kfolio *f)
{
	struct hstate *h = ka_hstate(f->order);

	kmach.cur_site = KS_RESTORE_PAGE;
#ifdef HVO_K_FOLIO_API
	return hugetlb_vmemmap_restore_folio(h, ka_folio(f));
#else
	return hugetlb_vmemmap_restore(h, &ka_folio(f)->page);
#endif
}

/* A batch of one hstate, linked through folio->lru as hugetlb.c does;
 * folios of another order than the first are done one by one. */
int ka_optimize_batch(struct kfolio **fs, unsigned n)
{
#ifdef HVO_K_BATCH_API
	LIST_HEAD(list);
	struct hstate *h = ka_hstate(fs[0]->order);

	for (unsigned i = 0; i < n; i++) {
		struct folio *folio = ka_folio(fs[i]);

		if (fs[i]->order != fs[0]->order) {
			ka_optimize(fs[i]);
			continue;
		}
		bool dup = false;
		for (unsigned j = 0; j < i; j++)
			dup |= fs[j] == fs[i];
		if (!dup)
			list_add_tail(&folio->lru, &list);
	}
	kmach.cur_site = KS_HEAD_COPY;
	hugetlb_vmemmap_optimize_folios(h, &list);
	/* off the list again: a pool folio's lru is its own */
	while (!list_empty(&list)) {
		struct folio *folio = list_first_entry(&list, struct folio, lru);

		list_del(&folio->lru);
		INIT_LIST_HEAD(&folio->lru);
	}
	return 0;
#else
	for (unsigned i = 0; i < n; i++)
		ka_optimize(fs[i]);
	return 0;
#endif
}

int ka_restore_batch(struct kfolio **fs, unsigned n)
{
#ifdef HVO_K_BATCH_API
	LIST_HEAD(list);
	LIST_HEAD(done);
	struct hstate *h = ka_hstate(fs[0]->order);
	long ret;
	int rc = 0;

	for (unsigned i = 0; i < n; i++) {
		bool dup = false;

		if (fs[i]->order != fs[0]->order) {
			int r = ka_restore(fs[i]);
			rc = rc ? rc : r;
			continue;
		}
		for (unsigned j = 0; j < i; j++)
			dup |= fs[j] == fs[i];
		if (!dup)
			list_add_tail(&ka_folio(fs[i])->lru, &list);
	}
	kmach.cur_site = KS_RESTORE_PAGE;
	ret = hugetlb_vmemmap_restore_folios(h, &list, &done);
	list_splice_init(&list, &done);
	while (!list_empty(&done)) {
		struct folio *folio = list_first_entry(&done, struct folio, lru);

		list_del(&folio->lru);
		INIT_LIST_HEAD(&folio->lru);
	}
	/* hugetlb_vmemmap_restore_folios: the number restored, or the error */
	return rc ? rc : (int)ret;
#else
	/* 6.1 has no batch entry point: hugetlb.c restored one by one and
	 * counted, as the 6.12 batch returns */
	int rc = 0, restored = 0;

	for (unsigned i = 0; i < n; i++) {
		bool dup = false;

		for (unsigned j = 0; j < i; j++)
			dup |= fs[j] == fs[i];
		if (dup || !HPageVmemmapOptimized(&ka_folio(fs[i])->page))
			continue;
		int r = ka_restore(fs[i]);
		if (r) {
			rc = r;
			break;
		}
		restored++;
	}
	return rc ? rc : restored;
#endif
}

/* ------------------------------------------------------- free to buddy */

/* free_tail_page_prepare (6.12) / free_tail_pages_check (6.1)
 * [customised]: the reasons the kernel prints "Bad page state" for. */
static const char *tail_bad(struct page *head, struct page *p, unsigned long i)
{
#ifdef HVO_K_FOLIO_API
	const unsigned long plain_from = 4;   /* page[3]: hugetlb specifics */
#else
	const unsigned long plain_from = 3;
#endif
	if (i >= plain_from && p->mapping != TAIL_MAPPING)
		return "corrupted mapping in tail page";
	if (!PageTail(p))
		return "PageTail not set";
	if (compound_head(p) != head)
		return "compound_head not consistent";
	return NULL;
}

int ka_free(struct kfolio *f)
{
	int rc = ka_restore(f);
	struct page *head = &ka_folio(f)->page;
	unsigned long n = 1UL << f->order;

	if (rc)
		return rc;   /* the folio stays in the pool (add_hugetlb_folio) */
	/* the oracle looks at the restored folio before the buddy takes it
	 * (I8), as it does after a restore op */
	if (ka.after_restore)
		ka.after_restore();
	for (unsigned long i = 1; i < n; i++) {
		struct page *p = head + i;
		const char *why = tail_bad(head, p, i);

		if (why) {
			kmach_report("BAD_PAGE", f->pfn + i,
				     "BUG: Bad page state: pfn 0x%llx (folio 0x%llx + %lu) freed to buddy: %s",
				     (unsigned long long)(f->pfn + i), (unsigned long long)f->pfn, i, why);
			break;
		}
	}
	/* __folio_clear_hugetlb, then the buddy owns the frames: their struct
	 * pages become free pages again (free_pages_prepare clears them) */
	for (unsigned long i = 0; i < n; i++) {
		struct page *p = head + i;

		set_page_words(p, NULL);
		p->compound_head = 0;
		p->__pad_prev = 0;
	}
	kmach_free_huge(f->pfn, f->order);
	f->live = false;
	return 0;
}
