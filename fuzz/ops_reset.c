// SPDX-License-Identifier: GPL-2.0-only
/*
 * ops_reset.c - the executor's boot cache (issue 16): the booted machine of
 * recent configurations, kept as a snapshot (hvo_machine_snapshot), so a
 * run whose config, mutants and failure rules match starts from a copy of
 * it (hvo_machine_clone) instead of booting again.  A config is kept from
 * its second boot on.  What decides a boot is the whole config (the hook
 * pointers aside), the mutants and the failure policy; the policy's state
 * after boot (a budget counts down) is kept beside it.  test_reuse compares
 * runs through the cache with fresh ones.
 */
#include <stdlib.h>
#include <string.h>

#include "ops_exec_int.h"

#define CACHE_SLOTS 8   /* fuzz_diff boots G1, G2 and G3 per input */
/* Boots seen but not kept: a config is kept at its second boot, since most
 * of a campaign's configs come once (a mutation of a config byte), and
 * keeping one costs a copy and, under libFuzzer, a rerun for its leak
 * check (reports/fuzz-throughput.md). */
#define SEEN_KEYS 32
/* Frame bytes the cache keeps at most: a fuzz process stays far below
 * ClusterFuzzLite's 2 GiB (a booted 1 GiB bootmem page without HVO is 16
 * MiB of struct pages; ./hvo bench fuzz's RSS goal is 512 MiB). */
#define CACHE_FRAME_BYTES (64ull << 20)

struct boot_key {
	struct hvo_config cfg;        /* hook pointers zeroed, mutants merged */
	struct hvo_fail_policy fail;  /* the stream's rules, before boot */
};

struct boot_slot {
	struct boot_key key;
	struct hvo_fail_policy policy;  /* after boot */
	struct hvo_machine *snap;       /* NULL: empty slot */
	uint64_t bytes;                 /* its frame bytes */
	uint64_t used;                  /* for eviction: the oldest goes */
};

struct hvo_boot_cache {
	struct boot_slot slot[CACHE_SLOTS];
	struct boot_key seen[SEEN_KEYS];  /* a ring */
	unsigned nr_seen, seen_next;
	uint64_t clock, hits, misses;
};

struct hvo_boot_cache *hvo_boot_cache_create(void) { return calloc(1, sizeof(struct hvo_boot_cache)); }

void hvo_boot_cache_destroy(struct hvo_boot_cache *bc)
{
	if (!bc)
		return;
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		hvo_machine_destroy(bc->slot[i].snap);
	free(bc);
}

uint64_t hvo_boot_cache_hits(const struct hvo_boot_cache *bc) { return bc ? bc->hits : 0; }

/* memcpy, not assignment: padding bytes then compare too (a false miss at
 * worst, never a false hit). */
static void make_key(struct boot_key *k, const struct hvo_config *cfg, const struct hvo_fail_policy *fail)
{
	memset(k, 0, sizeof(*k));
	memcpy(&k->cfg, cfg, sizeof(k->cfg));
	k->cfg.fail = NULL;
	k->cfg.fail_ctx = NULL;
	k->cfg.sync = NULL;
	k->cfg.log = NULL;
	k->cfg.log_ctx = NULL;
	k->cfg.host_pool = NULL;
	memcpy(&k->fail, fail, sizeof(k->fail));
}

/* The executor's state a boot may leave behind that the machine does not
 * hold: a cached boot must have left none. */
static bool exec_quiet(const struct exec_ctx *c)
{
	for (int l = 0; l < HVO_NR_LOCKS; l++)
		if (c->held[l])
			return false;
	return !c->harness_err[0] && !c->rcu_readers && !c->pending && !c->hits;
}

int boot_cache_take(struct exec_ctx *c, const struct hvo_config *cfg)
{
	struct hvo_boot_cache *bc = c->s->boot_cache;
	struct boot_key k;

	if (!bc || cfg->log)
		return -1;
	make_key(&k, cfg, &c->s->fail);
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		struct boot_slot *sl = &bc->slot[i];

		if (!sl->snap || memcmp(&sl->key, &k, sizeof(k)))
			continue;
		if (hvo_machine_clone(sl->snap, cfg, &c->m))
			return -1;
		c->policy = sl->policy;
		sl->used = ++bc->clock;
		bc->hits++;
		return 0;
	}
	bc->misses++;
	return -1;
}

/* Was this boot seen before?  If not, remember it. */
static bool seen_before(struct hvo_boot_cache *bc, const struct hvo_config *cfg, const struct hvo_fail_policy *fail)
{
	struct boot_key k;

	make_key(&k, cfg, fail);
	for (unsigned i = 0; i < bc->nr_seen; i++)
		if (!memcmp(&bc->seen[i], &k, sizeof(k)))
			return true;
	bc->seen[bc->seen_next] = k;
	bc->seen_next = (bc->seen_next + 1) % SEEN_KEYS;
	if (bc->nr_seen < SEEN_KEYS)
		bc->nr_seen++;
	return false;
}

void boot_cache_put(struct exec_ctx *c, const struct hvo_config *cfg)
{
	struct hvo_boot_cache *bc = c->s->boot_cache;
	struct boot_slot *sl;
	struct hvo_machine *snap;
	uint64_t bytes, total = 0;

	if (!bc || cfg->log || !exec_quiet(c) || !hvo_machine_clonable(c->m))
		return;
	if (!seen_before(bc, cfg, &c->s->fail))
		return;
	bytes = hvo_machine_frame_bytes(c->m);
	if (bytes > CACHE_FRAME_BYTES)
		return;
	/* no hooks into this run's executor; not in the host pool, which would
	 * then grow by a machine for the next input: more mallocs than frees,
	 * which libFuzzer answers by running the input again and a leak check
	 * (14% of fuzz_boot's samples), which scans the heap */
	if (hvo_machine_snapshot(c->m, &snap))
		return;
	/* an empty slot within the byte cap, evicting the oldest until there is
	 * one (bytes <= the cap: with every slot empty it fits) */
	for (;;) {
		struct boot_slot *oldest = NULL;

		sl = NULL;
		total = bytes;
		for (unsigned i = 0; i < CACHE_SLOTS; i++) {
			struct boot_slot *x = &bc->slot[i];

			if (!x->snap) {
				sl = sl ? sl : x;
				continue;
			}
			total += x->bytes;
			if (!oldest || x->used < oldest->used)
				oldest = x;
		}
		if (sl && total <= CACHE_FRAME_BYTES)
			break;
		hvo_machine_destroy(oldest->snap);
		*oldest = (struct boot_slot){ .snap = NULL };
	}
	make_key(&sl->key, cfg, &c->s->fail);
	sl->policy = c->policy;
	sl->snap = snap;
	sl->bytes = bytes;
	sl->used = ++bc->clock;
}
