/* secmem.c - guarded, locked memory for keys, passwords and plaintexts,
 * and process hardening. Under ASan (SC_SECMEM_MALLOC) the allocator falls
 * back to malloc + wipe so the sanitizer sees every access. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "secretctl/fault.h"
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
 * The block ends where its region ends, against the trailing guard page,
 * so an overrun faults. */
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

void sc_secmem_drop_cache(void)
{
}
#else
/*
 * Regions come from sodium_malloc: guard pages around, mlock'ed, excluded
 * from core dumps, wiped by sodium_free. Mapping, guarding and locking one
 * takes six system calls and freeing it five, and in a process with threads
 * each mprotect and mlock costs the other CPUs an interrupt: a run through
 * the agent makes ~15 such allocations. So regions up to 64 KiB (and a
 * header) are kept when freed, wiped, still guarded and locked, a few per
 * size class, for the next allocation of that class. A block is placed at
 * the end of its region, so the guard page still catches an overrun. mlock
 * does not pass across fork: a forked child that keeps running calls
 * sc_secmem_drop_cache() before it allocates.
 */
/* the last class holds a 64 KiB I/O buffer and its header */
static const size_t class_size[] = {256, 1024, 4096, 16384, 65536 + 256};
static const int class_keep[] = {16, 16, 16, 4, 4}; /* <= ~600 KiB locked, kept */
#define NCLASS (sizeof(class_size) / sizeof(class_size[0]))
#define CACHE_MAX 16

static struct {
	unsigned char *region[CACHE_MAX];
	int n;
} cache[NCLASS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static int class_of(size_t n)
{
	size_t c;

	for (c = 0; c < NCLASS; c++)
		if (n <= class_size[c])
			return (int)c;
	return -1;
}

static void *raw_alloc(size_t n)
{
	unsigned char *region = NULL;
	int c = class_of(n);

	if (c < 0) {
		if ((region = sodium_malloc(n)) != NULL)
			memset(region, 0, n);
		return region;
	}
	pthread_mutex_lock(&cache_lock);
	if (cache[c].n > 0)
		region = cache[c].region[--cache[c].n];
	pthread_mutex_unlock(&cache_lock);
	if (region == NULL) {
		if ((region = sodium_malloc(class_size[c])) == NULL)
			return NULL;
		memset(region, 0, class_size[c]); /* kept regions are wiped on free */
	}
	return region + class_size[c] - n;
}

static void raw_free(void *p, size_t n)
{
	unsigned char *region;
	int c = class_of(n);

	if (c < 0) {
		sodium_free(p); /* wipes the region before unmapping it */
		return;
	}
	region = (unsigned char *)p - (class_size[c] - n);
	sodium_memzero(region, class_size[c]);
	pthread_mutex_lock(&cache_lock);
	if (cache[c].n < class_keep[c]) {
		cache[c].region[cache[c].n++] = region;
		region = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
	if (region != NULL)
		sodium_free(region);
}

void sc_secmem_drop_cache(void)
{
	size_t c;

	pthread_mutex_lock(&cache_lock);
	for (c = 0; c < NCLASS; c++)
		while (cache[c].n > 0)
			sodium_free(cache[c].region[--cache[c].n]);
	pthread_mutex_unlock(&cache_lock);
}
#endif

/*
 * The header: the block's size, then a check word tied to the block's
 * address. A block freed twice (a kept region would be handed out twice) or
 * a write just before a block (the size would be wrong) is caught at free,
 * and the process aborts rather than go on with secrets in shared memory.
 */
#define HDR_MAGIC UINT64_C(0x5ec3e7c71a110c8d)

static uint64_t hdr_check(const unsigned char *blk)
{
	return HDR_MAGIC ^ (uint64_t)(uintptr_t)blk;
}

void *sc_secmem_alloc(size_t n)
{
	unsigned char *p;
	uint64_t check;

	if (sc_fault_hit(SC_FAULT_ALLOC))
		return NULL;
	if (n > SIZE_MAX - HDR)
		return NULL;
	p = raw_alloc(n + HDR);
	if (p == NULL)
		return NULL;
	check = hdr_check(p + HDR) ^ (uint64_t)n;
	memcpy(p, &n, sizeof(n));
	memcpy(p + 8, &check, sizeof(check));
	return p + HDR;
}

static size_t block_size(void *p)
{
	const unsigned char *h = (unsigned char *)p - HDR;
	uint64_t check;
	size_t n;

	memcpy(&n, h, sizeof(n));
	memcpy(&check, h + 8, sizeof(check));
	if (check != (hdr_check(p) ^ (uint64_t)n))
		abort(); /* freed twice, or the header was overwritten */
	return n;
}

void sc_secmem_free(void *p)
{
	size_t n;

	if (p == NULL)
		return;
	n = block_size(p);
	/* raw_free wipes or unmaps the header with the block: a second free
	 * of p finds the check word gone */
	raw_free((unsigned char *)p - HDR, n + HDR);
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
