/* recovery.c - the recovery key slot: a random 256-bit recovery key, split
 * into SLIP-0039 shares by the caller (shares.h), wraps the DEK. The key is
 * random, so HKDF-SHA-256 over it and a salt gives the KEK (no Argon2);
 * the key itself is never stored.
 *
 *   params: u8 version(=1) salt[16] u16 identifier u8 threshold u8 count
 *           (the split's SLIP-0039 identifier and shape, for the list)
 *   wrapped: sc_seal(KEK, AAD of the slot, DEK) */
#include <string.h>

#include "keyslot/keyslot_int.h"

#define PARAMS_LEN (1 + SC_SALT_LEN + 2 + 1 + 1)
#define WRAPPED_LEN (SC_KEY_LEN + SC_SEAL_OVERHEAD)

static const uint8_t info[] = "secretctl recovery slot v1";

int sc_keyslot_recovery_params_decode(const uint8_t *in, size_t len,
                                      struct sc_keyslot_recovery *rec, const uint8_t **salt)
{
	struct sc_buf b;
	uint8_t ver = 0;

	if (in == NULL)
		return SC_ERR_CORRUPT;
	sc_buf_init_reader(&b, in, len);
	if (len != PARAMS_LEN || sc_buf_get_u8(&b, &ver) != SC_OK || ver != 1 ||
	    sc_buf_get_ptr(&b, SC_SALT_LEN, salt) != SC_OK ||
	    sc_buf_get_u16(&b, &rec->identifier) != SC_OK ||
	    sc_buf_get_u8(&b, &rec->threshold) != SC_OK || sc_buf_get_u8(&b, &rec->count) != SC_OK)
		return SC_ERR_CORRUPT;
	if (rec->threshold < 1 || rec->threshold > rec->count || rec->count > SC_SHARE_MAX)
		return SC_ERR_CORRUPT;
	return SC_OK;
}

int sc_keyslot_recovery_params(const uint8_t *params, size_t len, struct sc_keyslot_recovery *rec)
{
	const uint8_t *salt;

	return sc_keyslot_recovery_params_decode(params, len, rec, &salt);
}

static int kek_of(const uint8_t *salt, const void *key, size_t key_len, uint8_t **kek)
{
	int r;

	if (key == NULL || key_len != SC_RECOVERY_KEY_LEN)
		return SC_ERR_INVALID;
	if ((*kek = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	r = sc_hkdf(key, key_len, salt, SC_SALT_LEN, info, sizeof(info) - 1, *kek, SC_KEY_LEN);
	if (r != SC_OK) {
		sc_secmem_free(*kek);
		*kek = NULL;
	}
	return r;
}

static int rec_wrap(const struct sc_keyslot_ctx *c, const uint8_t dek[SC_KEY_LEN], const void *key,
                    size_t key_len, const void *opts, uint8_t *params, size_t *params_len,
                    uint8_t *wrapped, size_t *wrapped_len)
{
	const struct sc_keyslot_recovery *rec = opts;
	uint8_t salt[SC_SALT_LEN], aad[SC_KEYSLOT_AAD_MAX], *kek = NULL;
	struct sc_buf b;
	size_t aad_len;
	int r;

	*params_len = *wrapped_len = 0;
	if (rec == NULL || rec->threshold < 1 || rec->threshold > rec->count ||
	    rec->count > SC_SHARE_MAX)
		return SC_ERR_INVALID;
	sc_random(salt, sizeof(salt));
	sc_buf_init_fixed(&b, params, SC_KEYSLOT_PARAMS_MAX);
	sc_buf_put_u8(&b, 1);
	sc_buf_put(&b, salt, sizeof(salt));
	sc_buf_put_u16(&b, rec->identifier);
	sc_buf_put_u8(&b, rec->threshold);
	sc_buf_put_u8(&b, rec->count);
	if ((r = sc_buf_status(&b)) != SC_OK)
		return r;
	if ((r = kek_of(salt, key, key_len, &kek)) != SC_OK)
		return r;
	if ((r = sc_keyslot_aad(c, SC_KEYSLOT_RECOVERY, params, PARAMS_LEN, aad, &aad_len)) ==
	        SC_OK &&
	    (r = sc_seal(kek, aad, aad_len, dek, SC_KEY_LEN, wrapped)) == SC_OK) {
		*params_len = PARAMS_LEN;
		*wrapped_len = WRAPPED_LEN;
	}
	sc_secmem_free(kek);
	return r;
}

static int rec_unwrap(const struct sc_keyslot_ctx *c, const uint8_t *params, size_t params_len,
                      const uint8_t *wrapped, size_t wrapped_len, const void *key, size_t key_len,
                      uint8_t dek[SC_KEY_LEN])
{
	struct sc_keyslot_recovery rec;
	uint8_t aad[SC_KEYSLOT_AAD_MAX], *kek = NULL;
	const uint8_t *salt;
	size_t aad_len;
	int r;

	if (sc_keyslot_recovery_params_decode(params, params_len, &rec, &salt) != SC_OK ||
	    wrapped == NULL || wrapped_len != WRAPPED_LEN)
		return SC_ERR_CORRUPT;
	if ((r = kek_of(salt, key, key_len, &kek)) != SC_OK)
		return r == SC_ERR_INVALID ? SC_ERR_AUTH : r;
	if ((r = sc_keyslot_aad(c, SC_KEYSLOT_RECOVERY, params, params_len, aad, &aad_len)) ==
	    SC_OK)
		/* another split's key and a tampered slot look the same */
		r = sc_open(kek, aad, aad_len, wrapped, wrapped_len, dek) == SC_OK ? SC_OK
		                                                                   : SC_ERR_AUTH;
	sc_secmem_free(kek);
	return r;
}

const struct sc_keyslot_kind sc_keyslot_recovery = {
    .kind = SC_KEYSLOT_RECOVERY,
    .name = "recovery",
    .wrap = rec_wrap,
    .unwrap = rec_unwrap,
};
