/* keyslot_int.h - the kinds the table in keyslot.c lists. */
#ifndef SC_KEYSLOT_INT_H
#define SC_KEYSLOT_INT_H

#include "secretctl/secretctl.h"
#include "secretctl/keyslot.h"

extern const struct sc_keyslot_kind sc_keyslot_password;
extern const struct sc_keyslot_kind sc_keyslot_pkcs11;

#endif
