// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_check_changed.c - the fuzz targets' check (HVO_RUN_CHANGED:
 * hvo_check_changed after each op, hvo_check every 16th and after the last)
 * gives the verdict of the full check after every op: the same status, the
 * same failing op, the same first violation and the same final digest;
 * and for the lockstep diff of G2, G1 and G3 (hvo_ops_diff with
 * hvo_compare_visible_since) the same verdict at the same op.  Over every
 * witness given, clean and with its mutant (alone and in the diff), and
 * random workloads (G1, G2, G3 with DAX and a 16K page, bootmem) with no
 * mutant and with every mutant of the catalogue.  Each run is a child
 * process: some mutants crash it.
 *
 *   test_check_changed FILE.ops...
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ops.h"

static unsigned runs, failed, caught;

typedef void (*child_fn)(const struct hvo_opstream *s, uint64_t mutants, unsigned flags, void *out);

/* fn in a child (a planted mutant may crash the process: B18 and the boot
 * mutants write out of bounds or into sealed frames): its size-byte result
 * in out, or a zeroed one with *status -signal (-1000: no child, -1001: no
 * result). */
static void in_child(child_fn fn, const struct hvo_opstream *s, uint64_t mutants, unsigned flags, void *out,
		     size_t size, int *status)
{
	int fd[2], st = 0;
	pid_t pid;
	size_t got = 0;

	memset(out, 0, size);
	if (pipe(fd) || (pid = fork()) < 0) {
		*status = -1000;
		return;
	}
	if (pid == 0) {
		void *r = malloc(size);

		close(fd[0]);
		if (!r)
			_exit(1);
		fn(s, mutants, flags, r);
		_exit(write(fd[1], r, size) == (ssize_t)size ? 0 : 1);
	}
	close(fd[1]);
	for (ssize_t n; got < size && (n = read(fd[0], (char *)out + got, size - got)) > 0;)
		got += (size_t)n;
	close(fd[0]);
	waitpid(pid, &st, 0);
	if (got != size) {
		memset(out, 0, size);
		*status = WIFSIGNALED(st) ? -WTERMSIG(st) : -1001;
	}
}

static void run_ops(const struct hvo_opstream *s, uint64_t mutants, unsigned flags, void *out)
{
	hvo_ops_run_flags(s, mutants, flags, out, NULL);
}

static void run(const struct hvo_opstream *s, uint64_t mutants, unsigned flags, struct hvo_run_result *res)
{
	in_child(run_ops, s, mutants, flags, res, sizeof(*res), &res->status);
}

static void compare(const struct hvo_opstream *s, uint64_t mutants, const char *name)
{
	struct hvo_run_result full, changed;

	run(s, mutants, 0, &full);
	run(s, mutants, HVO_RUN_CHANGED, &changed);
	runs++;
	caught += full.has_violation;
	if (full.status == changed.status && full.fail_op == changed.fail_op &&
	    full.has_violation == changed.has_violation && full.digest == changed.digest &&
	    (!full.has_violation || (full.violation.inv == changed.violation.inv &&
				     full.violation.pfn == changed.violation.pfn &&
				     full.violation.folio == changed.violation.folio)))
		return;
	failed++;
	printf("FAIL %s mutants=0x%" PRIx64 ": full status %d op %zu I%d (%s), changed status %d op %zu I%d (%s)\n",
	       name, mutants, full.status, full.fail_op, full.has_violation ? full.violation.inv : 0, full.reason,
	       changed.status, changed.fail_op, changed.has_violation ? changed.violation.inv : 0, changed.reason);
}

/* The lockstep diff (G2, G1, G3) with hvo_compare_visible_since: the same
 * verdict at the same op as with the full comparison. */
static void run_diff(const struct hvo_opstream *s, uint64_t mutants, unsigned flags, void *out)
{
	static const enum hvo_gen gens[] = { HVO_G2, HVO_G1, HVO_G3 };

	hvo_ops_diff(s, gens, 3, mutants, flags, out);
}

static void diff_child(const struct hvo_opstream *s, uint64_t mutants, unsigned flags, struct hvo_diff_result *res)
{
	in_child(run_diff, s, mutants, flags, res, sizeof(*res), &res->status);
}

static void compare_diff(const struct hvo_opstream *s, uint64_t mutants, const char *name)
{
	struct hvo_diff_result full, changed;

	diff_child(s, mutants, 0, &full);
	diff_child(s, mutants, HVO_RUN_CHANGED, &changed);
	runs++;
	caught += full.status == 1;
	if (full.status == changed.status && full.op == changed.op && !strcmp(full.reason, changed.reason) &&
	    !memcmp(full.digest, changed.digest, sizeof(full.digest)))
		return;
	failed++;
	printf("FAIL diff %s mutants=0x%" PRIx64 ": full status %d op %zu (%s), changed status %d op %zu (%s)\n", name,
	       mutants, full.status, full.op, full.reason, changed.status, changed.op, changed.reason);
}

/* Random workloads: no mutant and every mutant of the catalogue. */
static void every_mutant(const struct hvo_opstream *s, const char *name)
{
	compare(s, 0, name);
	for (int mu = 0; mu < HVO_NR_MUTANTS; mu++)
		compare(s, 1ull << mu, name);
}

/* The mutant a witness file shows: corpus/zoo/<ID>[-variant].ops. */
static uint64_t witness_mutant(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char id[64];
	int mu;

	snprintf(id, sizeof(id), "%s", base);
	if (strchr(id, '.'))
		*strchr(id, '.') = '\0';
	mu = hvo_mutant_by_name(id);
	if (mu < 0 && strchr(id, '-')) {
		*strchr(id, '-') = '\0';
		mu = hvo_mutant_by_name(id);
	}
	return mu < 0 ? 0 : 1ull << mu;
}

int main(int argc, char **argv)
{
	/* G2 and G1; G3 with DAX and a 16K page; bootmem pages */
	static const uint64_t seeds[] = { 1, 0xc000000000000003ull, 0x2000000000000002ull };

	for (int i = 1; i < argc; i++) {
		struct hvo_opstream s;
		char err[HVO_ERR_LEN];

		if (hvo_ops_load(argv[i], &s, err, sizeof(err))) {
			printf("FAIL %s\n", err);
			return 1;
		}
		/* a witness: clean, and with its mutant; alone and in the lockstep diff */
		compare(&s, 0, argv[i]);
		compare(&s, witness_mutant(argv[i]), argv[i]);
		compare_diff(&s, 0, argv[i]);
		compare_diff(&s, witness_mutant(argv[i]), argv[i]);
		hvo_ops_free(&s);
	}
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		for (int gen = HVO_G1; gen <= HVO_G3; gen++) {
			struct hvo_opstream s;
			char name[64];

			if (hvo_ops_random(seeds[i], 60, &s)) {
				printf("FAIL out of memory\n");
				return 1;
			}
			/* G3 seeds keep G3 (their DAX ops need it); the others run on G1 and G2 */
			if ((s.config.gen == HVO_G3) != (gen == HVO_G3)) {
				hvo_ops_free(&s);
				continue;
			}
			s.config.gen = (enum hvo_gen)gen;
			snprintf(name, sizeof(name), "seed 0x%" PRIx64 " gen %d", seeds[i], (int)s.config.gen);
			every_mutant(&s, name);
			hvo_ops_free(&s);
		}
	printf("%u runs (%u caught by the full check), %u differ\n", runs, caught, failed);
	return failed || !caught;
}
