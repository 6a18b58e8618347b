/* cmd_exists.c - `secretctl exists NAME`. */
#include "cli/cli.h"

int cmd_exists(struct cli *c, int argc, char **argv)
{
	struct sc_vault *v = NULL;
	const char *name;
	int r, exists = 0;

	if ((r = cli_one_name(c, argc, argv, &name)) != EXIT_OK)
		return r;
	/* an unlocked agent answers (and audits) without the password */
	if ((r = cli_agent_exists(c, name, &exists)) == SC_ERR_LOCKED) {
		if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
			return cli_fail(r, "cannot unlock the vault");
		r = sc_vault_exists(v, name, &exists);
		{
			int a =
			    cli_audit(c, v, "exists", &name, 1, NULL, r); /* audit the outcome */

			if (r == SC_OK && a != SC_OK)
				r = a;
		}
		sc_vault_close(v);
	}
	if (r != SC_OK) {
		/* 1 means "absent": `exists || set` must not take a failed
		 * look-up for that */
		int rc = cli_fail(r, "cannot look up '%s'", name);

		return rc == EXIT_FAIL ? EXIT_LOOKUP : rc;
	}
	if (c->json)
		printf("{\"name\":\"%s\",\"exists\":%s}\n", name, exists ? "true" : "false");
	return exists ? EXIT_OK : EXIT_FAIL;
}
