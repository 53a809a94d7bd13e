// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_mutants.c - the campaign's state shared by every fuzz target: the
 * mutant set from HVO_MUTANTS (one environment variable plants a mutant for
 * any engine: libFuzzer, AFL++, the replay main) and the host memory pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "ops.h"
#include "hvo/hvo.h"

uint64_t fuzz_mutants_from_env(const char *who)
{
	const char *env = getenv("HVO_MUTANTS");
	char buf[512], *save = NULL;
	uint64_t set = 0;

	if (!env || !*env)
		return 0;
	if (strlen(env) >= sizeof(buf)) {
		fprintf(stderr, "%s: HVO_MUTANTS too long\n", who);
		exit(2);
	}
	strcpy(buf, env);
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		int mut = hvo_mutant_by_name(tok);

		if (mut < 0) {
			fprintf(stderr, "%s: HVO_MUTANTS: unknown mutant '%s' (valid:", who, tok);
			for (int i = 0; i < HVO_NR_MUTANTS; i++)
				fprintf(stderr, " %s", hvo_mutant_info(i)->name);
			fprintf(stderr, ")\n");
			exit(2);
		}
		set |= 1ull << mut;
	}
	fprintf(stderr, "%s: mutants on:", who);
	for (int i = 0; i < HVO_NR_MUTANTS; i++)
		if (set >> i & 1)
			fprintf(stderr, " %s", hvo_mutant_info(i)->name);
	fputc('\n', stderr);
	return set;
}

static struct hvo_host_pool *host_pool;
static struct hvo_boot_cache *boot_cache;

void fuzz_host_pool_init(const char *who)
{
	const char *bc = getenv("HVO_BOOT_CACHE");

	host_pool = hvo_host_pool_create();
	if (!host_pool) {
		fprintf(stderr, "%s: out of memory for the host pool\n", who);
		exit(2);
	}
	if (bc && strcmp(bc, "0") && strcmp(bc, "1")) {
		fprintf(stderr, "%s: HVO_BOOT_CACHE=%s: 0 (boot every input) or 1 (keep booted machines)\n", who, bc);
		exit(2);
	}
	/* Off unless asked for: measured, it does not pay yet
	 * (reports/fuzz-throughput.md, 2026-12-06 evening).  fuzz_boot: a
	 * random 1-3 byte mutation keeps the boot of its input 24% of the time
	 * (5% less CPU with identical inputs), and under libFuzzer each input
	 * that keeps a boot ends with more mallocs than frees, which libFuzzer
	 * answers by running it again and a leak check; fuzz_ops, fuzz_dax,
	 * fuzz_diff boot in 1.5-3.3% of their time.  Under AFL++ an input run
	 * from a copy skips the boot's edges: fuzz_boot's stability fell from
	 * 100% to 40%. */
	if (!bc || strcmp(bc, "1"))
		return;
	boot_cache = hvo_boot_cache_create();
	if (!boot_cache) {
		fprintf(stderr, "%s: out of memory for the boot cache\n", who);
		exit(2);
	}
}

struct hvo_host_pool *fuzz_host_pool(void) { return host_pool; }
struct hvo_boot_cache *fuzz_boot_cache(void) { return boot_cache; }
