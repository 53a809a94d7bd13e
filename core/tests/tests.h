/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests.h - the unit-test harness: CHECK records a failure with its
 * location and carries on; each file's main ends with TESTS_DONE(name),
 * which prints "<name>: N passed, N failed" and sets the exit code.
 */
#ifndef HVO_TESTS_H
#define HVO_TESTS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvo/hvo.h"

static unsigned tests_passed, tests_failed;

#define CHECK(cond) do { \
	if (cond) { tests_passed++; } else { tests_failed++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ(a, b) do { \
	unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
	if (_a == _b) { tests_passed++; } else { tests_failed++; \
		fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = 0x%llx, %s = 0x%llx\n", __FILE__, __LINE__, \
			#a, _a, #b, _b); } \
} while (0)

#define TESTS_DONE(name) do { \
	printf("%s: %u passed, %u failed\n", name, tests_passed, tests_failed); \
	return tests_failed ? EXIT_FAILURE : EXIT_SUCCESS; \
} while (0)

static inline void tests_log(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "  | %s\n", line);
}

/* A machine from the default config with tweaks; aborts the test on failure. */
static inline struct hvo_machine *tests_machine(const struct hvo_config *cfg)
{
	struct hvo_machine *m;
	char err[HVO_ERR_LEN];

	if (hvo_machine_create(cfg, &m, err, sizeof(err))) {
		fprintf(stderr, "machine refused: %s\n", err);
		exit(EXIT_FAILURE);
	}
	return m;
}

/* Run the checker; on a violation print it with the dump and count a failure. */
#define CHECK_CLEAN(m) do { \
	int _inv = hvo_check(m); \
	CHECK(_inv == 0 && !hvo_violation(m)); \
	if (_inv || hvo_violation(m)) hvo_dump(m, tests_log, NULL); \
} while (0)

#endif
