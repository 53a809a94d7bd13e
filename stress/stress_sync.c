// SPDX-License-Identifier: GPL-2.0-only
/*
 * stress_sync.c - the threads backend of the sync seam (see stress_sync.h).
 */
/* never _LGPL_SOURCE: its inlined futex code races under TSan (toolchain.md) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <urcu/urcu-memb.h>

#include "stress_sync.h"
#include "stress_tlb.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_TSAN 1
#endif
#endif
#ifdef __SANITIZE_THREAD__
#define STRESS_TSAN 1
#endif
#ifdef STRESS_TSAN
#include <sanitizer/tsan_interface.h>
/* TSan cannot see liburcu 0.13's grace periods: a reader releases its
 * domain's token just before it leaves, a writer acquires it right after
 * the grace period (toolchain.md section 6, "Recipe that works clean"). */
#define GP_READER_DONE(tok) __tsan_release(tok)
#define GP_WRITER_SYNCED(tok) __tsan_acquire(tok)
/* The runtime's dynamic-annotation entry points (no public header). */
void AnnotateIgnoreSyncBegin(const char *file, int line);
void AnnotateIgnoreSyncEnd(const char *file, int line);
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#else
#define GP_READER_DONE(tok) ((void)(tok))
#define GP_WRITER_SYNCED(tok) ((void)(tok))
#endif

static _Thread_local unsigned this_cpu;
static _Thread_local bool walking;  /* inside tsync_walk_begin/end */

static void ts_sched(void *ctx, enum hvo_sync_point sp, const char *where)
{
	struct tsync *t = ctx;

	(void)where;
	if (walking) {  /* an IPI may land here, between two accesses */
		GP_READER_DONE(&t->tlb_token);
		tlb_access_end();
		tlb_access_begin();
	}
	if (sp == HVO_SP_TLB_FLUSH && t->flush_waits) {
		tlb_flush_wait();
		GP_WRITER_SYNCED(&t->tlb_token);
		__atomic_fetch_add(&t->gp[this_cpu % TSYNC_CPUS].n, 1, __ATOMIC_RELAXED);
	}
}

/* The lock order of hvo.h (enum hvo_lock): ascending, at most one TLB
 * shard lock and one zone lock at a time.  A breach aborts the run: it is a
 * deadlock waiting for the right interleaving. */
_Static_assert(HVO_NR_LOCKS <= 32, "held is a 32-bit mask");
static _Thread_local uint32_t held;

static void check_order(enum hvo_lock l)
{
	uint32_t tlb = ((1u << HVO_MAX_NODES) - 1) << HVO_LOCK_TLB, zone = ((1u << HVO_MAX_NODES) - 1) << HVO_LOCK_ZONE;
	uint32_t bit = 1u << l;

	if ((held >> l) || ((bit & tlb) && (held & tlb)) || ((bit & zone) && (held & zone))) {
		fprintf(stderr, "hvo-stress: lock order violated: lock %d taken while holding 0x%x\n", (int)l,
			(unsigned)held);
		abort();
	}
	held |= bit;
}

static void ts_lock(void *ctx, enum hvo_lock l)
{
	check_order(l);
	pthread_mutex_lock(&((struct tsync *)ctx)->lock[l].m);
}

static void ts_unlock(void *ctx, enum hvo_lock l)
{
	held &= ~(1u << l);
	pthread_mutex_unlock(&((struct tsync *)ctx)->lock[l].m);
}

static void ts_rcu_read_lock(void *ctx)
{
	(void)ctx;
	urcu_memb_read_lock();
}

static void ts_rcu_read_unlock(void *ctx)
{
	GP_READER_DONE(&((struct tsync *)ctx)->rcu_token);
	urcu_memb_read_unlock();
}

static void ts_synchronize_rcu(void *ctx)
{
	struct tsync *t = ctx;

	urcu_memb_synchronize_rcu();
	GP_WRITER_SYNCED(&t->rcu_token);
	__atomic_fetch_add(&t->gp[this_cpu % TSYNC_CPUS].n, 1, __ATOMIC_RELAXED);
}

/* The model's bookkeeping is invisible to TSan: its lock orders nothing
 * (the kernel has no such lock; it would hide a missing acquire, B17e) and
 * its accesses, all under that lock, are not checked. */
static void ts_model_begin(void *ctx)
{
	(void)ctx;
#ifdef STRESS_TSAN
	AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
	AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
	AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
#endif
}

static void ts_model_end(void *ctx)
{
	(void)ctx;
#ifdef STRESS_TSAN
	AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
	AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
	AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
#endif
}

static unsigned ts_cpu(void *ctx)
{
	(void)ctx;
	return this_cpu;
}

void tsync_init(struct tsync *t, bool flush_waits)
{
	for (int l = 0; l < HVO_NR_LOCKS; l++)
		pthread_mutex_init(&t->lock[l].m, NULL);
	t->flush_waits = flush_waits;
	for (unsigned c = 0; c < TSYNC_CPUS; c++)
		t->gp[c].n = 0;
	t->ops = (struct hvo_sync_ops){
		.sched = ts_sched, .lock = ts_lock, .unlock = ts_unlock,
		.rcu_read_lock = ts_rcu_read_lock, .rcu_read_unlock = ts_rcu_read_unlock,
		.synchronize_rcu = ts_synchronize_rcu, .cpu = ts_cpu,
		.model_begin = ts_model_begin, .model_end = ts_model_end, .ctx = t,
	};
}

void tsync_destroy(struct tsync *t)
{
	for (int l = 0; l < HVO_NR_LOCKS; l++)
		pthread_mutex_destroy(&t->lock[l].m);
}

unsigned long tsync_grace_periods(const struct tsync *t)
{
	unsigned long n = 0;

	for (unsigned c = 0; c < TSYNC_CPUS; c++)
		n += __atomic_load_n(&t->gp[c].n, __ATOMIC_RELAXED);
	return n;
}

void tsync_thread_start(unsigned cpu)
{
	this_cpu = cpu;
	urcu_memb_register_thread();
	tlb_thread_start();
}

void tsync_thread_stop(void)
{
	tlb_thread_stop();
	urcu_memb_unregister_thread();
}

void tsync_walk_begin(struct tsync *t)
{
	(void)t;
	walking = true;
	tlb_access_begin();
}

void tsync_walk_end(struct tsync *t)
{
	GP_READER_DONE(&t->tlb_token);
	tlb_access_end();
	walking = false;
}
