/* ops_key.c - the agent's key operation: the named key's material is used
 * here, in the agent's locked memory, by the library's one table
 * (keyop.h), and the result and its audit entry come out as they would in
 * process. */
#include "agent/agent_int.h"
#include "secretctl/keyop.h"

/* What a request from the MCP server may never get: a plaintext. */
static int mcp_refuses(const struct sc_agent_req *q)
{
	if (q->origin != SC_AGENT_ORIGIN_MCP)
		return 0;
	return q->kop == SC_KEYOP_DECRYPT || (q->kop == SC_KEYOP_DATAKEY && !q->wrapped_only);
}

static int reply_result(int fd, const struct sc_keyop_result *res)
{
	json_t *m = json_pack("{s:I,s:b,s:I,s:i}", "version", (json_int_t)res->info.version,
	                      "rotated", res->info.rotated, "compromised",
	                      (json_int_t)res->info.compromised, "alg", res->alg);
	uint8_t *att = NULL;
	size_t alen = res->out_len + (res->plain != NULL ? SC_KEYS_DATAKEY_LEN : 0);
	int r;

	if (m == NULL)
		return SC_ERR_NOMEM;
	if (res->plain != NULL) {
		/* the wrapped key, then the plaintext one: one attachment */
		json_object_set_new(m, "plain", json_integer(SC_KEYS_DATAKEY_LEN));
		if ((att = sc_secmem_alloc(alen)) == NULL) {
			json_decref(m);
			return SC_ERR_NOMEM;
		}
		memcpy(att, res->out, res->out_len);
		memcpy(att + res->out_len, res->plain, SC_KEYS_DATAKEY_LEN);
	}
	if (alen > SC_AGENT_ATTACH_MAX) {
		sc_secmem_free(att);
		json_decref(m);
		return agent_reply_err(fd, SC_ERR_TOOBIG, "the result is larger than one reply");
	}
	r = agent_reply(fd, m, att != NULL ? att : res->out, alen);
	sc_secmem_free(att);
	return r;
}

int agent_op_key(struct agent *a, int fd, const struct sc_agent_req *q)
{
	struct sc_keyop_who who = {agent_audit_source(q->origin), NULL};
	struct sc_keyop_result res;
	struct sc_keyring *kr = NULL;
	struct sc_key_meta meta;
	struct sc_keyop op;
	uint8_t *att = NULL;
	const char *aop;
	uint64_t gen0;
	int r, st;

	memset(&res, 0, sizeof(res));
	/* the input first, locked or not: the stream stays in step */
	if (q->attach_len > 0 && (r = sc_agent_recv_attach(fd, q->attach_len, &att)) != SC_OK)
		return r;
	memset(&op, 0, sizeof(op));
	op.kind = q->kop;
	op.name = q->name;
	op.ctx = q->kctx;
	op.version = q->kversion;
	op.allow_compromised = q->allow_compromised;
	op.wrapped_only = q->wrapped_only;
	op.so.scheme = (enum sc_sig_scheme)q->scheme;
	op.so.format = (enum sc_sig_format)q->sig_format;
	op.so.prehashed = q->prehashed;
	op.batch = q->batch;
	if (att != NULL) {
		op.in = att;
		op.in_len = q->attach_len - q->aux_len;
		if (q->aux_len > 0 || q->kop == SC_KEYOP_VERIFY || q->kop == SC_KEYOP_HMAC_VERIFY) {
			op.aux = att + op.in_len;
			op.aux_len = q->aux_len;
		}
	} else if (q->kop == SC_KEYOP_VERIFY || q->kop == SC_KEYOP_HMAC_VERIFY) {
		op.aux = (const uint8_t *)""; /* an empty one, refused as wrong */
	} else if (q->kop != SC_KEYOP_DATAKEY && q->kop != SC_KEYOP_PUBKEY) {
		op.in = (const uint8_t *)""; /* an empty message or plaintext */
	}
	if ((r = sc_keyop_check(&op)) != SC_OK) {
		r = agent_reply_err(fd, r, "malformed key request (%s)", sc_strerror(r));
		goto out;
	}
	if (mcp_refuses(q)) {
		r = agent_reply_err(fd, SC_ERR_DENIED,
		                    "no plaintext leaves the agent for the MCP server (%s)",
		                    sc_keyop_kind_name(q->kop));
		goto out;
	}
	/* a compromised version is used only where a person says so and is
	 * told loudly: never for the MCP server, whatever its policy */
	if (q->origin == SC_AGENT_ORIGIN_MCP && q->allow_compromised) {
		r = agent_reply_err(fd, SC_ERR_DENIED,
		                    "the MCP server never uses a compromised key version");
		goto out;
	}
	pthread_mutex_lock(&a->lock);
	if (a->vault == NULL) {
		pthread_mutex_unlock(&a->lock);
		r = agent_reply_err(fd, SC_ERR_LOCKED, AGENT_LOCKED_MSG);
		goto out;
	}
	a->last_use = agent_now_s();
	if (q->origin == SC_AGENT_ORIGIN_MCP)
		who.client = q->client;
	aop = q->origin == SC_AGENT_ORIGIN_MCP && q->tool != NULL ? q->tool
	                                                          : sc_keyop_audit_op(q->kop);
	if ((st = sc_vault_keyring_load(a->vault, &kr)) != SC_OK) {
		pthread_mutex_unlock(&a->lock);
		r = agent_reply_status(fd, st);
		goto out;
	}
	/* a key in a token is used where its PIN is: by the caller */
	if (sc_keyring_key_meta(kr, q->name, &meta) == SC_OK && (meta.flags & SC_KEY_IN_TOKEN)) {
		pthread_mutex_unlock(&a->lock);
		r = agent_reply_err(fd, SC_ERR_TOKEN,
		                    "key '%s' lives in a token: the agent does not use it",
		                    q->name);
		goto out;
	}
	sc_clear_error();
	gen0 = sc_keyring_generation(kr);
	st = sc_keyop_apply(kr, &op, (int64_t)time(NULL), &res);
	st = sc_keyop_commit(a->vault, kr, gen0, &who, aop, q->name, &res.info, st);
	pthread_mutex_unlock(&a->lock);
	if (st != SC_OK) {
		r = agent_reply_status(fd, st);
		goto out;
	}
	r = reply_result(fd, &res);
out:
	sc_keyop_result_release(&res);
	sc_keyring_free(kr);
	sc_secmem_free(att);
	return r;
}
