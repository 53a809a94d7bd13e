// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_equiv.c - hvo_compare_visible: G1 and G2 machines given the same
 * calls agree after every one of them, and a difference a kernel could see
 * (a reference, the HVO switch, a freed folio) is reported, so the
 * comparison the differential fuzz target relies on can fail.
 */
#include "tests.h"

static struct hvo_machine *gen_machine(enum hvo_gen gen)
{
	struct hvo_config c;

	hvo_config_default(&c);
	c.gen = gen;
	return tests_machine(&c);
}

#define SAME(a, b) do { \
	char _d[HVO_ERR_LEN]; \
	int _r = hvo_compare_visible(a, b, _d, sizeof(_d)); \
	CHECK_EQ(_r, 0); \
	if (_r) fprintf(stderr, "  diff: %s\n", _d); \
} while (0)

static void expect_diff(struct hvo_machine *a, struct hvo_machine *b, const char *word)
{
	char d[HVO_ERR_LEN] = "";

	CHECK_EQ(hvo_compare_visible(a, b, d, sizeof(d)), 1);
	CHECK(strstr(d, word) != NULL);
	fprintf(stderr, "reported: %s\n", d);
}

int main(void)
{
	struct hvo_machine *m[2] = { gen_machine(HVO_G1), gen_machine(HVO_G2) };
	int32_t ids[2][4];

	/* the same calls, compared after each: alloc (optimized), a batch, get/put,
	 * restore, demote (restore + batch), free */
	for (int k = 0; k < 2; k++)
		CHECK_EQ(hvo_folio_alloc(m[k], 9, 0, HVO_ZONE_NORMAL, &ids[k][0]), 0);
	SAME(m[0], m[1]);
	for (int k = 0; k < 2; k++)
		CHECK_EQ(hvo_folio_alloc_batch(m[k], 12, 1, -1, 2, &ids[k][1]), 2);
	SAME(m[0], m[1]);
	for (int k = 0; k < 2; k++)
		CHECK_EQ(hvo_folio_get(m[k], ids[k][1]), 0);
	SAME(m[0], m[1]);
	for (int k = 0; k < 2; k++)
		CHECK_EQ(hvo_folio_restore(m[k], ids[k][0]), 0);
	SAME(m[0], m[1]);
	for (int k = 0; k < 2; k++)
		CHECK_EQ(hvo_folio_demote(m[k], ids[k][2], 10), 0);
	SAME(m[0], m[1]);
	for (int k = 0; k < 2; k++) {
		CHECK_EQ(hvo_folio_free(m[k], ids[k][0]), 0);
		CHECK_CLEAN(m[k]);
	}
	SAME(m[0], m[1]);

	/* differences a kernel would see */
	CHECK_EQ(hvo_folio_put(m[0], ids[0][1]), 0);
	expect_diff(m[0], m[1], "state");
	CHECK_EQ(hvo_folio_put(m[1], ids[1][1]), 0);
	SAME(m[0], m[1]);
	hvo_set_enabled(m[1], false);
	expect_diff(m[0], m[1], "hugetlb_optimize_vmemmap");
	hvo_set_enabled(m[1], true);
	CHECK_EQ(hvo_folio_restore(m[1], ids[1][1]), 0);
	expect_diff(m[0], m[1], "memmap");  /* the restored side holds N - 1 more pages */
	CHECK_EQ(hvo_folio_restore(m[0], ids[0][1]), 0);
	SAME(m[0], m[1]);
	CHECK_EQ(hvo_folio_free(m[0], ids[0][1]), 0);
	expect_diff(m[0], m[1], "live");
	for (int k = 0; k < 2; k++) {
		CHECK_CLEAN(m[k]);
		hvo_machine_destroy(m[k]);
	}
	TESTS_DONE("test_equiv");
}
