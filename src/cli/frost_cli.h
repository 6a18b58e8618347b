/* frost_cli.h - what the `frost` command files share (cmd_frost.c, the
 * coordinator; cmd_frost_part.c, the participant and the helpers). */
#ifndef SC_CLI_FROST_CLI_H
#define SC_CLI_FROST_CLI_H

#include "cli/cli.h"
#include "secretctl/frost_session.h"

#define FROST_CLI_MEMBERS_MAX 32
#define FROST_CLI_TIMEOUT_MS (120u * 1000u)

extern const struct cli_opt cli_opts_frost_participate[];
extern const struct cli_opt cli_opts_frost_split[];
/* cmd_frost_split.c: the trusted dealer's `frost split`. */
int frost_cli_split(struct cli *c, int argc, char **argv);

/* cmd_frost.c: --timeout SECS into *ms (an exit status). */
int frost_cli_parse_timeout(struct cli *c, const char *s, uint32_t *ms);
/* A failed session: the participant named (who, EXIT_PEER) or ours. */
int frost_cli_session_fail(int r, const char *what, const char *who);
/* Start each member's command; *bad: index + 1 of the one that did not. */
int frost_cli_spawn_all(struct sc_frost_peer *peers, const struct sc_frost_member **m, size_t n,
                        uint32_t timeout_ms, size_t *bad);
void frost_cli_close_all(struct sc_frost_peer *peers, size_t n);
int cmd_frost_participate(struct cli *c, int argc, char **argv);

/* --participant NAME=COMMAND appended to g (names distinct). */
int frost_cli_member(struct cli *c, const char *arg, struct sc_frost_group *g);
/* EXIT_OK when this vault keeps no group of that name yet. */
int frost_cli_group_absent(struct cli *c, const char *name);
/* The group key as pem, hex or raw on stdout. */
int frost_cli_print_key(const uint8_t key[SC_FROST_POINT_LEN], const char *fmt);
/* The message: FILE or stdin (NULL, "-"), at most SC_FROST_MSG_MAX bytes. */
int frost_cli_read_input(const char *path, uint8_t **buf, size_t *len);
/* The signature's bytes to path (new or replaced, 0600), or base64 on stdout. */
int frost_cli_write_sig(const char *path, const uint8_t sig[SC_FROST_SIG_LEN]);
#endif
