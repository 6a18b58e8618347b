/* sig.c - the signature algorithm table and what every backend shares: key
 * handles in secmem, the vault key blob, option checks and the public-key
 * encodings (raw, hex, SubjectPublicKeyInfo PEM, OpenSSH line). */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/sig.h"
#include "secretctl/buf.h"
#include "crypto/sig_int.h"

static const struct sc_sig_impl *const impls[] = {
    &sc_sig_impl_ed25519,
    &sc_sig_impl_p256,
    &sc_sig_impl_secp256k1,
};

static const struct sc_sig_impl *impl_of(enum sc_sig_alg alg)
{
	size_t i;

	for (i = 0; i < sizeof(impls) / sizeof(impls[0]); i++)
		if (impls[i]->alg == alg)
			return impls[i];
	return NULL;
}

int sc_sig_alg_from_name(const char *name, enum sc_sig_alg *out)
{
	size_t i;

	if (name == NULL || out == NULL)
		return SC_ERR_INVALID;
	for (i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
		if (strcmp(impls[i]->name, name) == 0) {
			*out = impls[i]->alg;
			return SC_OK;
		}
	}
	sc_set_error("unknown key type '%.32s' (ed25519, ecdsa-p256 or secp256k1)", name);
	return SC_ERR_INVALID;
}

const char *sc_sig_alg_name(enum sc_sig_alg alg)
{
	const struct sc_sig_impl *impl = impl_of(alg);

	return impl != NULL ? impl->name : NULL;
}

int sc_sig_scheme_from_name(const char *name, enum sc_sig_scheme *out)
{
	static const struct {
		const char *name;
		enum sc_sig_scheme scheme;
	} names[] = {
	    {"eddsa", SC_SIG_SCHEME_EDDSA},
	    {"ecdsa", SC_SIG_SCHEME_ECDSA},
	    {"bip340", SC_SIG_SCHEME_BIP340},
	};
	size_t i;

	if (name == NULL || out == NULL)
		return SC_ERR_INVALID;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].name, name) == 0) {
			*out = names[i].scheme;
			return SC_OK;
		}
	}
	sc_set_error("unknown signature scheme '%.32s' (eddsa, ecdsa or bip340)", name);
	return SC_ERR_INVALID;
}

/* ---- keys --------------------------------------------------------------- */

static int key_load(const struct sc_sig_impl *impl, const uint8_t *priv, struct sc_sig_key **out)
{
	struct sc_sig_key *k;
	int r;

	k = sc_secmem_alloc(sizeof(*k));
	if (k == NULL)
		return SC_ERR_NOMEM;
	k->impl = impl;
	memcpy(k->priv, priv, SC_SIG_PRIV_LEN);
	if ((r = impl->load(k)) != SC_OK) {
		sc_secmem_free(k);
		return r;
	}
	*out = k;
	return SC_OK;
}

int sc_sig_generate(enum sc_sig_alg alg, struct sc_sig_key **out)
{
	const struct sc_sig_impl *impl = impl_of(alg);
	uint8_t *priv;
	int r;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if (impl == NULL)
		return SC_ERR_INVALID;
	priv = sc_secmem_alloc(SC_SIG_PRIV_LEN);
	if (priv == NULL)
		return SC_ERR_NOMEM;
	if ((r = impl->generate(priv)) == SC_OK)
		r = key_load(impl, priv, out);
	sc_secmem_free(priv);
	return r;
}

int sc_sig_key_from_private(enum sc_sig_alg alg, const uint8_t *priv, size_t len,
                            struct sc_sig_key **out)
{
	const struct sc_sig_impl *impl = impl_of(alg);

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if (impl == NULL || priv == NULL || len != SC_SIG_PRIV_LEN) {
		sc_set_error("a private key is %d bytes", SC_SIG_PRIV_LEN);
		return SC_ERR_INVALID;
	}
	return key_load(impl, priv, out);
}

void sc_sig_key_free(struct sc_sig_key *k)
{
	sc_secmem_free(k);
}

enum sc_sig_alg sc_sig_key_alg(const struct sc_sig_key *k)
{
	return k->impl->alg;
}

int sc_sig_key_public(const struct sc_sig_key *k, uint8_t pub[SC_SIG_PUB_MAX], size_t *len)
{
	if (k == NULL || pub == NULL || len == NULL)
		return SC_ERR_INVALID;
	memcpy(pub, k->pub, k->pub_len);
	*len = k->pub_len;
	return SC_OK;
}

static const uint8_t blob_magic[4] = {'S', 'C', 'S', 'K'};
#define BLOB_VERSION 1

int sc_sig_key_serialize(const struct sc_sig_key *k, uint8_t **out, size_t *out_len)
{
	struct sc_buf b;
	int r;

	if (out == NULL || out_len == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	*out_len = 0;
	if (k == NULL)
		return SC_ERR_INVALID;
	sc_buf_init(&b, SC_SIG_KEYBLOB_LEN, SC_BUF_SECURE);
	(void)sc_buf_put(&b, blob_magic, sizeof(blob_magic));
	(void)sc_buf_put_u8(&b, BLOB_VERSION);
	(void)sc_buf_put_u8(&b, (uint8_t)k->impl->alg);
	(void)sc_buf_put_u16(&b, SC_SIG_PRIV_LEN);
	(void)sc_buf_put(&b, k->priv, SC_SIG_PRIV_LEN);
	if ((r = sc_buf_status(&b)) != SC_OK) {
		sc_buf_release(&b);
		return r;
	}
	*out = sc_buf_steal(&b, out_len);
	return SC_OK;
}

int sc_sig_key_deserialize(const uint8_t *blob, size_t len, struct sc_sig_key **out)
{
	const struct sc_sig_impl *impl;
	const uint8_t *magic, *priv;
	struct sc_buf b;
	uint8_t version, alg;
	uint16_t plen;
	int r;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if (blob == NULL)
		return SC_ERR_INVALID;
	sc_buf_init_reader(&b, blob, len);
	if (sc_buf_get_ptr(&b, sizeof(blob_magic), &magic) != SC_OK ||
	    memcmp(magic, blob_magic, sizeof(blob_magic)) != 0 ||
	    sc_buf_get_u8(&b, &version) != SC_OK) {
		sc_set_error("not a signing key blob");
		return SC_ERR_CORRUPT;
	}
	if (version != BLOB_VERSION) {
		sc_set_error("signing key blob version %u is not known", version);
		return SC_ERR_VERSION;
	}
	if (sc_buf_get_u8(&b, &alg) != SC_OK || sc_buf_get_u16(&b, &plen) != SC_OK ||
	    (impl = impl_of((enum sc_sig_alg)alg)) == NULL || plen != SC_SIG_PRIV_LEN ||
	    sc_buf_get_ptr(&b, plen, &priv) != SC_OK || sc_buf_left(&b) != 0) {
		sc_set_error("signing key blob of an unknown algorithm or length");
		return SC_ERR_CORRUPT;
	}
	r = key_load(impl, priv, out);
	if (r == SC_ERR_INVALID) {
		sc_set_error("signing key blob holds an invalid private key");
		return SC_ERR_CORRUPT;
	}
	return r;
}

/* ---- sign and verify ---------------------------------------------------- */

/* Fill the defaults in and refuse combinations no backend has. */
static int resolve_opts(const struct sc_sig_impl *impl, const struct sc_sig_opts *in,
                        struct sc_sig_opts *o)
{
	static const struct sc_sig_opts none = {0};

	*o = in != NULL ? *in : none;
	if (o->scheme == SC_SIG_SCHEME_DEFAULT)
		o->scheme = impl->default_scheme;
	if (o->scheme == SC_SIG_SCHEME_ECDSA) {
		if (o->format == SC_SIG_FMT_DEFAULT)
			o->format = SC_SIG_FMT_DER;
		if (o->format != SC_SIG_FMT_DER && o->format != SC_SIG_FMT_RAW)
			return SC_ERR_INVALID;
	} else {
		/* EdDSA and BIP-340 have one 64-byte form */
		if (o->format == SC_SIG_FMT_DER) {
			sc_set_error("only ECDSA signatures have a DER form");
			return SC_ERR_INVALID;
		}
		o->format = SC_SIG_FMT_RAW;
	}
	if (o->prehashed != 0 && o->prehashed != 1)
		return SC_ERR_INVALID;
	return SC_OK;
}

int sc_sig_sign(const struct sc_sig_key *k, const struct sc_sig_opts *opts, const uint8_t *msg,
                size_t msg_len, uint8_t *sig, size_t *sig_len)
{
	struct sc_sig_opts o;
	int r;

	if (sig_len == NULL)
		return SC_ERR_INVALID;
	*sig_len = 0;
	if (k == NULL || sig == NULL || (msg == NULL && msg_len > 0))
		return SC_ERR_INVALID;
	if ((r = resolve_opts(k->impl, opts, &o)) != SC_OK)
		return r;
	return k->impl->sign(k, &o, msg, msg_len, sig, sig_len);
}

int sc_sig_verify(enum sc_sig_alg alg, const struct sc_sig_opts *opts, const uint8_t *pub,
                  size_t pub_len, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                  size_t sig_len)
{
	const struct sc_sig_impl *impl = impl_of(alg);
	struct sc_sig_opts o;
	int r;

	if (impl == NULL || pub == NULL || (msg == NULL && msg_len > 0) || sig == NULL)
		return SC_ERR_INVALID;
	if ((r = resolve_opts(impl, opts, &o)) != SC_OK)
		return r;
	return impl->verify(&o, pub, pub_len, msg, msg_len, sig, sig_len);
}

/* ---- public-key encodings ------------------------------------------------ */

static int encode_pem(const struct sc_sig_impl *impl, const uint8_t *pub, size_t pub_len,
                      uint8_t *out, size_t cap, size_t *out_len)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *data;
	long n;
	int r;

	if ((r = impl->pub_pkey(pub, pub_len, &pkey)) != SC_OK)
		return r;
	r = SC_ERR_CRYPTO;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || PEM_write_bio_PUBKEY(bio, pkey) != 1)
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		goto out;
	r = SC_ERR_TOOBIG;
	if ((size_t)n >= cap)
		goto out;
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*out_len = (size_t)n;
	r = SC_OK;
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return r;
}

static int encode_ssh_blob(const struct sc_sig_impl *impl, const uint8_t *pub, size_t pub_len,
                           uint8_t *out, size_t cap, size_t *out_len)
{
	struct sc_buf b;
	const char *type;
	int r;

	if (impl->pub_ssh == NULL) {
		sc_set_error("OpenSSH has no key type for %s", impl->name);
		return SC_ERR_INVALID;
	}
	sc_buf_init_fixed(&b, out, cap);
	if ((r = impl->pub_ssh(pub, pub_len, &b, &type)) != SC_OK)
		return r;
	*out_len = b.len;
	return SC_OK;
}

static int encode_ssh(const struct sc_sig_impl *impl, const uint8_t *pub, size_t pub_len,
                      const char *comment, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t blob[128];
	struct sc_buf b;
	const char *type;
	size_t blob_len, tl, b64_len, cl, pos;
	int r;

	if (impl->pub_ssh == NULL) {
		sc_set_error("OpenSSH has no key type for %s", impl->name);
		return SC_ERR_INVALID;
	}
	sc_buf_init_fixed(&b, blob, sizeof(blob));
	if ((r = impl->pub_ssh(pub, pub_len, &b, &type)) != SC_OK)
		return r;
	blob_len = b.len;
	tl = strlen(type);
	b64_len = sodium_base64_encoded_len(blob_len, sodium_base64_VARIANT_ORIGINAL);
	cl = comment != NULL ? strlen(comment) : 0;
	if (comment != NULL && (strchr(comment, '\n') != NULL || strchr(comment, '\r') != NULL))
		return SC_ERR_INVALID;
	/* type ' ' base64 (its length counts the NUL) [' ' comment] */
	if (tl + 1 + b64_len + (cl > 0 ? cl + 1 : 0) > cap)
		return SC_ERR_TOOBIG;
	memcpy(out, type, tl);
	out[tl] = ' ';
	pos = tl + 1;
	sodium_bin2base64((char *)out + pos, b64_len, blob, blob_len,
	                  sodium_base64_VARIANT_ORIGINAL);
	pos += b64_len - 1;
	if (cl > 0) {
		out[pos++] = ' ';
		memcpy(out + pos, comment, cl);
		pos += cl;
	}
	out[pos] = '\0';
	*out_len = pos;
	return SC_OK;
}

int sc_sig_pub_encode(enum sc_sig_alg alg, const uint8_t *pub, size_t pub_len,
                      enum sc_pub_format fmt, const char *comment, uint8_t *out, size_t cap,
                      size_t *out_len)
{
	const struct sc_sig_impl *impl = impl_of(alg);
	EVP_PKEY *check = NULL;
	int r;

	if (out_len == NULL)
		return SC_ERR_INVALID;
	*out_len = 0;
	if (impl == NULL || pub == NULL || out == NULL || pub_len > SC_SIG_PUB_MAX)
		return SC_ERR_INVALID;
	switch (fmt) {
	case SC_PUB_RAW:
	case SC_PUB_HEX:
		/* the same validation as every other form: a point on the curve */
		if ((r = impl->pub_pkey(pub, pub_len, &check)) != SC_OK)
			return r;
		EVP_PKEY_free(check);
		if (fmt == SC_PUB_RAW) {
			if (pub_len > cap)
				return SC_ERR_TOOBIG;
			memcpy(out, pub, pub_len);
			*out_len = pub_len;
			return SC_OK;
		}
		if (2 * pub_len + 1 > cap)
			return SC_ERR_TOOBIG;
		sodium_bin2hex((char *)out, cap, pub, pub_len);
		*out_len = 2 * pub_len;
		return SC_OK;
	case SC_PUB_PEM:
		return encode_pem(impl, pub, pub_len, out, cap, out_len);
	case SC_PUB_SSH:
		return encode_ssh(impl, pub, pub_len, comment, out, cap, out_len);
	case SC_PUB_SSH_BLOB:
		return encode_ssh_blob(impl, pub, pub_len, out, cap, out_len);
	}
	return SC_ERR_INVALID;
}
