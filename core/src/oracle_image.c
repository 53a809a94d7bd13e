// SPDX-License-Identifier: GPL-2.0-only
/*
 * oracle_image.c - the checker's own expectation of a tail struct page
 * (spec 1.1, 1.2 and I4), computed from the spec's constants and the
 * folio's parameters: node, zone, order, the head's address, and the
 * config's page and struct page sizes and generation.
 *
 * Independence (architecture: "the checker never uses a model helper to
 * compute what the model should have produced"): nothing here calls the
 * model's page.c (canonical_tail_page, tail_info, page_flags_nodezone) or
 * its derived geometry.  It shares with the model only the layout of the
 * struct page (the offsets and flag bit positions of page.h), which is
 * data, not a computation.  So a bug in the model's shared helpers shows
 * up as a difference here (test: the X1 mutant).
 */
#include <string.h>

#include "internal.h"

static void st64(uint8_t *b, unsigned off, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

static void st32(uint8_t *b, unsigned off, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

/* spec 1.2: the mask encoding is used iff the generation has it (G2 on;
 * G1 predates it) and sizeof(struct page) is a power of two. */
static uint64_t expected_info(const struct hvo_machine *m, unsigned order, uint64_t head_vaddr)
{
	unsigned sps = m->cfg.struct_page_size, log2sps = 0;

	if (m->cfg.gen == HVO_G1 || (sps & (sps - 1)) != 0)
		return head_vaddr | 1;
	while ((1u << log2sps) < sps)
		log2sps++;
	/* all bits from order + log2(sizeof(struct page)) up, and the tail bit */
	return (order + log2sps >= 64 ? 0 : ~0ull << (order + log2sps)) | 1;
}

static void oracle_tail_struct_page(const struct hvo_machine *m, unsigned node, int zone, unsigned order,
				    uint64_t head_vaddr, uint8_t *sp)
{
	/* I4: flags = node and zone bits only (+ PG_reserved in ZONE_DEVICE),
	 * compound_info, mapping = TAIL_MAPPING, index = private = 0,
	 * _mapcount = -1, _refcount = 0, memcg_data = 0; any bytes past the
	 * 64 the spec names are zero. */
	memset(sp, 0, m->cfg.struct_page_size);
	st64(sp, PO_FLAGS, (uint64_t)node << FLAGS_NODE_SHIFT | (uint64_t)zone << FLAGS_ZONE_SHIFT |
				   (zone == HVO_ZONE_DEVICE ? 1ull << PG_RESERVED : 0));
	st64(sp, PO_INFO, expected_info(m, order, head_vaddr));
	st64(sp, PO_MAPPING, TAIL_MAPPING);
	st32(sp, PO_MAPCOUNT, 0xffffffffu);
}

void oracle_tail_image(const struct hvo_machine *m, unsigned node, int zone, unsigned order, uint64_t head_vaddr,
		       uint8_t *page)
{
	uint64_t psz = 1ull << m->cfg.page_shift;
	unsigned sps = m->cfg.struct_page_size;

	memset(page, 0, psz);
	for (uint64_t off = 0; off + sps <= psz; off += sps)
		oracle_tail_struct_page(m, node, zone, order, head_vaddr, page + off);
}
