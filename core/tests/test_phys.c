// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_phys.c - unit tests of the simulated physical memory (phys.c).
 * Standalone: only phys.c is linked, configs and geometry are filled by hand.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "phys.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define GIB(x) ((uint64_t)(x) << 30)

static int passed, failed;

static void check(bool ok, const char *what, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "FAIL line %d: %s", line, what);
	if (fmt && *fmt) {
		fprintf(stderr, ": ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "\n");
}
#define CHECK(c, ...) check((c), #c, __LINE__, "" __VA_ARGS__)
#define CHECK_EQ(a, b)                                                                            \
	do {                                                                                      \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);    \
		check(a_ == b_, #a " == " #b, __LINE__, "0x%llx != 0x%llx", a_, b_);              \
	} while (0)

static void consistent(const struct phys *p, int line)
{
	char err[256] = "";

	check(phys_check(p, err, sizeof(err)) == 0, "phys_check", line, "%s", err);
}
#define CONSISTENT(p) consistent((p), __LINE__)

static void geo(struct hvo_geometry *g, unsigned shift)
{
	memset(g, 0, sizeof(*g));
	g->page_shift = shift;
	g->page_size = 1ull << shift;
	g->struct_page_size = 64;
	g->max_folio_order = 34 - shift;
}

static void cfg_node(struct hvo_config *c, uint64_t start, uint64_t size, uint64_t movable, bool movable_only)
{
	struct hvo_node_config *n = &c->node[c->nr_nodes++];

	n->start_pfn = start >> c->page_shift;
	n->nr_pages = size >> c->page_shift;
	n->movable_start_pfn = movable >> c->page_shift;
	n->movable_only = movable_only;
}

static void cfg_init(struct hvo_config *c, unsigned shift)
{
	memset(c, 0, sizeof(*c));
	c->gen = HVO_G2;
	c->page_shift = shift;
	c->struct_page_size = 64;
}

/* Node 0 [3G,5G) DMA32+NORMAL, node 1 [5G,7G) NORMAL+MOVABLE, node 2 [8G,9G) movable-only. */
static struct phys *mk_three(struct hvo_geometry *g, unsigned shift)
{
	struct hvo_config c;
	struct phys *p;
	char err[256];

	cfg_init(&c, shift);
	geo(g, shift);
	cfg_node(&c, GIB(3), GIB(2), 0, false);
	cfg_node(&c, GIB(5), GIB(2), GIB(6), false);
	cfg_node(&c, GIB(8), GIB(1), 0, true);
	if (phys_create(&p, &c, g, err, sizeof(err))) {
		fprintf(stderr, "phys_create: %s\n", err);
		exit(2);
	}
	return p;
}

static uint64_t rng_next(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* ------------------------------------------------------------------ tests */

static void test_zones(unsigned shift)
{
	struct hvo_geometry g;
	struct phys *p = mk_three(&g, shift);
	uint64_t G = GIB(1) >> shift;

	CHECK_EQ(phys_total_frames(p), 5 * G);
	CHECK_EQ(phys_max_pfn(p), 9 * G);
	CHECK_EQ(phys_zone_of(p, 3 * G), HVO_ZONE_DMA32);
	CHECK_EQ(phys_zone_of(p, 4 * G - 1), HVO_ZONE_DMA32);
	CHECK_EQ(phys_zone_of(p, 4 * G), HVO_ZONE_NORMAL);
	CHECK_EQ(phys_zone_of(p, 5 * G - 1), HVO_ZONE_NORMAL);
	CHECK_EQ(phys_node_of(p, 5 * G - 1), 0);
	CHECK_EQ(phys_node_of(p, 5 * G), 1);
	CHECK_EQ(phys_zone_of(p, 5 * G), HVO_ZONE_NORMAL);
	CHECK_EQ(phys_zone_of(p, 6 * G - 1), HVO_ZONE_NORMAL);
	CHECK_EQ(phys_zone_of(p, 6 * G), HVO_ZONE_MOVABLE);
	CHECK_EQ(phys_zone_of(p, 7 * G - 1), HVO_ZONE_MOVABLE);
	CHECK_EQ(phys_zone_of(p, 8 * G), HVO_ZONE_MOVABLE);
	CHECK_EQ(phys_node_of(p, 9 * G - 1), 2);
	/* holes */
	CHECK_EQ(phys_zone_of(p, 0), -1);
	CHECK_EQ(phys_node_of(p, 3 * G - 1), -1);
	CHECK_EQ(phys_zone_of(p, 7 * G), -1);
	CHECK_EQ(phys_node_of(p, 8 * G - 1), -1);
	CHECK_EQ(phys_zone_of(p, 9 * G), -1);
	CHECK_EQ(phys_zone_of(p, UINT64_MAX), -1);
	CHECK(phys_zone_present(p, 0, HVO_ZONE_DMA32));
	CHECK(phys_zone_present(p, 0, HVO_ZONE_NORMAL));
	CHECK(!phys_zone_present(p, 0, HVO_ZONE_MOVABLE));
	CHECK(!phys_zone_present(p, 1, HVO_ZONE_DMA32));
	CHECK(phys_zone_present(p, 1, HVO_ZONE_NORMAL));
	CHECK(phys_zone_present(p, 1, HVO_ZONE_MOVABLE));
	CHECK(!phys_zone_present(p, 2, HVO_ZONE_DMA32));
	CHECK(!phys_zone_present(p, 2, HVO_ZONE_NORMAL));
	CHECK(phys_zone_present(p, 2, HVO_ZONE_MOVABLE));
	CHECK(!phys_zone_present(p, 3, HVO_ZONE_NORMAL));
	CHECK(!phys_zone_present(p, 0, -1));
	CHECK(!phys_zone_present(p, 0, HVO_NR_ZONES));
	phys_buddy_init(p);
	CHECK_EQ(phys_free_frames(p), 5 * G);
	CONSISTENT(p);
	phys_destroy(p);
}

/* kernelcore=mirror (issue 13 D11): node [3G,8G), mirrored [4G,5G) and
 * [6G,6.5G): DMA32 [3G,4G), NORMAL [4G,5G) and [6G,6.5G), MOVABLE
 * [5G,6G) and [6.5G,8G); NORMAL spans [4G,8G), MOVABLE [5G,8G). */
static void test_interleaved(unsigned shift)
{
	struct hvo_geometry g;
	struct hvo_config c;
	struct phys *p;
	char err[256];
	uint64_t G = GIB(1) >> shift, H = G / 2, s, e, pfn, got[64], nr = 0, seed = shift;
	/* in half GiB units */
	static const struct { int zone; uint64_t s, e; } runs[] = {
		{ HVO_ZONE_DMA32, 6, 8 }, { HVO_ZONE_NORMAL, 8, 10 }, { HVO_ZONE_MOVABLE, 10, 12 },
		{ HVO_ZONE_NORMAL, 12, 13 }, { HVO_ZONE_MOVABLE, 13, 16 },
	};

	cfg_init(&c, shift);
	geo(&g, shift);
	cfg_node(&c, GIB(3), GIB(5), 0, false);
	c.node[0].nr_mirror = 2;
	c.node[0].mirror[0] = (struct hvo_pfn_range){ 4 * G, G };
	c.node[0].mirror[1] = (struct hvo_pfn_range){ 6 * G, H };
	if (phys_create(&p, &c, &g, err, sizeof(err))) {
		fprintf(stderr, "phys_create: %s\n", err);
		exit(2);
	}
	/* the zone map: each run's first, middle and last pfn */
	for (unsigned i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		uint64_t lo = runs[i].s * H, hi = runs[i].e * H, at[3] = { lo, (lo + hi) / 2, hi - 1 };

		for (unsigned k = 0; k < 3; k++) {
			CHECK_EQ(phys_zone_of(p, at[k]), runs[i].zone);
			CHECK_EQ(phys_zone_run(p, at[k], &s, &e), runs[i].zone);
			CHECK_EQ(s, lo);
			CHECK_EQ(e, hi);
		}
	}
	CHECK_EQ(phys_zone_of(p, 6 * G + H - 1), HVO_ZONE_NORMAL);
	CHECK_EQ(phys_zone_of(p, 6 * G + H), HVO_ZONE_MOVABLE);
	CHECK_EQ(phys_zone_run(p, 8 * G, &s, &e), -1);
	/* the spans overlap, as adjust_zone_range_for_zone_movable leaves them */
	CHECK(phys_zone_span(p, 0, HVO_ZONE_NORMAL, &s, &e));
	CHECK_EQ(s, 4 * G);
	CHECK_EQ(e, 8 * G);
	CHECK(phys_zone_span(p, 0, HVO_ZONE_MOVABLE, &s, &e));
	CHECK_EQ(s, 5 * G);
	CHECK_EQ(e, 8 * G);
	CHECK(!phys_zone_span(p, 0, HVO_ZONE_DEVICE, &s, &e));
	phys_buddy_init(p);
	CHECK_EQ(phys_free_frames(p), 5 * G);
	/* one free block per run, two in [6.5G,8G): none crosses a run */
	CHECK_EQ(phys_nr_free_blocks(p), 6);
	CONSISTENT(p);
	/* 1 GiB blocks: NORMAL has one whole GiB, MOVABLE two */
	for (int z = HVO_ZONE_NORMAL; z <= HVO_ZONE_MOVABLE; z++) {
		unsigned n = 0;

		while (!phys_alloc(p, HVO_SITE_HUGETLB_FOLIO, 0, z, 30 - shift, PHYS_GFP_THISNODE, &pfn)) {
			CHECK_EQ(phys_zone_run(p, pfn, &s, &e), z);
			CHECK(pfn + G <= e, "block 0x%llx crosses a run", (unsigned long long)pfn);
			got[nr++] = pfn;
			n++;
		}
		CHECK_EQ(n, z == HVO_ZONE_NORMAL ? 1 : 2);
	}
	for (uint64_t i = 0; i < nr; i++)
		CHECK_EQ(phys_free(p, got[i], 30 - shift), 0);
	nr = 0;
	CONSISTENT(p);
	CHECK_EQ(phys_nr_free_blocks(p), 6);
	/* churn: every block any zone hands out lies inside one run */
	for (unsigned i = 0; i < 2000; i++) {
		unsigned o = (unsigned)(rng_next(&seed) % (31 - shift));
		int z = (int)(rng_next(&seed) % 3);

		if (nr < 64 && !phys_alloc(p, HVO_SITE_HUGETLB_FOLIO, 0, z, o, PHYS_GFP_ANYZONE, &pfn)) {
			int rz = phys_zone_run(p, pfn, &s, &e);

			CHECK(rz >= 0 && pfn + (1ull << o) <= e, "order %u block 0x%llx crosses a run", o,
			      (unsigned long long)pfn);
			got[nr++] = pfn << 6 | o;
		} else if (nr) {
			uint64_t k = rng_next(&seed) % nr;

			CHECK_EQ(phys_free(p, got[k] >> 6, (unsigned)(got[k] & 63)), 0);
			got[k] = got[--nr];
		}
	}
	while (nr--)
		CHECK_EQ(phys_free(p, got[nr] >> 6, (unsigned)(got[nr] & 63)), 0);
	phys_drain_pcp(p);
	CONSISTENT(p);
	CHECK_EQ(phys_free_frames(p), 5 * G);
	CHECK_EQ(phys_nr_free_blocks(p), 6);
	phys_destroy(p);
}

static void test_memblock(void)
{
	struct hvo_geometry g;
	struct hvo_config c;
	struct phys *p = mk_three(&g, 12), *q;
	uint64_t G = GIB(1) >> 12, a, b, d, e, booked;
	struct phys_alloc_info info;
	char err[256];

	/* top-down, size-aligned, alignment gaps left behind */
	CHECK_EQ(phys_memblock_alloc(p, HVO_SITE_MEMBLOCK, 0, 0, &a), 0);
	CHECK_EQ(a, 5 * G - 1);
	CHECK_EQ(phys_memblock_alloc(p, HVO_SITE_MEMBLOCK, 0, 9, &b), 0);
	CHECK_EQ(b, 5 * G - 1024);
	CHECK_EQ(phys_memblock_alloc(p, HVO_SITE_MEMBLOCK, 0, 0, &d), 0);
	CHECK_EQ(d, 5 * G - 1025);
	/* movable-only node 2 is redirected to node 0 */
	CHECK_EQ(phys_memblock_alloc(p, HVO_SITE_MEMBLOCK, 2, 0, &e), 0);
	CHECK_EQ(e, 5 * G - 1026);
	CHECK_EQ(phys_node_of(p, e), 0);
	CHECK_EQ(phys_memblock_alloc(p, HVO_SITE_MEMBLOCK, 1, 0, &e), 0);
	CHECK_EQ(e, 7 * G - 1);
	CHECK(phys_memblock_alloc(p, HVO_SITE_MEMBLOCK, 3, 0, &e) == -HVO_EINVAL);
	booked = 1 + 512 + 1 + 1 + 1;
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_MEMBLOCK), booked);
	CHECK(phys_lookup(p, b + 100, &info));
	CHECK(info.pfn == b && info.order == 9 && info.site == HVO_SITE_MEMBLOCK && info.origin == PHYS_ORIGIN_BOOT);
	CHECK(!phys_lookup(p, b + 512, &info)); /* alignment gap */
	{
		int nd = 7;

		/* one locate: the node comes back whether or not pfn is allocated */
		CHECK(phys_lookup_node(p, b + 100, &info, &nd) && nd == 0 && info.pfn == b && info.order == 9);
		CHECK(!phys_lookup_node(p, b + 512, &info, &nd) && nd == 0);
		CHECK(phys_lookup_node(p, 7 * G - 1, &info, &nd) && nd == 1 && info.pfn == 7 * G - 1);
		CHECK(!phys_lookup_node(p, 0, &info, &nd) && nd == -1);   /* below every node: a hole */
	}
	CHECK_EQ(phys_free_frames(p), 0);
	/* freeing boot memory before buddy_init: it simply becomes buddy memory later */
	CHECK_EQ(phys_free(p, d, 0), 0);
	booked--;
	CONSISTENT(p);
	phys_buddy_init(p);
	CONSISTENT(p);
	CHECK_EQ(phys_free_frames(p), 5 * G - booked);
	CHECK_EQ(phys_free_frames(p) + phys_frames_by_site(p, HVO_SITE_MEMBLOCK), phys_total_frames(p));
	CHECK(phys_memblock_alloc(p, HVO_SITE_MEMBLOCK, 0, 0, &e) == -HVO_EINVAL);
	CHECK(!phys_lookup(p, b + 512, &info));
	/* boot memory freed after buddy_init joins the buddy and coalesces */
	CHECK_EQ(phys_free(p, b, 9), 0);
	CHECK_EQ(phys_free(p, a, 0), 0);
	CHECK_EQ(phys_free(p, b, 9), -HVO_EINVAL);
	CHECK_EQ(phys_free_frames(p), 5 * G - 2);
	CONSISTENT(p);
	phys_destroy(p);

	/* no kernel node at all: the boot allocator has nowhere to go */
	cfg_init(&c, 12);
	cfg_node(&c, GIB(8), GIB(1), 0, true);
	CHECK_EQ(phys_create(&q, &c, &g, err, sizeof(err)), 0);
	CHECK_EQ(phys_memblock_alloc(q, HVO_SITE_MEMBLOCK, 0, 0, &e), -HVO_ENOMEM);
	phys_destroy(q);

	/* exhaust a small node: 1 GiB = 2^18 frames, then -ENOMEM */
	cfg_init(&c, 12);
	cfg_node(&c, GIB(1), GIB(1), 0, false);
	CHECK_EQ(phys_create(&q, &c, &g, err, sizeof(err)), 0);
	CHECK_EQ(phys_memblock_alloc(q, HVO_SITE_MEMBLOCK, 0, 0, &e), 0);
	CHECK_EQ(phys_memblock_alloc(q, HVO_SITE_MEMBLOCK, 0, 17, &e), 0);
	CHECK_EQ(e, GIB(1) >> 12); /* the top half but one frame stays a gap */
	CHECK_EQ(phys_memblock_alloc(q, HVO_SITE_MEMBLOCK, 0, 0, &e), -HVO_ENOMEM);
	phys_buddy_init(q);
	CHECK_EQ(phys_free_frames(q), (1u << 17) - 1);
	CONSISTENT(q);
	phys_destroy(q);

	/* memblock_reserve at fixed pfns (bootmem huge pages): refused when
	 * misaligned, outside memory or overlapping; the allocator steps
	 * around a reservation; freeing one before buddy_init returns it. */
	cfg_init(&c, 12);
	cfg_node(&c, GIB(1), GIB(1), 0, false);
	CHECK_EQ(phys_create(&q, &c, &g, err, sizeof(err)), 0);
	CHECK_EQ(phys_memblock_reserve(q, HVO_SITE_HUGETLB_FOLIO, (GIB(2) >> 12) - 512, 9), 0);
	CHECK_EQ(phys_memblock_reserve(q, HVO_SITE_HUGETLB_FOLIO, (GIB(2) >> 12) - 512, 9), -HVO_EINVAL);
	CHECK_EQ(phys_memblock_reserve(q, HVO_SITE_HUGETLB_FOLIO, (GIB(2) >> 12) - 256, 8), -HVO_EINVAL);
	CHECK_EQ(phys_memblock_reserve(q, HVO_SITE_HUGETLB_FOLIO, (GIB(1) >> 12) + 1, 9), -HVO_EINVAL);
	CHECK_EQ(phys_memblock_reserve(q, HVO_SITE_HUGETLB_FOLIO, GIB(2) >> 12, 9), -HVO_EINVAL);
	CHECK_EQ(phys_memblock_alloc(q, HVO_SITE_MEMBLOCK, 0, 0, &e), 0);
	CHECK_EQ(e, (GIB(2) >> 12) - 513);
	CHECK_EQ(phys_frames_by_site(q, HVO_SITE_HUGETLB_FOLIO), 512);
	CHECK_EQ(phys_free(q, (GIB(2) >> 12) - 512, 9), 0);
	phys_buddy_init(q);
	CHECK_EQ(phys_free_frames(q), (1u << 18) - 1);
	CONSISTENT(q);
	phys_destroy(q);
}

struct live { uint64_t pfn; unsigned order; };

/* Random allocs and frees; all freed at the end.  Returns the pfn trace hash. */
static uint64_t churn(struct phys *p, uint64_t seed, unsigned steps, bool verify)
{
	struct live *l = calloc(steps, sizeof(*l));
	unsigned n = 0;
	uint64_t trace = 1469598103934665603ull;

	for (unsigned i = 0; i < steps; i++) {
		uint64_t r = rng_next(&seed);

		if (n && r % 3 == 0) {
			unsigned k = (unsigned)(rng_next(&seed) % n);

			if (phys_free(p, l[k].pfn, l[k].order))
				CHECK(false, "free of a live block failed");
			l[k] = l[--n];
		} else {
			static const unsigned gfps[] = { PHYS_GFP_KERNEL, PHYS_GFP_ANYZONE, 0, PHYS_GFP_THISNODE,
							 PHYS_GFP_KERNEL | PHYS_GFP_THISNODE };
			unsigned order = (unsigned)(rng_next(&seed) % 12), gfp = gfps[rng_next(&seed) % 5];
			int zone = (int)(rng_next(&seed) % 4) - 1, site = 1 + (int)(rng_next(&seed) % 5);
			unsigned node = (unsigned)(rng_next(&seed) % 3);
			uint64_t pfn;

			if (phys_alloc(p, site, node, zone, order, gfp, &pfn) == 0) {
				if (verify) {
					CHECK((pfn & ((1ull << order) - 1)) == 0, "pfn 0x%llx order %u",
					      (unsigned long long)pfn, order);
					if (gfp & PHYS_GFP_KERNEL)
						CHECK(phys_zone_of(p, pfn) != HVO_ZONE_MOVABLE);
					if (!(gfp & PHYS_GFP_ANYZONE) && zone >= 0 && !(gfp & PHYS_GFP_KERNEL))
						CHECK(phys_zone_of(p, pfn) == zone);
					if (gfp & PHYS_GFP_THISNODE)
						CHECK(phys_node_of(p, pfn) == (int)node);
				}
				trace = (trace ^ pfn) * 1099511628211ull;
				l[n++] = (struct live){ pfn, order };
			} else {
				trace = (trace ^ 0xdead) * 1099511628211ull;
			}
		}
		if (verify && i % 500 == 0)
			CONSISTENT(p);
	}
	if (verify)
		CONSISTENT(p);
	while (n) {
		n--;
		if (phys_free(p, l[n].pfn, l[n].order))
			CHECK(false, "final free failed");
	}
	free(l);
	return trace;
}

static void test_churn(void)
{
	struct hvo_geometry g;
	struct phys *p = mk_three(&g, 12), *q = mk_three(&g, 12);
	uint64_t boot, f0, b0, t1, t2, t3;

	CHECK_EQ(phys_memblock_alloc(p, HVO_SITE_MEMBLOCK, 0, 9, &boot), 0);
	CHECK_EQ(phys_memblock_alloc(q, HVO_SITE_MEMBLOCK, 0, 9, &boot), 0);
	phys_buddy_init(p);
	phys_buddy_init(q);
	f0 = phys_free_frames(p);
	b0 = phys_nr_free_blocks(p);
	t1 = churn(p, 42, 4000, true);
	CHECK_EQ(phys_free_frames(p), f0);
	phys_drain_pcp(p); /* parked order-0 pages merge back */
	CHECK_EQ(phys_nr_free_blocks(p), b0);
	CONSISTENT(p);
	/* determinism: an identical machine gives the identical pfn sequence */
	t2 = churn(q, 42, 4000, false);
	CHECK_EQ(t1, t2);
	/* and the same machine, after everything coalesced back, too */
	t3 = churn(p, 42, 4000, false);
	phys_drain_pcp(p); /* parked order-0 pages merge back */
	CHECK_EQ(phys_nr_free_blocks(p), b0);
	(void)t3;
	for (int s = 1; s < HVO_NR_SITES; s++)
		CHECK_EQ(phys_frames_by_site(p, s), 0);
	phys_destroy(p);
	phys_destroy(q);
}

static void test_policy(void)
{
	struct hvo_geometry g;
	struct phys *p = mk_three(&g, 12);
	uint64_t G = GIB(1) >> 12, pfn, n0 = 0;
	int rc;

	phys_buddy_init(p);
	/* zone arguments */
	CHECK_EQ(phys_alloc(p, 1, 0, HVO_ZONE_DMA32, 0, 0, &pfn), 0);
	CHECK_EQ(phys_zone_of(p, pfn), HVO_ZONE_DMA32);
	CHECK_EQ(phys_alloc(p, 1, 0, -1, 0, PHYS_GFP_KERNEL, &pfn), 0);
	CHECK_EQ(phys_zone_of(p, pfn), HVO_ZONE_NORMAL);
	CHECK_EQ(phys_alloc(p, 1, 1, HVO_ZONE_MOVABLE, 0, PHYS_GFP_KERNEL, &pfn), 0);
	CHECK_EQ(phys_zone_of(p, pfn), HVO_ZONE_NORMAL);
	CHECK_EQ(phys_node_of(p, pfn), 1);
	CHECK_EQ(phys_alloc(p, 1, 1, -1, 0, PHYS_GFP_ANYZONE, &pfn), 0);
	CHECK_EQ(phys_zone_of(p, pfn), HVO_ZONE_MOVABLE);
	CHECK_EQ(phys_alloc(p, 1, 0, HVO_ZONE_DMA32, 0, PHYS_GFP_ANYZONE, &pfn), 0);
	CHECK_EQ(phys_zone_of(p, pfn), HVO_ZONE_DMA32);
	/* no flags: only the given zone (node 1 has no DMA32, falls back to node 2? no: node 2 has none either) */
	CHECK_EQ(phys_alloc(p, 1, 1, HVO_ZONE_DMA32, 0, PHYS_GFP_THISNODE, &pfn), -HVO_ENOMEM);
	CHECK_EQ(phys_alloc(p, 1, 1, HVO_ZONE_DMA32, 0, 0, &pfn), 0);
	CHECK_EQ(phys_node_of(p, pfn), 0); /* wrapped around: 1, 2, 0 */
	CHECK_EQ(phys_alloc(p, 1, 2, HVO_ZONE_NORMAL, 0, 0, &pfn), 0);
	CHECK_EQ(phys_node_of(p, pfn), 0); /* 2 has no NORMAL, next is 0 */
	CHECK_EQ(phys_alloc(p, 1, 2, -1, 0, PHYS_GFP_KERNEL | PHYS_GFP_THISNODE, &pfn), -HVO_ENOMEM);
	/* bad arguments */
	CHECK_EQ(phys_alloc(p, 1, 3, -1, 0, PHYS_GFP_KERNEL, &pfn), -HVO_EINVAL);
	CHECK_EQ(phys_alloc(p, 1, 0, 3, 0, 0, &pfn), -HVO_EINVAL);
	CHECK_EQ(phys_alloc(p, HVO_NR_SITES, 0, -1, 0, PHYS_GFP_KERNEL, &pfn), -HVO_EINVAL);
	CHECK_EQ(phys_alloc(p, 1, 0, -1, g.max_folio_order + 1, PHYS_GFP_ANYZONE, &pfn), -HVO_ENOMEM);

	/* THISNODE: exhaust node 0's kernel zones, then fail; without it, node 1 */
	while ((rc = phys_alloc(p, 2, 0, -1, 9, PHYS_GFP_KERNEL | PHYS_GFP_THISNODE, &pfn)) == 0) {
		n0++;
		if (phys_node_of(p, pfn) != 0 || phys_zone_of(p, pfn) == HVO_ZONE_MOVABLE)
			CHECK(false, "THISNODE allocation off node 0");
	}
	CHECK_EQ(rc, -HVO_ENOMEM);
	CHECK(n0 > 1000);
	CHECK_EQ(phys_alloc(p, 2, 0, -1, 9, PHYS_GFP_KERNEL, &pfn), 0);
	CHECK_EQ(phys_node_of(p, pfn), 1);
	CONSISTENT(p);
	/* GFP_KERNEL never MOVABLE: drain all kernel memory of every node */
	while (phys_alloc(p, 3, 2, HVO_ZONE_MOVABLE, 0, PHYS_GFP_KERNEL, &pfn) == 0)
		if (phys_zone_of(p, pfn) == HVO_ZONE_MOVABLE) {
			CHECK(false, "GFP_KERNEL returned MOVABLE");
			break;
		}
	CHECK_EQ(phys_free_frames(p), 2 * G - 1); /* node 1 and 2 MOVABLE, minus one ANYZONE page */
	CHECK_EQ(phys_alloc(p, 3, 0, -1, 0, PHYS_GFP_ANYZONE, &pfn), 0);
	CHECK_EQ(phys_zone_of(p, pfn), HVO_ZONE_MOVABLE);
	CHECK_EQ(phys_node_of(p, pfn), 1);
	CHECK_EQ(phys_free_frames(p) + phys_frames_by_site(p, 1) + phys_frames_by_site(p, 2) +
		 phys_frames_by_site(p, 3), phys_total_frames(p));
	CONSISTENT(p);
	phys_destroy(p);
}

static int collect(void *ctx, const struct phys_alloc_info *a)
{
	struct phys_alloc_info **v = ctx;

	*(*v)++ = *a;
	return 0;
}

static int stop_at_2(void *ctx, const struct phys_alloc_info *a)
{
	(void)a;
	return ++*(int *)ctx == 2 ? 7 : 0;
}

static void test_free_split_lookup(void)
{
	struct hvo_geometry g;
	struct phys *p = mk_three(&g, 12);
	struct phys_alloc_info info, all[64], *w = all;
	uint64_t f0, b0, a, b, c, x;
	int cnt = 0;

	phys_buddy_init(p);
	f0 = phys_free_frames(p);
	b0 = phys_nr_free_blocks(p);
	CHECK_EQ(phys_alloc(p, HVO_SITE_HUGETLB_FOLIO, 0, -1, 5, PHYS_GFP_KERNEL, &a), 0);
	CHECK_EQ(phys_alloc(p, HVO_SITE_PTE_TABLE, 0, -1, 0, PHYS_GFP_KERNEL, &b), 0);
	CHECK_EQ(phys_alloc(p, HVO_SITE_HEAD_COPY, 0, -1, 4, PHYS_GFP_KERNEL, &c), 0);
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_HUGETLB_FOLIO), 32);
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_PTE_TABLE), 1);
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_HEAD_COPY), 16);
	CHECK_EQ(phys_frames_by_site(p, -1), 0);
	CHECK_EQ(phys_free_frames(p), f0 - 49);
	/* lookup */
	CHECK(phys_lookup(p, a + 31, &info));
	CHECK(info.pfn == a && info.order == 5 && info.site == HVO_SITE_HUGETLB_FOLIO &&
	      info.origin == PHYS_ORIGIN_BUDDY);
	CHECK(phys_lookup(p, b, &info) && info.pfn == b && info.order == 0);
	CHECK(!phys_lookup(p, 0, &info));
	for (x = a + 32; phys_lookup(p, x, &info); x++)
		;
	CHECK(!phys_lookup(p, x, NULL));
	/* for_each in ascending order, stop value */
	CHECK_EQ(phys_for_each_alloc(p, collect, &w), 0);
	CHECK_EQ(w - all, 3);
	CHECK(all[0].pfn < all[1].pfn && all[1].pfn < all[2].pfn);
	CHECK_EQ(phys_for_each_alloc(p, stop_at_2, &cnt), 7);
	/* bad frees */
	CHECK_EQ(phys_free(p, a, 4), -HVO_EBUSY);      /* inside the order-5 block (I23) */
	CHECK_EQ(phys_free(p, a, 6), -HVO_EINVAL);
	CHECK_EQ(phys_free(p, a + 1, 0), -HVO_EBUSY);
	CHECK_EQ(phys_free(p, x, 0), -HVO_EINVAL);
	CHECK_EQ(phys_free(p, a, 5), 0);
	CHECK_EQ(phys_free(p, a, 5), -HVO_EINVAL); /* double free */
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_HUGETLB_FOLIO), 0);
	/* split: 16 order-0 allocations, same site; the old order no longer frees */
	CHECK_EQ(phys_split(p, c, 4), 0);
	CHECK_EQ(phys_split(p, c, 4), -HVO_EINVAL);
	CHECK_EQ(phys_split(p, c + 1, 0), 0); /* order 0 split is a no-op */
	CHECK_EQ(phys_free(p, c, 4), -HVO_EINVAL);
	for (unsigned i = 0; i < 16; i++)
		CHECK(phys_lookup(p, c + i, &info) && info.pfn == c + i && info.order == 0 &&
		      info.site == HVO_SITE_HEAD_COPY);
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_HEAD_COPY), 16);
	CONSISTENT(p);
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(phys_free(p, c + 15 - i, 0), 0);
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_HEAD_COPY), 0);
	/* split_to (demote): an order-9 block into 8 order-6 blocks, bytes kept */
	CHECK_EQ(phys_alloc(p, HVO_SITE_HUGETLB_FOLIO, 0, -1, 9, PHYS_GFP_KERNEL, &a), 0);
	CHECK(phys_frame(p, a + 130, true) != NULL);
	CHECK_EQ(phys_split_to(p, a, 9, 10), -HVO_EINVAL);
	CHECK_EQ(phys_split_to(p, a, 8, 6), -HVO_EINVAL);
	CHECK_EQ(phys_split_to(p, a, 9, 6), 0);
	CHECK(phys_lookup(p, a + 130, &info) && info.pfn == a + 128 && info.order == 6 &&
	      info.site == HVO_SITE_HUGETLB_FOLIO);
	CHECK(phys_frame(p, a + 130, false) != NULL);
	CHECK_EQ(phys_free(p, a, 9), -HVO_EINVAL);
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_HUGETLB_FOLIO), 512);
	CONSISTENT(p);
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(phys_free(p, a + 64 * i, 6), 0);
	CHECK(phys_frame(p, a + 130, false) == NULL);
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_HUGETLB_FOLIO), 0);
	CHECK_EQ(phys_free(p, b, 0), 0);
	CHECK_EQ(phys_free_frames(p), f0);
	phys_drain_pcp(p); /* parked order-0 pages merge back */
	CHECK_EQ(phys_nr_free_blocks(p), b0);
	CONSISTENT(p);
	phys_destroy(p);
}

/* Returns the signal that killed a child writing to buf, or 0. */
static int write_in_child(volatile uint8_t *buf)
{
	struct rlimit no_core = { 0, 0 };
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		buf[7] = 1;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void test_frames(void)
{
	struct hvo_geometry g;
	struct phys *p = mk_three(&g, 12);
	uint64_t a, big, spfn;
	uint8_t *b0, *b1, *b2;

	phys_buddy_init(p);
	CHECK_EQ(phys_alloc(p, 1, 0, -1, 2, PHYS_GFP_KERNEL, &a), 0);
	CHECK(phys_frame(p, a - 1, true) == NULL); /* free frame */
	CHECK(phys_frame(p, 0, true) == NULL);     /* hole */
	CHECK(phys_frame(p, a + 1, false) == NULL);
	b0 = phys_frame(p, a + 1, true);
	CHECK(b0 != NULL && ((uintptr_t)b0 & 4095) == 0);
	memset(b0, 0xab, g.page_size);
	CHECK(phys_frame(p, a + 1, false) == b0);
	CHECK(phys_frame(p, a + 1, true) == b0);
	b1 = phys_frame(p, a + 3, true);
	CHECK(b1 != NULL && b1 != b0);
	memset(b1, 0xcd, g.page_size);
	CHECK(phys_frame(p, a, false) == NULL);
	/* seal */
	CHECK(!phys_frame_sealed(p, a + 1));
	CHECK_EQ(phys_frame_seal(p, a + 1), 0);
	CHECK_EQ(phys_frame_seal(p, a + 1), 0);
	CHECK_EQ(phys_frame_seal(p, a), -HVO_EINVAL);
	CHECK(phys_frame_sealed(p, a + 1));
	CHECK(!phys_frame_sealed(p, a + 3));
	CHECK(b0[100] == 0xab); /* still readable */
	spfn = 0;
	CHECK(phys_addr_in_sealed_frame(p, b0 + 100, &spfn) && spfn == a + 1);
	CHECK(phys_addr_in_sealed_frame(p, b0 + g.page_size - 1, NULL));
	CHECK(!phys_addr_in_sealed_frame(p, b0 + g.page_size, NULL) || b0 + g.page_size == b1);
	CHECK(!phys_addr_in_sealed_frame(p, b1 + 1, NULL));
	CHECK(!phys_addr_in_sealed_frame(p, b0 - 1, NULL));
	CHECK_EQ(write_in_child(b0), SIGSEGV);
	CHECK_EQ(write_in_child(b1), 0);
	CONSISTENT(p);
	CHECK_EQ(phys_frame_unseal(p, a + 1), 0);
	CHECK(!phys_frame_sealed(p, a + 1));
	CHECK(!phys_addr_in_sealed_frame(p, b0 + 100, NULL));
	b0[5] = 1;
	CHECK_EQ(write_in_child(b0), 0);
	/* freeing drops the bytes (sealed ones unsealed first) and recycles them FIFO */
	CHECK_EQ(phys_frame_seal(p, a + 1), 0);
	CHECK_EQ(phys_frame_seal(p, a + 3), 0);
	CHECK_EQ(phys_free(p, a, 2), 0);
	CHECK(!phys_addr_in_sealed_frame(p, b0 + 100, NULL));
	CHECK(!phys_addr_in_sealed_frame(p, b1 + 100, NULL));
#ifdef TEST_ASAN
	CHECK(__asan_address_is_poisoned(b0 + 10));
	CHECK(__asan_address_is_poisoned(b1 + 10));
#endif
	CHECK_EQ(phys_alloc(p, 1, 0, -1, 2, PHYS_GFP_KERNEL, &a), 0);
	CHECK(phys_frame(p, a + 1, false) == NULL);
	b2 = phys_frame(p, a, true);
	CHECK(b2 != b0 && b2 != b1); /* FIFO: the just-dropped ones wait their turn */
	memset(b2, 0, g.page_size);  /* writable */
	b2 = phys_frame(p, a + 2, true);
	CHECK(b2 != b0 && b2 != b1);
	memset(b2, 0, g.page_size);
	CONSISTENT(p);
	/* a gigantic block with a few frames: dropped via the frame table */
	CHECK_EQ(phys_alloc(p, 1, 1, -1, 18, PHYS_GFP_ANYZONE, &big), 0);
	for (unsigned i = 0; i < 3; i++) {
		uint8_t *b = phys_frame(p, big + i * 1000, true);

		CHECK(b != NULL);
		if (b)
			memset(b, (int)i, g.page_size);
	}
	CHECK_EQ(phys_frame_seal(p, big + 1000), 0);
	/* many frames to exceed the recycle cache (leaks would show under LSan) */
	for (unsigned i = 3; i < 200; i++)
		CHECK(phys_frame(p, big + i * 1000, true) != NULL);
	CHECK_EQ(phys_free(p, big, 18), 0);
	CHECK(!phys_addr_in_sealed_frame(p, NULL, NULL));
	CHECK(phys_frame(p, a + 1, false) == NULL);
	CHECK(phys_frame(p, a, false) != NULL);
	CONSISTENT(p);
	/* destroy with a sealed live frame */
	CHECK_EQ(phys_frame_seal(p, a), 0);
	phys_destroy(p);
}

/* A frame-table page whose frames all lost their bytes goes back to the
 * host and reads as frames without bytes; frames made there again work.  A
 * buffer dropped on one node and taken by another (the shared ring) may be
 * sealed there and still destroyed cleanly. */
static void test_frame_chunks(void)
{
	struct hvo_geometry g;
	struct phys *p = mk_three(&g, 12);
	uint64_t a, b, c, before, full, after;

	phys_buddy_init(p);
	CHECK_EQ(phys_alloc(p, 1, 1, -1, 12, PHYS_GFP_ANYZONE, &a), 0);
	CHECK_EQ(phys_alloc(p, 1, 1, -1, 0, PHYS_GFP_ANYZONE, &b), 0);
	CHECK(phys_frame(p, b, true) != NULL);  /* a frame that stays */
	before = phys_frame_table_resident(p);
	for (unsigned i = 0; i < 4096; i++) {
		uint8_t *x = phys_frame(p, a + i, true);

		CHECK(x != NULL);
		if (x)
			memset(x, (int)i, 64);
	}
	full = phys_frame_table_resident(p);
	CHECK(before != UINT64_MAX && full != UINT64_MAX);
	CHECK_EQ(phys_split(p, a, 12), 0);
	for (unsigned i = 0; i < 4096; i++)
		CHECK_EQ(phys_free(p, a + i, 0), 0);
	after = phys_frame_table_resident(p);
	/* the 4096 frames' 16 table pages were written just now, then emptied */
	CHECK(after + 4096 * 16 / 4096 <= full, "%llu resident after the drop, %llu with the frames",
	      (unsigned long long)after, (unsigned long long)full);
	CHECK(phys_frame(p, b, false) != NULL);
	CHECK(phys_frame(p, a + 5, false) == NULL);
	CONSISTENT(p);
	/* the same pages again, on node 0 buffers dropped by node 1 */
	CHECK_EQ(phys_alloc(p, 1, 1, -1, 12, PHYS_GFP_ANYZONE, &a), 0);
	for (unsigned i = 0; i < 4096; i += 7) {
		uint8_t *x = phys_frame(p, a + i, true);

		CHECK(x != NULL && phys_frame(p, a + i, false) == x);
	}
	CHECK_EQ(phys_alloc(p, 1, 0, -1, 0, PHYS_GFP_KERNEL, &c), 0);
	CHECK(phys_frame(p, c, true) != NULL);
	CHECK_EQ(phys_frame_seal(p, c), 0);
	CHECK_EQ(phys_frame_seal(p, a), 0);
	CONSISTENT(p);
	phys_destroy(p);  /* sealed frames of both nodes, arenas of one */
}

/* Hash stress: thousands of split pages freed in random order, and a big
 * block's frames dropped through the frame table while another block's stay. */
/* 2^17 order-0 records on one node: the record table passes 65,536 slots
 * and grows at load 3/4 from there; lookups, a backward-shift delete per
 * free in random order, and the merge back must all hold up. */
static void test_hash_big(void)
{
	struct hvo_geometry g;
	struct phys *p = mk_three(&g, 12);
	const unsigned nr = 1u << 17;
	uint64_t f0, b0, a, seed = 11, *perm = malloc(nr * sizeof(*perm));
	struct phys_alloc_info info;
	unsigned bad = 0;
	int nd;

	CHECK(perm != NULL);
	if (!perm)
		return;
	phys_buddy_init(p);
	f0 = phys_free_frames(p);
	b0 = phys_nr_free_blocks(p);
	CHECK_EQ(phys_alloc(p, 1, 0, -1, 17, PHYS_GFP_KERNEL, &a), 0);
	CHECK_EQ(phys_split(p, a, 17), 0);
	CONSISTENT(p);
	for (unsigned i = 0; i < nr; i++) {
		perm[i] = a + i;
		bad += !phys_lookup_node(p, a + i, &info, &nd) || info.pfn != a + i || info.order || nd != 0;
	}
	CHECK_EQ(bad, 0);
	for (unsigned i = nr - 1; i > 0; i--) {
		unsigned j = (unsigned)(rng_next(&seed) % (i + 1));
		uint64_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (unsigned i = 0; i < nr; i++) {
		bad += phys_free(p, perm[i], 0) != 0;
		if (i % (nr / 4) == 0)
			CONSISTENT(p);
	}
	CHECK_EQ(bad, 0);
	phys_drain_pcp(p);
	CHECK_EQ(phys_free_frames(p), f0);
	CHECK_EQ(phys_nr_free_blocks(p), b0);
	CONSISTENT(p);
	free(perm);
	phys_destroy(p);
}

static void test_hash_stress(void)
{
	struct hvo_geometry g;
	struct phys *p = mk_three(&g, 12);
	uint64_t f0, b0, a, b, seed = 7, perm[4096];
	uint8_t *keep[100];

	phys_buddy_init(p);
	f0 = phys_free_frames(p);
	b0 = phys_nr_free_blocks(p);
	CHECK_EQ(phys_alloc(p, 1, 0, -1, 12, PHYS_GFP_KERNEL, &a), 0);
	CHECK_EQ(phys_split(p, a, 12), 0);
	CONSISTENT(p);
	for (unsigned i = 0; i < 4096; i++)
		perm[i] = a + i;
	for (unsigned i = 4095; i > 0; i--) {
		unsigned j = (unsigned)(rng_next(&seed) % (i + 1));
		uint64_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (unsigned i = 0; i < 4096; i++) {
		if (phys_free(p, perm[i], 0))
			CHECK(false, "free of split page 0x%llx", (unsigned long long)perm[i]);
		if (i % 1024 == 0)
			CONSISTENT(p);
	}
	CHECK_EQ(phys_free_frames(p), f0);
	phys_drain_pcp(p); /* parked order-0 pages merge back */
	CHECK_EQ(phys_nr_free_blocks(p), b0);
	CONSISTENT(p);

	CHECK_EQ(phys_alloc(p, 1, 0, -1, 12, PHYS_GFP_KERNEL, &a), 0);
	CHECK_EQ(phys_alloc(p, 1, 0, -1, 12, PHYS_GFP_KERNEL, &b), 0);
	for (unsigned i = 0; i < 100; i++) {
		CHECK(phys_frame(p, a + i * 37, true) != NULL);
		keep[i] = phys_frame(p, b + i * 41, true);
		CHECK(keep[i] != NULL);
		if (i % 3 == 0)
			CHECK_EQ(phys_frame_seal(p, a + i * 37), 0);
		if (i % 5 == 0)
			CHECK_EQ(phys_frame_seal(p, b + i * 41), 0);
	}
	CONSISTENT(p);
	CHECK_EQ(phys_free(p, a, 12), 0); /* 4096 frames > 200 with bytes: table walk */
	CONSISTENT(p);
	for (unsigned i = 0; i < 100; i++) {
		CHECK(phys_frame(p, b + i * 41, false) == keep[i]);
		CHECK_EQ(phys_frame_sealed(p, b + i * 41), i % 5 == 0);
	}
	CHECK_EQ(phys_free(p, b, 12), 0);
	CHECK_EQ(phys_free_frames(p), f0);
	phys_drain_pcp(p); /* parked order-0 pages merge back */
	CHECK_EQ(phys_nr_free_blocks(p), b0);
	CONSISTENT(p);
	phys_destroy(p);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void test_terabyte(void)
{
	struct hvo_geometry g;
	struct hvo_config c;
	struct phys *p;
	uint64_t pfns[1025], x, f0, b0;
	double t0, t1, t2;
	char err[256];
	unsigned n = 0;

	cfg_init(&c, 12);
	geo(&g, 12);
	cfg_node(&c, 0, 1ull << 40, 0, false);
	t0 = now();
	CHECK_EQ(phys_create(&p, &c, &g, err, sizeof(err)), 0);
	phys_buddy_init(p);
	t1 = now();
	CHECK_EQ(phys_total_frames(p), 1ull << 28);
	CHECK_EQ(phys_free_frames(p), 1ull << 28);
	b0 = phys_nr_free_blocks(p);
	f0 = phys_free_frames(p);
	CHECK(b0 < 100, "%llu free blocks", (unsigned long long)b0);
	CHECK(t1 - t0 < 0.05, "%.3f ms", (t1 - t0) * 1e3);
	/* 1024 x 1 GiB: exactly the machine */
	while (n < 1025 && phys_alloc(p, HVO_SITE_HUGETLB_FOLIO, 0, -1, 18, PHYS_GFP_ANYZONE, &pfns[n]) == 0) {
		if (pfns[n] & ((1u << 18) - 1))
			CHECK(false, "misaligned 1G block");
		n++;
	}
	CHECK_EQ(n, 1024);
	CHECK_EQ(phys_free_frames(p), 0);
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_HUGETLB_FOLIO), 1ull << 28);
	CHECK(phys_lookup(p, 12345678, NULL));
	CHECK(phys_frame(p, pfns[7] + 99, true) != NULL);
	CONSISTENT(p);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(phys_free(p, pfns[i], 18), 0);
	t2 = now();
	CHECK_EQ(phys_free_frames(p), f0);
	phys_drain_pcp(p); /* parked order-0 pages merge back */
	CHECK_EQ(phys_nr_free_blocks(p), b0);
	CHECK(!phys_lookup(p, 12345678, NULL));
	CHECK_EQ(phys_alloc(p, 1, 0, -1, 22, PHYS_GFP_KERNEL, &x), 0);
	CHECK_EQ(phys_zone_of(p, x), HVO_ZONE_NORMAL);
	CONSISTENT(p);
	phys_destroy(p);
	printf("test_phys: 1 TiB create+buddy_init %.1f us (%llu free blocks); 1024 x 1 GiB alloc+free %.1f ms\n",
	       (t1 - t0) * 1e6, (unsigned long long)b0, (t2 - t1) * 1e3);
}

static void test_bad_create(void)
{
	struct hvo_geometry g;
	struct hvo_config c;
	struct phys *p = (struct phys *)1;
	char err[256];

	geo(&g, 12);
	cfg_init(&c, 12);
	CHECK_EQ(phys_create(&p, &c, &g, err, sizeof(err)), -HVO_EINVAL); /* no nodes */
	CHECK(p == NULL);
	cfg_node(&c, GIB(1), GIB(2), 0, false);
	cfg_node(&c, GIB(2), GIB(2), 0, false);
	CHECK_EQ(phys_create(&p, &c, &g, err, sizeof(err)), -HVO_EINVAL); /* overlap */
	CHECK(strstr(err, "overlap") != NULL);
	cfg_init(&c, 12);
	cfg_node(&c, GIB(4), GIB(2), 0, false);
	c.node[0].nr_mirror = HVO_MAX_MIRROR + 1;
	CHECK_EQ(phys_create(&p, &c, &g, err, sizeof(err)), -HVO_EINVAL); /* past mirror[] */
	CHECK(strstr(err, "mirror") != NULL);
	phys_destroy(NULL);
}

/* Order-0 frees park on the zone's pcp list and come back first; an
 * allocation that needs them merged drains the lists. */
static void test_pcp(void)
{
	struct hvo_geometry g;
	struct phys *p = mk_three(&g, 12);
	uint64_t a, b, c, big, f0;

	phys_buddy_init(p);
	f0 = phys_free_frames(p);
	CHECK_EQ(phys_alloc(p, 1, 0, HVO_ZONE_NORMAL, 0, 0, &a), 0);
	CHECK_EQ(phys_alloc(p, 1, 0, HVO_ZONE_NORMAL, 0, 0, &b), 0);
	CHECK_EQ(phys_free(p, a, 0), 0);
	CHECK_EQ(phys_free_frames(p), f0 - 1);
	CHECK(!phys_lookup(p, a, NULL));
	CHECK_EQ(phys_free(p, a, 0), -HVO_EINVAL);   /* a parked page is not allocated */
	CHECK_EQ(phys_alloc(p, 2, 0, HVO_ZONE_NORMAL, 0, 0, &c), 0);
	CHECK_EQ(c, a);                               /* last parked, first out */
	CHECK_EQ(phys_free(p, c, 0), 0);
	CHECK_EQ(phys_free(p, b, 0), 0);
	CONSISTENT(p);
	CHECK(phys_drain_pcp(p));
	CHECK(!phys_drain_pcp(p));
	CHECK_EQ(phys_free_frames(p), f0);
	CONSISTENT(p);
	/* node 0's NORMAL zone is one 1 GiB block: a parked page split from it
	 * must be drained for the whole block to be had */
	CHECK_EQ(phys_alloc(p, 1, 0, HVO_ZONE_NORMAL, 0, 0, &a), 0);
	CHECK_EQ(phys_free(p, a, 0), 0);
	CHECK_EQ(phys_alloc(p, 1, 0, HVO_ZONE_NORMAL, 18, PHYS_GFP_THISNODE, &big), 0);
	CHECK_EQ(big, GIB(4) >> 12);
	CONSISTENT(p);
	phys_destroy(p);
}

/* memmap_on_memory (TRACEABILITY D4): memblock never takes from a hot-added
 * node; its altmap pages are order-0 ALTMAP records the buddy never gets;
 * only a hot-added node takes them. */
static void test_altmap(void)
{
	struct hvo_geometry g;
	struct hvo_config c;
	struct phys *p;
	struct phys_alloc_info info;
	uint64_t G = GIB(1) >> 12, sec = 1ull << (27 - 12), e;
	char err[256];

	cfg_init(&c, 12);
	geo(&g, 12);
	cfg_node(&c, GIB(3), GIB(2), 0, false);
	cfg_node(&c, GIB(5), GIB(1), 0, false);
	c.node[1].memmap_on_memory = true;
	if (phys_create(&p, &c, &g, err, sizeof(err))) {
		fprintf(stderr, "phys_create: %s\n", err);
		exit(2);
	}
	CHECK_EQ(phys_memblock_alloc(p, HVO_SITE_MEMBLOCK, 1, 0, &e), 0);
	CHECK_EQ(phys_node_of(p, e), 0);  /* redirected, as for movable-only */
	CHECK(phys_altmap_reserve(p, 3 * G, 512) == -HVO_EINVAL);  /* node 0 is not hot-added */
	for (uint64_t s = 5 * G; s < 6 * G; s += sec)
		CHECK_EQ(phys_altmap_reserve(p, s, 512), 0);
	CHECK(phys_lookup(p, 5 * G + 511, &info));
	CHECK(info.pfn == 5 * G + 511 && info.order == 0 && info.origin == PHYS_ORIGIN_ALTMAP);
	CHECK(!phys_lookup(p, 5 * G + 512, &info));
	phys_buddy_init(p);
	CONSISTENT(p);
	/* every frame of node 1 but its 8 sections' 512 altmap pages is free */
	CHECK_EQ(phys_free_frames(p), 2 * G - 1 + G - 8 * 512);
	CHECK(phys_altmap_reserve(p, 5 * G + sec, 1) == -HVO_EINVAL);  /* after buddy init */
	phys_destroy(p);
}

/* split_page() (TRACEABILITY D4, I23): a non-compound order-9 block from
 * the buddy frees only whole until it is split; a page inside it is
 * refused with -EBUSY and nothing moves; after phys_split each of its 512
 * pages is an order-0 allocation of its own (site and origin kept) that
 * frees alone, once. */
static void test_split_page(void)
{
	struct hvo_geometry g;
	struct phys *p = mk_three(&g, 12);
	struct phys_alloc_info info;
	uint64_t f0, a;

	phys_buddy_init(p);
	f0 = phys_free_frames(p);
	CHECK_EQ(phys_alloc(p, HVO_SITE_MEMBLOCK, 0, -1, 9, PHYS_GFP_KERNEL, &a), 0);
	CHECK_EQ(phys_free(p, a + 7, 0), -HVO_EBUSY);
	CHECK_EQ(phys_free(p, a, 0), -HVO_EBUSY);    /* the head alone: the rest would leak */
	CHECK_EQ(phys_free(p, a + 256, 8), -HVO_EBUSY);
	CHECK_EQ(phys_free_frames(p), f0 - 512);
	CHECK(phys_lookup(p, a + 7, &info) && info.pfn == a && info.order == 9);
	CONSISTENT(p);
	CHECK_EQ(phys_split(p, a, 9), 0);
	for (unsigned i = 0; i < 512; i++)
		CHECK(phys_lookup(p, a + i, &info) && info.pfn == a + i && info.order == 0 &&
		      info.site == HVO_SITE_MEMBLOCK && info.origin == PHYS_ORIGIN_BUDDY);
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_MEMBLOCK), 512);
	CHECK_EQ(phys_free(p, a + 7, 0), 0);
	CHECK_EQ(phys_free(p, a + 7, 0), -HVO_EINVAL);   /* a double free is not I23 */
	CHECK_EQ(phys_free(p, a, 9), -HVO_EINVAL);       /* the old order frees nothing */
	CHECK_EQ(phys_free_frames(p), f0 - 511);
	CONSISTENT(p);
	for (unsigned i = 0; i < 512; i++)
		if (i != 7)
			CHECK_EQ(phys_free(p, a + i, 0), 0);
	phys_drain_pcp(p);
	CHECK_EQ(phys_free_frames(p), f0);
	CHECK_EQ(phys_frames_by_site(p, HVO_SITE_MEMBLOCK), 0);
	CONSISTENT(p);
	phys_destroy(p);
}

/* A node hot-added with memmap_on_memory=0 (config hotplug): memblock
 * never takes from it, the buddy has none of it until phys_online_node
 * (online_pages), so an allocation asked of it falls back to the next node
 * with memory; online, all of it is free. */
static void test_online(void)
{
	struct hvo_geometry g;
	struct hvo_config c;
	struct phys *p;
	uint64_t G = GIB(1) >> 12, e, x;
	char err[256];

	cfg_init(&c, 12);
	geo(&g, 12);
	cfg_node(&c, GIB(3), GIB(2), 0, false);
	cfg_node(&c, GIB(5), GIB(1), 0, false);
	c.node[1].hotplug = true;
	if (phys_create(&p, &c, &g, err, sizeof(err))) {
		fprintf(stderr, "phys_create: %s\n", err);
		exit(2);
	}
	CHECK_EQ(phys_memblock_alloc(p, HVO_SITE_MEMBLOCK, 1, 0, &e), 0);
	CHECK_EQ(phys_node_of(p, e), 0);
	CHECK(phys_online_node(p, 1) == -HVO_EINVAL);   /* before buddy init */
	phys_buddy_init(p);
	CONSISTENT(p);
	CHECK(phys_node_online(p, 0) && !phys_node_online(p, 1));
	CHECK_EQ(phys_free_frames(p), 2 * G - 1);
	CHECK_EQ(phys_node_of(p, 5 * G), 1);            /* its pfns exist */
	CHECK_EQ(phys_alloc(p, HVO_SITE_MEMBLOCK, 1, -1, 9, PHYS_GFP_KERNEL, &x), 0);
	CHECK_EQ(phys_node_of(p, x), 0);
	CHECK(phys_online_node(p, 0) == -HVO_EINVAL);   /* never offline */
	CHECK_EQ(phys_online_node(p, 1), 0);
	CHECK(phys_online_node(p, 1) == -HVO_EINVAL);
	CHECK(phys_node_online(p, 1));
	CHECK_EQ(phys_free_frames(p), 3 * G - 1 - 512);
	CONSISTENT(p);
	CHECK_EQ(phys_alloc(p, HVO_SITE_HUGETLB_FOLIO, 1, -1, 9, PHYS_GFP_KERNEL | PHYS_GFP_THISNODE, &x), 0);
	CHECK_EQ(phys_node_of(p, x), 1);
	CONSISTENT(p);
	/* offline_pages: isolated, nothing is served from it; an allocation
	 * living there is -EBUSY; empty, its memory leaves the buddy */
	phys_isolate_node(p, 1, true);
	CHECK_EQ(phys_alloc(p, HVO_SITE_HEAD_COPY, 1, -1, 0, PHYS_GFP_KERNEL, &e), 0);
	CHECK_EQ(phys_node_of(p, e), 0);
	CHECK(phys_alloc(p, HVO_SITE_HEAD_COPY, 1, -1, 0, PHYS_GFP_KERNEL | PHYS_GFP_THISNODE, &e) == -HVO_ENOMEM);
	CHECK(phys_offline_node(p, 1) == -HVO_EBUSY);
	CHECK_EQ(phys_free(p, x, 9), 0);
	CHECK_EQ(phys_offline_node(p, 1), 0);
	CHECK(!phys_node_online(p, 1));
	CHECK(phys_offline_node(p, 1) == -HVO_EINVAL);
	CHECK_EQ(phys_free_frames(p), 2 * G - 1 - 512 - 1);
	CONSISTENT(p);
	phys_isolate_node(p, 1, false);
	CHECK(phys_alloc(p, HVO_SITE_HEAD_COPY, 1, -1, 0, PHYS_GFP_KERNEL | PHYS_GFP_THISNODE, &e) == -HVO_ENOMEM);
	phys_destroy(p);
}

int main(void)
{
	test_zones(12);
	test_zones(14);
	test_zones(16);
	test_interleaved(12);
	test_interleaved(16);
	test_memblock();
	test_altmap();
	test_split_page();
	test_online();
	test_churn();
	test_pcp();
	test_policy();
	test_free_split_lookup();
	test_frames();
	test_frame_chunks();
	test_hash_stress();
	test_hash_big();
	test_terabyte();
	test_bad_create();
	printf("test_phys: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
