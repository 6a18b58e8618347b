/* file.c - the audit files: opening and locking the log and the pending
 * file, reading lines forward, and the reader behind `audit show`. */
#include "secretctl/fault.h"
#include "audit/audit_int.h"

/* ---- the file: opening, locking ---- */

char *sc_audit_log_path(const char *dir)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, SC_AUDIT_FILE) < 0)
		return NULL;
	return p;
}

static int check_fd(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		sc_set_error("'%s': %s", path, strerror(errno));
		return SC_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		sc_set_error("'%s' is not a regular file", path);
		return SC_ERR_PERM;
	}
	if (st.st_uid != geteuid()) {
		sc_set_error("'%s' is owned by uid %u, not by you", path, (unsigned)st.st_uid);
		return SC_ERR_PERM;
	}
	if ((st.st_mode & 077) != 0) {
		sc_set_error("'%s' is accessible by group or others; fix with: chmod 600 '%s'",
		             path, path);
		return SC_ERR_PERM;
	}
	return SC_OK;
}

int sc_audit_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = SC_OK;

	if (sc_fault_hit(SC_FAULT_IO))
		return SC_ERR_IO;
	if (fd < 0 || fsync(fd) != 0) {
		sc_set_error("cannot sync '%s': %s", dir, strerror(errno));
		r = sc_status_from_errno(errno);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/* Open the log and lock it (LOCK_EX or LOCK_SH). A prune renames a new file
 * into place while others may wait for the old one's lock; whoever gets a
 * lock checks that its file is still the one at the path. *fd is -1 when the
 * log does not exist and create is not set. */
int sc_audit_log_open(const char *dir, int create, int lock, int *fd, int *created)
{
	char *path = sc_audit_log_path(dir);
	struct stat a, b;
	int tries, f = -1, r = SC_ERR_BUSY, mode = lock == LOCK_EX ? O_RDWR | O_APPEND : O_RDONLY;

	*fd = -1;
	if (created != NULL)
		*created = 0;
	if (path == NULL)
		return SC_ERR_NOMEM;
	for (tries = 0; tries < 100; tries++) {
		f = open(path, mode | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
		if (f < 0 && errno == ENOENT && create) {
			f = open(path, mode | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
			         0600);
			if (f < 0 && errno == EEXIST)
				continue;
			if (f >= 0 && created != NULL)
				*created = 1;
		}
		if (f < 0) {
			if (errno == ENOENT && !create) {
				r = SC_OK;
				goto out;
			}
			r = errno == ELOOP ? SC_ERR_PERM : sc_status_from_errno(errno);
			sc_set_error("'%s': %s", path,
			             errno == ELOOP ? "is a symbolic link; refused"
			                            : strerror(errno));
			goto out;
		}
		if ((r = check_fd(f, path)) != SC_OK)
			goto out;
		while (flock(f, lock) != 0) {
			if (errno != EINTR) {
				sc_set_error("cannot lock '%s': %s", path, strerror(errno));
				r = SC_ERR_IO;
				goto out;
			}
		}
		if (fstat(f, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			*fd = f;
			f = -1;
			r = SC_OK;
			goto out;
		}
		close(f); /* replaced while we waited: take the new one */
		f = -1;
		if (created != NULL)
			*created = 0;
	}
	sc_set_error("'%s' keeps being replaced", path);
	r = SC_ERR_BUSY;
out:
	if (f >= 0)
		close(f);
	free(path);
	return r;
}

int sc_audit_write_all(int fd, const char *p, size_t n)
{
	if (sc_fault_hit(SC_FAULT_IO | SC_FAULT_AUDIT)) {
		sc_set_error("cannot write the audit log: %s", strerror(EIO));
		return SC_ERR_IO;
	}
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int st = k < 0 ? sc_status_from_errno(errno) : SC_ERR_IO;

			sc_set_error("cannot write the audit log: %s",
			             k < 0 ? strerror(errno) : "short write");
			return st;
		}
		p += k;
		n -= (size_t)k;
	}
	return SC_OK;
}

int sc_audit_pread_all(int fd, char *buf, size_t n, off_t off)
{
	if (sc_fault_hit(SC_FAULT_IO))
		return SC_ERR_IO;
	while (n > 0) {
		ssize_t k = pread(fd, buf, n, off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			sc_set_error("cannot read the audit log: %s",
			             k < 0 ? strerror(errno) : "file changed while reading");
			return SC_ERR_IO;
		}
		buf += k;
		n -= (size_t)k;
		off += k;
	}
	return SC_OK;
}

/* The side file of failed unlocks: opened (created when asked) and checked
 * like the log. The caller holds the log's lock. *fd is -1 when absent. */
int sc_audit_pending_open(const char *dir, int create, int *fd, int *created)
{
	char *path;
	int f, r;

	*fd = -1;
	*created = 0;
	if (asprintf(&path, "%s/%s", dir, SC_AUDIT_PENDING_FILE) < 0)
		return SC_ERR_NOMEM;
	f = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (f < 0 && errno == ENOENT && create) {
		f = open(path,
		         O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
		         0600);
		*created = f >= 0;
	}
	if (f < 0) {
		r = errno == ENOENT ? SC_OK : errno == ELOOP ? SC_ERR_PERM : SC_ERR_IO;
		if (r != SC_OK)
			sc_set_error("'%s': %s", path,
			             errno == ELOOP ? "is a symbolic link; refused"
			                            : strerror(errno));
		free(path);
		return r;
	}
	if ((r = check_fd(f, path)) != SC_OK) {
		close(f);
		free(path);
		return r;
	}
	free(path);
	*fd = f;
	return SC_OK;
}

/* ---- the file: reading forward ---- */

int sc_audit_lines_init(struct lines *l, int fd)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	if ((l->buf = malloc(READ_CHUNK + SC_AUDIT_LINE_MAX + 2)) == NULL)
		return SC_ERR_NOMEM;
	if (fd < 0)
		l->eof = 1;
	return SC_OK;
}

void sc_audit_lines_release(struct lines *l)
{
	free(l->buf);
	l->buf = NULL;
}

/* The next line without its newline. SC_OK with *complete 0 for a last line
 * with no newline (an interrupted append); SC_ERR_NOT_FOUND at the end;
 * SC_ERR_TOOBIG for a line over the limit. */
int sc_audit_lines_next(struct lines *l, const char **line, size_t *len, int *complete)
{
	char *nl;

	for (;;) {
		nl = l->n > 0 ? memchr(l->buf + l->start, '\n', l->n) : NULL;
		if (nl != NULL) {
			*line = l->buf + l->start;
			*len = (size_t)(nl - *line);
			*complete = 1;
			l->start += *len + 1;
			l->n -= *len + 1;
			l->lineno++;
			l->off += (off_t)*len + 1;
			return *len > SC_AUDIT_LINE_MAX ? SC_ERR_TOOBIG : SC_OK;
		}
		if (l->n > SC_AUDIT_LINE_MAX) {
			l->lineno++;
			return SC_ERR_TOOBIG;
		}
		if (l->eof) {
			if (l->n == 0)
				return SC_ERR_NOT_FOUND;
			*line = l->buf + l->start;
			*len = l->n;
			*complete = 0;
			l->start += l->n;
			l->off += (off_t)l->n;
			l->n = 0;
			l->lineno++;
			return SC_OK;
		}
		if (l->start > 0) {
			memmove(l->buf, l->buf + l->start, l->n);
			l->start = 0;
		}
		for (;;) {
			ssize_t k = read(l->fd, l->buf + l->n, READ_CHUNK);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				sc_set_error("cannot read the audit log: %s", strerror(errno));
				return SC_ERR_IO;
			}
			if (k == 0)
				l->eof = 1;
			l->n += (size_t)k;
			break;
		}
	}
}

/* How many failed unlocks wait in audit.pending (for reports only). */
uint64_t sc_audit_count_pending(const char *dir)
{
	struct lines l;
	const char *line;
	size_t len;
	uint64_t n = 0;
	int fd, created, complete;

	if (sc_audit_pending_open(dir, 0, &fd, &created) != SC_OK || fd < 0)
		return 0;
	if (sc_audit_lines_init(&l, fd) == SC_OK) {
		while (sc_audit_lines_next(&l, &line, &len, &complete) != SC_ERR_NOT_FOUND)
			n++;
		sc_audit_lines_release(&l);
	}
	close(fd);
	sc_clear_error();
	return n;
}

/* ---- reading ---- */

struct sc_audit_reader {
	int fd;
	struct lines l;
};

int sc_audit_reader_open(const char *vault_dir, struct sc_audit_reader **out)
{
	struct sc_audit_reader *rd;
	int r;

	*out = NULL;
	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_audit_log_open(vault_dir, 0, LOCK_SH, &rd->fd, NULL)) != SC_OK ||
	    (r = sc_audit_lines_init(&rd->l, rd->fd)) != SC_OK) {
		if (rd->fd >= 0)
			close(rd->fd);
		free(rd);
		return r;
	}
	*out = rd;
	return SC_OK;
}

int sc_audit_reader_next(struct sc_audit_reader *rd, struct sc_audit_entry *e)
{
	const char *line;
	size_t len;
	int complete, r;

	r = sc_audit_lines_next(&rd->l, &line, &len, &complete);
	if (r == SC_ERR_TOOBIG) {
		sc_set_error("audit log line %llu is longer than %d bytes",
		             (unsigned long long)rd->l.lineno, SC_AUDIT_LINE_MAX);
		return SC_ERR_CORRUPT;
	}
	if (r != SC_OK)
		return r;
	if (!complete)
		return SC_ERR_NOT_FOUND; /* an interrupted append: not an entry */
	if ((r = sc_audit_parse_line(line, len, e)) != SC_OK) {
		char why[128];

		snprintf(why, sizeof(why), "%s", sc_last_error());
		sc_set_error("audit log line %llu does not parse (%s)",
		             (unsigned long long)rd->l.lineno, why);
	}
	return r;
}

void sc_audit_reader_free(struct sc_audit_reader *rd)
{
	if (rd == NULL)
		return;
	if (rd->fd >= 0)
		close(rd->fd);
	sc_audit_lines_release(&rd->l);
	free(rd);
}

int sc_audit_lock_shared(const char *vault_dir, int *fd)
{
	return sc_audit_log_open(vault_dir, 0, LOCK_SH, fd, NULL);
}
