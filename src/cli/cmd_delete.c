/* cmd_delete.c - `secretctl delete NAME [--purge]`: the versions stay in
 * the history (undelete brings the last back) unless purged. */
#include <stdlib.h>

#include <jansson.h>

#include "cli/cli.h"
#include "secretctl/session.h"

const struct cli_opt cli_opts_delete[] = {
    {'p', 0, "purge", NULL, "erase every version too, live or deleted (no undelete)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

int cmd_delete(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_vault *v = NULL;
	const char *name;
	int ch, r, purge = 0;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0)
		if (ch == 'p')
			purge = 1;
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, p.nops < 1 ? "missing secret NAME" : "too many arguments");
	name = p.ops[0];
	if (sc_name_valid(name) != SC_OK)
		return cli_usage(c, "invalid secret name '%s'", name);
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	/* the delete and its audit entry: one step, both or neither */
	r = sc_session_delete(v, cli_who(), name, purge);
	if (r == SC_OK && purge && sc_vault_erase_wal(v) != SC_OK) {
		cli_warn("%s", sc_last_error());
		sc_clear_error();
	}
	sc_vault_close(v);
	if (r != SC_OK)
		return r == SC_ERR_NOT_FOUND ? cli_error(EXIT_NOTFOUND, "no secret '%s'", name)
		                             : cli_fail(r, "cannot delete '%s'", name);
	if (c->json) {
		json_t *o = json_pack("{s:s,s:b,s:b}", "name", name, "deleted", 1, "purged", purge);
		char *s = json_dumps(o, JSON_COMPACT);

		if (s != NULL)
			puts(s);
		free(s);
		json_decref(o);
	}
	return EXIT_OK;
}
