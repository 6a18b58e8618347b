/* fuzz_keyslot.c - libFuzzer target for the key-slot decoders, which read
 * what the vault file says before anything authenticates it: the password
 * kind's parameters (Argon2id cost and salt: a tampered vault must not make
 * us allocate 4 TiB), the PKCS#11 kind's parameters (a pkcs11: URI) and its
 * wrapped-key framing, the recovery kind's parameters (salt and the split's
 * shape). The first byte picks the decoder. Oracles: what is
 * accepted encodes back to exactly the same bytes, stays inside the
 * documented bounds, and a refusal leaves the outputs empty. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyslot/keyslot_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void password_params(const uint8_t *in, size_t len)
{
	struct sc_kdf_params p = {0, 0};
	const uint8_t *salt = NULL;
	uint8_t out[SC_KEYSLOT_PARAMS_MAX];
	size_t out_len = 0;

	if (sc_keyslot_password_params_decode(in, len, &p, &salt) != SC_OK)
		return;
	/* the bounds: 8 MiB .. 4 GiB of memory, 1 .. 64 passes */
	if (p.mem_kib < 8192 || p.mem_kib > 4u * 1024 * 1024 || p.t < 1 || p.t > 64)
		abort();
	if (sc_keyslot_password_params_ok(&p) != SC_OK)
		abort();
	if (salt != in + 9)
		abort();
	if (sc_keyslot_password_params_encode(&p, salt, out, &out_len) != SC_OK)
		abort();
	if (out_len != len || memcmp(out, in, len) != 0)
		abort();
}

static void pkcs11_params(const uint8_t *in, size_t len)
{
	char uri[SC_KEYSLOT_URI_MAX + 1];
	size_t n;

	memset(uri, 'x', sizeof(uri));
	if (sc_keyslot_pkcs11_params_decode(in, len, uri) != SC_OK)
		return;
	/* u8 1, u16 n (big-endian), n bytes without NUL: exactly the input */
	n = strnlen(uri, sizeof(uri));
	if (n == 0 || n > SC_KEYSLOT_URI_MAX || len != 3 + n || in[0] != 1 ||
	    ((size_t)in[1] << 8 | in[2]) != n || memcmp(uri, in + 3, n) != 0)
		abort();
}

static void pkcs11_wrapped(const uint8_t *in, size_t len)
{
	size_t kw_len = 99;

	if (sc_keyslot_pkcs11_wrapped_split(in, len, &kw_len) != SC_OK) {
		if (kw_len != 0)
			abort();
		return;
	}
	/* u8 kw_len, the token's wrap, then one seal of a 32-byte key */
	if (kw_len == 0 || kw_len != in[0] || len != 1 + kw_len + SC_KEY_LEN + SC_SEAL_OVERHEAD)
		abort();
}

static void recovery_params(const uint8_t *in, size_t len)
{
	struct sc_keyslot_recovery rec = {0, 0, 0}, pub = {0, 0, 0};
	const uint8_t *salt = NULL;

	if (sc_keyslot_recovery_params_decode(in, len, &rec, &salt) != SC_OK) {
		if (sc_keyslot_recovery_params(in, len, &pub) == SC_OK)
			abort();
		return;
	}
	/* u8 1, salt[16], u16 identifier (big-endian), u8 threshold, u8 count,
	 * 1 <= threshold <= count <= 16 */
	if (len != 21 || in[0] != 1 || salt != in + 1 ||
	    rec.identifier != ((unsigned)in[17] << 8 | in[18]) || rec.threshold != in[19] ||
	    rec.count != in[20] || rec.threshold < 1 || rec.threshold > rec.count ||
	    rec.count > SC_SHARE_MAX)
		abort();
	if (sc_keyslot_recovery_params(in, len, &pub) != SC_OK ||
	    memcmp(&pub, &rec, sizeof(rec)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		if (sc_init() != SC_OK)
			abort();
		ready = 1;
	}
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		password_params(data + 1, size - 1);
		break;
	case 1:
		pkcs11_params(data + 1, size - 1);
		break;
	case 2:
		pkcs11_wrapped(data + 1, size - 1);
		break;
	default:
		recovery_params(data + 1, size - 1);
		break;
	}
	return 0;
}
