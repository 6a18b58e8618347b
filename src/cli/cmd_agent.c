/* cmd_agent.c - `secretctl agent` (the unlock agent in the foreground),
 * `unlock` (hand the key to the vault's agent, starting one as a daemon if
 * none runs), `lock` and `status`; and how other commands reach the agent. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "agent/daemon.h"
#include "cli/cli.h"
#include "secretctl/exec.h"

static void print_json(json_t *o)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

int cli_no_agent(void)
{
	const char *off = getenv("SECRETCTL_NO_AGENT");

	return off != NULL && off[0] != '\0' && strcmp(off, "0") != 0;
}

int cli_agent_connect(struct cli *c, int *fd)
{
	int r;

	*fd = -1;
	if (cli_no_agent())
		return SC_ERR_NOT_FOUND;
	r = sc_agent_connect(c->vault_dir, fd);
	if (r != SC_OK && r != SC_ERR_NOT_FOUND && r != SC_ERR_NO_VAULT) {
		/* an unsafe socket directory is worth saying; then go on
		 * without the agent, as if none ran */
		cli_warn("not using the agent: %s",
		         sc_last_error()[0] ? sc_last_error() : sc_strerror(r));
		sc_clear_error();
	}
	return r;
}

/* A locked agent, or none: the caller asks for the password instead. */
static int fall_back(int r)
{
	if (r == SC_ERR_LOCKED || r == SC_ERR_NOT_FOUND || r == SC_ERR_NO_VAULT) {
		sc_clear_error();
		return SC_ERR_LOCKED;
	}
	return r;
}

int cli_agent_walk(struct cli *c, sc_vault_walk_fn fn, void *arg)
{
	int fd, r;

	if ((r = cli_agent_connect(c, &fd)) != SC_OK)
		return fall_back(r);
	r = sc_agent_walk(fd, SC_AGENT_ORIGIN_CLI, fn, arg);
	close(fd);
	return r == SC_ERR_LOCKED ? fall_back(r) : r;
}

int cli_agent_exists(struct cli *c, const char *name, int *exists)
{
	int fd, r;

	*exists = 0;
	if ((r = cli_agent_connect(c, &fd)) != SC_OK)
		return fall_back(r);
	r = sc_agent_exists(fd, SC_AGENT_ORIGIN_CLI, name, exists);
	close(fd);
	return r == SC_ERR_LOCKED ? fall_back(r) : r;
}

int cli_agent_get(struct cli *c, const char *name, struct sc_secret **out)
{
	int fd, r;

	*out = NULL;
	if ((r = cli_agent_connect(c, &fd)) != SC_OK)
		return fall_back(r);
	r = sc_agent_get(fd, name, out);
	close(fd);
	if (r == SC_ERR_DENIED) {
		/* use-only mode: a value needs the password, as without an agent */
		fprintf(stderr, "secretctl: the agent does not reveal values in use-only mode "
		                "(see 'secretctl unlock --reveal'); the password is needed\n");
		sc_clear_error();
		return SC_ERR_LOCKED;
	}
	return r == SC_ERR_LOCKED ? fall_back(r) : r;
}

static void format_dur(uint32_t s, char *buf, size_t len)
{
	if (s >= 3600)
		snprintf(buf, len, "%uh%02um%02us", s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		snprintf(buf, len, "%um%02us", s / 60, s % 60);
	else
		snprintf(buf, len, "%us", s);
}

/* ---- secretctl agent ---- */

int cmd_agent(struct cli *c, int argc, char **argv)
{
	struct agent_opts o;
	char *sock = NULL;
	int r, ch;

	while ((ch = getopt_long(argc, argv, ":", (const struct option[]){{NULL, 0, NULL, 0}},
	                         NULL)) != -1)
		return cli_opt_error(c, ch, argv);
	if (optind != argc)
		return cli_usage(c, "unexpected argument '%s'", argv[optind]);
	memset(&o, 0, sizeof(o));
	o.vault_dir = c->vault_dir;
	o.foreground = 1;
	if ((r = agent_listen(c->vault_dir, &o.listen_fd, &o.lock_fd, &sock)) != SC_OK)
		return cli_fail(r, "cannot start the agent");
	o.sock_path = sock;
	fprintf(stderr, "secretctl agent: serving '%s' on '%s' (locked; run 'secretctl unlock')\n",
	        c->vault_dir, sock);
	r = agent_serve(&o);
	close(o.lock_fd);
	free(sock);
	return r == SC_OK ? EXIT_OK : cli_fail(r, "agent failed");
}

/* ---- secretctl unlock ---- */

/* The daemon: double fork, new session, fds 0-2 on /dev/null, nothing else
 * open but the socket and the lock; the key moves into this process's own
 * locked memory (mlock is not inherited across fork). Never returns. */
static void run_daemon(struct cli *c, int lfd, int lkfd, const char *sock, const uint8_t *dek,
                       uint32_t timeout_s, int reveal)
{
	struct agent_opts o;
	int devnull, r, lo, hi;

	if (setsid() < 0)
		_exit(1);
	if (fork() != 0)
		_exit(0);
	if (chdir("/") != 0)
		_exit(1);
	devnull = open("/dev/null", O_RDWR);
	if (devnull < 0)
		_exit(1);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	/* every fd but the socket and the lock, however high */
	lo = lfd < lkfd ? lfd : lkfd;
	hi = lfd < lkfd ? lkfd : lfd;
	if ((lo > 3 && close_range(3, (unsigned)lo - 1, 0) != 0) ||
	    (hi > lo + 1 && close_range((unsigned)lo + 1, (unsigned)hi - 1, 0) != 0) ||
	    close_range((unsigned)hi + 1, ~0U, 0) != 0)
		_exit(1);
	if (sc_harden_process() != SC_OK)
		_exit(1);
	/* SECRETCTL_PASSWORD's copy: the agent lives on with the key alone.
	 * Freed before the kept regions go, as its region is not locked here
	 * either. */
	cli_drop_env_password();
	sc_secmem_drop_cache(); /* the parent's kept regions are not locked here */
	prctl(PR_SET_NAME, "secretctl-agent", 0, 0, 0); /* what ps and top show */
	memset(&o, 0, sizeof(o));
	if ((o.dek = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		_exit(1);
	memcpy(o.dek, dek, SC_KEY_LEN);
	sc_wipe((void *)dek, SC_KEY_LEN);
	o.vault_dir = c->vault_dir;
	o.listen_fd = lfd;
	o.lock_fd = lkfd;
	o.sock_path = sock;
	o.timeout_s = timeout_s;
	o.reveal = reveal;
	r = agent_serve(&o);
	_exit(r == SC_OK ? 0 : 1);
}

/* Start a daemon for the vault, unlocked with dek. SC_ERR_BUSY when
 * another agent got there first. */
static int start_daemon(struct cli *c, const uint8_t *dek, uint32_t timeout_s, int reveal)
{
	char *sock = NULL;
	int lfd, lkfd, r, st;
	pid_t pid;

	if ((r = agent_listen(c->vault_dir, &lfd, &lkfd, &sock)) != SC_OK)
		return r;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		run_daemon(c, lfd, lkfd, sock, dek, timeout_s, reveal);
	close(lfd);
	close(lkfd);
	free(sock);
	if (pid < 0) {
		sc_set_error("cannot fork: %s", strerror(errno));
		return SC_ERR_IO;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return SC_OK;
}

int cmd_unlock(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"timeout", required_argument, NULL, 't'},
	    {"reveal", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	struct sc_agent_status st;
	struct sc_vault *v = NULL;
	uint8_t *dek = NULL;
	int64_t secs = SC_AGENT_TIMEOUT_DEFAULT;
	int ch, r, fd = -1, reveal = 0, tries, rc = EXIT_FAIL;
	char dur[32];

	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (cli_parse_duration(optarg, &secs) != SC_OK || secs < 1 ||
			    secs > SC_AGENT_TIMEOUT_MAX)
				return cli_usage(
				    c, "bad --timeout '%s' (1s to 7d: 90s, 15m, 8h ...)", optarg);
			break;
		case 'r':
			reveal = 1;
			break;
		default:
			return cli_opt_error(c, ch, argv);
		}
	}
	if (optind != argc)
		return cli_usage(c, "unexpected argument '%s'", argv[optind]);
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	if ((dek = sc_secmem_alloc(SC_KEY_LEN)) == NULL) {
		rc = cli_fail(SC_ERR_NOMEM, "out of memory");
		goto out;
	}
	r = sc_vault_export_dek(v, dek);
	/* the agent opens its own handle: no SQLite connection crosses a fork */
	sc_vault_close(v);
	v = NULL;
	if (r != SC_OK) {
		rc = cli_fail(r, "cannot unlock the vault");
		goto out;
	}
	for (tries = 0; tries < 50; tries++) {
		r = sc_agent_connect(c->vault_dir, &fd);
		if (r == SC_OK) {
			r = sc_agent_unlock(fd, dek, (uint32_t)secs, reveal);
			break;
		}
		if (r != SC_ERR_NOT_FOUND)
			break;
		r = start_daemon(c, dek, (uint32_t)secs, reveal);
		if (r == SC_OK) {
			/* the socket was bound before the fork: connect now works */
			r = sc_agent_connect(c->vault_dir, &fd);
			break;
		}
		if (r != SC_ERR_BUSY)
			break;
		/* another agent is starting up: wait for its socket */
		nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	}
	if (r != SC_OK) {
		rc = cli_fail(r, "cannot hand the key to the agent");
		goto out;
	}
	if ((r = sc_agent_status(fd, &st)) != SC_OK || !st.unlocked) {
		rc = cli_fail(r == SC_OK ? SC_ERR_LOCKED : r, "the agent did not unlock");
		goto out;
	}
	format_dur(st.timeout_s, dur, sizeof(dur));
	if (reveal)
		cli_warn("--reveal: until the agent locks, any process running as your user, an AI "
		         "agent's shell included, can read secret values through the agent without "
		         "the password (the default use-only mode never hands out a value)");
	if (c->json)
		print_json(json_pack("{s:b,s:s,s:I,s:I}", "unlocked", 1, "mode",
		                     st.reveal ? "reveal" : "use-only", (json_int_t)st.timeout_s,
		                     "pid", (json_int_t)st.pid));
	else
		printf("unlocked (%s mode; locks after %s idle)\n",
		       st.reveal ? "reveal" : "use-only", dur);
	rc = EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	sc_secmem_free(dek);
	sc_vault_close(v);
	return rc;
}

/* ---- secretctl lock / status ---- */

static int no_args(struct cli *c, int argc, char **argv)
{
	int ch = getopt_long(argc, argv, ":", (const struct option[]){{NULL, 0, NULL, 0}}, NULL);

	if (ch != -1)
		return cli_opt_error(c, ch, argv);
	if (optind != argc)
		return cli_usage(c, "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

int cmd_lock(struct cli *c, int argc, char **argv)
{
	int r, fd;

	if ((r = no_args(c, argc, argv)) != EXIT_OK)
		return r;
	r = sc_agent_connect(c->vault_dir, &fd);
	if (r == SC_ERR_NOT_FOUND || r == SC_ERR_NO_VAULT) {
		sc_clear_error();
		if (!c->json)
			printf("locked (no agent was running)\n");
		else
			printf("{\"locked\":true,\"agent\":false}\n");
		return EXIT_OK;
	}
	if (r != SC_OK)
		return cli_fail(r, "cannot reach the agent");
	r = sc_agent_lock(fd);
	close(fd);
	if (r != SC_OK)
		return cli_fail(r, "cannot lock the agent");
	if (c->json)
		printf("{\"locked\":true,\"agent\":true}\n");
	else
		printf("locked\n");
	return EXIT_OK;
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	struct sc_agent_status st;
	char dur[32], left[32];
	int r, fd;

	if ((r = no_args(c, argc, argv)) != EXIT_OK)
		return r;
	r = sc_agent_connect(c->vault_dir, &fd);
	if (r == SC_ERR_NOT_FOUND || r == SC_ERR_NO_VAULT) {
		sc_clear_error();
		if (c->json)
			print_json(json_pack("{s:s,s:b,s:b}", "vault", c->vault_dir, "agent", 0,
			                     "unlocked", 0));
		else
			printf("vault:  %s\nstate:  locked (no agent running)\n", c->vault_dir);
		return EXIT_FAIL;
	}
	if (r != SC_OK)
		return cli_fail(r, "cannot reach the agent");
	r = sc_agent_status(fd, &st);
	close(fd);
	if (r != SC_OK)
		return cli_fail(r, "cannot ask the agent");
	format_dur(st.timeout_s, dur, sizeof(dur));
	format_dur(st.idle_left_s, left, sizeof(left));
	if (c->json) {
		json_t *o = json_pack("{s:s,s:b,s:I,s:b}", "vault", c->vault_dir, "agent", 1, "pid",
		                      (json_int_t)st.pid, "unlocked", st.unlocked);

		if (o != NULL && st.unlocked) {
			json_object_set_new(o, "mode",
			                    json_string(st.reveal ? "reveal" : "use-only"));
			json_object_set_new(o, "timeout", json_integer(st.timeout_s));
			json_object_set_new(o, "idle_left", json_integer(st.idle_left_s));
			json_object_set_new(o, "runs", json_integer(st.runs));
		}
		print_json(o);
	} else if (st.unlocked) {
		printf("vault:  %s\nagent:  pid %lld\nstate:  unlocked\nmode:   %s\n"
		       "locks:  in %s (idle timeout %s)\n",
		       c->vault_dir, (long long)st.pid, st.reveal ? "reveal" : "use-only", left,
		       dur);
	} else {
		printf("vault:  %s\nagent:  pid %lld\nstate:  locked\n", c->vault_dir,
		       (long long)st.pid);
	}
	return st.unlocked ? EXIT_OK : EXIT_FAIL;
}

/* ---- `secretctl run` through the agent ---- */

static volatile sig_atomic_t run_ctl_wfd = -1;

static void run_forward(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (run_ctl_wfd >= 0)
		(void)!write(run_ctl_wfd, &b, 1);
	errno = saved;
}

static const int run_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define NRUN_SIGNALS (sizeof(run_signals) / sizeof(run_signals[0]))

static void run_warn_short(void *arg, const char *const *vars, size_t n)
{
	size_t i;

	(void)arg;
	for (i = 0; i < n; i++)
		cli_warn("the value of '%s' is shorter than %d bytes and will not be redacted",
		         vars[i], SC_SANITIZE_MIN_LEN);
	fflush(stderr);
}

/* The same words as cmd_run.c for a run that could not start. */
static int run_refused(int r, const char *detail, const char *cmd)
{
	const char *d = detail != NULL ? detail : "";

	switch (r) {
	case SC_ERR_NOT_FOUND:
		(void)cli_fail(SC_OK, "no secret matches '%s'", d);
		break;
	case SC_ERR_EXPIRED:
		(void)cli_fail(SC_OK, "secret '%s' has expired", d);
		break;
	case SC_ERR_DENIED:
		(void)cli_fail(SC_OK, "the agent refused to run '%s': %s", cmd, d);
		break;
	case SC_ERR_EXISTS:
		(void)cli_fail(SC_OK, "two secrets map to the variable '%s'", d);
		break;
	case SC_ERR_NAME:
		(void)cli_fail(SC_OK, "'%s' does not make a valid variable name", d);
		break;
	case SC_ERR_NOEXEC:
	case SC_ERR_NOTEXEC:
		(void)cli_fail(SC_OK, "'%s': %s", cmd,
		               r == SC_ERR_NOEXEC ? "command not found" : "cannot execute");
		return r == SC_ERR_NOEXEC ? SC_EXEC_EXIT_NOEXEC : SC_EXEC_EXIT_NOTEXEC;
	default:
		(void)cli_fail(r, "cannot run '%s' through the agent", cmd);
	}
	return EXIT_RUN_FAIL;
}

int cli_agent_run(struct cli *c, const struct sc_runenv_opts *ro, const char *path,
                  char *const *argv, uint32_t timeout_ms, int *status)
{
	struct sigaction sa, old[NRUN_SIGNALS];
	struct sc_agent_run run;
	struct sc_exec_result res;
	const char **av = NULL;
	char *detail = NULL;
	int fd = -1, ctl[2] = {-1, -1}, r;
	size_t i, n;
	extern char **environ;

	*status = EXIT_RUN_FAIL;
	if (ro->no_sanitize || cli_agent_connect(c, &fd) != SC_OK)
		return SC_ERR_LOCKED;
	for (n = 0; argv[n] != NULL; n++)
		;
	if ((av = calloc(n + 1, sizeof(*av))) == NULL) {
		close(fd);
		*status = EXIT_RUN_FAIL;
		(void)cli_fail(SC_ERR_NOMEM, "out of memory");
		return SC_OK;
	}
	for (i = 0; i < n; i++)
		av[i] = argv[i];
	memset(&run, 0, sizeof(run));
	run.argv = av;
	/* the command as resolved here, so the agent runs what a run
	 * without it would have run */
	run.exe = path;
	run.keys = ro->patterns;
	run.nkeys = ro->npatterns;
	run.env = ro->base_env != NULL ? ro->base_env : environ;
	run.prefix = ro->prefix;
	run.clean_env = ro->clean_env;
	run.timeout_ms = timeout_ms;
	run.origin = SC_AGENT_ORIGIN_CLI;
	run.stdin_fd = 0;
	run.out_fd = 1;
	run.err_fd = 2;
	run.line_buffered = isatty(1) || isatty(2);
	run.on_start = run_warn_short;
	if (pipe2(ctl, O_CLOEXEC | O_NONBLOCK) != 0) {
		close(fd);
		free(av);
		return SC_ERR_LOCKED;
	}
	run_ctl_wfd = ctl[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = run_forward;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < NRUN_SIGNALS; i++)
		sigaction(run_signals[i], &sa, &old[i]);
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	fflush(stderr);
	r = sc_agent_run(fd, &run, ctl[0], &res, &detail);
	for (i = 0; i < NRUN_SIGNALS; i++)
		sigaction(run_signals[i], &old[i], NULL);
	run_ctl_wfd = -1;
	close(ctl[0]);
	close(ctl[1]);
	close(fd);
	if (r == SC_ERR_LOCKED) {
		/* locked between connect and run: the password path takes over */
		free(detail);
		free(av);
		sc_clear_error();
		return SC_ERR_LOCKED;
	}
	if (r == SC_OK) {
		if (res.timed_out)
			cli_warn("'%s' ran out of time and was stopped", argv[0]);
		*status = res.exit_code;
	} else if ((r == SC_ERR_NOEXEC || r == SC_ERR_NOTEXEC) && res.exit_code != 0) {
		(void)cli_fail(SC_OK, "'%s': %s", argv[0],
		               r == SC_ERR_NOEXEC ? "command not found" : "cannot execute");
		*status = res.exit_code;
	} else {
		if (detail != NULL)
			sc_clear_error(); /* the detail says it; once is enough */
		*status = run_refused(r, detail, argv[0]);
	}
	sc_exec_result_release(&res);
	free(detail);
	free(av);
	return SC_OK;
}
