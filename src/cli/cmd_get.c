/* cmd_get.c - `secretctl get NAME`: write a secret's value to stdout. */
#include <getopt.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli/cli.h"

/* The field get prints when none is named: "value", or the only field. */
static int pick_field(const struct sc_secret *s, const char *want)
{
	if (want != NULL)
		return sc_secret_field_index(s, want);
	if (sc_secret_field_index(s, "value") >= 0)
		return sc_secret_field_index(s, "value");
	return sc_secret_field_count(s) == 1 ? 0 : -2;
}

static int print_json(const struct sc_secret *s, const char *fname, const uint8_t *val, size_t len)
{
	json_t *o = json_object(), *str;
	char *b64 = NULL, *out;
	size_t b64len;
	int r = SC_ERR_NOMEM;

	if (o == NULL)
		return r;
	json_object_set_new(o, "name", json_string(sc_secret_name(s)));
	json_object_set_new(o, "field", json_string(fname));
	str =
	    memchr(val, '\0', len) ? NULL : json_stringn(val == NULL ? "" : (const char *)val, len);
	if (str != NULL) {
		json_object_set_new(o, "value", str);
	} else {
		/* not UTF-8 text: give it as base64 */
		b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
		if ((b64 = sc_secmem_alloc(b64len)) == NULL)
			goto out;
		sodium_bin2base64(b64, b64len, val, len, sodium_base64_VARIANT_ORIGINAL);
		json_object_set_new(o, "value_base64", json_string(b64));
	}
	if ((out = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	r = sc_fd_write_all(1, (const uint8_t *)out, strlen(out));
	if (r == SC_OK)
		r = sc_fd_write_all(1, (const uint8_t *)"\n", 1);
	sc_wipe(out, strlen(out));
	free(out);
out:
	sc_secmem_free(b64);
	json_decref(o);
	return r;
}

int cmd_get(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"field", required_argument, NULL, 'f'},
	    {"raw", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	struct sc_vault *v = NULL;
	struct sc_secret *s = NULL;
	const char *field = NULL, *fname, *name;
	const uint8_t *val;
	size_t len;
	int ch, raw = 0, r, i, rc = EXIT_FAIL, expired = 0;

	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			field = optarg;
			break;
		case 'r':
			raw = 1;
			break;
		default:
			return cli_opt_error(c, ch, argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage(c,
		                 argc - optind < 1 ? "missing secret NAME" : "too many arguments");
	name = argv[optind];
	if (sc_name_valid(name) != SC_OK)
		return cli_usage(c, "invalid secret name '%s'", name);
	/* only an agent unlocked with --reveal hands out values (and it
	 * audits them); otherwise the password, as without an agent */
	if ((r = cli_agent_get(c, name, &s)) == SC_ERR_LOCKED) {
		if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
			return cli_fail(r, "cannot unlock the vault");
		r = sc_vault_get(v, name, &s);
		{
			int a = cli_audit(c, v, "get", &name, 1, NULL, r); /* no value without it */

			if (r == SC_OK && a != SC_OK) {
				rc = cli_fail(a, "cannot write the audit log");
				goto out;
			}
		}
	}
	if (r != SC_OK) {
		rc = cli_fail(r, r == SC_ERR_NOT_FOUND ? "no secret '%s'" : "cannot read '%s'",
		              name);
		goto out;
	}
	i = pick_field(s, field);
	if (i == -2) {
		rc = cli_fail(SC_ERR_INVALID, "'%s' has several fields; name one with --field",
		              name);
		goto out;
	}
	if (i < 0) {
		rc = cli_fail(SC_ERR_NOT_FOUND, "'%s' has no field '%s'", name, field);
		goto out;
	}
	if (sc_secret_is_expired(s, (int64_t)time(NULL))) {
		char when[32];

		cli_format_time(sc_secret_expires(s), when, sizeof(when));
		cli_warn("'%s' expired at %s", name, when);
		expired = 1;
	}
	if ((r = sc_secret_field(s, (size_t)i, &fname, &val, &len, NULL, NULL)) != SC_OK)
		goto out;
	if (c->json)
		r = print_json(s, fname, val, len);
	else if ((r = sc_fd_write_all(1, val, len)) == SC_OK && !raw)
		r = sc_fd_write_all(1, (const uint8_t *)"\n", 1);
	/* the value is still given; the exit status says it has expired */
	if (r != SC_OK)
		rc = cli_fail(r, "cannot write the value");
	else
		rc = expired ? EXIT_EXPIRED : EXIT_OK;
out:
	sc_secret_free(s);
	sc_vault_close(v);
	return rc;
}
