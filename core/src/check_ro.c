// SPDX-License-Identifier: GPL-2.0-only
/*
 * check_ro.c - I10 asked for itself (spec section 3): every struct page
 * reachable through a read-only vmemmap PTE has _refcount 0 and _mapcount
 * -1, so a speculative get_page_unless_zero() never writes, and its
 * compound_info leads to the head of the compound page that owns the
 * address it is seen at.
 *
 * The walk goes over the page tables, not over the folios: a read-only PTE
 * must lie in a tail slot of a live hugetlb folio or of a device-DAX
 * compound page, and a read-only PTE that no compound page owns (a folio
 * freed without its vmemmap restored, a range torn down without its PTEs)
 * is an I10 finding no per-folio check can see.
 *
 * Expected values come from the spec, not from the model: refcount 0 and
 * mapcount -1 (1.1 / I4), and the decode of compound_info of 1.2 done
 * here (mask encoding: head = address & (info & ~1); pointer encoding:
 * head = info - 1), with the encoding chosen from the config the way
 * oracle_image.c does.  G1 is exempt: its read-only slots alias the head
 * by design (the spec's note on I10; that is why G1 needed RCU).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dax.h"

/* A compound page range the checker knows of: [pfn, pfn + nr) tiled by
 * compound pages of 2^order starting at pfn. */
struct owner { uint64_t pfn, nr; unsigned order; int32_t id; };

static int cmp_owner(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static struct owner *owners(const struct hvo_machine *m, uint32_t *nr)
{
	uint32_t cap = m->nr_folios + (m->dax ? m->dax->nr : 0), n = 0;
	struct owner *o = malloc((cap ? cap : 1) * sizeof(*o));

	if (!o)
		return NULL;
	for (uint32_t id = 0; id < m->nr_folios; id++) {
		const struct folio *f = folio_at(m, id);

		if (f->live)
			o[n++] = (struct owner){ f->pfn, 1ull << f->order, f->order, (int32_t)id };
	}
	for (uint32_t i = 0; m->dax && i < m->dax->nr; i++) {
		const struct dax_range *r = &m->dax->r[i];

		if (r->live && r->order)
			o[n++] = (struct owner){ r->pfn, r->nr, r->order, -1 };
	}
	qsort(o, n, sizeof(*o), cmp_owner);
	*nr = n;
	return o;
}

static const struct owner *owner_of(const struct owner *o, uint32_t nr, uint64_t pfn)
{
	uint32_t lo = 0, hi = nr;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (o[mid].pfn + o[mid].nr <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nr && o[lo].pfn <= pfn ? &o[lo] : NULL;
}

static uint32_t ld32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t ld64(const uint8_t *b)
{
	return (uint64_t)ld32(b) | (uint64_t)ld32(b + 4) << 32;
}

struct ro_ctx {
	struct hvo_machine *m;
	const struct owner *o;
	uint32_t nr;
	bool mask;          /* spec 1.2: G2/G3 with a power-of-two struct page */
	/* the last frame whose struct pages all read refcount 0, mapcount -1
	 * and one compound_info word: later PTEs to it decode at two ends */
	uint64_t ok_frame, ok_info;
};

/* spec 1.2: what compound_head() of the struct page at va must return. */
static bool decode(const struct ro_ctx *c, uint64_t va, uint64_t info, uint64_t *head)
{
	if (!(info & 1))
		return false;      /* not a tail at all: PageTail is bit 0 */
	*head = c->mask ? va & (info & ~1ull) : info - 1;
	return true;
}

static int report_head(struct ro_ctx *c, uint64_t va, uint64_t info, uint64_t frame)
{
	struct hvo_machine *m = c->m;
	unsigned sps = m->cfg.struct_page_size;
	uint64_t pfn = (va - m->vbase) / sps, head = 0;
	const struct owner *o = owner_of(c->o, c->nr, pfn);
	bool tail = decode(c, va, info, &head);

	if (!o) {
		hvo_violate(m, 10, pfn, -1, "read-only struct page at 0x%" PRIx64 " (frame 0x%" PRIx64 ") belongs to no "
			    "live folio or DAX compound page", va, frame);
		return 10;
	}
	hvo_violate(m, 10, pfn, o->id, "read-only struct page at 0x%" PRIx64 " (frame 0x%" PRIx64 ", compound_info "
		    "0x%" PRIx64 ") %s, head is 0x%" PRIx64, va, frame, info,
		    tail ? "leads elsewhere" : "is no tail", page_vaddr(m, o->pfn + ((pfn - o->pfn) & ~((1ull << o->order) - 1))));
	return 10;
}

/* The struct page at va (in the page mapped RO) leads to its owner's head. */
static bool leads_home(const struct ro_ctx *c, uint64_t va, uint64_t info)
{
	const struct hvo_machine *m = c->m;
	uint64_t pfn = (va - m->vbase) / m->cfg.struct_page_size, head;
	const struct owner *o = owner_of(c->o, c->nr, pfn);

	if (!o || !decode(c, va, info, &head))
		return false;
	/* a read-only struct page is a tail: never its compound page's head */
	return ((pfn - o->pfn) & ((1ull << o->order) - 1)) &&
	       head == page_vaddr(m, o->pfn + ((pfn - o->pfn) & ~((1ull << o->order) - 1)));
}

/* One read-only PTE: the vmemmap page at va maps frame.  Counts: every
 * struct page in it has refcount 0 and mapcount -1 and lies in a compound
 * page the checker knows.  Heads: each decodes to that compound page's
 * head. */
static int check_ro_page(struct ro_ctx *c, uint64_t va, uint64_t frame, bool heads)
{
	struct hvo_machine *m = c->m;
	unsigned sps = m->cfg.struct_page_size;
	uint64_t psz = 1ull << m->cfg.page_shift;
	/* the struct pages that lie wholly in this page */
	uint64_t first = (va - m->vbase + sps - 1) / sps, end = (va + psz - m->vbase) / sps;
	const uint8_t *b = phys_frame(m->phys, frame, false);
	bool uniform = true, aligned = page_vaddr(m, first) == va;
	uint64_t info0 = 0;

	if (!b || first >= end)
		return 0;     /* never written: memmap init bytes, I3 judges the mapping */
	if (!heads && frame == c->ok_frame && aligned) {
		/* verified bytes; the owners are whole compound pages of at least
		 * one vmemmap page (optimizable orders), so both ends suffice */
		if (!owner_of(c->o, c->nr, first) || !owner_of(c->o, c->nr, end - 1)) {
			uint64_t p = owner_of(c->o, c->nr, first) ? end - 1 : first;

			hvo_violate(m, 10, p, -1, "read-only struct page at 0x%" PRIx64 " (frame 0x%" PRIx64 ") belongs to "
				    "no live folio or DAX compound page", page_vaddr(m, p), frame);
			return 10;
		}
		return 0;
	} else if (frame == c->ok_frame && aligned) {
		/* every struct page here holds one verified compound_info word:
		 * the decode is monotone in the address, so both ends agreeing
		 * with the owner is enough */
		if (!leads_home(c, page_vaddr(m, first), c->ok_info))
			return report_head(c, page_vaddr(m, first), c->ok_info, frame);
		if (!leads_home(c, page_vaddr(m, end - 1), c->ok_info))
			return report_head(c, page_vaddr(m, end - 1), c->ok_info, frame);
		return 0;
	}
	for (uint64_t p = first; p < end; p++) {
		uint64_t pva = page_vaddr(m, p);
		const uint8_t *sp = b + (pva - va);
		int32_t ref = (int32_t)ld32(sp + PO_REFCOUNT), map = (int32_t)ld32(sp + PO_MAPCOUNT);
		uint64_t info = ld64(sp + PO_INFO);

		if (!heads && !owner_of(c->o, c->nr, p)) {
			hvo_violate(m, 10, p, -1, "read-only struct page at 0x%" PRIx64 " (frame 0x%" PRIx64 ") belongs to "
				    "no live folio or DAX compound page", pva, frame);
			return 10;
		}
		if (!heads && (ref != 0 || map != -1)) {
			hvo_violate(m, 10, p, -1, "struct page at 0x%" PRIx64 " is reachable through a read-only PTE (frame 0x%"
				    PRIx64 ") with refcount %d, mapcount %d: a speculative get would write it", pva, frame, ref,
				    map);
			return 10;
		}
		if (heads && !leads_home(c, pva, info))
			return report_head(c, pva, info, frame);
		if (p == first)
			info0 = info;
		uniform = uniform && info == info0;
	}
	if (uniform && aligned) {
		c->ok_frame = frame;
		c->ok_info = info0;
	}
	return 0;
}

int check_ro_reachable(struct hvo_machine *m, bool heads)
{
	unsigned sps = m->cfg.struct_page_size;
	struct ro_ctx c = { .m = m, .mask = (sps & (sps - 1)) == 0, .ok_frame = UINT64_MAX };
	int rc = 0;

	if (m->cfg.gen == HVO_G1)
		return 0;
	c.o = owners(m, &c.nr);
	if (!c.o)
		return 0;  /* host OOM: the checker skips, never invents a verdict */
	for (uint64_t i = 0; !rc && i < m->nr_pmd; i++) {
		const struct pmd *pmd = &m->pmd[i];
		uint64_t va = m->vbase + (i << m->geo.pmd_shift);

		if (pmd->val != PMD_TABLE)
			continue;   /* a PMD leaf is always writable */
		for (uint64_t j = 0; !rc && j < m->ptrs_per_table; j++) {
			uint64_t pte = pmd->table->pte[j];

			if ((pte & PTE_PRESENT) && !(pte & PTE_RW))
				rc = check_ro_page(&c, va + (j << m->cfg.page_shift), pte_pfn(pte), heads);
		}
	}
	free((void *)c.o);
	return rc;
}
