/* p11_int.h - what the two halves of the PKCS#11 layer share: the token
 * handle (p11.c opens it) and the CK_RV mapping the key calls use. */
#ifndef SC_P11_INT_H
#define SC_P11_INT_H

#include <sys/types.h>

#include <p11-kit/pkcs11.h>

#include "secretctl/secretctl.h"
#include "secretctl/p11.h"

struct sc_p11_token {
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	pid_t pid;                      /* the process that opened it */
	char label[33];                 /* the token's label, blanks cut */
	char serial[17];                /* the token's serial number, blanks cut */
	char *module_path;              /* the URI's module-path (malloc'd), or NULL */
	char obj[SC_P11_LABEL_MAX + 1]; /* the URI's object=, or "" */
};

/* A status for a failed call, with the detail set: what failed, the
 * token's label and p11-kit's words for rv. */
int sc_p11_fail(const struct sc_p11_token *t, CK_RV rv, const char *what) SC_WUR;
/* SC_OK when t may be used in this process (not across a fork). */
int sc_p11_usable(const struct sc_p11_token *t) SC_WUR;

#endif
