/* test_frost_vectors.c - FROST(Ed25519, SHA-512) and FROST(secp256k1,
 * SHA-256) byte for byte against the RFC 9591 test vectors (appendix E: the
 * JSON of github.com/cfrg/draft-irtf-cfrg-frost, poc/frost-ed25519-sha512.json
 * and poc/frost-secp256k1-sha256.json, final version); RFC 9380's
 * expand_message_xmd against its appendix K.1; the DKG against
 * ZcashFoundation/frost's frost-ed25519/tests/helpers/vectors_dkg.json (an
 * interoperability check: ZF's own vectors, not an independent standard's).
 * The JSON files are read from tests/data/frost/ (see its README). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/frost.h"
#include "custody/frost_int.h"

static json_t *load(const char *name)
{
	char path[4096];
	const char *slash = strrchr(__FILE__, '/');
	json_error_t err;
	json_t *j;

	assert_non_null(slash);
	snprintf(path, sizeof(path), "%.*s/../data/frost/%s", (int)(slash - __FILE__), __FILE__,
	         name);
	j = json_load_file(path, 0, &err);
	if (j == NULL)
		fail_msg("%s: %s", path, err.text);
	return j;
}

/* The hex string at a path of object keys, decoded into out (exactly n bytes). */
static void hex_at(json_t *j, const char *key, uint8_t *out, size_t n)
{
	const char *hex = json_string_value(json_object_get(j, key));
	size_t got = 0;

	if (hex == NULL)
		fail_msg("no string '%s'", key);
	if (sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL) != 0 || got != n ||
	    strlen(hex) != 2 * n)
		fail_msg("'%s' is not %zu bytes of hex", key, n);
}

static uint16_t int_at(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	if (json_is_integer(v))
		return (uint16_t)json_integer_value(v);
	if (json_is_string(v))
		return (uint16_t)atoi(json_string_value(v));
	fail_msg("no integer '%s'", key);
	return 0;
}

static int openssl_ed25519_verify(const uint8_t pk[32], const uint8_t *msg, size_t len,
                                  const uint8_t sig[64])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	assert_non_null(key);
	assert_non_null(ctx);
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, sig, 64, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ok;
}

static void test_rfc9591_ed25519(void **state)
{
	json_t *v = load("frost-ed25519-sha512.json");
	json_t *in = json_object_get(v, "inputs");
	json_t *r1 = json_object_get(json_object_get(v, "round_one_outputs"), "outputs");
	json_t *r2 = json_object_get(json_object_get(v, "round_two_outputs"), "outputs");
	json_t *cfg = json_object_get(v, "config"), *x;
	uint8_t secret[32], coeff[32], gpk[32], pt[32], want[192], got[192], s[32], t[32];
	uint8_t sig[64], want_sig[64], msg[64];
	struct sc_frost_share *shares[3];
	struct sc_frost_key_package *kp[3] = {0};
	struct sc_frost_pubkeys *pub = NULL;
	struct sc_frost_commitment com[2];
	struct sc_frost_nonce *nonce[2] = {0};
	struct sc_frost_signing_package *pkg = NULL;
	struct sc_frost_sig_share ss[2];
	const char *m_hex;
	size_t msg_len = 0, i, idx;
	uint16_t culprit = 99;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(cfg, "name")),
	                    "FROST(Ed25519, SHA-512)");
	assert_int_equal(int_at(cfg, "MIN_PARTICIPANTS"), 2);
	assert_int_equal(int_at(cfg, "MAX_PARTICIPANTS"), 3);
	hex_at(in, "group_secret_key", secret, 32);
	hex_at(in, "group_public_key", gpk, 32);
	hex_at(json_object_get(v, "final_output"), "sig", want_sig, 64);
	/* the final RFC, not an older draft (values given by issue 16) */
	assert_memory_equal(gpk, "\x15\xd2\x1c\xcd\x7e\xe4\x29\x59", 8);
	assert_memory_equal(gpk + 28, "\xb9\x73\x86\x73", 4);
	assert_memory_equal(want_sig, "\x36\x28\x26\x29\xc3\x83\xbb\x82", 8);
	assert_memory_equal(want_sig + 60, "\x87\xb3\x16\x0b", 4);
	m_hex = json_string_value(json_object_get(in, "message"));
	assert_int_equal(
	    sodium_hex2bin(msg, sizeof(msg), m_hex, strlen(m_hex), NULL, &msg_len, NULL), 0);
	{
		const char *c = json_string_value(
		    json_array_get(json_object_get(in, "share_polynomial_coefficients"), 0));
		size_t n = 0;

		assert_non_null(c);
		assert_int_equal(sodium_hex2bin(coeff, 32, c, strlen(c), NULL, &n, NULL), 0);
		assert_int_equal(n, 32);
	}

	/* the group key, and the dealer's shares from the given polynomial */
	assert_int_equal(sc_frost_mul_base(pt, secret), SC_OK);
	assert_memory_equal(pt, gpk, 32);
	assert_int_equal(sc_frost_dealer_split_with(secret, coeff, 2, 3, shares), SC_OK);
	for (i = 0; i < 3; i++) {
		x = json_array_get(json_object_get(in, "participant_shares"), i);
		assert_int_equal(int_at(x, "identifier"), i + 1);
		hex_at(x, "participant_share", s, 32);
		assert_int_equal(sc_frost_share_id(shares[i]), i + 1);
		assert_int_equal(sc_frost_share_verify(shares[i], &kp[i], i == 0 ? &pub : NULL),
		                 SC_OK);
		assert_memory_equal(sc_frost_key_package_signing_share(kp[i]), s, 32);
		assert_memory_equal(sc_frost_key_package_group_key(kp[i]), gpk, 32);
		assert_int_equal(sc_frost_mul_base(pt, s), SC_OK);
		assert_memory_equal(sc_frost_pubkeys_verifying_share(pub, (uint16_t)(i + 1)), pt,
		                    32);
		sc_frost_share_free(shares[i]);
	}
	assert_memory_equal(sc_frost_pubkeys_group_key(pub), gpk, 32);

	/* round one: nonces from the given randomness, their commitments */
	for (i = 0; i < 2; i++) {
		uint8_t hr[32], br[32], h[32], b[32];
		uint16_t id;

		x = json_array_get(r1, i);
		id = int_at(x, "identifier");
		assert_int_equal(id, json_integer_value(json_array_get(
		                         json_object_get(in, "participant_list"), i)));
		hex_at(x, "hiding_nonce_randomness", hr, 32);
		hex_at(x, "binding_nonce_randomness", br, 32);
		assert_int_equal(
		    sc_frost_commit_with_randomness(kp[id - 1], hr, br, &nonce[i], &com[i]), SC_OK);
		sc_frost_nonce_scalars(nonce[i], h, b);
		hex_at(x, "hiding_nonce", s, 32);
		assert_memory_equal(h, s, 32);
		hex_at(x, "binding_nonce", s, 32);
		assert_memory_equal(b, s, 32);
		hex_at(x, "hiding_nonce_commitment", pt, 32);
		assert_memory_equal(com[i].hiding, pt, 32);
		hex_at(x, "binding_nonce_commitment", pt, 32);
		assert_memory_equal(com[i].binding, pt, 32);
		assert_int_equal(com[i].id, id);
	}
	/* the coordinator's package: given in reverse, it sorts */
	{
		struct sc_frost_commitment rev[2] = {com[1], com[0]};

		assert_int_equal(sc_frost_signing_package_new(gpk, rev, 2, msg, msg_len, &pkg),
		                 SC_OK);
	}
	for (i = 0; i < 2; i++) {
		x = json_array_get(r1, i);
		hex_at(x, "binding_factor_input", want, sizeof(want));
		hex_at(x, "binding_factor", t, 32);
		assert_int_equal(sc_frost_binding_factor(pkg, i, got, s), SC_OK);
		assert_memory_equal(got, want, sizeof(want));
		assert_memory_equal(s, t, 32);
	}

	/* round two: the signature shares; each verifies */
	for (i = 0; i < 2; i++) {
		x = json_array_get(r2, i);
		idx = int_at(x, "identifier") - 1u;
		assert_int_equal(sc_frost_sign(kp[idx], &nonce[i], pkg, &ss[i]), SC_OK);
		assert_null(nonce[i]); /* consumed */
		hex_at(x, "sig_share", s, 32);
		assert_memory_equal(ss[i].z, s, 32);
		assert_int_equal(ss[i].id, idx + 1);
		assert_int_equal(sc_frost_verify_share(pub, pkg, &ss[i]), SC_OK);
	}

	/* the final signature, and that it is plain Ed25519 */
	assert_int_equal(sc_frost_aggregate(pub, pkg, ss, 2, sig, &culprit), SC_OK);
	assert_int_equal(culprit, 0);
	assert_memory_equal(sig, want_sig, 64);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, msg_len, gpk), 0);
	assert_true(openssl_ed25519_verify(gpk, msg, msg_len, sig));
	assert_int_equal(sc_frost_verify(gpk, msg, msg_len, sig), SC_OK);
	sig[10] ^= 1;
	assert_int_equal(sc_frost_verify(gpk, msg, msg_len, sig), SC_ERR_CORRUPT);
	assert_false(openssl_ed25519_verify(gpk, msg, msg_len, sig));

	sc_frost_signing_package_free(pkg);
	sc_frost_pubkeys_free(pub);
	for (i = 0; i < 3; i++)
		sc_frost_key_package_free(kp[i]);
	json_decref(v);
}

/* ZcashFoundation/frost's DKG vectors: three participants, threshold 2. */
static void test_zf_dkg_ed25519(void **state)
{
	json_t *v = load("zf-ed25519-dkg.json");
	json_t *in = json_object_get(v, "inputs"), *p;
	struct sc_frost_dkg *st[3] = {0};
	struct sc_frost_dkg_round1 *r1[3] = {0};
	struct sc_frost_dkg_round2 *r2[3][2] = {{0}};
	struct sc_frost_key_package *kp[3] = {0};
	struct sc_frost_pubkeys *pub[3] = {0};
	uint8_t coeffs[64], k[32], b[64], vk[32];
	uint16_t culprit;
	char key[24];
	size_t i, j;

	(void)state;
	hex_at(in, "verifying_key", vk, 32);
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "%zu", i + 1);
		p = json_object_get(in, key);
		/* "signing_key" is the constant term, "coefficient" the other; the
		 * proof's nonce is not given, so the vector's proof replaces ours
		 * and must pass our check (the challenge's layout) in part 2 */
		hex_at(p, "signing_key", coeffs, 32);
		hex_at(p, "coefficient", coeffs + 32, 32);
		crypto_core_ed25519_scalar_random(k);
		assert_int_equal(
		    sc_frost_dkg_part1_with((uint16_t)(i + 1), 2, 3, coeffs, k, &st[i], &r1[i]),
		    SC_OK);
		for (j = 0; j < 2; j++) {
			const char *c = json_string_value(
			    json_array_get(json_object_get(p, "vss_commitments"), j));
			size_t n = 0;

			assert_int_equal(sodium_hex2bin(b, 32, c, strlen(c), NULL, &n, NULL), 0);
			assert_memory_equal(sc_frost_dkg_round1_commitment(r1[i], j), b, 32);
		}
		assert_int_equal(sc_frost_dkg_round1_check(r1[i]), SC_OK);
		hex_at(p, "proof_of_knowledge", b, 64);
		memcpy(r1[i]->r, b, 32);
		memcpy(r1[i]->mu, b + 32, 32);
		assert_int_equal(sc_frost_dkg_round1_check(r1[i]), SC_OK);
		r1[i]->mu[0] ^= 1;
		assert_int_equal(sc_frost_dkg_round1_check(r1[i]), SC_ERR_CORRUPT);
		r1[i]->mu[0] ^= 1;
	}
	for (i = 0; i < 3; i++) {
		const struct sc_frost_dkg_round1 *others[2];
		size_t n = 0;

		for (j = 0; j < 3; j++)
			if (j != i)
				others[n++] = r1[j];
		assert_int_equal(sc_frost_dkg_part2(st[i], others, 2, r2[i], &culprit), SC_OK);
		/* inputs[recipient].signing_shares[sender] is what the sender sent */
		for (j = 0; j < 2; j++) {
			char to[8], from[8];

			snprintf(to, sizeof(to), "%u", sc_frost_dkg_round2_recipient(r2[i][j]));
			snprintf(from, sizeof(from), "%zu", i + 1);
			p = json_object_get(json_object_get(in, to), "signing_shares");
			hex_at(p, from, b, 32);
			assert_memory_equal(sc_frost_dkg_round2_share(r2[i][j]), b, 32);
		}
	}
	for (i = 0; i < 3; i++) {
		const struct sc_frost_dkg_round2 *mine[2];
		size_t n = 0, s;

		for (j = 0; j < 3; j++)
			for (s = 0; s < 2; s++)
				if (j != i && sc_frost_dkg_round2_recipient(r2[j][s]) == i + 1)
					mine[n++] = r2[j][s];
		assert_int_equal(n, 2);
		assert_int_equal(sc_frost_dkg_part3(st[i], mine, 2, &kp[i], &pub[i], &culprit),
		                 SC_OK);
		snprintf(key, sizeof(key), "%zu", i + 1);
		p = json_object_get(in, key);
		/* The file's "signing_share" of participants 2 and 3 is not
		 * f_1(i) + f_2(i) + f_3(i) of its own polynomials (checked by hand),
		 * while their "verifying_share" is that sum times B: so the signing
		 * share is compared for participant 1, the verifying shares for all. */
		if (i == 0) {
			hex_at(p, "signing_share", b, 32);
			assert_memory_equal(sc_frost_key_package_signing_share(kp[i]), b, 32);
		}
		hex_at(p, "verifying_share", b, 32);
		assert_memory_equal(sc_frost_key_package_verifying_share(kp[i]), b, 32);
		for (j = 0; j < 3; j++) {
			snprintf(key, sizeof(key), "%zu", j + 1);
			hex_at(json_object_get(in, key), "verifying_share", b, 32);
			assert_memory_equal(
			    sc_frost_pubkeys_verifying_share(pub[i], (uint16_t)(j + 1)), b, 32);
		}
		assert_memory_equal(sc_frost_key_package_group_key(kp[i]), vk, 32);
		assert_memory_equal(sc_frost_pubkeys_group_key(pub[i]), vk, 32);
	}
	for (i = 0; i < 3; i++) {
		sc_frost_dkg_free(st[i]);
		sc_frost_dkg_round1_free(r1[i]);
		for (j = 0; j < 2; j++)
			sc_frost_dkg_round2_free(r2[i][j]);
		sc_frost_key_package_free(kp[i]);
		sc_frost_pubkeys_free(pub[i]);
	}
	json_decref(v);
}

/* RFC 9380 appendix K.1: expand_message_xmd(SHA-256),
 * DST "QUUX-V01-CS02-with-expander-SHA256-128", len_in_bytes 0x20. */
static void test_expand_message_xmd(void **state)
{
	static const char dst[] = "QUUX-V01-CS02-with-expander-SHA256-128";
	uint8_t out[32], want[32];
	size_t n = 0;

	(void)state;
	assert_int_equal(sc_frost_k1_expand_message_xmd(out, 32, (const uint8_t *)"", 0,
	                                                (const uint8_t *)dst, sizeof(dst) - 1),
	                 SC_OK);
	assert_int_equal(
	    sodium_hex2bin(want, 32,
	                   "68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235", 64,
	                   NULL, &n, NULL),
	    0);
	assert_memory_equal(out, want, 32);
	assert_int_equal(sc_frost_k1_expand_message_xmd(out, 32, (const uint8_t *)"abc", 3,
	                                                (const uint8_t *)dst, sizeof(dst) - 1),
	                 SC_OK);
	assert_int_equal(
	    sodium_hex2bin(want, 32,
	                   "d8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615", 64,
	                   NULL, &n, NULL),
	    0);
	assert_memory_equal(out, want, 32);
}

/* RFC 9591 appendix E.5: FROST(secp256k1, SHA-256). */
static void test_rfc9591_secp256k1(void **state)
{
	json_t *v = load("frost-secp256k1-sha256.json");
	json_t *in = json_object_get(v, "inputs");
	json_t *r1 = json_object_get(json_object_get(v, "round_one_outputs"), "outputs");
	json_t *r2 = json_object_get(json_object_get(v, "round_two_outputs"), "outputs");
	json_t *x;
	uint8_t secret[32], coeff[32], gpk[33], pt[33], shares[3 * 32], vss[2 * 33], s[32];
	uint8_t nh[2][32], nb[2][32], want[SC_FROST_K1_RHO_INPUT_LEN],
	    got[SC_FROST_K1_RHO_INPUT_LEN];
	uint8_t zs[2 * 32], sig[65], want_sig[65], msg[64];
	struct sc_frost_k1_commitment com[2];
	const char *m_hex, *c;
	size_t msg_len = 0, i, n = 0;

	(void)state;
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(v, "config"), "name")),
	    "FROST(secp256k1, SHA-256)");
	hex_at(in, "group_secret_key", secret, 32);
	hex_at(in, "group_public_key", gpk, 33);
	hex_at(json_object_get(v, "final_output"), "sig", want_sig, 65);
	m_hex = json_string_value(json_object_get(in, "message"));
	assert_int_equal(
	    sodium_hex2bin(msg, sizeof(msg), m_hex, strlen(m_hex), NULL, &msg_len, NULL), 0);
	c = json_string_value(
	    json_array_get(json_object_get(in, "share_polynomial_coefficients"), 0));
	assert_non_null(c);
	assert_int_equal(sodium_hex2bin(coeff, 32, c, strlen(c), NULL, &n, NULL), 0);
	assert_int_equal(n, 32);

	assert_int_equal(sc_frost_k1_mul_base(pt, secret), SC_OK);
	assert_memory_equal(pt, gpk, 33);
	assert_int_equal(sc_frost_k1_split_with(secret, coeff, 2, 3, shares, vss), SC_OK);
	assert_memory_equal(vss, gpk, 33);
	for (i = 0; i < 3; i++) {
		x = json_array_get(json_object_get(in, "participant_shares"), i);
		hex_at(x, "participant_share", s, 32);
		assert_memory_equal(shares + i * 32, s, 32);
		assert_int_equal(sc_frost_k1_vss_verify((uint16_t)(i + 1), s, vss, 2), SC_OK);
	}
	s[31] ^= 1;
	assert_int_equal(sc_frost_k1_vss_verify(3, s, vss, 2), SC_ERR_CORRUPT);

	for (i = 0; i < 2; i++) {
		uint8_t hr[32], br[32];
		uint16_t id;

		x = json_array_get(r1, i);
		id = int_at(x, "identifier");
		hex_at(x, "hiding_nonce_randomness", hr, 32);
		hex_at(x, "binding_nonce_randomness", br, 32);
		sc_frost_k1_nonce_generate(nh[i], hr, shares + (id - 1) * 32);
		sc_frost_k1_nonce_generate(nb[i], br, shares + (id - 1) * 32);
		hex_at(x, "hiding_nonce", s, 32);
		assert_memory_equal(nh[i], s, 32);
		hex_at(x, "binding_nonce", s, 32);
		assert_memory_equal(nb[i], s, 32);
		com[i].id = id;
		assert_int_equal(sc_frost_k1_mul_base(com[i].hiding, nh[i]), SC_OK);
		assert_int_equal(sc_frost_k1_mul_base(com[i].binding, nb[i]), SC_OK);
		hex_at(x, "hiding_nonce_commitment", pt, 33);
		assert_memory_equal(com[i].hiding, pt, 33);
		hex_at(x, "binding_nonce_commitment", pt, 33);
		assert_memory_equal(com[i].binding, pt, 33);
	}
	for (i = 0; i < 2; i++) {
		uint8_t bf[32];

		x = json_array_get(r1, i);
		hex_at(x, "binding_factor_input", want, sizeof(want));
		hex_at(x, "binding_factor", s, 32);
		assert_int_equal(sc_frost_k1_binding_factor(gpk, com, 2, msg, msg_len, i, got, bf),
		                 SC_OK);
		assert_memory_equal(got, want, sizeof(want));
		assert_memory_equal(bf, s, 32);
	}
	for (i = 0; i < 2; i++) {
		uint16_t id;

		x = json_array_get(r2, i);
		id = int_at(x, "identifier");
		assert_int_equal(id, com[i].id);
		assert_int_equal(sc_frost_k1_sign(id, shares + (id - 1) * 32, gpk, nh[i], nb[i],
		                                  msg, msg_len, com, 2, zs + i * 32),
		                 SC_OK);
		hex_at(x, "sig_share", s, 32);
		assert_memory_equal(zs + i * 32, s, 32);
		assert_int_equal(sc_frost_k1_mul_base(pt, shares + (id - 1) * 32), SC_OK);
		assert_int_equal(
		    sc_frost_k1_verify_share(id, pt, gpk, msg, msg_len, com, 2, zs + i * 32),
		    SC_OK);
		zs[i * 32 + 5] ^= 1;
		assert_int_equal(
		    sc_frost_k1_verify_share(id, pt, gpk, msg, msg_len, com, 2, zs + i * 32),
		    SC_ERR_CORRUPT);
		zs[i * 32 + 5] ^= 1;
	}
	assert_int_equal(sc_frost_k1_aggregate(gpk, msg, msg_len, com, 2, zs, sig), SC_OK);
	assert_memory_equal(sig, want_sig, 65);
	assert_int_equal(sc_frost_k1_verify(gpk, msg, msg_len, sig), SC_OK);
	sig[40] ^= 1;
	assert_int_equal(sc_frost_k1_verify(gpk, msg, msg_len, sig), SC_ERR_CORRUPT);
	/* an unsorted list is refused */
	{
		struct sc_frost_k1_commitment rev[2] = {com[1], com[0]};
		uint8_t bf[32];

		assert_int_equal(sc_frost_k1_binding_factor(gpk, rev, 2, msg, msg_len, 0, got, bf),
		                 SC_ERR_INVALID);
	}
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc9591_ed25519),
	    cmocka_unit_test(test_zf_dkg_ed25519),
	    cmocka_unit_test(test_expand_message_xmd),
	    cmocka_unit_test(test_rfc9591_secp256k1),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
