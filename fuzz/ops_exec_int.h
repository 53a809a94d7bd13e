/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ops_exec_int.h - state shared by the executor (ops_exec.c) and its trace
 * and failure report (ops_report.c).  Not part of the ops API.
 */
#ifndef HVO_FUZZ_OPS_EXEC_INT_H
#define HVO_FUZZ_OPS_EXEC_INT_H

#include "ops.h"

/* What one op did. */
struct op_out {
	int64_t rc;
	int32_t folio;   /* the folio it acted on, -1 if none */
	bool skipped;    /* no live folio to select */
};

/* One injected op that fired. */
struct fire_rec {
	size_t during;      /* the top-level op running when it fired */
	size_t inject_op;   /* the inject op that armed it */
	int sp;
	char where[HVO_OPS_WHERE_LEN];
	bool deferred;      /* hit while a lock was held: ran at its release */
	struct op_out out;
};

struct id_buf {
	int32_t *live, *ids;  /* live folio list; resolved ids handed to the core */
	unsigned cap_live, cap_ids;
};

struct exec_ctx {
	const struct hvo_opstream *s;
	struct hvo_machine *m;
	struct hvo_fail_policy policy;  /* private copy: the budget counts down */
	struct hvo_sync_ops sync;
	struct hvo_run_result *res;
	FILE *log;
	unsigned flags;
	size_t cur;                     /* running top-level op */
	int64_t last_rc;                /* rc of the last top-level op (expect) */
	bool expect_failed;
	char harness_err[160];          /* lock misuse or OOM seen by the executor */
	struct hvo_violation walk_viol; /* the first walk op whose view was judged wrong (I20) */
	/* injection: armed -> (hit) -> pending -> (no lock held) -> fired */
	const struct hvo_inject *armed, *pending;
	size_t armed_op, pending_op;
	uint64_t hits;
	int pending_sp;
	char pending_where[HVO_OPS_WHERE_LEN];
	bool nested;
	unsigned quiet;                 /* >0: inside a harness call (check, list, ...): points do not count */
	bool held[HVO_NR_LOCKS];
	unsigned rcu_readers;           /* RCU read-side nesting of the running op */
	struct id_buf buf[2];           /* [0] top level, [1] the nested op */
	/* trace, kept only for a non-verbose log */
	struct op_out *recs;
	struct fire_rec *fires;
	size_t nr_fires, cap_fires;
};

/* ops_exec.c, one step at a time (the lockstep runner in ops_diff.c):
 * setup (0, or -1 with res->status 2; c->m NULL when boot failed as
 * expected), then op i (true: the run failed there), finish, cleanup. */
int exec_setup(struct exec_ctx *c, uint64_t extra_mutants);
bool exec_step(struct exec_ctx *c, size_t i);
void exec_finish(struct exec_ctx *c);
void exec_cleanup(struct exec_ctx *c);

/* ops_reset.c: the boot cache of c->s (none: -1 and nothing).  take: 0
 * with c->m a copy of the booted machine of cfg and c->policy its state
 * after boot, or -1 (boot it).  put: keep a copy of the freshly booted c->m. */
int boot_cache_take(struct exec_ctx *c, const struct hvo_config *cfg);
void boot_cache_put(struct exec_ctx *c, const struct hvo_config *cfg);

/* ops_fault.c */
void fault_report_begin(const struct exec_ctx *c);
void fault_report_end(void);

/* ops_report.c */
void report_start(struct exec_ctx *c, uint64_t extra_mutants);
void report_op(struct exec_ctx *c, size_t i, const struct op_out *out);
void report_fire(struct exec_ctx *c, const struct fire_rec *fr);
void report_end(struct exec_ctx *c, uint64_t extra_mutants);
void report_core_log(void *ctx, const char *line);

#endif
