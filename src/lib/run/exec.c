/* exec.c - the hardened process engine behind `run` and `secret_run`: spawn
 * with an explicit argv and environment, pump the output through the
 * sanitizer, bound the run in time and kill everything it started. */
#include "run/exec_int.h"

/* ---- the run ------------------------------------------------------------- */

struct run {
	const struct sc_exec_opts *o;
	pid_t pid;
	int pidfd;
	int exited; /* the direct child has exited (zombie kept until the end) */
	int status_code, status_sig;
	int term_sent, kill_sent, timed_out, cancelled;
	uint64_t deadline, kill_at, drain_until, abandon_at, give_up;
	int ctl_open;
	struct stream st[2];
};

static void group_signal(struct run *rn, int sig)
{
	/* The leader is not reaped before the end, so -pid still names our
	 * group and no one else's. */
	if (kill(-rn->pid, sig) != 0 && errno == ESRCH && !rn->exited)
		kill(rn->pid, sig);
}

static void start_terminate(struct run *rn, uint64_t t)
{
	uint32_t grace = rn->o->grace_ms ? rn->o->grace_ms : SC_EXEC_GRACE_MS_DEFAULT;

	if (rn->term_sent || rn->kill_sent)
		return;
	rn->term_sent = 1;
	group_signal(rn, SIGTERM);
	/* a stopped process can not act on SIGTERM */
	group_signal(rn, SIGCONT);
	rn->kill_at = t + grace;
}

static void kill_group(struct run *rn, uint64_t t)
{
	if (rn->kill_sent)
		return;
	rn->kill_sent = 1;
	group_signal(rn, SIGKILL);
	rn->abandon_at = t + SC_EXEC_DRAIN_MS;
	rn->give_up = rn->abandon_at;
}

static void check_exit(struct run *rn, uint64_t t)
{
	siginfo_t si;

	if (rn->exited)
		return;
	memset(&si, 0, sizeof(si));
	/* WNOWAIT: look, but leave the zombie (see group_signal) */
	if (waitid(P_PID, (id_t)rn->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0)
		return;
	rn->exited = 1;
	if (si.si_code == CLD_EXITED)
		rn->status_code = si.si_status;
	else
		rn->status_sig = si.si_status;
	rn->drain_until = t + SC_EXEC_DRAIN_MS;
	if (rn->pidfd >= 0) {
		close(rn->pidfd);
		rn->pidfd = -1;
	}
}

static void read_ctl(struct run *rn, uint64_t t)
{
	uint8_t b[64];
	ssize_t n, i;

	n = read(rn->o->ctl_fd, b, sizeof(b));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		rn->ctl_open = 0; /* EOF or error: stop listening */
		return;
	}
	for (i = 0; i < n; i++) {
		if (b[i] == SC_EXEC_CTL_CANCEL) {
			if (!rn->exited && !rn->term_sent && !rn->kill_sent)
				rn->cancelled = 1;
			start_terminate(rn, t);
		} else if (b[i] < NSIG) {
			group_signal(rn, b[i]);
		}
	}
}

static int min_wait(uint64_t t, uint64_t at, int cur)
{
	uint64_t d;

	if (at == 0)
		return cur;
	d = (at > t) ? at - t : 0;
	if (d > INT_MAX)
		d = INT_MAX;
	return (cur < 0 || (int)d < cur) ? (int)d : cur;
}

static int spawn_errno_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return SC_ERR_NOEXEC;
	case EACCES:
	case EPERM:
	case ENOEXEC:
	case EISDIR:
	case ETXTBSY:
	case ELOOP:
		return SC_ERR_NOTEXEC;
	case E2BIG:
		return SC_ERR_TOOBIG;
	case ENOMEM:
		return SC_ERR_NOMEM;
	case EAGAIN:
		return SC_ERR_BUSY;
	default:
		return SC_ERR_IO;
	}
}

/* A CLOEXEC pipe whose ends are all >= 3, so that the dup2s onto 0-2 in
 * the child can not clobber one another; the read end is non-blocking. */
static int make_pipe(int p[2])
{
	int i, fd;

	if (pipe2(p, O_CLOEXEC) != 0)
		return SC_ERR_IO;
	for (i = 0; i < 2; i++) {
		if (p[i] > 2)
			continue;
		fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			close(p[0]);
			close(p[1]);
			p[0] = p[1] = -1;
			return SC_ERR_IO;
		}
		close(p[i]);
		p[i] = fd;
	}
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) != 0) {
		close(p[0]);
		close(p[1]);
		p[0] = p[1] = -1;
		return SC_ERR_IO;
	}
	return SC_OK;
}

static int may_block(int fd)
{
	struct stat st;

	return fstat(fd, &st) != 0 || !S_ISREG(st.st_mode);
}

/* Give the terminal back to the caller's group. From a background group
 * tcsetpgrp raises SIGTTOU unless it is blocked, so block it here. */
static void tty_restore(int tty_fd)
{
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGTTOU);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	(void)tcsetpgrp(tty_fd, getpgrp());
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static int spawn(struct run *rn, int out_w, int err_w, int in_fd, int cwd_fd, int use_tty)
{
	const struct sc_exec_opts *o = rn->o;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int e;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return ENOMEM;
	if (posix_spawnattr_init(&at) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return ENOMEM;
	}
	sigfillset(&all);
	sigemptyset(&none);
	/* The order of the file actions matters: the terminal and the cwd fd
	 * are used before the stdio dup2s, and closefrom comes last. */
	if ((e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
	                                           POSIX_SPAWN_SETSIGMASK)) != 0 ||
	    (e = posix_spawnattr_setpgroup(&at, 0)) != 0 ||
	    (e = posix_spawnattr_setsigdefault(&at, &all)) != 0 ||
	    (e = posix_spawnattr_setsigmask(&at, &none)) != 0)
		goto out;
	if (use_tty && (e = posix_spawn_file_actions_addtcsetpgrp_np(&fa, o->tty_fd)) != 0)
		goto out;
	if (cwd_fd >= 0 && (e = posix_spawn_file_actions_addfchdir_np(&fa, cwd_fd)) != 0)
		goto out;
	if ((e = posix_spawn_file_actions_adddup2(&fa, in_fd, 0)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, out_w, 1)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, err_w, 2)) != 0 ||
	    (e = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) != 0)
		goto out;
	e = posix_spawn(&rn->pid, o->path, &fa, &at, o->argv, o->envp);
out:
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return e;
}

static int stream_setup(struct run *rn, struct stream *s, int read_fd, int out_fd)
{
	int r;

	s->fd = read_fd;
	s->out_fd = out_fd;
	s->give_up = &rn->give_up;
	if (rn->o->sanitizer != NULL &&
	    (r = sc_sanitize_stream_new(rn->o->sanitizer, &s->san)) != SC_OK)
		return r;
	if (out_fd >= 0) {
		s->gate = may_block(out_fd);
		if ((s->obuf = malloc(OBUF_SIZE)) == NULL)
			return SC_ERR_NOMEM;
	} else {
		s->cap_max = rn->o->capture_max;
	}
	return SC_OK;
}

static void stream_release(struct stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	sc_sanitize_stream_free(s->san);
	s->san = NULL;
	if (s->obuf != NULL) {
		sc_wipe(s->obuf, OBUF_SIZE);
		free(s->obuf);
		s->obuf = NULL;
	}
	if (s->cap != NULL) {
		sc_wipe(s->cap, s->cap_size);
		free(s->cap);
		s->cap = NULL;
	}
}

/* Read what is there; EOF closes the stream. */
static int stream_pump(struct run *rn, struct stream *s, uint8_t *rbuf)
{
	ssize_t n;
	int r;

	n = read(s->fd, rbuf, RBUF_SIZE);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return SC_OK;
		return sc_exec_stream_close(s);
	}
	if (n == 0)
		return sc_exec_stream_close(s);
	r = sc_exec_stream_feed(s, rbuf, (size_t)n);
	sc_wipe(rbuf, (size_t)n);
	if (r != SC_OK)
		return r;
	if (rn->o->line_buffered && s->out_fd >= 0)
		sc_exec_out_flush(s);
	if (s->broken) {
		/* Nobody reads our output any more: let the child find out the
		 * way it would without us in between (SIGPIPE / EPIPE). */
		r = sc_exec_stream_close(s);
	}
	return r;
}

static int pump(struct run *rn)
{
	const struct sc_exec_opts *o = rn->o;
	struct pollfd pfd[4];
	int idx[4];
	uint8_t *rbuf;
	uint64_t t;
	int n, i, k, wait_ms, r = SC_OK;

	/* Raw output may hold secrets before it is sanitized. */
	rbuf = sc_secmem_alloc(RBUF_SIZE);
	if (rbuf == NULL)
		return SC_ERR_NOMEM;
	for (;;) {
		t = sc_exec_now_ms();
		if (!rn->exited && rn->pidfd < 0)
			check_exit(rn, t);
		/* timers */
		if (rn->deadline && t >= rn->deadline && !rn->exited) {
			rn->deadline = 0;
			rn->timed_out = 1;
			start_terminate(rn, t);
		}
		if (rn->term_sent && !rn->kill_sent && t >= rn->kill_at &&
		    (!rn->exited || rn->st[0].fd >= 0 || rn->st[1].fd >= 0))
			kill_group(rn, t);
		if (rn->exited && !rn->kill_sent && t >= rn->drain_until &&
		    (rn->st[0].fd >= 0 || rn->st[1].fd >= 0))
			kill_group(rn, t);
		if (rn->kill_sent && t >= rn->abandon_at) {
			/* Something outside the group holds the pipes (it left
			 * with setsid): stop waiting for it. */
			for (i = 0; i < 2; i++)
				if ((k = sc_exec_stream_close(&rn->st[i])) != SC_OK && r == SC_OK)
					r = k;
			if (r != SC_OK)
				break;
		}
		if (rn->exited && rn->st[0].fd < 0 && rn->st[1].fd < 0)
			break;

		n = 0;
		for (i = 0; i < 2; i++) {
			if (rn->st[i].fd >= 0) {
				pfd[n].fd = rn->st[i].fd;
				pfd[n].events = POLLIN;
				idx[n++] = i;
			}
		}
		if (rn->pidfd >= 0) {
			pfd[n].fd = rn->pidfd;
			pfd[n].events = POLLIN;
			idx[n++] = 2;
		}
		if (rn->ctl_open) {
			pfd[n].fd = o->ctl_fd;
			pfd[n].events = POLLIN;
			idx[n++] = 3;
		}
		wait_ms = -1;
		if (!rn->exited && rn->pidfd < 0)
			wait_ms = POLL_FALLBACK_MS;
		wait_ms = min_wait(t, rn->deadline, wait_ms);
		if (rn->term_sent && !rn->kill_sent)
			wait_ms = min_wait(t, rn->kill_at, wait_ms);
		if (rn->exited && !rn->kill_sent)
			wait_ms = min_wait(t, rn->drain_until, wait_ms);
		if (rn->kill_sent)
			wait_ms = min_wait(t, rn->abandon_at, wait_ms);
		for (i = 0; i < n; i++)
			pfd[i].revents = 0;
		/* Batch output while the child is busy; write it before sleeping. */
		if (!o->line_buffered && (rn->st[0].olen > 0 || rn->st[1].olen > 0)) {
			k = poll(pfd, (nfds_t)n, 0);
			if (k == 0) {
				sc_exec_out_flush(&rn->st[0]);
				sc_exec_out_flush(&rn->st[1]);
				k = poll(pfd, (nfds_t)n, wait_ms);
			}
		} else {
			k = poll(pfd, (nfds_t)n, wait_ms);
		}
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = SC_ERR_IO;
			break;
		}
		t = sc_exec_now_ms();
		for (i = 0; i < n && r == SC_OK; i++) {
			if (pfd[i].revents == 0)
				continue;
			switch (idx[i]) {
			case 0:
			case 1:
				r = stream_pump(rn, &rn->st[idx[i]], rbuf);
				break;
			case 2:
				check_exit(rn, t);
				break;
			case 3:
				read_ctl(rn, t);
				break;
			}
		}
		if (r != SC_OK)
			break;
	}
	sc_secmem_free(rbuf);
	return r;
}

int sc_exec_check_id(const struct sc_exec_opts *o)
{
	struct stat st;

	if (!o->check_id)
		return SC_OK;
	/* the program the policy saw: not another file swapped in under the
	 * same name since (the window left is this stat to the exec) */
	if (stat(o->path, &st) != 0) {
		sc_set_error("'%s' is gone since it was checked", o->path);
		return SC_ERR_NOEXEC;
	}
	if ((uint64_t)st.st_dev != o->dev || (uint64_t)st.st_ino != o->ino) {
		sc_set_error("'%s' was replaced after it was checked; not running it", o->path);
		return SC_ERR_DENIED;
	}
	return SC_OK;
}

int sc_exec_run(const struct sc_exec_opts *o, struct sc_exec_result *res)
{
	struct run rn;
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	int devnull = -1, cwd_fd = -1, use_tty = 0, spawned = 0;
	int e, i, r, status;
	uint64_t t0;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (o == NULL || res == NULL || o->path == NULL || o->path[0] != '/' || o->argv == NULL ||
	    o->argv[0] == NULL || o->envp == NULL)
		return SC_ERR_INVALID;
	if ((r = sc_exec_check_id(o)) != SC_OK)
		return r;
	memset(&rn, 0, sizeof(rn));
	rn.o = o;
	rn.pidfd = -1;
	rn.give_up = UINT64_MAX;
	rn.st[0].fd = rn.st[1].fd = -1;

	if (o->cwd != NULL) {
		cwd_fd = open(o->cwd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cwd_fd < 0) {
			r = (errno == ENOENT)   ? SC_ERR_NOT_FOUND
			    : (errno == EACCES) ? SC_ERR_PERM
			                        : SC_ERR_INVALID;
			goto out;
		}
		/* fchdir failing in the child would look like an exec error */
		if (faccessat(cwd_fd, ".", X_OK, 0) != 0) {
			r = SC_ERR_PERM;
			goto out;
		}
	}
	if (o->stdin_fd < 0) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0) {
			r = SC_ERR_IO;
			goto out;
		}
	}
	/* Only hand the terminal over when we hold it: a run in the
	 * background must not steal it from the shell's foreground job. */
	if (o->tty_fd >= 0 && isatty(o->tty_fd) && tcgetpgrp(o->tty_fd) == getpgrp())
		use_tty = 1;
	if ((r = make_pipe(outp)) != SC_OK || (r = make_pipe(errp)) != SC_OK)
		goto out;
	if ((r = stream_setup(&rn, &rn.st[0], outp[0], o->out_fd)) != SC_OK)
		goto out;
	outp[0] = -1;
	if ((r = stream_setup(&rn, &rn.st[1], errp[0], o->err_fd)) != SC_OK)
		goto out;
	errp[0] = -1;

	t0 = sc_exec_now_ms();
	e = spawn(&rn, outp[1], errp[1], o->stdin_fd >= 0 ? o->stdin_fd : devnull, cwd_fd, use_tty);
	if (e != 0) {
		r = spawn_errno_status(e);
		res->exec_errno = e;
		if (r == SC_ERR_NOEXEC)
			res->exit_code = SC_EXEC_EXIT_NOEXEC;
		else if (r == SC_ERR_NOTEXEC)
			res->exit_code = SC_EXEC_EXIT_NOTEXEC;
		goto out;
	}
	spawned = 1;
	/* Our copies of the write ends must go, or EOF never comes. */
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	rn.pidfd = (int)syscall(SYS_pidfd_open, rn.pid, 0);
	if (rn.pidfd >= 0)
		(void)fcntl(rn.pidfd, F_SETFD, FD_CLOEXEC);
	rn.ctl_open = (o->ctl_fd >= 0);
	if (o->timeout_ms > 0)
		rn.deadline = t0 + o->timeout_ms;
	if (rn.deadline)
		rn.give_up = rn.deadline + (o->grace_ms ? o->grace_ms : SC_EXEC_GRACE_MS_DEFAULT) +
		             SC_EXEC_DRAIN_MS;

	r = pump(&rn);

	/* Whatever is left of the group dies with the run; then reap. */
	group_signal(&rn, SIGKILL);
	while (waitpid(rn.pid, &status, 0) < 0 && errno == EINTR)
		;
	spawned = 0;
	if (r != SC_OK)
		goto out;
	if (!rn.exited) {
		/* the loop only ends early on an error */
		r = SC_ERR_INTERNAL;
		goto out;
	}
	res->duration_ms = sc_exec_now_ms() - t0;
	res->timed_out = rn.timed_out;
	res->cancelled = rn.cancelled;
	res->term_signal = rn.status_sig;
	if (rn.timed_out)
		res->exit_code = SC_EXEC_EXIT_TIMEOUT;
	else if (rn.status_sig)
		res->exit_code = SC_EXEC_EXIT_SIGNAL + rn.status_sig;
	else
		res->exit_code = rn.status_code;
	res->out_dropped = rn.st[0].dropped;
	res->err_dropped = rn.st[1].dropped;
	if (o->out_fd < 0) {
		res->out = rn.st[0].cap;
		res->out_len = rn.st[0].cap_len;
		rn.st[0].cap = NULL;
	}
	if (o->err_fd < 0) {
		res->err = rn.st[1].cap;
		res->err_len = rn.st[1].cap_len;
		rn.st[1].cap = NULL;
	}
out:
	if (spawned) {
		group_signal(&rn, SIGKILL);
		while (waitpid(rn.pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (use_tty)
		tty_restore(o->tty_fd);
	if (rn.pidfd >= 0)
		close(rn.pidfd);
	for (i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		stream_release(&rn.st[i]);
	}
	if (devnull >= 0)
		close(devnull);
	if (cwd_fd >= 0)
		close(cwd_fd);
	return r;
}

void sc_exec_result_release(struct sc_exec_result *res)
{
	if (res == NULL)
		return;
	if (res->out != NULL) {
		sc_wipe(res->out, res->out_len);
		free(res->out);
	}
	if (res->err != NULL) {
		sc_wipe(res->err, res->err_len);
		free(res->err);
	}
	res->out = res->err = NULL;
	res->out_len = res->err_len = 0;
}
