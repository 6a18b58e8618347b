/* cmd_read.c - `secretctl read secretctl://NAME[/FIELD]`: `get` by
 * reference (the syntax and how a path resolves: secretctl/secref.h). */
#include <string.h>

#include "cli/cli.h"
#include "secretctl/secref.h"

const struct cli_opt cli_opts_read[] = {
    {'r', 0, "raw", NULL, "no newline after the value", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

/* The one-line message for a reference that does not parse. */
int cli_bad_ref(const char *where, const char *ref)
{
	const char *why = !sc_secref_is_ref(ref) ? "it does not start with secretctl://"
	                                         : "the path is not a secret name (letters, "
	                                           "digits, . _ - and /; no percent-encoding, "
	                                           "query or fragment)";

	return cli_error(EXIT_USAGE, "%s%s'%s' is not a secret reference: %s", where ? where : "",
	                 where ? ": " : "", ref, why);
}

int cmd_read(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	const char *path;
	int ch, raw = 0;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0)
		if (ch == 'r')
			raw = 1;
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, p.nops < 1 ? "missing secretctl://NAME[/FIELD]"
		                               : "too many arguments");
	if (sc_secref_parse(p.ops[0], &path) != SC_OK)
		return cli_bad_ref(NULL, p.ops[0]);
	return cli_get_print(c, NULL, NULL, path, 0, raw, 0);
}
