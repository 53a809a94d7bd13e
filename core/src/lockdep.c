// SPDX-License-Identifier: GPL-2.0-only
/*
 * lockdep.c - IRQ state and lock discipline per CPU (spec B15, 5.1, 6.6).
 *
 * hugetlb_lock is IRQ-safe: free_huge_folio() may run in interrupt context
 * and takes it with spin_lock_irqsave(), so every other holder must have
 * IRQs off on its CPU (spin_lock_irq), or an interrupt that frees a hugetlb
 * folio on that CPU spins on a lock its own CPU holds.  The model's
 * hugetlb_lock callers (mlock) are spin_lock_irq; spin_lock() here is the
 * plain form only B15 (seed v4's tail publication) uses.  Two checks, both
 * I22 (the harness's own invariant, issue 13 D10):
 *   - lockdep's rule: hugetlb_lock acquired while this CPU's IRQs are on
 *     ({IN-HARDIRQ-W} -> {HARDIRQ-ON-W}), whether an interrupt came or not;
 *   - an interrupt (hvo_irq_free_huge_folio, delivered by a caller or the
 *     fiber scheduler's irq hook) on a CPU that holds hugetlb_lock with IRQs
 *     on: the self-deadlock itself.
 * No kernel function mirrors this file: it stands for CONFIG_PROVE_LOCKING.
 */
#include "internal.h"

static struct lockdep_cpu *this_cpu(struct hvo_machine *m)
{
	return &m->ld_cpu[mach_cpu(m) % GP_CPUS];
}

void local_irq_disable(struct hvo_machine *m)
{
	this_cpu(m)->irq_off++;
}

void local_irq_enable(struct hvo_machine *m)
{
	this_cpu(m)->irq_off--;
}

/* Every lock the model takes comes through here once it is held (sync.c's
 * mlock_irq; an IRQ-disabling form has disabled them before spinning). */
void lockdep_acquired(struct hvo_machine *m, enum hvo_lock l)
{
	struct lockdep_cpu *c = this_cpu(m);

	if (l == HVO_LOCK_HUGETLB && !c->irq_off)
		hvo_violate(m, 22, UINT64_MAX, -1,
			    "hugetlb_lock taken with IRQs enabled on CPU %u: free_huge_folio() takes it from interrupt "
			    "context (spin_lock_irqsave), so an interrupt here self-deadlocks (lockdep: "
			    "{IN-HARDIRQ-W} -> {HARDIRQ-ON-W})", mach_cpu(m));
	c->held |= 1ull << l;
}

void lockdep_released(struct hvo_machine *m, enum hvo_lock l)
{
	this_cpu(m)->held &= ~(1ull << l);
}

/* spin_lock(&hugetlb_lock) as seed v4 wrote it: IRQs stay as they are. */
void spin_lock(struct hvo_machine *m, enum hvo_lock l)
{
	mlock_irq(m, l, false);
}

void spin_unlock(struct hvo_machine *m, enum hvo_lock l)
{
	munlock_irq(m, l, false);
}

/* An interrupt on the running CPU whose handler frees a hugetlb folio:
 * free_huge_folio()'s spin_lock_irqsave(&hugetlb_lock).  Only the lock is
 * modelled (the self-deadlock happens at it; the folio freed is no folio of
 * the machine's table).  1: not delivered, IRQs are off on this CPU (the
 * model drops it rather than keep it pending); 0: delivered, clean; -EBUSY:
 * delivered on a CPU that holds hugetlb_lock, which it would spin on
 * forever (I22; the handler returns instead of hanging). */
int hvo_irq_free_huge_folio(struct hvo_machine *m)
{
	struct lockdep_cpu *c = this_cpu(m);

	if (c->irq_off)
		return 1;
	if (c->held & (1ull << HVO_LOCK_HUGETLB)) {
		hvo_violate(m, 22, UINT64_MAX, -1,
			    "self-deadlock: an interrupt on CPU %u frees a hugetlb folio and spins on hugetlb_lock, "
			    "which the code it interrupted holds with IRQs enabled (B15)", mach_cpu(m));
		return -HVO_EBUSY;
	}
	mlock_irq(m, HVO_LOCK_HUGETLB, true);   /* spin_lock_irqsave */
	munlock_irq(m, HVO_LOCK_HUGETLB, true);
	return 0;
}
