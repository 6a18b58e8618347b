/* keyop.c - one named-key operation applied to a keyring by one table,
 * and its commit (keyring saved with its audit entry): the single path the
 * CLI, the unlock agent and the MCP server share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secretctl/audit.h"
#include "secretctl/buf.h"
#include "secretctl/keyop.h"
#include "secretctl/secmem.h"
#include "secretctl/vault.h"

/* ---- names ---- */

static const struct {
	const char *name, *audit;
	int input, batch;
} kinds[SC_KEYOP_MAX] = {
    [SC_KEYOP_ENCRYPT] = {"encrypt", "key.encrypt", 1, 1},
    [SC_KEYOP_DECRYPT] = {"decrypt", "key.decrypt", 1, 1},
    [SC_KEYOP_DATAKEY] = {"datakey", "key.datakey", 0, 0},
    [SC_KEYOP_HMAC] = {"hmac", "key.hmac", 1, 0},
    [SC_KEYOP_HMAC_VERIFY] = {"hmac-verify", "key.hmac-verify", 1, 0},
    [SC_KEYOP_SIGN] = {"sign", "key.sign", 1, 0},
    [SC_KEYOP_VERIFY] = {"verify", "key.verify", 1, 0},
    [SC_KEYOP_PUBKEY] = {"pubkey", "key.pubkey", 0, 0},
    [SC_KEYOP_INFO] = {"info", "key.info", 0, 0},
};

static int kind_ok(int k)
{
	return k > 0 && k < SC_KEYOP_MAX;
}

const char *sc_keyop_kind_name(int kind)
{
	return kind_ok(kind) ? kinds[kind].name : "?";
}

const char *sc_keyop_audit_op(int kind)
{
	return kind_ok(kind) ? kinds[kind].audit : "key.?";
}

int sc_keyop_batchable(int kind)
{
	return kind_ok(kind) && kinds[kind].batch;
}

int sc_keyop_kind_parse(const char *s, int *out)
{
	int k;

	*out = 0;
	for (k = 1; k < SC_KEYOP_MAX; k++)
		if (strcmp(s, kinds[k].name) == 0) {
			*out = k;
			return SC_OK;
		}
	return SC_ERR_INVALID;
}

void sc_keyop_result_release(struct sc_keyop_result *r)
{
	sc_secmem_free(r->out);
	sc_secmem_free(r->plain);
	memset(r, 0, sizeof(*r));
}

/* ---- shape ---- */

int sc_keyop_check(const struct sc_keyop *op)
{
	struct sc_buf b;
	size_t i;

	if (!kind_ok(op->kind)) {
		sc_set_error("unknown key operation");
		return SC_ERR_INVALID;
	}
	if (op->name == NULL || sc_keys_name_valid(op->name) != SC_OK)
		return SC_ERR_NAME;
	if (kinds[op->kind].input ? op->in == NULL : op->in_len != 0) {
		sc_set_error("%s",
		             kinds[op->kind].input ? "no input" : "an input it does not take");
		return SC_ERR_INVALID;
	}
	if ((op->kind == SC_KEYOP_HMAC_VERIFY || op->kind == SC_KEYOP_VERIFY) !=
	    (op->aux != NULL)) {
		sc_set_error("a MAC or signature is needed for verify, and only there");
		return SC_ERR_INVALID;
	}
	if (op->aux_len > SC_KEYOP_IN_MAX)
		return SC_ERR_TOOBIG;
	if (op->passphrase != NULL && (op->kind != SC_KEYOP_SIGN || op->passphrase_len == 0 ||
	                               op->passphrase_len > SC_KEYOP_PP_MAX)) {
		sc_set_error("%s", op->kind != SC_KEYOP_SIGN
		                       ? "a passphrase goes with a signature only"
		                       : "a key's passphrase is 1 to 1024 bytes");
		return SC_ERR_INVALID;
	}
	if (op->batch == 0)
		return op->in_len > SC_KEYOP_IN_MAX ? SC_ERR_TOOBIG : SC_OK;
	if (!kinds[op->kind].batch) {
		sc_set_error("%s takes no batch", kinds[op->kind].name);
		return SC_ERR_INVALID;
	}
	if (op->batch > SC_KEYOP_BATCH_MAX) {
		sc_set_error("a batch holds at most %u items", SC_KEYOP_BATCH_MAX);
		return SC_ERR_TOOBIG;
	}
	sc_buf_init_reader(&b, op->in, op->in_len);
	for (i = 0; i < op->batch; i++) {
		const uint8_t *p;
		uint32_t n;

		if (sc_buf_get_u32(&b, &n) != SC_OK || n > SC_KEYOP_IN_MAX ||
		    sc_buf_get_ptr(&b, n, &p) != SC_OK) {
			sc_set_error("batch item %zu is malformed or too large", i + 1);
			return SC_ERR_INVALID;
		}
	}
	if (sc_buf_left(&b) != 0) {
		sc_set_error("the batch holds more than %zu items", op->batch);
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

/* ---- one item ---- */

/* A malloc'd text into secmem (the result's one kind of buffer). */
static int take_text(char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s);

	*out = sc_secmem_alloc(n + 1);
	if (*out == NULL) {
		free(s);
		return SC_ERR_NOMEM;
	}
	memcpy(*out, s, n + 1);
	*len = n;
	free(s);
	return SC_OK;
}

/* A signature, with the passphrase the request brought (if any) lent to
 * the keyring for this call only. */
static int sign_once(struct sc_keyring *kr, const struct sc_keyop *op, const struct sc_keys_opts *o,
                     const struct sc_sig_opts *so, const uint8_t *in, size_t in_len, uint8_t *sig,
                     size_t *sig_len, struct sc_keys_info *info)
{
	struct sc_keys_pp pp;
	struct sc_key_meta m;
	int r;

	if (op->passphrase == NULL)
		return sc_keyring_sign(kr, op->name, o, so, in, in_len, sig, sig_len, info);
	if ((r = sc_keyring_key_meta(kr, op->name, &m)) != SC_OK)
		return r;
	if (!(m.flags & SC_KEY_PASSPHRASE)) {
		sc_set_error("key '%s' has no passphrase (one is given only for keys made with "
		             "--passphrase)",
		             op->name);
		return SC_ERR_INVALID;
	}
	memset(&pp, 0, sizeof(pp));
	pp.passphrase = op->passphrase;
	pp.len = op->passphrase_len;
	sc_keyring_set_passphrase(kr, &pp);
	r = sc_keyring_sign(kr, op->name, o, so, in, in_len, sig, sig_len, info);
	sc_keyring_set_passphrase(kr, NULL);
	return r;
}

static int apply_one(struct sc_keyring *kr, const struct sc_keyop *op, const struct sc_keys_opts *o,
                     const uint8_t *in, size_t in_len, struct sc_keyop_result *res)
{
	struct sc_sig_opts so = op->so;
	char *text = NULL;
	uint8_t buf[SC_SIG_MAX > SC_SIG_PUB_MAX ? SC_SIG_MAX : SC_SIG_PUB_MAX];
	size_t n = 0;
	int r;

	so.aux_rand = NULL;
	switch (op->kind) {
	case SC_KEYOP_ENCRYPT:
		if ((r = sc_keyring_encrypt(kr, op->name, o, in, in_len, &text, &res->info)) !=
		    SC_OK)
			return r;
		return take_text(text, &res->out, &res->out_len);
	case SC_KEYOP_DECRYPT:
		return sc_keyring_decrypt(kr, op->name, o, (const char *)in, in_len, &res->out,
		                          &res->out_len, &res->info);
	case SC_KEYOP_DATAKEY:
		if ((r = sc_keyring_datakey(kr, op->name, o, &text,
		                            op->wrapped_only ? NULL : &res->plain, &res->info)) !=
		    SC_OK)
			return r;
		return take_text(text, &res->out, &res->out_len);
	case SC_KEYOP_HMAC:
		if ((r = sc_keyring_hmac(kr, op->name, o, in, in_len, &text, &res->info)) != SC_OK)
			return r;
		return take_text(text, &res->out, &res->out_len);
	case SC_KEYOP_HMAC_VERIFY:
		return sc_keyring_hmac_verify(kr, op->name, o, in, in_len, (const char *)op->aux,
		                              op->aux_len, &res->info);
	case SC_KEYOP_SIGN: {
		struct sc_key_meta m;

		if (!op->confirmed && sc_keyring_key_meta(kr, op->name, &m) == SC_OK &&
		    (m.flags & SC_KEY_CONFIRM)) {
			sc_set_error("key '%s' asks a person to confirm each signature: sign with "
			             "'secretctl sign' at a terminal, or unlock the agent with "
			             "SSH_ASKPASS set",
			             op->name);
			return SC_ERR_DENIED;
		}
		r = sign_once(kr, op, o, &so, in, in_len, buf, &n, &res->info);
		break;
	}
	case SC_KEYOP_VERIFY:
		return sc_keyring_verify(kr, op->name, o, &so, in, in_len, op->aux, op->aux_len,
		                         &res->info);
	case SC_KEYOP_PUBKEY:
		r = sc_keyring_pubkey(kr, op->name, o, SC_KEY_OP_VERIFY, buf, &n, &res->alg,
		                      &res->info);
		break;
	case SC_KEYOP_INFO: {
		struct sc_key_meta m;
		const char *tn;

		if ((r = sc_keyring_key_meta(kr, op->name, &m)) != SC_OK)
			return r;
		tn = sc_key_type_name(m.type);
		n = strlen(tn);
		memcpy(buf, tn, n < sizeof(buf) ? n : sizeof(buf));
		res->info.version = m.newest;
		break;
	}
	default:
		return SC_ERR_INVALID;
	}
	if (r != SC_OK)
		return r;
	if ((res->out = sc_secmem_alloc(n ? n : 1)) == NULL)
		return SC_ERR_NOMEM;
	memcpy(res->out, buf, n);
	res->out_len = n;
	return SC_OK;
}

/* ---- a batch: one buffer in, one out, every item as one call ---- */

static int apply_batch(struct sc_keyring *kr, const struct sc_keyop *op,
                       const struct sc_keys_opts *o, struct sc_keyop_result *res)
{
	struct sc_buf in, out;
	struct sc_keys_info info = {0, 0, 0};
	size_t i, cap;
	int r = SC_OK;

	/* what the outputs will take, roughly: a ciphertext's text is 4/3 of
	 * its plaintext and a header; a plaintext is smaller */
	cap = op->kind == SC_KEYOP_ENCRYPT ? op->in_len / 3 * 4 + op->batch * 128 : op->in_len;
	sc_buf_init(&out, SC_KEYOP_OUT_MAX, SC_BUF_SECURE);
	/* one allocation up front (reserve, then forget the bytes): growing a
	 * guarded region by doubling copies it each time */
	if (sc_buf_reserve(&out, cap < SC_KEYOP_OUT_MAX ? cap : SC_KEYOP_OUT_MAX) == NULL) {
		r = sc_buf_status(&out);
		sc_buf_release(&out);
		return r;
	}
	out.len = 0;
	sc_buf_init_reader(&in, op->in, op->in_len);
	for (i = 0; i < op->batch && r == SC_OK; i++) {
		struct sc_keyop_result one;
		const uint8_t *p;
		uint32_t n;

		memset(&one, 0, sizeof(one));
		if (sc_buf_get_u32(&in, &n) != SC_OK || sc_buf_get_ptr(&in, n, &p) != SC_OK) {
			r = SC_ERR_INVALID;
			break;
		}
		if (op->kind == SC_KEYOP_ENCRYPT) {
			/* a ciphertext's text is not secret: straight into the
			 * output, without a guarded block of its own */
			char *text = NULL;

			if ((r = sc_keyring_encrypt(kr, op->name, o, p, n, &text, &one.info)) ==
			    SC_OK) {
				size_t tl = strlen(text);

				(void)sc_buf_put_u32(&out, (uint32_t)tl);
				(void)sc_buf_put(&out, text, tl);
				r = sc_buf_status(&out);
			}
			free(text);
		} else if ((r = apply_one(kr, op, o, p, n, &one)) == SC_OK) {
			if (sc_buf_put_u32(&out, (uint32_t)one.out_len) != SC_OK ||
			    sc_buf_put(&out, one.out, one.out_len) != SC_OK)
				r = sc_buf_status(&out) != SC_OK ? sc_buf_status(&out)
				                                 : SC_ERR_NOMEM;
		}
		if (r == SC_OK) {
			/* what the batch says: the newest version used, any
			 * rotation, the first compromised version used */
			info.version =
			    one.info.version > info.version ? one.info.version : info.version;
			info.rotated |= one.info.rotated;
			if (info.compromised == 0)
				info.compromised = one.info.compromised;
		} else if (*sc_last_error() == '\0') {
			sc_set_error("batch item %zu failed", i + 1);
		}
		sc_keyop_result_release(&one);
	}
	if (r != SC_OK) {
		sc_buf_release(&out);
		return r;
	}
	res->out = sc_buf_steal(&out, &res->out_len);
	res->info = info;
	return res->out != NULL || res->out_len == 0 ? SC_OK : SC_ERR_NOMEM;
}

int sc_keyop_apply(struct sc_keyring *kr, const struct sc_keyop *op, int64_t now,
                   struct sc_keyop_result *res)
{
	struct sc_keys_opts o = {now, op->ctx, op->version, op->allow_compromised};
	struct sc_keyop_result tmp;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&tmp, 0, sizeof(tmp));
	if ((r = sc_keyop_check(op)) != SC_OK)
		return r;
	r = op->batch > 0 ? apply_batch(kr, op, &o, &tmp)
	                  : apply_one(kr, op, &o, op->in, op->in_len, &tmp);
	if (r != SC_OK) {
		sc_keyop_result_release(&tmp);
		return r;
	}
	*res = tmp;
	return SC_OK;
}

/* ---- the commit ---- */

static int save(struct sc_vault *v, void *arg)
{
	return sc_vault_keyring_save_in_txn(v, arg);
}

/* Objects a token got for versions the vault will not know of: gone too,
 * with the failure's own detail kept. */
static void unsaved(struct sc_keyring *kr)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", sc_last_error());
	/* a token object left over is the token's to clean; the failure
	 * reported is the operation's */
	if (sc_keyring_token_unsaved(kr) != SC_OK)
		sc_clear_error();
	if (why[0] != '\0')
		sc_set_error("%s", why);
	else
		sc_clear_error();
}

static int append(struct sc_vault *v, struct sc_audit_event *ev)
{
	char detail[512];
	int r;

	snprintf(detail, sizeof(detail), "%s", sc_last_error());
	r = sc_audit_append(v, ev);
	if (detail[0] != '\0')
		sc_set_error("%s", detail);
	return r;
}

int sc_keyop_commit(struct sc_vault *v, struct sc_keyring *kr, uint64_t gen0,
                    const struct sc_keyop_who *who, const char *op, const char *name,
                    const struct sc_keys_info *info, int st)
{
	const char *names[1] = {name};
	char marked[SC_AUDIT_OP_MAX + 1];
	struct sc_audit_event ev = {
	    .op = op,
	    .source = who->source,
	    .client = who->client,
	    .names = names,
	    .n_names = name != NULL ? 1 : 0,
	    .status = st,
	};
	int r;

	if (v == NULL || !sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	/* a compromised version used (--allow-compromised): the entry says
	 * so in its op, "key.decrypt.compromised", found apart from the
	 * ordinary uses and in the same MAC-chained line */
	if (st == SC_OK && info != NULL && info->compromised) {
		if (strlen(op) + strlen(SC_KEYOP_COMPROMISED_SUFFIX) > SC_AUDIT_OP_MAX)
			return SC_ERR_INTERNAL;
		snprintf(marked, sizeof(marked), "%s%s", op, SC_KEYOP_COMPROMISED_SUFFIX);
		ev.op = marked;
	}
	if (st == SC_OK && sc_keyring_generation(kr) != gen0) {
		if ((r = sc_audit_append_with(v, &ev, save, kr)) != SC_OK) {
			ev.status = r;
			(void)append(v, &ev); /* the failure, if it can be */
			unsaved(kr);
			return r;
		}
		sc_keyring_token_saved(kr);
		if (info != NULL && info->rotated) {
			/* the rotation was saved with the operation's entry; say it too */
			ev.op = "key.rotate";
			(void)append(v, &ev);
		}
		return SC_OK;
	}
	if (st != SC_OK)
		unsaved(kr);
	r = append(v, &ev);
	return st != SC_OK ? st : r;
}
