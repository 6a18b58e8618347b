/* test_frost.c - FROST signing end to end: dealer and DKG groups (2-of-3,
 * 3-of-5), every signer subset signs and the result is plain Ed25519; bad
 * shares are named; nonces are single-use; every refusal of the API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/frost.h"
#include "custody/frost_int.h"

#define MAXN 5

struct group {
	uint16_t min, max;
	struct sc_frost_key_package *kp[MAXN];
	struct sc_frost_pubkeys *pub;
};

static void group_release(struct group *g)
{
	size_t i;

	for (i = 0; i < MAXN; i++)
		sc_frost_key_package_free(g->kp[i]);
	sc_frost_pubkeys_free(g->pub);
	memset(g, 0, sizeof(*g));
}

static void dealer_group(struct group *g, uint16_t min, uint16_t max)
{
	struct sc_frost_share *sh[MAXN];
	uint16_t i;

	memset(g, 0, sizeof(*g));
	g->min = min;
	g->max = max;
	assert_int_equal(sc_frost_dealer_split(NULL, min, max, sh), SC_OK);
	for (i = 0; i < max; i++) {
		assert_int_equal(sc_frost_share_id(sh[i]), i + 1);
		assert_int_equal(sc_frost_share_verify(sh[i], &g->kp[i], i == 0 ? &g->pub : NULL),
		                 SC_OK);
		sc_frost_share_free(sh[i]);
	}
}

static void dkg_group(struct group *g, uint16_t min, uint16_t max)
{
	struct sc_frost_dkg *st[MAXN] = {0};
	struct sc_frost_dkg_round1 *r1[MAXN] = {0};
	struct sc_frost_dkg_round2 *r2[MAXN][MAXN - 1] = {{0}};
	struct sc_frost_pubkeys *pub[MAXN] = {0};
	uint8_t enc[MAXN][256];
	size_t len[MAXN];
	uint16_t culprit, i, j, k, n;

	memset(g, 0, sizeof(*g));
	g->min = min;
	g->max = max;
	for (i = 0; i < max; i++) {
		struct sc_frost_dkg_round1 *tmp;

		assert_int_equal(sc_frost_dkg_part1((uint16_t)(i + 1), min, max, &st[i], &tmp),
		                 SC_OK);
		/* what travels is the canonical encoding */
		assert_int_equal(sc_frost_dkg_round1_encode(tmp, enc[i], sizeof(enc[i]), &len[i]),
		                 SC_OK);
		sc_frost_dkg_round1_free(tmp);
		assert_int_equal(sc_frost_dkg_round1_decode(enc[i], len[i], &r1[i]), SC_OK);
	}
	for (i = 0; i < max; i++) {
		const struct sc_frost_dkg_round1 *others[MAXN];

		for (j = 0, n = 0; j < max; j++)
			if (j != i)
				others[n++] = r1[j];
		assert_int_equal(sc_frost_dkg_part2(st[i], others, n, r2[i], &culprit), SC_OK);
	}
	for (i = 0; i < max; i++) {
		const struct sc_frost_dkg_round2 *mine[MAXN];

		for (j = 0, n = 0; j < max; j++)
			for (k = 0; j != i && k < max - 1; k++)
				if (sc_frost_dkg_round2_recipient(r2[j][k]) == i + 1)
					mine[n++] = r2[j][k];
		assert_int_equal(n, max - 1);
		assert_int_equal(sc_frost_dkg_part3(st[i], mine, n, &g->kp[i], &pub[i], &culprit),
		                 SC_OK);
	}
	/* all agree on the group */
	for (i = 1; i < max; i++) {
		uint8_t a[512], b[512];
		size_t la, lb;

		assert_int_equal(sc_frost_pubkeys_encode(pub[0], a, sizeof(a), &la), SC_OK);
		assert_int_equal(sc_frost_pubkeys_encode(pub[i], b, sizeof(b), &lb), SC_OK);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		assert_memory_equal(sc_frost_key_package_group_key(g->kp[i]),
		                    sc_frost_pubkeys_group_key(pub[0]), 32);
	}
	g->pub = pub[0];
	for (i = 0; i < max; i++) {
		if (i > 0)
			sc_frost_pubkeys_free(pub[i]);
		sc_frost_dkg_free(st[i]);
		sc_frost_dkg_round1_free(r1[i]);
		for (k = 0; k < max - 1; k++)
			sc_frost_dkg_round2_free(r2[i][k]);
	}
}

/* One signing session among the identifiers in ids; returns the status of
 * aggregate. tamper: identifier whose share is altered (0: none). */
static int sign_session(struct group *g, const uint16_t *ids, size_t n, const uint8_t *msg,
                        size_t msg_len, uint16_t tamper, uint8_t sig[64], uint16_t *culprit)
{
	struct sc_frost_nonce *nonce[MAXN] = {0};
	struct sc_frost_commitment com[MAXN];
	struct sc_frost_sig_share ss[MAXN];
	struct sc_frost_signing_package *pkg = NULL, *rx = NULL;
	uint8_t *wire;
	size_t i, len;
	int r;

	for (i = 0; i < n; i++)
		assert_int_equal(sc_frost_commit(g->kp[ids[i] - 1], &nonce[i], &com[i]), SC_OK);
	assert_int_equal(sc_frost_signing_package_new(sc_frost_pubkeys_group_key(g->pub), com, n,
	                                              msg, msg_len, &pkg),
	                 SC_OK);
	/* each participant gets the package over the wire */
	wire = malloc(sc_frost_signing_package_wire_len(pkg));
	assert_non_null(wire);
	assert_int_equal(sc_frost_signing_package_encode(
	                     pkg, wire, sc_frost_signing_package_wire_len(pkg), &len),
	                 SC_OK);
	assert_int_equal(sc_frost_signing_package_decode(wire, len, &rx), SC_OK);
	for (i = 0; i < n; i++) {
		assert_int_equal(sc_frost_sign(g->kp[ids[i] - 1], &nonce[i], rx, &ss[i]), SC_OK);
		assert_null(nonce[i]);
		if (ss[i].id == tamper)
			ss[i].z[3] ^= 0x40;
	}
	r = sc_frost_aggregate(g->pub, pkg, ss, n, sig, culprit);
	free(wire);
	sc_frost_signing_package_free(rx);
	sc_frost_signing_package_free(pkg);
	return r;
}

/* Every subset of at least min signers signs; the signature is Ed25519. */
static void every_subset_signs(struct group *g)
{
	static const uint8_t msg[] = "transfer 1 BTC to the cold wallet";
	unsigned int mask;

	for (mask = 1; mask < (1u << g->max); mask++) {
		uint16_t ids[MAXN], n = 0, i, culprit = 77;
		uint8_t sig[64];

		for (i = 0; i < g->max; i++)
			if (mask & (1u << i))
				ids[n++] = (uint16_t)(i + 1);
		if (n < g->min)
			continue;
		assert_int_equal(sign_session(g, ids, n, msg, sizeof(msg), 0, sig, &culprit),
		                 SC_OK);
		assert_int_equal(culprit, 0);
		assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg),
		                                             sc_frost_pubkeys_group_key(g->pub)),
		                 0);
		assert_int_equal(
		    sc_frost_verify(sc_frost_pubkeys_group_key(g->pub), msg, sizeof(msg) - 1, sig),
		    SC_ERR_CORRUPT);
	}
}

static void test_dealer_2of3(void **state)
{
	struct group g;

	(void)state;
	dealer_group(&g, 2, 3);
	every_subset_signs(&g);
	group_release(&g);
}

static void test_dealer_3of5(void **state)
{
	struct group g;

	(void)state;
	dealer_group(&g, 3, 5);
	every_subset_signs(&g);
	group_release(&g);
}

static void test_dkg_2of3(void **state)
{
	struct group g;

	(void)state;
	dkg_group(&g, 2, 3);
	every_subset_signs(&g);
	group_release(&g);
}

static void test_dkg_3of5(void **state)
{
	struct group g;

	(void)state;
	dkg_group(&g, 3, 5);
	every_subset_signs(&g);
	group_release(&g);
}

/* An existing key split by the dealer keeps its public key. */
static void test_dealer_existing_key(void **state)
{
	uint8_t pk[32], sk[64], seed[32], h[64], s[32];
	struct sc_frost_share *sh[3];
	struct sc_frost_key_package *kp = NULL;
	struct sc_frost_pubkeys *pub = NULL;
	size_t i;

	(void)state;
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	/* the Ed25519 secret scalar: clamped SHA-512(seed)[0..32], reduced */
	crypto_hash_sha512(h, seed, sizeof(seed));
	h[0] &= 248;
	h[31] &= 127;
	h[31] |= 64;
	memset(h + 32, 0, 32);
	crypto_core_ed25519_scalar_reduce(s, h);
	assert_int_equal(sc_frost_dealer_split(s, 2, 3, sh), SC_OK);
	assert_int_equal(sc_frost_share_verify(sh[1], &kp, &pub), SC_OK);
	assert_memory_equal(sc_frost_pubkeys_group_key(pub), pk, 32);
	for (i = 0; i < 3; i++)
		sc_frost_share_free(sh[i]);
	sc_frost_key_package_free(kp);
	sc_frost_pubkeys_free(pub);
}

/* A tampered signature share is named by aggregate and by verify_share. */
static void test_bad_share_named(void **state)
{
	static const uint8_t msg[] = "m";
	struct group g;
	uint16_t ids[3] = {1, 3, 5}, culprit = 0, t;
	uint8_t sig[64];

	(void)state;
	dealer_group(&g, 3, 5);
	for (t = 0; t < 3; t++) {
		assert_int_equal(sign_session(&g, ids, 3, msg, sizeof(msg), ids[t], sig, &culprit),
		                 SC_ERR_CORRUPT);
		assert_int_equal(culprit, ids[t]);
		assert_true(sodium_is_zero(sig, 64));
	}
	group_release(&g);
}

/* Round 2 refusals; the nonce is gone after every call, success or not. */
static void test_sign_refusals(void **state)
{
	struct group g, other;
	struct sc_frost_nonce *n1 = NULL, *n2 = NULL, *n3 = NULL, *spare = NULL;
	struct sc_frost_commitment c[3], c_spare;
	struct sc_frost_signing_package *pkg = NULL, *foreign = NULL, *bad = NULL;
	struct sc_frost_sig_share ss;

	(void)state;
	dealer_group(&g, 2, 3);
	dealer_group(&other, 2, 3);
	assert_int_equal(sc_frost_commit(g.kp[0], &n1, &c[0]), SC_OK);
	assert_int_equal(sc_frost_commit(g.kp[1], &n2, &c[1]), SC_OK);
	assert_memory_equal(sc_frost_nonce_commitment(n1), &c[0], sizeof(c[0]));
	assert_int_equal(sc_frost_signing_package_new(sc_frost_pubkeys_group_key(g.pub), c, 2,
	                                              (const uint8_t *)"x", 1, &pkg),
	                 SC_OK);
	/* another group's package */
	assert_int_equal(sc_frost_signing_package_new(sc_frost_pubkeys_group_key(other.pub), c, 2,
	                                              (const uint8_t *)"x", 1, &foreign),
	                 SC_OK);
	assert_int_equal(sc_frost_sign(g.kp[0], &n1, foreign, &ss), SC_ERR_INVALID);
	assert_null(n1);
	/* a used nonce cannot sign again */
	assert_int_equal(sc_frost_sign(g.kp[0], &n1, pkg, &ss), SC_ERR_INVALID);
	/* a package with someone else's commitment under our identifier */
	assert_int_equal(sc_frost_commit(g.kp[0], &spare, &c_spare), SC_OK);
	assert_int_equal(sc_frost_sign(g.kp[0], &spare, pkg, &ss), SC_ERR_INVALID);
	assert_null(spare);
	/* our identifier with our binding but another hiding point, then the
	 * reverse: each half of the commitment is checked */
	{
		struct sc_frost_nonce *half = NULL;
		struct sc_frost_commitment mine, d[2];
		struct sc_frost_signing_package *p2 = NULL;
		size_t k;

		for (k = 0; k < 2; k++) {
			assert_int_equal(sc_frost_commit(g.kp[0], &half, &mine), SC_OK);
			d[0] = mine;
			d[1] = c[1];
			memcpy(k == 0 ? d[0].hiding : d[0].binding, c_spare.hiding, 32);
			assert_int_equal(sc_frost_signing_package_new(
			                     sc_frost_pubkeys_group_key(g.pub), d, 2, NULL, 0, &p2),
			                 SC_OK);
			assert_int_equal(sc_frost_sign(g.kp[0], &half, p2, &ss), SC_ERR_INVALID);
			assert_null(half);
			sc_frost_signing_package_free(p2);
			p2 = NULL;
		}
	}
	/* a package without us */
	assert_int_equal(sc_frost_commit(g.kp[2], &n3, &c[2]), SC_OK);
	assert_int_equal(sc_frost_sign(g.kp[2], &n3, pkg, &ss), SC_ERR_INVALID);
	assert_null(n3);
	/* an identifier above max (4 in a 2-of-3 group) */
	sc_frost_nonce_free(n2);
	assert_int_equal(sc_frost_commit(g.kp[1], &n2, &c[1]), SC_OK);
	{
		struct sc_frost_commitment two[2] = {c[1], c[0]};

		two[1].id = 4;
		assert_int_equal(sc_frost_signing_package_new(sc_frost_pubkeys_group_key(g.pub),
		                                              two, 2, NULL, 0, &bad),
		                 SC_OK);
		assert_int_equal(sc_frost_sign(g.kp[1], &n2, bad, &ss), SC_ERR_INVALID);
		assert_null(n2);
		assert_int_equal(sc_frost_verify_share(g.pub, bad, &ss), SC_ERR_INVALID);
	}
	sc_frost_signing_package_free(bad);
	sc_frost_signing_package_free(pkg);
	sc_frost_signing_package_free(foreign);
	group_release(&g);
	group_release(&other);
}

/* Fewer signers than the threshold: refused by signers and coordinator. */
static void test_below_threshold(void **state)
{
	struct group g;
	struct sc_frost_nonce *n[2] = {0};
	struct sc_frost_commitment c[2];
	struct sc_frost_signing_package *pkg = NULL;
	struct sc_frost_sig_share ss[2] = {0};
	uint8_t sig[64];
	uint16_t culprit;

	(void)state;
	dealer_group(&g, 3, 5);
	assert_int_equal(sc_frost_commit(g.kp[0], &n[0], &c[0]), SC_OK);
	assert_int_equal(sc_frost_commit(g.kp[1], &n[1], &c[1]), SC_OK);
	assert_int_equal(
	    sc_frost_signing_package_new(sc_frost_pubkeys_group_key(g.pub), c, 2, NULL, 0, &pkg),
	    SC_OK);
	assert_int_equal(sc_frost_sign(g.kp[0], &n[0], pkg, &ss[0]), SC_ERR_INVALID);
	assert_null(n[0]);
	ss[0].id = 1;
	ss[1].id = 2;
	assert_int_equal(sc_frost_aggregate(g.pub, pkg, ss, 2, sig, &culprit), SC_ERR_INVALID);
	sc_frost_nonce_free(n[1]);
	sc_frost_signing_package_free(pkg);
	group_release(&g);
}

/* Aggregate refuses share sets that are not one share per signer. */
static void test_aggregate_refusals(void **state)
{
	struct group g;
	struct sc_frost_nonce *n[2] = {0};
	struct sc_frost_commitment c[2];
	struct sc_frost_signing_package *pkg = NULL;
	struct sc_frost_sig_share ss[2], dup[2];
	uint8_t sig[64];
	uint16_t culprit = 9;

	(void)state;
	dealer_group(&g, 2, 3);
	assert_int_equal(sc_frost_commit(g.kp[0], &n[0], &c[0]), SC_OK);
	assert_int_equal(sc_frost_commit(g.kp[2], &n[1], &c[1]), SC_OK);
	assert_int_equal(sc_frost_signing_package_new(sc_frost_pubkeys_group_key(g.pub), c, 2,
	                                              (const uint8_t *)"abc", 3, &pkg),
	                 SC_OK);
	assert_int_equal(sc_frost_sign(g.kp[0], &n[0], pkg, &ss[0]), SC_OK);
	assert_int_equal(sc_frost_sign(g.kp[2], &n[1], pkg, &ss[1]), SC_OK);
	/* one missing */
	assert_int_equal(sc_frost_aggregate(g.pub, pkg, ss, 1, sig, &culprit), SC_ERR_INVALID);
	/* the same signer twice */
	dup[0] = ss[0];
	dup[1] = ss[0];
	assert_int_equal(sc_frost_aggregate(g.pub, pkg, dup, 2, sig, &culprit), SC_ERR_INVALID);
	/* a share from a non-signer */
	dup[1] = ss[1];
	dup[1].id = 2;
	assert_int_equal(sc_frost_aggregate(g.pub, pkg, dup, 2, sig, &culprit), SC_ERR_INVALID);
	assert_int_equal(sc_frost_verify_share(g.pub, pkg, &dup[1]), SC_ERR_INVALID);
	/* a non-canonical share is named before aggregation */
	dup[1] = ss[1];
	memset(dup[1].z, 0xff, 32);
	assert_int_equal(sc_frost_aggregate(g.pub, pkg, dup, 2, sig, &culprit), SC_ERR_CORRUPT);
	assert_int_equal(culprit, 3);
	assert_int_equal(sc_frost_verify_share(g.pub, pkg, &dup[1]), SC_ERR_CORRUPT);
	/* z + L is the same share modulo L but not canonical: refused, named */
	{
		static const uint8_t l[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
		                              0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		                              0,    0,    0,    0,    0,    0,    0,    0,
		                              0,    0,    0,    0,    0,    0,    0,    0x10};
		unsigned int carry = 0, k;

		dup[0] = ss[0];
		dup[1] = ss[1];
		for (k = 0; k < 32; k++) {
			carry += (unsigned int)dup[1].z[k] + l[k];
			dup[1].z[k] = (uint8_t)carry;
			carry >>= 8;
		}
		assert_int_equal(carry, 0);
		culprit = 0;
		assert_int_equal(sc_frost_aggregate(g.pub, pkg, dup, 2, sig, &culprit),
		                 SC_ERR_CORRUPT);
		assert_int_equal(culprit, 3);
		assert_int_equal(sc_frost_verify_share(g.pub, pkg, &dup[1]), SC_ERR_CORRUPT);
	}
	/* in any order, the right ones aggregate */
	dup[0] = ss[1];
	dup[1] = ss[0];
	assert_int_equal(sc_frost_aggregate(g.pub, pkg, dup, 2, sig, &culprit), SC_OK);
	assert_int_equal(culprit, 0);
	assert_int_equal(crypto_sign_verify_detached(sig, (const uint8_t *)"abc", 3,
	                                             sc_frost_pubkeys_group_key(g.pub)),
	                 0);
	sc_frost_signing_package_free(pkg);
	group_release(&g);
}

/* Points that DeserializeElement refuses. */
static const char *bad_points[] = {
    "0100000000000000000000000000000000000000000000000000000000000000", /* identity */
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* order 2 */
    "0000000000000000000000000000000000000000000000000000000000000000", /* order 4 */
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", /* order 8 */
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* y = p */
    "0200000000000000000000000000000000000000000000000000000000000000", /* not on curve */
};

static void unhex(uint8_t *out, size_t n, const char *hex)
{
	size_t got = 0;

	assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL), 0);
	assert_int_equal(got, n);
}

static void test_package_refusals(void **state)
{
	struct sc_frost_commitment c[3], d[3];
	struct sc_frost_signing_package *pkg = (void *)1;
	uint8_t gk[32], s[32], p[32], t[32];
	struct group g;
	size_t i, j;

	(void)state;
	dealer_group(&g, 2, 3);
	memcpy(gk, sc_frost_pubkeys_group_key(g.pub), 32);
	for (i = 0; i < 3; i++) {
		struct sc_frost_nonce *n = NULL;

		assert_int_equal(sc_frost_commit(g.kp[i], &n, &c[i]), SC_OK);
		sc_frost_nonce_free(n);
	}
	assert_int_equal(sc_frost_signing_package_new(gk, c, 3, NULL, 0, &pkg), SC_OK);
	for (i = 1; i < 3; i++)
		assert_true(sc_frost_signing_package_commitment(pkg, i - 1)->id <
		            sc_frost_signing_package_commitment(pkg, i)->id);
	sc_frost_signing_package_free(pkg);
	/* too few, too many, too big */
	assert_int_equal(sc_frost_signing_package_new(gk, c, 1, NULL, 0, &pkg), SC_ERR_INVALID);
	assert_null(pkg);
	assert_int_equal(sc_frost_signing_package_new(gk, c, 256, NULL, 0, &pkg), SC_ERR_INVALID);
	{
		uint8_t *big = calloc(1, SC_FROST_MSG_MAX + 1);

		assert_non_null(big);
		assert_int_equal(
		    sc_frost_signing_package_new(gk, c, 3, big, SC_FROST_MSG_MAX + 1, &pkg),
		    SC_ERR_TOOBIG);
		assert_int_equal(
		    sc_frost_signing_package_new(gk, c, 3, big, SC_FROST_MSG_MAX, &pkg), SC_OK);
		sc_frost_signing_package_free(pkg);
		free(big);
	}
	/* zero and duplicate identifiers */
	memcpy(d, c, sizeof(d));
	d[1].id = 0;
	assert_int_equal(sc_frost_signing_package_new(gk, d, 3, NULL, 0, &pkg), SC_ERR_INVALID);
	memcpy(d, c, sizeof(d));
	d[2].id = d[0].id;
	assert_int_equal(sc_frost_signing_package_new(gk, d, 3, NULL, 0, &pkg), SC_ERR_INVALID);
	memcpy(d, c, sizeof(d));
	d[2].id = 256;
	assert_int_equal(sc_frost_signing_package_new(gk, d, 3, NULL, 0, &pkg), SC_ERR_INVALID);
	/* duplicate commitments: a replayed hiding or binding point */
	memcpy(d, c, sizeof(d));
	memcpy(d[2].hiding, d[0].hiding, 32);
	assert_int_equal(sc_frost_signing_package_new(gk, d, 3, NULL, 0, &pkg), SC_ERR_INVALID);
	memcpy(d, c, sizeof(d));
	memcpy(d[2].binding, d[1].hiding, 32);
	assert_int_equal(sc_frost_signing_package_new(gk, d, 3, NULL, 0, &pkg), SC_ERR_INVALID);
	memcpy(d, c, sizeof(d));
	memcpy(d[1].binding, d[1].hiding, 32);
	assert_int_equal(sc_frost_signing_package_new(gk, d, 3, NULL, 0, &pkg), SC_ERR_INVALID);
	/* every bad point, in each slot, and as the group key; a point off the
	 * prime-order subgroup (B + a point of order 8) too */
	sc_frost_scalar_from_id(s, 1);
	assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(p, s), 0);
	unhex(t, 32, bad_points[3]);
	assert_int_equal(crypto_core_ed25519_add(p, p, t), 0);
	for (i = 0; i <= sizeof(bad_points) / sizeof(bad_points[0]); i++) {
		if (i < sizeof(bad_points) / sizeof(bad_points[0]))
			unhex(t, 32, bad_points[i]);
		else
			memcpy(t, p, 32);
		assert_false(sc_frost_point_valid(t));
		for (j = 0; j < 3; j++) {
			memcpy(d, c, sizeof(d));
			memcpy(j == 0 ? d[1].hiding : j == 1 ? d[1].binding : gk, t, 32);
			assert_int_equal(sc_frost_signing_package_new(gk, d, 3, NULL, 0, &pkg),
			                 SC_ERR_INVALID);
			assert_null(pkg);
			memcpy(gk, sc_frost_pubkeys_group_key(g.pub), 32);
		}
	}
	group_release(&g);
}

static void test_dealer_refusals(void **state)
{
	struct sc_frost_share *sh[256];
	struct sc_frost_key_package *kp = (void *)1;
	uint8_t zero[32] = {0}, l[32];

	(void)state;
	assert_int_equal(sc_frost_dealer_split(NULL, 1, 3, sh), SC_ERR_INVALID);
	assert_int_equal(sc_frost_dealer_split(NULL, 4, 3, sh), SC_ERR_INVALID);
	assert_int_equal(sc_frost_dealer_split(NULL, 2, 256, sh), SC_ERR_INVALID);
	assert_int_equal(sc_frost_dealer_split(zero, 2, 3, sh), SC_ERR_INVALID);
	assert_null(sh[0]);
	unhex(l, 32, "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
	assert_false(sc_frost_scalar_canonical(l)); /* L itself */
	l[0]--;
	assert_true(sc_frost_scalar_canonical(l)); /* L - 1 */
	l[0]++;
	assert_int_equal(sc_frost_dealer_split(l, 2, 3, sh), SC_ERR_INVALID);
	/* a share that does not match the dealer's commitment */
	assert_int_equal(sc_frost_dealer_split(NULL, 2, 3, sh), SC_OK);
	sh[1]->secret[0] ^= 1;
	assert_int_equal(sc_frost_share_verify(sh[1], &kp, NULL), SC_ERR_CORRUPT);
	assert_null(kp);
	memcpy(sh[2]->vss + 32, sh[0]->vss, 32); /* a forged commitment */
	assert_int_equal(sc_frost_share_verify(sh[2], &kp, NULL), SC_ERR_CORRUPT);
	assert_int_equal(sc_frost_share_verify(sh[0], &kp, NULL), SC_OK);
	sc_frost_key_package_free(kp);
	sc_frost_share_free(sh[0]);
	sc_frost_share_free(sh[1]);
	sc_frost_share_free(sh[2]);
}

static void test_lagrange(void **state)
{
	uint16_t ids[3] = {1, 3, 5}, dupe[3] = {1, 3, 3}, zero[2] = {0, 2};
	uint8_t l[3][32], sum[32], one[32];
	size_t i;

	(void)state;
	/* interpolation at 0 of the constant polynomial 1: the coefficients sum to 1 */
	memset(sum, 0, 32);
	for (i = 0; i < 3; i++) {
		assert_int_equal(sc_frost_lagrange(l[i], ids, 3, ids[i]), SC_OK);
		crypto_core_ed25519_scalar_add(sum, sum, l[i]);
	}
	sc_frost_scalar_from_id(one, 1);
	assert_memory_equal(sum, one, 32);
	assert_int_equal(sc_frost_lagrange(l[0], ids, 3, 2), SC_ERR_INVALID);
	assert_int_equal(sc_frost_lagrange(l[0], dupe, 3, 1), SC_ERR_INVALID);
	assert_int_equal(sc_frost_lagrange(l[0], zero, 2, 2), SC_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dealer_2of3),
	    cmocka_unit_test(test_dealer_3of5),
	    cmocka_unit_test(test_dkg_2of3),
	    cmocka_unit_test(test_dkg_3of5),
	    cmocka_unit_test(test_dealer_existing_key),
	    cmocka_unit_test(test_bad_share_named),
	    cmocka_unit_test(test_sign_refusals),
	    cmocka_unit_test(test_below_threshold),
	    cmocka_unit_test(test_aggregate_refusals),
	    cmocka_unit_test(test_package_refusals),
	    cmocka_unit_test(test_dealer_refusals),
	    cmocka_unit_test(test_lagrange),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
