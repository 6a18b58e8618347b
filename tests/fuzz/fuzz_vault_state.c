/* fuzz_vault_state.c - libFuzzer target for the plaintext codecs of the
 * vault's sealed state (generation, audit anchor, the version of each of
 * 256 index buckets; SCS2 adds the keyring row's MAC) and of its sealed index buckets (record id,
 * version and blinded name per entry). They run after the seal opens, so they see only what our key
 * sealed, but a bug in them is a bug in every open. The first byte picks the codec. Oracles:
 * accepted input formats back to the same bytes; a bucket's entry count is what its header says; a
 * refused bucket appends nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/vault_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void state(const uint8_t *in, size_t len)
{
	struct state st;
	uint8_t out[STATE2_LEN];

	if (sc_store_state_parse(in, len, &st) != SC_OK) {
		if ((len == STATE_LEN && memcmp(in, STATE_MAGIC, 4) == 0) ||
		    (len == STATE2_LEN && memcmp(in, STATE2_MAGIC, 4) == 0))
			abort(); /* well-formed, yet refused */
		return;
	}
	/* SCS1 has no keyring MAC, SCS2 has one: the magic and the length agree */
	if (len != (st.has_keyring ? STATE2_LEN : STATE_LEN))
		abort();
	if (sc_store_state_format(&st, out) != len || memcmp(out, in, len) != 0)
		abort();
}

static void bucket(const uint8_t *in, size_t len)
{
	struct bucket bk;
	uint8_t *out;
	size_t n;

	memset(&bk, 0, sizeof(bk));
	if (sc_store_bucket_parse(in, len, &bk) != SC_OK) {
		if (bk.n != 0)
			abort();
		sc_store_bucket_release(&bk);
		return;
	}
	n = (size_t)in[4] << 24 | (size_t)in[5] << 16 | (size_t)in[6] << 8 | in[7];
	if (bk.n != n || len != 8 + n * ENTRY_LEN || sc_store_bucket_format_len(&bk) != len)
		abort();
	if ((out = malloc(len)) == NULL)
		abort();
	sc_store_bucket_format(&bk, out);
	if (memcmp(out, in, len) != 0)
		abort();
	free(out);
	/* a second parse appends: the read-all path depends on it */
	if (sc_store_bucket_parse(in, len, &bk) != SC_OK || bk.n != 2 * n)
		abort();
	sc_store_bucket_release(&bk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		bucket(data + 1, size - 1);
	else
		state(data + 1, size - 1);
	return 0;
}
