/* tools.c - the MCP tools. None returns a sensitive value: metadata tools
 * answer from the vault, run tools inject secrets into a child's
 * environment and return its sanitized output. Failures a model should see
 * are tool results with isError, saying what to do next. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcp/mcp.h"
#include "secretctl/agent.h"
#include "mcp/policy_glue.h"
#include "secretctl/audit.h"
#include "secretctl/exec.h"

#define RUN_TIMEOUT_DEFAULT_MS (5u * 60 * 1000)
#define RUN_OUTPUT_DEFAULT (256u * 1024)
#define MASK "********"

struct mcp_job {
	struct mcp_job *next;
	struct mcp_server *s;
	json_t *id;
	pthread_t thread;
	int ctl[2]; /* write end: cancel byte */
	int done;
	/* what the thread runs */
	char *path;
	char **argv;
	struct sc_runenv *env;
	struct sc_exec_opts opts;
	char *tool;
	char **secrets; /* names injected, for the audit entry */
	size_t nsecrets;
	/* through the unlock agent: it decrypts, applies the policy, runs and
	 * audits; this process never holds a value */
	int agent_fd;
	char **akeys;
	size_t nakeys;
	char *alias, *prefix;
	struct sc_agent_run arun;
};

/* ---- tool definitions ---- */

/* One JSON object a tool: name, title, description, schemas, annotations. */
static const char *const tool_defs[] = {
    "{\"name\":\"secret_list\",\"title\":\"List secrets\","
    "\"description\":\"List the names of the secrets in the vault with their tags, expiry and "
    "field count. Never returns values. Use it to find the key to pass to secret_run.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
    "\"tag\":{\"type\":\"string\",\"description\":\"Only secrets with this tag.\"},"
    "\"expiring_within\":{\"type\":\"string\",\"description\":\"Only secrets that expire within "
    "this duration, e.g. 7d, 12h, 30d.\"}},\"additionalProperties\":false},"
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"secrets\":{\"type\":\"array\","
    "\"items\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"expires_at\":{\"type\":[\"string\",\"null\"]},\"field_count\":{\"type\":\"integer\"},"
    "\"has_notes\":{\"type\":\"boolean\"},\"has_url\":{\"type\":\"boolean\"},"
    "\"created_at\":{\"type\":\"string\"},\"updated_at\":{\"type\":\"string\"}},"
    "\"required\":[\"key\"]}}},\"required\":[\"secrets\"]},"
    "\"annotations\":{\"readOnlyHint\":true,\"destructiveHint\":false,\"idempotentHint\":true,"
    "\"openWorldHint\":false}}",

    "{\"name\":\"secret_exists\",\"title\":\"Check a secret exists\","
    "\"description\":\"Tell whether a secret exists, with its metadata (tags, expiry, field "
    "count). Never returns its value.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\","
    "\"description\":\"The secret's name, e.g. aws/access_key.\"}},\"required\":[\"key\"],"
    "\"additionalProperties\":false},"
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"exists\":{\"type\":\"boolean\"},"
    "\"key\":{\"type\":\"string\"}},\"required\":[\"exists\",\"key\"]},"
    "\"annotations\":{\"readOnlyHint\":true,\"destructiveHint\":false,\"idempotentHint\":true,"
    "\"openWorldHint\":false}}",

    "{\"name\":\"secret_get_masked\",\"title\":\"Show a secret masked\","
    "\"description\":\"Show that a secret has a value, as a fixed-width mask that reveals "
    "neither its characters nor its length, together with its non-sensitive fields (such as "
    "host or username) in clear.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\","
    "\"description\":\"The secret's name.\"}},\"required\":[\"key\"],"
    "\"additionalProperties\":false},"
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"},"
    "\"masked_value\":{\"type\":\"string\"},\"fields\":{\"type\":\"array\"}},"
    "\"required\":[\"key\",\"masked_value\",\"fields\"]},"
    "\"annotations\":{\"readOnlyHint\":true,\"destructiveHint\":false,\"idempotentHint\":true,"
    "\"openWorldHint\":false}}",

    "{\"name\":\"secret_list_fields\",\"title\":\"List a secret's fields\","
    "\"description\":\"List the field names of a secret, whether each is sensitive, its hint, "
    "and the secret's environment bindings. Never returns values.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\","
    "\"description\":\"The secret's name.\"}},\"required\":[\"key\"],"
    "\"additionalProperties\":false},"
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"},"
    "\"fields\":{\"type\":\"array\"},\"bindings\":{\"type\":\"object\"}},"
    "\"required\":[\"key\",\"fields\"]},"
    "\"annotations\":{\"readOnlyHint\":true,\"destructiveHint\":false,\"idempotentHint\":true,"
    "\"openWorldHint\":false}}",

    "{\"name\":\"secret_get_field\",\"title\":\"Read a non-sensitive field\","
    "\"description\":\"Read the value of a NON-sensitive field of a secret (such as host, port "
    "or username). Sensitive fields are refused: use them through secret_run.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\","
    "\"description\":\"The secret's name.\"},\"field\":{\"type\":\"string\","
    "\"description\":\"The field's name (see secret_list_fields).\"}},"
    "\"required\":[\"key\",\"field\"],\"additionalProperties\":false},"
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"},"
    "\"field\":{\"type\":\"string\"},\"value\":{\"type\":\"string\"},"
    "\"sensitive\":{\"type\":\"boolean\"}},\"required\":[\"key\",\"field\",\"value\"]},"
    "\"annotations\":{\"readOnlyHint\":true,\"destructiveHint\":false,\"idempotentHint\":true,"
    "\"openWorldHint\":false}}",

    "{\"name\":\"secret_run\",\"title\":\"Run a command with secrets\","
    "\"description\":\"Run a command with secrets injected as environment variables (the name "
    "upper-cased, '/', '-' and '.' turned into '_', e.g. aws/access_key -> AWS_ACCESS_KEY; "
    "other fields get NAME_FIELD; a secret's bindings override). You never see the values: "
    "stdout and stderr come back with them redacted as [REDACTED:VAR]. No shell is used: "
    "pass the program in command and its arguments in args. The user's policy decides which "
    "commands may run.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
    "\"keys\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"Secret names "
    "or globs: '*' within one path segment, '**' across segments (aws/*).\"},"
    "\"command\":{\"type\":\"string\",\"description\":\"The program to run, e.g. aws.\"},"
    "\"args\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"Its "
    "arguments.\"},"
    "\"timeout\":{\"type\":\"string\",\"description\":\"Time limit such as 30s or 5m (default "
    "5m, capped by policy).\"},"
    "\"env_prefix\":{\"type\":\"string\",\"description\":\"Prefix for the variable names.\"},"
    "\"env\":{\"type\":\"string\",\"description\":\"Environment alias from the policy "
    "(env_aliases), e.g. dev or prod: rewrites the keys.\"}},"
    "\"required\":[\"keys\",\"command\"],\"additionalProperties\":false},"
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{"
    "\"exit_code\":{\"type\":\"integer\"},\"stdout\":{\"type\":\"string\"},"
    "\"stderr\":{\"type\":\"string\"},\"duration_ms\":{\"type\":\"integer\"},"
    "\"timed_out\":{\"type\":\"boolean\"},\"sanitized\":{\"type\":\"boolean\"},"
    "\"stdout_truncated\":{\"type\":\"boolean\"},\"stderr_truncated\":{\"type\":\"boolean\"}},"
    "\"required\":[\"exit_code\",\"stdout\",\"stderr\",\"duration_ms\",\"timed_out\"]},"
    "\"annotations\":{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":false,"
    "\"openWorldHint\":true}}",

    "{\"name\":\"secret_run_with_bindings\",\"title\":\"Run a command with a secret's "
    "bindings\","
    "\"description\":\"Run a command with the environment variables a secret defines in its "
    "bindings (e.g. PGHOST, PGPASSWORD for a database secret). Output comes back with secret "
    "values redacted. The user's policy decides which commands may run.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
    "\"key\":{\"type\":\"string\",\"description\":\"A secret that has bindings (see "
    "secret_list_fields).\"},"
    "\"command\":{\"type\":\"string\",\"description\":\"The program to run, e.g. psql.\"},"
    "\"args\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"Its "
    "arguments.\"},"
    "\"timeout\":{\"type\":\"string\",\"description\":\"Time limit such as 30s or 5m (default "
    "5m, capped by policy).\"}},"
    "\"required\":[\"key\",\"command\"],\"additionalProperties\":false},"
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{"
    "\"exit_code\":{\"type\":\"integer\"},\"stdout\":{\"type\":\"string\"},"
    "\"stderr\":{\"type\":\"string\"},\"duration_ms\":{\"type\":\"integer\"},"
    "\"timed_out\":{\"type\":\"boolean\"},\"sanitized\":{\"type\":\"boolean\"},"
    "\"stdout_truncated\":{\"type\":\"boolean\"},\"stderr_truncated\":{\"type\":\"boolean\"}},"
    "\"required\":[\"exit_code\",\"stdout\",\"stderr\",\"duration_ms\",\"timed_out\"]},"
    "\"annotations\":{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":false,"
    "\"openWorldHint\":true}}",

};

int mcp_tools_init(struct mcp_server *s)
{
	json_error_t err;
	size_t i;
	json_t *t;

	if ((s->tools = json_array()) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < sizeof(tool_defs) / sizeof(tool_defs[0]); i++) {
		if ((t = json_loads(tool_defs[i], 0, &err)) == NULL)
			return SC_ERR_INTERNAL;
		json_array_append_new(s->tools, t);
	}
	mcp_policy_load(s);
	return SC_OK;
}

/* ---- results ---- */

static void send_tool_result(struct mcp_server *s, json_t *id, json_t *structured)
{
	char *text = json_dumps(structured, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_t *res;

	res = json_pack("{s:[{s:s,s:s}],s:o,s:b}", "content", "type", "text", "text",
	                text ? text : "{}", "structuredContent", structured, "isError", 0);
	free(text);
	mcp_send_result(s, id, res);
}

static void send_tool_error(struct mcp_server *s, json_t *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void send_tool_error(struct mcp_server *s, json_t *id, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mcp_send_result(
	    s, id,
	    json_pack("{s:[{s:s,s:s}],s:b}", "content", "type", "text", "text", msg, "isError", 1));
}

/* ---- argument checking ---- */

/* Check arguments against a tool's shape: only known keys, right types,
 * bounded sizes. Returns a message or NULL. */
static const char *check_args(json_t *args, const char *const *strings, const char *const *arrays,
                              const char *const *required)
{
	const char *key;
	json_t *val;
	size_t i;

	json_object_foreach(args, key, val)
	{
		int known = 0;

		for (i = 0; strings[i] != NULL; i++)
			if (strcmp(key, strings[i]) == 0) {
				if (!json_is_string(val))
					return "argument has the wrong type (want a string)";
				if (json_string_length(val) > MCP_STRING_MAX)
					return "argument string too long";
				if (strlen(json_string_value(val)) != json_string_length(val))
					return "argument holds a NUL byte";
				known = 1;
			}
		for (i = 0; arrays != NULL && arrays[i] != NULL; i++)
			if (strcmp(key, arrays[i]) == 0) {
				size_t j;
				json_t *el;

				if (!json_is_array(val))
					return "argument has the wrong type (want an array of "
					       "strings)";
				if (json_array_size(val) > MCP_ARGS_MAX)
					return "too many array entries";
				json_array_foreach(val, j, el)
				{
					if (!json_is_string(el))
						return "array entries must be strings";
					if (json_string_length(el) > MCP_STRING_MAX ||
					    strlen(json_string_value(el)) != json_string_length(el))
						return "array entry too long or holds a NUL byte";
				}
				known = 1;
			}
		if (!known)
			return "unknown argument";
	}
	for (i = 0; required[i] != NULL; i++)
		if (json_object_get(args, required[i]) == NULL)
			return "missing a required argument";
	return NULL;
}

static const char *arg_str(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

/* ---- the vault ---- */

/* Get the unlocked vault with vault_lock held; on failure send the tool
 * error and return NULL (lock released). */
static struct sc_vault *vault_acquire(struct mcp_server *s, json_t *id)
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
	send_tool_error(s, id, "%s", msg[0] ? msg : sc_strerror(r));
	return NULL;
}

static void vault_release(struct mcp_server *s)
{
	pthread_mutex_unlock(&s->vault_lock);
}

/* ---- the unlock agent ----
 * After `secretctl unlock`, the server needs no password and holds no key:
 * an unlocked agent answers the metadata tools and performs the runs
 * itself, applying the policy and writing the audit entries. A server
 * already unlocked with a password keeps using its own key, and one
 * started with SECRETCTL_NO_AGENT set never asks the agent. */
static int agent_conn(struct mcp_server *s)
{
	struct sc_agent_status st;
	int fd, own;

	if (s->cfg.no_agent)
		return -1;
	pthread_mutex_lock(&s->vault_lock);
	own = s->vault != NULL;
	pthread_mutex_unlock(&s->vault_lock);
	if (own || sc_agent_connect(s->cfg.vault_dir, &fd) != SC_OK) {
		sc_clear_error();
		return -1;
	}
	if (sc_agent_status(fd, &st) != SC_OK || !st.unlocked) {
		sc_clear_error();
		close(fd);
		return -1;
	}
	return fd;
}

/* Record a tool call in the audit log, with the key in this process
 * (vault_lock must NOT be held; through the agent, the agent audits). As in
 * the CLI, nothing is answered and no command starts unless this returns
 * SC_OK: the entry is on disk. The reason goes to stderr, the user's log;
 * the caller tells the model. */
static int audit(struct mcp_server *s, const char *op, const char *const *names, size_t n,
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
	if (r != SC_OK) {
		fprintf(stderr, "secretctl mcp-server: cannot write the audit log: %s%s%s\n",
		        sc_strerror(r), sc_last_error()[0] ? ": " : "", sc_last_error());
		sc_clear_error();
	}
	return r;
}

/* The tool error for an entry audit() could not write. */
static void send_audit_error(struct mcp_server *s, json_t *id, const char *tool, int r)
{
	send_tool_error(s, id,
	                "%s: cannot write the audit log (%s): nothing was returned and no command "
	                "was run; the user must fix this (the server's stderr says why)",
	                tool, sc_strerror(r));
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
static int64_t parse_duration(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0 || v > 100LL * 365 * 86400)
		return -1;
	if (strcmp(end, "s") == 0)
		return v;
	if (strcmp(end, "m") == 0)
		return v * 60;
	if (strcmp(end, "h") == 0)
		return v * 3600;
	if (strcmp(end, "d") == 0)
		return v * 86400;
	if (strcmp(end, "w") == 0)
		return v * 7 * 86400;
	return -1;
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

static void tool_list(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"tag", "expiring_within", NULL}, *const req[] = {NULL};
	struct list_ctx c = {.until = -1};
	struct sc_vault *v;
	const char *bad, *within;
	char *result = NULL;
	uint64_t gen = 0;
	int r, a, cacheable, fd;

	if ((bad = check_args(args, str, NULL, req)) != NULL) {
		send_tool_error(s, id, "secret_list: %s; arguments: tag?, expiring_within?", bad);
		return;
	}
	c.tag = arg_str(args, "tag");
	within = arg_str(args, "expiring_within");
	if (within != NULL) {
		int64_t d = parse_duration(within);

		if (d < 0) {
			send_tool_error(s, id,
			                "secret_list: expiring_within must be a duration "
			                "such as 7d, 12h or 30m");
			return;
		}
		c.until = (int64_t)time(NULL) + d;
	}
	/* Without a time filter the answer depends only on the records: keep it
	 * while the vault's authenticated generation stays the same. */
	cacheable = within == NULL;
	if ((fd = agent_conn(s)) >= 0) {
		/* The agent holds the key and audits. It says which generation
		 * of the vault its list is: the same as the kept answer's, and
		 * the list is not decoded or serialized again. */
		struct sc_agent_list_gen ag, kept = {.known = 1};
		int have =
		    cacheable && s->list_cache.result != NULL && same_tag(c.tag, s->list_cache.tag);

		kept.gen = s->list_cache.gen;
		memcpy(kept.vault, s->list_cache.vault, sizeof(kept.vault));
		c.arr = json_array();
		r = sc_agent_list(fd, SC_AGENT_ORIGIN_MCP, list_visit, &c, have ? &kept : NULL,
		                  &ag);
		close(fd);
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
		goto listed;
	}
	if ((v = vault_acquire(s, id)) == NULL)
		return;
	r = sc_vault_generation(v, &gen);
	if (r == SC_OK && cacheable && s->list_cache.result != NULL && s->list_cache.gen == gen &&
	    memcmp(s->list_cache.vault, sc_vault_id(v), SC_VAULT_ID_LEN) == 0 &&
	    same_tag(c.tag, s->list_cache.tag))
		result = strdup(s->list_cache.result);
	if (r == SC_OK && result == NULL) {
		c.arr = json_array();
		r = sc_vault_walk(v, list_visit, &c);
		if (r == SC_OK && (result = list_result(c.arr)) == NULL)
			r = SC_ERR_NOMEM;
		json_decref(c.arr);
		if (r == SC_OK && cacheable)
			list_cache_keep(s, sc_vault_id(v), gen, c.tag, result);
	}
	vault_release(s);
	if ((a = audit(s, "secret_list", NULL, 0, NULL, r)) != SC_OK && r == SC_OK) {
		free(result);
		send_audit_error(s, id, "secret_list", a);
		return;
	}
listed:
	if (r != SC_OK) {
		free(result);
		send_tool_error(s, id, "secret_list failed: %s", sc_strerror(r));
		return;
	}
	mcp_send_result_raw(s, id, result);
	free(result);
}

/* Fetch one secret for a metadata tool; sends the error itself. */
static struct sc_secret *fetch(struct mcp_server *s, json_t *id, const char *tool, const char *key,
                               int missing_ok)
{
	struct sc_vault *v;
	struct sc_secret *sec = NULL;
	int r, a, fd;

	if (sc_name_valid(key) != SC_OK) {
		send_tool_error(s, id,
		                "%s: '%s' is not a valid secret name; see secret_list for names",
		                tool, key);
		return NULL;
	}
	if ((fd = agent_conn(s)) >= 0) {
		/* metadata with non-sensitive values only */
		r = sc_agent_fields(fd, SC_AGENT_ORIGIN_MCP, key, &sec);
		close(fd);
		sc_clear_error();
	} else {
		if ((v = vault_acquire(s, id)) == NULL)
			return NULL;
		r = sc_vault_get(v, key, &sec);
		vault_release(s);
		/* not even "no such secret" without the entry */
		a = audit(s, tool, &key, 1, NULL, r);
		if (a != SC_OK && (r == SC_OK || r == SC_ERR_NOT_FOUND)) {
			sc_secret_free(sec);
			send_audit_error(s, id, tool, a);
			return NULL;
		}
	}
	if (r == SC_ERR_NOT_FOUND && missing_ok)
		return NULL;
	if (r == SC_ERR_NOT_FOUND) {
		send_tool_error(s, id,
		                "%s: no secret named '%s'; call secret_list to see the names", tool,
		                key);
		return NULL;
	}
	if (r != SC_OK) {
		send_tool_error(s, id, "%s failed: %s", tool, sc_strerror(r));
		return NULL;
	}
	return sec;
}

static void tool_exists(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"key", NULL}, *const req[] = {"key", NULL};
	struct sc_vault *v;
	struct sc_secret *sec = NULL;
	const char *bad, *key;
	json_t *o;
	int r, a, fd;

	if ((bad = check_args(args, str, NULL, req)) != NULL) {
		send_tool_error(s, id, "secret_exists: %s; arguments: key", bad);
		return;
	}
	key = arg_str(args, "key");
	if (sc_name_valid(key) != SC_OK) {
		send_tool_error(s, id, "secret_exists: '%s' is not a valid secret name", key);
		return;
	}
	if ((fd = agent_conn(s)) >= 0) {
		r = sc_agent_fields(fd, SC_AGENT_ORIGIN_MCP, key, &sec);
		close(fd);
		sc_clear_error();
	} else {
		if ((v = vault_acquire(s, id)) == NULL)
			return;
		r = sc_vault_get(v, key, &sec);
		vault_release(s);
		a = audit(s, "secret_exists", &key, 1, NULL, r == SC_ERR_NOT_FOUND ? SC_OK : r);
		if (a != SC_OK && (r == SC_OK || r == SC_ERR_NOT_FOUND)) {
			sc_secret_free(sec);
			send_audit_error(s, id, "secret_exists", a);
			return;
		}
	}
	if (r != SC_OK && r != SC_ERR_NOT_FOUND) {
		send_tool_error(s, id, "secret_exists failed: %s", sc_strerror(r));
		return;
	}
	if (sec != NULL) {
		o = meta_of(sec);
		json_object_set_new(o, "exists", json_true());
		sc_secret_free(sec);
	} else {
		o = json_pack("{s:b,s:s}", "exists", 0, "key", key);
	}
	send_tool_result(s, id, o);
}

/* Non-sensitive field values go out only as valid UTF-8 text. */
static json_t *text_or_null(const uint8_t *val, size_t len)
{
	if (memchr(val, '\0', len) != NULL)
		return NULL;
	return json_stringn((const char *)val, len);
}

static void tool_masked(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"key", NULL}, *const req[] = {"key", NULL};
	struct sc_secret *sec;
	const char *bad, *fname;
	const uint8_t *val;
	json_t *fields;
	size_t i, len;
	int sensitive;

	if ((bad = check_args(args, str, NULL, req)) != NULL) {
		send_tool_error(s, id, "secret_get_masked: %s; arguments: key", bad);
		return;
	}
	if ((sec = fetch(s, id, "secret_get_masked", arg_str(args, "key"), 0)) == NULL)
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
	send_tool_result(s, id,
	                 json_pack("{s:s,s:s,s:o}", "key", sc_secret_name(sec), "masked_value",
	                           MASK, "fields", fields));
	sc_secret_free(sec);
}

static void tool_list_fields(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"key", NULL}, *const req[] = {"key", NULL};
	struct sc_secret *sec;
	const char *bad, *fname, *hint, *env, *field;
	json_t *fields, *bindings;
	size_t i;
	int sensitive;

	if ((bad = check_args(args, str, NULL, req)) != NULL) {
		send_tool_error(s, id, "secret_list_fields: %s; arguments: key", bad);
		return;
	}
	if ((sec = fetch(s, id, "secret_list_fields", arg_str(args, "key"), 0)) == NULL)
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
	send_tool_result(s, id,
	                 json_pack("{s:s,s:o,s:o}", "key", sc_secret_name(sec), "fields", fields,
	                           "bindings", bindings));
	sc_secret_free(sec);
}

static void tool_get_field(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"key", "field", NULL}, *const req[] = {"key", "field",
	                                                                         NULL};
	struct sc_secret *sec;
	const char *bad, *field;
	const uint8_t *val;
	size_t len;
	int i, sensitive;
	json_t *t;

	if ((bad = check_args(args, str, NULL, req)) != NULL) {
		send_tool_error(s, id, "secret_get_field: %s; arguments: key, field", bad);
		return;
	}
	field = arg_str(args, "field");
	if ((sec = fetch(s, id, "secret_get_field", arg_str(args, "key"), 0)) == NULL)
		return;
	if ((i = sc_secret_field_index(sec, field)) < 0) {
		send_tool_error(s, id,
		                "secret_get_field: '%s' has no field '%s'; call secret_list_fields",
		                sc_secret_name(sec), field);
		goto out;
	}
	if (sc_secret_field(sec, (size_t)i, NULL, &val, &len, &sensitive, NULL) != SC_OK)
		goto out;
	if (sensitive) {
		send_tool_error(s, id,
		                "secret_get_field: field '%s' is sensitive and is never returned; "
		                "use it through secret_run or secret_run_with_bindings",
		                field);
		goto out;
	}
	if ((t = text_or_null(val, len)) == NULL) {
		send_tool_error(s, id, "secret_get_field: field '%s' is not text", field);
		goto out;
	}
	send_tool_result(s, id,
	                 json_pack("{s:s,s:s,s:o,s:b}", "key", sc_secret_name(sec), "field", field,
	                           "value", t, "sensitive", 0));
out:
	sc_secret_free(sec);
}

/* ---- runs ---- */

/* Output as JSON text: invalid UTF-8 becomes U+FFFD, so nothing is lost
 * silently and nothing breaks the JSON. */
static json_t *utf8_json(const uint8_t *p, size_t n)
{
	char *buf;
	size_t i = 0, k = 0;
	json_t *t;

	if ((buf = malloc(n * 3 + 1)) == NULL)
		return json_string("");
	while (i < n) {
		uint8_t c = p[i];
		size_t len = c < 0x80         ? 1
		             : (c >> 5) == 6  ? 2
		             : (c >> 4) == 14 ? 3
		             : (c >> 3) == 30 ? 4
		                              : 0;
		size_t j;
		int ok = len > 0 && i + len <= n;

		for (j = 1; ok && j < len; j++)
			ok = (p[i + j] & 0xc0) == 0x80;
		if (ok && len > 1) {
			uint32_t cp = c & (0xff >> (len + 1));

			for (j = 1; j < len; j++)
				cp = (cp << 6) | (p[i + j] & 0x3f);
			ok = !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) &&
			     !(len == 4 && (cp < 0x10000 || cp > 0x10ffff)) &&
			     !(cp >= 0xd800 && cp <= 0xdfff);
		}
		if (ok && c == 0)
			ok = 0; /* keep NUL out of the JSON string */
		if (ok) {
			memcpy(buf + k, p + i, len);
			k += len;
			i += len;
		} else {
			memcpy(buf + k, "\xef\xbf\xbd", 3);
			k += 3;
			i++;
		}
	}
	t = json_stringn(buf, k);
	free(buf);
	return t ? t : json_string("");
}

static void job_free(struct mcp_job *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; j->argv != NULL && j->argv[i] != NULL; i++)
		free(j->argv[i]);
	free(j->argv);
	free(j->path);
	free(j->tool);
	for (i = 0; i < j->nsecrets; i++)
		free(j->secrets[i]);
	free(j->secrets);
	sc_runenv_free(j->env);
	if (j->agent_fd >= 0)
		close(j->agent_fd);
	for (i = 0; j->akeys != NULL && i < j->nakeys; i++)
		free(j->akeys[i]);
	free(j->akeys);
	free(j->alias);
	free(j->prefix);
	if (j->ctl[0] >= 0)
		close(j->ctl[0]);
	if (j->ctl[1] >= 0)
		close(j->ctl[1]);
	json_decref(j->id);
	free(j);
}

static void *job_main(void *arg)
{
	struct mcp_job *j = arg;
	struct mcp_server *s = j->s;
	struct sc_exec_result res = {0};
	char *detail = NULL;
	int r;

	if (j->agent_fd >= 0)
		r = sc_agent_run(j->agent_fd, &j->arun, j->ctl[0], &res, &detail);
	else
		r = sc_exec_run(&j->opts, &res);
	/* secrets leave memory as soon as the child is done */
	sc_runenv_free(j->env);
	j->env = NULL;
	if (j->agent_fd >= 0 && r != SC_OK && r != SC_ERR_NOEXEC && r != SC_ERR_NOTEXEC) {
		/* the agent refused (policy, lock, no such secret); its reason
		 * names no value */
		send_tool_error(s, j->id, "%s: %s: %s", j->tool,
		                r == SC_ERR_DENIED ? "denied by policy" : sc_strerror(r),
		                detail != NULL ? detail : sc_last_error());
		sc_clear_error();
	} else if (r != SC_OK && r != SC_ERR_NOEXEC && r != SC_ERR_NOTEXEC) {
		send_tool_error(s, j->id, "%s: the command could not be run: %s", j->tool,
		                sc_strerror(r));
	} else {
		json_t *o = json_object();

		json_object_set_new(o, "exit_code", json_integer(res.exit_code));
		json_object_set_new(o, "stdout", utf8_json(res.out, res.out_len));
		json_object_set_new(o, "stderr", utf8_json(res.err, res.err_len));
		json_object_set_new(o, "duration_ms", json_integer((json_int_t)res.duration_ms));
		json_object_set_new(o, "timed_out", json_boolean(res.timed_out));
		json_object_set_new(o, "cancelled", json_boolean(res.cancelled));
		json_object_set_new(o, "sanitized", json_true());
		json_object_set_new(o, "stdout_truncated", json_boolean(res.out_dropped > 0));
		json_object_set_new(o, "stderr_truncated", json_boolean(res.err_dropped > 0));
		send_tool_result(s, j->id, o);
	}
	sc_exec_result_release(&res);
	free(detail);
	pthread_mutex_lock(&s->jobs_lock);
	j->done = 1;
	s->njobs_running--;
	pthread_cond_broadcast(&s->jobs_cond);
	pthread_mutex_unlock(&s->jobs_lock);
	return NULL;
}

/* Reap finished jobs (their threads have ended or are ending). */
static void jobs_reap(struct mcp_server *s)
{
	struct mcp_job **pp, *j;

	pthread_mutex_lock(&s->jobs_lock);
	pp = &s->jobs;
	while ((j = *pp) != NULL) {
		if (j->done) {
			*pp = j->next;
			pthread_mutex_unlock(&s->jobs_lock);
			pthread_join(j->thread, NULL);
			job_free(j);
			pthread_mutex_lock(&s->jobs_lock);
			pp = &s->jobs;
		} else {
			pp = &j->next;
		}
	}
	pthread_mutex_unlock(&s->jobs_lock);
}

static void start_run(struct mcp_server *s, json_t *id, const char *tool, json_t *args,
                      const char *const *patterns, size_t npatterns)
{
	struct sc_runenv_opts ro = {0};
	struct mcp_job *j;
	struct sc_vault *v;
	const char *command = arg_str(args, "command"), *timeout = arg_str(args, "timeout");
	json_t *jargs = json_object_get(args, "args"), *el;
	char reason[512], *detail = NULL, *path_env;
	const char **argp = NULL, **names = NULL;
	struct mcp_limits lim;
	size_t i, nargs = json_array_size(jargs);
	int64_t tsec = -1;
	int r;

	if (s->policy_error[0] != '\0') {
		send_tool_error(s, id,
		                "%s: runs are disabled because the policy file is invalid: %s",
		                tool, s->policy_error);
		return;
	}
	mcp_policy_limits(s, &lim);
	if (timeout != NULL && ((tsec = parse_duration(timeout)) <= 0)) {
		send_tool_error(s, id, "%s: timeout must be a duration such as 30s or 5m", tool);
		return;
	}
	if (command == NULL || *command == '\0') {
		send_tool_error(s, id, "%s: command must not be empty", tool);
		return;
	}
	jobs_reap(s);
	pthread_mutex_lock(&s->jobs_lock);
	if (s->njobs_running >= lim.max_concurrent) {
		pthread_mutex_unlock(&s->jobs_lock);
		send_tool_error(
		    s, id,
		    "%s: %zu commands are already running (the policy's limit); wait for "
		    "one to finish",
		    tool, s->njobs_running);
		return;
	}
	pthread_mutex_unlock(&s->jobs_lock);

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->ctl[0] = j->ctl[1] = -1;
	j->agent_fd = -1;
	j->s = s;
	j->id = json_incref(id);
	j->tool = strdup(tool);
	j->argv = calloc(nargs + 2, sizeof(*j->argv));
	argp = calloc(nargs + 1, sizeof(*argp));
	if (j->tool == NULL || j->argv == NULL || argp == NULL)
		goto fail_nomem;
	/* Resolve through the server's own PATH, which the child also gets
	 * (the small base environment keeps it) and the model cannot change;
	 * unset: /usr/local/bin:/usr/bin:/bin. docs/POLICY.md, "How a run is
	 * decided". */
	path_env = getenv("PATH");
	r = sc_exec_resolve(command, path_env, &j->path);
	if (r != SC_OK) {
		send_tool_error(s, id,
		                r == SC_ERR_NOTEXEC ? "%s: '%s' is not executable"
		                                    : "%s: command '%s' not found",
		                tool, command);
		goto fail;
	}
	json_array_foreach(jargs, i, el) argp[i] = json_string_value(el);

	if ((j->agent_fd = agent_conn(s)) >= 0) {
		/* the agent checks the policy, decrypts, runs and audits */
		j->nakeys = npatterns;
		j->akeys = calloc(npatterns + 1, sizeof(*j->akeys));
		if (j->akeys == NULL)
			goto fail_nomem;
		for (i = 0; i < npatterns; i++)
			if ((j->akeys[i] = strdup(patterns[i])) == NULL)
				goto fail_nomem;
		if (arg_str(args, "env") != NULL &&
		    (j->alias = strdup(arg_str(args, "env"))) == NULL)
			goto fail_nomem;
		if (arg_str(args, "env_prefix") != NULL &&
		    (j->prefix = strdup(arg_str(args, "env_prefix"))) == NULL)
			goto fail_nomem;
		goto argv;
	}
	if ((v = vault_acquire(s, id)) == NULL)
		goto fail;
	/* Policy first, before any secret is decrypted. */
	r = mcp_policy_check(s, v, command, j->path, argp, nargs, patterns, npatterns,
	                     arg_str(args, "env"), &names, reason, sizeof(reason));
	if (r != SC_OK) {
		vault_release(s);
		(void)audit(s, tool, patterns, npatterns, j->path, SC_ERR_DENIED);
		send_tool_error(s, id, "%s: denied by policy: %s", tool, reason);
		goto fail;
	}
	ro.patterns = names != NULL ? names : patterns;
	ro.npatterns = npatterns;
	ro.prefix = arg_str(args, "env_prefix");
	ro.clean_env = 1; /* MCP children get the small base environment only */
	ro.base_env = environ;
	r = sc_runenv_build(v, &ro, &j->env, &detail);
	vault_release(s);
	if (r != SC_OK) {
		(void)audit(s, tool, patterns, npatterns, j->path, r);
		send_tool_error(s, id, "%s: %s%s%s", tool, sc_strerror(r), detail ? ": " : "",
		                detail ? detail : "");
		free(detail);
		goto fail;
	}
	/* The keys are known now: may each of these secrets reach this command? */
	{
		size_t k, n = sc_runenv_secret_count(j->env);
		const char **sn = calloc(n + 1, sizeof(*sn));

		if (sn == NULL)
			goto fail_nomem;
		for (k = 0; k < n; k++)
			sn[k] = sc_runenv_secret(j->env, k);
		r = mcp_policy_check_secrets(s, command, j->path, argp, nargs, sn, n, reason,
		                             sizeof(reason));
		if (r != SC_OK)
			(void)audit(s, tool, sn, n, j->path, SC_ERR_DENIED);
		free(sn);
		if (r != SC_OK) {
			send_tool_error(s, id, "%s: denied by policy: %s", tool, reason);
			goto fail;
		}
	}
	j->nsecrets = sc_runenv_secret_count(j->env);
	if ((j->secrets = calloc(j->nsecrets + 1, sizeof(*j->secrets))) == NULL)
		goto fail_nomem;
	for (i = 0; i < j->nsecrets; i++)
		if ((j->secrets[i] = strdup(sc_runenv_secret(j->env, i))) == NULL)
			goto fail_nomem;
argv:
	j->argv[0] = strdup(command);
	for (i = 0; i < nargs; i++)
		j->argv[i + 1] = strdup(argp[i]);
	for (i = 0; i <= nargs; i++)
		if (j->argv[i] == NULL)
			goto fail_nomem;
	if (pipe2(j->ctl, O_CLOEXEC) != 0)
		goto fail_nomem;
	if (j->agent_fd >= 0) {
		j->arun.argv = (const char *const *)j->argv;
		j->arun.exe = j->path;
		j->arun.keys = (const char *const *)j->akeys;
		j->arun.nkeys = j->nakeys;
		j->arun.env = environ;
		j->arun.prefix = j->prefix;
		j->arun.env_alias = j->alias;
		j->arun.timeout_ms = tsec > 0 && (uint64_t)tsec * 1000 < lim.max_timeout_ms
		                         ? (uint32_t)(tsec * 1000)
		                         : 0;
		j->arun.clean_env = 1;
		j->arun.origin = SC_AGENT_ORIGIN_MCP;
		j->arun.stdin_fd = j->arun.out_fd = j->arun.err_fd = -1;
		j->arun.capture_max = lim.max_output_bytes;
	}
	sc_exec_opts_init(&j->opts);
	j->opts.path = j->path;
	j->opts.argv = j->argv;
	j->opts.envp = j->env != NULL ? sc_runenv_envp(j->env) : NULL; /* NULL: the agent runs it */
	j->opts.sanitizer = j->env != NULL ? sc_runenv_sanitizer(j->env) : NULL;
	j->opts.capture_max = lim.max_output_bytes;
	j->opts.ctl_fd = j->ctl[0];
	j->opts.timeout_ms = tsec > 0 && (uint64_t)tsec * 1000 < lim.max_timeout_ms
	                         ? (uint32_t)(tsec * 1000)
	                         : lim.max_timeout_ms;
	/* With the key here, the run starts only once its entry is on disk, as
	 * in the CLI's run: one entry, before the command, for the secrets
	 * handed to it (through the agent, the agent writes it). */
	if (j->agent_fd < 0 && (r = audit(s, tool, (const char *const *)j->secrets, j->nsecrets,
	                                  j->path, SC_OK)) != SC_OK) {
		send_audit_error(s, id, tool, r);
		goto fail;
	}
	pthread_mutex_lock(&s->jobs_lock);
	if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
		pthread_mutex_unlock(&s->jobs_lock);
		goto fail_nomem;
	}
	s->njobs_running++;
	j->next = s->jobs;
	s->jobs = j;
	pthread_mutex_unlock(&s->jobs_lock);
	free(argp);
	mcp_policy_free_keys(names, npatterns);
	return;
fail_nomem:
	send_tool_error(s, id, "%s: out of resources", tool);
fail:
	free(argp);
	mcp_policy_free_keys(names, npatterns);
	job_free(j);
}

static void tool_run(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"command", "timeout", "env_prefix", "env", NULL},
	                         *const arr[] = {"keys", "args", NULL},
	                         *const req[] = {"keys", "command", NULL};
	const char *bad, **patterns;
	json_t *keys, *el;
	size_t i, n;

	if ((bad = check_args(args, str, arr, req)) != NULL) {
		send_tool_error(s, id,
		                "secret_run: %s; arguments: keys (array), command, args? (array), "
		                "timeout?, env_prefix?, env?",
		                bad);
		return;
	}
	keys = json_object_get(args, "keys");
	n = json_array_size(keys);
	if (n == 0) {
		send_tool_error(s, id, "secret_run: keys must name at least one secret");
		return;
	}
	if ((patterns = calloc(n + 1, sizeof(*patterns))) == NULL)
		return;
	json_array_foreach(keys, i, el) patterns[i] = json_string_value(el);
	start_run(s, id, "secret_run", args, patterns, n);
	free(patterns);
}

static void tool_run_bindings(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const str[] = {"key", "command", "timeout", NULL},
	                         *const arr[] = {"args", NULL},
	                         *const req[] = {"key", "command", NULL};
	struct sc_secret *sec;
	const char *bad, *key, *pat[1];

	if ((bad = check_args(args, str, arr, req)) != NULL) {
		send_tool_error(s, id,
		                "secret_run_with_bindings: %s; arguments: key, command, args? "
		                "(array), timeout?",
		                bad);
		return;
	}
	key = arg_str(args, "key");
	if ((sec = fetch(s, id, "secret_run_with_bindings", key, 0)) == NULL)
		return;
	if (sc_secret_binding_count(sec) == 0) {
		sc_secret_free(sec);
		send_tool_error(
		    s, id,
		    "secret_run_with_bindings: '%s' has no bindings; use secret_run, or "
		    "ask the user to add bindings (secretctl set ... --binding ENV=field)",
		    key);
		return;
	}
	sc_secret_free(sec);
	pat[0] = key;
	start_run(s, id, "secret_run_with_bindings", args, pat, 1);
}

static const struct {
	const char *name;
	void (*fn)(struct mcp_server *s, json_t *id, json_t *args);
} handlers[] = {
    {"secret_list", tool_list},
    {"secret_exists", tool_exists},
    {"secret_get_masked", tool_masked},
    {"secret_list_fields", tool_list_fields},
    {"secret_get_field", tool_get_field},
    {"secret_run", tool_run},
    {"secret_run_with_bindings", tool_run_bindings},
};

void mcp_tools_call(struct mcp_server *s, json_t *id, json_t *params)
{
	json_t *name, *args, *empty = NULL;
	size_t i;

	if (!json_is_object(params)) {
		mcp_send_error(s, id, -32602, "tools/call: params must be an object with a name");
		return;
	}
	name = json_object_get(params, "name");
	args = json_object_get(params, "arguments");
	if (!json_is_string(name)) {
		mcp_send_error(s, id, -32602, "tools/call: name must be a string");
		return;
	}
	if (args != NULL && !json_is_object(args)) {
		mcp_send_error(s, id, -32602, "tools/call: arguments must be an object");
		return;
	}
	if (args == NULL)
		args = empty = json_object();
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(json_string_value(name), handlers[i].name) == 0) {
			handlers[i].fn(s, id, args);
			json_decref(empty);
			return;
		}
	json_decref(empty);
	mcp_send_error(s, id, -32602, "tools/call: unknown tool; see tools/list");
}

void mcp_tools_cancel(struct mcp_server *s, json_t *request_id)
{
	struct mcp_job *j;
	char zero = SC_EXEC_CTL_CANCEL;

	if (request_id == NULL)
		return;
	pthread_mutex_lock(&s->jobs_lock);
	for (j = s->jobs; j != NULL; j = j->next)
		if (!j->done && json_equal(j->id, request_id)) {
			if (write(j->ctl[1], &zero, 1) != 1) {
				/* the run is ending anyway */
			}
		}
	pthread_mutex_unlock(&s->jobs_lock);
}

void mcp_tools_shutdown(struct mcp_server *s)
{
	struct mcp_job *j;
	char zero = SC_EXEC_CTL_CANCEL;

	pthread_mutex_lock(&s->jobs_lock);
	for (j = s->jobs; j != NULL; j = j->next)
		if (!j->done && write(j->ctl[1], &zero, 1) != 1) {
			/* already ending */
		}
	while (s->njobs_running > 0)
		pthread_cond_wait(&s->jobs_cond, &s->jobs_lock);
	pthread_mutex_unlock(&s->jobs_lock);
	jobs_reap(s);
}

void mcp_tools_free(struct mcp_server *s)
{
	mcp_tools_shutdown(s);
	json_decref(s->tools);
	s->tools = NULL;
	mcp_policy_free(s);
	free(s->list_cache.result);
	free(s->list_cache.tag);
	if (s->vault != NULL)
		sc_vault_close(s->vault);
	s->vault = NULL;
}
