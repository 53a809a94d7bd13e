/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stress.h - what the scenario files of hvo-stress share (stress.c has the
 * driver, the churn and tail-storm scenarios; stress_dax.c dax-churn;
 * stress_gather.c gather; stress_publish.c publish-race).
 */
#ifndef HVO_STRESS_H
#define HVO_STRESS_H

#include <pthread.h>
#include <sched.h>
#include <stdint.h>

#include "stress_sync.h"

/* The most threads a run takes (README "Stress"): one simulated CPU each,
 * and the core keeps its I19 grace-period slots per CPU for 64 (GP_CPUS). */
#define MAX_THREADS 64
_Static_assert(MAX_THREADS < TSYNC_CPUS, "one grace-period counter per thread and the main thread");
#define LOG_LEN 16
#define CHURN_FOLIOS 2

/* The last LOG_LEN ops of a thread: what hvo-sched oplog replays (walkers:
 * the index of the pfn in the folio too). */
struct oplog { const char *op[LOG_LEN]; int32_t folio[LOG_LEN]; uint64_t idx[LOG_LEN]; int rc[LOG_LEN]; unsigned n; };

struct opts {
	const char *scenario, *reports;
	unsigned threads, walkers;
	double time_s;
	uint64_t max_ops, seed, mutants;
	enum hvo_gen gen;
};

struct worker;
struct stress {
	struct opts o;
	char report_base[3968];      /* REPORTS/stress-SCEN-gG-SEED-N: this run's reports, reserved at start */
	bool report_error;           /* a report could not be written */
	struct tsync sync;
	struct hvo_machine *m;
	pthread_barrier_t start, done;
	int pause;                   /* dax-churn: a check wants quiescence (read-mostly; quiesce_enter) */
	pthread_mutex_t hotplug;     /* dax-churn: mem_hotplug_lock around hot-add/remove */
	int stop;                    /* atomic */
	/* Epoch scenarios: set only by the main thread, before the start
	 * barrier that lets the workers see it.  A failure's stop can arrive
	 * while some workers are past their test of it and others not: had
	 * they tested stop, some would leave and the rest wait at the done
	 * barrier for ever. */
	int quit;
	struct worker *w;
	unsigned nw;
	/* churn, G2 with walkers: a folio in use the whole run, which no
	 * worker touches; walkers walk it too and must get a reference on
	 * its head (I20, W1) */
	int32_t inuse_id;
	struct hvo_folio_info inuse_fi;
	uint64_t epochs, checks;
	char fail[600];
	pthread_mutex_t fail_lock;
};

/* dax-churn: the range a worker keeps hot-adding and removing.  state
 * counts the readers inside it (a pgmap reference), DAX_DEAD while none
 * may enter; pfn, order, node are published by clearing DAX_DEAD (release). */
#define DAX_DEAD 0x40000000
struct dax_slot { int state; int32_t id; uint64_t pfn; unsigned order, node; };

struct worker {
	struct stress *st;
	unsigned idx;
	bool walker;
	pthread_t tid;
	uint64_t ops, views;
	int32_t ids[CHURN_FOLIOS];
	struct hvo_folio_info fi[CHURN_FOLIOS]; /* as set up: walkers read pfn and order here */
	struct dax_slot dax;
	struct oplog log;
	int in_op;                   /* dax-churn: inside an op, a check waits for it (quiesce_enter) */
	uint64_t storm_epoch;        /* tail-storm, publish-race: the last epoch this thread finished (release) */
} __attribute__((aligned(64)));  /* its counters and log are written by its thread alone */

void record(struct worker *w, const char *op, int32_t folio, uint64_t idx, int rc);
void failf(struct stress *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for an operation that returned an error: the violation the
 * model recorded for it names the failure when there is one. */
void fail_op(struct stress *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool check_machine(struct stress *st);
/* The config every scenario starts from: its mutants, generation and the threads backend. */
void stress_config(struct stress *st, struct hvo_config *cfg);
int make_machine(struct stress *st);
/* dax-churn's quiescent points without a lock every thread takes per op:
 * each thread says it is inside an op in its own line, a check raises the
 * read-mostly pause flag and waits for every thread to be out (Dekker: both
 * sides store, then load the other's flag, sequentially consistent). */
static inline void quiesce_enter(struct stress *st, struct worker *w)
{
	for (;;) {
		__atomic_store_n(&w->in_op, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&st->pause, __ATOMIC_SEQ_CST))
			return;
		__atomic_store_n(&w->in_op, 0, __ATOMIC_RELEASE);
		while (__atomic_load_n(&st->pause, __ATOMIC_ACQUIRE))
			sched_yield();
	}
}
static inline void quiesce_exit(struct worker *w)
{
	__atomic_store_n(&w->in_op, 0, __ATOMIC_RELEASE);
}
static inline bool stopping(struct stress *st) { return __atomic_load_n(&st->stop, __ATOMIC_RELAXED); }
static inline bool quitting(struct stress *st) { return __atomic_load_n(&st->quit, __ATOMIC_RELAXED); }
static inline uint64_t rng_next(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* The default config's two nodes; dax-churn gives each DAX_SECTIONS
 * sections of device pfns at 16 GiB << node, above the memory: one section
 * per worker, so any thread count up to MAX_THREADS fits (4 GiB a node with
 * 128 MiB sections, below the next node's range). */
#define STRESS_NODES 2
#define DAX_SECTIONS ((MAX_THREADS + STRESS_NODES - 1) / STRESS_NODES)
static inline uint64_t dax_start_pfn(unsigned node, unsigned page_shift)
{
	return ((16ull << 30) << node) >> page_shift;
}

/* stress_dax.c */
int dax_setup(struct stress *st);
void *dax_thread(void *arg);
void *dax_walk_thread(void *arg);
void dax_end(struct stress *st);
/* A quiescent point: stop every thread between ops (on), let them go (off). */
void dax_quiesce(struct stress *st, bool on);

/* stress_gather.c */
int gather_setup(struct stress *st);
void *gather_thread(void *arg);
void gather_epoch(struct stress *st);

/* stress_publish.c */
void *publish_thread(void *arg);
void *publish_read_thread(void *arg);
void publish_epoch(struct stress *st);
void optimize_epoch(struct stress *st, unsigned n, const unsigned *node, const int *zone, unsigned nr);

#endif
