// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_ops_bytes.c - tests of the op stream's binary form (ops_bytes.c):
 *
 * - totality: random byte strings of many lengths (0 and 1 included), each
 *   in a buffer of exactly its size (ASan sees any read past it), decode;
 *   the config is accepted by hvo_machine_create (refused exactly when the
 *   stream expects a setup error), and the correct model runs it clean;
 * - determinism: decoding twice gives equal streams, running twice the same
 *   digest;
 * - round trips: decode(encode(s)) == s for streams using every op kind
 *   (and every nestable kind under inject) and every header field, and
 *   encode(decode(x)) decodes back to decode(x) for random x;
 * - text: a decoded stream printed and parsed back is equal;
 * - what has no binary form is refused with a reason;
 * - with a directory argument (corpus/fuzz_ops): every NAME.bin is the
 *   encoding of NAME.ops, runs clean, and the seeds use every op kind.
 *
 * Last line: "test_ops_bytes: N passed, N failed".
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* Each input runs with the checker after every op, which reads every struct
 * page of every live folio: about 10 ms per input, 3x that under ASan. */
#define RANDOM_INPUTS 600

static unsigned passed, failed;

static bool check(bool ok, const char *what, ...) __attribute__((format(printf, 2, 3)));
static bool check(bool ok, const char *what, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return true;
	}
	failed++;
	fputs("FAIL: ", stdout);
	va_start(ap, what);
	vprintf(what, ap);
	va_end(ap);
	fputc('\n', stdout);
	return false;
}

/* Many checks per input: count them once per group, report each failure. */
struct group {
	unsigned bad;
	const char *name;
};

static void gcheck(struct group *g, bool ok, const char *what, ...) __attribute__((format(printf, 3, 4)));
static void gcheck(struct group *g, bool ok, const char *what, ...)
{
	va_list ap;

	if (ok)
		return;
	if (g->bad++ < 10) {
		printf("FAIL: %s: ", g->name);
		va_start(ap, what);
		vprintf(what, ap);
		va_end(ap);
		fputc('\n', stdout);
	}
}

static void gdone(struct group *g, unsigned n)
{
	check(!g->bad, "%s: %u of %u inputs failed", g->name, g->bad, n);
}

/* ---------------------------------------------------------------- helpers */

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	return hvo_splitmix64(&r->s);
}

static char *print_str(const struct hvo_opstream *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f || hvo_ops_print(s, f))
		abort();
	fclose(f);
	return buf;
}

/* A copy in a buffer of exactly len bytes (NULL for len 0: decode must cope). */
static uint8_t *exact_copy(const uint8_t *data, size_t len)
{
	uint8_t *p;

	if (!len)
		return NULL;
	p = malloc(len);
	if (!p)
		abort();
	memcpy(p, data, len);
	return p;
}

static int decode(const uint8_t *data, size_t len, struct hvo_opstream *s)
{
	uint8_t *copy = exact_copy(data, len);
	int rc = hvo_ops_decode(copy, len, s);

	free(copy);
	return rc;
}

static bool config_accepted(const struct hvo_opstream *s, char *err, size_t errlen)
{
	struct hvo_machine *m = NULL;
	int rc = hvo_machine_create(&s->config, &m, err, errlen);

	hvo_machine_destroy(m);
	return rc == 0;
}

/* Encode s, decode the bytes, compare.  Returns true when equal. */
static bool encode_round_trip(const struct hvo_opstream *s, char *err, size_t errlen)
{
	struct hvo_opstream back;
	uint8_t *bytes;
	size_t len;
	bool eq;

	if (hvo_ops_encode_err(s, &bytes, &len, err, errlen))
		return false;
	if (decode(bytes, len, &back)) {
		free(bytes);
		snprintf(err, errlen, "decode failed");
		return false;
	}
	eq = hvo_ops_equal(s, &back);
	if (!eq)
		snprintf(err, errlen, "decode(encode(s)) differs from s");
	free(bytes);
	hvo_ops_free(&back);
	return eq;
}

static bool text_round_trip(const struct hvo_opstream *s, char *err, size_t errlen)
{
	struct hvo_opstream back;
	char *text = print_str(s);
	bool eq;

	if (hvo_ops_parse(text, strlen(text), "decoded", &back, err, errlen)) {
		free(text);
		return false;
	}
	eq = hvo_ops_equal(s, &back);
	if (!eq)
		snprintf(err, errlen, "parse(print(s)) differs from s");
	free(text);
	hvo_ops_free(&back);
	return eq;
}

/* ---------------------------------------------------------------- totality */

/* Lengths: every one up to 80 (four times), then a spread up to 3000 (past
 * the op cap). */
static size_t pick_len(struct rng *r, unsigned i)
{
	if (i < 81 * 4)
		return i / 4;
	switch (next(r) % 10) {
	case 0: return 1000 + next(r) % 2000;
	case 1: case 2: return 280 + next(r) % 700;
	default: return 80 + next(r) % 200;
	}
}

/* Byte styles: uniform, mostly small, mostly zero, runs of one value. */
static void fill(struct rng *r, uint8_t *buf, size_t len)
{
	unsigned style = (unsigned)(next(r) % 4);
	uint8_t run = (uint8_t)next(r);

	for (size_t i = 0; i < len; i++) {
		uint64_t x = next(r);

		switch (style) {
		case 0: buf[i] = (uint8_t)x; break;
		case 1: buf[i] = (uint8_t)(x % 8); break;
		case 2: buf[i] = x % 5 ? 0 : (uint8_t)(x >> 8); break;
		default: buf[i] = x % 7 ? run : (uint8_t)(x >> 8); break;
		}
	}
}

static void test_random_inputs(unsigned n)
{
	struct group g_dec = { .name = "decode" }, g_det = { .name = "decode twice" },
		     g_cfg = { .name = "config accepted" }, g_run = { .name = "run clean" },
		     g_enc = { .name = "encode(decode(x)) round trip" }, g_txt = { .name = "text round trip" },
		     g_digest = { .name = "run twice, same digest" };
	struct rng r = { 0x5eed0b17e5ull };
	uint8_t *buf = malloc(4096);
	uint64_t kinds = 0, ops = 0, setup_errors = 0;
	char err[512];

	if (!buf)
		abort();
	for (unsigned i = 0; i < n; i++) {
		size_t len = pick_len(&r, i);
		struct hvo_opstream a, b;
		struct hvo_run_result res, res2;
		bool ok;

		fill(&r, buf, len);
		if (decode(buf, len, &a)) {
			gcheck(&g_dec, false, "input %u (%zu bytes): decode failed", i, len);
			continue;
		}
		gcheck(&g_dec, a.nr_ops <= HVO_OPS_BYTES_MAX_OPS, "input %u: %zu ops", i, a.nr_ops);
		if (!decode(buf, len, &b)) {
			gcheck(&g_det, hvo_ops_equal(&a, &b), "input %u (%zu bytes): two decodes differ", i, len);
			hvo_ops_free(&b);
		}
		ok = config_accepted(&a, err, sizeof(err));
		gcheck(&g_cfg, ok != a.expect_setup_error, "input %u: config %s: %s", i,
		       ok ? "accepted but expects a setup error" : "refused", err);
		setup_errors += a.expect_setup_error;
		hvo_ops_run(&a, 0, &res, NULL);
		gcheck(&g_run, res.status == 0, "input %u (%zu bytes): status %d: %s", i, len, res.status, res.reason);
		if (i % 16 == 0) {
			hvo_ops_run(&a, 0, &res2, NULL);
			gcheck(&g_digest, res.digest == res2.digest && res.status == res2.status, "input %u", i);
		}
		gcheck(&g_enc, encode_round_trip(&a, err, sizeof(err)), "input %u (%zu bytes): %s", i, len, err);
		gcheck(&g_txt, text_round_trip(&a, err, sizeof(err)), "input %u (%zu bytes): %s", i, len, err);
		for (size_t k = 0; k < a.nr_ops; k++)
			kinds |= 1ull << a.ops[k].kind;
		ops += a.nr_ops;
		hvo_ops_free(&a);
	}
	free(buf);
	gdone(&g_dec, n);
	gdone(&g_det, n);
	gdone(&g_cfg, n);
	gdone(&g_run, n);
	gdone(&g_digest, (n + 15) / 16);
	gdone(&g_enc, n);
	gdone(&g_txt, n);
	check(kinds == (((1ull << HVO_NR_OP_KINDS) - 1) & ~(1ull << HVO_OP_EXPECT | 1ull << HVO_OP_OFFLINE)),
	      "random inputs decode to every kind but expect and offline (mask 0x%" PRIx64 ")", kinds);
	check(setup_errors > 0 && setup_errors < n / 4, "misaligned-base inputs are rare but present (%" PRIu64
	      " of %u)", setup_errors, n);
	printf("random inputs: %u, %" PRIu64 " ops decoded, %" PRIu64 " expecting a setup error\n", n, ops,
	       setup_errors);
}

/* -------------------------------------------------------------- fixed cases */

static void test_empty_and_version(void)
{
	static const uint8_t one[] = { 1 }, body[] = { 1, 0x55, 0x08, 0x13, 0x21, 0x04, 0x00, 0x41, 0x07, 0x00, 0x01,
						       0x02, 0x0b, 0x05, 0x9f, 0x00, 0x22 };
	struct hvo_opstream a, b;
	const struct hvo_config *c = &a.config;
	uint8_t other[sizeof(body)];
	int rc;

	check(!hvo_ops_decode(NULL, 0, &a), "the empty input decodes");
	check(c->page_shift == 12 && c->struct_page_size == 64 && c->hvo_enabled && c->nr_nodes == 1 &&
	      c->node[0].start_pfn == 0 && c->node[0].nr_pages == 2 * 32768 && !c->node[0].movable_start_pfn &&
	      !c->vmemmap_base && a.fail.nr_rules == 0 && a.fail.budget == -1 && a.nr_ops == 0 &&
	      !a.expect_setup_error, "the empty input: 4K pages, 64-byte struct page, one 256 MiB node, no ops");
	rc = decode(one, 1, &b);
	check(!rc && hvo_ops_equal(&a, &b), "a lone version byte decodes as the empty input");
	hvo_ops_free(&a);
	hvo_ops_free(&b);
	check(hvo_ops_bytes_version(body, sizeof(body)) == HVO_OPS_VERSION && hvo_ops_bytes_version(NULL, 0) == 0,
	      "hvo_ops_bytes_version reads byte 0");
	memcpy(other, body, sizeof(body));
	other[0] = 0xee;
	rc = decode(body, sizeof(body), &a);
	rc |= decode(other, sizeof(other), &b);
	check(!rc && hvo_ops_equal(&a, &b) && a.nr_ops > 0, "an unknown version byte decodes as version %d",
	      HVO_OPS_VERSION);
	hvo_ops_free(&a);
	hvo_ops_free(&b);
}

static void test_op_cap(void)
{
	uint8_t buf[5 + 1000];
	struct hvo_opstream a;
	int rc;

	memset(buf, HVO_OP_CHECK, sizeof(buf));
	memset(buf, 0, 5);  /* version 0, G, F, N0, N1 */
	rc = decode(buf, sizeof(buf), &a);
	check(!rc && a.nr_ops == HVO_OPS_BYTES_MAX_OPS,
	      "ops stop at %d per input (got %zu)", HVO_OPS_BYTES_MAX_OPS, a.nr_ops);
	hvo_ops_free(&a);
}

/* The memory cap of ops_bytes.c's header: for every G and F byte and the
 * largest node bytes, the struct pages a decoded machine describes (its
 * nodes and device ranges) stay within 288 MiB, the huge node's within
 * 136 MiB (its device range in G3 included). */
static void test_memory_cap(void)
{
	static const uint8_t n0s[] = { 0x0e, 0xfe, 0xff }, n1s[] = { 0xc0, 0xdf, 0xff };
	uint64_t worst = 0, worst_huge = 0;
	unsigned bad = 0;

	for (unsigned g = 0; g < 256; g++)
		for (unsigned f = 0; f < 0x88; f += f == 7 ? 0x79 : 1)   /* modes 0-7, with and without G3 */
			for (unsigned a = 0; a < sizeof(n0s); a++)
				for (unsigned b = 0; b < sizeof(n1s); b++) {
					uint8_t buf[16] = { 1, (uint8_t)g, (uint8_t)f };
					struct hvo_opstream st;
					const struct hvo_config *c = &st.config;
					uint64_t pages = 0, bytes;

					for (unsigned i = 3; i + 1 < sizeof(buf); i += 2) {
						buf[i] = n0s[a];
						buf[i + 1] = n1s[b];
					}
					if (decode(buf, sizeof(buf), &st))
						continue;
					for (unsigned i = 0; i < c->nr_nodes && i < HVO_MAX_NODES; i++)
						pages += c->node[i].nr_pages + c->node[i].dax_nr_pages;
					bytes = pages * c->struct_page_size;
					if ((f & 7) == 6) {
						worst_huge = bytes > worst_huge ? bytes : worst_huge;
						bad += bytes > (136ull << 20);
					} else {
						worst = bytes > worst ? bytes : worst;
						bad += bytes > (288ull << 20);
					}
					hvo_ops_free(&st);
				}
	check(!bad && worst && worst_huge, "memory cap: struct pages at most 288 MiB (worst %" PRIu64 " MiB), "
	      "the huge node's at most 136 MiB (worst %" PRIu64 " MiB); %u over", worst >> 20, worst_huge >> 20, bad);
}

/* Truncation: missing argument bytes read as 0. */
static void test_truncation(void)
{
	static const uint8_t full[] = { 1, 0, 0, 0, 0, HVO_OP_DEMOTE, 0, 0 }, cut[] = { 1, 0, 0, 0, 0, HVO_OP_DEMOTE };
	struct hvo_opstream a, b;
	int rc = decode(full, sizeof(full), &a);

	rc |= decode(cut, sizeof(cut), &b);
	check(!rc && hvo_ops_equal(&a, &b) && b.nr_ops == 1, "a truncated op reads its missing bytes as 0");
	hvo_ops_free(&a);
	hvo_ops_free(&b);
}

/* Text streams that must survive text -> stream -> bytes -> stream. */
static const char *const representable[] = {
	/* every top-level kind, the 4K default-like layout */
	"hvo-ops 1\n"
	"config page_shift=12 struct_page_size=64 hvo=1 base=0\n"
	"node 0 start=0xc0000 pages=0x80000\n"
	"node 1 start=0x140000 pages=0x80000 movable_start=0x180000\n"
	"ops\n"
	"alloc order=9 node=0 zone=normal\n"
	"alloc order=18 node=1 zone=any\n"
	"alloc order=5 node=2 zone=movable\n"
	"alloc_batch order=7 node=1 zone=dma32 n=7\n"
	"optimize f=0\nrestore f=255\n"
	"optimize_batch f=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\nrestore_batch f=3\n"
	"free f=1\ndissolve f=2\ndemote f=0 order=10\nget f=4\nput f=5\n"
	"walk f=0 index=0\nwalk f=7 index=16777215\nenable 0\nenable 1\ncheck\n"
	"inject at=cmpxchg where=get_tail.publish hit=1 alloc order=9 node=0 zone=normal\n",
	/* every nestable kind under inject, every where prefix */
	"hvo-ops 1\nops\n"
	"inject at=read_once hit=256 alloc order=8 node=1 zone=any\n"
	"inject at=write_once where=get_tail hit=2 alloc_batch order=9 node=0 zone=normal n=3\n"
	"inject at=cmpxchg where=get_tail.init hit=3 optimize f=1\n"
	"inject at=atomic where=get_tail.publish hit=4 restore f=2\n"
	"inject at=pte_set where=split_pmd hit=5 optimize_batch f=1,2\n"
	"inject at=pmd_set where=set_pte hit=6 restore_batch f=9\n"
	"inject at=tlb_flush where=compound_head hit=7 free f=3\n"
	"inject at=lock where=page_ref_add_unless hit=8 dissolve f=4\n"
	"inject at=rcu_read_lock hit=9 demote f=5 order=9\n"
	"inject at=rcu_read_unlock hit=10 get f=6\n"
	"inject at=rcu_sync hit=11 put f=7\n"
	"inject at=read_once hit=12 walk f=8 index=4096\n"
	"inject at=read_once hit=13 enable 1\n"
	"inject at=read_once hit=14 check\n",
	/* 64K pages (512 MiB sections), 128-byte struct page, three nodes,
	 * rules and a budget */
	"hvo-ops 1\n"
	"config page_shift=16 struct_page_size=128 hvo=0 base=0\n"
	"node 0 start=0x10000 pages=0x8000 movable_start=0x14000\n"
	"node 1 start=0x18000 pages=0x4000 movable_only=1\n"
	"node 2 start=0x20000 pages=0x6000 movable_start=0x22000 movable_only=1\n"
	"fail site=any nth=65536 repeat=0\n"
	"fail site=memblock nth=256 repeat=7\n"
	"fail site=pte_update nth=1 repeat=1\n"
	"fail site=hugetlb_folio nth=3 repeat=2\n"
	"budget n=255 sites=hugetlb_folio,shared_tail,head_copy,pte_table,restore_page,pte_update\n"
	"ops\nalloc order=14 node=0 zone=any\nalloc order=9 node=2 zone=normal\nwalk f=0 index=0\n",
	/* linux-mm's split-PMD install site (rule byte bit 7, D8) */
	"hvo-ops 1\nnode 0 start=0xc0000 pages=0x80000\nfail site=pmd_populate nth=2 repeat=1\n"
	"fail site=pte_table nth=9 repeat=0\nops\nalloc order=18 node=0 zone=dma32\n",
	/* misaligned base: refused (power-of-two struct page) ... */
	"hvo-ops 1\nconfig page_shift=14 base=0xffffea0000004000\nnode 0 start=0 pages=0x10000\n"
	"expect setup-error\nops\nalloc order=9 node=0 zone=normal\n",
	/* ... or run (72-byte struct page) */
	"hvo-ops 1\nconfig struct_page_size=72 base=0xffffea00000ff000\nnode 0 start=0x80000 pages=0x20000\n"
	"budget n=0\nops\nalloc order=6 node=0 zone=any\noptimize f=0\n",
	/* hot-added nodes (N1 bit 6 alone, bit 7 alone: D4) */
	"hvo-ops 1\nnode 0 start=0x100000 pages=0x10000\nnode 1 start=0x110000 pages=0x10000 hotplug=1\n"
	"node 2 start=0x120000 pages=0x10000 memmap_on_memory=1\nops\nalloc order=9 node=1 zone=any\n",
	/* the default config (no node lines) is representable */
	"hvo-ops 1\nconfig struct_page_size=80\nops\nalloc order=8 node=0 zone=any\n",
};

static void test_representable(void)
{
	char err[512];

	for (size_t i = 0; i < sizeof(representable) / sizeof(representable[0]); i++) {
		struct hvo_opstream s;

		if (!check(!hvo_ops_parse(representable[i], strlen(representable[i]), "rep", &s, err, sizeof(err)),
			   "representable[%zu] parses: %s", i, err))
			continue;
		check(encode_round_trip(&s, err, sizeof(err)), "representable[%zu]: round trip: %s", i, err);
		hvo_ops_free(&s);
	}
}

/* Every op kind (and every nestable kind under inject) round-trips alone,
 * built through the API rather than parsed. */
static void test_each_kind(void)
{
	char err[512];

	for (int k = 0; k < HVO_NR_OP_KINDS; k++) {
		for (int nested = 0; nested < 2; nested++) {
			struct hvo_opstream s;
			struct hvo_op op = { .kind = (enum hvo_op_kind)k }, *slot;
			uint32_t sel[3] = { 2, 0, 255 };
			struct hvo_inject *inj;
			int rc = 0;

			if (k == HVO_OP_EXPECT || k == HVO_OP_OFFLINE || (nested && k == HVO_OP_INJECT))
				continue;
			hvo_ops_init(&s);
			switch (op.kind) {
			case HVO_OP_ALLOC: op.order = 9; op.zone = HVO_ZONE_NORMAL; op.node = 1; break;
			case HVO_OP_ALLOC_BATCH: op.order = 7; op.zone = -1; op.n = 4; break;
			case HVO_OP_DEMOTE: op.order = 8; op.f = 3; break;
			case HVO_OP_DEMOTE_BATCH: op.order = 8; break;
			case HVO_OP_WALK: op.by_folio = true; op.f = 1; op.index = 513; break;
			case HVO_OP_ENABLE: op.n = 1; break;
			case HVO_OP_CHECK: case HVO_OP_INJECT: case HVO_OP_OPTIMIZE_BATCH: case HVO_OP_RESTORE_BATCH:
			case HVO_OP_FREE_BULK: case HVO_OP_HPAGE_WORK:
				break;
			case HVO_OP_HWPOISON: op.f = 2; op.index = 70000; break;
			case HVO_OP_DAX_ADD: /* G3: node 1's device range is 8 sections from 8 GiB */
				op.pfn = 0x200000 + 0x8000; op.pages = 0x14000; op.order = 18; op.node = 1; op.altmap = 1;
				break;
			default: op.f = 6; break;
			}
			if (op.kind == HVO_OP_DAX_ADD || op.kind == HVO_OP_DAX_REMOVE) {
				s.config.gen = HVO_G3;
				for (unsigned i = 0; i < s.config.nr_nodes; i++) {
					s.config.node[i].dax_start_pfn = 0x1c0000 + i * 0x40000ull;
					s.config.node[i].dax_nr_pages = 0x40000;
				}
			}
			slot = hvo_ops_add(&s, nested ? HVO_OP_INJECT : op.kind);
			if (op.kind == HVO_OP_OPTIMIZE_BATCH || op.kind == HVO_OP_RESTORE_BATCH || op.kind == HVO_OP_FREE_BULK ||
			    op.kind == HVO_OP_DEMOTE_BATCH)
				rc = hvo_ops_set_sel(&s, &op, sel, 3);
			if (nested || op.kind == HVO_OP_INJECT) {
				struct hvo_op racer = { .kind = HVO_OP_WALK, .by_folio = true, .f = 0, .index = 1 };

				inj = hvo_ops_set_inject(&s, slot, nested ? &op : &racer);
				inj->at = HVO_SP_PTE_SET;
				inj->hit = 2;
				snprintf(inj->where, sizeof(inj->where), "set_pte");
			} else {
				*slot = op;
			}
			check(!rc && encode_round_trip(&s, err, sizeof(err)), "%s%s round trip: %s",
			      nested ? "inject of " : "", hvo_op_kind_name(op.kind), err);
			hvo_ops_free(&s);
		}
	}
}

static const struct {
	const char *text, *why;
} unrepresentable[] = {
	{ "hvo-ops 1\nops\nalloc order=9 node=0 zone=normal\nexpect rc=0\n", "expect" },
	{ "hvo-ops 1\nops\nwalk pfn=0x1000\n", "walk pfn=" },
	{ "hvo-ops 1\nops\noffline node=1\n", "offline" },
	{ "hvo-ops 1\nmutant B8\nops\n", "mutant" },
	{ "hvo-ops 1\nnode 0 start=0 pages=0x8000\nops\n", "sections" },
	{ "hvo-ops 1\nnode 0 start=0x8000 pages=0x10000\nops\n", "start at section" },
	{ "hvo-ops 1\nnode 0 start=0 pages=0x200000\nops\n", "sections" },
	{ "hvo-ops 1\nnode 0 start=0 pages=0x10000\nnode 1 start=0x10000 pages=0x10000 movable_only=1\n"
	  "node 2 start=0x20000 pages=0x10000\nnode 3 start=0x30000 pages=0x10000\nops\n", "nodes" },
	{ "hvo-ops 1\nnode 0 start=0 pages=0x10000 movable_only=1\nnode 1 start=0x10000 pages=0x10000\nops\n",
	  "movable_only" },
	{ "hvo-ops 1\nnode 0 start=0 pages=0x10000 hotplug=1\nnode 1 start=0x10000 pages=0x10000\nops\n", "hotplug" },
	{ "hvo-ops 1\nnode 0 start=0 pages=0x10000\nnode 1 start=0x10000 pages=0x28000 hotplug=1\nops\n", "hotplug" },
	{ "hvo-ops 1\nconfig base=0xffffea0000001000\nops\n", "expect setup-error" },
	{ "hvo-ops 1\nconfig base=0xffffea0040000000\nexpect setup-error\nops\n", "base=" },
	{ "hvo-ops 1\nconfig struct_page_size=96\nops\n", "struct_page_size" },
	{ "hvo-ops 1\nfail site=head_copy nth=257\nops\n", "nth" },
	{ "hvo-ops 1\nfail site=head_copy nth=1 repeat=8\nops\n", "repeat" },
	{ "hvo-ops 1\nfail site=any nth=1\nfail site=any nth=2\nfail site=any nth=3\nfail site=any nth=4\n"
	  "fail site=any nth=5\nops\n", "fail rules" },
	{ "hvo-ops 1\nbudget n=300 sites=head_copy\nops\n", "budget" },
	{ "hvo-ops 1\nbudget n=3 sites=memblock\nops\n", "memblock" },
	{ "hvo-ops 1\nops\nalloc order=3 node=0 zone=any\n", "order" },
	{ "hvo-ops 1\nops\nalloc order=9 node=5 zone=any\n", "node" },
	{ "hvo-ops 1\nops\nalloc_batch order=9 node=0 zone=any n=8\n", "n=" },
	{ "hvo-ops 1\nops\nfree f=256\n", "selector" },
	{ "hvo-ops 1\nops\nwalk f=0 index=16777216\n", "index" },
	{ "hvo-ops 1\nops\ninject at=read_once where=get_tail.fast hit=1 check\n", "where" },
	{ "hvo-ops 1\nops\ninject at=read_once hit=257 check\n", "hit" },
};

static void test_unrepresentable(void)
{
	char err[512];
	struct hvo_opstream s;
	uint8_t *bytes;
	size_t len;

	for (size_t i = 0; i < sizeof(unrepresentable) / sizeof(unrepresentable[0]); i++) {
		const char *text = unrepresentable[i].text;

		if (!check(!hvo_ops_parse(text, strlen(text), "unrep", &s, err, sizeof(err)), "unrep[%zu] parses: %s",
			   i, err))
			continue;
		bytes = (uint8_t *)"";
		err[0] = '\0';
		check(hvo_ops_encode_err(&s, &bytes, &len, err, sizeof(err)) == -1 && !bytes &&
		      strstr(err, unrepresentable[i].why), "unrep[%zu] refused, naming '%s' (got '%s')", i,
		      unrepresentable[i].why, err);
		check(hvo_ops_encode(&s, &bytes, &len) == -1, "unrep[%zu] refused without a reason buffer", i);
		hvo_ops_free(&s);
	}
	/* a field an op kind does not use cannot be carried */
	hvo_ops_init(&s);
	memset(s.config.node, 0, sizeof(s.config.node));
	s.config.nr_nodes = 1;
	s.config.node[0].nr_pages = 0x10000;
	hvo_ops_add(&s, HVO_OP_FREE)->order = 9;
	check(hvo_ops_encode_err(&s, &bytes, &len, err, sizeof(err)) == -1 && strstr(err, "does not carry"),
	      "an unused field is refused (got '%s')", err);
	hvo_ops_free(&s);
}

/* ------------------------------------------------------------------ corpus */

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) || !(buf = malloc((size_t)n + 1))) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	if (*len != (size_t)n) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void test_corpus(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned seeds = 0;
	uint64_t kinds = 0;
	char err[512];

	if (!check(d != NULL, "corpus directory %s opens", dir))
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name), tlen, blen;
		char path[4096], bin[4096];
		char *text, *bytes;
		struct hvo_opstream s, fromtext;
		struct hvo_run_result res;
		uint8_t *enc;
		size_t elen;

		if (n < 5 || strcmp(e->d_name + n - 4, ".bin"))
			continue;
		seeds++;
		snprintf(bin, sizeof(bin), "%s/%s", dir, e->d_name);
		snprintf(path, sizeof(path), "%s/%.*s.ops", dir, (int)(n - 4), e->d_name);
		bytes = read_text(bin, &blen);
		text = read_text(path, &tlen);
		if (!check(bytes && text, "%s has its text source %s", bin, path)) {
			free(bytes);
			free(text);
			continue;
		}
		if (check(!hvo_ops_parse(text, tlen, path, &fromtext, err, sizeof(err)), "%s parses: %s", path, err)) {
			check(!hvo_ops_encode_err(&fromtext, &enc, &elen, err, sizeof(err)) && elen == blen &&
			      !memcmp(enc, bytes, blen), "%s is the encoding of %s (%s)", bin, path,
			      err[0] ? err : "stale: regenerate with hvo-cli text2bytes");
			if (!err[0])
				free(enc);
			hvo_ops_free(&fromtext);
		}
		if (!decode((const uint8_t *)bytes, blen, &s)) {
			for (size_t k = 0; k < s.nr_ops; k++) {
				kinds |= 1ull << s.ops[k].kind;
				if (s.ops[k].kind == HVO_OP_INJECT)
					kinds |= 1ull << (HVO_NR_OP_KINDS + s.injects[s.ops[k].f].op.kind);
			}
			hvo_ops_run(&s, 0, &res, NULL);
			check(res.status == 0, "%s runs clean on the correct model: %s", bin, res.reason);
			hvo_ops_free(&s);
		}
		free(bytes);
		free(text);
	}
	closedir(d);
	check(seeds >= 8, "%s holds the seeds (%u)", dir, seeds);
	check((kinds & ((1ull << HVO_OP_EXPECT) - 1)) == (1ull << HVO_OP_EXPECT) - 1,
	      "the seeds use every op kind (mask 0x%" PRIx64 ")", kinds & 0xffff);
	printf("corpus %s: %u seeds, nested kinds used: 0x%" PRIx64 "\n", dir, seeds, kinds >> HVO_NR_OP_KINDS);
}

int main(int argc, char **argv)
{
	test_empty_and_version();
	test_op_cap();
	test_memory_cap();
	test_truncation();
	test_representable();
	test_each_kind();
	test_unrepresentable();
	test_random_inputs(RANDOM_INPUTS);
	if (argc > 1)
		test_corpus(argv[1]);
	printf("test_ops_bytes: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
