/* fuzz_record.c - libFuzzer target for the record body decoder: any input
 * either fails cleanly or decodes to a secret that re-encodes to exactly
 * the same bytes (the format has one encoding per secret). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/secret_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sc_secret *s = NULL;
	uint8_t *out = NULL;
	size_t out_len = 0, i;

	if (!ready) {
		if (sc_init() != SC_OK)
			abort();
		ready = 1;
	}
	if (sc_record_decode(data, size, &s) != SC_OK) {
		if (s != NULL)
			abort(); /* outputs stay NULL on failure */
		return 0;
	}
	/* what decoded must satisfy the model's own rules */
	if (sc_name_valid(sc_secret_name(s)) != SC_OK)
		abort();
	for (i = 0; i < sc_secret_field_count(s); i++) {
		const char *name;
		const uint8_t *value;
		size_t len;

		if (sc_secret_field(s, i, &name, &value, &len, NULL, NULL) != SC_OK ||
		    sc_field_name_valid(name) != SC_OK || len > SC_VALUE_MAX || value[len] != 0)
			abort();
	}
	if (sc_record_encode(s, &out, &out_len) != SC_OK)
		abort();
	if (out_len != size || memcmp(out, data, size) != 0)
		abort();
	sc_secmem_free(out);
	sc_secret_free(s);
	return 0;
}
