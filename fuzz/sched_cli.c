// SPDX-License-Identifier: GPL-2.0-only
/*
 * sched_cli.c - hvo-sched, the deterministic scheduler's command line:
 *
 *   hvo-sched replay [--weak] [--mutant NAME]... [--expect-fail | --expect ID] FILE...
 *       rerun scenario witnesses with their recorded schedules; PASS/FAIL
 *       per file.  A run that leaves its recorded schedule (diverged)
 *       fails.  --expect-fail: a file passes when the run fails with the
 *       invariant of its 'expect-fail ID' line (--expect ID overrides),
 *       after exactly the recorded decisions; any other failure (another
 *       invariant, a crash, the failure on another path) does not count.
 *       --weak: weak memory (fuzz/WEAK.md) for files without 'memory weak'
 *       (an SC schedule then reads the newest store everywhere: the SC run).
 *       A witness whose named switches (sched.h) no longer apply (a switch
 *       the run never reaches) is stale: said so with how to re-record it,
 *       exit 2 (an input that no longer applies), neither caught nor not.
 *       --print-named: then print each run as a witness with named switches
 *       (converts a 'schedule N:DIGITS' witness); --extra-point SITE (tests):
 *       one more sync point before each hit of SITE, as a refactor adds one
 *   hvo-sched explore SCENARIO [--weak] [--cpus N] [--param P] [--mutant NAME]...
 *       [--policy pct|random] [--depth D] [--runs N] [--seed X] [--save FILE]
 *       run seeded schedules until one fails; print (and save) it as a witness;
 *       --weak: in the weak-memory mode (recorded as 'memory weak')
 *   hvo-sched bench [--runs N]
 *       switch points and CPU switches per second, runs per second, and the
 *       weak-memory mode's runs per second next to the SC mode's
 *   hvo-sched oplog FILE [--policy pct|random] [--depth D] [--runs N] [--seed X]
 *       [--schedule S] [--expect-clean]
 *       replay an hvo-stress op log, one fiber per thread (sched_oplog.h),
 *       under seeded schedules until a run fails, and print the schedule
 *       that replays that failure exactly (--schedule S); --expect-clean
 *       is the default rule, accepted for old scripts
 *
 * Exit status (README "Exit codes"): 0 checked and clean (replay: every
 * file as expected), 1 a finding (explore found a failing schedule, oplog
 * reproduced a violation, a replay not as expected), 2 usage, input or
 * setup error.  "--help" prints the usage, exit 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"
#include "sched_oplog.h"
#include "sched_scen.h"

static const char usage_text[] = "usage: hvo-sched replay [--weak] [--mutant NAME]... [--expect-fail | --expect ID] [--print-named]\n"
	"                        [--extra-point SITE] FILE...\n"
	"       hvo-sched explore SCENARIO [--weak] [--cpus N] [--param P] [--mutant NAME]... [--policy pct|random]\n"
	"                         [--depth D] [--runs N] [--seed X] [--save FILE]\n"
	"                         SCENARIO: optimize_race, walk, batch, walk_g1, reprep, publish\n"
	"       hvo-sched bench [--runs N]\n"
	"       hvo-sched oplog FILE [--policy pct|random] [--depth D] [--runs N>=1] [--seed X] [--schedule N:DIGITS]\n"
	"                       [--expect-fail]   (0 only for the violation the log's expect-fail line names)\n"
	"                       [--expect-clean]\n"
	"exit: 0 clean (or as expected), 1 a finding (a failing schedule found, a violation reproduced, a replay\n"
	"      not as expected), 2 usage/input error (replay: a stale witness, whose switches the run never reaches)\n";

_Static_assert(NR_SCEN == 6, "the usage lists every scenario");

static int usage(const char *msg)
{
	fprintf(stderr, "hvo-sched: %s\n%s", msg, usage_text);
	return 2;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == ' ')   /* strtoull takes "-1" as 2^64-1 */
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return *end == '\0' && !errno;
}

static bool add_mutant(const char *name, uint64_t *mutants)
{
	int m = name ? hvo_mutant_by_name(name) : -1;

	if (m < 0)
		return false;
	*mutants |= 1ull << m;
	return true;
}

static int load(const char *path, struct scen_input *in)
{
	size_t len;
	uint8_t *buf = hvo_read_file(path, &len);
	char err[256], *text = buf ? malloc(len + 1) : NULL;
	int rc;

	if (!text) {
		free(buf);
		fprintf(stderr, "hvo-sched: cannot read %s\n", path);
		return -1;
	}
	memcpy(text, buf, len);
	text[len] = '\0';  /* hvo_read_file gives bytes, not a string */
	rc = scen_parse(text, in, err, sizeof(err));
	free(text);
	free(buf);
	if (rc)
		fprintf(stderr, "hvo-sched: %s: %s\n", path, err);
	return rc;
}

/* Run in a child: a mutant may corrupt the model's host memory, and a
 * sanitizer report or a signal is a failure to report, not to die of.
 * Returns the scenario status, or 3 for a crash. */
static int run_child(const struct scen_input *in, const struct sched_cfg *sc, uint64_t mutants,
		     struct scen_result *res)
{
	int fd[2], wst;
	pid_t pid;
	ssize_t got = 0;

	memset(res, 0, sizeof(*res));
	fflush(stdout);
	if (pipe(fd))
		return scen_run(in, sc, mutants, NULL, res);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		scen_run(in, sc, mutants, NULL, res);
		if (write(fd[1], res, sizeof(*res)) != (ssize_t)sizeof(*res))
			_exit(3);
		_exit(res->status);
	}
	close(fd[1]);
	while (pid > 0 && got < (ssize_t)sizeof(*res)) {
		ssize_t n = read(fd[0], (char *)res + got, sizeof(*res) - (size_t)got);

		if (n <= 0)
			break;
		got += n;
	}
	close(fd[0]);
	if (pid < 0 || waitpid(pid, &wst, 0) < 0 || !WIFEXITED(wst) || got != (ssize_t)sizeof(*res))
		return 3;
	return WEXITSTATUS(wst) == res->status ? res->status : 3;
}

/* The invariant a failure names: "I12 pfn=..." or "oracle: I1: ..." -> "I12" / "I1"; "" if none. */
static void failure_id(const char *reason, char *id, size_t len)
{
	size_t n;

	if (!strncmp(reason, "oracle: ", 8))
		reason += 8;
	n = reason[0] == 'I' ? 1 + strspn(reason + 1, "0123456789") : 0;
	if (n < 2 || n >= len)
		n = 0;
	memcpy(id, reason, n);
	id[n] = '\0';
}

/* A witness whose named switches no longer apply (issue 17 item 6): a
 * moved or removed sync point, not a lost catch.  Exit 2, the input no
 * longer applies (README "Exit codes"). */
static int stale(const char *path, const struct scen_input *in, const struct scen_result *res, uint64_t mutants)
{
	printf("witness stale: %s: %s; re-record with: ./hvo sched explore %s --cpus %u --param %u%s",
	       path, res->stale, scen_name(in->scen), in->ncpus, in->param, in->weak ? " --weak" : "");
	for (int i = 0; i < HVO_NR_MUTANTS; i++)
		if (mutants >> i & 1)
			printf(" --mutant %s", hvo_mutant_info(i)->name);
	printf("%s --save %s\n", mutants ? "" : " --mutant <ID>", path);
	return 2;
}

/* One witness: 0 as expected, 1 not, 2 unreadable, stale or a setup error. */
static int replay_file(const char *path, uint64_t mutants, bool expect_fail, const char *expect, bool weak,
		       bool print_named, const char *extra_point)
{
	struct scen_input in;
	struct scen_result res;
	struct sched_cfg sc = { .policy = SCHED_REPLAY };
	char got[16];
	const char *want, *verdict;
	int status, rc;
	bool own, diverged;

	if (load(path, &in))
		return 2;
	want = expect ? expect : in.expect;
	if (expect_fail && !want[0]) {
		fprintf(stderr, "hvo-sched: %s: --expect-fail, but no 'expect-fail ID' line and no --expect ID\n", path);
		return 2;
	}
	sc.replay = in.schedule;
	sc.replay_named = in.has_named ? in.named : NULL;
	sc.replay_reads = in.reads;
	sc.weak = weak;
	sc.extra_point = extra_point;
	status = run_child(&in, &sc, mutants, &res);
	if (print_named && status != 3)
		scen_print(&in, res.schedule, res.named, res.reads, 0, stdout);
	failure_id(res.reason, got, sizeof(got));
	if (status == 2) {
		fprintf(stderr, "hvo-sched: %s: setup error: %s\n", path, res.reason);
		return 2;
	}
	/* The witness's own run (its failure under --expect-fail, or a positive
	 * witness) must take every named switch.  The other direction, the
	 * correct model on a mutant's witness, may leave the mutant's path
	 * (a site only the mutant reaches): said, not judged. */
	own = expect_fail || !in.expect[0];
	if (status != 3 && res.stale[0] && own)
		return stale(path, &in, &res, mutants);
	diverged = res.diverged && !in.has_named;  /* named: divergence is the staleness above */
	if (diverged) {
		verdict = "FAIL";   /* the run is not the one recorded: it shows nothing about the witness */
		rc = 1;
	} else if (!expect_fail) {
		verdict = status == 0 ? "PASS" : "FAIL";
		rc = status != 0;
	} else if (status == 1 && !strcmp(got, want) &&
		   ((in.has_named ? strcmp(res.named, in.named) : strcmp(res.schedule, in.schedule)) ||
		    (in.reads[0] && strcmp(res.reads, in.reads)))) {
		/* the expected failure, but not on the recorded path: the run took
		 * other decisions than the witness records (fewer, or more) */
		verdict = "FAIL";
		rc = 1;
		printf("FAIL %s: the failure came after other decisions than the recorded schedule\n", path);
	} else if (status == 1 && !strcmp(got, want)) {
		verdict = "PASS";
		rc = 0;
	} else {
		verdict = status == 0 ? "NOT-CAUGHT" : "WRONG-FAILURE";
		rc = 1;
	}
	printf("%s %s: %s%s", verdict, path,
	       status == 0 ? "clean" : status == 3 ? "crashed (sanitizer or signal; see above)" : res.reason,
	       diverged ? " (schedule diverged from the recorded one)" : "");
	if (res.stale[0] && !own)
		printf(" (left the witness's path: %s)", res.stale);
	if (expect_fail && !diverged)
		printf(" (expected %s%s)", want, rc ? "" : ", as expected");
	putchar('\n');
	if (rc)
		scen_print(&in, res.schedule, res.named, res.reads, mutants, stdout);
	return rc;
}

static int cmd_replay(int argc, char **argv)
{
	uint64_t mutants = 0;
	bool expect_fail = false, weak = false, print_named = false;
	const char *expect = NULL, *extra_point = NULL;
	int bad = 0, errors = 0, files = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--weak")) {
			weak = true;
			continue;
		}
		if (!strcmp(argv[i], "--mutant")) {
			if (!add_mutant(i + 1 < argc ? argv[++i] : NULL, &mutants))
				return usage("--mutant needs a mutant name (./hvo mutants)");
			continue;
		}
		if (!strcmp(argv[i], "--expect-fail")) {
			expect_fail = true;
			continue;
		}
		if (!strcmp(argv[i], "--print-named")) {
			print_named = true;
			continue;
		}
		if (!strcmp(argv[i], "--extra-point")) {
			if (i + 1 >= argc || !argv[i + 1][0])
				return usage("--extra-point needs a sync point name (get_tail.init)");
			extra_point = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "--expect")) {
			expect = i + 1 < argc ? argv[++i] : "";
			if (expect[0] != 'I' || !expect[1] || strspn(expect + 1, "0123456789") != strlen(expect + 1) ||
			    strlen(expect) > 4)
				return usage("--expect needs an invariant ID (I12)");
			expect_fail = true;
			continue;
		}
		if (argv[i][0] == '-')
			return usage("replay: unknown option");
		files++;
		switch (replay_file(argv[i], mutants, expect_fail, expect, weak, print_named, extra_point)) {
		case 0: break;
		case 1: bad++; break;
		default: errors++; break;
		}
	}
	if (!files)
		return usage("replay: no file");
	return errors ? 2 : bad ? 1 : 0;
}

struct explore_opts {
	struct scen_input in;
	uint64_t mutants, runs, seed, depth;
	enum sched_policy policy;
	const char *save;
};

static int parse_explore(int argc, char **argv, struct explore_opts *o)
{
	int id = argc > 0 ? scen_by_name(argv[0]) : -1;
	uint64_t v;

	if (id < 0)
		return usage("explore: unknown or missing scenario (optimize_race, walk, batch, walk_g1, reprep, publish)");
	*o = (struct explore_opts){ .in = { .scen = (enum scen_id)id, .ncpus = 2 }, .runs = 10000, .seed = 1,
				    .depth = 3, .policy = SCHED_PCT };
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--weak")) {
			o->in.weak = true;
			i--;  /* a flag without a value */
		} else if (!strcmp(a, "--mutant")) {
			if (!add_mutant(val, &o->mutants))
				return usage("--mutant needs a mutant name");
		} else if (!strcmp(a, "--policy") && val && (!strcmp(val, "pct") || !strcmp(val, "random"))) {
			o->policy = !strcmp(val, "pct") ? SCHED_PCT : SCHED_RANDOM;
		} else if (!strcmp(a, "--save") && val) {
			o->save = val;
		} else if (!strcmp(a, "--cpus") && parse_u64(val, &v) && v >= 2 && v <= SCHED_MAX_CPUS) {
			o->in.ncpus = (unsigned)v;
		} else if (!strcmp(a, "--param") && parse_u64(val, &v) && v < 256) {
			o->in.param = (unsigned)v;
		} else if (!strcmp(a, "--runs") && parse_u64(val, &o->runs)) {
		} else if (!strcmp(a, "--seed") && parse_u64(val, &o->seed)) {
		} else if (!strcmp(a, "--depth") && parse_u64(val, &o->depth) && o->depth >= 1 && o->depth <= 16) {
		} else {
			return usage("explore: bad option or value");
		}
	}
	return 0;
}

/* What explore and bench keep across their runs (sched.h, hvo.h). */
struct reuse {
	struct sched_fibers *fibers;
	struct hvo_host_pool *pool;
};

static int reuse_init(struct reuse *r)
{
	r->fibers = sched_fibers_create();
	r->pool = hvo_host_pool_create();
	if (r->fibers && r->pool)
		return 0;
	fprintf(stderr, "hvo-sched: out of memory\n");
	sched_fibers_destroy(r->fibers);
	hvo_host_pool_destroy(r->pool);
	return -1;
}

/* Passes rc through. */
static int reuse_end(struct reuse *r, int rc)
{
	sched_fibers_destroy(r->fibers);
	hvo_host_pool_destroy(r->pool);
	return rc;
}

static int cmd_explore(int argc, char **argv)
{
	struct explore_opts o;
	int rc = parse_explore(argc, argv, &o);

	struct sched_cfg probe = { .policy = SCHED_REPLAY };
	struct scen_result res;
	struct reuse keep;
	uint64_t stale = 0;
	unsigned k;

	if (rc)
		return rc;
	if (reuse_init(&keep))
		return 2;
	/* PCT's k: the steps of a run without preemption (as Shuttle learns it) */
	scen_run(&o.in, &probe, o.mutants, NULL, &res);
	k = res.steps ? (unsigned)res.steps : 1;
	for (uint64_t run = 0; run < o.runs; run++, stale += res.stale_reads) {
		struct sched_cfg sc = { .policy = o.policy, .seed = o.seed + run, .pct_depth = (unsigned)o.depth,
					.pct_steps = k, .fibers = keep.fibers };

		FILE *f;

		if (scen_run(&o.in, &sc, o.mutants, keep.pool, &res) == 0)
			continue;
		printf("# found after %" PRIu64 " runs (seed %" PRIu64 "): %s\n", run + 1, o.seed + run, res.reason);
		scen_print(&o.in, res.schedule, res.named, res.reads, o.mutants, stdout);
		if (o.save && (f = fopen(o.save, "w")) != NULL) {
			fprintf(f, "# %s\n", res.reason);
			scen_print(&o.in, res.schedule, res.named, res.reads, 0, f);
			fclose(f);
		}
		return reuse_end(&keep, 1);  /* a finding */
	}
	if (o.in.weak)
		printf("explore: no failing schedule in %" PRIu64 " runs (weak memory: %" PRIu64 " loads read an older "
		       "store)\n", o.runs, stale);
	else
		printf("explore: no failing schedule in %" PRIu64 " runs\n", o.runs);
	return reuse_end(&keep, 0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Figures as rates of this run; the scenario without scheduling (replay of
 * the empty schedule) is the baseline the others are compared with, and
 * the weak-memory mode (random schedules and reads) is compared with the
 * SC random schedules: its goal is to cost at most 4x. */
#define WEAK_GOAL 0.25
static int cmd_bench(int argc, char **argv)
{
	uint64_t runs = 2000;
	struct reuse keep;

	if (argc == 2 && !strcmp(argv[0], "--runs") && parse_u64(argv[1], &runs) && runs) {
	} else if (argc) {
		return usage("bench: bad option");
	}
	if (reuse_init(&keep))
		return 2;
	for (int scen = 0; scen < NR_SCEN; scen++) {
		double base = 0;

		double sc_random = 0;

		for (int pol = 0; pol < 3; pol++) {
			uint64_t points = 0, switches = 0, stale = 0;
			double t0 = now(), dt;

			for (uint64_t r = 0; r < runs; r++) {
				struct scen_input in = { .scen = (enum scen_id)scen, .ncpus = 3 };
				struct sched_cfg sc = { .policy = pol ? SCHED_RANDOM : SCHED_REPLAY, .seed = r,
							.fibers = keep.fibers, .weak = pol == 2 };
				struct scen_result res;

				if (scen_run(&in, &sc, 0, keep.pool, &res)) {
					printf("bench: %s failed: %s\n", scen_name(in.scen), res.reason);
					return reuse_end(&keep, 1);
				}
				points += res.points;
				switches += res.switches;
				stale += res.stale_reads;
			}
			dt = now() - t0;
			if (!pol)
				base = runs / dt;
			if (pol == 1)
				sc_random = runs / dt;
			if (pol == 2) {
				printf("sched %-14s %-8s runs/s=%.0f (%.2fx of SC random; goal >= %.2fx: %s) "
				       "stale-reads/run=%.2f\n", scen_name((enum scen_id)scen), "weak", runs / dt,
				       runs / dt / sc_random, WEAK_GOAL, runs / dt / sc_random >= WEAK_GOAL ? "met" : "NOT met",
				       (double)stale / runs);
				continue;
			}
			printf("sched %-14s %-8s runs/s=%.0f (%.2fx of no-preemption) points/s=%.0f switches/s=%.0f "
			       "switches/run=%.1f\n", scen_name((enum scen_id)scen), pol ? "random" : "none", runs / dt,
			       runs / dt / base, points / dt, switches / dt, (double)switches / runs);
		}
	}
	return reuse_end(&keep, 0);
}

/* A witness log's expect-fail line against the violation its replay
 * found: true when they agree (or the log names nothing). */
static bool print_oplog_expect(const struct oplog *log, const char *reason)
{
	char got[16];
	bool ok;

	if (!log->expect[0])
		return true;
	failure_id(reason, got, sizeof(got));
	ok = !strcmp(got, log->expect);
	printf("expect-fail %s: %s\n", log->expect, ok ? "as expected" : "NOT as expected");
	return ok;
}

/* A violation found: 1, a finding; with --expect-fail 0 when it is the
 * one the log's expect-fail line names, else 1 (a wrong failure). */
static int oplog_found(const struct oplog *log, const char *reason, bool expect_fail)
{
	bool ok = print_oplog_expect(log, reason);

	return expect_fail ? !ok : 1;
}

/* A schedule as oplog prints it: "<steps>:" then one CPU digit a step. */
static bool schedule_syntax(const char *s)
{
	size_t n = s ? strspn(s, "0123456789") : 0;

	return n > 0 && s[n] == ':' && s[n + 1 + strspn(s + n + 1, "0123456789")] == '\0';
}

static int cmd_oplog(int argc, char **argv)
{
	static struct oplog log;
	char err[256], reason[512], sched_str[4096], *text;
	const char *fixed = NULL;
	uint64_t runs = 10000, seed = 1, depth = 3;
	enum sched_policy policy = SCHED_PCT;
	size_t len;
	uint8_t *buf;
	unsigned k;
	int rc;
	bool expect_fail = false;

	if (argc < 1)
		return usage("oplog: no file");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--expect-clean"))
			;  /* the default rule: 0 clean, 1 a violation */
		else if (!strcmp(a, "--expect-fail"))
			expect_fail = true;  /* 0 only for the log's expected violation */
		else if (!strcmp(a, "--policy") && val && (!strcmp(val, "pct") || !strcmp(val, "random")) && ++i)
			policy = !strcmp(val, "pct") ? SCHED_PCT : SCHED_RANDOM;
		else if (!strcmp(a, "--runs") && parse_u64(val, &runs) && runs >= 1 && ++i) {
		} else if (!strcmp(a, "--seed") && parse_u64(val, &seed) && ++i) {
		} else if (!strcmp(a, "--depth") && parse_u64(val, &depth) && depth >= 1 && depth <= 16 && ++i) {
		} else if (!strcmp(a, "--schedule") && schedule_syntax(val) && ++i) {
			fixed = val;
		} else {
			return usage("oplog: bad option or value");
		}
	}
	buf = hvo_read_file(argv[0], &len);
	text = buf ? malloc(len + 1) : NULL;
	if (!text) {
		free(buf);
		fprintf(stderr, "hvo-sched: cannot read %s\n", argv[0]);
		return 2;
	}
	memcpy(text, buf, len);
	text[len] = '\0';
	rc = oplog_parse(text, &log, err, sizeof(err));
	free(text);
	free(buf);
	if (rc) {
		fprintf(stderr, "hvo-sched: %s: %s\n", argv[0], err);
		return 2;
	}
	if (expect_fail && !log.expect[0]) {
		fprintf(stderr, "hvo-sched: %s: --expect-fail, but the log has no 'expect-fail ID' line\n", argv[0]);
		return 2;
	}
	if (fixed) {
		struct sched_cfg sc = { .policy = SCHED_REPLAY, .replay = fixed };

		rc = oplog_run(&log, &sc, reason, sizeof(reason), sched_str, sizeof(sched_str));
		printf("%s: %s\n", rc == 0 ? "clean" : rc == 1 ? "VIOLATION" : "setup error", rc ? reason : argv[0]);
		if (rc == 1)
			return oplog_found(&log, reason, expect_fail);
		return rc == 0 ? expect_fail : 2;
	}
	{	/* PCT's k: the steps of a run without preemption (as in explore) */
		struct sched_cfg probe = { .policy = SCHED_REPLAY };

		rc = oplog_run(&log, &probe, reason, sizeof(reason), sched_str, sizeof(sched_str));
		if (rc == 2) {
			fprintf(stderr, "hvo-sched: %s: %s\n", argv[0], reason);
			return 2;
		}
		k = strlen(sched_str) > 3 ? (unsigned)strlen(sched_str) - 2 : 1;
	}
	for (uint64_t run = 0; run < runs; run++) {
		struct sched_cfg sc = { .policy = policy, .seed = seed + run, .pct_depth = (unsigned)depth, .pct_steps = k };

		if (oplog_run(&log, &sc, reason, sizeof(reason), sched_str, sizeof(sched_str)) != 1)
			continue;
		printf("reproduced after %" PRIu64 " runs (seed %" PRIu64 "): %s\n", run + 1, seed + run, reason);
		printf("deterministic witness: hvo-sched oplog %s --schedule %s\n", argv[0], sched_str);
		return oplog_found(&log, reason, expect_fail);
	}
	printf("not reproduced in %" PRIu64 " runs (%s)\n", runs, policy == SCHED_PCT ? "pct" : "random");
	return expect_fail;  /* with --expect-fail: not caught */
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || (i == 1 && !strcmp(argv[i], "help"))) {
			fputs(usage_text, stdout);
			return 0;
		}
	if (argc < 2)
		return usage("no command");
	if (!strcmp(argv[1], "replay"))
		return cmd_replay(argc - 2, argv + 2);
	if (!strcmp(argv[1], "explore"))
		return cmd_explore(argc - 2, argv + 2);
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 2, argv + 2);
	if (!strcmp(argv[1], "oplog"))
		return cmd_oplog(argc - 2, argv + 2);
	return usage("unknown command");
}
