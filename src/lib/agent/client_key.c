/* client_key.c - the client side of the agent's key operation: the
 * operation as one frame (the input as its attachment, straight from and
 * into secmem), the result back the same way. */
#include "agent/agent_int.h"
#include "secretctl/keyop.h"

static json_t *key_req(int origin, const char *tool, const struct sc_keyop *op)
{
	json_t *req = sc_agent_new_req(SC_AGENT_OP_KEY);
	uint8_t *enc = NULL;
	char *hex = NULL;
	size_t elen = 0;
	int bad = req == NULL;

	if (!bad && origin != SC_AGENT_ORIGIN_CLI)
		bad = json_object_set_new(req, "origin", json_integer(origin)) != 0 ||
		      sc_agent_add_caller(req, origin, tool) != 0;
	bad = bad || json_object_set_new(req, "kop", json_string(sc_keyop_kind_name(op->kind))) ||
	      json_object_set_new(req, "name", json_string(op->name));
	if (!bad && op->version)
		bad = json_object_set_new(req, "version", json_integer(op->version)) != 0;
	if (!bad && op->batch)
		bad = json_object_set_new(req, "batch", json_integer((json_int_t)op->batch)) != 0;
	if (!bad && op->aux != NULL)
		bad =
		    json_object_set_new(req, "aux_len", json_integer((json_int_t)op->aux_len)) != 0;
	if (!bad && op->passphrase != NULL)
		bad = json_object_set_new(req, "pp_len",
		                          json_integer((json_int_t)op->passphrase_len)) != 0;
	if (!bad && op->allow_compromised)
		bad = json_object_set_new(req, "allow_compromised", json_true()) != 0;
	if (!bad && op->wrapped_only)
		bad = json_object_set_new(req, "wrapped_only", json_true()) != 0;
	if (!bad && op->so.prehashed)
		bad = json_object_set_new(req, "prehashed", json_true()) != 0;
	if (!bad && op->so.scheme)
		bad = json_object_set_new(req, "scheme", json_integer(op->so.scheme)) != 0;
	if (!bad && op->so.format)
		bad = json_object_set_new(req, "format", json_integer(op->so.format)) != 0;
	if (!bad && sc_keys_ctx_count(op->ctx) > 0) {
		bad = sc_keys_ctx_encode(op->ctx, &enc, &elen) != SC_OK ||
		      (hex = malloc(2 * elen + 1)) == NULL;
		if (!bad) {
			sodium_bin2hex(hex, 2 * elen + 1, enc, elen);
			bad = json_object_set_new(req, "ctx", json_string(hex)) != 0;
		}
	}
	free(hex);
	free(enc);
	if (bad) {
		json_decref(req);
		return NULL;
	}
	return req;
}

static uint32_t u32_of(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int sc_agent_key(int fd, int origin, const char *tool, const struct sc_keyop *op,
                 struct sc_keyop_result *res)
{
	struct sc_keyop_result t;
	json_t *rep = NULL;
	uint8_t *att = NULL;
	const uint8_t *send = op->in;
	size_t alen = op->in_len + op->aux_len + (op->passphrase ? op->passphrase_len : 0), plen;
	json_int_t n;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&t, 0, sizeof(t));
	if ((r = sc_keyop_check(op)) != SC_OK)
		return r;
	if (alen > SC_AGENT_ATTACH_MAX) {
		sc_set_error("the input is larger than the agent takes in one request");
		return SC_ERR_TOOBIG;
	}
	if (op->aux != NULL || op->passphrase != NULL) {
		/* input, then aux, then the passphrase: one attachment, in secmem */
		if ((att = sc_secmem_alloc(alen ? alen : 1)) == NULL)
			return SC_ERR_NOMEM;
		if (op->in_len)
			memcpy(att, op->in, op->in_len);
		if (op->aux_len)
			memcpy(att + op->in_len, op->aux, op->aux_len);
		if (op->passphrase != NULL)
			memcpy(att + op->in_len + op->aux_len, op->passphrase, op->passphrase_len);
		send = att;
	}
	r = sc_agent_call(fd, key_req(origin, tool, op), send, alen, &rep);
	sc_secmem_free(att);
	if (r != SC_OK)
		return r;
	n = json_integer_value(json_object_get(rep, "attach"));
	plen = u32_of(rep, "plain");
	r = SC_ERR_CORRUPT;
	if (n < 0 || n > SC_AGENT_ATTACH_MAX || (size_t)n < plen ||
	    (plen != 0 && plen != SC_KEYS_DATAKEY_LEN)) {
		sc_set_error("the agent sent a malformed reply");
		goto out;
	}
	if (n > 0 && (r = sc_agent_recv_attach(fd, (size_t)n, &t.out)) != SC_OK)
		goto out;
	t.out_len = (size_t)n - plen;
	if (plen) {
		r = SC_ERR_NOMEM;
		if ((t.plain = sc_secmem_alloc(plen)) == NULL)
			goto out;
		memcpy(t.plain, t.out + t.out_len, plen);
		sc_wipe(t.out + t.out_len, plen);
	}
	t.info.version = u32_of(rep, "version");
	t.info.rotated = json_is_true(json_object_get(rep, "rotated"));
	t.info.compromised = u32_of(rep, "compromised"); /* the version, 0 none */
	t.alg = (int)u32_of(rep, "alg");
	*res = t;
	memset(&t, 0, sizeof(t));
	r = SC_OK;
out:
	sc_keyop_result_release(&t);
	json_decref(rep);
	return r;
}
