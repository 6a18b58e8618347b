/* frost_keyring.c - a participant's FROST keys in its vault's keyring: the
 * share of a group as a frost-ed25519 key (its material the key package,
 * so the keyring's lifecycle, audit and sealing apply), and the Ed25519
 * identity key that signs its key generation messages. */
#include <stdio.h>
#include <string.h>

#include "secretctl/frost_session.h"
#include "secretctl/keys.h"
#include "secretctl/secmem.h"
#include "secretctl/sig.h"

int sc_frost_share_key_name(const char *group, char *out, size_t cap)
{
	if (!sc_frost_name_valid(group) || (size_t)snprintf(out, cap, "frost.%s", group) >= cap) {
		sc_set_error("invalid group name");
		return SC_ERR_NAME;
	}
	return SC_OK;
}

static int import_hook(int type, uint8_t *material, size_t cap, size_t *len, void *arg)
{
	const struct sc_frost_key_package *kp = arg;

	*len = 0;
	if (type != SC_KEY_FROST_ED25519 || cap < SC_FROST_KEY_PACKAGE_WIRE_LEN)
		return SC_ERR_INVALID;
	if (sc_frost_key_package_encode(kp, material) != SC_OK)
		return SC_ERR_INVALID;
	*len = SC_FROST_KEY_PACKAGE_WIRE_LEN;
	return SC_OK;
}

int sc_frost_keyring_store(struct sc_keyring *kr, const char *group,
                           const struct sc_frost_key_package *kp, int64_t now)
{
	char name[SC_KEY_NAME_MAX + 1];
	int r;

	if ((r = sc_frost_share_key_name(group, name, sizeof(name))) != SC_OK)
		return r;
	/* the share is the material: import it through the keygen hook, then
	 * put the signature table's hook back */
	sc_keyring_set_sig_keygen(kr, import_hook, (void *)kp);
	r = sc_keyring_create(kr, name, SC_KEY_FROST_ED25519, NULL, now);
	sc_keyring_set_sig_keygen(kr, sc_keys_sig_keygen, NULL);
	if (r == SC_ERR_EXISTS)
		sc_set_error("this vault holds a share of group '%s' already", group);
	return r;
}

int sc_frost_keyring_load(struct sc_keyring *kr, const char *group, int64_t now,
                          struct sc_frost_key_package **kp)
{
	struct sc_keys_opts o = {now, NULL, 0, 0};
	char name[SC_KEY_NAME_MAX + 1];
	struct sc_key_meta meta;
	const uint8_t *m = NULL;
	size_t len = 0;
	int r;

	*kp = NULL;
	if ((r = sc_frost_share_key_name(group, name, sizeof(name))) != SC_OK)
		return r;
	if ((r = sc_keyring_key_meta(kr, name, &meta)) != SC_OK) {
		sc_set_error("this vault holds no share of group '%s'", group);
		return SC_ERR_NOT_FOUND;
	}
	if (meta.type != SC_KEY_FROST_ED25519) {
		sc_set_error("key '%s' is not a FROST share", name);
		return SC_ERR_INVALID;
	}
	if ((r = sc_keyring_sig_material(kr, name, &o, SC_KEY_OP_SIGN, &m, &len, NULL)) != SC_OK)
		return r;
	return sc_frost_key_package_decode(m, len, kp);
}

static int id_sign(void *arg, const uint8_t *msg, size_t len, uint8_t sig[SC_FROST_ID_SIG_LEN])
{
	struct sc_frost_keyring_identity *ki = arg;
	struct sc_keys_opts o = {ki->now, NULL, 0, 0};
	struct sc_sig_opts so = {SC_SIG_SCHEME_EDDSA, SC_SIG_FMT_DEFAULT, 0, NULL};
	uint8_t s[SC_SIG_MAX];
	size_t sl = 0;
	int r;

	if ((r = sc_keyring_sign(ki->kr, SC_FROST_IDENTITY_KEY, &o, &so, msg, len, s, &sl, NULL)) !=
	    SC_OK)
		return r;
	if (sl != SC_FROST_ID_SIG_LEN)
		return SC_ERR_CRYPTO;
	memcpy(sig, s, SC_FROST_ID_SIG_LEN);
	return SC_OK;
}

int sc_frost_keyring_identity(struct sc_frost_keyring_identity *ki, struct sc_frost_identity *id,
                              int *made)
{
	struct sc_keys_opts o = {ki->now, NULL, 0, 0};
	struct sc_key_meta meta;
	uint8_t pub[SC_SIG_PUB_MAX];
	size_t pl = 0;
	int r, alg = 0;

	*made = 0;
	memset(id, 0, sizeof(*id));
	if (sc_keyring_key_meta(ki->kr, SC_FROST_IDENTITY_KEY, &meta) != SC_OK) {
		sc_clear_error();
		if ((r = sc_keyring_create(ki->kr, SC_FROST_IDENTITY_KEY, SC_KEY_ED25519, NULL,
		                           ki->now)) != SC_OK)
			return r;
		*made = 1;
	} else if (meta.type != SC_KEY_ED25519) {
		sc_set_error("key '%s' is not an ed25519 key", SC_FROST_IDENTITY_KEY);
		return SC_ERR_INVALID;
	}
	if ((r = sc_keyring_pubkey(ki->kr, SC_FROST_IDENTITY_KEY, &o, SC_KEY_OP_SIGN, pub, &pl,
	                           &alg, NULL)) != SC_OK)
		return r;
	if (pl != SC_FROST_ID_PUB_LEN || alg != SC_SIG_ED25519)
		return SC_ERR_INVALID;
	memcpy(id->pub, pub, SC_FROST_ID_PUB_LEN);
	id->sign = id_sign;
	id->arg = ki;
	return SC_OK;
}
