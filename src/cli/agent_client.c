/* agent_client.c - the CLI's side of the unlock agent: connect, the
 * metadata calls with their fallback to the vault, and `run` through it. */
#include <fcntl.h>

#include "cli/agent_cmds.h"

void cli_print_json(json_t *o)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

int cli_no_agent(void)
{
	const char *off = getenv("SECRETCTL_NO_AGENT");

	return off != NULL && off[0] != '\0' && strcmp(off, "0") != 0;
}

/* ---- the command's session ---- */

static int session_acquire(void *arg, struct sc_vault **v)
{
	struct cli_session *cs = arg;
	int r;

	if (cs->v == NULL && (r = cli_open_vault(cs->c, 1, &cs->v)) != SC_OK)
		return r;
	*v = cs->v;
	return SC_OK;
}

static void session_warn(void *arg, const char *msg)
{
	(void)arg;
	cli_warn("%s", msg);
}

int cli_session_open(struct cli *c, struct cli_session *cs)
{
	struct sc_session_cfg cfg = {
	    .vault_dir = c->vault_dir,
	    .origin = SC_AGENT_ORIGIN_CLI,
	    .no_agent = cli_no_agent(),
	    .readonly_unaudited = 1,
	    .hooks = {.acquire = session_acquire, .warn = session_warn, .arg = cs},
	};

	memset(cs, 0, sizeof(*cs));
	cs->c = c;
	return sc_session_new(&cfg, &cs->s);
}

void cli_session_close(struct cli_session *cs)
{
	sc_session_free(cs->s);
	sc_vault_close(cs->v);
	memset(cs, 0, sizeof(*cs));
}

int cli_session_fail(struct cli_session *cs, int r, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	if (cs->s != NULL && sc_session_open_status(cs->s) != SC_OK)
		return cli_fail(sc_session_open_status(cs->s), "cannot unlock the vault");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cli_fail(r, "%s", msg);
}

/* ---- `secretctl run` through the agent ---- */

static void run_warn_short(void *arg, const char *const *vars, size_t n)
{
	size_t i;

	(void)arg;
	for (i = 0; i < n; i++)
		cli_warn("the value of '%s' is shorter than %d bytes and will not be redacted",
		         vars[i], SC_SANITIZE_MIN_LEN);
	fflush(stderr);
}

/* The same words as cmd_run.c for a run that could not start. */
static int run_refused(int r, const char *detail, const char *cmd)
{
	const char *d = detail != NULL ? detail : "";

	switch (r) {
	case SC_ERR_NOT_FOUND:
		(void)cli_error(EXIT_RUN_FAIL, "no secret matches '%s'", d);
		break;
	case SC_ERR_EXPIRED:
		(void)cli_error(EXIT_EXPIRED, "secret '%s' has expired", d);
		return EXIT_EXPIRED;
	case SC_ERR_DENIED:
		(void)cli_error(EXIT_RUN_FAIL, "the agent refused to run '%s': %s", cmd, d);
		break;
	case SC_ERR_EXISTS:
		(void)cli_error(EXIT_RUN_FAIL, "two secrets map to the variable '%s'", d);
		break;
	case SC_ERR_NAME:
		(void)cli_error(EXIT_RUN_FAIL, "'%s' does not make a valid variable name", d);
		break;
	case SC_ERR_INVALID:
		if (strncmp(d, "secretctl://", 12) != 0)
			goto other;
		(void)cli_error(EXIT_RUN_FAIL,
		                "'%s' names a secret with several fields; add /FIELD", d);
		break;
	case SC_ERR_NOEXEC:
	case SC_ERR_NOTEXEC:
		(void)cli_error(r == SC_ERR_NOEXEC ? SC_EXEC_EXIT_NOEXEC : SC_EXEC_EXIT_NOTEXEC,
		                "'%s': %s", cmd,
		                r == SC_ERR_NOEXEC ? "command not found" : "cannot execute");
		return r == SC_ERR_NOEXEC ? SC_EXEC_EXIT_NOEXEC : SC_EXEC_EXIT_NOTEXEC;
	default:
	other:
		(void)cli_fail(r, "cannot run '%s' through the agent", cmd);
	}
	return EXIT_RUN_FAIL;
}

/* The policy leaves a run to a person: ask the one at our controlling
 * terminal, if there is one, for the vault password. The answer is the
 * password, not a yes, so a process that can write to the terminal (an AI
 * agent's shell, a pty it drives) cannot give it without knowing it. 1
 * when a terminal is there to ask on. */
static int ask_at_terminal(const char *cmd)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return 0;
	close(fd);
	cli_warn("the policy leaves running '%s' with these secrets to you: give the vault "
	         "password to run it once, without the policy (or Ctrl-C to refuse)",
	         cmd);
	return 1;
}

int cli_agent_run(struct cli *c, const struct sc_runenv_opts *ro, const char *path,
                  char *const *argv, uint32_t timeout_ms, int *status)
{
	struct cli_forward fwd;
	struct sc_agent_run run;
	struct sc_exec_result res;
	const char **av = NULL;
	char *detail = NULL;
	int fd = -1, r;
	size_t i, n;
	extern char **environ;

	*status = EXIT_RUN_FAIL;
	if (ro->no_sanitize)
		return SC_ERR_LOCKED;
	{
		/* an unlocked agent, if one runs (the session's choice) */
		struct cli_session cs;

		if (cli_session_open(c, &cs) != SC_OK)
			return SC_ERR_LOCKED;
		r = sc_session_agent(cs.s, &fd, NULL);
		cli_session_close(&cs);
		if (r != SC_OK)
			return SC_ERR_LOCKED;
	}
	for (n = 0; argv[n] != NULL; n++)
		;
	if ((av = calloc(n + 1, sizeof(*av))) == NULL) {
		close(fd);
		*status = EXIT_RUN_FAIL;
		(void)cli_fail(SC_ERR_NOMEM, "out of memory");
		return SC_OK;
	}
	for (i = 0; i < n; i++)
		av[i] = argv[i];
	memset(&run, 0, sizeof(run));
	run.argv = av;
	/* the command as resolved here, so the agent runs what a run
	 * without it would have run */
	run.exe = path;
	run.keys = ro->patterns;
	run.nkeys = ro->npatterns;
	run.ref_vars = ro->ref_vars;
	run.ref_paths = ro->ref_paths;
	run.nrefs = ro->nrefs;
	run.env = ro->base_env != NULL ? ro->base_env : environ;
	run.prefix = ro->prefix;
	run.clean_env = ro->clean_env;
	run.timeout_ms = timeout_ms;
	run.origin = SC_AGENT_ORIGIN_CLI;
	run.stdin_fd = 0;
	run.out_fd = 1;
	run.err_fd = 2;
	run.line_buffered = isatty(1) || isatty(2);
	run.on_start = run_warn_short;
	if (cli_forward_start(&fwd) != SC_OK) {
		close(fd);
		free(av);
		return SC_ERR_LOCKED;
	}
	fflush(stdout);
	fflush(stderr);
	r = sc_agent_run(fd, &run, fwd.ctl[0], &res, &detail);
	cli_forward_stop(&fwd);
	close(fd);
	if (r == SC_ERR_LOCKED) {
		/* locked between connect and run: the password path takes over */
		free(detail);
		free(av);
		sc_clear_error();
		return SC_ERR_LOCKED;
	}
	if (r == SC_OK) {
		if (res.timed_out)
			cli_warn("'%s' ran out of time and was stopped", argv[0]);
		*status = res.exit_code;
	} else if ((r == SC_ERR_NOEXEC || r == SC_ERR_NOTEXEC) && res.exit_code != 0) {
		(void)cli_error(r == SC_ERR_NOEXEC ? SC_EXEC_EXIT_NOEXEC : SC_EXEC_EXIT_NOTEXEC,
		                "'%s': %s", argv[0],
		                r == SC_ERR_NOEXEC ? "command not found" : "cannot execute");
		*status = res.exit_code;
	} else if (r == SC_ERR_DENIED && sc_agent_refusal_asks() && ask_at_terminal(argv[0])) {
		/* the person at the terminal answers with the password: the run
		 * then goes the password's way, unrestricted (cmd_run.c) */
		sc_exec_result_release(&res);
		free(detail);
		free(av);
		sc_clear_error();
		return SC_ERR_LOCKED;
	} else {
		if (detail != NULL)
			sc_clear_error(); /* the detail says it; once is enough */
		*status = run_refused(r, detail, argv[0]);
		if (r == SC_ERR_DENIED && sc_agent_refusal_asks())
			cli_warn(
			    "the policy leaves this run to a person: run it at a terminal and give "
			    "the vault password to allow it once");
	}
	sc_exec_result_release(&res);
	free(detail);
	free(av);
	return SC_OK;
}
