/* secmem.c - guarded, locked memory for keys, passwords and plaintexts,
 * and process hardening. Under ASan (SC_SECMEM_MALLOC) the allocator falls
 * back to malloc + wipe so the sanitizer sees every access. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "secretctl/secretctl.h"

int sc_init(void)
{
	if (sodium_init() < 0)
		return SC_ERR_CRYPTO;
	return SC_OK;
}

int sc_harden_process(void)
{
	struct rlimit rl = {0, 0};
	int fd;

	umask(077);
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return SC_ERR_IO;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return SC_ERR_IO;
	/* fds 0-2 must be open so that no file we open lands on them. */
	for (;;) {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return SC_ERR_IO;
		if (fd > 2) {
			close(fd);
			break;
		}
		/* opened as 0, 1 or 2: keep it, drop CLOEXEC so children get it */
		if (fcntl(fd, F_SETFD, 0) != 0)
			return SC_ERR_IO;
	}
	return SC_OK;
}

void sc_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		sodium_memzero(p, n);
}

int sc_memcmp_ct(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n);
}

/* A size header in front of each block lets realloc and free know its size.
 * sodium_malloc puts the block against the trailing guard page, so an
 * overrun still faults. */
#define HDR 16

#ifdef SC_SECMEM_MALLOC
static void *raw_alloc(size_t n)
{
	return calloc(1, n);
}

static void raw_free(void *p, size_t n)
{
	sodium_memzero(p, n);
	free(p);
}
#else
static void *raw_alloc(size_t n)
{
	void *p = sodium_malloc(n);

	if (p != NULL)
		memset(p, 0, n);
	return p;
}

static void raw_free(void *p, size_t n)
{
	(void)n;
	sodium_free(p); /* wipes the region before unmapping it */
}
#endif

void *sc_secmem_alloc(size_t n)
{
	unsigned char *p;

	if (n > SIZE_MAX - HDR)
		return NULL;
	p = raw_alloc(n + HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + HDR;
}

static size_t block_size(void *p)
{
	size_t n;

	memcpy(&n, (unsigned char *)p - HDR, sizeof(n));
	return n;
}

void sc_secmem_free(void *p)
{
	if (p == NULL)
		return;
	raw_free((unsigned char *)p - HDR, block_size(p) + HDR);
}

void *sc_secmem_realloc(void *p, size_t n)
{
	void *q;
	size_t old;

	q = sc_secmem_alloc(n);
	if (q == NULL)
		return NULL;
	if (p != NULL) {
		old = block_size(p);
		memcpy(q, p, old < n ? old : n);
		sc_secmem_free(p);
	}
	return q;
}

char *sc_secmem_dup(const void *src, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = sc_secmem_alloc(n + 1);
	if (p == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, src, n);
	p[n] = '\0';
	return p;
}
