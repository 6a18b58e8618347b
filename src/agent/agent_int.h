/* agent_int.h - the daemon's insides shared by its parts: its state, a
 * connection, replies, audit. */
#ifndef SC_AGENT_AGENT_INT_H
#define SC_AGENT_AGENT_INT_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "agent/daemon.h"
#include "secretctl/secretctl.h"
#include "secretctl/audit.h"
#include "secretctl/exec.h"
#include "secretctl/policy.h"
#include "secretctl/redact.h"

struct agent {
	const struct agent_opts *o;
	pthread_mutex_t lock;   /* everything below, and every use of the vault */
	pthread_cond_t idle;    /* conns dropped to 0 */
	struct sc_vault *vault; /* NULL while locked */
	int reveal;
	uint32_t timeout_s;
	int64_t last_use; /* monotonic seconds */
	unsigned conns, runs;
	int ctl_fds[AGENT_CONNS_MAX]; /* write ends of the running runs' ctl pipes */
	int quit;
	int wake[2];             /* connections wake the main loop (after lock) */
	pthread_mutex_t pw_lock; /* one password check at a time (forward.c) */
	dev_t vdev;
	ino_t vino;
	/* the whole vault's sanitizer (redact.h): every run redacts every
	 * value; dropped with the key */
	struct sc_redact_cache *redact;
	/* the last list agent_reply (secmem) and the vault generation it was made
	 * at: while no put or delete moves the generation, a list is sent
	 * from here without decrypting every record again */
	struct {
		uint8_t *buf;
		size_t len;
		uint64_t gen;
	} list_cache;
};

struct conn {
	struct agent *a;
	int fd;
};

#define AGENT_LOCKED_MSG "the agent is locked: run 'secretctl unlock'"

/* 1: log to stderr (foreground), 0: to syslog. */
extern int agent_log_stderr;

/* Shared between the parts of this module. */
void agent_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int64_t agent_now_s(void);
void agent_wake_main(struct agent *a);
void agent_list_cache_drop(struct agent *a);
void agent_lock_key(struct agent *a, const char *why);
int agent_audit(struct agent *a, const struct sc_agent_req *q, const char *op,
                const char *const *names, size_t n, const char *cmd, int status);
int agent_audit_source(int origin);
int agent_reply(int fd, json_t *msg, const void *attach, size_t alen);
int agent_reply_err(int fd, int st, const char *fmt, ...);
int agent_reply_status(int fd, int st);
/* A refusal of a run; ask: the policy leaves it to a person ("ask": true). */
int agent_reply_refusal(int fd, int st, int ask, const char *msg);
int agent_op_list(struct agent *a, int fd, const struct sc_agent_req *q);
int agent_op_exists(struct agent *a, int fd, const struct sc_agent_req *q);
/* A secret's history: numbers, times and what changed by name, never a
 * version's contents (so use-only mode serves it too). */
int agent_op_history(struct agent *a, int fd, const struct sc_agent_req *q);
int agent_op_fields_get(struct agent *a, int fd, const struct sc_agent_req *q, int whole);
int agent_op_status(struct agent *a, int fd);
int agent_op_lock(struct agent *a, int fd);
int agent_open_with_dek(const char *dir, const uint8_t *dek, struct sc_vault **out);
int agent_op_unlock(struct agent *a, int fd, const struct sc_agent_req *q);
int agent_op_run(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                 size_t nfds);
/* A dedicated run user's agent: check the password (a wrong one is
 * audited, and the next try waits), then run the command line as a
 * secretctl child of ours on the caller's fds; reply its exit status. */
int agent_op_forward(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                     size_t nfds);
/* A named key's operation (keyop.h) with the key here; from the MCP
 * server never one that hands out a plaintext. */
int agent_op_key(struct agent *a, int fd, const struct sc_agent_req *q);
void agent_accept_one(struct agent *a, int lfd);

#endif
