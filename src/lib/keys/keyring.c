/* keyring.c - the keyring model: keys sorted by name, versions with their
 * material in secmem, creation, rotation, names and types; test hooks. */
#include <stdlib.h>
#include <string.h>

#include "keys/keys_int.h"

static const char *const type_names[SC_KEY_TYPE_MAX] = {
    [SC_KEY_AES256_GCM] = "aes256-gcm",       [SC_KEY_CHACHA20_POLY1305] = "chacha20-poly1305",
    [SC_KEY_HMAC_SHA256] = "hmac-sha256",     [SC_KEY_ED25519] = "ed25519",
    [SC_KEY_ECDSA_P256] = "ecdsa-p256",       [SC_KEY_SECP256K1] = "secp256k1",
    [SC_KEY_FROST_ED25519] = "frost-ed25519",
};

const char *sc_key_type_name(int type)
{
	if (type <= 0 || type >= SC_KEY_TYPE_MAX)
		return "?";
	return type_names[type];
}

int sc_key_type_parse(const char *s, enum sc_key_type *out)
{
	int t;

	for (t = 1; t < SC_KEY_TYPE_MAX; t++)
		if (s != NULL && strcmp(s, type_names[t]) == 0) {
			*out = (enum sc_key_type)t;
			return SC_OK;
		}
	sc_set_error("unknown key type '%.32s' (aes256-gcm, chacha20-poly1305, hmac-sha256, "
	             "ed25519, ecdsa-p256, secp256k1)",
	             s != NULL ? s : "");
	return SC_ERR_INVALID;
}

int sc_key_type_is_signing(int type)
{
	return type == SC_KEY_ED25519 || type == SC_KEY_ECDSA_P256 || type == SC_KEY_SECP256K1 ||
	       type == SC_KEY_FROST_ED25519;
}

size_t sc_keys_material_len(int type)
{
	return sc_key_type_is_signing(type) ? 0 : SC_KEY_LEN;
}

static int is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int sc_keys_name_valid(const char *name)
{
	size_t i;

	if (name == NULL || !is_alnum((unsigned char)name[0])) {
		sc_set_error("a key name starts with a letter or digit");
		return SC_ERR_NAME;
	}
	for (i = 0; name[i] != '\0'; i++) {
		int c = (unsigned char)name[i];

		if (i >= SC_KEY_NAME_MAX) {
			sc_set_error("a key name has at most %d characters", SC_KEY_NAME_MAX);
			return SC_ERR_NAME;
		}
		if (!is_alnum(c) && c != '.' && c != '_' && c != '-') {
			sc_set_error("a key name has only letters, digits, '.', '_' and '-'");
			return SC_ERR_NAME;
		}
	}
	return SC_OK;
}

/* ---- the model ---- */

int sc_keyring_new(struct sc_keyring **out)
{
	struct sc_keyring *kr;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return SC_ERR_NOMEM;
	kr->reserve_block = 1024;
	*out = kr;
	return SC_OK;
}

void sc_keys_erase_material(struct kver *v)
{
	sc_secmem_free(v->material); /* wipes */
	v->material = NULL;
	v->material_len = 0;
}

void sc_keys_key_free(struct kkey *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->nv; i++)
		sc_keys_erase_material(&k->v[i]);
	free(k->v);
	free(k);
}

void sc_keyring_free(struct sc_keyring *kr)
{
	size_t i;

	if (kr == NULL)
		return;
	for (i = 0; i < kr->nk; i++)
		sc_keys_key_free(kr->k[i]);
	free(kr->k);
	free(kr);
}

void sc_keyring_set_refs(struct sc_keyring *kr, sc_keyring_refs_fn fn, void *arg)
{
	kr->refs = fn;
	kr->refs_arg = arg;
}

void sc_keyring_set_origin(struct sc_keyring *kr, const uint8_t tag[SC_KEYRING_ORIGIN_LEN])
{
	memcpy(kr->origin, tag, SC_KEYRING_ORIGIN_LEN);
	kr->has_origin = 1;
}

int sc_keyring_get_origin(const struct sc_keyring *kr, uint8_t tag[SC_KEYRING_ORIGIN_LEN])
{
	if (!kr->has_origin)
		return 0;
	memcpy(tag, kr->origin, SC_KEYRING_ORIGIN_LEN);
	return 1;
}

void sc_keyring_set_token(struct sc_keyring *kr, struct sc_p11_token *t)
{
	kr->tok = t;
}

int sc_keyring_token_uri(const struct sc_keyring *kr, const char *name, uint32_t version, char *buf,
                         size_t cap)
{
	struct sc_keys_tref ref;
	struct kver *v = NULL;
	struct kkey *k;
	size_t i;
	int r;

	if (cap > 0)
		buf[0] = '\0';
	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (!(k->flags & SC_KEY_IN_TOKEN)) {
		sc_set_error("key '%s' does not live in a token", name);
		return SC_ERR_INVALID;
	}
	for (i = k->nv; i > 0 && v == NULL; i--)
		if (k->v[i - 1].material != NULL &&
		    (version == 0 || k->v[i - 1].version == version))
			v = &k->v[i - 1];
	if (v == NULL) {
		sc_set_error("key '%s' has no version in its token any more", name);
		return SC_ERR_NOT_FOUND;
	}
	if ((r = sc_keys_tref_parse(v->material, v->material_len, &ref)) != SC_OK)
		return r;
	if (ref.uri_len >= cap)
		return SC_ERR_TOOBIG;
	memcpy(buf, ref.uri, ref.uri_len);
	buf[ref.uri_len] = '\0';
	return SC_OK;
}

void sc_keyring_token_saved(struct sc_keyring *kr)
{
	kr->nmade = 0;
}

int sc_keyring_token_unsaved(struct sc_keyring *kr)
{
	int first = SC_OK, r;
	struct kkey *k;
	struct kver *v;
	size_t i;

	for (i = 0; i < kr->nmade; i++) {
		if ((k = sc_keys_find(kr, kr->made[i].name)) == NULL ||
		    (v = sc_keys_version(k, kr->made[i].version)) == NULL)
			continue;
		if ((r = sc_keys_tok_destroy(kr->tok, k, v)) != SC_OK && first == SC_OK)
			first = r;
	}
	kr->nmade = 0;
	return first;
}

void sc_keyring_set_sig_keygen(struct sc_keyring *kr, sc_keys_sig_keygen_fn fn, void *arg)
{
	kr->keygen = fn;
	kr->keygen_arg = arg;
}

void sc_keyring_set_reserve(struct sc_keyring *kr, uint64_t block)
{
	kr->reserve_block = block == 0 ? 1 : block;
}

uint64_t sc_keyring_generation(const struct sc_keyring *kr)
{
	return kr->gen;
}

void sc_keys_test_set_nonce(struct sc_keyring *kr, sc_keys_nonce_fn fn, void *arg)
{
	kr->nonce_fn = fn;
	kr->nonce_arg = arg;
}

/* Binary search over the sorted keys: index of name, or where it goes. */
static size_t key_slot(const struct sc_keyring *kr, const char *name, int *found)
{
	size_t lo = 0, hi = kr->nk;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(kr->k[mid]->name, name);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct kkey *sc_keys_find(const struct sc_keyring *kr, const char *name)
{
	int found;
	size_t i;

	if (name == NULL)
		return NULL;
	i = key_slot(kr, name, &found);
	return found ? kr->k[i] : NULL;
}

int sc_keys_lookup(const struct sc_keyring *kr, const char *name, struct kkey **out)
{
	int r;

	*out = NULL;
	if ((r = sc_keys_name_valid(name)) != SC_OK)
		return r;
	if ((*out = sc_keys_find(kr, name)) == NULL) {
		sc_set_error("no key '%s' (key create %s --type ...)", name, name);
		return SC_ERR_NOT_FOUND;
	}
	return SC_OK;
}

struct kver *sc_keys_version(const struct kkey *k, uint32_t version)
{
	/* versions are contiguous from min_available */
	if (version < k->min_available || version - k->min_available >= k->nv)
		return NULL;
	return &k->v[version - k->min_available];
}

struct kver *sc_keys_newest(const struct kkey *k)
{
	return k->nv > 0 ? &k->v[k->nv - 1] : NULL;
}

void sc_keyring_set_passphrase(struct sc_keyring *kr, const struct sc_keys_pp *pp)
{
	if (kr == NULL)
		return;
	memset(&kr->pp, 0, sizeof(kr->pp));
	kr->has_pp = pp != NULL && pp->passphrase != NULL;
	if (kr->has_pp)
		kr->pp = *pp;
}

/* A new version's key blob sealed under the passphrase, once that
 * passphrase is shown to open the newest version (a typo at rotation must
 * not leave versions under two passphrases). */
static int pp_seal(struct sc_keyring *kr, const struct kkey *k, uint32_t version,
                   const uint8_t *blob, size_t len, uint8_t **out, uint32_t *out_len)
{
	size_t i;

	if (!kr->has_pp) {
		sc_set_error("key '%s' is sealed under a passphrase: it is needed here", k->name);
		return SC_ERR_AUTH;
	}
	for (i = k->nv; i > 0; i--) {
		const struct kver *v = &k->v[i - 1];
		struct sc_sig_key *sk = NULL;
		int r;

		if (v->material == NULL)
			continue;
		if ((r = sc_keys_pp_unwrap(k, v, &kr->pp, &sk)) != SC_OK)
			return r;
		sc_sig_key_free(sk);
		break;
	}
	return sc_keys_pp_wrap(k, version, &kr->pp, blob, len, out, out_len);
}

static int make_material(struct sc_keyring *kr, const struct kkey *k, uint32_t version,
                         uint8_t **out, uint32_t *out_len)
{
	size_t n = sc_keys_material_len(k->type), got = 0;
	int type = k->type;
	uint8_t *m;
	int r;

	*out = NULL;
	if (k->flags & SC_KEY_IN_TOKEN)
		return sc_keys_tok_generate(kr->tok, k, version, out, out_len);
	if ((m = sc_secmem_alloc(n > 0 ? n : SC_KEY_MATERIAL_MAX)) == NULL)
		return SC_ERR_NOMEM;
	if (n > 0) {
		sc_random(m, n);
		got = n;
	} else if (kr->keygen == NULL) {
		/* the signature table (sig.h) generates these: not wired in yet */
		sc_set_error("%s keys need the signature table, which is not wired in",
		             sc_key_type_name(type));
		sc_secmem_free(m);
		return SC_ERR_INVALID;
	} else if ((r = kr->keygen(type, m, SC_KEY_MATERIAL_MAX, &got, kr->keygen_arg)) != SC_OK ||
	           got == 0 || got > SC_KEY_MATERIAL_MAX) {
		sc_secmem_free(m);
		return r != SC_OK ? r : SC_ERR_CRYPTO;
	}
	if (k->flags & SC_KEY_PASSPHRASE) {
		uint8_t *w = NULL;
		uint32_t wl = 0;

		r = pp_seal(kr, k, version, m, got, &w, &wl);
		sc_secmem_free(m);
		if (r != SC_OK)
			return r;
		m = w;
		got = wl;
	}
	*out = m;
	*out_len = (uint32_t)got;
	return SC_OK;
}

int sc_keys_add_version(struct sc_keyring *kr, struct kkey *k, int64_t now, int state,
                        int64_t activate_at)
{
	struct kver *v;
	int r;

	if (k->nv >= SC_KEY_VERSIONS_MAX || k->next_version == UINT32_MAX) {
		sc_set_error("key '%s' has %zu versions: trim the old ones first (key trim %s "
		             "--below N)",
		             k->name, k->nv, k->name);
		return SC_ERR_TOOBIG;
	}
	if (k->nv == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4;
		struct kver *nv = realloc(k->v, cap * sizeof(*nv));

		if (nv == NULL)
			return SC_ERR_NOMEM;
		k->v = nv;
		k->cap = cap;
	}
	v = &k->v[k->nv];
	memset(v, 0, sizeof(*v));
	if ((r = make_material(kr, k, k->next_version, &v->material, &v->material_len)) != SC_OK)
		return r;
	if ((k->flags & SC_KEY_IN_TOKEN) && kr->nmade < SC_KEYS_MADE_MAX) {
		memcpy(kr->made[kr->nmade].name, k->name, sizeof(k->name));
		kr->made[kr->nmade++].version = k->next_version;
	}
	v->version = k->next_version++;
	v->created = now;
	v->state = (uint8_t)state;
	v->activate_at = activate_at;
	if (state == SC_KEY_ACTIVE)
		v->activated = now;
	k->nv++;
	kr->gen++;
	return SC_OK;
}

int sc_keyring_create(struct sc_keyring *kr, const char *name, enum sc_key_type type,
                      const struct sc_key_params *p, int64_t now)
{
	struct sc_key_params none = {0, 0, 0};
	struct kkey *k;
	int found, r, preact;
	size_t at;

	if (p == NULL)
		p = &none;
	if ((r = sc_keys_name_valid(name)) != SC_OK)
		return r;
	if ((int)type <= 0 || type >= SC_KEY_TYPE_MAX) {
		sc_set_error("unknown key type %d", (int)type);
		return SC_ERR_INVALID;
	}
	if ((p->flags & ~SC_KEY_FLAGS_ALL) != 0 || p->rotate_every < 0 || now < 0 ||
	    p->activate_at < 0) {
		sc_set_error("bad key parameters");
		return SC_ERR_INVALID;
	}
	if ((p->flags & SC_KEY_REQUIRE_CONTEXT) &&
	    (type == SC_KEY_HMAC_SHA256 || sc_key_type_is_signing(type))) {
		sc_set_error("only encryption keys take a context");
		return SC_ERR_INVALID;
	}
	if ((p->flags & SC_KEY_IN_TOKEN) &&
	    ((p->flags & SC_KEY_EXPORTABLE) ||
	     (type != SC_KEY_AES256_GCM && type != SC_KEY_ECDSA_P256 && type != SC_KEY_ED25519 &&
	      type != SC_KEY_HMAC_SHA256))) {
		sc_set_error((p->flags & SC_KEY_EXPORTABLE)
		                 ? "a key in a token is never exportable"
		                 : "a key in a token is aes256-gcm, hmac-sha256, ecdsa-p256 or "
		                   "ed25519");
		return SC_ERR_INVALID;
	}
	if ((p->flags & SC_KEY_CONFIRM) && !sc_key_type_is_signing(type)) {
		sc_set_error("only signing keys take a confirmation per use");
		return SC_ERR_INVALID;
	}
	if ((p->flags & SC_KEY_PASSPHRASE) &&
	    (!sc_key_type_is_signing(type) || (p->flags & (SC_KEY_IN_TOKEN | SC_KEY_EXPORTABLE)))) {
		sc_set_error(sc_key_type_is_signing(type)
		                 ? "a passphrase key is a software key and never exportable"
		                 : "only signing keys take a passphrase");
		return SC_ERR_INVALID;
	}
	at = key_slot(kr, name, &found);
	if (found) {
		sc_set_error("key '%s' exists", name);
		return SC_ERR_EXISTS;
	}
	if (kr->nk >= SC_KEYRING_KEYS_MAX) {
		sc_set_error("the keyring holds %d keys at most", SC_KEYRING_KEYS_MAX);
		return SC_ERR_TOOBIG;
	}
	if (kr->nk == kr->cap) {
		size_t cap = kr->cap ? kr->cap * 2 : 8;
		struct kkey **nk = realloc(kr->k, cap * sizeof(*nk));

		if (nk == NULL)
			return SC_ERR_NOMEM;
		kr->k = nk;
		kr->cap = cap;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return SC_ERR_NOMEM;
	memcpy(k->name, name, strlen(name) + 1);
	k->type = (uint8_t)type;
	k->flags = p->flags;
	k->created = now;
	k->rotate_every = p->rotate_every;
	k->min_decrypt = k->min_encrypt = k->min_available = k->next_version = 1;
	preact = p->activate_at > now;
	if ((r = sc_keys_add_version(kr, k, now, preact ? SC_KEY_PREACTIVE : SC_KEY_ACTIVE,
	                             preact ? p->activate_at : 0)) != SC_OK) {
		sc_keys_key_free(k);
		return r;
	}
	memmove(&kr->k[at + 1], &kr->k[at], (kr->nk - at) * sizeof(*kr->k));
	kr->k[at] = k;
	kr->nk++;
	return SC_OK;
}

int sc_keyring_rotate(struct sc_keyring *kr, const char *name, int64_t now, uint32_t *version)
{
	struct kkey *k;
	int r;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if ((r = sc_keys_add_version(kr, k, now, SC_KEY_ACTIVE, 0)) != SC_OK)
		return r;
	if (version != NULL)
		*version = sc_keys_newest(k)->version;
	return SC_OK;
}

size_t sc_keyring_count(const struct sc_keyring *kr)
{
	return kr->nk;
}

const char *sc_keyring_name_at(const struct sc_keyring *kr, size_t i)
{
	return i < kr->nk ? kr->k[i]->name : NULL;
}

int sc_keyring_key_meta(const struct sc_keyring *kr, const char *name, struct sc_key_meta *out)
{
	struct kkey *k;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	out->type = (enum sc_key_type)k->type;
	out->flags = k->flags;
	out->created = k->created;
	out->rotate_every = k->rotate_every;
	out->newest = k->next_version - 1;
	out->min_decrypt = k->min_decrypt;
	out->min_encrypt = k->min_encrypt;
	out->min_available = k->min_available;
	out->nversions = k->nv;
	return SC_OK;
}

int sc_keyring_version_at(const struct sc_keyring *kr, const char *name, size_t i,
                          struct sc_key_version_meta *out)
{
	struct kkey *k;
	struct kver *v;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (i >= k->nv)
		return SC_ERR_NOT_FOUND;
	v = &k->v[i];
	out->version = v->version;
	out->state = (enum sc_key_state)v->state;
	out->created = v->created;
	out->activate_at = v->activate_at;
	out->activated = v->activated;
	out->suspended = v->suspended;
	out->deactivated = v->deactivated;
	out->compromised = v->compromised;
	out->destroyed = v->destroyed;
	out->destroy_at = v->destroy_at;
	out->encryptions = v->used;
	return SC_OK;
}

int sc_keys_test_set_counter(struct sc_keyring *kr, const char *name, uint32_t version, uint64_t n)
{
	struct kkey *k;
	struct kver *v;
	int r;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if ((v = sc_keys_version(k, version)) == NULL)
		return SC_ERR_NOT_FOUND;
	v->used = v->reserved = n;
	return SC_OK;
}

int sc_keys_test_set_material(struct sc_keyring *kr, const char *name, uint32_t version,
                              const uint8_t *m, size_t len)
{
	struct kkey *k;
	struct kver *v;
	int r;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if ((v = sc_keys_version(k, version)) == NULL || v->material == NULL)
		return SC_ERR_NOT_FOUND;
	if (len != v->material_len)
		return SC_ERR_INVALID;
	memcpy(v->material, m, len);
	return SC_OK;
}
