/* sanitize.c - streaming redaction of secret values and their encodings:
 * adding a value expands it into its raw, base64, hex, percent and JSON
 * forms and each of its lines (semantics: sanitize.h). */
#include "run/sanitize_priv.h"

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

size_t sc_sanitize_round64(size_t n)
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
	scratch = sc_secmem_alloc(sc_sanitize_round64(8 * len + 128));
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
