/* test_run_audit.c - the run pipeline's audit step (run/pipeline.c): no
 * plan starts a command before sc_run_plan_audit put its SC_OK entry on
 * disk; a refusal's entry never lets one start; the entry names the op,
 * source, client, command and the secrets (or the patterns asked for). */
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

#include "secretctl/audit.h"
#include "secretctl/exec.h"
#include "secretctl/run.h"
#include "secretctl/secretctl.h"
#include "secretctl/vault.h"

#define PW "run-audit-password"

struct fx {
	char dir[256];
	struct sc_vault *v;
};

static int setup(void **state)
{
	static const struct sc_kdf_params kp = {8192, 1};
	const char *tmp = getenv("SC_TEST_TMP");
	struct fx *f = calloc(1, sizeof(*f));

	assert_int_equal(sc_init(), SC_OK);
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	mkdir(tmp, 0700);
	snprintf(f->dir, sizeof(f->dir), "%s/runaudit.XXXXXX", tmp);
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
	char cmd[300];

	sc_vault_close(f->v);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* the last entry of the log */
static void last_entry(struct fx *f, struct sc_audit_entry *out)
{
	struct sc_audit_reader *rd = NULL;
	struct sc_audit_entry e;
	int n = 0;

	assert_int_equal(sc_audit_reader_open(f->dir, &rd), SC_OK);
	while (sc_audit_reader_next(rd, &e) == SC_OK) {
		*out = e;
		n++;
	}
	sc_audit_reader_free(rd);
	assert_true(n > 0);
}

static int run_true(const struct sc_run_plan *pl)
{
	static char t[] = "true";
	char *const argv[] = {t, NULL}, *const envp[] = {NULL};
	struct sc_exec_opts o;
	struct sc_exec_result res;

	memset(&res, 0, sizeof(res));
	sc_exec_opts_init(&o);
	o.path = "/bin/true";
	o.argv = argv;
	o.envp = envp;
	return sc_run_exec(pl, &o, &res);
}

static void test_no_entry_no_run(void **state)
{
	struct fx *f = *state;
	struct sc_run_plan pl = {.origin = SC_RUN_ORIGIN_CLI};
	const struct sc_run_who who = {"run", SC_AUDIT_SRC_CLI, NULL, 0};
	const char *const pats[] = {"app/*"};
	struct sc_audit_entry e;

	/* never audited */
	assert_int_equal(run_true(&pl), SC_ERR_INTERNAL);
	assert_string_equal(sc_last_error(), "a run starts only once its audit entry is on disk");
	sc_clear_error();
	/* a refusal's entry does not let it start */
	assert_int_equal(sc_run_plan_audit(&pl, f->v, &who, NULL, pats, 1, "sleep", SC_ERR_DENIED),
	                 SC_OK);
	assert_int_equal(pl.audited, 0);
	assert_int_equal(run_true(&pl), SC_ERR_INTERNAL);
	sc_clear_error();
	last_entry(f, &e);
	assert_string_equal(e.op, "run");
	assert_string_equal(e.cmd, "sleep");
	assert_int_equal(e.n_secrets, 1);
	assert_int_equal(e.result, SC_AUDIT_DENIED);
	/* no vault: no entry, no run */
	assert_int_equal(sc_run_plan_audit(&pl, NULL, &who, NULL, NULL, 0, "true", SC_OK),
	                 SC_ERR_LOCKED);
	assert_int_equal(run_true(&pl), SC_ERR_INTERNAL);
	sc_clear_error();
	/* the entry on disk: it runs */
	assert_int_equal(sc_run_plan_audit(&pl, f->v, &who, NULL, NULL, 0, "true", SC_OK), SC_OK);
	assert_int_equal(pl.audited, 1);
	assert_int_equal(run_true(&pl), SC_OK);
	last_entry(f, &e);
	assert_int_equal(e.result, SC_AUDIT_OK);
	assert_int_equal(e.n_secrets, 0);
	/* a later refusal on the same plan takes the mark back */
	assert_int_equal(sc_run_plan_audit(&pl, f->v, &who, NULL, NULL, 0, "true", SC_ERR_DENIED),
	                 SC_OK);
	assert_int_equal(run_true(&pl), SC_ERR_INTERNAL);
	sc_clear_error();
}

static void test_who_is_recorded(void **state)
{
	struct fx *f = *state;
	struct sc_run_plan pl = {.origin = SC_RUN_ORIGIN_MCP};
	const struct sc_run_who who = {"secret_run", SC_AUDIT_SRC_MCP, "claude-code", 0};
	const char *const names[] = {"db/prod", "api/key"};
	struct sc_audit_entry e;

	assert_int_equal(sc_run_plan_audit(&pl, f->v, &who, NULL, names, 2, "psql", SC_OK), SC_OK);
	last_entry(f, &e);
	assert_string_equal(e.op, "secret_run");
	assert_int_equal(e.source, SC_AUDIT_SRC_MCP);
	assert_string_equal(e.client, "claude-code");
	assert_int_equal(e.n_secrets, 2);
	/* a refusal without its plan (the user declined after it was let go) */
	assert_int_equal(sc_run_plan_audit(NULL, f->v, &who, NULL, names, 1, "psql", SC_ERR_DENIED),
	                 SC_OK);
	/* but never an SC_OK entry without one */
	assert_int_equal(sc_run_plan_audit(NULL, f->v, &who, NULL, names, 1, "psql", SC_OK),
	                 SC_ERR_INVALID);
	{
		struct sc_audit_report rep;

		assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_entry_no_run),
	    cmocka_unit_test(test_who_is_recorded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
