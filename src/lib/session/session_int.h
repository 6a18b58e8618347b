/* session_int.h - inside the session layer: the audit of an outcome and
 * of a write, shared by its operations (writes.c, and those that follow). */
#ifndef SC_SESSION_INT_H
#define SC_SESSION_INT_H

#include "secretctl/session.h"

/* The outcome entry of op (status SC_OK, SC_ERR_DENIED or the error),
 * kept sc_last_error() of the operation. SC_OK once it is on disk, or
 * when the vault is on a read-only file system and who->warn was told. */
int sc_sess_record(struct sc_vault *v, const struct sc_session_who *who, const char *op,
                   const char *const *names, size_t n, int status);
/* A write and its entry as one step (sc_audit_append_with); a failure is
 * recorded as an outcome when the log can take it. */
int sc_sess_write(struct sc_vault *v, const struct sc_session_who *who, const char *op,
                  const char *const *names, size_t n, sc_audit_apply_fn fn, void *arg) SC_WUR;

#endif
