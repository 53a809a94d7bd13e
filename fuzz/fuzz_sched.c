// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_sched.c - the schedule-fuzzing target: the input picks a scenario of
 * sched_scen.h and its knobs, and its remaining bytes are the scheduler's
 * decisions (SCHED_BYTES: the schedule is part of the input, anchors-fuzzing
 * 4.9).  Interleaving coverage - pairs of (switch site left, switch site
 * resumed) - goes to libFuzzer as extra counters.
 *
 *   byte 0  scenario (modulo NR_SCEN)     byte 1  cpus = 2 + (b & 0x7f) % 3, bit 7:
 *   byte 2  param                                 weak memory (fuzz/WEAK.md)
 *   rest    one byte per contended decision and, in weak memory, per load
 *           with more than one store it may read
 *
 * A failure aborts after printing the reason and the input as the text form
 * with the schedule actually taken, which `hvo-sched replay` reruns exactly.
 * Mutants for a campaign: HVO_MUTANTS=B17a,... (read once).  The other
 * global state is the counters and the CPUs' fibers, kept across inputs
 * (sched.h): LLVMFuzzerInitialize parks one on every CPU an input can use,
 * so each input meets the same parked fibers (AFL++ stability).
 */
#include <stdlib.h>

#include "fuzz_target.h"
#include "sched_scen.h"

/* Only libFuzzer reads (and clears, per input) extra counters.  Elsewhere
 * they would only accumulate, and the scheduler's saturation test on them
 * would flip after 255 inputs: an edge that depends on earlier inputs, which
 * AFL++ counts against stability. */
#ifdef HVO_LIBFUZZER
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t interleavings[SCHED_COV_SIZE];
#define INTERLEAVINGS interleavings
#else
#define INTERLEAVINGS NULL
#endif
static uint64_t campaign_mutants;
static struct sched_fibers *fibers;

#define MAX_CPUS 4   /* 2 + byte 1 % 3 */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct scen_input warm = { .scen = SCEN_OPTIMIZE_RACE, .ncpus = MAX_CPUS };
	struct sched_cfg sc = { .policy = SCHED_BYTES };
	struct scen_result res;

	campaign_mutants = fuzz_mutants_from_env("fuzz_sched");
	fuzz_host_pool_init("fuzz_sched");
	fibers = sched_fibers_create();
	if (!fibers) {
		fprintf(stderr, "fuzz_sched: out of memory for the fibers\n");
		exit(2);
	}
	/* every CPU runs a job to its end (no mutants: it passes) and parks */
	sc.fibers = fibers;
	if (scen_run(&warm, &sc, 0, fuzz_host_pool(), &res)) {
		fprintf(stderr, "fuzz_sched: the warm-up run failed: %s\n", res.reason);
		exit(2);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scen_input in = { 0 };
	struct sched_cfg sc = { .policy = SCHED_BYTES, .cov = INTERLEAVINGS, .fibers = fibers };
	struct scen_result res;

	in.scen = (enum scen_id)(size > 0 ? data[0] % NR_SCEN : 0);
	in.ncpus = 2 + (size > 1 ? (data[1] & 0x7f) % (MAX_CPUS - 1) : 0);
	in.weak = size > 1 && data[1] & 0x80;
	in.param = size > 2 ? data[2] : 0;
	sc.bytes = size > 3 ? data + 3 : NULL;
	sc.nbytes = size > 3 ? size - 3 : 0;
	if (scen_run(&in, &sc, campaign_mutants, fuzz_host_pool(), &res) == 0)
		return 0;
	fprintf(stderr, "fuzz_sched: FAILURE: %s\nfuzz_sched: the input as text (hvo-sched replay FILE):\n",
		res.reason);
	scen_print(&in, res.schedule, res.named, res.reads, campaign_mutants, stderr);
	fflush(stderr);
	abort();
}
