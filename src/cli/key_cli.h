/* key_cli.h - what the `key`, `sign` and `verify` command files share: a
 * session over the vault's keyring (open, commit with its audit entry,
 * close) and the parsing of their common operands. */
#ifndef SC_CLI_KEY_CLI_H
#define SC_CLI_KEY_CLI_H

#include <jansson.h>

#include "cli/cli.h"
#include "secretctl/keyop.h"
#include "secretctl/keys.h"

/* Input files (--in): at most this much (a plaintext's bound, and room
 * for a ciphertext's text). */
#define KEY_IN_MAX SC_KEYS_CT_TEXT_MAX

struct key_session {
	struct sc_vault *v;
	struct sc_keyring *kr;
	uint64_t gen0;            /* the keyring's generation when loaded */
	struct sc_p11_token *tok; /* the token of a key in one, when opened */
};

/* Open and unlock the vault, load its keyring. An exit status: EXIT_OK,
 * or the error already printed. */
int key_open(struct cli *c, struct key_session *ks);
/*
 * Record the outcome st of operation op on key name. When st is SC_OK and
 * the keyring changed, the keyring is saved and the entry written in one
 * transaction (both or neither); otherwise the outcome is appended. SC_OK
 * means the caller may hand out its result; anything else fails closed.
 */
int key_commit(struct cli *c, struct key_session *ks, const char *op, const char *name, int st);
/* The same for an operation's outcome info (a rotation on the way, a
 * compromised version used: their entries are sc_keyop_commit's). */
int key_commit_info(struct cli *c, struct key_session *ks, const char *op, const char *name,
                    const struct sc_keys_info *info, int st);
void key_close(struct key_session *ks);

/* key_token.c: when key name lives in a token, open that token (by the
 * URI its reference keeps: label and serial, never a slot) with the PIN
 * from --pin-fd or the terminal, and hand it to the keyring; SC_OK too for
 * a software key or none. A status: SC_ERR_AUTH for a wrong PIN,
 * SC_ERR_TOKEN for a token absent or locked. key_close closes it. */
int key_token(struct cli *c, struct key_session *ks, const char *name);
/* The same for a URI given (key create --in-token). */
int key_token_open(struct cli *c, struct key_session *ks, const char *uri);
void key_token_close(struct key_session *ks);

/* Operand and option parsing; each returns SC_OK or SC_ERR_INVALID. */
int key_parse_version(const char *s, uint32_t *out);
int key_parse_days(const char *s, unsigned *out);
/* "k=v" into *ctx (made on first use). */
int key_ctx_add(struct sc_keys_ctx **ctx, const char *kv);
/* A NAME operand: CLI_PARSE_END, or CLI_PARSE_EXIT with *status. */
int key_check_name(struct cli *c, const char *name, int *status);

/* All of FILE, or of standard input for NULL or "-" (at most max bytes),
 * into secmem. strip_nl drops one trailing newline (ciphertext texts). */
int key_read_input(const char *path, size_t max, int strip_nl, uint8_t **buf, size_t *len);
/* Write buf to a new file (0600, not through a symlink), or replace it. */
int key_write_file(const char *path, const uint8_t *buf, size_t len);
/* Print one JSON value (compact) and a newline; takes the reference. */
int key_print_json(json_t *o);
/* Notes after an operation: a compromised version used, a rotation
 * (printed only: the entries are the commit's). */
void key_say(const char *name, const struct sc_keys_info *info);
/* Run a key operation: with an unlocked agent, inside it (the key never
 * here); else on the vault here, committed and audited the same way. An
 * exit status when the vault could not be opened (the error printed),
 * else EXIT_OK with the operation's status in *st and, on SC_OK, its
 * result in *res (release it). */
int key_run(struct cli *c, const struct sc_keyop *op, struct sc_keyop_result *res, int *st);
/* The failure of an operation on key name, with its status. */
int key_fail(int st, const char *what, const char *name);

int64_t key_now(void);

/* key_passphrase.c: a custody key's passphrase (SC_KEY_PASSPHRASE) for
 * one command, from fd (>= 0) or the terminal (asked twice when creating),
 * lent to ks->kr until key_pp_drop wipes it. Not creating: SC_OK with
 * nothing read for a key without one (fd given for such a key:
 * SC_ERR_INVALID). SC_ERR_AUTH when none can be had. */
struct sc_kdf_params;
struct key_pp {
	char *pp; /* secmem */
	size_t len;
	struct sc_keys_pp kp;
};
int key_pp_get(struct cli *c, struct key_session *ks, const char *name, int fd, int creating,
               const struct sc_kdf_params *kdf, struct key_pp *pp);
void key_pp_drop(struct key_session *ks, struct key_pp *pp);
/* A signature's passphrase only, from fd (>= 0) or the terminal, into
 * pp->pp (secmem; nothing lent): SC_ERR_AUTH when none can be had. */
int key_pp_read(struct cli *c, const char *name, int fd, struct key_pp *pp);
void key_pp_wipe(struct key_pp *pp);

/* The operations' option tables and commands (cmd_key_ops.c, cmd_sign.c),
 * in the `key` subcommand table (cmd_key.c). */
/* cmd_key_rewrap.c */
extern const struct cli_opt cli_opts_key_rewrap[];
int cli_key_rewrap_all(struct cli *c, int argc, char **argv);
extern const struct cli_opt cli_opts_key_encrypt[], cli_opts_key_decrypt[], cli_opts_key_datakey[],
    cli_opts_key_hmac[], cli_opts_key_pubkey[], cli_opts_key_config[];
int cli_key_encrypt(struct cli *c, int argc, char **argv);
int cli_key_decrypt(struct cli *c, int argc, char **argv);
int cli_key_rewrap(struct cli *c, int argc, char **argv);
int cli_key_datakey(struct cli *c, int argc, char **argv);
int cli_key_hmac(struct cli *c, int argc, char **argv);
int cli_key_export(struct cli *c, int argc, char **argv);
int cli_key_pubkey(struct cli *c, int argc, char **argv);
int cli_key_config(struct cli *c, int argc, char **argv); /* cmd_key_config.c */
/* cmd_key_batch.c: encrypt or decrypt (kind) the JSON batch read from in
 * with key name; results to outp or standard output. An exit status. */
int cli_key_batch_json(struct cli *c, int kind, const char *name, const char *in, const char *outp,
                       int allow_compromised);
#endif
