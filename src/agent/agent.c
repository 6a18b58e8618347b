/* agent.c - the unlock agent daemon: its state, logging and audit, the
 * socket, and the main loop (idle lock, signals, vault gone). */
#include "agent/agent_int.h"

/* Wipe the key (the vault handle holds it). Caller holds a->lock. */

/* ---- socket ---- */

/* Take the lock at lockp, then bind sock with the given umask. */
static int listen_at(const char *sock, const char *lockp, mode_t mask, int *listen_fd, int *lock_fd)
{
	struct sockaddr_un sa;
	int s = -1, lk = -1, r;
	mode_t old;

	lk = open(lockp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lk < 0) {
		sc_set_error("cannot open '%s': %s", lockp, strerror(errno));
		return SC_ERR_IO;
	}
	if (flock(lk, LOCK_EX | LOCK_NB) != 0) {
		r = errno == EWOULDBLOCK ? SC_ERR_BUSY : SC_ERR_IO;
		if (r == SC_ERR_BUSY)
			sc_set_error("an agent already serves this vault");
		goto out;
	}
	/* we hold the lock, so a socket file left here is a dead agent's */
	if (unlink(sock) != 0 && errno != ENOENT) {
		sc_set_error("cannot remove the stale socket '%s': %s", sock, strerror(errno));
		r = SC_ERR_IO;
		goto out;
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		r = SC_ERR_IO;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	old = umask(mask);
	r = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r != 0 || listen(s, 64) != 0) {
		sc_set_error("cannot listen on '%s': %s", sock, strerror(errno));
		r = SC_ERR_IO;
		goto out;
	}
	*listen_fd = s;
	*lock_fd = lk;
	return SC_OK;
out:
	if (s >= 0)
		close(s);
	close(lk);
	return r;
}

int agent_listen(const char *vault_dir, int *listen_fd, int *lock_fd, char **sock_path)
{
	char *sock = NULL, *lockp = NULL, *dir = NULL;
	int r;

	*listen_fd = *lock_fd = -1;
	*sock_path = NULL;
	if ((r = sc_agent_paths(vault_dir, &sock, &lockp)) != SC_OK)
		goto out;
	if ((r = sc_agent_dir(&dir)) != SC_OK || (r = sc_agent_dir_check(dir, 1)) != SC_OK)
		goto out;
	/* the socket file is born 0600 */
	if ((r = listen_at(sock, lockp, 0177, listen_fd, lock_fd)) != SC_OK)
		goto out;
	*sock_path = sock;
	sock = NULL;
out:
	free(sock);
	free(lockp);
	free(dir);
	return r;
}

int agent_listen_system(const struct sc_system_conf *sys, int *listen_fd, int *lock_fd)
{
	char dir[sizeof(sys->socket)], lockp[sizeof(sys->socket) + 8], *slash;
	struct stat st;

	*listen_fd = *lock_fd = -1;
	if (geteuid() != sys->uid) {
		sc_set_error("the system agent must run as '%s' (uid %lu), not as uid %lu",
		             sys->user, (unsigned long)sys->uid, (unsigned long)geteuid());
		return SC_ERR_PERM;
	}
	memcpy(dir, sys->socket, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return SC_ERR_INVALID;
	*slash = '\0';
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0) {
		sc_set_error("the socket directory '%s' must be a directory of uid %lu, not "
		             "writable by others",
		             dir, (unsigned long)geteuid());
		return SC_ERR_PERM;
	}
	snprintf(lockp, sizeof(lockp), "%s.lock", sys->socket);
	/* 0666: every uid may connect; the peer check admits the owners only */
	return listen_at(sys->socket, lockp, 0111, listen_fd, lock_fd);
}

/* ---- the main loop ---- */

static int vault_identity(const char *dir, dev_t *dev, ino_t *ino)
{
	char path[4096];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/vault.db", dir) >= sizeof(path))
		return -1;
	if (stat(path, &st) != 0)
		return -1;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

static int vault_gone(struct agent *a)
{
	dev_t d;
	ino_t i;

	return vault_identity(a->o->vault_dir, &d, &i) != 0 || d != a->vdev || i != a->vino;
}

/* Cancel the runs still going and wait, bounded, for the connections to
 * finish (a run's client gets its exit status; a `lock` its reply). */
static void drain(struct agent *a)
{
	struct timespec until;
	size_t i;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < AGENT_CONNS_MAX; i++)
		if (a->ctl_fds[i] >= 0) {
			uint8_t b = SC_EXEC_CTL_CANCEL;

			(void)!write(a->ctl_fds[i], &b, 1);
		}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += a->runs > 0 ? SC_EXEC_GRACE_MS_DEFAULT / 1000 + 2 : 1;
	while (a->conns > 0)
		if (pthread_cond_timedwait(&a->idle, &a->lock, &until) != 0)
			break;
	pthread_mutex_unlock(&a->lock);
}

int agent_serve(struct agent_opts *o)
{
	struct agent a;
	struct pollfd pfd[3];
	sigset_t mask;
	int sfd = -1, r = SC_OK;
	size_t i;

	memset(&a, 0, sizeof(a));
	a.o = o;
	a.wake[0] = a.wake[1] = -1;
	for (i = 0; i < AGENT_CONNS_MAX; i++)
		a.ctl_fds[i] = -1;
	agent_log_stderr = o->foreground;
	if (!o->foreground)
		openlog("secretctl-agent", LOG_PID, LOG_AUTHPRIV);
	pthread_mutex_init(&a.lock, NULL);
	pthread_mutex_init(&a.pw_lock, NULL);
	pthread_cond_init(&a.idle, NULL);
	a.timeout_s = o->timeout_s ? o->timeout_s : SC_AGENT_TIMEOUT_DEFAULT;
	a.reveal = o->reveal;
	if (vault_identity(o->vault_dir, &a.vdev, &a.vino) != 0) {
		sc_set_error("no vault at '%s'", o->vault_dir);
		r = SC_ERR_NO_VAULT;
		goto out;
	}
	if (o->dek != NULL) {
		r = agent_open_with_dek(o->vault_dir, o->dek, &a.vault);
		sc_secmem_free(o->dek);
		o->dek = NULL;
		if (r == SC_OK)
			r = sc_redact_cache_new(o->pw, o->pw != NULL ? o->pw_len : 0, &a.redact);
		sc_secmem_free(o->pw);
		o->pw = NULL;
		if (r != SC_OK)
			goto out;
		a.last_use = agent_now_s();
		agent_log(LOG_INFO, "unlocked (%s mode, idle timeout %us)",
		          a.reveal ? "reveal" : "use-only", a.timeout_s);
	} else {
		a.reveal = 0;
	}
	/* terminating signals arrive on a signalfd; every thread (and so every
	 * run's child, until posix_spawn resets its mask) has them blocked */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGQUIT);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    pipe2(a.wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		r = SC_ERR_IO;
		goto out;
	}
	for (;;) {
		int64_t wait_ms = 1000, left;

		pthread_mutex_lock(&a.lock);
		if (a.vault != NULL && a.runs == 0) {
			left = a.last_use + a.timeout_s - agent_now_s();
			if (left <= 0)
				agent_lock_key(&a, "idle timeout");
			else if (left * 1000 < wait_ms)
				wait_ms = left * 1000;
		}
		if (a.vault == NULL && !o->foreground)
			a.quit = 1;
		if (vault_gone(&a)) {
			agent_lock_key(&a, "the vault is gone");
			agent_log(LOG_INFO, "exiting: the vault at '%s' is gone", o->vault_dir);
			a.quit = 1;
		}
		pthread_mutex_unlock(&a.lock);
		if (a.quit)
			break;
		pfd[0].fd = o->listen_fd;
		pfd[1].fd = sfd;
		pfd[2].fd = a.wake[0];
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		if (poll(pfd, 3, (int)wait_ms) < 0 && errno != EINTR) {
			r = SC_ERR_IO;
			break;
		}
		if (pfd[2].revents & POLLIN) {
			char buf[64];

			while (read(a.wake[0], buf, sizeof(buf)) > 0)
				;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				pthread_mutex_lock(&a.lock);
				agent_lock_key(&a,
				               si.ssi_signo == SIGHUP ? "SIGHUP" : "terminated");
				if (si.ssi_signo != SIGHUP || !o->foreground)
					a.quit = 1;
				pthread_mutex_unlock(&a.lock);
			}
		}
		if (pfd[0].revents & POLLIN)
			agent_accept_one(&a, o->listen_fd);
	}
	/* stop taking connections first, so no client finds a dying agent */
	if (o->sock_path != NULL)
		unlink(o->sock_path);
	close(o->listen_fd);
	o->listen_fd = -1;
	drain(&a);
out:
	pthread_mutex_lock(&a.lock);
	agent_lock_key(&a, "exit");
	pthread_mutex_unlock(&a.lock);
	if (sfd >= 0)
		close(sfd);
	if (a.wake[0] >= 0) {
		close(a.wake[0]);
		close(a.wake[1]);
	}
	if (o->listen_fd >= 0) {
		if (o->sock_path != NULL)
			unlink(o->sock_path);
		close(o->listen_fd);
		o->listen_fd = -1;
	}
	return r;
}
