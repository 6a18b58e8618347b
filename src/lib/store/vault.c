/* vault.c - the encrypted vault: SQLite store, key slots, the sealed state
 * and index that authenticate the record set, and records.
 *
 * Everything secret is sealed with AES-256-GCM under keys derived from the
 * DEK. The record set is authenticated by a sealed state (a generation
 * counter, the audit anchor and the version of each of 256 index buckets)
 * and sealed buckets (record id, version and blinded name of each record in
 * the bucket). A record's AAD binds vault id, record id and version, so a
 * swapped, rolled-back, deleted or re-inserted record is an error. */
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

#define DB_NAME "vault.db"
#define ID_LEN SC_VAULT_ID_LEN
#define NBUCKETS 256
#define SLOT_PASSWORD 1
#define PARAMS_LEN (1 + 4 + 4 + SC_SALT_LEN)
#define STATE_MAGIC "SCS1"
#define STATE_LEN (4 + 8 + 8 + SC_MAC_LEN + 8 * NBUCKETS)
#define BUCKET_MAGIC "SCB1"
#define ENTRY_LEN (8 + 8 + SC_MAC_LEN)
#define RECORD_MAX (16 * 1024 * 1024)
/* Bounds on what a vault may ask of us: Argon2 memory 8 MiB .. 4 GiB. */
#define KDF_MEM_MIN 8192u
#define KDF_MEM_MAX (4u * 1024 * 1024)
#define KDF_T_MAX 64u

struct entry {
	uint64_t id, version;
	uint8_t idx[SC_MAC_LEN];
};

struct state {
	uint64_t gen;
	struct sc_audit_anchor anchor;
	uint64_t bver[NBUCKETS];
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
};

/* ---- small helpers ---- */

static void be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static char *path_join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

static int db_err(sqlite3 *db, int rc)
{
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return SC_ERR_BUSY;
	if (rc == SQLITE_NOMEM)
		return SC_ERR_NOMEM;
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		return SC_ERR_CORRUPT;
	if (rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_READONLY)
		return SC_ERR_IO;
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
static int prepare_fixed(sqlite3 *db, const char *sql, unsigned flags, sqlite3_stmt **q)
{
	int rc = sqlite3_prepare_v3(db, sql, -1, flags, q, NULL);

	return rc == SQLITE_ERROR ? SQLITE_CORRUPT : rc;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? SC_OK : db_err(db, rc);
}

/*
 * Prepared statements are kept on the vault handle, keyed by the address of
 * their SQL text (a literal at each call site): an agent or MCP server runs
 * the same dozen statements for every request, and parsing them again was
 * a sixth of a run's cost. stmt_done() resets a kept statement and drops
 * its bindings instead of finalizing it; sc_vault_close() finalizes them.
 */
static int stmt_prepare(struct sc_vault *v, const char *sql, sqlite3_stmt **q)
{
	int i, rc;

	for (i = 0; i < v->nstmts; i++)
		if (v->stmts[i].sql == sql) {
			*q = v->stmts[i].q;
			return SQLITE_OK;
		}
	rc = prepare_fixed(v->db, sql, SQLITE_PREPARE_PERSISTENT, q);
	if (rc == SQLITE_OK && v->nstmts < STMT_CACHE) {
		v->stmts[v->nstmts].sql = sql;
		v->stmts[v->nstmts].q = *q;
		v->nstmts++;
	}
	return rc;
}

static void stmt_done(struct sc_vault *v, sqlite3_stmt *q)
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

static void stmts_release(struct sc_vault *v)
{
	while (v->nstmts > 0)
		sqlite3_finalize(v->stmts[--v->nstmts].q);
}

/* A statement without rows (BEGIN, COMMIT, a PRAGMA), kept like the rest. */
static int exec_kept(struct sc_vault *v, const char *sql)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = stmt_prepare(v, sql, &q);
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(q)) == SQLITE_ROW)
			;
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	stmt_done(v, q);
	return rc == SQLITE_OK ? SC_OK : db_err(v->db, rc);
}

/* ---- permissions: refuse what another user could read, swap or follow ---- */

static int check_owner_mode(const char *path, int want_dir, int must_exist)
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

static int check_files(const char *dir)
{
	static const char *const files[] = {DB_NAME,     DB_NAME "-wal",  DB_NAME "-shm",
	                                    "audit.log", "audit.pending", "mcp-policy.yaml"};
	size_t i;
	int r;

	if ((r = check_owner_mode(dir, 1, 1)) != SC_OK)
		return r;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = path_join(dir, files[i]);

		if (p == NULL)
			return SC_ERR_NOMEM;
		r = check_owner_mode(p, 0, i == 0);
		if (r == SC_ERR_NOT_FOUND)
			r = SC_ERR_NO_VAULT;
		free(p);
		if (r != SC_OK)
			return r;
	}
	return SC_OK;
}

/* ---- keys ---- */

static int derive_keys(struct sc_vault *v, struct keys *k)
{
	static const struct {
		const char *info;
		size_t off;
	} sub[] = {
	    {"secretctl/v1/record", offsetof(struct keys, rec)},
	    {"secretctl/v1/index", offsetof(struct keys, idx)},
	    {"secretctl/v1/meta", offsetof(struct keys, meta)},
	    {"secretctl/v1/audit", offsetof(struct keys, audit)},
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if ((r = sc_hkdf(k->dek, SC_KEY_LEN, v->id, ID_LEN, (const uint8_t *)sub[i].info,
		                 strlen(sub[i].info), (uint8_t *)k + sub[i].off, SC_KEY_LEN)) !=
		    SC_OK)
			return r;
	return SC_OK;
}

static void slot_aad(const struct sc_vault *v, int64_t slot_id, int kind, const uint8_t *params,
                     size_t plen, uint8_t *aad, size_t *aad_len)
{
	static const char dom[] = "secretctl/v1/slot";
	size_t n = 0;

	memcpy(aad, dom, sizeof(dom));
	n += sizeof(dom);
	memcpy(aad + n, v->id, ID_LEN);
	n += ID_LEN;
	be64(aad + n, (uint64_t)slot_id);
	n += 8;
	aad[n++] = (uint8_t)kind;
	memcpy(aad + n, params, plen);
	n += plen;
	*aad_len = n;
}

static void params_encode(const struct sc_kdf_params *p, const uint8_t salt[SC_SALT_LEN],
                          uint8_t out[PARAMS_LEN])
{
	out[0] = 1; /* Argon2id v1.3, one lane */
	be32(out + 1, p->mem_kib);
	be32(out + 5, p->t);
	memcpy(out + 9, salt, SC_SALT_LEN);
}

static int params_decode(const uint8_t *in, size_t len, struct sc_kdf_params *p,
                         const uint8_t **salt)
{
	if (len != PARAMS_LEN || in[0] != 1)
		return SC_ERR_CORRUPT;
	p->mem_kib = rd32(in + 1);
	p->t = rd32(in + 5);
	/* a tampered slot must not make us allocate 4 TiB or spin for a day */
	if (p->mem_kib < KDF_MEM_MIN || p->mem_kib > KDF_MEM_MAX || p->t < 1 || p->t > KDF_T_MAX)
		return SC_ERR_CORRUPT;
	*salt = in + 9;
	return SC_OK;
}

static int kdf_params_ok(const struct sc_kdf_params *p)
{
	return p->mem_kib >= KDF_MEM_MIN && p->mem_kib <= KDF_MEM_MAX && p->t >= 1 &&
	       p->t <= KDF_T_MAX;
}

/* Seal the DEK under a password into (params, wrapped). */
static int wrap_dek(const struct sc_vault *v, int64_t slot_id, const uint8_t *dek, const char *pw,
                    size_t pw_len, const struct sc_kdf_params *kp, uint8_t params[PARAMS_LEN],
                    uint8_t wrapped[SC_KEY_LEN + SC_SEAL_OVERHEAD])
{
	uint8_t salt[SC_SALT_LEN], aad[64 + PARAMS_LEN], *kek;
	size_t aad_len;
	int r;

	if ((kek = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	sc_random(salt, sizeof(salt));
	params_encode(kp, salt, params);
	if ((r = sc_argon2id(pw, pw_len, salt, kp->mem_kib, kp->t, kek, SC_KEY_LEN)) != SC_OK)
		goto out;
	slot_aad(v, slot_id, SLOT_PASSWORD, params, PARAMS_LEN, aad, &aad_len);
	r = sc_seal(kek, aad, aad_len, dek, SC_KEY_LEN, wrapped);
out:
	sc_secmem_free(kek);
	return r;
}

/* ---- the sealed state and buckets ---- */

static void state_aad(const struct sc_vault *v, uint8_t *aad, size_t *n)
{
	static const char dom[] = "secretctl/v1/state";

	memcpy(aad, dom, sizeof(dom));
	memcpy(aad + sizeof(dom), v->id, ID_LEN);
	*n = sizeof(dom) + ID_LEN;
}

static int state_read(struct sc_vault *v, struct state *st)
{
	sqlite3_stmt *q = NULL;
	uint8_t aad[64], pt[STATE_LEN];
	const uint8_t *body;
	size_t aad_len, i;
	int rc, r;

	rc = stmt_prepare(v, "SELECT body FROM state WHERE id = 1", &q);
	if (rc != SQLITE_OK)
		return db_err(v->db, rc);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? SC_ERR_CORRUPT : db_err(v->db, rc);
		goto out;
	}
	body = sqlite3_column_blob(q, 0);
	if (body == NULL || (size_t)sqlite3_column_bytes(q, 0) != STATE_LEN + SC_SEAL_OVERHEAD) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	state_aad(v, aad, &aad_len);
	if ((r = sc_open(v->k->meta, aad, aad_len, body, STATE_LEN + SC_SEAL_OVERHEAD, pt)) !=
	    SC_OK)
		goto out;
	if (memcmp(pt, STATE_MAGIC, 4) != 0) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	st->gen = rd64(pt + 4);
	st->anchor.seq = rd64(pt + 12);
	memcpy(st->anchor.mac, pt + 20, SC_MAC_LEN);
	for (i = 0; i < NBUCKETS; i++)
		st->bver[i] = rd64(pt + 20 + SC_MAC_LEN + 8 * i);
	r = SC_OK;
out:
	stmt_done(v, q);
	return r;
}

static int state_write(struct sc_vault *v, const struct state *st)
{
	sqlite3_stmt *q = NULL;
	uint8_t aad[64], pt[STATE_LEN], sealed[STATE_LEN + SC_SEAL_OVERHEAD];
	size_t aad_len, i;
	int rc, r;

	memcpy(pt, STATE_MAGIC, 4);
	be64(pt + 4, st->gen);
	be64(pt + 12, st->anchor.seq);
	memcpy(pt + 20, st->anchor.mac, SC_MAC_LEN);
	for (i = 0; i < NBUCKETS; i++)
		be64(pt + 20 + SC_MAC_LEN + 8 * i, st->bver[i]);
	state_aad(v, aad, &aad_len);
	if ((r = sc_seal(v->k->meta, aad, aad_len, pt, STATE_LEN, sealed)) != SC_OK)
		return r;
	rc = stmt_prepare(v, "INSERT OR REPLACE INTO state (id, body) VALUES (1, ?)", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 1, sealed, sizeof(sealed), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	stmt_done(v, q);
	return rc == SQLITE_DONE ? SC_OK : db_err(v->db, rc);
}

static void bucket_aad(const struct sc_vault *v, unsigned b, uint64_t ver, uint8_t *aad, size_t *n)
{
	static const char dom[] = "secretctl/v1/bucket";
	size_t k = 0;

	memcpy(aad, dom, sizeof(dom));
	k += sizeof(dom);
	memcpy(aad + k, v->id, ID_LEN);
	k += ID_LEN;
	aad[k++] = (uint8_t)b;
	be64(aad + k, ver);
	k += 8;
	*n = k;
}

static void bucket_release(struct bucket *bk)
{
	free(bk->e);
	memset(bk, 0, sizeof(*bk));
}

static int bucket_reserve(struct bucket *bk, size_t n)
{
	struct entry *e;
	size_t cap;

	if (n <= bk->cap)
		return SC_OK;
	cap = bk->cap ? bk->cap * 2 : 16;
	while (cap < n)
		cap *= 2;
	if ((e = realloc(bk->e, cap * sizeof(*e))) == NULL)
		return SC_ERR_NOMEM;
	bk->e = e;
	bk->cap = cap;
	return SC_OK;
}

/* Open bucket b's sealed body (gk: v->k->meta keyed, or NULL) and append its
 * entries to bk. */
static int bucket_decode(struct sc_vault *v, struct sc_gcm_key *gk, const struct state *st,
                         unsigned b, const uint8_t *body, size_t len, struct bucket *bk)
{
	uint8_t aad[64], *pt;
	size_t aad_len, n, i;
	int r;

	if (body == NULL || len < SC_SEAL_OVERHEAD + 8)
		return SC_ERR_CORRUPT;
	len -= SC_SEAL_OVERHEAD;
	if ((pt = malloc(len)) == NULL)
		return SC_ERR_NOMEM;
	bucket_aad(v, b, st->bver[b], aad, &aad_len);
	if (gk != NULL)
		r = sc_gcm_key_open(gk, aad, aad_len, body, len + SC_SEAL_OVERHEAD, pt);
	else
		r = sc_open(v->k->meta, aad, aad_len, body, len + SC_SEAL_OVERHEAD, pt);
	if (r != SC_OK)
		goto out;
	n = rd32(pt + 4);
	if (memcmp(pt, BUCKET_MAGIC, 4) != 0 || len != 8 + n * ENTRY_LEN) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((r = bucket_reserve(bk, bk->n + n)) != SC_OK)
		goto out;
	for (i = 0; i < n; i++) {
		const uint8_t *p = pt + 8 + i * ENTRY_LEN;
		struct entry *e = &bk->e[bk->n + i];

		e->id = rd64(p);
		e->version = rd64(p + 8);
		memcpy(e->idx, p + 16, SC_MAC_LEN);
	}
	bk->n += n;
	r = SC_OK;
out:
	free(pt);
	return r;
}

/* Read bucket b at the version the state names; version 0 is empty. */
static int bucket_read(struct sc_vault *v, const struct state *st, unsigned b, struct bucket *bk)
{
	sqlite3_stmt *q = NULL;
	int rc, r;

	memset(bk, 0, sizeof(*bk));
	rc = stmt_prepare(v, "SELECT body FROM buckets WHERE id = ?", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 1, (int)b);
	if (rc != SQLITE_OK) {
		r = db_err(v->db, rc);
		goto out;
	}
	rc = sqlite3_step(q);
	if (st->bver[b] == 0) {
		/* A bucket never written has no row; once written, its row stays
		 * (empty or not) and its version is never 0 again. A row here
		 * means the state was rolled back under newer buckets. */
		r = rc == SQLITE_DONE  ? SC_OK
		    : rc == SQLITE_ROW ? SC_ERR_CORRUPT
		                       : db_err(v->db, rc);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? SC_ERR_CORRUPT : db_err(v->db, rc);
		goto out;
	}
	r = bucket_decode(v, NULL, st, b, sqlite3_column_blob(q, 0),
	                  (size_t)sqlite3_column_bytes(q, 0), bk);
out:
	stmt_done(v, q);
	if (r != SC_OK)
		bucket_release(bk);
	return r;
}

/* Every bucket's entries, appended to all, in one query: the same checks as
 * bucket_read() on each of the 256 (a row for every written bucket, none
 * for a bucket never written), without 256 statements and key set-ups. */
static int buckets_read_all(struct sc_vault *v, const struct state *st, struct bucket *all)
{
	struct sc_gcm_key *gk = NULL;
	sqlite3_stmt *q = NULL;
	uint8_t seen[NBUCKETS] = {0};
	unsigned b;
	int rc, r;

	if ((r = sc_gcm_key_new(v->k->meta, &gk)) != SC_OK)
		return r;
	rc = stmt_prepare(v, "SELECT id, body FROM buckets ORDER BY id", &q);
	if (rc != SQLITE_OK) {
		r = db_err(v->db, rc);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(q, 0);

		/* an unknown row, or one for a bucket the state says was never
		 * written (the state rolled back under newer buckets) */
		if (id < 0 || id >= NBUCKETS || st->bver[id] == 0) {
			r = SC_ERR_CORRUPT;
			goto out;
		}
		seen[id] = 1;
		if ((r = bucket_decode(v, gk, st, (unsigned)id, sqlite3_column_blob(q, 1),
		                       (size_t)sqlite3_column_bytes(q, 1), all)) != SC_OK)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = db_err(v->db, rc);
		goto out;
	}
	for (b = 0; b < NBUCKETS; b++)
		if (st->bver[b] != 0 && !seen[b]) {
			r = SC_ERR_CORRUPT; /* a written bucket's row is gone */
			goto out;
		}
	r = SC_OK;
out:
	stmt_done(v, q);
	sc_gcm_key_free(gk);
	return r;
}

static int bucket_write(struct sc_vault *v, unsigned b, uint64_t ver, const struct bucket *bk)
{
	sqlite3_stmt *q = NULL;
	uint8_t aad[64], *pt, *sealed;
	size_t aad_len, len = 8 + bk->n * ENTRY_LEN, i;
	int rc, r;

	pt = malloc(len);
	sealed = malloc(len + SC_SEAL_OVERHEAD);
	if (pt == NULL || sealed == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	memcpy(pt, BUCKET_MAGIC, 4);
	be32(pt + 4, (uint32_t)bk->n);
	for (i = 0; i < bk->n; i++) {
		uint8_t *p = pt + 8 + i * ENTRY_LEN;

		be64(p, bk->e[i].id);
		be64(p + 8, bk->e[i].version);
		memcpy(p + 16, bk->e[i].idx, SC_MAC_LEN);
	}
	bucket_aad(v, b, ver, aad, &aad_len);
	if ((r = sc_seal(v->k->meta, aad, aad_len, pt, len, sealed)) != SC_OK)
		goto out;
	rc = stmt_prepare(v, "INSERT OR REPLACE INTO buckets (id, body) VALUES (?, ?)", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 1, (int)b);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, sealed, (int)(len + SC_SEAL_OVERHEAD), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? SC_OK : db_err(v->db, rc);
out:
	stmt_done(v, q);
	free(pt);
	free(sealed);
	return r;
}

static struct entry *bucket_find(struct bucket *bk, const uint8_t idx[SC_MAC_LEN])
{
	size_t i;

	/* A bucket holds ~1/256 of the vault: a linear scan is a few µs even at
	 * 100k secrets. Blinded indexes are not secret from the index holder,
	 * so memcmp is fine here. */
	for (i = 0; i < bk->n; i++)
		if (memcmp(bk->e[i].idx, idx, SC_MAC_LEN) == 0)
			return &bk->e[i];
	return NULL;
}

/* ---- records ---- */

static void record_aad(const struct sc_vault *v, uint64_t id, uint64_t version, uint8_t *aad,
                       size_t *n)
{
	static const char dom[] = "secretctl/v1/record";
	size_t k = 0;

	memcpy(aad, dom, sizeof(dom));
	k += sizeof(dom);
	memcpy(aad + k, v->id, ID_LEN);
	k += ID_LEN;
	be64(aad + k, id);
	k += 8;
	be64(aad + k, version);
	k += 8;
	*n = k;
}

/* Decrypt the sealed body of record (id, version) into *pt (secmem scratch,
 * grown as needed); *pt_len gets the plaintext length. gk, when not NULL,
 * holds v->k->rec keyed for a walk. */
static int record_open(struct sc_vault *v, struct sc_gcm_key *gk, uint64_t id, uint64_t version,
                       const uint8_t *body, size_t len, uint8_t **pt, size_t *pt_cap,
                       size_t *pt_len)
{
	uint8_t aad[64];
	size_t aad_len, n;

	if (body == NULL || len < SC_SEAL_OVERHEAD || len > RECORD_MAX + SC_SEAL_OVERHEAD)
		return SC_ERR_CORRUPT;
	n = len - SC_SEAL_OVERHEAD;
	if (*pt == NULL || *pt_cap < n + 1) {
		sc_secmem_free(*pt);
		*pt_cap = 0;
		if ((*pt = sc_secmem_alloc(n + 1)) == NULL)
			return SC_ERR_NOMEM;
		*pt_cap = n + 1;
	}
	record_aad(v, id, version, aad, &aad_len);
	*pt_len = n;
	if (gk != NULL)
		return sc_gcm_key_open(gk, aad, aad_len, body, len, *pt);
	return sc_open(v->k->rec, aad, aad_len, body, len, *pt);
}

static int record_load(struct sc_vault *v, const struct entry *e, const char *want_name,
                       struct sc_secret **out)
{
	sqlite3_stmt *q = NULL;
	uint8_t *pt = NULL;
	size_t cap = 0, n;
	int rc, r;

	*out = NULL;
	rc = stmt_prepare(v, "SELECT body FROM records WHERE id = ?", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)e->id);
	if (rc != SQLITE_OK) {
		r = db_err(v->db, rc);
		goto out;
	}
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		/* the authenticated index lists it: its absence is tampering */
		r = rc == SQLITE_DONE ? SC_ERR_CORRUPT : db_err(v->db, rc);
		goto out;
	}
	if ((r = record_open(v, NULL, e->id, e->version, sqlite3_column_blob(q, 0),
	                     (size_t)sqlite3_column_bytes(q, 0), &pt, &cap, &n)) != SC_OK)
		goto out;
	if ((r = sc_record_decode(pt, n, out)) != SC_OK) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if (want_name != NULL && strcmp((*out)->name, want_name) != 0) {
		sc_secret_free(*out);
		*out = NULL;
		r = SC_ERR_CORRUPT;
	}
out:
	sc_secmem_free(pt);
	stmt_done(v, q);
	return r;
}

/* ---- schema and migrations ---- */

static const char schema_v1[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE keyslots (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
    " params BLOB NOT NULL, wrapped BLOB NOT NULL);"
    "CREATE TABLE state (id INTEGER PRIMARY KEY CHECK (id = 1), body BLOB NOT NULL);"
    "CREATE TABLE buckets (id INTEGER PRIMARY KEY, body BLOB NOT NULL);"
    "CREATE TABLE records (id INTEGER PRIMARY KEY, body BLOB NOT NULL);";

/* Migrations from format N to N+1, run in one transaction at open. Format 1
 * is the first; a future format 2 adds its step here. */
typedef int (*migrate_fn)(struct sc_vault *v);
static const migrate_fn migrations[] = {NULL};

static int db_configure(sqlite3 *db)
{
	int r;

	sqlite3_busy_timeout(db, 10000);
	/* WAL with FULL sync: a commit is on disk when it returns; secure_delete
	 * zeroes freed pages so a replaced key slot leaves no copy behind. */
	if ((r = exec_sql(db, "PRAGMA journal_mode = WAL;")) != SC_OK ||
	    (r = exec_sql(db, "PRAGMA synchronous = FULL;")) != SC_OK ||
	    (r = exec_sql(db, "PRAGMA secure_delete = ON;")) != SC_OK ||
	    (r = exec_sql(db, "PRAGMA trusted_schema = OFF;")) != SC_OK)
		return r;
	/* Read the database file through a mapping rather than a pread() per
	 * page: a walk over 100k records spent a tenth of its time copying
	 * pages. Only reads use it (writes go through the WAL); the file holds
	 * only sealed data. */
	if ((r = exec_sql(db, "PRAGMA mmap_size = 268435456;")) != SC_OK)
		return r;
	return SC_OK;
}

static int meta_get(sqlite3 *db, const char *key, const void **val, int *len, sqlite3_stmt **q)
{
	int rc;

	*q = NULL;
	rc = prepare_fixed(db, "SELECT value FROM meta WHERE key = ?", 0, q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(*q, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(*q);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(*q);
		*q = NULL;
		return rc == SQLITE_DONE ? SC_ERR_CORRUPT : db_err(db, rc);
	}
	*val = sqlite3_column_blob(*q, 0);
	*len = sqlite3_column_bytes(*q, 0);
	return SC_OK;
}

static int meta_put(sqlite3 *db, const char *key, const void *val, int len)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = prepare_fixed(db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, val, len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SC_OK : db_err(db, rc);
}

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
	*out = path_join(home, ".secretctl");
	return *out ? SC_OK : SC_ERR_NOMEM;
}

static int open_db(const char *path, int create, sqlite3 **out)
{
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX;

	if (create)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, out, flags, NULL);
	if (rc != SQLITE_OK) {
		sc_set_error("'%s': %s", path, *out ? sqlite3_errmsg(*out) : "cannot open");
		sqlite3_close(*out);
		*out = NULL;
		return rc == SQLITE_CANTOPEN ? SC_ERR_IO : db_err(NULL, rc);
	}
	sqlite3_extended_result_codes(*out, 0);
	return SC_OK;
}

static void unlink_db_files(const char *db)
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

static int fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW), r;

	if (fd < 0)
		return SC_ERR_IO;
	r = fsync(fd) == 0 ? SC_OK : SC_ERR_IO;
	close(fd);
	return r;
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
	uint8_t sp[PARAMS_LEN], wrapped[SC_KEY_LEN + SC_SEAL_OVERHEAD], fmt[8], rnd[8];
	char *path = NULL, *tmp = NULL;
	sqlite3_stmt *q = NULL;
	struct stat sb;
	int r, rc, fd;

	sc_clear_error();
	if (params != NULL)
		kp = *params;
	if (!kdf_params_ok(&kp))
		return SC_ERR_INVALID;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		sc_set_error("cannot create '%s': %s", dir, strerror(errno));
		return errno == EACCES ? SC_ERR_PERM : SC_ERR_IO;
	}
	if ((r = check_owner_mode(dir, 1, 1)) != SC_OK)
		return r;
	if ((path = path_join(dir, DB_NAME)) == NULL)
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
	if ((r = open_db(tmp, 0, &v.db)) != SC_OK)
		goto fail;
	if ((r = db_configure(v.db)) != SC_OK)
		goto fail;
	if ((k = sc_secmem_alloc(sizeof(*k))) == NULL) {
		r = SC_ERR_NOMEM;
		goto fail;
	}
	v.k = k;
	sc_random(v.id, ID_LEN);
	sc_random(k->dek, SC_KEY_LEN);
	if ((r = derive_keys(&v, k)) != SC_OK)
		goto fail;
	if ((r = wrap_dek(&v, 1, k->dek, pw, pw_len, &kp, sp, wrapped)) != SC_OK)
		goto fail;
	if ((r = exec_sql(v.db, "BEGIN IMMEDIATE;")) != SC_OK)
		goto fail;
	if ((r = exec_sql(v.db, schema_v1)) != SC_OK)
		goto fail;
	be64(fmt, SC_VAULT_FORMAT);
	if ((r = meta_put(v.db, "format", fmt, 8)) != SC_OK ||
	    (r = meta_put(v.db, "vault_id", v.id, ID_LEN)) != SC_OK)
		goto fail;
	rc = prepare_fixed(
	    v.db, "INSERT INTO keyslots (id, kind, params, wrapped) VALUES (1, ?, ?, ?)", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 1, SLOT_PASSWORD);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, sp, sizeof(sp), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 3, wrapped, sizeof(wrapped), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		r = db_err(v.db, rc);
		goto fail;
	}
	if ((r = state_write(&v, &st)) != SC_OK)
		goto fail;
	if ((r = exec_sql(v.db, "COMMIT;")) != SC_OK)
		goto fail;
	/* closing the last connection checkpoints the WAL into the file */
	stmts_release(&v);
	if (sqlite3_close(v.db) != SQLITE_OK) {
		v.db = NULL;
		r = SC_ERR_DB;
		goto fail;
	}
	v.db = NULL;
	if ((r = fsync_path(tmp, 0)) != SC_OK)
		goto fail;
	if (link(tmp, path) != 0) {
		r = errno == EEXIST ? SC_ERR_EXISTS : SC_ERR_IO;
		sc_set_error(errno == EEXIST ? "a vault already exists in '%s'"
		                             : "cannot put the new vault in place in '%s'",
		             dir);
		goto fail;
	}
	unlink_db_files(tmp);
	if ((r = fsync_path(dir, 1)) != SC_OK)
		sc_set_error("the vault was created but '%s' could not be synced", dir);
	sc_secmem_free(k);
	free(tmp);
	free(path);
	return r;
fail:
	sc_secmem_free(k);
	stmts_release(&v);
	if (v.db != NULL)
		sqlite3_close(v.db);
	unlink_db_files(tmp);
	free(tmp);
	free(path);
	return r;
}

/*
 * The file's own header, before SQLite reads it: a vault is always in WAL
 * mode, so its read and write format versions (bytes 18 and 19) are both 2.
 * SQLite would open a file with a larger write version read-only and fail
 * later with an I/O error; a changed header is a tampered file.
 */
static int check_header(const char *path)
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

int sc_vault_open(const char *dir, struct sc_vault **out)
{
	struct sc_vault *v;
	sqlite3_stmt *q = NULL;
	const void *val;
	int len, r;
	size_t step;

	*out = NULL;
	sc_clear_error();
	if ((r = check_files(dir)) != SC_OK) {
		if (r == SC_ERR_NO_VAULT)
			sc_set_error("no vault in '%s'; create one with 'secretctl init'", dir);
		return r;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return SC_ERR_NOMEM;
	v->dir = strdup(dir);
	v->db_path = path_join(dir, DB_NAME);
	if (v->dir == NULL || v->db_path == NULL) {
		r = SC_ERR_NOMEM;
		goto fail;
	}
	if ((r = check_header(v->db_path)) != SC_OK)
		goto fail;
	if ((r = open_db(v->db_path, 0, &v->db)) != SC_OK || (r = db_configure(v->db)) != SC_OK)
		goto fail;
	if ((r = meta_get(v->db, "format", &val, &len, &q)) != SC_OK)
		goto fail;
	if (len != 8) {
		r = SC_ERR_CORRUPT;
		goto fail;
	}
	v->format = (int64_t)rd64(val);
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
	for (step = (size_t)v->format; step < SC_VAULT_FORMAT; step++)
		if (migrations[step - 1] == NULL || (r = migrations[step - 1](v)) != SC_OK) {
			r = SC_ERR_VERSION;
			goto fail;
		}
	if ((r = meta_get(v->db, "vault_id", &val, &len, &q)) != SC_OK)
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
	stmts_release(v);
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

	if ((r = derive_keys(v, k)) != SC_OK)
		return r;
	sc_secmem_free(v->k);
	v->k = k;
	if ((r = state_read(v, &st)) != SC_OK) {
		v->k = NULL;
		return r;
	}
	return SC_OK;
}

int sc_vault_unlock(struct sc_vault *v, const char *pw, size_t pw_len)
{
	sqlite3_stmt *q = NULL;
	struct keys *k = NULL;
	uint8_t *kek = NULL, aad[64 + PARAMS_LEN];
	size_t aad_len;
	int rc, r = SC_ERR_AUTH, slots = 0;

	sc_clear_error();
	kek = sc_secmem_alloc(SC_KEY_LEN);
	k = sc_secmem_alloc(sizeof(*k));
	if (kek == NULL || k == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	rc = prepare_fixed(v->db, "SELECT id, params, wrapped FROM keyslots WHERE kind = ?", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 1, SLOT_PASSWORD);
	if (rc != SQLITE_OK) {
		r = db_err(v->db, rc);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		const uint8_t *params = sqlite3_column_blob(q, 1), *wrapped, *salt;
		size_t plen = (size_t)sqlite3_column_bytes(q, 1), wlen;
		struct sc_kdf_params kp;

		slots++;
		if (params == NULL || params_decode(params, plen, &kp, &salt) != SC_OK) {
			r = SC_ERR_CORRUPT;
			continue;
		}
		wrapped = sqlite3_column_blob(q, 2);
		wlen = (size_t)sqlite3_column_bytes(q, 2);
		if (wrapped == NULL || wlen != SC_KEY_LEN + SC_SEAL_OVERHEAD) {
			r = SC_ERR_CORRUPT;
			continue;
		}
		if ((r = sc_argon2id(pw, pw_len, salt, kp.mem_kib, kp.t, kek, SC_KEY_LEN)) != SC_OK)
			goto out;
		slot_aad(v, id, SLOT_PASSWORD, params, plen, aad, &aad_len);
		if (sc_open(kek, aad, aad_len, wrapped, wlen, k->dek) == SC_OK) {
			r = SC_OK;
			break;
		}
		/* A wrong password and a tampered slot look the same: both fail the tag. */
		r = SC_ERR_AUTH;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = db_err(v->db, rc);
		goto out;
	}
	if (slots == 0)
		r = SC_ERR_CORRUPT;
	if (r != SC_OK)
		goto out;
	if ((r = install_dek(v, k)) == SC_OK)
		k = NULL;
out:
	sqlite3_finalize(q);
	sc_secmem_free(kek);
	sc_secmem_free(k);
	return r;
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

int sc_vault_passwd(struct sc_vault *v, const char *new_pw, size_t new_pw_len,
                    const struct sc_kdf_params *params)
{
	struct sc_kdf_params kp = {SC_ARGON2_MEM_KIB_DEFAULT, SC_ARGON2_T_DEFAULT};
	uint8_t sp[PARAMS_LEN], wrapped[SC_KEY_LEN + SC_SEAL_OVERHEAD];
	sqlite3_stmt *q = NULL;
	int rc, r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if (params != NULL)
		kp = *params;
	if (!kdf_params_ok(&kp))
		return SC_ERR_INVALID;
	/* Slot 1 is the password slot; other kinds of slot are left as they are. */
	if ((r = wrap_dek(v, 1, v->k->dek, new_pw, new_pw_len, &kp, sp, wrapped)) != SC_OK)
		return r;
	if ((r = exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		return r;
	rc = prepare_fixed(
	    v->db, "UPDATE keyslots SET params = ?, wrapped = ? WHERE id = 1 AND kind = ?", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 1, sp, sizeof(sp), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, wrapped, sizeof(wrapped), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 3, SLOT_PASSWORD);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE || sqlite3_changes(v->db) != 1) {
		r = rc != SQLITE_DONE ? db_err(v->db, rc) : SC_ERR_CORRUPT;
		exec_kept(v, "ROLLBACK;");
		return r;
	}
	if ((r = exec_kept(v, "COMMIT;")) != SC_OK) {
		exec_kept(v, "ROLLBACK;");
		return r;
	}
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

/* ---- public: records ---- */

/* mk, when not NULL, holds v->k->idx keyed for a walk. */
static int blind_with(struct sc_vault *v, struct sc_mac_key *mk, const char *name,
                      uint8_t idx[SC_MAC_LEN])
{
	static const char dom[] = "secretctl/v1/name\0";
	uint8_t buf[sizeof(dom) + SC_NAME_MAX];
	size_t n = strlen(name);
	int r;

	if (n > SC_NAME_MAX)
		return SC_ERR_NAME;
	memcpy(buf, dom, sizeof(dom));
	memcpy(buf + sizeof(dom), name, n);
	if (mk != NULL)
		r = sc_mac_key_mac(mk, buf, sizeof(dom) + n, idx);
	else
		r = sc_hmac_sha256(v->k->idx, SC_KEY_LEN, buf, sizeof(dom) + n, idx);
	sc_wipe(buf, sizeof(buf));
	return r;
}

static int blind(struct sc_vault *v, const char *name, uint8_t idx[SC_MAC_LEN])
{
	return blind_with(v, NULL, name, idx);
}

int sc_vault_blind_name(struct sc_vault *v, const char *name, uint8_t out[SC_MAC_LEN])
{
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	return blind(v, name, out);
}

int sc_vault_audit_key(struct sc_vault *v, uint8_t out[SC_KEY_LEN])
{
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	memcpy(out, v->k->audit, SC_KEY_LEN);
	return SC_OK;
}

static int begin_read(struct sc_vault *v)
{
	return exec_kept(v, "BEGIN;");
}

static void end_txn(struct sc_vault *v, int ok)
{
	if (exec_kept(v, ok ? "COMMIT;" : "ROLLBACK;") != SC_OK && ok)
		exec_kept(v, "ROLLBACK;");
}

int sc_vault_get(struct sc_vault *v, const char *name, struct sc_secret **out)
{
	struct state st;
	struct bucket bk = {0};
	struct entry *e;
	uint8_t idx[SC_MAC_LEN];
	int r;

	*out = NULL;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_name_valid(name)) != SC_OK)
		return r;
	if ((r = blind(v, name, idx)) != SC_OK)
		return r;
	if ((r = begin_read(v)) != SC_OK)
		return r;
	if ((r = state_read(v, &st)) != SC_OK || (r = bucket_read(v, &st, idx[0], &bk)) != SC_OK)
		goto out;
	if ((e = bucket_find(&bk, idx)) == NULL) {
		r = SC_ERR_NOT_FOUND;
		goto out;
	}
	r = record_load(v, e, name, out);
out:
	end_txn(v, 0);
	bucket_release(&bk);
	return r;
}

int sc_vault_exists(struct sc_vault *v, const char *name, int *exists)
{
	struct state st;
	struct bucket bk = {0};
	uint8_t idx[SC_MAC_LEN];
	int r;

	*exists = 0;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_name_valid(name)) != SC_OK)
		return r;
	if ((r = blind(v, name, idx)) != SC_OK)
		return r;
	if ((r = begin_read(v)) != SC_OK)
		return r;
	if ((r = state_read(v, &st)) == SC_OK && (r = bucket_read(v, &st, idx[0], &bk)) == SC_OK)
		*exists = bucket_find(&bk, idx) != NULL;
	end_txn(v, 0);
	bucket_release(&bk);
	return r;
}

static int record_write(struct sc_vault *v, uint64_t id, uint64_t version,
                        const struct sc_secret *s)
{
	sqlite3_stmt *q = NULL;
	uint8_t *pt = NULL, *sealed = NULL, aad[64];
	size_t len, aad_len;
	int rc, r;

	if ((r = sc_record_encode(s, &pt, &len)) != SC_OK)
		return r;
	if (len > RECORD_MAX) {
		r = SC_ERR_TOOBIG;
		goto out;
	}
	if ((sealed = malloc(len + SC_SEAL_OVERHEAD)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	record_aad(v, id, version, aad, &aad_len);
	if ((r = sc_seal(v->k->rec, aad, aad_len, pt, len, sealed)) != SC_OK)
		goto out;
	rc = stmt_prepare(v, "INSERT OR REPLACE INTO records (id, body) VALUES (?, ?)", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, sealed, (int)(len + SC_SEAL_OVERHEAD), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? SC_OK : db_err(v->db, rc);
out:
	stmt_done(v, q);
	sc_secmem_free(pt);
	free(sealed);
	return r;
}

static int new_record_id(struct sc_vault *v, uint64_t *id)
{
	sqlite3_stmt *q = NULL;
	int rc, tries;

	/* Random ids keep creation order off the disk. */
	for (tries = 0; tries < 16; tries++) {
		sc_random(id, sizeof(*id));
		*id &= INT64_MAX;
		if (*id == 0)
			continue;
		rc = stmt_prepare(v, "SELECT 1 FROM records WHERE id = ?", &q);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)*id);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(q);
		stmt_done(v, q);
		if (rc == SQLITE_DONE)
			return SC_OK;
		if (rc != SQLITE_ROW)
			return db_err(v->db, rc);
	}
	return SC_ERR_INTERNAL;
}

/* Write s (or, with s NULL, delete name) in one transaction. */
static int modify(struct sc_vault *v, const char *name, const struct sc_secret *s)
{
	struct state st;
	struct bucket bk = {0};
	struct entry *e;
	struct sc_secret *old = NULL, tmp;
	uint8_t idx[SC_MAC_LEN];
	uint64_t gen;
	unsigned b;
	int r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = blind(v, name, idx)) != SC_OK)
		return r;
	b = idx[0];
	if ((r = exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		return r;
	if ((r = state_read(v, &st)) != SC_OK || (r = bucket_read(v, &st, b, &bk)) != SC_OK)
		goto out;
	gen = st.gen + 1;
	e = bucket_find(&bk, idx);
	if (s == NULL) {
		sqlite3_stmt *q = NULL;
		int rc;

		if (e == NULL) {
			r = SC_ERR_NOT_FOUND;
			goto out;
		}
		rc = stmt_prepare(v, "DELETE FROM records WHERE id = ?", &q);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)e->id);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(q);
		stmt_done(v, q);
		if (rc != SQLITE_DONE) {
			r = db_err(v->db, rc);
			goto out;
		}
		*e = bk.e[bk.n - 1];
		bk.n--;
	} else {
		tmp = *s;
		tmp.updated = (int64_t)time(NULL);
		tmp.created = tmp.updated;
		if (e != NULL) {
			/* keep the creation time; reading it also proves the old record */
			if ((r = record_load(v, e, name, &old)) != SC_OK)
				goto out;
			tmp.created = old->created;
		} else {
			if ((r = bucket_reserve(&bk, bk.n + 1)) != SC_OK)
				goto out;
			e = &bk.e[bk.n];
			memcpy(e->idx, idx, SC_MAC_LEN);
			if ((r = new_record_id(v, &e->id)) != SC_OK)
				goto out;
			bk.n++;
		}
		e->version = gen;
		if ((r = record_write(v, e->id, gen, &tmp)) != SC_OK)
			goto out;
	}
	st.gen = gen;
	st.bver[b] = gen;
	if ((r = bucket_write(v, b, gen, &bk)) != SC_OK || (r = state_write(v, &st)) != SC_OK)
		goto out;
	r = exec_kept(v, "COMMIT;");
out:
	if (r != SC_OK)
		exec_kept(v, "ROLLBACK;");
	sc_secret_free(old);
	bucket_release(&bk);
	return r;
}

int sc_vault_put(struct sc_vault *v, const struct sc_secret *s)
{
	int r;

	if ((r = sc_name_valid(s->name)) != SC_OK)
		return r;
	return modify(v, s->name, s);
}

int sc_vault_delete(struct sc_vault *v, const char *name)
{
	int r;

	if ((r = sc_name_valid(name)) != SC_OK)
		return r;
	return modify(v, name, NULL);
}

int sc_vault_generation(struct sc_vault *v, uint64_t *gen)
{
	struct state st;
	int r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = begin_read(v)) != SC_OK)
		return r;
	r = state_read(v, &st);
	end_txn(v, 0);
	if (r == SC_OK)
		*gen = st.gen;
	return r;
}

int sc_vault_anchor_get(struct sc_vault *v, struct sc_audit_anchor *out)
{
	struct state st;
	int r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = begin_read(v)) != SC_OK)
		return r;
	r = state_read(v, &st);
	end_txn(v, 0);
	if (r == SC_OK)
		*out = st.anchor;
	return r;
}

int sc_vault_anchor_set(struct sc_vault *v, const struct sc_audit_anchor *a)
{
	struct state st;
	int r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	/* The audit entry this anchors is already fdatasync'd. The anchor's own
	 * WAL commit skips its sync: a crashed process loses nothing (the frame
	 * is in the OS), and a power loss can only leave the anchor behind a
	 * durable entry, which verify reports as lag. The next FULL commit of
	 * the vault syncs it too. Saves one fdatasync per audited operation. */
	if ((r = exec_kept(v, "PRAGMA synchronous = NORMAL;")) != SC_OK)
		return r;
	if ((r = exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		goto out;
	if ((r = state_read(v, &st)) == SC_OK) {
		st.anchor = *a;
		r = state_write(v, &st);
	}
	if (r == SC_OK)
		r = exec_kept(v, "COMMIT;");
	if (r != SC_OK)
		exec_kept(v, "ROLLBACK;");
out:
	if (exec_kept(v, "PRAGMA synchronous = FULL;") != SC_OK && r == SC_OK)
		r = SC_ERR_DB;
	return r;
}

/* ---- walking every record ---- */

/*
 * Sort entries by record id: an LSD radix sort over 11-bit digits, with only
 * as many passes as the largest id needs (ids are random 63-bit numbers:
 * six). qsort's comparisons cost a 100k-record walk ~20 ms; this, a few.
 */
static int sort_by_id(struct bucket *b)
{
	enum { BITS = 11, RADIX = 1 << BITS };
	struct entry *tmp, *src = b->e, *dst;
	size_t count[RADIX], i, pos;
	uint64_t max = 0;
	unsigned shift;

	if (b->n < 2)
		return SC_OK;
	for (i = 0; i < b->n; i++)
		if (b->e[i].id > max)
			max = b->e[i].id;
	if ((tmp = malloc(b->n * sizeof(*tmp))) == NULL)
		return SC_ERR_NOMEM;
	dst = tmp;
	for (shift = 0; shift < 64 && (max >> shift) != 0; shift += BITS) {
		struct entry *t;

		memset(count, 0, sizeof(count));
		for (i = 0; i < b->n; i++)
			count[(src[i].id >> shift) & (RADIX - 1)]++;
		for (i = 0, pos = 0; i < RADIX; i++) {
			size_t c = count[i];

			count[i] = pos;
			pos += c;
		}
		for (i = 0; i < b->n; i++)
			dst[count[(src[i].id >> shift) & (RADIX - 1)]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != b->e)
		memcpy(b->e, src, b->n * sizeof(*src));
	/* entries hold blinded names only, but leave no copy behind */
	sc_wipe(tmp, b->n * sizeof(*tmp));
	free(tmp);
	return SC_OK;
}

int sc_vault_count(struct sc_vault *v, size_t *count)
{
	struct state st;
	struct bucket all = {0};
	int r;

	*count = 0;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = begin_read(v)) != SC_OK)
		return r;
	if ((r = state_read(v, &st)) != SC_OK)
		goto out;
	if ((r = buckets_read_all(v, &st, &all)) == SC_OK)
		*count = all.n;
out:
	end_txn(v, 0);
	bucket_release(&all);
	return r;
}

int sc_vault_walk(struct sc_vault *v, sc_vault_walk_fn fn, void *arg)
{
	struct state st;
	struct bucket all = {0};
	struct sc_secret s;
	struct sc_gcm_key *gk = NULL;
	struct sc_mac_key *mk = NULL;
	sqlite3_stmt *q = NULL;
	uint8_t *pt = NULL, *arena = NULL;
	size_t pt_cap = 0, arena_cap = 0, n, seen = 0;
	int rc, r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = begin_read(v)) != SC_OK)
		return r;
	/* keyed once for the walk: no key schedule or HMAC pads per record */
	if ((r = sc_gcm_key_new(v->k->rec, &gk)) != SC_OK ||
	    (r = sc_mac_key_new(v->k->idx, SC_KEY_LEN, &mk)) != SC_OK ||
	    (r = state_read(v, &st)) != SC_OK)
		goto out;
	if ((r = buckets_read_all(v, &st, &all)) != SC_OK)
		goto out;
	if ((r = sort_by_id(&all)) != SC_OK)
		goto out;
	rc = stmt_prepare(v, "SELECT id, body FROM records ORDER BY id", &q);
	if (rc != SQLITE_OK) {
		r = db_err(v->db, rc);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
		uint8_t idx[SC_MAC_LEN];

		/* rows come in id order, like the sorted index: walk both */
		if (seen >= all.n || all.e[seen].id != id) {
			r = SC_ERR_CORRUPT; /* a row the index does not list */
			goto out;
		}
		if ((r = record_open(v, gk, id, all.e[seen].version, sqlite3_column_blob(q, 1),
		                     (size_t)sqlite3_column_bytes(q, 1), &pt, &pt_cap, &n)) !=
		    SC_OK)
			goto out;
		if (sc_record_decode_into(pt, n, &s, &arena, &arena_cap) != SC_OK) {
			r = SC_ERR_CORRUPT;
			goto out;
		}
		/* the record must sit under its own name's index entry */
		if ((r = blind_with(v, mk, s.name, idx)) != SC_OK)
			goto out;
		if (memcmp(idx, all.e[seen].idx, SC_MAC_LEN) != 0) {
			r = SC_ERR_CORRUPT;
			goto out;
		}
		seen++;
		if ((r = fn(&s, arg)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = db_err(v->db, rc);
		goto out;
	}
	r = seen == all.n ? SC_OK : SC_ERR_CORRUPT; /* an indexed record is missing */
out:
	stmt_done(v, q);
	end_txn(v, 0);
	sc_gcm_key_free(gk);
	sc_mac_key_free(mk);
	if (arena != NULL)
		sc_wipe(arena, arena_cap);
	sc_secmem_free(arena);
	sc_secmem_free(pt);
	bucket_release(&all);
	return r;
}
