/* status.h - the one status enum of the library, its messages and the
 * thread-local error detail (status.c). */
#ifndef SECRETCTL_STATUS_H
#define SECRETCTL_STATUS_H

#include <stddef.h>
#include <stdint.h>

#define SC_WUR __attribute__((warn_unused_result))

#define SC_VERSION "0.1.0"

enum sc_status {
	SC_OK = 0,
	SC_ERR_INVALID,   /* bad argument or malformed input */
	SC_ERR_NOMEM,     /* out of memory (or locked-memory limit) */
	SC_ERR_IO,        /* operating-system I/O failure; errno kept */
	SC_ERR_NOT_FOUND, /* no such secret, field, or file */
	SC_ERR_EXISTS,    /* already exists */
	SC_ERR_AUTH,      /* wrong password: no key slot opened */
	SC_ERR_LOCKED,    /* no key available (no password, agent locked) */
	SC_ERR_PERM,      /* unsafe permissions, wrong owner, or a symlink */
	SC_ERR_CORRUPT,   /* authentication failed, tampered or malformed vault */
	SC_ERR_VERSION,   /* vault format newer than this build */
	SC_ERR_TOOBIG,    /* input over a hard limit */
	SC_ERR_NAME,      /* invalid secret, field or variable name */
	SC_ERR_EXPIRED,   /* the secret has expired */
	SC_ERR_DENIED,    /* refused by policy or a built-in rule */
	SC_ERR_TIMEOUT,   /* time limit reached */
	SC_ERR_NOEXEC,    /* command not found */
	SC_ERR_NOTEXEC,   /* command found but not executable */
	SC_ERR_CRYPTO,    /* the crypto library failed */
	SC_ERR_DB,        /* SQLite failed */
	SC_ERR_BUSY,      /* resource busy (too many runs, lock held) */
	SC_ERR_NO_VAULT,  /* no vault at the given path */
	SC_ERR_INTERNAL,  /* a bug */
	SC_ERR_STATE,     /* a key's lifecycle state forbids the operation */
	SC_ERR_TOKEN,     /* a hardware token is absent, locked or removed */
	SC_ERR_READONLY,  /* the vault is on a read-only file system */
	SC_ERR_NOSPACE,   /* no space left on the device */
	SC_STATUS_MAX
};

/* A short lower-case description of a status, never NULL. */
const char *sc_strerror(int status);
/* The status for a failed system call's errno: SC_ERR_NOSPACE (ENOSPC,
 * EDQUOT), SC_ERR_READONLY (EROFS), SC_ERR_PERM (EACCES, EPERM), SC_ERR_NOMEM
 * (ENOMEM), else SC_ERR_IO. */
int sc_status_from_errno(int e);
/* Its short code ("not_found"), as audit entries carry it; "unknown" when
 * out of range. */
const char *sc_status_code(int status);
/* The CLI's exit status for it (1 for a status without its own). */
int sc_status_exit(int status);
/* Detail of the last failure in this thread (a path and how to fix it, the
 * line of a bad file, ...), or "" when none. Never holds a secret value. */
const char *sc_last_error(void);
void sc_clear_error(void);
void sc_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
