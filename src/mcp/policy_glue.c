/* policy_glue.c - the MCP tools' use of the command policy: load it from
 * the vault directory (fail closed), the limits, and the decision for one
 * run, with env_aliases applied to the keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/policy_glue.h"
#include "secretctl/policy.h"

void mcp_policy_load(struct mcp_server *s)
{
	char *path = NULL;
	int r;

	s->policy = NULL;
	s->policy_error[0] = '\0';
	if (asprintf(&path, "%s/%s", s->cfg.vault_dir, SC_POLICY_FILE) < 0) {
		snprintf(s->policy_error, sizeof(s->policy_error), "out of memory");
		return;
	}
	r = sc_policy_load(path, &s->policy, s->policy_error, sizeof(s->policy_error));
	if (r == SC_ERR_NOT_FOUND) {
		s->policy_error[0] = '\0'; /* no file: every run is denied, with that reason */
	} else if (r != SC_OK) {
		/* sc_policy_load's message names the file and the line */
		if (s->policy_error[0] == '\0')
			snprintf(s->policy_error, sizeof(s->policy_error), "%s: %s", path,
			         sc_strerror(r));
		fprintf(stderr, "secretctl mcp-server: invalid policy, runs are disabled: %s\n",
		        s->policy_error);
	}
	free(path);
}

void mcp_policy_limits(struct mcp_server *s, struct mcp_limits *lim)
{
	struct sc_policy_limits l;

	sc_policy_limits(s->policy, &l);
	lim->max_timeout_ms = l.max_timeout_sec * 1000u;
	lim->max_output_bytes = l.max_output_bytes;
	lim->max_concurrent = l.max_concurrent;
}

int mcp_policy_check(struct mcp_server *s, struct sc_vault *v, const char *command,
                     const char *resolved, const char *const *args, size_t nargs,
                     const char *const *patterns, size_t npatterns, const char *env_alias,
                     const char ***rewritten, char *reason, size_t reasonlen)
{
	const char **out = NULL;
	size_t i;
	int r;

	(void)v;
	*rewritten = NULL;
	/* the command alone first: nothing is decrypted for a denied run */
	if ((r = sc_policy_check_run(s->policy, command, resolved, args, nargs, NULL, 0, reason,
	                             reasonlen)) != SC_OK)
		return r == SC_ERR_DENIED ? r : SC_ERR_DENIED;
	if (env_alias == NULL)
		return SC_OK;
	if ((out = calloc(npatterns + 1, sizeof(*out))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < npatterns; i++) {
		char buf[SC_NAME_MAX + 1], *k = NULL;

		r = sc_policy_resolve_alias(s->policy, env_alias, patterns[i], buf, sizeof(buf));
		if (r == SC_OK && (k = strdup(buf)) == NULL)
			r = SC_ERR_NOMEM;
		if (r != SC_OK) {
			snprintf(reason, reasonlen,
			         r == SC_ERR_NOT_FOUND ? "the policy defines no env alias '%s'"
			                               : "cannot apply env alias '%s'",
			         env_alias);
			goto fail;
		}
		out[i] = k;
	}
	*rewritten = out;
	return SC_OK;
fail:
	for (i = 0; i < npatterns; i++)
		free((char *)out[i]);
	free(out);
	return SC_ERR_DENIED;
}

int mcp_policy_check_secrets(struct mcp_server *s, const char *command, const char *resolved,
                             const char *const *args, size_t nargs, const char *const *names,
                             size_t n, char *reason, size_t reasonlen)
{
	int r = sc_policy_check_run(s->policy, command, resolved, args, nargs, names, n, reason,
	                            reasonlen);

	return r == SC_OK ? SC_OK : SC_ERR_DENIED;
}

void mcp_policy_free_keys(const char **keys, size_t n)
{
	size_t i;

	for (i = 0; keys != NULL && i < n; i++)
		free((char *)keys[i]);
	free(keys);
}

void mcp_policy_free(struct mcp_server *s)
{
	sc_policy_free(s->policy);
	s->policy = NULL;
}
