/* sign.c - the keyring's signing types wired to the signature table
 * (sig.h): key generation and import for the keyring's hook, signing,
 * verification and public keys, each after the keyring's lifecycle check.
 * The private key is deserialised into secmem for one call, then freed. */
#include <string.h>

#include "keys/keys_int.h"
#include "secretctl/keys.h"
#include "secretctl/secmem.h"
#include "secretctl/sig.h"

static int sig_alg(int type, enum sc_sig_alg *alg)
{
	switch (type) {
	case SC_KEY_ED25519:
		*alg = SC_SIG_ED25519;
		return SC_OK;
	case SC_KEY_ECDSA_P256:
		*alg = SC_SIG_P256;
		return SC_OK;
	case SC_KEY_SECP256K1:
		*alg = SC_SIG_SECP256K1;
		return SC_OK;
	default:
		return SC_ERR_INVALID;
	}
}

int sc_keys_sig_keygen(int type, uint8_t *material, size_t cap, size_t *len, void *arg)
{
	const struct sc_keys_sig_import *imp = arg;
	struct sc_sig_key *k = NULL;
	enum sc_sig_alg alg;
	uint8_t *blob = NULL;
	size_t blen = 0;
	int r;

	*len = 0;
	if (type == SC_KEY_FROST_ED25519) {
		sc_set_error(
		    "a frost-ed25519 share is made by 'secretctl frost keygen' or 'frost split'");
		return SC_ERR_INVALID;
	}
	if ((r = sig_alg(type, &alg)) != SC_OK)
		return r;
	if (imp != NULL && imp->priv != NULL)
		r = sc_sig_key_from_private(alg, imp->priv, imp->len, &k);
	else
		r = sc_sig_generate(alg, &k);
	if (r != SC_OK)
		return r;
	if ((r = sc_sig_key_serialize(k, &blob, &blen)) == SC_OK) {
		if (blen > cap) {
			r = SC_ERR_TOOBIG;
		} else {
			memcpy(material, blob, blen);
			*len = blen;
		}
	}
	sc_secmem_free(blob);
	sc_sig_key_free(k);
	return r;
}

/* The version of a token key the lifecycle allows for op (rotating first
 * when due, for signing): NULL for a key that is not in a token. */
static int token_version(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                         int op, struct kkey **kout, struct kver **vout, struct sc_keys_info *info)
{
	struct sc_keys_info got = {0, 0, 0};
	const uint8_t *m;
	size_t len;
	int r;

	*kout = NULL;
	*vout = NULL;
	if ((*kout = sc_keys_find(kr, name)) == NULL || !((*kout)->flags & SC_KEY_IN_TOKEN))
		return SC_OK;
	if ((r = sc_keyring_sig_material(kr, name, o, op, &m, &len, &got)) != SC_OK)
		return r;
	if ((*vout = sc_keys_version(*kout, got.version)) == NULL)
		return SC_ERR_INTERNAL;
	if (info != NULL)
		*info = got;
	return SC_OK;
}

/* The private key of the version the lifecycle allows for op. */
static int load_key(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o, int op,
                    struct sc_sig_key **out, struct sc_keys_info *info)
{
	const uint8_t *m;
	size_t len;
	int r;

	struct sc_keys_info got = {0, 0, 0};
	const struct kkey *k = sc_keys_find(kr, name);
	const struct kver *v;

	*out = NULL;
	if (k != NULL && k->type == SC_KEY_FROST_ED25519) {
		sc_set_error("a FROST share signs only with its group ('secretctl frost sign')");
		return SC_ERR_INVALID;
	}
	if ((r = sc_keyring_sig_material(kr, name, o, op, &m, &len, &got)) != SC_OK)
		return r;
	if (info != NULL)
		*info = got;
	if (k == NULL || !(k->flags & SC_KEY_PASSPHRASE))
		return sc_sig_key_deserialize(m, len, out);
	if ((v = sc_keys_version(k, got.version)) == NULL)
		return SC_ERR_INTERNAL;
	return sc_keys_pp_unwrap(k, v, kr->has_pp ? &kr->pp : NULL, out);
}

/* A passphrase key's public key, kept beside its sealed private key: the
 * lifecycle's check, no passphrase. 0 when the key has none. */
static int pp_public(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o, int op,
                     uint8_t pub[SC_SIG_PUB_MAX], size_t *pub_len, int *alg,
                     struct sc_keys_info *info, int *done)
{
	struct sc_keys_info got = {0, 0, 0};
	const struct kkey *k = sc_keys_find(kr, name);
	const struct kver *v;
	const uint8_t *m;
	size_t len;
	int r;

	*done = 0;
	if (k == NULL || !(k->flags & SC_KEY_PASSPHRASE))
		return SC_OK;
	*done = 1;
	if ((r = sc_keyring_sig_material(kr, name, o, op, &m, &len, &got)) != SC_OK)
		return r;
	if (info != NULL)
		*info = got;
	if ((v = sc_keys_version(k, got.version)) == NULL)
		return SC_ERR_INTERNAL;
	return sc_keys_pp_pub(v, alg, pub, pub_len);
}

int sc_keyring_sign(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                    const struct sc_sig_opts *so, const uint8_t *msg, size_t msg_len,
                    uint8_t sig[SC_SIG_MAX], size_t *sig_len, struct sc_keys_info *info)
{
	struct sc_sig_key *k = NULL;
	int r;

	struct kkey *tk;
	struct kver *tv;

	*sig_len = 0;
	if ((r = token_version(kr, name, o, SC_KEY_OP_SIGN, &tk, &tv, info)) != SC_OK)
		return r;
	if (tv != NULL)
		return sc_keys_tok_sign(kr->tok, tk, tv, so, msg, msg_len, sig, sig_len);
	if ((r = load_key(kr, name, o, SC_KEY_OP_SIGN, &k, info)) != SC_OK)
		return r;
	r = sc_sig_sign(k, so, msg, msg_len, sig, sig_len);
	sc_sig_key_free(k);
	return r;
}

int sc_keyring_pubkey(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o, int op,
                      uint8_t pub[SC_SIG_PUB_MAX], size_t *pub_len, int *alg,
                      struct sc_keys_info *info)
{
	struct sc_sig_key *k = NULL;
	int r, pp;

	struct kkey *tk;
	struct kver *tv;

	*pub_len = 0;
	if ((r = token_version(kr, name, o, op, &tk, &tv, info)) != SC_OK)
		return r;
	if (tv != NULL) {
		if (alg != NULL)
			*alg = tk->type == SC_KEY_ED25519 ? SC_SIG_ED25519 : SC_SIG_P256;
		return sc_keys_tok_pubkey(tk, tv, pub, pub_len);
	}
	if ((r = pp_public(kr, name, o, op, pub, pub_len, alg, info, &pp)) != SC_OK || pp)
		return r;
	if ((r = load_key(kr, name, o, op, &k, info)) != SC_OK)
		return r;
	r = sc_sig_key_public(k, pub, pub_len);
	if (alg != NULL)
		*alg = (int)sc_sig_key_alg(k);
	sc_sig_key_free(k);
	return r;
}

int sc_keyring_verify(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                      const struct sc_sig_opts *so, const uint8_t *msg, size_t msg_len,
                      const uint8_t *sig, size_t sig_len, struct sc_keys_info *info)
{
	uint8_t pub[SC_SIG_PUB_MAX];
	size_t pub_len;
	int r, alg;

	if ((r = sc_keyring_pubkey(kr, name, o, SC_KEY_OP_VERIFY, pub, &pub_len, &alg, info)) !=
	    SC_OK)
		return r;
	return sc_sig_verify((enum sc_sig_alg)alg, so, pub, pub_len, msg, msg_len, sig, sig_len);
}
