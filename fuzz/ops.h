/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ops.h - the op stream (architecture rule 4): a config, a failure policy and
 * a list of ops, with one text form (version 1), one parser, one printer and
 * one executor.  A fuzz input, a crash report and a regression file are all
 * an op stream.
 *
 * Files: ops_text.c (parse/print/compare/build, needs only the name lookups
 * and hvo_config_default of the core), ops_file.c (load/save), ops_exec.c
 * (the executor), ops_report.c (its trace and failure report), workload.c
 * (the random workload).
 *
 * Choices where the format leaves room:
 * - "node" lines: start, movable_start, movable_only, memmap_on_memory,
 *   hotplug, dax_start and dax_pages default to 0 (hotplug=1: hot-added
 *   after boot with memmap_on_memory=0, its vmemmap PMD blocks from the
 *   buddy; not with memmap_on_memory=1); pages is required.  "config gen=" is g2 (the
 *   default) or g3; only g3 takes dax ranges and the dax_add/dax_remove ops.
 * - "dax_remove range=K" selects the K-th live DAX range in id order,
 *   modulo their number (none live: skipped), like a folio selector.  "budget" without sites= has an empty site mask.
 * - "expect rc=N" compares with the last non-expect top-level op (0 before
 *   any).  A skipped op returns 0.  inject returns 0, enable 0, check the
 *   value of hvo_check.  alloc_batch returns the number allocated.
 * - One inject is armed at a time: a later inject line replaces an armed
 *   one that has not fired.  Scheduling points reached inside the
 *   harness's own calls (hvo_check, hvo_folio_list, hvo_folio_info) neither
 *   count nor fire.  A point hit while the interrupted op holds a lock (or
 *   is inside an RCU read-side section) runs the nested op at the release
 *   of the last lock (or the end of the section; see ops_exec.c).
 * - Batch selectors resolve independently, so a batch may name a folio
 *   twice; the core ignores duplicates as the kernel's list would.
 *   "free_bulk f=a,b,..." is update_and_free_pages_bulk over them and
 *   returns the number freed; "hwpoison f=K index=I" is memory_failure on
 *   page I (modulo the folio's size, as a walk's index) of folio K.
 *   "demote_batch f=a,b,... order=O" is demote_pool_huge_page over them
 *   and returns the number demoted; "hpage_work" runs free_hpage_workfn
 *   and returns the number it freed.
 * - "offline node=N" is offline_and_remove_memory of node N, which must be
 *   a hotplug=1 node still online (-EINVAL otherwise): -EBUSY with a folio
 *   of it in use, when a dissolve fails, or when anything else is
 *   allocated in it (on a normal node HVO's own pages may be: G1's head
 *   copy, G2's shared tail); 0 when its folios were dissolved and its
 *   vmemmap freed.  Text only (no binary form, never injected, not in the
 *   random workload).
 * - Creation failing with -ENOMEM under a fail rule that can hit memblock
 *   is a pass ("boot failed as injected"), not a setup error.
 * - The header line "expect setup-error" turns a refused config into the
 *   pass and an accepted one into the failure (unless an op fails first):
 *   the witness form of a check that lives in config validation (B19).
 * - The header line "expect-fail ID" (ID: I0..I23) says what a witness
 *   catches: run with its mutant, the run must stop at a violation of that
 *   invariant.  It changes nothing in a run; replay --expect-fail checks
 *   it.  Streams without it stay valid; it has no binary form.  A second
 *   word "sanitizer:FUNC" also accepts a sanitizer report naming FUNC: a
 *   mutant whose bad host access (B18's read past vmemmap_tails[]) a
 *   sanitizer build stops before the checker reports.
 */
#ifndef HVO_FUZZ_OPS_H
#define HVO_FUZZ_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hvo/hvo.h"

#define HVO_OPS_VERSION 1
#define HVO_OPS_MAX_LINE 4096     /* bytes per line, newline excluded */
#define HVO_OPS_MAX_OPS 1000000   /* top-level ops per stream */
#define HVO_OPS_MAX_BATCH 16      /* folio selectors in one batch op */
#define HVO_OPS_MAX_ALLOC_BATCH 1024
#define HVO_OPS_MAX_NODE 255      /* alloc node= (the core rejects absent nodes) */
#define HVO_OPS_WHERE_LEN 64      /* inject where= prefix, NUL included */

enum hvo_op_kind {
	HVO_OP_ALLOC, HVO_OP_ALLOC_BATCH, HVO_OP_OPTIMIZE, HVO_OP_RESTORE,
	HVO_OP_OPTIMIZE_BATCH, HVO_OP_RESTORE_BATCH, HVO_OP_FREE, HVO_OP_DISSOLVE,
	HVO_OP_DEMOTE, HVO_OP_GET, HVO_OP_PUT, HVO_OP_WALK, HVO_OP_ENABLE,
	HVO_OP_CHECK, HVO_OP_INJECT, HVO_OP_EXPECT,
	HVO_OP_DAX_ADD, HVO_OP_DAX_REMOVE,  /* G3 device DAX hot-add / hot-remove */
	HVO_OP_FREE_BULK, HVO_OP_HWPOISON,  /* the hugetlb.c lifecycle (issue 13, D7) */
	HVO_OP_DEMOTE_BATCH, HVO_OP_HPAGE_WORK,
	HVO_OP_OFFLINE,  /* offline_and_remove_memory of a hotplug=1 node (D4): text only */
	HVO_NR_OP_KINDS
};

/*
 * One op.  "f" selects the f-th live folio in ascending id order, modulo the
 * number of live folios (no live folio: the op is skipped).  Fields an op
 * kind does not use stay zero, so two streams compare field by field.
 */
struct hvo_op {
	enum hvo_op_kind kind;
	unsigned order;      /* alloc, alloc_batch, demote */
	int zone;            /* alloc*: enum hvo_zone, -1 = any */
	unsigned node;       /* alloc*, offline */
	unsigned n;          /* alloc_batch: count; enable: 0/1; *_batch: nr of selectors */
	uint32_t f;          /* folio selector; *_batch: first selector in s->sel[]; inject: s->injects[] */
	bool by_folio;       /* walk: f=/index= form rather than pfn= */
	bool altmap;         /* dax_add: self-hosted vmemmap */
	uint64_t pages;      /* dax_add */
	union {
		uint64_t pfn;    /* walk pfn=, dax_add pfn= */
		uint64_t index;  /* walk f= index= */
		int64_t rc;      /* expect rc= */
	};
};

/* An armed one-shot racer: at the hit-th sched point of type `at` whose
 * where string starts with `where` ("" = any), run `op` (never inject or
 * expect) from inside the sched callback. */
struct hvo_inject {
	int at;              /* enum hvo_sync_point */
	uint32_t hit;        /* from 1 */
	char where[HVO_OPS_WHERE_LEN];
	struct hvo_op op;
};

struct hvo_opstream {
	struct hvo_config config;   /* fail, sync and log hooks unused (NULL) */
	bool expect_setup_error;    /* header "expect setup-error": the config must be refused */
	int expect_fail_inv;        /* header "expect-fail I<N>": N, or -1 when absent */
	char expect_sanitizer[48];  /* "expect-fail I<N> sanitizer:FUNC": FUNC, or "" */
	struct hvo_fail_policy fail;
	struct hvo_op *ops;
	size_t nr_ops, cap_ops;
	uint32_t *sel;              /* batch selector pool */
	size_t nr_sel, cap_sel;
	struct hvo_inject *injects;
	size_t nr_injects, cap_injects;
	/* Booted machines kept across runs (NULL: boot every run): see
	 * hvo_boot_cache; the caller owns it, like config.host_pool. */
	struct hvo_boot_cache *boot_cache;
};

/* ------------------------------------------------------------ ops_text.c */

const char *hvo_op_kind_name(enum hvo_op_kind kind);
/* "g1".."g3" (either case) -> 1..3, else -1. */
int hvo_gen_by_name(const char *name);
/* Empty stream: hvo_config_default(), no fail rules, budget unlimited. */
void hvo_ops_init(struct hvo_opstream *s);
void hvo_ops_free(struct hvo_opstream *s);
/* Append a zeroed op (NULL on OOM or past HVO_OPS_MAX_OPS).  The pointer
 * is valid until the next append. */
struct hvo_op *hvo_ops_add(struct hvo_opstream *s, enum hvo_op_kind kind);
/* Store the selectors of a batch op (n <= HVO_OPS_MAX_BATCH): sets op->f, op->n. */
int hvo_ops_set_sel(struct hvo_opstream *s, struct hvo_op *op, const uint32_t *sel, unsigned n);
/* Make op an inject carrying `nested`; returns the inject to fill in (at, hit, where). */
struct hvo_inject *hvo_ops_set_inject(struct hvo_opstream *s, struct hvo_op *op, const struct hvo_op *nested);

/* Parse text (version 1).  Returns 0, or -1 with "name:line: what" in err.
 * *out is initialised either way (empty on error); free it with hvo_ops_free. */
int hvo_ops_parse(const char *text, size_t len, const char *name, struct hvo_opstream *out,
		  char *err, size_t errlen);
/* Canonical text: parse(print(s)) equals s.  Returns 0 or -1 (write error). */
int hvo_ops_print(const struct hvo_opstream *s, FILE *f);
/* The header part (through the "ops" line), with extra mutants merged in. */
void hvo_ops_print_header(const struct hvo_opstream *s, uint64_t extra_mutants, FILE *f);
/* One op in canonical form, without newline. */
void hvo_ops_print_op(const struct hvo_opstream *s, const struct hvo_op *op, FILE *f);
bool hvo_ops_equal(const struct hvo_opstream *a, const struct hvo_opstream *b);

/* ------------------------------------------------------------ ops_file.c */

/* A whole file into a malloc'ed buffer; NULL with errno set on failure. */
uint8_t *hvo_read_file(const char *path, size_t *len);
/* Read and parse a file; errors name the file (and line). */
int hvo_ops_load(const char *path, struct hvo_opstream *out, char *err, size_t errlen);
int hvo_ops_save(const struct hvo_opstream *s, const char *path, char *err, size_t errlen);

/* ------------------------------------------------------------ ops_exec.c */

#define HVO_RUN_VERBOSE 1u  /* stream every op, its rc and the core's log to `log` */
/* After each op hvo_check_changed (config track_changes), with a full
 * hvo_check every 16th op and after the last: the fuzz targets' mode.
 * Same verdict at the same op; replay, explain and the zoo keep the full
 * check after every op. */
#define HVO_RUN_CHANGED 2u
/* No final digest (res->digest stays 0): a fuzz target does not read it. */
#define HVO_RUN_NO_DIGEST 4u

struct hvo_run_result {
	int status;                  /* 0 pass, 1 violation/expect failure, 2 setup error */
	size_t ops_executed;         /* top-level ops run, the failing one included */
	size_t fail_op;              /* index of the failing op, SIZE_MAX if none */
	bool has_violation;
	struct hvo_violation violation;
	char reason[HVO_ERR_LEN + 64];
	uint64_t digest;             /* hvo_digest of the final state (0 without a machine) */
	struct hvo_counters counters;
	uint64_t kind_count[HVO_NR_OP_KINDS]; /* top-level ops executed, by kind */
	uint64_t skipped;            /* ops that found no live folio */
	uint64_t injected;           /* injects that fired */
	bool boot_failed;            /* creation failed with an injected memblock failure */
};

/*
 * Create the machine (stream config + extra mutants, the stream's fail
 * policy through hvo_fail_policy_hook, the executor's sync ops), run every
 * op, hvo_check() after each, stop at the first violation or failed expect.
 * log may be NULL.  Returns res->status.
 */
/* ops_reset.c: a boot cache (issue 16).  A run with s->boot_cache set and
 * no core log starts from a copy (hvo_machine_clone) of the booted machine
 * of a recent run with the same config, mutants and failure rules, and
 * keeps a copy of its own fresh boot otherwise, from the second boot of a
 * config on; the result is the same (test_reuse).  It keeps at most 8
 * machines and 64 MiB of their frames; destroy it before their host pool. */
struct hvo_boot_cache;
struct hvo_boot_cache *hvo_boot_cache_create(void);
void hvo_boot_cache_destroy(struct hvo_boot_cache *bc);
uint64_t hvo_boot_cache_hits(const struct hvo_boot_cache *bc);
int hvo_ops_run(const struct hvo_opstream *s, uint64_t extra_mutants, struct hvo_run_result *res, FILE *log);
int hvo_ops_run_flags(const struct hvo_opstream *s, uint64_t extra_mutants, unsigned flags,
		      struct hvo_run_result *res, FILE *log);

/* ------------------------------------------------------------ ops_diff.c */

#define HVO_DIFF_MAX_GENS 3
struct hvo_diff_result {
	int status;               /* 0 agree, 1 divergence or a violation, 2 setup error */
	size_t op;                /* the op after which they diverged, SIZE_MAX if none */
	size_t ops_compared;
	bool oom_stop;            /* ended early, as a pass: an allocation ran out of memory (reason says where) */
	char reason[2 * HVO_ERR_LEN + 64];
	uint64_t digest[HVO_DIFF_MAX_GENS];  /* final digest of each machine */
};
/* Run s on one machine per generation in lockstep, without its failure
 * rules and injected racers (see ops_diff.c), checking each machine after
 * every op and comparing rcs and hvo_compare_visible against gens[0].
 * extra_mutants (a campaign's) go into every machine, as in hvo_ops_run;
 * flags: HVO_RUN_CHANGED, HVO_RUN_NO_DIGEST or 0.  Returns res->status. */
int hvo_ops_diff(const struct hvo_opstream *s, const enum hvo_gen *gens, unsigned n, uint64_t extra_mutants,
		 unsigned flags, struct hvo_diff_result *res);

/* ------------------------------------------------------------ workload.c */

/* A deterministic random workload on the default config.  Seeds with bit 63
 * set also pick the page shift (12, 14 or 16).  Returns 0 or -1 (OOM). */
int hvo_ops_random(uint64_t seed, unsigned nr_ops, struct hvo_opstream *out);
/* The harness's deterministic PRNG (splitmix64): advances *state. */
uint64_t hvo_splitmix64(uint64_t *state);

/* ------------------------------------------------------------ ops_bytes.c */

/*
 * The binary form (version HVO_OPS_VERSION, the same number as the text
 * form's "hvo-ops 1"): what a fuzz engine mutates.  Decoding is total: every
 * byte string, the empty one included, is a valid run whose config the core
 * accepts (or, for the one "misaligned vmemmap base" mode on a power-of-two
 * struct page, a stream with expect_setup_error that the core refuses as
 * expected).  The layout is described at the top of ops_bytes.c.
 */
#define HVO_OPS_BYTES_MAX_OPS 256  /* top-level ops decoded from one input */

/* Decode data[0..size) into *out (initialised here; free with hvo_ops_free).
 * Returns 0, or -1 only when the host is out of memory (then *out is empty). */
int hvo_ops_decode(const uint8_t *data, size_t size, struct hvo_opstream *out);
/* The format version an input claims (its first byte; 0 for the empty input).
 * Any value decodes as version HVO_OPS_VERSION; see ops_bytes.c. */
unsigned hvo_ops_bytes_version(const uint8_t *data, size_t size);
/* Encode a representable stream: decode(encode(s)) equals s.  *out is
 * malloc'ed (free it).  Returns 0, or -1 when s has no binary form (or on
 * OOM); hvo_ops_encode_err then says why in err. */
int hvo_ops_encode(const struct hvo_opstream *s, uint8_t **out, size_t *len);
int hvo_ops_encode_err(const struct hvo_opstream *s, uint8_t **out, size_t *len, char *err, size_t errlen);

#endif
