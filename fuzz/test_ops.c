// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_ops.c - tests of the op-stream text form: parse/print round trips for
 * every op kind and directive, the parsed values, and every malformed-input
 * error (each must name file:line).  Links only ops_text.c (plus the core's
 * name lookups), not the executor.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

static unsigned passed, failed;

static void check(bool ok, const char *what, ...) __attribute__((format(printf, 2, 3)));
static void check(bool ok, const char *what, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	fputs("FAIL: ", stdout);
	va_start(ap, what);
	vprintf(what, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* Print s into a malloc'ed string. */
static char *print_str(const struct hvo_opstream *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	if (hvo_ops_print(s, f))
		abort();
	fclose(f);
	return buf;
}

static int parse_str(const char *text, struct hvo_opstream *s, char *err, size_t errlen)
{
	return hvo_ops_parse(text, strlen(text), "t.ops", s, err, errlen);
}

/* parse(text) succeeds, and parse(print(parse(text))) equals it, and the
 * printed text is a fixed point. */
static void round_trip(const char *label, const char *text)
{
	struct hvo_opstream a, b;
	char err[512], *p1, *p2;

	if (parse_str(text, &a, err, sizeof(err))) {
		check(false, "%s: parse failed: %s", label, err);
		return;
	}
	p1 = print_str(&a);
	if (parse_str(p1, &b, err, sizeof(err))) {
		check(false, "%s: reparse failed: %s\n%s", label, err, p1);
	} else {
		check(hvo_ops_equal(&a, &b), "%s: parse(print(x)) != x\n%s", label, p1);
		p2 = print_str(&b);
		check(!strcmp(p1, p2), "%s: print not a fixed point\n%s\n---\n%s", label, p1, p2);
		free(p2);
	}
	hvo_ops_free(&a);
	hvo_ops_free(&b);
	free(p1);
}

/* ------------------------------------------------------------ round trips */

static const char *const op_lines[] = {
	"alloc order=9 node=0 zone=normal",
	"alloc order=18 node=1 zone=movable",
	"alloc order=7 node=0 zone=dma32",
	"alloc order=0x9",
	"alloc_batch order=9 node=0 zone=any n=4",
	"alloc_batch order=10 node=1 zone=normal n=0",
	"optimize f=0",
	"restore f=4294967295",
	"optimize_batch f=0,1,2",
	"optimize_batch f=7",
	"restore_batch f=0,1",
	"restore_batch f=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
	"free f=0",
	"dissolve f=3",
	"demote f=0 order=9",
	"get f=0",
	"put f=1",
	"walk pfn=0x1234",
	"walk pfn=18446744073709551615",
	"walk f=0 index=5",
	"walk f=2",
	"enable 0",
	"enable 1",
	"check",
	"inject at=cmpxchg where=get_tail hit=1 alloc order=9 node=0 zone=normal",
	"inject at=read_once walk f=0 index=3",
	"inject at=pmd_set hit=3 optimize_batch f=1,2",
	"inject hit=2 where=split at=lock check",
	"inject at=rcu_sync enable 0",
	"expect rc=-12",
	"expect rc=0",
	"expect rc=-0xc",
	"expect rc=-9223372036854775808",
};

static void test_each_op(void)
{
	char text[512], label[600];

	for (size_t i = 0; i < sizeof(op_lines) / sizeof(op_lines[0]); i++) {
		snprintf(text, sizeof(text), "hvo-ops 1\nops\n%s\n", op_lines[i]);
		snprintf(label, sizeof(label), "op '%s'", op_lines[i]);
		round_trip(label, text);
	}
}

static const char full_stream[] =
	"# a stream using every directive\n"
	"\n"
	"hvo-ops 1   # version\n"
	"config page_shift=14 struct_page_size=64 hvo=0 base=0x100000000\n"
	"config hvo=1\n"
	"config deferred_init=0\n"
	"node 0 start=0 pages=262144 movable_start=0 movable_only=0\n"
	"node 1 start=0x40000 pages=0x40000 movable_start=0x60000\n"
	"node 2 start=0x80000 pages=0x1000 movable_only=1\n"
	"mutant B8\n"
	"mutant b17c\n"
	"fail site=head_copy nth=1 repeat=1\n"
	"fail site=any nth=5 repeat=0\n"
	"fail site=restore_page nth=2\n"
	"budget n=3 sites=head_copy,restore_page\n"
	"ops\n"
	"alloc order=9 node=0 zone=normal\r\n"
	"alloc_batch order=9 node=0 zone=any n=4\n"
	"optimize f=0\n"
	"restore f=0\n"
	"optimize_batch f=0,1,2\n"
	"restore_batch f=0,1\n"
	"free f=0\n"
	"dissolve f=0\n"
	"demote f=0 order=9\n"
	"get f=0\n"
	"put f=0\n"
	"walk pfn=0x1234\n"
	"walk f=0 index=5\n"
	"enable 0\n"
	"check\n"
	"inject at=cmpxchg where=get_tail hit=1 alloc order=9 node=0 zone=normal\n"
	"expect rc=-12   # trailing comment\n"
	"\t  \n";

/* Hot-added nodes and the offline op (issue 13 D4): parsed, printed back. */
static void test_hotplug_keys(void)
{
	static const char text[] = "hvo-ops 1\nnode 0 start=0x100000 pages=0x10000\n"
				   "node 1 start=0x110000 pages=0x10000 hotplug=1 movable_only=1\n"
				   "node 2 start=0x120000 pages=0x10000 memmap_on_memory=1\nops\noffline node=1\n";
	struct hvo_opstream s;
	char err[512];

	round_trip("hotplug keys", text);
	if (parse_str(text, &s, err, sizeof(err))) {
		check(false, "hotplug keys: %s", err);
		return;
	}
	check(s.config.node[1].hotplug && !s.config.node[1].memmap_on_memory && s.config.node[2].memmap_on_memory &&
	      !s.config.node[2].hotplug && !s.config.node[0].hotplug, "node hotplug/memmap_on_memory values");
	check(s.nr_ops == 1 && s.ops[0].kind == HVO_OP_OFFLINE && s.ops[0].node == 1, "offline node=1");
	hvo_ops_free(&s);
}

static void test_full_stream(void)
{
	struct hvo_opstream s;
	const struct hvo_inject *inj;
	char err[512];

	round_trip("full stream", full_stream);
	if (parse_str(full_stream, &s, err, sizeof(err))) {
		check(false, "full stream: %s", err);
		return;
	}
	check(s.config.page_shift == 14 && s.config.struct_page_size == 64, "config page geometry");
	check(s.config.hvo_enabled && s.config.vmemmap_base == 0x100000000ull, "config hvo/base");
	check(s.config.no_deferred_init, "config deferred_init=0");
	check(s.config.nr_nodes == 3, "nr_nodes reset to node lines (got %u)", s.config.nr_nodes);
	check(s.config.node[1].start_pfn == 0x40000 && s.config.node[1].movable_start_pfn == 0x60000,
	      "node 1 values");
	check(s.config.node[2].movable_only && s.config.node[2].nr_pages == 0x1000, "node 2 values");
	check(s.config.mutants == (1ull << HVO_MUT_B8 | 1ull << HVO_MUT_B17C), "mutants 0x%" PRIx64,
	      s.config.mutants);
	check(s.fail.nr_rules == 3, "fail rules");
	check(s.fail.rules[0].site == HVO_SITE_HEAD_COPY && s.fail.rules[0].nth == 1 && s.fail.rules[0].repeat == 1,
	      "fail rule 0");
	check(s.fail.rules[1].site == -1 && s.fail.rules[1].nth == 5 && s.fail.rules[1].repeat == 0, "fail rule 1");
	check(s.fail.rules[2].repeat == 1, "repeat defaults to 1");
	check(s.fail.budget == 3 &&
	      s.fail.budget_sites == (1u << HVO_SITE_HEAD_COPY | 1u << HVO_SITE_RESTORE_PAGE), "budget");
	check(s.nr_ops == 17, "17 ops (got %zu)", s.nr_ops);
	if (s.nr_ops == 17) {
		check(s.ops[0].kind == HVO_OP_ALLOC && s.ops[0].order == 9 && s.ops[0].zone == HVO_ZONE_NORMAL,
		      "alloc values");
		check(s.ops[1].zone == -1 && s.ops[1].n == 4, "alloc_batch values");
		check(s.ops[4].n == 3 && s.sel[s.ops[4].f + 2] == 2, "optimize_batch list");
		check(s.ops[11].pfn == 0x1234 && !s.ops[11].by_folio, "walk pfn");
		check(s.ops[12].by_folio && s.ops[12].index == 5, "walk f/index");
		check(s.ops[13].kind == HVO_OP_ENABLE && s.ops[13].n == 0, "enable 0");
		check(s.ops[16].kind == HVO_OP_EXPECT && s.ops[16].rc == -12, "expect rc");
		inj = &s.injects[s.ops[15].f];
		check(s.ops[15].kind == HVO_OP_INJECT && inj->at == HVO_SP_CMPXCHG && inj->hit == 1 &&
		      !strcmp(inj->where, "get_tail") && inj->op.kind == HVO_OP_ALLOC && inj->op.order == 9,
		      "inject values");
	}
	hvo_ops_free(&s);
}

static void test_defaults(void)
{
	struct hvo_opstream s, d;
	struct hvo_config def;
	char err[512];

	hvo_config_default(&def);
	check(!parse_str("hvo-ops 1\nops\n", &s, err, sizeof(err)), "minimal stream: %s", err);
	hvo_ops_init(&d);
	check(hvo_ops_equal(&s, &d), "minimal stream equals hvo_ops_init");
	check(s.config.nr_nodes == def.nr_nodes && s.config.node[1].start_pfn == def.node[1].start_pfn,
	      "default nodes kept without node lines");
	check(s.fail.budget == -1 && s.fail.nr_rules == 0, "default policy");
	check(!s.config.no_deferred_init, "CONFIG_DEFERRED_STRUCT_PAGE_INIT on by default");
	hvo_ops_free(&s);
	check(!parse_str("hvo-ops 1\nconfig deferred_init=0\nops\n", &s, err, sizeof(err)), "%s", err);
	check(!hvo_ops_equal(&s, &d), "deferred_init=0 differs from the default");
	hvo_ops_free(&s);
	round_trip("deferred_init=0", "hvo-ops 1\nconfig deferred_init=0\nops\n");
	round_trip("deferred_init=1", "hvo-ops 1\nconfig deferred_init=1\nops\n");
	/* kernelcore=mirror ranges (issue 13 D11): kept, printed, compared */
	round_trip("mirror=", "hvo-ops 1\nnode 0 start=0xc0000 pages=0x100000 mirror=0x100000+0x50000,0x170000+0x20000\n"
		   "ops\n");
	check(!parse_str("hvo-ops 1\nnode 0 start=0xc0000 pages=0x100000 mirror=0x100000+0x50000,0x170000+0x20000\nops\n",
			 &s, err, sizeof(err)), "%s", err);
	check(s.config.node[0].nr_mirror == 2 && s.config.node[0].mirror[1].start_pfn == 0x170000 &&
	      s.config.node[0].mirror[1].nr_pages == 0x20000, "mirror ranges parsed");
	check(!parse_str("hvo-ops 1\nnode 0 start=0xc0000 pages=0x100000 mirror=0x100000+0x50000\nops\n", &d, err,
			 sizeof(err)), "%s", err);
	check(!hvo_ops_equal(&s, &d), "mirror ranges compared");
	hvo_ops_free(&s);
	hvo_ops_free(&d);
	check(!parse_str("hvo-ops 1\nfail site=any nth=1\nbudget n=-1\nops\n", &s, err, sizeof(err)), "%s", err);
	round_trip("budget n=-1 without sites", "hvo-ops 1\nbudget n=-1\nops\n");
	round_trip("budget sites=any", "hvo-ops 1\nbudget n=0 sites=any\nops\n");
	round_trip("budget without sites", "hvo-ops 1\nbudget n=7\nops\n");
	round_trip("no trailing newline", "hvo-ops 1\nops\ncheck");
	round_trip("every mutant",
		   "hvo-ops 1\nmutant B7\nmutant B8\nmutant B12a\nmutant B12b\nmutant B12c\nmutant B17b\n"
		   "mutant B17c\nmutant B18\nmutant B19\nmutant B22\nmutant B27\nops\n");
	round_trip("every site", "hvo-ops 1\nfail site=memblock nth=1\nfail site=hugetlb_folio nth=2\n"
		   "fail site=shared_tail nth=3\nfail site=head_copy nth=4\nfail site=pte_table nth=5\n"
		   "fail site=restore_page nth=6\nfail site=pte_update nth=7 repeat=4294967295\nops\n");
	hvo_ops_free(&s);
	hvo_ops_free(&d);
}

static void test_every_sync_point(void)
{
	char text[256];

	for (int sp = 0; sp < HVO_NR_SYNC_POINTS; sp++) {
		snprintf(text, sizeof(text), "hvo-ops 1\nops\ninject at=%s hit=7 get f=1\n", hvo_sync_point_name(sp));
		round_trip(hvo_sync_point_name(sp), text);
	}
}

/* A stream built through the builder API survives print/parse. */
static void test_builder(void)
{
	struct hvo_opstream s, b;
	struct hvo_op nested = { .kind = HVO_OP_RESTORE_BATCH }, *op;
	struct hvo_inject *inj;
	uint32_t sel[] = { 3, 1, 4 };
	char err[512], *text;

	hvo_ops_init(&s);
	s.config.mutants = 1ull << HVO_MUT_B22;
	op = hvo_ops_add(&s, HVO_OP_ALLOC);
	op->order = 10;
	op->zone = -1;
	check(!hvo_ops_set_sel(&s, &nested, sel, 3), "set_sel");
	op = hvo_ops_add(&s, HVO_OP_INJECT);
	inj = hvo_ops_set_inject(&s, op, &nested);
	inj->at = HVO_SP_TLB_FLUSH;
	inj->hit = 2;
	snprintf(inj->where, sizeof(inj->where), "flush_tlb");
	op = hvo_ops_add(&s, HVO_OP_WALK);
	op->by_folio = true;
	op->index = 77;
	text = print_str(&s);
	check(!parse_str(text, &b, err, sizeof(err)), "builder reparse: %s", err);
	check(hvo_ops_equal(&s, &b), "builder round trip\n%s", text);
	check(strstr(text, "inject at=tlb_flush where=flush_tlb hit=2 restore_batch f=3,1,4\n") != NULL,
	      "builder inject text\n%s", text);
	check(hvo_ops_set_sel(&s, &nested, sel, HVO_OPS_MAX_BATCH + 1) == -1, "set_sel caps the batch");
	free(text);
	hvo_ops_free(&s);
	hvo_ops_free(&b);
}

static void test_not_equal(void)
{
	struct hvo_opstream a, b;
	char err[512];

	parse_str("hvo-ops 1\nops\noptimize_batch f=1,2\n", &a, err, sizeof(err));
	parse_str("hvo-ops 1\nops\noptimize_batch f=1,3\n", &b, err, sizeof(err));
	check(!hvo_ops_equal(&a, &b), "different batch lists compare unequal");
	hvo_ops_free(&b);
	parse_str("hvo-ops 1\nops\noptimize_batch f=1,2\ncheck\n", &b, err, sizeof(err));
	check(!hvo_ops_equal(&a, &b), "different op counts compare unequal");
	hvo_ops_free(&a);
	hvo_ops_free(&b);
}

/* ------------------------------------------------------------------ errors */

struct bad {
	const char *text;
	unsigned line;
	const char *what;
};

static const struct bad bad_inputs[] = {
	{ "", 1, "missing version line" },
	{ "# only a comment\n\n", 2, "missing version line" },
	{ "config page_shift=12\nops\n", 1, "missing version line" },
	{ "hvo-ops 2\nops\n", 1, "unsupported version 2" },
	{ "hvo-ops x\nops\n", 1, "bad version number" },
	{ "hvo-ops\nops\n", 1, "version line must be" },
	{ "hvo-ops 1\nhvo-ops 1\nops\n", 2, "duplicate version line" },
	{ "hvo-ops 1\n", 1, "missing 'ops' line" },
	{ "hvo-ops 1\nops extra\n", 2, "takes no arguments" },
	{ "hvo-ops 1\nalloc order=9\nops\n", 2, "before the 'ops' line" },
	{ "hvo-ops 1\nops\nconfig page_shift=12\n", 3, "after the 'ops' line" },
	{ "hvo-ops 1\nops\nmutant B8\n", 3, "after the 'ops' line" },
	{ "hvo-ops 1\nops\ncheck\nfrobnicate f=1\n", 4, "unknown directive or op 'frobnicate'" },
	{ "hvo-ops 1\nops\nalloc order=abc\n", 3, "bad number 'abc'" },
	{ "hvo-ops 1\nops\nalloc order=0x\n", 3, "bad number '0x'" },
	{ "hvo-ops 1\nops\nalloc order=12q\n", 3, "bad number '12q'" },
	{ "hvo-ops 1\nops\nalloc order=-1\n", 3, "bad number '-1'" },
	{ "hvo-ops 1\nops\nwalk pfn=0x1ffffffffffffffff\n", 3, "bad number" },
	{ "hvo-ops 1\nops\nwalk pfn=18446744073709551616\n", 3, "bad number" },
	{ "hvo-ops 1\nops\nalloc order=64\n", 3, "out of range" },
	{ "hvo-ops 1\nops\nalloc order=9 node=256\n", 3, "out of range" },
	{ "hvo-ops 1\nops\nalloc_batch order=9 n=1025\n", 3, "out of range" },
	{ "hvo-ops 1\nops\nalloc order=9 zone=highmem\n", 3, "unknown zone 'highmem'" },
	{ "hvo-ops 1\nops\nalloc node=0\n", 3, "missing order=" },
	{ "hvo-ops 1\nops\nalloc_batch order=9\n", 3, "missing n=" },
	{ "hvo-ops 1\nops\nalloc order=9 foo=1\n", 3, "unknown argument 'foo'" },
	{ "hvo-ops 1\nnode 0 start=0 pages=1 mirror=0x10\n", 2, "not START+PAGES" },
	{ "hvo-ops 1\nnode 0 start=0 pages=1 mirror=0x10+0\n", 2, "out of range" },
	{ "hvo-ops 1\nnode 0 start=0 pages=1 mirror=,\n", 2, "no range" },
	{ "hvo-ops 1\nnode 0 start=0 pages=1 mirror=1+1,2+1,3+1,4+1,5+1,6+1,7+1,8+1,9+1\n", 2, "more than 8" },
	{ "hvo-ops 1\nops\nalloc order=9 order=10\n", 3, "duplicate argument 'order'" },
	{ "hvo-ops 1\nops\nalloc 9\n", 3, "expected key=value" },
	{ "hvo-ops 1\nops\nalloc =9\n", 3, "expected key=value" },
	{ "hvo-ops 1\nops\noptimize\n", 3, "missing f=" },
	{ "hvo-ops 1\nops\nfree f=4294967296\n", 3, "out of range" },
	{ "hvo-ops 1\nops\ndemote f=0\n", 3, "missing order=" },
	{ "hvo-ops 1\nops\noptimize_batch\n", 3, "missing f=" },
	{ "hvo-ops 1\nops\noptimize_batch f=1,,2\n", 3, "bad number ''" },
	{ "hvo-ops 1\nops\nrestore_batch f=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n", 3, "too many folios" },
	{ "hvo-ops 1\nops\nwalk\n", 3, "missing pfn= or f=" },
	{ "hvo-ops 1\nops\nwalk pfn=1 f=0\n", 3, "not both" },
	{ "hvo-ops 1\nops\nwalk index=3\n", 3, "missing pfn= or f=" },
	{ "hvo-ops 1\nops\nenable\n", 3, "expected 0 or 1" },
	{ "hvo-ops 1\nops\nenable 2\n", 3, "out of range" },
	{ "hvo-ops 1\nops\nenable on\n", 3, "bad number 'on'" },
	{ "hvo-ops 1\nops\ncheck now\n", 3, "takes no arguments" },
	{ "hvo-ops 1\nops\nexpect\n", 3, "missing rc=" },
	{ "hvo-ops 1\nops\nexpect rc=-9223372036854775809\n", 3, "bad number" },
	{ "hvo-ops 1\nops\nexpect rc=--1\n", 3, "bad number" },
	{ "hvo-ops 1\nops\ninject at=cmpxchg\n", 3, "missing the op to inject" },
	{ "hvo-ops 1\nops\ninject alloc order=9\n", 3, "missing at=" },
	{ "hvo-ops 1\nops\ninject at=spin alloc order=9\n", 3, "unknown sync point 'spin'" },
	{ "hvo-ops 1\nops\ninject at=lock hit=0 check\n", 3, "hit counts from 1" },
	{ "hvo-ops 1\nops\ninject at=lock frob\n", 3, "unknown op 'frob'" },
	{ "hvo-ops 1\nops\ninject at=lock inject at=lock check\n", 3, "cannot inject 'inject'" },
	{ "hvo-ops 1\nops\ninject at=lock expect rc=0\n", 3, "cannot inject 'expect'" },
	{ "hvo-ops 1\nops\ninject at=lock offline node=1\n", 3, "cannot inject 'offline'" },
	{ "hvo-ops 1\nops\noffline\n", 3, "missing node=" },
	{ "hvo-ops 1\nops\noffline node=1 f=0\n", 3, "unknown argument 'f'" },
	{ "hvo-ops 1\nops\ninject at=lock alloc order=99\n", 3, "out of range" },
	{ "hvo-ops 1\nops\ninject at=lock where=0123456789012345678901234567890123456789012345678901234567890123 "
	  "check\n", 3, "where= longer than" },
	{ "hvo-ops 1\nconfig page_shift=x\nops\n", 2, "bad number 'x'" },
	{ "hvo-ops 1\nconfig hvo=2\nops\n", 2, "out of range" },
	{ "hvo-ops 1\nconfig gen=3\nops\n", 2, "unknown generation '3'" },
	{ "hvo-ops 1\nconfig gen=g4\nops\n", 2, "unknown generation 'g4'" },
	{ "hvo-ops 1\nnode 1 start=0 pages=1\nops\n", 2, "out of order (expected node 0)" },
	{ "hvo-ops 1\nnode 0 start=0\nops\n", 2, "missing pages=" },
	{ "hvo-ops 1\nnode start=0 pages=1\nops\n", 2, "missing node number" },
	{ "hvo-ops 1\nnode 0 pages=1 movable_only=yes\nops\n", 2, "bad number 'yes'" },
	{ "hvo-ops 1\nnode 0 pages=1\nnode 1 pages=1\nnode 2 pages=1\nnode 3 pages=1\nnode 4 pages=1\n"
	  "node 5 pages=1\nnode 6 pages=1\nnode 7 pages=1\nnode 8 pages=1\nops\n", 10, "too many nodes (max 8)" },
	{ "hvo-ops 1\nmutant B99\nops\n", 2, "unknown mutant 'B99' (valid: B7 B8" },
	{ "hvo-ops 1\nmutant\nops\n", 2, "expected one mutant name" },
	{ "hvo-ops 1\nfail site=nowhere nth=1\nops\n", 2, "unknown site 'nowhere' (valid: any memblock" },
	{ "hvo-ops 1\nfail nth=1\nops\n", 2, "missing site=" },
	{ "hvo-ops 1\nfail site=any\nops\n", 2, "missing nth=" },
	{ "hvo-ops 1\nfail site=any nth=0\nops\n", 2, "nth counts calls from 1" },
	{ "hvo-ops 1\nfail site=any nth=1 repeat=4294967296\nops\n", 2, "out of range" },
	{ "hvo-ops 1\nbudget sites=any\nops\n", 2, "missing n=" },
	{ "hvo-ops 1\nbudget n=-2\nops\n", 2, "out of range" },
	{ "hvo-ops 1\nbudget n=1 sites=head_copy,bogus\nops\n", 2, "unknown site 'bogus'" },
	{ "hvo-ops 1\nbudget n=1 sites=head_copy,any\nops\n", 2, "must stand alone" },
	{ "hvo-ops 1\nbudget n=1 sites=,\nops\n", 2, "empty sites=" },
	{ "hvo-ops 1\nops\nw w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w "
	  "w w w w w w w w w w w w w w w w w w w w w\n", 3, "too many words" },
};

static void expect_error(const char *label, const char *text, size_t len, unsigned line, const char *what)
{
	struct hvo_opstream s;
	char err[512], loc[64];
	int rc = hvo_ops_parse(text, len, "bad.ops", &s, err, sizeof(err));

	snprintf(loc, sizeof(loc), "bad.ops:%u: ", line);
	check(rc != 0, "%s: accepted", label);
	check(!strncmp(err, loc, strlen(loc)), "%s: message '%s' does not start with '%s'", label, err, loc);
	check(strstr(err, what) != NULL, "%s: message '%s' does not mention '%s'", label, err, what);
	check(s.nr_ops == 0 && s.ops == NULL, "%s: output not emptied", label);
	hvo_ops_free(&s);
}

static void test_bad_inputs(void)
{
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++)
		expect_error(bad_inputs[i].text, bad_inputs[i].text, strlen(bad_inputs[i].text), bad_inputs[i].line,
			     bad_inputs[i].what);
}

static void test_fail_rule_cap(void)
{
	char text[2048] = "hvo-ops 1\n";

	for (int i = 0; i < HVO_FAIL_MAX_RULES + 1; i++)
		strcat(text, "fail site=any nth=1\n");
	strcat(text, "ops\n");
	expect_error("17 fail rules", text, strlen(text), HVO_FAIL_MAX_RULES + 2, "too many fail rules (max 16)");
}

static void test_long_lines(void)
{
	size_t n = 20 + HVO_OPS_MAX_LINE + 2;
	char *text = malloc(n + 16);

	/* exactly HVO_OPS_MAX_LINE bytes: accepted */
	strcpy(text, "hvo-ops 1\nops\n#");
	memset(text + strlen(text), 'a', HVO_OPS_MAX_LINE - 1);
	text[14 + HVO_OPS_MAX_LINE] = '\0';
	round_trip("4096-byte line", text);
	/* one more: rejected */
	strcat(text, "a\ncheck\n");
	expect_error("4097-byte line", text, strlen(text), 3, "line too long (4097 bytes, max 4096)");
	free(text);
}

static void test_nul_byte(void)
{
	static const char text[] = "hvo-ops 1\nops\nch\0eck\n";

	expect_error("NUL byte", text, sizeof(text) - 1, 3, "NUL byte");
}

static void test_op_cap(void)
{
	size_t n = HVO_OPS_MAX_OPS + 1, len = 14 + 6 * n;
	char *text = malloc(len + 1);
	struct hvo_opstream s;
	char err[256];

	memcpy(text, "hvo-ops 1\nops\n", 14);
	for (size_t i = 0; i < n; i++)
		memcpy(text + 14 + 6 * i, "check\n", 6);
	text[len] = '\0';
	check(!hvo_ops_parse(text, len - 6, "cap.ops", &s, err, sizeof(err)) && s.nr_ops == HVO_OPS_MAX_OPS,
	      "1,000,000 ops accepted: %s", err);
	hvo_ops_free(&s);
	expect_error("1,000,001 ops", text, len, (unsigned)(2 + n), "too many ops (max 1000000)");
	free(text);
}

static void test_name_default(void)
{
	struct hvo_opstream s;
	char err[256];

	hvo_ops_parse("hvo-ops 3\n", 10, NULL, &s, err, sizeof(err));
	check(!strncmp(err, "<input>:1: ", 11), "NULL name shows <input>: '%s'", err);
	check(hvo_ops_parse("hvo-ops 3\n", 10, NULL, &s, NULL, 0) == -1, "NULL err buffer is fine");
	check(hvo_ops_parse(NULL, 0, "x", &s, err, sizeof(err)) == -1 && strstr(err, "missing version"),
	      "NULL text with len 0 is an empty input");
	hvo_ops_parse("hvo-ops 1\nops\n", 14, NULL, &s, err, 8);
	check(hvo_ops_parse("hvo-ops 3\n", 10, "long-name.ops", &s, err, 8) == -1 && strlen(err) == 7,
	      "short err buffer truncates");
	hvo_ops_free(&s);
}

int main(void)
{
	test_each_op();
	test_full_stream();
	test_hotplug_keys();
	test_defaults();
	test_every_sync_point();
	test_builder();
	test_not_equal();
	test_bad_inputs();
	test_fail_rule_cap();
	test_long_lines();
	test_nul_byte();
	test_op_cap();
	test_name_default();
	printf("test_ops: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
