/* ctfmt.c - the ciphertext text format sc:v1:NAME:VERSION:PAYLOAD (payload
 * in unpadded base64url, libsodium's codec): strict parse, one encoding. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/keys_int.h"

#define PREFIX "sc:v1:"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
/* the largest payload: an encryption of the largest plaintext */
#define PAYLOAD_MAX (SC_KEYS_PLAINTEXT_MAX + SC_NONCE_LEN + SC_TAG_LEN)

static int bad(const char *what)
{
	sc_set_error("not a secretctl ciphertext: %s", what);
	return SC_ERR_CORRUPT;
}

static int is_b64url(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
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
	const char *p, *end, *colon, *b64_end = NULL;
	size_t nl, bl, cap, got = 0, i;
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
	/* libsodium 1.0.18 takes some bytes >= 0x80 for base64 digits (found
	 * by fuzz_ctfmt): the alphabet is checked here first */
	for (i = 0; i < bl; i++)
		if (!is_b64url((unsigned char)p[i])) {
			memset(out, 0, sizeof(*out));
			return bad("payload is not base64url");
		}
	if ((buf = malloc(cap)) == NULL) {
		memset(out, 0, sizeof(*out));
		return SC_ERR_NOMEM;
	}
	/* no characters ignored; the whole rest must be base64url */
	if (sodium_base642bin(buf, cap, p, bl, NULL, &got, &b64_end, B64) != 0 || b64_end != end ||
	    got == 0 || got > PAYLOAD_MAX) {
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
	bl = sodium_base64_ENCODED_LEN(len, B64); /* counts the NUL */
	total = PREFIX_LEN + nl + 1 + (size_t)vl + 1 + bl;
	if ((s = malloc(total)) == NULL)
		return SC_ERR_NOMEM;
	memcpy(s, PREFIX, PREFIX_LEN);
	memcpy(s + PREFIX_LEN, name, nl);
	s[PREFIX_LEN + nl] = ':';
	memcpy(s + PREFIX_LEN + nl + 1, vbuf + 16 - vl, (size_t)vl);
	s[PREFIX_LEN + nl + 1 + vl] = ':';
	sodium_bin2base64(s + PREFIX_LEN + nl + 2 + vl, bl, payload, len, B64);
	*out = s;
	return SC_OK;
}
