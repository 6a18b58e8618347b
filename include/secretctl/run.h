/* run.h - the one run pipeline (run/pipeline.c) that CLI `run`, the agent
 * and the MCP server all go through, so a run is decided once, the same
 * way, from a policy read the same way:
 *
 *   resolve (sc_exec_resolve) -> policy read from the vault directory ->
 *   policy on the command -> env aliases -> environment (sc_runenv_build) ->
 *   policy on the secrets -> audit (sc_run_plan_audit) -> sc_run_exec
 *
 * The policy file is read afresh for every run on every path: an edit
 * takes effect at the next run, whoever holds the key. */
#ifndef SECRETCTL_RUN_H
#define SECRETCTL_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/exec.h"
#include "secretctl/policy.h"

/* Who asks. CLI and MCP have the values of enum sc_agent_origin; the agent
 * turns its CLI requests into SC_RUN_ORIGIN_AGENT. */
#define SC_RUN_ORIGIN_CLI 0 /* secretctl run with the password: obeys with cli_runs: policy */
#define SC_RUN_ORIGIN_MCP 1 /* secret_run: always obeys it, confined; no file denies */
/* secretctl run through the agent, without the password: whoever has a
 * shell as the user can ask for it (an AI agent included), so it obeys the
 * policy as an MCP run does, confined, unless cli_runs: allow (issue 18) */
#define SC_RUN_ORIGIN_AGENT 2

#define SC_RUN_REASON_MAX 512

struct sc_run_plan {
	int origin;
	struct sc_policy *policy; /* NULL: no file (MCP: every run denied) */
	int unrestricted;         /* a CLI or agent run the policy leaves alone */
	int invalid;              /* the file exists but does not parse */
	int ask;                  /* denied, but a person may approve it (MCP: elicitation) */
	char **keys;              /* the key patterns after env aliases; NULL: unchanged */
	size_t nkeys;
	char reason[SC_RUN_REASON_MAX]; /* why a step said no, one line */
	int audited;                    /* sc_run_plan_audit put an SC_OK entry on disk */
};

/* Steps 2-4: read <vault_dir>/mcp-policy.yaml, check the command (argv[0]
 * as written and the real path it resolved to) and its arguments, and apply
 * env_alias (NULL or "": none) to the key patterns. SC_ERR_DENIED with
 * plan->reason (plan->invalid set for an invalid file); other statuses for
 * failures (out of memory). The plan is filled in every case: release it. */
int sc_run_plan_begin(struct sc_run_plan *plan, const char *vault_dir, int origin,
                      const char *command, const char *resolved, const char *const *args,
                      size_t nargs, const char *const *keys, size_t nkeys,
                      const char *env_alias) SC_WUR;
/* The key patterns to build the environment from: the aliased ones, or
 * keys unchanged. */
const char *const *sc_run_plan_keys(const struct sc_run_plan *plan, const char *const *keys);
/* Step 6: may these secrets (the names the environment injects) reach the
 * command? SC_OK or SC_ERR_DENIED with plan->reason; plan->ask set when
 * the policy leaves the run to a person (`ask`, sc_policy_decide_run).
 * sc_run_plan_begin, too, returns SC_ERR_DENIED with plan->ask for such a
 * run, with the aliases applied. */
int sc_run_plan_check_secrets(struct sc_run_plan *plan, const char *command, const char *resolved,
                              const char *const *args, size_t nargs, const char *const *names,
                              size_t n) SC_WUR;
/* The limits an MCP run gets: *timeout_ms (0: the policy's maximum) and
 * *capture_max (0: the policy's maximum) clamped to the policy's; a CLI
 * run's are left as asked. *max_concurrent: the policy's. */
void sc_run_plan_limits(const struct sc_run_plan *plan, uint32_t *timeout_ms, size_t *capture_max,
                        size_t *max_concurrent);
void sc_run_plan_release(struct sc_run_plan *plan);

/* Step 5, confinement: an MCP run's command is rewritten to run confined
 * as the plan's policy says, vault_dir hidden (confine.h); a CLI run's is
 * left alone. Called before the run's audit entry, so that a run that
 * cannot be confined is refused, with why (malloc'd). *hold keeps the
 * confined argv until sc_confine_free. */
struct sc_confine;
int sc_run_confine(const struct sc_run_plan *pl, const char *vault_dir, struct sc_exec_opts *o,
                   struct sc_confine **hold, char **why) SC_WUR;

/* Who asks, for the run's audit entry: op ("run", or the MCP tool's
 * name), the source (enum sc_audit_source) and the MCP client's name
 * (NULL for none). readonly_ok: a vault on a read-only file system, whose
 * log cannot take the entry, may still run (the CLI says so). */
struct sc_run_who {
	const char *op;
	int source;
	const char *client;
	int readonly_ok;
};
struct sc_vault;
/*
 * Step 7, the run's audit entry, on every path: the outcome status (SC_OK:
 * the command starts now; else why it does not), the secrets the
 * environment re injects (NULL: not built yet, then names, the patterns
 * asked for or the secrets a person was asked about) and cmd, the
 * command's label. sc_audit_append's status is returned. Only an SC_OK
 * entry on disk (or SC_ERR_READONLY with who->readonly_ok) marks the plan
 * audited: sc_run_exec starts nothing else. plan may be NULL for a
 * refusal only.
 */
struct sc_runenv;
int sc_run_plan_audit(struct sc_run_plan *plan, struct sc_vault *v, const struct sc_run_who *who,
                      const struct sc_runenv *re, const char *const *names, size_t nnames,
                      const char *cmd, int status) SC_WUR;
/* Step 8, the exec step: every path starts its child here, with the
 * options sc_run_confine rewrote for an MCP run, and only once
 * sc_run_plan_audit recorded it (else SC_ERR_INTERNAL, nothing started). */
int sc_run_exec(const struct sc_run_plan *plan, const struct sc_exec_opts *o,
                struct sc_exec_result *res) SC_WUR;

#endif
