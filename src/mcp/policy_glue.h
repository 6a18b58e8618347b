/* policy_glue.h - what the MCP tools ask of the command policy: load it
 * from the vault directory, the run limits, and the decision for a run. */
#ifndef SC_MCP_POLICY_GLUE_H
#define SC_MCP_POLICY_GLUE_H

#include "mcp/mcp.h"

struct mcp_limits {
	uint32_t max_timeout_ms;
	size_t max_output_bytes;
	size_t max_concurrent;
};

/* Load <vault>/mcp-policy.yaml. A missing file denies every run; an
 * invalid one sets s->policy_error (runs off, fail closed). */
void mcp_policy_load(struct mcp_server *s);
void mcp_policy_limits(struct mcp_server *s, struct mcp_limits *lim);
/* Decide a run. env_alias (may be NULL) rewrites the key patterns through
 * the policy's env_aliases; *rewritten (malloc'd array of npatterns, or
 * NULL when unchanged) receives them. Returns SC_OK or SC_ERR_DENIED with
 * a one-line reason for the model. */
int mcp_policy_check(struct mcp_server *s, struct sc_vault *v, const char *command,
                     const char *resolved, const char *const *args, size_t nargs,
                     const char *const *patterns, size_t npatterns, const char *env_alias,
                     const char ***rewritten, char *reason, size_t reasonlen);
/* After the keys are resolved: may these secrets reach this command? */
int mcp_policy_check_secrets(struct mcp_server *s, const char *command, const char *resolved,
                             const char *const *args, size_t nargs, const char *const *names,
                             size_t n, char *reason, size_t reasonlen);
/* Free the rewritten keys from mcp_policy_check. */
void mcp_policy_free_keys(const char **keys, size_t n);
void mcp_policy_free(struct mcp_server *s);
#endif
