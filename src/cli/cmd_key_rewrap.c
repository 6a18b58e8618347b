/* cmd_key_rewrap.c - `secretctl key rewrap --all NAME`: every item of the
 * vault the reference index says is sealed under an older version of key
 * NAME sealed again under its newest (store/rewrap.c), in batches, each
 * one transaction; resumable (run it again after a crash); one audit entry
 * for the whole run, as `rekey` writes. Plain `key rewrap NAME` (one
 * sc:v1 text on stdin) is in cmd_key_ops.c. */
#include <stdlib.h>
#include <string.h>

#include "cli/key_cli.h"
#include "secretctl/session.h"

const struct cli_opt cli_opts_key_rewrap[] = {
    {'c', 0, "context", "K=V", "an encryption context pair (repeatable; bound as AAD)", 0},
    {'i', 0, "in", "FILE", "read from FILE instead of standard input", 0},
    {'o', 0, "out", "FILE", "write to FILE (0600) instead of standard output", 0},
    {'b', 0, "batch", NULL, "one item a line in, one a line out (at most 100000)", 0},
    {'C', 0, "allow-compromised", NULL, "use a version marked compromised (said loudly)", 0},
    {'A', 0, "all", NULL,
     "every item of the vault under an older version of NAME (its secrets and their history)", 0},
    {'n', 0, "items-per-batch", "N", "with --all: items per transaction (default 10000)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

int cli_key_rewrap_all(struct cli *c, int argc, char **argv)
{
	struct sc_vault_rewrap_report rep;
	struct sc_vault *v = NULL;
	struct cli_parse p;
	uint64_t n = 0;
	const char *name;
	int ch, r, st, all = 0;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 'A':
			all = 1;
			break;
		case 'n':
			if (cli_parse_count(p.val, SC_REWRAP_BATCH_MAX, &n) != SC_OK || n == 0)
				return cli_usage(c, "bad --items-per-batch '%s' (1 to %d)", p.val,
				                 SC_REWRAP_BATCH_MAX);
			break;
		default:
			return cli_usage(c, "--all takes only NAME and --items-per-batch");
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (!all)
		return cli_usage(c, "--items-per-batch goes with --all");
	if (p.nops != 1)
		return cli_usage(c, "%s", p.nops ? "one key name" : "a key name is needed");
	name = p.ops[0];
	if (key_check_name(c, name, &r) != CLI_PARSE_END)
		return r;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	st = sc_session_key_rewrap_all(v, cli_who(), name, (size_t)n, &rep);
	sc_vault_close(v);
	if (st != SC_OK) {
		if (rep.items > 0)
			cli_warn("%llu item%s moved to version %u before the failure; run it again "
			         "to go on",
			         (unsigned long long)rep.items, rep.items == 1 ? "" : "s",
			         rep.version);
		return key_fail(st, "rewrap the items of key", name);
	}
	if (c->json) {
		json_t *o =
		    json_pack("{s:s,s:i,s:I,s:I,s:I}", "name", name, "version",
		              (json_int_t)rep.version, "items", (json_int_t)rep.items, "fields",
		              (json_int_t)rep.fields, "batches", (json_int_t)rep.batches);

		return key_print_json(o) == SC_OK ? EXIT_OK : EXIT_FAIL;
	}
	if (rep.items == 0)
		cli_say("every item of key '%s' is already under version %u", name, rep.version);
	else
		cli_say("rewrapped %llu item%s (%llu field%s) of key '%s' to version %u in %llu "
		        "batch%s",
		        (unsigned long long)rep.items, rep.items == 1 ? "" : "s",
		        (unsigned long long)rep.fields, rep.fields == 1 ? "" : "s", name,
		        rep.version, (unsigned long long)rep.batches, rep.batches == 1 ? "" : "es");
	return EXIT_OK;
}
