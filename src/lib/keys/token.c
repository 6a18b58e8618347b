/* token.c - named keys that live in a PKCS#11 token: a version's
 * "material" is only a reference to the token's object (the token's URI by
 * label and serial, the object's CKA_ID, an EC key's public point), never
 * key bytes; the AEAD, signing and destruction go to the token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "keys/keys_int.h"
#include "secretctl/p11.h"

#define REF_MAGIC "SCTK"
#define REF_FORMAT 1

/* "SCTK" u8 format(1) u16 uri_len uri u8 id_len id u8 pub_len pub */
int sc_keys_tref_parse(const uint8_t *m, size_t len, struct sc_keys_tref *out)
{
	size_t o = 5;

	memset(out, 0, sizeof(*out));
	if (m == NULL || len < 5 + 2 + 1 + 1 || len > SC_KEYS_TOKEN_REF_MAX ||
	    memcmp(m, REF_MAGIC, 4) != 0 || m[4] != REF_FORMAT)
		goto bad;
	out->uri_len = ((size_t)m[o] << 8) | m[o + 1];
	o += 2;
	if (out->uri_len == 0 || out->uri_len > SC_P11_URI_MAX || o + out->uri_len + 2 > len ||
	    memchr(m + o, '\0', out->uri_len) != NULL)
		goto bad;
	out->uri = (const char *)m + o;
	o += out->uri_len;
	out->id_len = m[o++];
	if (out->id_len == 0 || out->id_len > SC_P11_ID_MAX || o + out->id_len + 1 > len)
		goto bad;
	out->id = m + o;
	o += out->id_len;
	out->pub_len = m[o++];
	if ((out->pub_len != 0 && out->pub_len != SC_P11_EC_PUB_LEN &&
	     out->pub_len != SC_P11_ED_PUB_LEN) ||
	    o + out->pub_len != len)
		goto bad;
	out->pub = out->pub_len ? m + o : NULL;
	return SC_OK;
bad:
	memset(out, 0, sizeof(*out));
	sc_set_error("keyring: a bad token key reference");
	return SC_ERR_CORRUPT;
}

static int no_token(const struct kkey *k)
{
	sc_set_error("key '%s' lives in a token: this needs the token (and its PIN)", k->name);
	return SC_ERR_TOKEN;
}

/* What a failed token call says of one version: a key that is gone is a
 * token problem, the keyring's reference is all we have. */
static int tok_fail(const struct kkey *k, const struct kver *v, struct sc_p11_token *t, int r)
{
	if (r == SC_ERR_NOT_FOUND) {
		sc_set_error("version %u of key '%s': its object is gone from token '%s' "
		             "(deleted behind secretctl's back?)",
		             v->version, k->name, sc_p11_token_label(t));
		return SC_ERR_TOKEN;
	}
	return r;
}

int sc_keys_tok_generate(struct sc_p11_token *t, const struct kkey *k, uint32_t version,
                         uint8_t **ref, uint32_t *ref_len)
{
	char label[SC_KEY_NAME_MAX + 32], *uri = NULL;
	uint8_t id[SC_P11_ID_LEN], pub[SC_P11_EC_PUB_LEN], *m = NULL;
	size_t ul, pl = 0, n, o = 0;
	int r;

	*ref = NULL;
	*ref_len = 0;
	if (t == NULL)
		return no_token(k);
	snprintf(label, sizeof(label), "secretctl:%s:v%u", k->name, version);
	if (k->type == SC_KEY_AES256_GCM)
		r = sc_p11_aes_generate_id(t, label, id);
	else if (k->type == SC_KEY_HMAC_SHA256)
		r = sc_p11_hmac_generate_id(t, label, id);
	else if (k->type == SC_KEY_ECDSA_P256)
		r = sc_p11_ec_generate_id(t, label, SC_P11_CURVE_P256, id, pub, &pl);
	else if (k->type == SC_KEY_ED25519)
		r = sc_p11_ec_generate_id(t, label, SC_P11_CURVE_ED25519, id, pub, &pl);
	else {
		sc_set_error("only aes256-gcm, hmac-sha256, ecdsa-p256 and ed25519 keys live in "
		             "a token");
		return SC_ERR_INVALID;
	}
	if (r != SC_OK)
		return r;
	if ((r = sc_p11_object_uri(t, label, id, sizeof(id), &uri)) != SC_OK)
		goto undo;
	ul = strlen(uri);
	n = 5 + 2 + ul + 1 + sizeof(id) + 1 + pl;
	if ((m = sc_secmem_alloc(n)) == NULL) {
		r = SC_ERR_NOMEM;
		goto undo;
	}
	memcpy(m, REF_MAGIC, 4);
	m[4] = REF_FORMAT;
	o = 5;
	m[o++] = (uint8_t)(ul >> 8);
	m[o++] = (uint8_t)ul;
	memcpy(m + o, uri, ul);
	o += ul;
	m[o++] = sizeof(id);
	memcpy(m + o, id, sizeof(id));
	o += sizeof(id);
	m[o++] = (uint8_t)pl;
	if (pl > 0)
		memcpy(m + o, pub, pl);
	free(uri);
	*ref = m;
	*ref_len = (uint32_t)n;
	return SC_OK;
undo:
	free(uri);
	(void)!sc_p11_destroy_id(t, id, sizeof(id)); /* the reference is lost: no orphan */
	return r;
}

int sc_keys_tok_aead(struct sc_p11_token *t, const struct kkey *k, const struct kver *v, int enc,
                     const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len,
                     uint8_t *payload, uint8_t *pt_out)
{
	struct sc_keys_tref ref;
	uint8_t *buf = NULL;
	size_t n;
	int r;

	if (t == NULL)
		return no_token(k);
	if ((r = sc_keys_tref_parse(v->material, v->material_len, &ref)) != SC_OK)
		return r;
	if (enc) {
		n = in_len + SC_TAG_LEN;
		r = sc_p11_gcm(t, ref.id, ref.id_len, 1, payload, aad, aad_len, in, in_len,
		               payload + SC_NONCE_LEN, &n);
		return tok_fail(k, v, t, r);
	}
	/* the token writes the plaintext only where it is told: secmem */
	n = in_len + SC_TAG_LEN;
	if ((buf = sc_secmem_alloc(n)) == NULL)
		return SC_ERR_NOMEM;
	r = sc_p11_gcm(t, ref.id, ref.id_len, 0, payload, aad, aad_len, payload + SC_NONCE_LEN,
	               in_len + SC_TAG_LEN, buf, &n);
	if (r == SC_OK)
		memcpy(pt_out, buf, in_len);
	sc_secmem_free(buf);
	return tok_fail(k, v, t, r);
}

/* r || s as the canonical DER SEQUENCE { r, s } (OpenSSL: minimal). */
static int sig_der(const uint8_t raw[SC_P11_EC_SIG_LEN], uint8_t *out, size_t *out_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
	unsigned char *p = out;
	int n;

	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		ECDSA_SIG_free(es);
		BN_free(r);
		BN_free(s);
		return SC_ERR_NOMEM;
	}
	n = i2d_ECDSA_SIG(es, NULL);
	if (n <= 0 || n > SC_SIG_MAX || i2d_ECDSA_SIG(es, &p) != n) {
		ECDSA_SIG_free(es);
		sc_set_error("cannot encode the token's signature");
		return SC_ERR_CRYPTO;
	}
	ECDSA_SIG_free(es);
	*out_len = (size_t)n;
	return SC_OK;
}

/* Ed25519 in the token: RFC 8032's 64 bytes over the message itself. */
static int sign_ed25519(struct sc_p11_token *t, const struct kkey *k, const struct kver *v,
                        const struct sc_keys_tref *ref, const struct sc_sig_opts *so,
                        const uint8_t *msg, size_t msg_len, uint8_t sig[SC_SIG_MAX],
                        size_t *sig_len)
{
	int r;

	if (so != NULL &&
	    ((so->scheme != SC_SIG_SCHEME_DEFAULT && so->scheme != SC_SIG_SCHEME_EDDSA) ||
	     so->format == SC_SIG_FMT_DER || so->format > SC_SIG_FMT_RAW || so->prehashed)) {
		sc_set_error("key '%s' in a token signs pure Ed25519 only (no DER, no prehash)",
		             k->name);
		return SC_ERR_INVALID;
	}
	r = sc_p11_ec_sign_id(t, ref->id, ref->id_len, SC_P11_CURVE_ED25519, msg, msg_len, sig);
	if (r != SC_OK)
		return tok_fail(k, v, t, r);
	*sig_len = SC_P11_EC_SIG_LEN;
	return SC_OK;
}

int sc_keys_tok_sign(struct sc_p11_token *t, const struct kkey *k, const struct kver *v,
                     const struct sc_sig_opts *so, const uint8_t *msg, size_t msg_len,
                     uint8_t sig[SC_SIG_MAX], size_t *sig_len)
{
	struct sc_keys_tref ref;
	uint8_t digest[32], raw[SC_P11_EC_SIG_LEN];
	unsigned int dlen = 0;
	int r;

	*sig_len = 0;
	if (k->type != SC_KEY_ED25519 && so != NULL &&
	    ((so->scheme != SC_SIG_SCHEME_DEFAULT && so->scheme != SC_SIG_SCHEME_ECDSA) ||
	     so->format > SC_SIG_FMT_RAW)) {
		sc_set_error("key '%s' in a token signs ECDSA only", k->name);
		return SC_ERR_INVALID;
	}
	if (t == NULL)
		return no_token(k);
	if ((r = sc_keys_tref_parse(v->material, v->material_len, &ref)) != SC_OK)
		return r;
	if (k->type == SC_KEY_ED25519)
		return sign_ed25519(t, k, v, &ref, so, msg, msg_len, sig, sig_len);
	if (so != NULL && so->prehashed) {
		if (msg_len != sizeof(digest)) {
			sc_set_error("a prehashed message is a 32-byte SHA-256 digest");
			return SC_ERR_INVALID;
		}
		memcpy(digest, msg, sizeof(digest));
	} else if (EVP_Digest(msg != NULL ? msg : (const uint8_t *)"", msg_len, digest, &dlen,
	                      EVP_sha256(), NULL) != 1 ||
	           dlen != sizeof(digest)) {
		sc_set_error("SHA-256 failed");
		return SC_ERR_CRYPTO;
	}
	r = sc_p11_ec_sign_id(t, ref.id, ref.id_len, SC_P11_CURVE_P256, digest, sizeof(digest),
	                      raw);
	if (r != SC_OK)
		return tok_fail(k, v, t, r);
	if (so != NULL && so->format == SC_SIG_FMT_RAW) {
		memcpy(sig, raw, sizeof(raw));
		*sig_len = sizeof(raw);
		return SC_OK;
	}
	return sig_der(raw, sig, sig_len);
}

int sc_keys_tok_pubkey(const struct kkey *k, const struct kver *v, uint8_t pub[SC_SIG_PUB_MAX],
                       size_t *pub_len)
{
	struct sc_keys_tref ref;
	int r;

	*pub_len = 0;
	if (v->material == NULL) {
		sc_set_error("version %u of key '%s' was destroyed", v->version, k->name);
		return SC_ERR_STATE;
	}
	if ((r = sc_keys_tref_parse(v->material, v->material_len, &ref)) != SC_OK)
		return r;
	if (ref.pub == NULL) {
		sc_set_error("key '%s' has no public key", k->name);
		return SC_ERR_INVALID;
	}
	memcpy(pub, ref.pub, ref.pub_len);
	*pub_len = ref.pub_len;
	return SC_OK;
}

int sc_keys_tok_hmac(struct sc_p11_token *t, const struct kkey *k, const struct kver *v,
                     const uint8_t *msg, size_t msg_len, uint8_t mac[32])
{
	struct sc_keys_tref ref;
	int r;

	if (t == NULL)
		return no_token(k);
	if ((r = sc_keys_tref_parse(v->material, v->material_len, &ref)) != SC_OK)
		return r;
	return tok_fail(k, v, t, sc_p11_hmac_id(t, ref.id, ref.id_len, msg, msg_len, mac));
}

int sc_keys_tok_destroy(struct sc_p11_token *t, const struct kkey *k, const struct kver *v)
{
	struct sc_keys_tref ref;
	int r;

	if (v->material == NULL)
		return SC_OK;
	if (t == NULL)
		return no_token(k);
	if ((r = sc_keys_tref_parse(v->material, v->material_len, &ref)) != SC_OK)
		return r;
	r = sc_p11_destroy_id(t, ref.id, ref.id_len);
	/* already gone is what destruction wants */
	if (r == SC_ERR_NOT_FOUND) {
		sc_clear_error();
		r = SC_OK;
	}
	return r;
}
