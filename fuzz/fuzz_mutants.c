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
	/* On by default where booting is a real share of an input: fuzz_boot
	 * (a quarter of its samples); fuzz_ops, fuzz_dax and fuzz_diff boot in
	 * 1.5-3.3% and pay more for the copies and the bigger heap.  Never by
	 * default under AFL++: an input that boots once and then runs from a
	 * copy covers the boot's edges only the first time, and AFL++ counts
	 * them as unstable (fuzz_boot: 40% stability, 100% without;
	 * reports/fuzz-throughput.md). */
#ifdef __AFL_COMPILER
	const bool by_default = false;
#else
	const bool by_default = !strcmp(who, "fuzz_boot");
#endif
	if (bc ? !strcmp(bc, "0") : !by_default)
		return;
	boot_cache = hvo_boot_cache_create();
	if (!boot_cache) {
		fprintf(stderr, "%s: out of memory for the boot cache\n", who);
		exit(2);
	}
}

struct hvo_host_pool *fuzz_host_pool(void) { return host_pool; }
struct hvo_boot_cache *fuzz_boot_cache(void) { return boot_cache; }
