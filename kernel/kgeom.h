/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kgeom.h - layout facts of the kernel lane's machine that both the shim
 * (writing struct pages as the kernel does) and the oracle (computing what
 * they must hold) need: where node and zone live in page->flags.  Facts,
 * not helpers: nothing here computes a struct page.
 */
#ifndef HVO_KGEOM_H
#define HVO_KGEOM_H

/* x86-64 SPARSEMEM_VMEMMAP: node in the top bits, zone below it. */
#define KG_NODE_SHIFT 54
#define KG_NODE_MASK 0x3ffUL
#define KG_ZONE_SHIFT 51
#define KG_ZONE_MASK 0x7UL
/* ZONE_NORMAL's index in a machine with ZONE_DMA32 below it */
#define KG_ZONE_NORMAL 1UL

#endif
