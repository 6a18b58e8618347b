/* json.c - our own JSON export (versioned: "format", "version"), both
 * ways, and the Go secretctl's export (a flat object, or one with
 * --with-metadata). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "port/port_int.h"
#include "secretctl/secmem.h"

int sc_port_json_load(const uint8_t *in, size_t len, json_t **out)
{
	json_error_t e;

	*out = json_loadb((const char *)in, len, JSON_REJECT_DUPLICATES, &e);
	if (*out == NULL) {
		sc_set_error("line %d, column %d: %s", e.line, e.column, e.text);
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

int sc_port_json_str(json_t *obj, const char *key, const char *path, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return SC_OK;
	if (!json_is_string(v)) {
		sc_set_error("%s.%s: not a string", path, key);
		return SC_ERR_INVALID;
	}
	*out = json_string_value(v);
	return SC_OK;
}

static void iso_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int parse_iso(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, se;
	char z;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 ||
	    z != 'Z' || strlen(s) != 20 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60)
		return SC_ERR_INVALID;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = (int64_t)timegm(&tm);
	return SC_OK;
}

/* ---- export ---- */

struct sc_export_json {
	json_t *secrets;
};

int sc_export_json_new(struct sc_export_json **out)
{
	struct sc_export_json *ej;

	if ((ej = calloc(1, sizeof(*ej))) == NULL || (ej->secrets = json_array()) == NULL) {
		free(ej);
		return SC_ERR_NOMEM;
	}
	*out = ej;
	return SC_OK;
}

void sc_export_json_free(struct sc_export_json *ej)
{
	if (ej == NULL)
		return;
	json_decref(ej->secrets);
	free(ej);
}

static json_t *value_json(const uint8_t *val, size_t len, const char **key)
{
	char *b64;
	size_t n;
	json_t *j;

	/* text as text; anything else (not UTF-8, a NUL) as base64 */
	if (memchr(val, '\0', len) == NULL && (j = json_stringn((const char *)val, len)) != NULL) {
		*key = "value";
		return j;
	}
	*key = "value_base64";
	n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	if ((b64 = sc_secmem_alloc(n)) == NULL)
		return NULL;
	sodium_bin2base64(b64, n, val, len, sodium_base64_VARIANT_ORIGINAL);
	j = json_string(b64);
	sc_secmem_free(b64);
	return j;
}

int sc_export_json_add(struct sc_export_json *ej, const struct sc_secret *s)
{
	json_t *o = json_object(), *fields = json_array(), *bind = json_object(),
	       *tags = json_array();
	char when[32];
	size_t i;

	if (o == NULL || fields == NULL || bind == NULL || tags == NULL)
		goto nomem;
	json_object_set_new(o, "name", json_string(sc_secret_name(s)));
	for (i = 0; i < sc_secret_field_count(s); i++) {
		const char *fname, *hint, *key;
		const uint8_t *val;
		size_t len;
		int sens;
		json_t *f, *v;

		if (sc_secret_field(s, i, &fname, &val, &len, &sens, &hint) != SC_OK)
			goto nomem;
		if ((v = value_json(val, len, &key)) == NULL ||
		    (f = json_pack("{s:s,s:o,s:b}", "name", fname, key, v, "sensitive", sens)) ==
		        NULL)
			goto nomem;
		if (hint != NULL)
			json_object_set_new(f, "hint", json_string(hint));
		json_array_append_new(fields, f);
	}
	for (i = 0; i < sc_secret_binding_count(s); i++) {
		const char *env, *field;

		if (sc_secret_binding(s, i, &env, &field) == SC_OK)
			json_object_set_new(bind, env, json_string(field));
	}
	for (i = 0; i < sc_secret_tag_count(s); i++)
		json_array_append_new(tags, json_string(sc_secret_tag(s, i)));
	json_object_set_new(o, "fields", fields);
	json_object_set_new(o, "bindings", bind);
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "notes",
	                    sc_secret_notes(s) ? json_string(sc_secret_notes(s)) : json_null());
	json_object_set_new(o, "url",
	                    sc_secret_url(s) ? json_string(sc_secret_url(s)) : json_null());
	if (sc_secret_expires(s) != 0) {
		iso_time(sc_secret_expires(s), when, sizeof(when));
		json_object_set_new(o, "expires", json_string(when));
	} else {
		json_object_set_new(o, "expires", json_null());
	}
	iso_time(sc_secret_created(s), when, sizeof(when));
	json_object_set_new(o, "created", json_string(when));
	iso_time(sc_secret_updated(s), when, sizeof(when));
	json_object_set_new(o, "updated", json_string(when));
	return json_array_append_new(ej->secrets, o) == 0 ? SC_OK : SC_ERR_NOMEM;
nomem:
	json_decref(o);
	json_decref(fields);
	json_decref(bind);
	json_decref(tags);
	return SC_ERR_NOMEM;
}

int sc_export_json_finish(struct sc_export_json *ej, char **out, size_t *len)
{
	json_t *top = json_pack("{s:s,s:i,s:O}", "format", SC_EXPORT_FORMAT_NAME, "version",
	                        SC_EXPORT_VERSION, "secrets", ej->secrets);
	char *txt, *copy;

	*out = NULL;
	if (top == NULL)
		return SC_ERR_NOMEM;
	txt = json_dumps(top, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(top);
	if (txt == NULL)
		return SC_ERR_NOMEM;
	*len = strlen(txt);
	copy = sc_secmem_dup(txt, *len + 1);
	if (copy != NULL)
		copy[(*len)++] = '\n';
	sodium_memzero(txt, *len);
	free(txt);
	if (copy == NULL)
		return SC_ERR_NOMEM;
	*out = copy;
	return SC_OK;
}

/* ---- import: our own ---- */

static int bad(const char *path, const char *what)
{
	sc_set_error("%s: %s", path, what);
	return SC_ERR_INVALID;
}

static int one_field(struct sc_secret *s, json_t *f, const char *path)
{
	const char *name, *text, *b64, *hint;
	json_t *sens = json_object_get(f, "sensitive");
	uint8_t *bin = NULL;
	size_t blen = 0;
	int r;

	if (!json_is_object(f))
		return bad(path, "not an object");
	if ((r = sc_port_json_str(f, "name", path, &name)) != SC_OK ||
	    (r = sc_port_json_str(f, "value", path, &text)) != SC_OK ||
	    (r = sc_port_json_str(f, "value_base64", path, &b64)) != SC_OK ||
	    (r = sc_port_json_str(f, "hint", path, &hint)) != SC_OK)
		return r;
	if (name == NULL || sc_field_name_valid(name) != SC_OK)
		return bad(path, "missing or invalid \"name\"");
	if ((text == NULL) == (b64 == NULL))
		return bad(path, "needs one of \"value\" and \"value_base64\"");
	if (sens != NULL && !json_is_boolean(sens))
		return bad(path, "\"sensitive\" is not true or false");
	if (b64 != NULL) {
		size_t cap = strlen(b64);

		if ((bin = sc_secmem_alloc(cap + 1)) == NULL)
			return SC_ERR_NOMEM;
		if (sodium_base642bin(bin, cap + 1, b64, cap, NULL, &blen, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0) {
			sc_secmem_free(bin);
			return bad(path, "\"value_base64\" is not base64");
		}
	}
	r = b64 ? sc_secret_add_field(s, name, bin, blen, sens == NULL || json_is_true(sens))
	        : sc_secret_add_field(s, name, text,
	                              json_string_length(json_object_get(f, "value")),
	                              sens == NULL || json_is_true(sens));
	sc_secmem_free(bin);
	if (r == SC_ERR_EXISTS)
		return bad(path, "field name given twice");
	if (r != SC_OK)
		return bad(path, "value too long");
	if (hint != NULL && sc_secret_set_hint(s, name, hint) != SC_OK)
		return bad(path, "bad \"hint\"");
	return SC_OK;
}

static int one_secret(struct sc_import_set *set, json_t *o, const char *path)
{
	const char *name, *notes, *url, *expires, *k;
	json_t *fields, *bind, *tags, *v;
	struct sc_secret *s;
	char sub[320];
	size_t i;
	int64_t when;
	int r;

	if (!json_is_object(o))
		return bad(path, "not an object");
	if ((r = sc_port_json_str(o, "name", path, &name)) != SC_OK ||
	    (r = sc_port_json_str(o, "notes", path, &notes)) != SC_OK ||
	    (r = sc_port_json_str(o, "url", path, &url)) != SC_OK ||
	    (r = sc_port_json_str(o, "expires", path, &expires)) != SC_OK)
		return r;
	if (name == NULL)
		return bad(path, "missing \"name\"");
	if ((r = sc_import_set_add(set, name, &s)) != SC_OK)
		return bad(path, r == SC_ERR_EXISTS ? "name given twice" : "invalid \"name\"");
	fields = json_object_get(o, "fields");
	if (!json_is_array(fields))
		return bad(path, "\"fields\" is not an array");
	json_array_foreach(fields, i, v)
	{
		snprintf(sub, sizeof(sub), "%s.fields[%zu]", path, i);
		if ((r = one_field(s, v, sub)) != SC_OK)
			return r;
	}
	bind = json_object_get(o, "bindings");
	if (bind != NULL && !json_is_object(bind))
		return bad(path, "\"bindings\" is not an object");
	json_object_foreach(bind, k, v)
	{
		if (!json_is_string(v) || sc_secret_field_index(s, json_string_value(v)) < 0 ||
		    sc_secret_add_binding(s, k, json_string_value(v)) != SC_OK)
			return bad(path, "a binding is not VARIABLE: \"field of this secret\"");
	}
	tags = json_object_get(o, "tags");
	if (tags != NULL && !json_is_array(tags))
		return bad(path, "\"tags\" is not an array");
	json_array_foreach(tags, i, v)
	{
		if (!json_is_string(v) || sc_secret_add_tag(s, json_string_value(v)) != SC_OK)
			return bad(path, "invalid tag");
	}
	if (notes != NULL && sc_secret_set_notes(s, notes) != SC_OK)
		return bad(path, "bad \"notes\"");
	if (url != NULL && sc_secret_set_url(s, url) != SC_OK)
		return bad(path, "bad \"url\"");
	if (expires != NULL) {
		if (parse_iso(expires, &when) != SC_OK)
			return bad(path, "\"expires\" is not YYYY-MM-DDTHH:MM:SSZ");
		sc_secret_set_expires(s, when);
	}
	return SC_OK;
}

int sc_import_parse_json(const uint8_t *in, size_t len, struct sc_import_set *set)
{
	json_t *top, *secrets, *v;
	const char *fmt;
	char path[48];
	size_t i;
	int r;

	if ((r = sc_port_json_load(in, len, &top)) != SC_OK)
		return r;
	fmt = json_string_value(json_object_get(top, "format"));
	if (!json_is_object(top) || fmt == NULL || strcmp(fmt, SC_EXPORT_FORMAT_NAME) != 0) {
		r = bad("format", "not a secretctl export (\"format\": \"" SC_EXPORT_FORMAT_NAME
		                  "\"); the Go secretctl's is --format gosecretctl");
		goto out;
	}
	if (json_integer_value(json_object_get(top, "version")) != SC_EXPORT_VERSION) {
		r = bad("version", "unsupported export version (this build reads 1)");
		goto out;
	}
	secrets = json_object_get(top, "secrets");
	if (!json_is_array(secrets)) {
		r = bad("secrets", "not an array");
		goto out;
	}
	json_array_foreach(secrets, i, v)
	{
		snprintf(path, sizeof(path), "secrets[%zu]", i);
		if ((r = one_secret(set, v, path)) != SC_OK)
			goto out;
	}
out:
	json_decref(top);
	return r;
}

/* ---- import: the Go secretctl ---- */

int sc_import_parse_gosecretctl(const uint8_t *in, size_t len, struct sc_import_set *set)
{
	json_t *top, *v, *t;
	const char *key, *val, *notes, *url, *exp;
	struct sc_secret *s;
	char path[SC_NAME_MAX + 8];
	size_t i;
	int64_t when;
	int r = SC_OK;

	if ((r = sc_port_json_load(in, len, &top)) != SC_OK)
		return r;
	if (!json_is_object(top)) {
		r = bad("$", "not an object of KEY: value");
		goto out;
	}
	json_object_foreach(top, key, v)
	{
		snprintf(path, sizeof(path), "%s", key);
		if (json_is_string(v)) {
			val = json_string_value(v);
		} else if (json_is_object(v)) {
			if ((r = sc_port_json_str(v, "value", path, &val)) != SC_OK)
				goto out;
		} else {
			r = bad(path, "not a string or an object with \"value\"");
			goto out;
		}
		if (val == NULL || val[0] == '\0') {
			r = bad(path, "no value");
			goto out;
		}
		if ((r = sc_import_set_add(set, key, &s)) != SC_OK) {
			r = bad(path,
			        r == SC_ERR_EXISTS ? "name given twice" : "invalid secret name");
			goto out;
		}
		if ((r = sc_secret_add_field(s, "value", val,
		                             json_is_string(v)
		                                 ? json_string_length(v)
		                                 : json_string_length(json_object_get(v, "value")),
		                             1)) != SC_OK)
			goto out;
		if (!json_is_object(v))
			continue;
		if ((r = sc_port_json_str(v, "notes", path, &notes)) != SC_OK ||
		    (r = sc_port_json_str(v, "url", path, &url)) != SC_OK ||
		    (r = sc_port_json_str(v, "expires_at", path, &exp)) != SC_OK)
			goto out;
		if ((notes && sc_import_set_notes(s, notes) != SC_OK) ||
		    (url && sc_secret_set_url(s, url) != SC_OK)) {
			r = bad(path, "bad \"notes\" or \"url\"");
			goto out;
		}
		if (exp != NULL) {
			if (parse_iso(exp, &when) != SC_OK) {
				r = bad(path, "\"expires_at\" is not YYYY-MM-DDTHH:MM:SSZ");
				goto out;
			}
			sc_secret_set_expires(s, when);
		}
		t = json_object_get(v, "tags");
		if (t != NULL && !json_is_array(t)) {
			r = bad(path, "\"tags\" is not an array");
			goto out;
		}
		for (i = 0; i < json_array_size(t); i++)
			if (!json_is_string(json_array_get(t, i)) ||
			    sc_secret_add_tag(s, json_string_value(json_array_get(t, i))) !=
			        SC_OK) {
				r = bad(path, "invalid tag");
				goto out;
			}
	}
out:
	json_decref(top);
	return r;
}
