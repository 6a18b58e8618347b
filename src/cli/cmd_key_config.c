/* cmd_key_config.c - `secretctl key config NAME`: change the per-key
 * settings `key create` took (floors, rotation period, require-context,
 * and the two one-way latches exportable and confirm). Every change is
 * checked first and then made together, in one audited transaction
 * (key.config), or none is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/key_cli.h"

const struct cli_opt cli_opts_key_config[] = {
    {'d', 0, "min-decrypt-version", "N", "decrypt and verify only with version N or newer", 0},
    {'e', 0, "min-encrypt-version", "N", "encrypt and sign only with version N or newer", 0},
    {'r', 0, "rotate-every", "DURATION|off", "rotate on the first use past this period", 0},
    {'c', 0, "require-context", "on|off", "encrypt and decrypt need an encryption context", 0},
    {'x', 0, "exportable", "on|off", "allow export (a one-way latch: never off once on)", 0},
    {'N', 0, "confirm", "on|off", "ask a person before every signature (a one-way latch)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

/* What the command line asks for; -1 (or 0 for the floors): unchanged. */
struct config_args {
	const char *name;
	uint32_t min_dec, min_enc;
	int64_t rotate_every; /* -1 unchanged, 0 off */
	int require_context, exportable, confirm;
};

/* "on" 1, "off" 0, else -1. */
static int on_off(const char *s)
{
	return strcmp(s, "on") == 0 ? 1 : strcmp(s, "off") == 0 ? 0 : -1;
}

static int parse(struct cli *c, int argc, char **argv, struct config_args *a, int *status)
{
	struct cli_parse p;
	int ch;

	memset(a, 0, sizeof(*a));
	a->rotate_every = a->require_context = a->exportable = a->confirm = -1;
	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 'd':
		case 'e':
			if (key_parse_version(p.val, ch == 'd' ? &a->min_dec : &a->min_enc) !=
			    SC_OK) {
				*status =
				    cli_usage(c, "bad --min-%s-version '%s' (a number from 1)",
				              ch == 'd' ? "decrypt" : "encrypt", p.val);
				return CLI_PARSE_EXIT;
			}
			break;
		case 'r':
			if (strcmp(p.val, "off") == 0) {
				a->rotate_every = 0;
			} else if (cli_parse_duration(p.val, &a->rotate_every) != SC_OK ||
			           a->rotate_every <= 0) {
				*status = cli_usage(
				    c, "bad --rotate-every '%s' (a duration: 90d, 1y; or off)",
				    p.val);
				return CLI_PARSE_EXIT;
			}
			break;
		case 'c':
		case 'x':
		case 'N': {
			int v = on_off(p.val);
			int *dst = ch == 'c'   ? &a->require_context
			           : ch == 'x' ? &a->exportable
			                       : &a->confirm;

			if (v < 0) {
				*status = cli_usage(c, "bad --%s '%s' (on or off)",
				                    ch == 'c'   ? "require-context"
				                    : ch == 'x' ? "exportable"
				                                : "confirm",
				                    p.val);
				return CLI_PARSE_EXIT;
			}
			*dst = v;
			break;
		}
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
	a->name = p.ops[0];
	if (key_check_name(c, a->name, status) != CLI_PARSE_END)
		return CLI_PARSE_EXIT;
	if (a->min_dec == 0 && a->min_enc == 0 && a->rotate_every < 0 && a->require_context < 0 &&
	    a->exportable < 0 && a->confirm < 0) {
		*status = cli_usage(c, "nothing to change (--min-decrypt-version, "
		                       "--min-encrypt-version, --rotate-every, --require-context, "
		                       "--exportable, --confirm)");
		return CLI_PARSE_EXIT;
	}
	return CLI_PARSE_END;
}

/* A latch asked to close again: refused, naming what to do instead. */
static int latch_off(const char *what)
{
	sc_set_error("%s is a one-way latch: once on it is never turned off; for a key without "
	             "it, make a new one (key create NAME --type TYPE) and move what it "
	             "protects there",
	             what);
	return SC_ERR_DENIED;
}

/* Every change on the loaded keyring; the caller saves only on SC_OK. */
static int apply(struct sc_keyring *kr, const struct config_args *a)
{
	struct sc_key_meta m;
	int r;

	if ((r = sc_keyring_key_meta(kr, a->name, &m)) != SC_OK)
		return r;
	/* off where it is off already: nothing to do */
	if (a->exportable == 0 && (m.flags & SC_KEY_EXPORTABLE))
		return latch_off("exportable");
	if (a->confirm == 0 && (m.flags & SC_KEY_CONFIRM))
		return latch_off("confirm");
	if ((a->min_dec != 0 || a->min_enc != 0) &&
	    (r = sc_keyring_set_floors(kr, a->name, a->min_dec, a->min_enc)) != SC_OK)
		return r;
	if (a->rotate_every >= 0 &&
	    (r = sc_keyring_set_rotate_every(kr, a->name, a->rotate_every)) != SC_OK)
		return r;
	if (a->require_context >= 0 &&
	    (r = sc_keyring_set_require_context(kr, a->name, a->require_context)) != SC_OK)
		return r;
	if (a->exportable == 1 && (r = sc_keyring_set_exportable(kr, a->name)) != SC_OK)
		return r;
	if (a->confirm == 1 && (r = sc_keyring_set_confirm(kr, a->name)) != SC_OK)
		return r;
	return SC_OK;
}

int cli_key_config(struct cli *c, int argc, char **argv)
{
	struct config_args a;
	struct key_session ks;
	struct sc_key_meta m;
	char rot[40];
	int r, st;

	if (parse(c, argc, argv, &a, &r) != CLI_PARSE_END)
		return r;
	if ((r = key_open(c, &ks)) != EXIT_OK)
		return r;
	st = apply(ks.kr, &a);
	if (st == SC_OK)
		st = sc_keyring_key_meta(ks.kr, a.name, &m);
	/* a refusal leaves the keyring as it was: key_commit saves nothing
	 * then, and records the refusal */
	st = key_commit(c, &ks, "key.config", a.name, st);
	key_close(&ks);
	if (st != SC_OK)
		return key_fail(st, "configure key", a.name);
	if (c->json)
		return key_print_json(json_pack(
		           "{s:s,s:i,s:i,s:I,s:b,s:b,s:b}", "name", a.name, "min_decrypt_version",
		           (json_int_t)m.min_decrypt, "min_encrypt_version",
		           (json_int_t)m.min_encrypt, "rotate_every", (json_int_t)m.rotate_every,
		           "require_context", (m.flags & SC_KEY_REQUIRE_CONTEXT) != 0, "exportable",
		           (m.flags & SC_KEY_EXPORTABLE) != 0, "confirm",
		           (m.flags & SC_KEY_CONFIRM) != 0)) == SC_OK
		           ? EXIT_OK
		           : EXIT_FAIL;
	if (m.rotate_every == 0)
		snprintf(rot, sizeof(rot), "by hand");
	else if (m.rotate_every % 86400 == 0)
		snprintf(rot, sizeof(rot), "every %lldd", (long long)(m.rotate_every / 86400));
	else
		snprintf(rot, sizeof(rot), "every %llds", (long long)m.rotate_every);
	cli_say("key '%s': min decrypt v%u, min encrypt v%u, rotate %s, context %s%s%s", a.name,
	        m.min_decrypt, m.min_encrypt, rot,
	        m.flags & SC_KEY_REQUIRE_CONTEXT ? "required" : "optional",
	        m.flags & SC_KEY_EXPORTABLE ? ", exportable" : "",
	        m.flags & SC_KEY_CONFIRM ? ", confirm each signature" : "");
	return EXIT_OK;
}
