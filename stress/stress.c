// SPDX-License-Identifier: GPL-2.0-only
/*
 * stress.c - multithreaded stress drivers on the threads backend.
 *
 *   hvo-stress [SCENARIO] [--threads N] [--time S | --ops N] [--seed X]
 *              [--gen g1|g2] [--mutant NAME]... [--walkers N] [--reports DIR]
 *
 * Scenarios:
 *   tail-storm  epochs of one fresh machine each: every thread optimizes its
 *               own 2 MiB folio of one (zone, order) at once, so get_tail
 *               publication (B29, B17a, B17d) and the split of their shared
 *               vmemmap PMD (B5) race again every epoch; then it reads a
 *               tail struct page of its folio through its own mapping.
 *               --walkers N: speculative walkers read tail struct pages of
 *               every folio while the epoch runs, so a tail seen before its
 *               contents (B17e, a missing acquire) is a TSan-visible race
 *   churn       each thread restores and re-optimizes its own folios (on its
 *               own node and zone when there are enough) while walker
 *               threads speculatively walk every folio's pfns (B28), and
 *               (G2) one folio in use the whole run that no worker touches,
 *               whose walks must get a reference on its head (I20, W1).  With
 *               --gen g1 (spec 2.4, 5.2): the folios are also taken into use
 *               and put back, the optimizer's synchronize_rcu runs through
 *               urcu-memb, and the walkers are compaction walkers on the
 *               fake-head pfns, their gets under urcu-memb read-side
 *               sections (B1, B2)
 *   dax-churn   G3 device DAX hot-add/remove churn with readers of the
 *               struct pages (stress_dax.c: B20a, B20b, B21, B25)
 *   gather      the boot's per-node gather, one thread per node, must boot
 *               the machine the sequential gather boots (stress_gather.c)
 *   publish-race  epochs of one fresh machine each: publishers optimize
 *               folios of up to 4 (node, zone) slots, so each slot's first
 *               get_tail publishes; --walkers N readers (default half the
 *               threads) read the tails through get_tail's fast path alone,
 *               taking no lock (stress_publish.c: B17f, B17e under TSan)
 *
 * Oracle (rcutorture style, it cannot pass by accident): hvo_check at every
 * quiescent point (epoch end, run end); every walker view is judged by
 * hvo_check_view (I20: the folio it walked, frozen, or in use for the
 * in-use folio; G1's compaction views by the reference alone, see
 * walk_thread); each thread's own count of what its folios should
 * be must match the machine's counters; and a run that did no operation or
 * no walker check fails.  A progress line each second; a JSON and a text
 * summary under reports/ (temp file + rename, also after SIGINT).  On a
 * violation: exit 1, the seed, each thread's last ops, and (churn,
 * tail-storm) the hvo-sched oplog command that replays those ops under the
 * deterministic scheduler until the violation reproduces (sched_oplog.h);
 * the op log is written for every run, clean ones too.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"

/* ASan only: TSan calls the death callback from inside its race report,
 * where the callback's own racy reads of the counters start a nested
 * report that waits for the first one (a hang, seen with halt_on_error). */
#if defined(__SANITIZE_ADDRESS__)
#define STRESS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRESS_SANITIZED 1
#endif
#endif
#ifdef STRESS_SANITIZED
#include <sanitizer/common_interface_defs.h>
#endif

static volatile sig_atomic_t interrupted;  /* SIGINT: stop, still write the summary */

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void record(struct worker *w, const char *op, int32_t folio, uint64_t idx, int rc)
{
	unsigned i = w->log.n++ % LOG_LEN;

	w->log.op[i] = op;
	w->log.folio[i] = folio;
	w->log.idx[i] = idx;
	w->log.rc[i] = rc;
}

void failf(struct stress *st, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&st->fail_lock);
	if (!st->fail[0]) {
		va_start(ap, fmt);
		vsnprintf(st->fail, sizeof(st->fail), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&st->fail_lock);
	__atomic_store_n(&st->stop, 1, __ATOMIC_RELAXED);
}

/* An operation returned an error.  When the model recorded a violation
 * for it (a refused optimize is I7 or I13), that names the invariant the
 * run failed on; otherwise the error itself is the failure. */
void fail_op(struct stress *st, const char *fmt, ...)
{
	const struct hvo_violation *v = hvo_violation(st->m);
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (v)
		failf(st, "I%d pfn=0x%" PRIx64 " folio=%d: %s (%s)", v->inv, v->pfn, v->folio, v->msg, what);
	else
		failf(st, "%s", what);
}

bool check_machine(struct stress *st)
{
	const struct hvo_violation *v;

	st->checks++;
	hvo_check(st->m);
	v = hvo_violation(st->m);
	if (v)
		failf(st, "I%d pfn=0x%" PRIx64 " folio=%d: %s", v->inv, v->pfn, v->folio, v->msg);
	return !v;
}

void stress_config(struct stress *st, struct hvo_config *cfg)
{
	hvo_config_default(cfg);
	cfg->mutants = st->o.mutants;
	cfg->gen = st->o.gen;
	cfg->sync = &st->sync.ops;
	cfg->skip_op_checks = true;  /* the per-op snapshots are single-threaded; hvo_check runs at quiescence */
}

int make_machine(struct stress *st)
{
	struct hvo_config cfg;
	char err[HVO_ERR_LEN];

	stress_config(st, &cfg);
	if (cfg.gen == HVO_G3) {
		struct hvo_geometry g;

		if (hvo_geometry_init(&g, cfg.page_shift, cfg.struct_page_size, err, sizeof(err))) {
			failf(st, "geometry: %s", err);
			return -1;
		}
		for (unsigned n = 0; n < STRESS_NODES; n++) {
			cfg.node[n].dax_start_pfn = dax_start_pfn(n, cfg.page_shift);
			cfg.node[n].dax_nr_pages = (uint64_t)DAX_SECTIONS << (g.section_shift - g.page_shift);
		}
	}
	if (hvo_machine_create(&cfg, &st->m, err, sizeof(err))) {
		failf(st, "machine creation: %s", err);
		return -1;
	}
	return 0;
}

/* Touch every vmemmap page of a folio once, single-threaded: frames get
 * their memmap_init bytes lazily, and that is the model's, not a race.
 * *fi keeps where the folio is for the walkers (its record's state changes
 * under G1 get/put: not theirs to read). */
static void pretouch(struct stress *st, int32_t id, struct hvo_folio_info *fi)
{
	struct hvo_page_view v;

	if (hvo_folio_info(st->m, id, fi) == 0)
		for (uint64_t i = 0; i < (1ull << fi->order); i += 64)
			hvo_walk_pfn(st->m, fi->pfn + i, &v);
}

/* ------------------------------------------------------------ tail-storm */

/* A tail struct page of folio fi read through the current mapping: once
 * optimized, the published shared tail.  It must show the folio (5.5). */
static void storm_read_tail(struct worker *w, const struct hvo_folio_info *fi, uint64_t rng)
{
	struct stress *st = w->st;
	const struct hvo_geometry *g = hvo_machine_geometry(st->m);
	uint64_t per_page = g->page_size / g->struct_page_size;
	uint64_t idx = per_page + rng % ((1ull << fi->order) - per_page);
	struct hvo_page_view v;
	int rc;

	tsync_walk_begin(&st->sync);
	rc = hvo_walk_pfn(st->m, fi->pfn + idx, &v);
	tsync_walk_end(&st->sync);
	__atomic_fetch_add(&w->views, 1, __ATOMIC_RELAXED);
	if (rc || v.got_ref || v.head_pfn != fi->pfn || !v.tail)
		failf(st, "%s %u: tail pfn 0x%" PRIx64 " of folio %d: rc %d head 0x%" PRIx64 " tail=%d got_ref=%d",
		      w->walker ? "walker" : "thread", w->idx, fi->pfn + idx, fi->id, rc, v.head_pfn, v.tail, v.got_ref);
}

static void *storm_thread(void *arg)
{
	struct worker *w = arg;
	struct stress *st = w->st;

	tsync_thread_start(w->idx);
	for (;;) {
		int rc;

		pthread_barrier_wait(&st->start);
		if (quitting(st))
			break;
		rc = hvo_folio_optimize(st->m, w->ids[0]);
		record(w, "optimize", w->ids[0], 0, rc);
		__atomic_fetch_add(&w->ops, 1, __ATOMIC_RELAXED);
		if (rc)
			fail_op(st, "thread %u: optimize of folio %d returned %d", w->idx, w->ids[0], rc);
		else
			storm_read_tail(w, &w->fi[0], st->epochs + w->idx);
		__atomic_store_n(&w->storm_epoch, st->epochs + 1, __ATOMIC_RELEASE);
		pthread_barrier_wait(&st->done);
	}
	tsync_thread_stop();
	return NULL;
}

/* Every storm thread has finished this epoch: each says so in its own
 * line, so the storm threads share no counter. */
static bool storms_done(struct stress *st, unsigned storms)
{
	for (unsigned i = 0; i < storms; i++)
		if (__atomic_load_n(&st->w[i].storm_epoch, __ATOMIC_ACQUIRE) != st->epochs + 1)
			return false;
	return true;
}

/* Walk random storm folios' tail pfns until every storm thread is done,
 * then each once more. */
static void *storm_walk_thread(void *arg)
{
	struct worker *w = arg;
	struct stress *st = w->st;
	unsigned storms = st->nw - st->o.walkers;
	uint64_t rng = st->o.seed ^ (0x9e3779b97f4a7c15ull * (w->idx + 1));

	tsync_thread_start(w->idx);
	for (;;) {
		pthread_barrier_wait(&st->start);
		if (quitting(st))
			break;
		while (!storms_done(st, storms)) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			storm_read_tail(w, &st->w[(rng >> 33) % storms].fi[0], rng >> 40);
		}
		for (unsigned i = 0; i < storms; i++)
			storm_read_tail(w, &st->w[i].fi[0], rng >> (40 + i));
		pthread_barrier_wait(&st->done);
	}
	tsync_thread_stop();
	return NULL;
}

/* One epoch of the publishing scenarios (tail-storm, publish-race): a fresh
 * machine, n order-9 folios allocated with HVO off, folio i at
 * (node[i % nr], zone[i % nr]), the workers released and awaited; then B29:
 * one shared tail per distinct place and every folio optimized. */
void optimize_epoch(struct stress *st, unsigned n, const unsigned *node, const int *zone, unsigned nr)
{
	struct hvo_counters c;

	if (make_machine(st))
		return;
	hvo_set_enabled(st->m, false);
	for (unsigned i = 0; i < n; i++)
		if (hvo_folio_alloc(st->m, 9, node[i % nr], zone[i % nr], &st->w[i].ids[0]) ||
		    hvo_folio_info(st->m, st->w[i].ids[0], &st->w[i].fi[0])) {
			failf(st, "setup: folio allocation on node %u zone %d failed", node[i % nr], zone[i % nr]);
			return;
		}
	hvo_set_enabled(st->m, true);
	pthread_barrier_wait(&st->start);
	pthread_barrier_wait(&st->done);
	st->epochs++;
	hvo_counters(st->m, &c);
	if (check_machine(st) && (c.shared_tails != nr || c.nr_optimized != n))
		failf(st, "B29: epoch %" PRIu64 ": %" PRIu64 " shared tails for %u places, %" PRIu64 " of %u folios optimized",
		      st->epochs, c.shared_tails, nr, c.nr_optimized, n);
	hvo_machine_destroy(st->m);
	st->m = NULL;
}

static void storm_epoch(struct stress *st)
{
	static const unsigned node0 = 0;
	static const int normal = HVO_ZONE_NORMAL;

	optimize_epoch(st, st->nw - st->o.walkers, &node0, &normal, 1);
}

/* ------------------------------------------------------------ churn */

static void *churn_thread(void *arg)
{
	struct worker *w = arg;
	struct stress *st = w->st;
	bool g1 = st->o.gen == HVO_G1;

	tsync_thread_start(w->idx);
	pthread_barrier_wait(&st->start);
	while (!__atomic_load_n(&st->stop, __ATOMIC_RELAXED)) {
		for (unsigned k = 0; k < CHURN_FOLIOS && !__atomic_load_n(&st->stop, __ATOMIC_RELAXED); k++) {
			int rc = hvo_folio_restore(st->m, w->ids[k]);

			record(w, "restore", w->ids[k], 0, rc);
			if (!rc) {
				rc = hvo_folio_optimize(st->m, w->ids[k]);
				record(w, "optimize", w->ids[k], 0, rc);
			}
			/* G1: the refcount a fake head shows matters (B1, B2) */
			if (!rc && g1) {
				rc = hvo_folio_get(st->m, w->ids[k]);
				record(w, "get", w->ids[k], 0, rc);
				if (!rc) {
					rc = hvo_folio_put(st->m, w->ids[k]);
					record(w, "put", w->ids[k], 0, rc);
					/* M1: a walker may hold the last reference; its
					 * put frees the folio, wait for that */
					while (!rc && hvo_folio_state(st->m, w->ids[k]) == HVO_FOLIO_IN_USE)
						sched_yield();
				}
			}
			if (rc)
				fail_op(st, "thread %u: restore/optimize%s of folio %d returned %d", w->idx,
				      g1 ? "/get/put" : "", w->ids[k], rc);
			__atomic_fetch_add(&w->ops, g1 ? 4 : 2, __ATOMIC_RELAXED);
			if (hvo_violation(st->m))
				__atomic_store_n(&st->stop, 1, __ATOMIC_RELAXED);
		}
	}
	tsync_thread_stop();
	return NULL;
}

static void *walk_thread(void *arg)
{
	struct worker *w = arg;
	struct stress *st = w->st;
	uint64_t rng = st->o.seed ^ (0x9e3779b97f4a7c15ull * (w->idx + 1));
	const struct hvo_geometry *g = hvo_machine_geometry(st->m);
	uint64_t per_page = g->page_size / g->struct_page_size, fake_heads = hvo_geo_vmemmap_pages(g, 9);

	tsync_thread_start(w->idx);
	pthread_barrier_wait(&st->start);
	while (!__atomic_load_n(&st->stop, __ATOMIC_RELAXED)) {
		unsigned t = (unsigned)((rng = rng * 6364136223846793005ull + 1442695040888963407ull) >> 33) %
			(st->nw - st->o.walkers);
		unsigned k = (unsigned)(rng >> 20) % CHURN_FOLIOS;
		/* one walk in 8 on the in-use folio (when there is one) */
		bool inuse = st->inuse_id >= 0 && ((rng >> 28) & 7) == 0;
		int32_t id = inuse ? st->inuse_id : st->w[t].ids[k];
		struct hvo_folio_info fi = inuse ? st->inuse_fi : st->w[t].fi[k];
		struct hvo_page_view v;
		uint64_t idx = (rng >> 40) & ((1ull << fi.order) - 1);
		/* what the walker knows: the folio stays where it was set up;
		 * the churned ones free (frozen, I13), the other in use */
		struct hvo_walk_truth tr = { .in_folio = true, .head_pfn = fi.pfn, .order = fi.order, .node = fi.node,
					     .zone = fi.zone, .ref = inuse };
		char why[HVO_ERR_LEN];
		int rc, inv = 0;

		tsync_walk_begin(&st->sync);
		if (st->o.gen == HVO_G1) {
			/* the compaction walker at the start of a tail vmemmap page:
			 * a fake head while optimized, whose refcount shows the
			 * head's, so its get must be refused (I10: B1, B2) */
			idx = (1 + (rng >> 40) % (fake_heads - 1)) * per_page;
			rc = hvo_isolate_pfn(st->m, fi.pfn + idx, &v);
		} else {
			rc = hvo_walk_pfn(st->m, fi.pfn + idx, &v);
		}
		tsync_walk_end(&st->sync);
		record(w, st->o.gen == HVO_G1 ? "isolate" : "walk", id, idx, rc);
		__atomic_fetch_add(&w->views, 1, __ATOMIC_RELAXED);
		/* No get succeeds: the head is frozen (I13), G1's own pages are
		 * tails or fake heads.  G2: any mapping a walker meets shows the
		 * folio (5.5).  G1's views are not checked: a remap between the
		 * compound_info read and page_fixed_fake_head's PG_head read tears
		 * them, the window spec B24 notes the kernel leaves open (callers
		 * re-check after taking a reference); the scheduler's walk_g1,
		 * whose switches fall at sync points only, checks them. */
		if (!rc)
			inv = hvo_check_view(&v, st->o.gen == HVO_G1, st->o.gen == HVO_G1 ? NULL : &tr, why, sizeof(why));
		if (inv)
			failf(st, "I%d walker %u: folio %d: %s", inv, w->idx, id, why);
		else if (rc || (st->o.gen == HVO_G1 && v.got_ref))
			failf(st, "walker %u: pfn 0x%" PRIx64 " of folio %d: rc %d head 0x%" PRIx64 " tail=%d got_ref=%d",
			      w->idx, fi.pfn + idx, id, rc, v.head_pfn, v.tail, v.got_ref);
	}
	tsync_thread_stop();
	return NULL;
}

static int churn_setup(struct stress *st)
{
	if (make_machine(st))
		return -1;
	for (unsigned i = 0; i < st->nw - st->o.walkers; i++)
		for (unsigned k = 0; k < CHURN_FOLIOS; k++) {
			/* independent zones when there are enough: node 1 NORMAL, 0 NORMAL, 1 MOVABLE */
			static const struct { unsigned node; int zone; } where[] = {
				{ 0, HVO_ZONE_NORMAL }, { 1, HVO_ZONE_NORMAL }, { 1, HVO_ZONE_MOVABLE } };
			unsigned z = i % 3;

			if (hvo_folio_alloc(st->m, 9, where[z].node, where[z].zone, &st->w[i].ids[k])) {
				failf(st, "setup: folio allocation failed");
				return -1;
			}
			pretouch(st, st->w[i].ids[k], &st->w[i].fi[k]);
		}
	if (st->o.gen == HVO_G2 && st->o.walkers) {
		if (hvo_folio_alloc(st->m, 9, 0, HVO_ZONE_NORMAL, &st->inuse_id) ||
		    hvo_folio_get(st->m, st->inuse_id)) {
			failf(st, "setup: the in-use folio");
			return -1;
		}
		pretouch(st, st->inuse_id, &st->inuse_fi);
	}
	return 0;
}

/* Every churned folio ends optimized (each thread's last op was optimize). */
static void churn_end(struct stress *st)
{
	struct hvo_counters c;
	unsigned want = (st->nw - st->o.walkers) * CHURN_FOLIOS + (st->inuse_id >= 0);

	if (!check_machine(st))
		return;
	hvo_counters(st->m, &c);
	if (c.nr_optimized != want || c.nr_folios != want)
		failf(st, "end: %" PRIu64 " of %u folios optimized, %" PRIu64 " live", c.nr_optimized, want, c.nr_folios);
}

/* ------------------------------------------------------------ the run */

#define STR_(x) #x
#define STR(x) STR_(x)
#define USAGE "usage: hvo-stress [tail-storm|churn|dax-churn|gather|publish-race] [--threads N] [--time S | --ops N] " \
	"[--seed X] [--gen g1|g2] [--mutant NAME]... [--walkers N] [--reports DIR]\n" \
	"--threads: 1 to " STR(MAX_THREADS) " in every scenario (default: the online CPUs, at most " STR(MAX_THREADS) ")\n" \
	"exit: 0 clean, 1 a violation, 2 usage or setup error, 3 nothing was checked (no op ran), 130 interrupted\n"

static int usage(const char *msg)
{
	fprintf(stderr, "hvo-stress: %s\n" USAGE, msg);
	return 2;
}

/* A bad value of one option: name it and what it takes. */
static int bad(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "hvo-stress: %s %s: %s\n" USAGE, opt, val ? val : "(missing)", want);
	return 2;
}

static bool num(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !*end && !errno;
}

static int parse(int argc, char **argv, struct opts *o)
{
	uint64_t v;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	/* one thread per online CPU, at most MAX_THREADS */
	*o = (struct opts){ .scenario = "tail-storm", .reports = "reports",
			    .threads = ncpu < 1 ? 2 : ncpu > MAX_THREADS ? MAX_THREADS : (unsigned)ncpu,
			    .time_s = 10, .seed = 1, .walkers = UINT32_MAX, .gen = HVO_G2 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(USAGE, stdout);
			return -1;
		}
		if (a[0] != '-') {
			if (strcmp(a, "tail-storm") && strcmp(a, "churn") && strcmp(a, "dax-churn") && strcmp(a, "gather") &&
			    strcmp(a, "publish-race"))
				return usage("unknown scenario (tail-storm, churn, dax-churn, gather, publish-race)");
			o->scenario = a;
			continue;
		}
		i++;
		if (!strcmp(a, "--threads")) {
			if (!num(val, &v) || v < 1 || v > MAX_THREADS)
				return bad(a, val, "a thread count from 1 to " STR(MAX_THREADS));
			o->threads = (unsigned)v;
		} else if (!strcmp(a, "--time")) {
			if (!val || (o->time_s = strtod(val, &end), *end) || !(o->time_s > 0 && o->time_s <= 1e9))
				return bad(a, val, "seconds, more than 0");
		} else if (!strcmp(a, "--ops")) {
			if (!num(val, &v) || v == 0)
				return bad(a, val, "an op count from 1 to 2^64-1");
			o->max_ops = v;
		} else if (!strcmp(a, "--seed")) {
			if (!num(val, &v))
				return bad(a, val, "a number from 0 to 2^64-1");
			o->seed = v;
		} else if (!strcmp(a, "--gen")) {
			if (!val || (strcmp(val, "g1") && strcmp(val, "g2")))
				return bad(a, val, "g1 or g2");
			o->gen = val[1] == '1' ? HVO_G1 : HVO_G2;
		} else if (!strcmp(a, "--walkers")) {
			if (!num(val, &v) || v >= MAX_THREADS)
				return bad(a, val, "a walker count from 0 to " STR(MAX_THREADS) " - 1, fewer than --threads");
			o->walkers = (unsigned)v;
		} else if (!strcmp(a, "--reports")) {
			if (!val)
				return bad(a, val, "a folder");
			o->reports = val;
		} else if (!strcmp(a, "--mutant")) {
			if (!val || hvo_mutant_by_name(val) < 0)
				return bad(a, val, "a mutant name (hvo-cli mutants lists them)");
			o->mutants |= 1ull << hvo_mutant_by_name(val);
		} else {
			fprintf(stderr, "hvo-stress: unknown option %s\n" USAGE, a);
			return 2;
		}
	}
	if (o->walkers == UINT32_MAX && strcmp(o->scenario, "publish-race"))
		o->walkers = (!strcmp(o->scenario, "churn") || !strcmp(o->scenario, "dax-churn")) && o->threads >= 2 ?
			(o->threads + 3) / 4 : 0;
	if (o->walkers == UINT32_MAX)  /* publish-race: half readers, at least one publisher */
		o->walkers = o->threads / 2;
	if (!strcmp(o->scenario, "gather"))
		o->walkers = 0;
	if ((!strcmp(o->scenario, "tail-storm") || !strcmp(o->scenario, "publish-race")) && o->gen == HVO_G1)
		return usage("tail-storm and publish-race race the G2 shared tail: --gen g1 is for churn");
	if (o->walkers >= o->threads)
		return usage("--walkers must leave at least one churn thread (fewer walkers than --threads)");
	if (!strcmp(o->scenario, "dax-churn")) {
		if (o->gen == HVO_G1)
			return usage("dax-churn is device DAX: G3 (--gen is not for it)");
		o->gen = HVO_G3;
	}
	return 0;
}

static uint64_t total_ops(const struct stress *st)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < st->nw; i++)
		n += __atomic_load_n(&st->w[i].ops, __ATOMIC_RELAXED);
	return n;
}

static uint64_t total_views(const struct stress *st)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < st->nw; i++)
		n += __atomic_load_n(&st->w[i].views, __ATOMIC_RELAXED);
	return n;
}

static void report_path(const struct stress *st, const char *ext, char *path, size_t len)
{
	snprintf(path, len, "%s.%s", st->report_base, ext);
}

/* Reserve this run's report names before it starts: the first free
 * REPORTS/stress-SCEN-gG-SEED-N.txt, created exclusively, so two runs (the
 * same seed, or at once) never overwrite each other's reports, and a
 * folder that cannot be written is an error before any work.  0 or -1. */
static int reserve_reports(struct stress *st)
{
	char path[4200];

	if (mkdir(st->o.reports, 0777) && errno != EEXIST) {
		fprintf(stderr, "hvo-stress: cannot create the reports folder %s: %s\n", st->o.reports, strerror(errno));
		return -1;
	}
	for (unsigned n = 1; n < 100000; n++) {
		int fd;

		snprintf(st->report_base, sizeof(st->report_base), "%s/stress-%s-g%d-%" PRIu64 "-%u", st->o.reports,
			 st->o.scenario, (int)st->o.gen, st->o.seed, n);
		snprintf(path, sizeof(path), "%s.txt", st->report_base);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != EEXIST) {
			fprintf(stderr, "hvo-stress: cannot write reports in %s: %s: %s\n", st->o.reports, path,
				strerror(errno));
			return -1;
		}
	}
	fprintf(stderr, "hvo-stress: no free report name in %s\n", st->o.reports);
	return -1;
}

static bool replayable(const struct stress *st)
{
	return !strcmp(st->o.scenario, "churn") || !strcmp(st->o.scenario, "tail-storm");
}

static void print_failure(const struct stress *st, FILE *f)
{
	char path[4096];

	fprintf(f, "VIOLATION (seed %" PRIu64 "): %s\n", st->o.seed, st->fail);
	for (unsigned i = 0; i < st->nw; i++) {
		const struct oplog *l = &st->w[i].log;

		fprintf(f, "thread %u (%s) last ops:", i, st->w[i].walker ? "walker" : "worker");
		for (unsigned k = l->n > LOG_LEN ? l->n - LOG_LEN : 0; k < l->n; k++)
			fprintf(f, " %s(f%d)=%d", l->op[k % LOG_LEN], l->folio[k % LOG_LEN], l->rc[k % LOG_LEN]);
		fputc('\n', f);
	}
	report_path(st, "oplog", path, sizeof(path));
	if (replayable(st))
		fprintf(f, "deterministic reproducer: hvo-sched oplog %s --runs 10000  (./hvo sched oplog ...)\n", path);
}

/* The op logs as one file hvo-sched oplog replays (fuzz/sched_oplog.h has
 * the format): the machine, the folios in allocation order, and each
 * thread's last ops, one fiber per thread. */
static void write_oplog(struct stress *st)
{
	char path[4096], tmp[4200];
	FILE *f;

	if (!replayable(st) || !st->nw)
		return;
	report_path(st, "oplog", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "hvo-stress: cannot write %s: %s\n", tmp, strerror(errno));
		st->report_error = true;
		return;
	}
	fprintf(f, "hvo-oplog 1\n# hvo-stress %s --threads %u --seed %" PRIu64 ": %s\nscenario %s\ngen g%d\n",
		st->o.scenario, st->o.threads, st->o.seed, st->fail[0] ? st->fail : "pass", st->o.scenario,
		(int)st->o.gen);
	for (int i = 0; i < HVO_NR_MUTANTS; i++)
		if (st->o.mutants >> i & 1)
			fprintf(f, "mutant %s\n", hvo_mutant_info(i)->name);
	for (unsigned i = 0; i < st->nw - st->o.walkers; i++)
		for (unsigned k = 0; k < (strcmp(st->o.scenario, "churn") ? 1u : CHURN_FOLIOS); k++) {
			const struct hvo_folio_info *fi = &st->w[i].fi[k];

			if (strcmp(st->o.scenario, "churn"))
				fprintf(f, "folio %d 9 0 %d\n", st->w[i].ids[k], HVO_ZONE_NORMAL);
			else
				fprintf(f, "folio %d %u %u %d\n", st->w[i].ids[k], fi->order, fi->node, fi->zone);
		}
	if (st->inuse_id >= 0)
		fprintf(f, "folio %d %u %u %d inuse\n", st->inuse_id, st->inuse_fi.order, st->inuse_fi.node,
			st->inuse_fi.zone);
	for (unsigned i = 0; i < st->nw; i++) {
		const struct oplog *l = &st->w[i].log;
		/* tail-storm: each epoch is a fresh machine, the last one is the run */
		unsigned from = strcmp(st->o.scenario, "churn") ? (l->n ? l->n - 1 : 0) : l->n > LOG_LEN ? l->n - LOG_LEN : 0;

		fprintf(f, "thread %u\n", i);
		for (unsigned k = from; k < l->n; k++)
			fprintf(f, "op %s %d 0x%" PRIx64 " %d\n", l->op[k % LOG_LEN], l->folio[k % LOG_LEN],
				l->idx[k % LOG_LEN], l->rc[k % LOG_LEN]);
	}
	if (fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "hvo-stress: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		st->report_error = true;
	}
}

/* Write through a temp file and rename: a report is whole or absent. */
static void write_report(struct stress *st, double secs, const char *ext)
{
	char path[4096], tmp[4200];
	FILE *f;
	uint64_t ops = total_ops(st);

	report_path(st, ext, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "hvo-stress: cannot write %s: %s\n", tmp, strerror(errno));
		st->report_error = true;
		return;
	}
	if (!strcmp(ext, "json")) {
		fprintf(f, "{\"scenario\":\"%s\",\"gen\":%d,\"threads\":%u,\"walkers\":%u,\"seed\":%" PRIu64 ",\"seconds\":%.3f,"
			"\"ops\":%" PRIu64 ",\"ops_per_s\":%.0f,\"walker_views\":%" PRIu64 ",\"epochs\":%" PRIu64
			",\"checks\":%" PRIu64 ",\"grace_periods\":%lu,\"interrupted\":%s,\"result\":\"%s\","
			"\"baseline\":\"%s\"}\n",
			st->o.scenario, (int)st->o.gen, st->o.threads, st->o.walkers, st->o.seed, secs, ops, ops / secs, total_views(st),
			st->epochs, st->checks, tsync_grace_periods(&st->sync), interrupted ? "true" : "false",
			st->fail[0] ? "violation" : "pass", hvo_baseline(st->o.gen));
	} else {
		fprintf(f, "baseline G%d: %s\n", (int)st->o.gen, hvo_baseline(st->o.gen));
		fprintf(f, "scenario %s, %u threads (%u walkers), seed %" PRIu64 ", %.1f s%s\n", st->o.scenario,
			st->o.threads, st->o.walkers, st->o.seed, secs, interrupted ? " (interrupted)" : "");
		fprintf(f, "ops %" PRIu64 " (%.0f/s), walker views %" PRIu64 ", epochs %" PRIu64 ", checks %" PRIu64
			", grace periods %lu\n", ops, ops / secs, total_views(st), st->epochs, st->checks,
			tsync_grace_periods(&st->sync));
		if (st->fail[0])
			print_failure(st, f);
		else
			fprintf(f, "result: pass\n");
	}
	if (fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "hvo-stress: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		st->report_error = true;
	}
}

static void write_reports(struct stress *st, double secs)
{
	write_report(st, secs, "json");
	write_report(st, secs, "txt");
	write_oplog(st);
}

#ifdef STRESS_SANITIZED
/* ASan aborting the run (on a bad host access, say a write
 * to a frame B28 lets through after its free) ends it before the checker
 * reports: write the summary and the op logs from its death callback, so
 * no report is lost.  The other threads may still run; the logs are a
 * best-effort tail, as after a checker violation. */
static struct stress *dying;
static double dying_t0;

static void on_sanitizer_death(void)
{
	struct stress *st = dying;

	if (!st)
		return;
	dying = NULL;
	if (!st->fail[0])
		snprintf(st->fail, sizeof(st->fail), "sanitizer report (printed above)");
	write_reports(st, now() - dying_t0);
	print_failure(st, stderr);
}
#endif

static bool should_stop(struct stress *st, double t0, double *last)
{
	double t = now();

	if (t - *last >= 1.0) {
		*last = t;
		printf("[%5.1fs] ops %" PRIu64 " (%.0f/s) views %" PRIu64 " epochs %" PRIu64 "\n", t - t0,
		       total_ops(st), total_ops(st) / (t - t0), total_views(st), st->epochs);
		fflush(stdout);
	}
	return __atomic_load_n(&st->stop, __ATOMIC_RELAXED) || interrupted || t - t0 >= st->o.time_s || (st->o.max_ops && total_ops(st) >= st->o.max_ops);
}

int main(int argc, char **argv)
{
	struct stress st = { .inuse_id = -1 };  /* no in-use folio until churn_setup makes it */
	bool storm, setup_failed = false, no_work = false;
	double t0, last, secs;
	int rc = parse(argc, argv, &st.o);
	bool dax = !strcmp(st.o.scenario, "dax-churn"), gather = !strcmp(st.o.scenario, "gather");
	bool publish = !strcmp(st.o.scenario, "publish-race");

	if (rc)
		return rc < 0 ? 0 : rc;  /* -1: --help */
	if (reserve_reports(&st))
		return 2;
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	signal(SIGHUP, on_sigint);
	storm = !strcmp(st.o.scenario, "tail-storm") || gather || publish;  /* epochs of a fresh machine */
	st.nw = st.o.threads;
	st.w = aligned_alloc(_Alignof(struct worker), st.nw * sizeof(*st.w));
	if (!st.w)
		return 1;
	memset(st.w, 0, st.nw * sizeof(*st.w));
	pthread_mutex_init(&st.fail_lock, NULL);
	pthread_mutex_init(&st.hotplug, NULL);
	tsync_init(&st.sync, st.o.walkers > 0);
	pthread_barrier_init(&st.start, NULL, st.nw + 1);
	pthread_barrier_init(&st.done, NULL, st.nw + 1);
	tsync_thread_start(st.nw);
	if (gather ? gather_setup(&st) : !storm && (dax ? dax_setup(&st) : churn_setup(&st))) {
		__atomic_store_n(&st.stop, 1, __ATOMIC_RELAXED);
		st.nw = 0;
		setup_failed = true;
	}
	for (unsigned i = 0; i < st.nw; i++) {
		st.w[i] = (struct worker){ .st = &st, .idx = i, .walker = i >= st.nw - st.o.walkers,
					   .ids = { st.w[i].ids[0], st.w[i].ids[1] }, .fi = { st.w[i].fi[0], st.w[i].fi[1] },
					   .dax = st.w[i].dax };
		pthread_create(&st.w[i].tid, NULL,
			       gather ? gather_thread :
			       publish ? (st.w[i].walker ? publish_read_thread : publish_thread) :
			       storm ? (st.w[i].walker ? storm_walk_thread : storm_thread) :
			       dax ? (st.w[i].walker ? dax_walk_thread : dax_thread) :
			       st.w[i].walker ? walk_thread : churn_thread, &st.w[i]);
	}
	t0 = last = now();
#ifdef STRESS_SANITIZED
	dying = &st;
	dying_t0 = t0;
	__sanitizer_set_death_callback(on_sanitizer_death);
#endif
	if (storm) {
		while (!should_stop(&st, t0, &last))
			(gather ? gather_epoch : publish ? publish_epoch : storm_epoch)(&st);
		__atomic_store_n(&st.stop, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&st.quit, 1, __ATOMIC_RELAXED);
		if (st.nw)
			pthread_barrier_wait(&st.start);  /* releases the threads to see quit */
	} else if (st.nw) {
		double checked = t0;

		pthread_barrier_wait(&st.start);
		while (!should_stop(&st, t0, &last)) {
			usleep(10000);
			if (dax && now() - checked >= 0.5) {  /* a quiescent point */
				dax_quiesce(&st, true);
				check_machine(&st);
				dax_quiesce(&st, false);
				checked = now();
			}
		}
		__atomic_store_n(&st.stop, 1, __ATOMIC_RELAXED);
	}
	for (unsigned i = 0; i < st.nw; i++)
		pthread_join(st.w[i].tid, NULL);
	secs = now() - t0;
	if (!storm && st.m && !st.fail[0] && !interrupted)
		(dax ? dax_end : churn_end)(&st);
	if (!st.fail[0] && !interrupted && !setup_failed &&
	    (total_ops(&st) == 0 || (st.o.walkers && total_views(&st) == 0))) {
		fprintf(stderr, "hvo-stress: the run did no work (%" PRIu64 " ops, %" PRIu64 " walker views): nothing was "
			"checked\n", total_ops(&st), total_views(&st));
		no_work = true;
	}
#ifdef STRESS_SANITIZED
	dying = NULL;  /* from here the normal path writes them */
#endif
	write_reports(&st, secs);
	printf("%s %s: %u threads, %.1f s, %" PRIu64 " ops (%.0f/s), %" PRIu64 " views, %" PRIu64 " epochs, %" PRIu64
	       " checks%s\n", st.fail[0] ? "FAIL" : "PASS", st.o.scenario, st.o.threads, secs, total_ops(&st),
	       total_ops(&st) / secs, total_views(&st), st.epochs, st.checks, interrupted ? " (interrupted)" : "");
	if (st.fail[0])
		print_failure(&st, stdout);
	hvo_machine_destroy(st.m);
	tsync_thread_stop();
	tsync_destroy(&st.sync);
	free(st.w);
	if (setup_failed && !st.fail[0]) {
		fprintf(stderr, "hvo-stress: %s: the machine could not be set up\n", st.o.scenario);
		return 2;
	}
	if (st.fail[0])
		return 1;
	if (st.report_error)
		return 2;
	if (interrupted) {
		fprintf(stderr, "hvo-stress: interrupted after %.1f s; the reports say so\n", secs);
		return 130;
	}
	return no_work ? 3 : 0;
}
