/* pipeline.c - the one run pipeline's decisions (semantics: run.h): the
 * policy read the same way for every path, the command, the aliases, the
 * secrets, the limits, and the exec step. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secretctl/secretctl.h"
#include "secretctl/audit.h"
#include "secretctl/confine.h"
#include "secretctl/exec.h"
#include "secretctl/run.h"

static int deny(struct sc_run_plan *pl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int deny(struct sc_run_plan *pl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pl->reason, sizeof(pl->reason), fmt, ap);
	va_end(ap);
	return SC_ERR_DENIED;
}

/* Read the policy as every path reads it. */
static int policy_read(struct sc_run_plan *pl, const char *vault_dir)
{
	char path[4096], err[SC_RUN_REASON_MAX - 64] = "";
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", vault_dir, SC_POLICY_FILE) >=
	    sizeof(path))
		return deny(pl, "%s", "the vault path is too long");
	r = sc_policy_load(path, &pl->policy, err, sizeof(err));
	sc_clear_error();
	if (r == SC_ERR_NOT_FOUND) {
		pl->policy = NULL;
		/* no file: runs with the password are unrestricted, the others
		 * denied (by the command check, which names the file to write) */
		pl->unrestricted = pl->origin == SC_RUN_ORIGIN_CLI;
		return SC_OK;
	}
	if (r == SC_ERR_NOMEM)
		return r;
	if (r != SC_OK) {
		pl->invalid = 1;
		return deny(pl, "the policy file is invalid, so runs are off: %s",
		            err[0] ? err : sc_strerror(r));
	}
	switch (sc_policy_cli_runs(pl->policy)) {
	case SC_POLICY_CLI_RUNS_ALLOW:
		pl->unrestricted = pl->origin != SC_RUN_ORIGIN_MCP;
		break;
	case SC_POLICY_CLI_RUNS_POLICY:
		break;
	default:
		pl->unrestricted = pl->origin == SC_RUN_ORIGIN_CLI;
		break;
	}
	return SC_OK;
}

/* A refused run through the agent says how the user gets it anyway. */
static int agent_hint(struct sc_run_plan *pl, int r)
{
	static const char hint[] =
	    " [without the password, 'secretctl run' through the agent obeys the MCP policy: "
	    "SECRETCTL_NO_AGENT=1 asks for the password; 'cli_runs: allow' in mcp-policy.yaml "
	    "opts out]";
	size_t n = strlen(pl->reason);

	if (r != SC_ERR_DENIED || pl->origin != SC_RUN_ORIGIN_AGENT || pl->invalid)
		return r;
	if (n + sizeof(hint) > sizeof(pl->reason))
		n = sizeof(pl->reason) - sizeof(hint);
	memcpy(pl->reason + n, hint, sizeof(hint));
	return r;
}

static int aliases(struct sc_run_plan *pl, const char *env_alias, const char *const *keys,
                   size_t nkeys)
{
	size_t i;
	int r;

	if (env_alias == NULL || env_alias[0] == '\0')
		return SC_OK;
	if (pl->policy == NULL)
		return deny(pl, "env alias '%s' needs a policy file", env_alias);
	if ((pl->keys = calloc(nkeys + 1, sizeof(*pl->keys))) == NULL)
		return SC_ERR_NOMEM;
	pl->nkeys = nkeys;
	for (i = 0; i < nkeys; i++) {
		char buf[SC_NAME_MAX + 1];

		r = sc_policy_resolve_alias(pl->policy, env_alias, keys[i], buf, sizeof(buf));
		if (r == SC_OK && (pl->keys[i] = strdup(buf)) == NULL)
			return SC_ERR_NOMEM;
		if (r == SC_ERR_NOT_FOUND)
			return deny(pl, "the policy defines no env alias '%s'", env_alias);
		if (r != SC_OK)
			return deny(pl, "cannot apply env alias '%s'", env_alias);
	}
	return SC_OK;
}

int sc_run_plan_begin(struct sc_run_plan *pl, const char *vault_dir, int origin,
                      const char *command, const char *resolved, const char *const *args,
                      size_t nargs, const char *const *keys, size_t nkeys, const char *env_alias)
{
	int r;

	memset(pl, 0, sizeof(*pl));
	pl->origin = origin;
	if (origin != SC_RUN_ORIGIN_CLI && origin != SC_RUN_ORIGIN_MCP &&
	    origin != SC_RUN_ORIGIN_AGENT)
		return SC_ERR_INVALID;
	if ((r = policy_read(pl, vault_dir)) != SC_OK)
		return r;
	/* the command alone first: nothing is decrypted for a denied run */
	if ((r = sc_run_plan_check_secrets(pl, command, resolved, args, nargs, NULL, 0)) != SC_OK &&
	    !pl->ask)
		return r;
	if (pl->unrestricted && (env_alias == NULL || env_alias[0] == '\0'))
		return SC_OK;
	if (pl->ask) {
		/* a run to ask about still needs its keys aliased */
		char why[sizeof(pl->reason)];

		memcpy(why, pl->reason, sizeof(why));
		pl->ask = 0;
		if ((r = aliases(pl, env_alias, keys, nkeys)) != SC_OK)
			return r;
		memcpy(pl->reason, why, sizeof(why));
		pl->ask = 1;
		return SC_ERR_DENIED;
	}
	return aliases(pl, env_alias, keys, nkeys);
}

const char *const *sc_run_plan_keys(const struct sc_run_plan *pl, const char *const *keys)
{
	return pl->keys != NULL ? (const char *const *)pl->keys : keys;
}

int sc_run_plan_check_secrets(struct sc_run_plan *pl, const char *command, const char *resolved,
                              const char *const *args, size_t nargs, const char *const *names,
                              size_t n)
{
	int r;

	pl->ask = 0;
	if (pl->invalid)
		return SC_ERR_DENIED;
	if (pl->unrestricted)
		return SC_OK;
	if (pl->policy == NULL && pl->origin == SC_RUN_ORIGIN_AGENT)
		return deny(
		    pl, "%s",
		    "without the password, 'secretctl run' through the agent obeys "
		    "mcp-policy.yaml, and the vault has none: allow the command there, give "
		    "the password (SECRETCTL_NO_AGENT=1), or write 'cli_runs: allow' in it if "
		    "no AI agent has a shell as you");
	r = sc_policy_decide_run(pl->policy, command, resolved, args, nargs, names, n, &pl->ask,
	                         pl->reason, sizeof(pl->reason));
	sc_clear_error();
	if (r != SC_OK && pl->reason[0] == '\0')
		snprintf(pl->reason, sizeof(pl->reason), "%s", sc_strerror(r));
	return agent_hint(pl, r == SC_OK ? SC_OK : SC_ERR_DENIED);
}

void sc_run_plan_limits(const struct sc_run_plan *pl, uint32_t *timeout_ms, size_t *capture_max,
                        size_t *max_concurrent)
{
	struct sc_policy_limits lim;
	uint64_t max_ms;

	sc_policy_limits(pl->policy, &lim);
	if (max_concurrent != NULL)
		*max_concurrent = lim.max_concurrent;
	if (pl->origin != SC_RUN_ORIGIN_MCP)
		return;
	max_ms = (uint64_t)lim.max_timeout_sec * 1000u;
	if (timeout_ms != NULL && (*timeout_ms == 0 || *timeout_ms > max_ms))
		*timeout_ms = (uint32_t)max_ms;
	if (capture_max != NULL && (*capture_max == 0 || *capture_max > lim.max_output_bytes))
		*capture_max = (size_t)lim.max_output_bytes;
}

void sc_run_plan_release(struct sc_run_plan *pl)
{
	size_t i;

	for (i = 0; pl->keys != NULL && i < pl->nkeys; i++)
		free(pl->keys[i]);
	free(pl->keys);
	sc_policy_free(pl->policy);
	memset(pl, 0, sizeof(*pl));
}

int sc_run_confine(const struct sc_run_plan *pl, const char *vault_dir, struct sc_exec_opts *o,
                   struct sc_confine **hold, char **why)
{
	*hold = NULL;
	*why = NULL;
	/* runs the policy governs are confined: MCP runs, and runs through
	 * the agent unless cli_runs: allow */
	if (pl->origin == SC_RUN_ORIGIN_CLI || pl->unrestricted)
		return SC_OK;
	return sc_confine_run(pl->policy, vault_dir, o, hold, why);
}

int sc_run_plan_audit(struct sc_run_plan *pl, struct sc_vault *v, const struct sc_run_who *who,
                      const struct sc_runenv *re, const char *const *patterns, size_t npatterns,
                      const char *cmd, int status)
{
	struct sc_audit_event ev = {0};
	const char **names = NULL;
	size_t i, n = re != NULL ? sc_runenv_secret_count(re) : 0;
	char detail[512];
	int r;

	/* no plan: a refusal made after the plan was let go (an MCP run the
	 * user declined) */
	if ((pl == NULL && status == SC_OK) || who == NULL || who->op == NULL)
		return SC_ERR_INVALID;
	if (pl != NULL)
		pl->audited = 0;
	if (v == NULL)
		return SC_ERR_LOCKED;
	if (n > 0 && (names = calloc(n, sizeof(*names))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < n; i++)
		names[i] = sc_runenv_secret(re, i);
	ev.op = who->op;
	ev.source = who->source;
	ev.client = who->client;
	/* refused before the keys were resolved: the patterns asked for */
	ev.names = re != NULL ? names : patterns;
	ev.n_names = re != NULL ? n : npatterns;
	ev.cmd = cmd;
	ev.status = status;
	/* the step's own error detail is what the caller reports: keep it */
	snprintf(detail, sizeof(detail), "%s", sc_last_error());
	r = sc_audit_append(v, &ev);
	free(names);
	if (pl != NULL && status == SC_OK &&
	    (r == SC_OK || (r == SC_ERR_READONLY && who->readonly_ok)))
		pl->audited = 1;
	if (r == SC_OK && detail[0] != '\0')
		sc_set_error("%s", detail);
	return r;
}

int sc_run_exec(const struct sc_run_plan *pl, const struct sc_exec_opts *o,
                struct sc_exec_result *res)
{
	/* o is already confined (sc_run_confine, before the audit entry) */
	if (pl == NULL || !pl->audited) {
		sc_set_error("a run starts only once its audit entry is on disk");
		return SC_ERR_INTERNAL;
	}
	return sc_exec_run(o, res);
}
