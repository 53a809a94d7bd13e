/*
 * phys.c - simulated physical memory (see phys.h).
 *
 * Everything is keyed by pfn in open-addressing hash tables, so the cost is
 * the number of blocks, never the size of the machine:
 *   recs    one record per block: a live allocation or a free buddy block.
 *           Free blocks are also on per-(node, zone, order) doubly linked
 *           lists whose links are pfns (records move when the table grows
 *           and on deletion, so no pointer is kept across a table change).
 *   frames  the host bytes of the frames that have any.
 * Iteration never depends on host addresses, so identical call sequences
 * give identical pfns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "phys.h"

#if defined(__SANITIZE_ADDRESS__)
#define PHYS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PHYS_ASAN 1
#endif
#endif
#ifdef PHYS_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(a, n) ASAN_POISON_MEMORY_REGION(a, n)
#define UNPOISON(a, n) ASAN_UNPOISON_MEMORY_REGION(a, n)
#else
#define POISON(a, n) ((void)(a), (void)(n))
#define UNPOISON(a, n) ((void)(a), (void)(n))
#endif

#define NIL UINT64_MAX
#define PHYS_MAX_ORDER 40   /* orders must stay well inside a 64-bit pfn */
#define PCP_MAX 32          /* order-0 pages parked per (node, zone) */
#define ARENA_BUFS 16       /* frame buffers carved from one host allocation */

/* ------------------------------------------------------------ hash table */

/* Linear probing, Fibonacci hashing, backward-shift deletion.  Every entry
 * starts with its uint64_t key; NIL marks an empty slot. */
struct htab {
	unsigned char *mem;
	size_t esz;
	uint64_t cap, used; /* cap: 0 or a power of two */
	unsigned bits;
};

static uint64_t ht_home(const struct htab *h, uint64_t key)
{
	return (key * 0x9E3779B97F4A7C15ull) >> (64 - h->bits);
}

static void *ht_slot(const struct htab *h, uint64_t i) { return h->mem + i * h->esz; }

static uint64_t ht_key(const struct htab *h, uint64_t i)
{
	uint64_t k;

	memcpy(&k, ht_slot(h, i), sizeof(k));
	return k;
}

static void ht_set_key(struct htab *h, uint64_t i, uint64_t key) { memcpy(ht_slot(h, i), &key, sizeof(key)); }

static void *ht_find(const struct htab *h, uint64_t key)
{
	if (!h->cap)
		return NULL;
	for (uint64_t i = ht_home(h, key);; i = (i + 1) & (h->cap - 1)) {
		uint64_t k = ht_key(h, i);

		if (k == key)
			return ht_slot(h, i);
		if (k == NIL)
			return NULL;
	}
}

/* Slot for a key known to be absent; the caller reserved room. */
static void *ht_insert(struct htab *h, uint64_t key)
{
	uint64_t i = ht_home(h, key);

	while (ht_key(h, i) != NIL)
		i = (i + 1) & (h->cap - 1);
	ht_set_key(h, i, key);
	h->used++;
	return ht_slot(h, i);
}

/* Make room for n more entries (load at most 1/2).  0 or -ENOMEM.
 * Entries move: pointers into the table are stale afterwards. */
static int ht_reserve(struct htab *h, uint64_t n)
{
	struct htab old = *h;
	uint64_t cap = h->cap ? h->cap : 32;
	unsigned bits = h->cap ? h->bits : 5;

	while ((h->used + n) > cap / 2) {
		if (cap > SIZE_MAX / h->esz / 4)
			return -HVO_ENOMEM;
		cap *= 2;
		bits++;
	}
	if (cap == h->cap)
		return 0;
	h->mem = malloc(cap * h->esz);
	if (!h->mem) {
		*h = old;
		return -HVO_ENOMEM;
	}
	memset(h->mem, 0xff, cap * h->esz);
	h->cap = cap;
	h->bits = bits;
	h->used = 0;
	for (uint64_t i = 0; i < old.cap; i++) {
		uint64_t k = ht_key(&old, i);

		if (k != NIL)
			memcpy(ht_insert(h, k), ht_slot(&old, i), h->esz);
	}
	free(old.mem);
	return 0;
}

/* Entries after e may move back by one slot. */
static void ht_remove(struct htab *h, void *e)
{
	uint64_t mask = h->cap - 1;
	uint64_t i = (uint64_t)((unsigned char *)e - h->mem) / h->esz, j = i;

	for (;;) {
		uint64_t k;

		j = (j + 1) & mask;
		k = ht_key(h, j);
		if (k == NIL)
			break;
		/* The entry at j may fill the hole at i if i lies on its probe path. */
		if (((j - ht_home(h, k)) & mask) >= ((j - i) & mask)) {
			memcpy(ht_slot(h, i), ht_slot(h, j), h->esz);
			i = j;
		}
	}
	ht_set_key(h, i, NIL);
	h->used--;
}

/* ------------------------------------------------------------ state */

/* REC_PCP: a free order-0 page parked on its zone's per-cpu-style list. */
enum { REC_FREE = 1, REC_ALLOC = 2, REC_PCP = 3 };

struct rec {
	uint64_t pfn;         /* key: first frame of the block */
	uint64_t prev, next;  /* free-list neighbours (pfns), NIL at the ends */
	uint8_t state, order, origin;
	int8_t site;
};

struct frame {
	uint64_t pfn;     /* key */
	uint8_t *buf;
	uint64_t seal;    /* index in phys->sealed, NIL when writable */
};

struct sealed { uint64_t pfn; const uint8_t *buf; };

struct pnode {
	uint64_t start, end;
	uint64_t zs[HVO_NR_ZONES], ze[HVO_NR_ZONES]; /* zone ranges, possibly empty */
	uint64_t mb_top;                             /* boot allocator: lowest pfn taken */
	bool movable_only;
};

struct phys {
	const struct hvo_sync_ops *sync;  /* zone->lock goes through the seam */
	unsigned nr_nodes, max_order;
	uint64_t page_size;
	size_t buf_size, buf_align;   /* host buffer: page_size rounded to host pages */
	struct pnode node[HVO_MAX_NODES];
	bool buddy_ready;
	/* memblock_reserve()d blocks (bootmem huge pages): the allocator steps around them */
	struct { uint64_t pfn; unsigned order; } resv[PHYS_MAX_RESV];
	unsigned nr_resv;
	struct htab recs, frames;
	uint64_t by_site[HVO_NR_SITES];
	uint64_t free_frames, nr_free_blocks, total, max_pfn;
	uint8_t **cache;              /* FIFO ring of dropped (poisoned) buffers */
	size_t cache_head, cache_n, cache_cap;
	uint8_t **arenas;             /* buffers are carved from these, ARENA_BUFS each */
	size_t nr_arenas;
	struct sealed *sealed;
	size_t nr_sealed, sealed_cap;
	/* Order-0 frees park here and order-0 allocations take from here first,
	 * like the kernel's pcp lists: no split/merge ping-pong for the pages
	 * HVO allocates and frees one at a time.  Drained when an allocation
	 * would otherwise fail. */
	uint64_t pcp[HVO_MAX_NODES][HVO_NR_ZONES][PCP_MAX];
	unsigned pcp_n[HVO_MAX_NODES][HVO_NR_ZONES];
	uint64_t head[];              /* free-list heads [node][zone][order] */
};

/* zone->lock: the kernel serialises its buddy allocator with it; here one
 * lock covers every zone's lists and the allocation and frame records.
 * Taken through the seam without a scheduling point (nothing in here is a
 * race the model studies), so the plain backend pays nothing. */
static void zone_lock(const struct phys *p)
{
	if (p->sync && p->sync->lock)
		p->sync->lock(p->sync->ctx, HVO_LOCK_ZONE);
}

static void zone_unlock(const struct phys *p)
{
	if (p->sync && p->sync->unlock)
		p->sync->unlock(p->sync->ctx, HVO_LOCK_ZONE);
}

/* The frame records as bookkeeping (which host buffer backs a pfn, its
 * seal): the same lock, bracketed for the backend (hvo_sync_ops.model_begin). */
static void frames_lock(const struct phys *p)
{
	if (p->sync && p->sync->model_begin)
		p->sync->model_begin(p->sync->ctx);
	zone_lock(p);
}

static void frames_unlock(const struct phys *p)
{
	zone_unlock(p);
	if (p->sync && p->sync->model_end)
		p->sync->model_end(p->sync->ctx);
}

static uint64_t *list_head(struct phys *p, unsigned n, int z, unsigned o)
{
	return &p->head[((size_t)n * HVO_NR_ZONES + (size_t)z) * (p->max_order + 1) + o];
}

static struct rec *rec_find(const struct phys *p, uint64_t pfn) { return ht_find(&p->recs, pfn); }

static int locate(const struct phys *p, uint64_t pfn, unsigned *node, int *zone)
{
	for (unsigned n = 0; n < p->nr_nodes; n++) {
		const struct pnode *nd = &p->node[n];

		bool device = pfn >= nd->zs[HVO_ZONE_DEVICE] && pfn < nd->ze[HVO_ZONE_DEVICE];

		if ((pfn < nd->start || pfn >= nd->end) && !device)
			continue;
		for (int z = 0; z < HVO_NR_ZONES; z++)
			if (pfn >= nd->zs[z] && pfn < nd->ze[z]) {
				*node = n;
				*zone = z;
				return 0;
			}
	}
	return -1;
}

/* ------------------------------------------------------------ creation */

int phys_create(struct phys **out, const struct hvo_config *cfg, const struct hvo_geometry *g,
		char *err, size_t errlen)
{
	struct phys *p;
	uint64_t dma_end, nheads;
	long host_page = sysconf(_SC_PAGESIZE);

	*out = NULL;
	if (cfg->nr_nodes < 1 || cfg->nr_nodes > HVO_MAX_NODES || g->page_shift < 9 || g->page_shift > 30 ||
	    g->page_size != 1ull << g->page_shift || g->max_folio_order > PHYS_MAX_ORDER) {
		if (err)
			snprintf(err, errlen, "phys: bad geometry or node count");
		return -HVO_EINVAL;
	}
	for (unsigned i = 0; i < cfg->nr_nodes; i++) {
		const struct hvo_node_config *a = &cfg->node[i];

		if (!a->nr_pages || a->start_pfn + a->nr_pages < a->start_pfn ||
		    a->start_pfn + a->nr_pages > 1ull << 62) {
			if (err)
				snprintf(err, errlen, "phys: node %u is empty or too large", i);
			return -HVO_EINVAL;
		}
		for (unsigned j = 0; j < i; j++) {
			const struct hvo_node_config *b = &cfg->node[j];

			if (a->start_pfn < b->start_pfn + b->nr_pages && b->start_pfn < a->start_pfn + a->nr_pages) {
				if (err)
					snprintf(err, errlen, "phys: nodes %u and %u overlap", j, i);
				return -HVO_EINVAL;
			}
		}
	}
	nheads = (uint64_t)cfg->nr_nodes * HVO_NR_ZONES * (g->max_folio_order + 1);
	p = calloc(1, sizeof(*p) + nheads * sizeof(uint64_t));
	if (!p) {
		if (err)
			snprintf(err, errlen, "phys: out of host memory");
		return -HVO_ENOMEM;
	}
	memset(p->head, 0xff, nheads * sizeof(uint64_t));
	p->nr_nodes = cfg->nr_nodes;
	p->sync = cfg->sync;
	p->max_order = g->max_folio_order;
	p->page_size = g->page_size;
	p->buf_align = host_page > 4096 ? (size_t)host_page : 4096;
	p->buf_size = (g->page_size + p->buf_align - 1) / p->buf_align * p->buf_align;
	p->recs.esz = sizeof(struct rec);
	p->frames.esz = sizeof(struct frame);
	dma_end = (1ull << 32) >> g->page_shift;
	for (unsigned i = 0; i < p->nr_nodes; i++) {
		const struct hvo_node_config *c = &cfg->node[i];
		struct pnode *nd = &p->node[i];
		uint64_t s = c->start_pfn, e = s + c->nr_pages, mov = e, dma;

		if (c->movable_only)
			mov = s;
		else if (c->movable_start_pfn)
			mov = c->movable_start_pfn < s ? s : c->movable_start_pfn > e ? e : c->movable_start_pfn;
		dma = dma_end < s ? s : dma_end > mov ? mov : dma_end;
		nd->start = s;
		nd->end = e;
		nd->mb_top = e;
		nd->movable_only = c->movable_only;
		nd->zs[HVO_ZONE_DMA32] = s;
		nd->ze[HVO_ZONE_DMA32] = dma;
		nd->zs[HVO_ZONE_NORMAL] = dma;
		nd->ze[HVO_ZONE_NORMAL] = mov;
		nd->zs[HVO_ZONE_MOVABLE] = mov;
		nd->ze[HVO_ZONE_MOVABLE] = e;
		/* Device pfns are outside the node's memory and not counted in total. */
		nd->zs[HVO_ZONE_DEVICE] = c->dax_start_pfn;
		nd->ze[HVO_ZONE_DEVICE] = c->dax_start_pfn + c->dax_nr_pages;
		p->total += c->nr_pages;
		if (e > p->max_pfn)
			p->max_pfn = e;
		if (nd->ze[HVO_ZONE_DEVICE] > p->max_pfn)
			p->max_pfn = nd->ze[HVO_ZONE_DEVICE];
	}
	*out = p;
	return 0;
}

void phys_destroy(struct phys *p)
{
	if (!p)
		return;
	for (uint64_t i = 0; i < p->frames.cap; i++) {
		struct frame *f = ht_slot(&p->frames, i);

		if (f->pfn != NIL && f->seal != NIL)
			mprotect(f->buf, p->buf_size, PROT_READ | PROT_WRITE);
	}
	for (size_t i = 0; i < p->nr_arenas; i++) {
		UNPOISON(p->arenas[i], ARENA_BUFS * p->buf_size);
		free(p->arenas[i]);
	}
	free(p->arenas);
	free(p->cache);
	free(p->frames.mem);
	free(p->recs.mem);
	free(p->sealed);
	free(p);
}

/* ------------------------------------------------------------ free lists */

/* Insert a free block (room reserved) at the head of its list. */
static void add_free(struct phys *p, unsigned n, int z, uint64_t pfn, unsigned o)
{
	uint64_t *head = list_head(p, n, z, o);
	struct rec *r = ht_insert(&p->recs, pfn);

	r->state = REC_FREE;
	r->order = (uint8_t)o;
	r->origin = PHYS_ORIGIN_BUDDY;
	r->site = -1;
	r->prev = NIL;
	r->next = *head;
	if (*head != NIL)
		rec_find(p, *head)->prev = pfn;
	*head = pfn;
	p->free_frames += 1ull << o;
	p->nr_free_blocks++;
}

/* Unlink a free block from its list; the record stays. */
static void take_free(struct phys *p, unsigned n, int z, struct rec *r)
{
	if (r->prev != NIL)
		rec_find(p, r->prev)->next = r->next;
	else
		*list_head(p, n, z, r->order) = r->next;
	if (r->next != NIL)
		rec_find(p, r->next)->prev = r->prev;
	r->prev = r->next = NIL;
	p->free_frames -= 1ull << r->order;
	p->nr_free_blocks--;
}

/* Give [pfn, pfn + 2^o) of zone z back, merging with free buddies. */
static void release_block(struct phys *p, unsigned n, int z, uint64_t pfn, unsigned o)
{
	const struct pnode *nd = &p->node[n];

	while (o < p->max_order) {
		uint64_t b = pfn ^ (1ull << o);
		struct rec *r;

		/* Never merge across a zone boundary. */
		if (b < nd->zs[z] || b + (1ull << o) > nd->ze[z])
			break;
		r = rec_find(p, b);
		if (!r || r->state != REC_FREE || r->order != o)
			break;
		take_free(p, n, z, r);
		ht_remove(&p->recs, r);
		pfn &= ~(1ull << o);
		o++;
	}
	add_free(p, n, z, pfn, o);
}

/* An allocated block may straddle zones (boot memory): free it zone by zone. */
static void release_range(struct phys *p, uint64_t pfn, unsigned o);

static bool drain_pcp_nolock(struct phys *p)
{
	bool any = false;

	for (unsigned n = 0; n < p->nr_nodes; n++)
		for (int z = 0; z < HVO_NR_ZONES; z++)
			while (p->pcp_n[n][z]) {
				uint64_t pfn = p->pcp[n][z][--p->pcp_n[n][z]];

				/* room was reserved when the page was parked: it had a record */
				ht_remove(&p->recs, rec_find(p, pfn));
				p->free_frames--;
				release_range(p, pfn, 0);
				any = true;
			}
	return any;
}

static void release_range(struct phys *p, uint64_t pfn, unsigned o)
{
	unsigned n;
	int z;

	if (locate(p, pfn, &n, &z))
		return;
	if (pfn + (1ull << o) <= p->node[n].ze[z]) {
		release_block(p, n, z, pfn, o);
	} else {
		release_range(p, pfn, o - 1);
		release_range(p, pfn + (1ull << (o - 1)), o - 1);
	}
}

/* Carve [a, b) into maximal aligned blocks, highest first, so that pushing
 * each at the head leaves every list in ascending pfn order. */
static int carve(struct phys *p, unsigned n, int z, uint64_t a, uint64_t b)
{
	while (b > a) {
		unsigned o = b ? (unsigned)__builtin_ctzll(b) : p->max_order;

		if (o > p->max_order)
			o = p->max_order;
		while ((1ull << o) > b - a)
			o--;
		if (ht_reserve(&p->recs, 1))
			return -HVO_ENOMEM;
		add_free(p, n, z, b - (1ull << o), o);
		b -= 1ull << o;
	}
	return 0;
}

/* ------------------------------------------------------------ boot allocator */

static struct rec *boot_record(struct phys *p, uint64_t at, unsigned order, int site)
{
	struct rec *r;

	if (ht_reserve(&p->recs, 1))
		return NULL;
	r = ht_insert(&p->recs, at);
	r->state = REC_ALLOC;
	r->order = (uint8_t)order;
	r->origin = PHYS_ORIGIN_BOOT;
	r->site = (int8_t)site;
	r->prev = r->next = NIL;
	p->by_site[site] += 1ull << order;
	return r;
}

/* The first reservation overlapping [at, at + size): its index, or -1. */
static int resv_overlap(const struct phys *p, uint64_t at, uint64_t size)
{
	for (unsigned i = 0; i < p->nr_resv; i++)
		if (p->resv[i].pfn < at + size && at < p->resv[i].pfn + (1ull << p->resv[i].order))
			return (int)i;
	return -1;
}

int phys_memblock_alloc(struct phys *p, int site, unsigned node, unsigned order, uint64_t *pfn)
{
	struct pnode *nd;
	uint64_t size, at;

	if (p->buddy_ready || node >= p->nr_nodes || order > p->max_order)
		return -HVO_EINVAL;
	/* Like memblock with movable_node: hotpluggable memory is avoided. */
	if (p->node[node].movable_only) {
		for (node = 0; node < p->nr_nodes && p->node[node].movable_only; node++)
			;
		if (node == p->nr_nodes)
			return -HVO_ENOMEM;
	}
	nd = &p->node[node];
	size = 1ull << order;
	for (;;) {
		if (nd->mb_top - nd->start < size)
			return -HVO_ENOMEM;
		at = (nd->mb_top - size) & ~(size - 1);
		if (at < nd->start)
			return -HVO_ENOMEM;
		/* Top-down below everything taken so far, around reservations. */
		int i = resv_overlap(p, at, size);

		if (i < 0)
			break;
		nd->mb_top = p->resv[i].pfn;
	}
	if (!boot_record(p, at, order, site))
		return -HVO_ENOMEM;
	nd->mb_top = at;
	*pfn = at;
	return 0;
}

int phys_memblock_reserve(struct phys *p, int site, uint64_t pfn, unsigned order)
{
	uint64_t size = 1ull << order;
	unsigned n;
	int z;

	if (p->buddy_ready || order > p->max_order || pfn & (size - 1))
		return -HVO_EINVAL;
	if (p->nr_resv == PHYS_MAX_RESV || locate(p, pfn, &n, &z) || locate(p, pfn + size - 1, &n, &z) ||
	    resv_overlap(p, pfn, size) >= 0 || pfn + size > p->node[n].mb_top)
		return -HVO_EINVAL;
	if (!boot_record(p, pfn, order, site))
		return -HVO_ENOMEM;
	p->resv[p->nr_resv].pfn = pfn;
	p->resv[p->nr_resv++].order = order;
	return 0;
}

static int cmp_rec_desc(const void *a, const void *b)
{
	uint64_t x = ((const struct rec *)a)->pfn, y = ((const struct rec *)b)->pfn;

	return x < y ? 1 : x > y ? -1 : 0;
}

void phys_buddy_init(struct phys *p)
{
	struct rec *boot;
	uint64_t nb = 0;

	if (p->buddy_ready)
		return;
	p->buddy_ready = true;
	/* Only boot allocations exist now; collect them highest first. */
	boot = malloc((p->recs.used ? p->recs.used : 1) * sizeof(*boot));
	if (!boot)
		return; /* host OOM: the buddy stays empty */
	for (uint64_t i = 0; i < p->recs.cap; i++)
		if (ht_key(&p->recs, i) != NIL)
			memcpy(&boot[nb++], ht_slot(&p->recs, i), sizeof(*boot));
	qsort(boot, nb, sizeof(*boot), cmp_rec_desc);
	for (unsigned n = 0; n < p->nr_nodes; n++)
		for (int z = HVO_ZONE_DEVICE - 1; z >= 0; z--) {  /* device pages never reach the buddy */
			uint64_t zs = p->node[n].zs[z], hi = p->node[n].ze[z];

			/* The gaps between boot blocks, alignment gaps included. */
			for (uint64_t i = 0; i < nb && hi > zs; i++) {
				uint64_t rs = boot[i].pfn, re = rs + (1ull << boot[i].order);

				if (re <= zs || rs >= hi)
					continue;
				if (re < hi && carve(p, n, z, re, hi))
					goto out;
				hi = rs > zs ? rs : zs;
			}
			if (hi > zs && carve(p, n, z, zs, hi))
				goto out;
		}
out:
	free(boot);
}

/* ------------------------------------------------------------ buddy */

static int alloc_in_zone(struct phys *p, unsigned n, int z, unsigned order, int site, uint64_t *pfn)
{
	struct rec *r;
	uint64_t at;
	unsigned o;

	if (order == 0 && p->pcp_n[n][z]) {
		at = p->pcp[n][z][--p->pcp_n[n][z]];
		r = rec_find(p, at);
		r->state = REC_ALLOC;
		r->origin = PHYS_ORIGIN_BUDDY;
		r->site = (int8_t)site;
		p->free_frames--;
		p->by_site[site]++;
		*pfn = at;
		return 0;
	}

	for (o = order; o <= p->max_order && *list_head(p, n, z, o) == NIL; o++)
		;
	if (o > p->max_order)
		return -HVO_ENOMEM;
	/* Room for every split-off half first: nothing fails midway. */
	if (ht_reserve(&p->recs, o - order + 1))
		return -HVO_ENOMEM;
	at = *list_head(p, n, z, o);
	r = rec_find(p, at);
	take_free(p, n, z, r);
	r->state = REC_ALLOC;
	r->order = (uint8_t)order;
	r->origin = PHYS_ORIGIN_BUDDY;
	r->site = (int8_t)site;
	/* Keep the low part, hand back the upper halves. */
	while (o-- > order)
		add_free(p, n, z, at + (1ull << o), o);
	p->by_site[site] += 1ull << order;
	*pfn = at;
	return 0;
}

static int alloc_nolock(struct phys *p, int site, unsigned node, int zone, unsigned order, unsigned gfp, uint64_t *pfn)
{
	int zones[HVO_NR_ZONES + 1], nz = 0;

	if (site < 0 || site >= HVO_NR_SITES || node >= p->nr_nodes || zone < -1 || zone >= HVO_ZONE_DEVICE)
		return -HVO_EINVAL;
	if (order > p->max_order)
		return -HVO_ENOMEM;
	if (gfp & PHYS_GFP_ANYZONE) {
		if (zone >= 0)
			zones[nz++] = zone;
		zones[nz++] = HVO_ZONE_MOVABLE;
		zones[nz++] = HVO_ZONE_NORMAL;
		zones[nz++] = HVO_ZONE_DMA32;
	} else if (zone < 0 || (gfp & PHYS_GFP_KERNEL)) {
		/* The kernel's default zonelist: highest non-movable zone down. */
		if (zone >= 0 && zone != HVO_ZONE_MOVABLE)
			zones[nz++] = zone;
		zones[nz++] = HVO_ZONE_NORMAL;
		zones[nz++] = HVO_ZONE_DMA32;
	} else {
		zones[nz++] = zone;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < p->nr_nodes; i++) {
			unsigned n = (node + i) % p->nr_nodes;

			if (i && (gfp & PHYS_GFP_THISNODE))
				break;
			for (int k = 0; k < nz; k++) {
				bool dup = false;

				for (int j = 0; j < k; j++)
					dup |= zones[j] == zones[k];
				if (!dup && !alloc_in_zone(p, n, zones[k], order, site, pfn))
					return 0;
			}
		}
		if (!drain_pcp_nolock(p))
			break;
	}
	return -HVO_ENOMEM;
}

static void drop_frames(struct phys *p, uint64_t pfn, uint64_t count);

static int free_nolock(struct phys *p, uint64_t pfn, unsigned order)
{
	struct rec *r = rec_find(p, pfn);
	unsigned n;
	int site, z;

	if (!r || r->state != REC_ALLOC || r->order != order)
		return -HVO_EINVAL;
	/* A boot block straddling zones can need a few extra records. */
	if (ht_reserve(&p->recs, 2 * (p->max_order + 1)))
		return -HVO_ENOMEM;
	r = rec_find(p, pfn);
	site = r->site;
	p->by_site[site] -= 1ull << order;
	if (order == 0 && p->buddy_ready && !locate(p, pfn, &n, &z) && p->pcp_n[n][z] < PCP_MAX) {
		r->state = REC_PCP;
		r->site = -1;
		p->pcp[n][z][p->pcp_n[n][z]++] = pfn;
		p->free_frames++;
		drop_frames(p, pfn, 1);
		return 0;
	}
	ht_remove(&p->recs, r);
	drop_frames(p, pfn, 1ull << order);
	/* Before buddy_init the pfns simply stop being boot memory. */
	if (p->buddy_ready)
		release_range(p, pfn, order);
	return 0;
}

static int split_to_nolock(struct phys *p, uint64_t pfn, unsigned order, unsigned new_order)
{
	struct rec *r = rec_find(p, pfn), tmpl;
	uint64_t pieces;

	if (!r || r->state != REC_ALLOC || r->order != order || new_order > order)
		return -HVO_EINVAL;
	pieces = 1ull << (order - new_order);
	if (ht_reserve(&p->recs, pieces - 1))
		return -HVO_ENOMEM;
	r = rec_find(p, pfn);
	r->order = (uint8_t)new_order;
	tmpl = *r;
	for (uint64_t i = 1; i < pieces; i++) {
		r = ht_insert(&p->recs, pfn + (i << new_order));
		*r = tmpl;
		r->pfn = pfn + (i << new_order);
	}
	return 0;
}

static int split_nolock(struct phys *p, uint64_t pfn, unsigned order)
{
	return split_to_nolock(p, pfn, order, 0);
}

/* ------------------------------------------------------------ queries */

int phys_node_of(const struct phys *p, uint64_t pfn)
{
	unsigned n;
	int z;

	return locate(p, pfn, &n, &z) ? -1 : (int)n;
}

int phys_zone_of(const struct phys *p, uint64_t pfn)
{
	unsigned n;
	int z;

	return locate(p, pfn, &n, &z) ? -1 : z;
}

bool phys_zone_present(const struct phys *p, unsigned node, int zone)
{
	return node < p->nr_nodes && zone >= 0 && zone < HVO_NR_ZONES &&
	       p->node[node].ze[zone] > p->node[node].zs[zone];
}

static bool lookup_nolock(const struct phys *p, uint64_t pfn, struct phys_alloc_info *out)
{
	/* The block holding pfn starts at pfn rounded down to its order. */
	for (unsigned o = 0; o <= p->max_order; o++) {
		const struct rec *r = rec_find(p, pfn & ~((1ull << o) - 1));

		if (!r || r->order < o)
			continue;
		if (r->state != REC_ALLOC)
			return false;
		if (out) {
			out->pfn = r->pfn;
			out->order = r->order;
			out->site = r->site;
			out->origin = (enum phys_origin)r->origin;
		}
		return true;
	}
	return false;
}

uint64_t phys_frames_by_site(const struct phys *p, int site)
{
	return site >= 0 && site < HVO_NR_SITES ? p->by_site[site] : 0;
}

uint64_t phys_free_frames(const struct phys *p) { return p->free_frames; }
uint64_t phys_total_frames(const struct phys *p) { return p->total; }
uint64_t phys_max_pfn(const struct phys *p) { return p->max_pfn; }

static int cmp_info(const void *a, const void *b)
{
	uint64_t x = ((const struct phys_alloc_info *)a)->pfn, y = ((const struct phys_alloc_info *)b)->pfn;

	return x < y ? -1 : x > y;
}

int phys_for_each_alloc(const struct phys *p, int (*fn)(void *ctx, const struct phys_alloc_info *a), void *ctx)
{
	struct phys_alloc_info *v = malloc((p->recs.used ? p->recs.used : 1) * sizeof(*v));
	uint64_t nv = 0;
	int rc = 0;

	if (!v)
		return -HVO_ENOMEM;
	for (uint64_t i = 0; i < p->recs.cap; i++) {
		const struct rec *r = ht_slot(&p->recs, i);

		if (r->pfn != NIL && r->state == REC_ALLOC)
			v[nv++] = (struct phys_alloc_info){ r->pfn, r->order, r->site, (enum phys_origin)r->origin };
	}
	qsort(v, nv, sizeof(*v), cmp_info);
	for (uint64_t i = 0; i < nv && !rc; i++)
		rc = fn(ctx, &v[i]);
	free(v);
	return rc;
}

uint64_t phys_nr_free_blocks(const struct phys *p) { return p->nr_free_blocks; }

/* ------------------------------------------------------------ frame bytes */

static int unseal(struct phys *p, struct frame *f)
{
	struct sealed last;

	if (f->seal == NIL)
		return 0;
	if (mprotect(f->buf, p->buf_size, PROT_READ | PROT_WRITE))
		return -errno;
	last = p->sealed[p->nr_sealed - 1];
	p->sealed[f->seal] = last;
	((struct frame *)ht_find(&p->frames, last.pfn))->seal = f->seal;
	p->nr_sealed--;
	f->seal = NIL;
	return 0;
}

/* Buffers come from arenas of ARENA_BUFS (glibc's posix_memalign of one
 * page wastes about another page per buffer) and go back to a FIFO ring,
 * poisoned under ASan, so a stale pointer into a dropped frame is caught
 * for as long as possible before the buffer is reused. */
static int cache_push(struct phys *p, uint8_t *b)
{
	if (p->cache_n == p->cache_cap) {
		size_t cap = p->cache_cap ? 2 * p->cache_cap : 256;
		uint8_t **n = malloc(cap * sizeof(*n));

		if (!n)
			return -1;
		for (size_t i = 0; i < p->cache_n; i++)
			n[i] = p->cache[(p->cache_head + i) % p->cache_cap];
		free(p->cache);
		p->cache = n;
		p->cache_head = 0;
		p->cache_cap = cap;
	}
	POISON(b, p->buf_size);
	p->cache[(p->cache_head + p->cache_n++) % p->cache_cap] = b;
	return 0;
}

static uint8_t *cache_pop(struct phys *p)
{
	uint8_t *b;

	if (!p->cache_n) {
		uint8_t **arenas = realloc(p->arenas, (p->nr_arenas + 1) * sizeof(*arenas));
		void *mem;

		if (!arenas)
			return NULL;
		p->arenas = arenas;
		if (posix_memalign(&mem, p->buf_align, ARENA_BUFS * p->buf_size))
			return NULL;
		p->arenas[p->nr_arenas++] = mem;
		for (size_t i = 0; i < ARENA_BUFS; i++)
			if (cache_push(p, (uint8_t *)mem + i * p->buf_size))
				return NULL;
	}
	b = p->cache[p->cache_head];
	p->cache_head = (p->cache_head + 1) % p->cache_cap;
	p->cache_n--;
	UNPOISON(b, p->buf_size);
	return b;
}

/* Drop one frame's bytes into the FIFO ring. */
static void drop_frame(struct phys *p, struct frame *f)
{
	uint8_t *b = f->buf;

	unseal(p, f);
	ht_remove(&p->frames, f);
	if (cache_push(p, b))
		abort(); /* host OOM for a pointer ring */
}

static void drop_frames(struct phys *p, uint64_t pfn, uint64_t count)
{
	if (count <= p->frames.used) {
		for (uint64_t i = 0; i < count; i++) {
			struct frame *f = ht_find(&p->frames, pfn + i);

			if (f)
				drop_frame(p, f);
		}
		return;
	}
	/* A big block and few frames with bytes: walk the table instead.  A
	 * removal pulls later entries back into slot i, so look at i again. */
	for (uint64_t i = 0; i < p->frames.cap;) {
		struct frame *f = ht_slot(&p->frames, i);

		if (f->pfn != NIL && f->pfn - pfn < count)
			drop_frame(p, f);
		else
			i++;
	}
}

static uint8_t *frame_nolock(struct phys *p, uint64_t pfn, bool create)
{
	struct frame *f = ht_find(&p->frames, pfn);
	uint8_t *b;

	if (f)
		return f->buf;
	if (!create || !lookup_nolock(p, pfn, NULL) || ht_reserve(&p->frames, 1))
		return NULL;
	b = cache_pop(p);
	if (!b)
		return NULL;
	f = ht_insert(&p->frames, pfn);
	f->buf = b;
	f->seal = NIL;
	return b;
}

static int seal_nolock(struct phys *p, uint64_t pfn)
{
	struct frame *f = ht_find(&p->frames, pfn);

	if (!f)
		return -HVO_EINVAL;
	if (f->seal != NIL)
		return 0;
	if (p->nr_sealed == p->sealed_cap) {
		size_t cap = p->sealed_cap ? 2 * p->sealed_cap : 16;
		struct sealed *s = realloc(p->sealed, cap * sizeof(*s));

		if (!s)
			return -HVO_ENOMEM;
		p->sealed = s;
		p->sealed_cap = cap;
	}
	if (mprotect(f->buf, p->buf_size, PROT_READ))
		return -errno;
	/* Entry first, count second: a fault handler may be reading. */
	p->sealed[p->nr_sealed] = (struct sealed){ pfn, f->buf };
	f->seal = p->nr_sealed;
	__atomic_store_n(&p->nr_sealed, p->nr_sealed + 1, __ATOMIC_RELEASE);
	return 0;
}

static int unseal_nolock(struct phys *p, uint64_t pfn)
{
	struct frame *f = ht_find(&p->frames, pfn);

	return f ? unseal(p, f) : -HVO_EINVAL;
}

static bool sealed_nolock(const struct phys *p, uint64_t pfn)
{
	const struct frame *f = ht_find(&p->frames, pfn);

	return f && f->seal != NIL;
}

/* No allocation, no locks: callable from a SIGSEGV handler. */
bool phys_addr_in_sealed_frame(const struct phys *p, const void *addr, uint64_t *pfn)
{
	size_t n = __atomic_load_n(&p->nr_sealed, __ATOMIC_ACQUIRE);

	for (size_t i = 0; i < n; i++)
		if ((uintptr_t)addr - (uintptr_t)p->sealed[i].buf < p->buf_size) {
			if (pfn)
				*pfn = p->sealed[i].pfn;
			return true;
		}
	return false;
}

/* ------------------------------------------------------------ self-check */

#define FAIL(...) do { if (err) snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int phys_check(const struct phys *p, char *err, size_t errlen)
{
	uint64_t sites[HVO_NR_SITES] = { 0 }, nfree = 0, ffree = 0, falloc = 0, seen = 0;
	struct phys_alloc_info *v;
	uint64_t nv = 0;

	for (uint64_t i = 0; i < p->recs.cap; i++) {
		const struct rec *r = ht_slot(&p->recs, i);
		uint64_t sz;
		unsigned n, n2;
		int z, z2;

		if (r->pfn == NIL)
			continue;
		if (rec_find(p, r->pfn) != r)
			FAIL("record 0x%llx unreachable in the hash", (unsigned long long)r->pfn);
		sz = 1ull << r->order;
		if (r->order > p->max_order || r->pfn & (sz - 1))
			FAIL("block 0x%llx order %u misaligned", (unsigned long long)r->pfn, r->order);
		if (locate(p, r->pfn, &n, &z) || locate(p, r->pfn + sz - 1, &n2, &z2) || n != n2)
			FAIL("block 0x%llx order %u outside a node", (unsigned long long)r->pfn, r->order);
		if (r->state == REC_ALLOC) {
			if (r->site < 0 || r->site >= HVO_NR_SITES)
				FAIL("block 0x%llx bad site %d", (unsigned long long)r->pfn, r->site);
			sites[r->site] += sz;
			falloc += sz;
			continue;
		}
		if (r->state == REC_PCP) {
			if (r->order)
				FAIL("pcp page 0x%llx of order %u", (unsigned long long)r->pfn, r->order);
			ffree++;
			continue;
		}
		if (r->state != REC_FREE || z != z2)
			FAIL("free block 0x%llx bad state or crosses zones", (unsigned long long)r->pfn);
		if (r->order < p->max_order) {
			const struct rec *b = rec_find(p, r->pfn ^ sz);

			if (b && b->state == REC_FREE && b->order == r->order &&
			    phys_zone_of(p, b->pfn) == z && phys_node_of(p, b->pfn) == (int)n)
				FAIL("free buddies 0x%llx and 0x%llx not merged", (unsigned long long)r->pfn,
				     (unsigned long long)b->pfn);
		}
		nfree++;
		ffree += sz;
	}
	{
		uint64_t parked = 0, pcp_recs = 0;

		for (unsigned n = 0; n < p->nr_nodes; n++)
			for (int z = 0; z < HVO_NR_ZONES; z++)
				for (unsigned i = 0; i < p->pcp_n[n][z]; i++) {
					const struct rec *r = rec_find(p, p->pcp[n][z][i]);

					if (!r || r->state != REC_PCP)
						FAIL("pcp list %u/%d holds 0x%llx, not a parked page", n, z,
						     (unsigned long long)p->pcp[n][z][i]);
					parked++;
				}
		for (uint64_t i = 0; i < p->recs.cap; i++) {
			const struct rec *r = ht_slot(&p->recs, i);

			pcp_recs += r->pfn != NIL && r->state == REC_PCP;
		}
		if (parked != pcp_recs)
			FAIL("%llu pages on pcp lists, %llu parked records", (unsigned long long)parked,
			     (unsigned long long)pcp_recs);
	}
	if (nfree != p->nr_free_blocks || ffree != p->free_frames)
		FAIL("free counts %llu/%llu, records say %llu/%llu", (unsigned long long)p->nr_free_blocks,
		     (unsigned long long)p->free_frames, (unsigned long long)nfree, (unsigned long long)ffree);
	for (int s = 0; s < HVO_NR_SITES; s++)
		if (sites[s] != p->by_site[s])
			FAIL("site %d: %llu frames counted, %llu live", s, (unsigned long long)p->by_site[s],
			     (unsigned long long)sites[s]);
	if (p->buddy_ready && ffree + falloc != p->total)
		FAIL("free %llu + allocated %llu != total %llu", (unsigned long long)ffree,
		     (unsigned long long)falloc, (unsigned long long)p->total);
	/* Every list: linked both ways, right order and zone. */
	for (unsigned n = 0; n < p->nr_nodes; n++)
		for (int z = 0; z < HVO_NR_ZONES; z++)
			for (unsigned o = 0; o <= p->max_order; o++) {
				uint64_t prev = NIL;

				for (uint64_t at = *list_head((struct phys *)p, n, z, o); at != NIL;) {
					const struct rec *r = rec_find(p, at);

					if (!r || r->state != REC_FREE || r->order != o || r->prev != prev ||
					    phys_node_of(p, at) != (int)n || phys_zone_of(p, at) != z || ++seen > nfree)
						FAIL("free list %u/%d/%u broken at 0x%llx", n, z, o, (unsigned long long)at);
					prev = at;
					at = r->next;
				}
			}
	if (seen != nfree)
		FAIL("%llu free blocks on lists, %llu records", (unsigned long long)seen, (unsigned long long)nfree);
	/* No two blocks overlap. */
	v = malloc((p->recs.used ? p->recs.used : 1) * sizeof(*v));
	if (!v)
		FAIL("out of host memory");
	for (uint64_t i = 0; i < p->recs.cap; i++) {
		const struct rec *r = ht_slot(&p->recs, i);

		if (r->pfn != NIL)
			v[nv++] = (struct phys_alloc_info){ r->pfn, r->order, 0, PHYS_ORIGIN_BUDDY };
	}
	qsort(v, nv, sizeof(*v), cmp_info);
	for (uint64_t i = 1; i < nv; i++)
		if (v[i - 1].pfn + (1ull << v[i - 1].order) > v[i].pfn) {
			uint64_t a = v[i - 1].pfn, b = v[i].pfn;

			free(v);
			FAIL("blocks 0x%llx and 0x%llx overlap", (unsigned long long)a, (unsigned long long)b);
		}
	free(v);
	/* Frame bytes only for live frames; the sealed set matches. */
	seen = 0;
	for (uint64_t i = 0; i < p->frames.cap; i++) {
		const struct frame *f = ht_slot(&p->frames, i);

		if (f->pfn == NIL)
			continue;
		if (ht_find(&p->frames, f->pfn) != f)
			FAIL("frame 0x%llx unreachable in the hash", (unsigned long long)f->pfn);
		if (!lookup_nolock(p, f->pfn, NULL))
			FAIL("frame 0x%llx has bytes but is not allocated", (unsigned long long)f->pfn);
		if (f->seal != NIL) {
			seen++;
			if (f->seal >= p->nr_sealed || p->sealed[f->seal].pfn != f->pfn || p->sealed[f->seal].buf != f->buf)
				FAIL("frame 0x%llx sealed index broken", (unsigned long long)f->pfn);
		}
	}
	if (seen != p->nr_sealed)
		FAIL("%llu sealed frames, %zu in the sealed set", (unsigned long long)seen, p->nr_sealed);
	return 0;
}

/* ------------------------------------------------------------ locked entry points */

int phys_alloc(struct phys *p, int site, unsigned node, int zone, unsigned order, unsigned gfp, uint64_t *pfn)
{
	int r;

	zone_lock(p);
	r = alloc_nolock(p, site, node, zone, order, gfp, pfn);
	zone_unlock(p);
	return r;
}

int phys_free(struct phys *p, uint64_t pfn, unsigned order)
{
	int r;

	zone_lock(p);
	r = free_nolock(p, pfn, order);
	zone_unlock(p);
	return r;
}

int phys_split_to(struct phys *p, uint64_t pfn, unsigned order, unsigned new_order)
{
	int r;

	zone_lock(p);
	r = split_to_nolock(p, pfn, order, new_order);
	zone_unlock(p);
	return r;
}

int phys_split(struct phys *p, uint64_t pfn, unsigned order)
{
	int r;

	zone_lock(p);
	r = split_nolock(p, pfn, order);
	zone_unlock(p);
	return r;
}

bool phys_lookup(const struct phys *p, uint64_t pfn, struct phys_alloc_info *out)
{
	bool r;

	zone_lock(p);
	r = lookup_nolock(p, pfn, out);
	zone_unlock(p);
	return r;
}

bool phys_drain_pcp(struct phys *p)
{
	bool r;

	zone_lock(p);
	r = drain_pcp_nolock(p);
	zone_unlock(p);
	return r;
}

uint8_t *phys_frame(struct phys *p, uint64_t pfn, bool create)
{
	uint8_t *r;

	frames_lock(p);
	r = frame_nolock(p, pfn, false);
	frames_unlock(p);
	if (r || !create)
		return r;
	/* A new frame takes a host buffer that another frame gave back: that
	 * hand-over orders the buffer's old accesses before the new ones. */
	zone_lock(p);
	r = frame_nolock(p, pfn, true);
	zone_unlock(p);
	return r;
}

int phys_frame_seal(struct phys *p, uint64_t pfn)
{
	int r;

	frames_lock(p);
	r = seal_nolock(p, pfn);
	frames_unlock(p);
	return r;
}

int phys_frame_unseal(struct phys *p, uint64_t pfn)
{
	int r;

	frames_lock(p);
	r = unseal_nolock(p, pfn);
	frames_unlock(p);
	return r;
}

bool phys_frame_sealed(const struct phys *p, uint64_t pfn)
{
	bool r;

	frames_lock(p);
	r = sealed_nolock(p, pfn);
	frames_unlock(p);
	return r;
}
