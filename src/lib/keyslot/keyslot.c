/* keyslot.c - the table of key-slot kinds and the AAD every kind binds its
 * wrapped DEK to (one file per kind beside this one). */
#include <string.h>

#include "keyslot/keyslot_int.h"

static const struct sc_keyslot_kind *const kinds[] = {
    &sc_keyslot_password,
    &sc_keyslot_pkcs11,
    &sc_keyslot_recovery,
};

const struct sc_keyslot_kind *sc_keyslot_kind(int kind)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i]->kind == kind)
			return kinds[i];
	return NULL;
}
