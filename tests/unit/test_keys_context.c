/* test_keys_context.c - encryption contexts: the canonical encoding written
 * out byte by byte here, independence of insertion order, duplicates, empty
 * keys, the empty context, every bound, and the binding as AAD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys/keys_int.h"

#define T0 1700000000

static int setup(void **state)
{
	(void)state;
	assert_int_equal(sc_init(), SC_OK);
	return 0;
}

static struct sc_keys_ctx *ctx_of(const char *const *kv, size_t n)
{
	struct sc_keys_ctx *c = NULL;
	size_t i;

	assert_int_equal(sc_keys_ctx_new(&c), SC_OK);
	for (i = 0; i < n; i++)
		assert_int_equal(sc_keys_ctx_add_kv(c, kv[i]), SC_OK);
	return c;
}

static void enc(const struct sc_keys_ctx *c, uint8_t **out, size_t *n)
{
	assert_int_equal(sc_keys_ctx_encode(c, out, n), SC_OK);
}

static void test_known_encoding(void **state)
{
	static const char *const kv[] = {"tenant=acme", "app=db", "ab="};
	/* u16 count; per pair u16 klen, key, u32 vlen, value; sorted by key
	 * bytes with a prefix first: "ab" < "app" < "tenant" */
	static const uint8_t want[] = {
	    0x00, 0x03,                                           /* 3 pairs */
	    0x00, 0x02, 'a',  'b',  0x00, 0x00, 0x00, 0x00,       /* ab= */
	    0x00, 0x03, 'a',  'p',  'p',  0x00, 0x00, 0x00, 0x02, /* app= */
	    'd',  'b',  0x00, 0x06, 't',  'e',  'n',  'a',  'n',
	    't',  0x00, 0x00, 0x00, 0x04, 'a',  'c',  'm',  'e'};
	struct sc_keys_ctx *c = ctx_of(kv, 3);
	uint8_t *e = NULL;
	size_t n = 0;

	(void)state;
	enc(c, &e, &n);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(e, want, sizeof(want));
	assert_int_equal(sc_keys_ctx_count(c), 3);
	free(e);
	sc_keys_ctx_free(c);
}

static void test_order_does_not_matter(void **state)
{
	static const char *const a[] = {"z=1", "a=2", "m=3", "aa=4", "A=5"};
	static const char *const b[] = {"aa=4", "A=5", "m=3", "z=1", "a=2"};
	struct sc_keys_ctx *ca = ctx_of(a, 5), *cb = ctx_of(b, 5);
	uint8_t *ea = NULL, *eb = NULL;
	size_t na = 0, nb = 0;

	(void)state;
	enc(ca, &ea, &na);
	enc(cb, &eb, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(ea, eb, na);
	/* and the first key in the encoding is the smallest: "A" */
	assert_int_equal(ea[2], 0);
	assert_int_equal(ea[3], 1);
	assert_int_equal(ea[4], 'A');
	free(ea);
	free(eb);
	sc_keys_ctx_free(ca);
	sc_keys_ctx_free(cb);
}

static void test_empty_context(void **state)
{
	struct sc_keys_ctx *c = NULL, *d = NULL;
	uint8_t *e = NULL, *f = NULL;
	size_t n = 0, m = 0;

	(void)state;
	/* no context and a context with no pairs: the same two zero bytes */
	enc(NULL, &e, &n);
	assert_int_equal(n, 2);
	assert_int_equal(e[0], 0);
	assert_int_equal(e[1], 0);
	assert_int_equal(sc_keys_ctx_count(NULL), 0);
	assert_int_equal(sc_keys_ctx_new(&c), SC_OK);
	enc(c, &f, &m);
	assert_int_equal(m, 2);
	assert_memory_equal(e, f, 2);
	free(f);
	/* an empty value is a pair, not nothing */
	assert_int_equal(sc_keys_ctx_new(&d), SC_OK);
	assert_int_equal(sc_keys_ctx_add_kv(d, "k="), SC_OK);
	enc(d, &f, &m);
	assert_int_equal(m, 2 + 2 + 1 + 4);
	assert_int_equal(f[1], 1);
	free(e);
	free(f);
	sc_keys_ctx_free(c);
	sc_keys_ctx_free(d);
}

static void test_rejects(void **state)
{
	struct sc_keys_ctx *c = NULL;
	char key[SC_KEYS_CTX_KEY_MAX + 2];
	static uint8_t value[SC_KEYS_CTX_VALUE_MAX + 1];
	uint8_t *e = NULL;
	size_t n = 0;
	int i;

	(void)state;
	assert_int_equal(sc_keys_ctx_new(&c), SC_OK);
	assert_int_equal(sc_keys_ctx_add_kv(c, "a=1"), SC_OK);
	/* duplicates, even with another value */
	assert_int_equal(sc_keys_ctx_add_kv(c, "a=1"), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_add_kv(c, "a=2"), SC_ERR_INVALID);
	/* empty key, no '=', '=' or control characters in the key */
	assert_int_equal(sc_keys_ctx_add_kv(c, "=x"), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_add_kv(c, "noequals"), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_add_kv(c, NULL), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_add(c, "", 0, (const uint8_t *)"x", 1), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_add(c, "b=c", 3, NULL, 0), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_add(c, "b\nc", 3, NULL, 0), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_add(c, "b\0c", 3, NULL, 0), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_add(c, "b\x7f", 2, NULL, 0), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_add(c, "b", 1, NULL, 5), SC_ERR_INVALID);
	/* the first '=' splits: the value may hold more */
	assert_int_equal(sc_keys_ctx_add_kv(c, "b=c=d"), SC_OK);
	enc(c, &e, &n);
	assert_int_equal(n, 2 + (2 + 1 + 4 + 1) + (2 + 1 + 4 + 3));
	assert_memory_equal(e + n - 3, "c=d", 3);
	free(e);
	/* UTF-8 keys are fine */
	assert_int_equal(sc_keys_ctx_add_kv(c, "\xc3\xa9t\xc3\xa9=summer"), SC_OK);
	assert_int_equal(sc_keys_ctx_count(c), 3);
	/* bounds: key and value length */
	memset(key, 'k', sizeof(key));
	assert_int_equal(sc_keys_ctx_add(c, key, SC_KEYS_CTX_KEY_MAX + 1, NULL, 0), SC_ERR_TOOBIG);
	assert_int_equal(sc_keys_ctx_add(c, key, SC_KEYS_CTX_KEY_MAX, NULL, 0), SC_OK);
	assert_int_equal(sc_keys_ctx_add(c, "v", 1, value, SC_KEYS_CTX_VALUE_MAX + 1),
	                 SC_ERR_TOOBIG);
	assert_int_equal(sc_keys_ctx_add(c, "v", 1, value, SC_KEYS_CTX_VALUE_MAX), SC_OK);
	sc_keys_ctx_free(c);
	/* bounds: number of pairs */
	assert_int_equal(sc_keys_ctx_new(&c), SC_OK);
	for (i = 0; i < SC_KEYS_CTX_PAIRS_MAX; i++) {
		char kv[16];

		snprintf(kv, sizeof(kv), "k%d=", i);
		assert_int_equal(sc_keys_ctx_add_kv(c, kv), SC_OK);
	}
	assert_int_equal(sc_keys_ctx_add_kv(c, "one=more"), SC_ERR_TOOBIG);
	sc_keys_ctx_free(c);
	/* bounds: the whole encoding */
	assert_int_equal(sc_keys_ctx_new(&c), SC_OK);
	for (i = 0;; i++) {
		char k[16];
		int r;

		snprintf(k, sizeof(k), "k%d", i);
		r = sc_keys_ctx_add(c, k, strlen(k), value, SC_KEYS_CTX_VALUE_MAX);
		if (r != SC_OK) {
			assert_int_equal(r, SC_ERR_TOOBIG);
			break;
		}
	}
	assert_true(i < SC_KEYS_CTX_PAIRS_MAX);
	enc(c, &e, &n);
	assert_true(n <= SC_KEYS_CTX_ENCODED_MAX);
	assert_true(n + 2 + 3 + 4 + SC_KEYS_CTX_VALUE_MAX > SC_KEYS_CTX_ENCODED_MAX);
	free(e);
	sc_keys_ctx_free(c);
}

/* Bound as AAD: the same pairs in any order open; any difference fails
 * as corrupt, never as other data. */
/* The agent's wire form: only the canonical encoding decodes, and it
 * decodes to the same pairs (encoded again: the same bytes). */
static void test_decode_strict(void **state)
{
	static const char *const kv[] = {"b=x", "a=y", "empty="};
	/* a=y, b=x in order; b=x, a=y out of order; a duplicate; cut short */
	static const uint8_t good[] = {0,   2, 0, 1,   'a', 0, 0, 0, 1,
	                               'y', 0, 1, 'b', 0,   0, 0, 1, 'x'};
	static const uint8_t order[] = {0,   2, 0, 1,   'b', 0, 0, 0, 1,
	                                'x', 0, 1, 'a', 0,   0, 0, 1, 'y'};
	static const uint8_t dup[] = {0, 2, 0, 1, 'a', 0, 0, 0, 1, 'y', 0, 1, 'a', 0, 0, 0, 1, 'x'};
	static const uint8_t empty_key[] = {0, 1, 0, 0, 0, 0, 0, 1, 'x'};
	static const uint8_t nul_key[] = {0, 1, 0, 1, 0, 0, 0, 0, 1, 'x'};
	static const uint8_t none[] = {0, 0};
	struct sc_keys_ctx *c = ctx_of(kv, 3), *d = NULL;
	uint8_t *e1, *e2, more[sizeof(good) + 1];
	size_t l1, l2;

	(void)state;
	assert_int_equal(sc_keys_ctx_encode(c, &e1, &l1), SC_OK);
	assert_int_equal(sc_keys_ctx_decode(e1, l1, &d), SC_OK);
	assert_int_equal(sc_keys_ctx_count(d), 3);
	assert_int_equal(sc_keys_ctx_encode(d, &e2, &l2), SC_OK);
	assert_int_equal(l1, l2);
	assert_memory_equal(e1, e2, l1);
	free(e1);
	free(e2);
	sc_keys_ctx_free(c);
	sc_keys_ctx_free(d);
	d = NULL;
	assert_int_equal(sc_keys_ctx_decode(good, sizeof(good), &d), SC_OK);
	assert_int_equal(sc_keys_ctx_count(d), 2);
	sc_keys_ctx_free(d);
	d = NULL;
	assert_int_equal(sc_keys_ctx_decode(none, sizeof(none), &d), SC_OK);
	assert_int_equal(sc_keys_ctx_count(d), 0);
	sc_keys_ctx_free(d);
	d = NULL;
	assert_int_equal(sc_keys_ctx_decode(order, sizeof(order), &d), SC_ERR_INVALID);
	assert_null(d);
	assert_int_equal(sc_keys_ctx_decode(dup, sizeof(dup), &d), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_decode(empty_key, sizeof(empty_key), &d), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_decode(nul_key, sizeof(nul_key), &d), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_decode(good, sizeof(good) - 1, &d), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_decode(good, 1, &d), SC_ERR_INVALID);
	memcpy(more, good, sizeof(good));
	more[sizeof(good)] = 0;
	assert_int_equal(sc_keys_ctx_decode(more, sizeof(more), &d), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ctx_decode(good, SC_KEYS_CTX_ENCODED_MAX + 1, &d), SC_ERR_TOOBIG);
	assert_null(d);
	sc_clear_error();
}

static void test_context_binds(void **state)
{
	static const char *const ab[] = {"a=1", "b=2"}, *const ba[] = {"b=2", "a=1"};
	static const char *const a[] = {"a=1"}, *const ab3[] = {"a=1", "b=3"};
	static const char *const abc[] = {"a=1", "b=2", "c="};
	static const char *const ab_shift[] = {"a=1b", "b="}; /* same bytes run together */
	struct sc_keys_ctx *cab = ctx_of(ab, 2), *cba = ctx_of(ba, 2);
	struct sc_keys_ctx *bad[] = {NULL, ctx_of(a, 1), ctx_of(ab3, 2), ctx_of(abc, 3),
	                             ctx_of(ab_shift, 2)};
	struct sc_keyring *kr = NULL;
	struct sc_key_params p = {SC_KEY_REQUIRE_CONTEXT, 0, 0};
	struct sc_keys_opts o = {T0, cab, 0, 0};
	char *ct = NULL;
	uint8_t *pt = NULL;
	size_t n = 0, i;

	(void)state;
	assert_int_equal(sc_keyring_new(&kr), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "k", SC_KEY_CHACHA20_POLY1305, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "req", SC_KEY_AES256_GCM, &p, T0), SC_OK);
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"hello", 5, &ct, NULL),
	                 SC_OK);
	o.ctx = cba;
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, ct, strlen(ct), &pt, &n, NULL), SC_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(pt, "hello", 5);
	sc_secmem_free(pt);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pt = NULL;
		o.ctx = bad[i];
		assert_int_equal(sc_keyring_decrypt(kr, "k", &o, ct, strlen(ct), &pt, &n, NULL),
		                 SC_ERR_CORRUPT);
		assert_null(pt);
	}
	free(ct);
	ct = NULL;
	/* a key that requires a context refuses none, both ways */
	o.ctx = NULL;
	assert_int_equal(sc_keyring_encrypt(kr, "req", &o, (const uint8_t *)"x", 1, &ct, NULL),
	                 SC_ERR_INVALID);
	assert_non_null(strstr(sc_last_error(), "requires an encryption context"));
	o.ctx = cab;
	assert_int_equal(sc_keyring_encrypt(kr, "req", &o, (const uint8_t *)"x", 1, &ct, NULL),
	                 SC_OK);
	o.ctx = NULL;
	assert_int_equal(sc_keyring_decrypt(kr, "req", &o, ct, strlen(ct), &pt, &n, NULL),
	                 SC_ERR_INVALID);
	free(ct);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		sc_keys_ctx_free(bad[i]);
	sc_keys_ctx_free(cab);
	sc_keys_ctx_free(cba);
	sc_keyring_free(kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_encoding), cmocka_unit_test(test_order_does_not_matter),
	    cmocka_unit_test(test_empty_context),  cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_context_binds),  cmocka_unit_test(test_decode_strict),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
