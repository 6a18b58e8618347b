/* blob.c - the whole keyring as one blob, strict and canonical (it holds
 * every key, so it lives in secmem), and its sealed form for the store. */
#include <stdlib.h>
#include <string.h>

#include "keys/keys_int.h"
#include "secretctl/p11.h"

#define BLOB_MAGIC "SCKR"
#define BLOB_FORMAT 1
#define SEAL_LABEL "secretctl keyring v1"

/* ---- serialisation ----
 *
 * "SCKR" u8 format(1) u32 nkeys, then per key (ascending by name):
 *   u8 name_len, name, u8 type, u32 flags, i64 created, i64 rotate_every,
 *   u32 min_decrypt, u32 min_encrypt, u32 min_available, u32 next_version,
 *   u32 nversions, then per version (min_available .. next_version - 1):
 *     u32 version, u8 state, i64 created, activate_at, activated, suspended,
 *     deactivated, compromised, destroyed, destroy_at, u64 reserved,
 *     u16 material_len, material (a key with SC_KEY_IN_TOKEN: the
 *     reference to its object in the token, token.c; never key bytes)
 * big-endian throughout; nothing after the last key.
 */

int sc_keyring_encode(const struct sc_keyring *kr, uint8_t **out, size_t *out_len)
{
	struct sc_buf b;
	size_t i, j;
	int r;

	*out = NULL;
	*out_len = 0;
	sc_buf_init(&b, SC_KEYRING_BLOB_MAX, SC_BUF_SECURE);
	sc_buf_put(&b, BLOB_MAGIC, 4);
	sc_buf_put_uint(&b, BLOB_FORMAT, 1);
	sc_buf_put_uint(&b, kr->nk, 4);
	for (i = 0; i < kr->nk; i++) {
		const struct kkey *k = kr->k[i];
		size_t nl = strlen(k->name);

		sc_buf_put_uint(&b, nl, 1);
		sc_buf_put(&b, k->name, nl);
		sc_buf_put_uint(&b, k->type, 1);
		sc_buf_put_uint(&b, k->flags, 4);
		sc_buf_put_uint(&b, (uint64_t)k->created, 8);
		sc_buf_put_uint(&b, (uint64_t)k->rotate_every, 8);
		sc_buf_put_uint(&b, k->min_decrypt, 4);
		sc_buf_put_uint(&b, k->min_encrypt, 4);
		sc_buf_put_uint(&b, k->min_available, 4);
		sc_buf_put_uint(&b, k->next_version, 4);
		sc_buf_put_uint(&b, k->nv, 4);
		for (j = 0; j < k->nv; j++) {
			const struct kver *v = &k->v[j];
			const int64_t ts[8] = {v->created,   v->activate_at, v->activated,
			                       v->suspended, v->deactivated, v->compromised,
			                       v->destroyed, v->destroy_at};
			int t;

			sc_buf_put_uint(&b, v->version, 4);
			sc_buf_put_uint(&b, v->state, 1);
			for (t = 0; t < 8; t++)
				sc_buf_put_uint(&b, (uint64_t)ts[t], 8);
			sc_buf_put_uint(&b, v->reserved, 8);
			sc_buf_put_uint(&b, v->material_len, 2);
			if (v->material_len > 0)
				sc_buf_put(&b, v->material, v->material_len);
		}
	}
	if ((r = sc_buf_status(&b)) != SC_OK) {
		sc_buf_release(&b);
		return r;
	}
	*out = sc_buf_steal(&b, out_len);
	return SC_OK;
}

/* Reads through the one codec; a short read makes the buffer's sticky
 * error, checked with sc_buf_status() after a run of fields. */
static uint64_t r_uint(struct sc_buf *b, int width)
{
	uint64_t v = 0;

	if (sc_buf_get_uint(b, width, &v) != SC_OK)
		return 0;
	return v;
}

static const uint8_t *r_bytes(struct sc_buf *b, size_t n)
{
	const uint8_t *p = NULL;

	if (sc_buf_get_ptr(b, n, &p) != SC_OK)
		return NULL;
	return p;
}

static int corrupt(const char *what)
{
	sc_set_error("keyring blob: %s", what);
	return SC_ERR_CORRUPT;
}

static int decode_version(struct sc_buf *b, const struct kkey *k, uint32_t want, struct kver *v)
{
	int64_t *ts[8] = {&v->created,     &v->activate_at, &v->activated, &v->suspended,
	                  &v->deactivated, &v->compromised, &v->destroyed, &v->destroy_at};
	const uint8_t *m;
	size_t ml, need = sc_keys_material_len(k->type);
	int t;

	memset(v, 0, sizeof(*v));
	v->version = (uint32_t)r_uint(b, 4);
	v->state = (uint8_t)r_uint(b, 1);
	for (t = 0; t < 8; t++)
		*ts[t] = (int64_t)r_uint(b, 8);
	v->reserved = r_uint(b, 8);
	ml = (size_t)r_uint(b, 2);
	if (sc_buf_status(b) != SC_OK)
		return corrupt("truncated version");
	if (v->version != want)
		return corrupt("versions out of order");
	if (v->state < SC_KEY_PREACTIVE || v->state >= SC_KEY_STATE_MAX)
		return corrupt("unknown state");
	for (t = 0; t < 8; t++)
		if (*ts[t] < 0)
			return corrupt("negative time");
	if (v->reserved > (k->type == SC_KEY_AES256_GCM || k->type == SC_KEY_CHACHA20_POLY1305
	                       ? SC_KEYS_AEAD_LIMIT
	                       : 0))
		return corrupt("encryption counter out of range");
	v->used = v->reserved; /* what was reserved may have been used */
	if (v->state == SC_KEY_DESTROYED) {
		if (ml != 0 || v->destroy_at != 0)
			return corrupt("a destroyed version holds material");
		return SC_OK;
	}
	if (k->flags & SC_KEY_IN_TOKEN) {
		struct sc_keys_tref ref;

		if (ml == 0 || ml > SC_KEYS_TOKEN_REF_MAX)
			return corrupt("bad token reference length");
		if ((m = r_bytes(b, ml)) == NULL)
			return corrupt("truncated token reference");
		if (sc_keys_tref_parse(m, ml, &ref) != SC_OK ||
		    ref.pub_len != (k->type == SC_KEY_ECDSA_P256 ? SC_P11_EC_PUB_LEN
		                    : k->type == SC_KEY_ED25519  ? SC_P11_ED_PUB_LEN
		                                                 : 0))
			return corrupt("bad token reference");
	} else if (k->flags & SC_KEY_PASSPHRASE) {
		if (ml == 0 || ml > SC_KEYS_PP_MATERIAL_MAX)
			return corrupt("bad passphrase blob length");
		if ((m = r_bytes(b, ml)) == NULL)
			return corrupt("truncated passphrase blob");
		if (sc_keys_pp_check(m, ml) != SC_OK)
			return corrupt("bad passphrase blob");
	} else if (need ? ml != need : (ml == 0 || ml > SC_KEY_MATERIAL_MAX)) {
		return corrupt("bad material length");
	} else if ((m = r_bytes(b, ml)) == NULL) {
		return corrupt("truncated material");
	}
	if ((v->material = sc_secmem_alloc(ml)) == NULL)
		return SC_ERR_NOMEM;
	memcpy(v->material, m, ml);
	v->material_len = (uint32_t)ml;
	return SC_OK;
}

static int decode_key(struct sc_buf *b, const char *prev, struct kkey **out)
{
	struct kkey *k;
	const uint8_t *name;
	size_t nl, nv, i;
	uint64_t x;
	int r;

	*out = NULL;
	nl = (size_t)r_uint(b, 1);
	if ((name = r_bytes(b, nl)) == NULL)
		return corrupt("truncated key");
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return SC_ERR_NOMEM;
	r = SC_ERR_CORRUPT;
	if (nl == 0 || nl > SC_KEY_NAME_MAX || memchr(name, 0, nl) != NULL)
		goto bad;
	memcpy(k->name, name, nl);
	if (sc_keys_name_valid(k->name) != SC_OK || (prev != NULL && strcmp(prev, k->name) >= 0)) {
		r = corrupt("key names invalid or out of order");
		goto out;
	}
	k->type = (uint8_t)r_uint(b, 1);
	k->flags = (uint32_t)r_uint(b, 4);
	k->created = (int64_t)r_uint(b, 8);
	k->rotate_every = (int64_t)r_uint(b, 8);
	k->min_decrypt = (uint32_t)r_uint(b, 4);
	k->min_encrypt = (uint32_t)r_uint(b, 4);
	k->min_available = (uint32_t)r_uint(b, 4);
	k->next_version = (uint32_t)r_uint(b, 4);
	x = r_uint(b, 4);
	if (sc_buf_status(b) != SC_OK)
		goto bad;
	if (k->type == 0 || k->type >= SC_KEY_TYPE_MAX || (k->flags & ~SC_KEY_FLAGS_ALL) ||
	    ((k->flags & SC_KEY_CONFIRM) && !sc_key_type_is_signing(k->type)) ||
	    ((k->flags & SC_KEY_PASSPHRASE) &&
	     (!sc_key_type_is_signing(k->type) ||
	      (k->flags & (SC_KEY_IN_TOKEN | SC_KEY_EXPORTABLE)))) ||
	    ((k->flags & SC_KEY_REQUIRE_CONTEXT) &&
	     (k->type == SC_KEY_HMAC_SHA256 || sc_key_type_is_signing(k->type))) ||
	    ((k->flags & SC_KEY_IN_TOKEN) &&
	     ((k->flags & SC_KEY_EXPORTABLE) ||
	      (k->type != SC_KEY_AES256_GCM && k->type != SC_KEY_ECDSA_P256 &&
	       k->type != SC_KEY_ED25519 && k->type != SC_KEY_HMAC_SHA256))) ||
	    k->created < 0 || k->rotate_every < 0)
		goto bad;
	/* live versions are exactly min_available .. next_version - 1 */
	if (k->min_available == 0 || k->next_version <= k->min_available ||
	    x != (uint64_t)(k->next_version - k->min_available) || x > SC_KEY_VERSIONS_MAX ||
	    k->min_decrypt < k->min_available || k->min_decrypt >= k->next_version ||
	    k->min_encrypt < k->min_available || k->min_encrypt >= k->next_version)
		goto bad;
	nv = (size_t)x;
	if ((k->v = calloc(nv, sizeof(*k->v))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	k->cap = nv;
	for (i = 0; i < nv; i++) {
		if ((r = decode_version(b, k, k->min_available + (uint32_t)i, &k->v[i])) != SC_OK)
			goto out;
		k->nv++;
	}
	*out = k;
	return SC_OK;
bad:
	r = corrupt("bad key header");
out:
	sc_keys_key_free(k);
	return r;
}

int sc_keyring_decode(const uint8_t *blob, size_t len, struct sc_keyring **out)
{
	struct sc_buf b;
	struct sc_keyring *kr = NULL;
	const uint8_t *magic;
	uint64_t n, i, fmt;
	int r;

	*out = NULL;
	if (len > SC_KEYRING_BLOB_MAX || (blob == NULL && len > 0))
		return corrupt("too large");
	sc_buf_init_reader(&b, blob, len);
	magic = r_bytes(&b, 4);
	fmt = r_uint(&b, 1);
	n = r_uint(&b, 4);
	if (sc_buf_status(&b) != SC_OK || memcmp(magic, BLOB_MAGIC, 4) != 0)
		return corrupt("not a keyring");
	if (fmt != BLOB_FORMAT) {
		sc_set_error("keyring blob format %u is not known to this build", (unsigned)fmt);
		return SC_ERR_VERSION;
	}
	if (n > SC_KEYRING_KEYS_MAX)
		return corrupt("too many keys");
	if ((r = sc_keyring_new(&kr)) != SC_OK)
		return r;
	if (n > 0 && (kr->k = calloc((size_t)n, sizeof(*kr->k))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	kr->cap = (size_t)n;
	for (i = 0; i < n; i++) {
		if ((r = decode_key(&b, i ? kr->k[i - 1]->name : NULL, &kr->k[i])) != SC_OK)
			goto out;
		kr->nk++;
	}
	if (sc_buf_left(&b) != 0) {
		r = corrupt("trailing bytes");
		goto out;
	}
	*out = kr;
	kr = NULL;
out:
	sc_keyring_free(kr);
	return r;
}

/* ---- sealing under the vault's keyring sub-key ---- */

static void seal_aad(const uint8_t vault_id[SC_VAULT_ID_LEN], uint8_t *aad)
{
	memcpy(aad, SEAL_LABEL, sizeof(SEAL_LABEL) - 1);
	memcpy(aad + sizeof(SEAL_LABEL) - 1, vault_id, SC_VAULT_ID_LEN);
}

#define SEAL_AAD_LEN (sizeof(SEAL_LABEL) - 1 + SC_VAULT_ID_LEN)

int sc_keyring_seal(const struct sc_keyring *kr, const uint8_t key[SC_KEY_LEN],
                    const uint8_t vault_id[SC_VAULT_ID_LEN], uint8_t **out, size_t *out_len)
{
	uint8_t aad[SEAL_AAD_LEN], *blob = NULL, *s = NULL;
	size_t n = 0;
	int r;

	*out = NULL;
	*out_len = 0;
	if ((r = sc_keyring_encode(kr, &blob, &n)) != SC_OK)
		return r;
	seal_aad(vault_id, aad);
	if ((s = malloc(n + SC_SEAL_OVERHEAD)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = sc_seal(key, aad, sizeof(aad), blob, n, s)) != SC_OK)
		goto out;
	*out = s;
	*out_len = n + SC_SEAL_OVERHEAD;
	s = NULL;
out:
	free(s);
	sc_secmem_free(blob);
	return r;
}

int sc_keyring_open(const uint8_t key[SC_KEY_LEN], const uint8_t vault_id[SC_VAULT_ID_LEN],
                    const uint8_t *sealed, size_t sealed_len, struct sc_keyring **out)
{
	uint8_t aad[SEAL_AAD_LEN], *blob;
	size_t n;
	int r;

	*out = NULL;
	if (sealed_len < SC_SEAL_OVERHEAD || sealed_len > SC_KEYRING_BLOB_MAX + SC_SEAL_OVERHEAD)
		return corrupt("sealed keyring has a bad length");
	n = sealed_len - SC_SEAL_OVERHEAD;
	if ((blob = sc_secmem_alloc(n ? n : 1)) == NULL)
		return SC_ERR_NOMEM;
	seal_aad(vault_id, aad);
	if ((r = sc_open(key, aad, sizeof(aad), sealed, sealed_len, blob)) != SC_OK) {
		sc_set_error("the sealed keyring does not open: tampered, or another vault's");
		r = SC_ERR_CORRUPT;
	} else {
		r = sc_keyring_decode(blob, n, out);
	}
	sc_secmem_free(blob);
	return r;
}
