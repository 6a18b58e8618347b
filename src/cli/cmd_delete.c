/* cmd_delete.c - `secretctl delete NAME`. */
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

	if ((r = cli_one_name(c, argc, argv, &name)) != EXIT_OK)
		return r;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	/* the delete and its audit entry: one step, both or neither */
	r = cli_audit_write(c, v, "delete", &name, 1, delete_in_txn, (void *)name);
	sc_vault_close(v);
	if (r != SC_OK)
		return cli_fail(r, r == SC_ERR_NOT_FOUND ? "no secret '%s'" : "cannot delete '%s'",
		                name);
	return EXIT_OK;
}
