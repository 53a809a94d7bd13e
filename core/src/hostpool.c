// SPDX-License-Identifier: GPL-2.0-only
/*
 * hostpool.c - host memory kept across machines (struct hvo_host_pool, see
 * hvo.h): the blocks a machine frees at destroy wait here, poisoned, for the
 * next machine of the same caller.
 *
 * Under ASan a fresh block is expensive: new pages fault in and the freed
 * ones sit in the quarantine, so a fuzz target creating a machine per input
 * paid more for its host memory than for the model's work on it.  A block
 * is keyed by its exact size and alignment (exact: a block keeps its ASan
 * redzones, so an overflow past it is still caught, B18) and handed back
 * zeroed when the caller asked for calloc semantics.  While pooled it is
 * poisoned, so a stale pointer into a destroyed machine still faults under
 * ASan (use-after-poison instead of heap-use-after-free).
 *
 * Whether a request hits is history, not input: the functions here carry no
 * fuzzer coverage, so the same input gives the same edges (AFL++ stability).
 * A spinlock: phys takes blocks under different node locks at once.
 */
#include <stdlib.h>
#include <string.h>

#include "hostpool.h"

#ifdef __clang__
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

#define POOL_KINDS 64                 /* distinct (size, align) kept */
#define POOL_MAX_BYTES (512ull << 20) /* beyond: freed as without a pool */

struct pool_kind {
	size_t size, align;
	void **v;
	size_t n, cap;
};

struct hvo_host_pool {
	bool lock;
	struct pool_kind kind[POOL_KINDS];
	unsigned nr_kinds;
	uint64_t bytes, reused;
};

NO_COVERAGE static void pool_lock(struct hvo_host_pool *p)
{
	while (__atomic_test_and_set(&p->lock, __ATOMIC_ACQUIRE))
		;
}

NO_COVERAGE static void pool_unlock(struct hvo_host_pool *p)
{
	__atomic_clear(&p->lock, __ATOMIC_RELEASE);
}

struct hvo_host_pool *hvo_host_pool_create(void)
{
	return calloc(1, sizeof(struct hvo_host_pool));
}

NO_COVERAGE void hvo_host_pool_destroy(struct hvo_host_pool *p)
{
	if (!p)
		return;
	for (unsigned k = 0; k < p->nr_kinds; k++) {
		for (size_t i = 0; i < p->kind[k].n; i++) {
			UNPOISON(p->kind[k].v[i], p->kind[k].size);
			free(p->kind[k].v[i]);
		}
		free(p->kind[k].v);
	}
	free(p);
}

uint64_t hvo_host_pool_reused(const struct hvo_host_pool *p)
{
	return __atomic_load_n(&p->reused, __ATOMIC_RELAXED);
}

NO_COVERAGE static struct pool_kind *kind_of(struct hvo_host_pool *p, size_t size, size_t align, bool add)
{
	for (unsigned k = 0; k < p->nr_kinds; k++)
		if (p->kind[k].size == size && p->kind[k].align == align)
			return &p->kind[k];
	if (!add || p->nr_kinds == POOL_KINDS)
		return NULL;
	p->kind[p->nr_kinds] = (struct pool_kind){ .size = size, .align = align };
	return &p->kind[p->nr_kinds++];
}

NO_COVERAGE void *hpool_alloc(struct hvo_host_pool *p, size_t size, size_t align, bool zero)
{
	struct pool_kind *k;
	void *b = NULL;

	if (p) {
		pool_lock(p);
		k = kind_of(p, size, align, false);
		if (k && k->n) {
			b = k->v[--k->n];
			p->bytes -= size;
			p->reused++;
		}
		pool_unlock(p);
	}
	if (b)
		UNPOISON(b, size);
	else if (posix_memalign(&b, align, size))
		return NULL;
	if (zero)
		memset(b, 0, size);
	return b;
}

NO_COVERAGE void hpool_free(struct hvo_host_pool *p, void *b, size_t size, size_t align)
{
	struct pool_kind *k;
	bool kept = false;

	if (!b)
		return;
	if (p) {
		pool_lock(p);
		k = kind_of(p, size, align, true);
		if (k && p->bytes + size <= POOL_MAX_BYTES) {
			if (k->n == k->cap) {
				size_t cap = k->cap ? 2 * k->cap : 16;
				void **v = realloc(k->v, cap * sizeof(*v));

				if (v) {
					k->v = v;
					k->cap = cap;
				}
			}
			if (k->n < k->cap) {
				POISON(b, size);
				k->v[k->n++] = b;
				p->bytes += size;
				kept = true;
			}
		}
		pool_unlock(p);
	}
	if (!kept)
		free(b);
}
