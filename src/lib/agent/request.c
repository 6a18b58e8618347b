/* request.c - the agent's strict request decoder, and the metadata view
 * of a secret the agent sends back (no values). */
#include "agent/agent_int.h"
#include "secretctl/keyop.h"

/* ---- the request decoder ---- */

static const char *const op_names[] = {
    [SC_AGENT_OP_STATUS] = "status",   [SC_AGENT_OP_LOCK] = "lock",
    [SC_AGENT_OP_UNLOCK] = "unlock",   [SC_AGENT_OP_LIST] = "list",
    [SC_AGENT_OP_EXISTS] = "exists",   [SC_AGENT_OP_FIELDS] = "fields",
    [SC_AGENT_OP_GET] = "get",         [SC_AGENT_OP_RUN] = "run",
    [SC_AGENT_OP_HISTORY] = "history", [SC_AGENT_OP_FORWARD] = "forward",
    [SC_AGENT_OP_KEY] = "key",
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
    "argv",        "keys",       "refs",      "env",         "cwd",    "prefix", "path",
    "env_alias",   "timeout_ms", "clean_env", "no_sanitize", "origin", "stream", "line_buffered",
    "capture_max", "stdin",      "exe",       "client",      "tool",   NULL,
};
static const char *const name_members[] = {"name", "origin", "client", "tool", NULL};
static const char *const list_members[] = {"origin", "known_gen", "known_vault", "client", NULL};
static const char *const unlock_members[] = {"timeout", "reveal", NULL};
static const char *const forward_members[] = {"argv", "env", "cwd", NULL};
static const char *const key_members[] = {
    "kop",       "name",   "ctx",    "version", "allow_compromised", "wrapped_only",
    "prehashed", "scheme", "format", "batch",   "aux_len",           "pp_len",
    "origin",    "client", "tool",   NULL,
};
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

static int printable_str(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
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

static void free_refs(struct sc_agent_req *q)
{
	size_t i;

	for (i = 0; i < q->nrefs; i++) {
		if (q->ref_vars != NULL)
			free(q->ref_vars[i]);
		if (q->ref_paths != NULL)
			free(q->ref_paths[i]);
	}
	free(q->ref_vars);
	free(q->ref_paths);
	free(q->refs);
}

/* "VAR=PATH" -> ref_vars[i], ref_paths[i], each checked. */
static int decode_refs(struct sc_agent_req *q)
{
	size_t i;

	if (q->nrefs == 0)
		return SC_OK;
	if ((q->ref_vars = calloc(q->nrefs, sizeof(char *))) == NULL ||
	    (q->ref_paths = calloc(q->nrefs, sizeof(char *))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < q->nrefs; i++) {
		const char *eq = strchr(q->refs[i], '=');

		if (eq == NULL)
			return SC_ERR_INVALID;
		if ((q->ref_vars[i] = strndup(q->refs[i], (size_t)(eq - q->refs[i]))) == NULL ||
		    (q->ref_paths[i] = strdup(eq + 1)) == NULL)
			return SC_ERR_NOMEM;
		if (sc_env_name_valid(q->ref_vars[i]) != SC_OK ||
		    sc_name_valid(q->ref_paths[i]) != SC_OK)
			return SC_ERR_INVALID;
	}
	return SC_OK;
}

static int decode_run(json_t *o, struct sc_agent_req *q)
{
	uint64_t u;
	size_t i;
	int r;

	if ((r = get_strv(o, "argv", 1, SC_AGENT_ARGS_MAX, &q->argv, &q->argc)) != SC_OK ||
	    (r = get_strv(o, "keys", 1, SC_AGENT_ARGS_MAX, &q->keys, &q->nkeys)) != SC_OK ||
	    (r = get_strv(o, "refs", 0, SC_AGENT_ARGS_MAX, &q->refs, &q->nrefs)) != SC_OK ||
	    (r = get_strv(o, "env", 0, SC_AGENT_ENV_MAX, &q->env, &q->nenv)) != SC_OK)
		return r;
	if (q->argc == 0 || q->argv[0][0] == '\0' || (q->nkeys == 0 && q->nrefs == 0))
		return SC_ERR_INVALID;
	for (i = 0; i < q->nkeys; i++)
		if (sc_glob_valid(q->keys[i]) != SC_OK)
			return SC_ERR_INVALID;
	if ((r = decode_refs(q)) != SC_OK)
		return r;
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

/* forward: a secretctl command line (no global option: the agent sets
 * the vault and the password's fd), the caller's environment and cwd. */
static int decode_forward(json_t *o, struct sc_agent_req *q)
{
	size_t i;
	int r;

	if ((r = get_strv(o, "argv", 1, SC_AGENT_ARGS_MAX, &q->argv, &q->argc)) != SC_OK ||
	    (r = get_strv(o, "env", 0, SC_AGENT_ENV_MAX, &q->env, &q->nenv)) != SC_OK ||
	    (r = get_str(o, "cwd", 1, PATH_MAX, &q->cwd)) != SC_OK)
		return r;
	if (q->argc == 0 || q->argv[0][0] == '\0' || q->argv[0][0] == '-' || q->cwd[0] != '/')
		return SC_ERR_INVALID;
	for (i = 0; i < q->nenv; i++)
		if (strchr(q->env[i], '=') == NULL)
			return SC_ERR_INVALID;
	return SC_OK;
}

/* key: the operation and its options, each bounded; the context pairs
 * checked as the keyring checks them. The input's shape (the batch's
 * items) is checked by sc_keyop_check before it is used. */
static int decode_key(json_t *o, struct sc_agent_req *q)
{
	const char *kop, *hex = NULL, *end = NULL;
	uint8_t *enc;
	size_t elen = 0;
	uint64_t u;
	int r;

	if ((r = get_str(o, "kop", 1, 16, &kop)) != SC_OK)
		return r;
	if (sc_keyop_kind_parse(kop, &q->kop) != SC_OK)
		return SC_ERR_INVALID;
	if ((r = get_str(o, "name", 1, SC_KEY_NAME_MAX, &q->name)) != SC_OK)
		return r;
	if (sc_keys_name_valid(q->name) != SC_OK) {
		sc_clear_error();
		return SC_ERR_NAME;
	}
	if ((r = get_uint(o, "version", UINT32_MAX, &u)) != SC_OK)
		return r;
	q->kversion = (uint32_t)u;
	if ((r = get_uint(o, "batch", SC_KEYOP_BATCH_MAX, &u)) != SC_OK)
		return r;
	q->batch = (size_t)u;
	if ((r = get_uint(o, "aux_len", SC_KEYOP_IN_MAX, &u)) != SC_OK)
		return r;
	q->aux_len = (size_t)u;
	if ((r = get_uint(o, "pp_len", SC_KEYOP_PP_MAX, &u)) != SC_OK)
		return r;
	q->pp_len = (size_t)u;
	/* the passphrase comes last in the attachment, for a signature only */
	if (q->aux_len > q->attach_len || q->pp_len > q->attach_len - q->aux_len ||
	    (q->pp_len > 0 && q->kop != SC_KEYOP_SIGN))
		return SC_ERR_INVALID;
	if ((r = get_uint(o, "scheme", SC_SIG_SCHEME_BIP340, &u)) != SC_OK)
		return r;
	q->scheme = (int)u;
	if ((r = get_uint(o, "format", SC_SIG_FMT_RAW, &u)) != SC_OK)
		return r;
	q->sig_format = (int)u;
	if ((r = get_bool(o, "allow_compromised", &q->allow_compromised)) != SC_OK ||
	    (r = get_bool(o, "wrapped_only", &q->wrapped_only)) != SC_OK ||
	    (r = get_bool(o, "prehashed", &q->prehashed)) != SC_OK)
		return r;
	/* the context's canonical encoding (keys.h), in hex: any value bytes
	 * travel, and only one form decodes */
	if ((r = get_str(o, "ctx", 0, 2 * SC_KEYS_CTX_ENCODED_MAX, &hex)) != SC_OK)
		return r;
	if (hex == NULL)
		return SC_OK;
	if ((enc = malloc(SC_KEYS_CTX_ENCODED_MAX)) == NULL)
		return SC_ERR_NOMEM;
	if (sodium_hex2bin(enc, SC_KEYS_CTX_ENCODED_MAX, hex, strlen(hex), NULL, &elen, &end) !=
	        0 ||
	    *end != '\0')
		r = SC_ERR_INVALID;
	else if ((r = sc_keys_ctx_decode(enc, elen, (struct sc_keys_ctx **)&q->kctx)) != SC_OK)
		r = SC_ERR_INVALID;
	else if (sc_keys_ctx_count(q->kctx) == 0) {
		/* the empty context travels as no "ctx": one form only */
		sc_keys_ctx_free((struct sc_keys_ctx *)q->kctx);
		q->kctx = NULL;
		r = SC_ERR_INVALID;
	}
	sc_clear_error();
	free(enc);
	return r;
}

/* A vault id as the list frames carry it: exactly 32 hex digits. */
int sc_agent_vault_id_from_hex(const char *vh, uint8_t out[SC_VAULT_ID_LEN])
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
	if (sc_agent_vault_id_from_hex(vh, q->known_vault) != SC_OK)
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
	case SC_AGENT_OP_HISTORY:
		members = name_members;
		break;
	case SC_AGENT_OP_UNLOCK:
		members = unlock_members;
		break;
	case SC_AGENT_OP_LIST:
		members = list_members;
		break;
	case SC_AGENT_OP_FORWARD:
		members = forward_members;
		break;
	case SC_AGENT_OP_KEY:
		members = key_members;
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
	/* who asks, for the audit: printable client, [a-z_] tool, MCP only */
	if ((r = get_str(o, "client", 0, SC_AUDIT_CLIENT_MAX, &q.client)) != SC_OK ||
	    (r = get_str(o, "tool", 0, SC_AGENT_TOOL_MAX, &q.tool)) != SC_OK)
		goto fail;
	r = SC_ERR_INVALID;
	if ((q.client != NULL || q.tool != NULL) && q.origin != SC_AGENT_ORIGIN_MCP)
		goto fail;
	if (q.client != NULL && !printable_str(q.client))
		goto fail;
	if (q.tool != NULL &&
	    (q.tool[0] == '\0' || strspn(q.tool, "abcdefghijklmnopqrstuvwxyz_") != strlen(q.tool)))
		goto fail;
	/* only unlock and forward carry an attachment (exactly the key, or a
	 * password), and a key operation may (its input) */
	if (q.op != SC_AGENT_OP_KEY &&
	    (q.op == SC_AGENT_OP_UNLOCK || q.op == SC_AGENT_OP_FORWARD) != (q.attach_len != 0))
		goto fail;
	/* unlock: the key, then (optional) the password, for the sanitizer */
	if (q.op == SC_AGENT_OP_UNLOCK &&
	    (q.attach_len < SC_KEY_LEN || q.attach_len > SC_KEY_LEN + SC_AGENT_PASSWORD_MAX))
		goto fail;
	if (q.op == SC_AGENT_OP_FORWARD && q.attach_len > SC_AGENT_PASSWORD_MAX)
		goto fail;
	switch (q.op) {
	case SC_AGENT_OP_EXISTS:
	case SC_AGENT_OP_FIELDS:
	case SC_AGENT_OP_GET:
	case SC_AGENT_OP_HISTORY:
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
	case SC_AGENT_OP_FORWARD:
		if ((r = decode_forward(o, &q)) != SC_OK)
			goto fail;
		break;
	case SC_AGENT_OP_KEY:
		if ((r = decode_key(o, &q)) != SC_OK)
			goto fail;
		break;
	default:
		break;
	}
	q.json = o;
	*req = q;
	return SC_OK;
fail:
	sc_keys_ctx_free(q.kctx);
	free(q.argv);
	free(q.keys);
	free_refs(&q);
	free(q.env);
	json_decref(o);
	return r;
}

void sc_agent_req_release(struct sc_agent_req *req)
{
	sc_keys_ctx_free(req->kctx);
	free(req->argv);
	free(req->keys);
	free_refs(req);
	free(req->env);
	json_decref(req->json);
	memset(req, 0, sizeof(*req));
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
