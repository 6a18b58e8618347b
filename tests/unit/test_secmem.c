/* test_secmem.c - guarded, locked allocations: sizes across the kept size
 * classes, reuse hands out wiped memory, realloc keeps the prefix, and a
 * write one byte past a block faults (outside ASan, where the allocator is
 * malloc so that the sanitizer sees every access). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "secretctl/secretctl.h"

static const size_t sizes[] = {0,     1,     15,    16,    17,    200,    240,   241,  255,
                               256,   1000,  1008,  1009,  4000,  4080,   4081,  4096, 16000,
                               16368, 16369, 65536, 65792, 65793, 100000, 300000};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static int all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Fill every block of every size, free them all, then allocate again: what
 * comes back (kept regions included) is zeroed, never the old bytes. */
static void test_reuse_is_wiped(void **state)
{
	unsigned char *p[NSIZES];
	int round;
	size_t i;

	(void)state;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < NSIZES; i++) {
			p[i] = sc_secmem_alloc(sizes[i]);
			assert_non_null(p[i]);
			if (!all_zero(p[i], sizes[i]))
				fail_msg("round %d: a block of %zu bytes is not zeroed", round,
				         sizes[i]);
			memset(p[i], 0xA5, sizes[i]);
		}
		for (i = 0; i < NSIZES; i++)
			sc_secmem_free(p[i]);
	}
	sc_secmem_free(NULL);
}

/* Many blocks of one class at once: more than are ever kept, all distinct,
 * none overlapping. */
static void test_many_live(void **state)
{
	enum { N = 40 };
	unsigned char *p[N];
	size_t i, j;

	(void)state;
	for (i = 0; i < N; i++) {
		p[i] = sc_secmem_alloc(100);
		assert_non_null(p[i]);
		memset(p[i], (int)i + 1, 100);
	}
	for (i = 0; i < N; i++) {
		for (j = 0; j < 100; j++)
			assert_int_equal(p[i][j], (unsigned char)(i + 1));
		sc_secmem_free(p[i]);
	}
}

static void test_realloc_dup(void **state)
{
	unsigned char *p, *q;
	char *d;
	size_t i;

	(void)state;
	p = sc_secmem_alloc(10);
	assert_non_null(p);
	memcpy(p, "0123456789", 10);
	for (i = 0; i < NSIZES; i++) {
		if (sizes[i] < 10)
			continue;
		q = sc_secmem_realloc(p, sizes[i]);
		assert_non_null(q);
		assert_memory_equal(q, "0123456789", 10);
		assert_true(all_zero(q + 10, sizes[i] - 10));
		p = q;
	}
	q = sc_secmem_realloc(p, 4);
	assert_non_null(q);
	assert_memory_equal(q, "0123", 4);
	sc_secmem_free(q);
	d = sc_secmem_dup("abc\0def", 7);
	assert_non_null(d);
	assert_memory_equal(d, "abc\0def", 8);
	sc_secmem_free(d);
}

/* A write just past a block lands on a guard page, for sizes in every kept
 * class (where the block sits at the end of a larger region) and above. */
static void test_overrun_faults(void **state)
{
	static const size_t probe[] = {1, 100, 240, 1000, 4000, 16000, 65536, 70000};
	size_t i;

	(void)state;
#ifdef SC_SECMEM_MALLOC
	skip(); /* malloc-backed under ASan: ASan itself catches overruns */
#endif
	for (i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		pid_t pid;
		int st;

		/* warm the kept regions so the child may get a reused one */
		sc_secmem_free(sc_secmem_alloc(probe[i]));
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			volatile unsigned char *p = sc_secmem_alloc(probe[i]);

			/* cmocka catches SIGSEGV to report a failing test: not here */
			signal(SIGSEGV, SIG_DFL);
			signal(SIGBUS, SIG_DFL);
			if (p == NULL)
				_exit(2);
			p[probe[i] - 1] = 1; /* the last byte is fine */
			p[probe[i]] = 1;     /* one past it is not */
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (!WIFSIGNALED(st) || (WTERMSIG(st) != SIGSEGV && WTERMSIG(st) != SIGBUS))
			fail_msg("a write one byte past a %zu-byte block did not fault (status %d)",
			         probe[i], st);
	}
}

/* A block freed twice, or one whose header a write just before it changed,
 * stops the process at free (SIGABRT) instead of handing a kept region out
 * twice. */
static void child_misuse(int kind, size_t n)
{
	unsigned char *p;

	signal(SIGABRT, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	p = sc_secmem_alloc(n);
	if (p == NULL)
		_exit(2);
	if (kind == 0) {
		sc_secmem_free(p);
		sc_secmem_free(p);
	} else {
		p[-1] ^= 0x40;
		sc_secmem_free(p);
	}
	_exit(0);
}

static void test_misuse_aborts(void **state)
{
	static const size_t sizes_[] = {10, 3000, 70000};
	int kind;
	size_t i;

	(void)state;
#ifdef SC_SECMEM_MALLOC
	skip(); /* malloc-backed under ASan: ASan reports these itself */
#endif
	for (kind = 0; kind < 2; kind++)
		for (i = 0; i < sizeof(sizes_) / sizeof(sizes_[0]); i++) {
			pid_t pid = fork();
			int st;

			assert_true(pid >= 0);
			if (pid == 0)
				child_misuse(kind, sizes_[i]);
			assert_int_equal(waitpid(pid, &st, 0), pid);
			/* an unmapped region (large blocks) faults instead */
			if (!WIFSIGNALED(st) ||
			    (WTERMSIG(st) != SIGABRT && WTERMSIG(st) != SIGSEGV))
				fail_msg("%s of a %zu-byte block went unnoticed (status %d)",
				         kind == 0 ? "a double free" : "a header overwrite",
				         sizes_[i], st);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reuse_is_wiped), cmocka_unit_test(test_many_live),
	    cmocka_unit_test(test_realloc_dup),    cmocka_unit_test(test_overrun_faults),
	    cmocka_unit_test(test_misuse_aborts),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
