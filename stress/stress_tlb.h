/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stress_tlb.h - the grace periods of the stress TLB model (stress_sync.h),
 * in an RCU domain of their own (urcu-mb), apart from the core's G1 RCU
 * (urcu-memb): a flush waits for the walkers' accesses in flight, never for
 * a G1 read-side section (spec 5.2, 5.4: a shootdown IPI lands between two
 * instructions of a walker, whether or not it holds rcu_read_lock).
 */
#ifndef HVO_STRESS_TLB_H
#define HVO_STRESS_TLB_H

void tlb_thread_start(void);
void tlb_thread_stop(void);
void tlb_access_begin(void);
void tlb_access_end(void);
/* The shootdown: returns once every access begun before it has ended. */
void tlb_flush_wait(void);

#endif
