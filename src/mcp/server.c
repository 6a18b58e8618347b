/* server.c - MCP over stdio: line framing with hard bounds, JSON-RPC 2.0
 * checks, the lifecycle (initialize, ping, tools/list, tools/call,
 * cancellation), and one serialized writer. Fails closed on anything it
 * cannot parse. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcp/mcp.h"

/* Newest first; we answer with the client's version when we know it. */
static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

/* Whether a string in the line holds the escape \u0000, and if so a copy
 * with each one made \u0001 (*copy, malloc'd): Jansson without
 * JSON_ALLOW_NUL refuses such text as a parse error, and even with it a
 * NUL cuts every C string it reaches and is refused in keys. Valid JSON
 * deserves a reply to its own id, so the copy is parsed only to find it. */
static int has_nul_escape(const char *p, size_t n, char **copy)
{
	int in_str = 0, found = 0;
	size_t i;

	*copy = NULL;
	for (i = 0; i < n; i++) {
		if (!in_str) {
			in_str = p[i] == '"';
			continue;
		}
		if (p[i] == '"') {
			in_str = 0;
		} else if (p[i] == '\\') {
			if (i + 5 < n && p[i + 1] == 'u' && memcmp(p + i + 2, "0000", 4) == 0) {
				if (*copy == NULL && (*copy = malloc(n)) == NULL)
					return -1;
				if (!found)
					memcpy(*copy, p, n);
				(*copy)[i + 5] = '1';
				found = 1;
			}
			i++;
		}
	}
	return found;
}

/* Nesting depth outside strings, without parsing: refuse deep input before
 * the parser recurses into it. */
static int too_deep(const char *p, size_t n)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
			continue;
		}
		if (ch == '"')
			in_str = 1;
		else if (ch == '{' || ch == '[') {
			if (++depth > MCP_DEPTH_MAX)
				return 1;
		} else if (ch == '}' || ch == ']')
			depth--;
	}
	return 0;
}

static void on_initialize(struct mcp_server *s, json_t *id, json_t *params)
{
	const char *want = NULL, *chosen = versions[0], *name = NULL;
	json_t *caps, *info, *res;
	size_t i;

	if (params != NULL && !json_is_object(params)) {
		mcp_send_error(s, id, -32602, "initialize: params must be an object");
		return;
	}
	if (params != NULL) {
		json_t *v = json_object_get(params, "protocolVersion");

		if (v != NULL && !json_is_string(v)) {
			mcp_send_error(s, id, -32602,
			               "initialize: protocolVersion must be a string");
			return;
		}
		want = json_string_value(v);
		info = json_object_get(params, "clientInfo");
		if (json_is_object(info))
			name = json_string_value(json_object_get(info, "name"));
	}
	for (i = 0; want != NULL && i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcmp(want, versions[i]) == 0)
			chosen = versions[i];
	snprintf(s->protocol, sizeof(s->protocol), "%s", chosen);
	if (name != NULL) {
		/* kept for the audit log: printable ASCII only, bounded */
		size_t k = 0;

		for (i = 0; name[i] != '\0' && k + 1 < sizeof(s->client_name); i++)
			if ((unsigned char)name[i] >= 0x20 && (unsigned char)name[i] < 0x7f)
				s->client_name[k++] = name[i];
		s->client_name[k] = '\0';
		/* the agent's audit entries name it too */
		sc_agent_set_client(s->client_name);
	}
	s->initialized = 1;
	caps = json_pack("{s:{s:b}}", "tools", "listChanged", 0);
	res = json_pack("{s:s,s:o,s:{s:s,s:s,s:s},s:s}", "protocolVersion", chosen, "capabilities",
	                caps, "serverInfo", "name", "secretctl", "title", "secretctl secrets vault",
	                "version", SC_VERSION, "instructions",
	                "Use secrets without seeing them. secret_list / secret_exists / "
	                "secret_list_fields show what exists (never values). To use a secret, "
	                "run a command with it injected as an environment variable: secret_run "
	                "(keys, command, args) or secret_run_with_bindings (key, command, args). "
	                "Output comes back with secret values redacted. Which commands may run is "
	                "decided by the user's policy; a denied command cannot be made to run by "
	                "rephrasing it.");
	mcp_send_result(s, id, res);
}

static void on_ping(struct mcp_server *s, json_t *id, json_t *params)
{
	(void)params;
	mcp_send_result(s, id, json_object());
}

static void on_tools_list(struct mcp_server *s, json_t *id, json_t *params)
{
	if (params != NULL && !json_is_object(params)) {
		mcp_send_error(s, id, -32602, "tools/list: params must be an object");
		return;
	}
	mcp_send_result(s, id, json_pack("{s:O}", "tools", s->tools));
}

/* The methods a request may name: each one's handler, and whether it needs
 * initialize first. Notifications are handled before this table. */
static const struct {
	const char *name;
	int needs_init;
	void (*fn)(struct mcp_server *s, json_t *id, json_t *params);
} methods[] = {
    {"ping", 0, on_ping},
    {"initialize", 0, on_initialize},
    {"tools/list", 1, on_tools_list},
    {"tools/call", 1, mcp_tools_call},
};

static void dispatch(struct mcp_server *s, json_t *msg)
{
	json_t *id = json_object_get(msg, "id"), *jv = json_object_get(msg, "jsonrpc");
	json_t *method = json_object_get(msg, "method"), *params = json_object_get(msg, "params");
	const char *m;
	size_t i;

	if (!json_is_string(jv) || strcmp(json_string_value(jv), "2.0") != 0) {
		mcp_send_error(s, json_is_string(id) || json_is_integer(id) ? id : NULL, -32600,
		               "invalid request: jsonrpc must be \"2.0\"");
		return;
	}
	if (method == NULL && (json_object_get(msg, "result") || json_object_get(msg, "error")))
		return; /* a response; we send no requests, so nothing waits for it */
	if (id != NULL && !json_is_string(id) && !json_is_integer(id)) {
		mcp_send_error(s, NULL, -32600,
		               "invalid request: id must be a string or an integer");
		return;
	}
	if (!json_is_string(method)) {
		if (id != NULL)
			mcp_send_error(s, id, -32600, "invalid request: method must be a string");
		return;
	}
	if (params != NULL && !json_is_object(params) && !json_is_array(params)) {
		if (id != NULL)
			mcp_send_error(s, id, -32600, "invalid request: params must be structured");
		return;
	}
	m = json_string_value(method);

	if (id == NULL) {
		/* Notifications never get an answer. */
		if (strcmp(m, "notifications/cancelled") == 0 && json_is_object(params))
			mcp_tools_cancel(s, json_object_get(params, "requestId"));
		return;
	}
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strcmp(m, methods[i].name) != 0)
			continue;
		if (methods[i].needs_init && !s->initialized) {
			mcp_send_error(s, id, -32600,
			               "server not initialized: send initialize first");
			return;
		}
		methods[i].fn(s, id, params);
		return;
	}
	if (!s->initialized) {
		mcp_send_error(s, id, -32600, "server not initialized: send initialize first");
		return;
	}
	mcp_send_error(s, id, -32601, "method not found");
}

void mcp_server_handle_line(struct mcp_server *s, const char *line, size_t len)
{
	json_error_t err;
	json_t *msg;
	char *copy;
	int nul;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len == 0)
		return; /* blank lines are not messages */
	if (too_deep(line, len)) {
		mcp_send_error(s, NULL, -32600, "invalid request: nested too deeply");
		return;
	}
	if ((nul = has_nul_escape(line, len, &copy)) != 0) {
		json_t *id;

		msg = nul > 0 ? json_loadb(copy, len, JSON_REJECT_DUPLICATES, &err) : NULL;
		free(copy);
		if (msg == NULL) {
			mcp_send_error(s, NULL, nul > 0 ? -32700 : -32603,
			               nul > 0 ? "parse error: invalid JSON" : "out of memory");
			return;
		}
		/* a notification gets no reply; an id that held the NUL is not
		 * its id */
		id = json_object_get(msg, "id");
		if (id != NULL && !(json_is_string(id) && strchr(json_string_value(id), '\1')))
			mcp_send_error(s, id, -32602,
			               "invalid params: a string holds \\u0000 (NUL), which is not "
			               "accepted");
		else if (id != NULL)
			mcp_send_error(s, NULL, -32602,
			               "invalid params: the id holds \\u0000 (NUL)");
		json_decref(msg);
		return;
	}
	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (msg == NULL) {
		mcp_send_error(s, NULL, -32700, "parse error: invalid JSON");
		return;
	}
	if (json_is_array(msg))
		mcp_send_error(s, NULL, -32600, "invalid request: batches are not supported");
	else if (!json_is_object(msg))
		mcp_send_error(s, NULL, -32600, "invalid request: not a JSON-RPC object");
	else
		dispatch(s, msg);
	json_decref(msg);
}

void mcp_server_handle_oversize(struct mcp_server *s)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "invalid request: message longer than %d bytes was discarded",
	         MCP_LINE_MAX);
	mcp_send_error(s, NULL, -32600, msg);
}

int mcp_server_serve(struct mcp_server *s, int in_fd)
{
	char *line, chunk[65536];
	size_t len = 0;
	int discarding = 0;
	ssize_t k;

	if ((line = malloc(MCP_LINE_MAX + 1)) == NULL)
		return SC_ERR_NOMEM;
	for (;;) {
		char *p, *nl;
		size_t avail;

		k = read(in_fd, chunk, sizeof(chunk));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		p = chunk;
		avail = (size_t)k;
		while (avail > 0) {
			size_t take;

			nl = memchr(p, '\n', avail);
			take = nl ? (size_t)(nl - p) : avail;
			if (!discarding) {
				if (len + take > MCP_LINE_MAX) {
					discarding = 1;
					len = 0;
				} else {
					memcpy(line + len, p, take);
					len += take;
				}
			}
			if (nl == NULL)
				break;
			if (discarding)
				mcp_server_handle_oversize(s);
			else
				mcp_server_handle_line(s, line, len);
			discarding = 0;
			len = 0;
			p = nl + 1;
			avail -= take + 1;
		}
	}
	if (len > 0 && !discarding)
		mcp_server_handle_line(s, line, len);
	free(line);
	mcp_tools_shutdown(s);
	return SC_OK;
}

int mcp_server_new(const struct mcp_config *cfg, struct mcp_server **out)
{
	struct mcp_server *s;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SC_ERR_NOMEM;
	s->cfg = *cfg;
	s->max_runs = MCP_RUNS_DEFAULT;
	pthread_mutex_init(&s->out_lock, NULL);
	pthread_mutex_init(&s->vault_lock, NULL);
	pthread_mutex_init(&s->jobs_lock, NULL);
	pthread_cond_init(&s->jobs_cond, NULL);
	if ((r = mcp_tools_init(s)) != SC_OK) {
		mcp_server_free(s);
		return r;
	}
	*out = s;
	return SC_OK;
}

void mcp_server_free(struct mcp_server *s)
{
	if (s == NULL)
		return;
	mcp_tools_free(s);
	pthread_mutex_destroy(&s->out_lock);
	pthread_mutex_destroy(&s->vault_lock);
	pthread_mutex_destroy(&s->jobs_lock);
	pthread_cond_destroy(&s->jobs_cond);
	free(s);
}
