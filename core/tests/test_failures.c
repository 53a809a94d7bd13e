// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_failures.c - every allocation call failing (architecture rule 7):
 * a scenario of 2 MiB-class folios is run once to count its failable
 * calls, then once per call with exactly that call failing, and with every
 * call from it on failing.  A 1 GiB scenario (thousands of calls, most of
 * them restore pages) fails at chosen calls of each site instead.  After
 * each op the checker must be clean: the error reported, the state rolled
 * back (I9), the counters right (I11).
 */
#include "internal.h"
#include "tests.h"

static void free_all(struct hvo_machine *m)
{
	int32_t live[64];
	unsigned k = hvo_folio_list(m, live, 64);

	for (unsigned i = 0; i < k; i++) {
		hvo_folio_free(m, live[i]);
		CHECK_CLEAN(m);
	}
}

static void scenario(struct hvo_machine *m)
{
	int32_t a = -1, b = -1, ids[4];
	int n;

	hvo_folio_alloc(m, 9, 0, HVO_ZONE_NORMAL, &a);
	CHECK_CLEAN(m);
	hvo_folio_alloc(m, 12, 0, HVO_ZONE_DMA32, &b);
	CHECK_CLEAN(m);
	n = hvo_folio_alloc_batch(m, 10, 1, -1, 4, ids);
	CHECK_CLEAN(m);
	if (a >= 0) {
		hvo_folio_restore(m, a);
		CHECK_CLEAN(m);
		hvo_folio_optimize(m, a);
		CHECK_CLEAN(m);
	}
	if (n > 1) {
		hvo_folios_restore(m, ids, (unsigned)n);
		CHECK_CLEAN(m);
		hvo_folios_optimize(m, ids, (unsigned)n);
		CHECK_CLEAN(m);
	}
	if (b >= 0) {
		hvo_folio_demote(m, b, 9);
		CHECK_CLEAN(m);
	}
	free_all(m);
}

/* 1 GiB: eight vmemmap PMDs, so a PTE-table failure past the first one
 * fails mid-walk; 4095 restore pages. */
static void gigantic(struct hvo_machine *m)
{
	int32_t b = -1;

	hvo_folio_alloc(m, 18, 0, HVO_ZONE_DMA32, &b);
	CHECK_CLEAN(m);
	if (b >= 0) {
		hvo_folio_restore(m, b);
		CHECK_CLEAN(m);
		hvo_folio_optimize(m, b);
		CHECK_CLEAN(m);
		hvo_folio_demote(m, b, 16);
		CHECK_CLEAN(m);
	}
	free_all(m);
}

/* The machine counts failable calls only for a hook: one that never fails. */
static bool never_fail(void *ctx, enum hvo_site site, uint64_t site_call, uint64_t call)
{
	(void)ctx, (void)site, (void)site_call, (void)call;
	return false;
}

static uint64_t count_calls(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	uint64_t calls;

	hvo_config_default(&c);
	c.fail = never_fail;
	m = tests_machine(&c);
	scenario(m);
	calls = m->fail_calls;
	hvo_machine_destroy(m);
	return calls;
}

static void run_failing(void (*fn)(struct hvo_machine *m), int site, uint64_t nth, uint32_t repeat)
{
	struct hvo_fail_policy fp = { .nr_rules = 1, .rules = { { site, (uint32_t)nth, repeat } }, .budget = -1 };
	struct hvo_config c;
	struct hvo_machine *m;
	char err[HVO_ERR_LEN];
	int rc;

	hvo_config_default(&c);
	c.fail = hvo_fail_policy_hook;
	c.fail_ctx = &fp;
	rc = hvo_machine_create(&c, &m, err, sizeof(err));
	if (rc) {
		/* boot allocator failure: a clear refusal, not a crash */
		CHECK_EQ(rc, -HVO_ENOMEM);
		CHECK(strstr(err, "boot allocator") != NULL);
		return;
	}
	fn(m);
	hvo_machine_destroy(m);
}

/* Each named site of the HugeTLB path on its own: the op reports it and
 * nothing changes (dax_vmemmap is G3 hot-add only: test_dax covers it). */
static void test_each_site(void)
{
	for (int site = 0; site < HVO_SITE_DAX_VMEMMAP; site++) {
		struct hvo_fail_policy fp = { .nr_rules = 1, .rules = { { site, 1, 0 } }, .budget = -1 };
		struct hvo_config c;
		struct hvo_machine *m;
		char err[HVO_ERR_LEN];
		struct hvo_counters k0, k;
		int32_t id;
		int rc;

		hvo_config_default(&c);
		c.fail = hvo_fail_policy_hook;
		c.fail_ctx = &fp;
		rc = hvo_machine_create(&c, &m, err, sizeof(err));
		if (site == HVO_SITE_MEMBLOCK) {
			CHECK_EQ(rc, -HVO_ENOMEM);
			continue;
		}
		CHECK(rc == 0);
		hvo_counters(m, &k0);
		rc = hvo_folio_alloc(m, 9, 0, -1, &id);
		if (site == HVO_SITE_HUGETLB_FOLIO) {
			CHECK_EQ(rc, -HVO_ENOMEM);
			CHECK_EQ(hvo_folio_count(m), 0);
		} else if (site == HVO_SITE_RESTORE_PAGE) {
			CHECK(rc == 0);
			CHECK_EQ(hvo_folio_restore(m, id), -HVO_ENOMEM);
			CHECK_EQ(hvo_folio_free(m, id), -HVO_ENOMEM);
		} else {
			struct hvo_folio_info fi;

			CHECK(rc == 0);
			hvo_folio_info(m, id, &fi);
			CHECK(!fi.optimized);
			hvo_counters(m, &k);
			CHECK_EQ(k.memmap_pages, k0.memmap_pages);
			CHECK_EQ(k.memmap_boot_pages, k0.memmap_boot_pages);
			hvo_set_enabled(m, true);
			CHECK(hvo_folio_optimize(m, id) < 0);
		}
		CHECK_CLEAN(m);
		hvo_machine_destroy(m);
	}
}

/* A failed PMD install mid-walk (the second of a 1 GiB folio's eight)
 * after 512 slots were remapped: -EAGAIN, the table freed (no page
 * leaked: I11 and the allocator's conservation), the first 512 slots
 * rolled back (I9), the folio not optimized, its vmemmap still splittable:
 * the next optimize succeeds. */
static void test_pmd_populate_rollback(void)
{
	struct hvo_fail_policy fp = { .nr_rules = 1, .rules = { { HVO_SITE_PMD_POPULATE, 2, 1 } }, .budget = -1 };
	struct hvo_folio_info fi;
	struct hvo_config c;
	struct hvo_machine *m;
	int32_t id;

	hvo_config_default(&c);
	c.fail = hvo_fail_policy_hook;
	c.fail_ctx = &fp;
	m = tests_machine(&c);
	CHECK_EQ(hvo_folio_alloc(m, 18, 0, HVO_ZONE_DMA32, &id), 0);
	CHECK_EQ(m->site_calls[HVO_SITE_PMD_POPULATE], 2);
	CHECK(hvo_folio_info(m, id, &fi) == 0 && !fi.optimized);
	CHECK_CLEAN(m);
	CHECK_EQ(hvo_folio_optimize(m, id), 0);
	CHECK(hvo_folio_info(m, id, &fi) == 0 && fi.optimized);
	CHECK_CLEAN(m);
	free_all(m);
	hvo_machine_destroy(m);
}

int main(void)
{
	uint64_t calls = count_calls();

	CHECK(calls > 100);
	test_each_site();
	for (uint64_t n = 1; n <= calls + 1; n++) {
		run_failing(scenario, -1, n, 1);
		if (n % 7 == 0)
			run_failing(scenario, -1, n, 0);
	}
	for (uint32_t k = 1; k <= 9; k++)
		run_failing(gigantic, HVO_SITE_PTE_TABLE, k, 1);
	run_failing(gigantic, HVO_SITE_HEAD_COPY, 1, 1);
	run_failing(gigantic, HVO_SITE_SHARED_TAIL, 1, 1);
	run_failing(gigantic, HVO_SITE_RESTORE_PAGE, 4095, 1);
	/* linux-mm's PMD install (D8): the first split of a walk fails clean,
	 * a later one rolls back the PMDs remapped before it */
	for (uint32_t k = 1; k <= 9; k++)
		run_failing(gigantic, HVO_SITE_PMD_POPULATE, k, 1);
	test_pmd_populate_rollback();
	run_failing(gigantic, HVO_SITE_PTE_UPDATE, 513, 1);
	run_failing(gigantic, HVO_SITE_PTE_UPDATE, 4096, 2);
	printf("test_failures: scenario has %llu failable calls\n", (unsigned long long)calls);
	TESTS_DONE("test_failures");
}
