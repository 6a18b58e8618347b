/* fuzz_sanitize.c - differential fuzzing of the streaming sanitizer against
 * a slow, obviously correct reference of the semantics in sanitize.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secretctl/sanitize.h"
#include "run/sanitize_int.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static int sink(void *arg, const uint8_t *p, size_t n)
{
	buf_add(arg, p, n);
	return 0;
}

struct iv {
	size_t s, e, pat;
};

static int iv_cmp(const void *a, const void *b)
{
	const struct iv *x = a, *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->e != y->e)
		return x->e > y->e ? -1 : 1; /* longer first */
	return 0;
}

/* Every occurrence of every pattern by memcmp at every offset; occurrences
 * sharing a byte joined; each component replaced by the label of the
 * longest occurrence at its first byte. */
static void reference(const struct sc_sanitizer *z, const uint8_t *in, size_t len, struct buf *out)
{
	size_t np = sc_sanitizer_pattern_count(z), i, k, n = 0, cap = 16, pos = 0;
	struct iv *v = malloc(cap * sizeof(*v));
	const uint8_t *p;
	size_t plen;

	if (v == NULL)
		abort();
	if (in == NULL)
		in = (const uint8_t *)"";
	for (i = 0; i < np; i++) {
		if (sc_sanitizer_pattern(z, i, &p, &plen, NULL) != SC_OK)
			abort();
		for (k = 0; k + plen <= len; k++) {
			if (memcmp(in + k, p, plen) != 0)
				continue;
			if (n == cap) {
				cap *= 2;
				v = realloc(v, cap * sizeof(*v));
				if (v == NULL)
					abort();
			}
			v[n].s = k;
			v[n].e = k + plen;
			v[n].pat = i;
			n++;
		}
	}
	qsort(v, n, sizeof(*v), iv_cmp);
	for (i = 0; i < n;) {
		size_t cs = v[i].s, ce = v[i].e, pat = v[i].pat;
		const char *r = sc_sanitizer_replacement(z, pat);

		for (i++; i < n && v[i].s < ce; i++)
			if (v[i].e > ce)
				ce = v[i].e;
		buf_add(out, in + pos, cs - pos);
		buf_add(out, r, strlen(r));
		pos = ce;
	}
	buf_add(out, in + pos, len - pos);
	free(v);
}

static uint32_t next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char small[] = "aAb=+/%\n";
	static int inited;
	struct sc_sanitizer *z = NULL;
	struct sc_sanitize_stream *st = NULL;
	struct buf in = {0}, got = {0}, want = {0};
	uint8_t sec[4][40];
	size_t nsec, i, k, slen[4], off;
	uint32_t seed;
	int mode, ninject;
	char label[8];

	if (!inited) {
		if (sc_init() != SC_OK)
			abort();
		inited = 1;
	}
	if (size < 4)
		return 0;
	memset(slen, 0, sizeof(slen));
	nsec = 1 + (data[0] & 3);
	mode = (data[0] >> 2) & 1;    /* small alphabet: many overlaps */
	ninject = (data[0] >> 3) & 3; /* patterns pasted into the input */
	seed = (uint32_t)data[1] << 8 | data[2] | 1;
	off = 3;
	for (i = 0; i < nsec; i++) {
		if (off >= size)
			return 0;
		slen[i] = data[off++] % 24;
		if (off + slen[i] > size)
			return 0;
		for (k = 0; k < slen[i]; k++)
			sec[i][k] = mode ? (uint8_t)small[data[off + k] & 7] : data[off + k];
		off += slen[i];
	}
	in.cap = size + 64;
	in.p = malloc(in.cap);
	if (in.p == NULL)
		abort();
	for (k = off; k < size; k++) {
		uint8_t c = mode ? (uint8_t)small[data[k] & 7] : data[k];

		buf_add(&in, &c, 1);
	}

	if (sc_sanitizer_new(&z) != SC_OK)
		abort();
	for (i = 0; i < nsec; i++) {
		int added;

		label[0] = 'S';
		label[1] = (char)('0' + i);
		label[2] = '\0';
		if (sc_sanitizer_add(z, sec[i], slen[i], label, &added) != SC_OK)
			abort();
		if (added != (slen[i] >= SC_SANITIZE_MIN_LEN))
			abort();
	}
	if (sc_sanitizer_compile(z) != SC_OK)
		abort();
	/* paste some expanded patterns at positions picked by the PRNG */
	for (i = 0; i < (size_t)ninject && sc_sanitizer_pattern_count(z) > 0; i++) {
		const uint8_t *p;
		size_t plen, at = in.len ? next(&seed) % (in.len + 1) : 0;
		size_t pi = next(&seed) % sc_sanitizer_pattern_count(z);
		struct buf t = {0};

		if (sc_sanitizer_pattern(z, pi, &p, &plen, NULL) != SC_OK)
			abort();
		buf_add(&t, in.p, at);
		buf_add(&t, p, plen);
		buf_add(&t, in.p + at, in.len - at);
		free(in.p);
		in = t;
	}

	reference(z, in.p, in.len, &want);

	if (sc_sanitize_stream_new(z, &st) != SC_OK)
		abort();
	for (off = 0; off < in.len;) {
		uint32_t r = next(&seed);
		size_t n = 1 + (r >> 8) % ((size_t)1 << (r % 18));

		if (n > in.len - off)
			n = in.len - off;
		if (sc_sanitize_feed(st, in.p + off, n, sink, &got) != SC_OK)
			abort();
		off += n;
	}
	if (sc_sanitize_finish(st, sink, &got) != SC_OK)
		abort();
	if (got.len != want.len || (got.len && memcmp(got.p, want.p, got.len) != 0))
		abort();

	sc_sanitize_stream_free(st);
	sc_sanitizer_free(z);
	free(in.p);
	free(got.p);
	free(want.p);
	return 0;
}
