/* test_keys_passphrase.c - custody keys sealed under a passphrase
 * (keys/passphrase.c): no passphrase or a wrong one signs nothing (and
 * through a save and reload); the public key needs none; the blob's
 * header, salt and sealed part are each bound (a flipped byte, or a
 * version's blob moved to another version, opens nothing); rotation
 * checks the passphrase first; such a key never becomes exportable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys/keys_int.h"
#include "secretctl/sig.h"

#define T0 1700000000
#define PP "correct horse battery"

static const struct sc_keys_pp good = {(const uint8_t *)PP, sizeof(PP) - 1, 1, 8192};
static const struct sc_keys_pp bad = {(const uint8_t *)"correct horse batterz", sizeof(PP) - 1, 1,
                                      8192};

static int setup(void **state)
{
	(void)state;
	assert_int_equal(sc_init(), SC_OK);
	return 0;
}

static struct sc_keyring *ring(enum sc_key_type t)
{
	struct sc_key_params p = {SC_KEY_PASSPHRASE, 0, 0};
	struct sc_keyring *kr = NULL;

	assert_int_equal(sc_keyring_new(&kr), SC_OK);
	sc_keyring_set_sig_keygen(kr, sc_keys_sig_keygen, NULL);
	/* no passphrase: nothing is made */
	assert_int_equal(sc_keyring_create(kr, "c", t, &p, T0), SC_ERR_AUTH);
	assert_int_equal(sc_keyring_count(kr), 0);
	sc_keyring_set_passphrase(kr, &good);
	assert_int_equal(sc_keyring_create(kr, "c", t, &p, T0), SC_OK);
	sc_keyring_set_passphrase(kr, NULL);
	return kr;
}

static struct sc_keyring *reload(struct sc_keyring *kr, uint8_t **blob, size_t *len)
{
	struct sc_keyring *out = NULL;

	assert_int_equal(sc_keyring_encode(kr, blob, len), SC_OK);
	sc_keyring_free(kr);
	assert_int_equal(sc_keyring_decode(*blob, *len, &out), SC_OK);
	sc_keyring_set_sig_keygen(out, sc_keys_sig_keygen, NULL);
	return out;
}

/* sign "m" with version v (0: newest) under pp; verify it on success */
static int sign_v(struct sc_keyring *kr, const struct sc_keys_pp *pp, uint32_t v)
{
	struct sc_keys_opts o = {T0, NULL, v, 0};
	struct sc_keys_info info;
	uint8_t sig[SC_SIG_MAX];
	size_t sl = 0;
	int r;

	sc_keyring_set_passphrase(kr, pp);
	r = sc_keyring_sign(kr, "c", &o, NULL, (const uint8_t *)"m", 1, sig, &sl, &info);
	sc_keyring_set_passphrase(kr, NULL);
	if (r == SC_OK)
		assert_int_equal(
		    sc_keyring_verify(kr, "c", &o, NULL, (const uint8_t *)"m", 1, sig, sl, &info),
		    SC_OK);
	else
		assert_int_equal(sl, 0);
	sc_clear_error();
	return r;
}

static void test_each_type(void **state)
{
	enum sc_key_type types[] = {SC_KEY_ED25519, SC_KEY_ECDSA_P256, SC_KEY_SECP256K1};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct sc_keyring *kr = ring(types[i]);
		struct sc_keys_opts o = {T0, NULL, 0, 0};
		uint8_t *blob = NULL, pub[SC_SIG_PUB_MAX];
		size_t len = 0, pl = 0;
		int alg = 0;

		assert_int_equal(sign_v(kr, NULL, 0), SC_ERR_AUTH);
		assert_int_equal(sign_v(kr, &bad, 0), SC_ERR_AUTH);
		assert_int_equal(sign_v(kr, &good, 0), SC_OK);
		kr = reload(kr, &blob, &len);
		assert_int_equal(sign_v(kr, NULL, 0), SC_ERR_AUTH);
		assert_int_equal(sign_v(kr, &bad, 0), SC_ERR_AUTH);
		assert_int_equal(sign_v(kr, &good, 0), SC_OK);
		/* the public key without it */
		assert_int_equal(
		    sc_keyring_pubkey(kr, "c", &o, SC_KEY_OP_VERIFY, pub, &pl, &alg, NULL), SC_OK);
		assert_true(pl == 32 || pl == 33 || pl == 65);
		/* never exportable */
		assert_int_equal(sc_keyring_set_exportable(kr, "c"), SC_ERR_DENIED);
		sc_clear_error();
		sc_secmem_free(blob);
		sc_keyring_free(kr);
	}
}

/* The offset of the n-th (0-based) passphrase blob in an encoded keyring. */
static size_t blob_at(const uint8_t *b, size_t len, int n)
{
	size_t i;

	for (i = 0; i + 4 <= len; i++)
		if (memcmp(b + i, "SCPP", 4) == 0 && n-- == 0)
			return i;
	fail_msg("no passphrase blob %d", n);
	return 0;
}

static void test_every_part_is_bound(void **state)
{
	struct sc_keyring *kr = ring(SC_KEY_ED25519), *t = NULL;
	uint8_t *blob = NULL, *copy;
	size_t len = 0, at, k;
	/* the header (magic and format aside: those fail the parse), the
	 * public key, t, mem, the salt, the sealed nonce, body and tag */
	size_t offs[] = {5,
	                 7,
	                 7 + 31,
	                 7 + 32 + 3,
	                 7 + 32 + 7,
	                 7 + 32 + 8,
	                 7 + 32 + 8 + 15,
	                 7 + 32 + 8 + 16,
	                 7 + 32 + 8 + 16 + 20,
	                 7 + 32 + 8 + 16 + 67};

	(void)state;
	kr = reload(kr, &blob, &len);
	at = blob_at(blob, len, 0);
	for (k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
		int r;

		copy = malloc(len);
		memcpy(copy, blob, len);
		copy[at + offs[k]] ^= 0x01;
		r = sc_keyring_decode(copy, len, &t);
		sc_clear_error();
		if (r == SC_OK) {
			/* decodes (a changed byte in range): the passphrase opens nothing */
			assert_int_not_equal(sign_v(t, &good, 0), SC_OK);
			sc_keyring_free(t);
		} else {
			assert_int_equal(r, SC_ERR_CORRUPT);
		}
		t = NULL;
		free(copy);
	}
	sc_secmem_free(blob);
	sc_keyring_free(kr);
}

static void test_rotation_and_moved_blob(void **state)
{
	struct sc_keyring *kr = ring(SC_KEY_ED25519), *t = NULL;
	uint8_t *blob = NULL, tmp[SC_KEYS_PP_MATERIAL_MAX];
	size_t len = 0, a, b, n;
	uint32_t v = 0;

	(void)state;
	/* without it, or with another, no version is made */
	assert_int_equal(sc_keyring_rotate(kr, "c", T0, &v), SC_ERR_AUTH);
	sc_keyring_set_passphrase(kr, &bad);
	assert_int_equal(sc_keyring_rotate(kr, "c", T0, &v), SC_ERR_AUTH);
	sc_keyring_set_passphrase(kr, &good);
	assert_int_equal(sc_keyring_rotate(kr, "c", T0, &v), SC_OK);
	sc_keyring_set_passphrase(kr, NULL);
	sc_clear_error();
	assert_int_equal(v, 2);
	assert_int_equal(sign_v(kr, &good, 1), SC_OK);
	assert_int_equal(sign_v(kr, &good, 2), SC_OK);
	/* version 1's blob in version 2's place (and back): the AAD names the
	 * version, so neither opens */
	kr = reload(kr, &blob, &len);
	a = blob_at(blob, len, 0);
	b = blob_at(blob, len, 1);
	n = 7 + 32 + 8 + 16 + 68; /* an ed25519 version's whole blob */
	assert_true(n <= sizeof(tmp) && a + n <= b && b + n <= len);
	memcpy(tmp, blob + a, n);
	memmove(blob + a, blob + b, n);
	memcpy(blob + b, tmp, n);
	assert_int_equal(sc_keyring_decode(blob, len, &t), SC_OK);
	assert_int_not_equal(sign_v(t, &good, 1), SC_OK);
	assert_int_not_equal(sign_v(t, &good, 2), SC_OK);
	sc_keyring_free(t);
	sc_secmem_free(blob);
	sc_keyring_free(kr);
}

static void test_refused_combinations(void **state)
{
	struct sc_keyring *kr = NULL;
	struct sc_key_params p = {SC_KEY_PASSPHRASE, 0, 0};

	(void)state;
	assert_int_equal(sc_keyring_new(&kr), SC_OK);
	sc_keyring_set_passphrase(kr, &good);
	assert_int_equal(sc_keyring_create(kr, "a", SC_KEY_AES256_GCM, &p, T0), SC_ERR_INVALID);
	p.flags |= SC_KEY_EXPORTABLE;
	assert_int_equal(sc_keyring_create(kr, "e", SC_KEY_ED25519, &p, T0), SC_ERR_INVALID);
	p.flags = SC_KEY_PASSPHRASE | SC_KEY_IN_TOKEN;
	assert_int_equal(sc_keyring_create(kr, "t", SC_KEY_ED25519, &p, T0), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_count(kr), 0);
	sc_clear_error();
	sc_keyring_free(kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_type),
	    cmocka_unit_test(test_every_part_is_bound),
	    cmocka_unit_test(test_rotation_and_moved_blob),
	    cmocka_unit_test(test_refused_combinations),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
