// SPDX-License-Identifier: GPL-2.0-only
/*
 * stress_publish.c - publish-race: the TSan lane's view of get_tail's fast
 * path (issue 17, item 3; fuzz/WEAK.md "TSan").
 *
 * Each epoch is a fresh machine, so every shared tail slot is empty: the
 * publishers optimize a folio each, spread over the (node, zone) slots of
 * order 9, so the first get_tail of each slot publishes its tail (and the
 * others race it or take the fast path).  The readers take no lock at all:
 * hvo_tail_read() is the fast path's load of vmemmap_tails[] and plain
 * reads of the tail page's struct pages.  Nothing but that load orders the
 * publisher's init of the tail before the reader's reads, so a missing
 * acquire (B17f, B17e) is a data race TSan reports at once, where in
 * tail-storm the optimizers' zone->lock hides it.
 *
 * Oracle: every struct page a reader sees is a canonical tail of its slot
 * (the spec's mask encoding of compound_info, the slot's node and zone,
 * refcount 0, mapcount -1, TAIL_MAPPING), computed here from the geometry;
 * each slot publishes exactly one tail and every folio is optimized
 * (hvo_counters); hvo_check at each epoch's end.
 */
#include <inttypes.h>
#include <string.h>

#include "stress.h"

#define PUBLISH_ORDER 9
_Static_assert(PUBLISH_ORDER == 9, "optimize_epoch() allocates order-9 folios");
#define TAIL_MAPPING_POISON 0xdead000000000400ull  /* 0x400 + POISON_POINTER_DELTA (spec 1.1) */

/* The default machine's (node, zone) pairs with memory: a slot each. */
static const struct { unsigned node; int zone; } slots[] = {
	{ 0, HVO_ZONE_NORMAL }, { 1, HVO_ZONE_NORMAL }, { 0, HVO_ZONE_DMA32 }, { 1, HVO_ZONE_MOVABLE },
};
#define NR_SLOTS (sizeof(slots) / sizeof(slots[0]))

static unsigned publishers(const struct stress *st)
{
	return st->nw - st->o.walkers;
}

static unsigned nr_slots(const struct stress *st)
{
	return publishers(st) < NR_SLOTS ? publishers(st) : (unsigned)NR_SLOTS;
}

/* Judge one struct page of slot s's tail as a reader saw it (spec 1.2:
 * a tail's compound_info is the mask of its order, bit 0 set). */
static void publish_judge(struct worker *w, unsigned s, unsigned idx, const struct hvo_tail_view *v)
{
	struct stress *st = w->st;
	const struct hvo_geometry *g = hvo_machine_geometry(st->m);
	unsigned shift = PUBLISH_ORDER + (unsigned)__builtin_ctz(g->struct_page_size);
	uint64_t info = (~0ull << shift) | 1;

	__atomic_fetch_add(&w->views, 1, __ATOMIC_RELAXED);
	if (v->compound_info != info || v->node != (int)slots[s].node || v->zone != slots[s].zone ||
	    v->refcount != 0 || v->mapcount != -1 || v->mapping != TAIL_MAPPING_POISON ||
	    (v->flags & ((1ull << 55) - 1)))
		failf(st, "%s %u: struct page %u of the tail of node %u zone %d order %d: compound_info 0x%" PRIx64
		      " (want 0x%" PRIx64 ") node %d zone %d refcount %d mapcount %d mapping 0x%" PRIx64
		      " flags 0x%" PRIx64, w->walker ? "reader" : "publisher", w->idx, idx, slots[s].node, slots[s].zone,
		      PUBLISH_ORDER, v->compound_info, info, v->node, v->zone, v->refcount, v->mapcount, v->mapping,
		      v->flags);
}

/* Every publisher of slot s has finished this epoch (relaxed: a reader
 * must take no ordering from the publishers; only a failure acquires). */
static bool slot_publishers_done(struct stress *st, unsigned s, int mo)
{
	for (unsigned i = s; i < publishers(st); i += nr_slots(st))
		if (__atomic_load_n(&st->w[i].storm_epoch, mo) != st->epochs + 1)
			return false;
	return true;
}

/* Read struct page idx of slot s's tail once it is published. */
static void publish_read(struct worker *w, unsigned s, unsigned idx)
{
	struct stress *st = w->st;
	const struct hvo_geometry *g = hvo_machine_geometry(st->m);
	struct hvo_tail_view v;
	int rc;

	idx %= (unsigned)(g->page_size / g->struct_page_size);
	while ((rc = hvo_tail_read(st->m, slots[s].node, slots[s].zone, PUBLISH_ORDER, idx, &v)) == -HVO_ENOENT) {
		if (stopping(st))
			return;
		if (slot_publishers_done(st, s, __ATOMIC_RELAXED) && slot_publishers_done(st, s, __ATOMIC_ACQUIRE)) {
			rc = hvo_tail_read(st->m, slots[s].node, slots[s].zone, PUBLISH_ORDER, idx, &v);
			break;
		}
		sched_yield();
	}
	record(w, "tail_read", (int32_t)s, idx, rc);
	if (rc)
		failf(st, "%s %u: the tail of node %u zone %d order %d: read returned %d after its publishers finished",
		      w->walker ? "reader" : "publisher", w->idx, slots[s].node, slots[s].zone, PUBLISH_ORDER, rc);
	else
		publish_judge(w, s, idx, &v);
}

void *publish_thread(void *arg)
{
	struct worker *w = arg;
	struct stress *st = w->st;
	unsigned s = w->idx % nr_slots(st);

	tsync_thread_start(w->idx);
	for (;;) {
		int rc;

		pthread_barrier_wait(&st->start);
		if (quitting(st))
			break;
		rc = hvo_folio_optimize(st->m, w->ids[0]);
		record(w, "optimize", w->ids[0], 0, rc);
		__atomic_fetch_add(&w->ops, 1, __ATOMIC_RELAXED);
		if (rc)
			fail_op(st, "publisher %u: optimize of folio %d returned %d", w->idx, w->ids[0], rc);
		__atomic_store_n(&w->storm_epoch, st->epochs + 1, __ATOMIC_RELEASE);
		if (!rc)  /* its own slot, after the publication it took part in */
			publish_read(w, s, (unsigned)(st->epochs + w->idx));
		pthread_barrier_wait(&st->done);
	}
	tsync_thread_stop();
	return NULL;
}

/* Read every slot's tail once it is published, from a random slot on. */
void *publish_read_thread(void *arg)
{
	struct worker *w = arg;
	struct stress *st = w->st;
	uint64_t rng = st->o.seed ^ (0x9e3779b97f4a7c15ull * (w->idx + 1));

	tsync_thread_start(w->idx);
	for (;;) {
		unsigned n, first;

		pthread_barrier_wait(&st->start);
		if (quitting(st))
			break;
		n = nr_slots(st);
		first = (unsigned)(rng_next(&rng) % n);
		for (unsigned k = 0; k < n && !stopping(st); k++)
			publish_read(w, (first + k) % n, (unsigned)rng_next(&rng));
		__atomic_fetch_add(&w->ops, 1, __ATOMIC_RELAXED);
		pthread_barrier_wait(&st->done);
	}
	tsync_thread_stop();
	return NULL;
}

void publish_epoch(struct stress *st)
{
	unsigned nodes[NR_SLOTS];
	int zones[NR_SLOTS];

	for (unsigned s = 0; s < NR_SLOTS; s++) {
		nodes[s] = slots[s].node;
		zones[s] = slots[s].zone;
	}
	optimize_epoch(st, publishers(st), nodes, zones, nr_slots(st));
}
