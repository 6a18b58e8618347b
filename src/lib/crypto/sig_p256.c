/* sig_p256.c - ECDSA over NIST P-256 with SHA-256 through OpenSSL 3 (EVP):
 * signatures in canonical DER or raw r || s; the private scalar in secmem,
 * handed to OpenSSL only for the length of one signature. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "secretctl/secretctl.h"
#include "crypto/sig_int.h"

#define P256_PUB_LEN 65
#define P256_RAW_SIG_LEN 64

/* the order n of the P-256 group (FIPS 186-4 D.1.2.3) */
static const uint8_t p256_n[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                   0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

static int p256_generate(uint8_t priv[SC_SIG_PRIV_LEN])
{
	int tries;

	/* rejection sampling: uniform in [1, n-1]; n is close to 2^256 */
	for (tries = 0; tries < 64; tries++) {
		sc_random(priv, SC_SIG_PRIV_LEN);
		if (sc_sig_scalar_ok(priv, p256_n))
			return SC_OK;
	}
	return SC_ERR_CRYPTO;
}

static int p256_load(struct sc_sig_key *k)
{
	EC_GROUP *group = NULL;
	EC_POINT *point = NULL;
	BIGNUM *d = NULL;
	int r = SC_ERR_CRYPTO;

	if (!sc_sig_scalar_ok(k->priv, p256_n))
		return SC_ERR_INVALID;
	group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	d = BN_secure_new();
	if (group == NULL || d == NULL || BN_bin2bn(k->priv, SC_SIG_PRIV_LEN, d) == NULL)
		goto out;
	BN_set_flags(d, BN_FLG_CONSTTIME);
	point = EC_POINT_new(group);
	if (point == NULL || EC_POINT_mul(group, point, d, NULL, NULL, NULL) != 1 ||
	    EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, k->pub, P256_PUB_LEN,
	                       NULL) != P256_PUB_LEN)
		goto out;
	k->pub_len = P256_PUB_LEN;
	r = SC_OK;
out:
	EC_POINT_free(point);
	BN_clear_free(d);
	EC_GROUP_free(group);
	return r;
}

/* An OpenSSL key: public only (priv NULL) or the key pair. pub is SEC1,
 * compressed or not; OpenSSL refuses a point off the curve. */
static int make_pkey(const uint8_t *pub, size_t pub_len, const uint8_t *priv, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *d = NULL;
	int r = SC_ERR_CRYPTO;

	*out = NULL;
	if (pub_len != P256_PUB_LEN && pub_len != 33)
		return SC_ERR_INVALID;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
	        1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) != 1)
		goto out;
	if (priv != NULL) {
		d = BN_secure_new();
		if (d == NULL || BN_bin2bn(priv, SC_SIG_PRIV_LEN, d) == NULL ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1)
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1)
		goto out;
	if (EVP_PKEY_fromdata(ctx, out, priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
	                      params) != 1) {
		r = SC_ERR_INVALID;
		goto out;
	}
	r = SC_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	/* the scalar went to the builder's secure block (BN_secure_new), which
	 * OSSL_PARAM_free clears */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return r;
}

static int p256_sign(const struct sc_sig_key *k, const struct sc_sig_opts *o, const uint8_t *msg,
                     size_t msg_len, uint8_t *sig, size_t *sig_len)
{
	uint8_t dgst[SC_SIG_DIGEST_LEN], der[SC_SIG_MAX];
	const unsigned char *p;
	const BIGNUM *br, *bs;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	size_t der_len = sizeof(der);
	int r;

	if (o->scheme != SC_SIG_SCHEME_ECDSA) {
		sc_set_error("ecdsa-p256 signs with ECDSA only");
		return SC_ERR_INVALID;
	}
	if ((r = sc_sig_digest(o, msg, msg_len, dgst)) != SC_OK)
		return r;
	if ((r = make_pkey(k->pub, k->pub_len, k->priv, &pkey)) != SC_OK)
		return r == SC_ERR_INVALID ? SC_ERR_CRYPTO : r;
	r = SC_ERR_CRYPTO;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_sign(ctx, der, &der_len, dgst, sizeof(dgst)) != 1)
		goto out;
	if (o->format == SC_SIG_FMT_DER) {
		memcpy(sig, der, der_len);
		*sig_len = der_len;
		r = SC_OK;
		goto out;
	}
	p = der;
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (es == NULL)
		goto out;
	ECDSA_SIG_get0(es, &br, &bs);
	if (BN_bn2binpad(br, sig, 32) != 32 || BN_bn2binpad(bs, sig + 32, 32) != 32)
		goto out;
	*sig_len = P256_RAW_SIG_LEN;
	r = SC_OK;
out:
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey); /* frees the scalar with BN_clear_free */
	sc_wipe(dgst, sizeof(dgst));
	return r;
}

/* r || s -> DER, so one verify path (OpenSSL's) checks both forms. */
static int raw_to_der(const uint8_t *sig, size_t sig_len, uint8_t *der, size_t *der_len)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *p = der;
	int n, r = SC_ERR_CRYPTO;

	if (sig_len != P256_RAW_SIG_LEN)
		return SC_ERR_CORRUPT;
	es = ECDSA_SIG_new();
	br = BN_bin2bn(sig, 32, NULL);
	bs = BN_bin2bn(sig + 32, 32, NULL);
	if (es == NULL || br == NULL || bs == NULL || ECDSA_SIG_set0(es, br, bs) != 1)
		goto out;
	br = bs = NULL;
	n = i2d_ECDSA_SIG(es, NULL);
	if (n <= 0 || (size_t)n > *der_len)
		goto out;
	n = i2d_ECDSA_SIG(es, &p);
	if (n <= 0)
		goto out;
	*der_len = (size_t)n;
	r = SC_OK;
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return r;
}

static int p256_verify(const struct sc_sig_opts *o, const uint8_t *pub, size_t pub_len,
                       const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	uint8_t dgst[SC_SIG_DIGEST_LEN], der[SC_SIG_MAX + 8];
	size_t der_len = sizeof(der);
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r, v;

	if (o->scheme != SC_SIG_SCHEME_ECDSA)
		return SC_ERR_INVALID;
	if ((r = sc_sig_digest(o, msg, msg_len, dgst)) != SC_OK)
		return r;
	if (o->format == SC_SIG_FMT_RAW) {
		if ((r = raw_to_der(sig, sig_len, der, &der_len)) != SC_OK)
			return r;
		sig = der;
		sig_len = der_len;
	}
	if ((r = make_pkey(pub, pub_len, NULL, &pkey)) != SC_OK)
		return r;
	r = SC_ERR_CRYPTO;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1)
		goto out;
	/* OpenSSL re-encodes the parsed signature and compares: BER, trailing
	 * bytes and r, s outside [1, n-1] all fail here. */
	v = EVP_PKEY_verify(ctx, sig, sig_len, dgst, sizeof(dgst));
	r = v == 1 ? SC_OK : SC_ERR_CORRUPT;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return r;
}

static int p256_pub_pkey(const uint8_t *pub, size_t pub_len, EVP_PKEY **out)
{
	return make_pkey(pub, pub_len, NULL, out);
}

static int p256_pub_ssh(const uint8_t *pub, size_t pub_len, struct sc_buf *b, const char **type)
{
	static const char name[] = "ecdsa-sha2-nistp256", curve[] = "nistp256";

	/* RFC 5656: the point is sent uncompressed */
	if (pub_len != P256_PUB_LEN || pub[0] != 0x04)
		return SC_ERR_INVALID;
	(void)sc_sig_ssh_put(b, name, sizeof(name) - 1);
	(void)sc_sig_ssh_put(b, curve, sizeof(curve) - 1);
	(void)sc_sig_ssh_put(b, pub, pub_len);
	*type = name;
	return sc_buf_status(b);
}

const struct sc_sig_impl sc_sig_impl_p256 = {
    .alg = SC_SIG_P256,
    .name = "ecdsa-p256",
    .default_scheme = SC_SIG_SCHEME_ECDSA,
    .generate = p256_generate,
    .load = p256_load,
    .sign = p256_sign,
    .verify = p256_verify,
    .pub_pkey = p256_pub_pkey,
    .pub_ssh = p256_pub_ssh,
};
