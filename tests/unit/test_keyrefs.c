/* test_keyrefs.c - secrets sealed under a named key and the reference
 * index: set, overwrite, delete, prune and purge move the counts (current
 * records and kept history versions both count: they hold ciphertexts);
 * trim and destruction refuse while an item needs a version; rewrap --all
 * moves every item and the values read back; a destroyed version makes
 * the read fail, never hand out a value; an index row rolled back is
 * refused. */
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
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "secretctl/keys.h"
#include "secretctl/secretctl.h"

#define PW "correct horse battery"
#define DAY 86400

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

	assert_true(asprintf(dir, "%s/krefs-XXXXXX", base) > 0);
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

static void save(struct sc_vault *v, struct sc_keyring *kr)
{
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	assert_int_equal(sc_vault_keyring_save_in_txn(v, kr), SC_OK);
	assert_int_equal(sc_vault_txn_commit(v), SC_OK);
}

static void key_create(struct sc_vault *v, const char *name)
{
	struct sc_keyring *kr;

	assert_int_equal(sc_vault_keyring_load(v, &kr), SC_OK);
	assert_int_equal(sc_keyring_create(kr, name, SC_KEY_AES256_GCM, NULL, time(NULL)), SC_OK);
	save(v, kr);
	sc_keyring_free(kr);
}

static void key_rotate(struct sc_vault *v, const char *name)
{
	struct sc_keyring *kr;

	assert_int_equal(sc_vault_keyring_load(v, &kr), SC_OK);
	assert_int_equal(sc_keyring_rotate(kr, name, time(NULL), NULL), SC_OK);
	save(v, kr);
	sc_keyring_free(kr);
}

static void put_under(struct sc_vault *v, const char *name, const char *value, const char *key)
{
	struct sc_secret *s;

	assert_int_equal(sc_secret_new(&s, name), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "value", value, strlen(value), 1), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "user", "admin", 5, 0), SC_OK);
	if (key != NULL) {
		assert_int_equal(sc_secret_set_field_key(s, "value", key), SC_OK);
		assert_int_equal(sc_secret_set_field_key(s, "user", key), SC_OK);
	}
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

static void check_get(struct sc_vault *v, const char *name, const char *want)
{
	struct sc_secret *s;

	assert_int_equal(sc_vault_get(v, name, &s), SC_OK);
	check_value(s, want);
	assert_string_equal(sc_secret_field_key(s, 0), "k");
	sc_secret_free(s);
}

static void refs(struct sc_vault *v, uint32_t ver, uint64_t rec, uint64_t hist)
{
	struct sc_vault_key_refs n;

	assert_int_equal(sc_vault_key_refs(v, "k", ver, &n), SC_OK);
	assert_int_equal(n.records, rec);
	assert_int_equal(n.history, hist);
}

static void test_counts(void **state)
{
	struct sc_keyring *kr;
	struct sc_vault *v;
	char *dir;
	size_t dropped = 0;

	(void)state;
	v = new_vault(&dir);
	key_create(v, "k");
	refs(v, 1, 0, 0);
	put_under(v, "a", "alpha-value-123456", "k");
	put_under(v, "plain", "plain-value-123456", NULL);
	refs(v, 1, 1, 0);
	check_get(v, "a", "alpha-value-123456");
	/* an overwrite: the old version stays referenced from the history */
	key_rotate(v, "k");
	put_under(v, "a", "alpha-value-second", "k");
	refs(v, 1, 0, 1);
	refs(v, 2, 1, 0);
	refs(v, 0, 1, 1); /* any version: the two items */
	/* version 1 is used only by the kept version: still refused */
	assert_int_equal(sc_vault_keyring_load(v, &kr), SC_OK);
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 7, time(NULL)), SC_ERR_BUSY);
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 2, 7, time(NULL)), SC_ERR_BUSY);
	sc_keyring_free(kr);
	/* a write of a plain secret changes nothing of it */
	put_under(v, "plain", "plain-value-second", NULL);
	refs(v, 0, 1, 1);
	/* prune keeps one version: the history's reference goes */
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	assert_int_equal(sc_vault_prune_in_txn(v, "a", 1, &dropped), SC_OK);
	assert_int_equal(sc_vault_txn_commit(v), SC_OK);
	refs(v, 1, 0, 0);
	refs(v, 2, 1, 0);
	/* a delete keeps the last version in the history, a purge drops it */
	assert_int_equal(sc_vault_delete(v, "a"), SC_OK);
	refs(v, 2, 0, 1);
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	assert_int_equal(sc_vault_purge_in_txn(v, "a"), SC_OK);
	assert_int_equal(sc_vault_txn_commit(v), SC_OK);
	refs(v, 0, 0, 0);
	done(v, dir);
}

static void test_refuse_and_rewrap(void **state)
{
	struct sc_vault_rewrap_report rep;
	struct sc_keyring *kr;
	struct sc_secret *s;
	struct sc_vault *v;
	char *dir, name[16];
	int i;

	(void)state;
	v = new_vault(&dir);
	key_create(v, "k");
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		put_under(v, name, "a-value-under-v1-xx", "k");
	}
	put_under(v, "s0", "s0-second-value-xxx", "k"); /* s0 v1 kept in history */
	key_rotate(v, "k");
	refs(v, 1, 7, 1);
	/* trim and scheduled destruction refuse: 8 items use version 1 */
	assert_int_equal(sc_vault_keyring_load(v, &kr), SC_OK);
	/* the encrypt floor first: it may never sit under the decrypt floor */
	assert_int_equal(sc_keyring_set_min_encrypt(kr, "k", 2), SC_OK);
	assert_int_equal(sc_keyring_set_min_decrypt(kr, "k", 2), SC_OK);
	assert_int_equal(sc_keyring_trim(kr, "k", 2), SC_ERR_BUSY);
	assert_non_null(strstr(sc_last_error(), "key rewrap --all k"));
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 7, time(NULL)), SC_ERR_BUSY);
	sc_keyring_free(kr);
	/* rewrap in batches of 3: every item under version 2 */
	assert_int_equal(sc_vault_key_rewrap_all(v, "k", 3, &rep), SC_OK);
	assert_int_equal(rep.version, 2);
	assert_int_equal(rep.items, 8);
	assert_int_equal(rep.fields, 16);
	assert_int_equal(rep.batches, 3);
	refs(v, 1, 0, 0);
	refs(v, 2, 7, 1);
	check_get(v, "s0", "s0-second-value-xxx");
	check_get(v, "s6", "a-value-under-v1-xx");
	assert_int_equal(sc_vault_get_version(v, "s0", 1, &s), SC_OK);
	check_value(s, "a-value-under-v1-xx");
	sc_secret_free(s);
	/* a second run has nothing to do */
	assert_int_equal(sc_vault_key_rewrap_all(v, "k", 0, &rep), SC_OK);
	assert_int_equal(rep.items, 0);
	/* now version 1 goes: trim crypto-erases it, the values still read */
	assert_int_equal(sc_vault_keyring_load(v, &kr), SC_OK);
	/* the encrypt floor first: it may never sit under the decrypt floor */
	assert_int_equal(sc_keyring_set_min_encrypt(kr, "k", 2), SC_OK);
	assert_int_equal(sc_keyring_set_min_decrypt(kr, "k", 2), SC_OK);
	assert_int_equal(sc_keyring_trim(kr, "k", 2), SC_OK);
	save(v, kr);
	sc_keyring_free(kr);
	check_get(v, "s3", "a-value-under-v1-xx");
	done(v, dir);
}

static int has_value(const struct sc_secret *s, void *arg)
{
	const uint8_t *val;
	size_t len, i;

	for (i = 0; i < sc_secret_field_count(s); i++)
		if (sc_secret_field(s, i, NULL, &val, &len, NULL, NULL) == SC_OK && len > 0 &&
		    memmem(val, len, arg, strlen(arg)) != NULL)
			return 1;
	return 0;
}

/* A version destroyed under an item (the index's refusal bypassed, as by
 * a keyring without the vault's hook): the value never comes back. */
static void test_crypto_erase(void **state)
{
	struct sc_keyring *kr;
	struct sc_secret *s = (void *)1;
	struct sc_vault *v;
	char *dir, erase[] = "erase-me", text[] = "sc:v1";

	(void)state;
	v = new_vault(&dir);
	key_create(v, "k");
	put_under(v, "db", "erase-me-value-999", "k");
	assert_int_equal(sc_vault_keyring_load(v, &kr), SC_OK);
	sc_keyring_set_refs(kr, NULL, NULL);
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 7, time(NULL)), SC_OK);
	/* scheduled: the version does nothing, the read fails with its state */
	save(v, kr);
	assert_int_equal(sc_vault_get(v, "db", &s), SC_ERR_STATE);
	assert_null(s);
	assert_int_equal(sc_keyring_tick(kr, time(NULL) + 8 * DAY), SC_OK);
	save(v, kr);
	sc_keyring_free(kr);
	assert_int_equal(sc_vault_get(v, "db", &s), SC_ERR_STATE);
	assert_null(s);
	assert_non_null(strstr(sc_last_error(), "sealed under key 'k'"));
	assert_int_equal(sc_vault_get_version(v, "db", 1, &s), SC_ERR_STATE);
	/* the walk for values fails closed; the metadata walk goes on and
	 * never hands out the sealed text */
	assert_int_equal(sc_vault_walk(v, has_value, erase), SC_ERR_STATE);
	assert_int_equal(sc_vault_walk_meta(v, has_value, text), SC_OK);
	/* and the item can still be deleted */
	assert_int_equal(sc_vault_delete(v, "db"), SC_OK);
	done(v, dir);
}

/* The index row put back as it was before a write: refused. */
static void test_rollback_refused(void **state)
{
	struct sc_vault_key_refs n;
	struct sc_vault *v;
	sqlite3 *db;
	char *dir, *path;
	sqlite3_stmt *q;
	void *old = NULL;
	uint8_t tag[28];
	int len = 0;

	(void)state;
	v = new_vault(&dir);
	key_create(v, "k");
	put_under(v, "a", "alpha-value-123456", "k");
	assert_true(asprintf(&path, "%s/vault.db", dir) > 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT tag, body FROM keyrefs", -1, &q, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(q, 0), sizeof(tag));
	memcpy(tag, sqlite3_column_blob(q, 0), sizeof(tag));
	len = sqlite3_column_bytes(q, 1);
	old = malloc((size_t)len);
	memcpy(old, sqlite3_column_blob(q, 1), (size_t)len);
	sqlite3_finalize(q);
	put_under(v, "b", "bravo-value-123456", "k");
	refs(v, 1, 2, 0);
	/* the whole older row, its tag with its body */
	assert_int_equal(
	    sqlite3_prepare_v2(db, "UPDATE keyrefs SET tag = ?, body = ?", -1, &q, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_bind_blob(q, 1, tag, sizeof(tag), SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_bind_blob(q, 2, old, len, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	sqlite3_close(db);
	assert_int_equal(sc_vault_key_refs(v, "k", 1, &n), SC_ERR_CORRUPT);
	assert_non_null(strstr(sc_last_error(), "rolled back or replaced"));
	free(old);
	free(path);
	done(v, dir);
}

/* Two commands read the keyring; one rotates (a version a secret is then
 * sealed under) and saves; the other's stale copy must not overwrite it. */
static void test_stale_keyring(void **state)
{
	struct sc_keyring *a, *b;
	struct sc_vault *v;
	char *dir;

	(void)state;
	v = new_vault(&dir);
	key_create(v, "k");
	assert_int_equal(sc_vault_keyring_load(v, &a), SC_OK);
	assert_int_equal(sc_vault_keyring_load(v, &b), SC_OK);
	assert_int_equal(sc_keyring_rotate(b, "k", time(NULL), NULL), SC_OK);
	save(v, b);
	put_under(v, "db", "under-version-two-1", "k");
	assert_int_equal(sc_keyring_create(a, "other", SC_KEY_AES256_GCM, NULL, time(NULL)), SC_OK);
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	assert_int_equal(sc_vault_keyring_save_in_txn(v, a), SC_ERR_BUSY);
	sc_vault_txn_rollback(v);
	check_get(v, "db", "under-version-two-1");
	/* the copy saved last can be saved again */
	assert_int_equal(sc_keyring_rotate(b, "k", time(NULL), NULL), SC_OK);
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	assert_int_equal(sc_vault_keyring_save_in_txn(v, b), SC_ERR_BUSY); /* set saved one since */
	sc_vault_txn_rollback(v);
	sc_keyring_free(a);
	sc_keyring_free(b);
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
	snprintf(base, sizeof(base), "/tmp/sc-test-keyrefs-XXXXXX");
	return mkdtemp(base) == NULL ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counts),        cmocka_unit_test(test_refuse_and_rewrap),
	    cmocka_unit_test(test_crypto_erase),  cmocka_unit_test(test_rollback_refused),
	    cmocka_unit_test(test_stale_keyring),
	};

	if (sc_init() != SC_OK)
		return 1;
	umask(077);
	return cmocka_run_group_tests(tests, setup_base, NULL);
}
