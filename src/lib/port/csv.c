/* csv.c - RFC 4180 CSV (quoted fields with "" inside, newlines in quotes,
 * CRLF or LF) and the two CSV exports read through it: LastPass
 * (url,username,password,totp,extra,name,grouping,fav) and 1Password
 * (Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes).
 * Columns are found by the header row's names, not their order. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "port/port_int.h"
#include "secretctl/secmem.h"

#define CSV_COLS_MAX 64

struct row {
	char *cell[CSV_COLS_MAX]; /* into buf */
	size_t n;
	size_t line; /* where the record starts */
	char *buf;   /* secmem */
	size_t cap;
};

struct csv {
	const char *p, *end;
	size_t line;
};

/* The next record into row: SC_OK, SC_ERR_NOT_FOUND at the end. */
static int next_row(struct csv *c, struct row *row)
{
	size_t n = 0, start;
	int quoted;

	row->n = 0;
	row->line = c->line;
	if (c->p >= c->end)
		return SC_ERR_NOT_FOUND;
	/* a value is never longer than the input: one buffer of its size */
	for (;;) {
		if (row->n == CSV_COLS_MAX) {
			sc_set_error("line %zu: more than %d columns", row->line, CSV_COLS_MAX);
			return SC_ERR_INVALID;
		}
		start = n;
		quoted = c->p < c->end && *c->p == '"';
		if (quoted) {
			c->p++;
			for (;;) {
				if (c->p >= c->end) {
					sc_set_error("line %zu: unterminated quoted field",
					             row->line);
					return SC_ERR_INVALID;
				}
				if (*c->p == '"') {
					if (c->p + 1 < c->end && c->p[1] == '"') {
						row->buf[n++] = '"';
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if (*c->p == '\n')
					c->line++;
				if (*c->p == '\0') {
					sc_set_error("line %zu: a NUL byte", c->line);
					return SC_ERR_INVALID;
				}
				row->buf[n++] = *c->p++;
			}
			if (c->p < c->end && *c->p == '\r')
				c->p++;
			if (c->p < c->end && *c->p != ',' && *c->p != '\n') {
				sc_set_error("line %zu: text after a closing quote", c->line);
				return SC_ERR_INVALID;
			}
		} else {
			while (c->p < c->end && *c->p != ',' && *c->p != '\n') {
				if (*c->p == '"' || *c->p == '\0') {
					sc_set_error("line %zu: %s in an unquoted field", c->line,
					             *c->p ? "a quote" : "a NUL byte");
					return SC_ERR_INVALID;
				}
				row->buf[n++] = *c->p++;
			}
			if (n > start && row->buf[n - 1] == '\r')
				n--;
		}
		row->buf[n++] = '\0';
		row->cell[row->n++] = row->buf + start;
		if (c->p >= c->end)
			return SC_OK;
		if (*c->p++ == '\n') {
			c->line++;
			return SC_OK;
		}
	}
}

enum { C_URL, C_USER, C_PASS, C_TOTP, C_NOTES, C_NAME, C_GROUP, C_TAGS, C_ARCHIVED, C_N };

struct layout {
	const char *names[C_N][3]; /* header names (case-insensitive) per column kind */
	int required[C_N];
};

static const struct layout lastpass = {
    {{"url"},
     {"username"},
     {"password"},
     {"totp"},
     {"extra"},
     {"name"},
     {"grouping"},
     {NULL},
     {NULL}},
    {1, 1, 1, 0, 1, 1, 1, 0, 0},
};
static const struct layout onepassword = {
    {{"url", "website", "login url"},
     {"username", "login username"},
     {"password", "login password"},
     {"otpauth", "one-time password"},
     {"notes"},
     {"title"},
     {NULL},
     {"tags"},
     {"archived"}},
    {0, 1, 1, 0, 0, 1, 0, 0, 0},
};

static int parse_csv(const uint8_t *in, size_t len, struct sc_import_set *set,
                     const struct layout *lay, const char *what)
{
	struct csv c = {(const char *)in, (const char *)in + len, 1};
	struct row row = {0};
	int col[C_N], r, k;
	size_t i;

	if (len >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;
	if ((row.buf = sc_secmem_alloc(len + CSV_COLS_MAX + 1)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = next_row(&c, &row)) != SC_OK) {
		if (r == SC_ERR_NOT_FOUND) {
			sc_set_error("line 1: no header row");
			r = SC_ERR_INVALID;
		}
		goto out;
	}
	for (k = 0; k < C_N; k++) {
		col[k] = -1;
		for (i = 0; i < row.n && col[k] < 0; i++) {
			int m;

			for (m = 0; m < 3 && lay->names[k][m] != NULL; m++)
				if (strcasecmp(row.cell[i], lay->names[k][m]) == 0)
					col[k] = (int)i;
		}
		if (col[k] < 0 && lay->required[k]) {
			sc_set_error("line 1: not a %s CSV header (no '%s' column)", what,
			             lay->names[k][0]);
			r = SC_ERR_INVALID;
			goto out;
		}
	}
	while ((r = next_row(&c, &row)) == SC_OK) {
		const char *v[C_N];
		struct sc_secret *s;

		if (row.n == 1 && row.cell[0][0] == '\0')
			continue; /* a blank line */
		for (k = 0; k < C_N; k++)
			v[k] = col[k] >= 0 && (size_t)col[k] < row.n ? row.cell[col[k]] : NULL;
		if (row.n < (size_t)(col[C_NAME] + 1)) {
			sc_set_error("line %zu: %zu columns, the header has more", row.line, row.n);
			r = SC_ERR_INVALID;
			goto out;
		}
		if (v[C_ARCHIVED] && strcasecmp(v[C_ARCHIVED], "true") == 0)
			continue;
		/* LastPass writes secure notes with url "http://sn" */
		if (v[C_URL] && strcmp(v[C_URL], "http://sn") == 0)
			v[C_URL] = NULL;
		if ((r = sc_import_set_title(set, v[C_GROUP], v[C_NAME], &s)) != SC_OK) {
			sc_set_error("line %zu: no secret name can be made from the title",
			             row.line);
			goto out;
		}
		if ((r = sc_import_add_text(s, "username", v[C_USER],
		                            v[C_USER] ? strlen(v[C_USER]) : 0, 0)) != SC_OK ||
		    (r = sc_import_add_text(s, "password", v[C_PASS],
		                            v[C_PASS] ? strlen(v[C_PASS]) : 0, 1)) != SC_OK ||
		    (r = sc_import_add_text(s, "totp", v[C_TOTP], v[C_TOTP] ? strlen(v[C_TOTP]) : 0,
		                            1)) != SC_OK ||
		    (r = sc_import_set_notes(s, v[C_NOTES])) != SC_OK ||
		    (v[C_URL] && v[C_URL][0] && (r = sc_secret_set_url(s, v[C_URL])) != SC_OK)) {
			sc_set_error("line %zu: a value cannot be stored (too long, or control "
			             "characters in notes or URL)",
			             row.line);
			r = SC_ERR_INVALID;
			goto out;
		}
		if (v[C_TAGS] && v[C_TAGS][0]) {
			char *save = NULL, *t;

			for (t = strtok_r(v[C_TAGS] == NULL ? NULL : (char *)v[C_TAGS], ",;",
			                  &save);
			     t != NULL; t = strtok_r(NULL, ",;", &save)) {
				char *q;

				while (*t == ' ')
					t++;
				for (q = t; *q; q++)
					if (*q == ' ')
						*q = '-';
				if (*t && sc_secret_add_tag(s, t) != SC_OK) {
					sc_set_error("line %zu: tag '%s' cannot be stored "
					             "(1-64 of [A-Za-z0-9._:/@+-])",
					             row.line, t);
					r = SC_ERR_INVALID;
					goto out;
				}
			}
		}
	}
	if (r == SC_ERR_NOT_FOUND)
		r = SC_OK;
out:
	sc_secmem_free(row.buf);
	return r;
}

int sc_import_parse_lastpass(const uint8_t *in, size_t len, struct sc_import_set *set)
{
	return parse_csv(in, len, set, &lastpass, "LastPass");
}

int sc_import_parse_1password_csv(const uint8_t *in, size_t len, struct sc_import_set *set)
{
	return parse_csv(in, len, set, &onepassword, "1Password");
}
