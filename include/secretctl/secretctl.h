/* secretctl.h - public API of the secretctl core library.
 * The library never prints and never exits; every call returns an sc_status. */
#ifndef SECRETCTL_SECRETCTL_H
#define SECRETCTL_SECRETCTL_H

#include <stddef.h>
#include <stdint.h>

#define SC_WUR __attribute__((warn_unused_result))

#define SC_VERSION "0.1.0"

enum sc_status {
	SC_OK = 0,
	SC_ERR_INVALID,   /* bad argument or malformed input */
	SC_ERR_NOMEM,     /* out of memory (or locked-memory limit) */
	SC_ERR_IO,        /* operating-system I/O failure; errno kept */
	SC_ERR_NOT_FOUND, /* no such secret, field, or file */
	SC_ERR_EXISTS,    /* already exists */
	SC_ERR_AUTH,      /* wrong password: no key slot opened */
	SC_ERR_LOCKED,    /* no key available (no password, agent locked) */
	SC_ERR_PERM,      /* unsafe permissions, wrong owner, or a symlink */
	SC_ERR_CORRUPT,   /* authentication failed, tampered or malformed vault */
	SC_ERR_VERSION,   /* vault format newer than this build */
	SC_ERR_TOOBIG,    /* input over a hard limit */
	SC_ERR_NAME,      /* invalid secret, field or variable name */
	SC_ERR_EXPIRED,   /* the secret has expired */
	SC_ERR_DENIED,    /* refused by policy or a built-in rule */
	SC_ERR_TIMEOUT,   /* time limit reached */
	SC_ERR_NOEXEC,    /* command not found */
	SC_ERR_NOTEXEC,   /* command found but not executable */
	SC_ERR_CRYPTO,    /* the crypto library failed */
	SC_ERR_DB,        /* SQLite failed */
	SC_ERR_BUSY,      /* resource busy (too many runs, lock held) */
	SC_ERR_NO_VAULT,  /* no vault at the given path */
	SC_ERR_INTERNAL,  /* a bug */
	SC_ERR_STATE,     /* a key's lifecycle state forbids the operation */
	SC_ERR_TOKEN,     /* a hardware token is absent, locked or removed */
	SC_ERR_READONLY,  /* the vault is on a read-only file system */
	SC_ERR_NOSPACE,   /* no space left on the device */
	SC_STATUS_MAX
};

/* A short lower-case description of a status, never NULL. */
const char *sc_strerror(int status);
/* Detail of the last failure in this thread (a path and how to fix it, the
 * line of a bad file, ...), or "" when none. Never holds a secret value. */
const char *sc_last_error(void);
void sc_clear_error(void);
void sc_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- secure memory (secmem.c) ------------------------------------------ */

/* Initialize libsodium and the allocator; call once before anything else. */
int sc_init(void) SC_WUR;
/* Process hardening as ssh-agent does it: no core dumps, not dumpable,
 * umask 077, fds 0-2 open. */
int sc_harden_process(void) SC_WUR;
/* Guarded, locked allocation; zero-filled. NULL on failure. */
void *sc_secmem_alloc(size_t n);
/* Wipe and free; NULL is fine. */
void sc_secmem_free(void *p);
/* Resize, keeping the first min(old,new) bytes; the old block is wiped. */
void *sc_secmem_realloc(void *p, size_t n);
/* Duplicate n bytes into a new secmem block with a trailing NUL. */
char *sc_secmem_dup(const void *src, size_t n);
/* Unmap the wiped regions kept for reuse. A forked child that goes on
 * running (a daemon) calls it first: mlock does not pass across fork. */
void sc_secmem_drop_cache(void);
void sc_wipe(void *p, size_t n);
/* Constant-time comparison: 0 when equal. */
int sc_memcmp_ct(const void *a, const void *b, size_t n);

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

/* ---- the secret model (secret.c, record.c) ------------------------------- */

#define SC_NAME_MAX 256
#define SC_VALUE_MAX (1024 * 1024)
#define SC_FIELD_NAME_MAX 64
#define SC_FIELDS_MAX 64
#define SC_TAGS_MAX 32
#define SC_TAG_MAX 64
#define SC_BINDINGS_MAX 64
#define SC_ENV_NAME_MAX 128
#define SC_NOTES_MAX (64 * 1024)
#define SC_URL_MAX 2048
#define SC_HINT_MAX 256

/* Validation of the names the model uses; SC_OK or SC_ERR_NAME. */
int sc_name_valid(const char *name) SC_WUR;
int sc_field_name_valid(const char *name) SC_WUR;
int sc_env_name_valid(const char *name) SC_WUR;
int sc_tag_valid(const char *tag) SC_WUR;

/* A secret: name, fields (name, value, sensitive flag, hint), bindings
 * (ENV_NAME -> field), tags, notes, URL, expiry. Everything it holds lives
 * in guarded memory and is wiped when it is freed. */
struct sc_secret;

int sc_secret_new(struct sc_secret **out, const char *name) SC_WUR;
void sc_secret_free(struct sc_secret *s);
int sc_secret_add_field(struct sc_secret *s, const char *name, const void *value, size_t len,
                        int sensitive) SC_WUR;
int sc_secret_set_hint(struct sc_secret *s, const char *field, const char *hint) SC_WUR;
int sc_secret_add_binding(struct sc_secret *s, const char *env, const char *field) SC_WUR;
int sc_secret_add_tag(struct sc_secret *s, const char *tag) SC_WUR;
int sc_secret_set_notes(struct sc_secret *s, const char *notes) SC_WUR;
int sc_secret_set_url(struct sc_secret *s, const char *url) SC_WUR;
/* Unix seconds; 0 means no expiry. */
void sc_secret_set_expires(struct sc_secret *s, int64_t expires);

const char *sc_secret_name(const struct sc_secret *s);
size_t sc_secret_field_count(const struct sc_secret *s);
/* Field i: its name, value (not NUL-terminated by contract, though a NUL
 * follows it), length and flags. */
int sc_secret_field(const struct sc_secret *s, size_t i, const char **name, const uint8_t **value,
                    size_t *len, int *sensitive, const char **hint) SC_WUR;
/* Index of the field with this name, or -1. */
int sc_secret_field_index(const struct sc_secret *s, const char *name);
size_t sc_secret_binding_count(const struct sc_secret *s);
int sc_secret_binding(const struct sc_secret *s, size_t i, const char **env,
                      const char **field) SC_WUR;
size_t sc_secret_tag_count(const struct sc_secret *s);
const char *sc_secret_tag(const struct sc_secret *s, size_t i);
int sc_secret_has_tag(const struct sc_secret *s, const char *tag);
const char *sc_secret_notes(const struct sc_secret *s); /* NULL when unset */
const char *sc_secret_url(const struct sc_secret *s);   /* NULL when unset */
int64_t sc_secret_expires(const struct sc_secret *s);
int64_t sc_secret_created(const struct sc_secret *s);
int64_t sc_secret_updated(const struct sc_secret *s);
/* 1 when the secret has an expiry at or before `now`. */
int sc_secret_is_expired(const struct sc_secret *s, int64_t now);

/* Record body codec (the plaintext inside a sealed record). Encoding
 * allocates *out in secmem. Decoding is strict: every length bounded, no
 * trailing bytes, every name validated. */
int sc_record_encode(const struct sc_secret *s, uint8_t **out, size_t *out_len) SC_WUR;
int sc_record_decode(const uint8_t *buf, size_t len, struct sc_secret **out) SC_WUR;

/* ---- the vault (vault.c) ------------------------------------------------- */

struct sc_vault;

#define SC_VAULT_FORMAT 1
#define SC_ARGON2_MEM_KIB_DEFAULT (64 * 1024)
#define SC_ARGON2_T_DEFAULT 3

struct sc_kdf_params {
	uint32_t mem_kib;
	uint32_t t;
};

/* Default vault directory: $SECRETCTL_VAULT_DIR, else ~/.secretctl.
 * Returns a malloc'd string. */
int sc_vault_default_dir(char **out) SC_WUR;

/* Create a new vault in dir (created 0700 if missing; must be empty of a
 * vault). params NULL means the defaults. */
int sc_vault_create(const char *dir, const char *pw, size_t pw_len,
                    const struct sc_kdf_params *params) SC_WUR;
/* Open a vault (checks ownership, modes and symlinks) without unlocking. */
int sc_vault_open(const char *dir, struct sc_vault **out) SC_WUR;
/* Unlock with a password: tries every password slot. */
int sc_vault_unlock(struct sc_vault *v, const char *pw, size_t pw_len) SC_WUR;
/* Unlock with a raw DEK (from the agent). */
int sc_vault_unlock_dek(struct sc_vault *v, const uint8_t dek[SC_KEY_LEN]) SC_WUR;
/* Copy the DEK out (for handing to the agent); dek must be secmem. */
int sc_vault_export_dek(const struct sc_vault *v, uint8_t dek[SC_KEY_LEN]) SC_WUR;
void sc_vault_close(struct sc_vault *v);
const char *sc_vault_dir(const struct sc_vault *v);
/* The vault id: SC_VAULT_ID_LEN random bytes, made at init. */
#define SC_VAULT_ID_LEN 16
const uint8_t *sc_vault_id(const struct sc_vault *v);
int sc_vault_is_unlocked(const struct sc_vault *v);

/* Change the password slot's password: rewraps the DEK only. */
int sc_vault_passwd(struct sc_vault *v, const char *new_pw, size_t new_pw_len,
                    const struct sc_kdf_params *params) SC_WUR;

/* Store (create or replace) a secret. */
int sc_vault_put(struct sc_vault *v, const struct sc_secret *s) SC_WUR;
/* Fetch a secret by name; SC_ERR_NOT_FOUND when absent. */
int sc_vault_get(struct sc_vault *v, const char *name, struct sc_secret **out) SC_WUR;
int sc_vault_exists(struct sc_vault *v, const char *name, int *exists) SC_WUR;
int sc_vault_delete(struct sc_vault *v, const char *name) SC_WUR;
/* Visit every secret (in no particular order). The secret passed to the
 * callback is valid only during the call. A non-zero callback return
 * stops the walk and is returned. Verifies every record and the whole
 * record set (rollback, deletion, swap). */
typedef int (*sc_vault_walk_fn)(const struct sc_secret *s, void *arg);
int sc_vault_walk(struct sc_vault *v, sc_vault_walk_fn fn, void *arg) SC_WUR;
/* Number of secrets (from the authenticated index). */
int sc_vault_count(struct sc_vault *v, size_t *count) SC_WUR;

/* The vault's write generation, from the authenticated state: it changes
 * with every put and delete, so a front end can cache what it derived from
 * the records. */
int sc_vault_generation(struct sc_vault *v, uint64_t *gen) SC_WUR;

/* Blinded identifier of a secret name (HMAC under the index key), for
 * audit entries: 32 bytes. */
int sc_vault_blind_name(struct sc_vault *v, const char *name, uint8_t out[SC_MAC_LEN]) SC_WUR;
/* Sub-key for the audit chain MAC (32 bytes). */
int sc_vault_audit_key(struct sc_vault *v, uint8_t out[SC_KEY_LEN]) SC_WUR;

/* The audit anchor kept inside the sealed vault state: the sequence
 * number and MAC of the newest audit entry. */
struct sc_audit_anchor {
	uint64_t seq;
	uint8_t mac[SC_MAC_LEN];
};
int sc_vault_anchor_get(struct sc_vault *v, struct sc_audit_anchor *out) SC_WUR;
int sc_vault_anchor_set(struct sc_vault *v, const struct sc_audit_anchor *a) SC_WUR;

#endif
