/* tools_int.h - the MCP tools' insides shared by their parts: a run job,
 * results, argument checks, vault and agent access, audit. */
#ifndef SC_MCP_TOOLS_INT_H
#define SC_MCP_TOOLS_INT_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcp/mcp.h"
#include "secretctl/agent.h"
#include "secretctl/run.h"
#include "secretctl/audit.h"
#include "secretctl/exec.h"
#include "secretctl/redact.h"

#define RUN_TIMEOUT_DEFAULT_MS (5u * 60 * 1000)
#define RUN_OUTPUT_DEFAULT (256u * 1024)
#define MASK "********"

struct mcp_ask_job;

struct mcp_job {
	struct mcp_job *next;
	struct mcp_server *s;
	json_t *id;
	pthread_t thread;
	int ctl[2]; /* write end: cancel byte */
	int done;
	/* what the thread runs */
	/* prog.found runs with argv[0] as given; path is prog.real (what the
	 * policy saw), label both names for the audit */
	struct sc_exec_prog prog;
	const char *path;
	char label[2 * 256 + 4];
	char **argv;
	struct sc_runenv *env;
	struct sc_exec_opts opts;
	struct sc_confine *confine;   /* keeps the confined command's argv */
	struct sc_redact_ref *redact; /* the whole-vault sanitizer env's is a view of */
	char *tool;
	json_t *warnings; /* for the result: arguments that name a variable */
	char **secrets;   /* names injected, for the audit entry */
	size_t nsecrets;
	/* through the unlock agent: it decrypts, applies the policy, runs and
	 * audits; this process never holds a value */
	int agent_fd;
	int audited; /* its entry is on disk (sc_run_plan_audit): it may start */
	char **akeys;
	size_t nakeys;
	char *alias, *prefix;
	struct sc_agent_run arun;
	/* a run the policy leaves to a person: the thread asks first */
	struct mcp_ask_job *ask;
};

/* Shared between the parts of this module. */
void mcp_send_tool_result(struct mcp_server *s, json_t *id, json_t *structured);
void mcp_send_tool_error(struct mcp_server *s, json_t *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *mcp_check_args(json_t *args, const char *const *strings, const char *const *arrays,
                           const char *const *required);
const char *mcp_arg_str(json_t *args, const char *key);
struct sc_vault *mcp_vault_acquire(struct mcp_server *s, json_t *id);
void mcp_vault_release(struct mcp_server *s);
int mcp_agent_conn(struct mcp_server *s);
/* The same; *busy set when the agent stayed at its connection limit. */
int mcp_agent_conn_busy(struct mcp_server *s, int *busy);
int mcp_audit(struct mcp_server *s, const char *op, const char *const *names, size_t n,
              const char *cmd, int status);
void mcp_send_audit_error(struct mcp_server *s, json_t *id, const char *tool, int r);
struct sc_run_plan;
int mcp_audit_run(struct mcp_server *s, struct sc_run_plan *plan, const char *tool,
                  const char *const *names, size_t n, const char *cmd, int status);
int64_t mcp_parse_duration(const char *s);
void mcp_tool_list(struct mcp_server *s, json_t *id, json_t *args);
struct sc_secret *mcp_fetch(struct mcp_server *s, json_t *id, const char *tool, const char *key,
                            int missing_ok);
void mcp_tool_exists(struct mcp_server *s, json_t *id, json_t *args);
void mcp_tool_masked(struct mcp_server *s, json_t *id, json_t *args);
void mcp_tool_list_fields(struct mcp_server *s, json_t *id, json_t *args);
void mcp_tool_get_field(struct mcp_server *s, json_t *id, json_t *args);
void mcp_jobs_reap(struct mcp_server *s);
void mcp_tool_run(struct mcp_server *s, json_t *id, json_t *args);
void mcp_tool_run_bindings(struct mcp_server *s, json_t *id, json_t *args);
/* tools_key.c: the named-key tools, for the keys the policy's keys: names */
void mcp_tool_key_list(struct mcp_server *s, json_t *id, json_t *args);
void mcp_tool_key_encrypt(struct mcp_server *s, json_t *id, json_t *args);
void mcp_tool_key_datakey(struct mcp_server *s, json_t *id, json_t *args);
void mcp_tool_key_sign(struct mcp_server *s, json_t *id, json_t *args);

#endif
