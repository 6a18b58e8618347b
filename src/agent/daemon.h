/* daemon.h - the unlock agent daemon (src/agent): binding its socket and
 * serving same-uid clients with the vault's key held in locked memory. */
#ifndef SC_AGENT_DAEMON_H
#define SC_AGENT_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/agent.h"
#include "secretctl/system.h"

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
	/* ... and the password it came from (secmem, or NULL), for the
	 * sanitizer; freed by agent_serve */
	char *pw;
	size_t pw_len;
	uint32_t timeout_s; /* 0: SC_AGENT_TIMEOUT_DEFAULT */
	int reveal;
	/* A dedicated run user's agent (system.h), or NULL: it listens on
	 * sys->socket, admits sys's uids, and forwards commands (exe: this
	 * binary, to run them with; confdir: where sys came from). */
	const struct sc_system_conf *sys;
	const char *exe;
	const char *confdir;
};

/* Make the socket directory, take the vault's agent lock and bind its
 * socket (0600). SC_ERR_BUSY when another agent holds the lock. */
int agent_listen(const char *vault_dir, int *listen_fd, int *lock_fd, char **sock_path);
/* The same for a dedicated run user's agent: the socket at sys->socket
 * (0666: who may talk is decided by SO_PEERCRED), the lock beside it; the
 * directory must be ours and not writable by others. */
int agent_listen_system(const struct sc_system_conf *sys, int *listen_fd, int *lock_fd);
/* Serve until locked (daemon), a terminating signal, or the vault going
 * away. Returns an sc_status; the socket is unlinked and the key wiped. */
int agent_serve(struct agent_opts *o);

#endif
