/* test_history.c - a secret's versions: the diff by name, the history walk,
 * get by version, rollback, undelete, purge, rename, copy, retention, and
 * an attacker who edits the history table with SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "secretctl/secretctl.h"

#define PW "correct horse battery"

static const struct sc_kdf_params small_kdf = {8192, 1};
static char base[4096];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static struct sc_vault *new_vault(char **dir)
{
	struct sc_vault *v = NULL;

	assert_true(asprintf(dir, "%s/hist-XXXXXX", base) > 0);
	assert_non_null(mkdtemp(*dir));
	assert_int_equal(sc_vault_create(*dir, PW, strlen(PW), &small_kdf), SC_OK);
	assert_int_equal(sc_vault_open(*dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_OK);
	return v;
}

static void done(struct sc_vault *v, char *dir)
{
	sc_vault_close(v);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static struct sc_secret *mk(const char *name, const char *value)
{
	struct sc_secret *s;

	assert_int_equal(sc_secret_new(&s, name), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "value", value, strlen(value), 1), SC_OK);
	return s;
}

static void put(struct sc_vault *v, const char *name, const char *value)
{
	struct sc_secret *s = mk(name, value);

	assert_int_equal(sc_vault_put(v, s), SC_OK);
	sc_secret_free(s);
}

static void check_value(const struct sc_secret *s, const char *want)
{
	const uint8_t *val;
	size_t len;
	int i = sc_secret_field_index(s, "value");

	assert_true(i >= 0);
	assert_int_equal(sc_secret_field(s, (size_t)i, NULL, &val, &len, NULL, NULL), SC_OK);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(val, want, len);
}

static void expect_version(struct sc_vault *v, const char *name, uint64_t ver, const char *want)
{
	struct sc_secret *s = NULL;

	assert_int_equal(sc_vault_get_version(v, name, ver, &s), SC_OK);
	check_value(s, want);
	sc_secret_free(s);
}

static void expect_current(struct sc_vault *v, const char *name, const char *want)
{
	struct sc_secret *s = NULL;

	assert_int_equal(sc_vault_get(v, name, &s), SC_OK);
	check_value(s, want);
	sc_secret_free(s);
}

static uint64_t version_of(struct sc_vault *v, const char *name)
{
	uint64_t ver;
	unsigned keep;

	assert_int_equal(sc_vault_version(v, name, &ver, &keep), SC_OK);
	return ver;
}

/* ---- the diff ---- */

struct seen {
	char buf[1024];
};

static int note(int kind, const char *what, const char *name, void *arg)
{
	struct seen *s = arg;
	size_t n = strlen(s->buf);

	snprintf(s->buf + n, sizeof(s->buf) - n, "%c%s:%s ",
	         kind == SC_DIFF_ADDED     ? '+'
	         : kind == SC_DIFF_REMOVED ? '-'
	                                   : '~',
	         what, name ? name : "");
	return 0;
}

static void test_diff(void **state)
{
	struct sc_secret *a, *b;
	struct seen s = {{0}};

	(void)state;
	a = mk("db", "old-password");
	b = mk("db", "new-password");
	assert_int_equal(sc_secret_add_field(a, "host", "h1", 2, 0), SC_OK);
	assert_int_equal(sc_secret_add_field(a, "gone", "x", 1, 0), SC_OK);
	assert_int_equal(sc_secret_add_field(b, "host", "h1", 2, 0), SC_OK);
	assert_int_equal(sc_secret_add_field(b, "port", "5432", 4, 0), SC_OK);
	assert_int_equal(sc_secret_add_binding(a, "DB_PASS", "value"), SC_OK);
	assert_int_equal(sc_secret_add_binding(b, "DB_HOST", "host"), SC_OK);
	assert_int_equal(sc_secret_add_tag(a, "prod"), SC_OK);
	assert_int_equal(sc_secret_add_tag(b, "staging"), SC_OK);
	assert_int_equal(sc_secret_set_notes(b, "rotate monthly"), SC_OK);
	assert_int_equal(sc_secret_set_url(a, "https://a.example"), SC_OK);
	assert_int_equal(sc_secret_set_url(b, "https://b.example"), SC_OK);
	sc_secret_set_expires(b, 2000000000);
	assert_int_equal(sc_secret_diff(a, b, note, &s), 0);
	assert_string_equal(s.buf, "~field:value +field:port -field:gone +binding:DB_HOST "
	                           "-binding:DB_PASS +tag:staging -tag:prod +notes: ~url: "
	                           "+expires: ");
	/* never a value: not the old one, not the new one */
	assert_null(strstr(s.buf, "password"));
	assert_null(strstr(s.buf, "5432"));
	/* nothing changed: nothing said */
	s.buf[0] = '\0';
	assert_int_equal(sc_secret_diff(a, a, note, &s), 0);
	assert_string_equal(s.buf, "");
	/* same length, one byte apart: changed */
	sc_secret_free(b);
	b = mk("db", "old-passworD");
	assert_int_equal(sc_secret_add_field(b, "host", "h1", 2, 0), SC_OK);
	assert_int_equal(sc_secret_add_field(b, "gone", "x", 1, 0), SC_OK);
	assert_int_equal(sc_secret_add_binding(b, "DB_PASS", "value"), SC_OK);
	assert_int_equal(sc_secret_add_tag(b, "prod"), SC_OK);
	assert_int_equal(sc_secret_set_url(b, "https://a.example"), SC_OK);
	assert_int_equal(sc_secret_diff(a, b, note, &s), 0);
	assert_string_equal(s.buf, "~field:value ");
	/* from nothing: everything added */
	s.buf[0] = '\0';
	assert_int_equal(sc_secret_diff(NULL, a, note, &s), 0);
	assert_string_equal(s.buf, "+field:value +field:host +field:gone +binding:DB_PASS "
	                           "+tag:prod +url: ");
	sc_secret_free(a);
	sc_secret_free(b);
}

/* ---- versions ---- */

struct walk {
	char buf[1024];
};

static int walk_one(uint64_t ver, const struct sc_secret *s, int current, void *arg)
{
	struct walk *w = arg;
	size_t n = strlen(w->buf);
	const uint8_t *val;
	size_t len;

	assert_int_equal(sc_secret_field(s, 0, NULL, &val, &len, NULL, NULL), SC_OK);
	snprintf(w->buf + n, sizeof(w->buf) - n, "%llu%s=%.*s ", (unsigned long long)ver,
	         current ? "*" : "", (int)len, (const char *)val);
	return 0;
}

static void expect_walk(struct sc_vault *v, const char *name, const char *want, int want_deleted)
{
	struct walk w = {{0}};
	int deleted = -1;

	assert_int_equal(sc_vault_history(v, name, walk_one, &w, &deleted), SC_OK);
	assert_string_equal(w.buf, want);
	assert_int_equal(deleted, want_deleted);
}

static void txn_ok(struct sc_vault *v, int r)
{
	if (r != SC_OK) {
		sc_vault_txn_rollback(v);
		fail_msg("%s: %s", sc_strerror(r), sc_last_error());
	}
	assert_int_equal(sc_vault_txn_commit(v), SC_OK);
}

static void test_versions(void **state)
{
	struct sc_vault *v;
	struct sc_secret *s;
	uint64_t made, to;
	char *dir;

	(void)state;
	v = new_vault(&dir);
	put(v, "api", "one");
	put(v, "api", "two");
	put(v, "api", "three");
	assert_int_equal(version_of(v, "api"), 3);
	expect_walk(v, "api", "1=one 2=two 3*=three ", 0);
	expect_version(v, "api", 1, "one");
	expect_version(v, "api", 3, "three");
	s = (struct sc_secret *)&s;
	assert_int_equal(sc_vault_get_version(v, "api", 4, &s), SC_ERR_NOT_FOUND);
	assert_null(s);
	assert_int_equal(sc_vault_get_version(v, "nope", 1, &s), SC_ERR_NOT_FOUND);

	/* rollback: a new version equal to the one before */
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	to = 0;
	txn_ok(v, sc_vault_rollback_in_txn(v, "api", &to, &made));
	assert_int_equal(made, 4);
	assert_int_equal(to, 2);
	expect_current(v, "api", "two");
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	to = 1;
	txn_ok(v, sc_vault_rollback_in_txn(v, "api", &to, &made));
	expect_current(v, "api", "one");
	expect_walk(v, "api", "1=one 2=two 3=three 4=two 5*=one ", 0);
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	to = 5;
	assert_int_equal(sc_vault_rollback_in_txn(v, "api", &to, &made), SC_ERR_INVALID);
	to = 9;
	assert_int_equal(sc_vault_rollback_in_txn(v, "api", &to, &made), SC_ERR_NOT_FOUND);
	sc_vault_txn_rollback(v);

	/* delete keeps the history; undelete brings the last version back */
	assert_int_equal(sc_vault_delete(v, "api"), SC_OK);
	assert_int_equal(sc_vault_get(v, "api", &s), SC_ERR_NOT_FOUND);
	expect_walk(v, "api", "1=one 2=two 3=three 4=two 5=one ", 1);
	expect_version(v, "api", 3, "three");
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	txn_ok(v, sc_vault_undelete_in_txn(v, "api", &made));
	assert_int_equal(made, 5);
	expect_current(v, "api", "one");
	expect_walk(v, "api", "1=one 2=two 3=three 4=two 5*=one ", 0);
	put(v, "api", "six");
	expect_walk(v, "api", "1=one 2=two 3=three 4=two 5=one 6*=six ", 0);
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	assert_int_equal(sc_vault_undelete_in_txn(v, "api", &made), SC_ERR_EXISTS);
	sc_vault_txn_rollback(v);
	done(v, dir);
}

static void test_retention(void **state)
{
	struct sc_vault *v;
	struct sc_secret *s;
	char val[16], want[256] = "", *dir;
	size_t dropped;
	uint64_t ver;
	unsigned keep;
	int i;

	(void)state;
	v = new_vault(&dir);
	for (i = 1; i <= 12; i++) {
		snprintf(val, sizeof(val), "v%d", i);
		put(v, "k", val);
	}
	/* the default keeps 10 versions, the current one included */
	for (i = 3; i <= 12; i++) {
		size_t n = strlen(want);

		snprintf(want + n, sizeof(want) - n, "%d%s=v%d ", i, i == 12 ? "*" : "", i);
	}
	expect_walk(v, "k", want, 0);
	assert_int_equal(sc_vault_version(v, "k", &ver, &keep), SC_OK);
	assert_int_equal(ver, 12);
	assert_int_equal(keep, SC_HISTORY_KEEP_DEFAULT);
	/* a setting of its own */
	s = mk("k", "v13");
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	txn_ok(v, sc_vault_put_keep_in_txn(v, s, 3));
	sc_secret_free(s);
	expect_walk(v, "k", "11=v11 12=v12 13*=v13 ", 0);
	assert_int_equal(sc_vault_version(v, "k", &ver, &keep), SC_OK);
	assert_int_equal(keep, 3);
	/* prune now, to fewer */
	put(v, "other", "o1");
	put(v, "other", "o2");
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	txn_ok(v, sc_vault_prune_in_txn(v, NULL, 1, &dropped));
	assert_int_equal(dropped, 3);
	expect_walk(v, "k", "13*=v13 ", 0);
	expect_walk(v, "other", "2*=o2 ", 0);
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	assert_int_equal(sc_vault_prune_in_txn(v, "nope", 1, &dropped), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_vault_prune_in_txn(v, "k", SC_HISTORY_KEEP_MAX + 1, &dropped),
	                 SC_ERR_INVALID);
	sc_vault_txn_rollback(v);
	done(v, dir);
}

static int count_rows(const char *dir)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	char *path;
	int n;

	assert_true(asprintf(&path, "%s/vault.db", dir) > 0);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM history", -1, &q, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(path);
	return n;
}

static void test_purge_rename_copy(void **state)
{
	struct sc_vault *v;
	struct sc_secret *s = NULL;
	char *dir;
	int deleted;

	(void)state;
	v = new_vault(&dir);
	put(v, "a", "a1");
	put(v, "a", "a2");
	put(v, "keep", "k1");
	/* rename: the history moves with the name, sealed again */
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	assert_int_equal(sc_vault_rename_in_txn(v, "a", "keep"), SC_ERR_EXISTS);
	assert_int_equal(sc_vault_rename_in_txn(v, "none", "b"), SC_ERR_NOT_FOUND);
	txn_ok(v, sc_vault_rename_in_txn(v, "a", "b"));
	assert_int_equal(sc_vault_get(v, "a", &s), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_vault_history(v, "a", walk_one, NULL, &deleted), SC_ERR_NOT_FOUND);
	expect_walk(v, "b", "1=a1 2*=a2 ", 0);
	assert_int_equal(sc_vault_get(v, "b", &s), SC_OK);
	assert_string_equal(sc_secret_name(s), "b");
	sc_secret_free(s);
	/* copy: the current version only, a line of its own */
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	assert_int_equal(sc_vault_copy_in_txn(v, "b", "keep"), SC_ERR_EXISTS);
	txn_ok(v, sc_vault_copy_in_txn(v, "b", "c"));
	expect_walk(v, "c", "1*=a2 ", 0);
	put(v, "c", "c2");
	expect_current(v, "b", "a2");
	/* purge: every version gone from the table, live or deleted */
	assert_int_equal(sc_vault_delete(v, "b"), SC_OK);
	put(v, "b", "new-b");
	assert_true(count_rows(dir) > 0);
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	txn_ok(v, sc_vault_purge_in_txn(v, "b"));
	assert_int_equal(sc_vault_erase_wal(v), SC_OK);
	assert_int_equal(sc_vault_get(v, "b", &s), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_vault_history(v, "b", walk_one, NULL, &deleted), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	assert_int_equal(sc_vault_purge_in_txn(v, "b"), SC_ERR_NOT_FOUND);
	txn_ok(v, sc_vault_purge_in_txn(v, "c"));
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	txn_ok(v, sc_vault_purge_in_txn(v, "keep"));
	assert_int_equal(count_rows(dir), 0);
	done(v, dir);
}

/* ---- an attacker with SQLite ---- */

static sqlite3 *db_open(const char *dir)
{
	sqlite3 *db;
	char *path;

	assert_true(asprintf(&path, "%s/vault.db", dir) > 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	free(path);
	return db;
}

static void db_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* Flip one byte in each kept version 1 (read first, then written: a table
 * must not change under its own scan). */
static void flip_rows(sqlite3 *db)
{
	sqlite3_stmt *q, *u;
	static uint8_t buf[4][8192];
	sqlite3_int64 chain[4];
	int n[4], k = 0, i;

	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT chain, body FROM history WHERE ver = 1", -1, &q, NULL),
	    SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW && k < 4) {
		n[k] = sqlite3_column_bytes(q, 1);
		assert_true(n[k] > 40 && n[k] < (int)sizeof(buf[0]));
		memcpy(buf[k], sqlite3_column_blob(q, 1), (size_t)n[k]);
		buf[k][n[k] / 2] ^= 0x01;
		chain[k++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	assert_true(k > 0);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "UPDATE history SET body = ? WHERE chain = ? AND ver = 1", -1,
	                       &u, NULL),
	    SQLITE_OK);
	for (i = 0; i < k; i++) {
		sqlite3_bind_blob(u, 1, buf[i], n[i], SQLITE_STATIC);
		sqlite3_bind_int64(u, 2, chain[i]);
		assert_int_equal(sqlite3_step(u), SQLITE_DONE);
		sqlite3_reset(u);
	}
	sqlite3_finalize(u);
}

static void test_tampered(void **state)
{
	struct sc_vault *v;
	struct sc_secret *s = NULL;
	struct walk w;
	char *dir;
	sqlite3 *db;
	int deleted;

	(void)state;
	v = new_vault(&dir);
	put(v, "x", "x1");
	put(v, "x", "x2");
	put(v, "y", "y1");
	put(v, "y", "y2");
	sc_vault_close(v);
	db = db_open(dir);
	/* keep a copy of everything to put back between the attacks */
	db_exec(db, "CREATE TABLE saved AS SELECT * FROM history");
	/* one flipped byte in each kept version */
	flip_rows(db);
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_OK);
	memset(&w, 0, sizeof(w));
	assert_int_equal(sc_vault_get_version(v, "x", 1, &s), SC_ERR_CORRUPT);
	assert_null(s);
	assert_int_equal(sc_vault_history(v, "y", walk_one, &w, &deleted), SC_ERR_CORRUPT);
	/* the kept versions of two secrets swapped */
	db_exec(db, "DELETE FROM history; INSERT INTO history SELECT * FROM saved");
	expect_version(v, "x", 1, "x1");
	db_exec(db, "UPDATE history SET body = (SELECT body FROM saved WHERE saved.ver = 1 AND "
	            "saved.chain != history.chain) WHERE ver = 1");
	assert_int_equal(sc_vault_get_version(v, "x", 1, &s), SC_ERR_CORRUPT);
	assert_int_equal(sc_vault_get_version(v, "y", 1, &s), SC_ERR_CORRUPT);
	/* a kept version deleted: the head still lists it */
	db_exec(db, "DELETE FROM history; INSERT INTO history SELECT * FROM saved");
	expect_version(v, "x", 1, "x1");
	db_exec(db, "DELETE FROM history WHERE ver = 1");
	assert_int_equal(sc_vault_history(v, "x", walk_one, &w, &deleted), SC_ERR_CORRUPT);
	/* an old head put back under a newer record: refused */
	db_exec(db, "DELETE FROM history; INSERT INTO history SELECT * FROM saved");
	db_exec(db, "DELETE FROM saved");
	db_exec(db, "INSERT INTO saved SELECT * FROM history WHERE ver = 0");
	put(v, "x", "x3");
	db_exec(db, "UPDATE history SET body = (SELECT body FROM saved WHERE saved.chain = "
	            "history.chain AND saved.ver = 0) WHERE ver = 0 AND chain IN "
	            "(SELECT chain FROM saved)");
	assert_int_equal(sc_vault_get_version(v, "x", 1, &s), SC_ERR_CORRUPT);
	assert_null(s);
	/* the same name's deleted line and live line: rows swapped between
	 * them (the chain in the AAD tells them apart) */
	db_exec(db, "DELETE FROM history; INSERT INTO history SELECT * FROM saved");
	sc_vault_close(v);
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_OK);
	put(v, "z", "z-old-1");
	put(v, "z", "z-old-2");
	assert_int_equal(sc_vault_delete(v, "z"), SC_OK);
	put(v, "z", "z-new-1");
	put(v, "z", "z-new-2");
	expect_version(v, "z", 1, "z-new-1");
	db_exec(db, "DROP TABLE saved");
	db_exec(db, "CREATE TABLE saved AS SELECT * FROM history WHERE ver = 1");
	db_exec(db, "UPDATE history SET body = (SELECT body FROM saved WHERE saved.chain != "
	            "history.chain AND length(saved.body) = length(history.body) AND saved.chain "
	            "IN (SELECT chain FROM history WHERE ver = 2)) WHERE ver = 1 AND chain NOT IN "
	            "(SELECT chain FROM history WHERE ver = 2) AND EXISTS (SELECT 1 FROM saved "
	            "WHERE saved.chain != history.chain AND length(saved.body) = "
	            "length(history.body) AND saved.chain IN (SELECT chain FROM history WHERE "
	            "ver = 2))");
	assert_int_equal(sqlite3_changes(db), 1);
	s = NULL;
	assert_int_equal(sc_vault_get_version(v, "z", 1, &s), SC_ERR_CORRUPT);
	assert_null(s);
	sqlite3_close(db);
	done(v, dir);
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
	snprintf(base, sizeof(base), "/tmp/sc-test-history-XXXXXX");
	return mkdtemp(base) == NULL ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_diff),      cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_retention), cmocka_unit_test(test_purge_rename_copy),
	    cmocka_unit_test(test_tampered),
	};

	if (sc_init() != SC_OK)
		return 1;
	umask(077);
	return cmocka_run_group_tests(tests, setup_base, NULL);
}
