/*
 * ops_file.c - read an op stream from a file, write one to a file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* Whole file into a malloc'ed buffer. */
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *p;

	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		p = realloc(buf, cap * 2);
		if (!p) {
			free(buf);
			return NULL;
		}
		buf = p;
		cap *= 2;
	}
	*len = n;
	return buf;
}

int hvo_ops_load(const char *path, struct hvo_opstream *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t len = 0;
	char *text;
	int rc;

	hvo_ops_init(out);
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	text = read_all(f, &len);
	rc = ferror(f);
	fclose(f);
	if (!text || rc) {
		snprintf(err, errlen, "%s: cannot read%s", path, text ? "" : ": out of memory");
		free(text);
		return -1;
	}
	rc = hvo_ops_parse(text, len, path, out, err, errlen);
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
