/* cmd_passwd.c - `secretctl passwd`: change the vault password (rewraps the
 * data key; the secrets themselves are not re-encrypted). */
#include <getopt.h>

#include "cli/cli.h"
#include "cli/kdfopt.h"

struct passwd_args {
	const char *pw;
	size_t len;
	const struct sc_kdf_params *kp;
};

static int passwd_in_txn(struct sc_vault *v, void *arg)
{
	const struct passwd_args *pa = arg;

	return sc_vault_passwd_in_txn(v, pa->pw, pa->len, pa->kp);
}

int cmd_passwd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"new-password-fd", required_argument, NULL, 'n'},
	    {"kdf-memory", required_argument, NULL, 'm'},
	    {"kdf-time", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	struct sc_kdf_params kp = {SC_ARGON2_MEM_KIB_DEFAULT, SC_ARGON2_T_DEFAULT};
	struct sc_vault *v = NULL;
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
		struct passwd_args pa = {pw, len, &kp};

		/* the new slot and its audit entry: one step, both or neither */
		r = cli_audit_write(c, v, "passwd", NULL, 0, passwd_in_txn, &pa);
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
	fprintf(stderr, "secretctl: password changed\n");
	return EXIT_OK;
}
