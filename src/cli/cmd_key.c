/* cmd_key.c - `secretctl key ...`: the subcommand table, and the commands
 * that manage the keyring (create, list, show, rotate, the lifecycle's
 * state changes, scheduled destruction, trim). The operations on data
 * (encrypt, decrypt, datakey, hmac, export) are in cmd_key_ops.c, the
 * signing ones (pubkey, sign, verify) in cmd_sign.c. */
#include <stdlib.h>
#include <string.h>

#include "cli/kdfopt.h"
#include "cli/key_cli.h"
#include "secretctl/p11.h"

#define PW CLI_NEEDS_PASSWORD
#define VAULT CLI_NEEDS_VAULT

static const struct cli_opt opts_create[] = {
    {'t', 0, "type", "TYPE",
     "aes256-gcm, chacha20-poly1305, hmac-sha256, ed25519, ecdsa-p256 or secp256k1", 0},
    {'x', 0, "exportable", NULL, "the key may be exported (a one-way latch: never cleared)", 0},
    {'c', 0, "require-context", NULL, "encrypt and decrypt need an encryption context", 0},
    {'r', 0, "rotate-every", "DURATION", "rotate on the first use past this period (90d, 1y)", 0},
    {'a', 0, "activate-at", "DATE", "pre-activation until DATE (YYYY-MM-DD[THH:MM[:SS]Z])", 0},
    {'T', 0, "in-token", "URI",
     "generate the key in this PKCS#11 token (aes256-gcm, hmac-sha256, ecdsa-p256, ed25519); "
     "it never leaves it",
     0},
    {'N', 0, "confirm", NULL,
     "ask the person at the terminal before every signature (signing keys; never the agent)", 0},
    {'P', 0, "passphrase", NULL,
     "seal a signing key under a passphrase too, asked for every signature (custody)", 0},
    {'F', 0, "passphrase-fd", "N", "the new key's passphrase from fd N (implies --passphrase)", 0},
    {'M', 0, "kdf-memory", "SIZE", "Argon2id memory for the passphrase (default 64M)", 0},
    {'K', 0, "kdf-time", "N", "Argon2id passes for the passphrase (default 3)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

static const struct cli_opt opts_rotate[] = {
    {'F', 0, "passphrase-fd", "N", "a passphrase key's passphrase from fd N", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

static const struct cli_opt opts_version[] = {
    {'v', 0, "version", "N", "this version (default: the newest)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

static const struct cli_opt opts_destroy[] = {
    {'v', 0, "version", "N", "only this version (default: every version)", 0},
    {'d', 0, "days", "D", "crypto-erase after D days, 7 to 30 (default 30)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

static const struct cli_opt opts_cancel[] = {
    {'v', 0, "version", "N", "only this version (default: every scheduled one)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

static const struct cli_opt opts_trim[] = {
    {'b', 0, "below", "N", "crypto-erase and forget every version below N", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

/* ---- create ---- */

static int key_create(struct cli *c, int argc, char **argv)
{
	struct sc_key_params kp = {0, 0, 0};
	struct sc_kdf_params kdf = {0, 0};
	struct key_session ks;
	struct key_pp pp;
	struct cli_parse p;
	enum sc_key_type type = 0;
	const char *name, *token = NULL;
	int ch, r, st, ppfd = -1;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 't':
			if (sc_key_type_parse(p.val, &type) != SC_OK) {
				sc_clear_error();
				return cli_usage(
				    c,
				    "unknown key type '%s' (aes256-gcm, chacha20-poly1305, "
				    "hmac-sha256, ed25519, ecdsa-p256, secp256k1)",
				    p.val);
			}
			break;
		case 'x':
			kp.flags |= SC_KEY_EXPORTABLE;
			break;
		case 'c':
			kp.flags |= SC_KEY_REQUIRE_CONTEXT;
			break;
		case 'r':
			if (cli_parse_duration(p.val, &kp.rotate_every) != SC_OK ||
			    kp.rotate_every <= 0)
				return cli_usage(c, "bad --rotate-every '%s' (a duration: 90d, 1y)",
				                 p.val);
			break;
		case 'a':
			if (cli_parse_expiry(p.val, &kp.activate_at) != SC_OK) {
				sc_clear_error();
				return cli_usage(
				    c, "bad --activate-at '%s' (YYYY-MM-DD[THH:MM[:SS]Z])", p.val);
			}
			break;
		case 'T':
			if (strncmp(p.val, "pkcs11:", 7) != 0)
				return cli_usage(c, "--in-token needs a pkcs11: URI, not '%s'",
				                 p.val);
			token = p.val;
			kp.flags |= SC_KEY_IN_TOKEN;
			break;
		case 'F':
			if (cli_parse_fd(p.val, &ppfd) != SC_OK)
				return cli_usage(c, "bad --passphrase-fd '%s' (a file descriptor)",
				                 p.val);
			/* fall through */
		case 'P':
			kp.flags |= SC_KEY_PASSPHRASE;
			break;
		case 'N':
			kp.flags |= SC_KEY_CONFIRM;
			break;
		case 'M':
		case 'K':
			if (cli_parse_kdf_opt(ch == 'M' ? 'm' : 't', p.val, &kdf) != SC_OK)
				return cli_usage(c, "bad --%s '%s'",
				                 ch == 'M' ? "kdf-memory" : "kdf-time", p.val);
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, "%s", p.nops ? "one key name" : "a key name is needed");
	name = p.ops[0];
	if (key_check_name(c, name, &r) != CLI_PARSE_END)
		return r;
	if (type == 0)
		return cli_usage(c, "--type is needed");
	if (token != NULL && type != SC_KEY_AES256_GCM && type != SC_KEY_ECDSA_P256 &&
	    type != SC_KEY_ED25519 && type != SC_KEY_HMAC_SHA256)
		return cli_usage(c,
		                 "a key in a token is aes256-gcm, hmac-sha256, ecdsa-p256 or "
		                 "ed25519, not %s",
		                 sc_key_type_name(type));
	if (token != NULL && (kp.flags & SC_KEY_EXPORTABLE))
		return cli_usage(c, "a key in a token is never --exportable");
	if (token != NULL && sc_p11_uri_names_object(token))
		return cli_usage(c,
		                 "--in-token names the token only (no object= or id=): the key is "
		                 "generated there as secretctl:%s:v1",
		                 name);
	if ((kp.flags & SC_KEY_PASSPHRASE) &&
	    (!sc_key_type_is_signing(type) || token != NULL || (kp.flags & SC_KEY_EXPORTABLE)))
		return cli_usage(c, "--passphrase is for a signing key in software, never "
		                    "--exportable (ed25519, ecdsa-p256, secp256k1)");
	if ((kp.flags & SC_KEY_CONFIRM) && !sc_key_type_is_signing(type))
		return cli_usage(c,
		                 "--confirm is for a signing key (ed25519, ecdsa-p256, secp256k1)");
	if ((kdf.t || kdf.mem_kib) && !(kp.flags & SC_KEY_PASSPHRASE))
		return cli_usage(c, "--kdf-memory and --kdf-time go with --passphrase");
	if ((r = key_open(c, &ks)) != EXIT_OK)
		return r;
	memset(&pp, 0, sizeof(pp));
	st = token != NULL ? key_token_open(c, &ks, token) : SC_OK;
	if (st == SC_OK && (kp.flags & SC_KEY_PASSPHRASE))
		st = key_pp_get(c, &ks, name, ppfd, 1, &kdf, &pp);
	if (st == SC_OK)
		st = sc_keyring_create(ks.kr, name, type, &kp, key_now());
	key_pp_drop(&ks, &pp);
	st = key_commit(c, &ks, "key.create", name, st);
	key_close(&ks);
	if (st == SC_ERR_EXISTS)
		return cli_error(EXIT_EXISTS, "key '%s' exists", name);
	if (st != SC_OK)
		return key_fail(st, "create key", name);
	if (c->json)
		return key_print_json(json_pack("{s:s,s:s,s:i}", "name", name, "type",
		                                sc_key_type_name(type), "version", 1)) == SC_OK
		           ? EXIT_OK
		           : EXIT_FAIL;
	cli_say("created key '%s' (%s, version 1%s)", name, sc_key_type_name(type),
	        token != NULL                  ? ", in the token"
	        : kp.flags & SC_KEY_EXPORTABLE ? ", exportable"
	        : kp.flags & SC_KEY_PASSPHRASE ? ", under a passphrase"
	                                       : "");
	return EXIT_OK;
}

/* ---- list and show ---- */

/* The state of a key: its newest version's. */
static const char *newest_state(struct sc_keyring *kr, const char *name,
                                const struct sc_key_meta *m)
{
	struct sc_key_version_meta vm;

	if (m->nversions == 0 || sc_keyring_version_at(kr, name, m->nversions - 1, &vm) != SC_OK)
		return "-";
	return vm.destroy_at != 0 ? "destroy-scheduled" : sc_key_state_name(vm.state);
}

static int key_list(struct cli *c, int argc, char **argv)
{
	struct key_session ks;
	struct cli_parse p;
	json_t *arr = NULL;
	size_t i, n;
	int r, st;

	if (cli_parse_none(c, argc, argv, 0, 0, &p) != CLI_PARSE_END)
		return p.status;
	if ((r = key_open(c, &ks)) != EXIT_OK)
		return r;
	/* what time has made due (activations, destructions) first */
	st = sc_keyring_tick(ks.kr, key_now());
	if (st == SC_ERR_BUSY)
		st = SC_OK; /* a referenced version stays scheduled */
	if ((st = key_commit(c, &ks, "key.list", NULL, st)) != SC_OK) {
		key_close(&ks);
		return cli_fail(st, "cannot list the keys");
	}
	n = sc_keyring_count(ks.kr);
	if (c->json)
		arr = json_array();
	for (i = 0; i < n; i++) {
		const char *name = sc_keyring_name_at(ks.kr, i);
		struct sc_key_meta m;

		if (name == NULL || sc_keyring_key_meta(ks.kr, name, &m) != SC_OK)
			continue;
		if (arr != NULL)
			json_array_append_new(
			    arr, json_pack("{s:s,s:s,s:i,s:s,s:b,s:b}", "name", name, "type",
			                   sc_key_type_name(m.type), "newest", (json_int_t)m.newest,
			                   "state", newest_state(ks.kr, name, &m), "exportable",
			                   (m.flags & SC_KEY_EXPORTABLE) != 0, "in_token",
			                   (m.flags & SC_KEY_IN_TOKEN) != 0));
		else
			printf("%-24s %-18s v%-4u %s%s\n", name, sc_key_type_name(m.type), m.newest,
			       newest_state(ks.kr, name, &m),
			       (m.flags & SC_KEY_IN_TOKEN) ? "  (in a token)" : "");
	}
	key_close(&ks);
	if (arr != NULL)
		return key_print_json(arr) == SC_OK ? EXIT_OK : EXIT_FAIL;
	return EXIT_OK;
}

static json_t *time_json(int64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	cli_format_time(t, buf, sizeof(buf));
	return json_string(buf);
}

static void print_time(const char *label, int64_t t)
{
	char buf[32];

	if (t == 0)
		return;
	cli_format_time(t, buf, sizeof(buf));
	printf(" %s %s", label, buf);
}

/* rf: the items of the vault sealed under the version (reference index) */
static void show_version(json_t *arr, const struct sc_key_version_meta *vm,
                         const struct sc_vault_key_refs *rf)
{
	const char *state = sc_key_state_name(vm->state);
	unsigned long long items = (unsigned long long)(rf->records + rf->history);

	if (arr != NULL) {
		json_t *o =
		    json_pack("{s:i,s:s,s:I,s:I,s:I,s:I}", "version", (json_int_t)vm->version,
		              "state", state, "encryptions", (json_int_t)vm->encryptions, "items",
		              (json_int_t)items, "items_current", (json_int_t)rf->records,
		              "items_history", (json_int_t)rf->history);

		json_object_set_new(o, "created", time_json(vm->created));
		json_object_set_new(o, "activate_at", time_json(vm->activate_at));
		json_object_set_new(o, "activated", time_json(vm->activated));
		json_object_set_new(o, "suspended", time_json(vm->suspended));
		json_object_set_new(o, "deactivated", time_json(vm->deactivated));
		json_object_set_new(o, "compromised", time_json(vm->compromised));
		json_object_set_new(o, "destroyed", time_json(vm->destroyed));
		json_object_set_new(o, "destroy_at", time_json(vm->destroy_at));
		json_array_append_new(arr, o);
		return;
	}
	printf("  v%-4u %-15s", vm->version, state);
	print_time("created", vm->created);
	if (vm->state == SC_KEY_PREACTIVE)
		print_time("activates", vm->activate_at);
	print_time("activated", vm->activated);
	print_time("suspended", vm->suspended);
	print_time("deactivated", vm->deactivated);
	print_time("compromised", vm->compromised);
	print_time("destroyed", vm->destroyed);
	print_time("DESTRUCTION SCHEDULED", vm->destroy_at);
	if (vm->encryptions != 0)
		printf(" encryptions %llu", (unsigned long long)vm->encryptions);
	if (items != 0)
		printf(" items %llu (%llu current, %llu in history)", items,
		       (unsigned long long)rf->records, (unsigned long long)rf->history);
	putchar('\n');
}

static int key_show(struct cli *c, int argc, char **argv)
{
	struct key_session ks;
	struct cli_parse p;
	struct sc_key_meta m;
	json_t *o = NULL, *arr = NULL;
	char uri[SC_P11_URI_MAX + 1] = "";
	const char *name;
	size_t i;
	int r, st;

	if (cli_parse_none(c, argc, argv, 1, 1, &p) != CLI_PARSE_END)
		return p.status;
	name = p.ops[0];
	if (key_check_name(c, name, &r) != CLI_PARSE_END)
		return r;
	if ((r = key_open(c, &ks)) != EXIT_OK)
		return r;
	/* a token version whose destruction is due is destroyed there now */
	st = sc_keyring_token_due(ks.kr, name, key_now()) ? key_token(c, &ks, name) : SC_OK;
	if (st == SC_OK)
		st = sc_keyring_tick(ks.kr, key_now());
	if (st == SC_ERR_BUSY)
		st = SC_OK;
	if (st == SC_OK)
		st = sc_keyring_key_meta(ks.kr, name, &m);
	if (st == SC_OK && (m.flags & SC_KEY_IN_TOKEN) &&
	    sc_keyring_token_uri(ks.kr, name, 0, uri, sizeof(uri)) != SC_OK) {
		sc_clear_error();
		uri[0] = '\0';
	}
	if ((st = key_commit(c, &ks, "key.show", name, st)) != SC_OK) {
		key_close(&ks);
		return key_fail(st, "show key", name);
	}
	if (c->json) {
		o = json_pack("{s:s,s:s,s:b,s:b,s:I,s:i,s:i,s:i}", "name", name, "type",
		              sc_key_type_name(m.type), "exportable",
		              (m.flags & SC_KEY_EXPORTABLE) != 0, "require_context",
		              (m.flags & SC_KEY_REQUIRE_CONTEXT) != 0, "rotate_every",
		              (json_int_t)m.rotate_every, "newest", (json_int_t)m.newest,
		              "min_decrypt_version", (json_int_t)m.min_decrypt,
		              "min_encrypt_version", (json_int_t)m.min_encrypt);
		json_object_set_new(o, "created", time_json(m.created));
		json_object_set_new(o, "token", uri[0] ? json_string(uri) : json_null());
		arr = json_array();
	} else {
		char when[32];

		cli_format_time(m.created, when, sizeof(when));
		printf("name:        %s\ntype:        %s\nexportable:  %s\ncontext:     %s\n"
		       "created:     %s\nnewest:      v%u\nmin decrypt: v%u\nmin encrypt: v%u\n",
		       name, sc_key_type_name(m.type), m.flags & SC_KEY_EXPORTABLE ? "yes" : "no",
		       m.flags & SC_KEY_REQUIRE_CONTEXT ? "required" : "optional", when, m.newest,
		       m.min_decrypt, m.min_encrypt);
		if (m.rotate_every != 0)
			printf("rotate:      every %lld days\n",
			       (long long)(m.rotate_every / 86400));
		if (uri[0] != '\0') {
			printf("token:       ");
			cli_put_escaped(stdout, uri);
			printf("\n");
		}
		printf("versions:\n");
	}
	for (i = 0; i < m.nversions; i++) {
		struct sc_key_version_meta vm;
		struct sc_vault_key_refs rf;

		if (sc_keyring_version_at(ks.kr, name, i, &vm) != SC_OK)
			continue;
		if ((r = sc_vault_key_refs(ks.v, name, vm.version, &rf)) != SC_OK) {
			json_decref(o);
			key_close(&ks);
			return cli_fail(r, "cannot read the key reference index");
		}
		show_version(arr, &vm, &rf);
	}
	key_close(&ks);
	if (o != NULL) {
		json_object_set_new(o, "versions", arr);
		return key_print_json(o) == SC_OK ? EXIT_OK : EXIT_FAIL;
	}
	return EXIT_OK;
}

/* ---- rotate, state changes, destruction ---- */

static int key_rotate(struct cli *c, int argc, char **argv)
{
	struct key_session ks;
	struct key_pp pp;
	struct cli_parse p;
	const char *name;
	uint32_t ver = 0;
	int r, st, ch, ppfd = -1;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0)
		if (ch == 'F' && cli_parse_fd(p.val, &ppfd) != SC_OK)
			return cli_usage(c, "bad --passphrase-fd '%s' (a file descriptor)", p.val);
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, "%s", p.nops ? "one key name" : "a key name is needed");
	name = p.ops[0];
	if (key_check_name(c, name, &r) != CLI_PARSE_END)
		return r;
	if ((r = key_open(c, &ks)) != EXIT_OK)
		return r;
	if ((st = key_token(c, &ks, name)) == SC_OK &&
	    (st = key_pp_get(c, &ks, name, ppfd, 0, NULL, &pp)) == SC_OK) {
		st = sc_keyring_rotate(ks.kr, name, key_now(), &ver);
		key_pp_drop(&ks, &pp);
	}
	st = key_commit(c, &ks, "key.rotate", name, st);
	key_close(&ks);
	if (st != SC_OK)
		return key_fail(st, "rotate key", name);
	if (c->json)
		return key_print_json(json_pack("{s:s,s:i}", "name", name, "version",
		                                (json_int_t)ver)) == SC_OK
		           ? EXIT_OK
		           : EXIT_FAIL;
	cli_say("key '%s' is now at version %u", name, ver);
	return EXIT_OK;
}

/* One NAME operand and the options of table opts; *ver and *days as given
 * (0 when not). CLI_PARSE_END or CLI_PARSE_EXIT with *status. */
static int parse_name_version(struct cli *c, int argc, char **argv, const char **name,
                              uint32_t *ver, unsigned *days, int *status)
{
	struct cli_parse p;
	int ch;

	*ver = 0;
	if (days != NULL)
		*days = 0;
	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		if ((ch == 'v' || ch == 'b') && key_parse_version(p.val, ver) != SC_OK) {
			*status = cli_usage(c, "bad version '%s' (a number from 1)", p.val);
			return CLI_PARSE_EXIT;
		}
		if (ch == 'd' && key_parse_days(p.val, days) != SC_OK) {
			*status = cli_usage(c, "bad --days '%s' (%d to %d)", p.val,
			                    SC_KEYS_DESTROY_DAYS_MIN, SC_KEYS_DESTROY_DAYS_MAX);
			return CLI_PARSE_EXIT;
		}
	}
	if (ch == CLI_PARSE_EXIT) {
		*status = p.status;
		return CLI_PARSE_EXIT;
	}
	if (p.nops != 1) {
		*status = cli_usage(c, "%s", p.nops ? "one key name" : "a key name is needed");
		return CLI_PARSE_EXIT;
	}
	*name = p.ops[0];
	return key_check_name(c, *name, status);
}

/* The newest version of name when ver is 0. */
static int pick_version(struct sc_keyring *kr, const char *name, uint32_t *ver)
{
	struct sc_key_meta m;
	int r;

	if (*ver != 0)
		return SC_OK;
	if ((r = sc_keyring_key_meta(kr, name, &m)) != SC_OK)
		return r;
	*ver = m.newest;
	return SC_OK;
}

struct state_cmd {
	const char *sub, *op, *verb;
	enum sc_key_state to;
};

static const struct state_cmd state_cmds[] = {
    {"activate", "key.activate", "activated", SC_KEY_ACTIVE},
    {"suspend", "key.suspend", "suspended", SC_KEY_SUSPENDED},
    {"resume", "key.resume", "resumed", SC_KEY_ACTIVE},
    {"deactivate", "key.deactivate", "deactivated", SC_KEY_DEACTIVATED},
    {"compromise", "key.compromise", "marked compromised", SC_KEY_COMPROMISED},
    {NULL, NULL, NULL, 0},
};

static int key_state_change(struct cli *c, int argc, char **argv)
{
	const struct state_cmd *sc;
	struct key_session ks;
	const char *name;
	uint32_t ver;
	int r, st;

	for (sc = state_cmds; sc->sub != NULL && strcmp(sc->sub, c->entry->name) != 0; sc++)
		;
	if (sc->sub == NULL)
		return cli_fail(SC_ERR_INTERNAL, "no state change '%s'", c->entry->name);
	if (parse_name_version(c, argc, argv, &name, &ver, NULL, &r) != CLI_PARSE_END)
		return r;
	if ((r = key_open(c, &ks)) != EXIT_OK)
		return r;
	st = pick_version(ks.kr, name, &ver);
	if (st == SC_OK)
		st = sc_keyring_set_state(ks.kr, name, ver, sc->to, key_now());
	st = key_commit(c, &ks, sc->op, name, st);
	key_close(&ks);
	if (st != SC_OK)
		return key_fail(st, sc->sub, name);
	if (sc->to == SC_KEY_COMPROMISED)
		cli_warn("version %u of key '%s' is compromised: it decrypts and verifies only "
		         "with --allow-compromised; rotate it and rewrap what it protects",
		         ver, name);
	else
		cli_say("version %u of key '%s' %s", ver, name, sc->verb);
	return EXIT_OK;
}

static int key_destroy(struct cli *c, int argc, char **argv)
{
	struct key_session ks;
	const char *name;
	char when[32];
	uint32_t ver;
	unsigned days;
	int r, st;

	if (parse_name_version(c, argc, argv, &name, &ver, &days, &r) != CLI_PARSE_END)
		return r;
	if ((r = key_open(c, &ks)) != EXIT_OK)
		return r;
	st = sc_keyring_schedule_destroy(ks.kr, name, ver, days, key_now());
	st = key_commit(c, &ks, "key.destroy", name, st);
	key_close(&ks);
	if (st != SC_OK)
		return key_fail(st, "schedule the destruction of key", name);
	cli_format_time(key_now() + (int64_t)(days ? days : SC_KEYS_DESTROY_DAYS_DEFAULT) * 86400,
	                when, sizeof(when));
	if (ver != 0)
		cli_say("version %u of key '%s' will be crypto-erased on %s (key cancel-destroy %s "
		        "--version %u to keep it)",
		        ver, name, when, name, ver);
	else
		cli_say("every version of key '%s' will be crypto-erased on %s (key cancel-destroy "
		        "%s to keep them)",
		        name, when, name);
	return EXIT_OK;
}

static int key_cancel_destroy(struct cli *c, int argc, char **argv)
{
	struct key_session ks;
	const char *name;
	uint32_t ver;
	int r, st;

	if (parse_name_version(c, argc, argv, &name, &ver, NULL, &r) != CLI_PARSE_END)
		return r;
	if ((r = key_open(c, &ks)) != EXIT_OK)
		return r;
	st = sc_keyring_cancel_destroy(ks.kr, name, ver);
	st = key_commit(c, &ks, "key.cancel-destroy", name, st);
	key_close(&ks);
	if (st != SC_OK)
		return key_fail(st, "cancel the destruction of key", name);
	cli_say("the destruction of key '%s' is cancelled", name);
	return EXIT_OK;
}

static int key_trim(struct cli *c, int argc, char **argv)
{
	struct key_session ks;
	const char *name;
	uint32_t below;
	int r, st;

	if (parse_name_version(c, argc, argv, &name, &below, NULL, &r) != CLI_PARSE_END)
		return r;
	if (below == 0)
		return cli_usage(c, "--below is needed");
	if ((r = key_open(c, &ks)) != EXIT_OK)
		return r;
	if ((st = key_token(c, &ks, name)) == SC_OK)
		st = sc_keyring_trim(ks.kr, name, below);
	st = key_commit(c, &ks, "key.trim", name, st);
	key_close(&ks);
	if (st != SC_OK)
		return key_fail(st, "trim key", name);
	cli_say("the versions of key '%s' below %u are crypto-erased", name, below);
	return EXIT_OK;
}

#define KV (VAULT | PW)
#define END                                                                                        \
	{                                                                                          \
		NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL                                        \
	}

const struct cli_cmd cli_key_subs[] = {
    {"create", key_create, KV, "NAME", "make a named key (version 1, active)",
     "Signing types generate inside the library (libsodium, OpenSSL, libsecp256k1); no\n"
     "command ever prints a key's private part unless it was created --exportable.",
     opts_create, NULL},
    {"list", key_list, KV, NULL, "the keys: type, newest version and its state", NULL, NULL, NULL},
    {"show", key_show, KV, "NAME", "a key's settings and each version's state and dates", NULL,
     NULL, NULL},
    {"rotate", key_rotate, KV, "NAME", "a new version, used from now on to encrypt and sign", NULL,
     opts_rotate, NULL},
    {"config", cli_key_config, KV, "NAME",
     "change a key's floors, rotation period, context rule or latches",
     "exportable and confirm are one-way latches: on, never off again.", cli_opts_key_config, NULL},
    {"encrypt", cli_key_encrypt, KV, "NAME", "encrypt a file or stdin into an sc:v1 text",
     "The context's pairs are bound as AAD: decrypt needs exactly the same ones.",
     cli_opts_key_encrypt, NULL},
    {"decrypt", cli_key_decrypt, KV, "[NAME]", "decrypt an sc:v1 text (the key it names)",
     "Any tampering, or another key, version or context, is an error (exit 6), never\n"
     "wrong data.",
     cli_opts_key_decrypt, NULL},
    {"rewrap", cli_key_rewrap, KV, "NAME", "re-encrypt an sc:v1 text under the newest version",
     "With --all: every item of the vault (secrets sealed under NAME, their history)\n"
     "under an older version, in batches; run it again after an interruption.",
     cli_opts_key_rewrap, NULL},
    {"datakey", cli_key_datakey, KV, "NAME", "a fresh 256-bit data key, wrapped and in the clear",
     "Prints the wrapped key (sc:v1) and, unless --wrapped-only, the key in base64.",
     cli_opts_key_datakey, NULL},
    {"hmac", cli_key_hmac, KV, "NAME", "HMAC-SHA-256 of a file or stdin, or check one",
     "With --verify MAC: exit 0 when it matches, 1 when not.", cli_opts_key_hmac, NULL},
    {"pubkey", cli_key_pubkey, KV, "NAME", "a signing key's public key",
     "Formats: pem (SubjectPublicKeyInfo, the default), ssh, hex, raw (bytes).",
     cli_opts_key_pubkey, NULL},
    {"export", cli_key_export, KV, "NAME", "a key's secret material, for --exportable keys only",
     NULL, opts_version, NULL},
    {"activate", key_state_change, KV, "NAME", "activate a pre-activation version now", NULL,
     opts_version, NULL},
    {"suspend", key_state_change, KV, "NAME", "suspend a version: it does nothing until resumed",
     NULL, opts_version, NULL},
    {"resume", key_state_change, KV, "NAME", "make a suspended version active again", NULL,
     opts_version, NULL},
    {"deactivate", key_state_change, KV, "NAME",
     "retire a version: it only decrypts and verifies from now on", NULL, opts_version, NULL},
    {"compromise", key_state_change, KV, "NAME",
     "mark a version compromised (decrypt/verify only with --allow-compromised)", NULL,
     opts_version, NULL},
    {"destroy", key_destroy, KV, "NAME", "schedule crypto-erase of a version or of every version",
     "Until the day comes the version does nothing; 'key cancel-destroy' gives it back.",
     opts_destroy, NULL},
    {"cancel-destroy", key_cancel_destroy, KV, "NAME", "cancel a scheduled destruction", NULL,
     opts_cancel, NULL},
    {"trim", key_trim, KV, "NAME", "crypto-erase the versions below N now", NULL, opts_trim, NULL},
    END,
};
