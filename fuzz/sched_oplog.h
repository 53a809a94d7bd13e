/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sched_oplog.h - replay of hvo-stress op logs on the deterministic
 * scheduler: one fiber per stress thread running that thread's last ops,
 * under random or PCT schedules, until a run fails.  That turns a stress
 * failure (found by real threads, not replayable) into a scheduler witness
 * whose schedule string replays it exactly.
 *
 * The log (hvo-stress writes reports/stress-<scenario>-g<gen>-<seed>.oplog):
 *
 *     hvo-oplog 1
 *     # comment
 *     scenario churn              churn or tail-storm (tail-storm: B29 oracle at the end)
 *     gen g2                      g1 or g2
 *     mutant B28                  any number of these
 *     folio ID ORDER NODE ZONE [inuse]  allocation order; the ids must come out the same;
 *                                 inuse: taken with get at setup and never put (churn's
 *                                 in-use folio, which only walkers touch: I20)
 *     thread N                    then that thread's ops, oldest first:
 *     op KIND FOLIO IDX RC        restore|optimize|get|put|walk|isolate; IDX: the walked
 *                                 pfn's index in the folio; RC: what stress saw
 *
 * Setup as in hvo-stress (churn: allocated optimized; tail-storm: with HVO
 * off), then each folio is brought to the state its first logged op
 * expects (churn: restored when it is optimize, taken with get when put).  Each op must return 0 and each walker
 * view is judged as in hvo-stress (hvo_check_view); hvo_check runs at the end.
 */
#ifndef HVO_FUZZ_SCHED_OPLOG_H
#define HVO_FUZZ_SCHED_OPLOG_H

#include <stdint.h>
#include <stdio.h>

#include "sched.h"

#define OPLOG_MAX_OPS 64
#define OPLOG_MAX_FOLIOS 64

enum oplog_kind { OPK_RESTORE, OPK_OPTIMIZE, OPK_GET, OPK_PUT, OPK_WALK, OPK_ISOLATE, NR_OPK };

struct oplog_op { enum oplog_kind kind; int32_t folio; uint64_t idx; };  /* idx: walkers' pfn - folio pfn */

struct oplog {
	bool storm;                   /* tail-storm: every folio optimized, one shared tail at the end */
	enum hvo_gen gen;
	uint64_t mutants;
	char expect[16];              /* "expect-fail I<N>" (a witness log): what its replay fails with; "" none */
	unsigned nr_folios, nr_threads;
	struct { int32_t id; unsigned order, node; int zone; bool inuse; } folio[OPLOG_MAX_FOLIOS];
	unsigned nr_ops[SCHED_MAX_CPUS];
	struct oplog_op op[SCHED_MAX_CPUS][OPLOG_MAX_OPS];
};

/* 0, or -1 with err set (more than SCHED_MAX_CPUS threads is an error). */
int oplog_parse(const char *text, struct oplog *log, char *err, size_t errlen);
/* One run under sc (ncpus is taken from the log): 0 clean, 1 failed
 * (reason says why), 2 setup error.  schedule gets the decisions taken. */
int oplog_run(const struct oplog *log, const struct sched_cfg *sc, char *reason, size_t rlen, char *schedule,
	      size_t slen);

#endif
