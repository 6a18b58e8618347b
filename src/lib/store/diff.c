/* diff.c - what changed between two versions of a secret, named by part
 * (field, binding, tag, notes, url, expiry), never by value. */
#include <string.h>

#include "store/secret_int.h"

static int str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int find_binding(const struct sc_secret *s, const char *env)
{
	size_t i;

	for (i = 0; i < s->nbindings; i++)
		if (strcmp(s->bindings[i].env, env) == 0)
			return (int)i;
	return -1;
}

static int field_changed(const struct sc_field *a, const struct sc_field *b)
{
	/* the values are compared in constant time: one of them may be a secret */
	if (a->len != b->len || a->sensitive != b->sensitive || !str_eq(a->hint, b->hint))
		return 1;
	return a->len != 0 && sc_memcmp_ct(a->value, b->value, a->len) != 0;
}

static int text_part(const char *what, const char *a, const char *b, sc_diff_fn fn, void *arg)
{
	if (str_eq(a, b))
		return 0;
	return fn(a == NULL   ? SC_DIFF_ADDED
	          : b == NULL ? SC_DIFF_REMOVED
	                      : SC_DIFF_CHANGED,
	          what, NULL, arg);
}

int sc_secret_diff(const struct sc_secret *a, const struct sc_secret *b, sc_diff_fn fn, void *arg)
{
	static const struct sc_secret empty;
	size_t i;
	int j, r;

	if (a == NULL)
		a = &empty;
	for (i = 0; i < b->nfields; i++) {
		j = sc_secret_field_index(a, b->fields[i].name);
		if (j < 0 && (r = fn(SC_DIFF_ADDED, "field", b->fields[i].name, arg)) != 0)
			return r;
		if (j >= 0 && field_changed(&a->fields[j], &b->fields[i]) &&
		    (r = fn(SC_DIFF_CHANGED, "field", b->fields[i].name, arg)) != 0)
			return r;
	}
	for (i = 0; i < a->nfields; i++)
		if (sc_secret_field_index(b, a->fields[i].name) < 0 &&
		    (r = fn(SC_DIFF_REMOVED, "field", a->fields[i].name, arg)) != 0)
			return r;
	for (i = 0; i < b->nbindings; i++) {
		j = find_binding(a, b->bindings[i].env);
		if (j < 0 && (r = fn(SC_DIFF_ADDED, "binding", b->bindings[i].env, arg)) != 0)
			return r;
		if (j >= 0 && strcmp(a->bindings[j].field, b->bindings[i].field) != 0 &&
		    (r = fn(SC_DIFF_CHANGED, "binding", b->bindings[i].env, arg)) != 0)
			return r;
	}
	for (i = 0; i < a->nbindings; i++)
		if (find_binding(b, a->bindings[i].env) < 0 &&
		    (r = fn(SC_DIFF_REMOVED, "binding", a->bindings[i].env, arg)) != 0)
			return r;
	for (i = 0; i < b->ntags; i++)
		if (!sc_secret_has_tag(a, b->tags[i]) &&
		    (r = fn(SC_DIFF_ADDED, "tag", b->tags[i], arg)) != 0)
			return r;
	for (i = 0; i < a->ntags; i++)
		if (!sc_secret_has_tag(b, a->tags[i]) &&
		    (r = fn(SC_DIFF_REMOVED, "tag", a->tags[i], arg)) != 0)
			return r;
	if ((r = text_part("notes", a->notes, b->notes, fn, arg)) != 0 ||
	    (r = text_part("url", a->url, b->url, fn, arg)) != 0)
		return r;
	if (a->expires != b->expires)
		return fn(a->expires == 0   ? SC_DIFF_ADDED
		          : b->expires == 0 ? SC_DIFF_REMOVED
		                            : SC_DIFF_CHANGED,
		          "expires", NULL, arg);
	return 0;
}
