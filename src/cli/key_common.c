/* key_common.c - the keyring session of the `key`, `sign` and `verify`
 * commands: the vault opened, its keyring loaded, and every outcome
 * recorded in the audit log (a change saved in the same transaction as
 * its entry), plus the parsing they share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/key_cli.h"

/* How long a key's confirmation may wait for its answer. */
#define KEY_CONFIRM_S 60

int64_t key_now(void)
{
	return (int64_t)time(NULL);
}

int key_open(struct cli *c, struct key_session *ks)
{
	int r;

	memset(ks, 0, sizeof(*ks));
	if ((r = cli_open_vault(c, 1, &ks->v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	if ((r = sc_vault_keyring_load(ks->v, &ks->kr)) != SC_OK) {
		int rc = cli_fail(r, "cannot open the vault's keyring");

		key_close(ks);
		return rc;
	}
	ks->gen0 = sc_keyring_generation(ks->kr);
	return EXIT_OK;
}

int key_commit(struct cli *c, struct key_session *ks, const char *op, const char *name, int st)
{
	return key_commit_info(c, ks, op, name, NULL, st);
}

int key_commit_info(struct cli *c, struct key_session *ks, const char *op, const char *name,
                    const struct sc_keys_info *info, int st)
{
	const struct sc_keyop_who who = {SC_AUDIT_SRC_CLI, NULL};
	int changed = st == SC_OK && sc_keyring_generation(ks->kr) != ks->gen0;
	int r;

	(void)c;
	r = sc_keyop_commit(ks->v, ks->kr, ks->gen0, &who, op, name, info, st);
	if (r == SC_ERR_READONLY && st == SC_OK && !changed) {
		/* as the session layer does: a read of a vault on a read-only
		 * file system is answered, and says it is not recorded */
		cli_warn("the vault is on a read-only file system: this %s is not recorded in the "
		         "audit log",
		         op);
		sc_clear_error();
		r = SC_OK;
	}
	if (r == SC_OK && changed)
		ks->gen0 = sc_keyring_generation(ks->kr);
	return r;
}

void key_close(struct key_session *ks)
{
	key_token_close(ks);
	sc_keyring_free(ks->kr);
	sc_vault_close(ks->v);
	memset(ks, 0, sizeof(*ks));
}

int key_parse_version(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long n;

	if (s[0] < '1' || s[0] > '9')
		return SC_ERR_INVALID;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > UINT32_MAX)
		return SC_ERR_INVALID;
	*out = (uint32_t)n;
	return SC_OK;
}

int key_parse_days(const char *s, unsigned *out)
{
	uint32_t d;

	if (key_parse_version(s, &d) != SC_OK || d < SC_KEYS_DESTROY_DAYS_MIN ||
	    d > SC_KEYS_DESTROY_DAYS_MAX)
		return SC_ERR_INVALID;
	*out = d;
	return SC_OK;
}

int key_ctx_add(struct sc_keys_ctx **ctx, const char *kv)
{
	int r;

	if (strchr(kv, '=') == NULL) {
		sc_set_error("'%s' is not k=v", kv);
		return SC_ERR_INVALID;
	}
	if (*ctx == NULL && (r = sc_keys_ctx_new(ctx)) != SC_OK)
		return r;
	return sc_keys_ctx_add_kv(*ctx, kv);
}

int key_check_name(struct cli *c, const char *name, int *status)
{
	if (sc_keys_name_valid(name) != SC_OK) {
		sc_clear_error();
		*status =
		    cli_usage(c,
		              "invalid key name '%s' (1-64 of [A-Za-z0-9._-], first a letter or "
		              "digit)",
		              name);
		return CLI_PARSE_EXIT;
	}
	return CLI_PARSE_END;
}

int key_read_input(const char *path, size_t max, int strip_nl, uint8_t **buf, size_t *len)
{
	int fd = 0, r;

	*buf = NULL;
	*len = 0;
	if (path != NULL && strcmp(path, "-") != 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			sc_set_error("'%s': %s", path, strerror(errno));
			return errno == ENOENT ? SC_ERR_NOT_FOUND : sc_status_from_errno(errno);
		}
	}
	r = cli_read_fd(fd, max, buf, len);
	if (fd != 0)
		close(fd);
	if (r == SC_ERR_TOOBIG)
		sc_set_error("the input is larger than %zu bytes", max);
	if (r == SC_OK && strip_nl && *len > 0 && (*buf)[*len - 1] == '\n')
		(*buf)[--*len] = '\0';
	return r;
}

int key_write_file(const char *path, const uint8_t *buf, size_t len)
{
	int fd, r;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0) {
		sc_set_error("'%s': %s", path, strerror(errno));
		return sc_status_from_errno(errno);
	}
	r = sc_fd_write_all(fd, buf, len);
	if (close(fd) != 0 && r == SC_OK)
		r = sc_status_from_errno(errno);
	return r;
}

int key_print_json(json_t *o)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	int r = s != NULL && puts(s) >= 0 ? SC_OK : SC_ERR_IO;

	free(s);
	json_decref(o);
	return r;
}

void key_say(const char *name, const struct sc_keys_info *info)
{
	if (info->compromised)
		cli_warn("version %u of key '%s' is COMPROMISED and was used (--allow-compromised; "
		         "recorded in the audit log): rewrap what it protects under a new version "
		         "(key rotate %s, key rewrap %s)",
		         info->compromised, name, name, name);
	if (info->rotated)
		cli_say("key '%s' was rotated to version %u first (its rotation period or "
		        "message limit was reached)",
		        name, info->version);
}

/* ---- one operation, through the agent or here ---- */

/* A key made with --confirm: the person at the terminal says yes to this
 * signature, shown the key, the program that ran us and the message's
 * SHA-256; then op->confirmed. No terminal, a no or silence: refused. */
static int key_confirm(struct key_session *ks, struct sc_keyop *op)
{
	struct sc_key_meta m;
	uint8_t h[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof(h) + 1], prompt[512], parent[64];
	int r;

	if (sc_keyring_key_meta(ks->kr, op->name, &m) != SC_OK || !(m.flags & SC_KEY_CONFIRM))
		return SC_OK;
	crypto_hash_sha256(h, op->in, op->in_len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	sc_exec_pid_name((long)getppid(), parent, sizeof(parent));
	snprintf(prompt, sizeof(prompt),
	         "secretctl: sign with key '%s' for %s (pid %ld)?\nSHA-256 of the message: %s",
	         op->name, parent, (long)getppid(), hex);
	if ((r = cli_confirm_tty(prompt, KEY_CONFIRM_S)) == SC_OK) {
		op->confirmed = 1;
		return SC_OK;
	}
	sc_set_error(r == SC_ERR_LOCKED ? "key '%s' asks for a confirmation per signature: run "
	                                  "'secretctl sign' at a terminal"
	                                : "the signature by key '%s' was not confirmed",
	             op->name);
	return SC_ERR_DENIED;
}

/* A signature's key made with --passphrase and no passphrase given yet:
 * asked at the terminal now, for this one signature. */
static int sign_pp(struct cli *c, struct key_session *ks, struct sc_keyop *one, struct key_pp *pp)
{
	struct sc_key_meta m;
	int r;

	if (one->passphrase != NULL || sc_keyring_key_meta(ks->kr, one->name, &m) != SC_OK ||
	    !(m.flags & SC_KEY_PASSPHRASE))
		return SC_OK;
	if ((r = key_pp_read(c, one->name, -1, pp)) == SC_OK) {
		one->passphrase = (const uint8_t *)pp->pp;
		one->passphrase_len = pp->len;
	}
	return r;
}

static int run_local(struct cli *c, const struct sc_keyop *op, struct key_pp *pp,
                     struct sc_keyop_result *res, int *st)
{
	const struct sc_keyop_who who = {SC_AUDIT_SRC_CLI, NULL};
	struct sc_keyop one = *op;
	struct key_session ks;
	int r;

	if ((r = key_open(c, &ks)) != EXIT_OK)
		return r;
	/* verifying and the public key need no private part: no PIN asked for */
	*st = op->kind == SC_KEYOP_VERIFY || op->kind == SC_KEYOP_PUBKEY
	          ? SC_OK
	          : key_token(c, &ks, op->name);
	/* a signature: a key that asks for confirmation asks the person at the
	 * terminal; a custody key's passphrase, if not given, is asked next */
	if (*st == SC_OK && op->kind == SC_KEYOP_SIGN && (*st = key_confirm(&ks, &one)) == SC_OK)
		*st = sign_pp(c, &ks, &one, pp);
	if (*st == SC_OK)
		*st = sc_keyop_apply(ks.kr, &one, key_now(), res);
	*st = sc_keyop_commit(ks.v, ks.kr, ks.gen0, &who, sc_keyop_audit_op(op->kind), op->name,
	                      &res->info, *st);
	if (*st != SC_OK)
		sc_keyop_result_release(res);
	key_close(&ks);
	return EXIT_OK;
}

/* The operation through an unlocked agent, if one runs: 1 with its status
 * in *st, 0 when there is none. */
static int agent_try(struct cli *c, const struct sc_keyop *op, struct sc_keyop_result *res, int *st)
{
	struct cli_session cs;
	int fd = -1, r = SC_ERR_LOCKED;

	if (cli_session_open(c, &cs) == SC_OK) {
		r = sc_session_agent(cs.s, &fd, NULL);
		cli_session_close(&cs);
	}
	if (r != SC_OK)
		return 0;
	*st = sc_agent_key(fd, SC_AGENT_ORIGIN_CLI, NULL, op, res);
	close(fd);
	return 1;
}

int key_run(struct cli *c, const struct sc_keyop *op, struct sc_keyop_result *res, int *st)
{
	struct sc_keyop one = *op;
	struct key_pp pp;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&pp, 0, sizeof(pp));
	/* a signature's passphrase from --passphrase-fd: read once, for the
	 * agent or the vault here, and wiped when the command is done */
	if (op->kind == SC_KEYOP_SIGN && c->passphrase_fd > 0) {
		if ((*st = key_pp_read(c, op->name, c->passphrase_fd - 1, &pp)) != SC_OK)
			return EXIT_OK;
		one.passphrase = (const uint8_t *)pp.pp;
		one.passphrase_len = pp.len;
	}
	/* an unlocked agent, if one runs: the key is used there */
	if (agent_try(c, &one, res, st)) {
		/* a custody key and no passphrase yet (SC_ERR_AUTH can mean
		 * nothing else from an unlocked agent): asked at the terminal,
		 * and the agent asked again with it; a wrong one is final */
		if (*st == SC_ERR_AUTH && one.passphrase == NULL && op->kind == SC_KEYOP_SIGN) {
			sc_clear_error();
			if ((*st = key_pp_read(c, op->name, -1, &pp)) != SC_OK)
				goto done;
			one.passphrase = (const uint8_t *)pp.pp;
			one.passphrase_len = pp.len;
			if (!agent_try(c, &one, res, st))
				*st = SC_ERR_LOCKED;
		}
		/* locked since, a key in a token (its PIN is asked for here), or
		 * a key whose signatures a person confirms and an agent with no
		 * askpass to ask with (a refusal that says the caller may ask):
		 * the vault here, as without an agent. A "no" is final. */
		if (*st != SC_ERR_LOCKED && *st != SC_ERR_TOKEN &&
		    !(*st == SC_ERR_DENIED && op->kind == SC_KEYOP_SIGN &&
		      sc_agent_refusal_asks())) {
			if (*st == SC_OK)
				key_say(op->name, &res->info);
			goto done;
		}
		sc_clear_error();
	}
	r = run_local(c, &one, &pp, res, st);
	if (r == EXIT_OK && *st == SC_OK)
		key_say(op->name, &res->info);
	key_pp_wipe(&pp);
	return r;
done:
	key_pp_wipe(&pp);
	return EXIT_OK;
}

int key_fail(int st, const char *what, const char *name)
{
	if (st == SC_ERR_NOT_FOUND && *sc_last_error() == '\0')
		return cli_error(EXIT_NOTFOUND, "no key '%s'", name);
	return cli_fail(st, "cannot %s '%s'", what, name);
}
