/* take.c - the vault's files at one moment: under a shared lock on the
 * audit log (an audited write holds it exclusively from its entry to its
 * commit, so no write can fall between the database and the log copied),
 * the database through SQLite's backup API, then the log, the pending file
 * and the policy file. */
#include "backup/backup_int.h"

/* A file of the vault directory, or NULL when it is absent. */
static int read_opt(const char *dir, const char *name, uint8_t **buf, size_t *len)
{
	char *path;
	int fd, r;

	*buf = NULL;
	*len = 0;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return SC_ERR_NOMEM;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = errno == ENOENT ? SC_OK : errno == ELOOP ? SC_ERR_PERM : SC_ERR_IO;
		if (r != SC_OK)
			sc_set_error("'%s': %s", path,
			             errno == ELOOP ? "is a symbolic link; refused"
			                            : strerror(errno));
		free(path);
		return r;
	}
	r = sc_bk_read_file(fd, path, SC_BACKUP_MAX, buf, len);
	close(fd);
	free(path);
	return r;
}

int sc_vault_snapshot_take(struct sc_vault *v, struct sc_vault_snapshot *s)
{
	const char *dir = sc_vault_dir(v);
	int fd = -1, r;

	memset(s, 0, sizeof(*s));
	if ((r = sc_audit_lock_shared(dir, &fd)) != SC_OK)
		return r;
	if ((r = sc_vault_snapshot_db(v, s)) != SC_OK)
		goto out;
	if (fd >= 0) {
		char *path;

		if (asprintf(&path, "%s/%s", dir, SC_AUDIT_FILE) < 0) {
			r = SC_ERR_NOMEM;
			goto out;
		}
		r = sc_bk_read_file(fd, path, SC_BACKUP_MAX, &s->log, &s->log_len);
		free(path);
		if (r != SC_OK)
			goto out;
	}
	if ((r = read_opt(dir, SC_AUDIT_PENDING_FILE, &s->pending, &s->pending_len)) != SC_OK ||
	    (r = read_opt(dir, SC_POLICY_FILE, &s->policy, &s->policy_len)) != SC_OK)
		goto out;
out:
	if (fd >= 0)
		close(fd);
	if (r != SC_OK)
		sc_vault_snapshot_release(s);
	return r;
}
