/* keyslot_int.h - the kinds the table in keyslot.c lists. */
#ifndef SC_KEYSLOT_INT_H
#define SC_KEYSLOT_INT_H

#include "secretctl/secretctl.h"
#include "secretctl/keyslot.h"

extern const struct sc_keyslot_kind sc_keyslot_password;
extern const struct sc_keyslot_kind sc_keyslot_pkcs11;
extern const struct sc_keyslot_kind sc_keyslot_recovery;

/* The slot kinds' stored parameters, read before anything authenticates
 * them (the fuzz targets' way in). SC_OK or SC_ERR_CORRUPT.
 * password: u8 1, u32 mem_kib, u32 t, salt[16]; the KDF bounds are checked.
 * pkcs11: u8 1, u16 n, the URI's n bytes (no NUL), into uri as a string;
 *   its wrapped bytes: u8 kw_len, kw_len bytes, a seal of the DEK. */
int sc_keyslot_password_params_decode(const uint8_t *in, size_t len, struct sc_kdf_params *p,
                                      const uint8_t **salt);
int sc_keyslot_password_params_encode(const struct sc_kdf_params *p,
                                      const uint8_t salt[SC_SALT_LEN],
                                      uint8_t out[SC_KEYSLOT_PARAMS_MAX], size_t *out_len);
#define SC_KEYSLOT_URI_MAX (SC_KEYSLOT_PARAMS_MAX - 3)
int sc_keyslot_pkcs11_params_decode(const uint8_t *in, size_t len,
                                    char uri[SC_KEYSLOT_URI_MAX + 1]);
/* recovery: u8 1, salt[16], u16 identifier, u8 threshold, u8 count. */
int sc_keyslot_recovery_params_decode(const uint8_t *in, size_t len,
                                      struct sc_keyslot_recovery *rec, const uint8_t **salt);
int sc_keyslot_pkcs11_wrapped_split(const uint8_t *wrapped, size_t len, size_t *kw_len);

#endif
