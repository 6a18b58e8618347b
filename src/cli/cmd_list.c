/* cmd_list.c - `secretctl list`: secret names, sorted, with metadata under
 * --json. Never values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"

const struct cli_opt cli_opts_list[] = {
    {'t', 0, "tag", "T", "only secrets with tag T", 0},
    {'e', 0, "expiring", "DUR", "only secrets that expire within DUR (7d, 12h ...)", 0},
    {'x', 0, "expired", NULL, "only secrets that have expired", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

struct item {
	char *name;
	json_t *meta; /* NULL unless --json */
};

struct collect {
	struct item *items;
	size_t n, cap;
	const char *tag;
	int64_t now, expiring; /* expiring: -1 none, else seconds */
	int expired_only, json;
	int err;
};

static json_t *metadata(const struct sc_secret *s)
{
	json_t *o = json_object(), *tags = json_array(), *fields = json_array(),
	       *bindings = json_object();
	size_t i;

	for (i = 0; i < sc_secret_tag_count(s); i++)
		json_array_append_new(tags, json_string(sc_secret_tag(s, i)));
	for (i = 0; i < sc_secret_field_count(s); i++) {
		const char *fname, *hint;
		int sensitive;

		if (sc_secret_field(s, i, &fname, NULL, NULL, &sensitive, &hint) != SC_OK)
			continue;
		json_array_append_new(
		    fields, json_pack("{s:s,s:b}", "name", fname, "sensitive", sensitive));
		if (hint != NULL)
			json_object_set_new(json_array_get(fields, i), "hint", json_string(hint));
	}
	for (i = 0; i < sc_secret_binding_count(s); i++) {
		const char *env, *field;

		if (sc_secret_binding(s, i, &env, &field) == SC_OK)
			json_object_set_new(bindings, env, json_string(field));
	}
	json_object_set_new(o, "name", json_string(sc_secret_name(s)));
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "fields", fields);
	json_object_set_new(o, "field_count", json_integer((json_int_t)sc_secret_field_count(s)));
	json_object_set_new(o, "bindings", bindings);
	json_object_set_new(o, "has_notes", json_boolean(sc_secret_notes(s) != NULL));
	json_object_set_new(o, "has_url", json_boolean(sc_secret_url(s) != NULL));
	if (sc_secret_url(s) != NULL)
		json_object_set_new(o, "url", json_string(sc_secret_url(s)));
	cli_json_set_times(o, s);
	return o;
}

static int visit(const struct sc_secret *s, void *arg)
{
	struct collect *c = arg;
	int64_t exp = sc_secret_expires(s);
	struct item *it;

	if (c->tag != NULL && !sc_secret_has_tag(s, c->tag))
		return 0;
	if (c->expired_only && !sc_secret_is_expired(s, c->now))
		return 0;
	if (c->expiring >= 0 && (exp == 0 || exp > c->now + c->expiring))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;

		if ((it = realloc(c->items, cap * sizeof(*it))) == NULL)
			return SC_ERR_NOMEM;
		c->items = it;
		c->cap = cap;
	}
	it = &c->items[c->n];
	it->name = strdup(sc_secret_name(s));
	it->meta = c->json ? metadata(s) : NULL;
	if (it->name == NULL || (c->json && it->meta == NULL)) {
		free(it->name);
		json_decref(it->meta);
		return SC_ERR_NOMEM;
	}
	c->n++;
	return 0;
}

/*
 * Sorting 100k names with strcmp through qsort chases a pointer per
 * comparison. Instead each name gets a 16-byte key: its bytes from the
 * offset where the names start to differ (their common prefix skipped),
 * zero-padded, compared as two big-endian integers; strcmp settles ties.
 * Byte order is strcmp's order, and a name that ends first sorts first.
 */
struct sortkey {
	uint64_t k0, k1;
	size_t i;
	const char *rest; /* the name past the key's 16 bytes, or NULL */
};

static uint64_t be_load(const char *p, size_t n)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		x = x << 8 | (i < n ? (uint8_t)p[i] : 0);
	return x;
}

static int by_key(const void *a, const void *b)
{
	const struct sortkey *x = a, *y = b;

	if (x->k0 != y->k0)
		return x->k0 < y->k0 ? -1 : 1;
	if (x->k1 != y->k1)
		return x->k1 < y->k1 ? -1 : 1;
	if (x->rest == NULL || y->rest == NULL) /* one ended inside the key: equal */
		return (x->rest != NULL) - (y->rest != NULL);
	return strcmp(x->rest, y->rest);
}

static int sort_items(struct collect *col)
{
	struct sortkey *k;
	struct item *sorted;
	size_t i, lcp, n;

	if (col->n < 2)
		return SC_OK;
	lcp = strlen(col->items[0].name);
	for (i = 1; i < col->n && lcp > 0; i++) {
		size_t j = 0;

		while (j < lcp && col->items[i].name[j] == col->items[0].name[j])
			j++;
		lcp = j;
	}
	if ((k = calloc(col->n, sizeof(*k))) == NULL)
		return SC_ERR_NOMEM;
	if ((sorted = calloc(col->n, sizeof(*sorted))) == NULL) {
		free(k);
		return SC_ERR_NOMEM;
	}
	for (i = 0; i < col->n; i++) {
		const char *p = col->items[i].name + lcp;

		n = strlen(p);
		k[i].i = i;
		k[i].k0 = be_load(p, n);
		k[i].k1 = n > 8 ? be_load(p + 8, n - 8) : 0;
		k[i].rest = n > 16 ? p + 16 : NULL;
	}
	qsort(k, col->n, sizeof(*k), by_key);
	for (i = 0; i < col->n; i++)
		sorted[i] = col->items[k[i].i];
	free(col->items);
	col->items = sorted;
	col->cap = col->n;
	free(k);
	return SC_OK;
}

int cmd_list(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct collect col = {.expiring = -1};
	struct cli_session cs = {0};
	size_t i;
	int ch, r, rc = EXIT_FAIL;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		const char *optarg = p.val;

		switch (ch) {
		case 't':
			if (sc_tag_valid(optarg) != SC_OK)
				return cli_usage(c, "invalid tag '%s'", optarg);
			col.tag = optarg;
			break;
		case 'e':
			if (cli_parse_duration(optarg, &col.expiring) != SC_OK)
				return cli_usage(c, "bad --expiring '%s' (use 7d, 12h, 2w ...)",
				                 optarg);
			break;
		case 'x':
			col.expired_only = 1;
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
	col.json = c->json;
	col.now = (int64_t)time(NULL);
	if ((r = cli_session_open(c, &cs)) != SC_OK)
		return cli_fail(r, "out of memory");
	/* an unlocked agent answers without the password; either way the
	 * outcome is audited first */
	if ((r = sc_session_list(cs.s, visit, &col, NULL, NULL)) != SC_OK) {
		rc = cli_session_fail(&cs, r, "cannot list the vault");
		goto out;
	}
	if ((r = sort_items(&col)) != SC_OK) {
		rc = cli_fail(r, "out of memory");
		goto out;
	}
	if (c->json) {
		json_t *arr = json_array();
		char *out;

		for (i = 0; i < col.n; i++) {
			json_array_append_new(arr, col.items[i].meta);
			col.items[i].meta = NULL;
		}
		out = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
		if (out == NULL) {
			rc = cli_fail(SC_ERR_NOMEM, "out of memory");
			goto out;
		}
		puts(out);
		free(out);
	} else {
		for (i = 0; i < col.n; i++)
			puts(col.items[i].name);
	}
	rc = EXIT_OK;
out:
	for (i = 0; i < col.n; i++) {
		free(col.items[i].name);
		json_decref(col.items[i].meta);
	}
	free(col.items);
	cli_session_close(&cs);
	return rc;
}
