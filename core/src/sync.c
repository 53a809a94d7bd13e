// SPDX-License-Identifier: GPL-2.0-only
/*
 * sync.c - the core's side of the sync seam (architecture rule 3).
 *
 * Every primitive with ordering meaning first calls the backend's sched()
 * (a scheduling point for the fiber scheduler, a place for an injected
 * racer in sequential runs), then does the access with C11 __atomic
 * builtins, which are correct for the plain and the threads backend alike
 * and visible to TSan.  Locks go to the backend; without one, a plain lock
 * that reports a self-deadlock instead of hanging.
 */
#include "internal.h"

void sync_point(struct hvo_machine *m, enum hvo_sync_point sp, const char *where)
{
	const struct hvo_sync_ops *ops = m->cfg.sync;

	if (ops && ops->sched)
		ops->sched(ops->ctx, sp, where);
}

/* The weak-memory backend, when there is one (issue 17). */
static const struct hvo_sync_ops *weak(const struct hvo_machine *m)
{
	const struct hvo_sync_ops *ops = m->cfg.sync;

	return ops && ops->load ? ops : NULL;
}

uint64_t weak_load(const struct hvo_machine *m, const void *p, uint64_t cur, unsigned mo)
{
	const struct hvo_sync_ops *ops = weak(m);

	return ops ? ops->load(ops->ctx, p, cur, mo) : cur;
}

void weak_store(const struct hvo_machine *m, const void *p, uint64_t old, uint64_t v, unsigned mo)
{
	const struct hvo_sync_ops *ops = weak(m);

	if (ops)
		ops->store(ops->ctx, p, old, v, mo);
}

uint64_t read_once(struct hvo_machine *m, const uint64_t *p, const char *where)
{
	sync_point(m, HVO_SP_READ_ONCE, where);
	return weak_load(m, p, __atomic_load_n(p, __ATOMIC_RELAXED), HVO_MO_RELAXED);
}

uint64_t load_acquire(struct hvo_machine *m, const uint64_t *p, const char *where)
{
	sync_point(m, HVO_SP_READ_ONCE, where);
	return weak_load(m, p, __atomic_load_n(p, __ATOMIC_ACQUIRE), HVO_MO_ACQUIRE);
}

void write_once(struct hvo_machine *m, uint64_t *p, uint64_t v, const char *where)
{
	uint64_t old;

	sync_point(m, HVO_SP_WRITE_ONCE, where);
	old = __atomic_exchange_n(p, v, __ATOMIC_RELAXED);
	weak_store(m, p, old, v, HVO_MO_RELAXED);
}

static uint64_t cmpxchg_mo(struct hvo_machine *m, uint64_t *p, uint64_t old, uint64_t new_, unsigned mo)
{
	uint64_t exp = old;
	/* the host access has the order too: TSan judges it (B17e's stress witness) */
	bool ok = mo == HVO_MO_FULL ?
		__atomic_compare_exchange_n(p, &exp, new_, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) :
		__atomic_compare_exchange_n(p, &exp, new_, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);

	if (mo == HVO_MO_FULL)
		smp_mb(m);
	/* an RMW reads the latest store; a failed one is only that load */
	(void)weak_load(m, p, exp, (mo & HVO_MO_ACQUIRE) | HVO_MO_RMW);
	if (ok)
		weak_store(m, p, old, new_, (mo & HVO_MO_RELEASE) | HVO_MO_RMW);
	if (mo == HVO_MO_FULL)
		smp_mb(m);
	return exp;
}

/* Kernel cmpxchg: fully ordered, returns the old value. */
uint64_t cmpxchg(struct hvo_machine *m, uint64_t *p, uint64_t old, uint64_t new_, const char *where)
{
	sync_point(m, HVO_SP_CMPXCHG, where);
	return cmpxchg_mo(m, p, old, new_, HVO_MO_FULL);
}

/* cmpxchg_relaxed(): no ordering at all (B17e). */
uint64_t cmpxchg_relaxed(struct hvo_machine *m, uint64_t *p, uint64_t old, uint64_t new_, const char *where)
{
	sync_point(m, HVO_SP_CMPXCHG, where);
	return cmpxchg_mo(m, p, old, new_, HVO_MO_RELAXED);
}

/* smp_wmb, smp_rmb, smp_mb: fences for a weak-memory backend; the host
 * accesses are sequentially consistent anyway. */
static void fence(const struct hvo_machine *m, enum hvo_mo mo)
{
	const struct hvo_sync_ops *ops = weak(m);

	if (ops)
		ops->fence(ops->ctx, mo);
}

void smp_wmb(struct hvo_machine *m) { fence(m, HVO_MO_RELEASE); }
void smp_rmb(struct hvo_machine *m) { fence(m, HVO_MO_ACQUIRE); }
void smp_mb(struct hvo_machine *m) { fence(m, HVO_MO_FULL); }

/* A page's contents, written with plain stores, as one weak location. */
void frame_publish(const struct hvo_machine *m, uint64_t pfn)
{
	const struct hvo_sync_ops *ops = weak(m);

	if (ops)
		ops->publish(ops->ctx, pfn);
}

bool frame_contents_seen(const struct hvo_machine *m, uint64_t pfn)
{
	const struct hvo_sync_ops *ops = weak(m);

	return !ops || ops->contents_seen(ops->ctx, pfn);
}

/* spin_lock, or with irq spin_lock_irq: IRQs go off before the spin, back
 * on after the unlock (lockdep.c keeps each CPU's state, I22). */
void mlock_irq(struct hvo_machine *m, enum hvo_lock l, bool irq)
{
	const struct hvo_sync_ops *ops = m->cfg.sync;

	if (irq)
		local_irq_disable(m);
	sync_point(m, HVO_SP_LOCK, l == HVO_LOCK_PAGE_TABLE ? "page_table_lock" : "hugetlb_lock");
	if (ops && ops->lock) {
		ops->lock(ops->ctx, l);
	} else {
		if (m->lock_held[l])
			hvo_violate(m, 0, UINT64_MAX, -1, "self-deadlock: lock %d taken twice", (int)l);
		m->lock_held[l] = true;
	}
	lockdep_acquired(m, l);
}

void munlock_irq(struct hvo_machine *m, enum hvo_lock l, bool irq)
{
	const struct hvo_sync_ops *ops = m->cfg.sync;

	lockdep_released(m, l);
	if (ops && ops->unlock)
		ops->unlock(ops->ctx, l);
	else
		m->lock_held[l] = false;
	if (irq)
		local_irq_enable(m);
}

/* The model's hugetlb_lock holders are the kernel's spin_lock_irq() callers
 * (mm/hugetlb.c never takes it with IRQs on); page_table_lock is a plain
 * spin_lock. */
void mlock(struct hvo_machine *m, enum hvo_lock l)
{
	mlock_irq(m, l, l == HVO_LOCK_HUGETLB);
}

void munlock(struct hvo_machine *m, enum hvo_lock l)
{
	munlock_irq(m, l, l == HVO_LOCK_HUGETLB);
}

/* RCU (spec 5.2, G1 only).  Without a backend the model simulates RCU for
 * the one CPU it runs on: a grace period waits for every reader that began
 * before it, and a reader of this very CPU can never finish while the
 * grace period waits, so that is reported instead of hanging. */
void rcu_read_lock(struct hvo_machine *m)
{
	const struct hvo_sync_ops *ops = m->cfg.sync;
	struct rcu_cpu *r;

	sync_point(m, HVO_SP_RCU_READ_LOCK, "rcu_read_lock");
	if (ops && ops->rcu_read_lock)
		ops->rcu_read_lock(ops->ctx);
	else
		m->rcu_readers++;
	/* the static key as this reader will see it until its section ends */
	r = &m->rcu_cpu[mach_cpu(m) % GP_CPUS];
	if (!r->nest++)
		r->key = __atomic_load_n(&m->g1_key, __ATOMIC_RELAXED);
}

void rcu_read_unlock(struct hvo_machine *m)
{
	const struct hvo_sync_ops *ops = m->cfg.sync;

	sync_point(m, HVO_SP_RCU_READ_UNLOCK, "rcu_read_unlock");
	m->rcu_cpu[mach_cpu(m) % GP_CPUS].nest--;
	if (ops && ops->rcu_read_unlock)
		ops->rcu_read_unlock(ops->ctx);
	else
		m->rcu_readers--;
}

void synchronize_rcu(struct hvo_machine *m)
{
	const struct hvo_sync_ops *ops = m->cfg.sync;

	sync_point(m, HVO_SP_RCU_SYNC, "synchronize_rcu");
	if (ops && ops->synchronize_rcu)
		ops->synchronize_rcu(ops->ctx);
	else if (m->rcu_readers)
		hvo_violate(m, 12, UINT64_MAX, -1, "synchronize_rcu() with %u reader(s) in progress on the only CPU: "
			    "the grace period can never end", m->rcu_readers);
	__atomic_fetch_add(&m->rcu_gp, 1, __ATOMIC_RELAXED);
	/* the batch running here, if any, counts it (I19) */
	unsigned *gp = *gp_slot(m);
	if (gp)
		(*gp)++;
}

/* A lock of the model's own bookkeeping (the TLB model's stale list): the
 * backend's lock without a scheduling point, since the kernel has no such
 * lock and no race to study there; the plain backend needs none. */
void model_lock(struct hvo_machine *m, enum hvo_lock l)
{
	const struct hvo_sync_ops *ops = m->cfg.sync;

	if (ops && ops->model_begin)
		ops->model_begin(ops->ctx);
	if (ops && ops->lock)
		ops->lock(ops->ctx, l);
}

void model_unlock(struct hvo_machine *m, enum hvo_lock l)
{
	const struct hvo_sync_ops *ops = m->cfg.sync;

	if (ops && ops->unlock)
		ops->unlock(ops->ctx, l);
	if (ops && ops->model_end)
		ops->model_end(ops->ctx);
}
