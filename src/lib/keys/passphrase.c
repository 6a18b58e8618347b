/* passphrase.c - custody keys with a passphrase (SC_KEY_PASSPHRASE): each
 * version's private key is sealed a second time, under a key derived with
 * Argon2id from a passphrase that is never stored, inside the keyring the
 * vault key seals. The passphrase opens it for one signature; the derived
 * key and the private key are wiped right after.
 *
 * A version's material is then, instead of the 40-byte key blob:
 *
 *   "SCPP" | u8 format 1 | u8 alg | u8 pub_len | pub (the raw public key,
 *   so that pubkey and verify need no passphrase) | u32 t | u32 mem_kib |
 *   salt[16] | sc_seal(KEK, AAD, key blob) (nonce 12, 40 bytes, tag 16)
 *
 * with KEK = Argon2id(passphrase, salt, mem_kib, t) and AAD = the label
 * "secretctl key passphrase v1", u8 name length, name, u32 version and the
 * header (every byte before the salt's end): a blob moved to another key
 * or version, or a header with other parameters or another public key,
 * does not open. */
#include <string.h>

#include <sodium.h>

#include "keys/keys_int.h"
#include "secretctl/crypto.h"
#include "secretctl/sig.h"
#include "secretctl/vault.h"

#define PP_MAGIC "SCPP"
#define PP_FORMAT 1
#define PP_LABEL "secretctl key passphrase v1"
#define PP_BLOB_LEN SC_SIG_KEYBLOB_LEN
#define PP_SEALED_LEN (PP_BLOB_LEN + SC_SEAL_OVERHEAD)

struct pp_view {
	enum sc_sig_alg alg;
	const uint8_t *pub;
	size_t pub_len;
	uint32_t t, mem_kib;
	size_t header_len; /* through the salt */
	const uint8_t *salt, *sealed;
};

static int parse(const uint8_t *m, size_t len, struct pp_view *pv)
{
	size_t pl;

	if (m == NULL || len < 7 || memcmp(m, PP_MAGIC, 4) != 0 || m[4] != PP_FORMAT)
		return SC_ERR_CORRUPT;
	pv->alg = (enum sc_sig_alg)m[5];
	pl = m[6];
	if (sc_sig_alg_name(pv->alg) == NULL || pl == 0 || pl > SC_SIG_PUB_MAX ||
	    len != 7 + pl + 8 + SC_SALT_LEN + PP_SEALED_LEN)
		return SC_ERR_CORRUPT;
	pv->pub = m + 7;
	pv->pub_len = pl;
	pv->t = sc_be32_get(m + 7 + pl);
	pv->mem_kib = sc_be32_get(m + 11 + pl);
	if (pv->t < SC_KEYS_PP_T_MIN || pv->t > SC_KEYS_PP_T_MAX ||
	    pv->mem_kib < SC_KEYS_PP_MEM_MIN || pv->mem_kib > SC_KEYS_PP_MEM_MAX)
		return SC_ERR_CORRUPT;
	pv->salt = m + 15 + pl;
	pv->header_len = 15 + pl + SC_SALT_LEN;
	pv->sealed = m + pv->header_len;
	return SC_OK;
}

int sc_keys_pp_check(const uint8_t *m, size_t len)
{
	struct pp_view pv;

	return parse(m, len, &pv);
}

static int aad_of(const char *name, uint32_t version, const uint8_t *header, size_t header_len,
                  uint8_t *aad, size_t cap, size_t *aad_len)
{
	size_t nl = strlen(name), k = 0;

	if (sizeof(PP_LABEL) - 1 + 1 + nl + 4 + header_len > cap)
		return SC_ERR_INTERNAL;
	memcpy(aad, PP_LABEL, sizeof(PP_LABEL) - 1);
	k = sizeof(PP_LABEL) - 1;
	aad[k++] = (uint8_t)nl;
	memcpy(aad + k, name, nl);
	k += nl;
	sc_be32_put(aad + k, version);
	k += 4;
	memcpy(aad + k, header, header_len);
	*aad_len = k + header_len;
	return SC_OK;
}

static int kek_of(const uint8_t *pp, size_t pp_len, const uint8_t *salt, uint32_t mem_kib,
                  uint32_t t, uint8_t **kek)
{
	int r;

	if ((*kek = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_argon2id((const char *)pp, pp_len, salt, mem_kib, t, *kek, SC_KEY_LEN)) !=
	    SC_OK) {
		sc_secmem_free(*kek);
		*kek = NULL;
	}
	return r;
}

int sc_keys_pp_wrap(const struct kkey *k, uint32_t version, const struct sc_keys_pp *pp,
                    const uint8_t *blob, size_t blob_len, uint8_t **out, uint32_t *out_len)
{
	struct sc_sig_key *sk = NULL;
	uint8_t pub[SC_SIG_PUB_MAX], aad[512], *m = NULL, *kek = NULL;
	size_t pl, hl, al;
	uint32_t t, mem;
	int r;

	*out = NULL;
	*out_len = 0;
	if (pp == NULL || pp->passphrase == NULL || pp->len == 0 || blob_len != PP_BLOB_LEN)
		return SC_ERR_INVALID;
	t = pp->t ? pp->t : SC_ARGON2_T_DEFAULT;
	mem = pp->mem_kib ? pp->mem_kib : SC_ARGON2_MEM_KIB_DEFAULT;
	if (t < SC_KEYS_PP_T_MIN || t > SC_KEYS_PP_T_MAX || mem < SC_KEYS_PP_MEM_MIN ||
	    mem > SC_KEYS_PP_MEM_MAX)
		return SC_ERR_INVALID;
	if ((r = sc_sig_key_deserialize(blob, blob_len, &sk)) != SC_OK)
		return r;
	r = sc_sig_key_public(sk, pub, &pl);
	if (r == SC_OK && (m = sc_secmem_alloc(SC_KEYS_PP_MATERIAL_MAX)) == NULL)
		r = SC_ERR_NOMEM;
	if (r != SC_OK)
		goto out;
	memcpy(m, PP_MAGIC, 4);
	m[4] = PP_FORMAT;
	m[5] = (uint8_t)sc_sig_key_alg(sk);
	m[6] = (uint8_t)pl;
	memcpy(m + 7, pub, pl);
	sc_be32_put(m + 7 + pl, t);
	sc_be32_put(m + 11 + pl, mem);
	sc_random(m + 15 + pl, SC_SALT_LEN);
	hl = 15 + pl + SC_SALT_LEN;
	if ((r = aad_of(k->name, version, m, hl, aad, sizeof(aad), &al)) != SC_OK ||
	    (r = kek_of(pp->passphrase, pp->len, m + 15 + pl, mem, t, &kek)) != SC_OK ||
	    (r = sc_seal(kek, aad, al, blob, blob_len, m + hl)) != SC_OK)
		goto out;
	*out = m;
	*out_len = (uint32_t)(hl + PP_SEALED_LEN);
	m = NULL;
out:
	sc_secmem_free(kek);
	sc_secmem_free(m);
	sc_sig_key_free(sk);
	return r;
}

int sc_keys_pp_unwrap(const struct kkey *k, const struct kver *v, const struct sc_keys_pp *pp,
                      struct sc_sig_key **out)
{
	struct pp_view pv;
	uint8_t aad[512], *kek = NULL, *blob = NULL;
	size_t al;
	int r;

	*out = NULL;
	if ((r = parse(v->material, v->material_len, &pv)) != SC_OK) {
		sc_set_error("key '%s' version %u: a malformed passphrase blob", k->name,
		             v->version);
		return r;
	}
	if (pp == NULL || pp->passphrase == NULL) {
		sc_set_error("key '%s' needs its passphrase for each signature", k->name);
		return SC_ERR_AUTH;
	}
	if ((blob = sc_secmem_alloc(PP_BLOB_LEN)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = aad_of(k->name, v->version, v->material, pv.header_len, aad, sizeof(aad), &al)) !=
	        SC_OK ||
	    (r = kek_of(pp->passphrase, pp->len, pv.salt, pv.mem_kib, pv.t, &kek)) != SC_OK)
		goto out;
	if (sc_open(kek, aad, al, pv.sealed, PP_SEALED_LEN, blob) != SC_OK) {
		sc_set_error("wrong passphrase for key '%s'", k->name);
		r = SC_ERR_AUTH;
		goto out;
	}
	if ((r = sc_sig_key_deserialize(blob, PP_BLOB_LEN, out)) == SC_OK &&
	    sc_sig_key_alg(*out) != pv.alg) {
		sc_sig_key_free(*out);
		*out = NULL;
		r = SC_ERR_CORRUPT;
	}
out:
	sc_secmem_free(kek);
	sc_secmem_free(blob);
	return r;
}

int sc_keys_pp_pub(const struct kver *v, int *alg, uint8_t pub[SC_SIG_PUB_MAX], size_t *pub_len)
{
	struct pp_view pv;
	int r;

	if ((r = parse(v->material, v->material_len, &pv)) != SC_OK)
		return r;
	memcpy(pub, pv.pub, pv.pub_len);
	*pub_len = pv.pub_len;
	if (alg != NULL)
		*alg = (int)pv.alg;
	return SC_OK;
}
