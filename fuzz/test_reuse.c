// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_reuse.c - what a fuzz target keeps across inputs changes no run:
 * a sequence of different inputs run on one host memory pool (hvo.h) and,
 * for the scheduler, one set of parked fibers (sched.h) gives, input by
 * input, the very result of a run on fresh memory and fresh fibers.
 *
 * The same for the boot cache (ops_reset.c, issue 16): each stream also
 * runs three times through one cache shared by the whole sequence, the
 * third time (at least) from a copy of a booted machine
 * (hvo_machine_clone), and every result must equal the fresh run's.  That covers every zoo witness
 * (with and without its mutant), the random workloads, failure rules that
 * count the boot's calls, every committed fuzz_ops, fuzz_dax and fuzz_boot
 * seed and the lockstep diffs of the fuzz_ops and fuzz_dax seeds.  The
 * scheduler makes its machines itself (no boot cache): its runs check the
 * pool and fibers only.
 *
 *   test_reuse SOURCE_ROOT [--break NAME]
 *
 * --break NAME breaks the copy on purpose (hvo_reset_break_set: skip-frame,
 * skip-folio-table, skip-counters, skip-fail-calls) and the test then
 * passes only when the comparison reports a difference: the equivalence
 * test is shown able to fail.
 *
 * The inputs differ in what the reuse could carry over: configs (page
 * shift, generation, nodes, G3 DAX, bootmem), passing and failing runs
 * (every zoo witness with and without its mutant, injected allocation
 * failures), lockstep runs of three machines at once, scheduler scenarios
 * from random bytes and from the zoo, and runs cut short by the step limit
 * (fibers left inside a job).  The whole result is compared (status,
 * violation, reason, digest, counters; schedule, switches, points), so a
 * block handed out again without the zeroing calloc gave, or a fiber
 * resumed inside a dead run's job, shows up as a difference.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_stream.h"
#include "sched_scen.h"

/* A run cut short by the step limit drops its CPUs inside their jobs with
 * what they hold (snapshot buffers): leaked by design (the same without
 * reuse), so LeakSanitizer stays off in this test. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }

static int failures;
#define EXPECT(c) do { if (!(c)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static struct hvo_host_pool *pool;
static struct hvo_boot_cache *cache;
static unsigned nr_streams, nr_failing;
/* --break NAME: the reset is broken on purpose (hvo_reset_break_set) and
 * the comparison must report it; found counts the differences. */
static bool breaking;
static unsigned found;

/* The boot cache keeps a config from its second boot: the third run
 * through it starts from a copy (or, the first two, from the cache's
 * earlier streams of the same config). */
static const char *const reset_run[3] = { "cached (first)", "cached (second)", "cached (third)" };

static void differ(void)
{
	if (breaking)
		found++;
	else
		failures++;
}

/* The digests of every run through the cache, combined in order: equal in
 * the gcc and the clang ASan builds (determinism across compilers). */
static uint64_t all_digests;

static void compare_run(const char *name, const char *how, const struct hvo_run_result *fresh,
			const struct hvo_run_result *other)
{
	all_digests = (all_digests ^ other->digest) * 0x100000001b3ull;
	if (!memcmp(fresh, other, sizeof(*fresh)))
		return;
	if (!breaking || !found)
		printf("%s %s: fresh status %d digest %016llx (%s), %s status %d digest %016llx (%s)\n",
		       breaking ? "DIFFERENCE" : "FAIL", name, fresh->status, (unsigned long long)fresh->digest,
		       fresh->reason, how, other->status, (unsigned long long)other->digest, other->reason);
	differ();
}

/* One stream alone, on the shared pool, and three times through the boot
 * cache (the third starts from a copy whenever the booted machine can be
 * copied); every result must equal the fresh one. */
static void run_both(const char *name, struct hvo_opstream *s, uint64_t mutants)
{
	struct hvo_run_result fresh, reused;

	s->config.host_pool = NULL;
	s->boot_cache = NULL;
	hvo_ops_run(s, mutants, &fresh, NULL);
	nr_streams++;
	nr_failing += fresh.status != 0;
	s->config.host_pool = pool;
	if (!breaking) {
		hvo_ops_run(s, mutants, &reused, NULL);
		compare_run(name, "reused", &fresh, &reused);
	}
	s->boot_cache = cache;
	for (int i = 0; i < 3; i++) {
		hvo_ops_run(s, mutants, &reused, NULL);
		compare_run(name, reset_run[i], &fresh, &reused);
	}
	s->boot_cache = NULL;
}

static void compare_diff(const char *name, const char *how, const struct hvo_diff_result *fresh,
			 const struct hvo_diff_result *other)
{
	if (!memcmp(fresh, other, sizeof(*fresh)))
		return;
	if (!breaking || !found)
		printf("%s diff %s: fresh %d (%s), %s %d (%s)\n", breaking ? "DIFFERENCE" : "FAIL", name, fresh->status,
		       fresh->reason, how, other->status, other->reason);
	differ();
}

static void diff_both(const char *name, struct hvo_opstream *s)
{
	static const enum hvo_gen gens[] = { HVO_G2, HVO_G1, HVO_G3 };
	struct hvo_diff_result fresh, reused;

	s->config.host_pool = NULL;
	s->boot_cache = NULL;
	hvo_ops_diff(s, gens, 3, 0, 0, &fresh);
	s->config.host_pool = pool;
	if (!breaking) {
		hvo_ops_diff(s, gens, 3, 0, 0, &reused);
		compare_diff(name, "reused", &fresh, &reused);
	}
	s->boot_cache = cache;
	for (int i = 0; i < 3; i++) {
		hvo_ops_diff(s, gens, 3, 0, 0, &reused);
		compare_diff(name, reset_run[i], &fresh, &reused);
	}
	s->boot_cache = NULL;
}

/* Mutants whose witness corrupts host memory (B18 writes past a heap array,
 * B5 writes through a freed PTE table): ASan's to report, no run to compare. */
static bool corrupts_host(int mu) { return mu == HVO_MUT_B18 || mu == HVO_MUT_B5; }

/* B12a-on-g1 -> B12a, B3-nohvo -> B3; B7-G1 is a name itself. */
static int witness_mutant(const char *stem)
{
	char buf[64];
	char *dash;
	int mu = hvo_mutant_by_name(stem);

	snprintf(buf, sizeof(buf), "%s", stem);
	while (mu < 0 && (dash = strrchr(buf, '-')) != NULL) {
		*dash = '\0';
		mu = hvo_mutant_by_name(buf);
	}
	return mu;
}

/* Failure rules count the calls of boot too: the Nth call of any site, for
 * N across the boot's calls and past them, on two random workloads.  A reset
 * that restarted the counts fails a different call (skip-fail-calls). */
static void fail_after_boot(void)
{
	static const unsigned nth[] = { 40, 120, 400, 1200, 3000 };

	for (uint64_t seed = 1; seed <= 2; seed++)
		for (unsigned i = 0; i < sizeof(nth) / sizeof(nth[0]); i++) {
			struct hvo_opstream s;
			char name[64];

			snprintf(name, sizeof(name), "random seed %llu, call %u fails", (unsigned long long)seed, nth[i]);
			EXPECT(hvo_ops_random(seed, 150, &s) == 0);
			s.fail.nr_rules = 1;
			s.fail.rules[0] = (struct hvo_fail_rule){ .site = -1, .nth = nth[i], .repeat = 1 };
			run_both(name, &s, 0);
			hvo_ops_free(&s);
		}
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* fn(path, stem) for dir's files ending in ext, sorted by name. */
static void for_each_file(const char *dir, const char *ext, void (*fn)(const char *path, const char *stem))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[512];
	size_t n = 0, el = strlen(ext);

	EXPECT(d != NULL);
	while (d && (e = readdir(d)) != NULL && n < 512) {
		size_t l = strlen(e->d_name);

		if (l > el && !strcmp(e->d_name + l - el, ext))
			names[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		char path[4096], stem[256];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(stem, sizeof(stem), "%.*s", (int)(strlen(names[i]) - el), names[i]);
		fn(path, stem);
		free(names[i]);
	}
}

static void zoo_witness(const char *path, const char *stem)
{
	struct hvo_opstream s;
	char err[HVO_ERR_LEN];
	int mu = witness_mutant(stem);

	if (hvo_ops_load(path, &s, err, sizeof(err))) {
		printf("FAIL %s: %s\n", path, err);
		failures++;
		return;
	}
	EXPECT(mu >= 0);
	run_both(path, &s, 0);
	if (mu >= 0 && !corrupts_host(mu))
		run_both(path, &s, 1ull << mu);
	hvo_ops_free(&s);
}

static void seed_bin(const char *path, bool g3)
{
	size_t len = 0;
	uint8_t *data = hvo_read_file(path, &len);
	struct hvo_opstream s;

	EXPECT(data != NULL);
	if (data && !fuzz_stream_decode_mode(data, len, g3, &s)) {
		run_both(path, &s, 0);
		diff_both(path, &s);
		hvo_ops_free(&s);
	}
	free(data);
}

static void boot_seed(const char *path, const char *stem)
{
	size_t len = 0;
	uint8_t *data = hvo_read_file(path, &len);
	struct hvo_opstream s;
	bool valid;

	(void)stem;
	EXPECT(data != NULL);
	if (data && !fuzz_boot_decode(data, len, &s, &valid)) {
		s.expect_setup_error = !valid;
		run_both(path, &s, 0);
		hvo_ops_free(&s);
	}
	free(data);
}

static void ops_seed(const char *path, const char *stem) { (void)stem; seed_bin(path, false); }
static void dax_seed(const char *path, const char *stem) { (void)stem; seed_bin(path, true); }

/* ------------------------------------------------------------ scheduler */

static struct sched_fibers *fibers;
static unsigned nr_scen, nr_cut;

static void scen_both(const struct scen_input *in, const struct sched_cfg *sc, uint64_t mutants)
{
	struct sched_cfg kept = *sc;
	struct scen_result fresh, reused;

	scen_run(in, sc, mutants, NULL, &fresh);
	kept.fibers = fibers;
	scen_run(in, &kept, mutants, pool, &reused);
	nr_scen++;
	nr_cut += strstr(fresh.reason, "step limit") != NULL;
	if (memcmp(&fresh, &reused, sizeof(fresh))) {
		printf("FAIL scenario %s cpus %u: fresh %d (%s) %s, reused %d (%s) %s\n", scen_name(in->scen), in->ncpus,
		       fresh.status, fresh.reason, fresh.schedule, reused.status, reused.reason, reused.schedule);
		failures++;
	}
}

static void sched_witness(const char *path, const char *stem)
{
	size_t len = 0;
	uint8_t *bytes = hvo_read_file(path, &len);
	char *text = bytes ? calloc(len + 1, 1) : NULL, err[256];
	struct scen_input in;
	struct sched_cfg sc = { .policy = SCHED_REPLAY };
	int mu = hvo_mutant_by_name(stem);

	if (text)
		memcpy(text, bytes, len);  /* bytes, not a string */
	free(bytes);
	if (!text || scen_parse(text, &in, err, sizeof(err))) {
		printf("FAIL %s: %s\n", path, text ? err : "unreadable");
		failures++;
		free(text);
		return;
	}
	sc.replay = in.schedule;
	sc.replay_named = in.has_named ? in.named : NULL;
	sc.replay_reads = in.reads;
	scen_both(&in, &sc, 0);
	if (mu >= 0 && !corrupts_host(mu))
		scen_both(&in, &sc, 1ull << mu);
	free(text);
}

static void sched_random(void)
{
	uint64_t x = 0x5eed;
	uint8_t bytes[64];

	for (unsigned i = 0; i < 40; i++) {
		struct scen_input in = { .scen = (enum scen_id)(i % NR_SCEN), .ncpus = 2 + i % 3, .param = i / 3 };
		struct sched_cfg sc = { .policy = SCHED_BYTES, .bytes = bytes, .nbytes = sizeof(bytes) };

		for (size_t k = 0; k < sizeof(bytes); k++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			bytes[k] = (uint8_t)(x >> 56);
		}
		/* every fourth run stops early, inside the CPUs' jobs */
		sc.max_steps = i % 4 == 3 ? 3 + i % 7 : 0;
		scen_both(&in, &sc, 0);
	}
}

int main(int argc, char **argv)
{
	char dir[4096];

	int brk = HVO_RESET_BREAK_NONE;

	if (argc == 4 && !strcmp(argv[2], "--break"))
		brk = hvo_reset_break_by_name(argv[3]);
	if ((argc != 2 && argc != 4) || brk < 0 || (argc == 4 && brk == HVO_RESET_BREAK_NONE)) {
		fprintf(stderr, "usage: test_reuse SOURCE_ROOT [--break skip-frame|skip-folio-table|skip-counters|"
			"skip-fail-calls]\n");
		return 2;
	}
	breaking = brk != HVO_RESET_BREAK_NONE;
	hvo_reset_break_set((enum hvo_reset_break)brk);
	pool = hvo_host_pool_create();
	fibers = sched_fibers_create();
	cache = hvo_boot_cache_create();
	EXPECT(pool && fibers && cache);
	if (!pool || !fibers || !cache)
		return 1;
	/* random workloads first: bit 63 of the seed picks the page shift */
	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct hvo_opstream s;
		char name[64];

		snprintf(name, sizeof(name), "random seed %llu", (unsigned long long)seed);
		EXPECT(hvo_ops_random(seed | (seed & 1) << 63, 150, &s) == 0);
		run_both(name, &s, 0);
		hvo_ops_free(&s);
	}
	fail_after_boot();
	snprintf(dir, sizeof(dir), "%s/corpus/zoo", argv[1]);
	for_each_file(dir, ".ops", zoo_witness);
	snprintf(dir, sizeof(dir), "%s/corpus/fuzz_ops", argv[1]);
	for_each_file(dir, ".bin", ops_seed);
	snprintf(dir, sizeof(dir), "%s/corpus/fuzz_dax", argv[1]);
	for_each_file(dir, ".bin", dax_seed);
	snprintf(dir, sizeof(dir), "%s/corpus/fuzz_boot", argv[1]);
	for_each_file(dir, ".bin", boot_seed);
	if (breaking) {
		/* the runs through the broken reset must have differed */
		EXPECT(found > 0);
		EXPECT(hvo_boot_cache_hits(cache) > 50);
		printf("test_reuse --break %s: %u runs through the cache differed from the fresh run (%u streams): %s\n", argv[3],
		       found, nr_streams, failures ? "FAILED (the equivalence test missed the broken reset)" :
		       "ok (the broken reset was reported)");
		hvo_boot_cache_destroy(cache);
		sched_fibers_destroy(fibers);
		hvo_host_pool_destroy(pool);
		return failures != 0;
	}
	sched_random();
	snprintf(dir, sizeof(dir), "%s/corpus/zoo/sched", argv[1]);
	for_each_file(dir, ".sched", sched_witness);
	sched_random();

	/* the sequence was varied and the reuse real */
	EXPECT(nr_streams > 80 && nr_failing > 30);
	EXPECT(nr_scen > 90 && nr_cut >= 10);
	EXPECT(hvo_host_pool_reused(pool) > 1000);
	/* many runs started from a copy of a booted machine (a stream's third
	 * run through the cache at least, G3 and failed boots excepted) */
	EXPECT(hvo_boot_cache_hits(cache) > nr_streams / 2);
	printf("test_reuse: %u streams (%u failing), %llu runs from a reset machine (digests %016llx), %u scenario runs "
	       "(%u cut short), %llu blocks reused: %s\n", nr_streams, nr_failing,
	       (unsigned long long)hvo_boot_cache_hits(cache), (unsigned long long)all_digests, nr_scen, nr_cut,
	       (unsigned long long)hvo_host_pool_reused(pool), failures ? "FAILED" : "ok");
	hvo_boot_cache_destroy(cache);
	sched_fibers_destroy(fibers);
	hvo_host_pool_destroy(pool);
	return failures != 0;
}
