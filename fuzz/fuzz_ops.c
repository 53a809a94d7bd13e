/*
 * fuzz_ops.c - the op-stream fuzz target: bytes -> hvo_ops_decode -> one
 * machine -> every op with the checker after each (hvo_ops_run).
 *
 * Any failure aborts, so every engine (libFuzzer, AFL++'s driver, the
 * standalone replay in fuzz_main.c) records a crash:
 * - status 1: a violation (or a refused config accepted, see ops_bytes.c's
 *   base mode): the reason and the canonical text of the stream (with the
 *   mutants of this campaign merged into its header) go to stderr, so the
 *   report alone reproduces it with ./hvo explain;
 * - status 2: the core refused a decoded config: the decoder promised only
 *   configs the core accepts, so that is a decoder bug.
 *
 * Mutants for a campaign come from HVO_MUTANTS (a comma list of catalogue
 * IDs, e.g. HVO_MUTANTS=B8,B22; fuzz_target.h), read once in
 * LLVMFuzzerInitialize; decoded streams carry none.  That set is this file's
 * only global state; each input gets a fresh machine.
 */
#include <stdlib.h>

#include "fuzz_target.h"
#include "ops.h"

static uint64_t campaign_mutants;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	campaign_mutants = fuzz_mutants_from_env("fuzz_ops");
	return 0;
}

static void report(const struct hvo_opstream *s, const struct hvo_run_result *res, const char *what)
{
	fprintf(stderr, "fuzz_ops: %s: %s\n", what, res->reason);
	fprintf(stderr, "fuzz_ops: the input as text (save it as X.ops; ./hvo explain X.ops):\n");
	hvo_ops_print_header(s, campaign_mutants, stderr);
	for (size_t i = 0; i < s->nr_ops; i++) {
		hvo_ops_print_op(s, &s->ops[i], stderr);
		fputc('\n', stderr);
	}
	fflush(stderr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvo_opstream s;
	struct hvo_run_result res;
	int rc;

	if (hvo_ops_decode(data, size, &s))
		return 0;  /* host out of memory: not the model's fault */
	rc = hvo_ops_run(&s, campaign_mutants, &res, NULL);
	if (rc == 1) {
		report(&s, &res, "FAILURE");
		abort();
	}
	if (rc != 0) {
		report(&s, &res, "DECODER BUG (the core refused a decoded config)");
		abort();
	}
	hvo_ops_free(&s);
	return 0;
}
