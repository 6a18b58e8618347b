/* test_fault.c - fault injection over the library's operations, in the
 * manner of SQLite's test_malloc.c: for N = 1, 2, ... fail the Nth
 * allocation (secmem, SQLite, Jansson) or I/O call (our files, SQLite's
 * VFS), once and from N on, until the operation runs with no fault left to
 * inject. Each injected failure must give an error (or be recovered), and
 * afterwards the vault must still open with its data; the ASan build sees
 * every error path for leaks. */
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

#include "secretctl/secretctl.h"

#define PW "fault injection password"
#define VAL "Fault-Value-8c1e44"

static const struct sc_kdf_params small_kdf = {8192, 1};
static char dir[4096];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static int put_value(struct sc_vault *v, const char *name, const char *val)
{
	struct sc_secret *s = NULL;
	int r;

	if ((r = sc_secret_new(&s, name)) == SC_OK &&
	    (r = sc_secret_add_field(s, "value", val, strlen(val), 1)) == SC_OK)
		r = sc_vault_put(v, s);
	sc_secret_free(s);
	return r;
}

static int open_unlocked(struct sc_vault **v)
{
	int r;

	*v = NULL;
	if ((r = sc_vault_open(dir, v)) != SC_OK)
		return r;
	if ((r = sc_vault_unlock(*v, PW, strlen(PW))) != SC_OK) {
		sc_vault_close(*v);
		*v = NULL;
	}
	return r;
}

/* ---- the operations ---- */

static int op_get(void)
{
	struct sc_vault *v;
	struct sc_secret *s = NULL;
	const uint8_t *val;
	const char *fname, *hint;
	size_t len;
	int r, sens;

	if ((r = open_unlocked(&v)) != SC_OK)
		return r;
	if ((r = sc_vault_get(v, "api/key", &s)) == SC_OK &&
	    (r = sc_secret_field(s, 0, &fname, &val, &len, &sens, &hint)) == SC_OK)
		r = len == strlen(VAL) && memcmp(val, VAL, len) == 0 ? SC_OK : SC_ERR_CORRUPT;
	sc_secret_free(s);
	sc_vault_close(v);
	return r;
}

/* A session's read (session.h): no agent, the vault opened through the
 * hook; the value and its audit entry, or an error and no value. */
static int sess_acquire(void *arg, struct sc_vault **v)
{
	struct sc_vault **held = arg;
	int r;

	if (*held == NULL && (r = open_unlocked(held)) != SC_OK)
		return r;
	*v = *held;
	return SC_OK;
}

static int op_session_get(void)
{
	struct sc_vault *held = NULL;
	struct sc_session_cfg cfg = {
	    .vault_dir = dir,
	    .origin = SC_AGENT_ORIGIN_CLI,
	    .no_agent = 1,
	    .hooks = {.acquire = sess_acquire, .arg = &held},
	};
	struct sc_session *ss = NULL;
	struct sc_secret *s = NULL;
	const uint8_t *val;
	const char *fname, *hint;
	size_t len;
	int r, sens;

	if ((r = sc_session_new(&cfg, &ss)) != SC_OK)
		return r;
	r = sc_session_get(ss, "api/key", &s);
	if (r != SC_OK && s != NULL)
		fail_msg("session get: a value with an error (its entry not written)");
	if (r == SC_OK && (r = sc_secret_field(s, 0, &fname, &val, &len, &sens, &hint)) == SC_OK)
		r = len == strlen(VAL) && memcmp(val, VAL, len) == 0 ? SC_OK : SC_ERR_CORRUPT;
	sc_secret_free(s);
	sc_session_free(ss);
	sc_vault_close(held);
	return r;
}

static int op_set(void)
{
	struct sc_vault *v;
	int r;

	if ((r = open_unlocked(&v)) != SC_OK)
		return r;
	r = put_value(v, "api/other", "other-value-123");
	sc_vault_close(v);
	return r;
}

static int prep_delete(void)
{
	struct sc_vault *v;
	int r, e = 0;

	if ((r = open_unlocked(&v)) != SC_OK)
		return r;
	if ((r = sc_vault_exists(v, "tmp/gone", &e)) == SC_OK && !e)
		r = put_value(v, "tmp/gone", "temporary-value");
	sc_vault_close(v);
	return r;
}

static int op_delete(void)
{
	struct sc_vault *v;
	int r;

	if ((r = open_unlocked(&v)) != SC_OK)
		return r;
	r = sc_vault_delete(v, "tmp/gone");
	sc_vault_close(v);
	return r;
}

/* ---- the versions: each write in one transaction, as the CLI does ---- */

static int in_txn(int (*fn)(struct sc_vault *v))
{
	struct sc_vault *v;
	int r;

	if ((r = open_unlocked(&v)) != SC_OK)
		return r;
	if ((r = sc_vault_txn_begin(v)) == SC_OK) {
		if ((r = fn(v)) == SC_OK)
			r = sc_vault_txn_commit(v);
		else
			sc_vault_txn_rollback(v);
	}
	sc_vault_close(v);
	return r;
}

static int exists(const char *name, int *e)
{
	struct sc_vault *v;
	int r;

	if ((r = open_unlocked(&v)) != SC_OK)
		return r;
	r = sc_vault_exists(v, name, e);
	sc_vault_close(v);
	return r;
}

static int put_twice(const char *name)
{
	struct sc_vault *v;
	int r;

	if ((r = open_unlocked(&v)) != SC_OK)
		return r;
	if ((r = put_value(v, name, "version-one-1")) == SC_OK)
		r = put_value(v, name, "version-two-2");
	sc_vault_close(v);
	return r;
}

static int prep_versions(void)
{
	int r, e = 0;

	if ((r = exists("ver/x", &e)) != SC_OK || e)
		return r;
	return put_twice("ver/x");
}

static int do_rollback(struct sc_vault *v)
{
	uint64_t to = 0, made;

	return sc_vault_rollback_in_txn(v, "ver/x", &to, &made);
}

static int op_rollback(void)
{
	return in_txn(do_rollback);
}

static int count_version(const struct sc_history_version *hv, void *arg)
{
	(void)hv;
	++*(size_t *)arg;
	return 0;
}

static int op_history(void)
{
	struct sc_vault *v;
	size_t n = 0;
	int r, deleted;

	if ((r = open_unlocked(&v)) != SC_OK)
		return r;
	r = sc_vault_history_changes(v, "ver/x", count_version, &n, &deleted);
	sc_vault_close(v);
	return r == SC_OK && n < 2 ? SC_ERR_CORRUPT : r;
}

static int do_delete_undelete(struct sc_vault *v)
{
	uint64_t ver;
	int r;

	if ((r = sc_vault_delete_in_txn(v, "ver/x")) != SC_OK)
		return r;
	return sc_vault_undelete_in_txn(v, "ver/x", &ver);
}

static int op_undelete(void)
{
	return in_txn(do_delete_undelete);
}

static int do_purge_b(struct sc_vault *v)
{
	return sc_vault_purge_in_txn(v, "mv/b");
}

static int prep_rename(void)
{
	int r, e = 0;

	if ((r = exists("mv/b", &e)) != SC_OK)
		return r;
	if (e && (r = in_txn(do_purge_b)) != SC_OK)
		return r;
	return put_twice("mv/a");
}

static int do_rename(struct sc_vault *v)
{
	return sc_vault_rename_in_txn(v, "mv/a", "mv/b");
}

static int op_rename(void)
{
	return in_txn(do_rename);
}

static int op_purge(void)
{
	struct sc_vault *v;
	int r;

	if ((r = in_txn(do_purge_b)) != SC_OK || (r = open_unlocked(&v)) != SC_OK)
		return r;
	r = sc_vault_erase_wal(v);
	sc_vault_close(v);
	return r;
}

static int prep_purge(void)
{
	int r, e = 0;

	if ((r = exists("mv/b", &e)) != SC_OK || e)
		return r;
	return put_twice("mv/b");
}

static int op_audit_append(void)
{
	const char *names[] = {"api/key"};
	struct sc_audit_event ev = {
	    .op = "get", .source = SC_AUDIT_SRC_CLI, .names = names, .n_names = 1};
	struct sc_vault *v;
	int r;

	if ((r = open_unlocked(&v)) != SC_OK)
		return r;
	r = sc_audit_append(v, &ev);
	sc_vault_close(v);
	return r;
}

static int op_audit_verify(void)
{
	struct sc_audit_report rep;
	struct sc_vault *v;
	int r;

	if ((r = open_unlocked(&v)) != SC_OK)
		return r;
	memset(&rep, 0, sizeof(rep));
	r = sc_audit_verify(v, &rep);
	if (r != SC_OK && getenv("SC_FAULT_DEBUG"))
		print_message("verify: %s: %s line %llu\n", sc_strerror(r), rep.why,
		              (unsigned long long)rep.bad_line);
	sc_vault_close(v);
	return r;
}

static int op_policy_load(void)
{
	struct sc_policy *p = NULL;
	char path[4200], err[256];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, SC_POLICY_FILE);
	r = sc_policy_load(path, &p, err, sizeof(err));
	sc_policy_free(p);
	return r;
}

static int op_agent_request(void)
{
	static const char req[] =
	    "{\"v\":1,\"op\":\"run\",\"argv\":[\"echo\",\"hi\"],\"keys\":[\"api/*\"],"
	    "\"env\":[\"PATH=/usr/bin\",\"HOME=/tmp\"],\"origin\":1,\"timeout_ms\":1000}";
	struct sc_agent_req q;
	int r;

	r = sc_agent_req_decode((const uint8_t *)req, sizeof(req) - 1, &q);
	if (r == SC_OK)
		sc_agent_req_release(&q);
	return r;
}

/* ---- the loop ---- */

static void check_intact(uint64_t n)
{
	int r = op_get();

	/* no fault armed: the vault opens with its data */
	if (r != SC_OK)
		print_message("after fault %llu: %s (%s)\n", (unsigned long long)n, sc_strerror(r),
		              sc_last_error());
	assert_int_equal(r, SC_OK);
}

static void loop(const char *what_name, int (*prep)(void), int (*op)(void), unsigned what,
                 int sticky)
{
	uint64_t n;
	unsigned errors = 0, recovered = 0;

	for (n = 1;; n++) {
		uint64_t failed;
		int r;

		if (prep != NULL)
			assert_int_equal(prep(), SC_OK);
		sc_fault_arm(what, n, sticky);
		r = op();
		failed = sc_fault_failed();
		sc_fault_disarm();
		sc_clear_error();
		if (failed == 0) {
			/* past the last call: the operation ran clean */
			assert_int_equal(r, SC_OK);
			break;
		}
		if (r != SC_OK)
			errors++;
		else
			recovered++;
		check_intact(n);
		assert_true(n < 20000);
	}
	print_message("%-14s %s%s: %llu calls, %u errors, %u recovered\n", what_name,
	              what == SC_FAULT_ALLOC ? "alloc" : "io", sticky ? " (sticky)" : "",
	              (unsigned long long)(n - 1), errors, recovered);
	/* the loop did reach the operation's error paths */
	assert_true(n > 1);
	assert_true(errors > 0);
}

static void run_all(unsigned what, int sticky)
{
	loop("vault get", NULL, op_get, what, sticky);
	loop("vault set", NULL, op_set, what, sticky);
	loop("vault delete", prep_delete, op_delete, what, sticky);
	loop("rollback", prep_versions, op_rollback, what, sticky);
	loop("history", prep_versions, op_history, what, sticky);
	loop("undelete", prep_versions, op_undelete, what, sticky);
	loop("rename", prep_rename, op_rename, what, sticky);
	loop("purge", prep_purge, op_purge, what, sticky);
	loop("audit verify", NULL, op_audit_verify, what, sticky);
	loop("session get", NULL, op_session_get, what, sticky);
	/* Last: after an I/O failure at some points of an append, the log no
	 * longer verifies (docs/AUDIT.md, open items; the issue-15 work makes
	 * a write and its entry one durable step). What is checked here is
	 * that each failure is an error and the vault opens with its data. */
	loop("audit append", NULL, op_audit_append, what, sticky);
	loop("policy load", NULL, op_policy_load, what, sticky);
	if (what == SC_FAULT_ALLOC)
		loop("agent request", NULL, op_agent_request, what, sticky);
}

static void test_alloc_once(void **state)
{
	(void)state;
	run_all(SC_FAULT_ALLOC, 0);
}

/* Every call from N on fails too: slower, run with SC_FAULT_FULL=1. */
static void test_alloc_sticky(void **state)
{
	(void)state;
	if (getenv("SC_FAULT_FULL") == NULL)
		skip();
	run_all(SC_FAULT_ALLOC, 1);
}

static void test_io_once(void **state)
{
	(void)state;
	run_all(SC_FAULT_IO, 0);
}

static void test_io_sticky(void **state)
{
	(void)state;
	if (getenv("SC_FAULT_FULL") == NULL)
		skip();
	run_all(SC_FAULT_IO, 1);
}

static int setup(void **state)
{
	const char *tmp = getenv("SC_TEST_TMP");
	struct sc_vault *v;
	char path[4200];
	FILE *f;

	(void)state;
	if (tmp == NULL)
		tmp = "/tmp";
	mkdir(tmp, 0700);
	snprintf(dir, sizeof(dir), "%s/fault-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		return -1;
	if (sc_vault_create(dir, PW, strlen(PW), &small_kdf) != SC_OK || open_unlocked(&v) != SC_OK)
		return -1;
	if (put_value(v, "api/key", VAL) != SC_OK) {
		sc_vault_close(v);
		return -1;
	}
	sc_vault_close(v);
	if (op_audit_append() != SC_OK)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, SC_POLICY_FILE);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs("version: 1\ndefault_action: deny\nallowed_commands:\n  - echo\n"
	      "env_aliases:\n  dev:\n    - pattern: \"api/*\"\n      target: \"dev/api/*\"\n",
	      f);
	fclose(f);
	chmod(path, 0600);
	return op_policy_load() == SC_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_alloc_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_sticky, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_io_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_io_sticky, setup, teardown),
	};

	if (sc_fault_install() != SC_OK || sc_init() != SC_OK)
		return 1;
	umask(077);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
