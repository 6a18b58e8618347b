/* edit_editor.c - `secretctl edit NAME` with no options: $EDITOR on the
 * public parts of the secret (non-sensitive fields, bindings, tags, URL,
 * notes, expiry), never a sensitive value, in a 0600 file in a private
 * temporary directory; the file read back strictly and applied as one
 * audited write. An unchanged file writes nothing; a failing editor
 * changes nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "secretctl/history.h"
#include "secretctl/session.h"

struct buf {
	char *p;
	size_t n, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 4096;
		char *np;

		while (nc < b->n + n + 1)
			nc *= 2;
		if ((np = sc_secmem_realloc(b->p, nc)) == NULL)
			return SC_ERR_NOMEM;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return SC_OK;
}

static int puts_(struct buf *b, const char *s)
{
	return put(b, s, strlen(s));
}

/* A value on one line: '\\' and newlines escaped. */
static int put_escaped(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int r = SC_OK;

	for (i = 0; r == SC_OK && i < n; i++)
		r = s[i] == '\\'   ? put(b, "\\\\", 2)
		    : s[i] == '\n' ? put(b, "\\n", 2)
		                   : put(b, s + i, 1);
	return r;
}

static int render(const struct sc_secret *s, struct buf *b)
{
	const char *fname, *env, *bf;
	const uint8_t *val;
	size_t i, len;
	int sens, r;
	char when[32];

	r = puts_(b, "# secretctl edit: the public parts of '");
	r = r ? r : puts_(b, sc_secret_name(s));
	r = r ? r
	      : puts_(b, "'. One part a line:\n"
	                 "#   field NAME = VALUE   binding ENV = FIELD   tag T\n"
	                 "#   url URL   notes TEXT   expires YYYY-MM-DD[THH:MM:SSZ]|never\n"
	                 "# ('\\n' and '\\\\' in values: a newline, a backslash). A part removed\n"
	                 "# here is removed; an unchanged file changes nothing. Sensitive\n"
	                 "# fields are not here and stay as they are: 'secretctl edit NAME\n"
	                 "# --secret-field F' sets one.\n");
	for (i = 0; r == SC_OK && i < sc_secret_field_count(s); i++) {
		if ((r = sc_secret_field(s, i, &fname, &val, &len, &sens, NULL)) != SC_OK)
			break;
		if (sens) {
			r = puts_(b, "# sensitive field (kept, not shown): ");
			r = r ? r : puts_(b, fname);
			r = r ? r : puts_(b, "\n");
			continue;
		}
		r = puts_(b, "field ");
		r = r ? r : puts_(b, fname);
		r = r ? r : puts_(b, " = ");
		r = r ? r : put_escaped(b, (const char *)val, len);
		r = r ? r : puts_(b, "\n");
	}
	for (i = 0; r == SC_OK && i < sc_secret_binding_count(s); i++) {
		if ((r = sc_secret_binding(s, i, &env, &bf)) != SC_OK)
			break;
		r = puts_(b, "binding ");
		r = r ? r : puts_(b, env);
		r = r ? r : puts_(b, " = ");
		r = r ? r : puts_(b, bf);
		r = r ? r : puts_(b, "\n");
	}
	for (i = 0; r == SC_OK && i < sc_secret_tag_count(s); i++) {
		r = puts_(b, "tag ");
		r = r ? r : puts_(b, sc_secret_tag(s, i));
		r = r ? r : puts_(b, "\n");
	}
	if (r == SC_OK && sc_secret_url(s) != NULL) {
		r = puts_(b, "url ");
		r = r ? r : put_escaped(b, sc_secret_url(s), strlen(sc_secret_url(s)));
		r = r ? r : puts_(b, "\n");
	}
	if (r == SC_OK && sc_secret_notes(s) != NULL) {
		r = puts_(b, "notes ");
		r = r ? r : put_escaped(b, sc_secret_notes(s), strlen(sc_secret_notes(s)));
		r = r ? r : puts_(b, "\n");
	}
	if (r == SC_OK) {
		if (sc_secret_expires(s) != 0)
			cli_format_time(sc_secret_expires(s), when, sizeof(when));
		else
			snprintf(when, sizeof(when), "never");
		r = puts_(b, "expires ");
		r = r ? r : puts_(b, when);
		r = r ? r : puts_(b, "\n");
	}
	return r;
}

/* Undo put_escaped in place; SC_ERR_INVALID on a lone or unknown escape. */
static int unescape(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			*d++ = *s;
			continue;
		}
		if (s[1] == 'n')
			*d++ = '\n';
		else if (s[1] == '\\')
			*d++ = '\\';
		else
			return SC_ERR_INVALID;
		s++;
	}
	*d = '\0';
	return SC_OK;
}

struct edtxn {
	const char *name;
	char *text; /* the edited file (secmem) */
	uint64_t version, base;
	size_t line;
	char why[256];
};

/* "K = V" -> k, v (in place). */
static int split_kv(char *rest, char **k, char **v)
{
	char *eq = strstr(rest, " = ");

	if (eq == NULL)
		return SC_ERR_INVALID;
	*eq = '\0';
	*k = rest;
	*v = eq + 3;
	return SC_OK;
}

/* The file's parts onto s (its public parts already removed). */
static int apply_line(struct edtxn *t, const struct sc_secret *cur, struct sc_secret *s, char *ln,
                      int *seen)
{
	char *sp = strchr(ln, ' '), *k, *v, *kw = ln, *rest;
	int64_t when;
	int fi, sens = 0;

#define BAD(...) (snprintf(t->why, sizeof(t->why), __VA_ARGS__), SC_ERR_INVALID)
	if (sp == NULL)
		return BAD("expected 'field', 'binding', 'tag', 'url', 'notes' or 'expires' and a "
		           "value");
	*sp = '\0';
	rest = sp + 1;
	if (strcmp(kw, "field") == 0) {
		if (split_kv(rest, &k, &v) != SC_OK || sc_field_name_valid(k) != SC_OK)
			return BAD("expected 'field NAME = VALUE' with a valid field name");
		fi = sc_secret_field_index(cur, k);
		if (fi >= 0 &&
		    sc_secret_field(cur, (size_t)fi, NULL, NULL, NULL, &sens, NULL) == SC_OK &&
		    sens)
			return BAD("'%s' is a sensitive field: set it with --secret-field", k);
		if (sc_secret_field_index(s, k) >= 0)
			return BAD("field '%s' is given twice", k);
		if (unescape(v) != SC_OK)
			return BAD("a backslash that is not '\\n' or '\\\\'");
		return sc_secret_add_field(s, k, v, strlen(v), 0);
	}
	if (strcmp(kw, "binding") == 0) {
		if (split_kv(rest, &k, &v) != SC_OK || sc_env_name_valid(k) != SC_OK)
			return BAD("expected 'binding ENV = FIELD' with a variable name");
		return sc_secret_add_binding(s, k, v) == SC_OK
		           ? SC_OK
		           : BAD("bad or repeated binding '%s'", k);
	}
	if (strcmp(kw, "tag") == 0)
		return sc_tag_valid(rest) == SC_OK && sc_secret_add_tag(s, rest) == SC_OK
		           ? SC_OK
		           : BAD("bad or repeated tag '%s'", rest);
	if (strcmp(kw, "url") == 0 || strcmp(kw, "notes") == 0 || strcmp(kw, "expires") == 0) {
		int bit = kw[0] == 'u' ? 1 : kw[0] == 'n' ? 2 : 4;

		if (*seen & bit)
			return BAD("'%s' is given twice", kw);
		*seen |= bit;
		if (bit == 4) {
			if (strcmp(rest, "never") == 0)
				when = 0;
			else if (cli_parse_expiry(rest, &when) != SC_OK)
				return BAD("bad expiry '%s' (YYYY-MM-DD[THH:MM:SSZ], 30d, never)",
				           rest);
			sc_secret_set_expires(s, when);
			return SC_OK;
		}
		if (unescape(rest) != SC_OK)
			return BAD("a backslash that is not '\\n' or '\\\\'");
		if (rest[0] == '\0')
			return SC_OK;
		return (bit == 1 ? sc_secret_set_url(s, rest) : sc_secret_set_notes(s, rest)) ==
		               SC_OK
		           ? SC_OK
		           : BAD("bad %s", kw);
	}
	return BAD("unknown part '%s' (field, binding, tag, url, notes, expires)", kw);
#undef BAD
}

/* the change, inside the edit's transaction (sc_session_edit): s is a
 * copy of cur, the current version now */
static int edit_change(const struct sc_secret *cur, uint64_t now, struct sc_secret *s, void *arg)
{
	struct edtxn *t = arg;
	const char *fname, *env, *bf;
	char *p, *nl;
	size_t i;
	int r, sens, seen = 0;

	if (now != t->base) {
		snprintf(t->why, sizeof(t->why), "'%s' changed while it was being edited", t->name);
		return SC_ERR_BUSY;
	}
	/* keep only the sensitive fields; everything else comes from the file */
	for (i = 0; i < sc_secret_field_count(cur); i++)
		if (sc_secret_field(cur, i, &fname, NULL, NULL, &sens, NULL) == SC_OK && !sens &&
		    (r = sc_secret_remove_field(s, fname)) != SC_OK)
			return r;
	for (i = 0; i < sc_secret_binding_count(cur); i++)
		if (sc_secret_binding(cur, i, &env, &bf) == SC_OK &&
		    (r = sc_secret_remove_binding(s, env)) != SC_OK)
			return r;
	for (i = 0; i < sc_secret_tag_count(cur); i++)
		if ((r = sc_secret_remove_tag(s, sc_secret_tag(cur, i))) != SC_OK)
			return r;
	sc_secret_clear_notes(s);
	sc_secret_clear_url(s);
	sc_secret_set_expires(s, 0);
	for (p = t->text, t->line = 1; *p != '\0'; p = nl + 1, t->line++) {
		char *q;

		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		for (q = p + strlen(p); q > p && (q[-1] == '\r' || q[-1] == ' ' || q[-1] == '\t');)
			*--q = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0' && *p != '#' && (r = apply_line(t, cur, s, p, &seen)) != SC_OK) {
			if (t->why[0] == '\0')
				snprintf(t->why, sizeof(t->why), "%s", sc_strerror(r));
			return SC_ERR_INVALID;
		}
		if (nl == NULL)
			break;
	}
	t->line = 0;
	for (i = 0; i < sc_secret_binding_count(s); i++)
		if (sc_secret_binding(s, i, &env, &bf) == SC_OK &&
		    sc_secret_field_index(s, bf) < 0) {
			snprintf(t->why, sizeof(t->why), "binding '%s' names no field '%s'", env,
			         bf);
			return SC_ERR_INVALID;
		}
	if (sc_secret_field_count(s) == 0) {
		snprintf(t->why, sizeof(t->why), "'%s' would have no field left", t->name);
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

/* $EDITOR (else vi) on path, through sh so EDITOR may hold arguments
 * ("code -w"), as git runs it. */
static int run_editor(const char *path, int *status)
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		return sc_status_from_errno(errno);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec ${EDITOR:-vi} \"$1\"", "sh", path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return sc_status_from_errno(errno);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return SC_OK;
}

int cli_edit_in_editor(struct cli *c, const char *name)
{
	struct sc_vault *v = NULL;
	struct sc_secret *s = NULL;
	struct buf b = {NULL, 0, 0};
	struct edtxn t;
	const char *tmp = getenv("TMPDIR");
	uint8_t *back = NULL;
	size_t blen = 0;
	unsigned keep;
	int r, rc = EXIT_FAIL, fd = -1, st = 0, made = 0;
	char tdir[4096];

	memset(&t, 0, sizeof(t));
	t.name = name;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	if ((r = sc_vault_get(v, name, &s)) != SC_OK ||
	    (r = sc_vault_version(v, name, &t.base, &keep)) != SC_OK) {
		rc = r == SC_ERR_NOT_FOUND ? cli_error(EXIT_NOTFOUND, "no secret '%s'", name)
		                           : cli_fail(r, "cannot read '%s'", name);
		goto out;
	}
	if ((r = render(s, &b)) != SC_OK) {
		rc = cli_fail(r, "out of memory");
		goto out;
	}
	/* a private directory (0700), the file 0600 and new */
	if (tmp != NULL && tmp[0] == '/' && strlen(tmp) < sizeof(tdir) - 32) {
		snprintf(tdir, sizeof(tdir), "%s/secretctl-edit-XXXXXX", tmp);
	} else {
		snprintf(tdir, sizeof(tdir), "/tmp/secretctl-edit-XXXXXX");
	}
	if (mkdtemp(tdir) == NULL) {
		rc = cli_fail(sc_status_from_errno(errno),
		              "cannot make a private temporary directory");
		goto out;
	}
	made = 1;
	{
		char *fp = NULL;

		if (asprintf(&fp, "%s/secret.txt", tdir) < 0) {
			rc = cli_fail(SC_ERR_NOMEM, "out of memory");
			goto out;
		}
		fd = open(fp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || (r = sc_fd_write_all(fd, (const uint8_t *)b.p, b.n)) != SC_OK ||
		    close(fd) != 0) {
			if (fd >= 0)
				close(fd);
			rc = cli_fail(SC_ERR_IO, "cannot write the temporary file");
			unlink(fp);
			free(fp);
			goto out;
		}
		fd = -1;
		r = run_editor(fp, &st);
		if (r == SC_OK && st == 0) {
			int rfd = open(fp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

			r = rfd < 0 ? SC_ERR_NOT_FOUND
			            : cli_read_fd(rfd, 1024 * 1024, &back, &blen);
			if (rfd >= 0)
				close(rfd);
		}
		unlink(fp);
		free(fp);
	}
	if (r != SC_OK || st != 0) {
		rc = st != 0
		         ? cli_error(EXIT_FAIL, "the editor failed (exit %d); nothing changed", st)
		     : r == SC_ERR_NOT_FOUND
		         ? cli_error(EXIT_FAIL, "the edited file is gone; nothing changed")
		         : cli_fail(r, "cannot run the editor; nothing changed");
		goto out;
	}
	if (blen == b.n && memcmp(back, b.p, b.n) == 0) {
		cli_say("'%s' is unchanged; no new version", name);
		rc = EXIT_OK;
		goto out;
	}
	if (memchr(back, '\0', blen) != NULL) {
		rc = cli_error(EXIT_USAGE, "the edited file holds a NUL byte; nothing changed");
		goto out;
	}
	t.text = (char *)back;
	r = sc_session_edit(v, cli_who(), t.name, 0, edit_change, &t, &t.version);
	if (r != SC_OK) {
		if (t.why[0] != '\0' && t.line > 0)
			rc = cli_error(EXIT_USAGE, "line %zu: %s; nothing changed", t.line, t.why);
		else if (t.why[0] != '\0')
			rc = cli_error(r == SC_ERR_BUSY ? EXIT_FAIL : EXIT_USAGE,
			               "%s; nothing changed", t.why);
		else
			rc = cli_fail(r, "cannot edit '%s'", name);
		sc_clear_error();
		goto out;
	}
	cli_say("updated '%s' (version %llu; 'secretctl rollback %s' brings back version %llu)",
	        name, (unsigned long long)t.version, name, (unsigned long long)t.version - 1);
	rc = EXIT_OK;
out:
	if (made)
		(void)rmdir(tdir);
	sc_secmem_free(b.p);
	sc_secmem_free(back);
	sc_secret_free(s);
	sc_vault_close(v);
	return rc;
}
