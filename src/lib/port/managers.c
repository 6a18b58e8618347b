/* managers.c - the JSON exports of password managers: Bitwarden's
 * unencrypted export and the export.data of a 1Password .1pux archive.
 * Each item becomes one secret: its login (username public, password and
 * one-time code sensitive), custom fields (hidden/concealed sensitive),
 * notes, first URL and tags. */
#include <stdio.h>
#include <string.h>

#include "port/port_int.h"

static int bad(const char *path, const char *what)
{
	sc_set_error("%s: %s", path, what);
	return SC_ERR_INVALID;
}

static int text_field(struct sc_secret *s, const char *label, const char *v, int sensitive,
                      const char *path)
{
	int r;

	if (v == NULL)
		return SC_OK;
	if ((r = sc_import_add_text(s, label, v, strlen(v), sensitive)) != SC_OK)
		return bad(path, r == SC_ERR_TOOBIG ? "too many fields or a value too long"
		                                    : "a field cannot be stored");
	return SC_OK;
}

/* ---- Bitwarden ---- */

static const char *folder_name(json_t *folders, const char *id)
{
	size_t i;
	json_t *f;

	if (id == NULL)
		return NULL;
	json_array_foreach(folders, i, f)
	{
		const char *fid = json_string_value(json_object_get(f, "id"));

		if (fid != NULL && strcmp(fid, id) == 0)
			return json_string_value(json_object_get(f, "name"));
	}
	return NULL;
}

static int bw_object(struct sc_secret *s, json_t *o, const char *path)
{
	const char *k;
	json_t *v;
	int r;

	/* card and identity: every string member a field, the card's number
	 * and code sensitive */
	json_object_foreach(o, k, v)
	{
		if (!json_is_string(v))
			continue;
		if ((r = text_field(s, k, json_string_value(v),
		                    strcmp(k, "number") == 0 || strcmp(k, "code") == 0 ||
		                        strcmp(k, "ssn") == 0 || strcmp(k, "passportNumber") == 0,
		                    path)) != SC_OK)
			return r;
	}
	return SC_OK;
}

static int bw_item(struct sc_import_set *set, json_t *folders, json_t *it, const char *path)
{
	const char *name, *notes, *folder, *user, *pw, *totp, *uri = NULL;
	json_t *login, *fields, *f, *uris, *type = json_object_get(it, "type");
	struct sc_secret *s;
	char sub[320];
	size_t i;
	int r;

	if (!json_is_object(it))
		return bad(path, "not an object");
	if (!json_is_integer(type) || json_integer_value(type) < 1 || json_integer_value(type) > 5)
		return bad(path,
		           "\"type\" is not 1 (login), 2 (note), 3 (card), 4 (identity) or 5");
	if ((r = sc_port_json_str(it, "name", path, &name)) != SC_OK ||
	    (r = sc_port_json_str(it, "notes", path, &notes)) != SC_OK ||
	    (r = sc_port_json_str(it, "folderId", path, &folder)) != SC_OK)
		return r;
	if (name == NULL)
		return bad(path, "missing \"name\"");
	if ((r = sc_import_set_title(set, folder_name(folders, folder), name, &s)) != SC_OK)
		return bad(path, "no secret name can be made from \"name\"");
	login = json_object_get(it, "login");
	if (login != NULL && !json_is_null(login)) {
		snprintf(sub, sizeof(sub), "%s.login", path);
		if (!json_is_object(login))
			return bad(sub, "not an object");
		if ((r = sc_port_json_str(login, "username", sub, &user)) != SC_OK ||
		    (r = sc_port_json_str(login, "password", sub, &pw)) != SC_OK ||
		    (r = sc_port_json_str(login, "totp", sub, &totp)) != SC_OK ||
		    (r = text_field(s, "username", user, 0, sub)) != SC_OK ||
		    (r = text_field(s, "password", pw, 1, sub)) != SC_OK ||
		    (r = text_field(s, "totp", totp, 1, sub)) != SC_OK)
			return r;
		uris = json_object_get(login, "uris");
		if (uris != NULL && !json_is_null(uris) && !json_is_array(uris))
			return bad(sub, "\"uris\" is not an array");
		if (json_array_size(uris) > 0 &&
		    (r = sc_port_json_str(json_array_get(uris, 0), "uri", sub, &uri)) != SC_OK)
			return r;
	}
	for (i = 0; i < 2; i++) {
		json_t *o = json_object_get(it, i == 0 ? "card" : "identity");

		snprintf(sub, sizeof(sub), "%s.%s", path, i == 0 ? "card" : "identity");
		if (json_is_object(o) && (r = bw_object(s, o, sub)) != SC_OK)
			return r;
	}
	fields = json_object_get(it, "fields");
	if (fields != NULL && !json_is_null(fields) && !json_is_array(fields))
		return bad(path, "\"fields\" is not an array");
	json_array_foreach(fields, i, f)
	{
		const char *fname, *fval;
		json_t *ft = json_object_get(f, "type");

		snprintf(sub, sizeof(sub), "%s.fields[%zu]", path, i);
		if (!json_is_object(f) || (r = sc_port_json_str(f, "name", sub, &fname)) != SC_OK ||
		    (r = sc_port_json_str(f, "value", sub, &fval)) != SC_OK)
			return f && json_is_object(f) ? r : bad(sub, "not an object");
		if (json_integer_value(ft) == 3)
			continue; /* a linked field: a pointer to another field */
		if ((r = text_field(s, fname ? fname : "field", fval, json_integer_value(ft) == 1,
		                    sub)) != SC_OK)
			return r;
	}
	if ((notes && sc_import_set_notes(s, notes) != SC_OK) ||
	    (uri && sc_secret_set_url(s, uri) != SC_OK))
		return bad(path, "bad \"notes\" or URI");
	return SC_OK;
}

int sc_import_parse_bitwarden(const uint8_t *in, size_t len, struct sc_import_set *set)
{
	json_t *top, *items, *folders, *it;
	char path[48];
	size_t i;
	int r;

	if ((r = sc_port_json_load(in, len, &top)) != SC_OK)
		return r;
	if (!json_is_object(top)) {
		r = bad("$", "not a Bitwarden export object");
		goto out;
	}
	if (json_is_true(json_object_get(top, "encrypted"))) {
		r = bad("encrypted", "an encrypted Bitwarden export: export it as JSON (not "
		                     "encrypted) from Bitwarden");
		goto out;
	}
	items = json_object_get(top, "items");
	folders = json_object_get(top, "folders");
	if (!json_is_array(items)) {
		r = bad("items", "missing or not an array");
		goto out;
	}
	json_array_foreach(items, i, it)
	{
		snprintf(path, sizeof(path), "items[%zu]", i);
		if ((r = bw_item(set, folders, it, path)) != SC_OK)
			goto out;
	}
out:
	json_decref(top);
	return r;
}

/* ---- 1Password export.data ---- */

static int op_section_field(struct sc_secret *s, json_t *f, const char *path)
{
	const char *title, *k;
	json_t *val = json_object_get(f, "value"), *v;

	if (!json_is_object(f))
		return bad(path, "not an object");
	if (sc_port_json_str(f, "title", path, &title) != SC_OK)
		return SC_ERR_INVALID;
	if (title == NULL || title[0] == '\0')
		title = json_string_value(json_object_get(f, "id"));
	if (!json_is_object(val))
		return SC_OK; /* a field with no value */
	/* value: {"concealed": ...}, {"string": ...}, {"totp": ...}, {"email": ...} ... */
	json_object_foreach(val, k, v)
	{
		int sens = strcmp(k, "concealed") == 0 || strcmp(k, "totp") == 0 ||
		           strcmp(k, "creditCardNumber") == 0;

		if (json_is_string(v))
			return text_field(s, title ? title : k, json_string_value(v), sens, path);
	}
	return SC_OK;
}

static int op_item(struct sc_import_set *set, const char *vault, json_t *it, const char *path)
{
	json_t *details, *overview, *lf, *f, *sections, *sec, *tags, *urls;
	const char *title, *url = NULL, *notes, *state;
	struct sc_secret *s;
	char sub[320];
	size_t i, j;
	int r;

	if (json_is_object(json_object_get(it, "item")))
		it = json_object_get(it, "item"); /* older exports wrap each item */
	overview = json_object_get(it, "overview");
	details = json_object_get(it, "details");
	if (!json_is_object(it) || !json_is_object(overview) || !json_is_object(details))
		return bad(path, "an item needs \"overview\" and \"details\" objects");
	if ((r = sc_port_json_str(it, "state", path, &state)) != SC_OK)
		return r;
	if (state != NULL && strcmp(state, "active") != 0)
		return SC_OK; /* archived or deleted items stay out */
	snprintf(sub, sizeof(sub), "%s.overview", path);
	if ((r = sc_port_json_str(overview, "title", sub, &title)) != SC_OK ||
	    (r = sc_port_json_str(overview, "url", sub, &url)) != SC_OK)
		return r;
	if (title == NULL)
		return bad(sub, "missing \"title\"");
	if ((r = sc_import_set_title(set, vault, title, &s)) != SC_OK)
		return bad(sub, "no secret name can be made from \"title\"");
	urls = json_object_get(overview, "urls");
	if (url == NULL && json_array_size(urls) > 0)
		url = json_string_value(json_object_get(json_array_get(urls, 0), "url"));
	tags = json_object_get(overview, "tags");
	json_array_foreach(tags, i, f)
	{
		char tag[SC_TAG_MAX + 1];
		size_t n = 0;
		const char *t = json_string_value(f);

		for (; t != NULL && *t && n < SC_TAG_MAX; t++)
			tag[n++] = (*t == ' ') ? '-' : *t;
		tag[n] = '\0';
		if (n > 0 && sc_secret_add_tag(s, tag) != SC_OK)
			return bad(sub, "a tag cannot be stored (1-64 of [A-Za-z0-9._:/@+-])");
	}
	snprintf(sub, sizeof(sub), "%s.details", path);
	lf = json_object_get(details, "loginFields");
	json_array_foreach(lf, i, f)
	{
		const char *val, *des, *name, *ft;

		snprintf(sub, sizeof(sub), "%s.details.loginFields[%zu]", path, i);
		if (!json_is_object(f))
			return bad(sub, "not an object");
		if ((r = sc_port_json_str(f, "value", sub, &val)) != SC_OK ||
		    (r = sc_port_json_str(f, "designation", sub, &des)) != SC_OK ||
		    (r = sc_port_json_str(f, "name", sub, &name)) != SC_OK ||
		    (r = sc_port_json_str(f, "fieldType", sub, &ft)) != SC_OK)
			return r;
		if ((r = text_field(s, des && des[0] ? des : (name ? name : "field"), val,
		                    (ft && strcmp(ft, "P") == 0) ||
		                        (des && strcmp(des, "password") == 0),
		                    sub)) != SC_OK)
			return r;
	}
	snprintf(sub, sizeof(sub), "%s.details", path);
	if ((r = sc_port_json_str(details, "password", sub, &notes)) != SC_OK ||
	    (r = text_field(s, "password", notes, 1, sub)) != SC_OK)
		return r;
	sections = json_object_get(details, "sections");
	json_array_foreach(sections, i, sec)
	{
		json_t *fields = json_object_get(sec, "fields");

		json_array_foreach(fields, j, f)
		{
			snprintf(sub, sizeof(sub), "%s.details.sections[%zu].fields[%zu]", path, i,
			         j);
			if ((r = op_section_field(s, f, sub)) != SC_OK)
				return r;
		}
	}
	snprintf(sub, sizeof(sub), "%s.details", path);
	if ((r = sc_port_json_str(details, "notesPlain", sub, &notes)) != SC_OK)
		return r;
	if ((notes && sc_import_set_notes(s, notes) != SC_OK) ||
	    (url && url[0] && sc_secret_set_url(s, url) != SC_OK))
		return bad(sub, "bad notes or URL");
	return SC_OK;
}

int sc_import_parse_1pux(const uint8_t *in, size_t len, struct sc_import_set *set)
{
	json_t *top, *accounts, *acc, *vaults, *vault, *items, *it;
	char path[96];
	size_t a, b, c;
	int r;

	if ((r = sc_port_json_load(in, len, &top)) != SC_OK)
		return r;
	accounts = json_object_get(top, "accounts");
	if (!json_is_array(accounts)) {
		r = bad("accounts", "missing or not an array (not a 1PUX export.data)");
		goto out;
	}
	json_array_foreach(accounts, a, acc)
	{
		vaults = json_object_get(acc, "vaults");
		if (!json_is_array(vaults)) {
			snprintf(path, sizeof(path), "accounts[%zu].vaults", a);
			r = bad(path, "missing or not an array");
			goto out;
		}
		json_array_foreach(vaults, b, vault)
		{
			const char *vname = json_string_value(
			    json_object_get(json_object_get(vault, "attrs"), "name"));

			items = json_object_get(vault, "items");
			if (!json_is_array(items)) {
				snprintf(path, sizeof(path), "accounts[%zu].vaults[%zu].items", a,
				         b);
				r = bad(path, "missing or not an array");
				goto out;
			}
			json_array_foreach(items, c, it)
			{
				snprintf(path, sizeof(path), "accounts[%zu].vaults[%zu].items[%zu]",
				         a, b, c);
				if ((r = op_item(set, vname, it, path)) != SC_OK)
					goto out;
			}
		}
	}
out:
	json_decref(top);
	return r;
}
