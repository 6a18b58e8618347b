/* test_keys_jbatch.c - the JSON batch decoder (keys/jbatch.c): arrays and
 * JSON lines, per-item contexts and ids, and every bound and malformed
 * form refused as a whole with the item named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "secretctl/keys.h"

static int setup(void **state)
{
	(void)state;
	assert_int_equal(sc_init(), SC_OK);
	return 0;
}

static int parse(const char *s, size_t max, struct sc_keys_jbatch *b)
{
	return sc_keys_jbatch_parse((const uint8_t *)s, strlen(s), max, b);
}

static void test_array_and_lines(void **state)
{
	struct sc_keys_jbatch b;
	const char *k;
	const uint8_t *v;
	size_t kl, vl;
	const char *lines = "{\"in\":\"a\"}\n\n  {\"in_b64\":\"AAEC\",\"id\":7,"
	                    "\"context\":{\"b\":\"2\",\"a\":\"\"}}\r\n";

	(void)state;
	assert_int_equal(parse("[{\"in\":\"hi\",\"context\":{\"app\":\"web\"},\"id\":\"x\"},"
	                       "{\"in\":\"\"}]",
	                       100, &b),
	                 SC_OK);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.items[0].in_len, 2);
	assert_memory_equal(b.items[0].in, "hi", 2);
	assert_string_equal(b.items[0].id, "\"x\"");
	assert_int_equal(sc_keys_ctx_count(b.items[0].ctx), 1);
	assert_int_equal(b.items[1].in_len, 0);
	assert_null(b.items[1].ctx);
	assert_null(b.items[1].id);
	sc_keys_jbatch_free(&b);
	/* JSON lines: blank lines skipped, CRLF taken, base64 decoded, the
	 * context canonical (sorted), an empty value kept */
	assert_int_equal(parse(lines, 100, &b), SC_OK);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.items[1].in_len, 3);
	assert_memory_equal(b.items[1].in, "\x00\x01\x02", 3);
	assert_string_equal(b.items[1].id, "7");
	assert_int_equal(sc_keys_ctx_count(b.items[1].ctx), 2);
	assert_int_equal(sc_keys_ctx_at(b.items[1].ctx, 0, &k, &kl, &v, &vl), SC_OK);
	assert_int_equal(kl, 1);
	assert_int_equal(k[0], 'a');
	assert_int_equal(vl, 0);
	sc_keys_jbatch_free(&b);
	/* an empty context object is the empty context */
	assert_int_equal(parse("[{\"in\":\"x\",\"context\":{}}]", 100, &b), SC_OK);
	assert_null(b.items[0].ctx);
	sc_keys_jbatch_free(&b);
}

/* Each refused whole, with the item (or line) named in the detail. */
static void test_refused(void **state)
{
	static const struct {
		const char *in, *detail;
		int st;
	} bad[] = {
	    {"", "no item", SC_ERR_INVALID},
	    {"[]", "no item", SC_ERR_INVALID},
	    {"\n\n", "no item", SC_ERR_INVALID},
	    {"[{\"in\":\"a\"},", "not JSON", SC_ERR_INVALID},
	    {"{\"in\":\"a\"}\n{\"in\":", "line 2", SC_ERR_INVALID},
	    {"[1]", "item 1: not an object", SC_ERR_INVALID},
	    {"\"in\"", "not JSON", SC_ERR_INVALID},
	    {"[{\"in\":\"a\"},{\"out\":\"a\"}]", "item 2: unknown member", SC_ERR_INVALID},
	    {"[{}]", "exactly one", SC_ERR_INVALID},
	    {"[{\"in\":\"a\",\"in_b64\":\"YQ==\"}]", "exactly one", SC_ERR_INVALID},
	    {"[{\"in\":1}]", "is a string", SC_ERR_INVALID},
	    {"[{\"in_b64\":\"!!!!\"}]", "base64", SC_ERR_INVALID},
	    {"[{\"in_b64\":\"YQ\"}]", "base64", SC_ERR_INVALID},
	    {"[{\"in\":\"a\",\"in\":\"b\"}]", "not JSON", SC_ERR_INVALID},
	    {"[{\"in\":\"a\",\"context\":[]}]", "object of strings", SC_ERR_INVALID},
	    {"[{\"in\":\"a\",\"context\":{\"k\":1}}]", "not a string", SC_ERR_INVALID},
	    {"[{\"in\":\"a\",\"context\":{\"k\":{\"x\":\"y\"}}}]", "not a string", SC_ERR_INVALID},
	    {"[{\"in\":\"a\",\"context\":{\"\":\"v\"}}]", "context", SC_ERR_INVALID},
	    {"[{\"in\":\"a\",\"context\":{\"a=b\":\"v\"}}]", "context", SC_ERR_INVALID},
	    {"[{\"in\":\"a\",\"id\":[1]}]", "\"id\" is a string", SC_ERR_INVALID},
	    {"[{\"in\":\"a\",\"id\":{}}]", "\"id\" is a string", SC_ERR_INVALID},
	    {"[{\"in\":\"toolong\"}]", "larger than 4", SC_ERR_TOOBIG},
	    {"[{\"in_b64\":\"dG9vbG9uZw==\"}]", "larger than 4", SC_ERR_TOOBIG},
	};
	struct sc_keys_jbatch b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i].in, 4, &b);

		if (r != bad[i].st || strstr(sc_last_error(), bad[i].detail) == NULL)
			fail_msg("case %zu (%s): status %d, '%s'", i, bad[i].in, r,
			         sc_last_error());
		assert_null(b.items);
		assert_int_equal(b.n, 0);
	}
}

/* The bounds: items, context pairs, id length, total size, nesting. */
static void test_bounds(void **state)
{
	struct sc_keys_jbatch b;
	size_t i, n, cap = (size_t)SC_KEYS_JBATCH_MAX * 12 + 64;
	char *s = malloc(cap), *p;

	(void)state;
	assert_non_null(s);
	/* exactly the most items: taken; one more: refused */
	for (n = SC_KEYS_JBATCH_MAX; n <= SC_KEYS_JBATCH_MAX + 1; n++) {
		p = s;
		*p++ = '[';
		for (i = 0; i < n; i++)
			p += sprintf(p, "%s{\"in\":\"\"}", i ? "," : "");
		*p++ = ']';
		assert_int_equal(sc_keys_jbatch_parse((uint8_t *)s, (size_t)(p - s), 4, &b),
		                 n == SC_KEYS_JBATCH_MAX ? SC_OK : SC_ERR_TOOBIG);
		assert_int_equal(b.n, n == SC_KEYS_JBATCH_MAX ? n : 0);
		sc_keys_jbatch_free(&b);
	}
	/* the same as JSON lines */
	p = s;
	for (i = 0; i <= SC_KEYS_JBATCH_MAX; i++)
		p += sprintf(p, "{\"in\":\"\"}\n");
	assert_int_equal(sc_keys_jbatch_parse((uint8_t *)s, (size_t)(p - s), 4, &b), SC_ERR_TOOBIG);
	assert_non_null(strstr(sc_last_error(), "at most"));
	/* context pairs: the most taken, one more refused */
	for (n = SC_KEYS_CTX_PAIRS_MAX; n <= SC_KEYS_CTX_PAIRS_MAX + 1; n++) {
		p = s;
		p += sprintf(p, "[{\"in\":\"\",\"context\":{");
		for (i = 0; i < n; i++)
			p += sprintf(p, "%s\"k%zu\":\"v\"", i ? "," : "", i);
		p += sprintf(p, "}}]");
		assert_int_equal(sc_keys_jbatch_parse((uint8_t *)s, (size_t)(p - s), 4, &b),
		                 n == SC_KEYS_CTX_PAIRS_MAX ? SC_OK : SC_ERR_TOOBIG);
		sc_keys_jbatch_free(&b);
	}
	/* an id of the most bytes, and one more */
	for (n = SC_KEYS_JBATCH_ID_MAX - 2; n <= SC_KEYS_JBATCH_ID_MAX - 1; n++) {
		p = s;
		p += sprintf(p, "[{\"in\":\"\",\"id\":\"");
		memset(p, 'i', n);
		p += n;
		p += sprintf(p, "\"}]");
		assert_int_equal(sc_keys_jbatch_parse((uint8_t *)s, (size_t)(p - s), 4, &b),
		                 n == SC_KEYS_JBATCH_ID_MAX - 2 ? SC_OK : SC_ERR_TOOBIG);
		sc_keys_jbatch_free(&b);
	}
	/* deep nesting: refused by the parser, not a crash */
	p = s;
	for (i = 0; i < 100000; i++)
		*p++ = '[';
	assert_int_equal(sc_keys_jbatch_parse((uint8_t *)s, (size_t)(p - s), 4, &b),
	                 SC_ERR_INVALID);
	assert_int_equal(b.n, 0);
	free(s);
	/* the whole input's bound, checked before parsing */
	assert_int_equal(
	    sc_keys_jbatch_parse((const uint8_t *)"[", SC_KEYS_JBATCH_BYTES_MAX + 1, 4, &b),
	    SC_ERR_TOOBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_array_and_lines),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
