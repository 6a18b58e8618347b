/* fuzz_backup.c - libFuzzer target for the backup file's two parsers: the
 * header (read before anything is authenticated: outside input in the
 * full sense) and the payload's file list (read after every chunk has
 * authenticated, but a bug in it is a bug in every restore). The first
 * byte picks the parser. Oracles: an accepted header formats back to the
 * same bytes; an accepted payload rebuilds to as many bytes, with vault.db
 * present. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void header(const uint8_t *in, size_t len)
{
	struct bk_header h;
	uint8_t *out;
	size_t used, n;

	if (sc_bk_header_parse(in, len, &h, &used) != SC_OK)
		return;
	if (used > len || used > BK_HEADER_MAX || (out = malloc(BK_HEADER_MAX)) == NULL)
		abort();
	if (sc_bk_header_format(&h, h.slots, out, BK_HEADER_MAX, &n) != SC_OK || n != used ||
	    memcmp(out, in, n) != 0)
		abort();
	free(out);
	sc_bk_header_release(&h);
}

static void payload(const uint8_t *in, size_t len)
{
	struct sc_vault_snapshot s;
	uint8_t *out;
	size_t n;

	if (sc_bk_payload_parse(in, len, &s) != SC_OK)
		return;
	if (s.db == NULL || sc_bk_payload_build(&s, &out, &n) != SC_OK || n != len)
		abort();
	free(out);
	sc_vault_snapshot_release(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		payload(data + 1, size - 1);
	else
		header(data + 1, size - 1);
	return 0;
}
