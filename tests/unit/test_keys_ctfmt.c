/* test_keys_ctfmt.c - the sc:v1 ciphertext format: the AEADs under it
 * against published vectors, known answers with fixed keys and nonces
 * (built here independently: AAD by hand, the primitive, libsodium's
 * base64url), a strict parser, and tampering, truncation and the wrong
 * key, version, type or context, each an error and never other data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys/keys_int.h"

#define T0 1700000000

static int setup(void **state)
{
	(void)state;
	assert_int_equal(sc_init(), SC_OK);
	return 0;
}

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	assert_int_equal(sodium_hex2bin(out, cap, h, strlen(h), NULL, &n, NULL), 0);
	return n;
}

/* ---- the primitives through sc_keys_aead */

/* McGrew & Viega, "The Galois/Counter Mode of Operation", appendix B,
 * test case 16 (256-bit key, 96-bit IV, 20 bytes of AAD). */
static void test_aead_gcm_vector(void **state)
{
	uint8_t key[32], aad[20], pt[64], want[64 + 16], payload[12 + 64 + 16], back[64];
	size_t pl, wl;

	(void)state;
	unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", key, 32);
	unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad, 20);
	pl = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	           "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	           pt, sizeof(pt));
	wl = unhex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	           "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
	           "76fc6ece0f4e1768cddf8853bb2d551b",
	           want, sizeof(want));
	assert_int_equal(wl, pl + 16);
	unhex("cafebabefacedbaddecaf888", payload, 12);
	assert_int_equal(sc_keys_aead(1, SC_KEY_AES256_GCM, key, aad, 20, pt, pl, payload, NULL),
	                 SC_OK);
	assert_memory_equal(payload + 12, want, wl);
	assert_int_equal(sc_keys_aead(0, SC_KEY_AES256_GCM, key, aad, 20, NULL, pl, payload, back),
	                 SC_OK);
	assert_memory_equal(back, pt, pl);
	payload[12 + pl] ^= 1;
	assert_int_equal(sc_keys_aead(0, SC_KEY_AES256_GCM, key, aad, 20, NULL, pl, payload, back),
	                 SC_ERR_CORRUPT);
	assert_int_equal(sc_keys_aead(1, SC_KEY_HMAC_SHA256, key, aad, 20, pt, pl, payload, NULL),
	                 SC_ERR_INVALID);
}

/* RFC 8439 section 2.8.2: the AEAD_CHACHA20_POLY1305 example. */
static void test_aead_chacha_vector(void **state)
{
	static const char lg[] = "Ladies and Gentlemen of the class of '99: If I could offer "
	                         "you only one tip for the future, sunscreen would be it.";
	uint8_t key[32], aad[12], want[114 + 16], payload[12 + 114 + 16], back[114];
	size_t wl, i;

	(void)state;
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	unhex("50515253c0c1c2c3c4c5c6c7", aad, 12);
	wl = unhex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	           "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	           "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	           "3ff4def08e4b7a9de576d26586cec64b6116"
	           "1ae10b594f09e26a7e902ecbd0600691",
	           want, sizeof(want));
	assert_int_equal(wl, 114 + 16);
	assert_int_equal(strlen(lg), 114);
	unhex("070000004041424344454647", payload, 12);
	assert_int_equal(sc_keys_aead(1, SC_KEY_CHACHA20_POLY1305, key, aad, 12,
	                              (const uint8_t *)lg, 114, payload, NULL),
	                 SC_OK);
	assert_memory_equal(payload + 12, want, wl);
	assert_int_equal(
	    sc_keys_aead(0, SC_KEY_CHACHA20_POLY1305, key, aad, 12, NULL, 114, payload, back),
	    SC_OK);
	assert_memory_equal(back, lg, 114);
	aad[0] ^= 1;
	assert_int_equal(
	    sc_keys_aead(0, SC_KEY_CHACHA20_POLY1305, key, aad, 12, NULL, 114, payload, back),
	    SC_ERR_CORRUPT);
}

/* ---- known answers of the whole format */

static void fixed_nonce(uint8_t *nonce, size_t n, void *arg)
{
	memcpy(nonce, arg, n);
}

static const uint8_t kat_nonce[12] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce,
                                      0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};

static void kat_material(uint8_t m[32])
{
	for (int i = 0; i < 32; i++)
		m[i] = (uint8_t)i;
}

/* A keyring with key `name` of `type`, version 1 holding bytes 00..1f,
 * and the fixed nonce. */
static struct sc_keyring *kat_ring(const char *name, enum sc_key_type type)
{
	struct sc_keyring *kr = NULL;
	uint8_t m[32];

	kat_material(m);
	assert_int_equal(sc_keyring_new(&kr), SC_OK);
	assert_int_equal(sc_keyring_create(kr, name, type, NULL, T0), SC_OK);
	assert_int_equal(sc_keys_test_set_material(kr, name, 1, m, 32), SC_OK);
	sc_keys_test_set_nonce(kr, fixed_nonce, (void *)kat_nonce);
	return kr;
}

/* The AAD by hand: label, u8 name length, name, u32 version, u8 type,
 * u32 context length, context {tenant=acme}. */
static size_t kat_aad(uint8_t *a, int type)
{
	static const uint8_t tail[] = {0x00, 0x00, 0x00, 0x01, 0x00, /* version 1, type */
	                               0x00, 0x00, 0x00, 0x12,       /* context: 18 bytes */
	                               0x00, 0x01, 0x00, 0x06, 't',  'e', 'n', 'a', 'n',
	                               't',  0x00, 0x00, 0x00, 0x04, 'a', 'c', 'm', 'e'};
	size_t n = 0;

	memcpy(a, "secretctl keys v1", 17);
	n = 17;
	a[n++] = 3;
	memcpy(a + n, "kat", 3);
	n += 3;
	memcpy(a + n, tail, sizeof(tail));
	a[n + 4] = (uint8_t)type;
	return n + sizeof(tail);
}

static char *expected_text(int type, const uint8_t *pt, size_t n)
{
	uint8_t key[32], aad[64], payload[12 + 64 + 16];
	char b64[256], *out;
	size_t al = kat_aad(aad, type);

	kat_material(key);
	memcpy(payload, kat_nonce, 12);
	if (type == SC_KEY_AES256_GCM) {
		assert_int_equal(sc_aes_gcm_encrypt(key, kat_nonce, 12, aad, al, pt, n,
		                                    payload + 12, payload + 12 + n),
		                 SC_OK);
	} else {
		unsigned long long cl = 0;

		assert_int_equal(crypto_aead_chacha20poly1305_ietf_encrypt(
		                     payload + 12, &cl, pt, n, aad, al, NULL, kat_nonce, key),
		                 0);
		assert_int_equal(cl, n + 16);
	}
	sodium_bin2base64(b64, sizeof(b64), payload, 12 + n + 16,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	out = malloc(strlen(b64) + 16);
	assert_non_null(out);
	sprintf(out, "sc:v1:kat:1:%s", b64);
	return out;
}

/* The pinned texts: made once by this implementation and checked here
 * against the independent construction above, so a change of the format
 * shows up as a failure of both. */
#define KAT_AES "sc:v1:kat:1:yv66vvrO263eyviI4sbMSsVWb3Ajci6zOIcZu5NHGlxFo_O9kTWw"
#define KAT_CHACHA "sc:v1:kat:1:yv66vvrO263eyviI5OQF6joDwk9o9HAkQdVkz-tw36VySjUP2SD9"

static void test_format_kats(void **state)
{
	static const uint8_t msg[] = "hello, keys";
	const int types[] = {SC_KEY_AES256_GCM, SC_KEY_CHACHA20_POLY1305};
	const char *const pinned[] = {KAT_AES, KAT_CHACHA};
	struct sc_keys_ctx *c = NULL;
	size_t i;

	(void)state;
	assert_int_equal(sc_keys_ctx_new(&c), SC_OK);
	assert_int_equal(sc_keys_ctx_add_kv(c, "tenant=acme"), SC_OK);
	for (i = 0; i < 2; i++) {
		struct sc_keyring *kr = kat_ring("kat", (enum sc_key_type)types[i]);
		struct sc_keys_opts o = {T0, c, 0, 0};
		struct sc_keys_info info;
		char *ct = NULL, *want = expected_text(types[i], msg, sizeof(msg) - 1);
		uint8_t *pt = NULL;
		size_t n = 0;

		assert_int_equal(
		    sc_keyring_encrypt(kr, "kat", &o, msg, sizeof(msg) - 1, &ct, &info), SC_OK);
		assert_int_equal(info.version, 1);
		assert_string_equal(ct, want);
		assert_string_equal(ct, pinned[i]);
		assert_int_equal(
		    sc_keyring_decrypt(kr, "kat", &o, pinned[i], strlen(pinned[i]), &pt, &n, NULL),
		    SC_OK);
		assert_int_equal(n, sizeof(msg) - 1);
		assert_memory_equal(pt, msg, n);
		assert_int_equal(pt[n], 0);
		sc_secmem_free(pt);
		free(ct);
		free(want);
		sc_keyring_free(kr);
	}
	sc_keys_ctx_free(c);
}

/* ---- tampering, truncation, wrong key, version, type, context */

static int try_open(struct sc_keyring *kr, const char *name, const struct sc_keys_opts *o,
                    const char *text, size_t len)
{
	uint8_t *pt = NULL;
	size_t n = 0;
	int r = sc_keyring_decrypt(kr, name, o, text, len, &pt, &n, NULL);

	if (r != SC_OK)
		assert_null(pt);
	sc_secmem_free(pt);
	return r;
}

static void test_tamper(void **state)
{
	static const char alphabet[] = "AZaz09-_:.=+/ \n";
	struct sc_keyring *kr = kat_ring("kat", SC_KEY_AES256_GCM);
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	char *ct = NULL, *t;
	size_t len, i, j;

	(void)state;
	sc_keys_test_set_nonce(kr, NULL, NULL);
	assert_int_equal(
	    sc_keyring_encrypt(kr, "kat", &o, (const uint8_t *)"tamper me", 9, &ct, NULL), SC_OK);
	len = strlen(ct);
	assert_int_equal(try_open(kr, "kat", &o, ct, len), SC_OK);
	assert_int_equal(try_open(kr, NULL, &o, ct, len), SC_OK);
	t = malloc(len + 2);
	assert_non_null(t);
	/* every character replaced by each other one: never opens */
	for (i = 0; i < len; i++)
		for (j = 0; j < sizeof(alphabet) - 1; j++) {
			if (ct[i] == alphabet[j])
				continue;
			memcpy(t, ct, len);
			t[i] = alphabet[j];
			assert_int_not_equal(try_open(kr, NULL, &o, t, len), SC_OK);
		}
	/* every truncation, and one byte more */
	for (i = 0; i < len; i++)
		assert_int_not_equal(try_open(kr, NULL, &o, ct, i), SC_OK);
	memcpy(t, ct, len);
	t[len] = 'A';
	assert_int_not_equal(try_open(kr, NULL, &o, t, len + 1), SC_OK);
	t[len] = '\n';
	assert_int_not_equal(try_open(kr, NULL, &o, t, len + 1), SC_OK);
	/* a flipped bit in every payload byte, through the codec */
	{
		struct sc_keys_ct p;
		char *re = NULL;

		assert_int_equal(sc_keys_ct_parse(ct, len, &p), SC_OK);
		for (i = 0; i < p.payload_len; i++)
			for (j = 0; j < 8; j++) {
				p.payload[i] ^= (uint8_t)(1u << j);
				assert_int_equal(
				    sc_keys_ct_format("kat", 1, p.payload, p.payload_len, &re),
				    SC_OK);
				assert_int_equal(try_open(kr, NULL, &o, re, strlen(re)),
				                 SC_ERR_CORRUPT);
				free(re);
				p.payload[i] ^= (uint8_t)(1u << j);
			}
		sc_keys_ct_release(&p);
	}
	free(t);
	free(ct);
	sc_keyring_free(kr);
}

/* Replace "sc:v1:kat:1:" in ct by prefix. */
static char *reprefix(const char *ct, const char *prefix)
{
	const char *rest = ct + strlen("sc:v1:kat:1:");
	char *s = malloc(strlen(prefix) + strlen(rest) + 1);

	assert_non_null(s);
	strcpy(s, prefix);
	strcat(s, rest);
	return s;
}

static void test_wrong_key_version_type(void **state)
{
	struct sc_keyring *kr = kat_ring("kat", SC_KEY_AES256_GCM);
	struct sc_keyring *other = kat_ring("kat", SC_KEY_CHACHA20_POLY1305);
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	uint8_t m[32];
	char *ct = NULL, *s;

	(void)state;
	kat_material(m);
	assert_int_equal(sc_keyring_encrypt(kr, "kat", &o, (const uint8_t *)"data", 4, &ct, NULL),
	                 SC_OK);
	/* another key with the very same material: the name is bound */
	assert_int_equal(sc_keyring_create(kr, "kau", SC_KEY_AES256_GCM, NULL, T0), SC_OK);
	assert_int_equal(sc_keys_test_set_material(kr, "kau", 1, m, 32), SC_OK);
	s = reprefix(ct, "sc:v1:kau:1:");
	assert_int_equal(try_open(kr, NULL, &o, s, strlen(s)), SC_ERR_CORRUPT);
	free(s);
	/* asking for another key than the text names */
	assert_int_equal(try_open(kr, "kau", &o, ct, strlen(ct)), SC_ERR_CORRUPT);
	/* version 2 with the same material: the version is bound */
	assert_int_equal(sc_keyring_rotate(kr, "kat", T0, NULL), SC_OK);
	assert_int_equal(sc_keys_test_set_material(kr, "kat", 2, m, 32), SC_OK);
	s = reprefix(ct, "sc:v1:kat:2:");
	assert_int_equal(try_open(kr, NULL, &o, s, strlen(s)), SC_ERR_CORRUPT);
	free(s);
	s = reprefix(ct, "sc:v1:kat:3:");
	assert_int_equal(try_open(kr, NULL, &o, s, strlen(s)), SC_ERR_CORRUPT);
	free(s);
	/* the same name and material as another type: refused */
	assert_int_equal(try_open(other, NULL, &o, ct, strlen(ct)), SC_ERR_CORRUPT);
	/* an unknown key */
	s = reprefix(ct, "sc:v1:nokey:1:");
	assert_int_equal(try_open(kr, NULL, &o, s, strlen(s)), SC_ERR_NOT_FOUND);
	free(s);
	/* the original still opens */
	assert_int_equal(try_open(kr, NULL, &o, ct, strlen(ct)), SC_OK);
	free(ct);
	sc_keyring_free(kr);
	sc_keyring_free(other);
}

/* The type is bound even where the AEAD would open: an AES key's
 * ciphertext re-sealed with the AAD of the chacha type does not open. */
static void test_type_in_aad(void **state)
{
	uint8_t *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;

	(void)state;
	assert_int_equal(sc_keys_aad("kat", 1, SC_KEY_AES256_GCM, NULL, &a, &al), SC_OK);
	assert_int_equal(sc_keys_aad("kat", 1, SC_KEY_CHACHA20_POLY1305, NULL, &b, &bl), SC_OK);
	assert_int_equal(al, bl);
	assert_memory_not_equal(a, b, al);
	free(a);
	free(b);
}

static void test_parse(void **state)
{
	static const char *const bad[] = {
	    "",
	    "sc:v1:",
	    "sc:v1:kat",
	    "sc:v1:kat:",
	    "sc:v1:kat:1",
	    "sc:v1:kat:1:",
	    "sc:v1::1:AAAA",
	    "sc:v1:-kat:1:AAAA",
	    "sc:v1:k t:1:AAAA",
	    "sc:v1:kat:0:AAAA",
	    "sc:v1:kat:01:AAAA",
	    "sc:v1:kat:+1:AAAA",
	    "sc:v1:kat:-1:AAAA",
	    "sc:v1:kat:1a:AAAA",
	    "sc:v1:kat:4294967296:AAAA",
	    "sc:v1:kat:99999999999999999999:AAAA",
	    "sc:v1:kat:1:AAAA=",
	    "sc:v1:kat:1:AA+A",
	    "sc:v1:kat:1:AA/A",
	    "sc:v1:kat:1:AA A",
	    "sc:v1:kat:1:AAAA\n",
	    "sc:v1:kat:1:A",
	    "sc:v1:kat:1:AB", /* non-zero bits past the last byte */
	    "sc:v1:kat:1:AAA:",
	    "sc:v1",
	    "sc:v",
	    "sc:v2",
	    "sc:v01:kat:1:AAAA",
	    /* libsodium 1.0.18 decodes this one (found by fuzz_ctfmt) */
	    "sc:v1:h:1:sDRMYdjbOFN_OqKcrwvxK4gdwgDJgz2n\377\377\377\377\377\377\377\377"
	    "Juk3bC4yz_c",
	    "sc:v1:kat:1:AA\200A",
	    "SC:v1:kat:1:AAAA",
	    "vault:v1:AAAA",
	    "sc:v1:kat:1:AAAA\0",
	};
	struct sc_keys_ct ct;
	char name65[128], *s = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* the last one is given with its NUL */
		size_t len = strlen(bad[i]) + (i == sizeof(bad) / sizeof(bad[0]) - 1);

		/* in a buffer of exactly that size: no NUL to lean on */
		char *b = malloc(len ? len : 1);

		assert_non_null(b);
		memcpy(b, bad[i], len);
		assert_int_equal(sc_keys_ct_parse(b, len, &ct), SC_ERR_CORRUPT);
		assert_null(ct.payload);
		free(b);
	}
	assert_int_equal(sc_keys_ct_parse(NULL, 0, &ct), SC_ERR_CORRUPT);
	/* a newer format is named as such */
	assert_int_equal(sc_keys_ct_parse("sc:v2:kat:1:AAAA", 16, &ct), SC_ERR_VERSION);
	assert_int_equal(sc_keys_ct_parse("sc:v12:", 7, &ct), SC_ERR_VERSION);
	/* the edges that parse */
	assert_int_equal(sc_keys_ct_parse("sc:v1:kat:4294967295:AAAA", 25, &ct), SC_OK);
	assert_int_equal(ct.version, UINT32_MAX);
	assert_string_equal(ct.name, "kat");
	assert_int_equal(ct.payload_len, 3);
	sc_keys_ct_release(&ct);
	assert_int_equal(sc_keys_ct_parse("sc:v1:a:1:AA", 12, &ct), SC_OK);
	assert_int_equal(ct.payload_len, 1);
	assert_int_equal(ct.payload[0], 0);
	assert_int_equal(sc_keys_ct_format(ct.name, ct.version, ct.payload, ct.payload_len, &s),
	                 SC_OK);
	assert_string_equal(s, "sc:v1:a:1:AA");
	free(s);
	sc_keys_ct_release(&ct);
	/* name length: 64 parses, 65 does not */
	memset(name65, 'n', 64);
	strcpy(name65 + 64, ":1:AAAA");
	memmove(name65 + 6, name65, strlen(name65) + 1);
	memcpy(name65, "sc:v1:", 6);
	assert_int_equal(sc_keys_ct_parse(name65, strlen(name65), &ct), SC_OK);
	sc_keys_ct_release(&ct);
	memmove(name65 + 7, name65 + 6, strlen(name65 + 6) + 1);
	name65[6] = 'n';
	assert_int_equal(sc_keys_ct_parse(name65, strlen(name65), &ct), SC_ERR_CORRUPT);
	/* formatting refuses what parsing would */
	assert_int_equal(sc_keys_ct_format("bad name", 1, (const uint8_t *)"x", 1, &s),
	                 SC_ERR_NAME);
	assert_int_equal(sc_keys_ct_format("k", 0, (const uint8_t *)"x", 1, &s), SC_ERR_INVALID);
	assert_int_equal(sc_keys_ct_format("k", 1, (const uint8_t *)"x", 0, &s), SC_ERR_INVALID);
	assert_null(s);
	/* over the text bound */
	{
		size_t big = SC_KEYS_CT_TEXT_MAX + 1;
		char *b = malloc(big);

		assert_non_null(b);
		memset(b, 'A', big);
		memcpy(b, "sc:v1:kat:1:", 12);
		assert_int_equal(sc_keys_ct_parse(b, big, &ct), SC_ERR_CORRUPT);
		free(b);
	}
}

/* Sizes: empty and largest plaintext round trip, one byte more refused. */
static void test_sizes(void **state)
{
	struct sc_keyring *kr = kat_ring("kat", SC_KEY_AES256_GCM);
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	uint8_t *big = calloc(1, SC_KEYS_PLAINTEXT_MAX + 1), *pt = NULL;
	char *ct = NULL;
	size_t n = 0;

	(void)state;
	assert_non_null(big);
	sc_keys_test_set_nonce(kr, NULL, NULL);
	assert_int_equal(sc_keyring_encrypt(kr, "kat", &o, NULL, 0, &ct, NULL), SC_OK);
	assert_int_equal(sc_keyring_decrypt(kr, "kat", &o, ct, strlen(ct), &pt, &n, NULL), SC_OK);
	assert_int_equal(n, 0);
	sc_secmem_free(pt);
	free(ct);
	big[SC_KEYS_PLAINTEXT_MAX - 1] = 7;
	assert_int_equal(sc_keyring_encrypt(kr, "kat", &o, big, SC_KEYS_PLAINTEXT_MAX, &ct, NULL),
	                 SC_OK);
	assert_true(strlen(ct) <= SC_KEYS_CT_TEXT_MAX);
	assert_int_equal(sc_keyring_decrypt(kr, "kat", &o, ct, strlen(ct), &pt, &n, NULL), SC_OK);
	assert_int_equal(n, SC_KEYS_PLAINTEXT_MAX);
	assert_memory_equal(pt, big, n);
	sc_secmem_free(pt);
	free(ct);
	ct = NULL;
	assert_int_equal(
	    sc_keyring_encrypt(kr, "kat", &o, big, SC_KEYS_PLAINTEXT_MAX + 1, &ct, NULL),
	    SC_ERR_TOOBIG);
	assert_null(ct);
	free(big);
	sc_keyring_free(kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_aead_gcm_vector),
	    cmocka_unit_test(test_aead_chacha_vector),
	    cmocka_unit_test(test_format_kats),
	    cmocka_unit_test(test_tamper),
	    cmocka_unit_test(test_wrong_key_version_type),
	    cmocka_unit_test(test_type_in_aad),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
