/* test_confine.c - confinement of a run's child (bubblewrap + Landlock +
 * seccomp): this binary is both the helper step and the probe that runs
 * inside the sandbox and reports what it could reach. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "secretctl/confine.h"

extern char **environ;

#define MARKER_VAR "SC_PROBE_SECRET"

/* ===================================================================== */
/* The probe: runs inside the sandbox, prints key=value lines, never the
 * marker itself. */

static const char *marker(void)
{
	const char *m = getenv(MARKER_VAR);

	return m != NULL ? m : "";
}

static int has_marker(const char *buf, size_t n)
{
	const char *m = marker();
	size_t ml = strlen(m), i;

	if (ml == 0 || n < ml)
		return 0;
	for (i = 0; i + ml <= n; i++)
		if (memcmp(buf + i, m, ml) == 0)
			return 1;
	return 0;
}

/* 1 when reading path yields the marker; 0 when it opens but does not;
 * -1 when it cannot be opened or read. */
static int read_has_marker(const char *path)
{
	static char buf[1 << 20];
	ssize_t n = 0;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len == 0 && n < 0)
		return -1;
	return has_marker(buf, len);
}

static const char *ename(int e)
{
	switch (e) {
	case 0:
		return "ok";
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case EROFS:
		return "EROFS";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ENETUNREACH:
		return "ENETUNREACH";
	case ESRCH:
		return "ESRCH";
	default:
		return "other";
	}
}

/* Walk a /proc subtree reading every file; count the files that hold the
 * marker and those that could be read at all. */
static void walk(const char *dir, int depth, int *hits, int *readable)
{
	char p[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r;

	if (depth > 3 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &st) != 0)
			continue;
		if (strcmp(de->d_name, "pagemap") == 0 || strcmp(de->d_name, "clear_refs") == 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(p, depth + 1, hits, readable);
		} else if (S_ISREG(st.st_mode)) {
			r = read_has_marker(p);
			if (r >= 0)
				(*readable)++;
			if (r > 0)
				(*hits)++;
		}
	}
	closedir(d);
}

static int probe_environ(void)
{
	static const char *const direct[] = {"/proc/self/environ",
	                                     "/proc/thread-self/environ",
	                                     "/proc/1/environ",
	                                     "/dev/fd/../environ",
	                                     "/proc/self/cwd/../../proc/self/environ",
	                                     NULL};
	char p[512], buf[256];
	int i, hits = 0, opened = 0, readable = 0, fds[2], fd;
	pid_t kid;
	const char *m = marker();
	struct iovec local, remote;
	DIR *d;
	struct dirent *de;

	if (pipe(fds) != 0)
		return 1;
	/* a sibling process holding the same environment */
	kid = fork();
	if (kid == 0) {
		char c;

		close(fds[1]);
		(void)!read(fds[0], &c, 1);
		_exit(0);
	}
	close(fds[0]);
	for (i = 0; direct[i] != NULL; i++) {
		int r = read_has_marker(direct[i]);

		opened += r >= 0;
		hits += r > 0;
	}
	snprintf(p, sizeof(p), "/proc/%d/environ", (int)getppid());
	opened += read_has_marker(p) >= 0;
	snprintf(p, sizeof(p), "/proc/%d/environ", (int)kid);
	{
		int r = read_has_marker(p);

		opened += r >= 0;
		hits += r > 0;
	}
	/* every process there is; and every file of each, when there are
	 * few (inside a sandbox) */
	if ((d = opendir("/proc")) != NULL) {
		int npids = 0;

		while ((de = readdir(d)) != NULL)
			npids += de->d_name[0] >= '0' && de->d_name[0] <= '9';
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			int r;

			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			snprintf(p, sizeof(p), "/proc/%s/environ", de->d_name);
			r = read_has_marker(p);
			opened += r >= 0;
			hits += r > 0;
			if (npids > 16)
				continue;
			snprintf(p, sizeof(p), "/proc/%s", de->d_name);
			walk(p, 0, &hits, &readable);
		}
		closedir(d);
	}
	walk("/proc/self", 0, &hits, &readable);
	walk("/proc/thread-self", 0, &hits, &readable);
	/* the value's bytes in memory, through /proc/PID/mem */
	fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		opened++;
		if (pread(fd, buf, strlen(m), (off_t)(uintptr_t)m) == (ssize_t)strlen(m) &&
		    memcmp(buf, m, strlen(m)) == 0)
			hits++;
		close(fd);
	}
	/* ... and the sibling's, with process_vm_readv and ptrace */
	local.iov_base = buf;
	local.iov_len = strlen(m);
	remote.iov_base = (void *)m;
	remote.iov_len = strlen(m);
	errno = 0;
	if (process_vm_readv(kid, &local, 1, &remote, 1, 0) == (ssize_t)strlen(m) &&
	    memcmp(buf, m, strlen(m)) == 0)
		hits++;
	printf("vm_readv=%s\n", ename(errno));
	errno = 0;
	printf("ptrace=%s\n", ptrace(PTRACE_ATTACH, kid, 0, 0) == 0 ? "ok" : ename(errno));
	(void)!write(fds[1], "x", 1);
	close(fds[1]);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	printf("environ_opened=%d\nmarker_hits=%d\nproc_readable=%d\n", opened, hits, readable);
	return 0;
}

/* Processes: how many are visible, and is any of them the given program? */
static int probe_procs(const char *exe, const char *host_pid)
{
	char p[512], link[4096];
	struct dirent *de;
	int n = 0, seen = 0;
	ssize_t k;
	DIR *d = opendir("/proc");

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			n++;
			snprintf(p, sizeof(p), "/proc/%s/exe", de->d_name);
			k = readlink(p, link, sizeof(link) - 1);
			if (k > 0) {
				link[k] = '\0';
				seen += strcmp(link, exe) == 0;
			}
		}
		closedir(d);
	}
	errno = 0;
	printf("pids=%d\nexe_seen=%d\nkill_host=%s\n", n, seen,
	       kill((pid_t)atoi(host_pid), 0) == 0 ? "ok" : ename(errno));
	return 0;
}

static int probe_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return 1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	errno = 0;
	printf("connect=%s\n",
	       connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? "ok" : ename(errno));
	return 0;
}

static int probe_tcp(const char *port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(port));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	errno = 0;
	printf("tcp=%s\n",
	       connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? "ok" : ename(errno));
	return 0;
}

static int probe_write(const char *path)
{
	int fd;

	errno = 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	printf("write=%s\n", fd >= 0 ? "ok" : ename(errno));
	if (fd >= 0) {
		(void)!write(fd, "x", 1);
		close(fd);
	}
	return 0;
}

static int probe_stat(const char *path)
{
	struct stat st;

	errno = 0;
	printf("stat=%s\n", stat(path, &st) == 0 ? "ok" : ename(errno));
	return 0;
}

/* setsid + double fork: a grandchild in its own session holds a lock on
 * lockfile (and writes its pid there) for 30 s; the probe exits at once,
 * or sleeps for `then_sleep` seconds. */
static int probe_escape(const char *lockfile, int then_sleep)
{
	int ready[2];
	pid_t k;
	char c;

	if (pipe(ready) != 0)
		return 1;
	k = fork();
	if (k == 0) {
		setsid();
		if (fork() == 0) {
			char num[32];
			int fd = open(lockfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

			if (fd < 0 || flock(fd, LOCK_EX) != 0)
				_exit(1);
			snprintf(num, sizeof(num), "%d\n", (int)getpid());
			(void)!write(fd, num, strlen(num));
			(void)!write(ready[1], "r", 1);
			sleep(30);
			_exit(0);
		}
		_exit(0);
	}
	close(ready[1]);
	waitpid(k, NULL, 0);
	printf("escape=%s\n", read(ready[0], &c, 1) == 1 ? "locked" : "failed");
	fflush(stdout);
	if (then_sleep)
		sleep((unsigned)then_sleep);
	return 0;
}

static int probe_main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";

		if (strcmp(a, "environ") == 0) {
			probe_environ();
		} else if (strcmp(a, "procs") == 0 && i + 2 < argc) {
			probe_procs(v, argv[i + 2]);
			i += 2;
		} else if (strcmp(a, "connect") == 0) {
			probe_connect(v);
			i++;
		} else if (strcmp(a, "tcp") == 0) {
			probe_tcp(v);
			i++;
		} else if (strcmp(a, "write") == 0) {
			probe_write(v);
			i++;
		} else if (strcmp(a, "stat") == 0) {
			probe_stat(v);
			i++;
		} else if (strcmp(a, "escape") == 0) {
			probe_escape(v, 0);
			i++;
		} else if (strcmp(a, "escape-sleep") == 0) {
			probe_escape(v, 30);
			i++;
		} else if (strcmp(a, "true") == 0) {
			;
		} else {
			printf("unknown=%s\n", a);
			return 2;
		}
	}
	return 0;
}

/* ===================================================================== */
/* The tests: outside the sandbox. */

static char self_path[4096];
static char tdir[4096];
static char marker_env[128];

static void mkpath(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void mkpath(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, n, fmt, ap);
	va_end(ap);
}

struct run {
	struct sc_exec_result res;
	char out[65536];
	int status;
	enum sc_confine_level level;
	char why[512];
};

/* Run this binary's probe with args, confined by c (NULL: unconfined). */
static void run_probe(const struct sc_confine_opts *c, const char *const *args, uint32_t timeout_ms,
                      int ctl_fd, struct run *rn)
{
	char *argv[32];
	char *envp[] = {(char *)"PATH=/usr/bin:/bin", marker_env, NULL};
	struct sc_exec_opts o;
	struct sc_confine *hold = NULL;
	char *why = NULL;
	size_t i, k = 0;
	int r;

	memset(rn, 0, sizeof(*rn));
	argv[k++] = (char *)"probe";
	argv[k++] = (char *)"__probe";
	for (i = 0; args[i] != NULL && k < 31; i++)
		argv[k++] = (char *)args[i];
	argv[k] = NULL;
	sc_exec_opts_init(&o);
	o.path = self_path;
	o.argv = argv;
	o.envp = envp;
	o.cwd = tdir;
	o.capture_max = sizeof(rn->out) - 1;
	o.timeout_ms = timeout_ms;
	o.grace_ms = 200;
	o.ctl_fd = ctl_fd;
	if (c != NULL) {
		r = sc_confine_exec_opts(c, &o, &hold, &why);
		if (why != NULL)
			snprintf(rn->why, sizeof(rn->why), "%s", why);
		free(why);
		if (r != SC_OK) {
			rn->status = r;
			return;
		}
		rn->level = sc_confine_level(hold);
	}
	rn->status = sc_exec_run(&o, &rn->res);
	if (rn->res.out_len > 0)
		memcpy(rn->out, rn->res.out, rn->res.out_len);
	rn->out[rn->res.out_len] = '\0';
	if (rn->res.err_len > 0)
		fprintf(stderr, "probe stderr: %.*s\n", (int)rn->res.err_len, rn->res.err);
	sc_exec_result_release(&rn->res);
	sc_confine_free(hold);
}

/* The value of key=... in the probe's output ("" when absent). */
static const char *val(const struct run *rn, const char *key)
{
	static char v[256];
	const char *p = rn->out;
	size_t kl = strlen(key);

	v[0] = '\0';
	while (p != NULL && *p) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			const char *e = strchr(p + kl + 1, '\n');
			size_t n = e ? (size_t)(e - p - kl - 1) : strlen(p + kl + 1);

			if (n >= sizeof(v))
				n = sizeof(v) - 1;
			memcpy(v, p + kl + 1, n);
			v[n] = '\0';
			return v;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return v;
}

static int setup(void **state)
{
	(void)state;
	sc_confine_test_override(-1, -1);
	return 0;
}

static void full_opts(struct sc_confine_opts *c)
{
	memset(c, 0, sizeof(*c));
}

/* Without confinement the probe does read the environments: it can see. */
static void test_probe_sees_unconfined(void **state)
{
	const char *args[] = {"environ", NULL};
	struct run rn;

	(void)state;
	run_probe(NULL, args, 20000, -1, &rn);
	assert_int_equal(rn.status, SC_OK);
	assert_int_equal(rn.res.exit_code, 0);
	assert_true(atoi(val(&rn, "marker_hits")) >= 3);
	assert_string_equal(val(&rn, "vm_readv"), "ok");
}

static void check_no_environ(const struct sc_confine_opts *c, enum sc_confine_level want)
{
	const char *args[] = {"environ", NULL};
	struct run rn;

	run_probe(c, args, 20000, -1, &rn);
	assert_int_equal(rn.status, SC_OK);
	assert_int_equal(rn.level, want);
	assert_int_equal(rn.res.exit_code, 0);
	assert_string_equal(val(&rn, "marker_hits"), "0");
	assert_string_equal(val(&rn, "environ_opened"), "0");
	assert_string_equal(val(&rn, "vm_readv"), "EPERM");
	assert_string_equal(val(&rn, "ptrace"), "EPERM");
}

/* bubblewrap + Landlock: a procfs of the sandbox's own, none of whose
 * per-process files opens: no environ (its own, a sibling's, the init's,
 * through /proc/self, /proc/thread-self, /dev/fd/.., a recursive walk), no
 * mem; process_vm_readv and ptrace refused. */
static void test_full_no_environ(void **state)
{
	struct sc_confine_opts c;

	(void)state;
	full_opts(&c);
	check_no_environ(&c, SC_CONFINE_FULL);
}

/* bubblewrap without Landlock: no procfs at all inside. */
static void test_ns_no_environ(void **state)
{
	struct sc_confine_opts c;

	(void)state;
	sc_confine_test_override(-1, 0);
	full_opts(&c);
	check_no_environ(&c, SC_CONFINE_NS);
}

/* Landlock alone (the opt-out): still no environ. */
static void test_landlock_only_no_environ(void **state)
{
	struct sc_confine_opts c;

	(void)state;
	sc_confine_test_override(0, -1);
	full_opts(&c);
	c.allow_unconfined = 1;
	check_no_environ(&c, SC_CONFINE_LANDLOCK);
}

/* No bubblewrap and no opt-out: refused, saying why. */
static void test_refused_without_bwrap(void **state)
{
	const char *args[] = {"true", NULL};
	struct sc_confine_opts c;
	struct run rn;

	(void)state;
	sc_confine_test_override(0, -1);
	full_opts(&c);
	run_probe(&c, args, 5000, -1, &rn);
	assert_int_equal(rn.status, SC_ERR_DENIED);
	assert_non_null(strstr(rn.why, "bubblewrap"));
	assert_non_null(strstr(rn.why, "unsafe_unconfined_runs"));
}

/* The sandbox's processes are all it sees: not the test (this binary,
 * outside), not a sentinel started beside it. */
static void test_no_other_processes(void **state)
{
	char host[32];
	const char *args[] = {"procs", "/usr/bin/sleep", host, NULL};
	struct sc_confine_opts c;
	struct run rn;
	pid_t sentinel;

	(void)state;
	sentinel = fork();
	if (sentinel == 0) {
		execl("/usr/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	usleep(50000);
	snprintf(host, sizeof(host), "%d", (int)sentinel);
	/* the probe sees the sentinel when not confined */
	run_probe(NULL, args, 20000, -1, &rn);
	assert_int_equal(rn.status, SC_OK);
	assert_true(atoi(val(&rn, "exe_seen")) >= 1);
	assert_string_equal(val(&rn, "kill_host"), "ok");

	full_opts(&c);
	run_probe(&c, args, 20000, -1, &rn);
	assert_int_equal(rn.status, SC_OK);
	assert_string_equal(val(&rn, "exe_seen"), "0");
	assert_string_equal(val(&rn, "kill_host"), "ESRCH");
	/* bwrap's init and the probe */
	assert_true(atoi(val(&rn, "pids")) <= 2);
	assert_true(atoi(val(&rn, "pids")) >= 1);
	kill(sentinel, SIGKILL);
	waitpid(sentinel, NULL, 0);
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* A hidden directory (the agent's socket directory, the vault) is empty
 * inside: its socket cannot be reached, its files are not there. */
static void test_hidden_socket_dir(void **state)
{
	char dir[4200], sock[4300], file[4300];
	const char *hide[1];
	const char *args[] = {"connect", sock, "stat", file, NULL};
	struct sc_confine_opts c;
	struct run rn;
	int lfd, fd;

	(void)state;
	mkpath(dir, sizeof(dir), "%s/sockdir", tdir);
	mkdir(dir, 0700);
	mkpath(sock, sizeof(sock), "%s/agent.sock", dir);
	mkpath(file, sizeof(file), "%s/vault.db", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	lfd = listen_unix(sock);
	hide[0] = dir;

	run_probe(NULL, args, 20000, -1, &rn);
	assert_string_equal(val(&rn, "connect"), "ok");
	assert_string_equal(val(&rn, "stat"), "ok");

	full_opts(&c);
	c.hide_paths = hide;
	c.nhide = 1;
	run_probe(&c, args, 20000, -1, &rn);
	assert_int_equal(rn.status, SC_OK);
	assert_string_equal(val(&rn, "connect"), "ENOENT");
	assert_string_equal(val(&rn, "stat"), "ENOENT");

	/* without the namespaces (Landlock alone), the file is unreadable but
	 * a socket can still be reached: why bubblewrap is required */
	sc_confine_test_override(0, -1);
	c.allow_unconfined = 1;
	run_probe(&c, args, 20000, -1, &rn);
	assert_int_equal(rn.status, SC_OK);
	assert_int_equal(rn.level, SC_CONFINE_LANDLOCK);
	assert_string_equal(val(&rn, "connect"), "ok");
	close(lfd);
	unlink(sock);
}

/* Writes: only beneath the write paths and in the private /tmp. */
static void test_writes(void **state)
{
	char wdir[4200], in_w[4300], in_cwd[4300], host_tmp[256], sb_tmp[256];
	const char *wp[1];
	const char *args[] = {"write", in_w, NULL};
	const char *args2[] = {"write", in_cwd, NULL};
	const char *args3[] = {"write", sb_tmp, "stat", host_tmp, NULL};
	const char *args4[] = {"write", "/etc/sc-confine-test", NULL};
	struct sc_confine_opts c;
	struct run rn;
	struct stat st;
	int fd;

	(void)state;
	mkpath(wdir, sizeof(wdir), "%s/wdir", tdir);
	mkdir(wdir, 0700);
	mkpath(in_w, sizeof(in_w), "%s/ok.txt", wdir);
	mkpath(in_cwd, sizeof(in_cwd), "%s/not-ok.txt", tdir);
	mkpath(host_tmp, sizeof(host_tmp), "/tmp/sc-confine-host-%d", (int)getpid());
	mkpath(sb_tmp, sizeof(sb_tmp), "/tmp/sc-confine-sandbox-%d", (int)getpid());
	fd = open(host_tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	unlink(in_w);
	unlink(in_cwd);
	wp[0] = wdir;

	full_opts(&c);
	c.write_paths = wp;
	c.nwrite = 1;
	run_probe(&c, args, 20000, -1, &rn);
	assert_string_equal(val(&rn, "write"), "ok");
	assert_int_equal(stat(in_w, &st), 0);

	run_probe(&c, args2, 20000, -1, &rn);
	assert_string_not_equal(val(&rn, "write"), "ok");
	assert_int_not_equal(stat(in_cwd, &st), 0);

	run_probe(&c, args4, 20000, -1, &rn);
	assert_string_not_equal(val(&rn, "write"), "ok");

	/* the private /tmp: writable, empty, gone afterwards */
	run_probe(&c, args3, 20000, -1, &rn);
	assert_string_equal(val(&rn, "write"), "ok");
	assert_string_equal(val(&rn, "stat"), "ENOENT");
	assert_int_not_equal(stat(sb_tmp, &st), 0);

	/* Landlock alone still keeps writes to the write paths */
	sc_confine_test_override(0, -1);
	c.allow_unconfined = 1;
	run_probe(&c, args2, 20000, -1, &rn);
	assert_int_equal(rn.level, SC_CONFINE_LANDLOCK);
	assert_string_equal(val(&rn, "write"), "EACCES");
	assert_int_not_equal(stat(in_cwd, &st), 0);
	run_probe(&c, args, 20000, -1, &rn);
	assert_string_equal(val(&rn, "write"), "ok");
	unlink(host_tmp);
}

/* No network unless allowed. */
static void test_network(void **state)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char port[16];
	const char *args[] = {"tcp", port, NULL};
	struct sc_confine_opts c;
	struct run rn;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(port, sizeof(port), "%d", ntohs(sa.sin_port));

	full_opts(&c);
	run_probe(&c, args, 20000, -1, &rn);
	assert_string_not_equal(val(&rn, "tcp"), "ok");
	c.allow_net = 1;
	run_probe(&c, args, 20000, -1, &rn);
	assert_string_equal(val(&rn, "tcp"), "ok");

	/* Landlock alone: TCP refused by Landlock's network rules */
	sc_confine_test_override(0, -1);
	c.allow_unconfined = 1;
	c.allow_net = 0;
	run_probe(&c, args, 20000, -1, &rn);
	assert_int_equal(rn.level, SC_CONFINE_LANDLOCK);
	assert_string_not_equal(val(&rn, "tcp"), "ok");
	close(fd);
}

/* Is the lock free now (the grandchild dead), or within a moment? */
static int lock_free(const char *path)
{
	int i, fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return 1;
	for (i = 0; i < 20; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			close(fd);
			return 1;
		}
		usleep(10000);
	}
	close(fd);
	return 0;
}

static void kill_from_lockfile(const char *path)
{
	char buf[32] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)!read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (atoi(buf) > 1)
			kill(atoi(buf), SIGKILL);
	}
}

static void escape_paths(char *wdir, size_t wn, char *lock, size_t ln)
{
	mkpath(wdir, wn, "%s/escape", tdir);
	mkdir(wdir, 0700);
	mkpath(lock, ln, "%s/lock", wdir);
	unlink(lock);
}

/* A setsid + double-forked grandchild does not outlive the run (when the
 * program exits) ... while without confinement it does. */
static void test_grandchild_dies_at_exit(void **state)
{
	char wdir[4200], lock[4300];
	const char *wp[1] = {wdir};
	const char *args[] = {"escape", lock, NULL};
	struct sc_confine_opts c;
	struct run rn;

	(void)state;
	escape_paths(wdir, sizeof(wdir), lock, sizeof(lock));
	run_probe(NULL, args, 20000, -1, &rn);
	assert_string_equal(val(&rn, "escape"), "locked");
	assert_false(lock_free(lock)); /* the known hole without confinement */
	kill_from_lockfile(lock);
	assert_true(lock_free(lock));

	unlink(lock);
	full_opts(&c);
	c.write_paths = wp;
	c.nwrite = 1;
	run_probe(&c, args, 20000, -1, &rn);
	assert_int_equal(rn.status, SC_OK);
	assert_string_equal(val(&rn, "escape"), "locked");
	assert_true(lock_free(lock));
	assert_true(rn.res.duration_ms < 5000);
}

/* ... nor its timeout. */
static void test_grandchild_dies_at_timeout(void **state)
{
	char wdir[4200], lock[4300];
	const char *wp[1] = {wdir};
	const char *args[] = {"escape-sleep", lock, NULL};
	struct sc_confine_opts c;
	struct run rn;

	(void)state;
	escape_paths(wdir, sizeof(wdir), lock, sizeof(lock));
	full_opts(&c);
	c.write_paths = wp;
	c.nwrite = 1;
	run_probe(&c, args, 700, -1, &rn);
	assert_int_equal(rn.status, SC_OK);
	assert_true(rn.res.timed_out);
	assert_int_equal(rn.res.exit_code, SC_EXEC_EXIT_TIMEOUT);
	assert_string_equal(val(&rn, "escape"), "locked");
	assert_true(lock_free(lock));
	assert_true(rn.res.duration_ms < 5000);
}

struct canceller {
	const char *lock;
	int fd;
};

static void *cancel_main(void *arg)
{
	struct canceller *cn = arg;
	struct stat st;
	uint8_t b = SC_EXEC_CTL_CANCEL;
	int i;

	for (i = 0; i < 500; i++) {
		if (stat(cn->lock, &st) == 0 && st.st_size > 0)
			break;
		usleep(10000);
	}
	(void)!write(cn->fd, &b, 1);
	return NULL;
}

/* ... nor a cancel. */
static void test_grandchild_dies_at_cancel(void **state)
{
	char wdir[4200], lock[4300];
	const char *wp[1] = {wdir};
	const char *args[] = {"escape-sleep", lock, NULL};
	struct sc_confine_opts c;
	struct canceller cn;
	struct run rn;
	pthread_t t;
	int ctl[2];

	(void)state;
	escape_paths(wdir, sizeof(wdir), lock, sizeof(lock));
	assert_int_equal(pipe2(ctl, O_CLOEXEC), 0);
	cn.lock = lock;
	cn.fd = ctl[1];
	assert_int_equal(pthread_create(&t, NULL, cancel_main, &cn), 0);
	full_opts(&c);
	c.write_paths = wp;
	c.nwrite = 1;
	run_probe(&c, args, 20000, ctl[0], &rn);
	pthread_join(t, NULL);
	assert_int_equal(rn.status, SC_OK);
	assert_true(rn.res.cancelled);
	assert_string_equal(val(&rn, "escape"), "locked");
	assert_true(lock_free(lock));
	assert_true(rn.res.duration_ms < 5000);
	close(ctl[0]);
	close(ctl[1]);
}

/* Paths that cannot be honoured are errors, not silently dropped. */
static void test_bad_paths(void **state)
{
	char dir[4200], sub[4300];
	const char *hide[1] = {dir};
	const char *wp[1] = {sub};
	const char *rel[1] = {"relative/dir"};
	const char *missing[1] = {"/nonexistent/sc-confine"};
	char *argv[] = {(char *)"probe", NULL};
	struct sc_confine_opts c;
	struct sc_confine *cf = NULL;
	char *why = NULL;

	(void)state;
	mkpath(dir, sizeof(dir), "%s/hid", tdir);
	mkdir(dir, 0700);
	mkpath(sub, sizeof(sub), "%s/hid/sub", tdir);
	mkdir(sub, 0700);
	full_opts(&c);
	c.hide_paths = hide;
	c.nhide = 1;
	c.write_paths = wp;
	c.nwrite = 1;
	assert_int_equal(sc_confine_prepare(&c, self_path, argv, tdir, &cf, &why), SC_ERR_INVALID);
	assert_non_null(strstr(why, "hidden"));
	free(why);
	c.nwrite = 0;
	assert_int_equal(sc_confine_prepare(&c, self_path, argv, sub, &cf, &why), SC_ERR_INVALID);
	assert_non_null(strstr(why, "working directory"));
	free(why);
	c.nhide = 0;
	c.write_paths = rel;
	c.nwrite = 1;
	assert_int_equal(sc_confine_prepare(&c, self_path, argv, tdir, &cf, &why), SC_ERR_INVALID);
	free(why);
	c.write_paths = missing;
	assert_int_equal(sc_confine_prepare(&c, self_path, argv, tdir, &cf, &why), SC_ERR_INVALID);
	assert_non_null(strstr(why, "does not exist"));
	free(why);
	c.nwrite = 0;
	assert_int_equal(sc_confine_prepare(&c, "relative", argv, tdir, &cf, &why), SC_ERR_INVALID);
	free(why);
	assert_null(cf);
}

/* The helper refuses malformed arguments and never runs the target then. */
static void test_helper_args(void **state)
{
	char *bad1[] = {(char *)"x",    (char *)SC_CONFINE_HELPER_ARG,
	                (char *)"--",   (char *)"/bin/true",
	                (char *)"true", NULL};
	char *bad2[] = {(char *)"x",  (char *)SC_CONFINE_HELPER_ARG, (char *)"-l", (char *)"0",
	                (char *)"--", (char *)"/bin/true",           NULL};
	char *bad3[] = {(char *)"x",    (char *)SC_CONFINE_HELPER_ARG,
	                (char *)"-l",   (char *)"0",
	                (char *)"-w",   (char *)"rel",
	                (char *)"--",   (char *)"/bin/true",
	                (char *)"true", NULL};
	char *bad4[] = {(char *)"x",    (char *)SC_CONFINE_HELPER_ARG,
	                (char *)"-l",   (char *)"0",
	                (char *)"--",   (char *)"true",
	                (char *)"true", NULL};

	(void)state;
	assert_int_equal(sc_confine_helper_main(5, bad1, environ), SC_CONFINE_EXIT_FAILED);
	assert_int_equal(sc_confine_helper_main(6, bad2, environ), SC_CONFINE_EXIT_FAILED);
	assert_int_equal(sc_confine_helper_main(9, bad3, environ), SC_CONFINE_EXIT_FAILED);
	assert_int_equal(sc_confine_helper_main(7, bad4, environ), SC_CONFINE_EXIT_FAILED);
}

/* The program's exit status and output come through unchanged. */
static void test_status_and_output(void **state)
{
	char *argv[] = {(char *)"sh", (char *)"-c", (char *)"echo hello; echo err >&2; exit 7",
	                NULL};
	char *envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
	struct sc_exec_opts o;
	struct sc_exec_result res;
	struct sc_confine_opts c;
	struct sc_confine *hold = NULL;
	char *why = NULL;

	(void)state;
	full_opts(&c);
	sc_exec_opts_init(&o);
	o.path = "/bin/sh";
	o.argv = argv;
	o.envp = envp;
	o.cwd = tdir;
	o.capture_max = 4096;
	o.timeout_ms = 20000;
	assert_int_equal(sc_confine_exec_opts(&c, &o, &hold, &why), SC_OK);
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	assert_int_equal(res.exit_code, 7);
	assert_int_equal(res.out_len, 6);
	assert_memory_equal(res.out, "hello\n", 6);
	assert_int_equal(res.err_len, 4);
	sc_exec_result_release(&res);
	sc_confine_free(hold);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_probe_sees_unconfined, setup),
	    cmocka_unit_test_setup(test_full_no_environ, setup),
	    cmocka_unit_test_setup(test_ns_no_environ, setup),
	    cmocka_unit_test_setup(test_landlock_only_no_environ, setup),
	    cmocka_unit_test_setup(test_refused_without_bwrap, setup),
	    cmocka_unit_test_setup(test_no_other_processes, setup),
	    cmocka_unit_test_setup(test_hidden_socket_dir, setup),
	    cmocka_unit_test_setup(test_writes, setup),
	    cmocka_unit_test_setup(test_network, setup),
	    cmocka_unit_test_setup(test_grandchild_dies_at_exit, setup),
	    cmocka_unit_test_setup(test_grandchild_dies_at_timeout, setup),
	    cmocka_unit_test_setup(test_grandchild_dies_at_cancel, setup),
	    cmocka_unit_test_setup(test_bad_paths, setup),
	    cmocka_unit_test_setup(test_helper_args, setup),
	    cmocka_unit_test_setup(test_status_and_output, setup),
	};
	const char *base;
	unsigned char rnd[12];
	size_t i;
	ssize_t n;

	if (argc > 1 && strcmp(argv[1], SC_CONFINE_HELPER_ARG) == 0)
		return sc_confine_helper_main(argc, argv, environ);
	if (argc > 1 && strcmp(argv[1], "__probe") == 0) {
		/* _exit: under ASan, LeakSanitizer's exit check needs ptrace,
		 * which the sandbox refuses (leaks are checked in this process) */
		int rc = probe_main(argc, argv);

		fflush(stdout);
		_exit(rc);
	}

	n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	if (n <= 0)
		return 1;
	self_path[n] = '\0';
	base = getenv("SC_TEST_TMP");
	if (base == NULL)
		base = "/var/tmp";
	mkdir(base, 0700);
	mkpath(tdir, sizeof(tdir), "%s/confine-%d", base, (int)getpid());
	if (mkdir(tdir, 0700) != 0)
		return 1;
	{
		char *rp = realpath(tdir, NULL);

		if (rp == NULL)
			return 1;
		snprintf(tdir, sizeof(tdir), "%s", rp);
		free(rp);
	}
	{
		int fd = open("/dev/urandom", O_RDONLY);

		if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd))
			return 1;
		close(fd);
	}
	n = snprintf(marker_env, sizeof(marker_env), MARKER_VAR "=scmark");
	for (i = 0; i < sizeof(rnd); i++)
		n += snprintf(marker_env + n, sizeof(marker_env) - (size_t)n, "%02x", rnd[i]);
	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
