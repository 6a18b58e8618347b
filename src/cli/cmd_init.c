/* cmd_init.c - `secretctl init`: create a new vault. */
#include <getopt.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/kdfopt.h"

int cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"new-password-fd", required_argument, NULL, 'n'},
	    {"kdf-memory", required_argument, NULL, 'm'},
	    {"kdf-time", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	struct sc_kdf_params kp = {SC_ARGON2_MEM_KIB_DEFAULT, SC_ARGON2_T_DEFAULT};
	char *pw = NULL;
	size_t len;
	int ch, fd = -1, r;

	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
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
		default:
			return cli_opt_error(c, ch, argv);
		}
	}
	if (optind != argc)
		return cli_usage(c, "unexpected argument '%s'", argv[optind]);
	if ((r = cli_get_new_password(c, fd, &pw, &len)) != SC_OK)
		return cli_fail(r, "cannot read the new password");
	r = sc_vault_create(c->vault_dir, pw, len, &kp);
	sc_secmem_free(pw);
	if (r != SC_OK)
		return cli_fail(r, "cannot create the vault");
	cli_say("created vault '%s'", c->vault_dir);
	return EXIT_OK;
}
