/* exec.h - running a command with secrets: the hardened process engine
 * (exec.c) and the environment builder (runenv.c) behind `secretctl run`
 * and the MCP tool `secret_run`. */
#ifndef SECRETCTL_EXEC_H
#define SECRETCTL_EXEC_H

#include "secretctl/sanitize.h"
#include "secretctl/vault.h"

/* ---- the process engine (exec.c) ---------------------------------------- */

/* Exit codes the engine reports beside the child's own (shell conventions). */
#define SC_EXEC_EXIT_TIMEOUT 124 /* the time limit ran out */
#define SC_EXEC_EXIT_NOTEXEC 126 /* found but not executable */
#define SC_EXEC_EXIT_NOEXEC 127  /* command not found */
#define SC_EXEC_EXIT_SIGNAL 128  /* + N when killed by signal N */

#define SC_EXEC_GRACE_MS_DEFAULT 2000
/* After the direct child has exited (or the group was sent SIGKILL), how
 * long a leftover process may keep the output pipes open before the rest
 * of the group is killed and the pipes are abandoned. */
#define SC_EXEC_DRAIN_MS 500

/* Byte written to ctl_fd to cancel a run (terminate the group as on
 * timeout); any other byte is a signal number to forward to the group. */
#define SC_EXEC_CTL_CANCEL 0

struct sc_exec_opts {
	const char *path;    /* program to run: an absolute path (sc_exec_find's found) */
	char *const *argv;   /* explicit argv, NULL-terminated; no shell involved */
	char *const *envp;   /* explicit, complete environment, NULL-terminated */
	const char *cwd;     /* NULL: inherit */
	uint32_t timeout_ms; /* 0: no time limit */
	uint32_t grace_ms;   /* SIGTERM -> SIGKILL grace; 0: SC_EXEC_GRACE_MS_DEFAULT */
	/* Compiled sanitizer (one sc_sanitize_stream per output stream is made
	 * from it); NULL passes output through untouched (--no-sanitize). */
	const struct sc_sanitizer *sanitizer;
	/* Per stream: >= 0 streams the sanitized output to this fd (CLI);
	 * -1 captures it into the result, up to capture_max bytes, counting
	 * the rest as dropped (MCP). */
	int out_fd, err_fd;
	size_t capture_max;
	/* Write streamed output as soon as the sanitizer releases it (use it
	 * when the output is a terminal); otherwise output is batched up to
	 * 64 KiB while the child keeps producing, and written whenever the
	 * child goes quiet. Bytes the sanitizer holds back because they may be
	 * the start of a secret are never released early. */
	int line_buffered;
	/* -1, or an fd the run polls: each byte read is a signal number to
	 * forward to the child's process group; SC_EXEC_CTL_CANCEL cancels.
	 * EOF on it is ignored from then on. */
	int ctl_fd;
	int stdin_fd; /* child's stdin; -1: /dev/null */
	/* -1, or a terminal fd (the caller's controlling terminal, normally 0):
	 * the child's group becomes the terminal's foreground group for the
	 * run, so that it can read the terminal and receives the keyboard's
	 * signals; the caller's group is put back in front afterwards. */
	int tty_fd;
	/* When check_id is set: path must still lead to the file with this
	 * device and inode (sc_exec_find's, at policy-check time); a swap in
	 * between is refused with SC_ERR_DENIED, nothing started. */
	int check_id;
	uint64_t dev, ino;
};

struct sc_exec_result {
	int exit_code;   /* child's status, 128+N on signal N, 124 timeout, 126/127 */
	int term_signal; /* N when the child was killed by a signal, else 0 */
	int timed_out;
	int cancelled;        /* ended by SC_EXEC_CTL_CANCEL; exit_code is what it died of */
	int exec_errno;       /* errno of a failed exec, else 0 */
	uint64_t duration_ms; /* CLOCK_MONOTONIC, spawn to end of output */
	/* Capture mode: sanitized output (malloc'd, wiped on release). */
	uint8_t *out, *err;
	size_t out_len, err_len;
	/* Bytes over capture_max (capture mode), or left unwritten because the
	 * output fd failed (EPIPE and the like; the child's pipe is then
	 * closed so it gets SIGPIPE, as it would without secretctl between). */
	uint64_t out_dropped, err_dropped;
};

/* Fill opts with the defaults: every fd -1, no timeout, no sanitizer. */
void sc_exec_opts_init(struct sc_exec_opts *o);

/* Find cmd as execvp would and return its realpath() (malloc'd). A cmd with
 * a '/' is taken as is (relative to the current directory); otherwise each
 * absolute entry of path_env (NULL: "/usr/local/bin:/usr/bin:/bin") is
 * tried in order. Empty and relative PATH entries are skipped on purpose:
 * they would make the current directory, which an agent may control, part
 * of the search. SC_ERR_NOEXEC: not found; SC_ERR_NOTEXEC: found, but not
 * an executable regular file (and nothing executable later in PATH). */
int sc_exec_resolve(const char *cmd, const char *path_env, char **resolved) SC_WUR;

/* The program a run executes, found as sc_exec_resolve finds it. found is
 * the path as found (absolute, symlinks kept: "/usr/bin/psql"); it is what
 * is executed, with argv[0] as the caller wrote it, so programs that look
 * at their own name (pg_wrapper, busybox applets, a symlinked script's
 * $0) work. real is its realpath() ("/usr/share/postgresql-common/
 * pg_wrapper"): what the policy matches and the audit records beside it.
 * dev and ino identify real, for sc_exec_opts.check_id. */
struct sc_exec_prog {
	char *found, *real;
	uint64_t dev, ino;
};
int sc_exec_find(const char *cmd, const char *path_env, struct sc_exec_prog *out) SC_WUR;
void sc_exec_prog_release(struct sc_exec_prog *p);
/* "psql (pg_wrapper)", or "psql" when both names agree: the basenames of
 * argv0 and real, for the audit log. */
void sc_exec_prog_label(const struct sc_exec_prog *p, const char *argv0, char *buf, size_t len);
/* The basename of process pid's executable (/proc/PID/exe), printable
 * only (anything else as '_'), for a prompt or an audit entry: a hint,
 * not a proof. "?" when it cannot be read. */
void sc_exec_pid_name(long pid, char *out, size_t cap);

/* Ask a person through an askpass program, as OpenSSH's ssh-agent does
 * for its confirm keys (run/askpass.c): program (an absolute path) runs
 * with prompt as its one argument and SSH_ASKPASS_PROMPT=confirm, stdin
 * and stdout on /dev/null; exit status 0 is yes. SC_OK yes, SC_ERR_DENIED
 * no, SC_ERR_TIMEOUT no answer in timeout_s (killed), SC_ERR_NOEXEC it
 * could not be started. Safe in a threaded process (posix_spawn). */
int sc_exec_askpass_confirm(const char *program, const char *prompt, int timeout_s);
/* The askpass program a process may use: $SSH_ASKPASS when it is an
 * absolute path to an executable, else NULL. */
const char *sc_exec_askpass(void);

/* With o->check_id set: SC_OK when o->path still leads to the file
 * (dev, ino) the policy saw; SC_ERR_DENIED when another was swapped in,
 * SC_ERR_NOEXEC when it is gone. sc_exec_run() calls it; so does the
 * confinement, before it puts its wrapper in o->path. */
int sc_exec_check_id(const struct sc_exec_opts *o) SC_WUR;

/* Run a command to completion. The child gets the explicit argv and envp,
 * only fds 0-2, its own process group, default signal dispositions and an
 * empty signal mask (posix_spawn, which reports exec errors itself). Its
 * stdout and stderr are pumped through the sanitizer with poll(). (glibc's
 * posix_spawn leaves its two reserved signals, 32 and 33, ignored; no
 * application can use them.)
 *
 * On timeout or cancel the whole group gets SIGTERM, then SIGKILL after the
 * grace period. When the direct child has exited, the pipes are drained to
 * EOF for at most SC_EXEC_DRAIN_MS, and then anything left in the group is
 * SIGKILLed: a run bounds the life of everything it started, except a
 * process that deliberately left the group (setsid). The child's zombie is
 * reaped only at the very end, so its process-group id can not be reused
 * while the group is still being signalled.
 *
 * Thread-safe: no global state and no signal handlers. The caller must not
 * reap children it did not start (no wait(-1), no SIGCHLD set to SIG_IGN),
 * and a CLI that streams to a pipe should ignore SIGPIPE.
 *
 * Returns SC_OK when the child ran (whatever its exit status), with *res
 * filled; SC_ERR_NOEXEC / SC_ERR_NOTEXEC when exec failed (res->exit_code is
 * then 127 / 126 and res->exec_errno set); other statuses when the run
 * could not be set up or its plumbing failed (the group is killed). */
int sc_exec_run(const struct sc_exec_opts *o, struct sc_exec_result *res) SC_WUR;
/* Free (and wipe) what a result holds; the struct itself is the caller's. */
void sc_exec_result_release(struct sc_exec_result *res);

/* ---- the run environment (runenv.c) ------------------------------------ */

/* Glob over secret names: '*' and '?' match within one '/'-separated
 * segment, '**' matches across segments ("**\/" at a segment start also
 * matches no segment at all). Returns 1 on a match, 0 otherwise. */
int sc_glob_match(const char *pattern, const char *name);
/* 1 when the pattern holds glob characters. */
int sc_glob_is_pattern(const char *pattern);
/* A pattern: name characters plus '*' and '?', at most two '*' in a row,
 * at most SC_NAME_MAX bytes. SC_OK or SC_ERR_NAME. */
int sc_glob_valid(const char *pattern) SC_WUR;

/* Variable name for a secret's field: prefix + NAME[_FIELD], upper-cased,
 * with '/', '-' and '.' turned into '_' (field "value" adds no suffix).
 * Writes into buf (SC_ENV_NAME_MAX + 1 bytes). SC_ERR_NAME when the result
 * is not a valid variable name. */
int sc_runenv_var_name(const char *prefix, const char *secret, const char *field, char *buf,
                       size_t bufsz) SC_WUR;
/* SC_ERR_DENIED when injecting this variable could change how the child
 * (or a loader or shell it starts) runs code: LD_*, BASH_ENV, PATH, HOME,
 * ... (the list is in runenv.c); else SC_OK. */
int sc_runenv_var_allowed(const char *var) SC_WUR;

struct sc_runenv_opts {
	const char *const *patterns; /* key patterns (globs or plain names) */
	size_t npatterns;
	const char *prefix;    /* NULL or "": none; applied to derived names only,
	                          never to a secret's explicit bindings */
	int clean_env;         /* base = PATH HOME USER LOGNAME LANG LC_ALL TERM TZ only */
	char *const *base_env; /* the caller's environment (usually environ) */
	int no_sanitize;       /* build no sanitizer */
	/* The whole vault's compiled sanitizer (redact.h), or NULL: then the
	 * run redacts every value in it (its own variables by name, every
	 * other as [REDACTED:secret]), not only what it injects. Must outlive
	 * the runenv. */
	const struct sc_sanitizer *vault_sanitizer;
	int64_t now; /* for expiry; 0: time(NULL) */
	/* Secret references (run --env-file): variable ref_vars[i] gets the
	 * value secretctl://ref_paths[i] resolves to (secref.h), verbatim (no
	 * prefix), under the same rules as any injected variable. */
	const char *const *ref_vars;
	const char *const *ref_paths;
	size_t nrefs;
};

struct sc_runenv;

/* Build the child's environment and sanitizer from an unlocked vault.
 * On failure *detail (malloc'd, may be NULL) names what failed: the pattern
 * that matched nothing (SC_ERR_NOT_FOUND), the expired secret
 * (SC_ERR_EXPIRED), the refused or clashing variable (SC_ERR_DENIED,
 * SC_ERR_EXISTS), the invalid variable (SC_ERR_NAME), a binding to a
 * missing field (SC_ERR_NOT_FOUND, the variable), a value holding a NUL
 * byte (SC_ERR_INVALID, the variable), or a reference that resolves to no
 * secret and field ("secretctl://PATH": SC_ERR_NOT_FOUND, or
 * SC_ERR_INVALID when it names a secret of several fields
 * but no field). Never a value. */
int sc_runenv_build(struct sc_vault *v, const struct sc_runenv_opts *o, struct sc_runenv **out,
                    char **detail) SC_WUR;
void sc_runenv_free(struct sc_runenv *r);
/* The complete environment (NULL-terminated); strings holding secrets live
 * in guarded memory, wiped by sc_runenv_free. */
char *const *sc_runenv_envp(const struct sc_runenv *r);
/* The compiled sanitizer; NULL with no_sanitize. */
const struct sc_sanitizer *sc_runenv_sanitizer(const struct sc_runenv *r);
/* Injected variable names, in injection order. */
size_t sc_runenv_var_count(const struct sc_runenv *r);
const char *sc_runenv_var(const struct sc_runenv *r, size_t i);
/* Names of the secrets injected (each once), sorted. */
size_t sc_runenv_secret_count(const struct sc_runenv *r);
const char *sc_runenv_secret(const struct sc_runenv *r, size_t i);
/* Variables whose sensitive value is too short to be redacted
 * (< SC_SANITIZE_MIN_LEN bytes); the CLI warns about them. */
size_t sc_runenv_short_count(const struct sc_runenv *r);
const char *sc_runenv_short(const struct sc_runenv *r, size_t i);

#endif
