// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_rcu_batch.c - G1's batch optimize clears VMEMMAP_SYNCHRONIZE_RCU
 * after the first folio of the batch whether or not that folio had work
 * (mm/hugetlb_vmemmap.c:hugetlb_vmemmap_optimize_folios@6.12.118: "only need
 * to synchronize_rcu() once for each batch"; issue 13 deviation D6).  A
 * batch whose first folio is skipped optimizes the rest with no grace
 * period: the window B1's readers need.  The model used to clear the flag
 * only after a grace period, which hid it.  Grace periods are counted at
 * the sync seam's rcu_sync point.
 */
#include "internal.h"
#include "tests.h"

static unsigned nr_sync;

static void count_sched(void *ctx, enum hvo_sync_point sp, const char *where)
{
	(void)ctx;
	(void)where;
	nr_sync += sp == HVO_SP_RCU_SYNC;
}

static const struct hvo_sync_ops ops = { .sched = count_sched };

static struct hvo_machine *g1_machine(void)
{
	struct hvo_config c;

	hvo_config_default(&c);
	c.gen = HVO_G1;
	c.sync = &ops;
	return tests_machine(&c);
}

/* ids[0] optimized, ids[1] restored: the batch skips the first. */
static void two_folios(struct hvo_machine *m, int32_t *ids)
{
	struct hvo_folio_info fi;

	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &ids[0]), 0);
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &ids[1]), 0);
	CHECK_EQ(hvo_folio_restore(m, ids[1]), 0);
	CHECK(hvo_folio_info(m, ids[0], &fi) == 0 && fi.optimized);
	CHECK(hvo_folio_info(m, ids[1], &fi) == 0 && !fi.optimized);
}

static void test_skipped_first_folio_no_grace_period(void)
{
	struct hvo_machine *m = g1_machine();
	struct hvo_folio_info fi;
	int32_t ids[2];

	two_folios(m, ids);
	nr_sync = 0;
	hvo_folios_optimize(m, ids, 2);
	CHECK(hvo_folio_info(m, ids[1], &fi) == 0 && fi.optimized);
	CHECK_EQ(nr_sync, 0);   /* 1 before D6: the model synchronized for ids[1] */
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* The same folios the other way round: the first has work, one grace
 * period covers the batch. */
static void test_first_folio_with_work_one_grace_period(void)
{
	struct hvo_machine *m = g1_machine();
	struct hvo_folio_info fi;
	int32_t ids[2], rev[2];

	two_folios(m, ids);
	rev[0] = ids[1];
	rev[1] = ids[0];
	nr_sync = 0;
	hvo_folios_optimize(m, rev, 2);
	CHECK(hvo_folio_info(m, ids[1], &fi) == 0 && fi.optimized);
	CHECK_EQ(nr_sync, 1);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

int main(void)
{
	test_skipped_first_folio_no_grace_period();
	test_first_folio_with_work_one_grace_period();
	TESTS_DONE("test_rcu_batch");
}
