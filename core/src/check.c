// SPDX-License-Identifier: GPL-2.0-only
/*
 * check.c - the invariant checker (spec section 3), the state dump and the
 * digest.  Everything is evaluated through the current vmemmap mapping.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------ shared tails: I4, I5 */

static bool tail_published(const struct hvo_machine *m, uint64_t pfn)
{
	for (unsigned n = 0; n < m->cfg.nr_nodes; n++)
		for (int z = 0; z < HVO_NR_ZONES; z++)
			for (unsigned i = 0; i < m->geo.nr_vmemmap_tails; i++)
				if (m->zhvo[n][z].tails[i] == pfn + 1)
					return true;
	return false;
}

struct unpublished { const struct hvo_machine *m; uint64_t *pfn; };

/* Names the leaked page in the report: a shared-tail page nobody published. */
static int find_unpublished_tail(void *ctx, const struct phys_alloc_info *a)
{
	struct unpublished *u = ctx;

	if (a->site != HVO_SITE_SHARED_TAIL || tail_published(u->m, a->pfn))
		return 0;
	*u->pfn = a->pfn;
	return 1;
}

/* I5 (each published tail a live shared-tail page, no loser leaked), and
 * with img I4 (its bytes are the checker's own canonical image). */
static int check_tails(struct hvo_machine *m, uint8_t *img, bool quiescent)
{
	uint64_t published = 0;

	for (unsigned n = 0; n < m->cfg.nr_nodes; n++)
		for (int z = 0; z < HVO_NR_ZONES; z++)
			for (unsigned i = 0; i < m->geo.nr_vmemmap_tails; i++) {
				uint64_t t = m->zhvo[n][z].tails[i];
				unsigned order = m->geo.tail_min_order + i;
				struct phys_alloc_info a;
				const uint8_t *b;

				if (!t)
					continue;
				published++;
				if (!phys_lookup(m->phys, t - 1, &a) || a.site != HVO_SITE_SHARED_TAIL) {
					hvo_violate(m, 5, t - 1, -1, "published tail (node %u %s order %u) is not a live "
						    "shared-tail page", n, hvo_zone_name(z), order);
					return 5;
				}
				if (!img)
					continue;
				b = phys_frame(m->phys, t - 1, false);
				oracle_tail_image(m, n, z, order, 0, img);
				if (!b || !oracle_tail_equal(m, img, b)) {
					hvo_violate(m, 4, t - 1, -1, "shared tail (node %u %s order %u) differs from the "
						    "canonical tail image", n, hvo_zone_name(z), order);
					return 4;
				}
			}
	/* Inside an operation a tail page may be allocated and not yet published. */
	if (quiescent && !img && phys_frames_by_site(m->phys, HVO_SITE_SHARED_TAIL) != published) {
		uint64_t leaked = UINT64_MAX;

		phys_for_each_alloc(m->phys, find_unpublished_tail, &(struct unpublished){ m, &leaked });
		hvo_violate(m, 5, leaked, -1, "%" PRIu64 " shared-tail pages allocated, %" PRIu64 " published "
			    "(a loser's page leaked)", phys_frames_by_site(m->phys, HVO_SITE_SHARED_TAIL), published);
		return 5;
	}
	return 0;
}

static bool is_tail_frame(const struct hvo_machine *m, uint64_t frame)
{
	struct phys_alloc_info a;

	return phys_lookup(m->phys, frame, &a) && a.site == HVO_SITE_SHARED_TAIL;
}

/* The shared-tail frames, when check_tails has proved them to be exactly
 * the published ones (each published tail is a live shared-tail page and
 * none is leaked): then is_tail_frame is a scan of this short list instead
 * of an allocator lookup per PTE.  Otherwise nr = -1: ask the allocator. */
struct tail_set { int nr; uint64_t pfn[64]; };

static void tail_set_init(const struct hvo_machine *m, struct tail_set *ts)
{
	ts->nr = 0;
	for (unsigned n = 0; n < m->cfg.nr_nodes; n++)
		for (int z = 0; z < HVO_NR_ZONES; z++)
			for (unsigned i = 0; i < m->geo.nr_vmemmap_tails; i++) {
				uint64_t t = m->zhvo[n][z].tails[i];
				int k = 0;

				if (!t)
					continue;
				while (k < ts->nr && ts->pfn[k] != t - 1)
					k++;
				if (k < ts->nr)
					continue;
				if (ts->nr == (int)(sizeof(ts->pfn) / sizeof(ts->pfn[0]))) {
					ts->nr = -1;
					return;
				}
				ts->pfn[ts->nr++] = t - 1;
			}
	if (phys_frames_by_site(m->phys, HVO_SITE_SHARED_TAIL) != (uint64_t)ts->nr)
		ts->nr = -1;
}

static bool in_tail_set(const struct hvo_machine *m, const struct tail_set *ts, uint64_t frame)
{
	if (ts->nr < 0)
		return is_tail_frame(m, frame);
	for (int k = 0; k < ts->nr; k++)
		if (ts->pfn[k] == frame)
			return true;
	return false;
}

/* --------------------------------- the mapping: I3 aliasing, I11, I17 */

struct extent { uint64_t pfn, len, vaddr; };

/* By pfn, then vaddr: the walk pushes in vaddr order, so this is the
 * stable order by pfn (which pair an I3 report names depends on it). */
static bool extent_before(const struct extent *x, const struct extent *y)
{
	return x->pfn < y->pfn || (x->pfn == y->pfn && x->vaddr < y->vaddr);
}

static int cmp_extent(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	return extent_before(x, y) ? -1 : extent_before(y, x);
}

/* Runs are of contiguous frames, so that runs interleave only where a
 * frame is mapped twice (a violation). */
static bool run_starts(const struct extent *e, uint64_t i)
{
	return e[i].pfn != e[i - 1].pfn + e[i - 1].len;
}

/* A run e[from, to) of the walk: ascending, contiguous frames. */
struct run { struct extent first; uint64_t from, to; };

static int cmp_run(const void *a, const void *b)
{
	return cmp_extent(&((const struct run *)a)->first, &((const struct run *)b)->first);
}

/* Sort e[0..nr).  The walk yields few runs (a PTE table maps mostly
 * contiguous frames, the boot allocator hands out PMD blocks top down),
 * which interleave only where a frame is mapped twice: then sorting the
 * runs by their first extent and concatenating them is the sort.  Returns
 * the sorted array (e or a new one) or NULL when out of host memory. */
static struct extent *sort_extents(struct extent *e, uint64_t nr)
{
	uint64_t nrun = 1, k = 0;
	struct run *r;
	struct extent *out;

	for (uint64_t i = 1; i < nr; i++)
		nrun += run_starts(e, i);
	if (nrun == 1)
		return e;
	r = malloc(nrun * sizeof(*r));
	out = malloc(nr * sizeof(*out));
	if (!r || !out) {
		free(r);
		free(out);
		return NULL;
	}
	for (uint64_t i = 0; i < nr; i++)
		if (!i || run_starts(e, i)) {
			if (i)
				r[k - 1].to = i;
			r[k++] = (struct run){ e[i], i, nr };
		}
	qsort(r, nrun, sizeof(*r), cmp_run);
	for (k = 0; k + 1 < nrun && extent_before(&e[r[k].to - 1], &r[k + 1].first); k++)
		;
	if (k + 1 < nrun) {  /* runs interleave: sort it all */
		free(r);
		free(out);
		qsort(e, nr, sizeof(*e), cmp_extent);
		return e;
	}
	for (k = 0, nr = 0; k < nrun; nr += r[k].to - r[k].from, k++)
		memcpy(out + nr, e + r[k].from, (r[k].to - r[k].from) * sizeof(*out));
	free(r);
	free(e);
	return out;
}

static bool push_extent(struct extent **e, uint64_t *nr, uint64_t *cap, struct extent x)
{
	if (*nr == *cap) {
		struct extent *n = realloc(*e, 2 * *cap * sizeof(**e));

		if (!n)
			return false;
		*e = n;
		*cap *= 2;
	}
	(*e)[(*nr)++] = x;
	return true;
}

static bool mapped_rw(const struct extent *e, uint64_t nr, uint64_t pfn)
{
	uint64_t lo = 0, hi = nr;

	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;

		if (e[mid].pfn + e[mid].len <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nr && e[lo].pfn <= pfn;
}

static int check_mapping(struct hvo_machine *m)
{
	uint64_t cap = 1024, nr = 0, boot = 0, buddy = 0, node[HVO_MAX_NODES] = { 0 };
	uint64_t acap = 64, nalias = 0;
	struct extent *e = malloc(cap * sizeof(*e)), *alias = malloc(acap * sizeof(*alias));
	struct tail_set ts;
	int rc = 0;

	if (!e || !alias)
		goto out;
	tail_set_init(m, &ts);
	for (uint64_t i = 0; i < m->nr_pmd; i++) {
		const struct pmd *pmd = &m->pmd[i];
		uint64_t va = m->vbase + (i << m->geo.pmd_shift);
		uint64_t cnt = pmd->val == PMD_LEAF ? 1 : pmd->val == PMD_TABLE ? m->ptrs_per_table : 0;

		for (uint64_t j = 0; j < cnt; j++) {
			uint64_t pte = pmd->val == PMD_LEAF ? mk_pte(pmd->leaf_pfn, true) : pmd->table->pte[j];
			uint64_t len = pmd->val == PMD_LEAF ? 1ull << m->pmd_order : 1;
			uint64_t pva = va + (j << m->geo.page_shift);

			if (!(pte & PTE_PRESENT))
				continue;
			if (in_tail_set(m, &ts, pte_pfn(pte))) {
				if (pte & PTE_RW) {
					hvo_violate(m, 3, pte_pfn(pte), -1, "shared tail mapped writable at 0x%" PRIx64, pva);
					rc = 3;
					goto out;
				}
				continue;
			}
			if (!(pte & PTE_RW) && m->cfg.gen == HVO_G1) {
				/* G1 fake heads: a read-only alias of a page mapped RW at the
				 * folio's slot 0 (check_folio pins down which one). */
				if (!push_extent(&alias, &nalias, &acap, (struct extent){ pte_pfn(pte), 1, pva }))
					goto out;
				continue;
			}
			if (!(pte & PTE_RW)) {
				hvo_violate(m, 3, pte_pfn(pte), -1, "private vmemmap page mapped read-only at 0x%" PRIx64, pva);
				rc = 3;
				goto out;
			}
			if (!push_extent(&e, &nr, &cap, (struct extent){ pte_pfn(pte), len, pva }))
				goto out;
		}
	}
	{
		struct extent *sorted = sort_extents(e, nr);

		if (!sorted)
			goto out;
		e = sorted;
	}
	for (uint64_t i = 0; i < nalias; i++)
		if (!mapped_rw(e, nr, alias[i].pfn)) {
			hvo_violate(m, 3, alias[i].pfn, -1, "read-only alias at 0x%" PRIx64 " of a page mapped writable nowhere",
				    alias[i].vaddr);
			rc = 3;
			goto out;
		}
	for (uint64_t i = 0; i < nr; i++) {
		struct phys_alloc_info a;
		int nd;

		if (i && e[i - 1].pfn + e[i - 1].len > e[i].pfn) {
			hvo_violate(m, 3, e[i].pfn, -1, "page mapped at two vmemmap addresses (0x%" PRIx64 ", 0x%" PRIx64 ")",
				    e[i - 1].vaddr, e[i].vaddr);
			rc = 3;
			goto out;
		}
		if (!phys_lookup_node(m->phys, e[i].pfn, &a, &nd)) {  /* one locate for both (issue 16) */
			hvo_violate(m, 12, e[i].pfn, -1, "vmemmap at 0x%" PRIx64 " maps a freed page", e[i].vaddr);
			rc = 12;
			goto out;
		}
		if (a.origin == PHYS_ORIGIN_BOOT)
			boot += e[i].len;
		else
			buddy += e[i].len;
		if (nd >= 0)
			node[nd] += e[i].len;
	}
	if ((int64_t)boot != memmap_total(m, true) || (int64_t)buddy != memmap_total(m, false)) {
		hvo_violate(m, 11, UINT64_MAX, -1, "memmap counters buddy=%" PRId64 " boot=%" PRId64 ", mapped pages "
			    "buddy=%" PRIu64 " boot=%" PRIu64, memmap_total(m, false), memmap_total(m, true), buddy, boot);
		rc = 11;
		goto out;
	}
	for (unsigned n = 0; n < HVO_MAX_NODES; n++)
		if ((int64_t)node[n] != memmap_node(m, n)) {
			hvo_violate(m, 11, UINT64_MAX, -1, "node %u memmap counter %" PRId64 ", %" PRIu64 " vmemmap pages "
				    "live there", n, memmap_node(m, n), node[n]);
			rc = 11;
			goto out;
		}
	{
		/* Conservation: every vmemmap-site page is mapped once or is a page table. */
		uint64_t alloc = phys_frames_by_site(m->phys, HVO_SITE_MEMBLOCK) +
				 phys_frames_by_site(m->phys, HVO_SITE_HEAD_COPY) +
				 phys_frames_by_site(m->phys, HVO_SITE_RESTORE_PAGE) +
				 phys_frames_by_site(m->phys, HVO_SITE_PTE_TABLE) +
				 phys_frames_by_site(m->phys, HVO_SITE_DAX_VMEMMAP);

		if (alloc != boot + buddy + m->nr_pte_tables) {
			hvo_violate(m, 17, UINT64_MAX, -1, "%" PRIu64 " vmemmap pages allocated, %" PRIu64 " mapped + %" PRIu64
				    " page tables (leaked or lost)", alloc, boot + buddy, m->nr_pte_tables);
			rc = 17;
		}
	}
out:
	free(e);
	free(alias);
	return rc;
}

/* ----------------------------------------------------- per folio: I1-I3, I7, I13, I16 */

static int check_struct_pages(struct hvo_machine *m, const struct folio *f, int32_t id, uint64_t from,
			      uint64_t to)
{
	uint64_t hv = page_vaddr(m, f->pfn);

	for (uint64_t i = from; i < to; i++) {
		uint64_t va = page_vaddr(m, f->pfn + i);
		bool head, tail;

		if (oracle_compound_head(m, va) != hv) {
			hvo_violate(m, 1, f->pfn + i, id, "compound_head of page %" PRIu64 " is 0x%" PRIx64 ", head is 0x%" PRIx64,
				    i, oracle_compound_head(m, va), hv);
			return 1;
		}
		/* I2: G2/G3 read the raw bits; G1 may show PG_head at an alias
		 * but PageHead() must see through it (relaxed I2). */
		oracle_head_tail(m, va, &head, &tail);
		if (head != (i == 0) || tail != (i > 0)) {
			hvo_violate(m, 2, f->pfn + i, id, "page %" PRIu64 " has PageHead=%d PageTail=%d", i, (int)head,
				    (int)tail);
			return 2;
		}
	}
	return 0;
}

/* A private tail slot whose bytes are the canonical tail image (in every
 * field I4 names: oracle_tail_equal) satisfies I1/I2 for every struct page in it (the image is what prep wrote; with an
 * optimizable order struct pages never straddle pages): one memcmp instead
 * of a walk over each struct page.  Any other bytes get the full walk. */
static bool canonical_slot(struct hvo_machine *m, const struct folio *f, uint64_t i, uint8_t **img)
{
	uint64_t psz = m->geo.page_size, frame;
	const uint8_t *b;
	bool rw;

	if (!*img) {
		*img = hpool_alloc(m->cfg.host_pool, psz, 16, false);
		if (!*img)
			return false;
		oracle_tail_image(m, f->node, f->zone, f->order, page_vaddr(m, f->pfn), *img);
	}
	b = vm_page_bytes(m, page_vaddr(m, f->pfn) + i * psz, &frame, &rw);
	return b && oracle_tail_equal(m, *img, b);
}

/* I10 is check_ro.c's, over the page tables. */
/* I15: a folio's memory lies in exactly one zone (a bootmem page across
 * zones is given back, never enqueued, let alone pre-HVO'd).  Judged on
 * the allocator's zone map run by run, so a zone boundary inside the folio
 * counts, not only its ends (kernelcore=mirror interleaves the zones). */
static int check_one_zone(struct hvo_machine *m, const struct folio *f, int32_t id)
{
	uint64_t end = f->pfn + (1ull << f->order), rs, re, at = f->pfn;
	int z = phys_zone_run(m->phys, f->pfn, &rs, &re), z2 = -1;

	if (z >= 0 && re >= end)
		return 0;
	if (z >= 0) {  /* the next run: another zone, or the same zone of another node */
		at = re;
		z2 = phys_zone_run(m->phys, at, &rs, &re);
	}
	hvo_violate(m, 15, f->pfn, id, "folio pfn 0x%" PRIx64 " order %u (%s) lies in more than one zone: node %d "
		    "zone %s at 0x%" PRIx64 ", node %d zone %s at 0x%" PRIx64, f->pfn, f->order,
		    folio_optimized(m, f) ? "optimized" : "not optimized", phys_node_of(m->phys, f->pfn),
		    hvo_zone_name(z), f->pfn, phys_node_of(m->phys, at), z2 < 0 ? "none" : hvo_zone_name(z2), at);
	return 15;
}

static int check_folio(struct hvo_machine *m, const struct folio *f, int32_t id)
{
	uint64_t hv = page_vaddr(m, f->pfn), psz = m->geo.page_size, n = oracle_vmemmap_pages(m, f->order);
	uint64_t per_page = psz / m->cfg.struct_page_size, tail = g2_tail_pfn(m, f->node, f->zone, f->order), slot0 = 0;
	uint64_t head_flags = vm_read64(m, hv + PO_FLAGS), frame, nt = 0;
	bool flag = folio_optimized(m, f), rw;
	uint8_t *img = NULL;
	int rc;

	rc = check_one_zone(m, f, id);
	if (rc)
		return rc;
	if (mask_encoding(m) && hv % ((1ull << f->order) * m->geo.struct_page_size)) {
		hvo_violate(m, 16, f->pfn, id, "head struct page 0x%" PRIx64 " not aligned to 2^%u * %u", hv, f->order,
			    m->geo.struct_page_size);
		return 16;
	}
	if (vm_read32(m, hv + PO_MAPCOUNT) != PAGE_TYPE_HUGETLB) {
		hvo_violate(m, 7, f->pfn, id, "pool folio is not typed hugetlb");
		return 7;
	}
	if ((head_flags >> FLAGS_NODE_SHIFT & FLAGS_NODE_MASK) != f->node ||
	    (int)(head_flags >> FLAGS_ZONE_SHIFT & FLAGS_ZONE_MASK) != f->zone) {
		hvo_violate(m, 4, f->pfn, id, "head flags name node/zone %d/%d, folio is on %u/%d",
			    (int)(head_flags >> FLAGS_NODE_SHIFT & FLAGS_NODE_MASK),
			    (int)(head_flags >> FLAGS_ZONE_SHIFT & FLAGS_ZONE_MASK), f->node, f->zone);
		return 4;
	}
	if (flag && oracle_self_hosted(m, f->pfn)) {
		hvo_violate(m, 18, f->pfn, id, "folio on a memmap_on_memory node (self-hosted vmemmap) is optimized");
		return 18;
	}
	if (!oracle_optimizable(m, f->order)) {
		if (flag) {
			hvo_violate(m, 7, f->pfn, id, "order %u is not optimizable but the folio is flagged", f->order);
			return 7;
		}
		return check_struct_pages(m, f, id, 0, 1ull << f->order);
	}
	if (!vm_translate(m, hv, &slot0, &rw) || !rw || (tail && slot0 == tail - 1)) {
		hvo_violate(m, 3, f->pfn, id, "slot 0 is not a private writable page");
		return 3;
	}
	/* G1: what an optimized folio's tail slots alias is its own slot 0 (I3). */
	if (m->cfg.gen == HVO_G1)
		tail = slot0 + 1;
	rc = check_struct_pages(m, f, id, 0, per_page);
	for (uint64_t i = 1; !rc && i < n; i++) {
		bool is_tail = vm_translate(m, hv + i * psz, &frame, &rw) && tail && frame == tail - 1;

		if (is_tail && rw) {
			hvo_violate(m, 3, f->pfn, id, "tail slot %" PRIu64 " maps the %s writable", i,
				    m->cfg.gen == HVO_G1 ? "head page" : "shared tail");
			rc = 3;
			break;
		}
		if (is_tail && nt == 0) {
			/* I4: the tails a folio shows name its own node and zone (B13). */
			uint64_t tf = vm_read64(m, hv + i * psz + PO_FLAGS);

			if ((tf >> FLAGS_NODE_SHIFT & FLAGS_NODE_MASK) != f->node ||
			    (int)(tf >> FLAGS_ZONE_SHIFT & FLAGS_ZONE_MASK) != f->zone) {
				hvo_violate(m, 4, f->pfn, id, "tail struct pages name node/zone %d/%s, the folio is on %u/%s",
					    (int)(tf >> FLAGS_NODE_SHIFT & FLAGS_NODE_MASK),
					    hvo_zone_name((int)(tf >> FLAGS_ZONE_SHIFT & FLAGS_ZONE_MASK)), f->node,
					    hvo_zone_name(f->zone));
				rc = 4;
				break;
			}
		}
		nt += is_tail;
		if (!is_tail && canonical_slot(m, f, i, &img))
			continue;
		/* Slots on the shared tail hold verified canonical bytes (I4): one
		 * struct page proves the mask arithmetic for the whole slot. */
		rc = check_struct_pages(m, f, id, i * per_page, is_tail ? i * per_page + 1 : (i + 1) * per_page);
	}
	hpool_free(m->cfg.host_pool, img, m->geo.page_size, 16);
	if (rc)
		return rc;
	/* I7: the flag says whether any slot maps the tail (partial only after an
	 * incomplete rollback, which keeps the flag). */
	if (flag != (nt > 0)) {
		hvo_violate(m, 7, f->pfn, id, "optimized flag %d but %" PRIu64 " of %" PRIu64 " tail slots map the %s", flag,
			    nt, n - 1, m->cfg.gen == HVO_G1 ? "head page read-only" : "shared tail");
		return 7;
	}
	/* I3: an optimized folio maps the tail at every tail slot, unless its
	 * last walk failed and said so (an optimize walk that stopped early
	 * and reported success: the old I17 "walked k of N slots"). */
	if (flag && nt != n - 1 && !f->partial) {
		hvo_violate(m, 3, f->pfn, id, "optimized folio maps the %s at %" PRIu64 " of %" PRIu64 " tail slots, and "
			    "no operation reported a partial walk", m->cfg.gen == HVO_G1 ? "head page" : "shared tail", nt,
			    n - 1);
		return 3;
	}
	return 0;
}

/* I19 (G1): at most one synchronize_rcu() per batch or single call, none
 * in one without HVO work.  The sync seam counts each batch's grace
 * periods (batch_begin registers it), the batch code only records what
 * the count came to. */
static int check_batches(struct hvo_machine *m)
{
	unsigned max = __atomic_load_n(&m->batch_gp_max, __ATOMIC_RELAXED);
	unsigned idle = __atomic_load_n(&m->batch_gp_idle, __ATOMIC_RELAXED);

	if (max > 1) {
		hvo_violate(m, 19, UINT64_MAX, -1, "%u synchronize_rcu() calls in one batch", max);
		return 19;
	}
	if (idle) {
		hvo_violate(m, 19, UINT64_MAX, -1, "synchronize_rcu() in a batch with no HVO work");
		return 19;
	}
	return 0;
}

/* I10, D10: a write-protect (RW->RO of the same page) holds on another
 * CPU only after a flush covering it; until then that CPU's old entry
 * still writes the page.  No operation may end with one pending (the
 * batch's flush in 2.7 covers vmemmap_wrprotect_hvo). */
static int check_wrprotect_flushed(struct hvo_machine *m)
{
	for (unsigned s = 0; s < m->cfg.nr_nodes; s++)
		for (unsigned i = 0; i < m->tlb[s].nr; i++) {
			const struct stale_tlb *e = &m->tlb[s].stale[i];

			if (!e->wr)
				continue;
			hvo_violate(m, 10, e->pfn, -1, "vmemmap 0x%" PRIx64 " was write-protected but no TLB flush "
				    "followed: another CPU may still write frame 0x%" PRIx64 " through its old entry",
				    e->vaddr, e->pfn);
			return 10;
		}
	return 0;
}

/* I0: at a quiescent point no CPU is left with IRQs off or a lock held in
 * lockdep.c's record (every spin_lock_irq undone). */
static void check_irq_state(struct hvo_machine *m)
{
	for (unsigned c = 0; c < GP_CPUS; c++)
		if (m->ld_cpu[c].irq_off || m->ld_cpu[c].held) {
			hvo_violate(m, 0, UINT64_MAX, -1, "CPU %u at a quiescent point with IRQs off (depth %u) or "
				    "locks held (mask 0x%llx)", c, m->ld_cpu[c].irq_off,
				    (unsigned long long)m->ld_cpu[c].held);
			return;
		}
}

/* At depth 0 every invariant holds; inside an operation (an injected racer
 * runs at a scheduling point of another one) only those that hold at every
 * scheduling point: shared tail contents and the folios not being worked on.
 * changed: skip the folios and the mapping walk the change log (track.c)
 * proves untouched since the last passing check. */
static int check(struct hvo_machine *m, bool changed)
{
	bool quiescent = api_depth(m) == 0, tracked = m->track && quiescent, walk;
	uint8_t *img;
	int rc;

	if (m->has_viol)
		return m->viol.inv;
	changed = changed && tracked && !track_everything(m);
	/* scratch from the host pool: a fresh block per check faulted in new
	 * pages under ASan (its quarantine), a tenth of fuzz_ops' time */
	img = hpool_alloc(m->cfg.host_pool, m->geo.page_size, 16, false);
	if (!img)
		return 0;
	walk = quiescent && (!changed || track_mapping_changed(m));
	/* The order decides which invariant a state that breaks several is
	 * reported as: which pages are published and mapped (I5, I3, I12,
	 * I11, I17), then I10's counts on every read-only struct page (the
	 * danger a speculative get meets), then the tails' other bytes (I4),
	 * the folios (I1, I2, I3, I7, I16), and last I10's own decode of
	 * compound_info at every read-only address. */
	rc = check_batches(m);
	if (!rc)
		rc = check_tails(m, NULL, quiescent);
	if (!rc && walk)
		rc = check_mapping(m);
	if (!rc && walk)
		rc = check_ro_reachable(m, false);
	if (!rc && quiescent)
		rc = check_wrprotect_flushed(m);
	if (!rc)
		rc = check_tails(m, img, quiescent);
	hpool_free(m->cfg.host_pool, img, m->geo.page_size, 16);
	if (!rc)
		rc = check_dax(m);
	for (uint32_t id = 0; !rc && id < m->nr_folios; id++) {
		const struct folio *f = folio_at(m, id);

		if (!f->live)
			continue;
		if (f->busy || (changed && !track_folio_changed(m, f, (int32_t)id))) {
			if (f->busy && tracked)
				track_folio_set(m, f, (int32_t)id, false);
			continue;
		}
		rc = check_folio(m, f, (int32_t)id);
		if (tracked)
			track_folio_set(m, f, (int32_t)id, !rc);
	}
	if (!rc && walk)
		rc = check_ro_reachable(m, true);
	if (!rc)
		rc = shadow_compare(m);
	if (!rc && quiescent)
		rc = check_pool(m);
	if (!rc && quiescent && !m->cfg.sync)
		for (int l = 0; l < HVO_NR_LOCKS; l++)
			if (m->lock_held[l]) {
				hvo_violate(m, 0, UINT64_MAX, -1, "lock %d still held at a quiescent point", l);
				break;
			}
	/* not with real threads: each keeps its own record, unsynchronised */
	if (!rc && quiescent && (!m->cfg.sync || m->cfg.sync->cpu_tlb))
		check_irq_state(m);
	if (tracked && !rc && !m->has_viol)
		track_reset(m);
	return m->has_viol ? m->viol.inv : rc;
}

/* The oracle reads the page tables, never a CPU's TLB (tlb_cpu.c). */
static int observed_check(struct hvo_machine *m, bool changed)
{
	int rc;

	observe_begin(m);
	rc = check(m, changed);
	observe_end(m);
	return rc;
}

int hvo_check(struct hvo_machine *m)
{
	return observed_check(m, false);
}

int hvo_check_changed(struct hvo_machine *m)
{
	return observed_check(m, true);
}

/* ---------------------------------------------------------------- dump */

static void dump(struct hvo_machine *m, hvo_log_fn log, void *ctx)
{
	char line[512];
	unsigned shown = 0;

#define OUT(...) do { snprintf(line, sizeof(line), __VA_ARGS__); log(ctx, line); } while (0)
	if (!log)
		return;
	OUT("state: page_shift=%u struct_page=%u vbase=0x%" PRIx64 " hvo=%d mutants=0x%" PRIx64, m->geo.page_shift,
	    m->geo.struct_page_size, m->vbase, m->enabled, m->cfg.mutants);
	OUT("  memmap buddy=%" PRId64 " boot=%" PRId64 " tlb_flushes=%" PRIu64 " pmd_splits=%" PRIu64 " stale_tlb=%u "
	    "pte_tables=%" PRIu64, memmap_total(m, false), memmap_total(m, true), tlb_nr_flushes(m), m->pmd_splits, tlb_nr_stale(m),
	    m->nr_pte_tables);
	for (unsigned n = 0; n < m->cfg.nr_nodes; n++)
		for (int z = 0; z < HVO_NR_ZONES; z++)
			for (unsigned i = 0; i < m->geo.nr_vmemmap_tails; i++)
				if (m->zhvo[n][z].tails[i])
					OUT("  tail node=%u zone=%s order=%u frame=0x%" PRIx64 "%s", n, hvo_zone_name(z),
					    m->geo.tail_min_order + i, m->zhvo[n][z].tails[i] - 1,
					    phys_frame_sealed(m->phys, m->zhvo[n][z].tails[i] - 1) ? " sealed" : "");
	for (uint32_t id = 0; id < m->nr_folios && shown < 64; id++) {
		const struct folio *f = folio_at(m, id);
		uint64_t n = oracle_vmemmap_pages(m, f->order), tail = g2_tail_pfn(m, f->node, f->zone, f->order);
		uint64_t frame, nt = 0, ro = 0, f0 = 0;
		bool rw;

		if (!f->live)
			continue;
		shown++;
		for (uint64_t i = 0; i < n; i++)
			if (vm_translate(m, page_vaddr(m, f->pfn) + i * m->geo.page_size, &frame, &rw)) {
				nt += tail && frame == tail - 1;
				ro += !rw;
				if (!i)
					f0 = frame;
			}
		OUT("  folio %d pfn=0x%" PRIx64 " order=%u node=%u zone=%s state=%d%s flag=%d ref=%d slots=%" PRIu64
		    " slot0=0x%" PRIx64 " on_tail=%" PRIu64 " ro=%" PRIu64, id, f->pfn, f->order, f->node,
		    hvo_zone_name(f->zone), (int)f->state, f->busy ? " busy" : "", folio_optimized(m, f),
		    folio_refcount(m, f), n, f0, nt, ro);
	}
	if (m->has_viol)
		OUT("  violation: I%d pfn=0x%" PRIx64 " folio=%d: %s", m->viol.inv, m->viol.pfn, m->viol.folio,
		    m->viol.msg);
#undef OUT
}

void hvo_dump(const struct hvo_machine *cm, hvo_log_fn log, void *ctx)
{
	struct hvo_machine *m = (struct hvo_machine *)cm;

	observe_begin(m);
	dump(m, log, ctx);
	observe_end(m);
}

/* --------------------------------------------------------------- digest */

/* FNV-1a over 64-bit words (little-endian assembled, so the digest does not
 * depend on the host's byte order); pages are multiples of 8 bytes. */
static uint64_t fnv64(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

static uint64_t fnv(uint64_t h, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		h = fnv64(h, w);
	}
	return h;
}

static uint64_t digest(struct hvo_machine *m)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv64(h, (uint64_t)memmap_total(m, false));
	h = fnv64(h, (uint64_t)memmap_total(m, true));
	h = fnv64(h, phys_free_frames(m->phys));
	/* ZONE_DEVICE tails are hashed with the DAX state. */
	for (unsigned n = 0; n < m->cfg.nr_nodes; n++)
		for (int z = 0; z < HVO_ZONE_DEVICE; z++)
			for (unsigned i = 0; i < m->geo.nr_vmemmap_tails; i++)
				h = fnv64(h, m->zhvo[n][z].tails[i] != 0);
	h = dax_digest(m, h, fnv64);
	for (uint32_t id = 0; id < m->nr_folios; id++) {
		const struct folio *f = folio_at(m, id);
		uint64_t n = oracle_vmemmap_pages(m, f->order), tail = g2_tail_pfn(m, f->node, f->zone, f->order);

		if (!f->live)
			continue;
		h = fnv64(h, id);
		h = fnv64(h, f->pfn);
		h = fnv64(h, (uint64_t)f->order << 32 | f->node << 8 | (unsigned)f->zone);
		h = fnv64(h, f->state);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t frame;
			bool rw;
			const uint8_t *b = vm_page_bytes(m, page_vaddr(m, f->pfn) + i * m->geo.page_size, &frame, &rw);

			h = fnv64(h, (uint64_t)rw << 1 | (tail && frame == tail - 1));
			if (b)
				h = fnv(h, b, m->geo.page_size);
		}
	}
	return h;
}

uint64_t hvo_digest(const struct hvo_machine *cm)
{
	struct hvo_machine *m = (struct hvo_machine *)cm;
	uint64_t h;

	observe_begin(m);
	h = digest(m);
	observe_end(m);
	return h;
}
