/* test_policy_ask.c - `ask` in the policy: default_action: ask, a rule's
 * action: ask, limits.ask_timeout, which runs are left to a person and
 * which never are, and the exact-pin rule "always" adds to the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secretctl/policy.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__})
#define NARGS(...) (sizeof(ARGS(__VA_ARGS__)) / sizeof(const char *))

static struct sc_policy *parse_ok(const char *yaml)
{
	struct sc_policy *p = NULL;
	char err[512];
	int r = sc_policy_parse(yaml, strlen(yaml), &p, err, sizeof(err));

	if (r != SC_OK)
		fail_msg("policy did not parse: %s (%s)\n%s", sc_strerror(r), err, yaml);
	return p;
}

static void parse_err(const char *yaml, const char *want)
{
	struct sc_policy *p = NULL;
	char err[512];

	assert_int_equal(sc_policy_parse(yaml, strlen(yaml), &p, err, sizeof(err)), SC_ERR_INVALID);
	assert_null(p);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
}

/* The decision: 0 allowed, 1 asked, 2 denied (and never asked). */
static int decide(const struct sc_policy *p, const char *given, const char *resolved,
                  const char *const *args, size_t nargs, const char *const *sec, size_t nsec,
                  char *reason, size_t rlen)
{
	char r2[512];
	int ask = -1, r, plain;

	r = sc_policy_decide_run(p, given, resolved, args, nargs, sec, nsec, &ask, reason, rlen);
	/* sc_policy_check_run, which the CLI and the agent use, never allows
	 * what is asked about */
	plain = sc_policy_check_run(p, given, resolved, args, nargs, sec, nsec, r2, sizeof(r2));
	assert_int_equal(plain, r);
	if (r == SC_OK) {
		assert_int_equal(ask, 0);
		return 0;
	}
	assert_int_equal(r, SC_ERR_DENIED);
	assert_true(ask == 0 || ask == 1);
	return ask ? 1 : 2;
}

#define NOSEC ((const char *const *)NULL), 0

static void test_parse(void **state)
{
	struct sc_policy *p;
	struct sc_policy_limits lim;

	(void)state;
	p = parse_ok("version: 1\ndefault_action: ask\n");
	sc_policy_free(p);
	p = parse_ok("version: 1\nrules:\n  - command: git\n    action: ask\n"
	             "  - command: make\n    action: allow\n");
	sc_policy_free(p);
	parse_err("version: 1\ndefault_action: maybe\n", "'allow', 'deny' or 'ask'");
	parse_err("version: 1\nrules:\n  - command: git\n    action: yes\n",
	          "line 4: a rule's action must be 'allow' or 'ask'");
	parse_err("version: 1\nrules:\n  - command: git\n    action: [ask]\n",
	          "line 4: a rule's action must be a string");
	parse_err("version: 1\nrules:\n  - command: git\n    acton: ask\n",
	          "unknown key 'acton' in a rule (expected command, args, secrets, action, sha256, "
	          "files)");
	parse_err("version: 1\nlimits:\n  ask_timeout: 0s\n", "ask_timeout must be between 1s");
	parse_err("version: 1\nlimits:\n  ask_timeout: 2h\n", "ask_timeout must be between 1s");
	parse_err("version: 1\nlimits:\n  ask_timeout: soon\n", "ask_timeout 'soon' is not");

	p = parse_ok("version: 1\nlimits:\n  ask_timeout: 1m30s\n");
	sc_policy_limits(p, &lim);
	assert_int_equal(lim.ask_timeout_sec, 90);
	sc_policy_free(p);
	p = parse_ok("version: 1\n");
	sc_policy_limits(p, &lim);
	assert_int_equal(lim.ask_timeout_sec, SC_POLICY_ASK_TIMEOUT_DEFAULT);
	sc_policy_free(p);
	sc_policy_limits(NULL, &lim);
	assert_int_equal(lim.ask_timeout_sec, SC_POLICY_ASK_TIMEOUT_DEFAULT);
}

/* A Go-shaped file still loads and never asks: what it does not allow, it
 * denies. */
static void test_go_shape_never_asks(void **state)
{
	struct sc_policy *p = parse_ok("version: 1\ndefault_action:\nallowed_commands:\n"
	                               "  - kubectl\ndenied_commands:\n  - rm\n"
	                               "env_aliases:\n  dev:\n    - pattern: \"db/*\"\n"
	                               "      target: \"dev/db/*\"\n");
	char reason[512];

	(void)state;
	assert_int_equal(
	    decide(p, "kubectl", "/usr/bin/kubectl", NULL, 0, NOSEC, reason, sizeof(reason)), 0);
	assert_int_equal(decide(p, "curl", "/usr/bin/curl", NULL, 0, NOSEC, reason, sizeof(reason)),
	                 2);
	assert_non_null(strstr(reason, "default_action: deny"));
	sc_policy_free(p);
}

static void test_default_ask(void **state)
{
	struct sc_policy *p = parse_ok("version: 1\ndefault_action: ask\n"
	                               "allowed_commands:\n  - true\n  - git status\n"
	                               "denied_commands:\n  - rm\n"
	                               "rules:\n  - command: psql\n    secrets: [\"db/*\"]\n"
	                               "secret_commands:\n  \"stripe/*\": curl\n");
	char reason[512];

	(void)state;
	/* allowed: no question */
	assert_int_equal(decide(p, "true", "/usr/bin/true", NULL, 0, NOSEC, reason, sizeof(reason)),
	                 0);
	/* no entry names it: asked, and the reason says so */
	assert_int_equal(
	    decide(p, "make", "/usr/bin/make", ARGS("all"), 1, NOSEC, reason, sizeof(reason)), 1);
	assert_non_null(strstr(reason, "needs the user's approval (default_action: ask)"));
	/* named, other arguments: a run no rule covers, asked */
	assert_int_equal(
	    decide(p, "git", "/usr/bin/git", ARGS("push"), 1, NOSEC, reason, sizeof(reason)), 1);
	/* named, a secret the rule does not list: asked */
	assert_int_equal(decide(p, "psql", "/usr/bin/psql", NULL, 0, ARGS("api/token"), 1, reason,
	                        sizeof(reason)),
	                 1);
	/* never asked: built-in denials, denied_commands, look-alikes, bindings */
	assert_int_equal(
	    decide(p, "printenv", "/usr/bin/printenv", NULL, 0, NOSEC, reason, sizeof(reason)), 2);
	assert_int_equal(
	    decide(p, "bash", "/usr/bin/bash", ARGS("-c", "x"), 2, NOSEC, reason, sizeof(reason)),
	    2);
	assert_int_equal(
	    decide(p, "rm", "/usr/bin/rm", ARGS("-rf", "x"), 2, NOSEC, reason, sizeof(reason)), 2);
	assert_int_equal(
	    decide(p, "git", "/usr/bin/dash", ARGS("status"), 1, NOSEC, reason, sizeof(reason)), 2);
	assert_non_null(strstr(reason, "which is not 'git'"));
	assert_int_equal(decide(p, "make", "/usr/bin/make", NULL, 0, ARGS("stripe/live"), 1, reason,
	                        sizeof(reason)),
	                 2);
	assert_non_null(strstr(reason, "secret_commands"));
	sc_policy_free(p);

	/* default_action: deny asks nothing */
	p = parse_ok("version: 1\nallowed_commands:\n  - git status\n");
	assert_int_equal(
	    decide(p, "git", "/usr/bin/git", ARGS("push"), 1, NOSEC, reason, sizeof(reason)), 2);
	sc_policy_free(p);
}

static void test_rule_ask(void **state)
{
	struct sc_policy *p = parse_ok("version: 1\n"
	                               "rules:\n"
	                               "  - command: git\n"
	                               "    action: ask\n"
	                               "  - command: git\n"
	                               "    args: [status]\n");
	char reason[512];

	(void)state;
	/* the plain rule covers it: allowed */
	assert_int_equal(
	    decide(p, "git", "/usr/bin/git", ARGS("status"), 1, NOSEC, reason, sizeof(reason)), 0);
	/* only the ask rule does: asked, naming its line */
	assert_int_equal(
	    decide(p, "git", "/usr/bin/git", ARGS("push"), 1, NOSEC, reason, sizeof(reason)), 1);
	assert_non_null(strstr(reason, "action: ask, policy line 3"));
	/* default deny still holds for other commands */
	assert_int_equal(decide(p, "make", "/usr/bin/make", NULL, 0, NOSEC, reason, sizeof(reason)),
	                 2);
	sc_policy_free(p);
}

/* ---- the exact pin ---- */

static char *pin(const char *yaml, const char *resolved, const char *const *args, size_t nargs,
                 const char *const *sec, size_t nsec)
{
	char *out = NULL, err[256];
	size_t outlen = 0;
	int r = sc_policy_pin_text(yaml, strlen(yaml), resolved, args, nargs, sec, nsec, &out,
	                           &outlen, err, sizeof(err));

	if (r != SC_OK)
		fail_msg("pin failed: %s (%s)\n%s", sc_strerror(r), err, yaml);
	assert_int_equal(strlen(out), outlen);
	return out;
}

static void pin_refused(const char *yaml, const char *resolved, const char *const *args,
                        size_t nargs, const char *want)
{
	char *out = (char *)1, err[256];
	size_t outlen = 1;

	assert_int_equal(sc_policy_pin_text(yaml, strlen(yaml), resolved, args, nargs,
	                                    ARGS("api/token"), 1, &out, &outlen, err, sizeof(err)),
	                 SC_ERR_INVALID);
	assert_null(out);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
}

static const char ask_base[] = "version: 1\n"
                               "# the user's own comment\n"
                               "default_action: ask\n"
                               "allowed_commands:\n"
                               "  - true\n"
                               "denied_commands: [rm]\n";

static void test_pin_exact(void **state)
{
	static const char *const tricky[] = {
	    "a b", "it's",        "say \"hi\"", "*",           "?",
	    "[x]", "back\\slash", "",           "--opt=*.txt", "\xc3\xa9t\xc3\xa9"};
	const size_t nt = sizeof(tricky) / sizeof(tricky[0]);
	const char *other[sizeof(tricky) / sizeof(tricky[0])];
	struct sc_policy *p;
	char reason[512], *t;
	size_t i;

	(void)state;
	t = pin(ask_base, "/usr/bin/printf", tricky, nt, ARGS("api/token", "db/prod"), 2);
	/* the old text is kept byte for byte, the rule follows */
	assert_memory_equal(t, ask_base, strlen(ask_base));
	assert_non_null(strstr(t + strlen(ask_base), "rules:\n  - {command: \"/usr/bin/printf\""));
	assert_non_null(strstr(t, "# approved by the user through the MCP client, "));
	p = parse_ok(t);
	/* exactly this run is allowed now */
	assert_int_equal(decide(p, "printf", "/usr/bin/printf", tricky, nt,
	                        ARGS("api/token", "db/prod"), 2, reason, sizeof(reason)),
	                 0);
	/* one secret of the two is fewer, still within the pin */
	assert_int_equal(decide(p, "printf", "/usr/bin/printf", tricky, nt, ARGS("db/prod"), 1,
	                        reason, sizeof(reason)),
	                 0);
	/* another secret, another program, one argument more or less, or one
	 * changed: asked again, as before */
	assert_int_equal(decide(p, "printf", "/usr/bin/printf", tricky, nt, ARGS("db/other"), 1,
	                        reason, sizeof(reason)),
	                 1);
	assert_int_equal(
	    decide(p, "echo", "/usr/bin/echo", tricky, nt, NOSEC, reason, sizeof(reason)), 1);
	assert_int_equal(
	    decide(p, "printf", "/usr/bin/printf", tricky, nt - 1, NOSEC, reason, sizeof(reason)),
	    1);
	for (i = 0; i < nt; i++) {
		memcpy(other, tricky, sizeof(other));
		other[i] = i == 3 ? "anything" : i == 4 ? "z" : i == 5 ? "x" : "changed";
		if (decide(p, "printf", "/usr/bin/printf", other, nt, NOSEC, reason,
		           sizeof(reason)) != 1)
			fail_msg("argument %zu changed still matches the pin", i);
	}
	{
		const char *more[sizeof(tricky) / sizeof(tricky[0]) + 1];

		memcpy(more, tricky, sizeof(tricky));
		more[nt] = "extra";
		assert_int_equal(decide(p, "printf", "/usr/bin/printf", more, nt + 1, NOSEC, reason,
		                        sizeof(reason)),
		                 1);
	}
	/* the file's other entries are still there */
	assert_int_equal(decide(p, "true", "/usr/bin/true", NULL, 0, NOSEC, reason, sizeof(reason)),
	                 0);
	assert_int_equal(decide(p, "rm", "/usr/bin/rm", NULL, 0, NOSEC, reason, sizeof(reason)), 2);
	sc_policy_free(p);
	free(t);

	/* no arguments pins no arguments */
	t = pin(ask_base, "/usr/bin/true2", NULL, 0, ARGS("api/token"), 1);
	p = parse_ok(t);
	assert_int_equal(decide(p, "true2", "/usr/bin/true2", NULL, 0, ARGS("api/token"), 1, reason,
	                        sizeof(reason)),
	                 0);
	assert_int_equal(decide(p, "true2", "/usr/bin/true2", ARGS(""), 1, ARGS("api/token"), 1,
	                        reason, sizeof(reason)),
	                 1);
	sc_policy_free(p);
	free(t);
}

static void test_pin_places(void **state)
{
	static const char block[] = "version: 1\ndefault_action: ask\nrules:\n"
	                            "    - command: git\n      args: [status]\n"
	                            "limits:\n  max_concurrent: 2\n";
	static const char indentless[] = "version: 1\nrules:\n- command: git\n  action: ask\n";
	static const char flow_empty[] = "version: 1\ndefault_action: ask\nrules: []\n";
	static const char flow[] = "version: 1\ndefault_action: ask\n"
	                           "rules: [{command: git, args: [status]}]  # mine\n";
	static const char noeol[] = "version: 1\ndefault_action: ask";
	const char *const texts[] = {block, indentless, flow_empty, flow, noeol};
	struct sc_policy_limits lim;
	char reason[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *t = pin(texts[i], "/usr/bin/make", ARGS("all"), 1, ARGS("api/token"), 1);
		struct sc_policy *p = parse_ok(t);

		assert_int_equal(decide(p, "make", "/usr/bin/make", ARGS("all"), 1,
		                        ARGS("api/token"), 1, reason, sizeof(reason)),
		                 0);
		assert_int_equal(decide(p, "make", "/usr/bin/make", ARGS("clean"), 1, NOSEC, reason,
		                        sizeof(reason)),
		                 texts[i] == indentless ? 2 : 1);
		if (texts[i] == block || texts[i] == flow)
			assert_int_equal(decide(p, "git", "/usr/bin/git", ARGS("status"), 1, NOSEC,
			                        reason, sizeof(reason)),
			                 0);
		if (texts[i] == block) {
			sc_policy_limits(p, &lim);
			assert_int_equal(lim.max_concurrent, 2);
			assert_non_null(strstr(t, "rules:\n    - {command: \"/usr/bin/make\""));
		}
		if (texts[i] == flow)
			assert_non_null(
			    strstr(t, "\"]}, {command: git, args: [status]}]  # mine\n"));
		sc_policy_free(p);
		free(t);
	}
}

static void test_pin_refused(void **state)
{
	static const char *const many[65] = {
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
	    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a"};

	(void)state;
	pin_refused(ask_base, "/usr/bin/printf", ARGS("a\nb"), 1, "control characters");
	pin_refused(ask_base, "/usr/bin/printf", many, 65, "too many arguments");
	pin_refused("version: 1\ndefault_action: ask\nrules:\n", "/usr/bin/x", NULL, 0,
	            "not a list a rule can be added to");
	pin_refused("{version: 1, default_action: ask}\n", "/usr/bin/x", NULL, 0,
	            "not in block style");
	pin_refused("version: 1\nvrsion: 2\n", "/usr/bin/x", NULL, 0, "does not parse");
	/* a command path the schema refuses (a glob character) is not written */
	pin_refused(ask_base, "/usr/bin/a*b", NULL, 0, "would not read back");
	/* denied_commands would still refuse it: nothing to add */
	pin_refused(ask_base, "/usr/bin/rm", NULL, 0, "would still refuse");
}

/* ---- the file ---- */

static char tmpdir[512];

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_pin_file(void **state)
{
	char path[600], link[600], err[512], reason[512];
	struct sc_policy *p = NULL;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, SC_POLICY_FILE);
	write_file(path, ask_base, 0600);
	assert_int_equal(sc_policy_pin_add(path, "/usr/bin/printf", ARGS("%s", "x y"), 2,
	                                   ARGS("api/token"), 1, err, sizeof(err)),
	                 SC_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(entries(tmpdir), 1); /* no temporary file left */
	assert_int_equal(sc_policy_load(path, &p, err, sizeof(err)), SC_OK);
	assert_int_equal(decide(p, "printf", "/usr/bin/printf", ARGS("%s", "x y"), 2,
	                        ARGS("api/token"), 1, reason, sizeof(reason)),
	                 0);
	assert_int_equal(decide(p, "true", "/usr/bin/true", NULL, 0, NOSEC, reason, sizeof(reason)),
	                 0);
	sc_policy_free(p);
	/* a second pin goes into the rules the first one made */
	assert_int_equal(
	    sc_policy_pin_add(path, "/usr/bin/printf", ARGS("b"), 1, NOSEC, err, sizeof(err)),
	    SC_OK);
	assert_int_equal(sc_policy_load(path, &p, err, sizeof(err)), SC_OK);
	assert_int_equal(decide(p, "printf", "/usr/bin/printf", ARGS("%s", "x y"), 2,
	                        ARGS("api/token"), 1, reason, sizeof(reason)),
	                 0);
	assert_int_equal(
	    decide(p, "printf", "/usr/bin/printf", ARGS("b"), 1, NOSEC, reason, sizeof(reason)), 0);
	sc_policy_free(p);

	/* the file's checks hold: loose mode, a symlink; nothing is written */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(
	    sc_policy_pin_add(path, "/usr/bin/printf", NULL, 0, NOSEC, err, sizeof(err)),
	    SC_ERR_PERM);
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(link, sizeof(link), "%s/link.yaml", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(
	    sc_policy_pin_add(link, "/usr/bin/printf", NULL, 0, NOSEC, err, sizeof(err)),
	    SC_ERR_PERM);
	assert_int_equal(unlink(link), 0);
	/* a refused pin leaves the file as it was */
	{
		char before[4096], after[4096];
		int fd = open(path, O_RDONLY);
		ssize_t n1 = read(fd, before, sizeof(before));

		close(fd);
		assert_int_equal(
		    sc_policy_pin_add(path, "/usr/bin/rm", NULL, 0, NOSEC, err, sizeof(err)),
		    SC_ERR_INVALID);
		fd = open(path, O_RDONLY);
		assert_int_equal(read(fd, after, sizeof(after)), n1);
		close(fd);
		assert_memory_equal(before, after, (size_t)n1);
		assert_int_equal(entries(tmpdir), 1);
	}
}

static int setup_dir(void **state)
{
	const char *tmp = getenv("SC_TEST_TMP");

	(void)state;
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	mkdir(tmp, 0700);
	snprintf(tmpdir, sizeof(tmpdir), "%s/policy_ask.XXXXXX", tmp);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_go_shape_never_asks),
	    cmocka_unit_test(test_default_ask),
	    cmocka_unit_test(test_rule_ask),
	    cmocka_unit_test(test_pin_exact),
	    cmocka_unit_test(test_pin_places),
	    cmocka_unit_test(test_pin_refused),
	    cmocka_unit_test_setup_teardown(test_pin_file, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
