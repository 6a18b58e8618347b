/* vault.h - the encrypted vault: create, open, unlock, records, the sealed
 * state and the audit anchor (store/). */
#ifndef SECRETCTL_VAULT_H
#define SECRETCTL_VAULT_H

#include <sys/types.h>

#include "secretctl/crypto.h"
#include "secretctl/secret.h"
#include "secretctl/secmem.h"

/* ---- the vault (vault.c) ------------------------------------------------- */

struct sc_vault;

/* 2: the history table (format 1 vaults are migrated at open) */
#define SC_VAULT_FORMAT 2
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
/* Move the vault directory from (uid from_uid's, closed to others; its
 * files its own, one link each) to a new directory to, owned by uid:gid
 * (mode 0700, files 0600), without decrypting anything: under the
 * database's exclusive lock, each file copied, read back and compared,
 * made durable; then the original is removed. Both paths are opened once,
 * with no symbolic link in them (SC_ERR_PERM otherwise), and used through
 * those fds only. SC_ERR_BUSY when another process has the vault open;
 * SC_ERR_EXISTS when to exists. A failure leaves from untouched and no to.
 * (The dedicated run user's setup.) */
int sc_vault_relocate(const char *from, uid_t from_uid, const char *to, uid_t uid,
                      gid_t gid) SC_WUR;
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
/* The same three inside a write transaction the caller holds (begun with
 * sc_vault_txn_begin, ended with _commit or _rollback): the audit log uses
 * them to make a write and its entry one step (sc_audit_append_with).
 * passwd_in_txn leaves the WAL checkpoint to sc_vault_checkpoint, after the
 * commit (SC_ERR_BUSY when the old key slot may remain in the WAL). */
int sc_vault_txn_begin(struct sc_vault *v) SC_WUR;
int sc_vault_txn_commit(struct sc_vault *v) SC_WUR;
void sc_vault_txn_rollback(struct sc_vault *v);
int sc_vault_put_in_txn(struct sc_vault *v, const struct sc_secret *s) SC_WUR;
int sc_vault_delete_in_txn(struct sc_vault *v, const char *name) SC_WUR;
int sc_vault_passwd_in_txn(struct sc_vault *v, const char *new_pw, size_t new_pw_len,
                           const struct sc_kdf_params *params) SC_WUR;
int sc_vault_checkpoint(struct sc_vault *v) SC_WUR;
/* Visit every secret (in no particular order). The secret passed to the
 * callback is valid only during the call. A non-zero callback return
 * stops the walk and is returned. Verifies every record and the whole
 * record set (rollback, deletion, swap). */
typedef int (*sc_vault_walk_fn)(const struct sc_secret *s, void *arg);
int sc_vault_walk(struct sc_vault *v, sc_vault_walk_fn fn, void *arg) SC_WUR;
/* The same for metadata (list): a field sealed under a named key is not
 * opened, its value is empty (sc_secret_field_key names the key), so a
 * key version suspended or destroyed does not stop a list. A value read
 * through sc_vault_walk or sc_vault_get fails with the key's error. */
int sc_vault_walk_meta(struct sc_vault *v, sc_vault_walk_fn fn, void *arg) SC_WUR;
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

/* ---- key slots beyond the password (vault_slots.c) ----------------------- */

/* One row of the key-slot table, for the list: its number, its kind
 * (SC_KEYSLOT_*), for a token slot the URI, the token's label (or serial)
 * and the key's label in it; when it was made and last opened the vault
 * (Unix seconds; 0: not known, as for a vault's first password slot). */
struct sc_vault_slot {
	int64_t id;
	int kind;
	char uri[256];
	char token[65];
	char label[129];
	int64_t created, last_used;
};
/* Add a PKCS#11 slot to an unlocked vault: the AES-256 key the URI's
 * object= names in the token (generated there, non-extractable and
 * sensitive, when it is not there yet) wraps the DEK (CKM_AES_KEY_WRAP_PAD).
 * pin: the token's user PIN. *id gets the new slot's number. */
int sc_vault_slot_add_pkcs11(struct sc_vault *v, const char *uri, const void *pin, size_t pin_len,
                             int64_t *id) SC_WUR;
/* Add a recovery slot: key (SC_RECOVERY_KEY_LEN bytes, from the caller's
 * split) wraps the DEK; rec describes the split. */
struct sc_keyslot_recovery;
int sc_vault_slot_add_recovery(struct sc_vault *v, const uint8_t *key,
                               const struct sc_keyslot_recovery *rec, int64_t *id) SC_WUR;
/* Unlock with a recovery key (from sc_shares_combine): the recovery slot it
 * opens, in *slot. SC_ERR_AUTH when none does (no recovery slot, or the
 * shares of another vault or of a removed split). */
int sc_vault_unlock_recovery(struct sc_vault *v, const uint8_t *key, int64_t *slot) SC_WUR;
/* Every slot, by number; *out is malloc'd (free it). */
int sc_vault_slots_list(struct sc_vault *v, struct sc_vault_slot **out, size_t *n) SC_WUR;
/* Remove a slot: SC_ERR_NOT_FOUND for no such slot, SC_ERR_DENIED for the
 * last one. The vault must be unlocked. */
int sc_vault_slot_remove(struct sc_vault *v, int64_t id) SC_WUR;
/* The same three inside the caller's transaction (the audit log's
 * sc_audit_append_with); remove then wants sc_vault_checkpoint after the
 * commit, so no WAL frame keeps the removed slot's wrapped key. */
int sc_vault_slot_add_pkcs11_in_txn(struct sc_vault *v, const char *uri, const void *pin,
                                    size_t pin_len, int64_t *id) SC_WUR;
int sc_vault_slot_add_recovery_in_txn(struct sc_vault *v, const uint8_t *key,
                                      const struct sc_keyslot_recovery *rec, int64_t *id) SC_WUR;
int sc_vault_slot_remove_in_txn(struct sc_vault *v, int64_t id) SC_WUR;
/* Unlock through a token slot: the first slot whose token the URI names
 * (NULL: the first token slot), with the PIN; one login, no Argon2.
 * SC_ERR_AUTH for a wrong PIN (*pin_flags, may be NULL: the SC_P11_PIN_*
 * flags the token reports) or no slot for that token; SC_ERR_TOKEN for a
 * token absent, locked, or without the slot's key. */
int sc_vault_unlock_pkcs11(struct sc_vault *v, const char *uri, const void *pin, size_t pin_len,
                           unsigned *pin_flags) SC_WUR;

/* ---- the keyring (vault_keyring.c) ---------------------------------------- */

struct sc_keyring;
/* The vault's keyring (keys.h), opened and checked against the sealed
 * state; an empty one when the vault has none yet. Its signing types
 * generate through sig.h; it saves every counter reservation. */
int sc_vault_keyring_load(struct sc_vault *v, struct sc_keyring **out) SC_WUR;
/* Seal and store kr, and anchor it in the state, inside a transaction the
 * caller holds (an audited write: sc_audit_append_with). */
int sc_vault_keyring_save_in_txn(struct sc_vault *v, const struct sc_keyring *kr) SC_WUR;

/* ---- the reference index (keyrefs.c, fieldkeys.c, rewrap.c) ------------ */

/* Items (a secret's current record, a kept version in its history) whose
 * fields are sealed under key name's version (0: any version). */
struct sc_vault_key_refs {
	uint64_t records, history;
};
int sc_vault_key_refs(struct sc_vault *v, const char *name, uint32_t version,
                      struct sc_vault_key_refs *out) SC_WUR;

/* Many writes in one transaction (a bulk load): with defer, the index is
 * kept in memory and written once by flush, which must come before the
 * COMMIT; abandon drops it (after a ROLLBACK). Without them every write
 * writes the index. */
void sc_vault_refs_defer(struct sc_vault *v);
int sc_vault_refs_flush(struct sc_vault *v) SC_WUR;
void sc_vault_refs_abandon(struct sc_vault *v);

/* Seal every item under an older version of key name again under its
 * newest, `batch` items a transaction (0: the default). Resumable: a
 * crash leaves each item under its old version or its new one, and a
 * rerun goes on. Fails (the items of the failing batch unchanged) when an
 * item's version does not open: the key's lifecycle error says which. */
#define SC_REWRAP_BATCH_DEFAULT 10000
#define SC_REWRAP_BATCH_MAX 100000
struct sc_vault_rewrap_report {
	uint32_t version; /* the newest version, where the items went */
	uint64_t items, fields, batches;
};
int sc_vault_key_rewrap_all(struct sc_vault *v, const char *name, size_t batch,
                            struct sc_vault_rewrap_report *rep) SC_WUR;

/* The audit anchor kept inside the sealed vault state: the sequence
 * number and MAC of the newest audit entry. */
struct sc_audit_anchor {
	uint64_t seq;
	uint8_t mac[SC_MAC_LEN];
};
int sc_vault_anchor_get(struct sc_vault *v, struct sc_audit_anchor *out) SC_WUR;
int sc_vault_anchor_set(struct sc_vault *v, const struct sc_audit_anchor *a) SC_WUR;

#endif
