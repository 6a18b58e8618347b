/* faultshim.c - an LD_PRELOAD shim for the fault tests: fails the Nth call
 * of write, pwrite(64), fsync, fdatasync, rename, ftruncate(64) with EIO or
 * ENOSPC, optionally only on paths matching a pattern.
 *
 *   SC_FAULT_N=N          fail the Nth counted call (1-based; 0 or unset:
 *                         fail none, only count)
 *   SC_FAULT_ERRNO=E      EIO (default), ENOSPC, EROFS or EDQUOT
 *   SC_FAULT_CALLS=a,b    which functions count (default: all of them;
 *                         pwrite covers pwrite64, ftruncate ftruncate64)
 *   SC_FAULT_PATH=GLOB    count only calls on paths matching GLOB (fnmatch,
 *                         e.g. '*' '/audit.log'); fd calls are resolved
 *                         through /proc/self/fd
 *   SC_FAULT_STICKY=1     fail every counted call from the Nth on (a disk
 *                         that stays full), not just the Nth
 *   SC_FAULT_COUNT=FILE   at exit, write the number of counted calls there
 *   SC_FAULT_LOG=FILE     append "N func path" for the failed call(s)
 *   SC_FAULT_SEND_DELAY_MS=MS
 *                         sleep that long before each sendmsg() on a Unix
 *                         socket: a peer that answers and closes at once
 *                         (the agent refusing a connection) has then closed
 *                         before the request goes out (EPIPE)
 *   SC_FAULT_TIME_SHIFT=S time() answers S seconds later than the clock (a
 *                         scheduled key destruction made due without waiting)
 *
 * Only regular files and directories count (never a pipe or a terminal:
 * the command's own messages must get out). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* the shim's own prototypes (it exports libc's names) */
ssize_t write(int fd, const void *buf, size_t n);
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off);
int fsync(int fd);
int fdatasync(int fd);
int rename(const char *from, const char *to);
int ftruncate(int fd, off_t len);
int ftruncate64(int fd, off64_t len);
ssize_t sendmsg(int fd, const struct msghdr *m, int flags);
time_t time(time_t *t);

static long fail_at = -1, calls;
static int fail_errno = EIO, sticky, inited;
static const char *only_calls, *path_glob, *count_file, *log_file;

static void init(void)
{
	const char *s;

	if (inited)
		return;
	inited = 1;
	if ((s = getenv("SC_FAULT_N")) != NULL && atol(s) > 0)
		fail_at = atol(s);
	if ((s = getenv("SC_FAULT_ERRNO")) != NULL) {
		if (strcmp(s, "ENOSPC") == 0)
			fail_errno = ENOSPC;
		else if (strcmp(s, "EROFS") == 0)
			fail_errno = EROFS;
		else if (strcmp(s, "EDQUOT") == 0)
			fail_errno = EDQUOT;
	}
	sticky = (s = getenv("SC_FAULT_STICKY")) != NULL && strcmp(s, "1") == 0;
	only_calls = getenv("SC_FAULT_CALLS");
	path_glob = getenv("SC_FAULT_PATH");
	count_file = getenv("SC_FAULT_COUNT");
	log_file = getenv("SC_FAULT_LOG");
}

__attribute__((destructor)) static void report(void)
{
	FILE *f;

	if (count_file == NULL || (f = fopen(count_file, "w")) == NULL)
		return;
	fprintf(f, "%ld\n", calls);
	fclose(f);
}

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* "pwrite" in SC_FAULT_CALLS selects pwrite and pwrite64 alike. */
static int selected(const char *fn)
{
	const char *p;
	size_t n;

	if (only_calls == NULL || *only_calls == '\0')
		return 1;
	for (p = only_calls; *p != '\0'; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		if (n > 0 && strncmp(fn, p, n) == 0 && (fn[n] == '\0' || strcmp(fn + n, "64") == 0))
			return 1;
	}
	return 0;
}

static int fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	struct stat st;
	ssize_t k;

	if (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return -1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((k = readlink(link, buf, len - 1)) < 0)
		return -1;
	buf[k] = '\0';
	return 0;
}

static void log_fault(const char *fn, const char *path)
{
	int fd, saved = errno;
	char line[4200];
	int n;
	ssize_t (*real_write)(int, const void *, size_t) = next("write");

	if (log_file == NULL)
		return;
	if ((fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return;
	n = snprintf(line, sizeof(line), "%ld %s %s\n", calls, fn, path);
	if (n > 0 && real_write != NULL)
		(void)!real_write(fd, line,
		                  (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	close(fd);
	errno = saved;
}

/* Whether this call fails: counts it when it is one that counts. */
static int should_fail(const char *fn, int fd, const char *path)
{
	char buf[4096];

	init();
	if (!selected(fn))
		return 0;
	if (path == NULL) {
		if (fd_path(fd, buf, sizeof(buf)) != 0)
			return 0;
		path = buf;
	}
	if (path_glob != NULL && *path_glob != '\0' && fnmatch(path_glob, path, 0) != 0)
		return 0;
	calls++;
	if (fail_at <= 0 || calls < fail_at || (!sticky && calls != fail_at))
		return 0;
	log_fault(fn, path);
	errno = fail_errno;
	return 1;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (real == NULL)
		real = next("write");
	if (should_fail("write", fd, NULL))
		return -1;
	return real(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);

	if (real == NULL)
		real = next("pwrite");
	if (should_fail("pwrite", fd, NULL))
		return -1;
	return real(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off64_t);

	if (real == NULL)
		real = next("pwrite64");
	if (should_fail("pwrite64", fd, NULL))
		return -1;
	return real(fd, buf, n, off);
}

int fsync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = next("fsync");
	if (should_fail("fsync", fd, NULL))
		return -1;
	return real(fd);
}

int fdatasync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = next("fdatasync");
	if (should_fail("fdatasync", fd, NULL))
		return -1;
	return real(fd);
}

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);

	if (real == NULL)
		real = next("rename");
	if (should_fail("rename", -1, to))
		return -1;
	return real(from, to);
}

int ftruncate(int fd, off_t len)
{
	static int (*real)(int, off_t);

	if (real == NULL)
		real = next("ftruncate");
	if (should_fail("ftruncate", fd, NULL))
		return -1;
	return real(fd, len);
}

int ftruncate64(int fd, off64_t len)
{
	static int (*real)(int, off64_t);

	if (real == NULL)
		real = next("ftruncate64");
	if (should_fail("ftruncate64", fd, NULL))
		return -1;
	return real(fd, len);
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);
	const char *d = getenv("SC_FAULT_SEND_DELAY_MS");
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (real == NULL)
		real = next("sendmsg");
	if (d != NULL && atol(d) > 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    ss.ss_family == AF_UNIX) {
		long ms = atol(d);
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}
	return real(fd, m, flags);
}

time_t time(time_t *t)
{
	static time_t (*real)(time_t *);
	const char *s = getenv("SC_FAULT_TIME_SHIFT");
	time_t now;

	if (real == NULL)
		real = (time_t(*)(time_t *))next("time");
	now = real(NULL);
	if (s != NULL)
		now += (time_t)atol(s);
	if (t != NULL)
		*t = now;
	return now;
}
