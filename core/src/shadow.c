// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow.c - the naive shadow model: what the kernel-visible state of every
 * folio should be, kept from what each API call reported, with no HVO in
 * it.  hvo_check compares the machine with it after every operation.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct shadow_folio {
	bool live, optimized;
	uint64_t pfn;
	unsigned order, node;
	int zone;
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

void shadow_add(struct shadow *s, int32_t id, uint64_t pfn, unsigned order, unsigned node, int zone)
{
	struct shadow_folio *f = slot(s, id);

	*f = (struct shadow_folio){ true, false, pfn, order, node, zone, HVO_FOLIO_FREE };
}

void shadow_remove(struct shadow *s, int32_t id) { slot(s, id)->live = false; }
void shadow_set_state(struct shadow *s, int32_t id, enum hvo_folio_state st) { slot(s, id)->state = st; }
void shadow_set_optimized(struct shadow *s, int32_t id, bool on) { slot(s, id)->optimized = on; }

int shadow_compare(struct hvo_machine *m)
{
	struct shadow *s = m->shadow;
	uint32_t n = s->nr > m->nr_folios ? s->nr : m->nr_folios;

	for (uint32_t id = 0; id < n; id++) {
		const struct shadow_folio *sf = id < s->nr ? &s->f[id] : NULL;
		const struct folio *f = id < m->nr_folios ? folio_at(m, id) : NULL;
		bool live = f && f->live, slive = sf && sf->live;

		if (live != slive) {
			hvo_violate(m, 0, f ? f->pfn : UINT64_MAX, (int32_t)id, "shadow: folio %s in the model, %s in the shadow",
				    live ? "live" : "gone", slive ? "live" : "gone");
			return m->viol.inv;
		}
		if (!live || f->busy)
			continue;
		if (f->pfn != sf->pfn || f->order != sf->order || f->node != sf->node || f->zone != sf->zone ||
		    f->state != sf->state) {
			hvo_violate(m, 0, f->pfn, (int32_t)id, "shadow: folio identity or pool state differs");
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
	return 0;
}
