// SPDX-License-Identifier: GPL-2.0-only
/*
 * hvo_cli.c - hvo-cli, the program behind the ./hvo front door verbs
 * geometry, mutants, run, replay and explain.
 *
 * Exit status (README "Exit codes"): 0 checked and clean (or every input
 * as expected), 1 a finding (violation, failed expect, crash, a witness
 * not caught or caught as another failure than it names), 2 usage error,
 * unreadable or malformed input, a config the model refuses, 3 nothing was
 * checked (no input, --ops 0).  "COMMAND --help" prints the usage, exit 0.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ops.h"

/* Sanitizer reports exit with a code of their own, so a crash is told apart
 * from a checker failure (1) and bad input (2). */
#define SANITIZER_EXIT "exitcode=86"
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__asan_default_options(void) { return SANITIZER_EXIT; }
const char *__ubsan_default_options(void) { return SANITIZER_EXIT ":print_stacktrace=1"; }

static const char usage_text[] =
	"usage: hvo-cli <command> [options]\n"
	"  --version                                          the kernel revision each generation mirrors\n"
	"  geometry [--page-shift N] [--struct-page-size N]   derived constants (spec 1.4)\n"
	"  mutants                                            the bug catalogue: name, seq|conc, description\n"
	"  variants                                           the baselines, then the named kernel revisions beside\n"
	"                                                     them (--mutant NAME)\n"
	"  run [--seed X] [--ops N] [--gen g1|g2|g3] [--mutant NAME]... [--save FILE]\n"
	"                                                     run a random workload\n"
	"  replay [--mutant NAME]... [--expect-fail | --expect ID] FILE|DIR...\n"
	"                                                     replay inputs, each recognised by content: text op\n"
	"                                                     streams (hvo-ops 1), scheduler witnesses (hvo-sched 1,\n"
	"                                                     run by hvo-sched), stress op logs (hvo-oplog 1), anything\n"
	"                                                     else a binary op stream (fuzz_ops, crash-*); DIR: its\n"
	"                                                     files.  --expect-fail: each must fail with the invariant\n"
	"                                                     of its 'expect-fail ID' line (--expect ID overrides)\n"
	"  explain FILE [--mutant NAME]...                    run one file with a full trace\n"
	"  zoo-check DIR [NAME...]                            every mutant has DIR/<NAME>.ops (or DIR/sched/<NAME>.sched,\n"
	"                                                     DIR/stress/<NAME>.stress) naming it, with an\n"
	"                                                     'expect-fail' line (what it must fail with);\n"
	"                                                     NAMEs given must be exactly the mutant set\n"
"  diff [--gens g1,g2,...] [--seed X] [--ops N] [--mutant NAME]... [FILE]\n"
	"                                                     one stream (FILE or a random workload) on several\n"
	"                                                     generations in lockstep; the first divergence fails\n"
	"  bytes2text FILE                                    the canonical text of a binary (fuzz) input\n"
	"  text2bytes IN.ops OUT.bin                          the binary form of a text stream\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("hvo-cli: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	return 2;
}

/* ------------------------------------------------------------ options */

/* Decimal or 0x hex. */
static bool cli_num(const char *s, uint64_t max, uint64_t *out)
{
	int base = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10;
	const char *digits = base == 16 ? s + 2 : s;
	char *end;

	if (!*digits || *digits == '-' || *digits == '+' || *digits == ' ')
		return false;
	errno = 0;
	*out = strtoull(digits, &end, base);
	return !errno && !*end && *out <= max;
}

/* "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i past it.
 * Returns 1 when matched, 0 when not this option, -1 when the value is missing. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n])
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int unknown_mutant(const char *name)
{
	fprintf(stderr, "hvo-cli: unknown mutant '%s' (valid:", name);
	for (int i = 0; i < HVO_NR_MUTANTS; i++)
		fprintf(stderr, " %s", hvo_mutant_info(i)->name);
	fputs(")\n", stderr);
	return 2;
}

/* Shared options: --mutant NAME.  Returns 1 consumed, 0 not it, 2 error. */
static int opt_mutant(int argc, char **argv, int *i, uint64_t *mutants)
{
	const char *v;
	int k = opt_value(argc, argv, i, "--mutant", &v), mut;

	if (k == 0)
		return 0;
	if (k < 0)
		return usage_error("--mutant needs a name");
	mut = hvo_mutant_by_name(v);
	if (mut < 0)
		return unknown_mutant(v);
	*mutants |= 1ull << mut;
	return 1;
}

static int opt_number(int argc, char **argv, int *i, const char *name, uint64_t max, uint64_t *out)
{
	const char *v;
	int k = opt_value(argc, argv, i, name, &v);

	if (k == 0)
		return 0;
	if (k < 0)
		return usage_error("%s needs a value", name);
	if (!cli_num(v, max, out))
		return usage_error("bad value '%s' for %s (a number up to %" PRIu64 ")", v, name, max);
	return 1;
}

/* Print "--mutant X" for every mutant bit. */
static void print_mutant_args(uint64_t mutants, FILE *f)
{
	for (int i = 0; i < HVO_NR_MUTANTS; i++)
		if (mutants >> i & 1)
			fprintf(f, " --mutant %s", hvo_mutant_info(i)->name);
}

/* A path as a shell word. */
static void print_shell_word(const char *s, FILE *f)
{
	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-+=:,@") == strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++)
		fputs(*s == '\'' ? "'\\''" : (char[]){ *s, 0 }, f);
	fputc('\'', f);
}

/* ------------------------------------------------------------ geometry */

static void print_order(const struct hvo_geometry *g, unsigned k)
{
	printf("order.%u.vmemmap_pages=%" PRIu64 "\n", k, hvo_geo_vmemmap_pages(g, k));
	printf("order.%u.freed_pages=%" PRIu64 "\n", k, hvo_geo_freed_pages(g, k));
	if (g->sps_pow2)
		printf("order.%u.tail_info=0x%016llx\n", k, (unsigned long long)hvo_geo_tail_info(g, k));
}

/* tail_min_order, 9, the order of 1 GiB and max_folio_order: ascending, once each, in range */
static void print_orders(const struct hvo_geometry *g)
{
	unsigned cand[4] = { g->tail_min_order, 9, 30 - g->page_shift, g->max_folio_order };

	for (unsigned k = g->tail_min_order; k <= g->max_folio_order; k++)
		for (unsigned i = 0; i < 4; i++)
			if (cand[i] == k) {
				print_order(g, k);
				break;
			}
}

static int cmd_geometry(int argc, char **argv)
{
	uint64_t shift = 12, sps = 64;
	struct hvo_geometry g;
	char err[HVO_ERR_LEN];

	for (int i = 0; i < argc; i++) {
		int k = opt_number(argc, argv, &i, "--page-shift", 64, &shift);

		if (!k)
			k = opt_number(argc, argv, &i, "--struct-page-size", 65536, &sps);
		if (k != 1)
			return k ? k : usage_error("geometry: unknown option '%s'", argv[i]);
	}
	if (hvo_geometry_init(&g, (unsigned)shift, (unsigned)sps, err, sizeof(err))) {
		fprintf(stderr, "hvo-cli: geometry: %s\n", err);
		return 2;
	}
	printf("page_shift=%u\npage_size=%" PRIu64 "\nstruct_page_size=%u\nmask_encoding=%d\n", g.page_shift,
	       g.page_size, g.struct_page_size, g.sps_pow2);
	printf("hvo_possible=%d\nreserve_pages=%u\nvmemmap_tail_min_order=%u\nmax_folio_order=%u\n",
	       hvo_geo_optimizable(&g, g.max_folio_order), g.reserve_pages, g.tail_min_order, g.max_folio_order);
	printf("nr_vmemmap_tails=%u\nmax_folio_vmemmap_align=%" PRIu64 "\n", g.nr_vmemmap_tails,
	       g.max_folio_vmemmap_align);
	printf("pmd_size=%llu\nsection_size=%llu\n", 1ull << g.pmd_shift, 1ull << g.section_shift);
	print_orders(&g);
	return 0;
}

/* ------------------------------------------------------------ mutants */

/* The catalogue, mutants (bugs: name, seq|conc, description) or variants
 * (named kernel revisions the baseline differs from, switched on like a
 * mutant with --mutant NAME and held against the real trees by the kernel
 * lane's lockstep, ./hvo kernel diff --variant NAME: name, description). */
static int list_catalogue(const char *verb, bool variants, int argc, char **argv)
{
	if (argc)
		return usage_error("%s: unexpected argument '%s'", verb, argv[0]);
	if (variants)
		for (int g = HVO_G1; g <= HVO_G3; g++)
			printf("G%d (baseline)\t%s\n", g, hvo_baseline(g));
	for (int i = 0; i < HVO_NR_MUTANTS; i++) {
		const struct hvo_mutant_info *mi = hvo_mutant_info(i);

		if (mi->variant != variants)
			continue;
		if (variants)
			printf("%s\t%s\n", mi->name, mi->desc);
		else
			printf("%s\t%s\t%s\n", mi->name, mi->concurrent ? "conc" : "seq", mi->desc);
	}
	return 0;
}

static int cmd_mutants(int argc, char **argv) { return list_catalogue("mutants", false, argc, argv); }
static int cmd_variants(int argc, char **argv) { return list_catalogue("variants", true, argc, argv); }

/* ------------------------------------------------------------ run */

struct run_args {
	uint64_t seed, ops, mutants;
	enum hvo_gen gen;   /* 0: the workload's own */
	const char *save;
};

static int parse_run_args(int argc, char **argv, struct run_args *a)
{
	for (int i = 0; i < argc; i++) {
		const char *v;
		int k = opt_number(argc, argv, &i, "--seed", UINT64_MAX, &a->seed);

		if (!k)
			k = opt_number(argc, argv, &i, "--ops", HVO_OPS_MAX_OPS, &a->ops);
		if (!k)
			k = opt_mutant(argc, argv, &i, &a->mutants);
		if (!k && (k = opt_value(argc, argv, &i, "--save", &v)) == 1)
			a->save = v;
		if (!k && (k = opt_value(argc, argv, &i, "--gen", &v)) == 1) {
			if (hvo_gen_by_name(v) < 0)
				return usage_error("--gen: unknown generation '%s' (valid: g1 g2 g3)", v);
			a->gen = (enum hvo_gen)hvo_gen_by_name(v);
		}
		if (k < 0)
			return usage_error("%s needs a value", argv[i]);
		if (k != 1)
			return k ? k : usage_error("run: unknown option '%s'", argv[i]);
	}
	return 0;
}

static void print_run_summary(const struct hvo_opstream *s, const struct hvo_run_result *res)
{
	const struct hvo_counters *c = &res->counters;

	printf("config: gen=g%d page_shift=%u struct_page_size=%u nodes=%u fail_rules=%u\n", (int)s->config.gen, s->config.page_shift,
	       s->config.struct_page_size, s->config.nr_nodes, s->fail.nr_rules);
	printf("ops executed=%zu:", res->ops_executed);
	for (int k = 0; k < HVO_NR_OP_KINDS; k++)
		printf(" %s=%" PRIu64, hvo_op_kind_name((enum hvo_op_kind)k), res->kind_count[k]);
	printf(" skipped=%" PRIu64 " injected=%" PRIu64 "\n", res->skipped, res->injected);
	printf("counters: memmap_pages=%" PRId64 " memmap_boot_pages=%" PRId64 " node_memmap=", c->memmap_pages,
	       c->memmap_boot_pages);
	for (unsigned n = 0; n < s->config.nr_nodes && n < HVO_MAX_NODES; n++)
		printf("%s%" PRId64, n ? "," : "", c->node_memmap[n]);
	printf(" folios=%" PRIu64 " free=%" PRIu64 " in_use=%" PRIu64 " surplus=%" PRIu64 " optimized=%" PRIu64
	       " tlb_flushes=%" PRIu64 " pmd_splits=%" PRIu64 " shared_tails=%" PRIu64 "\n", c->nr_folios, c->nr_free,
	       c->nr_in_use, c->nr_surplus, c->nr_optimized, c->tlb_flushes, c->pmd_splits, c->shared_tails);
	printf("digest=%016" PRIx64 "\n", res->digest);
}

static void print_run_repro(const struct run_args *a, const struct hvo_run_result *res)
{
	fputs("reproduce: ./hvo ", stdout);
	if (a->save) {
		fputs("replay", stdout);
		if (a->mutants && res->has_violation)
			printf(" --expect I%d", res->violation.inv);
		print_mutant_args(a->mutants, stdout);
		fputc(' ', stdout);
		print_shell_word(a->save, stdout);
	} else {
		printf("run --seed 0x%" PRIx64 " --ops %" PRIu64, a->seed, a->ops);
		if (a->gen)
			printf(" --gen g%d", (int)a->gen);
		print_mutant_args(a->mutants, stdout);
	}
	fputc('\n', stdout);
}

static int cmd_run(int argc, char **argv)
{
	struct run_args a = { .seed = 1, .ops = 1000 };
	struct hvo_opstream s;
	struct hvo_run_result res;
	char err[HVO_ERR_LEN + 64];
	int rc = parse_run_args(argc, argv, &a);

	if (rc)
		return rc;
	if (hvo_ops_random(a.seed, (unsigned)a.ops, &s)) {
		fputs("hvo-cli: run: cannot generate the workload (out of memory)\n", stderr);
		return 2;
	}
	/* --gen swaps the machine under the same ops (seeds with bit 62 pick G3 and DAX ops). */
	if (a.gen)
		s.config.gen = a.gen;
	if (a.save && hvo_ops_save(&s, a.save, err, sizeof(err))) {
		fprintf(stderr, "hvo-cli: run: %s\n", err);
		hvo_ops_free(&s);
		return 2;
	}
	printf("run: seed=0x%016" PRIx64 " ops=%zu%s%s\n", a.seed, s.nr_ops, a.save ? " saved=" : "",
	       a.save ? a.save : "");
	if (!a.ops) {
		fputs("hvo-cli: run: --ops 0: no op runs, nothing was checked\n", stderr);
		hvo_ops_free(&s);
		return 3;
	}
	rc = hvo_ops_run(&s, a.mutants, &res, stdout);
	print_run_summary(&s, &res);
	printf("result: %s%s%s\n", rc == 0 ? "PASS" : rc == 1 ? "FAIL" : "ERROR", rc ? ": " : "", rc ? res.reason : "");
	if (rc == 1)
		print_run_repro(&a, &res);
	hvo_ops_free(&s);
	return rc;
}

/* ------------------------------------------------------------ inputs */

struct inputs {
	char **path;
	size_t n, cap;
};

static int add_input(struct inputs *in, const char *path)
{
	char **p, *dup = strdup(path);

	if (dup && in->n == in->cap) {
		p = realloc(in->path, (in->cap ? in->cap * 2 : 16) * sizeof(*p));
		if (!p) {
			free(dup);
			return -1;
		}
		in->path = p;
		in->cap = in->cap ? in->cap * 2 : 16;
	}
	if (!dup)
		return -1;
	in->path[in->n++] = dup;
	return 0;
}

static void free_inputs(struct inputs *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->path[i]);
	free(in->path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in dir but hidden ones, sorted by name: replay
 * recognises each by its content (input_kind). */
static int add_dir(struct inputs *in, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = in->n;
	char path[4096];
	struct stat st;

	if (!d) {
		fprintf(stderr, "hvo-cli: %s: cannot open directory: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!stat(path, &st) && S_ISREG(st.st_mode) && add_input(in, path)) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (in->n > first)  /* in->path may still be NULL */
		qsort(in->path + first, in->n - first, sizeof(*in->path), cmp_str);
	if (in->n == first)
		fprintf(stderr, "hvo-cli: %s: no input files\n", dir);
	return 0;
}

static int add_arg(struct inputs *in, const char *arg)
{
	struct stat st;

	if (!stat(arg, &st) && S_ISDIR(st.st_mode))
		return add_dir(in, arg);
	return add_input(in, arg);  /* unreadable files are reported when loaded */
}

/* ------------------------------------------------------------ replay */

/* What an input is, by its content: the first line that is neither blank
 * nor a comment names a text format; anything else is the binary op
 * stream fuzz_ops mutates (every byte string decodes). */
enum input_kind { IN_OPS_TEXT, IN_OPS_BYTES, IN_SCHED, IN_OPLOG, IN_STRESS };

static enum input_kind input_kind(const uint8_t *data, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i, k;

		while (j < len && data[j] != '\n')
			j++;
		for (k = i; k < j && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r'); k++)
			;
		if (k < j && data[k] != '#') {
			static const struct { const char *word; enum input_kind kind; } words[] = {
				{ "hvo-ops", IN_OPS_TEXT }, { "hvo-sched", IN_SCHED }, { "hvo-oplog", IN_OPLOG },
				/* a stress witness (corpus/zoo/stress/<ID>.stress) */
				{ "expect-fail", IN_STRESS }, { "tail-storm", IN_STRESS }, { "churn", IN_STRESS },
				{ "dax-churn", IN_STRESS }, { "gather", IN_STRESS },
			};

			for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
				size_t n = strlen(words[w].word);

				if (j - k > n && !memcmp(data + k, words[w].word, n) && (data[k + n] == ' ' || data[k + n] == '\t'))
					return words[w].kind;
			}
			return IN_OPS_BYTES;
		}
		i = j + 1;
	}
	return IN_OPS_BYTES;
}

struct replay_args {
	uint64_t mutants;
	bool expect_fail;
	int expect_inv;     /* --expect I<N>: overrides a stream's expect-fail line; -1 none */
	struct inputs in;
};

/* A parsed stream, in the child.  Returns 0 as expected, 1 not, 2 a setup error. */
static int replay_inproc(const char *path, const struct hvo_opstream *s, int want, const struct replay_args *a)
{
	struct hvo_run_result res;
	int rc = hvo_ops_run(s, a->mutants, &res, NULL);

	if (rc == 2) {
		fprintf(stderr, "ERROR %s: %s\n", path, res.reason);
		return 2;
	}
	if (rc == 0 && !a->expect_fail) {
		printf("PASS %s digest=%016" PRIx64 "\n", path, res.digest);
		return 0;
	}
	if (rc == 0) {
		printf("NOT-CAUGHT %s: expected I%d, the run is clean (digest=%016" PRIx64 ")\n", path, want, res.digest);
		return 1;
	}
	if (!a->expect_fail) {
		printf("FAIL %s: %s\n", path, res.reason);
		return 1;
	}
	if (res.has_violation && res.violation.inv == want) {
		printf("CAUGHT %s: I%d as expected: %s\n", path, want, res.reason);
		return 0;
	}
	printf("WRONG-FAILURE %s: expected I%d, got: %s\n", path, want, res.reason);
	return 1;
}

/* Copy the child's stderr to ours; true when it holds a sanitizer report
 * naming func. */
static bool pass_stderr(FILE *f, const char *func)
{
	char line[1024];
	bool report = false, named = false;

	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stderr);
		report |= strstr(line, "ERROR: AddressSanitizer") || strstr(line, "runtime error:") ||
			  strstr(line, "WARNING: ThreadSanitizer");
		named |= report && func[0] && strstr(line, func);
	}
	fclose(f);
	return report && named;
}

/* A text or binary op stream.  It runs in a child, so an input that
 * crashes the process (a sanitizer report, a fault on a sealed page) is
 * reported, not lost, and the rest still run.  A crash is a failure, and
 * never the violation an --expect-fail witness names, except a sanitizer
 * report naming the function of its 'sanitizer:FUNC' (the mutant's own bad
 * host access, which a sanitizer stops before the checker reports it).
 * Returns 0 as expected, 1 not, 2 unreadable or malformed, or
 * --expect-fail without an expected ID. */
static int replay_ops(const char *path, const uint8_t *data, size_t len, bool text, const struct replay_args *a)
{
	struct hvo_opstream s;
	char err[HVO_ERR_LEN + 64], func[sizeof(s.expect_sanitizer)];
	int st, want;
	FILE *errf;
	pid_t pid;

	if (text ? hvo_ops_parse((const char *)data, len, path, &s, err, sizeof(err)) : hvo_ops_decode(data, len, &s)) {
		fprintf(stderr, "ERROR %s\n", text ? err : "out of memory");
		return 2;
	}
	want = a->expect_inv >= 0 ? a->expect_inv : s.expect_fail_inv;
	snprintf(func, sizeof(func), "%s", a->expect_inv >= 0 ? "" : s.expect_sanitizer);
	if (a->expect_fail && want < 0) {
		hvo_ops_free(&s);
		fprintf(stderr, "ERROR %s: --expect-fail, but no 'expect-fail ID' line in the stream and no --expect ID\n",
			path);
		return 2;
	}
	errf = tmpfile();
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ERROR %s: fork: %s\n", path, strerror(errno));
		hvo_ops_free(&s);
		if (errf)
			fclose(errf);
		return 2;
	}
	if (pid == 0) {
		int rc;

		if (errf)
			dup2(fileno(errf), 2);
		rc = replay_inproc(path, &s, want, a);
		fflush(NULL);
		_exit(rc);
	}
	hvo_ops_free(&s);
	if (waitpid(pid, &st, 0) != pid) {
		fprintf(stderr, "ERROR %s: waitpid: %s\n", path, strerror(errno));
		return 2;
	}
	if (errf && pass_stderr(errf, func) && a->expect_fail && !(WIFEXITED(st) && WEXITSTATUS(st) <= 2)) {
		printf("CAUGHT %s: a sanitizer report in %s as expected (sanitizer exit %d)\n", path, func,
		       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return 0;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) <= 2)
		return WEXITSTATUS(st);
	printf("%s %s: crashed (%s %d)%s\n", a->expect_fail ? "WRONG-FAILURE" : "FAIL", path,
	       WIFSIGNALED(st) ? "signal" : "sanitizer exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
	       a->expect_fail ? ", not the expected violation" : "");
	return 1;
}

/* hvo-sched, the sibling of this program, runs scheduler witnesses and
 * stress op logs; its exit status follows the same rule. */
static int replay_sched(const char *path, enum input_kind kind, const struct replay_args *a)
{
	char self[4096], tool[4200], expect[16], *argv[2 * HVO_NR_MUTANTS + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int argc = 0, st;
	pid_t pid;

	if (n <= 0) {
		fprintf(stderr, "ERROR %s: cannot find hvo-sched: /proc/self/exe: %s\n", path, strerror(errno));
		return 2;
	}
	self[n] = '\0';
	snprintf(tool, sizeof(tool), "%.*s/hvo-sched", (int)(strrchr(self, '/') - self), self);
	argv[argc++] = tool;
	argv[argc++] = kind == IN_SCHED ? "replay" : "oplog";
	if (kind == IN_SCHED) {
		for (int i = 0; i < HVO_NR_MUTANTS; i++)
			if (a->mutants >> i & 1) {
				argv[argc++] = "--mutant";
				argv[argc++] = (char *)hvo_mutant_info(i)->name;
			}
		if (a->expect_fail)
			argv[argc++] = "--expect-fail";
		if (a->expect_inv >= 0) {
			snprintf(expect, sizeof(expect), "I%d", a->expect_inv);
			argv[argc++] = "--expect";
			argv[argc++] = expect;
		}
	} else {
		if (a->mutants)
			printf("NOTE %s: an op log names its own mutants; --mutant does not apply\n", path);
	}
	argv[argc++] = (char *)path;
	/* hvo-sched judges an op log's expect-fail line: 0 only for that violation */
	if (kind == IN_OPLOG && a->expect_fail)
		argv[argc++] = "--expect-fail";
	argv[argc] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execv(tool, argv);
		fprintf(stderr, "ERROR %s: cannot run %s: %s\n", path, tool, strerror(errno));
		_exit(2);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		fprintf(stderr, "ERROR %s: cannot run %s: %s\n", path, tool, strerror(errno));
		return 2;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 3) {
		printf("FAIL %s: %s crashed\n", path, tool);
		return 1;
	}
	return WEXITSTATUS(st);
}

static int replay_one(const char *path, const struct replay_args *a, enum input_kind *kind)
{
	size_t len;
	uint8_t *data = hvo_read_file(path, &len);
	int rc;

	if (!data) {
		fprintf(stderr, "ERROR %s: cannot read: %s\n", path, strerror(errno));
		return 2;
	}
	*kind = input_kind(data, len);
	if (*kind == IN_STRESS) {
		/* real threads under TSan: not a replay (stress/zoo_stress.sh runs it in the tsan build) */
		printf("SKIP %s: a stress witness; its oracle is TSan on real threads (stress/zoo_stress.sh)\n", path);
		rc = 3;
	} else if (*kind == IN_OPS_TEXT || *kind == IN_OPS_BYTES)
		rc = replay_ops(path, data, len, *kind == IN_OPS_TEXT, a);
	else
		rc = replay_sched(path, *kind, a);
	free(data);
	return rc;
}

static int parse_invariant(const char *v, int *inv)
{
	uint64_t n;

	if (v[0] != 'I' || !cli_num(v + 1, 23, &n))
		return usage_error("--expect: want an invariant ID I0..I23, got '%s'", v);
	*inv = (int)n;
	return 0;
}

static int parse_replay_args(int argc, char **argv, struct replay_args *a)
{
	for (int i = 0; i < argc; i++) {
		const char *v;
		int k = opt_mutant(argc, argv, &i, &a->mutants);

		if (k == 1)
			continue;
		if (k)
			return k;
		k = opt_value(argc, argv, &i, "--expect", &v);
		if (k < 0)
			return usage_error("--expect needs an invariant ID");
		if (k) {
			if (parse_invariant(v, &a->expect_inv))
				return 2;
			a->expect_fail = true;
		} else if (!strcmp(argv[i], "--expect-fail")) {
			a->expect_fail = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("replay: unknown option '%s'", argv[i]);
		} else if (add_arg(&a->in, argv[i])) {
			return 2;
		}
	}
	return 0;
}

/* Exit: 2 any error, else 1 any input not as expected, else 3 no input, else 0. */
static int cmd_replay(int argc, char **argv)
{
	static const char *const kind_name[] = { "text op streams", "binary op streams", "scheduler witnesses",
						 "stress op logs", "stress witnesses skipped" };
	struct replay_args a = { .expect_inv = -1 };
	size_t bad = 0, errors = 0, skipped = 0, per_kind[5] = { 0 };
	int rc = parse_replay_args(argc, argv, &a);

	if (!rc && !argc)
		rc = usage_error("replay: no input files");
	for (size_t i = 0; !rc && i < a.in.n; i++) {
		enum input_kind kind = IN_OPS_BYTES;
		int r = replay_one(a.in.path[i], &a, &kind);

		per_kind[kind] += r != 2;
		bad += r == 1;
		skipped += r == 3;
		errors += r == 2;
	}
	if (!rc) {
		printf("replay: %zu inputs, %zu as expected, %zu not, %zu errors (", a.in.n,
		       a.in.n - bad - errors - skipped, bad, errors);
		for (int k = 0; k < 5; k++)
			printf("%s%zu %s", k ? ", " : "", per_kind[k], kind_name[k]);
		printf(")\n");
		if (a.in.n == skipped)
			fputs("hvo-cli: replay: no input to replay: nothing was checked\n", stderr);
	}
	free_inputs(&a.in);
	return rc ? rc : errors ? 2 : bad ? 1 : a.in.n > skipped ? 0 : 3;
}

/* ------------------------------------------------------------ explain */

static int parse_explain_args(int argc, char **argv, uint64_t *mutants, const char **file)
{
	for (int i = 0; i < argc; i++) {
		int k = opt_mutant(argc, argv, &i, mutants);

		if (k == 1)
			continue;
		if (k)
			return k;
		if (argv[i][0] == '-' && argv[i][1])
			return usage_error("explain: unknown option '%s'", argv[i]);
		if (*file)
			return usage_error("explain: one file at a time ('%s' and '%s')", *file, argv[i]);
		*file = argv[i];
	}
	return *file ? 0 : usage_error("explain: no input file");
}

static void print_explain_repro(const char *file, uint64_t mutants, const struct hvo_run_result *res)
{
	fputs("reproduce: ./hvo replay", stdout);
	if (res->status == 1 && mutants && res->has_violation)
		printf(" --expect I%d", res->violation.inv);
	print_mutant_args(mutants, stdout);
	fputc(' ', stdout);
	print_shell_word(file, stdout);
	fputc('\n', stdout);
}

static int cmd_explain(int argc, char **argv)
{
	const char *file = NULL;
	uint64_t mutants = 0;
	struct hvo_opstream s;
	struct hvo_run_result res;
	char err[HVO_ERR_LEN + 64];
	int rc = parse_explain_args(argc, argv, &mutants, &file);

	if (rc)
		return rc;
	if (hvo_ops_load(file, &s, err, sizeof(err))) {
		fprintf(stderr, "hvo-cli: explain: %s\n", err);
		return 2;
	}
	printf("# explain %s: %zu ops\n", file, s.nr_ops);
	rc = hvo_ops_run_flags(&s, mutants, HVO_RUN_VERBOSE, &res, stdout);
	printf("result: %s%s%s\n", rc == 0 ? "PASS" : rc == 1 ? "FAIL" : "ERROR", rc ? ": " : "", rc ? res.reason : "");
	print_explain_repro(file, mutants, &res);
	hvo_ops_free(&s);
	return rc;
}

/* ------------------------------------------------------------ zoo-check */

/* The zoo is complete: each mutant's witness exists and says whose it is,
 * and a list of names given (the test suite's) is the whole mutant set. */
static int cmd_zoo_check(int argc, char **argv)
{
	int bad = 0;

	if (argc < 1)
		return usage_error("zoo-check: no directory");
	for (int i = 0; i < HVO_NR_MUTANTS; i++) {
		const char *name = hvo_mutant_info(i)->name;
		char path[4096], line[256], tag[64];
		bool listed = argc == 1, tagged = false, expects = false;
		FILE *f;

		if (hvo_mutant_info(i)->variant)
			continue;   /* a kernel revision, not a bug: its test is the kernel lane's lockstep */

		for (int a = 1; a < argc; a++)
			listed |= !strcmp(argv[a], name);
		if (!listed) {
			printf("zoo-check: mutant %s has no zoo test\n", name);
			bad = 1;
		}
		snprintf(path, sizeof(path), "%s/%s.ops", argv[0], name);
		snprintf(tag, sizeof(tag), "# witness: %s ", name);
		f = fopen(path, "r");
		if (!f && hvo_mutant_info(i)->concurrent) {
			/* a scheduler witness (hvo-sched replay) */
			snprintf(path, sizeof(path), "%s/sched/%s.sched", argv[0], name);
			f = fopen(path, "r");
		}
		if (!f && hvo_mutant_info(i)->concurrent) {
			/* a stress witness (hvo-stress under TSan, stress/zoo_stress.sh) */
			snprintf(path, sizeof(path), "%s/stress/%s.stress", argv[0], name);
			f = fopen(path, "r");
		}
		while (f && fgets(line, sizeof(line), f)) {
			tagged |= !strncmp(line, tag, strlen(tag));
			expects |= !strncmp(line, "expect-fail ", 12);
		}
		if (f)
			fclose(f);
		if (!tagged) {
			printf("zoo-check: %s missing or without a '# witness: %s' line\n", path, name);
			bad = 1;
		} else if (!expects) {
			printf("zoo-check: %s has no 'expect-fail' line (what it must fail with)\n", path);
			bad = 1;
		}
	}
	for (int a = 1; a < argc; a++)
		if (hvo_mutant_by_name(argv[a]) < 0) {
			printf("zoo-check: '%s' is not a mutant\n", argv[a]);
			bad = 1;
		}
	int nr = 0;

	for (int i = 0; i < HVO_NR_MUTANTS; i++)
		nr += !hvo_mutant_info(i)->variant;
	printf("zoo-check: %d mutants (variants aside), %s\n", nr, bad ? "INCOMPLETE" : "every one has a witness");
	return bad;
}

/* ------------------------------------------------------------ binary form */


/* Every byte string decodes, so the only errors are unreadable files. */
static int cmd_bytes2text(int argc, char **argv)
{
	struct hvo_opstream s;
	size_t len;
	uint8_t *data;
	unsigned version;

	if (argc != 1)
		return usage_error("bytes2text: expected one input file");
	data = hvo_read_file(argv[0], &len);
	if (!data) {
		fprintf(stderr, "hvo-cli: bytes2text: %s: cannot read: %s\n", argv[0], strerror(errno));
		return 2;
	}
	/* a text file would decode as some binary stream: refuse it */
	if (input_kind(data, len) != IN_OPS_BYTES) {
		fprintf(stderr, "hvo-cli: bytes2text: %s is a text file (an op stream, schedule or op log), not a "
			"binary input: nothing to decode\n", argv[0]);
		free(data);
		return 2;
	}
	version = hvo_ops_bytes_version(data, len);
	if (len && version != HVO_OPS_VERSION)
		fprintf(stderr, "hvo-cli: bytes2text: %s claims format version %u; decoded as version %d\n", argv[0],
			version, HVO_OPS_VERSION);
	if (hvo_ops_decode(data, len, &s)) {
		free(data);
		fputs("hvo-cli: bytes2text: out of memory\n", stderr);
		return 2;
	}
	free(data);
	if (hvo_ops_print(&s, stdout) || fflush(stdout)) {
		hvo_ops_free(&s);
		fputs("hvo-cli: bytes2text: write error\n", stderr);
		return 2;
	}
	hvo_ops_free(&s);
	return 0;
}

static int cmd_text2bytes(int argc, char **argv)
{
	struct hvo_opstream s;
	char err[HVO_ERR_LEN + 64];
	uint8_t *data;
	size_t len;
	FILE *f;
	int bad;

	if (argc != 2)
		return usage_error("text2bytes: expected IN.ops OUT.bin");
	if (hvo_ops_load(argv[0], &s, err, sizeof(err))) {
		fprintf(stderr, "hvo-cli: text2bytes: %s\n", err);
		return 2;
	}
	if (hvo_ops_encode_err(&s, &data, &len, err, sizeof(err))) {
		fprintf(stderr, "hvo-cli: text2bytes: %s: %s\n", argv[0], err);
		hvo_ops_free(&s);
		return 2;
	}
	hvo_ops_free(&s);
	f = fopen(argv[1], "wb");
	if (!f) {
		fprintf(stderr, "hvo-cli: text2bytes: %s: cannot create: %s\n", argv[1], strerror(errno));
		free(data);
		return 2;
	}
	bad = fwrite(data, 1, len, f) != len;
	bad |= fclose(f) != 0;
	free(data);
	if (bad) {
		fprintf(stderr, "hvo-cli: text2bytes: %s: write error\n", argv[1]);
		return 2;
	}
	return 0;
}

/* ------------------------------------------------------------ main */

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

/* ------------------------------------------------------------ diff */

static int parse_gens(const char *v, enum hvo_gen *gens, unsigned *n)
{
	char buf[64], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	*n = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (hvo_gen_by_name(t) < 0 || *n == HVO_DIFF_MAX_GENS)
			return usage_error("--gens: want 2..%d of g1 g2 g3, got '%s'", HVO_DIFF_MAX_GENS, v);
		gens[(*n)++] = (enum hvo_gen)hvo_gen_by_name(t);
	}
	return *n < 2 ? usage_error("--gens: want at least two generations, got '%s'", v) : 0;
}

static int cmd_diff(int argc, char **argv)
{
	enum hvo_gen gens[HVO_DIFF_MAX_GENS] = { HVO_G1, HVO_G2, HVO_G3 };
	unsigned n = 3;
	uint64_t seed = 1, ops = 1000, mutants = 0;
	const char *file = NULL, *v;
	struct hvo_opstream s;
	struct hvo_diff_result res;
	char err[HVO_ERR_LEN + 64];
	int rc;

	for (int i = 0; i < argc; i++) {
		int k = opt_number(argc, argv, &i, "--seed", UINT64_MAX, &seed);

		if (!k)
			k = opt_number(argc, argv, &i, "--ops", HVO_OPS_MAX_OPS, &ops);
		if (!k)
			k = opt_mutant(argc, argv, &i, &mutants);
		if (!k && (k = opt_value(argc, argv, &i, "--gens", &v)) == 1 && parse_gens(v, gens, &n))
			return 2;
		if (k < 0)
			return usage_error("%s needs a value", argv[i]);
		if (!k && argv[i][0] != '-' && !file) {
			file = argv[i];
			k = 1;
		}
		if (k != 1)
			return k ? k : usage_error("diff: unknown option '%s'", argv[i]);
	}
	if (file ? hvo_ops_load(file, &s, err, sizeof(err)) : hvo_ops_random(seed, (unsigned)ops, &s)) {
		fprintf(stderr, "hvo-cli: diff: %s\n", file ? err : "cannot generate the workload (out of memory)");
		return 2;
	}
	rc = hvo_ops_diff(&s, gens, n, mutants, 0, &res);
	printf("diff: %s, %zu ops compared on", file ? file : "random workload", res.ops_compared);
	for (unsigned k = 0; k < n; k++)
		printf(" G%d", (int)gens[k]);
	printf("\nresult: %s%s%s%s\n", rc == 0 ? "AGREE" : rc == 1 ? "DIVERGE" : "ERROR",
	       rc ? ": " : res.oom_stop ? " (" : "", rc || res.oom_stop ? res.reason : "",
	       !rc && res.oom_stop ? "; the rest not compared)" : "");
	hvo_ops_free(&s);
	if (rc == 0 && !res.ops_compared) {
		fputs("hvo-cli: diff: no op compared: nothing was checked\n", stderr);
		return 3;
	}
	return rc;
}

static const struct command commands[] = {
	{ "geometry", cmd_geometry }, { "mutants", cmd_mutants }, { "variants", cmd_variants }, { "run", cmd_run },
	{ "replay", cmd_replay }, { "explain", cmd_explain }, { "zoo-check", cmd_zoo_check }, { "diff", cmd_diff },
	{ "bytes2text", cmd_bytes2text }, { "text2bytes", cmd_text2bytes },
};

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("missing command");
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("hvo-cli (hvo-harness)");
		hvo_print_baselines(stdout, "");
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			for (int k = 2; k < argc; k++)
				if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
					fputs(usage_text, stdout);
					return 0;
				}
			return commands[i].fn(argc - 2, argv + 2);
		}
	return usage_error("unknown command '%s'", argv[1]);
}
