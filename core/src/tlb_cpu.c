// SPDX-License-Identifier: GPL-2.0-only
/*
 * tlb_cpu.c - each simulated CPU's private TLB (spec 5.3 last rows, 5.4).
 *
 * On only when the sync backend asks for it (sync->cpu_tlb: the fiber
 * scheduler, whose CPUs take turns on one host thread).  A CPU's access
 * through the vmemmap uses its entry for the page when it has one, even if
 * the PTE has changed since; a miss walks the page tables and fills.  Only
 * a flush drops entries, on every CPU (a broadcast).  So a write through a
 * stale entry lands in the old frame (lost once the translation goes, B22's
 * hazard) and a stale entry to a frame back in the allocator is a use after
 * free (I12 at access time, B23's hazard).  Hardware may also evict: a
 * small direct-mapped array per CPU does that deterministically.
 *
 * The global list of stale translations (vmemmap.c) stays the conservative
 * oracle behind I12 at free time: hardware may fill speculatively, so the
 * kernel must flush before freeing whether or not a CPU used the entry.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define TLB_ENTRIES 128u   /* per CPU; a power of two */

struct tlb_entry {
	uint64_t vpn1;     /* virtual page number + 1; 0: empty */
	uint64_t frame;
	bool rw;
};

struct tlb_cpu {
	struct tlb_entry e[TLB_ENTRIES];
};

bool tlb_cpu_translate(struct hvo_machine *m, uint64_t page_va, uint64_t *frame, bool *rw)
{
	unsigned cpu = mach_cpu(m);
	uint64_t vpn = (page_va - m->vbase) >> m->geo.page_shift, now;
	struct tlb_entry *e;
	struct tlb_cpu *t;
	bool now_rw;

	if (cpu >= TLB_CPUS) {
		hvo_violate(m, 0, UINT64_MAX, -1, "cpu%u: the TLB model has room for %u CPUs", cpu, TLB_CPUS);
		return false;
	}
	if (m->observe[cpu])
		return vm_translate(m, page_va, frame, rw);
	t = m->cpu_tlb[cpu];
	if (!t) {
		t = m->cpu_tlb[cpu] = calloc(1, sizeof(*t));
		if (!t)
			abort(); /* host OOM: nothing sensible to model */
	}
	e = &t->e[vpn & (TLB_ENTRIES - 1)];
	if (e->vpn1 != vpn + 1) {
		if (!vm_translate(m, page_va, frame, rw))
			return false;   /* no entry for an unmapped page */
		*e = (struct tlb_entry){ vpn + 1, *frame, *rw };
		return true;
	}
	*frame = e->frame;
	*rw = e->rw;
	/* A stale hit: the PTE moved on and no flush reached this CPU yet. */
	if ((!vm_translate(m, page_va, &now, &now_rw) || now != e->frame) && !phys_lookup(m->phys, e->frame, NULL)) {
		hvo_violate(m, 12, e->frame, -1,
			    "cpu%u accesses freed page 0x%llx through a stale TLB entry for vmemmap 0x%llx",
			    cpu, (unsigned long long)e->frame, (unsigned long long)page_va);
		return false;
	}
	return true;
}

static void observe_add(struct hvo_machine *m, int delta)
{
	unsigned cpu;

	if (!tlb_cpu_enabled(m))
		return;
	cpu = mach_cpu(m);
	if (cpu < TLB_CPUS)
		m->observe[cpu] += (unsigned)delta;
}

void observe_begin(struct hvo_machine *m) { observe_add(m, 1); }
void observe_end(struct hvo_machine *m) { observe_add(m, -1); }

void tlb_cpu_flush(struct hvo_machine *m, uint64_t start, uint64_t end)
{
	uint64_t shift = m->geo.page_shift;
	uint64_t first = start <= m->vbase ? 0 : (start - m->vbase) >> shift;
	uint64_t last = end <= m->vbase ? 0 : ((end - m->vbase - 1) >> shift) + 1;  /* one past */

	if (!tlb_cpu_enabled(m))
		return;
	for (unsigned c = 0; c < TLB_CPUS; c++) {
		struct tlb_cpu *t = m->cpu_tlb[c];

		if (!t)
			continue;
		if (last - first < TLB_ENTRIES) {
			for (uint64_t vpn = first; vpn < last; vpn++)
				if (t->e[vpn & (TLB_ENTRIES - 1)].vpn1 == vpn + 1)
					t->e[vpn & (TLB_ENTRIES - 1)].vpn1 = 0;
			continue;
		}
		for (unsigned i = 0; i < TLB_ENTRIES; i++)
			if (t->e[i].vpn1 && t->e[i].vpn1 - 1 >= first && t->e[i].vpn1 - 1 < last)
				t->e[i].vpn1 = 0;
	}
}

bool tlb_cpu_cached(const struct hvo_machine *m, unsigned cpu, uint64_t vaddr, uint64_t *frame)
{
	uint64_t vpn = (vaddr - m->vbase) >> m->geo.page_shift;
	const struct tlb_cpu *t = cpu < TLB_CPUS ? m->cpu_tlb[cpu] : NULL;
	const struct tlb_entry *e = t ? &t->e[vpn & (TLB_ENTRIES - 1)] : NULL;

	if (!e || e->vpn1 != vpn + 1)
		return false;
	*frame = e->frame;
	return true;
}

void tlb_cpu_destroy(struct hvo_machine *m)
{
	for (unsigned c = 0; c < TLB_CPUS; c++) {
		free(m->cpu_tlb[c]);
		m->cpu_tlb[c] = NULL;
	}
}

/* m's CPU TLBs as copies of s's (machine_reset.c).  0 or -ENOMEM. */
int tlb_cpu_clone(struct hvo_machine *m, const struct hvo_machine *s)
{
	for (unsigned c = 0; c < TLB_CPUS; c++) {
		if (!s->cpu_tlb[c])
			continue;
		m->cpu_tlb[c] = malloc(sizeof(*m->cpu_tlb[c]));
		if (!m->cpu_tlb[c])
			return -HVO_ENOMEM;
		*m->cpu_tlb[c] = *s->cpu_tlb[c];
	}
	return 0;
}
