// SPDX-License-Identifier: GPL-2.0-only
/*
 * hvo_kernel_cli.c - hvo-kernel-TREE: run op streams on the kernel lane
 * built against one kernel tree (the binary's name says which).
 *
 * Exit codes (README "Exit codes"): 0 checked and clean (or, with
 * --expect, every witness failed exactly as expected); 1 a finding, or a
 * witness that did not fail as it names; 2 usage, input or I/O error, or a
 * stream the lane refuses; 3 nothing was checked; 130 interrupted.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kdiff.h"

#ifndef HVO_K_TREE
#define HVO_K_TREE "unknown tree"
#endif
#ifndef HVO_K_NAME
#define HVO_K_NAME "custom"
#endif

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hvo-kernel-TREE [--expect IDS | --expect-file] [--verbose] FILE|DIR...\n"
		"       hvo-kernel-TREE random [--seed X] [--ops N] [--count K] [--no-fail] [--save FILE]\n"
		"       hvo-kernel-TREE diff FILE|DIR... | diff --random [--seed X] [--count K] [--ops N]\n"
		"       hvo-kernel-TREE --tree\n"
		"Runs op streams (hvo-ops 1 text) on mm/hugetlb_vmemmap.c of %s, compiled\n"
		"unmodified against the shim in kernel/, with the lane's oracle after every op.\n"
		"  --expect IDS  a witness: each stream must fail with exactly these finding IDs\n"
		"                (comma-separated: I1..I19, WARN, BUG, BAD_PAGE, FAULT, EXPECT)\n"
		"  --expect-file a witness names its expectation per tree itself, in lines\n"
		"                \"# kernel-expect TREE IDS|clean\" (this binary's TREE: %s); a\n"
		"                stream without a line for this tree is an input error\n"
		"  random        K random lane streams from seed X (default 1, 200 ops, 1);\n"
		"                --no-fail: without failure rules\n"
		"  diff          each stream in lockstep with the model's G1: the first op after\n"
		"                which what kernel code sees differs (exit 1), or AGREE;\n"
		"                --variant NAME: run the model with that variant (./hvo variants);\n"
		"                --expect-diverge N: pass only if they part after op N (a named\n"
		"                difference between the tree and the model, not a finding)\n"
		"exit: 0 clean / as expected, 1 finding or witness mismatch, 2 usage or input\n"
		"error, 3 nothing checked, 130 interrupted\n", HVO_K_TREE, HVO_K_NAME);
}

static void print_findings(const char *name, const struct hvo_opstream *s, const struct krun_result *r)
{
	printf("FAIL %s: after op %zu (", name, r->fail_op);
	if (r->fail_op < s->nr_ops)
		hvo_ops_print_op(s, &s->ops[r->fail_op], stdout);
	printf("):");
	for (unsigned i = 0; i < r->nr_findings; i++)
		printf(" %s", r->findings[i].id);
	printf("\n");
	for (unsigned i = 0; i < r->nr_findings; i++)
		printf("  %s: %s\n", r->findings[i].id, r->findings[i].msg);
}

static bool diff_mode;
static long expect_diverge = -1;
static uint64_t model_variants;     /* diff --variant NAME */   /* diff --expect-diverge N: a known, named divergence */

static int diff_one(const char *name, const struct hvo_opstream *s)
{
	struct kdiff_result r;

	kdiff_stream(s, model_variants, &r);
	if (r.status == 2) {
		printf("ERROR %s: %s\n", name, r.reason);
		return 2;
	}
	if (r.status == 1) {
		bool expected = expect_diverge >= 0 && r.op == (size_t)expect_diverge && !r.finding;

		printf("%s %s: after op %zu (", expected ? "PASS" : "DIVERGE", name, r.op);
		if (r.op < s->nr_ops)
			hvo_ops_print_op(s, &s->ops[r.op], stdout);
		printf("): %s%s\n", r.reason, expected ? " (the divergence the stream names)" : "");
		return expected ? 0 : 1;
	}
	if (expect_diverge >= 0) {
		printf("FAIL %s: expected a divergence after op %ld, but the two agree\n", name, expect_diverge);
		return 1;
	}
	if (r.both_found) {
		printf("AGREE %s: after op %zu (", name, r.op);
		if (r.op < s->nr_ops)
			hvo_ops_print_op(s, &s->ops[r.op], stdout);
		printf("): %s\n", r.reason);
		return 0;
	}
	if (!r.compared) {
		printf("NOTHING %s: no op both sides run (%" PRIu64 " skipped)\n", name, r.skipped);
		return 3;
	}
	printf("AGREE %s: %zu ops compared, %" PRIu64 " skipped%s\n", name, r.compared, r.skipped,
	       r.capacity_stop ? " (stopped where the lane's machine ran out of folio memory)" : "");
	return 0;
}

/* 0 pass, 1 finding/mismatch, 2 refused, 3 nothing checked */
static int run_one(const char *name, const struct hvo_opstream *s, const char *expect, bool verbose)
{
	struct krun_result r;
	char why[600];
	uint64_t ran = 0;

	krun_stream(s, &r, verbose ? stdout : NULL);
	if (r.status == 2) {
		printf("ERROR %s: %s\n", name, r.reason);
		return 2;
	}
	for (int k = 0; k < HVO_NR_OP_KINDS; k++)
		ran += k == HVO_OP_EXPECT ? 0 : r.kind_count[k];
	if (expect) {
		if (r.status == 1 && krun_matches(&r, expect, why, sizeof(why))) {
			printf("PASS %s: fails as expected (%s) after op %zu\n", name, expect, r.fail_op);
			if (verbose)
				print_findings(name, s, &r);
			return 0;
		}
		if (r.status == 0)
			printf("FAIL %s: expected %s, but the run is clean (%" PRIu64 " ops run, %" PRIu64 " skipped)\n",
			       name, expect, ran, r.nr_skipped);
		else {
			printf("FAIL %s: %s\n", name, why);
			print_findings(name, s, &r);
		}
		return 1;
	}
	if (r.status == 1) {
		print_findings(name, s, &r);
		return 1;
	}
	if (ran == 0) {
		printf("NOTHING %s: every op was skipped (%" PRIu64 "): nothing checked\n", name, r.nr_skipped);
		return 3;
	}
	printf("PASS %s: %" PRIu64 " ops, %" PRIu64 " skipped, memmap %ld+%ld boot, %" PRIu64 " grace periods\n", name,
	       ran, r.nr_skipped, r.memmap_pages, r.memmap_boot_pages, r.rcu_syncs);
	return 0;
}

static int worst(int a, int b)
{
	/* 2 (error) over 1 (finding) over 3 (nothing) over 0 */
	int rank[] = { 0, 2, 3, 1 };

	return rank[a] >= rank[b] ? a : b;
}

static bool expect_file;  /* --expect-file */

/* The witness's own expectation for this tree: its line
 * "# kernel-expect TREE IDS|clean" (the ops parser skips comments, so the
 * model reads the same file).  0 found, 2 no line for this tree or a bad one. */
static int file_expectation(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[512], tree[64], ids[256];
	int found = 0;

	if (!f) {
		fprintf(stderr, "hvo-kernel: cannot read %s: %s\n", path, strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		char extra[2];
		int n = sscanf(line, "# kernel-expect %63s %255s %1s", tree, ids, extra);

		if (strncmp(line, "# kernel-expect", 15))
			continue;
		if (n != 2) {
			fprintf(stderr, "hvo-kernel: %s: bad line '%.*s' (# kernel-expect TREE IDS|clean)\n", path,
				(int)strcspn(line, "\n"), line);
			fclose(f);
			return 2;
		}
		if (!strcmp(tree, HVO_K_NAME)) {
			found++;
			snprintf(out, len, "%s", ids);
		}
	}
	fclose(f);
	if (found != 1) {
		fprintf(stderr, "hvo-kernel: %s: %s \"# kernel-expect %s ...\" line (--expect-file)\n", path,
			found ? "more than one" : "no", HVO_K_NAME);
		return 2;
	}
	return 0;
}

static int run_path(const char *path, const char *expect, bool verbose, unsigned *nr)
{
	struct stat st;
	char err[512];
	int rc = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "hvo-kernel: cannot read %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int n = scandir(path, &ents, NULL, alphasort);

		if (n < 0) {
			fprintf(stderr, "hvo-kernel: cannot list %s: %s\n", path, strerror(errno));
			return 2;
		}
		for (int i = 0; i < n; i++) {
			size_t l = strlen(ents[i]->d_name);
			char sub[4096];

			if (l > 4 && !strcmp(ents[i]->d_name + l - 4, ".ops") && !interrupted) {
				snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
				rc = worst(rc, run_path(sub, expect, verbose, nr));
			}
			free(ents[i]);
		}
		free(ents);
		return rc;
	}
	char own[256];
	if (expect_file) {
		int e = file_expectation(path, own, sizeof(own));

		if (e)
			return e;
		expect = strcmp(own, "clean") ? own : NULL;
	}
	struct hvo_opstream s;
	if (hvo_ops_load(path, &s, err, sizeof(err))) {
		fprintf(stderr, "hvo-kernel: %s\n", err);
		hvo_ops_free(&s);
		return 2;
	}
	(*nr)++;
	rc = diff_mode ? diff_one(path, &s) : run_one(path, &s, expect, verbose);
	hvo_ops_free(&s);
	return rc;
}

/* A random stream of what the lane can run: 2 MiB folios on node 0, the
 * file's entry points, the sysctl, failures at the file's allocation sites. */
static bool no_fail;

static int random_stream(uint64_t seed, unsigned nr_ops, struct hvo_opstream *s)
{
	uint64_t st = seed;

	hvo_ops_init(s);
	s->config.hvo_enabled = true;
	for (unsigned r = 0; r < (no_fail ? 0u : 2u); r++) {
		uint64_t x = hvo_splitmix64(&st);
		static const int sites[] = { HVO_SITE_HEAD_COPY, HVO_SITE_PTE_TABLE, HVO_SITE_RESTORE_PAGE,
					     HVO_SITE_HUGETLB_FOLIO };

		if (x % 3 == 0)
			continue;
		s->fail.rules[s->fail.nr_rules++] = (struct hvo_fail_rule){ sites[(x >> 8) % 4], 1 + (x >> 16) % 40,
									   1 + (x >> 24) % 8 };
	}
	s->fail.budget = -1;
	for (unsigned i = 0; i < nr_ops; i++) {
		uint64_t x = hvo_splitmix64(&st);
		unsigned k = x % 100;
		struct hvo_op *op;

		if (k < 25) {
			op = hvo_ops_add(s, HVO_OP_ALLOC);
			if (!op)
				return -1;
			op->order = 9;
			op->zone = -1;
		} else if (k < 40) {
			op = hvo_ops_add(s, HVO_OP_OPTIMIZE);
		} else if (k < 55) {
			op = hvo_ops_add(s, HVO_OP_RESTORE);
		} else if (k < 70) {
			op = hvo_ops_add(s, HVO_OP_FREE);
		} else if (k < 76) {
			op = hvo_ops_add(s, HVO_OP_ALLOC_BATCH);
			if (!op)
				return -1;
			op->order = 9;
			op->zone = -1;
			op->n = 1 + (x >> 8) % 4;
			continue;
		} else if (k < 90) {
			uint32_t sel[4];
			unsigned n = 1 + (x >> 8) % 4;

			op = hvo_ops_add(s, (x >> 16) & 1 ? HVO_OP_OPTIMIZE_BATCH : HVO_OP_RESTORE_BATCH);
			if (!op)
				return -1;
			for (unsigned j = 0; j < n; j++)
				sel[j] = (uint32_t)(x >> (24 + 8 * j)) & 0xff;
			if (hvo_ops_set_sel(s, op, sel, n))
				return -1;
			continue;
		} else {
			op = hvo_ops_add(s, HVO_OP_ENABLE);
			if (!op)
				return -1;
			op->n = (x >> 8) % 4 != 0;
			continue;
		}
		if (!op)
			return -1;
		op->f = (uint32_t)(x >> 8) & 0xff;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *expect = NULL, *save = NULL;
	bool verbose = false, random_mode = false;
	uint64_t seed = 1, count = 1;
	unsigned nr_ops = 200, nr = 0;
	int i = 1, rc = 0;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (argc > 1 && !strcmp(argv[1], "random")) {
		random_mode = true;
		i = 2;
	} else if (argc > 1 && !strcmp(argv[1], "diff")) {
		diff_mode = true;
		i = 2;
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		char *end;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--tree")) {
			printf("%s\n", HVO_K_TREE);
			return 0;
		} else if (diff_mode && i + 1 < argc && !strcmp(a, "--expect-diverge")) {
			expect_diverge = strtol(argv[++i], &end, 0);
			if (*end || expect_diverge < 0) {
				fprintf(stderr, "hvo-kernel: --expect-diverge needs an op index\n");
				return 2;
			}
		} else if (diff_mode && i + 1 < argc && !strcmp(a, "--variant")) {
			int v = hvo_mutant_by_name(argv[++i]);

			if (v < 0 || !hvo_mutant_info(v)->variant) {
				fprintf(stderr, "hvo-kernel: unknown model variant '%s' (./hvo variants lists them)\n", argv[i]);
				return 2;
			}
			model_variants |= 1ull << v;
		} else if (!strcmp(a, "--no-fail")) {
			no_fail = true;
		} else if (diff_mode && !strcmp(a, "--random")) {
			random_mode = true;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			verbose = true;
		} else if (i + 1 < argc && !strcmp(a, "--expect")) {
			expect = argv[++i];
		} else if (!strcmp(a, "--expect-file")) {
			expect_file = true;
		} else if (i + 1 < argc && !strcmp(a, "--save")) {
			save = argv[++i];
		} else if (i + 1 < argc && (!strcmp(a, "--seed") || !strcmp(a, "--ops") || !strcmp(a, "--count"))) {
			errno = 0;
			uint64_t v = strtoull(argv[++i], &end, 0);
			if (errno || *end || end == argv[i]) {
				fprintf(stderr, "hvo-kernel: %s needs a number, not '%s'\n", a, argv[i]);
				return 2;
			}
			if (!strcmp(a, "--seed"))
				seed = v;
			else if (!strcmp(a, "--ops"))
				nr_ops = v > 100000 ? 100000 : (unsigned)v;
			else
				count = v;
		} else {
			fprintf(stderr, "hvo-kernel: unknown option '%s' (--help lists them)\n", a);
			return 2;
		}
	}
	if (expect && expect_file) {
		fprintf(stderr, "hvo-kernel: --expect and --expect-file exclude each other\n");
		return 2;
	}
	if (random_mode) {
		if (i != argc) {
			fprintf(stderr, "hvo-kernel: random takes no files\n");
			return 2;
		}
		for (uint64_t k = 0; k < count && !interrupted; k++) {
			struct hvo_opstream s;
			char name[64], err[256];

			if (random_stream(seed + k, nr_ops, &s)) {
				fprintf(stderr, "hvo-kernel: out of memory\n");
				return 2;
			}
			snprintf(name, sizeof(name), "random-seed-%" PRIu64, seed + k);
			int r = diff_mode ? diff_one(name, &s) : run_one(name, &s, NULL, verbose);
			if (r == 1 && save) {
				if (hvo_ops_save(&s, save, err, sizeof(err))) {
					fprintf(stderr, "hvo-kernel: %s\n", err);
					r = 2;
				} else
					printf("saved the failing stream to %s\n", save);
				save = NULL;
			}
			rc = worst(rc, r);
			hvo_ops_free(&s);
		}
		return interrupted ? 130 : rc;
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	for (; i < argc && !interrupted; i++)
		rc = worst(rc, run_path(argv[i], expect, verbose, &nr));
	if (interrupted)
		return 130;
	if (nr == 0 && rc == 0) {
		fprintf(stderr, "hvo-kernel: no op stream (*.ops) found: nothing checked\n");
		return 3;
	}
	return rc;
}
