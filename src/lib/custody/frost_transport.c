/* frost_transport.c - the framed stdio transport of FROST sessions: a
 * participant's command spawned with pipes (like git's transports), and
 * length-prefixed frames read with a deadline and a bound per type. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "secretctl/buf.h"
#include "secretctl/fdio.h"
#include "secretctl/frost_session.h"
#include "secretctl/secmem.h"

#define CLOSE_GRACE_MS 1000

int sc_frost_name_valid(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || strlen(name) > SC_FROST_NAME_MAX)
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		int c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (i > 0 && (c == '.' || c == '_' || c == '-'))))
			return 0;
	}
	return 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sc_frost_peer_spawn(const char *command, char *const *envp, uint32_t timeout_ms,
                        struct sc_frost_peer *p)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, e;
	char *argv[4] = {(char *)"sh", (char *)"-c", NULL, NULL};

	memset(p, 0, sizeof(*p));
	p->to = p->from = -1;
	p->timeout_ms = timeout_ms;
	if (command == NULL || strlen(command) > SC_FROST_COMMAND_MAX) {
		sc_set_error("participant command missing or too long");
		return SC_ERR_INVALID;
	}
	argv[2] = (char *)command;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		e = errno;
		goto fail;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		e = ENOMEM;
		goto fail;
	}
	if (posix_spawnattr_init(&at) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		e = ENOMEM;
		goto fail;
	}
	sigfillset(&all);
	sigemptyset(&none);
	if ((e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
	                                           POSIX_SPAWN_SETSIGMASK)) == 0 &&
	    (e = posix_spawnattr_setpgroup(&at, 0)) == 0 &&
	    (e = posix_spawnattr_setsigdefault(&at, &all)) == 0 &&
	    (e = posix_spawnattr_setsigmask(&at, &none)) == 0 &&
	    (e = posix_spawn_file_actions_adddup2(&fa, in[0], 0)) == 0 &&
	    (e = posix_spawn_file_actions_adddup2(&fa, out[1], 1)) == 0 &&
	    (e = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) == 0)
		e = posix_spawn(&p->pid, "/bin/sh", &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0)
		goto fail;
	close(in[0]);
	close(out[1]);
	p->to = in[1];
	p->from = out[0];
	return SC_OK;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	p->pid = 0;
	sc_set_error("cannot start the participant's command: %s", strerror(e));
	return SC_ERR_IO;
}

void sc_frost_peer_stdio(struct sc_frost_peer *p, uint32_t timeout_ms)
{
	memset(p, 0, sizeof(*p));
	p->from = 0;
	p->to = 1;
	p->timeout_ms = timeout_ms;
}

void sc_frost_peer_hangup(struct sc_frost_peer *p)
{
	if (p->pid <= 0)
		return;
	if (p->to >= 0)
		close(p->to);
	if (p->from >= 0)
		close(p->from);
	p->to = p->from = -1;
}

void sc_frost_peer_close(struct sc_frost_peer *p)
{
	int64_t end;
	int st;

	if (p->pid <= 0)
		return;
	sc_frost_peer_hangup(p);
	end = now_ms() + CLOSE_GRACE_MS;
	while (waitpid(p->pid, &st, WNOHANG) == 0) {
		if (now_ms() >= end) {
			(void)kill(-p->pid, SIGKILL);
			(void)waitpid(p->pid, &st, 0);
			break;
		}
		(void)poll(NULL, 0, 10);
	}
	p->pid = 0;
}

int sc_frost_frame_send(struct sc_frost_peer *p, uint8_t type, const uint8_t *payload, size_t len)
{
	uint8_t hdr[5];
	void (*old)(int);
	int r;

	if (len > SC_FROST_FRAME_MAX)
		return SC_ERR_TOOBIG;
	sc_be32_put(hdr, (uint32_t)(len + 1));
	hdr[4] = type;
	/* a peer that left gives EPIPE, not a signal that kills us */
	old = signal(SIGPIPE, SIG_IGN);
	r = sc_fd_write_all(p->to, hdr, sizeof(hdr));
	if (r == SC_OK && len > 0)
		r = sc_fd_write_all(p->to, payload, len);
	signal(SIGPIPE, old);
	if (r != SC_OK)
		sc_set_error("the peer closed its end");
	return r;
}

/* Exactly n bytes before the deadline. */
static int read_deadline(int fd, uint8_t *buf, size_t n, int64_t end, int first)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pf = {fd, POLLIN, 0};
		int64_t left = end - now_ms();
		ssize_t k;
		int pr;

		if (left <= 0)
			return SC_ERR_TIMEOUT;
		pr = poll(&pf, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return SC_ERR_IO;
		if (pr == 0)
			return SC_ERR_TIMEOUT;
		k = read(fd, buf + got, n - got);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			return SC_ERR_IO;
		if (k == 0)
			return first && got == 0 ? SC_ERR_NOT_FOUND : SC_ERR_CORRUPT;
		got += (size_t)k;
	}
	return SC_OK;
}

int sc_frost_frame_recv(struct sc_frost_peer *p, const uint8_t *want, size_t nwant, size_t max,
                        int secure, uint8_t *type, uint8_t **payload, size_t *len)
{
	int64_t end = now_ms() + (p->timeout_ms ? p->timeout_ms : 0x7fffffff);
	uint8_t hdr[5], *buf = NULL;
	uint32_t flen;
	size_t i, bound;
	int r, ok = 0;

	*payload = NULL;
	*len = 0;
	*type = 0;
	p->error[0] = '\0';
	if ((r = read_deadline(p->from, hdr, sizeof(hdr), end, 1)) != SC_OK) {
		if (r == SC_ERR_TIMEOUT)
			sc_set_error("no answer within %u s", (unsigned)(p->timeout_ms / 1000));
		else if (r == SC_ERR_NOT_FOUND)
			sc_set_error("it closed the connection");
		else
			sc_set_error("a truncated frame");
		return r;
	}
	flen = sc_be32_get(hdr);
	for (i = 0; i < nwant; i++)
		ok |= want[i] == hdr[4];
	bound = hdr[4] == SC_FROST_F_ERROR ? SC_FROST_ERROR_MAX : max;
	if (!ok && hdr[4] != SC_FROST_F_ERROR) {
		sc_set_error("an unexpected frame (type 0x%02x)", hdr[4]);
		return SC_ERR_CORRUPT;
	}
	if (flen < 1 || flen - 1 > bound || flen - 1 > SC_FROST_FRAME_MAX) {
		sc_set_error("a frame of %u bytes (at most %zu here)", (unsigned)flen, bound + 1);
		return SC_ERR_CORRUPT;
	}
	if (flen > 1) {
		buf = secure ? sc_secmem_alloc(flen - 1) : malloc(flen - 1);
		if (buf == NULL)
			return SC_ERR_NOMEM;
		if ((r = read_deadline(p->from, buf, flen - 1, end, 0)) != SC_OK) {
			if (r == SC_ERR_TIMEOUT)
				sc_set_error("no answer within %u s",
				             (unsigned)(p->timeout_ms / 1000));
			else
				sc_set_error("a truncated frame");
			goto fail;
		}
	}
	if (hdr[4] == SC_FROST_F_ERROR) {
		for (i = 0; i + 1 < flen; i++)
			p->error[i] = (buf[i] >= 0x20 && buf[i] < 0x7f) ? (char)buf[i] : '?';
		p->error[i] = '\0';
		sc_set_error("it refused: %s", p->error);
		r = SC_ERR_DENIED;
		goto fail;
	}
	*type = hdr[4];
	*payload = buf;
	*len = flen - 1;
	return SC_OK;
fail:
	if (buf != NULL) {
		if (secure) {
			sc_secmem_free(buf);
		} else {
			sc_wipe(buf, flen - 1);
			free(buf);
		}
	}
	return r;
}

void sc_frost_frame_refuse(struct sc_frost_peer *p, const char *text)
{
	char keep[512];
	size_t n = strlen(text);

	if (n > SC_FROST_ERROR_MAX)
		n = SC_FROST_ERROR_MAX;
	/* best effort: the peer may be gone, and then the reason we refuse
	 * stays the error, not the failed send */
	snprintf(keep, sizeof(keep), "%s", sc_last_error());
	if (sc_frost_frame_send(p, SC_FROST_F_ERROR, (const uint8_t *)text, n) != SC_OK)
		sc_set_error("%s", keep);
}
