/* cmd_edit.c - `secretctl edit NAME` (change named parts, keep the rest),
 * `mv OLD NEW` and `cp FROM TO`. Each is one audited write; the version
 * it replaces stays in the history. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/agent_cmds.h"

#define MAX_EDITS 256

const struct cli_opt cli_opts_edit[] = {
    {'f', 0, "field", "F=VALUE", "set a public field (added or replaced)", 0},
    {'s', 0, "secret-field", "F", "set a secret field, read from stdin or the terminal", 0},
    {'F', 0, "secret-field-file", "F=FILE", "set a secret field, read from FILE", 0},
    {'r', 0, "remove-field", "F", "remove field F (and the bindings that name it)", 0},
    {'b', 0, "binding", "ENV=FIELD", "add or change a binding", 0},
    {'B', 0, "unbind", "ENV", "remove a binding", 0},
    {'t', 0, "tag", "T", "add a tag", 0},
    {'U', 0, "untag", "T", "remove a tag", 0},
    {'n', 0, "notes", "TEXT", "set the notes ('' removes them)", 0},
    {'u', 0, "url", "URL", "set the URL ('' removes it)", 0},
    {'e', 0, "expires", "DUR|DATE", "set the expiry (30d, YYYY-MM-DD; 'never' removes it)", 0},
    {'k', 0, "keep", "N", "keep N versions of this secret", 0},
    {'c', 0, "no-confirm", NULL, "ask for a value on the terminal once, not twice", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

struct edit_op {
	int kind;
	char *arg, *val;
	uint8_t *buf; /* secret values, read before the write */
	size_t len;
};

struct edit_txn {
	const char *name;
	struct edit_op *ops;
	size_t n;
	unsigned keep;
	uint64_t version;
	char why[256];
};

static int set_field(struct sc_secret *s, const char *name, const void *val, size_t len,
                     int sensitive)
{
	int r;

	if ((r = sc_secret_remove_field(s, name)) != SC_OK && r != SC_ERR_NOT_FOUND)
		return r;
	return sc_secret_add_field(s, name, val, len, sensitive);
}

static int unbind_field(struct sc_secret *s, const char *field)
{
	size_t i = 0;
	const char *env, *f;
	int r;

	while (i < sc_secret_binding_count(s)) {
		if ((r = sc_secret_binding(s, i, &env, &f)) != SC_OK)
			return r;
		if (strcmp(f, field) == 0) {
			char e[SC_ENV_NAME_MAX + 1];

			snprintf(e, sizeof(e), "%s", env);
			if ((r = sc_secret_remove_binding(s, e)) != SC_OK)
				return r;
			continue;
		}
		i++;
	}
	return SC_OK;
}

static int apply(struct edit_txn *t, struct sc_secret *s, const struct edit_op *o)
{
	int64_t when;
	int r;

	switch (o->kind) {
	case 'f':
		return set_field(s, o->arg, o->val, strlen(o->val), 0);
	case 's':
	case 'F':
		return set_field(s, o->arg, o->buf, o->len, 1);
	case 'r':
		if ((r = sc_secret_remove_field(s, o->arg)) == SC_ERR_NOT_FOUND)
			snprintf(t->why, sizeof(t->why), "'%s' has no field '%s'", t->name, o->arg);
		return r == SC_OK ? unbind_field(s, o->arg) : r;
	case 'b':
		if (sc_secret_field_index(s, o->val) < 0) {
			snprintf(t->why, sizeof(t->why), "'%s' has no field '%s' to bind", t->name,
			         o->val);
			return SC_ERR_NOT_FOUND;
		}
		if ((r = sc_secret_remove_binding(s, o->arg)) != SC_OK && r != SC_ERR_NOT_FOUND)
			return r;
		return sc_secret_add_binding(s, o->arg, o->val);
	case 'B':
		if ((r = sc_secret_remove_binding(s, o->arg)) == SC_ERR_NOT_FOUND)
			snprintf(t->why, sizeof(t->why), "'%s' has no binding '%s'", t->name,
			         o->arg);
		return r;
	case 't':
		return sc_secret_add_tag(s, o->arg);
	case 'U':
		if ((r = sc_secret_remove_tag(s, o->arg)) == SC_ERR_NOT_FOUND)
			snprintf(t->why, sizeof(t->why), "'%s' has no tag '%s'", t->name, o->arg);
		return r;
	case 'n':
		sc_secret_clear_notes(s);
		return o->arg[0] ? sc_secret_set_notes(s, o->arg) : SC_OK;
	case 'u':
		sc_secret_clear_url(s);
		return o->arg[0] ? sc_secret_set_url(s, o->arg) : SC_OK;
	case 'e':
		if (strcmp(o->arg, "never") == 0)
			when = 0;
		else if (cli_parse_expiry(o->arg, &when) != SC_OK)
			return SC_ERR_INVALID;
		sc_secret_set_expires(s, when);
		return SC_OK;
	}
	return SC_ERR_INTERNAL;
}

/* the changes, inside the edit's transaction (sc_session_edit): s is a
 * copy of the current version */
static int edit_change(const struct sc_secret *cur, uint64_t now, struct sc_secret *s, void *arg)
{
	struct edit_txn *t = arg;
	size_t i;
	int r;

	(void)cur;
	(void)now;
	for (i = 0; i < t->n; i++)
		if ((r = apply(t, s, &t->ops[i])) != SC_OK)
			return r;
	if (sc_secret_field_count(s) == 0) {
		snprintf(t->why, sizeof(t->why), "'%s' would have no field left", t->name);
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

int cmd_edit(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct edit_op ops[MAX_EDITS];
	struct edit_txn t;
	struct sc_vault *v = NULL;
	uint64_t keep = 0;
	size_t i, n = 0;
	int ch, r, rc = EXIT_FAIL, confirm = 1, stdin_used = 0;

	memset(&t, 0, sizeof(t));
	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		char *arg = (char *)p.val, *val = NULL;

		if (ch == 'c') {
			confirm = 0;
			continue;
		}
		if (ch == 'k') {
			if (cli_parse_count(arg, SC_HISTORY_KEEP_MAX, &keep) != SC_OK)
				return cli_usage(c, "bad --keep '%s' (1-%d versions)", arg,
				                 SC_HISTORY_KEEP_MAX);
			continue;
		}
		if (n == MAX_EDITS)
			return cli_usage(c, "too many changes at once (at most %d)", MAX_EDITS);
		if ((ch == 'f' || ch == 'F' || ch == 'b') && cli_split_eq(arg, &val) != SC_OK)
			return cli_usage(c, "--%s needs %s", p.word + 2,
			                 ch == 'b'   ? "ENV=FIELD"
			                 : ch == 'f' ? "F=VALUE"
			                             : "F=FILE");
		if ((ch == 'f' || ch == 's' || ch == 'F' || ch == 'r') &&
		    sc_field_name_valid(arg) != SC_OK)
			return cli_usage(c, "invalid field name '%s' (1-64 of [A-Za-z0-9._-])",
			                 arg);
		if (ch == 'e' && strcmp(arg, "never") != 0) {
			int64_t when;

			if (cli_parse_expiry(arg, &when) != SC_OK)
				return cli_usage(c,
				                 "bad --expires '%s' (use 30d, 12h, 2w, 1y, "
				                 "YYYY-MM-DD or never)",
				                 arg);
		}
		ops[n++] = (struct edit_op){ch, arg, val, NULL, 0};
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, p.nops < 1 ? "missing secret NAME" : "too many arguments");
	t.name = p.ops[0];
	if (sc_name_valid(t.name) != SC_OK)
		return cli_usage(c, "invalid secret name '%s'", t.name);
	if (n == 0 && keep == 0) {
		const char *ed = getenv("EDITOR");

		/* no editor named and no terminal for vi: it would only hang */
		if ((ed == NULL || ed[0] == '\0') && (!isatty(0) || !isatty(1)))
			return cli_usage(
			    c, "nothing to change: name the parts (--field, "
			       "--secret-field, --remove-field, --binding, --unbind, "
			       "--tag, --untag, --notes, --url, --expires), or set EDITOR "
			       "(or run on a terminal) to edit the public parts");
		return cli_edit_in_editor(c, t.name);
	}
	/* unlock first: a password on --password-fd 0 precedes the values */
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	for (i = 0; i < n; i++) {
		if (ops[i].kind == 'F')
			r = cli_read_value_file(ops[i].val, &ops[i].buf, &ops[i].len);
		else if (ops[i].kind == 's')
			r = cli_read_secret_input(t.name, ops[i].arg, confirm, &stdin_used,
			                          &ops[i].buf, &ops[i].len);
		else
			continue;
		if (r == SC_OK && ops[i].len == 0) {
			sc_set_error("field '%s' is empty", ops[i].arg);
			r = SC_ERR_INVALID;
		}
		if (r != SC_OK) {
			rc = cli_fail(r, "cannot read field '%s'", ops[i].arg);
			goto out;
		}
	}
	t.ops = ops;
	t.n = n;
	t.keep = (unsigned)keep;
	r = sc_session_edit(v, cli_who(), t.name, t.keep, edit_change, &t, &t.version);
	if (r != SC_OK) {
		if (t.why[0] != '\0') {
			sc_clear_error();
			rc = cli_error(r == SC_ERR_NOT_FOUND ? EXIT_NOTFOUND : EXIT_USAGE, "%s",
			               t.why);
		} else if (r == SC_ERR_NOT_FOUND) {
			rc = cli_error(EXIT_NOTFOUND, "no secret '%s'", t.name);
		} else {
			rc = cli_fail(r, "cannot edit '%s'", t.name);
		}
		goto out;
	}
	if (c->json)
		cli_print_json(
		    json_pack("{s:s,s:I}", "name", t.name, "version", (json_int_t)t.version));
	else
		cli_say("updated '%s' (version %llu; 'secretctl rollback %s' brings back version "
		        "%llu)",
		        t.name, (unsigned long long)t.version, t.name,
		        (unsigned long long)t.version - 1);
	rc = EXIT_OK;
out:
	for (i = 0; i < n; i++)
		sc_secmem_free(ops[i].buf);
	sc_vault_close(v);
	return rc;
}

/* ---- mv, cp ---- */

struct two_names {
	const char *names[2];
	int copy;
};

static int mv_cp(struct cli *c, int argc, char **argv, int copy)
{
	struct cli_parse p;
	struct sc_vault *v = NULL;
	struct two_names t;
	int r, i;

	if (cli_parse_none(c, argc, argv, 2, 2, &p) != CLI_PARSE_END)
		return p.status;
	t.names[0] = p.ops[0];
	t.names[1] = p.ops[1];
	t.copy = copy;
	for (i = 0; i < 2; i++)
		if (sc_name_valid(t.names[i]) != SC_OK)
			return cli_usage(c, "invalid secret name '%s'", t.names[i]);
	if (strcmp(t.names[0], t.names[1]) == 0)
		return cli_usage(c, "'%s' and '%s' are the same name", t.names[0], t.names[1]);
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	r = sc_session_rename(v, cli_who(), t.names[0], t.names[1], copy);
	sc_vault_close(v);
	if (r == SC_ERR_NOT_FOUND)
		return cli_error(EXIT_NOTFOUND, "no secret '%s'", t.names[0]);
	if (r == SC_ERR_EXISTS)
		return cli_error(EXIT_EXISTS, "'%s' exists; delete it first or choose another name",
		                 t.names[1]);
	if (r != SC_OK)
		return cli_fail(r, "cannot %s '%s'", copy ? "copy" : "rename", t.names[0]);
	if (c->json)
		cli_print_json(json_pack("{s:s,s:s}", "from", t.names[0], "to", t.names[1]));
	return EXIT_OK;
}

int cmd_mv(struct cli *c, int argc, char **argv)
{
	return mv_cp(c, argc, argv, 0);
}

int cmd_cp(struct cli *c, int argc, char **argv)
{
	return mv_cp(c, argc, argv, 1);
}
