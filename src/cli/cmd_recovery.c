/* cmd_recovery.c - `secretctl recovery split | open`: a recovery key slot
 * whose random key is split into SLIP-0039 shares (any T of N open the
 * vault), and opening the vault with T of them to set a new password
 * (docs/RECOVERY.md). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/agent_cmds.h"
#include "cli/kdfopt.h"
#include "secretctl/keyslot.h"

/* Shares read at most: one group, SC_SHARE_MAX members, each a line. */
#define SHARES_INPUT_MAX (SC_SHARE_MAX * (SC_SHARE_TEXT_MAX + 2) + 4096)

const struct cli_opt cli_opts_recovery_split[] = {
    {'n', 0, "shares", "N", "how many shares to make, 2 to 16", 0},
    {'t', 0, "threshold", "T", "how many of them open the vault, 2 to N", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

const struct cli_opt cli_opts_recovery_open[] = {
    {'s', 0, "shares-fd", "N", "read the shares from file descriptor N, one a line", 0},
    {'n', 0, "new-password-fd", "N", "read the new password from file descriptor N", 0},
    {'m', 0, "kdf-memory", "SIZE", "Argon2id memory: KiB, or with M or G (default 64M)", 0},
    {'T', 0, "kdf-time", "N", "Argon2id passes, 1 to 64 (default 3)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

static int parse_small(const char *s, unsigned lo, unsigned hi, uint8_t *out)
{
	uint64_t v;

	if (cli_parse_count(s, hi, &v) != SC_OK || v < lo)
		return SC_ERR_INVALID;
	*out = (uint8_t)v;
	return SC_OK;
}

static void print_shares(struct cli *c, const struct sc_share_set *set, uint8_t t, uint8_t n,
                         uint16_t ident, int64_t slot)
{
	size_t i;

	if (c->json) {
		json_t *arr = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(arr, json_string(sc_share_set_mnemonic(set, 0, i)));
		cli_print_json(json_pack("{s:I,s:i,s:i,s:i,s:o}", "slot", (json_int_t)slot,
		                         "threshold", t, "shares", n, "split", ident, "mnemonics",
		                         arr));
		return;
	}
	printf("# secretctl recovery shares: any %u of these %u open the vault (key slot %" PRId64
	       ", split %u)\n",
	       t, n, slot, ident);
	for (i = 0; i < n; i++)
		printf("# share %zu of %u\n%s\n", i + 1, n, sc_share_set_mnemonic(set, 0, i));
	fflush(stdout);
}

static int rec_split(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_vault *v = NULL;
	struct sc_share_set *set = NULL;
	struct sc_keyslot_recovery rec = {0};
	int64_t slot = 0;
	int ch, r;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		if (ch == 'n' && parse_small(p.val, 2, SC_SHARE_MAX, &rec.count) != SC_OK)
			return cli_usage(c, "bad --shares '%s' (2 to %d)", p.val, SC_SHARE_MAX);
		if (ch == 't' && parse_small(p.val, 2, SC_SHARE_MAX, &rec.threshold) != SC_OK)
			return cli_usage(c, "bad --threshold '%s' (2 to the number of shares)",
			                 p.val);
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
	if (rec.count == 0 || rec.threshold == 0)
		return cli_usage(c, "recovery split needs --shares N and --threshold T");
	if (rec.threshold > rec.count)
		return cli_usage(c, "--threshold %u is more than --shares %u", rec.threshold,
		                 rec.count);
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	/* the key, its shares, the slot and its audit entry: printed only
	 * once the slot and its entry are stored */
	r = sc_session_recovery_split(v, cli_who(), &rec, &set, &slot);
	sc_vault_close(v);
	if (r != SC_OK)
		return cli_fail(r, "cannot make the recovery shares");
	print_shares(c, set, rec.threshold, rec.count, rec.identifier, slot);
	sc_share_set_free(set);
	if (!c->json)
		cli_warn(
		    "keep each share apart (paper, another device, a person you trust): any %u "
		    "of them open this vault without the password; remove the slot with "
		    "'secretctl keyslot remove %" PRId64 "'",
		    rec.threshold, slot);
	return EXIT_OK;
}

/* ---- open ---- */

struct shares {
	char *buf; /* secmem: the input, lines cut in place */
	const char *line[SC_SHARE_MAX];
	size_t n;
};

static void shares_free(struct shares *sh)
{
	size_t i;

	for (i = 0; sh->buf == NULL && i < sh->n; i++)
		sc_secmem_free((char *)sh->line[i]); /* each read from the terminal */
	sc_secmem_free(sh->buf);
	memset(sh, 0, sizeof(*sh));
}

/* Lines of fd: blank ones and "#" comments (the split's own) skipped. */
static int shares_from_fd(int fd, struct shares *sh)
{
	uint8_t *b = NULL;
	size_t len, i, start = 0;
	int r;

	if ((r = cli_read_fd(fd, SHARES_INPUT_MAX, &b, &len)) != SC_OK)
		return r;
	sh->buf = (char *)b;
	if (memchr(b, '\0', len) != NULL) {
		sc_set_error("the shares hold a NUL byte");
		return SC_ERR_INVALID;
	}
	for (i = 0; i <= len; i++) {
		char *l;
		size_t e;

		if (i < len && b[i] != '\n')
			continue;
		if (i < len)
			b[i] = '\0';
		l = (char *)b + start;
		e = i - start;
		start = i + 1;
		while (e > 0 && (l[e - 1] == '\r' || l[e - 1] == ' ' || l[e - 1] == '\t'))
			l[--e] = '\0';
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '\0' || *l == '#')
			continue;
		if (sh->n == SC_SHARE_MAX) {
			sc_set_error("more than %d shares given", SC_SHARE_MAX);
			return SC_ERR_INVALID;
		}
		sh->line[sh->n++] = l;
	}
	return SC_OK;
}

/* At the terminal: as many as the first share says are needed. */
static int shares_from_tty(struct shares *sh)
{
	struct sc_share_info info;
	size_t need = 1;
	int r;

	while (sh->n < need) {
		char prompt[48], *l = NULL;
		size_t len;

		snprintf(prompt, sizeof(prompt), "Share %zu: ", sh->n + 1);
		if ((r = cli_read_tty_secret(prompt, &l, &len)) != SC_OK) {
			if (r == SC_ERR_LOCKED)
				sc_set_error("no terminal: give the shares with --shares-fd N "
				             "(one a line)");
			return r;
		}
		sh->line[sh->n++] = l;
		if (sh->n == 1) {
			if ((r = sc_share_inspect(l, &info)) != SC_OK)
				return r;
			need = info.member_threshold;
		}
	}
	return SC_OK;
}

/* The audit of a failed recovery, without a key (as a failed unlock). */
static void record_failure(struct sc_vault *v, int status)
{
	struct sc_audit_event ev = {
	    .op = "recovery.open", .source = SC_AUDIT_SRC_CLI, .status = status};
	char detail[512];

	snprintf(detail, sizeof(detail), "%s", sc_last_error());
	if (sc_audit_append_pending(sc_vault_dir(v), &ev) != SC_OK)
		cli_warn("cannot record the failed recovery in the audit log");
	sc_clear_error();
	if (detail[0] != '\0')
		sc_set_error("%s", detail);
}

static int rec_open(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_kdf_params kp = {SC_ARGON2_MEM_KIB_DEFAULT, SC_ARGON2_T_DEFAULT};
	struct shares sh = {0};
	struct sc_vault *v = NULL;
	uint8_t *key = NULL;
	char *pw = NULL;
	size_t klen = 0, len = 0;
	int64_t slot = 0;
	int ch, r, rc, sfd = -1, nfd = -1;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 's':
			if (cli_parse_fd(p.val, &sfd) != SC_OK)
				return cli_usage(c, "--shares-fd needs a file descriptor number");
			break;
		case 'n':
			if (cli_parse_fd(p.val, &nfd) != SC_OK)
				return cli_usage(
				    c, "--new-password-fd needs a file descriptor number");
			break;
		case 'm':
		case 'T':
			if (cli_parse_kdf_opt(ch == 'm' ? 'm' : 't', p.val, &kp) != SC_OK)
				return cli_usage(c, "bad --kdf-%s value '%s'",
				                 ch == 'm' ? "memory" : "time", p.val);
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
	if (sfd < 0 && !isatty(0))
		sfd = 0;
	/* the key slots are read without a key: the vault opens locked */
	if ((r = cli_open_vault(c, 0, &v)) != SC_OK)
		return cli_fail(r, "cannot open the vault");
	r = sfd >= 0 ? shares_from_fd(sfd, &sh) : shares_from_tty(&sh);
	if (r != SC_OK) {
		rc = cli_fail(r, "cannot read the shares");
		goto out;
	}
	if (sh.n == 0) {
		rc = cli_error(EXIT_USAGE, "no shares given (one a line)");
		goto out;
	}
	r = sc_shares_combine(sh.line, sh.n, NULL, &key, &klen);
	shares_free(&sh);
	if (r == SC_OK && klen != SC_RECOVERY_KEY_LEN) {
		sc_set_error("these shares carry a %zu-byte secret, not a vault's recovery key",
		             klen);
		r = SC_ERR_AUTH;
	}
	if (r == SC_OK)
		r = sc_vault_unlock_recovery(v, key, &slot);
	sc_secmem_free(key);
	if (r != SC_OK) {
		record_failure(v, r);
		rc = cli_fail(r, "cannot open the vault with these shares");
		goto out;
	}
	if ((r = cli_get_new_password(c, nfd, &pw, &len)) != SC_OK) {
		rc = cli_fail(r, "cannot read the new password");
		goto out;
	}
	{
		/* the new password and its audit entry: one step, both or neither */
		cli_slow_begin();
		r = sc_session_passwd(v, cli_who(), pw, len, &kp, 1);
		cli_slow_end();
		if (r == SC_OK && sc_vault_checkpoint(v) != SC_OK) {
			cli_warn("%s", sc_last_error());
			sc_clear_error();
		}
	}
	if (r != SC_OK) {
		rc = cli_fail(r, "cannot set the new password");
		goto out;
	}
	if (c->json)
		cli_print_json(json_pack("{s:I,s:b}", "slot", (json_int_t)slot, "password_set", 1));
	else
		fprintf(stderr,
		        "secretctl: opened with recovery slot %" PRId64 "; the vault password is "
		        "now the new one (the shares still work: 'secretctl keyslot remove %" PRId64
		        "' retires them)\n",
		        slot, slot);
	rc = EXIT_OK;
out:
	shares_free(&sh);
	sc_secmem_free(pw);
	sc_vault_close(v);
	return rc;
}

const struct cli_cmd cli_recovery_subs[] = {
    {"split", rec_split, CLI_NEEDS_VAULT | CLI_NEEDS_PASSWORD, NULL,
     "make a recovery key slot and split its key into shares (any T of N open the vault)",
     "A random 256-bit recovery key wraps the data key in a new key slot; it is split into\n"
     "N SLIP-0039 mnemonic shares (words with a checksum, and a digest so a wrong or\n"
     "forged share is detected) printed to stdout. The key itself is kept nowhere.",
     cli_opts_recovery_split, NULL},
    {"open", rec_open, CLI_NEEDS_VAULT, NULL, "open the vault with T shares and set a new password",
     "Shares come one a line from --shares-fd N or stdin (lines starting with '#' and\n"
     "blank lines are skipped), or are asked for at the terminal. The new password\n"
     "replaces the vault password (from --new-password-fd N, or asked twice).",
     cli_opts_recovery_open, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};
