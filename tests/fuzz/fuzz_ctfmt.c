/* fuzz_ctfmt.c - libFuzzer target for the text a user hands in: the sc:v1
 * ciphertext parser (what parses formats back to the same text, and never
 * decrypts under the fixed keyring here) and, with the first byte odd,
 * encryption contexts given as k=v lines (the encoding stays bounded). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys/keys_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sc_keyring *ring(void)
{
	static const enum sc_key_type types[] = {SC_KEY_AES256_GCM, SC_KEY_CHACHA20_POLY1305,
	                                         SC_KEY_HMAC_SHA256};
	static const char *const names[] = {"k", "c", "h"};
	struct sc_keyring *kr = NULL;
	uint8_t m[32];
	int i;

	memset(m, 7, sizeof(m));
	if (sc_keyring_new(&kr) != SC_OK)
		abort();
	for (i = 0; i < 3; i++)
		if (sc_keyring_create(kr, names[i], types[i], NULL, 1) != SC_OK ||
		    sc_keys_test_set_material(kr, names[i], 1, m, 32) != SC_OK)
			abort();
	return kr;
}

static void ciphertext(struct sc_keyring *kr, const char *text, size_t size)
{
	struct sc_keys_opts o = {2, NULL, 0, 0};
	struct sc_keys_ct ct;
	uint8_t *pt = NULL;
	size_t n = 0;
	char *back = NULL;

	if (sc_keys_ct_parse(text, size, &ct) == SC_OK) {
		if (sc_keys_name_valid(ct.name) != SC_OK || ct.version == 0 ||
		    sc_keys_ct_format(ct.name, ct.version, ct.payload, ct.payload_len, &back) !=
		        SC_OK ||
		    strlen(back) != size || memcmp(back, text, size) != 0)
			abort();
		free(back);
		sc_keys_ct_release(&ct);
	} else if (ct.payload != NULL) {
		abort();
	}
	/* no forged text opens */
	if (sc_keyring_decrypt(kr, NULL, &o, text, size, &pt, &n, NULL) == SC_OK)
		abort();
	if (pt != NULL)
		abort();
	if (sc_keyring_hmac_verify(kr, "h", &o, (const uint8_t *)"m", 1, text, size, NULL) == SC_OK)
		abort();
}

static void context(const char *text, size_t size)
{
	struct sc_keys_ctx *c = NULL;
	uint8_t *enc = NULL;
	size_t n = 0, i = 0;

	if (sc_keys_ctx_new(&c) != SC_OK)
		abort();
	while (i < size) {
		const char *nl = memchr(text + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (text + i)) : size - i;
		char *line = malloc(len + 1);

		if (line == NULL)
			abort();
		memcpy(line, text + i, len);
		line[len] = '\0';
		(void)sc_keys_ctx_add_kv(c, line);
		free(line);
		i += len + 1;
	}
	if (sc_keys_ctx_encode(c, &enc, &n) != SC_OK || n > SC_KEYS_CTX_ENCODED_MAX ||
	    ((size_t)enc[0] << 8 | enc[1]) != sc_keys_ctx_count(c))
		abort();
	free(enc);
	sc_keys_ctx_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sc_keyring *kr;

	if (kr == NULL) {
		if (sc_init() != SC_OK)
			abort();
		kr = ring();
	}
	if (size == 0)
		return 0;
	if (data[0] & 1)
		context((const char *)data + 1, size - 1);
	else
		ciphertext(kr, (const char *)data + 1, size - 1);
	return 0;
}
