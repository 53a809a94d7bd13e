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
 *
 * The comparison (oracle_tail_equal) is of the fields I4 names.  Two that
 * it does not name are the kernel's to leave as they are (issue 13 D12):
 * lru.prev, the second word of the union whose first is compound_info,
 * which no reader of a tail takes, and the last_cpupid field of flags
 * (spec 1.1: "possibly last_cpupid").  __init_single_page writes both (a
 * self pointer, all ones) and init_compound_tail keeps them, so a boot
 * shared tail memmap_init wrote through carries them, and so do the tails
 * a G1 restore copies from slot 0.
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

bool oracle_tail_equal(const struct hvo_machine *m, const uint8_t *expect, const uint8_t *page)
{
	uint64_t psz = 1ull << m->cfg.page_shift, off;
	unsigned sps = m->cfg.struct_page_size;
	const uint64_t cpupid = FLAGS_CPUPID_MASK << FLAGS_CPUPID_SHIFT;

	for (off = 0; off + sps <= psz; off += sps) {
		uint64_t fe = 0, fp = 0;

		for (unsigned i = 0; i < 8; i++) {
			fe |= (uint64_t)expect[off + i] << (8 * i);
			fp |= (uint64_t)page[off + i] << (8 * i);
		}
		if ((fe ^ fp) & ~cpupid || memcmp(expect + off + PO_INFO, page + off + PO_INFO, 8) ||
		    memcmp(expect + off + PO_MAPPING, page + off + PO_MAPPING, sps - PO_MAPPING))
			return false;
	}
	return !memcmp(expect + off, page + off, psz - off);
}
