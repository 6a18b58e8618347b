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

struct keys {
	uint8_t dek[SC_KEY_LEN];
	uint8_t rec[SC_KEY_LEN];
	uint8_t idx[SC_KEY_LEN];
	uint8_t meta[SC_KEY_LEN];
	uint8_t audit[SC_KEY_LEN];
	uint8_t keyring[SC_KEY_LEN];
};

#define STMT_CACHE 24

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
int sc_store_state_write(struct sc_vault *v, const struct state *st);
void sc_store_bucket_release(struct bucket *bk);
int sc_store_bucket_reserve(struct bucket *bk, size_t n);
int sc_store_bucket_read(struct sc_vault *v, const struct state *st, unsigned b, struct bucket *bk);
int sc_store_buckets_read_all(struct sc_vault *v, const struct state *st, struct bucket *all);
int sc_store_bucket_write(struct sc_vault *v, unsigned b, uint64_t ver, const struct bucket *bk);
struct entry *sc_store_bucket_find(struct bucket *bk, const uint8_t idx[SC_MAC_LEN]);

#endif
