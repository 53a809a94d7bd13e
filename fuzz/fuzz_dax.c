// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_dax.c - the G3 device-DAX fuzz target (spec 2.10): the op stream's
 * binary form (ops_bytes.c) with its G3 mode forced, so every input is a G3
 * machine with a device range per node whose ops include dax_add (sections
 * populated per address: shared tails for sub-section and larger-than-
 * section compound pages, private pages otherwise, altmap) and dax_remove,
 * under failure rules that can hit dax_vmemmap; then hvo_ops_run with the
 * checker after every op (I14's shared-tail references, I11's accounting).
 *
 * The mode is byte 2 bit 7 (ops_bytes.c, "F"): a copy of the input gets it
 * set, padded with zero bytes to three bytes (what the decoder reads past
 * the end anyway), so fuzz_ops' G3 seeds are fuzz_dax seeds unchanged.
 * Failures abort with the stream as text like fuzz_ops (fuzz_stream.c).
 */

#include "fuzz_stream.h"
#include "fuzz_target.h"

static uint64_t campaign_mutants;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	campaign_mutants = fuzz_mutants_from_env("fuzz_dax");
	fuzz_host_pool_init("fuzz_dax");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvo_opstream s;

	/* a failure is the host out of memory: not the model's fault */
	if (!fuzz_stream_decode_mode(data, size, true, &s))
		fuzz_stream_run("fuzz_dax", &s, campaign_mutants);
	return 0;
}
