/* cmd_exists.c - `secretctl exists NAME` and `secretctl delete NAME`. */
#include <getopt.h>

#include "cli/cli.h"

static int one_name(struct cli *c, int argc, char **argv, const char **name)
{
	int ch = getopt_long(argc, argv, ":", (const struct option[]){{NULL, 0, NULL, 0}}, NULL);

	if (ch != -1)
		return cli_opt_error(c, ch, argv);
	if (argc - optind != 1)
		return cli_usage(c,
		                 argc - optind < 1 ? "missing secret NAME" : "too many arguments");
	*name = argv[optind];
	if (sc_name_valid(*name) != SC_OK)
		return cli_usage(c, "invalid secret name '%s'", *name);
	return EXIT_OK;
}

int cmd_exists(struct cli *c, int argc, char **argv)
{
	struct sc_vault *v = NULL;
	const char *name;
	int r, exists = 0;

	if ((r = one_name(c, argc, argv, &name)) != EXIT_OK)
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
	if (r != SC_OK)
		return cli_fail(r, "cannot look up '%s'", name);
	if (c->json)
		printf("{\"name\":\"%s\",\"exists\":%s}\n", name, exists ? "true" : "false");
	return exists ? EXIT_OK : EXIT_FAIL;
}

int cmd_delete(struct cli *c, int argc, char **argv)
{
	struct sc_vault *v = NULL;
	const char *name;
	int r;

	if ((r = one_name(c, argc, argv, &name)) != EXIT_OK)
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
