// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_stream.c - run a decoded op stream for a fuzz target and report a
 * failure readably (see fuzz_stream.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_stream.h"
#include "fuzz_target.h"

void fuzz_stream_fail(const char *who, const struct hvo_opstream *s, uint64_t mutants, const char *what,
		      const char *reason, const char *replay)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, reason);
	fprintf(stderr, "%s: the input as text (save it as X.ops):\n%s\n", who, FUZZ_STREAM_BEGIN);
	hvo_ops_print_header(s, mutants, stderr);
	for (size_t i = 0; i < s->nr_ops; i++) {
		hvo_ops_print_op(s, &s->ops[i], stderr);
		fputc('\n', stderr);
	}
	fprintf(stderr, "%s\n", FUZZ_STREAM_END);
	fprintf(stderr, "%s: reproduce: build/gcc/fuzz/hvo-cli %s X.ops%s, or the raw input: HVO_MUTANTS=<the "
		"campaign's> build/gcc/fuzz/%s_replay CRASH-FILE\n", who, replay,
		strcmp(replay, "diff") ? "" : " --gens g2,g1,g3", who);
	fflush(stderr);
	abort();
}

void fuzz_stream_run(const char *who, struct hvo_opstream *s, uint64_t mutants)
{
	struct hvo_run_result res;
	int rc;

	s->config.host_pool = fuzz_host_pool();
	s->boot_cache = fuzz_boot_cache();
	rc = hvo_ops_run_flags(s, mutants, HVO_RUN_CHANGED | HVO_RUN_NO_DIGEST, &res, NULL);

	if (rc == 1)
		fuzz_stream_fail(who, s, mutants, "FAILURE", res.reason, "explain");
	if (rc != 0)
		fuzz_stream_fail(who, s, mutants, "DECODER BUG (the core refused a decoded config)", res.reason,
				 "explain");
	hvo_ops_free(s);
}

#define G3_BYTE 2      /* ops_bytes.c: "F" */
#define G3_BIT 0x80

int fuzz_stream_decode_mode(const uint8_t *data, size_t size, bool g3, struct hvo_opstream *s)
{
	size_t len = size > G3_BYTE ? size : G3_BYTE + 1;
	uint8_t *copy = calloc(len, 1);
	int rc;

	if (!copy) {
		hvo_ops_init(s);
		return -1;
	}
	if (size)
		memcpy(copy, data, size);
	copy[G3_BYTE] = (uint8_t)(g3 ? copy[G3_BYTE] | G3_BIT : copy[G3_BYTE] & ~G3_BIT);
	rc = hvo_ops_decode(copy, len, s);
	free(copy);
	return rc;
}
