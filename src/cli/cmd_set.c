/* cmd_set.c - `secretctl set NAME`: store a secret. Sensitive values come
 * from standard input, a file or the terminal, never from argv. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "secretctl/keys.h"
#include "secretctl/sanitize.h"
#include "secretctl/session.h"

#define MAX_SPECS 64

const struct cli_opt cli_opts_set[] = {
    {'v', 0, "value-file", "FILE", "read the value (field 'value') from FILE", 0},
    {'f', 0, "field", "F=VALUE", "a public field, value on the line (not for secrets)", 0},
    {'s', 0, "secret-field", "F", "a secret field, read from stdin or the terminal", 0},
    {'F', 0, "secret-field-file", "F=FILE", "a secret field, read from FILE", 0},
    {'b', 0, "binding", "ENV=FIELD", "run: put FIELD in variable ENV (repeatable)", 0},
    {'t', 0, "tag", "T", "a tag (repeatable)", 0},
    {'T', 0, "tags", "T,U", "tags, comma-separated (the Go secretctl's spelling)", CLI_OPT_ALIAS},
    {'n', 0, "notes", "TEXT", "free-form notes (not secret, encrypted)", 0},
    {'u', 0, "url", "URL", "a URL for the secret", 0},
    {'e', 0, "expires", "DUR|DATE", "expiry: 30d, 12h, 2w, 1y or YYYY-MM-DD", 0},
    {'h', 0, "hint", "F=TEXT", "a hint for field F shown to AI agents (repeatable)", 0},
    {'c', 0, "no-confirm", NULL, "ask for a value on the terminal once, not twice", 0},
    {'R', 0, "replace", NULL,
     "replace an existing secret whole, even when that drops parts it has (else refused)", 0},
    {'k', 0, "keep", "N", "keep N versions of this secret (default 10)", 0},
    {'U', 0, "under", "KEY",
     "seal every field's value under named key KEY (key create), inside the record", 0},
    {'V', 0, "value", NULL,
     "a value never goes on the command line (ps shows it); pipe it in, or use "
     "--value-file FILE",
     CLI_OPT_REFUSED},
    {0, 0, NULL, NULL, NULL, 0},
};

struct spec {
	char *field;
	const char *arg; /* inline value, file name, or NULL for stdin/terminal */
	int kind;        /* 'f' inline public, 's' secret from stdin/tty, 'F' secret from file */
};

/* No field reads stdin: only public fields, or files. */
static int stdin_unclaimed(const struct spec *specs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (specs[i].kind == 's')
			return 0;
	return 1;
}

/* Whether stdin, a pipe or a file (never a terminal or a device), holds
 * something: a pipe is given a moment for its writer. Nothing is consumed
 * from a file; a pipe's byte is gone, but the command refuses then. */
static int stdin_has_data(void)
{
	struct pollfd p = {0, POLLIN, 0};
	struct stat st;
	off_t at;
	char b;

	if (fstat(0, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return (at = lseek(0, 0, SEEK_CUR)) >= 0 && st.st_size > at;
	if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return 0;
	if (poll(&p, 1, 200) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
		return 0;
	return read(0, &b, 1) == 1;
}

int cmd_set(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct spec specs[MAX_SPECS];
	char *bindings[SC_BINDINGS_MAX], *tags[SC_TAGS_MAX], *hints[SC_FIELDS_MAX];
	size_t nspecs = 0, nbind = 0, ntags = 0, nhints = 0, i;
	const char *notes = NULL, *url = NULL, *name, *under = NULL;
	int64_t expires = 0;
	struct sc_secret *s = NULL;
	struct sc_vault *v = NULL;
	int ch, r, stdin_used = 0, confirm = 1, rc = EXIT_FAIL, txn_replace = 0;
	struct sc_session_set txn;
	unsigned long keep_n = 0;
	char *end;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		char *val = NULL, *optarg = (char *)p.val;

		switch (ch) {
		case 'v':
		case 'f':
		case 's':
		case 'F':
			if (nspecs == MAX_SPECS)
				return cli_usage(c, "too many fields (at most %d)", SC_FIELDS_MAX);
			if (ch == 'v') {
				specs[nspecs] = (struct spec){(char *)"value", optarg, 'F'};
			} else if (ch == 's') {
				specs[nspecs] = (struct spec){optarg, NULL, 's'};
			} else {
				if (cli_split_eq(optarg, &val) != SC_OK)
					return cli_usage(c, "--%s needs FIELD=%s",
					                 ch == 'f' ? "field" : "secret-field-file",
					                 ch == 'f' ? "VALUE" : "FILE");
				specs[nspecs] = (struct spec){optarg, val, ch};
			}
			nspecs++;
			break;
		case 'b':
			if (nbind == SC_BINDINGS_MAX)
				return cli_usage(c, "too many bindings");
			bindings[nbind++] = optarg;
			break;
		case 't':
			if (ntags == SC_TAGS_MAX)
				return cli_usage(c, "too many tags (at most %d)", SC_TAGS_MAX);
			tags[ntags++] = optarg;
			break;
		case 'T': {
			char *tok, *save = NULL;

			/* "a,b": split in place (argv is ours to write) */
			for (tok = strtok_r(optarg, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save)) {
				if (ntags == SC_TAGS_MAX)
					return cli_usage(c, "too many tags (at most %d)",
					                 SC_TAGS_MAX);
				tags[ntags++] = tok;
			}
			break;
		}
		case 'c':
			confirm = 0;
			break;
		case 'R':
			txn_replace = 1;
			break;
		case 'k':
			errno = 0;
			keep_n = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] < '1' || optarg[0] > '9' ||
			    keep_n > SC_HISTORY_KEEP_MAX)
				return cli_usage(c, "bad --keep '%s' (1-%d versions)", optarg,
				                 SC_HISTORY_KEEP_MAX);
			break;
		case 'U':
			if (sc_keys_name_valid(optarg) != SC_OK)
				return cli_usage(c,
				                 "invalid key name '%s' for --under (1-64 of "
				                 "[A-Za-z0-9._-], first alphanumeric)",
				                 optarg);
			under = optarg;
			break;
		case 'h':
			if (nhints == SC_FIELDS_MAX)
				return cli_usage(c, "too many hints");
			hints[nhints++] = optarg;
			break;
		case 'n':
			notes = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'e':
			if (cli_parse_expiry(optarg, &expires) != SC_OK)
				return cli_usage(c,
				                 "bad --expires '%s'%s%s (use 30d, 12h, 2w, 1y or "
				                 "YYYY-MM-DD)",
				                 optarg, *sc_last_error() ? ": " : "",
				                 sc_last_error());
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, p.nops < 1 ? "missing secret NAME"
		                               : "too many arguments (values never go on "
		                                 "the command line; pipe them in)");
	name = p.ops[0];
	if (sc_name_valid(name) != SC_OK) {
		rc = cli_usage(c,
		               "invalid secret name '%s' (1-256 of [A-Za-z0-9._/-], not "
		               "starting with '.' or '-', no '..' or '//', no leading or "
		               "trailing '/')",
		               name);
		goto out;
	}
	if (nspecs == 0)
		specs[nspecs++] = (struct spec){(char *)"value", NULL, 's'};
	for (i = 0; i < nspecs; i++)
		if (sc_field_name_valid(specs[i].field) != SC_OK) {
			rc = cli_usage(c, "invalid field name '%s' (1-64 of [A-Za-z0-9._-])",
			               specs[i].field);
			goto out;
		}

	/* Unlock first: a password on --password-fd 0 precedes the value. */
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK) {
		rc = cli_fail(r, "cannot unlock the vault");
		goto out;
	}
	if ((r = sc_secret_new(&s, name)) != SC_OK) {
		rc = cli_fail(r, "cannot create the secret");
		goto out;
	}
	for (i = 0; i < nspecs; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;

		if (specs[i].kind == 'f') {
			r = sc_secret_add_field(s, specs[i].field, specs[i].arg,
			                        strlen(specs[i].arg), 0);
			if (r == SC_OK && under != NULL)
				r = sc_secret_set_field_key(s, specs[i].field, under);
		} else {
			r = specs[i].kind == 'F'
			        ? cli_read_value_file(specs[i].arg, &buf, &len)
			        : cli_read_secret_input(name, specs[i].field, confirm, &stdin_used,
			                                &buf, &len);
			if (r == SC_OK && len == 0) {
				sc_set_error("field '%s' is empty", specs[i].field);
				r = SC_ERR_INVALID;
			}
			if (r == SC_OK)
				r = sc_secret_add_field(s, specs[i].field, buf, len, 1);
			if (r == SC_OK && under != NULL)
				r = sc_secret_set_field_key(s, specs[i].field, under);
			if (r == SC_OK && len < SC_SANITIZE_MIN_LEN)
				cli_warn(
				    "field '%s' is shorter than %d bytes: 'run' cannot redact it "
				    "from output",
				    specs[i].field, SC_SANITIZE_MIN_LEN);
			sc_secmem_free(buf);
		}
		if (r != SC_OK) {
			rc = cli_fail(r,
			              r == SC_ERR_EXISTS ? "field '%s' given twice"
			                                 : "cannot read field '%s'",
			              specs[i].field);
			goto out;
		}
	}
	/* a value piped in that no field took is never dropped (issue 19);
	 * asked after the fields, so --value-file /dev/stdin has read it */
	if (c->password_fd != 0 && stdin_unclaimed(specs, nspecs) && stdin_has_data()) {
		rc = cli_usage(c, "a value was piped in, but no field takes it: add --secret-field "
		                  "value (or -s FIELD) to store it; nothing was stored");
		goto out;
	}
	for (i = 0; i < nhints; i++) {
		char *val;

		if (cli_split_eq(hints[i], &val) != SC_OK ||
		    (r = sc_secret_set_hint(s, hints[i], val)) != SC_OK) {
			rc = cli_usage(c,
			               "bad --hint '%s' (use FIELD=TEXT for a field of this "
			               "secret)",
			               hints[i]);
			goto out;
		}
	}
	for (i = 0; i < nbind; i++) {
		char *field;

		if (cli_split_eq(bindings[i], &field) != SC_OK) {
			rc = cli_usage(c, "--binding needs ENV=FIELD");
			goto out;
		}
		if (sc_secret_field_index(s, field) < 0) {
			rc = cli_usage(c,
			               "binding '%s' names field '%s', which this secret does not "
			               "have",
			               bindings[i], field);
			goto out;
		}
		if ((r = sc_secret_add_binding(s, bindings[i], field)) != SC_OK) {
			rc = cli_usage(
			    c, "bad binding '%s=%s' (variable names are [A-Za-z_][A-Za-z0-9_]*)",
			    bindings[i], field);
			goto out;
		}
	}
	for (i = 0; i < ntags; i++)
		if ((r = sc_secret_add_tag(s, tags[i])) != SC_OK) {
			rc = cli_usage(c, "invalid tag '%s' (1-64 of [A-Za-z0-9._:/@+-])", tags[i]);
			goto out;
		}
	if (notes != NULL && (r = sc_secret_set_notes(s, notes)) != SC_OK) {
		rc = cli_usage(c, "bad --notes (at most %d bytes, no control characters)",
		               SC_NOTES_MAX);
		goto out;
	}
	if (url != NULL && (r = sc_secret_set_url(s, url)) != SC_OK) {
		rc = cli_usage(c, "bad --url (at most %d bytes, one line)", SC_URL_MAX);
		goto out;
	}
	sc_secret_set_expires(s, expires);
	/* the write and its audit entry: one step, both or neither */
	memset(&txn, 0, sizeof(txn));
	txn.replace = txn_replace;
	txn.keep = (unsigned)keep_n;
	r = sc_session_set(v, cli_who(), s, &txn);
	if (r == SC_ERR_DENIED) {
		sc_clear_error();
		rc = cli_error(EXIT_DENIED,
		               "not replacing '%s': it would drop %s; change parts with 'secretctl "
		               "edit %s', or replace it whole with 'secretctl set --replace'",
		               name, txn.dropped, name);
		goto out;
	}
	if (r != SC_OK) {
		rc = cli_fail(r, "cannot store '%s'", name);
		goto out;
	}
	if (txn.version > 1 && !c->json)
		cli_say("updated '%s' (version %llu; 'secretctl rollback %s' brings back version "
		        "%llu)",
		        name, (unsigned long long)txn.version, name,
		        (unsigned long long)txn.version - 1);
	if (c->json) {
		json_t *o = json_pack("{s:s,s:b,s:I}", "name", name, "stored", 1, "version",
		                      (json_int_t)txn.version),
		       *f = json_array();
		char *out;

		for (i = 0; i < sc_secret_field_count(s); i++) {
			const char *fname;
			int sensitive;

			if (sc_secret_field(s, i, &fname, NULL, NULL, &sensitive, NULL) == SC_OK)
				json_array_append_new(f, json_pack("{s:s,s:b}", "name", fname,
				                                   "sensitive", sensitive));
		}
		json_object_set_new(o, "fields", f);
		if ((out = json_dumps(o, JSON_COMPACT)) != NULL)
			puts(out);
		free(out);
		json_decref(o);
	}
	rc = EXIT_OK;
out:
	sc_secret_free(s);
	sc_vault_close(v);
	return rc;
}
