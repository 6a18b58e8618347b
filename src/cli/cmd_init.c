/* cmd_init.c - `secretctl init`: create a new vault. */
#include <errno.h>
#include <jansson.h>
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
	if ((r = move_stale_audit(c->vault_dir)) != SC_OK) {
		sc_secmem_free(pw);
		return cli_fail(r, "cannot create the vault");
	}
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
	} else {
		cli_say("created vault '%s'", c->vault_dir);
	}
	return EXIT_OK;
}
