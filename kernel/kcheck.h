/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kcheck.h - the kernel lane's oracle: the spec's invariants evaluated on
 * the lane's machine after every op, independent of the kernel file under
 * test, of the adapter and of the model (see kcheck.c).  Findings go to
 * kmach_report().
 */
#ifndef HVO_KCHECK_H
#define HVO_KCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "kadapter.h"

enum kcheck_op { KC_OTHER, KC_ALLOC, KC_OPTIMIZE, KC_RESTORE, KC_FREE };

struct kcheck {
	unsigned plain_from;      /* first struct page of a folio that is a plain tail */
	bool check_acct;          /* the tree keeps NR_MEMMAP_PAGES: check I11 */
	bool was_opt[KA_MAX_FOLIOS];
	unsigned char *snap;      /* one folio's struct pages before the op */
	size_t snap_cap;
	int32_t snap_id;
	bool snap_valid;
	enum kcheck_op last_op;   /* of the last kcheck_after, for the report's second look */
};

extern struct kcheck kc;

/* plain_from: 4 on 6.12 (struct folio spans page[0..3]), 3 on 6.1. */
void kcheck_reset(unsigned plain_from);
/* Before an op on one folio: keep its struct pages (I8, I9). */
void kcheck_before(const struct kfolio *f);
/* After every op. */
void kcheck_after(enum kcheck_op op);

#endif
