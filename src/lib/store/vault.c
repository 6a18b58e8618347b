/* vault.c - the encrypted vault's life: create, open, unlock (through the
 * key-slot table), passwd, close, and the sub-keys derived from the DEK.
 *
 * Everything secret is sealed with AES-256-GCM under keys derived from the
 * DEK. The record set is authenticated by a sealed state (state.c); records
 * are in records.c, the SQLite plumbing in db.c. */
#include <sys/statvfs.h>

#include "store/vault_int.h"

/* ---- keys ---- */

/* Wrap the DEK into the password slot (slot 1). */
static int wrap_password(const struct sc_vault *v, const uint8_t *dek, const char *pw,
                         size_t pw_len, const struct sc_kdf_params *kp, uint8_t *params,
                         size_t *plen, uint8_t *wrapped, size_t *wlen)
{
	const struct sc_keyslot_kind *kind = sc_keyslot_kind(SC_KEYSLOT_PASSWORD);
	struct sc_keyslot_ctx c = {.vault_id = v->id, .slot_id = 1};

	if (kind == NULL)
		return SC_ERR_INTERNAL;
	return kind->wrap(&c, dek, pw, pw_len, kp, params, plen, wrapped, wlen);
}

/* ---- schema and migrations ---- */

static const char schema_v1[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE keyslots (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
    " params BLOB NOT NULL, wrapped BLOB NOT NULL);"
    "CREATE TABLE state (id INTEGER PRIMARY KEY CHECK (id = 1), body BLOB NOT NULL);"
    "CREATE TABLE buckets (id INTEGER PRIMARY KEY, body BLOB NOT NULL);"
    "CREATE TABLE records (id INTEGER PRIMARY KEY, body BLOB NOT NULL);";

/* Format 2: the history of every secret (history.c). */
static const char schema_v2[] =
    "CREATE TABLE history (chain INTEGER NOT NULL, ver INTEGER NOT NULL,"
    " body BLOB NOT NULL, PRIMARY KEY (chain, ver)) WITHOUT ROWID;";

/* Format 1 to 2: the history table, empty (the secrets start at version 1).
 * Needs no key, so it runs at open, in one transaction; another process may
 * have done it since we read the format. */
static int migrate_1_2(struct sc_vault *v)
{
	sqlite3_stmt *q = NULL;
	const void *val;
	uint8_t fmt[8];
	int len, r;

	if ((r = sc_store_exec_sql(v->db, "BEGIN IMMEDIATE;")) != SC_OK)
		return r;
	if ((r = sc_store_meta_get(v->db, "format", &val, &len, &q)) != SC_OK)
		goto fail;
	if (len != 8) {
		r = SC_ERR_CORRUPT;
		goto fail;
	}
	if (sc_be64_get(val) == 1) {
		sc_be64_put(fmt, 2);
		if ((r = sc_store_exec_sql(v->db, schema_v2)) != SC_OK ||
		    (r = sc_store_meta_put(v->db, "format", fmt, 8)) != SC_OK)
			goto fail;
	} else if (sc_be64_get(val) != 2) {
		r = SC_ERR_CORRUPT;
		goto fail;
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((r = sc_store_exec_sql(v->db, "COMMIT;")) != SC_OK)
		goto fail;
	v->format = 2;
	return SC_OK;
fail:
	sqlite3_finalize(q);
	(void)sc_store_exec_sql(v->db, "ROLLBACK;");
	return r;
}

/* Migrations from format N to N+1, run at open (each in one transaction). */
typedef int (*migrate_fn)(struct sc_vault *v);
static const migrate_fn migrations[] = {migrate_1_2};

/* ---- public: create, open, unlock ---- */

int sc_vault_default_dir(char **out)
{
	const char *d = getenv("SECRETCTL_VAULT_DIR"), *home;

	*out = NULL;
	if (d != NULL && *d != '\0') {
		*out = strdup(d);
		return *out ? SC_OK : SC_ERR_NOMEM;
	}
	home = getenv("HOME");
	if (home == NULL || *home != '/') {
		sc_set_error("HOME is not set; use --vault DIR or SECRETCTL_VAULT_DIR");
		return SC_ERR_INVALID;
	}
	*out = sc_store_path_join(home, ".secretctl");
	return *out ? SC_OK : SC_ERR_NOMEM;
}

/* Build a complete vault in a private temporary file, then link() it into
 * place: a crash at any moment leaves either no vault or a whole one (and a
 * stray temporary file, never a half-made vault.db), and link() refuses to
 * replace an existing vault atomically. */
int sc_vault_create(const char *dir, const char *pw, size_t pw_len,
                    const struct sc_kdf_params *params)
{
	struct sc_kdf_params kp = {SC_ARGON2_MEM_KIB_DEFAULT, SC_ARGON2_T_DEFAULT};
	struct sc_vault v = {0};
	struct keys *k = NULL;
	struct state st = {0};
	uint8_t sp[SC_KEYSLOT_PARAMS_MAX], wrapped[SC_KEYSLOT_WRAPPED_MAX], fmt[8], rnd[8];
	size_t splen, wlen;
	char *path = NULL, *tmp = NULL;
	sqlite3_stmt *q = NULL;
	struct stat sb;
	int r, rc, fd;

	sc_clear_error();
	if (params != NULL)
		kp = *params;
	if (sc_keyslot_password_params_ok(&kp) != SC_OK)
		return SC_ERR_INVALID;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		sc_set_error("cannot create '%s': %s", dir, strerror(errno));
		return errno == EACCES ? SC_ERR_PERM : SC_ERR_IO;
	}
	if ((r = sc_store_check_owner_mode(dir, 1, 1)) != SC_OK)
		return r;
	if ((path = sc_store_path_join(dir, DB_NAME)) == NULL)
		return SC_ERR_NOMEM;
	if (lstat(path, &sb) == 0) {
		sc_set_error("a vault already exists in '%s'", dir);
		free(path);
		return SC_ERR_EXISTS;
	}
	sc_random(rnd, sizeof(rnd));
	if (asprintf(&tmp, "%s/.%s.new-%02x%02x%02x%02x%02x%02x%02x%02x", dir, DB_NAME, rnd[0],
	             rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]) < 0) {
		free(path);
		return SC_ERR_NOMEM;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		sc_set_error("cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		free(path);
		return SC_ERR_IO;
	}
	close(fd);
	v.dir = (char *)dir;
	if ((r = sc_store_open_db(tmp, 0, &v.db)) != SC_OK)
		goto fail;
	if ((r = sc_store_db_configure(v.db)) != SC_OK)
		goto fail;
	if ((k = sc_secmem_alloc(sizeof(*k))) == NULL) {
		r = SC_ERR_NOMEM;
		goto fail;
	}
	v.k = k;
	sc_random(v.id, ID_LEN);
	sc_random(k->dek, SC_KEY_LEN);
	if ((r = sc_store_derive_keys(&v, k->dek, k)) != SC_OK)
		goto fail;
	if ((r = wrap_password(&v, k->dek, pw, pw_len, &kp, sp, &splen, wrapped, &wlen)) != SC_OK)
		goto fail;
	if ((r = sc_store_exec_sql(v.db, "BEGIN IMMEDIATE;")) != SC_OK)
		goto fail;
	if ((r = sc_store_exec_sql(v.db, schema_v1)) != SC_OK ||
	    (r = sc_store_exec_sql(v.db, schema_v2)) != SC_OK)
		goto fail;
	sc_be64_put(fmt, SC_VAULT_FORMAT);
	if ((r = sc_store_meta_put(v.db, "format", fmt, 8)) != SC_OK ||
	    (r = sc_store_meta_put(v.db, "vault_id", v.id, ID_LEN)) != SC_OK ||
	    (r = sc_store_meta_put_u64(v.db, "dek_created", (uint64_t)time(NULL))) != SC_OK)
		goto fail;
	rc = sc_store_prepare_fixed(
	    v.db, "INSERT INTO keyslots (id, kind, params, wrapped) VALUES (1, ?, ?, ?)", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 1, SC_KEYSLOT_PASSWORD);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, sp, (int)splen, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 3, wrapped, (int)wlen, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		r = sc_store_db_err(v.db, rc);
		goto fail;
	}
	if ((r = sc_store_state_write(&v, &st)) != SC_OK)
		goto fail;
	if ((r = sc_store_exec_sql(v.db, "COMMIT;")) != SC_OK)
		goto fail;
	/* closing the last connection checkpoints the WAL into the file */
	sc_store_stmts_release(&v);
	if (sqlite3_close(v.db) != SQLITE_OK) {
		v.db = NULL;
		r = SC_ERR_DB;
		goto fail;
	}
	v.db = NULL;
	if ((r = sc_store_fsync_path(tmp, 0)) != SC_OK)
		goto fail;
	if (link(tmp, path) != 0) {
		r = errno == EEXIST ? SC_ERR_EXISTS : SC_ERR_IO;
		sc_set_error(errno == EEXIST ? "a vault already exists in '%s'"
		                             : "cannot put the new vault in place in '%s'",
		             dir);
		goto fail;
	}
	sc_store_unlink_db_files(tmp);
	if ((r = sc_store_fsync_path(dir, 1)) != SC_OK)
		sc_set_error("the vault was created but '%s' could not be synced", dir);
	sc_secmem_free(k);
	free(tmp);
	free(path);
	return r;
fail:
	sc_secmem_free(k);
	sc_store_stmts_release(&v);
	if (v.db != NULL)
		sqlite3_close(v.db);
	sc_store_unlink_db_files(tmp);
	free(tmp);
	free(path);
	return r;
}

int sc_vault_open(const char *dir, struct sc_vault **out)
{
	struct statvfs vfs;
	struct sc_vault *v;
	sqlite3_stmt *q = NULL;
	const void *val;
	int len, r;
	size_t step;

	*out = NULL;
	sc_clear_error();
	if ((r = sc_store_check_files(dir)) != SC_OK) {
		if (r == SC_ERR_NO_VAULT)
			sc_set_error("no vault in '%s'; create one with 'secretctl init'", dir);
		return r;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return SC_ERR_NOMEM;
	v->dir = strdup(dir);
	v->db_path = sc_store_path_join(dir, DB_NAME);
	if (v->dir == NULL || v->db_path == NULL) {
		r = SC_ERR_NOMEM;
		goto fail;
	}
	if ((r = sc_store_check_header(v->db_path)) != SC_OK)
		goto fail;
	if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0) {
		v->readonly = 1;
		if ((r = sc_store_open_db_ro(v->db_path, &v->db)) != SC_OK ||
		    (r = sc_store_exec_sql(v->db, "PRAGMA trusted_schema = OFF;")) != SC_OK)
			goto fail;
	} else if ((r = sc_store_open_db(v->db_path, 0, &v->db)) != SC_OK ||
	           (r = sc_store_db_configure(v->db)) != SC_OK) {
		goto fail;
	}
	if ((r = sc_store_meta_get(v->db, "format", &val, &len, &q)) != SC_OK)
		goto fail;
	if (len != 8) {
		r = SC_ERR_CORRUPT;
		goto fail;
	}
	v->format = (int64_t)sc_be64_get(val);
	sqlite3_finalize(q);
	q = NULL;
	if (v->format < 1) {
		r = SC_ERR_CORRUPT;
		goto fail;
	}
	if (v->format > SC_VAULT_FORMAT) {
		sc_set_error(
		    "vault format %lld is newer than this secretctl supports (%d); upgrade "
		    "secretctl",
		    (long long)v->format, SC_VAULT_FORMAT);
		r = SC_ERR_VERSION;
		goto fail;
	}
	/* on a read-only file system an old vault is read as it is (format 1:
	 * no history yet); nothing can be written there anyway */
	for (step = (size_t)v->format; step < SC_VAULT_FORMAT && !v->readonly; step++)
		if (migrations[step - 1] == NULL || (r = migrations[step - 1](v)) != SC_OK) {
			if (r != SC_ERR_BUSY && r != SC_ERR_NOSPACE && r != SC_ERR_IO)
				r = SC_ERR_VERSION;
			goto fail;
		}
	if ((r = sc_store_meta_get(v->db, "vault_id", &val, &len, &q)) != SC_OK)
		goto fail;
	if (len != ID_LEN) {
		r = SC_ERR_CORRUPT;
		goto fail;
	}
	memcpy(v->id, val, ID_LEN);
	sqlite3_finalize(q);
	*out = v;
	return SC_OK;
fail:
	if (r == SC_ERR_DB) {
		/* no meta table, a foreign database: not ours, or not whole */
		sc_set_error("'%s' is not a secretctl vault (or is damaged)",
		             v->db_path ? v->db_path : dir);
		r = SC_ERR_CORRUPT;
	}
	if (r == SC_ERR_CORRUPT && sc_last_error()[0] == '\0')
		sc_set_error("'%s' is corrupt or not a secretctl vault",
		             v->db_path ? v->db_path : dir);
	sqlite3_finalize(q);
	sc_vault_close(v);
	return r;
}

void sc_vault_close(struct sc_vault *v)
{
	if (v == NULL)
		return;
	sc_secmem_free(v->k);
	sc_store_stmts_release(v);
	sc_store_refs_free(v->refs);
	if (v->db != NULL)
		sqlite3_close(v->db);
	free(v->dir);
	free(v->db_path);
	free(v);
}

const char *sc_vault_dir(const struct sc_vault *v)
{
	return v->dir;
}

const uint8_t *sc_vault_id(const struct sc_vault *v)
{
	return v->id;
}

int sc_vault_is_unlocked(const struct sc_vault *v)
{
	return v->k != NULL;
}

/* Install a DEK and check it opens the sealed state. */
static int install_dek(struct sc_vault *v, struct keys *k)
{
	struct state st;
	int r;

	if ((r = sc_store_keys_load(v, k)) != SC_OK)
		return r;
	sc_secmem_free(v->k);
	v->k = k;
	if ((r = sc_store_state_read(v, &st)) != SC_OK) {
		v->k = NULL;
		return r;
	}
	return SC_OK;
}

/* Whether the vault has a key slot of any kind (a vault with none is
 * corrupt; one without a password slot is opened by its token). */
static int any_slot(struct sc_vault *v)
{
	sqlite3_stmt *q = NULL;
	int any = 0;

	if (sc_store_prepare_fixed(v->db, "SELECT 1 FROM keyslots LIMIT 1", 0, &q) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		any = 1;
	sqlite3_finalize(q);
	return any;
}

/* Try every slot of a kind with one credential. */
static int unlock_kind(struct sc_vault *v, int kind_no, const void *cred, size_t cred_len)
{
	const struct sc_keyslot_kind *kind = sc_keyslot_kind(kind_no);
	sqlite3_stmt *q = NULL;
	struct keys *k = NULL;
	int rc, r = SC_ERR_AUTH, slots = 0;

	sc_clear_error();
	if (kind == NULL)
		return SC_ERR_INTERNAL;
	if ((k = sc_secmem_alloc(sizeof(*k))) == NULL)
		return SC_ERR_NOMEM;
	rc = sc_store_prepare_fixed(
	    v->db, "SELECT id, params, wrapped FROM keyslots WHERE kind = ?", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 1, kind_no);
	if (rc != SQLITE_OK) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct sc_keyslot_ctx c = {.vault_id = v->id,
		                           .slot_id = sqlite3_column_int64(q, 0)};

		slots++;
		r = kind->unwrap(&c, sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1),
		                 sqlite3_column_blob(q, 2), (size_t)sqlite3_column_bytes(q, 2),
		                 cred, cred_len, k->dek);
		if (r == SC_OK)
			break;
		if (r != SC_ERR_AUTH && r != SC_ERR_CORRUPT)
			goto out; /* out of memory, crypto failure: not a verdict on the slot */
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	if (slots == 0 && kind_no == SC_KEYSLOT_PASSWORD && any_slot(v)) {
		/* its password slot was removed: a token slot opens it */
		sc_set_error("the vault has no password slot: unlock with its token (--token URI)");
		r = SC_ERR_AUTH;
	} else if (slots == 0) {
		r = SC_ERR_CORRUPT;
	}
	if (r != SC_OK)
		goto out;
	if ((r = install_dek(v, k)) == SC_OK)
		k = NULL;
out:
	sqlite3_finalize(q);
	sc_secmem_free(k);
	return r;
}

int sc_vault_unlock(struct sc_vault *v, const char *pw, size_t pw_len)
{
	return unlock_kind(v, SC_KEYSLOT_PASSWORD, pw, pw_len);
}

int sc_vault_unlock_dek(struct sc_vault *v, const uint8_t dek[SC_KEY_LEN])
{
	struct keys *k;
	int r;

	if ((k = sc_secmem_alloc(sizeof(*k))) == NULL)
		return SC_ERR_NOMEM;
	memcpy(k->dek, dek, SC_KEY_LEN);
	if ((r = install_dek(v, k)) != SC_OK) {
		sc_secmem_free(k);
		return r == SC_ERR_CORRUPT ? SC_ERR_AUTH : r;
	}
	return SC_OK;
}

int sc_vault_export_dek(const struct sc_vault *v, uint8_t dek[SC_KEY_LEN])
{
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	memcpy(dek, v->k->dek, SC_KEY_LEN);
	return SC_OK;
}

static int passwd(struct sc_vault *v, const char *new_pw, size_t new_pw_len,
                  const struct sc_kdf_params *params, int in_txn)
{
	struct sc_kdf_params kp = {SC_ARGON2_MEM_KIB_DEFAULT, SC_ARGON2_T_DEFAULT};
	uint8_t sp[SC_KEYSLOT_PARAMS_MAX], wrapped[SC_KEYSLOT_WRAPPED_MAX];
	size_t splen, wlen;
	sqlite3_stmt *q = NULL;
	int rc, r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if (params != NULL)
		kp = *params;
	if (sc_keyslot_password_params_ok(&kp) != SC_OK)
		return SC_ERR_INVALID;
	/* Slot 1 is the password slot; other kinds of slot are left as they are. */
	if ((r = wrap_password(v, v->k->dek, new_pw, new_pw_len, &kp, sp, &splen, wrapped,
	                       &wlen)) != SC_OK)
		return r;
	if (in_txn && sqlite3_get_autocommit(v->db))
		return SC_ERR_INTERNAL;
	if (!in_txn && (r = sc_store_exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		return r;
	/* a rekey rewraps this slot with the password it was given */
	if ((r = sc_store_rekey_refuse(v)) != SC_OK) {
		if (!in_txn)
			sc_store_rollback(v);
		return r;
	}
	rc = sc_store_prepare_fixed(
	    v->db, "UPDATE keyslots SET params = ?, wrapped = ? WHERE id = 1 AND kind = ?", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 1, sp, (int)splen, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, wrapped, (int)wlen, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 3, SC_KEYSLOT_PASSWORD);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE || sqlite3_changes(v->db) != 1) {
		r = rc != SQLITE_DONE ? sc_store_db_err(v->db, rc) : SC_ERR_NOT_FOUND;
		if (r == SC_ERR_NOT_FOUND)
			sc_set_error("the vault has no password slot (it was removed): a token "
			             "slot opens it");
		if (!in_txn)
			sc_store_rollback(v);
		return r;
	}
	if (in_txn)
		return SC_OK;
	if ((r = sc_store_exec_kept(v, "COMMIT;")) != SC_OK) {
		sc_store_rollback(v);
		return r;
	}
	return sc_vault_checkpoint(v);
}

int sc_vault_passwd(struct sc_vault *v, const char *new_pw, size_t new_pw_len,
                    const struct sc_kdf_params *params)
{
	return passwd(v, new_pw, new_pw_len, params, 0);
}

int sc_vault_passwd_in_txn(struct sc_vault *v, const char *new_pw, size_t new_pw_len,
                           const struct sc_kdf_params *params)
{
	return passwd(v, new_pw, new_pw_len, params, 1);
}

int sc_vault_checkpoint(struct sc_vault *v)
{
	int rc;

	/* Fold the WAL into the database and truncate it, so no frame holding
	 * the old wrapped key survives; secure_delete zeroed the old cell. */
	rc = sqlite3_wal_checkpoint_v2(v->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (rc != SQLITE_OK) {
		sc_set_error("password changed, but the old key slot may remain in '%s-wal' until "
		             "the next checkpoint (another process holds the vault open)",
		             v->db_path);
		return SC_ERR_BUSY;
	}
	return SC_OK;
}
