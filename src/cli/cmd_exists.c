/* cmd_exists.c - `secretctl exists NAME`. */
#include <jansson.h>

#include <stdlib.h>

#include "cli/cli.h"

int cli_one_name(struct cli *c, int argc, char **argv, const char **name, int *status)
{
	struct cli_parse p;

	if (cli_parse_none(c, argc, argv, 1, 1, &p) != CLI_PARSE_END) {
		*status = p.status;
		return CLI_PARSE_EXIT;
	}
	*name = p.ops[0];
	if (sc_name_valid(*name) != SC_OK) {
		*status = cli_usage(c, "invalid secret name '%s'", *name);
		return CLI_PARSE_EXIT;
	}
	return CLI_PARSE_END;
}

int cmd_exists(struct cli *c, int argc, char **argv)
{
	struct cli_session cs;
	const char *name;
	int r, exists = 0;

	if (cli_one_name(c, argc, argv, &name, &r) != CLI_PARSE_END)
		return r;
	if ((r = cli_session_open(c, &cs)) != SC_OK)
		return cli_fail(r, "out of memory");
	/* an unlocked agent answers without the password; either way the
	 * outcome is audited first */
	r = sc_session_exists(cs.s, name, &exists);
	if (r != SC_OK) {
		/* 1 means "absent": `exists || set` must not take a failed
		 * look-up for that */
		int rc = cli_session_fail(&cs, r, "cannot look up '%s'", name);

		cli_session_close(&cs);
		return rc == EXIT_FAIL ? EXIT_LOOKUP : rc;
	}
	cli_session_close(&cs);
	if (c->json) {
		json_t *o = json_pack("{s:s,s:b}", "name", name, "exists", exists);
		char *s = json_dumps(o, JSON_COMPACT);

		if (s != NULL)
			puts(s);
		free(s);
		json_decref(o);
	}
	return exists ? EXIT_OK : EXIT_FAIL;
}
