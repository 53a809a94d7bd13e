// SPDX-License-Identifier: GPL-2.0-only
/*
 * oracle_page.c - the checker's own reading of a struct page (spec 1.2):
 * compound_head() and PageHead()/PageTail() from the raw words, for I1
 * and I2.
 *
 * Independence: nothing here calls page.c.  The model's readers carry
 * hooks (B24's split read of compound_info) and the G1 per-CPU view of the
 * static key inside an RCU section; the checker runs at quiescent points
 * and reads one word at a time, the way a reader with no race would.
 */
#include "internal.h"

/* spec 1.2: the mask encoding iff the generation has it (not G1) and
 * sizeof(struct page) is a power of two. */
static bool oracle_mask_encoding(const struct hvo_machine *m)
{
	unsigned sps = m->cfg.struct_page_size;

	return m->cfg.gen != HVO_G1 && !(sps & (sps - 1));
}

/* G1 page_fixed_fake_head(): with the static key on, a PAGE_SIZE-aligned
 * struct page with PG_head whose next struct page is a tail is an alias of
 * slot 0 (spec 1.2); the real head is the one that tail names. */
static uint64_t oracle_fake_head_target(struct hvo_machine *m, uint64_t va)
{
	uint64_t next;

	if (m->cfg.gen != HVO_G1 || !__atomic_load_n(&m->g1_key, __ATOMIC_RELAXED) ||
	    va % (1ull << m->cfg.page_shift) || !(vm_read64(m, va + PO_FLAGS) >> PG_HEAD & 1))
		return va;
	next = vm_read64(m, va + m->cfg.struct_page_size + PO_INFO);
	return (next & 1) ? next - 1 : va;
}

uint64_t oracle_compound_head(struct hvo_machine *m, uint64_t va)
{
	uint64_t info = vm_read64(m, va + PO_INFO);

	if (!(info & 1))
		return oracle_fake_head_target(m, va);
	/* a tail: the mask keeps the head's address bits, else head + 1 */
	return oracle_mask_encoding(m) ? va & info : info - 1;
}

void oracle_head_tail(struct hvo_machine *m, uint64_t va, bool *head, bool *tail)
{
	uint64_t info = vm_read64(m, va + PO_INFO);
	bool fake = !(info & 1) && oracle_fake_head_target(m, va) != va;

	*head = (vm_read64(m, va + PO_FLAGS) >> PG_HEAD & 1) && !fake;
	*tail = (info & 1) || fake;
}

/* page_ref_count() of pfn's struct page, from its raw word: the checker's
 * own vmemmap arithmetic, not page.c's page_vaddr(). */
int32_t oracle_refcount(struct hvo_machine *m, uint64_t pfn)
{
	return (int32_t)vm_read32(m, m->vbase + pfn * m->cfg.struct_page_size + PO_REFCOUNT);
}
