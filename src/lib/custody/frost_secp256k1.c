/* frost_secp256k1.c - the FROST(secp256k1, SHA-256) ciphersuite of RFC 9591
 * section 6.5 on libsecp256k1, with RFC 9380 expand_message_xmd: the
 * primitives and rounds over plain arrays (not yet behind frost.h). */
#include <pthread.h>
#include <string.h>

#include <secp256k1.h>
#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/frost.h"
#include "custody/frost_int.h"

#define K1_CONTEXT "FROST-secp256k1-SHA256-v1"
#define NS 32
#define NE SC_FROST_K1_POINT_LEN

/* n, the group order, and 2^256 mod n; big-endian */
static const uint8_t order_n[NS] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
static const uint8_t two256_mod_n[NS] = {
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0x01,
    0x45, 0x51, 0x23, 0x19, 0x50, 0xb7, 0x5f, 0xc4, 0x40, 0x2d, 0xa1, 0x73, 0x2f, 0xc9, 0xbe, 0xbf};

static secp256k1_context *k1_ctx;
static pthread_once_t k1_once = PTHREAD_ONCE_INIT;

static void k1_ctx_init(void)
{
	uint8_t seed[32];

	k1_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	randombytes_buf(seed, sizeof(seed));
	if (k1_ctx != NULL && !secp256k1_context_randomize(k1_ctx, seed)) {
		secp256k1_context_destroy(k1_ctx);
		k1_ctx = NULL;
	}
	sodium_memzero(seed, sizeof(seed));
}

static const secp256k1_context *ctx(void)
{
	pthread_once(&k1_once, k1_ctx_init);
	return k1_ctx;
}

/* ---- scalars: big-endian, in [0, n) ---------------------------------------- */

int sc_frost_k1_scalar_canonical(const uint8_t s[NS])
{
	unsigned int borrow = 0, t;
	size_t i;

	for (i = NS; i-- > 0;) {
		t = (unsigned int)s[i] - order_n[i] - borrow;
		borrow = (t >> 8) & 1;
	}
	return (int)borrow;
}

/* x mod n for x < 2^256 < 2n: subtract n when x >= n, in constant time */
static void reduce32(uint8_t x[NS])
{
	uint8_t y[NS], mask;
	unsigned int borrow = 0, t;
	size_t i;

	for (i = NS; i-- > 0;) {
		t = (unsigned int)x[i] - order_n[i] - borrow;
		y[i] = (uint8_t)t;
		borrow = (t >> 8) & 1;
	}
	mask = (uint8_t)(borrow - 1); /* 0xff when no borrow: x >= n */
	for (i = 0; i < NS; i++)
		x[i] = (uint8_t)((y[i] & mask) | (x[i] & ~mask));
	sodium_memzero(y, sizeof(y));
}

/* libsecp256k1 refuses zero scalars; zero is handled here (its test leaks
 * only whether a value is zero). */
static int k1_add(uint8_t out[NS], const uint8_t a[NS], const uint8_t b[NS])
{
	uint8_t t[NS];

	if (sodium_is_zero(a, NS)) {
		memmove(out, b, NS);
		return SC_OK;
	}
	if (sodium_is_zero(b, NS)) {
		memmove(out, a, NS);
		return SC_OK;
	}
	memcpy(t, a, NS);
	if (!secp256k1_ec_seckey_tweak_add(ctx(), t, b))
		memset(t, 0, NS); /* a = -b */
	memcpy(out, t, NS);
	sodium_memzero(t, NS);
	return SC_OK;
}

static void k1_mul(uint8_t out[NS], const uint8_t a[NS], const uint8_t b[NS])
{
	uint8_t t[NS];

	if (sodium_is_zero(a, NS) || sodium_is_zero(b, NS)) {
		memset(out, 0, NS);
		return;
	}
	memcpy(t, a, NS);
	if (!secp256k1_ec_seckey_tweak_mul(ctx(), t, b))
		memset(t, 0, NS); /* cannot happen for valid nonzero a, b */
	memcpy(out, t, NS);
	sodium_memzero(t, NS);
}

static void k1_neg(uint8_t out[NS], const uint8_t a[NS])
{
	memmove(out, a, NS);
	if (!sodium_is_zero(out, NS) && !secp256k1_ec_seckey_negate(ctx(), out))
		memset(out, 0, NS);
}

static void k1_from_id(uint8_t out[NS], uint16_t id)
{
	memset(out, 0, NS);
	out[NS - 2] = (uint8_t)(id >> 8);
	out[NS - 1] = (uint8_t)id;
}

/* a^(n-2): the inverse, for public values (identifiers) */
static void k1_inv(uint8_t out[NS], const uint8_t a[NS])
{
	uint8_t e[NS], acc[NS];
	int i, bit;

	memcpy(e, order_n, NS);
	e[NS - 1] -= 2; /* n ends in 0x41: no borrow */
	k1_from_id(acc, 1);
	for (i = 0; i < NS * 8; i++) {
		k1_mul(acc, acc, acc);
		bit = (e[i / 8] >> (7 - i % 8)) & 1;
		if (bit)
			k1_mul(acc, acc, a);
	}
	memcpy(out, acc, NS);
}

/* ---- hashes -------------------------------------------------------------------- */

int sc_frost_k1_expand_message_xmd(uint8_t *out, size_t out_len, const uint8_t *msg, size_t msg_len,
                                   const uint8_t *dst, size_t dst_len)
{
	crypto_hash_sha256_state st;
	uint8_t b0[32], bi[32], z[64] = {0}, lib[2], one, dl;
	size_t ell, i, k;

	ell = (out_len + 31) / 32;
	if (ell > 255 || out_len > 65535 || dst_len > 255)
		return SC_ERR_INVALID;
	lib[0] = (uint8_t)(out_len >> 8);
	lib[1] = (uint8_t)out_len;
	dl = (uint8_t)dst_len;
	/* b_0 = H(Z_pad || msg || l_i_b_str || 0 || DST_prime) */
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, z, sizeof(z));
	crypto_hash_sha256_update(&st, msg, msg_len);
	crypto_hash_sha256_update(&st, lib, 2);
	one = 0;
	crypto_hash_sha256_update(&st, &one, 1);
	crypto_hash_sha256_update(&st, dst, dst_len);
	crypto_hash_sha256_update(&st, &dl, 1);
	crypto_hash_sha256_final(&st, b0);
	memset(bi, 0, sizeof(bi));
	for (i = 1; i <= ell; i++) {
		uint8_t x[32], idx = (uint8_t)i;

		/* b_i = H(strxor(b_0, b_(i-1)) || i || DST_prime), b_1 with b_0 alone */
		for (k = 0; k < 32; k++)
			x[k] = (uint8_t)(b0[k] ^ bi[k]);
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, x, 32);
		crypto_hash_sha256_update(&st, &idx, 1);
		crypto_hash_sha256_update(&st, dst, dst_len);
		crypto_hash_sha256_update(&st, &dl, 1);
		crypto_hash_sha256_final(&st, bi);
		k = out_len - (i - 1) * 32 < 32 ? out_len - (i - 1) * 32 : 32;
		memcpy(out + (i - 1) * 32, bi, k);
		sodium_memzero(x, sizeof(x));
	}
	sodium_memzero(b0, sizeof(b0));
	sodium_memzero(bi, sizeof(bi));
	sodium_memzero(&st, sizeof(st));
	return SC_OK;
}

/* hash_to_field(m, 1) with L = 48 and DST = contextString || tag; m is
 * given in two pieces. */
static void h2f(uint8_t out[NS], const char *tag, const uint8_t *a, size_t alen, const uint8_t *b,
                size_t blen)
{
	uint8_t dst[64], u[48], hi[NS], lo[NS], *m = NULL;
	size_t dlen = sizeof(K1_CONTEXT) - 1 + strlen(tag), mlen = alen + blen;

	memcpy(dst, K1_CONTEXT, sizeof(K1_CONTEXT) - 1);
	memcpy(dst + sizeof(K1_CONTEXT) - 1, tag, strlen(tag));
	m = sc_secmem_alloc(mlen > 0 ? mlen : 1);
	if (m == NULL) {
		memset(out, 0, NS); /* callers treat a zero scalar as failure */
		return;
	}
	if (alen > 0)
		memcpy(m, a, alen);
	if (blen > 0)
		memcpy(m + alen, b, blen);
	if (sc_frost_k1_expand_message_xmd(u, sizeof(u), m, mlen, dst, dlen) != SC_OK)
		memset(u, 0, sizeof(u));
	sc_secmem_free(m);
	/* u (384 bits, big-endian) = hi * 2^256 + lo; mod n */
	memset(hi, 0, NS);
	memcpy(hi + 16, u, 16);
	memcpy(lo, u + 16, NS);
	reduce32(lo);
	k1_mul(hi, hi, two256_mod_n);
	k1_add(out, hi, lo);
	sodium_memzero(u, sizeof(u));
	sodium_memzero(hi, sizeof(hi));
	sodium_memzero(lo, sizeof(lo));
}

static void h_plain(uint8_t out[32], const char *tag, const uint8_t *m, size_t len)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)K1_CONTEXT, sizeof(K1_CONTEXT) - 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)tag, strlen(tag));
	crypto_hash_sha256_update(&st, m, len);
	crypto_hash_sha256_final(&st, out);
}

void sc_frost_k1_nonce_generate(uint8_t out[NS], const uint8_t rand32[32], const uint8_t secret[NS])
{
	h2f(out, "nonce", rand32, 32, secret, NS);
}

/* ---- points: 33-byte compressed SEC1, never the identity ---------------------- */

static int parse(secp256k1_pubkey *pk, const uint8_t p[NE])
{
	return secp256k1_ec_pubkey_parse(ctx(), pk, p, NE) ? SC_OK : SC_ERR_INVALID;
}

static void ser(uint8_t out[NE], const secp256k1_pubkey *pk)
{
	size_t len = NE;

	(void)secp256k1_ec_pubkey_serialize(ctx(), out, &len, pk, SECP256K1_EC_COMPRESSED);
}

int sc_frost_k1_point_valid(const uint8_t p[NE])
{
	secp256k1_pubkey pk;

	return ctx() != NULL && parse(&pk, p) == SC_OK;
}

int sc_frost_k1_mul_base(uint8_t out[NE], const uint8_t s[NS])
{
	secp256k1_pubkey pk;

	if (ctx() == NULL)
		return SC_ERR_CRYPTO;
	if (!secp256k1_ec_pubkey_create(ctx(), &pk, s))
		return SC_ERR_CRYPTO; /* zero or >= n: no serializable point */
	ser(out, &pk);
	return SC_OK;
}

static int k1_mul_point(secp256k1_pubkey *pk, const uint8_t s[NS])
{
	return secp256k1_ec_pubkey_tweak_mul(ctx(), pk, s) ? SC_OK : SC_ERR_CRYPTO;
}

static int combine(uint8_t out[NE], const secp256k1_pubkey *const *pts, size_t n)
{
	secp256k1_pubkey sum;

	if (!secp256k1_ec_pubkey_combine(ctx(), &sum, pts, n))
		return SC_ERR_CORRUPT; /* the identity */
	ser(out, &sum);
	return SC_OK;
}

/* ---- keys ---------------------------------------------------------------------- */

static void poly_eval(uint8_t out[NS], const uint8_t *c, size_t t, uint16_t x)
{
	uint8_t xs[NS], acc[NS] = {0};
	size_t j;

	k1_from_id(xs, x);
	for (j = t; j-- > 0;) {
		k1_mul(acc, acc, xs);
		k1_add(acc, acc, c + j * NS);
	}
	memcpy(out, acc, NS);
	sodium_memzero(acc, NS);
}

int sc_frost_k1_split_with(const uint8_t secret[NS], const uint8_t *coeffs, uint16_t min,
                           uint16_t max, uint8_t *shares, uint8_t *vss)
{
	uint8_t *poly;
	uint16_t i, j;
	int r = SC_OK;

	if (!sc_frost_params_valid(min, max) || ctx() == NULL)
		return SC_ERR_INVALID;
	if ((poly = sc_secmem_alloc((size_t)min * NS)) == NULL)
		return SC_ERR_NOMEM;
	memcpy(poly, secret, NS);
	memcpy(poly + NS, coeffs, (size_t)(min - 1) * NS);
	for (j = 0; j < min && r == SC_OK; j++)
		r = sc_frost_k1_mul_base(vss + (size_t)j * NE, poly + (size_t)j * NS);
	for (i = 1; i <= max && r == SC_OK; i++)
		poly_eval(shares + (size_t)(i - 1) * NS, poly, min, i);
	sc_secmem_free(poly);
	return r == SC_OK ? SC_OK : SC_ERR_INVALID;
}

int sc_frost_k1_vss_verify(uint16_t id, const uint8_t share[NS], const uint8_t *vss, uint16_t min)
{
	secp256k1_pubkey terms[SC_FROST_MAX_PARTICIPANTS];
	const secp256k1_pubkey *tp[SC_FROST_MAX_PARTICIPANTS];
	uint8_t pow[NS], xs[NS], want[NE], got[NE];
	uint16_t j;

	if (id == 0 || min < 2 || min > SC_FROST_MAX_PARTICIPANTS || ctx() == NULL)
		return SC_ERR_INVALID;
	k1_from_id(pow, 1);
	k1_from_id(xs, id);
	for (j = 0; j < min; j++) {
		if (parse(&terms[j], vss + (size_t)j * NE) != SC_OK ||
		    k1_mul_point(&terms[j], pow) != SC_OK)
			return SC_ERR_INVALID;
		tp[j] = &terms[j];
		k1_mul(pow, pow, xs);
	}
	if (combine(want, tp, min) != SC_OK || sc_frost_k1_mul_base(got, share) != SC_OK)
		return SC_ERR_CORRUPT;
	return memcmp(want, got, NE) == 0 ? SC_OK : SC_ERR_CORRUPT;
}

/* ---- signing --------------------------------------------------------------------- */

static int list_valid(const struct sc_frost_k1_commitment *c, size_t n)
{
	size_t i;

	if (n < 2 || n > SC_FROST_MAX_PARTICIPANTS)
		return 0;
	for (i = 0; i < n; i++)
		if (c[i].id == 0 || (i > 0 && c[i].id <= c[i - 1].id) ||
		    !sc_frost_k1_point_valid(c[i].hiding) || !sc_frost_k1_point_valid(c[i].binding))
			return 0;
	return 1;
}

int sc_frost_k1_binding_factor(const uint8_t gpk[NE], const struct sc_frost_k1_commitment *c,
                               size_t n, const uint8_t *msg, size_t msg_len, size_t i,
                               uint8_t input[SC_FROST_K1_RHO_INPUT_LEN], uint8_t bf[NS])
{
	uint8_t enc[SC_FROST_MAX_PARTICIPANTS * (NS + 2 * NE)], *p = enc;
	size_t k;

	if (!list_valid(c, n) || i >= n || !sc_frost_k1_point_valid(gpk))
		return SC_ERR_INVALID;
	for (k = 0; k < n; k++, p += NS + 2 * NE) {
		k1_from_id(p, c[k].id);
		memcpy(p + NS, c[k].hiding, NE);
		memcpy(p + NS + NE, c[k].binding, NE);
	}
	/* group key || H4(msg) || H5(encoded list) || SerializeScalar(id) */
	memcpy(input, gpk, NE);
	h_plain(input + NE, "msg", msg, msg_len);
	h_plain(input + NE + 32, "com", enc, (size_t)(p - enc));
	k1_from_id(input + NE + 64, c[i].id);
	h2f(bf, "rho", input, SC_FROST_K1_RHO_INPUT_LEN, NULL, 0);
	return SC_OK;
}

/* binding factors, group commitment and challenge */
static int k1_round(const uint8_t gpk[NE], const struct sc_frost_k1_commitment *c, size_t n,
                    const uint8_t *msg, size_t msg_len, uint8_t *bf, uint8_t gc[NE], uint8_t ch[NS])
{
	secp256k1_pubkey pts[2 * SC_FROST_MAX_PARTICIPANTS];
	const secp256k1_pubkey *pp[2 * SC_FROST_MAX_PARTICIPANTS];
	uint8_t in[SC_FROST_K1_RHO_INPUT_LEN];
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = sc_frost_k1_binding_factor(gpk, c, n, msg, msg_len, i, in, bf + i * NS)) !=
		    SC_OK)
			return r;
		if (parse(&pts[2 * i], c[i].hiding) != SC_OK ||
		    parse(&pts[2 * i + 1], c[i].binding) != SC_OK ||
		    k1_mul_point(&pts[2 * i + 1], bf + i * NS) != SC_OK)
			return SC_ERR_CRYPTO;
		pp[2 * i] = &pts[2 * i];
		pp[2 * i + 1] = &pts[2 * i + 1];
	}
	if ((r = combine(gc, pp, 2 * n)) != SC_OK)
		return r;
	{
		/* H2(group_comm_enc || group_public_key_enc || msg) */
		uint8_t *m = sc_secmem_alloc(2 * NE + msg_len + 1);

		if (m == NULL)
			return SC_ERR_NOMEM;
		memcpy(m, gc, NE);
		memcpy(m + NE, gpk, NE);
		if (msg_len > 0)
			memcpy(m + 2 * NE, msg, msg_len);
		h2f(ch, "chal", m, 2 * NE + msg_len, NULL, 0);
		sc_secmem_free(m);
	}
	return SC_OK;
}

static int k1_lagrange(uint8_t out[NS], const struct sc_frost_k1_commitment *c, size_t n,
                       uint16_t id)
{
	uint8_t num[NS], den[NS], xi[NS], xj[NS], d[NS];
	size_t j, found = 0;

	k1_from_id(num, 1);
	k1_from_id(den, 1);
	k1_from_id(xi, id);
	for (j = 0; j < n; j++) {
		if (c[j].id == id) {
			found++;
			continue;
		}
		k1_from_id(xj, c[j].id);
		k1_mul(num, num, xj);
		k1_neg(d, xi);
		k1_add(d, xj, d);
		k1_mul(den, den, d);
	}
	if (found != 1)
		return SC_ERR_INVALID;
	k1_inv(den, den);
	k1_mul(out, num, den);
	return SC_OK;
}

static size_t k1_find(const struct sc_frost_k1_commitment *c, size_t n, uint16_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].id == id)
			return i;
	return (size_t)-1;
}

int sc_frost_k1_sign(uint16_t id, const uint8_t sk[NS], const uint8_t gpk[NE],
                     const uint8_t hiding[NS], const uint8_t binding[NS], const uint8_t *msg,
                     size_t msg_len, const struct sc_frost_k1_commitment *c, size_t n,
                     uint8_t z[NS])
{
	uint8_t bf[SC_FROST_MAX_PARTICIPANTS * NS], gc[NE], ch[NS], *t;
	size_t me;
	int r;

	if (!list_valid(c, n) || (me = k1_find(c, n, id)) == (size_t)-1)
		return SC_ERR_INVALID;
	if ((r = k1_round(gpk, c, n, msg, msg_len, bf, gc, ch)) != SC_OK)
		return r;
	if ((t = sc_secmem_alloc(2 * NS)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = k1_lagrange(t, c, n, id)) == SC_OK) {
		/* z = hiding + binding * rho + lambda * sk * c */
		k1_mul(t, t, sk);
		k1_mul(t, t, ch);
		k1_mul(t + NS, binding, bf + me * NS);
		k1_add(t, t, t + NS);
		k1_add(z, hiding, t);
	}
	sc_secmem_free(t);
	return r;
}

int sc_frost_k1_verify_share(uint16_t id, const uint8_t pk_i[NE], const uint8_t gpk[NE],
                             const uint8_t *msg, size_t msg_len,
                             const struct sc_frost_k1_commitment *c, size_t n, const uint8_t z[NS])
{
	uint8_t bf[SC_FROST_MAX_PARTICIPANTS * NS], gc[NE], ch[NS], lam[NS], l[NE], rr[NE];
	secp256k1_pubkey pts[3];
	const secp256k1_pubkey *pp[3] = {&pts[0], &pts[1], &pts[2]};
	size_t i;
	int r;

	if (!list_valid(c, n) || (i = k1_find(c, n, id)) == (size_t)-1 ||
	    !sc_frost_k1_scalar_canonical(z))
		return SC_ERR_INVALID;
	if ((r = k1_round(gpk, c, n, msg, msg_len, bf, gc, ch)) != SC_OK ||
	    (r = k1_lagrange(lam, c, n, id)) != SC_OK)
		return r;
	k1_mul(lam, lam, ch);
	/* l = z * G; r = hiding + binding * rho + PK_i * c * lambda */
	if (parse(&pts[0], c[i].hiding) != SC_OK || parse(&pts[1], c[i].binding) != SC_OK ||
	    parse(&pts[2], pk_i) != SC_OK || k1_mul_point(&pts[1], bf + i * NS) != SC_OK ||
	    k1_mul_point(&pts[2], lam) != SC_OK)
		return SC_ERR_INVALID;
	if (combine(rr, pp, 3) != SC_OK || sc_frost_k1_mul_base(l, z) != SC_OK)
		return SC_ERR_CORRUPT;
	return memcmp(l, rr, NE) == 0 ? SC_OK : SC_ERR_CORRUPT;
}

int sc_frost_k1_verify(const uint8_t gpk[NE], const uint8_t *msg, size_t msg_len,
                       const uint8_t sig[SC_FROST_K1_SIG_LEN])
{
	uint8_t ch[NS], l[NE], rr[NE], *m;
	secp256k1_pubkey pts[2];
	const secp256k1_pubkey *pp[2] = {&pts[0], &pts[1]};

	/* prime-order verify: z * G == R + c * PK, c = H2(R || PK || msg) */
	if (!sc_frost_k1_scalar_canonical(sig + NE) || parse(&pts[0], sig) != SC_OK ||
	    parse(&pts[1], gpk) != SC_OK)
		return SC_ERR_CORRUPT;
	if ((m = sc_secmem_alloc(2 * NE + msg_len + 1)) == NULL)
		return SC_ERR_NOMEM;
	memcpy(m, sig, NE);
	memcpy(m + NE, gpk, NE);
	if (msg_len > 0)
		memcpy(m + 2 * NE, msg, msg_len);
	h2f(ch, "chal", m, 2 * NE + msg_len, NULL, 0);
	sc_secmem_free(m);
	if (sodium_is_zero(ch, NS) || k1_mul_point(&pts[1], ch) != SC_OK ||
	    combine(rr, pp, 2) != SC_OK || sc_frost_k1_mul_base(l, sig + NE) != SC_OK)
		return SC_ERR_CORRUPT;
	return memcmp(l, rr, NE) == 0 ? SC_OK : SC_ERR_CORRUPT;
}

int sc_frost_k1_aggregate(const uint8_t gpk[NE], const uint8_t *msg, size_t msg_len,
                          const struct sc_frost_k1_commitment *c, size_t n, const uint8_t *zs,
                          uint8_t sig[SC_FROST_K1_SIG_LEN])
{
	uint8_t bf[SC_FROST_MAX_PARTICIPANTS * NS], ch[NS], z[NS] = {0};
	size_t i;
	int r;

	if (!list_valid(c, n))
		return SC_ERR_INVALID;
	for (i = 0; i < n; i++)
		if (!sc_frost_k1_scalar_canonical(zs + i * NS))
			return SC_ERR_CORRUPT;
	if ((r = k1_round(gpk, c, n, msg, msg_len, bf, sig, ch)) != SC_OK)
		return r;
	for (i = 0; i < n; i++)
		k1_add(z, z, zs + i * NS);
	memcpy(sig + NE, z, NS);
	return sc_frost_k1_verify(gpk, msg, msg_len, sig);
}
