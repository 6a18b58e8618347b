/* test_exec.c - the process engine with real processes: exit statuses,
 * timeouts that kill grandchildren, signal forwarding and cancel through
 * ctl_fd, fd hygiene, capture bounds, explicit environments, sanitizing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "secretctl/exec.h"

/* -Wwrite-strings: argv and envp arrays want char *. */
#define S(x) ((char *)(x))

static char *const env_min[] = {S("PATH=/usr/bin:/bin"), NULL};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	const char *d = getenv("SC_TEST_TMP");

	if (d == NULL || *d == '\0')
		d = "/tmp";
	mkdir(d, 0700);
	snprintf(buf, len, "%s/test_exec.%ld.%s", d, (long)getpid(), name);
}

/* Run /bin/sh -c script with output captured. */
static int run_sh(const char *script, uint32_t timeout_ms, struct sc_exec_result *res)
{
	char *argv[] = {S("sh"), S("-c"), S(script), NULL};
	struct sc_exec_opts o;

	sc_exec_opts_init(&o);
	o.path = "/bin/sh";
	o.argv = argv;
	o.envp = env_min;
	o.timeout_ms = timeout_ms;
	o.grace_ms = 300;
	o.capture_max = 1 << 20;
	return sc_exec_run(&o, res);
}

static void assert_out(const struct sc_exec_result *res, const char *want)
{
	assert_int_equal(res->out_len, strlen(want));
	assert_memory_equal(res->out, want, strlen(want));
}

/* A pid is gone when kill fails or it is a zombie nobody reaped yet. */
static int pid_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	int i;

	for (i = 0; i < 2000; i++) { /* 20 s: generous, for a loaded machine */
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return 1;
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
		f = fopen(path, "r");
		if (f == NULL)
			return 1;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (p != NULL && (p = strrchr(buf, ')')) != NULL && (p[2] == 'Z' || p[2] == 'X'))
			return 1;
		usleep(10000);
	}
	return 0;
}

static pid_t read_pidfile(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_true(pid > 1);
	return (pid_t)pid;
}

static void test_exit_status(void **state)
{
	struct sc_exec_result res;

	(void)state;
	assert_int_equal(run_sh("exit 42", 0, &res), SC_OK);
	assert_int_equal(res.exit_code, 42);
	assert_int_equal(res.term_signal, 0);
	assert_false(res.timed_out);
	sc_exec_result_release(&res);

	assert_int_equal(run_sh("echo out; echo err >&2; exit 0", 0, &res), SC_OK);
	assert_int_equal(res.exit_code, 0);
	assert_out(&res, "out\n");
	assert_int_equal(res.err_len, 4);
	assert_memory_equal(res.err, "err\n", 4);
	sc_exec_result_release(&res);

	assert_int_equal(run_sh("kill -TERM $$", 0, &res), SC_OK);
	assert_int_equal(res.exit_code, 128 + SIGTERM);
	assert_int_equal(res.term_signal, SIGTERM);
	sc_exec_result_release(&res);
}

static void test_duration_and_stdin(void **state)
{
	struct sc_exec_result res;

	(void)state;
	/* stdin is /dev/null: cat ends at once */
	assert_int_equal(run_sh("cat; sleep 0.2; echo done", 5000, &res), SC_OK);
	assert_int_equal(res.exit_code, 0);
	assert_out(&res, "done\n");
	assert_true(res.duration_ms >= 200);
	assert_true(res.duration_ms < 3000);
	sc_exec_result_release(&res);
}

static void test_timeout_kills_grandchild(void **state)
{
	struct sc_exec_result res;
	char pidfile[256], termed[256], script[1024], buf[16] = {0};
	uint64_t t0, el;
	pid_t g;
	FILE *f;

	(void)state;
	tmp_path(pidfile, sizeof(pidfile), "gc.pid");
	tmp_path(termed, sizeof(termed), "gc.term");
	unlink(termed);
	/* the grandchild holds stdout open: it must not hang the run; it notes
	 * the SIGTERM it gets (the whole group has it at the time limit, not a
	 * SIGKILL after the grace) */
	snprintf(script, sizeof(script),
	         "sh -c 'trap \"echo term > %s; exit 0\" TERM; while :; do sleep 0.05; done' & "
	         "echo $! > %s; sleep 60",
	         termed, pidfile);
	t0 = mono_ms();
	assert_int_equal(run_sh(script, 300, &res), SC_OK);
	el = mono_ms() - t0;
	assert_int_equal(res.exit_code, SC_EXEC_EXIT_TIMEOUT);
	assert_true(res.timed_out);
	assert_false(res.cancelled);
	assert_true(el < 30000); /* against a hang only: the machine may be loaded */
	g = read_pidfile(pidfile);
	assert_true(pid_gone(g));
	f = fopen(termed, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "term\n");
	unlink(pidfile);
	unlink(termed);
	sc_exec_result_release(&res);
}

static void test_timeout_sigkill_after_grace(void **state)
{
	struct sc_exec_result res;
	uint64_t t0, el;

	(void)state;
	/* ignores SIGTERM: SIGKILL must follow after the 300 ms grace */
	t0 = mono_ms();
	assert_int_equal(run_sh("trap '' TERM; echo started; while :; do :; done", 200, &res),
	                 SC_OK);
	el = mono_ms() - t0;
	assert_int_equal(res.exit_code, SC_EXEC_EXIT_TIMEOUT);
	assert_int_equal(res.term_signal, SIGKILL);
	assert_true(el >= 500);
	assert_true(el < 30000); /* against a hang only */
	assert_out(&res, "started\n");
	sc_exec_result_release(&res);
}

static void test_leftover_after_exit(void **state)
{
	struct sc_exec_result res;
	char pidfile[256], script[512];
	uint64_t t0, el;
	pid_t g;

	(void)state;
	tmp_path(pidfile, sizeof(pidfile), "left.pid");
	/* the child exits at once; its background job keeps stdout open */
	snprintf(script, sizeof(script), "sleep 60 & echo $! > %s; echo bye; exit 3", pidfile);
	t0 = mono_ms();
	assert_int_equal(run_sh(script, 0, &res), SC_OK);
	el = mono_ms() - t0;
	assert_int_equal(res.exit_code, 3);
	assert_false(res.timed_out);
	assert_out(&res, "bye\n");
	assert_true(el >= SC_EXEC_DRAIN_MS - 50);
	assert_true(el < SC_EXEC_DRAIN_MS + 20000); /* against a hang only */
	g = read_pidfile(pidfile);
	assert_true(pid_gone(g));
	unlink(pidfile);
	sc_exec_result_release(&res);
}

static void test_resolve(void **state)
{
	char *p = NULL, file[512], dir[256], cwd[4096];
	int fd;

	(void)state;
	assert_int_equal(sc_exec_resolve("sh", "/nonexistent::rel:/usr/bin:/bin", &p), SC_OK);
	assert_non_null(p);
	assert_true(p[0] == '/');
	assert_int_equal(access(p, X_OK), 0);
	free(p);

	assert_int_equal(sc_exec_resolve("no-such-command-sc", "/usr/bin:/bin", &p), SC_ERR_NOEXEC);
	assert_null(p);
	assert_int_equal(sc_exec_resolve("/nonexistent/x", NULL, &p), SC_ERR_NOEXEC);
	assert_int_equal(sc_exec_resolve("", NULL, &p), SC_ERR_INVALID);

	/* found but not executable; a directory is not executable either */
	tmp_path(dir, sizeof(dir), "bin");
	mkdir(dir, 0700);
	snprintf(file, sizeof(file), "%s/sc-noexec", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	assert_int_equal(sc_exec_resolve(file, NULL, &p), SC_ERR_NOTEXEC);
	assert_int_equal(sc_exec_resolve("sc-noexec", dir, &p), SC_ERR_NOTEXEC);
	assert_int_equal(sc_exec_resolve(dir, NULL, &p), SC_ERR_NOTEXEC);

	/* executable, but only reachable through a relative PATH entry */
	assert_int_equal(chmod(file, 0700), 0);
	assert_int_equal(sc_exec_resolve("sc-noexec", dir, &p), SC_OK);
	assert_string_equal(p, file);
	free(p);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(sc_exec_resolve("sc-noexec", ".", &p), SC_ERR_NOEXEC);
	assert_int_equal(sc_exec_resolve("sc-noexec", "", &p), SC_ERR_NOEXEC);
	assert_int_equal(sc_exec_resolve("./sc-noexec", "", &p), SC_OK); /* explicit path */
	free(p);
	assert_int_equal(chdir(cwd), 0);
	unlink(file);
	rmdir(dir);
}

/* sc_exec_find: the path as found (symlinks kept) is what runs, with
 * argv[0] as given; the real path and its inode are what was checked, and
 * a file swapped in under the found path is refused. */
static void test_find_and_swap(void **state)
{
	char dir[256], real[512], link[512], other[512], cwd[4096];
	char *argv[] = {S("nick"), NULL};
	struct sc_exec_prog prog;
	struct sc_exec_opts o;
	struct sc_exec_result res;
	struct stat st;
	int fd;

	(void)state;
	tmp_path(dir, sizeof(dir), "find");
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(real, sizeof(real), "%s/real-tool", dir);
	snprintf(link, sizeof(link), "%s/nick", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	fd = open(real, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\necho \"$0\"\n", 20), 20);
	close(fd);
	assert_int_equal(symlink("real-tool", link), 0);

	assert_int_equal(sc_exec_find("nick", dir, &prog), SC_OK);
	assert_string_equal(prog.found, link);
	assert_string_equal(prog.real, real);
	assert_int_equal(stat(real, &st), 0);
	assert_true(prog.dev == (uint64_t)st.st_dev && prog.ino == (uint64_t)st.st_ino);
	{
		char label[128];

		sc_exec_prog_label(&prog, "nick", label, sizeof(label));
		assert_string_equal(label, "nick (real-tool)");
		sc_exec_prog_label(&prog, "real-tool", label, sizeof(label));
		assert_string_equal(label, "real-tool");
	}

	/* the script sees the found path as $0 */
	sc_exec_opts_init(&o);
	o.path = prog.found;
	o.argv = argv;
	o.envp = env_min;
	o.capture_max = 4096;
	o.check_id = 1;
	o.dev = prog.dev;
	o.ino = prog.ino;
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	assert_int_equal(res.exit_code, 0);
	{
		char want[600];

		snprintf(want, sizeof(want), "%s\n", link);
		assert_out(&res, want);
	}
	sc_exec_result_release(&res);

	/* another file put in its place after the check: refused, not run */
	fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\necho swapped\n", 24), 24);
	close(fd);
	assert_int_equal(rename(other, real), 0);
	assert_int_equal(sc_exec_run(&o, &res), SC_ERR_DENIED);
	assert_int_equal(res.out_len, 0);
	sc_exec_result_release(&res);
	/* without the check it would have run */
	o.check_id = 0;
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	assert_out(&res, "swapped\n");
	sc_exec_result_release(&res);
	/* gone altogether */
	o.check_id = 1;
	assert_int_equal(unlink(real), 0);
	assert_int_equal(sc_exec_run(&o, &res), SC_ERR_NOEXEC);
	sc_exec_result_release(&res);
	sc_exec_prog_release(&prog);
	assert_null(prog.found);

	/* a relative command is made absolute against the cwd, not resolved */
	fd = open(real, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	assert_true(fd >= 0);
	close(fd);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(sc_exec_find("./nick", NULL, &prog), SC_OK);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(prog.real, real);
	/* the cwd as getcwd gives it (dir may itself hold a symlink) */
	assert_non_null(strstr(prog.found, "/./nick"));
	sc_exec_prog_release(&prog);
	assert_int_equal(sc_exec_find("no-such-command-sc", dir, &prog), SC_ERR_NOEXEC);
	assert_null(prog.found);
	assert_null(prog.real);

	unlink(link);
	unlink(real);
	rmdir(dir);
}

static void test_exec_failures(void **state)
{
	char *argv[] = {S("x"), NULL};
	struct sc_exec_opts o;
	struct sc_exec_result res;
	char file[256];
	int fd;

	(void)state;
	sc_exec_opts_init(&o);
	o.argv = argv;
	o.envp = env_min;
	o.path = "/nonexistent/sc-command";
	assert_int_equal(sc_exec_run(&o, &res), SC_ERR_NOEXEC);
	assert_int_equal(res.exit_code, SC_EXEC_EXIT_NOEXEC);
	assert_int_equal(res.exec_errno, ENOENT);

	tmp_path(file, sizeof(file), "noexec");
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	o.path = file;
	assert_int_equal(sc_exec_run(&o, &res), SC_ERR_NOTEXEC);
	assert_int_equal(res.exit_code, SC_EXEC_EXIT_NOTEXEC);
	/* executable but not a valid image nor script */
	assert_int_equal(chmod(file, 0700), 0);
	fd = open(file, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd,
	                       "\x7f"
	                       "ELFgarbage",
	                       11),
	                 11);
	close(fd);
	assert_int_equal(sc_exec_run(&o, &res), SC_ERR_NOTEXEC);
	assert_int_equal(res.exit_code, SC_EXEC_EXIT_NOTEXEC);
	unlink(file);

	/* relative program paths are refused: resolve first */
	o.path = "sh";
	assert_int_equal(sc_exec_run(&o, &res), SC_ERR_INVALID);
	o.path = "/bin/true";
	o.cwd = "/nonexistent-dir";
	assert_int_equal(sc_exec_run(&o, &res), SC_ERR_NOT_FOUND);
}

/* Writes its bytes once the command has made the file `ready` (bounded,
 * 20 s), so a signal never arrives before the command's trap is set. */
struct ctl_writer {
	int fd;
	const char *ready;
	uint8_t bytes[4];
	size_t n;
};

static void *ctl_thread(void *arg)
{
	struct ctl_writer *w = arg;
	int i;

	for (i = 0; i < 2000 && access(w->ready, F_OK) != 0; i++)
		usleep(10000);
	if (write(w->fd, w->bytes, w->n) != (ssize_t)w->n)
		abort();
	return NULL;
}

static int run_with_ctl(const char *script, struct ctl_writer *w, struct sc_exec_result *res)
{
	char *argv[] = {S("sh"), S("-c"), S(script), NULL};
	struct sc_exec_opts o;
	pthread_t th;
	int p[2], r;

	assert_int_equal(pipe(p), 0);
	w->fd = p[1];
	sc_exec_opts_init(&o);
	o.path = "/bin/sh";
	o.argv = argv;
	o.envp = env_min;
	o.timeout_ms = 10000;
	o.capture_max = 4096;
	o.ctl_fd = p[0];
	assert_int_equal(pthread_create(&th, NULL, ctl_thread, w), 0);
	r = sc_exec_run(&o, res);
	pthread_join(th, NULL);
	close(p[0]);
	close(p[1]);
	return r;
}

static void test_ctl_signal_forwarding(void **state)
{
	struct ctl_writer w = {.bytes = {SIGUSR1}, .n = 1};
	struct sc_exec_result res;
	char ready[256], script[512];

	(void)state;
	tmp_path(ready, sizeof(ready), "usr1.ready");
	unlink(ready);
	w.ready = ready;
	snprintf(script, sizeof(script),
	         "trap 'echo got-usr1; exit 7' USR1; : > %s; while :; do sleep 0.05; done", ready);
	assert_int_equal(run_with_ctl(script, &w, &res), SC_OK);
	unlink(ready);
	assert_int_equal(res.exit_code, 7);
	assert_false(res.timed_out);
	assert_false(res.cancelled);
	assert_out(&res, "got-usr1\n");
	sc_exec_result_release(&res);
}

static void test_ctl_cancel(void **state)
{
	struct ctl_writer w = {.bytes = {SC_EXEC_CTL_CANCEL}, .n = 1};
	struct sc_exec_result res;
	char ready[256], script[512];
	uint64_t t0 = mono_ms();

	(void)state;
	tmp_path(ready, sizeof(ready), "cancel.ready");
	unlink(ready);
	w.ready = ready;
	snprintf(script, sizeof(script), "sleep 60 & : > %s; sleep 60", ready);
	assert_int_equal(run_with_ctl(script, &w, &res), SC_OK);
	unlink(ready);
	assert_true(mono_ms() - t0 < 30000); /* well before the sleeps' 60 s */
	assert_true(res.cancelled);
	assert_false(res.timed_out);
	assert_int_equal(res.exit_code, 128 + SIGTERM);
	sc_exec_result_release(&res);
}

static void test_fd_hygiene(void **state)
{
	char *argv[] = {S("ls"), S("-1"), S("/proc/self/fd"), NULL};
	struct sc_exec_opts o;
	struct sc_exec_result res;
	int leak;

	(void)state;
	/* an fd without CLOEXEC, as a careless library in the caller might leave */
	leak = open("/dev/null", O_RDONLY);
	assert_true(leak > 2);
	sc_exec_opts_init(&o);
	o.path = "/bin/ls";
	o.argv = argv;
	o.envp = env_min;
	o.capture_max = 4096;
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	assert_int_equal(res.exit_code, 0);
	/* ls's own directory fd is 3: nothing else may be open */
	assert_out(&res, "0\n1\n2\n3\n");
	sc_exec_result_release(&res);
	close(leak);
}

static void test_signal_state(void **state)
{
	struct sc_exec_result res;
	sigset_t set, old;
	struct sigaction sa, osa;
	unsigned long long ign;

	(void)state;
	/* the caller blocks USR1 and ignores INT: the child must get neither */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, &osa);
	assert_int_equal(run_sh("grep -E '^Sig(Blk|Ign)' /proc/self/status", 0, &res), SC_OK);
	assert_int_equal(res.out_len, 50);
	assert_memory_equal(res.out, "SigBlk:\t0000000000000000\nSigIgn:\t", 33);
	/* glibc's posix_spawn leaves its two reserved signals (32, 33: thread
	 * cancel and setxid, which no application may use) ignored; every
	 * standard and every usable real-time signal must be at default */
	ign = strtoull((char *)res.out + 33, NULL, 16);
	assert_int_equal(ign & ~(3ULL << 31), 0);
	sc_exec_result_release(&res);
	assert_int_equal(run_sh("kill -INT $$; echo survived", 0, &res), SC_OK);
	assert_int_equal(res.exit_code, 128 + SIGINT);
	assert_int_equal(res.out_len, 0);
	sc_exec_result_release(&res);
	sigaction(SIGINT, &osa, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void test_own_process_group(void **state)
{
	struct sc_exec_result res;
	char want[64];

	(void)state;
	/* pgid == pid of the child */
	assert_int_equal(run_sh("ps -o pgid= -p $$ | tr -d ' '; echo $$", 0, &res), SC_OK);
	assert_int_equal(res.exit_code, 0);
	assert_non_null(memchr(res.out, '\n', res.out_len));
	snprintf(want, sizeof(want), "%.*s", (int)(strchr((char *)res.out, '\n') - (char *)res.out),
	         (char *)res.out);
	assert_int_not_equal(atol(want), (long)getpgrp());
	assert_int_equal(res.out_len, 2 * (strlen(want) + 1));
	assert_memory_equal(res.out + strlen(want) + 1, want, strlen(want));
	sc_exec_result_release(&res);
}

static void test_capture_caps(void **state)
{
	struct sc_exec_result res;
	char *argv[] = {S("sh"), S("-c"), S("head -c 100000 /dev/zero; head -c 5000 /dev/zero >&2"),
	                NULL};
	struct sc_exec_opts o;
	size_t i;

	(void)state;
	sc_exec_opts_init(&o);
	o.path = "/bin/sh";
	o.argv = argv;
	o.envp = env_min;
	o.capture_max = 1000;
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.out_len, 1000);
	assert_int_equal(res.out_dropped, 99000);
	assert_int_equal(res.err_len, 1000);
	assert_int_equal(res.err_dropped, 4000);
	for (i = 0; i < res.out_len; i++)
		assert_int_equal(res.out[i], 0);
	sc_exec_result_release(&res);

	o.capture_max = 0;
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	assert_int_equal(res.out_len, 0);
	assert_int_equal(res.out_dropped, 100000);
	assert_null(res.out);
	sc_exec_result_release(&res);
}

static void test_explicit_env_and_cwd(void **state)
{
	char *argv[] = {S("env"), NULL};
	char *envp[] = {S("FOO=bar"), S("EMPTY="), NULL};
	char *argv2[] = {S("pwd"), NULL};
	struct sc_exec_opts o;
	struct sc_exec_result res;

	(void)state;
	setenv("SC_TEST_PARENT_ONLY", "leak", 1);
	sc_exec_opts_init(&o);
	o.path = "/usr/bin/env";
	o.argv = argv;
	o.envp = envp;
	o.capture_max = 4096;
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	assert_out(&res, "FOO=bar\nEMPTY=\n");
	sc_exec_result_release(&res);
	unsetenv("SC_TEST_PARENT_ONLY");

	o.path = "/bin/pwd";
	o.argv = argv2;
	o.envp = env_min;
	o.cwd = "/";
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	assert_out(&res, "/\n");
	sc_exec_result_release(&res);
}

static struct sc_sanitizer *make_sanitizer(const char *secret, const char *label)
{
	struct sc_sanitizer *z = NULL;
	int added = 0;

	assert_int_equal(sc_sanitizer_new(&z), SC_OK);
	assert_int_equal(
	    sc_sanitizer_add(z, (const uint8_t *)secret, strlen(secret), label, &added), SC_OK);
	assert_int_equal(added, 1);
	assert_int_equal(sc_sanitizer_compile(z), SC_OK);
	return z;
}

static char *read_file_all(const char *path, size_t *len)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	close(fd);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void test_sanitized_capture_and_stream(void **state)
{
	/* the secret is written in two halves with a pause between them */
	char *argv[] = {S("sh"), S("-c"),
	                S("printf 'a=s3cr3t-'; sleep 0.1; printf 'VALUE-42!\\n'; "
	                  "printf 'e=s3cr3t-VALUE-42!' >&2"),
	                NULL};
	struct sc_sanitizer *z = make_sanitizer("s3cr3t-VALUE-42!", "API_KEY");
	struct sc_exec_opts o;
	struct sc_exec_result res;
	char path[512], *got;
	size_t len;
	int fd;

	(void)state;
	sc_exec_opts_init(&o);
	o.path = "/bin/sh";
	o.argv = argv;
	o.envp = env_min;
	o.sanitizer = z;
	o.capture_max = 4096;
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	assert_out(&res, "a=[REDACTED:API_KEY]\n");
	assert_int_equal(res.err_len, strlen("e=[REDACTED:API_KEY]"));
	assert_memory_equal(res.err, "e=[REDACTED:API_KEY]", res.err_len);
	sc_exec_result_release(&res);

	/* streaming mode, to a file; stderr still captured */
	tmp_path(path, sizeof(path), "stream.out");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	o.out_fd = fd;
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	close(fd);
	assert_null(res.out);
	got = read_file_all(path, &len);
	assert_string_equal(got, "a=[REDACTED:API_KEY]\n");
	assert_null(strstr(got, "s3cr3t"));
	sc_exec_result_release(&res);

	/* line-buffered, to a pipe */
	{
		int p[2];

		assert_int_equal(pipe(p), 0);
		o.out_fd = p[1];
		o.line_buffered = 1;
		assert_int_equal(sc_exec_run(&o, &res), SC_OK);
		close(p[1]);
		len = (size_t)read(p[0], path, sizeof(path) - 1);
		close(p[0]);
		assert_int_equal(len, strlen("a=[REDACTED:API_KEY]\n"));
		assert_memory_equal(path, "a=[REDACTED:API_KEY]\n", len);
		sc_exec_result_release(&res);
	}
	unlink(path);
	sc_sanitizer_free(z);
}

static void test_broken_output_pipe(void **state)
{
	char *argv[] = {S("sh"), S("-c"), S("while :; do echo yyyyyyyyyyyyyyyy; done"), NULL};
	struct sc_exec_opts o;
	struct sc_exec_result res;
	struct sigaction sa, osa;
	int p[2];

	(void)state;
	/* the reader is gone: the child must end by SIGPIPE, not run forever */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &osa);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	sc_exec_opts_init(&o);
	o.path = "/bin/sh";
	o.argv = argv;
	o.envp = env_min;
	o.out_fd = p[1];
	o.timeout_ms = 5000;
	assert_int_equal(sc_exec_run(&o, &res), SC_OK);
	assert_false(res.timed_out);
	assert_int_equal(res.exit_code, 128 + SIGPIPE);
	assert_true(res.out_dropped > 0);
	close(p[1]);
	sigaction(SIGPIPE, &osa, NULL);
	sc_exec_result_release(&res);
}

struct par {
	int n;
	int rc, code;
	char out[32];
};

static void *par_thread(void *arg)
{
	struct par *p = arg;
	char script[64];
	struct sc_exec_result res;

	snprintf(script, sizeof(script), "sleep 0.1; echo t%d; exit %d", p->n, p->n);
	p->rc = run_sh(script, 5000, &res);
	p->code = res.exit_code;
	if (p->rc == SC_OK)
		snprintf(p->out, sizeof(p->out), "%.*s", (int)res.out_len, (char *)res.out);
	sc_exec_result_release(&res);
	return NULL;
}

static void test_parallel_runs(void **state)
{
	struct par ps[6];
	pthread_t th[6];
	char want[32];
	int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		memset(&ps[i], 0, sizeof(ps[i]));
		ps[i].n = i + 1;
		assert_int_equal(pthread_create(&th[i], NULL, par_thread, &ps[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(ps[i].rc, SC_OK);
		assert_int_equal(ps[i].code, i + 1);
		snprintf(want, sizeof(want), "t%d\n", i + 1);
		assert_string_equal(ps[i].out, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_status),
	    cmocka_unit_test(test_duration_and_stdin),
	    cmocka_unit_test(test_timeout_kills_grandchild),
	    cmocka_unit_test(test_timeout_sigkill_after_grace),
	    cmocka_unit_test(test_leftover_after_exit),
	    cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_find_and_swap),
	    cmocka_unit_test(test_exec_failures),
	    cmocka_unit_test(test_ctl_signal_forwarding),
	    cmocka_unit_test(test_ctl_cancel),
	    cmocka_unit_test(test_fd_hygiene),
	    cmocka_unit_test(test_signal_state),
	    cmocka_unit_test(test_own_process_group),
	    cmocka_unit_test(test_capture_caps),
	    cmocka_unit_test(test_explicit_env_and_cwd),
	    cmocka_unit_test(test_sanitized_capture_and_stream),
	    cmocka_unit_test(test_broken_output_pipe),
	    cmocka_unit_test(test_parallel_runs),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
