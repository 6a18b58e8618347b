/* agent_policy.c - which runs the agent performs, and with what limits.
 * MCP runs obey mcp-policy.yaml exactly as the MCP server applies it (no
 * file or an invalid one: denied). The user's own CLI runs are allowed and
 * always sanitized, unless the policy says `cli_runs: policy`; an invalid
 * file stops them too, since it may have said so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon.h"
#include "secretctl/policy.h"

int agent_policy_load(const char *vault_dir, int origin, struct sc_policy **out, char *reason,
                      size_t reasonlen)
{
	struct sc_policy *p = NULL;
	char path[4096], err[512] = "";
	int r;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", vault_dir, SC_POLICY_FILE) >=
	    sizeof(path)) {
		snprintf(reason, reasonlen, "the vault path is too long");
		return SC_ERR_DENIED;
	}
	r = sc_policy_load(path, &p, err, sizeof(err));
	sc_clear_error();
	if (r == SC_ERR_NOT_FOUND) {
		if (origin == SC_AGENT_ORIGIN_CLI)
			return SC_OK; /* no file: human runs are unrestricted */
		snprintf(reason, reasonlen,
		         "no policy file '%s': every MCP run is denied until the user writes one",
		         path);
		return SC_ERR_DENIED;
	}
	if (r != SC_OK) {
		snprintf(reason, reasonlen, "the policy file is invalid, so runs are off: %s",
		         err[0] ? err : sc_strerror(r));
		return SC_ERR_DENIED;
	}
	if (origin == SC_AGENT_ORIGIN_CLI && !sc_policy_cli_runs_obey(p)) {
		sc_policy_free(p);
		return SC_OK;
	}
	*out = p;
	return SC_OK;
}

int agent_policy_check(const struct sc_policy *p, const struct sc_agent_req *q,
                       const char *resolved, const char *const *names, size_t n, char *reason,
                       size_t reasonlen)
{
	int r;

	if (p == NULL)
		return SC_OK;
	r = sc_policy_check_run(p, q->argv[0], resolved, q->argv + 1, q->argc - 1, names, n, reason,
	                        reasonlen);
	sc_clear_error();
	return r == SC_OK ? SC_OK : SC_ERR_DENIED;
}

int agent_policy_keys(const struct sc_policy *p, const struct sc_agent_req *q, char ***out,
                      char *reason, size_t reasonlen)
{
	char **keys;
	size_t i;
	int r;

	*out = NULL;
	if (q->env_alias == NULL || q->env_alias[0] == '\0')
		return SC_OK;
	if (p == NULL) {
		snprintf(reason, reasonlen, "env alias '%s' needs a policy file", q->env_alias);
		return SC_ERR_DENIED;
	}
	if ((keys = calloc(q->nkeys + 1, sizeof(*keys))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < q->nkeys; i++) {
		char buf[SC_NAME_MAX + 1];

		r = sc_policy_resolve_alias(p, q->env_alias, q->keys[i], buf, sizeof(buf));
		if (r == SC_OK && (keys[i] = strdup(buf)) == NULL)
			r = SC_ERR_NOMEM;
		if (r != SC_OK) {
			snprintf(reason, reasonlen,
			         r == SC_ERR_NOT_FOUND ? "the policy defines no env alias '%s'"
			                               : "cannot apply env alias '%s'",
			         q->env_alias);
			agent_policy_free_keys(keys, q->nkeys);
			return SC_ERR_DENIED;
		}
	}
	*out = keys;
	return SC_OK;
}

void agent_policy_free_keys(char **keys, size_t n)
{
	size_t i;

	for (i = 0; keys != NULL && i < n; i++)
		free(keys[i]);
	free(keys);
}

void agent_policy_limits(const struct sc_policy *p, const struct sc_agent_req *q,
                         uint32_t *timeout_ms, size_t *capture_max)
{
	struct sc_policy_limits lim;
	uint64_t cap;

	*timeout_ms = q->timeout_ms;
	*capture_max = q->capture_max ? q->capture_max : SC_AGENT_CAPTURE_MAX;
	if (q->origin != SC_AGENT_ORIGIN_MCP)
		return;
	/* MCP runs: the policy's limits, as the MCP server applies them */
	sc_policy_limits(p, &lim);
	if (*timeout_ms == 0 || *timeout_ms > lim.max_timeout_sec * 1000u)
		*timeout_ms = lim.max_timeout_sec * 1000u;
	cap = lim.max_output_bytes < SC_AGENT_CAPTURE_MAX ? lim.max_output_bytes
	                                                  : SC_AGENT_CAPTURE_MAX;
	if (*capture_max > cap)
		*capture_max = (size_t)cap;
}
