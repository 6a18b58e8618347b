/* output.c - a run's output as a bounded JSON string: compact for binary
 * (one U+FFFD per run of non-text bytes, never a character per byte) and
 * cut by its encoded cost, not by raw bytes. */
#include <stdlib.h>
#include <string.h>

#include "mcp/output.h"

/* Bytes an escaped character costs in json_dumps(JSON_ENSURE_ASCII). */
static size_t dump_cost(uint32_t cp)
{
	if (cp == '"' || cp == '\\' || cp == '\b' || cp == '\f' || cp == '\n' || cp == '\r' ||
	    cp == '\t')
		return 2;
	if (cp < 0x20 || (cp >= 0x7f && cp < 0x10000))
		return cp == 0x7f ? 1 : 6;
	if (cp >= 0x10000)
		return 12;
	return 1;
}

size_t mcp_output_cost(uint32_t cp)
{
	size_t d = dump_cost(cp);

	/* the dump escaped again inside the text content: each '\\' and '"'
	 * of the dump doubles */
	if (cp == '"' || cp == '\\')
		return d + 4;
	if (d == 2)
		return d + 3; /* \n -> \\n */
	if (d == 6)
		return d + 7; /* \uXXXX -> \\uXXXX */
	if (d == 12)
		return d + 14;
	return d + 1;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0; the
 * code point in *cp. */
static size_t utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t c = p[0];
	size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
	size_t j;
	uint32_t v;

	if (len == 0 || len > n)
		return 0;
	if (len == 1) {
		*cp = c;
		return 1;
	}
	v = c & (0xffu >> (len + 1));
	for (j = 1; j < len; j++) {
		if ((p[j] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[j] & 0x3f);
	}
	if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) ||
	    (len == 4 && (v < 0x10000 || v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static int is_text(uint32_t cp)
{
	return cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r';
}

void mcp_output_encode(const uint8_t *p, size_t n, size_t budget, struct mcp_output *out)
{
	static const uint8_t fffd[3] = {0xef, 0xbf, 0xbd};
	const size_t fffd_cost = 13; /* \ufffd, then \\ufffd */
	uint8_t *buf;
	size_t i = 0, k = 0, len, c;
	uint32_t cp = 0;

	memset(out, 0, sizeof(*out));
	/* each input byte yields at most 3 output bytes (a run of binary: 3
	 * for the whole run) */
	if ((buf = malloc(n < SIZE_MAX / 3 ? n * 3 + 1 : n)) == NULL)
		return;
	while (i < n) {
		len = utf8_seq(p + i, n - i, &cp);
		if (len > 0 && is_text(cp)) {
			c = mcp_output_cost(cp);
			if (out->cost + c > budget)
				break;
			memcpy(buf + k, p + i, len);
			k += len;
			i += len;
			out->cost += c;
			continue;
		}
		/* a run of non-text bytes: one replacement character */
		if (out->cost + fffd_cost > budget)
			break;
		memcpy(buf + k, fffd, 3);
		k += 3;
		out->cost += fffd_cost;
		do {
			len = utf8_seq(p + i, n - i, &cp);
			if (len > 0 && is_text(cp))
				break;
			len = len ? len : 1;
			out->binary_bytes += len;
			i += len;
		} while (i < n);
	}
	out->cut_bytes = n - i;
	out->text = json_stringn((const char *)buf, k);
	free(buf);
}
