// SPDX-License-Identifier: GPL-2.0-only
/*
 * stress_tlb.c - the TLB model's RCU domain (see stress_tlb.h).  A file of
 * its own: urcu-mb's header maps the rcu_* names to its flavor, as
 * urcu-memb's does in stress_sync.c.
 */
/* never _LGPL_SOURCE: its inlined futex code races under TSan (toolchain.md) */
#include <urcu/urcu-mb.h>

#include "stress_tlb.h"

void tlb_thread_start(void) { urcu_mb_register_thread(); }
void tlb_thread_stop(void) { urcu_mb_unregister_thread(); }
void tlb_access_begin(void) { urcu_mb_read_lock(); }
void tlb_access_end(void) { urcu_mb_read_unlock(); }
void tlb_flush_wait(void) { urcu_mb_synchronize_rcu(); }
