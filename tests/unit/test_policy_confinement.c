/* test_policy_confinement.c - the policy's `confinement:` key: defaults,
 * each setting, and every malformed form refused with its line. */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "secretctl/policy.h"

static struct sc_policy *parse_ok(const char *y)
{
	struct sc_policy *p = NULL;
	char err[512];

	assert_int_equal(sc_policy_parse(y, strlen(y), &p, err, sizeof(err)), SC_OK);
	return p;
}

static void parse_bad(const char *y, const char *want)
{
	struct sc_policy *p = NULL;
	char err[512] = "";

	assert_int_equal(sc_policy_parse(y, strlen(y), &p, err, sizeof(err)), SC_ERR_INVALID);
	assert_null(p);
	assert_non_null(strstr(err, want));
}

static void test_defaults(void **state)
{
	struct sc_policy_confinement c;
	struct sc_policy *p = parse_ok("version: 1\n");

	(void)state;
	sc_policy_confinement(p, &c);
	assert_int_equal(c.mode, SC_POLICY_CONFINE_REQUIRED);
	assert_int_equal(c.nwrite, 0);
	assert_int_equal(c.network, 0);
	sc_policy_free(p);
	sc_policy_confinement(NULL, &c);
	assert_int_equal(c.mode, SC_POLICY_CONFINE_REQUIRED);
}

static void test_settings(void **state)
{
	struct sc_policy_confinement c;
	struct sc_policy *p = parse_ok("version: 1\nconfinement:\n  mode: best-effort\n"
	                               "  network: true\n  write: [/srv/out, /home/u/proj]\n");

	(void)state;
	sc_policy_confinement(p, &c);
	assert_int_equal(c.mode, SC_POLICY_CONFINE_BEST_EFFORT);
	assert_int_equal(c.network, 1);
	assert_int_equal(c.nwrite, 2);
	assert_string_equal(c.write[0], "/srv/out");
	assert_string_equal(c.write[1], "/home/u/proj");
	sc_policy_free(p);
	p = parse_ok("version: 1\nconfinement:\n  mode: off\n");
	sc_policy_confinement(p, &c);
	assert_int_equal(c.mode, SC_POLICY_CONFINE_OFF);
	sc_policy_free(p);
}

static void test_malformed(void **state)
{
	(void)state;
	parse_bad("version: 1\nconfinement:\n  mode: maybe\n", "line 3");
	parse_bad("version: 1\nconfinement:\n  network: yes\n", "true or false");
	parse_bad("version: 1\nconfinement:\n  write: [relative/dir]\n", "absolute");
	parse_bad("version: 1\nconfinement:\n  write: [/]\n", "canonical");
	parse_bad("version: 1\nconfinement:\n  write: [/a/../b]\n", "canonical");
	parse_bad("version: 1\nconfinement:\n  write: /a\n", "line 3");
	parse_bad("version: 1\nconfinement:\n  hide: [/a]\n", "unknown key 'hide'");
	parse_bad("version: 1\nconfinement: [1]\n", "line 2");
	parse_bad("version: 1\nconfinement:\n  mode: off\n  mode: off\n", "line 4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_settings),
	    cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
