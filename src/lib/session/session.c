/* session.c - the session layer: unlocking with the audit of a failed
 * unlock inside the library, so every front end records it the same way. */
#include <stdio.h>

#include "secretctl/secretctl.h"
#include "secretctl/session.h"

int sc_session_unlock(struct sc_vault *v, int source, const char *pw, size_t pw_len, int *recorded)
{
	struct sc_audit_event ev = {.op = "unlock", .source = source};
	char detail[512];
	int r;

	if (recorded != NULL)
		*recorded = 1;
	r = sc_vault_unlock(v, pw, pw_len);
	if (r != SC_ERR_AUTH)
		return r;
	ev.status = r;
	snprintf(detail, sizeof(detail), "%s", sc_last_error());
	if (sc_audit_append_pending(sc_vault_dir(v), &ev) != SC_OK && recorded != NULL)
		*recorded = 0;
	sc_set_error("%s", detail);
	return r;
}

int sc_session_unlock_token(struct sc_vault *v, int source, const char *uri, const void *pin,
                            size_t pin_len, unsigned *pin_flags, int *recorded)
{
	struct sc_audit_event ev = {.op = "unlock", .source = source};
	char detail[512];
	int r;

	if (recorded != NULL)
		*recorded = 1;
	r = sc_vault_unlock_pkcs11(v, uri, pin, pin_len, pin_flags);
	if (r != SC_ERR_AUTH)
		return r;
	ev.status = r;
	snprintf(detail, sizeof(detail), "%s", sc_last_error());
	if (sc_audit_append_pending(sc_vault_dir(v), &ev) != SC_OK && recorded != NULL)
		*recorded = 0;
	sc_set_error("%s", detail);
	return r;
}
