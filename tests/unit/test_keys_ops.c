/* test_keys_ops.c - keyring operations: rotation and which version
 * encrypts, rewrap, data keys, HMAC against RFC 4231, the per-version
 * encryption counter up to its limit, counter reservation, rotation on
 * the first use past the period, the floors, and the signing hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys/keys_int.h"

#define T0 1700000000
#define DAY 86400

static int setup(void **state)
{
	(void)state;
	assert_int_equal(sc_init(), SC_OK);
	return 0;
}

static struct sc_keyring *ring1(const char *name, enum sc_key_type t, const struct sc_key_params *p)
{
	struct sc_keyring *kr = NULL;

	assert_int_equal(sc_keyring_new(&kr), SC_OK);
	assert_int_equal(sc_keyring_create(kr, name, t, p, T0), SC_OK);
	return kr;
}

static uint32_t ct_version(const char *ct)
{
	struct sc_keys_ct p;
	uint32_t v;

	assert_int_equal(sc_keys_ct_parse(ct, strlen(ct), &p), SC_OK);
	v = p.version;
	sc_keys_ct_release(&p);
	return v;
}

static void test_rotate_and_rewrap(void **state)
{
	struct sc_keyring *kr = ring1("k", SC_KEY_AES256_GCM, NULL);
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	struct sc_keys_info info;
	char *c1 = NULL, *c2 = NULL, *c3 = NULL;
	uint8_t *pt = NULL;
	size_t n = 0;
	uint32_t v = 0;

	(void)state;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"one", 3, &c1, &info),
	                 SC_OK);
	assert_int_equal(info.version, 1);
	assert_int_equal(info.rotated, 0);
	assert_int_equal(sc_keyring_rotate(kr, "k", T0 + 1, &v), SC_OK);
	assert_int_equal(v, 2);
	/* new encryptions under the newest; the old still opens */
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"two", 3, &c2, &info),
	                 SC_OK);
	assert_int_equal(ct_version(c2), 2);
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, c1, strlen(c1), &pt, &n, &info), SC_OK);
	assert_int_equal(info.version, 1);
	sc_secmem_free(pt);
	/* rewrap moves it to version 2, same plaintext */
	assert_int_equal(sc_keyring_set_state(kr, "k", 1, SC_KEY_DEACTIVATED, T0 + 2), SC_OK);
	assert_int_equal(sc_keyring_rewrap(kr, "k", &o, c1, strlen(c1), &c3, &info), SC_OK);
	assert_int_equal(info.version, 2);
	assert_int_equal(ct_version(c3), 2);
	assert_int_equal(sc_keyring_decrypt(kr, NULL, &o, c3, strlen(c3), &pt, &n, NULL), SC_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(pt, "one", 3);
	sc_secmem_free(pt);
	free(c3);
	c3 = NULL;
	/* explicit version: version 1 no longer encrypts (deactivated) */
	o.version = 1;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"x", 1, &c3, NULL),
	                 SC_ERR_STATE);
	o.version = 9;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"x", 1, &c3, NULL),
	                 SC_ERR_NOT_FOUND);
	o.version = 0;
	/* rewrap refuses what decrypt refuses: suspended */
	assert_int_equal(sc_keyring_set_state(kr, "k", 1, SC_KEY_COMPROMISED, T0 + 3), SC_OK);
	assert_int_equal(sc_keyring_rewrap(kr, "k", &o, c1, strlen(c1), &c3, NULL), SC_ERR_STATE);
	assert_null(c3);
	o.allow_compromised = 1;
	assert_int_equal(sc_keyring_rewrap(kr, "k", &o, c1, strlen(c1), &c3, &info), SC_OK);
	assert_int_equal(info.version, 2);
	free(c3);
	c3 = NULL;
	/* a tampered input rewraps to nothing */
	c1[strlen(c1) - 2] ^= 1;
	assert_int_equal(sc_keyring_rewrap(kr, "k", &o, c1, strlen(c1), &c3, NULL), SC_ERR_CORRUPT);
	assert_null(c3);
	free(c1);
	free(c2);
	sc_keyring_free(kr);
}

static void test_min_encrypt_floor(void **state)
{
	struct sc_keyring *kr = ring1("k", SC_KEY_CHACHA20_POLY1305, NULL);
	struct sc_keys_opts o = {T0, NULL, 1, 0};
	char *ct = NULL;

	(void)state;
	assert_int_equal(sc_keyring_rotate(kr, "k", T0, NULL), SC_OK);
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"x", 1, &ct, NULL),
	                 SC_OK);
	free(ct);
	ct = NULL;
	assert_int_equal(sc_keyring_set_min_encrypt(kr, "k", 2), SC_OK);
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"x", 1, &ct, NULL),
	                 SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "min_encrypt_version"));
	assert_int_equal(sc_keyring_set_min_encrypt(kr, "k", 0), SC_ERR_INVALID);
	sc_keyring_free(kr);
}

/* Forced rotation before SC_KEYS_AEAD_LIMIT. */
static void test_counter_limit(void **state)
{
	struct sc_keyring *kr = ring1("k", SC_KEY_AES256_GCM, NULL);
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	struct sc_keys_info info;
	struct sc_key_version_meta m;
	char *ct = NULL, *w = NULL;

	(void)state;
	assert_true(SC_KEYS_AEAD_LIMIT <= (UINT64_C(1) << 32)); /* SP 800-38D 8.3 */
	assert_int_equal(sc_keys_test_set_counter(kr, "k", 1, SC_KEYS_AEAD_LIMIT - 2), SC_OK);
	/* the last two under version 1 */
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"a", 1, &ct, &info),
	                 SC_OK);
	assert_int_equal(info.version, 1);
	free(ct);
	assert_int_equal(sc_keyring_datakey(kr, "k", &o, &w, NULL, &info), SC_OK);
	assert_int_equal(info.version, 1);
	assert_int_equal(info.rotated, 0);
	free(w);
	assert_int_equal(sc_keyring_version_at(kr, "k", 0, &m), SC_OK);
	assert_int_equal(m.encryptions, SC_KEYS_AEAD_LIMIT);
	/* the next one rotates first */
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"b", 1, &ct, &info),
	                 SC_OK);
	assert_int_equal(info.version, 2);
	assert_int_equal(info.rotated, 1);
	assert_int_equal(ct_version(ct), 2);
	free(ct);
	ct = NULL;
	/* version 1 asked for by number: refused, the way out named */
	o.version = 1;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"c", 1, &ct, NULL),
	                 SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "newest"));
	assert_null(ct);
	/* it still decrypts what it made */
	o.version = 0;
	sc_keyring_free(kr);
	/* chacha20-poly1305 has the same bound */
	kr = ring1("c", SC_KEY_CHACHA20_POLY1305, NULL);
	assert_int_equal(sc_keys_test_set_counter(kr, "c", 1, SC_KEYS_AEAD_LIMIT), SC_OK);
	assert_int_equal(sc_keyring_encrypt(kr, "c", &o, (const uint8_t *)"a", 1, &ct, &info),
	                 SC_OK);
	assert_int_equal(info.version, 2);
	free(ct);
	sc_keyring_free(kr);
}

/* Reservations: the generation moves when a new block is reserved, a
 * reloaded keyring counts every reserved encryption as used. */
/* The real nonce source: 2,000 encryptions of one plaintext under one
 * version, every 96-bit nonce different, every one counted. */
static void test_nonces_distinct(void **state)
{
	struct sc_keyring *kr = ring1("k", SC_KEY_CHACHA20_POLY1305, NULL);
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	struct sc_key_version_meta m;
	enum { N = 2000 };
	static uint8_t nonces[N][12];
	size_t i, j;

	(void)state;
	for (i = 0; i < N; i++) {
		struct sc_keys_ct p = {{0}, 0, NULL, 0};
		char *ct = NULL;

		assert_int_equal(
		    sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"same", 4, &ct, NULL), SC_OK);
		assert_int_equal(sc_keys_ct_parse(ct, strlen(ct), &p), SC_OK);
		assert_int_equal(p.payload_len, 12 + 4 + 16);
		memcpy(nonces[i], p.payload, 12);
		sc_keys_ct_release(&p);
		free(ct);
	}
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++)
			assert_memory_not_equal(nonces[i], nonces[j], 12);
	assert_int_equal(sc_keyring_version_at(kr, "k", 0, &m), SC_OK);
	assert_true(m.encryptions >= N);
	sc_keyring_free(kr);
}

static void test_counter_reservation(void **state)
{
	struct sc_keyring *kr = ring1("k", SC_KEY_AES256_GCM, NULL), *back = NULL;
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	struct sc_key_version_meta m;
	uint64_t gen;
	uint8_t *blob = NULL;
	size_t n = 0;
	int i;

	(void)state;
	sc_keyring_set_reserve(kr, 4);
	for (i = 0; i < 9; i++) {
		char *ct = NULL;

		gen = sc_keyring_generation(kr);
		assert_int_equal(
		    sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"x", 1, &ct, NULL), SC_OK);
		/* encryptions 1, 5, 9 reserve a block: the caller must save */
		if (i % 4 == 0)
			assert_true(sc_keyring_generation(kr) > gen);
		else
			assert_int_equal(sc_keyring_generation(kr), gen);
		free(ct);
	}
	assert_int_equal(sc_keyring_encode(kr, &blob, &n), SC_OK);
	assert_int_equal(sc_keyring_decode(blob, n, &back), SC_OK);
	assert_int_equal(sc_keyring_version_at(back, "k", 0, &m), SC_OK);
	assert_int_equal(m.encryptions, 12); /* 3 blocks of 4 */
	sc_secmem_free(blob);
	sc_keyring_free(back);
	sc_keyring_free(kr);
}

static void test_rotate_every(void **state)
{
	struct sc_key_params p = {0, 90 * DAY, 0};
	struct sc_keyring *kr = ring1("k", SC_KEY_AES256_GCM, &p);
	struct sc_keys_opts o = {T0 + 90 * DAY - 1, NULL, 0, 0};
	struct sc_keys_info info;
	char *ct = NULL;

	(void)state;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"a", 1, &ct, &info),
	                 SC_OK);
	assert_int_equal(info.version, 1);
	assert_int_equal(info.rotated, 0);
	free(ct);
	o.now = T0 + 90 * DAY;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"a", 1, &ct, &info),
	                 SC_OK);
	assert_int_equal(info.version, 2);
	assert_int_equal(info.rotated, 1);
	free(ct);
	/* the period runs from the new version's creation */
	o.now = T0 + 180 * DAY - 1;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"a", 1, &ct, &info),
	                 SC_OK);
	assert_int_equal(info.version, 2);
	free(ct);
	/* off: no more rotation */
	assert_int_equal(sc_keyring_set_rotate_every(kr, "k", 0), SC_OK);
	o.now = T0 + 900 * DAY;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"a", 1, &ct, &info),
	                 SC_OK);
	assert_int_equal(info.version, 2);
	free(ct);
	sc_keyring_free(kr);
}

static void test_datakey(void **state)
{
	struct sc_keyring *kr = ring1("k", SC_KEY_CHACHA20_POLY1305, NULL);
	struct sc_keys_ctx *c = NULL;
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	char *w = NULL, *w2 = NULL;
	uint8_t *plain = NULL, *back = NULL, *plain2 = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(sc_keys_ctx_new(&c), SC_OK);
	assert_int_equal(sc_keys_ctx_add_kv(c, "purpose=backup"), SC_OK);
	o.ctx = c;
	assert_int_equal(sc_keyring_datakey(kr, "k", &o, &w, &plain, NULL), SC_OK);
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, w, strlen(w), &back, &n, NULL), SC_OK);
	assert_int_equal(n, SC_KEYS_DATAKEY_LEN);
	assert_memory_equal(back, plain, SC_KEYS_DATAKEY_LEN);
	/* fresh each time */
	assert_int_equal(sc_keyring_datakey(kr, "k", &o, &w2, &plain2, NULL), SC_OK);
	assert_memory_not_equal(plain, plain2, SC_KEYS_DATAKEY_LEN);
	free(w2);
	w2 = NULL;
	/* wrapped only */
	assert_int_equal(sc_keyring_datakey(kr, "k", &o, &w2, NULL, NULL), SC_OK);
	assert_non_null(w2);
	/* bound to the context too */
	o.ctx = NULL;
	sc_secmem_free(back);
	back = NULL;
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, w, strlen(w), &back, &n, NULL),
	                 SC_ERR_CORRUPT);
	free(w);
	free(w2);
	sc_secmem_free(plain);
	sc_secmem_free(plain2);
	sc_keys_ctx_free(c);
	sc_keyring_free(kr);
}

/* RFC 4231 test cases 1 and 2. HMAC pads its key with zeros to the block
 * size, so a 32-byte key of the RFC's key followed by zeros gives the RFC's
 * answer. */
static void test_hmac(void **state)
{
	static const struct {
		const char *key, *msg, *mac;
	} vec[] = {
	    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	    {"4a656665", "what do ya want for nothing?",
	     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct sc_keyring *kr = ring1("h", SC_KEY_HMAC_SHA256, NULL);
		struct sc_keys_opts o = {T0, NULL, 0, 0};
		struct sc_keys_info info;
		struct sc_keys_ct p;
		uint8_t key[32] = {0}, want[32];
		size_t kl = 0, ml = strlen(vec[i].msg);
		char *mac = NULL, *mac2 = NULL;

		assert_int_equal(
		    sodium_hex2bin(key, 32, vec[i].key, strlen(vec[i].key), NULL, &kl, NULL), 0);
		assert_int_equal(sodium_hex2bin(want, 32, vec[i].mac, 64, NULL, &kl, NULL), 0);
		assert_int_equal(sc_keys_test_set_material(kr, "h", 1, key, 32), SC_OK);
		assert_int_equal(
		    sc_keyring_hmac(kr, "h", &o, (const uint8_t *)vec[i].msg, ml, &mac, &info),
		    SC_OK);
		assert_int_equal(sc_keys_ct_parse(mac, strlen(mac), &p), SC_OK);
		assert_int_equal(p.payload_len, 32);
		assert_memory_equal(p.payload, want, 32);
		sc_keys_ct_release(&p);
		assert_int_equal(sc_keyring_hmac_verify(kr, "h", &o, (const uint8_t *)vec[i].msg,
		                                        ml, mac, strlen(mac), NULL),
		                 SC_OK);
		/* another message, a flipped bit, another key's name */
		assert_int_equal(sc_keyring_hmac_verify(kr, "h", &o, (const uint8_t *)"x", 1, mac,
		                                        strlen(mac), NULL),
		                 SC_ERR_CORRUPT);
		mac[strlen(mac) - 3] ^= 1;
		assert_int_not_equal(sc_keyring_hmac_verify(kr, "h", &o,
		                                            (const uint8_t *)vec[i].msg, ml, mac,
		                                            strlen(mac), NULL),
		                     SC_OK);
		/* after rotation: the old version verifies while active or
		 * deactivated, the new one signs */
		assert_int_equal(sc_keyring_rotate(kr, "h", T0, NULL), SC_OK);
		assert_int_equal(
		    sc_keyring_hmac(kr, "h", &o, (const uint8_t *)"m", 1, &mac2, &info), SC_OK);
		assert_int_equal(info.version, 2);
		assert_int_equal(sc_keyring_set_state(kr, "h", 2, SC_KEY_DEACTIVATED, T0), SC_OK);
		assert_int_equal(sc_keyring_hmac_verify(kr, "h", &o, (const uint8_t *)"m", 1, mac2,
		                                        strlen(mac2), NULL),
		                 SC_OK);
		free(mac2);
		mac2 = NULL;
		assert_int_equal(
		    sc_keyring_hmac(kr, "h", &o, (const uint8_t *)"m", 1, &mac2, &info),
		    SC_ERR_STATE);
		assert_int_equal(sc_keyring_set_state(kr, "h", 2, SC_KEY_COMPROMISED, T0), SC_OK);
		free(mac);
		sc_keyring_free(kr);
	}
}

static void test_wrong_types(void **state)
{
	struct sc_keyring *kr = ring1("h", SC_KEY_HMAC_SHA256, NULL);
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	struct sc_keys_ctx *c = NULL;
	char *out = NULL;
	uint8_t *pt = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(sc_keyring_create(kr, "a", SC_KEY_AES256_GCM, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_encrypt(kr, "h", &o, (const uint8_t *)"x", 1, &out, NULL),
	                 SC_ERR_INVALID);
	assert_int_equal(sc_keyring_datakey(kr, "h", &o, &out, NULL, NULL), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_hmac(kr, "a", &o, (const uint8_t *)"x", 1, &out, NULL),
	                 SC_ERR_INVALID);
	/* an hmac's text does not decrypt */
	assert_int_equal(sc_keyring_hmac(kr, "h", &o, (const uint8_t *)"x", 1, &out, NULL), SC_OK);
	assert_int_equal(sc_keyring_decrypt(kr, NULL, &o, out, strlen(out), &pt, &n, NULL),
	                 SC_ERR_INVALID);
	free(out);
	out = NULL;
	/* an hmac takes no context */
	assert_int_equal(sc_keys_ctx_new(&c), SC_OK);
	assert_int_equal(sc_keys_ctx_add_kv(c, "a=b"), SC_OK);
	o.ctx = c;
	assert_int_equal(sc_keyring_hmac(kr, "h", &o, (const uint8_t *)"x", 1, &out, NULL),
	                 SC_ERR_INVALID);
	/* no time, no key */
	assert_int_equal(sc_keyring_encrypt(kr, "a", NULL, (const uint8_t *)"x", 1, &out, NULL),
	                 SC_ERR_INVALID);
	o.ctx = NULL;
	assert_int_equal(sc_keyring_encrypt(kr, "zz", &o, (const uint8_t *)"x", 1, &out, NULL),
	                 SC_ERR_NOT_FOUND);
	assert_int_equal(
	    sc_keyring_encrypt(kr, "bad name", &o, (const uint8_t *)"x", 1, &out, NULL),
	    SC_ERR_NAME);
	assert_null(out);
	sc_keys_ctx_free(c);
	sc_keyring_free(kr);
}

/* The signing hook: material comes from the signature table's keygen,
 * the keyring checks the lifecycle before handing it out. */
static int fake_keygen(int type, uint8_t *m, size_t cap, size_t *len, void *arg)
{
	int *calls = arg;

	(*calls)++;
	assert_true(cap >= 32);
	assert_int_equal(type, SC_KEY_ED25519);
	memset(m, 0x5a + *calls, 32);
	*len = 32;
	return SC_OK;
}

static void test_signing_hook(void **state)
{
	struct sc_keyring *kr = NULL;
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	struct sc_keys_info info;
	const uint8_t *m = NULL;
	size_t n = 0;
	int calls = 0;
	char *out = NULL;

	(void)state;
	assert_int_equal(sc_keyring_new(&kr), SC_OK);
	/* not wired: refused, and said why */
	assert_int_equal(sc_keyring_create(kr, "s", SC_KEY_ED25519, NULL, T0), SC_ERR_INVALID);
	assert_non_null(strstr(sc_last_error(), "signature table"));
	sc_keyring_set_sig_keygen(kr, fake_keygen, &calls);
	assert_int_equal(sc_keyring_create(kr, "s", SC_KEY_ED25519, NULL, T0), SC_OK);
	assert_int_equal(calls, 1);
	assert_int_equal(sc_keyring_sig_material(kr, "s", &o, SC_KEY_OP_SIGN, &m, &n, &info),
	                 SC_OK);
	assert_int_equal(n, 32);
	assert_int_equal(m[0], 0x5b);
	assert_int_equal(sc_keyring_rotate(kr, "s", T0, NULL), SC_OK);
	assert_int_equal(sc_keyring_sig_material(kr, "s", &o, SC_KEY_OP_SIGN, &m, &n, &info),
	                 SC_OK);
	assert_int_equal(info.version, 2);
	assert_int_equal(m[0], 0x5c);
	/* deactivated: verify only */
	assert_int_equal(sc_keyring_set_state(kr, "s", 1, SC_KEY_DEACTIVATED, T0), SC_OK);
	o.version = 1;
	assert_int_equal(sc_keyring_sig_material(kr, "s", &o, SC_KEY_OP_SIGN, &m, &n, NULL),
	                 SC_ERR_STATE);
	assert_null(m);
	assert_int_equal(sc_keyring_sig_material(kr, "s", &o, SC_KEY_OP_VERIFY, &m, &n, NULL),
	                 SC_OK);
	/* suspended: nothing */
	o.version = 2;
	assert_int_equal(sc_keyring_set_state(kr, "s", 2, SC_KEY_SUSPENDED, T0), SC_OK);
	assert_int_equal(sc_keyring_sig_material(kr, "s", &o, SC_KEY_OP_VERIFY, &m, &n, NULL),
	                 SC_ERR_STATE);
	assert_int_equal(sc_keyring_sig_material(kr, "s", &o, 99, &m, &n, NULL), SC_ERR_INVALID);
	/* a signing key neither encrypts nor macs */
	assert_int_equal(sc_keyring_encrypt(kr, "s", &o, (const uint8_t *)"x", 1, &out, NULL),
	                 SC_ERR_INVALID);
	assert_int_equal(sc_keyring_hmac(kr, "s", &o, (const uint8_t *)"x", 1, &out, NULL),
	                 SC_ERR_INVALID);
	/* survives the blob, material and all */
	{
		struct sc_keyring *back = NULL;
		uint8_t *blob = NULL;
		size_t bl = 0;

		assert_int_equal(sc_keyring_encode(kr, &blob, &bl), SC_OK);
		assert_int_equal(sc_keyring_decode(blob, bl, &back), SC_OK);
		o.version = 1;
		assert_int_equal(
		    sc_keyring_sig_material(back, "s", &o, SC_KEY_OP_VERIFY, &m, &n, NULL), SC_OK);
		assert_int_equal(n, 32);
		assert_int_equal(m[31], 0x5b);
		sc_secmem_free(blob);
		sc_keyring_free(back);
	}
	{
		enum sc_key_type t;

		assert_int_equal(sc_key_type_parse("secp256k1", &t), SC_OK);
		assert_true(sc_key_type_is_signing(t));
		assert_false(sc_key_type_is_signing(SC_KEY_HMAC_SHA256));
	}
	sc_keyring_free(kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rotate_and_rewrap),
	    cmocka_unit_test(test_min_encrypt_floor),
	    cmocka_unit_test(test_counter_limit),
	    cmocka_unit_test(test_nonces_distinct),
	    cmocka_unit_test(test_counter_reservation),
	    cmocka_unit_test(test_rotate_every),
	    cmocka_unit_test(test_datakey),
	    cmocka_unit_test(test_hmac),
	    cmocka_unit_test(test_wrong_types),
	    cmocka_unit_test(test_signing_hook),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
