/* relocate.c - move a vault directory to a new owner without decrypting
 * it (the dedicated run user's --migrate and --undo): every file copied
 * byte for byte under the database's write lock, read back and compared,
 * made durable, and only then the original removed. A failure before that
 * point leaves the original as it was and no copy behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/vault_int.h"

#define RELOCATE_FILES_MAX 64

/* A process other than us that holds path open: its pid, or 0. */
static long holder(const char *path)
{
	struct stat want, st;
	char fdp[PATH_MAX];
	struct dirent *p, *f;
	DIR *pd, *fd;
	long pid, found = 0;

	if (stat(path, &want) != 0 || (pd = opendir("/proc")) == NULL)
		return 0;
	while (found == 0 && (p = readdir(pd)) != NULL) {
		if ((pid = strtol(p->d_name, NULL, 10)) <= 0 || pid == (long)getpid())
			continue;
		snprintf(fdp, sizeof(fdp), "/proc/%ld/fd", pid);
		if ((fd = opendir(fdp)) == NULL)
			continue;
		while ((f = readdir(fd)) != NULL) {
			char lp[PATH_MAX];

			if (f->d_name[0] == '.')
				continue;
			snprintf(lp, sizeof(lp), "/proc/%ld/fd/%s", pid, f->d_name);
			if (stat(lp, &st) == 0 && st.st_dev == want.st_dev &&
			    st.st_ino == want.st_ino) {
				found = pid;
				break;
			}
		}
		closedir(fd);
	}
	closedir(pd);
	return found;
}

static int copy_one(int sdir, int ddir, const char *name, uid_t uid, gid_t gid)
{
	char a[65536], b[65536];
	ssize_t n, m;
	int in, out, r = SC_ERR_IO;

	if ((in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return sc_status_from_errno(errno);
	out = openat(ddir, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return sc_status_from_errno(errno);
	}
	while ((n = read(in, a, sizeof(a))) > 0)
		if (write(out, a, (size_t)n) != n)
			goto out;
	if (n < 0 || fchown(out, uid, gid) != 0 || fchmod(out, 0600) != 0 || fsync(out) != 0)
		goto out;
	/* read both back and compare: what was written is what was there */
	if (lseek(in, 0, SEEK_SET) != 0 || lseek(out, 0, SEEK_SET) != 0)
		goto out;
	for (;;) {
		n = read(in, a, sizeof(a));
		m = n > 0 ? read(out, b, (size_t)n) : read(out, b, 1);
		if (n < 0 || m != (n > 0 ? n : 0) || (n > 0 && memcmp(a, b, (size_t)n) != 0)) {
			sc_set_error("the copy of '%s' does not read back the same", name);
			r = SC_ERR_CORRUPT;
			goto out;
		}
		if (n == 0)
			break;
	}
	r = SC_OK;
out:
	if (r == SC_ERR_IO)
		sc_set_error("cannot copy '%s': %s", name, strerror(errno));
	close(in);
	close(out);
	return r;
}

/* The names to move (wal and shm are SQLite's, empty after the
 * checkpoint); anything but a plain file is refused. */
static int list_files(const char *dir, char names[][NAME_MAX + 1], size_t *n)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int dfd, r = SC_OK;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return sc_status_from_errno(errno);
	dfd = dirfd(d);
	while (r == SC_OK && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			r = sc_status_from_errno(errno);
			break;
		}
		if ((strcmp(e->d_name, "vault.db-wal") == 0 ||
		     strcmp(e->d_name, "vault.db-shm") == 0) &&
		    S_ISREG(st.st_mode) && (st.st_size == 0 || e->d_name[9] == 's'))
			continue;
		if (!S_ISREG(st.st_mode)) {
			sc_set_error("'%s/%s' is not a plain file; move it away first", dir,
			             e->d_name);
			r = SC_ERR_INVALID;
		} else if (*n == RELOCATE_FILES_MAX) {
			sc_set_error("'%s' holds more than %d files", dir, RELOCATE_FILES_MAX);
			r = SC_ERR_TOOBIG;
		} else {
			snprintf(names[(*n)++], NAME_MAX + 1, "%s", e->d_name);
		}
	}
	closedir(d);
	return r;
}

static void remove_files(const char *dir, char names[][NAME_MAX + 1], size_t n)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t i;

	if (dfd < 0)
		return;
	for (i = 0; i < n; i++)
		unlinkat(dfd, names[i], 0);
	unlinkat(dfd, "vault.db-shm", 0);
	unlinkat(dfd, "vault.db-wal", 0);
	close(dfd);
	rmdir(dir);
}

int sc_vault_relocate(const char *from, const char *to, uid_t uid, gid_t gid)
{
	static char names[RELOCATE_FILES_MAX][NAME_MAX + 1];
	char *db_path = sc_store_path_join(from, "vault.db");
	sqlite3 *db = NULL;
	size_t n = 0, i;
	int sdir = -1, ddir = -1, made = 0, r;
	long pid;

	if (db_path == NULL)
		return SC_ERR_NOMEM;
	if (access(db_path, F_OK) != 0) {
		sc_set_error("no vault at '%s'", from);
		r = SC_ERR_NO_VAULT;
		goto out;
	}
	if ((pid = holder(db_path)) != 0) {
		sc_set_error(
		    "the vault is open in process %ld (an unlocked agent? 'secretctl lock' "
		    "stops it)",
		    pid);
		r = SC_ERR_BUSY;
		goto out;
	}
	/* the database whole in its main file, and no writer until we are done */
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE); BEGIN EXCLUSIVE;", NULL, NULL,
	                 NULL) != SQLITE_OK) {
		sc_set_error("cannot lock the vault database: %s",
		             db != NULL ? sqlite3_errmsg(db) : "out of memory");
		r = SC_ERR_BUSY;
		goto out;
	}
	if ((r = list_files(from, names, &n)) != SC_OK)
		goto out;
	if (mkdir(to, 0700) != 0) {
		sc_set_error("cannot create '%s': %s", to, strerror(errno));
		r = errno == EEXIST ? SC_ERR_EXISTS : sc_status_from_errno(errno);
		goto out;
	}
	made = 1;
	if (chown(to, uid, gid) != 0 ||
	    (sdir = open(from, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (ddir = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		sc_set_error("cannot prepare '%s': %s", to, strerror(errno));
		r = sc_status_from_errno(errno);
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((r = copy_one(sdir, ddir, names[i], uid, gid)) != SC_OK)
			goto out;
	if (fsync(ddir) != 0) {
		r = sc_status_from_errno(errno);
		goto out;
	}
	r = SC_OK;
out:
	if (db != NULL) {
		sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	if (sdir >= 0)
		close(sdir);
	if (ddir >= 0)
		close(ddir);
	if (r != SC_OK && made)
		remove_files(to, names, n); /* nothing half-moved is left behind */
	else if (r == SC_OK)
		remove_files(from, names, n); /* the copy is whole and durable */
	free(db_path);
	return r;
}
