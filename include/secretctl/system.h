/* system.h - the dedicated run user (issue 18): the root-owned file that
 * says a vault lives under a system user and which uids its agent admits,
 * and the process-wide agent endpoint it names. docs/SYSTEM-AGENT.md. */
#ifndef SECRETCTL_SYSTEM_H
#define SECRETCTL_SYSTEM_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "secretctl/status.h"

#define SC_SYSTEM_DIR_DEFAULT "/etc/secretctl"
#define SC_SYSTEM_OWNERS_MAX 16
#define SC_SYSTEM_CONF_MAX 8192
#define SC_SYSTEM_USER_MAX 32
#define SC_SYSTEM_SOCK_MAX 107 /* sun_path less its NUL */

struct sc_system_conf {
	char user[SC_SYSTEM_USER_MAX + 1]; /* the run user's name */
	uid_t uid;                         /* ... its uid and gid */
	gid_t gid;
	char vault[PATH_MAX];                /* the vault directory, owned by uid */
	char socket[SC_SYSTEM_SOCK_MAX + 1]; /* the agent's socket */
	char from[PATH_MAX];                 /* where --migrate took it from ("" none) */
	uid_t owners[SC_SYSTEM_OWNERS_MAX];  /* uids the agent admits */
	size_t nowners;
};

/* The directory of the configuration files: $SECRETCTL_SYSTEM_DIR, else
 * /etc/secretctl. Never NULL. */
const char *sc_system_dir(void);
/* "<dir>/system-agent-<uid>.conf" into buf. SC_ERR_TOOBIG when it does
 * not fit. */
int sc_system_conf_path(const char *dir, uid_t uid, char *buf, size_t len) SC_WUR;
/* Parse a configuration text: "key = value" lines, '#' comments; every
 * key known, none twice; user, uid, gid, vault, socket and owners
 * required; paths absolute, no control characters. SC_ERR_INVALID with
 * the line in the error detail. Pure (fuzzed). */
int sc_system_conf_parse(const char *text, size_t len, struct sc_system_conf *c) SC_WUR;
/* The text sc_system_conf_parse reads back (malloc'd). */
int sc_system_conf_format(const struct sc_system_conf *c, char **out) SC_WUR;
/* Load and parse the file at path, which only root may have written: a
 * regular file (no symlink), owned by uid 0, not writable by group or
 * others, in a directory with the same properties. SC_ERR_NOT_FOUND when
 * there is no file; SC_ERR_PERM when it is not root's alone. */
int sc_system_conf_load(const char *path, struct sc_system_conf *c) SC_WUR;
/* The configuration that names this process's real uid (as an owner or
 * as the run user), from sc_system_dir(). SC_ERR_NOT_FOUND: none, the
 * ordinary mode. */
int sc_system_conf_find(struct sc_system_conf *c) SC_WUR;
/* Whether uid is one the configuration admits (an owner or the run user). */
int sc_system_admits(const struct sc_system_conf *c, uid_t uid);

/* Route sc_agent_connect for c->vault to c->socket, expecting its peer to
 * be c->uid (not our own uid). Process-wide, set once by the front end
 * before any connection; NULL clears it. */
void sc_agent_use_system(const struct sc_system_conf *c);
/* The endpoint sc_agent_use_system set for vault_dir: 1 and its socket
 * and expected peer uid, or 0. */
int sc_agent_system_endpoint(const char *vault_dir, const char **sock, uid_t *peer);

#endif
