/* conn.c - the agent's connections: accept with the peer check, then one
 * request gate per frame. */
#include "agent/agent_int.h"

/* ---- connections ---- */

/* ---- the request gate: one table of ops, "locked?" asked once ---- */

#define NEEDS_KEY 1u /* refused while locked, before the op runs */

static int do_status(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                     size_t nfds)
{
	(void)q, (void)fds, (void)nfds;
	return agent_op_status(a, fd);
}

static int do_lock(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                   size_t nfds)
{
	(void)q, (void)fds, (void)nfds;
	return agent_op_lock(a, fd);
}

static int do_unlock(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                     size_t nfds)
{
	(void)fds, (void)nfds;
	return agent_op_unlock(a, fd, q);
}

static int do_list(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                   size_t nfds)
{
	(void)fds, (void)nfds;
	return agent_op_list(a, fd, q);
}

static int do_exists(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                     size_t nfds)
{
	(void)fds, (void)nfds;
	return agent_op_exists(a, fd, q);
}

static int do_fields(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                     size_t nfds)
{
	(void)fds, (void)nfds;
	return agent_op_fields_get(a, fd, q, 0);
}

static int do_get(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                  size_t nfds)
{
	(void)fds, (void)nfds;
	return agent_op_fields_get(a, fd, q, 1);
}

static int do_history(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                      size_t nfds)
{
	(void)fds, (void)nfds;
	return agent_op_history(a, fd, q);
}

static int do_forward(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                      size_t nfds)
{
	return agent_op_forward(a, fd, q, fds, nfds);
}

static int do_key(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                  size_t nfds)
{
	(void)fds, (void)nfds;
	return agent_op_key(a, fd, q);
}

static const struct {
	int op;
	unsigned flags;
	int (*fn)(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
	          size_t nfds);
} op_table[] = {
    {SC_AGENT_OP_STATUS, 0, do_status},
    {SC_AGENT_OP_LOCK, 0, do_lock},
    {SC_AGENT_OP_UNLOCK, 0, do_unlock},
    {SC_AGENT_OP_LIST, NEEDS_KEY, do_list},
    {SC_AGENT_OP_EXISTS, NEEDS_KEY, do_exists},
    {SC_AGENT_OP_FIELDS, NEEDS_KEY, do_fields},
    {SC_AGENT_OP_GET, NEEDS_KEY, do_get},
    {SC_AGENT_OP_RUN, 0, agent_op_run},
    {SC_AGENT_OP_HISTORY, NEEDS_KEY, do_history},
    {SC_AGENT_OP_FORWARD, 0, do_forward},
    /* reads its attachment before it looks at the key, to stay in step */
    {SC_AGENT_OP_KEY, 0, do_key},
};

/* The gate: find the op, refuse it while locked when it needs the key,
 * then run it. (The ops still look at the key under the agent's lock:
 * the idle lock may strike between the gate and the op.) A run is not
 * gated on the key here: its policy decision comes first, and a denial
 * is answered as one, locked or not. */
static int gate(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds, size_t nfds)
{
	size_t i;
	int locked;

	for (i = 0; i < sizeof(op_table) / sizeof(op_table[0]); i++) {
		if (op_table[i].op != q->op)
			continue;
		if (op_table[i].flags & NEEDS_KEY) {
			pthread_mutex_lock(&a->lock);
			locked = a->vault == NULL;
			pthread_mutex_unlock(&a->lock);
			if (locked)
				return agent_reply_err(fd, SC_ERR_LOCKED, AGENT_LOCKED_MSG);
		}
		return op_table[i].fn(a, fd, q, fds, nfds);
	}
	return SC_ERR_INTERNAL;
}

static int serve_one(struct agent *a, int fd)
{
	struct sc_agent_req q;
	uint8_t *body = NULL;
	size_t len, nfds = 0, i;
	int fds[SC_AGENT_FDS_MAX], r;

	if ((r = sc_agent_recv(fd, &body, &len, fds, SC_AGENT_FDS_MAX, &nfds)) != SC_OK)
		return r;
	r = sc_agent_req_decode(body, len, &q);
	sc_wipe(body, len);
	free(body);
	if (r != SC_OK) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		(void)agent_reply_err(fd, r, "malformed request (%s)", sc_strerror(r));
		return r; /* the stream may be out of step: drop the connection */
	}
	if (q.op != SC_AGENT_OP_RUN && q.op != SC_AGENT_OP_FORWARD)
		for (; nfds > 0; nfds--)
			close(fds[nfds - 1]);
	r = gate(a, fd, &q, fds, nfds);
	if (q.op == SC_AGENT_OP_RUN || q.op == SC_AGENT_OP_FORWARD)
		for (i = 0; i < nfds; i++)
			close(fds[i]);
	sc_agent_req_release(&q);
	return r;
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct agent *a = c->a;

	while (serve_one(a, c->fd) == SC_OK)
		;
	close(c->fd);
	free(c);
	pthread_mutex_lock(&a->lock);
	if (--a->conns == 0)
		pthread_cond_broadcast(&a->idle);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* Read a small /proc file whole (NUL-terminated); 0 on success. */
static int read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Whether the peer lives in another user or PID namespace than ours: a
 * confined run (bubblewrap makes both) or a container. Such a request is
 * not the user's own shell, so it is refused rather than taken as a CLI
 * request (issue 11 item 5). Told from files every process may read, even
 * of a peer that is not dumpable (our CLI is not): its uid_map differs
 * from ours in another user namespace, and its status lists more than one
 * pid in NSpid in a nested PID namespace. A peer we cannot look at (gone)
 * is refused too. */
static int peer_elsewhere(const struct ucred *cred)
{
	char path[64], mine[512], theirs[4096], *ns, *eol;

	snprintf(path, sizeof(path), "/proc/%ld/uid_map", (long)cred->pid);
	if (read_small("/proc/self/uid_map", mine, sizeof(mine)) != 0)
		return 0; /* no user namespaces here to tell apart */
	if (read_small(path, theirs, sizeof(theirs)) != 0 || strcmp(mine, theirs) != 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)cred->pid);
	if (read_small(path, theirs, sizeof(theirs)) != 0)
		return 1;
	if ((ns = strstr(theirs, "\nNSpid:")) == NULL)
		return 0; /* a kernel without it: nothing to tell */
	ns += 7;
	if ((eol = strchr(ns, '\n')) != NULL)
		*eol = '\0';
	/* "\t1234" here; "\t1234\t2" one namespace down */
	return strchr(ns + 1, '\t') != NULL;
}

void agent_accept_one(struct agent *a, int lfd)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct timeval tv = {AGENT_IO_TIMEOUT_S, 0};
	pthread_attr_t attr;
	pthread_t t;
	struct conn *c;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0) {
		agent_log(LOG_WARNING, "refused a connection: no peer credentials");
		close(fd);
		return;
	}
	if (cred.uid != geteuid() &&
	    (a->o->sys == NULL || !sc_system_admits(a->o->sys, cred.uid))) {
		agent_log(LOG_WARNING,
		          "refused a connection from uid %lu (pid %ld): not our uid %lu",
		          (unsigned long)cred.uid, (long)cred.pid, (unsigned long)geteuid());
		close(fd);
		return;
	}
	if (peer_elsewhere(&cred)) {
		agent_log(LOG_WARNING,
		          "refused a connection from pid %ld: it runs in another namespace (a "
		          "confined run or a container)",
		          (long)cred.pid);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		(void)agent_reply_err(
		    fd, SC_ERR_DENIED,
		    "the agent serves no process in another namespace (a confined "
		    "run or a container)");
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	pthread_mutex_lock(&a->lock);
	if (a->conns >= AGENT_CONNS_MAX) {
		pthread_mutex_unlock(&a->lock);
		(void)agent_reply_err(fd, SC_ERR_BUSY, "too many connections to the agent");
		close(fd);
		return;
	}
	a->conns++;
	pthread_mutex_unlock(&a->lock);
	if ((c = malloc(sizeof(*c))) != NULL) {
		c->a = a;
		c->fd = fd;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, conn_main, c) == 0) {
			pthread_attr_destroy(&attr);
			return;
		}
		pthread_attr_destroy(&attr);
		free(c);
	}
	close(fd);
	pthread_mutex_lock(&a->lock);
	if (--a->conns == 0)
		pthread_cond_broadcast(&a->idle);
	pthread_mutex_unlock(&a->lock);
}
