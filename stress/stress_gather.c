// SPDX-License-Identifier: GPL-2.0-only
/*
 * stress_gather.c - gather: the boot pipeline's per-node gather (spec 2.8,
 * gather_bootmem_prealloc's one job per node) run by one thread per node.
 *
 * Epochs of one fresh machine each, booted up to gather (config
 * gather_by_caller) with bootmem gigantic pages on both nodes: 2 MiB and
 * 4 MiB pages in three zones and a 1 GiB page across Normal/Movable that
 * gather must give back.  Thread i gathers nodes i, i + T, ... at once with
 * the others (folio creation under hugetlb_lock, the batch optimize and TLB
 * flushes of each node concurrent), then the main thread finishes the boot.
 * Oracle at that quiescent point: hvo_check, and the booted machine must
 * equal one booted with the sequential gather (built once per boot design,
 * the designs alternate by epoch): the same folios by pfn with the same
 * order, node, zone, state and optimized flag, and the same counters.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "stress.h"

#define GATHER_MAX_FOLIOS 128
#define PFN(b) ((b) >> 12)

static void gather_config(struct hvo_config *c, enum hvo_boot_design design)
{
	unsigned n = 0;

	c->node[1].movable_start_pfn = PFN((5ull << 30) + (3ull << 28));  /* 5.75 GiB */
	c->boot_design = design;
	for (unsigned i = 0; i < 48; i++)     /* node 0 Normal: 2 MiB pages */
		c->bootmem[n++] = (struct hvo_bootmem){ PFN(4ull << 30) + i * 512, 9 };
	for (unsigned i = 0; i < 8; i++)      /* node 0 DMA32: 4 MiB pages */
		c->bootmem[n++] = (struct hvo_bootmem){ PFN(3ull << 30) + i * 1024, 10 };
	for (unsigned i = 0; i < 32; i++)     /* node 1 Movable: 2 MiB pages */
		c->bootmem[n++] = (struct hvo_bootmem){ PFN(6ull << 30) + i * 512, 9 };
	c->bootmem[n++] = (struct hvo_bootmem){ PFN(5ull << 30), 18 };   /* across Normal/Movable */
	c->nr_bootmem = n;
}

struct snap {
	unsigned n;
	struct hvo_folio_info fi[GATHER_MAX_FOLIOS];
	struct hvo_counters c;
	struct hvo_boot_counters b;
};

static int by_pfn(const void *a, const void *b)
{
	uint64_t x = ((const struct hvo_folio_info *)a)->pfn, y = ((const struct hvo_folio_info *)b)->pfn;

	return x < y ? -1 : x > y;
}

static void snapshot(const struct hvo_machine *m, struct snap *s)
{
	int32_t ids[GATHER_MAX_FOLIOS];

	memset(s, 0, sizeof(*s));
	s->n = hvo_folio_list(m, ids, GATHER_MAX_FOLIOS);
	for (unsigned i = 0; i < s->n && i < GATHER_MAX_FOLIOS; i++)
		hvo_folio_info(m, ids[i], &s->fi[i]);
	qsort(s->fi, s->n < GATHER_MAX_FOLIOS ? s->n : GATHER_MAX_FOLIOS, sizeof(s->fi[0]), by_pfn);
	hvo_counters(m, &s->c);
	s->c.tlb_flushes = 0;  /* one flush per node instead of one for all */
	hvo_boot_counters(m, &s->b);
}

/* Ids follow the order the nodes finished in: folios compare by pfn. */
static bool same(const struct snap *a, const struct snap *b)
{
	if (a->n != b->n || memcmp(&a->c, &b->c, sizeof(a->c)) || memcmp(&a->b, &b->b, sizeof(a->b)))
		return false;
	for (unsigned i = 0; i < a->n && i < GATHER_MAX_FOLIOS; i++) {
		const struct hvo_folio_info *x = &a->fi[i], *y = &b->fi[i];

		if (x->pfn != y->pfn || x->order != y->order || x->node != y->node || x->zone != y->zone ||
		    x->state != y->state || x->optimized != y->optimized || x->refcount != y->refcount)
			return false;
	}
	return true;
}

static struct snap twin[2];   /* the sequential gather, per boot design */

static int gather_machine(struct stress *st, bool by_caller)
{
	struct hvo_config cfg;
	char err[HVO_ERR_LEN];

	stress_config(st, &cfg);
	cfg.gather_by_caller = by_caller;
	gather_config(&cfg, st->epochs % 2 ? HVO_BOOT_EARLY : HVO_BOOT_DEFERRED);
	if (hvo_machine_create(&cfg, &st->m, err, sizeof(err))) {
		failf(st, "machine creation: %s", err);
		return -1;
	}
	return 0;
}

int gather_setup(struct stress *st)
{
	for (unsigned d = 0; d < 2; d++, st->epochs++) {
		if (gather_machine(st, false))
			return -1;
		if (!check_machine(st))
			return -1;
		snapshot(st->m, &twin[d]);
		if (twin[d].n < 64 || twin[d].n >= GATHER_MAX_FOLIOS || twin[d].b.freed != 1) {
			failf(st, "gather: the sequential boot made %u folios and freed %" PRIu64 " bootmem pages",
			      twin[d].n, twin[d].b.freed);
			return -1;
		}
		hvo_machine_destroy(st->m);
		st->m = NULL;
	}
	st->epochs = 0;
	return 0;
}

void *gather_thread(void *arg)
{
	struct worker *w = arg;
	struct stress *st = w->st;

	tsync_thread_start(w->idx);
	for (;;) {
		pthread_barrier_wait(&st->start);
		if (quitting(st))
			break;
		for (unsigned n = w->idx; n < STRESS_NODES; n += st->nw) {
			hvo_boot_gather_node(st->m, n);
			record(w, "gather_node", (int32_t)n, 0, 0);
			__atomic_fetch_add(&w->ops, 1, __ATOMIC_RELAXED);
		}
		pthread_barrier_wait(&st->done);
	}
	tsync_thread_stop();
	return NULL;
}

void gather_epoch(struct stress *st)
{
	const struct snap *want = &twin[st->epochs % 2];
	const char *design = st->epochs % 2 ? "early" : "deferred";
	struct snap got;

	if (gather_machine(st, true))
		return;
	pthread_barrier_wait(&st->start);
	pthread_barrier_wait(&st->done);
	hvo_boot_finish(st->m);
	st->epochs++;
	if (check_machine(st)) {
		snapshot(st->m, &got);
		if (!same(&got, want))
			failf(st, "gather: epoch %" PRIu64 " (%s boot): the parallel gather booted a machine unlike the "
			      "sequential one (%u vs %u folios, %" PRIu64 " vs %" PRIu64 " optimized, memmap %" PRId64
			      " vs %" PRId64 ")", st->epochs, design, got.n, want->n,
			      got.c.nr_optimized, want->c.nr_optimized, got.c.memmap_pages + got.c.memmap_boot_pages,
			      want->c.memmap_pages + want->c.memmap_boot_pages);
	}
	hvo_machine_destroy(st->m);
	st->m = NULL;
}
