/* system.c - the dedicated run user's configuration file (system.h): its
 * strict codec, the root-only ownership check, and the agent endpoint it
 * names for this process. */
#include <ctype.h>
#include <stdio.h>

#include "agent/agent_int.h"
#include "secretctl/system.h"

const char *sc_system_dir(void)
{
	const char *d = getenv("SECRETCTL_SYSTEM_DIR");

	return d != NULL && d[0] == '/' ? d : SC_SYSTEM_DIR_DEFAULT;
}

int sc_system_conf_path(const char *dir, uid_t uid, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/system-agent-%lu.conf", dir, (unsigned long)uid);

	return n < 0 || (size_t)n >= len ? SC_ERR_TOOBIG : SC_OK;
}

/* ---- the codec ---- */

static int parse_id(const char *v, unsigned long *out)
{
	char *end;

	if (v[0] < '0' || v[0] > '9' || (v[0] == '0' && v[1] != '\0'))
		return SC_ERR_INVALID;
	errno = 0;
	*out = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || *out >= 0xffffffffUL)
		return SC_ERR_INVALID;
	return SC_OK;
}

static int path_ok(const char *v, size_t max)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > max || v[0] != '/')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

static int user_ok(const char *v)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > SC_SYSTEM_USER_MAX || !(islower((unsigned char)v[0]) || v[0] == '_'))
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)v[i]) && !isdigit((unsigned char)v[i]) && v[i] != '_' &&
		    v[i] != '-')
			return 0;
	return 1;
}

static int parse_owners(char *v, struct sc_system_conf *c)
{
	char *save = NULL, *t;
	unsigned long u;

	c->nowners = 0;
	for (t = strtok_r(v, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		if (c->nowners == SC_SYSTEM_OWNERS_MAX || parse_id(t, &u) != SC_OK)
			return SC_ERR_INVALID;
		c->owners[c->nowners++] = (uid_t)u;
	}
	return c->nowners > 0 ? SC_OK : SC_ERR_INVALID;
}

enum { K_USER, K_UID, K_GID, K_VAULT, K_SOCKET, K_OWNERS, K_FROM, K_N };
static const char *const conf_keys[K_N] = {"user",   "uid",    "gid", "vault",
                                           "socket", "owners", "from"};

/* One "key = value" line (trimmed, NUL-terminated in place). */
static int parse_line(char *line, struct sc_system_conf *c, unsigned *seen)
{
	char *eq = strchr(line, '='), *k = line, *v, *e;
	unsigned long u;
	int i;

	if (eq == NULL)
		return SC_ERR_INVALID;
	*eq = '\0';
	v = eq + 1;
	for (e = eq; e > k && e[-1] == ' '; e--)
		e[-1] = '\0';
	while (*v == ' ')
		v++;
	for (e = v + strlen(v); e > v && e[-1] == ' '; e--)
		e[-1] = '\0';
	for (i = 0; i < K_N; i++)
		if (strcmp(k, conf_keys[i]) == 0)
			break;
	if (i == K_N || (*seen & (1u << i)))
		return SC_ERR_INVALID;
	*seen |= 1u << i;
	switch (i) {
	case K_USER:
		if (!user_ok(v))
			return SC_ERR_INVALID;
		memcpy(c->user, v, strlen(v) + 1);
		return SC_OK;
	case K_UID:
	case K_GID:
		if (parse_id(v, &u) != SC_OK || u == 0)
			return SC_ERR_INVALID; /* never root */
		if (i == K_UID)
			c->uid = (uid_t)u;
		else
			c->gid = (gid_t)u;
		return SC_OK;
	case K_VAULT:
	case K_FROM:
		if (!path_ok(v, PATH_MAX - 1))
			return SC_ERR_INVALID;
		memcpy(i == K_VAULT ? c->vault : c->from, v, strlen(v) + 1);
		return SC_OK;
	case K_SOCKET:
		if (!path_ok(v, SC_SYSTEM_SOCK_MAX))
			return SC_ERR_INVALID;
		memcpy(c->socket, v, strlen(v) + 1);
		return SC_OK;
	default:
		return parse_owners(v, c);
	}
}

int sc_system_conf_parse(const char *text, size_t len, struct sc_system_conf *c)
{
	char *buf, *line, *save = NULL;
	unsigned seen = 0, lineno = 0;
	const unsigned need = (1u << K_FROM) - 1;
	int r = SC_OK;

	memset(c, 0, sizeof(*c));
	if (len > SC_SYSTEM_CONF_MAX) {
		sc_set_error("the configuration is over %d bytes", SC_SYSTEM_CONF_MAX);
		return SC_ERR_TOOBIG;
	}
	if (memchr(text, '\0', len) != NULL) {
		sc_set_error("the configuration holds a NUL byte");
		return SC_ERR_INVALID;
	}
	if ((buf = malloc(len + 1)) == NULL)
		return SC_ERR_NOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	/* strtok_r would merge empty lines: count them by hand */
	for (line = buf; line != NULL && r == SC_OK; line = save) {
		char *nl = strchr(line, '\n');

		lineno++;
		save = nl != NULL ? nl + 1 : NULL;
		if (nl != NULL)
			*nl = '\0';
		while (*line == ' ')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		if ((r = parse_line(line, c, &seen)) != SC_OK)
			sc_set_error("line %u is not a valid setting", lineno);
	}
	free(buf);
	if (r == SC_OK && (seen & need) != need) {
		sc_set_error("a setting is missing (user, uid, gid, vault, socket, owners)");
		r = SC_ERR_INVALID;
	}
	if (r != SC_OK)
		memset(c, 0, sizeof(*c));
	return r;
}

int sc_system_conf_format(const struct sc_system_conf *c, char **out)
{
	char owners[SC_SYSTEM_OWNERS_MAX * 12], *s;
	size_t i, n = 0;
	int k;

	*out = NULL;
	owners[0] = '\0';
	for (i = 0; i < c->nowners && i < SC_SYSTEM_OWNERS_MAX; i++)
		n += (size_t)snprintf(owners + n, sizeof(owners) - n, "%s%lu", i ? " " : "",
		                      (unsigned long)c->owners[i]);
	k = asprintf(&s,
	             "# secretctl: the vault below lives under a dedicated run user.\n"
	             "# Written by 'secretctl setup system-agent'; only root may change it.\n"
	             "user = %s\nuid = %lu\ngid = %lu\nvault = %s\nsocket = %s\nowners = %s\n"
	             "%s%s%s",
	             c->user, (unsigned long)c->uid, (unsigned long)c->gid, c->vault, c->socket,
	             owners, c->from[0] ? "from = " : "", c->from, c->from[0] ? "\n" : "");
	if (k < 0)
		return SC_ERR_NOMEM;
	*out = s;
	return SC_OK;
}

/* ---- loading: only root's file counts ---- */

static int root_only(const struct stat *st, const char *what)
{
	if (st->st_uid != 0 || (st->st_mode & 022) != 0) {
		sc_set_error("'%s' may be changed by someone other than root (owner %lu, mode "
		             "%04o); it is ignored",
		             what, (unsigned long)st->st_uid, (unsigned)(st->st_mode & 07777));
		return SC_ERR_PERM;
	}
	return SC_OK;
}

int sc_system_conf_load(const char *path, struct sc_system_conf *c)
{
	char dir[PATH_MAX], text[SC_SYSTEM_CONF_MAX + 1], *slash;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, r;

	memset(c, 0, sizeof(*c));
	if (strlen(path) >= sizeof(dir))
		return SC_ERR_TOOBIG;
	memcpy(dir, path, strlen(path) + 1);
	if ((slash = strrchr(dir, '/')) == NULL)
		return SC_ERR_INVALID;
	*(slash == dir ? slash + 1 : slash) = '\0';
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return SC_ERR_NOT_FOUND;
		sc_set_error("cannot open '%s': %s", path, strerror(errno));
		return sc_status_from_errno(errno);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		sc_set_error("'%s' is not a regular file", path);
		return SC_ERR_PERM;
	}
	if ((r = root_only(&st, path)) != SC_OK) {
		close(fd);
		return r;
	}
	if (stat(dir, &st) != 0 || (r = root_only(&st, dir)) != SC_OK) {
		close(fd);
		return r != SC_OK ? r : SC_ERR_IO;
	}
	while ((n = read(fd, text + len, sizeof(text) - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n < 0)
		return SC_ERR_IO;
	if (len > SC_SYSTEM_CONF_MAX) {
		sc_set_error("'%s' is over %d bytes", path, SC_SYSTEM_CONF_MAX);
		return SC_ERR_TOOBIG;
	}
	if ((r = sc_system_conf_parse(text, len, c)) != SC_OK) {
		char why[256];

		snprintf(why, sizeof(why), "%s", sc_last_error());
		sc_set_error("'%s': %s", path, why);
	}
	return r;
}

int sc_system_admits(const struct sc_system_conf *c, uid_t uid)
{
	size_t i;

	if (uid == c->uid)
		return 1;
	for (i = 0; i < c->nowners; i++)
		if (c->owners[i] == uid)
			return 1;
	return 0;
}

int sc_system_conf_find(struct sc_system_conf *c)
{
	char path[PATH_MAX];
	int r;

	if ((r = sc_system_conf_path(sc_system_dir(), getuid(), path, sizeof(path))) != SC_OK)
		return r;
	if ((r = sc_system_conf_load(path, c)) != SC_OK)
		return r;
	if (!sc_system_admits(c, getuid())) {
		sc_set_error("'%s' does not name uid %lu", path, (unsigned long)getuid());
		memset(c, 0, sizeof(*c));
		return SC_ERR_PERM;
	}
	return SC_OK;
}

/* ---- the endpoint ---- */

static struct {
	int set;
	uid_t peer;
	char sock[SC_SYSTEM_SOCK_MAX + 1];
	char vault[PATH_MAX];
} sys_ep;

void sc_agent_use_system(const struct sc_system_conf *c)
{
	memset(&sys_ep, 0, sizeof(sys_ep));
	if (c == NULL)
		return;
	memcpy(sys_ep.sock, c->socket, sizeof(sys_ep.sock));
	memcpy(sys_ep.vault, c->vault, sizeof(sys_ep.vault));
	sys_ep.peer = c->uid;
	sys_ep.set = 1;
}

int sc_agent_system_endpoint(const char *vault_dir, const char **sock, uid_t *peer)
{
	if (!sys_ep.set || vault_dir == NULL || strcmp(vault_dir, sys_ep.vault) != 0)
		return 0;
	*sock = sys_ep.sock;
	*peer = sys_ep.peer;
	return 1;
}
