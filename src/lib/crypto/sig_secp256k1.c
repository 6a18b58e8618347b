/* sig_secp256k1.c - secp256k1 through libsecp256k1: ECDSA over SHA-256 with
 * low-S signatures (RFC 6979 nonces; high-S refused on verify, as Bitcoin
 * does), DER or compact r || s, and BIP-340 Schnorr with x-only keys. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "secretctl/secretctl.h"
#include "crypto/sig_int.h"

#define K1_PUB_LEN 33
#define K1_SIG_LEN 64

/* A context per operation: cheap since libsecp256k1 0.2 (static tables),
 * thread-safe without locks, and blinded with fresh randomness each time. */
static secp256k1_context *ctx_new(void)
{
	uint8_t seed[32];
	secp256k1_context *ctx;

	ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (ctx == NULL)
		return NULL;
	sc_random(seed, sizeof(seed));
	if (secp256k1_context_randomize(ctx, seed) != 1) {
		secp256k1_context_destroy(ctx);
		ctx = NULL;
	}
	sc_wipe(seed, sizeof(seed));
	return ctx;
}

static int k1_generate(uint8_t priv[SC_SIG_PRIV_LEN])
{
	int tries;

	for (tries = 0; tries < 64; tries++) {
		sc_random(priv, SC_SIG_PRIV_LEN);
		if (secp256k1_ec_seckey_verify(secp256k1_context_static, priv) == 1)
			return SC_OK;
	}
	return SC_ERR_CRYPTO;
}

static int k1_load(struct sc_sig_key *k)
{
	secp256k1_context *ctx;
	secp256k1_pubkey pk;
	size_t n = K1_PUB_LEN;
	int r = SC_ERR_CRYPTO;

	if (secp256k1_ec_seckey_verify(secp256k1_context_static, k->priv) != 1)
		return SC_ERR_INVALID;
	ctx = ctx_new();
	if (ctx == NULL)
		return SC_ERR_CRYPTO;
	if (secp256k1_ec_pubkey_create(ctx, &pk, k->priv) == 1 &&
	    secp256k1_ec_pubkey_serialize(ctx, k->pub, &n, &pk, SECP256K1_EC_COMPRESSED) == 1 &&
	    n == K1_PUB_LEN) {
		k->pub_len = K1_PUB_LEN;
		r = SC_OK;
	}
	secp256k1_context_destroy(ctx);
	return r;
}

static int sign_ecdsa(secp256k1_context *ctx, const struct sc_sig_key *k,
                      const struct sc_sig_opts *o, const uint8_t *msg, size_t msg_len, uint8_t *sig,
                      size_t *sig_len)
{
	uint8_t dgst[SC_SIG_DIGEST_LEN];
	secp256k1_ecdsa_signature es;
	size_t n = SC_SIG_MAX;
	int r;

	if ((r = sc_sig_digest(o, msg, msg_len, dgst)) != SC_OK)
		return r;
	r = SC_ERR_CRYPTO;
	if (secp256k1_ecdsa_sign(ctx, &es, dgst, k->priv, NULL, NULL) != 1)
		goto out;
	/* the library already makes low-S signatures; normalise regardless */
	(void)secp256k1_ecdsa_signature_normalize(ctx, &es, &es);
	if (o->format == SC_SIG_FMT_RAW) {
		if (secp256k1_ecdsa_signature_serialize_compact(ctx, sig, &es) != 1)
			goto out;
		*sig_len = K1_SIG_LEN;
	} else {
		if (secp256k1_ecdsa_signature_serialize_der(ctx, sig, &n, &es) != 1)
			goto out;
		*sig_len = n;
	}
	r = SC_OK;
out:
	sc_wipe(dgst, sizeof(dgst));
	return r;
}

static int sign_bip340(secp256k1_context *ctx, const struct sc_sig_key *k,
                       const struct sc_sig_opts *o, const uint8_t *msg, size_t msg_len,
                       uint8_t *sig, size_t *sig_len)
{
	secp256k1_schnorrsig_extraparams ep = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
	secp256k1_keypair *kp;
	secp256k1_xonly_pubkey xpk;
	uint8_t aux[32];
	int r = SC_ERR_CRYPTO;

	if (o->prehashed && msg_len != SC_SIG_DIGEST_LEN) {
		sc_set_error("a prehashed message must be a 32-byte SHA-256 digest");
		return SC_ERR_INVALID;
	}
	kp = sc_secmem_alloc(sizeof(*kp));
	if (kp == NULL)
		return SC_ERR_NOMEM;
	if (o->aux_rand != NULL)
		memcpy(aux, o->aux_rand, sizeof(aux));
	else
		sc_random(aux, sizeof(aux));
	ep.ndata = aux;
	if (secp256k1_keypair_create(ctx, kp, k->priv) != 1 ||
	    secp256k1_schnorrsig_sign_custom(ctx, sig, msg, msg_len, kp, &ep) != 1 ||
	    secp256k1_keypair_xonly_pub(ctx, &xpk, NULL, kp) != 1)
		goto out;
	/* BIP-340 "Default Signing": verify before handing the signature out */
	if (secp256k1_schnorrsig_verify(ctx, sig, msg, msg_len, &xpk) != 1)
		goto out;
	*sig_len = K1_SIG_LEN;
	r = SC_OK;
out:
	if (r != SC_OK)
		sc_wipe(sig, K1_SIG_LEN);
	sc_wipe(aux, sizeof(aux));
	sc_secmem_free(kp);
	return r;
}

static int k1_sign(const struct sc_sig_key *k, const struct sc_sig_opts *o, const uint8_t *msg,
                   size_t msg_len, uint8_t *sig, size_t *sig_len)
{
	secp256k1_context *ctx;
	int r;

	if (o->scheme != SC_SIG_SCHEME_ECDSA && o->scheme != SC_SIG_SCHEME_BIP340) {
		sc_set_error("secp256k1 signs with ECDSA or BIP-340 Schnorr");
		return SC_ERR_INVALID;
	}
	ctx = ctx_new();
	if (ctx == NULL)
		return SC_ERR_CRYPTO;
	if (o->scheme == SC_SIG_SCHEME_ECDSA)
		r = sign_ecdsa(ctx, k, o, msg, msg_len, sig, sig_len);
	else
		r = sign_bip340(ctx, k, o, msg, msg_len, sig, sig_len);
	secp256k1_context_destroy(ctx);
	return r;
}

static int verify_ecdsa(const struct sc_sig_opts *o, const uint8_t *pub, size_t pub_len,
                        const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	const secp256k1_context *ctx = secp256k1_context_static;
	uint8_t dgst[SC_SIG_DIGEST_LEN], again[SC_SIG_MAX];
	secp256k1_ecdsa_signature es;
	secp256k1_pubkey pk;
	size_t n = sizeof(again);
	int r;

	if ((pub_len != 33 && pub_len != 65) ||
	    secp256k1_ec_pubkey_parse(ctx, &pk, pub, pub_len) != 1)
		return SC_ERR_INVALID;
	if ((r = sc_sig_digest(o, msg, msg_len, dgst)) != SC_OK)
		return r;
	if (o->format == SC_SIG_FMT_RAW) {
		if (sig_len != K1_SIG_LEN ||
		    secp256k1_ecdsa_signature_parse_compact(ctx, &es, sig) != 1)
			return SC_ERR_CORRUPT;
	} else {
		if (secp256k1_ecdsa_signature_parse_der(ctx, &es, sig, sig_len) != 1)
			return SC_ERR_CORRUPT;
		/* only the one canonical encoding (no BER, no padding) */
		if (secp256k1_ecdsa_signature_serialize_der(ctx, again, &n, &es) != 1 ||
		    n != sig_len || memcmp(again, sig, n) != 0)
			return SC_ERR_CORRUPT;
	}
	/* refuses high-S: a signature has exactly one valid form */
	return secp256k1_ecdsa_verify(ctx, &es, dgst, &pk) == 1 ? SC_OK : SC_ERR_CORRUPT;
}

static int verify_bip340(const struct sc_sig_opts *o, const uint8_t *pub, size_t pub_len,
                         const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	const secp256k1_context *ctx = secp256k1_context_static;
	secp256k1_xonly_pubkey xpk;
	secp256k1_pubkey pk;

	if (pub_len == 32) {
		if (secp256k1_xonly_pubkey_parse(ctx, &xpk, pub) != 1)
			return SC_ERR_INVALID;
	} else if (pub_len == K1_PUB_LEN) {
		if (secp256k1_ec_pubkey_parse(ctx, &pk, pub, pub_len) != 1 ||
		    secp256k1_xonly_pubkey_from_pubkey(ctx, &xpk, NULL, &pk) != 1)
			return SC_ERR_INVALID;
	} else {
		return SC_ERR_INVALID;
	}
	if (o->prehashed && msg_len != SC_SIG_DIGEST_LEN)
		return SC_ERR_INVALID;
	if (sig_len != K1_SIG_LEN)
		return SC_ERR_CORRUPT;
	return secp256k1_schnorrsig_verify(ctx, sig, msg, msg_len, &xpk) == 1 ? SC_OK
	                                                                      : SC_ERR_CORRUPT;
}

static int k1_verify(const struct sc_sig_opts *o, const uint8_t *pub, size_t pub_len,
                     const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	if (o->scheme == SC_SIG_SCHEME_ECDSA)
		return verify_ecdsa(o, pub, pub_len, msg, msg_len, sig, sig_len);
	if (o->scheme == SC_SIG_SCHEME_BIP340)
		return verify_bip340(o, pub, pub_len, msg, msg_len, sig, sig_len);
	return SC_ERR_INVALID;
}

/* SubjectPublicKeyInfo for secp256k1 (id-ecPublicKey, OID 1.3.132.0.10). */
static int k1_pub_pkey(const uint8_t *pub, size_t pub_len, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	secp256k1_pubkey pk;
	int r = SC_ERR_CRYPTO;

	*out = NULL;
	if ((pub_len != 33 && pub_len != 65) ||
	    secp256k1_ec_pubkey_parse(secp256k1_context_static, &pk, pub, pub_len) != 1)
		return SC_ERR_INVALID;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) != 1)
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	r = SC_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

const struct sc_sig_impl sc_sig_impl_secp256k1 = {
    .alg = SC_SIG_SECP256K1,
    .name = "secp256k1",
    .default_scheme = SC_SIG_SCHEME_ECDSA,
    .generate = k1_generate,
    .load = k1_load,
    .sign = k1_sign,
    .verify = k1_verify,
    .pub_pkey = k1_pub_pkey,
    .pub_ssh = NULL,
};
