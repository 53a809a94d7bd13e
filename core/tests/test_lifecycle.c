// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_lifecycle.c - the hugetlb.c lifecycle around HVO (issue 13, D7):
 * pool counters (I21), remove_hugetlb_folio's conditional type clear,
 * update_and_free_pages_bulk and its restore-error retry (K3), hwpoison,
 * batched demote (H3), freeing from free_hpage_workfn, the surplus in
 * use, and finding M1: folio_put() decrements, and only the last put frees
 * (include/linux/mm.h:folio_put -> mm/hugetlb.c:free_huge_folio).
 *
 * The racer runs at the sync seam, as the fuzzers' injection does: a
 * sched hook that fires at the n-th hit of a named point.
 */
#include "internal.h"
#include "tests.h"

static struct {
	struct hvo_machine *m;
	const char *where;      /* the point to fire at */
	unsigned hit, seen;     /* fire at the hit-th hit */
	void (*fn)(struct hvo_machine *m);
	bool fired;
} racer;

static void racer_sched(void *ctx, enum hvo_sync_point sp, const char *where)
{
	(void)ctx;
	(void)sp;
	if (racer.fired || !racer.where || strcmp(where, racer.where) || ++racer.seen != racer.hit)
		return;
	racer.fired = true;
	racer.fn(racer.m);
}

static const struct hvo_sync_ops racer_ops = { .sched = racer_sched };

static void arm(struct hvo_machine *m, const char *where, unsigned hit, void (*fn)(struct hvo_machine *))
{
	racer.m = m;
	racer.where = where;
	racer.hit = hit;
	racer.seen = 0;
	racer.fn = fn;
	racer.fired = false;
}

static struct hvo_machine *machine(enum hvo_gen gen)
{
	struct hvo_config c;

	hvo_config_default(&c);
	c.gen = gen;
	c.sync = &racer_ops;
	return tests_machine(&c);
}

/* ----------------------------------------------------------------- M1 */

static int32_t m1_id;
static int m1_state_after_put, m1_second_put, m1_restore;

/* The owner's put while the walker holds its speculative reference: not
 * the last, so the folio stays in use and off the free list. */
static void owner_put(struct hvo_machine *m)
{
	CHECK_EQ(hvo_folio_put(m, m1_id), 0);
	m1_state_after_put = hvo_folio_state(m, m1_id);
	m1_second_put = hvo_folio_put(m, m1_id);
	m1_restore = hvo_folio_restore(m, m1_id);
}

/* The minimized stream of finding M1 (reports/findings.md): the walker's
 * head get is the first hit of page_ref_add_unless, its put the second;
 * the owner puts in between.  The walker's put is then the last one and
 * frees the folio.  Before the fix: the owner's put stored 0 and moved the
 * folio to the pool, the walker's put took it to -1 (I13). */
static void test_m1_walker_holds_last_reference(enum hvo_gen gen)
{
	struct hvo_machine *m = machine(gen);
	struct hvo_folio_info fi;
	struct hvo_page_view v;

	CHECK_EQ(hvo_folio_alloc(m, 6, 0, -1, &m1_id), 0);
	CHECK_EQ(hvo_folio_get(m, m1_id), 0);
	CHECK_EQ(hvo_folio_info(m, m1_id, &fi), 0);
	arm(m, "page_ref_add_unless", 2, owner_put);
	CHECK_EQ(hvo_walk_pfn(m, fi.pfn + 16, &v), 0);
	CHECK(racer.fired);
	CHECK(v.got_ref);
	CHECK_EQ(m1_state_after_put, HVO_FOLIO_IN_USE);  /* the walker's reference keeps it */
	CHECK_EQ(m1_second_put, -HVO_EINVAL);            /* the owner has put already */
	CHECK_EQ(m1_restore, -HVO_EBUSY);                /* not in the pool yet */
	CHECK_EQ(hvo_folio_state(m, m1_id), HVO_FOLIO_FREE);  /* the walker's put freed it */
	CHECK_EQ(hvo_folio_info(m, m1_id, &fi), 0);
	CHECK_EQ(fi.refcount, 0);
	CHECK_CLEAN(m);
	/* back in the pool: usable again */
	CHECK_EQ(hvo_folio_restore(m, m1_id), 0);
	CHECK_EQ(hvo_folio_get(m, m1_id), 0);
	CHECK_EQ(hvo_folio_put(m, m1_id), 0);
	CHECK_EQ(hvo_folio_state(m, m1_id), HVO_FOLIO_FREE);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* With no walker the owner's put is the last and frees at once. */
static void test_m1_last_put_frees(void)
{
	struct hvo_machine *m = machine(HVO_G2);
	struct hvo_folio_info fi;
	int32_t id;

	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &id), 0);
	CHECK_EQ(hvo_folio_put(m, id), -HVO_EINVAL);  /* never taken into use */
	CHECK_EQ(hvo_folio_get(m, id), 0);
	CHECK_EQ(hvo_folio_info(m, id, &fi), 0);
	CHECK_EQ(fi.refcount, 1);
	CHECK_EQ(hvo_folio_put(m, id), 0);
	CHECK_EQ(hvo_folio_state(m, id), HVO_FOLIO_FREE);
	CHECK_EQ(hvo_folio_info(m, id, &fi), 0);
	CHECK_EQ(fi.refcount, 0);
	CHECK_EQ(hvo_folio_state(m, 12345), -HVO_ENOENT);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* ----------------------------------------------------------- D7 */

static uint64_t fail_from;  /* restore page allocations fail from this site call on (0: never) */

static bool fail_restore(void *ctx, enum hvo_site site, uint64_t site_call, uint64_t call)
{
	(void)ctx;
	(void)call;
	return site == HVO_SITE_RESTORE_PAGE && fail_from && site_call >= fail_from;
}

static struct hvo_machine *d7_machine(void)
{
	struct hvo_config c;

	hvo_config_default(&c);
	c.fail = fail_restore;
	fail_from = 0;
	return tests_machine(&c);
}

static bool typed_hugetlb(struct hvo_machine *m, int32_t id)
{
	struct hvo_folio_info fi;

	return !hvo_folio_info(m, id, &fi) && vm_read32(m, page_vaddr(m, fi.pfn) + PO_MAPCOUNT) == PAGE_TYPE_HUGETLB;
}

#define CHECK_POOL(m, node, n_, f_, s_) do { \
	CHECK_EQ((m)->hstate[node].nr, n_); \
	CHECK_EQ((m)->hstate[node].free, f_); \
	CHECK_EQ((m)->hstate[node].surplus, s_); \
} while (0)

/* The counters follow alloc, get, put, a refused free (surplus) and a
 * free; I21 catches a counter the folio table does not back. */
static void test_pool_counters(void)
{
	struct hvo_machine *m = d7_machine();
	int32_t a, b;

	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &a), 0);
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &b), 0);
	CHECK_POOL(m, 0, 2, 2, 0);
	CHECK_EQ(hvo_folio_get(m, a), 0);
	CHECK_POOL(m, 0, 2, 1, 0);
	CHECK_EQ(hvo_folio_put(m, a), 0);
	CHECK_POOL(m, 0, 2, 2, 0);
	/* the restore fails: remove_hugetlb_folio kept the type (optimized),
	 * add_hugetlb_folio puts it back as surplus */
	fail_from = 1;
	CHECK(hvo_folio_free(m, b) < 0);
	CHECK_EQ(hvo_folio_state(m, b), HVO_FOLIO_SURPLUS);
	CHECK(typed_hugetlb(m, b));
	CHECK_POOL(m, 0, 2, 2, 1);
	CHECK_CLEAN(m);
	fail_from = 0;
	CHECK_EQ(hvo_folio_free(m, b), 0);
	CHECK_POOL(m, 0, 1, 1, 0);
	CHECK_CLEAN(m);
	/* a counter the folio table does not back */
	m->hstate[0].free++;
	CHECK_EQ(hvo_check(m), 21);
	hvo_machine_destroy(m);
}

/* remove_hugetlb_folio clears the type of a folio that has its vmemmap
 * at once: a never-optimized folio is freed untyped. */
static void test_remove_clears_unoptimized(void)
{
	struct hvo_machine *m = d7_machine();
	struct hvo_folio_info fi;
	int32_t a;

	hvo_set_enabled(m, false);
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &a), 0);
	hvo_set_enabled(m, true);
	CHECK(hvo_folio_info(m, a, &fi) == 0 && !fi.optimized);
	fail_from = 1;  /* nothing to restore: the free cannot fail */
	CHECK_EQ(hvo_folio_free(m, a), 0);
	CHECK_POOL(m, 0, 0, 0, 0);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* update_and_free_pages_bulk: the first folio is restored, the second's
 * restore fails; bulk_vmemmap_restore_error frees the restored one and
 * retries; the retry restores nothing, so one by one: the second goes
 * back to the pool as surplus, still optimized and typed. */
static void test_bulk_restore_error(void)
{
	struct hvo_machine *m = d7_machine();
	struct hvo_folio_info fi;
	int32_t ids[3];

	for (int i = 0; i < 3; i++)
		CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &ids[i]), 0);
	fail_from = 8;  /* an order-9 restore takes 7 pages: the first folio gets them */
	CHECK_EQ(hvo_folios_free_bulk(m, ids, 2), 1);
	CHECK_EQ(hvo_folio_info(m, ids[0], &fi), -HVO_ENOENT);
	CHECK_EQ(hvo_folio_state(m, ids[1]), HVO_FOLIO_SURPLUS);
	CHECK(hvo_folio_info(m, ids[1], &fi) == 0 && fi.optimized);
	CHECK(typed_hugetlb(m, ids[1]));
	CHECK_POOL(m, 0, 2, 2, 1);
	CHECK_CLEAN(m);
	/* memory again: the surplus folio and the third go in one batch */
	fail_from = 0;
	CHECK_EQ(hvo_folios_free_bulk(m, ids + 1, 2), 2);
	CHECK_POOL(m, 0, 0, 0, 0);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* K3's list: an optimized folio whose restore fails, then one never
 * optimized.  The baseline frees the second without restoring it; the
 * tree as shipped (V6.12.118-bulk-warn) restores it and warns (I7). */
static void test_bulk_mixed_list(bool as_shipped)
{
	struct hvo_config c;
	struct hvo_machine *m;
	int32_t ids[2];

	hvo_config_default(&c);
	c.fail = fail_restore;
	if (as_shipped)
		c.mutants = 1ull << HVO_MUT_V612_BULK_WARN;
	fail_from = 0;
	m = tests_machine(&c);
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &ids[0]), 0);
	hvo_set_enabled(m, false);
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &ids[1]), 0);
	hvo_set_enabled(m, true);
	fail_from = 1;
	hvo_folios_free_bulk(m, ids, 2);
	if (as_shipped) {
		CHECK_EQ(hvo_check(m), 7);
	} else {
		CHECK_EQ(hvo_folio_state(m, ids[0]), HVO_FOLIO_SURPLUS);
		CHECK_EQ(hvo_folio_state(m, ids[1]), -HVO_ENOENT);
		CHECK_POOL(m, 0, 1, 1, 1);
		CHECK_CLEAN(m);
	}
	hvo_machine_destroy(m);
}

/* memory_failure's hugetlb path writes the head only; the free moves the
 * poison to the raw page after the restore (H2: before, I10). */
static void test_hwpoison(bool h2)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_folio_info fi;
	int32_t a;

	hvo_config_default(&c);
	if (h2)
		c.mutants = 1ull << HVO_MUT_H2;
	m = tests_machine(&c);
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &a), 0);
	CHECK_EQ(hvo_folio_info(m, a, &fi), 0);
	CHECK_EQ(hvo_memory_failure(m, a, 512), -HVO_EINVAL);
	CHECK_EQ(hvo_memory_failure(m, a, 500), 0);
	CHECK(vm_read64(m, page_vaddr(m, fi.pfn) + PO_FLAGS) >> PG_HWPOISON & 1);
	CHECK(!(vm_read64(m, page_vaddr(m, fi.pfn + 500) + PO_FLAGS) >> PG_HWPOISON & 1));
	CHECK_CLEAN(m);
	hvo_folio_free(m, a);
	if (h2) {
		CHECK_EQ(hvo_check(m), 10);
	} else {
		CHECK_EQ(hvo_folio_state(m, a), -HVO_ENOENT);
		CHECK_CLEAN(m);
	}
	hvo_machine_destroy(m);
}

/* demote_pool_huge_page over three folios: the batch restore brings back
 * the first (7 pages) and fails on the second; the first is split and
 * its halves optimized as one batch, the second and third (never
 * reached) go back to the pool, optimized.  H3 splits the second too:
 * its new heads land in read-only tails (I10). */
static void test_demote_batch(bool h3)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_folio_info fi;
	int32_t ids[3];

	hvo_config_default(&c);
	c.fail = fail_restore;
	if (h3)
		c.mutants = 1ull << HVO_MUT_H3;
	fail_from = 0;
	m = tests_machine(&c);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &ids[i]), 0);
	CHECK_EQ(hvo_memory_failure(m, ids[2], 3), 0);
	fail_from = 8;
	if (h3) {
		hvo_folios_demote(m, ids, 2, 8);
		CHECK_EQ(hvo_check(m), 10);
		hvo_machine_destroy(m);
		return;
	}
	/* a hwpoisoned folio is not demoted (demote_pool_huge_page skips it) */
	CHECK_EQ(hvo_folio_demote(m, ids[2], 8), -HVO_EBUSY);
	CHECK_EQ(hvo_folios_demote(m, ids, 3, 8), -HVO_ENOMEM);
	CHECK_EQ(hvo_folio_info(m, ids[0], &fi), -HVO_ENOENT);
	CHECK_EQ(hvo_folio_state(m, ids[1]), HVO_FOLIO_FREE);
	CHECK(hvo_folio_info(m, ids[1], &fi) == 0 && fi.optimized && fi.order == 9);
	CHECK(typed_hugetlb(m, ids[1]));
	CHECK_EQ(hvo_folio_count(m), 4u);   /* two halves, the second, the poisoned third */
	for (int32_t id = 3; id < 5; id++)
		CHECK(hvo_folio_info(m, id, &fi) == 0 && fi.order == 8 && fi.optimized && fi.state == HVO_FOLIO_FREE);
	CHECK_POOL(m, 0, 4, 4, 0);
	CHECK_CLEAN(m);
	fail_from = 0;
	CHECK_EQ(hvo_folios_demote(m, ids + 1, 2, 8), 1);
	CHECK_EQ(hvo_folio_count(m), 5u);
	CHECK_POOL(m, 0, 5, 5, 0);
	CHECK_EQ(hvo_folios_demote(m, ids + 2, 1, 8), -HVO_EBUSY);  /* nothing to demote */
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* A surplus folio (its free refused) taken into use stays surplus
 * (surplus_huge_pages counts in-use folios); the next put on the node
 * frees the folio put: remove_hugetlb_folio(h, folio, true), and an
 * optimized folio waits on hpage_freelist for free_hpage_workfn.  A check
 * in between sees it off the pool, optimized, typed hugetlb, so
 * memory_failure takes the hugetlb path.  The worker restores and frees;
 * a restore failure puts it back as surplus. */
static void test_worker_free(void)
{
	struct hvo_machine *m = d7_machine();
	struct hvo_folio_info fi;
	int32_t a, b, c;

	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &a), 0);
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &b), 0);
	fail_from = 1;
	CHECK(hvo_folio_free(m, b) < 0);
	fail_from = 0;
	CHECK_EQ(hvo_folio_state(m, b), HVO_FOLIO_SURPLUS);
	CHECK_EQ(hvo_folio_get(m, a), 0);
	CHECK_EQ(hvo_folio_get(m, b), 0);
	CHECK_POOL(m, 0, 2, 0, 1);          /* b is surplus in use */
	CHECK_CLEAN(m);
	/* a's put uses the node's surplus: a leaves the pool, b is persistent */
	CHECK_EQ(hvo_folio_put(m, a), 0);
	CHECK_EQ(hvo_folio_state(m, a), HVO_FOLIO_FREEING);
	CHECK(hvo_folio_info(m, a, &fi) == 0 && fi.optimized && fi.refcount == 0);
	CHECK(typed_hugetlb(m, a));
	CHECK_EQ(m->hpage_freelist, a + 1);
	CHECK_POOL(m, 0, 1, 0, 0);
	CHECK_CLEAN(m);
	CHECK_EQ(hvo_folio_get(m, a), -HVO_EBUSY);
	CHECK_EQ(hvo_memory_failure(m, a, 500), 0);   /* the hugetlb path: the head only */
	CHECK_CLEAN(m);
	CHECK_EQ(hvo_free_hpage_work(m), 1);
	CHECK_EQ(hvo_folio_state(m, a), -HVO_ENOENT);
	CHECK_EQ(m->hpage_freelist, 0);
	CHECK_EQ(hvo_free_hpage_work(m), 0);
	CHECK_CLEAN(m);
	/* no surplus left: b's put keeps it */
	CHECK_EQ(hvo_folio_put(m, b), 0);
	CHECK_EQ(hvo_folio_state(m, b), HVO_FOLIO_FREE);
	CHECK_POOL(m, 0, 1, 1, 0);
	CHECK_CLEAN(m);

	/* the worker's restore fails: back in the pool as surplus, typed */
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &c), 0);
	fail_from = 1;
	CHECK(hvo_folio_free(m, c) < 0);
	CHECK_EQ(hvo_folio_get(m, b), 0);
	CHECK_EQ(hvo_folio_put(m, b), 0);
	CHECK_EQ(hvo_folio_state(m, b), HVO_FOLIO_FREEING);
	CHECK_EQ(hvo_folio_state(m, c), HVO_FOLIO_FREE);  /* the charge b's put used */
	CHECK_EQ(hvo_free_hpage_work(m), 0);
	CHECK_EQ(hvo_folio_state(m, b), HVO_FOLIO_SURPLUS);
	CHECK(typed_hugetlb(m, b));
	CHECK_POOL(m, 0, 2, 2, 1);
	CHECK_CLEAN(m);
	fail_from = 0;

	/* a folio with its vmemmap is freed by the put itself */
	hvo_set_enabled(m, false);
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &a), 0);
	hvo_set_enabled(m, true);
	CHECK_EQ(hvo_folio_get(m, a), 0);
	CHECK_EQ(hvo_folio_put(m, a), 0);
	CHECK_EQ(hvo_folio_state(m, a), -HVO_ENOENT);
	CHECK_EQ(m->hpage_freelist, 0);
	CHECK_EQ(hvo_folio_state(m, b), HVO_FOLIO_FREE);  /* the charge a's put used */
	CHECK_POOL(m, 0, 2, 2, 0);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* D12: a freed compound page's struct pages as free_pages_prepare leaves
 * them: each tail's compound_head cleared (lru.next 0, where the model
 * once wrote __init_single_page's self-pointing lru) and mapping NULL,
 * its lru.prev kept; page[1] loses its order; the raw error page keeps
 * PG_hwpoison. */
static void test_freed_image(void)
{
	struct hvo_machine *m = d7_machine();
	struct hvo_folio_info fi;
	uint64_t t5, t1, h;
	int32_t a;

	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &a), 0);
	CHECK_EQ(hvo_folio_info(m, a, &fi), 0);
	CHECK_EQ(hvo_memory_failure(m, a, 300), 0);
	CHECK_EQ(hvo_folio_free(m, a), 0);
	h = page_vaddr(m, fi.pfn);
	t1 = page_vaddr(m, fi.pfn + 1);
	t5 = page_vaddr(m, fi.pfn + 5);
	CHECK_EQ(vm_read64(m, t5 + PO_INFO), 0);
	CHECK_EQ(vm_read64(m, t5 + PO_LRU_PREV), t5 + PO_INFO);
	CHECK_EQ(vm_read64(m, t5 + PO_MAPPING), 0);
	CHECK_EQ(vm_read64(m, t1 + PO_INFO), 0);
	CHECK_EQ(vm_read64(m, t1 + PO_FLAGS) & PAGE_FLAGS_SECOND, 0);
	CHECK_EQ(vm_read64(m, h + PO_FLAGS) >> PG_HEAD & 1, 0);
	CHECK_EQ(vm_read64(m, h + PO_MAPPING), 0);
	CHECK(vm_read64(m, page_vaddr(m, fi.pfn + 300) + PO_FLAGS) >> PG_HWPOISON & 1);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

int main(void)
{
	test_m1_walker_holds_last_reference(HVO_G2);
	test_m1_walker_holds_last_reference(HVO_G1);
	test_m1_last_put_frees();
	test_pool_counters();
	test_remove_clears_unoptimized();
	test_bulk_restore_error();
	test_bulk_mixed_list(false);
	test_bulk_mixed_list(true);
	test_hwpoison(false);
	test_hwpoison(true);
	test_demote_batch(false);
	test_demote_batch(true);
	test_worker_free();
	test_freed_image();
	TESTS_DONE("test_lifecycle");
}
