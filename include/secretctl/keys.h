/* keys.h - named keys: a keyring of versioned keys with SP 800-57 states,
 * encryption contexts, the sc:v1 ciphertext format, and envelope operations. */
#ifndef SECRETCTL_KEYS_H
#define SECRETCTL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/secretctl.h"
#include "secretctl/sig.h"

/* ---- bounds -------------------------------------------------------------- */

#define SC_KEY_NAME_MAX 64               /* [A-Za-z0-9._-], first alphanumeric */
#define SC_KEYRING_KEYS_MAX 4096         /* keys in one keyring */
#define SC_KEY_VERSIONS_MAX 1024         /* live versions of one key (trim below) */
#define SC_KEY_MATERIAL_MAX 128          /* opaque signing material */
#define SC_KEYS_PLAINTEXT_MAX (1u << 20) /* one encrypt call */
#define SC_KEYS_CT_TEXT_MAX (SC_KEYS_PLAINTEXT_MAX / 3 * 4 + 256)
#define SC_KEYRING_BLOB_MAX (16u << 20)
#define SC_KEYS_DATAKEY_LEN 32
#define SC_KEYS_DESTROY_DAYS_MIN 7
#define SC_KEYS_DESTROY_DAYS_MAX 30
#define SC_KEYS_DESTROY_DAYS_DEFAULT 30
/*
 * Encryptions allowed under one version of an AES-256-GCM or
 * ChaCha20-Poly1305 key with random 96-bit nonces. NIST SP 800-38D §8.3
 * caps random-IV GCM at 2^32 invocations per key; we stop at half of it,
 * 2^31, where the chance of any nonce repeating is below 2^-35
 * (q^2 / 2^97). The next use of the key past it rotates to a new version.
 */
#define SC_KEYS_AEAD_LIMIT (UINT64_C(1) << 31)

/* ---- types, states, operations ----------------------------------------- */

enum sc_key_type {
	SC_KEY_AES256_GCM = 1,
	SC_KEY_CHACHA20_POLY1305,
	SC_KEY_HMAC_SHA256,
	SC_KEY_ED25519, /* signing types: material from the signature table */
	SC_KEY_ECDSA_P256,
	SC_KEY_SECP256K1,
	/* a FROST(Ed25519, SHA-512) share: opaque material (the key package,
	 * frost_keyring.c); never signs alone, never rotated by the keyring */
	SC_KEY_FROST_ED25519,
	SC_KEY_TYPE_MAX
};

/* SP 800-57 Part 1 Rev. 5 §5.3 key states, one per version. */
enum sc_key_state {
	SC_KEY_PREACTIVE = 1,
	SC_KEY_ACTIVE,
	SC_KEY_SUSPENDED,
	SC_KEY_DEACTIVATED,
	SC_KEY_COMPROMISED,
	SC_KEY_DESTROYED,
	SC_KEY_STATE_MAX
};

enum sc_key_op {
	SC_KEY_OP_ENCRYPT = 0, /* also datakey and rewrap's second half */
	SC_KEY_OP_DECRYPT,     /* also rewrap's first half */
	SC_KEY_OP_SIGN,        /* also hmac */
	SC_KEY_OP_VERIFY,      /* also hmac verify */
	SC_KEY_OP_MAX
};

#define SC_KEY_EXPORTABLE 0x1u      /* one-way latch: never cleared */
#define SC_KEY_REQUIRE_CONTEXT 0x2u /* encrypt/decrypt need a non-empty context */
#define SC_KEY_IN_TOKEN 0x4u        /* generated in a PKCS#11 token, lives there */
#define SC_KEY_PASSPHRASE 0x8u      /* signing key sealed again under a passphrase */
/* a signing key whose every signature a person confirms: on the terminal
 * (the CLI), by elicitation (MCP), SSH_ASKPASS (the ssh-agent); the unlock
 * agent, which can ask no one, never signs with it */
#define SC_KEY_CONFIRM 0x10u
#define SC_KEY_FLAGS_ALL 0x1fu
/* A token key's reference (the token's URI, the object's id, its public
 * point) at most: what the keyring stores instead of material. */
#define SC_KEYS_TOKEN_REF_MAX (1024 + 160)

const char *sc_key_type_name(int type); /* "aes256-gcm", ..., "?" */
int sc_key_type_parse(const char *s, enum sc_key_type *out) SC_WUR;
const char *sc_key_state_name(int state); /* "pre-activation", ..., "?" */
int sc_key_type_is_signing(int type);
/* SC_OK or SC_ERR_NAME (with detail). */
int sc_keys_name_valid(const char *name) SC_WUR;
/* The SP 800-57 transition table: 1 when from -> to is allowed. */
int sc_key_transition_allowed(int from, int to);
/* The operation table: 1 when op is allowed in state (compromised: only
 * with allow_compromised). Scheduled destruction and the floors are
 * checked on top of this. */
int sc_key_op_allowed(int state, int op, int allow_compromised);

/* ---- encryption context (AAD) ------------------------------------------- */

#define SC_KEYS_CTX_PAIRS_MAX 64
#define SC_KEYS_CTX_KEY_MAX 128    /* bytes; >= 0x20, not '=' or 0x7f */
#define SC_KEYS_CTX_VALUE_MAX 1024 /* any bytes, may be empty */
#define SC_KEYS_CTX_ENCODED_MAX 16384

/*
 * A set of k=v pairs, kept sorted by key (bytewise, shorter first). Its
 * canonical encoding: u16 count, then per pair u16 klen, key, u32 vlen,
 * value (big-endian). The empty context (no pairs, or no context at all)
 * encodes to the two bytes 00 00.
 */
struct sc_keys_ctx;
int sc_keys_ctx_new(struct sc_keys_ctx **out) SC_WUR;
void sc_keys_ctx_free(struct sc_keys_ctx *c);
/* SC_ERR_INVALID for an empty or bad key or a duplicate; SC_ERR_TOOBIG
 * past a bound. */
int sc_keys_ctx_add(struct sc_keys_ctx *c, const char *key, size_t key_len, const uint8_t *value,
                    size_t value_len) SC_WUR;
/* "k=v" (split at the first '='). */
int sc_keys_ctx_add_kv(struct sc_keys_ctx *c, const char *kv) SC_WUR;
size_t sc_keys_ctx_count(const struct sc_keys_ctx *c); /* NULL: 0 */
/* The i-th pair in order (pointers into c); SC_ERR_NOT_FOUND past the end. */
int sc_keys_ctx_at(const struct sc_keys_ctx *c, size_t i, const char **key, size_t *key_len,
                   const uint8_t **value, size_t *value_len) SC_WUR;
/* The canonical encoding (malloc'd). c may be NULL: the empty context. */
int sc_keys_ctx_encode(const struct sc_keys_ctx *c, uint8_t **out, size_t *out_len) SC_WUR;
/* The inverse, strict: only a canonical encoding (sorted, no duplicate,
 * every pair valid, nothing after it) decodes; SC_ERR_INVALID, or
 * SC_ERR_TOOBIG past SC_KEYS_CTX_ENCODED_MAX. */
int sc_keys_ctx_decode(const uint8_t *enc, size_t len, struct sc_keys_ctx **out) SC_WUR;

/* ---- ciphertext text format ---------------------------------------------
 *
 * sc:v1:NAME:VERSION:PAYLOAD   VERSION decimal 1..4294967295 without leading
 * zeros; PAYLOAD unpadded base64url of nonce(12) || ciphertext || tag(16)
 * (for hmac: the 32-byte MAC). Parsing needs no key, so the store's
 * reference index can read which key and version a ciphertext uses.
 */
struct sc_keys_ct {
	char name[SC_KEY_NAME_MAX + 1];
	uint32_t version;
	uint8_t *payload; /* malloc'd */
	size_t payload_len;
};
int sc_keys_ct_parse(const char *text, size_t len, struct sc_keys_ct *out) SC_WUR;
void sc_keys_ct_release(struct sc_keys_ct *ct);
/* *out malloc'd, NUL-terminated. */
int sc_keys_ct_format(const char *name, uint32_t version, const uint8_t *payload, size_t len,
                      char **out) SC_WUR;

/* ---- the keyring --------------------------------------------------------- */

struct sc_keyring;

/* Reference-count hook: how many of the store's items use name/version.
 * Trim and destruction refuse (SC_ERR_BUSY) while the count is non-zero;
 * a hook that fails makes them fail with its status. Without a hook the
 * keyring knows of no references. */
typedef int (*sc_keyring_refs_fn)(const char *name, uint32_t version, uint64_t *count, void *arg);

/*
 * Hook for signing types (ed25519, ecdsa-p256, secp256k1): key generation
 * belongs to the signature table (sig.h). Until it is wired in, creating
 * or rotating a signing key needs this hook; it writes at most cap bytes
 * of private material (secmem) and sets *len. The keyring stores the
 * bytes opaquely; sc_keyring_sig_material() hands them to the signer after
 * the lifecycle checks.
 */
typedef int (*sc_keys_sig_keygen_fn)(int type, uint8_t *material, size_t cap, size_t *len,
                                     void *arg);

struct sc_p11_token;

int sc_keyring_new(struct sc_keyring **out) SC_WUR;
void sc_keyring_free(struct sc_keyring *kr);
void sc_keyring_set_refs(struct sc_keyring *kr, sc_keyring_refs_fn fn, void *arg);
/* Which stored copy this keyring was read from (or last saved as), for
 * the store to refuse saving a copy another process changed meanwhile:
 * an opaque tag (the sealed row's nonce and GCM tag). get: 0 when none. */
#define SC_KEYRING_ORIGIN_LEN 28
void sc_keyring_set_origin(struct sc_keyring *kr, const uint8_t tag[SC_KEYRING_ORIGIN_LEN]);
int sc_keyring_get_origin(const struct sc_keyring *kr, uint8_t tag[SC_KEYRING_ORIGIN_LEN]);
void sc_keyring_set_sig_keygen(struct sc_keyring *kr, sc_keys_sig_keygen_fn fn, void *arg);
/*
 * Counter reservation: the blob records, per version, how many
 * encryptions are reserved; a reloaded keyring counts all of them as used.
 * When an encryption needs more, `block` more are reserved and the
 * generation changes: the caller must save the keyring before it hands
 * out that ciphertext. Default 1024; 1 saves on every encryption.
 */
void sc_keyring_set_reserve(struct sc_keyring *kr, uint64_t block);
/*
 * The token (sc_p11_open, not owned; NULL: none) where keys created with
 * SC_KEY_IN_TOKEN are generated (aes256-gcm, ecdsa-p256), and where their
 * encryption, decryption, signing, rotation and destruction happen. Without
 * it those fail with SC_ERR_TOKEN, and a token version whose destruction is
 * due stays scheduled (unusable) until a call with the token.
 */
void sc_keyring_set_token(struct sc_keyring *kr, struct sc_p11_token *t);
/* The RFC 7512 URI of a token key's object (the token by label and
 * serial, its module-path, the object's label and id=), NUL-terminated
 * into buf: version's, or (version 0) the newest version's that still has
 * one. It opens the token. SC_ERR_INVALID for a software key. */
int sc_keyring_token_uri(const struct sc_keyring *kr, const char *name, uint32_t version, char *buf,
                         size_t cap) SC_WUR;
/* The token objects this keyring generated (create, rotate, a rotation
 * that came due in an operation) since it was loaded or last saved: when
 * the keyring is not saved after all, sc_keyring_token_unsaved destroys
 * them so that no object is left without a reference (the keyring itself
 * is not changed: drop it); sc_keyring_token_saved forgets them once it is. */
void sc_keyring_token_saved(struct sc_keyring *kr);
int sc_keyring_token_unsaved(struct sc_keyring *kr) SC_WUR;
/* 1 when key name lives in a token and a version's destruction is due
 * (the next call with the token destroys the object). */
int sc_keyring_token_due(const struct sc_keyring *kr, const char *name, int64_t now);
/* Changes with every change that must be saved (create, rotate, state,
 * flags, floors, a new counter reservation, destruction). */
uint64_t sc_keyring_generation(const struct sc_keyring *kr);

struct sc_key_params {
	uint32_t flags;       /* SC_KEY_EXPORTABLE | SC_KEY_REQUIRE_CONTEXT */
	int64_t rotate_every; /* seconds; 0: never */
	int64_t activate_at;  /* Unix seconds; <= now: active at once */
};
/* SC_ERR_EXISTS, SC_ERR_NAME, SC_ERR_INVALID, SC_ERR_TOOBIG. p may be NULL. */
int sc_keyring_create(struct sc_keyring *kr, const char *name, enum sc_key_type type,
                      const struct sc_key_params *p, int64_t now) SC_WUR;
/* A new version, active at once; *version may be NULL. */
int sc_keyring_rotate(struct sc_keyring *kr, const char *name, int64_t now,
                      uint32_t *version) SC_WUR;

/* Move a version to another state (activate, suspend, resume, deactivate,
 * compromise). Destroyed is reached only by scheduled destruction or trim.
 * Refused transitions: SC_ERR_STATE, the detail names the state and the
 * way out. */
int sc_keyring_set_state(struct sc_keyring *kr, const char *name, uint32_t version,
                         enum sc_key_state to, int64_t now) SC_WUR;
/* Schedule crypto-erase of one version (or every version: version 0) in
 * days (7..30; 0 means 30). Until then the version does nothing; cancel
 * gives it back its state. */
int sc_keyring_schedule_destroy(struct sc_keyring *kr, const char *name, uint32_t version,
                                unsigned days, int64_t now) SC_WUR;
int sc_keyring_cancel_destroy(struct sc_keyring *kr, const char *name, uint32_t version) SC_WUR;
/* Apply what time has made due: activate pre-activation versions whose
 * time has come, crypto-erase versions whose destruction is due (a version
 * still referenced stays scheduled: SC_ERR_BUSY is returned after the
 * rest are done). Every operation also does this for its own key. */
int sc_keyring_tick(struct sc_keyring *kr, int64_t now) SC_WUR;
/* Crypto-erase and forget every version below `below`: needs below <=
 * min_decrypt and <= min_encrypt and no references. */
int sc_keyring_trim(struct sc_keyring *kr, const char *name, uint32_t below) SC_WUR;

/* The settings `key config` changes. exportable and confirm are one-way
 * latches: they are set, never cleared (SC_ERR_DENIED for a key that can
 * never be exported: in a token, under a passphrase). require_context is
 * for the encryption types, on or off. rotate_every: seconds, 0 never. */
int sc_keyring_set_exportable(struct sc_keyring *kr, const char *name) SC_WUR; /* latch */
int sc_keyring_set_confirm(struct sc_keyring *kr, const char *name) SC_WUR;    /* latch */
int sc_keyring_set_require_context(struct sc_keyring *kr, const char *name, int on) SC_WUR;
int sc_keyring_set_rotate_every(struct sc_keyring *kr, const char *name, int64_t secs) SC_WUR;
/* The floors, as Vault transit's min_decryption_version and
 * min_encryption_version: each between min_available and the newest
 * version, raised or lowered at will, and min_encrypt >= min_decrypt (a
 * text made under a version must decrypt). 0 keeps a floor as it is;
 * both are checked as they will be, then both set, or neither
 * (SC_ERR_INVALID out of range, SC_ERR_STATE encrypt under decrypt). */
int sc_keyring_set_floors(struct sc_keyring *kr, const char *name, uint32_t min_decrypt,
                          uint32_t min_encrypt) SC_WUR;
int sc_keyring_set_min_decrypt(struct sc_keyring *kr, const char *name, uint32_t v) SC_WUR;
int sc_keyring_set_min_encrypt(struct sc_keyring *kr, const char *name, uint32_t v) SC_WUR;

struct sc_key_meta {
	enum sc_key_type type;
	uint32_t flags;
	int64_t created, rotate_every;
	uint32_t newest, min_decrypt, min_encrypt, min_available;
	size_t nversions;
};
struct sc_key_version_meta {
	uint32_t version;
	enum sc_key_state state;
	int64_t created, activate_at, activated, suspended, deactivated, compromised, destroyed;
	int64_t destroy_at;   /* scheduled destruction; 0: none */
	uint64_t encryptions; /* counted (reserved, after a reload) */
};
/*
 * Custody keys with a passphrase (keys/passphrase.c): a signing key created
 * with SC_KEY_PASSPHRASE has each version's private key sealed again under
 * Argon2id(passphrase), never stored. The passphrase set here (borrowed:
 * the caller keeps it in secmem, and clears it with NULL) is what create,
 * rotate (a typo is caught: it must open the newest version) and each
 * signature use; without it they fail with SC_ERR_AUTH, as with a wrong
 * one. Public keys and verification need none. t and mem_kib (0: the
 * vault's defaults) apply to versions made while it is set.
 */
#define SC_KEYS_PP_T_MIN 1
#define SC_KEYS_PP_T_MAX 64
#define SC_KEYS_PP_MEM_MIN 8192u
#define SC_KEYS_PP_MEM_MAX (4u * 1024 * 1024)
#define SC_KEYS_PP_MATERIAL_MAX 192
struct sc_keys_pp {
	const uint8_t *passphrase;
	size_t len;
	uint32_t t, mem_kib;
};
void sc_keyring_set_passphrase(struct sc_keyring *kr, const struct sc_keys_pp *pp);

size_t sc_keyring_count(const struct sc_keyring *kr);
const char *sc_keyring_name_at(const struct sc_keyring *kr, size_t i); /* sorted; NULL past end */
int sc_keyring_key_meta(const struct sc_keyring *kr, const char *name,
                        struct sc_key_meta *out) SC_WUR;
/* i-th live version, oldest first. */
int sc_keyring_version_at(const struct sc_keyring *kr, const char *name, size_t i,
                          struct sc_key_version_meta *out) SC_WUR;

/* ---- a JSON batch (key encrypt|decrypt --batch-json) ---------------------
 *
 * A JSON array of item objects, or JSON lines (one object a line; blank
 * lines skipped). Each item: exactly one of "in" (a string: the input's
 * bytes as UTF-8) and "in_b64" (standard padded base64), an optional
 * "context" (an object of string values: its own encryption context) and
 * an optional "id" (a scalar, given back with its result). Anything else
 * - an unknown member, a duplicate key, a nested id, a context value not a
 * string, more than SC_KEYS_JBATCH_MAX items, an input over item_max,
 * more than SC_KEYS_JBATCH_BYTES_MAX bytes - refuses the whole batch
 * (SC_ERR_INVALID or SC_ERR_TOOBIG, the detail naming the item). Jansson
 * itself bounds nesting (2048 levels); an item nests two at most.
 */
#define SC_KEYS_JBATCH_MAX 100000u
#define SC_KEYS_JBATCH_BYTES_MAX (32u * 1024 * 1024)
#define SC_KEYS_JBATCH_ID_MAX 256
struct sc_keys_jitem {
	const uint8_t *in; /* in the batch's arena */
	size_t in_len;
	struct sc_keys_ctx *ctx; /* NULL: the empty context */
	char *id;                /* the id's compact JSON, or NULL */
};
struct sc_keys_jbatch {
	struct sc_keys_jitem *items;
	size_t n;
	uint8_t *arena; /* secmem: every item's input, one guarded block */
	size_t used, cap;
};
int sc_keys_jbatch_parse(const uint8_t *buf, size_t len, size_t item_max,
                         struct sc_keys_jbatch *out) SC_WUR;
void sc_keys_jbatch_free(struct sc_keys_jbatch *b);

/* ---- operations -------------------------------------------------------- */

struct sc_keys_opts {
	int64_t now;                   /* Unix seconds, from the caller */
	const struct sc_keys_ctx *ctx; /* NULL: the empty context */
	uint32_t version;              /* encrypt/datakey/hmac: 0 = newest */
	int allow_compromised;         /* decrypt/verify under a compromised version */
};
struct sc_keys_info {
	uint32_t version; /* the version used (encrypting: the one written) */
	int rotated;      /* the key was rotated first (period or counter) */
	/* the compromised version used (allow_compromised; for rewrap the
	 * one decrypted), 0 for none: the front end tells the user loudly */
	uint32_t compromised;
};

/* Encrypt under the newest version (rotating first when due). *out is a
 * malloc'd sc:v1 text. info may be NULL. */
int sc_keyring_encrypt(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                       const uint8_t *pt, size_t pt_len, char **out,
                       struct sc_keys_info *info) SC_WUR;
/* name may be NULL (taken from the ciphertext) or must match it. *pt is
 * secmem (NUL-terminated, not counted). Every mismatch or tamper:
 * SC_ERR_CORRUPT, never wrong data. */
int sc_keyring_decrypt(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                       const char *ct, size_t ct_len, uint8_t **pt, size_t *pt_len,
                       struct sc_keys_info *info) SC_WUR;
/* Decrypt and encrypt again under the newest version of the same key, the
 * plaintext only in secmem. */
int sc_keyring_rewrap(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                      const char *ct, size_t ct_len, char **out, struct sc_keys_info *info) SC_WUR;
/* A fresh 32-byte data key, wrapped (*wrapped, sc:v1) and, when plain is
 * not NULL, in the clear (*plain, secmem, SC_KEYS_DATAKEY_LEN bytes). */
int sc_keyring_datakey(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                       char **wrapped, uint8_t **plain, struct sc_keys_info *info) SC_WUR;
/* HMAC-SHA-256 of msg (hmac-sha256 keys; no context): *out sc:v1 text. */
int sc_keyring_hmac(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                    const uint8_t *msg, size_t msg_len, char **out,
                    struct sc_keys_info *info) SC_WUR;
/* Constant-time check: SC_OK or SC_ERR_CORRUPT. */
int sc_keyring_hmac_verify(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                           const uint8_t *msg, size_t msg_len, const char *mac, size_t mac_len,
                           struct sc_keys_info *info) SC_WUR;
/* The signature table's hook: material of a signing key's version after
 * the lifecycle check for op (SC_KEY_OP_SIGN or SC_KEY_OP_VERIFY); version
 * 0 = newest. The pointer stays valid until the keyring changes. */
int sc_keyring_sig_material(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                            int op, const uint8_t **material, size_t *len,
                            struct sc_keys_info *info) SC_WUR;
/* Copy of one version's material (secmem) for an exportable key only. */
int sc_keyring_export(struct sc_keyring *kr, const char *name, uint32_t version, uint8_t **out,
                      size_t *out_len) SC_WUR;

/* ---- signing keys (sign.c): the keyring's signing types on sig.h ------ */

/* Private bytes to import instead of generating (the hook's arg); NULL or
 * priv NULL: generate from the system's randomness. */
struct sc_keys_sig_import {
	const uint8_t *priv; /* 32 bytes: an Ed25519 seed or an ECDSA scalar */
	size_t len;
};
/* The sc_keys_sig_keygen_fn for sc_keyring_set_sig_keygen: the material
 * is the signature table's 40-byte key blob (sc_sig_key_serialize). */
int sc_keys_sig_keygen(int type, uint8_t *material, size_t cap, size_t *len, void *arg) SC_WUR;
/* Sign with the newest version (o->version: another one) once the
 * lifecycle allows it; the private key is in secmem for this call only. */
int sc_keyring_sign(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                    const struct sc_sig_opts *so, const uint8_t *msg, size_t msg_len,
                    uint8_t sig[SC_SIG_MAX], size_t *sig_len, struct sc_keys_info *info) SC_WUR;
/* SC_OK only for a valid signature by the version (o->version, 0: newest);
 * SC_ERR_CORRUPT for a wrong one. */
int sc_keyring_verify(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                      const struct sc_sig_opts *so, const uint8_t *msg, size_t msg_len,
                      const uint8_t *sig, size_t sig_len, struct sc_keys_info *info) SC_WUR;
/* The raw public key of a version the lifecycle allows op (SC_KEY_OP_SIGN
 * or SC_KEY_OP_VERIFY) for; *alg (may be NULL) gets its enum sc_sig_alg. */
int sc_keyring_pubkey(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o, int op,
                      uint8_t pub[SC_SIG_PUB_MAX], size_t *pub_len, int *alg,
                      struct sc_keys_info *info) SC_WUR;

/* ---- serialisation and sealing ---------------------------------------- */

/* The whole keyring as one blob (secmem: it holds every key). */
int sc_keyring_encode(const struct sc_keyring *kr, uint8_t **out, size_t *out_len) SC_WUR;
/* Strict: bounded, canonical, sorted; SC_ERR_CORRUPT or SC_ERR_VERSION. */
int sc_keyring_decode(const uint8_t *blob, size_t len, struct sc_keyring **out) SC_WUR;
/* The blob sealed with AES-256-GCM (sc_seal) under `key` (the vault's
 * keyring sub-key), AAD "secretctl keyring v1" || vault id. *out is
 * malloc'd ciphertext the store keeps as is. */
int sc_keyring_seal(const struct sc_keyring *kr, const uint8_t key[SC_KEY_LEN],
                    const uint8_t vault_id[SC_VAULT_ID_LEN], uint8_t **out, size_t *out_len) SC_WUR;
int sc_keyring_open(const uint8_t key[SC_KEY_LEN], const uint8_t vault_id[SC_VAULT_ID_LEN],
                    const uint8_t *sealed, size_t sealed_len, struct sc_keyring **out) SC_WUR;

#endif
