/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_stream.h - the failure report of the targets whose input decodes to
 * an op stream (fuzz_ops, fuzz_boot, fuzz_dax, fuzz_diff): what failed, the
 * stream as text between marker lines (crash-report.sh cuts it out as
 * input.ops) and the commands that reproduce it.
 */
#ifndef HVO_FUZZ_STREAM_H
#define HVO_FUZZ_STREAM_H

#include "ops.h"

#define FUZZ_STREAM_BEGIN "---- input.ops ----"
#define FUZZ_STREAM_END "---- end of input.ops ----"

/* Print the report on stderr and abort.  `who` is the target, `what` the
 * kind of failure, `replay` the hvo-cli verb that replays the text form
 * ("explain" or "diff"); the campaign's mutants are merged into the
 * printed header, so the text alone reproduces the failure. */
void fuzz_stream_fail(const char *who, const struct hvo_opstream *s, uint64_t mutants, const char *what,
		      const char *reason, const char *replay) __attribute__((noreturn));

/* hvo_ops_run with the checker after every op: a violation (status 1) or
 * a config the core refused although the decoder promised it would accept
 * it (status 2: a decoder bug) goes to fuzz_stream_fail.  Frees s. */
void fuzz_stream_run(const char *who, struct hvo_opstream *s, uint64_t mutants);

/* Decode a binary op stream (ops_bytes.c) with its G3 mode (byte 2, bit 7)
 * forced on or off, as if the input had been padded with zero bytes to
 * reach that byte (what the decoder reads past the end anyway).  0, or -1
 * when the host is out of memory (then s is empty). */
int fuzz_stream_decode_mode(const uint8_t *data, size_t size, bool g3, struct hvo_opstream *s);
/* fuzz_boot.c's decoder (for test_reuse): 0, or -1 on host OOM; *valid:
 * the layout is one the config must accept. */
int fuzz_boot_decode(const uint8_t *data, size_t size, struct hvo_opstream *s, bool *valid);

#endif
