// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_dax.c - G3 device DAX (spec 2.10): per-address population, compound
 * pages below and above a section, shared tail references (I14), hot-add
 * failure midway, self-hosted vmemmap (I18), bad input and the ZONE_DEVICE
 * struct page image (D12).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dax.h"
#include "tests.h"

#define SEC 0x8000ull            /* pages per 128 MiB section at 4K */
#define DAX0 0x1000000ull        /* node 0's device range: 64 GiB, 4 GiB long */
#define DAX1 0x1100000ull        /* node 1's: 68 GiB, 2 GiB long */

static void g3_config(struct hvo_config *c)
{
	hvo_config_default(c);
	c->gen = HVO_G3;
	c->node[0].dax_start_pfn = DAX0;
	c->node[0].dax_nr_pages = 32 * SEC;
	c->node[1].dax_start_pfn = DAX1;
	c->node[1].dax_nr_pages = 16 * SEC;
}

static struct hvo_machine *g3_machine(void)
{
	struct hvo_config c;

	g3_config(&c);
	return tests_machine(&c);
}

static int64_t memmap(const struct hvo_machine *m)
{
	struct hvo_counters k;

	hvo_counters(m, &k);
	return k.memmap_pages;
}

static int add(struct hvo_machine *m, uint64_t pfn, uint64_t nr, unsigned order, unsigned node, unsigned flags,
	       int32_t *id)
{
	char err[HVO_ERR_LEN] = "";
	int rc = hvo_dax_add(m, pfn, nr, order, node, flags, id, err, sizeof(err));

	if (rc && rc != -HVO_EINVAL && rc != -HVO_ENOMEM)
		printf("  dax_add: %s\n", err);
	return rc;
}

/* Order 9 (2 MiB): 8 vmemmap pages per compound page, 1 kept, 7 on the tail. */
static void test_subsection_order(void)
{
	struct hvo_machine *m;
	struct hvo_dax_info info;
	int64_t before;
	int32_t id;

	m = g3_machine();
	before = memmap(m);
	CHECK_EQ(add(m, DAX0, 2 * SEC, 9, 0, 0, &id), 0);
	CHECK_EQ(hvo_dax_list(m, &info, 1), 1u);
	CHECK_EQ(info.vmemmap_pages, 2 * (SEC >> 9));
	CHECK_EQ(memmap(m) - before, (int64_t)(2 * (SEC >> 9)));
	CHECK_EQ(dax_tail_refcount(m, 0, 9), 1 + (int64_t)(2 * (SEC >> 9) * 7));
	CHECK(g2_tail_pfn(m, 0, HVO_ZONE_DEVICE, 9) != 0);
	CHECK_CLEAN(m);
	{
		struct hvo_page_view v;

		CHECK_EQ(hvo_walk_pfn(m, DAX0 + 512 + 300, &v), 0);
		CHECK_EQ(v.head_pfn, DAX0 + 512);
		CHECK(v.tail && !v.head && v.zone == HVO_ZONE_DEVICE && v.node == 0);
	}
	CHECK_EQ(hvo_dax_remove(m, id), 0);
	CHECK_EQ(memmap(m), before);
	CHECK_EQ(dax_tail_refcount(m, 0, 9), 1);
	CHECK_EQ(hvo_dax_list(m, &info, 1), 0u);
	CHECK_EQ(hvo_dax_remove(m, id), -HVO_ENOENT);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* 1 GiB compound pages over 128 MiB sections: every section after the
 * first of a compound page is all tails and accounts 0 pages. */
static void test_larger_than_section(void)
{
	struct hvo_machine *m;
	struct hvo_page_view v;
	int64_t before;
	int32_t id;

	m = g3_machine();
	before = memmap(m);
	CHECK_EQ(add(m, DAX1, 16 * SEC, 18, 1, 0, &id), 0);
	CHECK_EQ(memmap(m) - before, 2);
	CHECK_EQ(dax_section_vmemmap_pages(m, &m->dax->r[id], DAX1), 1u);
	CHECK_EQ(dax_section_vmemmap_pages(m, &m->dax->r[id], DAX1 + 3 * SEC), 0u);
	CHECK_EQ(dax_tail_refcount(m, 1, 18), 1 + 2 * 4095);
	CHECK_CLEAN(m);
	CHECK_EQ(hvo_walk_pfn(m, DAX1 + (1ull << 18) + 5 * SEC + 17, &v), 0);
	CHECK_EQ(v.head_pfn, DAX1 + (1ull << 18));
	CHECK_EQ(hvo_dax_remove(m, id), 0);
	CHECK_EQ(memmap(m), before);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* Two ranges share one (node, ZONE_DEVICE, order) tail; remove in between. */
static void test_interleaved(void)
{
	int64_t per = (int64_t)(SEC >> 9) * 7;
	struct hvo_machine *m;
	int32_t a, b, d;

	m = g3_machine();
	CHECK_EQ(add(m, DAX0, SEC, 9, 0, 0, &a), 0);
	CHECK_EQ(add(m, DAX0 + 4 * SEC, SEC, 9, 0, 0, &b), 0);
	CHECK_EQ(dax_tail_refcount(m, 0, 9), 1 + 2 * per);
	CHECK_EQ(hvo_dax_remove(m, a), 0);
	CHECK_EQ(dax_tail_refcount(m, 0, 9), 1 + per);
	CHECK_CLEAN(m);
	CHECK_EQ(add(m, DAX0, 2 * SEC, 9, 0, 0, &d), 0);
	CHECK_EQ(hvo_dax_remove(m, b), 0);
	CHECK_CLEAN(m);
	CHECK_EQ(hvo_dax_remove(m, d), 0);
	CHECK_EQ(dax_tail_refcount(m, 0, 9), 1);
	CHECK(g2_tail_pfn(m, 0, HVO_ZONE_DEVICE, 9) != 0);  /* published tails stay */
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* A failure in the second of three sections: all undone, counters unchanged. */
static void test_failure_midway(void)
{
	static const struct { int site; uint32_t nth; } cases[] = {
		{ HVO_SITE_DAX_VMEMMAP, SEC / 512 + 10 }, { HVO_SITE_SHARED_TAIL, 1 }, { HVO_SITE_PTE_TABLE, 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hvo_fail_policy fp = { .nr_rules = 1, .rules = { { cases[i].site, cases[i].nth, 1 } },
					      .budget = -1 };
		struct hvo_config c;
		struct hvo_machine *m;
		struct hvo_counters k0, k;
		int32_t id;

		g3_config(&c);
		m = tests_machine(&c);
		m->cfg.fail = hvo_fail_policy_hook;  /* after boot: only the hot-add sees it */
		m->cfg.fail_ctx = &fp;
		hvo_counters(m, &k0);
		CHECK_EQ(add(m, DAX0, 3 * SEC, 9, 0, 0, &id), -HVO_ENOMEM);
		hvo_counters(m, &k);
		CHECK_EQ(k.memmap_pages, k0.memmap_pages);
		CHECK_EQ(hvo_dax_list(m, NULL, 0), 0u);
		/* the tail, once published, keeps alloc_page()'s reference */
		CHECK_EQ(dax_tail_refcount(m, 0, 9), cases[i].site == HVO_SITE_SHARED_TAIL ? 0 : 1);
		CHECK_EQ(m->nr_pte_tables, 0u);
		CHECK_CLEAN(m);
		/* the same range goes in once the failure is gone */
		CHECK_EQ(add(m, DAX0, 3 * SEC, 9, 0, 0, &id), 0);
		CHECK_CLEAN(m);
		hvo_machine_destroy(m);
	}
}

/* Self-hosted vmemmap (altmap) and a non-power-of-two struct page: never optimized. */
static void test_not_optimized(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	int64_t before;
	int32_t id;

	g3_config(&c);
	m = tests_machine(&c);
	before = memmap(m);
	CHECK_EQ(add(m, DAX0, SEC, 9, 0, HVO_DAX_ALTMAP, &id), 0);
	CHECK_EQ(memmap(m) - before, (int64_t)(SEC * 64 / 4096));
	CHECK(g2_tail_pfn(m, 0, HVO_ZONE_DEVICE, 9) == 0);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);

	g3_config(&c);
	c.struct_page_size = 72;
	m = tests_machine(&c);
	CHECK_EQ(add(m, DAX0, SEC, 9, 0, 0, &id), 0);
	CHECK_CLEAN(m);
	CHECK_EQ(add(m, DAX0 + SEC, SEC, 0, 0, 0, &id), 0);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

static void refused(struct hvo_machine *m, uint64_t pfn, uint64_t nr, unsigned order, unsigned node,
		    unsigned flags, const char *needle)
{
	char err[HVO_ERR_LEN] = "";
	int32_t id;

	CHECK_EQ(hvo_dax_add(m, pfn, nr, order, node, flags, &id, err, sizeof(err)), -HVO_EINVAL);
	if (!strstr(err, needle)) {
		printf("  expected '%s' in: %s\n", needle, err);
		CHECK(0);
	}
}

static void config_refused(struct hvo_config *c, const char *needle)
{
	char err[HVO_ERR_LEN] = "";

	CHECK_EQ(hvo_config_validate(c, err, sizeof(err)), -HVO_EINVAL);
	if (!strstr(err, needle)) {
		printf("  expected '%s' in: %s\n", needle, err);
		CHECK(0);
	}
}

static void test_bad_input(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	int32_t id;

	hvo_config_default(&c);
	m = tests_machine(&c);
	refused(m, DAX0, SEC, 9, 0, 0, "G3");
	hvo_machine_destroy(m);

	g3_config(&c);
	m = tests_machine(&c);
	refused(m, DAX0 + 512, SEC, 9, 0, 0, "whole sections");
	refused(m, DAX0, SEC / 2, 9, 0, 0, "whole sections");
	refused(m, DAX0, 0, 9, 0, 0, "whole sections");
	refused(m, 0x100000, SEC, 9, 0, 0, "outside node 0's device range");  /* normal memory */
	refused(m, DAX1, SEC, 9, 0, 0, "outside node 0's device range");      /* node 1's device */
	refused(m, DAX0 + 31 * SEC, 2 * SEC, 9, 0, 0, "outside");
	refused(m, DAX0, SEC, 9, 5, 0, "node 5");
	refused(m, DAX0, SEC, 23, 0, 0, "MAX_FOLIO_ORDER");
	refused(m, DAX0, SEC, 18, 0, 0, "do not tile");
	refused(m, DAX0, SEC, 9, 0, 0x10, "flags");
	CHECK_EQ(add(m, DAX0, 2 * SEC, 9, 0, 0, &id), 0);
	refused(m, DAX0 + SEC, 2 * SEC, 9, 0, 0, "overlaps DAX range 0");
	CHECK_EQ(hvo_dax_remove(m, 7), -HVO_ENOENT);
	CHECK_EQ(hvo_dax_remove(m, -1), -HVO_ENOENT);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);

	hvo_config_default(&c);
	c.node[0].dax_start_pfn = DAX0;
	c.node[0].dax_nr_pages = SEC;
	config_refused(&c, "G3");
	g3_config(&c);
	c.node[1].dax_start_pfn = 0x1a0000;   /* node 1's memory */
	config_refused(&c, "overlaps the memory of node 1");
	g3_config(&c);
	c.node[1].dax_start_pfn = DAX0 + SEC;
	config_refused(&c, "overlaps the dax range of node");
	g3_config(&c);
	c.node[0].dax_nr_pages = SEC + 1;
	config_refused(&c, "multiples of the section size");
}

/* D12: ZONE_DEVICE struct pages carry pgmap in lru.next and
 * zone_device_data (NULL) in lru.prev; a private tail has compound_head
 * over its pgmap and __init_single_page's last_cpupid; the shared tail,
 * built on a zeroed page, has none. */
static void test_zone_device_image(void)
{
	const uint64_t cpupid = FLAGS_CPUPID_MASK << FLAGS_CPUPID_SHIFT;
	struct hvo_machine *m = g3_machine();
	uint64_t head = page_vaddr(m, DAX0 + 512), tail = page_vaddr(m, DAX0 + 512 + 3);
	uint64_t shared = page_vaddr(m, DAX0 + 512 + 300);
	int32_t id;

	CHECK_EQ(add(m, DAX0, 2 * SEC, 9, 0, 0, &id), 0);
	CHECK_EQ(vm_read64(m, head + PO_INFO), dax_pgmap(DAX0));
	CHECK_EQ(vm_read64(m, head + PO_LRU_PREV), 0);
	CHECK_EQ(vm_read64(m, head + PO_FLAGS) & cpupid, cpupid);
	CHECK_EQ(vm_read64(m, tail + PO_INFO) & 1, 1);
	CHECK_EQ(vm_read64(m, tail + PO_LRU_PREV), 0);
	CHECK_EQ(vm_read64(m, tail + PO_FLAGS) & cpupid, cpupid);
	CHECK_EQ(vm_read64(m, shared + PO_FLAGS) & cpupid, 0);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* D5: the shared tail's references live in its own struct page's
 * _refcount (seed 002 patch 37's get_page(page)), which the checker reads:
 * a stray write there is I14, as a side table could never show. */
static void test_tail_refcount_in_struct_page(void)
{
	struct hvo_machine *m = g3_machine();
	uint64_t t, va;
	int32_t id;

	CHECK_EQ(add(m, DAX0, SEC, 9, 0, 0, &id), 0);
	t = g2_tail_pfn(m, 0, HVO_ZONE_DEVICE, 9);
	CHECK(t != 0);
	va = page_vaddr(m, t - 1) + PO_REFCOUNT;
	CHECK_EQ((int32_t)vm_read32(m, va), 1 + (int32_t)((SEC >> 9) * 7));
	CHECK_CLEAN(m);
	vm_write32(m, va, vm_read32(m, va) + 1);
	CHECK_EQ(hvo_check(m), 14);
	hvo_machine_destroy(m);
}

int main(void)
{
	test_subsection_order();
	test_larger_than_section();
	test_interleaved();
	test_failure_midway();
	test_not_optimized();
	test_bad_input();
	test_zone_device_image();
	test_tail_refcount_in_struct_page();
	TESTS_DONE("test_dax");
}
