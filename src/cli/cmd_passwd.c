/* cmd_passwd.c - `secretctl passwd`: change the vault password (rewraps the
 * data key; the secrets themselves are not re-encrypted). */
#include <jansson.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/kdfopt.h"

const struct cli_opt cli_opts_passwd[] = {
    {'n', 0, "new-password-fd", "N", "read the new password from file descriptor N", 0},
    {'m', 0, "kdf-memory", "SIZE", "Argon2id memory: KiB, or with M or G (default 64M)", 0},
    {'t', 0, "kdf-time", "N", "Argon2id passes, 1 to 64 (default 3)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

int cmd_passwd(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_kdf_params kp = {SC_ARGON2_MEM_KIB_DEFAULT, SC_ARGON2_T_DEFAULT};
	struct sc_vault *v = NULL;
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
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	{
		struct cli tmp = *c;

		tmp.password_fd = -1;
		if (fd < 0) {
			/* no fd for the new password: only the terminal will do */
			r = cli_read_tty_secret("New password: ", &pw, &len);
			if (r == SC_OK) {
				char *again = NULL;
				size_t again_len;

				r = cli_read_tty_secret("Repeat new password: ", &again,
				                        &again_len);
				if (r == SC_OK &&
				    (again_len != len || sc_memcmp_ct(again, pw, len) != 0)) {
					sc_set_error("the passwords do not match");
					r = SC_ERR_INVALID;
				}
				sc_secmem_free(again);
			} else if (r == SC_ERR_LOCKED) {
				sc_set_error("no terminal: give the new password with "
				             "--new-password-fd N");
			}
			if (r == SC_OK && len < 8) {
				sc_set_error("the password must be at least 8 characters");
				r = SC_ERR_INVALID;
			}
		} else {
			r = cli_get_new_password(&tmp, fd, &pw, &len);
		}
	}
	if (r != SC_OK) {
		sc_secmem_free(pw);
		sc_vault_close(v);
		return cli_fail(r, "cannot read the new password");
	}
	{
		/* the new slot and its audit entry: one step, both or neither */
		cli_slow_begin();
		r = sc_session_passwd(v, cli_who(), pw, len, &kp, 0);
		cli_slow_end();
		if (r == SC_OK && sc_vault_checkpoint(v) != SC_OK) {
			/* committed: only the WAL's old frames could not be
			 * folded away yet. The change is done; say what is left. */
			cli_warn("%s", sc_last_error());
			sc_clear_error();
		}
	}
	sc_secmem_free(pw);
	sc_vault_close(v);
	if (r != SC_OK)
		return cli_fail(r, "cannot change the password");
	if (c->json)
		printf("{\"password_changed\":true}\n");
	else
		fprintf(stderr, "secretctl: password changed\n");
	return EXIT_OK;
}
