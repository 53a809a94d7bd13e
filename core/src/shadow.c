// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow.c - the naive shadow model: what the kernel-visible state of every
 * folio should be, kept from what each API call reported and asked for,
 * with no HVO in it.  hvo_check compares the machine with it after every
 * operation.
 *
 * Placement is predicted, not copied: the allocator's choice of pfn is
 * taken from the call's result, but where that pfn may lie is the shadow's
 * own: from the config alone (spec 1.3's zones: ZONE_DMA32 below 4 GiB,
 * ZONE_MOVABLE from movable_start or the whole of a movable-only node, or
 * with kernelcore=mirror the unmirrored memory above 4 GiB,
 * ZONE_NORMAL between) and the allocator's documented policy for a hugetlb
 * folio (__GFP_THISNODE: the node asked for; any zone; naturally aligned;
 * inside one zone), a demoted folio's pieces at parent + i * 2^order, and a
 * boot folio at one of the config's bootmem lines.  The exact pfn and the
 * zone fallback order depend on the buddy allocator's state, which the
 * shadow does not re-implement.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct shadow_folio {
	bool live, optimized, boot;
	uint64_t pfn;
	unsigned order;
	int node;          /* the node asked for, -1 = any (boot) */
	enum hvo_folio_state state;
};

struct shadow {
	struct shadow_folio *f;
	uint32_t nr, cap;
};

struct shadow *shadow_create(void)
{
	return calloc(1, sizeof(struct shadow));
}

void shadow_destroy(struct shadow *s)
{
	if (s)
		free(s->f);
	free(s);
}

static struct shadow_folio *slot(struct shadow *s, int32_t id)
{
	if (id < 0)
		return NULL;
	if ((uint32_t)id >= s->cap) {
		uint32_t cap = s->cap ? s->cap : 64;
		struct shadow_folio *n;

		while (cap <= (uint32_t)id)
			cap *= 2;
		n = realloc(s->f, cap * sizeof(*n));
		if (!n)
			abort(); /* host OOM */
		memset(n + s->cap, 0, (cap - s->cap) * sizeof(*n));
		s->f = n;
		s->cap = cap;
	}
	if ((uint32_t)id >= s->nr)
		s->nr = (uint32_t)id + 1;
	return &s->f[id];
}

void shadow_add(struct shadow *s, int32_t id, uint64_t pfn, unsigned order, int node)
{
	struct shadow_folio *f = slot(s, id);

	*f = (struct shadow_folio){ true, false, node < 0, pfn, order, node, HVO_FOLIO_FREE };
}

/* The pieces of a demoted folio: parent pfn + i * 2^order, the parent's node. */
void shadow_demote(struct shadow *s, int32_t parent, const int32_t *ids, uint64_t nr, unsigned order)
{
	struct shadow_folio p = *slot(s, parent);

	slot(s, parent)->live = false;
	for (uint64_t i = 0; i < nr; i++) {
		shadow_add(s, ids[i], p.pfn + (i << order), order, p.node);
		slot(s, ids[i])->boot = false;
	}
}

void shadow_remove(struct shadow *s, int32_t id) { slot(s, id)->live = false; }
void shadow_set_state(struct shadow *s, int32_t id, enum hvo_folio_state st) { slot(s, id)->state = st; }
void shadow_set_optimized(struct shadow *s, int32_t id, bool on) { slot(s, id)->optimized = on; }

/* spec 1.3 from the config: the zone of pfn in node n, or -1 outside it. */
static int zone_of(const struct hvo_config *c, unsigned n, uint64_t pfn)
{
	const struct hvo_node_config *nc = &c->node[n];
	uint64_t dma_end = (1ull << 32) >> c->page_shift;

	if (pfn < nc->start_pfn || pfn >= nc->start_pfn + nc->nr_pages)
		return -1;
	/* kernelcore=mirror: above 4 GiB, mirrored is NORMAL, the rest MOVABLE */
	if (nc->nr_mirror && pfn >= dma_end) {
		for (unsigned k = 0; k < nc->nr_mirror; k++)
			if (pfn - nc->mirror[k].start_pfn < nc->mirror[k].nr_pages)
				return HVO_ZONE_NORMAL;
		return HVO_ZONE_MOVABLE;
	}
	if (nc->movable_only || (nc->movable_start_pfn && pfn >= nc->movable_start_pfn))
		return HVO_ZONE_MOVABLE;
	return pfn < dma_end ? HVO_ZONE_DMA32 : HVO_ZONE_NORMAL;
}

/* Where the folio may lie (module comment); "" when it does. */
static const char *misplaced(const struct hvo_machine *m, const struct shadow_folio *sf, const struct folio *f)
{
	const struct hvo_config *c = &m->cfg;
	uint64_t last = sf->pfn + (1ull << sf->order) - 1;
	int node = -1, zone;

	if (sf->pfn & ((1ull << sf->order) - 1))
		return "not naturally aligned";
	for (unsigned n = 0; n < c->nr_nodes && node < 0; n++)
		if (zone_of(c, n, sf->pfn) >= 0)
			node = (int)n;
	if (node < 0)
		return "outside every node's memory";
	zone = zone_of(c, (unsigned)node, sf->pfn);
	if (zone_of(c, (unsigned)node, last) != zone)
		return "not inside one zone of one node";
	/* interleaved zones change only at a mirror range's ends */
	for (unsigned k = 0; k < c->node[node].nr_mirror; k++) {
		uint64_t ms = c->node[node].mirror[k].start_pfn, me = ms + c->node[node].mirror[k].nr_pages;

		if ((ms > sf->pfn && ms <= last && zone_of(c, (unsigned)node, ms) != zone) ||
		    (me > sf->pfn && me <= last && zone_of(c, (unsigned)node, me) != zone))
			return "not inside one zone of one node";
	}
	if (sf->node >= 0 && node != sf->node)
		return "on another node than the one asked for (__GFP_THISNODE)";
	if (f->node != (unsigned)node || f->zone != zone)
		return "recorded with another node or zone than its memory's";
	if (sf->boot) {
		for (unsigned i = 0; i < c->nr_bootmem; i++)
			if (c->bootmem[i].pfn == sf->pfn && c->bootmem[i].order == sf->order)
				return "";
		return "a boot folio at no bootmem line of the config";
	}
	return "";
}

struct span { uint64_t pfn, end; uint32_t id; };

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* No two live folios share a page (the shadow's own records). */
static int overlap(struct hvo_machine *m, const struct shadow *s)
{
	struct span *sp = malloc((s->nr ? s->nr : 1) * sizeof(*sp));
	uint32_t n = 0;
	int rc = 0;

	if (!sp)
		return 0;   /* host OOM: no verdict */
	for (uint32_t id = 0; id < s->nr; id++)
		if (s->f[id].live)
			sp[n++] = (struct span){ s->f[id].pfn, s->f[id].pfn + (1ull << s->f[id].order), id };
	qsort(sp, n, sizeof(*sp), cmp_span);
	for (uint32_t i = 1; i < n && !rc; i++)
		if (sp[i].pfn < sp[i - 1].end) {
			hvo_violate(m, 0, sp[i].pfn, (int32_t)sp[i].id, "shadow: folios %u and %u share pfn 0x%llx",
				    sp[i - 1].id, sp[i].id, (unsigned long long)sp[i].pfn);
			rc = m->viol.inv;
		}
	free(sp);
	return rc;
}

int shadow_compare(struct hvo_machine *m)
{
	struct shadow *s = m->shadow;
	uint32_t n = s->nr > m->nr_folios ? s->nr : m->nr_folios;

	for (uint32_t id = 0; id < n; id++) {
		const struct shadow_folio *sf = id < s->nr ? &s->f[id] : NULL;
		const struct folio *f = id < m->nr_folios ? folio_at(m, id) : NULL;
		bool live = f && f->live, slive = sf && sf->live;
		const char *why;

		if (live != slive) {
			hvo_violate(m, 0, f ? f->pfn : UINT64_MAX, (int32_t)id, "shadow: folio %s in the model, %s in the shadow",
				    live ? "live" : "gone", slive ? "live" : "gone");
			return m->viol.inv;
		}
		if (!live || f->busy)
			continue;
		if (f->pfn != sf->pfn || f->order != sf->order || f->state != sf->state) {
			hvo_violate(m, 0, f->pfn, (int32_t)id, "shadow: folio identity or pool state differs");
			return m->viol.inv;
		}
		why = misplaced(m, sf, f);
		if (*why) {
			hvo_violate(m, 0, f->pfn, (int32_t)id, "shadow: folio at pfn 0x%llx order %u is %s",
				    (unsigned long long)f->pfn, f->order, why);
			return m->viol.inv;
		}
		if (folio_optimized(m, f) != sf->optimized) {
			hvo_violate(m, 7, f->pfn, (int32_t)id, "optimized flag reads %d, the operations reported %d",
				    folio_optimized(m, f), sf->optimized);
			return m->viol.inv;
		}
		/* a speculative walker in flight holds a transient reference */
		if (api_depth(m) == 0 && folio_refcount(m, f) != (sf->state == HVO_FOLIO_IN_USE)) {
			hvo_violate(m, 13, f->pfn, (int32_t)id, "refcount %d in pool state %d", folio_refcount(m, f),
				    (int)sf->state);
			return m->viol.inv;
		}
	}
	return overlap(m, s);
}

/* A copy for a machine reset (machine_reset.c); NULL on host OOM. */
struct shadow *shadow_clone(const struct shadow *s)
{
	struct shadow *c = shadow_create();

	if (!c || !s->cap)
		return c;
	c->f = malloc(s->cap * sizeof(*c->f));
	if (!c->f) {
		free(c);
		return NULL;
	}
	memcpy(c->f, s->f, s->cap * sizeof(*c->f));
	c->nr = s->nr;
	c->cap = s->cap;
	return c;
}
