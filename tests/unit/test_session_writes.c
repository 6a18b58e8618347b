/* test_session_writes.c - the library's audited operations (session/
 * writes.c), called directly, no front end: each leaves its own audit
 * entry (op, source, client, the blinded names, the outcome), and when the
 * entry cannot be written (SC_FAULT_AUDIT) the operation fails and changes
 * nothing: no write without its entry, no export file without its. */
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

#include "secretctl/backup.h"
#include "secretctl/fault.h"
#include "secretctl/health.h"
#include "secretctl/keys.h"
#include "secretctl/rekey.h"
#include "secretctl/secretctl.h"
#include "secretctl/session.h"
#include "secretctl/shares.h"

#define PW "session-writes-password"

static const struct sc_session_who cli = {.source = SC_AUDIT_SRC_CLI};
static const struct sc_session_who mcp = {.source = SC_AUDIT_SRC_MCP, .client = "test-client"};

struct fx {
	char dir[256];
	struct sc_vault *v;
};

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static int setup(void **state)
{
	static const struct sc_kdf_params kp = {8192, 1};
	const char *tmp = getenv("SC_TEST_TMP");
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	mkdir(tmp, 0700);
	snprintf(f->dir, sizeof(f->dir), "%s/sesswr-XXXXXX", tmp);
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(sc_vault_create(f->dir, PW, strlen(PW), &kp), SC_OK);
	assert_int_equal(sc_vault_open(f->dir, &f->v), SC_OK);
	assert_int_equal(sc_vault_unlock(f->v, PW, strlen(PW)), SC_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sc_fault_disarm();
	sc_vault_close(f->v);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct sc_secret *secret(const char *name, const char *field, const char *val)
{
	struct sc_secret *s = NULL;

	assert_int_equal(sc_secret_new(&s, name), SC_OK);
	assert_int_equal(sc_secret_add_field(s, field, val, strlen(val), 1), SC_OK);
	return s;
}

/* The number of chained entries, and the last one in *last. */
static size_t log_last(struct fx *f, struct sc_audit_entry *last)
{
	struct sc_audit_reader *rd = NULL;
	struct sc_audit_entry *e = calloc(1, sizeof(*e));
	size_t n = 0;
	int r;

	assert_non_null(e);
	memset(last, 0, sizeof(*last));
	if (sc_audit_reader_open(f->dir, &rd) != SC_OK) {
		free(e);
		return 0;
	}
	while ((r = sc_audit_reader_next(rd, e)) == SC_OK) {
		if (e->kind == SC_AUDIT_ENTRY) {
			n++;
			memcpy(last, e, sizeof(*e));
		}
	}
	assert_int_equal(r, SC_ERR_NOT_FOUND);
	sc_audit_reader_free(rd);
	free(e);
	return n;
}

static struct sc_audit_entry *entry(void)
{
	struct sc_audit_entry *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	return e;
}

static void assert_names(struct fx *f, const struct sc_audit_entry *e, const char *name)
{
	uint8_t id[SC_MAC_LEN];

	assert_int_equal(e->n_secrets, 1);
	assert_int_equal(sc_vault_blind_name(f->v, name, id), SC_OK);
	assert_memory_equal(e->secrets[0], id, SC_MAC_LEN);
}

static void assert_value(struct fx *f, const char *name, const char *want)
{
	struct sc_secret *s = NULL;
	const uint8_t *val;
	size_t len;

	assert_int_equal(sc_vault_get(f->v, name, &s), SC_OK);
	assert_int_equal(sc_secret_field(s, 0, NULL, &val, &len, NULL, NULL), SC_OK);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(val, want, len);
	sc_secret_free(s);
}

static void assert_verifies(struct fx *f)
{
	struct sc_audit_report rep;

	memset(&rep, 0, sizeof(rep));
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.lag, 0);
}

static void test_set_is_audited(void **state)
{
	struct fx *f = *state;
	struct sc_session_set io = {0};
	struct sc_audit_entry *e = entry();
	struct sc_secret *s = secret("api/key", "value", "first-value");
	size_t n;

	assert_int_equal(sc_session_set(f->v, &mcp, s, &io), SC_OK);
	assert_int_equal(io.version, 1);
	n = log_last(f, e);
	assert_int_equal(n, 1);
	assert_string_equal(e->op, "set");
	assert_int_equal(e->source, SC_AUDIT_SRC_MCP);
	assert_string_equal(e->client, "test-client");
	assert_int_equal(e->result, SC_AUDIT_OK);
	assert_names(f, e, "api/key");
	sc_secret_free(s);

	/* a new version that drops a field: refused, and the refusal is
	 * recorded; the vault keeps version 1 */
	s = secret("api/key", "other", "second-value");
	assert_int_equal(sc_session_set(f->v, &cli, s, &io), SC_ERR_DENIED);
	assert_non_null(strstr(io.dropped, "field value"));
	assert_int_equal(log_last(f, e), n + 1);
	assert_string_equal(e->op, "set");
	assert_int_equal(e->source, SC_AUDIT_SRC_CLI);
	assert_int_equal(e->result, SC_AUDIT_DENIED);
	assert_value(f, "api/key", "first-value");
	/* with replace it goes in as version 2 */
	io.replace = 1;
	assert_int_equal(sc_session_set(f->v, &cli, s, &io), SC_OK);
	assert_int_equal(io.version, 2);
	assert_int_equal(log_last(f, e), n + 2);
	assert_int_equal(e->result, SC_AUDIT_OK);
	sc_secret_free(s);
	assert_verifies(f);
	free(e);
}

static void test_set_unrecorded_is_undone(void **state)
{
	struct fx *f = *state;
	struct sc_session_set io = {0};
	struct sc_audit_entry *e = entry();
	struct sc_secret *s = secret("api/key", "value", "first-value");
	size_t n;
	int e_before;

	assert_int_equal(sc_session_set(f->v, &cli, s, &io), SC_OK);
	sc_secret_free(s);
	n = log_last(f, e);
	/* the log cannot take an entry: the write fails and is not there */
	s = secret("api/key", "value", "second-value");
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_set(f->v, &cli, s, &io), SC_OK);
	assert_true(sc_fault_failed() > 0);
	sc_fault_disarm();
	sc_secret_free(s);
	assert_value(f, "api/key", "first-value");
	assert_int_equal(log_last(f, e), n);
	/* a new name either */
	s = secret("api/new", "value", "new-value");
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_set(f->v, &cli, s, &io), SC_OK);
	sc_fault_disarm();
	sc_secret_free(s);
	e_before = 1;
	assert_int_equal(sc_vault_exists(f->v, "api/new", &e_before), SC_OK);
	assert_false(e_before);
	assert_verifies(f);
	free(e);
}

static void test_delete_is_audited(void **state)
{
	struct fx *f = *state;
	struct sc_session_set io = {0};
	struct sc_audit_entry *e = entry();
	struct sc_secret *s = secret("tmp/a", "value", "a-value");
	int ex = 0;

	assert_int_equal(sc_session_set(f->v, &cli, s, &io), SC_OK);
	sc_secret_free(s);
	s = secret("tmp/b", "value", "b-value");
	assert_int_equal(sc_session_set(f->v, &cli, s, &io), SC_OK);
	sc_secret_free(s);

	/* the log cannot take the entry: still there */
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_delete(f->v, &cli, "tmp/a", 0), SC_OK);
	sc_fault_disarm();
	assert_int_equal(sc_vault_exists(f->v, "tmp/a", &ex), SC_OK);
	assert_true(ex);
	assert_int_equal(log_last(f, e), 2);

	assert_int_equal(sc_session_delete(f->v, &cli, "tmp/a", 0), SC_OK);
	assert_int_equal(log_last(f, e), 3);
	assert_string_equal(e->op, "delete");
	assert_int_equal(e->result, SC_AUDIT_OK);
	assert_names(f, e, "tmp/a");
	assert_int_equal(sc_vault_exists(f->v, "tmp/a", &ex), SC_OK);
	assert_false(ex);

	assert_int_equal(sc_session_delete(f->v, &cli, "tmp/b", 1), SC_OK);
	assert_int_equal(log_last(f, e), 4);
	assert_string_equal(e->op, "purge");
	assert_names(f, e, "tmp/b");

	/* a missing name: the failure is recorded */
	assert_int_equal(sc_session_delete(f->v, &cli, "tmp/none", 0), SC_ERR_NOT_FOUND);
	assert_int_equal(log_last(f, e), 5);
	assert_string_equal(e->op, "delete");
	assert_int_equal(e->result, SC_AUDIT_ERROR);
	assert_string_equal(e->code, "not_found");
	assert_verifies(f);
	free(e);
}

static void test_export_is_audited(void **state)
{
	struct fx *f = *state;
	static const char body[] = "API_KEY=x\n";
	const char *names[] = {"api/key"};
	struct sc_audit_entry *e = entry();
	char path[300], got[64];
	struct stat st;
	FILE *in;
	int rec = -1;

	snprintf(path, sizeof(path), "%s/out.env", f->dir);
	assert_int_equal(
	    sc_session_export(f->v, &cli, names, 1, path, body, sizeof(body) - 1, &rec), SC_OK);
	assert_int_equal(rec, 1);
	assert_int_equal(log_last(f, e), 1);
	assert_string_equal(e->op, "export");
	assert_int_equal(e->result, SC_AUDIT_OK);
	assert_names(f, e, "api/key");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(in = fopen(path, "r"));
	assert_int_equal(fread(got, 1, sizeof(got), in), sizeof(body) - 1);
	fclose(in);
	assert_memory_equal(got, body, sizeof(body) - 1);
	/* never over a file that exists: the intent is there, then the error */
	assert_int_equal(
	    sc_session_export(f->v, &cli, names, 1, path, body, sizeof(body) - 1, &rec),
	    SC_ERR_EXISTS);
	assert_int_equal(rec, 1);
	assert_int_equal(log_last(f, e), 3);
	assert_string_equal(e->op, "export");
	assert_int_equal(e->result, SC_AUDIT_ERROR);
	assert_string_equal(e->code, "exists");
	/* nothing selected: one entry with no names */
	assert_int_equal(sc_session_export(f->v, &cli, NULL, 0, NULL, NULL, 0, &rec), SC_OK);
	assert_int_equal(log_last(f, e), 4);
	assert_int_equal(e->n_secrets, 0);
	assert_verifies(f);
	free(e);
}

static void test_export_unrecorded_writes_nothing(void **state)
{
	struct fx *f = *state;
	static const char body[] = "API_KEY=x\n";
	const char *names[] = {"api/key"};
	struct sc_audit_entry *e = entry();
	char path[300];
	struct stat st;
	int rec = -1;

	snprintf(path, sizeof(path), "%s/out.env", f->dir);
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(
	    sc_session_export(f->v, &cli, names, 1, path, body, sizeof(body) - 1, &rec), SC_OK);
	assert_true(sc_fault_failed() > 0);
	sc_fault_disarm();
	assert_int_equal(rec, 0);
	assert_int_not_equal(lstat(path, &st), 0);
	assert_int_equal(log_last(f, e), 0);
	free(e);
}

static void put(struct fx *f, const char *name, const char *val)
{
	struct sc_session_set io = {.replace = 1};
	struct sc_secret *s = secret(name, "value", val);

	assert_int_equal(sc_session_set(f->v, &cli, s, &io), SC_OK);
	sc_secret_free(s);
}

static void assert_last(struct fx *f, size_t n, const char *op, int result, const char *name)
{
	struct sc_audit_entry *e = entry();

	assert_int_equal(log_last(f, e), n);
	assert_string_equal(e->op, op);
	assert_int_equal(e->result, result);
	if (name != NULL)
		assert_names(f, e, name);
	free(e);
}

static void test_versions_are_audited(void **state)
{
	struct fx *f = *state;
	struct sc_audit_entry *e = entry();
	uint64_t to = 0, made = 0, ver = 0;
	size_t dropped = 9;
	int ex;

	put(f, "db/pw", "one");
	put(f, "db/pw", "two");
	assert_int_equal(sc_session_rollback(f->v, &cli, "db/pw", &to, &made), SC_OK);
	assert_int_equal(to, 1);
	assert_int_equal(made, 3);
	assert_value(f, "db/pw", "one");
	assert_last(f, 3, "rollback", SC_AUDIT_OK, "db/pw");
	/* not written when the log cannot take the entry */
	to = 2;
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_rollback(f->v, &cli, "db/pw", &to, &made), SC_OK);
	sc_fault_disarm();
	assert_value(f, "db/pw", "one");
	assert_int_equal(log_last(f, e), 3);

	assert_int_equal(sc_session_prune(f->v, &cli, "db/pw", 1, &dropped), SC_OK);
	assert_int_equal(dropped, 2);
	assert_last(f, 4, "history-prune", SC_AUDIT_OK, "db/pw");
	assert_int_equal(sc_session_prune(f->v, &cli, NULL, 1, &dropped), SC_OK);
	assert_int_equal(log_last(f, e), 5);
	assert_string_equal(e->op, "history-prune");
	assert_int_equal(e->n_secrets, 0);

	assert_int_equal(sc_session_rename(f->v, &cli, "db/pw", "db/pass", 0), SC_OK);
	assert_int_equal(log_last(f, e), 6);
	assert_string_equal(e->op, "mv");
	assert_int_equal(e->n_secrets, 2);
	assert_value(f, "db/pass", "one");
	assert_int_equal(sc_session_rename(f->v, &cli, "db/pass", "db/copy", 1), SC_OK);
	assert_last(f, 7, "cp", SC_AUDIT_OK, NULL);
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_rename(f->v, &cli, "db/pass", "db/moved", 0), SC_OK);
	sc_fault_disarm();
	assert_int_equal(sc_vault_exists(f->v, "db/moved", &ex), SC_OK);
	assert_false(ex);

	assert_int_equal(sc_session_delete(f->v, &cli, "db/copy", 0), SC_OK);
	assert_int_equal(sc_session_undelete(f->v, &cli, "db/copy", &ver), SC_OK);
	assert_int_equal(ver, 1);
	assert_last(f, 9, "undelete", SC_AUDIT_OK, "db/copy");
	/* a live secret cannot be undeleted: the failure is recorded */
	assert_int_equal(sc_session_undelete(f->v, &cli, "db/copy", &ver), SC_ERR_EXISTS);
	assert_last(f, 10, "undelete", SC_AUDIT_ERROR, "db/copy");
	assert_verifies(f);
	free(e);
}

static int change_value(const struct sc_secret *cur, uint64_t now, struct sc_secret *next,
                        void *arg)
{
	uint64_t *seen = arg;
	int r;

	(void)cur;
	*seen = now;
	if ((r = sc_secret_remove_field(next, "value")) != SC_OK)
		return r;
	return sc_secret_add_field(next, "value", "edited", 6, 1);
}

static int refuse(const struct sc_secret *cur, uint64_t now, struct sc_secret *next, void *arg)
{
	(void)cur;
	(void)now;
	(void)next;
	(void)arg;
	return SC_ERR_INVALID;
}

static void test_edit_is_audited(void **state)
{
	struct fx *f = *state;
	uint64_t seen = 0, ver = 0;

	put(f, "app/tok", "orig");
	assert_int_equal(sc_session_edit(f->v, &mcp, "app/tok", 0, change_value, &seen, &ver),
	                 SC_OK);
	assert_int_equal(seen, 1);
	assert_int_equal(ver, 2);
	assert_value(f, "app/tok", "edited");
	assert_last(f, 2, "edit", SC_AUDIT_OK, "app/tok");
	/* the change refused: nothing written, the refusal recorded */
	assert_int_equal(sc_session_edit(f->v, &cli, "app/tok", 0, refuse, NULL, &ver),
	                 SC_ERR_INVALID);
	assert_last(f, 3, "edit", SC_AUDIT_ERROR, "app/tok");
	/* the log cannot take the entry: the edit is not there */
	put(f, "app/tok", "orig");
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_edit(f->v, &cli, "app/tok", 0, change_value, &seen, &ver),
	                     SC_OK);
	sc_fault_disarm();
	assert_value(f, "app/tok", "orig");
	assert_verifies(f);
}

static void test_generate_is_audited(void **state)
{
	struct fx *f = *state;
	struct sc_session_gen g;
	struct sc_secret *s;
	int ex = 1;

	assert_int_equal(sc_session_generate(f->v, &cli, "gen/one", "Gen-1", 5, &g), SC_OK);
	assert_string_equal(g.name, "gen/one");
	assert_string_equal(g.field, "value");
	assert_int_equal(g.version, 1);
	assert_value(f, "gen/one", "Gen-1");
	assert_last(f, 1, "generate", SC_AUDIT_OK, "gen/one");
	/* FIELD of an existing NAME: the entry names the path as given */
	s = secret("gen/two", "user", "u");
	assert_int_equal(sc_secret_add_field(s, "pass", "p", 1, 1), SC_OK);
	{
		struct sc_session_set io = {0};

		assert_int_equal(sc_session_set(f->v, &cli, s, &io), SC_OK);
	}
	sc_secret_free(s);
	assert_int_equal(sc_session_generate(f->v, &cli, "gen/two/pass", "Gen-2", 5, &g), SC_OK);
	assert_string_equal(g.name, "gen/two");
	assert_string_equal(g.field, "pass");
	assert_int_equal(g.version, 2);
	assert_last(f, 3, "generate", SC_AUDIT_OK, "gen/two/pass");
	/* several fields, none named: refused and recorded */
	assert_int_equal(sc_session_generate(f->v, &cli, "gen/two", "Gen-3", 5, &g),
	                 SC_ERR_INVALID);
	assert_non_null(strstr(g.why, "several fields"));
	assert_last(f, 4, "generate", SC_AUDIT_ERROR, "gen/two");
	/* the log cannot take the entry: nothing stored */
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_generate(f->v, &cli, "gen/three", "Gen-4", 5, &g), SC_OK);
	sc_fault_disarm();
	assert_int_equal(sc_vault_exists(f->v, "gen/three", &ex), SC_OK);
	assert_false(ex);
	assert_verifies(f);
}

static size_t nslots(struct fx *f)
{
	struct sc_vault_slot *sl = NULL;
	size_t n = 0;

	assert_int_equal(sc_vault_slots_list(f->v, &sl, &n), SC_OK);
	free(sl);
	return n;
}

static void reopen(struct fx *f, const char *pw, int want)
{
	struct sc_vault *v = NULL;

	assert_int_equal(sc_vault_open(f->dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock(v, pw, strlen(pw)), want);
	sc_vault_close(v);
}

static void test_slots_are_audited(void **state)
{
	static const struct sc_kdf_params kp = {8192, 1};
	struct fx *f = *state;
	struct sc_keyslot_recovery rec = {.threshold = 2, .count = 3};
	struct sc_share_set *set = NULL;
	int64_t id = 0;

	/* passwd: the new password and its entry, or neither */
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_passwd(f->v, &cli, "new-pw-1", 8, &kp, 0), SC_OK);
	sc_fault_disarm();
	reopen(f, PW, SC_OK);
	reopen(f, "new-pw-1", SC_ERR_AUTH);
	assert_int_equal(sc_session_passwd(f->v, &cli, "new-pw-1", 8, &kp, 0), SC_OK);
	assert_last(f, 1, "passwd", SC_AUDIT_OK, NULL);
	reopen(f, "new-pw-1", SC_OK);
	assert_int_equal(sc_session_passwd(f->v, &cli, "new-pw-2", 8, &kp, 1), SC_OK);
	assert_last(f, 2, "recovery.open", SC_AUDIT_OK, NULL);

	/* a recovery split: shares and slot only with the entry */
	assert_int_equal(nslots(f), 1);
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_recovery_split(f->v, &cli, &rec, &set, &id), SC_OK);
	sc_fault_disarm();
	assert_null(set);
	assert_int_equal(id, 0);
	assert_int_equal(nslots(f), 1);
	assert_int_equal(sc_session_recovery_split(f->v, &mcp, &rec, &set, &id), SC_OK);
	assert_non_null(set);
	assert_int_equal(sc_share_set_members(set, 0), 3);
	assert_true(id > 1);
	assert_int_equal(nslots(f), 2);
	assert_last(f, 3, "recovery.split", SC_AUDIT_OK, NULL);
	sc_share_set_free(set);

	/* removed: the slot and its entry, or neither */
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_slot_remove(f->v, &cli, id), SC_OK);
	sc_fault_disarm();
	assert_int_equal(nslots(f), 2);
	assert_int_equal(sc_session_slot_remove(f->v, &cli, id), SC_OK);
	assert_int_equal(nslots(f), 1);
	assert_last(f, 4, "keyslot.remove", SC_AUDIT_OK, NULL);
	/* the last slot: refused, and recorded */
	assert_int_equal(sc_session_slot_remove(f->v, &cli, 1), SC_ERR_DENIED);
	assert_last(f, 5, "keyslot.remove", SC_AUDIT_DENIED, NULL);
	assert_verifies(f);
}

static void test_backup_is_audited(void **state)
{
	struct fx *f = *state;
	struct sc_backup_info info;
	struct sc_audit_entry *e = entry();
	char path[300];
	struct stat st;
	int at = -1;

	put(f, "bk/one", "backed-up");
	snprintf(path, sizeof(path), "%s/vault.bk", f->dir);
	/* the log cannot take the entry: no backup file is left */
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_backup(f->v, &cli, path, NULL, 0, NULL, &info, &at), SC_OK);
	sc_fault_disarm();
	assert_int_equal(at, SC_SESSION_AT_AUDIT);
	assert_int_not_equal(lstat(path, &st), 0);
	assert_int_equal(log_last(f, e), 1);

	assert_int_equal(sc_session_backup(f->v, &cli, path, NULL, 0, NULL, &info, &at), SC_OK);
	assert_int_equal(at, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_last(f, 2, "backup", SC_AUDIT_OK, NULL);
	/* never over a file: nothing made, nothing recorded */
	assert_int_equal(sc_session_backup(f->v, &cli, path, NULL, 0, NULL, &info, &at),
	                 SC_ERR_EXISTS);
	assert_int_equal(at, SC_SESSION_AT_CREATE);
	assert_int_equal(log_last(f, e), 2);
	assert_verifies(f);
	free(e);
}

static void on_finding(void *arg, const struct sc_health_finding *hf)
{
	(void)hf;
	(*(int *)arg)++;
}

static void test_readouts_are_audited(void **state)
{
	static const char tpl[] = "key={{ secretctl://inj/one }}\n";
	struct fx *f = *state;
	struct sc_dek_info di;
	uint8_t *out = NULL;
	size_t olen = 0, line = 0;
	uint64_t nsec = 0, removed = 0;
	int64_t since = 0;
	char why[256];
	int rec = -1, found = 0;

	put(f, "inj/one", "Injected-1");
	assert_int_equal(sc_session_inject(f->v, &cli, tpl, sizeof(tpl) - 1, &out, &olen, &line,
	                                   why, sizeof(why), &rec),
	                 SC_OK);
	assert_int_equal(rec, 1);
	assert_int_equal(olen, strlen("key=Injected-1\n"));
	assert_memory_equal(out, "key=Injected-1\n", olen);
	sc_secmem_free(out);
	assert_last(f, 2, "inject", SC_AUDIT_OK, "inj/one");
	/* nothing handed out without its entry */
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_inject(f->v, &cli, tpl, sizeof(tpl) - 1, &out, &olen, &line,
	                                       why, sizeof(why), &rec),
	                     SC_OK);
	sc_fault_disarm();
	assert_int_equal(rec, 0);
	assert_null(out);
	assert_int_equal(olen, 0);

	assert_int_equal(
	    sc_session_doctor(f->v, &cli, 0, 86400, on_finding, &found, &nsec, &di, &since), SC_OK);
	assert_int_equal(nsec, 1);
	assert_last(f, 3, "doctor", SC_AUDIT_OK, NULL);
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(
	    sc_session_doctor(f->v, &cli, 0, 86400, on_finding, &found, &nsec, &di, &since), SC_OK);
	sc_fault_disarm();

	/* prune: not without its entry; with it, the old entries go */
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_audit_prune(f->v, &cli, INT64_MAX, &removed, &rec), SC_OK);
	sc_fault_disarm();
	assert_int_equal(rec, 0);
	assert_int_equal(log_last(f, (struct sc_audit_entry[]){{0}}), 3);
	assert_int_equal(sc_session_audit_prune(f->v, &cli, INT64_MAX, &removed, &rec), SC_OK);
	assert_int_equal(rec, 1);
	assert_int_equal(removed, 4); /* its own entry too: the checkpoint records it */
	assert_verifies(f);
}

static int import_two(struct sc_vault *v, void *arg)
{
	const char *const *names = arg;
	int i, r = SC_OK;

	for (i = 0; i < 2 && r == SC_OK; i++) {
		struct sc_secret *s = secret(names[i], "value", "imported");

		r = sc_vault_put_keep_in_txn(v, s, 0);
		sc_secret_free(s);
	}
	return r;
}

static void test_import_is_audited(void **state)
{
	struct fx *f = *state;
	const char *names[] = {"imp/a", "imp/b"};
	struct sc_audit_entry *e = entry();
	uint8_t id[SC_MAC_LEN];
	size_t logged = 9;
	int ex = 1;

	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_import(f->v, &cli, names, 2, import_two, names, &logged),
	                     SC_OK);
	sc_fault_disarm();
	assert_int_equal(logged, 0);
	assert_int_equal(sc_vault_exists(f->v, "imp/a", &ex), SC_OK);
	assert_false(ex);
	assert_int_equal(sc_session_import(f->v, &cli, names, 2, import_two, names, &logged),
	                 SC_OK);
	assert_int_equal(logged, 2);
	assert_value(f, "imp/b", "imported");
	assert_int_equal(log_last(f, e), 1);
	assert_string_equal(e->op, "import");
	assert_int_equal(e->n_secrets, 2);
	assert_int_equal(sc_vault_blind_name(f->v, "imp/b", id), SC_OK);
	assert_memory_equal(e->secrets[1], id, SC_MAC_LEN);
	assert_verifies(f);
	free(e);
}

static void test_rekey_is_audited(void **state)
{
	struct fx *f = *state;
	struct sc_rekey_opts o = {.pw = PW, .pw_len = strlen(PW)};
	struct sc_dek_info d0, d1;
	struct sc_rekey *rk = NULL;

	put(f, "rk/one", "kept-across");
	assert_int_equal(sc_vault_dek_info(f->v, &d0), SC_OK);
	/* the log cannot take the entry: the old key stays the key */
	assert_int_equal(sc_rekey_prepare(f->v, &o, &rk), SC_OK);
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_rekey(f->v, &cli, rk), SC_OK);
	sc_fault_disarm();
	sc_rekey_free(rk);
	rk = NULL;
	assert_int_equal(sc_vault_dek_info(f->v, &d1), SC_OK);
	assert_int_equal(d1.version, d0.version);
	assert_int_equal(log_last(f, (struct sc_audit_entry[]){{0}}), 1);
	/* a rerun goes on, and finishes with its entry */
	assert_int_equal(sc_rekey_prepare(f->v, &o, &rk), SC_OK);
	assert_int_equal(sc_session_rekey(f->v, &cli, rk), SC_OK);
	sc_rekey_done(rk);
	sc_rekey_free(rk);
	assert_int_equal(sc_vault_dek_info(f->v, &d1), SC_OK);
	assert_true(d1.version > d0.version);
	assert_last(f, 2, "rekey", SC_AUDIT_OK, NULL);
	assert_value(f, "rk/one", "kept-across");
	assert_verifies(f);
}

/* key rewrap --all: the run's one entry from the library, either way; and
 * a set that names no key keeps a field sealed under its key sealed. */
static void test_rewrap_all_is_audited(void **state)
{
	struct fx *f = *state;
	struct sc_vault_rewrap_report rep;
	struct sc_session_set io = {.replace = 1};
	struct sc_keyring *kr = NULL;
	struct sc_secret *s, *got = NULL;
	int i;

	assert_int_equal(sc_vault_keyring_load(f->v, &kr), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "k", SC_KEY_AES256_GCM, NULL, 1), SC_OK);
	assert_int_equal(sc_vault_txn_begin(f->v), SC_OK);
	assert_int_equal(sc_vault_keyring_save_in_txn(f->v, kr), SC_OK);
	assert_int_equal(sc_vault_txn_commit(f->v), SC_OK);
	sc_keyring_free(kr);
	s = secret("rw/one", "value", "sealed-under-k-v1");
	assert_int_equal(sc_secret_set_field_key(s, "value", "k"), SC_OK);
	assert_int_equal(sc_session_set(f->v, &cli, s, &io), SC_OK);
	sc_secret_free(s);
	/* a new value with no key named: still under k */
	put(f, "rw/one", "second-value-still");
	assert_int_equal(sc_vault_get(f->v, "rw/one", &got), SC_OK);
	i = sc_secret_field_index(got, "value");
	assert_true(i >= 0);
	assert_non_null(sc_secret_field_key(got, (size_t)i));
	assert_string_equal(sc_secret_field_key(got, (size_t)i), "k");
	sc_secret_free(got);
	assert_int_equal(sc_vault_keyring_load(f->v, &kr), SC_OK);
	assert_int_equal(sc_keyring_rotate(kr, "k", 2, NULL), SC_OK);
	assert_int_equal(sc_vault_txn_begin(f->v), SC_OK);
	assert_int_equal(sc_vault_keyring_save_in_txn(f->v, kr), SC_OK);
	assert_int_equal(sc_vault_txn_commit(f->v), SC_OK);
	sc_keyring_free(kr);
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(sc_session_key_rewrap_all(f->v, &mcp, "k", 10, &rep), SC_OK);
	assert_true(rep.items >= 1);
	assert_int_equal(rep.version, 2);
	assert_last(f, 3, "key.rewrap-all", SC_AUDIT_OK, "k");
	assert_value(f, "rw/one", "second-value-still");
	/* no such key: refused, and recorded */
	assert_int_not_equal(sc_session_key_rewrap_all(f->v, &cli, "nope", 10, &rep), SC_OK);
	assert_last(f, 4, "key.rewrap-all", SC_AUDIT_ERROR, "nope");
	assert_verifies(f);
}

static void test_audit_export_is_audited(void **state)
{
	struct fx *f = *state;
	struct sc_audit_reader *rd = NULL;
	struct sc_audit_entry *e = entry();
	size_t n = 0;
	int rec = -1, r;

	put(f, "ae/one", "x");
	sc_fault_arm(SC_FAULT_AUDIT, 1, 1);
	assert_int_not_equal(sc_session_audit_export(f->v, &cli, &rd, &rec), SC_OK);
	sc_fault_disarm();
	assert_int_equal(rec, 0);
	assert_null(rd);
	assert_int_equal(sc_session_audit_export(f->v, &mcp, &rd, &rec), SC_OK);
	assert_int_equal(rec, 1);
	assert_non_null(rd);
	/* the reader holds the export's own entry, last */
	while ((r = sc_audit_reader_next(rd, e)) == SC_OK)
		n++;
	assert_int_equal(r, SC_ERR_NOT_FOUND);
	sc_audit_reader_free(rd);
	assert_int_equal(n, 2);
	assert_string_equal(e->op, "audit.export");
	assert_string_equal(e->client, "test-client");
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_set_is_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_unrecorded_is_undone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_is_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_is_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_unrecorded_writes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_versions_are_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edit_is_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generate_is_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slots_are_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backup_is_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readouts_are_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_import_is_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rekey_is_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_export_is_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rewrap_all_is_audited, setup, teardown),
	};

	if (sc_init() != SC_OK)
		return 1;
	umask(077);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
