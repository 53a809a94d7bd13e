/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stress_sync.h - the "threads" backend of the sync seam (architecture rule
 * 3): real pthread mutexes for the core's locks and liburcu (urcu-memb) for
 * RCU, annotated for TSan (shared/notes/toolchain.md section 6).
 *
 * The TLB model: a walker's translate-then-read is a read-side critical
 * section, and each TLB flush waits for a grace period before it completes,
 * so no walker still uses a translation the flush removes when the pages
 * behind it are freed - the shootdown IPI's guarantee.  Freeing before the
 * flush (B23) lets a walker read a freed frame: ASan or TSan report it.
 * The section is reopened at each of the walker's sync points (where an IPI
 * may land between its accesses) and lives in its own RCU domain
 * (stress_tlb.h), so a flush never waits for a whole walk or for a G1
 * read-side section: the windows of B1 and B2 stay open as in the kernel.
 */
#ifndef HVO_STRESS_SYNC_H
#define HVO_STRESS_SYNC_H

#include <pthread.h>
#include <stdbool.h>

#include "hvo/hvo.h"

/* The stress threads (CPUs 0..TSYNC_CPUS-2) and the main thread. */
#define TSYNC_CPUS 65

struct tsync {
	/* a cache line each: the per-node zone locks must not share one */
	struct { pthread_mutex_t m; } __attribute__((aligned(64))) lock[HVO_NR_LOCKS];
	bool flush_waits;            /* walkers exist: flushes wait for them */
	char rcu_token, tlb_token;    /* TSan: the two domains' grace periods */
	struct hvo_sync_ops ops;
	/* G1 synchronize_rcu and TLB shootdowns, counted per CPU (a line each:
	 * no counter every thread writes); tsync_grace_periods() sums them */
	struct { unsigned long n; } __attribute__((aligned(64))) gp[TSYNC_CPUS];
};

void tsync_init(struct tsync *t, bool flush_waits);
void tsync_destroy(struct tsync *t);
unsigned long tsync_grace_periods(const struct tsync *t);
/* Each thread that calls the model: register with RCU, name its CPU. */
void tsync_thread_start(unsigned cpu);
void tsync_thread_stop(void);
/* A speculative walker's access: inside it, no flush completes. */
void tsync_walk_begin(struct tsync *t);
void tsync_walk_end(struct tsync *t);

#endif
