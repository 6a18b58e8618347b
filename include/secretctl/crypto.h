/* crypto.h - AES-256-GCM, HKDF, HMAC-SHA-256, Argon2id and random bytes
 * (crypto/). */
#ifndef SECRETCTL_CRYPTO_H
#define SECRETCTL_CRYPTO_H

#include "secretctl/status.h"

/* ---- crypto (crypto.c) -------------------------------------------------- */

#define SC_KEY_LEN 32
#define SC_NONCE_LEN 12
#define SC_TAG_LEN 16
#define SC_SEAL_OVERHEAD (SC_NONCE_LEN + SC_TAG_LEN)
#define SC_SALT_LEN 16
#define SC_MAC_LEN 32

void sc_random(void *buf, size_t n);
/* AES-256-GCM with an explicit nonce (used for known-answer tests). */
int sc_aes_gcm_encrypt(const uint8_t key[SC_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
                       const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
                       uint8_t *ct, uint8_t tag[SC_TAG_LEN]) SC_WUR;
int sc_aes_gcm_decrypt(const uint8_t key[SC_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
                       const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
                       const uint8_t tag[SC_TAG_LEN], uint8_t *pt) SC_WUR;
/* Seal: out = nonce(12, random) || ciphertext || tag(16); out must hold
 * pt_len + SC_SEAL_OVERHEAD bytes. Open: the reverse; pt holds
 * sealed_len - SC_SEAL_OVERHEAD bytes. Open fails with SC_ERR_CORRUPT. */
int sc_seal(const uint8_t key[SC_KEY_LEN], const uint8_t *aad, size_t aad_len, const uint8_t *pt,
            size_t pt_len, uint8_t *out) SC_WUR;
int sc_open(const uint8_t key[SC_KEY_LEN], const uint8_t *aad, size_t aad_len,
            const uint8_t *sealed, size_t sealed_len, uint8_t *pt) SC_WUR;
/*
 * A key kept keyed in OpenSSL's contexts for many operations in a row (a walk
 * over every record): the AES key schedule and the HMAC pads are computed once.
 * The contexts live in OpenSSL's heap, so hold them only for the length of
 * such a loop; freeing cleanses them. sc_gcm_key_open() is sc_open();
 * sc_mac_key_mac() is HMAC-SHA-256 under the key given to sc_mac_key_new().
 */
struct sc_gcm_key;
int sc_gcm_key_new(const uint8_t key[SC_KEY_LEN], struct sc_gcm_key **out) SC_WUR;
int sc_gcm_key_open(struct sc_gcm_key *k, const uint8_t *aad, size_t aad_len, const uint8_t *sealed,
                    size_t sealed_len, uint8_t *pt) SC_WUR;
void sc_gcm_key_free(struct sc_gcm_key *k);
/* Tests: key sc_gcm_key with OpenSSL even where libsodium's AES-NI code
 * would be used, so both paths are exercised on any machine. */
void sc_crypto_set_portable(int on);
struct sc_mac_key;
int sc_mac_key_new(const uint8_t *key, size_t key_len, struct sc_mac_key **out) SC_WUR;
int sc_mac_key_mac(struct sc_mac_key *k, const uint8_t *msg, size_t msg_len,
                   uint8_t out[SC_MAC_LEN]) SC_WUR;
void sc_mac_key_free(struct sc_mac_key *k);
/* Argon2id (libsodium, one lane): mem_kib KiB, t passes. */
int sc_argon2id(const char *pw, size_t pw_len, const uint8_t salt[SC_SALT_LEN], uint32_t mem_kib,
                uint32_t t, uint8_t *out, size_t out_len) SC_WUR;
/* HKDF-SHA-256 (RFC 5869). salt may be NULL. */
int sc_hkdf(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
            const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len) SC_WUR;
int sc_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                   uint8_t out[SC_MAC_LEN]) SC_WUR;

#endif
