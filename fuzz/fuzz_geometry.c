// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_geometry.c - the geometry fuzz target: the constants of spec 1.4, the
 * vmemmap sizes of 1.5 and the compound_info encodings of 1.2, over every
 * page shift, struct page size and order, checked against arithmetic done
 * here from the spec's formulas (not the core's code), through the public
 * API only (hvo_geometry_init, hvo_geo_*, and one small machine for
 * compound_head through real struct pages and the memmap counters).
 *
 * Input (every byte string decodes; missing bytes read as 0):
 *   byte 0  page shift: < 0xe0 picks 12/14/16 (byte % 3), else the raw
 *           value byte - 0xe0 (mostly refused shifts, which must be refused)
 *   byte 1  sizeof(struct page): bit 7 clear: 64 + 8 * (low 7 bits % 25),
 *           every supported size; set: (low 7 bits) * 4, any size, most
 *           of them refused
 *   byte 2  vmemmap base: bit 7 clear: the default base plus (low 7 bits)
 *           MAX_FOLIO_VMEMMAP_ALIGN steps; set: the default base plus
 *           (low 7 bits) + 1 pages, off that alignment (I16, B19)
 *   then up to 32 probes of 3 bytes: order (% (MAX_FOLIO_ORDER + 1)) and a
 *           16-bit offset into the folio (scaled up for big orders).
 *
 * The first probe with an order a small machine can hold (2 <= order,
 * MACHINE_MAX_MEMMAP) also runs on a machine: alloc with HVO off,
 * optimize, restore, with compound_head of its probed pages, the optimized
 * flag, the memmap counters (1.5: optimize frees N-1 pages, restore takes
 * them back, 2.9) and hvo_check after each step.
 *
 * A failed check prints the decoded input, what was expected and what came
 * back (and the machine's state dump), then aborts, like fuzz_ops.  The
 * campaign's mutants (HVO_MUTANTS) go into the machine: B19 makes it accept
 * a misaligned base, which the base check reports.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_target.h"
#include "hvo/hvo.h"

#define MAX_PROBES 32
#define DEFAULT_BASE 0xffffea0000000000ull
#define SZ_16G_SHIFT 34               /* ilog2(SZ_16G): MAX_FOLIO_ORDER, 1.4 */
/* The machine's folio: at most 32 KiB of struct pages (a 2 MiB folio on
 * 4K/64B), or two pages of them (the smallest optimizable order): the
 * model's cost grows with the number of struct pages. */
#define MACHINE_MAX_MEMMAP (32u << 10)

struct probe {
	unsigned order;
	uint64_t offset;
};

struct geo_case {
	unsigned page_shift, sps;
	unsigned base_steps;  /* byte 2, low 7 bits */
	bool base_off;        /* byte 2, bit 7 */
	unsigned nr_probes;
	struct probe probes[MAX_PROBES];
};

/* What the spec's formulas say, computed here. */
struct expect {
	bool valid, pow2;
	uint64_t page_size;
	unsigned reserve, min_order, max_order, nr_tails;
	uint64_t align, base;
};

static uint64_t campaign_mutants;
static const struct geo_case *cur;       /* for the failure report */
static const struct hvo_machine *cur_machine;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	campaign_mutants = fuzz_mutants_from_env("fuzz_geometry");
	fuzz_host_pool_init("fuzz_geometry");
	return 0;
}

static void dump_line(void *ctx, const char *line)
{
	fprintf(ctx, "  %s\n", line);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_geometry: FAILURE: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfuzz_geometry: input: page_shift=%u struct_page_size=%u base=%s%u probes:", cur->page_shift,
		cur->sps, cur->base_off ? "off+" : "align*", cur->base_steps);
	for (unsigned i = 0; i < cur->nr_probes; i++)
		fprintf(stderr, " %u/0x%" PRIx64, cur->probes[i].order, cur->probes[i].offset);
	fputc('\n', stderr);
	if (campaign_mutants) {
		fprintf(stderr, "fuzz_geometry: mutants:");
		for (int i = 0; i < HVO_NR_MUTANTS; i++)
			if (campaign_mutants >> i & 1)
				fprintf(stderr, " %s", hvo_mutant_info(i)->name);
		fputc('\n', stderr);
	}
	if (cur_machine) {
		fprintf(stderr, "fuzz_geometry: machine state:\n");
		hvo_dump(cur_machine, dump_line, stderr);
	}
	fflush(stderr);
	abort();
}

#define CHECK_EQ(what, got, want) do { \
	uint64_t g_ = (got), w_ = (want); \
	if (g_ != w_) \
		fail("%s is 0x%" PRIx64 ", spec says 0x%" PRIx64, what, g_, w_); \
} while (0)

static uint8_t byte_at(const uint8_t *d, size_t size, size_t i)
{
	return i < size ? d[i] : 0;
}

static void decode(const uint8_t *d, size_t size, struct geo_case *c)
{
	static const unsigned shifts[] = { 12, 14, 16 };
	uint8_t b0 = byte_at(d, size, 0), b1 = byte_at(d, size, 1), b2 = byte_at(d, size, 2);

	c->page_shift = b0 < 0xe0 ? shifts[b0 % 3] : b0 - 0xe0u;
	c->sps = b1 & 0x80 ? (b1 & 0x7fu) * 4 : 64 + 8 * ((b1 & 0x7fu) % 25);
	c->base_steps = b2 & 0x7fu;
	c->base_off = b2 & 0x80;
	c->nr_probes = 0;
	for (size_t i = 3; i < size && c->nr_probes < MAX_PROBES; i += 3) {
		struct probe *p = &c->probes[c->nr_probes++];

		p->order = byte_at(d, size, i);
		p->offset = (uint64_t)byte_at(d, size, i + 1) << 8 | byte_at(d, size, i + 2);
	}
}

static unsigned log2_floor(uint64_t v)
{
	return 63 - (unsigned)__builtin_clzll(v);
}

static void expect_from_spec(const struct geo_case *c, struct expect *e)
{
	e->valid = (c->page_shift == 12 || c->page_shift == 14 || c->page_shift == 16) && c->sps % 8 == 0 &&
		   c->sps >= 64 && c->sps <= 256;
	if (!e->valid)
		return;
	e->page_size = 1ull << c->page_shift;
	e->pow2 = __builtin_popcount(c->sps) == 1;
	/* HUGETLB_VMEMMAP_RESERVE_PAGES = PAGE_SIZE / sizeof(struct page) */
	e->reserve = (unsigned)(e->page_size / c->sps);
	/* VMEMMAP_TAIL_MIN_ORDER = ilog2(2 * PAGE_SIZE / sizeof(struct page)) */
	e->min_order = log2_floor(2 * e->page_size / c->sps);
	/* MAX_FOLIO_ORDER = ilog2(SZ_16G) - PAGE_SHIFT */
	e->max_order = SZ_16G_SHIFT - c->page_shift;
	e->nr_tails = e->max_order >= e->min_order ? e->max_order - e->min_order + 1 : 0;
	/* MAX_FOLIO_VMEMMAP_ALIGN: the struct pages of a 16 GiB folio; 0 unless a power of two */
	e->align = e->pow2 ? (1ull << SZ_16G_SHIFT) / e->page_size * c->sps : 0;
	if (c->base_off || !e->pow2)
		e->base = DEFAULT_BASE + (c->base_steps + (c->base_off ? 1 : 0)) * e->page_size;
	else
		e->base = DEFAULT_BASE + c->base_steps * e->align;
}

/* Spec 1.4 constants, and a refused geometry refused everywhere. */
static void check_constants(const struct geo_case *c, const struct expect *e, struct hvo_geometry *g)
{
	char err[HVO_ERR_LEN] = "";
	int rc = hvo_geometry_init(g, c->page_shift, c->sps, err, sizeof(err));

	if (!e->valid) {
		struct hvo_config cfg;

		if (rc != -HVO_EINVAL || !err[0])
			fail("hvo_geometry_init accepted an unsupported geometry (rc %d, '%s')", rc, err);
		hvo_config_default(&cfg);
		cfg.page_shift = c->page_shift;
		cfg.struct_page_size = c->sps;
		if (hvo_config_validate(&cfg, err, sizeof(err)) != -HVO_EINVAL)
			fail("hvo_config_validate accepted an unsupported geometry");
		return;
	}
	if (rc)
		fail("hvo_geometry_init refused a supported geometry: %s", err);
	CHECK_EQ("page_size", g->page_size, e->page_size);
	CHECK_EQ("sps_pow2", g->sps_pow2, e->pow2);
	if (e->pow2)
		CHECK_EQ("sps_shift", 1ull << g->sps_shift, c->sps);
	CHECK_EQ("HUGETLB_VMEMMAP_RESERVE_PAGES", g->reserve_pages, e->reserve);
	CHECK_EQ("VMEMMAP_TAIL_MIN_ORDER", g->tail_min_order, e->min_order);
	CHECK_EQ("MAX_FOLIO_ORDER", g->max_folio_order, e->max_order);
	CHECK_EQ("NR_VMEMMAP_TAILS", g->nr_vmemmap_tails, e->nr_tails);
	CHECK_EQ("MAX_FOLIO_VMEMMAP_ALIGN", g->max_folio_vmemmap_align, e->align);
	/* a page-table page holds PAGE_SIZE / 8 entries, each mapping a page */
	CHECK_EQ("PMD span", 1ull << g->pmd_shift, e->page_size / 8 * e->page_size);
}

static uint64_t probe_offset(const struct probe *p, unsigned order)
{
	/* Scale 16 bits over the folio; 0xffff is always the last page. */
	if (p->offset == 0xffff)
		return (1ull << order) - 1;
	return order >= 16 ? p->offset << (order - 16) : p->offset & ((1ull << order) - 1);
}

/* Spec 1.5 sizes and the 1.2 mask encoding for one order. */
static void check_order(const struct geo_case *c, const struct expect *e, const struct hvo_geometry *g,
			const struct probe *p, unsigned order)
{
	uint64_t bytes = (uint64_t)c->sps << order;  /* hugetlb_vmemmap_size() */
	uint64_t n = bytes / e->page_size;
	/* hugetlb_vmemmap_optimizable_size() != 0 */
	bool opt = e->pow2 && bytes > e->page_size;
	uint64_t head_pfn, pfn, vaddr, w, head;

	CHECK_EQ("vmemmap pages N", hvo_geo_vmemmap_pages(g, order), n);
	CHECK_EQ("optimizable", hvo_geo_optimizable(g, order), opt);
	CHECK_EQ("pages freed by HVO", hvo_geo_freed_pages(g, order), opt ? (bytes - e->page_size) / e->page_size : 0);
	if (!e->pow2)
		return;
	/* "only possible for page orders that fill two or more pages" */
	CHECK_EQ("optimizable == (order >= VMEMMAP_TAIL_MIN_ORDER)", opt, order >= e->min_order);
	/* mask: every bit from order + log2(sizeof) up, then the tail bit */
	w = (0 - bytes) | 1;
	CHECK_EQ("tail compound_info", hvo_geo_tail_info(g, order), w);
	if (c->base_off)
		return;  /* the mask resolves only on an aligned vmemmap (I16) */
	/* compound_head: a folio at a naturally aligned pfn, one of its pages */
	head_pfn = (0x5a5ull << e->max_order) + ((uint64_t)c->base_steps << order);
	pfn = head_pfn + probe_offset(p, order);
	vaddr = e->base + pfn * c->sps;
	w = pfn == head_pfn ? vaddr + 0x40 : hvo_geo_tail_info(g, order);  /* a head holds lru.next */
	head = vaddr & (((w & 1) - 1) | w);
	CHECK_EQ("compound_head by the mask", head, e->base + head_pfn * c->sps);
}

static void walk(struct hvo_machine *m, const struct hvo_folio_info *fi, uint64_t off, const char *when)
{
	struct hvo_page_view v;
	int rc = hvo_walk_pfn(m, fi->pfn + off, &v);

	if (rc)
		fail("walk of folio page %" PRIu64 " %s: rc %d", off, when, rc);
	if (v.head_pfn != fi->pfn || v.head != (off == 0) || v.tail != (off != 0))
		fail("%s, folio page %" PRIu64 ": compound_head pfn 0x%" PRIx64 " (folio 0x%" PRIx64 "), head %d tail %d",
		     when, off, v.head_pfn, fi->pfn, v.head, v.tail);
}

static void walk_probes(struct hvo_machine *m, const struct hvo_folio_info *fi, const struct geo_case *c,
			const char *when)
{
	walk(m, fi, 0, when);
	walk(m, fi, 1, when);
	walk(m, fi, (1ull << fi->order) - 1, when);
	for (unsigned i = 0; i < c->nr_probes; i++)
		walk(m, fi, probe_offset(&c->probes[i], fi->order), when);
	if (hvo_check(m))
		fail("hvo_check %s: I%d: %s", when, hvo_violation(m)->inv, hvo_violation(m)->msg);
}

static int64_t memmap_total(const struct hvo_machine *m)
{
	struct hvo_counters k;

	hvo_counters(m, &k);
	return k.memmap_pages + k.memmap_boot_pages;
}

static void info(const struct hvo_machine *m, int32_t id, struct hvo_folio_info *fi)
{
	if (hvo_folio_info(m, id, fi))
		fail("folio %d has no info", id);
}

/* One folio of this order through optimize and restore on a small machine. */
static void run_machine(const struct geo_case *c, const struct expect *e, unsigned order)
{
	uint64_t sec = 1ull << (hvo_section_shift(c->page_shift) - c->page_shift), nr = 2ull << order;
	bool opt = e->pow2 && ((uint64_t)c->sps << order) > e->page_size;
	uint64_t freed = opt ? ((uint64_t)c->sps << order) / e->page_size - 1 : 0;
	struct hvo_machine *m;
	struct hvo_folio_info fi;
	struct hvo_config cfg;
	char err[HVO_ERR_LEN];
	int64_t before;
	int32_t id;
	int rc;

	hvo_config_default(&cfg);
	cfg.page_shift = c->page_shift;
	cfg.struct_page_size = c->sps;
	cfg.nr_nodes = 1;
	cfg.node[0] = (struct hvo_node_config){ .start_pfn = 32 * sec, .nr_pages = (nr + sec - 1) / sec * sec };
	cfg.vmemmap_base = e->base;
	cfg.hvo_enabled = false;
	cfg.mutants = campaign_mutants;
	cfg.host_pool = fuzz_host_pool();
	rc = hvo_machine_create(&cfg, &m, err, sizeof(err));
	if (e->pow2 && c->base_off) {
		/* I16: sparse_init refuses a base off MAX_FOLIO_VMEMMAP_ALIGN */
		if (rc == 0) {
			cur_machine = m;
			fail("machine accepted vmemmap base 0x%" PRIx64 ", not aligned to MAX_FOLIO_VMEMMAP_ALIGN 0x%" PRIx64,
			     e->base, e->align);
		}
		return;
	}
	if (rc)
		fail("machine refused: %s", err);
	cur_machine = m;
	rc = hvo_folio_alloc(m, order, 0, -1, &id);
	if (rc)
		fail("alloc of an order-%u folio on an empty node: rc %d", order, rc);
	info(m, id, &fi);
	if (fi.pfn % (1ull << order) || fi.optimized)
		fail("fresh folio at pfn 0x%" PRIx64 " (order %u), optimized %d", fi.pfn, order, fi.optimized);
	walk_probes(m, &fi, c, "before optimize");
	before = memmap_total(m);
	hvo_set_enabled(m, true);
	rc = hvo_folio_optimize(m, id);
	if (rc)
		fail("optimize: rc %d", rc);
	info(m, id, &fi);
	CHECK_EQ("optimized flag after optimize", fi.optimized, opt);
	CHECK_EQ("memmap pages freed by optimize", before - memmap_total(m), freed);
	walk_probes(m, &fi, c, "after optimize");
	rc = hvo_folio_restore(m, id);
	if (rc)
		fail("restore: rc %d", rc);
	info(m, id, &fi);
	CHECK_EQ("optimized flag after restore", fi.optimized, 0);
	CHECK_EQ("memmap pages after restore", memmap_total(m), before);
	walk_probes(m, &fi, c, "after restore");
	cur_machine = NULL;
	hvo_machine_destroy(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct geo_case c;
	struct expect e;
	struct hvo_geometry g;

	decode(data, size, &c);
	cur = &c;
	cur_machine = NULL;
	expect_from_spec(&c, &e);
	check_constants(&c, &e, &g);
	if (!e.valid)
		return 0;
	for (unsigned i = 0; i < c.nr_probes; i++)
		c.probes[i].order %= e.max_order + 1;
	for (unsigned i = 0; i < c.nr_probes; i++)
		check_order(&c, &e, &g, &c.probes[i], c.probes[i].order);
	for (unsigned i = 0; i < c.nr_probes; i++) {
		unsigned o = c.probes[i].order;
		uint64_t bytes = (uint64_t)c.sps << o;

		if (o >= 2 && (bytes <= MACHINE_MAX_MEMMAP || bytes <= 2 * e.page_size)) {
			run_machine(&c, &e, o);
			break;
		}
	}
	return 0;
}
