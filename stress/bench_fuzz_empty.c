// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_fuzz_empty.c - the empty fuzz target: the baseline of ./hvo bench
 * fuzz, built exactly like the real targets (same engine, sanitizers and
 * coverage flags), so a target's exec/s divided by this one's is the cost
 * of the target itself on this machine, today.
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
	return 0;
}
