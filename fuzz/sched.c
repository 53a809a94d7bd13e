// SPDX-License-Identifier: GPL-2.0-only
/*
 * sched.c - the deterministic fiber scheduler (see sched.h).
 *
 * Each simulated CPU is a ucontext fiber with its own stack; switches go
 * directly from fiber to fiber, and back to the caller of sched_run when
 * the run ends.  Under ASan every switch is announced with
 * __sanitizer_start/finish_switch_fiber; under TSan each fiber is a TSan
 * fiber.  The switch synchronises (flag 0, not _no_sync): the fibers share
 * the scheduler's bookkeeping and the model's state by design, one at a
 * time, and without the handoff's happens-before TSan would report every
 * such access.  The fiber runs are sequentially consistent anyway; data
 * races and weak ordering are the pthread stress lane's (hvo-stress under
 * TSan, anchors-fuzzing 4.9 item 7).  Everything hangs off struct sched:
 * no global state.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "sched.h"
#include "sched_weak.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCHED_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define SCHED_TSAN 1
#endif
#endif
#ifdef __SANITIZE_ADDRESS__
#define SCHED_ASAN 1
#endif
#ifdef __SANITIZE_THREAD__
#define SCHED_TSAN 1
#endif
#ifdef SCHED_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef SCHED_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#if defined(SCHED_ASAN) || defined(SCHED_TSAN)
#define STACK_SIZE (1u << 20)
#else
#define STACK_SIZE (256u << 10)
#endif
#define MAIN SCHED_MAX_CPUS    /* the context that called sched_run */
#define NO_LOCK (-1)
#define MAX_SITES 128          /* distinct sync-point names one CPU hits */
#define SITE_LEN 64

/* A simulated CPU's fiber: its stack, context and (ASan) fake stack outlive
 * one run when the caller keeps a struct sched_fibers (see sched.h). */
struct fiber {
	ucontext_t uc;
	uint8_t *stack;
	bool parked;              /* at the end of its loop: the next run resumes it */
	void *tsan_fiber;
};

struct sched_fibers {
	struct fiber f[SCHED_MAX_CPUS];
	struct sched *s;          /* the run using them now */
};

struct cpu {
	sched_fn fn;
	void *arg;
	bool has_job, started, done;
	int wait_lock;            /* the lock it waits for, NO_LOCK */
	bool wait_gp;             /* inside synchronize_rcu */
	uint64_t gp_stamp;        /* ...waiting for readers that began at or before this */
	unsigned rcu_nest;        /* read-side nesting */
	uint64_t rcu_begin;       /* stamp of its outermost rcu_read_lock */
	uint32_t site;            /* hash of the switch point it stopped at */
	int prio;                 /* PCT */
	/* named positions (sched.h): its hits per sync-point name, where it is */
	struct { const char *name; unsigned hits; } hits[MAX_SITES];
	unsigned nsites;
	const char *at;           /* the last name it reached ("start" before any) */
	unsigned at_hit, at_ord;  /* ...its hit count, steps there since */
	unsigned at_loads;        /* weak: its loads that chose a store since the hit */
};

/* One named switch of a replay: at (cpu, site#hit+ord), run `to`; or
 * (weak) a load's choice: the cpu's load-th choosing load after site#hit
 * reads store `read` ('b' the one before the newest, ...). */
struct named {
	int cpu;                  /* -1: the caller, before any CPU ran */
	char site[SITE_LEN];
	unsigned hit, ord, to, load;
	char read;                /* 0: a switch */
};

struct sched {
	struct sched_cfg cfg;
	struct cpu cpu[SCHED_MAX_CPUS];
	struct sched_fibers *fib;
	bool own_fib;             /* made by sched_create: freed with the run */
	ucontext_t main_uc;
	void *main_tsan;
	const void *main_bottom;  /* ASan: the caller's stack */
	size_t main_size;
	unsigned cur, prev;
	struct hvo_sync_ops ops;
	int lock_owner[HVO_NR_LOCKS];
	uint64_t rcu_clock;       /* stamps for readers and grace periods */
	/* decisions */
	uint64_t rng, steps, points, switches, gps;
	size_t byte_pos, replay_pos;
	const char *replay;       /* past the "<n>:" prefix */
	bool diverged;
	unsigned pct_change[16], nr_change, pct_low;
	struct trace { char *buf; size_t len, cap; } trace, reads;  /* CPU decisions, weak loads' choices */
	size_t reads_pos;         /* replay: the next weak choice in cfg.replay_reads */
	struct trace named;       /* the named switches taken */
	struct named *want;       /* replay: the named switches to take, in order */
	size_t nwant, want_pos, want_bad;  /* ...how many, the next, 1 + one that could not run */
	unsigned main_ord;        /* steps taken by the caller (the first pick) */
	enum sched_status status;
	char reason[256];
	struct wm *wm;            /* weak mode */
	unsigned in_model;        /* inside the model's own bookkeeping: its locks order nothing */
	/* the interrupt hook (irq_at) */
	int irq_cpu;              /* -1: none */
	char irq_site[SITE_LEN];
	unsigned irq_hit;
	uint64_t irqs;            /* delivered */
};

/* ------------------------------------------------------------ helpers */

static uint64_t next_rand(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t site_hash(enum hvo_sync_point sp, const char *where)
{
	uint32_t h = 2166136261u ^ (uint32_t)sp;

	for (const char *p = where ? where : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static void fail(struct sched *s, enum sched_status st, const char *msg)
{
	if (s->status == SCHED_OK) {
		s->status = st;
		snprintf(s->reason, sizeof(s->reason), "%s", msg);
	}
}

static bool push(struct trace *t, char ch)
{
	if (t->len + 2 > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		char *n = realloc(t->buf, cap);

		if (!n)
			return false;
		t->buf = n;
		t->cap = cap;
	}
	t->buf[t->len++] = ch;
	t->buf[t->len] = '\0';
	return true;
}

static bool trace_push(struct sched *s, char ch) { return push(&s->trace, ch); }

static unsigned keep_going(const struct sched *s, const unsigned *r, unsigned n);

static bool push_str(struct trace *t, const char *str)
{
	for (; *str; str++)
		if (!push(t, *str))
			return false;
	return true;
}

/* ------------------------------------------------------------ named positions */

/* CPU i reaches sync point `name`: its next hit there. */
static void hit_site(struct cpu *c, const char *name)
{
	unsigned i;

	/* by pointer first (a where string is a literal): no strcmp per point */
	for (i = 0; i < c->nsites; i++)
		if (c->hits[i].name == name)
			break;
	if (i == c->nsites)
		for (i = 0; i < c->nsites; i++)
			if (!strcmp(c->hits[i].name, name))
				break;
	if (i == c->nsites && c->nsites < MAX_SITES)
		c->hits[c->nsites++] = (typeof(c->hits[0])){ name, 0 };
	c->at = i < MAX_SITES ? c->hits[i].name : "?";
	c->at_hit = i < MAX_SITES ? ++c->hits[i].hits : 0;
	c->at_ord = 0;
	c->at_loads = 0;
}

/* Where the running context takes its step now (sched.h). */
static void position(const struct sched *s, int *cpu, const char **site, unsigned *hit, unsigned *ord)
{
	const struct cpu *c = s->cur < MAIN ? &s->cpu[s->cur] : NULL;

	*cpu = c ? (int)s->cur : -1;
	*site = c && c->at ? c->at : "start";
	*hit = c && c->at ? c->at_hit : 1;
	*ord = c ? c->at_ord : s->main_ord;
}

static void step_taken(struct sched *s)
{
	if (s->cur < MAIN)
		s->cpu[s->cur].at_ord++;
	else
		s->main_ord++;
}

static bool push_uint(struct trace *t, unsigned v)
{
	char d[12];
	int n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		if (!push(t, d[--n]))
			return false;
	return true;
}

/* "C.SITE#HIT[+ORD]>TO", without printf: random runs switch often. */
static bool record_named(struct sched *s, unsigned to)
{
	struct trace *t = &s->named;
	const char *site;
	unsigned hit, ord;
	int cpu;

	position(s, &cpu, &site, &hit, &ord);
	return (!t->len || push(t, ' ')) && push(t, cpu < 0 ? '-' : (char)('0' + cpu)) && push(t, '.') &&
	       push_str(t, site) && push(t, '#') && push_uint(t, hit) &&
	       (!ord || (push(t, '+') && push_uint(t, ord))) && push(t, '>') && push(t, (char)('0' + to));
}

/* A load's choice other than the newest, by name: "C.SITE#HIT/LOAD=x". */
static bool record_read(struct sched *s, unsigned k)
{
	const struct cpu *c = &s->cpu[s->cur];
	char tok[SITE_LEN + 48];

	snprintf(tok, sizeof(tok), "%s%u.%s#%u/%u=%c", s->named.len ? " " : "", s->cur, c->at ? c->at : "start",
		 c->at ? c->at_hit : 1, c->at_loads, (char)('a' + k));
	return push_str(&s->named, tok);
}

/* Parse "C.SITE#N[+M]>K ..." into *out (malloc'd; NULL when empty).
 * 0, or -1 with err set. */
static int parse_named(const char *text, unsigned ncpus, struct named **out, size_t *n, char *err, size_t errlen)
{
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	for (const char *p = text; *p;) {
		struct named e = { 0 };
		const char *hash, *end;
		char *q;
		size_t len;

		p += strspn(p, " \t");
		if (!*p)
			break;
		end = p + strcspn(p, " \t");
		hash = memchr(p, '#', (size_t)(end - p));
		len = hash ? (size_t)(hash - p) : 0;
		if (!hash || len < 3 || p[1] != '.' || (p[0] != '-' && (p[0] < '0' || p[0] >= (char)('0' + ncpus))) ||
		    len - 2 >= SITE_LEN)
			goto bad;
		e.cpu = p[0] == '-' ? -1 : p[0] - '0';
		memcpy(e.site, p + 2, len - 2);
		e.hit = (unsigned)strtoul(hash + 1, &q, 10);
		if (q == hash + 1 || !e.hit)
			goto bad;
		if (*q == '/' && e.cpu >= 0) {   /* a load's choice */
			const char *o = q + 1;

			e.load = (unsigned)strtoul(o, &q, 10);
			if (q == o || *q != '=' || q[1] <= 'a' || q[1] > 'z' || q + 2 != end)
				goto bad;
			e.read = q[1];
			goto keep;
		}
		if (*q == '+') {
			const char *o = q + 1;

			e.ord = (unsigned)strtoul(o, &q, 10);
			if (q == o)
				goto bad;
		}
		if (*q != '>' || q[1] < '0' || q[1] >= (char)('0' + ncpus) || q + 2 != end)
			goto bad;
		e.to = (unsigned)(q[1] - '0');
keep:
		if (*n == cap) {
			struct named *m = realloc(*out, (cap = cap ? 2 * cap : 16) * sizeof(**out));

			if (!m) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			*out = m;
		}
		(*out)[(*n)++] = e;
		p = end;
		continue;
bad:
		snprintf(err, errlen, "switch %zu: '%.*s' is not CPU.SITE#HIT[+STEP]>CPU or CPU.SITE#HIT/LOAD=b..z "
			 "(CPUs 0..%u, '-' the start)",
			 *n + 1, (int)(end - p), p, ncpus - 1);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int sched_named_check(const char *text, unsigned ncpus, char *err, size_t errlen)
{
	struct named *v;
	size_t n;
	int rc = parse_named(text, ncpus, &v, &n, err, errlen);

	free(v);
	return rc;
}

/* Replay by name: the next wanted switch when the run is at its position,
 * else the step keeps going.  Never reaching one is a stale witness. */
static unsigned named_pick(struct sched *s, const unsigned *r, unsigned n)
{
	const struct named *e = s->want_pos < s->nwant ? &s->want[s->want_pos] : NULL;
	const char *site;
	unsigned hit, ord;
	int cpu;

	if (!e || e->read)   /* a load's choice comes first */
		return keep_going(s, r, n);
	position(s, &cpu, &site, &hit, &ord);
	if (cpu != e->cpu || hit != e->hit || ord != e->ord || strcmp(site, e->site))
		return keep_going(s, r, n);
	s->want_pos++;
	for (unsigned i = 0; i < n; i++)
		if (r[i] == e->to)
			return r[i];
	s->diverged = true;
	if (!s->want_bad)
		s->want_bad = s->want_pos;
	return keep_going(s, r, n);
}

/* ------------------------------------------------------------ runnability */

static bool readers_block(const struct sched *s, const struct cpu *c)
{
	for (unsigned i = 0; i < s->cfg.ncpus; i++) {
		const struct cpu *r = &s->cpu[i];

		if (r != c && r->rcu_nest && r->rcu_begin <= c->gp_stamp)
			return true;
	}
	return false;
}

static bool runnable(const struct sched *s, unsigned i)
{
	const struct cpu *c = &s->cpu[i];

	if (!c->has_job || c->done)
		return false;
	if (c->wait_lock != NO_LOCK && s->lock_owner[c->wait_lock] != NO_LOCK)
		return false;
	return !(c->wait_gp && readers_block(s, c));
}

/* The fallback when bytes or the replay run out: no preemption. */
static unsigned keep_going(const struct sched *s, const unsigned *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i] == s->cur)
			return s->cur;
	return r[0];
}

static unsigned pct_pick(struct sched *s, const unsigned *r, unsigned n)
{
	unsigned best = r[0];

	/* At a change point the running CPU drops below every other (PCT). */
	for (unsigned i = 0; i < s->nr_change; i++)
		if (s->pct_change[i] == s->steps && s->cur < MAIN)
			s->cpu[s->cur].prio = (int)s->pct_low--;
	for (unsigned i = 1; i < n; i++)
		if (s->cpu[r[i]].prio > s->cpu[best].prio)
			best = r[i];
	return best;
}

static unsigned replay_pick(struct sched *s, const unsigned *r, unsigned n)
{
	char ch = s->replay ? s->replay[s->replay_pos] : '\0';

	if (!ch)
		return keep_going(s, r, n);
	s->replay_pos++;
	for (unsigned i = 0; i < n; i++)
		if ((unsigned)(ch - '0') == r[i])
			return r[i];
	s->diverged = true;
	return keep_going(s, r, n);
}

/* The next CPU to run, or -1 when none can.  Contended choices are steps. */
static int pick(struct sched *s)
{
	unsigned r[SCHED_MAX_CPUS], n = 0, c, dflt;

	for (unsigned i = 0; i < s->cfg.ncpus; i++)
		if (runnable(s, i))
			r[n++] = i;
	if (n <= 1)
		return n ? (int)r[0] : -1;
	s->steps++;
	switch (s->cfg.policy) {
	case SCHED_BYTES:
		c = s->byte_pos < s->cfg.nbytes ? r[s->cfg.bytes[s->byte_pos++] % n] : keep_going(s, r, n);
		break;
	case SCHED_PCT:
		c = pct_pick(s, r, n);
		break;
	case SCHED_RANDOM:
		c = r[next_rand(&s->rng) % n];
		break;
	default:
		c = s->want ? named_pick(s, r, n) : replay_pick(s, r, n);
		break;
	}
	dflt = keep_going(s, r, n);
	if (!trace_push(s, (char)('0' + c)) || (c != dflt && !record_named(s, c)))
		fail(s, SCHED_MISUSE, "out of memory recording the schedule");
	step_taken(s);
	return (int)c;
}

/* Weak mode: which of a location's kept stores a load reads (sched_weak.h),
 * recorded in the reads string, 'a' the newest.  A replay takes its
 * choices from cfg.replay_reads in order; past their end, or for a load
 * the recorded run did not make, the newest store (a read stream out of
 * step reads other stores, it is no divergence: every answer is one the
 * run at hand allows).  A letter past the kept stores reads the oldest
 * readable one. */
static unsigned weak_pick(void *ctx, unsigned n_ok, unsigned n_kept)
{
	struct sched *s = ctx;
	unsigned k = 0;

	(void)n_kept;
	switch (s->cfg.policy) {
	case SCHED_BYTES:
		if (n_ok > 1 && s->byte_pos < s->cfg.nbytes)
			k = s->cfg.bytes[s->byte_pos++] % n_ok;
		break;
	case SCHED_PCT:
	case SCHED_RANDOM:
		if (n_ok > 1)
			k = (unsigned)(next_rand(&s->rng) % n_ok);
		break;
	default: {
		const char *r = s->cfg.replay_reads;
		const struct named *e = s->want && s->want_pos < s->nwant ? &s->want[s->want_pos] : NULL;
		const struct cpu *c = &s->cpu[s->cur];

		if (e && e->read && e->cpu == (int)s->cur && e->hit == (c->at ? c->at_hit : 1) &&
		    e->load == c->at_loads && !strcmp(e->site, c->at ? c->at : "start")) {
			k = (unsigned)(e->read - 'a');
			s->want_pos++;
		} else if (!s->want && r && r[s->reads_pos] >= 'a' && r[s->reads_pos] <= 'z') {
			k = (unsigned)(r[s->reads_pos++] - 'a');
		}
		break;
	}
	}
	if (!push(&s->reads, (char)('a' + k)) || (k && !record_read(s, k)))
		fail(s, SCHED_MISUSE, "out of memory recording the schedule");
	s->cpu[s->cur].at_loads++;
	return k;
}

/* ------------------------------------------------------------ switching */

static ucontext_t *ctx_of(struct sched *s, unsigned i) { return i == MAIN ? &s->main_uc : &s->fib->f[i].uc; }

static void arrived(struct sched *s, void *fake)
{
#ifdef SCHED_ASAN
	const void *bottom;
	size_t size;

	__sanitizer_finish_switch_fiber(fake, &bottom, &size);
	if (s->prev == MAIN) {
		s->main_bottom = bottom;
		s->main_size = size;
	}
#else
	(void)s;
	(void)fake;
#endif
}

/* Leave the running context for `to`.  A dying fiber (its run owns it)
 * never comes back; a parked one comes back in a later run: the run to
 * continue is the fibers' user then, not s. */
static void switch_to(struct sched *s, unsigned to, bool dying)
{
	struct sched_fibers *fib = s->fib;
	unsigned from = s->cur;
	void *fake = NULL;

	if (from != MAIN && to != MAIN) {
		s->switches++;
		if (s->cfg.cov) {
			uint32_t h = (s->cpu[from].site * 31u) ^ s->cpu[to].site;
			uint8_t *ctr = &s->cfg.cov[h % SCHED_COV_SIZE];

			if (*ctr < 255)
				(*ctr)++;
		}
	}
	s->prev = from;
	s->cur = to;
#ifdef SCHED_ASAN
	__sanitizer_start_switch_fiber(dying ? NULL : &fake, to == MAIN ? s->main_bottom : fib->f[to].stack,
				       to == MAIN ? s->main_size : STACK_SIZE);
#else
	(void)dying;
#endif
#ifdef SCHED_TSAN
	__tsan_switch_to_fiber(to == MAIN ? s->main_tsan : fib->f[to].tsan_fiber, 0);
#endif
	swapcontext(ctx_of(s, from), ctx_of(s, to));
	arrived(fib->s, fake);
}

/* The running CPU cannot go on (or chose to yield): run another. */
static void reschedule(struct sched *s)
{
	int next;

	if (s->status != SCHED_OK) {
		switch_to(s, MAIN, false);
		return;
	}
	next = pick(s);
	if (next < 0) {
		char msg[256];
		size_t len = (size_t)snprintf(msg, sizeof(msg), "deadlock: no runnable CPU;");

		for (unsigned i = 0; i < s->cfg.ncpus && len < sizeof(msg); i++) {
			const struct cpu *c = &s->cpu[i];

			if (c->has_job && !c->done)
				len += (size_t)snprintf(msg + len, sizeof(msg) - len, " cpu%u waits for %s", i,
							c->wait_gp ? "a grace period" :
							c->wait_lock == HVO_LOCK_PAGE_TABLE ? "page_table_lock" :
							c->wait_lock != NO_LOCK ? "a lock" : "?");
		}
		fail(s, SCHED_DEADLOCK, msg);
		switch_to(s, MAIN, false);
		return;
	}
	if ((unsigned)next != s->cur)
		switch_to(s, (unsigned)next, false);
}

/* A fiber's life: a job, then (fibers the caller keeps) parked until a
 * later run gives it the next, or (a run's own) gone.  It never returns. */
static void trampoline(unsigned hi, unsigned lo)
{
	struct sched_fibers *fib = (struct sched_fibers *)(((uintptr_t)hi << 31 << 1) | (uintptr_t)lo);

	arrived(fib->s, NULL);
	for (;;) {
		struct sched *s = fib->s;
		struct cpu *c = &s->cpu[s->cur];
		int next;

		fib->f[s->cur].parked = false;
		c->started = true;
		c->fn(c->arg);
		c->done = true;
		hit_site(c, "exit");
		if (c->rcu_nest)
			fail(s, SCHED_MISUSE, "a CPU finished inside an RCU read-side section");
		for (int l = 0; l < HVO_NR_LOCKS; l++)
			if (s->lock_owner[l] == (int)s->cur)
				fail(s, SCHED_MISUSE, "a CPU finished holding a lock");
		next = s->status == SCHED_OK ? pick(s) : -1;
		if (next < 0)
			for (unsigned i = 0; i < s->cfg.ncpus; i++)
				if (s->cpu[i].has_job && !s->cpu[i].done)
					fail(s, SCHED_DEADLOCK, "deadlock: the last runnable CPU finished, others wait");
		fib->f[s->cur].parked = !s->own_fib;
		switch_to(s, next < 0 ? MAIN : (unsigned)next, s->own_fib);
	}
}

/* ------------------------------------------------------------ the seam */

static void op_sched(void *ctx, enum hvo_sync_point sp, const char *where)
{
	struct sched *s = ctx;

	if (s->cur == MAIN)
		return;  /* setup and checks run outside the CPUs */
	if (s->cfg.extra_point && where && !strcmp(where, s->cfg.extra_point))
		op_sched(ctx, HVO_SP_READ_ONCE, "test.extra");  /* a test hook: sched.h */
	s->cpu[s->cur].site = site_hash(sp, where);
	hit_site(&s->cpu[s->cur], where ? where : "?");
	if (s->irq_cpu == (int)s->cur && s->cpu[s->cur].at_hit == s->irq_hit &&
	    !strcmp(s->cpu[s->cur].at, s->irq_site)) {
		s->irq_cpu = -1;   /* once: the handler's own points do not deliver again */
		s->irqs++;
		s->cfg.irq_fn(s->cfg.irq_arg);
	}
	/* flush_tlb_*: an IPI to every CPU and back, a full barrier */
	if (s->wm && sp == HVO_SP_TLB_FLUSH)
		wm_fence(s->wm, s->cur, HVO_MO_FULL);
	if (++s->points > s->cfg.max_steps)
		fail(s, SCHED_STEP_LIMIT, "step limit: livelock, or a run far longer than its scenario");
	reschedule(s);
}

/* Weak mode: the locks that order memory.  Not the model's bookkeeping
 * (model_begin), nor zone->lock: the model takes it for its frame records
 * and seals too, and for order-0 pages the kernel's pcp lists take no lock
 * another CPU shares (WEAK.md). */
static bool orders(const struct sched *s, enum hvo_lock l)
{
	return !s->in_model && l < HVO_LOCK_ZONE;
}

static void op_lock(void *ctx, enum hvo_lock l)
{
	struct sched *s = ctx;
	struct cpu *c;

	if (s->cur == MAIN || (unsigned)l >= HVO_NR_LOCKS)
		return;
	c = &s->cpu[s->cur];
	if (s->lock_owner[l] == (int)s->cur) {
		fail(s, SCHED_MISUSE, "self-deadlock: a CPU takes a lock it holds");
		switch_to(s, MAIN, false);
	}
	while (s->lock_owner[l] != NO_LOCK) {
		c->wait_lock = l;
		reschedule(s);
	}
	c->wait_lock = NO_LOCK;
	s->lock_owner[l] = (int)s->cur;
	if (s->wm && orders(s, l))
		wm_lock(s->wm, s->cur, l);
}

static void op_unlock(void *ctx, enum hvo_lock l)
{
	struct sched *s = ctx;

	if (s->cur == MAIN || (unsigned)l >= HVO_NR_LOCKS)
		return;
	if (s->lock_owner[l] != (int)s->cur) {
		fail(s, SCHED_MISUSE, "unlock of a lock this CPU does not hold");
		switch_to(s, MAIN, false);
	}
	if (s->wm && orders(s, l))
		wm_unlock(s->wm, s->cur, l);
	s->lock_owner[l] = NO_LOCK;
}

static void op_rcu_read_lock(void *ctx)
{
	struct sched *s = ctx;
	struct cpu *c;

	if (s->cur == MAIN)
		return;
	c = &s->cpu[s->cur];
	if (!c->rcu_nest++)
		c->rcu_begin = ++s->rcu_clock;
	if (s->wm)
		wm_fence(s->wm, s->cur, HVO_MO_FULL);  /* stronger than RCU: WEAK.md */
}

static void op_rcu_read_unlock(void *ctx)
{
	struct sched *s = ctx;

	if (s->cur == MAIN)
		return;
	if (!s->cpu[s->cur].rcu_nest) {
		fail(s, SCHED_MISUSE, "rcu_read_unlock without rcu_read_lock");
		switch_to(s, MAIN, false);
	}
	if (s->wm)
		wm_fence(s->wm, s->cur, HVO_MO_FULL);
	s->cpu[s->cur].rcu_nest--;
}

/* A grace period waits for every reader that began before it (spec 5.2). */
static void op_synchronize_rcu(void *ctx)
{
	struct sched *s = ctx;
	struct cpu *c;

	if (s->cur == MAIN) {
		s->gps++;
		return;
	}
	c = &s->cpu[s->cur];
	if (c->rcu_nest) {
		fail(s, SCHED_MISUSE, "synchronize_rcu inside an RCU read-side section");
		switch_to(s, MAIN, false);
	}
	c->gp_stamp = ++s->rcu_clock;
	c->wait_gp = true;
	if (s->wm)
		wm_fence(s->wm, s->cur, HVO_MO_FULL);
	while (readers_block(s, c))
		reschedule(s);
	c->wait_gp = false;
	if (s->wm)
		wm_fence(s->wm, s->cur, HVO_MO_FULL);
	s->gps++;
}

/* Weak memory: the seam's accesses by CPUs (setup and checks, outside
 * them, see the latest stores and record nothing). */
static uint64_t op_load(void *ctx, const void *loc, uint64_t cur, unsigned mo)
{
	struct sched *s = ctx;

	return s->cur == MAIN ? cur : wm_load(s->wm, s->cur, loc, cur, mo, weak_pick, s);
}

static void op_store(void *ctx, const void *loc, uint64_t old, uint64_t v, unsigned mo)
{
	struct sched *s = ctx;

	if (s->cur != MAIN)
		wm_store(s->wm, s->cur, loc, old, v, mo);
}

static void op_fence(void *ctx, enum hvo_mo mo)
{
	struct sched *s = ctx;

	if (s->cur != MAIN)
		wm_fence(s->wm, s->cur, mo);
}

static void op_publish(void *ctx, uint64_t pfn)
{
	struct sched *s = ctx;

	if (s->cur != MAIN)
		wm_publish(s->wm, s->cur, pfn);
}

static bool op_contents_seen(void *ctx, uint64_t pfn)
{
	struct sched *s = ctx;

	return s->cur == MAIN || wm_contents_seen(s->wm, s->cur, pfn, weak_pick, s);
}

static void op_model_begin(void *ctx) { ((struct sched *)ctx)->in_model++; }
static void op_model_end(void *ctx) { ((struct sched *)ctx)->in_model--; }

static unsigned op_cpu(void *ctx)
{
	const struct sched *s = ctx;

	return s->cur == MAIN ? 0 : s->cur;
}

/* ------------------------------------------------------------ API */

/* "C.SITE#N" into the run's interrupt position. */
static int irq_parse(struct sched *s, const char *text, unsigned ncpus)
{
	const char *dot = strchr(text, '.'), *hash = strrchr(text, '#');
	char *end;
	unsigned long c, n;

	if (!dot || !hash || hash <= dot + 1 || (size_t)(hash - dot - 1) >= SITE_LEN)
		return -1;
	c = strtoul(text, &end, 10);
	if (end != dot || text == dot || c >= ncpus)
		return -1;
	n = strtoul(hash + 1, &end, 10);
	if (*end || !hash[1] || n < 1 || n > UINT32_MAX)
		return -1;
	s->irq_cpu = (int)c;
	memcpy(s->irq_site, dot + 1, (size_t)(hash - dot - 1));
	s->irq_site[hash - dot - 1] = '\0';
	s->irq_hit = (unsigned)n;
	return 0;
}

int sched_irq_check(const char *text, unsigned ncpus)
{
	struct sched s;

	return irq_parse(&s, text, ncpus);
}

uint64_t sched_irqs(const struct sched *s) { return s->irqs; }

int sched_create(const struct sched_cfg *cfg, struct sched **out)
{
	struct sched *s;

	*out = NULL;
	if (cfg->ncpus < 1 || cfg->ncpus > SCHED_MAX_CPUS)
		return -1;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->cfg = *cfg;
	s->fib = cfg->fibers;
	if (!s->fib) {
		s->fib = sched_fibers_create();
		s->own_fib = true;
	}
	if (!s->fib) {
		free(s);
		return -1;
	}
	if (!s->cfg.max_steps)
		s->cfg.max_steps = 1000000;
	if (!s->cfg.pct_steps)
		s->cfg.pct_steps = 64;
	s->cur = s->prev = MAIN;
	s->rng = cfg->seed;
	s->irq_cpu = -1;
	if (cfg->irq_at && (!cfg->irq_fn || irq_parse(s, cfg->irq_at, cfg->ncpus))) {
		sched_destroy(s);
		return -1;
	}
	for (int l = 0; l < HVO_NR_LOCKS; l++)
		s->lock_owner[l] = NO_LOCK;
	if (cfg->policy == SCHED_REPLAY && cfg->replay) {
		const char *colon = strchr(cfg->replay, ':');

		s->replay = colon ? colon + 1 : cfg->replay;
	}
	if (cfg->policy == SCHED_REPLAY && cfg->replay_named) {
		char err[128];

		/* an empty list (no switch at all) is still a replay by name */
		if (parse_named(cfg->replay_named, cfg->ncpus, &s->want, &s->nwant, err, sizeof(err)) ||
		    (!s->want && !(s->want = calloc(1, sizeof(*s->want))))) {
			sched_destroy(s);
			return -1;
		}
	}
	if (cfg->policy == SCHED_PCT) {
		unsigned d = cfg->pct_depth ? cfg->pct_depth : 1, perm[SCHED_MAX_CPUS];

		/* distinct priorities above every change-point priority */
		for (unsigned i = 0; i < cfg->ncpus; i++)
			perm[i] = i;
		for (unsigned i = cfg->ncpus; i > 1; i--) {
			unsigned j = (unsigned)(next_rand(&s->rng) % i), t = perm[i - 1];

			perm[i - 1] = perm[j];
			perm[j] = t;
		}
		for (unsigned i = 0; i < cfg->ncpus; i++)
			s->cpu[i].prio = (int)(d + perm[i] + 1);
		s->nr_change = d - 1 < 16 ? d - 1 : 16;
		for (unsigned i = 0; i < s->nr_change; i++)
			s->pct_change[i] = 1 + (unsigned)(next_rand(&s->rng) % s->cfg.pct_steps);
		s->pct_low = d;
	}
	s->ops = (struct hvo_sync_ops){
		.sched = op_sched, .lock = op_lock, .unlock = op_unlock,
		.rcu_read_lock = op_rcu_read_lock, .rcu_read_unlock = op_rcu_read_unlock,
		.synchronize_rcu = op_synchronize_rcu, .cpu = op_cpu, .cpu_tlb = true, .ctx = s,
	};
	if (cfg->weak) {
		s->wm = wm_create(cfg->ncpus);
		if (!s->wm) {
			sched_destroy(s);
			return -1;
		}
		s->ops.load = op_load;
		s->ops.store = op_store;
		s->ops.fence = op_fence;
		s->ops.publish = op_publish;
		s->ops.contents_seen = op_contents_seen;
		s->ops.model_begin = op_model_begin;
		s->ops.model_end = op_model_end;
	}
	if (!trace_push(s, (char)('0' + cfg->ncpus)) || !trace_push(s, ':')) {
		sched_destroy(s);
		return -1;
	}
	*out = s;
	return 0;
}

void sched_destroy(struct sched *s)
{
	if (!s)
		return;
	if (s->own_fib)
		sched_fibers_destroy(s->fib);
	wm_destroy(s->wm);
	free(s->trace.buf);
	free(s->reads.buf);
	free(s->named.buf);
	free(s->want);
	free(s);
}

struct sched_fibers *sched_fibers_create(void)
{
	return calloc(1, sizeof(struct sched_fibers));
}

void sched_fibers_destroy(struct sched_fibers *fib)
{
	if (!fib)
		return;
	for (unsigned i = 0; i < SCHED_MAX_CPUS; i++) {
#ifdef SCHED_TSAN
		if (fib->f[i].tsan_fiber)
			__tsan_destroy_fiber(fib->f[i].tsan_fiber);
#endif
		free(fib->f[i].stack);
	}
	free(fib);
}

void sched_spawn(struct sched *s, unsigned cpu, sched_fn fn, void *arg)
{
	if (cpu >= s->cfg.ncpus)
		return;
	s->cpu[cpu].fn = fn;
	s->cpu[cpu].arg = arg;
	s->cpu[cpu].has_job = true;
	s->cpu[cpu].wait_lock = NO_LOCK;
}

const struct hvo_sync_ops *sched_sync_ops(struct sched *s) { return &s->ops; }

/* A parked fiber is resumed as it is.  Any other (new, or left inside a job
 * by a run that stopped early) gets a fresh context on its stack: the old
 * frames are dropped, and under ASan so are their redzones. */
static int make_fiber(struct sched *s, unsigned i)
{
	struct fiber *f = &s->fib->f[i];
	uintptr_t p = (uintptr_t)s->fib;

	if (f->parked)
		return 0;
	if (!f->stack && !(f->stack = malloc(STACK_SIZE)))
		return -1;
#ifdef SCHED_ASAN
	ASAN_UNPOISON_MEMORY_REGION(f->stack, STACK_SIZE);
#endif
	if (getcontext(&f->uc))
		return -1;
	f->uc.uc_stack.ss_sp = f->stack;
	f->uc.uc_stack.ss_size = STACK_SIZE;
	f->uc.uc_link = NULL;
	makecontext(&f->uc, (void (*)(void))trampoline, 2, (unsigned)(p >> 31 >> 1), (unsigned)(p & 0xffffffffu));
	/* Only makecontext reads uc_stack.  Without it ASan's swapcontext
	 * interceptor no longer re-clears the shadow of the whole target stack
	 * at every switch (two shadow remaps per switch, and it erased the
	 * redzones of the frames live on it). */
	f->uc.uc_stack.ss_size = 0;
#ifdef SCHED_TSAN
	if (f->tsan_fiber)
		__tsan_destroy_fiber(f->tsan_fiber);
	f->tsan_fiber = __tsan_create_fiber(0);
#endif
	return 0;
}

enum sched_status sched_run(struct sched *s)
{
	int first;

#ifdef SCHED_TSAN
	s->main_tsan = __tsan_get_current_fiber();
#endif
	s->fib->s = s;
	for (unsigned i = 0; i < s->cfg.ncpus; i++)
		if (s->cpu[i].has_job && make_fiber(s, i)) {
			fail(s, SCHED_MISUSE, "out of memory for a fiber stack");
			return s->status;
		}
	first = pick(s);
	if (first >= 0)
		switch_to(s, (unsigned)first, false);
	return s->status;
}

const char *sched_reason(const struct sched *s) { return s->reason; }
const char *sched_schedule(const struct sched *s) { return s->trace.buf; }
const char *sched_reads(const struct sched *s) { return s->reads.buf ? s->reads.buf : ""; }
bool sched_diverged(const struct sched *s) { return s->diverged; }
const char *sched_named(const struct sched *s) { return s->named.buf ? s->named.buf : ""; }

bool sched_named_stale(const struct sched *s, char *buf, size_t len)
{
	size_t i = s->want_bad ? s->want_bad - 1 : s->want_pos;
	const struct named *e;
	char at[2 * SITE_LEN];

	if (!s->want || (!s->want_bad && s->want_pos >= s->nwant))
		return false;
	e = &s->want[i];
	if (e->read)
		snprintf(at, sizeof(at), "cpu%d's load %u after %s#%u to read '%c'", e->cpu, e->load, e->site, e->hit,
			 e->read);
	else if (e->cpu < 0)
		snprintf(at, sizeof(at), "the start");
	else if (e->ord)
		snprintf(at, sizeof(at), "cpu%d at %s#%u+%u", e->cpu, e->site, e->hit, e->ord);
	else
		snprintf(at, sizeof(at), "cpu%d at %s#%u", e->cpu, e->site, e->hit);
	if (s->want_bad)
		snprintf(buf, len, "switch %zu expects %s to hand over to cpu%u, which could not run there", i + 1, at,
			 e->to);
	else
		snprintf(buf, len, "switch %zu expects %s, which the run never reached", i + 1, at);
	return true;
}
uint64_t sched_switches(const struct sched *s) { return s->switches; }
uint64_t sched_points(const struct sched *s) { return s->points; }
uint64_t sched_grace_periods(const struct sched *s) { return s->gps; }
uint64_t sched_stale_reads(const struct sched *s) { return s->wm ? wm_stale_reads(s->wm) : 0; }
unsigned sched_cpu(const struct sched *s) { return s->cur == MAIN ? 0 : s->cur; }

void sched_first_failure(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf[0])
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}
