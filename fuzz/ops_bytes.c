// SPDX-License-Identifier: GPL-2.0-only
/*
 * ops_bytes.c - the op stream's binary form (version HVO_OPS_VERSION): the
 * total decoder a fuzz engine feeds, and an encoder for the streams it can
 * express (architecture rule 4: bytes decode totally, text is for people).
 *
 * Every byte string is a valid input: bytes are read from the front, a byte
 * past the end reads as 0, every field is taken modulo its range, so there
 * is no error path.  The decoder only builds configs the core accepts (one
 * mode excepted, see "base" below, which carries "expect setup-error"), and
 * keeps machines small (1-3 nodes of 256 MiB..2 GiB, mostly up to 512 MiB) because the fuzz target
 * creates one per input.
 *
 * Layout (bit 0 = least significant; "x % n" = the field modulo n):
 *
 *   byte 0   version.  Any value decodes as version 1, the only one: the
 *            byte is always consumed and otherwise ignored, so a fuzzer's
 *            mutations of it cost nothing and a later version can claim its
 *            number.  hvo_ops_bytes_version() reports what an input claims;
 *            bytes2text warns when it is not HVO_OPS_VERSION.
 *   G        bits 0-1 page shift {12, 14, 16, 12}
 *            bits 2-4 struct page size {64, 64, 64, 128, 72, 80}[x % 6]
 *            bit  5   HVO off (0 = vm.hugetlb_optimize_vmemmap on)
 *            bits 6-7 nodes - 1, x % 3 (1-3 nodes)
 *   F        bits 0-2 mode: 7 = misaligned vmemmap base (below); 6 = one huge
 *                     node (below) instead of the decoded ones; else default
 *            bits 3-5 fail rules, x % 5 (0-4)
 *            bit  6   a budget follows the rules
 *            bit  7   G3: gen=g3 with a device (dax) range per node, and the
 *                     G3-only fields below; 0 decodes exactly as before G3
 *   per node: two bytes (sizes and offsets in sections: 128 MiB, 512 MiB
 *            with 64K pages, hvo_section_shift)
 *     N0     bits 0-3 s: size = 2 + s % 15 sections for a big node, else
 *                     2 + s % 3 (the checker after every op reads every
 *                     struct page of every live folio, so memory that ops
 *                     can fill costs time on each op: most inputs get
 *                     256-512 MiB nodes (4K/16K pages), big ones need both
 *                     N1 bits 6-7)
 *            bits 4-7 node 0: start = 4 * x sections (0..7.5 GiB, 4K/16K: below,
 *                     across and above the 4 GiB DMA32 line); node i > 0:
 *                     start = end of node i-1 + x sections
 *     N1     bits 0-4 movable_start = start + (x % size) sections, 0 = none
 *            bit  5   movable_only (node i > 0 only: node 0 always has kernel
 *                     memory, as the core requires of some node)
 *            bits 6-7 both set: a big node (2-16 sections); bit 6 alone
 *                     (node i > 0): hot-added with memmap_on_memory, its
 *                     vmemmap self-hosted (HVO refuses it, I18/B25); bit 7
 *                     alone (node i > 0): hot-added with memmap_on_memory=0
 *                     (hotplug), its vmemmap PMD blocks from the buddy
 *                     (split_page at HVO's split, H4/I23).  No committed
 *                     seed had bit 7 alone on a node i > 0, so none decodes
 *                     differently
 *   huge     (mode 6) the node bytes are read and ignored, the page shift
 *            is 16 whatever G says: one node from 4 GiB (all Normal) of
 *            2^(MAX_FOLIO_ORDER + 2) = 2^20 pages, big enough for a folio of
 *            MAX_FOLIO_ORDER + 1, which only B18 lets through (the machine
 *            costs memory only where it is touched; with 4 KiB pages that
 *            folio's struct pages alone were 512 MiB, see the cap below)
 *
 * Memory cap (what one input can make the model allocate): the struct
 * pages of a machine are its host memory, allocated as ops touch them.  A
 * decoded machine describes at most 3 nodes of 2 GiB plus, in G3, 3 device
 * ranges of 1 GiB: 9 GiB, 2.36M struct pages of 4 KiB pages, at most
 * 288 MiB at 128 bytes each; the huge node 2^20 struct pages (64 KiB
 * pages) and in G3 its device range of 8 sections (4 GiB: 64 KiB pages
 * have 512 MiB sections), at most 136 MiB (test_ops_bytes
 * checks both bounds over every header byte).  The model's other allocations (folio records,
 * the checker's per-op copies of what changed) are small beside them.
 * `./hvo bench fuzz` checks a campaign's peak RSS against 512 MiB.
 *   base     (mode 7 only) one byte k: base = 0xffffea0000000000 +
 *            (1 + k % 255) pages.  That is never MAX_FOLIO_VMEMMAP_ALIGN
 *            aligned: with a power-of-two struct page the correct model
 *            refuses it (I16), so the stream gets "expect setup-error" (the
 *            B19 witness form: a pass when refused, a failure when a mutant
 *            lets the machine come up).  With 72 or 80 bytes no alignment is
 *            required and the machine runs on the odd base.
 *   per rule: R, then nth
 *     R      bits 0-2 site {hugetlb_folio, shared_tail, head_copy, pte_table,
 *                     restore_page, pte_update, memblock, any}
 *            bit  6   (G3) site dax_vmemmap instead
 *            bit  7   site pmd_populate instead (linux-mm's PMD install, D8)
 *            bits 3-5 repeat {1, 2, 3, 4, 5, 6, 7, 0 = every later call}
 *     nth    a site: one byte, nth = 1 + x; any: two bytes LE, nth = 1 + x
 *            (boot's memblock calls come first in the global count)
 *   budget   (bit 6 only) n: budget = x; S: sites = x & ~memblock (a failed
 *            boot is the rules' business), bit 7 (dax_vmemmap) in G3 only
 *   dax      (G3, not read) node i's device range: 8 sections from
 *            round_up(end of the last node, 1 GiB) + 8 * i sections
 *   ops      until the input ends, at most HVO_OPS_BYTES_MAX_OPS: one opcode
 *            byte, kind = x % 19 (enum hvo_op_kind order to inject, no
 *            expect: a fuzz input asserts only through the checker; 15 to
 *            18 being free_bulk, hwpoison, demote_batch and hpage_work;
 *            G3: x % 21, 19 and 20 being dax_add and dax_remove), then its
 *            arguments:
 *     alloc, alloc_batch      O A
 *     optimize restore free dissolve get put   f
 *     optimize_batch restore_batch   C f1..fn   C: n = 1 + (x & 15)
 *     demote                  f O
 *     walk                    f i0 i1 i2   (f= index=, index 24 bits LE)
 *     free_bulk               C f1..fn     as restore_batch
 *     hwpoison                f i0 i1 i2   as walk
 *     demote_batch            C f1..fn O   as restore_batch, then demote's O
 *     hpage_work              -
 *     (offline has no binary form: text streams only)
 *     enable                  x & 1
 *     check                   -
 *     inject                  P hit op    P: bits 0-3 at = x % 11 (sync
 *                             point), bits 4-6 where (table below); hit =
 *                             1 + x; op: kind = x % 18 (no inject, no
 *                             expect; 14 to 17 being free_bulk, hwpoison,
 *                             demote_batch and hpage_work; G3: x % 20, 18
 *                             and 19 being dax_add and dax_remove), then
 *                             its arguments as above
 *     dax_add                 D C   D: bits 0-1 node (x % nr_nodes), bit 2
 *                             altmap, bits 3-5 first section in the node's
 *                             device range; C: bits 0-2 sections - 1, bits
 *                             3-5 order {0, min-1, min, min+1, 2 MiB,
 *                             section, 1 GiB, MAX_FOLIO_ORDER}, bit 6 half a
 *                             section less (refused: not whole sections)
 *     dax_remove              f (the f-th live range)
 *     f      folio selector, one byte
 *     O      order: lo + x % (hi - lo + 1), where lo = tail_min_order - 2 and
 *            hi = min(tail_min_order + 5, the largest order that fits the
 *            largest node, MAX_FOLIO_ORDER); x = 255 is the 1 GiB order
 *            instead when some node holds one, x = 248..254 MAX_FOLIO_ORDER + 1
 *            when some node holds one (refused unless B18; canonical: 254)
 *     A      bits 0-2 node: 7 = the absent node nr_nodes (refused by the
 *                     core), else x % nr_nodes
 *            bits 3-4 zone {any, dma32, normal, movable}
 *            bits 5-7 alloc_batch n (0-7)
 *   where    {"", get_tail, get_tail.init, get_tail.publish, split_pmd,
 *             set_pte, compound_head, page_ref_add_unless}: real prefixes of
 *             the core's scheduling points ("" = any)
 *
 * Trailing bytes past the op cap are ignored.  The encoder writes the
 * canonical bytes of each field, so decode(encode(s)) == s; it refuses (-1
 * and a reason) what the layout cannot express, and checks its own output by
 * decoding it again.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

#define DEFAULT_VMEMMAP_BASE 0xffffea0000000000ull
#define BASE_MODE_HUGE_NODE 6
#define BASE_MODE_MISALIGNED 7
#define NR_BYTE_KINDS 15                     /* alloc .. inject: every kind but expect */
#define NR_NESTED_KINDS 14                   /* ... nor inject */
#define NR_LIFE_KINDS 4                      /* free_bulk, hwpoison, demote_batch, hpage_work follow (issue 13, D7) */
#define NR_DAX_KINDS 2                       /* G3: dax_add, dax_remove follow those */
#define LEGACY_SITES ((1u << HVO_SITE_DAX_VMEMMAP) - 1)
#define BYTE_SITES ((1u << (HVO_SITE_DAX_VMEMMAP + 1)) - 1)  /* what a budget's S byte holds */
#define DAX_SECTIONS 8                       /* a node's device range */
#define MAX_RULES 4
#define MIN_NODE_SECTIONS 2
#define MAX_NODE_SECTIONS 16
#define SMALL_NODE_SIZES 3                   /* 2, 3 or 4 sections without the big bits */
#define MAX_NODES 3

static const unsigned page_shifts[4] = { 12, 14, 16, 12 };
static const unsigned page_sizes[6] = { 64, 64, 64, 128, 72, 80 };
static const int rule_sites[8] = {
	HVO_SITE_HUGETLB_FOLIO, HVO_SITE_SHARED_TAIL, HVO_SITE_HEAD_COPY, HVO_SITE_PTE_TABLE,
	HVO_SITE_RESTORE_PAGE, HVO_SITE_PTE_UPDATE, HVO_SITE_MEMBLOCK, -1,
};
static const char *const where_table[8] = {
	"", "get_tail", "get_tail.init", "get_tail.publish", "split_pmd", "set_pte", "compound_head",
	"page_ref_add_unless",
};

/* Order range of a config (the O field). */
struct orders {
	unsigned lo, n;   /* orders lo .. lo + n - 1 */
	unsigned giga;    /* the 1 GiB order, 0 when no node holds one */
	unsigned over;    /* MAX_FOLIO_ORDER + 1, 0 when no node holds one */
};

static unsigned ilog2_u64(uint64_t v)
{
	unsigned k = 0;

	while (v >>= 1)
		k++;
	return k;
}

static int config_orders(const struct hvo_config *c, struct orders *o)
{
	struct hvo_geometry g;
	char err[HVO_ERR_LEN];
	unsigned fit = 0, lo, hi, giga = 30 - c->page_shift;

	if (hvo_geometry_init(&g, c->page_shift, c->struct_page_size, err, sizeof(err)))
		return -1;
	for (unsigned i = 0; i < c->nr_nodes && i < HVO_MAX_NODES; i++)
		if (c->node[i].nr_pages && ilog2_u64(c->node[i].nr_pages) > fit)
			fit = ilog2_u64(c->node[i].nr_pages);
	o->over = fit > g.max_folio_order ? g.max_folio_order + 1 : 0;
	if (fit > g.max_folio_order)
		fit = g.max_folio_order;
	lo = g.tail_min_order >= 2 ? g.tail_min_order - 2 : 0;
	hi = g.tail_min_order + 5;
	if (hi > fit)
		hi = fit;
	if (lo > hi)
		lo = hi;
	o->lo = lo;
	o->n = hi - lo + 1;
	o->giga = giga <= fit ? giga : 0;
	return 0;
}

/* ================================================================ decoding */

struct reader {
	const uint8_t *p;
	size_t n, pos;
};

/* The next byte; 0 past the end (and the position stays there). */
static unsigned rd8(struct reader *r)
{
	return r->pos < r->n ? r->p[r->pos++] : 0;
}

struct decoder {
	struct reader r;
	struct hvo_opstream *s;
	struct orders ord;
	bool g3;
};

/* The byte kind k (below NR_BYTE_KINDS or NR_NESTED_KINDS = base, then the
 * lifecycle kinds, then the G3 kinds) as an op kind, and back. */
static enum hvo_op_kind kind_of(unsigned x, unsigned base, bool g3)
{
	unsigned k = x % (base + NR_LIFE_KINDS + (g3 ? NR_DAX_KINDS : 0));

	if (k < base)
		return (enum hvo_op_kind)k;
	if (k < base + NR_LIFE_KINDS)
		return (enum hvo_op_kind)(HVO_OP_FREE_BULK + (k - base));
	return (enum hvo_op_kind)(HVO_OP_DAX_ADD + (k - base - NR_LIFE_KINDS));
}

static unsigned byte_of(enum hvo_op_kind kind, unsigned base)
{
	if (kind >= HVO_OP_FREE_BULK)
		return base + (unsigned)(kind - HVO_OP_FREE_BULK);
	if (kind >= HVO_OP_DAX_ADD)
		return base + NR_LIFE_KINDS + (unsigned)(kind - HVO_OP_DAX_ADD);
	return (unsigned)kind;
}

/* The order table of dax_add's C byte. */
static unsigned dax_order(const struct hvo_config *c, unsigned k)
{
	struct hvo_geometry g;
	char err[HVO_ERR_LEN];
	unsigned t[8];

	if (hvo_geometry_init(&g, c->page_shift, c->struct_page_size, err, sizeof(err)))
		return 0;
	t[0] = 0;
	t[1] = g.tail_min_order - 1;
	t[2] = g.tail_min_order;
	t[3] = g.tail_min_order + 1;
	t[4] = 21 - g.page_shift;
	t[5] = g.section_shift - g.page_shift;
	t[6] = 30 - g.page_shift;
	t[7] = g.max_folio_order;
	return t[k & 7];
}

/* Node i's device range start (G3): past every node, 1 GiB aligned. */
static uint64_t dax_start(const struct hvo_config *c, unsigned i)
{
	uint64_t sec = 1ull << (hvo_section_shift(c->page_shift) - c->page_shift), giga = 1ull << (30 - c->page_shift), end = 0;

	for (unsigned n = 0; n < c->nr_nodes && n < HVO_MAX_NODES; n++)
		if (c->node[n].start_pfn + c->node[n].nr_pages > end)
			end = c->node[n].start_pfn + c->node[n].nr_pages;
	return (end + giga - 1) / giga * giga + (uint64_t)i * DAX_SECTIONS * sec;
}

unsigned hvo_ops_bytes_version(const uint8_t *data, size_t size)
{
	return size && data ? data[0] : 0;
}

static unsigned dec_order(struct decoder *d)
{
	unsigned x = rd8(&d->r);

	if (x == 0xff && d->ord.giga)
		return d->ord.giga;
	/* a few values, so that mutating any order byte of a huge-node input
	 * reaches it now and then (B18) */
	if (x >= 0xf8 && d->ord.over)
		return d->ord.over;
	return d->ord.lo + x % d->ord.n;
}

static void dec_node_zone(struct decoder *d, struct hvo_op *op)
{
	unsigned x = rd8(&d->r), nodes = d->s->config.nr_nodes, k = x & 7;

	op->node = k == 7 ? nodes : k % nodes;
	op->zone = (int)(x >> 3 & 3) - 1;
	if (op->kind == HVO_OP_ALLOC_BATCH)
		op->n = x >> 5;
}

static int dec_batch(struct decoder *d, struct hvo_op *op)
{
	uint32_t sel[HVO_OPS_MAX_BATCH];
	unsigned n = 1 + (rd8(&d->r) & 15);

	for (unsigned i = 0; i < n; i++)
		sel[i] = rd8(&d->r);
	return hvo_ops_set_sel(d->s, op, sel, n);
}

static void dec_dax_add(struct decoder *d, struct hvo_op *op)
{
	const struct hvo_config *c = &d->s->config;
	unsigned x = rd8(&d->r), y = rd8(&d->r);
	uint64_t sec = 1ull << (hvo_section_shift(c->page_shift) - c->page_shift);

	op->node = (x & 3) % c->nr_nodes;
	op->altmap = x >> 2 & 1;
	op->pfn = dax_start(c, op->node) + (x >> 3 & 7) * sec;
	op->pages = (1 + (y & 7)) * sec - (y >> 6 & 1) * sec / 2;
	op->order = dax_order(c, y >> 3);
}

/* The arguments of op (kind set, other fields zero).  -1 only on OOM. */
static int dec_args(struct decoder *d, struct hvo_op *op)
{
	switch (op->kind) {
	case HVO_OP_DAX_ADD:
		dec_dax_add(d, op);
		return 0;
	case HVO_OP_ALLOC:
	case HVO_OP_ALLOC_BATCH:
		op->order = dec_order(d);
		dec_node_zone(d, op);
		return 0;
	case HVO_OP_OPTIMIZE_BATCH:
	case HVO_OP_RESTORE_BATCH:
	case HVO_OP_FREE_BULK:
		return dec_batch(d, op);
	case HVO_OP_HWPOISON:
		op->f = rd8(&d->r);
		op->index = rd8(&d->r);
		op->index |= (uint64_t)rd8(&d->r) << 8;
		op->index |= (uint64_t)rd8(&d->r) << 16;
		return 0;
	case HVO_OP_DEMOTE:
		op->f = rd8(&d->r);
		op->order = dec_order(d);
		return 0;
	case HVO_OP_DEMOTE_BATCH:
		if (dec_batch(d, op))
			return -1;
		op->order = dec_order(d);
		return 0;
	case HVO_OP_WALK:
		op->by_folio = true;
		op->f = rd8(&d->r);
		op->index = rd8(&d->r);
		op->index |= (uint64_t)rd8(&d->r) << 8;
		op->index |= (uint64_t)rd8(&d->r) << 16;
		return 0;
	case HVO_OP_ENABLE:
		op->n = rd8(&d->r) & 1;
		return 0;
	case HVO_OP_CHECK:
	case HVO_OP_HPAGE_WORK:
	case HVO_OP_INJECT:
	case HVO_OP_EXPECT:
		return 0;
	default:
		op->f = rd8(&d->r);
		return 0;
	}
}

static int dec_inject(struct decoder *d, struct hvo_op *op)
{
	unsigned p = rd8(&d->r), hit = 1 + rd8(&d->r);
	struct hvo_op nested = { .kind = kind_of(rd8(&d->r), NR_NESTED_KINDS, d->g3) };
	struct hvo_inject *inj;

	/* The nested op's batch selectors go to s->sel like any other's. */
	if (dec_args(d, &nested))
		return -1;
	inj = hvo_ops_set_inject(d->s, op, &nested);
	if (!inj)
		return -1;
	inj->at = (int)((p & 15) % HVO_NR_SYNC_POINTS);
	inj->hit = hit;
	snprintf(inj->where, sizeof(inj->where), "%s", where_table[p >> 4 & 7]);
	return 0;
}

static void dec_nodes(struct decoder *d)
{
	struct hvo_config *c = &d->s->config;
	uint64_t sec = 1ull << (hvo_section_shift(c->page_shift) - c->page_shift), end = 0;

	memset(c->node, 0, sizeof(c->node));
	for (unsigned i = 0; i < c->nr_nodes; i++) {
		struct hvo_node_config *nc = &c->node[i];
		unsigned n0 = rd8(&d->r), n1 = rd8(&d->r);
		unsigned size = MIN_NODE_SECTIONS + (n0 & 15) % ((n1 >> 6) == 3 ? 15 : SMALL_NODE_SIZES);
		unsigned mov = (n1 & 31) % size;

		nc->start_pfn = i == 0 ? 4 * (uint64_t)(n0 >> 4) * sec : end + (n0 >> 4) * sec;
		nc->nr_pages = size * sec;
		nc->movable_start_pfn = mov ? nc->start_pfn + mov * sec : 0;
		nc->movable_only = i > 0 && (n1 >> 5 & 1);
		nc->memmap_on_memory = i > 0 && (n1 >> 6) == 1;
		nc->hotplug = i > 0 && (n1 >> 6) == 2;
		end = nc->start_pfn + nc->nr_pages;
	}
}

/* Mode 6: the one node a folio of MAX_FOLIO_ORDER + 1 fits in (B18). */
static void huge_node(struct hvo_config *c)
{
	struct hvo_geometry g;
	char err[HVO_ERR_LEN];

	memset(c->node, 0, sizeof(c->node));
	c->nr_nodes = 1;
	c->page_shift = 16;   /* the memory cap: 2^20 struct pages, not 2^24 */
	if (hvo_geometry_init(&g, c->page_shift, c->struct_page_size, err, sizeof(err)))
		return;
	c->node[0].start_pfn = (4ull << 30) >> c->page_shift;
	c->node[0].nr_pages = 1ull << (g.max_folio_order + 2);
}

static bool is_huge_node(const struct hvo_config *c)
{
	struct hvo_config h = *c;

	huge_node(&h);
	return c->nr_nodes == 1 && c->page_shift == h.page_shift && c->node[0].start_pfn == h.node[0].start_pfn &&
	       c->node[0].nr_pages == h.node[0].nr_pages && !c->node[0].movable_start_pfn && !c->node[0].movable_only;
}

static void dec_rules(struct decoder *d, unsigned nr)
{
	struct hvo_fail_policy *p = &d->s->fail;

	for (unsigned i = 0; i < nr; i++) {
		struct hvo_fail_rule *r = &p->rules[p->nr_rules++];
		unsigned x = rd8(&d->r), rep = x >> 3 & 7;

		r->site = x >> 7 ? HVO_SITE_PMD_POPULATE : d->g3 && (x >> 6 & 1) ? HVO_SITE_DAX_VMEMMAP : rule_sites[x & 7];
		r->repeat = rep == 0 ? 1 : rep == 7 ? 0 : rep + 1;
		r->nth = 1 + rd8(&d->r);
		if (r->site < 0)
			r->nth += (uint32_t)rd8(&d->r) << 8;
	}
}

static void dec_header(struct decoder *d)
{
	struct hvo_config *c = &d->s->config;
	unsigned g = rd8(&d->r), f = rd8(&d->r);

	c->page_shift = page_shifts[g & 3];
	c->struct_page_size = page_sizes[(g >> 2 & 7) % 6];
	c->hvo_enabled = !(g >> 5 & 1);
	c->nr_nodes = 1 + (g >> 6) % 3;
	dec_nodes(d);
	if ((f & 7) == BASE_MODE_HUGE_NODE)
		huge_node(c);
	d->g3 = f >> 7;
	if (d->g3) {
		c->gen = HVO_G3;
		for (unsigned i = 0; i < c->nr_nodes; i++) {
			c->node[i].dax_start_pfn = dax_start(c, i);
			c->node[i].dax_nr_pages = DAX_SECTIONS * (1ull << (hvo_section_shift(c->page_shift) - c->page_shift));
		}
	}
	if ((f & 7) == BASE_MODE_MISALIGNED) {
		c->vmemmap_base = DEFAULT_VMEMMAP_BASE + (1 + rd8(&d->r) % 255) * (1ull << c->page_shift);
		d->s->expect_setup_error = (c->struct_page_size & (c->struct_page_size - 1)) == 0;
	}
	dec_rules(d, (f >> 3 & 7) % 5);
	if (f >> 6 & 1) {
		d->s->fail.budget = rd8(&d->r);
		d->s->fail.budget_sites = rd8(&d->r) & (d->g3 ? BYTE_SITES : LEGACY_SITES) &
					  ~(1u << HVO_SITE_MEMBLOCK);
	}
}

int hvo_ops_decode(const uint8_t *data, size_t size, struct hvo_opstream *out)
{
	struct decoder d = { .r = { .p = data, .n = data ? size : 0 }, .s = out };

	hvo_ops_init(out);
	(void)rd8(&d.r);  /* the version: any value reads as version 1 */
	dec_header(&d);
	if (config_orders(&out->config, &d.ord))
		goto oom;     /* cannot happen: the header only picks valid geometries */
	while (d.r.pos < d.r.n && out->nr_ops < HVO_OPS_BYTES_MAX_OPS) {
		struct hvo_op tmp = { .kind = kind_of(rd8(&d.r), NR_BYTE_KINDS, d.g3) }, *op;

		if (tmp.kind == HVO_OP_INJECT) {
			op = hvo_ops_add(out, HVO_OP_INJECT);
			if (!op || dec_inject(&d, op))
				goto oom;
			continue;
		}
		if (dec_args(&d, &tmp))
			goto oom;
		op = hvo_ops_add(out, tmp.kind);
		if (!op)
			goto oom;
		*op = tmp;
	}
	return 0;
oom:
	hvo_ops_free(out);
	return -1;
}

/* ================================================================ encoding */

struct writer {
	uint8_t *buf;
	size_t len, cap;
	bool oom;
};

static void wr8(struct writer *w, unsigned v)
{
	if (w->len == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 256;
		uint8_t *p = w->oom ? NULL : realloc(w->buf, ncap);

		if (!p) {
			w->oom = true;
			return;
		}
		w->buf = p;
		w->cap = ncap;
	}
	w->buf[w->len++] = (uint8_t)v;
}

struct encoder {
	struct writer w;
	const struct hvo_opstream *s;
	struct orders ord;
	char *err;
	size_t errlen;
};

static int enc_err(struct encoder *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int enc_err(struct encoder *e, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (!e->err || !e->errlen)
		return -1;
	k = snprintf(e->err, e->errlen, "no binary form: ");
	if (k >= 0 && (size_t)k < e->errlen) {
		va_start(ap, fmt);
		vsnprintf(e->err + k, e->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int index_of(const unsigned *table, unsigned n, unsigned v)
{
	for (unsigned i = 0; i < n; i++)
		if (table[i] == v)
			return (int)i;
	return -1;
}

/* -------------------------------------------------------------- header */

static int enc_geometry(struct encoder *e)
{
	const struct hvo_config *c = &e->s->config;
	int ps = index_of(page_shifts, 3, c->page_shift), sps = index_of(page_sizes, 6, c->struct_page_size);

	if (c->gen != HVO_G2 && c->gen != HVO_G3)
		return enc_err(e, "generation G%d (G2 or G3)", (int)c->gen);
	if (c->mutants)
		return enc_err(e, "mutant lines (name mutants at run time: HVO_MUTANTS for the fuzz target)");
	if (c->skip_op_checks)
		return enc_err(e, "skip_op_checks is a benchmark setting");
	if (ps < 0)
		return enc_err(e, "page_shift=%u (12, 14 or 16)", c->page_shift);
	if (sps < 0)
		return enc_err(e, "struct_page_size=%u (64, 128, 72 or 80)", c->struct_page_size);
	if (c->nr_nodes < 1 || c->nr_nodes > MAX_NODES)
		return enc_err(e, "%u nodes (1 to %d)", c->nr_nodes, MAX_NODES);
	wr8(&e->w, (unsigned)ps | (unsigned)sps << 2 | (unsigned)!c->hvo_enabled << 5 | (c->nr_nodes - 1) << 6);
	return 0;
}

/* Base mode and vmemmap base byte (-1: not expressible). */
static int enc_base(struct encoder *e, unsigned *mode, int *kbyte)
{
	const struct hvo_config *c = &e->s->config;
	uint64_t page = 1ull << c->page_shift, diff = c->vmemmap_base - DEFAULT_VMEMMAP_BASE;
	bool pow2 = (c->struct_page_size & (c->struct_page_size - 1)) == 0;

	*mode = 0;
	*kbyte = -1;
	if (!c->vmemmap_base) {
		if (e->s->expect_setup_error)
			return enc_err(e, "'expect setup-error' without a misaligned base");
		if (is_huge_node(c))
			*mode = BASE_MODE_HUGE_NODE;
		return 0;
	}
	if (is_huge_node(c))
		return enc_err(e, "the huge node with a misaligned base");
	if (c->vmemmap_base < DEFAULT_VMEMMAP_BASE || diff % page || diff / page < 1 || diff / page > 255)
		return enc_err(e, "base=0x%" PRIx64 " (only 0, or 0x%llx + 1..255 pages)", c->vmemmap_base,
			       DEFAULT_VMEMMAP_BASE);
	if (e->s->expect_setup_error != pow2)
		return enc_err(e, "a misaligned base %s 'expect setup-error' with struct_page_size=%u",
			       pow2 ? "needs" : "cannot have", c->struct_page_size);
	*mode = BASE_MODE_MISALIGNED;
	*kbyte = (int)(diff / page - 1);
	return 0;
}

static int enc_nodes(struct encoder *e)
{
	const struct hvo_config *c = &e->s->config;
	uint64_t sec = 1ull << (hvo_section_shift(c->page_shift) - c->page_shift), end = 0;

	for (unsigned i = 0; i < HVO_MAX_NODES; i++) {
		const struct hvo_node_config *nc = &c->node[i];
		uint64_t size, gap, mov;

		if (i == 0 && is_huge_node(c)) {
			wr8(&e->w, 0);   /* read and ignored in mode 6 */
			wr8(&e->w, 0);
			end = nc->start_pfn + nc->nr_pages;
			goto dax;
		}

		if (i >= c->nr_nodes) {
			if (nc->start_pfn || nc->nr_pages || nc->movable_start_pfn || nc->movable_only ||
			    nc->memmap_on_memory || nc->hotplug || nc->dax_start_pfn || nc->dax_nr_pages)
				return enc_err(e, "node slot %u past nr_nodes=%u is not empty", i, c->nr_nodes);
			continue;
		}
		if (nc->start_pfn % sec || nc->nr_pages % sec || (nc->movable_start_pfn && nc->movable_start_pfn % sec))
			return enc_err(e, "node %u: not section (0x%" PRIx64 " pages) aligned", i, sec);
		size = nc->nr_pages / sec;
		if (size < MIN_NODE_SECTIONS || size > MAX_NODE_SECTIONS)
			return enc_err(e, "node %u: %" PRIu64 " sections (%d to %d)", i, size, MIN_NODE_SECTIONS,
				       MAX_NODE_SECTIONS);
		if (nc->start_pfn < end)
			return enc_err(e, "node %u: overlaps node %u", i, i - 1);
		gap = (nc->start_pfn - end) / sec;
		if (i == 0 && (gap % 4 || gap / 4 > 15))
			return enc_err(e, "node 0: start at section %" PRIu64 " (a multiple of 4 up to 60)", gap);
		if (i > 0 && gap > 15)
			return enc_err(e, "node %u: %" PRIu64 " sections after node %u (at most 15)", i, gap, i - 1);
		mov = nc->movable_start_pfn ? (nc->movable_start_pfn - nc->start_pfn) / sec : 0;
		if (nc->movable_start_pfn && (nc->movable_start_pfn <= nc->start_pfn || mov >= size))
			return enc_err(e, "node %u: movable_start outside the node", i);
		if (i == 0 && nc->movable_only)
			return enc_err(e, "node 0 is never movable_only");
		if (nc->memmap_on_memory && (i == 0 || size >= MIN_NODE_SECTIONS + SMALL_NODE_SIZES))
			return enc_err(e, "node %u: memmap_on_memory only on a small node after node 0", i);
		if (nc->hotplug && (i == 0 || size >= MIN_NODE_SECTIONS + SMALL_NODE_SIZES || nc->memmap_on_memory))
			return enc_err(e, "node %u: hotplug only on a small node after node 0, without memmap_on_memory", i);
		wr8(&e->w, (unsigned)(size - MIN_NODE_SECTIONS) | (unsigned)(i == 0 ? gap / 4 : gap) << 4);
		wr8(&e->w, (unsigned)mov | (unsigned)nc->movable_only << 5 |
			   (size >= MIN_NODE_SECTIONS + SMALL_NODE_SIZES ? 3u << 6
									: (unsigned)nc->memmap_on_memory << 6 | (unsigned)nc->hotplug << 7));
		end = nc->start_pfn + nc->nr_pages;
dax:
		if (c->gen == HVO_G3 ? nc->dax_start_pfn != dax_start(c, i) || nc->dax_nr_pages != DAX_SECTIONS * sec
				     : nc->dax_start_pfn || nc->dax_nr_pages)
			return enc_err(e, "node %u: dax range (G3: %d sections at 0x%" PRIx64 "; G2: none)", i,
				       DAX_SECTIONS, dax_start(c, i));
	}
	return 0;
}

static int enc_rules(struct encoder *e)
{
	const struct hvo_fail_policy *p = &e->s->fail;

	for (unsigned i = 0; i < p->nr_rules; i++) {
		const struct hvo_fail_rule *r = &p->rules[i];
		unsigned site = 8, rep;
		uint32_t max = r->site < 0 ? 65536 : 256;

		for (unsigned k = 0; k < 8; k++)
			if (rule_sites[k] == r->site)
				site = k;
		if (r->site == HVO_SITE_DAX_VMEMMAP && e->s->config.gen == HVO_G3)
			site = 1u << 6;
		if (r->site == HVO_SITE_PMD_POPULATE)
			site = 1u << 7;
		if (site == 8)
			return enc_err(e, "fail rule %u: site %d", i, r->site);
		if (r->nth < 1 || r->nth > max)
			return enc_err(e, "fail rule %u: nth=%" PRIu32 " (1 to %" PRIu32 ")", i, r->nth, max);
		if (r->repeat > 7)
			return enc_err(e, "fail rule %u: repeat=%" PRIu32 " (0 to 7)", i, r->repeat);
		rep = r->repeat == 1 ? 0 : r->repeat == 0 ? 7 : r->repeat - 1;
		wr8(&e->w, site | rep << 3);
		wr8(&e->w, (r->nth - 1) & 0xff);
		if (r->site < 0)
			wr8(&e->w, (r->nth - 1) >> 8);
	}
	return 0;
}

static int enc_header(struct encoder *e)
{
	const struct hvo_fail_policy *p = &e->s->fail;
	uint32_t allowed = (e->s->config.gen == HVO_G3 ? BYTE_SITES : LEGACY_SITES) &
			   ~(1u << HVO_SITE_MEMBLOCK);
	bool budget = p->budget != -1 || p->budget_sites;
	unsigned mode;
	int kbyte;

	wr8(&e->w, HVO_OPS_VERSION);
	if (enc_geometry(e) || enc_base(e, &mode, &kbyte))
		return -1;
	if (p->nr_rules > MAX_RULES)
		return enc_err(e, "%u fail rules (at most %d)", p->nr_rules, MAX_RULES);
	if (budget && (p->budget < 0 || p->budget > 255))
		return enc_err(e, "budget n=%" PRId64 " (0 to 255)", p->budget);
	if (budget && (p->budget_sites & ~allowed))
		return enc_err(e, "budget sites include memblock (fail boot with a fail rule), pmd_populate, or "
			       "dax_vmemmap in G2");
	wr8(&e->w, mode | p->nr_rules << 3 | (unsigned)budget << 6 | (unsigned)(e->s->config.gen == HVO_G3) << 7);
	if (enc_nodes(e))
		return -1;
	if (kbyte >= 0)
		wr8(&e->w, (unsigned)kbyte);
	if (enc_rules(e))
		return -1;
	if (budget) {
		wr8(&e->w, (unsigned)p->budget);
		wr8(&e->w, p->budget_sites);
	}
	return 0;
}

/* ------------------------------------------------------------------ ops */

static int enc_order(struct encoder *e, size_t i, unsigned order)
{
	if (order >= e->ord.lo && order < e->ord.lo + e->ord.n) {
		wr8(&e->w, order - e->ord.lo);
		return 0;
	}
	if (e->ord.giga && order == e->ord.giga) {
		wr8(&e->w, 0xff);
		return 0;
	}
	if (e->ord.over && order == e->ord.over) {
		wr8(&e->w, 0xfe);
		return 0;
	}
	return enc_err(e, "op %zu: order=%u (this config: %u to %u%s)", i, order, e->ord.lo, e->ord.lo + e->ord.n - 1,
		       e->ord.giga ? " or the 1 GiB order" : "");
}

static int enc_sel(struct encoder *e, size_t i, uint32_t f)
{
	if (f > 255)
		return enc_err(e, "op %zu: folio selector %" PRIu32 " (0 to 255)", i, f);
	wr8(&e->w, f);
	return 0;
}

static int enc_alloc(struct encoder *e, size_t i, const struct hvo_op *op)
{
	unsigned nodes = e->s->config.nr_nodes, k;

	if (op->node > nodes)
		return enc_err(e, "op %zu: node=%u (0 to %u, %u being the absent node)", i, op->node, nodes, nodes);
	if (op->zone < -1 || op->zone >= HVO_NR_ZONES)
		return enc_err(e, "op %zu: zone %d", i, op->zone);
	if (op->kind == HVO_OP_ALLOC_BATCH && op->n > 7)
		return enc_err(e, "op %zu: alloc_batch n=%u (0 to 7)", i, op->n);
	if (enc_order(e, i, op->order))
		return -1;
	k = op->node == nodes ? 7 : op->node;
	wr8(&e->w, k | (unsigned)(op->zone + 1) << 3 | (op->kind == HVO_OP_ALLOC_BATCH ? op->n : 0) << 5);
	return 0;
}

/* f= index= (walk, hwpoison): the folio selector, then 24 bits of index. */
static int enc_folio_index(struct encoder *e, size_t i, const struct hvo_op *op, const char *what)
{
	if (op->index >= 1u << 24)
		return enc_err(e, "op %zu: %s index=%" PRIu64 " (below 2^24)", i, what, op->index);
	if (enc_sel(e, i, op->f))
		return -1;
	wr8(&e->w, op->index & 0xff);
	wr8(&e->w, op->index >> 8 & 0xff);
	wr8(&e->w, op->index >> 16 & 0xff);
	return 0;
}

static int enc_batch(struct encoder *e, size_t i, const struct hvo_op *op)
{
	if (op->n < 1 || op->n > HVO_OPS_MAX_BATCH || op->f + (size_t)op->n > e->s->nr_sel)
		return enc_err(e, "op %zu: %u batch selectors (1 to %d)", i, op->n, HVO_OPS_MAX_BATCH);
	wr8(&e->w, op->n - 1);
	for (unsigned k = 0; k < op->n; k++)
		if (enc_sel(e, i, e->s->sel[op->f + k]))
			return -1;
	return 0;
}

static int enc_dax_add(struct encoder *e, size_t i, const struct hvo_op *op)
{
	const struct hvo_config *c = &e->s->config;
	uint64_t sec = 1ull << (hvo_section_shift(c->page_shift) - c->page_shift), off, half, n;
	unsigned k = 8;

	if (op->node >= c->nr_nodes || op->node > 3)
		return enc_err(e, "op %zu: dax_add node=%u", i, op->node);
	off = op->pfn - dax_start(c, op->node);
	half = op->pages % sec ? sec / 2 : 0;
	n = (op->pages + half) / sec;
	for (unsigned j = 8; j-- > 0;)
		if (dax_order(c, j) == op->order)
			k = j;
	if (op->pfn < dax_start(c, op->node) || off % sec || off / sec > 7 || (op->pages + half) % sec || n < 1 ||
	    n > 8 || k == 8)
		return enc_err(e, "op %zu: dax_add pfn=0x%" PRIx64 " pages=0x%" PRIx64 " order=%u (sections 0-7 of the "
			       "node's device range, 1-8 sections or half a section less, the C byte's orders)", i,
			       op->pfn, op->pages, op->order);
	wr8(&e->w, op->node | (unsigned)op->altmap << 2 | (unsigned)(off / sec) << 3);
	wr8(&e->w, (unsigned)(n - 1) | k << 3 | (unsigned)(half != 0) << 6);
	return 0;
}

static int enc_args(struct encoder *e, size_t i, const struct hvo_op *op)
{
	if ((op->kind == HVO_OP_DAX_ADD || op->kind == HVO_OP_DAX_REMOVE) && e->s->config.gen != HVO_G3)
		return enc_err(e, "op %zu: %s on a G2 machine", i, hvo_op_kind_name(op->kind));
	switch (op->kind) {
	case HVO_OP_DAX_ADD:
		return enc_dax_add(e, i, op);
	case HVO_OP_ALLOC:
	case HVO_OP_ALLOC_BATCH:
		return enc_alloc(e, i, op);
	case HVO_OP_OPTIMIZE_BATCH:
	case HVO_OP_RESTORE_BATCH:
	case HVO_OP_FREE_BULK:
		return enc_batch(e, i, op);
	case HVO_OP_HWPOISON:
		return enc_folio_index(e, i, op, "hwpoison");
	case HVO_OP_DEMOTE:
		return enc_sel(e, i, op->f) || enc_order(e, i, op->order);
	case HVO_OP_DEMOTE_BATCH:
		return enc_batch(e, i, op) || enc_order(e, i, op->order);
	case HVO_OP_WALK:
		if (!op->by_folio)
			return enc_err(e, "op %zu: walk pfn= (walks are f= index=)", i);
		return enc_folio_index(e, i, op, "walk");
	case HVO_OP_ENABLE:
		if (op->n > 1)
			return enc_err(e, "op %zu: enable %u", i, op->n);
		wr8(&e->w, op->n);
		return 0;
	case HVO_OP_CHECK:
	case HVO_OP_HPAGE_WORK:
		return 0;
	case HVO_OP_INJECT:
	case HVO_OP_EXPECT:
		return enc_err(e, "op %zu: %s here", i, hvo_op_kind_name(op->kind));
	case HVO_OP_OFFLINE:
		/* text only: a new byte kind would change how every seed decodes */
		return enc_err(e, "op %zu: offline has no binary form", i);
	default:
		if ((unsigned)op->kind >= HVO_NR_OP_KINDS)
			return enc_err(e, "op %zu: unknown kind %d", i, (int)op->kind);
		return enc_sel(e, i, op->f);
	}
}

static int enc_inject(struct encoder *e, size_t i, const struct hvo_op *op)
{
	const struct hvo_inject *inj;
	unsigned w = 8;

	if (op->f >= e->s->nr_injects)
		return enc_err(e, "op %zu: inject without its racer", i);
	inj = &e->s->injects[op->f];
	for (unsigned k = 0; k < 8; k++)
		if (!strcmp(inj->where, where_table[k]))
			w = k;
	if (w == 8)
		return enc_err(e, "op %zu: inject where=%s (one of: get_tail get_tail.init get_tail.publish split_pmd "
			       "set_pte compound_head page_ref_add_unless, or none)", i, inj->where);
	if (inj->at < 0 || inj->at >= HVO_NR_SYNC_POINTS)
		return enc_err(e, "op %zu: inject at %d", i, inj->at);
	if (inj->hit < 1 || inj->hit > 256)
		return enc_err(e, "op %zu: inject hit=%" PRIu32 " (1 to 256)", i, inj->hit);
	if (inj->op.kind == HVO_OP_INJECT || inj->op.kind == HVO_OP_EXPECT)
		return enc_err(e, "op %zu: inject of %s", i, hvo_op_kind_name(inj->op.kind));
	wr8(&e->w, (unsigned)inj->at | w << 4);
	wr8(&e->w, inj->hit - 1);
	wr8(&e->w, byte_of(inj->op.kind, NR_NESTED_KINDS));
	return enc_args(e, i, &inj->op);
}

static int enc_ops(struct encoder *e)
{
	const struct hvo_opstream *s = e->s;

	if (s->nr_ops > HVO_OPS_BYTES_MAX_OPS)
		return enc_err(e, "%zu ops (at most %d)", s->nr_ops, HVO_OPS_BYTES_MAX_OPS);
	for (size_t i = 0; i < s->nr_ops; i++) {
		const struct hvo_op *op = &s->ops[i];

		if (op->kind == HVO_OP_EXPECT)
			return enc_err(e, "op %zu: expect (a fuzz input asserts only through the checker; "
				       "drop the expect lines)", i);
		wr8(&e->w, byte_of(op->kind, NR_BYTE_KINDS));
		if (op->kind == HVO_OP_INJECT ? enc_inject(e, i, op) : enc_args(e, i, op))
			return -1;
	}
	return 0;
}

int hvo_ops_encode_err(const struct hvo_opstream *s, uint8_t **out, size_t *len, char *err, size_t errlen)
{
	struct encoder e = { .s = s, .err = err, .errlen = errlen };
	struct hvo_opstream back;
	int rc;

	*out = NULL;
	*len = 0;
	if (err && errlen)
		err[0] = '\0';
	rc = s->expect_fail_inv >= 0 ? enc_err(&e, "'expect-fail' has no binary form") : enc_header(&e);
	if (!rc && config_orders(&s->config, &e.ord))
		rc = enc_err(&e, "invalid geometry");
	if (!rc)
		rc = enc_ops(&e);
	if (!rc && e.w.oom)
		rc = enc_err(&e, "out of memory");
	/* Anything the checks above let through but decode would not give back
	 * (a field an op kind does not use, say) is refused here. */
	if (!rc) {
		if (hvo_ops_decode(e.w.buf, e.w.len, &back))
			rc = enc_err(&e, "out of memory");
		else if (!hvo_ops_equal(s, &back))
			rc = enc_err(&e, "fields the binary form does not carry (arguments an op kind does not use?)");
		hvo_ops_free(&back);
	}
	if (rc) {
		free(e.w.buf);
		return -1;
	}
	*out = e.w.buf;
	*len = e.w.len;
	return 0;
}

int hvo_ops_encode(const struct hvo_opstream *s, uint8_t **out, size_t *len)
{
	return hvo_ops_encode_err(s, out, len, NULL, 0);
}
