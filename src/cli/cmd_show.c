/* cmd_show.c - `secretctl show NAME`: everything about a secret but its
 * sensitive values, which are masked. An unlocked agent answers in either
 * mode (it sends no sensitive value, and no notes); else the password. */
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/agent_cmds.h"

#define SHOW_MASK "********"

static void when_str(int64_t t, char *buf, size_t cap)
{
	if (t == 0)
		snprintf(buf, cap, "never");
	else
		cli_format_time(t, buf, cap);
}

static void show_text(const struct sc_secret *s, int via_agent)
{
	const char *fname, *hint, *env, *bf;
	const uint8_t *val;
	size_t i, len;
	int sens;
	char when[32];

	printf("name:     ");
	cli_put_escaped(stdout, sc_secret_name(s));
	printf("\nfields:\n");
	for (i = 0; i < sc_secret_field_count(s); i++) {
		if (sc_secret_field(s, i, &fname, &val, &len, &sens, &hint) != SC_OK)
			continue;
		printf("  %s = ", fname);
		if (sens) {
			printf("%s (sensitive)", SHOW_MASK);
		} else {
			char *v = strndup(len ? (const char *)val : "", len);

			if (v != NULL)
				cli_put_escaped(stdout, v);
			free(v);
		}
		if (hint != NULL) {
			printf("  # hint: ");
			cli_put_escaped(stdout, hint);
		}
		putchar('\n');
	}
	printf("bindings: ");
	for (i = 0; i < sc_secret_binding_count(s); i++)
		if (sc_secret_binding(s, i, &env, &bf) == SC_OK)
			printf("%s%s=%s", i ? ", " : "", env, bf);
	printf("%s\ntags:     ", sc_secret_binding_count(s) ? "" : "-");
	for (i = 0; i < sc_secret_tag_count(s); i++)
		printf("%s%s", i ? ", " : "", sc_secret_tag(s, i));
	printf("%s\nurl:      ", sc_secret_tag_count(s) ? "" : "-");
	cli_put_escaped(stdout, sc_secret_url(s) ? sc_secret_url(s) : "-");
	printf("\nnotes:    ");
	if (via_agent && sc_secret_notes(s) != NULL)
		printf("(set; the agent does not send notes: SECRETCTL_NO_AGENT=1 shows them)");
	else
		cli_put_escaped(stdout, sc_secret_notes(s) ? sc_secret_notes(s) : "-");
	when_str(sc_secret_expires(s), when, sizeof(when));
	printf("\nexpires:  %s%s\n", when,
	       sc_secret_is_expired(s, (int64_t)time(NULL)) ? " (expired)" : "");
	when_str(sc_secret_created(s), when, sizeof(when));
	printf("created:  %s\n", when);
	when_str(sc_secret_updated(s), when, sizeof(when));
	printf("updated:  %s\n", when);
}

static json_t *show_json(const struct sc_secret *s, int via_agent)
{
	json_t *o = json_object(), *a = json_array(), *b = json_object(), *t = json_array();
	const char *fname, *hint, *env, *bf;
	const uint8_t *val;
	size_t i, len;
	int sens;

	json_object_set_new(o, "name", json_string(sc_secret_name(s)));
	for (i = 0; i < sc_secret_field_count(s); i++) {
		json_t *f;

		if (sc_secret_field(s, i, &fname, &val, &len, &sens, &hint) != SC_OK)
			continue;
		f = json_pack("{s:s,s:b}", "name", fname, "sensitive", sens);
		if (!sens)
			json_object_set_new(f, "value",
			                    json_stringn(len ? (const char *)val : "", len));
		if (hint != NULL)
			json_object_set_new(f, "hint", json_string(hint));
		json_array_append_new(a, f);
	}
	json_object_set_new(o, "fields", a);
	for (i = 0; i < sc_secret_binding_count(s); i++)
		if (sc_secret_binding(s, i, &env, &bf) == SC_OK)
			json_object_set_new(b, env, json_string(bf));
	json_object_set_new(o, "bindings", b);
	for (i = 0; i < sc_secret_tag_count(s); i++)
		json_array_append_new(t, json_string(sc_secret_tag(s, i)));
	json_object_set_new(o, "tags", t);
	json_object_set_new(o, "url",
	                    sc_secret_url(s) ? json_string(sc_secret_url(s)) : json_null());
	if (via_agent && sc_secret_notes(s) != NULL)
		json_object_set_new(o, "notes_withheld", json_true());
	else
		json_object_set_new(
		    o, "notes", sc_secret_notes(s) ? json_string(sc_secret_notes(s)) : json_null());
	cli_json_set_times(o, s);
	return o;
}

int cmd_show(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct cli_session cs;
	struct sc_secret *s = NULL;
	const char *name;
	int r, rc, via_agent;

	if (cli_parse_none(c, argc, argv, 1, 1, &p) != CLI_PARSE_END)
		return p.status;
	name = p.ops[0];
	if (sc_name_valid(name) != SC_OK)
		return cli_usage(c, "invalid secret name '%s'", name);
	if ((r = cli_session_open(c, &cs)) != SC_OK)
		return cli_fail(r, "out of memory");
	r = sc_session_fields(cs.s, NULL, name, &s);
	via_agent = sc_session_via_agent(cs.s);
	if (r != SC_OK) {
		rc = r == SC_ERR_NOT_FOUND && !sc_session_unaudited(cs.s)
		         ? cli_error(EXIT_NOTFOUND, "no secret '%s'", name)
		         : cli_session_fail(&cs, r, "cannot read '%s'", name);
		goto out;
	}
	if (c->json)
		cli_print_json(show_json(s, via_agent));
	else
		show_text(s, via_agent);
	rc = EXIT_OK;
out:
	sc_secret_free(s);
	cli_session_close(&cs);
	return rc;
}
