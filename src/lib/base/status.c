/* status.c - the one status table: message, audit code and exit status of
 * each status; the thread's error detail. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "secretctl/status.h"

/* One row per status: its message, the short code audit entries carry, and
 * the CLI's exit status for it (cli.h EXIT_*; src/cli/exit.c has the man
 * page's words for each exit status, and test_exit checks all three agree). */
static const struct {
	const char *message, *code;
	int exit;
} table[SC_STATUS_MAX] = {
    [SC_OK] = {"success", "ok", 0},
    [SC_ERR_INVALID] = {"invalid input", "invalid", 2},
    [SC_ERR_NOMEM] = {"out of memory", "nomem", 1},
    [SC_ERR_IO] = {"input/output error", "io", 1},
    [SC_ERR_NOT_FOUND] = {"not found", "not_found", 3},
    [SC_ERR_EXISTS] = {"already exists", "exists", 7},
    [SC_ERR_AUTH] = {"wrong password", "auth", 4},
    [SC_ERR_LOCKED] = {"vault is locked", "locked", 4},
    [SC_ERR_PERM] = {"unsafe permissions", "perm", 5},
    [SC_ERR_CORRUPT] = {"vault data is corrupt or has been tampered with", "corrupt", 6},
    [SC_ERR_VERSION] = {"unsupported vault format version", "version", 6},
    [SC_ERR_TOOBIG] = {"input too large", "toobig", 2},
    [SC_ERR_NAME] = {"invalid name", "name", 2},
    [SC_ERR_EXPIRED] = {"secret has expired", "expired", 8},
    [SC_ERR_DENIED] = {"denied by policy", "denied", 9},
    [SC_ERR_TIMEOUT] = {"timed out", "timeout", 1},
    [SC_ERR_NOEXEC] = {"command not found", "noexec", 1},
    [SC_ERR_NOTEXEC] = {"command not executable", "notexec", 1},
    [SC_ERR_CRYPTO] = {"cryptographic library failure", "crypto", 1},
    [SC_ERR_DB] = {"database error", "db", 1},
    [SC_ERR_BUSY] = {"resource busy", "busy", 1},
    [SC_ERR_NO_VAULT] = {"no vault found", "no_vault", 3},
    [SC_ERR_INTERNAL] = {"internal error", "internal", 1},
    [SC_ERR_STATE] = {"not allowed in the key's state", "state", 9},
    [SC_ERR_TOKEN] = {"token not available", "token", 14},
    [SC_ERR_READONLY] = {"read-only file system", "readonly", 11},
    [SC_ERR_NOSPACE] = {"no space left on device", "nospace", 12},
};

int sc_status_from_errno(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
		return SC_ERR_NOSPACE;
	case EROFS:
		return SC_ERR_READONLY;
	case EACCES:
	case EPERM:
		return SC_ERR_PERM;
	case ENOMEM:
		return SC_ERR_NOMEM;
	default:
		return SC_ERR_IO;
	}
}

const char *sc_strerror(int status)
{
	if (status < 0 || status >= SC_STATUS_MAX || table[status].message == NULL)
		return "unknown error";
	return table[status].message;
}

const char *sc_status_code(int status)
{
	if (status < 0 || status >= SC_STATUS_MAX || table[status].code == NULL)
		return "unknown";
	return table[status].code;
}

int sc_status_exit(int status)
{
	if (status < 0 || status >= SC_STATUS_MAX || table[status].code == NULL)
		return 1;
	return table[status].exit;
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
