/* inject.c - rendering "{{ secretctl://NAME[/FIELD] }}" references in a
 * template (inject.h). The output is assembled in secmem; the template's
 * other text is copied byte for byte. */
#include <stdio.h>
#include <string.h>

#include "secretctl/secretctl.h"
#include "secretctl/inject.h"

struct outbuf {
	uint8_t *p;
	size_t n, cap;
};

static int out_add(struct outbuf *o, const void *src, size_t n)
{
	if (o->n + n > o->cap) {
		size_t nc = o->cap ? o->cap : 4096;
		uint8_t *np;

		while (nc < o->n + n)
			nc *= 2;
		if ((np = sc_secmem_realloc(o->p, nc)) == NULL)
			return SC_ERR_NOMEM;
		o->p = np;
		o->cap = nc;
	}
	if (n > 0)
		memcpy(o->p + o->n, src, n);
	o->n += n;
	return SC_OK;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One reference at p ("{{" already seen, p after it): its value appended,
 * *next after the closing "}}". 0: not a reference (copy "{{" as text). */
static int one_ref(const char *p, const char *end, sc_secref_get_fn get, void *get_arg,
                   sc_inject_name_fn on_name, void *name_arg, struct outbuf *o, const char **next,
                   char *why, size_t cap, int *is_ref)
{
	char uri[SC_SECREF_SCHEME_LEN + SC_NAME_MAX + 2], name[SC_NAME_MAX + 1];
	const char *q = p, *u, *path, *fname;
	struct sc_secret *s = NULL;
	const uint8_t *val;
	size_t ul, vlen;
	int r, fi;

	*is_ref = 0;
	while (q < end && is_blank(*q))
		q++;
	if ((size_t)(end - q) < SC_SECREF_SCHEME_LEN ||
	    memcmp(q, SC_SECREF_SCHEME, SC_SECREF_SCHEME_LEN) != 0)
		return SC_OK;
	*is_ref = 1;
	for (u = q; q < end && !is_blank(*q) && *q != '}' && *q != '\n'; q++)
		;
	ul = (size_t)(q - u);
	while (q < end && is_blank(*q))
		q++;
	if ((size_t)(end - q) < 2 || q[0] != '}' || q[1] != '}') {
		snprintf(why, cap, "unterminated '{{ secretctl://' (no '}}' after the reference)");
		return SC_ERR_INVALID;
	}
	if (ul >= sizeof(uri)) {
		snprintf(why, cap, "a reference longer than a secret name can be");
		return SC_ERR_INVALID;
	}
	memcpy(uri, u, ul);
	uri[ul] = '\0';
	if (sc_secref_parse(uri, &path) != SC_OK) {
		snprintf(why, cap,
		         "'%s' is not a secret reference (secretctl://NAME[/FIELD]: letters, "
		         "digits, . _ - and /; no percent-encoding)",
		         uri);
		return SC_ERR_INVALID;
	}
	r = sc_secref_resolve(get, get_arg, path, &s, &fi, name, sizeof(name));
	if (r == SC_ERR_INVALID) {
		snprintf(why, cap, "'%s' names a secret with several fields; add /FIELD", uri);
		return r;
	}
	if (r == SC_ERR_NOT_FOUND) {
		if (name[0])
			snprintf(why, cap, "'%s': '%s' has no field '%s'", uri, name,
			         strrchr(path, '/') + 1);
		else
			snprintf(why, cap, "'%s': no such secret", uri);
		return r;
	}
	if (r != SC_OK) {
		snprintf(why, cap, "'%s': %s", uri, sc_strerror(r));
		return r;
	}
	if ((r = sc_secret_field(s, (size_t)fi, &fname, &val, &vlen, NULL, NULL)) == SC_OK &&
	    (r = out_add(o, val, vlen)) == SC_OK && on_name != NULL)
		r = on_name(name_arg, name);
	sc_secret_free(s);
	*next = q + 2;
	return r;
}

int sc_inject_render(const char *tpl, size_t len, sc_secref_get_fn get, void *get_arg,
                     sc_inject_name_fn on_name, void *name_arg, uint8_t **out, size_t *out_len,
                     size_t *bad_line, char *why, size_t cap)
{
	struct outbuf o = {NULL, 0, 0};
	const char *p = tpl, *end = tpl + len, *open, *next;
	size_t line = 1;
	int r = SC_OK, is_ref;

	*out = NULL;
	*out_len = 0;
	*bad_line = 0;
	if (cap > 0)
		why[0] = '\0';
	if (len > SC_INJECT_TEMPLATE_MAX)
		return SC_ERR_TOOBIG;
	while (p < end) {
		const char *q;

		open = memmem(p, (size_t)(end - p), "{{", 2);
		if (open == NULL)
			open = end;
		for (q = p; q < open; q++)
			line += *q == '\n';
		if ((r = out_add(&o, p, (size_t)(open - p))) != SC_OK || open == end)
			break;
		next = open + 2;
		r = one_ref(open + 2, end, get, get_arg, on_name, name_arg, &o, &next, why, cap,
		            &is_ref);
		if (r != SC_OK)
			break;
		if (!is_ref && (r = out_add(&o, "{{", 2)) != SC_OK)
			break;
		p = next;
	}
	if (r != SC_OK) {
		*bad_line = line;
		sc_secmem_free(o.p);
		return r;
	}
	if (o.p == NULL && (o.p = sc_secmem_alloc(1)) == NULL)
		return SC_ERR_NOMEM;
	*out = o.p;
	*out_len = o.n;
	return SC_OK;
}
