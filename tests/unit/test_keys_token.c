/* test_keys_token.c - the keyring's keys in a PKCS#11 token, against a real
 * token (SoftHSM2, its own softhsm2.conf and token directory per test): the
 * reference surviving a save and a reload, AES-GCM and ECDSA there, no
 * token meaning SC_ERR_TOKEN, a due destruction waiting for the token and
 * then destroying the object, a bad reference refused by the decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "keys/keys_int.h"
#include "secretctl/p11.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define URI "pkcs11:token=sc-unit-keys?module-path=" MODULE
#define T0 1700000000
#define DAY 86400

struct env {
	char dir[512];
	struct sc_p11_token *t;
};

static void run_ok(const char *cmd)
{
	int st = system(cmd);

	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("command failed: %s", cmd);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	const char *base = getenv("SC_TEST_TMP");
	char conf[600];
	FILE *fp;

	assert_non_null(e);
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	run_ok("mkdir -p \"${SC_TEST_TMP:-/tmp}\"");
	snprintf(e->dir, sizeof(e->dir), "%s/p11k-XXXXXX", base);
	assert_non_null(mkdtemp(e->dir));
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", e->dir);
	assert_non_null(fp = fopen(conf, "w"));
	fprintf(fp, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
	        e->dir);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(setenv("SOFTHSM2_CONF", conf, 1), 0);
	run_ok("softhsm2-util --init-token --free --label sc-unit-keys --pin 1234 "
	       "--so-pin 5678 >/dev/null");
	assert_int_equal(sc_p11_open(URI, "1234", 4, NULL, &e->t), SC_OK);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[600];

	sc_p11_close(e->t);
	sc_p11_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	run_ok(cmd);
	unsetenv("SOFTHSM2_CONF");
	free(e);
	return 0;
}

static struct sc_keyring *ring(struct env *e, const char *name, enum sc_key_type type)
{
	struct sc_key_params p = {SC_KEY_IN_TOKEN, 0, 0};
	struct sc_keyring *kr = NULL;

	assert_int_equal(sc_keyring_new(&kr), SC_OK);
	sc_keyring_set_token(kr, e->t);
	assert_int_equal(sc_keyring_create(kr, name, type, &p, T0), SC_OK);
	return kr;
}

/* Save and load again (the reference is all that is kept). */
static struct sc_keyring *reload(struct sc_keyring *kr)
{
	struct sc_keyring *out = NULL;
	uint8_t *blob = NULL;
	size_t n = 0;

	assert_int_equal(sc_keyring_encode(kr, &blob, &n), SC_OK);
	assert_int_equal(sc_keyring_decode(blob, n, &out), SC_OK);
	sc_secmem_free(blob);
	sc_keyring_free(kr);
	return out;
}

static void test_aes_roundtrip_after_reload(void **state)
{
	struct env *e = *state;
	struct sc_keyring *kr = ring(e, "tk", SC_KEY_AES256_GCM);
	struct sc_keys_opts o = {T0 + 10, NULL, 0, 0};
	struct sc_key_params bad = {SC_KEY_IN_TOKEN | SC_KEY_EXPORTABLE, 0, 0};
	struct sc_p11_key_info info;
	uint8_t *pt = NULL;
	size_t n = 0;
	char *ct = NULL;

	assert_int_equal(sc_keyring_encrypt(kr, "tk", &o, (const uint8_t *)"hello", 5, &ct, NULL),
	                 SC_OK);
	kr = reload(kr);
	/* no token handed in: a clear SC_ERR_TOKEN, never a tampered text */
	assert_int_equal(sc_keyring_decrypt(kr, NULL, &o, ct, strlen(ct), &pt, &n, NULL),
	                 SC_ERR_TOKEN);
	sc_keyring_set_token(kr, e->t);
	assert_int_equal(sc_keyring_decrypt(kr, NULL, &o, ct, strlen(ct), &pt, &n, NULL), SC_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(pt, "hello", 5);
	sc_secmem_free(pt);
	assert_int_equal(sc_p11_key_info(e->t, "secretctl:tk:v1", &info), SC_OK);
	assert_true(info.sensitive && !info.extractable && info.never_extractable && info.token);
	assert_int_equal(sc_keyring_create(kr, "tx", SC_KEY_AES256_GCM, &bad, T0), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_create(kr, "tc", SC_KEY_CHACHA20_POLY1305,
	                                   &(struct sc_key_params){SC_KEY_IN_TOKEN, 0, 0}, T0),
	                 SC_ERR_INVALID);
	free(ct);
	sc_keyring_free(kr);
}

static void test_sign_verify(void **state)
{
	struct env *e = *state;
	struct sc_keyring *kr = ring(e, "te", SC_KEY_ECDSA_P256);
	struct sc_keys_opts o = {T0 + 10, NULL, 0, 0};
	struct sc_sig_opts so = {0};
	uint8_t sig[SC_SIG_MAX];
	size_t n = 0;

	assert_int_equal(sc_keyring_sign(kr, "te", &o, &so, (const uint8_t *)"m", 1, sig, &n, NULL),
	                 SC_OK);
	kr = reload(kr);
	/* verify needs no token: the reference keeps the public point */
	assert_int_equal(
	    sc_keyring_verify(kr, "te", &o, &so, (const uint8_t *)"m", 1, sig, n, NULL), SC_OK);
	assert_int_equal(
	    sc_keyring_verify(kr, "te", &o, &so, (const uint8_t *)"n", 1, sig, n, NULL),
	    SC_ERR_CORRUPT);
	assert_int_equal(sc_keyring_sign(kr, "te", &o, &so, (const uint8_t *)"m", 1, sig, &n, NULL),
	                 SC_ERR_TOKEN);
	sc_keyring_free(kr);
}

static void test_due_destruction_waits_for_the_token(void **state)
{
	struct env *e = *state;
	struct sc_keyring *kr = ring(e, "tk", SC_KEY_AES256_GCM);
	struct sc_p11_key_info info;
	struct sc_key_version_meta vm;

	assert_int_equal(sc_keyring_schedule_destroy(kr, "tk", 1, 7, T0), SC_OK);
	sc_keyring_set_token(kr, NULL);
	assert_int_equal(sc_keyring_tick(kr, T0 + 8 * DAY), SC_OK);
	assert_int_equal(sc_keyring_version_at(kr, "tk", 0, &vm), SC_OK);
	assert_int_not_equal(vm.state, SC_KEY_DESTROYED);
	assert_int_equal(sc_keyring_token_due(kr, "tk", T0 + 8 * DAY), 1);
	assert_int_equal(sc_p11_key_info(e->t, "secretctl:tk:v1", &info), SC_OK);
	sc_keyring_set_token(kr, e->t);
	assert_int_equal(sc_keyring_tick(kr, T0 + 8 * DAY), SC_OK);
	assert_int_equal(sc_keyring_version_at(kr, "tk", 0, &vm), SC_OK);
	assert_int_equal(vm.state, SC_KEY_DESTROYED);
	assert_int_equal(sc_p11_key_info(e->t, "secretctl:tk:v1", &info), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_keyring_token_due(kr, "tk", T0 + 8 * DAY), 0);
	sc_keyring_free(kr);
}

static void test_bad_reference_refused(void **state)
{
	struct env *e = *state;
	struct sc_keyring *kr = ring(e, "tk", SC_KEY_AES256_GCM), *out = NULL;
	uint8_t *blob = NULL, *p;
	size_t n = 0;

	assert_int_equal(sc_keyring_encode(kr, &blob, &n), SC_OK);
	assert_non_null(p = memmem(blob, n, "SCTK", 4));
	p[4] = 2; /* an unknown reference format */
	assert_int_equal(sc_keyring_decode(blob, n, &out), SC_ERR_CORRUPT);
	p[4] = 1;
	p[6] ^= 0x40; /* the URI's length */
	assert_int_equal(sc_keyring_decode(blob, n, &out), SC_ERR_CORRUPT);
	p[6] ^= 0x40;
	assert_int_equal(sc_keyring_decode(blob, n, &out), SC_OK);
	sc_keyring_free(out);
	sc_secmem_free(blob);
	sc_keyring_free(kr);
}

/* Not an assertion: what one keyring operation through SoftHSM2 costs, in
 * process (no start-up, no unlock), beside the same on a software key. */
static double per_op_us(struct sc_keyring *kr, const char *name, int what, int n)
{
	struct sc_keys_opts o = {T0 + 10, NULL, 0, 0};
	struct sc_sig_opts so = {0};
	uint8_t msg[1024] = {0}, sig[SC_SIG_MAX], *pt = NULL;
	struct timespec a, b;
	size_t sl, pl;
	char *ct = NULL;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		if (what == 0) {
			assert_int_equal(
			    sc_keyring_encrypt(kr, name, &o, msg, sizeof(msg), &ct, NULL), SC_OK);
			free(ct);
		} else if (what == 1) {
			if (ct == NULL)
				assert_int_equal(
				    sc_keyring_encrypt(kr, name, &o, msg, sizeof(msg), &ct, NULL),
				    SC_OK);
			assert_int_equal(
			    sc_keyring_decrypt(kr, name, &o, ct, strlen(ct), &pt, &pl, NULL),
			    SC_OK);
			sc_secmem_free(pt);
		} else {
			assert_int_equal(
			    sc_keyring_sign(kr, name, &o, &so, msg, sizeof(msg), sig, &sl, NULL),
			    SC_OK);
		}
		if (what != 1)
			ct = NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (what == 1)
		free(ct);
	return (((double)b.tv_sec - (double)a.tv_sec) * 1e6 +
	        ((double)b.tv_nsec - (double)a.tv_nsec) / 1e3) /
	       n;
}

static void test_timing(void **state)
{
	struct env *e = *state;
	struct sc_keyring *kr = ring(e, "tk", SC_KEY_AES256_GCM);
	struct sc_key_params tok = {SC_KEY_IN_TOKEN, 0, 0};
	int n = 200;

	sc_keyring_set_sig_keygen(kr, sc_keys_sig_keygen, NULL);
	assert_int_equal(sc_keyring_create(kr, "sk", SC_KEY_AES256_GCM, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "te", SC_KEY_ECDSA_P256, &tok, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "se", SC_KEY_ECDSA_P256, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "td", SC_KEY_ED25519, &tok, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "sd", SC_KEY_ED25519, NULL, T0), SC_OK);
	print_message("1 KiB, per operation (n=%d), token / software key:\n"
	              "  aes256-gcm encrypt %.1f / %.1f us, decrypt %.1f / %.1f us\n"
	              "  ecdsa-p256 sign %.1f / %.1f us, ed25519 sign %.1f / %.1f us\n",
	              n, per_op_us(kr, "tk", 0, n), per_op_us(kr, "sk", 0, n),
	              per_op_us(kr, "tk", 1, n), per_op_us(kr, "sk", 1, n),
	              per_op_us(kr, "te", 2, n), per_op_us(kr, "se", 2, n),
	              per_op_us(kr, "td", 2, n), per_op_us(kr, "sd", 2, n));
	sc_keyring_free(kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_aes_roundtrip_after_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_verify, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_due_destruction_waits_for_the_token, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_reference_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timing, setup, teardown),
	};

	if (sc_init() != SC_OK)
		return 1;
	if (access(MODULE, R_OK) != 0) {
		fprintf(stderr, "SoftHSM2 is not installed (%s)\n", MODULE);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
