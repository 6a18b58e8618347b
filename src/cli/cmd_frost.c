/* cmd_frost.c - `secretctl frost`: the coordinator's commands (keygen,
 * sign, pubkey, list; split is cmd_frost_split.c) over the library's FROST
 * sessions (custody/frost_*.c). The coordinator holds no secret: it
 * relays, aggregates and verifies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/frost_cli.h"
#include "secretctl/secmem.h"
#include "secretctl/sig.h"

#define OPT_END                                                                                    \
	{                                                                                          \
		0, 0, NULL, NULL, NULL, 0                                                          \
	}
#define TIMEOUT_OPT                                                                                \
	{                                                                                          \
		'T', 0, "timeout", "SECS",                                                         \
		    "give each participant this long per answer (default 120)", 0                  \
	}

const struct cli_opt cli_opts_frost_keygen[] = {
    {'t', 0, "threshold", "T", "any T of the participants sign (2 to their number)", 0},
    {'p', 0, "participant", "NAME=COMMAND",
     "a participant and the command that reaches its 'frost participate' (repeat, 2 to 32)", 0},
    TIMEOUT_OPT,
    OPT_END};
const struct cli_opt cli_opts_frost_split[] = {
    {'k', 0, "key", "KEY", "split this vault's exportable ed25519 key KEY", 0},
    {'F', 0, "fresh", NULL, "split a fresh random key instead (never stored whole)", 0},
    {'K', 0, "keep-original", NULL, "with --key: KEY stays here, usable as before", 0},
    {'D', 0, "destroy-original", NULL,
     "with --key: schedule KEY's crypto-erase (7 days; unusable from now)", 0},
    {'t', 0, "threshold", "T", "any T of the participants sign (2 to their number)", 0},
    {'p', 0, "participant", "NAME=COMMAND",
     "a participant and the command that reaches its 'frost participate' (repeat, 2 to 32)", 0},
    TIMEOUT_OPT,
    OPT_END};
const struct cli_opt cli_opts_frost_sign[] = {
    {'i', 0, "in", "FILE", "the message: FILE ('-' or none: standard input)", 0},
    {'s', 0, "signers", "NAME,NAME[,...]", "the participants that sign (at least T)", 0},
    {'o', 0, "out", "FILE", "write the signature's 64 bytes to FILE (default: base64)", 0},
    TIMEOUT_OPT,
    OPT_END};
const struct cli_opt cli_opts_frost_pubkey[] = {
    {'f', 0, "format", "FORMAT", "pem (default), hex or raw", 0}, OPT_END};

static int keygen(struct cli *c, int argc, char **argv)
{
	struct sc_frost_group g;
	struct sc_frost_peer peers[FROST_CLI_MEMBERS_MAX];
	const struct sc_frost_member *mp[FROST_CLI_MEMBERS_MAX];
	uint8_t ids[FROST_CLI_MEMBERS_MAX][SC_FROST_ID_PUB_LEN];
	uint32_t timeout_ms = FROST_CLI_TIMEOUT_MS;
	uint64_t t = 0;
	struct cli_parse p;
	size_t bad = 0;
	int ch, r, st;

	memset(&g, 0, sizeof(g));
	if ((g.members = calloc(FROST_CLI_MEMBERS_MAX, sizeof(*g.members))) == NULL)
		return cli_fail(SC_ERR_NOMEM, "frost keygen");
	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		if (ch == 't' && cli_parse_count(p.val, FROST_CLI_MEMBERS_MAX, &t) != SC_OK) {
			sc_clear_error();
			r = cli_usage(c, "bad --threshold '%s'", p.val);
			goto out;
		}
		if (ch == 'T' && (r = frost_cli_parse_timeout(c, p.val, &timeout_ms)) != EXIT_OK)
			goto out;
		if (ch == 'p' && (r = frost_cli_member(c, p.val, &g)) != EXIT_OK)
			goto out;
	}
	if (ch == CLI_PARSE_EXIT) {
		r = p.status;
		goto out;
	}
	if (p.nops != 1 || !sc_frost_name_valid(p.ops[0])) {
		r = cli_usage(c, "%s", p.nops != 1 ? "one group name" : "invalid group name");
		goto out;
	}
	if (g.n < 2 || t < 2 || t > g.n) {
		r = cli_usage(c, "%s",
		              g.n < 2 ? "at least two --participant"
		                      : "--threshold is 2 to the number of participants");
		goto out;
	}
	memcpy(g.name, p.ops[0], strlen(p.ops[0]) + 1);
	if ((r = frost_cli_group_absent(c, g.name)) != EXIT_OK)
		goto out;
	for (uint16_t i = 0; i < g.n; i++)
		mp[i] = &g.members[i];
	if ((st = frost_cli_spawn_all(peers, mp, g.n, timeout_ms, &bad)) == SC_OK)
		st = sc_frost_kg_coordinate(peers, g.n, (uint16_t)t, g.name, ids, &g.pub, &bad);
	bad = bad == 0 ? SIZE_MAX : bad - 1;
	frost_cli_close_all(peers, g.n);
	if (st != SC_OK) {
		r = frost_cli_session_fail(st, "key generation failed",
		                           bad < g.n ? g.members[bad].name : NULL);
		goto out;
	}
	for (uint16_t i = 0; i < g.n; i++)
		memcpy(g.members[i].id_pub, ids[i], SC_FROST_ID_PUB_LEN);
	if ((st = sc_frost_group_save(c->vault_dir, &g)) != SC_OK) {
		r = cli_fail(st, "cannot save group '%s'", g.name);
		goto out;
	}
	r = frost_cli_print_key(sc_frost_pubkeys_group_key(g.pub), "hex");
	cli_say("group '%s': %u of %u, each participant holds its share in its own vault", g.name,
	        (unsigned)t, g.n);
out:
	sc_frost_group_release(&g);
	return r;
}

/* "a,b,c" -> the members, in the order given, distinct. */
static int pick_signers(struct cli *c, const struct sc_frost_group *g, const char *list,
                        const struct sc_frost_member **mp, uint16_t *ids, size_t *n)
{
	char name[SC_FROST_NAME_MAX + 2];
	const char *s = list;

	*n = 0;
	while (*s != '\0') {
		size_t l = strcspn(s, ",");
		uint16_t k;

		if (l == 0 || l > SC_FROST_NAME_MAX)
			return cli_usage(c, "bad --signers '%s'", list);
		memcpy(name, s, l);
		name[l] = '\0';
		for (k = 0; k < g->n && strcmp(g->members[k].name, name) != 0; k++)
			;
		if (k == g->n)
			return cli_error(EXIT_NOTFOUND, "group '%s' has no participant '%s'",
			                 g->name, name);
		for (size_t j = 0; j < *n; j++)
			if (ids[j] == k + 1)
				return cli_usage(c, "participant '%s' named twice", name);
		if (*n >= FROST_CLI_MEMBERS_MAX)
			return cli_usage(c, "too many signers");
		mp[*n] = &g->members[k];
		ids[(*n)++] = (uint16_t)(k + 1);
		s += l;
		if (*s == ',')
			s++;
	}
	return EXIT_OK;
}

static int sign(struct cli *c, int argc, char **argv)
{
	struct sc_frost_group g;
	struct sc_frost_peer peers[FROST_CLI_MEMBERS_MAX];
	const struct sc_frost_member *mp[FROST_CLI_MEMBERS_MAX];
	uint16_t ids[FROST_CLI_MEMBERS_MAX];
	const char *in = NULL, *out = NULL, *signers = NULL;
	uint32_t timeout_ms = FROST_CLI_TIMEOUT_MS;
	uint8_t *msg = NULL, sig[SC_FROST_SIG_LEN];
	struct cli_parse p;
	size_t n = 0, bad = 0, len = 0;
	int ch, r, st;

	memset(&g, 0, sizeof(g));
	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		if (ch == 'i')
			in = p.val;
		else if (ch == 'o')
			out = p.val;
		else if (ch == 's')
			signers = p.val;
		else if (ch == 'T' &&
		         (r = frost_cli_parse_timeout(c, p.val, &timeout_ms)) != EXIT_OK)
			return r;
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, "one group name");
	if (signers == NULL)
		return cli_usage(c, "--signers is needed");
	if ((st = sc_frost_group_load(c->vault_dir, p.ops[0], &g)) != SC_OK)
		return cli_fail(st, "cannot load group '%s'", p.ops[0]);
	if ((r = pick_signers(c, &g, signers, mp, ids, &n)) != EXIT_OK)
		goto out;
	if (n < sc_frost_pubkeys_min(g.pub)) {
		r = cli_usage(c, "%zu signers, but group '%s' needs %u", n, g.name,
		              sc_frost_pubkeys_min(g.pub));
		goto out;
	}
	if ((st = frost_cli_read_input(in, &msg, &len)) != SC_OK) {
		r = cli_fail(st, "cannot read '%s'", in != NULL ? in : "-");
		goto out;
	}
	if ((st = frost_cli_spawn_all(peers, mp, n, timeout_ms, &bad)) == SC_OK)
		st = sc_frost_sign_coordinate(peers, ids, n, g.name, g.pub, msg, len, sig, &bad);
	bad = bad == 0 ? SIZE_MAX : bad - 1;
	frost_cli_close_all(peers, n);
	if (st != SC_OK) {
		r = frost_cli_session_fail(st, "signing failed", bad < n ? mp[bad]->name : NULL);
		goto out;
	}
	r = frost_cli_write_sig(out, sig);
out:
	sc_secmem_free(msg);
	sc_frost_group_release(&g);
	return r;
}

static int pubkey(struct cli *c, int argc, char **argv)
{
	struct sc_frost_group g;
	const char *fmt = "pem";
	struct cli_parse p;
	int ch, r, st;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0)
		if (ch == 'f')
			fmt = p.val;
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, "one group name");
	if (strcmp(fmt, "pem") != 0 && strcmp(fmt, "hex") != 0 && strcmp(fmt, "raw") != 0)
		return cli_usage(c, "bad --format '%s' (pem, hex, raw)", fmt);
	if ((st = sc_frost_group_load(c->vault_dir, p.ops[0], &g)) != SC_OK)
		return cli_fail(st, "cannot load group '%s'", p.ops[0]);
	r = frost_cli_print_key(sc_frost_pubkeys_group_key(g.pub), fmt);
	sc_frost_group_release(&g);
	return r;
}

static int list(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	char **names = NULL;
	size_t n = 0;
	int r, st;

	if (cli_parse_none(c, argc, argv, 0, 0, &p) != CLI_PARSE_END)
		return p.status;
	if ((st = sc_frost_group_list(c->vault_dir, &names, &n)) != SC_OK)
		return cli_fail(st, "cannot list the groups");
	r = EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		struct sc_frost_group g;

		if ((st = sc_frost_group_load(c->vault_dir, names[i], &g)) != SC_OK) {
			r = cli_fail(st, "cannot load group '%s'", names[i]);
		} else {
			printf("%s\t%u-of-%u\t", g.name, sc_frost_pubkeys_min(g.pub), g.n);
			for (uint16_t k = 0; k < g.n; k++)
				printf("%s%s", k ? "," : "", g.members[k].name);
			putchar('\n');
			sc_frost_group_release(&g);
		}
		free(names[i]);
	}
	free(names);
	if (fflush(stdout) != 0)
		r = cli_fail(SC_ERR_IO, "cannot write the list");
	return r;
}

const struct cli_cmd cli_frost_subs[] = {
    {"keygen", keygen, CLI_NEEDS_VAULT, "GROUP",
     "make a T-of-N group key by a DKG among the participants (no device sees the key)",
     "Runs each participant's COMMAND (through /bin/sh: 'secretctl --vault DIR frost\n"
     "participate' locally, 'ssh HOST secretctl frost participate' remotely) and relays a\n"
     "Pedersen DKG with proofs of knowledge between them. Round-1 packages are signed by\n"
     "each participant's identity key and echoed; shares travel sealed between them.\n"
     "Each share is kept in its participant's keyring; the group here. Prints the key.",
     cli_opts_frost_keygen, NULL},
    {"split", frost_cli_split, CLI_NEEDS_VAULT | CLI_NEEDS_PASSWORD, "GROUP",
     "split a key (this vault's exportable ed25519 --key, or --fresh) into T-of-N shares",
     "A trusted dealer (RFC 9591 appendix C): Shamir shares of the key's scalar with a\n"
     "VSS commitment, each sealed to its participant's box key and checked by it\n"
     "against the commitment before it is kept. The group key is the key's public key.\n"
     "With --key say what happens to the key here: --keep-original or\n"
     "--destroy-original. The dealer wipes the polynomial and the shares when done.",
     cli_opts_frost_split, NULL},
    {"participate", cmd_frost_participate, CLI_NEEDS_VAULT | CLI_NEEDS_PASSWORD, NULL,
     "answer a coordinator on stdin/stdout (run by keygen, split and sign, not by hand)",
     "Speaks framed messages on standard input and output and shows what it is asked\n"
     "on standard error: the group, and for a signature the message's SHA-256. With\n"
     "--confirm it asks on the terminal before it signs. One signature per run; the\n"
     "nonce lives in guarded memory only.",
     cli_opts_frost_participate, NULL},
    {"sign", sign, CLI_NEEDS_VAULT, "GROUP",
     "sign a file or stdin with T participants of a group (an Ed25519 signature)",
     "Runs the two FROST rounds with the --signers, aggregates and verifies the result\n"
     "under the group key. A participant that fails, does not answer in time or gives a\n"
     "bad share is named, and the exit status is 15.",
     cli_opts_frost_sign, NULL},
    {"pubkey", pubkey, CLI_NEEDS_VAULT, "GROUP", "print a group's public key (Ed25519)", NULL,
     cli_opts_frost_pubkey, NULL},
    {"list", list, CLI_NEEDS_VAULT, NULL, "list the groups this coordinator keeps", NULL, NULL,
     NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};
