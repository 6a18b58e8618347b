/* test_mcp_output.c - the bounded encoding of a run's output in an MCP
 * reply: its cost is exactly what it adds to the reply line, binary is
 * compact, and nothing goes over the budget. */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "mcp/output.h"

/* The reply line as send_tool_result builds it, for one output string. */
static size_t line_len(json_t *str)
{
	json_t *structured = json_pack("{s:O}", "stdout", str), *res;
	char *text = json_dumps(structured, JSON_COMPACT | JSON_ENSURE_ASCII), *line;
	size_t n;

	res = json_pack("{s:[{s:s,s:s}],s:o,s:b}", "content", "type", "text", "text", text,
	                "structuredContent", structured, "isError", 0);
	line = json_dumps(res, JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_non_null(line);
	n = strlen(line);
	free(line);
	free(text);
	json_decref(res);
	return n;
}

static size_t empty_line(void)
{
	json_t *e = json_string("");
	size_t n = line_len(e);

	json_decref(e);
	return n;
}

static void check(const uint8_t *p, size_t n, size_t budget, struct mcp_output *o)
{
	mcp_output_encode(p, n, budget, o);
	assert_non_null(o->text);
	assert_true(o->cost <= budget);
	/* the cost is exactly what the string adds to the line */
	assert_int_equal(line_len(o->text) - empty_line(), o->cost);
}

/* cat /dev/zero: megabytes of NUL become one character, not 13 per byte */
static void test_zeros(void **state)
{
	size_t n = 8u << 20;
	uint8_t *z = calloc(n, 1);
	struct mcp_output o;

	(void)state;
	check(z, n, MCP_REPLY_MAX, &o);
	assert_string_equal(json_string_value(o.text), "\xef\xbf\xbd");
	assert_int_equal(o.binary_bytes, n);
	assert_int_equal(o.cut_bytes, 0);
	json_decref(o.text);
	free(z);
}

/* random bytes: text and binary runs mixed; never over budget, cut counted */
static void test_random(void **state)
{
	size_t n = 1u << 20, i, round;
	uint8_t *r = malloc(n);
	struct mcp_output o;

	(void)state;
	srand(7);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < n; i++)
			r[i] = (uint8_t)(round == 0 ? rand()
			                            : (rand() % 3 ? 'a' + rand() % 26 : rand()));
		check(r, n, 64 * 1024, &o);
		assert_true(o.cut_bytes > 0);
		assert_true(o.cost > 64 * 1024 - 32);
		json_decref(o.text);
	}
	free(r);
}

/* text that escapes: quotes, backslashes, controls, non-ASCII, astral */
static void test_text(void **state)
{
	const char *s = "a\"b\\c\n\t\r\x7f \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 end";
	struct mcp_output o;
	size_t b;

	(void)state;
	check((const uint8_t *)s, strlen(s), MCP_REPLY_MAX, &o);
	assert_string_equal(json_string_value(o.text), s);
	assert_int_equal(o.binary_bytes, 0);
	json_decref(o.text);
	/* every budget cuts at a character boundary and stays exact */
	for (b = 0; b < 120; b++) {
		check((const uint8_t *)s, strlen(s), b, &o);
		assert_int_equal(
		    strncmp(json_string_value(o.text), s, strlen(json_string_value(o.text))), 0);
		json_decref(o.text);
	}
}

/* broken sequences are binary, each run once */
static void test_invalid_utf8(void **state)
{
	const uint8_t s[] = {'o', 'k',  0xc3, 0x28, 0xed, 0xa0, 0x80,
	                     'x', 0xf8, 0,    1,    'y',  0xe6, 0x97};
	struct mcp_output o;

	(void)state;
	check(s, sizeof(s), MCP_REPLY_MAX, &o);
	assert_string_equal(json_string_value(o.text),
	                    "ok\xef\xbf\xbd(\xef\xbf\xbdx\xef\xbf\xbdy\xef\xbf\xbd");
	assert_int_equal(o.binary_bytes, 1 + 3 + 3 + 2);
	json_decref(o.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zeros),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
