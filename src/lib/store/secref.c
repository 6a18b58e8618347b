/* secref.c - secret references "secretctl://NAME[/FIELD]": the strict
 * parse and the resolution (the whole path as a name first, then
 * NAME/FIELD). The rules are in secref.h. */
#include <string.h>

#include "secretctl/secretctl.h"
#include "secretctl/secref.h"
#include "secretctl/vault.h"

int sc_secref_is_ref(const char *s)
{
	return s != NULL && strncmp(s, SC_SECREF_SCHEME, SC_SECREF_SCHEME_LEN) == 0;
}

int sc_secref_parse(const char *uri, const char **path)
{
	const char *p;

	if (path != NULL)
		*path = NULL;
	if (!sc_secref_is_ref(uri) || path == NULL)
		return SC_ERR_INVALID;
	p = uri + SC_SECREF_SCHEME_LEN;
	/* a valid name is all of it: '%', '?', '#', ':', '@' and spaces
	 * cannot be in one, so there is nothing to decode */
	if (sc_name_valid(p) != SC_OK)
		return SC_ERR_INVALID;
	*path = p;
	return SC_OK;
}

int sc_secret_pick_field(const struct sc_secret *s, const char *field)
{
	if (field != NULL)
		return sc_secret_field_index(s, field);
	if (sc_secret_field_index(s, "value") >= 0)
		return sc_secret_field_index(s, "value");
	return sc_secret_field_count(s) == 1 ? 0 : -2;
}

static void copy_name(char *dst, size_t cap, const char *src, size_t n)
{
	if (dst == NULL || cap == 0)
		return;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int sc_secref_resolve(sc_secref_get_fn get, void *arg, const char *path, struct sc_secret **out,
                      int *fi, char *name_out, size_t cap)
{
	char name[SC_NAME_MAX + 1];
	const char *slash;
	struct sc_secret *s = NULL;
	int r, i;

	*out = NULL;
	*fi = -1;
	if (name_out != NULL && cap > 0)
		name_out[0] = '\0';
	if (get == NULL || path == NULL || sc_name_valid(path) != SC_OK)
		return SC_ERR_INVALID;
	/* the whole path as a name */
	r = get(arg, path, &s);
	if (r == SC_OK) {
		copy_name(name_out, cap, path, strlen(path));
		if ((i = sc_secret_pick_field(s, NULL)) < 0) {
			sc_secret_free(s);
			return SC_ERR_INVALID;
		}
		*out = s;
		*fi = i;
		return SC_OK;
	}
	if (r != SC_ERR_NOT_FOUND)
		return r;
	/* NAME/FIELD */
	slash = strrchr(path, '/');
	if (slash == NULL || sc_field_name_valid(slash + 1) != SC_OK)
		return SC_ERR_NOT_FOUND;
	copy_name(name, sizeof(name), path, (size_t)(slash - path));
	if ((r = get(arg, name, &s)) != SC_OK)
		return r;
	copy_name(name_out, cap, name, strlen(name));
	if ((i = sc_secret_field_index(s, slash + 1)) < 0) {
		sc_secret_free(s);
		return SC_ERR_NOT_FOUND;
	}
	*out = s;
	*fi = i;
	return SC_OK;
}

int sc_secref_vault_get(void *arg, const char *name, struct sc_secret **out)
{
	return sc_vault_get(arg, name, out);
}
