// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_lockdep.c - each CPU's IRQ state and locks (core/src/lockdep.c) and
 * the two checks behind I22 (spec B15): hugetlb_lock taken with IRQs on,
 * and an interrupt freeing a hugetlb folio on a CPU that holds it.
 */
#include "internal.h"
#include "tests.h"

static struct hvo_machine *machine(uint64_t mutants)
{
	struct hvo_config c;

	hvo_config_default(&c);
	c.mutants = mutants;
	return tests_machine(&c);
}

static bool viol_says(const struct hvo_machine *m, int inv, const char *text)
{
	const struct hvo_violation *v = hvo_violation(m);

	return v && v->inv == inv && strstr(v->msg, text);
}

/* The model's hugetlb_lock is spin_lock_irq: IRQs off while held, an
 * interrupt then is not delivered; after the unlock it is, and is clean. */
static void test_irq_form(void)
{
	struct hvo_machine *m = machine(0);

	mlock(m, HVO_LOCK_HUGETLB);
	CHECK_EQ(m->ld_cpu[0].irq_off, 1);
	CHECK_EQ(hvo_irq_free_huge_folio(m), 1);
	munlock(m, HVO_LOCK_HUGETLB);
	CHECK_EQ(m->ld_cpu[0].irq_off, 0);
	CHECK_EQ(m->ld_cpu[0].held, 0);
	CHECK_EQ(hvo_irq_free_huge_folio(m), 0);
	CHECK(!hvo_violation(m));
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* lockdep's rule: the plain spin_lock with IRQs on is I22 at once. */
static void test_rule(void)
{
	struct hvo_machine *m = machine(0);

	spin_lock(m, HVO_LOCK_HUGETLB);
	CHECK(viol_says(m, 22, "IRQs enabled"));
	spin_unlock(m, HVO_LOCK_HUGETLB);
	CHECK_EQ(m->ld_cpu[0].irq_off, 0);
	hvo_machine_destroy(m);

	/* page_table_lock is not IRQ-safe: a plain spin_lock is right */
	m = machine(0);
	spin_lock(m, HVO_LOCK_PAGE_TABLE);
	CHECK(!hvo_violation(m));
	CHECK_EQ(hvo_irq_free_huge_folio(m), 0);
	CHECK(!hvo_violation(m));
	spin_unlock(m, HVO_LOCK_PAGE_TABLE);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* The interrupt alone: taken with IRQs off (no rule), then IRQs back on
 * while it is held; the interrupt's free spins on it: self-deadlock. */
static void test_interrupt_deadlock(void)
{
	struct hvo_machine *m = machine(0);

	local_irq_disable(m);
	spin_lock(m, HVO_LOCK_HUGETLB);
	CHECK(!hvo_violation(m));
	local_irq_enable(m);
	CHECK_EQ(hvo_irq_free_huge_folio(m), -HVO_EBUSY);
	CHECK(viol_says(m, 22, "self-deadlock"));
	spin_unlock(m, HVO_LOCK_HUGETLB);
	hvo_machine_destroy(m);
}

/* B15: the first optimize of an order publishes its tail under the plain
 * lock (I22); the baseline's cmpxchg takes none.  Every path leaves the
 * CPU's IRQ state and held locks balanced. */
static void test_b15(void)
{
	for (int mu = 0; mu < 2; mu++) {
		struct hvo_machine *m = machine(mu ? 1ull << HVO_MUT_B15 : 0);
		int32_t id;

		CHECK_EQ(hvo_folio_alloc(m, 9, 0, -1, &id), 0);
		CHECK_EQ(hvo_folio_restore(m, id), 0);
		CHECK_EQ(hvo_folio_optimize(m, id), 0);
		CHECK_EQ(hvo_folio_get(m, id), 0);
		CHECK_EQ(hvo_folio_put(m, id), 0);
		CHECK_EQ(hvo_folio_free(m, id), 0);
		CHECK_EQ(m->ld_cpu[0].irq_off, 0);
		CHECK_EQ(m->ld_cpu[0].held, 0);
		if (mu)
			CHECK(viol_says(m, 22, "IRQs enabled"));
		else
			CHECK_CLEAN(m);
		hvo_machine_destroy(m);
	}
}

/* The checker's I0: a CPU left with IRQs off (or a lock in lockdep's
 * record) at a quiescent point. */
static void test_quiescent_balance(void)
{
	struct hvo_machine *m = machine(0);

	CHECK_CLEAN(m);
	local_irq_disable(m);
	CHECK_EQ(hvo_check(m), 0);
	CHECK(viol_says(m, 0, "IRQs off"));
	hvo_machine_destroy(m);
}

int main(void)
{
	test_irq_form();
	test_rule();
	test_interrupt_deadlock();
	test_b15();
	test_quiescent_balance();
	TESTS_DONE("test_lockdep");
}
