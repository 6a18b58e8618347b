/* pkcs11.c - the PKCS#11 key slot: an AES-256 key that never leaves the
 * token wraps (CKM_AES_KEY_WRAP_PAD) a random slot key, which seals the DEK
 * with the slot's AAD. Unlock needs the token and its PIN, no Argon2.
 *
 *   params: u8 version(=1) u16 uri_len uri (RFC 7512, names token= or
 *           serial=, and object=; never a PIN)
 *   wrapped: u8 kw_len kw[kw_len] (the slot key wrapped by the token)
 *            sc_seal(slot key, AAD of the slot, DEK)
 * Why the extra layer: RFC 5649 has no associated data, so a blob wrapped
 * by the token alone would open in any vault that reaches the same token
 * key; the seal binds it to this vault and this slot like every kind. */
#include <string.h>

#include "keyslot/keyslot_int.h"
#include "secretctl/p11.h"

#define URI_MAX SC_KEYSLOT_URI_MAX
#define SEALED_LEN (SC_KEY_LEN + SC_SEAL_OVERHEAD)

/* What the token said about its PIN at this thread's last open. */
static _Thread_local unsigned last_pin_flags;

unsigned sc_keyslot_pkcs11_pin_flags(void)
{
	return last_pin_flags;
}

int sc_keyslot_pkcs11_params_decode(const uint8_t *in, size_t len, char uri[SC_KEYSLOT_URI_MAX + 1])
{
	struct sc_buf b;
	const uint8_t *p;
	uint8_t ver = 0;
	uint16_t n = 0;

	sc_buf_init_reader(&b, in, len);
	if (in == NULL || sc_buf_get_u8(&b, &ver) != SC_OK || ver != 1 ||
	    sc_buf_get_u16(&b, &n) != SC_OK || n == 0 || n > URI_MAX ||
	    sc_buf_get_ptr(&b, n, &p) != SC_OK || sc_buf_left(&b) != 0 ||
	    memchr(p, '\0', n) != NULL)
		return SC_ERR_CORRUPT;
	memcpy(uri, p, n);
	uri[n] = '\0';
	return SC_OK;
}

int sc_keyslot_pkcs11_wrapped_split(const uint8_t *wrapped, size_t len, size_t *kw_len)
{
	*kw_len = 0;
	if (wrapped == NULL || len < 1 || wrapped[0] == 0 || wrapped[0] > SC_P11_WRAPPED_MAX ||
	    len != 1 + (size_t)wrapped[0] + SEALED_LEN)
		return SC_ERR_CORRUPT;
	*kw_len = wrapped[0];
	return SC_OK;
}

static int p11_wrap(const struct sc_keyslot_ctx *c, const uint8_t dek[SC_KEY_LEN], const void *pin,
                    size_t pin_len, const void *opts, uint8_t *params, size_t *params_len,
                    uint8_t *wrapped, size_t *wrapped_len)
{
	const char *uri = opts;
	struct sc_p11_token *t = NULL;
	uint8_t aad[SC_KEYSLOT_AAD_MAX], kw[SC_P11_WRAPPED_MAX], *sk = NULL;
	struct sc_buf b;
	size_t n, aad_len, kw_len = 0;
	int r;

	*params_len = *wrapped_len = 0;
	if (uri == NULL || (n = strnlen(uri, URI_MAX + 1)) == 0 || n > URI_MAX) {
		sc_set_error("a token slot needs a pkcs11: URI of at most %d bytes", URI_MAX);
		return SC_ERR_INVALID;
	}
	sc_buf_init_fixed(&b, params, SC_KEYSLOT_PARAMS_MAX);
	sc_buf_put_u8(&b, 1);
	sc_buf_put_u16(&b, (uint16_t)n);
	sc_buf_put(&b, uri, n);
	if ((r = sc_buf_status(&b)) != SC_OK)
		return r;
	if ((sk = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_p11_open(uri, pin, pin_len, &last_pin_flags, &t)) != SC_OK)
		goto out;
	/* the URI's object= names the key: used if there, else made */
	r = sc_p11_aes_find(t, NULL);
	if (r == SC_ERR_NOT_FOUND)
		r = sc_p11_aes_generate(t, NULL);
	if (r != SC_OK)
		goto out;
	sc_random(sk, SC_KEY_LEN);
	if ((r = sc_p11_wrap(t, NULL, sk, kw, &kw_len)) != SC_OK)
		goto out;
	if ((r = sc_keyslot_aad(c, SC_KEYSLOT_PKCS11, params, 3 + n, aad, &aad_len)) != SC_OK)
		goto out;
	wrapped[0] = (uint8_t)kw_len;
	memcpy(wrapped + 1, kw, kw_len);
	if ((r = sc_seal(sk, aad, aad_len, dek, SC_KEY_LEN, wrapped + 1 + kw_len)) != SC_OK)
		goto out;
	*params_len = 3 + n;
	*wrapped_len = 1 + kw_len + SEALED_LEN;
out:
	sc_p11_close(t);
	sc_secmem_free(sk);
	return r;
}

static int p11_unwrap(const struct sc_keyslot_ctx *c, const uint8_t *params, size_t params_len,
                      const uint8_t *wrapped, size_t wrapped_len, const void *pin, size_t pin_len,
                      uint8_t dek[SC_KEY_LEN])
{
	char uri[URI_MAX + 1];
	struct sc_p11_token *t = NULL;
	uint8_t aad[SC_KEYSLOT_AAD_MAX], *sk = NULL;
	size_t aad_len, kw_len;
	int r;

	if (sc_keyslot_pkcs11_params_decode(params, params_len, uri) != SC_OK ||
	    sc_keyslot_pkcs11_wrapped_split(wrapped, wrapped_len, &kw_len) != SC_OK)
		return SC_ERR_CORRUPT;
	if ((sk = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_p11_open(uri, pin, pin_len, &last_pin_flags, &t)) != SC_OK)
		goto out;
	/* a tampered slot and a wrong credential look the same (SC_ERR_AUTH);
	 * a token or key that is not there keeps its own status */
	if ((r = sc_p11_unwrap(t, NULL, wrapped + 1, kw_len, sk)) != SC_OK) {
		if (r == SC_ERR_CORRUPT)
			r = SC_ERR_AUTH;
		goto out;
	}
	if ((r = sc_keyslot_aad(c, SC_KEYSLOT_PKCS11, params, params_len, aad, &aad_len)) != SC_OK)
		goto out;
	if (sc_open(sk, aad, aad_len, wrapped + 1 + kw_len, SEALED_LEN, dek) != SC_OK) {
		sc_set_error("token slot does not open: tampered, or copied from another slot");
		r = SC_ERR_AUTH;
	}
out:
	sc_p11_close(t);
	sc_secmem_free(sk);
	return r;
}

const struct sc_keyslot_kind sc_keyslot_pkcs11 = {
    .kind = SC_KEYSLOT_PKCS11,
    .name = "pkcs11",
    .wrap = p11_wrap,
    .unwrap = p11_unwrap,
};
