// SPDX-License-Identifier: GPL-2.0-only
/*
 * sched_scen.c - the scenarios of sched_scen.h and their text form.
 *
 * Each scenario's oracle checks more than "no violation": that the work it
 * was meant to do happened (every folio optimized, the walkers saw the
 * folio they walked), so a run that silently did nothing cannot pass.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sched_scen.h"

#define MAX_FOLIOS (SCHED_MAX_CPUS * 2)

static const char *const names[NR_SCEN] = { "optimize_race", "walk", "batch", "walk_g1", "reprep", "publish" };

const char *scen_name(enum scen_id id) { return (unsigned)id < NR_SCEN ? names[id] : "?"; }

int scen_by_name(const char *name)
{
	for (int i = 0; i < NR_SCEN; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

struct run;
struct job {
	struct run *r;
	unsigned cpu;
};

struct run {
	const struct scen_input *in;
	struct hvo_machine *m;
	int32_t ids[MAX_FOLIOS];
	unsigned nr_ids;
	unsigned order;
	struct job jobs[SCHED_MAX_CPUS];
	uint64_t walks;          /* walker views checked */
	uint64_t base_pfn;       /* reprep: the folio's pfns, whoever holds them */
	char oracle[256];        /* first oracle failure seen by a job */
	int irq_rc;              /* the interrupt handler's result (hvo_irq_free_huge_folio) */
};

/* The first oracle failure wins. */
#define oracle_fail(r, ...) sched_first_failure((r)->oracle, sizeof((r)->oracle), __VA_ARGS__)

/* ------------------------------------------------------------ jobs */

static void job_optimize(void *arg)
{
	struct job *j = arg;
	int rc = hvo_folio_optimize(j->r->m, j->r->ids[j->cpu]);

	if (rc)
		oracle_fail(j->r, "cpu%u: optimize of folio %d returned %d", j->cpu, j->r->ids[j->cpu], rc);
}

/* A speculative PFN walker over head, first tail, a middle and the last tail.
 * inuse: the folio is in use (refcount >= 1) for the whole walk. */
static void walk_folio_as(struct run *r, unsigned cpu, int32_t id, bool inuse)
{
	struct hvo_folio_info fi;
	uint64_t idx[4];

	if (hvo_folio_info(r->m, id, &fi))
		return;
	idx[0] = 0;
	idx[1] = 1;
	idx[2] = (1ull << fi.order) / 2 + cpu;
	idx[3] = (1ull << fi.order) - 1;
	for (unsigned k = 0; k < 4; k++) {
		/* G2: every struct page of a pool folio reads the same through any
		 * mapping the walker can meet (spec 5.5), and the frozen head never
		 * hands out a reference (I13); I20 for the rest */
		struct hvo_walk_truth t = { .in_folio = true, .head_pfn = fi.pfn, .order = fi.order, .node = fi.node,
					    .zone = fi.zone, .ref = inuse };
		struct hvo_page_view v;
		char why[HVO_ERR_LEN];
		int inv;

		if (hvo_walk_pfn(r->m, fi.pfn + idx[k], &v)) {
			oracle_fail(r, "cpu%u: walk of pfn 0x%" PRIx64 " failed", cpu, fi.pfn + idx[k]);
			continue;
		}
		r->walks++;
		inv = hvo_check_view(&v, false, &t, why, sizeof(why));
		if (inv)
			oracle_fail(r, "I%d: cpu%u: %s%s", inv, cpu, why, inuse ? " (folio in use)" : "");
	}
}

static void walk_folio(struct run *r, unsigned cpu, int32_t id) { walk_folio_as(r, cpu, id, false); }

/* CPU 0 restores and re-optimizes the folio, each round leaving it
 * optimized and free.  On G1 (spec 2.4, 5.2) the refcount matters, so it
 * also takes the folio into use and gives it back (param bit 3: not after
 * the last round). */
static void job_churn(void *arg)
{
	struct job *j = arg;
	int32_t id = j->r->ids[0];
	bool g1 = j->r->in->scen == SCEN_WALK_G1;

	unsigned rounds = 1 + j->r->in->param % 3;

	for (unsigned i = 0; i < rounds; i++) {
		int rc = hvo_folio_restore(j->r->m, id);

		if (!rc)
			rc = hvo_folio_optimize(j->r->m, id);
		if (!rc && g1)
			rc = hvo_folio_get(j->r->m, id);
		/* param bit 3 (walk_g1): the folio stays in use after the last
		 * round, so an optimized folio's fake heads show a live refcount
		 * for the rest of the run (B1-gp) */
		if (!rc && g1 && !(j->r->in->param & 8 && i + 1 == rounds))
			rc = hvo_folio_put(j->r->m, id);
		if (rc)
			oracle_fail(j->r, "cpu%u: restore/optimize%s of folio %d returned %d", j->cpu,
				    g1 ? "/get/put" : "", id, rc);
		/* M1: a walker holds the last reference and its put frees the
		 * folio.  A fiber cannot spin for it (with no preemption the
		 * spinner would run forever): the churn stops here. */
		if (rc || hvo_folio_state(j->r->m, id) == HVO_FOLIO_IN_USE)
			break;
	}
}

/* walk, param bit 3: also a second folio, in use the whole run (I20). */
static void job_walk(void *arg)
{
	struct job *j = arg;

	for (unsigned i = 0; i < 2 + j->r->in->param % 3; i++) {
		walk_folio(j->r, j->cpu, j->r->ids[0]);
		if (j->r->nr_ids > 1)
			walk_folio_as(j->r, j->cpu, j->r->ids[1], true);
	}
}

/* The compaction walker over the struct pages at the start of tail vmemmap
 * pages: fake heads while the folio is optimized (spec 1.2), real tails
 * otherwise.  Its get on the pfn's own page must never succeed (a tail's
 * refcount is 0, a fake head is skipped) nor write (I10: B1, B2); head pfns
 * are left out so that no walker holds a real reference across CPU 0's put. */
static void job_isolate(void *arg)
{
	struct job *j = arg;
	struct run *r = j->r;
	const struct hvo_geometry *g = hvo_machine_geometry(r->m);
	uint64_t per_page = g->page_size / g->struct_page_size;
	uint64_t n = hvo_geo_vmemmap_pages(g, r->order);
	struct hvo_folio_info fi;

	if (hvo_folio_info(r->m, r->ids[0], &fi))
		return;
	for (unsigned i = 0; i < 2 + r->in->param % 3; i++) {
		uint64_t pfn = fi.pfn + (1 + (j->cpu - 1 + i) % (n - 1)) * per_page;
		/* the refcount of the pfn's own page, a tail: 0 */
		struct hvo_walk_truth t = { .in_folio = true, .head_pfn = fi.pfn, .order = fi.order, .node = fi.node,
					    .zone = fi.zone, .ref = -1 };
		struct hvo_page_view v;
		char why[HVO_ERR_LEN];
		int inv;

		if (hvo_isolate_pfn(r->m, pfn, &v)) {
			oracle_fail(r, "cpu%u: isolate of pfn 0x%" PRIx64 " failed", j->cpu, pfn);
			continue;
		}
		r->walks++;
		if (v.head_pfn != fi.pfn || v.head || !v.tail || v.got_ref)
			oracle_fail(r, "cpu%u: isolate at pfn 0x%" PRIx64 " saw head 0x%" PRIx64 " head=%d tail=%d got_ref=%d",
				    j->cpu, v.pfn, v.head_pfn, v.head, v.tail, v.got_ref);
		else if ((inv = hvo_check_view(&v, true, &t, why, sizeof(why))))
			oracle_fail(r, "I%d: cpu%u: isolate: %s", inv, j->cpu, why);
	}
}

/* CPU 0 gives the folio back and takes a new one of the same order, which
 * the buddy allocator hands out from the same pfns: free_pages resets the
 * struct pages, prep_compound_page writes them again (spec B24). */
static void job_reprep(void *arg)
{
	struct job *j = arg;
	struct run *r = j->r;

	for (unsigned i = 0; i < 1 + r->in->param % 3; i++) {
		int rc = hvo_folio_dissolve(r->m, r->ids[0]);

		if (!rc)
			rc = hvo_folio_alloc(r->m, r->order, 0, HVO_ZONE_NORMAL, &r->ids[0]);
		if (rc)
			oracle_fail(r, "cpu%u: dissolve/alloc of folio %d returned %d", j->cpu, r->ids[0], rc);
	}
}

/* I1 for a walker racing job_reprep: a pfn of the range is a tail of the
 * folio at base_pfn (before the free, after the prep) or no tail at all. */
static void job_walk_reprep(void *arg)
{
	struct job *j = arg;
	struct run *r = j->r;
	uint64_t idx[3] = { 1, (1ull << r->order) / 2 + j->cpu, (1ull << r->order) - 1 };

	for (unsigned i = 0; i < 2 + r->in->param % 3; i++)
		for (unsigned k = 0; k < 3; k++) {
			uint64_t pfn = r->base_pfn + idx[k];
			struct hvo_page_view v;

			if (hvo_walk_pfn(r->m, pfn, &v)) {
				oracle_fail(r, "cpu%u: walk of pfn 0x%" PRIx64 " failed", j->cpu, pfn);
				continue;
			}
			r->walks++;
			if (v.tail ? v.head_pfn != r->base_pfn : v.head_pfn != pfn)
				oracle_fail(r, "I1: cpu%u: walker at pfn 0x%" PRIx64 " saw head 0x%" PRIx64
					    " tail=%d: neither the folio's head 0x%" PRIx64 " nor a page of its own",
					    j->cpu, pfn, v.head_pfn, v.tail, r->base_pfn);
		}
}

/* The publish walker: every other CPU's folio, last first, head, first, middle and
 * last tail, while they are optimized.  What it reads through a tail PTE
 * is the shared tail (or, for slot 0, the head copy); pre-init contents
 * show as a page that is neither head nor tail (I1). */
static void job_walk_all(void *arg)
{
	struct job *j = arg;
	struct run *r = j->r;

	for (unsigned i = 0; i < 2 + r->in->param % 3; i++)
		for (unsigned f = r->nr_ids; f-- > 0;)  /* the last optimizer's first: not the tail's publisher */
			walk_folio(r, j->cpu, r->ids[f]);
}

static void job_batch(void *arg)
{
	struct job *j = arg;
	int32_t ids[2];
	int n = hvo_folio_alloc_batch(j->r->m, j->r->order, 0, HVO_ZONE_NORMAL, 2, ids);

	if (n != 2)
		oracle_fail(j->r, "cpu%u: batch allocated %d of 2 folios", j->cpu, n);
}

static void job_single(void *arg)
{
	struct job *j = arg;
	int32_t id = j->r->ids[j->cpu - 1];
	int rc = hvo_folio_optimize(j->r->m, id);

	if (!rc)
		rc = hvo_folio_restore(j->r->m, id);
	if (rc)
		oracle_fail(j->r, "cpu%u: optimize/restore of folio %d returned %d", j->cpu, id, rc);
	walk_folio(j->r, j->cpu, id);
}

/* ------------------------------------------------------------ setup, oracle */

/* Folios of one (zone, order), not optimized: HVO is switched on after. */
static int alloc_plain(struct run *r, unsigned n)
{
	hvo_set_enabled(r->m, false);
	for (unsigned i = 0; i < n; i++)
		if (hvo_folio_alloc(r->m, r->order, 0, HVO_ZONE_NORMAL, &r->ids[r->nr_ids++]))
			return -1;
	hvo_set_enabled(r->m, true);
	return 0;
}

static int setup(struct run *r, struct sched *s)
{
	const struct scen_input *in = r->in;

	r->order = 9 + (in->scen == SCEN_OPTIMIZE_RACE ? in->param % 2 : 0);
	switch (in->scen) {
	case SCEN_PUBLISH:
		if (alloc_plain(r, in->ncpus - 1))
			return -1;
		for (unsigned c = 0; c + 1 < in->ncpus; c++)
			sched_spawn(s, c, job_optimize, &r->jobs[c]);
		sched_spawn(s, in->ncpus - 1, job_walk_all, &r->jobs[in->ncpus - 1]);
		return 0;
	case SCEN_OPTIMIZE_RACE:
		if (alloc_plain(r, in->ncpus))
			return -1;
		for (unsigned c = 0; c < in->ncpus; c++)
			sched_spawn(s, c, job_optimize, &r->jobs[c]);
		return 0;
	case SCEN_WALK:
	case SCEN_WALK_G1:
		/* walk_g1, param bit 3: the folio starts plain, the static key off,
		 * so walkers can begin their RCU sections before it goes up (B1-gp) */
		if (in->scen == SCEN_WALK_G1 && in->param & 8 ? alloc_plain(r, 1) :
		    hvo_folio_alloc(r->m, r->order, 0, HVO_ZONE_NORMAL, &r->ids[r->nr_ids++]))
			return -1;
		/* walk, param bit 3: a second folio, taken into use for good */
		if (in->scen == SCEN_WALK && in->param & 8 &&
		    (hvo_folio_alloc(r->m, r->order, 0, HVO_ZONE_NORMAL, &r->ids[r->nr_ids]) ||
		     hvo_folio_get(r->m, r->ids[r->nr_ids++])))
			return -1;
		sched_spawn(s, 0, job_churn, &r->jobs[0]);
		for (unsigned c = 1; c < in->ncpus; c++)
			sched_spawn(s, c, in->scen == SCEN_WALK ? job_walk : job_isolate, &r->jobs[c]);
		return 0;
	case SCEN_REPREP: {
		struct hvo_folio_info fi;

		/* HVO off: the struct pages' own prep and free, nothing else */
		if (alloc_plain(r, 1) || hvo_folio_info(r->m, r->ids[0], &fi))
			return -1;
		hvo_set_enabled(r->m, false);
		r->base_pfn = fi.pfn;
		sched_spawn(s, 0, job_reprep, &r->jobs[0]);
		for (unsigned c = 1; c < in->ncpus; c++)
			sched_spawn(s, c, job_walk_reprep, &r->jobs[c]);
		return 0;
	}
	default:
		if (alloc_plain(r, in->ncpus - 1))
			return -1;
		sched_spawn(s, 0, job_batch, &r->jobs[0]);
		for (unsigned c = 1; c < in->ncpus; c++)
			sched_spawn(s, c, job_single, &r->jobs[c]);
		return 0;
	}
}

/* B29: exactly one tail for the (zone, order), every folio optimized (I3
 * in hvo_check says they all map it). */
static void oracle_end(struct run *r)
{
	struct hvo_counters c;

	hvo_counters(r->m, &c);
	if ((r->in->scen == SCEN_OPTIMIZE_RACE || r->in->scen == SCEN_PUBLISH) &&
	    (c.shared_tails != 1 || c.nr_optimized != r->nr_ids))
		oracle_fail(r, "B29: %" PRIu64 " shared tails and %" PRIu64 " of %u folios optimized after the race",
			    c.shared_tails, c.nr_optimized, r->nr_ids);
	if ((r->in->scen == SCEN_WALK || r->in->scen == SCEN_WALK_G1 || r->in->scen == SCEN_REPREP ||
	     r->in->scen == SCEN_PUBLISH) && r->walks == 0)
		oracle_fail(r, "the walkers checked no view");
	if (r->in->scen == SCEN_REPREP) {
		struct hvo_folio_info fi;

		if (c.nr_folios != 1 || hvo_folio_info(r->m, r->ids[0], &fi) || fi.pfn != r->base_pfn)
			oracle_fail(r, "reprep: %" PRIu64 " folios at the end, want one at pfn 0x%" PRIx64,
				    c.nr_folios, r->base_pfn);
	}
	if (r->in->scen == SCEN_BATCH && c.nr_optimized != 2)
		oracle_fail(r, "%" PRIu64 " folios optimized at the end, want the batch's 2", c.nr_optimized);
}

/* The interrupt hook's handler: free_huge_folio on the interrupted CPU. */
static void scen_irq(void *arg)
{
	struct run *r = arg;

	r->irq_rc = hvo_irq_free_huge_folio(r->m);
}

int scen_run(const struct scen_input *in, const struct sched_cfg *sc, uint64_t mutants, struct hvo_host_pool *pool,
	     struct scen_result *res)
{
	struct sched_cfg cfg = *sc;
	struct run r = { .in = in };
	struct hvo_config mc;
	struct sched *s = NULL;
	char err[HVO_ERR_LEN];
	enum sched_status st;
	const struct hvo_violation *v;

	memset(res, 0, sizeof(*res));
	res->status = 2;
	cfg.ncpus = in->ncpus;
	cfg.weak = cfg.weak || in->weak;
	if (in->irq[0]) {
		cfg.irq_at = in->irq;
		cfg.irq_fn = scen_irq;
		cfg.irq_arg = &r;
	}
	if (in->scen >= NR_SCEN || in->ncpus < 2 || in->ncpus > SCHED_MAX_CPUS || sched_create(&cfg, &s)) {
		snprintf(res->reason, sizeof(res->reason), "bad scenario input or out of memory");
		return res->status;
	}
	for (unsigned c = 0; c < in->ncpus; c++)
		r.jobs[c] = (struct job){ &r, c };
	hvo_config_default(&mc);
	mc.mutants = mutants;
	if (in->scen == SCEN_WALK_G1)
		mc.gen = HVO_G1;
	mc.sync = sched_sync_ops(s);
	mc.host_pool = pool;
	if (hvo_machine_create(&mc, &r.m, err, sizeof(err)) || setup(&r, s)) {
		snprintf(res->reason, sizeof(res->reason), "setup failed: %s", r.m ? "folio allocation" : err);
		goto out;
	}
	st = sched_run(s);
	res->status = 1;
	if (in->irq[0] && st == SCHED_OK && (!sched_irqs(s) || r.irq_rc == 1)) {
		res->status = 2;   /* a witness whose interrupt never came tests nothing */
		snprintf(res->reason, sizeof(res->reason), "irq %s: %s", in->irq,
			 sched_irqs(s) ? "IRQs were off on that CPU there" : "that point was never reached");
	} else if (st != SCHED_OK) {
		snprintf(res->reason, sizeof(res->reason), "scheduler: %s", sched_reason(s));
	} else if (hvo_check(r.m), (v = hvo_violation(r.m)) != NULL) {
		snprintf(res->reason, sizeof(res->reason), "I%d pfn=0x%" PRIx64 " folio=%d: %s", v->inv, v->pfn,
			 v->folio, v->msg);
	} else if (oracle_end(&r), r.oracle[0]) {
		snprintf(res->reason, sizeof(res->reason), "oracle: %s", r.oracle);
	} else {
		res->status = 0;
	}
out:
	snprintf(res->schedule, sizeof(res->schedule), "%s", sched_schedule(s));
	snprintf(res->reads, sizeof(res->reads), "%s", sched_reads(s));
	snprintf(res->named, sizeof(res->named), "%s", sched_named(s));
	sched_named_stale(s, res->stale, sizeof(res->stale));
	if (strlen(sched_schedule(s)) >= sizeof(res->schedule) || strlen(sched_reads(s)) >= sizeof(res->reads) ||
	    strlen(sched_named(s)) >= sizeof(res->named)) {
		res->status = 2;  /* a witness that could not replay the run */
		snprintf(res->reason, sizeof(res->reason), "the run's decisions do not fit a witness");
	}
	res->diverged = sched_diverged(s);
	res->switches = sched_switches(s);
	res->points = sched_points(s);
	res->stale_reads = sched_stale_reads(s);
	res->steps = strlen(sched_schedule(s)) - 2;
	hvo_machine_destroy(r.m);
	sched_destroy(s);
	return res->status;
}

/* ------------------------------------------------------------ text form */

int scen_parse(const char *text, struct scen_input *in, char *err, size_t errlen)
{
	bool header = false, have_scen = false;
	unsigned lineno = 0, named_line = 0, irq_line = 0;
	char why[160];

	memset(in, 0, sizeof(*in));
	in->ncpus = 2;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[SCEN_SCHEDULE_MAX + 128], word[32], val[SCEN_SCHEDULE_MAX];
		int n;

		lineno++;
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "line %u: too long", lineno);
			return -1;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl != NULL);
		if (!line[0] || line[0] == '#')
			continue;
		n = sscanf(line, "%31s %16383s", word, val);
		if (n >= 1 && header && !strcmp(word, "switches")) {
			/* the whole rest of the line; none: no switch at all */
			const char *rest = line + strspn(line, " \t") + strlen(word);

			snprintf(in->named, sizeof(in->named), "%s", rest + strspn(rest, " \t"));
			in->has_named = true;
			named_line = lineno;
			continue;
		}
		if (!header) {
			if (n != 2 || strcmp(word, "hvo-sched") || strcmp(val, "1")) {
				snprintf(err, errlen, "line %u: want the header 'hvo-sched 1'", lineno);
				return -1;
			}
			header = true;
			continue;
		}
		if (n != 2) {
			snprintf(err, errlen, "line %u: want 'KEY VALUE'", lineno);
			return -1;
		}
		if (!strcmp(word, "scenario")) {
			int id = scen_by_name(val);

			if (id < 0) {
				snprintf(err, errlen, "line %u: unknown scenario '%s'", lineno, val);
				return -1;
			}
			in->scen = (enum scen_id)id;
			have_scen = true;
		} else if (!strcmp(word, "cpus")) {
			in->ncpus = (unsigned)strtoul(val, NULL, 10);
			if (in->ncpus < 2 || in->ncpus > SCHED_MAX_CPUS) {
				snprintf(err, errlen, "line %u: cpus must be 2..%d", lineno, SCHED_MAX_CPUS);
				return -1;
			}
		} else if (!strcmp(word, "param")) {
			in->param = (unsigned)strtoul(val, NULL, 10);
		} else if (!strcmp(word, "memory")) {
			if (strcmp(val, "weak") && strcmp(val, "sc")) {
				snprintf(err, errlen, "line %u: 'memory' is 'sc' or 'weak'", lineno);
				return -1;
			}
			in->weak = !strcmp(val, "weak");
		} else if (!strcmp(word, "reads")) {
			if (strspn(val, "abcdefghijklmnopqrstuvwxyz") != strlen(val)) {
				snprintf(err, errlen, "line %u: 'reads' takes letters a-z", lineno);
				return -1;
			}
			snprintf(in->reads, sizeof(in->reads), "%s", val);
		} else if (!strcmp(word, "schedule")) {
			snprintf(in->schedule, sizeof(in->schedule), "%s", val);
		} else if (!strcmp(word, "irq")) {
			if (strlen(val) >= sizeof(in->irq)) {
				snprintf(err, errlen, "line %u: 'irq' position too long", lineno);
				return -1;
			}
			snprintf(in->irq, sizeof(in->irq), "%s", val);
			irq_line = lineno;
		} else if (!strcmp(word, "expect-fail")) {
			if (val[0] != 'I' || !val[1] || strspn(val + 1, "0123456789") != strlen(val + 1) ||
			    strlen(val) >= sizeof(in->expect)) {
				snprintf(err, errlen, "line %u: 'expect-fail' takes an invariant ID (I12)", lineno);
				return -1;
			}
			snprintf(in->expect, sizeof(in->expect), "%s", val);
		} else {
			snprintf(err, errlen, "line %u: unknown key '%s'", lineno, word);
			return -1;
		}
	}
	if (!have_scen) {
		snprintf(err, errlen, "no scenario line");
		return -1;
	}
	if (in->irq[0] && sched_irq_check(in->irq, in->ncpus)) {
		snprintf(err, errlen, "line %u: 'irq' takes C.SITE#N with C below cpus and N from 1", irq_line);
		return -1;
	}
	if (in->has_named && in->reads[0]) {
		snprintf(err, errlen, "a 'reads' line goes with 'schedule', not 'switches' (which names the loads' choices)");
		return -1;
	}
	if (in->has_named && sched_named_check(in->named, in->ncpus, why, sizeof(why))) {
		snprintf(err, errlen, "line %u: %s", named_line, why);
		return -1;
	}
	return 0;
}

void scen_print(const struct scen_input *in, const char *schedule, const char *named, const char *reads,
		uint64_t mutants, FILE *f)
{
	if (mutants) {
		fprintf(f, "# mutants:");
		for (int i = 0; i < HVO_NR_MUTANTS; i++)
			if (mutants >> i & 1)
				fprintf(f, " %s", hvo_mutant_info(i)->name);
		fputc('\n', f);
	}
	fprintf(f, "hvo-sched 1\n");
	if (in->expect[0])
		fprintf(f, "expect-fail %s\n", in->expect);
	fprintf(f, "scenario %s\ncpus %u\nparam %u\n%s", scen_name(in->scen), in->ncpus, in->param,
		in->weak ? "memory weak\n" : "");
	if (named)
		fprintf(f, "switches %s\n", named);
	else
		fprintf(f, "schedule %s\n", schedule);
	if (!named && reads && reads[0])
		fprintf(f, "reads %s\n", reads);
	if (in->irq[0])
		fprintf(f, "irq %s\n", in->irq);
}
