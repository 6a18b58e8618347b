/* daemon.h - the unlock agent daemon (src/agent): binding its socket and
 * serving same-uid clients with the vault's key held in locked memory. */
#ifndef SC_AGENT_DAEMON_H
#define SC_AGENT_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/agent.h"

#define AGENT_CONNS_MAX 64    /* connections served at once (runs included) */
#define AGENT_RUNS_MAX 16     /* runs at once */
#define AGENT_IO_TIMEOUT_S 10 /* a client that stalls mid-request is dropped */

struct agent_opts {
	const char *vault_dir;
	int listen_fd; /* bound and listening (agent_listen) */
	int lock_fd;   /* flock held for the agent's whole life */
	const char *sock_path;
	int foreground; /* log to stderr; stay up while locked */
	/* Start unlocked with this DEK (secmem, SC_KEY_LEN; wiped and freed
	 * by agent_serve), or NULL to start locked. */
	uint8_t *dek;
	uint32_t timeout_s; /* 0: SC_AGENT_TIMEOUT_DEFAULT */
	int reveal;
};

/* Make the socket directory, take the vault's agent lock and bind its
 * socket (0600). SC_ERR_BUSY when another agent holds the lock. */
int agent_listen(const char *vault_dir, int *listen_fd, int *lock_fd, char **sock_path);
/* Serve until locked (daemon), a terminating signal, or the vault going
 * away. Returns an sc_status; the socket is unlinked and the key wiped. */
int agent_serve(struct agent_opts *o);

/* The run policy (agent_policy.c). Load mcp-policy.yaml for a run from
 * origin: *p NULL when nothing restricts it (a CLI run without
 * `cli_runs: policy`); SC_ERR_DENIED with a reason when MCP runs have no
 * policy or the file is invalid. */
struct sc_policy;
struct sc_agent_req;
int agent_policy_load(const char *vault_dir, int origin, struct sc_policy **p, char *reason,
                      size_t reasonlen);
/* The policy's decision: with names NULL for the command alone (before any
 * decryption), then with the secrets the run will inject. SC_OK or
 * SC_ERR_DENIED with a one-line reason. p NULL allows. */
int agent_policy_check(const struct sc_policy *p, const struct sc_agent_req *q,
                       const char *resolved, const char *const *names, size_t n, char *reason,
                       size_t reasonlen);
/* Key patterns rewritten through the request's env alias (*out NULL when
 * there is none); SC_ERR_DENIED for an alias the policy lacks. */
int agent_policy_keys(const struct sc_policy *p, const struct sc_agent_req *q, char ***out,
                      char *reason, size_t reasonlen);
void agent_policy_free_keys(char **keys, size_t n);
/* Time and output limits for the run (the policy's, for MCP runs). */
void agent_policy_limits(const struct sc_policy *p, const struct sc_agent_req *q,
                         uint32_t *timeout_ms, size_t *capture_max);
#endif
