/* policy.h - the MCP command policy (mcp-policy.yaml): which commands an AI
 * agent may run through secret_run, with which arguments and which secrets.
 * The file format, the built-in denials and the opt-in are in docs/POLICY.md. */
#ifndef SECRETCTL_POLICY_H
#define SECRETCTL_POLICY_H

#include "secretctl/vault.h" /* and everything the old secretctl.h declared */

/* The policy file's name inside the vault directory. */
#define SC_POLICY_FILE "mcp-policy.yaml"

/* Hard bounds on what the reader accepts. */
#define SC_POLICY_MAX_BYTES (256 * 1024)
#define SC_POLICY_MAX_NODES 20000 /* YAML nodes in the whole file */
#define SC_POLICY_MAX_DEPTH 8     /* nested collections */
#define SC_POLICY_MAX_ITEMS 1024  /* entries in any one list or map */
#define SC_POLICY_MAX_STRING 4096 /* bytes in any one string */
#define SC_POLICY_MAX_TOKENS 64   /* tokens in one argument pattern */

/* Limits: the default when the file says nothing, and the hard cap the file
 * can not exceed (a larger value is an error, not silently clamped). */
#define SC_POLICY_TIMEOUT_DEFAULT 300 /* seconds */
#define SC_POLICY_TIMEOUT_MAX 3600
#define SC_POLICY_OUTPUT_DEFAULT (1024 * 1024) /* bytes, per stream */
#define SC_POLICY_OUTPUT_MAX (64 * 1024 * 1024)
#define SC_POLICY_CONCURRENT_DEFAULT 4
#define SC_POLICY_CONCURRENT_MAX 32
#define SC_POLICY_ASK_TIMEOUT_DEFAULT 120 /* seconds a person has to answer */
#define SC_POLICY_ASK_TIMEOUT_MAX 1800

struct sc_policy;

struct sc_policy_limits {
	uint32_t max_timeout_sec;  /* longest run an agent may ask for */
	uint64_t max_output_bytes; /* captured per output stream */
	uint32_t max_concurrent;   /* runs at the same time */
	uint32_t ask_timeout_sec;  /* how long an approval request waits */
};

/* Read and validate a policy file. Refuses a symlink, a file that is not a
 * regular file, not owned by the effective user, or accessible by group or
 * others (SC_ERR_PERM, err names the path and the fix); SC_ERR_NOT_FOUND
 * when the file does not exist (callers treat that as deny-all);
 * SC_ERR_TOOBIG over SC_POLICY_MAX_BYTES; SC_ERR_INVALID with "PATH: line
 * N: what is wrong" in err for any syntax or schema error (unknown or
 * duplicate key, wrong type, bad value). Absolute command paths in the file
 * are also resolved with realpath() here, so that "/usr/local/bin/aws"
 * matches the program its symlink points to. err may be NULL; the message
 * is also left in sc_last_error(). */
int sc_policy_load(const char *path, struct sc_policy **out, char *err, size_t errlen) SC_WUR;
/* The same from memory (for `mcp policy check`, tests and the fuzzer): no
 * file checks and no realpath(); errors read "line N: ...". */
int sc_policy_parse(const char *buf, size_t len, struct sc_policy **out, char *err,
                    size_t errlen) SC_WUR;
/* A policy that denies every run, with the default limits (what no file
 * means). */
int sc_policy_deny_all(struct sc_policy **out) SC_WUR;
void sc_policy_free(struct sc_policy *p);

/* The limits; p NULL gives the defaults. */
void sc_policy_limits(const struct sc_policy *p, struct sc_policy_limits *out);
/* What `cli_runs:` says about `secretctl run` (docs/POLICY.md). Unset (and
 * p NULL): a run through the agent, without the password, obeys the policy
 * as an MCP run does, confinement included; a run with the password is
 * unrestricted. `allow`: every CLI run is unrestricted (the opt-out for a
 * user who gives no AI a shell). `policy`: every CLI run obeys it. */
enum sc_policy_cli_runs {
	SC_POLICY_CLI_RUNS_DEFAULT = 0,
	SC_POLICY_CLI_RUNS_ALLOW,
	SC_POLICY_CLI_RUNS_POLICY,
};
int sc_policy_cli_runs(const struct sc_policy *p);
/* 1 when a program of this basename runs code it is given (shells,
 * interpreters, awk/sed/jq, make, npm, git, find, launchers, editors...:
 * the table in policy/capability.c, listed in docs/POLICY.md). Such a
 * program receives a secret only through a rule pinning its exact argv. */
int sc_policy_runs_code(const char *base);
/* What the policy lets through, one line at a time (`mcp policy check`):
 * for each allow entry, which secrets can reach that program; for each
 * secret binding, where its secrets may go; warning set on a line that
 * lets a secret reach a program able to read files it is given, take any
 * arguments, or (default_action: allow) any program at all. */
typedef void (*sc_policy_report_fn)(void *arg, int warning, const char *line);
void sc_policy_report(const struct sc_policy *p, sc_policy_report_fn fn, void *arg);
/* 1 when `cli_runs: policy` asks runs with the password to obey too. */
int sc_policy_cli_runs_obey(const struct sc_policy *p);

/* How MCP children are confined (`confinement:`; docs/CONFINEMENT.md).
 * required (the default): bubblewrap, or the run is refused;
 * best-effort: what the kernel offers, maybe nothing; off: not at all. */
#define SC_POLICY_CONFINE_REQUIRED 0
#define SC_POLICY_CONFINE_BEST_EFFORT 1
#define SC_POLICY_CONFINE_OFF 2
#define SC_POLICY_CONFINE_WRITE_MAX 64
struct sc_policy_confinement {
	int mode;
	const char *const *write; /* absolute paths the child may write beneath */
	size_t nwrite;
	int network; /* keep the host's network */
};
/* The settings; p NULL gives the defaults (required, nothing, no network).
 * The strings belong to p. */
void sc_policy_confinement(const struct sc_policy *p, struct sc_policy_confinement *out);

/* May this run happen? cmd_as_given is the command as the agent wrote it
 * ("aws", "./aws", "/usr/bin/aws"); resolved_path is the absolute real path
 * the caller will execute (sc_exec_resolve); args are the arguments after
 * argv[0]; secret_names are the names of the secrets that will be injected,
 * after env_aliases and key patterns were resolved. The caller must pass
 * cmd_as_given as argv[0], so that a multi-call binary (busybox) runs the
 * applet the policy checked.
 *
 * Order: built-in denials (unless lifted one by one by
 * unsafe_allow_builtin_denied), then denied_commands, then allowed_commands
 * and rules (a command any of them names may only run as one of them
 * allows), then default_action, then secret_commands bindings.
 *
 * p NULL denies everything (no policy file). Returns SC_OK or SC_ERR_DENIED
 * with a one-line reason an agent can act on (never a secret name or value,
 * never an argument's text beyond a short option); SC_ERR_INVALID for
 * malformed input. reason may be NULL. */
int sc_policy_check_run(const struct sc_policy *p, const char *cmd_as_given,
                        const char *resolved_path, const char *const *args, size_t nargs,
                        const char *const *secret_names, size_t nsecrets, char *reason,
                        size_t reasonlen) SC_WUR;

/* The same decision, telling a run a person may approve from a refused one:
 * with `default_action: ask`, a run no rule allows, or one a rule with
 * `action: ask` covers (and no plain rule does), gives SC_ERR_DENIED with
 * *ask set and a reason saying so. Built-in denials, denied_commands, a
 * name that resolves to another program and secret_commands bindings are
 * never left to a person. sc_policy_check_run treats an ask as a denial
 * (only the MCP server can ask: elicitation, docs/POLICY.md). */
int sc_policy_decide_run(const struct sc_policy *p, const char *cmd_as_given,
                         const char *resolved_path, const char *const *args, size_t nargs,
                         const char *const *secret_names, size_t nsecrets, int *ask, char *reason,
                         size_t reasonlen) SC_WUR;

/* "Always" of an approval: add to the policy file at path a rule pinning
 * exactly this run, `{command: RESOLVED, args: [EXACT], secrets: [NAMES]}`
 * (every argument matched literally, no other arguments), keeping the
 * file's other content byte for byte. The new text must parse and allow
 * the run, or nothing is written; it replaces the file atomically (a
 * temporary file in the same directory, fsync, rename, fsync of the
 * directory), with the file's mode, and only if the file is still the one
 * read. SC_ERR_INVALID when the run cannot be pinned (control characters,
 * more than SC_POLICY_MAX_TOKENS arguments, over SC_POLICY_MAX_STRING) or
 * the file's shape leaves no place to add it (err says why); file errors
 * as sc_policy_load; SC_ERR_BUSY when the file changed meanwhile. */
int sc_policy_pin_add(const char *path, const char *resolved, const char *const *args, size_t nargs,
                      const char *const *secrets, size_t nsecrets, char *err, size_t errlen) SC_WUR;
/* The same on text in memory: *out (malloc'd, NUL-ended, *outlen bytes)
 * is buf with the rule added. For tests and the fuzzer. */
int sc_policy_pin_text(const char *buf, size_t len, const char *resolved, const char *const *args,
                       size_t nargs, const char *const *secrets, size_t nsecrets, char **out,
                       size_t *outlen, char *err, size_t errlen) SC_WUR;

/* env_aliases as the Go secretctl applies them: env NULL or "" leaves key
 * as is; an env the policy does not define is SC_ERR_NOT_FOUND; otherwise
 * the first alias whose pattern matches rewrites the key (pattern "db/"
 * plus a trailing star, target "prod/db/" plus a star, maps "db/host" to
 * "prod/db/host"; an exact pattern maps to its target), and a key no alias matches is left as is.
 * SC_ERR_TOOBIG when out (outlen bytes) is too small. */
int sc_policy_resolve_alias(const struct sc_policy *p, const char *env, const char *key, char *out,
                            size_t outlen) SC_WUR;
/* 1 when the policy defines this env alias. */
int sc_policy_has_env(const struct sc_policy *p, const char *env);

/* ---- keys: the named keys the MCP key tools may use (docs/POLICY.md) ---- */

#define SC_POLICY_KEYS_MAX 256
#define SC_POLICY_KEY_ENCRYPT 0x1u
#define SC_POLICY_KEY_DATAKEY 0x2u
#define SC_POLICY_KEY_SIGN 0x4u

/* May an MCP tool do op (one SC_POLICY_KEY_*) with key name under ctx
 * (NULL: the empty context; only encrypt and datakey take one)? SC_OK,
 * or SC_ERR_DENIED with a reason that names the key and the way out. A key
 * the policy does not name, an operation it does not list, a context none
 * of its `contexts:` equals (no `contexts:`: only the empty one) are
 * refused; p NULL (no policy file) refuses all. *confirm (may be NULL) is
 * 1 when the key says `confirm: always`: every use asks the user. */
struct sc_keys_ctx;
int sc_policy_check_key(const struct sc_policy *p, const char *name, unsigned op,
                        const struct sc_keys_ctx *ctx, int *confirm, char *reason,
                        size_t reasonlen) SC_WUR;
/* The keys the policy names, in its order (what key_list shows). */
size_t sc_policy_key_count(const struct sc_policy *p);
const char *sc_policy_key_at(const struct sc_policy *p, size_t i, unsigned *ops, int *confirm);

/* The built-in denials, by the id unsafe_allow_builtin_denied uses
 * ("printenv", "inline-code:sh", "proc-environ", ...). */
size_t sc_policy_builtin_count(void);
const char *sc_policy_builtin_id(size_t i);
const char *sc_policy_builtin_why(size_t i);

#endif
