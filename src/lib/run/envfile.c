/* envfile.c - the .env files of `run --env-file` (the syntax: envfile.h):
 * strict, one line at a time, every error with its line number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secretctl/secretctl.h"
#include "secretctl/envfile.h"
#include "secretctl/secref.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int bad(char *why, size_t cap, const char *msg)
{
	snprintf(why, cap, "%s", msg);
	return SC_ERR_INVALID;
}

/* The rest of a line after a value: blanks, then nothing or a comment. */
static int rest_ok(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p == end || *p == '#';
}

/* One value, p..end (the line without its newline), into *out (malloc). */
static int parse_value(const char *p, const char *end, char **out, char *why, size_t cap)
{
	char *v, *d;
	const char *q;

	while (p < end && is_blank(*p))
		p++;
	if ((v = malloc((size_t)(end - p) + 1)) == NULL)
		return SC_ERR_NOMEM;
	d = v;
	if (p < end && *p == '\'') {
		for (q = p + 1; q < end && *q != '\''; q++)
			*d++ = *q;
		if (q == end) {
			free(v);
			return bad(why, cap, "unterminated single quote");
		}
		p = q + 1;
	} else if (p < end && *p == '"') {
		for (q = p + 1; q < end && *q != '"'; q++) {
			if (*q != '\\') {
				*d++ = *q;
				continue;
			}
			if (++q == end)
				break;
			switch (*q) {
			case 'n':
				*d++ = '\n';
				break;
			case 't':
				*d++ = '\t';
				break;
			case 'r':
				*d++ = '\r';
				break;
			case '\\':
			case '"':
			case '$':
			case '\'':
				*d++ = *q;
				break;
			default:
				free(v);
				return bad(why, cap, "unknown escape in a double-quoted value");
			}
		}
		if (q >= end) {
			free(v);
			return bad(why, cap, "unterminated double quote");
		}
		p = q + 1;
	} else {
		/* bare: up to a comment (a '#' after a blank), blanks dropped */
		for (q = p; q < end && !(*q == '#' && q > p && is_blank(q[-1])); q++) {
			if (*q == '"' || *q == '\'') {
				free(v);
				return bad(why, cap,
				           "a quote inside a bare value (quote the whole value)");
			}
			*d++ = *q;
		}
		while (d > v && is_blank(d[-1]))
			d--;
		p = q;
		*d = '\0';
		*out = v;
		return SC_OK;
	}
	*d = '\0';
	if (!rest_ok(p, end)) {
		sc_wipe(v, strlen(v));
		free(v);
		return bad(why, cap, "text after the closing quote");
	}
	*out = v;
	return SC_OK;
}

static int parse_line(const char *p, const char *end, struct sc_envfile *f, size_t line, char *why,
                      size_t cap)
{
	struct sc_envfile_entry *e;
	const char *k, *path;
	char *key, *val = NULL;
	size_t i;
	int r;

	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p == '#')
		return SC_OK;
	if ((size_t)(end - p) > 7 && memcmp(p, "export", 6) == 0 && is_blank(p[6]))
		for (p += 6; p < end && is_blank(*p); p++)
			;
	for (k = p; p < end && *p != '=' && !is_blank(*p); p++)
		;
	if ((key = strndup(k, (size_t)(p - k))) == NULL)
		return SC_ERR_NOMEM;
	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p != '=') {
		free(key);
		return bad(why, cap, "expected KEY=VALUE");
	}
	if (sc_env_name_valid(key) != SC_OK) {
		free(key);
		return bad(why, cap, "the key is not a variable name ([A-Za-z_][A-Za-z0-9_]*)");
	}
	for (i = 0; i < f->n; i++)
		if (strcmp(f->e[i].key, key) == 0) {
			snprintf(why, cap, "'%s' is set twice (first on line %zu)", key,
			         f->e[i].line);
			free(key);
			return SC_ERR_INVALID;
		}
	if ((r = parse_value(p + 1, end, &val, why, cap)) != SC_OK) {
		free(key);
		return r;
	}
	if (sc_secref_is_ref(val) && sc_secref_parse(val, &path) != SC_OK) {
		snprintf(why, cap,
		         "'%s' is not a valid secret reference (secretctl://NAME[/FIELD]: "
		         "letters, digits, . _ - and /; no percent-encoding)",
		         key);
		free(key);
		sc_wipe(val, strlen(val));
		free(val);
		return SC_ERR_INVALID;
	}
	if (f->n >= SC_ENVFILE_LINES_MAX) {
		free(key);
		sc_wipe(val, strlen(val));
		free(val);
		return bad(why, cap, "too many entries");
	}
	if ((e = realloc(f->e, (f->n + 1) * sizeof(*e))) == NULL) {
		free(key);
		sc_wipe(val, strlen(val));
		free(val);
		return SC_ERR_NOMEM;
	}
	f->e = e;
	e = &f->e[f->n++];
	e->key = key;
	e->line = line;
	e->is_ref = sc_secref_is_ref(val);
	if (e->is_ref)
		memmove(val, val + SC_SECREF_SCHEME_LEN, strlen(val) - SC_SECREF_SCHEME_LEN + 1);
	e->value = val;
	return SC_OK;
}

int sc_envfile_parse(const char *buf, size_t len, struct sc_envfile *out, size_t *bad_line,
                     char *why, size_t cap)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t line = 0;
	int r;

	memset(out, 0, sizeof(*out));
	*bad_line = 0;
	if (why != NULL && cap > 0)
		why[0] = '\0';
	if (len > SC_ENVFILE_MAX)
		return SC_ERR_TOOBIG;
	if (len > 0 && memchr(buf, '\0', len) != NULL) {
		nl = memchr(buf, '\0', len);
		for (p = buf, line = 1; p < nl; p++)
			line += *p == '\n';
		*bad_line = line;
		return bad(why, cap, "a NUL byte");
	}
	for (p = buf; p < end; p = nl + 1) {
		const char *e;

		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		e = nl;
		if (e > p && e[-1] == '\r')
			e--;
		if ((r = parse_line(p, e, out, line, why, cap)) != SC_OK) {
			*bad_line = line;
			sc_envfile_release(out);
			return r;
		}
		if (nl == end)
			break;
	}
	return SC_OK;
}

void sc_envfile_release(struct sc_envfile *f)
{
	size_t i;

	for (i = 0; f->e != NULL && i < f->n; i++) {
		free(f->e[i].key);
		sc_wipe(f->e[i].value, strlen(f->e[i].value));
		free(f->e[i].value);
	}
	free(f->e);
	memset(f, 0, sizeof(*f));
}
