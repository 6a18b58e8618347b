/* cli.h - what the command files share: the parsed global options, the
 * command table entry, exit statuses, and helpers for passwords, input and
 * errors. Only the CLI prints and picks exit statuses. */
#ifndef SC_CLI_H
#define SC_CLI_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli/opt.h"
#include "secretctl/audit.h"
#include "secretctl/secretctl.h"
#include "secretctl/system.h"

/* Exit statuses: the status table (base/status.c) maps statuses to them,
 * exit.c holds the man page's words for each (man/secretctl.1, EXIT STATUS;
 * test_exit checks that the three agree). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,      /* general failure; `exists`: the secret does not exist */
	EXIT_USAGE = 2,     /* bad command line or bad input */
	EXIT_NOTFOUND = 3,  /* no such secret, field or vault */
	EXIT_AUTH = 4,      /* wrong password, or no password available (locked) */
	EXIT_PERM = 5,      /* unsafe permissions, wrong owner or a symlink */
	EXIT_CORRUPT = 6,   /* vault corrupt or tampered with; unsupported format */
	EXIT_EXISTS = 7,    /* already exists */
	EXIT_EXPIRED = 8,   /* the secret has expired */
	EXIT_DENIED = 9,    /* refused by policy or a built-in rule */
	EXIT_AUDIT = 10,    /* audit log verification failed */
	EXIT_READONLY = 11, /* read-only file system */
	EXIT_NOSPACE = 12,  /* no space left on device */
	EXIT_LOOKUP = 13,   /* `exists`: the look-up itself failed */
	EXIT_TOKEN = 14,    /* a hardware token absent, locked, or without its key */
	EXIT_PEER = 15,     /* frost: a participant failed, timed out or gave a bad share */
	EXIT_RUN_FAIL = 125 /* `run`: secretctl failed before the command started */
};

/* One exit code and its man page text (mdoc lines after its `.It`); code
 * -1 stands for 128+N (killed by signal N). */
struct cli_exit {
	int code;
	const char *man;
};
extern const struct cli_exit cli_exits[];
extern const size_t cli_exits_count;

struct cli {
	const struct cli_cmd *entry; /* the command (or subcommand) running */
	char path[96];               /* its name as typed: "audit list" */
	char *vault_dir;             /* malloc'd */
	int password_fd;             /* -1 when not given */
	const char *token_uri;       /* --token or SECRETCTL_TOKEN: unlock with it */
	int pin_fd;                  /* --pin-fd: the token's PIN; -1 when not given */
	int passphrase_fd;           /* a command's --passphrase-fd N as N + 1; 0: none */
	int json;
	int no_prompt; /* never ask on the terminal (MCP server) */
	/* the dedicated run user (system.c): its configuration when the vault
	 * is its, and whether we are an owner (not the run user) */
	struct sc_system_conf *sys;
	int sys_owner;
	int fwd_argc; /* the command line as typed, globals taken out */
	char **fwd_argv;
};

/* The dedicated run user (system.c, docs/SYSTEM-AGENT.md). Find the
 * configuration that names us; when the vault is the run user's, point
 * c at it and the agent connection at its socket. EXIT_OK or an exit
 * status (an unsafe configuration is refused, not ignored). */
int cli_system_init(struct cli *c);
/* As an owner: whether cmd runs here (it talks to the agent, and opens
 * the vault only through cli_open_vault, which forwards then) or is
 * forwarded whole. */
int cli_system_native(const struct cli *c, const struct cli_cmd *cmd);
/* Forward the command line to the run user's agent with the vault
 * password; its exit status. */
int cli_system_forward(struct cli *c);
/* A password came with the command (--password-fd or SECRETCTL_PASSWORD). */
int cli_password_given(const struct cli *c);
/* One line on the mode for status and doctor. */
const char *cli_system_mode_line(const struct cli *c);

extern const struct cli_cmd cli_commands[];

/* Each command's option table, beside the code that reads it. */
extern const struct cli_opt cli_opts_init[], cli_opts_set[], cli_opts_get[], cli_opts_list[],
    cli_opts_passwd[], cli_opts_run[], cli_opts_unlock[], cli_opts_audit_list[],
    cli_opts_audit_export[], cli_opts_audit_prune[], cli_opts_rollback[], cli_opts_history_prune[],
    cli_opts_edit[], cli_opts_delete[], cli_opts_import[], cli_opts_export[];
extern const struct cli_cmd cli_audit_subs[];
/* Named keys (cmd_key.c, cmd_key_ops.c, cmd_sign.c). */
extern const struct cli_cmd cli_key_subs[];
extern const struct cli_cmd cli_keyslot_subs[];  /* cmd_keyslot.c */
extern const struct cli_cmd cli_recovery_subs[]; /* cmd_recovery.c */
extern const struct cli_cmd cli_frost_subs[];    /* cmd_frost.c */
extern const struct cli_opt cli_opts_sign[], cli_opts_verify[];
int cmd_sign(struct cli *c, int argc, char **argv);
int cmd_verify(struct cli *c, int argc, char **argv);
extern const struct cli_opt cli_opts_ssh_agent[]; /* cmd_ssh_agent.c */
int cmd_ssh_agent(struct cli *c, int argc, char **argv);

/* The commands, one file each (cmd_<name>.c). */
int cmd_init(struct cli *c, int argc, char **argv);
int cmd_set(struct cli *c, int argc, char **argv);
int cmd_get(struct cli *c, int argc, char **argv);
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_exists(struct cli *c, int argc, char **argv);
int cmd_delete(struct cli *c, int argc, char **argv);
int cmd_passwd(struct cli *c, int argc, char **argv);
int cmd_rekey(struct cli *c, int argc, char **argv); /* cmd_rekey.c */
extern const struct cli_opt cli_opts_rekey[];
/* The DEK's facts in words for status and doctor (since: the vault's oldest
 * trace when its DEK has no date); 1 when past its cryptoperiod. */
struct sc_dek_info;
int cli_dek_describe(const struct sc_dek_info *d, int64_t since, int64_t now, char *buf,
                     size_t len);
int cmd_run(struct cli *c, int argc, char **argv);
int cmd_mcp_server(struct cli *c, int argc, char **argv);
int cmd_mcp_policy_check(struct cli *c, int argc, char **argv);
int cmd_agent(struct cli *c, int argc, char **argv); /* and unlock, lock, status */
int cmd_unlock(struct cli *c, int argc, char **argv);
int cmd_setup_system_agent(struct cli *c, int argc, char **argv);
extern const struct cli_opt cli_opts_setup_sys[];
int cmd_lock(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_history(struct cli *c, int argc, char **argv); /* and history prune */
int cmd_rollback(struct cli *c, int argc, char **argv);
int cmd_undelete(struct cli *c, int argc, char **argv);
int cmd_edit(struct cli *c, int argc, char **argv);
int cmd_mv(struct cli *c, int argc, char **argv);
int cmd_cp(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_export(struct cli *c, int argc, char **argv);
/* Backups (cmd_backup.c) and the health report (cmd_doctor.c). */
extern const struct cli_opt cli_opts_backup[], cli_opts_restore[], cli_opts_doctor[];
int cmd_backup(struct cli *c, int argc, char **argv); /* and backup --verify */
int cmd_restore(struct cli *c, int argc, char **argv);
int cmd_doctor(struct cli *c, int argc, char **argv);
int cmd_read(struct cli *c, int argc, char **argv);
/* edit NAME without options: $EDITOR on the public parts (edit_editor.c). */
int cli_edit_in_editor(struct cli *c, const char *name);
int cmd_inject(struct cli *c, int argc, char **argv);
int cmd_generate(struct cli *c, int argc, char **argv);
int cmd_completion(struct cli *c, int argc, char **argv);
int cmd_show(struct cli *c, int argc, char **argv);
extern const struct cli_opt cli_opts_read[], cli_opts_inject[], cli_opts_generate[];
/* get's printing (cmd_get.c): the secret name and field, or ref, a
 * reference's path (secref.h); with the agent when it may, else the
 * password; audited. */
int cli_get_print(struct cli *c, const char *name, const char *field, const char *ref,
                  uint64_t version, int raw, int meta);
/* run --env-file (run_envfile.c): the references (variable, path) and the
 * plain "KEY=VALUE" strings of the file; env: those, then environ. */
#define CLI_RUN_REFS_MAX 1024
struct cli_run_envfile {
	char *vars[CLI_RUN_REFS_MAX], *paths[CLI_RUN_REFS_MAX];
	size_t nrefs;
	char *plain[CLI_RUN_REFS_MAX];
	size_t nplain;
	char **env;
};
/* EXIT_OK, or the exit status after a one-line message ("FILE:LINE: why"). */
int cli_run_envfile_load(const char *path, struct cli_run_envfile *ef);
int cli_run_envfile_env(struct cli_run_envfile *ef, char **environ_in);
void cli_run_envfile_release(struct cli_run_envfile *ef);
/* A reference that does not parse: the one-line usage error (cmd_read.c);
 * where (may be NULL) goes first ("FILE:LINE"). */
int cli_bad_ref(const char *where, const char *ref);
/* "12" -> 12: digits only, 1 .. max (cmd_history.c). */
int cli_parse_count(const char *s, unsigned long max, uint64_t *out);

/* SECRETCTL_NO_AGENT is set (and not 0): use no unlock agent. */
int cli_no_agent(void);
/* The command's session (session.h): an unlocked agent answers the reads
 * when one runs; otherwise the first read opens the vault here with the
 * password (cli_open_vault) and keeps it for the rest. Either way the
 * entry is written before the answer. */
struct sc_session;
struct cli_session {
	struct cli *c;
	struct sc_vault *v;
	struct sc_session *s;
};
int cli_session_open(struct cli *c, struct cli_session *cs);
void cli_session_close(struct cli_session *cs);
/* The status to exit with after a failed read: "cannot unlock the vault",
 * or what failed (the format), with the reason (an audit entry that could
 * not be written says so). */
int cli_session_fail(struct cli_session *cs, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* `run` through an unlocked agent, which decrypts and runs the command
 * itself (no value enters this process). SC_ERR_LOCKED: no agent, or it is
 * locked; run without it. SC_OK: done, *status is the exit status. */
struct sc_runenv_opts;
int cli_agent_run(struct cli *c, const struct sc_runenv_opts *ro, const char *path,
                  char *const *argv, uint32_t timeout_ms, int *status);

/* Print "secretctl: <msg>[: <detail>]" and return the exit status for st. */
int cli_fail(int st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print a usage error for the current command and return EXIT_USAGE. */
int cli_usage(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_exit_status(int st);
/* --json was given: errors and warnings go to stderr as JSON objects,
 * {"error":{"code":...,"message":...}}, with the same exit status. */
void cli_set_json_errors(int on);
/* A usage error's message (help_path: the command whose help shows the
 * usage; NULL: none), as an error of that exit status; cli_usage (opt.c)
 * adds the usage lines. */
int cli_error_help(int exit_status, const char *help_path, const char *msg);
/* Whether --json turned errors into JSON. */
int cli_json_errors(void);
/* A complete message (no status words added) and the exit status. */
int cli_error(int exit_status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "secretctl: <msg>" (a note, not an error). */
void cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Outside text in messages (quote.c). cli_escape copies in to out (cap
 * bytes, always terminated) with C0 controls, DEL and C1 controls written
 * as \n, \t, \r, \e, \xHH or \u00HH, and bytes that are not UTF-8 as
 * \xHH; returns the length written (it stops early rather than cut an
 * escape). Every message goes through it: cli_fail, cli_usage, cli_warn
 * and cli_say format, then escape the whole line. */
size_t cli_escape(char *out, size_t cap, const char *in);
void cli_put_escaped(FILE *f, const char *s);
void cli_vput(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Passwords: from --password-fd, else SECRETCTL_PASSWORD (taken at start-up
 * and removed from the environment), else the terminal. *pw is secmem. */
int cli_get_password(struct cli *c, const char *prompt, int confirm, char **pw, size_t *len);
/* A new password (init, passwd): fd, or asked twice on the terminal. */
int cli_get_new_password(struct cli *c, int fd, char **pw, size_t *len);
/* Capture SECRETCTL_PASSWORD into secmem and scrub it from the environment. */
void cli_take_env_password(void);
void cli_drop_env_password(void);

/* A terminal gets this many tries at the vault password. */
#define CLI_PASSWORD_TRIES 3
/* Argon2id that takes longer than this says so on a terminal's stderr. */
#define CLI_SLOW_NOTICE_MS 400
void cli_slow_begin(void);
void cli_slow_end(void);

/* Open the vault and, when unlock is set, unlock it (the password: see
 * cli_get_password; three tries when it comes from the terminal, each
 * failure audited). */
int cli_open_vault(struct cli *c, int unlock, struct sc_vault **out);
/* The password the last cli_open_vault opened the vault with (guarded
 * memory, ours): 1 and it, or 0. For the sanitizer, which redacts it too. */
int cli_kept_password(const char **pw, size_t *len);
void cli_drop_kept_password(void);

/* Who the CLI is, for the library's audited operations (session.h):
 * source cli, and the read-only note on stderr. */
struct sc_session_who;
const struct sc_session_who *cli_who(void);

/* Signal forwarding for a run (forward.c): INT, TERM, HUP, QUIT, USR1 and
 * USR2 are written as bytes into ctl[1]; ctl[0] is the run's ctl_fd.
 * SIGPIPE is ignored from then on. */
#define CLI_FORWARD_NSIG 6
struct cli_forward {
	int ctl[2];
	size_t installed;
	struct sigaction old[CLI_FORWARD_NSIG];
};
int cli_forward_start(struct cli_forward *f) SC_WUR;

/* The one NAME operand of exists and delete (cmd_exists.c): CLI_PARSE_END
 * with *name, or CLI_PARSE_EXIT with *status to return. */
int cli_one_name(struct cli *c, int argc, char **argv, const char **name, int *status);
void cli_forward_stop(struct cli_forward *f);

/* Values for set and edit (input.c): a file's contents (at most
 * SC_VALUE_MAX bytes); a value from stdin (one trailing newline dropped,
 * only once per command: *stdin_used) or the terminal (asked twice when
 * confirm); "K=V" split in place. *buf is secmem. */
int cli_read_value_file(const char *path, uint8_t **buf, size_t *len);
int cli_read_secret_input(const char *secret, const char *field, int confirm, int *stdin_used,
                          uint8_t **buf, size_t *len);
int cli_split_eq(char *arg, char **val);

/* Read all of fd (at most max bytes) into secmem. */
int cli_read_fd(int fd, size_t max, uint8_t **buf, size_t *len);
/* confirm.c: a yes from the person at /dev/tty within timeout_s: SC_OK;
 * SC_ERR_DENIED for no (or silence), SC_ERR_LOCKED without a terminal. */
int cli_confirm_tty(const char *prompt, int timeout_s);
/* Read one line from the terminal without echo. */
int cli_read_tty_secret(const char *prompt, char **out, size_t *len);
/* One line from fd into secmem (the newline cut). */
int cli_read_secret_fd(int fd, char **out, size_t *len);
/* The token's PIN: from --pin-fd, else the terminal (never argv or the
 * environment). *pin is secmem. */
int cli_get_pin(struct cli *c, const char *prompt, char **pin, size_t *len);
/* Unlock v through the token slot c->token_uri names (three tries at a
 * terminal); a wrong PIN says what the token reports of the tries left.
 * On SC_OK *pin (secmem, the caller's) is the PIN that opened it. */
int cli_unlock_token(struct cli *c, struct sc_vault *v, char **pin, size_t *pin_len);

/* "30d", "12h", "45m", "2w", "1y", "90s" -> seconds. */
int cli_parse_duration(const char *s, int64_t *secs);
/* A duration from now, or a date "YYYY-MM-DD[THH:MM[:SS]Z]" -> unix time. */
int cli_parse_expiry(const char *s, int64_t *when);
void cli_format_time(int64_t t, char *buf, size_t len);
/* A secret's expires_at (or null), created_at and updated_at into o, as
 * get, show and list print them in JSON. */
struct json_t;
void cli_json_set_times(struct json_t *o, const struct sc_secret *s);

/* Jansson allocations are wiped on free (values may pass through it). */
void cli_json_init(void);
#endif
