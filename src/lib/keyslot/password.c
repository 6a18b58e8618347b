/* password.c - the password key slot: Argon2id (one lane) over the
 * password and a random salt gives the KEK that seals the DEK.
 *
 *   params: u8 version(=1: Argon2id v1.3) u32 mem_kib u32 t salt[16]
 *   wrapped: sc_seal(KEK, AAD of the slot, DEK) */
#include <string.h>

#include "keyslot/keyslot_int.h"

#define PARAMS_LEN (1 + 4 + 4 + SC_SALT_LEN)
/* Bounds on what a vault may ask of us: Argon2 memory 8 MiB .. 4 GiB. */
#define KDF_MEM_MIN 8192u
#define KDF_MEM_MAX (4u * 1024 * 1024)
#define KDF_T_MAX 64u
#define WRAPPED_LEN (SC_KEY_LEN + SC_SEAL_OVERHEAD)

int sc_keyslot_password_params_ok(const struct sc_kdf_params *p)
{
	return p->mem_kib >= KDF_MEM_MIN && p->mem_kib <= KDF_MEM_MAX && p->t >= 1 &&
	               p->t <= KDF_T_MAX
	           ? SC_OK
	           : SC_ERR_INVALID;
}

int sc_keyslot_password_params_decode(const uint8_t *in, size_t len, struct sc_kdf_params *p,
                                      const uint8_t **salt)
{
	struct sc_buf b;
	uint8_t ver = 0;

	if (in == NULL)
		return SC_ERR_CORRUPT;
	sc_buf_init_reader(&b, in, len);
	if (len != PARAMS_LEN || sc_buf_get_u8(&b, &ver) != SC_OK || ver != 1 ||
	    sc_buf_get_u32(&b, &p->mem_kib) != SC_OK || sc_buf_get_u32(&b, &p->t) != SC_OK ||
	    sc_buf_get_ptr(&b, SC_SALT_LEN, salt) != SC_OK)
		return SC_ERR_CORRUPT;
	/* a tampered slot must not make us allocate 4 TiB or spin for a day */
	if (sc_keyslot_password_params_ok(p) != SC_OK)
		return SC_ERR_CORRUPT;
	return SC_OK;
}

int sc_keyslot_password_params(const uint8_t *params, size_t len, struct sc_kdf_params *kp)
{
	const uint8_t *salt;

	return sc_keyslot_password_params_decode(params, len, kp, &salt);
}

int sc_keyslot_password_params_encode(const struct sc_kdf_params *p,
                                      const uint8_t salt[SC_SALT_LEN],
                                      uint8_t out[SC_KEYSLOT_PARAMS_MAX], size_t *out_len)
{
	struct sc_buf b;
	int r;

	*out_len = 0;
	sc_buf_init_fixed(&b, out, SC_KEYSLOT_PARAMS_MAX);
	sc_buf_put_u8(&b, 1); /* Argon2id v1.3, one lane */
	sc_buf_put_u32(&b, p->mem_kib);
	sc_buf_put_u32(&b, p->t);
	sc_buf_put(&b, salt, SC_SALT_LEN);
	if ((r = sc_buf_status(&b)) != SC_OK)
		return r;
	*out_len = PARAMS_LEN;
	return SC_OK;
}

static int kek_of(const struct sc_kdf_params *kp, const uint8_t *salt, const void *pw,
                  size_t pw_len, uint8_t **kek)
{
	int r;

	if ((*kek = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_argon2id(pw, pw_len, salt, kp->mem_kib, kp->t, *kek, SC_KEY_LEN)) != SC_OK) {
		sc_secmem_free(*kek);
		*kek = NULL;
	}
	return r;
}

static int pw_wrap(const struct sc_keyslot_ctx *c, const uint8_t dek[SC_KEY_LEN], const void *pw,
                   size_t pw_len, const void *opts, uint8_t *params, size_t *params_len,
                   uint8_t *wrapped, size_t *wrapped_len)
{
	struct sc_kdf_params kp = {SC_ARGON2_MEM_KIB_DEFAULT, SC_ARGON2_T_DEFAULT};
	uint8_t salt[SC_SALT_LEN], aad[SC_KEYSLOT_AAD_MAX], *kek = NULL;
	size_t aad_len;
	int r;

	*params_len = *wrapped_len = 0;
	if (opts != NULL)
		kp = *(const struct sc_kdf_params *)opts;
	if (sc_keyslot_password_params_ok(&kp) != SC_OK)
		return SC_ERR_INVALID;
	sc_random(salt, sizeof(salt));
	if ((r = sc_keyslot_password_params_encode(&kp, salt, params, params_len)) != SC_OK)
		return r;
	if ((r = kek_of(&kp, salt, pw, pw_len, &kek)) != SC_OK)
		return r;
	if ((r = sc_keyslot_aad(c, SC_KEYSLOT_PASSWORD, params, PARAMS_LEN, aad, &aad_len)) !=
	    SC_OK)
		goto out;
	if ((r = sc_seal(kek, aad, aad_len, dek, SC_KEY_LEN, wrapped)) != SC_OK)
		goto out;
	*wrapped_len = WRAPPED_LEN;
out:
	if (r != SC_OK)
		*params_len = 0;
	sc_secmem_free(kek);
	return r;
}

static int pw_unwrap(const struct sc_keyslot_ctx *c, const uint8_t *params, size_t params_len,
                     const uint8_t *wrapped, size_t wrapped_len, const void *pw, size_t pw_len,
                     uint8_t dek[SC_KEY_LEN])
{
	uint8_t aad[SC_KEYSLOT_AAD_MAX], *kek = NULL;
	struct sc_kdf_params kp;
	const uint8_t *salt;
	size_t aad_len;
	int r;

	if (sc_keyslot_password_params_decode(params, params_len, &kp, &salt) != SC_OK)
		return SC_ERR_CORRUPT;
	if (wrapped == NULL || wrapped_len != WRAPPED_LEN)
		return SC_ERR_CORRUPT;
	if ((r = kek_of(&kp, salt, pw, pw_len, &kek)) != SC_OK)
		return r;
	if ((r = sc_keyslot_aad(c, SC_KEYSLOT_PASSWORD, params, params_len, aad, &aad_len)) ==
	    SC_OK)
		/* A wrong password and a tampered slot look the same: both fail the tag. */
		r = sc_open(kek, aad, aad_len, wrapped, wrapped_len, dek) == SC_OK ? SC_OK
		                                                                   : SC_ERR_AUTH;
	sc_secmem_free(kek);
	return r;
}

const struct sc_keyslot_kind sc_keyslot_password = {
    .kind = SC_KEYSLOT_PASSWORD,
    .name = "password",
    .wrap = pw_wrap,
    .unwrap = pw_unwrap,
};
