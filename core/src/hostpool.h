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

void *hpool_alloc(struct hvo_host_pool *p, size_t size, size_t align, bool zero);
void hpool_free(struct hvo_host_pool *p, void *b, size_t size, size_t align);

#endif
