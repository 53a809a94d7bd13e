// SPDX-License-Identifier: GPL-2.0-only
/*
 * track.c - what the operations since the last quiescent check changed, for
 * hvo_check_changed() (config track_changes; single-threaded use only).
 *
 * Conservative by construction: every write through the vmemmap accessors
 * marks its frame, every allocation and free marks its frames (the raw
 * writes of the core all go to frames allocated in the same operation:
 * shared tails, head copies, restore pages), and every PTE or PMD change
 * marks the vmemmap addresses it covers.  A folio is then unchanged when
 * none of its vmemmap pages (and the struct page after them, which the G1
 * fake-head test may read) was remapped and none of the frames they map
 * now was written, allocated or freed, and its published tail and the G1
 * static key are the same: check_folio reads nothing else.  Too many
 * changes in one step make everything dirty.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define TRACK_RANGES 32

struct range { uint64_t lo, hi; };

struct track {
	bool all;              /* everything is dirty (creation, overflow, G1 key flip) */
	bool mapping;          /* check_mapping's inputs changed */
	bool g1_on;            /* the G1 static key when last checked */
	unsigned nr_frames, nr_vaddrs;
	struct range frames[TRACK_RANGES];   /* frames written, allocated or freed */
	struct range vaddrs[TRACK_RANGES];   /* vmemmap addresses remapped */
	uint64_t epoch;        /* passing quiescent checks so far */
	uint32_t cap;          /* per folio id: */
	bool *clean;           /* passed check_folio and unchanged since */
	uint64_t *tail;        /* the published tail pfn + 1 it was checked against */
	uint64_t *changed_at;  /* the epoch of the last check that (re)checked it */
};

int track_create(struct hvo_machine *m)
{
	if (!m->cfg.track_changes)
		return 0;
	m->track = calloc(1, sizeof(*m->track));
	if (!m->track)
		return -HVO_ENOMEM;
	m->track->all = true;
	return 0;
}

void track_destroy(struct hvo_machine *m)
{
	if (!m->track)
		return;
	free(m->track->clean);
	free(m->track->tail);
	free(m->track->changed_at);
	free(m->track);
	m->track = NULL;
}

static void add(struct track *t, struct range *r, unsigned *nr, uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < *nr; i++)
		if (lo <= r[i].hi && hi >= r[i].lo) {   /* overlapping or adjacent: merge */
			r[i].lo = lo < r[i].lo ? lo : r[i].lo;
			r[i].hi = hi > r[i].hi ? hi : r[i].hi;
			return;
		}
	if (*nr == TRACK_RANGES) {
		t->all = true;
		return;
	}
	r[(*nr)++] = (struct range){ lo, hi };
}

void track_frames_slow(struct hvo_machine *m, uint64_t pfn, uint64_t nr)
{
	struct track *t = m->track;

	t->mapping = true;
	if (!t->all)
		add(t, t->frames, &t->nr_frames, pfn, pfn + nr);
}

void track_vaddrs_slow(struct hvo_machine *m, uint64_t start, uint64_t end)
{
	struct track *t = m->track;

	t->mapping = true;
	if (!t->all)
		add(t, t->vaddrs, &t->nr_vaddrs, start, end);
}

void track_mapping_slow(struct hvo_machine *m)
{
	m->track->mapping = true;
}

static bool hit(const struct range *r, unsigned nr, uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < nr; i++)
		if (lo < r[i].hi && hi > r[i].lo)
			return true;
	return false;
}

static bool g1_on(const struct hvo_machine *m)
{
	return m->cfg.gen == HVO_G1 && __atomic_load_n(&m->g1_key, __ATOMIC_RELAXED);
}

bool track_everything(struct hvo_machine *m)
{
	return !m->track || m->track->all || m->track->g1_on != g1_on(m);
}

bool track_mapping_changed(const struct hvo_machine *m)
{
	return m->track->mapping;
}

bool track_folio_changed(struct hvo_machine *m, const struct folio *f, int32_t id)
{
	struct track *t = m->track;
	uint64_t psz = m->geo.page_size, sps = m->geo.struct_page_size;
	uint64_t hv = page_vaddr(m, f->pfn);
	uint64_t lo = hv & ~(psz - 1), hi = (hv + ((1ull << f->order) + 1) * sps + psz - 1) & ~(psz - 1);

	if ((uint32_t)id >= t->cap || !t->clean[id] || t->tail[id] != g2_tail_pfn(m, f->node, f->zone, f->order) ||
	    hit(t->vaddrs, t->nr_vaddrs, lo, hi))
		return true;
	if (!t->nr_frames)
		return false;
	for (uint64_t va = lo; va < hi; va += psz) {
		uint64_t frame;
		bool rw;

		if (vm_translate(m, va, &frame, &rw) && hit(t->frames, t->nr_frames, frame, frame + 1))
			return true;
	}
	return false;
}

void track_folio_set(struct hvo_machine *m, const struct folio *f, int32_t id, bool clean)
{
	struct track *t = m->track;

	if ((uint32_t)id >= t->cap) {
		uint32_t cap = t->cap ? t->cap : 64;
		bool *c;
		uint64_t *tl, *ca;

		while (cap <= (uint32_t)id)
			cap *= 2;
		c = realloc(t->clean, cap * sizeof(*c));
		if (c)
			t->clean = c;
		tl = c ? realloc(t->tail, cap * sizeof(*tl)) : NULL;
		if (tl)
			t->tail = tl;
		ca = tl ? realloc(t->changed_at, cap * sizeof(*ca)) : NULL;
		if (!ca)
			return;   /* host OOM: the folio simply stays dirty */
		t->changed_at = ca;
		memset(t->clean + t->cap, 0, (cap - t->cap) * sizeof(*c));
		t->cap = cap;
	}
	t->clean[id] = clean;
	t->tail[id] = g2_tail_pfn(m, f->node, f->zone, f->order);
	t->changed_at[id] = t->epoch + 1;
}

bool track_unchanged_since(const struct hvo_machine *m, int32_t id, uint64_t epoch)
{
	const struct track *t = m->track;

	return t && (uint32_t)id < t->cap && t->changed_at[id] <= epoch;
}

uint64_t hvo_check_epoch(const struct hvo_machine *m)
{
	return m->track ? m->track->epoch : 0;
}

void track_reset(struct hvo_machine *m)
{
	struct track *t = m->track;

	t->all = false;
	t->mapping = false;
	t->g1_on = g1_on(m);
	t->nr_frames = 0;
	t->nr_vaddrs = 0;
	t->epoch++;
}

/* m->track as a copy of s's (machine_reset.c).  0 or -ENOMEM. */
int track_clone(struct hvo_machine *m, const struct hvo_machine *s)
{
	const struct track *st = s->track;
	struct track *t;

	if (!st)
		return 0;
	t = malloc(sizeof(*t));
	if (!t)
		return -HVO_ENOMEM;
	*t = *st;
	t->clean = NULL;
	t->tail = NULL;
	t->changed_at = NULL;
	m->track = t;
	if (!st->cap)
		return 0;
	t->clean = malloc(st->cap * sizeof(*t->clean));
	t->tail = malloc(st->cap * sizeof(*t->tail));
	t->changed_at = malloc(st->cap * sizeof(*t->changed_at));
	if (!t->clean || !t->tail || !t->changed_at)
		return -HVO_ENOMEM;  /* the caller destroys m, and t with it */
	memcpy(t->clean, st->clean, st->cap * sizeof(*t->clean));
	memcpy(t->tail, st->tail, st->cap * sizeof(*t->tail));
	memcpy(t->changed_at, st->changed_at, st->cap * sizeof(*t->changed_at));
	return 0;
}
