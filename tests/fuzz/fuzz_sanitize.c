/* fuzz_sanitize.c - differential fuzzing of the streaming sanitizer against
 * a slow, obviously correct reference of the semantics in sanitize.h, with
 * its own encoder of every form docs/SANITIZER.md lists: the sanitizer's
 * pattern set must be exactly the encoder's (so a form it stops producing,
 * or produces wrongly, is found), and the reference redacts by the
 * encoder's set, not the sanitizer's. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
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

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static int sink(void *arg, const uint8_t *p, size_t n)
{
	buf_add(arg, p, n);
	return 0;
}

/* ---- the independent encoder: a set of (bytes, label) ---- */

struct epat {
	uint8_t *p;
	size_t n;
	char repl[32];
};

struct eset {
	struct epat *v;
	size_t n, cap;
};

/* Adds b as a pattern of the value labelled `label` unless it is too short
 * or already there (the first value's label is kept). */
static void eset_add(struct eset *s, struct buf *b, const char *label)
{
	size_t i;

	if (b->len >= SC_SANITIZE_MIN_LEN) {
		for (i = 0; i < s->n; i++)
			if (s->v[i].n == b->len && memcmp(s->v[i].p, b->p, b->len) == 0)
				break;
		if (i == s->n) {
			if (s->n == s->cap) {
				s->cap = s->cap ? 2 * s->cap : 64;
				s->v = realloc(s->v, s->cap * sizeof(*s->v));
				if (s->v == NULL)
					abort();
			}
			s->v[s->n].p = malloc(b->len);
			if (s->v[s->n].p == NULL)
				abort();
			memcpy(s->v[s->n].p, b->p, b->len);
			s->v[s->n].n = b->len;
			snprintf(s->v[s->n].repl, sizeof(s->v[s->n].repl), "[REDACTED:%s]", label);
			s->n++;
		}
	}
	b->len = 0;
}

static void eset_free(struct eset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].p);
	free(s->v);
}

static void enc_hex(struct buf *b, const uint8_t *v, size_t n, bool upper)
{
	char t[3];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(t, sizeof(t), upper ? "%02X" : "%02x", v[i]);
		buf_add(b, t, 2);
	}
}

/* bit j of the stream of k zero bytes and then v, most significant first */
static unsigned stream_bit(const uint8_t *v, size_t k, size_t n, size_t j)
{
	if (j < 8 * k || j >= 8 * (k + n))
		return 0;
	j -= 8 * k;
	return (v[j / 8] >> (7 - j % 8)) & 1;
}

static char b64_char(const uint8_t *v, size_t k, size_t n, size_t i, bool url)
{
	static const char std[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned x = 0, j;

	for (j = 0; j < 6; j++)
		x = x << 1 | stream_bit(v, k, n, 6 * i + j);
	if (url && x == 62)
		return '-';
	if (url && x == 63)
		return '_';
	return std[x];
}

/* base64 of v placed after k other bytes: the characters all of whose six
 * bits are v's; then, if v's end is not on a 3-byte boundary, those plus
 * the one character holding v's last bits (zero-filled), bare and with
 * its '=' padding */
static void enc_base64(struct eset *s, struct buf *b, const uint8_t *v, size_t n, size_t k,
                       bool url, const char *label)
{
	size_t m = k + n, i, lo, hi, pad;
	char c;

	lo = (8 * k + 5) / 6; /* first character starting at or after bit 8k */
	hi = (8 * m) / 6;     /* characters ending at or before bit 8m */
	for (i = lo; i < hi; i++) {
		c = b64_char(v, k, n, i, url);
		buf_add(b, &c, 1);
	}
	eset_add(s, b, label);
	if (m % 3 == 0)
		return;
	for (i = lo; i <= hi; i++) {
		c = b64_char(v, k, n, i, url);
		buf_add(b, &c, 1);
	}
	eset_add(s, b, label);
	for (i = lo; i <= hi; i++) {
		c = b64_char(v, k, n, i, url);
		buf_add(b, &c, 1);
	}
	for (pad = 3 - m % 3; pad > 0; pad--)
		buf_add(b, "=", 1);
	eset_add(s, b, label);
}

/* mode 0: every byte %XX; 1: RFC 3986 unreserved literal; 2: and ' ' as
 * '+'; 3: and '/' literal */
static void enc_percent(struct buf *b, const uint8_t *v, size_t n, int mode, bool upper)
{
	char t[4];
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = v[i];
		bool unres = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		             (c >= 'A' && c <= 'Z') || strchr("-._~", c) != NULL;

		if (c != 0 && mode >= 1 && unres)
			buf_add(b, &c, 1);
		else if (mode == 2 && c == ' ')
			buf_add(b, "+", 1);
		else if (mode == 3 && c == '/')
			buf_add(b, "/", 1);
		else {
			snprintf(t, sizeof(t), upper ? "%%%02X" : "%%%02x", c);
			buf_add(b, t, 3);
		}
	}
}

/* one code point from UTF-8 at v, or 0 bytes if the sequence is not valid */
static size_t utf8_next(const uint8_t *v, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (v[0] < 0x80)
		len = 1, c = v[0];
	else if ((v[0] & 0xe0) == 0xc0)
		len = 2, c = v[0] & 0x1f;
	else if ((v[0] & 0xf0) == 0xe0)
		len = 3, c = v[0] & 0x0f;
	else if ((v[0] & 0xf8) == 0xf0)
		len = 4, c = v[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((v[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (v[i] & 0x3f);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		return 0;
	*cp = c;
	return len;
}

static void json_u(struct buf *b, uint32_t u, bool upper)
{
	char t[8];

	snprintf(t, sizeof(t), upper ? "\\u%04X" : "\\u%04x", (unsigned)u);
	buf_add(b, t, 6);
}

/* a JSON string body; false when `ascii` and v is not valid UTF-8 */
static bool enc_json(struct buf *b, const uint8_t *v, size_t n, bool slash, bool upper, bool ascii)
{
	static const char short_esc[] = "\bb\ff\nn\rr\tt\"\"\\\\";
	size_t i = 0, l;
	uint32_t cp;
	const char *e;

	while (i < n) {
		uint8_t c = v[i];

		if (ascii && c >= 0x80) {
			if ((l = utf8_next(v + i, n - i, &cp)) == 0)
				return false;
			i += l;
			if (cp > 0xffff) {
				json_u(b, 0xd800 + ((cp - 0x10000) >> 10), upper);
				json_u(b, 0xdc00 + ((cp - 0x10000) & 0x3ff), upper);
			} else {
				json_u(b, cp, upper);
			}
			continue;
		}
		i++;
		e = c != 0 ? memchr(short_esc, c, sizeof(short_esc) - 1) : NULL;
		if (e != NULL && (e - short_esc) % 2 == 0) {
			buf_add(b, "\\", 1);
			buf_add(b, e + 1, 1);
		} else if (c == '/' && slash) {
			buf_str(b, "\\/");
		} else if (c < 0x20) {
			json_u(b, c, upper);
		} else {
			buf_add(b, &c, 1);
		}
	}
	return true;
}

/* every form of v the sanitizer documents, into s */
static void encode_all(struct eset *s, const uint8_t *v, size_t n, const char *label)
{
	struct buf b = {0};
	size_t k, st, i;
	int mode, url, up, sl, as;

	if (n < SC_SANITIZE_MIN_LEN)
		return;
	buf_add(&b, v, n);
	eset_add(s, &b, label);
	for (url = 0; url < 2; url++)
		for (k = 0; k < 3; k++)
			enc_base64(s, &b, v, n, k, url, label);
	for (up = 0; up < 2; up++) {
		enc_hex(&b, v, n, up);
		eset_add(s, &b, label);
	}
	for (mode = 0; mode < 4; mode++)
		for (up = 1; up >= 0; up--) {
			enc_percent(&b, v, n, mode, up);
			eset_add(s, &b, label);
		}
	for (as = 0; as < 2; as++)
		for (sl = 0; sl < 2; sl++)
			for (up = 0; up < 2; up++) {
				if (enc_json(&b, v, n, sl, up, as))
					eset_add(s, &b, label);
				b.len = 0;
			}
	if (memchr(v, '\n', n) != NULL)
		for (st = 0; st <= n; st = i + 1) {
			for (i = st; i < n && v[i] != '\n'; i++)
				;
			buf_add(&b, v + st, i - st - (i > st && v[i - 1] == '\r'));
			eset_add(s, &b, label);
		}
	free(b.p);
}

/* the sanitizer's compiled set is exactly the encoder's, labels included */
static void check_same_set(const struct sc_sanitizer *z, const struct eset *s)
{
	size_t np = sc_sanitizer_pattern_count(z), i, j;
	const uint8_t *p;
	size_t plen;

	if (np != s->n)
		abort();
	for (i = 0; i < np; i++) {
		if (sc_sanitizer_pattern(z, i, &p, &plen, NULL) != SC_OK)
			abort();
		for (j = 0; j < s->n; j++)
			if (s->v[j].n == plen && memcmp(s->v[j].p, p, plen) == 0)
				break;
		if (j == s->n || strcmp(s->v[j].repl, sc_sanitizer_replacement(z, i)) != 0)
			abort();
	}
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
static void reference(const struct eset *s, const uint8_t *in, size_t len, struct buf *out)
{
	size_t np = s->n, i, k, n = 0, cap = 16, pos = 0;
	struct iv *v = malloc(cap * sizeof(*v));
	const uint8_t *p;
	size_t plen;

	if (v == NULL)
		abort();
	if (in == NULL)
		in = (const uint8_t *)"";
	for (i = 0; i < np; i++) {
		p = s->v[i].p;
		plen = s->v[i].n;
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
		const char *r = s->v[pat].repl;

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
	struct eset es = {0};
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
		encode_all(&es, sec[i], slen[i], label);
	}
	if (sc_sanitizer_compile(z) != SC_OK)
		abort();
	check_same_set(z, &es);
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

	reference(&es, in.p, in.len, &want);

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
	eset_free(&es);
	free(in.p);
	free(got.p);
	free(want.p);
	return 0;
}
