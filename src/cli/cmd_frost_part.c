/* cmd_frost_part.c - `secretctl frost participate`, a participant's end of a
 * FROST session on stdin/stdout (its vault's keyring holds its share and
 * identity key), and the helpers the coordinator's commands share. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/frost_cli.h"
#include "cli/key_cli.h"
#include "secretctl/secmem.h"
#include "secretctl/sig.h"

extern char **environ;

#define PART_TIMEOUT_MS (300u * 1000u)

const struct cli_opt cli_opts_frost_participate[] = {
    {'c', 0, "confirm", NULL, "ask on the terminal before signing (no terminal: refuse)", 0},
    {'T', 0, "timeout", "SECS", "wait this long for each message (default 300)", 0},
    {0, 0, NULL, NULL, NULL, 0}};

struct part {
	struct cli *c;
	struct sc_frost_peer coord;
	struct sc_frost_request req;
	struct key_session ks;
	int confirm;
};

static void show_identity(void *arg, uint16_t who, const uint8_t pub[SC_FROST_ID_PUB_LEN])
{
	const struct part *pt = arg;
	char hex[2 * 8 + 1];

	sodium_bin2hex(hex, sizeof(hex), pub, 8);
	cli_say("frost keygen '%s': participant %u identity %s%s", pt->req.group, who, hex,
	        who == pt->req.id ? " (this vault)" : "");
}

/* Show what is signed; with --confirm ask on the terminal. */
static int confirm(void *arg, const struct sc_frost_signing_package *pkg)
{
	const struct part *pt = arg;
	uint8_t digest[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof(digest) + 1], who[256] = "", ans[8] = "";
	const uint8_t *msg;
	size_t len, n = sc_frost_signing_package_count(pkg), off = 0;
	int fd;
	ssize_t k;

	msg = sc_frost_signing_package_message(pkg, &len);
	crypto_hash_sha256(digest, msg, len);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	for (size_t i = 0; i < n && off + 8 < sizeof(who); i++)
		off += (size_t)snprintf(who + off, sizeof(who) - off, "%s%u", i ? "," : "",
		                        sc_frost_signing_package_commitment(pkg, i)->id);
	cli_say("frost sign '%s': participant %u, signers %s, %zu bytes, SHA-256 %s", pt->req.group,
	        pt->req.id, who, len, hex);
	if (!pt->confirm)
		return SC_OK;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0) {
		sc_set_error("--confirm needs a terminal");
		return SC_ERR_DENIED;
	}
	if (write(fd, "Sign? [y/N] ", 12) != 12 || (k = read(fd, ans, sizeof(ans) - 1)) <= 0 ||
	    (ans[0] != 'y' && ans[0] != 'Y')) {
		close(fd);
		sc_set_error("declined at the terminal");
		return SC_ERR_DENIED;
	}
	close(fd);
	return SC_OK;
}

static int do_keygen(struct part *pt, const char *kname)
{
	struct sc_frost_keyring_identity ki = {pt->ks.kr, key_now()};
	struct sc_frost_key_package *kp = NULL;
	struct sc_frost_pubkeys *pub = NULL;
	struct sc_frost_identity id;
	int made = 0, st;

	cli_say("frost keygen '%s': participant %u of %u, threshold %u", pt->req.group, pt->req.id,
	        pt->req.max, pt->req.min);
	if ((st = sc_frost_keyring_identity(&ki, &id, &made)) != SC_OK) {
		sc_frost_frame_refuse(&pt->coord, "no identity key");
		return cli_fail(st, "cannot use the identity key");
	}
	if (made)
		cli_say("made this vault's FROST identity key '%s'", SC_FROST_IDENTITY_KEY);
	st = sc_frost_kg_participate(&pt->coord, &pt->req, &id, show_identity, pt, &kp, &pub);
	if (st == SC_OK &&
	    (st = sc_frost_keyring_store(pt->ks.kr, pt->req.group, kp, key_now())) != SC_OK)
		sc_frost_frame_refuse(&pt->coord, "cannot store the share");
	st = key_commit(pt->c, &pt->ks, "frost.keygen", kname, st);
	if (st == SC_OK && (st = sc_frost_kg_done(&pt->coord, &pt->req, &id, pub)) != SC_OK)
		cli_warn("the share is stored, but the coordinator did not hear it");
	sc_frost_key_package_free(kp);
	sc_frost_pubkeys_free(pub);
	if (st != SC_OK)
		return cli_error(EXIT_PEER, "frost keygen '%s' failed: %s", pt->req.group,
		                 sc_last_error());
	cli_say("frost keygen '%s': share stored as key '%s'", pt->req.group, kname);
	return EXIT_OK;
}

/* A trusted dealer's share: checked against its VSS commitment, stored. */
static int do_split(struct part *pt, const char *kname)
{
	struct sc_frost_keyring_identity ki = {pt->ks.kr, key_now()};
	struct sc_frost_key_package *kp = NULL;
	struct sc_frost_pubkeys *pub = NULL;
	struct sc_frost_identity id;
	char hex[2 * 8 + 1];
	int made = 0, st;

	cli_say("frost split '%s': participant %u of %u, threshold %u, from a trusted dealer",
	        pt->req.group, pt->req.id, pt->req.max, pt->req.min);
	if ((st = sc_frost_keyring_identity(&ki, &id, &made)) != SC_OK) {
		sc_frost_frame_refuse(&pt->coord, "no identity key");
		return cli_fail(st, "cannot use the identity key");
	}
	sodium_bin2hex(hex, sizeof(hex), id.pub, 8);
	cli_say("frost split '%s': this vault's identity %s%s", pt->req.group, hex,
	        made ? " (made now)" : "");
	st = sc_frost_split_participate(&pt->coord, &pt->req, &id, &kp, &pub);
	if (st == SC_OK &&
	    (st = sc_frost_keyring_store(pt->ks.kr, pt->req.group, kp, key_now())) != SC_OK)
		sc_frost_frame_refuse(&pt->coord, "cannot store the share");
	st = key_commit(pt->c, &pt->ks, "frost.split", kname, st);
	if (st == SC_OK && (st = sc_frost_split_done(&pt->coord, &pt->req, &id, pub)) != SC_OK)
		cli_warn("the share is stored, but the dealer did not hear it");
	if (st == SC_OK)
		sodium_bin2hex(hex, sizeof(hex), sc_frost_pubkeys_group_key(pub), 8);
	sc_frost_key_package_free(kp);
	sc_frost_pubkeys_free(pub);
	if (st != SC_OK)
		return cli_error(EXIT_PEER, "frost split '%s' failed: %s", pt->req.group,
		                 sc_last_error());
	cli_say("frost split '%s': share checked against the dealer's commitment, stored as key "
	        "'%s' (group key %s...)",
	        pt->req.group, kname, hex);
	return EXIT_OK;
}

static int do_sign(struct part *pt, const char *kname)
{
	struct sc_frost_key_package *kp = NULL;
	int st;

	if ((st = sc_frost_keyring_load(pt->ks.kr, pt->req.group, key_now(), &kp)) != SC_OK)
		sc_frost_frame_refuse(&pt->coord, "no usable share of that group here");
	else
		st = sc_frost_sign_participate(&pt->coord, &pt->req, kp, confirm, pt);
	sc_frost_key_package_free(kp);
	{
		char why[512];
		int a;

		snprintf(why, sizeof(why), "%s", sc_last_error());
		a = key_commit(pt->c, &pt->ks, "frost.sign", kname, st);
		if (st != SC_OK)
			sc_set_error("%s", why);
		else
			st = a;
	}
	if (st != SC_OK)
		return cli_error(st == SC_ERR_NOT_FOUND || st == SC_ERR_STATE ? sc_status_exit(st)
		                                                              : EXIT_PEER,
		                 "frost sign '%s' failed: %s", pt->req.group, sc_last_error());
	return EXIT_OK;
}

int cmd_frost_participate(struct cli *c, int argc, char **argv)
{
	char kname[SC_KEY_NAME_MAX + 1];
	struct cli_parse p;
	struct part pt;
	uint64_t secs = PART_TIMEOUT_MS / 1000;
	int ch, r, st;

	memset(&pt, 0, sizeof(pt));
	pt.c = c;
	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		if (ch == 'c')
			pt.confirm = 1;
		if (ch == 'T' && cli_parse_count(p.val, 3600, &secs) != SC_OK) {
			sc_clear_error();
			return cli_usage(c, "bad --timeout '%s' (seconds, 1 to 3600)", p.val);
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "no operands");
	sc_frost_peer_stdio(&pt.coord, (uint32_t)secs * 1000);
	if ((st = sc_frost_request_recv(&pt.coord, &pt.req)) != SC_OK)
		return cli_error(EXIT_PEER, "frost participate: the coordinator: %s",
		                 sc_last_error());
	if (sc_frost_share_key_name(pt.req.group, kname, sizeof(kname)) != SC_OK)
		return cli_error(EXIT_PEER, "frost participate: a bad group name");
	if ((r = key_open(c, &pt.ks)) != EXIT_OK) {
		sc_frost_frame_refuse(&pt.coord, "cannot unlock the participant's vault");
		return r;
	}
	r = pt.req.type == SC_FROST_F_KG_BEGIN   ? do_keygen(&pt, kname)
	    : pt.req.type == SC_FROST_F_SP_BEGIN ? do_split(&pt, kname)
	                                         : do_sign(&pt, kname);
	key_close(&pt.ks);
	return r;
}

/* ---- helpers of the coordinator's commands ----------------------------------- */

int frost_cli_member(struct cli *c, const char *arg, struct sc_frost_group *g)
{
	const char *eq = strchr(arg, '=');
	struct sc_frost_member *m;
	size_t nl;

	if (g->n >= FROST_CLI_MEMBERS_MAX)
		return cli_usage(c, "at most %d participants", FROST_CLI_MEMBERS_MAX);
	m = &g->members[g->n];
	nl = eq != NULL ? (size_t)(eq - arg) : 0;
	if (eq == NULL || nl == 0 || nl > SC_FROST_NAME_MAX)
		return cli_usage(c, "bad --participant '%s' (NAME=COMMAND)", arg);
	memcpy(m->name, arg, nl);
	m->name[nl] = '\0';
	if (!sc_frost_name_valid(m->name))
		return cli_usage(c, "invalid participant name '%s' (1-48 of [A-Za-z0-9._-])",
		                 m->name);
	if (eq[1] == '\0' || strlen(eq + 1) > SC_FROST_COMMAND_MAX)
		return cli_usage(c, "participant '%s': the command is empty or too long", m->name);
	for (uint16_t i = 0; i < g->n; i++)
		if (strcmp(g->members[i].name, m->name) == 0)
			return cli_usage(c, "participant '%s' given twice", m->name);
	memcpy(m->command, eq + 1, strlen(eq + 1) + 1);
	g->n++;
	return EXIT_OK;
}

int frost_cli_group_absent(struct cli *c, const char *name)
{
	struct sc_frost_group g;
	int st = sc_frost_group_load(c->vault_dir, name, &g);

	if (st == SC_ERR_NOT_FOUND) {
		sc_clear_error();
		return EXIT_OK;
	}
	if (st == SC_OK) {
		sc_frost_group_release(&g);
		return cli_error(EXIT_EXISTS, "group '%s' exists", name);
	}
	return cli_fail(st, "cannot look at group '%s'", name);
}

int frost_cli_print_key(const uint8_t key[SC_FROST_POINT_LEN], const char *fmt)
{
	uint8_t text[SC_SIG_PUB_TEXT_MAX];
	size_t len = 0;
	int st = SC_OK;

	if (strcmp(fmt, "raw") == 0) {
		st = fwrite(key, 1, SC_FROST_POINT_LEN, stdout) == SC_FROST_POINT_LEN ? SC_OK
		                                                                      : SC_ERR_IO;
	} else {
		st = sc_sig_pub_encode(SC_SIG_ED25519, key, SC_FROST_POINT_LEN,
		                       strcmp(fmt, "hex") == 0 ? SC_PUB_HEX : SC_PUB_PEM, NULL,
		                       text, sizeof(text), &len);
		if (st == SC_OK)
			st = fwrite(text, 1, len, stdout) == len &&
			             (len == 0 || text[len - 1] == '\n' || putchar('\n') != EOF)
			         ? SC_OK
			         : SC_ERR_IO;
	}
	if (st == SC_OK && fflush(stdout) != 0)
		st = SC_ERR_IO;
	return st == SC_OK ? EXIT_OK : cli_fail(st, "cannot write the group key");
}

int frost_cli_read_input(const char *path, uint8_t **buf, size_t *len)
{
	return key_read_input(path, SC_FROST_MSG_MAX, 0, buf, len);
}

int frost_cli_write_sig(const char *path, const uint8_t sig[SC_FROST_SIG_LEN])
{
	char b64[sodium_base64_ENCODED_LEN(SC_FROST_SIG_LEN, sodium_base64_VARIANT_ORIGINAL)];
	int st;

	if (path != NULL) {
		if ((st = key_write_file(path, sig, SC_FROST_SIG_LEN)) != SC_OK)
			return cli_fail(st, "cannot write '%s'", path);
		return EXIT_OK;
	}
	sodium_bin2base64(b64, sizeof(b64), sig, SC_FROST_SIG_LEN, sodium_base64_VARIANT_ORIGINAL);
	if (puts(b64) < 0 || fflush(stdout) != 0)
		return cli_fail(SC_ERR_IO, "cannot write the signature");
	return EXIT_OK;
}

int frost_cli_parse_timeout(struct cli *c, const char *s, uint32_t *ms)
{
	uint64_t secs;

	if (cli_parse_count(s, 3600, &secs) != SC_OK) {
		sc_clear_error();
		return cli_usage(c, "bad --timeout '%s' (seconds, 1 to 3600)", s);
	}
	*ms = (uint32_t)(secs * 1000);
	return EXIT_OK;
}

/* A failure of the session: a participant's (named, EXIT_PEER) or ours. */
int frost_cli_session_fail(int r, const char *what, const char *who)
{
	if (who != NULL)
		return cli_error(EXIT_PEER, "%s: participant '%s': %s", what, who, sc_last_error());
	return cli_fail(r, "%s", what);
}

int frost_cli_spawn_all(struct sc_frost_peer *peers, const struct sc_frost_member **m, size_t n,
                        uint32_t timeout_ms, size_t *bad)
{
	int r;

	*bad = 0;
	for (size_t i = 0; i < n; i++)
		peers[i].pid = 0;
	/* *bad as the sessions give it: the failing peer's index + 1 */
	for (size_t i = 0; i < n; i++)
		if ((r = sc_frost_peer_spawn(m[i]->command, environ, timeout_ms, &peers[i])) !=
		    SC_OK) {
			*bad = i + 1;
			return r;
		}
	return SC_OK;
}

void frost_cli_close_all(struct sc_frost_peer *peers, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sc_frost_peer_hangup(&peers[i]);
	for (size_t i = 0; i < n; i++)
		sc_frost_peer_close(&peers[i]);
}
