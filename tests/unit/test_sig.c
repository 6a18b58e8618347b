/* test_sig.c - the signature table against published vectors (RFC 8032 7.1,
 * Wycheproof Ed25519, ECDSA P-256 DER and P1363 and secp256k1 "bitcoin"
 * low-S, all of BIP-340's test-vectors.csv), low-S, the key blob, the
 * options every algorithm refuses and the public-key encodings. OpenSSL's
 * and OpenSSH's tools check our output in test_sig_tools.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/sig.h"
#include "testdata.h"

static const enum sc_sig_alg all_algs[] = {SC_SIG_ED25519, SC_SIG_P256, SC_SIG_SECP256K1};

static uint8_t *must_unhex(const char *hex, size_t *len)
{
	uint8_t *p = td_unhex(hex, len);

	if (p == NULL)
		fail_msg("bad hex in a vector: %.40s", hex);
	return p;
}

/* ---- Ed25519: RFC 8032 section 7.1 (tests/data/rfc8032_ed25519.txt) ---- */

static void test_ed25519_rfc8032(void **state)
{
	char *text = td_read("rfc8032_ed25519.txt", NULL), *line, *save = NULL;
	int count = 0;

	(void)state;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *f[5], *p = line;
		uint8_t *sk, *pk, *msg, *sig, pub[SC_SIG_PUB_MAX], out[SC_SIG_MAX];
		size_t skl, pkl, ml, sl, publ, outl;
		struct sc_sig_key *k;
		int i;

		if (line[0] == '#')
			continue;
		for (i = 0; i < 5; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (i < 4) {
				assert_non_null(p);
				*p++ = '\0';
			}
		}
		sk = must_unhex(f[1], &skl);
		pk = must_unhex(f[2], &pkl);
		msg = must_unhex(f[3], &ml);
		sig = must_unhex(f[4], &sl);
		assert_int_equal(sc_sig_key_from_private(SC_SIG_ED25519, sk, skl, &k), SC_OK);
		assert_int_equal(sc_sig_key_public(k, pub, &publ), SC_OK);
		assert_int_equal(publ, 32);
		if (memcmp(pub, pk, 32) != 0)
			fail_msg("RFC 8032 %s: wrong public key", f[0]);
		assert_int_equal(sc_sig_sign(k, NULL, msg, ml, out, &outl), SC_OK);
		assert_int_equal(outl, 64);
		if (memcmp(out, sig, 64) != 0)
			fail_msg("RFC 8032 %s: wrong signature", f[0]);
		assert_int_equal(sc_sig_verify(SC_SIG_ED25519, NULL, pk, 32, msg, ml, sig, 64),
		                 SC_OK);
		/* one bit of the signature or the message changed fails */
		sig[63] ^= 0x01;
		assert_int_equal(sc_sig_verify(SC_SIG_ED25519, NULL, pk, 32, msg, ml, sig, 64),
		                 SC_ERR_CORRUPT);
		sig[63] ^= 0x01;
		sig[0] ^= 0x80;
		assert_int_equal(sc_sig_verify(SC_SIG_ED25519, NULL, pk, 32, msg, ml, sig, 64),
		                 SC_ERR_CORRUPT);
		sig[0] ^= 0x80;
		if (ml > 0) {
			msg[ml / 2] ^= 0x10;
			assert_int_equal(
			    sc_sig_verify(SC_SIG_ED25519, NULL, pk, 32, msg, ml, sig, 64),
			    SC_ERR_CORRUPT);
		}
		assert_int_equal(sc_sig_verify(SC_SIG_ED25519, NULL, pk, 32, msg, ml, sig, 63),
		                 SC_ERR_CORRUPT);
		sc_sig_key_free(k);
		free(sk);
		free(pk);
		free(msg);
		free(sig);
		count++;
	}
	assert_int_equal(count, 5);
	free(text);
}

/* ---- Wycheproof (C2SP/wycheproof testvectors_v1, a subset: see
 * tests/data/README.md) ------------------------------------------------- */

struct wp_counts {
	int valid, invalid;
};

static void run_wycheproof(const char *file, enum sc_sig_alg alg, enum sc_sig_scheme scheme,
                           enum sc_sig_format fmt, struct wp_counts *c)
{
	char *path = td_path(file);
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err), *groups, *g;
	size_t gi;

	if (root == NULL)
		fail_msg("%s: %s", path, err.text);
	groups = json_object_get(root, "testGroups");
	assert_true(json_is_array(groups));
	json_array_foreach(groups, gi, g)
	{
		json_t *tests = json_object_get(g, "tests"), *t;
		json_t *pkobj = json_object_get(g, "publicKey");
		const char *pkhex = json_string_value(json_object_get(pkobj, "uncompressed"));
		uint8_t *pub;
		size_t publ, ti;

		if (pkhex == NULL) /* EdDSA groups name the key "pk" */
			pkhex = json_string_value(json_object_get(pkobj, "pk"));
		assert_non_null(pkhex);
		pub = must_unhex(pkhex, &publ);
		json_array_foreach(tests, ti, t)
		{
			const char *res = json_string_value(json_object_get(t, "result"));
			uint8_t *msg, *sig;
			size_t ml, sl;
			struct sc_sig_opts o = {.scheme = scheme, .format = fmt};
			int r, id = (int)json_integer_value(json_object_get(t, "tcId"));

			msg = must_unhex(json_string_value(json_object_get(t, "msg")), &ml);
			sig = must_unhex(json_string_value(json_object_get(t, "sig")), &sl);
			r = sc_sig_verify(alg, &o, pub, publ, msg, ml, sig, sl);
			if (strcmp(res, "valid") == 0) {
				if (r != SC_OK)
					fail_msg("%s tcId %d: valid signature refused (%d)", file,
					         id, r);
				c->valid++;
			} else if (strcmp(res, "invalid") == 0) {
				if (r == SC_OK)
					fail_msg("%s tcId %d: invalid signature accepted", file,
					         id);
				c->invalid++;
			} else {
				fail_msg("%s tcId %d: result '%s' (the subset has none)", file, id,
				         res);
			}
			free(msg);
			free(sig);
		}
		free(pub);
	}
	json_decref(root);
	free(path);
}

/* Ed25519 edge cases: non-canonical S (malleability), small-order and
 * non-canonical points, truncated and padded signatures. */
static void test_ed25519_wycheproof(void **state)
{
	struct wp_counts c = {0, 0};

	(void)state;
	run_wycheproof("wycheproof_ed25519_test.json", SC_SIG_ED25519, SC_SIG_SCHEME_EDDSA,
	               SC_SIG_FMT_DEFAULT, &c);
	assert_int_equal(c.valid, 25);
	assert_int_equal(c.invalid, 24);
}

static void test_p256_wycheproof_der(void **state)
{
	struct wp_counts c = {0, 0};

	(void)state;
	run_wycheproof("wycheproof_ecdsa_secp256r1_sha256_test.json", SC_SIG_P256,
	               SC_SIG_SCHEME_ECDSA, SC_SIG_FMT_DER, &c);
	assert_int_equal(c.valid, 32);
	assert_int_equal(c.invalid, 36);
}

static void test_p256_wycheproof_p1363(void **state)
{
	struct wp_counts c = {0, 0};

	(void)state;
	run_wycheproof("wycheproof_ecdsa_secp256r1_sha256_p1363_test.json", SC_SIG_P256,
	               SC_SIG_SCHEME_ECDSA, SC_SIG_FMT_RAW, &c);
	assert_int_equal(c.valid, 28);
	assert_int_equal(c.invalid, 28);
}

/* Bitcoin's rules: DER, and a high S is invalid even where the plain ECDSA
 * equation holds (flag SignatureMalleabilityBitcoin). */
static void test_secp256k1_wycheproof_bitcoin(void **state)
{
	struct wp_counts c = {0, 0};

	(void)state;
	run_wycheproof("wycheproof_ecdsa_secp256k1_sha256_bitcoin_test.json", SC_SIG_SECP256K1,
	               SC_SIG_SCHEME_ECDSA, SC_SIG_FMT_DER, &c);
	assert_int_equal(c.valid, 28);
	assert_int_equal(c.invalid, 37);
}

/* ---- BIP-340: every row of bip-0340/test-vectors.csv ------------------- */

static void test_bip340_vectors(void **state)
{
	char *text = td_read("bip340_test_vectors.csv", NULL), *line, *save = NULL;
	int rows = 0, signed_rows = 0, valid = 0, invalid = 0;

	(void)state;
	line = strtok_r(text, "\r\n", &save); /* the header */
	assert_non_null(line);
	assert_int_equal(strncmp(line, "index,secret key,public key", 27), 0);
	for (line = strtok_r(NULL, "\r\n", &save); line != NULL;
	     line = strtok_r(NULL, "\r\n", &save)) {
		char *f[8], *p = line;
		uint8_t *pk, *msg, *sig, out[SC_SIG_MAX];
		size_t pkl, ml, sl, outl;
		struct sc_sig_opts o = {.scheme = SC_SIG_SCHEME_BIP340};
		int i, expect, r;

		for (i = 0; i < 8; i++) {
			f[i] = p;
			p = p != NULL ? strchr(p, ',') : NULL;
			if (p != NULL)
				*p++ = '\0';
		}
		assert_non_null(f[6]);
		pk = must_unhex(f[2], &pkl);
		msg = must_unhex(f[4], &ml);
		sig = must_unhex(f[5], &sl);
		expect = strcmp(f[6], "TRUE") == 0;
		assert_true(expect || strcmp(f[6], "FALSE") == 0);
		if (f[1][0] != '\0') {
			uint8_t *sk, *aux, pub[SC_SIG_PUB_MAX];
			size_t skl, auxl, publ;
			struct sc_sig_key *k;

			sk = must_unhex(f[1], &skl);
			aux = must_unhex(f[3], &auxl);
			assert_int_equal(auxl, 32);
			assert_int_equal(sc_sig_key_from_private(SC_SIG_SECP256K1, sk, skl, &k),
			                 SC_OK);
			assert_int_equal(sc_sig_key_public(k, pub, &publ), SC_OK);
			if (publ != 33 || memcmp(pub + 1, pk, 32) != 0)
				fail_msg("BIP-340 row %s: wrong x-only public key", f[0]);
			o.aux_rand = aux;
			assert_int_equal(sc_sig_sign(k, &o, msg, ml, out, &outl), SC_OK);
			if (outl != 64 || memcmp(out, sig, 64) != 0)
				fail_msg("BIP-340 row %s: wrong signature", f[0]);
			/* the compressed key verifies the same as the x-only one */
			assert_int_equal(
			    sc_sig_verify(SC_SIG_SECP256K1, &o, pub, publ, msg, ml, sig, sl),
			    SC_OK);
			o.aux_rand = NULL;
			sc_sig_key_free(k);
			free(sk);
			free(aux);
			signed_rows++;
		}
		r = sc_sig_verify(SC_SIG_SECP256K1, &o, pk, pkl, msg, ml, sig, sl);
		if (expect && r != SC_OK)
			fail_msg("BIP-340 row %s (%s): valid signature refused (%d)", f[0],
			         f[7] ? f[7] : "", r);
		if (!expect && r == SC_OK)
			fail_msg("BIP-340 row %s (%s): invalid signature accepted", f[0],
			         f[7] ? f[7] : "");
		expect ? valid++ : invalid++;
		free(pk);
		free(msg);
		free(sig);
		rows++;
	}
	assert_int_equal(rows, 19);
	assert_int_equal(signed_rows, 8);
	assert_int_equal(valid, 9);
	assert_int_equal(invalid, 10);
	free(text);
}

/* ---- secp256k1 low-S ---------------------------------------------------- */

/* the order n of secp256k1 (SEC 2, 2.4.1) and n/2 rounded down */
static const uint8_t k1_n[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
static const uint8_t k1_half[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

/* out = n - s, big-endian */
static void negate_mod_n(const uint8_t s[32], uint8_t out[32])
{
	int i, borrow = 0;

	for (i = 31; i >= 0; i--) {
		int d = k1_n[i] - s[i] - borrow;

		borrow = d < 0;
		out[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

static void test_secp256k1_low_s(void **state)
{
	struct sc_sig_opts raw = {.scheme = SC_SIG_SCHEME_ECDSA, .format = SC_SIG_FMT_RAW};
	uint8_t pub[SC_SIG_PUB_MAX], sig[SC_SIG_MAX], high[64], msg[32];
	size_t publ, sl;
	struct sc_sig_key *k;
	int i;

	(void)state;
	assert_int_equal(sc_sig_generate(SC_SIG_SECP256K1, &k), SC_OK);
	assert_int_equal(sc_sig_key_public(k, pub, &publ), SC_OK);
	for (i = 0; i < 64; i++) {
		sc_random(msg, sizeof(msg));
		assert_int_equal(sc_sig_sign(k, &raw, msg, sizeof(msg), sig, &sl), SC_OK);
		assert_int_equal(sl, 64);
		/* S <= n/2 every time */
		assert_true(memcmp(sig + 32, k1_half, 32) <= 0);
		assert_int_equal(
		    sc_sig_verify(SC_SIG_SECP256K1, &raw, pub, publ, msg, sizeof(msg), sig, sl),
		    SC_OK);
		/* (r, n - s) satisfies the ECDSA equation, but is the malleated
		 * twin: refused */
		memcpy(high, sig, 32);
		negate_mod_n(sig + 32, high + 32);
		assert_true(memcmp(high + 32, k1_half, 32) > 0);
		assert_int_equal(
		    sc_sig_verify(SC_SIG_SECP256K1, &raw, pub, publ, msg, sizeof(msg), high, 64),
		    SC_ERR_CORRUPT);
	}
	sc_sig_key_free(k);
}

/* ---- every algorithm: round trip, blob, options, prehash ---------------- */

static void test_roundtrip_all(void **state)
{
	static const uint8_t msg[] = "the quick brown fox";
	size_t a;

	(void)state;
	for (a = 0; a < sizeof(all_algs) / sizeof(all_algs[0]); a++) {
		enum sc_sig_alg alg = all_algs[a];
		struct sc_sig_key *k, *k2;
		uint8_t pub[SC_SIG_PUB_MAX], pub2[SC_SIG_PUB_MAX], sig[SC_SIG_MAX], *blob;
		size_t publ, pub2l, sl, bl;
		enum sc_sig_alg back;

		assert_int_equal(sc_sig_alg_from_name(sc_sig_alg_name(alg), &back), SC_OK);
		assert_int_equal(back, alg);
		assert_int_equal(sc_sig_generate(alg, &k), SC_OK);
		assert_int_equal(sc_sig_key_alg(k), alg);
		assert_int_equal(sc_sig_key_public(k, pub, &publ), SC_OK);
		assert_int_equal(sc_sig_sign(k, NULL, msg, sizeof(msg), sig, &sl), SC_OK);
		assert_int_equal(sc_sig_verify(alg, NULL, pub, publ, msg, sizeof(msg), sig, sl),
		                 SC_OK);
		if (alg == SC_SIG_P256) {
			/* the SEC1 compressed form of the same point verifies too */
			uint8_t c[33];

			c[0] = (uint8_t)(0x02 | (pub[64] & 1));
			memcpy(c + 1, pub + 1, 32);
			assert_int_equal(sc_sig_verify(alg, NULL, c, 33, msg, sizeof(msg), sig, sl),
			                 SC_OK);
			c[0] ^= 1; /* the other y */
			assert_int_equal(sc_sig_verify(alg, NULL, c, 33, msg, sizeof(msg), sig, sl),
			                 SC_ERR_CORRUPT);
		}
		/* another key's public key does not verify it */
		assert_int_equal(sc_sig_generate(alg, &k2), SC_OK);
		assert_int_equal(sc_sig_key_public(k2, pub2, &pub2l), SC_OK);
		assert_int_not_equal(
		    sc_sig_verify(alg, NULL, pub2, pub2l, msg, sizeof(msg), sig, sl), SC_OK);
		sc_sig_key_free(k2);

		/* the blob round trip gives the same key */
		assert_int_equal(sc_sig_key_serialize(k, &blob, &bl), SC_OK);
		assert_int_equal(bl, SC_SIG_KEYBLOB_LEN);
		assert_int_equal(sc_sig_key_deserialize(blob, bl, &k2), SC_OK);
		assert_int_equal(sc_sig_key_public(k2, pub2, &pub2l), SC_OK);
		assert_int_equal(pub2l, publ);
		assert_memory_equal(pub, pub2, publ);
		sc_sig_key_free(k2);
		/* a blob cut short, grown, of another version or algorithm fails */
		assert_int_equal(sc_sig_key_deserialize(blob, bl - 1, &k2), SC_ERR_CORRUPT);
		assert_null(k2);
		assert_int_equal(sc_sig_key_deserialize(blob, bl + 1, &k2), SC_ERR_CORRUPT);
		blob[0] ^= 1;
		assert_int_equal(sc_sig_key_deserialize(blob, bl, &k2), SC_ERR_CORRUPT);
		blob[0] ^= 1;
		blob[4] = 2;
		assert_int_equal(sc_sig_key_deserialize(blob, bl, &k2), SC_ERR_VERSION);
		blob[4] = 1;
		blob[5] = 9;
		assert_int_equal(sc_sig_key_deserialize(blob, bl, &k2), SC_ERR_CORRUPT);
		blob[5] = (uint8_t)alg;
		blob[7] = 31;
		assert_int_equal(sc_sig_key_deserialize(blob, bl, &k2), SC_ERR_CORRUPT);
		blob[7] = 32;
		if (alg != SC_SIG_ED25519) {
			/* the scalars 0 and n are not keys */
			memset(blob + 8, 0, 32);
			assert_int_equal(sc_sig_key_deserialize(blob, bl, &k2), SC_ERR_CORRUPT);
			memset(blob + 8, 0xff, 32);
			assert_int_equal(sc_sig_key_deserialize(blob, bl, &k2), SC_ERR_CORRUPT);
		}
		sc_secmem_free(blob);
		sc_sig_key_free(k);
	}
}

static void test_scalar_range(void **state)
{
	/* n, n-1 and 1 for both curves: n is refused, n-1 and 1 are keys */
	static const uint8_t p256_n[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                   0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	                                   0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
	const uint8_t *ns[2] = {p256_n, k1_n};
	enum sc_sig_alg algs[2] = {SC_SIG_P256, SC_SIG_SECP256K1};
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		uint8_t s[32];
		struct sc_sig_key *k;

		memcpy(s, ns[i], 32);
		assert_int_equal(sc_sig_key_from_private(algs[i], s, 32, &k), SC_ERR_INVALID);
		assert_null(k);
		s[31] -= 1;
		assert_int_equal(sc_sig_key_from_private(algs[i], s, 32, &k), SC_OK);
		sc_sig_key_free(k);
		s[31] += 2; /* n + 1 */
		assert_int_equal(sc_sig_key_from_private(algs[i], s, 32, &k), SC_ERR_INVALID);
		memset(s, 0, 32);
		s[31] = 1;
		assert_int_equal(sc_sig_key_from_private(algs[i], s, 32, &k), SC_OK);
		sc_sig_key_free(k);
		assert_int_equal(sc_sig_key_from_private(algs[i], s, 31, &k), SC_ERR_INVALID);
	}
}

static void test_options(void **state)
{
	static const uint8_t msg[] = "message";
	uint8_t dgst[32], sig[SC_SIG_MAX + 1], pub[SC_SIG_PUB_MAX]; /* room for a byte appended */
	struct sc_sig_opts o;
	struct sc_sig_key *ed, *p, *k1;
	size_t sl, publ;
	enum sc_sig_scheme sch;
	enum sc_sig_alg alg;

	(void)state;
	crypto_hash_sha256(dgst, msg, sizeof(msg));
	assert_int_equal(sc_sig_generate(SC_SIG_ED25519, &ed), SC_OK);
	assert_int_equal(sc_sig_generate(SC_SIG_P256, &p), SC_OK);
	assert_int_equal(sc_sig_generate(SC_SIG_SECP256K1, &k1), SC_OK);

	/* Ed25519: no prehash, no ECDSA, no DER */
	o = (struct sc_sig_opts){.prehashed = 1};
	assert_int_equal(sc_sig_sign(ed, &o, dgst, 32, sig, &sl), SC_ERR_INVALID);
	o = (struct sc_sig_opts){.scheme = SC_SIG_SCHEME_ECDSA};
	assert_int_equal(sc_sig_sign(ed, &o, msg, sizeof(msg), sig, &sl), SC_ERR_INVALID);
	o = (struct sc_sig_opts){.format = SC_SIG_FMT_DER};
	assert_int_equal(sc_sig_sign(ed, &o, msg, sizeof(msg), sig, &sl), SC_ERR_INVALID);
	/* P-256: no BIP-340, no EdDSA */
	o = (struct sc_sig_opts){.scheme = SC_SIG_SCHEME_BIP340};
	assert_int_equal(sc_sig_sign(p, &o, msg, sizeof(msg), sig, &sl), SC_ERR_INVALID);
	o = (struct sc_sig_opts){.scheme = SC_SIG_SCHEME_EDDSA};
	assert_int_equal(sc_sig_sign(p, &o, msg, sizeof(msg), sig, &sl), SC_ERR_INVALID);
	o = (struct sc_sig_opts){.format = (enum sc_sig_format)7};
	assert_int_equal(sc_sig_sign(p, &o, msg, sizeof(msg), sig, &sl), SC_ERR_INVALID);
	/* a prehash is 32 bytes */
	o = (struct sc_sig_opts){.prehashed = 1};
	assert_int_equal(sc_sig_sign(p, &o, dgst, 31, sig, &sl), SC_ERR_INVALID);
	assert_int_equal(sc_sig_sign(k1, &o, dgst, 33, sig, &sl), SC_ERR_INVALID);
	o.scheme = SC_SIG_SCHEME_BIP340;
	assert_int_equal(sc_sig_sign(k1, &o, dgst, 31, sig, &sl), SC_ERR_INVALID);

	/* ECDSA over the digest equals ECDSA over the message */
	{
		struct sc_sig_key *keys[2] = {p, k1};
		enum sc_sig_alg algs[2] = {SC_SIG_P256, SC_SIG_SECP256K1};
		int i, f;

		for (i = 0; i < 2; i++) {
			for (f = SC_SIG_FMT_DER; f <= SC_SIG_FMT_RAW; f++) {
				struct sc_sig_opts ph = {.scheme = SC_SIG_SCHEME_ECDSA,
				                         .format = (enum sc_sig_format)f,
				                         .prehashed = 1};
				struct sc_sig_opts plain = ph;

				plain.prehashed = 0;
				assert_int_equal(sc_sig_key_public(keys[i], pub, &publ), SC_OK);
				assert_int_equal(sc_sig_sign(keys[i], &ph, dgst, 32, sig, &sl),
				                 SC_OK);
				if (f == SC_SIG_FMT_RAW)
					assert_int_equal(sl, 64);
				else
					assert_true(sig[0] == 0x30 && sl >= 8 && sl <= 72);
				assert_int_equal(sc_sig_verify(algs[i], &plain, pub, publ, msg,
				                               sizeof(msg), sig, sl),
				                 SC_OK);
				assert_int_equal(
				    sc_sig_verify(algs[i], &ph, pub, publ, dgst, 32, sig, sl),
				    SC_OK);
				/* the other form's parser refuses it */
				plain.format =
				    f == SC_SIG_FMT_RAW ? SC_SIG_FMT_DER : SC_SIG_FMT_RAW;
				assert_int_not_equal(sc_sig_verify(algs[i], &plain, pub, publ, msg,
				                                   sizeof(msg), sig, sl),
				                     SC_OK);
			}
		}
	}
	/* a DER signature with a byte appended is not DER */
	o = (struct sc_sig_opts){0};
	assert_int_equal(sc_sig_key_public(p, pub, &publ), SC_OK);
	assert_int_equal(sc_sig_sign(p, &o, msg, sizeof(msg), sig, &sl), SC_OK);
	sig[sl] = 0;
	assert_int_equal(sc_sig_verify(SC_SIG_P256, &o, pub, publ, msg, sizeof(msg), sig, sl + 1),
	                 SC_ERR_CORRUPT);
	/* a raw r || s is exactly 64 bytes: one more or one fewer fails */
	{
		struct sc_sig_opts raw = {.scheme = SC_SIG_SCHEME_ECDSA, .format = SC_SIG_FMT_RAW};
		uint8_t rs[SC_SIG_MAX + 1];
		size_t rl;
		struct sc_sig_key *keys[2] = {p, k1};
		enum sc_sig_alg algs[2] = {SC_SIG_P256, SC_SIG_SECP256K1};
		uint8_t kp[SC_SIG_PUB_MAX];
		size_t kpl;
		int i;

		for (i = 0; i < 2; i++) {
			assert_int_equal(sc_sig_key_public(keys[i], kp, &kpl), SC_OK);
			assert_int_equal(sc_sig_sign(keys[i], &raw, msg, sizeof(msg), rs, &rl),
			                 SC_OK);
			assert_int_equal(rl, 64);
			rs[64] = 0;
			assert_int_equal(
			    sc_sig_verify(algs[i], &raw, kp, kpl, msg, sizeof(msg), rs, 65),
			    SC_ERR_CORRUPT);
			assert_int_equal(
			    sc_sig_verify(algs[i], &raw, kp, kpl, msg, sizeof(msg), rs, 63),
			    SC_ERR_CORRUPT);
			assert_int_equal(
			    sc_sig_verify(algs[i], &raw, kp, kpl, msg, sizeof(msg), rs, 64), SC_OK);
		}
	}
	/* a public key off the curve is refused as a key */
	pub[publ - 1] ^= 1;
	assert_int_equal(sc_sig_verify(SC_SIG_P256, &o, pub, publ, msg, sizeof(msg), sig, sl),
	                 SC_ERR_INVALID);
	assert_int_equal(sc_sig_key_public(k1, pub, &publ), SC_OK);
	assert_int_equal(sc_sig_sign(k1, &o, msg, sizeof(msg), sig, &sl), SC_OK);
	sig[sl] = 0;
	assert_int_equal(
	    sc_sig_verify(SC_SIG_SECP256K1, &o, pub, publ, msg, sizeof(msg), sig, sl + 1),
	    SC_ERR_CORRUPT);

	/* names */
	assert_int_equal(sc_sig_scheme_from_name("bip340", &sch), SC_OK);
	assert_int_equal(sch, SC_SIG_SCHEME_BIP340);
	assert_int_equal(sc_sig_scheme_from_name("schnorr", &sch), SC_ERR_INVALID);
	assert_int_equal(sc_sig_alg_from_name("ecdsa-p256", &alg), SC_OK);
	assert_int_equal(alg, SC_SIG_P256);
	assert_int_equal(sc_sig_alg_from_name("rsa", &alg), SC_ERR_INVALID);
	assert_null(sc_sig_alg_name((enum sc_sig_alg)0));

	sc_sig_key_free(ed);
	sc_sig_key_free(p);
	sc_sig_key_free(k1);
}

/* ---- public-key encodings ------------------------------------------------ */

static void test_pub_encodings(void **state)
{
	/* RFC 8032 TEST 1's public key */
	static const char pkhex[] =
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
	uint8_t *pk, out[SC_SIG_PUB_TEXT_MAX], blob[64];
	size_t pkl, ol, bl;
	struct sc_sig_key *k;
	uint8_t pub[SC_SIG_PUB_MAX];
	size_t publ;

	(void)state;
	pk = must_unhex(pkhex, &pkl);
	assert_int_equal(
	    sc_sig_pub_encode(SC_SIG_ED25519, pk, pkl, SC_PUB_HEX, NULL, out, sizeof(out), &ol),
	    SC_OK);
	assert_int_equal(ol, 64);
	assert_string_equal((char *)out, pkhex);
	assert_int_equal(
	    sc_sig_pub_encode(SC_SIG_ED25519, pk, pkl, SC_PUB_RAW, NULL, out, sizeof(out), &ol),
	    SC_OK);
	assert_int_equal(ol, 32);
	assert_memory_equal(out, pk, 32);
	/* the SSH line: "ssh-ed25519 " base64(string type || string key) */
	assert_int_equal(sc_sig_pub_encode(SC_SIG_ED25519, pk, pkl, SC_PUB_SSH, "me@host", out,
	                                   sizeof(out), &ol),
	                 SC_OK);
	assert_int_equal(strncmp((char *)out, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37), 0);
	assert_string_equal((char *)out + ol - 8, " me@host");
	{
		char *sp = strchr((char *)out, ' '), *sp2 = strrchr((char *)out, ' ');

		*sp2 = '\0';
		assert_int_equal(sodium_base642bin(blob, sizeof(blob), sp + 1, strlen(sp + 1), NULL,
		                                   &bl, NULL, sodium_base64_VARIANT_ORIGINAL),
		                 0);
		assert_int_equal(bl, 4 + 11 + 4 + 32);
		assert_memory_equal(blob + 4, "ssh-ed25519", 11);
		assert_memory_equal(blob + 19, pk, 32);
	}
	/* PEM: SubjectPublicKeyInfo with the Ed25519 OID (RFC 8410) */
	assert_int_equal(
	    sc_sig_pub_encode(SC_SIG_ED25519, pk, pkl, SC_PUB_PEM, NULL, out, sizeof(out), &ol),
	    SC_OK);
	assert_string_equal((char *)out,
	                    "-----BEGIN PUBLIC KEY-----\n"
	                    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
	                    "-----END PUBLIC KEY-----\n");
	/* too small a buffer, a comment with a newline, a bad length */
	assert_int_equal(sc_sig_pub_encode(SC_SIG_ED25519, pk, pkl, SC_PUB_PEM, NULL, out, 40, &ol),
	                 SC_ERR_TOOBIG);
	assert_int_equal(
	    sc_sig_pub_encode(SC_SIG_ED25519, pk, pkl, SC_PUB_SSH, "a\nb", out, sizeof(out), &ol),
	    SC_ERR_INVALID);
	assert_int_equal(
	    sc_sig_pub_encode(SC_SIG_ED25519, pk, 31, SC_PUB_HEX, NULL, out, sizeof(out), &ol),
	    SC_ERR_INVALID);
	free(pk);

	/* P-256: the SSH blob carries the curve name and the 65-byte point */
	assert_int_equal(sc_sig_generate(SC_SIG_P256, &k), SC_OK);
	assert_int_equal(sc_sig_key_public(k, pub, &publ), SC_OK);
	assert_int_equal(publ, 65);
	assert_int_equal(pub[0], 0x04);
	assert_int_equal(
	    sc_sig_pub_encode(SC_SIG_P256, pub, publ, SC_PUB_SSH, NULL, out, sizeof(out), &ol),
	    SC_OK);
	assert_int_equal(
	    strncmp((char *)out, "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY", 51), 0);
	assert_int_equal(
	    sc_sig_pub_encode(SC_SIG_P256, pub, publ, SC_PUB_PEM, NULL, out, sizeof(out), &ol),
	    SC_OK);
	assert_int_equal(strncmp((char *)out,
	                         "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
	                         63),
	                 0);
	pub[64] ^= 1; /* off the curve */
	assert_int_equal(
	    sc_sig_pub_encode(SC_SIG_P256, pub, publ, SC_PUB_PEM, NULL, out, sizeof(out), &ol),
	    SC_ERR_INVALID);
	assert_int_equal(
	    sc_sig_pub_encode(SC_SIG_P256, pub, publ, SC_PUB_HEX, NULL, out, sizeof(out), &ol),
	    SC_ERR_INVALID);
	sc_sig_key_free(k);

	/* secp256k1: PEM with OID 1.3.132.0.10 (the point uncompressed, as
	 * OpenSSL writes it); OpenSSH has no such key type */
	assert_int_equal(sc_sig_generate(SC_SIG_SECP256K1, &k), SC_OK);
	assert_int_equal(sc_sig_key_public(k, pub, &publ), SC_OK);
	assert_int_equal(publ, 33);
	assert_true(pub[0] == 0x02 || pub[0] == 0x03);
	assert_int_equal(
	    sc_sig_pub_encode(SC_SIG_SECP256K1, pub, publ, SC_PUB_SSH, NULL, out, sizeof(out), &ol),
	    SC_ERR_INVALID);
	assert_int_equal(
	    sc_sig_pub_encode(SC_SIG_SECP256K1, pub, publ, SC_PUB_PEM, NULL, out, sizeof(out), &ol),
	    SC_OK);
	assert_int_equal(strncmp((char *)out,
	                         "-----BEGIN PUBLIC KEY-----\nMFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAE",
	                         59),
	                 0);
	sc_sig_key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ed25519_rfc8032),
	    cmocka_unit_test(test_ed25519_wycheproof),
	    cmocka_unit_test(test_p256_wycheproof_der),
	    cmocka_unit_test(test_p256_wycheproof_p1363),
	    cmocka_unit_test(test_secp256k1_wycheproof_bitcoin),
	    cmocka_unit_test(test_bip340_vectors),
	    cmocka_unit_test(test_secp256k1_low_s),
	    cmocka_unit_test(test_roundtrip_all),
	    cmocka_unit_test(test_scalar_range),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_pub_encodings),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
