// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_boot.c - the boot-pipeline fuzz target (spec 2.8, I15): random zone
 * layouts and bootmem reservations, G1 or G2, either boot design, HVO on
 * or off, failure rules on the boot sites; then a few ops on the folios
 * that came up.  The input decodes (totally, every byte string) to an op
 * stream, run by hvo_ops_run with the checker after every op, so a failure
 * prints as text that ./hvo explain replays (fuzz_stream.c).
 *
 * A layout whose bootmem pages overlap or leave their node is valid input
 * too: the decoder works that out itself and the config must then be
 * refused with -EINVAL and a message (a pass); an accepted bad layout, or a
 * refused good one, is a failure.
 *
 * Layout (bytes past the end read as 0; "x % n" = the field modulo n):
 *   M  bits 0-1 page shift {12, 12, 14, 16}
 *      bit  2   HVO off
 *      bit  3   boot=early (else deferred)
 *      bit  4   G1 (else G2)
 *      bits 5-6 node 1: {all normal, movable from L, movable-only, movable from L}
 *      bit  7   a big node 0: 32 GiB from 16 GiB, where a 16 GiB page fits
 *               (on 16K pages the smallest that can be pre-HVO'd, B16);
 *               else 1.25 GiB (64K pages: 1.5) from 3 GiB (DMA32).  Node 1: as much from
 *               the next GiB boundary (Normal, or Normal and Movable, or
 *               Movable).  Nodes are small (each input boots them) but
 *               keep room beside one 1 GiB page: see ROOM below.
 *   L  node 1's movable_start: 1 + x % (sections - 1) sections into it
 *   C  bits 0-2 bootmem pages, x % 5 (0..4); bits 3-4 fail rules (0..3);
 *      bit 5 CONFIG_DEFERRED_STRUCT_PAGE_INIT off (memmap_init writes all);
 *      bit 6 kernelcore=mirror on node 1 (issue 13 D11; zero in every seed
 *      committed before it, so they decode as before): its section 0 is
 *      mirrored, section i >= 1 when bit (i - 1) % 8 of L is set, the rest
 *      is ZONE_MOVABLE, interleaved with ZONE_NORMAL; M's bits 5-6 then
 *      do not apply.  L = 0x40 puts a MOVABLE run inside a 1 GiB page at
 *      node 1's start whose ends are NORMAL (Z1)
 *   per page: P K
 *      P bit 0 node; bits 1-3 size {1G, 1G, 2M, pre-HVO unit, 2G,
 *        MAX_FOLIO_ORDER, 256M, 1G}; the pre-HVO unit is the memory one
 *        vmemmap PMD describes (128 MiB on 4K, 8 GiB on 16K; 2.8 step 2),
 *        capped at MAX_FOLIO_ORDER
 *      K the position: the (x % (slots + 1))-th slot of that size from the
 *        node's start rounded up to it; slot `slots` lies past the node's
 *        end (outside, or inside the next node).  Left out when it would
 *        fill its node (ROOM).
 *   per rule: R N
 *      R bits 0-1 site {shared_tail, memblock, head_copy, pte_update};
 *        bits 2-4 repeat (0 = every later call)
 *      N nth = 1 + x
 *   ops until the input ends, at most MAX_OPS: one byte, kind = x % 9
 *      {optimize, restore, free, dissolve, get, put, walk, enable, check},
 *      then f (one byte, the f-th live folio) for the folio ops; walk: f
 *      and a 24-bit index (3 bytes LE, taken modulo the folio's size by the
 *      executor); enable: the low bit of the next byte.
 */
#include <stdlib.h>

#include "fuzz_stream.h"
#include "fuzz_target.h"

#define GIB_SHIFT 30
#define MAX_PAGES 4
#define MAX_OPS 8
/* A page is left out when it would take more than 7/8 of its node: the
 * boot allocator populates the node's vmemmap from the node's own memory
 * and fails (-ENOMEM at boot, no rule injected) when reservations left it
 * none. */
#define ROOM(nr_pages) ((nr_pages) / 8)
#define NR_OP_KINDS 9

static uint64_t campaign_mutants;

static const unsigned page_shifts[4] = { 12, 12, 14, 16 };
static const enum hvo_site rule_sites[4] = {
	HVO_SITE_SHARED_TAIL, HVO_SITE_MEMBLOCK, HVO_SITE_HEAD_COPY, HVO_SITE_PTE_UPDATE,
};
static const enum hvo_op_kind op_kinds[NR_OP_KINDS] = {
	HVO_OP_OPTIMIZE, HVO_OP_RESTORE, HVO_OP_FREE, HVO_OP_DISSOLVE, HVO_OP_GET, HVO_OP_PUT,
	HVO_OP_WALK, HVO_OP_ENABLE, HVO_OP_CHECK,
};
enum { SZ_PREHVO = 100, SZ_MAX };  /* size codes past any byte shift */
static const unsigned size_shifts[8] = { 30, 30, 21, SZ_PREHVO, 31, SZ_MAX, 28, 30 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	campaign_mutants = fuzz_mutants_from_env("fuzz_boot");
	fuzz_host_pool_init("fuzz_boot");
	return 0;
}

struct reader {
	const uint8_t *p;
	size_t n, pos;
};

static unsigned next(struct reader *r)
{
	return r->pos < r->n ? r->p[r->pos++] : 0;
}

static void decode_nodes(struct hvo_config *c, unsigned m, unsigned l, uint64_t sec)
{
	unsigned to_pages = GIB_SHIFT - c->page_shift;
	struct hvo_node_config *n1 = &c->node[1];

	c->nr_nodes = 2;
	if (m & 0x80)
		c->node[0] = (struct hvo_node_config){ .start_pfn = 16ull << to_pages, .nr_pages = 32ull << to_pages };
	else  /* 3 GiB + 1.25 GiB: DMA32 */
		c->node[0] = (struct hvo_node_config){ .start_pfn = 3ull << to_pages,
						       .nr_pages = ((5ull << to_pages >> 2) + sec - 1) / sec * sec };
	/* the next GiB boundary, 1.25 GiB (1.5 GiB with 64K pages: whole
	 * 512 MiB sections) */
	*n1 = (struct hvo_node_config){ .start_pfn = (c->node[0].start_pfn + c->node[0].nr_pages + (1ull << to_pages) - 1) &
						     ~((1ull << to_pages) - 1),
					.nr_pages = ((5ull << to_pages >> 2) + sec - 1) / sec * sec };
	switch (m >> 5 & 3) {
	case 2:
		n1->movable_only = true;
		break;
	case 1:
	case 3:
		n1->movable_start_pfn = n1->start_pfn + (1 + l % (n1->nr_pages / sec - 1)) * sec;
		break;
	}
}

/* C bit 6: node 1's mirrored sections from L, merged into ranges. */
static void decode_mirror(struct hvo_config *c, unsigned l, uint64_t sec)
{
	struct hvo_node_config *n1 = &c->node[1];
	uint64_t nsec = n1->nr_pages / sec;

	n1->movable_start_pfn = 0;
	n1->movable_only = false;
	n1->nr_mirror = 0;
	for (uint64_t i = 0; i < nsec; i++) {
		struct hvo_pfn_range *r = &n1->mirror[n1->nr_mirror ? n1->nr_mirror - 1 : 0];

		if (i && !(l >> ((i - 1) % 8) & 1))
			continue;
		if (n1->nr_mirror && r->start_pfn + r->nr_pages == n1->start_pfn + i * sec) {
			r->nr_pages += sec;
		} else if (n1->nr_mirror < HVO_MAX_MIRROR) {
			n1->mirror[n1->nr_mirror++] = (struct hvo_pfn_range){ n1->start_pfn + i * sec, sec };
		}
	}
}

/* The order of size code x (bits 1-3 of P) on this machine. */
static unsigned page_order(const struct hvo_geometry *g, unsigned x)
{
	unsigned s = size_shifts[x];
	/* 2.8 step 2: the memory whose vmemmap one PMD maps */
	unsigned prehvo = g->pmd_shift - g->sps_shift + g->page_shift;

	if (s == SZ_PREHVO)
		s = prehvo;
	if (s == SZ_MAX || s - g->page_shift > g->max_folio_order)
		return g->max_folio_order;
	return s - g->page_shift;
}

static void decode_page(struct reader *r, struct hvo_config *c, const struct hvo_geometry *g, uint64_t *reserved)
{
	unsigned p = next(r), k = next(r);
	const struct hvo_node_config *n = &c->node[p & 1];
	struct hvo_bootmem *b = &c->bootmem[c->nr_bootmem];
	uint64_t size, base, end = n->start_pfn + n->nr_pages, slots;

	b->order = page_order(g, p >> 1 & 7);
	size = 1ull << b->order;
	base = (n->start_pfn + size - 1) & ~(size - 1);
	slots = base < end ? (end - base) / size : 0;
	b->pfn = base + k % (slots + 1) * size;
	for (unsigned i = 0; i < c->nr_nodes; i++) {
		const struct hvo_node_config *in = &c->node[i];

		if (b->pfn < in->start_pfn || b->pfn + size > in->start_pfn + in->nr_pages)
			continue;
		if (reserved[i] + size > in->nr_pages - ROOM(in->nr_pages))
			return;
		reserved[i] += size;
	}
	c->nr_bootmem++;
}

/* Every page inside one node, on no other page, and no smaller than the
 * struct pages boot prepares (2M on 16K or 64K pages is not gigantic): what
 * the config must satisfy to be accepted (the core's own check is
 * hvo_config_validate). */
static bool layout_valid(const struct hvo_config *c, const struct hvo_geometry *g)
{
	for (unsigned i = 0; i < c->nr_bootmem; i++) {
		uint64_t lo = c->bootmem[i].pfn, hi = lo + (1ull << c->bootmem[i].order);
		bool inside = false;

		if (hi - lo < g->reserve_pages)
			return false;

		for (unsigned k = 0; k < c->nr_nodes; k++)
			inside |= lo >= c->node[k].start_pfn && hi <= c->node[k].start_pfn + c->node[k].nr_pages;
		if (!inside)
			return false;
		for (unsigned j = 0; j < i; j++)
			if (lo < c->bootmem[j].pfn + (1ull << c->bootmem[j].order) && c->bootmem[j].pfn < hi)
				return false;
	}
	return true;
}

static int decode_op(struct reader *r, struct hvo_opstream *s)
{
	enum hvo_op_kind kind = op_kinds[next(r) % NR_OP_KINDS];
	struct hvo_op *op = hvo_ops_add(s, kind);

	if (!op)
		return -1;
	if (kind == HVO_OP_ENABLE) {
		op->n = next(r) & 1;
	} else if (kind != HVO_OP_CHECK) {
		op->f = next(r);
		if (kind == HVO_OP_WALK) {
			op->by_folio = true;
			op->index = next(r);
			op->index |= next(r) << 8;
			op->index |= (uint64_t)next(r) << 16;
		}
	}
	return 0;
}

/* 0, or -1 when the host is out of memory.  *valid: the layout is good. */
int fuzz_boot_decode(const uint8_t *data, size_t size, struct hvo_opstream *s, bool *valid)
{
	struct reader r = { data, size, 0 };
	struct hvo_config *c = &s->config;
	struct hvo_geometry g;
	char err[HVO_ERR_LEN];
	unsigned m = next(&r), l = next(&r), n = next(&r), rules;
	uint64_t reserved[2] = { 0, 0 };  /* pages taken in each node */

	hvo_ops_init(s);
	c->page_shift = page_shifts[m & 3];
	c->hvo_enabled = !(m & 4);
	c->boot_design = m & 8 ? HVO_BOOT_EARLY : HVO_BOOT_DEFERRED;
	c->gen = m & 0x10 ? HVO_G1 : HVO_G2;
	if (hvo_geometry_init(&g, c->page_shift, c->struct_page_size, err, sizeof(err)))
		abort();  /* the default struct page on a supported page size */
	decode_nodes(c, m, l, 1ull << (g.section_shift - g.page_shift));
	if (n & 0x40)
		decode_mirror(c, l, 1ull << (g.section_shift - g.page_shift));
	for (unsigned i = 0; i < (n & 7) % (MAX_PAGES + 1); i++)
		decode_page(&r, c, &g, reserved);
	*valid = layout_valid(c, &g);
	rules = n >> 3 & 3;
	c->no_deferred_init = n & 0x20;
	for (unsigned i = 0; i < rules; i++) {
		unsigned x = next(&r);

		s->fail.rules[s->fail.nr_rules++] = (struct hvo_fail_rule){
			.site = rule_sites[x & 3], .repeat = x >> 2 & 7, .nth = 1 + next(&r) };
	}
	for (unsigned i = 0; i < MAX_OPS && r.pos < r.n; i++)
		if (decode_op(&r, s)) {
			hvo_ops_free(s);
			return -1;
		}
	return 0;
}

/* A bad layout: the stream expects its config refused (an accepted one is
 * the failure hvo_ops_run reports), and the refusal must say why. */
static void check_refused(struct hvo_opstream *s)
{
	struct hvo_config c = s->config;
	char err[HVO_ERR_LEN] = "";

	s->expect_setup_error = true;
	c.mutants |= campaign_mutants;
	if (hvo_config_validate(&c, err, sizeof(err)) && !err[0])
		fuzz_stream_fail("fuzz_boot", s, campaign_mutants, "FAILURE",
				 "a bad bootmem layout was refused without a message", "explain");
	fuzz_stream_run("fuzz_boot", s, campaign_mutants);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvo_opstream s;
	bool valid;

	if (fuzz_boot_decode(data, size, &s, &valid))
		return 0;  /* host out of memory: not the model's fault */
	if (valid)
		fuzz_stream_run("fuzz_boot", &s, campaign_mutants);
	else
		check_refused(&s);
	return 0;
}
