// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_boot.c - the boot matrix of spec 2.8 / I15: where a 1 GiB bootmem
 * page lies (inside one zone, across Normal/Movable, on a movable-only
 * node) x HVO on/off x HVO population failing, in both boot designs
 * (deferred, early with undo), which must agree; plus the bad layouts the
 * config refuses.  The matrix's "population fails" runs with the repair of
 * S1 (variant V7-boot-fallback-undo); test_seed_fallback holds the G2
 * baseline to what PATCHv7 09/18 does (issue 13 D1).
 *
 * A page across DMA32/Normal cannot be built: the boundary is at 4 GiB and a
 * bootmem page is naturally aligned to its size, so no aligned 2^k block
 * crosses it.  The cross-zone path is exercised at Normal/Movable, where the
 * boundary is any section.
 */
#include "internal.h"
#include "tests.h"

#define GIB(x) ((uint64_t)(x) << 30)
#define PFN(bytes) ((bytes) >> 12)

enum layout { IN_ZONE, ACROSS_MOVABLE, MOVABLE_ONLY, NR_LAYOUTS };
static const char *const layout_name[NR_LAYOUTS] = { "in-zone", "across-normal-movable", "movable-only-node" };

/* Node 0: 3..5 GiB (DMA32 below 4 GiB, Normal above).  Node 1: 5..7 GiB,
 * movable from 5.75 GiB, or all movable. */
static void layout_config(struct hvo_config *c, enum layout l, bool hvo)
{
	hvo_config_default(c);
	c->hvo_enabled = hvo;
	c->node[1].movable_start_pfn = l == MOVABLE_ONLY ? 0 : PFN(GIB(5) + GIB(3) / 4);
	c->node[1].movable_only = l == MOVABLE_ONLY;
	c->nr_bootmem = 1;
	c->bootmem[0].order = 18;
	c->bootmem[0].pfn = l == IN_ZONE ? PFN(GIB(4)) : PFN(GIB(5));
}

struct outcome {
	struct hvo_boot_counters boot;
	struct hvo_counters c;
	struct hvo_folio_info f;
	unsigned nr_folios;
};

static struct hvo_machine *boot(enum layout l, bool hvo, bool fail_population, enum hvo_boot_design design,
				struct hvo_fail_policy *pol, struct outcome *o)
{
	struct hvo_config c;
	struct hvo_machine *m;
	int32_t id;

	layout_config(&c, l, hvo);
	c.boot_design = design;
	memset(pol, 0, sizeof(*pol));
	pol->budget = -1;
	if (fail_population) {
		/* the boot shared tail cannot be allocated: full population instead */
		pol->nr_rules = 1;
		pol->rules[0] = (struct hvo_fail_rule){ HVO_SITE_SHARED_TAIL, 1, 1 };
		c.mutants |= 1ull << HVO_MUT_V7_FALLBACK_UNDO;
	}
	c.fail = hvo_fail_policy_hook;
	c.fail_ctx = pol;
	m = tests_machine(&c);
	CHECK_CLEAN(m);
	hvo_boot_counters(m, &o->boot);
	hvo_counters(m, &o->c);
	o->nr_folios = hvo_folio_list(m, &id, 1);
	memset(&o->f, 0, sizeof(o->f));
	if (o->nr_folios)
		hvo_folio_info(m, id, &o->f);
	return m;
}

static void test_matrix(void)
{
	for (int l = 0; l < NR_LAYOUTS; l++)
		for (int hvo = 0; hvo < 2; hvo++)
			for (int fail = 0; fail < 2; fail++) {
				struct hvo_fail_policy pd, pe;
				struct outcome d, e;
				struct hvo_machine *md = boot(l, hvo, fail, HVO_BOOT_DEFERRED, &pd, &d);
				struct hvo_machine *me = boot(l, hvo, fail, HVO_BOOT_EARLY, &pe, &e);
				bool valid = l != ACROSS_MOVABLE;
				char diff[HVO_ERR_LEN];
				int32_t id;

				fprintf(stderr, "boot matrix: %s hvo=%d population-fails=%d\n", layout_name[l], hvo, fail);
				/* I15: a page across zones is never enqueued, only counted */
				CHECK_EQ(d.nr_folios, valid);
				CHECK_EQ(d.boot.nrinvalid, !valid);
				CHECK_EQ(d.boot.freed, !valid);
				CHECK_EQ(d.boot.prehvo, valid && hvo && !fail);
				if (valid) {
					CHECK_EQ(d.f.pfn, l == IN_ZONE ? PFN(GIB(4)) : PFN(GIB(5)));
					CHECK_EQ(d.f.order, 18);
					CHECK_EQ(d.f.zone, l == IN_ZONE ? HVO_ZONE_NORMAL : HVO_ZONE_MOVABLE);
					CHECK_EQ(d.f.state, HVO_FOLIO_FREE);
					/* a failed pre-HVO is made up by the batch optimize in gather */
					CHECK_EQ(d.f.optimized, hvo);
				}
				/* the vmemmap of the whole machine: 2 GiB + 2 GiB of 4K pages, 64 B each */
				if (!hvo || !valid)
					CHECK_EQ(d.c.memmap_pages + d.c.memmap_boot_pages, PFN(GIB(4)) * 64 >> 12);
				else
					CHECK_EQ(d.c.memmap_pages + d.c.memmap_boot_pages,
						 (PFN(GIB(4)) * 64 >> 12) - (PFN(GIB(1)) * 64 >> 12) + 1);
				/* the two designs end in the same place (2.8) */
				CHECK_EQ(hvo_compare_visible(md, me, diff, sizeof(diff)), 0);
				CHECK_EQ(d.c.memmap_pages, e.c.memmap_pages);
				CHECK_EQ(d.c.memmap_boot_pages, e.c.memmap_boot_pages);
				CHECK(!memcmp(&d.boot, &e.boot, sizeof(d.boot)));
				/* and the folio can go back to the buddy allocator */
				if (valid && hvo_folio_list(md, &id, 1)) {
					CHECK_EQ(hvo_folio_free(md, id), 0);
					CHECK_CLEAN(md);
				}
				hvo_machine_destroy(md);
				hvo_machine_destroy(me);
			}
}

static void test_refusals(void)
{
	static const struct { uint64_t pfn; unsigned order; const char *why; } bad[] = {
		{ PFN(GIB(4)) + 512, 18, "misaligned" },
		{ PFN(GIB(7)), 18, "outside memory" },
		{ PFN(GIB(4)), 40, "order above MAX_FOLIO_ORDER" },
		{ PFN(GIB(4)), 1, "order below 2" },
		{ PFN(GIB(4)), 5, "32 pages, fewer than the 64 struct pages boot prepares" },
	};
	struct hvo_config c;
	struct hvo_machine *m;
	char err[HVO_ERR_LEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hvo_config_default(&c);
		c.nr_bootmem = 1;
		c.bootmem[0].pfn = bad[i].pfn;
		c.bootmem[0].order = bad[i].order;
		CHECK_EQ(hvo_machine_create(&c, &m, err, sizeof(err)), -HVO_EINVAL);
		fprintf(stderr, "refused (%s): %s\n", bad[i].why, err);
	}
	/* two pages on top of each other */
	hvo_config_default(&c);
	c.nr_bootmem = 2;
	c.bootmem[0] = (struct hvo_bootmem){ PFN(GIB(4)), 18 };
	c.bootmem[1] = (struct hvo_bootmem){ PFN(GIB(4)) + 512, 9 };
	CHECK_EQ(hvo_machine_create(&c, &m, err, sizeof(err)), -HVO_EINVAL);
	CHECK(strstr(err, "overlaps") != NULL);
	/* a node made only of bootmem leaves the boot allocator nothing */
	hvo_config_default(&c);
	c.nr_bootmem = 2;
	c.bootmem[0] = (struct hvo_bootmem){ PFN(GIB(3)), 18 };
	c.bootmem[1] = (struct hvo_bootmem){ PFN(GIB(4)), 18 };
	CHECK_EQ(hvo_machine_create(&c, &m, err, sizeof(err)), -HVO_ENOMEM);
	fprintf(stderr, "refused (node full of bootmem): %s\n", err);
}

/* The G2 baseline as PATCHv7 09/18: population fails (no boot shared tail),
 * vmemmap_populate() on top, the formula charged, HUGE_BOOTMEM_HVO kept.
 * Gather then marks the folio optimized with no shared tail mapped: I7,
 * finding S1.  The repair variant boots clean with the whole vmemmap
 * charged and the folio optimized by the batch in gather instead. */
static void test_seed_fallback(void)
{
	for (int repaired = 0; repaired < 2; repaired++) {
		struct hvo_fail_policy pol = { .budget = -1, .nr_rules = 1 };
		struct hvo_boot_counters bc;
		struct hvo_counters cnt;
		struct hvo_machine *m;
		struct hvo_config c;
		char err[HVO_ERR_LEN];
		int inv;

		layout_config(&c, IN_ZONE, true);
		pol.rules[0] = (struct hvo_fail_rule){ HVO_SITE_SHARED_TAIL, 1, 1 };
		c.fail = hvo_fail_policy_hook;
		c.fail_ctx = &pol;
		c.mutants = repaired ? 1ull << HVO_MUT_V7_FALLBACK_UNDO : 0;
		CHECK_EQ(hvo_machine_create(&c, &m, err, sizeof(err)), 0);
		if (!m)
			continue;
		inv = hvo_check(m);
		hvo_boot_counters(m, &bc);
		hvo_counters(m, &cnt);
		/* the flag stays set (prehvo) only without the repair */
		CHECK_EQ(bc.prehvo, !repaired);
		CHECK_EQ(inv, repaired ? 0 : 7);
		if (repaired) {
			/* the whole vmemmap was charged at boot; the batch in gather
			 * then freed all but the reserve of the folio */
			CHECK_EQ(cnt.memmap_pages + cnt.memmap_boot_pages,
				 (PFN(GIB(4)) * 64 >> 12) - (PFN(GIB(1)) * 64 >> 12) + 1);
		} else {
			/* the formula: all of the folio's vmemmap, as allocated here */
			CHECK_EQ(cnt.memmap_pages + cnt.memmap_boot_pages, PFN(GIB(4)) * 64 >> 12);
		}
		hvo_machine_destroy(m);
	}
}

/* memmap_init through the current mapping, per CONFIG_DEFERRED_STRUCT_PAGE_INIT
 * value (issue 13 D2).  Node 0 is 3..6 GiB: Normal from 4 GiB, where the
 * deferred boot initialises one section (to 0x108000) early.  A pre-HVO
 * 1 GiB page at 4 GiB has its first 512 vmemmap slots written early, one at
 * 5 GiB none; without deferred init both all 4096.  What memmap_init wrote
 * last into the boot shared tail survives init_compound_tail in lru.prev
 * (the self pointer of the last pfn written at that position) and in
 * last_cpupid; a tail nothing wrote through keeps memblock's zeros.  The
 * refcount is 0 either way (v7.1's set_page_count), and the boot is clean. */
static void test_memmap_init(void)
{
	for (int deferred = 0; deferred < 2; deferred++)
		for (int at5 = 0; at5 < 2; at5++) {
			uint64_t pfn = PFN(at5 ? GIB(5) : GIB(4)), slots = deferred ? (at5 ? 0 : 512) : 4096;
			uint64_t cpupid = FLAGS_CPUPID_MASK << FLAGS_CPUPID_SHIFT, t;
			struct hvo_machine *m;
			struct hvo_config c;
			const uint8_t *b;

			hvo_config_default(&c);
			c.no_deferred_init = !deferred;
			c.node[0].nr_pages = PFN(GIB(3));
			c.node[1].start_pfn = PFN(GIB(6));
			c.node[1].movable_start_pfn = 0;
			c.nr_bootmem = 1;
			c.bootmem[0] = (struct hvo_bootmem){ pfn, 18 };
			m = tests_machine(&c);
			CHECK_CLEAN(m);
			t = m->zhvo[0][HVO_ZONE_NORMAL].tails[18 - m->geo.tail_min_order];
			CHECK(t != 0);
			b = t ? phys_frame(m->phys, t - 1, false) : NULL;
			CHECK(b != NULL);
			for (unsigned k = 0; b && k < 64; k++) {
				uint64_t flags, prev, want = slots ? page_vaddr(m, pfn + (slots - 1) * 64 + k) + PO_INFO : 0;
				uint32_t ref;

				memcpy(&flags, b + k * 64 + PO_FLAGS, 8);
				memcpy(&prev, b + k * 64 + PO_LRU_PREV, 8);
				memcpy(&ref, b + k * 64 + PO_REFCOUNT, 4);
				CHECK_EQ(prev, want);
				CHECK_EQ(flags & cpupid, slots ? cpupid : 0);
				CHECK_EQ(ref, 0);
				if (prev != want)
					break;
			}
			hvo_machine_destroy(m);
		}
}

/* kernelcore=mirror (issue 13 D11).  Node 0 (3..5 GiB) mirrored at
 * 4..4.5 GiB: NORMAL spans 4..5, MOVABLE 4.5..5.  Node 1 (5..7 GiB)
 * mirrored at 5..5.25 and 5.75..6.25 GiB: NORMAL spans 5..7, MOVABLE
 * 5.25..7.  Pages: (a) 1 GiB at 5 GiB, NORMAL at both ends and MOVABLE
 * inside; (b) 2 MiB at 6 GiB, all mirrored but above the first unmirrored
 * pfn, so inside both spans; (c) 2 MiB at 4 GiB, below node 0's MOVABLE
 * span.  pfn_range_intersects_zones refuses (a) and (b) (spans, not pfns)
 * and keeps (c).  With Z1 (the two ends) all three come up and the
 * checker's zone map walk finds (a) across two zones (I15), not (b). */
static void test_interleaved_zones(void)
{
	for (int b30 = 0; b30 < 2; b30++)
		for (int design = 0; design < 2; design++) {
			struct hvo_boot_counters bc;
			struct hvo_folio_info fi;
			struct hvo_machine *m;
			struct hvo_config c;
			int32_t ids[4];
			unsigned nr;

			hvo_config_default(&c);
			c.boot_design = design ? HVO_BOOT_EARLY : HVO_BOOT_DEFERRED;
			c.node[0].nr_mirror = 1;
			c.node[0].mirror[0] = (struct hvo_pfn_range){ PFN(GIB(4)), PFN(GIB(1)) / 2 };
			c.node[1].movable_start_pfn = 0;
			c.node[1].nr_mirror = 2;
			c.node[1].mirror[0] = (struct hvo_pfn_range){ PFN(GIB(5)), PFN(GIB(1)) / 4 };
			c.node[1].mirror[1] = (struct hvo_pfn_range){ PFN(GIB(5) + GIB(3) / 4), PFN(GIB(1)) / 2 };
			c.nr_bootmem = 3;
			c.bootmem[0] = (struct hvo_bootmem){ PFN(GIB(5)), 18 };
			c.bootmem[1] = (struct hvo_bootmem){ PFN(GIB(6)), 9 };
			c.bootmem[2] = (struct hvo_bootmem){ PFN(GIB(4)), 9 };
			if (b30)
				c.mutants |= 1ull << HVO_MUT_Z1;
			m = tests_machine(&c);
			hvo_boot_counters(m, &bc);
			nr = hvo_folio_list(m, ids, 4);
			CHECK_EQ(bc.nrinvalid, b30 ? 0 : 2);
			CHECK_EQ(nr, b30 ? 3 : 1);
			CHECK_EQ(phys_zone_of(m->phys, PFN(GIB(5)) + PFN(GIB(1)) / 2), HVO_ZONE_MOVABLE);
			CHECK_EQ(phys_zone_of(m->phys, PFN(GIB(6) - 1)), HVO_ZONE_NORMAL);
			if (!b30) {
				CHECK_CLEAN(m);
				CHECK(nr == 1 && !hvo_folio_info(m, ids[0], &fi));
				CHECK_EQ(fi.pfn, PFN(GIB(4)));
				CHECK_EQ(fi.zone, HVO_ZONE_NORMAL);
			} else {
				/* the 1 GiB page's folio, pre-HVO'd on the NORMAL tail */
				CHECK_EQ(hvo_check(m), 15);
				CHECK_EQ(hvo_violation(m)->pfn, PFN(GIB(5)));
			}
			hvo_machine_destroy(m);
		}
}

/* defer_init() with kernelcore=mirror: node 1 (5..7 GiB) mirrored at
 * 5..6.25 GiB, so NORMAL spans 5..7 and MOVABLE 6.25..7, both ending at
 * the node's end.  memmap_init starts deferring one section into NORMAL
 * (0x148000), not one section into MOVABLE, so a pre-HVO 1 GiB page at
 * 5 GiB (valid: MOVABLE's span starts past it) has its first 512 vmemmap
 * slots written early, as in test_memmap_init; the last of them is what
 * the boot shared tail's lru.prev keeps. */
static void test_mirror_deferred(void)
{
	uint64_t pfn = PFN(GIB(5)), t, prev, want;
	struct hvo_boot_counters bc;
	struct hvo_machine *m;
	struct hvo_config c;
	const uint8_t *b;

	hvo_config_default(&c);
	c.node[1].movable_start_pfn = 0;
	c.node[1].nr_mirror = 1;
	c.node[1].mirror[0] = (struct hvo_pfn_range){ pfn, PFN(GIB(5)) / 4 };
	c.nr_bootmem = 1;
	c.bootmem[0] = (struct hvo_bootmem){ pfn, 18 };
	m = tests_machine(&c);
	CHECK_CLEAN(m);
	hvo_boot_counters(m, &bc);
	CHECK_EQ(bc.nrinvalid, 0);
	CHECK_EQ(bc.prehvo, 1);
	t = m->zhvo[1][HVO_ZONE_NORMAL].tails[18 - m->geo.tail_min_order];
	b = t ? phys_frame(m->phys, t - 1, false) : NULL;
	CHECK(b != NULL);
	if (b) {
		want = page_vaddr(m, pfn + 511 * 64) + PO_INFO;
		memcpy(&prev, b + PO_LRU_PREV, 8);
		CHECK_EQ(prev, want);
	}
	hvo_machine_destroy(m);
}

int main(void)
{
	test_memmap_init();
	test_matrix();
	test_interleaved_zones();
	test_mirror_deferred();
	test_seed_fallback();
	test_refusals();
	TESTS_DONE("test_boot");
}
