// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_main.c - a standalone replay main for LLVMFuzzerTestOneInput targets
 * (no libFuzzer; builds with gcc): the crash-corpus regression runner of the
 * fuzzing=none builds.
 *
 *   fuzz_ops_replay FILE|DIR...
 *
 * A directory means its regular files, one level, sorted by name, except
 * hidden files and *.ops: the seed directories keep the text sources of
 * their binary seeds next to them (see fuzz/meson.build).  A file named on
 * the command line always runs.  LLVMFuzzerInitialize runs once, before the
 * inputs (as under libFuzzer); each input runs in a forked child, because a
 * target reports a failure by aborting.  One line per input, PASS or FAIL,
 * then a summary.  Exit status (README "Exit codes"): 0 every input ran
 * clean, 1 an input failed, 2 a usage error or an input that could not be
 * read (a missing file), 3 no input at all (an empty directory: nothing was
 * checked).  --help prints the usage, exit 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct list {
	char **v;
	size_t n, cap;
};

static int push(struct list *l, const char *s)
{
	char *dup = strdup(s);

	if (!dup)
		return -1;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		char **p = realloc(l->v, ncap * sizeof(*p));

		if (!p) {
			free(dup);
			return -1;
		}
		l->v = p;
		l->cap = ncap;
	}
	l->v[l->n++] = dup;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int skipped_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' || (n >= 4 && !strcmp(name + n - 4, ".ops"));
}

static int add_dir(struct list *l, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = l->n;
	char path[4096];
	struct stat st;

	if (!d) {
		fprintf(stderr, "fuzz replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (skipped_name(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!stat(path, &st) && S_ISREG(st.st_mode) && push(l, path)) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (l->n > first)  /* l->v may still be NULL */
		qsort(l->v + first, l->n - first, sizeof(*l->v), cmp_str);
	return 0;
}


/* clang's source-based coverage runtime (./hvo coverage builds with
 * -fprofile-instr-generate): a child leaving by _exit skips the atexit
 * hook that writes its profile, so it writes it first.  NULL elsewhere. */
extern int __llvm_profile_write_file(void) __attribute__((weak));

/* 0 pass, 1 fail (the child died or exited non-zero), 2 unreadable. */
static int run_one(const char *path)
{
	size_t len = 0;
	uint8_t *data = hvo_read_file(path, &len);
	pid_t pid;
	int st;

	if (!data) {
		printf("ERROR %s: cannot read: %s\n", path, strerror(errno));
		return 2;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		printf("ERROR %s: fork: %s\n", path, strerror(errno));
		free(data);
		return 2;
	}
	if (pid == 0) {
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		fflush(NULL);
		if (__llvm_profile_write_file)
			__llvm_profile_write_file();
		_exit(0);
	}
	free(data);
	if (waitpid(pid, &st, 0) != pid) {
		printf("ERROR %s: waitpid: %s\n", path, strerror(errno));
		return 2;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		printf("PASS %s (%zu bytes)\n", path, len);
		return 0;
	}
	if (WIFSIGNALED(st))
		printf("FAIL %s (signal %d)\n", path, WTERMSIG(st));
	else
		printf("FAIL %s (exit %d)\n", path, WEXITSTATUS(st));
	return 1;
}

int main(int argc, char **argv)
{
	struct list in = { 0 };
	size_t failed = 0, errors = 0;
	struct stat st;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s FILE|DIR...  (DIR: its files, one level, but not *.ops)\n"
			       "exit: 0 clean, 1 an input failed, 2 usage error or unreadable input, 3 no input\n", argv[0]);
			return 0;
		}
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...  (DIR: its files, one level, but not *.ops)\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int rc = !stat(argv[i], &st) && S_ISDIR(st.st_mode) ? add_dir(&in, argv[i]) : push(&in, argv[i]);

		if (rc)
			return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (size_t i = 0; i < in.n; i++) {
		int rc = run_one(in.v[i]);

		failed += rc == 1;
		errors += rc == 2;
		free(in.v[i]);
	}
	free(in.v);
	printf("replay: %zu inputs, %zu passed, %zu failed, %zu unreadable\n", in.n, in.n - failed - errors, failed,
	       errors);
	if (!in.n)
		fprintf(stderr, "%s: no inputs: nothing was checked\n", argv[0]);
	return errors ? 2 : failed ? 1 : in.n ? 0 : 3;
}
