/* ops.c - what a keyring does with its keys: encrypt, decrypt, rewrap,
 * datakey, hmac and its check, and the hooks for signing and export; the
 * AAD binding and the per-version encryption counter. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/keys_int.h"

static int is_aead(int type)
{
	return type == SC_KEY_AES256_GCM || type == SC_KEY_CHACHA20_POLY1305;
}

int sc_keys_aad(const char *name, uint32_t version, int type, const struct sc_keys_ctx *c,
                uint8_t **out, size_t *out_len)
{
	size_t ll = sizeof(SC_KEYS_AAD_LABEL) - 1, nl = strlen(name);
	size_t cl = sc_keys_ctx_encoded_len(c), n = ll + 1 + nl + 4 + 1 + 4 + cl, o = 0;
	uint8_t *a;

	*out = NULL;
	*out_len = 0;
	if (nl > SC_KEY_NAME_MAX)
		return SC_ERR_NAME;
	if ((a = malloc(n)) == NULL)
		return SC_ERR_NOMEM;
	memcpy(a, SC_KEYS_AAD_LABEL, ll);
	o = ll;
	a[o++] = (uint8_t)nl;
	memcpy(a + o, name, nl);
	o += nl;
	sc_be32_put(a + o, version);
	o += 4;
	a[o++] = (uint8_t)type;
	sc_be32_put(a + o, (uint32_t)cl);
	o += 4;
	sc_keys_ctx_write(c, a + o);
	*out = a;
	*out_len = n;
	return SC_OK;
}

int sc_keys_aead(int enc, int type, const uint8_t *key, const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t in_len, uint8_t *payload, uint8_t *pt_out)
{
	uint8_t *nonce = payload, *ct = payload + SC_NONCE_LEN, *tag = ct + in_len;

	if (!is_aead(type))
		return SC_ERR_INVALID;
	if (type == SC_KEY_AES256_GCM) {
		if (enc)
			return sc_aes_gcm_encrypt(key, nonce, SC_NONCE_LEN, aad, aad_len, in,
			                          in_len, ct, tag);
		return sc_aes_gcm_decrypt(key, nonce, SC_NONCE_LEN, aad, aad_len, ct, in_len, tag,
		                          pt_out);
	}
	if (enc)
		return crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		           ct, tag, NULL, in, in_len, aad, aad_len, NULL, nonce, key) == 0
		           ? SC_OK
		           : SC_ERR_CRYPTO;
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(pt_out, NULL, ct, in_len, tag, aad,
	                                                       aad_len, nonce, key) != 0) {
		sc_wipe(pt_out, in_len);
		return SC_ERR_CORRUPT;
	}
	return SC_OK;
}

/* One AEAD call with a version's key: in software, or in the token. */
static int ver_aead(struct sc_keyring *kr, const struct kkey *k, const struct kver *v, int enc,
                    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len,
                    uint8_t *payload, uint8_t *pt_out)
{
	if (k->flags & SC_KEY_IN_TOKEN)
		return sc_keys_tok_aead(kr->tok, k, v, enc, aad, aad_len, in, in_len, payload,
		                        pt_out);
	return sc_keys_aead(enc, k->type, v->material, aad, aad_len, in, in_len, payload, pt_out);
}

/* HMAC-SHA-256 with a version's key: in software, or in the token. */
static int ver_hmac(struct sc_keyring *kr, const struct kkey *k, const struct kver *v,
                    const uint8_t *msg, size_t msg_len, uint8_t mac[SC_MAC_LEN])
{
	if (k->flags & SC_KEY_IN_TOKEN)
		return sc_keys_tok_hmac(kr->tok, k, v, msg, msg_len, mac);
	return sc_hmac_sha256(v->material, v->material_len, msg, msg_len, mac);
}

static int check_opts(const struct sc_keys_opts *o)
{
	if (o == NULL || o->now < 0) {
		sc_set_error("a key operation needs the time");
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

static int need_context(const struct kkey *k, const struct sc_keys_opts *o)
{
	if ((k->flags & SC_KEY_REQUIRE_CONTEXT) && sc_keys_ctx_count(o->ctx) == 0) {
		sc_set_error("key '%s' requires an encryption context (--context key=value)",
		             k->name);
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

static int wrong_type(const struct kkey *k, const char *what)
{
	sc_set_error("key '%s' is a %s key: it does not %s", k->name, sc_key_type_name(k->type),
	             what);
	return SC_ERR_INVALID;
}

static void fill_info(struct sc_keys_info *info, const struct kver *v, int rotated)
{
	if (info == NULL)
		return;
	info->version = v->version;
	info->rotated = rotated;
	info->compromised = v->state == SC_KEY_COMPROMISED ? v->version : 0;
}

/*
 * The version to protect with (op ENCRYPT or SIGN): o->version, or the
 * newest, rotated first when its period has run out or, for AEAD keys, its
 * encryption counter has reached SC_KEYS_AEAD_LIMIT.
 */
static int protect_version(struct sc_keyring *kr, struct kkey *k, const struct sc_keys_opts *o,
                           int op, struct kver **out, int *rotated)
{
	struct kver *v;
	int r, tr;

	*out = NULL;
	*rotated = 0;
	tr = sc_keys_tick_key(kr, k, o->now);
	(void)tr; /* a destruction held by references leaves its version unusable */
	if (o->version != 0) {
		if ((v = sc_keys_version(k, o->version)) == NULL) {
			sc_set_error("key '%s' has no version %u", k->name, o->version);
			return SC_ERR_NOT_FOUND;
		}
		if (is_aead(k->type) && v->used >= SC_KEYS_AEAD_LIMIT) {
			sc_set_error("version %u of key '%s' has made its %llu encryptions: use "
			             "the newest version",
			             v->version, k->name, (unsigned long long)SC_KEYS_AEAD_LIMIT);
			return SC_ERR_STATE;
		}
	} else {
		v = sc_keys_newest(k);
		if ((k->rotate_every > 0 && o->now - v->created >= k->rotate_every) ||
		    (is_aead(k->type) && v->used >= SC_KEYS_AEAD_LIMIT)) {
			if ((r = sc_keys_add_version(kr, k, o->now, SC_KEY_ACTIVE, 0)) != SC_OK)
				return r;
			v = sc_keys_newest(k);
			*rotated = 1;
		}
	}
	if ((r = sc_keys_check_op(k, v, op, 0, o->now)) != SC_OK)
		return r;
	*out = v;
	return SC_OK;
}

/* Count one encryption, reserving another block when the saved
 * reservation is used up (the caller saves before releasing output). */
static int count_use(struct sc_keyring *kr, const struct kkey *k, struct kver *v)
{
	if (v->used >= SC_KEYS_AEAD_LIMIT) {
		sc_set_error("version %u of key '%s' has made its %llu encryptions: rotate it (key "
		             "rotate %s)",
		             v->version, k->name, (unsigned long long)SC_KEYS_AEAD_LIMIT, k->name);
		return SC_ERR_STATE;
	}
	if (v->used >= v->reserved) {
		uint64_t room = SC_KEYS_AEAD_LIMIT - v->reserved;

		v->reserved += kr->reserve_block < room ? kr->reserve_block : room;
		kr->gen++;
	}
	v->used++;
	return SC_OK;
}

static int seal_text(struct sc_keyring *kr, const struct kkey *k, struct kver *v,
                     const struct sc_keys_ctx *ctx, const uint8_t *pt, size_t pt_len, char **out)
{
	uint8_t *aad = NULL, *payload = NULL;
	size_t aad_len = 0, plen = SC_NONCE_LEN + pt_len + SC_TAG_LEN;
	int r;

	if (pt_len > SC_KEYS_PLAINTEXT_MAX) {
		sc_set_error("one encryption takes at most %u bytes", SC_KEYS_PLAINTEXT_MAX);
		return SC_ERR_TOOBIG;
	}
	if ((r = count_use(kr, k, v)) != SC_OK)
		return r;
	if ((r = sc_keys_aad(k->name, v->version, k->type, ctx, &aad, &aad_len)) != SC_OK)
		return r;
	if ((payload = malloc(plen)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if (kr->nonce_fn != NULL)
		kr->nonce_fn(payload, SC_NONCE_LEN, kr->nonce_arg);
	else
		sc_random(payload, SC_NONCE_LEN);
	if ((r = ver_aead(kr, k, v, 1, aad, aad_len, pt, pt_len, payload, NULL)) != SC_OK)
		goto out;
	r = sc_keys_ct_format(k->name, v->version, payload, plen, out);
out:
	free(payload);
	free(aad);
	return r;
}

int sc_keyring_encrypt(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                       const uint8_t *pt, size_t pt_len, char **out, struct sc_keys_info *info)
{
	struct kkey *k;
	struct kver *v;
	int r, rotated;

	*out = NULL;
	if ((r = check_opts(o)) != SC_OK || (r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (!is_aead(k->type))
		return wrong_type(k, "encrypt");
	if ((pt == NULL && pt_len > 0) || (r = need_context(k, o)) != SC_OK)
		return r != SC_OK ? r : SC_ERR_INVALID;
	if ((r = protect_version(kr, k, o, SC_KEY_OP_ENCRYPT, &v, &rotated)) != SC_OK)
		return r;
	if ((r = seal_text(kr, k, v, o->ctx, pt, pt_len, out)) != SC_OK)
		return r;
	fill_info(info, v, rotated);
	return SC_OK;
}

/* Parse ct, find its key and version, check them for op, and check name. */
static int parsed_version(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                          const char *text, size_t len, int op, struct sc_keys_ct *ct,
                          struct kkey **kout, struct kver **vout)
{
	struct kkey *k;
	struct kver *v;
	int r, tr;

	*kout = NULL;
	*vout = NULL;
	if ((r = sc_keys_ct_parse(text, len, ct)) != SC_OK)
		return r;
	if (name != NULL && strcmp(name, ct->name) != 0) {
		sc_set_error("the ciphertext is under key '%s', not '%s'", ct->name, name);
		return SC_ERR_CORRUPT;
	}
	if ((r = sc_keys_lookup(kr, ct->name, &k)) != SC_OK)
		return r;
	tr = sc_keys_tick_key(kr, k, o->now);
	(void)tr; /* see protect_version */
	if ((v = sc_keys_version(k, ct->version)) == NULL) {
		if (ct->version < k->min_available)
			sc_set_error("version %u of key '%s' was trimmed (crypto-erased): this "
			             "ciphertext can never be opened",
			             ct->version, k->name);
		else
			sc_set_error("key '%s' has no version %u", k->name, ct->version);
		return ct->version < k->min_available ? SC_ERR_STATE : SC_ERR_CORRUPT;
	}
	if ((r = sc_keys_check_op(k, v, op, o->allow_compromised, o->now)) != SC_OK)
		return r;
	*kout = k;
	*vout = v;
	return SC_OK;
}

static int open_text(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                     const char *text, size_t len, struct kkey **kout, struct kver **vout,
                     uint8_t **pt, size_t *pt_len)
{
	struct sc_keys_ct ct;
	struct kkey *k;
	struct kver *v;
	uint8_t *aad = NULL, *p = NULL;
	size_t aad_len = 0, n;
	int r;

	*pt = NULL;
	*pt_len = 0;
	if ((r = parsed_version(kr, name, o, text, len, SC_KEY_OP_DECRYPT, &ct, &k, &v)) != SC_OK)
		goto out;
	if (!is_aead(k->type)) {
		r = wrong_type(k, "decrypt");
		goto out;
	}
	if ((r = need_context(k, o)) != SC_OK)
		goto out;
	if (ct.payload_len < SC_NONCE_LEN + SC_TAG_LEN) {
		r = SC_ERR_CORRUPT;
		sc_set_error("the ciphertext is too short");
		goto out;
	}
	n = ct.payload_len - SC_NONCE_LEN - SC_TAG_LEN;
	if ((r = sc_keys_aad(k->name, v->version, k->type, o->ctx, &aad, &aad_len)) != SC_OK)
		goto out;
	if ((p = sc_secmem_alloc(n + 1)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = ver_aead(kr, k, v, 0, aad, aad_len, NULL, n, ct.payload, p)) != SC_OK) {
		/* a token that is not there is no tampered ciphertext */
		if ((k->flags & SC_KEY_IN_TOKEN) && r != SC_ERR_CORRUPT)
			goto out;
		sc_set_error("the ciphertext does not open under version %u of key '%s': "
		             "tampered, or another encryption context",
		             v->version, k->name);
		r = SC_ERR_CORRUPT;
		goto out;
	}
	*kout = k;
	*vout = v;
	*pt = p;
	*pt_len = n;
	p = NULL;
out:
	sc_secmem_free(p);
	free(aad);
	sc_keys_ct_release(&ct);
	return r;
}

int sc_keyring_decrypt(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                       const char *ct, size_t ct_len, uint8_t **pt, size_t *pt_len,
                       struct sc_keys_info *info)
{
	struct kkey *k;
	struct kver *v;
	int r;

	*pt = NULL;
	*pt_len = 0;
	if ((r = check_opts(o)) != SC_OK)
		return r;
	if ((r = open_text(kr, name, o, ct, ct_len, &k, &v, pt, pt_len)) != SC_OK)
		return r;
	fill_info(info, v, 0);
	return SC_OK;
}

int sc_keyring_rewrap(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                      const char *ct, size_t ct_len, char **out, struct sc_keys_info *info)
{
	struct sc_keys_opts o2;
	struct kkey *k;
	struct kver *v, *nv;
	uint8_t *pt = NULL;
	size_t n = 0;
	int r, rotated;

	*out = NULL;
	if ((r = check_opts(o)) != SC_OK)
		return r;
	if ((r = open_text(kr, name, o, ct, ct_len, &k, &v, &pt, &n)) != SC_OK)
		return r;
	o2 = *o;
	o2.version = 0; /* always the newest */
	if ((r = protect_version(kr, k, &o2, SC_KEY_OP_ENCRYPT, &nv, &rotated)) != SC_OK)
		goto out;
	if ((r = seal_text(kr, k, nv, o->ctx, pt, n, out)) != SC_OK)
		goto out;
	fill_info(info, nv, rotated);
	/* what was opened counts too: a compromised text rewrapped is said */
	if (info != NULL && v->state == SC_KEY_COMPROMISED)
		info->compromised = v->version;
out:
	sc_secmem_free(pt);
	return r;
}

int sc_keyring_datakey(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                       char **wrapped, uint8_t **plain, struct sc_keys_info *info)
{
	struct kkey *k;
	struct kver *v;
	uint8_t *dek;
	int r, rotated;

	*wrapped = NULL;
	if (plain != NULL)
		*plain = NULL;
	if ((r = check_opts(o)) != SC_OK || (r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (!is_aead(k->type))
		return wrong_type(k, "wrap data keys");
	if ((r = need_context(k, o)) != SC_OK)
		return r;
	if ((r = protect_version(kr, k, o, SC_KEY_OP_ENCRYPT, &v, &rotated)) != SC_OK)
		return r;
	if ((dek = sc_secmem_alloc(SC_KEYS_DATAKEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	sc_random(dek, SC_KEYS_DATAKEY_LEN);
	if ((r = seal_text(kr, k, v, o->ctx, dek, SC_KEYS_DATAKEY_LEN, wrapped)) != SC_OK) {
		sc_secmem_free(dek);
		return r;
	}
	if (plain != NULL)
		*plain = dek;
	else
		sc_secmem_free(dek);
	fill_info(info, v, rotated);
	return SC_OK;
}

static int hmac_check(const struct kkey *k, const struct sc_keys_opts *o, size_t msg_len,
                      const uint8_t *msg)
{
	if (k->type != SC_KEY_HMAC_SHA256)
		return wrong_type(k, "compute an hmac");
	if (sc_keys_ctx_count(o->ctx) != 0) {
		sc_set_error("an hmac takes no encryption context");
		return SC_ERR_INVALID;
	}
	if (msg == NULL && msg_len > 0)
		return SC_ERR_INVALID;
	if (msg_len > SC_KEYS_PLAINTEXT_MAX) {
		sc_set_error("one hmac takes at most %u bytes", SC_KEYS_PLAINTEXT_MAX);
		return SC_ERR_TOOBIG;
	}
	return SC_OK;
}

int sc_keyring_hmac(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                    const uint8_t *msg, size_t msg_len, char **out, struct sc_keys_info *info)
{
	uint8_t mac[SC_MAC_LEN];
	struct kkey *k;
	struct kver *v;
	int r, rotated;

	*out = NULL;
	if ((r = check_opts(o)) != SC_OK || (r = sc_keys_lookup(kr, name, &k)) != SC_OK ||
	    (r = hmac_check(k, o, msg_len, msg)) != SC_OK)
		return r;
	if ((r = protect_version(kr, k, o, SC_KEY_OP_SIGN, &v, &rotated)) != SC_OK)
		return r;
	if ((r = ver_hmac(kr, k, v, msg, msg_len, mac)) != SC_OK)
		return r;
	r = sc_keys_ct_format(k->name, v->version, mac, sizeof(mac), out);
	if (r == SC_OK)
		fill_info(info, v, rotated);
	return r;
}

int sc_keyring_hmac_verify(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                           const uint8_t *msg, size_t msg_len, const char *mac, size_t mac_len,
                           struct sc_keys_info *info)
{
	uint8_t want[SC_MAC_LEN];
	struct sc_keys_ct ct;
	struct kkey *k;
	struct kver *v;
	int r;

	memset(&ct, 0, sizeof(ct));
	if ((r = check_opts(o)) != SC_OK || (r = sc_keys_lookup(kr, name, &k)) != SC_OK ||
	    (r = hmac_check(k, o, msg_len, msg)) != SC_OK)
		return r;
	if ((r = parsed_version(kr, name, o, mac, mac_len, SC_KEY_OP_VERIFY, &ct, &k, &v)) != SC_OK)
		goto out;
	if ((r = ver_hmac(kr, k, v, msg, msg_len, want)) != SC_OK)
		goto out;
	if (ct.payload_len != SC_MAC_LEN || sc_memcmp_ct(want, ct.payload, SC_MAC_LEN) != 0) {
		sc_set_error("the hmac does not match under version %u of key '%s'", v->version,
		             k->name);
		r = SC_ERR_CORRUPT;
		goto out;
	}
	fill_info(info, v, 0);
out:
	sc_wipe(want, sizeof(want));
	sc_keys_ct_release(&ct);
	return r;
}

int sc_keyring_sig_material(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                            int op, const uint8_t **material, size_t *len,
                            struct sc_keys_info *info)
{
	struct kkey *k;
	struct kver *v;
	int r, rotated = 0, tr;

	*material = NULL;
	*len = 0;
	if ((r = check_opts(o)) != SC_OK || (r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (!sc_key_type_is_signing(k->type))
		return wrong_type(k, "sign");
	if (op == SC_KEY_OP_SIGN) {
		if ((r = protect_version(kr, k, o, op, &v, &rotated)) != SC_OK)
			return r;
	} else if (op == SC_KEY_OP_VERIFY) {
		tr = sc_keys_tick_key(kr, k, o->now);
		(void)tr;
		v = o->version ? sc_keys_version(k, o->version) : sc_keys_newest(k);
		if (v == NULL) {
			sc_set_error("key '%s' has no version %u", k->name, o->version);
			return SC_ERR_NOT_FOUND;
		}
		if ((r = sc_keys_check_op(k, v, op, o->allow_compromised, o->now)) != SC_OK)
			return r;
	} else {
		return SC_ERR_INVALID;
	}
	*material = v->material;
	*len = v->material_len;
	fill_info(info, v, rotated);
	return SC_OK;
}

int sc_keyring_export(struct sc_keyring *kr, const char *name, uint32_t version, uint8_t **out,
                      size_t *out_len)
{
	struct kkey *k;
	struct kver *v;
	int r;

	*out = NULL;
	*out_len = 0;
	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (k->flags & SC_KEY_IN_TOKEN) {
		sc_set_error("key '%s' lives in a token and never leaves it: no export", name);
		return SC_ERR_DENIED;
	}
	if (!(k->flags & SC_KEY_EXPORTABLE)) {
		sc_set_error("key '%s' is not exportable (--exportable is set at creation or "
		             "later, and never cleared)",
		             name);
		return SC_ERR_DENIED;
	}
	if ((v = sc_keys_version(k, version)) == NULL) {
		sc_set_error("key '%s' has no version %u", name, version);
		return SC_ERR_NOT_FOUND;
	}
	if (v->material == NULL) {
		sc_set_error("version %u of key '%s' was destroyed (crypto-erased)", version, name);
		return SC_ERR_STATE;
	}
	if ((*out = sc_secmem_alloc(v->material_len)) == NULL)
		return SC_ERR_NOMEM;
	memcpy(*out, v->material, v->material_len);
	*out_len = v->material_len;
	return SC_OK;
}
