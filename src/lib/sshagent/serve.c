/* serve.c - the ssh-agent: which of the vault's keys it serves, the
 * decision on each request and its audit entry, and the connection loop.
 *
 * Nothing secret is kept between requests: for each signature the keyring
 * is loaded from the (unlocked) vault, the one version is used inside the
 * library's sign call and the keyring is freed (wiped) right after, as the
 * CLI's `sign` does. What the agent holds between requests is the vault's
 * own unlocked state and, per key, its name, version and public blob. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "secretctl/audit.h"
#include "secretctl/keys.h"
#include "secretctl/secretctl.h"
#include "secretctl/sig.h"
#include "secretctl/sshagent.h"
#include "secretctl/vault.h"

#define OP_SIGN "ssh-agent.sign"

struct served {
	char name[72];
	enum sc_sig_alg alg;
	uint32_t version;
	int confirm;
	int64_t expires; /* 0: never */
	uint8_t blob[SC_SSHAGENT_BLOB_MAX];
	size_t blob_len;
};

struct sc_sshagent {
	struct sc_vault *v;
	sc_sshagent_confirm_fn confirm;
	void *arg;
	struct served keys[SC_SSHAGENT_KEYS_MAX];
	size_t n;
};

int sc_sshagent_new(struct sc_vault *v, sc_sshagent_confirm_fn confirm, void *arg,
                    struct sc_sshagent **out)
{
	struct sc_sshagent *a;

	if (out == NULL || v == NULL || !sc_vault_is_unlocked(v))
		return SC_ERR_INVALID;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return SC_ERR_NOMEM;
	a->v = v;
	a->confirm = confirm;
	a->arg = arg;
	*out = a;
	return SC_OK;
}

void sc_sshagent_free(struct sc_sshagent *a)
{
	free(a);
}

static int live(const struct served *k, int64_t now)
{
	return k->expires == 0 || now < k->expires;
}

size_t sc_sshagent_live(const struct sc_sshagent *a, int64_t now)
{
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		n += (size_t)live(&a->keys[i], now);
	return n;
}

int sc_sshagent_add(struct sc_sshagent *a, const char *name, int confirm, int64_t lifetime_s,
                    int64_t now)
{
	struct sc_keys_opts o = {now, NULL, 0, 0};
	struct sc_keys_info info = {0, 0, 0};
	struct sc_keyring *kr = NULL;
	struct sc_key_meta m;
	struct served *k;
	uint8_t pub[SC_SIG_PUB_MAX];
	size_t pub_len, i;
	int alg = 0, r;

	if (a == NULL || name == NULL || lifetime_s < 0 || (confirm && a->confirm == NULL))
		return SC_ERR_INVALID;
	if (sc_keys_name_valid(name) != SC_OK || strlen(name) >= sizeof(a->keys[0].name))
		return SC_ERR_NAME;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->keys[i].name, name) == 0) {
			sc_set_error("key '%s' is listed twice", name);
			return SC_ERR_EXISTS;
		}
	if (a->n == SC_SSHAGENT_KEYS_MAX) {
		sc_set_error("an ssh-agent serves at most %d keys", SC_SSHAGENT_KEYS_MAX);
		return SC_ERR_TOOBIG;
	}
	if ((r = sc_vault_keyring_load(a->v, &kr)) != SC_OK)
		return r;
	if ((r = sc_keyring_key_meta(kr, name, &m)) != SC_OK) {
		sc_set_error("no key '%s' in the vault", name);
		r = SC_ERR_NOT_FOUND;
		goto out;
	}
	if (m.type != SC_KEY_ED25519 && m.type != SC_KEY_ECDSA_P256) {
		sc_set_error("key '%s' is %s: OpenSSH takes ed25519 and ecdsa-p256 keys", name,
		             sc_key_type_name(m.type));
		r = SC_ERR_INVALID;
		goto out;
	}
	if ((m.flags & SC_KEY_IN_TOKEN) != 0) {
		sc_set_error("key '%s' lives in a token: the ssh-agent serves software keys only",
		             name);
		r = SC_ERR_INVALID;
		goto out;
	}
	if ((m.flags & SC_KEY_PASSPHRASE) != 0) {
		/* it would be listed and never sign: the agent holds no passphrase */
		sc_set_error("key '%s' is sealed under a passphrase, which the ssh-agent never "
		             "holds: sign with it by 'secretctl sign'",
		             name);
		r = SC_ERR_INVALID;
		goto out;
	}
	/* the newest version, as the lifecycle lets it sign now */
	if ((r = sc_keyring_pubkey(kr, name, &o, SC_KEY_OP_SIGN, pub, &pub_len, &alg, &info)) !=
	    SC_OK)
		goto out;
	k = &a->keys[a->n];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->alg = (enum sc_sig_alg)alg;
	k->version = info.version;
	/* a key made to ask for each signature asks here too */
	k->confirm = confirm || (m.flags & SC_KEY_CONFIRM) != 0;
	if (k->confirm && a->confirm == NULL) {
		sc_set_error("key '%s' asks for a confirmation per signature", name);
		r = SC_ERR_INVALID;
		goto out;
	}
	k->expires = lifetime_s > 0 ? now + lifetime_s : 0;
	if ((r = sc_sig_pub_encode(k->alg, pub, pub_len, SC_PUB_SSH_BLOB, NULL, k->blob,
	                           sizeof(k->blob), &k->blob_len)) != SC_OK)
		goto out;
	a->n++;
out:
	sc_keyring_free(kr);
	return r;
}

static struct served *find(struct sc_sshagent *a, const uint8_t *blob, size_t len, int64_t now)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (live(&a->keys[i], now) && a->keys[i].blob_len == len &&
		    memcmp(a->keys[i].blob, blob, len) == 0)
			return &a->keys[i];
	return NULL;
}

static int audit(struct sc_sshagent *a, const char *name, const struct sc_sshagent_peer *peer,
                 int status)
{
	const char *names[1] = {name};
	struct sc_audit_event ev = {
	    .op = OP_SIGN,
	    .source = SC_AUDIT_SRC_AGENT,
	    .names = names,
	    .n_names = name != NULL ? 1 : 0,
	    .cmd = peer != NULL ? peer->program : NULL,
	    .status = status,
	};

	return sc_audit_append(a->v, &ev);
}

static int save(struct sc_vault *v, void *arg)
{
	return sc_vault_keyring_save_in_txn(v, arg);
}

/* One signature by k over data, recorded before it is returned. */
static int sign(struct sc_sshagent *a, struct served *k, const struct sc_sshagent_peer *peer,
                const uint8_t *data, size_t data_len, int64_t now, uint8_t *wire, size_t cap,
                size_t *wire_len)
{
	struct sc_keys_opts o = {now, NULL, k->version, 0};
	struct sc_sig_opts so = {.scheme = SC_SIG_SCHEME_DEFAULT, .format = SC_SIG_FMT_DEFAULT};
	struct sc_keys_info info = {0, 0, 0};
	struct sc_keyring *kr = NULL;
	uint8_t sig[SC_SIG_MAX];
	size_t sig_len = 0;
	uint64_t gen;
	int r;

	if (k->alg == SC_SIG_P256)
		so.format = SC_SIG_FMT_RAW; /* (r, s) as two mpints, not DER */
	if ((r = sc_vault_keyring_load(a->v, &kr)) != SC_OK)
		return r;
	gen = sc_keyring_generation(kr);
	r = sc_keyring_sign(kr, k->name, &o, &so, data, data_len, sig, &sig_len, &info);
	if (r == SC_OK)
		r = sc_sig_ssh_signature(k->alg, sig, sig_len, wire, cap, wire_len);
	if (r == SC_OK && sc_keyring_generation(kr) != gen) {
		/* a rotation came due on this use: saved with its entry */
		const char *names[1] = {k->name};
		struct sc_audit_event ev = {
		    .op = OP_SIGN,
		    .source = SC_AUDIT_SRC_AGENT,
		    .names = names,
		    .n_names = 1,
		    .cmd = peer->program,
		    .status = SC_OK,
		};

		r = sc_audit_append_with(a->v, &ev, save, kr);
	} else {
		int st = r;

		r = audit(a, k->name, peer, st);
		if (st != SC_OK)
			r = st;
	}
	sodium_memzero(sig, sizeof(sig));
	sc_keyring_free(kr);
	if (r != SC_OK) {
		sodium_memzero(wire, cap);
		*wire_len = 0;
	}
	return r;
}

static int identities(struct sc_sshagent *a, int64_t now, struct sc_buf *out)
{
	const uint8_t *blobs[SC_SSHAGENT_KEYS_MAX];
	const char *comments[SC_SSHAGENT_KEYS_MAX];
	size_t lens[SC_SSHAGENT_KEYS_MAX], i, n = 0;

	for (i = 0; i < a->n; i++) {
		if (!live(&a->keys[i], now))
			continue;
		blobs[n] = a->keys[i].blob;
		lens[n] = a->keys[i].blob_len;
		comments[n] = a->keys[i].name;
		n++;
	}
	return sc_sshagent_put_identities(out, n, blobs, lens, comments);
}

int sc_sshagent_handle(struct sc_sshagent *a, const uint8_t *msg, size_t len,
                       const struct sc_sshagent_peer *peer, int64_t now, struct sc_buf *out)
{
	struct sc_sshagent_req req;
	uint8_t wire[160], digest[crypto_hash_sha256_BYTES];
	struct served *k;
	size_t wire_len = 0;
	int r;

	if (a == NULL || peer == NULL || out == NULL)
		return SC_ERR_INVALID;
	if ((r = sc_sshagent_parse(msg, len, &req)) != SC_OK) {
		/* a request we cannot read is not answered: close */
		return r;
	}
	if (req.type == SC_SSHAGENT_REQUEST_IDENTITIES)
		return identities(a, now, out);
	if (req.type != SC_SSHAGENT_SIGN_REQUEST)
		return sc_sshagent_put_failure(out); /* add, remove, lock, extensions */
	if ((k = find(a, req.key_blob, req.key_blob_len, now)) == NULL) {
		/* not one of ours, or its lifetime is over */
		(void)audit(a, NULL, peer, SC_ERR_NOT_FOUND);
		sc_clear_error();
		return sc_sshagent_put_failure(out);
	}
	if (k->confirm) {
		crypto_hash_sha256(digest, req.data, req.data_len);
		if (a->confirm(k->name, peer, digest, a->arg) != SC_OK) {
			(void)audit(a, k->name, peer, SC_ERR_DENIED);
			sc_clear_error();
			return sc_sshagent_put_failure(out);
		}
		/* the answer may have taken a while: the lifetime counts again */
		now = (int64_t)time(NULL);
		if (!live(k, now)) {
			(void)audit(a, k->name, peer, SC_ERR_EXPIRED);
			sc_clear_error();
			return sc_sshagent_put_failure(out);
		}
	}
	r = sign(a, k, peer, req.data, req.data_len, now, wire, sizeof(wire), &wire_len);
	if (r != SC_OK) {
		/* refused (a state, the audit log): nothing signed goes out */
		sc_clear_error();
		return sc_sshagent_put_failure(out);
	}
	r = sc_sshagent_put_signature(out, wire, wire_len);
	sodium_memzero(wire, sizeof(wire));
	return r;
}
