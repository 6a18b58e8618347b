/* test_policy_keys.c - the policy's keys: section (which named keys the MCP
 * key tools may use, for which operations and contexts, and confirm):
 * what parses, every schema error with its line, and the check the tools
 * make: an unlisted key, an operation not listed, a context not allowed,
 * the "*" value, and confirm: always. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "secretctl/keys.h"
#include "secretctl/policy.h"

static struct sc_policy *parse_ok(const char *y)
{
	struct sc_policy *p = NULL;
	char err[512] = "";

	if (sc_policy_parse(y, strlen(y), &p, err, sizeof(err)) != SC_OK)
		fail_msg("did not parse: %s\n%s", err, y);
	return p;
}

static void parse_bad(const char *y, const char *want)
{
	struct sc_policy *p = NULL;
	char err[512] = "";

	assert_int_equal(sc_policy_parse(y, strlen(y), &p, err, sizeof(err)), SC_ERR_INVALID);
	assert_null(p);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not say '%s'", err, want);
}

static struct sc_keys_ctx *ctx(const char *a, const char *b)
{
	struct sc_keys_ctx *c = NULL;

	assert_int_equal(sc_keys_ctx_new(&c), SC_OK);
	if (a != NULL)
		assert_int_equal(sc_keys_ctx_add_kv(c, a), SC_OK);
	if (b != NULL)
		assert_int_equal(sc_keys_ctx_add_kv(c, b), SC_OK);
	return c;
}

static const char *const policy = "version: 1\n"
                                  "keys:\n"
                                  "  - name: app-data\n"
                                  "    operations: [encrypt, datakey]\n"
                                  "    contexts:\n"
                                  "      - {app: web, env: prod}\n"
                                  "      - {app: batch, run: \"*\"}\n"
                                  "  - name: plain\n"
                                  "    operations: [encrypt]\n"
                                  "  - name: release-signer\n"
                                  "    operations: [sign]\n"
                                  "    confirm: always\n"
                                  "  - name: ci-signer\n"
                                  "    operations: [sign]\n"
                                  "    confirm: never\n";

static void test_parse_and_list(void **state)
{
	struct sc_policy *p = parse_ok(policy);
	unsigned ops = 0;
	int confirm = -1;

	(void)state;
	assert_int_equal(sc_policy_key_count(p), 4);
	assert_string_equal(sc_policy_key_at(p, 0, &ops, &confirm), "app-data");
	assert_int_equal(ops, SC_POLICY_KEY_ENCRYPT | SC_POLICY_KEY_DATAKEY);
	assert_int_equal(confirm, 0);
	assert_string_equal(sc_policy_key_at(p, 2, &ops, &confirm), "release-signer");
	assert_int_equal(ops, SC_POLICY_KEY_SIGN);
	assert_int_equal(confirm, 1);
	assert_null(sc_policy_key_at(p, 4, NULL, NULL));
	sc_policy_free(p);
	/* no keys: section: none */
	p = parse_ok("version: 1\n");
	assert_int_equal(sc_policy_key_count(p), 0);
	sc_policy_free(p);
	p = parse_ok("version: 1\nkeys:\n");
	assert_int_equal(sc_policy_key_count(p), 0);
	sc_policy_free(p);
}

static void test_schema_errors(void **state)
{
	(void)state;
	parse_bad("version: 1\nkeys: app\n", "keys must be a list");
	parse_bad("version: 1\nkeys:\n  - operations: [sign]\n", "needs 'name'");
	parse_bad("version: 1\nkeys:\n  - name: k\n", "needs 'operations'");
	parse_bad("version: 1\nkeys:\n  - name: ../k\n    operations: [sign]\n",
	          "line 3: '../k' is not a key name");
	parse_bad("version: 1\nkeys:\n  - name: k\n    operations: [decrypt]\n",
	          "unknown key operation 'decrypt'");
	parse_bad("version: 1\nkeys:\n  - name: k\n    operations: [export]\n",
	          "never offered to MCP");
	parse_bad("version: 1\nkeys:\n  - name: k\n    operations: []\n", "at least one");
	parse_bad("version: 1\nkeys:\n  - name: k\n    operations: [sign, sign]\n", "twice");
	parse_bad("version: 1\nkeys:\n  - name: k\n    operations: [sign]\n    confirm: yes\n",
	          "confirm must be 'always' or 'never'");
	parse_bad("version: 1\nkeys:\n  - name: k\n    operations: [sign]\n    colour: red\n",
	          "unknown key 'colour' in a key entry");
	parse_bad("version: 1\nkeys:\n  - name: k\n    operations: [sign]\n"
	          "  - name: k\n    operations: [encrypt]\n",
	          "line 5: key 'k' is listed twice (first on line 3)");
	parse_bad("version: 1\nkeys:\n  - name: k\n    operations: [encrypt]\n"
	          "    contexts: {a: b}\n",
	          "contexts must be a list");
	parse_bad("version: 1\nkeys:\n  - name: k\n    operations: [encrypt]\n"
	          "    contexts:\n      - {\"a=b\": c}\n",
	          "context key 'a=b' is not valid");
	parse_bad("version: 1\nkeys:\n  - name: k\n    operations: [encrypt]\n"
	          "    contexts:\n      - {a: [b]}\n",
	          "a context value must be a string");
	parse_bad("version: 1\nkeys:\n  - name: k\n    operations: [encrypt]\n"
	          "    contexts:\n      - {a: b, a: c}\n",
	          "duplicate key 'a'");
}

static void test_check(void **state)
{
	struct sc_policy *p = parse_ok(policy);
	struct sc_keys_ctx *c;
	char why[256];
	int confirm = -1;

	(void)state;
	/* an unlisted key; no policy at all */
	assert_int_equal(sc_policy_check_key(p, "other", SC_POLICY_KEY_ENCRYPT, NULL, &confirm, why,
	                                     sizeof(why)),
	                 SC_ERR_DENIED);
	assert_non_null(strstr(why, "names no key 'other'"));
	assert_int_equal(
	    sc_policy_check_key(NULL, "plain", SC_POLICY_KEY_ENCRYPT, NULL, NULL, why, sizeof(why)),
	    SC_ERR_DENIED);
	/* an operation the key does not list */
	assert_int_equal(
	    sc_policy_check_key(p, "plain", SC_POLICY_KEY_DATAKEY, NULL, NULL, why, sizeof(why)),
	    SC_ERR_DENIED);
	assert_non_null(strstr(why, "does not allow this operation"));
	assert_int_equal(sc_policy_check_key(p, "plain", 0, NULL, NULL, why, sizeof(why)),
	                 SC_ERR_DENIED);
	/* no contexts: only the empty one */
	assert_int_equal(
	    sc_policy_check_key(p, "plain", SC_POLICY_KEY_ENCRYPT, NULL, NULL, why, sizeof(why)),
	    SC_OK);
	c = ctx("app=web", NULL);
	assert_int_equal(
	    sc_policy_check_key(p, "plain", SC_POLICY_KEY_ENCRYPT, c, NULL, why, sizeof(why)),
	    SC_ERR_DENIED);
	assert_non_null(strstr(why, "encryption context"));
	/* a subset of an allowed context is not it */
	assert_int_equal(
	    sc_policy_check_key(p, "app-data", SC_POLICY_KEY_ENCRYPT, c, NULL, why, sizeof(why)),
	    SC_ERR_DENIED);
	sc_keys_ctx_free(c);
	c = ctx("env=prod", "app=web");
	assert_int_equal(
	    sc_policy_check_key(p, "app-data", SC_POLICY_KEY_DATAKEY, c, NULL, why, sizeof(why)),
	    SC_OK);
	sc_keys_ctx_free(c);
	c = ctx("env=dev", "app=web");
	assert_int_equal(
	    sc_policy_check_key(p, "app-data", SC_POLICY_KEY_ENCRYPT, c, NULL, why, sizeof(why)),
	    SC_ERR_DENIED);
	sc_keys_ctx_free(c);
	/* "*": any value, but the key must be there */
	c = ctx("app=batch", "run=42");
	assert_int_equal(
	    sc_policy_check_key(p, "app-data", SC_POLICY_KEY_ENCRYPT, c, NULL, why, sizeof(why)),
	    SC_OK);
	sc_keys_ctx_free(c);
	c = ctx("app=batch", "job=42");
	assert_int_equal(
	    sc_policy_check_key(p, "app-data", SC_POLICY_KEY_ENCRYPT, c, NULL, why, sizeof(why)),
	    SC_ERR_DENIED);
	sc_keys_ctx_free(c);
	/* the empty context is not among app-data's */
	assert_int_equal(
	    sc_policy_check_key(p, "app-data", SC_POLICY_KEY_ENCRYPT, NULL, NULL, why, sizeof(why)),
	    SC_ERR_DENIED);
	/* confirm */
	assert_int_equal(sc_policy_check_key(p, "release-signer", SC_POLICY_KEY_SIGN, NULL,
	                                     &confirm, why, sizeof(why)),
	                 SC_OK);
	assert_int_equal(confirm, 1);
	assert_int_equal(sc_policy_check_key(p, "ci-signer", SC_POLICY_KEY_SIGN, NULL, &confirm,
	                                     why, sizeof(why)),
	                 SC_OK);
	assert_int_equal(confirm, 0);
	/* a signing key does not encrypt */
	assert_int_equal(sc_policy_check_key(p, "release-signer", SC_POLICY_KEY_ENCRYPT, NULL,
	                                     &confirm, why, sizeof(why)),
	                 SC_ERR_DENIED);
	assert_int_equal(confirm, 0);
	sc_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_and_list),
	    cmocka_unit_test(test_schema_errors),
	    cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
