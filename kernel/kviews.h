/* SPDX-License-Identifier: GPL-2.0-only */
/* kviews.h - host views behind the vmemmap (kmachine.c): map a frame (or a
 * 2 MiB block) at a vmemmap address, or make the address fault again. */
#ifndef HVO_KVIEWS_H
#define HVO_KVIEWS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
void kview_map(unsigned long va, uint64_t pfn, size_t len, bool rw);
void kview_unmap(unsigned long va, size_t len);
#endif
