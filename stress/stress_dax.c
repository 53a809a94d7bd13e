// SPDX-License-Identifier: GPL-2.0-only
/*
 * stress_dax.c - dax-churn: G3 device DAX hot-add/remove churn (spec 2.10)
 * with readers of the struct pages.
 *
 * Each worker owns one section of its node's device range and keeps
 * removing and hot-adding it as compound pages of a changing order (base
 * pages, 2 MiB, 16 MiB, 128 MiB; sometimes self-hosted).  The shared tail
 * of each (node, ZONE_DEVICE, order) is mapped, referenced and dropped by
 * every worker of that node.  Hot-add/remove are serialised like the
 * kernel's mem_hotplug_lock; readers hold a reference on the range, like a
 * pgmap reference, that remove waits for (percpu_ref_kill + wait), so a
 * reader never walks a range being torn down - everything else runs
 * concurrently: readers against hot-add/remove of the other ranges (PTE
 * population of other PMDs, TLB flushes, shared-tail references and the
 * allocator).  Oracle: every view shows its compound head, ZONE_DEVICE and
 * the range's node; hvo_check at quiescent points (about twice a second and
 * at the end) and every range live at the end.
 */
#include <inttypes.h>
#include <sched.h>
#include <string.h>

#include "stress.h"

static const unsigned dax_orders[] = { 0, 9, 12, 15 };

static uint64_t section_pfns(const struct stress *st)
{
	const struct hvo_geometry *g = hvo_machine_geometry(st->m);

	return 1ull << (g->section_shift - g->page_shift);
}

/* Hot-add the worker's section as order o (under the hotplug lock) and
 * publish it to the readers. */
static int add_range(struct worker *w, unsigned o, unsigned flags)
{
	struct stress *st = w->st;
	struct dax_slot *d = &w->dax;
	char err[200];
	int rc;

	pthread_mutex_lock(&st->hotplug);
	rc = hvo_dax_add(st->m, d->pfn, section_pfns(st), o, d->node, flags, &d->id, err, sizeof(err));
	pthread_mutex_unlock(&st->hotplug);
	record(w, "dax_add", d->id, o, rc);
	if (rc) {
		failf(st, "thread %u: hot-add of [0x%" PRIx64 ", +0x%" PRIx64 ") order %u: %s", w->idx, d->pfn,
		      section_pfns(st), o, err);
		return rc;
	}
	d->order = o;
	__atomic_store_n(&d->state, 0, __ATOMIC_RELEASE);
	return 0;
}

int dax_setup(struct stress *st)
{
	unsigned workers = st->nw - st->o.walkers;

	if (make_machine(st))
		return -1;
	for (unsigned i = 0; i < workers; i++) {
		struct worker *w = &st->w[i];

		w->st = st;
		w->idx = i;
		w->dax.node = i % STRESS_NODES;
		w->dax.pfn = dax_start_pfn(w->dax.node, hvo_machine_geometry(st->m)->page_shift) +
			     (i / STRESS_NODES) * section_pfns(st);
		if (add_range(w, dax_orders[i % 4], 0))
			return -1;
	}
	return 0;
}

void *dax_thread(void *arg)
{
	struct worker *w = arg;
	struct stress *st = w->st;
	struct dax_slot *d = &w->dax;
	uint64_t rng = st->o.seed ^ (0x9e3779b97f4a7c15ull * (w->idx + 1));

	tsync_thread_start(w->idx);
	pthread_barrier_wait(&st->start);
	while (!stopping(st)) {
		uint64_t r = rng_next(&rng);
		int rc;

		quiesce_enter(st, w);
		/* memunmap_pages: no new readers, wait for the ones inside */
		__atomic_fetch_or(&d->state, DAX_DEAD, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != DAX_DEAD)
			sched_yield();
		pthread_mutex_lock(&st->hotplug);
		rc = hvo_dax_remove(st->m, d->id);
		pthread_mutex_unlock(&st->hotplug);
		record(w, "dax_remove", d->id, d->order, rc);
		if (rc)
			fail_op(st, "thread %u: hot-remove of range %d returned %d", w->idx, d->id, rc);
		else
			add_range(w, dax_orders[r % 4], r % 5 == 4 ? HVO_DAX_ALTMAP : 0);
		quiesce_exit(w);
		__atomic_fetch_add(&w->ops, 2, __ATOMIC_RELAXED);
		if (hvo_violation(st->m))
			__atomic_store_n(&st->stop, 1, __ATOMIC_RELAXED);
	}
	tsync_thread_stop();
	return NULL;
}

void *dax_walk_thread(void *arg)
{
	struct worker *w = arg;
	struct stress *st = w->st;
	unsigned workers = st->nw - st->o.walkers;
	uint64_t rng = st->o.seed ^ (0x9e3779b97f4a7c15ull * (w->idx + 1)), sec;

	tsync_thread_start(w->idx);
	pthread_barrier_wait(&st->start);
	sec = section_pfns(st);
	while (!stopping(st)) {
		struct dax_slot *d = &st->w[rng_next(&rng) % workers].dax;
		uint64_t idx = rng_next(&rng) % sec, pfn, head;
		int s = __atomic_load_n(&d->state, __ATOMIC_ACQUIRE), rc;
		struct hvo_page_view v;
		unsigned order, node;

		quiesce_enter(st, w);
		/* get_dev_pagemap: a reference unless the range is going away */
		if ((s & DAX_DEAD) || !__atomic_compare_exchange_n(&d->state, &s, s + 1, false, __ATOMIC_ACQUIRE,
								   __ATOMIC_RELAXED)) {
			quiesce_exit(w);
			continue;
		}
		pfn = d->pfn + idx;
		order = d->order;
		node = d->node;
		head = pfn & ~((1ull << order) - 1);
		tsync_walk_begin(&st->sync);
		rc = hvo_walk_pfn(st->m, pfn, &v);
		tsync_walk_end(&st->sync);
		record(w, "dax_walk", d->id, idx, rc);
		__atomic_fetch_sub(&d->state, 1, __ATOMIC_RELEASE);
		quiesce_exit(w);
		__atomic_fetch_add(&w->views, 1, __ATOMIC_RELAXED);
		if (rc || v.head_pfn != head || v.tail != (pfn != head) || v.zone != HVO_ZONE_DEVICE || v.node != (int)node)
			failf(st, "walker %u: device pfn 0x%" PRIx64 " (order %u, node %u): rc %d head 0x%" PRIx64
			      " tail=%d zone %d node %d", w->idx, pfn, order, node, rc, v.head_pfn, v.tail, v.zone, v.node);
	}
	tsync_thread_stop();
	return NULL;
}

void dax_quiesce(struct stress *st, bool on)
{
	if (!on) {
		__atomic_store_n(&st->pause, 0, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&st->pause, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < st->nw; i++)
		while (__atomic_load_n(&st->w[i].in_op, __ATOMIC_SEQ_CST))
			sched_yield();
}

/* Every worker's last op was a hot-add: its range is live. */
void dax_end(struct stress *st)
{
	struct hvo_dax_info info[MAX_THREADS];
	unsigned workers = st->nw - st->o.walkers, live;

	if (!check_machine(st))
		return;
	live = hvo_dax_list(st->m, info, MAX_THREADS);
	if (live != workers)
		failf(st, "end: %u live DAX ranges, want one per worker (%u)", live, workers);
}
