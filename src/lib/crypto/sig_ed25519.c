/* sig_ed25519.c - Ed25519 (RFC 8032) through libsodium: the private key is
 * the 32-byte seed; signatures are the 64-byte R || S over the message. */
#include <string.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "crypto/sig_int.h"

#define ED_PUB_LEN 32
#define ED_SIG_LEN 64

static int ed_generate(uint8_t priv[SC_SIG_PRIV_LEN])
{
	sc_random(priv, SC_SIG_PRIV_LEN);
	return SC_OK;
}

static int ed_load(struct sc_sig_key *k)
{
	/* any 32 bytes are a seed; ext = seed || public key */
	if (crypto_sign_ed25519_seed_keypair(k->pub, k->ext, k->priv) != 0)
		return SC_ERR_CRYPTO;
	k->pub_len = ED_PUB_LEN;
	return SC_OK;
}

static int ed_sign(const struct sc_sig_key *k, const struct sc_sig_opts *o, const uint8_t *msg,
                   size_t msg_len, uint8_t *sig, size_t *sig_len)
{
	unsigned long long n = 0;

	if (o->scheme != SC_SIG_SCHEME_EDDSA || o->prehashed) {
		sc_set_error("ed25519 signs the message itself with EdDSA (no prehash)");
		return SC_ERR_INVALID;
	}
	if (crypto_sign_ed25519_detached(sig, &n, msg, msg_len, k->ext) != 0 || n != ED_SIG_LEN)
		return SC_ERR_CRYPTO;
	*sig_len = ED_SIG_LEN;
	return SC_OK;
}

static int ed_verify(const struct sc_sig_opts *o, const uint8_t *pub, size_t pub_len,
                     const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	if (o->scheme != SC_SIG_SCHEME_EDDSA || o->prehashed || pub_len != ED_PUB_LEN)
		return SC_ERR_INVALID;
	if (sig_len != ED_SIG_LEN)
		return SC_ERR_CORRUPT;
	/* libsodium rejects non-canonical S, small-order R and A */
	if (crypto_sign_ed25519_verify_detached(sig, msg, msg_len, pub) != 0)
		return SC_ERR_CORRUPT;
	return SC_OK;
}

static int ed_pub_pkey(const uint8_t *pub, size_t pub_len, EVP_PKEY **out)
{
	uint8_t curve[32];

	/* decodes as a point: refuse what is not one (libsodium's check) */
	if (pub_len != ED_PUB_LEN || crypto_sign_ed25519_pk_to_curve25519(curve, pub) != 0)
		return SC_ERR_INVALID;
	*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, pub_len);
	return *out != NULL ? SC_OK : SC_ERR_CRYPTO;
}

static int ed_pub_ssh(const uint8_t *pub, size_t pub_len, struct sc_buf *b, const char **type)
{
	static const char name[] = "ssh-ed25519";

	if (pub_len != ED_PUB_LEN)
		return SC_ERR_INVALID;
	(void)sc_sig_ssh_put(b, name, sizeof(name) - 1);
	(void)sc_sig_ssh_put(b, pub, pub_len);
	*type = name;
	return sc_buf_status(b);
}

const struct sc_sig_impl sc_sig_impl_ed25519 = {
    .alg = SC_SIG_ED25519,
    .name = "ed25519",
    .default_scheme = SC_SIG_SCHEME_EDDSA,
    .generate = ed_generate,
    .load = ed_load,
    .sign = ed_sign,
    .verify = ed_verify,
    .pub_pkey = ed_pub_pkey,
    .pub_ssh = ed_pub_ssh,
};
