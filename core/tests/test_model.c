// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_model.c - the G2 runtime model end to end: tail values, mapping
 * shape, accounting, restore equivalence (I8), rollback (I9), the pool
 * lifecycle, the walker, RO enforcement, every geometry, determinism.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "tests.h"

#define MIB(x) ((uint64_t)(x) << 20)
#define GIB(x) ((uint64_t)(x) << 30)

/* Two nodes given in bytes, for any page shift. */
static void cfg_nodes(struct hvo_config *c, unsigned shift, unsigned sps)
{
	hvo_config_default(c);
	c->page_shift = shift;
	c->struct_page_size = sps;
	c->node[0].start_pfn = GIB(3) >> shift;
	c->node[0].nr_pages = GIB(2) >> shift;
	c->node[1].start_pfn = GIB(5) >> shift;
	c->node[1].nr_pages = GIB(2) >> shift;
	c->node[1].movable_start_pfn = GIB(6) >> shift;
}

static uint64_t slot_frame(struct hvo_machine *m, uint64_t pfn, uint64_t slot, bool *rw)
{
	uint64_t frame = UINT64_MAX;

	vm_translate(m, page_vaddr(m, pfn) + slot * m->geo.page_size, &frame, rw);
	return frame;
}

static uint8_t *folio_bytes(struct hvo_machine *m, uint64_t pfn, uint64_t n)
{
	uint64_t psz = m->geo.page_size, frame;
	uint8_t *b = malloc(n * psz);
	bool rw;

	for (uint64_t i = 0; i < n; i++)
		memcpy(b + i * psz, vm_page_bytes(m, page_vaddr(m, pfn) + i * psz, &frame, &rw), psz);
	return b;
}

/* D12: bytes of n vmemmap pages after an optimize that was undone
 * (restore, or the rollback of a failed optimize), against before.  Slot 0
 * is the same to the byte.  The tail slots are copies of the shared tail,
 * which init_compound_tail made on a zeroed page: each struct page is the
 * one __init_single_page + prep wrote but for lru.prev (was its own lru,
 * now 0) and last_cpupid (was all ones, now 0). */
static void check_undone(struct hvo_machine *m, uint64_t pfn, const uint8_t *before, const uint8_t *after, uint64_t n)
{
	uint64_t psz = m->geo.page_size, cpupid = FLAGS_CPUPID_MASK << FLAGS_CPUPID_SHIFT;
	unsigned sps = m->geo.struct_page_size;

	CHECK(memcmp(before, after, psz) == 0);
	for (uint64_t off = psz; off < n * psz; off += sps) {
		uint64_t fb, fa, lb, la;

		memcpy(&fb, before + off + PO_FLAGS, 8);
		memcpy(&fa, after + off + PO_FLAGS, 8);
		memcpy(&lb, before + off + PO_LRU_PREV, 8);
		memcpy(&la, after + off + PO_LRU_PREV, 8);
		CHECK_EQ(fb & cpupid, cpupid);
		CHECK_EQ(fa, fb & ~cpupid);
		CHECK_EQ(lb, page_vaddr(m, pfn) + off + PO_INFO);
		CHECK_EQ(la, 0);
		CHECK(memcmp(before + off + PO_INFO, after + off + PO_INFO, 8) == 0);
		CHECK(memcmp(before + off + PO_MAPPING, after + off + PO_MAPPING, sps - PO_MAPPING) == 0);
		if (fa != (fb & ~cpupid) || la != 0)
			break;   /* one report, not one per struct page */
	}
}

/* Every tail of an order-9 folio holds mask|1 = 0xFFFFFFFFFFFF8001 (4K/64B);
 * the tails in slot 0 as prep wrote them (last_cpupid all ones, D12), the
 * others the shared tail's (none). */
static void test_tail_values(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_folio_info fi;
	int32_t id;

	hvo_config_default(&c);
	m = tests_machine(&c);
	CHECK(hvo_folio_alloc(m, 9, 0, HVO_ZONE_NORMAL, &id) == 0);
	CHECK(hvo_folio_info(m, id, &fi) == 0);
	CHECK(fi.optimized);
	CHECK_EQ(fi.zone, HVO_ZONE_NORMAL);
	for (uint64_t i = 1; i < 512; i++) {
		uint64_t va = page_vaddr(m, fi.pfn + i);

		CHECK_EQ(vm_read64(m, va + PO_INFO), 0xFFFFFFFFFFFF8001ull);
		if (i >= 4) {
			CHECK_EQ(vm_read64(m, va + PO_MAPPING), TAIL_MAPPING);
			CHECK_EQ(vm_read32(m, va + PO_MAPCOUNT), 0xffffffffu);
			CHECK_EQ(vm_read32(m, va + PO_REFCOUNT), 0);
			CHECK_EQ(vm_read64(m, va + PO_FLAGS), i < 64 ? page_flags_init(0, HVO_ZONE_NORMAL) :
									  page_flags_nodezone(0, HVO_ZONE_NORMAL));
		}
	}
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* I3: slot 0 private RW, slots 1..7 the one published tail, RO; per zone. */
static void test_shape_and_sharing(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_folio_info a, b, d;
	int32_t ia, ib, id;
	uint64_t tail;
	bool rw;

	hvo_config_default(&c);
	m = tests_machine(&c);
	CHECK(hvo_folio_alloc(m, 9, 0, HVO_ZONE_NORMAL, &ia) == 0);
	CHECK(hvo_folio_alloc(m, 9, 0, HVO_ZONE_NORMAL, &ib) == 0);
	CHECK(hvo_folio_alloc(m, 9, 0, HVO_ZONE_DMA32, &id) == 0);
	hvo_folio_info(m, ia, &a);
	hvo_folio_info(m, ib, &b);
	hvo_folio_info(m, id, &d);
	tail = g2_tail_pfn(m, 0, HVO_ZONE_NORMAL, 9) - 1;
	CHECK(slot_frame(m, a.pfn, 0, &rw) != tail && rw);
	CHECK(slot_frame(m, a.pfn, 0, &rw) != slot_frame(m, b.pfn, 0, &rw));
	for (uint64_t s = 1; s < 8; s++) {
		CHECK_EQ(slot_frame(m, a.pfn, s, &rw), tail);
		CHECK(!rw);
		CHECK_EQ(slot_frame(m, b.pfn, s, &rw), tail);
	}
	CHECK(g2_tail_pfn(m, 0, HVO_ZONE_DMA32, 9) - 1 != tail);
	CHECK_EQ(slot_frame(m, d.pfn, 3, &rw), g2_tail_pfn(m, 0, HVO_ZONE_DMA32, 9) - 1);
	CHECK(phys_frame_sealed(m->phys, tail));
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* 2.9: exact counter deltas for optimize, restore and free of a 2 MiB folio. */
static void test_accounting(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_counters c0, c1;
	int32_t id;

	hvo_config_default(&c);
	m = tests_machine(&c);
	hvo_counters(m, &c0);
	/* 4 GiB of memory: 32 sections, one 2 MiB vmemmap PMD (512 pages) each */
	CHECK_EQ(c0.memmap_boot_pages, 32 * 512);
	CHECK_EQ(c0.memmap_pages, 0);
	CHECK(hvo_folio_alloc(m, 9, 0, HVO_ZONE_NORMAL, &id) == 0);
	hvo_counters(m, &c1);
	CHECK_EQ(c1.memmap_pages, 1);                        /* the head copy */
	CHECK_EQ(c1.memmap_boot_pages, c0.memmap_boot_pages - 8); /* 8 boot pages freed */
	CHECK(hvo_folio_restore(m, id) == 0);
	hvo_counters(m, &c1);
	CHECK_EQ(c1.memmap_pages, 8);
	CHECK_EQ(c1.memmap_boot_pages, c0.memmap_boot_pages - 8);
	CHECK(hvo_folio_optimize(m, id) == 0);
	hvo_counters(m, &c1);
	CHECK_EQ(c1.memmap_pages, 1);                        /* 8 buddy pages freed, 1 new */
	CHECK(hvo_folio_free(m, id) == 0);
	hvo_counters(m, &c1);
	CHECK_EQ(c1.memmap_pages + c1.memmap_boot_pages, c0.memmap_boot_pages);
	CHECK_EQ(c1.nr_folios, 0);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* I8: optimize + restore gives back the bytes of a never-optimized folio
 * in every field I4 names (D12: check_undone). */
static void test_restore_equivalence(unsigned order)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_folio_info fi;
	uint64_t n;
	uint8_t *before, *after;
	int32_t id;

	hvo_config_default(&c);
	c.hvo_enabled = false;
	m = tests_machine(&c);
	CHECK(hvo_folio_alloc(m, order, 0, -1, &id) == 0);
	hvo_folio_info(m, id, &fi);
	CHECK(!fi.optimized);
	n = hvo_geo_vmemmap_pages(&m->geo, order);
	before = folio_bytes(m, fi.pfn, n);
	hvo_set_enabled(m, true);
	CHECK(hvo_folio_optimize(m, id) == 0);
	hvo_folio_info(m, id, &fi);
	CHECK(fi.optimized);
	CHECK_CLEAN(m);
	CHECK(hvo_folio_restore(m, id) == 0);
	after = folio_bytes(m, fi.pfn, n);
	check_undone(m, fi.pfn, before, after, n);
	CHECK_CLEAN(m);
	free(before);
	free(after);
	hvo_machine_destroy(m);
}

/* I9: a PTE-table failure on the second vmemmap PMD of a 1 GiB folio
 * (slots of the first PMD already remapped) rolls back to the same bytes
 * (D12: check_undone; the slots of the second PMD never changed). */
static void test_rollback_mid_walk(void)
{
	struct hvo_fail_policy fp = { 0 };
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_folio_info fi;
	struct hvo_counters c0, c1;
	uint8_t *before, *after;
	int32_t id;

	hvo_config_default(&c);
	c.hvo_enabled = false;
	c.fail = hvo_fail_policy_hook;
	c.fail_ctx = &fp;
	m = tests_machine(&c);
	CHECK(hvo_folio_alloc(m, 18, 0, -1, &id) == 0);
	hvo_folio_info(m, id, &fi);
	before = folio_bytes(m, fi.pfn, 4096);
	hvo_counters(m, &c0);
	hvo_set_enabled(m, true);
	fp.rules[0] = (struct hvo_fail_rule){ HVO_SITE_PTE_TABLE, 2, 1 };
	fp.nr_rules = 1;
	CHECK_EQ(hvo_folio_optimize(m, id), -HVO_ENOMEM);
	hvo_folio_info(m, id, &fi);
	CHECK(!fi.optimized);
	after = folio_bytes(m, fi.pfn, 4096);
	check_undone(m, fi.pfn, before, after, 512);
	CHECK(memcmp(before + 512 * m->geo.page_size, after + 512 * m->geo.page_size, 3584 * m->geo.page_size) == 0);
	hvo_counters(m, &c1);
	/* 512 slots were remapped then rebuilt: boot pages became buddy pages */
	CHECK_EQ(c1.memmap_pages + c1.memmap_boot_pages, c0.memmap_pages + c0.memmap_boot_pages);
	CHECK(c1.memmap_pages > c0.memmap_pages);
	CHECK_CLEAN(m);
	/* and it still optimizes afterwards */
	CHECK(hvo_folio_optimize(m, id) == 0);
	CHECK_CLEAN(m);
	CHECK(hvo_folio_free(m, id) == 0);
	CHECK_CLEAN(m);
	free(before);
	free(after);
	hvo_machine_destroy(m);
}

/* Free with a failing restore keeps the folio as surplus, still optimized (2.6). */
static void test_free_surplus(void)
{
	struct hvo_fail_policy fp = { 0 };
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_folio_info fi;
	int32_t id;

	hvo_config_default(&c);
	c.fail = hvo_fail_policy_hook;
	c.fail_ctx = &fp;
	m = tests_machine(&c);
	CHECK(hvo_folio_alloc(m, 9, 1, HVO_ZONE_MOVABLE, &id) == 0);
	fp.rules[0] = (struct hvo_fail_rule){ HVO_SITE_RESTORE_PAGE, 3, 1 };
	fp.nr_rules = 1;
	CHECK_EQ(hvo_folio_free(m, id), -HVO_ENOMEM);
	CHECK(hvo_folio_info(m, id, &fi) == 0);
	CHECK_EQ(fi.state, HVO_FOLIO_SURPLUS);
	CHECK(fi.optimized);
	CHECK_CLEAN(m);
	CHECK_EQ(hvo_folio_dissolve(m, id), 0);
	CHECK(hvo_folio_info(m, id, &fi) == -HVO_ENOENT);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

static void test_demote_and_batches(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_counters k;
	int32_t id, ids[512];
	unsigned n;

	hvo_config_default(&c);
	m = tests_machine(&c);
	CHECK(hvo_folio_alloc(m, 18, 0, HVO_ZONE_DMA32, &id) == 0);
	CHECK(hvo_folio_demote(m, id, 9) == 0);
	CHECK_CLEAN(m);
	hvo_counters(m, &k);
	CHECK_EQ(k.nr_folios, 512);
	CHECK_EQ(k.nr_optimized, 512);
	n = hvo_folio_list(m, ids, 512);
	CHECK_EQ(n, 512);
	CHECK_EQ(hvo_folios_restore(m, ids, 64), 64);
	CHECK_CLEAN(m);
	CHECK_EQ(hvo_folios_optimize(m, ids, 64), 0);
	CHECK_CLEAN(m);
	hvo_counters(m, &k);
	CHECK_EQ(k.nr_optimized, 512);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(hvo_folio_free(m, ids[i]), 0);
	CHECK_CLEAN(m);
	CHECK_EQ(hvo_folio_alloc_batch(m, 9, 1, -1, 16, ids), 16);
	hvo_counters(m, &k);
	CHECK_EQ(k.nr_optimized, 16);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* The speculative walker resolves heads and never writes to RO memory. */
static void test_walker(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_folio_info fi;
	struct hvo_page_view v;
	int32_t id;

	hvo_config_default(&c);
	m = tests_machine(&c);
	CHECK(hvo_folio_alloc(m, 9, 0, -1, &id) == 0);
	hvo_folio_info(m, id, &fi);
	for (uint64_t i = 0; i < 512; i += 37) {
		CHECK(hvo_walk_pfn(m, fi.pfn + i, &v) == 0);
		CHECK_EQ(v.head_pfn, fi.pfn);
		CHECK(v.head == (i == 0));
		CHECK(v.tail == (i != 0));
		CHECK(!v.got_ref);  /* frozen in the pool */
	}
	CHECK(hvo_folio_get(m, id) == 0);
	CHECK(hvo_walk_pfn(m, fi.pfn + 100, &v) == 0);
	CHECK(v.got_ref);
	CHECK_EQ(hvo_folio_optimize(m, id), -HVO_EBUSY);
	CHECK(hvo_folio_put(m, id) == 0);
	CHECK(hvo_walk_pfn(m, 0, &v) == -HVO_EINVAL);  /* a hole */
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

/* I10: a model write to a tail slot is refused and reported; a raw host
 * write to the sealed tail page faults. */
static void test_ro_enforcement(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_folio_info fi;
	uint64_t tail, pfn = 0;
	uint8_t *bytes;
	int32_t id;
	pid_t pid;
	int st = 0;

	hvo_config_default(&c);
	m = tests_machine(&c);
	CHECK(hvo_folio_alloc(m, 9, 0, -1, &id) == 0);
	hvo_folio_info(m, id, &fi);
	tail = g2_tail_pfn(m, fi.node, fi.zone, 9) - 1;
	bytes = phys_frame(m->phys, tail, false);
	CHECK(hvo_sealed_frame_at(m, bytes + 100, &pfn) && pfn == tail);
	CHECK(!hvo_sealed_frame_at(m, &pfn, NULL));
	pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);   /* not a sanitizer's handler: die of it */
		bytes[PO_REFCOUNT] = 1;
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	CHECK(!vm_write32(m, page_vaddr(m, fi.pfn + 200) + PO_REFCOUNT, 1));
	CHECK(hvo_violation(m) && hvo_violation(m)->inv == 10);
	hvo_machine_destroy(m);
}

/* Every geometry: optimize/restore/free work where HVO is possible, and
 * nothing is optimized where it is not. */
static void test_geometries(void)
{
	static const unsigned shifts[] = { 12, 14, 16 }, sizes[] = { 64, 128, 72, 80 };

	for (unsigned s = 0; s < 3; s++)
		for (unsigned z = 0; z < 4; z++) {
			struct hvo_config c;
			struct hvo_machine *m;
			struct hvo_counters k0, k;
			struct hvo_folio_info fi;
			int32_t id[3];
			unsigned orders[3];

			cfg_nodes(&c, shifts[s], sizes[z]);
			m = tests_machine(&c);
			hvo_counters(m, &k0);
			orders[0] = m->geo.tail_min_order;
			orders[1] = m->geo.tail_min_order + 2;
			orders[2] = 30 - shifts[s];  /* 1 GiB */
			for (unsigned o = 0; o < 3; o++) {
				CHECK(hvo_folio_alloc(m, orders[o], o & 1, -1, &id[o]) == 0);
				hvo_folio_info(m, id[o], &fi);
				CHECK(fi.optimized == m->geo.sps_pow2);
				CHECK_CLEAN(m);
			}
			for (unsigned o = 0; o < 3; o++) {
				CHECK(hvo_folio_restore(m, id[o]) == 0);
				CHECK(hvo_folio_optimize(m, id[o]) == 0);
				CHECK(hvo_folio_free(m, id[o]) == 0);
				CHECK_CLEAN(m);
			}
			hvo_counters(m, &k);
			CHECK_EQ(k.memmap_pages + k.memmap_boot_pages, k0.memmap_pages + k0.memmap_boot_pages);
			hvo_machine_destroy(m);
		}
}

static uint64_t scripted_digest(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	uint64_t d;
	int32_t a, b, ids[4];

	hvo_config_default(&c);
	m = tests_machine(&c);
	hvo_folio_alloc(m, 9, 0, -1, &a);
	hvo_folio_alloc(m, 11, 1, HVO_ZONE_MOVABLE, &b);
	hvo_folio_alloc_batch(m, 10, 0, HVO_ZONE_DMA32, 4, ids);
	hvo_folio_restore(m, b);
	hvo_folio_get(m, a);
	hvo_folio_free(m, ids[2]);
	d = hvo_digest(m);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
	return d;
}

/* Nodes 0 and 1 as the default, and node 2, 1 GiB at 8 GiB, hot-added
 * with memmap_on_memory=0 (its vmemmap from the buddy). */
static void hotplug_config(struct hvo_config *c)
{
	hvo_config_default(c);
	c->nr_nodes = 3;
	c->node[2].start_pfn = GIB(8) >> 12;
	c->node[2].nr_pages = GIB(1) >> 12;
	c->node[2].hotplug = true;
}

/* A node hot-added with memmap_on_memory=0 (config hotplug; TRACEABILITY
 * D4): each section's vmemmap is one order-9 block from the buddy of node
 * 0 (node 2's memory is not online yet), mapped by a PMD leaf, not
 * PG_reserved (origin BUDDY), charged to NR_MEMMAP; HVO's PMD split
 * split_page()s it, so the walk frees its pages one by one; the config
 * refuses hotplug with memmap_on_memory, and bootmem on such a node. */
static void test_hotplug(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_counters c0, c1;
	struct hvo_folio_info fi;
	struct phys_alloc_info a;
	uint64_t sec = 1ull << (27 - 12), frame;
	char err[HVO_ERR_LEN];
	int32_t id;
	bool rw;

	hotplug_config(&c);
	m = tests_machine(&c);
	hvo_counters(m, &c0);
	CHECK_EQ(c0.memmap_boot_pages, 32 * 512);
	CHECK_EQ(c0.memmap_pages, 8 * 512);          /* populate_section_memmap's charge */
	CHECK_EQ(c0.node_memmap[0], 16 * 512 + 8 * 512);
	CHECK_EQ(c0.node_memmap[2], 0);
	for (uint64_t s = c.node[2].start_pfn; s < c.node[2].start_pfn + c.node[2].nr_pages; s += sec) {
		CHECK(m->pmd[(page_vaddr(m, s) - m->vbase) >> m->geo.pmd_shift].val == PMD_LEAF);
		CHECK(vm_translate(m, page_vaddr(m, s), &frame, &rw) && rw);
		CHECK(phys_lookup(m->phys, frame, &a) && a.pfn == frame && a.order == 9 &&
		      a.origin == PHYS_ORIGIN_BUDDY && a.site == HVO_SITE_MEMBLOCK);
		CHECK_EQ(phys_node_of(m->phys, frame), 0);
	}
	CHECK_CLEAN(m);
	CHECK(hvo_folio_alloc(m, 9, 2, -1, &id) == 0);   /* optimized by the alloc */
	CHECK(hvo_folio_info(m, id, &fi) == 0 && fi.node == 2 && fi.optimized);
	hvo_counters(m, &c1);
	CHECK_EQ(c1.memmap_pages, 8 * 512 - 8 + 1);       /* 8 buddy pages freed, the head copy */
	CHECK_EQ(c1.memmap_boot_pages, c0.memmap_boot_pages);
	/* split_page: the folio's block is 512 order-0 pages, 8 of them freed */
	CHECK(vm_translate(m, page_vaddr(m, fi.pfn) + 4096, &frame, &rw) && !rw);
	{
		uint64_t pmd_start = page_vaddr(m, fi.pfn) & ~((1ull << m->geo.pmd_shift) - 1);
		uint64_t j = page_vaddr(m, fi.pfn) == pmd_start ? 511 : 0, freed = 0, head;

		CHECK(vm_translate(m, pmd_start + j * 4096, &frame, &rw) && rw);
		head = frame - j;
		for (uint64_t i = 0; i < 512; i++) {
			if (!phys_lookup(m->phys, head + i, &a))
				freed++;
			else
				CHECK(a.pfn == head + i && a.order == 0);
		}
		CHECK_EQ(freed, 8);
	}
	CHECK_CLEAN(m);
	CHECK(hvo_folio_restore(m, id) == 0);
	hvo_counters(m, &c1);
	CHECK_EQ(c1.memmap_pages, 8 * 512);
	CHECK(hvo_folio_free(m, id) == 0);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
	/* refused: both forms at once, bootmem on a hot-added node */
	c.node[2].memmap_on_memory = true;
	CHECK(hvo_config_validate(&c, err, sizeof(err)) == -HVO_EINVAL);
	c.node[2].memmap_on_memory = false;
	c.nr_bootmem = 1;
	c.bootmem[0].pfn = GIB(8) >> 12;
	c.bootmem[0].order = 18;
	CHECK(hvo_config_validate(&c, err, sizeof(err)) == -HVO_EINVAL && strstr(err, "hotplug"));
}

/* offline_and_remove_memory of a hotplug=1 node (hvo_memory_offline, D4):
 * -EINVAL for a boot node; -EBUSY with a folio in use; -EBUSY with the
 * folio dissolve cannot restore (it goes back, the node stays online); on
 * a movable node every free folio is dissolved and the vmemmap uncharged
 * and freed, so the counters and the free memory are what they were
 * before the hot-add; the node then serves no allocation and no walk.  On
 * a normal node, G1's head copy lands in the node itself: -EBUSY
 * (unmovable), as offlining such memory is in the kernel. */
static uint64_t restore_fail_nth;
static bool fail_restore(void *ctx, enum hvo_site site, uint64_t site_call, uint64_t call)
{
	(void)ctx;
	(void)call;
	return site == HVO_SITE_RESTORE_PAGE && site_call == restore_fail_nth;
}

static void test_offline(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_counters c0, c1;
	struct hvo_page_view v;
	int32_t id[3];
	uint64_t free0;

	hotplug_config(&c);
	c.node[2].movable_only = true;
	c.fail = fail_restore;
	restore_fail_nth = 1;
	m = tests_machine(&c);
	hvo_counters(m, &c0);
	free0 = phys_free_frames(m->phys);
	CHECK(hvo_folio_alloc(m, 9, 2, -1, &id[0]) == 0);
	CHECK(hvo_folio_alloc(m, 9, 2, -1, &id[1]) == 0);
	CHECK(hvo_folio_alloc(m, 10, 2, -1, &id[2]) == 0);
	CHECK(hvo_memory_offline(m, 0) == -HVO_EINVAL);
	CHECK(hvo_folio_state(m, id[0]) == HVO_FOLIO_FREE);
	/* the first restore page fails: the first dissolve gives up */
	CHECK(hvo_memory_offline(m, 2) == -HVO_EBUSY);
	CHECK(phys_node_online(m->phys, 2) && hvo_folio_count(m) == 3);
	CHECK_CLEAN(m);
	CHECK(hvo_memory_offline(m, 2) == 0);
	CHECK_EQ(hvo_folio_count(m), 0);
	CHECK(!phys_node_online(m->phys, 2));
	hvo_counters(m, &c1);
	CHECK_EQ(c1.memmap_pages, c0.memmap_pages - 8 * 512);
	CHECK_EQ(c1.memmap_boot_pages, c0.memmap_boot_pages);
	CHECK_EQ(phys_free_frames(m->phys) + phys_frames_by_site(m->phys, HVO_SITE_SHARED_TAIL),
		 free0 - (GIB(1) >> 12) + 8 * 512);
	CHECK_CLEAN(m);
	CHECK(hvo_folio_alloc(m, 9, 2, -1, &id[0]) == -HVO_ENOMEM);
	CHECK(hvo_walk_pfn(m, (GIB(8) >> 12) + 512, &v) == -HVO_EINVAL);
	CHECK(hvo_memory_offline(m, 2) == -HVO_EINVAL);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);

	/* in use: -EBUSY, nothing changes */
	c.fail = NULL;
	m = tests_machine(&c);
	CHECK(hvo_folio_alloc(m, 9, 2, -1, &id[0]) == 0);
	CHECK(hvo_folio_alloc(m, 9, 2, -1, &id[1]) == 0);
	CHECK(hvo_folio_get(m, id[1]) == 0);   /* dequeued: in use */
	CHECK(hvo_memory_offline(m, 2) == -HVO_EBUSY);
	CHECK_EQ(hvo_folio_count(m), 2);
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);

	/* G1 on a normal hot-added node: the head copy lives in the node */
	c.gen = HVO_G1;
	c.node[2].movable_only = false;
	m = tests_machine(&c);
	CHECK(hvo_folio_alloc(m, 9, 2, -1, &id[0]) == 0);
	CHECK(hvo_memory_offline(m, 2) == -HVO_EBUSY);
	CHECK_EQ(hvo_folio_count(m), 0);   /* dissolved all the same */
	CHECK(phys_node_online(m->phys, 2));
	CHECK_CLEAN(m);
	hvo_machine_destroy(m);
}

int main(void)
{
	test_tail_values();
	test_shape_and_sharing();
	test_accounting();
	test_hotplug();
	test_offline();
	test_restore_equivalence(9);
	test_restore_equivalence(18);
	test_rollback_mid_walk();
	test_free_surplus();
	test_demote_and_batches();
	test_walker();
	test_ro_enforcement();
	test_geometries();
	CHECK_EQ(scripted_digest(), scripted_digest());
	TESTS_DONE("test_model");
}
