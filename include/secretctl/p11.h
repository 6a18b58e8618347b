/* p11.h - hardware tokens over PKCS#11 (keyslot/p11.c): a token found by an
 * RFC 7512 URI, a logged-in session, AES-256 keys and EC P-256 key pairs
 * generated inside it (never extractable), DEK wrap/unwrap and signing. */
#ifndef SECRETCTL_P11_H
#define SECRETCTL_P11_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/status.h"

/* Hard bounds on what a caller hands in. */
#define SC_P11_URI_MAX 1024
#define SC_P11_LABEL_MAX 128
#define SC_P11_PIN_MAX 256
/* A 32-byte DEK wrapped with CKM_AES_KEY_WRAP_PAD (RFC 5649): 40 bytes. */
#define SC_P11_DEK_LEN 32
#define SC_P11_WRAPPED_MAX 64
#define SC_P11_EC_PUB_LEN 65 /* SEC1 uncompressed point */
#define SC_P11_EC_SIG_LEN 64 /* r || s */

/* What the token said about its user PIN after a failed login. SoftHSM
 * 2.6 sets COUNT_LOW after any failure and never locks. */
#define SC_P11_PIN_COUNT_LOW 0x1u
#define SC_P11_PIN_FINAL_TRY 0x2u
#define SC_P11_PIN_LOCKED 0x4u

/* A read-write session on one token, logged in as the user. */
struct sc_p11_token;

/* What a key object's attributes say (read back with C_GetAttributeValue). */
struct sc_p11_key_info {
	int token;               /* CKA_TOKEN: stored in the token */
	int sensitive;           /* CKA_SENSITIVE */
	int extractable;         /* CKA_EXTRACTABLE */
	int always_sensitive;    /* CKA_ALWAYS_SENSITIVE */
	int never_extractable;   /* CKA_NEVER_EXTRACTABLE */
	unsigned long value_len; /* CKA_VALUE_LEN (AES keys; 0 for EC) */
};

/* Open the token an RFC 7512 URI names, by its token label or serial (never
 * a slot number: the URI may not carry slot-id), with the module from the
 * URI's module-path (absolute) or else p11-kit's registered modules, and log
 * in with the PIN in pin/pin_len (copied into secmem, wiped after login;
 * NULL only for a token with a protected authentication path). A PIN inside
 * the URI (pin-value, pin-source) is refused: the URI may sit in argv.
 * The URI's object= label becomes the default label of the calls below.
 * SC_ERR_AUTH for a wrong PIN (*pin_flags, which may be NULL, gets the
 * SC_P11_PIN_* flags the token reports), SC_ERR_TOKEN for a token that is
 * absent, locked or removed, SC_ERR_INVALID for a bad URI or an ambiguous
 * one (two tokens match). Calls C_Initialize once per process, and again
 * in a forked child. */
int sc_p11_open(const char *uri, const void *pin, size_t pin_len, unsigned *pin_flags,
                struct sc_p11_token **out) SC_WUR;
/* Finalize and release every module this process loaded (at exit, or so
 * that the next open reads the module's configuration afresh). Every
 * token must be closed first. */
void sc_p11_shutdown(void);
/* Close the session (logging out with it); NULL is fine. */
void sc_p11_close(struct sc_p11_token *t);
/* The token's label as the token reports it (trailing blanks cut). */
const char *sc_p11_token_label(const struct sc_p11_token *t);

/* In every call below label NULL means the URI's object=; SC_ERR_INVALID
 * when neither names one. A label names one key: two AES keys (or two
 * private EC keys) under it are SC_ERR_INVALID. A key that is gone is
 * SC_ERR_NOT_FOUND. */

/* Generate an AES-256 key in the token: CKA_TOKEN, CKA_SENSITIVE, not
 * CKA_EXTRACTABLE, usable only to wrap and unwrap. SC_ERR_EXISTS when an
 * AES key with that label is already there. */
int sc_p11_aes_generate(struct sc_p11_token *t, const char *label) SC_WUR;
/* SC_OK when an AES key with this label is in the token and stays there;
 * SC_ERR_PERM for one that is extractable or not sensitive (wrap and
 * unwrap refuse it too: someone else's tool may have made it). */
int sc_p11_aes_find(struct sc_p11_token *t, const char *label) SC_WUR;
/* Wrap a 32-byte DEK with the token key (CKM_AES_KEY_WRAP_PAD); out holds
 * SC_P11_WRAPPED_MAX bytes. */
int sc_p11_wrap(struct sc_p11_token *t, const char *label, const uint8_t dek[SC_P11_DEK_LEN],
                uint8_t *out, size_t *out_len) SC_WUR;
/* Unwrap it again; SC_ERR_CORRUPT for a blob that fails the integrity check
 * of RFC 5649 (tampered, or wrapped by another key) or is not 32 bytes. */
int sc_p11_unwrap(struct sc_p11_token *t, const char *label, const uint8_t *wrapped,
                  size_t wrapped_len, uint8_t dek[SC_P11_DEK_LEN]) SC_WUR;

/* Generate an EC P-256 key pair in the token (private half sensitive, not
 * extractable, sign only); pub gets the SEC1 uncompressed point. */
int sc_p11_ec_generate(struct sc_p11_token *t, const char *label,
                       uint8_t pub[SC_P11_EC_PUB_LEN]) SC_WUR;
/* ECDSA P-256 over SHA-256(msg), inside the token; sig is r || s, the form
 * sc_sig_verify(SC_SIG_P256, ...) takes with SC_SIG_FMT_RAW. */
int sc_p11_ec_sign(struct sc_p11_token *t, const char *label, const uint8_t *msg, size_t msg_len,
                   uint8_t sig[SC_P11_EC_SIG_LEN]) SC_WUR;

/* The attributes of the secret or private key under a label. */
int sc_p11_key_info(struct sc_p11_token *t, const char *label, struct sc_p11_key_info *info) SC_WUR;
/* Destroy every object under a label (C_DestroyObject): the AES key, or
 * both halves of a key pair. SC_ERR_NOT_FOUND when there is none. */
int sc_p11_destroy(struct sc_p11_token *t, const char *label) SC_WUR;

/* ---- the keyring's named keys (p11_obj.c): found by a CKA_ID ---------- */

#define SC_P11_ID_LEN 16 /* the CKA_ID secretctl gives its keys: random */
#define SC_P11_ID_MAX 64
#define SC_P11_GCM_IV_LEN 12
#define SC_P11_GCM_TAG_LEN 16

#define SC_P11_CURVE_P256 1    /* CKK_EC on prime256v1: CKM_ECDSA over a digest */
#define SC_P11_CURVE_ED25519 2 /* CKK_EC_EDWARDS: CKM_EDDSA over the message */
#define SC_P11_ED_PUB_LEN 32

/* Generate an AES-256 key (encrypt/decrypt only) or an EC key pair on a
 * curve (sign only; pub gets the public point, SEC1 uncompressed for P-256,
 * RFC 8032's 32 bytes for Ed25519, *pub_len its size) in the token, under
 * label and a fresh random CKA_ID written to id: CKA_TOKEN, CKA_SENSITIVE,
 * never CKA_EXTRACTABLE. */
int sc_p11_aes_generate_id(struct sc_p11_token *t, const char *label,
                           uint8_t id[SC_P11_ID_LEN]) SC_WUR;
/* A 32-byte generic secret (CKK_GENERIC_SECRET), sign/verify only: HMAC. */
int sc_p11_hmac_generate_id(struct sc_p11_token *t, const char *label,
                            uint8_t id[SC_P11_ID_LEN]) SC_WUR;
int sc_p11_ec_generate_id(struct sc_p11_token *t, const char *label, int curve,
                          uint8_t id[SC_P11_ID_LEN], uint8_t pub[SC_P11_EC_PUB_LEN],
                          size_t *pub_len) SC_WUR;
/* AES-GCM (CKM_AES_GCM, 96-bit IV, 128-bit tag) with the AES key under id.
 * Encrypting writes in_len + 16 bytes (ciphertext || tag) to out; decrypting
 * takes ciphertext || tag and writes in_len - 16 bytes; *out_len is out's
 * room on entry. SC_ERR_CORRUPT (out wiped) for a bad tag. A key that is
 * gone: SC_ERR_NOT_FOUND; one extractable or not sensitive: SC_ERR_PERM. */
int sc_p11_gcm(struct sc_p11_token *t, const uint8_t *id, size_t id_len, int enc,
               const uint8_t iv[SC_P11_GCM_IV_LEN], const uint8_t *aad, size_t aad_len,
               const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len) SC_WUR;
/* Sign with the private key under id: P-256 takes a 32-byte SHA-256
 * digest (CKM_ECDSA: r || s), Ed25519 the message (CKM_EDDSA: R || S). */
int sc_p11_ec_sign_id(struct sc_p11_token *t, const uint8_t *id, size_t id_len, int curve,
                      const uint8_t *data, size_t data_len, uint8_t sig[SC_P11_EC_SIG_LEN]) SC_WUR;
#define SC_P11_HMAC_LEN 32
/* HMAC-SHA-256 (CKM_SHA256_HMAC) of msg with the secret key under id. */
int sc_p11_hmac_id(struct sc_p11_token *t, const uint8_t *id, size_t id_len, const uint8_t *msg,
                   size_t msg_len, uint8_t mac[SC_P11_HMAC_LEN]) SC_WUR;
/* C_DestroyObject on every object under id; SC_ERR_NOT_FOUND for none. */
int sc_p11_destroy_id(struct sc_p11_token *t, const uint8_t *id, size_t id_len) SC_WUR;
/* The RFC 7512 URI of the object (label, id) on this token: the token by
 * its label and serial (never a slot), the module-path it was opened with.
 * *out malloc'd. */
int sc_p11_object_uri(const struct sc_p11_token *t, const char *label, const uint8_t *id,
                      size_t id_len, char **out) SC_WUR;
/* 1 when URI a names a token (by label or serial) that URI b's token info
 * matches: the PIN that opened a's token is b's. */
int sc_p11_uri_same_token(const char *a, const char *b);
/* 1 when the URI names an object (object= or id=), not only a token. */
int sc_p11_uri_names_object(const char *uri);

#endif
