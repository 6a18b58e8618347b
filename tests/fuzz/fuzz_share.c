/* fuzz_share.c - libFuzzer target for the SLIP-0039 mnemonic decoder: every
 * input fails cleanly or decodes to a share that encodes back to the same
 * words (lower case, single spaces) and decodes again to the same share;
 * inputs of up to four lines also go through recovery. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secretctl/secretctl.h"
#include "secretctl/shares.h"
#include "custody/share_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input's words, lower-cased, one space apart. */
static char *normalise(const char *in)
{
	size_t n = strlen(in), i, o = 0;
	char *out = malloc(n + 1);
	int space = 1;

	if (out == NULL)
		abort();
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = 1;
			continue;
		}
		if (space && o > 0)
			out[o++] = ' ';
		space = 0;
		out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[o] = '\0';
	return out;
}

static void one(const char *text)
{
	struct sc_share *a = sc_secmem_alloc(sizeof(*a)), *b = sc_secmem_alloc(sizeof(*b));
	struct sc_share_info info;
	char *enc = NULL, *norm;
	int r;

	if (a == NULL || b == NULL)
		abort();
	r = sc_share_decode(text, a);
	if ((sc_share_inspect(text, &info) == SC_OK) != (r == SC_OK))
		abort();
	if (r == SC_OK) {
		if (sc_share_encode(a, &enc) != SC_OK || sc_share_decode(enc, b) != SC_OK ||
		    memcmp(a, b, sizeof(*a)) != 0)
			abort();
		norm = normalise(text);
		if (strcmp(norm, enc) != 0)
			abort();
		free(norm);
		sc_secmem_free(enc);
	}
	sc_secmem_free(a);
	sc_secmem_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *text, *lines[4], *p, *save = NULL;
	uint8_t *secret = NULL;
	size_t n = 0, len = 0, i;
	struct sc_share_info info;
	int cheap = 1;

	if (!ready) {
		if (sc_init() != SC_OK)
			abort();
		ready = 1;
	}
	if (size > 4 * SC_SHARE_TEXT_MAX)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	one(text);
	for (p = strtok_r(text, "\n", &save); p != NULL && n < 4; p = strtok_r(NULL, "\n", &save)) {
		lines[n++] = p;
		one(p);
		/* keep recovery's PBKDF2 cheap: exponent 0 only */
		if (sc_share_inspect(p, &info) != SC_OK || info.iteration_exponent > 0)
			cheap = 0;
	}
	if (n > 0 && cheap) {
		if (sc_shares_combine((const char *const *)lines, n, "", &secret, &len) == SC_OK) {
			if (secret == NULL || len < SC_SHARE_SECRET_MIN ||
			    len > SC_SHARE_SECRET_MAX)
				abort();
		} else if (secret != NULL) {
			abort();
		}
		for (i = 0; i < len; i++)
			(void)secret[i];
		sc_secmem_free(secret);
	}
	free(text);
	return 0;
}
