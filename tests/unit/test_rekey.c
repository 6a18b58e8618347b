/* test_rekey.c - the rekey (store/rekey.c, store/dek.c) as the library
 * sees it, with handles that outlive its steps: one unlocked before the
 * begin writes under the new DEK after it (never the old), reads both
 * kinds of row while the batches run, and once the old DEK is dropped
 * gets an error, never wrong data; the DEK's facts and the refusals of
 * bad options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "secretctl/secretctl.h"

#define PW "rekey unit test password"

static const struct sc_kdf_params small_kdf = {8192, 1};
static char dir[4096];

static void put(struct sc_vault *v, const char *name, const char *val)
{
	struct sc_secret *s = NULL;

	assert_int_equal(sc_secret_new(&s, name), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "value", val, strlen(val), 1), SC_OK);
	assert_int_equal(sc_vault_put(v, s), SC_OK);
	sc_secret_free(s);
}

/* SC_OK when name's value is want; its status, or SC_ERR_INTERNAL for
 * another value. */
static int get(struct sc_vault *v, const char *name, const char *want)
{
	struct sc_secret *s = NULL;
	const uint8_t *val;
	const char *fname, *hint;
	size_t len;
	int r, sens;

	if ((r = sc_vault_get(v, name, &s)) != SC_OK)
		return r;
	r = sc_secret_field(s, 0, &fname, &val, &len, &sens, &hint);
	if (r == SC_OK && (len != strlen(want) || memcmp(val, want, len) != 0))
		r = SC_ERR_INTERNAL; /* wrong data: what must never happen */
	sc_secret_free(s);
	return r;
}

static struct sc_vault *unlocked(void)
{
	struct sc_vault *v = NULL;

	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_OK);
	return v;
}

static void finish(struct sc_rekey *rk, struct sc_vault *v)
{
	assert_int_equal(sc_vault_txn_begin(v), SC_OK);
	assert_int_equal(sc_rekey_finish_in_txn(rk), SC_OK);
	assert_int_equal(sc_vault_txn_commit(v), SC_OK);
	sc_rekey_done(rk);
}

static void test_stale_handles(void **state)
{
	struct sc_rekey_opts o = {.pw = PW, .pw_len = strlen(PW), .batch = 1};
	struct sc_vault *a, *b, *c;
	struct sc_rekey *rk = NULL;
	struct sc_dek_info di;
	char name[32];
	int i;

	(void)state;
	a = unlocked();
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "s/%02d", i);
		put(a, name, name);
	}
	/* a keeps the keys it unlocked with: the old DEK alone */
	b = unlocked();
	assert_int_equal(sc_rekey_prepare(b, &o, &rk), SC_OK);
	assert_int_equal(sc_rekey_migrate(rk), SC_OK);
	assert_int_equal(sc_vault_dek_info(b, &di), SC_OK);
	assert_int_equal(di.rekey_pending, 1);
	assert_int_equal(di.version, 1);
	/* a writes after the begin: it must take up the new DEK, or what it
	 * writes would open with nothing once the old one is dropped */
	put(a, "written/by-a", "value from a stale handle");
	assert_int_equal(get(a, "s/07", "s/07"), SC_OK);
	/* the batches are done; a's write came after them, under the new key,
	 * so the strict check passes and the old DEK goes */
	finish(rk, b);
	sc_rekey_free(rk);
	assert_int_equal(sc_vault_dek_info(b, &di), SC_OK);
	assert_int_equal(di.version, 2);
	assert_int_equal(di.rekey_pending, 0);
	/* a fresh handle reads everything under the new DEK */
	c = unlocked();
	assert_int_equal(get(c, "written/by-a", "value from a stale handle"), SC_OK);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "s/%02d", i);
		assert_int_equal(get(c, name, name), SC_OK);
	}
	sc_vault_close(c);
	sc_vault_close(a);
	sc_vault_close(b);
	/* a handle that unlocked before and reads only after the end holds the
	 * old DEK alone: an error, never wrong data */
	a = unlocked();
	b = unlocked();
	assert_int_equal(sc_rekey_prepare(b, &o, &rk), SC_OK);
	assert_int_equal(sc_rekey_migrate(rk), SC_OK);
	finish(rk, b);
	sc_rekey_free(rk);
	assert_int_not_equal(get(a, "s/01", "s/01"), SC_OK);
	assert_int_not_equal(get(a, "s/01", "s/01"), SC_ERR_INTERNAL);
	assert_int_equal(get(b, "s/01", "s/01"), SC_OK);
	sc_vault_close(a);
	sc_vault_close(b);
}

static void test_refusals(void **state)
{
	struct sc_rekey_opts o = {.pw = PW, .pw_len = strlen(PW)};
	int64_t drop[2] = {1, 42};
	struct sc_vault *v = unlocked(), *locked = NULL;
	struct sc_rekey *rk = NULL;

	(void)state;
	o.batch = SC_REKEY_BATCH_MAX + 1;
	assert_int_equal(sc_rekey_prepare(v, &o, &rk), SC_ERR_INVALID);
	o.batch = 0;
	o.pw = "not the password";
	o.pw_len = strlen(o.pw);
	assert_int_equal(sc_rekey_prepare(v, &o, &rk), SC_ERR_AUTH);
	o.pw = PW;
	o.pw_len = strlen(PW);
	o.drop = drop;
	o.ndrop = 1;
	assert_int_equal(sc_rekey_prepare(v, &o, &rk), SC_ERR_DENIED);
	o.drop = drop + 1;
	assert_int_equal(sc_rekey_prepare(v, &o, &rk), SC_ERR_NOT_FOUND);
	assert_null(rk);
	assert_int_equal(sc_vault_open(dir, &locked), SC_OK);
	assert_int_equal(sc_rekey_prepare(locked, &o, &rk), SC_ERR_LOCKED);
	sc_vault_close(locked);
	sc_vault_close(v);
}

static int setup(void **state)
{
	const char *tmp = getenv("SC_TEST_TMP");

	(void)state;
	if (sc_init() != SC_OK)
		return -1;
	if (tmp == NULL)
		tmp = "/tmp";
	mkdir(tmp, 0700);
	snprintf(dir, sizeof(dir), "%s/rekey-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		return -1;
	return sc_vault_create(dir, PW, strlen(PW), &small_kdf) == SC_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stale_handles),
	    cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
