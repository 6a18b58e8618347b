/* client.c - the agent client the CLI and the MCP server call: connect
 * with the peer check, status, lock, unlock, list, get, run. */
#include "agent/agent_int.h"
#include "secretctl/system.h"

/* ---- client ---- */

/* Connect to sock and check that the peer is uid peer. */
static int connect_at(const char *sock, uid_t peer, int *fd)
{
	struct sockaddr_un sa;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	int s, r;

	*fd = -1;
	if (strlen(sock) >= sizeof(sa.sun_path))
		return SC_ERR_TOOBIG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return SC_ERR_IO;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		/* no socket, or one nobody listens on (the agent was killed) */
		r = (errno == ENOENT || errno == ECONNREFUSED) ? SC_ERR_NOT_FOUND : SC_ERR_IO;
		if (r == SC_ERR_IO)
			sc_set_error("cannot connect to the agent at '%s': %s", sock,
			             strerror(errno));
		close(s);
		return r;
	}
	/* the peer is who we expect: a socket another user put there could
	 * otherwise be handed a password or a command's fds */
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 || cred.uid != peer) {
		sc_set_error("the agent socket '%s' is served by uid %lu, not %lu", sock,
		             (unsigned long)cred.uid, (unsigned long)peer);
		close(s);
		return SC_ERR_PERM;
	}
	*fd = s;
	return SC_OK;
}

int sc_agent_connect(const char *vault_dir, int *fd)
{
	char *sock = NULL, *dir = NULL;
	const char *ssock;
	uid_t speer;
	int r;

	*fd = -1;
	/* the dedicated run user's agent (system.h): its own socket, its uid */
	if (sc_agent_system_endpoint(vault_dir, &ssock, &speer))
		return connect_at(ssock, speer, fd);
	if ((r = sc_agent_paths(vault_dir, &sock, NULL)) != SC_OK)
		return r;
	if ((r = sc_agent_dir(&dir)) != SC_OK)
		goto out;
	if ((r = sc_agent_dir_check(dir, 0)) != SC_OK)
		goto out;
	r = connect_at(sock, geteuid(), fd);
	if (r == SC_ERR_PERM)
		sc_set_error("the agent socket '%s' is served by another user", sock);
out:
	free(sock);
	free(dir);
	return r;
}

/* Whether this thread's last refusal said the policy leaves the run to a
 * person. */
static __thread int refusal_asks;

int sc_agent_refusal_asks(void)
{
	return refusal_asks;
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
	refusal_asks = 0;
	if (!json_is_true(ok)) {
		json_int_t st = json_integer_value(json_object_get(o, "status"));

		refusal_asks = json_is_true(json_object_get(o, "ask"));
		const char *msg = json_string_value(json_object_get(o, "error"));

		if (msg != NULL && msg[0] != '\0')
			sc_set_error("%s", msg);
		json_decref(o);
		return (st > 0 && st < SC_STATUS_MAX) ? (int)st : SC_ERR_INTERNAL;
	}
	*out = o;
	return SC_OK;
}

json_t *sc_agent_new_req(int op)
{
	return json_pack("{s:s}", "op", sc_agent_op_name(op));
}

/* A request whose send failed because the agent closed the connection:
 * an agent that refuses one (busy) writes its refusal first and closes
 * without reading the request. Read it, so the caller hears "busy" and not
 * "broken pipe"; anything else keeps the send's own error. */
static int refusal_after_send(int fd, int r)
{
	char keep[256];
	json_t *rep = NULL;
	int rr;

	if (r != SC_ERR_IO || (errno != EPIPE && errno != ECONNRESET))
		return r;
	snprintf(keep, sizeof(keep), "%s", sc_last_error());
	rr = recv_reply(fd, &rep);
	json_decref(rep);
	if (rr != SC_OK && rr != SC_ERR_IO && rr != SC_ERR_CORRUPT && rr != SC_ERR_TIMEOUT)
		return rr; /* the refusal's status and message */
	sc_set_error("%s", keep);
	return r;
}

int sc_agent_call(int fd, json_t *req, const void *attach, size_t alen, json_t **reply)
{
	int r, e;

	*reply = NULL;
	if (req == NULL)
		return SC_ERR_NOMEM;
	r = sc_agent_send(fd, req, attach, alen, NULL, 0);
	e = errno;
	json_decref(req);
	errno = e;
	if (r != SC_OK)
		return refusal_after_send(fd, r);
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
	if ((r = sc_agent_call(fd, sc_agent_new_req(SC_AGENT_OP_STATUS), NULL, 0, &rep)) != SC_OK)
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

	if ((r = sc_agent_call(fd, sc_agent_new_req(SC_AGENT_OP_LOCK), NULL, 0, &rep)) != SC_OK)
		return r;
	json_decref(rep);
	return SC_OK;
}

int sc_agent_unlock(int fd, const uint8_t *dek, const char *pw, size_t pw_len, uint32_t timeout_s,
                    int reveal)
{
	json_t *req = sc_agent_new_req(SC_AGENT_OP_UNLOCK), *rep;
	uint8_t *att;
	int r;

	if (req == NULL)
		return SC_ERR_NOMEM;
	if (pw_len > SC_AGENT_PASSWORD_MAX)
		pw_len = 0; /* too long to send: not redacted by the agent */
	if ((att = sc_secmem_alloc(SC_KEY_LEN + pw_len + 1)) == NULL) {
		json_decref(req);
		return SC_ERR_NOMEM;
	}
	memcpy(att, dek, SC_KEY_LEN);
	if (pw_len > 0)
		memcpy(att + SC_KEY_LEN, pw, pw_len);
	json_object_set_new(req, "timeout", json_integer(timeout_s));
	json_object_set_new(req, "reveal", json_boolean(reveal));
	r = sc_agent_call(fd, req, att, SC_KEY_LEN + pw_len, &rep);
	sc_secmem_free(att);
	if (r != SC_OK)
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
		rl = sc_be32_get(buf + off);
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

/* The MCP client this process speaks for (sc_agent_set_client). */
static char client_name[SC_AUDIT_CLIENT_MAX + 1];

void sc_agent_set_client(const char *name)
{
	size_t i, k = 0;

	for (i = 0; name != NULL && name[i] != '\0' && k < SC_AUDIT_CLIENT_MAX; i++)
		if ((unsigned char)name[i] >= 0x20 && (unsigned char)name[i] < 0x7f)
			client_name[k++] = name[i];
	client_name[k] = '\0';
}

/* origin MCP: the client's name and the tool, for the agent's audit */
int sc_agent_add_caller(json_t *req, int origin, const char *tool)
{
	if (req == NULL || origin != SC_AGENT_ORIGIN_MCP)
		return 0;
	if (client_name[0] != '\0' &&
	    json_object_set_new(req, "client", json_string(client_name)) != 0)
		return -1;
	if (tool != NULL && json_object_set_new(req, "tool", json_string(tool)) != 0)
		return -1;
	return 0;
}

static json_t *origin_req(int op, int origin)
{
	json_t *req = sc_agent_new_req(op);

	if (req != NULL && origin != SC_AGENT_ORIGIN_CLI &&
	    (json_object_set_new(req, "origin", json_integer(origin)) != 0 ||
	     sc_agent_add_caller(req, origin, NULL) != 0)) {
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
	if ((r = sc_agent_call(fd, req, NULL, 0, &rep)) != SC_OK)
		return r;
	/* the first frame says which vault, and which generation of it, this
	 * list is: both, or the caller keeps nothing */
	g = json_object_get(rep, "gen");
	if (gen != NULL && json_is_integer(g) && json_integer_value(g) >= 0 &&
	    sc_agent_vault_id_from_hex(json_string_value(json_object_get(rep, "vault")),
	                               gen->vault) == SC_OK) {
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
	if ((r = sc_agent_call(fd, name_req(SC_AGENT_OP_EXISTS, origin, name), NULL, 0, &rep)) !=
	    SC_OK)
		return r;
	*exists = json_is_true(json_object_get(rep, "exists"));
	json_decref(rep);
	return SC_OK;
}

/* The reply is checked as strictly as a request: every member typed and
 * bounded, changes no more than a secret can have. */
static int history_one(json_t *o, struct sc_history_change *buf, sc_history_changes_fn fn,
                       void *arg)
{
	struct sc_history_version hv;
	json_t *ch = json_object_get(o, "ch"), *e;
	size_t i;

	memset(&hv, 0, sizeof(hv));
	if (!json_is_integer(json_object_get(o, "v")) ||
	    !json_is_integer(json_object_get(o, "t")) ||
	    !json_is_boolean(json_object_get(o, "cur")) ||
	    !json_is_boolean(json_object_get(o, "pruned")) || !json_is_array(ch) ||
	    json_array_size(ch) > 2 * (SC_FIELDS_MAX + SC_BINDINGS_MAX + SC_TAGS_MAX) + 3 ||
	    json_integer_value(json_object_get(o, "v")) < 1)
		return SC_ERR_CORRUPT;
	hv.version = (uint64_t)json_integer_value(json_object_get(o, "v"));
	hv.time = (int64_t)json_integer_value(json_object_get(o, "t"));
	hv.current = json_is_true(json_object_get(o, "cur"));
	hv.base_missing = json_is_true(json_object_get(o, "pruned"));
	json_array_foreach(ch, i, e)
	{
		json_t *k = json_array_get(e, 0);
		const char *what = json_string_value(json_array_get(e, 1));
		const char *name = json_string_value(json_array_get(e, 2));

		if (!json_is_array(e) || json_array_size(e) != 3 || !json_is_integer(k) ||
		    json_integer_value(k) < SC_DIFF_ADDED ||
		    json_integer_value(k) > SC_DIFF_CHANGED || what == NULL || name == NULL ||
		    strlen(what) >= sizeof(buf[i].what) || strlen(name) >= sizeof(buf[i].name))
			return SC_ERR_CORRUPT;
		buf[i].kind = (int)json_integer_value(k);
		memcpy(buf[i].what, what, strlen(what) + 1);
		memcpy(buf[i].name, name, strlen(name) + 1);
	}
	hv.n = json_array_size(ch);
	hv.changes = buf;
	return fn(&hv, arg);
}

int sc_agent_history(int fd, int origin, const char *name, sc_history_changes_fn fn, void *arg,
                     int *deleted)
{
	struct sc_history_change *buf = NULL;
	json_t *rep, *vers, *o;
	size_t i;
	int r;

	*deleted = 0;
	if ((r = sc_agent_call(fd, name_req(SC_AGENT_OP_HISTORY, origin, name), NULL, 0, &rep)) !=
	    SC_OK)
		return r;
	vers = json_object_get(rep, "versions");
	r = SC_ERR_CORRUPT;
	if (!json_is_array(vers) || json_array_size(vers) > SC_HISTORY_KEEP_MAX ||
	    !json_is_boolean(json_object_get(rep, "deleted")))
		goto out;
	*deleted = json_is_true(json_object_get(rep, "deleted"));
	r = SC_ERR_NOMEM;
	if ((buf = calloc(2 * (SC_FIELDS_MAX + SC_BINDINGS_MAX + SC_TAGS_MAX) + 3, sizeof(*buf))) ==
	    NULL)
		goto out;
	r = SC_OK;
	json_array_foreach(vers, i, o)
	{
		if ((r = history_one(o, buf, fn, arg)) != SC_OK)
			break;
	}
out:
	free(buf);
	json_decref(rep);
	return r;
}

static int get_one(int fd, int op, int origin, const char *tool, const char *name,
                   struct sc_secret **out)
{
	json_t *rep, *req = name_req(op, origin, name);
	int r;

	*out = NULL;
	if (req != NULL && tool != NULL && sc_agent_add_caller(req, origin, tool) != 0) {
		json_decref(req);
		req = NULL;
	}
	if ((r = sc_agent_call(fd, req, NULL, 0, &rep)) != SC_OK)
		return r;
	r = reply_secret(fd, rep, out);
	json_decref(rep);
	return r;
}

int sc_agent_fields(int fd, int origin, const char *name, struct sc_secret **out)
{
	return get_one(fd, SC_AGENT_OP_FIELDS, origin, NULL, name, out);
}

int sc_agent_fields_for(int fd, int origin, const char *tool, const char *name,
                        struct sc_secret **out)
{
	return get_one(fd, SC_AGENT_OP_FIELDS, origin, tool, name, out);
}

int sc_agent_get(int fd, const char *name, struct sc_secret **out)
{
	return get_one(fd, SC_AGENT_OP_GET, SC_AGENT_ORIGIN_CLI, NULL, name, out);
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
	json_t *req = sc_agent_new_req(SC_AGENT_OP_RUN), *a, *k, *e = NULL;
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
	if (run->nrefs > 0) {
		json_t *rf = json_array();
		size_t i;

		for (i = 0; rf != NULL && i < run->nrefs; i++) {
			char *s = NULL;

			if (asprintf(&s, "%s=%s", run->ref_vars[i], run->ref_paths[i]) < 0 ||
			    json_array_append_new(rf, json_string(s)) != 0) {
				free(s);
				json_decref(rf);
				rf = NULL;
				break;
			}
			free(s);
		}
		if (rf == NULL) {
			json_decref(req);
			return NULL;
		}
		json_object_set_new(req, "refs", rf);
	}
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
	if (run->origin != SC_AGENT_ORIGIN_CLI) {
		json_object_set_new(req, "origin", json_integer(run->origin));
		(void)sc_agent_add_caller(req, run->origin, run->tool);
	}
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
	st = errno;
	json_decref(req);
	errno = st;
	if (r != SC_OK)
		return refusal_after_send(fd, r);
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

			if (k > 0 && (r = sc_agent_write_all(fd, b, (size_t)k)) != SC_OK)
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

int sc_agent_forward(int fd, const char *const *argv, char *const *env, const char *cwd,
                     const char *pw, size_t pw_len, const int fds[3], int *exit_status)
{
	json_t *req = sc_agent_new_req(SC_AGENT_OP_FORWARD), *a, *e, *rep = NULL;
	json_int_t x;
	size_t i;
	int r, er;

	*exit_status = -1;
	if (req == NULL || (a = json_array()) == NULL || (e = json_array()) == NULL) {
		json_decref(req);
		return SC_ERR_NOMEM;
	}
	json_object_set_new(req, "argv", a);
	json_object_set_new(req, "env", e);
	json_object_set_new(req, "cwd", json_string(cwd));
	for (i = 0; argv[i] != NULL; i++)
		json_array_append_new(a, json_string(argv[i]));
	/* an entry that is not UTF-8 (json_string fails) is left out */
	for (i = 0; env != NULL && env[i] != NULL && i < SC_AGENT_ENV_MAX; i++)
		if (strchr(env[i], '=') != NULL && strlen(env[i]) <= SC_AGENT_STRING_MAX)
			(void)json_array_append_new(e, json_string(env[i]));
	r = sc_agent_send(fd, req, pw, pw_len, fds, 3);
	er = errno;
	json_decref(req);
	errno = er;
	if (r != SC_OK)
		return refusal_after_send(fd, r);
	if ((r = recv_reply(fd, &rep)) != SC_OK)
		return r;
	x = json_integer_value(json_object_get(rep, "exit"));
	json_decref(rep);
	if (x < 0 || x > 255) {
		sc_set_error("the agent sent a malformed reply");
		return SC_ERR_CORRUPT;
	}
	*exit_status = (int)x;
	return SC_OK;
}
