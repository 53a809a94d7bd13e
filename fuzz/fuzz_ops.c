// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_ops.c - the op-stream fuzz target: bytes -> hvo_ops_decode -> one
 * machine -> every op with the checker after each (hvo_ops_run).
 *
 * Any failure aborts, so every engine (libFuzzer, AFL++'s driver, the
 * standalone replay in fuzz_main.c) records a crash:
 * - status 1: a violation (or a refused config accepted, see ops_bytes.c's
 *   base mode): the reason and the canonical text of the stream (with the
 *   mutants of this campaign merged into its header) go to stderr, so the
 *   report alone reproduces it with ./hvo explain (fuzz_stream.c);
 * - status 2: the core refused a decoded config: the decoder promised only
 *   configs the core accepts, so that is a decoder bug.
 *
 * Mutants for a campaign come from HVO_MUTANTS (a comma list of catalogue
 * IDs, e.g. HVO_MUTANTS=B8,B22; fuzz_target.h), read once in
 * LLVMFuzzerInitialize; decoded streams carry none.  That set is this file's
 * only global state besides the campaign's host pool (fuzz_target.h); each
 * input gets a fresh machine, made on the host memory the last one left.
 */
#include "fuzz_stream.h"
#include "fuzz_target.h"

static uint64_t campaign_mutants;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	campaign_mutants = fuzz_mutants_from_env("fuzz_ops");
	fuzz_host_pool_init("fuzz_ops");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvo_opstream s;

	if (hvo_ops_decode(data, size, &s))
		return 0;  /* host out of memory: not the model's fault */
	fuzz_stream_run("fuzz_ops", &s, campaign_mutants);
	return 0;
}
