/* agent.h - the unlock agent's wire protocol (framing, strict request
 * decoder), its socket paths, and the client library the CLI and the MCP
 * server use to talk to it (agent_proto.c). docs/AGENT.md describes it. */
#ifndef SECRETCTL_AGENT_H
#define SECRETCTL_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/exec.h"
#include "secretctl/history.h"
#include "secretctl/vault.h"

/* Wire format: a frame is a 4-byte big-endian length and that many bytes
 * of a JSON object. A frame whose object holds "attach": N is followed by
 * exactly N raw bytes (a key, a record), read straight into secmem so no
 * key or plaintext passes through a JSON string. File descriptors travel
 * as SCM_RIGHTS on a frame's first byte. */
#define SC_AGENT_PROTO 1
#define SC_AGENT_FRAME_MAX (1024 * 1024)
#define SC_AGENT_ATTACH_MAX (16 * 1024 * 1024 + 64 * 1024)
#define SC_AGENT_ARGS_MAX 256                  /* argv entries and key patterns */
#define SC_AGENT_ENV_MAX 4096                  /* base environment entries */
#define SC_AGENT_STRING_MAX 65536              /* any one string */
#define SC_AGENT_FDS_MAX 3                     /* stdin, stdout, stderr */
#define SC_AGENT_CAPTURE_MAX (4 * 1024 * 1024) /* per stream, captured runs */
#define SC_AGENT_TIMEOUT_DEFAULT (15 * 60)     /* idle timeout, seconds */
#define SC_AGENT_TIMEOUT_MAX (7 * 24 * 3600)

enum sc_agent_op {
	SC_AGENT_OP_STATUS = 1,
	SC_AGENT_OP_LOCK,
	SC_AGENT_OP_UNLOCK, /* attach: the DEK, then the password (may be empty) */
	SC_AGENT_OP_LIST,   /* metadata of every secret, one item frame each */
	SC_AGENT_OP_EXISTS,
	SC_AGENT_OP_FIELDS,  /* one secret's metadata (no values) */
	SC_AGENT_OP_GET,     /* a whole secret; reveal mode only */
	SC_AGENT_OP_RUN,     /* run a command with secrets; fds 0-2 when streaming */
	SC_AGENT_OP_HISTORY, /* a secret's versions: numbers, times, changes by name */
	/* a dedicated run user's agent (system.h): run this secretctl command
	 * as the run user, on fds 0-2; attach: the vault password, checked
	 * first. Refused by an ordinary agent. */
	SC_AGENT_OP_FORWARD,
	/* a named key's operation (keyop.h) inside the agent: attach: the
	 * input, then the MAC or signature (aux_len bytes), then a custody
	 * key's passphrase for a signature (pp_len bytes, used once) */
	SC_AGENT_OP_KEY,
};
#define SC_AGENT_PASSWORD_MAX 1024 /* a forward's attachment */

enum sc_agent_origin {
	SC_AGENT_ORIGIN_CLI = 0, /* secretctl run */
	SC_AGENT_ORIGIN_MCP = 1, /* the MCP server's secret_run */
};

/* A decoded request. Strings point into the parsed JSON (req->json) and
 * live until sc_agent_req_release. */
struct sc_agent_req {
	int op;
	void *json; /* json_t *, owned */
	size_t attach_len;
	/* exists, fields, get */
	const char *name;
	int origin; /* list, exists, fields, get, run: who asks (audit, policy) */
	/* origin MCP: the MCP client's name and the tool asked for, so the
	 * agent's audit entry is the one the server writes with its own key */
	const char *client; /* NULL, or printable, <= SC_AUDIT_CLIENT_MAX bytes */
	const char *tool;   /* NULL, or [a-z_], <= SC_AGENT_TOOL_MAX bytes */
	/* unlock */
	uint32_t timeout_s; /* 0: the default */
	int reveal;
	/* run */
	const char **argv; /* argc entries + NULL; argv[0] as the caller wrote it */
	const char *exe;   /* NULL, or the absolute path argv[0] resolved to */
	size_t argc;
	const char **keys;
	size_t nkeys;
	/* run --env-file: "VAR=PATH" each, VAR a variable name and PATH a
	 * valid secret name (the reference's path, secref.h); split into
	 * ref_vars and ref_paths (malloc'd copies, freed with the request) */
	const char **refs;
	size_t nrefs;
	char **ref_vars, **ref_paths;
	const char **env; /* caller's environment, nenv entries + NULL */
	size_t nenv;
	const char *cwd;      /* NULL: "/" */
	const char *prefix;   /* NULL: none */
	const char *path_env; /* PATH to resolve argv[0] with; NULL: the default */
	const char *env_alias;
	uint32_t timeout_ms;
	int clean_env, no_sanitize, line_buffered;
	int stream;    /* fds 0-2 came with the request */
	int has_stdin; /* fd 0 is the child's stdin (else /dev/null) */
	size_t capture_max;
	/* key: the operation (enum sc_keyop_kind), its options, and the
	 * context (struct sc_keys_ctx *, owned) built from "ctx": ["k=v", ...] */
	int kop;
	void *kctx;
	uint32_t kversion;
	int allow_compromised, wrapped_only, prehashed, scheme, sig_format;
	size_t batch, aux_len, pp_len;
	/* list: the list the caller holds, by vault id and write generation */
	int has_known;
	uint64_t known_gen;
	uint8_t known_vault[SC_VAULT_ID_LEN];
};

/* Parse and validate one frame body as a request: a JSON object with
 * "v" == SC_AGENT_PROTO and a known "op"; every member typed, sized and
 * counted; unknown members refused. SC_ERR_INVALID, SC_ERR_TOOBIG or
 * SC_ERR_VERSION; *req is filled only on success. */
int sc_agent_req_decode(const uint8_t *buf, size_t len, struct sc_agent_req *req) SC_WUR;
void sc_agent_req_release(struct sc_agent_req *req);
const char *sc_agent_op_name(int op);

/* ---- framing (both ends) ---- */

/* Send one frame: msg (a json_t *) with "attach" set when alen > 0, then
 * the attachment; fds (at most SC_AGENT_FDS_MAX) ride on the first byte. */
int sc_agent_send(int fd, void *msg, const void *attach, size_t alen, const int *fds,
                  size_t nfds) SC_WUR;
/* Receive one frame body (malloc'd, wiped on free by the caller) and the
 * fds that came with it (up to maxfds, O_CLOEXEC; extra ones are closed).
 * SC_ERR_NOT_FOUND on a clean EOF before the first byte. */
int sc_agent_recv(int fd, uint8_t **body, size_t *len, int *fds, size_t maxfds,
                  size_t *nfds) SC_WUR;
/* Read an announced attachment of n bytes into a new secmem block. */
int sc_agent_recv_attach(int fd, size_t n, uint8_t **out) SC_WUR;

/* ---- paths ---- */

/* The directory of the agents' sockets: $XDG_RUNTIME_DIR/secretctl; when
 * that is unset, /run/user/<uid>/secretctl if /run/user/<uid> is our own
 * private directory (as systemd makes it); else /tmp/secretctl-<uid>.
 * malloc'd. */
int sc_agent_dir(char **out) SC_WUR;
/* Check (and with create, make) that directory: a real directory, not a
 * symlink, owned by us, mode 0700. SC_ERR_PERM otherwise. */
int sc_agent_dir_check(const char *dir, int create) SC_WUR;
/* Socket and lock-file paths of the agent for a vault: named after a hash
 * of the vault's real path, so one agent serves one vault. malloc'd. */
int sc_agent_paths(const char *vault_dir, char **sock, char **lock) SC_WUR;

/* ---- client ---- */

/* Connect to the vault's agent and check that its peer uid is ours.
 * SC_ERR_NOT_FOUND when no agent listens (no socket, or a stale one);
 * SC_ERR_PERM for an unsafe directory or a foreign peer. */
int sc_agent_connect(const char *vault_dir, int *fd) SC_WUR;

struct sc_agent_status {
	int unlocked;
	int reveal;
	int64_t pid;
	uint32_t timeout_s;
	uint32_t idle_left_s; /* seconds until the idle lock */
	uint32_t runs;        /* runs in progress */
};

int sc_agent_status(int fd, struct sc_agent_status *st) SC_WUR;
int sc_agent_lock(int fd) SC_WUR;
/* Hand the agent the DEK (secmem, SC_KEY_LEN bytes) and the password it
 * came from (pw_len 0: none), which every run's output is then redacted
 * of too. */
int sc_agent_unlock(int fd, const uint8_t *dek, const char *pw, size_t pw_len, uint32_t timeout_s,
                    int reveal) SC_WUR;
/* Visit every secret's metadata (fields carry no values, notes are
 * replaced by a placeholder). Same contract as sc_vault_walk. origin
 * (enum sc_agent_origin) says who asks, for the audit log. */
int sc_agent_walk(int fd, int origin, sc_vault_walk_fn fn, void *arg) SC_WUR;
/* sc_agent_walk, with the vault and its generation the agent reports for
 * the list (the vault id and the write generation of sc_vault_generation:
 * a generation alone names no list, as a vault made again in the same
 * place counts from 0 too). When known is not NULL and names the same
 * vault and generation, fn is not called: the caller already holds this
 * list, and the reply is only drained (the agent still audits it). */
struct sc_agent_list_gen {
	int known;     /* the agent reported a vault and a generation */
	int unchanged; /* they equal *known's: fn was not called */
	uint64_t gen;
	uint8_t vault[SC_VAULT_ID_LEN];
};
int sc_agent_list(int fd, int origin, sc_vault_walk_fn fn, void *arg,
                  const struct sc_agent_list_gen *known, struct sc_agent_list_gen *gen) SC_WUR;
/* The history of one secret as sc_vault_history_changes gives it (what
 * changed, by name; the agent never sends a version's contents). */
int sc_agent_history(int fd, int origin, const char *name, sc_history_changes_fn fn, void *arg,
                     int *deleted) SC_WUR;
int sc_agent_exists(int fd, int origin, const char *name, int *exists) SC_WUR;
/* One secret's metadata: as in sc_agent_walk, but non-sensitive fields
 * keep their values (what the MCP metadata tools show). */
int sc_agent_fields(int fd, int origin, const char *name, struct sc_secret **out) SC_WUR;
/* The same, for the MCP tool that asks (recorded as the audit's op). */
int sc_agent_fields_for(int fd, int origin, const char *tool, const char *name,
                        struct sc_secret **out) SC_WUR;
/* The MCP client this process speaks for (its clientInfo name, printable):
 * sent with every MCP-origin request, for the agent's audit entries. NULL
 * clears it. */
#define SC_AGENT_TOOL_MAX 64
void sc_agent_set_client(const char *name);
/* The whole secret; SC_ERR_DENIED unless the agent was unlocked with
 * reveal. */
int sc_agent_get(int fd, const char *name, struct sc_secret **out) SC_WUR;

/* A named key's operation done by the agent (keyop.h: the same table and
 * commit as in process): op's input and aux go as the attachment, and
 * res gets the output (secmem). origin MCP with tool: the agent refuses
 * what would hand a plaintext out (decrypt, a datakey's plaintext).
 * SC_ERR_TOKEN for a key in a PKCS#11 token (the caller uses it itself). */
struct sc_keyop;
struct sc_keyop_result;
int sc_agent_key(int fd, int origin, const char *tool, const struct sc_keyop *op,
                 struct sc_keyop_result *res) SC_WUR;

/* A dedicated run user's agent runs a secretctl command line (argv: the
 * command and its arguments, no global option) as its run user, on fds
 * 0-2, in cwd, with the caller's environment (less what would point the
 * child elsewhere) and the vault password pw. *exit_status: the command's.
 * SC_ERR_AUTH for a wrong password. */
int sc_agent_forward(int fd, const char *const *argv, char *const *env, const char *cwd,
                     const char *pw, size_t pw_len, const int fds[3], int *exit_status) SC_WUR;

/* After a refused run: 1 when the agent said the policy leaves it to a
 * person (`ask`), so a CLI at a terminal may ask for the password. Per
 * thread. */
int sc_agent_refusal_asks(void);

/* A run performed by the agent. */
struct sc_agent_run {
	const char *const *argv; /* argv[0]: the command as written */
	const char *exe;         /* its resolved absolute path, or NULL: the agent
	                            resolves argv[0] with path_env */
	const char *const *keys;
	size_t nkeys;
	/* secret references: variable ref_vars[i] gets secretctl://ref_paths[i] */
	const char *const *ref_vars;
	const char *const *ref_paths;
	size_t nrefs;
	char *const *env; /* base environment (usually environ) */
	const char *cwd;  /* NULL: the caller's current directory */
	const char *prefix;
	const char *path_env;
	const char *env_alias;
	uint32_t timeout_ms;
	int clean_env;
	int origin;
	const char *tool; /* origin MCP: the tool (secret_run_with_bindings ...) */
	/* Streaming: the agent writes the sanitized output to these fds (sent
	 * over the socket) and reads stdin from stdin_fd. Capture (all -1):
	 * the output comes back in the result, at most capture_max bytes a
	 * stream (0: the most the agent allows). */
	int stdin_fd, out_fd, err_fd;
	int line_buffered;
	size_t capture_max;
	/* Called once the command is about to start, with the variables
	 * whose values are too short to be redacted. */
	void (*on_start)(void *arg, const char *const *short_vars, size_t n);
	void *on_start_arg;
};

/* Ask the agent to run, forward every byte read from ctl_fd (-1: none) to
 * it (a signal number, or SC_EXEC_CTL_CANCEL), and wait for the end.
 * Same statuses as sc_exec_run; *detail (malloc'd or NULL) names what
 * failed when the environment could not be built (as sc_runenv_build). */
int sc_agent_run(int fd, const struct sc_agent_run *run, int ctl_fd, struct sc_exec_result *res,
                 char **detail) SC_WUR;

/* ---- agent side ---- */

/* Encode a secret's metadata as a record body (*out secmem): the same
 * name, fields, bindings, tags, url and times; every sensitive value
 * emptied, and with keep_plain 0 the non-sensitive ones too; notes
 * replaced by "-" when set. What list (0) and fields (1) send. */
int sc_agent_meta_encode(const struct sc_secret *s, int keep_plain, uint8_t **out,
                         size_t *len) SC_WUR;
/* The same written in place: its exact length, then the bytes into buf. */
size_t sc_agent_meta_len(const struct sc_secret *s, int keep_plain);
int sc_agent_meta_write(const struct sc_secret *s, int keep_plain, uint8_t *buf, size_t len) SC_WUR;

#endif
