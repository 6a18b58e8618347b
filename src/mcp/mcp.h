/* mcp.h - the MCP server: JSON-RPC 2.0 over stdio, one message a line. */
#ifndef SC_MCP_H
#define SC_MCP_H

#include <pthread.h>
#include <stddef.h>

#include <jansson.h>

#include "secretctl/secretctl.h"

#define MCP_LINE_MAX (1024 * 1024) /* longer lines are discarded and answered */
#define MCP_DEPTH_MAX 32           /* JSON nesting */
#define MCP_ARGS_MAX 256           /* args[] and keys[] entries */
#define MCP_STRING_MAX 65536       /* any one string argument */
#define MCP_RUNS_DEFAULT 4

struct mcp_server;
struct sc_policy;
struct sc_redact_cache;
struct mcp_pending;

/* What the front end hands the server. */
struct mcp_config {
	const char *vault_dir;
	/* Unlock on demand: returns SC_OK with *v unlocked, or a status and a
	 * message for the model (how to unlock). Called with the vault lock held. */
	int (*unlock)(void *arg, struct sc_vault **v, char *msg, size_t msglen);
	void *unlock_arg;
	/* The password unlock opened the vault with, for the sanitizer (it is
	 * redacted from every run's output too): 1 and it, or 0. May be NULL. */
	int (*password)(void *arg, const char **pw, size_t *len);
	int out_fd;
	int no_agent; /* never use the unlock agent (SECRETCTL_NO_AGENT) */
	/* the vault is a dedicated run user's (system.h): its policy is out of
	 * our reach, and the agent alone decides and runs */
	int policy_in_agent;
};

int mcp_server_new(const struct mcp_config *cfg, struct mcp_server **out);
/* Handle one complete line (without its newline). */
void mcp_server_handle_line(struct mcp_server *s, const char *line, size_t len);
/* Handle a line that went over MCP_LINE_MAX (its content is gone). */
void mcp_server_handle_oversize(struct mcp_server *s);
/* Read from fd until EOF, then cancel what still runs and wait for it. */
int mcp_server_serve(struct mcp_server *s, int in_fd);
void mcp_server_free(struct mcp_server *s);

/* ---- shared between server.c and tools.c ---- */

struct mcp_server {
	struct mcp_config cfg;
	pthread_mutex_t out_lock;   /* one writer at a time on stdout */
	pthread_mutex_t vault_lock; /* one user at a time of the vault handle */
	pthread_mutex_t jobs_lock;
	pthread_cond_t jobs_cond;
	struct sc_vault *vault; /* NULL until first unlocked */
	/* the whole vault's sanitizer, with the key here (redact.h) */
	struct sc_redact_cache *redact;
	int initialized;
	int client_elicit; /* the client can show a form (elicitation, at initialize) */
	int shutting_down; /* no new runs (jobs_lock) */
	/* requests this server sent the client, waiting for answers (elicit.c) */
	pthread_mutex_t pending_lock;
	struct mcp_pending *pending;
	int64_t next_request_id;
	pthread_mutex_t pin_lock; /* one "always" write to the policy file at a time */
	char protocol[16];
	char client_name[128];
	struct mcp_job *jobs;
	size_t njobs_running;
	size_t max_runs;
	json_t *tools; /* the tools/list array */
	/* secret_list without expiring_within, serialized, for the vault and
	 * the generation of it it was built at (a vault made again in the
	 * same place counts its generations from 0 again); only secret_list,
	 * on the thread that reads requests, uses it */
	struct {
		uint8_t vault[SC_VAULT_ID_LEN];
		uint64_t gen;
		char *tag; /* the tag filter, or NULL */
		char *result;
	} list_cache;
};

void mcp_send(struct mcp_server *s, json_t *msg);
void mcp_send_result(struct mcp_server *s, json_t *id, json_t *result);
void mcp_send_error(struct mcp_server *s, json_t *id, int code, const char *msg);
/* A result already serialized as JSON text (a cached one). */
void mcp_send_result_raw(struct mcp_server *s, json_t *id, const char *result_json);

/* tools.c */
int mcp_tools_init(struct mcp_server *s);
/* Handle tools/call. Either answers at once or starts a job that answers
 * later (runs). */
void mcp_tools_call(struct mcp_server *s, json_t *id, json_t *params);
/* notifications/cancelled */
void mcp_tools_cancel(struct mcp_server *s, json_t *request_id);
/* Cancel every job and wait for all of them. */
void mcp_tools_shutdown(struct mcp_server *s);
void mcp_tools_free(struct mcp_server *s);
#endif
