/* frost_group.c - the group record a FROST coordinator keeps in its vault
 * directory (frost/NAME.group): participants by identifier with their
 * commands and identity keys, and the group's public keys. Public data,
 * but read strictly: bounded, canonical, the owner's file only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secretctl/buf.h"
#include "secretctl/fdio.h"
#include "secretctl/frost_session.h"

#define GROUP_MAGIC "SCFG"
#define GROUP_VERSION 1
#define GROUP_FILE_MAX (1u << 20)
#define GROUP_MEMBERS_MAX 32

void sc_frost_group_release(struct sc_frost_group *g)
{
	free(g->members);
	sc_frost_pubkeys_free(g->pub);
	memset(g, 0, sizeof(*g));
}

int sc_frost_group_encode(const struct sc_frost_group *g, uint8_t **out, size_t *len)
{
	uint8_t pw[4096];
	size_t pwl = 0;
	struct sc_buf b;
	int r;

	*out = NULL;
	*len = 0;
	if (sc_frost_pubkeys_wire_len(g->pub) > sizeof(pw) ||
	    (r = sc_frost_pubkeys_encode(g->pub, pw, sizeof(pw), &pwl)) != SC_OK)
		return SC_ERR_TOOBIG;
	sc_buf_init(&b, GROUP_FILE_MAX, 0);
	(void)sc_buf_put(&b, GROUP_MAGIC, 4);
	(void)sc_buf_put_u8(&b, GROUP_VERSION);
	(void)sc_buf_put_u8(&b, (uint8_t)strlen(g->name));
	(void)sc_buf_put(&b, g->name, strlen(g->name));
	(void)sc_buf_put_u16(&b, g->n);
	for (uint16_t i = 0; i < g->n; i++) {
		const struct sc_frost_member *m = &g->members[i];

		(void)sc_buf_put_u8(&b, (uint8_t)strlen(m->name));
		(void)sc_buf_put(&b, m->name, strlen(m->name));
		(void)sc_buf_put_u16(&b, (uint16_t)strlen(m->command));
		(void)sc_buf_put(&b, m->command, strlen(m->command));
		(void)sc_buf_put(&b, m->id_pub, SC_FROST_ID_PUB_LEN);
	}
	(void)sc_buf_put_u16(&b, (uint16_t)pwl);
	(void)sc_buf_put(&b, pw, pwl);
	if ((r = sc_buf_status(&b)) != SC_OK) {
		sc_buf_release(&b);
		return r;
	}
	*out = sc_buf_steal(&b, len);
	return SC_OK;
}

static int get_str(struct sc_buf *b, int wide, char *out, size_t max)
{
	uint16_t n = 0;
	uint8_t n8 = 0;
	int r = wide ? sc_buf_get_u16(b, &n) : sc_buf_get_u8(b, &n8);

	if (!wide)
		n = n8;
	if (r != SC_OK || n == 0 || n > max || sc_buf_get(b, out, n) != SC_OK ||
	    memchr(out, '\0', n) != NULL)
		return SC_ERR_CORRUPT;
	out[n] = '\0';
	return SC_OK;
}

int sc_frost_group_decode(const uint8_t *buf, size_t len, struct sc_frost_group *g)
{
	uint8_t magic[4], ver;
	uint16_t pwl;
	const uint8_t *pw;
	struct sc_buf b;

	memset(g, 0, sizeof(*g));
	sc_buf_init_reader(&b, buf, len);
	if (sc_buf_get(&b, magic, 4) != SC_OK || memcmp(magic, GROUP_MAGIC, 4) != 0 ||
	    sc_buf_get_u8(&b, &ver) != SC_OK || ver != GROUP_VERSION ||
	    get_str(&b, 0, g->name, SC_FROST_NAME_MAX) != SC_OK || !sc_frost_name_valid(g->name) ||
	    sc_buf_get_u16(&b, &g->n) != SC_OK || g->n < 2 || g->n > GROUP_MEMBERS_MAX)
		goto bad;
	if ((g->members = calloc(g->n, sizeof(*g->members))) == NULL)
		return SC_ERR_NOMEM;
	for (uint16_t i = 0; i < g->n; i++) {
		struct sc_frost_member *m = &g->members[i];

		if (get_str(&b, 0, m->name, SC_FROST_NAME_MAX) != SC_OK ||
		    !sc_frost_name_valid(m->name) ||
		    get_str(&b, 1, m->command, SC_FROST_COMMAND_MAX) != SC_OK ||
		    sc_buf_get(&b, m->id_pub, SC_FROST_ID_PUB_LEN) != SC_OK)
			goto bad;
		for (uint16_t k = 0; k < i; k++)
			if (strcmp(g->members[k].name, m->name) == 0)
				goto bad;
	}
	if (sc_buf_get_u16(&b, &pwl) != SC_OK || sc_buf_get_ptr(&b, pwl, &pw) != SC_OK ||
	    sc_buf_left(&b) != 0 || sc_frost_pubkeys_decode(pw, pwl, &g->pub) != SC_OK ||
	    sc_frost_pubkeys_max(g->pub) != g->n)
		goto bad;
	return SC_OK;
bad:
	sc_frost_group_release(g);
	sc_set_error("the group record is malformed");
	return SC_ERR_CORRUPT;
}

static int group_path(const char *dir, const char *name, const char *ext, char *out, size_t cap)
{
	if (!sc_frost_name_valid(name)) {
		sc_set_error(
		    "invalid group name '%.64s' (1-48 of [A-Za-z0-9._-], first a letter or "
		    "digit)",
		    name);
		return SC_ERR_NAME;
	}
	if ((size_t)snprintf(out, cap, "%s/frost/%s%s", dir, name, ext) >= cap) {
		sc_set_error("the vault path is too long");
		return SC_ERR_TOOBIG;
	}
	return SC_OK;
}

int sc_frost_group_save(const char *dir, const struct sc_frost_group *g)
{
	char path[4096], tmp[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd = -1, r;

	if ((r = group_path(dir, g->name, ".group", path, sizeof(path))) != SC_OK ||
	    (r = group_path(dir, g->name, ".group.new", tmp, sizeof(tmp))) != SC_OK)
		return r;
	if ((r = sc_frost_group_encode(g, &buf, &len)) != SC_OK)
		return r;
	{
		char sub[4096];

		snprintf(sub, sizeof(sub), "%s/frost", dir);
		if (mkdir(sub, 0700) != 0 && errno != EEXIST) {
			r = sc_status_from_errno(errno);
			sc_set_error("'%s': %s", sub, strerror(errno));
			goto out;
		}
	}
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
	    sc_fd_write_all(fd, buf, len) != SC_OK || fsync(fd) != 0) {
		r = sc_status_from_errno(errno);
		sc_set_error("'%s': %s", tmp, strerror(errno));
		goto out;
	}
	/* link refuses an existing group atomically */
	if (link(tmp, path) != 0) {
		r = errno == EEXIST ? SC_ERR_EXISTS : sc_status_from_errno(errno);
		sc_set_error(errno == EEXIST ? "group '%s' exists" : "'%s': cannot create",
		             errno == EEXIST ? g->name : path);
		goto out;
	}
	r = SC_OK;
out:
	if (fd >= 0) {
		close(fd);
		(void)unlink(tmp);
	}
	free(buf);
	return r;
}

int sc_frost_group_load(const char *dir, const char *name, struct sc_frost_group *g)
{
	char path[4096];
	uint8_t *buf = NULL;
	struct stat st;
	int fd, r;

	memset(g, 0, sizeof(*g));
	if ((r = group_path(dir, name, ".group", path, sizeof(path))) != SC_OK)
		return r;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = errno == ENOENT ? SC_ERR_NOT_FOUND : sc_status_from_errno(errno);
		sc_set_error(errno == ENOENT ? "no group '%s'" : "'%s': cannot open",
		             errno == ENOENT ? name : path);
		return r;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		sc_set_error("'%s' is not a private file of ours", path);
		r = SC_ERR_PERM;
	} else if (st.st_size <= 0 || (size_t)st.st_size > GROUP_FILE_MAX) {
		sc_set_error("'%s' has a bad size", path);
		r = SC_ERR_CORRUPT;
	} else if ((buf = malloc((size_t)st.st_size)) == NULL) {
		r = SC_ERR_NOMEM;
	} else if ((r = sc_fd_read_all(fd, buf, (size_t)st.st_size)) == SC_OK) {
		r = sc_frost_group_decode(buf, (size_t)st.st_size, g);
		if (r == SC_OK && strcmp(g->name, name) != 0) {
			sc_frost_group_release(g);
			sc_set_error("'%s' names another group", path);
			r = SC_ERR_CORRUPT;
		}
	}
	close(fd);
	free(buf);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sc_frost_group_list(const char *dir, char ***names, size_t *n)
{
	char sub[4096];
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0;
	DIR *d;

	*names = NULL;
	*n = 0;
	snprintf(sub, sizeof(sub), "%s/frost", dir);
	if ((d = opendir(sub)) == NULL)
		return errno == ENOENT ? SC_OK : sc_status_from_errno(errno);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char **nv;

		if (l <= 6 || strcmp(de->d_name + l - 6, ".group") != 0 || cnt >= 4096)
			continue;
		de->d_name[l - 6] = '\0';
		if (!sc_frost_name_valid(de->d_name))
			continue;
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL ||
		    (nv[cnt] = strdup(de->d_name)) == NULL) {
			if (nv != NULL)
				v = nv;
			for (size_t i = 0; i < cnt; i++)
				free(v[i]);
			free(v);
			closedir(d);
			return SC_ERR_NOMEM;
		}
		v = nv;
		cnt++;
	}
	closedir(d);
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	return SC_OK;
}
