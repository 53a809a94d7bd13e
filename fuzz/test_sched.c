// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_sched.c - unit tests of the deterministic scheduler: replay gives the
 * same run, locks block and hand over, a lock cycle is a reported deadlock,
 * a grace period waits for earlier readers only, PCT and bytes decide.
 */
#include <stdio.h>
#include <string.h>

#include "sched.h"

static int failures;
#define EXPECT(c) do { if (!(c)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

struct shared {
	struct sched *s;
	const struct hvo_sync_ops *ops;
	char log[256];
	unsigned len;
	bool reader_started, reader_done, gp_ended_early, gp_waited;
};

static void note(struct shared *sh, char ch)
{
	if (sh->len + 1 < sizeof(sh->log))
		sh->log[sh->len++] = ch;
}

static void job_steps(void *arg)
{
	struct shared *sh = arg;

	for (int i = 0; i < 5; i++) {
		sh->ops->sched(sh->ops->ctx, HVO_SP_READ_ONCE, "test.step");
		note(sh, (char)('a' + sched_cpu(sh->s)));
	}
}

static void job_locked(void *arg)
{
	struct shared *sh = arg;

	sh->ops->lock(sh->ops->ctx, HVO_LOCK_PAGE_TABLE);
	note(sh, '[');
	sh->ops->sched(sh->ops->ctx, HVO_SP_WRITE_ONCE, "test.inside");
	note(sh, ']');
	sh->ops->unlock(sh->ops->ctx, HVO_LOCK_PAGE_TABLE);
}

static void job_hold_forever(void *arg)
{
	struct shared *sh = arg;

	sh->ops->lock(sh->ops->ctx, HVO_LOCK_PAGE_TABLE);
	sh->ops->sched(sh->ops->ctx, HVO_SP_READ_ONCE, "test.hold");
	sh->ops->lock(sh->ops->ctx, HVO_LOCK_HUGETLB);
	sh->ops->unlock(sh->ops->ctx, HVO_LOCK_HUGETLB);
	sh->ops->unlock(sh->ops->ctx, HVO_LOCK_PAGE_TABLE);
}

static void job_hold_other(void *arg)
{
	struct shared *sh = arg;

	sh->ops->lock(sh->ops->ctx, HVO_LOCK_HUGETLB);
	sh->ops->sched(sh->ops->ctx, HVO_SP_READ_ONCE, "test.hold");
	sh->ops->lock(sh->ops->ctx, HVO_LOCK_PAGE_TABLE);
	sh->ops->unlock(sh->ops->ctx, HVO_LOCK_PAGE_TABLE);
	sh->ops->unlock(sh->ops->ctx, HVO_LOCK_HUGETLB);
}

static void job_reader(void *arg)
{
	struct shared *sh = arg;

	sh->ops->rcu_read_lock(sh->ops->ctx);
	sh->reader_started = true;
	for (int i = 0; i < 4; i++)
		sh->ops->sched(sh->ops->ctx, HVO_SP_READ_ONCE, "test.read");
	sh->reader_done = true;
	sh->ops->rcu_read_unlock(sh->ops->ctx);
}

static void job_writer(void *arg)
{
	struct shared *sh = arg;

	bool started;

	sh->ops->sched(sh->ops->ctx, HVO_SP_RCU_SYNC, "test.sync");
	started = sh->reader_started;
	sh->ops->synchronize_rcu(sh->ops->ctx);
	sh->gp_ended_early = started && !sh->reader_done;
	sh->gp_waited |= started;
}

/* The interrupt hook's handler: notes 'I' and the CPU it ran on, and
 * reaches a sync point itself (which must not deliver again). */
static struct shared *irq_sh;
static unsigned irq_cpu_seen;

static void irq_note(void *arg)
{
	(void)arg;
	note(irq_sh, 'I');
	irq_cpu_seen = sched_cpu(irq_sh->s);
	irq_sh->ops->sched(irq_sh->ops->ctx, HVO_SP_READ_ONCE, "test.step");
}

static enum sched_status run2(const struct sched_cfg *cfg, sched_fn a, sched_fn b, struct shared *sh, char *sched_out)
{
	enum sched_status st;

	memset(sh, 0, sizeof(*sh));
	if (sched_create(cfg, &sh->s))
		return SCHED_MISUSE;
	sh->ops = sched_sync_ops(sh->s);
	sched_spawn(sh->s, 0, a, sh);
	sched_spawn(sh->s, 1, b, sh);
	st = sched_run(sh->s);
	if (sched_out)
		snprintf(sched_out, 4096, "%s", sched_schedule(sh->s));
	sched_destroy(sh->s);
	return st;
}

int main(void)
{
	struct shared sh;
	char trace[4096], log1[256];
	struct sched_cfg cfg = { .ncpus = 2, .policy = SCHED_RANDOM, .seed = 7 };
	uint8_t bytes[] = { 1, 1, 0, 1, 0, 0, 1 };

	/* random, then the recorded schedule replays the same interleaving */
	EXPECT(run2(&cfg, job_steps, job_steps, &sh, trace) == SCHED_OK);
	memcpy(log1, sh.log, sizeof(log1));
	EXPECT(sh.len == 10 && strncmp(trace, "2:", 2) == 0);
	cfg = (struct sched_cfg){ .ncpus = 2, .policy = SCHED_REPLAY, .replay = trace };
	EXPECT(run2(&cfg, job_steps, job_steps, &sh, NULL) == SCHED_OK);
	EXPECT(memcmp(log1, sh.log, sizeof(log1)) == 0);

	/* bytes decide; without bytes nobody is preempted */
	cfg = (struct sched_cfg){ .ncpus = 2, .policy = SCHED_BYTES };
	EXPECT(run2(&cfg, job_steps, job_steps, &sh, NULL) == SCHED_OK);
	EXPECT(strncmp(sh.log, "aaaaabbbbb", 10) == 0);
	cfg.bytes = bytes;
	cfg.nbytes = sizeof(bytes);
	EXPECT(run2(&cfg, job_steps, job_steps, &sh, NULL) == SCHED_OK);
	EXPECT(strncmp(sh.log, "aaaaabbbbb", 10) != 0);

	/* a lock's holder is never interleaved with another holder */
	for (uint64_t seed = 0; seed < 50; seed++) {
		cfg = (struct sched_cfg){ .ncpus = 2, .policy = SCHED_RANDOM, .seed = seed };
		EXPECT(run2(&cfg, job_locked, job_locked, &sh, NULL) == SCHED_OK);
		EXPECT(strncmp(sh.log, "[][]", 4) == 0);
	}

	/* ABBA: some schedule deadlocks and says so */
	{
		bool seen = false;

		for (uint64_t seed = 0; seed < 50 && !seen; seed++) {
			cfg = (struct sched_cfg){ .ncpus = 2, .policy = SCHED_RANDOM, .seed = seed };
			seen = run2(&cfg, job_hold_forever, job_hold_other, &sh, NULL) == SCHED_DEADLOCK;
		}
		EXPECT(seen);
	}

	/* a grace period never ends before a reader that began before it */
	{
		unsigned waited = 0;

		for (uint64_t seed = 0; seed < 50; seed++) {
			cfg = (struct sched_cfg){ .ncpus = 2, .policy = SCHED_PCT, .seed = seed, .pct_depth = 3 };
			EXPECT(run2(&cfg, job_reader, job_writer, &sh, NULL) == SCHED_OK);
			EXPECT(!sh.gp_ended_early);
			waited += sh.gp_waited;
		}
		EXPECT(waited > 0);
	}
	/* the interrupt hook: once, on CPU 1 at its third test.step, before
	 * it goes on; malformed positions are refused */
	{
		const char *bad[] = { "2.test.step#1", "1.test.step#0", "1test.step#1", "1.#1", "1.test.step#", "x.a#1" };
		struct sched *s;

		irq_sh = &sh;
		cfg = (struct sched_cfg){ .ncpus = 2, .policy = SCHED_BYTES, .irq_at = "1.test.step#3", .irq_fn = irq_note };
		EXPECT(run2(&cfg, job_steps, job_steps, &sh, NULL) == SCHED_OK);
		EXPECT(strcmp(sh.log, "aaaaabbIbbb") == 0);
		EXPECT(irq_cpu_seen == 1);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			cfg.irq_at = bad[i];
			EXPECT(sched_create(&cfg, &s) != 0);
			EXPECT(sched_irq_check(bad[i], 2) != 0);
		}
		cfg.irq_at = "1.test.step#3";
		cfg.irq_fn = NULL;
		EXPECT(sched_create(&cfg, &s) != 0);
		EXPECT(sched_irq_check("1.test.step#3", 2) == 0);
	}
	printf("test_sched: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
