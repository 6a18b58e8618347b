/* test_policy.c - the MCP command policy: the Go-shaped file read as is,
 * every strict-validation error with its line, each built-in denial, path
 * resolution, argument patterns, secret bindings, limits and the opt-in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

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
	assert_non_null(p);
	return p;
}

/* Run check with a resolved path and no secrets; returns the status. */
static int run(const struct sc_policy *p, const char *given, const char *resolved,
               const char *const *args, size_t nargs, char *reason, size_t rlen)
{
	return sc_policy_check_run(p, given, resolved, args, nargs, NULL, 0, reason, rlen);
}

static void assert_denied(const struct sc_policy *p, const char *given, const char *resolved,
                          const char *const *args, size_t nargs, const char *want_in_reason)
{
	char reason[512];
	int r = run(p, given, resolved, args, nargs, reason, sizeof(reason));

	if (r != SC_ERR_DENIED)
		fail_msg("'%s' (%s) with %zu args was not denied (status %d)", given, resolved,
		         nargs, r);
	assert_true(strlen(reason) > 0);
	assert_null(strchr(reason, '\n'));
	if (want_in_reason != NULL && strstr(reason, want_in_reason) == NULL)
		fail_msg("reason '%s' lacks '%s'", reason, want_in_reason);
}

static void assert_allowed(const struct sc_policy *p, const char *given, const char *resolved,
                           const char *const *args, size_t nargs)
{
	char reason[512];
	int r = run(p, given, resolved, args, nargs, reason, sizeof(reason));

	if (r != SC_OK)
		fail_msg("'%s' (%s) with %zu args was denied: %s", given, resolved, nargs, reason);
}

/* ---- the Go secretctl's file ---------------------------------------------- */

static const char go_policy[] = "version: 1\n"
                                "default_action: deny\n"
                                "allowed_commands:\n"
                                "  - kubectl\n"
                                "  - aws\n"
                                "denied_commands:\n"
                                "  - rm\n"
                                "  - cat /proc/*/environ\n"
                                "\n"
                                "env_aliases:\n"
                                "  dev:\n"
                                "    - pattern: \"db/*\"\n"
                                "      target: \"dev/db/*\"\n"
                                "    - pattern: \"api/*\"\n"
                                "      target: \"dev/api/*\"\n"
                                "  prod:\n"
                                "    - pattern: \"db/*\"\n"
                                "      target: \"prod/db/*\"\n"
                                "    - pattern: special_key\n"
                                "      target: prod/special\n";

static void test_go_file(void **state)
{
	struct sc_policy *p = parse_ok(go_policy);
	char out[SC_NAME_MAX + 1];
	struct sc_policy_limits lim;

	(void)state;
	assert_allowed(p, "kubectl", "/usr/bin/kubectl", ARGS("apply", "-f", "d.yaml"), 3);
	assert_allowed(p, "aws", "/usr/local/bin/aws", NULL, 0);
	assert_denied(p, "curl", "/usr/bin/curl", NULL, 0, "not allowed");
	assert_denied(p, "rm", "/usr/bin/rm", ARGS("-rf", "x"), 2, "denied_commands");

	assert_int_equal(sc_policy_resolve_alias(p, "prod", "db/host", out, sizeof(out)), SC_OK);
	assert_string_equal(out, "prod/db/host");
	assert_int_equal(sc_policy_resolve_alias(p, "dev", "api/v1/key", out, sizeof(out)), SC_OK);
	assert_string_equal(out, "dev/api/v1/key");
	assert_int_equal(sc_policy_resolve_alias(p, "prod", "db/*", out, sizeof(out)), SC_OK);
	assert_string_equal(out, "prod/db/*");
	assert_int_equal(sc_policy_resolve_alias(p, "prod", "special_key", out, sizeof(out)),
	                 SC_OK);
	assert_string_equal(out, "prod/special");
	assert_int_equal(sc_policy_resolve_alias(p, "prod", "other/x", out, sizeof(out)), SC_OK);
	assert_string_equal(out, "other/x");
	assert_int_equal(sc_policy_resolve_alias(p, NULL, "db/host", out, sizeof(out)), SC_OK);
	assert_string_equal(out, "db/host");
	assert_int_equal(sc_policy_resolve_alias(p, "staging", "db/host", out, sizeof(out)),
	                 SC_ERR_NOT_FOUND);
	assert_int_equal(sc_policy_resolve_alias(p, "prod", "db/host", out, 5), SC_ERR_TOOBIG);
	assert_true(sc_policy_has_env(p, "dev"));
	assert_false(sc_policy_has_env(p, "staging"));

	/* No limits key: the defaults. */
	sc_policy_limits(p, &lim);
	assert_int_equal(lim.max_timeout_sec, SC_POLICY_TIMEOUT_DEFAULT);
	assert_int_equal(lim.max_output_bytes, SC_POLICY_OUTPUT_DEFAULT);
	assert_int_equal(lim.max_concurrent, SC_POLICY_CONCURRENT_DEFAULT);
	assert_false(sc_policy_cli_runs_obey(p));
	sc_policy_free(p);

	/* Go's minimal files: default_action left out or empty means deny. */
	p = parse_ok("version: 1\n");
	assert_denied(p, "ls", "/usr/bin/ls", NULL, 0, "default_action: deny");
	sc_policy_free(p);
	p = parse_ok("version: 1\ndefault_action:\nallowed_commands:\n");
	assert_denied(p, "ls", "/usr/bin/ls", NULL, 0, "default_action: deny");
	sc_policy_free(p);
	p = parse_ok("version: 1\ndefault_action: allow\n");
	assert_allowed(p, "ls", "/usr/bin/ls", ARGS("-l"), 1);
	sc_policy_free(p);
}

/* ---- strict validation ------------------------------------------------------ */

struct bad_case {
	const char *yaml;
	int line;
	const char *what;
};

static const struct bad_case bad_cases[] = {
    {"version: 1\ndefault_action: deny\nalowed_commands: [aws]\n", 3,
     "unknown key 'alowed_commands'"},
    {"version: 1\nallowed_commands: [aws]\nallowed_commands: [gh]\n", 3, "duplicate key"},
    {"version: 2\n", 1, "unsupported policy version"},
    {"version: \"1\"\n", 1, "unsupported policy version"},
    {"default_action: deny\nallowed_commands: [aws]\n", 1, "missing required key 'version'"},
    {"version: 1\n\ndefault_action: maybe\n", 3, "default_action must be"},
    {"version: 1\nallowed_commands: aws\n", 2, "must be a list"},
    {"version: 1\nallowed_commands:\n  - aws\n  - {name: gh}\n", 4, "must be a string"},
    {"version: 1\nallowed_commands:\n  - \"*\"\n", 3, "not patterns"},
    {"version: 1\nallowed_commands:\n  - ./aws\n", 3, "name or an absolute path"},
    {"version: 1\nallowed_commands:\n  - /usr/bin/../bin/sh\n", 3, "canonical"},
    {"version: 1\nallowed_commands:\n  - \"aws 's3 ls\"\n", 3, "unterminated quote"},
    {"version: 1\nenv_aliases:\n  prod:\n    - pattern: db/*\n      targt: prod/db/*\n", 5,
     "unknown key 'targt'"},
    {"version: 1\nenv_aliases:\n  prod:\n    - pattern: db/*\n", 4, "both pattern and target"},
    {"version: 1\nenv_aliases:\n  prod:\n    - pattern: d*b\n      target: x\n", 4,
     "may only end it"},
    {"version: 1\nenv_aliases:\n  prod: {pattern: a, target: b}\n", 3, "must be a list"},
    {"version: 1\nrules:\n  - command: aws\n    argz: [\"s3 ls *\"]\n", 4, "unknown key 'argz'"},
    {"version: 1\nrules:\n  - args: [\"s3 ls *\"]\n", 3, "needs a command"},
    {"version: 1\nrules:\n  - command: aws\n    args: []\n", 4, "args is empty"},
    {"version: 1\nrules:\n  - command: aws s3\n", 3, "only a command name"},
    {"version: 1\nsecret_commands:\n  \"aws/*\": []\n", 3, "lists no command"},
    {"version: 1\nlimits:\n  max_timeout: 60s\n  max_outptu_bytes: 10\n", 4, "unknown key"},
    {"version: 1\nlimits:\n  max_timeout: 2h\n", 3, "between 1s and 3600s"},
    {"version: 1\nlimits:\n  max_timeout: 500ms\n", 3, "units are s, m and h"},
    {"version: 1\nlimits:\n  max_timeout: 0\n", 3, "between 1s"},
    {"version: 1\nlimits:\n  max_output_bytes: 1GB\n", 3, "KiB or MiB"},
    {"version: 1\nlimits:\n  max_output_bytes: 65MiB\n", 3, "between 1 and"},
    {"version: 1\nlimits:\n  max_concurrent: 0\n", 3, "max_concurrent must be"},
    {"version: 1\nlimits:\n  max_concurrent: 33\n", 3, "max_concurrent must be"},
    {"version: 1\nlimits:\n  max_concurrent: -1\n", 3, "positive number"},
    {"version: 1\nunsafe_allow_builtin_denied:\n  - printenv\n  - everything\n", 4,
     "unknown built-in denial 'everything'"},
    {"version: 1\ncli_runs: sometimes\n", 2, "cli_runs must be"},
    {"version: 1\nx: &a [env]\n", 2, "anchors"},
    {"version: 1\nallowed_commands: [aws]\ndenied_commands: *a\n", 3, "aliases"},
    {"version: !!int 1\n", 1, "tags"},
    {"version: 1\nallowed_commands: [aws\n", 3, "malformed YAML"},
    {"version: 1\n---\nversion: 1\n", 2, "only one YAML document"},
    {"", 1, "empty policy"},
    {"# only a comment\n", 1, "empty policy"},
    {"- version: 1\n", 1, "must be a mapping"},
    {"version: 1\n? [a]\n: b\n", 2, "keys must be strings"},
    {"version: 1\nrules: [[[[[[[[[[x]]]]]]]]]]\n", 2, "nested too deeply"},
};

static void test_strict_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		struct sc_policy *p = (struct sc_policy *)1;
		char err[512], want[32];
		int r = sc_policy_parse(b->yaml, strlen(b->yaml), &p, err, sizeof(err));

		if (r != SC_ERR_INVALID)
			fail_msg("case %zu parsed (status %d):\n%s", i, r, b->yaml);
		assert_null(p);
		snprintf(want, sizeof(want), "line %d: ", b->line);
		if (strncmp(err, want, strlen(want)) != 0 || strstr(err, b->what) == NULL)
			fail_msg("case %zu: error '%s', want '%s...%s'", i, err, want, b->what);
		assert_string_equal(sc_last_error(), err);
	}
}

static void test_size_bound(void **state)
{
	size_t n = SC_POLICY_MAX_BYTES + 1;
	char *big = malloc(n);
	struct sc_policy *p = NULL;
	char err[256];

	(void)state;
	assert_non_null(big);
	memset(big, '#', n);
	assert_int_equal(sc_policy_parse(big, n, &p, err, sizeof(err)), SC_ERR_TOOBIG);
	assert_null(p);
	free(big);
}

static void test_count_bound(void **state)
{
	/* More entries in one list than SC_POLICY_MAX_ITEMS. */
	size_t n = SC_POLICY_MAX_ITEMS + 1, i, len = 0;
	char *buf = malloc(64 + n * 8);
	struct sc_policy *p = NULL;
	char err[256];

	(void)state;
	assert_non_null(buf);
	len += (size_t)sprintf(buf, "version: 1\nallowed_commands:\n");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "  - a\n");
	assert_int_equal(sc_policy_parse(buf, len, &p, err, sizeof(err)), SC_ERR_INVALID);
	assert_non_null(strstr(err, "too many entries"));
	free(buf);
}

/* ---- built-in denials ---------------------------------------------------------- */

/* Everything allowed, so that only the built-ins can deny. */
static const char allow_all[] = "version: 1\n"
                                "default_action: allow\n"
                                "allowed_commands: [env, printenv, set, export, bash, sh, python3, "
                                "python3.11, perl, node]\n";

static void test_builtin_commands(void **state)
{
	struct sc_policy *p = parse_ok(allow_all);

	(void)state;
	assert_denied(p, "env", "/usr/bin/env", NULL, 0, "built-in rule 'env'");
	assert_denied(p, "printenv", "/usr/bin/printenv", NULL, 0, "built-in rule 'printenv'");
	assert_denied(p, "/usr/bin/printenv", "/usr/bin/printenv", ARGS("HOME"), 1, "printenv");
	assert_denied(p, "set", "/usr/local/bin/set", NULL, 0, "built-in rule 'set'");
	assert_denied(p, "export", "/home/u/bin/export", NULL, 0, "built-in rule 'export'");
	/* A look-alike name for printenv is still printenv. */
	assert_denied(p, "ls", "/usr/bin/printenv", NULL, 0, "built-in rule 'printenv'");
	/* Launchers that would run printenv behind the policy's back. */
	assert_denied(p, "nice", "/usr/bin/nice", ARGS("printenv"), 1, "launcher:nice");
	assert_denied(p, "timeout", "/usr/bin/timeout", ARGS("5", "env"), 2, "launcher:timeout");
	assert_denied(p, "xargs", "/usr/bin/xargs", NULL, 0, "launcher:xargs");
	assert_denied(p, "find", "/usr/bin/find", ARGS(".", "-exec", "printenv", ";"), 4,
	              "exec-option:find");
	assert_allowed(p, "find", "/usr/bin/find", ARGS(".", "-name", "*.c"), 3);
	/* every launcher docs/POLICY.md lists, from this test's own list (not
	 * the table's: a launcher dropped from the table must fail here) */
	{
		static const char *const launchers[] = {
		    "xargs",    "nice",        "nohup",   "timeout",  "stdbuf",  "setsid",
		    "sudo",     "doas",        "su",      "runuser",  "pkexec",  "sg",
		    "chroot",   "unshare",     "nsenter", "flock",    "chrt",    "ionice",
		    "taskset",  "numactl",     "prlimit", "setpriv",  "capsh",   "firejail",
		    "bwrap",    "systemd-run", "strace",  "ltrace",   "gdb",     "lldb",
		    "watch",    "script",      "time",    "parallel", "expect",  "rlwrap",
		    "fakeroot", "proot",       "busybox", "toybox",   "command", "exec",
		    "eval",     "builtin",     "source",  "vi",       "vim",     "nvim",
		    "ex",       "emacs"};
		char path[128], id[64];
		size_t i;

		for (i = 0; i < sizeof(launchers) / sizeof(launchers[0]); i++) {
			snprintf(path, sizeof(path), "/usr/bin/%s", launchers[i]);
			snprintf(id, sizeof(id), "launcher:%s", launchers[i]);
			assert_denied(p, launchers[i], path, NULL, 0, id);
		}
	}
	sc_policy_free(p);
}

static void test_builtin_inline_code(void **state)
{
	struct sc_policy *p = parse_ok(allow_all);

	(void)state;
	/* Shells. */
	assert_denied(p, "bash", "/usr/bin/bash", ARGS("-c", "env"), 2, "inline-code:sh");
	assert_denied(p, "bash", "/usr/bin/bash", ARGS("-xc", "env"), 2, "'bash -xc'");
	assert_denied(p, "bash", "/usr/bin/bash", ARGS("-o", "pipefail", "-c", "env"), 4,
	              "inline-code:sh");
	assert_denied(p, "bash", "/usr/bin/bash", ARGS("--norc", "-ec", "env"), 3, "inline-code");
	assert_denied(p, "sh", "/usr/bin/dash", ARGS("-c", "env"), 2, "inline-code:sh");
	assert_denied(p, "zsh", "/usr/bin/zsh", ARGS("-fc", "env"), 2, "inline-code:sh");
	assert_denied(p, "fish", "/usr/bin/fish", ARGS("--comm=env"), 1, "inline-code:fish");
	assert_allowed(p, "bash", "/usr/bin/bash", ARGS("deploy.sh", "prod"), 2);
	assert_allowed(p, "sh", "/usr/bin/dash", ARGS("-e", "build.sh"), 2);
	/* Python, including versioned names and options before -c. */
	assert_denied(p, "python3", "/usr/bin/python3.11", ARGS("-c", "print(1)"), 2,
	              "inline-code:python");
	assert_denied(p, "python3.11", "/usr/bin/python3.11", ARGS("-c", "x"), 2,
	              "inline-code:python");
	assert_denied(p, "python3", "/usr/bin/python3.11", ARGS("-Ic", "x"), 2, "-Ic");
	assert_denied(p, "python3", "/usr/bin/python3.11", ARGS("-W", "--", "-c", "x"), 4,
	              "inline-code:python");
	assert_allowed(p, "python3", "/usr/bin/python3.11",
	               ARGS("-Wignore::DeprecationWarning", "manage.py", "migrate"), 3);
	/* Perl, Ruby, Node, PHP, Lua. */
	assert_denied(p, "perl", "/usr/bin/perl", ARGS("-e", "print 1"), 2, "inline-code:perl");
	assert_denied(p, "perl", "/usr/bin/perl", ARGS("-lne", "print"), 2, "inline-code:perl");
	assert_denied(p, "perl", "/usr/bin/perl5.36", ARGS("-E", "say 1"), 2, "inline-code:perl");
	assert_allowed(p, "perl", "/usr/bin/perl", ARGS("-MData::Dumper", "script.pl"), 2);
	assert_denied(p, "ruby", "/usr/bin/ruby3.1", ARGS("-e", "p ENV"), 2, "inline-code:ruby");
	assert_denied(p, "node", "/usr/bin/node", ARGS("-e", "x"), 2, "inline-code:node");
	assert_denied(p, "node", "/usr/bin/node", ARGS("-pe", "process.env"), 2,
	              "inline-code:node");
	assert_denied(p, "node", "/usr/bin/node", ARGS("--eval=process.env"), 1,
	              "inline-code:node");
	assert_denied(p, "node", "/usr/bin/node", ARGS("--print", "1"), 2, "inline-code:node");
	assert_denied(p, "node", "/usr/bin/node",
	              ARGS("--import", "data:text/javascript,console.log(process.env)"), 2,
	              "inline-code:node");
	assert_allowed(p, "node", "/usr/bin/node", ARGS("server.js"), 1);
	assert_denied(p, "nodejs", "/usr/bin/nodejs", ARGS("-e", "x"), 2, "inline-code:node");
	assert_denied(p, "php", "/usr/bin/php8.2", ARGS("-r", "x"), 2, "inline-code:php");
	assert_denied(p, "lua", "/usr/bin/lua5.4", ARGS("-e", "x"), 2, "inline-code:lua");
	assert_denied(p, "Rscript", "/usr/bin/Rscript", ARGS("-e", "x"), 2, "inline-code:r");
	assert_denied(p, "pwsh", "/usr/bin/pwsh", ARGS("-Command", "x"), 2, "inline-code:pwsh");
	assert_denied(p, "deno", "/usr/bin/deno", ARGS("eval", "x"), 2, "inline-code:deno");
	/* awk, sed, jq. */
	assert_denied(p, "awk", "/usr/bin/mawk", ARGS("BEGIN{print ENVIRON[\"K\"]}"), 1,
	              "inline-code:awk");
	assert_denied(p, "gawk", "/usr/bin/gawk", ARGS("-f", "p.awk", "-e", "BEGIN{}"), 4,
	              "inline-code:awk");
	assert_denied(p, "awk", "/usr/bin/gawk", ARGS("BEGIN{}", "-f", "p.awk"), 3,
	              "inline-code:awk");
	assert_allowed(p, "awk", "/usr/bin/mawk", ARGS("-F", ":", "-f", "p.awk", "in.txt"), 5);
	assert_denied(p, "sed", "/usr/bin/sed", ARGS("1e env", "f"), 2, "--sandbox");
	assert_denied(p, "sed", "/usr/bin/sed", ARGS("--", "1e env", "--sandbox"), 3, "--sandbox");
	assert_allowed(p, "sed", "/usr/bin/sed", ARGS("--sandbox", "-n", "1p", "f"), 4);
	assert_denied(p, "jq", "/usr/bin/jq", ARGS("-n", "env"), 2, "env-read:jq");
	assert_denied(p, "jq", "/usr/bin/jq", ARGS("-n", "$ENV.K"), 2, "env-read:jq");
	assert_allowed(p, "jq", "/usr/bin/jq", ARGS(".items[0]", "out.json"), 2);
	assert_denied(p, "ps", "/usr/bin/ps", ARGS("axe"), 1, "env-read:ps");
	assert_allowed(p, "ps", "/usr/bin/ps", ARGS("-ef"), 1);
	/* A multi-call binary runs the applet its argv[0] names. */
	assert_denied(p, "sh", "/bin/busybox", ARGS("-c", "env"), 2, "inline-code:sh");
	assert_denied(p, "busybox", "/bin/busybox", ARGS("sh"), 1, "launcher:busybox");
	sc_policy_free(p);
}

static void test_builtin_proc(void **state)
{
	static const char *const bad[] = {
	    "/proc/self/environ",
	    "/proc/1/environ",
	    "/proc/1/task/1/environ",
	    "/proc//self/./environ",
	    "/proc/thread-self/environ",
	    "/proc/self/../self/environ",
	    "@/proc/self/environ",
	    "--data-binary=@/proc/self/environ",
	    "file:///proc/self/environ",
	    "../../proc/self/environ",
	    "/dev/fd/../environ",
	    "/etc/mtab/../environ",
	    "self/environ",
	    "/proc/self/mem",
	    "/proc/4242/cmdline",
	};
	struct sc_policy *p = parse_ok(allow_all);
	char reason[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const args[] = {"-s", bad[i]};

		assert_denied(p, "curl", "/usr/bin/curl", args, 2, "built-in rule 'proc-");
		assert_int_equal(run(p, "cat", "/usr/bin/cat", args + 1, 1, reason, sizeof(reason)),
		                 SC_ERR_DENIED);
		/* The reason names the argument by position, never its text. */
		assert_null(strstr(reason, bad[i]));
	}
	assert_denied(p, "cat", "/usr/bin/cat", ARGS("/proc/self/environ"), 1,
	              "built-in rule 'proc-environ'");
	assert_denied(p, "cat", "/usr/bin/cat", ARGS("/proc/self/mem"), 1, "proc-mem");
	assert_denied(p, "cat", "/usr/bin/cat", ARGS("/proc/1/cmdline"), 1, "proc-cmdline");
	assert_allowed(p, "cat", "/usr/bin/cat", ARGS("/proc/self/status"), 1);
	assert_allowed(p, "cat", "/usr/bin/cat", ARGS("/proc/cpuinfo", "/proc/meminfo"), 2);
	assert_allowed(p, "cat", "/usr/bin/cat", ARGS("docs/environ.md"), 1);
	sc_policy_free(p);
}

static void test_optin(void **state)
{
	struct sc_policy *p;

	(void)state;
	/* Lifting a built-in does not allow the command: default deny holds. */
	p = parse_ok("version: 1\nunsafe_allow_builtin_denied: [printenv]\n");
	assert_denied(p, "printenv", "/usr/bin/printenv", NULL, 0, "default_action: deny");
	sc_policy_free(p);

	p = parse_ok("version: 1\n"
	             "allowed_commands: [printenv, env, python3]\n"
	             "unsafe_allow_builtin_denied:\n"
	             "  - printenv\n"
	             "  - inline-code:python\n"
	             "  - proc-environ\n");
	assert_allowed(p, "printenv", "/usr/bin/printenv", NULL, 0);
	/* Only what was named is lifted. */
	assert_denied(p, "env", "/usr/bin/env", NULL, 0, "built-in rule 'env'");
	assert_allowed(p, "python3", "/usr/bin/python3", ARGS("-c", "print(1)"), 2);
	assert_allowed(p, "python3", "/usr/bin/python3", ARGS("x.py", "/proc/self/environ"), 2);
	assert_denied(p, "python3", "/usr/bin/python3", ARGS("x.py", "/proc/self/mem"), 2,
	              "proc-mem");
	sc_policy_free(p);
}

static void test_builtin_table(void **state)
{
	size_t n = sc_policy_builtin_count(), i, j;

	(void)state;
	assert_true(n > 20);
	for (i = 0; i < n; i++) {
		assert_non_null(sc_policy_builtin_id(i));
		assert_non_null(sc_policy_builtin_why(i));
		for (j = 0; j < i; j++)
			assert_string_not_equal(sc_policy_builtin_id(i), sc_policy_builtin_id(j));
	}
	assert_null(sc_policy_builtin_id(n));
}

/* ---- command matching ---------------------------------------------------------- */

static void test_resolved_path(void **state)
{
	struct sc_policy *p = parse_ok("version: 1\n"
	                               "allowed_commands:\n"
	                               "  - aws\n"
	                               "  - /opt/tools/bin/terraform\n");

	(void)state;
	assert_allowed(p, "aws", "/usr/local/bin/aws", ARGS("s3", "ls"), 2);
	/* A command given as a path matches only a path entry (issue 11: a
	 * look-alike planted anywhere passed as its basename). */
	assert_denied(p, "/usr/local/bin/aws", "/usr/local/bin/aws", NULL, 0, "not allowed");
	assert_denied(p, "/tmp/x/aws", "/tmp/x/aws", NULL, 0, "not allowed");
	assert_denied(p, "./aws", "/home/u/proj/aws", NULL, 0, "not allowed");
	assert_allowed(p, "/opt/tools/bin/terraform", "/opt/tools/bin/terraform", NULL, 0);
	/* A symlink named aws that points at a shell is a shell. */
	assert_denied(p, "aws", "/usr/bin/dash", ARGS("s3", "ls"), 2,
	              "resolves to '/usr/bin/dash'");
	assert_denied(p, "aws", "/usr/bin/dash", ARGS("-c", "env"), 2, "inline-code:sh");
	/* The name as given must match too. */
	assert_denied(p, "a", "/usr/local/bin/aws", NULL, 0, "not allowed");
	/* A path entry matches only that program. */
	assert_allowed(p, "terraform", "/opt/tools/bin/terraform", ARGS("plan"), 1);
	assert_denied(p, "terraform", "/home/u/.local/bin/terraform", ARGS("plan"), 1,
	              "not allowed");
	assert_denied(p, "/opt/tools/bin/terraform", "/tmp/x/terraform", NULL, 0, "not allowed");
	/* Versioned builds and multi-call binaries run under the allowed name. */
	sc_policy_free(p);
	p = parse_ok("version: 1\nallowed_commands: [python3, ls, sh]\n");
	assert_allowed(p, "python3", "/usr/bin/python3.11", ARGS("x.py"), 1);
	assert_allowed(p, "ls", "/bin/busybox", ARGS("-l"), 1);
	assert_allowed(p, "sh", "/usr/bin/dash", ARGS("build.sh"), 1);
	assert_denied(p, "python3", "/home/u/bin/pythonista", ARGS("x.py"), 1, "resolves to");
	assert_denied(p, "cat", "/bin/busybox", NULL, 0, "not allowed");
	assert_denied(p, "ls", "/usr/bin/python3", NULL, 0, "resolves to");
	/* Malformed calls. */
	assert_int_equal(run(p, "aws", "aws", NULL, 0, NULL, 0), SC_ERR_INVALID);
	assert_int_equal(run(p, "aws", NULL, NULL, 0, NULL, 0), SC_ERR_INVALID);
	assert_int_equal(run(p, "", "/usr/bin/aws", NULL, 0, NULL, 0), SC_ERR_INVALID);
	assert_int_equal(run(p, "aws/", "/usr/bin/aws", NULL, 0, NULL, 0), SC_ERR_INVALID);
	assert_int_equal(run(p, "aws", "/usr/bin/aws", NULL, 2, NULL, 0), SC_ERR_INVALID);
	assert_int_equal(run(p, "aws", "/usr/bin/aws", ARGS("a", NULL), 2, NULL, 0),
	                 SC_ERR_INVALID);
	sc_policy_free(p);
}

static void test_no_policy(void **state)
{
	struct sc_policy *p = NULL;
	struct sc_policy_limits lim;
	char reason[256];

	(void)state;
	assert_int_equal(run(NULL, "ls", "/usr/bin/ls", NULL, 0, reason, sizeof(reason)),
	                 SC_ERR_DENIED);
	assert_non_null(strstr(reason, "mcp-policy.yaml"));
	assert_int_equal(sc_policy_deny_all(&p), SC_OK);
	assert_denied(p, "ls", "/usr/bin/ls", NULL, 0, "not allowed");
	sc_policy_limits(p, &lim);
	assert_int_equal(lim.max_concurrent, SC_POLICY_CONCURRENT_DEFAULT);
	sc_policy_limits(NULL, &lim);
	assert_int_equal(lim.max_timeout_sec, SC_POLICY_TIMEOUT_DEFAULT);
	sc_policy_free(p);
}

static void test_denied_beats_allowed(void **state)
{
	struct sc_policy *p = parse_ok("version: 1\n"
	                               "default_action: allow\n"
	                               "allowed_commands: [rm, aws]\n"
	                               "denied_commands:\n"
	                               "  - rm\n"
	                               "  - aws iam *\n"
	                               "  - /usr/bin/curl\n");

	(void)state;
	assert_denied(p, "rm", "/usr/bin/rm", ARGS("x"), 1, "denied_commands (policy line 5)");
	assert_denied(p, "aws", "/usr/bin/aws", ARGS("iam", "list-users"), 2, "line 6");
	assert_allowed(p, "aws", "/usr/bin/aws", ARGS("s3", "ls"), 2);
	/* Deny matches either name, and a path entry the path given. */
	assert_denied(p, "rm", "/usr/bin/busybox", ARGS("x"), 1, "denied_commands");
	assert_denied(p, "curl", "/usr/bin/curl", NULL, 0, "denied_commands");
	assert_denied(p, "/usr/bin/curl", "/usr/lib/curl-real", NULL, 0, "denied_commands");
	sc_policy_free(p);

	/* A denied name covers its versioned builds and its family. */
	p = parse_ok("version: 1\ndefault_action: allow\ndenied_commands: [python3, sh]\n");
	assert_denied(p, "python3.11", "/usr/bin/python3.11", ARGS("x.py"), 1, "denied_commands");
	assert_denied(p, "bash", "/usr/bin/bash", ARGS("x.sh"), 1, "denied_commands");
	assert_denied(p, "x", "/usr/bin/zsh", ARGS("x.sh"), 1, "denied_commands");
	assert_allowed(p, "perl", "/usr/bin/perl", ARGS("x.pl"), 1);
	/* A multi-call binary is not every applet for a denial. */
	assert_allowed(p, "ls", "/bin/busybox", ARGS("-l"), 1);
	sc_policy_free(p);
}

static void test_arg_patterns(void **state)
{
	struct sc_policy *p = parse_ok("version: 1\n"
	                               "default_action: allow\n"
	                               "allowed_commands:\n"
	                               "  - aws s3 ls *\n"
	                               "  - git status\n"
	                               "  - \"grep -r 'TODO: *' *\"\n"
	                               "rules:\n"
	                               "  - command: aws\n"
	                               "    args:\n"
	                               "      - sts get-caller-identity\n"
	                               "      - s3 cp * s3://my-bucket/*\n"
	                               "  - command: make\n"
	                               "    args: [\"\"]\n");

	(void)state;
	assert_allowed(p, "aws", "/usr/bin/aws", ARGS("s3", "ls"), 2);
	assert_allowed(p, "aws", "/usr/bin/aws", ARGS("s3", "ls", "s3://b", "--recursive"), 4);
	assert_allowed(p, "aws", "/usr/bin/aws", ARGS("sts", "get-caller-identity"), 2);
	assert_allowed(p, "aws", "/usr/bin/aws", ARGS("s3", "cp", "out.tgz", "s3://my-bucket/x"),
	               4);
	/* A command the policy names is held to its patterns, even with
	 * default_action: allow. */
	assert_denied(p, "aws", "/usr/bin/aws", ARGS("s3", "rm", "s3://b/x"), 3,
	              "match none of the patterns");
	assert_denied(p, "aws", "/usr/bin/aws", ARGS("sts", "get-caller-identity", "--x"), 3,
	              "patterns");
	/* A '*' in the middle is exactly one argument. */
	assert_denied(p, "aws", "/usr/bin/aws", ARGS("s3", "cp", "a", "b", "s3://my-bucket/x"), 5,
	              "patterns");
	assert_denied(p, "aws", "/usr/bin/aws", ARGS("s3", "cp", "x", "s3://evil/x"), 4,
	              "patterns");
	assert_allowed(p, "git", "/usr/bin/git", ARGS("status"), 1);
	assert_denied(p, "git", "/usr/bin/git", ARGS("status", "-c", "x"), 3, "patterns");
	assert_denied(p, "git", "/usr/bin/git", NULL, 0, "patterns");
	/* Quotes keep spaces in one token. */
	assert_allowed(p, "grep", "/usr/bin/grep", ARGS("-r", "TODO: fix", "src"), 3);
	assert_denied(p, "grep", "/usr/bin/grep", ARGS("-r", "FIXME", "src"), 3, "patterns");
	/* "" is no arguments at all. */
	assert_allowed(p, "make", "/usr/bin/make", NULL, 0);
	assert_denied(p, "make", "/usr/bin/make", ARGS("install"), 1, "patterns");
	/* Commands the policy does not name fall to default_action. */
	assert_allowed(p, "ls", "/usr/bin/ls", ARGS("-la"), 1);
	sc_policy_free(p);
}

/* ---- secrets ------------------------------------------------------------------- */

static void test_secret_bindings(void **state)
{
	struct sc_policy *p = parse_ok("version: 1\n"
	                               "default_action: allow\n"
	                               "rules:\n"
	                               "  - command: aws\n"
	                               "    secrets: [\"aws/*\"]\n"
	                               "secret_commands:\n"
	                               "  \"db/*\": [psql, /usr/bin/pg_dump]\n"
	                               "  \"stripe/live\": curl\n");
	const char *const aws_only[] = {"aws/access_key", "aws/secret_key"};
	const char *const mixed[] = {"aws/access_key", "db/password"};
	const char *const db[] = {"db/password"};
	const char *const stripe[] = {"stripe/live"};
	const char *const other[] = {"github/token"};
	char reason[512];

	(void)state;
	assert_int_equal(sc_policy_check_run(p, "aws", "/usr/bin/aws", ARGS("s3", "ls"), 2,
	                                     aws_only, 2, reason, sizeof(reason)),
	                 SC_OK);
	assert_int_equal(sc_policy_check_run(p, "aws", "/usr/bin/aws", ARGS("s3", "ls"), 2, mixed,
	                                     2, reason, sizeof(reason)),
	                 SC_ERR_DENIED);
	assert_non_null(strstr(reason, "may not be injected into 'aws'"));
	assert_null(strstr(reason, "db/password"));
	assert_null(strstr(reason, "aws/access_key"));

	assert_int_equal(
	    sc_policy_check_run(p, "psql", "/usr/bin/psql", NULL, 0, db, 1, reason, sizeof(reason)),
	    SC_OK);
	assert_int_equal(sc_policy_check_run(p, "pg_dump", "/usr/bin/pg_dump", NULL, 0, db, 1,
	                                     reason, sizeof(reason)),
	                 SC_OK);
	/* default_action: allow lets curl run, but not with a db secret. */
	assert_int_equal(sc_policy_check_run(p, "curl", "/usr/bin/curl", NULL, 0, other, 1, reason,
	                                     sizeof(reason)),
	                 SC_OK);
	assert_int_equal(
	    sc_policy_check_run(p, "curl", "/usr/bin/curl", NULL, 0, db, 1, reason, sizeof(reason)),
	    SC_ERR_DENIED);
	assert_non_null(strstr(reason, "secret_commands 'db/*'"));
	assert_null(strstr(reason, "db/password"));
	/* The path entry is exact: a pg_dump elsewhere does not get db/... */
	assert_int_equal(sc_policy_check_run(p, "pg_dump", "/tmp/pg_dump", NULL, 0, db, 1, reason,
	                                     sizeof(reason)),
	                 SC_ERR_DENIED);
	/* A one-command binding written without a list. */
	assert_int_equal(sc_policy_check_run(p, "curl", "/usr/bin/curl", NULL, 0, stripe, 1, reason,
	                                     sizeof(reason)),
	                 SC_OK);
	assert_int_equal(sc_policy_check_run(p, "wget", "/usr/bin/wget", NULL, 0, stripe, 1, reason,
	                                     sizeof(reason)),
	                 SC_ERR_DENIED);
	sc_policy_free(p);
}

/* ---- limits -------------------------------------------------------------------- */

static void test_limits(void **state)
{
	static const struct {
		const char *timeout, *output, *conc;
		uint32_t t;
		uint64_t o;
		uint32_t c;
	} ok[] = {
	    {"60s", "1048576", "4", 60, 1048576, 4},
	    {"90", "2MiB", "1", 90, 2 * 1024 * 1024, 1},
	    {"1m30s", "512KiB", "32", 90, 512 * 1024, 32},
	    {"1h", "64MiB", "8", 3600, 64 * 1024 * 1024, 8},
	    {"5m", "64K", "2", 300, 64 * 1024, 2},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char yaml[256];
		struct sc_policy *p;
		struct sc_policy_limits lim;

		snprintf(yaml, sizeof(yaml),
		         "version: 1\nlimits:\n  max_timeout: %s\n  max_output_bytes: %s\n"
		         "  max_concurrent: %s\ncli_runs: policy\n",
		         ok[i].timeout, ok[i].output, ok[i].conc);
		p = parse_ok(yaml);
		sc_policy_limits(p, &lim);
		assert_int_equal(lim.max_timeout_sec, ok[i].t);
		assert_int_equal(lim.max_output_bytes, ok[i].o);
		assert_int_equal(lim.max_concurrent, ok[i].c);
		assert_true(sc_policy_cli_runs_obey(p));
		sc_policy_free(p);
	}
	/* Only what is given changes. */
	{
		struct sc_policy *p = parse_ok("version: 1\nlimits:\n  max_concurrent: 2\n");
		struct sc_policy_limits lim;

		sc_policy_limits(p, &lim);
		assert_int_equal(lim.max_concurrent, 2);
		assert_int_equal(lim.max_timeout_sec, SC_POLICY_TIMEOUT_DEFAULT);
		assert_int_equal(lim.max_output_bytes, SC_POLICY_OUTPUT_DEFAULT);
		sc_policy_free(p);
	}
}

/* ---- loading a file ------------------------------------------------------------ */

static char tmpdir[512];

static void path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int setup_dir(void **state)
{
	const char *tmp = getenv("SC_TEST_TMP");

	(void)state;
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	mkdir(tmp, 0700);
	snprintf(tmpdir, sizeof(tmpdir), "%s/policy.XXXXXX", tmp);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_load(void **state)
{
	char path[600], link[600], tool[600], tool_link[600], text[1600], err[1024];
	struct sc_policy *p = (struct sc_policy *)1;

	(void)state;
	path_in(path, sizeof(path), SC_POLICY_FILE);

	assert_int_equal(sc_policy_load(path, &p, err, sizeof(err)), SC_ERR_NOT_FOUND);
	assert_null(p);

	write_file(path, go_policy, 0600);
	assert_int_equal(sc_policy_load(path, &p, err, sizeof(err)), SC_OK);
	assert_denied(p, "curl", "/usr/bin/curl", NULL, 0, "not allowed");
	sc_policy_free(p);

	/* Read-only for the owner is fine too. */
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(sc_policy_load(path, &p, err, sizeof(err)), SC_OK);
	sc_policy_free(p);
	assert_int_equal(chmod(path, 0600), 0);

	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(sc_policy_load(path, &p, err, sizeof(err)), SC_ERR_PERM);
	assert_null(p);
	assert_non_null(strstr(err, "chmod 600"));
	assert_non_null(strstr(err, path));
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(sc_policy_load(path, &p, err, sizeof(err)), SC_ERR_PERM);
	assert_int_equal(chmod(path, 0600), 0);

	path_in(link, sizeof(link), "link.yaml");
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(sc_policy_load(link, &p, err, sizeof(err)), SC_ERR_PERM);
	assert_null(p);
	assert_non_null(strstr(err, "symlink"));

	assert_int_equal(sc_policy_load(tmpdir, &p, err, sizeof(err)), SC_ERR_PERM);
	assert_non_null(strstr(err, "not a regular file"));

	/* A bad file: its path and the line. */
	write_file(path, "version: 1\ndefault_action: deny\nallowed_commands: [aws]\nbogus: 1\n",
	           0600);
	assert_int_equal(sc_policy_load(path, &p, err, sizeof(err)), SC_ERR_INVALID);
	assert_null(p);
	snprintf(text, sizeof(text), "%s: line 4: unknown key 'bogus'", path);
	assert_non_null(strstr(err, text));

	/* An absolute entry naming a symlink matches the program behind it. */
	path_in(tool, sizeof(tool), "real-tool");
	path_in(tool_link, sizeof(tool_link), "tool");
	write_file(tool, "#!/bin/sh\n", 0700);
	assert_int_equal(symlink(tool, tool_link), 0);
	snprintf(text, sizeof(text), "version: 1\nallowed_commands: [\"%s\"]\n", tool_link);
	write_file(path, text, 0600);
	assert_int_equal(sc_policy_load(path, &p, err, sizeof(err)), SC_OK);
	assert_allowed(p, "tool", tool, NULL, 0);
	assert_denied(p, "tool", "/usr/bin/tool", NULL, 0, "not allowed");
	sc_policy_free(p);
	/* Parsing alone resolves nothing. */
	assert_int_equal(sc_policy_parse(text, strlen(text), &p, err, sizeof(err)), SC_OK);
	assert_denied(p, "tool", tool, NULL, 0, "not allowed");
	sc_policy_free(p);
}

static void test_load_toobig(void **state)
{
	char path[600], err[512];
	size_t n = SC_POLICY_MAX_BYTES + 10;
	char *big = malloc(n + 1);
	struct sc_policy *p = NULL;

	(void)state;
	assert_non_null(big);
	memset(big, '#', n);
	big[n] = '\0';
	path_in(path, sizeof(path), "big.yaml");
	write_file(path, big, 0600);
	assert_int_equal(sc_policy_load(path, &p, err, sizeof(err)), SC_ERR_TOOBIG);
	assert_null(p);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_go_file),          cmocka_unit_test(test_strict_errors),
	    cmocka_unit_test(test_size_bound),       cmocka_unit_test(test_count_bound),
	    cmocka_unit_test(test_builtin_commands), cmocka_unit_test(test_builtin_inline_code),
	    cmocka_unit_test(test_builtin_proc),     cmocka_unit_test(test_optin),
	    cmocka_unit_test(test_builtin_table),    cmocka_unit_test(test_resolved_path),
	    cmocka_unit_test(test_no_policy),        cmocka_unit_test(test_denied_beats_allowed),
	    cmocka_unit_test(test_arg_patterns),     cmocka_unit_test(test_secret_bindings),
	    cmocka_unit_test(test_limits),           cmocka_unit_test(test_load),
	    cmocka_unit_test(test_load_toobig),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
