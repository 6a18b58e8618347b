/* backup.h - one encrypted file holding a whole vault (backup/): the
 * database as a consistent snapshot, the key slots, the audit log and its
 * pending file, the MCP policy. Sealed with libsodium's secretstream under a
 * key derived from the DEK (so a restore needs the vault password or another
 * slot), optionally also under a backup passphrase (Argon2id). A restore
 * checks everything before it writes anything. See docs/BACKUP.md. */
#ifndef SECRETCTL_BACKUP_H
#define SECRETCTL_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/keyslot.h"
#include "secretctl/vault.h"

/* A file in the backup is at most this big, the whole backup too. */
#define SC_BACKUP_MAX ((size_t)4 << 30)
#define SC_BACKUP_SLOTS_MAX 64

/* ---- the snapshot (store/snapshot.c, backup/take.c) ---- */

struct sc_backup_slot {
	int64_t id;
	int kind;
	size_t params_len, wrapped_len;
	uint8_t params[SC_KEYSLOT_PARAMS_MAX];
	uint8_t wrapped[SC_KEYSLOT_WRAPPED_MAX];
};

/* The vault's files as they were at one moment. Only ciphertext and public
 * data (sealed records, wrapped keys, the MACed audit log): plain malloc. */
struct sc_vault_snapshot {
	uint8_t *db; /* vault.db, a whole SQLite file (WAL mode, no -wal) */
	size_t db_len;
	struct sc_backup_slot *slots;
	size_t nslots;
	uint8_t *log, *pending, *policy; /* NULL when the file is absent */
	size_t log_len, pending_len, policy_len;
};
void sc_vault_snapshot_release(struct sc_vault_snapshot *s);
/* The database and its key slots, through SQLite's online backup API (one
 * read transaction; writers in other processes go on). */
int sc_vault_snapshot_db(struct sc_vault *v, struct sc_vault_snapshot *s) SC_WUR;
/* The whole snapshot: under a shared lock on the audit log (every audited
 * write holds it exclusively from its entry to its commit), the database,
 * then the log, the pending file and the policy file. */
int sc_vault_snapshot_take(struct sc_vault *v, struct sc_vault_snapshot *s) SC_WUR;

/* ---- writing (backup/write.c) ---- */

struct sc_backup_info {
	int64_t created_ms;
	int passphrase; /* the backup is also under a passphrase */
	uint64_t bytes; /* payload (plaintext) bytes */
	uint64_t secrets;
	uint64_t audit_entries;
	uint64_t audit_lag; /* entries past the anchor (0 in a consistent snapshot) */
	size_t nslots;
};

/* Write a backup of v (unlocked) to fd. pass NULL: no passphrase layer;
 * kp NULL: the default Argon2id parameters for it. */
int sc_backup_write(struct sc_vault *v, int fd, const char *pass, size_t pass_len,
                    const struct sc_kdf_params *kp, struct sc_backup_info *info) SC_WUR;

/* ---- reading, checking, restoring (backup/read.c, backup/restore.c) ---- */

struct sc_backup;
/* Read a backup file and parse its header (nothing decrypted yet):
 * SC_ERR_CORRUPT for a file that is not a backup or is damaged. */
int sc_backup_open(const char *path, struct sc_backup **out) SC_WUR;
int sc_backup_needs_passphrase(const struct sc_backup *b);
/* Open a password slot from the header with pw, derive the key (with the
 * passphrase when the backup has one), and decrypt and authenticate every
 * chunk up to the final one. SC_ERR_AUTH: wrong password or passphrase;
 * SC_ERR_CORRUPT: tampered, truncated or extended. */
int sc_backup_unlock(struct sc_backup *b, const char *pw, size_t pw_len, const char *pass,
                     size_t pass_len) SC_WUR;
/* After unlock: write the files into a new private directory beside dest
 * (or in dest's place for a check), open it as a vault with the backup's
 * DEK, walk every record and verify the audit chain against the anchor.
 * check_only: remove it again. Otherwise put it in place at dest: an
 * existing vault (or a non-empty directory) there is SC_ERR_EXISTS unless
 * force, and then it is moved aside until the new one is in place, and
 * removed. Nothing is written at dest before every check has passed. */
int sc_backup_restore(struct sc_backup *b, const char *dest, int check_only, int force,
                      struct sc_backup_info *info) SC_WUR;
void sc_backup_free(struct sc_backup *b);

#endif
