/* frost_ed25519.c - the FROST(Ed25519, SHA-512) group and hashes of RFC
 * 9591 section 6.1 on libsodium: scalar and point checks, H1..H5,
 * nonce_generate, polynomials and Lagrange coefficients. */
#include <string.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/frost.h"
#include "custody/frost_int.h"

/* L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
static const uint8_t order_l[FROST_NS] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};

int sc_frost_scalar_canonical(const uint8_t s[FROST_NS])
{
	unsigned int borrow = 0, t;
	size_t i;

	/* s < L exactly when s - L borrows out of the top byte */
	for (i = 0; i < FROST_NS; i++) {
		t = (unsigned int)s[i] - order_l[i] - borrow;
		borrow = (t >> 8) & 1;
	}
	return (int)borrow;
}

int sc_frost_scalar_is_zero(const uint8_t s[FROST_NS])
{
	return sodium_is_zero(s, FROST_NS);
}

void sc_frost_scalar_from_id(uint8_t out[FROST_NS], uint16_t id)
{
	memset(out, 0, FROST_NS);
	out[0] = (uint8_t)(id & 0xff);
	out[1] = (uint8_t)(id >> 8);
}

void sc_frost_point_identity(uint8_t out[FROST_NE])
{
	memset(out, 0, FROST_NE);
	out[0] = 1;
}

int sc_frost_point_is_identity(const uint8_t p[FROST_NE])
{
	uint8_t id[FROST_NE];

	sc_frost_point_identity(id);
	return memcmp(p, id, FROST_NE) == 0;
}

int sc_frost_point_valid(const uint8_t p[FROST_NE])
{
	/* canonical, on the curve, not of small order (so not the identity),
	 * in the prime-order subgroup */
	return crypto_core_ed25519_is_valid_point(p) == 1;
}

int sc_frost_mul_base(uint8_t out[FROST_NE], const uint8_t s[FROST_NS])
{
	if (sc_frost_scalar_is_zero(s)) {
		sc_frost_point_identity(out);
		return SC_OK;
	}
	if (crypto_scalarmult_ed25519_base_noclamp(out, s) != 0)
		return SC_ERR_CRYPTO;
	return SC_OK;
}

int sc_frost_mul(uint8_t out[FROST_NE], const uint8_t s[FROST_NS], const uint8_t p[FROST_NE])
{
	if (!sc_frost_point_valid(p))
		return SC_ERR_CRYPTO;
	if (sc_frost_scalar_is_zero(s)) {
		sc_frost_point_identity(out);
		return SC_OK;
	}
	if (crypto_scalarmult_ed25519_noclamp(out, s, p) != 0)
		return SC_ERR_CRYPTO;
	return SC_OK;
}

int sc_frost_add(uint8_t out[FROST_NE], const uint8_t a[FROST_NE], const uint8_t b[FROST_NE])
{
	if (crypto_core_ed25519_add(out, a, b) != 0)
		return SC_ERR_CRYPTO;
	return SC_OK;
}

/* H(contextString || tag || a || b || c) with SHA-512; tag NULL for H2. */
static void hash_parts(uint8_t out[64], const char *tag, const uint8_t *a, size_t alen,
                       const uint8_t *b, size_t blen, const uint8_t *c, size_t clen)
{
	crypto_hash_sha512_state st;

	crypto_hash_sha512_init(&st);
	if (tag != NULL) {
		crypto_hash_sha512_update(&st, (const uint8_t *)FROST_CONTEXT,
		                          sizeof(FROST_CONTEXT) - 1);
		crypto_hash_sha512_update(&st, (const uint8_t *)tag, strlen(tag));
	}
	if (alen > 0)
		crypto_hash_sha512_update(&st, a, alen);
	if (blen > 0)
		crypto_hash_sha512_update(&st, b, blen);
	if (clen > 0)
		crypto_hash_sha512_update(&st, c, clen);
	crypto_hash_sha512_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

static void hash_to_scalar(uint8_t out[FROST_NS], const char *tag, const uint8_t *a, size_t alen,
                           const uint8_t *b, size_t blen, const uint8_t *c, size_t clen)
{
	uint8_t h[64];

	hash_parts(h, tag, a, alen, b, blen, c, clen);
	crypto_core_ed25519_scalar_reduce(out, h);
	sodium_memzero(h, sizeof(h));
}

void sc_frost_h1(uint8_t out[FROST_NS], const uint8_t *m, size_t len)
{
	hash_to_scalar(out, "rho", m, len, NULL, 0, NULL, 0);
}

void sc_frost_h2(uint8_t out[FROST_NS], const uint8_t *a, size_t alen, const uint8_t *b,
                 size_t blen, const uint8_t *c, size_t clen)
{
	hash_to_scalar(out, NULL, a, alen, b, blen, c, clen);
}

void sc_frost_h3(uint8_t out[FROST_NS], const uint8_t *m, size_t len)
{
	hash_to_scalar(out, "nonce", m, len, NULL, 0, NULL, 0);
}

void sc_frost_h4(uint8_t out[64], const uint8_t *m, size_t len)
{
	hash_parts(out, "msg", m, len, NULL, 0, NULL, 0);
}

void sc_frost_h5(uint8_t out[64], const uint8_t *m, size_t len)
{
	hash_parts(out, "com", m, len, NULL, 0, NULL, 0);
}

void sc_frost_hdkg(uint8_t out[FROST_NS], const uint8_t *m, size_t len)
{
	hash_to_scalar(out, "dkg", m, len, NULL, 0, NULL, 0);
}

void sc_frost_nonce_generate(uint8_t out[FROST_NS], const uint8_t rand32[32],
                             const uint8_t secret[FROST_NS])
{
	hash_to_scalar(out, "nonce", rand32, 32, secret, FROST_NS, NULL, 0);
}

void sc_frost_poly_eval(uint8_t out[FROST_NS], const uint8_t *c, size_t t, uint16_t x)
{
	uint8_t xs[FROST_NS], acc[FROST_NS];
	size_t j;

	/* Horner, from the highest coefficient down */
	sc_frost_scalar_from_id(xs, x);
	memset(acc, 0, sizeof(acc));
	for (j = t; j-- > 0;) {
		crypto_core_ed25519_scalar_mul(acc, acc, xs);
		crypto_core_ed25519_scalar_add(acc, acc, c + j * FROST_NS);
	}
	memcpy(out, acc, FROST_NS);
	sodium_memzero(acc, sizeof(acc));
}

int sc_frost_poly_commit_eval(uint8_t out[FROST_NE], const uint8_t *commit, size_t t, uint16_t x)
{
	uint8_t xs[FROST_NS], pow[FROST_NS], acc[FROST_NE], term[FROST_NE];
	size_t j;
	int r;

	sc_frost_scalar_from_id(xs, x);
	sc_frost_scalar_from_id(pow, 1);
	sc_frost_point_identity(acc);
	for (j = 0; j < t; j++) {
		if ((r = sc_frost_mul(term, pow, commit + j * FROST_NE)) != SC_OK)
			return r;
		if ((r = sc_frost_add(acc, acc, term)) != SC_OK)
			return r;
		crypto_core_ed25519_scalar_mul(pow, pow, xs);
	}
	memcpy(out, acc, FROST_NE);
	return SC_OK;
}

int sc_frost_lagrange(uint8_t out[FROST_NS], const uint16_t *ids, size_t n, uint16_t id)
{
	uint8_t num[FROST_NS], den[FROST_NS], xi[FROST_NS], xj[FROST_NS], d[FROST_NS];
	size_t j, k, found = 0;

	for (j = 0; j < n; j++) {
		if (ids[j] == 0)
			return SC_ERR_INVALID;
		if (ids[j] == id)
			found++;
		for (k = j + 1; k < n; k++)
			if (ids[k] == ids[j])
				return SC_ERR_INVALID;
	}
	if (id == 0 || found != 1)
		return SC_ERR_INVALID;
	sc_frost_scalar_from_id(num, 1);
	sc_frost_scalar_from_id(den, 1);
	sc_frost_scalar_from_id(xi, id);
	for (j = 0; j < n; j++) {
		if (ids[j] == id)
			continue;
		sc_frost_scalar_from_id(xj, ids[j]);
		crypto_core_ed25519_scalar_mul(num, num, xj);
		crypto_core_ed25519_scalar_sub(d, xj, xi);
		crypto_core_ed25519_scalar_mul(den, den, d);
	}
	if (crypto_core_ed25519_scalar_invert(den, den) != 0)
		return SC_ERR_INTERNAL; /* distinct identifiers below L: never zero */
	crypto_core_ed25519_scalar_mul(out, num, den);
	return SC_OK;
}

int sc_frost_params_valid(uint16_t min, uint16_t max)
{
	return min >= 2 && min <= max && max <= SC_FROST_MAX_PARTICIPANTS;
}

int sc_frost_verify(const uint8_t group_key[SC_FROST_POINT_LEN], const uint8_t *msg, size_t msg_len,
                    const uint8_t sig[SC_FROST_SIG_LEN])
{
	if (group_key == NULL || sig == NULL || (msg == NULL && msg_len > 0))
		return SC_ERR_INVALID;
	if (crypto_sign_verify_detached(sig, msg, msg_len, group_key) != 0)
		return SC_ERR_CORRUPT;
	return SC_OK;
}
