// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_shadow.c - the shadow's placement prediction (shadow.c): a folio
 * lies naturally aligned inside one zone of the node it was asked for,
 * recorded with that node and zone, shares no page with another folio,
 * and a demoted folio's pieces lie where the parent was.  Each case breaks
 * one rule in the machine's records and asks shadow_compare directly (the
 * folio checks would report the broken records first).
 */
#include "internal.h"
#include "tests.h"

static struct hvo_machine *two_nodes(int32_t *a, int32_t *b)
{
	struct hvo_config c;
	struct hvo_machine *m;

	hvo_config_default(&c);
	m = tests_machine(&c);
	CHECK_EQ(hvo_folio_alloc(m, 9, 1, HVO_ZONE_NORMAL, a), 0);
	CHECK_EQ(hvo_folio_alloc(m, 9, 1, HVO_ZONE_NORMAL, b), 0);
	CHECK_CLEAN(m);
	CHECK_EQ(shadow_compare(m), 0);
	return m;
}

static void expect_shadow(struct hvo_machine *m, const char *what)
{
	shadow_compare(m);  /* I0 returns 0: the violation says it */
	CHECK(hvo_violation(m) && hvo_violation(m)->inv == 0 && strstr(hvo_violation(m)->msg, what));
	if (hvo_violation(m) && !strstr(hvo_violation(m)->msg, what))
		fprintf(stderr, "  got: %s\n", hvo_violation(m)->msg);
	hvo_machine_destroy(m);
}

int main(void)
{
	struct hvo_machine *m;
	int32_t a, b;

	/* the model records another zone than its memory's */
	m = two_nodes(&a, &b);
	folio_at(m, (uint32_t)a)->zone = HVO_ZONE_MOVABLE;
	expect_shadow(m, "another node or zone");

	/* the folio lies on another node than the one asked for */
	m = two_nodes(&a, &b);
	folio_at(m, (uint32_t)a)->node = 0;
	expect_shadow(m, "another node or zone");

	/* two folios on one pfn */
	m = two_nodes(&a, &b);
	{
		uint64_t pfn = folio_at(m, (uint32_t)a)->pfn;

		/* b's records, the model's and the shadow's, name a's pfn */
		folio_at(m, (uint32_t)b)->pfn = pfn;
		shadow_add(m->shadow, b, pfn, 9, 1);
		shadow_set_optimized(m->shadow, b, true);
	}
	expect_shadow(m, "share pfn");

	/* a demote's pieces lie where the parent was; a clean demote passes */
	m = two_nodes(&a, &b);
	CHECK_EQ(hvo_folio_demote(m, a, 8), 0);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
	TESTS_DONE("test_shadow");
}
