/* cmd_init.c - `secretctl init`: create a new vault. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/kdfopt.h"
#include "secretctl/audit.h"

/* An audit log (or pending file) left by a vault that was removed would
 * carry on its chain into the new vault, whose anchor knows nothing of it:
 * `audit verify` would fail at once. With no vault.db beside it, move it
 * aside (kept, never deleted) and say where. */
static int move_stale_audit(const char *dir)
{
	static const char *const files[] = {SC_AUDIT_FILE, SC_AUDIT_PENDING_FILE};
	char db[4096], from[4096], to[4096 + 32];
	struct stat sb;
	size_t i;

	snprintf(db, sizeof(db), "%s/vault.db", dir);
	if (lstat(db, &sb) == 0 || errno != ENOENT)
		return SC_OK; /* a vault is there: create refuses on its own */
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(from, sizeof(from), "%s/%s", dir, files[i]);
		if (lstat(from, &sb) != 0)
			continue;
		snprintf(to, sizeof(to), "%s.stale-%lld", from, (long long)time(NULL));
		if (lstat(to, &sb) == 0) {
			sc_set_error("cannot move the stale '%s' aside: '%s' exists", from, to);
			return SC_ERR_EXISTS;
		}
		if (rename(from, to) != 0) {
			sc_set_error("cannot move the stale '%s' aside: %s", from, strerror(errno));
			return SC_ERR_IO;
		}
		cli_say("moved '%s' (left by an earlier vault) to '%s'", from, to);
	}
	return SC_OK;
}

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
	if ((r = move_stale_audit(c->vault_dir)) != SC_OK) {
		sc_secmem_free(pw);
		return cli_fail(r, "cannot create the vault");
	}
	r = sc_vault_create(c->vault_dir, pw, len, &kp);
	sc_secmem_free(pw);
	if (r != SC_OK)
		return cli_fail(r, "cannot create the vault");
	cli_say("created vault '%s'", c->vault_dir);
	return EXIT_OK;
}
