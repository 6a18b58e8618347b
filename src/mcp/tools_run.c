/* tools_run.c - secret_run and secret_run_with_bindings: policy, audit,
 * and a job per run on its own thread, its output sanitized and bounded. */
#include <limits.h>

#include "mcp/output.h"
#include "mcp/tools_ask.h"
#include "mcp/tools_int.h"
#include "secretctl/confine.h"

/* A run waiting for the user's approval (policy `ask`). */
struct mcp_ask_job {
	struct mcp_approval what;
	json_t *args; /* the call's arguments, a copy, to start the run from */
	char **patterns;
	size_t npatterns;
	uint32_t timeout_ms;
	char policy_path[PATH_MAX];
};

static void start_run(struct mcp_server *s, json_t *id, const char *tool, json_t *args,
                      const char *const *patterns, size_t npatterns, struct mcp_approval *ok);

/* ---- runs ---- */

/* The run's environment, its sanitizer a view of the whole vault's. A
 * write by another process between taking that and reading the secrets
 * would leave a new value out of it: then both are taken again. */
static int mcp_build_env(struct mcp_server *s, struct sc_vault *v, struct sc_runenv_opts *ro,
                         struct mcp_job *j, char **detail)
{
	uint64_t g0, g1;
	int r, tries;

	for (tries = 0; tries < 3; tries++) {
		if ((r = sc_redact_get(s->redact, v, &j->redact)) != SC_OK)
			return r;
		ro->vault_sanitizer = sc_redact_sanitizer(j->redact);
		if ((r = sc_vault_generation(v, &g0)) != SC_OK ||
		    (r = sc_runenv_build(v, ro, &j->env, detail)) != SC_OK ||
		    (r = sc_vault_generation(v, &g1)) != SC_OK)
			return r;
		if (g0 == g1 && g1 == sc_redact_generation(j->redact))
			return SC_OK;
		sc_runenv_free(j->env);
		j->env = NULL;
		sc_redact_put(j->redact);
		j->redact = NULL;
	}
	return SC_ERR_BUSY;
}

static void job_free(struct mcp_job *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; j->argv != NULL && j->argv[i] != NULL; i++)
		free(j->argv[i]);
	free(j->argv);
	sc_exec_prog_release(&j->prog);
	free(j->tool);
	for (i = 0; i < j->nsecrets; i++)
		free(j->secrets[i]);
	free(j->secrets);
	sc_runenv_free(j->env);
	sc_redact_put(j->redact);
	sc_confine_free(j->confine);
	if (j->agent_fd >= 0)
		close(j->agent_fd);
	for (i = 0; j->akeys != NULL && i < j->nakeys; i++)
		free(j->akeys[i]);
	free(j->akeys);
	free(j->alias);
	free(j->prefix);
	json_decref(j->warnings);
	if (j->ask != NULL) {
		mcp_approval_release(&j->ask->what);
		json_decref(j->ask->args);
		for (i = 0; j->ask->patterns != NULL && i < j->ask->npatterns; i++)
			free(j->ask->patterns[i]);
		free(j->ask->patterns);
		free(j->ask);
	}
	if (j->ctl[0] >= 0)
		close(j->ctl[0]);
	if (j->ctl[1] >= 0)
		close(j->ctl[1]);
	json_decref(j->id);
	free(j);
}

static void job_done(struct mcp_server *s, struct mcp_job *j)
{
	pthread_mutex_lock(&s->jobs_lock);
	j->done = 1;
	s->njobs_running--;
	pthread_cond_broadcast(&s->jobs_cond);
	pthread_mutex_unlock(&s->jobs_lock);
}

static void *job_main(void *arg)
{
	struct mcp_job *j = arg;
	struct mcp_server *s = j->s;
	struct sc_exec_result res = {0};
	/* the plan's audit mark travels with the job (start_run) */
	struct sc_run_plan jp = {.origin = SC_RUN_ORIGIN_MCP, .audited = j->audited};
	char *detail = NULL;
	int r;

	if (j->agent_fd >= 0) {
		r = sc_agent_run(j->agent_fd, &j->arun, j->ctl[0], &res, &detail);
		/* the agent dropped the connection before taking the request
		 * (nothing ran): once more, on a new one */
		if (r == SC_ERR_IO && (errno == EPIPE || errno == ECONNRESET) && detail == NULL) {
			int fd = mcp_agent_conn(s);

			if (fd >= 0) {
				close(j->agent_fd);
				j->agent_fd = fd;
				sc_clear_error();
				memset(&res, 0, sizeof(res));
				r = sc_agent_run(j->agent_fd, &j->arun, j->ctl[0], &res, &detail);
			}
		}
	} else {
		r = sc_run_exec(&jp, &j->opts, &res);
	}
	/* secrets leave memory as soon as the child is done */
	sc_runenv_free(j->env);
	j->env = NULL;
	if (j->agent_fd >= 0 && r != SC_OK && r != SC_ERR_NOEXEC && r != SC_ERR_NOTEXEC) {
		/* the agent refused (policy, lock, no such secret); its reason
		 * names no value */
		mcp_send_tool_error(s, j->id, "%s: %s: %s", j->tool,
		                    r == SC_ERR_DENIED ? "denied by policy" : sc_strerror(r),
		                    detail != NULL ? detail : sc_last_error());
		sc_clear_error();
	} else if (r != SC_OK && r != SC_ERR_NOEXEC && r != SC_ERR_NOTEXEC) {
		mcp_send_tool_error(s, j->id, "%s: the command could not be run: %s", j->tool,
		                    sc_strerror(r));
	} else {
		json_t *o = json_object();

		struct mcp_output eo, ee;
		/* The reply is bounded by what it costs encoded: stderr first (it
		 * says what went wrong), up to a quarter; stdout gets the rest. */
		size_t budget = MCP_REPLY_MAX - 4096;

		mcp_output_encode(res.err, res.err_len, budget / 4, &ee);
		mcp_output_encode(res.out, res.out_len, budget - ee.cost, &eo);
		json_object_set_new(o, "exit_code", json_integer(res.exit_code));
		json_object_set_new(o, "stdout", eo.text ? eo.text : json_string(""));
		json_object_set_new(o, "stderr", ee.text ? ee.text : json_string(""));
		/* what was left out: over the policy's capture limit, or over
		 * the reply's; and how many bytes were not text */
		json_object_set_new(o, "stdout_omitted_bytes",
		                    json_integer((json_int_t)(res.out_dropped + eo.cut_bytes)));
		json_object_set_new(o, "stderr_omitted_bytes",
		                    json_integer((json_int_t)(res.err_dropped + ee.cut_bytes)));
		json_object_set_new(o, "stdout_binary_bytes",
		                    json_integer((json_int_t)eo.binary_bytes));
		json_object_set_new(o, "stderr_binary_bytes",
		                    json_integer((json_int_t)ee.binary_bytes));
		json_object_set_new(o, "duration_ms", json_integer((json_int_t)res.duration_ms));
		json_object_set_new(o, "timed_out", json_boolean(res.timed_out));
		json_object_set_new(o, "cancelled", json_boolean(res.cancelled));
		json_object_set_new(o, "sanitized", json_true());
		json_object_set_new(o, "stdout_truncated",
		                    json_boolean(res.out_dropped + eo.cut_bytes > 0));
		json_object_set_new(o, "stderr_truncated",
		                    json_boolean(res.err_dropped + ee.cut_bytes > 0));
		if (j->warnings != NULL)
			json_object_set(o, "warnings", j->warnings);
		mcp_send_tool_result(s, j->id, o);
	}
	sc_exec_result_release(&res);
	free(detail);
	job_done(s, j);
	return NULL;
}

/* The question to the user, and on "once" or "always" the run, started
 * afresh: the policy is read again and the run must still be the one the
 * user saw. */
static void *ask_main(void *arg)
{
	struct mcp_job *j = arg;
	struct mcp_server *s = j->s;
	struct mcp_ask_job *a = j->ask;
	char *msg = mcp_ask_message(&a->what, a->policy_path), err[512];
	json_t *content = NULL;
	const char *why = NULL;
	int out, d = MCP_ASK_BAD;

	if (msg == NULL) {
		why = "the command is too long to show the user for approval; nothing was run";
	} else {
		out = mcp_elicit(s, j->ctl[0], msg, mcp_ask_schema(), a->timeout_ms, &content);
		if (out == MCP_ELICIT_ACCEPT && (d = mcp_ask_decision(content)) == MCP_ASK_BAD)
			out = MCP_ELICIT_MALFORMED;
		if (out != MCP_ELICIT_ACCEPT)
			why = mcp_ask_refusal(out);
		else if (d == MCP_ASK_DENY)
			why = "the user denied the run; nothing was run";
	}
	json_decref(content);
	free(msg);
	if (why != NULL) {
		(void)mcp_audit_run(s, NULL, j->tool, (const char *const *)a->what.secrets,
		                    a->what.nsecrets, j->label, SC_ERR_DENIED);
		mcp_send_tool_error(s, j->id, "%s: denied: %s", j->tool, why);
	} else {
		if (d == MCP_ASK_ALWAYS) {
			int r;

			pthread_mutex_lock(&s->pin_lock);
			r = sc_policy_pin_add(a->policy_path, a->what.path,
			                      (const char *const *)a->what.args, a->what.nargs,
			                      (const char *const *)a->what.secrets,
			                      a->what.nsecrets, err, sizeof(err));
			pthread_mutex_unlock(&s->pin_lock);
			sc_clear_error();
			if (r != SC_OK &&
			    asprintf(&a->what.warning,
			             "the user chose 'always', but no rule was added to "
			             "the policy (%s), so this run was approved once",
			             err[0] ? err : sc_strerror(r)) < 0)
				a->what.warning = NULL;
		}
		start_run(s, j->id, j->tool, a->args, (const char *const *)a->patterns,
		          a->npatterns, &a->what);
	}
	job_done(s, j);
	return NULL;
}

/* Hand the run to a thread that asks the user (the reading thread must go
 * on reading: the answer comes in on it). SC_OK: the job is the thread's;
 * otherwise the call was answered. */
static int start_ask(struct mcp_server *s, struct mcp_job *j, json_t *args,
                     const char *const *patterns, size_t npatterns, const char *command,
                     const char *const *argp, size_t nargs, const char *const *names, size_t nnames,
                     const struct sc_run_plan *plan)
{
	struct sc_policy_limits lim;
	struct mcp_ask_job *a;
	size_t i;

	if (!s->client_elicit) {
		(void)mcp_audit_run(s, NULL, j->tool, names, nnames, j->label, SC_ERR_DENIED);
		mcp_send_tool_error(s, j->id,
		                    "%s: denied by policy: %s; this MCP client did not declare the "
		                    "elicitation capability when it connected, so the user cannot "
		                    "be asked: nothing was run (the user can allow the command in "
		                    "mcp-policy.yaml, or use a client that supports elicitation)",
		                    j->tool, plan->reason);
		return SC_ERR_DENIED;
	}
	if ((j->ask = a = calloc(1, sizeof(*a))) == NULL)
		goto nomem;
	if (mcp_approval_fill(&a->what, command, j->path, argp, nargs, names, nnames,
	                      plan->reason) != SC_OK ||
	    (a->args = json_deep_copy(args)) == NULL ||
	    (a->patterns = calloc(npatterns + 1, sizeof(*a->patterns))) == NULL)
		goto nomem;
	for (i = 0; i < npatterns; i++, a->npatterns++)
		if ((a->patterns[i] = strdup(patterns[i])) == NULL)
			goto nomem;
	sc_policy_limits(plan->policy, &lim);
	a->timeout_ms = lim.ask_timeout_sec * 1000u;
	snprintf(a->policy_path, sizeof(a->policy_path), "%s/%s", s->cfg.vault_dir, SC_POLICY_FILE);
	/* no secret stays in memory while a person thinks */
	sc_runenv_free(j->env);
	j->env = NULL;
	sc_redact_put(j->redact);
	j->redact = NULL;
	if (pipe2(j->ctl, O_CLOEXEC) != 0)
		goto nomem;
	pthread_mutex_lock(&s->jobs_lock);
	if (s->shutting_down || pthread_create(&j->thread, NULL, ask_main, j) != 0) {
		pthread_mutex_unlock(&s->jobs_lock);
		goto nomem;
	}
	s->njobs_running++;
	j->next = s->jobs;
	s->jobs = j;
	pthread_mutex_unlock(&s->jobs_lock);
	return SC_OK;
nomem:
	mcp_send_tool_error(s, j->id, "%s: out of resources", j->tool);
	return SC_ERR_NOMEM;
}

/* Reap finished jobs (their threads have ended or are ending). */
void mcp_jobs_reap(struct mcp_server *s)
{
	struct mcp_job **pp, *j;

	pthread_mutex_lock(&s->jobs_lock);
	pp = &s->jobs;
	while ((j = *pp) != NULL) {
		if (j->done) {
			*pp = j->next;
			pthread_mutex_unlock(&s->jobs_lock);
			pthread_join(j->thread, NULL);
			job_free(j);
			pthread_mutex_lock(&s->jobs_lock);
			pp = &s->jobs;
		} else {
			pp = &j->next;
		}
	}
	pthread_mutex_unlock(&s->jobs_lock);
}

/* Whether var is one of the variables the run injects: by the list when
 * this process built the environment, else (through the agent) by the
 * names plain keys give, a field's NAME_FIELD included. */
static int injected(const char *var, const struct sc_runenv *env, const char *const *keys,
                    size_t nkeys, const char *prefix)
{
	char base[SC_ENV_NAME_MAX + 1];
	size_t i, n;

	if (env != NULL) {
		for (i = 0; i < sc_runenv_var_count(env); i++)
			if (strcmp(sc_runenv_var(env, i), var) == 0)
				return 1;
		return 0;
	}
	for (i = 0; i < nkeys; i++) {
		if (strpbrk(keys[i], "*?") != NULL ||
		    sc_runenv_var_name(prefix, keys[i], "value", base, sizeof(base)) != SC_OK)
			continue;
		n = strlen(base);
		if (strncmp(var, base, n) == 0 && (var[n] == '\0' || var[n] == '_'))
			return 1;
	}
	return 0;
}

/* No shell runs, so "$TOKEN" in an argument reaches the program as those
 * six characters and the run "succeeds" with the wrong text: say so in the
 * result (docs/POLICY.md, "Values in arguments"). NULL when none. */
static json_t *unexpanded_args(char *const *argv, const struct sc_runenv *env,
                               const char *const *keys, size_t nkeys, const char *prefix)
{
	json_t *w = NULL;
	size_t i;

	for (i = 1; argv[i] != NULL; i++) {
		const char *p = argv[i];

		while ((p = strchr(p, '$')) != NULL) {
			char var[SC_ENV_NAME_MAX + 1];
			size_t n = 0;
			int brace = p[1] == '{';
			const char *q = p + 1 + brace;

			if (!(*q == '_' || (*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))) {
				p++;
				continue;
			}
			while (n < SC_ENV_NAME_MAX &&
			       (q[n] == '_' || (q[n] >= 'A' && q[n] <= 'Z') ||
			        (q[n] >= 'a' && q[n] <= 'z') || (q[n] >= '0' && q[n] <= '9')))
				n++;
			memcpy(var, q, n);
			var[n] = '\0';
			p = q + n;
			if (!injected(var, env, keys, nkeys, prefix))
				continue;
			if (w == NULL)
				w = json_array();
			json_array_append_new(
			    w, json_sprintf(
			           "args[%zu] contains '$%s', which was passed as written: no "
			           "shell runs, so the program got the text, not the value of "
			           "%s. A program that needs a value in an argument must take it "
			           "from its environment: have the user allow a wrapper script "
			           "that reads $%s (by absolute path, in a directory you cannot "
			           "write; docs/POLICY.md, 'Values in arguments')",
			           i - 1, var, var, var));
		}
	}
	return w;
}

/* ok: the run the user approved (from the ask thread), or NULL. */
static void start_run(struct mcp_server *s, json_t *id, const char *tool, json_t *args,
                      const char *const *patterns, size_t npatterns, struct mcp_approval *ok)
{
	struct sc_runenv_opts ro = {0};
	struct mcp_job *j;
	struct sc_vault *v;
	const char *command = mcp_arg_str(args, "command"), *timeout = mcp_arg_str(args, "timeout");
	json_t *jargs = json_object_get(args, "args"), *el;
	char *detail = NULL, *path_env;
	const char **argp = NULL;
	struct sc_run_plan plan = {0};
	uint32_t max_timeout_ms = 0;
	size_t max_output = 0, max_concurrent = 0;
	size_t i, nargs = json_array_size(jargs);
	int64_t tsec = -1;
	int r, busy, asking;

	if (timeout != NULL && ((tsec = mcp_parse_duration(timeout)) <= 0)) {
		mcp_send_tool_error(s, id, "%s: timeout must be a duration such as 30s or 5m",
		                    tool);
		return;
	}
	if (command == NULL || *command == '\0') {
		mcp_send_tool_error(s, id, "%s: command must not be empty", tool);
		return;
	}

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->ctl[0] = j->ctl[1] = -1;
	j->agent_fd = -1;
	j->s = s;
	j->id = json_deep_copy(id); /* the ask thread may start the run */
	j->tool = strdup(tool);
	j->argv = calloc(nargs + 2, sizeof(*j->argv));
	argp = calloc(nargs + 1, sizeof(*argp));
	if (j->tool == NULL || j->argv == NULL || argp == NULL)
		goto fail_nomem;
	/* Resolve through the server's own PATH, which the child also gets
	 * (the small base environment keeps it) and the model cannot change;
	 * unset: /usr/local/bin:/usr/bin:/bin. docs/POLICY.md, "How a run is
	 * decided". */
	path_env = getenv("PATH");
	r = sc_exec_find(command, path_env, &j->prog);
	j->path = j->prog.real;
	if (r == SC_OK)
		sc_exec_prog_label(&j->prog, command, j->label, sizeof(j->label));
	if (r != SC_OK) {
		mcp_send_tool_error(s, id,
		                    r == SC_ERR_NOTEXEC ? "%s: '%s' is not executable"
		                                        : "%s: command '%s' not found",
		                    tool, command);
		goto fail;
	}
	json_array_foreach(jargs, i, el) argp[i] = json_string_value(el);

	/* The one run pipeline, with the policy read now, as on every path:
	 * an edit made mid-session counts from the next run on. */
	if (s->cfg.policy_in_agent) {
		/* a dedicated run user's policy: the agent's decision alone, with
		 * the built-in limits here (it applies the policy's) */
		plan.origin = SC_RUN_ORIGIN_MCP;
		r = SC_OK;
	} else {
		r = sc_run_plan_begin(&plan, s->cfg.vault_dir, SC_RUN_ORIGIN_MCP, command, j->path,
		                      argp, nargs, patterns, npatterns, mcp_arg_str(args, "env"));
	}
	if (r != SC_OK && plan.invalid) {
		mcp_send_tool_error(s, id, "%s: runs are disabled: %s", tool, plan.reason);
		goto fail;
	}
	if (r != SC_OK && r != SC_ERR_DENIED)
		goto fail_nomem;
	/* left to a person: asked once the secrets' names are known */
	asking = r == SC_ERR_DENIED && plan.ask;
	sc_run_plan_limits(&plan, &max_timeout_ms, &max_output, &max_concurrent);
	mcp_jobs_reap(s);
	pthread_mutex_lock(&s->jobs_lock);
	if (s->shutting_down) {
		pthread_mutex_unlock(&s->jobs_lock);
		mcp_send_tool_error(s, id, "%s: the server is shutting down; nothing was run",
		                    tool);
		goto fail;
	}
	/* an approved run's own question still counts as running */
	if (s->njobs_running - (ok != NULL) >= max_concurrent) {
		pthread_mutex_unlock(&s->jobs_lock);
		mcp_send_tool_error(
		    s, id,
		    "%s: %zu commands are already running (the policy's limit); wait for "
		    "one to finish",
		    tool, s->njobs_running);
		goto fail;
	}
	pthread_mutex_unlock(&s->jobs_lock);

	if ((j->agent_fd = mcp_agent_conn_busy(s, &busy)) >= 0) {
		/* the agent makes the same decision with the same pipeline, and
		 * audits it (a denial included), decrypts and runs */
		j->nakeys = npatterns;
		j->akeys = calloc(npatterns + 1, sizeof(*j->akeys));
		if (j->akeys == NULL)
			goto fail_nomem;
		for (i = 0; i < npatterns; i++)
			if ((j->akeys[i] = strdup(patterns[i])) == NULL)
				goto fail_nomem;
		if (mcp_arg_str(args, "env") != NULL &&
		    (j->alias = strdup(mcp_arg_str(args, "env"))) == NULL)
			goto fail_nomem;
		if (mcp_arg_str(args, "env_prefix") != NULL &&
		    (j->prefix = strdup(mcp_arg_str(args, "env_prefix"))) == NULL)
			goto fail_nomem;
		goto argv;
	}
	if (busy) {
		/* not "locked": the agent is there, but at its limit */
		mcp_send_tool_error(
		    s, id,
		    "%s: the unlock agent is busy (too many connections); nothing was "
		    "run: try again shortly",
		    tool);
		goto fail;
	}
	if ((v = mcp_vault_acquire(s, id)) == NULL)
		goto fail;
	/* The decision on the command came first, before any secret is decrypted. */
	if (r != SC_OK && !asking) {
		mcp_vault_release(s);
		(void)mcp_audit_run(s, &plan, tool, patterns, npatterns, j->label, SC_ERR_DENIED);
		mcp_send_tool_error(s, id, "%s: denied by policy: %s", tool, plan.reason);
		goto fail;
	}
	ro.patterns = (const char **)sc_run_plan_keys(&plan, patterns);
	ro.npatterns = npatterns;
	ro.prefix = mcp_arg_str(args, "env_prefix");
	ro.clean_env = 1; /* MCP children get the small base environment only */
	ro.base_env = environ;
	/* every value in the vault is redacted, not only these (issue 11) */
	if (s->redact == NULL) {
		const char *pw = NULL;
		size_t pwlen = 0;

		/* the password that opened the vault is redacted too */
		if (s->cfg.password == NULL || !s->cfg.password(s->cfg.unlock_arg, &pw, &pwlen))
			pw = NULL, pwlen = 0;
		r = sc_redact_cache_new(pw, pwlen, &s->redact);
	} else {
		r = SC_OK;
	}
	if (r != SC_OK) {
		mcp_vault_release(s);
		goto fail_nomem;
	}
	r = mcp_build_env(s, v, &ro, j, &detail);
	mcp_vault_release(s);
	if (r != SC_OK) {
		(void)mcp_audit_run(s, &plan, tool, patterns, npatterns, j->label, r);
		mcp_send_tool_error(s, id, "%s: %s%s%s", tool, sc_strerror(r), detail ? ": " : "",
		                    detail ? detail : "");
		free(detail);
		goto fail;
	}
	/* The keys are known now: may each of these secrets reach this command? */
	{
		size_t k, n = sc_runenv_secret_count(j->env);
		const char **sn = calloc(n + 1, sizeof(*sn));

		if (sn == NULL)
			goto fail_nomem;
		for (k = 0; k < n; k++)
			sn[k] = sc_runenv_secret(j->env, k);
		r = sc_run_plan_check_secrets(&plan, command, j->path, argp, nargs, sn, n);
		if (r != SC_OK && plan.ask && ok == NULL) {
			/* the user decides, on another thread */
			r = start_ask(s, j, args, patterns, npatterns, command, argp, nargs, sn, n,
			              &plan);
			free(sn);
			if (r != SC_OK)
				goto fail;
			free(argp);
			sc_run_plan_release(&plan);
			return;
		}
		/* approved: only the very run the user saw, under the policy as
		 * it reads now */
		if (r != SC_OK && plan.ask && mcp_approval_covers(ok, j->path, argp, nargs, sn, n))
			r = SC_OK;
		else if (r != SC_OK && plan.ask)
			snprintf(plan.reason, sizeof(plan.reason), "%s",
			         "the run is not the one the user approved (its program, arguments "
			         "or secrets changed meanwhile)");
		if (r != SC_OK)
			(void)mcp_audit_run(s, &plan, tool, sn, n, j->label, SC_ERR_DENIED);
		free(sn);
		if (r != SC_OK) {
			mcp_send_tool_error(s, id, "%s: denied by policy: %s", tool, plan.reason);
			goto fail;
		}
	}
	j->nsecrets = sc_runenv_secret_count(j->env);
	if ((j->secrets = calloc(j->nsecrets + 1, sizeof(*j->secrets))) == NULL)
		goto fail_nomem;
	for (i = 0; i < j->nsecrets; i++)
		if ((j->secrets[i] = strdup(sc_runenv_secret(j->env, i))) == NULL)
			goto fail_nomem;
argv:
	j->argv[0] = strdup(command);
	for (i = 0; i < nargs; i++)
		j->argv[i + 1] = strdup(argp[i]);
	for (i = 0; i <= nargs; i++)
		if (j->argv[i] == NULL)
			goto fail_nomem;
	if (pipe2(j->ctl, O_CLOEXEC) != 0)
		goto fail_nomem;
	if (j->agent_fd >= 0) {
		j->arun.argv = (const char *const *)j->argv;
		j->arun.exe = j->prog.found;
		j->arun.keys = (const char *const *)j->akeys;
		j->arun.nkeys = j->nakeys;
		j->arun.env = environ;
		j->arun.prefix = j->prefix;
		j->arun.env_alias = j->alias;
		j->arun.timeout_ms = tsec > 0 && (uint64_t)tsec * 1000 < max_timeout_ms
		                         ? (uint32_t)(tsec * 1000)
		                         : 0;
		j->arun.clean_env = 1;
		j->arun.origin = SC_AGENT_ORIGIN_MCP;
		j->arun.tool = j->tool;
		j->arun.stdin_fd = j->arun.out_fd = j->arun.err_fd = -1;
		j->arun.capture_max = max_output;
	}
	sc_exec_opts_init(&j->opts);
	j->opts.path = j->prog.found;
	j->opts.check_id = 1;
	j->opts.dev = j->prog.dev;
	j->opts.ino = j->prog.ino;
	j->opts.argv = j->argv;
	j->opts.envp = j->env != NULL ? sc_runenv_envp(j->env) : NULL; /* NULL: the agent runs it */
	j->opts.sanitizer = j->env != NULL ? sc_runenv_sanitizer(j->env) : NULL;
	j->opts.capture_max = max_output;
	j->opts.ctl_fd = j->ctl[0];
	j->opts.timeout_ms = tsec > 0 && (uint64_t)tsec * 1000 < max_timeout_ms
	                         ? (uint32_t)(tsec * 1000)
	                         : max_timeout_ms;
	/* With the key here, this process confines the child (through the
	 * agent, the agent does): refused when it cannot, before any audit
	 * entry says the run started. */
	if (j->agent_fd < 0) {
		char *why = NULL;

		r = sc_run_confine(&plan, s->cfg.vault_dir, &j->opts, &j->confine, &why);
		if (r != SC_OK) {
			(void)mcp_audit_run(s, &plan, tool, (const char *const *)j->secrets,
			                    j->nsecrets, j->path, r);
			mcp_send_tool_error(s, id, "%s: the command cannot be confined: %s", tool,
			                    why != NULL ? why : sc_strerror(r));
			free(why);
			goto fail;
		}
	}
	/* With the key here, the run starts only once its entry is on disk, as
	 * in the CLI's run: one entry, before the command, for the secrets
	 * handed to it (through the agent, the agent writes it). */
	if (j->agent_fd < 0 && (r = mcp_audit_run(s, &plan, tool, (const char *const *)j->secrets,
	                                          j->nsecrets, j->label, SC_OK)) != SC_OK) {
		mcp_send_audit_error(s, id, tool, r);
		goto fail;
	}
	j->audited = plan.audited;
	j->warnings = unexpanded_args(
	    j->argv, j->env, j->agent_fd >= 0 ? (const char *const *)j->akeys : patterns,
	    j->agent_fd >= 0 ? j->nakeys : npatterns, mcp_arg_str(args, "env_prefix"));
	if (ok != NULL && ok->warning != NULL) {
		if (j->warnings == NULL)
			j->warnings = json_array();
		json_array_append_new(j->warnings, json_string(ok->warning));
	}
	pthread_mutex_lock(&s->jobs_lock);
	if (s->shutting_down || pthread_create(&j->thread, NULL, job_main, j) != 0) {
		pthread_mutex_unlock(&s->jobs_lock);
		goto fail_nomem;
	}
	s->njobs_running++;
	j->next = s->jobs;
	s->jobs = j;
	pthread_mutex_unlock(&s->jobs_lock);
	free(argp);
	sc_run_plan_release(&plan);
	return;
fail_nomem:
	mcp_send_tool_error(s, id, "%s: out of resources", tool);
fail:
	free(argp);
	sc_run_plan_release(&plan);
	job_free(j);
}

void mcp_tool_run(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"command", "timeout", "env_prefix", "env", NULL},
	                         *const arr[] = {"keys", "args", NULL},
	                         *const req[] = {"keys", "command", NULL};
	const char *bad, **patterns;
	json_t *keys, *el;
	size_t i, n;

	if ((bad = mcp_check_args(args, str, arr, req)) != NULL) {
		mcp_send_tool_error(
		    s, id,
		    "secret_run: %s; arguments: keys (array), command, args? (array), "
		    "timeout?, env_prefix?, env?",
		    bad);
		return;
	}
	keys = json_object_get(args, "keys");
	n = json_array_size(keys);
	if (n == 0) {
		mcp_send_tool_error(s, id, "secret_run: keys must name at least one secret");
		return;
	}
	if ((patterns = calloc(n + 1, sizeof(*patterns))) == NULL)
		return;
	json_array_foreach(keys, i, el) patterns[i] = json_string_value(el);
	start_run(s, id, "secret_run", args, patterns, n, NULL);
	free(patterns);
}

void mcp_tool_run_bindings(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"key", "command", "timeout", NULL},
	                         *const arr[] = {"args", NULL},
	                         *const req[] = {"key", "command", NULL};
	struct sc_secret *sec;
	const char *bad, *key, *pat[1];

	if ((bad = mcp_check_args(args, str, arr, req)) != NULL) {
		mcp_send_tool_error(s, id,
		                    "secret_run_with_bindings: %s; arguments: key, command, args? "
		                    "(array), timeout?",
		                    bad);
		return;
	}
	key = mcp_arg_str(args, "key");
	if ((sec = mcp_fetch(s, id, "secret_run_with_bindings", key, 0)) == NULL)
		return;
	if (sc_secret_binding_count(sec) == 0) {
		sc_secret_free(sec);
		mcp_send_tool_error(
		    s, id,
		    "secret_run_with_bindings: '%s' has no bindings; use secret_run, or "
		    "ask the user to add bindings (secretctl set ... --binding ENV=field)",
		    key);
		return;
	}
	sc_secret_free(sec);
	pat[0] = key;
	start_run(s, id, "secret_run_with_bindings", args, pat, 1, NULL);
}
