// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_geometry.c - the constants of spec 1.4 and the vmemmap sizes of 1.5,
 * and the tail compound_info values of the mask encoding.
 */
#include "tests.h"

static void check_row(unsigned shift, unsigned min, unsigned max, unsigned nr, uint64_t align)
{
	struct hvo_geometry g;
	char err[HVO_ERR_LEN];

	CHECK(hvo_geometry_init(&g, shift, 64, err, sizeof(err)) == 0);
	CHECK_EQ(g.page_size, 1ull << shift);
	CHECK_EQ(g.reserve_pages, (1u << shift) / 64);
	CHECK_EQ(g.tail_min_order, min);
	CHECK_EQ(g.max_folio_order, max);
	CHECK_EQ(g.nr_vmemmap_tails, nr);
	CHECK_EQ(g.max_folio_vmemmap_align, align);
	CHECK(g.sps_pow2);
}

static void check_size(unsigned shift, unsigned order, uint64_t n, uint64_t freed)
{
	struct hvo_geometry g;
	char err[HVO_ERR_LEN];

	CHECK(hvo_geometry_init(&g, shift, 64, err, sizeof(err)) == 0);
	CHECK_EQ(hvo_geo_vmemmap_pages(&g, order), n);
	CHECK_EQ(hvo_geo_freed_pages(&g, order), freed);
	CHECK(hvo_geo_optimizable(&g, order) == (freed > 0));
}

int main(void)
{
	struct hvo_geometry g;
	char err[HVO_ERR_LEN];

	/* 1.4 worked values */
	check_row(12, 7, 22, 16, 256ull << 20);
	check_row(14, 9, 20, 12, 64ull << 20);
	check_row(16, 11, 18, 8, 16ull << 20);

	/* 1.5: x86-64 2 MiB and 1 GiB, arm64 sizes */
	check_size(12, 9, 8, 7);
	check_size(12, 18, 4096, 4095);
	check_size(12, 4, 0, 0);      /* 64 KiB cont-PTE: not optimizable */
	check_size(12, 13, 128, 127); /* 32 MiB cont-PMD */
	check_size(14, 7, 0, 0);      /* 16K: 2 MiB is half a page of struct pages */
	check_size(14, 11, 8, 7);
	check_size(14, 16, 256, 255);
	check_size(16, 5, 0, 0);
	check_size(16, 13, 8, 7);
	check_size(16, 18, 256, 255);

	/* mask encoding examples */
	hvo_geometry_init(&g, 12, 64, err, sizeof(err));
	CHECK_EQ(hvo_geo_tail_info(&g, 7), 0xFFFFFFFFFFFFE001ull);
	CHECK_EQ(hvo_geo_tail_info(&g, 9), 0xFFFFFFFFFFFF8001ull);
	CHECK_EQ(hvo_geo_tail_info(&g, 18), 0xFFFFFFFFFF000001ull);
	/* worked resolution of 1.4: tail pfn 0x100205 of the folio at 0x100200 */
	CHECK_EQ((0xffffea0000000000ull + 0x100205ull * 64) & hvo_geo_tail_info(&g, 9),
		 0xffffea0000000000ull + 0x100200ull * 64);

	/* a size that is not a power of two: no mask, no HVO */
	CHECK(hvo_geometry_init(&g, 12, 72, err, sizeof(err)) == 0);
	CHECK(!g.sps_pow2);
	CHECK_EQ(g.max_folio_vmemmap_align, 0);
	CHECK(!hvo_geo_optimizable(&g, 9));
	CHECK_EQ(hvo_geo_freed_pages(&g, 18), 0);

	/* refused geometries */
	CHECK(hvo_geometry_init(&g, 13, 64, err, sizeof(err)) == -HVO_EINVAL);
	CHECK(strstr(err, "page shift") != NULL);
	CHECK(hvo_geometry_init(&g, 12, 60, err, sizeof(err)) == -HVO_EINVAL);
	CHECK(hvo_geometry_init(&g, 12, 512, err, sizeof(err)) == -HVO_EINVAL);
	TESTS_DONE("test_geometry");
}
