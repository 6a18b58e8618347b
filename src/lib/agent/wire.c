/* wire.c - the unlock agent's framing over a Unix socket (length-prefixed
 * JSON, raw attachments, fds as SCM_RIGHTS) and its socket paths. */
#include "agent/agent_int.h"

/* ---- framing ---- */

int sc_agent_write_all(int fd, const uint8_t *p, size_t n)
{
	if (sc_fd_send_all(fd, p, n) != SC_OK) {
		sc_set_error("cannot write to the agent: %s", strerror(errno));
		return SC_ERR_IO;
	}
	return SC_OK;
}

/* Read exactly n bytes; SC_ERR_NOT_FOUND on EOF before the first one. */
static int read_all(int fd, uint8_t *p, size_t n)
{
	int r = sc_fd_read_all(fd, p, n);

	if (r == SC_ERR_CORRUPT) {
		sc_set_error("the agent connection closed mid-frame");
		return SC_ERR_IO;
	}
	if (r == SC_ERR_IO || r == SC_ERR_TIMEOUT)
		sc_set_error("cannot read from the agent: %s", strerror(errno));
	return r;
}

int sc_agent_send(int fd, void *msg, const void *attach, size_t alen, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * SC_AGENT_FDS_MAX)];
	} cm;
	struct msghdr mh;
	struct iovec iov[2];
	json_t *m = msg;
	uint8_t hdr[4];
	char *body = NULL;
	size_t blen;
	ssize_t k;
	int r, saved = 0;

	if (nfds > SC_AGENT_FDS_MAX || alen > SC_AGENT_ATTACH_MAX)
		return SC_ERR_INVALID;
	if (json_object_set_new(m, "v", json_integer(SC_AGENT_PROTO)) != 0)
		return SC_ERR_NOMEM;
	if (alen > 0 && json_object_set_new(m, "attach", json_integer((json_int_t)alen)) != 0)
		return SC_ERR_NOMEM;
	if ((body = json_dumps(m, JSON_COMPACT)) == NULL)
		return SC_ERR_NOMEM;
	blen = strlen(body);
	if (blen > SC_AGENT_FRAME_MAX) {
		r = SC_ERR_TOOBIG;
		goto out;
	}
	sc_be32_put(hdr, (uint32_t)blen);
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = hdr;
	iov[0].iov_len = 4;
	iov[1].iov_base = body;
	iov[1].iov_len = blen;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(&cm.h), fds, sizeof(int) * nfds);
	}
	do
		k = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		saved = errno;
		sc_set_error("cannot write to the agent: %s", strerror(errno));
		r = SC_ERR_IO;
		goto out;
	}
	/* the rest of a partly sent frame (the fds went with its first byte) */
	if ((size_t)k < 4 + blen) {
		size_t done = (size_t)k;

		if (done < 4 && (r = sc_agent_write_all(fd, hdr + done, 4 - done)) != SC_OK)
			goto out;
		done = done < 4 ? 0 : done - 4;
		if ((r = sc_agent_write_all(fd, (uint8_t *)body + done, blen - done)) != SC_OK)
			goto out;
	}
	r = alen > 0 ? sc_agent_write_all(fd, attach, alen) : SC_OK;
out:
	if (r != SC_OK && saved == 0)
		saved = errno;
	sc_wipe(body, strlen(body));
	free(body);
	errno = saved; /* EPIPE: the caller may find a refusal to read */
	return r;
}

int sc_agent_recv(int fd, uint8_t **body, size_t *len, int *fds, size_t maxfds, size_t *nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} cm;
	struct msghdr mh;
	struct cmsghdr *c;
	struct iovec iov;
	uint8_t hdr[4], *b;
	size_t n, got = 0, i;
	ssize_t k;
	int r;

	*body = NULL;
	*len = 0;
	if (nfds != NULL)
		*nfds = 0;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = hdr;
	iov.iov_len = sizeof(hdr);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	do
		k = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		sc_set_error("cannot read from the agent: %s", strerror(errno));
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? SC_ERR_TIMEOUT : SC_ERR_IO;
	}
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		int *cfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cfd = (int *)(void *)CMSG_DATA(c);
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			if (nfds != NULL && *nfds < maxfds)
				fds[(*nfds)++] = cfd[i];
			else
				close(cfd[i]);
		}
	}
	if (k == 0)
		return SC_ERR_NOT_FOUND;
	got = (size_t)k;
	r = SC_ERR_IO;
	if ((mh.msg_flags & MSG_CTRUNC) != 0) {
		sc_set_error("too many file descriptors in one frame");
		goto fail;
	}
	if (got < 4 && (r = read_all(fd, hdr + got, 4 - got)) != SC_OK) {
		if (r == SC_ERR_NOT_FOUND)
			r = SC_ERR_IO;
		goto fail;
	}
	n = sc_be32_get(hdr);
	if (n == 0 || n > SC_AGENT_FRAME_MAX) {
		sc_set_error("agent frame of %zu bytes (at most %d)", n, SC_AGENT_FRAME_MAX);
		r = SC_ERR_TOOBIG;
		goto fail;
	}
	if ((b = malloc(n + 1)) == NULL) {
		r = SC_ERR_NOMEM;
		goto fail;
	}
	if ((r = read_all(fd, b, n)) != SC_OK) {
		free(b);
		if (r == SC_ERR_NOT_FOUND)
			r = SC_ERR_IO;
		goto fail;
	}
	b[n] = '\0';
	*body = b;
	*len = n;
	return SC_OK;
fail:
	if (nfds != NULL) {
		for (i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
	}
	return r;
}

int sc_agent_recv_attach(int fd, size_t n, uint8_t **out)
{
	uint8_t *p;
	int r;

	*out = NULL;
	if (n == 0 || n > SC_AGENT_ATTACH_MAX)
		return SC_ERR_TOOBIG;
	if ((p = sc_secmem_alloc(n)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = read_all(fd, p, n)) != SC_OK) {
		sc_secmem_free(p);
		return r == SC_ERR_NOT_FOUND ? SC_ERR_IO : r;
	}
	*out = p;
	return SC_OK;
}

/* ---- paths ---- */

int sc_agent_dir(char **out)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	char buf[PATH_MAX];
	int n;

	char run_user[64];
	struct stat st;

	*out = NULL;
	/* The same place in every process, whatever its environment: an MCP
	 * server started without the terminal's XDG_RUNTIME_DIR still finds
	 * the agent, in /run/user/UID as systemd sets it (when that is ours
	 * and private). */
	snprintf(run_user, sizeof(run_user), "/run/user/%lu", (unsigned long)geteuid());
	if (x != NULL && x[0] == '/')
		n = snprintf(buf, sizeof(buf), "%s/secretctl", x);
	else if (lstat(run_user, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	         (st.st_mode & 077) == 0)
		n = snprintf(buf, sizeof(buf), "%s/secretctl", run_user);
	else
		n = snprintf(buf, sizeof(buf), "/tmp/secretctl-%lu", (unsigned long)geteuid());
	if (n < 0 || (size_t)n >= sizeof(buf))
		return SC_ERR_TOOBIG;
	if ((*out = strdup(buf)) == NULL)
		return SC_ERR_NOMEM;
	return SC_OK;
}

int sc_agent_dir_check(const char *dir, int create)
{
	struct stat st;

	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		sc_set_error("cannot create '%s': %s", dir, strerror(errno));
		return errno == ENOENT ? SC_ERR_NOT_FOUND : SC_ERR_IO;
	}
	if (lstat(dir, &st) != 0) {
		if (errno == ENOENT)
			return SC_ERR_NOT_FOUND;
		sc_set_error("cannot stat '%s': %s", dir, strerror(errno));
		return SC_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		sc_set_error("'%s' is not a directory (or is a symlink)", dir);
		return SC_ERR_PERM;
	}
	if (st.st_uid != geteuid()) {
		sc_set_error("'%s' is owned by uid %lu, not by us", dir, (unsigned long)st.st_uid);
		return SC_ERR_PERM;
	}
	if ((st.st_mode & 07777) != 0700) {
		sc_set_error("'%s' has mode %04o; it must be 0700", dir,
		             (unsigned)(st.st_mode & 07777));
		return SC_ERR_PERM;
	}
	return SC_OK;
}

int sc_agent_paths(const char *vault_dir, char **sock, char **lock)
{
	uint8_t h[16];
	char hex[sizeof(h) * 2 + 1], *real = NULL, *dir = NULL, buf[PATH_MAX];
	int r, n;

	*sock = NULL;
	if (lock != NULL)
		*lock = NULL;
	if ((real = realpath(vault_dir, NULL)) == NULL) {
		sc_set_error("no vault at '%s'", vault_dir);
		return SC_ERR_NO_VAULT;
	}
	crypto_generichash(h, sizeof(h), (const uint8_t *)real, strlen(real),
	                   (const uint8_t *)"secretctl-agent", 15);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if ((r = sc_agent_dir(&dir)) != SC_OK)
		goto out;
	r = SC_ERR_TOOBIG;
	n = snprintf(buf, sizeof(buf), "%s/%s.sock", dir, hex);
	if (n < 0 || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		sc_set_error("the socket path '%s/%s.sock' is too long; set XDG_RUNTIME_DIR to "
		             "a shorter directory",
		             dir, hex);
		goto out;
	}
	r = SC_ERR_NOMEM;
	if ((*sock = strdup(buf)) == NULL)
		goto out;
	if (lock != NULL) {
		snprintf(buf, sizeof(buf), "%s/%s.lock", dir, hex);
		if ((*lock = strdup(buf)) == NULL) {
			free(*sock);
			*sock = NULL;
			goto out;
		}
	}
	r = SC_OK;
out:
	free(real);
	free(dir);
	return r;
}
