/* ctfmt.c - the ciphertext text format sc:v1:NAME:VERSION:PAYLOAD (payload
 * in unpadded base64url): strict parse, one encoding. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "keys/keys_int.h"

#define PREFIX "sc:v1:"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
/* the largest payload: an encryption of the largest plaintext */
#define PAYLOAD_MAX (SC_KEYS_PLAINTEXT_MAX + SC_NONCE_LEN + SC_TAG_LEN)

static int bad(const char *what)
{
	sc_set_error("not a secretctl ciphertext: %s", what);
	return SC_ERR_CORRUPT;
}

/* A base64url digit to the standard-alphabet digit OpenSSL reads; 0 for
 * every byte that is not a digit. */
static const unsigned char std_digit[256] = {
    ['A'] = 'A', ['B'] = 'B', ['C'] = 'C', ['D'] = 'D', ['E'] = 'E', ['F'] = 'F', ['G'] = 'G',
    ['H'] = 'H', ['I'] = 'I', ['J'] = 'J', ['K'] = 'K', ['L'] = 'L', ['M'] = 'M', ['N'] = 'N',
    ['O'] = 'O', ['P'] = 'P', ['Q'] = 'Q', ['R'] = 'R', ['S'] = 'S', ['T'] = 'T', ['U'] = 'U',
    ['V'] = 'V', ['W'] = 'W', ['X'] = 'X', ['Y'] = 'Y', ['Z'] = 'Z', ['a'] = 'a', ['b'] = 'b',
    ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i',
    ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n', ['o'] = 'o', ['p'] = 'p',
    ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w',
    ['x'] = 'x', ['y'] = 'y', ['z'] = 'z', ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3',
    ['4'] = '4', ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9', ['-'] = '+',
    ['_'] = '/'};

/* The value of a digit already known to be in the alphabet. */
static unsigned b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return (unsigned)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return (unsigned)(c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0' + 52);
	return c == '-' ? 62 : 63;
}

/*
 * The payload is ciphertext, not a secret, so it goes through OpenSSL's
 * table codec: libsodium's constant-time one took about 72% of an
 * encrypt/decrypt of 1 KiB (bench_keys under callgrind). OpenSSL speaks
 * padded standard base64, so the digits are translated on a copy. Only
 * the canonical spelling decodes: a length that is not 1 mod 4, and zero
 * bits past the last byte. buf has room for bl / 4 * 3 + 3 bytes.
 */
static int b64url_decode(const char *p, size_t bl, uint8_t *buf, size_t *got)
{
	size_t rem = bl % 4, pad = rem ? 4 - rem : 0, i;
	unsigned char *t;
	int n;

	*got = 0;
	if (rem == 1 || bl + pad > INT_MAX)
		return -1;
	if ((rem == 2 && (b64_value((unsigned char)p[bl - 1]) & 0x0f) != 0) ||
	    (rem == 3 && (b64_value((unsigned char)p[bl - 1]) & 0x03) != 0))
		return -1;
	if ((t = malloc(bl + pad)) == NULL)
		return -1;
	/* the alphabet, checked: no whitespace or padding is skipped (and
	 * libsodium 1.0.18, used before, took some bytes >= 0x80 for digits:
	 * found by fuzz_ctfmt) */
	for (i = 0; i < bl; i++)
		if ((t[i] = std_digit[(unsigned char)p[i]]) == 0) {
			free(t);
			return -1;
		}
	memset(t + bl, '=', pad);
	n = EVP_DecodeBlock(buf, t, (int)(bl + pad));
	free(t);
	/* OpenSSL counts the padding as zero bytes */
	if (n < 0 || (size_t)n < pad)
		return -1;
	*got = (size_t)n - pad;
	return 0;
}

void sc_keys_ct_release(struct sc_keys_ct *ct)
{
	if (ct == NULL)
		return;
	free(ct->payload);
	memset(ct, 0, sizeof(*ct));
}

int sc_keys_ct_parse(const char *text, size_t len, struct sc_keys_ct *out)
{
	const char *p, *end, *colon;
	size_t nl, bl, cap, got = 0;
	uint64_t ver = 0;
	uint8_t *buf;

	memset(out, 0, sizeof(*out));
	if (text == NULL || len > SC_KEYS_CT_TEXT_MAX)
		return bad("too long");
	if (len < PREFIX_LEN || memcmp(text, PREFIX, PREFIX_LEN) != 0) {
		size_t d = 4;

		/* sc:vN: with N other than 1: a newer format, said so */
		if (len >= 4 && memcmp(text, "sc:v", 4) == 0) {
			while (d < len && d < 14 && text[d] >= '0' && text[d] <= '9')
				d++;
			if (d > 4 && d < len && text[d] == ':' && text[4] != '0' &&
			    !(d == 5 && text[4] == '1')) {
				sc_set_error("ciphertext format '%.*s' is newer than this build",
				             (int)d, text);
				return SC_ERR_VERSION;
			}
		}
		return bad("no sc:v1: prefix");
	}
	p = text + PREFIX_LEN;
	end = text + len;
	if ((colon = memchr(p, ':', (size_t)(end - p))) == NULL)
		return bad("no version");
	nl = (size_t)(colon - p);
	if (nl == 0 || nl > SC_KEY_NAME_MAX)
		return bad("bad key name");
	memcpy(out->name, p, nl);
	out->name[nl] = '\0';
	if (memchr(p, 0, nl) != NULL || sc_keys_name_valid(out->name) != SC_OK) {
		memset(out, 0, sizeof(*out));
		return bad("bad key name");
	}
	p = colon + 1;
	/* decimal, 1..UINT32_MAX, no leading zero, no sign */
	if (p == end || *p < '1' || *p > '9')
		goto badver;
	while (p < end && *p >= '0' && *p <= '9') {
		ver = ver * 10 + (uint64_t)(*p - '0');
		if (ver > UINT32_MAX)
			goto badver;
		p++;
	}
	if (p == end || *p != ':')
		goto badver;
	p++;
	bl = (size_t)(end - p);
	cap = bl / 4 * 3 + 3;
	if (bl == 0 || cap > PAYLOAD_MAX + 3) {
		memset(out, 0, sizeof(*out));
		return bad("bad payload length");
	}
	if ((buf = malloc(cap)) == NULL) {
		memset(out, 0, sizeof(*out));
		return SC_ERR_NOMEM;
	}
	if (b64url_decode(p, bl, buf, &got) != 0 || got == 0 || got > PAYLOAD_MAX) {
		free(buf);
		memset(out, 0, sizeof(*out));
		return bad("payload is not base64url");
	}
	out->version = (uint32_t)ver;
	out->payload = buf;
	out->payload_len = got;
	return SC_OK;
badver:
	memset(out, 0, sizeof(*out));
	return bad("bad version number");
}

int sc_keys_ct_format(const char *name, uint32_t version, const uint8_t *payload, size_t len,
                      char **out)
{
	char vbuf[16];
	size_t nl, bl, total;
	char *s;
	int r, vl = 0;
	uint32_t x = version;

	*out = NULL;
	if ((r = sc_keys_name_valid(name)) != SC_OK)
		return r;
	if (version == 0 || len == 0 || len > PAYLOAD_MAX)
		return SC_ERR_INVALID;
	do {
		vbuf[15 - vl++] = (char)('0' + x % 10);
		x /= 10;
	} while (x > 0);
	nl = strlen(name);
	bl = (len + 2) / 3 * 4 + 1; /* padded, with its NUL */
	total = PREFIX_LEN + nl + 1 + (size_t)vl + 1 + bl;
	if ((s = malloc(total)) == NULL)
		return SC_ERR_NOMEM;
	memcpy(s, PREFIX, PREFIX_LEN);
	memcpy(s + PREFIX_LEN, name, nl);
	s[PREFIX_LEN + nl] = ':';
	memcpy(s + PREFIX_LEN + nl + 1, vbuf + 16 - vl, (size_t)vl);
	s[PREFIX_LEN + nl + 1 + vl] = ':';
	{
		char *b = s + PREFIX_LEN + nl + 2 + vl;
		size_t i;

		/* OpenSSL's codec, into base64url without padding */
		EVP_EncodeBlock((unsigned char *)b, payload, (int)len);
		for (i = 0; b[i] != '\0' && b[i] != '='; i++)
			if (b[i] == '+')
				b[i] = '-';
			else if (b[i] == '/')
				b[i] = '_';
		b[i] = '\0';
	}
	*out = s;
	return SC_OK;
}
