/* conn.c - the agent's connections: accept with the peer check, then one
 * request gate per frame. */
#include "agent/agent_int.h"

/* ---- connections ---- */

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
	if (q.op != SC_AGENT_OP_RUN)
		for (; nfds > 0; nfds--)
			close(fds[nfds - 1]);
	switch (q.op) {
	case SC_AGENT_OP_STATUS:
		r = agent_op_status(a, fd);
		break;
	case SC_AGENT_OP_LOCK:
		r = agent_op_lock(a, fd);
		break;
	case SC_AGENT_OP_UNLOCK:
		r = agent_op_unlock(a, fd, &q);
		break;
	case SC_AGENT_OP_LIST:
		r = agent_op_list(a, fd, &q);
		break;
	case SC_AGENT_OP_EXISTS:
		r = agent_op_exists(a, fd, &q);
		break;
	case SC_AGENT_OP_FIELDS:
		r = agent_op_fields_get(a, fd, &q, 0);
		break;
	case SC_AGENT_OP_GET:
		r = agent_op_fields_get(a, fd, &q, 1);
		break;
	case SC_AGENT_OP_RUN:
		r = agent_op_run(a, fd, &q, fds, nfds);
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		break;
	default:
		r = SC_ERR_INTERNAL;
	}
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
	if (cred.uid != geteuid()) {
		agent_log(LOG_WARNING,
		          "refused a connection from uid %lu (pid %ld): not our uid %lu",
		          (unsigned long)cred.uid, (long)cred.pid, (unsigned long)geteuid());
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
