/* resolve.c - the run defaults and PATH resolution: a command to the real
 * path of an executable file, never through a relative PATH entry. */
#include <stdio.h>

#include "run/exec_int.h"

void sc_exec_opts_init(struct sc_exec_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->out_fd = -1;
	o->err_fd = -1;
	o->ctl_fd = -1;
	o->stdin_fd = -1;
	o->tty_fd = -1;
}

/* ---- PATH resolution ----------------------------------------------------- */

/* SC_OK: an executable regular file; SC_ERR_NOTEXEC: exists but is not;
 * SC_ERR_NOEXEC: nothing there. */
static int check_candidate(const char *p)
{
	struct stat st;

	if (stat(p, &st) != 0)
		return (errno == EACCES) ? SC_ERR_NOTEXEC : SC_ERR_NOEXEC;
	if (!S_ISREG(st.st_mode) || access(p, X_OK) != 0)
		return SC_ERR_NOTEXEC;
	return SC_OK;
}

static int finish_resolve(const char *p, char **resolved)
{
	char *rp = realpath(p, NULL);

	if (rp == NULL)
		return errno == ENOMEM ? SC_ERR_NOMEM : SC_ERR_NOEXEC;
	*resolved = rp;
	return SC_OK;
}

int sc_exec_resolve(const char *cmd, const char *path_env, char **resolved)
{
	char buf[PATH_MAX];
	const char *p, *end;
	size_t clen, dlen;
	int r, seen_notexec = 0;

	if (resolved != NULL)
		*resolved = NULL;
	if (cmd == NULL || resolved == NULL || *cmd == '\0')
		return SC_ERR_INVALID;
	clen = strlen(cmd);
	if (clen >= PATH_MAX)
		return SC_ERR_TOOBIG;
	if (strchr(cmd, '/') != NULL) {
		if ((r = check_candidate(cmd)) != SC_OK)
			return r;
		return finish_resolve(cmd, resolved);
	}
	if (path_env == NULL)
		path_env = "/usr/local/bin:/usr/bin:/bin";
	for (p = path_env; *p != '\0'; p = (*end == ':') ? end + 1 : end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		if (dlen == 0 || p[0] != '/')
			continue; /* empty or relative entry: never search the cwd */
		if (dlen + 1 + clen >= sizeof(buf))
			continue;
		memcpy(buf, p, dlen);
		buf[dlen] = '/';
		memcpy(buf + dlen + 1, cmd, clen + 1);
		r = check_candidate(buf);
		if (r == SC_OK)
			return finish_resolve(buf, resolved);
		if (r == SC_ERR_NOTEXEC)
			seen_notexec = 1;
	}
	return seen_notexec ? SC_ERR_NOTEXEC : SC_ERR_NOEXEC;
}

int sc_exec_find(const char *cmd, const char *path_env, struct sc_exec_prog *out)
{
	char cwd[PATH_MAX], *abs = NULL;
	const char *p, *end;
	struct stat st;
	size_t clen;
	int r, n;

	memset(out, 0, sizeof(*out));
	if ((r = sc_exec_resolve(cmd, path_env, &out->real)) != SC_OK)
		return r;
	clen = strlen(cmd);
	if (strchr(cmd, '/') != NULL) {
		if (cmd[0] == '/') {
			abs = strdup(cmd);
		} else if (getcwd(cwd, sizeof(cwd)) != NULL) {
			n = asprintf(&abs, "%s/%s", cwd, cmd);
			if (n < 0)
				abs = NULL;
		} else {
			r = SC_ERR_IO;
			goto fail;
		}
	} else {
		/* the same walk as sc_exec_resolve: the first hit */
		if (path_env == NULL)
			path_env = "/usr/local/bin:/usr/bin:/bin";
		for (p = path_env; *p != '\0' && abs == NULL; p = (*end == ':') ? end + 1 : end) {
			end = strchr(p, ':');
			if (end == NULL)
				end = p + strlen(p);
			if (end == p || p[0] != '/' || (size_t)(end - p) + 1 + clen >= PATH_MAX)
				continue;
			if (asprintf(&abs, "%.*s/%s", (int)(end - p), p, cmd) < 0) {
				abs = NULL;
				break;
			}
			if (check_candidate(abs) != SC_OK) {
				free(abs);
				abs = NULL;
			}
		}
	}
	if (abs == NULL) {
		r = SC_ERR_NOMEM;
		goto fail;
	}
	out->found = abs;
	if (stat(out->real, &st) != 0) {
		r = SC_ERR_NOEXEC;
		goto fail;
	}
	out->dev = (uint64_t)st.st_dev;
	out->ino = (uint64_t)st.st_ino;
	return SC_OK;
fail:
	sc_exec_prog_release(out);
	return r;
}

void sc_exec_prog_release(struct sc_exec_prog *p)
{
	if (p == NULL)
		return;
	free(p->found);
	free(p->real);
	memset(p, 0, sizeof(*p));
}

static const char *base_name(const char *s)
{
	const char *b = strrchr(s, '/');

	return b != NULL && b[1] != '\0' ? b + 1 : s;
}

void sc_exec_pid_name(long pid, char *out, size_t cap)
{
	char path[64], exe[4096];
	const char *base;
	ssize_t n;

	if (cap == 0)
		return;
	snprintf(out, cap, "?");
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	if ((n = readlink(path, exe, sizeof(exe) - 1)) <= 0)
		return;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	base = base != NULL ? base + 1 : exe;
	for (n = 0; base[n] != '\0' && (size_t)n + 1 < cap; n++)
		out[n] = base[n] > 0x20 && base[n] < 0x7f ? base[n] : '_';
	out[n] = '\0';
}

void sc_exec_prog_label(const struct sc_exec_prog *p, const char *argv0, char *buf, size_t len)
{
	const char *given = base_name(argv0 != NULL ? argv0 : p->found);
	const char *real = base_name(p->real);

	if (strcmp(given, real) == 0)
		snprintf(buf, len, "%s", given);
	else
		snprintf(buf, len, "%s (%s)", given, real);
}
