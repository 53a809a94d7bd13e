/*
 * stress_sync.c - the threads backend of the sync seam (see stress_sync.h).
 */
/* never _LGPL_SOURCE: its inlined futex code races under TSan (toolchain.md) */
#include <urcu/urcu-memb.h>

#include "stress_sync.h"

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
/* TSan cannot see liburcu 0.13's grace periods: a reader releases this
 * token just before it leaves, a writer acquires it right after
 * synchronize_rcu (toolchain.md section 6, "Recipe that works clean"). */
#define GP_READER_DONE(t) __tsan_release(&(t)->grace_periods)
#define GP_WRITER_SYNCED(t) __tsan_acquire(&(t)->grace_periods)
#else
#define GP_READER_DONE(t) ((void)(t))
#define GP_WRITER_SYNCED(t) ((void)(t))
#endif

static _Thread_local unsigned this_cpu;

static void ts_sched(void *ctx, enum hvo_sync_point sp, const char *where)
{
	struct tsync *t = ctx;

	(void)where;
	if (sp == HVO_SP_TLB_FLUSH && t->flush_waits) {
		urcu_memb_synchronize_rcu();
		GP_WRITER_SYNCED(t);
		__atomic_fetch_add(&t->grace_periods, 1, __ATOMIC_RELAXED);
	}
}

static void ts_lock(void *ctx, enum hvo_lock l)
{
	pthread_mutex_lock(&((struct tsync *)ctx)->lock[l]);
}

static void ts_unlock(void *ctx, enum hvo_lock l)
{
	pthread_mutex_unlock(&((struct tsync *)ctx)->lock[l]);
}

static void ts_rcu_read_lock(void *ctx)
{
	(void)ctx;
	urcu_memb_read_lock();
}

static void ts_rcu_read_unlock(void *ctx)
{
	GP_READER_DONE((struct tsync *)ctx);
	urcu_memb_read_unlock();
}

static void ts_synchronize_rcu(void *ctx)
{
	struct tsync *t = ctx;

	urcu_memb_synchronize_rcu();
	GP_WRITER_SYNCED(t);
	__atomic_fetch_add(&t->grace_periods, 1, __ATOMIC_RELAXED);
}

static unsigned ts_cpu(void *ctx)
{
	(void)ctx;
	return this_cpu;
}

void tsync_init(struct tsync *t, bool flush_waits)
{
	for (int l = 0; l < HVO_NR_LOCKS; l++)
		pthread_mutex_init(&t->lock[l], NULL);
	t->flush_waits = flush_waits;
	t->grace_periods = 0;
	t->ops = (struct hvo_sync_ops){
		.sched = ts_sched, .lock = ts_lock, .unlock = ts_unlock,
		.rcu_read_lock = ts_rcu_read_lock, .rcu_read_unlock = ts_rcu_read_unlock,
		.synchronize_rcu = ts_synchronize_rcu, .cpu = ts_cpu, .ctx = t,
	};
}

void tsync_destroy(struct tsync *t)
{
	for (int l = 0; l < HVO_NR_LOCKS; l++)
		pthread_mutex_destroy(&t->lock[l]);
}

void tsync_thread_start(unsigned cpu)
{
	this_cpu = cpu;
	urcu_memb_register_thread();
}

void tsync_thread_stop(void)
{
	urcu_memb_unregister_thread();
}

void tsync_walk_begin(struct tsync *t)
{
	ts_rcu_read_lock(t);
}

void tsync_walk_end(struct tsync *t)
{
	ts_rcu_read_unlock(t);
}
