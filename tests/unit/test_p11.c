/* test_p11.c - the PKCS#11 layer against a real token: SoftHSM2, with its
 * own softhsm2.conf and token directory per test (never the system's);
 * pkcs11-tool (opensc) reads the key's attributes as a second witness. */
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

#include <openssl/evp.h>
#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/p11.h"
#include "secretctl/vault.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define URI_Q "?module-path=" MODULE
#define URI "pkcs11:token=secretctl-test;object=vault-kek" URI_Q

struct env {
	char dir[512];
	char conf[600];
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
	char cmd[1200];
	FILE *fp;

	assert_non_null(e);
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	run_ok("mkdir -p \"${SC_TEST_TMP:-/tmp}\"");
	snprintf(e->dir, sizeof(e->dir), "%s/p11-XXXXXX", base);
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->conf, sizeof(e->conf), "%s/softhsm2.conf", e->dir);
	assert_non_null(fp = fopen(e->conf, "w"));
	fprintf(fp, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
	        e->dir);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(setenv("SOFTHSM2_CONF", e->conf, 1), 0);
	snprintf(cmd, sizeof(cmd),
	         "softhsm2-util --init-token --free --label secretctl-test --pin 1234 "
	         "--so-pin 5678 >/dev/null");
	run_ok(cmd);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[600];

	sc_p11_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	run_ok(cmd);
	unsetenv("SOFTHSM2_CONF");
	free(e);
	return 0;
}

static struct sc_p11_token *open_ok(const char *uri)
{
	struct sc_p11_token *t = NULL;
	int r = sc_p11_open(uri, "1234", 4, NULL, &t);

	if (r != SC_OK)
		fail_msg("open %s: %s: %s", uri, sc_strerror(r), sc_last_error());
	return t;
}

static void test_wrap_roundtrip(void **state)
{
	struct sc_p11_token *t = open_ok(URI), *t2;
	uint8_t dek[32], back[32], w[SC_P11_WRAPPED_MAX], w2[SC_P11_WRAPPED_MAX];
	size_t wl, wl2;

	(void)state;
	assert_string_equal(sc_p11_token_label(t), "secretctl-test");
	assert_int_equal(sc_p11_aes_find(t, NULL), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_p11_aes_generate(t, NULL), SC_OK);
	assert_int_equal(sc_p11_aes_generate(t, NULL), SC_ERR_EXISTS);
	assert_int_equal(sc_p11_aes_find(t, NULL), SC_OK);
	randombytes_buf(dek, sizeof(dek));
	assert_int_equal(sc_p11_wrap(t, NULL, dek, w, &wl), SC_OK);
	assert_int_equal(wl, 40); /* RFC 5649: 32 bytes + the 8-byte AIV block */
	/* the blob is not the DEK in clear */
	assert_null(memmem(w, wl, dek, 8));
	assert_int_equal(sc_p11_unwrap(t, NULL, w, wl, back), SC_OK);
	assert_memory_equal(dek, back, 32);
	/* a second key wraps differently, and does not unwrap the first blob */
	assert_int_equal(sc_p11_aes_generate(t, "other-kek"), SC_OK);
	assert_int_equal(sc_p11_wrap(t, "other-kek", dek, w2, &wl2), SC_OK);
	assert_int_equal(wl2, 40);
	assert_memory_not_equal(w, w2, 40);
	memset(back, 0, sizeof(back));
	assert_int_equal(sc_p11_unwrap(t, "other-kek", w, wl, back), SC_ERR_CORRUPT);
	assert_memory_not_equal(dek, back, 32);
	sc_p11_close(t);
	/* the key lives in the token: a new process state still unwraps */
	sc_p11_shutdown();
	t2 = open_ok(URI);
	memset(back, 0, sizeof(back));
	assert_int_equal(sc_p11_unwrap(t2, NULL, w, wl, back), SC_OK);
	assert_memory_equal(dek, back, 32);
	sc_p11_close(t2);
}

/* Import a known AES-256 key into the token with pkcs11-tool (sensitive;
 * extractable too if asked). */
static void import_key(const struct env *e, const char *label, const uint8_t key[32],
                       int extractable)
{
	char path[700], cmd[1400];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.bin", e->dir, label);
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(key, 1, 32, fp), 32);
	assert_int_equal(fclose(fp), 0);
	snprintf(cmd, sizeof(cmd),
	         "pkcs11-tool --module " MODULE " --login --pin 1234 --write-object '%s' "
	         "--type secrkey --key-type AES:32 --label %s --sensitive --usage-wrap %s "
	         ">/dev/null 2>&1",
	         path, label, extractable ? "--extractable" : "");
	run_ok(cmd);
	assert_int_equal(unlink(path), 0);
}

/* The mechanism is RFC 5649 AES key wrap with padding: the token's blob for
 * a known KEK and DEK equals OpenSSL's EVP_aes_256_wrap_pad, and OpenSSL
 * unwraps what the token wrapped. */
static void test_wrap_is_rfc5649(void **state)
{
	struct env *e = *state;
	struct sc_p11_token *t = open_ok(URI);
	uint8_t kek[32], dek[32], w[SC_P11_WRAPPED_MAX], ref[SC_P11_WRAPPED_MAX], back[32];
	EVP_CIPHER_CTX *ctx;
	size_t wl;
	int n = 0, n2 = 0;

	randombytes_buf(kek, sizeof(kek));
	randombytes_buf(dek, sizeof(dek));
	import_key(e, "kat-kek", kek, 0);
	assert_int_equal(sc_p11_wrap(t, "kat-kek", dek, w, &wl), SC_OK);
	assert_non_null(ctx = EVP_CIPHER_CTX_new());
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_wrap_pad(), NULL, kek, NULL), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, ref, &n, dek, 32), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, ref + n, &n2), 1);
	EVP_CIPHER_CTX_free(ctx);
	assert_int_equal(wl, (size_t)(n + n2));
	assert_memory_equal(w, ref, wl);
	assert_int_equal(sc_p11_unwrap(t, "kat-kek", ref, wl, back), SC_OK);
	assert_memory_equal(back, dek, 32);
	/* a valid RFC 5649 blob of a 48-byte key is not a DEK */
	assert_non_null(ctx = EVP_CIPHER_CTX_new());
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_wrap_pad(), NULL, kek, NULL), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, ref, &n, w, 48), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, ref + n, &n2), 1);
	EVP_CIPHER_CTX_free(ctx);
	assert_int_equal(n + n2, 56);
	assert_int_equal(sc_p11_unwrap(t, "kat-kek", ref, 56, back), SC_ERR_CORRUPT);
	assert_non_null(strstr(sc_last_error(), "48 bytes"));
	/* a key someone made extractable is refused, not used */
	import_key(e, "loose-kek", kek, 1);
	assert_int_equal(sc_p11_wrap(t, "loose-kek", dek, w, &wl), SC_ERR_PERM);
	assert_int_equal(sc_p11_aes_find(t, "loose-kek"), SC_ERR_PERM);
	sc_wipe(kek, sizeof(kek));
	sc_p11_close(t);
}

/* The Access: line pkcs11-tool prints for the secret or private key with
 * this label. */
static void tool_access(const char *label, char *out, size_t cap)
{
	char line[512];
	int in = 0, secret = 0;
	FILE *p = popen(
	    "pkcs11-tool --module " MODULE " --list-objects --login --pin 1234 2>/dev/null", "r");

	assert_non_null(p);
	out[0] = '\0';
	while (fgets(line, sizeof(line), p) != NULL) {
		char *v;

		if (strstr(line, "Object;") != NULL) {
			/* a public key shares the label; its Access: says little */
			secret = strncmp(line, "Private Key", 11) == 0 ||
			         strncmp(line, "Secret Key", 10) == 0;
			in = 0;
		} else if (secret && (v = strstr(line, "label:")) != NULL) {
			v += 6;
			v += strspn(v, " ");
			v[strcspn(v, "\n")] = '\0';
			in = strcmp(v, label) == 0;
		} else if (in && (v = strstr(line, "Access:")) != NULL) {
			snprintf(out, cap, "%s", v + 7 + strspn(v + 7, " "));
			out[strcspn(out, "\n")] = '\0';
			in = 0;
		}
	}
	assert_int_equal(pclose(p), 0);
}

/* "a, b, c" has the item exactly */
static int has_item(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p = list;

	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, item, n) == 0)
			return 1;
		p += len;
		p += strspn(p, ", ");
	}
	return 0;
}

static void test_key_stays_in_token(void **state)
{
	struct sc_p11_token *t = open_ok(URI);
	struct sc_p11_key_info info;
	uint8_t pub[SC_P11_EC_PUB_LEN];
	char access[256];

	(void)state;
	assert_int_equal(sc_p11_aes_generate(t, NULL), SC_OK);
	assert_int_equal(sc_p11_key_info(t, NULL, &info), SC_OK);
	assert_true(info.token);
	assert_true(info.sensitive);
	assert_false(info.extractable);
	assert_true(info.always_sensitive);
	assert_true(info.never_extractable);
	assert_int_equal(info.value_len, 32);
	/* the second witness: opensc's pkcs11-tool, another process */
	tool_access("vault-kek", access, sizeof(access));
	if (!has_item(access, "sensitive") || !has_item(access, "never extractable") ||
	    has_item(access, "extractable"))
		fail_msg("pkcs11-tool says Access: '%s'", access);
	/* the EC private key too */
	assert_int_equal(sc_p11_ec_generate(t, "signer", pub), SC_OK);
	assert_int_equal(sc_p11_key_info(t, "signer", &info), SC_OK);
	assert_true(info.token && info.sensitive && !info.extractable && info.never_extractable);
	tool_access("signer", access, sizeof(access));
	if (!has_item(access, "sensitive") || !has_item(access, "never extractable") ||
	    has_item(access, "extractable"))
		fail_msg("pkcs11-tool says Access for the EC key: '%s'", access);
	sc_p11_close(t);
}

static void test_wrong_pin(void **state)
{
	struct sc_p11_token *t = NULL, *t2 = NULL;
	unsigned flags = 99;

	(void)state;
	assert_int_equal(sc_p11_open(URI, "4321", 4, &flags, &t), SC_ERR_AUTH);
	assert_null(t);
	/* SoftHSM 2.6 sets CKF_USER_PIN_COUNT_LOW after a failed login (it
	 * never locks the PIN) */
	assert_int_equal(flags, SC_P11_PIN_COUNT_LOW);
	assert_non_null(strstr(sc_last_error(), "wrong PIN (the token reports few tries left)"));
	assert_null(strstr(sc_last_error(), "4321"));
	assert_int_equal(sc_p11_open(URI, "", 0, &flags, &t), SC_ERR_AUTH);
	assert_int_equal(sc_p11_open(URI, NULL, 0, &flags, &t), SC_ERR_LOCKED);
	/* with a session logged in, PKCS#11 would take any PIN for a second
	 * one (CKR_USER_ALREADY_LOGGED_IN): it must still be the right PIN */
	t = open_ok(URI);
	assert_int_equal(sc_p11_open(URI, "4321", 4, NULL, &t2), SC_ERR_AUTH);
	assert_null(t2);
	assert_int_equal(sc_p11_open(URI, "12345", 5, NULL, &t2), SC_ERR_AUTH);
	t2 = open_ok(URI);
	assert_int_equal(sc_p11_aes_generate(t2, NULL), SC_OK);
	sc_p11_close(t2);
	assert_int_equal(sc_p11_aes_find(t, NULL), SC_OK);
	sc_p11_close(t);
}

static void test_token_absent(void **state)
{
	struct sc_p11_token *t = NULL;

	(void)state;
	assert_int_equal(sc_p11_open("pkcs11:token=no-such-token" URI_Q, "1234", 4, NULL, &t),
	                 SC_ERR_TOKEN);
	assert_null(t);
	assert_non_null(strstr(sc_last_error(), "no token matches"));
	assert_int_equal(sc_p11_open("pkcs11:serial=0000000000000000" URI_Q, "1234", 4, NULL, &t),
	                 SC_ERR_TOKEN);
	assert_int_equal(sc_p11_open("pkcs11:token=secretctl-test?module-path=/nonexistent/x.so",
	                             "1234", 4, NULL, &t),
	                 SC_ERR_TOKEN);
	assert_non_null(strstr(sc_last_error(), "cannot load"));
	assert_null(t);
}

static void test_bad_uris(void **state)
{
	static const char *bad[] = {
	    "file:///etc/passwd",
	    "pkcs11:object=vault-kek" URI_Q,                    /* no token */
	    "pkcs11:token=secretctl-test;pin-value=1234" URI_Q, /* PIN in URI */
	    "pkcs11:token=secretctl-test?pin-value=1234&module-path=" MODULE,
	    "pkcs11:token=secretctl-test?pin-source=file:/x&module-path=" MODULE,
	    "pkcs11:token=secretctl-test;slot-id=0" URI_Q,            /* slot number */
	    "pkcs11:token=secretctl-test?module-path=libsofthsm2.so", /* relative */
	    "pkcs11:token=%zz" URI_Q,
	};
	struct sc_p11_token *t = NULL;
	char *longuri;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = sc_p11_open(bad[i], "1234", 4, NULL, &t);

		if (r != SC_ERR_INVALID)
			fail_msg("%s: %s, not invalid", bad[i], sc_strerror(r));
		assert_null(t);
	}
	assert_non_null(longuri = malloc(SC_P11_URI_MAX + 64));
	memset(longuri, 'a', SC_P11_URI_MAX + 63);
	memcpy(longuri, "pkcs11:token=", 13);
	longuri[SC_P11_URI_MAX + 63] = '\0';
	assert_int_equal(sc_p11_open(longuri, "1234", 4, NULL, &t), SC_ERR_TOOBIG);
	free(longuri);
	assert_int_equal(sc_p11_open(URI, "1234", SC_P11_PIN_MAX + 1, NULL, &t), SC_ERR_INVALID);
	/* a URI without object= needs a label in every call */
	t = open_ok("pkcs11:token=secretctl-test" URI_Q);
	assert_int_equal(sc_p11_aes_generate(t, NULL), SC_ERR_INVALID);
	assert_int_equal(sc_p11_aes_generate(t, ""), SC_ERR_INVALID);
	sc_p11_close(t);
}

static void test_deleted_behind_our_back(void **state)
{
	struct sc_p11_token *t = open_ok(URI), *other;
	uint8_t dek[32], back[32], w[SC_P11_WRAPPED_MAX];
	size_t wl;
	int r;

	(void)state;
	randombytes_buf(dek, sizeof(dek));
	assert_int_equal(sc_p11_aes_generate(t, NULL), SC_OK);
	assert_int_equal(sc_p11_wrap(t, NULL, dek, w, &wl), SC_OK);
	/* another process deletes it while our session is open */
	run_ok("pkcs11-tool --module " MODULE " --login --pin 1234 --delete-object --type secrkey "
	       "--label vault-kek >/dev/null 2>&1");
	r = sc_p11_unwrap(t, NULL, w, wl, back);
	assert_int_equal(r, SC_ERR_NOT_FOUND);
	assert_non_null(strstr(sc_last_error(), "vault-kek"));
	assert_int_equal(sc_p11_wrap(t, NULL, dek, w, &wl), SC_ERR_NOT_FOUND);
	assert_int_equal(wl, 0);
	/* and another session of this process, with C_DestroyObject */
	assert_int_equal(sc_p11_aes_generate(t, NULL), SC_OK);
	assert_int_equal(sc_p11_wrap(t, NULL, dek, w, &wl), SC_OK);
	other = open_ok(URI);
	assert_int_equal(sc_p11_destroy(other, NULL), SC_OK);
	assert_int_equal(sc_p11_destroy(other, NULL), SC_ERR_NOT_FOUND);
	sc_p11_close(other);
	assert_int_equal(sc_p11_unwrap(t, NULL, w, wl, back), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_p11_aes_find(t, NULL), SC_ERR_NOT_FOUND);
	sc_p11_close(t);
}

static void test_tampered_blob(void **state)
{
	struct sc_p11_token *t = open_ok(URI);
	uint8_t dek[32], back[32], w[SC_P11_WRAPPED_MAX];
	size_t wl, i;
	int r;

	(void)state;
	randombytes_buf(dek, sizeof(dek));
	assert_int_equal(sc_p11_aes_generate(t, NULL), SC_OK);
	assert_int_equal(sc_p11_wrap(t, NULL, dek, w, &wl), SC_OK);
	for (i = 0; i < wl * 8; i++) {
		w[i / 8] ^= (uint8_t)(1u << (i % 8));
		r = sc_p11_unwrap(t, NULL, w, wl, back);
		if (r != SC_ERR_CORRUPT)
			fail_msg("bit %zu flipped: %s (%s)", i, sc_strerror(r), sc_last_error());
		w[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	/* cut short or grown, not a multiple of 8, empty, too big */
	assert_int_equal(sc_p11_unwrap(t, NULL, w, wl - 8, back), SC_ERR_CORRUPT);
	assert_int_not_equal(sc_p11_unwrap(t, NULL, w, wl - 1, back), SC_OK);
	w[wl] = 0;
	assert_int_not_equal(sc_p11_unwrap(t, NULL, w, wl + 8, back), SC_OK);
	assert_int_equal(sc_p11_unwrap(t, NULL, w, 0, back), SC_ERR_INVALID);
	assert_int_equal(sc_p11_unwrap(t, NULL, w, SC_P11_WRAPPED_MAX + 1, back), SC_ERR_INVALID);
	/* the untouched blob still opens */
	assert_int_equal(sc_p11_unwrap(t, NULL, w, wl, back), SC_OK);
	assert_memory_equal(dek, back, 32);
	sc_p11_close(t);
}

static void test_ec_sign(void **state)
{
	struct sc_p11_token *t = open_ok(URI);
	struct sc_sig_opts o = {.format = SC_SIG_FMT_RAW};
	uint8_t pub[SC_P11_EC_PUB_LEN], sig[SC_P11_EC_SIG_LEN];
	const uint8_t msg[] = "release v1.2.3";

	(void)state;
	assert_int_equal(sc_p11_ec_generate(t, "signer", pub), SC_OK);
	assert_int_equal(pub[0], 0x04);
	assert_int_equal(sc_p11_ec_generate(t, "signer", pub), SC_ERR_EXISTS);
	assert_int_equal(sc_p11_ec_sign(t, "signer", msg, sizeof(msg), sig), SC_OK);
	assert_int_equal(
	    sc_sig_verify(SC_SIG_P256, &o, pub, sizeof(pub), msg, sizeof(msg), sig, sizeof(sig)),
	    SC_OK);
	assert_int_equal(sc_sig_verify(SC_SIG_P256, &o, pub, sizeof(pub), msg, sizeof(msg) - 1, sig,
	                               sizeof(sig)),
	                 SC_ERR_CORRUPT);
	/* an AES wrapping key does not sign, and the EC key does not wrap */
	assert_int_equal(sc_p11_aes_generate(t, NULL), SC_OK);
	assert_int_equal(sc_p11_ec_sign(t, NULL, msg, sizeof(msg), sig), SC_ERR_NOT_FOUND);
	/* destroy takes both halves */
	assert_int_equal(sc_p11_destroy(t, "signer"), SC_OK);
	assert_int_equal(sc_p11_ec_sign(t, "signer", msg, sizeof(msg), sig), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_p11_destroy(t, "signer"), SC_ERR_NOT_FOUND);
	sc_p11_close(t);
}

/* A forked child (the agent) initializes the module again and works; the
 * parent's session is refused there and still works in the parent. */
static void test_fork(void **state)
{
	struct sc_p11_token *t = open_ok(URI);
	uint8_t dek[32], back[32], w[SC_P11_WRAPPED_MAX];
	size_t wl;
	pid_t pid;
	int st;

	(void)state;
	randombytes_buf(dek, sizeof(dek));
	assert_int_equal(sc_p11_aes_generate(t, NULL), SC_OK);
	assert_int_equal(sc_p11_wrap(t, NULL, dek, w, &wl), SC_OK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sc_p11_token *c = NULL;
		int code = 0;

		if (sc_p11_unwrap(t, NULL, w, wl, back) != SC_ERR_TOKEN)
			code = 2;
		else if (sc_p11_open(URI, "1234", 4, NULL, &c) != SC_OK)
			code = 3;
		else if (sc_p11_unwrap(c, NULL, w, wl, back) != SC_OK || memcmp(back, dek, 32) != 0)
			code = 4;
		sc_p11_close(c);
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(sc_p11_unwrap(t, NULL, w, wl, back), SC_OK);
	assert_memory_equal(dek, back, 32);
	sc_p11_close(t);
}

/* The pkcs11 row of the key-slot table: the DEK comes back with the PIN,
 * not with a wrong one, not from a copied or tampered slot, not once the
 * token key is gone; the vault directory gets only a URI and blobs. */
static void test_keyslot_kind(void **state)
{
	const struct sc_keyslot_kind *k = sc_keyslot_kind(SC_KEYSLOT_PKCS11);
	uint8_t vid[SC_VAULT_ID_LEN], dek[SC_KEY_LEN], back[SC_KEY_LEN];
	uint8_t params[SC_KEYSLOT_PARAMS_MAX], w[SC_KEYSLOT_WRAPPED_MAX];
	struct sc_keyslot_ctx c = {vid, 7}, other = {vid, 8};
	struct sc_p11_token *t;
	size_t pl, wl, i;

	(void)state;
	assert_non_null(k);
	assert_string_equal(k->name, "pkcs11");
	randombytes_buf(vid, sizeof(vid));
	randombytes_buf(dek, sizeof(dek));
	assert_int_equal(k->wrap(&c, dek, "1234", 4, URI, params, &pl, w, &wl), SC_OK);
	assert_null(memmem(params, pl, "1234", 4));
	assert_null(memmem(w, wl, dek, 8));
	assert_int_equal(k->unwrap(&c, params, pl, w, wl, "1234", 4, back), SC_OK);
	assert_memory_equal(dek, back, sizeof(dek));
	/* a second slot on the same token key */
	assert_int_equal(k->wrap(&other, dek, "1234", 4, URI, params, &pl, w + 200, &wl), SC_OK);
	assert_int_equal(k->unwrap(&c, params, pl, w, wl, "4321", 4, back), SC_ERR_AUTH);
	/* moved to another slot row */
	assert_int_equal(k->unwrap(&other, params, pl, w, wl, "1234", 4, back), SC_ERR_AUTH);
	for (i = 0; i < wl; i++) {
		w[i] ^= 0x20;
		if (k->unwrap(&c, params, pl, w, wl, "1234", 4, back) == SC_OK)
			fail_msg("byte %zu of the slot changed and it still opens", i);
		w[i] ^= 0x20;
	}
	assert_int_equal(k->unwrap(&c, params, pl - 1, w, wl, "1234", 4, back), SC_ERR_CORRUPT);
	assert_int_equal(k->unwrap(&c, params, pl, w, wl - 1, "1234", 4, back), SC_ERR_CORRUPT);
	assert_int_equal(k->wrap(&c, dek, "1234", 4, NULL, params, &pl, w, &wl), SC_ERR_INVALID);
	/* the token key destroyed: a clear not-found, no DEK */
	assert_int_equal(k->wrap(&c, dek, "1234", 4, URI, params, &pl, w, &wl), SC_OK);
	t = open_ok(URI);
	assert_int_equal(sc_p11_destroy(t, NULL), SC_OK);
	sc_p11_close(t);
	assert_int_equal(k->unwrap(&c, params, pl, w, wl, "1234", 4, back), SC_ERR_NOT_FOUND);
}

/* The vault's slot table: a token slot added to an unlocked vault opens it
 * with the PIN alone, beside the password; listed with its token and key;
 * the password slot removed, the token still opens it; the last slot
 * cannot go; a wrong PIN reports the token's flags. */
static void test_vault_slots(void **state)
{
	struct env *e = *state;
	struct sc_kdf_params kp = {8192, 1};
	struct sc_vault *v = NULL;
	struct sc_vault_slot *sl = NULL;
	char dir[600];
	unsigned flags = 0;
	size_t n = 0;
	int64_t id = 0;

	snprintf(dir, sizeof(dir), "%s/vault", e->dir);
	assert_int_equal(sc_vault_create(dir, "password1", 9, &kp), SC_OK);
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_slot_add_pkcs11(v, URI, "1234", 4, &id), SC_ERR_LOCKED);
	assert_int_equal(sc_vault_unlock(v, "password1", 9), SC_OK);
	assert_int_equal(sc_vault_slot_add_pkcs11(v, URI, "4321", 4, &id), SC_ERR_AUTH);
	assert_int_equal(sc_vault_slot_add_pkcs11(v, URI, "1234", 4, &id), SC_OK);
	assert_int_equal(id, 2);
	assert_int_equal(sc_vault_slots_list(v, &sl, &n), SC_OK);
	assert_int_equal(n, 2);
	assert_int_equal(sl[0].kind, SC_KEYSLOT_PASSWORD);
	assert_int_equal(sl[1].kind, SC_KEYSLOT_PKCS11);
	assert_string_equal(sl[1].token, "secretctl-test");
	assert_string_equal(sl[1].label, "vault-kek");
	assert_true(sl[1].created > 0);
	assert_int_equal(sl[1].last_used, 0);
	free(sl);
	sc_vault_close(v);
	/* the token alone */
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock_pkcs11(v, URI, "0000", 4, &flags), SC_ERR_AUTH);
	assert_true((flags & SC_P11_PIN_COUNT_LOW) != 0);
	assert_false(sc_vault_is_unlocked(v));
	assert_int_equal(sc_vault_unlock_pkcs11(v, "pkcs11:token=another" URI_Q, "1234", 4, NULL),
	                 SC_ERR_AUTH);
	assert_int_equal(sc_vault_unlock_pkcs11(v, URI, "1234", 4, NULL), SC_OK);
	assert_true(sc_vault_is_unlocked(v));
	assert_int_equal(sc_vault_slot_remove(v, 9), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_vault_slot_remove(v, 1), SC_OK);
	assert_int_equal(sc_vault_slot_remove(v, 2), SC_ERR_DENIED);
	sc_vault_close(v);
	assert_int_equal(sc_vault_open(dir, &v), SC_OK);
	assert_int_equal(sc_vault_unlock(v, "password1", 9), SC_ERR_AUTH);
	assert_int_equal(sc_vault_unlock_pkcs11(v, NULL, "1234", 4, NULL), SC_OK);
	assert_int_equal(sc_vault_slots_list(v, &sl, &n), SC_OK);
	assert_int_equal(n, 1);
	assert_true(sl[0].last_used > 0);
	free(sl);
	sc_vault_close(v);
}

/* Not an assertion: the cost of a wrap and an unwrap through SoftHSM. */
static void test_timing(void **state)
{
	struct sc_p11_token *t = open_ok(URI);
	uint8_t dek[32], back[32], w[SC_P11_WRAPPED_MAX], sig[SC_P11_EC_SIG_LEN];
	uint8_t pub[SC_P11_EC_PUB_LEN];
	struct timespec a, b, c, d;
	size_t wl;
	int i, n = 200;

	(void)state;
	randombytes_buf(dek, sizeof(dek));
	assert_int_equal(sc_p11_aes_generate(t, NULL), SC_OK);
	assert_int_equal(sc_p11_ec_generate(t, "signer", pub), SC_OK);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		assert_int_equal(sc_p11_wrap(t, NULL, dek, w, &wl), SC_OK);
	clock_gettime(CLOCK_MONOTONIC, &b);
	for (i = 0; i < n; i++)
		assert_int_equal(sc_p11_unwrap(t, NULL, w, wl, back), SC_OK);
	clock_gettime(CLOCK_MONOTONIC, &c);
	for (i = 0; i < n; i++)
		assert_int_equal(sc_p11_ec_sign(t, "signer", dek, 32, sig), SC_OK);
	clock_gettime(CLOCK_MONOTONIC, &d);
#define US(x, y) (((y).tv_sec - (x).tv_sec) * 1e6 + ((y).tv_nsec - (x).tv_nsec) / 1e3)
	print_message("softhsm2: wrap %.1f us, unwrap %.1f us, ecdsa p-256 sign %.1f us (n=%d)\n",
	              US(a, b) / n, US(b, c) / n, US(c, d) / n, n);
	sc_p11_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_wrap_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrap_is_rfc5649, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_stays_in_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_pin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_absent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_uris, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_behind_our_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tampered_blob, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ec_sign, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keyslot_kind, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vault_slots, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timing, setup, teardown),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
