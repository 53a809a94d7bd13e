// SPDX-License-Identifier: GPL-2.0-only
/*
 * phys.c - simulated physical memory (see phys.h).
 *
 * Everything is keyed by pfn, so the cost is the number of blocks and
 * frames in use, never the size of the machine:
 *   recs    per node, an open-addressing hash table with one record per
 *           block: a live allocation or a free buddy block.  Free blocks are
 *           also on per-(node, zone, order) doubly linked lists whose links
 *           are pfns (records move when the table grows and on deletion, so
 *           no pointer is kept across a table change).
 *   frames  the host bytes of the frames that have any: a radix tree by pfn
 *           whose nodes are published once (cmpxchg) and never move or go
 *           away before phys_destroy, so a reader finds a frame's bytes
 *           without a lock (every vmemmap access does).
 * Iteration never depends on host addresses, so identical call sequences
 * give identical pfns.
 *
 * Locking (the kernel's zone->lock, one per node here: a node's zones,
 * records, pcp lists, counters, buffer cache and sealed set are its own, and
 * every block lies inside one node).  Lock order: a thread holds at most one
 * node lock and takes no other lock while holding it; callers may hold
 * page_table_lock (vm_split_pmd) or hugetlb_lock around a phys call.
 * Readers of frame bytes and of the seal state take no lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hostpool.h"
#include "phys.h"

#define NIL UINT64_MAX
#define PHYS_MAX_ORDER 40   /* orders must stay well inside a 64-bit pfn */
#define PCP_MAX 32          /* order-0 pages parked per (node, zone) */
/* Frame buffers carved from a node's i-th host allocation: 16, doubling
 * to 256.  Each arena's alignment slack costs about a host page (glibc
 * carves a free chunk of it that nothing reuses): at 16 buffers an arena
 * that was 8 MiB of 32768 optimized 2 MiB folios (bench core).  A small
 * machine still makes 16-buffer arenas only. */
static size_t arena_bufs(size_t i) { return 16u << (i < 4 ? i : 4); }
#define RING_LOCAL 64       /* dropped frame buffers a node keeps to itself */

/* ------------------------------------------------------------ hash table */

/* Linear probing, Fibonacci hashing, backward-shift deletion.  Every entry
 * starts with its uint64_t key; NIL marks an empty slot. */
struct htab {
	unsigned char *mem;
	struct hvo_host_pool *pool; /* mem comes from it (hostpool.c) */
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

/* Load at most 1/2 while the table is small (short probes: a fuzz
 * target's machine), 3/4 from HT_BIG_CAP slots on, where the table's
 * size is the machine's memory: 32768 optimized 2 MiB folios keep about
 * 90,000 records per node, 8 MiB of table at 1/2 (bench core). */
#define HT_BIG_CAP (1ull << 16)
static bool ht_fits(uint64_t used, uint64_t cap)
{
	return used <= (cap >= HT_BIG_CAP ? cap - cap / 4 : cap / 2);
}

/* Make room for n more entries (load at most ht_fits').  0 or -ENOMEM.
 * Entries move: pointers into the table are stale afterwards. */
static int ht_reserve(struct htab *h, uint64_t n)
{
	struct htab old = *h;
	uint64_t cap = h->cap ? h->cap : 32;
	unsigned bits = h->cap ? h->bits : 5;

	while (!ht_fits(h->used + n, cap)) {
		if (cap > SIZE_MAX / h->esz / 4)
			return -HVO_ENOMEM;
		cap *= 2;
		bits++;
	}
	if (cap == h->cap)
		return 0;
	/* from the host pool: under ASan a fresh malloc per growth faulted
	 * in new pages for every machine's boot (issue 16); memset below */
	h->mem = hpool_alloc(h->pool, cap * h->esz, 16, false);
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
	hpool_free(old.pool, old.mem, old.cap * old.esz, 16);
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

/* A frame's host bytes: buf is published with a release store under the
 * node lock and read with acquire by anyone; seal is the index in the
 * node's sealed set, NIL when writable (written under the lock). */
struct frame {
	uint8_t *buf;
	uint64_t seal;
};

#define FR_BITS 9
#define FR_FAN (1u << FR_BITS)
/* A leaf is FR_CHUNKS host pages of FR_CHUNK frames.  A chunk whose frames
 * all lost their bytes goes back to the host (MADV_DONTNEED) and reads as
 * zeroes, that is as frames without bytes, so readers without a lock stay
 * safe and leaves still never move: without it every frame that ever had
 * bytes kept 16 bytes of leaf, 64 MiB for the vmemmap of 1024 transiently
 * unoptimized 1 GiB folios (bench core). */
#define FR_CHUNK_BYTES 4096u
#define FR_CHUNK (FR_CHUNK_BYTES / sizeof(struct frame))
#define FR_CHUNKS (FR_FAN / FR_CHUNK)
struct fr_leaf { struct frame f[FR_FAN]; };
struct fr_dir {
	void *slot[FR_FAN];                 /* children: dirs, or leaves one level down */
	uint16_t live[FR_FAN][FR_CHUNKS];   /* level 1 only: frames with bytes per leaf chunk */
};
_Static_assert(sizeof(struct fr_leaf) % FR_CHUNK_BYTES == 0, "a leaf is whole chunks");

struct sealed { uint64_t pfn; const uint8_t *buf; };

/* Dropped buffers (poisoned) in a FIFO ring, and the arenas they come from. */
struct bufcache {
	uint8_t **ring;
	size_t head, n, cap;
	uint8_t **arenas;             /* arena_bufs(i) buffers each */
	size_t nr_arenas;
};

/* The zone map of a node: maximal pfn runs of one zone, ascending, covering
 * [start, end).  One run per zone unless kernelcore=mirror interleaves
 * NORMAL (mirrored) and MOVABLE runs (issue 13 D11). */
#define PHYS_MAX_ZR (2 * HVO_MAX_MIRROR + 2)
struct zrange { uint64_t start, end; int zone; };

struct pnode {
	uint64_t start, end;
	/* the zones' spans (zone_start_pfn, zone_end_pfn), possibly empty;
	 * with kernelcore=mirror NORMAL's and MOVABLE's overlap */
	uint64_t zs[HVO_NR_ZONES], ze[HVO_NR_ZONES];
	struct zrange zr[PHYS_MAX_ZR];
	unsigned nr_zr;
	uint64_t mb_top;                             /* boot allocator: lowest pfn taken */
	bool movable_only;
	bool hotplugged;      /* memmap_on_memory or hotplug: memblock never sees it */
	bool offline;         /* hotplug: not in the buddy until phys_online_node */
	bool isolated;        /* being offlined: the allocator skips the node */
	/* under this node's lock; from a line of its own on, since every
	 * thread's locate() reads the fields above of the lower nodes */
	struct htab recs __attribute__((aligned(64)));
	uint64_t by_site[HVO_NR_SITES];
	uint64_t free_frames, nr_free_blocks;
	struct bufcache cache;
	struct sealed *sealed;
	size_t nr_sealed, sealed_cap;  /* nr_sealed: release-stored for fault handlers */
	/* Order-0 frees park here and order-0 allocations take from here first,
	 * like the kernel's pcp lists: no split/merge ping-pong for the pages
	 * HVO allocates and frees one at a time.  Drained when an allocation
	 * would otherwise fail. */
	uint64_t pcp[HVO_NR_ZONES][PCP_MAX];
	unsigned pcp_n[HVO_NR_ZONES];
} __attribute__((aligned(64)));   /* the next node's fields above start a line */

struct phys {
	const struct hvo_sync_ops *sync;  /* the node locks go through the seam */
	struct hvo_host_pool *pool;       /* host blocks: this struct, radix nodes, arenas */
	size_t size;                      /* of this struct with its heads */
	unsigned nr_nodes, max_order;
	uint64_t page_size;
	size_t buf_size, buf_align;   /* host buffer: page_size rounded to host pages */
	struct pnode node[HVO_MAX_NODES];
	bool buddy_ready;
	/* memblock_reserve()d blocks (bootmem huge pages): the allocator steps around them */
	struct { uint64_t pfn; unsigned order; } resv[PHYS_MAX_RESV];
	unsigned nr_resv;
	uint64_t total, max_pfn;
	void *froot;                  /* frame radix tree: fr_depth dir levels above the leaves */
	unsigned fr_depth;
	bool fr_give_back;            /* host pages are FR_CHUNK_BYTES: empty chunks go back */
	/* Leaves are carved from slabs (page-aligned, each leaf on pages of its
	 * own: an aligned allocation per leaf left a touched fragment page in
	 * front of each); a leaf lives until phys_destroy, so no free. */
	bool slab_lock;
	void **slabs;
	size_t nr_slabs, slab_left;   /* leaves left in the last slab */
	struct fr_leaf *spare;        /* a leaf made by the loser of a publication race */
	bool shared_lock;
	struct bufcache shared;       /* dropped buffers beyond the nodes' RING_LOCAL (no arenas) */
	/* Arenas straight from mmap (a kept snapshot, phys_clone): struct page
	 * bytes, no pointers, so no leak check scans them (issue 16). */
	bool map_arenas;
	uint64_t head[];              /* free-list heads [node][zone][order] */
};

/* zone->lock of node n, taken through the seam without a scheduling point
 * (nothing in here is a race the model studies), so the plain backend pays
 * nothing. */
static void node_lock(const struct phys *p, unsigned n)
{
	if (p->sync && p->sync->lock)
		p->sync->lock(p->sync->ctx, (enum hvo_lock)(HVO_LOCK_ZONE + n));
}

static void node_unlock(const struct phys *p, unsigned n)
{
	if (p->sync && p->sync->unlock)
		p->sync->unlock(p->sync->ctx, (enum hvo_lock)(HVO_LOCK_ZONE + n));
}

static uint64_t *list_head(struct phys *p, unsigned n, int z, unsigned o)
{
	return &p->head[((size_t)n * HVO_NR_ZONES + (size_t)z) * (p->max_order + 1) + o];
}

static struct rec *rec_find(const struct pnode *nd, uint64_t pfn) { return ht_find(&nd->recs, pfn); }

/* Always inlined: its out-parameters then live in registers, not in an
 * address-taken stack slot that under ASan gives every caller (the hot
 * phys_frame, phys_node_of, phys_lookup) a fake stack frame (issue 16). */
static inline __attribute__((always_inline)) int locate(const struct phys *p, uint64_t pfn, unsigned *node,
							 int *zone)
{
	for (unsigned n = 0; n < p->nr_nodes; n++) {
		const struct pnode *nd = &p->node[n];

		if (pfn >= nd->start && pfn < nd->end) {
			for (unsigned i = 0; i < nd->nr_zr; i++)
				if (pfn < nd->zr[i].end) {
					*node = n;
					*zone = nd->zr[i].zone;
					return 0;
				}
		} else if (pfn >= nd->zs[HVO_ZONE_DEVICE] && pfn < nd->ze[HVO_ZONE_DEVICE]) {
			*node = n;
			*zone = HVO_ZONE_DEVICE;
			return 0;
		}
	}
	return -1;
}

/* The run of node nd's zone map holding pfn (inside the node's memory). */
static const struct zrange *zr_of(const struct pnode *nd, uint64_t pfn)
{
	for (unsigned i = 0; i < nd->nr_zr; i++)
		if (pfn >= nd->zr[i].start && pfn < nd->zr[i].end)
			return &nd->zr[i];
	return NULL;
}

static void zr_add(struct pnode *nd, uint64_t s, uint64_t e, int zone)
{
	if (s >= e)
		return;
	if (nd->nr_zr && nd->zr[nd->nr_zr - 1].zone == zone && nd->zr[nd->nr_zr - 1].end == s)
		nd->zr[nd->nr_zr - 1].end = e;
	else
		nd->zr[nd->nr_zr++] = (struct zrange){ s, e, zone };
}

/* kernelcore=mirror (find_zone_movable_pfns_for_nodes, memmap_init's
 * overlap_memmap_init): below 4 GiB DMA32; above, mirrored memory NORMAL,
 * the rest MOVABLE.  Spans as adjust_zone_range_for_zone_movable leaves
 * them with mirrored_kernelcore: MOVABLE from the first unmirrored pfn
 * (zone_movable_pfn, section aligned so the MAX_ORDER round-up is a no-op)
 * to the node's end, NORMAL not cut there.  hvo_config_validate made the
 * first section above 4 GiB mirrored. */
static void mirror_zones(struct pnode *nd, const struct hvo_node_config *c, uint64_t dma)
{
	uint64_t at = dma, zmov = 0;

	zr_add(nd, nd->start, dma, HVO_ZONE_DMA32);
	for (unsigned k = 0; k < c->nr_mirror && at < nd->end; k++) {
		uint64_t ms = c->mirror[k].start_pfn, me = ms + c->mirror[k].nr_pages;

		if (me <= at)
			continue;
		if (ms > at) {
			zr_add(nd, at, ms, HVO_ZONE_MOVABLE);
			zmov = zmov ? zmov : at;
		} else {
			ms = at;
		}
		me = me < nd->end ? me : nd->end;
		zr_add(nd, ms, me, HVO_ZONE_NORMAL);
		at = me;
	}
	if (at < nd->end) {
		zr_add(nd, at, nd->end, HVO_ZONE_MOVABLE);
		zmov = zmov ? zmov : at;
	}
	nd->zs[HVO_ZONE_DMA32] = nd->start;
	nd->ze[HVO_ZONE_DMA32] = dma;
	nd->zs[HVO_ZONE_NORMAL] = dma;
	nd->ze[HVO_ZONE_NORMAL] = nd->end;
	nd->zs[HVO_ZONE_MOVABLE] = zmov ? zmov : nd->end;
	nd->ze[HVO_ZONE_MOVABLE] = nd->end;
}

/* ------------------------------------------------------------ frame radix tree */

#define SLAB_MIN_LEAVES 16u
#define SLAB_MAX_LEAVES 256u
static size_t slab_leaves(size_t i) { return i < 4 ? SLAB_MIN_LEAVES << i : SLAB_MAX_LEAVES; }

static void slab_lock(struct phys *p)
{
	while (__atomic_test_and_set(&p->slab_lock, __ATOMIC_ACQUIRE))
		;
}

static void slab_unlock(struct phys *p)
{
	__atomic_clear(&p->slab_lock, __ATOMIC_RELEASE);
}

/* A zeroed leaf (any node lock may be held: the slab has a lock of its own). */
static struct fr_leaf *leaf_new(struct phys *p)
{
	struct fr_leaf *l = NULL;

	slab_lock(p);
	if (p->spare) {
		l = p->spare;
		p->spare = NULL;
	} else if (p->slab_left) {
		l = (struct fr_leaf *)p->slabs[p->nr_slabs - 1] + slab_leaves(p->nr_slabs - 1) - p->slab_left--;
	} else {
		void **v = realloc(p->slabs, (p->nr_slabs + 1) * sizeof(*v));
		size_t n = slab_leaves(p->nr_slabs);

		if (v) {
			p->slabs = v;
			v[p->nr_slabs] = hpool_alloc(p->pool, n * sizeof(struct fr_leaf), FR_CHUNK_BYTES, false);
			if (v[p->nr_slabs]) {
				l = v[p->nr_slabs++];
				p->slab_left = n - 1;
			}
		}
	}
	slab_unlock(p);
	if (l)
		memset(l, 0, sizeof(*l));
	return l;
}

/* The slot of pfn's frame; with create, missing levels are made and
 * published with cmpxchg (two node locks may race for a shared dir).
 * NULL: pfn beyond the tree, no such slot yet, or host OOM. */
static struct frame *fr_slot(const struct phys *p, uint64_t pfn, bool create)
{
	void *n = p->froot;

	if (pfn >> 63 || pfn >> (FR_BITS * (p->fr_depth + 1)))
		return NULL;
	for (unsigned l = p->fr_depth; l > 0; l--) {
		void **slot = &((struct fr_dir *)n)->slot[(pfn >> (FR_BITS * l)) & (FR_FAN - 1)];
		void *c = __atomic_load_n(slot, __ATOMIC_ACQUIRE), *none = NULL;

		if (!c) {
			if (!create)
				return NULL;
			c = l > 1 ? hpool_alloc(p->pool, sizeof(struct fr_dir), 16, true) : leaf_new((struct phys *)p);
			if (!c)
				return NULL;
			if (!__atomic_compare_exchange_n(slot, &none, c, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				if (l > 1) {
					hpool_free(p->pool, c, sizeof(struct fr_dir), 16);
				} else {
					slab_lock((struct phys *)p);
					((struct phys *)p)->spare = c;
					slab_unlock((struct phys *)p);
				}
				c = none;
			}
		}
		n = c;
	}
	return &((struct fr_leaf *)n)->f[pfn & (FR_FAN - 1)];
}

typedef void (*fr_fn)(struct phys *p, uint64_t pfn, struct frame *f, void *ctx);

/* fn for every frame with bytes in [lo, hi), ascending; only the children
 * overlapping the range are visited and empty subtrees are skipped, so a
 * huge range with few frames costs little.  n covers FR_FAN^(level+1) pfns
 * from base, and [lo, hi) overlaps it. */
static void fr_walk(struct phys *p, void *n, unsigned level, uint64_t base, uint64_t lo, uint64_t hi, fr_fn fn,
		    void *ctx)
{
	unsigned shift = FR_BITS * level;
	uint64_t first = lo > base ? (lo - base) >> shift : 0, last = (hi - 1 - base) >> shift;

	if (last >= FR_FAN)
		last = FR_FAN - 1;
	for (uint64_t i = first; i <= last; i++) {
		uint64_t b = base + (i << shift);
		void *c;

		if (!level) {
			struct frame *f = &((struct fr_leaf *)n)->f[i];

			if (__atomic_load_n(&f->buf, __ATOMIC_ACQUIRE))
				fn(p, b, f, ctx);
		} else if ((c = __atomic_load_n(&((struct fr_dir *)n)->slot[i], __ATOMIC_ACQUIRE)) != NULL) {
			fr_walk(p, c, level - 1, b, lo, hi, fn, ctx);
		}
	}
}

static void fr_for_range(struct phys *p, uint64_t lo, uint64_t hi, fr_fn fn, void *ctx)
{
	if (lo < hi && !(lo >> (FR_BITS * (p->fr_depth + 1))))
		fr_walk(p, p->froot, p->fr_depth, 0, lo, hi, fn, ctx);
}

/* The dirs under n (leaves go with their slabs). */
static void fr_free(struct phys *p, void *n, unsigned level)
{
	for (unsigned i = 0; level > 1 && i < FR_FAN; i++)
		if (((struct fr_dir *)n)->slot[i])
			fr_free(p, ((struct fr_dir *)n)->slot[i], level - 1);
	if (level)
		hpool_free(p->pool, n, sizeof(struct fr_dir), 16);
}

/* The count of frames with bytes in pfn's leaf chunk, NULL when the tree
 * is a single leaf (never given back) or pfn's leaf does not exist. */
static uint16_t *fr_live(const struct phys *p, uint64_t pfn)
{
	void *n = p->froot;

	if (!p->fr_depth || pfn >> 63 || pfn >> (FR_BITS * (p->fr_depth + 1)))
		return NULL;
	for (unsigned l = p->fr_depth; l > 1 && n; l--)
		n = __atomic_load_n(&((struct fr_dir *)n)->slot[(pfn >> (FR_BITS * l)) & (FR_FAN - 1)],
				    __ATOMIC_ACQUIRE);
	return n ? &((struct fr_dir *)n)->live[(pfn >> FR_BITS) & (FR_FAN - 1)][(pfn & (FR_FAN - 1)) / FR_CHUNK]
		 : NULL;
}

/* ------------------------------------------------------------ creation */

int phys_create(struct phys **out, const struct hvo_config *cfg, const struct hvo_geometry *g,
		char *err, size_t errlen)
{
	struct phys *p;
	uint64_t dma_end, nheads;
	size_t size;
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
		    a->start_pfn + a->nr_pages > 1ull << 62 || a->nr_mirror > HVO_MAX_MIRROR) {
			if (err)
				snprintf(err, errlen, "phys: node %u is empty or too large, or has too many mirror ranges", i);
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
	size = (sizeof(*p) + nheads * sizeof(uint64_t) + 63) & ~(size_t)63;
	p = hpool_alloc(cfg->host_pool, size, _Alignof(struct phys), true);  /* the nodes' lines */
	if (!p) {
		if (err)
			snprintf(err, errlen, "phys: out of host memory");
		return -HVO_ENOMEM;
	}
	memset(p->head, 0xff, nheads * sizeof(uint64_t));
	p->pool = cfg->host_pool;
	p->size = size;
	p->nr_nodes = cfg->nr_nodes;
	p->sync = cfg->sync;
	p->max_order = g->max_folio_order;
	p->page_size = g->page_size;
	p->buf_align = host_page > 4096 ? (size_t)host_page : 4096;
	p->buf_size = (g->page_size + p->buf_align - 1) / p->buf_align * p->buf_align;
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
		nd->hotplugged = c->memmap_on_memory || c->hotplug;
		nd->offline = c->hotplug && !c->memmap_on_memory;
		nd->recs.esz = sizeof(struct rec);
		nd->recs.pool = p->pool;
		if (c->nr_mirror) {
			mirror_zones(nd, c, dma_end < s ? s : dma_end > e ? e : dma_end);
		} else {
			nd->zs[HVO_ZONE_DMA32] = s;
			nd->ze[HVO_ZONE_DMA32] = dma;
			nd->zs[HVO_ZONE_NORMAL] = dma;
			nd->ze[HVO_ZONE_NORMAL] = mov;
			nd->zs[HVO_ZONE_MOVABLE] = mov;
			nd->ze[HVO_ZONE_MOVABLE] = e;
			for (int z = 0; z < HVO_ZONE_DEVICE; z++)
				zr_add(nd, nd->zs[z], nd->ze[z], z);
		}
		/* Device pfns are outside the node's memory and not counted in total. */
		nd->zs[HVO_ZONE_DEVICE] = c->dax_start_pfn;
		nd->ze[HVO_ZONE_DEVICE] = c->dax_start_pfn + c->dax_nr_pages;
		p->total += c->nr_pages;
		if (e > p->max_pfn)
			p->max_pfn = e;
		if (nd->ze[HVO_ZONE_DEVICE] > p->max_pfn)
			p->max_pfn = nd->ze[HVO_ZONE_DEVICE];
	}
	/* Radix levels for every pfn below max_pfn (FR_FAN^7 = 2^63 covers all). */
	while (p->fr_depth < 6 && (p->max_pfn - 1) >> (FR_BITS * (p->fr_depth + 1)))
		p->fr_depth++;
	p->fr_give_back = sysconf(_SC_PAGESIZE) == FR_CHUNK_BYTES;
	p->froot = p->fr_depth ? hpool_alloc(p->pool, sizeof(struct fr_dir), 16, true) : (void *)leaf_new(p);
	if (!p->froot) {
		hpool_free(p->pool, p, p->size, _Alignof(struct phys));
		if (err)
			snprintf(err, errlen, "phys: out of host memory");
		return -HVO_ENOMEM;
	}
	*out = p;
	return 0;
}

void phys_destroy(struct phys *p)
{
	if (!p)
		return;
	/* Every node first: a node's sealed buffer may sit in another's arena. */
	for (unsigned n = 0; n < p->nr_nodes; n++)
		for (size_t i = 0; i < p->node[n].nr_sealed; i++)
			mprotect((void *)p->node[n].sealed[i].buf, p->buf_size, PROT_READ | PROT_WRITE);
	for (unsigned n = 0; n < p->nr_nodes; n++) {
		struct pnode *nd = &p->node[n];

		for (size_t i = 0; i < nd->cache.nr_arenas; i++) {
			UNPOISON(nd->cache.arenas[i], arena_bufs(i) * p->buf_size);
			if (p->map_arenas)
				munmap(nd->cache.arenas[i], arena_bufs(i) * p->buf_size);
			else
				hpool_free(p->pool, nd->cache.arenas[i], arena_bufs(i) * p->buf_size, p->buf_align);
		}
		free(nd->cache.arenas);
		free(nd->cache.ring);
		hpool_free(p->pool, nd->recs.mem, nd->recs.cap * nd->recs.esz, 16);
		free(nd->sealed);
	}
	free(p->shared.ring);
	fr_free(p, p->froot, p->fr_depth);
	for (size_t i = 0; i < p->nr_slabs; i++)
		hpool_free(p->pool, p->slabs[i], slab_leaves(i) * sizeof(struct fr_leaf), FR_CHUNK_BYTES);
	free(p->slabs);
	hpool_free(p->pool, p, p->size, _Alignof(struct phys));
}

/* ------------------------------------------------------------ free lists */

/* Insert a free block (room reserved) at the head of its list. */
static void add_free(struct phys *p, unsigned n, int z, uint64_t pfn, unsigned o)
{
	struct pnode *nd = &p->node[n];
	uint64_t *head = list_head(p, n, z, o);
	struct rec *r = ht_insert(&nd->recs, pfn);

	r->state = REC_FREE;
	r->order = (uint8_t)o;
	r->origin = PHYS_ORIGIN_BUDDY;
	r->site = -1;
	r->prev = NIL;
	r->next = *head;
	if (*head != NIL)
		rec_find(nd, *head)->prev = pfn;
	*head = pfn;
	nd->free_frames += 1ull << o;
	nd->nr_free_blocks++;
}

/* Unlink a free block from its list; the record stays. */
static void take_free(struct phys *p, unsigned n, int z, struct rec *r)
{
	struct pnode *nd = &p->node[n];

	if (r->prev != NIL)
		rec_find(nd, r->prev)->next = r->next;
	else
		*list_head(p, n, z, r->order) = r->next;
	if (r->next != NIL)
		rec_find(nd, r->next)->prev = r->prev;
	r->prev = r->next = NIL;
	nd->free_frames -= 1ull << r->order;
	nd->nr_free_blocks--;
}

/* Give [pfn, pfn + 2^o) of run zr (zone z) back, merging with free buddies. */
static void release_block(struct phys *p, unsigned n, const struct zrange *zr, uint64_t pfn, unsigned o)
{
	struct pnode *nd = &p->node[n];
	int z = zr->zone;

	while (o < p->max_order) {
		uint64_t b = pfn ^ (1ull << o);
		struct rec *r;

		/* Never merge across a zone boundary (page_is_buddy's zone test):
		 * with interleaved zones, not across a run either. */
		if (b < zr->start || b + (1ull << o) > zr->end)
			break;
		r = rec_find(nd, b);
		if (!r || r->state != REC_FREE || r->order != o)
			break;
		take_free(p, n, z, r);
		ht_remove(&nd->recs, r);
		pfn &= ~(1ull << o);
		o++;
	}
	add_free(p, n, z, pfn, o);
}

/* An allocated block may straddle zones (boot memory): free it zone by zone. */
static void release_range(struct phys *p, uint64_t pfn, unsigned o);

/* Node n's pcp pages back to its buddy lists, under its lock. */
static bool drain_pcp_nolock(struct phys *p, unsigned n)
{
	struct pnode *nd = &p->node[n];
	bool any = false;

	for (int z = 0; z < HVO_NR_ZONES; z++)
		while (nd->pcp_n[z]) {
			uint64_t pfn = nd->pcp[z][--nd->pcp_n[z]];

			/* room was reserved when the page was parked: it had a record */
			ht_remove(&nd->recs, rec_find(nd, pfn));
			nd->free_frames--;
			release_range(p, pfn, 0);
			any = true;
		}
	return any;
}

static bool drain_pcp_all(struct phys *p)
{
	bool any = false;

	for (unsigned n = 0; n < p->nr_nodes; n++) {
		node_lock(p, n);
		any |= drain_pcp_nolock(p, n);
		node_unlock(p, n);
	}
	return any;
}

static void release_range(struct phys *p, uint64_t pfn, unsigned o)
{
	const struct zrange *zr;
	unsigned n;
	int z;

	if (locate(p, pfn, &n, &z) || !(zr = zr_of(&p->node[n], pfn)))
		return;
	if (pfn + (1ull << o) <= zr->end) {
		release_block(p, n, zr, pfn, o);
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
		if (ht_reserve(&p->node[n].recs, 1))
			return -HVO_ENOMEM;
		add_free(p, n, z, b - (1ull << o), o);
		b -= 1ull << o;
	}
	return 0;
}

/* ------------------------------------------------------------ boot allocator */

static struct rec *boot_record(struct phys *p, unsigned n, uint64_t at, unsigned order, int site)
{
	struct pnode *nd = &p->node[n];
	struct rec *r;

	if (ht_reserve(&nd->recs, 1))
		return NULL;
	r = ht_insert(&nd->recs, at);
	r->state = REC_ALLOC;
	r->order = (uint8_t)order;
	r->origin = PHYS_ORIGIN_BOOT;
	r->site = (int8_t)site;
	r->prev = r->next = NIL;
	nd->by_site[site] += 1ull << order;
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
	/* Like memblock with movable_node: hotpluggable memory is avoided, and
	 * memory hot-added later (memmap_on_memory) is not there yet. */
	if (p->node[node].movable_only || p->node[node].hotplugged) {
		for (node = 0; node < p->nr_nodes && (p->node[node].movable_only || p->node[node].hotplugged); node++)
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
	if (!boot_record(p, node, at, order, site))
		return -HVO_ENOMEM;
	nd->mb_top = at;
	*pfn = at;
	return 0;
}

int phys_memblock_reserve(struct phys *p, int site, uint64_t pfn, unsigned order)
{
	uint64_t size = 1ull << order;
	unsigned n, n2;
	int z;

	if (p->buddy_ready || order > p->max_order || pfn & (size - 1))
		return -HVO_EINVAL;
	/* inside one node: its records live in that node's table */
	if (p->nr_resv == PHYS_MAX_RESV || locate(p, pfn, &n, &z) || locate(p, pfn + size - 1, &n2, &z) || n != n2 ||
	    resv_overlap(p, pfn, size) >= 0 || pfn + size > p->node[n].mb_top)
		return -HVO_EINVAL;
	if (!boot_record(p, n, pfn, order, site))
		return -HVO_ENOMEM;
	p->resv[p->nr_resv].pfn = pfn;
	p->resv[p->nr_resv++].order = order;
	return 0;
}

int phys_altmap_reserve(struct phys *p, uint64_t pfn, uint64_t nr)
{
	unsigned n, n2;
	int z;

	if (p->buddy_ready || !nr || locate(p, pfn, &n, &z) || locate(p, pfn + nr - 1, &n2, &z) || n != n2 ||
	    !p->node[n].hotplugged)
		return -HVO_EINVAL;
	for (uint64_t i = 0; i < nr; i++) {
		struct rec *r = boot_record(p, n, pfn + i, 0, HVO_SITE_MEMBLOCK);

		if (!r)
			return -HVO_ENOMEM;
		r->origin = PHYS_ORIGIN_ALTMAP;
	}
	return 0;
}

static int cmp_rec_desc(const void *a, const void *b)
{
	uint64_t x = ((const struct rec *)a)->pfn, y = ((const struct rec *)b)->pfn;

	return x < y ? 1 : x > y ? -1 : 0;
}

void phys_buddy_init(struct phys *p)
{
	if (p->buddy_ready)
		return;
	p->buddy_ready = true;
	for (unsigned n = 0; n < p->nr_nodes; n++) {
		const struct htab *recs = &p->node[n].recs;
		struct rec *boot;
		uint64_t nb = 0;

		if (p->node[n].offline)
			continue;   /* hot-added later: phys_online_node */

		/* Only boot allocations exist now, each inside its node; highest first. */
		boot = malloc((recs->used ? recs->used : 1) * sizeof(*boot));
		if (!boot)
			return; /* host OOM: the buddy stays empty */
		for (uint64_t i = 0; i < recs->cap; i++)
			if (ht_key(recs, i) != NIL)
				memcpy(&boot[nb++], ht_slot(recs, i), sizeof(*boot));
		qsort(boot, nb, sizeof(*boot), cmp_rec_desc);
		/* each run of the zone map, highest first (device pages never
		 * reach the buddy) */
		for (unsigned k = p->node[n].nr_zr; k-- > 0;) {
			int z = p->node[n].zr[k].zone;
			uint64_t zs = p->node[n].zr[k].start, hi = p->node[n].zr[k].end;

			/* The gaps between boot blocks, alignment gaps included. */
			for (uint64_t i = 0; i < nb && hi > zs; i++) {
				uint64_t rs = boot[i].pfn, re = rs + (1ull << boot[i].order);

				if (re <= zs || rs >= hi)
					continue;
				if (re < hi && carve(p, n, z, re, hi))
					break;
				hi = rs > zs ? rs : zs;
			}
			if (hi > zs && carve(p, n, z, zs, hi))
				break;
		}
		free(boot);
	}
}

int phys_online_node(struct phys *p, unsigned node)
{
	struct pnode *nd;
	int rc = 0;

	if (node >= p->nr_nodes || !p->buddy_ready || !p->node[node].offline)
		return -HVO_EINVAL;
	nd = &p->node[node];
	node_lock(p, node);
	/* nothing was ever allocated here: each run of the zone map is one
	 * free range (with kernelcore=mirror a zone has several) */
	for (unsigned k = nd->nr_zr; k-- > 0 && !rc;)
		rc = carve(p, node, nd->zr[k].zone, nd->zr[k].start, nd->zr[k].end);
	if (!rc)
		nd->offline = false;
	node_unlock(p, node);
	return rc;
}

bool phys_node_online(const struct phys *p, unsigned node)
{
	return node < p->nr_nodes && !p->node[node].offline;
}

void phys_isolate_node(struct phys *p, unsigned node, bool on)
{
	if (node < p->nr_nodes)
		__atomic_store_n(&p->node[node].isolated, on, __ATOMIC_RELAXED);
}

int phys_offline_node(struct phys *p, unsigned node)
{
	struct pnode *nd;

	if (node >= p->nr_nodes || !p->buddy_ready || p->node[node].offline)
		return -HVO_EINVAL;
	nd = &p->node[node];
	node_lock(p, node);
	for (uint64_t i = 0; i < nd->recs.cap; i++) {
		const struct rec *r = ht_slot(&nd->recs, i);

		if (r->pfn != NIL && r->state == REC_ALLOC) {
			node_unlock(p, node);
			return -HVO_EBUSY;   /* unmovable: test_pages_isolated fails */
		}
	}
	drain_pcp_nolock(p, node);
	for (int z = 0; z < HVO_NR_ZONES; z++)
		for (unsigned o = 0; o <= p->max_order; o++)
			while (*list_head(p, node, z, o) != NIL) {
				struct rec *r = rec_find(nd, *list_head(p, node, z, o));

				take_free(p, node, z, r);
				ht_remove(&nd->recs, r);
			}
	nd->offline = true;
	nd->isolated = false;
	node_unlock(p, node);
	return 0;
}

/* ------------------------------------------------------------ buddy */

static int alloc_in_zone(struct phys *p, unsigned n, int z, unsigned order, int site, uint64_t *pfn)
{
	struct pnode *nd = &p->node[n];
	struct rec *r;
	uint64_t at;
	unsigned o;

	if (order == 0 && nd->pcp_n[z]) {
		at = nd->pcp[z][--nd->pcp_n[z]];
		r = rec_find(nd, at);
		r->state = REC_ALLOC;
		r->origin = PHYS_ORIGIN_BUDDY;
		r->site = (int8_t)site;
		nd->free_frames--;
		nd->by_site[site]++;
		*pfn = at;
		return 0;
	}

	for (o = order; o <= p->max_order && *list_head(p, n, z, o) == NIL; o++)
		;
	if (o > p->max_order)
		return -HVO_ENOMEM;
	/* Room for every split-off half first: nothing fails midway. */
	if (ht_reserve(&nd->recs, o - order + 1))
		return -HVO_ENOMEM;
	at = *list_head(p, n, z, o);
	r = rec_find(nd, at);
	take_free(p, n, z, r);
	r->state = REC_ALLOC;
	r->order = (uint8_t)order;
	r->origin = PHYS_ORIGIN_BUDDY;
	r->site = (int8_t)site;
	/* Keep the low part, hand back the upper halves. */
	while (o-- > order)
		add_free(p, n, z, at + (1ull << o), o);
	nd->by_site[site] += 1ull << order;
	*pfn = at;
	return 0;
}

/* Node by node, each under its own lock only (never two at once). */
static int alloc_locked(struct phys *p, int site, unsigned node, int zone, unsigned order, unsigned gfp, uint64_t *pfn)
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
			if (__atomic_load_n(&p->node[n].isolated, __ATOMIC_RELAXED))
				continue;   /* MIGRATE_ISOLATE: being offlined */
			node_lock(p, n);
			for (int k = 0; k < nz; k++) {
				bool dup = false;

				for (int j = 0; j < k; j++)
					dup |= zones[j] == zones[k];
				if (!dup && !alloc_in_zone(p, n, zones[k], order, site, pfn)) {
					node_unlock(p, n);
					return 0;
				}
			}
			node_unlock(p, n);
		}
		if (!drain_pcp_all(p))
			break;
	}
	return -HVO_ENOMEM;
}

static void drop_frames(struct phys *p, unsigned n, uint64_t pfn, uint64_t count);
static bool lookup_nolock(const struct phys *p, unsigned n, uint64_t pfn, struct phys_alloc_info *out);

/* pfn lies in node n, zone z; n's lock is held. */
static int free_nolock(struct phys *p, unsigned n, int z, uint64_t pfn, unsigned order)
{
	struct pnode *nd = &p->node[n];
	struct rec *r = rec_find(nd, pfn);
	int site;

	if (!r || r->state != REC_ALLOC || r->order != order) {
		struct phys_alloc_info a;

		/* a page of a high-order block never split_page()d (I23) */
		if (lookup_nolock(p, n, pfn, &a) && a.order > order)
			return -HVO_EBUSY;
		return -HVO_EINVAL;
	}
	/* A boot block straddling zones can need a few extra records. */
	if (ht_reserve(&nd->recs, 2 * (p->max_order + 1)))
		return -HVO_ENOMEM;
	r = rec_find(nd, pfn);
	site = r->site;
	nd->by_site[site] -= 1ull << order;
	if (order == 0 && p->buddy_ready && nd->pcp_n[z] < PCP_MAX) {
		r->state = REC_PCP;
		r->site = -1;
		nd->pcp[z][nd->pcp_n[z]++] = pfn;
		nd->free_frames++;
		drop_frames(p, n, pfn, 1);
		return 0;
	}
	ht_remove(&nd->recs, r);
	drop_frames(p, n, pfn, 1ull << order);
	/* Before buddy_init the pfns simply stop being boot memory. */
	if (p->buddy_ready)
		release_range(p, pfn, order);
	return 0;
}

static int split_to_nolock(struct pnode *nd, uint64_t pfn, unsigned order, unsigned new_order)
{
	struct rec *r = rec_find(nd, pfn), tmpl;
	uint64_t pieces;

	if (!r || r->state != REC_ALLOC || r->order != order || new_order > order)
		return -HVO_EINVAL;
	pieces = 1ull << (order - new_order);
	if (ht_reserve(&nd->recs, pieces - 1))
		return -HVO_ENOMEM;
	r = rec_find(nd, pfn);
	r->order = (uint8_t)new_order;
	tmpl = *r;
	for (uint64_t i = 1; i < pieces; i++) {
		r = ht_insert(&nd->recs, pfn + (i << new_order));
		*r = tmpl;
		r->pfn = pfn + (i << new_order);
	}
	return 0;
}

/* ------------------------------------------------------------ queries */

int phys_node_of(const struct phys *p, uint64_t pfn)
{
	unsigned n;
	int z;

	return locate(p, pfn, &n, &z) ? -1 : (int)n;
}

int phys_node_zone(const struct phys *p, uint64_t pfn, int *zone)
{
	unsigned n;

	if (locate(p, pfn, &n, zone)) {
		*zone = -1;
		return -1;
	}
	return (int)n;
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

bool phys_zone_span(const struct phys *p, unsigned node, int zone, uint64_t *start, uint64_t *end)
{
	if (!phys_zone_present(p, node, zone))
		return false;
	*start = p->node[node].zs[zone];
	*end = p->node[node].ze[zone];
	return true;
}

int phys_zone_run(const struct phys *p, uint64_t pfn, uint64_t *start, uint64_t *end)
{
	const struct zrange *zr;
	unsigned n;
	int z;

	if (locate(p, pfn, &n, &z))
		return -1;
	if (z == HVO_ZONE_DEVICE) {
		*start = p->node[n].zs[z];
		*end = p->node[n].ze[z];
	} else {
		zr = zr_of(&p->node[n], pfn);
		*start = zr->start;
		*end = zr->end;
	}
	return z;
}

/* pfn lies in node n (every block lies inside one node), whose lock is held. */
static bool lookup_nolock(const struct phys *p, unsigned n, uint64_t pfn, struct phys_alloc_info *out)
{
	/* The block holding pfn starts at pfn rounded down to its order. */
	for (unsigned o = 0; o <= p->max_order; o++) {
		const struct rec *r = rec_find(&p->node[n], pfn & ~((1ull << o) - 1));

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

/* The counters are summed over the nodes without their locks: callers read
 * them at quiescent points (the checker, hvo_counters). */
uint64_t phys_frames_by_site(const struct phys *p, int site)
{
	uint64_t v = 0;

	for (unsigned n = 0; site >= 0 && site < HVO_NR_SITES && n < p->nr_nodes; n++)
		v += p->node[n].by_site[site];
	return v;
}

uint64_t phys_free_frames(const struct phys *p)
{
	uint64_t v = 0;

	for (unsigned n = 0; n < p->nr_nodes; n++)
		v += p->node[n].free_frames;
	return v;
}

uint64_t phys_total_frames(const struct phys *p) { return p->total; }
uint64_t phys_max_pfn(const struct phys *p) { return p->max_pfn; }

static int cmp_info(const void *a, const void *b)
{
	uint64_t x = ((const struct phys_alloc_info *)a)->pfn, y = ((const struct phys_alloc_info *)b)->pfn;

	return x < y ? -1 : x > y;
}

int phys_for_each_alloc(const struct phys *p, int (*fn)(void *ctx, const struct phys_alloc_info *a), void *ctx)
{
	struct phys_alloc_info *v;
	uint64_t nv = 0, used = 1;
	int rc = 0;

	for (unsigned n = 0; n < p->nr_nodes; n++)
		used += p->node[n].recs.used;
	v = malloc(used * sizeof(*v));
	if (!v)
		return -HVO_ENOMEM;
	for (unsigned n = 0; n < p->nr_nodes; n++)
		for (uint64_t i = 0; i < p->node[n].recs.cap; i++) {
			const struct rec *r = ht_slot(&p->node[n].recs, i);

			if (r->pfn != NIL && r->state == REC_ALLOC)
				v[nv++] = (struct phys_alloc_info){ r->pfn, r->order, r->site, (enum phys_origin)r->origin };
		}
	qsort(v, nv, sizeof(*v), cmp_info);
	for (uint64_t i = 0; i < nv && !rc; i++)
		rc = fn(ctx, &v[i]);
	free(v);
	return rc;
}

uint64_t phys_nr_free_blocks(const struct phys *p)
{
	uint64_t v = 0;

	for (unsigned n = 0; n < p->nr_nodes; n++)
		v += p->node[n].nr_free_blocks;
	return v;
}

/* ------------------------------------------------------------ frame bytes */

/* Under the lock of node nd, which holds f's frame (pfn). */
static int unseal(struct phys *p, struct pnode *nd, struct frame *f)
{
	struct sealed last;

	if (f->seal == NIL)
		return 0;
	if (mprotect(f->buf, p->buf_size, PROT_READ | PROT_WRITE))
		return -errno;
	last = nd->sealed[nd->nr_sealed - 1];
	nd->sealed[f->seal] = last;
	__atomic_store_n(&fr_slot(p, last.pfn, false)->seal, f->seal, __ATOMIC_RELAXED);
	__atomic_store_n(&nd->nr_sealed, nd->nr_sealed - 1, __ATOMIC_RELEASE);
	__atomic_store_n(&f->seal, NIL, __ATOMIC_RELAXED);
	return 0;
}

/* Buffers come from arenas (arena_bufs; glibc's posix_memalign of one
 * page wastes about another page per buffer) and go back to a FIFO ring,
 * poisoned under ASan, so a stale pointer into a dropped frame is caught
 * for as long as possible before the buffer is reused.  One ring per node,
 * under its lock, of at most RING_LOCAL buffers; beyond, they go to the
 * machine's shared ring (a spinlock of its own, taken under a node lock and
 * never the other way), where any node takes them before it makes an arena:
 * with rings per node only, each node kept the 4096 transient vmemmap
 * buffers of a 1 GiB folio (16 MiB a node, bench core). */
static int ring_put(struct bufcache *c, uint8_t *b)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		uint8_t **n = malloc(cap * sizeof(*n));

		if (!n)
			return -1;
		for (size_t i = 0; i < c->n; i++)
			n[i] = c->ring[(c->head + i) % c->cap];
		free(c->ring);
		c->ring = n;
		c->head = 0;
		c->cap = cap;
	}
	c->ring[(c->head + c->n++) % c->cap] = b;
	return 0;
}

static uint8_t *ring_take(struct bufcache *c)
{
	uint8_t *b = c->ring[c->head];

	c->head = (c->head + 1) % c->cap;
	c->n--;
	return b;
}

static void shared_lock(struct phys *p)
{
	while (__atomic_test_and_set(&p->shared_lock, __ATOMIC_ACQUIRE))
		;
}

static void shared_unlock(struct phys *p)
{
	__atomic_clear(&p->shared_lock, __ATOMIC_RELEASE);
}

static int cache_push(struct phys *p, struct bufcache *c, uint8_t *b)
{
	int r;

	POISON(b, p->buf_size);
	if (c->n < RING_LOCAL)
		return ring_put(c, b);
	shared_lock(p);
	r = ring_put(&p->shared, b);
	shared_unlock(p);
	return r;
}

static uint8_t *cache_pop(struct phys *p, struct bufcache *c)
{
	uint8_t *b = NULL;

	if (!c->n) {
		shared_lock(p);
		if (p->shared.n)
			b = ring_take(&p->shared);
		shared_unlock(p);
	}
	if (!b && !c->n) {
		uint8_t **arenas = realloc(c->arenas, (c->nr_arenas + 1) * sizeof(*arenas));
		size_t nb = arena_bufs(c->nr_arenas);
		void *mem;

		if (!arenas)
			return NULL;
		c->arenas = arenas;
		if (p->map_arenas) {
			mem = mmap(NULL, nb * p->buf_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (mem == MAP_FAILED)
				return NULL;
		} else if (!(mem = hpool_alloc(p->pool, nb * p->buf_size, p->buf_align, false))) {
			return NULL;
		}
		c->arenas[c->nr_arenas++] = mem;
		for (size_t i = 0; i < nb; i++) {
			POISON((uint8_t *)mem + i * p->buf_size, p->buf_size);
			if (ring_put(c, (uint8_t *)mem + i * p->buf_size))
				return NULL;
		}
	}
	if (!b)
		b = ring_take(c);
	UNPOISON(b, p->buf_size);
	return b;
}

/* Drop one frame's bytes into its node's FIFO ring (under that node's
 * lock).  The last frame with bytes of a leaf chunk gives the chunk back to
 * the host when every pfn of the chunk is this node's, so every writer of
 * the chunk holds this lock (a chunk across two nodes stays). */
static void drop_frame(struct phys *p, uint64_t pfn, struct frame *f, void *ctx)
{
	struct pnode *nd = ctx;
	uint8_t *b = f->buf;
	uint16_t *live = fr_live(p, pfn);
	uint64_t c0 = pfn & ~(uint64_t)(FR_CHUNK - 1);

	unseal(p, nd, f);
	__atomic_store_n(&f->buf, NULL, __ATOMIC_RELEASE);
	if (cache_push(p, &nd->cache, b))
		abort(); /* host OOM for a pointer ring */
	if (live && __atomic_sub_fetch(live, 1, __ATOMIC_ACQ_REL) == 0 && p->fr_give_back &&
	    ((c0 >= nd->start && c0 + FR_CHUNK <= nd->end) ||
	     (c0 >= nd->zs[HVO_ZONE_DEVICE] && c0 + FR_CHUNK <= nd->ze[HVO_ZONE_DEVICE])))
		madvise(f - (pfn - c0), FR_CHUNK_BYTES, MADV_DONTNEED);
}

/* Frames of [pfn, pfn + count), all in node n (locked). */
static void drop_frames(struct phys *p, unsigned n, uint64_t pfn, uint64_t count)
{
	fr_for_range(p, pfn, pfn + count, drop_frame, &p->node[n]);
}

/* Lock-free: the frame's bytes, or NULL. */
static uint8_t *frame_bytes(const struct phys *p, uint64_t pfn)
{
	struct frame *f = fr_slot(p, pfn, false);

	return f ? __atomic_load_n(&f->buf, __ATOMIC_ACQUIRE) : NULL;
}

/* Node n's lock is held and pfn is in node n. */
static uint8_t *frame_create_nolock(struct phys *p, unsigned n, uint64_t pfn)
{
	struct frame *f;
	uint16_t *live;
	uint8_t *b;

	if (!lookup_nolock(p, n, pfn, NULL) || !(f = fr_slot(p, pfn, true)))
		return NULL;
	if (f->buf)
		return f->buf;
	b = cache_pop(p, &p->node[n].cache);
	if (!b)
		return NULL;
	f->seal = NIL;
	__atomic_store_n(&f->buf, b, __ATOMIC_RELEASE);
	if ((live = fr_live(p, pfn)))
		__atomic_add_fetch(live, 1, __ATOMIC_ACQ_REL);
	return b;
}

static int seal_nolock(struct phys *p, struct pnode *nd, uint64_t pfn)
{
	struct frame *f = fr_slot(p, pfn, false);

	if (!f || !f->buf)
		return -HVO_EINVAL;
	if (f->seal != NIL)
		return 0;
	if (nd->nr_sealed == nd->sealed_cap) {
		size_t cap = nd->sealed_cap ? 2 * nd->sealed_cap : 16;
		struct sealed *s = realloc(nd->sealed, cap * sizeof(*s));

		if (!s)
			return -HVO_ENOMEM;
		nd->sealed = s;
		nd->sealed_cap = cap;
	}
	if (mprotect(f->buf, p->buf_size, PROT_READ))
		return -errno;
	/* Entry first, count second: a fault handler may be reading. */
	nd->sealed[nd->nr_sealed] = (struct sealed){ pfn, f->buf };
	__atomic_store_n(&f->seal, nd->nr_sealed, __ATOMIC_RELAXED);
	__atomic_store_n(&nd->nr_sealed, nd->nr_sealed + 1, __ATOMIC_RELEASE);
	return 0;
}

static int unseal_nolock(struct phys *p, struct pnode *nd, uint64_t pfn)
{
	struct frame *f = fr_slot(p, pfn, false);

	return f && f->buf ? unseal(p, nd, f) : -HVO_EINVAL;
}

uint64_t phys_frame_table_resident(const struct phys *p)
{
	uint64_t n = 0;
	unsigned char v[SLAB_MAX_LEAVES * sizeof(struct fr_leaf) / FR_CHUNK_BYTES];

	for (size_t i = 0; i < p->nr_slabs; i++) {
		size_t pages = slab_leaves(i) * sizeof(struct fr_leaf) / FR_CHUNK_BYTES;

		if (!p->fr_give_back || mincore(p->slabs[i], pages * FR_CHUNK_BYTES, v))
			return UINT64_MAX;
		for (size_t k = 0; k < pages; k++)
			n += v[k] & 1;
	}
	return n;
}

/* No allocation, no locks: callable from a SIGSEGV handler. */
bool phys_addr_in_sealed_frame(const struct phys *p, const void *addr, uint64_t *pfn)
{
	for (unsigned k = 0; k < p->nr_nodes; k++) {
		const struct pnode *nd = &p->node[k];
		size_t n = __atomic_load_n(&nd->nr_sealed, __ATOMIC_ACQUIRE);

		for (size_t i = 0; i < n; i++)
			if ((uintptr_t)addr - (uintptr_t)nd->sealed[i].buf < p->buf_size) {
				if (pfn)
					*pfn = nd->sealed[i].pfn;
				return true;
			}
	}
	return false;
}

/* ------------------------------------------------------------ self-check */

#define FAIL(...) do { if (err) snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

struct fr_check { uint64_t seen[HVO_MAX_NODES]; uint64_t bad_pfn; const char *bad; };

static void check_frame(struct phys *p, uint64_t pfn, struct frame *f, void *ctx)
{
	struct fr_check *c = ctx;
	const struct pnode *nd;
	unsigned n;
	int z;

	if (c->bad)
		return;
	c->bad_pfn = pfn;
	if (locate(p, pfn, &n, &z) || !lookup_nolock(p, n, pfn, NULL)) {
		c->bad = "has bytes but is not allocated";
		return;
	}
	nd = &p->node[n];
	if (f->seal != NIL) {
		c->seen[n]++;
		if (f->seal >= nd->nr_sealed || nd->sealed[f->seal].pfn != pfn || nd->sealed[f->seal].buf != f->buf)
			c->bad = "sealed index broken";
	}
}

int phys_check(const struct phys *p, char *err, size_t errlen)
{
	uint64_t sites[HVO_NR_SITES] = { 0 }, nfree = 0, ffree = 0, falloc = 0, seen = 0, used = 1, offline = 0;
	struct phys_alloc_info *v;
	struct fr_check fc = { { 0 }, 0, NULL };
	uint64_t nv = 0;

	for (unsigned rn = 0; rn < p->nr_nodes; rn++) {
		const struct pnode *rnd = &p->node[rn];
		uint64_t parked = 0, pcp_recs = 0;

		for (uint64_t i = 0; i < rnd->recs.cap; i++) {
			const struct rec *r = ht_slot(&rnd->recs, i);
			uint64_t sz;
			unsigned n, n2;
			int z, z2;
			const struct zrange *zr;

			if (r->pfn == NIL)
				continue;
			if (rec_find(rnd, r->pfn) != r)
				FAIL("record 0x%llx unreachable in the hash", (unsigned long long)r->pfn);
			sz = 1ull << r->order;
			if (r->order > p->max_order || r->pfn & (sz - 1))
				FAIL("block 0x%llx order %u misaligned", (unsigned long long)r->pfn, r->order);
			if (locate(p, r->pfn, &n, &z) || locate(p, r->pfn + sz - 1, &n2, &z2) || n != n2 || n != rn)
				FAIL("block 0x%llx order %u outside a node", (unsigned long long)r->pfn, r->order);
			pcp_recs += r->state == REC_PCP;
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
			zr = zr_of(rnd, r->pfn);
			if (r->state != REC_FREE || z != z2 || !zr || r->pfn + sz > zr->end)
				FAIL("free block 0x%llx bad state or crosses zones", (unsigned long long)r->pfn);
			if (r->order < p->max_order) {
				const struct rec *b = rec_find(rnd, r->pfn ^ sz);

				if (b && b->state == REC_FREE && b->order == r->order && b->pfn >= zr->start &&
				    b->pfn + sz <= zr->end)
					FAIL("free buddies 0x%llx and 0x%llx not merged", (unsigned long long)r->pfn,
					     (unsigned long long)b->pfn);
			}
			nfree++;
			ffree += sz;
		}
		for (int z = 0; z < HVO_NR_ZONES; z++)
			for (unsigned i = 0; i < rnd->pcp_n[z]; i++) {
				const struct rec *r = rec_find(rnd, rnd->pcp[z][i]);

				if (!r || r->state != REC_PCP)
					FAIL("pcp list %u/%d holds 0x%llx, not a parked page", rn, z,
					     (unsigned long long)rnd->pcp[z][i]);
				parked++;
			}
		if (parked != pcp_recs)
			FAIL("%llu pages on pcp lists, %llu parked records", (unsigned long long)parked,
			     (unsigned long long)pcp_recs);
		used += rnd->recs.used;
	}
	if (nfree != phys_nr_free_blocks(p) || ffree != phys_free_frames(p))
		FAIL("free counts %llu/%llu, records say %llu/%llu", (unsigned long long)phys_nr_free_blocks(p),
		     (unsigned long long)phys_free_frames(p), (unsigned long long)nfree, (unsigned long long)ffree);
	for (int s = 0; s < HVO_NR_SITES; s++)
		if (sites[s] != phys_frames_by_site(p, s))
			FAIL("site %d: %llu frames counted, %llu live", s, (unsigned long long)phys_frames_by_site(p, s),
			     (unsigned long long)sites[s]);
	for (unsigned n = 0; n < p->nr_nodes; n++)
		offline += p->node[n].offline ? p->node[n].end - p->node[n].start : 0;
	if (p->buddy_ready && ffree + falloc + offline != p->total)
		FAIL("free %llu + allocated %llu + offline %llu != total %llu", (unsigned long long)ffree,
		     (unsigned long long)falloc, (unsigned long long)offline, (unsigned long long)p->total);
	/* Every list: linked both ways, right order and zone. */
	for (unsigned n = 0; n < p->nr_nodes; n++)
		for (int z = 0; z < HVO_NR_ZONES; z++)
			for (unsigned o = 0; o <= p->max_order; o++) {
				uint64_t prev = NIL;

				for (uint64_t at = *list_head((struct phys *)p, n, z, o); at != NIL;) {
					const struct rec *r = rec_find(&p->node[n], at);

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
	v = malloc(used * sizeof(*v));
	if (!v)
		FAIL("out of host memory");
	for (unsigned n = 0; n < p->nr_nodes; n++)
		for (uint64_t i = 0; i < p->node[n].recs.cap; i++) {
			const struct rec *r = ht_slot(&p->node[n].recs, i);

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
	/* Frame bytes only for live frames; the sealed sets match. */
	fr_for_range((struct phys *)p, 0, UINT64_MAX, check_frame, &fc);
	if (fc.bad)
		FAIL("frame 0x%llx %s", (unsigned long long)fc.bad_pfn, fc.bad);
	for (unsigned n = 0; n < p->nr_nodes; n++)
		if (fc.seen[n] != p->node[n].nr_sealed)
			FAIL("node %u: %llu sealed frames, %zu in the sealed set", n, (unsigned long long)fc.seen[n],
			     p->node[n].nr_sealed);
	return 0;
}

/* ------------------------------------------------------------ locked entry points */

int phys_alloc(struct phys *p, int site, unsigned node, int zone, unsigned order, unsigned gfp, uint64_t *pfn)
{
	return alloc_locked(p, site, node, zone, order, gfp, pfn);
}

int phys_free(struct phys *p, uint64_t pfn, unsigned order)
{
	unsigned n;
	int z, r;

	if (locate(p, pfn, &n, &z))
		return -HVO_EINVAL;
	node_lock(p, n);
	r = free_nolock(p, n, z, pfn, order);
	node_unlock(p, n);
	return r;
}

int phys_split_to(struct phys *p, uint64_t pfn, unsigned order, unsigned new_order)
{
	unsigned n;
	int z, r;

	if (locate(p, pfn, &n, &z))
		return -HVO_EINVAL;
	node_lock(p, n);
	r = split_to_nolock(&p->node[n], pfn, order, new_order);
	node_unlock(p, n);
	return r;
}

int phys_split(struct phys *p, uint64_t pfn, unsigned order)
{
	return phys_split_to(p, pfn, order, 0);
}

bool phys_lookup_node(const struct phys *p, uint64_t pfn, struct phys_alloc_info *out, int *node)
{
	unsigned n;
	int z;
	bool r;

	*node = -1;
	if (locate(p, pfn, &n, &z))
		return false;
	*node = (int)n;
	node_lock(p, n);
	r = lookup_nolock(p, n, pfn, out);
	node_unlock(p, n);
	return r;
}

bool phys_lookup(const struct phys *p, uint64_t pfn, struct phys_alloc_info *out)
{
	int n;

	return phys_lookup_node(p, pfn, out, &n);
}

bool phys_drain_pcp(struct phys *p)
{
	return drain_pcp_all(p);
}

/* Finding bytes takes no lock; making them takes the node's. */
uint8_t *phys_frame(struct phys *p, uint64_t pfn, bool create)
{
	uint8_t *r = frame_bytes(p, pfn);
	unsigned n;
	int z;

	if (r || !create || locate(p, pfn, &n, &z))
		return r;
	node_lock(p, n);
	r = frame_create_nolock(p, n, pfn);
	node_unlock(p, n);
	return r;
}

int phys_frame_seal(struct phys *p, uint64_t pfn)
{
	unsigned n;
	int z, r;

	if (locate(p, pfn, &n, &z))
		return -HVO_EINVAL;
	node_lock(p, n);
	r = seal_nolock(p, &p->node[n], pfn);
	node_unlock(p, n);
	return r;
}

int phys_frame_unseal(struct phys *p, uint64_t pfn)
{
	unsigned n;
	int z, r;

	if (locate(p, pfn, &n, &z))
		return -HVO_EINVAL;
	node_lock(p, n);
	r = unseal_nolock(p, &p->node[n], pfn);
	node_unlock(p, n);
	return r;
}

bool phys_frame_sealed(const struct phys *p, uint64_t pfn)
{
	struct frame *f = fr_slot(p, pfn, false);

	return f && __atomic_load_n(&f->buf, __ATOMIC_ACQUIRE) && __atomic_load_n(&f->seal, __ATOMIC_RELAXED) != NIL;
}

/* ------------------------------------------------------------ clone */

/* A copy of s for machine_reset.c: the same records, free lists, frame
 * bytes and sealed set, in host memory of its own (from pool), with the
 * node locks going through sync.  The buffer caches start empty: which
 * host buffer a frame gets is no part of the model's state.  With
 * zero_frames (a test-only break of the reset, HVO_RESET_BREAK_FRAMES)
 * every frame's bytes come out zeroed instead of copied. */
static void clone_frame(struct phys *s, uint64_t pfn, struct frame *f, void *ctx)
{
	struct phys *p = ((struct phys **)ctx)[0];
	bool zero = ((struct phys **)ctx)[1] != NULL;
	unsigned n;
	int z;
	uint8_t *b;

	(void)s;
	if (!p || locate(p, pfn, &n, &z) || !(b = frame_create_nolock(p, n, pfn))) {
		((struct phys **)ctx)[0] = NULL;  /* host OOM: the caller gives up */
		return;
	}
	if (zero)
		memset(b, 0, p->page_size);
	else
		memcpy(b, f->buf, p->page_size);
}

int phys_clone(const struct phys *s, struct hvo_host_pool *pool, const struct hvo_sync_ops *sync, bool zero_frames,
	       bool map_arenas, struct phys **out)
{
	struct phys *p = hpool_alloc(pool, s->size, _Alignof(struct phys), false);
	struct phys *ctx[2];
	int rc = 0;

	*out = NULL;
	if (!p)
		return -HVO_ENOMEM;
	memcpy(p, s, s->size);
	p->pool = pool;
	p->sync = sync;
	p->map_arenas = map_arenas;
	p->slab_lock = p->shared_lock = false;
	p->slabs = NULL;
	p->nr_slabs = p->slab_left = 0;
	p->spare = NULL;
	memset(&p->shared, 0, sizeof(p->shared));
	for (unsigned n = 0; n < p->nr_nodes; n++) {
		struct pnode *nd = &p->node[n];
		const struct htab *h = &s->node[n].recs;

		memset(&nd->cache, 0, sizeof(nd->cache));
		nd->sealed = NULL;
		nd->nr_sealed = nd->sealed_cap = 0;
		nd->recs.pool = pool;
		nd->recs.mem = NULL;
		if (h->cap && !(nd->recs.mem = hpool_alloc(pool, h->cap * h->esz, 16, false)))
			rc = -HVO_ENOMEM;
		else if (h->cap)
			memcpy(nd->recs.mem, h->mem, h->cap * h->esz);
	}
	p->froot = p->fr_depth ? hpool_alloc(pool, sizeof(struct fr_dir), 16, true) : (void *)leaf_new(p);
	if (rc || !p->froot) {
		for (unsigned n = 0; n < p->nr_nodes; n++)
			if (p->node[n].recs.mem)
				hpool_free(pool, p->node[n].recs.mem, p->node[n].recs.cap * p->node[n].recs.esz, 16);
		if (p->froot)
			fr_free(p, p->froot, p->fr_depth);
		for (size_t i = 0; i < p->nr_slabs; i++)
			hpool_free(pool, p->slabs[i], slab_leaves(i) * sizeof(struct fr_leaf), FR_CHUNK_BYTES);
		free(p->slabs);
		hpool_free(pool, p, p->size, _Alignof(struct phys));
		return -HVO_ENOMEM;
	}
	ctx[0] = p;
	ctx[1] = zero_frames ? p : NULL;
	fr_for_range((struct phys *)s, 0, s->max_pfn, clone_frame, ctx);
	/* sealed in the same order, so the sets compare equal */
	for (unsigned n = 0; ctx[0] && n < p->nr_nodes; n++)
		for (size_t i = 0; i < s->node[n].nr_sealed; i++)
			if (seal_nolock(p, &p->node[n], s->node[n].sealed[i].pfn))
				ctx[0] = NULL;
	if (!ctx[0]) {
		phys_destroy(p);
		return -HVO_ENOMEM;
	}
	*out = p;
	return 0;
}

static void count_frame(struct phys *p, uint64_t pfn, struct frame *f, void *ctx)
{
	(void)p;
	(void)pfn;
	(void)f;
	(*(uint64_t *)ctx)++;
}

uint64_t phys_frames_with_bytes(const struct phys *p)
{
	uint64_t n = 0;

	fr_for_range((struct phys *)p, 0, p->max_pfn, count_frame, &n);
	return n;
}
