// SPDX-License-Identifier: GPL-2.0-only
/*
 * baseline.c - the kernel revision each generation of the model mirrors.
 *
 * A model without a named revision cannot be checked against a tree.  Each
 * generation's baseline is one revision; the other revisions the model knows
 * are variants (names.c, ./hvo variants).  core/TRACEABILITY.md maps each
 * model function to its kernel function at these revisions.
 */
#include "hvo/hvo.h"

static const char *const baselines[] = {
	/* The tree the kernel lane builds as "6.12-fixed" (kernel/trees.sh):
	 * the shipped restore and rollback are variants V6.12.115-restore and
	 * V6.12.115-rollback (reports/findings.md K1, K2). */
	[HVO_G1] = "Debian linux-source-6.12 6.12.118-1~deb12u1 mm/hugetlb_vmemmap.c "
		   "+ kernel/patches/6.12 (K1, K2 fixed)",
	/* Per-zone vmemmap_tails[] (v7); per-node v6 is variant seed-v6.  12/18
	 * as resent in v7.1 (init_compound_tail sets refcount 0); v7's own 12/18
	 * is variant seed-v7-tail-refcount (reports/findings.md S3). */
	[HVO_G2] = "Kiryl Shutsemau, mm: Eliminate fake head pages from vmemmap optimization, "
		   "PATCHv7 01..18/18 (2026-02-27), 12/18 as in v7.1 (2026-03-17)",
	[HVO_G3] = "Muchun Song, mm: Generalize vmemmap optimization for DAX and HugeTLB, "
		   "PATCH 00..49/49 v1 (2026-04-05)",
};

const char *hvo_baseline(int gen)
{
	return gen >= HVO_G1 && gen <= HVO_G3 ? baselines[gen] : "?";
}

void hvo_print_baselines(FILE *f, const char *prefix)
{
	for (int g = HVO_G1; g <= HVO_G3; g++)
		fprintf(f, "%sbaseline G%d: %s\n", prefix, g, baselines[g]);
}
