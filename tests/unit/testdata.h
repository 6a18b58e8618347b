/* testdata.h - for unit tests that read known-answer files from tests/data
 * (found beside this source file) and decode their hex. Header-only. */
#ifndef SC_TESTDATA_H
#define SC_TESTDATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tests/data/<name>, from this file's own path (CMake compiles with
 * absolute source paths). */
static inline char *td_path(const char *name)
{
	const char *here = __FILE__, *slash = strrchr(here, '/');
	size_t dir = slash != NULL ? (size_t)(slash - here) : 0;
	char *p = malloc(dir + strlen(name) + 16);

	if (p == NULL)
		abort();
	if (dir == 0)
		snprintf(p, dir + strlen(name) + 16, "../data/%s", name);
	else
		snprintf(p, dir + strlen(name) + 16, "%.*s/../data/%s", (int)dir, here, name);
	return p;
}

/* Whole file, NUL-terminated; aborts when it cannot be read. */
static inline char *td_read(const char *name, size_t *len)
{
	char *path = td_path(name), *buf;
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		abort();
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		abort();
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	buf[n] = '\0';
	fclose(f);
	free(path);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

/* Decode hex (either case) into a malloc'd buffer with a spare byte; NULL
 * for odd length or a non-hex digit. */
static inline unsigned char *td_unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex), i;
	unsigned char *out;

	if (n % 2 != 0)
		return NULL;
	out = malloc(n / 2 + 1);
	if (out == NULL)
		abort();
	for (i = 0; i < n / 2; i++) {
		unsigned int b;
		char two[3] = {hex[2 * i], hex[2 * i + 1], 0};
		char *end;

		b = (unsigned int)strtoul(two, &end, 16);
		if (*end != '\0' || two[0] == '+' || two[0] == '-' || two[0] == ' ') {
			free(out);
			return NULL;
		}
		out[i] = (unsigned char)b;
	}
	*len = n / 2;
	return out;
}

#endif
