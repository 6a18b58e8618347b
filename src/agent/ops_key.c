/* ops_key.c - the agent's key operation: the named key's material is used
 * here, in the agent's locked memory, by the library's one table
 * (keyop.h), and the result and its audit entry come out as they would in
 * process. */
#include <sys/socket.h>

#include <sodium.h>

#include "agent/agent_int.h"
#include "secretctl/exec.h"
#include "secretctl/keyop.h"

/* How long a person has to answer a confirmation before it counts as no. */
#define CONFIRM_TIMEOUT_S 60

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

/* A key made with --confirm, and an askpass program to ask with (the
 * agent's environment from its start: SSH_ASKPASS): the person is shown
 * the key, the program that connected and the message's SHA-256, with the
 * agent's lock released meanwhile. SC_OK yes; else the refusal, said. */
static int ask_person(int fd, const char *askpass, const struct sc_keyop *op)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof(h) + 1], prompt[512], prog[64] = "?";
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	long pid = 0;
	int r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 && cred.pid > 0) {
		pid = (long)cred.pid;
		sc_exec_pid_name(pid, prog, sizeof(prog));
	}
	crypto_hash_sha256(h, op->in, op->in_len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(
	    prompt, sizeof(prompt),
	    "secretctl agent: sign with key '%s' for %s (pid %ld)?\nSHA-256 of the message: %s",
	    op->name, prog, pid, hex);
	r = sc_exec_askpass_confirm(askpass, prompt, CONFIRM_TIMEOUT_S);
	if (r == SC_OK)
		return SC_OK;
	sc_set_error(r == SC_ERR_TIMEOUT  ? "the signature by key '%s' was not confirmed in time"
	             : r == SC_ERR_NOEXEC ? "the agent cannot start its askpass program to ask "
	                                    "about key '%s'"
	                                  : "the signature by key '%s' was not confirmed",
	             op->name);
	return SC_ERR_DENIED;
}

int agent_op_key(struct agent *a, int fd, const struct sc_agent_req *q)
{
	struct sc_keyop_who who = {agent_audit_source(q->origin), NULL};
	struct sc_keyop_result res;
	struct sc_keyring *kr = NULL;
	struct sc_key_meta meta;
	struct sc_keyop op;
	uint8_t *att = NULL;
	const char *aop, *askpass = NULL;
	uint64_t gen0;
	int r, st, confirm;

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
		op.in_len = q->attach_len - q->aux_len - q->pp_len;
		if (q->aux_len > 0 || q->kop == SC_KEYOP_VERIFY || q->kop == SC_KEYOP_HMAC_VERIFY) {
			op.aux = att + op.in_len;
			op.aux_len = q->aux_len;
		}
		/* a custody key's passphrase: for this signature, wiped with att */
		if (q->pp_len > 0) {
			op.passphrase = att + op.in_len + q->aux_len;
			op.passphrase_len = q->pp_len;
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
	st = SC_OK;
	confirm = q->kop == SC_KEYOP_SIGN && sc_keyring_key_meta(kr, q->name, &meta) == SC_OK &&
	          (meta.flags & SC_KEY_CONFIRM);
	if (confirm && (askpass = sc_exec_askpass()) != NULL) {
		/* a person is asked with the lock let go; the keyring is read
		 * again after, as it is then */
		pthread_mutex_unlock(&a->lock);
		sc_keyring_free(kr);
		kr = NULL;
		st = ask_person(fd, askpass, &op);
		op.confirmed = st == SC_OK;
		pthread_mutex_lock(&a->lock);
		if (a->vault == NULL) {
			pthread_mutex_unlock(&a->lock);
			r = agent_reply_err(fd, SC_ERR_LOCKED, AGENT_LOCKED_MSG);
			goto out;
		}
		if ((r = sc_vault_keyring_load(a->vault, &kr)) != SC_OK) {
			pthread_mutex_unlock(&a->lock);
			r = agent_reply_status(fd, r);
			goto out;
		}
	}
	gen0 = sc_keyring_generation(kr);
	if (st == SC_OK)
		st = sc_keyop_apply(kr, &op, (int64_t)time(NULL), &res);
	st = sc_keyop_commit(a->vault, kr, gen0, &who, aop, q->name, &res.info, st);
	pthread_mutex_unlock(&a->lock);
	/* a --confirm key and no askpass here: the caller may ask a person */
	if (st == SC_ERR_DENIED && confirm && askpass == NULL) {
		r = agent_reply_refusal(fd, st, 1, sc_last_error());
		goto out;
	}
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
