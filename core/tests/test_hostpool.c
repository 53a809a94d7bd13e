// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_hostpool.c - struct hvo_host_pool: a block comes back only for the
 * same size and alignment, zeroed when asked, and (under ASan) a machine's
 * memory stays poisoned while pooled, so a use after destroy is still
 * reported, as without a pool.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"  /* hostpool.h: HOST_ASAN */
#include "tests.h"

#ifdef HOST_ASAN
/* In a child: read a struct page's host bytes after the machine is gone.
 * True when the child died (ASan's report), false when the read went by. */
static bool stale_read_dies(struct hvo_host_pool *pool)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct hvo_config c;
		struct hvo_machine *m;
		struct hvo_folio_info fi;
		char err[HVO_ERR_LEN];
		volatile const uint8_t *b;
		uint64_t frame;
		bool rw;
		int32_t id;

		hvo_config_default(&c);
		c.host_pool = pool;
		if (hvo_machine_create(&c, &m, err, sizeof(err)) || hvo_folio_alloc(m, 9, 0, HVO_ZONE_NORMAL, &id) ||
		    hvo_folio_info(m, id, &fi))
			_exit(0);
		b = vm_page_bytes(m, page_vaddr(m, fi.pfn), &frame, &rw);
		hvo_machine_destroy(m);
		if (!freopen("/dev/null", "w", stderr) || !b)
			_exit(0);
		(void)b[0];
		_exit(0);  /* reaching here: not caught */
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
#endif

int main(void)
{
	struct hvo_host_pool *pool = hvo_host_pool_create();
	uint8_t *a, *b, *c;
	bool zero = true;

	CHECK(pool != NULL);
	if (!pool)
		TESTS_DONE("test_hostpool");
	a = hpool_alloc(pool, 4096, 64, false);
	CHECK(a != NULL && (uintptr_t)a % 64 == 0);
	memset(a, 0xab, 4096);
	hpool_free(pool, a, 4096, 64);
	CHECK_EQ(hvo_host_pool_reused(pool), 0);
	/* another size or alignment is another block */
	b = hpool_alloc(pool, 4096 + 64, 64, false);
	c = hpool_alloc(pool, 4096, 128, false);
	CHECK(b != a && c != a);
	hpool_free(NULL, b, 4096 + 64, 64);
	hpool_free(NULL, c, 4096, 128);
	/* the same one comes back, zeroed as calloc would */
	b = hpool_alloc(pool, 4096, 64, true);
	CHECK(b == a);
	CHECK_EQ(hvo_host_pool_reused(pool), 1);
	for (unsigned i = 0; b && i < 4096; i++)
		zero &= b[i] == 0;
	CHECK(zero);
	hpool_free(pool, b, 4096, 64);
#ifdef HOST_ASAN
	CHECK(stale_read_dies(NULL));
	CHECK(stale_read_dies(pool));
#else
	fprintf(stderr, "test_hostpool: no ASan: use-after-destroy not tested here\n");
#endif
	hvo_host_pool_destroy(pool);
	TESTS_DONE("test_hostpool");
}
