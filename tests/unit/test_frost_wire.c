/* test_frost_wire.c - the FROST message formats: each round-trips to the
 * same bytes, and each decoder refuses every truncation, a trailing byte, a
 * wrong type, version or suite, identity and invalid points, non-canonical
 * scalars, zero, out-of-range and duplicate identifiers, bad thresholds. */
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

/* Decode, re-encode into out; the status of the decode. */
typedef int (*codec_fn)(const uint8_t *buf, size_t len, uint8_t *out, size_t *out_len);

static int cx_commitment(const uint8_t *b, size_t l, uint8_t *o, size_t *ol)
{
	struct sc_frost_commitment c;
	int r = sc_frost_commitment_decode(b, l, &c);

	if (r == SC_OK) {
		assert_int_equal(sc_frost_commitment_encode(&c, o), SC_OK);
		*ol = SC_FROST_COMMITMENT_WIRE_LEN;
	}
	return r;
}

static int cx_sig_share(const uint8_t *b, size_t l, uint8_t *o, size_t *ol)
{
	struct sc_frost_sig_share s;
	int r = sc_frost_sig_share_decode(b, l, &s);

	if (r == SC_OK) {
		assert_int_equal(sc_frost_sig_share_encode(&s, o), SC_OK);
		*ol = SC_FROST_SIG_SHARE_WIRE_LEN;
	}
	return r;
}

static int cx_pkg(const uint8_t *b, size_t l, uint8_t *o, size_t *ol)
{
	struct sc_frost_signing_package *p = (void *)1;
	int r = sc_frost_signing_package_decode(b, l, &p);

	if (r != SC_OK) {
		assert_null(p);
		return r;
	}
	assert_int_equal(sc_frost_signing_package_encode(p, o, l, ol), SC_OK);
	sc_frost_signing_package_free(p);
	return r;
}

static int cx_r1(const uint8_t *b, size_t l, uint8_t *o, size_t *ol)
{
	struct sc_frost_dkg_round1 *p = (void *)1;
	int r = sc_frost_dkg_round1_decode(b, l, &p);

	if (r != SC_OK) {
		assert_null(p);
		return r;
	}
	assert_int_equal(sc_frost_dkg_round1_encode(p, o, l, ol), SC_OK);
	sc_frost_dkg_round1_free(p);
	return r;
}

static int cx_r2(const uint8_t *b, size_t l, uint8_t *o, size_t *ol)
{
	struct sc_frost_dkg_round2 *p = (void *)1;
	int r = sc_frost_dkg_round2_decode(b, l, &p);

	if (r != SC_OK) {
		assert_null(p);
		return r;
	}
	assert_int_equal(sc_frost_dkg_round2_encode(p, o), SC_OK);
	*ol = SC_FROST_DKG_ROUND2_WIRE_LEN;
	sc_frost_dkg_round2_free(p);
	return r;
}

static int cx_kp(const uint8_t *b, size_t l, uint8_t *o, size_t *ol)
{
	struct sc_frost_key_package *p = (void *)1;
	int r = sc_frost_key_package_decode(b, l, &p);

	if (r != SC_OK) {
		assert_null(p);
		return r;
	}
	assert_int_equal(sc_frost_key_package_encode(p, o), SC_OK);
	*ol = SC_FROST_KEY_PACKAGE_WIRE_LEN;
	sc_frost_key_package_free(p);
	return r;
}

static int cx_pub(const uint8_t *b, size_t l, uint8_t *o, size_t *ol)
{
	struct sc_frost_pubkeys *p = (void *)1;
	int r = sc_frost_pubkeys_decode(b, l, &p);

	if (r != SC_OK) {
		assert_null(p);
		return r;
	}
	assert_int_equal(sc_frost_pubkeys_encode(p, o, l, ol), SC_OK);
	sc_frost_pubkeys_free(p);
	return r;
}

static int cx_share(const uint8_t *b, size_t l, uint8_t *o, size_t *ol)
{
	struct sc_frost_share *p = (void *)1;
	int r = sc_frost_share_decode(b, l, &p);

	if (r != SC_OK) {
		assert_null(p);
		return r;
	}
	assert_int_equal(sc_frost_share_encode(p, o, l, ol), SC_OK);
	sc_frost_share_free(p);
	return r;
}

/* A valid message: it round-trips; every prefix, a trailing byte and a
 * changed header byte are refused. */
static void check_strict(const uint8_t *msg, size_t len, codec_fn fn)
{
	uint8_t *buf = malloc(len + 1), *out = malloc(len + 1);
	size_t l, ol = 0;

	assert_non_null(buf);
	assert_non_null(out);
	memcpy(buf, msg, len);
	assert_int_equal(fn(buf, len, out, &ol), SC_OK);
	assert_int_equal(ol, len);
	assert_memory_equal(out, msg, len);
	for (l = 0; l < len; l++)
		assert_int_not_equal(fn(buf, l, out, &ol), SC_OK);
	buf[len] = 0;
	assert_int_not_equal(fn(buf, len + 1, out, &ol), SC_OK);
	for (l = 0; l < SC_FROST_HDR_LEN; l++) {
		buf[l] ^= 0x09;
		assert_int_not_equal(fn(buf, len, out, &ol), SC_OK);
		buf[l] ^= 0x09;
	}
	assert_int_not_equal(fn(NULL, len, out, &ol), SC_OK);
	free(buf);
	free(out);
}

/* msg with `n` bytes at `off` replaced: refused. */
static void check_bad(const uint8_t *msg, size_t len, codec_fn fn, size_t off, const void *bytes,
                      size_t n)
{
	uint8_t *buf = malloc(len), *out = malloc(len + 1);
	size_t ol;

	assert_non_null(buf);
	assert_non_null(out);
	assert_true(off + n <= len);
	memcpy(buf, msg, len);
	memcpy(buf + off, bytes, n);
	if (fn(buf, len, out, &ol) == SC_OK)
		fail_msg("accepted %zu bytes changed at %zu", n, off);
	free(buf);
	free(out);
}

static const uint8_t identity[32] = {1};
static const uint8_t order8[32] = {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
                                   0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
                                   0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a};
static const uint8_t order_l[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
static const uint8_t u16_0[2] = {0, 0}, u16_1[2] = {0, 1}, u16_4[2] = {0, 4}, u16_256[2] = {1, 0};

static void bad_points(const uint8_t *msg, size_t len, codec_fn fn, size_t off)
{
	uint8_t p[32];

	check_bad(msg, len, fn, off, identity, 32);
	check_bad(msg, len, fn, off, order8, 32);
	memset(p, 0xff, 32); /* y >= p */
	p[31] = 0x7f;
	check_bad(msg, len, fn, off, p, 32);
}

static void bad_scalars(const uint8_t *msg, size_t len, codec_fn fn, size_t off)
{
	uint8_t s[32];

	check_bad(msg, len, fn, off, order_l, 32);
	memset(s, 0xff, 32);
	check_bad(msg, len, fn, off, s, 32);
}

struct fixture {
	struct sc_frost_share *sh[3];
	struct sc_frost_key_package *kp[3];
	struct sc_frost_pubkeys *pub;
	struct sc_frost_commitment c[3];
};

static void setup(struct fixture *f)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	assert_int_equal(sc_frost_dealer_split(NULL, 2, 3, f->sh), SC_OK);
	for (i = 0; i < 3; i++) {
		struct sc_frost_nonce *n = NULL;

		assert_int_equal(sc_frost_share_verify(f->sh[i], &f->kp[i], i ? NULL : &f->pub),
		                 SC_OK);
		assert_int_equal(sc_frost_commit(f->kp[i], &n, &f->c[i]), SC_OK);
		sc_frost_nonce_free(n);
	}
}

static void teardown(struct fixture *f)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		sc_frost_share_free(f->sh[i]);
		sc_frost_key_package_free(f->kp[i]);
	}
	sc_frost_pubkeys_free(f->pub);
}

static void test_commitment(void **state)
{
	struct fixture f;
	uint8_t m[SC_FROST_COMMITMENT_WIRE_LEN];

	(void)state;
	setup(&f);
	assert_int_equal(sc_frost_commitment_encode(&f.c[1], m), SC_OK);
	assert_int_equal(m[0], SC_FROST_MSG_COMMITMENT);
	check_strict(m, sizeof(m), cx_commitment);
	check_bad(m, sizeof(m), cx_commitment, 3, u16_0, 2);
	check_bad(m, sizeof(m), cx_commitment, 3, u16_256, 2);
	bad_points(m, sizeof(m), cx_commitment, 5);
	bad_points(m, sizeof(m), cx_commitment, 37);
	check_bad(m, sizeof(m), cx_commitment, 37, m + 5, 32); /* hiding == binding */
	teardown(&f);
}

static void test_sig_share(void **state)
{
	struct sc_frost_sig_share s = {.id = 2};
	uint8_t m[SC_FROST_SIG_SHARE_WIRE_LEN];

	(void)state;
	crypto_core_ed25519_scalar_random(s.z);
	assert_int_equal(sc_frost_sig_share_encode(&s, m), SC_OK);
	check_strict(m, sizeof(m), cx_sig_share);
	check_bad(m, sizeof(m), cx_sig_share, 3, u16_0, 2);
	bad_scalars(m, sizeof(m), cx_sig_share, 5);
	memset(s.z, 0xff, 32);
	assert_int_equal(sc_frost_sig_share_encode(&s, m), SC_ERR_INVALID);
}

static void test_signing_package(void **state)
{
	struct fixture f;
	struct sc_frost_signing_package *pkg = NULL;
	uint8_t m[512], t[512];
	size_t len, c0 = 3 + 32 + 2; /* first commitment */
	const size_t cl = 2 + 64;

	(void)state;
	setup(&f);
	assert_int_equal(sc_frost_signing_package_new(sc_frost_pubkeys_group_key(f.pub), f.c, 3,
	                                              (const uint8_t *)"hello", 5, &pkg),
	                 SC_OK);
	assert_int_equal(sc_frost_signing_package_encode(pkg, m, 10, &len), SC_ERR_TOOBIG);
	assert_int_equal(sc_frost_signing_package_encode(pkg, m, sizeof(m), &len), SC_OK);
	assert_int_equal(len, sc_frost_signing_package_wire_len(pkg));
	check_strict(m, len, cx_pkg);
	bad_points(m, len, cx_pkg, 3);                          /* group key */
	bad_points(m, len, cx_pkg, c0 + cl + 2);                /* a hiding commitment */
	bad_points(m, len, cx_pkg, c0 + 2 * cl + 34);           /* a binding commitment */
	check_bad(m, len, cx_pkg, c0, u16_0, 2);                /* zero identifier */
	check_bad(m, len, cx_pkg, c0 + cl, u16_1, 2);           /* duplicate identifier */
	check_bad(m, len, cx_pkg, c0, u16_4, 2);                /* unsorted */
	check_bad(m, len, cx_pkg, c0 + cl + 2, m + c0 + 2, 32); /* repeated commitment */
	/* counts: 1 (too few), 4 (more than present), 0 */
	check_bad(m, len, cx_pkg, 35, (const uint8_t[]){0, 1}, 2);
	check_bad(m, len, cx_pkg, 35, (const uint8_t[]){0, 4}, 2);
	check_bad(m, len, cx_pkg, 35, u16_0, 2);
	/* message length: longer than what follows, over the maximum */
	check_bad(m, len, cx_pkg, len - 9, (const uint8_t[]){0, 0, 0, 6}, 4);
	check_bad(m, len, cx_pkg, len - 9, (const uint8_t[]){0, 0x10, 0, 1}, 4);
	check_bad(m, len, cx_pkg, len - 9, (const uint8_t[]){0xff, 0xff, 0xff, 0xff}, 4);
	/* an empty message is fine */
	memcpy(t, m, len - 9);
	memset(t + len - 9, 0, 4);
	check_strict(t, len - 5, cx_pkg);
	sc_frost_signing_package_free(pkg);
	teardown(&f);
}

static void test_dkg_packages(void **state)
{
	struct sc_frost_dkg *st = NULL;
	struct sc_frost_dkg_round1 *r1 = NULL;
	struct sc_frost_dkg_round2 r2 = {.sender = 1, .recipient = 3};
	uint8_t m[256], m2[SC_FROST_DKG_ROUND2_WIRE_LEN];
	size_t len;

	(void)state;
	assert_int_equal(sc_frost_dkg_part1(2, 2, 3, &st, &r1), SC_OK);
	assert_int_equal(sc_frost_dkg_round1_encode(r1, m, 20, &len), SC_ERR_TOOBIG);
	assert_int_equal(sc_frost_dkg_round1_encode(r1, m, sizeof(m), &len), SC_OK);
	assert_int_equal(len, 3 + 6 + 2 * 32 + 64);
	check_strict(m, len, cx_r1);
	check_bad(m, len, cx_r1, 3, u16_0, 2);   /* zero sender */
	check_bad(m, len, cx_r1, 3, u16_4, 2);   /* sender > max */
	check_bad(m, len, cx_r1, 5, u16_1, 2);   /* min 1 */
	check_bad(m, len, cx_r1, 5, u16_4, 2);   /* min > max */
	check_bad(m, len, cx_r1, 7, u16_256, 2); /* max 256 */
	bad_points(m, len, cx_r1, 9);            /* phi_0 */
	bad_points(m, len, cx_r1, 41);           /* phi_1 */
	bad_points(m, len, cx_r1, 73);           /* R */
	bad_scalars(m, len, cx_r1, 105);         /* mu */
	sc_frost_dkg_free(st);
	sc_frost_dkg_round1_free(r1);

	crypto_core_ed25519_scalar_random(r2.share);
	assert_int_equal(sc_frost_dkg_round2_encode(&r2, m2), SC_OK);
	check_strict(m2, sizeof(m2), cx_r2);
	check_bad(m2, sizeof(m2), cx_r2, 3, u16_0, 2);
	check_bad(m2, sizeof(m2), cx_r2, 5, u16_0, 2);
	check_bad(m2, sizeof(m2), cx_r2, 5, u16_1, 2); /* to itself */
	bad_scalars(m2, sizeof(m2), cx_r2, 7);
}

static void test_keys(void **state)
{
	struct fixture f;
	uint8_t m[512];
	size_t len;

	(void)state;
	setup(&f);
	/* key package */
	assert_int_equal(sc_frost_key_package_encode(f.kp[2], m), SC_OK);
	check_strict(m, SC_FROST_KEY_PACKAGE_WIRE_LEN, cx_kp);
	len = SC_FROST_KEY_PACKAGE_WIRE_LEN;
	check_bad(m, len, cx_kp, 3, u16_0, 2);
	check_bad(m, len, cx_kp, 3, u16_4, 2);
	check_bad(m, len, cx_kp, 5, u16_1, 2);
	bad_scalars(m, len, cx_kp, 9);
	bad_points(m, len, cx_kp, 41);
	bad_points(m, len, cx_kp, 73);
	check_bad(m, len, cx_kp, 41, sc_frost_key_package_verifying_share(f.kp[0]), 32);
	{
		uint8_t other[32];

		memcpy(other, m + 9, 32);
		other[0] ^= 1; /* another signing share: the verifying share no longer fits */
		check_bad(m, len, cx_kp, 9, other, 32);
	}
	/* public keys */
	assert_int_equal(sc_frost_pubkeys_encode(f.pub, m, 20, &len), SC_ERR_TOOBIG);
	assert_int_equal(sc_frost_pubkeys_encode(f.pub, m, sizeof(m), &len), SC_OK);
	assert_int_equal(len, 3 + 4 + 32 + 3 * 32);
	check_strict(m, len, cx_pub);
	check_bad(m, len, cx_pub, 3, u16_1, 2);
	check_bad(m, len, cx_pub, 5, u16_256, 2);
	bad_points(m, len, cx_pub, 7);
	bad_points(m, len, cx_pub, 71);
	check_bad(m, len, cx_pub, 71, m + 39, 32); /* two identifiers, one share */
	/* dealer share */
	assert_int_equal(sc_frost_share_encode(f.sh[0], m, sizeof(m), &len), SC_OK);
	assert_int_equal(len, sc_frost_share_wire_len(f.sh[0]));
	check_strict(m, len, cx_share);
	check_bad(m, len, cx_share, 3, u16_0, 2);
	check_bad(m, len, cx_share, 3, u16_4, 2);
	check_bad(m, len, cx_share, 5, u16_4, 2);
	bad_scalars(m, len, cx_share, 9);
	bad_points(m, len, cx_share, 41);
	bad_points(m, len, cx_share, 73);
	/* a decoded share still verifies */
	{
		struct sc_frost_share *sh = NULL;
		struct sc_frost_key_package *kp = NULL;

		assert_int_equal(sc_frost_share_decode(m, len, &sh), SC_OK);
		assert_int_equal(sc_frost_share_verify(sh, &kp, NULL), SC_OK);
		assert_memory_equal(sc_frost_key_package_group_key(kp),
		                    sc_frost_pubkeys_group_key(f.pub), 32);
		sc_frost_key_package_free(kp);
		sc_frost_share_free(sh);
	}
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_commitment),
	    cmocka_unit_test(test_sig_share),
	    cmocka_unit_test(test_signing_package),
	    cmocka_unit_test(test_dkg_packages),
	    cmocka_unit_test(test_keys),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
