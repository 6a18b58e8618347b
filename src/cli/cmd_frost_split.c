/* cmd_frost_split.c - `secretctl frost split`: this vault as the trusted
 * dealer (RFC 9591 appendix C) of a T-of-N group, splitting its exportable
 * ed25519 key (--key) or a fresh one (--fresh). The secret scalar, the
 * polynomial and the shares live in guarded memory and are wiped as soon
 * as the shares are sent; each participant checks its share against the
 * VSS commitment before it keeps it. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/frost_cli.h"
#include "cli/key_cli.h"
#include "secretctl/secmem.h"
#include "secretctl/sig.h"

#define DESTROY_DAYS 7 /* the keyring's shortest grace before crypto-erase */

struct split_args {
	const char *key;
	int fresh, keep, destroy;
	int stop; /* --help was answered: nothing more to do */
	uint64_t t;
	uint32_t timeout_ms;
};

/* The FROST secret of ed25519 key name (lifecycle checked: a suspended or
 * compromised key is not split), checked against its public key. */
static int key_secret(struct key_session *ks, const char *name, uint8_t *secret)
{
	struct sc_keys_opts o = {key_now(), NULL, 0, 0};
	uint8_t pub[SC_SIG_PUB_MAX], point[SC_FROST_POINT_LEN];
	struct sc_key_meta m;
	const uint8_t *mat = NULL;
	size_t len = 0, pl = 0;
	int st, alg = 0;

	if ((st = sc_keyring_key_meta(ks->kr, name, &m)) != SC_OK)
		return st;
	if (m.type != SC_KEY_ED25519) {
		sc_set_error("key '%s' is a %s key: frost split takes an ed25519 key", name,
		             sc_key_type_name(m.type));
		return SC_ERR_INVALID;
	}
	if (m.flags & SC_KEY_IN_TOKEN) {
		sc_set_error("key '%s' lives in a token: its private part never leaves it, so it "
		             "cannot be split",
		             name);
		return SC_ERR_DENIED;
	}
	if (!(m.flags & SC_KEY_EXPORTABLE)) {
		sc_set_error(
		    "key '%s' is not exportable: its private part never leaves this vault, "
		    "so it cannot be split (frost keygen or frost split --fresh make a new "
		    "group key)",
		    name);
		return SC_ERR_DENIED;
	}
	/* a passphrase key is never exportable: the material here is the
	 * plain key blob, its size checked */
	if ((st = sc_keyring_sig_material(ks->kr, name, &o, SC_KEY_OP_SIGN, &mat, &len, NULL)) !=
	    SC_OK)
		return st;
	if (len != SC_SIG_KEYBLOB_LEN)
		return SC_ERR_INVALID;
	/* the blob ends with the 32-byte seed */
	if ((st = sc_frost_secret_from_seed(mat + len - SC_SIG_PRIV_LEN, secret)) != SC_OK)
		return st;
	if ((st = sc_keyring_pubkey(ks->kr, name, &o, SC_KEY_OP_SIGN, pub, &pl, &alg, NULL)) !=
	    SC_OK)
		return st;
	if (crypto_scalarmult_ed25519_base_noclamp(point, secret) != 0 || pl != sizeof(point) ||
	    sodium_memcmp(point, pub, sizeof(point)) != 0) {
		sc_set_error("key '%s': its scalar does not give its public key", name);
		return SC_ERR_CRYPTO;
	}
	return SC_OK;
}

static int parse(struct cli *c, int argc, char **argv, struct split_args *a,
                 struct sc_frost_group *g)
{
	struct cli_parse p;
	int ch, r;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		if (ch == 'k')
			a->key = p.val;
		else if (ch == 'F')
			a->fresh = 1;
		else if (ch == 'K')
			a->keep = 1;
		else if (ch == 'D')
			a->destroy = 1;
		else if (ch == 't' &&
		         cli_parse_count(p.val, FROST_CLI_MEMBERS_MAX, &a->t) != SC_OK) {
			sc_clear_error();
			return cli_usage(c, "bad --threshold '%s'", p.val);
		} else if (ch == 'T' &&
		           (r = frost_cli_parse_timeout(c, p.val, &a->timeout_ms)) != EXIT_OK)
			return r;
		else if (ch == 'p' && (r = frost_cli_member(c, p.val, g)) != EXIT_OK)
			return r;
	}
	if (ch == CLI_PARSE_EXIT) {
		a->stop = 1;
		return p.status;
	}
	if (p.nops != 1 || !sc_frost_name_valid(p.ops[0]))
		return cli_usage(c, "%s", p.nops != 1 ? "one group name" : "invalid group name");
	if ((a->key != NULL) == a->fresh)
		return cli_usage(c, "say what to split: --key KEY or --fresh");
	if (a->key != NULL && a->keep == a->destroy)
		return cli_usage(c, "with --key, say what becomes of it here: --keep-original or "
		                    "--destroy-original");
	if (a->fresh && (a->keep || a->destroy))
		return cli_usage(c, "--keep-original and --destroy-original go with --key");
	if (a->key != NULL && key_check_name(c, a->key, &r) != CLI_PARSE_END)
		return r;
	if (g->n < 2 || a->t < 2 || a->t > g->n)
		return cli_usage(c, "%s",
		                 g->n < 2 ? "at least two --participant"
		                          : "--threshold is 2 to the number of participants");
	memcpy(g->name, p.ops[0], strlen(p.ops[0]) + 1);
	return EXIT_OK;
}

/* Split secret (NULL: fresh) and hand the shares out; the shares are
 * wiped here, whatever the outcome. */
static int deal(struct sc_frost_group *g, const uint8_t *secret, const struct split_args *a,
                size_t *bad)
{
	struct sc_frost_share *shares[FROST_CLI_MEMBERS_MAX] = {NULL};
	struct sc_frost_peer peers[FROST_CLI_MEMBERS_MAX];
	const struct sc_frost_member *mp[FROST_CLI_MEMBERS_MAX];
	uint8_t ids[FROST_CLI_MEMBERS_MAX][SC_FROST_ID_PUB_LEN];
	int st;

	*bad = 0;
	if ((st = sc_frost_dealer_split(secret, (uint16_t)a->t, g->n, shares)) != SC_OK)
		return st;
	for (uint16_t i = 0; i < g->n; i++)
		mp[i] = &g->members[i];
	if ((st = frost_cli_spawn_all(peers, mp, g->n, a->timeout_ms, bad)) == SC_OK)
		st = sc_frost_split_coordinate(peers, g->n, g->name, shares, ids, &g->pub, bad);
	/* the shares are gone from here before anything else happens */
	for (uint16_t i = 0; i < g->n; i++)
		sc_frost_share_free(shares[i]);
	frost_cli_close_all(peers, g->n);
	if (st == SC_OK)
		for (uint16_t i = 0; i < g->n; i++)
			memcpy(g->members[i].id_pub, ids[i], SC_FROST_ID_PUB_LEN);
	return st;
}

int frost_cli_split(struct cli *c, int argc, char **argv)
{
	struct split_args a = {NULL, 0, 0, 0, 0, 0, FROST_CLI_TIMEOUT_MS};
	struct sc_frost_group g;
	struct key_session ks;
	uint8_t *secret = NULL;
	size_t bad = 0;
	int r, st, opened = 0;

	memset(&g, 0, sizeof(g));
	memset(&ks, 0, sizeof(ks));
	if ((g.members = calloc(FROST_CLI_MEMBERS_MAX, sizeof(*g.members))) == NULL)
		return cli_fail(SC_ERR_NOMEM, "frost split");
	if ((r = parse(c, argc, argv, &a, &g)) != EXIT_OK || a.stop ||
	    (r = frost_cli_group_absent(c, g.name)) != EXIT_OK)
		goto out;
	if (a.key != NULL) {
		if ((r = key_open(c, &ks)) != EXIT_OK)
			goto out;
		opened = 1;
		if ((secret = sc_secmem_alloc(SC_FROST_SCALAR_LEN)) == NULL) {
			r = cli_fail(SC_ERR_NOMEM, "frost split");
			goto out;
		}
		if ((st = key_secret(&ks, a.key, secret)) != SC_OK) {
			char why[512];

			snprintf(why, sizeof(why), "%s", sc_last_error());
			(void)key_commit(c, &ks, "frost.split", a.key, st);
			sc_set_error("%s", why);
			r = key_fail(st, "split key", a.key);
			goto out;
		}
	}
	st = deal(&g, secret, &a, &bad);
	sc_secmem_free(secret);
	secret = NULL;
	bad = bad == 0 ? SIZE_MAX : bad - 1;
	if (st != SC_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", sc_last_error());
		if (opened)
			(void)key_commit(c, &ks, "frost.split", a.key, st);
		sc_set_error("%s", why);
		r = frost_cli_session_fail(st, "split failed",
		                           bad < g.n ? g.members[bad].name : NULL);
		goto out;
	}
	if ((st = sc_frost_group_save(c->vault_dir, &g)) != SC_OK) {
		r = cli_fail(st, "cannot save group '%s'", g.name);
		goto out;
	}
	if (opened) {
		st = a.destroy
		         ? sc_keyring_schedule_destroy(ks.kr, a.key, 0, DESTROY_DAYS, key_now())
		         : SC_OK;
		if ((st = key_commit(c, &ks, "frost.split", a.key, st)) != SC_OK) {
			r = cli_fail(st,
			             "group '%s' is saved, but key '%s' is not marked destroyed",
			             g.name, a.key);
			goto out;
		}
	}
	r = frost_cli_print_key(sc_frost_pubkeys_group_key(g.pub), "hex");
	/* trust on first use: the owner compares these with what each
	 * participant's own terminal showed */
	for (uint16_t i = 0; i < g.n; i++) {
		char hex[2 * 8 + 1];

		sodium_bin2hex(hex, sizeof(hex), g.members[i].id_pub, 8);
		cli_say("participant '%s': identity %s", g.members[i].name, hex);
	}
	cli_say("group '%s': %u of %u from a trusted dealer, each participant holds its share in "
	        "its own vault",
	        g.name, (unsigned)a.t, g.n);
	if (opened && a.destroy)
		cli_say("key '%s' does nothing from now and is crypto-erased in %d days ('key "
		        "cancel-destroy' gives it back until then)",
		        a.key, DESTROY_DAYS);
	else if (opened)
		cli_say(
		    "key '%s' stays in this vault, whole and usable: the group adds signers, it "
		    "does not take the key's place",
		    a.key);
out:
	sc_secmem_free(secret);
	if (opened)
		key_close(&ks);
	sc_frost_group_release(&g);
	return r;
}
