/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_target.h - what every LLVMFuzzerTestOneInput target shares: the
 * engine entry points and the campaign's mutant set.
 */
#ifndef HVO_FUZZ_TARGET_H
#define HVO_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The mutants of a campaign: HVO_MUTANTS, a comma list of catalogue IDs
 * (e.g. HVO_MUTANTS=B8,B22).  Prints the set on stderr; an unknown name
 * ends the process with status 2 before any input runs.  `who` prefixes
 * the messages.
 */
uint64_t fuzz_mutants_from_env(const char *who);

/*
 * The campaign's host memory pool (hvo_host_pool in hvo.h): every input's
 * machine takes its big host blocks from it and gives them back, so a
 * machine per input costs no fresh (under ASan: page-faulting, quarantined)
 * memory.  fuzz_host_pool_init makes it, from LLVMFuzzerInitialize, before
 * any input; out of memory ends the process with status 2.
 */
void fuzz_host_pool_init(const char *who);
struct hvo_host_pool *fuzz_host_pool(void);
/* ...and, made with it, the campaign's boot cache (hvo_boot_cache in
 * ops.h, issue 16): an input whose config, mutants and failure rules a
 * recent input had starts from a copy of that input's booted machine.
 * Made only with HVO_BOOT_CACHE=1 in the environment (it does not pay
 * yet, see fuzz_mutants.c); otherwise NULL (every input boots). */
struct hvo_boot_cache;
struct hvo_boot_cache *fuzz_boot_cache(void);

#endif
