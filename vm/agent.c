// SPDX-License-Identifier: GPL-2.0-only
/*
 * agent.c - the guest side of the VM lane (README "VM lane").
 *
 * One static binary, three modes:
 *   agent [DIR]                 guest: run every DIR/ *.ops (default /streams) in
 *                               name order through real kernel interfaces, print
 *                               machine-readable "@@" records on the console, power off
 *   agent --plan MEM_MIB FILE.. host: parse each stream and refuse (exit 2) one
 *                               that is malformed or whose pools could need more
 *                               memory than a VM of MEM_MIB holds
 *   agent --gen SEED IDX CAP_MIB [1g]
 *                               host: print random stream IDX of SEED (vm fuzz)
 *
 * Op mapping (the "hvo-ops 1" subset a running kernel can express):
 *   alloc/alloc_batch order=9|18 [node=N]  grow the 2 MiB / 1 GiB pool (per-node
 *                                          sysfs file when node= is given)
 *   free/dissolve f=K                      shrink the pool of folio K's order by one
 *   get f=K / put f=K                      mmap(MAP_HUGETLB) + touch / munmap
 *   enable 0|1                             /proc/sys/vm/hugetlb_optimize_vmemmap
 *   demote f=K order=9                     hugepages-1048576kB/demote
 *   optimize/restore(_batch)               implicit (the kernel optimizes at pool
 *                                          grow and restores at shrink): counted
 *   check                                  a record only
 *   expect rc=N                            compares with the last op when it was
 *                                          done here (not skipped/implicit) and no
 *                                          fail/budget line went unexpressed
 *   walk, inject, dax_*, free_bulk,        skipped and counted
 *   hwpoison, demote_batch, hpage_work,
 *   other orders
 *   header "fail"/"budget"                 fail_page_alloc when debugfs has it
 *                                          (never on Debian's kernels), else skipped
 * Records: "@@op I KIND st=done|skipped|implicit rc=R h2m= f2m= h1g= f1g= hvo=
 * memfree= pcp= memmap= memmap_boot= dmesg=K ms=T | TEXT", each followed by its K
 * new kernel log lines as "@@dmesg ...".  memmap=-1: no such /proc/vmstat line.
 * pcp= is the kB of free pages on the per-CPU lists, which MemFree leaves out;
 * "@@end" compares MemFree + pcp before the stream and after its reset.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#define MAP_HUGE_2MB_ (21 << MAP_HUGE_SHIFT)
#define MAP_HUGE_1GB_ (30 << MAP_HUGE_SHIFT)

#define MAX_OPS 4096
#define MAX_LIVE 8192
#define MAX_MAPS 1024
#define LINE 512

enum kind { K_ALLOC, K_ALLOC_BATCH, K_FREE, K_DISSOLVE, K_GET, K_PUT, K_ENABLE, K_DEMOTE, K_OPTIMIZE,
	    K_RESTORE, K_OPTIMIZE_BATCH, K_RESTORE_BATCH, K_CHECK, K_EXPECT, K_WALK, K_INJECT, K_DAX_ADD,
	    K_DAX_REMOVE, K_FREE_BULK, K_HWPOISON, K_DEMOTE_BATCH, K_HPAGE_WORK, NR_KINDS };
static const char *const kind_names[NR_KINDS] = {
	"alloc", "alloc_batch", "free", "dissolve", "get", "put", "enable", "demote", "optimize",
	"restore", "optimize_batch", "restore_batch", "check", "expect", "walk", "inject", "dax_add",
	"dax_remove", "free_bulk", "hwpoison", "demote_batch", "hpage_work",
};

struct op {
	enum kind kind;
	unsigned order, n, node;
	bool has_node;
	uint64_t f;
	long long rc;        /* expect */
	char text[LINE];
};

struct stream {
	char name[256];
	int hvo;             /* config hvo=: -1 absent */
	unsigned fail_nth, fail_repeat;  /* first fail rule, 0 = none */
	unsigned header_ignored;         /* node/bootmem/mutant/budget/... lines */
	bool fail_lines;                 /* any fail or budget line: rcs may depend on injected failures */
	unsigned nr_ops;
	struct op ops[MAX_OPS];
};

static int kind_by_name(const char *s)
{
	for (int k = 0; k < NR_KINDS; k++)
		if (!strcmp(s, kind_names[k]))
			return k;
	return -1;
}

static const char *kv(char **tok, int n, const char *key)
{
	size_t l = strlen(key);

	for (int i = 0; i < n; i++)
		if (!strncmp(tok[i], key, l) && tok[i][l] == '=')
			return tok[i] + l + 1;
	return NULL;
}

static int perr(char *err, size_t len, const char *name, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int perr(char *err, size_t len, const char *name, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(err, len, "%s:%u: ", name, line);

	va_start(ap, fmt);
	vsnprintf(err + k, len - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

/* Parse the subset; unknown op kinds and a missing version line are errors. */
static int parse_stream(const char *path, struct stream *s, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char buf[LINE], *tok[64];
	bool version = false, in_ops = false;
	unsigned lineno = 0;
	const char *base = strrchr(path, '/');

	memset(s, 0, sizeof(*s));
	s->hvo = -1;
	snprintf(s->name, sizeof(s->name), "%s", base ? base + 1 : path);
	if (!f)
		return perr(err, errlen, path, 0, "%s", strerror(errno));
	while (fgets(buf, sizeof(buf), f)) {
		char *p = strchr(buf, '#'), text[LINE];
		int n = 0;

		lineno++;
		if (p)
			*p = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		snprintf(text, sizeof(text), "%s", buf);
		for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t && n < 64; t = strtok_r(NULL, " \t", &save))
			tok[n++] = t;
		if (!n)
			continue;
		if (!version) {
			if (n != 2 || strcmp(tok[0], "hvo-ops") || strcmp(tok[1], "1"))
				break;
			version = true;
			continue;
		}
		if (!in_ops) {
			if (!strcmp(tok[0], "ops")) {
				in_ops = true;
			} else if (!strcmp(tok[0], "config")) {
				const char *h = kv(tok + 1, n - 1, "hvo");

				if (h)
					s->hvo = atoi(h) != 0;
				if (n - 1 > (h ? 1 : 0))
					s->header_ignored++;
			} else if (!strcmp(tok[0], "fail")) {
				s->fail_lines = true;
				const char *nth = kv(tok + 1, n - 1, "nth"), *rep = kv(tok + 1, n - 1, "repeat");

				if (!s->fail_nth && nth) {
					s->fail_nth = (unsigned)strtoul(nth, NULL, 0);
					s->fail_repeat = rep ? (unsigned)strtoul(rep, NULL, 0) : 1;
				} else {
					s->header_ignored++;
				}
			} else if (!strcmp(tok[0], "node") || !strcmp(tok[0], "bootmem") || !strcmp(tok[0], "mutant") ||
				   !strcmp(tok[0], "budget") || !strcmp(tok[0], "expect")) {
				s->header_ignored++;
				s->fail_lines |= !strcmp(tok[0], "budget");
			} else {
				fclose(f);
				return perr(err, errlen, path, lineno, "unknown header line '%s'", tok[0]);
			}
			continue;
		}
		int k = kind_by_name(tok[0]);
		struct op *op;
		const char *v;

		if (k < 0) {
			fclose(f);
			return perr(err, errlen, path, lineno, "unknown op '%s'", tok[0]);
		}
		if (s->nr_ops == MAX_OPS) {
			fclose(f);
			return perr(err, errlen, path, lineno, "more than %d ops", MAX_OPS);
		}
		op = &s->ops[s->nr_ops++];
		memset(op, 0, sizeof(*op));
		op->kind = (enum kind)k;
		snprintf(op->text, sizeof(op->text), "%s", text);
		if ((v = kv(tok + 1, n - 1, "order")))
			op->order = (unsigned)strtoul(v, NULL, 0);
		if ((v = kv(tok + 1, n - 1, "node"))) {
			op->node = (unsigned)strtoul(v, NULL, 0);
			op->has_node = true;
		}
		if ((v = kv(tok + 1, n - 1, "f")))
			op->f = strtoull(v, NULL, 0);
		if ((v = kv(tok + 1, n - 1, "n")))
			op->n = (unsigned)strtoul(v, NULL, 0);
		if ((v = kv(tok + 1, n - 1, "rc")))
			op->rc = strtoll(v, NULL, 0);
		if (k == K_ENABLE) {
			if (n != 2 || (strcmp(tok[1], "0") && strcmp(tok[1], "1"))) {
				fclose(f);
				return perr(err, errlen, path, lineno, "enable: expected 0 or 1");
			}
			op->n = tok[1][0] == '1';
		}
		if (k == K_ALLOC)
			op->n = 1;
		if ((k == K_ALLOC || k == K_ALLOC_BATCH) && !kv(tok + 1, n - 1, "order")) {
			fclose(f);
			return perr(err, errlen, path, lineno, "%s: missing order=", tok[0]);
		}
	}
	fclose(f);
	if (!version)
		return perr(err, errlen, path, lineno, "missing version line 'hvo-ops 1'");
	return 0;
}

/* ================================================================ host: plan */

/* Peak pool memory in MiB if every alloc succeeds (each pool never shrinks below 0). */
static uint64_t plan_peak(const struct stream *s)
{
	uint64_t n2 = 0, n1 = 0, peak = 0;
	unsigned live[MAX_LIVE], nlive = 0;

	for (unsigned i = 0; i < s->nr_ops; i++) {
		const struct op *op = &s->ops[i];

		switch (op->kind) {
		case K_ALLOC:
		case K_ALLOC_BATCH:
			for (unsigned j = 0; j < op->n && nlive < MAX_LIVE; j++) {
				if (op->order == 9)
					n2++;
				else if (op->order == 18)
					n1++;
				else
					continue;
				live[nlive++] = op->order;
			}
			break;
		case K_FREE:
		case K_DISSOLVE:
			if (nlive) {
				unsigned k = (unsigned)(op->f % nlive);

				if (live[k] == 9)
					n2--;
				else
					n1--;
				memmove(live + k, live + k + 1, (nlive - k - 1) * sizeof(live[0]));
				nlive--;
			}
			break;
		case K_DEMOTE:
			/* a 1 GiB page becomes 512 2 MiB pages: same memory */
			break;
		default:
			break;
		}
		if (n2 * 2 + n1 * 1024 > peak)
			peak = n2 * 2 + n1 * 1024;
	}
	return peak;
}

static int cmd_plan(int argc, char **argv)
{
	static struct stream s;
	uint64_t mem = strtoull(argv[0], NULL, 0);
	/* the kernel, the initramfs and the page tables of a 1 GiB-aligned range:
	 * at least 256 MiB and a quarter of the VM stay outside the pools */
	uint64_t room = mem - (mem / 4 > 256 ? mem / 4 : 256);
	int rc = 0;
	char err[512];

	if (mem <= 256)
		room = 0;
	for (int i = 1; i < argc; i++) {
		uint64_t peak;

		if (parse_stream(argv[i], &s, err, sizeof(err))) {
			fprintf(stderr, "hvo vm: %s\n", err);
			rc = 2;
			continue;
		}
		peak = plan_peak(&s);
		printf("plan %s ops=%u peak_mib=%" PRIu64 " room_mib=%" PRIu64 "\n", s.name, s.nr_ops, peak, room);
		if (peak > room) {
			fprintf(stderr, "hvo vm: %s needs up to %" PRIu64 " MiB of huge pages; a %" PRIu64
				" MiB VM has room for %" PRIu64 " MiB (raise --mem)\n", argv[i], peak, mem, room);
			rc = 2;
		}
	}
	return rc;
}

/* ================================================================= host: gen */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A small random stream that stays within cap_mib of pools. */
static int cmd_gen(int argc, char **argv)
{
	uint64_t seed = strtoull(argv[0], NULL, 0), idx = strtoull(argv[1], NULL, 0);
	uint64_t cap = strtoull(argv[2], NULL, 0);
	bool gig = argc > 3 && !strcmp(argv[3], "1g");
	unsigned nops, n2 = 0, n1 = 0, nlive = 0, held = 0;

	rng_state = seed * 0x100000001b3ull ^ (idx + 1) * 0x9e3779b97f4a7c15ull;
	nops = 4 + (unsigned)(rnd() % 21);
	printf("# vm fuzz stream: seed=%" PRIu64 " index=%" PRIu64 " (./hvo vm fuzz); expects a clean run\n", seed, idx);
	printf("hvo-ops 1\nops\n");
	for (unsigned i = 0; i < nops; i++) {
		unsigned r = (unsigned)(rnd() % 100);

		if (r < 35) {
			unsigned want = 1 + (unsigned)(rnd() % 16);

			if ((n2 + want) * 2 + n1 * 1024 > cap)
				want = (unsigned)((cap - n1 * 1024) / 2 > n2 ? (cap - n1 * 1024) / 2 - n2 : 0);
			if (!want)
				continue;
			if (want == 1)
				printf("alloc order=9%s\n", rnd() % 2 ? " node=0" : "");
			else
				printf("alloc_batch order=9 n=%u\n", want);
			n2 += want;
			nlive += want;
		} else if (r < 40 && gig) {
			if ((n1 + 1) * 1024 + n2 * 2 > cap)
				continue;
			printf("alloc order=18\n");
			n1++;
			nlive++;
		} else if (r < 65) {
			if (!nlive)
				continue;
			printf("%s f=%u\n", rnd() % 4 ? "free" : "dissolve", (unsigned)(rnd() % 64));
			nlive--;   /* which order went is decided in the guest; n1/n2 stay an upper bound */
		} else if (r < 75) {
			printf("get f=%u\n", (unsigned)(rnd() % 64));
			held++;
		} else if (r < 83) {
			if (!held)
				continue;
			printf("put f=%u\n", (unsigned)(rnd() % 64));
			held--;
		} else if (r < 93) {
			printf("enable %u\n", (unsigned)(rnd() % 2));
		} else if (r < 96 && gig) {
			printf("demote f=%u order=9\n", (unsigned)(rnd() % 64));
		} else {
			printf("check\n");
		}
	}
	return 0;
}

/* ============================================================ guest: agent */

static int kmsg_fd = -1;
static struct timespec t0;
static int boot_hvo;
static bool have_fail_page_alloc;

struct live { unsigned order, node; bool has_node; };
static struct live live[MAX_LIVE];
static unsigned nlive;
struct map { void *addr; size_t len; unsigned order; };
static struct map maps[MAX_MAPS];
static unsigned nmaps;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6;
}

static long long read_ll(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

static int write_ll(const char *path, long long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY), n, rc = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%lld\n", v);
	if (write(fd, buf, (size_t)n) != n)
		rc = -errno;
	close(fd);
	return rc;
}

/* "key value" files (/proc/vmstat, /proc/meminfo "Key: value kB"). */
static long long read_key(const char *path, const char *key)
{
	char line[256];
	size_t l = strlen(key);
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, l) && (line[l] == ' ' || line[l] == ':')) {
			v = strtoll(line + l + 1 + strspn(line + l + 1, " :"), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* kB of free pages on the per-CPU lists (MemFree leaves them out): the
 * "count:" lines of /proc/zoneinfo's pagesets, 4 KiB pages assumed. */
static long long pcp_kb(void)
{
	char line[256];
	long long sum = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " ");

		if (!strncmp(p, "count:", 6))
			sum += strtoll(p + 6, NULL, 10);
	}
	fclose(f);
	return sum * 4;
}

/* MemFree plus the per-CPU lists: free memory that does not depend on when
 * the per-CPU lists were drained. */
static long long free_kb(void)
{
	return read_key("/proc/meminfo", "MemFree") + pcp_kb();
}

static const char *pool_dir(unsigned order)
{
	return order == 18 ? "hugepages-1048576kB" : "hugepages-2048kB";
}

static void pool_path(char *buf, size_t len, unsigned order, bool has_node, unsigned node, const char *file)
{
	if (has_node)
		snprintf(buf, len, "/sys/devices/system/node/node%u/hugepages/%s/%s", node, pool_dir(order), file);
	else
		snprintf(buf, len, "/sys/kernel/mm/hugepages/%s/%s", pool_dir(order), file);
}

static long long pool_get(unsigned order, bool has_node, unsigned node, const char *file)
{
	char p[256];

	pool_path(p, sizeof(p), order, has_node, node, file);
	return read_ll(p);
}

/* Copy new kernel log records to the console; returns how many. */
static unsigned drain_kmsg(const char *prefix)
{
	char buf[8192];
	unsigned n = 0;

	if (kmsg_fd < 0)
		return 0;
	for (;;) {
		ssize_t r = read(kmsg_fd, buf, sizeof(buf) - 1);
		char *msg, *nl;

		if (r < 0 && errno == EPIPE) {   /* overwritten records */
			printf("%s [hvo-agent: kernel log records lost (ring buffer overrun)]\n", prefix);
			n++;
			continue;
		}
		if (r <= 0)
			break;
		buf[r] = '\0';
		msg = strchr(buf, ';');
		msg = msg ? msg + 1 : buf;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		printf("%s %s\n", prefix, msg);
		n++;
	}
	return n;
}

/* A folio freed through put_page (the last unmap of a surplus page) goes
 * to buddy from a workqueue (6.12 free_huge_folio -> hpage_freelist ->
 * free_hpage_workfn), so its vmemmap restore and the memmap counters lag
 * the op that freed it.  After such ops, wait until the counters and
 * MemFree hold still: three equal reads 10 ms apart, at most 1 s.  The
 * reset, whose reading is the stream's memfree_after (memfree-lost),
 * waits for five equal reads 50 ms apart, at most 3 s: under TCG on a
 * loaded host a kworker can sit out 30 ms, and a free still in flight
 * then reads as memory lost.  A real loss holds still and is reported. */
static void settle(const char *kind)
{
	bool reset = !strcmp(kind, "reset");
	long ms = reset ? 50 : 10;
	int need = reset ? 5 : 3, tries = reset ? 60 : 100;
	long long last = -2;
	int same = 0;

	if (strcmp(kind, "put") && strcmp(kind, "get") && !reset)
		return;
	for (int i = 0; i < tries && same < need; i++) {
		struct timespec ts = { 0, ms * 1000000L };
		long long v;

		nanosleep(&ts, NULL);
		v = read_key("/proc/vmstat", "nr_memmap_pages") + read_key("/proc/vmstat", "nr_memmap_boot_pages") +
		    read_key("/proc/meminfo", "MemFree") + pcp_kb();
		if (v == last) {
			same++;
		} else {
			same = 0;
			last = v;
		}
	}
}

/* Print the record for op idx and its kernel log lines. */
/*
 * The protocol goes out on its own UART (ttyS1, see vm/lib.sh) so the
 * kernel's console writes cannot split a line of it.  Wait until a record
 * has left the UART before the next op runs: a crash then finds every
 * record before it on the host side.
 */
static void out_sync(void)
{
	fflush(stdout);
	tcdrain(STDOUT_FILENO);  /* not a tty (a test run on the host): no-op */
}

static void record(const char *idx, const char *kind, const char *st, long long rc, const char *text)
{
	/* the lines go out after the record, so count them first into a buffer */
	char *lines = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&lines, &len);
	FILE *saved = stdout;
	unsigned k;
	long long mm, mmb;

	settle(kind);
	mm = read_key("/proc/vmstat", "nr_memmap_pages");
	mmb = read_key("/proc/vmstat", "nr_memmap_boot_pages");
	stdout = mem;
	k = drain_kmsg("@@dmesg");
	fclose(mem);
	stdout = saved;
	printf("@@op %s %s st=%s rc=%lld h2m=%lld f2m=%lld h1g=%lld f1g=%lld hvo=%lld memfree=%lld pcp=%lld memmap=%lld "
	       "memmap_boot=%lld dmesg=%u ms=%.1f | %s\n",
	       idx, kind, st, rc, pool_get(9, false, 0, "nr_hugepages"), pool_get(9, false, 0, "free_hugepages"),
	       pool_get(18, false, 0, "nr_hugepages"), pool_get(18, false, 0, "free_hugepages"),
	       read_ll("/proc/sys/vm/hugetlb_optimize_vmemmap"), read_key("/proc/meminfo", "MemFree"), pcp_kb(), mm, mmb, k,
	       now_ms(), text);
	fputs(lines ? lines : "", stdout);
	free(lines);
	out_sync();
}

/* Grow or shrink one pool by delta; returns how many pages it moved (>= 0). */
static long long pool_move(unsigned order, bool has_node, unsigned node, long long delta)
{
	char p[256];
	long long before = pool_get(order, has_node, node, "nr_hugepages"), after;

	if (before < 0)
		return -ENOENT;
	pool_path(p, sizeof(p), order, has_node, node, "nr_hugepages");
	if (before + delta < 0)
		delta = -before;
	write_ll(p, before + delta);   /* a partial grow writes fine and reads back less */
	after = pool_get(order, has_node, node, "nr_hugepages");
	return after > before ? after - before : before - after;
}

static void live_del(unsigned k)
{
	memmove(live + k, live + k + 1, (nlive - k - 1) * sizeof(live[0]));
	nlive--;
}

static void unmap_all(void)
{
	while (nmaps) {
		nmaps--;
		munmap(maps[nmaps].addr, maps[nmaps].len);
	}
}

/* Shrink every pool to 0 and restore the boot state (between streams). */
static void reset_state(void)
{
	unmap_all();
	write_ll("/proc/sys/vm/nr_hugepages", 0);
	write_ll("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", 0);
	write_ll("/proc/sys/vm/hugetlb_optimize_vmemmap", boot_hvo);
	nlive = 0;
	/* compaction drains the per-CPU free lists, so MemFree is comparable */
	write_ll("/proc/sys/vm/drop_caches", 3);
	write_ll("/proc/sys/vm/compact_memory", 1);
}

static void fail_page_alloc_arm(unsigned nth, unsigned repeat)
{
	const char *d = "/sys/kernel/debug/fail_page_alloc";
	char p[256];

	snprintf(p, sizeof(p), "%s/task-filter", d);
	write_ll(p, 1);
	snprintf(p, sizeof(p), "%s/interval", d);
	write_ll(p, nth);
	snprintf(p, sizeof(p), "%s/times", d);
	write_ll(p, repeat);
	snprintf(p, sizeof(p), "%s/probability", d);
	write_ll(p, 100);
	write_ll("/proc/self/make-it-fail", 1);
}

static void fail_page_alloc_disarm(void)
{
	write_ll("/proc/self/make-it-fail", 0);
	write_ll("/sys/kernel/debug/fail_page_alloc/probability", 0);
}

struct counts { unsigned done, skipped, implicit, failed_expect; };

/* expect rc= compares with the last non-expect op only when that op was
 * done here and no failure was to be injected that this kernel cannot inject
 * (fail_armed): a skipped or implicit op's rc is the model's business. */
static bool fail_armed;
static const char *last_st = "done";

static void run_op(const struct stream *s, unsigned i, long long *last_rc, struct counts *c)
{
	const struct op *op = &s->ops[i];
	const char *st = "done";
	long long rc = 0;
	char idx[16];

	snprintf(idx, sizeof(idx), "%u", i);
	switch (op->kind) {
	case K_ALLOC:
	case K_ALLOC_BATCH: {
		long long got;

		if ((op->order != 9 && op->order != 18) ||
		    pool_get(op->order, op->has_node, op->node, "nr_hugepages") < 0) {
			st = "skipped";
			break;
		}
		got = pool_move(op->order, op->has_node, op->node, op->n);
		for (long long j = 0; j < got && nlive < MAX_LIVE; j++)
			live[nlive++] = (struct live){ op->order, op->node, op->has_node };
		rc = op->kind == K_ALLOC_BATCH ? got : (got == 1 ? 0 : -ENOMEM);
		break;
	}
	case K_FREE:
	case K_DISSOLVE: {
		unsigned k;

		if (!nlive) {
			st = "skipped";
			break;
		}
		k = (unsigned)(op->f % nlive);
		if (pool_move(live[k].order, live[k].has_node, live[k].node, -1) == 1)
			live_del(k);
		else
			rc = -EBUSY;
		break;
	}
	case K_GET: {
		unsigned order = nlive ? live[op->f % nlive].order : 9;
		size_t len = order == 18 ? (1ul << 30) : (2ul << 20);
		void *a;

		if (nmaps == MAX_MAPS) {
			st = "skipped";
			break;
		}
		a = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (order == 18 ? MAP_HUGE_1GB_ : MAP_HUGE_2MB_), -1, 0);
		if (a == MAP_FAILED) {
			rc = -errno;
			break;
		}
		*(volatile char *)a = 1;
		maps[nmaps++] = (struct map){ a, len, order };
		break;
	}
	case K_PUT: {
		unsigned order = nlive ? live[op->f % nlive].order : 9;
		int k;

		for (k = (int)nmaps - 1; k >= 0 && maps[k].order != order; k--)
			;
		if (k < 0) {
			st = "skipped";
			break;
		}
		rc = munmap(maps[k].addr, maps[k].len) ? -errno : 0;
		memmove(maps + k, maps + k + 1, (nmaps - (unsigned)k - 1) * sizeof(maps[0]));
		nmaps--;
		break;
	}
	case K_ENABLE:
		rc = write_ll("/proc/sys/vm/hugetlb_optimize_vmemmap", op->n);
		break;
	case K_DEMOTE: {
		const char *d = "/sys/kernel/mm/hugepages/hugepages-1048576kB";
		char p[256];
		long long before;
		unsigned k;

		for (k = 0; k < nlive && live[k].order != 18; k++)
			;
		snprintf(p, sizeof(p), "%s/demote", d);
		if (op->order != 9 || k == nlive || access(p, W_OK)) {
			st = "skipped";
			break;
		}
		snprintf(p, sizeof(p), "%s/demote_size", d);
		{
			int fd = open(p, O_WRONLY);

			if (fd >= 0) {
				if (write(fd, "2048kB\n", 7) != 7)
					rc = -errno;
				close(fd);
			}
		}
		before = pool_get(18, false, 0, "nr_hugepages");
		snprintf(p, sizeof(p), "%s/demote", d);
		if (!rc)
			rc = write_ll(p, 1);
		if (!rc && pool_get(18, false, 0, "nr_hugepages") == before - 1) {
			live_del(k);
			for (unsigned j = 0; j < 512 && nlive < MAX_LIVE; j++)
				live[nlive++] = (struct live){ 9, 0, false };
		} else if (!rc) {
			rc = -EBUSY;
		}
		break;
	}
	case K_OPTIMIZE:
	case K_RESTORE:
	case K_OPTIMIZE_BATCH:
	case K_RESTORE_BATCH:
		st = "implicit";
		break;
	case K_CHECK:
		break;
	case K_EXPECT:
		rc = *last_rc;
		if (strcmp(last_st, "done") || (s->fail_lines && !fail_armed)) {
			st = "skipped";
			break;
		}
		if (rc != op->rc) {
			st = "mismatch";
			c->failed_expect++;
		}
		break;
	default:
		st = "skipped";
		break;
	}
	if (!strcmp(st, "skipped"))
		c->skipped++;
	else if (!strcmp(st, "implicit"))
		c->implicit++;
	else
		c->done++;
	if (op->kind != K_EXPECT) {
		*last_rc = rc;
		last_st = st;
	}
	record(idx, kind_names[op->kind], st, rc, op->text);
}

static void poweroff(void)
{
	out_sync();
	sync();
	reboot(RB_POWER_OFF);
	_exit(0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static double cmdline_num(const char *key, double def)
{
	char buf[4096], *p;
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return def;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return def;
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, key)); p++)
		if ((p == buf || p[-1] == ' ') && p[strlen(key)] == '=')
			return strtod(p + strlen(key) + 1, NULL);
	return def;
}

static int guest(const char *dir)
{
	static struct stream s;
	char *names[4096], err[512];
	unsigned nnames = 0, streams_run = 0, ops_total = 0;
	struct counts tot = { 0 };
	double deadline, stop_on_taint;
	long long taint0;
	DIR *d;
	struct dirent *e;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getpid() == 1) {
		mount("proc", "/proc", "proc", 0, NULL);
		mount("sysfs", "/sys", "sysfs", 0, NULL);
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	}
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	have_fail_page_alloc = access("/sys/kernel/debug/fail_page_alloc/probability", W_OK) == 0;
	deadline = cmdline_num("hvo.deadline", 0);
	stop_on_taint = cmdline_num("hvo.stop_on_taint", 0);
	boot_hvo = (int)read_ll("/proc/sys/vm/hugetlb_optimize_vmemmap");
	write_ll("/proc/sys/kernel/printk_ratelimit", 0);
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	{
		struct timespec up;

		clock_gettime(CLOCK_BOOTTIME, &up);
		printf("@@agent up=%.3f hvo=%d fail_page_alloc=%d memmap_stat=%d kmsg=%d\n",
		       (double)up.tv_sec + (double)up.tv_nsec / 1e9, boot_hvo, have_fail_page_alloc,
		       read_key("/proc/vmstat", "nr_memmap_pages") >= 0, kmsg_fd >= 0);
	}
	/* boot's own warnings and worse (priority <= 4) */
	{
		char buf[8192];
		unsigned bad = 0;

		for (ssize_t r; (r = read(kmsg_fd, buf, sizeof(buf) - 1)) > 0 || (r < 0 && errno == EPIPE);) {
			if (r <= 0)
				continue;
			buf[r] = '\0';
			if (atoi(buf) % 8 <= 4) {
				char *msg = strchr(buf, ';'), *nl;

				msg = msg ? msg + 1 : buf;
				nl = strchr(msg, '\n');
				if (nl)
					*nl = '\0';
				printf("@@bootlog %s\n", msg);
				bad++;
			}
		}
		(void)bad;
	}
	taint0 = read_ll("/proc/sys/kernel/tainted");
	d = opendir(dir);
	while (d && (e = readdir(d)) && nnames < 4096) {
		size_t l = strlen(e->d_name);

		if (l > 4 && !strcmp(e->d_name + l - 4, ".ops"))
			names[nnames++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, nnames, sizeof(names[0]), cmp_str);
	reset_state();
	for (unsigned si = 0; si < nnames; si++) {
		char path[1024];
		long long base, last_rc = 0, taint;
		struct counts c = { 0 };
		double ts;

		if (deadline > 0 && now_ms() / 1e3 >= deadline) {
			printf("@@deadline streams_left=%u\n", nnames - si);
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[si]);
		if (parse_stream(path, &s, err, sizeof(err))) {
			printf("@@stream %u %s\n@@error %s\n@@end %u %s status=error\n", si, names[si], err, si, names[si]);
			continue;
		}
		drain_kmsg("@@dmesg");
		base = free_kb();
		printf("@@stream %u %s ops=%u header_ignored=%u memfree=%lld\n", si, s.name, s.nr_ops, s.header_ignored, base);
		if (s.hvo >= 0)
			write_ll("/proc/sys/vm/hugetlb_optimize_vmemmap", s.hvo);
		last_st = "done";
		fail_armed = false;
		if (s.fail_nth) {
			if (have_fail_page_alloc) {
				fail_armed = true;
				fail_page_alloc_arm(s.fail_nth, s.fail_repeat);
				printf("@@fail armed nth=%u repeat=%u (fail_page_alloc: any page allocation of this task)\n",
				       s.fail_nth, s.fail_repeat);
			} else {
				printf("@@fail skipped (no fail_page_alloc in this kernel)\n");
				c.skipped++;
			}
		}
		record("start", "start", "done", 0, "(stream start)");
		ts = now_ms();
		for (unsigned i = 0; i < s.nr_ops; i++)
			run_op(&s, i, &last_rc, &c);
		ts = now_ms() - ts;
		if (s.fail_nth && have_fail_page_alloc)
			fail_page_alloc_disarm();
		reset_state();
		record("reset", "reset", "done", 0, "(all pools shrunk to 0, mappings dropped, boot HVO state)");
		taint = read_ll("/proc/sys/kernel/tainted");
		printf("@@end %u %s status=done ops=%u done=%u skipped=%u implicit=%u expect_mismatch=%u "
		       "memfree_before=%lld memfree_after=%lld taint=%lld ops_ms=%.1f\n",
		       si, s.name, s.nr_ops, c.done, c.skipped, c.implicit, c.failed_expect, base,
		       free_kb(), taint, ts);
		streams_run++;
		ops_total += s.nr_ops;
		tot.done += c.done;
		tot.skipped += c.skipped;
		tot.implicit += c.implicit;
		if (stop_on_taint > 0 && taint != taint0) {
			printf("@@stop tainted=%lld (was %lld)\n", taint, taint0);
			break;
		}
	}
	printf("@@summary streams=%u ops=%u done=%u skipped=%u implicit=%u ms=%.1f\n", streams_run, ops_total,
	       tot.done, tot.skipped, tot.implicit, now_ms());
	poweroff();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "--plan"))
		return cmd_plan(argc - 2, argv + 2);
	if (argc > 4 && !strcmp(argv[1], "--gen"))
		return cmd_gen(argc - 2, argv + 2);
	if (argc > 1 && argv[1][0] == '-') {
		fprintf(stderr, "usage: agent [DIR] | --plan MEM_MIB FILE... | --gen SEED IDX CAP_MIB [1g]\n");
		return 2;
	}
	return guest(argc > 1 ? argv[1] : "/streams");
}
