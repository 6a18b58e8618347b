/* resolve.c - the run defaults and PATH resolution: a command to the real
 * path of an executable file, never through a relative PATH entry. */
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
