/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sched.h - the deterministic scheduler: K simulated CPUs as fibers on one
 * OS thread, behind the core's sync seam (architecture rule 3, the "fibers"
 * backend).
 *
 * Every sync-seam primitive is a switch point; at each one the scheduler
 * picks the CPU that runs next from the runnable ones.  Only contended
 * decisions (two or more runnable CPUs) are steps: they consume a schedule
 * byte, count for PCT, and are recorded in the schedule string that replays
 * the run exactly (anchors-fuzzing 4.9).  Locks are scheduler-aware (a CPU
 * waiting for one is not runnable), RCU is simulated (a grace period waits
 * for every reader that began before it), and no runnable CPU while some
 * are unfinished is a deadlock, reported with what each CPU waits for.
 *
 * Sources of decisions:
 *   SCHED_BYTES   one byte per step (the fuzz input); when they run out the
 *                 running CPU keeps going (no preemption)
 *   SCHED_PCT     PCT(seed, depth): random distinct priorities, depth-1
 *                 change points in [1, pct_steps] (Burckhardt et al. 2010)
 *   SCHED_RANDOM  uniform among the runnable CPUs, seeded
 *   SCHED_REPLAY  a recorded schedule string; past its end or where it
 *                 names a CPU that cannot run, the lowest runnable CPU
 *                 (sched_diverged() says so); or named switches
 *
 * Named switches (issue 17 item 6) record only the steps that did not keep
 * the running CPU going (or, where it cannot, did not take the lowest
 * runnable one), each by where it happened rather than by its step index:
 * "C.SITE#N>K" is "when CPU C reaches its N-th hit of sync point SITE (the
 * seam's `where` name), run CPU K"; "+M" after N is its M-th step there
 * without another hit (a lock or grace-period wait after the point),
 * "C.exit#1" the step after CPU C's job ends and "-.start#1" the first.
 * In weak mode a load that did not read the newest store is in the same
 * list, "C.SITE#N/L=x": CPU C's L-th choosing load (from 0) since its N-th
 * hit of SITE read store x ('b' the one before the newest, ...).
 * A sync point added or moved elsewhere leaves every position unchanged.
 */
#ifndef HVO_FUZZ_SCHED_H
#define HVO_FUZZ_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvo/hvo.h"

#define SCHED_MAX_CPUS 8
#define SCHED_COV_SIZE 4096   /* interleaving counters: (site, site) pairs hashed */

enum sched_policy { SCHED_BYTES, SCHED_PCT, SCHED_RANDOM, SCHED_REPLAY };

enum sched_status {
	SCHED_OK,          /* every CPU finished */
	SCHED_DEADLOCK,    /* no runnable CPU, some unfinished */
	SCHED_STEP_LIMIT,  /* max_steps switch points: livelock */
	SCHED_MISUSE,      /* unlock of a lock not held, synchronize_rcu in a reader, ... */
};

struct sched_cfg {
	unsigned ncpus;             /* 1..SCHED_MAX_CPUS */
	enum sched_policy policy;
	uint64_t seed;              /* PCT, RANDOM */
	unsigned pct_depth;         /* PCT: d (>= 1) */
	unsigned pct_steps;         /* PCT: k, the expected number of steps (0: 64) */
	const uint8_t *bytes;       /* BYTES */
	size_t nbytes;
	const char *replay;         /* REPLAY: a schedule string from sched_schedule() */
	const char *replay_named;   /* REPLAY: named switches from sched_named() (instead of replay) */
	const char *replay_reads;   /* REPLAY, weak: the loads' choices from sched_reads() (NULL: newest) */
	uint64_t max_steps;         /* switch points before SCHED_STEP_LIMIT (0: 1,000,000) */
	uint8_t *cov;               /* SCHED_COV_SIZE interleaving counters, or NULL */
	struct sched_fibers *fibers; /* kept across runs (sched_fibers_create), or NULL */
	bool weak;                  /* weak memory (sched_weak.h, WEAK.md): loads may read older stores */
	const char *extra_point;    /* test hook: before each hit of this sync point one more, named
				     * "test.extra" (a refactor that adds an access before it) */
	/* The interrupt hook (spec 6.6, B15): when CPU C reaches its N-th hit
	 * of sync point SITE (irq_at "C.SITE#N"), irq_fn(irq_arg) runs on that
	 * CPU's fiber before it goes on, once per run: an interrupt handler on
	 * the CPU, with whatever locks its interrupted code holds. */
	const char *irq_at;
	void (*irq_fn)(void *arg);
	void *irq_arg;
};

struct sched;
typedef void (*sched_fn)(void *arg);

/* The CPUs' fibers (stacks, contexts and ASan fake stacks), for a caller
 * that runs many schedules in one process: making and freeing them was most
 * of a short run's cost under ASan.  A fiber ends each job parked and the
 * next run's job resumes it; one a run left inside its job (deadlock, step
 * limit) restarts on a fresh context.  Runs using one must not overlap.
 * Destroying it leaks the parked fibers' ASan fake stacks (once a process). */
struct sched_fibers;
struct sched_fibers *sched_fibers_create(void);
void sched_fibers_destroy(struct sched_fibers *fib);

int sched_create(const struct sched_cfg *cfg, struct sched **out);
void sched_destroy(struct sched *s);
/* The job CPU cpu runs (one each; a CPU without a job is finished). */
void sched_spawn(struct sched *s, unsigned cpu, sched_fn fn, void *arg);
/* The sync seam to put in the machine's config. */
const struct hvo_sync_ops *sched_sync_ops(struct sched *s);
/* Run every CPU to the end (or a deadlock, livelock or misuse). */
enum sched_status sched_run(struct sched *s);
/* Why the run stopped, for a status other than SCHED_OK. */
const char *sched_reason(const struct sched *s);

/* The recorded decisions: "<ncpus>:" then one character per step ('0'..'7'). */
const char *sched_schedule(const struct sched *s);
/* Weak mode: one letter per load of a location with more than one kept
 * store: 'a' it read the newest, 'b' the one before, ... ("" none). */
const char *sched_reads(const struct sched *s);
bool sched_diverged(const struct sched *s);
/* The run's named switches, space-separated ("" none; see above). */
const char *sched_named(const struct sched *s);
/* A named replay whose switches did not all apply (one never reached, or
 * naming a CPU that could not run there): true, and why in buf. */
bool sched_named_stale(const struct sched *s, char *buf, size_t len);
/* A named-switch list's syntax for ncpus CPUs: 0, or -1 with err set. */
int sched_named_check(const char *text, unsigned ncpus, char *err, size_t errlen);
uint64_t sched_switches(const struct sched *s);      /* CPU changes */
uint64_t sched_points(const struct sched *s);        /* switch points reached */
uint64_t sched_grace_periods(const struct sched *s); /* completed synchronize_rcu calls */
uint64_t sched_stale_reads(const struct sched *s);   /* weak mode: loads that read an older store */
uint64_t sched_irqs(const struct sched *s);          /* interrupts delivered (irq_at) */
/* An irq_at position's syntax ("C.SITE#N", C < ncpus): 0, or -1. */
int sched_irq_check(const char *text, unsigned ncpus);
/* The CPU running now (also the seam's cpu callback); valid inside a job. */
unsigned sched_cpu(const struct sched *s);

/* Format into buf (len bytes) unless it already holds a message: the
 * scenarios' oracles keep the first failure a job reports. */
void sched_first_failure(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
