/* test_policy_capability.c - programs that run code they are given receive
 * a secret only through a rule pinning their exact argv, with the scripts
 * they run (and optionally themselves) pinned by SHA-256; everything else
 * keeps the Go secretctl's meaning (issue 11 item 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secretctl/policy.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__})
#define NARGS(...) (sizeof(ARGS(__VA_ARGS__)) / sizeof(const char *))

static const char *const secrets[] = {"app/token"};

static struct sc_policy *parse_ok(const char *y)
{
	struct sc_policy *p = NULL;
	char err[512] = "";

	if (sc_policy_parse(y, strlen(y), &p, err, sizeof(err)) != SC_OK)
		fail_msg("did not parse: %s\n%s", err, y);
	return p;
}

static void parse_bad(const char *y, const char *want)
{
	struct sc_policy *p = NULL;
	char err[512] = "";

	assert_int_equal(sc_policy_parse(y, strlen(y), &p, err, sizeof(err)), SC_ERR_INVALID);
	assert_null(p);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
}

/* With the one secret, or none. */
static int check(const struct sc_policy *p, const char *cmd, const char *real,
                 const char *const *args, size_t nargs, int with_secret, char *why, size_t n)
{
	return sc_policy_check_run(p, cmd, real, args, nargs, with_secret ? secrets : NULL,
	                           with_secret ? 1 : 0, why, n);
}

static void test_table(void **state)
{
	(void)state;
	assert_true(sc_policy_runs_code("sh"));
	assert_true(sc_policy_runs_code("python3.11"));
	assert_true(sc_policy_runs_code("node"));
	assert_true(sc_policy_runs_code("git"));
	assert_true(sc_policy_runs_code("make"));
	assert_true(sc_policy_runs_code("npm"));
	assert_true(sc_policy_runs_code("awk"));
	assert_true(sc_policy_runs_code("jq"));
	assert_true(sc_policy_runs_code("find"));
	assert_true(sc_policy_runs_code("xargs"));
	assert_true(sc_policy_runs_code("busybox"));
	assert_false(sc_policy_runs_code("aws"));
	assert_false(sc_policy_runs_code("psql"));
	assert_false(sc_policy_runs_code("cat"));
	assert_false(sc_policy_runs_code("curl"));
	assert_false(sc_policy_runs_code(""));
	assert_false(sc_policy_runs_code(NULL));
}

/* The Go shape: a plain allowlist. Programs outside the table keep the
 * meaning they had (bound to every secret); those in it run without. */
static void test_go_shape(void **state)
{
	struct sc_policy *p = parse_ok("version: 1\ndefault_action: deny\n"
	                               "allowed_commands:\n  - aws\n  - python3\n  - git\n");
	char why[512];

	(void)state;
	assert_int_equal(check(p, "aws", "/usr/bin/aws", ARGS("s3", "ls"), 2, 1, why, sizeof(why)),
	                 SC_OK);
	assert_int_equal(
	    check(p, "python3", "/usr/bin/python3.11", ARGS("x.py"), 1, 0, why, sizeof(why)),
	    SC_OK);
	assert_int_equal(
	    check(p, "python3", "/usr/bin/python3.11", ARGS("x.py"), 1, 1, why, sizeof(why)),
	    SC_ERR_DENIED);
	assert_non_null(strstr(why, "'python3' runs code it is given"));
	assert_non_null(strstr(why, "pins its exact arguments"));
	assert_int_equal(check(p, "git", "/usr/bin/git", ARGS("status"), 1, 1, why, sizeof(why)),
	                 SC_ERR_DENIED);
	sc_policy_free(p);
}

/* default_action: allow never hands a secret to a program that runs code;
 * the resolved name counts, not only the name given. */
static void test_default_allow(void **state)
{
	struct sc_policy *p = parse_ok("version: 1\ndefault_action: allow\n");
	char why[512];

	(void)state;
	assert_int_equal(check(p, "jq", "/usr/bin/jq", ARGS("-n", "1"), 2, 1, why, sizeof(why)),
	                 SC_ERR_DENIED);
	assert_int_equal(check(p, "jq", "/usr/bin/jq", ARGS("-n", "1"), 2, 0, why, sizeof(why)),
	                 SC_OK);
	assert_int_equal(check(p, "tool", "/usr/bin/gawk", ARGS("1"), 1, 1, why, sizeof(why)),
	                 SC_ERR_DENIED);
	assert_int_equal(
	    check(p, "psql", "/usr/bin/psql", ARGS("-c", "select 1"), 2, 1, why, sizeof(why)),
	    SC_OK);
	sc_policy_free(p);
}

/* Only an exact pattern pins: a wildcard or a trailing "*" does not. */
static void test_exact_pin(void **state)
{
	struct sc_policy *p =
	    parse_ok("version: 1\ndefault_action: deny\nrules:\n"
	             "  - command: git\n"
	             "    args: [\"push origin main\", \"fetch *\", \"log -n?\"]\n"
	             "    secrets: [\"app/*\"]\n");
	char why[512];

	(void)state;
	assert_int_equal(
	    check(p, "git", "/usr/bin/git", ARGS("push", "origin", "main"), 3, 1, why, sizeof(why)),
	    SC_OK);
	assert_int_equal(
	    check(p, "git", "/usr/bin/git", ARGS("fetch", "origin"), 2, 1, why, sizeof(why)),
	    SC_ERR_DENIED);
	assert_int_equal(
	    check(p, "git", "/usr/bin/git", ARGS("fetch", "origin"), 2, 0, why, sizeof(why)),
	    SC_OK);
	assert_int_equal(
	    check(p, "git", "/usr/bin/git", ARGS("log", "-n1"), 2, 1, why, sizeof(why)),
	    SC_ERR_DENIED);
	/* an option that runs code is no part of the pin */
	assert_int_equal(check(p, "git", "/usr/bin/git",
	                       ARGS("-c", "alias.x=!rev", "push", "origin", "main"), 5, 1, why,
	                       sizeof(why)),
	                 SC_ERR_DENIED);
	sc_policy_free(p);
}

static char dir[] = "/tmp/sc-cap-XXXXXX";

static void write_file(const char *path, const char *text, char hex[65])
{
	uint8_t h[32];
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(hex, 65, h, 32);
}

/* A script given by its absolute path must be pinned by its hash; a change
 * to it after the pin denies the run. */
static void test_files(void **state)
{
	char script[256], other[256], hex[65], hex2[65], yaml[2048], why[512];
	struct sc_policy *p;

	(void)state;
	snprintf(script, sizeof(script), "%s/deploy.sh", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	write_file(script, "echo deploy\n", hex);
	write_file(other, "x\n", hex2);
	/* argv pinned, the script it names not */
	snprintf(
	    yaml, sizeof(yaml),
	    "version: 1\nrules:\n  - command: sh\n    args: [\"%s\"]\n    secrets: [app/token]\n",
	    script);
	p = parse_ok(yaml);
	assert_int_equal(check(p, "sh", "/usr/bin/dash", ARGS(script), 1, 1, why, sizeof(why)),
	                 SC_ERR_DENIED);
	assert_non_null(strstr(why, "does not pin it"));
	sc_policy_free(p);
	/* pinned */
	snprintf(
	    yaml, sizeof(yaml),
	    "version: 1\nrules:\n  - command: sh\n    args: [\"%s\"]\n    secrets: [app/token]\n"
	    "    files: {\"%s\": \"%s\", \"%s\": \"%s\"}\n",
	    script, script, hex, other, hex2);
	p = parse_ok(yaml);
	assert_int_equal(check(p, "sh", "/usr/bin/dash", ARGS(script), 1, 1, why, sizeof(why)),
	                 SC_OK);
	/* changed afterwards: refused, and so is a change to any pinned file */
	write_file(script, "echo \"$APP_TOKEN\" | rev\n", hex);
	assert_int_equal(check(p, "sh", "/usr/bin/dash", ARGS(script), 1, 1, why, sizeof(why)),
	                 SC_ERR_DENIED);
	assert_non_null(strstr(why, "is not the one the rule on policy line"));
	write_file(script, "echo deploy\n", hex);
	assert_int_equal(check(p, "sh", "/usr/bin/dash", ARGS(script), 1, 1, why, sizeof(why)),
	                 SC_OK);
	unlink(other);
	assert_int_equal(check(p, "sh", "/usr/bin/dash", ARGS(script), 1, 1, why, sizeof(why)),
	                 SC_ERR_DENIED);
	sc_policy_free(p);
	unlink(script);
}

/* sha256: pins the program itself, by its resolved path. */
static void test_program_pin(void **state)
{
	char prog[256], hex[65], yaml[1024], why[512];
	struct sc_policy *p;

	(void)state;
	snprintf(prog, sizeof(prog), "%s/tool", dir);
	write_file(prog, "#!/bin/sh\necho tool\n", hex);
	snprintf(yaml, sizeof(yaml), "version: 1\nrules:\n  - command: %s\n    sha256: %s\n", prog,
	         hex);
	p = parse_ok(yaml);
	assert_int_equal(check(p, prog, prog, ARGS("x"), 1, 1, why, sizeof(why)), SC_OK);
	write_file(prog, "#!/bin/sh\necho other\n", hex);
	assert_int_equal(check(p, prog, prog, ARGS("x"), 1, 1, why, sizeof(why)), SC_ERR_DENIED);
	assert_non_null(strstr(why, "is not the one the rule on policy line 3 pins by sha256"));
	/* pins hold with no secret too: the rule names that program only */
	assert_int_equal(check(p, prog, prog, ARGS("x"), 1, 0, why, sizeof(why)), SC_ERR_DENIED);
	sc_policy_free(p);
	unlink(prog);
}

static void test_bad_pins(void **state)
{
	(void)state;
	parse_bad("version: 1\nrules:\n  - command: sh\n    sha256: abc\n", "64 hex digits");
	parse_bad("version: 1\nrules:\n  - command: sh\n    sha256: [a]\n", "64 hex digits");
	parse_bad("version: 1\nrules:\n  - command: sh\n    sha256: "
	          "zz00000000000000000000000000000000000000000000000000000000000000\n",
	          "64 hex digits");
	parse_bad("version: 1\nrules:\n  - command: sh\n    files: [a]\n", "map of absolute paths");
	parse_bad("version: 1\nrules:\n  - command: sh\n    files: {rel/x: "
	          "0000000000000000000000000000000000000000000000000000000000000000}\n",
	          "absolute path");
	parse_bad("version: 1\nrules:\n  - command: sh\n    files: {/x: 00}\n", "the pin of '/x'");
	parse_bad("version: 1\nrules:\n  - command: sh\n    pin: x\n", "unknown key 'pin'");
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL || sodium_init() < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),         cmocka_unit_test(test_go_shape),
	    cmocka_unit_test(test_default_allow), cmocka_unit_test(test_exact_pin),
	    cmocka_unit_test(test_files),         cmocka_unit_test(test_program_pin),
	    cmocka_unit_test(test_bad_pins),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
