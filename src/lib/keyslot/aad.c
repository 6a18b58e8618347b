/* aad.c - the AAD every key-slot kind binds its wrapped DEK to. */
#include "keyslot/keyslot_int.h"

int sc_keyslot_aad(const struct sc_keyslot_ctx *c, int kind, const uint8_t *params,
                   size_t params_len, uint8_t *aad, size_t *aad_len)
{
	static const char dom[] = "secretctl/v1/slot"; /* with its NUL, as v1 wrote it */
	struct sc_buf b;
	int r;

	*aad_len = 0;
	if (params_len > SC_KEYSLOT_PARAMS_MAX || kind < 0 || kind > 255)
		return SC_ERR_INVALID;
	sc_buf_init_fixed(&b, aad, SC_KEYSLOT_AAD_MAX);
	sc_buf_put(&b, dom, sizeof(dom));
	sc_buf_put(&b, c->vault_id, SC_VAULT_ID_LEN);
	sc_buf_put_u64(&b, (uint64_t)c->slot_id);
	sc_buf_put_u8(&b, (uint8_t)kind);
	sc_buf_put(&b, params, params_len);
	if ((r = sc_buf_status(&b)) != SC_OK)
		return r;
	*aad_len = b.len;
	return SC_OK;
}
