// SPDX-License-Identifier: GPL-2.0-only
/*
 * kshim.c - the out-of-line part of the shim (kernel_internal.h): page
 * tables, the TLB record, the page allocator, bootmem, RCU, static keys,
 * sysctl, WARN and BUG, over the machine of kmachine.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kmachine.h"
#include "kviews.h"

/* -------------------------------------------------- locks, keys [stubbed] */

void hvo_k_lock(int *depth)
{
	(*depth)++;
}

void hvo_k_unlock(int *depth)
{
	if (--(*depth) < 0)
		kmach_report("BUG", UINT64_MAX, "unlock of a lock that is not held");
}

void hvo_k_static_branch_inc(struct static_key_false *key)
{
	atomic_set(&key->enabled, atomic_read(&key->enabled) + 1);
}

void hvo_k_static_branch_dec(struct static_key_false *key)
{
	int v = atomic_read(&key->enabled) - 1;

	if (v < 0)
		kmach_report("WARN", UINT64_MAX, "static_branch_dec below zero (jump_label.c WARN)");
	atomic_set(&key->enabled, v);
}

/* ------------------------------------------------ WARN, BUG [customised] */

void hvo_k_warn(const char *file, int line, const char *cond)
{
	kmach.warns++;
	kmach_report("WARN", UINT64_MAX, "WARNING at %s:%d: %s", file, line, cond);
}

_Noreturn void hvo_k_bug(const char *file, int line, const char *cond)
{
	kmach_report("BUG", UINT64_MAX, "kernel BUG at %s:%d: %s", file, line, cond);
	if (kmach.recover)
		siglongjmp(*kmach.recover, 1);
	fprintf(stderr, "hvo-kernel: kernel BUG outside an op: %s:%d: %s\n", file, line, cond);
	abort();
}

/* --------------------------------------------------- sysctl [customised] */

int proc_dobool(const struct ctl_table *table, int write, void *buffer, size_t *lenp, long *ppos)
{
	(void)table, (void)write, (void)buffer, (void)lenp, (void)ppos;
	return 0;
}

void hvo_k_register_sysctl(const char *path, struct ctl_table *table, size_t n)
{
	kmach.sysctl_path = path;
	kmach.sysctl = table;
	kmach.nr_sysctl = n;
}

/* -------------------------------------------------------- RCU [machine] */

/* One thread: a grace period has nothing to wait for; it is counted (I19). */
void synchronize_rcu(void)
{
	kmach.rcu_syncs++;
}

/* ------------------------------------------------ page tables [machine] */

static uint64_t pte_pfn(unsigned long v) { return (v & PTE_PFN_MASK) >> PAGE_SHIFT; }

static size_t pmd_slot(unsigned long addr) { return (addr - (unsigned long)kmach.vmemmap) >> PMD_SHIFT; }

static bool in_vmemmap(unsigned long addr)
{
	return addr >= (unsigned long)kmach.vmemmap && addr < (unsigned long)kmach.vmemmap + kmach.vmemmap_bytes;
}

static pte_t *linked_table(size_t slot)
{
	pmd_t pmd = kmach.pmds[slot];

	if (pmd_none(pmd) || pmd_leaf(pmd))
		return NULL;
	return (pte_t *)(kmach.dmap + (pte_pfn(pmd.pmd) << PAGE_SHIFT));
}

bool kmach_table_linked(uint64_t pfn)
{
	for (size_t i = 0; i < kmach.nr_pmds; i++)
		if (!pmd_none(kmach.pmds[i]) && !pmd_leaf(kmach.pmds[i]) && pte_pfn(kmach.pmds[i].pmd) == pfn)
			return true;
	return false;
}

bool kmach_translate(unsigned long va, uint64_t *pfn, bool *rw)
{
	if (!in_vmemmap(va))
		return false;
	size_t slot = pmd_slot(va);
	pmd_t pmd = kmach.pmds[slot];

	if (pmd_none(pmd))
		return false;
	if (pmd_leaf(pmd)) {
		*pfn = pte_pfn(pmd.pmd) + pte_index(va);
		*rw = true;
		return true;
	}
	pte_t pte = linked_table(slot)[pte_index(va)];
	if (!(pte.pte & _PAGE_PRESENT))
		return false;
	*pfn = pte_pfn(pte.pte);
	*rw = !!(pte.pte & _PAGE_RW);
	return true;
}

static void stale_add(unsigned long va, uint64_t pfn)
{
	if (kmach.nr_stale == kmach.cap_stale) {
		size_t cap = kmach.cap_stale ? 2 * kmach.cap_stale : 1024;
		struct kstale *s = realloc(kmach.stale, cap * sizeof(*s));

		if (!s) {
			fprintf(stderr, "hvo-kernel: out of host memory\n");
			abort();
		}
		kmach.stale = s;
		kmach.cap_stale = cap;
	}
	kmach.stale[kmach.nr_stale++] = (struct kstale){ va, pfn };
	kmach.stalecnt[pfn]++;
}

static void flush_range(unsigned long start, unsigned long end)
{
	size_t j = 0;

	for (size_t i = 0; i < kmach.nr_stale; i++)
		if (kmach.stale[i].va < start || kmach.stale[i].va >= end)
			kmach.stale[j++] = kmach.stale[i];
		else
			kmach.stalecnt[kmach.stale[i].pfn]--;
	kmach.nr_stale = j;
}

void flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
	kmach.flush_range++;
	flush_range(start, end);
}

void flush_tlb_all(void)
{
	kmach.flush_all++;
	for (size_t i = 0; i < kmach.nr_stale; i++)
		kmach.stalecnt[kmach.stale[i].pfn]--;
	kmach.nr_stale = 0;
}

void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte)
{
	(void)mm;
	kmach.pte_sets++;
	pte_t old = *ptep;

	WRITE_ONCE(ptep->pte, pte.pte);
	if (!in_vmemmap(addr))
		return;
	size_t slot = pmd_slot(addr);
	if (linked_table(slot) != ptep - pte_index(addr))
		return;   /* a table not linked yet (the split's local __pmd) */
	if (old.pte & _PAGE_PRESENT)
		kmach.mapcnt[pte_pfn(old.pte)]--;
	if (pte.pte & _PAGE_PRESENT)
		kmach.mapcnt[pte_pfn(pte.pte)]++;
	if ((old.pte & _PAGE_PRESENT) && pte_pfn(old.pte) != pte_pfn(pte.pte))
		stale_add(addr & PAGE_MASK, pte_pfn(old.pte));
	if (pte.pte & _PAGE_PRESENT)
		kview_map(addr & PAGE_MASK, pte_pfn(pte.pte), PAGE_SIZE, !!(pte.pte & _PAGE_RW));
	else
		kview_unmap(addr & PAGE_MASK, PAGE_SIZE);
}

void pmd_populate_kernel(struct mm_struct *mm, pmd_t *pmd, pte_t *pte)
{
	(void)mm;
	uint64_t tpfn = (uint64_t)((unsigned char *)pte - kmach.dmap) >> PAGE_SHIFT;
	pmd_t old = *pmd;

	WRITE_ONCE(pmd->pmd, (tpfn << PAGE_SHIFT) | _PAGE_TABLE);
	if (pmd < kmach.pmds || pmd >= kmach.pmds + kmach.nr_pmds)
		return;   /* a local pmd_t */
	unsigned long base = (unsigned long)kmach.vmemmap + ((unsigned long)(pmd - kmach.pmds) << PMD_SHIFT);

	/* the host view follows the new table; what changed is stale until
	 * a flush covers it */
	for (unsigned i = 0; i < PTRS_PER_PTE; i++) {
		unsigned long va = base + i * PAGE_SIZE;
		uint64_t opfn = 0;
		bool old_present = false;

		if (pmd_leaf(old)) {
			opfn = pte_pfn(old.pmd) + i;
			old_present = true;
		} else if (!pmd_none(old)) {
			pte_t o = ((pte_t *)(kmach.dmap + (pte_pfn(old.pmd) << PAGE_SHIFT)))[i];

			old_present = !!(o.pte & _PAGE_PRESENT);
			opfn = pte_pfn(o.pte);
		}
		pte_t n = pte[i];
		if (old_present)
			kmach.mapcnt[opfn]--;
		if (n.pte & _PAGE_PRESENT)
			kmach.mapcnt[pte_pfn(n.pte)]++;
		bool same = old_present && (n.pte & _PAGE_PRESENT) && pte_pfn(n.pte) == opfn && (n.pte & _PAGE_RW);

		if (old_present && !(same && pmd_leaf(old)))
			stale_add(va, opfn);
		if (same && pmd_leaf(old))
			continue;   /* the 2 MiB view already shows this frame RW */
		if (n.pte & _PAGE_PRESENT)
			kview_map(va, pte_pfn(n.pte), PAGE_SIZE, !!(n.pte & _PAGE_RW));
		else
			kview_unmap(va, PAGE_SIZE);
	}
}

/* The upper levels: one of each, leading to the machine's PMD table. */
pgd_t *pgd_offset_k(unsigned long addr)
{
	(void)addr;
	return &kmach.pgd;
}

pud_t *pud_offset(p4d_t *p4d, unsigned long addr)
{
	(void)p4d, (void)addr;
	return &kmach.pud;
}

pmd_t *pmd_offset(pud_t *pud, unsigned long addr)
{
	(void)pud;
	if (!in_vmemmap(addr))
		hvo_k_bug(__FILE__, __LINE__, "pmd_offset outside the vmemmap");
	return &kmach.pmds[pmd_slot(addr)];
}

pmd_t *pmd_off_k(unsigned long addr)
{
	return pmd_offset(NULL, addr);
}

/* -------------------------------------------- the page walker [duplicated] */
/* mm/pagewalk.c (6.12): walk_kernel_page_table_range -> walk_pmd_range ->
 * walk_pte_range_inner, for a range inside the vmemmap (no vma: leaves and
 * non-present PMDs are not descended into). */
int walk_kernel_page_table_range(unsigned long start, unsigned long end, const struct mm_walk_ops *ops,
				 pgd_t *pgd, void *private)
{
	struct mm_walk walk = { .ops = ops, .mm = &init_mm, .pgd = pgd, .private = private, .no_vma = true };
	unsigned long addr = start, next;
	int err = 0;

	if (start >= end)
		return -EINVAL;
	if (!in_vmemmap(start) || !in_vmemmap(end - 1))
		hvo_k_bug(__FILE__, __LINE__, "walk outside the vmemmap");
	do {
		pmd_t *pmd = &kmach.pmds[pmd_slot(addr)];
again:
		walk.action = ACTION_SUBTREE;
		next = pmd_addr_end(addr, end);
		if (pmd_none(*pmd)) {
			if (ops->pte_hole)
				err = ops->pte_hole(addr, next, 3, &walk);
			if (err)
				break;
			continue;
		}
		if (ops->pmd_entry)
			err = ops->pmd_entry(pmd, addr, next, &walk);
		if (err)
			break;
		if (walk.action == ACTION_AGAIN)
			goto again;
		if (pmd_leaf(*pmd) || !pmd_present(*pmd) || walk.action == ACTION_CONTINUE || !ops->pte_entry)
			continue;
		pte_t *pte = pte_offset_kernel(pmd, addr);
		for (unsigned long a = addr;; a += PAGE_SIZE, pte++) {
			err = ops->pte_entry(pte, a, a + PAGE_SIZE, &walk);
			if (err || a >= next - PAGE_SIZE)
				break;
		}
		if (err)
			break;
	} while (addr = next, addr != end);
	return err;
}

/* ------------------------------------------------- allocator [machine] */

bool kmach_should_fail(int site)
{
	uint64_t sc = ++kmach.site_calls[site], c = ++kmach.calls;

	return kmach.fail && kmach.fail(kmach.fail_ctx, site, sc, c);
}

static struct page *alloc_frame(int site)
{
	if (kmach_should_fail(site) || kmach.nr_free == 0)
		return NULL;
	uint64_t pfn = kmach.freelist[--kmach.nr_free];
	struct page *p = pfn_to_page(pfn);

	kmach.state[pfn] = KF_BUDDY;
	/* init_on_alloc=1 (Debian's default) */
	memset(kmach.dmap + (pfn << PAGE_SHIFT), 0, PAGE_SIZE);
	/* post_alloc_hook/set_page_refcounted: a fresh page holds one ref */
	p->flags = (0UL << KG_NODE_SHIFT) | (KG_ZONE_NORMAL << KG_ZONE_SHIFT);
	p->mapping = NULL;
	p->private = 0;
	p->index = 0;
	INIT_LIST_HEAD(&p->lru);
	atomic_set(&p->_mapcount, -1);
	atomic_set(&p->_refcount, 1);
	return p;
}

struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	(void)gfp;
	if (nid != 0 || order != 0) {
		kmach_report("SHIM", UINT64_MAX, "alloc_pages_node(nid %d, order %u): the lane has node 0, order 0", nid,
			     order);
		return NULL;
	}
	return alloc_frame(kmach.cur_site);
}

pte_t *pte_alloc_one_kernel(struct mm_struct *mm)
{
	(void)mm;
	struct page *p = alloc_frame(KS_PTE_TABLE);

	if (!p)
		return NULL;
	kmach.state[page_to_pfn(p)] = KF_PTABLE;
	return page_to_virt(p);
}

/* The frame goes back on the free list; I12 if a translation still
 * reaches it, mapped or not yet flushed. */
static void release_frame(uint64_t pfn, const char *how)
{
	/* the counts say whether anything reaches the frame; only then is it
	 * worth finding where, for the report */
	if (kmach.mapcnt[pfn] == 0 && kmach.stalecnt[pfn] == 0)
		goto free;
	for (size_t i = 0; i < kmach.nr_pmds; i++) {
		unsigned long base = (unsigned long)kmach.vmemmap + (i << PMD_SHIFT);

		if (pmd_leaf(kmach.pmds[i])) {
			uint64_t b = pte_pfn(kmach.pmds[i].pmd);

			if (pfn >= b && pfn < b + PTRS_PER_PTE)
				kmach_report("I12", pfn, "%s frees frame 0x%llx while the vmemmap PMD leaf at +0x%lx maps it",
					     how, (unsigned long long)pfn, base - (unsigned long)kmach.vmemmap);
			continue;
		}
		pte_t *t = linked_table(i);
		for (unsigned j = 0; t && j < PTRS_PER_PTE; j++)
			if ((t[j].pte & _PAGE_PRESENT) && pte_pfn(t[j].pte) == pfn)
				kmach_report("I12", pfn, "%s frees frame 0x%llx while the vmemmap PTE at +0x%lx maps it",
					     how, (unsigned long long)pfn,
					     base + j * PAGE_SIZE - (unsigned long)kmach.vmemmap);
	}
	for (size_t i = 0; i < kmach.nr_stale; i++)
		if (kmach.stale[i].pfn == pfn)
			kmach_report("I12", pfn,
				     "%s frees frame 0x%llx before a TLB flush covers its old translation at vmemmap +0x%lx",
				     how, (unsigned long long)pfn, kmach.stale[i].va - (unsigned long)kmach.vmemmap);
free:
	kmach.state[pfn] = KF_FREE;
	kmach.freelist[kmach.nr_free++] = pfn;
}

void pte_free_kernel(struct mm_struct *mm, pte_t *pte)
{
	(void)mm;
	uint64_t pfn = (uint64_t)((unsigned char *)pte - kmach.dmap) >> PAGE_SHIFT;

	if (kmach.state[pfn] != KF_PTABLE) {
		kmach_report("BAD_PAGE", pfn, "pte_free_kernel of frame 0x%llx, which is not a PTE table",
			     (unsigned long long)pfn);
		return;
	}
	if (kmach_table_linked(pfn))
		kmach_report("I12", pfn, "pte_free_kernel of a PTE table still linked into the vmemmap");
	atomic_set(&pfn_to_page(pfn)->_refcount, 0);
	release_frame(pfn, "pte_free_kernel");
}

/* free_pages_prepare()'s checks of an order-0 page (mm/page_alloc.c
 * page_bad_reason), as the lane can see them [customised]. */
static const char *bad_reason(const struct page *p)
{
	if (atomic_read(&p->_mapcount) != -1)
		return "nonzero mapcount";
	if (p->mapping)
		return "non-NULL mapping";
	if (p->flags & (BIT(PG_head) | BIT(PG_reserved) | BIT(PG_private) | BIT(PG_lru) | BIT(PG_locked)))
		return "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";
	return NULL;
}

static void free_one(struct page *page, const char *how)
{
	uint64_t pfn = page_to_pfn(page);
	const char *why;

	if (pfn >= kmach.low_pfns || kmach.state[pfn] != KF_BUDDY) {
		kmach_report("BAD_PAGE", pfn, "%s of frame 0x%llx, which the kernel file does not hold (state %d): "
			     "double free or a stray pointer", how, (unsigned long long)pfn,
			     pfn < kmach.nr_pfns ? kmach.state[pfn] : -1);
		return;
	}
	/* put_page_testzero */
	int r = atomic_read(&page->_refcount) - 1;
	atomic_set(&page->_refcount, r);
	if (r > 0)
		return;
	if (r < 0) {
		kmach_report("BAD_PAGE", pfn, "%s: refcount of frame 0x%llx went below zero", how,
			     (unsigned long long)pfn);
		return;
	}
	why = bad_reason(page);
	if (why)
		kmach_report("BAD_PAGE", pfn, "BUG: Bad page state: frame 0x%llx freed by %s: %s", (unsigned long long)pfn,
			     how, why);
	release_frame(pfn, how);
}

void __free_pages(struct page *page, unsigned int order)
{
	if (order != 0) {
		kmach_report("SHIM", UINT64_MAX, "__free_pages order %u: the lane frees order 0 only", order);
		return;
	}
	free_one(page, "__free_page");
}

void split_page(struct page *page, unsigned int order)
{
	/* only non-reserved (hot-plugged) vmemmap blocks are split; the
	 * lane's blocks are all boot memblock, so this is never reached on a
	 * correct walk */
	kmach_report("SHIM", page_to_pfn(page), "split_page(order %u) of a block the lane never hands out", order);
}

void free_bootmem_page(struct page *page)
{
	uint64_t pfn = page_to_pfn(page);
	unsigned long magic = page->index;

	if (pfn >= kmach.low_pfns || kmach.state[pfn] != KF_MEMBLOCK) {
		kmach_report("BAD_PAGE", pfn, "free_bootmem_page of frame 0x%llx, which is not a boot vmemmap page",
			     (unsigned long long)pfn);
		return;
	}
	/* bootmem_info.h: VM_BUG_ON_PAGE(page_ref_count(page) != 2) */
	if (page_ref_count(page) != 2)
		hvo_k_bug(__FILE__, __LINE__, "free_bootmem_page: page_ref_count(page) != 2");
	if (magic != SECTION_INFO && magic != MIX_SECTION_INFO)
		hvo_k_bug(__FILE__, __LINE__, "free_bootmem_page: bad bootmem magic");
	/* put_page_bootmem -> free_reserved_page */
	page->flags &= ~(BIT(PG_private) | BIT(PG_reserved));
	page->private = 0;
	page->index = 0;
	INIT_LIST_HEAD(&page->lru);
	atomic_set(&page->_refcount, 0);
	release_frame(pfn, "free_bootmem_page");
}

void memmap_pages_add(long delta)
{
	kmach.memmap_pages += delta;
}

void memmap_boot_pages_add(long delta)
{
	kmach.memmap_boot_pages += delta;
}
