// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_diff.c - the differential fuzz target: one op stream (the binary
 * form of ops_bytes.c) on G2, G1 and G3 machines in lockstep
 * (hvo_ops_diff): each machine passes its own checker after every op, the
 * rcs agree, and the kernel-visible state of G1 and G3 equals G2's
 * (hvo_compare_visible).  The first divergence is the finding; it aborts
 * with the stream as text and the hvo-cli diff command that replays it.
 *
 * G3 mode (byte 2 bit 7) is cleared on a copy of the input rather than the
 * input skipped: a G3-mode stream carries device DAX ranges, which G1 and
 * G2 machines refuse, and clearing the bit still decodes a whole G2-mode
 * stream from the same bytes, so no input is wasted.  Streams that expect
 * their config to be refused (ops_bytes.c's misaligned-base mode, a G2/G3
 * check, I16, that G1 never had) have nothing to compare and pass.  The
 * diff drops failure rules and injected racers (ops_diff.c).
 */

#include "fuzz_stream.h"
#include "fuzz_target.h"

static uint64_t campaign_mutants;
static const enum hvo_gen gens[] = { HVO_G2, HVO_G1, HVO_G3 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	campaign_mutants = fuzz_mutants_from_env("fuzz_diff");
	fuzz_host_pool_init("fuzz_diff");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvo_diff_result res;
	struct hvo_opstream s;
	int rc;

	if (fuzz_stream_decode_mode(data, size, false, &s))
		return 0;  /* host out of memory: not the model's fault */
	s.config.host_pool = fuzz_host_pool();
	s.boot_cache = fuzz_boot_cache();
	if (!s.expect_setup_error) {
		rc = hvo_ops_diff(&s, gens, sizeof(gens) / sizeof(gens[0]), campaign_mutants,
				  HVO_RUN_CHANGED | HVO_RUN_NO_DIGEST, &res);
		if (rc)
			fuzz_stream_fail("fuzz_diff", &s, campaign_mutants,
					 rc == 1 ? "DIVERGENCE" : "SETUP ERROR (a generation refused the config)",
					 res.reason, "diff");
	}
	hvo_ops_free(&s);
	return 0;
}
