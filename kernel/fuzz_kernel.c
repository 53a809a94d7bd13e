// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_kernel.c - the kernel lane's fuzz target: bytes -> a lane op stream
 * -> the real mm/hugetlb_vmemmap.c of one tree (the build's fuzz tree,
 * kernel/meson.build) with the lane's oracle after every op.
 *
 * The same source serves libFuzzer, AFL++ (libAFLDriver) and the
 * standalone replay (fuzz/fuzz_main.c).  A finding, or a stream the lane
 * refuses (a decoder bug: the decoder only builds streams the lane runs),
 * prints the stream's canonical text and the findings on stderr and
 * aborts, so every engine records a crash and the report alone reproduces
 * it: save the text as FILE.ops and run ./hvo kernel --version TREE run FILE.ops.
 *
 * Decoding is total (every byte string is a valid stream; a byte past the
 * end reads as 0):
 *   byte 0   bit 0: HVO off at boot; bit 1: a 1 GiB folio allowed (a 2 GiB
 *            machine for that input, about 10 ms: most inputs stay small);
 *            bits 2-3: fail rules, x % 3
 *   per rule 2 bytes: site = a % 4 (head_copy, pte_table, restore_page,
 *            hugetlb_folio), nth = 1 + (a >> 2) % 32, repeat = b % 4
 *            (0: every later call)
 *   per op   2 bytes k, a (at most 64 ops):
 *            k % 10: 0-2 alloc (order 18 if 1 GiB is allowed and a >= 0xf0),
 *            3 optimize f=a, 4 restore f=a, 5 free f=a,
 *            6 alloc_batch n=1+a%4, 7 optimize_batch, 8 restore_batch
 *            (selectors: the four 2-bit fields of a), 9 enable a & 1
 */
#include <stdio.h>
#include <stdlib.h>

#include "kadapter.h"
#include "krun.h"

#define FK_MAX_OPS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc, (void)argv;
	kmach_keep_host(true);
	/* both layouts' host memory made before the first input, so every
	 * input takes the same (reuse) path: AFL++ stability */
	for (int big = 0; big < 2; big++) {
		if (ka_boot(big, err, sizeof(err))) {
			fprintf(stderr, "fuzz_kernel: %s\n", err);
			exit(2);
		}
		ka_shutdown();
	}
	return 0;
}

static uint8_t byte_at(const uint8_t *d, size_t n, size_t i) { return i < n ? d[i] : 0; }

static int decode(const uint8_t *d, size_t n, struct hvo_opstream *s)
{
	static const int sites[] = { HVO_SITE_HEAD_COPY, HVO_SITE_PTE_TABLE, HVO_SITE_RESTORE_PAGE,
				     HVO_SITE_HUGETLB_FOLIO };
	uint8_t b0 = byte_at(d, n, 0);
	bool big = b0 & 2;
	unsigned rules = (b0 >> 2) % 3, big_allocs = 0;
	size_t i = 1;

	hvo_ops_init(s);
	s->config.hvo_enabled = !(b0 & 1);
	s->fail.budget = -1;
	for (unsigned r = 0; r < rules; r++, i += 2) {
		uint8_t a = byte_at(d, n, i), b = byte_at(d, n, i + 1);

		s->fail.rules[s->fail.nr_rules++] = (struct hvo_fail_rule){ sites[a % 4], 1 + (a >> 2) % 32, b % 4 };
	}
	for (unsigned k = 0; k < FK_MAX_OPS && i < n; k++, i += 2) {
		uint8_t kind = byte_at(d, n, i) % 10, a = byte_at(d, n, i + 1);
		struct hvo_op *op;

		switch (kind) {
		case 0: case 1: case 2:
			if (!(op = hvo_ops_add(s, HVO_OP_ALLOC)))
				return -1;
			/* one 1 GiB folio fits beside the 2 MiB ones (kmach_layout_big) */
			op->order = big && a >= 0xf0 && big_allocs < 1 ? (big_allocs++, 18) : 9;
			op->zone = -1;
			break;
		case 3: case 4: case 5:
			if (!(op = hvo_ops_add(s, kind == 3 ? HVO_OP_OPTIMIZE : kind == 4 ? HVO_OP_RESTORE : HVO_OP_FREE)))
				return -1;
			op->f = a;
			break;
		case 6:
			if (!(op = hvo_ops_add(s, HVO_OP_ALLOC_BATCH)))
				return -1;
			op->order = 9;
			op->zone = -1;
			op->n = 1 + a % 4;
			break;
		case 7: case 8: {
			uint32_t sel[4] = { a & 3, (a >> 2) & 3, (a >> 4) & 3, (a >> 6) & 3 };

			if (!(op = hvo_ops_add(s, kind == 7 ? HVO_OP_OPTIMIZE_BATCH : HVO_OP_RESTORE_BATCH)) ||
			    hvo_ops_set_sel(s, op, sel, 1 + a % 4))
				return -1;
			break;
		}
		default:
			if (!(op = hvo_ops_add(s, HVO_OP_ENABLE)))
				return -1;
			op->n = a & 1;
			break;
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvo_opstream s;
	struct krun_result r;

	if (decode(data, size, &s)) {
		hvo_ops_free(&s);
		return 0;   /* host out of memory: not the kernel's fault */
	}
	krun_stream(&s, &r, NULL);
	if (r.status != 0) {
		fprintf(stderr, "fuzz_kernel: %s on %s\n", r.status == 1 ? "FINDING" : "REFUSED (decoder bug)",
			HVO_K_TREE);
		if (r.status == 2)
			fprintf(stderr, "  %s\n", r.reason);
		for (unsigned i = 0; i < r.nr_findings; i++)
			fprintf(stderr, "  %s: %s\n", r.findings[i].id, r.findings[i].msg);
		if (r.fail_op < s.nr_ops) {
			fprintf(stderr, "  after op %zu: ", r.fail_op);
			hvo_ops_print_op(&s, &s.ops[r.fail_op], stderr);
			fprintf(stderr, "\n");
		}
		fprintf(stderr, "---- stream (save as FILE.ops; ./hvo kernel run FILE.ops) ----\n");
		hvo_ops_print(&s, stderr);
		abort();
	}
	hvo_ops_free(&s);
	return 0;
}
