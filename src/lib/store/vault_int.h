/* vault_int.h - the vault's insides shared by its parts: the handle, the
 * sealed state and buckets, the SQLite plumbing (store/). */
#ifndef SC_STORE_VAULT_INT_H
#define SC_STORE_VAULT_INT_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/secret_int.h"
#include "secretctl/keyslot.h"
#include "secretctl/history.h"

#define DB_NAME "vault.db"
#define ID_LEN SC_VAULT_ID_LEN
#define NBUCKETS 256
#define STATE_MAGIC "SCS1"
#define STATE_LEN (4 + 8 + 8 + SC_MAC_LEN + 8 * NBUCKETS)
/* A state that also anchors the keyring: SCS2, the same fields and then
 * the MAC of the sealed keyring row (vault_keyring.c), so the row cannot be
 * rolled back, swapped or deleted on its own. */
#define STATE2_MAGIC "SCS2"
#define STATE2_LEN (STATE_LEN + SC_MAC_LEN)
#define BUCKET_MAGIC "SCB1"
#define ENTRY_LEN (8 + 8 + SC_MAC_LEN)
#define RECORD_MAX (16 * 1024 * 1024)

struct entry {
	uint64_t id, version;
	uint8_t idx[SC_MAC_LEN];
};

struct state {
	uint64_t gen;
	struct sc_audit_anchor anchor;
	uint64_t bver[NBUCKETS];
	int has_keyring; /* SCS2: a keyring row exists, kr_mac is its MAC */
	uint8_t kr_mac[SC_MAC_LEN];
};

struct bucket {
	struct entry *e;
	size_t n, cap;
};

/* dek is the DEK the key slots wrap (version ver). The index and audit
 * keys come from the first DEK and are carried from version to version
 * (dek.c), so blinded names and the audit chain outlive a rekey. While a
 * rekey runs (rekeying), rec, meta and keyring are the new DEK's (next):
 * everything is written under them; old_rec and old_meta still open what
 * the rekey has not reached yet. */
struct keys {
	uint8_t dek[SC_KEY_LEN];
	uint8_t rec[SC_KEY_LEN];
	uint8_t idx[SC_KEY_LEN];
	uint8_t meta[SC_KEY_LEN];
	uint8_t audit[SC_KEY_LEN];
	uint8_t keyring[SC_KEY_LEN];
	uint8_t next[SC_KEY_LEN];
	uint8_t old_rec[SC_KEY_LEN];
	uint8_t old_meta[SC_KEY_LEN];
	uint64_t ver;
	int rekeying;
};

#define STMT_CACHE 40

struct sc_vault {
	char *dir;
	char *db_path;
	sqlite3 *db;
	uint8_t id[ID_LEN];
	int64_t format;
	struct keys *k; /* secmem; NULL while locked */
	struct {
		const char *sql;
		sqlite3_stmt *q;
	} stmts[STMT_CACHE];
	int nstmts;
	int readonly; /* on a read-only file system */
	int strict;   /* open under the newest keys only (a rekey's last check) */
	int reloading;
	struct sc_store_refs *refs; /* keyrefs.c: the index as last read or written */
	int refs_defer;             /* keyrefs.c: changes wait for sc_store_refs_flush */
};

/* Shared between the parts of this module. */
char *sc_store_path_join(const char *dir, const char *name);
int sc_store_db_err(sqlite3 *db, int rc);
int sc_store_prepare_fixed(sqlite3 *db, const char *sql, unsigned flags, sqlite3_stmt **q);
int sc_store_exec_sql(sqlite3 *db, const char *sql);
int sc_store_stmt_prepare(struct sc_vault *v, const char *sql, sqlite3_stmt **q);
void sc_store_stmt_done(struct sc_vault *v, sqlite3_stmt *q);
void sc_store_stmts_release(struct sc_vault *v);
int sc_store_exec_kept(struct sc_vault *v, const char *sql);
/* Open a vault database on a read-only file system (db.c). */
int sc_store_open_db_ro(const char *path, sqlite3 **out);
/* ROLLBACK, keeping the error detail of what failed. */
void sc_store_rollback(struct sc_vault *v);
int sc_store_check_owner_mode(const char *path, int want_dir, int must_exist);
int sc_store_check_files(const char *dir);
int sc_store_db_configure(sqlite3 *db);
int sc_store_meta_get(sqlite3 *db, const char *key, const void **val, int *len, sqlite3_stmt **q);
int sc_store_meta_put(sqlite3 *db, const char *key, const void *val, int len);
int sc_store_open_db(const char *path, int create, sqlite3 **out);
void sc_store_unlink_db_files(const char *db);
int sc_store_fsync_path(const char *path, int dir);
int sc_store_check_header(const char *path);
/* The state's and a bucket's plaintexts (state.c): parse checks the magic
 * and the length (SC_ERR_CORRUPT); bucket parse appends to bk. */
int sc_store_state_parse(const uint8_t *pt, size_t len, struct state *st);
size_t sc_store_state_format(const struct state *st, uint8_t pt[STATE2_LEN]);
int sc_store_bucket_parse(const uint8_t *pt, size_t len, struct bucket *bk);
size_t sc_store_bucket_format_len(const struct bucket *bk);
void sc_store_bucket_format(const struct bucket *bk, uint8_t *pt);
int sc_store_state_read(struct sc_vault *v, struct state *st);
/* The MAC that anchors the keyring row and, when there is one, the
 * reference index row (keyrefs.c) in the state: computed from the rows as
 * they are. A state with has_keyring gets it on every write. */
int sc_store_anchor_mac(struct sc_vault *v, uint8_t mac[SC_MAC_LEN], int *has_refs);
int sc_store_state_write(struct sc_vault *v, const struct state *st);
void sc_store_bucket_release(struct bucket *bk);
int sc_store_bucket_reserve(struct bucket *bk, size_t n);
int sc_store_bucket_read(struct sc_vault *v, const struct state *st, unsigned b, struct bucket *bk);
int sc_store_buckets_read_all(struct sc_vault *v, const struct state *st, struct bucket *all);
int sc_store_bucket_write(struct sc_vault *v, unsigned b, uint64_t ver, const struct bucket *bk);
struct entry *sc_store_bucket_find(struct bucket *bk, const uint8_t idx[SC_MAC_LEN]);

/* ---- dek.c: the DEK's versions and a rekey's journal ---- */
/* The sub-keys of k->dek (set by the caller) for the vault as it is now:
 * its DEK version, the carried keys, a running rekey's new DEK. Does not
 * check them against the state. */
int sc_store_keys_load(struct sc_vault *v, struct keys *k);
/* Load afresh from v->k->dek (a rekey began or ended since): SC_OK when the
 * keys changed. */
int sc_store_keys_reload(struct sc_vault *v);
/* Open a body sealed under the record key (meta 0) or the meta key (1):
 * the newest first, then during a rekey the old one (unless v->strict). */
int sc_store_open_either(struct sc_vault *v, int meta, const uint8_t *aad, size_t aad_len,
                         const uint8_t *body, size_t len, uint8_t *pt);
/* The old version's key for a keyed walk (NULL when none applies). */
const uint8_t *sc_store_old_key(const struct sc_vault *v, int meta);
/* Whether a rekey has begun and not finished (SC_ERR_BUSY with the way
 * out when so: for the commands that change key slots). */
int sc_store_rekey_refuse(struct sc_vault *v);
/* Public meta rows as numbers; *found 0 when absent. */
int sc_store_meta_u64(sqlite3 *db, const char *key, uint64_t *val, int *found);
int sc_store_meta_put_u64(sqlite3 *db, const char *key, uint64_t val);
int sc_store_meta_del(sqlite3 *db, const char *key);
/* The domain-separated AAD of dek.c's sealed rows. */
void sc_store_dek_aad(const struct sc_vault *v, const char *dom, uint64_t a, uint64_t b,
                      uint8_t *aad, size_t *n);
/* The sub-keys of a DEK. */
int sc_store_derive_keys(const struct sc_vault *v, const uint8_t dek[SC_KEY_LEN], struct keys *k);

/* ---- keyrefs.c: the reference index ----
 * note: the body at a place (a record: SC_REF_RECORD, chain its id; a kept
 * version: SC_REF_HISTORY, chain and ver) is now s (NULL: gone; for the
 * history, ver 0 with s NULL: the whole chain). Written at once, unless
 * v->refs_defer: then by sc_store_refs_flush (drop on a rollback). */
#define SC_REF_RECORD 1
#define SC_REF_HISTORY 2
struct sc_store_refs;
struct sc_store_ref_place {
	int kind;
	uint64_t chain, ver;
	uint8_t idx[SC_MAC_LEN];
};
/* ver: a record's version (its AAD's); idx: a kept version's blinded
 * name (NULL for a record, or with s NULL) */
int sc_store_refs_note(struct sc_vault *v, int kind, uint64_t chain, uint64_t ver,
                       const uint8_t *idx, const struct sc_secret *s);
int sc_store_refs_flush(struct sc_vault *v);
void sc_store_refs_drop(struct sc_vault *v);
void sc_store_refs_free(struct sc_store_refs *x);
/* The row read under old_key sealed again under v->k->keyring (a rekey). */
int sc_store_refs_reseal(struct sc_vault *v, const uint8_t old_key[SC_KEY_LEN]);
/* Up to cap places whose fields use key name below version `below`. */
int sc_store_refs_below(struct sc_vault *v, const char *name, uint32_t below,
                        struct sc_store_ref_place *out, size_t cap, size_t *n);

/* ---- fieldkeys.c: fields sealed under a named key ----
 * seal: *out (NULL when nothing to seal) is s with every field that names
 * a key and holds its plaintext sealed under the key's newest version; the
 * keyring is saved in the caller's transaction. open: *s replaced by a
 * copy with every sealed field opened (nothing done when none is). kr
 * caches the keyring between calls (NULL at first; free it). */
struct sc_keyring;
int sc_store_fk_seal(struct sc_vault *v, const struct sc_secret *s, struct sc_secret **out);
int sc_store_fk_open(struct sc_vault *v, struct sc_keyring **kr, struct sc_secret **s);
/* As open, into *out (NULL when s has no sealed field). */
int sc_store_fk_open_copy(struct sc_vault *v, struct sc_keyring **kr, const struct sc_secret *s,
                          struct sc_secret **out);
/* s with its fields under key name below version `below` sealed again
 * under the key's newest (*nfields of them), in *out. */
int sc_store_fk_rewrap(struct sc_vault *v, struct sc_keyring *kr, const char *name, uint32_t below,
                       const struct sc_secret *s, struct sc_secret **out, size_t *nfields);
/* s with every sealed field's value empty, in *out (NULL when none). */
int sc_store_fk_blank_copy(const struct sc_secret *s, struct sc_secret **out);
/* sc_vault_walk without opening sealed fields (a rekey's check). */
int sc_store_walk_sealed(struct sc_vault *v, sc_vault_walk_fn fn, void *arg);

/* ---- records.c, for the version operations (versions.c) ---- */
int sc_store_blind(struct sc_vault *v, const char *name, uint8_t idx[SC_MAC_LEN]);
/* Decrypt and decode record e (its name must be want_name when given). */
int sc_store_record_load(struct sc_vault *v, const struct entry *e, const char *want_name,
                         struct sc_secret **out);
int sc_store_record_write(struct sc_vault *v, uint64_t id, uint64_t version,
                          const struct sc_secret *s);
int sc_store_record_delete(struct sc_vault *v, uint64_t id);
/* Record e's body sealed again, as it is, under the newest record key. */
int sc_store_record_reseal(struct sc_vault *v, const struct entry *e);
/* A read transaction unless the caller holds one. */
int sc_store_begin_read(struct sc_vault *v, int *began);
void sc_store_end_read(struct sc_vault *v, int began);
/* The write of modify_body with a retention (0: unchanged). */
int sc_store_put_keep(struct sc_vault *v, const struct sc_secret *s, unsigned keep);

/* ---- history.c: the sealed history rows and each chain's head ----
 * A chain is one secret's line of versions; its id is the record id. Row
 * (chain, 0) is the head: the newest version's number, the retention, the
 * kept older versions, deleted or not, the blinded name; sealed with AAD
 * (vault id, chain, anchor), the anchor being the version of the chain's
 * index entry (0 once deleted), so an old head cannot be put back under a
 * newer record. Rows (chain, N > 0) hold version N's record body, sealed
 * with AAD (vault id, chain, N, blinded name). */
struct hist_head {
	uint8_t idx[SC_MAC_LEN];
	uint64_t cur;  /* the newest version's number */
	uint32_t keep; /* 0: SC_HISTORY_KEEP_DEFAULT */
	int deleted;
	int64_t deleted_at;
	size_t n; /* kept versions in rows, ascending (cur among them once deleted) */
	uint64_t *vers;
};
void sc_store_head_release(struct hist_head *h);
/* *found 0 (h zeroed, cur 1) when the chain has no head. */
int sc_store_head_read(struct sc_vault *v, uint64_t chain, uint64_t anchor, struct hist_head *h,
                       int *found);
int sc_store_head_write(struct sc_vault *v, uint64_t chain, uint64_t anchor,
                        const struct hist_head *h);
int sc_store_head_open(struct sc_vault *v, uint64_t chain, uint64_t anchor, const uint8_t *body,
                       size_t len, struct hist_head *h);
int sc_store_hist_row_put(struct sc_vault *v, uint64_t chain, uint64_t ver,
                          const uint8_t idx[SC_MAC_LEN], const struct sc_secret *s);
int sc_store_hist_row_get(struct sc_vault *v, uint64_t chain, uint64_t ver,
                          const uint8_t idx[SC_MAC_LEN], const char *want_name,
                          struct sc_secret **out);
int sc_store_hist_row_del(struct sc_vault *v, uint64_t chain, uint64_t ver);
/* Row (chain, ver) sealed again, as it is, under the newest record key. */
int sc_store_hist_row_reseal(struct sc_vault *v, uint64_t chain, uint64_t ver,
                             const uint8_t idx[SC_MAC_LEN]);
int sc_store_hist_chain_del(struct sc_vault *v, uint64_t chain);
int sc_store_hist_chain_used(struct sc_vault *v, uint64_t chain, int *used);
unsigned sc_store_hist_keep(const struct hist_head *h);
/* Drop the oldest rows until at most keep versions remain; *dropped += n. */
int sc_store_hist_trim(struct sc_vault *v, uint64_t chain, struct hist_head *h, unsigned keep,
                       size_t *dropped);
/* The hooks of a write: old (at old_anchor) becomes a kept version, or a
 * new chain starts (old NULL); a delete keeps the last version too. */
int sc_store_hist_on_write(struct sc_vault *v, uint64_t chain, const uint8_t idx[SC_MAC_LEN],
                           uint64_t old_anchor, uint64_t new_anchor, const struct sc_secret *old,
                           unsigned keep);
int sc_store_hist_on_delete(struct sc_vault *v, uint64_t chain, const uint8_t idx[SC_MAC_LEN],
                            uint64_t old_anchor, const struct sc_secret *old);
int sc_store_hist_enabled(const struct sc_vault *v);

#endif
