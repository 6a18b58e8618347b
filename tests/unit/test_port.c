/* test_port.c - the import/export codecs (port/): the .env writer and
 * reader agree on every byte value, title and label mapping, duplicate
 * names, the sink (each secret handed on once, its failure the parse's),
 * and CSV quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "secretctl/port.h"
#include "secretctl/secmem.h"

struct got {
	char names[8][SC_NAME_MAX + 1];
	uint8_t value[512];
	size_t len, n;
	int fail_at; /* 1-based: fail the sink there; 0 never */
};

static int sink(struct sc_secret *s, void *arg)
{
	struct got *g = arg;
	const char *fname, *hint;
	const uint8_t *v;
	int sens;

	if (g->n < 8)
		snprintf(g->names[g->n], sizeof(g->names[0]), "%s", sc_secret_name(s));
	g->n++;
	if (g->fail_at > 0 && (int)g->n == g->fail_at) {
		sc_set_error("the sink said no");
		return SC_ERR_BUSY;
	}
	if (sc_secret_field_count(s) > 0 &&
	    sc_secret_field(s, 0, &fname, &v, &g->len, &sens, &hint) == SC_OK &&
	    g->len <= sizeof(g->value))
		memcpy(g->value, v, g->len);
	return SC_OK;
}

static int parse(int format, const char *text, const char *prefix, struct got *g)
{
	struct sc_import_set *set = NULL;
	int r;

	assert_int_equal(sc_import_set_new(&set, prefix, sink, g), SC_OK);
	r = sc_import_parse(format, (const uint8_t *)text, strlen(text), set);
	sc_import_set_free(set);
	return r;
}

/* every byte 1..255 in a value: written by the exporter, read back exact */
static void test_env_roundtrip_all_bytes(void **state)
{
	uint8_t val[255];
	char *out = NULL;
	size_t len = 0, cap = 0, i;
	struct got g = {0};

	(void)state;
	for (i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)(i + 1);
	assert_int_equal(sc_export_env_line("ALL_BYTES", val, sizeof(val), &out, &len, &cap),
	                 SC_OK);
	assert_int_equal(parse(SC_IMPORT_ENV, out, NULL, &g), SC_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.names[0], "ALL_BYTES");
	assert_int_equal(g.len, sizeof(val));
	assert_memory_equal(g.value, val, sizeof(val));
	sc_secmem_free(out);
	/* a plain value is written bare, a NUL refused */
	out = NULL;
	len = cap = 0;
	assert_int_equal(sc_export_env_line("K", (const uint8_t *)"a-b_c.d", 7, &out, &len, &cap),
	                 SC_OK);
	assert_string_equal(out, "K=a-b_c.d\n");
	assert_int_equal(sc_export_env_line("K", (const uint8_t *)"a\0b", 3, &out, &len, &cap),
	                 SC_ERR_INVALID);
	sc_secmem_free(out);
}

static void test_env_errors_name_lines(void **state)
{
	struct got g = {0};

	(void)state;
	assert_int_equal(parse(SC_IMPORT_ENV, "A=1\n\n# c\nB=\"x\n", NULL, &g), SC_ERR_INVALID);
	assert_string_equal(sc_last_error(), "line 4: unterminated double-quoted value");
	/* on the codec's error the secret still pending is not handed on */
	assert_int_equal(g.n, 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(parse(SC_IMPORT_ENV, "A=1\nA=2\n", NULL, &g), SC_ERR_INVALID);
	assert_string_equal(sc_last_error(), "line 2: 'A' is given twice");
	memset(&g, 0, sizeof(g));
	assert_int_equal(parse(SC_IMPORT_ENV, "A=1\n", "/bad", &g), SC_ERR_NAME);
}

static void test_sink_failure_is_the_parse_failure(void **state)
{
	struct got g = {.fail_at = 2};

	(void)state;
	assert_int_equal(parse(SC_IMPORT_ENV, "A=1\nB=2\nC=3\n", NULL, &g), SC_ERR_BUSY);
	assert_string_equal(sc_last_error(), "the sink said no");
	assert_int_equal(g.n, 2); /* nothing after the failure */
	memset(&g, 0, sizeof(g));
	g.fail_at = 3; /* the last secret: handed on by the finish */
	assert_int_equal(parse(SC_IMPORT_ENV, "A=1\nB=2\nC=3\n", NULL, &g), SC_ERR_BUSY);
	assert_int_equal(g.n, 3);
}

static void test_titles_and_labels(void **state)
{
	struct sc_import_set *set = NULL;
	struct sc_secret *s = NULL;
	char f[SC_FIELD_NAME_MAX + 1];

	(void)state;
	assert_int_equal(sc_import_set_new(&set, "in/", NULL, NULL), SC_OK);
	assert_int_equal(sc_import_set_title(set, NULL, "  My Bank: Login!! ", &s), SC_OK);
	assert_string_equal(sc_secret_name(s), "in/My-Bank-Login");
	assert_int_equal(sc_import_set_title(set, NULL, "My Bank Login", &s), SC_OK);
	assert_string_equal(sc_secret_name(s), "in/My-Bank-Login-2");
	assert_int_equal(sc_import_set_title(set, "Work//Dev/", ".hidden..x", &s), SC_OK);
	assert_string_equal(sc_secret_name(s), "in/Work/Dev/hidden.x");
	assert_int_equal(sc_import_set_title(set, "", "", &s), SC_OK);
	assert_string_equal(sc_secret_name(s), "in/item");
	assert_int_equal(sc_import_field_name(s, "Recovery Code #1", f), SC_OK);
	assert_string_equal(f, "recovery-code-1");
	assert_int_equal(sc_import_add_text(s, "PIN", "1234", 4, 1), SC_OK);
	assert_int_equal(sc_import_add_text(s, "pin", "5678", 4, 1), SC_OK);
	assert_int_equal(sc_secret_field_index(s, "pin-2"), 1);
	assert_int_equal(sc_import_add_text(s, "empty", "", 0, 1), SC_OK);
	assert_int_equal(sc_secret_field_count(s), 2);
	assert_int_equal(sc_import_set_count(set), 4);
	assert_string_equal(sc_import_set_name(set, 1), "in/My-Bank-Login-2");
	sc_import_set_free(set);
}

static void test_csv_quoting(void **state)
{
	struct got g = {0};

	(void)state;
	assert_int_equal(parse(SC_IMPORT_LASTPASS,
	                       "url,username,password,totp,extra,name,grouping,fav\n"
	                       ",u,\"a,\"\"b\"\"\nc\",,,T,,0\n",
	                       NULL, &g),
	                 SC_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.names[0], "T");
	/* field 0 is the username */
	assert_int_equal(g.len, 1);
	memset(&g, 0, sizeof(g));
	assert_int_equal(parse(SC_IMPORT_LASTPASS,
	                       "url,username,password,totp,extra,name,grouping,fav\n"
	                       ",u,\"open,,,T,,0\n",
	                       NULL, &g),
	                 SC_ERR_INVALID);
	assert_string_equal(sc_last_error(), "line 2: unterminated quoted field");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_env_roundtrip_all_bytes),
	    cmocka_unit_test(test_env_errors_name_lines),
	    cmocka_unit_test(test_sink_failure_is_the_parse_failure),
	    cmocka_unit_test(test_titles_and_labels),
	    cmocka_unit_test(test_csv_quoting),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
