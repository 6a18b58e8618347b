/* cmd_unlock.c - `secretctl unlock`: derive the key once and hand it to a
 * new agent daemon (started here) that holds it in locked memory. */
#include "cli/agent_cmds.h"

/* ---- secretctl unlock ---- */

#ifdef SC_COVERAGE
void __gcov_dump(void); /* libgcov: write the counters (_exit skips atexit) */
#endif

/* The daemon leaves by _exit (no atexit handlers of the parent it forked
 * from); a coverage build writes its counters first. */
static void daemon_exit(int st)
{
#ifdef SC_COVERAGE
	__gcov_dump();
#endif
	_exit(st);
}

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
	{
		const char *pw;
		size_t len;

		/* the password too, for the sanitizer (the parent's copy is not
		 * locked here: this one is) */
		if (cli_kept_password(&pw, &len) && (o.pw = sc_secmem_dup(pw, len)) != NULL)
			o.pw_len = len;
		cli_drop_kept_password();
	}
	o.vault_dir = c->vault_dir;
	o.listen_fd = lfd;
	o.lock_fd = lkfd;
	o.sock_path = sock;
	o.timeout_s = timeout_s;
	o.reveal = reveal;
	r = agent_serve(&o);
	daemon_exit(r == SC_OK ? 0 : 1);
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

const struct cli_opt cli_opts_unlock[] = {
    {'t', 0, "timeout", "DUR", "lock after DUR idle, 1s to 7d (default 15m)", 0},
    {'r', 0, "reveal", NULL, "let 'get' read values through the agent (default: use-only)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

int cmd_unlock(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_agent_status st;
	struct sc_vault *v = NULL;
	uint8_t *dek = NULL;
	int64_t secs = SC_AGENT_TIMEOUT_DEFAULT;
	int ch, r, fd = -1, reveal = 0, tries, rc = EXIT_FAIL;
	char dur[32];

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		const char *optarg = p.val;

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
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
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
			const char *pw;
			size_t pwlen;

			(void)cli_kept_password(&pw, &pwlen);
			r = sc_agent_unlock(fd, dek, pw, pwlen, (uint32_t)secs, reveal);
			break;
		}
		if (r != SC_ERR_NOT_FOUND)
			break;
		if (c->sys != NULL) {
			/* the run user's agent is started by the system, not here */
			sc_set_error("the run user's agent is not running (docs/SYSTEM-AGENT.md)");
			break;
		}
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
	cli_format_dur(st.timeout_s, dur, sizeof(dur));
	if (reveal)
		cli_warn("--reveal: until the agent locks, any process running as your user, an AI "
		         "agent's shell included, can read secret values through the agent without "
		         "the password (the default use-only mode never hands out a value)");
	if (c->json)
		cli_print_json(json_pack("{s:b,s:s,s:I,s:I}", "unlocked", 1, "mode",
		                         st.reveal ? "reveal" : "use-only", "timeout",
		                         (json_int_t)st.timeout_s, "pid", (json_int_t)st.pid));
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
