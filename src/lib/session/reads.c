/* reads.c - a session's read operations (session.h): an unlocked agent
 * when one answers, else the vault the front end opens, with the same
 * audit entry written here as the agent writes there. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "secretctl/agent.h"
#include "secretctl/secretctl.h"
#include "secretctl/session.h"

struct sc_session {
	struct sc_session_cfg cfg;
	int agent_off; /* none runs, or it said it is locked: ask it no more */
	int via_agent, unaudited, open_status;
};

int sc_session_new(const struct sc_session_cfg *cfg, struct sc_session **out)
{
	struct sc_session *s;

	*out = NULL;
	if (cfg->vault_dir == NULL || cfg->hooks.acquire == NULL ||
	    (cfg->origin != SC_AGENT_ORIGIN_CLI && cfg->origin != SC_AGENT_ORIGIN_MCP))
		return SC_ERR_INVALID;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SC_ERR_NOMEM;
	s->cfg = *cfg;
	s->agent_off = cfg->no_agent;
	*out = s;
	return SC_OK;
}

void sc_session_free(struct sc_session *s)
{
	free(s);
}

int sc_session_unaudited(const struct sc_session *s)
{
	return s->unaudited;
}

int sc_session_open_status(const struct sc_session *s)
{
	return s->open_status;
}

int sc_session_via_agent(const struct sc_session *s)
{
	return s->via_agent;
}

enum read_kind { RD_LIST, RD_EXISTS, RD_FIELDS, RD_GET, RD_HISTORY, RD_VERSION };

/* One read, its arguments and results, for either way of answering. */
struct read {
	enum read_kind kind;
	const char *tool, *name;
	sc_vault_walk_fn walk;
	sc_history_changes_fn changes;
	void *arg;
	uint64_t version;
	const struct sc_agent_list_gen *known;
	struct sc_agent_list_gen *gen;
	int *flag; /* exists, or deleted */
	struct sc_secret **out;
};

static void warn(const struct sc_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warn(const struct sc_session *s, const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	if (s->cfg.hooks.warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->cfg.hooks.warn(s->cfg.hooks.arg, msg);
}

static int mcp(const struct sc_session *s)
{
	return s->cfg.origin == SC_AGENT_ORIGIN_MCP;
}

static int agent_read(const struct sc_session *s, int fd, const struct read *q)
{
	int o = s->cfg.origin;

	switch (q->kind) {
	case RD_LIST:
		return sc_agent_list(fd, o, q->walk, q->arg, q->known, q->gen);
	case RD_EXISTS:
		return sc_agent_exists(fd, o, q->name, q->flag);
	case RD_FIELDS:
		/* recorded as "show" for the CLI, as the tool for MCP */
		return mcp(s) ? sc_agent_fields_for(fd, o, q->tool, q->name, q->out)
		              : sc_agent_fields(fd, o, q->name, q->out);
	case RD_GET:
		/* values go to the owner's CLI only */
		return mcp(s) ? SC_ERR_DENIED : sc_agent_get(fd, q->name, q->out);
	case RD_HISTORY:
		return sc_agent_history(fd, o, q->name, q->changes, q->arg, q->flag);
	case RD_VERSION:
		break;
	}
	return SC_ERR_INTERNAL;
}

/* Connect to the agent, if one is to be asked: SC_OK and *fd, else
 * SC_ERR_LOCKED (and the agent is asked no more). */
static int agent_connect(struct sc_session *s, int *fd)
{
	int r;

	*fd = -1;
	if (s->agent_off ||
	    (s->cfg.hooks.holds_vault != NULL && s->cfg.hooks.holds_vault(s->cfg.hooks.arg)))
		return SC_ERR_LOCKED;
	if ((r = sc_agent_connect(s->cfg.vault_dir, fd)) == SC_OK)
		return SC_OK;
	/* an unsafe socket directory is worth saying; then go on as if no
	 * agent ran */
	if (r != SC_ERR_NOT_FOUND && r != SC_ERR_NO_VAULT)
		warn(s, "not using the agent: %s",
		     sc_last_error()[0] ? sc_last_error() : sc_strerror(r));
	sc_clear_error();
	s->agent_off = 1;
	return SC_ERR_LOCKED;
}

/* 10 ms, doubling: about 1.3 s in all before a busy agent is given up. */
#define BUSY_TRIES 7

static void busy_wait(int tries)
{
	sc_clear_error();
	nanosleep(&(struct timespec){0, (10L << tries) * 1000 * 1000}, NULL);
}

int sc_session_agent(struct sc_session *s, int *fd, int *busy)
{
	struct sc_agent_status st;
	int r, tries;

	if (busy != NULL)
		*busy = 0;
	for (tries = 0;; tries++) {
		if (agent_connect(s, fd) != SC_OK)
			return SC_ERR_LOCKED;
		r = sc_agent_status(*fd, &st);
		if (r == SC_OK && st.unlocked)
			return SC_OK;
		close(*fd);
		*fd = -1;
		sc_clear_error();
		if (r != SC_ERR_BUSY) {
			s->agent_off = 1;
			return SC_ERR_LOCKED;
		}
		if (tries == BUSY_TRIES) {
			if (busy != NULL)
				*busy = 1;
			return SC_ERR_LOCKED;
		}
		busy_wait(tries);
	}
}

/* Ask the agent. *answered is 1 when its answer is the result. An agent
 * at its connection limit (SC_ERR_BUSY) is asked again for a little while. */
static int try_agent(struct sc_session *s, const struct read *q, int *answered)
{
	int fd, r, tries;

	*answered = 0;
	if (q->kind == RD_VERSION)
		return SC_OK;
	for (tries = 0;; tries++) {
		if (agent_connect(s, &fd) != SC_OK)
			return SC_OK;
		r = agent_read(s, fd, q);
		close(fd);
		if (r != SC_ERR_BUSY || tries == BUSY_TRIES)
			break;
		busy_wait(tries);
	}
	if (r == SC_ERR_LOCKED) {
		sc_clear_error();
		s->agent_off = 1;
		return SC_OK;
	}
	if (r == SC_ERR_DENIED && q->kind == RD_GET && !mcp(s)) {
		/* use-only mode: a value needs the password, as without an
		 * agent (its other answers stay the agent's) */
		warn(s, "%s",
		     "the agent does not reveal values in use-only mode (see 'secretctl unlock "
		     "--reveal'); the password is needed");
		sc_clear_error();
		return SC_OK;
	}
	*answered = 1;
	return r;
}

/* The local read of a list: unchanged when the caller's list is of this
 * vault's generation. */
static int local_list(struct sc_vault *v, const struct read *q)
{
	struct sc_agent_list_gen *g = q->gen;
	uint64_t gen;
	int r;

	if (g == NULL)
		return sc_vault_walk_meta(v, q->walk, q->arg);
	memset(g, 0, sizeof(*g));
	if ((r = sc_vault_generation(v, &gen)) != SC_OK)
		return r;
	g->known = 1;
	g->gen = gen;
	memcpy(g->vault, sc_vault_id(v), sizeof(g->vault));
	if (q->known != NULL && q->known->known && q->known->gen == gen &&
	    memcmp(q->known->vault, g->vault, sizeof(g->vault)) == 0) {
		g->unchanged = 1;
		return SC_OK;
	}
	return sc_vault_walk_meta(v, q->walk, q->arg);
}

static int local_read(struct sc_vault *v, const struct read *q)
{
	switch (q->kind) {
	case RD_LIST:
		return local_list(v, q);
	case RD_EXISTS:
		return sc_vault_exists(v, q->name, q->flag);
	case RD_FIELDS:
	case RD_GET:
		return sc_vault_get(v, q->name, q->out);
	case RD_HISTORY:
		return sc_vault_history_changes(v, q->name, q->changes, q->arg, q->flag);
	case RD_VERSION:
		return sc_vault_get_version(v, q->name, q->version, q->out);
	}
	return SC_ERR_INTERNAL;
}

/* The entry the agent writes for the same read (src/agent/ops.c). */
static int audit_read(struct sc_session *s, struct sc_vault *v, const struct read *q, int status)
{
	static const char *const cli_op[] = {"list", "exists", "show", "get", "history", "get"};
	static const char *const mcp_op[] = {"secret_list", "secret_exists", NULL,
	                                     "get",         "history",       "get"};
	struct sc_audit_event ev = {
	    .source = mcp(s) ? SC_AUDIT_SRC_MCP : SC_AUDIT_SRC_CLI,
	    .client = mcp(s) && s->cfg.client != NULL && s->cfg.client[0] ? s->cfg.client : NULL,
	    .names = q->name != NULL ? &q->name : NULL,
	    .n_names = q->name != NULL,
	    .status = status,
	};
	char detail[512];
	int r;

	ev.op = mcp(s) ? mcp_op[q->kind] : cli_op[q->kind];
	if (ev.op == NULL)
		ev.op = q->tool;
	/* a missing name is the answer secret_exists asks for */
	if (mcp(s) && q->kind == RD_FIELDS && status == SC_ERR_NOT_FOUND && q->tool != NULL &&
	    strcmp(q->tool, "secret_exists") == 0)
		ev.status = SC_OK;
	/* keep the read's own error detail for its message */
	snprintf(detail, sizeof(detail), "%s", sc_last_error());
	r = sc_audit_append(v, &ev);
	if (r == SC_ERR_READONLY && s->cfg.readonly_unaudited) {
		/* a vault on a read-only file system can be read, not
		 * written: say so rather than refuse the read */
		warn(s,
		     "the vault is on a read-only file system: this %s is not recorded in the "
		     "audit log",
		     ev.op);
		r = SC_OK;
	}
	if (r != SC_OK)
		return r; /* sc_last_error() says why the entry was not written */
	sc_clear_error();
	if (detail[0] != '\0')
		sc_set_error("%s", detail);
	return SC_OK;
}

/* An answered read whose entry is not on disk gives nothing back. */
static void drop_results(const struct read *q)
{
	if (q->out != NULL) {
		sc_secret_free(*q->out);
		*q->out = NULL;
	}
}

static int do_read(struct sc_session *s, const struct read *q)
{
	struct sc_vault *v = NULL;
	int r, a, answered;

	s->via_agent = 0;
	s->unaudited = 0;
	s->open_status = SC_OK;
	if (q->out != NULL)
		*q->out = NULL;
	r = try_agent(s, q, &answered);
	if (answered) {
		s->via_agent = 1;
		return r;
	}
	if (q->out != NULL) {
		sc_secret_free(*q->out); /* a refused get's partial answer */
		*q->out = NULL;
	}
	if ((r = s->cfg.hooks.acquire(s->cfg.hooks.arg, &v)) != SC_OK) {
		s->open_status = r;
		return r;
	}
	r = local_read(v, q);
	a = audit_read(s, v, q, r);
	if (s->cfg.hooks.release != NULL)
		s->cfg.hooks.release(s->cfg.hooks.arg);
	/* not even "no such secret" without the entry */
	if (a != SC_OK && (r == SC_OK || r == SC_ERR_NOT_FOUND)) {
		drop_results(q);
		s->unaudited = 1;
		return a;
	}
	return r;
}

int sc_session_list(struct sc_session *s, sc_vault_walk_fn fn, void *arg,
                    const struct sc_agent_list_gen *known, struct sc_agent_list_gen *gen)
{
	struct read q = {.kind = RD_LIST, .walk = fn, .arg = arg, .known = known, .gen = gen};

	return do_read(s, &q);
}

int sc_session_exists(struct sc_session *s, const char *name, int *exists)
{
	struct read q = {.kind = RD_EXISTS, .name = name, .flag = exists};

	*exists = 0;
	return do_read(s, &q);
}

int sc_session_fields(struct sc_session *s, const char *tool, const char *name,
                      struct sc_secret **out)
{
	struct read q = {.kind = RD_FIELDS, .tool = tool, .name = name, .out = out};

	if (mcp(s) && tool == NULL)
		return SC_ERR_INVALID;
	return do_read(s, &q);
}

int sc_session_get(struct sc_session *s, const char *name, struct sc_secret **out)
{
	struct read q = {.kind = RD_GET, .name = name, .out = out};

	return do_read(s, &q);
}

int sc_session_history(struct sc_session *s, const char *name, sc_history_changes_fn fn, void *arg,
                       int *deleted)
{
	struct read q = {
	    .kind = RD_HISTORY, .name = name, .changes = fn, .arg = arg, .flag = deleted};

	*deleted = 0;
	return do_read(s, &q);
}

int sc_session_get_version(struct sc_session *s, const char *name, uint64_t version,
                           struct sc_secret **out)
{
	struct read q = {.kind = RD_VERSION, .name = name, .version = version, .out = out};

	return do_read(s, &q);
}
