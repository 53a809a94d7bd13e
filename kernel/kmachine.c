// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmachine.c - boot and teardown of the kernel lane's machine, the host
 * views behind the vmemmap, and the fault handler (see kmachine.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "kmachine.h"
#include "kviews.h"

struct kmach kmach;

/* Host memory kept across machines of the same layout (kmach_keep_host):
 * the memfd, the direct map and the vmemmap reservation.  A new machine
 * rewrites everything the kernel file can read (every struct page, the
 * boot PMD views; frames are zeroed when allocated, as init_on_alloc
 * does), so a kept host changes no run; it saves the page faults. */
struct host_slot {
	uint64_t mem_bytes;
	int memfd;
	unsigned char *dmap;
	void *reserve;
	size_t reserve_len;
};
static bool keep_host;
/* one per layout size (small and big inputs alternate in a campaign) */
static struct host_slot host[2] = { { .memfd = -1 }, { .memfd = -1 } };

void kmach_keep_host(bool keep)
{
	keep_host = keep;
}

static struct host_slot *host_slot(uint64_t mem_bytes)
{
	return &host[mem_bytes > (1UL << 30)];
}
struct page *hvo_k_vmemmap;
unsigned char *hvo_k_direct_map;
struct mm_struct init_mm;

void kmach_layout_small(struct kmach_layout *l)
{
	l->mem_bytes = 128UL << 20;
	l->low_bytes = 64UL << 20;
}

void kmach_layout_big(struct kmach_layout *l)
{
	l->mem_bytes = 2UL << 30;
	l->low_bytes = 64UL << 20;
}

void kmach_report(const char *id, uint64_t pfn, const char *fmt, ...)
{
	va_list ap;

	struct kfinding *f;

	for (unsigned i = 0; i < kmach.nr_findings; i++)
		if (!strcmp(kmach.findings[i].id, id))
			return;
	if (kmach.nr_findings == KMACH_MAX_FINDINGS)
		return;
	kmach.has_finding = true;
	f = &kmach.findings[kmach.nr_findings++];
	snprintf(f->id, sizeof(f->id), "%s", id);
	f->pfn = pfn;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ host views */

void kview_map(unsigned long va, uint64_t pfn, size_t len, bool rw)
{
	void *p = mmap((void *)va, len, rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED | MAP_FIXED, kmach.memfd,
		       (off_t)(pfn << PAGE_SHIFT));

	if (p == MAP_FAILED) {
		/* out of host mappings (vm.max_map_count): not the kernel's fault */
		fprintf(stderr, "hvo-kernel: host mmap of a vmemmap view failed: %s\n", strerror(errno));
		abort();
	}
}

void kview_unmap(unsigned long va, size_t len)
{
	if (mmap((void *)va, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) ==
	    MAP_FAILED) {
		fprintf(stderr, "hvo-kernel: host unmap of a vmemmap view failed: %s\n", strerror(errno));
		abort();
	}
}

/* ------------------------------------------------------------- boot */

static void init_struct_page(uint64_t pfn, bool reserved)
{
	struct page *p = &hvo_k_vmemmap[pfn];

	/* mm_init.c __init_single_page(): refcount 1, mapcount -1, own lru */
	memset(p, 0, sizeof(*p));
	p->flags = (0UL << KG_NODE_SHIFT) | (KG_ZONE_NORMAL << KG_ZONE_SHIFT) | (reserved ? BIT(PG_reserved) : 0);
	INIT_LIST_HEAD(&p->lru);
	atomic_set(&p->_mapcount, -1);
	/* reserved pages keep the reference memblock gave them; free pages
	 * were handed to the buddy allocator, which drops it */
	atomic_set(&p->_refcount, reserved ? 1 : 0);
}

int kmach_create(const struct kmach_layout *l, char *err, size_t errlen)
{
	memset(&kmach, 0, sizeof(kmach));
	memset(&init_mm, 0, sizeof(init_mm));
	kmach.memfd = -1;
	kmach.nr_pfns = l->mem_bytes >> PAGE_SHIFT;
	kmach.low_pfns = l->low_bytes >> PAGE_SHIFT;
	kmach.huge_base = kmach.low_pfns;

	kmach.vmemmap_bytes = (kmach.nr_pfns * sizeof(struct page) + PMD_SIZE - 1) & PMD_MASK;
	kmach.nr_pmds = kmach.vmemmap_bytes >> PMD_SHIFT;
	kmach.vmemmap_reserve_len = kmach.vmemmap_bytes + PMD_SIZE;
	struct host_slot *h = host_slot(l->mem_bytes);
	if (h->memfd >= 0 && h->mem_bytes == l->mem_bytes) {
		kmach.memfd = h->memfd;
		kmach.dmap = h->dmap;
		kmach.vmemmap_reserve = h->reserve;
		h->memfd = -1;
	} else {
		kmach.memfd = memfd_create("hvo-kernel-phys", MFD_CLOEXEC);
		if (kmach.memfd < 0 || ftruncate(kmach.memfd, (off_t)l->mem_bytes) < 0) {
			snprintf(err, errlen, "cannot create the physical memory memfd: %s", strerror(errno));
			goto fail;
		}
		kmach.dmap = mmap(NULL, l->mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, kmach.memfd, 0);
		if (kmach.dmap == MAP_FAILED) {
			kmach.dmap = NULL;
			snprintf(err, errlen, "cannot map the direct map: %s", strerror(errno));
			goto fail;
		}
		kmach.vmemmap_reserve = mmap(NULL, kmach.vmemmap_reserve_len, PROT_NONE,
					     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (kmach.vmemmap_reserve == MAP_FAILED) {
			kmach.vmemmap_reserve = NULL;
			snprintf(err, errlen, "cannot reserve the vmemmap range: %s", strerror(errno));
			goto fail;
		}
	}
	kmach.vmemmap = (struct page *)(((unsigned long)kmach.vmemmap_reserve + PMD_SIZE - 1) & PMD_MASK);
	hvo_k_vmemmap = kmach.vmemmap;
	hvo_k_direct_map = kmach.dmap;

	kmach.pmds = calloc(kmach.nr_pmds, sizeof(pmd_t));
	kmach.state = calloc(kmach.nr_pfns, 1);
	kmach.mapcnt = calloc(kmach.nr_pfns, sizeof(*kmach.mapcnt));
	kmach.stalecnt = calloc(kmach.nr_pfns, sizeof(*kmach.stalecnt));
	kmach.freelist = malloc(kmach.low_pfns * sizeof(uint64_t));
	if (!kmach.pmds || !kmach.state || !kmach.freelist || !kmach.mapcnt || !kmach.stalecnt) {
		snprintf(err, errlen, "out of host memory");
		goto fail;
	}
	kmach.pud.pud = 1;
	kmach.pgd.pgd = 1;

	/* the first MiB is firmware's; the vmemmap blocks come next (memblock,
	 * 2 MiB aligned, as vmemmap_populate_hugepages asks for PMD_SIZE) */
	uint64_t pfn = PMD_SIZE >> PAGE_SHIFT;
	for (uint64_t i = 0; i < (1UL << 20) >> PAGE_SHIFT; i++)
		kmach.state[i] = KF_FIRMWARE;
	for (size_t i = 0; i < kmach.nr_pmds; i++, pfn += PTRS_PER_PTE) {
		if (pfn + PTRS_PER_PTE > kmach.low_pfns) {
			snprintf(err, errlen, "layout: the low region cannot hold the vmemmap");
			goto fail;
		}
		kmach.pmds[i].pmd = (pfn << PAGE_SHIFT) | _PAGE_PSE | _PAGE_TABLE;
		for (unsigned j = 0; j < PTRS_PER_PTE; j++) {
			kmach.state[pfn + j] = KF_MEMBLOCK;
			kmach.mapcnt[pfn + j] = 1;
		}
		kview_map((unsigned long)kmach.vmemmap + (i << PMD_SHIFT), pfn, PMD_SIZE, true);
	}
	/* memmap_init: every struct page, reserved ones with PG_reserved */
	for (uint64_t p = 0; p < kmach.nr_pfns; p++)
		init_struct_page(p, kmach.state[p] == KF_MEMBLOCK || kmach.state[p] == KF_FIRMWARE);
	/* x86 register_page_bootmem_memmap(): get_page_bootmem(SECTION_INFO)
	 * on every page of a PMD-mapped vmemmap block: refcount 2 */
	for (size_t i = 0; i < kmach.nr_pmds; i++) {
		uint64_t b = (kmach.pmds[i].pmd & PTE_PFN_MASK) >> PAGE_SHIFT;

		for (unsigned j = 0; j < PTRS_PER_PTE; j++) {
			struct page *p = &hvo_k_vmemmap[b + j];

			p->index = SECTION_INFO;
			p->flags |= BIT(PG_private);
			p->private = (b + j) >> (27 - PAGE_SHIFT);   /* section number */
			atomic_set(&p->_refcount, 2);
		}
	}
	kmach.memmap_boot_pages = (long)(kmach.nr_pmds * PTRS_PER_PTE);
	/* the order-0 free list: lowest pfn on top, so allocation order is
	 * deterministic and easy to read in a dump */
	for (uint64_t p = kmach.low_pfns; p-- > 0;)
		if (kmach.state[p] == KF_FREE)
			kmach.freelist[kmach.nr_free++] = p;
	return 0;
fail:
	kmach_destroy();
	return -1;
}

void kmach_destroy(void)
{
	uint64_t mem = kmach.nr_pfns << PAGE_SHIFT;

	if (keep_host && kmach.memfd >= 0 && kmach.dmap && kmach.vmemmap_reserve) {
		/* keep this host for the next machine of its size; drop an older one */
		struct host_slot *h = host_slot(mem);

		if (h->memfd >= 0) {
			munmap(h->reserve, h->reserve_len);
			munmap(h->dmap, h->mem_bytes);
			close(h->memfd);
		}
		h->memfd = kmach.memfd;
		h->dmap = kmach.dmap;
		h->reserve = kmach.vmemmap_reserve;
		h->reserve_len = kmach.vmemmap_reserve_len;
		h->mem_bytes = mem;
		kmach.memfd = -1;
		kmach.dmap = NULL;
		kmach.vmemmap_reserve = NULL;
	}
	if (kmach.vmemmap_reserve)
		munmap(kmach.vmemmap_reserve, kmach.vmemmap_reserve_len);
	if (kmach.dmap)
		munmap(kmach.dmap, mem);
	if (kmach.memfd >= 0)
		close(kmach.memfd);
	free(kmach.pmds);
	free(kmach.state);
	free(kmach.mapcnt);
	free(kmach.stalecnt);
	free(kmach.freelist);
	free(kmach.stale);
	memset(&kmach, 0, sizeof(kmach));
	kmach.memfd = -1;
	hvo_k_vmemmap = NULL;
	hvo_k_direct_map = NULL;
}

/* ------------------------------------------------------- huge frames */

int64_t kmach_alloc_huge(unsigned order)
{
	uint64_t n = 1UL << order;
	uint64_t start = (kmach.huge_base + n - 1) & ~(n - 1);

	for (uint64_t p = start; p + n <= kmach.nr_pfns; p += n) {
		uint64_t i;

		for (i = 0; i < n && kmach.state[p + i] == KF_FREE; i++)
			;
		if (i == n) {
			memset(kmach.state + p, KF_HUGE, n);
			return (int64_t)p;
		}
	}
	kmach.huge_full = true;
	return -1;
}

void kmach_free_huge(uint64_t pfn, unsigned order)
{
	memset(kmach.state + pfn, KF_FREE, 1UL << order);
}

/* ------------------------------------------------------------ faults */

static struct sigaction old_segv, old_bus;

static void fault_handler(int sig, siginfo_t *si, void *uc_)
{
	unsigned long a = (unsigned long)si->si_addr;
	unsigned long v0 = (unsigned long)kmach.vmemmap;
	ucontext_t *uc = uc_;
	bool write = false;

#if defined(__x86_64__)
	write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
#else
	(void)uc;
#endif
	if (kmach.recover && v0 && a >= v0 && a < v0 + kmach.vmemmap_bytes) {
		uint64_t pfn;
		bool rw;
		uint64_t spfn = (a - v0) / sizeof(struct page);

		if (kmach_translate(a & PAGE_MASK, &pfn, &rw))
			kmach_report("I10", spfn,
				     "%s of struct page of pfn 0x%llx (vmemmap +0x%lx) through a read-only vmemmap PTE "
				     "(frame 0x%llx): the host MMU refused it",
				     write ? "write" : "access", (unsigned long long)spfn, a - v0,
				     (unsigned long long)pfn);
		else
			kmach_report("FAULT", spfn, "access to unmapped vmemmap at +0x%lx (struct page of pfn 0x%llx)",
				     a - v0, (unsigned long long)spfn);
		siglongjmp(*kmach.recover, 1);
	}
	/* not ours: the default action, so a sanitizer or the shell sees it */
	sigaction(sig, sig == SIGSEGV ? &old_segv : &old_bus, NULL);
	raise(sig);
}

void kmach_install_fault_handler(void)
{
	static bool installed;
	struct sigaction sa;

	/* once: a second install would save this handler as the "old" one */
	if (installed)
		return;
	installed = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}
