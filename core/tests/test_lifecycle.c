// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_lifecycle.c - the hugetlb.c lifecycle around HVO (issue 13, D7)
 * and finding M1: folio_put() decrements, and only the last put frees
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

int main(void)
{
	test_m1_walker_holds_last_reference(HVO_G2);
	test_m1_walker_holds_last_reference(HVO_G1);
	test_m1_last_put_frees();
	TESTS_DONE("test_lifecycle");
}
