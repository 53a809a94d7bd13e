/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sched_weak.h - weak memory for the deterministic scheduler (issue 17;
 * the semantics and where they are stronger than C11 or LKMM: WEAK.md).
 *
 * An operational, C11-flavoured model in the style of C11Tester: every
 * CPU has a vector clock; every location the sync seam names keeps its
 * last WM_HIST stores in modification order, each with its writer's stamp
 * and the view (vector clock) an acquire of it joins.  A load may read any
 * kept store that is not older than (a) the newest store that happens
 * before it and (b) the newest store this CPU already read or wrote there
 * (coherence); the scheduler's decision source picks which.
 */
#ifndef HVO_FUZZ_SCHED_WEAK_H
#define HVO_FUZZ_SCHED_WEAK_H

#include <stdbool.h>
#include <stdint.h>

#include "hvo/hvo.h"

struct wm;
/* A load of a location that keeps n_kept > 1 stores, of which the newest
 * n_ok (>= 1) are readable: which to read, 0 the newest (recorded).  An
 * answer past n_ok reads the oldest readable one: a replayed choice the
 * run at hand does not allow (a clean witness) reads as stale as it may. */
typedef unsigned (*wm_choose_fn)(void *ctx, unsigned n_ok, unsigned n_kept);

struct wm *wm_create(unsigned ncpus);
void wm_destroy(struct wm *w);

uint64_t wm_load(struct wm *w, unsigned cpu, const void *loc, uint64_t cur, unsigned mo, wm_choose_fn choose,
		 void *ctx);
void wm_store(struct wm *w, unsigned cpu, const void *loc, uint64_t old, uint64_t v, unsigned mo);
void wm_fence(struct wm *w, unsigned cpu, enum hvo_mo mo);
/* A page's contents as one location: published by plain stores, seen or not. */
void wm_publish(struct wm *w, unsigned cpu, uint64_t pfn);
bool wm_contents_seen(struct wm *w, unsigned cpu, uint64_t pfn, wm_choose_fn choose, void *ctx);
/* Locks order like a release (unlock) and an acquire (lock). */
void wm_lock(struct wm *w, unsigned cpu, unsigned lock);
void wm_unlock(struct wm *w, unsigned cpu, unsigned lock);
/* Stale reads taken (a store older than the newest was read). */
uint64_t wm_stale_reads(const struct wm *w);

#endif
