// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_check_ro.c - I10 asked for itself (check_ro.c): a read-only vmemmap
 * PTE must reach struct pages with refcount 0 and mapcount -1 that belong
 * to a live compound page and decode to its head.  Each test breaks one
 * of these, through a mutant or by writing the state directly, and
 * expects I10; a clean machine passes.
 */
#include "internal.h"
#include "tests.h"

static struct hvo_machine *optimized_folio(uint64_t mutants, int32_t *id, uint64_t *tail)
{
	struct hvo_config c;
	struct hvo_machine *m;
	struct hvo_folio_info fi;
	bool rw;

	hvo_config_default(&c);
	c.mutants = mutants;
	m = tests_machine(&c);
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, HVO_ZONE_NORMAL, id), 0);
	CHECK_EQ(hvo_folio_info(m, *id, &fi), 0);
	CHECK(vm_translate(m, page_vaddr(m, fi.pfn) + m->geo.page_size, tail, &rw) && !rw);
	return m;
}

/* The X1 mutant (the shared tail-image helper writes _mapcount 0): I10. */
static void test_mutant_x1(void)
{
	uint64_t tail;
	int32_t id;
	struct hvo_machine *m = optimized_folio(1ull << HVO_MUT_X1, &id, &tail);

	CHECK_EQ(hvo_check(m), 10);
	CHECK(hvo_violation(m) && strstr(hvo_violation(m)->msg, "mapcount 0"));
	hvo_machine_destroy(m);
}

/* A clean machine passes; a refcount written into the published tail (the
 * frame unsealed, as a stray write would need) is I10, before I4. */
static void test_refcount_in_tail(void)
{
	uint64_t tail;
	int32_t id;
	struct hvo_machine *m = optimized_folio(0, &id, &tail);
	uint8_t *b;
	int32_t one = 1;

	CHECK_CLEAN(m);
	CHECK_EQ(check_ro_reachable(m, false), 0);
	CHECK_EQ(check_ro_reachable(m, true), 0);
	CHECK_EQ(phys_frame_unseal(m->phys, tail), 0);
	b = phys_frame(m->phys, tail, true);
	memcpy(b + 17 * m->geo.struct_page_size + PO_REFCOUNT, &one, 4);
	CHECK_EQ(hvo_check(m), 10);
	CHECK(hvo_violation(m) && strstr(hvo_violation(m)->msg, "refcount 1"));
	hvo_machine_destroy(m);
}

/* A read-only PTE that no live folio owns (the folio forgotten without its
 * vmemmap restored, as a free path that skips the restore would leave it):
 * I10, where no per-folio check looks. */
static void test_no_owner(void)
{
	uint64_t tail;
	int32_t id;
	struct hvo_machine *m = optimized_folio(0, &id, &tail);

	folio_at(m, (uint32_t)id)->live = false;
	CHECK_EQ(hvo_check(m), 10);
	CHECK(hvo_violation(m) && strstr(hvo_violation(m)->msg, "belongs to no live folio"));
	hvo_machine_destroy(m);
}

/* The decode: compound_info of one read-only struct page with the mask of
 * a smaller order leads elsewhere.  hvo_check reports it as I4 first (the
 * tail's bytes), so the decode pass is asked directly. */
static void test_decode(void)
{
	uint64_t tail, info = ~0ull << (3 + 6) | 1;
	int32_t id;
	struct hvo_machine *m = optimized_folio(0, &id, &tail);
	uint8_t *b;

	CHECK_EQ(phys_frame_unseal(m->phys, tail), 0);
	b = phys_frame(m->phys, tail, true);
	memcpy(b + 63 * m->geo.struct_page_size + PO_INFO, &info, 8);
	CHECK_EQ(check_ro_reachable(m, false), 0);
	CHECK_EQ(check_ro_reachable(m, true), 10);
	CHECK(hvo_violation(m) && strstr(hvo_violation(m)->msg, "leads elsewhere"));
	hvo_machine_destroy(m);
}

/* B19 (vmemmap base not aligned): the mask decode of the read-only tails
 * leaves the folio.  hvo_check says I16 first; the decode pass sees it. */
static void test_mutant_b19(void)
{
	struct hvo_config c;
	struct hvo_machine *m;
	int32_t id;

	hvo_config_default(&c);
	c.mutants = 1ull << HVO_MUT_B19;
	c.vmemmap_base = 0xffffea0000001000ull;
	m = tests_machine(&c);
	CHECK_EQ(hvo_folio_alloc(m, 9, 0, HVO_ZONE_NORMAL, &id), 0);
	CHECK_EQ(check_ro_reachable(m, false), 0);
	CHECK_EQ(check_ro_reachable(m, true), 10);
	hvo_machine_destroy(m);
}

int main(void)
{
	test_mutant_x1();
	test_refcount_in_tail();
	test_no_owner();
	test_decode();
	test_mutant_b19();
	TESTS_DONE("test_check_ro");
}
