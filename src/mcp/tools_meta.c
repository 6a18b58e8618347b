/* tools_meta.c - the metadata tools: the vault or the agent behind them,
 * list, exists, masked values, fields, non-sensitive field values. */
#include <time.h>

#include "mcp/tools_int.h"

/* ---- the vault ---- */

/* Get the unlocked vault with vault_lock held; on failure send the tool
 * error and return NULL (lock released). */
struct sc_vault *mcp_vault_acquire(struct mcp_server *s, json_t *id)
{
	char msg[512] = "";
	int r;

	pthread_mutex_lock(&s->vault_lock);
	if (s->vault != NULL)
		return s->vault;
	r = s->cfg.unlock(s->cfg.unlock_arg, &s->vault, msg, sizeof(msg));
	if (r == SC_OK && s->vault != NULL)
		return s->vault;
	pthread_mutex_unlock(&s->vault_lock);
	mcp_send_tool_error(s, id, "%s", msg[0] ? msg : sc_strerror(r));
	return NULL;
}

void mcp_vault_release(struct mcp_server *s)
{
	pthread_mutex_unlock(&s->vault_lock);
}

/* ---- the unlock agent ----
 * After `secretctl unlock`, the server needs no password and holds no key:
 * an unlocked agent answers the metadata tools and performs the runs
 * itself, applying the policy and writing the audit entries. A server
 * already unlocked with a password keeps using its own key, and one
 * started with SECRETCTL_NO_AGENT set never asks the agent. */
static struct sc_session *mcp_session(struct mcp_server *s, json_t *id, const char *tool);

int mcp_agent_conn(struct mcp_server *s)
{
	return mcp_agent_conn_busy(s, NULL);
}

int mcp_agent_conn_busy(struct mcp_server *s, int *busy)
{
	struct sc_session *ss = mcp_session(s, NULL, NULL);
	int fd = -1;

	if (busy != NULL)
		*busy = 0;
	if (ss == NULL)
		return -1;
	if (sc_session_agent(ss, &fd, busy) != SC_OK)
		fd = -1;
	sc_session_free(ss);
	return fd;
}

/* An entry that could not be written: why, to stderr (the user's log). */
static int audit_failed(int r)
{
	if (r != SC_OK) {
		fprintf(stderr, "secretctl mcp-server: cannot write the audit log: %s%s%s\n",
		        sc_strerror(r), sc_last_error()[0] ? ": " : "", sc_last_error());
		sc_clear_error();
	}
	return r;
}

/* Record a tool call in the audit log, with the key in this process
 * (vault_lock must NOT be held; through the agent, the agent audits). As in
 * the CLI, nothing is answered and no command starts unless this returns
 * SC_OK: the entry is on disk. The reason goes to stderr, the user's log;
 * the caller tells the model. */
int mcp_audit(struct mcp_server *s, const char *op, const char *const *names, size_t n,
              const char *cmd, int status)
{
	struct sc_audit_event ev = {0};
	int r;

	ev.op = op;
	ev.source = SC_AUDIT_SRC_MCP;
	ev.client = s->client_name[0] ? s->client_name : NULL;
	ev.names = names;
	ev.n_names = n;
	ev.cmd = cmd;
	ev.status = status;
	pthread_mutex_lock(&s->vault_lock);
	r = s->vault != NULL ? sc_audit_append(s->vault, &ev) : SC_ERR_LOCKED;
	pthread_mutex_unlock(&s->vault_lock);
	return audit_failed(r);
}

/* A run's entry, by the run pipeline (sc_run_plan_audit), with the key in
 * this process: as mcp_audit, and an SC_OK entry marks plan (NULL for a
 * refusal) so that sc_run_exec may start its command. */
int mcp_audit_run(struct mcp_server *s, struct sc_run_plan *plan, const char *tool,
                  const char *const *names, size_t n, const char *cmd, int status)
{
	struct sc_run_who who = {tool, SC_AUDIT_SRC_MCP, s->client_name[0] ? s->client_name : NULL,
	                         0};
	int r;

	pthread_mutex_lock(&s->vault_lock);
	r = sc_run_plan_audit(plan, s->vault, &who, NULL, names, n, cmd, status);
	pthread_mutex_unlock(&s->vault_lock);
	return audit_failed(r);
}

/* The tool error for an entry mcp_audit() could not write. */
void mcp_send_audit_error(struct mcp_server *s, json_t *id, const char *tool, int r)
{
	mcp_send_tool_error(
	    s, id,
	    "%s: cannot write the audit log (%s): nothing was returned and no command "
	    "was run; the user must fix this (the server's stderr says why)",
	    tool, sc_strerror(r));
}

/* ---- the session: the agent when one is unlocked, else this server's key ---- */

static int sess_acquire(void *arg, struct sc_vault **v)
{
	struct mcp_server *s = arg;
	char msg[512] = "";
	int r;

	pthread_mutex_lock(&s->vault_lock);
	if (s->vault == NULL) {
		r = s->cfg.unlock(s->cfg.unlock_arg, &s->vault, msg, sizeof(msg));
		if (r == SC_OK && s->vault == NULL)
			r = SC_ERR_LOCKED;
		if (r != SC_OK) {
			pthread_mutex_unlock(&s->vault_lock);
			sc_set_error("%s", msg[0] ? msg : sc_strerror(r));
			return r;
		}
	}
	*v = s->vault;
	return SC_OK;
}

static void sess_release(void *arg)
{
	pthread_mutex_unlock(&((struct mcp_server *)arg)->vault_lock);
}

static int sess_holds(void *arg)
{
	struct mcp_server *s = arg;
	int own;

	pthread_mutex_lock(&s->vault_lock);
	own = s->vault != NULL;
	pthread_mutex_unlock(&s->vault_lock);
	return own;
}

static void sess_warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "secretctl mcp-server: %s\n", msg);
}

/* A session for one tool call (they run on several threads). */
static struct sc_session *mcp_session(struct mcp_server *s, json_t *id, const char *tool)
{
	struct sc_session_cfg cfg = {
	    .vault_dir = s->cfg.vault_dir,
	    .origin = SC_AGENT_ORIGIN_MCP,
	    .client = s->client_name,
	    .no_agent = s->cfg.no_agent,
	    .hooks = {.acquire = sess_acquire,
	              .release = sess_release,
	              .holds_vault = sess_holds,
	              .warn = sess_warn,
	              .arg = s},
	};
	struct sc_session *ss = NULL;

	if (sc_session_new(&cfg, &ss) != SC_OK && tool != NULL)
		mcp_send_tool_error(s, id, "%s failed: out of memory", tool);
	return ss;
}

/* The tool error for a read that failed: an entry that could not be
 * written, an unlock that failed, or the read's own status. 1 when sent. */
static int session_error(struct mcp_server *s, struct sc_session *ss, json_t *id, const char *tool,
                         int r)
{
	if (sc_session_unaudited(ss)) {
		fprintf(stderr, "secretctl mcp-server: cannot write the audit log: %s%s%s\n",
		        sc_strerror(r), sc_last_error()[0] ? ": " : "", sc_last_error());
		sc_clear_error();
		mcp_send_audit_error(s, id, tool, r);
		return 1;
	}
	if (sc_session_open_status(ss) != SC_OK) {
		/* the unlock's own message */
		mcp_send_tool_error(s, id, "%s",
		                    sc_last_error()[0] ? sc_last_error() : sc_strerror(r));
		sc_clear_error();
		return 1;
	}
	return 0;
}

static void iso_time(int64_t t, char *buf, size_t n)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "%lld", (long long)t);
}

static json_t *meta_of(const struct sc_secret *s)
{
	json_t *o = json_object(), *tags = json_array();
	char when[32];
	size_t i;

	for (i = 0; i < sc_secret_tag_count(s); i++)
		json_array_append_new(tags, json_string(sc_secret_tag(s, i)));
	json_object_set_new(o, "key", json_string(sc_secret_name(s)));
	json_object_set_new(o, "tags", tags);
	if (sc_secret_expires(s) != 0) {
		iso_time(sc_secret_expires(s), when, sizeof(when));
		json_object_set_new(o, "expires_at", json_string(when));
	} else {
		json_object_set_new(o, "expires_at", json_null());
	}
	json_object_set_new(o, "field_count", json_integer((json_int_t)sc_secret_field_count(s)));
	json_object_set_new(o, "has_notes", json_boolean(sc_secret_notes(s) != NULL));
	json_object_set_new(o, "has_url", json_boolean(sc_secret_url(s) != NULL));
	iso_time(sc_secret_created(s), when, sizeof(when));
	json_object_set_new(o, "created_at", json_string(when));
	iso_time(sc_secret_updated(s), when, sizeof(when));
	json_object_set_new(o, "updated_at", json_string(when));
	return o;
}

/* "7d", "12h", "30m", "45s", "2w" -> seconds; -1 when malformed. */
int64_t mcp_parse_duration(const char *s)
{
	uint64_t ms;

	if (sc_duration_parse(s, SC_DUR_S | SC_DUR_M | SC_DUR_H | SC_DUR_D | SC_DUR_W,
	                      100ull * 365 * 86400 * 1000, &ms) != SC_OK)
		return -1;
	return (int64_t)(ms / 1000);
}

struct list_ctx {
	json_t *arr;
	const char *tag;
	int64_t until;
};

static int list_visit(const struct sc_secret *sec, void *arg)
{
	struct list_ctx *c = arg;
	int64_t exp = sc_secret_expires(sec);

	if (c->tag != NULL && !sc_secret_has_tag(sec, c->tag))
		return 0;
	if (c->until >= 0 && (exp == 0 || exp > c->until))
		return 0;
	json_array_append_new(c->arr, meta_of(sec));
	return 0;
}

struct keyed {
	const char *key;
	json_t *obj;
};

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

/* The whole tool result for a list (sorted by key), serialized. */
static char *list_result(json_t *arr)
{
	struct keyed *items;
	json_t *sorted, *res, *full;
	size_t i, n = json_array_size(arr);
	char *text, *out = NULL;

	if ((items = calloc(n ? n : 1, sizeof(*items))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		items[i].obj = json_array_get(arr, i);
		items[i].key = json_string_value(json_object_get(items[i].obj, "key"));
	}
	qsort(items, n, sizeof(*items), by_key);
	sorted = json_array();
	for (i = 0; i < n; i++)
		json_array_append(sorted, items[i].obj);
	free(items);
	res = json_pack("{s:o}", "secrets", sorted);
	if ((text = json_dumps(res, JSON_COMPACT | JSON_ENSURE_ASCII)) != NULL) {
		full = json_pack("{s:[{s:s,s:s}],s:O,s:b}", "content", "type", "text", "text", text,
		                 "structuredContent", res, "isError", 0);
		out = json_dumps(full, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(full);
		free(text);
	}
	json_decref(res);
	return out;
}

static int same_tag(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Keep a secret_list answer for the vault and generation it was made at. */
static void list_cache_keep(struct mcp_server *s, const uint8_t *vault, uint64_t gen,
                            const char *tag, const char *result)
{
	free(s->list_cache.result);
	free(s->list_cache.tag);
	memcpy(s->list_cache.vault, vault, SC_VAULT_ID_LEN);
	s->list_cache.gen = gen;
	s->list_cache.tag = tag != NULL ? strdup(tag) : NULL;
	s->list_cache.result = strdup(result);
	if (tag != NULL && s->list_cache.tag == NULL) {
		free(s->list_cache.result);
		s->list_cache.result = NULL;
	}
}

void mcp_tool_list(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"tag", "expiring_within", NULL}, *const req[] = {NULL};
	struct list_ctx c = {.until = -1};
	struct sc_session *ss;
	const char *bad, *within;
	char *result = NULL;
	int r, cacheable;

	if ((bad = mcp_check_args(args, str, NULL, req)) != NULL) {
		mcp_send_tool_error(s, id, "secret_list: %s; arguments: tag?, expiring_within?",
		                    bad);
		return;
	}
	c.tag = mcp_arg_str(args, "tag");
	within = mcp_arg_str(args, "expiring_within");
	if (within != NULL) {
		int64_t d = mcp_parse_duration(within);

		if (d < 0) {
			mcp_send_tool_error(s, id,
			                    "secret_list: expiring_within must be a duration "
			                    "such as 7d, 12h or 30m");
			return;
		}
		c.until = (int64_t)time(NULL) + d;
	}
	/* Without a time filter the answer depends only on the records: keep it
	 * while the vault's authenticated generation stays the same. The
	 * agent (or the vault here) says which vault and generation its list
	 * is: the same as the kept answer's, and the list is not decoded or
	 * serialized again. */
	cacheable = within == NULL;
	if ((ss = mcp_session(s, id, "secret_list")) == NULL)
		return;
	{
		struct sc_agent_list_gen ag, kept = {.known = 1};
		int have =
		    cacheable && s->list_cache.result != NULL && same_tag(c.tag, s->list_cache.tag);

		kept.gen = s->list_cache.gen;
		memcpy(kept.vault, s->list_cache.vault, sizeof(kept.vault));
		c.arr = json_array();
		r = sc_session_list(ss, list_visit, &c, have ? &kept : NULL, &ag);
		if (r != SC_OK && session_error(s, ss, id, "secret_list", r)) {
			json_decref(c.arr);
			sc_session_free(ss);
			return;
		}
		sc_clear_error();
		if (r == SC_OK && ag.unchanged)
			result = strdup(s->list_cache.result);
		else if (r == SC_OK)
			result = list_result(c.arr);
		if (r == SC_OK && result == NULL)
			r = SC_ERR_NOMEM;
		json_decref(c.arr);
		if (r == SC_OK && cacheable && ag.known && !ag.unchanged)
			list_cache_keep(s, ag.vault, ag.gen, c.tag, result);
	}
	sc_session_free(ss);
	if (r != SC_OK) {
		free(result);
		mcp_send_tool_error(s, id, "secret_list failed: %s", sc_strerror(r));
		return;
	}
	mcp_send_result_raw(s, id, result);
	free(result);
}

/* Fetch one secret for a metadata tool; sends the error itself. */
struct sc_secret *mcp_fetch(struct mcp_server *s, json_t *id, const char *tool, const char *key,
                            int missing_ok)
{
	struct sc_session *ss;
	struct sc_secret *sec = NULL;
	int r;

	if (sc_name_valid(key) != SC_OK) {
		mcp_send_tool_error(
		    s, id, "%s: '%s' is not a valid secret name; see secret_list for names", tool,
		    key);
		return NULL;
	}
	/* metadata with non-sensitive values only, through the agent; the
	 * whole secret here (the tools mask what they show) */
	if ((ss = mcp_session(s, id, tool)) == NULL)
		return NULL;
	r = sc_session_fields(ss, tool, key, &sec);
	if (r != SC_OK && session_error(s, ss, id, tool, r)) {
		sc_session_free(ss);
		return NULL;
	}
	sc_session_free(ss);
	sc_clear_error();
	if (r == SC_ERR_NOT_FOUND && missing_ok)
		return NULL;
	if (r == SC_ERR_NOT_FOUND) {
		mcp_send_tool_error(s, id,
		                    "%s: no secret named '%s'; call secret_list to see the names",
		                    tool, key);
		return NULL;
	}
	if (r != SC_OK) {
		mcp_send_tool_error(s, id, "%s failed: %s", tool, sc_strerror(r));
		return NULL;
	}
	return sec;
}

void mcp_tool_exists(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"key", NULL}, *const req[] = {"key", NULL};
	struct sc_session *ss;
	struct sc_secret *sec = NULL;
	const char *bad, *key;
	json_t *o;
	int r;

	if ((bad = mcp_check_args(args, str, NULL, req)) != NULL) {
		mcp_send_tool_error(s, id, "secret_exists: %s; arguments: key", bad);
		return;
	}
	key = mcp_arg_str(args, "key");
	if (sc_name_valid(key) != SC_OK) {
		mcp_send_tool_error(s, id, "secret_exists: '%s' is not a valid secret name", key);
		return;
	}
	if ((ss = mcp_session(s, id, "secret_exists")) == NULL)
		return;
	r = sc_session_fields(ss, "secret_exists", key, &sec);
	if (r != SC_OK && session_error(s, ss, id, "secret_exists", r)) {
		sc_session_free(ss);
		return;
	}
	sc_session_free(ss);
	sc_clear_error();
	if (r != SC_OK && r != SC_ERR_NOT_FOUND) {
		mcp_send_tool_error(s, id, "secret_exists failed: %s", sc_strerror(r));
		return;
	}
	if (sec != NULL) {
		o = meta_of(sec);
		json_object_set_new(o, "exists", json_true());
		sc_secret_free(sec);
	} else {
		o = json_pack("{s:b,s:s}", "exists", 0, "key", key);
	}
	mcp_send_tool_result(s, id, o);
}

/* Non-sensitive field values go out only as valid UTF-8 text. */
static json_t *text_or_null(const uint8_t *val, size_t len)
{
	if (memchr(val, '\0', len) != NULL)
		return NULL;
	return json_stringn((const char *)val, len);
}

void mcp_tool_masked(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"key", NULL}, *const req[] = {"key", NULL};
	struct sc_secret *sec;
	const char *bad, *fname;
	const uint8_t *val;
	json_t *fields;
	size_t i, len;
	int sensitive;

	if ((bad = mcp_check_args(args, str, NULL, req)) != NULL) {
		mcp_send_tool_error(s, id, "secret_get_masked: %s; arguments: key", bad);
		return;
	}
	if ((sec = mcp_fetch(s, id, "secret_get_masked", mcp_arg_str(args, "key"), 0)) == NULL)
		return;
	fields = json_array();
	for (i = 0; i < sc_secret_field_count(sec); i++) {
		json_t *f, *t;

		if (sc_secret_field(sec, i, &fname, &val, &len, &sensitive, NULL) != SC_OK)
			continue;
		f = json_pack("{s:s,s:b}", "name", fname, "sensitive", sensitive);
		/* the mask is the same for every value: it reveals no length */
		if (sensitive || (t = text_or_null(val, len)) == NULL)
			json_object_set_new(f, "value", json_string(MASK));
		else
			json_object_set_new(f, "value", t);
		json_array_append_new(fields, f);
	}
	mcp_send_tool_result(s, id,
	                     json_pack("{s:s,s:s,s:o}", "key", sc_secret_name(sec), "masked_value",
	                               MASK, "fields", fields));
	sc_secret_free(sec);
}

void mcp_tool_list_fields(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"key", NULL}, *const req[] = {"key", NULL};
	struct sc_secret *sec;
	const char *bad, *fname, *hint, *env, *field;
	json_t *fields, *bindings;
	size_t i;
	int sensitive;

	if ((bad = mcp_check_args(args, str, NULL, req)) != NULL) {
		mcp_send_tool_error(s, id, "secret_list_fields: %s; arguments: key", bad);
		return;
	}
	if ((sec = mcp_fetch(s, id, "secret_list_fields", mcp_arg_str(args, "key"), 0)) == NULL)
		return;
	fields = json_array();
	for (i = 0; i < sc_secret_field_count(sec); i++) {
		json_t *f;

		if (sc_secret_field(sec, i, &fname, NULL, NULL, &sensitive, &hint) != SC_OK)
			continue;
		f = json_pack("{s:s,s:b}", "name", fname, "sensitive", sensitive);
		if (hint != NULL)
			json_object_set_new(f, "hint", json_string(hint));
		json_array_append_new(fields, f);
	}
	bindings = json_object();
	for (i = 0; i < sc_secret_binding_count(sec); i++)
		if (sc_secret_binding(sec, i, &env, &field) == SC_OK)
			json_object_set_new(bindings, env, json_string(field));
	mcp_send_tool_result(s, id,
	                     json_pack("{s:s,s:o,s:o}", "key", sc_secret_name(sec), "fields",
	                               fields, "bindings", bindings));
	sc_secret_free(sec);
}

void mcp_tool_get_field(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"key", "field", NULL}, *const req[] = {"key", "field",
	                                                                         NULL};
	struct sc_secret *sec;
	const char *bad, *field;
	const uint8_t *val;
	size_t len;
	int i, sensitive;
	json_t *t;

	if ((bad = mcp_check_args(args, str, NULL, req)) != NULL) {
		mcp_send_tool_error(s, id, "secret_get_field: %s; arguments: key, field", bad);
		return;
	}
	field = mcp_arg_str(args, "field");
	if ((sec = mcp_fetch(s, id, "secret_get_field", mcp_arg_str(args, "key"), 0)) == NULL)
		return;
	if ((i = sc_secret_field_index(sec, field)) < 0) {
		mcp_send_tool_error(
		    s, id, "secret_get_field: '%s' has no field '%s'; call secret_list_fields",
		    sc_secret_name(sec), field);
		goto out;
	}
	if (sc_secret_field(sec, (size_t)i, NULL, &val, &len, &sensitive, NULL) != SC_OK)
		goto out;
	if (sensitive) {
		mcp_send_tool_error(
		    s, id,
		    "secret_get_field: field '%s' is sensitive and is never returned; "
		    "use it through secret_run or secret_run_with_bindings",
		    field);
		goto out;
	}
	if ((t = text_or_null(val, len)) == NULL) {
		mcp_send_tool_error(s, id, "secret_get_field: field '%s' is not text", field);
		goto out;
	}
	mcp_send_tool_result(s, id,
	                     json_pack("{s:s,s:s,s:o,s:b}", "key", sc_secret_name(sec), "field",
	                               field, "value", t, "sensitive", 0));
out:
	sc_secret_free(sec);
}
