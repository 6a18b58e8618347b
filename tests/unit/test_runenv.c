/* test_runenv.c - the run environment: glob matching, variable naming and
 * the refused names, then against a real vault: pattern selection,
 * bindings, prefixes, expiry, clashes, base environments, the sanitizer,
 * and one run end to end. */
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

#include "secretctl/exec.h"

#define S(x) ((char *)(x))
#define PW "correct horse battery"

static void test_glob(void **state)
{
	static const struct {
		const char *pat, *name;
		int want;
	} cases[] = {
	    {"aws/key", "aws/key", 1},
	    {"aws/key", "aws/key2", 0},
	    {"aws/*", "aws/key", 1},
	    {"aws/*", "aws/a/b", 0},
	    {"aws/*", "aws", 0},
	    {"aws/**", "aws/key", 1},
	    {"aws/**", "aws/a/b", 1},
	    {"aws/**", "aws", 0},
	    {"aws/**", "awsx/a", 0},
	    {"**", "a/b/c", 1},
	    {"*", "a/b", 0},
	    {"*", "abc", 1},
	    {"**/key", "key", 1},
	    {"**/key", "a/b/key", 1},
	    {"**/key", "a/bkey", 0},
	    {"a/**/b", "a/b", 1},
	    {"a/**/b", "a/x/y/b", 1},
	    {"a/**/b", "a/xb", 0},
	    {"a?c", "abc", 1},
	    {"a?c", "a/c", 0},
	    {"a?c", "ac", 0},
	    {"*-prod", "db-prod", 1},
	    {"*-prod", "db-prod2", 0},
	    {"*/*", "a/b", 1},
	    {"*/*", "a/b/c", 0},
	    {"**b**", "a/b/c", 1},
	    {"*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sc_glob_match(cases[i].pat, cases[i].name) != cases[i].want)
			fail_msg("glob '%s' vs '%s': want %d", cases[i].pat, cases[i].name,
			         cases[i].want);
	}
	assert_true(sc_glob_is_pattern("a/*"));
	assert_true(sc_glob_is_pattern("a?"));
	assert_false(sc_glob_is_pattern("a/b"));
	assert_int_equal(sc_glob_valid("aws/**"), SC_OK);
	assert_int_equal(sc_glob_valid("a?b-c.d_e"), SC_OK);
	assert_int_equal(sc_glob_valid("a/***"), SC_ERR_NAME);
	assert_int_equal(sc_glob_valid(""), SC_ERR_NAME);
	assert_int_equal(sc_glob_valid("/a"), SC_ERR_NAME);
	assert_int_equal(sc_glob_valid("a//b"), SC_ERR_NAME);
	assert_int_equal(sc_glob_valid("a/../b"), SC_ERR_NAME);
	assert_int_equal(sc_glob_valid("a b"), SC_ERR_NAME);
	assert_int_equal(sc_glob_valid("a[b]"), SC_ERR_NAME);
}

static void test_var_names(void **state)
{
	char buf[SC_ENV_NAME_MAX + 1];
	char longname[SC_NAME_MAX + 1];

	(void)state;
	assert_int_equal(sc_runenv_var_name(NULL, "aws/access-key.id", "value", buf, sizeof(buf)),
	                 SC_OK);
	assert_string_equal(buf, "AWS_ACCESS_KEY_ID");
	assert_int_equal(sc_runenv_var_name("APP_", "db", "pass-word.x", buf, sizeof(buf)), SC_OK);
	assert_string_equal(buf, "APP_DB_PASS_WORD_X");
	assert_int_equal(sc_runenv_var_name("", "Db", NULL, buf, sizeof(buf)), SC_OK);
	assert_string_equal(buf, "DB");
	/* a variable may not start with a digit */
	assert_int_equal(sc_runenv_var_name(NULL, "1password", "value", buf, sizeof(buf)),
	                 SC_ERR_NAME);
	assert_int_equal(sc_runenv_var_name("X_", "1password", "value", buf, sizeof(buf)), SC_OK);
	assert_string_equal(buf, "X_1PASSWORD");
	/* over SC_ENV_NAME_MAX */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(sc_runenv_var_name(NULL, longname, "value", buf, sizeof(buf)),
	                 SC_ERR_NAME);
}

static void test_var_allowed(void **state)
{
	static const char *const denied[] = {
	    "LD_PRELOAD",
	    "LD_LIBRARY_PATH",
	    "LD_AUDIT",
	    "ld_preload",
	    "BASH_ENV",
	    "ENV",
	    "BASH_FUNC_foo",
	    "SHELLOPTS",
	    "BASHOPTS",
	    "PS4",
	    "PROMPT_COMMAND",
	    "IFS",
	    "CDPATH",
	    "GLOBIGNORE",
	    "PATH",
	    "HOME",
	    "PYTHONSTARTUP",
	    "PYTHONPATH",
	    "PYTHONHOME",
	    "NODE_OPTIONS",
	    "NODE_PATH",
	    "PERL5OPT",
	    "PERL5LIB",
	    "PERLLIB",
	    "RUBYOPT",
	    "RUBYLIB",
	    "JAVA_TOOL_OPTIONS",
	    "_JAVA_OPTIONS",
	    "GIT_SSH_COMMAND",
	    "GIT_CONFIG_COUNT",
	    "GIT_CONFIG_KEY_0",
	    "GCONV_PATH",
	    "MALLOC_CHECK_",
	    "GLIBC_TUNABLES",
	    "TMPDIR",
	    "SECRETCTL_PASSWORD",
	    "DYLD_INSERT_LIBRARIES",
	    "EDITOR",
	    "PAGER",
	    "ZDOTDIR",
	    NULL,
	};
	static const char *const allowed[] = {
	    "AWS_ACCESS_KEY_ID", "DATABASE_URL",   "GITHUB_TOKEN", "LDAP_PASSWORD",
	    "PATHNAME",          "HOMEPAGE_TOKEN", "TZ",           "LANG",
	    "API_KEY",           "ENVIRONMENT",    NULL,
	};
	size_t i;

	(void)state;
	for (i = 0; denied[i] != NULL; i++)
		if (sc_runenv_var_allowed(denied[i]) != SC_ERR_DENIED)
			fail_msg("'%s' should be refused", denied[i]);
	for (i = 0; allowed[i] != NULL; i++)
		if (sc_runenv_var_allowed(allowed[i]) != SC_OK)
			fail_msg("'%s' should be allowed", allowed[i]);
}

/* ---- against a vault ------------------------------------------------------ */

struct fx {
	char dir[512];
	struct sc_vault *v;
};

static void put(struct sc_vault *v, const char *name, const char *const *fields, int64_t expires,
                const char *const *bindings)
{
	struct sc_secret *s = NULL;
	size_t i;

	assert_int_equal(sc_secret_new(&s, name), SC_OK);
	/* fields: name, value, "s" (sensitive) or "p" (plain), ... */
	for (i = 0; fields[i] != NULL; i += 3)
		assert_int_equal(sc_secret_add_field(s, fields[i], fields[i + 1],
		                                     strlen(fields[i + 1]),
		                                     fields[i + 2][0] == 's'),
		                 SC_OK);
	for (i = 0; bindings != NULL && bindings[i] != NULL; i += 2)
		assert_int_equal(sc_secret_add_binding(s, bindings[i], bindings[i + 1]), SC_OK);
	sc_secret_set_expires(s, expires);
	assert_int_equal(sc_vault_put(v, s), SC_OK);
	sc_secret_free(s);
}

static void put_value(struct sc_vault *v, const char *name, const char *value)
{
	const char *const f[] = {"value", value, "s", NULL};

	put(v, name, f, 0, NULL);
}

static int setup(void **state)
{
	static const struct sc_kdf_params kp = {8192, 1};
	const char *tmp = getenv("SC_TEST_TMP");
	struct fx *f = calloc(1, sizeof(*f));
	const char *const secret2[] = {
	    "value", "wJalrXUtnFEMI/K7MDENG", "s", "region", "eu-west-1", "p", NULL};
	const char *const db[] = {"user", "admin-user", "p",           "password", "p4ssw0rd-long",
	                          "s",    "host",       "db.internal", "p",        NULL};
	const char *const db_bind[] = {"DATABASE_USER", "user", "DATABASE_PASSWORD", "password",
	                               NULL};
	const char *const bad_bind[] = {"BAD_VAR", "nosuchfield", NULL};
	const char *const old[] = {"value", "expired-value-1", "s", NULL};

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	mkdir(tmp, 0700);
	snprintf(f->dir, sizeof(f->dir), "%s/runenv.XXXXXX", tmp);
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(sc_vault_create(f->dir, PW, strlen(PW), &kp), SC_OK);
	assert_int_equal(sc_vault_open(f->dir, &f->v), SC_OK);
	assert_int_equal(sc_vault_unlock(f->v, PW, strlen(PW)), SC_OK);

	put_value(f->v, "aws/key", "AKIAEXAMPLEKEY123");
	put(f->v, "aws/secret", secret2, 0, NULL);
	put_value(f->v, "aws/a/b", "deepvalue-xyz");
	put(f->v, "db", db, 0, db_bind);
	put_value(f->v, "github.token-x", "ghp_exampletoken");
	put_value(f->v, "short", "abc");
	put(f->v, "old", old, 1000, NULL);
	put_value(f->v, "ld/preload", "/tmp/evil.so");
	put_value(f->v, "path", "/tmp/evil");
	put_value(f->v, "a-b", "clash-one");
	put_value(f->v, "a.b", "clash-two");
	put(f->v, "badbind", old, 0, bad_bind);
	{
		struct sc_secret *s = NULL;

		assert_int_equal(sc_secret_new(&s, "nul"), SC_OK);
		assert_int_equal(sc_secret_add_field(s, "value", "ab\0cdefgh", 9, 1), SC_OK);
		assert_int_equal(sc_vault_put(f->v, s), SC_OK);
		sc_secret_free(s);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[600];

	sc_vault_close(f->v);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static size_t env_count(char *const *envp)
{
	size_t n = 0;

	while (envp[n] != NULL)
		n++;
	return n;
}

static int build(struct fx *f, const char *const *pats, size_t n, const char *prefix, int clean,
                 char *const *base, struct sc_runenv **re, char **detail)
{
	struct sc_runenv_opts o;

	memset(&o, 0, sizeof(o));
	o.patterns = pats;
	o.npatterns = n;
	o.prefix = prefix;
	o.clean_env = clean;
	o.base_env = base;
	return sc_runenv_build(f->v, &o, re, detail);
}

static char *const no_env[] = {NULL};

struct acc {
	char buf[1024];
	size_t len;
};

static int acc_sink(void *arg, const uint8_t *b, size_t n)
{
	struct acc *a = arg;

	assert_true(a->len + n < sizeof(a->buf));
	memcpy(a->buf + a->len, b, n);
	a->len += n;
	a->buf[a->len] = '\0';
	return 0;
}

/* Run a string through the run's sanitizer. */
static void sanitize_str(const struct sc_sanitizer *z, const char *in, struct acc *a)
{
	struct sc_sanitize_stream *st = NULL;

	a->len = 0;
	a->buf[0] = '\0';
	assert_int_equal(sc_sanitize_stream_new(z, &st), SC_OK);
	assert_int_equal(sc_sanitize_feed(st, (const uint8_t *)in, strlen(in), acc_sink, a), SC_OK);
	assert_int_equal(sc_sanitize_finish(st, acc_sink, a), SC_OK);
	sc_sanitize_stream_free(st);
}

static void test_glob_selection(void **state)
{
	struct fx *f = *state;
	const char *const pats[] = {"aws/*"};
	const char *const pats2[] = {"aws/**", "aws/key"};
	struct sc_runenv *re = NULL;
	char *detail = NULL;
	char *const *envp;
	struct acc acc;

	assert_int_equal(build(f, pats, 1, NULL, 1, no_env, &re, &detail), SC_OK);
	assert_null(detail);
	envp = sc_runenv_envp(re);
	assert_string_equal(env_get(envp, "AWS_KEY"), "AKIAEXAMPLEKEY123");
	assert_string_equal(env_get(envp, "AWS_SECRET"), "wJalrXUtnFEMI/K7MDENG");
	assert_string_equal(env_get(envp, "AWS_SECRET_REGION"), "eu-west-1");
	assert_null(env_get(envp, "AWS_A_B"));
	assert_int_equal(env_count(envp), 3);
	assert_int_equal(sc_runenv_secret_count(re), 2);
	assert_string_equal(sc_runenv_secret(re, 0), "aws/key");
	assert_string_equal(sc_runenv_secret(re, 1), "aws/secret");
	assert_int_equal(sc_runenv_var_count(re), 3);
	assert_string_equal(sc_runenv_var(re, 0), "AWS_KEY");
	assert_null(sc_runenv_var(re, 3));
	assert_int_equal(sc_runenv_short_count(re), 0);
	assert_non_null(sc_runenv_sanitizer(re));
	/* the sensitive values only: key and secret, not the region */
	sanitize_str(sc_runenv_sanitizer(re),
	             "a AKIAEXAMPLEKEY123 b wJalrXUtnFEMI/K7MDENG c eu-west-1", &acc);
	assert_string_equal(acc.buf, "a [REDACTED:AWS_KEY] b [REDACTED:AWS_SECRET] c eu-west-1");
	sc_runenv_free(re);

	/* "**" crosses segments; a secret named twice is injected once */
	assert_int_equal(build(f, pats2, 2, NULL, 1, no_env, &re, &detail), SC_OK);
	envp = sc_runenv_envp(re);
	assert_string_equal(env_get(envp, "AWS_A_B"), "deepvalue-xyz");
	assert_int_equal(env_count(envp), 4);
	assert_int_equal(sc_runenv_secret_count(re), 3);
	sc_runenv_free(re);
}

static void test_bindings_and_prefix(void **state)
{
	struct fx *f = *state;
	const char *const pats[] = {"db", "github.token-x"};
	struct sc_runenv *re = NULL;
	char *detail = NULL;
	char *const *envp;

	assert_int_equal(build(f, pats, 2, "APP_", 1, no_env, &re, &detail), SC_OK);
	envp = sc_runenv_envp(re);
	/* bindings: exactly these, verbatim (no prefix), nothing derived */
	assert_string_equal(env_get(envp, "DATABASE_USER"), "admin-user");
	assert_string_equal(env_get(envp, "DATABASE_PASSWORD"), "p4ssw0rd-long");
	assert_null(env_get(envp, "APP_DB_HOST"));
	assert_null(env_get(envp, "APP_DB_USER"));
	assert_string_equal(env_get(envp, "APP_GITHUB_TOKEN_X"), "ghp_exampletoken");
	assert_int_equal(env_count(envp), 3);
	sc_runenv_free(re);
	assert_int_equal(build(f, pats, 2, "bad prefix", 1, no_env, &re, &detail), SC_ERR_NAME);
	assert_null(re);
	free(detail);
}

static void expect_fail(struct fx *f, const char *pat, int want, const char *want_detail)
{
	const char *const pats[] = {"aws/key", pat};
	struct sc_runenv *re = NULL;
	char *detail = NULL;

	assert_int_equal(build(f, pats, 2, NULL, 1, no_env, &re, &detail), want);
	assert_null(re);
	assert_non_null(detail);
	assert_string_equal(detail, want_detail);
	free(detail);
}

static void test_failures(void **state)
{
	struct fx *f = *state;
	const char *const clash[] = {"a-b", "a.b"};
	struct sc_runenv *re = NULL;
	char *detail = NULL;

	expect_fail(f, "nope/*", SC_ERR_NOT_FOUND, "nope/*");
	expect_fail(f, "nope", SC_ERR_NOT_FOUND, "nope");
	expect_fail(f, "old", SC_ERR_EXPIRED, "old");
	expect_fail(f, "ld/*", SC_ERR_DENIED, "LD_PRELOAD");
	expect_fail(f, "path", SC_ERR_DENIED, "PATH");
	expect_fail(f, "badbind", SC_ERR_NOT_FOUND, "BAD_VAR");
	expect_fail(f, "nul", SC_ERR_INVALID, "NUL");
	expect_fail(f, "a/***", SC_ERR_NAME, "a/***");
	assert_int_equal(build(f, clash, 2, NULL, 1, no_env, &re, &detail), SC_ERR_EXISTS);
	assert_string_equal(detail, "A_B");
	free(detail);
	/* the same secret, literally and by a glob, is no clash */
	{
		const char *const twice[] = {"a-b", "a-*"};

		assert_int_equal(build(f, twice, 2, NULL, 1, no_env, &re, &detail), SC_OK);
		assert_int_equal(sc_runenv_var_count(re), 1);
		sc_runenv_free(re);
	}
}

static void test_base_env(void **state)
{
	struct fx *f = *state;
	const char *const pats[] = {"aws/key", "short"};
	char *const base[] = {S("PATH=/usr/bin:/bin"),    S("HOME=/home/u"), S("FOO=1"),
	                      S("SECRETCTL_PASSWORD=pw"), S("LANG=C.UTF-8"), S("AWS_KEY=old"),
	                      S("PATH=/second"),          S("junk"),         NULL};
	struct sc_runenv *re = NULL;
	char *detail = NULL;
	char *const *envp;

	assert_int_equal(build(f, pats, 2, NULL, 1, base, &re, &detail), SC_OK);
	envp = sc_runenv_envp(re);
	assert_string_equal(env_get(envp, "PATH"), "/usr/bin:/bin");
	assert_string_equal(env_get(envp, "HOME"), "/home/u");
	assert_string_equal(env_get(envp, "LANG"), "C.UTF-8");
	assert_null(env_get(envp, "FOO"));
	assert_null(env_get(envp, "SECRETCTL_PASSWORD"));
	assert_string_equal(env_get(envp, "AWS_KEY"), "AKIAEXAMPLEKEY123");
	assert_string_equal(env_get(envp, "SHORT"), "abc");
	assert_int_equal(env_count(envp), 5);
	/* too short to redact: reported */
	assert_int_equal(sc_runenv_short_count(re), 1);
	assert_string_equal(sc_runenv_short(re, 0), "SHORT");
	sc_runenv_free(re);

	assert_int_equal(build(f, pats, 2, NULL, 0, base, &re, &detail), SC_OK);
	envp = sc_runenv_envp(re);
	assert_string_equal(env_get(envp, "FOO"), "1");
	assert_null(env_get(envp, "SECRETCTL_PASSWORD"));
	assert_string_equal(env_get(envp, "AWS_KEY"), "AKIAEXAMPLEKEY123");
	assert_int_equal(env_count(envp), 6);
	sc_runenv_free(re);

	{
		struct sc_runenv_opts o;

		memset(&o, 0, sizeof(o));
		o.patterns = pats;
		o.npatterns = 2;
		o.base_env = base;
		o.no_sanitize = 1;
		assert_int_equal(sc_runenv_build(f->v, &o, &re, &detail), SC_OK);
		assert_null(sc_runenv_sanitizer(re));
		assert_int_equal(sc_runenv_short_count(re), 0);
		sc_runenv_free(re);
	}
}

static void test_end_to_end(void **state)
{
	struct fx *f = *state;
	const char *const pats[] = {"aws/**", "db"};
	char *argv[] = {S("sh"), S("-c"),
	                S("echo \"k=$AWS_KEY\"; echo \"r=$AWS_SECRET_REGION\"; "
	                  "printf '%s' \"$DATABASE_PASSWORD\" | base64; env | sort >&2"),
	                NULL};
	char *const base[] = {S("PATH=/usr/bin:/bin"), NULL};
	struct sc_runenv *re = NULL;
	struct sc_exec_opts o;
	struct sc_exec_result res;
	char *detail = NULL, *out;

	assert_int_equal(build(f, pats, 2, NULL, 1, base, &re, &detail), SC_OK);
	sc_exec_opts_init(&o);
	o.path = "/bin/sh";
	o.argv = argv;
	o.envp = sc_runenv_envp(re);
	o.sanitizer = sc_runenv_sanitizer(re);
	o.capture_max = 65536;
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	assert_int_equal(res.exit_code, 0);
	out = calloc(1, res.out_len + res.err_len + 2);
	memcpy(out, res.out, res.out_len);
	out[res.out_len] = '\n';
	memcpy(out + res.out_len + 1, res.err, res.err_len);
	assert_non_null(strstr(out, "k=[REDACTED:AWS_KEY]\n"));
	assert_non_null(strstr(out, "r=eu-west-1\n"));
	assert_non_null(strstr(out, "AWS_SECRET=[REDACTED:AWS_SECRET]\n"));
	assert_null(strstr(out, "AKIAEXAMPLEKEY123"));
	assert_null(strstr(out, "wJalrXUtnFEMI"));
	assert_null(strstr(out, "p4ssw0rd-long"));
	assert_null(strstr(out, "cDRzc3cwcmQtbG9uZw")); /* base64 of the password */
	assert_null(strstr(out, "deepvalue-xyz"));
	assert_non_null(strstr(out, "DATABASE_USER=admin-user\n"));
	free(out);
	sc_exec_result_release(&res);
	sc_runenv_free(re);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_glob),
	    cmocka_unit_test(test_var_names),
	    cmocka_unit_test(test_var_allowed),
	};
	const struct CMUnitTest vault_tests[] = {
	    cmocka_unit_test(test_glob_selection), cmocka_unit_test(test_bindings_and_prefix),
	    cmocka_unit_test(test_failures),       cmocka_unit_test(test_base_env),
	    cmocka_unit_test(test_end_to_end),
	};
	int r;

	if (sc_init() != SC_OK)
		return 1;
	r = cmocka_run_group_tests_name("pure", tests, NULL, NULL);
	r |= cmocka_run_group_tests_name("vault", vault_tests, setup, teardown);
	return r;
}
