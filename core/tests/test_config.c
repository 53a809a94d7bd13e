// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_config.c - bad input gets a clear error, never a crash: configs the
 * model cannot represent and API calls out of range.
 */
#include "tests.h"

static void refused(struct hvo_config *c, const char *needle)
{
	struct hvo_machine *m = NULL;
	char err[HVO_ERR_LEN] = "";

	CHECK_EQ(hvo_machine_create(c, &m, err, sizeof(err)), -HVO_EINVAL);
	CHECK(m == NULL);
	CHECK(strstr(err, needle) != NULL);
	if (!strstr(err, needle))
		fprintf(stderr, "  error was: %s (wanted %s)\n", err, needle);
}

int main(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	int32_t id;

	hvo_config_default(&c); c.page_shift = 13; refused(&c, "page shift");
	hvo_config_default(&c); c.struct_page_size = 63; refused(&c, "struct page size");
	hvo_config_default(&c); c.nr_nodes = 0; refused(&c, "nodes");
	hvo_config_default(&c); c.nr_nodes = HVO_MAX_NODES + 1; refused(&c, "nodes");
	hvo_config_default(&c); c.node[1].start_pfn = c.node[0].start_pfn; refused(&c, "overlaps");
	hvo_config_default(&c); c.node[0].nr_pages = 100; refused(&c, "section");
	hvo_config_default(&c); c.node[0].nr_pages = 0; refused(&c, "non-empty");
	hvo_config_default(&c); c.node[1].movable_start_pfn = 1; refused(&c, "movable_start");
	hvo_config_default(&c); c.node[0].movable_only = c.node[1].movable_only = true; refused(&c, "movable-only");
	/* kernelcore=mirror ranges (issue 13 D11); node 1 is 5..7 GiB, movable from 6 GiB */
	hvo_config_default(&c); c.node[1].nr_mirror = 1;
	c.node[1].mirror[0] = (struct hvo_pfn_range){ c.node[1].start_pfn, 0x8000 }; refused(&c, "no movable_start");
	hvo_config_default(&c); c.node[1].movable_start_pfn = 0; c.node[1].nr_mirror = 1;
	c.node[1].mirror[0] = (struct hvo_pfn_range){ c.node[1].start_pfn + 1, 0x8000 }; refused(&c, "section aligned");
	hvo_config_default(&c); c.node[1].movable_start_pfn = 0; c.node[1].nr_mirror = 1;
	c.node[1].mirror[0] = (struct hvo_pfn_range){ c.node[1].start_pfn + 0x78000, 0x10000 }; refused(&c, "inside the node");
	hvo_config_default(&c); c.node[1].movable_start_pfn = 0; c.node[1].nr_mirror = 2;
	c.node[1].mirror[0] = (struct hvo_pfn_range){ c.node[1].start_pfn, 0x10000 };
	c.node[1].mirror[1] = (struct hvo_pfn_range){ c.node[1].start_pfn + 0x8000, 0x8000 }; refused(&c, "above the range");
	hvo_config_default(&c); c.node[1].movable_start_pfn = 0; c.node[1].nr_mirror = 1;
	c.node[1].mirror[0] = (struct hvo_pfn_range){ c.node[1].start_pfn + 0x8000, 0x8000 }; refused(&c, "first section");
	hvo_config_default(&c); c.node[1].movable_start_pfn = 0; c.node[1].nr_mirror = HVO_MAX_MIRROR + 1;
	refused(&c, "at most");
	hvo_config_default(&c); c.node[0].nr_pages = 0x40000; c.node[1].start_pfn = 0x100000;
	c.node[1].movable_start_pfn = 0; c.node[0].nr_mirror = 1;
	c.node[0].mirror[0] = (struct hvo_pfn_range){ c.node[0].start_pfn, 0x8000 }; refused(&c, "at or above 4 GiB");
	hvo_config_default(&c); c.node[1].start_pfn = 1ull << 40; refused(&c, "64 TiB");
	hvo_config_default(&c); c.vmemmap_base = 0xffffea0000000123ull; refused(&c, "page aligned");
	hvo_config_default(&c); c.vmemmap_base = 0xffffea0000001000ull; refused(&c, "I16");
	hvo_config_default(&c); c.vmemmap_base = 0xfffffffffff00000ull; refused(&c, "wrap");
	hvo_config_default(&c); c.gen = (enum hvo_gen)7; refused(&c, "generation");
	hvo_config_default(&c); c.mutants = 1ull << HVO_NR_MUTANTS; refused(&c, "mutant");   /* past the catalogue */

	/* B19 lifts the I16 refusal: that is its point */
	hvo_config_default(&c);
	c.vmemmap_base = 0xffffea0000001000ull;
	c.mutants = 1ull << HVO_MUT_B19;
	m = tests_machine(&c);
	hvo_machine_destroy(m);

	hvo_config_default(&c);
	m = tests_machine(&c);
	CHECK_EQ(hvo_folio_alloc(m, 1, 0, -1, &id), -HVO_EINVAL);
	CHECK_EQ(hvo_folio_alloc(m, 23, 0, -1, &id), -HVO_EINVAL);
	CHECK_EQ(hvo_folio_alloc(m, 9, 2, -1, &id), -HVO_EINVAL);
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, 7, &id), -HVO_EINVAL);
	CHECK_EQ(hvo_folio_alloc(m, 22, 0, -1, &id), -HVO_ENOMEM); /* 16 GiB: no room */
	CHECK_EQ(hvo_folio_optimize(m, 5), -HVO_ENOENT);
	CHECK_EQ(hvo_folio_free(m, -1), -HVO_ENOENT);
	CHECK_EQ(hvo_folio_demote(m, 0, 3), -HVO_ENOENT);
	CHECK(hvo_folio_alloc(m, 9, 0, -1, &id) == 0);
	CHECK_EQ(hvo_folio_demote(m, id, 9), -HVO_EINVAL);
	CHECK_EQ(hvo_folio_put(m, id), -HVO_EINVAL);
	CHECK(hvo_check(m) == 0);
	hvo_machine_destroy(m);
	TESTS_DONE("test_config");
}
