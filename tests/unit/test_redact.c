/* test_redact.c - the whole-vault sanitizer: every sensitive value of every
 * secret and the password are redacted, fed byte by byte too; the cache
 * keeps one build per generation and rebuilds after a write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "secretctl/redact.h"

#define PW "correct-horse-battery"

static const struct sc_kdf_params small_kdf = {8192, 1};
static char dir[4096];

struct buf {
	char b[8192];
	size_t n;
};

static int sink(void *arg, const uint8_t *p, size_t len)
{
	struct buf *o = arg;

	assert_true(o->n + len < sizeof(o->b));
	memcpy(o->b + o->n, p, len);
	o->n += len;
	o->b[o->n] = '\0';
	return 0;
}

/* Sanitize s with z, in one feed or one byte at a time. */
static void run(const struct sc_sanitizer *z, const char *s, int bytewise, struct buf *o)
{
	struct sc_sanitize_stream *st;
	size_t i, n = strlen(s);

	memset(o, 0, sizeof(*o));
	assert_int_equal(sc_sanitize_stream_new(z, &st), SC_OK);
	if (bytewise) {
		for (i = 0; i < n; i++)
			assert_int_equal(sc_sanitize_feed(st, (const uint8_t *)s + i, 1, sink, o),
			                 SC_OK);
	} else {
		assert_int_equal(sc_sanitize_feed(st, (const uint8_t *)s, n, sink, o), SC_OK);
	}
	assert_int_equal(sc_sanitize_finish(st, sink, o), SC_OK);
	sc_sanitize_stream_free(st);
}

static void put(struct sc_vault *v, const char *name, const char *field, const char *value,
                int sensitive)
{
	struct sc_secret *s;

	assert_int_equal(sc_secret_new(&s, name), SC_OK);
	assert_int_equal(sc_secret_add_field(s, field, value, strlen(value), sensitive), SC_OK);
	assert_int_equal(sc_vault_put(v, s), SC_OK);
	sc_secret_free(s);
}

static struct sc_vault *fresh(void)
{
	struct sc_vault *v = NULL;
	static int k;
	const char *base = getenv("SC_TEST_TMP");

	snprintf(dir, sizeof(dir), "%s/redact-%d-%d", base ? base : "/tmp", (int)getpid(), k++);
	assert_int_equal(sc_vault_create(dir, PW, strlen(PW), &small_kdf), SC_OK);
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock(v, PW, strlen(PW)), SC_OK);
	put(v, "app/a", "value", "alpha-secret-0001", 1);
	put(v, "app/b", "value", "bravo-secret-0002", 1);
	put(v, "app/user", "username", "plain-username", 0);
	return v;
}

static void test_whole_vault(void **state)
{
	struct sc_vault *v = fresh();
	struct sc_sanitizer *z;
	struct buf o;
	int bw;
	const char *in =
	    "a=alpha-secret-0001 b=YnJhdm8tc2VjcmV0LTAwMDI= pw=" PW " u=plain-username end";

	(void)state;
	assert_int_equal(sc_redact_build(v, PW, strlen(PW), &z), SC_OK);
	for (bw = 0; bw < 2; bw++) {
		run(z, in, bw, &o);
		assert_null(strstr(o.b, "alpha-secret"));
		assert_null(strstr(o.b, "YnJhdm8tc2VjcmV0LTAwMDI"));
		assert_null(strstr(o.b, PW));
		/* a field that is not sensitive stays */
		assert_non_null(strstr(o.b, "plain-username"));
		assert_non_null(strstr(o.b, " end"));
	}
	sc_sanitizer_free(z);
	sc_vault_close(v);
}

static void test_cache_generation(void **state)
{
	struct sc_vault *v = fresh();
	struct sc_redact_cache *c;
	struct sc_redact_ref *r1, *r2, *r3;
	struct buf o;

	(void)state;
	assert_int_equal(sc_redact_cache_new(PW, strlen(PW), &c), SC_OK);
	assert_int_equal(sc_redact_get(c, v, &r1), SC_OK);
	assert_int_equal(sc_redact_get(c, v, &r2), SC_OK);
	assert_ptr_equal(sc_redact_sanitizer(r1), sc_redact_sanitizer(r2)); /* kept */
	run(sc_redact_sanitizer(r1), "x charlie-secret-0003 x", 0, &o);
	assert_non_null(strstr(o.b, "charlie")); /* not in the vault yet */

	put(v, "app/c", "value", "charlie-secret-0003", 1);
	assert_int_equal(sc_redact_get(c, v, &r3), SC_OK);
	assert_ptr_not_equal(sc_redact_sanitizer(r3), sc_redact_sanitizer(r1));
	run(sc_redact_sanitizer(r3), "x charlie-secret-0003 x", 1, &o);
	assert_null(strstr(o.b, "charlie"));
	/* a run that still holds the old one can go on using it */
	run(sc_redact_sanitizer(r1), "x alpha-secret-0001 x", 0, &o);
	assert_null(strstr(o.b, "alpha"));
	sc_redact_put(r1);
	sc_redact_put(r2);
	sc_redact_put(r3);
	sc_redact_cache_free(c);
	sc_vault_close(v);
}

static const char *map_a(void *arg, const char *label)
{
	(void)arg;
	return strcmp(label, "app/a\x1fvalue") == 0 ? "A_VAR" : NULL;
}

/* A run's view: its own variable by name, every other value as one word;
 * no secret's name in the output. */
static void test_relabel(void **state)
{
	struct sc_vault *v = fresh();
	struct sc_sanitizer *z, *view;
	struct buf o;
	int bw;

	(void)state;
	assert_int_equal(sc_redact_build(v, PW, strlen(PW), &z), SC_OK);
	assert_int_equal(sc_sanitizer_relabel(z, map_a, NULL, SC_REDACT_LABEL, &view), SC_OK);
	for (bw = 0; bw < 2; bw++) {
		run(view, "x alpha-secret-0001 y bravo-secret-0002 z " PW "!", bw, &o);
		assert_string_equal(o.b,
		                    "x [REDACTED:A_VAR] y [REDACTED:secret] z [REDACTED:secret]!");
	}
	/* the base still names its own labels; a view of a view is refused */
	run(z, "bravo-secret-0002", 0, &o);
	assert_non_null(strstr(o.b, "app/b"));
	{
		struct sc_sanitizer *vv = NULL;

		assert_int_equal(sc_sanitizer_relabel(view, map_a, NULL, "x", &vv), SC_ERR_INVALID);
		assert_null(vv);
	}
	sc_sanitizer_free(view);
	sc_sanitizer_free(z);
	sc_vault_close(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whole_vault),
	    cmocka_unit_test(test_cache_generation),
	    cmocka_unit_test(test_relabel),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
