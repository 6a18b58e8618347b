/* cmd_delete.c - `secretctl delete NAME`. */
#include <stdlib.h>

#include <jansson.h>

#include "cli/cli.h"

static int delete_in_txn(struct sc_vault *v, void *name)
{
	return sc_vault_delete_in_txn(v, name);
}

int cmd_delete(struct cli *c, int argc, char **argv)
{
	struct sc_vault *v = NULL;
	const char *name;
	int r;

	if (cli_one_name(c, argc, argv, &name, &r) != CLI_PARSE_END)
		return r;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	/* the delete and its audit entry: one step, both or neither */
	r = cli_audit_write(c, v, "delete", &name, 1, delete_in_txn, (void *)name);
	sc_vault_close(v);
	if (r != SC_OK)
		return r == SC_ERR_NOT_FOUND ? cli_error(EXIT_NOTFOUND, "no secret '%s'", name)
		                             : cli_fail(r, "cannot delete '%s'", name);
	if (c->json) {
		json_t *o = json_pack("{s:s,s:b}", "name", name, "deleted", 1);
		char *s = json_dumps(o, JSON_COMPACT);

		if (s != NULL)
			puts(s);
		free(s);
		json_decref(o);
	}
	return EXIT_OK;
}
