/* cmd_run.c - `secretctl run -k PATTERN... -- COMMAND [ARGS...]`: run a
 * command with secrets in its environment and their values redacted from
 * its output. Exit status: the command's own; 124 timeout, 126 not
 * executable, 127 not found, 128+N killed by signal N; 125 when secretctl
 * fails before the command starts. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "secretctl/exec.h"
#include "secretctl/redact.h"

#define RUN_KEYS_MAX 256

/* "500ms", "30s", "5m", "2h", or plain seconds -> milliseconds. */
static int parse_timeout(const char *s, uint32_t *ms)
{
	uint64_t v;

	if (sc_duration_parse(s, SC_DUR_MS | SC_DUR_S | SC_DUR_M | SC_DUR_H | SC_DUR_BARE,
	                      UINT32_MAX, &v) != SC_OK ||
	    v == 0)
		return SC_ERR_INVALID;
	*ms = (uint32_t)v;
	return SC_OK;
}

/* secretctl's own failures, before the command runs, exit 125; an expired
 * secret has its own status (8). */
static int run_fail(int st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run_fail(int st, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)cli_fail(st, "%s", msg);
	return st == SC_ERR_EXPIRED ? EXIT_EXPIRED : EXIT_RUN_FAIL;
}

int cmd_run(struct cli *c, int argc, char **argv);

int cmd_run(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},     {"env-prefix", required_argument, NULL, 'p'},
	    {"timeout", required_argument, NULL, 't'}, {"no-sanitize", no_argument, NULL, 'n'},
	    {"clean-env", no_argument, NULL, 'c'},     {NULL, 0, NULL, 0},
	};
	const char *keys[RUN_KEYS_MAX];
	struct sc_runenv_opts ro;
	struct sc_exec_opts xo;
	struct sc_exec_result res;
	struct sc_runenv *re = NULL;
	struct sc_sanitizer *vz = NULL;
	struct sc_vault *v = NULL;
	struct cli_forward fwd;
	struct sc_run_plan plan = {0};
	char *detail = NULL, *path = NULL;
	int ch, r, status = EXIT_RUN_FAIL, forwarding = 0;
	size_t nkeys = 0, i;
	uint32_t timeout_ms = 0;
	extern char **environ;

	memset(&ro, 0, sizeof(ro));
	memset(&res, 0, sizeof(res));
	/* '+': options end at the command, so its own flags are its own */
	while ((ch = getopt_long(argc, argv, "+:k:", opts, NULL)) != -1) {
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
		default:
			(void)cli_opt_error(c, ch, argv);
			return EXIT_RUN_FAIL;
		}
	}
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc) {
		(void)cli_usage(c, "missing COMMAND (after --)");
		return EXIT_RUN_FAIL;
	}
	if (nkeys == 0) {
		(void)cli_usage(c, "no secrets selected: give -k PATTERN");
		return EXIT_RUN_FAIL;
	}
	ro.patterns = keys;
	ro.npatterns = nkeys;
	ro.base_env = environ;

	/* Resolve first: a typo should not cost an unlock. */
	r = sc_exec_resolve(argv[optind], getenv("PATH"), &path);
	if (r == SC_ERR_NOEXEC || r == SC_ERR_NOTEXEC) {
		(void)cli_fail(SC_OK, "'%s': %s", argv[optind],
		               r == SC_ERR_NOEXEC ? "command not found" : "permission denied");
		return r == SC_ERR_NOEXEC ? SC_EXEC_EXIT_NOEXEC : SC_EXEC_EXIT_NOTEXEC;
	}
	if (r != SC_OK)
		return run_fail(r, "cannot find command '%s'", argv[optind]);

	/* An unlocked agent decrypts and runs the command itself. */
	if (cli_agent_run(c, &ro, path, argv + optind, timeout_ms, &status) == SC_OK)
		goto out;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK) {
		status = run_fail(r, "cannot unlock the vault");
		goto out;
	}
	/* The one run pipeline, as through the agent: the policy (read now)
	 * on the command, then on the secrets once they are known. */
	r = sc_run_plan_begin(&plan, sc_vault_dir(v), SC_RUN_ORIGIN_CLI, argv[optind], path,
	                      (const char *const *)argv + optind + 1, (size_t)(argc - optind - 1),
	                      keys, nkeys, NULL);
	if (r != SC_OK) {
		(void)cli_audit(c, v, "run", NULL, 0, path, r == SC_ERR_DENIED ? r : SC_ERR_DENIED);
		status = run_fail(SC_OK, "refused to run '%s': %s", argv[optind],
		                  plan.reason[0] ? plan.reason : sc_strerror(r));
		goto out;
	}
	/* every value in the vault is redacted, not only these (issue 11) */
	if (!ro.no_sanitize && (r = sc_redact_build(v, NULL, 0, &vz)) != SC_OK) {
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
		r = names == NULL
		        ? SC_ERR_NOMEM
		        : sc_run_plan_check_secrets(&plan, argv[optind], path,
		                                    (const char *const *)argv + optind + 1,
		                                    (size_t)(argc - optind - 1), names, n);
		if (r == SC_ERR_DENIED) {
			(void)cli_audit(c, v, "run", names, n, path, r);
			free(names);
			status =
			    run_fail(SC_OK, "refused to run '%s': %s", argv[optind], plan.reason);
			goto out;
		}
		free(names);
	}
	{
		/* audit: the secrets handed to the command, before it starts; it
		 * does not start unless the entry is on disk */
		size_t k, n = r == SC_OK ? sc_runenv_secret_count(re) : 0;
		const char **names = n > 0 ? calloc(n, sizeof(*names)) : NULL;
		int a;

		for (k = 0; names != NULL && k < n; k++)
			names[k] = sc_runenv_secret(re, k);
		a = n > 0 && names == NULL ? SC_ERR_NOMEM
		                           : cli_audit(c, v, "run", names, n, path, r);
		free(names);
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
			status = run_fail(r, "no secret matches '%s'", what);
			break;
		case SC_ERR_EXPIRED:
			status = run_fail(r, "secret '%s' has expired", what);
			break;
		case SC_ERR_DENIED:
			status = run_fail(r,
			                  "refusing to set '%s' (it changes how programs load "
			                  "code)",
			                  what);
			break;
		case SC_ERR_EXISTS:
			status = run_fail(r, "two secrets map to the variable '%s'", what);
			break;
		case SC_ERR_NAME:
			status = run_fail(r, "'%s' does not make a valid variable name", what);
			break;
		case SC_ERR_INVALID:
			status = detail ? run_fail(r, "the value for '%s' holds a NUL byte", what)
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
	xo.path = path;
	xo.argv = argv + optind;
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
		(void)cli_fail(SC_OK, "'%s': %s", argv[optind],
		               r == SC_ERR_NOEXEC ? "command not found" : "cannot execute");
		status = res.exit_code;
		goto out;
	}
	if (r != SC_OK) {
		status = run_fail(r, "cannot run '%s'", argv[optind]);
		goto out;
	}
	if (res.timed_out)
		cli_warn("'%s' ran out of time and was stopped", argv[optind]);
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
	free(path);
	return status;
}
