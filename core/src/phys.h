/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phys.h - simulated physical memory: nodes, zones, a per-zone buddy
 * allocator, a boot (memblock-like) allocator, allocation ownership records,
 * and lazily backed frame contents.
 *
 * Cost is proportional to what is in use, not to the size of the machine:
 * a 1 TiB machine is a handful of free blocks until something is allocated,
 * and a frame has host bytes only once someone asked for them.
 *
 * This layer knows nothing of HVO, failure injection or accounting; the
 * machine wraps it (see machine.c).
 */
#ifndef HVO_PHYS_H
#define HVO_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvo/hvo.h"

struct phys;

/* ALTMAP: a memmap_on_memory section's own first pages, which host its
 * vmemmap (neither memblock nor the buddy gave them out). */
enum phys_origin { PHYS_ORIGIN_BUDDY, PHYS_ORIGIN_BOOT, PHYS_ORIGIN_ALTMAP };

/* gfp-like flags for phys_alloc */
#define PHYS_GFP_KERNEL   0x1u /* zones NORMAL then DMA32 only; never MOVABLE */
#define PHYS_GFP_THISNODE 0x2u /* no fallback to other nodes */
#define PHYS_GFP_ANYZONE  0x4u /* the preferred zone, then any zone of the node (hugetlb) */

/* Layout is taken from cfg (nodes, movable ranges) and g (page size).
 * Zones of a node: DMA32 = pfns below 4 GiB, MOVABLE = pfns at or above
 * movable_start_pfn (or the whole node when movable_only), NORMAL = the rest,
 * DEVICE = the node's dax range (outside its memory, never in the buddy).
 * With mirror ranges (kernelcore=mirror): DMA32 below 4 GiB, above it
 * NORMAL where mirrored and MOVABLE elsewhere, so a zone may be several
 * runs; no free block crosses a run.
 * After phys_create only the boot allocator works; phys_buddy_init hands
 * every pfn not taken by the boot allocator to the buddy free lists. */
int phys_create(struct phys **out, const struct hvo_config *cfg, const struct hvo_geometry *g,
		char *err, size_t errlen);
void phys_destroy(struct phys *p);

/* Boot allocator: top-down within node (for a movable-only node: from the
 * first node that is not movable-only, like memblock with movable_node).
 * Block of 2^order frames, aligned to its size.  Origin BOOT. 0 or -ENOMEM. */
int phys_memblock_alloc(struct phys *p, int site, unsigned node, unsigned order, uint64_t *pfn);
/* memblock_reserve of the 2^order block at pfn (aligned, inside one node,
 * below anything the boot allocator gave out, overlapping no other
 * reservation), origin BOOT: 0 or -EINVAL.  At most PHYS_MAX_RESV. */
#define PHYS_MAX_RESV HVO_MAX_BOOTMEM
int phys_memblock_reserve(struct phys *p, int site, uint64_t pfn, unsigned order);
void phys_buddy_init(struct phys *p);
/* The nr frames from pfn of a memmap_on_memory node host the vmemmap
 * (mhp_init_memmap_on_memory): one order-0 record each, origin ALTMAP,
 * site memblock, never handed to the buddy.  Before phys_buddy_init. */
int phys_altmap_reserve(struct phys *p, uint64_t pfn, uint64_t nr);
/* A node hot-added with memmap_on_memory=0 (config hotplug) is offline
 * after phys_buddy_init: its pfns exist (locate, zones) but the buddy has
 * none of them, so its vmemmap comes from other nodes.  online_pages():
 * hand all of them to the buddy.  0, or -EINVAL (not an offline node, or
 * before phys_buddy_init), -ENOMEM. */
int phys_online_node(struct phys *p, unsigned node);
bool phys_node_online(const struct phys *p, unsigned node);
/* offline_pages() of a whole online node: start_isolate_page_range
 * (phys_isolate_node on: no allocation is served from the node), then
 * __offline_isolated_pages (phys_offline_node: the node's free memory
 * leaves the buddy; -EBUSY while any allocation lives in it, -EINVAL when
 * the node is offline).  Isolation off is undo_isolate_page_range. */
void phys_isolate_node(struct phys *p, unsigned node, bool on);
int phys_offline_node(struct phys *p, unsigned node);

/* Buddy allocation of an aligned 2^order block.  zone is preferred (-1: the
 * default order for the flags).  Node fallback is in node id order starting
 * at node.  site is recorded for ownership and leak reports.  0 or -ENOMEM. */
int phys_alloc(struct phys *p, int site, unsigned node, int zone, unsigned order,
	       unsigned gfp, uint64_t *pfn);
/* Free exactly one live allocation (pfn, order).  A BOOT-origin block goes
 * to the buddy too (free_reserved_page).  Returns 0; -EBUSY when
 * [pfn, pfn + 2^order) lies inside a live allocation of a higher order
 * (a page of a block nobody split_page()d: nothing is freed); -EINVAL when
 * (pfn, order) is not a live allocation otherwise (double free). */
int phys_free(struct phys *p, uint64_t pfn, unsigned order);
/* split_page: turn one live allocation of 2^order frames into 2^order live
 * order-0 allocations with the same site and origin.  0 or -EINVAL. */
int phys_split(struct phys *p, uint64_t pfn, unsigned order);

/* Split one live allocation of 2^order frames into live allocations of
 * 2^new_order frames (demote).  0 or -EINVAL. */
int phys_split_to(struct phys *p, uint64_t pfn, unsigned order, unsigned new_order);

/* Queries.  pfn may be anywhere; holes answer -1 / false. */
int phys_node_of(const struct phys *p, uint64_t pfn);
int phys_zone_of(const struct phys *p, uint64_t pfn);
/* Both in one lookup: the node (or -1) and *zone (or -1). */
int phys_node_zone(const struct phys *p, uint64_t pfn, int *zone);
bool phys_zone_present(const struct phys *p, unsigned node, int zone);
/* The zone's span on node (zone_start_pfn, zone_end_pfn()): true and
 * [*start, *end), or false when the zone is empty.  With kernelcore=mirror
 * NORMAL's and MOVABLE's spans overlap. */
bool phys_zone_span(const struct phys *p, unsigned node, int zone, uint64_t *start, uint64_t *end);
/* The zone map: pfn's zone and the maximal run [*start, *end) of pfns
 * around it in that zone (one node's), or -1 in a hole. */
int phys_zone_run(const struct phys *p, uint64_t pfn, uint64_t *start, uint64_t *end);
/* The live allocation containing pfn: true and its fields, or false. */
struct phys_alloc_info { uint64_t pfn; unsigned order; int site; enum phys_origin origin; };
bool phys_lookup(const struct phys *p, uint64_t pfn, struct phys_alloc_info *out);
/* The same, and *node: pfn's node (or -1) from the same one locate. */
bool phys_lookup_node(const struct phys *p, uint64_t pfn, struct phys_alloc_info *out, int *node);
/* Live frames (not allocations) by site, and in total. */
uint64_t phys_frames_by_site(const struct phys *p, int site);
uint64_t phys_free_frames(const struct phys *p);   /* in the buddy free lists */
uint64_t phys_total_frames(const struct phys *p);  /* all pfns of all nodes */
uint64_t phys_max_pfn(const struct phys *p);       /* one past the highest pfn */
uint64_t phys_nr_free_blocks(const struct phys *p);
/* Give every order-0 page parked on the per-zone lists back to the buddy
 * (merging); true when there was any. */
bool phys_drain_pcp(struct phys *p);
/* Full consistency check of the allocator's records and free lists: 0, or
 * -1 with err describing the first inconsistency. */
int phys_check(const struct phys *p, char *err, size_t errlen);
/* Calls fn for every live allocation in ascending pfn order; stops when fn
 * returns non-zero and returns that value. */
int phys_for_each_alloc(const struct phys *p, int (*fn)(void *ctx, const struct phys_alloc_info *a),
			void *ctx);

/* Frame contents.  Returns the host bytes of a live frame (page_size long,
 * host-page aligned), or NULL when it has none yet and create is false.
 * With create, a fresh buffer is returned uninitialised: the caller fills
 * it.  Freeing an allocation drops the bytes of its frames (their buffers
 * are poisoned under ASan and recycled). */
uint8_t *phys_frame(struct phys *p, uint64_t pfn, bool create);
/* Seal: make the frame's host bytes read-only (mprotect), so a stray write
 * that bypasses the model's accessors faults.  Unseal before any write.
 * Freeing a sealed frame unseals it first.  0 or -errno. */
int phys_frame_seal(struct phys *p, uint64_t pfn);
int phys_frame_unseal(struct phys *p, uint64_t pfn);
bool phys_frame_sealed(const struct phys *p, uint64_t pfn);
/* Host pages of the frame table now resident (mincore): a table page whose
 * frames all lost their bytes goes back to the host.  For tests. */
uint64_t phys_frame_table_resident(const struct phys *p);
/* Is addr inside the host bytes of a sealed frame?  (for fault handlers) */
bool phys_addr_in_sealed_frame(const struct phys *p, const void *addr, uint64_t *pfn);

/* Frames with host bytes now (a walk of the frame table). */
uint64_t phys_frames_with_bytes(const struct phys *p);
/* A copy of s (machine_reset.c): the same allocator state, frame bytes and
 * sealed frames, host memory from pool, node locks through sync.
 * zero_frames: the test-only break of the reset (frames zeroed, not
 * copied).  map_arenas: frame buffers from mmap, not the heap (a copy kept
 * as a snapshot: no leak check scans its bytes).  0 or -ENOMEM. */
int phys_clone(const struct phys *s, struct hvo_host_pool *pool, const struct hvo_sync_ops *sync, bool zero_frames,
	       bool map_arenas, struct phys **out);

#endif
