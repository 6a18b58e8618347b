/* sanitize.c - streaming redaction of secret values and their encodings.
 * A sampled 4-gram filter skips text in which no pattern can start; an
 * Aho-Corasick automaton scans the rest in one pass (semantics: sanitize.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "secretctl/sanitize.h"
#include "run/sanitize_int.h"

/* The filter samples one 4-gram every `step` bytes; step <= shortest
 * pattern - 3 guarantees every occurrence contains a sampled 4-gram. */
#define STEP_MAX 16
#define CHUNK (64 * 1024)
#define OBUF_CAP (16 * 1024)
#define HASH_MUL 0x9E3779B1u
#define ROOT 0u

struct pat {
	uint32_t off; /* into z->bytes */
	uint32_t len;
	uint32_t label;
};

struct sc_sanitizer {
	uint8_t *bytes; /* pattern bytes, concatenated (secmem) */
	size_t nbytes, capbytes;
	size_t total; /* bytes of the kept patterns */
	struct pat *pats;
	size_t npats, cappats;
	char **repl; /* "[REDACTED:label]" per label */
	size_t *repl_len;
	size_t nlabels, caplabels;
	bool compiled;

	/* The automaton, states numbered in breadth-first order so that the
	 * children of state s are the states cstart[s] .. cstart[s+1]-1. */
	void *arena; /* secmem: everything below lives in it */
	size_t arena_len;
	uint32_t nstates;
	uint32_t *cstart;
	uint32_t *fail;
	uint32_t *depth;
	uint32_t *outlen; /* longest pattern that is a suffix of the state, or 0 */
	uint32_t *outpat;
	uint32_t *root_next;
	uint8_t *inbyte; /* the byte on the edge into each state */
	uint64_t *bitmap;
	unsigned shift;
	uint32_t step, minlen, maxlen;
};

struct comp {
	uint64_t cs, ce;
	uint32_t pat; /* longest pattern occurring at cs */
	uint32_t pat_len;
	bool emitted; /* replacement already written */
};

struct sc_sanitize_stream {
	const struct sc_sanitizer *z;
	uint8_t *buf; /* input bytes [base, base + used) (secmem) */
	size_t cap, used;
	uint64_t base;
	/* filter state: skipping at grid point g, or running the automaton
	 * at j in `state` */
	bool dfa;
	uint64_t g;
	uint64_t j, last_hit_end, next_bound;
	uint32_t state;
	uint64_t out;       /* first byte neither written nor redacted */
	struct comp *comps; /* not yet final components, in order */
	size_t ncomps, capcomps;
	uint8_t *obuf;
	size_t olen;
	sc_sink_fn sink;
	void *arg;
	int err;
	bool finished;
};

/* ---- building ------------------------------------------------------------ */

int sc_sanitizer_new(struct sc_sanitizer **out)
{
	struct sc_sanitizer *z;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	z = calloc(1, sizeof(*z));
	if (z == NULL)
		return SC_ERR_NOMEM;
	*out = z;
	return SC_OK;
}

static size_t round64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

static int push_pattern(struct sc_sanitizer *z, const uint8_t *p, size_t n, uint32_t label)
{
	if (n < SC_SANITIZE_MIN_LEN)
		return SC_OK;
	if (n > SC_SANITIZE_MAX_BYTES - z->nbytes)
		return SC_ERR_TOOBIG;
	if (z->nbytes + n > z->capbytes) {
		size_t cap = z->capbytes ? z->capbytes : 4096;
		uint8_t *nb;

		while (cap < z->nbytes + n)
			cap *= 2;
		nb = sc_secmem_realloc(z->bytes, cap);
		if (nb == NULL)
			return SC_ERR_NOMEM;
		z->bytes = nb;
		z->capbytes = cap;
	}
	if (z->npats == z->cappats) {
		size_t cap = z->cappats ? z->cappats * 2 : 64;
		struct pat *np = realloc(z->pats, cap * sizeof(*np));

		if (np == NULL)
			return SC_ERR_NOMEM;
		z->pats = np;
		z->cappats = cap;
	}
	memcpy(z->bytes + z->nbytes, p, n);
	z->pats[z->npats].off = (uint32_t)z->nbytes;
	z->pats[z->npats].len = (uint32_t)n;
	z->pats[z->npats].label = label;
	z->npats++;
	z->nbytes += n;
	return SC_OK;
}

static int add_label(struct sc_sanitizer *z, const char *label, size_t llen)
{
	static const char pre[] = "[REDACTED:";
	char *s;

	if (z->nlabels == z->caplabels) {
		size_t cap = z->caplabels ? z->caplabels * 2 : 16;
		char **nr = realloc(z->repl, cap * sizeof(*nr));
		size_t *nl;

		if (nr == NULL)
			return SC_ERR_NOMEM;
		z->repl = nr;
		nl = realloc(z->repl_len, cap * sizeof(*nl));
		if (nl == NULL)
			return SC_ERR_NOMEM;
		z->repl_len = nl;
		z->caplabels = cap;
	}
	/* "[REDACTED:label]\0label\0" */
	s = malloc(sizeof(pre) + 2 * llen + 2);
	if (s == NULL)
		return SC_ERR_NOMEM;
	memcpy(s, pre, sizeof(pre) - 1);
	memcpy(s + sizeof(pre) - 1, label, llen);
	s[sizeof(pre) - 1 + llen] = ']';
	s[sizeof(pre) + llen] = '\0';
	memcpy(s + sizeof(pre) + llen + 1, label, llen);
	s[sizeof(pre) + 2 * llen + 1] = '\0';
	z->repl[z->nlabels] = s;
	z->repl_len[z->nlabels] = sizeof(pre) + llen;
	z->nlabels++;
	return SC_OK;
}

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

static int add_hex(struct sc_sanitizer *z, const uint8_t *v, size_t n, uint32_t label, char *tmp)
{
	int r;
	size_t i;

	sodium_bin2hex(tmp, 2 * n + 1, v, n);
	if ((r = push_pattern(z, (const uint8_t *)tmp, 2 * n, label)) != SC_OK)
		return r;
	for (i = 0; i < 2 * n; i++)
		if (tmp[i] >= 'a' && tmp[i] <= 'f')
			tmp[i] = (char)(tmp[i] - 'a' + 'A');
	return push_pattern(z, (const uint8_t *)tmp, 2 * n, label);
}

/* The value at alignment k inside base64 data: the characters carrying only
 * its bits, and, for when the value ends the data, that run with the last
 * partial character (zero-filled) unpadded and padded. */
static int add_base64(struct sc_sanitizer *z, const uint8_t *v, size_t n, uint32_t label,
                      uint8_t *in, char *tmp)
{
	static const int variants[] = {sodium_base64_VARIANT_ORIGINAL,
	                               sodium_base64_VARIANT_URLSAFE};
	size_t vi, k, m, first, mid_end, unpadded, padded;
	int r;

	for (vi = 0; vi < 2; vi++) {
		for (k = 0; k < 3; k++) {
			m = k + n;
			memset(in, 0, k);
			memcpy(in + k, v, n);
			sodium_bin2base64(tmp, sodium_base64_ENCODED_LEN(m, variants[vi]), in, m,
			                  variants[vi]);
			first = (8 * k + 5) / 6;
			mid_end = 8 * m / 6;
			padded = 4 * ((m + 2) / 3);
			r = push_pattern(z, (const uint8_t *)tmp + first, mid_end - first, label);
			if (r != SC_OK)
				return r;
			if (m % 3 == 0)
				continue;
			unpadded = (8 * m + 5) / 6;
			r = push_pattern(z, (const uint8_t *)tmp + first, unpadded - first, label);
			if (r != SC_OK)
				return r;
			r = push_pattern(z, (const uint8_t *)tmp + first, padded - first, label);
			if (r != SC_OK)
				return r;
		}
	}
	return SC_OK;
}

enum pct_mode {
	PCT_ALL,        /* every byte as %XX */
	PCT_UNRESERVED, /* RFC 3986 unreserved characters literal */
	PCT_FORM,       /* ... and space as '+' (application/x-www-form-urlencoded) */
	PCT_PATH,       /* ... and '/' literal (Python's quote()) */
};

static bool unreserved(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static size_t pct_encode(char *o, const uint8_t *v, size_t n, enum pct_mode mode, const char *hx)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		uint8_t c = v[i];

		if (mode != PCT_ALL && unreserved(c)) {
			o[k++] = (char)c;
		} else if (mode == PCT_FORM && c == ' ') {
			o[k++] = '+';
		} else if (mode == PCT_PATH && c == '/') {
			o[k++] = '/';
		} else {
			o[k++] = '%';
			o[k++] = hx[c >> 4];
			o[k++] = hx[c & 15];
		}
	}
	return k;
}

static int add_percent(struct sc_sanitizer *z, const uint8_t *v, size_t n, uint32_t label,
                       char *tmp)
{
	static const enum pct_mode modes[] = {PCT_ALL, PCT_UNRESERVED, PCT_FORM, PCT_PATH};
	const char *hx[] = {hex_upper, hex_lower};
	size_t mi, hi, len;
	int r;

	for (mi = 0; mi < sizeof(modes) / sizeof(modes[0]); mi++) {
		for (hi = 0; hi < 2; hi++) {
			len = pct_encode(tmp, v, n, modes[mi], hx[hi]);
			if ((r = push_pattern(z, (const uint8_t *)tmp, len, label)) != SC_OK)
				return r;
		}
	}
	return SC_OK;
}

/* Decode one UTF-8 sequence at v (n bytes left); returns its length, 0 if
 * it is not valid UTF-8 (overlong, surrogate, above U+10FFFF, truncated). */
static size_t utf8_decode(const uint8_t *v, size_t n, uint32_t *cp)
{
	uint32_t c = v[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((v[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (v[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static size_t put_u(char *o, uint32_t u, const char *hx)
{
	o[0] = '\\';
	o[1] = 'u';
	o[2] = hx[(u >> 12) & 15];
	o[3] = hx[(u >> 8) & 15];
	o[4] = hx[(u >> 4) & 15];
	o[5] = hx[u & 15];
	return 6;
}

/* JSON string body of v; with ascii, non-ASCII as \uXXXX (0 when v is not
 * valid UTF-8, as no encoder would produce that form then). */
static size_t json_escape(char *o, const uint8_t *v, size_t n, bool slash, const char *hx,
                          bool ascii)
{
	size_t i = 0, k = 0, l;
	uint32_t cp;

	while (i < n) {
		uint8_t c = v[i];

		if (c >= 0x80 && ascii) {
			if ((l = utf8_decode(v + i, n - i, &cp)) == 0)
				return 0;
			i += l;
			if (cp >= 0x10000) {
				cp -= 0x10000;
				k += put_u(o + k, 0xd800 | (cp >> 10), hx);
				k += put_u(o + k, 0xdc00 | (cp & 0x3ff), hx);
			} else {
				k += put_u(o + k, cp, hx);
			}
			continue;
		}
		i++;
		switch (c) {
		case '"':
		case '\\':
			o[k++] = '\\';
			o[k++] = (char)c;
			break;
		case '/':
			if (slash)
				o[k++] = '\\';
			o[k++] = '/';
			break;
		case '\b':
			o[k++] = '\\';
			o[k++] = 'b';
			break;
		case '\f':
			o[k++] = '\\';
			o[k++] = 'f';
			break;
		case '\n':
			o[k++] = '\\';
			o[k++] = 'n';
			break;
		case '\r':
			o[k++] = '\\';
			o[k++] = 'r';
			break;
		case '\t':
			o[k++] = '\\';
			o[k++] = 't';
			break;
		default:
			if (c < 0x20)
				k += put_u(o + k, c, hx);
			else
				o[k++] = (char)c;
		}
	}
	return k;
}

static int add_json(struct sc_sanitizer *z, const uint8_t *v, size_t n, uint32_t label, char *tmp)
{
	const char *hx[] = {hex_lower, hex_upper};
	size_t si, hi, ai, len;
	int r;

	for (ai = 0; ai < 2; ai++) {
		for (si = 0; si < 2; si++) {
			for (hi = 0; hi < 2; hi++) {
				len = json_escape(tmp, v, n, si == 1, hx[hi], ai == 1);
				r = push_pattern(z, (const uint8_t *)tmp, len, label);
				if (r != SC_OK)
					return r;
			}
		}
	}
	return SC_OK;
}

static int add_lines(struct sc_sanitizer *z, const uint8_t *v, size_t n, uint32_t label)
{
	const uint8_t *p = v, *end = v + n, *nl;
	size_t len;
	int r;

	if (memchr(v, '\n', n) == NULL)
		return SC_OK;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl ? nl : end) - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if ((r = push_pattern(z, p, len, label)) != SC_OK)
			return r;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return SC_OK;
}

int sc_sanitizer_add(struct sc_sanitizer *z, const uint8_t *value, size_t len, const char *label,
                     int *added)
{
	size_t llen, save_pats, save_bytes, save_labels;
	uint8_t *scratch = NULL;
	uint32_t id;
	int r;

	if (added != NULL)
		*added = 0;
	if (z == NULL || label == NULL || (value == NULL && len > 0) || z->compiled)
		return SC_ERR_INVALID;
	llen = strnlen(label, SC_SANITIZE_LABEL_MAX + 1);
	if (llen > SC_SANITIZE_LABEL_MAX)
		return SC_ERR_INVALID;
	if (len < SC_SANITIZE_MIN_LEN)
		return SC_OK;
	if (len > SC_VALUE_MAX)
		return SC_ERR_TOOBIG;
	save_pats = z->npats;
	save_bytes = z->nbytes;
	save_labels = z->nlabels;
	if ((r = add_label(z, label, llen)) != SC_OK)
		goto out;
	id = (uint32_t)(z->nlabels - 1);
	/* room for the longest form (\u00XX: 6 bytes a byte) and the base64
	 * input with its filler */
	scratch = sc_secmem_alloc(round64(8 * len + 128));
	if (scratch == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = push_pattern(z, value, len, id)) != SC_OK)
		goto out;
	if ((r = add_base64(z, value, len, id, scratch, (char *)scratch + len + 8)) != SC_OK)
		goto out;
	if ((r = add_hex(z, value, len, id, (char *)scratch)) != SC_OK)
		goto out;
	if ((r = add_percent(z, value, len, id, (char *)scratch)) != SC_OK)
		goto out;
	if ((r = add_json(z, value, len, id, (char *)scratch)) != SC_OK)
		goto out;
	if ((r = add_lines(z, value, len, id)) != SC_OK)
		goto out;
	if (added != NULL)
		*added = 1;
out:
	sc_secmem_free(scratch);
	if (r != SC_OK) {
		/* forget this value's patterns; their bytes are wiped now */
		sc_wipe(z->bytes + save_bytes, z->nbytes - save_bytes);
		z->npats = save_pats;
		z->nbytes = save_bytes;
		while (z->nlabels > save_labels)
			free(z->repl[--z->nlabels]);
	}
	return r;
}

/* ---- the automaton -------------------------------------------------------- */

static inline uint32_t child_of(const struct sc_sanitizer *z, uint32_t s, uint8_t c)
{
	uint32_t lo = z->cstart[s], hi = z->cstart[s + 1], mid;

	if (hi - lo <= 8) {
		for (; lo < hi; lo++)
			if (z->inbyte[lo] == c)
				return lo;
		return ROOT;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (z->inbyte[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < z->cstart[s + 1] && z->inbyte[lo] == c) ? lo : ROOT;
}

static inline uint32_t ac_next(const struct sc_sanitizer *z, uint32_t s, uint8_t c)
{
	uint32_t t;

	for (;;) {
		if (s == ROOT)
			return z->root_next[c];
		if ((t = child_of(z, s, c)) != ROOT)
			return t;
		s = z->fail[s];
	}
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline bool filter_hit(const struct sc_sanitizer *z, const uint8_t *p)
{
	uint32_t h = (load32(p) * HASH_MUL) >> z->shift;

	return (z->bitmap[h >> 6] >> (h & 63)) & 1;
}

/* Temporary trie: children as sorted sibling lists (root: a dense table). */
struct tnode {
	uint32_t child, sib, term;
	uint8_t b;
};

static int build(struct sc_sanitizer *z)
{
	struct tnode *t = NULL;
	uint32_t *rootc = NULL, *order = NULL, *parent = NULL, *term = NULL;
	size_t i, k, nn, bound, keep, off, sz[9], bits, entries;
	uint8_t *a;
	uint32_t id, head, tail, cur, x, prev;
	int r = SC_ERR_NOMEM;

	bound = 1;
	for (i = 0; i < z->npats; i++)
		bound += z->pats[i].len;
	t = sc_secmem_alloc(round64(bound * sizeof(*t)));
	rootc = sc_secmem_alloc(256 * sizeof(*rootc));
	if (t == NULL || rootc == NULL)
		goto out;
	nn = 1;
	keep = 0;
	for (i = 0; i < z->npats; i++) {
		const uint8_t *p = z->bytes + z->pats[i].off;

		cur = 0;
		for (k = 0; k < z->pats[i].len; k++) {
			uint8_t c = p[k];

			if (cur == 0) {
				if (rootc[c] == 0) {
					rootc[c] = (uint32_t)nn;
					t[nn].b = c;
					nn++;
				}
				cur = rootc[c];
				continue;
			}
			prev = 0;
			for (x = t[cur].child; x != 0 && t[x].b < c; x = t[x].sib)
				prev = x;
			if (x == 0 || t[x].b != c) {
				t[nn].b = c;
				t[nn].sib = x;
				if (prev)
					t[prev].sib = (uint32_t)nn;
				else
					t[cur].child = (uint32_t)nn;
				x = (uint32_t)nn++;
			}
			cur = x;
		}
		if (t[cur].term != 0)
			continue; /* a duplicate: the first label stays */
		z->pats[keep] = z->pats[i];
		t[cur].term = (uint32_t)++keep;
	}
	z->npats = keep;
	z->nstates = (uint32_t)nn;

	z->minlen = UINT32_MAX;
	z->maxlen = 0;
	z->total = 0;
	for (i = 0; i < z->npats; i++) {
		if (z->pats[i].len < z->minlen)
			z->minlen = z->pats[i].len;
		if (z->pats[i].len > z->maxlen)
			z->maxlen = z->pats[i].len;
		z->total += z->pats[i].len;
	}
	z->step = z->minlen - 3 < STEP_MAX ? z->minlen - 3 : STEP_MAX;
	/* about 1/64 of the bitmap set keeps false hits rare */
	entries = z->npats * z->step;
	for (bits = 12; bits < 26 && ((size_t)1 << bits) < entries * 64; bits++)
		;
	z->shift = (unsigned)(32 - bits);

	sz[0] = (nn + 1) * sizeof(uint32_t); /* cstart */
	sz[1] = nn * sizeof(uint32_t);       /* fail */
	sz[2] = nn * sizeof(uint32_t);       /* depth */
	sz[3] = nn * sizeof(uint32_t);       /* outlen */
	sz[4] = nn * sizeof(uint32_t);       /* outpat */
	sz[5] = 256 * sizeof(uint32_t);      /* root_next */
	sz[6] = nn;                          /* inbyte */
	sz[7] = ((size_t)1 << bits) / 8;     /* bitmap */
	sz[8] = 0;
	z->arena_len = 0;
	for (i = 0; i < 8; i++)
		z->arena_len += round64(sz[i]);
	z->arena = sc_secmem_alloc(z->arena_len);
	order = sc_secmem_alloc(round64(nn * sizeof(*order)));
	parent = sc_secmem_alloc(round64(nn * sizeof(*parent)));
	term = sc_secmem_alloc(round64(nn * sizeof(*term)));
	if (z->arena == NULL || order == NULL || parent == NULL || term == NULL)
		goto out;
	a = z->arena;
	off = 0;
	z->cstart = (uint32_t *)(void *)(a + off), off += round64(sz[0]);
	z->fail = (uint32_t *)(void *)(a + off), off += round64(sz[1]);
	z->depth = (uint32_t *)(void *)(a + off), off += round64(sz[2]);
	z->outlen = (uint32_t *)(void *)(a + off), off += round64(sz[3]);
	z->outpat = (uint32_t *)(void *)(a + off), off += round64(sz[4]);
	z->root_next = (uint32_t *)(void *)(a + off), off += round64(sz[5]);
	z->inbyte = a + off, off += round64(sz[6]);
	z->bitmap = (uint64_t *)(void *)(a + off);

	/* breadth-first renumbering */
	order[0] = 0;
	parent[0] = 0;
	head = 0;
	tail = 1;
	while (head < tail) {
		cur = order[head];
		z->cstart[head] = tail;
		if (head == 0) {
			for (k = 0; k < 256; k++) {
				if (rootc[k] != 0) {
					parent[tail] = head;
					order[tail++] = rootc[k];
				}
			}
		} else {
			for (x = t[cur].child; x != 0; x = t[x].sib) {
				parent[tail] = head;
				order[tail++] = x;
			}
		}
		head++;
	}
	z->cstart[nn] = (uint32_t)nn;
	z->depth[0] = 0;
	term[0] = 0;
	for (id = 1; id < nn; id++) {
		z->inbyte[id] = t[order[id]].b;
		z->depth[id] = z->depth[parent[id]] + 1;
		term[id] = t[order[id]].term;
	}
	for (id = z->cstart[0]; id < z->cstart[1]; id++)
		z->root_next[z->inbyte[id]] = id;
	z->fail[0] = 0;
	z->outlen[0] = 0;
	z->outpat[0] = 0;
	for (id = 1; id < nn; id++) {
		z->fail[id] =
		    parent[id] == ROOT ? ROOT : ac_next(z, z->fail[parent[id]], z->inbyte[id]);
		if (term[id] != 0) {
			z->outlen[id] = z->depth[id];
			z->outpat[id] = term[id] - 1;
		} else {
			z->outlen[id] = z->outlen[z->fail[id]];
			z->outpat[id] = z->outpat[z->fail[id]];
		}
	}
	for (i = 0; i < z->npats; i++) {
		const uint8_t *p = z->bytes + z->pats[i].off;

		for (k = 0; k < z->step; k++) {
			uint32_t h = (load32(p + k) * HASH_MUL) >> z->shift;

			z->bitmap[h >> 6] |= (uint64_t)1 << (h & 63);
		}
	}
	r = SC_OK;
out:
	sc_secmem_free(t);
	sc_secmem_free(rootc);
	sc_secmem_free(order);
	sc_secmem_free(parent);
	sc_secmem_free(term);
	return r;
}

int sc_sanitizer_compile(struct sc_sanitizer *z)
{
	int r;

	if (z == NULL || z->compiled)
		return SC_ERR_INVALID;
	if (z->npats > 0 && (r = build(z)) != SC_OK) {
		sc_secmem_free(z->arena);
		z->arena = NULL;
		return r;
	}
	z->compiled = true;
	return SC_OK;
}

size_t sc_sanitizer_pattern_count(const struct sc_sanitizer *z)
{
	return z != NULL && z->compiled ? z->npats : 0;
}

size_t sc_sanitizer_max_len(const struct sc_sanitizer *z)
{
	return z != NULL && z->compiled ? z->maxlen : 0;
}

int sc_sanitizer_pattern(const struct sc_sanitizer *z, size_t i, const uint8_t **bytes, size_t *len,
                         const char **label)
{
	if (bytes != NULL)
		*bytes = NULL;
	if (z == NULL || !z->compiled || i >= z->npats || bytes == NULL || len == NULL)
		return SC_ERR_INVALID;
	*bytes = z->bytes + z->pats[i].off;
	*len = z->pats[i].len;
	if (label != NULL)
		*label = z->repl[z->pats[i].label] + z->repl_len[z->pats[i].label] + 1;
	return SC_OK;
}

const char *sc_sanitizer_replacement(const struct sc_sanitizer *z, size_t i)
{
	if (z == NULL || !z->compiled || i >= z->npats)
		return NULL;
	return z->repl[z->pats[i].label];
}

void sc_sanitizer_free(struct sc_sanitizer *z)
{
	size_t i;

	if (z == NULL)
		return;
	sc_secmem_free(z->bytes);
	sc_secmem_free(z->arena);
	if (z->pats != NULL) {
		sc_wipe(z->pats, z->cappats * sizeof(*z->pats));
		free(z->pats);
	}
	for (i = 0; i < z->nlabels; i++)
		free(z->repl[i]);
	free(z->repl);
	free(z->repl_len);
	sc_wipe(z, sizeof(*z));
	free(z);
}

/* ---- streams ------------------------------------------------------------ */

int sc_sanitize_stream_new(const struct sc_sanitizer *z, struct sc_sanitize_stream **out)
{
	struct sc_sanitize_stream *st;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if (z == NULL || !z->compiled)
		return SC_ERR_INVALID;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return SC_ERR_NOMEM;
	st->z = z;
	if (z->npats > 0) {
		st->cap = round64((size_t)z->maxlen + STEP_MAX + 8 + CHUNK);
		st->buf = sc_secmem_alloc(st->cap);
		/* after each flush, open components all meet the last maxlen
		 * bytes and each spans at least minlen of them */
		st->capcomps = z->maxlen / SC_SANITIZE_MIN_LEN + 4;
		st->comps = calloc(st->capcomps, sizeof(*st->comps));
		st->obuf = malloc(OBUF_CAP);
		if (st->buf == NULL || st->comps == NULL || st->obuf == NULL) {
			sc_sanitize_stream_free(st);
			return SC_ERR_NOMEM;
		}
	}
	*out = st;
	return SC_OK;
}

void sc_sanitize_stream_free(struct sc_sanitize_stream *st)
{
	if (st == NULL)
		return;
	sc_secmem_free(st->buf);
	free(st->comps);
	if (st->obuf != NULL) {
		sc_wipe(st->obuf, OBUF_CAP);
		free(st->obuf);
	}
	sc_wipe(st, sizeof(*st));
	free(st);
}

static void flush_obuf(struct sc_sanitize_stream *st)
{
	int r;

	if (st->olen == 0 || st->err != 0)
		return;
	r = st->sink(st->arg, st->obuf, st->olen);
	st->olen = 0;
	if (r != 0)
		st->err = r;
}

static void emit(struct sc_sanitize_stream *st, const uint8_t *p, size_t n)
{
	int r;

	if (st->err != 0 || n == 0)
		return;
	if (st->olen + n > OBUF_CAP || n >= OBUF_CAP / 2)
		flush_obuf(st);
	if (n >= OBUF_CAP / 2) {
		/* large runs go straight through, after what is queued */
		if (st->err == 0 && (r = st->sink(st->arg, p, n)) != 0)
			st->err = r;
		return;
	}
	memcpy(st->obuf + st->olen, p, n);
	st->olen += n;
}

static void emit_raw(struct sc_sanitize_stream *st, uint64_t from, uint64_t to)
{
	if (to > from)
		emit(st, st->buf + (from - st->base), (size_t)(to - from));
}

/* Write out everything before frontier f, where no later occurrence can
 * start. A component's label is final once it starts before f, or starts at
 * f with the longest pattern there is. */
static void flush_to(struct sc_sanitize_stream *st, uint64_t f)
{
	const struct sc_sanitizer *z = st->z;
	size_t k, keep;
	struct comp *c;
	uint32_t lab;

	for (k = 0; k < st->ncomps; k++) {
		c = &st->comps[k];
		if (c->emitted)
			continue;
		if (c->cs > f || (c->cs == f && c->pat_len < z->maxlen))
			break;
		emit_raw(st, st->out, c->cs);
		lab = z->pats[c->pat].label;
		emit(st, (const uint8_t *)z->repl[lab], z->repl_len[lab]);
		c->emitted = true;
		st->out = c->ce;
	}
	if (st->out < f) {
		emit_raw(st, st->out, f);
		st->out = f;
	}
	for (k = 0; k < st->ncomps && st->comps[k].emitted && st->comps[k].ce <= f; k++)
		;
	keep = st->ncomps - k;
	if (k > 0 && keep > 0)
		memmove(st->comps, st->comps + k, keep * sizeof(*st->comps));
	st->ncomps = keep;
}

/* An occurrence [s, e) of pattern p that is the longest ending at e; they
 * arrive in order of e, so a new one can only join the last components. */
static void add_interval(struct sc_sanitize_stream *st, uint64_t s, uint64_t e, uint32_t p,
                         uint64_t frontier)
{
	size_t k = st->ncomps;
	struct comp *c;

	while (k > 0 && st->comps[k - 1].ce > s)
		k--;
	if (k == st->ncomps) {
		c = &st->comps[st->ncomps++];
		c->cs = s;
		c->ce = e;
		c->pat = p;
		c->pat_len = (uint32_t)(e - s);
		c->emitted = false;
	} else {
		c = &st->comps[k];
		/* the longest occurrence at the first byte names the component;
		 * one that starts at or before it is longer (later end) */
		if (s <= c->cs) {
			c->cs = s;
			c->pat = p;
			c->pat_len = (uint32_t)(e - s);
		}
		c->ce = e;
		if (c->emitted && st->out < e)
			st->out = e;
		st->ncomps = k + 1;
	}
	if (st->ncomps == st->capcomps)
		flush_to(st, frontier);
}

/* Advance the matcher over all buffered bytes. Skip mode tests the sample
 * of each block of `step` bytes; on a hit (or at the end of the data) the
 * automaton runs from the block start and goes back to skipping at a block
 * boundary once every partial match it tracks began after the last block
 * whose sample hit. Each byte meets the automaton at most once. */
static void run(struct sc_sanitize_stream *st)
{
	const struct sc_sanitizer *z = st->z;
	const uint32_t step = z->step;
	const uint64_t pos = st->base + st->used;
	const uint8_t *buf = st->buf;
	uint32_t s;
	uint64_t j;
	size_t off;

	for (;;) {
		if (!st->dfa) {
			off = (size_t)(st->g - st->base);
			while (off + step + 3 <= st->used) {
				if (filter_hit(z, buf + off + step - 1))
					break;
				off += step;
			}
			st->g = st->base + off;
			st->dfa = true;
			st->j = st->g;
			st->state = ROOT;
			st->last_hit_end = st->g + step;
			st->next_bound = st->g + step;
		}
		s = st->state;
		j = st->j;
		while (j < pos) {
			if (j == st->next_bound) {
				off = (size_t)(j - st->base);
				if (off + step + 3 > st->used ||
				    filter_hit(z, buf + off + step - 1)) {
					st->last_hit_end = j + step;
				} else if (j - z->depth[s] >= st->last_hit_end) {
					st->dfa = false;
					st->g = j + step;
					break;
				}
				st->next_bound += step;
			}
			s = ac_next(z, s, buf[j - st->base]);
			j++;
			if (z->outlen[s] != 0)
				add_interval(st, j - z->outlen[s], j, z->outpat[s],
				             j - z->depth[s]);
		}
		st->state = s;
		st->j = j;
		if (st->dfa)
			return;
	}
}

static uint64_t frontier(const struct sc_sanitize_stream *st)
{
	return st->dfa ? st->j - st->z->depth[st->state] : st->g;
}

static void compact(struct sc_sanitize_stream *st)
{
	uint64_t keep = st->dfa ? st->j : st->g;
	size_t drop;

	if (st->out < keep)
		keep = st->out;
	drop = (size_t)(keep - st->base);
	if (drop == 0)
		return;
	memmove(st->buf, st->buf + drop, st->used - drop);
	sc_wipe(st->buf + st->used - drop, drop);
	st->used -= drop;
	st->base = keep;
}

int sc_sanitize_feed(struct sc_sanitize_stream *st, const uint8_t *in, size_t len, sc_sink_fn sink,
                     void *arg)
{
	size_t n;
	int r;

	if (st == NULL || sink == NULL || (in == NULL && len > 0) || st->finished)
		return SC_ERR_INVALID;
	if (st->err != 0)
		return st->err;
	if (st->z->npats == 0) {
		if (len > 0 && (r = sink(arg, in, len)) != 0)
			st->err = r;
		return st->err;
	}
	st->sink = sink;
	st->arg = arg;
	while (len > 0 && st->err == 0) {
		compact(st);
		n = st->cap - st->used;
		if (n > len)
			n = len;
		memcpy(st->buf + st->used, in, n);
		st->used += n;
		in += n;
		len -= n;
		run(st);
		flush_to(st, frontier(st));
	}
	flush_obuf(st);
	return st->err;
}

int sc_sanitize_finish(struct sc_sanitize_stream *st, sc_sink_fn sink, void *arg)
{
	if (st == NULL || sink == NULL || st->finished)
		return SC_ERR_INVALID;
	st->finished = true;
	if (st->err != 0)
		return st->err;
	if (st->z->npats == 0)
		return SC_OK;
	st->sink = sink;
	st->arg = arg;
	run(st);
	/* nothing follows: every open component is complete */
	flush_to(st, st->base + st->used);
	flush_obuf(st);
	if (st->buf != NULL)
		sc_wipe(st->buf, st->cap);
	return st->err;
}
