/* fuzz_keyring.c - libFuzzer target for the keyring blob decoder: any input
 * fails cleanly or decodes to a keyring that encodes back to exactly the
 * same bytes, whose keys then work (tick, encrypt, decrypt) without fault. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys/keys_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use_keys(struct sc_keyring *kr)
{
	struct sc_keys_opts o = {1700000000, NULL, 0, 0};
	size_t i;

	(void)sc_keyring_tick(kr, o.now);
	for (i = 0; i < sc_keyring_count(kr); i++) {
		const char *name = sc_keyring_name_at(kr, i);
		char *ct = NULL;
		uint8_t *pt = NULL;
		size_t n = 0;

		if (sc_keyring_encrypt(kr, name, &o, (const uint8_t *)"fuzz", 4, &ct, NULL) ==
		    SC_OK) {
			if (sc_keyring_decrypt(kr, name, &o, ct, strlen(ct), &pt, &n, NULL) !=
			        SC_OK ||
			    n != 4 || memcmp(pt, "fuzz", 4) != 0)
				abort();
			sc_secmem_free(pt);
		}
		free(ct);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sc_keyring *kr = NULL;
	uint8_t *out = NULL;
	size_t out_len = 0;

	if (!ready) {
		if (sc_init() != SC_OK)
			abort();
		ready = 1;
	}
	if (sc_keyring_decode(data, size, &kr) != SC_OK) {
		if (kr != NULL)
			abort(); /* outputs stay NULL on failure */
		return 0;
	}
	if (sc_keyring_encode(kr, &out, &out_len) != SC_OK)
		abort();
	if (out_len != size || memcmp(out, data, size) != 0)
		abort();
	sc_secmem_free(out);
	use_keys(kr);
	sc_keyring_free(kr);
	return 0;
}
