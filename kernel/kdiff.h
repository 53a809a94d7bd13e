/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kdiff.h - the kernel lane in lockstep with the model's G1: the first op
 * after which what kernel code can see differs (kdiff.c).
 */
#ifndef HVO_KDIFF_H
#define HVO_KDIFF_H

#include "krun.h"

struct kdiff_result {
	int status;          /* 0 agree, 1 divergence or a finding on either side, 2 setup error */
	size_t op;           /* the op after which they differ, SIZE_MAX if none */
	size_t compared;     /* ops run on both and compared */
	uint64_t skipped;    /* ops the file has no entry point for (not run on either side) */
	bool finding;        /* the divergence is a finding of either side's oracle */
	bool both_found;     /* agree: both oracles report the same invariant after the same op (reason says) */
	bool capacity_stop;  /* ended early, as agreeing: the lane's machine ran out of folio memory */
	char reason[768];
};

/* model_variants: bits of the model's variants (hvo_mutant_info()->variant)
 * to run the model with, e.g. the revision the tree is. */
int kdiff_stream(const struct hvo_opstream *s, uint64_t model_variants, struct kdiff_result *res);

#endif
