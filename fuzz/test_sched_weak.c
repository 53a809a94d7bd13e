// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_sched_weak.c - the weak-memory model of sched_weak.c on litmus
 * tests: every outcome a test can show is enumerated (each load's choice
 * among the stores it may read, odometer style) for one interleaving of
 * the calls, and the test says which outcomes must and must not occur.
 * Each "allowed" test is the "forbidden" one without its ordering, so a
 * model that forbids everything or allows everything fails here.
 */
#include <stdio.h>
#include <string.h>

#include "sched.h"
#include "sched_weak.h"

static int failures;
#define EXPECT(c) do { if (!(c)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* The odometer over load choices. */
struct odo {
	unsigned pos, len, choice[64], nok[64];
};

static unsigned odo_choose(void *ctx, unsigned n_ok, unsigned n_kept)
{
	struct odo *o = ctx;
	unsigned k;

	(void)n_kept;
	if (o->pos >= 64)
		return 0;
	if (o->pos >= o->len) {
		o->choice[o->pos] = 0;
		o->len = o->pos + 1;
	}
	o->nok[o->pos] = n_ok;
	k = o->choice[o->pos++];
	return k;
}

/* Next choice vector; false when every one was run. */
static bool odo_next(struct odo *o)
{
	o->len = o->pos;
	while (o->len && o->choice[o->len - 1] + 1 >= o->nok[o->len - 1])
		o->len--;
	if (!o->len)
		return false;
	o->choice[o->len - 1]++;
	o->pos = 0;
	return true;
}

/* Simulated memory: the latest value of each location, as the model keeps it. */
struct env {
	struct wm *w;
	struct odo *o;
	uint64_t mem[4];
};

enum { X, Y, Z };

static uint64_t ld(struct env *e, unsigned cpu, unsigned loc, unsigned mo)
{
	return wm_load(e->w, cpu, &e->mem[loc], e->mem[loc], mo, odo_choose, e->o);
}

static void st(struct env *e, unsigned cpu, unsigned loc, uint64_t v, unsigned mo)
{
	uint64_t old = e->mem[loc];

	e->mem[loc] = v;
	wm_store(e->w, cpu, &e->mem[loc], old, v, mo);
}

typedef unsigned (*litmus_fn)(struct env *e);

/* Runs fn under every choice vector; returns the set of outcomes seen (bit mask). */
static unsigned outcomes(litmus_fn fn)
{
	struct odo o = { 0 };
	unsigned seen = 0;

	do {
		struct env e = { .w = wm_create(3), .o = &o };

		if (!e.w)
			return 0;
		o.pos = 0;
		for (unsigned i = 0; i < 4; i++)  /* every location starts as a store all have seen */
			(void)ld(&e, 2, i, HVO_MO_RELAXED);
		seen |= 1u << fn(&e);
		wm_destroy(e.w);
	} while (odo_next(&o));
	return seen;
}

/* Outcome bits (1 << what a test returns). */
#define NONE 1u   /* 0: the reader saw nothing of interest */
#define WEAK 2u   /* 1: the weak outcome */
#define SEEN 4u   /* 2: the reader saw the publication, and what it orders */

/* MP: CPU 0 writes data then flag; CPU 1 reads flag then data. */
static unsigned mp(struct env *e, unsigned wmo, unsigned rmo, bool wmb, bool rmb)
{
	uint64_t f, d;

	st(e, 0, X, 1, HVO_MO_RELAXED);
	if (wmb)
		wm_fence(e->w, 0, HVO_MO_RELEASE);
	st(e, 0, Y, 1, wmo);
	f = ld(e, 1, Y, rmo);
	if (rmb)
		wm_fence(e->w, 1, HVO_MO_ACQUIRE);
	d = ld(e, 1, X, HVO_MO_RELAXED);
	return f == 1 && d == 0 ? 1 : f == 1 ? 2 : 0;
}

static unsigned mp_relaxed(struct env *e) { return mp(e, HVO_MO_RELAXED, HVO_MO_RELAXED, false, false); }
static unsigned mp_rel_acq(struct env *e) { return mp(e, HVO_MO_RELEASE, HVO_MO_ACQUIRE, false, false); }
static unsigned mp_rel_only(struct env *e) { return mp(e, HVO_MO_RELEASE, HVO_MO_RELAXED, false, false); }
static unsigned mp_fences(struct env *e) { return mp(e, HVO_MO_RELAXED, HVO_MO_RELAXED, true, true); }
static unsigned mp_wmb_only(struct env *e) { return mp(e, HVO_MO_RELAXED, HVO_MO_RELAXED, true, false); }

/* SB: each CPU writes its location, (smp_mb,) reads the other's.  Bit 1:
 * both read 0. */
static unsigned sb(struct env *e, bool mb)
{
	uint64_t r0, r1;

	st(e, 0, X, 1, HVO_MO_RELAXED);
	st(e, 1, Y, 1, HVO_MO_RELAXED);
	if (mb) {
		wm_fence(e->w, 0, HVO_MO_FULL);
		wm_fence(e->w, 1, HVO_MO_FULL);
	}
	r0 = ld(e, 0, Y, HVO_MO_RELAXED);
	r1 = ld(e, 1, X, HVO_MO_RELAXED);
	return r0 == 0 && r1 == 0 ? 1 : 0;
}

static unsigned sb_plain(struct env *e) { return sb(e, false); }
static unsigned sb_mb(struct env *e) { return sb(e, true); }

/* CoRR: CPU 1 reads x twice; bit 1: the new value, then the old one. */
static unsigned corr(struct env *e)
{
	uint64_t a, b;

	st(e, 0, X, 1, HVO_MO_RELAXED);
	a = ld(e, 1, X, HVO_MO_RELAXED);
	b = ld(e, 1, X, HVO_MO_RELAXED);
	return a == 1 && b == 0 ? 1 : 0;
}

/* WRC through a page: CPU 0 publishes a page's contents and the slot
 * (fully ordered); CPU 1 reads the slot (acquire or relaxed) and stores a
 * PTE after smp_wmb; CPU 2 reads the PTE (acquire of the latest, the page
 * walk) and the page.  Bit 1: PTE seen, contents not: get_tail's race. */
static unsigned wrc_page(struct env *e, unsigned slot_mo)
{
	uint64_t t;

	wm_publish(e->w, 0, 7);
	wm_fence(e->w, 0, HVO_MO_FULL);
	st(e, 0, X, 1, HVO_MO_RELEASE | HVO_MO_RMW);
	wm_fence(e->w, 0, HVO_MO_FULL);
	t = ld(e, 1, X, slot_mo);
	if (t != 1)
		return 0;
	wm_fence(e->w, 1, HVO_MO_RELEASE);
	st(e, 1, Y, 1, HVO_MO_RELAXED);
	(void)ld(e, 2, Y, HVO_MO_ACQUIRE | HVO_MO_LATEST);
	return wm_contents_seen(e->w, 2, 7, odo_choose, e->o) ? 2 : 1;
}

static unsigned wrc_acquire(struct env *e) { return wrc_page(e, HVO_MO_ACQUIRE); }
static unsigned wrc_relaxed(struct env *e) { return wrc_page(e, HVO_MO_RELAXED); }

/* A lock hands over what its holder wrote; bit 1: stale after the handover. */
static unsigned lock_mp(struct env *e, bool lock)
{
	st(e, 0, X, 1, HVO_MO_RELAXED);
	if (lock) {
		wm_unlock(e->w, 0, HVO_LOCK_PAGE_TABLE);
		wm_lock(e->w, 1, HVO_LOCK_PAGE_TABLE);
	}
	return ld(e, 1, X, HVO_MO_RELAXED) == 0 ? 1 : 0;
}

static unsigned lock_yes(struct env *e) { return lock_mp(e, true); }
static unsigned lock_no(struct env *e) { return lock_mp(e, false); }

/* An RMW reads the latest store; bit 1: it did not. */
static unsigned rmw_latest(struct env *e)
{
	st(e, 0, X, 1, HVO_MO_RELAXED);
	return ld(e, 1, X, HVO_MO_RMW) == 0 ? 1 : 0;
}

int main(void)
{
	/* message passing: the flag may be missed, and seen with its data */
	EXPECT(outcomes(mp_relaxed) == (NONE | WEAK | SEEN));  /* no ordering: data may be stale */
	EXPECT(outcomes(mp_rel_acq) == (NONE | SEEN));
	EXPECT(outcomes(mp_rel_only) == (NONE | WEAK | SEEN)); /* a release needs its acquire */
	EXPECT(outcomes(mp_fences) == (NONE | SEEN));          /* smp_wmb + smp_rmb */
	EXPECT(outcomes(mp_wmb_only) == (NONE | WEAK | SEEN)); /* smp_wmb alone */
	/* store buffering: both reads of 0, unless both CPUs smp_mb */
	EXPECT(outcomes(sb_plain) == (NONE | WEAK));
	EXPECT(outcomes(sb_mb) == NONE);
	/* read-read coherence */
	EXPECT(outcomes(corr) == NONE);
	/* the get_tail race, through a page's contents (B17f) */
	EXPECT(outcomes(wrc_acquire) == (NONE | SEEN));
	EXPECT(outcomes(wrc_relaxed) == (NONE | WEAK | SEEN));
	/* locks, RMWs */
	EXPECT(outcomes(lock_yes) == NONE);
	EXPECT(outcomes(lock_no) == (NONE | WEAK));
	EXPECT(outcomes(rmw_latest) == NONE);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures != 0;
}
