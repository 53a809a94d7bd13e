/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * page.h - struct page as bytes (spec 1.1) and the compound_info encodings (1.2).
 *
 * Offsets are those of a 64-bit kernel with a 64-byte struct page; larger
 * sizes append words (virtual, kmsan) that stay zero.
 */
#ifndef HVO_PAGE_H
#define HVO_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#define PO_FLAGS     0   /* flags: PG_* low, zone and node high */
#define PO_INFO      8   /* compound_info (tails) / lru.next */
#define PO_LRU_PREV  16
#define PO_MAPPING   24
#define PO_INDEX     32
#define PO_PRIVATE   40
#define PO_MAPCOUNT  48  /* int32: _mapcount, or page_type for typed pages */
#define PO_REFCOUNT  52  /* int32 */
#define PO_MEMCG     56

#define PG_HEAD      6
#define PG_RESERVED  13
#define PG_HWPOISON  23  /* the model's bit: the kernel's number depends on the config */
/* PAGE_FLAGS_CHECK_AT_PREP: every page flag but PG_hwpoison (the model's
 * flags end at PG_hwpoison); page[1]'s order byte is in PAGE_FLAGS_SECOND */
#define PAGE_FLAGS_CHECK_AT_PREP (((1ull << (PG_HWPOISON + 1)) - 1) & ~(1ull << PG_HWPOISON))
#define PAGE_FLAGS_SECOND 0xffull
#define FLAGS_ZONE_SHIFT 55
#define FLAGS_ZONE_MASK  0x7ull
#define FLAGS_NODE_SHIFT 58
#define FLAGS_NODE_MASK  0x3full
/* LAST_CPUPID in page->flags, just below the zone (LAST_CPUPID_PGOFF =
 * ZONES_PGOFF - LAST_CPUPID_WIDTH): x86-64 with NUMA_BALANCING and
 * NR_CPUS=8192, 13 cpu + 8 pid bits.  page_cpupid_reset_last() sets it to
 * all ones (D12). */
#define FLAGS_CPUPID_SHIFT 34
#define FLAGS_CPUPID_MASK  0x1fffffull

#define TAIL_MAPPING      0xdead000000000400ull  /* 0x400 + POISON_POINTER_DELTA */
#define PGTY_HUGETLB      0xf4u
#define PAGE_TYPE_HUGETLB (PGTY_HUGETLB << 24)
#define HPG_VMEMMAP_OPTIMIZED 4                  /* bit in head->private */
#define NR_USED_SUBPAGE   4                      /* folio metadata lives in page[0..3] */

/* folio metadata in page[1..3] (struct folio overlay) */
#define F1_LARGE_MAPCOUNT 16  /* int32 -1 */
#define F1_NR_PAGES_MAPPED 20 /* int32 0 */
#define F1_ENTIRE_MAPCOUNT 24 /* int32 -1 */
#define F1_PINCOUNT       28  /* int32 0 */
#define F1_NR_PAGES       32  /* u64 */
#define F2_DEFERRED_NEXT  16  /* list_head pointing at itself */
#define F2_DEFERRED_PREV  24
#define F3_SUBPOOL        16
#define F3_CGROUP         24
#define F3_CGROUP_RSVD    32
#define F3_HWPOISON       40

static inline uint64_t page_flags_nodezone(unsigned node, int zone)
{
	return ((uint64_t)node << FLAGS_NODE_SHIFT) | ((uint64_t)zone << FLAGS_ZONE_SHIFT);
}

/* set_page_links() + page_cpupid_reset_last(): the flags __init_single_page
 * writes (no section bits: SPARSEMEM_VMEMMAP keeps them out of flags). */
static inline uint64_t page_flags_init(unsigned node, int zone)
{
	return page_flags_nodezone(node, zone) | FLAGS_CPUPID_MASK << FLAGS_CPUPID_SHIFT;
}

struct hvo_machine;
struct folio;

/* Resolve compound_head for the struct page at vaddr through the mapping. */
uint64_t compound_head_vaddr(struct hvo_machine *m, uint64_t vaddr);
/* PageHead / PageTail as the kernel reports them (G1: fake-head aware). */
void page_head_tail(struct hvo_machine *m, uint64_t vaddr, bool *head, bool *tail);
/* G1: an alias of the head at a PAGE_SIZE-aligned tail slot (spec 1.2). */
bool page_is_fake_head(struct hvo_machine *m, uint64_t vaddr);
/* The compound_info a tail of this folio must hold (mask or pointer encoding). */
uint64_t tail_info(const struct hvo_machine *m, uint64_t head_vaddr, unsigned order);
/* Write the struct pages of a fresh HugeTLB folio: head, folio metadata,
 * every tail canonical (prep_compound_page + hugetlb prep).  false if a
 * write was refused (only possible through a bug). */
bool prep_hugetlb_folio(struct hvo_machine *m, const struct folio *f);
/* The same for struct pages [from, to) of the folio only (boot gather). */
bool prep_hugetlb_range(struct hvo_machine *m, const struct folio *f, uint64_t from, uint64_t to);
/* Write the struct pages of [pfn, pfn + nr) through the vmemmap, fn giving
 * each one's image (f is passed through).  false if a write was refused. */
typedef void (*page_img_fn)(struct hvo_machine *m, const struct folio *f, uint64_t pfn, uint8_t *img);
bool write_struct_pages(struct hvo_machine *m, uint64_t pfn, uint64_t nr, page_img_fn fn, const struct folio *f);
/* Return every struct page of the range to the state of a free buddy page. */
bool reset_struct_pages(struct hvo_machine *m, uint64_t pfn, uint64_t nr);
/* free_pages_prepare() of f's compound page, on its struct pages in place. */
bool free_pages_prepare(struct hvo_machine *m, const struct folio *f);
/* init_compound_tail() on the struct page in buf, in place: _refcount 0
 * (set_page_count, v7.1), _mapcount -1, the node and zone bits, then
 * prep_compound_tail() (TAIL_MAPPING, compound_info, private 0).  What it
 * does not write (lru.prev, last_cpupid, index) stays as it was (D12). */
void init_compound_tail(const struct hvo_machine *m, unsigned node, int zone, unsigned order,
			uint64_t head_vaddr, uint8_t *buf);
/* Byte image of a canonical tail struct page: init_compound_tail on a
 * zeroed page (the runtime vmemmap_get_tail); G3: plus PG_reserved in
 * ZONE_DEVICE. */
void canonical_tail_page(const struct hvo_machine *m, unsigned node, int zone, unsigned order,
			 uint64_t head_vaddr, uint8_t *buf);

#endif
