/* db.c - the vault's SQLite plumbing: statements, the meta table, file
 * checks (owner, mode, symlinks, header) and syncing. */
#include <pthread.h>

#include "secretctl/fault.h"
#include "store/vault_int.h"

char *sc_store_path_join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* The errno of SQLite's last failed system call in this thread, from its
 * log ("os_unix.c:N: (28) full_fsync(PATH) - ..."): sqlite3_system_errno()
 * reads errno after the fact, when an fsync's ENOSPC is long gone. */
static _Thread_local int sqlite_log_errno;

static void sqlite_log(void *arg, int code, const char *msg)
{
	const char *p = strstr(msg, ": (");

	(void)arg;
	(void)code;
	if (p != NULL && p[3] >= '1' && p[3] <= '9')
		sqlite_log_errno = atoi(p + 3);
}

static void sqlite_log_setup(void)
{
	/* only before SQLite initializes; later it is refused, harmlessly */
	(void)sqlite3_config(SQLITE_CONFIG_LOG, sqlite_log, NULL);
}

/* SQLite's failure as our status. I/O failures say what the system said
 * (SQLite keeps the errno) and which vault: ENOSPC on -shm is "no space
 * left on device", not "input/output error". */
int sc_store_db_err(sqlite3 *db, int rc)
{
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return SC_ERR_BUSY;
	if (rc == SQLITE_NOMEM)
		return SC_ERR_NOMEM;
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		return SC_ERR_CORRUPT;
	if (rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_READONLY ||
	    rc == SQLITE_CANTOPEN) {
		int e = sqlite_log_errno != 0 ? sqlite_log_errno
		        : db != NULL          ? sqlite3_system_errno(db)
		                              : 0;
		int st = rc == SQLITE_FULL       ? SC_ERR_NOSPACE
		         : rc == SQLITE_READONLY ? SC_ERR_READONLY
		         : e != 0                ? sc_status_from_errno(e)
		                                 : SC_ERR_IO;
		const char *path = db != NULL ? sqlite3_db_filename(db, "main") : NULL;

		if (rc == SQLITE_READONLY && e != 0 && e != EROFS)
			st = sc_status_from_errno(e);
		sqlite_log_errno = 0;
		if (path != NULL && path[0] != '\0')
			sc_set_error("'%s': %s", path, sc_strerror(st));
		return st;
	}
	if (db != NULL)
		sc_set_error("sqlite: %s", sqlite3_errmsg(db));
	return SC_ERR_DB;
}

/*
 * Prepare one of our own statements. They are fixed and match the schema of
 * every vault this version opens, so one that does not compile (no such
 * table or column) means the schema in the file was changed: a tampered or
 * corrupt vault, not a program error.
 */
int sc_store_prepare_fixed(sqlite3 *db, const char *sql, unsigned flags, sqlite3_stmt **q)
{
	int rc = sqlite3_prepare_v3(db, sql, -1, flags, q, NULL);

	return rc == SQLITE_ERROR ? SQLITE_CORRUPT : rc;
}

int sc_store_exec_sql(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? SC_OK : sc_store_db_err(db, rc);
}

/*
 * Prepared statements are kept on the vault handle, keyed by the address of
 * their SQL text (a literal at each call site): an agent or MCP server runs
 * the same dozen statements for every request, and parsing them again was
 * a sixth of a run's cost. sc_store_stmt_done() resets a kept statement and drops
 * its bindings instead of finalizing it; sc_vault_close() finalizes them.
 */
int sc_store_stmt_prepare(struct sc_vault *v, const char *sql, sqlite3_stmt **q)
{
	int i, rc;

	for (i = 0; i < v->nstmts; i++)
		if (v->stmts[i].sql == sql) {
			*q = v->stmts[i].q;
			return SQLITE_OK;
		}
	rc = sc_store_prepare_fixed(v->db, sql, SQLITE_PREPARE_PERSISTENT, q);
	if (rc == SQLITE_OK && v->nstmts < STMT_CACHE) {
		v->stmts[v->nstmts].sql = sql;
		v->stmts[v->nstmts].q = *q;
		v->nstmts++;
	}
	return rc;
}

void sc_store_stmt_done(struct sc_vault *v, sqlite3_stmt *q)
{
	int i;

	if (q == NULL)
		return;
	for (i = 0; i < v->nstmts; i++)
		if (v->stmts[i].q == q) {
			sqlite3_reset(q);
			sqlite3_clear_bindings(q);
			return;
		}
	sqlite3_finalize(q);
}

void sc_store_stmts_release(struct sc_vault *v)
{
	while (v->nstmts > 0)
		sqlite3_finalize(v->stmts[--v->nstmts].q);
}

/* A statement without rows (BEGIN, COMMIT, a PRAGMA), kept like the rest. */
/* Undo a failed write, keeping the failure's own error: the ROLLBACK's
 * ("cannot rollback - no transaction is active", after SQLite has already
 * rolled back on an I/O error) must not replace it. */
void sc_store_rollback(struct sc_vault *v)
{
	char keep[512];

	snprintf(keep, sizeof(keep), "%s", sc_last_error());
	if (sqlite3_get_autocommit(v->db) == 0)
		(void)sqlite3_exec(v->db, "ROLLBACK;", NULL, NULL, NULL);
	if (keep[0] != '\0')
		sc_set_error("%s", keep);
	else
		sc_clear_error();
}

int sc_store_exec_kept(struct sc_vault *v, const char *sql)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = sc_store_stmt_prepare(v, sql, &q);
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(q)) == SQLITE_ROW)
			;
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sc_store_stmt_done(v, q);
	return rc == SQLITE_OK ? SC_OK : sc_store_db_err(v->db, rc);
}

/* ---- permissions: refuse what another user could read, swap or follow ---- */

int sc_store_check_owner_mode(const char *path, int want_dir, int must_exist)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT && !must_exist)
			return SC_OK;
		if (errno == ENOENT)
			return want_dir ? SC_ERR_NO_VAULT : SC_ERR_NOT_FOUND;
		sc_set_error("'%s': %s", path, strerror(errno));
		return SC_ERR_IO;
	}
	if (S_ISLNK(st.st_mode)) {
		sc_set_error("'%s' is a symbolic link; secretctl refuses to follow it "
		             "(use the real path)",
		             path);
		return SC_ERR_PERM;
	}
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		sc_set_error("'%s' is not a %s", path, want_dir ? "directory" : "regular file");
		return SC_ERR_PERM;
	}
	if (st.st_uid != geteuid()) {
		sc_set_error("'%s' is owned by uid %u, not by you (uid %u)", path,
		             (unsigned)st.st_uid, (unsigned)geteuid());
		return SC_ERR_PERM;
	}
	if ((st.st_mode & 077) != 0) {
		sc_set_error("'%s' is accessible by group or others (mode %04o); fix with: "
		             "chmod %s '%s'",
		             path, (unsigned)(st.st_mode & 07777), want_dir ? "700" : "600", path);
		return SC_ERR_PERM;
	}
	return SC_OK;
}

int sc_store_check_files(const char *dir)
{
	static const char *const files[] = {DB_NAME,     DB_NAME "-wal",  DB_NAME "-shm",
	                                    "audit.log", "audit.pending", "mcp-policy.yaml"};
	size_t i;
	int r;

	if ((r = sc_store_check_owner_mode(dir, 1, 1)) != SC_OK)
		return r;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = sc_store_path_join(dir, files[i]);

		if (p == NULL)
			return SC_ERR_NOMEM;
		r = sc_store_check_owner_mode(p, 0, i == 0);
		if (r == SC_ERR_NOT_FOUND)
			r = SC_ERR_NO_VAULT;
		free(p);
		if (r != SC_OK)
			return r;
	}
	return SC_OK;
}

int sc_store_db_configure(sqlite3 *db)
{
	int r;

	sqlite3_busy_timeout(db, 10000);
	/* WAL with FULL sync: a commit is on disk when it returns; secure_delete
	 * zeroes freed pages so a replaced key slot leaves no copy behind. */
	if ((r = sc_store_exec_sql(db, "PRAGMA journal_mode = WAL;")) != SC_OK ||
	    (r = sc_store_exec_sql(db, "PRAGMA synchronous = FULL;")) != SC_OK ||
	    (r = sc_store_exec_sql(db, "PRAGMA secure_delete = ON;")) != SC_OK ||
	    (r = sc_store_exec_sql(db, "PRAGMA trusted_schema = OFF;")) != SC_OK)
		return r;
	/* Read the database file through a mapping rather than a pread() per
	 * page: a walk over 100k records spent a tenth of its time copying
	 * pages. Only reads use it (writes go through the WAL); the file holds
	 * only sealed data. */
	if ((r = sc_store_exec_sql(db, "PRAGMA mmap_size = 268435456;")) != SC_OK)
		return r;
	return SC_OK;
}

int sc_store_meta_get(sqlite3 *db, const char *key, const void **val, int *len, sqlite3_stmt **q)
{
	int rc;

	*q = NULL;
	rc = sc_store_prepare_fixed(db, "SELECT value FROM meta WHERE key = ?", 0, q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(*q, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(*q);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(*q);
		*q = NULL;
		return rc == SQLITE_DONE ? SC_ERR_CORRUPT : sc_store_db_err(db, rc);
	}
	*val = sqlite3_column_blob(*q, 0);
	*len = sqlite3_column_bytes(*q, 0);
	return SC_OK;
}

int sc_store_meta_put(sqlite3 *db, const char *key, const void *val, int len)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = sc_store_prepare_fixed(db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", 0,
	                            &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, val, len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SC_OK : sc_store_db_err(db, rc);
}

/* A vault on a read-only file system: nothing can change it, so SQLite may
 * read it as immutable (no locks, no -shm to create); with a WAL left
 * behind (a vault not closed cleanly) the WAL must be read too, so then a
 * plain read-only open, which needs the -shm there. Writes fail with
 * SQLITE_READONLY, said as "read-only file system". */
int sc_store_open_db_ro(const char *path, sqlite3 **out)
{
	char wal[PATH_MAX], *uri, *u;
	const char *s;
	struct stat sb;
	int rc, immutable;

	*out = NULL;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	immutable = lstat(wal, &sb) != 0 || sb.st_size == 0;
	if ((uri = malloc(strlen(path) * 3 + 32)) == NULL)
		return SC_ERR_NOMEM;
	u = uri + sprintf(uri, "file:");
	for (s = path; *s != '\0'; s++) /* percent-encode all but the plain */
		if (strchr("?#%", *s) != NULL || (unsigned char)*s < 0x21 ||
		    (unsigned char)*s > 0x7e)
			u += sprintf(u, "%%%02X", (unsigned char)*s);
		else
			*u++ = *s;
	sprintf(u, immutable ? "?immutable=1" : "?mode=ro");
	rc = sqlite3_open_v2(uri, out,
	                     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW |
	                         SQLITE_OPEN_FULLMUTEX,
	                     NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		int r = sc_store_db_err(*out, rc);

		sqlite3_close(*out);
		*out = NULL;
		return r == SC_ERR_DB ? SC_ERR_READONLY : r;
	}
	sqlite3_extended_result_codes(*out, 0);
	return SC_OK;
}

int sc_store_open_db(const char *path, int create, sqlite3 **out)
{
	static pthread_once_t log_once = PTHREAD_ONCE_INIT;
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX;

	(void)pthread_once(&log_once, sqlite_log_setup);
	sqlite_log_errno = 0;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, out, flags, NULL);
	if (rc != SQLITE_OK) {
		sc_set_error("'%s': %s", path, *out ? sqlite3_errmsg(*out) : "cannot open");
		sqlite3_close(*out);
		*out = NULL;
		return rc == SQLITE_CANTOPEN ? SC_ERR_IO : sc_store_db_err(NULL, rc);
	}
	sqlite3_extended_result_codes(*out, 0);
	return SC_OK;
}

void sc_store_unlink_db_files(const char *db)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char *p;
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
		if (asprintf(&p, "%s%s", db, sfx[i]) >= 0) {
			unlink(p);
			free(p);
		}
}

int sc_store_fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW), r;

	if (sc_fault_hit(SC_FAULT_IO))
		return SC_ERR_IO;
	if (fd < 0)
		return SC_ERR_IO;
	r = fsync(fd) == 0 ? SC_OK : SC_ERR_IO;
	close(fd);
	return r;
}
/*
 * The file's own header, before SQLite reads it: a vault is always in WAL
 * mode, so its read and write format versions (bytes 18 and 19) are both 2.
 * SQLite would open a file with a larger write version read-only and fail
 * later with an I/O error; a changed header is a tampered file.
 */
int sc_store_check_header(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	unsigned char h[100];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? SC_ERR_NO_VAULT : SC_ERR_IO;
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n < 0)
		return SC_ERR_IO;
	if ((size_t)n < sizeof(h) || memcmp(h, magic, sizeof(magic)) != 0 || h[18] != 2 ||
	    h[19] != 2)
		return SC_ERR_CORRUPT;
	return SC_OK;
}
