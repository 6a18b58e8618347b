/* secmem.h - guarded, locked memory for keys, passwords and plaintexts,
 * and process hardening (base/secmem.c). */
#ifndef SECRETCTL_SECMEM_H
#define SECRETCTL_SECMEM_H

#include "secretctl/status.h"

/* Initialize libsodium and the allocator; call once before anything else. */
int sc_init(void) SC_WUR;
/* Process hardening as ssh-agent does it: no core dumps, not dumpable,
 * umask 077, fds 0-2 open. */
int sc_harden_process(void) SC_WUR;
/* Guarded, locked allocation; zero-filled. NULL on failure. */
void *sc_secmem_alloc(size_t n);
/* Wipe and free; NULL is fine. */
void sc_secmem_free(void *p);
/* Resize, keeping the first min(old,new) bytes; the old block is wiped. */
void *sc_secmem_realloc(void *p, size_t n);
/* Duplicate n bytes into a new secmem block with a trailing NUL. */
char *sc_secmem_dup(const void *src, size_t n);
/* Unmap the wiped regions kept for reuse. A forked child that goes on
 * running (a daemon) calls it first: mlock does not pass across fork. */
void sc_secmem_drop_cache(void);
void sc_wipe(void *p, size_t n);
/* Constant-time comparison: 0 when equal. */
int sc_memcmp_ct(const void *a, const void *b, size_t n);

#endif
