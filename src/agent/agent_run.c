/* agent_run.c - runs through the agent: policy, environment, audit and
 * the process engine, with the caller's fds and signals relayed. */
#include "agent/agent_int.h"
#include "secretctl/confine.h"

/* ---- runs ---- */

struct relay {
	int sock, ctl;
};

/* Client -> run control bytes; the client going away cancels the run. */
static void *relay_main(void *arg)
{
	struct relay *rl = arg;
	uint8_t b[16];
	ssize_t k;

	for (;;) {
		k = read(rl->sock, b, sizeof(b));
		if (k < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (k <= 0)
			break;
		(void)!write(rl->ctl, b, (size_t)k);
	}
	b[0] = SC_EXEC_CTL_CANCEL;
	(void)!write(rl->ctl, b, 1);
	return NULL;
}

static int run_register(struct agent *a, int ctl)
{
	size_t i;

	for (i = 0; i < AGENT_CONNS_MAX; i++)
		if (a->ctl_fds[i] < 0) {
			a->ctl_fds[i] = ctl;
			return (int)i;
		}
	return -1;
}

/* Audit a run's outcome before it starts (or why it did not). */
static int audit_run(struct agent *a, struct sc_run_plan *plan, const struct sc_agent_req *q,
                     const struct sc_runenv *re, const char *path, int status)
{
	/* the same entry as the MCP server writes with its own key: the tool
	 * as the op, the client's name */
	int mcp = q->origin == SC_AGENT_ORIGIN_MCP;
	struct sc_run_who who = {
	    mcp ? (q->tool != NULL ? q->tool : "secret_run") : "run",
	    agent_audit_source(q->origin),
	    mcp ? q->client : NULL,
	    0,
	};
	int r;

	/* refused before the keys were resolved (re NULL): the patterns asked
	 * for, as the MCP server records them with its own key */
	r = sc_run_plan_audit(plan, a->vault, &who, re, (const char *const *)q->keys, q->nkeys,
	                      path, status);
	if (r != SC_OK)
		agent_log(LOG_ERR, "cannot write the audit log: %s", sc_strerror(r));
	return r;
}

/* The base environment of a run the policy governs: the caller's TERM,
 * LANG, LC_ALL, TZ, USER and LOGNAME, and the agent's own PATH and HOME. */
struct safe_env {
	char **v; /* the request's strings, and path and home */
	char *path, *home;
};

static void safe_env_free(struct safe_env *e)
{
	free(e->v);
	free(e->path);
	free(e->home);
	memset(e, 0, sizeof(*e));
}

static int safe_base_env(const struct sc_agent_req *q, struct safe_env *e)
{
	static const char *const keep[] = {
	    "TERM=", "LANG=", "LC_ALL=", "TZ=", "USER=", "LOGNAME=", NULL};
	const char *p = getenv("PATH"), *h = getenv("HOME");
	size_t i, k, n = 0;

	memset(e, 0, sizeof(*e));
	if ((e->v = calloc(q->nenv + 3, sizeof(*e->v))) == NULL ||
	    asprintf(&e->path, "PATH=%s",
	             p != NULL && p[0] == '/' ? p : "/usr/local/bin:/usr/bin:/bin") < 0 ||
	    (h != NULL && h[0] == '/' && asprintf(&e->home, "HOME=%s", h) < 0)) {
		e->path = e->home = NULL;
		safe_env_free(e);
		return SC_ERR_NOMEM;
	}
	for (i = 0; i < q->nenv; i++)
		for (k = 0; keep[k] != NULL; k++)
			if (strncmp(q->env[i], keep[k], strlen(keep[k])) == 0) {
				e->v[n++] = (char *)q->env[i];
				break;
			}
	e->v[n++] = e->path;
	if (e->home != NULL)
		e->v[n++] = e->home;
	return SC_OK;
}

int agent_op_run(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds, size_t nfds)
{
	struct sc_runenv_opts ro;
	struct safe_env senv = {0};
	struct sc_exec_opts xo;
	struct sc_exec_result res;
	struct sc_runenv *re = NULL;
	struct sc_run_plan plan;
	struct sc_confine *cf = NULL;
	struct sc_exec_opts co;
	char *why = NULL;
	struct sc_redact_ref *rref = NULL;
	int tries;
	struct relay rl;
	pthread_t relay_thr;
	struct sc_exec_prog prog = {0};
	const char *path = NULL;
	char *detail = NULL, label[2 * 256 + 4];
	int ctl[2] = {-1, -1}, slot = -1, relaying = 0, counted = 0, r, rr;
	uint32_t timeout_ms;
	size_t capture_max, i;
	json_t *m, *shorts;
	uint8_t *outbuf = NULL;

	memset(&res, 0, sizeof(res));
	memset(&plan, 0, sizeof(plan));
	if (nfds != (q->stream ? 3u : 0u))
		return agent_reply_err(fd, SC_ERR_INVALID, "a streaming run sends exactly 3 fds");
	if (q->no_sanitize)
		return agent_reply_err(fd, SC_ERR_DENIED,
		                       "runs through the agent are always sanitized; --no-sanitize "
		                       "needs the password");
	/* a dedicated run user's child starts in the caller's directory, with
	 * the run user's rights there (docs/SYSTEM-AGENT.md) */
	if (a->o->sys != NULL && q->cwd != NULL && access(q->cwd, X_OK) != 0)
		return agent_reply_err(
		    fd, SC_ERR_DENIED,
		    "the run user '%s' cannot enter '%s': run from a directory it "
		    "can reach, or give it access (setfacl -m u:%s:x DIR, for "
		    "each directory on the way)",
		    a->o->sys->user, q->cwd, a->o->sys->user);
	if (q->exe == NULL && strchr(q->argv[0], '/') != NULL && q->argv[0][0] != '/')
		return agent_reply_err(fd, SC_ERR_INVALID,
		                       "a relative command needs its resolved path (exe)");
	/* run what was found (argv[0] as given); the policy and the audit see
	 * its real path too */
	r = sc_exec_find(q->exe != NULL ? q->exe : q->argv[0], q->path_env, &prog);
	if (r != SC_OK)
		return agent_reply_err(fd, r, "%s", q->argv[0]);
	path = prog.real;
	sc_exec_prog_label(&prog, q->argv[0], label, sizeof(label));
	/* the one pipeline: the policy sees the command before anything is
	 * decrypted, then the aliases apply */
	/* a CLI request here came without the password: from whoever has a
	 * shell as the user, so it obeys the policy (run.h) */
	if ((r = sc_run_plan_begin(
	         &plan, a->o->vault_dir,
	         q->origin == SC_AGENT_ORIGIN_MCP ? SC_RUN_ORIGIN_MCP : SC_RUN_ORIGIN_AGENT,
	         q->argv[0], path, q->argv + 1, q->argc - 1, q->keys, q->nkeys, q->env_alias)) !=
	    SC_OK) {
		pthread_mutex_lock(&a->lock);
		if (a->vault != NULL)
			(void)audit_run(a, &plan, q, NULL, label, r);
		pthread_mutex_unlock(&a->lock);
		/* a CLI run the policy leaves to a person: the client may ask
		 * at its terminal, for the password (agent_client.c) */
		rr = agent_reply_refusal(fd, r == SC_ERR_NOMEM ? r : SC_ERR_DENIED,
		                         plan.ask && q->origin == SC_AGENT_ORIGIN_CLI,
		                         plan.reason[0] ? plan.reason : sc_strerror(r));
		goto out;
	}
	timeout_ms = q->timeout_ms;
	capture_max = q->capture_max ? q->capture_max : SC_AGENT_CAPTURE_MAX;
	sc_run_plan_limits(&plan, &timeout_ms, &capture_max, NULL);
	if (capture_max > SC_AGENT_CAPTURE_MAX)
		capture_max = SC_AGENT_CAPTURE_MAX;
	/* an MCP run's child is confined (docs/CONFINEMENT.md), and so is a
	 * CLI run the policy governs; refused here, before anything is
	 * decrypted, when it cannot be */
	sc_exec_opts_init(&co);
	co.path = path;
	co.argv = (char *const *)q->argv;
	co.cwd = q->cwd;
	if ((r = sc_run_confine(&plan, a->o->vault_dir, &co, &cf, &why)) != SC_OK) {
		pthread_mutex_lock(&a->lock);
		if (a->vault != NULL)
			(void)audit_run(a, &plan, q, NULL, path, r);
		pthread_mutex_unlock(&a->lock);
		rr = agent_reply_err(fd, r == SC_ERR_NOMEM ? r : SC_ERR_DENIED,
		                     "the command cannot be confined: %s",
		                     why != NULL ? why : sc_strerror(r));
		free(why);
		goto out;
	}
	memset(&ro, 0, sizeof(ro));
	ro.patterns = sc_run_plan_keys(&plan, q->keys);
	ro.npatterns = q->nkeys;
	ro.ref_vars = (const char *const *)q->ref_vars;
	ro.ref_paths = (const char *const *)q->ref_paths;
	ro.nrefs = q->nrefs;
	ro.prefix = q->prefix;
	/* MCP children get the small base environment only, as from the server */
	/* MCP children get the small base environment only, as from the
	 * server; so does every run the policy governs: the caller's
	 * environment is whoever asked's (LD_PRELOAD, PYTHONPATH, an
	 * AWS_CONFIG_FILE with a credential_process ...), so only its terminal
	 * and locale pass, and PATH and HOME are the agent's own */
	if (!plan.unrestricted) {
		if ((r = safe_base_env(q, &senv)) != SC_OK) {
			rr = agent_reply_status(fd, r);
			goto out;
		}
		ro.clean_env = 1;
		ro.base_env = senv.v;
	} else {
		ro.clean_env = q->clean_env;
		ro.base_env = (char *const *)q->env;
	}
	pthread_mutex_lock(&a->lock);
	if (a->vault == NULL) {
		pthread_mutex_unlock(&a->lock);
		rr = agent_reply_err(fd, SC_ERR_LOCKED, AGENT_LOCKED_MSG);
		goto out;
	}
	if (a->runs >= AGENT_RUNS_MAX) {
		pthread_mutex_unlock(&a->lock);
		rr = agent_reply_err(fd, SC_ERR_BUSY, "%d runs are already in progress",
		                     AGENT_RUNS_MAX);
		goto out;
	}
	a->last_use = agent_now_s();
	/* every value in the vault is redacted, not only these (issue 11); a
	 * write from elsewhere between the two reads takes both again */
	r = a->redact == NULL ? sc_redact_cache_new(NULL, 0, &a->redact) : SC_OK;
	for (tries = 0; r == SC_OK && tries < 3; tries++) {
		uint64_t g0 = 0, g1 = 1;

		if ((r = sc_redact_get(a->redact, a->vault, &rref)) != SC_OK)
			break;
		ro.vault_sanitizer = sc_redact_sanitizer(rref);
		if ((r = sc_vault_generation(a->vault, &g0)) != SC_OK ||
		    (r = sc_runenv_build(a->vault, &ro, &re, &detail)) != SC_OK ||
		    (r = sc_vault_generation(a->vault, &g1)) != SC_OK)
			break;
		if (g0 == g1 && g1 == sc_redact_generation(rref))
			break;
		sc_runenv_free(re);
		re = NULL;
		sc_redact_put(rref);
		rref = NULL;
		r = tries == 2 ? SC_ERR_BUSY : SC_OK;
	}
	if (r == SC_OK) {
		/* may each of these secrets reach this command? */
		const char **names = calloc(sc_runenv_secret_count(re) + 1, sizeof(*names));

		for (i = 0; names != NULL && i < sc_runenv_secret_count(re); i++)
			names[i] = sc_runenv_secret(re, i);
		r = names == NULL
		        ? SC_ERR_NOMEM
		        : sc_run_plan_check_secrets(&plan, q->argv[0], path, q->argv + 1,
		                                    q->argc - 1, names, sc_runenv_secret_count(re));
		free(names);
	}
	/* the run starts only once its audit entry is on disk */
	rr = audit_run(a, &plan, q, re, label, r);
	if (r == SC_OK)
		r = rr;
	if (r == SC_OK && pipe2(ctl, O_CLOEXEC) == 0) {
		slot = run_register(a, ctl[1]);
		a->runs++;
		counted = 1;
	} else if (r == SC_OK) {
		r = SC_ERR_IO;
	}
	pthread_mutex_unlock(&a->lock);
	if (r != SC_OK) {
		/* detail names a pattern or a variable, never a value */
		if (r == SC_ERR_DENIED && plan.reason[0] != '\0')
			rr = agent_reply_err(fd, r, "%s", plan.reason);
		else
			rr = detail != NULL ? agent_reply_err(fd, r, "%s", detail)
			                    : agent_reply_status(fd, r);
		goto out;
	}
	m = json_object();
	shorts = json_array();
	for (i = 0; i < sc_runenv_short_count(re); i++)
		json_array_append_new(shorts, json_string(sc_runenv_short(re, i)));
	json_object_set_new(m, "short", shorts);
	json_object_set_new(m, "started", json_true());
	if ((rr = agent_reply(fd, m, NULL, 0)) != SC_OK)
		goto out;
	rl.sock = fd;
	rl.ctl = ctl[1];
	if (pthread_create(&relay_thr, NULL, relay_main, &rl) == 0)
		relaying = 1;

	sc_exec_opts_init(&xo);
	xo.path = prog.found;
	xo.check_id = 1;
	xo.dev = prog.dev;
	xo.ino = prog.ino;
	xo.argv = (char *const *)q->argv; /* argv[0] as written: what the policy checked */
	xo.envp = sc_runenv_envp(re);
	xo.cwd = q->cwd;
	xo.timeout_ms = timeout_ms;
	xo.sanitizer = sc_runenv_sanitizer(re);
	xo.out_fd = q->stream ? fds[1] : -1;
	xo.err_fd = q->stream ? fds[2] : -1;
	xo.capture_max = capture_max;
	xo.line_buffered = q->line_buffered;
	xo.ctl_fd = ctl[0];
	xo.stdin_fd = q->has_stdin ? fds[0] : -1;
	r = SC_OK;
	if (cf != NULL) {
		/* the identity check is of the target, before its wrapper
		 * takes its place */
		r = sc_exec_check_id(&xo);
		xo.check_id = 0;
		xo.path = co.path;
		xo.argv = co.argv;
	}
	if (r == SC_OK)
		r = sc_run_exec(&plan, &xo, &res);
	/* the environment held the values: it goes before anything else */
	sc_runenv_free(re);
	re = NULL;
	if (relaying) {
		shutdown(fd, SHUT_RD);
		pthread_join(relay_thr, NULL);
	}
	m = json_pack("{s:i,s:i,s:i,s:b,s:b,s:i,s:I,s:I,s:I,s:I,s:I}", "status", r, "exit_code",
	              res.exit_code, "term_signal", res.term_signal, "timed_out", res.timed_out,
	              "cancelled", res.cancelled, "exec_errno", res.exec_errno, "duration_ms",
	              (json_int_t)res.duration_ms, "out_dropped", (json_int_t)res.out_dropped,
	              "err_dropped", (json_int_t)res.err_dropped, "out_len",
	              (json_int_t)res.out_len, "err_len", (json_int_t)res.err_len);
	/* captured output (already sanitized) rides as one attachment */
	if (res.out_len + res.err_len > 0) {
		if ((outbuf = malloc(res.out_len + res.err_len)) == NULL) {
			json_decref(m);
			m = NULL;
		} else {
			if (res.out_len > 0)
				memcpy(outbuf, res.out, res.out_len);
			if (res.err_len > 0)
				memcpy(outbuf + res.out_len, res.err, res.err_len);
		}
	}
	rr = agent_reply(fd, m, outbuf, res.out_len + res.err_len);
out:
	safe_env_free(&senv);
	pthread_mutex_lock(&a->lock);
	if (slot >= 0)
		a->ctl_fds[slot] = -1;
	if (counted) {
		a->runs--;
		a->last_use = agent_now_s();
		pthread_cond_broadcast(&a->idle);
	}
	pthread_mutex_unlock(&a->lock);
	if (ctl[0] >= 0)
		close(ctl[0]);
	if (ctl[1] >= 0)
		close(ctl[1]);
	free(outbuf);
	sc_exec_result_release(&res);
	sc_runenv_free(re);
	sc_run_plan_release(&plan);
	sc_confine_free(cf);
	sc_redact_put(rref);
	free(detail);
	sc_exec_prog_release(&prog);
	return rr == SC_OK ? SC_ERR_NOT_FOUND : rr; /* a run ends its connection */
}
