/* agent.c - the unlock agent: holds one vault's key in locked memory and
 * serves same-uid peers on a Unix socket (metadata, runs it performs
 * itself, reveals only when unlocked with --reveal); locks on idle
 * timeout, on `lock`, on SIGTERM/SIGHUP, and when the vault disappears. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "agent/daemon.h"
#include "secretctl/audit.h"
#include "secretctl/exec.h"
#include "secretctl/policy.h"

struct agent {
	const struct agent_opts *o;
	pthread_mutex_t lock;   /* everything below, and every use of the vault */
	pthread_cond_t idle;    /* conns dropped to 0 */
	struct sc_vault *vault; /* NULL while locked */
	int reveal;
	uint32_t timeout_s;
	int64_t last_use; /* monotonic seconds */
	unsigned conns, runs;
	int ctl_fds[AGENT_CONNS_MAX]; /* write ends of the running runs' ctl pipes */
	int quit;
	int wake[2]; /* connections wake the main loop (after lock) */
	dev_t vdev;
	ino_t vino;
	/* the last list reply (secmem) and the vault generation it was made
	 * at: while no put or delete moves the generation, a list is sent
	 * from here without decrypting every record again */
	struct {
		uint8_t *buf;
		size_t len;
		uint64_t gen;
	} list_cache;
};

struct conn {
	struct agent *a;
	int fd;
};

/* ---- logging: stderr in the foreground, syslog (authpriv) as a daemon ---- */

static int log_stderr;

static void agent_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void agent_log(int prio, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_stderr)
		fprintf(stderr, "secretctl agent: %s\n", msg);
	else
		syslog(LOG_AUTHPRIV | prio, "%s", msg);
}

static int64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static void wake_main(struct agent *a)
{
	(void)!write(a->wake[1], "x", 1);
}

static void list_cache_drop(struct agent *a)
{
	if (a->list_cache.buf != NULL)
		sc_wipe(a->list_cache.buf, a->list_cache.len);
	sc_secmem_free(a->list_cache.buf);
	memset(&a->list_cache, 0, sizeof(a->list_cache));
}

/* Wipe the key (the vault handle holds it). Caller holds a->lock. */
static void lock_key(struct agent *a, const char *why)
{
	list_cache_drop(a);
	if (a->vault == NULL)
		return;
	sc_vault_close(a->vault);
	a->vault = NULL;
	a->reveal = 0;
	agent_log(LOG_INFO, "locked (%s)", why);
}

/* Record a keyed operation in the vault's audit log, as the CLI does for
 * its own; caller holds a->lock with the vault unlocked. The operation's
 * error detail survives. */
static int agent_audit(struct agent *a, const char *op, int source, const char *const *names,
                       size_t n, const char *cmd, int status)
{
	struct sc_audit_event ev = {
	    .op = op,
	    .source = source,
	    .names = names,
	    .n_names = n,
	    .cmd = cmd,
	    .status = status,
	};
	char detail[512];
	int r;

	snprintf(detail, sizeof(detail), "%s", sc_last_error());
	r = sc_audit_append(a->vault, &ev);
	if (r != SC_OK)
		agent_log(LOG_ERR, "cannot write the audit log: %s", sc_strerror(r));
	sc_clear_error();
	if (detail[0] != '\0')
		sc_set_error("%s", detail);
	return r;
}

static int audit_source(int origin)
{
	return origin == SC_AGENT_ORIGIN_MCP ? SC_AUDIT_SRC_MCP : SC_AUDIT_SRC_AGENT;
}

/* ---- socket ---- */

int agent_listen(const char *vault_dir, int *listen_fd, int *lock_fd, char **sock_path)
{
	struct sockaddr_un sa;
	char *sock = NULL, *lockp = NULL, *dir = NULL;
	int s = -1, lk = -1, r;
	mode_t old;

	*listen_fd = *lock_fd = -1;
	*sock_path = NULL;
	if ((r = sc_agent_paths(vault_dir, &sock, &lockp)) != SC_OK)
		goto out;
	if ((r = sc_agent_dir(&dir)) != SC_OK || (r = sc_agent_dir_check(dir, 1)) != SC_OK)
		goto out;
	lk = open(lockp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lk < 0) {
		sc_set_error("cannot open '%s': %s", lockp, strerror(errno));
		r = SC_ERR_IO;
		goto out;
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
	old = umask(0177); /* the socket file is born 0600 */
	r = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r != 0 || listen(s, 64) != 0) {
		sc_set_error("cannot listen on '%s': %s", sock, strerror(errno));
		r = SC_ERR_IO;
		goto out;
	}
	*listen_fd = s;
	*lock_fd = lk;
	*sock_path = sock;
	s = lk = -1;
	sock = NULL;
	r = SC_OK;
out:
	if (s >= 0)
		close(s);
	if (lk >= 0)
		close(lk);
	free(sock);
	free(lockp);
	free(dir);
	return r;
}

/* ---- replies ---- */

static int reply(int fd, json_t *msg, const void *attach, size_t alen)
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
	return reply(fd, json_object(), NULL, 0);
}

/* A refusal: the status and a message that never holds a value. */
static int reply_err(int fd, int st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int reply_err(int fd, int st, const char *fmt, ...)
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

static int reply_status(int fd, int st)
{
	const char *d = sc_last_error();

	if (d[0] != '\0')
		return reply_err(fd, st, "%s", d);
	return reply_err(fd, st, "%s", sc_strerror(st));
}

/* ---- metadata ---- */

static const char locked_msg[] = "the agent is locked: run 'secretctl unlock'";

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
	r = reply(b->fd, list_hdr(b->vid, b->gen, 0), b->buf, b->len);
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
	b->buf[b->len++] = (uint8_t)(rl >> 24);
	b->buf[b->len++] = (uint8_t)(rl >> 16);
	b->buf[b->len++] = (uint8_t)(rl >> 8);
	b->buf[b->len++] = (uint8_t)rl;
	/* encoded in place: no guarded allocation per secret */
	if ((r = sc_agent_meta_write(s, 0, b->buf + b->len, rl)) != SC_OK)
		goto out;
	b->len += rl;
out:
	b->err = r;
	return r;
}

static int op_list(struct agent *a, int fd, const struct sc_agent_req *q)
{
	int origin = q->origin;
	struct batch b = {.fd = fd};
	uint8_t vid[SC_VAULT_ID_LEN];
	uint64_t gen = 0;
	int r, rr;

	pthread_mutex_lock(&a->lock);
	if (a->vault == NULL) {
		pthread_mutex_unlock(&a->lock);
		return reply_err(fd, SC_ERR_LOCKED, locked_msg);
	}
	a->last_use = now_s();
	memcpy(vid, sc_vault_id(a->vault), sizeof(vid)); /* the handle goes on lock */
	if ((r = sc_vault_generation(a->vault, &gen)) == SC_OK && q->has_known &&
	    q->known_gen == gen && memcmp(q->known_vault, vid, sizeof(vid)) == 0) {
		/* the caller holds this very list: say so, audited, and send none */
		json_t *end = list_hdr(vid, gen, 1);

		r = agent_audit(a, "list", audit_source(origin), NULL, 0, NULL, SC_OK);
		pthread_mutex_unlock(&a->lock);
		if (r != SC_OK) {
			json_decref(end);
			return reply_status(fd, r);
		}
		if (end != NULL)
			json_object_set_new(end, "unchanged", json_true());
		return reply(fd, end, NULL, 0);
	}
	if (r == SC_OK && a->list_cache.buf != NULL && a->list_cache.gen == gen) {
		/* nothing was put or deleted since: the same reply, audited */
		if ((r = agent_audit(a, "list", audit_source(origin), NULL, 0, NULL, SC_OK)) ==
		    SC_OK)
			r = reply(fd, list_hdr(vid, gen, 0), a->list_cache.buf, a->list_cache.len);
		pthread_mutex_unlock(&a->lock);
		if (r != SC_OK)
			return reply_status(fd, r);
		return reply(fd, list_hdr(vid, gen, 1), NULL, 0);
	}
	b.gen = gen;
	b.vid = vid;
	if (r == SC_OK)
		r = sc_vault_walk(a->vault, batch_add, &b);
	if ((rr = agent_audit(a, "list", audit_source(origin), NULL, 0, NULL, r)) != SC_OK &&
	    r == SC_OK)
		r = rr;
	if (r == SC_OK && !b.flushed && b.len > 0) {
		/* one part (up to 1 MiB): send it, and keep it for the next list */
		r = reply(fd, list_hdr(vid, gen, 0), b.buf, b.len);
		list_cache_drop(a);
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
		return b.err == SC_OK ? reply_status(fd, r) : r;
	return reply(fd, list_hdr(vid, gen, 1), NULL, 0);
}

static int op_exists(struct agent *a, int fd, int origin, const char *name)
{
	int r, rr, exists = 0;

	pthread_mutex_lock(&a->lock);
	if (a->vault == NULL) {
		pthread_mutex_unlock(&a->lock);
		return reply_err(fd, SC_ERR_LOCKED, locked_msg);
	}
	a->last_use = now_s();
	r = sc_vault_exists(a->vault, name, &exists);
	if ((rr = agent_audit(a, "exists", audit_source(origin), &name, 1, NULL, r)) != SC_OK &&
	    r == SC_OK)
		r = rr;
	pthread_mutex_unlock(&a->lock);
	if (r != SC_OK)
		return reply_status(fd, r);
	return reply(fd, json_pack("{s:b}", "exists", exists), NULL, 0);
}

static int op_fields_get(struct agent *a, int fd, int origin, const char *name, int whole)
{
	struct sc_secret *s = NULL;
	uint8_t *rec = NULL;
	size_t rl = 0;
	int r, rr;

	pthread_mutex_lock(&a->lock);
	if (a->vault == NULL) {
		pthread_mutex_unlock(&a->lock);
		return reply_err(fd, SC_ERR_LOCKED, locked_msg);
	}
	if (whole && !a->reveal) {
		pthread_mutex_unlock(&a->lock);
		return reply_err(fd, SC_ERR_DENIED,
		                 "the agent does not reveal values in its default use-only mode "
		                 "(unlock with --reveal to allow it)");
	}
	a->last_use = now_s();
	r = sc_vault_get(a->vault, name, &s);
	/* no value leaves without its audit entry on disk */
	if ((rr = agent_audit(a, whole ? "get" : "fields", audit_source(origin), &name, 1, NULL,
	                      r)) != SC_OK &&
	    r == SC_OK)
		r = rr;
	pthread_mutex_unlock(&a->lock);
	if (r == SC_OK)
		r = whole ? sc_record_encode(s, &rec, &rl) : sc_agent_meta_encode(s, 1, &rec, &rl);
	sc_secret_free(s);
	if (r != SC_OK)
		return reply_status(fd, r);
	r = reply(fd, json_object(), rec, rl);
	sc_secmem_free(rec);
	return r;
}

/* ---- status, lock, unlock ---- */

static int op_status(struct agent *a, int fd)
{
	json_t *m;
	int64_t left = 0;

	pthread_mutex_lock(&a->lock);
	if (a->vault != NULL) {
		left = a->last_use + a->timeout_s - now_s();
		if (left < 0 || a->runs > 0)
			left = a->runs > 0 ? a->timeout_s : 0;
	}
	m = json_pack("{s:b,s:b,s:I,s:I,s:I,s:I}", "unlocked", a->vault != NULL, "reveal",
	              a->reveal, "pid", (json_int_t)getpid(), "timeout", (json_int_t)a->timeout_s,
	              "idle_left", (json_int_t)left, "runs", (json_int_t)a->runs);
	pthread_mutex_unlock(&a->lock);
	return reply(fd, m, NULL, 0);
}

static int op_lock(struct agent *a, int fd)
{
	int r;

	pthread_mutex_lock(&a->lock);
	lock_key(a, "lock requested");
	pthread_mutex_unlock(&a->lock);
	r = reply_ok(fd);
	wake_main(a);
	return r;
}

/* Open the vault with a DEK; the caller frees dek. */
static int open_with_dek(const char *dir, const uint8_t *dek, struct sc_vault **out)
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

static int op_unlock(struct agent *a, int fd, const struct sc_agent_req *q)
{
	struct sc_vault *v = NULL;
	uint8_t *dek = NULL;
	int r;

	if ((r = sc_agent_recv_attach(fd, q->attach_len, &dek)) != SC_OK)
		return r;
	r = open_with_dek(a->o->vault_dir, dek, &v);
	sc_secmem_free(dek);
	if (r != SC_OK)
		return r == SC_ERR_AUTH ? reply_err(fd, r, "that key does not open this vault")
		                        : reply_status(fd, r);
	pthread_mutex_lock(&a->lock);
	lock_key(a, "replaced by a new unlock");
	a->vault = v;
	a->reveal = q->reveal;
	a->timeout_s = q->timeout_s ? q->timeout_s : SC_AGENT_TIMEOUT_DEFAULT;
	a->last_use = now_s();
	agent_log(LOG_INFO, "unlocked (%s mode, idle timeout %us)",
	          a->reveal ? "reveal" : "use-only", a->timeout_s);
	pthread_mutex_unlock(&a->lock);
	return reply_ok(fd);
}

/* ---- runs ---- */

struct relay {
	int sock, ctl;
};

/* Client -> run control bytes; the client going away cancels the run. */
static void *relay_main(void *arg)
{
	struct relay *rl = arg;
	uint8_t b[16];
	ssize_t k;

	for (;;) {
		k = read(rl->sock, b, sizeof(b));
		if (k < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (k <= 0)
			break;
		(void)!write(rl->ctl, b, (size_t)k);
	}
	b[0] = SC_EXEC_CTL_CANCEL;
	(void)!write(rl->ctl, b, 1);
	return NULL;
}

static int run_register(struct agent *a, int ctl)
{
	size_t i;

	for (i = 0; i < AGENT_CONNS_MAX; i++)
		if (a->ctl_fds[i] < 0) {
			a->ctl_fds[i] = ctl;
			return (int)i;
		}
	return -1;
}

/* Audit a run's outcome before it starts (or why it did not). */
static int audit_run(struct agent *a, const struct sc_agent_req *q, const struct sc_runenv *re,
                     const char *path, int status)
{
	const char *op = q->origin == SC_AGENT_ORIGIN_MCP ? "secret_run" : "run";
	const char **names = NULL;
	size_t i, n = re != NULL ? sc_runenv_secret_count(re) : 0;
	int r;

	if (n > 0 && (names = calloc(n, sizeof(*names))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < n; i++)
		names[i] = sc_runenv_secret(re, i);
	r = agent_audit(a, op, audit_source(q->origin), names, n, path, status);
	free(names);
	return r;
}

static int op_run(struct agent *a, int fd, const struct sc_agent_req *q, const int *fds,
                  size_t nfds)
{
	struct sc_runenv_opts ro;
	struct sc_exec_opts xo;
	struct sc_exec_result res;
	struct sc_runenv *re = NULL;
	struct sc_policy *pol = NULL;
	struct relay rl;
	pthread_t relay_thr;
	char *path = NULL, *detail = NULL, reason[512] = "", **aliased = NULL;
	int ctl[2] = {-1, -1}, slot = -1, relaying = 0, counted = 0, r, rr;
	uint32_t timeout_ms;
	size_t capture_max, i;
	json_t *m, *shorts;
	uint8_t *outbuf = NULL;

	memset(&res, 0, sizeof(res));
	if (nfds != (q->stream ? 3u : 0u))
		return reply_err(fd, SC_ERR_INVALID, "a streaming run sends exactly 3 fds");
	if (q->no_sanitize)
		return reply_err(fd, SC_ERR_DENIED,
		                 "runs through the agent are always sanitized; --no-sanitize "
		                 "needs the password");
	if (q->exe == NULL && strchr(q->argv[0], '/') != NULL && q->argv[0][0] != '/')
		return reply_err(fd, SC_ERR_INVALID,
		                 "a relative command needs its resolved path (exe)");
	r = sc_exec_resolve(q->exe != NULL ? q->exe : q->argv[0], q->path_env, &path);
	if (r != SC_OK)
		return reply_err(fd, r, "%s", q->argv[0]);
	/* the policy sees the command before anything is decrypted */
	if ((r = agent_policy_load(a->o->vault_dir, q->origin, &pol, reason, sizeof(reason))) !=
	        SC_OK ||
	    (r = agent_policy_check(pol, q, path, NULL, 0, reason, sizeof(reason))) != SC_OK ||
	    (r = agent_policy_keys(pol, q, &aliased, reason, sizeof(reason))) != SC_OK) {
		pthread_mutex_lock(&a->lock);
		if (a->vault != NULL)
			(void)audit_run(a, q, NULL, path, r);
		pthread_mutex_unlock(&a->lock);
		rr = reply_err(fd, r == SC_ERR_NOMEM ? r : SC_ERR_DENIED, "%s",
		               reason[0] ? reason : sc_strerror(r));
		goto out;
	}
	agent_policy_limits(pol, q, &timeout_ms, &capture_max);
	memset(&ro, 0, sizeof(ro));
	ro.patterns = aliased != NULL ? (const char *const *)aliased : q->keys;
	ro.npatterns = q->nkeys;
	ro.prefix = q->prefix;
	/* MCP children get the small base environment only, as from the server */
	ro.clean_env = q->clean_env || q->origin == SC_AGENT_ORIGIN_MCP;
	ro.base_env = (char *const *)q->env;
	pthread_mutex_lock(&a->lock);
	if (a->vault == NULL) {
		pthread_mutex_unlock(&a->lock);
		rr = reply_err(fd, SC_ERR_LOCKED, locked_msg);
		goto out;
	}
	if (a->runs >= AGENT_RUNS_MAX) {
		pthread_mutex_unlock(&a->lock);
		rr = reply_err(fd, SC_ERR_BUSY, "%d runs are already in progress", AGENT_RUNS_MAX);
		goto out;
	}
	a->last_use = now_s();
	r = sc_runenv_build(a->vault, &ro, &re, &detail);
	if (r == SC_OK) {
		/* may each of these secrets reach this command? */
		const char **names = calloc(sc_runenv_secret_count(re) + 1, sizeof(*names));

		for (i = 0; names != NULL && i < sc_runenv_secret_count(re); i++)
			names[i] = sc_runenv_secret(re, i);
		r = names == NULL
		        ? SC_ERR_NOMEM
		        : agent_policy_check(pol, q, path, names, sc_runenv_secret_count(re),
		                             reason, sizeof(reason));
		free(names);
	}
	/* the run starts only once its audit entry is on disk */
	rr = audit_run(a, q, re, path, r);
	if (r == SC_OK)
		r = rr;
	if (r == SC_OK && pipe2(ctl, O_CLOEXEC) == 0) {
		slot = run_register(a, ctl[1]);
		a->runs++;
		counted = 1;
	} else if (r == SC_OK) {
		r = SC_ERR_IO;
	}
	pthread_mutex_unlock(&a->lock);
	if (r != SC_OK) {
		/* detail names a pattern or a variable, never a value */
		if (r == SC_ERR_DENIED && reason[0] != '\0')
			rr = reply_err(fd, r, "%s", reason);
		else
			rr = detail != NULL ? reply_err(fd, r, "%s", detail) : reply_status(fd, r);
		goto out;
	}
	m = json_object();
	shorts = json_array();
	for (i = 0; i < sc_runenv_short_count(re); i++)
		json_array_append_new(shorts, json_string(sc_runenv_short(re, i)));
	json_object_set_new(m, "short", shorts);
	json_object_set_new(m, "started", json_true());
	if ((rr = reply(fd, m, NULL, 0)) != SC_OK)
		goto out;
	rl.sock = fd;
	rl.ctl = ctl[1];
	if (pthread_create(&relay_thr, NULL, relay_main, &rl) == 0)
		relaying = 1;

	sc_exec_opts_init(&xo);
	xo.path = path;
	xo.argv = (char *const *)q->argv; /* argv[0] as written: what the policy checked */
	xo.envp = sc_runenv_envp(re);
	xo.cwd = q->cwd;
	xo.timeout_ms = timeout_ms;
	xo.sanitizer = sc_runenv_sanitizer(re);
	xo.out_fd = q->stream ? fds[1] : -1;
	xo.err_fd = q->stream ? fds[2] : -1;
	xo.capture_max = capture_max;
	xo.line_buffered = q->line_buffered;
	xo.ctl_fd = ctl[0];
	xo.stdin_fd = q->has_stdin ? fds[0] : -1;
	r = sc_exec_run(&xo, &res);
	/* the environment held the values: it goes before anything else */
	sc_runenv_free(re);
	re = NULL;
	if (relaying) {
		shutdown(fd, SHUT_RD);
		pthread_join(relay_thr, NULL);
	}
	m = json_pack("{s:i,s:i,s:i,s:b,s:b,s:i,s:I,s:I,s:I,s:I,s:I}", "status", r, "exit_code",
	              res.exit_code, "term_signal", res.term_signal, "timed_out", res.timed_out,
	              "cancelled", res.cancelled, "exec_errno", res.exec_errno, "duration_ms",
	              (json_int_t)res.duration_ms, "out_dropped", (json_int_t)res.out_dropped,
	              "err_dropped", (json_int_t)res.err_dropped, "out_len",
	              (json_int_t)res.out_len, "err_len", (json_int_t)res.err_len);
	/* captured output (already sanitized) rides as one attachment */
	if (res.out_len + res.err_len > 0) {
		if ((outbuf = malloc(res.out_len + res.err_len)) == NULL) {
			json_decref(m);
			m = NULL;
		} else {
			if (res.out_len > 0)
				memcpy(outbuf, res.out, res.out_len);
			if (res.err_len > 0)
				memcpy(outbuf + res.out_len, res.err, res.err_len);
		}
	}
	rr = reply(fd, m, outbuf, res.out_len + res.err_len);
out:
	pthread_mutex_lock(&a->lock);
	if (slot >= 0)
		a->ctl_fds[slot] = -1;
	if (counted) {
		a->runs--;
		a->last_use = now_s();
		pthread_cond_broadcast(&a->idle);
	}
	pthread_mutex_unlock(&a->lock);
	if (ctl[0] >= 0)
		close(ctl[0]);
	if (ctl[1] >= 0)
		close(ctl[1]);
	free(outbuf);
	sc_exec_result_release(&res);
	sc_runenv_free(re);
	agent_policy_free_keys(aliased, q->nkeys);
	sc_policy_free(pol);
	free(detail);
	free(path);
	return rr == SC_OK ? SC_ERR_NOT_FOUND : rr; /* a run ends its connection */
}

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
		(void)reply_err(fd, r, "malformed request (%s)", sc_strerror(r));
		return r; /* the stream may be out of step: drop the connection */
	}
	if (q.op != SC_AGENT_OP_RUN)
		for (; nfds > 0; nfds--)
			close(fds[nfds - 1]);
	switch (q.op) {
	case SC_AGENT_OP_STATUS:
		r = op_status(a, fd);
		break;
	case SC_AGENT_OP_LOCK:
		r = op_lock(a, fd);
		break;
	case SC_AGENT_OP_UNLOCK:
		r = op_unlock(a, fd, &q);
		break;
	case SC_AGENT_OP_LIST:
		r = op_list(a, fd, &q);
		break;
	case SC_AGENT_OP_EXISTS:
		r = op_exists(a, fd, q.origin, q.name);
		break;
	case SC_AGENT_OP_FIELDS:
		r = op_fields_get(a, fd, q.origin, q.name, 0);
		break;
	case SC_AGENT_OP_GET:
		r = op_fields_get(a, fd, q.origin, q.name, 1);
		break;
	case SC_AGENT_OP_RUN:
		r = op_run(a, fd, &q, fds, nfds);
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

static void accept_one(struct agent *a, int lfd)
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
		(void)reply_err(fd, SC_ERR_BUSY, "too many connections to the agent");
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
	log_stderr = o->foreground;
	if (!o->foreground)
		openlog("secretctl-agent", LOG_PID, LOG_AUTHPRIV);
	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.idle, NULL);
	a.timeout_s = o->timeout_s ? o->timeout_s : SC_AGENT_TIMEOUT_DEFAULT;
	a.reveal = o->reveal;
	if (vault_identity(o->vault_dir, &a.vdev, &a.vino) != 0) {
		sc_set_error("no vault at '%s'", o->vault_dir);
		r = SC_ERR_NO_VAULT;
		goto out;
	}
	if (o->dek != NULL) {
		r = open_with_dek(o->vault_dir, o->dek, &a.vault);
		sc_secmem_free(o->dek);
		o->dek = NULL;
		if (r != SC_OK)
			goto out;
		a.last_use = now_s();
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
			left = a.last_use + a.timeout_s - now_s();
			if (left <= 0)
				lock_key(&a, "idle timeout");
			else if (left * 1000 < wait_ms)
				wait_ms = left * 1000;
		}
		if (a.vault == NULL && !o->foreground)
			a.quit = 1;
		if (vault_gone(&a)) {
			lock_key(&a, "the vault is gone");
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
				lock_key(&a, si.ssi_signo == SIGHUP ? "SIGHUP" : "terminated");
				if (si.ssi_signo != SIGHUP || !o->foreground)
					a.quit = 1;
				pthread_mutex_unlock(&a.lock);
			}
		}
		if (pfd[0].revents & POLLIN)
			accept_one(&a, o->listen_fd);
	}
	/* stop taking connections first, so no client finds a dying agent */
	if (o->sock_path != NULL)
		unlink(o->sock_path);
	close(o->listen_fd);
	o->listen_fd = -1;
	drain(&a);
out:
	pthread_mutex_lock(&a.lock);
	lock_key(&a, "exit");
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
