/* relocate.c - move a vault directory to a new owner without decrypting
 * it (the dedicated run user's --migrate and --undo): every file copied
 * byte for byte under the database's write lock, read back and compared,
 * made durable, and only then the original removed, when no process holds
 * it open and no file of it changed meanwhile (SQLite is not opened: root
 * never lets a library create files by a path others control). A failure
 * before that point leaves the original as it was and no copy behind.
 *
 * Root runs this on directories other users control, so every path is
 * opened once, with no symbolic link anywhere in it (openat2
 * RESOLVE_NO_SYMLINKS), and everything after goes through those
 * directory fds: a directory swapped for a symlink mid-way changes
 * nothing we touch. The source must belong to the expected uid; each of
 * its files too, with one link. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "store/vault_int.h"

#define RELOCATE_FILES_MAX 64

/* A directory at path, relative to dirfd, with no symlink on the way. */
static int open_dir(int dirfd, const char *path)
{
	struct open_how how;
	int fd;

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_NO_SYMLINKS;
	fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ELOOP)
		sc_set_error("'%s' has a symbolic link in it; name the real directory", path);
	else if (fd < 0 && errno == ENOSYS)
		sc_set_error("this kernel has no openat2 (Linux 5.6 or later is needed)");
	else if (fd < 0)
		sc_set_error("cannot open '%s': %s", path, strerror(errno));
	return fd;
}

/* Split "/a/b/c" into the parent's fd (no symlinks) and "c". */
static int open_parent(const char *path, char *base, size_t blen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (path[0] != '/' || slash == NULL || slash[1] == '\0' || strlen(slash + 1) >= blen ||
	    strcmp(slash + 1, ".") == 0 || strcmp(slash + 1, "..") == 0) {
		sc_set_error("'%s' is not an absolute directory path", path);
		errno = EINVAL;
		return -1;
	}
	n = (size_t)(slash - path);
	if (n >= sizeof(dir))
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (n == 0)
		memcpy(dir, "/", 2);
	memcpy(base, slash + 1, strlen(slash + 1) + 1);
	return open_dir(AT_FDCWD, dir);
}

/* A process other than us that holds the file (dev, ino) open: its pid,
 * or 0. */
static long holder(dev_t dev, ino_t ino)
{
	struct stat st;
	char fdp[64];
	struct dirent *p, *f;
	DIR *pd, *fd;
	long pid, found = 0;

	if ((pd = opendir("/proc")) == NULL)
		return 0;
	while (found == 0 && (p = readdir(pd)) != NULL) {
		if ((pid = strtol(p->d_name, NULL, 10)) <= 0 || pid == (long)getpid())
			continue;
		snprintf(fdp, sizeof(fdp), "/proc/%ld/fd", pid);
		if ((fd = opendir(fdp)) == NULL)
			continue;
		while ((f = readdir(fd)) != NULL) {
			char lp[320];

			if (f->d_name[0] == '.')
				continue;
			snprintf(lp, sizeof(lp), "/proc/%ld/fd/%s", pid, f->d_name);
			if (stat(lp, &st) == 0 && st.st_dev == dev && st.st_ino == ino) {
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
 * checkpoint): plain files of the expected owner with one link each;
 * anything else is refused. */
static int list_files(int sdir, uid_t owner, char names[][NAME_MAX + 1], struct stat *sts,
                      size_t *n)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int dfd, r = SC_OK;

	*n = 0;
	if ((dfd = dup(sdir)) < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		return sc_status_from_errno(errno);
	}
	rewinddir(d); /* the dup shares its offset with sdir: from the start */
	while (r == SC_OK && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(sdir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			r = sc_status_from_errno(errno);
			break;
		}
		/* SQLite's shared-memory index is rebuilt from the log; an empty
		 * log is no part of the vault */
		if (S_ISREG(st.st_mode) &&
		    (strcmp(e->d_name, "vault.db-shm") == 0 ||
		     (strcmp(e->d_name, "vault.db-wal") == 0 && st.st_size == 0)))
			continue;
		if (!S_ISREG(st.st_mode)) {
			sc_set_error("'%s' is not a plain file; move it away first", e->d_name);
			r = SC_ERR_INVALID;
		} else if (st.st_uid != owner || st.st_nlink != 1) {
			sc_set_error(
			    "'%s' is not the vault owner's own file (owner uid %lu, %lu links)",
			    e->d_name, (unsigned long)st.st_uid, (unsigned long)st.st_nlink);
			r = SC_ERR_PERM;
		} else if (*n == RELOCATE_FILES_MAX) {
			sc_set_error("the vault directory holds more than %d files",
			             RELOCATE_FILES_MAX);
			r = SC_ERR_TOOBIG;
		} else {
			sts[*n] = st;
			snprintf(names[(*n)++], NAME_MAX + 1, "%s", e->d_name);
		}
	}
	closedir(d);
	return r;
}

/* Whether any file changed since it was listed, or appeared. */
static int changed(int sdir, uid_t owner, char names[][NAME_MAX + 1], const struct stat *sts,
                   size_t n)
{
	static char again[RELOCATE_FILES_MAX][NAME_MAX + 1];
	static struct stat now[RELOCATE_FILES_MAX];
	size_t i, m = 0;

	if (list_files(sdir, owner, again, now, &m) != SC_OK || m != n)
		return 1;
	for (i = 0; i < n; i++)
		if (strcmp(again[i], names[i]) != 0 || now[i].st_ino != sts[i].st_ino ||
		    now[i].st_size != sts[i].st_size ||
		    now[i].st_mtim.tv_sec != sts[i].st_mtim.tv_sec ||
		    now[i].st_mtim.tv_nsec != sts[i].st_mtim.tv_nsec)
			return 1;
	return 0;
}

/* Remove the files and the directory base (under parent) that is dir. */
static void remove_dir(int parent, const char *base, int dir, char names[][NAME_MAX + 1], size_t n)
{
	struct stat a, b;
	size_t i;

	for (i = 0; i < n; i++)
		unlinkat(dir, names[i], 0);
	unlinkat(dir, "vault.db-shm", 0);
	unlinkat(dir, "vault.db-wal", 0);
	/* only the very directory we emptied */
	if (fstat(dir, &a) == 0 && fstatat(parent, base, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		unlinkat(parent, base, AT_REMOVEDIR);
}

int sc_vault_relocate(const char *from, uid_t from_uid, const char *to, uid_t uid, gid_t gid)
{
	static char names[RELOCATE_FILES_MAX][NAME_MAX + 1];
	static struct stat sts[RELOCATE_FILES_MAX];
	char sbase[NAME_MAX + 1], dbase[NAME_MAX + 1];
	struct stat st;
	size_t n = 0, i;
	int sparent = -1, sdir = -1, dparent = -1, ddir = -1, made = 0, r = SC_ERR_IO;
	long pid;

	if ((sparent = open_parent(from, sbase, sizeof(sbase))) < 0 ||
	    (sdir = open_dir(sparent, sbase)) < 0) {
		r = errno == ENOENT ? SC_ERR_NO_VAULT : errno == ELOOP ? SC_ERR_PERM : SC_ERR_IO;
		goto out;
	}
	if (fstat(sdir, &st) != 0 || st.st_uid != from_uid || (st.st_mode & 022) != 0) {
		sc_set_error("'%s' is not a directory of uid %lu closed to others", from,
		             (unsigned long)from_uid);
		r = SC_ERR_PERM;
		goto out;
	}
	if (fstatat(sdir, "vault.db", &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
		sc_set_error("no vault at '%s'", from);
		r = SC_ERR_NO_VAULT;
		goto out;
	}
	if ((pid = holder(st.st_dev, st.st_ino)) != 0) {
		sc_set_error(
		    "the vault is open in process %ld (an unlocked agent? 'secretctl lock' "
		    "stops it)",
		    pid);
		r = SC_ERR_BUSY;
		goto out;
	}
	if ((r = list_files(sdir, from_uid, names, sts, &n)) != SC_OK)
		goto out;
	if ((dparent = open_parent(to, dbase, sizeof(dbase))) < 0) {
		r = errno == ELOOP ? SC_ERR_PERM : SC_ERR_IO;
		goto out;
	}
	if (fstat(dparent, &st) != 0 || (st.st_uid != 0 && st.st_uid != uid) ||
	    (st.st_mode & 022) != 0) {
		sc_set_error(
		    "the directory that would hold '%s' is neither root's nor uid %lu's, or "
		    "others may write in it",
		    to, (unsigned long)uid);
		r = SC_ERR_PERM;
		goto out;
	}
	if (mkdirat(dparent, dbase, 0700) != 0) {
		sc_set_error("cannot create '%s': %s", to, strerror(errno));
		r = errno == EEXIST ? SC_ERR_EXISTS : sc_status_from_errno(errno);
		goto out;
	}
	made = 1;
	if ((ddir = openat(dparent, dbase, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fchown(ddir, uid, gid) != 0 || fchmod(ddir, 0700) != 0) {
		sc_set_error("cannot prepare '%s': %s", to, strerror(errno));
		r = sc_status_from_errno(errno);
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((r = copy_one(sdir, ddir, names[i], uid, gid)) != SC_OK)
			goto out;
	if (fsync(ddir) != 0 || fsync(dparent) != 0) {
		r = sc_status_from_errno(errno);
		goto out;
	}
	/* nobody wrote to it while we copied, nobody holds it now */
	if (changed(sdir, from_uid, names, sts, n) ||
	    (fstatat(sdir, "vault.db", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	     holder(st.st_dev, st.st_ino) != 0)) {
		sc_set_error(
		    "the vault changed or was opened while it was copied; nothing was moved: "
		    "try again with no secretctl running on it");
		r = SC_ERR_BUSY;
		goto out;
	}
	r = SC_OK;
out:
	if (r != SC_OK && made && ddir >= 0)
		remove_dir(dparent, dbase, ddir, names, n); /* nothing half-moved is left behind */
	else if (r != SC_OK && made)
		unlinkat(dparent, dbase, AT_REMOVEDIR);
	else if (r == SC_OK)
		remove_dir(sparent, sbase, sdir, names, n); /* the copy is whole and durable */
	if (ddir >= 0)
		close(ddir);
	if (dparent >= 0)
		close(dparent);
	if (sdir >= 0)
		close(sdir);
	if (sparent >= 0)
		close(sparent);
	return r;
}
