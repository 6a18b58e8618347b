/* tools.c - the MCP tool table: definitions, results, argument checks and
 * the dispatch of tools/call. The tools themselves are in tools_meta.c
 * (metadata, never a sensitive value) and tools_run.c (secret_run). */
#include "mcp/tools_int.h"

/* ---- tool definitions ---- */

/* The tool table: each tool's name, its handler, and the rest of its
 * definition (title, description, schemas, annotations) as one JSON object,
 * so a tool cannot be listed without a handler or called without a schema.
 * tools/list sends them in this order. */
static const struct mcp_tool {
	const char *name;
	void (*fn)(struct mcp_server *s, json_t *id, json_t *args);
	const char *def;
} tool_table[] = {
    {"secret_list", mcp_tool_list,
     "{\"title\":\"List secrets\","
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
     "\"openWorldHint\":false}}"},
    {"secret_exists", mcp_tool_exists,
     "{\"title\":\"Check a secret exists\","
     "\"description\":\"Tell whether a secret exists, with its metadata (tags, expiry, field "
     "count). Never returns its value.\","
     "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\","
     "\"description\":\"The secret's name, e.g. aws/access_key.\"}},\"required\":[\"key\"],"
     "\"additionalProperties\":false},"
     "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"exists\":{\"type\":\"boolean\"},"
     "\"key\":{\"type\":\"string\"}},\"required\":[\"exists\",\"key\"]},"
     "\"annotations\":{\"readOnlyHint\":true,\"destructiveHint\":false,\"idempotentHint\":true,"
     "\"openWorldHint\":false}}"},
    {"secret_get_masked", mcp_tool_masked,
     "{\"title\":\"Show a secret masked\","
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
     "\"openWorldHint\":false}}"},
    {"secret_list_fields", mcp_tool_list_fields,
     "{\"title\":\"List a secret's fields\","
     "\"description\":\"List the field names of a secret, whether each is sensitive, its hint, "
     "and the secret's environment bindings. Never returns values.\","
     "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\","
     "\"description\":\"The secret's name.\"}},\"required\":[\"key\"],"
     "\"additionalProperties\":false},"
     "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"},"
     "\"fields\":{\"type\":\"array\"},\"bindings\":{\"type\":\"object\"}},"
     "\"required\":[\"key\",\"fields\"]},"
     "\"annotations\":{\"readOnlyHint\":true,\"destructiveHint\":false,\"idempotentHint\":true,"
     "\"openWorldHint\":false}}"},
    {"secret_get_field", mcp_tool_get_field,
     "{\"title\":\"Read a non-sensitive field\","
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
     "\"openWorldHint\":false}}"},
    {"secret_run", mcp_tool_run,
     "{\"title\":\"Run a command with secrets\","
     "\"description\":\"Run a command with secrets injected as environment variables (the name "
     "upper-cased, '/', '-' and '.' turned into '_', e.g. aws/access_key -> AWS_ACCESS_KEY; "
     "other fields get NAME_FIELD; a secret's bindings override). You never see the values: "
     "stdout and stderr come back with them redacted as [REDACTED:VAR]. No shell is used: "
     "pass the program in command and its arguments in args. Arguments are never expanded: "
     "'$TOKEN' in args reaches the program as the text $TOKEN, not the value (the result then "
     "has a warning); a program that needs a value in an argument must read it from its "
     "environment, through a wrapper script the user allows (docs/POLICY.md, 'Values in "
     "arguments'). The user's policy decides which commands may run.\","
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
     "\"warnings\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
     "\"stdout_truncated\":{\"type\":\"boolean\"},\"stderr_truncated\":{\"type\":\"boolean\"},"
     "\"stdout_omitted_bytes\":{\"type\":\"integer\"},\"stderr_omitted_bytes\":{\"type\":"
     "\"integer\"},"
     "\"stdout_binary_bytes\":{\"type\":\"integer\"},\"stderr_binary_bytes\":{\"type\":\"integer\"}"
     "}"
     ","
     "\"required\":[\"exit_code\",\"stdout\",\"stderr\",\"duration_ms\",\"timed_out\"]},"
     "\"annotations\":{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":false,"
     "\"openWorldHint\":true}}"},
    {"secret_run_with_bindings", mcp_tool_run_bindings,
     "{\"title\":\"Run a command with a secret's "
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
     "\"warnings\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
     "\"stdout_truncated\":{\"type\":\"boolean\"},\"stderr_truncated\":{\"type\":\"boolean\"},"
     "\"stdout_omitted_bytes\":{\"type\":\"integer\"},\"stderr_omitted_bytes\":{\"type\":"
     "\"integer\"},"
     "\"stdout_binary_bytes\":{\"type\":\"integer\"},\"stderr_binary_bytes\":{\"type\":\"integer\"}"
     "}"
     ","
     "\"required\":[\"exit_code\",\"stdout\",\"stderr\",\"duration_ms\",\"timed_out\"]},"
     "\"annotations\":{\"readOnlyHint\":false,\"destructiveHint\":true,\"idempotentHint\":false,"
     "\"openWorldHint\":true}}"},
    {"key_list", mcp_tool_key_list,
     "{\"title\":\"List the keys you may use\","
     "\"description\":\"List the named keys the user's policy lets you use, with the "
     "operations allowed on each (encrypt, datakey, sign), whether each signature asks the "
     "user (confirm), the key's type and newest version. Never returns key material.\","
     "\"inputSchema\":{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false},"
     "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"keys\":{\"type\":\"array\"}},"
     "\"required\":[\"keys\"]},"
     "\"annotations\":{\"readOnlyHint\":true,\"destructiveHint\":false,\"idempotentHint\":true,"
     "\"openWorldHint\":false}}"},
    {"key_encrypt", mcp_tool_key_encrypt,
     "{\"title\":\"Encrypt with a named key\","
     "\"description\":\"Encrypt data with a named key the policy allows, under an encryption "
     "context the policy allows. Returns an sc:v1 ciphertext text; there is no decrypt tool.\","
     "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
     "\"key\":{\"type\":\"string\",\"description\":\"The key's name (see key_list).\"},"
     "\"plaintext\":{\"type\":\"string\",\"description\":\"The data as text.\"},"
     "\"plaintext_base64\":{\"type\":\"string\",\"description\":\"Or the data in base64.\"},"
     "\"context\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":"
     "\"Encryption context pairs k=v (bound to the ciphertext).\"}},"
     "\"required\":[\"key\"],\"additionalProperties\":false},"
     "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"},"
     "\"version\":{\"type\":\"integer\"},\"ciphertext\":{\"type\":\"string\"}},"
     "\"required\":[\"key\",\"version\",\"ciphertext\"]},"
     "\"annotations\":{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
     "\"openWorldHint\":false}}"},
    {"key_datakey", mcp_tool_key_datakey,
     "{\"title\":\"Make a wrapped data key\","
     "\"description\":\"Make a fresh 256-bit data key wrapped by a named key the policy "
     "allows, under an allowed encryption context. Only the wrapped form is returned, never "
     "the plaintext key.\","
     "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
     "\"key\":{\"type\":\"string\",\"description\":\"The key's name (see key_list).\"},"
     "\"context\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":"
     "\"Encryption context pairs k=v.\"}},"
     "\"required\":[\"key\"],\"additionalProperties\":false},"
     "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"},"
     "\"version\":{\"type\":\"integer\"},\"wrapped\":{\"type\":\"string\"}},"
     "\"required\":[\"key\",\"version\",\"wrapped\"]},"
     "\"annotations\":{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
     "\"openWorldHint\":false}}"},
    {"key_sign", mcp_tool_key_sign,
     "{\"title\":\"Sign with a named key\","
     "\"description\":\"Sign a message with a named signing key the policy allows. A key the "
     "policy marks confirm: always asks the user for every signature (showing the key, your "
     "client's name and the message's SHA-256) and is refused when they decline.\","
     "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
     "\"key\":{\"type\":\"string\",\"description\":\"The key's name (see key_list).\"},"
     "\"message\":{\"type\":\"string\",\"description\":\"The message as text.\"},"
     "\"message_base64\":{\"type\":\"string\",\"description\":\"Or in base64.\"},"
     "\"prehashed\":{\"type\":\"string\",\"description\":\"sha256: the message is a "
     "32-byte SHA-256 digest (ECDSA, BIP-340).\"},"
     "\"scheme\":{\"type\":\"string\",\"description\":\"eddsa, ecdsa or bip340.\"},"
     "\"format\":{\"type\":\"string\",\"description\":\"ECDSA: der or raw.\"}},"
     "\"required\":[\"key\"],\"additionalProperties\":false},"
     "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"},"
     "\"version\":{\"type\":\"integer\"},\"signature_base64\":{\"type\":\"string\"}},"
     "\"required\":[\"key\",\"version\",\"signature_base64\"]},"
     "\"annotations\":{\"readOnlyHint\":false,\"destructiveHint\":false,\"idempotentHint\":false,"
     "\"openWorldHint\":false}}"},
};

/* Say at start-up when the policy is invalid (every run reads it again). */
static void policy_warn(struct mcp_server *s)
{
	struct sc_run_plan plan;
	int r;

	if (s->cfg.policy_in_agent)
		return; /* the agent reads it, at each run */
	r = sc_run_plan_begin(&plan, s->cfg.vault_dir, SC_RUN_ORIGIN_MCP, "true", "/bin/true", NULL,
	                      0, NULL, 0, NULL);

	if (r != SC_OK && plan.invalid)
		fprintf(stderr, "secretctl mcp-server: invalid policy, runs are disabled: %s\n",
		        plan.reason);
	sc_run_plan_release(&plan);
}

int mcp_tools_init(struct mcp_server *s)
{
	json_error_t err;
	size_t i;
	json_t *t;

	if ((s->tools = json_array()) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < sizeof(tool_table) / sizeof(tool_table[0]); i++) {
		if ((t = json_loads(tool_table[i].def, 0, &err)) == NULL ||
		    json_object_get(t, "name") != NULL ||
		    json_object_get(t, "inputSchema") == NULL ||
		    json_object_set_new(t, "name", json_string(tool_table[i].name)) != 0) {
			json_decref(t);
			return SC_ERR_INTERNAL;
		}
		json_array_append_new(s->tools, t);
	}
	policy_warn(s);
	return SC_OK;
}

/* ---- argument checking ---- */

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
	for (i = 0; i < sizeof(tool_table) / sizeof(tool_table[0]); i++)
		if (strcmp(json_string_value(name), tool_table[i].name) == 0) {
			tool_table[i].fn(s, id, args);
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
	s->shutting_down = 1; /* no run starts after this (an approved one) */
	for (j = s->jobs; j != NULL; j = j->next)
		if (!j->done && write(j->ctl[1], &zero, 1) != 1) {
			/* already ending */
		}
	while (s->njobs_running > 0)
		pthread_cond_wait(&s->jobs_cond, &s->jobs_lock);
	pthread_mutex_unlock(&s->jobs_lock);
	mcp_jobs_reap(s);
}

void mcp_tools_free(struct mcp_server *s)
{
	mcp_tools_shutdown(s);
	json_decref(s->tools);
	s->tools = NULL;
	sc_redact_cache_free(s->redact);
	s->redact = NULL;
	free(s->list_cache.result);
	free(s->list_cache.tag);
	if (s->vault != NULL)
		sc_vault_close(s->vault);
	s->vault = NULL;
}
