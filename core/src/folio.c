// SPDX-License-Identifier: GPL-2.0-only
/*
 * folio.c - the HugeTLB folio lifecycle around HVO (2.6 callers): pool
 * allocation, optimize/restore entry points, free with surplus fallback,
 * dissolve, demote, get/put, and the speculative PFN walker.
 *
 * Every entry point keeps the shadow model up to date from what the
 * operation reported, and (unless skip_op_checks) takes byte snapshots so
 * that a restore can be checked against I8 and a failed optimize against I9.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool folio_optimized(struct hvo_machine *m, const struct folio *f)
{
	return vm_read64(m, page_vaddr(m, f->pfn) + PO_PRIVATE) >> HPG_VMEMMAP_OPTIMIZED & 1;
}

void folio_set_optimized(struct hvo_machine *m, struct folio *f, bool on)
{
	uint64_t va = page_vaddr(m, f->pfn) + PO_PRIVATE, v = vm_read64(m, va);

	v = on ? v | 1ull << HPG_VMEMMAP_OPTIMIZED : v & ~(1ull << HPG_VMEMMAP_OPTIMIZED);
	vm_write64(m, va, v);
}

int folio_refcount(struct hvo_machine *m, const struct folio *f)
{
	return (int32_t)vm_read32(m, page_vaddr(m, f->pfn) + PO_REFCOUNT);
}

uint64_t folio_vmemmap_pages(const struct hvo_machine *m, const struct folio *f)
{
	return hvo_geo_vmemmap_pages(&m->geo, f->order);
}

static struct folio *folio_of(struct hvo_machine *m, int32_t id)
{
	if (id < 0 || (uint32_t)id >= m->nr_folios || !folio_at(m, id)->live)
		return NULL;
	return folio_at(m, id);
}

/* ------------------------------------------------------------- snapshots */

struct snap {
	uint8_t *bytes;  /* the first `taken` of N slots' pages as seen through the vmemmap, NULL: no check */
	uint64_t n, taken;
	size_t cap;
};

/* Snapshot buffers are kept on the machine and reused: a fresh allocation
 * per op page-faults (and under ASan maps) N pages every time. */
static uint8_t *snap_buf(struct hvo_machine *m, size_t need, size_t *cap)
{
	for (unsigned i = m->nr_snap_pool; i-- > 0;)
		if (m->snap_pool[i].cap >= need) {
			uint8_t *b = m->snap_pool[i].buf;

			*cap = m->snap_pool[i].cap;
			m->snap_pool[i] = m->snap_pool[--m->nr_snap_pool];
			return b;
		}
	*cap = need;
	return hpool_alloc(m->cfg.host_pool, need, 16, false);
}

/* I9 (optimize) reads every slot's old bytes: all = true.  I8 (restore)
 * reads slot 0's only, the tails being judged against the oracle's image
 * (check_restored): all = false copies one page, not N, of which N - 1
 * were the same shared tail anyway (issue 16). */
static void snap_take(struct hvo_machine *m, const struct folio *f, struct snap *s, bool all)
{
	uint64_t psz = m->geo.page_size, frame;
	bool rw;

	s->bytes = NULL;
	s->n = folio_vmemmap_pages(m, f);
	s->taken = all ? s->n : 1;
	if (m->cfg.skip_op_checks || !hvo_geo_optimizable(&m->geo, f->order))
		return;
	s->bytes = snap_buf(m, s->taken * psz, &s->cap);
	for (uint64_t i = 0; s->bytes && i < s->taken; i++) {
		uint8_t *b = vm_page_bytes(m, page_vaddr(m, f->pfn) + i * psz, &frame, &rw);

		if (b)
			memcpy(s->bytes + i * psz, b, psz);
	}
}

static void snap_drop(struct hvo_machine *m, struct snap *s)
{
	if (s->bytes && m->nr_snap_pool < SNAP_POOL)
		m->snap_pool[m->nr_snap_pool++] = (struct snap_buf){ s->bytes, s->cap };
	else
		free(s->bytes);  /* not to the pool: ASan's quarantine catches a stale use */
	s->bytes = NULL;
}

static const uint8_t *slot_bytes(struct hvo_machine *m, const struct folio *f, uint64_t i, uint64_t *frame,
				 bool *rw)
{
	return vm_page_bytes(m, page_vaddr(m, f->pfn) + i * m->geo.page_size, frame, rw);
}

/* Slot 0 bytes equal but for what others may write there meanwhile:
 * memory_failure marks the head (PG_hwpoison) and keeps the raw page in
 * page[3] under hugetlb_lock, whatever the vmemmap is doing (op
 * hwpoison as an injected racer). */
static bool slot0_equal(const struct hvo_machine *m, const uint8_t *live, const uint8_t *snap)
{
	size_t psz = m->geo.page_size, raw = 3 * (size_t)m->geo.struct_page_size + F3_HWPOISON;
	size_t end = raw + 8 <= psz ? raw : psz;   /* raw >= 232: after the flags word */
	uint64_t a, b;

	memcpy(&a, live + PO_FLAGS, 8);
	memcpy(&b, snap + PO_FLAGS, 8);
	return !memcmp(live, snap, PO_FLAGS) && !((a ^ b) & ~(1ull << PG_HWPOISON)) &&
	       !memcmp(live + PO_FLAGS + 8, snap + PO_FLAGS + 8, end - (PO_FLAGS + 8)) &&
	       (end == psz || !memcmp(live + raw + 8, snap + raw + 8, psz - raw - 8));
}

/* I9: a failed optimize leaves every slot's bytes as they were, no tail
 * mapped.  A tail slot the rollback rebuilt is a copy of the shared tail
 * (G1: of slot 0), so it equals its old bytes in the fields I4 names, not
 * in lru.prev and last_cpupid (D12); slot 0 to the byte. */
static void check_rolled_back(struct hvo_machine *m, const struct folio *f, int32_t id, const struct snap *s)
{
	uint64_t psz = m->geo.page_size, tail = g2_tail_pfn(m, f->node, f->zone, f->order), frame;
	bool rw;

	if (!s->bytes)
		return;
	for (uint64_t i = 0; i < s->n; i++) {
		const uint8_t *b = slot_bytes(m, f, i, &frame, &rw);

		if (tail && frame == tail - 1)
			hvo_violate(m, 9, f->pfn, id, "failed optimize left slot %llu mapped to the shared tail",
				    (unsigned long long)i);
		else if (!b || (i == 0 ? !slot0_equal(m, b, s->bytes) : !oracle_tail_equal(m, s->bytes + i * psz, b)))
			hvo_violate(m, 9, f->pfn, id, "failed optimize changed the bytes of slot %llu",
				    (unsigned long long)i);
	}
}

/* I8: after restore, slot 0 is as before (but for the flag) and every other
 * slot is a fresh RW page holding the canonical tail image. */
static void check_restored(struct hvo_machine *m, const struct folio *f, int32_t id, const struct snap *s)
{
	uint64_t psz = m->geo.page_size, frame, priv;
	uint8_t *img;
	bool rw;

	if (!s->bytes)
		return;
	img = hpool_alloc(m->cfg.host_pool, psz, 16, false);
	if (!img)
		return;
	oracle_tail_image(m, f->node, f->zone, f->order, page_vaddr(m, f->pfn), img);
	/* the optimized flag is the one byte restore is meant to change in slot 0 */
	memcpy(&priv, s->bytes + PO_PRIVATE, 8);
	priv &= ~(1ull << HPG_VMEMMAP_OPTIMIZED);
	memcpy(s->bytes + PO_PRIVATE, &priv, 8);
	for (uint64_t i = 0; i < s->n; i++) {
		const uint8_t *b = slot_bytes(m, f, i, &frame, &rw);

		if (!b || !rw)
			hvo_violate(m, 8, f->pfn, id, "slot %llu not writable after restore", (unsigned long long)i);
		else if (i == 0 && !slot0_equal(m, b, s->bytes))
			hvo_violate(m, 8, f->pfn, id, "restore changed slot 0 (the head page)");
		else if (i > 0 && !oracle_tail_equal(m, img, b))
			hvo_violate(m, 8, f->pfn, id, "slot %llu differs from the canonical tail image after restore",
				    (unsigned long long)i);
	}
	hpool_free(m->cfg.host_pool, img, psz, 16);
}

/* ------------------------------------------------------------- helpers */

static bool in_pool(const struct folio *f)
{
	return f->state == HVO_FOLIO_FREE || f->state == HVO_FOLIO_SURPLUS;
}

/* A live folio in the pool (free or surplus, frozen) that no operation holds. */
int pool_folio(struct hvo_machine *m, int32_t id, struct folio **out)
{
	*out = folio_of(m, id);
	if (!*out)
		return -HVO_ENOENT;
	return in_pool(*out) && !(*out)->busy ? 0 : -HVO_EBUSY;
}

int32_t folio_new(struct hvo_machine *m, uint64_t pfn, unsigned order)
{
	struct folio *f;

	/* Chunks never move: an operation keeps its folio pointer while an
	 * injected racer allocates more folios. */
	if (m->nr_folios % FOLIO_CHUNK == 0) {
		uint32_t chunks = m->nr_folios / FOLIO_CHUNK + 1;
		struct folio **n = realloc(m->folio_chunks, chunks * sizeof(*n));

		if (!n)
			return -1;
		m->folio_chunks = n;
		n[chunks - 1] = hpool_alloc(m->cfg.host_pool, FOLIO_CHUNK_SIZE, _Alignof(struct folio), true);
		if (!n[chunks - 1])
			return -1;
	}
	f = folio_at(m, m->nr_folios);
	memset(f, 0, sizeof(*f));
	f->id = (int32_t)m->nr_folios;
	f->pfn = pfn;
	f->order = order;
	f->node = (unsigned)phys_node_of(m->phys, pfn);
	f->zone = phys_zone_of(m->phys, pfn);
	f->state = HVO_FOLIO_FREE;
	f->live = true;
	/* what a kernel pointer to the hugetlb subpool looks like */
	f->tag = 0xffff888000000000ull | (uint64_t)m->nr_folios << 6;
	return (int32_t)m->nr_folios++;
}

/* The flag as the oracle reads it: the page tables, never a CPU's TLB. */
static bool seen_optimized(struct hvo_machine *m, const struct folio *f)
{
	bool on;

	observe_begin(m);
	on = folio_optimized(m, f);
	observe_end(m);
	return on;
}

static bool would_optimize(struct hvo_machine *m, struct folio *f)
{
	return m->enabled && hvo_geo_optimizable(&m->geo, f->order) && !seen_optimized(m, f);
}

/* Single-folio optimize with the I9 check and the shadow update. */
static int optimize_checked(struct hvo_machine *m, int32_t id)
{
	struct folio *f = folio_at(m, id);
	bool expect = would_optimize(m, f);
	struct snap s;
	int rc;

	snap_take(m, f, &s, true);
	f->busy = true;
	rc = g2_optimize_folio(m, f);
	f = folio_at(m, id);
	f->busy = false;
	if (rc < 0 && rc != -HVO_EINCOMPLETE)
		check_rolled_back(m, f, id, &s);
	snap_drop(m, &s);
	if ((rc == 0 && expect) || rc == -HVO_EINCOMPLETE)
		shadow_set_optimized(m->shadow, id, true);
	return rc;
}

int restore_checked(struct hvo_machine *m, int32_t id)
{
	struct folio *f = folio_at(m, id);
	bool was = seen_optimized(m, f);
	struct snap s = { NULL, 0, 0, 0 };
	int rc;

	if (was)
		snap_take(m, f, &s, false);
	f->busy = true;
	rc = g2_restore_folio(m, f);
	f = folio_at(m, id);
	f->busy = false;
	if (rc == 0 && was) {
		check_restored(m, f, id, &s);
		shadow_set_optimized(m->shadow, id, false);
	}
	snap_drop(m, &s);
	return rc;
}

static int check_order(struct hvo_machine *m, unsigned order)
{
	/* hugetlb_add_hstate: below order_base_2(__NR_USED_SUBPAGE) refused; above
	 * MAX_FOLIO_ORDER only a warning upstream, refused here unless B18. */
	unsigned max = m->geo.max_folio_order + (hook_folio_order_unchecked(m) ? 2 : 0);

	if (order < 2 || order > max)
		return -HVO_EINVAL;
	return 0;
}

static int alloc_one(struct hvo_machine *m, unsigned order, unsigned node, int zone, int32_t *id)
{
	uint64_t pfn;
	int rc;

	if (check_order(m, order) || node >= m->cfg.nr_nodes || zone < -1 || zone >= HVO_NR_ZONES)
		return -HVO_EINVAL;
	rc = mach_alloc(m, HVO_SITE_HUGETLB_FOLIO, node, zone, order, PHYS_GFP_ANYZONE | PHYS_GFP_THISNODE, &pfn);
	if (rc)
		return rc;
	*id = folio_new(m, pfn, order);
	if (*id < 0) {
		mach_free(m, pfn, order);
		return -HVO_ENOMEM;
	}
	{
		struct folio *f = folio_at(m, *id);

		prep_hugetlb_folio(m, f);
		shadow_add(m->shadow, *id, f->pfn, f->order, (int)node);
		account_new_hugetlb_folio(m, f);
	}
	return 0;
}

/* ------------------------------------------------------------ public API */

static int do_folio_alloc(struct hvo_machine *m, unsigned order, unsigned node, int zone, int32_t *id)
{
	int rc = alloc_one(m, order, node, zone, id);
	uint64_t type_va;

	if (rc)
		return rc;
	type_va = page_vaddr(m, folio_at(m, *id)->pfn) + PO_MAPCOUNT;
	/* B4: optimized before the hugetlb page type is set (d8f5f7e445f0). */
	if (hook_optimize_before_hugetlb_type(m))
		vm_write32(m, type_va, (uint32_t)-1);
	/* The kernel ignores a failed optimize here: the folio is simply not optimized. */
	optimize_checked(m, *id);
	if (hook_optimize_before_hugetlb_type(m))
		vm_write32(m, type_va, PAGE_TYPE_HUGETLB);
	return 0;
}

/* f is among the first k of a batch's list already (a stream may name a
 * folio twice). */
static bool listed(struct folio *const *fs, unsigned k, const struct folio *f)
{
	for (unsigned j = 0; j < k; j++)
		if (fs[j] == f)
			return true;
	return false;
}

static void optimize_batch(struct hvo_machine *m, const int32_t *ids, unsigned n)
{
	struct folio **fs = calloc(n ? n : 1, sizeof(*fs));
	struct snap *snaps = calloc(n ? n : 1, sizeof(*snaps));
	bool *expect = calloc(n ? n : 1, sizeof(*expect));
	unsigned k = 0;

	if (!fs || !snaps || !expect)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		struct folio *f = folio_of(m, ids[i]);

		if (!f || listed(fs, k, f) || !in_pool(f) || f->busy)
			continue;
		expect[k] = would_optimize(m, f);
		snap_take(m, f, &snaps[k], true);
		f->busy = true;
		fs[k++] = f;
	}
	g2_optimize_folios(m, fs, k);
	for (unsigned i = 0; i < k; i++) {
		int32_t id = fs[i]->id;
		bool opt = seen_optimized(m, fs[i]);

		fs[i]->busy = false;
		if (expect[i] && !opt)
			check_rolled_back(m, fs[i], id, &snaps[i]);
		/* the batch reports no per-folio result: the shape checks (I3/I7) judge it */
		shadow_set_optimized(m->shadow, id, opt);
		snap_drop(m, &snaps[i]);
	}
out:
	free(fs);
	free(snaps);
	free(expect);
}

static int do_folio_alloc_batch(struct hvo_machine *m, unsigned order, unsigned node, int zone, unsigned n,
			  int32_t *ids)
{
	unsigned got = 0;

	while (got < n && alloc_one(m, order, node, zone, &ids[got]) == 0)
		got++;
	optimize_batch(m, ids, got);
	return (int)got;
}

static int do_folio_optimize(struct hvo_machine *m, int32_t id)
{
	struct folio *f;
	int rc = pool_folio(m, id, &f);

	if (rc)
		return rc;
	return optimize_checked(m, id);
}

static int do_folio_restore(struct hvo_machine *m, int32_t id)
{
	struct folio *f;
	int rc = pool_folio(m, id, &f);

	if (rc)
		return rc;
	return restore_checked(m, id);
}

static int do_folios_optimize(struct hvo_machine *m, const int32_t *ids, unsigned n)
{
	optimize_batch(m, ids, n);
	return 0;
}

/* hugetlb_vmemmap_restore_folios over fs[0..n) (each busy, the caller's)
 * with the I8 check of each folio it restored. */
int folios_restore_checked(struct hvo_machine *m, struct folio **fs, unsigned n, unsigned *restored)
{
	struct snap *snaps = calloc(n ? n : 1, sizeof(*snaps));
	bool *busy = calloc(n ? n : 1, sizeof(*busy));
	int rc;

	*restored = 0;
	if (!snaps || !busy) {
		free(snaps);
		free(busy);
		return -HVO_ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		if (seen_optimized(m, fs[i]))
			snap_take(m, fs[i], &snaps[i], false);
		busy[i] = fs[i]->busy;
		fs[i]->busy = true;
	}
	rc = g2_restore_folios(m, fs, n, restored);
	for (unsigned i = 0; i < n; i++) {
		int32_t id = fs[i]->id;

		fs[i]->busy = busy[i];
		if (snaps[i].bytes && !seen_optimized(m, fs[i])) {
			check_restored(m, fs[i], id, &snaps[i]);
			shadow_set_optimized(m->shadow, id, false);
		}
		snap_drop(m, &snaps[i]);
	}
	free(snaps);
	free(busy);
	return rc;
}

static int do_folios_restore(struct hvo_machine *m, const int32_t *ids, unsigned n)
{
	struct folio **fs = calloc(n ? n : 1, sizeof(*fs));
	unsigned k = 0, restored = 0;
	int rc;

	if (!fs)
		return -HVO_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct folio *f = folio_of(m, ids[i]);

		if (!f || listed(fs, k, f) || !in_pool(f) || f->busy)
			continue;
		f->busy = true;
		fs[k++] = f;
	}
	rc = folios_restore_checked(m, fs, k, &restored);
	for (unsigned i = 0; i < k; i++)
		fs[i]->busy = false;
	free(fs);
	return rc ? rc : (int)restored;
}

/* Give the folio's memory back to the buddy allocator: folio_put of the
 * compound page, free_pages_prepare on its struct pages (D12). */
void folio_release(struct hvo_machine *m, int32_t id)
{
	struct folio *f = folio_at(m, id);

	free_pages_prepare(m, f);
	mach_free(m, f->pfn, f->order);
	f->live = false;
	shadow_remove(m->shadow, id);
}

/* dissolve_free_hugetlb_folio(): remove_hugetlb_folio, restore, and on
 * failure add_hugetlb_folio back (offlining fails); else free. */
static int do_folio_dissolve(struct hvo_machine *m, int32_t id)
{
	struct folio *f;
	int rc = pool_folio(m, id, &f);
	bool surplus;

	if (rc)
		return rc;
	surplus = f->state == HVO_FOLIO_SURPLUS;
	f->busy = true;
	remove_hugetlb_folio(m, f, surplus);
	f->busy = false;
	if (folio_optimized(m, f) && restore_checked(m, id)) {
		add_hugetlb_folio(m, folio_at(m, id), surplus);
		return -HVO_EBUSY;   /* offlining fails */
	}
	update_and_free_restored(m, folio_at(m, id));
	return 0;
}

int dissolve_free_hugetlb_folio(struct hvo_machine *m, int32_t id)
{
	return do_folio_dissolve(m, id);
}

/* The split loop of demote_free_hugetlb_folios for one folio whose
 * vmemmap is there: its allocation becomes 2^(order - new_order) folios
 * of new_order, each prepared as a hugetlb folio (init_new_hugetlb_folio),
 * their ids appended at ids.  Returns how many. */
static uint64_t demote_split(struct hvo_machine *m, struct folio *f, unsigned new_order, int32_t *ids)
{
	uint64_t pfn = f->pfn, nr = 1ull << (f->order - new_order);
	int32_t id = f->id;

	if (phys_split_to(m->phys, pfn, f->order, new_order)) {
		hvo_violate(m, 0, pfn, id, "demote could not split the folio's allocation");
		return 0;
	}
	f->live = false;
	for (uint64_t i = 0; i < nr; i++) {
		ids[i] = folio_new(m, pfn + (i << new_order), new_order);
		if (ids[i] < 0)
			abort(); /* host OOM */
		prep_hugetlb_folio(m, folio_at(m, ids[i]));
	}
	shadow_demote(m->shadow, id, ids, nr, new_order);
	return nr;
}

/* A folio demote_pool_huge_page takes from the free list: free (not
 * surplus: the model's demote shrinks the persistent pool), held by no
 * one, of a larger order, not hwpoisoned. */
static int demote_candidate(struct hvo_machine *m, struct folio *f, unsigned new_order)
{
	if (new_order < 2 || new_order >= f->order)
		return -HVO_EINVAL;
	if (f->state != HVO_FOLIO_FREE || f->busy || folio_test_hwpoison(m, f))
		return -HVO_EBUSY;
	return 0;
}

/* demote_pool_huge_page + demote_free_hugetlb_folios (6.12): remove the
 * folios from the pool, restore their vmemmap as one batch (which stops
 * at the first failure), split every folio the batch left with its
 * vmemmap, optimize all the new folios as one batch
 * (prep_and_add_allocated_folios), and add the folios still optimized
 * back to the pool.  H3 splits those too. */
static int demote_folios(struct hvo_machine *m, struct folio **fs, unsigned k, unsigned new_order)
{
	uint64_t total = 0, nr = 0;
	unsigned restored, demoted = 0;
	int32_t *ids;
	int rc;

	for (unsigned i = 0; i < k; i++) {
		fs[i]->busy = true;
		remove_hugetlb_folio(m, fs[i], false);
		total += 1ull << (fs[i]->order - new_order);
	}
	ids = calloc(total ? total : 1, sizeof(*ids));
	if (!ids)
		abort(); /* host OOM */
	rc = folios_restore_checked(m, fs, k, &restored);
	for (unsigned i = 0; i < k; i++) {
		if (folio_optimized(m, fs[i]) && !hook_demote_splits_unrestored(m))
			continue;
		fs[i]->busy = false;
		nr += demote_split(m, fs[i], new_order, ids + nr);
		fs[i] = NULL;
		demoted++;
	}
	optimize_batch(m, ids, (unsigned)nr);
	for (uint64_t i = 0; i < nr; i++)
		account_new_hugetlb_folio(m, folio_at(m, ids[i]));
	free(ids);
	/* the folios the batch could not restore: back to the source pool */
	for (unsigned i = 0; i < k; i++)
		if (fs[i]) {
			fs[i]->busy = false;
			add_hugetlb_folio(m, fs[i], false);
		}
	return rc < 0 ? rc : (int)demoted;
}

static int do_folios_demote(struct hvo_machine *m, const int32_t *ids, unsigned n, unsigned new_order)
{
	struct folio **fs = calloc(n ? n : 1, sizeof(*fs));
	unsigned k = 0;
	int rc;

	if (!fs)
		return -HVO_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct folio *f = folio_of(m, ids[i]);

		if (f && !listed(fs, k, f) && !demote_candidate(m, f, new_order))
			fs[k++] = f;
	}
	/* nothing to demote: demote_pool_huge_page's -EBUSY */
	rc = k ? demote_folios(m, fs, k, new_order) : -HVO_EBUSY;
	free(fs);
	return rc;
}

/* One folio: a batch of one, with the reason a folio cannot go. */
static int do_folio_demote(struct hvo_machine *m, int32_t id, unsigned new_order)
{
	struct folio *f = folio_of(m, id);
	int rc;

	if (!f)
		return -HVO_ENOENT;
	rc = demote_candidate(m, f, new_order);
	if (rc)
		return rc;
	rc = demote_folios(m, &f, 1, new_order);
	return rc < 0 ? rc : 0;
}

/*
 * dequeue_hugetlb_folio_node_exact@6.12.118: under hugetlb_lock the folio
 * leaves the free list, then page_ref_unfreeze(1).  A racer that needs the
 * pool (demote, dissolve, shrink) cannot come in between: without the lock
 * an injected demote at the unfreeze split the very folio being handed out
 * and the unfreeze wrote refcount 1 into a free order-5 folio (I13, found by
 * fuzz_ops on 2026-12-06, a false positive of the model).
 */
static int do_folio_get(struct hvo_machine *m, int32_t id)
{
	struct folio *f;
	int rc;

	mlock(m, HVO_LOCK_HUGETLB);
	rc = pool_folio(m, id, &f);
	if (!rc) {
		dequeue_hugetlb_folio(m, f);
		/* the head is private and RW even when optimized */
		vm_store_release32(m, page_vaddr(m, f->pfn) + PO_REFCOUNT, 1, "page_ref_unfreeze");
	}
	munlock(m, HVO_LOCK_HUGETLB);
	return rc;
}

/* folio_put(): folio_put_testzero() decrements; only the put that takes
 * the count to 0 frees.  A put that is not the last leaves the folio in
 * use to the holder of the other reference (a walker's speculative get,
 * do_walk_pfn), whose put frees it (M1). */
static int do_folio_put(struct hvo_machine *m, int32_t id)
{
	struct folio *f = folio_of(m, id);

	if (!f)
		return -HVO_ENOENT;
	if (f->state != HVO_FOLIO_IN_USE || f->put_done)
		return -HVO_EINVAL;
	f->put_done = true;
	if (vm_sub_return32(m, page_vaddr(m, f->pfn) + PO_REFCOUNT, 1, "folio_put") == 0)
		free_huge_folio(m, f);
	return 0;
}

/* The in-use folio whose head struct page is at va, or NULL. */
static struct folio *in_use_folio_at(struct hvo_machine *m, uint64_t va)
{
	uint64_t pfn = (va - m->vbase) / m->geo.struct_page_size;

	for (uint32_t i = 0; i < m->nr_folios; i++) {
		struct folio *f = folio_at(m, i);

		if (f->live && f->pfn == pfn && __atomic_load_n(&f->state, __ATOMIC_ACQUIRE) == HVO_FOLIO_IN_USE)
			return f;
	}
	return NULL;
}

/* put_page() of a walker's speculative reference: folio_put(); when it is
 * the last reference (its owner put meanwhile) the walker frees the folio
 * (M1).  The point keeps the name page_ref_add_unless, the atomic it was
 * modelled with: committed schedules count its hits. */
static void walker_put_page(struct hvo_machine *m, uint64_t va)
{
	struct folio *f;

	if (vm_sub_return32(m, va + PO_REFCOUNT, 1, "page_ref_add_unless") != 0)
		return;
	f = in_use_folio_at(m, va);
	if (f)
		free_huge_folio(m, f);
}

int hvo_folio_state(const struct hvo_machine *m, int32_t id)
{
	const struct folio *f;

	if (id < 0 || (uint32_t)id >= m->nr_folios || !folio_at(m, id)->live)
		return -HVO_ENOENT;
	f = folio_at(m, id);
	return (int)__atomic_load_n(&f->state, __ATOMIC_ACQUIRE);
}

int hvo_folio_info(const struct hvo_machine *cm, int32_t id, struct hvo_folio_info *out)
{
	struct hvo_machine *m = (struct hvo_machine *)cm; /* reads may materialise frames */
	struct folio *f = folio_of(m, id);

	if (!f)
		return -HVO_ENOENT;
	out->id = id;
	out->pfn = f->pfn;
	out->order = f->order;
	out->node = f->node;
	out->zone = f->zone;
	out->state = __atomic_load_n(&f->state, __ATOMIC_ACQUIRE);
	observe_begin(m);
	out->optimized = folio_optimized(m, f);
	out->refcount = folio_refcount(m, f);
	observe_end(m);
	return 0;
}

unsigned hvo_folio_list(const struct hvo_machine *m, int32_t *ids, unsigned max)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < m->nr_folios; i++)
		if (folio_at(m, i)->live) {
			if (n < max)
				ids[n] = (int32_t)i;
			n++;
		}
	return n < max ? n : max;
}

unsigned hvo_folio_count(const struct hvo_machine *m)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < m->nr_folios; i++)
		n += folio_at(m, i)->live;
	return n;
}

/* get_page_unless_zero(page) = page_ref_add_unless(page, 1, 0) on the
 * struct page at va.  G1 (spec 5.2, [LEG-PF]): inside the RCU read side,
 * page_count_writable() - an acquire read of the refcount (bail on 0), then
 * the fake-head test - before the add, so a walker never writes to a fake
 * head, a read-only alias of the head (I10).  Mutants: B1 is the helper as
 * it was before bd225530a4c7 (a plain add_unless: no RCU, no test); B2 is
 * bd225530a4c7's test order (fake head first, then the count the add reads),
 * which loses to a remap between the two.  G2/G3 dropped both: no read-only
 * struct page has a non-zero refcount (I10). */
static bool get_page_unless_zero(struct hvo_machine *m, uint64_t va)
{
	bool writable, got;

	if (m->cfg.gen != HVO_G1 || hook_speculative_get_unguarded(m))
		return vm_add_unless32(m, va + PO_REFCOUNT, 1, 0);
	rcu_read_lock(m);
	if (hook_fake_head_test_first(m))
		writable = !page_is_fake_head(m, va);
	else
		writable = (int32_t)vm_load_acquire32(m, va + PO_REFCOUNT) != 0 && !page_is_fake_head(m, va);
	got = writable && vm_add_unless32(m, va + PO_REFCOUNT, 1, 0);
	rcu_read_unlock(m);
	return got;
}

/* Speculative PFN walker, no reference held: flags, compound_head, then a
 * speculative get.  own = false: folio_try_get on the head it computed
 * (/proc/kpageflags, memory failure); own = true: get_page_unless_zero on
 * the pfn's own struct page before any compound_head, as compaction's
 * isolate_migratepages_block does - the walker of B1/B2, whose page may have
 * become a fake-head alias by the time it writes. */
/* folio_order() of the head at hva: the first tail's flags, when hva has
 * PG_head; 0 otherwise (or when hva maps nothing: I1 reports that); -1 in
 * weak-memory mode (hvo_page_view.order). */
static int folio_order_at(struct hvo_machine *m, uint64_t hva)
{
	uint64_t frame, tail = hva + m->geo.struct_page_size;
	bool rw;

	if (weak_mode(m))
		return -1;

	/* folio_test_large() then _flags_1: plain reads, no sync point, so
	 * the scheduler's witnesses keep their schedules */
	if (!vm_translate(m, hva, &frame, &rw) || !vm_translate(m, tail, &frame, &rw) ||
	    !(vm_read64(m, hva + PO_FLAGS) >> PG_HEAD & 1))
		return 0;
	return (int)(vm_read64(m, tail + PO_FLAGS) & 0xff);
}

static int do_walk_pfn(struct hvo_machine *m, uint64_t pfn, bool own, struct hvo_page_view *v)
{
	uint64_t va, hva, frame, flags, ref_va;
	bool rw;

	if (pfn >= m->max_pfn || phys_node_of(m->phys, pfn) < 0)
		return -HVO_EINVAL;
	va = page_vaddr(m, pfn);
	if (!vm_translate(m, va, &frame, &rw))
		return -HVO_EINVAL;
	memset(v, 0, sizeof(*v));
	v->pfn = pfn;
	if (own)
		v->got_ref = get_page_unless_zero(m, va);
	flags = vm_read64(m, va + PO_FLAGS);
	hva = compound_head_vaddr(m, va);
	v->head_pfn = (hva - m->vbase) / m->geo.struct_page_size;
	page_head_tail(m, va, &v->head, &v->tail);
	v->refcount = (int32_t)vm_read32(m, va + PO_REFCOUNT);
	v->mapcount = (int32_t)vm_read32(m, va + PO_MAPCOUNT);
	v->node = (int)(flags >> FLAGS_NODE_SHIFT & FLAGS_NODE_MASK);
	v->zone = (int)(flags >> FLAGS_ZONE_SHIFT & FLAGS_ZONE_MASK);
	v->order = folio_order_at(m, hva);
	/* W1: folio_try_get() on the page the walker was handed, not on the
	 * head compound_head() named (issue 17, item 5) */
	ref_va = own || hook_walker_gets_own_page(m) ? va : hva;
	if (!own) {
		if (!vm_translate(m, ref_va, &frame, &rw))
			return 0;  /* a bogus head: I1 reports it */
		v->got_ref = get_page_unless_zero(m, ref_va);
	}
	if (v->got_ref) {  /* and put it back */
		v->ref_pfn = (ref_va - m->vbase) / m->geo.struct_page_size;
		walker_put_page(m, ref_va);
		v->put_pfn = v->ref_pfn;
	}
	return 0;
}

void hvo_counters(const struct hvo_machine *cm, struct hvo_counters *out)
{
	struct hvo_machine *m = (struct hvo_machine *)cm;

	memset(out, 0, sizeof(*out));
	out->memmap_pages = memmap_total(m, false);
	out->memmap_boot_pages = memmap_total(m, true);
	for (unsigned n = 0; n < HVO_MAX_NODES; n++)
		out->node_memmap[n] = memmap_node(m, n);
	for (uint32_t i = 0; i < m->nr_folios; i++) {
		struct folio *f = folio_at(m, i);

		if (!f->live)
			continue;
		out->nr_folios++;
		out->nr_free += f->state == HVO_FOLIO_FREE;
		out->nr_in_use += f->state == HVO_FOLIO_IN_USE;
		out->nr_surplus += f->state == HVO_FOLIO_SURPLUS;
		out->nr_optimized += seen_optimized(m, f);
	}
	out->tlb_flushes = tlb_nr_flushes(m);
	out->pmd_splits = m->pmd_splits;
	out->shared_tails = phys_frames_by_site(m->phys, HVO_SITE_SHARED_TAIL);
}


int hvo_folio_alloc(struct hvo_machine *m, unsigned order, unsigned node, int zone, int32_t *id)
{
	return API_CALL(m, do_folio_alloc(m, order, node, zone, id));
}

int hvo_folio_alloc_batch(struct hvo_machine *m, unsigned order, unsigned node, int zone, unsigned n,
			  int32_t *ids)
{
	return API_CALL(m, do_folio_alloc_batch(m, order, node, zone, n, ids));
}

int hvo_folio_optimize(struct hvo_machine *m, int32_t id)
{
	return API_CALL(m, do_folio_optimize(m, id));
}

int hvo_folio_restore(struct hvo_machine *m, int32_t id)
{
	return API_CALL(m, do_folio_restore(m, id));
}

int hvo_folios_optimize(struct hvo_machine *m, const int32_t *ids, unsigned n)
{
	return API_CALL(m, do_folios_optimize(m, ids, n));
}

int hvo_folios_restore(struct hvo_machine *m, const int32_t *ids, unsigned n)
{
	return API_CALL(m, do_folios_restore(m, ids, n));
}

int hvo_folio_dissolve(struct hvo_machine *m, int32_t id)
{
	return API_CALL(m, do_folio_dissolve(m, id));
}

int hvo_folio_demote(struct hvo_machine *m, int32_t id, unsigned new_order)
{
	return API_CALL(m, do_folio_demote(m, id, new_order));
}

int hvo_folios_demote(struct hvo_machine *m, const int32_t *ids, unsigned n, unsigned new_order)
{
	return API_CALL(m, do_folios_demote(m, ids, n, new_order));
}

int hvo_folio_get(struct hvo_machine *m, int32_t id)
{
	return API_CALL(m, do_folio_get(m, id));
}

int hvo_folio_put(struct hvo_machine *m, int32_t id)
{
	return API_CALL(m, do_folio_put(m, id));
}

int hvo_walk_pfn(struct hvo_machine *m, uint64_t pfn, struct hvo_page_view *v)
{
	return API_CALL(m, do_walk_pfn(m, pfn, false, v));
}

int hvo_isolate_pfn(struct hvo_machine *m, uint64_t pfn, struct hvo_page_view *v)
{
	return API_CALL(m, do_walk_pfn(m, pfn, true, v));
}

static int do_tail_read(struct hvo_machine *m, unsigned node, int zone, unsigned order, unsigned idx,
			struct hvo_tail_view *v)
{
	uint8_t img[256];
	uint64_t w;
	int32_t c;
	int rc;

	if (m->cfg.gen == HVO_G1)
		return -HVO_EINVAL;  /* no shared tail */
	rc = g2_read_tail(m, node, zone, order, idx, img);
	if (rc)
		return rc;
	memset(v, 0, sizeof(*v));
	memcpy(&v->flags, img + PO_FLAGS, 8);
	memcpy(&v->compound_info, img + PO_INFO, 8);
	memcpy(&v->mapping, img + PO_MAPPING, 8);
	memcpy(&c, img + PO_REFCOUNT, 4);
	v->refcount = c;
	memcpy(&c, img + PO_MAPCOUNT, 4);
	v->mapcount = c;
	w = v->flags;
	v->node = (int)(w >> FLAGS_NODE_SHIFT & FLAGS_NODE_MASK);
	v->zone = (int)(w >> FLAGS_ZONE_SHIFT & FLAGS_ZONE_MASK);
	return 0;
}

int hvo_tail_read(struct hvo_machine *m, unsigned node, int zone, unsigned order, unsigned idx,
		  struct hvo_tail_view *v)
{
	return API_CALL(m, do_tail_read(m, node, zone, order, idx, v));
}
