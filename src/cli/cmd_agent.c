/* cmd_agent.c - `secretctl agent` (the unlock agent in the foreground),
 * `unlock` (hand the key to the vault's agent, starting one as a daemon if
 * none runs), `lock` and `status`; and how other commands reach the agent. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "agent/agent.h"
#include "cli/cli.h"

static void print_json(json_t *o)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

int cli_agent_connect(struct cli *c, int *fd)
{
	const char *off = getenv("SECRETCTL_NO_AGENT");
	int r;

	*fd = -1;
	if (off != NULL && off[0] != '\0' && strcmp(off, "0") != 0)
		return SC_ERR_NOT_FOUND;
	r = sc_agent_connect(c->vault_dir, fd);
	if (r != SC_OK && r != SC_ERR_NOT_FOUND && r != SC_ERR_NO_VAULT) {
		/* an unsafe socket directory is worth saying; then go on
		 * without the agent, as if none ran */
		cli_warn("not using the agent: %s", sc_last_error()[0] ? sc_last_error()
								       : sc_strerror(r));
		sc_clear_error();
	}
	return r;
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
	int fd, devnull, r;

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
	for (fd = 3; fd < 1024; fd++)
		if (fd != lfd && fd != lkfd)
			close(fd);
	if (sc_harden_process() != SC_OK)
		_exit(1);
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
				return cli_usage(c, "bad --timeout '%s' (1s to 7d: 90s, 15m, 8h ...)",
						 optarg);
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
			json_object_set_new(o, "mode", json_string(st.reveal ? "reveal" : "use-only"));
			json_object_set_new(o, "timeout", json_integer(st.timeout_s));
			json_object_set_new(o, "idle_left", json_integer(st.idle_left_s));
			json_object_set_new(o, "runs", json_integer(st.runs));
		}
		print_json(o);
	} else if (st.unlocked) {
		printf("vault:  %s\nagent:  pid %lld\nstate:  unlocked\nmode:   %s\n"
		       "locks:  in %s (idle timeout %s)\n",
		       c->vault_dir, (long long)st.pid, st.reveal ? "reveal" : "use-only", left, dur);
	} else {
		printf("vault:  %s\nagent:  pid %lld\nstate:  locked\n", c->vault_dir,
		       (long long)st.pid);
	}
	return st.unlocked ? EXIT_OK : EXIT_FAIL;
}
