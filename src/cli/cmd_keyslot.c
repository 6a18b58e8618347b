/* cmd_keyslot.c - `secretctl keyslot add pkcs11 | list | remove`: the
 * vault's key slots (docs/KEYS.md). The vault is unlocked as for any
 * command (password, or --token for an existing token slot); for `add`,
 * --token names the new slot's token and the vault opens by password. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/agent_cmds.h"
#include "secretctl/keyslot.h"

#define PW CLI_NEEDS_PASSWORD
#define VAULT CLI_NEEDS_VAULT

static const char *kind_name(int kind)
{
	const struct sc_keyslot_kind *k = sc_keyslot_kind(kind);

	return k != NULL ? k->name : "unknown";
}

static int ks_add(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_vault *v = NULL;
	const char *uri = c->token_uri;
	char *pin = NULL;
	size_t len;
	int64_t id;
	int r;

	if (cli_parse_none(c, argc, argv, 1, 1, &p) != CLI_PARSE_END)
		return p.status;
	if (strcmp(p.ops[0], "pkcs11") != 0)
		return cli_usage(c, "unknown key slot kind '%s' (pkcs11)", p.ops[0]);
	if (uri == NULL)
		return cli_usage(c, "keyslot add pkcs11 needs --token URI");
	/* the new token is not the way in: the password opens the vault */
	c->token_uri = NULL;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	if ((r = cli_get_pin(c, "Token PIN: ", &pin, &len)) != SC_OK) {
		sc_vault_close(v);
		return cli_fail(r, "cannot read the token's PIN");
	}
	/* the slot and its audit entry: one step, both or neither */
	r = sc_session_slot_add_pkcs11(v, cli_who(), uri, pin, len, &id);
	sc_secmem_free(pin);
	sc_vault_close(v);
	if (r != SC_OK)
		return cli_fail(r, "cannot add the token slot");
	if (c->json)
		cli_print_json(json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "kind", "pkcs11",
		                         "token", uri));
	else
		printf("added key slot %" PRId64 " (pkcs11)\n", id);
	return EXIT_OK;
}

static int ks_list(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_vault *v = NULL;
	struct sc_vault_slot *s = NULL;
	json_t *arr = NULL;
	char cr[32], lu[32];
	size_t i, n = 0;
	int r;

	if (cli_parse_none(c, argc, argv, 0, 0, &p) != CLI_PARSE_END)
		return p.status;
	/* the table is public: listing needs no key */
	if ((r = cli_open_vault(c, 0, &v)) != SC_OK)
		return cli_fail(r, "cannot open the vault");
	r = sc_vault_slots_list(v, &s, &n);
	sc_vault_close(v);
	if (r != SC_OK)
		return cli_fail(r, "cannot list the key slots");
	if (c->json)
		arr = json_array();
	else
		printf("%-4s %-9s %-20s %-20s %-20s %s\n", "ID", "KIND", "LABEL", "CREATED",
		       "LAST USED", "TOKEN");
	for (i = 0; i < n; i++) {
		snprintf(cr, sizeof(cr), "-");
		snprintf(lu, sizeof(lu), "-");
		if (s[i].created > 0)
			cli_format_time(s[i].created, cr, sizeof(cr));
		if (s[i].last_used > 0)
			cli_format_time(s[i].last_used, lu, sizeof(lu));
		if (arr != NULL) {
			json_t *o = json_pack("{s:I,s:s}", "id", (json_int_t)s[i].id, "kind",
			                      kind_name(s[i].kind));

			json_object_set_new(o, "label",
			                    s[i].label[0] ? json_string(s[i].label) : json_null());
			json_object_set_new(o, "token",
			                    s[i].token[0] ? json_string(s[i].token) : json_null());
			json_object_set_new(o, "uri",
			                    s[i].uri[0] ? json_string(s[i].uri) : json_null());
			json_object_set_new(o, "created",
			                    s[i].created > 0 ? json_string(cr) : json_null());
			json_object_set_new(o, "last_used",
			                    s[i].last_used > 0 ? json_string(lu) : json_null());
			json_array_append_new(arr, o);
		} else {
			printf("%-4" PRId64 " %-9s %-20s %-20s %-20s ", s[i].id,
			       kind_name(s[i].kind), s[i].label[0] ? s[i].label : "-", cr, lu);
			cli_put_escaped(stdout, s[i].token[0] ? s[i].token : "-");
			putchar('\n');
		}
	}
	free(s);
	if (arr != NULL)
		cli_print_json(arr);
	return EXIT_OK;
}

static int ks_remove(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_vault *v = NULL;
	uint64_t id;
	int r;

	if (cli_parse_none(c, argc, argv, 1, 1, &p) != CLI_PARSE_END)
		return p.status;
	if (cli_parse_count(p.ops[0], INT32_MAX, &id) != SC_OK)
		return cli_usage(c, "bad slot number '%s' (see 'secretctl keyslot list')",
		                 p.ops[0]);
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	/* the removal and its audit entry: one step, both or neither */
	r = sc_session_slot_remove(v, cli_who(), (int64_t)id);
	sc_vault_close(v);
	if (r != SC_OK)
		return cli_fail(r, "cannot remove key slot %" PRIu64, id);
	if (c->json)
		cli_print_json(json_pack("{s:I,s:b}", "id", (json_int_t)id, "removed", 1));
	else
		printf("removed key slot %" PRIu64 "\n", id);
	return EXIT_OK;
}

const struct cli_cmd cli_keyslot_subs[] = {
    {"add", ks_add, VAULT | PW, "pkcs11",
     "add a key slot: a PKCS#11 token's AES-256 key (--token URI) wraps the data key",
     "The key the URI's object= names is used if it is in the token, else generated there\n"
     "(non-extractable, sensitive). The vault opens by password; the token's PIN comes\n"
     "from --pin-fd N or the terminal.",
     NULL, NULL},
    {"list", ks_list, VAULT, NULL, "the key slots: kind, label, created, last used, token", NULL,
     NULL, NULL},
    {"remove", ks_remove, VAULT | PW, "ID", "remove a key slot (never the last one)", NULL, NULL,
     NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};
