/* secret_edit.c - changing a secret part by part: a copy that can be
 * edited (a decoded secret lives in one arena and cannot), and removal of
 * a field, binding or tag, for edit, mv and cp. */
#include <string.h>

#include "store/secret_int.h"

int sc_secret_clone(const struct sc_secret *s, const char *name, struct sc_secret **out)
{
	struct sc_secret *c = NULL;
	size_t i;
	int r;

	*out = NULL;
	if ((r = sc_secret_new(&c, name != NULL ? name : s->name)) != SC_OK)
		return r;
	for (i = 0; i < s->nfields && r == SC_OK; i++) {
		const struct sc_field *f = &s->fields[i];

		r = sc_secret_add_field(c, f->name, f->value, f->len, f->sensitive);
		if (r == SC_OK) {
			memcpy(c->fields[i].key, f->key, sizeof(f->key));
			c->fields[i].wrapped = f->wrapped;
		}
		if (r == SC_OK && f->hint != NULL)
			r = sc_secret_set_hint(c, f->name, f->hint);
	}
	for (i = 0; i < s->nbindings && r == SC_OK; i++)
		r = sc_secret_add_binding(c, s->bindings[i].env, s->bindings[i].field);
	for (i = 0; i < s->ntags && r == SC_OK; i++)
		r = sc_secret_add_tag(c, s->tags[i]);
	if (r == SC_OK && s->notes != NULL)
		r = sc_secret_set_notes(c, s->notes);
	if (r == SC_OK && s->url != NULL)
		r = sc_secret_set_url(c, s->url);
	if (r != SC_OK) {
		sc_secret_free(c);
		return r;
	}
	c->expires = s->expires;
	c->created = s->created;
	c->updated = s->updated;
	*out = c;
	return SC_OK;
}

int sc_secret_remove_field(struct sc_secret *s, const char *name)
{
	int i = sc_secret_field_index(s, name);
	struct sc_field *f;

	if (s->arena != NULL)
		return SC_ERR_INVALID;
	if (i < 0)
		return SC_ERR_NOT_FOUND;
	f = &s->fields[i];
	sc_secmem_free(f->name);
	sc_secmem_free(f->value);
	sc_secmem_free(f->hint);
	memmove(f, f + 1, (s->nfields - (size_t)i - 1) * sizeof(*f));
	s->nfields--;
	memset(&s->fields[s->nfields], 0, sizeof(*f));
	return SC_OK;
}

int sc_secret_remove_binding(struct sc_secret *s, const char *env)
{
	size_t i;

	if (s->arena != NULL)
		return SC_ERR_INVALID;
	for (i = 0; i < s->nbindings; i++)
		if (strcmp(s->bindings[i].env, env) == 0)
			break;
	if (i == s->nbindings)
		return SC_ERR_NOT_FOUND;
	sc_secmem_free(s->bindings[i].env);
	sc_secmem_free(s->bindings[i].field);
	memmove(&s->bindings[i], &s->bindings[i + 1],
	        (s->nbindings - i - 1) * sizeof(s->bindings[0]));
	s->nbindings--;
	memset(&s->bindings[s->nbindings], 0, sizeof(s->bindings[0]));
	return SC_OK;
}

int sc_secret_remove_tag(struct sc_secret *s, const char *tag)
{
	size_t i;

	if (s->arena != NULL)
		return SC_ERR_INVALID;
	for (i = 0; i < s->ntags; i++)
		if (strcmp(s->tags[i], tag) == 0)
			break;
	if (i == s->ntags)
		return SC_ERR_NOT_FOUND;
	sc_secmem_free(s->tags[i]);
	memmove(&s->tags[i], &s->tags[i + 1], (s->ntags - i - 1) * sizeof(s->tags[0]));
	s->ntags--;
	s->tags[s->ntags] = NULL;
	return SC_OK;
}

void sc_secret_clear_notes(struct sc_secret *s)
{
	if (s->arena == NULL)
		sc_secmem_free(s->notes);
	s->notes = NULL;
}

void sc_secret_clear_url(struct sc_secret *s)
{
	if (s->arena == NULL)
		sc_secmem_free(s->url);
	s->url = NULL;
}
