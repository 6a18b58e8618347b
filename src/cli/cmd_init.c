/* cmd_init.c - `secretctl init`: create a new vault. */
#include <jansson.h>
#include <stdlib.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/kdfopt.h"

const struct cli_opt cli_opts_init[] = {
    {'n', 0, "new-password-fd", "N", "read the new password from file descriptor N", 0},
    {'m', 0, "kdf-memory", "SIZE", "Argon2id memory: KiB, or with M or G (default 64M)", 0},
    {'t', 0, "kdf-time", "N", "Argon2id passes, 1 to 64 (default 3)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

int cmd_init(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_kdf_params kp = {SC_ARGON2_MEM_KIB_DEFAULT, SC_ARGON2_T_DEFAULT};
	char *pw = NULL;
	size_t len;
	int ch, fd = -1, r;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		const char *optarg = p.val;

		switch (ch) {
		case 'n':
			if (cli_parse_fd(optarg, &fd) != SC_OK)
				return cli_usage(
				    c, "--new-password-fd needs a file descriptor number");
			break;
		case 'm':
		case 't':
			if (cli_parse_kdf_opt(ch, optarg, &kp) != SC_OK)
				return cli_usage(c, "bad --kdf-%s value '%s'",
				                 ch == 'm' ? "memory" : "time", optarg);
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
	if ((r = cli_get_new_password(c, fd, &pw, &len)) != SC_OK)
		return cli_fail(r, "cannot read the new password");
	cli_slow_begin();
	r = sc_vault_create(c->vault_dir, pw, len, &kp);
	cli_slow_end();
	sc_secmem_free(pw);
	if (r != SC_OK)
		return cli_fail(r, "cannot create the vault");
	if (c->json) {
		json_t *o = json_pack("{s:s,s:b}", "vault", c->vault_dir, "created", 1);
		char *s = json_dumps(o, JSON_COMPACT);

		if (s != NULL)
			puts(s);
		free(s);
		json_decref(o);
	} else
		fprintf(stderr, "secretctl: created vault '%s'\n", c->vault_dir);
	return EXIT_OK;
}
