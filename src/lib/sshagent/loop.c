/* loop.c - the ssh-agent's connections: accept with the peer check
 * (SO_PEERCRED: the same uid only), read length-prefixed frames of at most
 * SC_SSHAGENT_MSG_MAX bytes, answer each in order; one poll() over the
 * listening socket and every connection, so a client that keeps its
 * connection open (ssh does, for the whole session) does not hold others
 * up. What one client can still do to the others: make them wait while
 * the owner is asked to confirm one of its requests (as OpenSSH's agent
 * does). Bounds against the rest: a full table evicts the connection idle
 * longest; a partial frame older than PARTIAL_S, an answer the client
 * does not take at once, or REFUSED_MAX refused requests close it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "secretctl/exec.h"
#include "secretctl/secretctl.h"
#include "secretctl/sshagent.h"

#define PARTIAL_S 10
#define REFUSED_MAX 16

struct conn {
	int fd;
	struct sc_sshagent_peer peer;
	char program[64];
	uint8_t *buf; /* grown to the frame's length, at most 4 + MSG_MAX */
	size_t have, cap;
	time_t last;    /* the last whole frame (or the accept) */
	time_t partial; /* when the frame being read began; 0: none */
	unsigned refused;
};

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		(void)close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void accept_one(struct conn *conns, int lfd, unsigned uid)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct conn *c = NULL, *idle = NULL;
	size_t i;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 || cred.uid != uid) {
		(void)close(fd); /* someone else's process: not a word */
		return;
	}
	for (i = 0; i < SC_SSHAGENT_CONNS_MAX && c == NULL; i++) {
		if (conns[i].fd < 0)
			c = &conns[i];
		else if (idle == NULL || conns[i].last < idle->last)
			idle = &conns[i];
	}
	if (c == NULL) {
		/* full: the connection idle longest makes room (a client that
		 * holds many open cannot lock the others out) */
		conn_close(idle);
		c = idle;
	}
	if ((c->buf = malloc(4096)) == NULL) {
		(void)close(fd);
		return;
	}
	c->cap = 4096;
	c->fd = fd;
	c->have = 0;
	c->last = time(NULL);
	c->partial = 0;
	c->refused = 0;
	c->peer.pid = (int)cred.pid;
	c->peer.uid = cred.uid;
	sc_exec_pid_name((long)cred.pid, c->program, sizeof(c->program));
	c->peer.program = c->program;
}

/* The whole answer at once, or the connection goes: a client that does
 * not take its answers holds nobody up. */
static int send_now(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return SC_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return SC_OK;
}

/* Read what is there; answer every whole frame. 0: keep, -1: close. */
static int serve_conn(struct sc_sshagent *a, struct conn *c)
{
	ssize_t n;

	if (c->have == c->cap) {
		size_t need = c->have >= 4 ? 4 + (size_t)sc_be32_get(c->buf) : c->cap;
		uint8_t *nb;

		if (need <= c->cap || need > 4 + SC_SSHAGENT_MSG_MAX ||
		    (nb = realloc(c->buf, need)) == NULL)
			return -1;
		c->buf = nb;
		c->cap = need;
	}
	n = read(c->fd, c->buf + c->have, c->cap - c->have);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;
	if (c->have == 0)
		c->partial = time(NULL);
	c->have += (size_t)n;
	while (c->have >= 4) {
		uint32_t len = sc_be32_get(c->buf);
		struct sc_buf out;
		int r;

		if (len == 0 || len > SC_SSHAGENT_MSG_MAX)
			return -1;
		if (c->have < 4 + (size_t)len)
			return 0;
		sc_buf_init(&out, 16384, 0);
		r = sc_sshagent_handle(a, c->buf + 4, len, &c->peer, (int64_t)time(NULL), &out);
		if (r == SC_OK)
			r = sc_buf_status(&out);
		if (r == SC_OK && out.len > 4 && out.d[4] == SC_SSHAGENT_FAILURE &&
		    c->buf[4] == SC_SSHAGENT_SIGN_REQUEST && ++c->refused > REFUSED_MAX)
			r = SC_ERR_DENIED; /* each refusal is an audit entry: bounded */
		if (r == SC_OK)
			r = send_now(c->fd, sc_buf_ptr(&out), out.len);
		sc_buf_release(&out);
		sc_clear_error();
		if (r != SC_OK)
			return -1;
		memmove(c->buf, c->buf + 4 + len, c->have - 4 - len);
		c->have -= 4 + (size_t)len;
		c->last = time(NULL);
		c->partial = c->have > 0 ? c->last : 0;
	}
	return 0;
}

int sc_sshagent_serve(struct sc_sshagent *a, int listen_fd, unsigned uid, volatile int *stop)
{
	struct conn conns[SC_SSHAGENT_CONNS_MAX];
	struct pollfd pf[1 + SC_SSHAGENT_CONNS_MAX];
	size_t i, np;

	if (a == NULL || listen_fd < 0 || stop == NULL)
		return SC_ERR_INVALID;
	for (i = 0; i < SC_SSHAGENT_CONNS_MAX; i++) {
		memset(&conns[i], 0, sizeof(conns[i]));
		conns[i].fd = -1;
	}
	while (!*stop && sc_sshagent_live(a, (int64_t)time(NULL)) > 0) {
		pf[0].fd = listen_fd;
		pf[0].events = POLLIN;
		np = 1;
		for (i = 0; i < SC_SSHAGENT_CONNS_MAX; i++)
			if (conns[i].fd >= 0) {
				pf[np].fd = conns[i].fd;
				pf[np].events = POLLIN;
				np++;
			}
		/* wake at least once a second: the stop flag, the lifetimes */
		if (poll(pf, np, 1000) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 1; i < np; i++) {
			size_t j;

			if ((pf[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
				continue;
			for (j = 0; j < SC_SSHAGENT_CONNS_MAX; j++)
				if (conns[j].fd == pf[i].fd && serve_conn(a, &conns[j]) < 0)
					conn_close(&conns[j]);
		}
		if ((pf[0].revents & POLLIN) != 0)
			accept_one(conns, listen_fd, uid);
		/* a frame begun and not finished in time: its connection goes */
		for (i = 0; i < SC_SSHAGENT_CONNS_MAX; i++)
			if (conns[i].fd >= 0 && conns[i].partial != 0 &&
			    time(NULL) - conns[i].partial > PARTIAL_S)
				conn_close(&conns[i]);
	}
	for (i = 0; i < SC_SSHAGENT_CONNS_MAX; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	return SC_OK;
}
