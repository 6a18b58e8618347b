/* crypto.c - AES-256-GCM and HKDF (OpenSSL), Argon2id, HMAC-SHA-256 and
 * random bytes (libsodium). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
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

/*
 * The algorithms are fetched from OpenSSL's provider once per process: the
 * legacy EVP_aes_256_gcm() path looks the name up again on every call, which
 * a walk over 100k records feels.
 */
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *aes_gcm;
static EVP_MAC *hmac;

static void fetch_algs(void)
{
	aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static const EVP_CIPHER *gcm_cipher(void)
{
	if (pthread_once(&fetch_once, fetch_algs) != 0)
		return NULL;
	return aes_gcm;
}

/* One AES-256-GCM operation on ctx, keyed already or keyed here. */
static int gcm_run(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *key, const uint8_t *nonce,
                   size_t nonce_len, const uint8_t *aad, size_t aad_len, const uint8_t *in,
                   size_t in_len, uint8_t *out, uint8_t tag[SC_TAG_LEN])
{
	int n;

	if (in_len > (size_t)INT32_MAX || aad_len > (size_t)INT32_MAX || nonce_len == 0 ||
	    nonce_len > 64)
		return SC_ERR_TOOBIG;
	/* 12 bytes is GCM's default nonce length: set only another one */
	if ((nonce_len != 12 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)nonce_len, NULL) != 1) ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
		return SC_ERR_CRYPTO;
	if (aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
		return SC_ERR_CRYPTO;
	if (in_len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) != 1)
		return SC_ERR_CRYPTO;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SC_TAG_LEN, tag) != 1)
		return SC_ERR_CRYPTO;
	if (EVP_CipherFinal_ex(ctx, out + in_len, &n) != 1) {
		/* on decryption, a bad tag: wipe whatever was produced */
		if (!enc)
			sc_wipe(out, in_len);
		return enc ? SC_ERR_CRYPTO : SC_ERR_CORRUPT;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SC_TAG_LEN, tag) != 1)
		return SC_ERR_CRYPTO;
	return SC_OK;
}

static int gcm(int enc, const uint8_t key[SC_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
               const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *out,
               uint8_t tag[SC_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx;
	const EVP_CIPHER *c;
	int r = SC_ERR_CRYPTO;

	if ((c = gcm_cipher()) == NULL)
		return SC_ERR_CRYPTO;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return SC_ERR_NOMEM;
	if (EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, enc) == 1)
		r = gcm_run(ctx, enc, key, nonce, nonce_len, aad, aad_len, in, in_len, out, tag);
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

/*
 * Where the CPU has AES-NI and PCLMUL, libsodium's AES-256-GCM with its
 * precomputed key schedule and GHASH table opens a small record in a
 * fraction of what OpenSSL's EVP layer costs a call; elsewhere (and when a
 * test asks), OpenSSL's context, keyed once. Same format either way:
 * nonce || ciphertext || tag.
 */
static int portable_only;

void sc_crypto_set_portable(int on)
{
	portable_only = on;
}

struct sc_gcm_key {
	EVP_CIPHER_CTX *ctx;
	crypto_aead_aes256gcm_state *st; /* inside st_mem, 16-byte aligned */
	void *st_mem;                    /* secmem */
};

int sc_gcm_key_new(const uint8_t key[SC_KEY_LEN], struct sc_gcm_key **out)
{
	struct sc_gcm_key *k;
	const EVP_CIPHER *c;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return SC_ERR_NOMEM;
	if (!portable_only && crypto_aead_aes256gcm_is_available()) {
		uintptr_t a;

		if ((k->st_mem = sc_secmem_alloc(sizeof(*k->st) + 16)) == NULL) {
			free(k);
			return SC_ERR_NOMEM;
		}
		a = ((uintptr_t)k->st_mem + 15) & ~(uintptr_t)15;
		k->st = (crypto_aead_aes256gcm_state *)a;
		if (crypto_aead_aes256gcm_beforenm(k->st, key) != 0) {
			sc_gcm_key_free(k);
			return SC_ERR_CRYPTO;
		}
		*out = k;
		return SC_OK;
	}
	if ((c = gcm_cipher()) == NULL || (k->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(k);
		return c == NULL ? SC_ERR_CRYPTO : SC_ERR_NOMEM;
	}
	if (EVP_CipherInit_ex(k->ctx, c, NULL, key, NULL, 0) != 1) {
		sc_gcm_key_free(k);
		return SC_ERR_CRYPTO;
	}
	*out = k;
	return SC_OK;
}

int sc_gcm_key_open(struct sc_gcm_key *k, const uint8_t *aad, size_t aad_len, const uint8_t *sealed,
                    size_t sealed_len, uint8_t *pt)
{
	uint8_t tag[SC_TAG_LEN];
	size_t n;

	if (sealed_len < SC_SEAL_OVERHEAD)
		return SC_ERR_CORRUPT;
	n = sealed_len - SC_SEAL_OVERHEAD;
	if (k->st != NULL) {
		if (crypto_aead_aes256gcm_decrypt_detached_afternm(
		        pt, NULL, sealed + SC_NONCE_LEN, n, sealed + SC_NONCE_LEN + n, aad, aad_len,
		        sealed, k->st) != 0) {
			sc_wipe(pt, n); /* release nothing of a forged record */
			return SC_ERR_CORRUPT;
		}
		return SC_OK;
	}
	memcpy(tag, sealed + SC_NONCE_LEN + n, SC_TAG_LEN);
	/* a NULL key keeps the schedule; the nonce restarts the operation */
	return gcm_run(k->ctx, 0, NULL, sealed, SC_NONCE_LEN, aad, aad_len, sealed + SC_NONCE_LEN,
	               n, pt, tag);
}

void sc_gcm_key_free(struct sc_gcm_key *k)
{
	if (k == NULL)
		return;
	EVP_CIPHER_CTX_free(k->ctx); /* cleanses the key schedule */
	sc_secmem_free(k->st_mem);   /* wipes libsodium's */
	free(k);
}

struct sc_mac_key {
	EVP_MAC_CTX *ctx;
};

int sc_mac_key_new(const uint8_t *key, size_t key_len, struct sc_mac_key **out)
{
	struct sc_mac_key *k;
	OSSL_PARAM params[2];

	*out = NULL;
	if (pthread_once(&fetch_once, fetch_algs) != 0 || hmac == NULL)
		return SC_ERR_CRYPTO;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return SC_ERR_NOMEM;
	if ((k->ctx = EVP_MAC_CTX_new(hmac)) == NULL) {
		free(k);
		return SC_ERR_NOMEM;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(k->ctx, key, key_len, params) != 1) {
		sc_mac_key_free(k);
		return SC_ERR_CRYPTO;
	}
	*out = k;
	return SC_OK;
}

int sc_mac_key_mac(struct sc_mac_key *k, const uint8_t *msg, size_t msg_len,
                   uint8_t out[SC_MAC_LEN])
{
	size_t n = 0;

	/* a NULL key restarts from the pads computed at sc_mac_key_new() */
	if (EVP_MAC_init(k->ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(k->ctx, msg, msg_len) != 1 ||
	    EVP_MAC_final(k->ctx, out, &n, SC_MAC_LEN) != 1 || n != SC_MAC_LEN)
		return SC_ERR_CRYPTO;
	return SC_OK;
}

void sc_mac_key_free(struct sc_mac_key *k)
{
	if (k == NULL)
		return;
	EVP_MAC_CTX_free(k->ctx); /* cleanses the pads */
	free(k);
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
		*p++ =
		    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
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
