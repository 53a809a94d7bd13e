/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * krun.h - one op stream on the kernel lane: the same "hvo-ops 1" streams
 * as the model (fuzz/ops.h), the same failure rules (site names), the
 * lane's oracle after every op.
 */
#ifndef HVO_KRUN_H
#define HVO_KRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kmachine.h"
#include "ops.h"

struct krun_result {
	int status;                 /* 0 clean, 1 finding, 2 refused (reason) */
	char reason[512];
	size_t ops_executed;
	size_t fail_op;             /* the op after which the first finding came, SIZE_MAX if none */
	unsigned nr_findings;
	struct kfinding findings[KMACH_MAX_FINDINGS];
	uint64_t kind_count[HVO_NR_OP_KINDS];
	uint64_t skipped[HVO_NR_OP_KINDS];   /* ops this file has no entry point for */
	uint64_t nr_skipped;
	long memmap_pages, memmap_boot_pages;
	uint64_t rcu_syncs, flushes;
};

int krun_stream(const struct hvo_opstream *s, struct krun_result *res, FILE *log);
/* The same, one op at a time (the lockstep diff): setup (0, or 2 with
 * res->reason), step i (true: a finding, the run is over), finish (boots
 * the machine down; returns res->status). */
int krun_setup(const struct hvo_opstream *s, struct krun_result *res, FILE *log);
bool krun_step(size_t i, bool *skipped, int64_t *rc);
int krun_finish(void);
/* A witness's expectation "I8" or "WARN,I17,I11": every ID found and no
 * other.  false with why filled in otherwise. */
bool krun_matches(const struct krun_result *res, const char *expect, char *why, size_t len);

#endif
