/* status.c - the one status enum's messages. */
#include <stdarg.h>
#include <stdio.h>

#include "secretctl/secretctl.h"

static const char *const messages[SC_STATUS_MAX] = {
    [SC_OK] = "success",
    [SC_ERR_INVALID] = "invalid input",
    [SC_ERR_NOMEM] = "out of memory",
    [SC_ERR_IO] = "input/output error",
    [SC_ERR_NOT_FOUND] = "not found",
    [SC_ERR_EXISTS] = "already exists",
    [SC_ERR_AUTH] = "wrong password",
    [SC_ERR_LOCKED] = "vault is locked",
    [SC_ERR_PERM] = "unsafe permissions",
    [SC_ERR_CORRUPT] = "vault data is corrupt or has been tampered with",
    [SC_ERR_VERSION] = "unsupported vault format version",
    [SC_ERR_TOOBIG] = "input too large",
    [SC_ERR_NAME] = "invalid name",
    [SC_ERR_EXPIRED] = "secret has expired",
    [SC_ERR_DENIED] = "denied by policy",
    [SC_ERR_TIMEOUT] = "timed out",
    [SC_ERR_NOEXEC] = "command not found",
    [SC_ERR_NOTEXEC] = "command not executable",
    [SC_ERR_CRYPTO] = "cryptographic library failure",
    [SC_ERR_DB] = "database error",
    [SC_ERR_BUSY] = "resource busy",
    [SC_ERR_NO_VAULT] = "no vault found",
    [SC_ERR_INTERNAL] = "internal error",
    [SC_ERR_STATE] = "not allowed in the key's state",
    [SC_ERR_TOKEN] = "token not available",
    [SC_ERR_READONLY] = "read-only file system",
    [SC_ERR_NOSPACE] = "no space left on device",
};

const char *sc_strerror(int status)
{
	if (status < 0 || status >= SC_STATUS_MAX || messages[status] == NULL)
		return "unknown error";
	return messages[status];
}

static _Thread_local char last_error[512];

const char *sc_last_error(void)
{
	return last_error;
}

void sc_clear_error(void)
{
	last_error[0] = '\0';
}

void sc_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}
