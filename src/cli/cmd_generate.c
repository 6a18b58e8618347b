/* cmd_generate.c - `secretctl generate`: a random password (characters
 * from a set) or passphrase (words of the SLIP-0039 list, 10 bits each),
 * printed, or with --set stored without being printed. */
#include <string.h>

#include <jansson.h>

#include "cli/agent_cmds.h"
#include "secretctl/generate.h"
#include "secretctl/secref.h"

#define GEN_SPEC_MAX 16

const struct cli_opt cli_opts_generate[] = {
    {'l', 'l', "length", "N", "characters (4-4096; default 32)", 0},
    {'c', 'c', "charset", "SET",
     "alnum (default), alpha, digits, hex, symbols (printable ASCII but space), or the "
     "characters given; repeatable, merged",
     0},
    {'w', 'w', "words", "N", "a passphrase of N words (1-64; 10 bits each) instead", 0},
    {'S', 0, "separator", "C", "between the words (default '-')", 0},
    {'s', 0, "set", "NAME[/FIELD]",
     "store the value in the secret (field 'value', or FIELD of an existing NAME) and "
     "print nothing",
     0},
    {0, 0, NULL, NULL, NULL, 0},
};

static int gen_store(struct cli *c, const char *path, const char *val, size_t len, unsigned bits)
{
	struct sc_vault *v = NULL;
	struct sc_session_gen t;
	int r;

	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	r = sc_session_generate(v, cli_who(), path, val, len, &t);
	sc_vault_close(v);
	if (r != SC_OK) {
		if (t.why[0] != '\0') {
			sc_clear_error();
			return cli_error(EXIT_USAGE, "%s", t.why);
		}
		return cli_fail(r, "cannot store the value in '%s'", path);
	}
	if (c->json)
		cli_print_json(json_pack("{s:s,s:s,s:I,s:i}", "name", t.name, "field", t.field,
		                         "version", (json_int_t)t.version, "bits", (int)bits));
	else
		cli_say("stored a generated value (%u bits) in '%s', field '%s' (version %llu)",
		        bits, t.name, t.field, (unsigned long long)t.version);
	return EXIT_OK;
}

int cmd_generate(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	char set[SC_GEN_SET_MAX + 1] = "", *out = NULL;
	const char *store = NULL, *specs[GEN_SPEC_MAX];
	uint64_t length = SC_GEN_LENGTH_DEFAULT, words = 0;
	size_t nspecs = 0, len = 0, i;
	int ch, r, rc, have_len = 0;
	char sep = '-';
	unsigned bits;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 'l':
			if (cli_parse_count(p.val, SC_GEN_LENGTH_MAX, &length) != SC_OK ||
			    length < SC_GEN_LENGTH_MIN)
				return cli_usage(c, "bad --length '%s' (%d-%d characters)", p.val,
				                 SC_GEN_LENGTH_MIN, SC_GEN_LENGTH_MAX);
			have_len = 1;
			break;
		case 'c':
			if (nspecs == GEN_SPEC_MAX)
				return cli_usage(c, "too many --charset (at most %d)",
				                 GEN_SPEC_MAX);
			specs[nspecs++] = p.val;
			break;
		case 'w':
			if (cli_parse_count(p.val, SC_GEN_WORDS_MAX, &words) != SC_OK)
				return cli_usage(c, "bad --words '%s' (%d-%d words)", p.val,
				                 SC_GEN_WORDS_MIN, SC_GEN_WORDS_MAX);
			break;
		case 'S':
			if (strlen(p.val) != 1 || (unsigned char)p.val[0] < 0x20 ||
			    (unsigned char)p.val[0] > 0x7e)
				return cli_usage(c, "--separator takes one printable character");
			sep = p.val[0];
			break;
		case 's':
			store = p.val;
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "too many arguments");
	if (words && (have_len || nspecs))
		return cli_usage(c, "--words makes a passphrase: not with --length or --charset");
	if (store != NULL && sc_name_valid(store) != SC_OK)
		return cli_usage(c, "invalid secret name '%s' for --set", store);
	if (words) {
		r = sc_gen_words((size_t)words, sep, &out, &len);
		bits = (unsigned)words * 10;
	} else {
		if (nspecs == 0)
			specs[nspecs++] = "alnum";
		for (i = 0; i < nspecs; i++)
			if (sc_gen_charset_add(set, specs[i]) != SC_OK)
				return cli_usage(c,
				                 "bad --charset '%s' (alnum, alpha, digits, hex, "
				                 "symbols, or printable ASCII characters)",
				                 specs[i]);
		if (strlen(set) < 2)
			return cli_usage(c, "--charset '%s' has fewer than 2 different characters",
			                 specs[0]);
		r = sc_gen_password(set, (size_t)length, &out, &len);
		bits = sc_gen_password_bits(strlen(set), (size_t)length);
	}
	if (r != SC_OK)
		return cli_fail(r, "cannot generate a value");
	if (store != NULL) {
		rc = gen_store(c, store, out, len, bits);
	} else if (c->json) {
		cli_print_json(json_pack("{s:s%,s:i}", "value", out, len, "bits", (int)bits));
		rc = EXIT_OK;
	} else {
		r = sc_fd_write_all(1, (const uint8_t *)out, len);
		if (r == SC_OK)
			r = sc_fd_write_all(1, (const uint8_t *)"\n", 1);
		rc = r == SC_OK ? EXIT_OK : cli_fail(r, "cannot write the value");
	}
	sc_secmem_free(out);
	return rc;
}
