// SPDX-License-Identifier: GPL-2.0-only
/*
 * ops_diff.c - one op stream on machines of several generations in
 * lockstep (G1, G2, G3): after every op each machine passes its own
 * checker, every op returns the same rc everywhere, and the kernel-visible
 * state (hvo_compare_visible) of each machine equals the first one's.  The
 * first divergence is the finding.
 *
 * What a generation may legitimately do differently is left out of the
 * stream rather than excused afterwards: failure rules (each generation
 * makes a different number of allocations, so "the third allocation" is
 * not the same call) and injected racers (G1 has no get_tail to race on).
 * Expect lines are skipped too: the rcs are compared across machines.
 * And when one of HVO's own allocations runs out of memory on any machine
 * (not a folio's: those are the same everywhere) the comparison ends there,
 * as a pass: each generation allocates different pages and answers a
 * failure differently (G2 and G3 need a shared tail and give up; G1 reuses
 * slot 0 when its head copy fails), so from then on they may differ as the
 * accounting rules allow.  Everything up to that op was compared; the
 * checkers still ran.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ops_exec_int.h"

struct lane {
	struct hvo_opstream s;   /* shallow copy: config changed, ops shared */
	struct exec_ctx c;
	struct hvo_run_result res;
	uint64_t epoch;          /* HVO_RUN_CHANGED: check epoch of the last equal comparison */
};

static void strip(const struct hvo_opstream *in, enum hvo_gen gen, struct hvo_opstream *out)
{
	*out = *in;
	out->config.gen = gen;
	memset(&out->fail, 0, sizeof(out->fail));
	out->fail.budget = -1;
}

static const char *gen_name(enum hvo_gen g)
{
	return g == HVO_G1 ? "G1" : g == HVO_G2 ? "G2" : "G3";
}

int hvo_ops_diff(const struct hvo_opstream *s, const enum hvo_gen *gens, unsigned n, uint64_t extra_mutants,
		 unsigned flags, struct hvo_diff_result *res)
{
	struct lane *l = calloc(n ? n : 1, sizeof(*l));
	size_t i = 0;
	unsigned k;
	bool since = false;   /* an equal comparison of every lane at l[k].epoch */

	memset(res, 0, sizeof(*res));
	res->op = SIZE_MAX;
	if (!l || n < 2 || n > HVO_DIFF_MAX_GENS) {
		snprintf(res->reason, sizeof(res->reason), n < 2 || n > HVO_DIFF_MAX_GENS ?
			 "diff needs 2..%d generations" : "out of memory", HVO_DIFF_MAX_GENS);
		free(l);
		return res->status = 2;
	}
	for (k = 0; k < n; k++) {
		strip(s, gens[k], &l[k].s);
		l[k].c = (struct exec_ctx){ .s = &l[k].s, .policy = l[k].s.fail, .res = &l[k].res,
					    .flags = flags & (HVO_RUN_CHANGED | HVO_RUN_NO_DIGEST) };
		l[k].res.fail_op = SIZE_MAX;
		if (exec_setup(&l[k].c, extra_mutants) || !l[k].c.m) {
			snprintf(res->reason, sizeof(res->reason), "%s: %s", gen_name(gens[k]), l[k].res.reason);
			res->status = 2;
			n = k + 1;
			goto out;
		}
	}
	for (; i < s->nr_ops && !res->status && !res->oom_stop; i++) {
		char d[HVO_ERR_LEN];
		uint64_t oom[HVO_DIFF_MAX_GENS];

		/* the rcs of each op are compared across machines instead of expects */
		if (s->ops[i].kind == HVO_OP_INJECT || s->ops[i].kind == HVO_OP_EXPECT)
			continue;
		for (k = 0; k < n && !res->status; k++) {
			oom[k] = hvo_vmemmap_oom(l[k].c.m);
			if (exec_step(&l[k].c, i)) {
				snprintf(res->reason, sizeof(res->reason), "%s: %s", gen_name(gens[k]), l[k].res.reason);
				res->status = 1;
			}
		}
		for (k = 0; k < n && !res->status && !res->oom_stop; k++)
			if (hvo_vmemmap_oom(l[k].c.m) != oom[k]) {
				snprintf(res->reason, sizeof(res->reason), "compared up to op %zu, where %s ran out of memory "
					 "for a vmemmap page", i, gen_name(gens[k]));
				res->oom_stop = true;
			}
		for (k = 1; k < n && !res->status && !res->oom_stop; k++) {
			if (l[k].c.last_rc != l[0].c.last_rc)
				snprintf(res->reason, sizeof(res->reason), "op %zu (%s): rc %" PRId64 " on %s, %" PRId64 " on %s",
					 i, hvo_op_kind_name(s->ops[i].kind), l[0].c.last_rc, gen_name(gens[0]),
					 l[k].c.last_rc, gen_name(gens[k]));
			else if (since ? hvo_compare_visible_since(l[0].c.m, l[0].epoch, l[k].c.m, l[k].epoch, d, sizeof(d))
				       : hvo_compare_visible(l[0].c.m, l[k].c.m, d, sizeof(d)))
				snprintf(res->reason, sizeof(res->reason), "op %zu (%s): %s vs %s: %s", i,
					 hvo_op_kind_name(s->ops[i].kind), gen_name(gens[0]), gen_name(gens[k]), d);
			else
				continue;
			res->status = 1;
		}
		if (res->status)
			res->op = i;
		/* equal now: from here on only what the next checks recheck can differ */
		since = (flags & HVO_RUN_CHANGED) && !res->status && !res->oom_stop;
		for (k = 0; since && k < n; k++)
			l[k].epoch = hvo_check_epoch(l[k].c.m);
	}
	res->ops_compared = i;
out:
	for (k = 0; k < n; k++) {
		exec_finish(&l[k].c);
		res->digest[k] = l[k].res.digest;
		exec_cleanup(&l[k].c);
	}
	free(l);
	return res->status;
}
