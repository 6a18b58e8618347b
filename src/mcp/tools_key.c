/* tools_key.c - the MCP key tools: key_list, key_encrypt, key_datakey
 * (wrapped only) and key_sign, for the keys the policy's keys: section
 * names. Nothing here ever decrypts to a plaintext or exports a key; the
 * operation runs in the agent when one is unlocked, else here with the
 * server's key, through the library's one table and commit (keyop.h). */
#include <pthread.h>
#include <sodium.h>

#include "mcp/elicit.h"
#include "mcp/tools_int.h"
#include "secretctl/keyop.h"
#include "secretctl/policy.h"

/* The policy as the file says now (NULL: no file, which denies). An
 * unreadable or invalid file fails the call. */
static int load_policy(struct mcp_server *s, json_t *id, const char *tool, struct sc_policy **p)
{
	char path[4096], err[512] = "";
	int r;

	*p = NULL;
	if (s->cfg.policy_in_agent) {
		mcp_send_tool_error(s, id,
		                    "%s: the vault's policy belongs to its run user; the key tools "
		                    "are not offered for such a vault",
		                    tool);
		return SC_ERR_DENIED;
	}
	snprintf(path, sizeof(path), "%s/%s", s->cfg.vault_dir, SC_POLICY_FILE);
	r = sc_policy_load(path, p, err, sizeof(err));
	sc_clear_error();
	if (r == SC_ERR_NOT_FOUND)
		return SC_OK;
	if (r != SC_OK)
		mcp_send_tool_error(s, id, "%s: the policy cannot be used: %s", tool, err);
	return r;
}

/* Run op: in the agent when one is unlocked (it audits), else here. SC_OK
 * and *res, or a status; -1 when the error was already sent (no key). */
static int key_do(struct mcp_server *s, json_t *id, const char *tool, const struct sc_keyop *op,
                  struct sc_keyop_result *res)
{
	struct sc_keyop_who who = {SC_AUDIT_SRC_MCP, s->client_name[0] ? s->client_name : NULL};
	struct sc_keyring *kr = NULL;
	struct sc_vault *v;
	uint64_t gen0;
	int fd = mcp_agent_conn(s), st;

	memset(res, 0, sizeof(*res));
	if (fd >= 0) {
		st = sc_agent_key(fd, SC_AGENT_ORIGIN_MCP, tool, op, res);
		close(fd);
		if (st != SC_ERR_LOCKED)
			return st;
		sc_clear_error();
	}
	if ((v = mcp_vault_acquire(s, id)) == NULL)
		return -1;
	if ((st = sc_vault_keyring_load(v, &kr)) == SC_OK) {
		gen0 = sc_keyring_generation(kr);
		st = sc_keyop_apply(kr, op, (int64_t)time(NULL), res);
		st = sc_keyop_commit(v, kr, gen0, &who, tool, op->name, &res->info, st);
		if (st != SC_OK)
			sc_keyop_result_release(res);
	}
	sc_keyring_free(kr);
	mcp_vault_release(s);
	return st;
}

static void send_failure(struct mcp_server *s, json_t *id, const char *tool, const char *name,
                         int st)
{
	const char *d = sc_last_error();

	if (st < 0)
		return;
	if (st == SC_ERR_NOT_FOUND && d[0] == '\0')
		mcp_send_tool_error(s, id, "%s: no key '%s'", tool, name);
	else
		mcp_send_tool_error(s, id, "%s: key '%s': %s", tool, name,
		                    d[0] != '\0' ? d : sc_strerror(st));
	sc_clear_error();
}

/* context: ["k=v", ...] into *ctx (NULL when absent or empty). */
static const char *parse_ctx(json_t *args, struct sc_keys_ctx **ctx)
{
	json_t *a = json_object_get(args, "context"), *e;
	size_t i;

	*ctx = NULL;
	if (a == NULL || json_array_size(a) == 0)
		return NULL;
	if (json_array_size(a) > SC_KEYS_CTX_PAIRS_MAX)
		return "too many context pairs";
	if (sc_keys_ctx_new(ctx) != SC_OK)
		return "out of memory";
	json_array_foreach(a, i, e)
	{
		const char *kv = json_string_value(e);

		if (strchr(kv, '=') == NULL || sc_keys_ctx_add_kv(*ctx, kv) != SC_OK) {
			sc_clear_error();
			sc_keys_ctx_free(*ctx);
			*ctx = NULL;
			return "each context entry must be k=v, each key once";
		}
	}
	return NULL;
}

/* The data: text as given, or base64 (standard), into secmem. */
static const char *parse_data(json_t *args, const char *text_key, const char *b64_key,
                              uint8_t **out, size_t *len)
{
	const char *t = mcp_arg_str(args, text_key), *b = mcp_arg_str(args, b64_key);
	size_t n = 0;

	*out = NULL;
	*len = 0;
	if ((t == NULL) == (b == NULL))
		return "give exactly one of the text and the base64 form";
	n = t != NULL ? strlen(t) : strlen(b);
	if ((*out = sc_secmem_alloc(n + 1)) == NULL)
		return "out of memory";
	if (t != NULL) {
		memcpy(*out, t, n);
		*len = n;
		return NULL;
	}
	if (sodium_base642bin(*out, n + 1, b, n, NULL, len, NULL, sodium_base64_VARIANT_ORIGINAL) !=
	    0) {
		sc_secmem_free(*out);
		*out = NULL;
		return "not base64";
	}
	return NULL;
}

/* ---- key_list ---- */

static json_t *ops_json(unsigned ops)
{
	json_t *a = json_array();

	if (ops & SC_POLICY_KEY_ENCRYPT)
		json_array_append_new(a, json_string("encrypt"));
	if (ops & SC_POLICY_KEY_DATAKEY)
		json_array_append_new(a, json_string("datakey"));
	if (ops & SC_POLICY_KEY_SIGN)
		json_array_append_new(a, json_string("sign"));
	return a;
}

void mcp_tool_key_list(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const strings[] = {NULL}, *const none[] = {NULL};
	struct sc_policy *p = NULL;
	const char *bad = mcp_check_args(args, strings, NULL, none), *name;
	json_t *keys = json_array();
	unsigned ops;
	size_t i;
	int confirm;

	if (bad != NULL) {
		json_decref(keys);
		mcp_send_error(s, id, -32602, bad);
		return;
	}
	if (load_policy(s, id, "key_list", &p) != SC_OK) {
		json_decref(keys);
		return;
	}
	for (i = 0; (name = sc_policy_key_at(p, i, &ops, &confirm)) != NULL; i++) {
		struct sc_keyop op = {.kind = SC_KEYOP_INFO, .name = name};
		struct sc_keyop_result res;
		json_t *k = json_pack("{s:s,s:o,s:b}", "name", name, "operations", ops_json(ops),
		                      "confirm", confirm);
		int st = key_do(s, id, "key_list", &op, &res);

		if (st < 0) {
			json_decref(k);
			json_decref(keys);
			sc_policy_free(p);
			return;
		}
		if (st == SC_OK) {
			json_object_set_new(k, "type",
			                    json_stringn((const char *)res.out, res.out_len));
			json_object_set_new(k, "version", json_integer(res.info.version));
		} else {
			/* named by the policy, but not in the keyring (or unusable) */
			json_object_set_new(k, "available", json_false());
			sc_clear_error();
		}
		sc_keyop_result_release(&res);
		json_array_append_new(keys, k);
	}
	sc_policy_free(p);
	mcp_send_tool_result(s, id, json_pack("{s:o}", "keys", keys));
}

/* ---- key_encrypt and key_datakey ---- */

static void encrypt_or_datakey(struct mcp_server *s, json_t *id, json_t *args, int datakey)
{
	static const char *const strings_e[] = {"key", "plaintext", "plaintext_base64", NULL},
	                         *const strings_d[] = {"key", NULL},
	                         *const arrays[] = {"context", NULL}, *const req[] = {"key", NULL};
	const char *tool = datakey ? "key_datakey" : "key_encrypt";
	const char *bad = mcp_check_args(args, datakey ? strings_d : strings_e, arrays, req);
	const char *name = mcp_arg_str(args, "key");
	struct sc_keyop_result res;
	struct sc_keys_ctx *ctx = NULL;
	struct sc_policy *p = NULL;
	struct sc_keyop op;
	uint8_t *pt = NULL;
	size_t len = 0;
	char why[512];
	int st;

	memset(&res, 0, sizeof(res));
	if (bad == NULL && sc_keys_name_valid(name) != SC_OK)
		bad = "key is not a valid key name";
	sc_clear_error();
	if (bad == NULL)
		bad = parse_ctx(args, &ctx);
	if (bad == NULL && !datakey)
		bad = parse_data(args, "plaintext", "plaintext_base64", &pt, &len);
	if (bad != NULL) {
		mcp_send_error(s, id, -32602, bad);
		goto out;
	}
	if (load_policy(s, id, tool, &p) != SC_OK)
		goto out;
	if (sc_policy_check_key(p, name, datakey ? SC_POLICY_KEY_DATAKEY : SC_POLICY_KEY_ENCRYPT,
	                        ctx, NULL, why, sizeof(why)) != SC_OK) {
		mcp_send_tool_error(s, id, "%s: denied by policy: %s", tool, why);
		goto out;
	}
	memset(&op, 0, sizeof(op));
	op.kind = datakey ? SC_KEYOP_DATAKEY : SC_KEYOP_ENCRYPT;
	op.name = name;
	op.ctx = ctx;
	op.wrapped_only = 1; /* never the plaintext data key */
	op.in = pt;
	op.in_len = len;
	if ((st = key_do(s, id, tool, &op, &res)) != SC_OK) {
		send_failure(s, id, tool, name, st);
		goto out;
	}
	mcp_send_tool_result(
	    s, id,
	    json_pack("{s:s,s:I,s:s%}", "key", name, "version", (json_int_t)res.info.version,
	              datakey ? "wrapped" : "ciphertext", (const char *)res.out, res.out_len));
out:
	sc_keyop_result_release(&res);
	sc_secmem_free(pt);
	sc_keys_ctx_free(ctx);
	sc_policy_free(p);
}

void mcp_tool_key_encrypt(struct mcp_server *s, json_t *id, json_t *args)
{
	encrypt_or_datakey(s, id, args, 0);
}

void mcp_tool_key_datakey(struct mcp_server *s, json_t *id, json_t *args)
{
	encrypt_or_datakey(s, id, args, 1);
}

/* ---- key_sign ---- */

struct sign_job {
	struct mcp_server *s;
	json_t *id;
	char name[SC_KEY_NAME_MAX + 1];
	struct sc_keyop op;
	uint8_t *msg; /* secmem */
	size_t len;
	int confirm;
	uint32_t ask_ms;
};

static void sign_job_free(struct sign_job *j)
{
	sc_secmem_free(j->msg);
	json_decref(j->id);
	free(j);
}

static json_t *confirm_schema(void)
{
	return json_pack("{s:s,s:{s:{s:s,s:s,s:[s,s],s:[s,s]}},s:[s]}", "type", "object",
	                 "properties", "decision", "type", "string", "title",
	                 "Sign this message with this key?", "enum", "sign", "deny", "enumNames",
	                 "Sign it once", "Deny", "required", "decision");
}

/* confirm: always. The user sees the key, the program asking (the MCP
 * client's name) and the message's SHA-256; only an accepted answer of
 * exactly {"decision": "sign"} signs. */
static const char *ask_user(struct sign_job *j)
{
	uint8_t dg[32];
	char hex[65], msg[1024];
	json_t *content = NULL, *d;
	int out, ok;

	if (!j->s->client_elicit)
		return "key_sign: this key asks the user for every signature (confirm: always), "
		       "and this MCP client cannot ask (no elicitation); nothing was signed";
	crypto_hash_sha256(dg, j->msg, j->len);
	sodium_bin2hex(hex, sizeof(hex), dg, sizeof(dg));
	snprintf(msg, sizeof(msg),
	         "The MCP client '%s' asks to sign with key '%s'.\n"
	         "Message: %zu bytes, SHA-256 %s%s.\n"
	         "Sign it?",
	         j->s->client_name[0] ? j->s->client_name : "(unnamed)", j->name, j->len, hex,
	         j->op.so.prehashed ? " (the message is itself a SHA-256 digest)" : "");
	out = mcp_elicit(j->s, -1, msg, confirm_schema(), j->ask_ms, &content);
	d = json_object_get(content, "decision");
	ok = out == MCP_ELICIT_ACCEPT && json_is_object(content) &&
	     json_object_size(content) == 1 && json_is_string(d) &&
	     strcmp(json_string_value(d), "sign") == 0;
	json_decref(content);
	if (ok)
		return NULL;
	switch (out) {
	case MCP_ELICIT_ACCEPT:
	case MCP_ELICIT_DECLINE:
		return "key_sign: the user refused the signature; nothing was signed";
	case MCP_ELICIT_TIMEOUT:
		return "key_sign: the user did not answer in time; nothing was signed";
	default:
		return "key_sign: the confirmation did not complete; nothing was signed";
	}
}

static void sign_now(struct sign_job *j)
{
	struct sc_keyop_result res;
	char b64[sodium_base64_ENCODED_LEN(SC_SIG_MAX, sodium_base64_VARIANT_ORIGINAL)];
	const char *refused;
	int st;

	if (j->confirm && (refused = ask_user(j)) != NULL) {
		const char *names[1] = {j->name};
		int held;

		/* with the key here the refusal is recorded (through the agent,
		 * nothing reached it) */
		pthread_mutex_lock(&j->s->vault_lock);
		held = j->s->vault != NULL;
		pthread_mutex_unlock(&j->s->vault_lock);
		if (held)
			(void)mcp_audit(j->s, "key_sign", names, 1, NULL, SC_ERR_DENIED);
		mcp_send_tool_error(j->s, j->id, "%s", refused);
		return;
	}
	j->op.name = j->name;
	j->op.in = j->msg;
	j->op.in_len = j->len;
	/* the user said yes to this signature (confirm: always): what a key
	 * made with --confirm needs, with the key here (the agent takes no
	 * one's word for it and refuses such a key) */
	j->op.confirmed = j->confirm;
	if ((st = key_do(j->s, j->id, "key_sign", &j->op, &res)) != SC_OK) {
		send_failure(j->s, j->id, "key_sign", j->name, st);
		return;
	}
	if (res.out_len > SC_SIG_MAX) {
		sc_keyop_result_release(&res);
		mcp_send_tool_error(j->s, j->id, "key_sign: a malformed signature");
		return;
	}
	sodium_bin2base64(b64, sizeof(b64), res.out, res.out_len, sodium_base64_VARIANT_ORIGINAL);
	mcp_send_tool_result(j->s, j->id,
	                     json_pack("{s:s,s:I,s:s}", "key", j->name, "version",
	                               (json_int_t)res.info.version, "signature_base64", b64));
	sc_keyop_result_release(&res);
}

static void *sign_thread(void *arg)
{
	struct sign_job *j = arg;
	struct mcp_server *s = j->s;

	sign_now(j);
	sign_job_free(j);
	pthread_mutex_lock(&s->jobs_lock);
	s->njobs_running--;
	pthread_cond_broadcast(&s->jobs_cond);
	pthread_mutex_unlock(&s->jobs_lock);
	return NULL;
}

void mcp_tool_key_sign(struct mcp_server *s, json_t *id, json_t *args)
{
	static const char *const strings[] = {"key",    "message",   "message_base64",
	                                      "scheme", "prehashed", "format",
	                                      NULL},
	                         *const req[] = {"key", NULL};
	const char *bad = mcp_check_args(args, strings, NULL, req);
	const char *name = mcp_arg_str(args, "key"), *v;
	struct sc_policy_limits lim;
	struct sc_policy *p = NULL;
	struct sign_job *j = NULL;
	pthread_attr_t attr;
	pthread_t t;
	char why[512];

	if (bad == NULL && sc_keys_name_valid(name) != SC_OK)
		bad = "key is not a valid key name";
	sc_clear_error();
	if (bad == NULL && (j = calloc(1, sizeof(*j))) == NULL)
		bad = "out of memory";
	if (bad == NULL) {
		snprintf(j->name, sizeof(j->name), "%s", name);
		j->op.kind = SC_KEYOP_SIGN;
		if ((v = mcp_arg_str(args, "scheme")) != NULL &&
		    sc_sig_scheme_from_name(v, &j->op.so.scheme) != SC_OK)
			bad = "scheme must be eddsa, ecdsa or bip340";
		if ((v = mcp_arg_str(args, "format")) != NULL)
			j->op.so.format =
			    strcmp(v, "der") == 0 ? SC_SIG_FMT_DER
			    : strcmp(v, "raw") == 0
			        ? SC_SIG_FMT_RAW
			        : (bad = "format must be der or raw", SC_SIG_FMT_DEFAULT);
		if ((v = mcp_arg_str(args, "prehashed")) != NULL) {
			if (strcmp(v, "sha256") != 0)
				bad = "prehashed must be sha256";
			j->op.so.prehashed = 1;
		}
		sc_clear_error();
	}
	if (bad == NULL)
		bad = parse_data(args, "message", "message_base64", &j->msg, &j->len);
	if (bad != NULL) {
		if (j != NULL)
			sign_job_free(j);
		mcp_send_error(s, id, -32602, bad);
		return;
	}
	if (load_policy(s, id, "key_sign", &p) != SC_OK) {
		sign_job_free(j);
		return;
	}
	if (sc_policy_check_key(p, name, SC_POLICY_KEY_SIGN, NULL, &j->confirm, why, sizeof(why)) !=
	    SC_OK) {
		sc_policy_free(p);
		sign_job_free(j);
		mcp_send_tool_error(s, id, "key_sign: denied by policy: %s", why);
		return;
	}
	sc_policy_limits(p, &lim);
	sc_policy_free(p);
	j->ask_ms = lim.ask_timeout_sec * 1000u;
	j->s = s;
	j->id = json_incref(id);
	if (!j->confirm) {
		sign_now(j);
		sign_job_free(j);
		return;
	}
	/* the user's answer comes on the thread that reads requests: wait
	 * for it on another one */
	pthread_mutex_lock(&s->jobs_lock);
	if (s->shutting_down || s->njobs_running >= lim.max_concurrent) {
		pthread_mutex_unlock(&s->jobs_lock);
		sign_job_free(j);
		mcp_send_tool_error(s, id, "key_sign: too many calls in progress; try again");
		return;
	}
	s->njobs_running++;
	pthread_mutex_unlock(&s->jobs_lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, sign_thread, j) != 0) {
		pthread_attr_destroy(&attr);
		sign_job_free(j);
		pthread_mutex_lock(&s->jobs_lock);
		s->njobs_running--;
		pthread_cond_broadcast(&s->jobs_cond);
		pthread_mutex_unlock(&s->jobs_lock);
		mcp_send_tool_error(s, id, "key_sign: cannot start the confirmation");
		return;
	}
	pthread_attr_destroy(&attr);
}
