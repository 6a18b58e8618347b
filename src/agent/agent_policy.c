/* agent_policy.c - which runs the agent performs. CLI runs (the user's own
 * `secretctl run`) are allowed, always sanitized. MCP runs need the MCP
 * policy; until the policy module is wired in here, the agent refuses them
 * (fail closed), exactly as the MCP server does without a policy. */
#include <stdio.h>

#include "agent/agent.h"

int agent_policy_check(const char *vault_dir, const struct sc_agent_req *q, const char *resolved,
		       char *reason, size_t reasonlen)
{
	(void)vault_dir;
	(void)resolved;
	if (q->origin == SC_AGENT_ORIGIN_CLI)
		return SC_OK;
	snprintf(reason, reasonlen,
		 "the agent has no MCP policy to apply, so it refuses MCP runs (fail closed)");
	return SC_ERR_DENIED;
}
