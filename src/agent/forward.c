/* forward.c - a dedicated run user's agent runs a secretctl command for an
 * owner who gave the vault password (docs/SYSTEM-AGENT.md): the command
 * then works on the vault as the run user, whose files and processes the
 * owner's uid cannot read. The password is checked here first, one try at
 * a time, a wrong one audited and answered after a pause. */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "agent/agent_int.h"
#include "secretctl/session.h"

#define FORWARD_FAIL_PAUSE_S 2 /* after a wrong password: online guessing stays slow */
#define FORWARD_GRACE_S 5      /* a caller gone: SIGTERM, then SIGKILL after this */

/* The caller's environment for the child, less what would point it
 * elsewhere or change how this binary loads: its own settings come last. */
static int keep_env(const char *e)
{
	static const char *const drop[] = {
	    "SECRETCTL_", "LD_", "XDG_RUNTIME_DIR=", "HOME=", "GCONV_PATH=", "MALLOC_", NULL};
	size_t i;

	for (i = 0; drop[i] != NULL; i++)
		if (strncmp(e, drop[i], strlen(drop[i])) == 0)
			return 0;
	return 1;
}

static int check_password(struct agent *a, const uint8_t *pw, size_t len)
{
	struct sc_vault *v = NULL;
	int r, recorded = 1;

	pthread_mutex_lock(&a->pw_lock);
	if ((r = sc_vault_open(a->o->vault_dir, &v)) == SC_OK)
		r = sc_session_unlock(v, SC_AUDIT_SRC_CLI, (const char *)pw, len, &recorded);
	sc_vault_close(v);
	if (r == SC_ERR_AUTH) {
		agent_log(LOG_WARNING, "a forwarded command came with a wrong password%s",
		          recorded ? "" : " (not recorded in the audit log)");
		sleep(FORWARD_FAIL_PAUSE_S);
	}
	pthread_mutex_unlock(&a->pw_lock);
	return r;
}

static int write_full(int fd, const uint8_t *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		if ((k = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Build the child's argv and envp (malloc'd vectors of borrowed strings,
 * but for the few made here, in own[]). */
struct fwd_cmd {
	const char **argv, **envp;
	char sysdir[PATH_MAX + 32], home[PATH_MAX + 8];
};

static int build(struct agent *a, const struct sc_agent_req *q, struct fwd_cmd *f)
{
	size_t i, n = 0;

	f->argv = calloc(q->argc + 6, sizeof(*f->argv));
	f->envp = calloc(q->nenv + 5, sizeof(*f->envp));
	if (f->argv == NULL || f->envp == NULL)
		return SC_ERR_NOMEM;
	f->argv[n++] = a->o->exe;
	f->argv[n++] = "--vault";
	f->argv[n++] = a->o->vault_dir;
	f->argv[n++] = "--password-fd";
	f->argv[n++] = "3";
	for (i = 0; i < q->argc; i++)
		f->argv[n++] = q->argv[i];
	n = 0;
	for (i = 0; i < q->nenv; i++)
		if (keep_env(q->env[i]))
			f->envp[n++] = q->env[i];
	snprintf(f->sysdir, sizeof(f->sysdir), "SECRETCTL_SYSTEM_DIR=%s", a->o->confdir);
	snprintf(f->home, sizeof(f->home), "HOME=%s", a->o->vault_dir);
	f->envp[n++] = f->sysdir;
	f->envp[n++] = f->home;
	/* the command came with the password: it uses it, as a command given
	 * the password does (unlock still hands its key to us) */
	f->envp[n++] = "SECRETCTL_NO_AGENT=1";
	return SC_OK;
}

/* In the child, after fork in a threaded process: only async-signal-safe
 * calls until exec. */
static void child(const struct fwd_cmd *f, const int *fds, int pwfd, const char *cwd)
{
	int i;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], 100 + i) < 0)
			_exit(126);
	if (dup2(pwfd, 103) < 0)
		_exit(126);
	for (i = 0; i < 4; i++)
		if (dup2(100 + i, i) < 0)
			_exit(126);
	if (close_range(4, ~0U, 0) != 0)
		_exit(126);
	if (chdir(cwd) != 0) {
		static const char msg[] = "secretctl: the run user cannot enter the caller's "
		                          "directory; running from '/' (docs/SYSTEM-AGENT.md)\n";
		(void)!write(2, msg, sizeof(msg) - 1);
		if (chdir("/") != 0)
			_exit(126);
	}
	execve(f->argv[0], (char *const *)f->argv, (char *const *)f->envp);
	_exit(127);
}

/* Wait for the child; a caller that hangs up takes it down. */
static int wait_child(int fd, pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), st = 0, killed = 0;
	struct pollfd p[2];

	while (pidfd >= 0) {
		p[0].fd = pidfd;
		p[0].events = POLLIN;
		p[1].fd = fd;
		p[1].events = POLLIN;
		if (poll(p, killed ? 1 : 2, killed ? FORWARD_GRACE_S * 1000 : -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & POLLIN)
			break;
		if (killed) {
			kill(pid, SIGKILL);
			break;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			char b;

			if (recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0 ||
			    (p[1].revents & POLLHUP)) {
				kill(pid, SIGTERM);
				killed = 1;
			}
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

int agent_op_forward(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                     size_t nfds)
{
	struct fwd_cmd f;
	uint8_t *pw = NULL;
	int pp[2] = {-1, -1}, r, rc;
	pid_t pid;

	memset(&f, 0, sizeof(f));
	if ((r = sc_agent_recv_attach(fd, q->attach_len, &pw)) != SC_OK)
		return r;
	if (a->o->sys == NULL) {
		r = agent_reply_err(fd, SC_ERR_DENIED, "this agent forwards no commands");
		goto out;
	}
	if (nfds != 3) {
		r = agent_reply_err(fd, SC_ERR_INVALID, "a forwarded command sends exactly 3 fds");
		goto out;
	}
	if ((r = check_password(a, pw, q->attach_len)) != SC_OK) {
		r = r == SC_ERR_AUTH ? agent_reply_err(fd, r, "wrong password")
		                     : agent_reply_status(fd, r);
		goto out;
	}
	if ((r = build(a, q, &f)) != SC_OK || pipe2(pp, O_CLOEXEC) != 0) {
		r = agent_reply_status(fd, r != SC_OK ? r : SC_ERR_IO);
		goto out;
	}
	/* the password and its newline fit in the pipe's buffer: written
	 * before the child starts, the write end closed so it reads EOF */
	if (write_full(pp[1], pw, q->attach_len) != 0 ||
	    write_full(pp[1], (const uint8_t *)"\n", 1) != 0) {
		r = agent_reply_status(fd, SC_ERR_IO);
		goto out;
	}
	close(pp[1]);
	pp[1] = -1;
	sc_secmem_free(pw);
	pw = NULL;
	if ((pid = fork()) < 0) {
		r = agent_reply_status(fd, SC_ERR_IO);
		goto out;
	}
	if (pid == 0)
		child(&f, fds, pp[0], q->cwd);
	close(pp[0]);
	pp[0] = -1;
	agent_log(LOG_INFO, "forwarded '%s' (pid %ld)", q->argv[0], (long)pid);
	rc = wait_child(fd, pid);
	r = agent_reply(fd, json_pack("{s:i}", "exit", rc), NULL, 0);
out:
	if (pp[0] >= 0)
		close(pp[0]);
	if (pp[1] >= 0)
		close(pp[1]);
	sc_secmem_free(pw);
	free(f.argv);
	free(f.envp);
	return r;
}
