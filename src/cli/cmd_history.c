/* cmd_history.c - `secretctl history NAME` (each kept version: its number,
 * when it was written, what changed by name, never a value), `history
 * prune`, `rollback NAME [--to N]` and `undelete NAME`. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/agent_cmds.h"

const struct cli_opt cli_opts_rollback[] = {
    {'t', 0, "to", "N", "the version to bring back (default: the one before the current)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

const struct cli_opt cli_opts_history_prune[] = {
    {'k', 0, "keep", "N",
     "keep N versions, the current one included (default: each secret's "
     "setting, 10 unless set with --keep)",
     0},
    {0, 0, NULL, NULL, NULL, 0},
};

/* "12" -> 12; 1 .. max, digits only. */
int cli_parse_count(const char *s, unsigned long max, uint64_t *out)
{
	unsigned long long n;
	char *end;

	errno = 0;
	if (s[0] < '1' || s[0] > '9')
		return SC_ERR_INVALID;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return SC_ERR_INVALID;
	*out = n;
	return SC_OK;
}

/* ---- history NAME ---- */

struct hline {
	uint64_t version;
	int64_t time;
	int current, base_missing;
	json_t *changes; /* [{"change":..., "part":..., "name":...}] */
};

struct hlist {
	struct hline *l;
	size_t n, cap;
};

static const char *kind_word(int kind)
{
	return kind == SC_DIFF_ADDED ? "added" : kind == SC_DIFF_REMOVED ? "removed" : "changed";
}

static int history_collect(const struct sc_history_version *hv, void *arg)
{
	struct hlist *hl = arg;
	struct hline *p;
	size_t i;

	if (hl->n == hl->cap) {
		size_t cap = hl->cap ? hl->cap * 2 : 16;

		if ((p = realloc(hl->l, cap * sizeof(*p))) == NULL)
			return SC_ERR_NOMEM;
		hl->l = p;
		hl->cap = cap;
	}
	p = &hl->l[hl->n];
	p->version = hv->version;
	p->time = hv->time;
	p->current = hv->current;
	p->base_missing = hv->base_missing;
	if ((p->changes = json_array()) == NULL)
		return SC_ERR_NOMEM;
	hl->n++;
	for (i = 0; i < hv->n; i++) {
		const struct sc_history_change *ch = &hv->changes[i];
		json_t *o = json_pack("{s:s,s:s}", "change", kind_word(ch->kind), "part", ch->what);

		if (o == NULL)
			return SC_ERR_NOMEM;
		if (ch->name[0] != '\0')
			json_object_set_new(o, "name", json_string(ch->name));
		json_array_append_new(p->changes, o);
	}
	return SC_OK;
}

static void hlist_release(struct hlist *hl)
{
	size_t i;

	for (i = 0; i < hl->n; i++)
		json_decref(hl->l[i].changes);
	free(hl->l);
}

static void app(char *buf, size_t cap, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void app(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n + 1 >= cap)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	*n = k < 0 || *n + (size_t)k >= cap ? cap - 1 : *n + (size_t)k;
}

/* "changed field value; added tag prod, field port; removed url" */
static void summary(const struct hline *h, char *buf, size_t cap)
{
	static const char *const kinds[] = {"changed", "added", "removed"};
	size_t n = 0, i, k;

	buf[0] = '\0';
	if (h->base_missing) {
		app(buf, cap, &n, "(the versions before it were pruned)");
		return;
	}
	if (h->version == 1)
		app(buf, cap, &n, "created");
	for (k = 0; k < 3; k++) {
		int first = 1;

		for (i = 0; i < json_array_size(h->changes); i++) {
			json_t *o = json_array_get(h->changes, i);
			const char *name = json_string_value(json_object_get(o, "name"));
			const char *part = json_string_value(json_object_get(o, "part"));

			if (strcmp(json_string_value(json_object_get(o, "change")), kinds[k]) != 0)
				continue;
			if (!first)
				app(buf, cap, &n, ", ");
			else if (h->version == 1)
				app(buf, cap, &n, ": ");
			else
				app(buf, cap, &n, "%s%s ", n ? "; " : "", kinds[k]);
			app(buf, cap, &n, "%s%s%s", part, name ? " " : "", name ? name : "");
			first = 0;
		}
	}
	if (n + 1 >= cap && cap > 4)
		memcpy(buf + cap - 4, "...", 4);
	if (buf[0] == '\0')
		app(buf, cap, &n, "no change");
}

static int print_history(struct cli *c, const char *name, struct hlist *hl, int deleted)
{
	char when[32], text[1024];
	size_t i;

	if (c->json) {
		json_t *o = json_pack("{s:s,s:b}", "name", name, "deleted", deleted),
		       *a = json_array();

		for (i = hl->n; i-- > 0;) {
			const struct hline *h = &hl->l[i];

			cli_format_time(h->time, when, sizeof(when));
			json_array_append_new(a, json_pack("{s:I,s:s,s:b,s:b,s:O}", "version",
			                                   (json_int_t)h->version, "time", when,
			                                   "current", h->current, "earlier_pruned",
			                                   h->base_missing, "changes", h->changes));
		}
		json_object_set_new(o, "versions", a);
		cli_print_json(o);
		return EXIT_OK;
	}
	if (deleted && hl->n > 0)
		cli_say("'%s' is deleted; 'secretctl undelete %s' brings back version %llu", name,
		        name, (unsigned long long)hl->l[hl->n - 1].version);
	printf("%-8s %-20s %s\n", "VERSION", "WRITTEN", "CHANGES");
	for (i = hl->n; i-- > 0;) {
		const struct hline *h = &hl->l[i];
		char ver[24];

		cli_format_time(h->time, when, sizeof(when));
		summary(h, text, sizeof(text));
		snprintf(ver, sizeof(ver), "%llu%s", (unsigned long long)h->version,
		         h->current ? "*" : "");
		printf("%-8s %-20s ", ver, when);
		cli_put_escaped(stdout, text);
		putchar('\n');
	}
	return EXIT_OK;
}

static int history_show(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct cli_session cs;
	struct hlist hl = {0};
	const char *name;
	int r, deleted = 0, rc;

	if (cli_parse_none(c, argc, argv, 1, 1, &p) != CLI_PARSE_END)
		return p.status;
	name = p.ops[0];
	if (sc_name_valid(name) != SC_OK)
		return cli_usage(c, "invalid secret name '%s'", name);
	if ((r = cli_session_open(c, &cs)) != SC_OK)
		return cli_fail(r, "out of memory");
	/* an unlocked agent answers with the changes only; either way the
	 * outcome is audited first */
	r = sc_session_history(cs.s, name, history_collect, &hl, &deleted);
	if (r != SC_OK) {
		rc = r == SC_ERR_NOT_FOUND && !sc_session_unaudited(cs.s)
		         ? cli_error(EXIT_NOTFOUND, "no secret '%s'", name)
		         : cli_session_fail(&cs, r, "cannot read the history of '%s'", name);
		goto out;
	}
	rc = print_history(c, name, &hl, deleted);
out:
	hlist_release(&hl);
	cli_session_close(&cs);
	return rc;
}

/* ---- history prune [NAME] ---- */

struct prune_txn {
	const char *name;
	unsigned keep;
	size_t dropped;
};

static int history_prune(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_vault *v = NULL;
	struct prune_txn t = {NULL, 0, 0};
	uint64_t keep = 0;
	int ch, r;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0)
		if (ch == 'k' && cli_parse_count(p.val, SC_HISTORY_KEEP_MAX, &keep) != SC_OK)
			return cli_usage(c, "bad --keep '%s' (1-%d versions)", p.val,
			                 SC_HISTORY_KEEP_MAX);
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops > 1)
		return cli_usage(c, "too many arguments");
	if (p.nops == 1 && sc_name_valid(p.ops[0]) != SC_OK)
		return cli_usage(c, "invalid secret name '%s'", p.ops[0]);
	t.name = p.nops == 1 ? p.ops[0] : NULL;
	t.keep = (unsigned)keep;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	r = sc_session_prune(v, cli_who(), t.name, t.keep, &t.dropped);
	if (r == SC_OK && t.dropped > 0 && sc_vault_erase_wal(v) != SC_OK) {
		cli_warn("%s", sc_last_error());
		sc_clear_error();
	}
	sc_vault_close(v);
	if (r != SC_OK)
		return r == SC_ERR_NOT_FOUND ? cli_error(EXIT_NOTFOUND, "no secret '%s'", t.name)
		                             : cli_fail(r, "cannot prune the history");
	if (c->json)
		cli_print_json(json_pack("{s:I}", "pruned", (json_int_t)t.dropped));
	else
		cli_say("erased %zu old version%s", t.dropped, t.dropped == 1 ? "" : "s");
	return EXIT_OK;
}

static const struct cli_cmd history_prune_cmd = {
    "prune",
    history_prune,
    CLI_NEEDS_VAULT | CLI_NEEDS_PASSWORD,
    "[NAME]",
    "erase old versions beyond the retention (of NAME, or of every secret)",
    NULL,
    cli_opts_history_prune,
    NULL};

int cmd_history(struct cli *c, int argc, char **argv)
{
	/* `history prune` is the subcommand; any other operand is a name */
	if (argc > 1 && strcmp(argv[1], "prune") == 0) {
		const struct cli_cmd *outer = c->entry;
		int r;

		c->entry = &history_prune_cmd;
		snprintf(c->path, sizeof(c->path), "history prune");
		r = history_prune(c, argc - 1, argv + 1);
		c->entry = outer;
		return r;
	}
	return history_show(c, argc, argv);
}

/* ---- rollback, undelete ---- */

struct rollback_txn {
	const char *name;
	uint64_t to, made;
};

int cmd_rollback(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_vault *v = NULL;
	struct rollback_txn t = {NULL, 0, 0};
	int ch, r, given;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0)
		if (ch == 't' && cli_parse_count(p.val, UINT32_MAX, &t.to) != SC_OK)
			return cli_usage(
			    c, "bad --to '%s' (a version number, see 'secretctl history')", p.val);
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, p.nops < 1 ? "missing secret NAME" : "too many arguments");
	t.name = p.ops[0];
	if (sc_name_valid(t.name) != SC_OK)
		return cli_usage(c, "invalid secret name '%s'", t.name);
	given = t.to != 0;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	r = sc_session_rollback(v, cli_who(), t.name, &t.to, &t.made);
	sc_vault_close(v);
	if (r == SC_ERR_NOT_FOUND && given && sc_last_error()[0] == '\0')
		return cli_error(EXIT_NOTFOUND,
		                 "'%s' has no version %llu (see 'secretctl history %s')", t.name,
		                 (unsigned long long)t.to, t.name);
	if (r == SC_ERR_NOT_FOUND && sc_last_error()[0] == '\0')
		return cli_error(EXIT_NOTFOUND, "no secret '%s'", t.name);
	if (r == SC_ERR_INVALID)
		return cli_error(EXIT_USAGE, "'%s': %s", t.name, sc_last_error());
	if (r != SC_OK)
		return cli_fail(r, "cannot roll back '%s'", t.name);
	if (c->json)
		cli_print_json(json_pack("{s:s,s:I,s:I}", "name", t.name, "version",
		                         (json_int_t)t.made, "from", (json_int_t)t.to));
	else
		cli_say(
		    "rolled back '%s' to version %llu (now version %llu; 'secretctl rollback %s' "
		    "undoes it)",
		    t.name, (unsigned long long)t.to, (unsigned long long)t.made, t.name);
	return EXIT_OK;
}

struct undelete_txn {
	const char *name;
	uint64_t version;
};

int cmd_undelete(struct cli *c, int argc, char **argv)
{
	struct sc_vault *v = NULL;
	struct undelete_txn t = {NULL, 0};
	int r;

	if (cli_one_name(c, argc, argv, &t.name, &r) != CLI_PARSE_END)
		return r;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	r = sc_session_undelete(v, cli_who(), t.name, &t.version);
	sc_vault_close(v);
	if (r == SC_ERR_NOT_FOUND)
		return cli_error(EXIT_NOTFOUND, "no deleted secret '%s' (purged, or never written)",
		                 t.name);
	if (r == SC_ERR_EXISTS)
		return cli_error(EXIT_EXISTS, "'%s' exists; only a deleted secret can be undeleted",
		                 t.name);
	if (r != SC_OK)
		return cli_fail(r, "cannot undelete '%s'", t.name);
	if (c->json)
		cli_print_json(
		    json_pack("{s:s,s:I}", "name", t.name, "version", (json_int_t)t.version));
	else
		cli_say("undeleted '%s' (version %llu)", t.name, (unsigned long long)t.version);
	return EXIT_OK;
}
