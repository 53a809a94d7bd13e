// SPDX-License-Identifier: GPL-2.0-only
/*
 * hugetlb.c - the hstate lifecycle of mm/hugetlb.c around HVO (issue 13,
 * D7), in the kernel's order: the pool counters, remove_hugetlb_folio's
 * conditional clear of the hugetlb type, update_and_free_pages_bulk with
 * its bulk_vmemmap_restore_error retry, and memory_failure's writer of
 * tail struct pages, which must come after restore.
 *
 * The model keeps one pool of mixed orders: the counters are per node,
 * summed over the hstates.  The kernel changes them under hugetlb_lock;
 * the model's paths take no lock here (a lock is a scheduling point, and
 * committed schedules count them) and change them atomically.
 */
#include <stdlib.h>

#include "internal.h"

static void hstate_add(struct hvo_machine *m, int64_t *c, int64_t d)
{
	(void)m;
	__atomic_fetch_add(c, d, __ATOMIC_RELAXED);
}

/* folio_test_hugetlb(): the head's page type (PGTY_hugetlb in page_type). */
bool folio_test_hugetlb(struct hvo_machine *m, const struct folio *f)
{
	return vm_read32(m, page_vaddr(m, f->pfn) + PO_MAPCOUNT) == PAGE_TYPE_HUGETLB;
}

/* __folio_clear_hugetlb(): page_type back to none (_mapcount -1). */
void __folio_clear_hugetlb(struct hvo_machine *m, struct folio *f)
{
	vm_write32(m, page_vaddr(m, f->pfn) + PO_MAPCOUNT, (uint32_t)-1);
}

static void __folio_set_hugetlb(struct hvo_machine *m, struct folio *f)
{
	vm_write32(m, page_vaddr(m, f->pfn) + PO_MAPCOUNT, PAGE_TYPE_HUGETLB);
}

/* enqueue_hugetlb_folio(): on the free list, free_huge_pages++.  st is
 * the model's pool state: HVO_FOLIO_SURPLUS for a free surplus folio. */
void enqueue_hugetlb_folio(struct hvo_machine *m, struct folio *f, enum hvo_folio_state st)
{
	hstate_add(m, &m->hstate[f->node].free, 1);
	shadow_set_state(m->shadow, f->id, st);
	__atomic_store_n(&f->state, st, __ATOMIC_RELEASE);
}

/* dequeue_hugetlb_folio_node_exact(): off the free list.  A surplus
 * folio stays surplus in use: surplus_huge_pages counts the folios, in
 * use or free, above nr_hugepages, and free_huge_folio gives the charge
 * back when one of the node's folios is freed. */
void dequeue_hugetlb_folio(struct hvo_machine *m, struct folio *f)
{
	hstate_add(m, &m->hstate[f->node].free, -1);
	__atomic_store_n(&f->state, HVO_FOLIO_IN_USE, __ATOMIC_RELAXED);
	shadow_set_state(m->shadow, f->id, HVO_FOLIO_IN_USE);
}

/* __prep_account_new_huge_page() + enqueue: a fresh folio joins the pool. */
void account_new_hugetlb_folio(struct hvo_machine *m, struct folio *f)
{
	hstate_add(m, &m->hstate[f->node].nr, 1);
	enqueue_hugetlb_folio(m, f, HVO_FOLIO_FREE);
}

/* The kernel's surplus charge is a count with no folio to it: a put on
 * a node with surplus frees the folio put, whichever folio made the
 * surplus.  The model names a folio per charge, so that I21 can count
 * them: the charge the put used moves off the lowest-id other holder (a
 * free surplus folio becomes a plain free one). */
static void surplus_uncharge_other(struct hvo_machine *m, const struct folio *f)
{
	for (uint32_t id = 0; id < m->nr_folios; id++) {
		struct folio *o = folio_at(m, id);

		if (o == f || !o->live || o->node != f->node || !__atomic_load_n(&o->surplus, __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&o->surplus, false, __ATOMIC_RELAXED);
		if (__atomic_load_n(&o->state, __ATOMIC_ACQUIRE) == HVO_FOLIO_SURPLUS) {
			__atomic_store_n(&o->state, HVO_FOLIO_FREE, __ATOMIC_RELEASE);
			shadow_set_state(m->shadow, o->id, HVO_FOLIO_FREE);
		}
		return;
	}
}

/* remove_hugetlb_folio(): off the lists and out of the counters.  The
 * hugetlb type is cleared here only when the folio has its vmemmap: an
 * optimized folio keeps it until __update_and_free_hugetlb_folio has
 * restored the vmemmap, or memory_failure would take it for a plain
 * compound page and write to its tail struct pages (32c877191e02).  H1
 * clears it unconditionally, as before that fix.  The folio is the
 * caller's (busy) until it is freed or added back. */
void remove_hugetlb_folio(struct hvo_machine *m, struct folio *f, bool adjust_surplus)
{
	struct hstate_node *h = &m->hstate[f->node];

	if (f->state == HVO_FOLIO_FREE || f->state == HVO_FOLIO_SURPLUS)
		hstate_add(m, &h->free, -1);
	if (adjust_surplus) {
		hstate_add(m, &h->surplus, -1);
		if (!f->surplus)
			surplus_uncharge_other(m, f);
		__atomic_store_n(&f->surplus, false, __ATOMIC_RELAXED);
	}
	if (!folio_optimized(m, f) || hook_clear_hugetlb_before_restore(m))
		__folio_clear_hugetlb(m, f);
	hstate_add(m, &h->nr, -1);
}

/* add_hugetlb_folio(): back into the pool after a failed restore, still
 * optimized, typed hugetlb again; a surplus free folio when adjust_surplus. */
void add_hugetlb_folio(struct hvo_machine *m, struct folio *f, bool adjust_surplus)
{
	struct hstate_node *h = &m->hstate[f->node];

	hstate_add(m, &h->nr, 1);
	if (adjust_surplus)
		hstate_add(m, &h->surplus, 1);
	__atomic_store_n(&f->surplus, adjust_surplus, __ATOMIC_RELAXED);
	__folio_set_hugetlb(m, f);
	enqueue_hugetlb_folio(m, f, adjust_surplus ? HVO_FOLIO_SURPLUS : HVO_FOLIO_FREE);
}

/* folio_clear_hugetlb_hwpoison(): move PG_hwpoison from the head to the
 * raw error page, a write to a tail struct page.  Only after the vmemmap
 * is restored (H2 moves it before the restore: the write meets a
 * read-only tail, I10). */
static void folio_clear_hugetlb_hwpoison(struct hvo_machine *m, struct folio *f)
{
	uint64_t hv = page_vaddr(m, f->pfn), raw = vm_read64(m, hv + 3 * m->geo.struct_page_size + F3_HWPOISON);

	if (raw) {
		uint64_t va = page_vaddr(m, f->pfn + raw - 1);

		vm_write64(m, va + PO_FLAGS, vm_read64(m, va + PO_FLAGS) | 1ull << PG_HWPOISON);
		vm_write64(m, hv + 3 * m->geo.struct_page_size + F3_HWPOISON, 0);
	}
	vm_write64(m, hv + PO_FLAGS, vm_read64(m, hv + PO_FLAGS) & ~(1ull << PG_HWPOISON));
}

bool folio_test_hwpoison(struct hvo_machine *m, const struct folio *f)
{
	return vm_read64(m, page_vaddr(m, f->pfn) + PO_FLAGS) >> PG_HWPOISON & 1;
}

/* The tail of __update_and_free_hugetlb_folio once the vmemmap is back:
 * clear the hugetlb type if it is still set, move the poison to the raw
 * page, free to the buddy. */
void update_and_free_restored(struct hvo_machine *m, struct folio *f)
{
	if (folio_test_hugetlb(m, f))
		__folio_clear_hugetlb(m, f);
	if (folio_test_hwpoison(m, f) && !hook_hwpoison_moved_before_restore(m))
		folio_clear_hugetlb_hwpoison(m, f);
	folio_release(m, f->id);
}

/* __update_and_free_hugetlb_folio() of a removed folio (busy). */
static int update_and_free_hugetlb_folio(struct hvo_machine *m, struct folio *f)
{
	int32_t id = f->id;
	int rc;

	if (folio_test_hwpoison(m, f) && hook_hwpoison_moved_before_restore(m))
		folio_clear_hugetlb_hwpoison(m, f);
	f->busy = false;
	/* only an optimized folio is restored: the others lost the type */
	rc = folio_optimized(m, f) ? restore_checked(m, id) : 0;
	f = folio_at(m, id);
	if (rc) {
		add_hugetlb_folio(m, f, true);
		return rc;
	}
	update_and_free_restored(m, f);
	return 0;
}

/* hvo_folio_free: remove_hugetlb_folio, then __update_and_free_hugetlb_folio;
 * a failed restore refuses the free and adds the folio back as surplus (B26). */
static int do_folio_free(struct hvo_machine *m, int32_t id)
{
	struct folio *f;
	int rc = pool_folio(m, id, &f);

	if (rc)
		return rc;
	f->busy = true;
	remove_hugetlb_folio(m, f, f->state == HVO_FOLIO_SURPLUS);
	return update_and_free_hugetlb_folio(m, f);
}

int hvo_folio_free(struct hvo_machine *m, int32_t id)
{
	return API_CALL(m, do_folio_free(m, id));
}

/* ------------------------------------------- free_huge_folio, the worker */

/* The head's folio->mapping as an llist_node: the address of the next
 * folio's mapping word, 0 at the end (free_hpage_workfn clears it). */
static uint64_t llist_link(struct hvo_machine *m, int32_t next)
{
	return next ? page_vaddr(m, folio_at(m, next - 1)->pfn) + PO_MAPPING : 0;
}

/* update_and_free_hugetlb_folio(h, folio, atomic = true): a folio with
 * its vmemmap is freed at once; an optimized one cannot be restored here
 * (no GFP_ATOMIC vmemmap), so it goes on hpage_freelist, its link in
 * folio->mapping, for free_hpage_workfn.  Until the worker runs it is off
 * the pool and still optimized: FREEING. */
static void update_and_free_hugetlb_folio_atomic(struct hvo_machine *m, struct folio *f)
{
	int32_t old;

	if (!folio_optimized(m, f)) {
		update_and_free_restored(m, f);
		return;
	}
	__atomic_store_n(&f->state, HVO_FOLIO_FREEING, __ATOMIC_RELEASE);
	shadow_set_state(m->shadow, f->id, HVO_FOLIO_FREEING);
	old = __atomic_load_n(&m->hpage_freelist, __ATOMIC_RELAXED);
	do {   /* llist_add() */
		f->llnext = old;
		vm_write64(m, page_vaddr(m, f->pfn) + PO_MAPPING, llist_link(m, old));
	} while (!__atomic_compare_exchange_n(&m->hpage_freelist, &old, f->id + 1, false, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}

/* free_huge_folio(): the last reference is gone.  With surplus on the
 * node the folio leaves the pool (remove_hugetlb_folio(h, folio, true))
 * and is freed, from the worker when optimized; otherwise it goes back on
 * the free list, its refcount frozen at 0 (I13).  The state is stored
 * with release: the holder of the last reference may be a walker on
 * another thread, and the owner waits for the folio to be back. */
void free_huge_folio(struct hvo_machine *m, struct folio *f)
{
	f->put_done = false;
	if (__atomic_load_n(&m->hstate[f->node].surplus, __ATOMIC_RELAXED) > 0) {
		remove_hugetlb_folio(m, f, true);
		update_and_free_hugetlb_folio_atomic(m, f);
		return;
	}
	enqueue_hugetlb_folio(m, f, HVO_FOLIO_FREE);
}

/* free_hpage_workfn(): llist_del_all, then each folio newest first:
 * folio->mapping = NULL, __update_and_free_hugetlb_folio (restore; on
 * failure back to the pool as surplus). */
static int do_free_hpage_work(struct hvo_machine *m)
{
	int32_t node = __atomic_exchange_n(&m->hpage_freelist, 0, __ATOMIC_ACQUIRE);
	int freed = 0;

	while (node) {
		struct folio *f = folio_at(m, node - 1);

		node = f->llnext;
		f->llnext = 0;
		vm_write64(m, page_vaddr(m, f->pfn) + PO_MAPPING, 0);
		f->busy = true;
		freed += update_and_free_hugetlb_folio(m, f) == 0;
	}
	return freed;
}

int hvo_free_hpage_work(struct hvo_machine *m)
{
	return API_CALL(m, do_free_hpage_work(m));
}

/* ------------------------------------------- update_and_free_pages_bulk */

struct flist { struct folio **f; unsigned n; };

static void flist_del(struct flist *l, unsigned i)
{
	for (unsigned j = i + 1; j < l->n; j++)
		l->f[j - 1] = l->f[j];
	l->n--;
}

/* update_and_free_hugetlb_folio(h, folio, false) of a folio whose vmemmap
 * is there (restored or never optimized); counts the frees. */
static void free_restored(struct hvo_machine *m, struct folio *f, unsigned *freed)
{
	f->busy = false;
	update_and_free_restored(m, f);
	(*freed)++;
}

/* bulk_vmemmap_restore_error(): free what was restored so that the retry
 * finds memory; with nothing restored, restore one by one: a folio that
 * cannot be restored goes back to the pool as surplus, the first that can
 * is freed and the bulk restore retried. */
static void bulk_vmemmap_restore_error(struct hvo_machine *m, struct flist *list, struct flist *non_hvo,
				       unsigned *freed)
{
	if (non_hvo->n) {
		for (unsigned i = 0; i < non_hvo->n; i++) {
			__folio_clear_hugetlb(m, non_hvo->f[i]);
			free_restored(m, non_hvo->f[i], freed);
		}
		non_hvo->n = 0;
		return;
	}
	while (list->n) {
		struct folio *f = list->f[0];
		int32_t id = f->id;

		flist_del(list, 0);
		f->busy = false;
		/* K3: 6.12.118 (and mainline) call hugetlb_vmemmap_restore_folio
		 * on every folio left on the list, also one never optimized,
		 * whose hugetlb type remove_hugetlb_folio already cleared: its
		 * VM_WARN_ON_ONCE(!folio_test_hugetlb) fires.  The baseline
		 * restores only an optimized folio; V6.12.118-bulk-warn as shipped. */
		if ((folio_optimized(m, f) || hook_bulk_restores_unoptimized(m)) && restore_checked(m, id)) {
			add_hugetlb_folio(m, folio_at(m, id), true);
			continue;
		}
		f = folio_at(m, id);
		__folio_clear_hugetlb(m, f);
		free_restored(m, f, freed);
		break;
	}
}

/* update_and_free_pages_bulk(): the folios are removed from the pool
 * already (remove_hugetlb_folio); restore their vmemmap in one batch,
 * handling a failure by bulk_vmemmap_restore_error and retrying, then
 * clear the hugetlb type of every restored folio and free them. */
static void update_and_free_pages_bulk(struct hvo_machine *m, struct flist *list, struct flist *non_hvo,
				       unsigned *freed)
{
	unsigned restored;
	int rc;

retry:
	rc = folios_restore_checked(m, list->f, list->n, &restored);
	/* hugetlb_vmemmap_restore_folios moved every folio before the
	 * failing one (restored, or never optimized) to non_hvo */
	while (list->n && (rc == 0 || !folio_optimized(m, list->f[0]))) {
		non_hvo->f[non_hvo->n++] = list->f[0];
		flist_del(list, 0);
	}
	if (rc < 0) {
		bulk_vmemmap_restore_error(m, list, non_hvo, freed);
		goto retry;
	}
	if (non_hvo->n && restored)
		for (unsigned i = 0; i < non_hvo->n; i++)
			__folio_clear_hugetlb(m, non_hvo->f[i]);
	for (unsigned i = 0; i < non_hvo->n; i++)
		free_restored(m, non_hvo->f[i], freed);
	non_hvo->n = 0;
}

/* The pool shrink of set_max_huge_pages / hugetlb_vmemmap's users: take
 * the named pool folios off the pool (remove_hugetlb_folio under the
 * lock), then update_and_free_pages_bulk.  Returns the number freed. */
static int do_folios_free_bulk(struct hvo_machine *m, const int32_t *ids, unsigned n)
{
	struct folio **a = calloc(2 * (n ? n : 1), sizeof(*a));
	struct flist list = { a, 0 }, non_hvo = { a ? a + (n ? n : 1) : NULL, 0 };
	unsigned freed = 0;

	if (!a)
		return -HVO_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct folio *f;
		bool dup = false;

		if (pool_folio(m, ids[i], &f))
			continue;
		for (unsigned j = 0; j < list.n; j++)
			dup |= list.f[j] == f;
		if (dup)
			continue;
		f->busy = true;
		remove_hugetlb_folio(m, f, f->state == HVO_FOLIO_SURPLUS);
		list.f[list.n++] = f;
	}
	update_and_free_pages_bulk(m, &list, &non_hvo, &freed);
	free(a);
	return (int)freed;
}

int hvo_folios_free_bulk(struct hvo_machine *m, const int32_t *ids, unsigned n)
{
	return API_CALL(m, do_folios_free_bulk(m, ids, n));
}

/* ------------------------------------------------------- memory_failure */

/* memory_failure() on pfn index of a live folio.  A hugetlb folio takes
 * the hugetlb path: folio_set_hugetlb_hwpoison marks the head and keeps
 * the raw error page in the folio's list (the model keeps the first), no
 * tail is written.  Anything else is a plain page: SetPageHWPoison on the
 * raw struct page, which for an optimized folio is a read-only tail (I10):
 * the window H1 opens. */
static int do_memory_failure(struct hvo_machine *m, int32_t id, uint64_t index)
{
	struct folio *f;
	uint64_t va, hv, raw_va;

	if (id < 0 || (uint32_t)id >= m->nr_folios || !folio_at(m, id)->live)
		return -HVO_ENOENT;
	f = folio_at(m, id);
	if (index >= 1ull << f->order)
		return -HVO_EINVAL;
	hv = page_vaddr(m, f->pfn);
	va = page_vaddr(m, f->pfn + index);
	sync_point(m, HVO_SP_READ_ONCE, "memory_failure");
	if (!folio_test_hugetlb(m, f)) {
		vm_write64(m, va + PO_FLAGS, vm_read64(m, va + PO_FLAGS) | 1ull << PG_HWPOISON);
		return 0;
	}
	raw_va = hv + 3 * m->geo.struct_page_size + F3_HWPOISON;
	vm_write64(m, hv + PO_FLAGS, vm_read64(m, hv + PO_FLAGS) | 1ull << PG_HWPOISON);
	if (!vm_read64(m, raw_va))
		vm_write64(m, raw_va, index + 1);
	return 0;
}

int hvo_memory_failure(struct hvo_machine *m, int32_t id, uint64_t index)
{
	return API_CALL(m, do_memory_failure(m, id, index));
}
