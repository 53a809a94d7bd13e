// SPDX-License-Identifier: GPL-2.0-only
/*
 * ops_file.c - read an op stream from a file, write one to a file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* Whole file into a malloc'ed buffer; NULL with errno set on failure. */
uint8_t *hvo_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf, *p;
	int bad;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		p = realloc(buf, cap * 2);
		if (!p) {
			free(buf);
			buf = NULL;
			errno = ENOMEM;
			break;
		}
		buf = p;
		cap *= 2;
	}
	bad = ferror(f);
	fclose(f);
	if (buf && bad) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	*len = n;
	return buf;
}

int hvo_ops_load(const char *path, struct hvo_opstream *out, char *err, size_t errlen)
{
	size_t len = 0;
	uint8_t *text;
	int rc;

	hvo_ops_init(out);
	text = hvo_read_file(path, &len);
	if (!text) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	rc = hvo_ops_parse((const char *)text, len, path, out, err, errlen);
	free(text);
	return rc;
}

int hvo_ops_save(const struct hvo_opstream *s, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	rc = hvo_ops_print(s, f);
	if (fclose(f) || rc) {
		snprintf(err, errlen, "%s: write error", path);
		return -1;
	}
	return 0;
}
