/* cmd_backup.c - `secretctl backup -o FILE`, `backup --verify FILE` and
 * `secretctl restore FILE [--to DIR] [--force]`: the format and the checks
 * are the library's (backup/); this reads the options and credentials and
 * says what happened. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/kdfopt.h"
#include "secretctl/backup.h"

const struct cli_opt cli_opts_backup[] = {
    {'o', 'o', "output", "FILE", "write the backup to FILE (created 0600; must not exist)", 0},
    {'p', 0, "passphrase", NULL, "also seal it under a backup passphrase (asked twice)", 0},
    {'P', 0, "passphrase-fd", "N", "read the backup passphrase from file descriptor N", 0},
    {'m', 0, "kdf-memory", "SIZE", "the passphrase's Argon2id memory (default 64M)", 0},
    {'t', 0, "kdf-time", "N", "the passphrase's Argon2id passes (default 3)", 0},
    {'v', 0, "verify", NULL, "check the backup FILE (every tag, the vault, the audit chain)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

const struct cli_opt cli_opts_restore[] = {
    {'T', 0, "to", "DIR", "restore into DIR (default: the vault directory)", 0},
    {'f', 0, "force", NULL, "replace a vault already there (kept aside until done)", 0},
    {'p', 0, "passphrase", NULL, "the backup has a passphrase: ask for it", 0},
    {'P', 0, "passphrase-fd", "N", "read the backup passphrase from file descriptor N", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

struct bk_opts {
	const char *out, *to;
	int passphrase, pass_fd, verify, force;
	struct sc_kdf_params kp;
};

static int parse(struct cli *c, int argc, char **argv, struct bk_opts *o, struct cli_parse *p)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->pass_fd = -1;
	o->kp.mem_kib = SC_ARGON2_MEM_KIB_DEFAULT;
	o->kp.t = SC_ARGON2_T_DEFAULT;
	cli_parse_init(p, c, argc, argv);
	while ((ch = cli_parse_next(p)) > 0) {
		switch (ch) {
		case 'o':
			o->out = p->val;
			break;
		case 'T':
			o->to = p->val;
			break;
		case 'p':
			o->passphrase = 1;
			break;
		case 'P':
			if (cli_parse_fd(p->val, &o->pass_fd) != SC_OK)
				return cli_usage(c,
				                 "--passphrase-fd needs a file descriptor number");
			o->passphrase = 1;
			break;
		case 'm':
		case 't':
			if (cli_parse_kdf_opt(ch, p->val, &o->kp) != SC_OK)
				return cli_usage(c, "bad --kdf-%s value '%s'",
				                 ch == 'm' ? "memory" : "time", p->val);
			break;
		case 'v':
			o->verify = 1;
			break;
		case 'f':
			o->force = 1;
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p->status;
	return -1;
}

/* The backup passphrase: from its fd, else the terminal (asked twice for a
 * new backup); never the vault password's sources. */
static int get_passphrase(struct cli *c, const struct bk_opts *o, int confirm, char **pw,
                          size_t *len)
{
	int r;

	*pw = NULL;
	if (o->pass_fd >= 0) {
		struct cli tmp = *c;

		tmp.password_fd = o->pass_fd;
		r = cli_get_password(&tmp, "", 0, pw, len);
	} else {
		r = cli_read_tty_secret("Backup passphrase: ", pw, len);
		if (r == SC_OK && confirm) {
			char *again = NULL;
			size_t alen;

			r = cli_read_tty_secret("Repeat backup passphrase: ", &again, &alen);
			if (r == SC_OK && (alen != *len || sc_memcmp_ct(again, *pw, alen) != 0)) {
				sc_set_error("the passphrases do not match");
				r = SC_ERR_INVALID;
			}
			sc_secmem_free(again);
		} else if (r == SC_ERR_LOCKED) {
			sc_set_error("no terminal: give the passphrase with --passphrase-fd N");
		}
	}
	if (r == SC_OK && confirm && *len < 8) {
		sc_set_error("the passphrase must be at least 8 characters");
		r = SC_ERR_INVALID;
	}
	if (r != SC_OK) {
		sc_secmem_free(*pw);
		*pw = NULL;
	}
	return r;
}

static void print_info(struct cli *c, const char *what, const char *file,
                       const struct sc_backup_info *in, int counted)
{
	char when[64];

	cli_format_time(in->created_ms / 1000, when, sizeof(when));
	if (c->json) {
		printf("{\"%s\":true,\"file\":\"", what);
		cli_put_escaped(stdout, file);
		printf("\",\"created\":\"%s\",\"passphrase\":%s,\"bytes\":%llu,\"key_slots\":%zu",
		       when, in->passphrase ? "true" : "false", (unsigned long long)in->bytes,
		       in->nslots);
		if (counted)
			printf(",\"secrets\":%llu,\"audit_entries\":%llu,\"audit_lag\":%llu",
			       (unsigned long long)in->secrets,
			       (unsigned long long)in->audit_entries,
			       (unsigned long long)in->audit_lag);
		printf("}\n");
		return;
	}
	if (counted)
		cli_say("%s '%s': %llu secrets, %llu audit entries, %zu key slot%s, made %s%s",
		        what, file, (unsigned long long)in->secrets,
		        (unsigned long long)in->audit_entries, in->nslots,
		        in->nslots == 1 ? "" : "s", when,
		        in->passphrase ? ", with a passphrase" : "");
	else
		cli_say("%s '%s': %llu bytes, %zu key slot%s%s", what, file,
		        (unsigned long long)in->bytes, in->nslots, in->nslots == 1 ? "" : "s",
		        in->passphrase ? ", with a passphrase" : "");
}

/* Open, unlock and check (and with dest, restore) a backup file. */
static int check_or_restore(struct cli *c, const struct bk_opts *o, const char *file,
                            const char *dest)
{
	struct sc_backup *b = NULL;
	struct sc_backup_info in;
	char *pw = NULL, *pass = NULL, *tmpd = NULL;
	size_t len = 0, plen = 0;
	int r;

	if ((r = sc_backup_open(file, &b)) != SC_OK)
		return cli_fail(r, "cannot read the backup");
	if (sc_backup_needs_passphrase(b) && !o->passphrase) {
		sc_backup_free(b);
		return cli_error(cli_exit_status(SC_ERR_AUTH),
		                 "'%s' is sealed with a passphrase too; give "
		                 "--passphrase or --passphrase-fd N",
		                 file);
	}
	if (o->passphrase && (r = get_passphrase(c, o, 0, &pass, &plen)) != SC_OK) {
		sc_backup_free(b);
		return cli_fail(r, "cannot read the backup passphrase");
	}
	if ((r = cli_get_password(c, "Vault password (of the backup): ", 0, &pw, &len)) != SC_OK)
		goto out;
	cli_slow_begin();
	r = sc_backup_unlock(b, pw, len, sc_backup_needs_passphrase(b) ? pass : NULL, plen);
	cli_slow_end();
	if (r != SC_OK)
		goto out;
	if (dest == NULL) {
		const char *t = getenv("TMPDIR");

		if (asprintf(&tmpd, "%s/secretctl-check", t != NULL && *t == '/' ? t : "/tmp") <
		    0) {
			r = SC_ERR_NOMEM;
			goto out;
		}
	}
	r = sc_backup_restore(b, dest != NULL ? dest : tmpd, dest == NULL, o->force, &in);
out:
	sc_secmem_free(pw);
	sc_secmem_free(pass);
	sc_backup_free(b);
	free(tmpd);
	if (r != SC_OK)
		return cli_fail(r,
		                dest == NULL ? "the backup does not verify" : "nothing restored");
	if (dest == NULL)
		print_info(c, "verified", file, &in, 1);
	else
		print_info(c, "restored", dest, &in, 1);
	return EXIT_OK;
}

int cmd_backup(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct bk_opts o;
	struct sc_backup_info in;
	struct sc_vault *v = NULL;
	char *pass = NULL;
	size_t plen = 0;
	int r, at = 0;

	if ((r = parse(c, argc, argv, &o, &p)) >= 0)
		return r;
	if (o.verify) {
		if (p.nops != 1 || o.out != NULL)
			return cli_usage(c, "--verify takes one backup FILE and no --output");
		return check_or_restore(c, &o, p.ops[0], NULL);
	}
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
	if (o.out == NULL)
		return cli_usage(c, "give the backup file with -o FILE");
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	if (o.passphrase && (r = get_passphrase(c, &o, 1, &pass, &plen)) != SC_OK) {
		sc_vault_close(v);
		return cli_fail(r, "cannot read the backup passphrase");
	}
	/* the file, its entry (as intent, first) and the backup: the library */
	cli_slow_begin();
	r = sc_session_backup(v, cli_who(), o.out, pass, plen, &o.kp, &in, &at);
	cli_slow_end();
	sc_secmem_free(pass);
	sc_vault_close(v);
	if (r != SC_OK)
		return cli_fail(r, at == SC_SESSION_AT_CREATE  ? "cannot create the backup"
		                   : at == SC_SESSION_AT_AUDIT ? "not backing up: cannot write the "
		                                                 "audit log"
		                                               : "cannot write the backup");
	print_info(c, "backup written to", o.out, &in, 0);
	return EXIT_OK;
}

int cmd_restore(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct bk_opts o;
	int r;

	if ((r = parse(c, argc, argv, &o, &p)) >= 0)
		return r;
	if (p.nops != 1)
		return cli_usage(c, p.nops == 0 ? "give the backup FILE" : "one backup FILE only");
	return check_or_restore(c, &o, p.ops[0], o.to != NULL ? o.to : c->vault_dir);
}
