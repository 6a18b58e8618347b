/* test_vault.c - the vault through its public API, and against an attacker
 * who edits vault.db with SQLite: flipped, swapped, rolled-back, deleted and
 * inserted rows must give SC_ERR_CORRUPT and never wrong data; permissions,
 * symlinks, format versions, password change and plaintext on disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "secretctl/secretctl.h"

#define PW "correct horse battery"
#define PW2 "a different staple"

static const struct sc_kdf_params small_kdf = {8192, 1};
static char base[4096];

/* ---- scratch directories ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(p);
	return unlink(p);
}

static void rm_rf(const char *dir)
{
	chmod(dir, 0700);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh, empty 0700 directory for one vault; free with done(). */
static char *scratch(void)
{
	char *p;

	assert_true(asprintf(&p, "%s/vault-XXXXXX", base) > 0);
	assert_non_null(mkdtemp(p));
	return p;
}

static void done(char *dir)
{
	rm_rf(dir);
	free(dir);
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* ---- vault helpers ---- */

static struct sc_vault *open_unlocked(const char *dir, const char *pw)
{
	struct sc_vault *v = NULL;

	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_non_null(v);
	assert_int_equal(sc_vault_unlock(v, pw, strlen(pw)), SC_OK);
	return v;
}

static struct sc_vault *new_vault(char **dir)
{
	*dir = scratch();
	assert_int_equal(sc_vault_create(*dir, PW, strlen(PW), &small_kdf), SC_OK);
	return open_unlocked(*dir, PW);
}

static void put_value(struct sc_vault *v, const char *name, const char *value)
{
	struct sc_secret *s;

	assert_int_equal(sc_secret_new(&s, name), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "value", value, strlen(value), 1), SC_OK);
	assert_int_equal(sc_vault_put(v, s), SC_OK);
	sc_secret_free(s);
}

/* get must either fail with want and hand back nothing, or (want SC_OK)
 * return exactly this value */
static void expect_get(struct sc_vault *v, const char *name, int want, const char *value)
{
	struct sc_secret *s = (struct sc_secret *)&s; /* poison: must become NULL */
	const uint8_t *val;
	size_t len;
	int r = sc_vault_get(v, name, &s);

	if (r != want)
		fail_msg("get '%s': %s (%d), want %s (%d)", name, sc_strerror(r), r,
		         sc_strerror(want), want);
	if (want != SC_OK) {
		assert_null(s);
		return;
	}
	assert_non_null(s);
	assert_string_equal(sc_secret_name(s), name);
	assert_int_equal(sc_secret_field(s, 0, NULL, &val, &len, NULL, NULL), SC_OK);
	assert_int_equal(len, strlen(value));
	assert_memory_equal(val, value, len);
	sc_secret_free(s);
}

static int count_cb(const struct sc_secret *s, void *arg)
{
	(void)s;
	(*(size_t *)arg)++;
	return 0;
}

static int walk_status(struct sc_vault *v)
{
	size_t n = 0;

	return sc_vault_walk(v, count_cb, &n);
}

/* A name whose blinded index falls in bucket b (the first byte). */
static void name_in_bucket(struct sc_vault *v, const char *prefix, unsigned b, char *out,
                           size_t cap)
{
	uint8_t idx[SC_MAC_LEN];
	int i;

	for (i = 0; i < 100000; i++) {
		snprintf(out, cap, "%s%d", prefix, i);
		assert_int_equal(sc_vault_blind_name(v, out, idx), SC_OK);
		if (idx[0] == b)
			return;
	}
	fail_msg("no name for bucket %u", b);
}

static unsigned bucket_of(struct sc_vault *v, const char *name)
{
	uint8_t idx[SC_MAC_LEN];

	assert_int_equal(sc_vault_blind_name(v, name, idx), SC_OK);
	return idx[0];
}

/* ---- the attacker's SQLite connection ---- */

static sqlite3 *db_open(const char *dir)
{
	char *p = path_in(dir, "vault.db");
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	free(p);
	return db;
}

static void db_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("sql '%s': %s", sql, err ? err : "?");
}

/* First column of the first row as a blob (malloc'd), or NULL when no row. */
static uint8_t *db_blob(sqlite3 *db, const char *sql, int64_t arg, size_t *len)
{
	sqlite3_stmt *q;
	uint8_t *out = NULL;

	*len = 0;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_bind_parameter_count(q) > 0)
		assert_int_equal(sqlite3_bind_int64(q, 1, arg), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(q, 0);
		out = malloc(*len + 1);
		assert_non_null(out);
		if (*len)
			memcpy(out, sqlite3_column_blob(q, 0), *len);
	}
	sqlite3_finalize(q);
	return out;
}

/* UPDATE/INSERT with ?1 = blob, ?2 = integer. */
static void db_set(sqlite3 *db, const char *sql, const uint8_t *blob, size_t len, int64_t arg)
{
	sqlite3_stmt *q;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_blob(q, 1, blob, (int)len, SQLITE_TRANSIENT), SQLITE_OK);
	if (sqlite3_bind_parameter_count(q) > 1)
		assert_int_equal(sqlite3_bind_int64(q, 2, arg), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
}

static int64_t db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* The id of the newest record: the one not in ids[0..n). */
static int64_t new_record_id(sqlite3 *db, const int64_t *ids, size_t n)
{
	sqlite3_stmt *q;
	int64_t found = -1;
	size_t i;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM records", -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);

		for (i = 0; i < n && ids[i] != id; i++)
			;
		if (i == n) {
			assert_int_equal(found, -1);
			found = id;
		}
	}
	sqlite3_finalize(q);
	assert_true(found > 0);
	return found;
}

/* ---- file contents ---- */

struct blobbuf {
	uint8_t *p;
	size_t len;
};

static void read_file_into(const char *path, struct blobbuf *b)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	uint8_t chunk[65536];

	if (f == NULL)
		return;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		b->p = realloc(b->p, b->len + n);
		assert_non_null(b->p);
		memcpy(b->p + b->len, chunk, n);
		b->len += n;
	}
	fclose(f);
}

/* Every byte of every regular file in dir, with each file's name before
 * its bytes, in name order (so two snapshots compare). */
static struct blobbuf snapshot(const char *dir)
{
	struct blobbuf b = {0};
	struct dirent **ents;
	int n, i;

	n = scandir(dir, &ents, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		char *p = path_in(dir, ents[i]->d_name);
		struct stat st;

		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			size_t nl = strlen(ents[i]->d_name) + 1;

			b.p = realloc(b.p, b.len + nl);
			assert_non_null(b.p);
			memcpy(b.p + b.len, ents[i]->d_name, nl);
			b.len += nl;
			read_file_into(p, &b);
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
	return b;
}

static int file_size(const char *dir, const char *name)
{
	char *p = path_in(dir, name);
	struct stat st;
	int r = stat(p, &st) == 0 ? (int)st.st_size : -1;

	free(p);
	return r;
}

/* ---- tests: the API round trip ---- */

struct names {
	char seen[8][64];
	size_t n;
};

static int collect_cb(const struct sc_secret *s, void *arg)
{
	struct names *nm = arg;

	assert_true(nm->n < 8);
	snprintf(nm->seen[nm->n++], 64, "%s", sc_secret_name(s));
	return 0;
}

static int stop_cb(const struct sc_secret *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 42;
}

static int has_name(const struct names *nm, const char *name)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		if (strcmp(nm->seen[i], name) == 0)
			return 1;
	return 0;
}

static void test_roundtrip(void **state)
{
	struct sc_vault *v = NULL;
	struct sc_secret *s, *got;
	struct names nm = {0};
	struct sc_audit_anchor a = {0}, b;
	uint8_t dek[SC_KEY_LEN], id[16];
	char *dir = scratch();
	size_t count;
	int exists, calls = 0;
	int64_t created;

	(void)state;
	assert_int_equal(sc_vault_create(dir, PW, strlen(PW), &small_kdf), SC_OK);
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_false(sc_vault_is_unlocked(v));
	assert_string_equal(sc_vault_dir(v), dir);
	memcpy(id, sc_vault_id(v), sizeof(id));
	/* locked: nothing readable */
	assert_int_equal(sc_vault_get(v, "a", &got), SC_ERR_LOCKED);
	assert_null(got);
	assert_int_equal(sc_vault_count(v, &count), SC_ERR_LOCKED);
	assert_int_equal(sc_vault_walk(v, count_cb, &count), SC_ERR_LOCKED);
	assert_int_equal(sc_vault_export_dek(v, dek), SC_ERR_LOCKED);
	assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_OK);
	assert_true(sc_vault_is_unlocked(v));

	assert_int_equal(sc_vault_count(v, &count), SC_OK);
	assert_int_equal(count, 0);
	assert_int_equal(walk_status(v), SC_OK);

	/* a full secret */
	assert_int_equal(sc_secret_new(&s, "prod/db"), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "password", "p\0w", 3, 1), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "user", "admin", 5, 0), SC_OK);
	assert_int_equal(sc_secret_add_binding(s, "DB_PASSWORD", "password"), SC_OK);
	assert_int_equal(sc_secret_add_tag(s, "prod"), SC_OK);
	assert_int_equal(sc_secret_set_notes(s, "some notes"), SC_OK);
	assert_int_equal(sc_secret_set_url(s, "https://db/"), SC_OK);
	sc_secret_set_expires(s, 4000000000LL);
	assert_int_equal(sc_vault_put(v, s), SC_OK);
	sc_secret_free(s);
	put_value(v, "dev/api", "dev-api-value");
	put_value(v, "x", "x-value");

	assert_int_equal(sc_vault_get(v, "prod/db", &got), SC_OK);
	{
		const char *fn;
		const uint8_t *val;
		size_t len;
		int sens;

		assert_int_equal(sc_secret_field_count(got), 2);
		assert_int_equal(sc_secret_field(got, 0, &fn, &val, &len, &sens, NULL), SC_OK);
		assert_string_equal(fn, "password");
		assert_int_equal(len, 3);
		assert_memory_equal(val, "p\0w", 3);
		assert_int_equal(sens, 1);
		assert_int_equal(sc_secret_field(got, 1, &fn, &val, &len, &sens, NULL), SC_OK);
		assert_memory_equal(val, "admin", 5);
		assert_int_equal(sens, 0);
		assert_int_equal(sc_secret_binding_count(got), 1);
		assert_true(sc_secret_has_tag(got, "prod"));
		assert_string_equal(sc_secret_notes(got), "some notes");
		assert_string_equal(sc_secret_url(got), "https://db/");
		assert_int_equal(sc_secret_expires(got), 4000000000LL);
		assert_true(sc_secret_created(got) > 0);
		assert_true(sc_secret_updated(got) >= sc_secret_created(got));
		created = sc_secret_created(got);
	}
	sc_secret_free(got);
	expect_get(v, "dev/api", SC_OK, "dev-api-value");
	expect_get(v, "x", SC_OK, "x-value");
	expect_get(v, "nope", SC_ERR_NOT_FOUND, NULL);
	expect_get(v, "../etc", SC_ERR_NAME, NULL);
	assert_int_equal(sc_vault_exists(v, "dev/api", &exists), SC_OK);
	assert_true(exists);
	assert_int_equal(sc_vault_exists(v, "dev/ap", &exists), SC_OK);
	assert_false(exists);
	assert_int_equal(sc_vault_count(v, &count), SC_OK);
	assert_int_equal(count, 3);
	assert_int_equal(sc_vault_walk(v, collect_cb, &nm), SC_OK);
	assert_int_equal(nm.n, 3);
	assert_true(has_name(&nm, "prod/db") && has_name(&nm, "dev/api") && has_name(&nm, "x"));
	/* a non-zero callback return stops the walk and comes back */
	assert_int_equal(sc_vault_walk(v, stop_cb, &calls), 42);
	assert_int_equal(calls, 1);

	/* replace: new value, same creation time */
	sleep(1);
	put_value(v, "prod/db", "replaced");
	assert_int_equal(sc_vault_get(v, "prod/db", &got), SC_OK);
	assert_int_equal(sc_secret_created(got), created);
	assert_true(sc_secret_updated(got) > created);
	assert_int_equal(sc_secret_field_count(got), 1);
	sc_secret_free(got);
	expect_get(v, "prod/db", SC_OK, "replaced");
	assert_int_equal(sc_vault_count(v, &count), SC_OK);
	assert_int_equal(count, 3);

	/* delete */
	assert_int_equal(sc_vault_delete(v, "x"), SC_OK);
	expect_get(v, "x", SC_ERR_NOT_FOUND, NULL);
	assert_int_equal(sc_vault_delete(v, "x"), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_vault_delete(v, "a b"), SC_ERR_NAME);
	assert_int_equal(sc_vault_count(v, &count), SC_OK);
	assert_int_equal(count, 2);

	/* the audit anchor lives in the sealed state */
	a.seq = 77;
	memset(a.mac, 0xab, sizeof(a.mac));
	assert_int_equal(sc_vault_anchor_set(v, &a), SC_OK);
	assert_int_equal(sc_vault_export_dek(v, dek), SC_OK);
	sc_vault_close(v);

	/* everything survives a reopen; the DEK unlocks as well as the password */
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_memory_equal(sc_vault_id(v), id, sizeof(id));
	assert_int_equal(sc_vault_unlock_dek(v, dek), SC_OK);
	expect_get(v, "prod/db", SC_OK, "replaced");
	expect_get(v, "dev/api", SC_OK, "dev-api-value");
	expect_get(v, "x", SC_ERR_NOT_FOUND, NULL);
	assert_int_equal(sc_vault_anchor_get(v, &b), SC_OK);
	assert_int_equal(b.seq, 77);
	assert_memory_equal(b.mac, a.mac, sizeof(a.mac));
	sc_vault_close(v);

	/* a wrong DEK is a wrong key */
	dek[0] ^= 1;
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock_dek(v, dek), SC_ERR_AUTH);
	assert_false(sc_vault_is_unlocked(v));
	sc_vault_close(v);
	done(dir);
}

static void test_no_vault(void **state)
{
	struct sc_vault *v = (struct sc_vault *)&v;
	char *dir = scratch(), *missing = path_in(dir, "missing");

	(void)state;
	assert_int_equal(sc_vault_open(dir, &v), SC_ERR_NO_VAULT);
	assert_null(v);
	assert_int_equal(sc_vault_open(missing, &v), SC_ERR_NO_VAULT);
	assert_null(v);
	/* weak KDF parameters are refused at creation */
	{
		struct sc_kdf_params weak = {1024, 1}, slow = {8192, 0};

		assert_int_equal(sc_vault_create(dir, PW, strlen(PW), &weak), SC_ERR_INVALID);
		assert_int_equal(sc_vault_create(dir, PW, strlen(PW), &slow), SC_ERR_INVALID);
	}
	free(missing);
	done(dir);
}

static void test_wrong_password(void **state)
{
	struct sc_vault *v;
	struct blobbuf before, after;
	char *dir;

	(void)state;
	v = new_vault(&dir);
	put_value(v, "k", "value-k");
	sc_vault_close(v);
	before = snapshot(dir);
	assert_true(before.len > 0);

	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock(v, "wrong", 5), SC_ERR_AUTH);
	assert_int_equal(sc_vault_unlock(v, PW, strlen(PW) - 1), SC_ERR_AUTH);
	assert_int_equal(sc_vault_unlock(v, "", 0), SC_ERR_AUTH);
	assert_false(sc_vault_is_unlocked(v));
	expect_get(v, "k", SC_ERR_LOCKED, NULL);
	sc_vault_close(v);

	after = snapshot(dir);
	assert_int_equal(before.len, after.len);
	assert_memory_equal(before.p, after.p, before.len);
	free(before.p);
	free(after.p);

	/* and the right one still works */
	v = open_unlocked(dir, PW);
	expect_get(v, "k", SC_OK, "value-k");
	sc_vault_close(v);
	done(dir);
}

static void test_create_existing(void **state)
{
	struct sc_vault *v;
	struct blobbuf before, after;
	char *dir;

	(void)state;
	v = new_vault(&dir);
	put_value(v, "k", "value-k");
	sc_vault_close(v);
	before = snapshot(dir);
	assert_int_equal(sc_vault_create(dir, PW2, strlen(PW2), &small_kdf), SC_ERR_EXISTS);
	after = snapshot(dir);
	assert_int_equal(before.len, after.len);
	assert_memory_equal(before.p, after.p, before.len);
	free(before.p);
	free(after.p);
	v = open_unlocked(dir, PW);
	expect_get(v, "k", SC_OK, "value-k");
	sc_vault_close(v);
	done(dir);
}

/* ---- tests: tampering with records ---- */

static void test_flip_record_bytes(void **state)
{
	struct sc_vault *v;
	sqlite3 *db;
	uint8_t *body;
	size_t len, i;
	int64_t id;
	char *dir;

	(void)state;
	v = new_vault(&dir);
	db = db_open(dir);
	put_value(v, "flip/me", "the-right-value");
	id = new_record_id(db, NULL, 0);
	put_value(v, "bystander", "other-value");
	body = db_blob(db, "SELECT body FROM records WHERE id = ?", id, &len);
	assert_non_null(body);
	assert_true(len > SC_SEAL_OVERHEAD);
	/* every byte: nonce (0-11), ciphertext, tag (last 16); alternate bits */
	for (i = 0; i < len; i++) {
		uint8_t save = body[i];
		struct sc_secret *s = (struct sc_secret *)&s;
		int r1, r2;

		body[i] ^= (uint8_t)(1u << (i % 8));
		db_set(db, "UPDATE records SET body = ?1 WHERE id = ?2", body, len, id);
		r1 = sc_vault_get(v, "flip/me", &s);
		r2 = walk_status(v);
		if (r1 != SC_ERR_CORRUPT || s != NULL || r2 != SC_ERR_CORRUPT)
			fail_msg("byte %zu of %zu flipped: get %d walk %d", i, len, r1, r2);
		expect_get(v, "bystander", SC_OK, "other-value");
		body[i] = save;
	}
	db_set(db, "UPDATE records SET body = ?1 WHERE id = ?2", body, len, id);
	expect_get(v, "flip/me", SC_OK, "the-right-value");
	expect_get(v, "bystander", SC_OK, "other-value");
	assert_int_equal(walk_status(v), SC_OK);

	/* truncated, extended, empty */
	for (i = 0; i <= SC_SEAL_OVERHEAD + 1; i++) {
		db_set(db, "UPDATE records SET body = ?1 WHERE id = ?2", body, i, id);
		assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	}
	body = realloc(body, len + 1);
	body[len] = 0;
	db_set(db, "UPDATE records SET body = ?1 WHERE id = ?2", body, len + 1, id);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	db_set(db, "UPDATE records SET body = ?1 WHERE id = ?2", body, len, id);
	assert_int_equal(walk_status(v), SC_OK);
	free(body);
	sqlite3_close(db);
	sc_vault_close(v);
	done(dir);
}

static void test_swap_records(void **state)
{
	struct sc_vault *v;
	sqlite3 *db;
	uint8_t *ba, *bb;
	size_t la, lb;
	int64_t ida, idb;
	char *dir;

	(void)state;
	v = new_vault(&dir);
	db = db_open(dir);
	put_value(v, "alpha", "alpha-value");
	ida = new_record_id(db, NULL, 0);
	put_value(v, "beta", "beta-value");
	idb = new_record_id(db, &ida, 1);
	ba = db_blob(db, "SELECT body FROM records WHERE id = ?", ida, &la);
	bb = db_blob(db, "SELECT body FROM records WHERE id = ?", idb, &lb);
	db_set(db, "UPDATE records SET body = ?1 WHERE id = ?2", bb, lb, ida);
	db_set(db, "UPDATE records SET body = ?1 WHERE id = ?2", ba, la, idb);
	expect_get(v, "alpha", SC_ERR_CORRUPT, NULL);
	expect_get(v, "beta", SC_ERR_CORRUPT, NULL);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	/* a copy of one record over the other: still refused */
	db_set(db, "UPDATE records SET body = ?1 WHERE id = ?2", ba, la, ida);
	db_set(db, "UPDATE records SET body = ?1 WHERE id = ?2", ba, la, idb);
	expect_get(v, "alpha", SC_OK, "alpha-value");
	expect_get(v, "beta", SC_ERR_CORRUPT, NULL);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	/* swap the ids (rows keep their bodies, ids exchanged) */
	db_set(db, "UPDATE records SET body = ?1 WHERE id = ?2", bb, lb, idb);
	expect_get(v, "beta", SC_OK, "beta-value");
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
		         "UPDATE records SET id = -1 WHERE id = %lld;"
		         "UPDATE records SET id = %lld WHERE id = %lld;"
		         "UPDATE records SET id = %lld WHERE id = -1;",
		         (long long)ida, (long long)ida, (long long)idb, (long long)idb);
		db_exec(db, sql);
	}
	expect_get(v, "alpha", SC_ERR_CORRUPT, NULL);
	expect_get(v, "beta", SC_ERR_CORRUPT, NULL);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	free(ba);
	free(bb);
	sqlite3_close(db);
	sc_vault_close(v);
	done(dir);
}

static void test_rollback_record(void **state)
{
	struct sc_vault *v;
	sqlite3 *db;
	uint8_t *old;
	size_t len;
	int64_t id;
	char *dir;

	(void)state;
	v = new_vault(&dir);
	db = db_open(dir);
	put_value(v, "rolled", "version-1");
	id = new_record_id(db, NULL, 0);
	old = db_blob(db, "SELECT body FROM records WHERE id = ?", id, &len);
	put_value(v, "rolled", "version-2");
	/* a replaced secret keeps its record id */
	assert_int_equal(db_int(db, "SELECT count(*) FROM records"), 1);
	assert_int_equal(db_int(db, "SELECT id FROM records"), id);
	expect_get(v, "rolled", SC_OK, "version-2");
	db_set(db, "UPDATE records SET body = ?1 WHERE id = ?2", old, len, id);
	expect_get(v, "rolled", SC_ERR_CORRUPT, NULL);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	/* writing over a rolled-back record is refused too (it proves the old one) */
	{
		struct sc_secret *s;

		assert_int_equal(sc_secret_new(&s, "rolled"), SC_OK);
		assert_int_equal(sc_secret_add_field(s, "value", "v3", 2, 1), SC_OK);
		assert_int_equal(sc_vault_put(v, s), SC_ERR_CORRUPT);
		sc_secret_free(s);
	}
	free(old);
	sqlite3_close(db);
	sc_vault_close(v);
	done(dir);
}

static void test_delete_and_insert_rows(void **state)
{
	struct sc_vault *v;
	sqlite3 *db;
	uint8_t *body, junk[100];
	size_t len, count;
	int64_t ida, idb;
	char *dir, sql[128];
	int exists;

	(void)state;
	v = new_vault(&dir);
	db = db_open(dir);
	put_value(v, "keep", "keep-value");
	ida = new_record_id(db, NULL, 0);
	put_value(v, "gone", "gone-value");
	idb = new_record_id(db, &ida, 1);
	body = db_blob(db, "SELECT body FROM records WHERE id = ?", idb, &len);

	/* a record row deleted behind the vault's back */
	snprintf(sql, sizeof(sql), "DELETE FROM records WHERE id = %lld", (long long)idb);
	db_exec(db, sql);
	expect_get(v, "gone", SC_ERR_CORRUPT, NULL);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	expect_get(v, "keep", SC_OK, "keep-value");
	/* the index still lists it */
	assert_int_equal(sc_vault_exists(v, "gone", &exists), SC_OK);
	assert_true(exists);
	assert_int_equal(sc_vault_count(v, &count), SC_OK);
	assert_int_equal(count, 2);
	/* put it back: all is well again */
	db_set(db, "INSERT INTO records (body, id) VALUES (?1, ?2)", body, len, idb);
	expect_get(v, "gone", SC_OK, "gone-value");
	assert_int_equal(walk_status(v), SC_OK);

	/* a foreign row: random bytes, then a real body under a new id */
	sc_random(junk, sizeof(junk));
	db_set(db, "INSERT INTO records (body, id) VALUES (?1, ?2)", junk, sizeof(junk), 12345);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	db_exec(db, "DELETE FROM records WHERE id = 12345");
	assert_int_equal(walk_status(v), SC_OK);
	db_set(db, "INSERT INTO records (body, id) VALUES (?1, ?2)", body, len, INT64_MAX);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	db_exec(db, "DELETE FROM records WHERE id = 9223372036854775807");
	db_set(db, "INSERT INTO records (body, id) VALUES (?1, ?2)", body, len, 1);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	db_exec(db, "DELETE FROM records WHERE id = 1");
	assert_int_equal(walk_status(v), SC_OK);
	free(body);
	sqlite3_close(db);
	sc_vault_close(v);
	done(dir);
}

/* ---- tests: tampering with the index ---- */

static void test_flip_state_and_bucket(void **state)
{
	struct sc_vault *v;
	sqlite3 *db;
	uint8_t *body;
	size_t len, i;
	unsigned b;
	char *dir;

	(void)state;
	v = new_vault(&dir);
	put_value(v, "indexed", "indexed-value");
	b = bucket_of(v, "indexed");
	db = db_open(dir);

	body = db_blob(db, "SELECT body FROM state WHERE id = ?", 1, &len);
	assert_non_null(body);
	for (i = 0; i < len; i += (i < 40 || i > len - 40 ? 1 : 97)) {
		body[i] ^= 0x04;
		db_set(db, "UPDATE state SET body = ?1 WHERE id = ?2", body, len, 1);
		expect_get(v, "indexed", SC_ERR_CORRUPT, NULL);
		body[i] ^= 0x04;
	}
	db_set(db, "UPDATE state SET body = ?1 WHERE id = ?2", body, len, 1);
	expect_get(v, "indexed", SC_OK, "indexed-value");
	free(body);

	body = db_blob(db, "SELECT body FROM buckets WHERE id = ?", b, &len);
	assert_non_null(body);
	for (i = 0; i < len; i++) {
		body[i] ^= 0x40;
		db_set(db, "UPDATE buckets SET body = ?1 WHERE id = ?2", body, len, b);
		expect_get(v, "indexed", SC_ERR_CORRUPT, NULL);
		if (walk_status(v) != SC_ERR_CORRUPT)
			fail_msg("bucket byte %zu flipped: walk accepted", i);
		body[i] ^= 0x40;
	}
	db_set(db, "UPDATE buckets SET body = ?1 WHERE id = ?2", body, len, b);
	expect_get(v, "indexed", SC_OK, "indexed-value");

	/* the bucket moved to another bucket number: its AAD names its place */
	{
		char sql[128];

		snprintf(sql, sizeof(sql), "UPDATE buckets SET id = %u WHERE id = %u",
		         (b + 1) % 256, b);
		db_exec(db, sql);
		expect_get(v, "indexed", SC_ERR_CORRUPT, NULL);
		assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
		snprintf(sql, sizeof(sql), "UPDATE buckets SET id = %u WHERE id = %u", b,
		         (b + 1) % 256);
		db_exec(db, sql);
	}
	/* the bucket row deleted */
	db_exec(db, "DELETE FROM buckets");
	expect_get(v, "indexed", SC_ERR_CORRUPT, NULL);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	db_set(db, "INSERT INTO buckets (body, id) VALUES (?1, ?2)", body, len, b);
	expect_get(v, "indexed", SC_OK, "indexed-value");
	assert_int_equal(walk_status(v), SC_OK);
	/* a bucket row beyond the 256 (walk and count read all rows at once) */
	db_set(db, "INSERT INTO buckets (body, id) VALUES (?1, ?2)", body, len, 256);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	{
		size_t count = 0;

		assert_int_equal(sc_vault_count(v, &count), SC_ERR_CORRUPT);
		db_exec(db, "DELETE FROM buckets WHERE id = 256");
		assert_int_equal(sc_vault_count(v, &count), SC_OK);
		assert_int_equal(count, 1);
	}
	assert_int_equal(walk_status(v), SC_OK);
	/* the state row deleted */
	db_exec(db, "DELETE FROM state");
	expect_get(v, "indexed", SC_ERR_CORRUPT, NULL);
	free(body);
	sqlite3_close(db);
	sc_vault_close(v);
	done(dir);
}

/* A bucket row rolled back to an earlier version of itself. */
static void test_rollback_bucket(void **state)
{
	struct sc_vault *v;
	sqlite3 *db;
	uint8_t *old;
	size_t len;
	unsigned b;
	char *dir, second[64];

	(void)state;
	v = new_vault(&dir);
	put_value(v, "first", "first-value");
	b = bucket_of(v, "first");
	name_in_bucket(v, "second-", b, second, sizeof(second));
	db = db_open(dir);
	old = db_blob(db, "SELECT body FROM buckets WHERE id = ?", b, &len);
	/* a second secret in the same bucket, then the bucket rolled back to
	 * the version that did not list it */
	put_value(v, second, "second-value");
	db_set(db, "UPDATE buckets SET body = ?1 WHERE id = ?2", old, len, b);
	expect_get(v, second, SC_ERR_CORRUPT, NULL);
	expect_get(v, "first", SC_ERR_CORRUPT, NULL);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	free(old);
	sqlite3_close(db);
	sc_vault_close(v);
	done(dir);
}

/* The state row rolled back to an earlier version while the buckets and
 * records it no longer describes are still there. */
static void test_rollback_state_same_bucket(void **state)
{
	struct sc_vault *v;
	sqlite3 *db;
	uint8_t *old;
	size_t len;
	unsigned b;
	char *dir, second[64];

	(void)state;
	v = new_vault(&dir);
	put_value(v, "first", "first-value");
	b = bucket_of(v, "first");
	name_in_bucket(v, "second-", b, second, sizeof(second));
	db = db_open(dir);
	old = db_blob(db, "SELECT body FROM state WHERE id = ?", 1, &len);
	put_value(v, second, "second-value");
	db_set(db, "UPDATE state SET body = ?1 WHERE id = ?2", old, len, 1);
	expect_get(v, second, SC_ERR_CORRUPT, NULL);
	expect_get(v, "first", SC_ERR_CORRUPT, NULL);
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	free(old);
	sqlite3_close(db);
	sc_vault_close(v);
	done(dir);
}

/* As above, but the newer secret went to a bucket that was empty in the
 * old state: its bucket row and record row are still on disk, and must
 * not be silently ignored. */
static void test_rollback_state_new_bucket(void **state)
{
	struct sc_vault *v;
	sqlite3 *db;
	uint8_t *old;
	size_t len, count = 0;
	unsigned b;
	char *dir, second[64];
	int exists = -1, rc;

	(void)state;
	v = new_vault(&dir);
	put_value(v, "first", "first-value");
	b = bucket_of(v, "first");
	name_in_bucket(v, "second-", (b + 1) % 256, second, sizeof(second));
	db = db_open(dir);
	old = db_blob(db, "SELECT body FROM state WHERE id = ?", 1, &len);
	put_value(v, second, "second-value");
	db_set(db, "UPDATE state SET body = ?1 WHERE id = ?2", old, len, 1);
	/* walk sees the record row the index no longer lists */
	assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
	/* get, exists and count must not report the rolled-back index as truth */
	expect_get(v, second, SC_ERR_CORRUPT, NULL);
	rc = sc_vault_exists(v, second, &exists);
	if (rc == SC_OK)
		fail_msg("exists after a state rollback: SC_OK, exists=%d", exists);
	rc = sc_vault_count(v, &count);
	if (rc == SC_OK)
		fail_msg("count after a state rollback: SC_OK, count=%zu (2 on disk)", count);
	free(old);
	sqlite3_close(db);
	sc_vault_close(v);
	done(dir);
}

/* ---- tests: key slots, format, permissions ---- */

static void test_keyslot_params(void **state)
{
	struct sc_vault *v;
	sqlite3 *db;
	uint8_t *params, *p2;
	size_t len, i;
	char *dir;
	static const struct {
		uint32_t mem, t;
		uint8_t alg;
		const char *what;
	} bad[] = {
	    {0xffffffffu, 1, 1, "4 TiB of memory"},
	    {4u * 1024 * 1024 + 1, 1, 1, "just over 4 GiB"},
	    {8191, 1, 1, "under 8 MiB"},
	    {0, 1, 1, "no memory"},
	    {8192, 0, 1, "no passes"},
	    {8192, 65, 1, "65 passes"},
	    {8192, 0xffffffffu, 1, "4 billion passes"},
	    {8192, 1, 2, "an unknown algorithm"},
	    {8192, 1, 0, "algorithm 0"},
	};

	(void)state;
	v = new_vault(&dir);
	put_value(v, "k", "value-k");
	sc_vault_close(v);
	db = db_open(dir);
	params = db_blob(db, "SELECT params FROM keyslots WHERE id = ?", 1, &len);
	assert_non_null(params);
	assert_int_equal(len, 1 + 4 + 4 + SC_SALT_LEN);
	/* the format is what vault.c says: alg, mem (BE), t (BE), salt */
	assert_int_equal(params[0], 1);
	assert_int_equal(((uint32_t)params[1] << 24) | ((uint32_t)params[2] << 16) |
	                     ((uint32_t)params[3] << 8) | params[4],
	                 small_kdf.mem_kib);
	assert_int_equal(((uint32_t)params[5] << 24) | ((uint32_t)params[6] << 16) |
	                     ((uint32_t)params[7] << 8) | params[8],
	                 small_kdf.t);
	p2 = malloc(len + 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct timespec t0, t1;
		double ms;
		int r;

		memcpy(p2, params, len);
		p2[0] = bad[i].alg;
		p2[1] = (uint8_t)(bad[i].mem >> 24);
		p2[2] = (uint8_t)(bad[i].mem >> 16);
		p2[3] = (uint8_t)(bad[i].mem >> 8);
		p2[4] = (uint8_t)bad[i].mem;
		p2[5] = (uint8_t)(bad[i].t >> 24);
		p2[6] = (uint8_t)(bad[i].t >> 16);
		p2[7] = (uint8_t)(bad[i].t >> 8);
		p2[8] = (uint8_t)bad[i].t;
		db_set(db, "UPDATE keyslots SET params = ?1 WHERE id = ?2", p2, len, 1);
		assert_int_equal(sc_vault_open(dir, &v), SC_OK);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = sc_vault_unlock(v, PW, strlen(PW));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		sc_vault_close(v);
		ms =
		    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		/* refused by the bounds check, before Argon2 runs: had it tried, an
		 * allocation failure would read SC_ERR_NOMEM, and a run would take
		 * far longer than this */
		if (r != SC_ERR_CORRUPT)
			fail_msg("key slot with %s: unlock %s (%d)", bad[i].what, sc_strerror(r),
			         r);
		if (ms > 500)
			fail_msg("key slot with %s: refused only after %.0f ms", bad[i].what, ms);
	}
	/* a slot with its parameters changed within bounds fails the tag:
	 * the parameters are bound into the wrapped key's AAD */
	memcpy(p2, params, len);
	p2[8] = 2; /* t = 2 */
	db_set(db, "UPDATE keyslots SET params = ?1 WHERE id = ?2", p2, len, 1);
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_ERR_AUTH);
	sc_vault_close(v);
	/* wrong lengths */
	db_set(db, "UPDATE keyslots SET params = ?1 WHERE id = ?2", params, len - 1, 1);
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_ERR_CORRUPT);
	sc_vault_close(v);
	db_set(db, "UPDATE keyslots SET params = ?1 WHERE id = ?2", params, len, 1);
	/* the wrapped key flipped: indistinguishable from a wrong password */
	{
		uint8_t *w = db_blob(db, "SELECT wrapped FROM keyslots WHERE id = ?", 1, &len);

		w[20] ^= 1;
		db_set(db, "UPDATE keyslots SET wrapped = ?1 WHERE id = ?2", w, len, 1);
		assert_int_equal(sc_vault_open(dir, &v), SC_OK);
		assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_ERR_AUTH);
		sc_vault_close(v);
		w[20] ^= 1;
		db_set(db, "UPDATE keyslots SET wrapped = ?1 WHERE id = ?2", w, len, 1);
		free(w);
	}
	/* no slot at all */
	{
		uint8_t *w = db_blob(db, "SELECT wrapped FROM keyslots WHERE id = ?", 1, &len);

		db_exec(db, "DELETE FROM keyslots");
		assert_int_equal(sc_vault_open(dir, &v), SC_OK);
		assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_ERR_CORRUPT);
		sc_vault_close(v);
		free(w);
	}
	free(p2);
	free(params);
	sqlite3_close(db);
	done(dir);
}

/* A schema changed in the file (a flipped byte can rename a column in
 * sqlite_master): our fixed statements no longer compile, and that is a
 * corrupt vault (SC_ERR_CORRUPT), not a generic database error. */
static void test_schema_tampered(void **state)
{
	static const char *const edits[][2] = {
	    {"records", "replace(sql, 'body', 'bodz')"},
	    {"buckets", "replace(sql, 'body', 'bodx')"},
	    {"state", "replace(sql, 'body', 'bodq')"},
	};
	struct sc_vault *v;
	sqlite3 *db;
	char *dir, sql[256];
	size_t i;
	int exists;

	(void)state;
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		v = new_vault(&dir);
		put_value(v, "one", "value-one");
		sc_vault_close(v);
		db = db_open(dir);
		db_exec(db, "PRAGMA writable_schema = ON");
		snprintf(sql, sizeof(sql), "UPDATE sqlite_master SET sql = %s WHERE name = '%s'",
		         edits[i][1], edits[i][0]);
		db_exec(db, sql);
		sqlite3_close(db);
		v = NULL;
		assert_int_equal(sc_vault_open(dir, &v), SC_OK);
		if (i == 2) {
			/* the unlock reads the sealed state: it stops there */
			assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_ERR_CORRUPT);
		} else {
			assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_OK);
			expect_get(v, "one", SC_ERR_CORRUPT, NULL);
			/* exists reads the index only, not the records table */
			assert_int_equal(sc_vault_exists(v, "one", &exists),
			                 i == 0 ? SC_OK : SC_ERR_CORRUPT);
			assert_int_equal(walk_status(v), SC_ERR_CORRUPT);
		}
		sc_vault_close(v);
		done(dir);
	}
}

/* SQLite's file header: a changed write version (byte 18) would make SQLite
 * open the vault read-only and fail later with an I/O error; a changed read
 * version (19) or magic is not a database. All are a tampered vault. */
static void test_header_tampered(void **state)
{
	static const struct {
		off_t off;
		unsigned char x;
	} flips[] = {{18, 0x5a}, {18, 0x01}, {19, 0x07}, {0, 0x20}, {15, 0x01}};
	struct sc_vault *v;
	char *dir, *path;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		unsigned char b;
		int fd;

		v = new_vault(&dir);
		put_value(v, "one", "value-one");
		sc_vault_close(v);
		path = path_in(dir, "vault.db");
		fd = open(path, O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &b, 1, flips[i].off), 1);
		b ^= flips[i].x;
		assert_int_equal(pwrite(fd, &b, 1, flips[i].off), 1);
		close(fd);
		v = (struct sc_vault *)&v;
		if (sc_vault_open(dir, &v) != SC_ERR_CORRUPT)
			fail_msg("header byte %lld ^ 0x%02x: not refused as corrupt",
			         (long long)flips[i].off, flips[i].x);
		assert_null(v);
		free(path);
		done(dir);
	}
}

static void test_format_version(void **state)
{
	struct sc_vault *v;
	sqlite3 *db;
	char *dir;
	static const uint8_t v3[8] = {0, 0, 0, 0, 0, 0, 0, 3}, v0[8] = {0},
	                     v1[8] = {0, 0, 0, 0, 0, 0, 0, 1};

	(void)state;
	v = new_vault(&dir);
	sc_vault_close(v);
	db = db_open(dir);
	db_set(db, "UPDATE meta SET value = ?1 WHERE key = 'format'", v3, 8, 0);
	v = (struct sc_vault *)&v;
	assert_int_equal(sc_vault_open(dir, &v), SC_ERR_VERSION);
	assert_null(v);
	assert_true(strstr(sc_last_error(), "newer") != NULL);
	db_set(db, "UPDATE meta SET value = ?1 WHERE key = 'format'", v0, 8, 0);
	assert_int_equal(sc_vault_open(dir, &v), SC_ERR_CORRUPT);
	db_set(db, "UPDATE meta SET value = ?1 WHERE key = 'format'", v1, 7, 0);
	assert_int_equal(sc_vault_open(dir, &v), SC_ERR_CORRUPT);
	/* a format 1 vault (no history table) is migrated to 2 at open */
	assert_int_equal(sqlite3_exec(db, "DROP TABLE history", NULL, NULL, NULL), SQLITE_OK);
	db_set(db, "UPDATE meta SET value = ?1 WHERE key = 'format'", v1, 8, 0);
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	sc_vault_close(v);
	{
		size_t len;
		uint8_t *f = db_blob(db, "SELECT value FROM meta WHERE key = 'format'", 0, &len);

		assert_int_equal(len, 8);
		assert_int_equal(f[7], 2);
		free(f);
	}
	assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM history", NULL, NULL, NULL),
	                 SQLITE_OK);
	/* a vault id that is not the one the keys were bound to */
	{
		size_t len;
		uint8_t *id = db_blob(db, "SELECT value FROM meta WHERE key = 'vault_id'", 0, &len);

		id[0] ^= 1;
		db_set(db, "UPDATE meta SET value = ?1 WHERE key = 'vault_id'", id, len, 0);
		assert_int_equal(sc_vault_open(dir, &v), SC_OK);
		assert_int_not_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_OK);
		assert_false(sc_vault_is_unlocked(v));
		sc_vault_close(v);
		free(id);
	}
	sqlite3_close(db);
	/* not a database at all */
	{
		char *p = path_in(dir, "vault.db");
		FILE *f = fopen(p, "wb");

		fputs("this is not an SQLite database, just some text of a decent length........"
		      "...............................................................",
		      f);
		fclose(f);
		chmod(p, 0600);
		assert_int_not_equal(sc_vault_open(dir, &v), SC_OK);
		free(p);
	}
	done(dir);
}

static void test_permissions(void **state)
{
	struct sc_vault *v = NULL;
	char *dir, *db, *wal, *other, *link, *real;

	(void)state;
	v = new_vault(&dir);
	sc_vault_close(v);
	db = path_in(dir, "vault.db");
	wal = path_in(dir, "vault.db-wal");

	assert_int_equal(chmod(dir, 0755), 0);
	v = (struct sc_vault *)&v;
	assert_int_equal(sc_vault_open(dir, &v), SC_ERR_PERM);
	assert_null(v);
	assert_true(strstr(sc_last_error(), "chmod 700") != NULL);
	assert_int_equal(chmod(dir, 0710), 0);
	assert_int_equal(sc_vault_open(dir, &v), SC_ERR_PERM);
	assert_int_equal(chmod(dir, 0700), 0);

	assert_int_equal(chmod(db, 0644), 0);
	assert_int_equal(sc_vault_open(dir, &v), SC_ERR_PERM);
	assert_int_equal(chmod(db, 0640), 0);
	assert_int_equal(sc_vault_open(dir, &v), SC_ERR_PERM);
	assert_int_equal(chmod(db, 0602), 0);
	assert_int_equal(sc_vault_open(dir, &v), SC_ERR_PERM);
	assert_int_equal(chmod(db, 0600), 0);

	/* a loose WAL file is refused as well */
	{
		FILE *f = fopen(wal, "wb");

		fclose(f);
		assert_int_equal(chmod(wal, 0644), 0);
		assert_int_equal(sc_vault_open(dir, &v), SC_ERR_PERM);
		unlink(wal);
	}

	v = open_unlocked(dir, PW);
	sc_vault_close(v);

	/* vault.db a symlink to the real file elsewhere */
	other = scratch();
	real = path_in(other, "vault.db");
	assert_int_equal(rename(db, real), 0);
	assert_int_equal(symlink(real, db), 0);
	assert_int_equal(sc_vault_open(dir, &v), SC_ERR_PERM);
	assert_true(strstr(sc_last_error(), "symbolic link") != NULL);
	assert_int_equal(unlink(db), 0);
	assert_int_equal(rename(real, db), 0);

	/* the vault directory reached through a symlink */
	link = path_in(other, "link");
	assert_int_equal(symlink(dir, link), 0);
	assert_int_equal(sc_vault_open(link, &v), SC_ERR_PERM);
	/* and creating through a symlinked directory or over a symlinked file */
	assert_int_equal(sc_vault_create(link, PW, strlen(PW), &small_kdf), SC_ERR_PERM);
	{
		char *d2 = scratch(), *target = path_in(other, "target"),
		     *dbl = path_in(d2, "vault.db");
		struct stat st;

		assert_int_equal(symlink(target, dbl), 0);
		assert_int_not_equal(sc_vault_create(d2, PW, strlen(PW), &small_kdf), SC_OK);
		/* nothing was written through the link */
		assert_int_equal(lstat(target, &st), -1);
		assert_int_equal(errno, ENOENT);
		free(target);
		free(dbl);
		done(d2);
	}
	/* creating in a directory others can read */
	{
		char *d3 = scratch();

		assert_int_equal(chmod(d3, 0755), 0);
		assert_int_equal(sc_vault_create(d3, PW, strlen(PW), &small_kdf), SC_ERR_PERM);
		done(d3);
	}

	v = open_unlocked(dir, PW);
	sc_vault_close(v);
	free(link);
	free(real);
	done(other);
	free(db);
	free(wal);
	done(dir);
}

/* ---- tests: password change ---- */

static void test_passwd(void **state)
{
	struct sc_vault *v;
	sqlite3 *db;
	uint8_t *wrapped, *params;
	size_t wlen, plen;
	struct blobbuf all;
	char *dir;
	static const struct sc_kdf_params weak = {4096, 1};

	(void)state;
	v = new_vault(&dir);
	put_value(v, "kept", "kept-value");
	db = db_open(dir);
	wrapped = db_blob(db, "SELECT wrapped FROM keyslots WHERE id = ?", 1, &wlen);
	params = db_blob(db, "SELECT params FROM keyslots WHERE id = ?", 1, &plen);
	sqlite3_close(db);
	assert_int_equal(wlen, SC_KEY_LEN + SC_SEAL_OVERHEAD);
	all = snapshot(dir);
	assert_non_null(memmem(all.p, all.len, wrapped, wlen)); /* the search works */
	free(all.p);

	assert_int_equal(sc_vault_passwd(v, PW2, strlen(PW2), &weak), SC_ERR_INVALID);
	assert_int_equal(sc_vault_passwd(v, PW2, strlen(PW2), &small_kdf), SC_OK);
	/* straight after, with the vault still open */
	all = snapshot(dir);
	if (memmem(all.p, all.len, wrapped, wlen) != NULL)
		fail_msg("the old wrapped key is still in the vault directory after passwd");
	if (memmem(all.p, all.len, params + 9, SC_SALT_LEN) != NULL)
		fail_msg("the old key slot's salt is still in the vault directory after passwd");
	free(all.p);
	expect_get(v, "kept", SC_OK, "kept-value");
	put_value(v, "after", "after-value");
	sc_vault_close(v);
	all = snapshot(dir);
	assert_null(memmem(all.p, all.len, wrapped, wlen));
	free(all.p);

	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_ERR_AUTH);
	assert_int_equal(sc_vault_unlock(v, PW2, strlen(PW2)), SC_OK);
	expect_get(v, "kept", SC_OK, "kept-value");
	expect_get(v, "after", SC_OK, "after-value");
	sc_vault_close(v);

	/* locked: no passwd */
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_passwd(v, PW, strlen(PW), &small_kdf), SC_ERR_LOCKED);
	sc_vault_close(v);
	free(wrapped);
	free(params);
	done(dir);
}

/* ---- tests: nothing readable on disk ---- */

static void test_no_plaintext_on_disk(void **state)
{
	static const char *const plain[] = {
	    "project-zephyr/production/database", /* names */
	    "deleted-quasar/api-token",
	    "replaced-nebula/key",
	    "VALUE-5f3a9c-super-secret-password", /* values */
	    "VALUE-deleted-7d1e0b-value",
	    "VALUE-replaced-old-2c4d6e",
	    "VALUE-replaced-new-9a8b7c",
	    "fieldname-unusual-xyz", /* field name, hint, env, tag, notes, url */
	    "hint-text-the-usual-one",
	    "ENV_VAR_NAME_PLUGH",
	    "tag-marigold-prod",
	    "notes: rotate this after the quarterly audit",
	    "https://console.zephyr.example/db",
	};
	struct sc_vault *v;
	struct sc_secret *s;
	struct blobbuf all;
	char *dir;
	uint8_t id[16];
	size_t i;
	int pass;

	(void)state;
	v = new_vault(&dir);
	memcpy(id, sc_vault_id(v), sizeof(id));
	assert_int_equal(sc_secret_new(&s, plain[0]), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "value", plain[3], strlen(plain[3]), 1), SC_OK);
	assert_int_equal(sc_secret_add_field(s, plain[7], "x", 1, 0), SC_OK);
	assert_int_equal(sc_secret_set_hint(s, "value", plain[8]), SC_OK);
	assert_int_equal(sc_secret_add_binding(s, plain[9], "value"), SC_OK);
	assert_int_equal(sc_secret_add_tag(s, plain[10]), SC_OK);
	assert_int_equal(sc_secret_set_notes(s, plain[11]), SC_OK);
	assert_int_equal(sc_secret_set_url(s, plain[12]), SC_OK);
	assert_int_equal(sc_vault_put(v, s), SC_OK);
	sc_secret_free(s);
	put_value(v, plain[1], plain[4]);
	put_value(v, plain[2], plain[5]);
	put_value(v, plain[2], plain[6]);
	assert_int_equal(sc_vault_delete(v, plain[1]), SC_OK);
	expect_get(v, plain[2], SC_OK, plain[6]);

	/* pass 0: vault open, writes still in the WAL; pass 1: after close */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0)
			assert_true(file_size(dir, "vault.db-wal") > 0);
		all = snapshot(dir);
		assert_true(all.len > 4096);
		/* the search sees the database: the (public) vault id is in it */
		assert_non_null(memmem(all.p, all.len, id, sizeof(id)));
		for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
			if (memmem(all.p, all.len, plain[i], strlen(plain[i])) != NULL)
				fail_msg("'%s' found in plain text in the vault directory (%s)",
				         plain[i], pass == 0 ? "WAL" : "after close");
		/* and a secret's name is not there in any obvious short form */
		assert_null(memmem(all.p, all.len, "zephyr", 6));
		assert_null(memmem(all.p, all.len, "quasar", 6));
		free(all.p);
		if (pass == 0)
			sc_vault_close(v);
	}
	done(dir);
}

static int setup_base(void **state)
{
	const char *t = getenv("SC_TEST_TMP");

	(void)state;
	if (t != NULL && *t != '\0') {
		snprintf(base, sizeof(base), "%s", t);
		mkdir(base, 0700);
		return 0;
	}
	snprintf(base, sizeof(base), "/tmp/sc-test-vault-XXXXXX");
	return mkdtemp(base) == NULL ? -1 : 0;
}

static int teardown_base(void **state)
{
	(void)state;
	if (getenv("SC_TEST_TMP") == NULL)
		rm_rf(base);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_no_vault),
	    cmocka_unit_test(test_wrong_password),
	    cmocka_unit_test(test_create_existing),
	    cmocka_unit_test(test_flip_record_bytes),
	    cmocka_unit_test(test_swap_records),
	    cmocka_unit_test(test_rollback_record),
	    cmocka_unit_test(test_delete_and_insert_rows),
	    cmocka_unit_test(test_flip_state_and_bucket),
	    cmocka_unit_test(test_rollback_bucket),
	    cmocka_unit_test(test_rollback_state_same_bucket),
	    cmocka_unit_test(test_rollback_state_new_bucket),
	    cmocka_unit_test(test_keyslot_params),
	    cmocka_unit_test(test_format_version),
	    cmocka_unit_test(test_schema_tampered),
	    cmocka_unit_test(test_header_tampered),
	    cmocka_unit_test(test_permissions),
	    cmocka_unit_test(test_passwd),
	    cmocka_unit_test(test_no_plaintext_on_disk),
	};

	if (sc_init() != SC_OK)
		return 1;
	umask(077);
	return cmocka_run_group_tests(tests, setup_base, teardown_base);
}
