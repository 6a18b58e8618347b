/* cmd_get.c - `secretctl get NAME`: write a secret's value to stdout. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli/cli.h"
#include "secretctl/secref.h"

const struct cli_opt cli_opts_get[] = {
    {'f', 0, "field", "F", "print field F (needed when the secret has several)", 0},
    {'r', 0, "raw", NULL, "no newline after the value", 0},
    {'V', 0, "version", "N", "an earlier version (see 'secretctl history NAME')", 0},
    {'m', 0, "show-metadata", NULL,
     "also print tags, URL, notes, expiry and times (to stderr; under --json in the "
     "object)",
     0},
    {0, 0, NULL, NULL, NULL, 0},
};

/* "user, password": the field names, for a message. */
static void field_names(const struct sc_secret *s, char *buf, size_t cap)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sc_secret_field_count(s) && n + 1 < cap; i++) {
		const char *fname;

		if (sc_secret_field(s, i, &fname, NULL, NULL, NULL, NULL) != SC_OK)
			continue;
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", fname);
	}
}

static json_t *metadata_json(const struct sc_secret *s)
{
	json_t *o = json_object(), *tags = json_array();
	size_t i;

	for (i = 0; i < sc_secret_tag_count(s); i++)
		json_array_append_new(tags, json_string(sc_secret_tag(s, i)));
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "url",
	                    sc_secret_url(s) ? json_string(sc_secret_url(s)) : json_null());
	json_object_set_new(o, "notes",
	                    sc_secret_notes(s) ? json_string(sc_secret_notes(s)) : json_null());
	cli_json_set_times(o, s);
	return o;
}

/* --show-metadata without --json: on stderr, so stdout stays the value. */
static void print_metadata(const struct sc_secret *s)
{
	char when[32], names[1024];
	size_t i;

	field_names(s, names, sizeof(names));
	fprintf(stderr, "name:     %s\nfields:   %s\ntags:     ", sc_secret_name(s), names);
	for (i = 0; i < sc_secret_tag_count(s); i++)
		fprintf(stderr, "%s%s", i ? ", " : "", sc_secret_tag(s, i));
	fprintf(stderr, "\nurl:      %s\nnotes:    %s\n", sc_secret_url(s) ? sc_secret_url(s) : "-",
	        sc_secret_notes(s) ? sc_secret_notes(s) : "-");
	if (sc_secret_expires(s) != 0)
		cli_format_time(sc_secret_expires(s), when, sizeof(when));
	else
		snprintf(when, sizeof(when), "never");
	fprintf(stderr, "expires:  %s\n", when);
	cli_format_time(sc_secret_created(s), when, sizeof(when));
	fprintf(stderr, "created:  %s\n", when);
	cli_format_time(sc_secret_updated(s), when, sizeof(when));
	fprintf(stderr, "updated:  %s\n", when);
}

static int print_json(const struct sc_secret *s, const char *fname, const uint8_t *val, size_t len,
                      int meta)
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
	if (meta)
		json_object_set_new(o, "metadata", metadata_json(s));
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

/* Fetch through an unlocked agent (one unlocked with --reveal), else with
 * the password (the session: the first refusal opens the vault here, and
 * each value's entry is on disk before it is used). */
static int fetch_one(void *arg, const char *name, struct sc_secret **out)
{
	return sc_session_get(((struct cli_session *)arg)->s, name, out);
}

int cli_get_print(struct cli *c, const char *name, const char *field, const char *ref,
                  uint64_t version, int raw, int meta)
{
	struct cli_session cs;
	struct sc_secret *s = NULL;
	const char *fname;
	const uint8_t *val;
	size_t len;
	int r, i = -1, rc = EXIT_FAIL, expired = 0;
	char names[1024], found[SC_NAME_MAX + 1] = "";

	/* only an agent unlocked with --reveal hands out values (and it
	 * audits them); otherwise the password, as without an agent; an
	 * earlier version: in-process, with the password (the agent hands
	 * out only current values) */
	if ((r = cli_session_open(c, &cs)) != SC_OK)
		return cli_fail(r, "out of memory");
	if (ref != NULL) {
		r = sc_secref_resolve(fetch_one, &cs, ref, &s, &i, found, sizeof(found));
		name = found[0] ? found : ref;
	} else if (version) {
		r = sc_session_get_version(cs.s, name, version, &s);
	} else {
		r = fetch_one(&cs, name, &s);
	}
	if (r != SC_OK && (sc_session_open_status(cs.s) != SC_OK || sc_session_unaudited(cs.s))) {
		rc = cli_session_fail(&cs, r, "cannot read '%s'", ref != NULL ? ref : name);
		goto out;
	}
	if (ref != NULL && r != SC_OK) {
		if (r == SC_ERR_INVALID && found[0])
			rc = cli_error(EXIT_USAGE,
			               "'%s' has several fields; name one: secretctl://%s/FIELD",
			               found, found);
		else if (r == SC_ERR_NOT_FOUND && found[0])
			rc = cli_error(EXIT_NOTFOUND, "'%s' has no field '%s'", found,
			               strrchr(ref, '/') + 1);
		else
			rc = r == SC_ERR_NOT_FOUND
			         ? cli_error(EXIT_NOTFOUND, "no secret for 'secretctl://%s'", ref)
			         : cli_fail(r, "cannot read 'secretctl://%s'", ref);
		goto out;
	}
	if (r != SC_OK) {
		if (r == SC_ERR_NOT_FOUND && version)
			rc = cli_error(EXIT_NOTFOUND,
			               "'%s' has no version %llu (see 'secretctl history %s')",
			               name, (unsigned long long)version, name);
		else
			rc = r == SC_ERR_NOT_FOUND
			         ? cli_error(EXIT_NOTFOUND, "no secret '%s'", name)
			         : cli_fail(r, "cannot read '%s'", name);
		goto out;
	}
	if (ref == NULL)
		i = sc_secret_pick_field(s, field);
	if (i < 0)
		field_names(s, names, sizeof(names));
	if (i == -2) {
		rc = cli_error(EXIT_USAGE, "'%s' has several fields (%s); name one with --field",
		               name, names);
		goto out;
	}
	if (i < 0) {
		rc = cli_error(EXIT_NOTFOUND, "'%s' has no field '%s' (it has: %s)", name, field,
		               names);
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
	if (meta && !c->json)
		print_metadata(s);
	if (c->json)
		r = print_json(s, fname, val, len, meta);
	else if ((r = sc_fd_write_all(1, val, len)) == SC_OK && !raw)
		r = sc_fd_write_all(1, (const uint8_t *)"\n", 1);
	/* the value is still given; the exit status says it has expired */
	if (r != SC_OK)
		rc = cli_fail(r, "cannot write the value");
	else
		rc = expired ? EXIT_EXPIRED : EXIT_OK;
out:
	sc_secret_free(s);
	cli_session_close(&cs);
	return rc;
}

int cmd_get(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	const char *field = NULL, *name;
	int ch, raw = 0, meta = 0;
	uint64_t version = 0;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 'f':
			field = p.val;
			break;
		case 'r':
			raw = 1;
			break;
		case 'm':
			meta = 1;
			break;
		case 'V':
			if (cli_parse_count(p.val, UINT32_MAX, &version) != SC_OK)
				return cli_usage(c,
				                 "bad --version '%s' (a version number, see "
				                 "'secretctl history')",
				                 p.val);
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, p.nops < 1 ? "missing secret NAME" : "too many arguments");
	name = p.ops[0];
	if (sc_name_valid(name) != SC_OK)
		return cli_usage(c, "invalid secret name '%s'", name);
	return cli_get_print(c, name, field, NULL, version, raw, meta);
}
