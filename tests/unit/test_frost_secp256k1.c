/* test_frost_secp256k1.c - FROST(secp256k1, SHA-256) beyond the RFC vector:
 * a random 3-of-5 split where every subset of three or more signs and
 * verifies, a bad share is caught, and bad lists and points are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/frost.h"
#include "custody/frost_int.h"

#define MIN 3
#define MAX 5

/* a uniformly random scalar below n (rejection sampling) */
static void random_scalar(uint8_t s[32])
{
	do
		randombytes_buf(s, 32);
	while (!sc_frost_k1_scalar_canonical(s) || sodium_is_zero(s, 32));
}

struct k1_group {
	uint8_t shares[MAX * 32], vss[MIN * 33], gpk[33];
};

static void k1_group(struct k1_group *g)
{
	uint8_t secret[32], coeffs[(MIN - 1) * 32];
	size_t i;

	random_scalar(secret);
	for (i = 0; i < MIN - 1; i++)
		random_scalar(coeffs + i * 32);
	assert_int_equal(sc_frost_k1_split_with(secret, coeffs, MIN, MAX, g->shares, g->vss),
	                 SC_OK);
	memcpy(g->gpk, g->vss, 33);
	for (i = 0; i < MAX; i++)
		assert_int_equal(
		    sc_frost_k1_vss_verify((uint16_t)(i + 1), g->shares + i * 32, g->vss, MIN),
		    SC_OK);
}

/* One session among ids (ascending); tamper: index of a share to alter or -1. */
static int k1_session(struct k1_group *g, const uint16_t *ids, size_t n, int tamper,
                      uint8_t sig[65])
{
	static const uint8_t msg[] = "secp256k1 threshold";
	struct sc_frost_k1_commitment c[MAX];
	uint8_t h[MAX][32], b[MAX][32], zs[MAX * 32], rnd[32], pk[33];
	size_t i;

	for (i = 0; i < n; i++) {
		const uint8_t *sk = g->shares + (ids[i] - 1) * 32;

		randombytes_buf(rnd, 32);
		sc_frost_k1_nonce_generate(h[i], rnd, sk);
		randombytes_buf(rnd, 32);
		sc_frost_k1_nonce_generate(b[i], rnd, sk);
		c[i].id = ids[i];
		assert_int_equal(sc_frost_k1_mul_base(c[i].hiding, h[i]), SC_OK);
		assert_int_equal(sc_frost_k1_mul_base(c[i].binding, b[i]), SC_OK);
	}
	for (i = 0; i < n; i++) {
		const uint8_t *sk = g->shares + (ids[i] - 1) * 32;

		assert_int_equal(sc_frost_k1_sign(ids[i], sk, g->gpk, h[i], b[i], msg, sizeof(msg),
		                                  c, n, zs + i * 32),
		                 SC_OK);
		if ((int)i == tamper)
			zs[i * 32 + 31] ^= 1;
		assert_int_equal(sc_frost_k1_mul_base(pk, sk), SC_OK);
		assert_int_equal(sc_frost_k1_verify_share(ids[i], pk, g->gpk, msg, sizeof(msg), c,
		                                          n, zs + i * 32),
		                 (int)i == tamper ? SC_ERR_CORRUPT : SC_OK);
	}
	sodium_memzero(h, sizeof(h));
	sodium_memzero(b, sizeof(b));
	return sc_frost_k1_aggregate(g->gpk, msg, sizeof(msg), c, n, zs, sig);
}

static void test_every_subset(void **state)
{
	struct k1_group g;
	unsigned int mask;

	(void)state;
	k1_group(&g);
	for (mask = 1; mask < (1u << MAX); mask++) {
		uint16_t ids[MAX];
		size_t n = 0, i;
		uint8_t sig[65];

		for (i = 0; i < MAX; i++)
			if (mask & (1u << i))
				ids[n++] = (uint16_t)(i + 1);
		if (n < MIN)
			continue;
		assert_int_equal(k1_session(&g, ids, n, -1, sig), SC_OK);
		assert_int_equal(sc_frost_k1_verify(g.gpk, (const uint8_t *)"secp256k1 threshold",
		                                    sizeof("secp256k1 threshold"), sig),
		                 SC_OK);
		assert_int_equal(sc_frost_k1_verify(g.gpk, (const uint8_t *)"other", 5, sig),
		                 SC_ERR_CORRUPT);
	}
}

static void test_bad_share(void **state)
{
	struct k1_group g;
	uint16_t ids[3] = {2, 4, 5};
	uint8_t sig[65];
	int t;

	(void)state;
	k1_group(&g);
	for (t = 0; t < 3; t++)
		assert_int_equal(k1_session(&g, ids, 3, t, sig), SC_ERR_CORRUPT);
	/* two signers of a 3-of-5 group do not make a valid signature */
	assert_int_equal(k1_session(&g, ids, 2, -1, sig), SC_ERR_CORRUPT);
}

static void test_refusals(void **state)
{
	struct k1_group g;
	struct sc_frost_k1_commitment c[2];
	uint8_t s[32], in[SC_FROST_K1_RHO_INPUT_LEN], bf[32], p[33];

	(void)state;
	k1_group(&g);
	random_scalar(s);
	c[0].id = 1;
	c[1].id = 2;
	assert_int_equal(sc_frost_k1_mul_base(c[0].hiding, s), SC_OK);
	memcpy(c[0].binding, g.vss + 33, 33);
	memcpy(c[1].hiding, g.vss, 33);
	memcpy(c[1].binding, g.vss + 66, 33);
	assert_int_equal(sc_frost_k1_binding_factor(g.gpk, c, 2, NULL, 0, 0, in, bf), SC_OK);
	/* duplicate and zero identifiers, one signer */
	c[1].id = 1;
	assert_int_equal(sc_frost_k1_binding_factor(g.gpk, c, 2, NULL, 0, 0, in, bf),
	                 SC_ERR_INVALID);
	c[1].id = 0;
	assert_int_equal(sc_frost_k1_binding_factor(g.gpk, c, 2, NULL, 0, 0, in, bf),
	                 SC_ERR_INVALID);
	c[1].id = 2;
	assert_int_equal(sc_frost_k1_binding_factor(g.gpk, c, 1, NULL, 0, 0, in, bf),
	                 SC_ERR_INVALID);
	/* points: uncompressed prefix, bad prefix, x not on the curve, x >= p */
	memcpy(p, c[1].hiding, 33);
	p[0] = 0x04;
	assert_false(sc_frost_k1_point_valid(p));
	p[0] = 0x05;
	assert_false(sc_frost_k1_point_valid(p));
	{
		/* about half of all x have no point: find one among small x */
		int x, refused = 0, accepted = 0;

		for (x = 1; x < 40; x++) {
			memset(p, 0, 33);
			p[0] = 0x02;
			p[32] = (uint8_t)x;
			if (sc_frost_k1_point_valid(p))
				accepted++;
			else
				refused++;
		}
		assert_true(refused > 0 && accepted > 0);
	}
	memset(p + 1, 0xff, 32);
	assert_false(sc_frost_k1_point_valid(p));
	memcpy(c[1].hiding, p, 33);
	assert_int_equal(sc_frost_k1_binding_factor(g.gpk, c, 2, NULL, 0, 0, in, bf),
	                 SC_ERR_INVALID);
	/* a zero scalar has no point; n is not a scalar */
	memset(s, 0, 32);
	assert_int_equal(sc_frost_k1_mul_base(p, s), SC_ERR_CRYPTO);
	assert_int_equal(
	    sodium_hex2bin(s, 32,
	                   "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 64,
	                   NULL, NULL, NULL),
	    0);
	assert_false(sc_frost_k1_scalar_canonical(s));
	s[31]--;
	assert_true(sc_frost_k1_scalar_canonical(s));
	/* a tampered share fails vss_verify */
	g.shares[40] ^= 1;
	assert_int_equal(sc_frost_k1_vss_verify(2, g.shares + 32, g.vss, MIN), SC_ERR_CORRUPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_subset),
	    cmocka_unit_test(test_bad_share),
	    cmocka_unit_test(test_refusals),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
