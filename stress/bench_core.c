// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_core.c - `./hvo bench core`: the core's speed and memory figures,
 * each next to a baseline measured in the same run.
 *
 *   get_tail fast path          ns/op, against an acquire load of a pointer
 *   optimize+restore 2M / 1G    against memcpy of the folio's vmemmap bytes (goal <= 3x)
 *   peak RSS, 1 TiB machine     1024 optimized 1 GiB folios (goal <= 64 MiB) and
 *                               32768 optimized 2 MiB folios (goal <= 128 MiB),
 *                               against the same machine with no folios, and
 *                               beside the floor: that machine plus the pages the
 *                               kernel itself keeps (head copies, shared tails, PTE
 *                               tables) plus one folio's struct pages; the 2 MiB
 *                               goal is below its floor and the line says so
 *   boot, 1 TiB machine         1024 bootmem 1 GiB pages pre-HVO'd at boot (2.8):
 *                               time and peak RSS against the same boot without them
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* nodes x node_gib GiB from 4 GiB on, 4K pages; per node the first
 * bootmem_per_node GiB reserved as 1 GiB bootmem pages. */
static struct hvo_machine *machine(uint64_t node_gib, unsigned nodes, unsigned bootmem_per_node)
{
	static struct hvo_config c;   /* 16 KiB of bootmem slots: not on the stack */
	struct hvo_machine *m;
	char err[HVO_ERR_LEN];

	hvo_config_default(&c);
	c.skip_op_checks = true;
	c.nr_nodes = nodes;
	for (unsigned i = 0; i < nodes; i++) {
		c.node[i].start_pfn = (4 + i * node_gib) << (30 - 12);
		c.node[i].nr_pages = node_gib << (30 - 12);
		c.node[i].movable_start_pfn = 0;
		for (unsigned k = 0; k < bootmem_per_node && c.nr_bootmem < HVO_MAX_BOOTMEM; k++)
			c.bootmem[c.nr_bootmem++] = (struct hvo_bootmem){ c.node[i].start_pfn + ((uint64_t)k << 18), 18 };
	}
	if (hvo_machine_create(&c, &m, err, sizeof(err))) {
		fprintf(stderr, "bench: machine refused: %s\n", err);
		exit(2);
	}
	return m;
}

static volatile uint64_t sink;

static void bench_get_tail(void)
{
	struct hvo_machine *m = machine(8, 1, 0);
	const long iters = 20000000;
	uint64_t pfn = 0, slot = 1;
	double t0, t1, t2;

	g2_get_tail(m, 0, HVO_ZONE_NORMAL, 9, &pfn);
	t0 = now();
	for (long i = 0; i < iters; i++) {
		g2_get_tail(m, 0, HVO_ZONE_NORMAL, 9, &pfn);
		sink += pfn;
	}
	t1 = now();
	for (long i = 0; i < iters; i++)
		sink += __atomic_load_n(&slot, __ATOMIC_ACQUIRE);
	t2 = now();
	printf("get_tail_fast_path_ns=%.2f baseline_acquire_load_ns=%.2f ratio=%.1f goal=none (informational)\n",
	       (t1 - t0) * 1e9 / iters, (t2 - t1) * 1e9 / iters, (t1 - t0) / (t2 - t1));
	hvo_machine_destroy(m);
}

/* Each figure with a goal says whether this run met it. */
static const char *met(bool ok)
{
	return ok ? "goal_met" : "goal_NOT_met";
}

static void bench_cycle(unsigned order, unsigned rounds)
{
	struct hvo_machine *m = machine(8, 1, 0);
	uint64_t bytes = hvo_geo_vmemmap_pages(&m->geo, order) * m->geo.page_size;
	uint8_t *a = malloc(bytes), *b = malloc(bytes);
	int32_t id;
	double t0, t1, t2;

	if (!a || !b || hvo_folio_alloc(m, order, 0, -1, &id)) {
		fprintf(stderr, "bench: setup failed\n");
		exit(2);
	}
	memset(a, 1, bytes);
	memset(b, 2, bytes);
	t0 = now();
	for (unsigned i = 0; i < rounds; i++) {
		/* a cycle that did not restore and re-optimize would time nothing */
		int rr = hvo_folio_restore(m, id), ro = hvo_folio_optimize(m, id);
		struct hvo_folio_info fi;

		if (rr || ro || hvo_folio_info(m, id, &fi) || !fi.optimized) {
			fprintf(stderr, "bench: cycle %u of order %u failed: restore %d, optimize %d\n", i, order, rr, ro);
			exit(1);
		}
	}
	t1 = now();
	for (unsigned i = 0; i < rounds; i++) {
		memcpy(i & 1 ? a : b, i & 1 ? b : a, bytes);
		sink += a[i % bytes];
	}
	t2 = now();
	if (hvo_check(m)) {
		fprintf(stderr, "bench: the checker failed after the cycles (I%d): %s\n", hvo_violation(m)->inv,
			hvo_violation(m)->msg);
		exit(1);
	}
	printf("optimize_restore_order%u_us=%.1f memcpy_%lluKiB_us=%.1f ratio=%.2f goal_ratio<=3 %s\n", order,
	       (t1 - t0) * 1e6 / rounds, (unsigned long long)(bytes >> 10), (t2 - t1) * 1e6 / rounds,
	       (t1 - t0) / (t2 - t1), met((t1 - t0) / (t2 - t1) <= 3));
	free(a);
	free(b);
	hvo_machine_destroy(m);
}

static long peak_rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kib = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

/* In a child, so each figure is that scenario's own peak: a 2 x 528 GiB
 * machine (1 TiB of gigantic pages beside the 16.5 GiB of vmemmap and the
 * vmemmap pages of the folios themselves), booted with bootmem_per_node
 * 1 GiB bootmem pages per node, then count folios of order allocated.
 * *boot_s gets the boot time. */
/* What the kernel itself keeps for the scenario's optimized folios, in
 * KiB, as the model counts it: every head copy and shared tail page, every
 * PTE table of the split vmemmap PMDs.  The model cannot hold less. */
struct kernel_floor { long kib, heads, tails, tables, memmap_kib; };

static long rss_scenario(unsigned order, unsigned count, unsigned bootmem_per_node, double *boot_s,
			 struct kernel_floor *kf)
{
	struct { long kib; double boot_s; struct kernel_floor kf; } r = { -1, 0, { 0, 0, 0, 0, 0 } };
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		double t0 = now();
		struct hvo_machine *m = machine(528, 2, bootmem_per_node);
		struct hvo_boot_counters bc;
		unsigned made = 0;
		int32_t id;

		r.boot_s = now() - t0;
		hvo_boot_counters(m, &bc);
		for (unsigned i = 0; i < count; i++)
			made += hvo_folio_alloc(m, order, i % 2, -1, &id) == 0;
		r.kib = peak_rss_kib();
		r.kf.heads = (long)phys_frames_by_site(m->phys, HVO_SITE_HEAD_COPY);
		r.kf.tails = (long)phys_frames_by_site(m->phys, HVO_SITE_SHARED_TAIL);
		r.kf.tables = (long)m->nr_pte_tables;
		r.kf.kib = (long)((r.kf.heads + r.kf.tails + r.kf.tables) * (m->geo.page_size >> 10));
		r.kf.memmap_kib = count ? (long)(hvo_geo_vmemmap_pages(&m->geo, order) * (m->geo.page_size >> 10)) : 0;
		if (made != count || bc.prehvo != 2ull * bootmem_per_node)
			r.kib = -(long)made - 1;
		if (write(fds[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &r, sizeof(r)) != sizeof(r))
		r.kib = -1;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	if (boot_s)
		*boot_s = r.boot_s;
	if (kf)
		*kf = r.kf;
	return r.kib;
}

/* One peak RSS figure: MiB, its ratio to the empty machine's, its goal,
 * and the floor: the empty machine, what the kernel keeps (kf), and the
 * struct pages of the one folio being prepared, which the model writes
 * before optimize frees them (the kernel's memmap is always there).  A
 * goal below the floor cannot be met by holding less than the kernel
 * does; the line says so, and the figure to watch is the overhead. */
static void rss_line(const char *name, long kib, long base_kib, const struct kernel_floor *kf, double goal_mib,
		     double secs)
{
	double mib = kib / 1024.0, floor_mib = (base_kib + kf->kib + kf->memmap_kib) / 1024.0;

	printf("%s_peak_rss_MiB=%.1f empty_machine_MiB=%.1f ratio_to_empty=%.1f floor_MiB=%.1f over_floor_MiB=%.1f "
	       "goal_MiB<=%.0f goal_%s%s (%.1fs)\n",
	       name, mib, base_kib / 1024.0, (double)kib / base_kib, floor_mib, mib - floor_mib, goal_mib,
	       kib >= 0 && mib <= goal_mib ? "met" : "NOT_met",
	       goal_mib < floor_mib ? " (the goal is below the floor: unreachable without holding less than the kernel)"
				    : "", secs);
	printf("%s_floor: empty machine %.1f MiB + %ld head copies, %ld shared tails, %ld PTE tables (%.1f MiB, "
	       "the kernel's own pages) + one folio's struct pages (%.2f MiB, written before optimize frees them)\n",
	       name, base_kib / 1024.0, kf->heads, kf->tails, kf->tables, kf->kib / 1024.0, kf->memmap_kib / 1024.0);
}

int main(int argc, char **argv)
{
	long base, giga, huge, booted;
	double t0, boot_base_s, boot_s;
	struct kernel_floor kf;

	if (argc > 1) {
		bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");

		fprintf(help ? stdout : stderr, "usage: bench_core (no arguments)\n");
		return help ? 0 : 2;
	}
	/* Memory first, while this process is small: children inherit its RSS. */
	t0 = now();
	base = rss_scenario(9, 0, 0, &boot_base_s, NULL);
	giga = rss_scenario(18, 1024, 0, NULL, &kf);
	if (giga < -1)
		fprintf(stderr, "bench: only %ld of 1024 1 GiB folios fit\n", -giga - 1);
	rss_line("tib_1024x1GiB", giga, base, &kf, 64, now() - t0);
	t0 = now();
	huge = rss_scenario(9, 32768, 0, NULL, &kf);
	if (huge < -1)
		fprintf(stderr, "bench: only %ld of 32768 2 MiB folios fit\n", -huge - 1);
	rss_line("tib_32768x2MiB", huge, base, &kf, 128, now() - t0);
	booted = rss_scenario(9, 0, 512, &boot_s, NULL);
	if (booted < -1)
		fprintf(stderr, "bench: the 1024 bootmem pages did not all come up pre-HVO'd\n");
	printf("tib_boot_1024x1GiB_bootmem_s=%.3f plain_boot_s=%.3f ratio=%.2f peak_rss_MiB=%.1f plain_MiB=%.1f "
	       "ratio=%.2f goal=none (informational)\n", boot_s, boot_base_s, boot_s / boot_base_s, booted / 1024.0, base / 1024.0,
	       (double)booted / base);
	bench_get_tail();
	bench_cycle(9, 20000);
	bench_cycle(18, 20);
	return giga < 0 || huge < 0 || booted < 0 ? 1 : 0;
}
