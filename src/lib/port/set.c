/* set.c - the set of secrets an import builds: input order, unique names
 * (a hash table, so 10,000 lines stay linear), and the name and field-name
 * mapping for titles from password managers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secretctl/port.h"
#include "secretctl/secmem.h"

struct sc_import_set {
	char **names; /* plain copies: names are not values */
	size_t n, cap;
	size_t *slots; /* index + 1 into names, 0 empty; open addressing */
	size_t nslots;
	size_t empty;
	struct sc_secret *pending; /* the secret the codec is filling */
	sc_import_sink_fn sink;
	void *sink_arg;
	int sink_status; /* the first failure of the sink, SC_OK */
	char sink_msg[512];
	char prefix[SC_NAME_MAX + 1];
};

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int find_slot(const struct sc_import_set *set, const char *name, size_t *slot)
{
	size_t i = (size_t)(hash_name(name) & (set->nslots - 1));

	for (;; i = (i + 1) & (set->nslots - 1)) {
		if (set->slots[i] == 0) {
			*slot = i;
			return 0;
		}
		if (strcmp(set->names[set->slots[i] - 1], name) == 0) {
			*slot = i;
			return 1;
		}
	}
}

static int grow(struct sc_import_set *set)
{
	size_t i, ns = set->nslots ? set->nslots * 2 : 1024, slot, *old = set->slots;
	char **nv;

	if (set->n + 1 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 256;

		if ((nv = realloc(set->names, cap * sizeof(*nv))) == NULL)
			return SC_ERR_NOMEM;
		set->names = nv;
		set->cap = cap;
	}
	if ((set->n + 1) * 2 <= set->nslots)
		return SC_OK;
	if ((set->slots = calloc(ns, sizeof(*set->slots))) == NULL) {
		set->slots = old;
		return SC_ERR_NOMEM;
	}
	set->nslots = ns;
	for (i = 0; i < set->n; i++) {
		(void)find_slot(set, set->names[i], &slot);
		set->slots[slot] = i + 1;
	}
	free(old);
	return SC_OK;
}

int sc_import_set_new(struct sc_import_set **out, const char *prefix, sc_import_sink_fn sink,
                      void *arg)
{
	struct sc_import_set *set;

	*out = NULL;
	if (prefix != NULL && strlen(prefix) >= SC_NAME_MAX)
		return SC_ERR_NAME;
	if ((set = calloc(1, sizeof(*set))) == NULL)
		return SC_ERR_NOMEM;
	snprintf(set->prefix, sizeof(set->prefix), "%s", prefix ? prefix : "");
	set->sink = sink;
	set->sink_arg = arg;
	*out = set;
	return SC_OK;
}

void sc_import_set_free(struct sc_import_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	sc_secret_free(set->pending);
	for (i = 0; i < set->n; i++)
		free(set->names[i]);
	free(set->names);
	free(set->slots);
	free(set);
}

size_t sc_import_set_count(const struct sc_import_set *set)
{
	return set->n;
}

const char *sc_import_set_name(const struct sc_import_set *set, size_t i)
{
	return i < set->n ? set->names[i] : NULL;
}

size_t sc_import_set_empty(const struct sc_import_set *set)
{
	return set->empty;
}

void sc_import_set_note_empty(struct sc_import_set *set)
{
	set->empty++;
}

/* hand the finished secret to the sink, then wipe it */
static int flush(struct sc_import_set *set)
{
	int r = SC_OK;

	if (set->pending == NULL)
		return set->sink_status;
	if (set->sink_status == SC_OK && set->sink != NULL &&
	    (r = set->sink(set->pending, set->sink_arg)) != SC_OK) {
		set->sink_status = r;
		snprintf(set->sink_msg, sizeof(set->sink_msg), "%s", sc_last_error());
	}
	sc_secret_free(set->pending);
	set->pending = NULL;
	return set->sink_status;
}

int sc_import_set_finish(struct sc_import_set *set)
{
	int r = flush(set);

	if (r != SC_OK)
		sc_set_error("%s", set->sink_msg);
	return r;
}

int sc_import_set_failed(const struct sc_import_set *set)
{
	return set->sink_status != SC_OK;
}

/* full: prefix + name, already built */
static int add_full(struct sc_import_set *set, const char *full, struct sc_secret **out)
{
	struct sc_secret *s;
	size_t slot;
	char *copy;
	int r;

	if ((r = flush(set)) != SC_OK)
		return r;
	if ((r = grow(set)) != SC_OK)
		return r;
	if (find_slot(set, full, &slot))
		return SC_ERR_EXISTS;
	if ((r = sc_secret_new(&s, full)) != SC_OK)
		return r;
	if ((copy = strdup(full)) == NULL) {
		sc_secret_free(s);
		return SC_ERR_NOMEM;
	}
	set->names[set->n++] = copy;
	set->slots[slot] = set->n;
	set->pending = s;
	*out = s;
	return SC_OK;
}

int sc_import_set_add(struct sc_import_set *set, const char *name, struct sc_secret **out)
{
	char full[SC_NAME_MAX + 2];

	*out = NULL;
	if ((size_t)snprintf(full, sizeof(full), "%s%s", set->prefix, name) >= sizeof(full))
		return SC_ERR_NAME;
	if (sc_name_valid(full) != SC_OK)
		return SC_ERR_NAME;
	return add_full(set, full, out);
}

static int name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* label -> [A-Za-z0-9._-] runs joined by '-', no segment starting with
 * '.' or '-', at most max bytes; lower-cased when lower; '/' kept between
 * segments when slash (a folder path). "" when nothing is left. */
static void mangle(const char *in, char *out, size_t max, int lower, int slash)
{
	size_t n = 0;
	int dash = 0;

	for (; *in != '\0' && n < max; in++) {
		int c = (unsigned char)*in, seg = n == 0 || out[n - 1] == '/';

		if (c == '/' && slash) {
			while (n > 0 && (out[n - 1] == '.' || out[n - 1] == '-'))
				n--;
			if (n > 0 && out[n - 1] != '/')
				out[n++] = '/';
			dash = 0;
			continue;
		}
		if (!name_char(c) || (seg && (c == '.' || c == '-'))) {
			dash = !seg;
			continue;
		}
		if (dash && n + 1 < max)
			out[n++] = '-';
		dash = 0;
		if (c == '.' && n > 0 && out[n - 1] == '.')
			continue; /* no ".." */
		out[n++] = (char)(lower && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	while (n > 0 && (out[n - 1] == '.' || out[n - 1] == '-' || out[n - 1] == '/'))
		n--;
	out[n] = '\0';
}

int sc_import_set_title(struct sc_import_set *set, const char *folder, const char *title,
                        struct sc_secret **out)
{
	char f[97], t[129], base[SC_NAME_MAX + 1], full[SC_NAME_MAX + 16];
	unsigned k;
	int r;

	*out = NULL;
	mangle(folder ? folder : "", f, sizeof(f) - 1, 0, 1);
	mangle(title ? title : "", t, sizeof(t) - 1, 0, 0);
	if ((size_t)snprintf(base, sizeof(base), "%s%s%s%s", set->prefix, f, f[0] ? "/" : "",
	                     t[0] ? t : "item") >= sizeof(base))
		return SC_ERR_NAME;
	for (k = 1; k < 100000; k++) {
		if (k == 1)
			snprintf(full, sizeof(full), "%s", base);
		else
			snprintf(full, sizeof(full), "%s-%u", base, k);
		if (sc_name_valid(full) != SC_OK)
			return SC_ERR_NAME;
		r = add_full(set, full, out);
		if (r != SC_ERR_EXISTS)
			return r;
	}
	return SC_ERR_EXISTS;
}

int sc_import_field_name(const struct sc_secret *s, const char *label, char *out)
{
	char base[SC_FIELD_NAME_MAX + 1];
	unsigned k;

	mangle(label ? label : "", base, SC_FIELD_NAME_MAX - 4, 1, 0);
	if (base[0] == '\0')
		snprintf(base, sizeof(base), "field");
	for (k = 1; k < 1000; k++) {
		if ((size_t)snprintf(out, SC_FIELD_NAME_MAX + 1, k == 1 ? "%s" : "%s-%u", base, k) >
		    SC_FIELD_NAME_MAX)
			return SC_ERR_NAME;
		if (sc_secret_field_index(s, out) < 0)
			return sc_field_name_valid(out);
	}
	return SC_ERR_TOOBIG;
}

int sc_import_add_text(struct sc_secret *s, const char *label, const char *value, size_t len,
                       int sensitive)
{
	char fname[SC_FIELD_NAME_MAX + 1];
	int r;

	if (value == NULL || len == 0)
		return SC_OK;
	if (sc_secret_field_count(s) >= SC_FIELDS_MAX)
		return SC_ERR_TOOBIG;
	if ((r = sc_import_field_name(s, label, fname)) != SC_OK)
		return r;
	return sc_secret_add_field(s, fname, value, len, sensitive);
}

int sc_import_set_notes(struct sc_secret *s, const char *notes)
{
	size_t n, i, j = 0;
	char *copy;
	int r;

	if (notes == NULL || notes[0] == '\0')
		return SC_OK;
	n = strlen(notes);
	if ((copy = sc_secmem_alloc(n + 1)) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (notes[i] != '\r')
			copy[j++] = notes[i];
	copy[j] = '\0';
	r = sc_secret_set_notes(s, copy);
	sc_secmem_free(copy);
	return r;
}
