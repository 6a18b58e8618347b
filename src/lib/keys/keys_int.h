/* keys_int.h - the keyring's internal model, shared by the files of
 * src/lib/keys/, and the test hooks (never used outside tests). */
#ifndef SECRETCTL_KEYS_INT_H
#define SECRETCTL_KEYS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/keys.h"
#include "secretctl/secretctl.h"

struct kver {
	uint32_t version;
	uint8_t state;
	uint8_t *material; /* secmem; NULL once destroyed */
	uint32_t material_len;
	int64_t created, activate_at, activated, suspended, deactivated, compromised, destroyed;
	int64_t destroy_at;
	uint64_t used;     /* encryptions counted in this process */
	uint64_t reserved; /* encryptions reserved in the saved blob (>= used) */
};

struct kkey {
	char name[SC_KEY_NAME_MAX + 1];
	uint8_t type;
	uint32_t flags;
	int64_t created, rotate_every;
	uint32_t min_decrypt, min_encrypt, min_available;
	uint32_t next_version; /* the next version number handed out */
	struct kver *v;        /* ascending by version */
	size_t nv, cap;
};

struct sc_p11_token;

#define SC_KEYS_MADE_MAX 8

typedef void (*sc_keys_nonce_fn)(uint8_t *nonce, size_t n, void *arg);

struct sc_keyring {
	struct kkey **k; /* ascending by name */
	size_t nk, cap;
	uint64_t gen;
	uint64_t reserve_block;
	sc_keyring_refs_fn refs;
	void *refs_arg;
	sc_keys_sig_keygen_fn keygen;
	void *keygen_arg;
	sc_keys_nonce_fn nonce_fn;
	void *nonce_arg;
	struct sc_p11_token *tok; /* the token of the keys in one (not owned) */
	struct sc_keys_pp pp;     /* sc_keyring_set_passphrase (borrowed) */
	int has_pp;
	/* versions generated in a token and not yet saved (see
	 * sc_keyring_token_unsaved) */
	struct {
		char name[SC_KEY_NAME_MAX + 1];
		uint32_t version;
	} made[SC_KEYS_MADE_MAX];
	size_t nmade;
	/* sc_keyring_set_origin: the stored row this copy was read from */
	uint8_t origin[SC_KEYRING_ORIGIN_LEN];
	int has_origin;
};

/* keyring.c */
struct kkey *sc_keys_find(const struct sc_keyring *kr, const char *name);
/* As sc_keys_find, but sets the "no such key" error. */
int sc_keys_lookup(const struct sc_keyring *kr, const char *name, struct kkey **out) SC_WUR;
struct kver *sc_keys_version(const struct kkey *k, uint32_t version);
struct kver *sc_keys_newest(const struct kkey *k);
/* Append a new version in state `state` with fresh material. */
int sc_keys_add_version(struct sc_keyring *kr, struct kkey *k, int64_t now, int state,
                        int64_t activate_at) SC_WUR;
void sc_keys_erase_material(struct kver *v);
void sc_keys_key_free(struct kkey *k);
size_t sc_keys_material_len(int type); /* 0 for signing types (opaque) */

/* lifecycle.c */
/* Check that version v of k may do op now: state, scheduled destruction.
 * SC_ERR_STATE with detail otherwise. */
int sc_keys_check_op(const struct kkey *k, const struct kver *v, int op, int allow_compromised,
                     int64_t now) SC_WUR;
/* Time-driven changes for one key (activation, due destruction). */
int sc_keys_tick_key(struct sc_keyring *kr, struct kkey *k, int64_t now) SC_WUR;
/* The transition with its timestamp (no checks beyond the table). */
int sc_keys_move(struct kkey *k, struct kver *v, int to, int64_t now) SC_WUR;
int sc_keys_refs(struct sc_keyring *kr, const struct kkey *k, uint32_t version) SC_WUR;

/* context.c: the encoding of c (NULL: empty) appended at out (room for
 * sc_keys_ctx_encoded_len(c) bytes). */
size_t sc_keys_ctx_encoded_len(const struct sc_keys_ctx *c);
void sc_keys_ctx_write(const struct sc_keys_ctx *c, uint8_t *out);

/* ops.c */
#define SC_KEYS_AAD_LABEL "secretctl keys v1"
/* The AAD of a ciphertext: label, u8 name length, name, u32 version, u8
 * type, u32 context length, context encoding. *out malloc'd. */
int sc_keys_aad(const char *name, uint32_t version, int type, const struct sc_keys_ctx *c,
                uint8_t **out, size_t *out_len) SC_WUR;

/* One AEAD call of a key type: payload = nonce || ct || tag; encrypting
 * reads the nonce from payload and in_len plaintext bytes from in;
 * decrypting writes in_len bytes to pt_out (SC_ERR_CORRUPT, wiped, on a
 * bad tag). */
int sc_keys_aead(int enc, int type, const uint8_t *key, const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t in_len, uint8_t *payload, uint8_t *pt_out) SC_WUR;

/* token.c: keys with SC_KEY_IN_TOKEN, whose versions' material is a
 * reference to an object in the token, never key bytes. Without a token
 * (t NULL): SC_ERR_TOKEN, saying the key needs it. */
struct sc_keys_tref {
	const char *uri; /* not NUL-terminated: uri_len bytes */
	size_t uri_len;
	const uint8_t *id; /* the object's CKA_ID */
	size_t id_len;
	const uint8_t *pub; /* ecdsa-p256: the SEC1 point; else NULL */
	size_t pub_len;
};
int sc_keys_tref_parse(const uint8_t *m, size_t len, struct sc_keys_tref *out) SC_WUR;
/* Generate version `version` of k in the token: *ref (secmem) the reference. */
int sc_keys_tok_generate(struct sc_p11_token *t, const struct kkey *k, uint32_t version,
                         uint8_t **ref, uint32_t *ref_len) SC_WUR;
/* sc_keys_aead's contract, AES-GCM done by the token. */
int sc_keys_tok_aead(struct sc_p11_token *t, const struct kkey *k, const struct kver *v, int enc,
                     const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len,
                     uint8_t *payload, uint8_t *pt_out) SC_WUR;
/* sc_sig_sign's contract (ECDSA P-256, DER or raw), signed by the token. */
int sc_keys_tok_sign(struct sc_p11_token *t, const struct kkey *k, const struct kver *v,
                     const struct sc_sig_opts *so, const uint8_t *msg, size_t msg_len,
                     uint8_t sig[SC_SIG_MAX], size_t *sig_len) SC_WUR;
/* The public point the reference keeps (no token needed). */
int sc_keys_tok_pubkey(const struct kkey *k, const struct kver *v, uint8_t pub[SC_SIG_PUB_MAX],
                       size_t *pub_len) SC_WUR;
/* HMAC-SHA-256 of msg, by the token. */
int sc_keys_tok_hmac(struct sc_p11_token *t, const struct kkey *k, const struct kver *v,
                     const uint8_t *msg, size_t msg_len, uint8_t mac[32]) SC_WUR;
/* C_DestroyObject on the version's object (one already gone is fine). */
int sc_keys_tok_destroy(struct sc_p11_token *t, const struct kkey *k, const struct kver *v) SC_WUR;

/* passphrase.c: SC_KEY_PASSPHRASE versions. wrap seals a 40-byte key
 * blob into *out (secmem); unwrap opens one for a signature (SC_ERR_AUTH
 * for a wrong or missing passphrase); pub reads the public key it keeps;
 * check validates the form (the blob decoder). */
int sc_keys_pp_wrap(const struct kkey *k, uint32_t version, const struct sc_keys_pp *pp,
                    const uint8_t *blob, size_t blob_len, uint8_t **out, uint32_t *out_len) SC_WUR;
struct sc_sig_key;
int sc_keys_pp_unwrap(const struct kkey *k, const struct kver *v, const struct sc_keys_pp *pp,
                      struct sc_sig_key **out) SC_WUR;
int sc_keys_pp_pub(const struct kver *v, int *alg, uint8_t pub[SC_SIG_PUB_MAX],
                   size_t *pub_len) SC_WUR;
int sc_keys_pp_check(const uint8_t *m, size_t len) SC_WUR;

/* ---- test hooks ---- */

/* Replace the random nonce (known-answer tests). NULL restores it. */
void sc_keys_test_set_nonce(struct sc_keyring *kr, sc_keys_nonce_fn fn, void *arg);
/* Set a version's encryption counter (used = reserved = n). */
int sc_keys_test_set_counter(struct sc_keyring *kr, const char *name, uint32_t version,
                             uint64_t n) SC_WUR;
/* Replace a version's material (known-answer tests); len must fit the type. */
int sc_keys_test_set_material(struct sc_keyring *kr, const char *name, uint32_t version,
                              const uint8_t *m, size_t len) SC_WUR;

#endif
