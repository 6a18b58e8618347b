/* restore.c - a backup's files written into a new private directory beside
 * the destination, synced, opened as a vault with the backup's DEK (every
 * record walked, the audit chain verified against the anchor), and only
 * then renamed into place; an existing vault is moved aside first (with
 * force) and removed once the new one is in place. */
#include <dirent.h>
#include <libgen.h>

#include "backup/backup_int.h"

static int write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char *path;
	int fd, r = SC_OK;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return SC_ERR_NOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || sc_fd_write_all(fd, p, n) != SC_OK || fsync(fd) != 0) {
		int e = errno;

		sc_set_error("cannot write '%s': %s", path, strerror(e));
		r = sc_status_from_errno(e);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = SC_OK;

	if (fd < 0 || fsync(fd) != 0) {
		sc_set_error("cannot sync '%s': %s", dir, strerror(errno));
		r = sc_status_from_errno(errno);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/* Remove a vault directory: its files (a vault's directory is flat), then
 * the directory. Best effort; 0 when it is gone. */
static int remove_flat(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			(void)unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	return rmdir(dir);
}

static int count_one(const struct sc_secret *s, void *arg)
{
	(void)s;
	(*(uint64_t *)arg)++;
	return 0;
}

/* Open dir as a vault with the backup's DEK: the state, every record and
 * the whole record set, and the audit chain up to the anchor. */
static int check_vault(struct sc_backup *b, const char *dir, struct sc_backup_info *info)
{
	struct sc_audit_report rep;
	struct sc_vault *v = NULL;
	uint64_t n = 0;
	int r;

	if ((r = sc_vault_open(dir, &v)) != SC_OK)
		goto out;
	if (memcmp(sc_vault_id(v), b->h.vault_id, SC_VAULT_ID_LEN) != 0) {
		sc_set_error("the backup's database is not the vault its header names");
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((r = sc_vault_unlock_dek(v, b->dek)) != SC_OK) {
		if (r == SC_ERR_AUTH)
			r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((r = sc_vault_walk(v, count_one, &n)) != SC_OK)
		goto out;
	memset(&rep, 0, sizeof(rep));
	if ((r = sc_audit_verify(v, &rep)) != SC_OK) {
		if (r == SC_ERR_CORRUPT)
			sc_set_error("the backup's audit log does not verify: line %llu: %s",
			             (unsigned long long)rep.bad_line, rep.why);
		goto out;
	}
	if (info != NULL) {
		info->secrets = n;
		info->audit_entries = rep.entries;
		info->audit_lag = rep.lag;
	}
out:
	if (r != SC_OK && r != SC_ERR_NOMEM && r != SC_ERR_IO && sc_last_error()[0] == '\0')
		sc_set_error("the backup's vault does not open");
	sc_vault_close(v);
	return r;
}

static int materialize(struct sc_backup *b, const char *dir)
{
	const struct sc_vault_snapshot *s = &b->files;
	int r;

	if ((r = write_file(dir, BK_NAME_DB, s->db, s->db_len)) != SC_OK ||
	    (s->log != NULL && (r = write_file(dir, SC_AUDIT_FILE, s->log, s->log_len)) != SC_OK) ||
	    (s->pending != NULL &&
	     (r = write_file(dir, SC_AUDIT_PENDING_FILE, s->pending, s->pending_len)) != SC_OK) ||
	    (s->policy != NULL &&
	     (r = write_file(dir, SC_POLICY_FILE, s->policy, s->policy_len)) != SC_OK))
		return r;
	return fsync_dir(dir);
}

/* What is at dest: 0 nothing (or an empty directory), 1 something. */
static int dest_state(const char *dest, int *occupied)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	*occupied = 0;
	if (lstat(dest, &st) != 0) {
		if (errno == ENOENT)
			return SC_OK;
		sc_set_error("'%s': %s", dest, strerror(errno));
		return sc_status_from_errno(errno);
	}
	if (S_ISLNK(st.st_mode)) {
		sc_set_error("'%s' is a symbolic link; refused", dest);
		return SC_ERR_PERM;
	}
	if (!S_ISDIR(st.st_mode)) {
		sc_set_error("'%s' exists and is not a directory", dest);
		return SC_ERR_EXISTS;
	}
	if ((d = opendir(dest)) == NULL) {
		sc_set_error("'%s': %s", dest, strerror(errno));
		return sc_status_from_errno(errno);
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			*occupied = 1;
	closedir(d);
	return SC_OK;
}

/* "<parent>/.<base>.<what>-XXXXXX", made 0700 by mkdtemp. */
static char *temp_beside(const char *dest, const char *what)
{
	char *a = strdup(dest), *c = strdup(dest), *t = NULL;

	if (a != NULL && c != NULL &&
	    asprintf(&t, "%s/.%s.%s-XXXXXX", dirname(a), basename(c), what) < 0)
		t = NULL;
	free(a);
	free(c);
	if (t != NULL && mkdtemp(t) == NULL) {
		sc_set_error("cannot make a directory beside '%s': %s", dest, strerror(errno));
		free(t);
		return NULL;
	}
	return t;
}

static int install(const char *tmp, const char *dest, int force)
{
	char *aside = NULL, *parent = strdup(dest);
	int occupied, r;

	if (parent == NULL)
		return SC_ERR_NOMEM;
	if ((r = dest_state(dest, &occupied)) != SC_OK)
		goto out;
	if (occupied && !force) {
		sc_set_error("'%s' is not empty (a vault is there?); give --force to replace it",
		             dest);
		r = SC_ERR_EXISTS;
		goto out;
	}
	if (occupied) {
		if ((aside = temp_beside(dest, "old")) == NULL) {
			r = SC_ERR_IO;
			goto out;
		}
		if (rename(dest, aside) != 0) {
			sc_set_error("cannot move '%s' aside: %s", dest, strerror(errno));
			r = sc_status_from_errno(errno);
			rmdir(aside);
			goto out;
		}
	} else {
		(void)rmdir(dest); /* an empty directory, or nothing */
	}
	if (rename(tmp, dest) != 0) {
		sc_set_error("cannot put the restored vault at '%s': %s", dest, strerror(errno));
		r = sc_status_from_errno(errno);
		if (aside != NULL && rename(aside, dest) == 0) {
			free(aside);
			aside = NULL;
		}
		goto out;
	}
	if ((r = fsync_dir(dirname(parent))) != SC_OK)
		goto out;
	if (aside != NULL && remove_flat(aside) != 0) {
		sc_set_error("restored; the old vault is left in '%s'", aside);
		r = SC_ERR_IO;
	}
out:
	free(aside);
	free(parent);
	return r;
}

int sc_backup_restore(struct sc_backup *b, const char *dest, int check_only, int force,
                      struct sc_backup_info *info)
{
	char *tmp = NULL;
	int occupied, r;

	if (b->payload == NULL || b->dek == NULL)
		return SC_ERR_LOCKED;
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		info->created_ms = b->h.created_ms;
		info->passphrase = sc_backup_needs_passphrase(b);
		info->bytes = b->h.payload_len;
		info->nslots = b->h.nslots;
	}
	if (!check_only) {
		if ((r = dest_state(dest, &occupied)) != SC_OK)
			return r;
		if (occupied && !force) {
			sc_set_error("'%s' is not empty (a vault is there?); give --force to "
			             "replace it",
			             dest);
			return SC_ERR_EXISTS;
		}
	}
	if ((tmp = temp_beside(dest, check_only ? "check" : "restore")) == NULL)
		return sc_last_error()[0] ? SC_ERR_IO : SC_ERR_NOMEM;
	if ((r = materialize(b, tmp)) != SC_OK || (r = check_vault(b, tmp, info)) != SC_OK)
		goto out;
	if (check_only)
		goto out;
	if ((r = install(tmp, dest, force)) == SC_OK) {
		free(tmp);
		return SC_OK;
	}
out:
	if (remove_flat(tmp) != 0 && r == SC_OK) {
		sc_set_error("cannot remove '%s'", tmp);
		r = SC_ERR_IO;
	}
	free(tmp);
	return r;
}
