/* crypto.c - AES-256-GCM and HKDF (OpenSSL), Argon2id, HMAC-SHA-256 and
 * random bytes (libsodium). */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <sodium.h>

#include "secretctl/secretctl.h"

void sc_random(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

static int gcm(int enc, const uint8_t key[SC_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
	       const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *out,
	       uint8_t tag[SC_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx;
	int r = SC_ERR_CRYPTO, n, ivlen = (int)nonce_len;

	if (in_len > (size_t)INT32_MAX || aad_len > (size_t)INT32_MAX || nonce_len == 0 ||
	    nonce_len > 64)
		return SC_ERR_TOOBIG;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return SC_ERR_NOMEM;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, ivlen, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
		goto out;
	if (aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
		goto out;
	if (in_len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SC_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + in_len, &n) != 1) {
		/* on decryption, a bad tag: wipe whatever was produced */
		if (!enc)
			sc_wipe(out, in_len);
		r = enc ? SC_ERR_CRYPTO : SC_ERR_CORRUPT;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SC_TAG_LEN, tag) != 1)
		goto out;
	r = SC_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int sc_aes_gcm_encrypt(const uint8_t key[SC_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
		       const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
		       uint8_t *ct, uint8_t tag[SC_TAG_LEN])
{
	return gcm(1, key, nonce, nonce_len, aad, aad_len, pt, pt_len, ct, tag);
}

int sc_aes_gcm_decrypt(const uint8_t key[SC_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
		       const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
		       const uint8_t tag[SC_TAG_LEN], uint8_t *pt)
{
	uint8_t t[SC_TAG_LEN];

	memcpy(t, tag, SC_TAG_LEN);
	return gcm(0, key, nonce, nonce_len, aad, aad_len, ct, ct_len, pt, t);
}

int sc_seal(const uint8_t key[SC_KEY_LEN], const uint8_t *aad, size_t aad_len, const uint8_t *pt,
	    size_t pt_len, uint8_t *out)
{
	sc_random(out, SC_NONCE_LEN);
	return sc_aes_gcm_encrypt(key, out, SC_NONCE_LEN, aad, aad_len, pt, pt_len,
				  out + SC_NONCE_LEN, out + SC_NONCE_LEN + pt_len);
}

int sc_open(const uint8_t key[SC_KEY_LEN], const uint8_t *aad, size_t aad_len,
	    const uint8_t *sealed, size_t sealed_len, uint8_t *pt)
{
	size_t n;

	if (sealed_len < SC_SEAL_OVERHEAD)
		return SC_ERR_CORRUPT;
	n = sealed_len - SC_SEAL_OVERHEAD;
	return sc_aes_gcm_decrypt(key, sealed, SC_NONCE_LEN, aad, aad_len, sealed + SC_NONCE_LEN, n,
				  sealed + SC_NONCE_LEN + n, pt);
}

int sc_argon2id(const char *pw, size_t pw_len, const uint8_t salt[SC_SALT_LEN], uint32_t mem_kib,
		uint32_t t, uint8_t *out, size_t out_len)
{
	if (mem_kib < 8 || t < 1 || out_len < 16)
		return SC_ERR_INVALID;
	if ((unsigned long long)mem_kib * 1024ULL > crypto_pwhash_argon2id_MEMLIMIT_MAX ||
	    t > crypto_pwhash_argon2id_OPSLIMIT_MAX)
		return SC_ERR_INVALID;
	if (crypto_pwhash_argon2id(out, out_len, pw, pw_len, salt, t, (size_t)mem_kib * 1024,
				   crypto_pwhash_argon2id_ALG_ARGON2ID13) != 0)
		return SC_ERR_NOMEM; /* libsodium fails only when it cannot allocate */
	return SC_OK;
}

int sc_hkdf(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
	    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[5], *p = params;
	int r = SC_ERR_CRYPTO;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return SC_ERR_CRYPTO;
	if ((ctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
	if (salt != NULL)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
							 salt_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, params) == 1)
		r = SC_OK;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

int sc_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
		   uint8_t out[SC_MAC_LEN])
{
	crypto_auth_hmacsha256_state st;

	/* libsodium's HMAC: no algorithm fetch per call (OpenSSL's one-shot HMAC
	 * costs ~20k instructions a name, which a 100k-name walk feels). */
	if (crypto_auth_hmacsha256_init(&st, key, key_len) != 0 ||
	    crypto_auth_hmacsha256_update(&st, msg, msg_len) != 0 ||
	    crypto_auth_hmacsha256_final(&st, out) != 0) {
		sodium_memzero(&st, sizeof(st));
		return SC_ERR_CRYPTO;
	}
	sodium_memzero(&st, sizeof(st));
	return SC_OK;
}
