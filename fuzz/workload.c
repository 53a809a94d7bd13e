// SPDX-License-Identifier: GPL-2.0-only
/*
 * workload.c - a deterministic random op stream from a seed.  Seed bit 63
 * picks the page shift, bit 62 a G3 machine with device DAX ranges and
 * hot-add/remove ops among the others, bit 61 a boot with bootmem gigantic
 * pages.
 *
 * Own PRNG (splitmix64), never rand(): the same seed gives the same stream
 * on every host and compiler.  The stream uses every op kind with plausible
 * parameters for the machine's geometry: orders around VMEMMAP_TAIL_MIN_ORDER
 * (where the shared-tail and the "too small to optimize" boundaries are),
 * now and then a 1 GiB folio, a few allocation-failure rules with small nth
 * so that rollback paths run, get/put, walks into folios, rare HVO on/off
 * toggles, batches and injected racers.
 */
#include <string.h>

#include "ops.h"

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	return hvo_splitmix64(&r->s);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? next(r) % n : 0;
}

/* true with probability num/den */
static bool chance(struct rng *r, unsigned num, unsigned den)
{
	return below(r, den) < num;
}

static unsigned ilog2(uint64_t v)
{
	unsigned k = 0;

	while (v >>= 1)
		k++;
	return k;
}

struct gen {
	struct rng r;
	struct hvo_opstream *s;
	bool g3;              /* seed bit 62: a G3 machine with device DAX ranges */
	unsigned nr_sites;    /* failure sites the stream may name */
	struct hvo_geometry geo;
	unsigned lo, hi;      /* usual order range */
	unsigned gigantic;    /* order of 1 GiB, 0 if no node holds one */
};

/* --------------------------------------------------------------- config */

/* Seeds with bit 63 set pick the page shift; node layout stays the same in bytes. */
static void pick_config(struct gen *g, uint64_t seed)
{
	static const unsigned shifts[] = { 12, 14, 16 };
	struct hvo_config *c = &g->s->config;
	unsigned shift = seed >> 63 ? shifts[below(&g->r, 3)] : 12;

	for (unsigned i = 0; i < c->nr_nodes && shift != c->page_shift; i++) {
		c->node[i].start_pfn = (c->node[i].start_pfn << c->page_shift) >> shift;
		c->node[i].nr_pages = (c->node[i].nr_pages << c->page_shift) >> shift;
		c->node[i].movable_start_pfn = (c->node[i].movable_start_pfn << c->page_shift) >> shift;
	}
	c->page_shift = shift;
	/* Seed bit 61: boot with two 1 GiB bootmem pages (spec 2.8), one in
	 * node 0's Normal zone and one at the start of node 1, which now and then
	 * crosses into Movable (the cross-zone fallback); either boot design. */
	if (seed >> 61 & 1) {
		unsigned giga = 30 - shift;

		c->nr_bootmem = 2;
		c->bootmem[0] = (struct hvo_bootmem){ (4ull << 30) >> shift, giga };
		c->bootmem[1] = (struct hvo_bootmem){ c->node[1].start_pfn, giga };
		if (chance(&g->r, 1, 2))
			c->node[1].movable_start_pfn = c->node[1].start_pfn + ((1ull << 29) >> shift);
		c->boot_design = chance(&g->r, 1, 2) ? HVO_BOOT_EARLY : HVO_BOOT_DEFERRED;
		/* seed bit 60: CONFIG_DEFERRED_STRUCT_PAGE_INIT off (D2) */
		c->no_deferred_init = seed >> 60 & 1;
	}
	/* G3 (seed bit 62): a 2 GiB device range per node from 64 GiB.  G2
	 * streams never see dax_vmemmap, so they stay what they were. */
	g->g3 = seed >> 62 & 1;
	g->nr_sites = g->g3 ? HVO_SITE_DAX_VMEMMAP + 1 : HVO_SITE_DAX_VMEMMAP;  /* not pmd_populate: seeds keep their streams */
	if (!g->g3)
		return;
	c->gen = HVO_G3;
	for (unsigned i = 0; i < c->nr_nodes; i++) {
		c->node[i].dax_start_pfn = ((64ull + 2 * i) << 30) >> shift;
		c->node[i].dax_nr_pages = (2ull << 30) >> shift;
	}
}

static int pick_orders(struct gen *g)
{
	const struct hvo_config *c = &g->s->config;
	unsigned fit = 63, giga = 30 - c->page_shift;
	char err[HVO_ERR_LEN];

	if (hvo_geometry_init(&g->geo, c->page_shift, c->struct_page_size, err, sizeof(err)))
		return -1;
	for (unsigned i = 0; i < c->nr_nodes; i++)
		if (ilog2(c->node[i].nr_pages) < fit)
			fit = ilog2(c->node[i].nr_pages);
	g->lo = g->geo.tail_min_order >= 2 ? g->geo.tail_min_order - 2 : 0;
	g->hi = g->geo.tail_min_order + 4;
	if (g->hi > fit)
		g->hi = fit;
	if (g->hi > g->geo.max_folio_order)
		g->hi = g->geo.max_folio_order;
	if (g->lo > g->hi)
		g->lo = g->hi;
	g->gigantic = giga <= fit && giga <= g->geo.max_folio_order ? giga : 0;
	return 0;
}

static void pick_fail_rule(struct gen *g)
{
	struct hvo_fail_policy *p = &g->s->fail;
	struct hvo_fail_rule *r = &p->rules[p->nr_rules++];
	unsigned k = (unsigned)below(&g->r, 16);

	if (k == 0) {
		/* counted over all sites: boot (memblock) calls come first */
		r->site = -1;
		r->nth = 1 + (uint32_t)below(&g->r, 4096);
	} else {
		/* memblock rarely: a failed boot ends the run at once */
		r->site = chance(&g->r, 1, 200) ? HVO_SITE_MEMBLOCK : 1 + (int)below(&g->r, g->nr_sites - 1);
		r->nth = 1 + (uint32_t)below(&g->r, 8);
	}
	k = (unsigned)below(&g->r, 10);
	r->repeat = k < 6 ? 1 : k < 9 ? 2 + (uint32_t)below(&g->r, 2) : 0;
}

static void pick_policy(struct gen *g)
{
	struct hvo_fail_policy *p = &g->s->fail;

	if (chance(&g->r, 1, 2)) {
		unsigned n = 1 + (unsigned)below(&g->r, 3);

		for (unsigned i = 0; i < n; i++)
			pick_fail_rule(g);
	}
	if (chance(&g->r, 1, 8)) {
		p->budget = (int64_t)below(&g->r, 16);
		p->budget_sites = (uint32_t)(1 + below(&g->r, (1u << g->nr_sites) - 1)) & ~(1u << HVO_SITE_MEMBLOCK);
	}
}

/* ------------------------------------------------------------------ ops */

static unsigned pick_order(struct gen *g)
{
	if (g->gigantic && chance(&g->r, 1, 40))
		return g->gigantic;
	return g->lo + (unsigned)below(&g->r, g->hi - g->lo + 1);
}

static uint32_t pick_sel(struct gen *g)
{
	return chance(&g->r, 1, 32) ? (uint32_t)next(&g->r) : (uint32_t)below(&g->r, 8);
}

static void gen_alloc(struct gen *g, struct hvo_op *op)
{
	op->order = pick_order(g);
	op->node = chance(&g->r, 1, 50) ? g->s->config.nr_nodes : (unsigned)below(&g->r, g->s->config.nr_nodes);
	op->zone = (int)below(&g->r, HVO_ZONE_DEVICE + 1) - 1;  /* any, or a zone the buddy serves */
	if (op->kind == HVO_OP_ALLOC_BATCH)
		op->n = (unsigned)below(&g->r, 6);
}

static int gen_batch(struct gen *g, struct hvo_op *op)
{
	uint32_t sel[HVO_OPS_MAX_BATCH];
	unsigned n = 1 + (unsigned)below(&g->r, 5);

	for (unsigned i = 0; i < n; i++)
		sel[i] = pick_sel(g);
	return hvo_ops_set_sel(g->s, op, sel, n);
}

static void gen_walk(struct gen *g, struct hvo_op *op)
{
	const struct hvo_node_config *nc;

	if (chance(&g->r, 4, 5)) {
		op->by_folio = true;
		op->f = pick_sel(g);
		op->index = chance(&g->r, 1, 4) ? next(&g->r) : below(&g->r, 1ull << g->hi);
		return;
	}
	nc = &g->s->config.node[below(&g->r, g->s->config.nr_nodes)];
	op->pfn = nc->start_pfn + below(&g->r, nc->nr_pages + 64);
}

static int gen_args(struct gen *g, struct hvo_op *op)
{
	switch (op->kind) {
	case HVO_OP_ALLOC:
	case HVO_OP_ALLOC_BATCH:
		gen_alloc(g, op);
		return 0;
	case HVO_OP_OPTIMIZE_BATCH:
	case HVO_OP_RESTORE_BATCH:
	case HVO_OP_FREE_BULK:
		return gen_batch(g, op);
	case HVO_OP_HWPOISON:
		op->f = pick_sel(g);
		op->index = below(&g->r, 1ull << g->hi);
		return 0;
	case HVO_OP_WALK:
		gen_walk(g, op);
		return 0;
	case HVO_OP_DEMOTE:
		op->f = pick_sel(g);
		op->order = pick_order(g);
		return 0;
	case HVO_OP_DEMOTE_BATCH:
		op->order = pick_order(g);
		return gen_batch(g, op);
	case HVO_OP_ENABLE:
		op->n = chance(&g->r, 3, 5);
		return 0;
	case HVO_OP_CHECK:
	case HVO_OP_HPAGE_WORK:
	case HVO_OP_INJECT:
	case HVO_OP_EXPECT:
		return 0;
	default:
		op->f = pick_sel(g);
		return 0;
	}
}

struct weight {
	enum hvo_op_kind kind;
	unsigned w;
};

static const struct weight top_weights[] = {
	{ HVO_OP_ALLOC, 14 }, { HVO_OP_ALLOC_BATCH, 5 }, { HVO_OP_OPTIMIZE, 8 }, { HVO_OP_RESTORE, 8 },
	{ HVO_OP_OPTIMIZE_BATCH, 4 }, { HVO_OP_RESTORE_BATCH, 4 }, { HVO_OP_FREE, 7 }, { HVO_OP_DISSOLVE, 4 },
	{ HVO_OP_DEMOTE, 4 }, { HVO_OP_GET, 6 }, { HVO_OP_PUT, 6 }, { HVO_OP_WALK, 12 }, { HVO_OP_ENABLE, 1 },
	{ HVO_OP_CHECK, 2 }, { HVO_OP_INJECT, 5 }, { HVO_OP_FREE_BULK, 3 }, { HVO_OP_HWPOISON, 2 },
	{ HVO_OP_HPAGE_WORK, 2 },
};

/* Racers: mostly the speculative walker, sometimes a mutating op. */
static const struct weight nested_weights[] = {
	{ HVO_OP_WALK, 10 }, { HVO_OP_GET, 2 }, { HVO_OP_PUT, 2 }, { HVO_OP_CHECK, 1 }, { HVO_OP_ALLOC, 3 },
	{ HVO_OP_OPTIMIZE, 2 }, { HVO_OP_RESTORE, 2 }, { HVO_OP_FREE, 1 }, { HVO_OP_ENABLE, 1 },
	{ HVO_OP_HWPOISON, 1 }, { HVO_OP_HPAGE_WORK, 1 },
};

static enum hvo_op_kind pick_kind(struct gen *g, const struct weight *w, size_t n)
{
	unsigned total = 0, x;

	for (size_t i = 0; i < n; i++)
		total += w[i].w;
	x = (unsigned)below(&g->r, total);
	for (size_t i = 0; i < n; i++) {
		if (x < w[i].w)
			return w[i].kind;
		x -= w[i].w;
	}
	return w[0].kind;
}

static const char *const where_prefixes[] = {
	"get_tail", "get_tail.publish", "compound_head", "split_pmd", "set_pte", "flush_tlb", "page_ref",
};

static int gen_inject(struct gen *g, struct hvo_op *op)
{
	struct hvo_op nested = { .kind = pick_kind(g, nested_weights, sizeof(nested_weights) / sizeof(nested_weights[0])) };
	struct hvo_inject *inj;

	if (gen_args(g, &nested))
		return -1;
	inj = hvo_ops_set_inject(g->s, op, &nested);
	if (!inj)
		return -1;
	inj->at = (int)below(&g->r, HVO_NR_SYNC_POINTS);
	inj->hit = 1 + (uint32_t)below(&g->r, 6);
	if (chance(&g->r, 1, 2))
		snprintf(inj->where, sizeof(inj->where), "%s",
			 where_prefixes[below(&g->r, sizeof(where_prefixes) / sizeof(where_prefixes[0]))]);
	return 0;
}

/*
 * A racer aimed at the shared-tail publication (2.2): an alloc armed to run
 * at get_tail's cmpxchg or while the new tail is initialised, followed by an
 * alloc of the same (order, node, zone).  Fresh (node, zone, order) pairs
 * are what makes it race, so the order is drawn from the optimizable range.
 * The same shape at page_table_lock races two splits of one vmemmap PMD
 * (neighbouring folios share it, B5).
 */
static int gen_tail_race(struct gen *g)
{
	static const struct { int at; const char *where; } points[] = {
		{ HVO_SP_CMPXCHG, "get_tail.publish" }, { HVO_SP_WRITE_ONCE, "get_tail.init" },
		{ HVO_SP_READ_ONCE, "get_tail" }, { HVO_SP_LOCK, "page_table_lock" },
	};
	struct hvo_op alloc = { .kind = HVO_OP_ALLOC }, *op;
	struct hvo_inject *inj;
	unsigned k = (unsigned)below(&g->r, sizeof(points) / sizeof(points[0])), lo = g->geo.tail_min_order;

	gen_alloc(g, &alloc);
	if (lo <= g->hi)
		alloc.order = lo + (unsigned)below(&g->r, g->hi - lo + 1);
	op = hvo_ops_add(g->s, HVO_OP_INJECT);
	inj = op ? hvo_ops_set_inject(g->s, op, &alloc) : NULL;
	if (!inj)
		return -1;
	inj->at = points[k].at;
	inj->hit = 1 + (uint32_t)below(&g->r, 2);
	snprintf(inj->where, sizeof(inj->where), "%s", points[k].where);
	if (chance(&g->r, 1, 4)) {
		alloc.kind = HVO_OP_ALLOC_BATCH;
		alloc.n = 1 + (unsigned)below(&g->r, 3);
	}
	op = hvo_ops_add(g->s, alloc.kind);
	if (!op)
		return -1;
	*op = alloc;
	return 0;
}

/*
 * G3: hot-add a few sections of a node's device range (sometimes past its
 * end, half a section short or self-hosted, which the core must refuse or
 * handle) with a compound order around the optimizable boundary, 2 MiB or
 * 1 GiB; or hot-remove a live range.
 */
static int gen_dax(struct gen *g)
{
	const struct hvo_config *c = &g->s->config;
	uint64_t sec = 1ull << (g->geo.section_shift - c->page_shift);
	unsigned min = g->geo.tail_min_order;
	const unsigned orders[] = { 0, min - 1, min, min + 1, 21 - c->page_shift, 30 - c->page_shift };
	struct hvo_op *op;

	if (chance(&g->r, 2, 5)) {
		op = hvo_ops_add(g->s, HVO_OP_DAX_REMOVE);
		if (op)
			op->f = pick_sel(g);
		return op ? 0 : -1;
	}
	op = hvo_ops_add(g->s, HVO_OP_DAX_ADD);
	if (!op)
		return -1;
	op->node = (unsigned)below(&g->r, c->nr_nodes);
	op->pfn = c->node[op->node].dax_start_pfn + below(&g->r, c->node[op->node].dax_nr_pages / sec) * sec;
	op->pages = (1 + below(&g->r, 4)) * sec - (chance(&g->r, 1, 20) ? sec / 2 : 0);
	op->order = orders[below(&g->r, sizeof(orders) / sizeof(orders[0]))];
	op->altmap = chance(&g->r, 1, 6);
	return 0;
}

/* Append one op (and an expect rc=0 after ops whose rc is known). */
static int gen_op(struct gen *g)
{
	struct hvo_op tmp, *op;

	if (g->g3 && chance(&g->r, 1, 6))
		return gen_dax(g);
	tmp = (struct hvo_op){ .kind = pick_kind(g, top_weights, sizeof(top_weights) / sizeof(top_weights[0])) };

	if (tmp.kind == HVO_OP_INJECT && chance(&g->r, 1, 3))
		return gen_tail_race(g);
	if (tmp.kind != HVO_OP_INJECT && gen_args(g, &tmp))
		return -1;
	op = hvo_ops_add(g->s, tmp.kind);
	if (!op)
		return -1;
	*op = tmp;
	if (tmp.kind == HVO_OP_INJECT && gen_inject(g, op))
		return -1;
	if ((tmp.kind == HVO_OP_ENABLE || tmp.kind == HVO_OP_INJECT || tmp.kind == HVO_OP_CHECK) &&
	    chance(&g->r, 1, 2) && g->s->nr_ops < HVO_OPS_MAX_OPS)
		return hvo_ops_add(g->s, HVO_OP_EXPECT) ? 0 : -1;  /* rc=0 */
	return 0;
}

int hvo_ops_random(uint64_t seed, unsigned nr_ops, struct hvo_opstream *out)
{
	struct gen g = { .r = { seed }, .s = out };

	hvo_ops_init(out);
	if (nr_ops > HVO_OPS_MAX_OPS)
		nr_ops = HVO_OPS_MAX_OPS;
	pick_config(&g, seed);
	if (pick_orders(&g))
		goto fail;
	pick_policy(&g);
	while (out->nr_ops < nr_ops)
		if (gen_op(&g))
			goto fail;
	out->nr_ops = nr_ops;  /* a trailing expect may have gone one past */
	return 0;
fail:
	hvo_ops_free(out);
	return -1;
}

/* splitmix64: the harness's one PRNG (never rand(): same numbers anywhere). */
uint64_t hvo_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
