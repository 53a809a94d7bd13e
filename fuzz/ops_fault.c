// SPDX-License-Identifier: GPL-2.0-only
/*
 * ops_fault.c - a write that bypasses the model's accessors and hits a
 * sealed shared tail page faults on the host (the page is mprotected).
 * While a run is on, a SIGSEGV handler turns that fault into an I10 line
 * naming the page and the op, then hands the signal on (to a fuzz engine's
 * handler, or the default action), so the crash is still seen and the
 * report is not lost.
 *
 * A signal handler can reach state only through a global: this file's one
 * piece of process state, set and cleared around each run.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ops_exec_int.h"

static const struct exec_ctx *volatile fault_ctx;
static struct sigaction fault_prev;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	const struct exec_ctx *c = fault_ctx;
	uint64_t pfn;

	if (c && c->m && hvo_sealed_frame_at(c->m, si->si_addr, &pfn)) {
		char line[192];
		int n = snprintf(line, sizeof(line), "VIOLATION I10 pfn=0x%" PRIx64 " folio=-1: host write fault on "
				 "a sealed shared tail page during op %zu\n", pfn, c->cur);

		if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
			n = 0;
	}
	sigaction(SIGSEGV, &fault_prev, NULL);
	if ((fault_prev.sa_flags & SA_SIGINFO) && fault_prev.sa_sigaction)
		fault_prev.sa_sigaction(sig, si, uc);
	else if (fault_prev.sa_handler != SIG_DFL && fault_prev.sa_handler != SIG_IGN)
		fault_prev.sa_handler(sig);
	else
		raise(sig);
}

void fault_report_begin(const struct exec_ctx *c)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	fault_ctx = c;
	sigaction(SIGSEGV, &sa, &fault_prev);
}

void fault_report_end(void)
{
	sigaction(SIGSEGV, &fault_prev, NULL);
	fault_ctx = NULL;
}
