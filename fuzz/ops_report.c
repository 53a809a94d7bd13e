// SPDX-License-Identifier: GPL-2.0-only
/*
 * ops_report.c - what the executor writes to its log.
 *
 * Op lines are canonical op text followed by a "# op <i> rc=<rc>" comment,
 * and injected ops are comment lines, so a report's header and trace (up to
 * the VIOLATION line) are themselves a replayable op stream.
 *
 * Verbose runs (explain) stream every line as it happens; other runs with a
 * log keep a compact trace and print it only when the run fails.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ops_exec_int.h"

static void put_line(FILE *f, const char *prefix, const char *line)
{
	size_t n = strlen(line);

	fprintf(f, "%s%s%s", prefix, line, n && line[n - 1] == '\n' ? "" : "\n");
}

void report_core_log(void *ctx, const char *line)
{
	put_line(ctx, "# core: ", line);
}

static void dump_line(void *ctx, const char *line)
{
	put_line(ctx, "", line);
}

static void print_out(FILE *f, const struct op_out *out)
{
	fprintf(f, " rc=%" PRId64, out->rc);
	if (out->folio >= 0)
		fprintf(f, " folio=%" PRId32, out->folio);
	if (out->skipped)
		fputs(" skipped(no live folio)", f);
}

static void print_op_line(const struct exec_ctx *c, size_t i, const struct op_out *out)
{
	hvo_ops_print_op(c->s, &c->s->ops[i], c->log);
	fprintf(c->log, "  # op %zu", i);
	print_out(c->log, out);
	fputc('\n', c->log);
}

static void print_fire_line(const struct exec_ctx *c, const struct fire_rec *fr)
{
	const struct hvo_op *op = &c->s->ops[fr->inject_op];

	fprintf(c->log, "#   inject of op %zu fired inside op %zu at %s where=%s%s: ", fr->inject_op, fr->during,
		hvo_sync_point_name(fr->sp), fr->where[0] ? fr->where : "(none)",
		fr->deferred ? " (ran at the lock release)" : "");
	if (op->f < c->s->nr_injects)
		hvo_ops_print_op(c->s, &c->s->injects[op->f].op, c->log);
	fputs(" =>", c->log);
	print_out(c->log, &fr->out);
	fputc('\n', c->log);
}

void report_start(struct exec_ctx *c, uint64_t extra_mutants)
{
	if (!c->log || !(c->flags & HVO_RUN_VERBOSE))
		return;
	hvo_ops_print_header(c->s, extra_mutants, c->log);
	fprintf(c->log, "# baseline G%d: %s\n", (int)c->s->config.gen, hvo_baseline(c->s->config.gen));
	fflush(c->log);
}

void report_op(struct exec_ctx *c, size_t i, const struct op_out *out)
{
	if (!c->log)
		return;
	if (c->flags & HVO_RUN_VERBOSE) {
		print_op_line(c, i, out);
		fflush(c->log);
	} else if (c->recs) {
		c->recs[i] = *out;
	}
}

void report_fire(struct exec_ctx *c, const struct fire_rec *fr)
{
	struct fire_rec *p;

	if (!c->log)
		return;
	if (c->flags & HVO_RUN_VERBOSE) {
		print_fire_line(c, fr);
		fflush(c->log);
		return;
	}
	if (c->nr_fires == c->cap_fires) {
		size_t cap = c->cap_fires ? 2 * c->cap_fires : 16;

		p = realloc(c->fires, cap * sizeof(*p));
		if (!p)
			return;  /* the trace loses a line; the run itself is unaffected */
		c->fires = p;
		c->cap_fires = cap;
	}
	c->fires[c->nr_fires++] = *fr;
}

/* The kept trace, ops 0..fail_op with their injected ops, in run order. */
static void print_trace(const struct exec_ctx *c, uint64_t extra_mutants)
{
	size_t k = 0;

	hvo_ops_print_header(c->s, extra_mutants, c->log);
	for (size_t i = 0; i <= c->res->fail_op && i < c->s->nr_ops; i++) {
		for (; k < c->nr_fires && c->fires[k].during == i; k++)
			print_fire_line(c, &c->fires[k]);
		if (c->recs)
			print_op_line(c, i, &c->recs[i]);
	}
}

static void print_failure(const struct exec_ctx *c, uint64_t extra_mutants)
{
	const struct hvo_run_result *res = c->res;
	const struct hvo_violation *v = &res->violation;

	if (!(c->flags & HVO_RUN_VERBOSE))
		print_trace(c, extra_mutants);
	if (!(c->flags & HVO_RUN_VERBOSE))   /* verbose: report_start printed it */
		fprintf(c->log, "# baseline G%d: %s\n", (int)c->s->config.gen, hvo_baseline(c->s->config.gen));
	if (res->has_violation)
		fprintf(c->log, "VIOLATION I%d pfn=0x%" PRIx64 " folio=%" PRId32 ": %s\n", v->inv, v->pfn, v->folio,
			v->msg);
	else
		fprintf(c->log, "FAILED %s\n", res->reason);
	fprintf(c->log, "# state dump after op %zu:\n", res->fail_op);
	if (c->m)
		hvo_dump(c->m, dump_line, c->log);
}

void report_end(struct exec_ctx *c, uint64_t extra_mutants)
{
	const struct hvo_run_result *res = c->res;

	if (!c->log)
		return;
	if (res->status == 2)
		fprintf(c->log, "setup error: %s\n", res->reason);
	else if (res->status == 1)
		print_failure(c, extra_mutants);
	else if (res->boot_failed)
		fprintf(c->log, "ok ops=0 digest=%016" PRIx64 " (%s)\n", res->digest, res->reason);
	else
		fprintf(c->log, "ok ops=%zu digest=%016" PRIx64 "\n", res->ops_executed, res->digest);
	fflush(c->log);
}
