/* session.h - the session layer (session/): how a front end gets at the
 * vault, with the audit of what it does made inside the library, the same
 * way on every path (CLI, MCP server, agent). */
#ifndef SECRETCTL_SESSION_H
#define SECRETCTL_SESSION_H

#include <stddef.h>

#include "secretctl/audit.h"
#include "secretctl/vault.h"

/* Unlock an opened vault with a password. A wrong password (SC_ERR_AUTH)
 * is recorded in the audit log as a failed unlock from source (enum
 * sc_audit_source): without a MAC, since there is no key, and taken into
 * the chain at the next unlock. *recorded (may be NULL) is 0 when that
 * entry could not be written. Keeps sc_last_error() of the unlock. */
int sc_session_unlock(struct sc_vault *v, int source, const char *pw, size_t pw_len,
                      int *recorded) SC_WUR;

/* The same through a token slot (sc_vault_unlock_pkcs11): a wrong PIN is
 * recorded as a failed unlock. */
int sc_session_unlock_token(struct sc_vault *v, int source, const char *uri, const void *pin,
                            size_t pin_len, unsigned *pin_flags, int *recorded) SC_WUR;

#endif
