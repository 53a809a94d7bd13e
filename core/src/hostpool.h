/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hostpool.h - the core's side of struct hvo_host_pool (hostpool.c):
 * posix_memalign/free through the caller's pool, or plain when it is NULL.
 * A block goes back with the size and alignment it was allocated with.
 */
#ifndef HVO_HOSTPOOL_H
#define HVO_HOSTPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "hvo/hvo.h"

/* ASan manual poisoning of host memory nobody may touch now (pooled
 * blocks, dropped frame buffers); nothing without ASan. */
#if defined(__SANITIZE_ADDRESS__)
#define HOST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOST_ASAN 1
#endif
#endif
#ifdef HOST_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(a, n) ASAN_POISON_MEMORY_REGION(a, n)
#define UNPOISON(a, n) ASAN_UNPOISON_MEMORY_REGION(a, n)
#else
#define POISON(a, n) ((void)(a), (void)(n))
#define UNPOISON(a, n) ((void)(a), (void)(n))
#endif

void *hpool_alloc(struct hvo_host_pool *p, size_t size, size_t align, bool zero);
void hpool_free(struct hvo_host_pool *p, void *b, size_t size, size_t align);

#endif
