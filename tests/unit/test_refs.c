/* test_refs.c - the parsers behind run --env-file, read and inject, on
 * their own: the reference syntax (strict, no percent-encoding), its
 * resolution (the whole name first, then NAME/FIELD) over a getter made
 * here, every .env form and error line, and template rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "secretctl/secretctl.h"
#include "secretctl/envfile.h"
#include "secretctl/inject.h"
#include "secretctl/secref.h"

static void test_parse(void **state)
{
	static const char *const good[] = {"secretctl://a", "secretctl://db/prod/password",
	                                   "secretctl://a.b_c-d/e"};
	static const char *const bad[] = {
	    "a",
	    "secretctl:/a",
	    "Secretctl://a",
	    "secretctl://",
	    "secretctl:///a",
	    "secretctl://a/",
	    "secretctl://a//b",
	    "secretctl://a%2Fb",
	    "secretctl://a?b",
	    "secretctl://a#b",
	    "secretctl://u@h/a",
	    "secretctl://h:1/a",
	    "secretctl://a b",
	    "secretctl://../a",
	    "secretctl://a/.b",
	    "secretctl://-a",
	};
	const char *path;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		assert_int_equal(sc_secref_parse(good[i], &path), SC_OK);
		assert_string_equal(path, good[i] + 12);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (sc_secref_parse(bad[i], &path) != SC_ERR_INVALID)
			fail_msg("accepted '%s'", bad[i]);
		assert_null(path);
	}
}

/* a getter over two secrets: "db" (user, password) and "db/user" (value) */
static int get(void *arg, const char *name, struct sc_secret **out)
{
	struct sc_secret *s = NULL;

	(void)arg;
	if (strcmp(name, "db") == 0) {
		assert_int_equal(sc_secret_new(&s, "db"), SC_OK);
		assert_int_equal(sc_secret_add_field(s, "user", "bob", 3, 0), SC_OK);
		assert_int_equal(sc_secret_add_field(s, "password", "pw-1234", 7, 1), SC_OK);
	} else if (strcmp(name, "one") == 0) {
		assert_int_equal(sc_secret_new(&s, "one"), SC_OK);
		assert_int_equal(sc_secret_add_field(s, "token", "tok", 3, 1), SC_OK);
	} else if (strcmp(name, "db/user") == 0) {
		assert_int_equal(sc_secret_new(&s, "db/user"), SC_OK);
		assert_int_equal(sc_secret_add_field(s, "value", "whole", 5, 1), SC_OK);
	} else {
		return SC_ERR_NOT_FOUND;
	}
	*out = s;
	return SC_OK;
}

static void want_value(const char *path, const char *name, const char *value)
{
	struct sc_secret *s;
	char found[64];
	const uint8_t *v;
	size_t len;
	int fi;

	assert_int_equal(sc_secref_resolve(get, NULL, path, &s, &fi, found, sizeof(found)), SC_OK);
	assert_string_equal(found, name);
	assert_int_equal(sc_secret_field(s, (size_t)fi, NULL, &v, &len, NULL, NULL), SC_OK);
	assert_int_equal(len, strlen(value));
	assert_memory_equal(v, value, len);
	sc_secret_free(s);
}

static void test_resolve(void **state)
{
	struct sc_secret *s;
	char found[64];
	int fi;

	(void)state;
	want_value("db/password", "db", "pw-1234");
	want_value("db/user", "db/user", "whole"); /* the whole name wins */
	want_value("one", "one", "tok");           /* the only field */
	want_value("one/token", "one", "tok");
	assert_int_equal(sc_secref_resolve(get, NULL, "db", &s, &fi, found, sizeof(found)),
	                 SC_ERR_INVALID);
	assert_string_equal(found, "db");
	assert_int_equal(sc_secref_resolve(get, NULL, "db/nope", &s, &fi, found, sizeof(found)),
	                 SC_ERR_NOT_FOUND);
	assert_string_equal(found, "db");
	assert_int_equal(sc_secref_resolve(get, NULL, "x/y", &s, &fi, found, sizeof(found)),
	                 SC_ERR_NOT_FOUND);
	assert_string_equal(found, "");
	assert_null(s);
}

static void test_envfile(void **state)
{
	static const char text[] = "# c\n"
	                           "\n"
	                           "  export A=secretctl://db/password\n"
	                           "B = plain value  # comment\n"
	                           "C='a # b $x'\r\n"
	                           "D=\"t\\tn\\n q\\\" d\\$\"\n"
	                           "E=\n"
	                           "F=a#b";
	struct sc_envfile f;
	size_t line;
	char why[256];

	(void)state;
	assert_int_equal(sc_envfile_parse(text, strlen(text), &f, &line, why, sizeof(why)), SC_OK);
	assert_int_equal(f.n, 6);
	assert_string_equal(f.e[0].key, "A");
	assert_true(f.e[0].is_ref);
	assert_string_equal(f.e[0].value, "db/password");
	assert_int_equal(f.e[0].line, 3);
	assert_string_equal(f.e[1].value, "plain value");
	assert_false(f.e[1].is_ref);
	assert_string_equal(f.e[2].value, "a # b $x");
	assert_string_equal(f.e[3].value, "t\tn\n q\" d$");
	assert_string_equal(f.e[4].value, "");
	assert_string_equal(f.e[5].value, "a#b");
	sc_envfile_release(&f);
}

static void want_bad(const char *text, size_t want_line, const char *want_why)
{
	struct sc_envfile f;
	size_t line;
	char why[256];

	assert_int_equal(sc_envfile_parse(text, strlen(text), &f, &line, why, sizeof(why)),
	                 SC_ERR_INVALID);
	assert_int_equal(line, want_line);
	if (strstr(why, want_why) == NULL)
		fail_msg("'%s': got '%s', want '%s'", text, why, want_why);
	assert_null(f.e);
}

static void test_envfile_errors(void **state)
{
	(void)state;
	want_bad("A=1\nnope\n", 2, "expected KEY=VALUE");
	want_bad("export\n", 1, "expected KEY=VALUE");
	want_bad("9A=1\n", 1, "not a variable name");
	want_bad("A-B=1\n", 1, "not a variable name");
	want_bad("A=\"x\n", 1, "unterminated double quote");
	want_bad("A='x\n", 1, "unterminated single quote");
	want_bad("A=\"x\"y\n", 1, "text after the closing quote");
	want_bad("A=x'y'\n", 1, "a quote inside a bare value");
	want_bad("A=\"\\z\"\n", 1, "unknown escape");
	want_bad("A=1\nB=2\nA=3\n", 3, "'A' is set twice (first on line 1)");
	want_bad("A=secretctl://a%2Fb\n", 1, "not a valid secret reference");
	want_bad("A=secretctl://\n", 1, "not a valid secret reference");
	{
		static const char nul[] = "A=1\nB=x\0y\n";
		struct sc_envfile f;
		size_t line;
		char why[64];

		assert_int_equal(
		    sc_envfile_parse(nul, sizeof(nul) - 1, &f, &line, why, sizeof(why)),
		    SC_ERR_INVALID);
		assert_int_equal(line, 2);
	}
}

static int count_names(void *arg, const char *name)
{
	(void)name;
	(*(int *)arg)++;
	return SC_OK;
}

static void want_render(const char *tpl, const char *want)
{
	uint8_t *out;
	size_t len, line;
	char why[256];
	int n = 0;

	assert_int_equal(sc_inject_render(tpl, strlen(tpl), get, NULL, count_names, &n, &out, &len,
	                                  &line, why, sizeof(why)),
	                 SC_OK);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	sc_secmem_free(out);
}

static void want_render_fails(const char *tpl, int st, size_t want_line, const char *want_why)
{
	uint8_t *out = (uint8_t *)"x";
	size_t len, line;
	char why[256];

	assert_int_equal(sc_inject_render(tpl, strlen(tpl), get, NULL, NULL, NULL, &out, &len,
	                                  &line, why, sizeof(why)),
	                 st);
	assert_null(out);
	assert_int_equal(line, want_line);
	if (strstr(why, want_why) == NULL)
		fail_msg("'%s': got '%s', want '%s'", tpl, why, want_why);
}

static void test_inject(void **state)
{
	(void)state;
	want_render("", "");
	want_render("no refs {{ x }} {{", "no refs {{ x }} {{");
	want_render("u={{secretctl://db/user}} p={{ \tsecretctl://db/password  }}!",
	            "u=whole p=pw-1234!");
	want_render("{{secretctl://one}}{{secretctl://one/token}}", "toktok");
	want_render_fails("a\nb\n{{ secretctl://db/nope }}", SC_ERR_NOT_FOUND, 3,
	                  "no field 'nope'");
	want_render_fails("{{ secretctl://zz }}", SC_ERR_NOT_FOUND, 1, "no such secret");
	want_render_fails("x\n{{ secretctl://db/password\n}}", SC_ERR_INVALID, 2, "unterminated");
	want_render_fails("{{ secretctl://db/password }", SC_ERR_INVALID, 1, "unterminated");
	want_render_fails("{{ secretctl://db }}", SC_ERR_INVALID, 1, "several fields");
	want_render_fails("{{ secretctl://d%62 }}", SC_ERR_INVALID, 1, "not a secret reference");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),   cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_envfile), cmocka_unit_test(test_envfile_errors),
	    cmocka_unit_test(test_inject),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
