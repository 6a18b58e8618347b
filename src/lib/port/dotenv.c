/* dotenv.c - the .env codec: KEY=VALUE lines with an optional "export ",
 * comments, blank lines, single quotes (literal), double quotes (escapes
 * \n \t \r \" \\ \$, and lines until the closing quote), and the writer
 * that quotes a value when it has to. */
#include <string.h>

#include "secretctl/port.h"
#include "port/port_int.h"
#include "secretctl/secmem.h"

struct cursor {
	const char *p, *end;
	size_t line;
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int key_char(char c, int first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

/* grow the value buffer (secmem) */
static int put(char **buf, size_t *n, size_t *cap, char c)
{
	if (*n + 1 >= *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		char *nb;

		if (nc > SC_VALUE_MAX + 2)
			nc = SC_VALUE_MAX + 2;
		if (*n + 1 >= nc)
			return SC_ERR_TOOBIG;
		if ((nb = sc_secmem_realloc(*buf, nc)) == NULL)
			return SC_ERR_NOMEM;
		*buf = nb;
		*cap = nc;
	}
	(*buf)[(*n)++] = c;
	(*buf)[*n] = '\0';
	return SC_OK;
}

/* after a closing quote: blanks, then a comment or the end of the line */
static int rest_of_line(struct cursor *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
	if (c->p < c->end && *c->p == '#')
		while (c->p < c->end && *c->p != '\n')
			c->p++;
	if (c->p < c->end && *c->p == '\r')
		c->p++;
	if (c->p < c->end && *c->p != '\n') {
		sc_set_error("line %zu: unexpected text after the closing quote", c->line);
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

static int quoted(struct cursor *c, char q, char **buf, size_t *n, size_t *cap)
{
	size_t start = c->line;
	int r;

	c->p++; /* the opening quote */
	for (; c->p < c->end; c->p++) {
		char ch = *c->p;

		if (ch == q) {
			c->p++;
			return rest_of_line(c);
		}
		if (ch == '\n')
			c->line++;
		if (ch == '\r' && c->p + 1 < c->end && c->p[1] == '\n')
			continue; /* CRLF inside a value is a newline */
		if (q == '"' && ch == '\\') {
			if (c->p + 1 >= c->end)
				break;
			switch (*++c->p) {
			case 'n':
				ch = '\n';
				break;
			case 't':
				ch = '\t';
				break;
			case 'r':
				ch = '\r';
				break;
			case '"':
				ch = '"';
				break;
			case '\\':
				ch = '\\';
				break;
			case '$':
				ch = '$';
				break;
			default:
				sc_set_error(
				    "line %zu: unknown escape '\\%c' in a double-quoted value",
				    c->line, *c->p);
				return SC_ERR_INVALID;
			}
		}
		if (ch == '\0') {
			sc_set_error("line %zu: a NUL byte in a value", c->line);
			return SC_ERR_INVALID;
		}
		if ((r = put(buf, n, cap, ch)) != SC_OK) {
			sc_set_error("line %zu: value longer than %d bytes", start, SC_VALUE_MAX);
			return r;
		}
	}
	sc_set_error("line %zu: unterminated %s-quoted value", start,
	             q == '"' ? "double" : "single");
	return SC_ERR_INVALID;
}

static int unquoted(struct cursor *c, char **buf, size_t *n, size_t *cap)
{
	int r;

	for (; c->p < c->end && *c->p != '\n'; c->p++) {
		char ch = *c->p;

		if (ch == '#' && (*n == 0 || is_blank((*buf)[*n - 1])))
			break; /* a comment: " #" or a value that is only one */
		if (ch == '"' || ch == '\'' || ch == '\0') {
			sc_set_error("line %zu: %s inside an unquoted value (quote the whole "
			             "value)",
			             c->line, ch == '\0' ? "a NUL byte" : "a quote");
			return SC_ERR_INVALID;
		}
		if ((r = put(buf, n, cap, ch)) != SC_OK) {
			sc_set_error("line %zu: value longer than %d bytes", c->line, SC_VALUE_MAX);
			return r;
		}
	}
	while (c->p < c->end && *c->p != '\n')
		c->p++;
	while (*n > 0 && (is_blank((*buf)[*n - 1]) || (*buf)[*n - 1] == '\r'))
		(*buf)[--(*n)] = '\0';
	return SC_OK;
}

static int one_line(struct cursor *c, struct sc_import_set *set, char **buf, size_t *cap)
{
	char key[SC_ENV_NAME_MAX + 1];
	size_t kn = 0, n = 0, line = c->line;
	struct sc_secret *s;
	int r;

	while (c->p < c->end && is_blank(*c->p))
		c->p++;
	if (c->p == c->end || *c->p == '\n' || *c->p == '#' ||
	    (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
		while (c->p < c->end && *c->p != '\n')
			c->p++;
		return SC_OK;
	}
	if ((size_t)(c->end - c->p) > 7 && memcmp(c->p, "export", 6) == 0 && is_blank(c->p[6])) {
		c->p += 7;
		while (c->p < c->end && is_blank(*c->p))
			c->p++;
	}
	while (c->p < c->end && key_char(*c->p, kn == 0)) {
		if (kn == SC_ENV_NAME_MAX) {
			sc_set_error("line %zu: variable name longer than %d bytes", line,
			             SC_ENV_NAME_MAX);
			return SC_ERR_INVALID;
		}
		key[kn++] = *c->p++;
	}
	key[kn] = '\0';
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
	if (kn == 0 || c->p == c->end || *c->p != '=') {
		sc_set_error("line %zu: expected KEY=VALUE (KEY of [A-Za-z_][A-Za-z0-9_]*)", line);
		return SC_ERR_INVALID;
	}
	c->p++;
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
	if (*cap > 0)
		(*buf)[0] = '\0';
	if (c->p < c->end && (*c->p == '"' || *c->p == '\''))
		r = quoted(c, *c->p, buf, &n, cap);
	else
		r = unquoted(c, buf, &n, cap);
	if (r != SC_OK)
		return r;
	if (n == 0) {
		sc_import_set_note_empty(set);
		return SC_OK;
	}
	if ((r = sc_import_set_add(set, key, &s)) != SC_OK) {
		if (r == SC_ERR_EXISTS)
			sc_set_error("line %zu: '%s' is given twice", line, key);
		else
			sc_set_error("line %zu: '%s' with the prefix is not a valid secret name",
			             line, key);
		return r == SC_ERR_EXISTS ? SC_ERR_INVALID : r;
	}
	if ((r = sc_secret_add_field(s, "value", *buf, n, 1)) != SC_OK)
		return r;
	/* under a prefix the secret's name no longer gives KEY: bind it */
	if (strcmp(sc_secret_name(s), key) != 0 &&
	    (r = sc_secret_add_binding(s, key, "value")) != SC_OK)
		return r;
	return SC_OK;
}

int sc_import_parse_env(const uint8_t *in, size_t len, struct sc_import_set *set)
{
	struct cursor c = {(const char *)in, (const char *)in + len, 1};
	char *buf = NULL;
	size_t cap = 0;
	int r = SC_OK;

	/* a UTF-8 byte order mark */
	if (len >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;
	while (c.p < c.end) {
		if ((r = one_line(&c, set, &buf, &cap)) != SC_OK)
			break;
		if (c.p < c.end && *c.p == '\n') {
			c.p++;
			c.line++;
		}
	}
	sc_secmem_free(buf);
	return r;
}

/* ---- the writer ---- */

static int out_put(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = *cap ? *cap : 4096;
		char *nb;

		while (*len + n + 1 > nc)
			nc *= 2;
		if ((nb = sc_secmem_realloc(*out, nc)) == NULL)
			return SC_ERR_NOMEM;
		*out = nb;
		*cap = nc;
	}
	memcpy(*out + *len, s, n);
	*len += n;
	(*out)[*len] = '\0';
	return SC_OK;
}

static int plain_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       strchr("_./:@+-,=%", c) != NULL;
}

int sc_export_env_line(const char *var, const uint8_t *value, size_t len, char **out,
                       size_t *out_len, size_t *cap)
{
	size_t i;
	int r, plain = len > 0;

	if (memchr(value, '\0', len) != NULL)
		return SC_ERR_INVALID;
	for (i = 0; i < len && plain; i++)
		plain = plain_char(value[i]);
	if ((r = out_put(out, out_len, cap, var, strlen(var))) != SC_OK ||
	    (r = out_put(out, out_len, cap, plain ? "=" : "=\"", plain ? 1 : 2)) != SC_OK)
		return r;
	for (i = 0; i < len && r == SC_OK; i++) {
		const char *esc = NULL;

		switch (value[i]) {
		case '\n':
			esc = "\\n";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '$':
			esc = "\\$";
			break;
		}
		r = esc ? out_put(out, out_len, cap, esc, 2)
		        : out_put(out, out_len, cap, (const char *)value + i, 1);
	}
	if (r == SC_OK)
		r = out_put(out, out_len, cap, plain ? "\n" : "\"\n", plain ? 1 : 2);
	return r;
}
