/* fuzz_import.c - libFuzzer target for the import codecs (port/): the
 * first byte picks the format (env, json, gosecretctl, 1password-csv,
 * 1pux, bitwarden, lastpass, a pass entry), the rest is the file. Every
 * secret a codec hands on must encode as a record and decode back. */
#include <stdint.h>
#include <stdlib.h>

#include "secretctl/port.h"
#include "secretctl/secmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(struct sc_secret *s, void *arg)
{
	struct sc_secret *back = NULL;
	uint8_t *rec = NULL;
	size_t len = 0;

	(void)arg;
	if (sc_record_encode(s, &rec, &len) != SC_OK)
		abort(); /* a codec let through a secret the vault cannot hold */
	if (sc_record_decode(rec, len, &back) != SC_OK)
		abort();
	sc_secret_free(back);
	sc_secmem_free(rec);
	return SC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sc_import_set *set = NULL;
	int format;

	if (!ready) {
		if (sc_init() != SC_OK)
			abort();
		ready = 1;
	}
	if (size < 1 || size > 1024 * 1024)
		return 0;
	format = data[0] % 8;
	if (sc_import_set_new(&set, (data[0] & 0x80) ? "fz/" : NULL, check, NULL) != SC_OK)
		abort();
	if (format == SC_IMPORT_PASS) {
		if (sc_import_pass_entry(set, "entry", data + 1, size - 1) == SC_OK)
			(void)sc_import_set_finish(set);
	} else {
		(void)sc_import_parse(format, data + 1, size - 1, set);
	}
	sc_import_set_free(set);
	return 0;
}
