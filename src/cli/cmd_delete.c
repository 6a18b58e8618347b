/* cmd_delete.c - `secretctl delete NAME`. */
#include "cli/cli.h"

int cmd_delete(struct cli *c, int argc, char **argv)
{
	struct sc_vault *v = NULL;
	const char *name;
	int r;

	if ((r = cli_one_name(c, argc, argv, &name)) != EXIT_OK)
		return r;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	r = sc_vault_delete(v, name);
	{
		int a = cli_audit(c, v, "delete", &name, 1, NULL, r); /* audit the outcome */

		if (r == SC_OK && a != SC_OK)
			r = a;
	}
	sc_vault_close(v);
	if (r != SC_OK)
		return cli_fail(r, r == SC_ERR_NOT_FOUND ? "no secret '%s'" : "cannot delete '%s'",
		                name);
	return EXIT_OK;
}
