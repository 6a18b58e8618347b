/* secret.c - the secret model: names, fields, bindings, tags, metadata,
 * and the rules every name must follow. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/secret_int.h"

static int is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int sc_name_valid(const char *name)
{
	size_t n, i;

	if (name == NULL)
		return SC_ERR_NAME;
	n = strlen(name);
	if (n == 0 || n > SC_NAME_MAX || name[0] == '.' || name[0] == '-' || name[0] == '/' ||
	    name[n - 1] == '/')
		return SC_ERR_NAME;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)name[i];

		if (!is_alnum(c) && c != '.' && c != '_' && c != '/' && c != '-')
			return SC_ERR_NAME;
		if (c == '.' && name[i + 1] == '.')
			return SC_ERR_NAME;
		if (c == '/' && name[i + 1] == '/')
			return SC_ERR_NAME;
		/* no segment may start with '.' or '-' either ("a/../b", "a/-x") */
		if (c == '/' && (name[i + 1] == '.' || name[i + 1] == '-'))
			return SC_ERR_NAME;
	}
	return SC_OK;
}

int sc_field_name_valid(const char *name)
{
	size_t n, i;

	if (name == NULL)
		return SC_ERR_NAME;
	n = strlen(name);
	if (n == 0 || n > SC_FIELD_NAME_MAX || name[0] == '-' || name[0] == '.')
		return SC_ERR_NAME;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)name[i];

		if (!is_alnum(c) && c != '_' && c != '-' && c != '.')
			return SC_ERR_NAME;
	}
	return SC_OK;
}

int sc_env_name_valid(const char *name)
{
	size_t n, i;

	if (name == NULL)
		return SC_ERR_NAME;
	n = strlen(name);
	if (n == 0 || n > SC_ENV_NAME_MAX || (name[0] >= '0' && name[0] <= '9'))
		return SC_ERR_NAME;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)name[i];

		if (!is_alnum(c) && c != '_')
			return SC_ERR_NAME;
	}
	return SC_OK;
}

int sc_tag_valid(const char *tag)
{
	size_t n, i;

	if (tag == NULL)
		return SC_ERR_NAME;
	n = strlen(tag);
	if (n == 0 || n > SC_TAG_MAX)
		return SC_ERR_NAME;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)tag[i];

		if (!is_alnum(c) && strchr("._:/@+-", c) == NULL)
			return SC_ERR_NAME;
	}
	return SC_OK;
}

int sc_secret_new(struct sc_secret **out, const char *name)
{
	struct sc_secret *s;
	int r;

	*out = NULL;
	if ((r = sc_name_valid(name)) != SC_OK)
		return r;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SC_ERR_NOMEM;
	if ((s->name = sc_secmem_dup(name, strlen(name))) == NULL) {
		free(s);
		return SC_ERR_NOMEM;
	}
	*out = s;
	return SC_OK;
}

void sc_secret_release(struct sc_secret *s)
{
	size_t i;

	if (s->arena != NULL) {
		if (!s->arena_borrowed)
			sc_secmem_free(s->arena);
	} else {
		sc_secmem_free(s->name);
		for (i = 0; i < s->nfields; i++) {
			sc_secmem_free(s->fields[i].name);
			sc_secmem_free(s->fields[i].value);
			sc_secmem_free(s->fields[i].hint);
		}
		for (i = 0; i < s->nbindings; i++) {
			sc_secmem_free(s->bindings[i].env);
			sc_secmem_free(s->bindings[i].field);
		}
		for (i = 0; i < s->ntags; i++)
			sc_secmem_free(s->tags[i]);
		sc_secmem_free(s->notes);
		sc_secmem_free(s->url);
	}
	sc_wipe(s, sizeof(*s));
}

void sc_secret_free(struct sc_secret *s)
{
	if (s == NULL)
		return;
	sc_secret_release(s);
	free(s);
}

int sc_secret_field_index(const struct sc_secret *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

int sc_secret_add_field(struct sc_secret *s, const char *name, const void *value, size_t len,
                        int sensitive)
{
	struct sc_field *f;
	int r;

	if (s->arena != NULL)
		return SC_ERR_INVALID; /* decoded secrets are read-only */
	if ((r = sc_field_name_valid(name)) != SC_OK)
		return r;
	if (len > SC_VALUE_MAX || s->nfields >= SC_FIELDS_MAX)
		return SC_ERR_TOOBIG;
	if (sc_secret_field_index(s, name) >= 0)
		return SC_ERR_EXISTS;
	f = &s->fields[s->nfields];
	f->name = sc_secmem_dup(name, strlen(name));
	f->value = (uint8_t *)sc_secmem_dup(value, len);
	if (f->name == NULL || f->value == NULL) {
		sc_secmem_free(f->name);
		sc_secmem_free(f->value);
		memset(f, 0, sizeof(*f));
		return SC_ERR_NOMEM;
	}
	f->len = len;
	f->sensitive = sensitive ? 1 : 0;
	s->nfields++;
	return SC_OK;
}

static int text_valid(const char *t, size_t max)
{
	size_t n = strlen(t), i;

	if (n > max)
		return SC_ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c < 0x20 && c != '\n' && c != '\t')
			return SC_ERR_INVALID;
	}
	return SC_OK;
}

static int set_text(struct sc_secret *s, char **slot, const char *text, size_t max)
{
	char *p;
	int r;

	if (s->arena != NULL)
		return SC_ERR_INVALID;
	if ((r = text_valid(text, max)) != SC_OK)
		return r;
	if ((p = sc_secmem_dup(text, strlen(text))) == NULL)
		return SC_ERR_NOMEM;
	sc_secmem_free(*slot);
	*slot = p;
	return SC_OK;
}

int sc_secret_set_hint(struct sc_secret *s, const char *field, const char *hint)
{
	int i = sc_secret_field_index(s, field);

	if (i < 0)
		return SC_ERR_NOT_FOUND;
	if (strchr(hint, '\n') != NULL)
		return SC_ERR_INVALID;
	return set_text(s, &s->fields[i].hint, hint, SC_HINT_MAX);
}

int sc_secret_set_notes(struct sc_secret *s, const char *notes)
{
	return set_text(s, &s->notes, notes, SC_NOTES_MAX);
}

int sc_secret_set_url(struct sc_secret *s, const char *url)
{
	if (strchr(url, '\n') != NULL || strchr(url, '\t') != NULL)
		return SC_ERR_INVALID;
	return set_text(s, &s->url, url, SC_URL_MAX);
}

int sc_secret_add_binding(struct sc_secret *s, const char *env, const char *field)
{
	struct sc_binding *b;
	size_t i;
	int r;

	if (s->arena != NULL)
		return SC_ERR_INVALID;
	if ((r = sc_env_name_valid(env)) != SC_OK || (r = sc_field_name_valid(field)) != SC_OK)
		return r;
	for (i = 0; i < s->nbindings; i++)
		if (strcmp(s->bindings[i].env, env) == 0)
			return SC_ERR_EXISTS;
	if (s->nbindings >= SC_BINDINGS_MAX)
		return SC_ERR_TOOBIG;
	b = &s->bindings[s->nbindings];
	b->env = sc_secmem_dup(env, strlen(env));
	b->field = sc_secmem_dup(field, strlen(field));
	if (b->env == NULL || b->field == NULL) {
		sc_secmem_free(b->env);
		sc_secmem_free(b->field);
		memset(b, 0, sizeof(*b));
		return SC_ERR_NOMEM;
	}
	s->nbindings++;
	return SC_OK;
}

int sc_secret_add_tag(struct sc_secret *s, const char *tag)
{
	int r;

	if (s->arena != NULL)
		return SC_ERR_INVALID;
	if ((r = sc_tag_valid(tag)) != SC_OK)
		return r;
	if (sc_secret_has_tag(s, tag))
		return SC_OK;
	if (s->ntags >= SC_TAGS_MAX)
		return SC_ERR_TOOBIG;
	if ((s->tags[s->ntags] = sc_secmem_dup(tag, strlen(tag))) == NULL)
		return SC_ERR_NOMEM;
	s->ntags++;
	return SC_OK;
}

void sc_secret_set_expires(struct sc_secret *s, int64_t expires)
{
	s->expires = expires < 0 ? 0 : expires;
}

const char *sc_secret_name(const struct sc_secret *s)
{
	return s->name;
}

size_t sc_secret_field_count(const struct sc_secret *s)
{
	return s->nfields;
}

int sc_secret_field(const struct sc_secret *s, size_t i, const char **name, const uint8_t **value,
                    size_t *len, int *sensitive, const char **hint)
{
	if (i >= s->nfields)
		return SC_ERR_NOT_FOUND;
	if (name)
		*name = s->fields[i].name;
	if (value)
		*value = s->fields[i].value;
	if (len)
		*len = s->fields[i].len;
	if (sensitive)
		*sensitive = s->fields[i].sensitive;
	if (hint)
		*hint = s->fields[i].hint;
	return SC_OK;
}

size_t sc_secret_binding_count(const struct sc_secret *s)
{
	return s->nbindings;
}

int sc_secret_binding(const struct sc_secret *s, size_t i, const char **env, const char **field)
{
	if (i >= s->nbindings)
		return SC_ERR_NOT_FOUND;
	*env = s->bindings[i].env;
	*field = s->bindings[i].field;
	return SC_OK;
}

size_t sc_secret_tag_count(const struct sc_secret *s)
{
	return s->ntags;
}

const char *sc_secret_tag(const struct sc_secret *s, size_t i)
{
	return i < s->ntags ? s->tags[i] : NULL;
}

int sc_secret_has_tag(const struct sc_secret *s, const char *tag)
{
	size_t i;

	for (i = 0; i < s->ntags; i++)
		if (strcmp(s->tags[i], tag) == 0)
			return 1;
	return 0;
}

const char *sc_secret_notes(const struct sc_secret *s)
{
	return s->notes;
}

const char *sc_secret_url(const struct sc_secret *s)
{
	return s->url;
}

int64_t sc_secret_expires(const struct sc_secret *s)
{
	return s->expires;
}

int64_t sc_secret_created(const struct sc_secret *s)
{
	return s->created;
}

int64_t sc_secret_updated(const struct sc_secret *s)
{
	return s->updated;
}

int sc_secret_is_expired(const struct sc_secret *s, int64_t now)
{
	return s->expires != 0 && s->expires <= now;
}

int sc_secret_set_field_key(struct sc_secret *s, const char *field, const char *key)
{
	int i = sc_secret_field_index(s, field);
	size_t n;

	if (i < 0)
		return SC_ERR_NOT_FOUND;
	if (s->arena != NULL || s->fields[i].wrapped)
		return SC_ERR_INVALID; /* a decoded secret, or a sealed value */
	if (key == NULL) {
		s->fields[i].key[0] = '\0';
		return SC_OK;
	}
	if ((n = strlen(key)) == 0 || n > SC_FIELD_KEY_MAX)
		return SC_ERR_NAME;
	memcpy(s->fields[i].key, key, n + 1);
	return SC_OK;
}

const char *sc_secret_field_key(const struct sc_secret *s, size_t i)
{
	if (i >= s->nfields || s->fields[i].key[0] == '\0')
		return NULL;
	return s->fields[i].key;
}
