/* cmd_run.c - `secretctl run -k PATTERN... -- COMMAND [ARGS...]`: run a
 * command with secrets in its environment and their values redacted from
 * its output. Exit status: the command's own; 124 timeout, 126 not
 * executable, 127 not found, 128+N killed by signal N; 125 when secretctl
 * fails before the command starts. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "secretctl/exec.h"
#include "secretctl/redact.h"
#include "secretctl/policy.h"
#include "secretctl/secref.h"

#define RUN_KEYS_MAX 256
#define RUN_TIMEOUT_DEFAULT_MS (5u * 60 * 1000) /* as the Go secretctl */

const struct cli_opt cli_opts_run[] = {
    {'k', 'k', "key", "PATTERN", "secrets to inject: a name or a glob (repeatable)", 0},
    {'p', 0, "env-prefix", "P", "put P before every variable name", 0},
    {'t', 't', "timeout", "DUR",
     "stop the command after DUR (500ms, 30s, 5m, 2h; 0: never; default 5m)", 0},
    {'E', 0, "env", "ALIAS",
     "rewrite the keys with env alias ALIAS of mcp-policy.yaml (dev, prod ...)", 0},
    {'n', 0, "no-sanitize", NULL, "do not redact the values from the output", 0},
    {'f', 0, "env-file", "FILE",
     "variables from a .env file; values secretctl://NAME[/FIELD] are secrets", 0},
    {'c', 0, "clean-env", NULL, "start from an empty environment (PATH, HOME, LANG, TERM kept)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

/* "500ms", "30s", "5m", "2h", or plain seconds -> milliseconds. */
static int parse_timeout(const char *s, uint32_t *ms)
{
	uint64_t v;

	if (s != NULL && strcmp(s, "0") == 0) {
		*ms = 0; /* no time limit */
		return SC_OK;
	}
	if (sc_duration_parse(s, SC_DUR_MS | SC_DUR_S | SC_DUR_M | SC_DUR_H | SC_DUR_BARE,
	                      UINT32_MAX, &v) != SC_OK ||
	    v == 0)
		return SC_ERR_INVALID;
	*ms = (uint32_t)v;
	return SC_OK;
}

/* secretctl's own failures, before the command runs, exit 125 (an expired
 * secret has its own status, 8): with the detail or the status word when
 * the message is a generic "cannot ...". */
static int run_fail(int st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run_fail(int st, const char *fmt, ...)
{
	const char *detail = sc_last_error();
	char msg[768];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	if (detail[0] != '\0')
		snprintf(msg + n, sizeof(msg) - n, ": %s", detail);
	else if (st != SC_OK)
		snprintf(msg + n, sizeof(msg) - n, ": %s", sc_strerror(st));
	return cli_error(st == SC_ERR_EXPIRED ? EXIT_EXPIRED : EXIT_RUN_FAIL, "%s", msg);
}

/* A message that says it all. */
#define run_refuse(...) cli_error(EXIT_RUN_FAIL, __VA_ARGS__)

/* --env ALIAS: each key rewritten by the policy's env_aliases, as the Go
 * secretctl does (db/x -> prod/db/x). The copies go in out[]. */
static int apply_env_alias(struct cli *c, const char *alias, const char **keys, size_t n,
                           char **out)
{
	struct sc_policy *p = NULL;
	char *path = NULL, err[256] = "";
	size_t i;
	int r;

	if (asprintf(&path, "%s/%s", c->vault_dir, SC_POLICY_FILE) < 0)
		return cli_fail(SC_ERR_NOMEM, "out of memory");
	r = sc_policy_load(path, &p, err, sizeof(err));
	sc_clear_error();
	if (r != SC_OK) {
		r = cli_error(EXIT_RUN_FAIL, "--env '%s' needs env_aliases in '%s': %s", alias,
		              path,
		              r == SC_ERR_NOT_FOUND ? "no such file"
		              : err[0]              ? err
		                                    : sc_strerror(r));
		free(path);
		return r;
	}
	free(path);
	if (!sc_policy_has_env(p, alias)) {
		sc_policy_free(p);
		return cli_error(EXIT_RUN_FAIL,
		                 "the policy defines no env alias '%s' (env_aliases in %s); for a "
		                 "prefix on the variable names use --env-prefix",
		                 alias, SC_POLICY_FILE);
	}
	for (i = 0; i < n; i++) {
		char buf[SC_NAME_MAX + 1];

		if ((r = sc_policy_resolve_alias(p, alias, keys[i], buf, sizeof(buf))) != SC_OK ||
		    (out[i] = strdup(buf)) == NULL) {
			sc_policy_free(p);
			return cli_error(EXIT_RUN_FAIL, "cannot apply env alias '%s' to '%s'",
			                 alias, keys[i]);
		}
		keys[i] = out[i];
	}
	sc_policy_free(p);
	return EXIT_OK;
}

/* The run's audit entry, written by the run pipeline (sc_run_plan_audit):
 * re's secrets (NULL: none yet). A vault on a read-only file system runs,
 * unrecorded, and says so, as every CLI command does there. */
static int run_audit(struct sc_run_plan *plan, struct sc_vault *v, const struct sc_runenv *re,
                     const char *label, int status)
{
	static const struct sc_run_who who = {"run", SC_AUDIT_SRC_CLI, NULL, 1};
	int r = sc_run_plan_audit(plan, v, &who, re, NULL, 0, label, status);

	if (r == SC_ERR_READONLY) {
		cli_warn("the vault is on a read-only file system: this run is not recorded in the "
		         "audit log");
		sc_clear_error();
		r = SC_OK;
	}
	return r;
}

int cmd_run(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	const char *keys[RUN_KEYS_MAX], *alias = NULL;
	char *aliased[RUN_KEYS_MAX] = {0};
	struct sc_runenv_opts ro;
	struct sc_exec_opts xo;
	struct sc_exec_result res;
	struct sc_runenv *re = NULL;
	struct sc_sanitizer *vz = NULL;
	struct sc_vault *v = NULL;
	struct cli_forward fwd;
	struct sc_run_plan plan = {0};
	struct sc_exec_prog prog = {0};
	char *detail = NULL, label[2 * 256 + 4];
	int ch, r, status = EXIT_RUN_FAIL, forwarding = 0;
	size_t nkeys = 0, i;
	uint32_t timeout_ms = RUN_TIMEOUT_DEFAULT_MS;
	extern char **environ;
	static struct cli_run_envfile ef; /* large: not on the stack */
	const char *envfile = NULL;

	memset(&ro, 0, sizeof(ro));
	memset(&res, 0, sizeof(res));
	/* CLI_PASSTHROUGH: options end at the command, so its own flags are
	 * its own */
	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		const char *optarg = p.val;

		switch (ch) {
		case 'k':
			if (nkeys >= RUN_KEYS_MAX) {
				(void)cli_usage(c, "too many -k patterns (at most %d)",
				                RUN_KEYS_MAX);
				return EXIT_RUN_FAIL;
			}
			if (sc_glob_valid(optarg) != SC_OK) {
				(void)cli_usage(c, "invalid key pattern '%s'", optarg);
				return EXIT_RUN_FAIL;
			}
			keys[nkeys++] = optarg;
			break;
		case 'p':
			ro.prefix = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &timeout_ms) != SC_OK) {
				(void)cli_usage(c, "bad --timeout '%s' (e.g. 500ms, 30s, 5m, 2h)",
				                optarg);
				return EXIT_RUN_FAIL;
			}
			break;
		case 'n':
			ro.no_sanitize = 1;
			break;
		case 'c':
			ro.clean_env = 1;
			break;
		case 'E':
			alias = optarg;
			break;
		case 'f':
			if (envfile != NULL) {
				(void)cli_usage(c, "--env-file is given once");
				return EXIT_RUN_FAIL;
			}
			envfile = optarg;
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops < 1) {
		(void)cli_usage(c, "missing COMMAND (after --)");
		return EXIT_RUN_FAIL;
	}
	if (nkeys == 0 && envfile == NULL) {
		(void)cli_usage(c, "no secrets selected: give -k PATTERN or --env-file FILE");
		return EXIT_RUN_FAIL;
	}
	argv = p.ops; /* the command's line from here on */
	if (alias != NULL && (r = apply_env_alias(c, alias, keys, nkeys, aliased)) != EXIT_OK)
		goto out_keys;
	ro.patterns = keys;
	ro.npatterns = nkeys;
	ro.base_env = environ;
	if (envfile != NULL) {
		if ((r = cli_run_envfile_load(envfile, &ef)) != EXIT_OK)
			goto out_keys;
		if (cli_run_envfile_env(&ef, environ) != SC_OK) {
			r = cli_fail(SC_ERR_NOMEM, "out of memory");
			goto out_keys;
		}
		ro.base_env = ef.env;
		ro.ref_vars = (const char *const *)ef.vars;
		ro.ref_paths = (const char *const *)ef.paths;
		ro.nrefs = ef.nrefs;
	}

	/* Resolve first: a typo should not cost an unlock. */
	/* What is executed is what was found ("/usr/bin/psql", argv[0] as
	 * given), not its real path: pg_wrapper and multi-call binaries look
	 * at their own name. The audit records both names. */
	r = sc_exec_find(argv[0], getenv("PATH"), &prog);
	if (r == SC_ERR_NOEXEC || r == SC_ERR_NOTEXEC) {
		status = cli_error(r == SC_ERR_NOEXEC ? SC_EXEC_EXIT_NOEXEC : SC_EXEC_EXIT_NOTEXEC,
		                   "'%s': %s", argv[0],
		                   r == SC_ERR_NOEXEC ? "command not found" : "permission denied");
		goto out;
	}
	if (r != SC_OK) {
		status = run_fail(r, "cannot find command '%s'", argv[0]);
		goto out;
	}
	sc_exec_prog_label(&prog, argv[0], label, sizeof(label));

	/* An unlocked agent decrypts and runs the command itself. */
	if (cli_agent_run(c, &ro, prog.found, argv, timeout_ms, &status) == SC_OK)
		goto out;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK) {
		status = run_fail(r, "cannot unlock the vault");
		goto out;
	}
	/* The one run pipeline, as through the agent: the policy (read now)
	 * on the command, then on the secrets once they are known. */
	r = sc_run_plan_begin(&plan, sc_vault_dir(v), SC_RUN_ORIGIN_CLI, argv[0], prog.real,
	                      (const char *const *)argv + 1, (size_t)(p.nops - 1), keys, nkeys,
	                      NULL);
	if (r != SC_OK) {
		(void)run_audit(&plan, v, NULL, label, SC_ERR_DENIED);
		status = run_fail(SC_OK, "refused to run '%s': %s", argv[0],
		                  plan.reason[0] ? plan.reason : sc_strerror(r));
		goto out;
	}
	/* every value in the vault is redacted, not only these (issue 11) */
	/* ... and the password that opened it */
	if (!ro.no_sanitize) {
		const char *kpw;
		size_t kplen;

		(void)cli_kept_password(&kpw, &kplen);
		r = sc_redact_build(v, kpw, kplen, &vz);
	}
	if (!ro.no_sanitize && r != SC_OK) {
		status = run_fail(r, "cannot build the sanitizer");
		goto out;
	}
	ro.vault_sanitizer = vz;
	r = sc_runenv_build(v, &ro, &re, &detail);
	if (r == SC_OK) {
		size_t k, n = sc_runenv_secret_count(re);
		const char **names = calloc(n + 1, sizeof(*names));

		for (k = 0; names != NULL && k < n; k++)
			names[k] = sc_runenv_secret(re, k);
		r = names == NULL ? SC_ERR_NOMEM
		                  : sc_run_plan_check_secrets(&plan, argv[0], prog.real,
		                                              (const char *const *)argv + 1,
		                                              (size_t)(p.nops - 1), names, n);
		if (r == SC_ERR_DENIED) {
			(void)run_audit(&plan, v, re, label, r);
			free(names);
			status = run_fail(SC_OK, "refused to run '%s': %s", argv[0], plan.reason);
			goto out;
		}
		free(names);
	}
	{
		/* audit: the secrets handed to the command, before it starts; it
		 * does not start unless the entry is on disk (sc_run_exec checks) */
		int a = run_audit(&plan, v, r == SC_OK ? re : NULL, label, r);

		if (r == SC_OK && a != SC_OK) {
			sc_vault_close(v);
			v = NULL;
			status = run_fail(a, "cannot write the audit log");
			goto out;
		}
	}
	/* The child needs only its environment: the key goes now. */
	sc_vault_close(v);
	v = NULL;
	if (r != SC_OK) {
		const char *what = detail != NULL ? detail : "";

		switch (r) {
		case SC_ERR_NOT_FOUND:
			status = run_refuse("no secret matches '%s'", what);
			break;
		case SC_ERR_EXPIRED:
			status = cli_error(EXIT_EXPIRED, "secret '%s' has expired", what);
			break;
		case SC_ERR_DENIED:
			status = run_refuse(
			    "refusing to set '%s' (it changes how programs load code)", what);
			break;
		case SC_ERR_EXISTS:
			status = run_refuse("two secrets map to the variable '%s'", what);
			break;
		case SC_ERR_NAME:
			status = run_refuse("'%s' does not make a valid variable name", what);
			break;
		case SC_ERR_INVALID:
			status = sc_secref_is_ref(what)
			             ? run_refuse("'%s' names a secret with several fields; add "
			                          "/FIELD",
			                          what)
			         : detail ? run_refuse("the value for '%s' holds a NUL byte", what)
			                  : run_fail(r, "cannot prepare the environment");
			break;
		default:
			status = run_fail(r, "cannot prepare the environment");
		}
		goto out;
	}
	for (i = 0; i < sc_runenv_short_count(re); i++)
		cli_warn("the value of '%s' is shorter than %d bytes and will not be redacted",
		         sc_runenv_short(re, i), SC_SANITIZE_MIN_LEN);

	if ((r = cli_forward_start(&fwd)) != SC_OK) {
		status = run_fail(r, "cannot set up signal forwarding");
		goto out;
	}
	forwarding = 1;
	fflush(stdout);
	fflush(stderr);
	sc_exec_opts_init(&xo);
	xo.path = prog.found;
	xo.check_id = 1;
	xo.dev = prog.dev;
	xo.ino = prog.ino;
	xo.argv = argv;
	xo.envp = sc_runenv_envp(re);
	xo.timeout_ms = timeout_ms;
	xo.sanitizer = sc_runenv_sanitizer(re);
	xo.out_fd = 1;
	xo.err_fd = 2;
	xo.line_buffered = isatty(1) || isatty(2);
	xo.ctl_fd = fwd.ctl[0];
	xo.stdin_fd = 0;
	xo.tty_fd = isatty(0) ? 0 : -1;
	r = sc_run_exec(&plan, &xo, &res);
	if (r == SC_ERR_NOEXEC || r == SC_ERR_NOTEXEC) {
		(void)cli_error(r == SC_ERR_NOEXEC ? SC_EXEC_EXIT_NOEXEC : SC_EXEC_EXIT_NOTEXEC,
		                "'%s': %s", argv[0],
		                r == SC_ERR_NOEXEC ? "command not found" : "cannot execute");
		status = res.exit_code;
		goto out;
	}
	if (r != SC_OK) {
		status = run_fail(r, "cannot run '%s'", argv[0]);
		goto out;
	}
	if (res.timed_out)
		cli_warn("'%s' ran out of time and was stopped", argv[0]);
	status = res.exit_code;
out:
	if (forwarding)
		cli_forward_stop(&fwd);
	sc_run_plan_release(&plan);
	sc_exec_result_release(&res);
	sc_runenv_free(re);
	sc_sanitizer_free(vz);
	sc_vault_close(v);
	free(detail);
	sc_exec_prog_release(&prog);
	for (i = 0; i < nkeys; i++)
		free(aliased[i]);
	cli_run_envfile_release(&ef);
	return status;
out_keys:
	for (i = 0; i < nkeys; i++)
		free(aliased[i]);
	cli_run_envfile_release(&ef);
	return r;
}
