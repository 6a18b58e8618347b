/* agent_proto.c - the unlock agent's wire protocol: framing over a Unix
 * socket, the strict request decoder, socket paths, and the client calls
 * the CLI and the MCP server make. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "store/secret_int.h"
#include "secretctl/agent.h"

/* ---- the request decoder ---- */

static const char *const op_names[] = {
    [SC_AGENT_OP_STATUS] = "status", [SC_AGENT_OP_LOCK] = "lock",
    [SC_AGENT_OP_UNLOCK] = "unlock", [SC_AGENT_OP_LIST] = "list",
    [SC_AGENT_OP_EXISTS] = "exists", [SC_AGENT_OP_FIELDS] = "fields",
    [SC_AGENT_OP_GET] = "get",       [SC_AGENT_OP_RUN] = "run",
};
#define NOPS (sizeof(op_names) / sizeof(op_names[0]))

const char *sc_agent_op_name(int op)
{
	if (op > 0 && (size_t)op < NOPS)
		return op_names[op];
	return "?";
}

/* Members each op accepts beyond "v", "op" and "attach". */
static const char *const run_members[] = {
    "argv",          "keys",        "env",       "cwd",         "prefix", "path",
    "env_alias",     "timeout_ms",  "clean_env", "no_sanitize", "origin", "stream",
    "line_buffered", "capture_max", "stdin",     "exe",         NULL,
};
static const char *const name_members[] = {"name", "origin", NULL};
static const char *const list_members[] = {"origin", "known_gen", "known_vault", NULL};
static const char *const unlock_members[] = {"timeout", "reveal", NULL};
static const char *const no_members[] = {NULL};

static int member_allowed(const char *const *list, const char *key)
{
	if (strcmp(key, "v") == 0 || strcmp(key, "op") == 0 || strcmp(key, "attach") == 0)
		return 1;
	for (; *list != NULL; list++)
		if (strcmp(*list, key) == 0)
			return 1;
	return 0;
}

/* A string member: absent is fine unless required; bounded; no NUL. */
static int get_str(json_t *o, const char *key, int required, size_t max, const char **out)
{
	json_t *j = json_object_get(o, key);

	*out = NULL;
	if (j == NULL)
		return required ? SC_ERR_INVALID : SC_OK;
	if (!json_is_string(j))
		return SC_ERR_INVALID;
	if (json_string_length(j) > max)
		return SC_ERR_TOOBIG;
	if (strlen(json_string_value(j)) != json_string_length(j))
		return SC_ERR_INVALID;
	*out = json_string_value(j);
	return SC_OK;
}

static int get_uint(json_t *o, const char *key, uint64_t max, uint64_t *out)
{
	json_t *j = json_object_get(o, key);

	*out = 0;
	if (j == NULL)
		return SC_OK;
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return SC_ERR_INVALID;
	if ((uint64_t)json_integer_value(j) > max)
		return SC_ERR_TOOBIG;
	*out = (uint64_t)json_integer_value(j);
	return SC_OK;
}

static int get_bool(json_t *o, const char *key, int *out)
{
	json_t *j = json_object_get(o, key);

	*out = 0;
	if (j == NULL)
		return SC_OK;
	if (!json_is_boolean(j))
		return SC_ERR_INVALID;
	*out = json_is_true(j);
	return SC_OK;
}

/* An array of bounded strings, as a NULL-terminated vector. */
static int get_strv(json_t *o, const char *key, int required, size_t maxn, const char ***out,
                    size_t *n)
{
	json_t *a = json_object_get(o, key), *e;
	const char **v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (a == NULL)
		return required ? SC_ERR_INVALID : SC_OK;
	if (!json_is_array(a))
		return SC_ERR_INVALID;
	if (json_array_size(a) > maxn)
		return SC_ERR_TOOBIG;
	if ((v = calloc(json_array_size(a) + 1, sizeof(*v))) == NULL)
		return SC_ERR_NOMEM;
	json_array_foreach(a, i, e)
	{
		if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
			free(v);
			return SC_ERR_INVALID;
		}
		if (json_string_length(e) > SC_AGENT_STRING_MAX) {
			free(v);
			return SC_ERR_TOOBIG;
		}
		v[i] = json_string_value(e);
	}
	*out = v;
	*n = json_array_size(a);
	return SC_OK;
}

static int decode_run(json_t *o, struct sc_agent_req *q)
{
	uint64_t u;
	size_t i;
	int r;

	if ((r = get_strv(o, "argv", 1, SC_AGENT_ARGS_MAX, &q->argv, &q->argc)) != SC_OK ||
	    (r = get_strv(o, "keys", 1, SC_AGENT_ARGS_MAX, &q->keys, &q->nkeys)) != SC_OK ||
	    (r = get_strv(o, "env", 0, SC_AGENT_ENV_MAX, &q->env, &q->nenv)) != SC_OK)
		return r;
	if (q->argc == 0 || q->argv[0][0] == '\0' || q->nkeys == 0)
		return SC_ERR_INVALID;
	for (i = 0; i < q->nkeys; i++)
		if (sc_glob_valid(q->keys[i]) != SC_OK)
			return SC_ERR_INVALID;
	for (i = 0; i < q->nenv; i++)
		if (strchr(q->env[i], '=') == NULL)
			return SC_ERR_INVALID;
	if ((r = get_str(o, "exe", 0, PATH_MAX, &q->exe)) != SC_OK)
		return r;
	if (q->exe != NULL && q->exe[0] != '/')
		return SC_ERR_INVALID;
	if ((r = get_str(o, "cwd", 0, PATH_MAX, &q->cwd)) != SC_OK ||
	    (r = get_str(o, "prefix", 0, SC_ENV_NAME_MAX, &q->prefix)) != SC_OK ||
	    (r = get_str(o, "path", 0, SC_AGENT_STRING_MAX, &q->path_env)) != SC_OK ||
	    (r = get_str(o, "env_alias", 0, SC_NAME_MAX, &q->env_alias)) != SC_OK)
		return r;
	if (q->cwd != NULL && q->cwd[0] != '/')
		return SC_ERR_INVALID;
	if ((r = get_uint(o, "timeout_ms", UINT32_MAX, &u)) != SC_OK)
		return r;
	q->timeout_ms = (uint32_t)u;
	if ((r = get_uint(o, "capture_max", SC_AGENT_CAPTURE_MAX, &u)) != SC_OK)
		return r;
	q->capture_max = (size_t)u;
	if ((r = get_bool(o, "clean_env", &q->clean_env)) != SC_OK ||
	    (r = get_bool(o, "no_sanitize", &q->no_sanitize)) != SC_OK ||
	    (r = get_bool(o, "stream", &q->stream)) != SC_OK ||
	    (r = get_bool(o, "line_buffered", &q->line_buffered)) != SC_OK ||
	    (r = get_bool(o, "stdin", &q->has_stdin)) != SC_OK)
		return r;
	if (q->has_stdin && !q->stream)
		return SC_ERR_INVALID;
	return SC_OK;
}

/* A vault id as the list frames carry it: exactly 32 hex digits. */
static int vault_id_from_hex(const char *vh, uint8_t out[SC_VAULT_ID_LEN])
{
	size_t vlen = 0;

	if (vh == NULL || strlen(vh) != 2 * SC_VAULT_ID_LEN ||
	    sodium_hex2bin(out, SC_VAULT_ID_LEN, vh, strlen(vh), NULL, &vlen, NULL) != 0 ||
	    vlen != SC_VAULT_ID_LEN)
		return SC_ERR_INVALID;
	return SC_OK;
}

/* list: "known_gen" and "known_vault" (32 hex digits) come together, or
 * neither: the list the caller already holds. */
static int decode_known(json_t *o, struct sc_agent_req *q)
{
	const char *vh = NULL;
	uint64_t g;
	int r;

	if ((r = get_uint(o, "known_gen", INT64_MAX, &g)) != SC_OK ||
	    (r = get_str(o, "known_vault", 0, 2 * SC_VAULT_ID_LEN, &vh)) != SC_OK)
		return r;
	if ((json_object_get(o, "known_gen") == NULL) != (vh == NULL))
		return SC_ERR_INVALID;
	if (vh == NULL)
		return SC_OK;
	if (vault_id_from_hex(vh, q->known_vault) != SC_OK)
		return SC_ERR_INVALID;
	q->has_known = 1;
	q->known_gen = g;
	return SC_OK;
}

int sc_agent_req_decode(const uint8_t *buf, size_t len, struct sc_agent_req *req)
{
	struct sc_agent_req q;
	const char *const *members;
	json_error_t jerr;
	json_t *o = NULL, *j;
	const char *key, *op;
	uint64_t u;
	size_t i;
	int r = SC_ERR_INVALID;

	memset(req, 0, sizeof(*req));
	memset(&q, 0, sizeof(q));
	if (len > SC_AGENT_FRAME_MAX)
		return SC_ERR_TOOBIG;
	o = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o))
		goto fail;
	j = json_object_get(o, "v");
	if (!json_is_integer(j))
		goto fail;
	if (json_integer_value(j) != SC_AGENT_PROTO) {
		r = SC_ERR_VERSION;
		goto fail;
	}
	if ((r = get_str(o, "op", 1, 16, &op)) != SC_OK)
		goto fail;
	r = SC_ERR_INVALID;
	for (i = 1; i < NOPS; i++)
		if (strcmp(op, op_names[i]) == 0)
			q.op = (int)i;
	if (q.op == 0)
		goto fail;
	switch (q.op) {
	case SC_AGENT_OP_RUN:
		members = run_members;
		break;
	case SC_AGENT_OP_EXISTS:
	case SC_AGENT_OP_FIELDS:
	case SC_AGENT_OP_GET:
		members = name_members;
		break;
	case SC_AGENT_OP_UNLOCK:
		members = unlock_members;
		break;
	case SC_AGENT_OP_LIST:
		members = list_members;
		break;
	default:
		members = no_members;
	}
	json_object_foreach(o, key, j)
	{
		if (!member_allowed(members, key))
			goto fail;
	}
	if ((r = get_uint(o, "attach", SC_AGENT_ATTACH_MAX, &u)) != SC_OK)
		goto fail;
	q.attach_len = (size_t)u;
	if ((r = get_uint(o, "origin", SC_AGENT_ORIGIN_MCP, &u)) != SC_OK)
		goto fail;
	q.origin = (int)u;
	r = SC_ERR_INVALID;
	/* only unlock carries an attachment: exactly the key */
	if ((q.op == SC_AGENT_OP_UNLOCK) != (q.attach_len != 0))
		goto fail;
	if (q.op == SC_AGENT_OP_UNLOCK && q.attach_len != SC_KEY_LEN)
		goto fail;
	switch (q.op) {
	case SC_AGENT_OP_EXISTS:
	case SC_AGENT_OP_FIELDS:
	case SC_AGENT_OP_GET:
		if ((r = get_str(o, "name", 1, SC_NAME_MAX, &q.name)) != SC_OK)
			goto fail;
		if (sc_name_valid(q.name) != SC_OK) {
			r = SC_ERR_NAME;
			goto fail;
		}
		break;
	case SC_AGENT_OP_UNLOCK:
		if ((r = get_uint(o, "timeout", SC_AGENT_TIMEOUT_MAX, &u)) != SC_OK ||
		    (r = get_bool(o, "reveal", &q.reveal)) != SC_OK)
			goto fail;
		q.timeout_s = (uint32_t)u;
		break;
	case SC_AGENT_OP_RUN:
		if ((r = decode_run(o, &q)) != SC_OK)
			goto fail;
		break;
	case SC_AGENT_OP_LIST:
		if ((r = decode_known(o, &q)) != SC_OK)
			goto fail;
		break;
	default:
		break;
	}
	q.json = o;
	*req = q;
	return SC_OK;
fail:
	free(q.argv);
	free(q.keys);
	free(q.env);
	json_decref(o);
	return r;
}

void sc_agent_req_release(struct sc_agent_req *req)
{
	free(req->argv);
	free(req->keys);
	free(req->env);
	json_decref(req->json);
	memset(req, 0, sizeof(*req));
}

/* ---- framing ---- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			sc_set_error("cannot write to the agent: %s", strerror(errno));
			return SC_ERR_IO;
		}
		p += k;
		n -= (size_t)k;
	}
	return SC_OK;
}

/* Read exactly n bytes; SC_ERR_NOT_FOUND on EOF before the first one. */
static int read_all(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			sc_set_error("cannot read from the agent: %s", strerror(errno));
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? SC_ERR_TIMEOUT
			                                                 : SC_ERR_IO;
		}
		if (k == 0) {
			if (got == 0)
				return SC_ERR_NOT_FOUND;
			sc_set_error("the agent connection closed mid-frame");
			return SC_ERR_IO;
		}
		got += (size_t)k;
	}
	return SC_OK;
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
	int r;

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
	hdr[0] = (uint8_t)(blen >> 24);
	hdr[1] = (uint8_t)(blen >> 16);
	hdr[2] = (uint8_t)(blen >> 8);
	hdr[3] = (uint8_t)blen;
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
		sc_set_error("cannot write to the agent: %s", strerror(errno));
		r = SC_ERR_IO;
		goto out;
	}
	/* the rest of a partly sent frame (the fds went with its first byte) */
	if ((size_t)k < 4 + blen) {
		size_t done = (size_t)k;

		if (done < 4 && (r = write_all(fd, hdr + done, 4 - done)) != SC_OK)
			goto out;
		done = done < 4 ? 0 : done - 4;
		if ((r = write_all(fd, (uint8_t *)body + done, blen - done)) != SC_OK)
			goto out;
	}
	r = alen > 0 ? write_all(fd, attach, alen) : SC_OK;
out:
	sc_wipe(body, strlen(body));
	free(body);
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
	n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
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

	*out = NULL;
	if (x != NULL && x[0] == '/')
		n = snprintf(buf, sizeof(buf), "%s/secretctl", x);
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

/* ---- client ---- */

int sc_agent_connect(const char *vault_dir, int *fd)
{
	struct sockaddr_un sa;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	char *sock = NULL, *dir = NULL;
	int s = -1, r;

	*fd = -1;
	if ((r = sc_agent_paths(vault_dir, &sock, NULL)) != SC_OK)
		return r;
	if ((r = sc_agent_dir(&dir)) != SC_OK)
		goto out;
	if ((r = sc_agent_dir_check(dir, 0)) != SC_OK)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		r = SC_ERR_IO;
		goto out;
	}
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		/* no socket, or one nobody listens on (the agent was killed) */
		r = (errno == ENOENT || errno == ECONNREFUSED) ? SC_ERR_NOT_FOUND : SC_ERR_IO;
		if (r == SC_ERR_IO)
			sc_set_error("cannot connect to the agent at '%s': %s", sock,
			             strerror(errno));
		goto out;
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 || cred.uid != geteuid()) {
		sc_set_error("the agent socket '%s' is served by another user", sock);
		r = SC_ERR_PERM;
		goto out;
	}
	*fd = s;
	s = -1;
	r = SC_OK;
out:
	if (s >= 0)
		close(s);
	free(sock);
	free(dir);
	return r;
}

/* Read one reply; a refusal becomes its status, with its message as the
 * error detail. */
static int recv_reply(int fd, json_t **out)
{
	json_error_t jerr;
	json_t *o, *ok;
	uint8_t *body;
	size_t len;
	int r;

	*out = NULL;
	if ((r = sc_agent_recv(fd, &body, &len, NULL, 0, NULL)) != SC_OK) {
		if (r == SC_ERR_NOT_FOUND) {
			sc_set_error("the agent closed the connection");
			r = SC_ERR_IO;
		}
		return r;
	}
	o = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	sc_wipe(body, len);
	free(body);
	if (o == NULL || !json_is_object(o) ||
	    json_integer_value(json_object_get(o, "v")) != SC_AGENT_PROTO) {
		json_decref(o);
		sc_set_error("the agent sent a malformed reply");
		return SC_ERR_CORRUPT;
	}
	ok = json_object_get(o, "ok");
	if (!json_is_true(ok)) {
		json_int_t st = json_integer_value(json_object_get(o, "status"));
		const char *msg = json_string_value(json_object_get(o, "error"));

		if (msg != NULL && msg[0] != '\0')
			sc_set_error("%s", msg);
		json_decref(o);
		return (st > 0 && st < SC_STATUS_MAX) ? (int)st : SC_ERR_INTERNAL;
	}
	*out = o;
	return SC_OK;
}

static json_t *new_req(int op)
{
	return json_pack("{s:s}", "op", sc_agent_op_name(op));
}

static int call(int fd, json_t *req, const void *attach, size_t alen, json_t **reply)
{
	int r;

	*reply = NULL;
	if (req == NULL)
		return SC_ERR_NOMEM;
	r = sc_agent_send(fd, req, attach, alen, NULL, 0);
	json_decref(req);
	if (r != SC_OK)
		return r;
	return recv_reply(fd, reply);
}

static uint32_t u32_member(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int sc_agent_status(int fd, struct sc_agent_status *st)
{
	json_t *rep;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = call(fd, new_req(SC_AGENT_OP_STATUS), NULL, 0, &rep)) != SC_OK)
		return r;
	st->unlocked = json_is_true(json_object_get(rep, "unlocked"));
	st->reveal = json_is_true(json_object_get(rep, "reveal"));
	st->pid = json_integer_value(json_object_get(rep, "pid"));
	st->timeout_s = u32_member(rep, "timeout");
	st->idle_left_s = u32_member(rep, "idle_left");
	st->runs = u32_member(rep, "runs");
	json_decref(rep);
	return SC_OK;
}

int sc_agent_lock(int fd)
{
	json_t *rep;
	int r;

	if ((r = call(fd, new_req(SC_AGENT_OP_LOCK), NULL, 0, &rep)) != SC_OK)
		return r;
	json_decref(rep);
	return SC_OK;
}

int sc_agent_unlock(int fd, const uint8_t *dek, uint32_t timeout_s, int reveal)
{
	json_t *req = new_req(SC_AGENT_OP_UNLOCK), *rep;
	int r;

	if (req == NULL)
		return SC_ERR_NOMEM;
	json_object_set_new(req, "timeout", json_integer(timeout_s));
	json_object_set_new(req, "reveal", json_boolean(reveal));
	if ((r = call(fd, req, dek, SC_KEY_LEN, &rep)) != SC_OK)
		return r;
	json_decref(rep);
	return SC_OK;
}

/* A reply's attachment decoded as a record. */
static int reply_secret(int fd, json_t *rep, struct sc_secret **out)
{
	json_int_t n = json_integer_value(json_object_get(rep, "attach"));
	uint8_t *rec = NULL;
	int r;

	*out = NULL;
	if (n <= 0 || n > SC_AGENT_ATTACH_MAX) {
		sc_set_error("the agent sent a malformed reply");
		return SC_ERR_CORRUPT;
	}
	if ((r = sc_agent_recv_attach(fd, (size_t)n, &rec)) != SC_OK)
		return r;
	r = sc_record_decode(rec, (size_t)n, out);
	sc_secmem_free(rec);
	return r;
}

/* One batch of metadata records: u32 length + record, repeated. */
/* fn == NULL: receive and drop the batch (the caller has it already). */
static int walk_batch(int fd, json_t *rep, sc_vault_walk_fn fn, void *arg, int *stop,
                      uint8_t **arena, size_t *arena_cap)
{
	json_int_t n = json_integer_value(json_object_get(rep, "attach"));
	struct sc_secret s;
	uint8_t *buf = NULL;
	size_t off = 0, rl;
	int r;

	if (n <= 0 || n > SC_AGENT_ATTACH_MAX) {
		sc_set_error("the agent sent a malformed reply");
		return SC_ERR_CORRUPT;
	}
	if ((r = sc_agent_recv_attach(fd, (size_t)n, &buf)) != SC_OK)
		return r;
	while (fn != NULL && off < (size_t)n) {
		r = SC_ERR_CORRUPT;
		if ((size_t)n - off < 4)
			goto out;
		rl = (size_t)buf[off] << 24 | (size_t)buf[off + 1] << 16 |
		     (size_t)buf[off + 2] << 8 | buf[off + 3];
		off += 4;
		if (rl > (size_t)n - off)
			goto out;
		memset(&s, 0, sizeof(s));
		if ((r = sc_record_decode_into(buf + off, rl, &s, arena, arena_cap)) != SC_OK)
			goto out;
		off += rl;
		if (*stop == 0)
			*stop = fn(&s, arg);
		sc_secret_release(&s);
	}
	r = SC_OK;
out:
	sc_secmem_free(buf);
	return r;
}

static json_t *origin_req(int op, int origin)
{
	json_t *req = new_req(op);

	if (req != NULL && origin != SC_AGENT_ORIGIN_CLI &&
	    json_object_set_new(req, "origin", json_integer(origin)) != 0) {
		json_decref(req);
		return NULL;
	}
	return req;
}

int sc_agent_walk(int fd, int origin, sc_vault_walk_fn fn, void *arg)
{
	return sc_agent_list(fd, origin, fn, arg, NULL, NULL);
}

int sc_agent_list(int fd, int origin, sc_vault_walk_fn fn, void *arg,
                  const struct sc_agent_list_gen *known, struct sc_agent_list_gen *gen)
{
	json_t *rep = NULL, *g, *req;
	uint8_t *arena = NULL;
	size_t arena_cap = 0;
	int r, stop = 0;

	if (gen != NULL)
		memset(gen, 0, sizeof(*gen));
	req = origin_req(SC_AGENT_OP_LIST, origin);
	if (req != NULL && known != NULL && known->known) {
		/* the agent answers "unchanged" without the list when they stand */
		char hex[2 * SC_VAULT_ID_LEN + 1];

		sodium_bin2hex(hex, sizeof(hex), known->vault, sizeof(known->vault));
		if (json_object_set_new(req, "known_gen", json_integer((json_int_t)known->gen)) !=
		        0 ||
		    json_object_set_new(req, "known_vault", json_string(hex)) != 0) {
			json_decref(req);
			req = NULL;
		}
	}
	if ((r = call(fd, req, NULL, 0, &rep)) != SC_OK)
		return r;
	/* the first frame says which vault, and which generation of it, this
	 * list is: both, or the caller keeps nothing */
	g = json_object_get(rep, "gen");
	if (gen != NULL && json_is_integer(g) && json_integer_value(g) >= 0 &&
	    vault_id_from_hex(json_string_value(json_object_get(rep, "vault")), gen->vault) ==
	        SC_OK) {
		gen->known = 1;
		gen->gen = (uint64_t)json_integer_value(g);
		if (known != NULL && known->known && known->gen == gen->gen &&
		    memcmp(known->vault, gen->vault, sizeof(gen->vault)) == 0) {
			gen->unchanged = 1;
			fn = NULL; /* the caller has this list: drain it */
		}
	}
	/* batches, then the end frame; a callback that stops still drains
	 * them so the connection stays in step */
	while (!json_is_true(json_object_get(rep, "end"))) {
		if ((r = walk_batch(fd, rep, fn, arg, &stop, &arena, &arena_cap)) != SC_OK)
			goto out;
		json_decref(rep);
		rep = NULL;
		if ((r = recv_reply(fd, &rep)) != SC_OK)
			goto out;
	}
	r = stop;
out:
	sc_secmem_free(arena);
	json_decref(rep);
	return r;
}

static json_t *name_req(int op, int origin, const char *name)
{
	json_t *req = origin_req(op, origin);

	if (req != NULL && json_object_set_new(req, "name", json_string(name)) != 0) {
		json_decref(req);
		return NULL;
	}
	return req;
}

int sc_agent_exists(int fd, int origin, const char *name, int *exists)
{
	json_t *rep;
	int r;

	*exists = 0;
	if ((r = call(fd, name_req(SC_AGENT_OP_EXISTS, origin, name), NULL, 0, &rep)) != SC_OK)
		return r;
	*exists = json_is_true(json_object_get(rep, "exists"));
	json_decref(rep);
	return SC_OK;
}

static int get_one(int fd, int op, int origin, const char *name, struct sc_secret **out)
{
	json_t *rep;
	int r;

	*out = NULL;
	if ((r = call(fd, name_req(op, origin, name), NULL, 0, &rep)) != SC_OK)
		return r;
	r = reply_secret(fd, rep, out);
	json_decref(rep);
	return r;
}

int sc_agent_fields(int fd, int origin, const char *name, struct sc_secret **out)
{
	return get_one(fd, SC_AGENT_OP_FIELDS, origin, name, out);
}

int sc_agent_get(int fd, const char *name, struct sc_secret **out)
{
	return get_one(fd, SC_AGENT_OP_GET, SC_AGENT_ORIGIN_CLI, name, out);
}

static json_t *strv_json(const char *const *v, size_t n, int nul_terminated)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && (nul_terminated ? v[i] != NULL : i < n); i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *run_req(const struct sc_agent_run *run)
{
	json_t *req = new_req(SC_AGENT_OP_RUN), *a, *k, *e = NULL;
	char cwd[PATH_MAX];
	int stream = run->out_fd >= 0;

	if (req == NULL)
		return NULL;
	a = strv_json(run->argv, 0, 1);
	k = strv_json(run->keys, run->nkeys, 0);
	if (run->env != NULL)
		e = strv_json((const char *const *)run->env, 0, 1);
	if (a == NULL || k == NULL || (run->env != NULL && e == NULL)) {
		json_decref(a);
		json_decref(k);
		json_decref(e);
		json_decref(req);
		return NULL;
	}
	json_object_set_new(req, "argv", a);
	json_object_set_new(req, "keys", k);
	if (e != NULL)
		json_object_set_new(req, "env", e);
	if (run->exe != NULL)
		json_object_set_new(req, "exe", json_string(run->exe));
	if (run->cwd != NULL)
		json_object_set_new(req, "cwd", json_string(run->cwd));
	else if (getcwd(cwd, sizeof(cwd)) != NULL)
		json_object_set_new(req, "cwd", json_string(cwd));
	if (run->prefix != NULL)
		json_object_set_new(req, "prefix", json_string(run->prefix));
	if (run->path_env != NULL)
		json_object_set_new(req, "path", json_string(run->path_env));
	if (run->env_alias != NULL)
		json_object_set_new(req, "env_alias", json_string(run->env_alias));
	json_object_set_new(req, "timeout_ms", json_integer(run->timeout_ms));
	json_object_set_new(req, "clean_env", json_boolean(run->clean_env));
	if (run->origin != SC_AGENT_ORIGIN_CLI)
		json_object_set_new(req, "origin", json_integer(run->origin));
	json_object_set_new(req, "stream", json_boolean(stream));
	json_object_set_new(req, "line_buffered", json_boolean(run->line_buffered));
	if (!stream)
		json_object_set_new(
		    req, "capture_max",
		    json_integer((json_int_t)(run->capture_max > SC_AGENT_CAPTURE_MAX
		                                  ? SC_AGENT_CAPTURE_MAX
		                                  : run->capture_max)));
	return req;
}

static uint64_t u64_member(json_t *o, const char *key);

static int reply_output(int fd, json_t *rep, struct sc_exec_result *res)
{
	uint64_t n = u64_member(rep, "attach"), on = u64_member(rep, "out_len"),
	         en = u64_member(rep, "err_len");
	uint8_t *buf = NULL;
	int r;

	if (n == 0)
		return SC_OK;
	if (n > SC_AGENT_ATTACH_MAX || on + en != n) {
		sc_set_error("the agent sent a malformed reply");
		return SC_ERR_CORRUPT;
	}
	if ((r = sc_agent_recv_attach(fd, (size_t)n, &buf)) != SC_OK)
		return r;
	r = SC_ERR_NOMEM;
	if ((res->out = malloc(on + 1)) == NULL || (res->err = malloc(en + 1)) == NULL)
		goto out;
	memcpy(res->out, buf, on);
	res->out[on] = '\0';
	res->out_len = on;
	memcpy(res->err, buf + on, en);
	res->err[en] = '\0';
	res->err_len = en;
	r = SC_OK;
out:
	sc_secmem_free(buf);
	return r;
}

static uint64_t u64_member(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v < 0 ? 0 : (uint64_t)v;
}

int sc_agent_run(int fd, const struct sc_agent_run *run, int ctl_fd, struct sc_exec_result *res,
                 char **detail)
{
	int fds[3];
	size_t nfds = 0;
	json_t *req, *rep = NULL, *sv;
	const char **shorts = NULL;
	struct pollfd pfd[2];
	int r, st;

	memset(res, 0, sizeof(*res));
	if (detail != NULL)
		*detail = NULL;
	if ((req = run_req(run)) == NULL)
		return SC_ERR_NOMEM;
	if (run->out_fd >= 0) {
		fds[0] = run->stdin_fd >= 0 ? run->stdin_fd : run->out_fd;
		fds[1] = run->out_fd;
		fds[2] = run->err_fd >= 0 ? run->err_fd : run->out_fd;
		nfds = 3;
		json_object_set_new(req, "stdin", json_boolean(run->stdin_fd >= 0));
	}
	r = sc_agent_send(fd, req, NULL, 0, fds, nfds);
	json_decref(req);
	if (r != SC_OK)
		return r;
	/* first reply: started, or why not */
	if ((r = recv_reply(fd, &rep)) != SC_OK) {
		const char *d = sc_last_error();

		if (detail != NULL && d[0] != '\0' && r != SC_ERR_IO && r != SC_ERR_CORRUPT)
			*detail = strdup(d);
		return r;
	}
	sv = json_object_get(rep, "short");
	if (run->on_start != NULL) {
		size_t i, n = json_is_array(sv) ? json_array_size(sv) : 0;

		if ((shorts = calloc(n + 1, sizeof(*shorts))) != NULL) {
			for (i = 0; i < n; i++)
				shorts[i] = json_string_value(json_array_get(sv, i))
				                ? json_string_value(json_array_get(sv, i))
				                : "?";
			run->on_start(run->on_start_arg, shorts, n);
			free(shorts);
		}
	}
	json_decref(rep);
	rep = NULL;
	/* forward control bytes until the final frame arrives */
	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = ctl_fd;
	pfd[1].events = POLLIN;
	for (;;) {
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, ctl_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return SC_ERR_IO;
		}
		if (pfd[0].revents != 0)
			break;
		if (pfd[1].revents & POLLIN) {
			uint8_t b[16];
			ssize_t k = read(ctl_fd, b, sizeof(b));

			if (k > 0 && (r = write_all(fd, b, (size_t)k)) != SC_OK)
				return r;
			if (k == 0)
				pfd[1].fd = -1;
		} else if (pfd[1].revents != 0) {
			pfd[1].fd = -1;
		}
	}
	if ((r = recv_reply(fd, &rep)) != SC_OK)
		return r;
	res->exit_code = (int)json_integer_value(json_object_get(rep, "exit_code"));
	res->term_signal = (int)json_integer_value(json_object_get(rep, "term_signal"));
	res->timed_out = json_is_true(json_object_get(rep, "timed_out"));
	res->cancelled = json_is_true(json_object_get(rep, "cancelled"));
	res->exec_errno = (int)json_integer_value(json_object_get(rep, "exec_errno"));
	res->duration_ms = u64_member(rep, "duration_ms");
	res->out_dropped = u64_member(rep, "out_dropped");
	res->err_dropped = u64_member(rep, "err_dropped");
	st = (int)json_integer_value(json_object_get(rep, "status"));
	/* captured output: one attachment, stdout then stderr */
	if ((r = reply_output(fd, rep, res)) != SC_OK) {
		json_decref(rep);
		sc_exec_result_release(res);
		return r;
	}
	json_decref(rep);
	return (st >= 0 && st < SC_STATUS_MAX) ? st : SC_ERR_INTERNAL;
}

/* ---- agent side ---- */

/* A shallow copy that borrows every string and blanks the values: no
 * allocation per secret, which a list of thousands would feel. */
static void meta_view(const struct sc_secret *s, int keep_plain, struct sc_secret *m)
{
	static const char placeholder[] = "-";
	static uint8_t empty[1];
	size_t i;

	*m = *s;
	for (i = 0; i < m->nfields; i++) {
		if (keep_plain && !m->fields[i].sensitive)
			continue;
		m->fields[i].value = empty;
		m->fields[i].len = 0;
	}
	if (m->notes != NULL)
		m->notes = (char *)placeholder;
}

int sc_agent_meta_encode(const struct sc_secret *s, int keep_plain, uint8_t **out, size_t *len)
{
	struct sc_secret m;

	meta_view(s, keep_plain, &m);
	return sc_record_encode(&m, out, len);
}

size_t sc_agent_meta_len(const struct sc_secret *s, int keep_plain)
{
	struct sc_secret m;

	meta_view(s, keep_plain, &m);
	return sc_record_encoded_len(&m);
}

int sc_agent_meta_write(const struct sc_secret *s, int keep_plain, uint8_t *buf, size_t len)
{
	struct sc_secret m;

	meta_view(s, keep_plain, &m);
	return sc_record_encode_buf(&m, buf, len);
}
