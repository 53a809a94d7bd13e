/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sched_scen.h - concurrency scenarios run on the deterministic scheduler:
 * a fresh machine, setup on the calling thread, one job per simulated CPU,
 * then the checker and the scenario's own oracle at the quiescent end.
 *
 * A scenario input is (scenario, cpus, param) plus a schedule source.  Its
 * text form (the zoo witnesses under corpus/zoo/sched/, and what a failing
 * fuzz input is printed as) is
 *
 *     hvo-sched 1
 *     scenario optimize_race
 *     cpus 2
 *     param 0
 *     memory weak
 *     switches 1.get_tail.fast#1>0 0.exit#1>1 1.compound_head#2/0=b
 *     irq 0.get_tail.publish#1
 *
 * 'irq' (optional) delivers one interrupt whose handler frees a hugetlb
 * folio (hvo_irq_free_huge_folio) on CPU C at its N-th hit of SITE.
 * 'memory weak' (optional; 'memory sc' is the default) runs the scheduler's
 * weak-memory mode, with '#' comments; the switches line is optional
 * (empty: no preemption).  'switches' names each switch, and each weak
 * load that read an older store, by its sync point (sched.h, issue 17
 * item 6); the older 'schedule N:DIGITS' (one CPU per step) and its
 * 'reads a-z...' (one letter per choosing load) are still read.
 */
#ifndef HVO_FUZZ_SCHED_SCEN_H
#define HVO_FUZZ_SCHED_SCEN_H

#define SCEN_SCHEDULE_MAX 16384  /* a weak-memory schedule also records its loads' choices */

#include <stdio.h>

#include "sched.h"

enum scen_id {
	SCEN_OPTIMIZE_RACE, /* every CPU optimizes its own folio of one (zone, order): B29, B17a, B17d, B5 */
	SCEN_WALK,          /* CPU 0 restores/optimizes a folio, the others walk its pfns: B28 */
	SCEN_BATCH,         /* CPU 0 batch-allocates, the others optimize/restore: B23 */
	SCEN_WALK_G1,       /* G1: CPU 0 restores/optimizes/gets/puts, the others isolate fake-head pfns: B1, B2 */
	SCEN_REPREP,        /* CPU 0 dissolves a folio and preps a new one over it, the others walk its pfns: B24 */
	SCEN_PUBLISH,       /* CPUs 0..n-2 optimize a folio each (one shared tail), the last walks them all:
			     * weak memory (B17e, B17f, B6) */
	NR_SCEN
};

struct scen_input {
	enum scen_id scen;
	unsigned ncpus;     /* 2..SCHED_MAX_CPUS */
	unsigned param;     /* scenario knob (optimize_race: order 9 or the next, walk, reprep: rounds) */
	bool weak;          /* 'memory weak': the scheduler's weak-memory mode (WEAK.md) */
	char schedule[SCEN_SCHEDULE_MAX];
	char reads[SCEN_SCHEDULE_MAX];  /* weak: the loads' choices (sched_reads) */
	char named[SCEN_SCHEDULE_MAX];  /* the named switches (sched_named) */
	bool has_named;     /* a 'switches' line: replay by name, not 'schedule' */
	char expect[16];    /* "expect-fail I<N>": what a witness fails with under its mutant; "" none */
	char irq[96];       /* 'irq C.SITE#N': an interrupt freeing a hugetlb folio there (sched.h irq_at;
			     * B15); "" none.  A run that never delivers it is a setup error */
};

struct scen_result {
	int status;          /* 0 pass, 1 failure, 2 setup error */
	char reason[512];
	char schedule[SCEN_SCHEDULE_MAX]; /* the decisions taken (replays the run) */
	char reads[SCEN_SCHEDULE_MAX];    /* weak: the loads' choices */
	char named[SCEN_SCHEDULE_MAX];    /* the named switches taken (replays the run too) */
	bool diverged;       /* a replayed schedule did not fit */
	char stale[256];     /* a named replay whose switches did not all apply: why ("" they did) */
	uint64_t switches, points, steps, stale_reads;
};

const char *scen_name(enum scen_id id);
int scen_by_name(const char *name);  /* -1 when unknown */
/* Run one input; sc gives the policy (its ncpus is taken from in, weak is
 * in->weak or sc->weak).  The
 * machine takes its host memory from pool (NULL: none; hvo.h). */
int scen_run(const struct scen_input *in, const struct sched_cfg *sc, uint64_t mutants, struct hvo_host_pool *pool,
	     struct scen_result *res);
/* Parse / print the text form.  0, or -1 with err set. */
int scen_parse(const char *text, struct scen_input *in, char *err, size_t errlen);
/* With named (not NULL) the witness gets a 'switches' line, else 'schedule'. */
void scen_print(const struct scen_input *in, const char *schedule, const char *named, const char *reads,
		uint64_t mutants, FILE *f);

#endif
