// SPDX-License-Identifier: GPL-2.0-only
/*
 * sched_weak.c - the weak-memory state of one scheduler run (sched_weak.h).
 *
 * Stamps: a CPU's clock entry for itself counts its stores; store s of CPU
 * d happens before the running point of CPU c when s.stamp <= vc[c][d].
 * Views carried by stores: a release store carries its writer's clock, a
 * relaxed store the clock at the writer's last release fence (smp_wmb,
 * smp_mb), an RMW also its predecessor's view (release sequences).  An
 * acquire load joins the view of what it read, a relaxed load keeps it for
 * the CPU's next acquire fence (smp_rmb, smp_mb).  smp_mb also joins and
 * updates one global view, so two full fences are ordered one way or the
 * other (what makes store buffering impossible across smp_mb).
 */
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "sched_weak.h"

#define WM_HIST 4           /* stores kept per location */
#define NO_CPU 0xffu        /* the store a location had when the run first met it */
#define CONTENTS_TAG (1ull << 63)  /* keys of page contents (host addresses never have it) */

typedef uint32_t vc_t[SCHED_MAX_CPUS];

struct msg {
	uint64_t val;
	uint32_t stamp;
	uint8_t cpu;
	vc_t view;
};

struct loc {
	uint64_t key;             /* 0: empty slot */
	uint32_t nstores;         /* modification order: store i is msg[i % WM_HIST] */
	uint32_t visible;         /* the newest store every CPU has seen */
	uint32_t seen[SCHED_MAX_CPUS]; /* per CPU: 1 + the newest store it read or wrote */
	struct msg msg[WM_HIST];
};

struct wm {
	unsigned ncpus;
	vc_t vc[SCHED_MAX_CPUS], relfence[SCHED_MAX_CPUS], acqpend[SCHED_MAX_CPUS];
	vc_t scview;
	vc_t lockview[HVO_NR_LOCKS];
	struct loc *tab;
	size_t cap, used;
	uint64_t stale;
};

static void join(vc_t a, const vc_t b)
{
	for (unsigned i = 0; i < SCHED_MAX_CPUS; i++)
		if (b[i] > a[i])
			a[i] = b[i];
}

struct wm *wm_create(unsigned ncpus)
{
	struct wm *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->ncpus = ncpus;
	w->cap = 256;
	w->tab = calloc(w->cap, sizeof(*w->tab));
	if (!w->tab) {
		free(w);
		return NULL;
	}
	return w;
}

void wm_destroy(struct wm *w)
{
	if (!w)
		return;
	free(w->tab);
	free(w);
}

uint64_t wm_stale_reads(const struct wm *w) { return w->stale; }

static size_t slot_of(uint64_t key, size_t cap)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 20) & (cap - 1);
}

static struct loc *find(struct wm *w, uint64_t key)
{
	for (size_t i = slot_of(key, w->cap);; i = (i + 1) & (w->cap - 1)) {
		if (w->tab[i].key == key)
			return &w->tab[i];
		if (!w->tab[i].key)
			return NULL;
	}
}

static int grow(struct wm *w)
{
	size_t cap = w->cap * 2;
	struct loc *t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (size_t i = 0; i < w->cap; i++) {
		size_t j;

		if (!w->tab[i].key)
			continue;
		for (j = slot_of(w->tab[i].key, cap); t[j].key; j = (j + 1) & (cap - 1))
			;
		t[j] = w->tab[i];
	}
	free(w->tab);
	w->tab = t;
	w->cap = cap;
	return 0;
}

/* A store every CPU has seen (what the location held when the run met it,
 * or a store made outside the seam, which no CPU can read past). */
static void push_visible(struct loc *l, uint64_t val)
{
	struct msg *m = &l->msg[l->nstores % WM_HIST];

	memset(m, 0, sizeof(*m));
	m->val = val;
	m->cpu = NO_CPU;
	l->visible = l->nstores;
	l->nstores++;
	for (unsigned i = 0; i < SCHED_MAX_CPUS; i++)
		l->seen[i] = l->nstores;
}

/* The location for key, holding cur as its newest store. */
static struct loc *get(struct wm *w, uint64_t key, uint64_t cur)
{
	struct loc *l = find(w, key);

	if (!l) {
		if (2 * (w->used + 1) > w->cap && grow(w))
			abort(); /* host OOM: nothing sensible to model */
		for (size_t i = slot_of(key, w->cap);; i = (i + 1) & (w->cap - 1))
			if (!w->tab[i].key) {
				l = &w->tab[i];
				break;
			}
		memset(l, 0, sizeof(*l));
		l->key = key;
		w->used++;
		push_visible(l, cur);
	} else if (l->msg[(l->nstores - 1) % WM_HIST].val != cur) {
		push_visible(l, cur);
	}
	return l;
}

static bool hb(const struct wm *w, unsigned cpu, const struct msg *m)
{
	return m->cpu == NO_CPU || m->stamp <= w->vc[cpu][m->cpu];
}

static const struct msg *read_msg(struct wm *w, unsigned cpu, struct loc *l, unsigned mo, wm_choose_fn choose,
				  void *ctx)
{
	uint32_t newest = l->nstores - 1, oldest = l->nstores > WM_HIST ? l->nstores - WM_HIST : 0, floor, i;
	const struct msg *m;
	unsigned n, k = 0;

	if (l->visible > oldest)
		oldest = l->visible;
	floor = oldest;
	if (l->seen[cpu] && l->seen[cpu] - 1 > floor)
		floor = l->seen[cpu] - 1;
	for (i = newest; i > floor; i--)
		if (hb(w, cpu, &l->msg[i % WM_HIST]))
			break;
	floor = i;
	n = newest - floor + 1;
	if (newest > oldest && !(mo & (HVO_MO_RMW | HVO_MO_LATEST)))
		k = choose(ctx, n, newest - oldest + 1);
	if (k >= n)
		k = n - 1;
	if (k)
		w->stale++;
	m = &l->msg[(newest - k) % WM_HIST];
	if (l->seen[cpu] < newest - k + 1)
		l->seen[cpu] = newest - k + 1;
	join((mo & HVO_MO_ACQUIRE) ? w->vc[cpu] : w->acqpend[cpu], m->view);
	return m;
}

uint64_t wm_load(struct wm *w, unsigned cpu, const void *loc, uint64_t cur, unsigned mo, wm_choose_fn choose,
		 void *ctx)
{
	return read_msg(w, cpu, get(w, (uint64_t)(uintptr_t)loc, cur), mo, choose, ctx)->val;
}

static void store_key(struct wm *w, unsigned cpu, uint64_t key, uint64_t old, uint64_t v, unsigned mo)
{
	struct loc *l = get(w, key, old);
	const struct msg *prev = &l->msg[(l->nstores - 1) % WM_HIST];
	vc_t view;
	struct msg *m;

	memcpy(view, (mo & HVO_MO_RELEASE) ? w->vc[cpu] : w->relfence[cpu], sizeof(view));
	if (mo & HVO_MO_RMW)
		join(view, prev->view);
	m = &l->msg[l->nstores % WM_HIST];
	m->val = v;
	m->cpu = (uint8_t)cpu;
	m->stamp = ++w->vc[cpu][cpu];
	memcpy(m->view, view, sizeof(view));
	if (mo & HVO_MO_RELEASE)
		m->view[cpu] = m->stamp;
	l->nstores++;
	l->seen[cpu] = l->nstores;
}

void wm_store(struct wm *w, unsigned cpu, const void *loc, uint64_t old, uint64_t v, unsigned mo)
{
	store_key(w, cpu, (uint64_t)(uintptr_t)loc, old, v, mo);
}

void wm_fence(struct wm *w, unsigned cpu, enum hvo_mo mo)
{
	if (mo & HVO_MO_ACQUIRE)
		join(w->vc[cpu], w->acqpend[cpu]);
	if (mo == HVO_MO_FULL) {
		join(w->vc[cpu], w->scview);
		join(w->scview, w->vc[cpu]);
	}
	if (mo & HVO_MO_RELEASE)
		memcpy(w->relfence[cpu], w->vc[cpu], sizeof(vc_t));
}

/* Contents versions count up from 0, the page as the allocator gave it. */
void wm_publish(struct wm *w, unsigned cpu, uint64_t pfn)
{
	uint64_t key = pfn | CONTENTS_TAG;
	struct loc *l = find(w, key);
	uint64_t old = l ? l->msg[(l->nstores - 1) % WM_HIST].val : 0;

	store_key(w, cpu, key, old, old + 1, HVO_MO_RELAXED);
}

bool wm_contents_seen(struct wm *w, unsigned cpu, uint64_t pfn, wm_choose_fn choose, void *ctx)
{
	struct loc *l = find(w, pfn | CONTENTS_TAG);
	uint64_t newest;

	if (!l)
		return true;  /* never published in this run */
	newest = l->msg[(l->nstores - 1) % WM_HIST].val;
	return read_msg(w, cpu, l, HVO_MO_RELAXED, choose, ctx)->val == newest;
}

void wm_lock(struct wm *w, unsigned cpu, unsigned lock)
{
	if (lock < HVO_NR_LOCKS)
		join(w->vc[cpu], w->lockview[lock]);
}

void wm_unlock(struct wm *w, unsigned cpu, unsigned lock)
{
	if (lock < HVO_NR_LOCKS)
		join(w->lockview[lock], w->vc[cpu]);
}
