/* ops.c - the agent's replies and its metadata, status, lock and unlock
 * operations. */
#include "agent/agent_int.h"

/* ---- replies ---- */

int agent_reply(int fd, json_t *msg, const void *attach, size_t alen)
{
	int r;

	if (msg == NULL)
		return SC_ERR_NOMEM;
	json_object_set_new(msg, "ok", json_true());
	r = sc_agent_send(fd, msg, attach, alen, NULL, 0);
	json_decref(msg);
	return r;
}

static int reply_ok(int fd)
{
	return agent_reply(fd, json_object(), NULL, 0);
}

/* A refusal: the status and a message that never holds a value. */
int agent_reply_err(int fd, int st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int agent_reply_err(int fd, int st, const char *fmt, ...)
{
	char msg[512];
	json_t *m;
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m = json_pack("{s:b,s:i,s:s}", "ok", 0, "status", st, "error", msg);
	if (m == NULL)
		return SC_ERR_NOMEM;
	r = sc_agent_send(fd, m, NULL, 0, NULL, 0);
	json_decref(m);
	sc_clear_error();
	return r;
}

int agent_reply_refusal(int fd, int st, int ask, const char *msg)
{
	json_t *m = json_pack("{s:b,s:i,s:s,s:b}", "ok", 0, "status", st, "error", msg, "ask", ask);
	int r;

	if (m == NULL)
		return SC_ERR_NOMEM;
	r = sc_agent_send(fd, m, NULL, 0, NULL, 0);
	json_decref(m);
	sc_clear_error();
	return r;
}

int agent_reply_status(int fd, int st)
{
	const char *d = sc_last_error();

	if (d[0] != '\0')
		return agent_reply_err(fd, st, "%s", d);
	return agent_reply_err(fd, st, "%s", sc_strerror(st));
}

/* ---- metadata ---- */

struct batch {
	int fd;
	uint8_t *buf; /* secmem */
	size_t len, cap;
	int err;
	int flushed;        /* a part was sent before the end */
	uint64_t gen;       /* the vault generation the list was made at */
	const uint8_t *vid; /* and the vault's id */
};

/* Every part of a list reply, and its end, says which vault and which
 * generation of it the list is. end: the end frame. */
static json_t *list_hdr(const uint8_t *vid, uint64_t gen, int end)
{
	char hex[2 * SC_VAULT_ID_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), vid, SC_VAULT_ID_LEN);
	if (end)
		return json_pack("{s:b,s:s,s:I}", "end", 1, "vault", hex, "gen", (json_int_t)gen);
	return json_pack("{s:s,s:I}", "vault", hex, "gen", (json_int_t)gen);
}

static int batch_flush(struct batch *b)
{
	int r;

	if (b->len == 0)
		return SC_OK;
	b->flushed = 1;
	r = agent_reply(b->fd, list_hdr(b->vid, b->gen, 0), b->buf, b->len);
	sc_wipe(b->buf, b->len);
	b->len = 0;
	return r;
}

static int batch_add(const struct sc_secret *s, void *arg)
{
	struct batch *b = arg;
	uint8_t *nb;
	size_t rl = sc_agent_meta_len(s, 0);
	int r;

	if (b->len > 0 && b->len + 4 + rl > 1024 * 1024 && (r = batch_flush(b)) != SC_OK)
		goto out;
	if (b->len + 4 + rl > b->cap) {
		size_t cap = b->cap ? b->cap : 64 * 1024;

		while (cap < b->len + 4 + rl)
			cap *= 2;
		r = SC_ERR_NOMEM;
		if ((nb = sc_secmem_realloc(b->buf, cap)) == NULL)
			goto out;
		b->buf = nb;
		b->cap = cap;
	}
	sc_be32_put(b->buf + b->len, (uint32_t)rl);
	b->len += 4;
	/* encoded in place: no guarded allocation per secret */
	if ((r = sc_agent_meta_write(s, 0, b->buf + b->len, rl)) != SC_OK)
		goto out;
	b->len += rl;
out:
	b->err = r;
	return r;
}

int agent_op_list(struct agent *a, int fd, const struct sc_agent_req *q)
{
	/* the MCP tool's name, as the server writes it with its own key */
	const char *op = q->origin == SC_AGENT_ORIGIN_MCP ? "secret_list" : "list";
	struct batch b = {.fd = fd};
	uint8_t vid[SC_VAULT_ID_LEN];
	uint64_t gen = 0;
	int r, rr;

	pthread_mutex_lock(&a->lock);
	if (a->vault == NULL) {
		pthread_mutex_unlock(&a->lock);
		return agent_reply_err(fd, SC_ERR_LOCKED, AGENT_LOCKED_MSG);
	}
	a->last_use = agent_now_s();
	memcpy(vid, sc_vault_id(a->vault), sizeof(vid)); /* the handle goes on lock */
	if ((r = sc_vault_generation(a->vault, &gen)) == SC_OK && q->has_known &&
	    q->known_gen == gen && memcmp(q->known_vault, vid, sizeof(vid)) == 0) {
		/* the caller holds this very list: say so, audited, and send none */
		json_t *end = list_hdr(vid, gen, 1);

		r = agent_audit(a, q, op, NULL, 0, NULL, SC_OK);
		pthread_mutex_unlock(&a->lock);
		if (r != SC_OK) {
			json_decref(end);
			return agent_reply_status(fd, r);
		}
		if (end != NULL)
			json_object_set_new(end, "unchanged", json_true());
		return agent_reply(fd, end, NULL, 0);
	}
	if (r == SC_OK && a->list_cache.buf != NULL && a->list_cache.gen == gen) {
		/* nothing was put or deleted since: the same reply, audited */
		if ((r = agent_audit(a, q, op, NULL, 0, NULL, SC_OK)) == SC_OK)
			r = agent_reply(fd, list_hdr(vid, gen, 0), a->list_cache.buf,
			                a->list_cache.len);
		pthread_mutex_unlock(&a->lock);
		if (r != SC_OK)
			return agent_reply_status(fd, r);
		return agent_reply(fd, list_hdr(vid, gen, 1), NULL, 0);
	}
	b.gen = gen;
	b.vid = vid;
	if (r == SC_OK)
		r = sc_vault_walk_meta(a->vault, batch_add, &b);
	if ((rr = agent_audit(a, q, op, NULL, 0, NULL, r)) != SC_OK && r == SC_OK)
		r = rr;
	if (r == SC_OK && !b.flushed && b.len > 0) {
		/* one part (up to 1 MiB): send it, and keep it for the next list */
		r = agent_reply(fd, list_hdr(vid, gen, 0), b.buf, b.len);
		agent_list_cache_drop(a);
		if (r == SC_OK) {
			a->list_cache.buf = b.buf;
			a->list_cache.len = b.len;
			a->list_cache.gen = gen;
			b.buf = NULL;
		}
	} else if (r == SC_OK) {
		r = batch_flush(&b);
	}
	pthread_mutex_unlock(&a->lock);
	sc_secmem_free(b.buf);
	if (r != SC_OK)
		return b.err == SC_OK ? agent_reply_status(fd, r) : r;
	return agent_reply(fd, list_hdr(vid, gen, 1), NULL, 0);
}

int agent_op_exists(struct agent *a, int fd, const struct sc_agent_req *q)
{
	const char *name = q->name;
	int r, rr, exists = 0;

	pthread_mutex_lock(&a->lock);
	if (a->vault == NULL) {
		pthread_mutex_unlock(&a->lock);
		return agent_reply_err(fd, SC_ERR_LOCKED, AGENT_LOCKED_MSG);
	}
	a->last_use = agent_now_s();
	r = sc_vault_exists(a->vault, name, &exists);
	if ((rr = agent_audit(a, q, q->origin == SC_AGENT_ORIGIN_MCP ? "secret_exists" : "exists",
	                      &name, 1, NULL, r)) != SC_OK &&
	    r == SC_OK)
		r = rr;
	pthread_mutex_unlock(&a->lock);
	if (r != SC_OK)
		return agent_reply_status(fd, r);
	return agent_reply(fd, json_pack("{s:b}", "exists", exists), NULL, 0);
}

static int history_add(const struct sc_history_version *hv, void *arg)
{
	json_t *a = arg, *ch = json_array(), *o;
	size_t i;

	if (ch == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < hv->n; i++)
		if (json_array_append_new(ch, json_pack("[i,s,s]", hv->changes[i].kind,
		                                        hv->changes[i].what,
		                                        hv->changes[i].name)) != 0) {
			json_decref(ch);
			return SC_ERR_NOMEM;
		}
	o = json_pack("{s:I,s:I,s:b,s:b,s:o}", "v", (json_int_t)hv->version, "t",
	              (json_int_t)hv->time, "cur", hv->current, "pruned", hv->base_missing, "ch",
	              ch);
	return o == NULL || json_array_append_new(a, o) != 0 ? SC_ERR_NOMEM : SC_OK;
}

int agent_op_history(struct agent *a, int fd, const struct sc_agent_req *q)
{
	const char *name = q->name;
	json_t *vers = json_array();
	int r, rr, deleted = 0;

	if (vers == NULL)
		return agent_reply_status(fd, SC_ERR_NOMEM);
	pthread_mutex_lock(&a->lock);
	if (a->vault == NULL) {
		pthread_mutex_unlock(&a->lock);
		json_decref(vers);
		return agent_reply_err(fd, SC_ERR_LOCKED, AGENT_LOCKED_MSG);
	}
	a->last_use = agent_now_s();
	r = sc_vault_history_changes(a->vault, name, history_add, vers, &deleted);
	if ((rr = agent_audit(a, q, "history", &name, 1, NULL, r)) != SC_OK && r == SC_OK)
		r = rr;
	pthread_mutex_unlock(&a->lock);
	if (r != SC_OK) {
		json_decref(vers);
		return agent_reply_status(fd, r);
	}
	return agent_reply(fd, json_pack("{s:b,s:o}", "deleted", deleted, "versions", vers), NULL,
	                   0);
}

int agent_op_fields_get(struct agent *a, int fd, const struct sc_agent_req *q, int whole)
{
	const char *name = q->name;
	struct sc_secret *s = NULL;
	uint8_t *rec = NULL;
	size_t rl = 0;
	int r, rr;

	pthread_mutex_lock(&a->lock);
	if (a->vault == NULL) {
		pthread_mutex_unlock(&a->lock);
		return agent_reply_err(fd, SC_ERR_LOCKED, AGENT_LOCKED_MSG);
	}
	if (whole && !a->reveal) {
		pthread_mutex_unlock(&a->lock);
		return agent_reply_err(
		    fd, SC_ERR_DENIED,
		    "the agent does not reveal values in its default use-only mode "
		    "(unlock with --reveal to allow it)");
	}
	a->last_use = agent_now_s();
	r = sc_vault_get(a->vault, name, &s);
	/* no value leaves without its audit entry on disk */
	/* secret_exists of a missing name is a successful answer, as the
	 * server records it with its own key */
	if ((rr = agent_audit(a, q, whole ? "get" : "show", &name, 1, NULL,
	                      r == SC_ERR_NOT_FOUND && q->tool != NULL &&
	                              strcmp(q->tool, "secret_exists") == 0
	                          ? SC_OK
	                          : r)) != SC_OK &&
	    r == SC_OK)
		r = rr;
	pthread_mutex_unlock(&a->lock);
	if (r == SC_OK)
		r = whole ? sc_record_encode(s, &rec, &rl) : sc_agent_meta_encode(s, 1, &rec, &rl);
	sc_secret_free(s);
	if (r != SC_OK)
		return agent_reply_status(fd, r);
	r = agent_reply(fd, json_object(), rec, rl);
	sc_secmem_free(rec);
	return r;
}

/* ---- status, lock, unlock ---- */

int agent_op_status(struct agent *a, int fd)
{
	json_t *m;
	int64_t left = 0;

	pthread_mutex_lock(&a->lock);
	if (a->vault != NULL) {
		left = a->last_use + a->timeout_s - agent_now_s();
		if (left < 0 || a->runs > 0)
			left = a->runs > 0 ? a->timeout_s : 0;
	}
	m = json_pack("{s:b,s:b,s:I,s:I,s:I,s:I}", "unlocked", a->vault != NULL, "reveal",
	              a->reveal, "pid", (json_int_t)getpid(), "timeout", (json_int_t)a->timeout_s,
	              "idle_left", (json_int_t)left, "runs", (json_int_t)a->runs);
	pthread_mutex_unlock(&a->lock);
	return agent_reply(fd, m, NULL, 0);
}

int agent_op_lock(struct agent *a, int fd)
{
	int r;

	pthread_mutex_lock(&a->lock);
	agent_lock_key(a, "lock requested");
	pthread_mutex_unlock(&a->lock);
	r = reply_ok(fd);
	agent_wake_main(a);
	return r;
}

/* Open the vault with a DEK; the caller frees dek. */
int agent_open_with_dek(const char *dir, const uint8_t *dek, struct sc_vault **out)
{
	struct sc_vault *v = NULL;
	int r;

	*out = NULL;
	if ((r = sc_vault_open(dir, &v)) != SC_OK)
		return r;
	if ((r = sc_vault_unlock_dek(v, dek)) != SC_OK) {
		sc_vault_close(v);
		return r;
	}
	*out = v;
	return SC_OK;
}

int agent_op_unlock(struct agent *a, int fd, const struct sc_agent_req *q)
{
	struct sc_redact_cache *cache = NULL;
	struct sc_vault *v = NULL;
	uint8_t *dek = NULL;
	int r;

	if ((r = sc_agent_recv_attach(fd, q->attach_len, &dek)) != SC_OK)
		return r;
	r = agent_open_with_dek(a->o->vault_dir, dek, &v);
	/* the password after the key: the sanitizer of every run redacts it */
	if (r == SC_OK)
		r = sc_redact_cache_new((const char *)dek + SC_KEY_LEN, q->attach_len - SC_KEY_LEN,
		                        &cache);
	sc_secmem_free(dek);
	if (r != SC_OK && v != NULL) {
		sc_vault_close(v);
		v = NULL;
	}
	if (r != SC_OK)
		return r == SC_ERR_AUTH
		           ? agent_reply_err(fd, r, "that key does not open this vault")
		           : agent_reply_status(fd, r);
	pthread_mutex_lock(&a->lock);
	agent_lock_key(a, "replaced by a new unlock");
	a->vault = v;
	a->redact = cache;
	a->reveal = q->reveal;
	a->timeout_s = q->timeout_s ? q->timeout_s : SC_AGENT_TIMEOUT_DEFAULT;
	a->last_use = agent_now_s();
	agent_log(LOG_INFO, "unlocked (%s mode, idle timeout %us)",
	          a->reveal ? "reveal" : "use-only", a->timeout_s);
	pthread_mutex_unlock(&a->lock);
	return reply_ok(fd);
}
