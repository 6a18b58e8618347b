/* keyslot.h - key slots: the ways a vault's DEK is wrapped, as a table of
 * kinds like LUKS's (keyslot/). The password is one kind; recovery shares
 * and PKCS#11 tokens are the next rows of the table. */
#ifndef SECRETCTL_KEYSLOT_H
#define SECRETCTL_KEYSLOT_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/crypto.h"
#include "secretctl/vault.h"

/* The kind numbers stored in the keyslots table (never reuse one). */
#define SC_KEYSLOT_PASSWORD 1
#define SC_KEYSLOT_RECOVERY 2 /* a recovery key, split into shares */
#define SC_KEYSLOT_PKCS11 3

#define SC_KEYSLOT_PARAMS_MAX 256
#define SC_KEYSLOT_WRAPPED_MAX 512

/* Where a slot sits: its wrapped DEK's AAD names the vault and the slot, so
 * a slot copied to another vault or another row does not open. */
struct sc_keyslot_ctx {
	const uint8_t *vault_id; /* SC_VAULT_ID_LEN bytes */
	int64_t slot_id;
};

/* One kind of slot. A credential is what the kind needs to open it (the
 * password's bytes; a share set; a token PIN); opts tune a new wrap (the
 * password's struct sc_kdf_params; NULL: the defaults).
 * wrap: params (public, stored beside the slot) and the wrapped DEK, into
 *   caller buffers of SC_KEYSLOT_PARAMS_MAX / SC_KEYSLOT_WRAPPED_MAX bytes.
 * unwrap: the DEK from stored params and wrapped bytes; SC_ERR_AUTH for a
 *   wrong credential (or a tampered slot: they look the same), SC_ERR_CORRUPT
 *   for params that cannot be a slot of this kind. */
struct sc_keyslot_kind {
	int kind;
	const char *name;
	int (*wrap)(const struct sc_keyslot_ctx *c, const uint8_t dek[SC_KEY_LEN], const void *cred,
	            size_t cred_len, const void *opts, uint8_t *params, size_t *params_len,
	            uint8_t *wrapped, size_t *wrapped_len);
	int (*unwrap)(const struct sc_keyslot_ctx *c, const uint8_t *params, size_t params_len,
	              const uint8_t *wrapped, size_t wrapped_len, const void *cred, size_t cred_len,
	              uint8_t dek[SC_KEY_LEN]);
};

/* The kind with this number, or NULL. */
const struct sc_keyslot_kind *sc_keyslot_kind(int kind);
/* The AAD of a slot's wrapped DEK: domain, vault id, slot id, kind, params.
 * aad holds at least SC_KEYSLOT_AAD_MAX bytes. */
#define SC_KEYSLOT_AAD_MAX (32 + SC_VAULT_ID_LEN + 8 + 1 + SC_KEYSLOT_PARAMS_MAX)
int sc_keyslot_aad(const struct sc_keyslot_ctx *c, int kind, const uint8_t *params,
                   size_t params_len, uint8_t *aad, size_t *aad_len) SC_WUR;
/* The password kind's bounds on Argon2id (a vault may not ask for more):
 * SC_OK or SC_ERR_INVALID. */
int sc_keyslot_password_params_ok(const struct sc_kdf_params *p) SC_WUR;
/* What a password slot's stored params say of its Argon2id cost (a rekey
 * wraps the new DEK at the same cost): SC_OK or SC_ERR_CORRUPT. */
int sc_keyslot_password_params(const uint8_t *params, size_t len, struct sc_kdf_params *kp) SC_WUR;
/* A recovery slot: the key its shares carry, and what the slot says of
 * the split (the opts of its wrap; public, for the list). */
#define SC_RECOVERY_KEY_LEN 32
struct sc_keyslot_recovery {
	uint16_t identifier; /* the SLIP-0039 split's identifier */
	uint8_t threshold, count;
};
/* What a recovery slot's stored params say of its split: SC_OK or
 * SC_ERR_CORRUPT. */
int sc_keyslot_recovery_params(const uint8_t *params, size_t len,
                               struct sc_keyslot_recovery *rec) SC_WUR;
/* The SC_P11_PIN_* flags the token reported at this thread's last wrap or
 * unwrap through a token slot (0 when it said nothing). */
unsigned sc_keyslot_pkcs11_pin_flags(void);

#endif
