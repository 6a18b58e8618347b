/* test_keys_blob.c - the keyring blob and its sealed form: a round trip of a
 * keyring holding every kind of key and state, one encoding only, and a
 * decoder that refuses every truncation and every out-of-range field. The
 * fields are located by a walker written here from the format comment in
 * blob.c, not by the decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys/keys_int.h"

#define T0 1700000000
#define DAY 86400

static int setup(void **state)
{
	(void)state;
	assert_int_equal(sc_init(), SC_OK);
	return 0;
}

static int keygen48(int type, uint8_t *m, size_t cap, size_t *len, void *arg)
{
	(void)type;
	(void)arg;
	assert_true(cap >= 48);
	memset(m, 0x33, 48);
	*len = 48;
	return SC_OK;
}

/* a: aes, 2 versions (1 deactivated), counters; b: chacha, exportable,
 * requires a context, rotates every 30 days; c: hmac trimmed below 3;
 * d: aes with version 1 destroyed and version 2 scheduled; e: aes in
 * pre-activation; s: ed25519 with 48 bytes of opaque material. */
static struct sc_keyring *rich(char **ct_a, char **ct_b)
{
	struct sc_key_params pb = {SC_KEY_EXPORTABLE | SC_KEY_REQUIRE_CONTEXT, 30 * DAY, 0};
	struct sc_key_params pe = {0, 0, T0 + 5 * DAY};
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	struct sc_keys_ctx *c = NULL;
	struct sc_keyring *kr = NULL;

	assert_int_equal(sc_keyring_new(&kr), SC_OK);
	sc_keyring_set_sig_keygen(kr, keygen48, NULL);
	assert_int_equal(sc_keyring_create(kr, "s", SC_KEY_ED25519, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "e", SC_KEY_AES256_GCM, &pe, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "a", SC_KEY_AES256_GCM, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "b", SC_KEY_CHACHA20_POLY1305, &pb, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "c", SC_KEY_HMAC_SHA256, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "d", SC_KEY_AES256_GCM, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_encrypt(kr, "a", &o, (const uint8_t *)"alpha", 5, ct_a, NULL),
	                 SC_OK);
	assert_int_equal(sc_keyring_rotate(kr, "a", T0 + 1, NULL), SC_OK);
	assert_int_equal(sc_keyring_set_state(kr, "a", 1, SC_KEY_DEACTIVATED, T0 + 2), SC_OK);
	assert_int_equal(sc_keys_ctx_new(&c), SC_OK);
	assert_int_equal(sc_keys_ctx_add_kv(c, "t=1"), SC_OK);
	o.ctx = c;
	assert_int_equal(sc_keyring_encrypt(kr, "b", &o, (const uint8_t *)"beta", 4, ct_b, NULL),
	                 SC_OK);
	sc_keys_ctx_free(c);
	assert_int_equal(sc_keyring_rotate(kr, "c", T0, NULL), SC_OK);
	assert_int_equal(sc_keyring_rotate(kr, "c", T0, NULL), SC_OK);
	assert_int_equal(sc_keyring_set_floors(kr, "c", 3, 3), SC_OK);
	assert_int_equal(sc_keyring_trim(kr, "c", 3), SC_OK);
	assert_int_equal(sc_keyring_rotate(kr, "d", T0, NULL), SC_OK);
	assert_int_equal(sc_keyring_schedule_destroy(kr, "d", 1, 7, T0), SC_OK);
	assert_int_equal(sc_keyring_tick(kr, T0 + 7 * DAY), SC_OK);
	assert_int_equal(sc_keyring_schedule_destroy(kr, "d", 2, 10, T0 + 7 * DAY), SC_OK);
	assert_int_equal(sc_keyring_set_state(kr, "s", 1, SC_KEY_COMPROMISED, T0 + 3), SC_OK);
	return kr;
}

static void same_meta(struct sc_keyring *x, struct sc_keyring *y)
{
	size_t i, j;

	assert_int_equal(sc_keyring_count(x), sc_keyring_count(y));
	for (i = 0; i < sc_keyring_count(x); i++) {
		struct sc_key_meta a, b;
		const char *n = sc_keyring_name_at(x, i);

		assert_string_equal(n, sc_keyring_name_at(y, i));
		assert_int_equal(sc_keyring_key_meta(x, n, &a), SC_OK);
		assert_int_equal(sc_keyring_key_meta(y, n, &b), SC_OK);
		assert_memory_equal(&a, &b, sizeof(a));
		for (j = 0; j < a.nversions; j++) {
			struct sc_key_version_meta va, vb;

			assert_int_equal(sc_keyring_version_at(x, n, j, &va), SC_OK);
			assert_int_equal(sc_keyring_version_at(y, n, j, &vb), SC_OK);
			/* a reload counts the whole reservation as used */
			assert_true(vb.encryptions >= va.encryptions);
			vb.encryptions = va.encryptions;
			assert_memory_equal(&va, &vb, sizeof(va));
		}
	}
	assert_null(sc_keyring_name_at(x, sc_keyring_count(x)));
}

static void test_round_trip(void **state)
{
	char *ct_a = NULL, *ct_b = NULL;
	struct sc_keyring *kr = rich(&ct_a, &ct_b), *back = NULL;
	struct sc_keys_ctx *c = NULL;
	struct sc_keys_opts o = {T0 + 8 * DAY, NULL, 0, 0};
	uint8_t *blob = NULL, *blob2 = NULL, *pt = NULL;
	size_t n = 0, n2 = 0, pl = 0;

	(void)state;
	assert_int_equal(sc_keyring_encode(kr, &blob, &n), SC_OK);
	assert_int_equal(sc_keyring_decode(blob, n, &back), SC_OK);
	same_meta(kr, back);
	/* one encoding: encode(decode(b)) == b */
	assert_int_equal(sc_keyring_encode(back, &blob2, &n2), SC_OK);
	assert_int_equal(n, n2);
	assert_memory_equal(blob, blob2, n);
	/* the reloaded keys open what the old keyring sealed */
	assert_int_equal(sc_keyring_decrypt(back, "a", &o, ct_a, strlen(ct_a), &pt, &pl, NULL),
	                 SC_OK);
	assert_memory_equal(pt, "alpha", 5);
	sc_secmem_free(pt);
	assert_int_equal(sc_keys_ctx_new(&c), SC_OK);
	assert_int_equal(sc_keys_ctx_add_kv(c, "t=1"), SC_OK);
	o.ctx = c;
	assert_int_equal(sc_keyring_decrypt(back, "b", &o, ct_b, strlen(ct_b), &pt, &pl, NULL),
	                 SC_OK);
	assert_memory_equal(pt, "beta", 4);
	sc_secmem_free(pt);
	sc_keys_ctx_free(c);
	/* the empty keyring too */
	sc_secmem_free(blob);
	sc_secmem_free(blob2);
	sc_keyring_free(back);
	sc_keyring_free(kr);
	assert_int_equal(sc_keyring_new(&kr), SC_OK);
	assert_int_equal(sc_keyring_encode(kr, &blob, &n), SC_OK);
	assert_int_equal(n, 9);
	assert_int_equal(sc_keyring_decode(blob, n, &back), SC_OK);
	assert_int_equal(sc_keyring_count(back), 0);
	sc_secmem_free(blob);
	sc_keyring_free(back);
	sc_keyring_free(kr);
	free(ct_a);
	free(ct_b);
}

/* ---- the walker: where each field sits */

struct vpos {
	size_t version, state, ts, reserved, mlen, material;
};
struct kpos {
	size_t name_len, type, flags, created, rotate, min_dec, min_enc, min_avail, next, nv;
	struct vpos v[8];
	size_t nvers;
};
struct layout {
	struct kpos k[8];
	size_t nk, end;
};

static uint64_t be(const uint8_t *p, int w)
{
	uint64_t v = 0;

	for (int i = 0; i < w; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put(uint8_t *p, uint64_t v, int w)
{
	for (int i = 0; i < w; i++)
		p[i] = (uint8_t)(v >> (8 * (w - 1 - i)));
}

static void walk(const uint8_t *b, size_t n, struct layout *l)
{
	size_t o = 9, i, j;

	memset(l, 0, sizeof(*l));
	assert_memory_equal(b, "SCKR\x01", 5);
	l->nk = (size_t)be(b + 5, 4);
	assert_true(l->nk <= 8);
	for (i = 0; i < l->nk; i++) {
		struct kpos *k = &l->k[i];

		k->name_len = o;
		o += 1 + b[o];
		k->type = o++;
		k->flags = o;
		o += 4;
		k->created = o;
		o += 8;
		k->rotate = o;
		o += 8;
		k->min_dec = o;
		o += 4;
		k->min_enc = o;
		o += 4;
		k->min_avail = o;
		o += 4;
		k->next = o;
		o += 4;
		k->nv = o;
		k->nvers = (size_t)be(b + o, 4);
		o += 4;
		assert_true(k->nvers <= 8);
		for (j = 0; j < k->nvers; j++) {
			struct vpos *v = &k->v[j];

			v->version = o;
			o += 4;
			v->state = o++;
			v->ts = o;
			o += 64;
			v->reserved = o;
			o += 8;
			v->mlen = o;
			v->material = o + 2;
			o += 2 + (size_t)be(b + o, 2);
		}
	}
	l->end = o;
	assert_int_equal(o, n);
}

static void expect_bad(const uint8_t *b, size_t n, int want)
{
	struct sc_keyring *kr = (struct sc_keyring *)1;

	assert_int_equal(sc_keyring_decode(b, n, &kr), want);
	assert_null(kr);
}

/* Patch a copy of the blob, expect a refusal. */
static void patch(const uint8_t *b, size_t n, size_t at, uint64_t v, int w, int want)
{
	uint8_t *c = malloc(n);

	assert_non_null(c);
	memcpy(c, b, n);
	put(c + at, v, w);
	expect_bad(c, n, want);
	free(c);
}

static void test_corrupt_fields(void **state)
{
	char *ct_a = NULL, *ct_b = NULL;
	struct sc_keyring *kr = rich(&ct_a, &ct_b);
	struct layout l;
	uint8_t *b = NULL;
	size_t n = 0;
	const struct kpos *ka, *kb, *kc, *kd, *ks;

	(void)state;
	assert_int_equal(sc_keyring_encode(kr, &b, &n), SC_OK);
	walk(b, n, &l);
	assert_int_equal(l.nk, 6);
	ka = &l.k[0]; /* sorted: a b c d e s */
	kb = &l.k[1];
	kc = &l.k[2];
	kd = &l.k[3];
	ks = &l.k[5];
	assert_int_equal(b[ka->name_len + 1], 'a');
	/* header */
	patch(b, n, 0, 'X', 1, SC_ERR_CORRUPT);
	patch(b, n, 4, 2, 1, SC_ERR_VERSION);
	patch(b, n, 4, 0, 1, SC_ERR_VERSION);
	patch(b, n, 5, 7, 4, SC_ERR_CORRUPT);
	patch(b, n, 5, 5, 4, SC_ERR_CORRUPT);
	patch(b, n, 5, SC_KEYRING_KEYS_MAX + 1, 4, SC_ERR_CORRUPT);
	/* names: order, duplicates, characters, length */
	patch(b, n, kb->name_len + 1, 'a', 1, SC_ERR_CORRUPT);
	patch(b, n, ka->name_len + 1, 'c', 1, SC_ERR_CORRUPT);
	patch(b, n, kb->name_len + 1, ':', 1, SC_ERR_CORRUPT);
	patch(b, n, kb->name_len + 1, 0, 1, SC_ERR_CORRUPT);
	patch(b, n, ka->name_len, 0, 1, SC_ERR_CORRUPT);
	/* key header fields */
	patch(b, n, ka->type, 0, 1, SC_ERR_CORRUPT);
	patch(b, n, ka->type, SC_KEY_TYPE_MAX, 1, SC_ERR_CORRUPT);
	patch(b, n, ka->type, SC_KEY_HMAC_SHA256, 1, SC_ERR_CORRUPT); /* reserved > 0 */
	patch(b, n, ka->flags, 0x4, 4, SC_ERR_CORRUPT);
	patch(b, n, kc->flags, SC_KEY_REQUIRE_CONTEXT, 4, SC_ERR_CORRUPT);
	patch(b, n, ka->created, UINT64_C(1) << 63, 8, SC_ERR_CORRUPT);
	patch(b, n, kb->rotate, UINT64_MAX, 8, SC_ERR_CORRUPT);
	patch(b, n, ka->min_avail, 0, 4, SC_ERR_CORRUPT);
	patch(b, n, ka->min_avail, 2, 4, SC_ERR_CORRUPT);
	patch(b, n, ka->next, 4, 4, SC_ERR_CORRUPT);
	patch(b, n, ka->nv, 1, 4, SC_ERR_CORRUPT);
	patch(b, n, ka->nv, 3, 4, SC_ERR_CORRUPT);
	patch(b, n, ka->min_dec, 0, 4, SC_ERR_CORRUPT);
	patch(b, n, ka->min_dec, 3, 4, SC_ERR_CORRUPT);
	patch(b, n, ka->min_enc, 3, 4, SC_ERR_CORRUPT);
	patch(b, n, kc->min_dec, 2, 4, SC_ERR_CORRUPT); /* below what is left */
	/* versions */
	patch(b, n, ka->v[0].version, 2, 4, SC_ERR_CORRUPT);
	patch(b, n, ka->v[1].version, 1, 4, SC_ERR_CORRUPT);
	patch(b, n, ka->v[0].state, 0, 1, SC_ERR_CORRUPT);
	patch(b, n, ka->v[0].state, SC_KEY_STATE_MAX, 1, SC_ERR_CORRUPT);
	patch(b, n, ka->v[0].state, SC_KEY_DESTROYED, 1, SC_ERR_CORRUPT); /* with material */
	patch(b, n, kd->v[1].state, SC_KEY_DESTROYED, 1, SC_ERR_CORRUPT);
	patch(b, n, ka->v[0].ts + 8 * 3, UINT64_C(1) << 63, 8, SC_ERR_CORRUPT);
	patch(b, n, ka->v[0].reserved, SC_KEYS_AEAD_LIMIT + 1, 8, SC_ERR_CORRUPT);
	patch(b, n, kc->v[0].reserved, 1, 8, SC_ERR_CORRUPT);
	patch(b, n, ka->v[0].mlen, 31, 2, SC_ERR_CORRUPT);
	patch(b, n, ka->v[0].mlen, 33, 2, SC_ERR_CORRUPT);
	patch(b, n, ks->v[0].mlen, 0, 2, SC_ERR_CORRUPT);
	patch(b, n, ks->v[0].mlen, SC_KEY_MATERIAL_MAX + 1, 2, SC_ERR_CORRUPT);
	patch(b, n, kd->v[0].mlen, 32, 2, SC_ERR_CORRUPT); /* destroyed, with bytes */
	/* the reserved count at the limit is still fine */
	{
		uint8_t *c = malloc(n);
		struct sc_keyring *back = NULL;

		memcpy(c, b, n);
		put(c + ka->v[0].reserved, SC_KEYS_AEAD_LIMIT, 8);
		assert_int_equal(sc_keyring_decode(c, n, &back), SC_OK);
		sc_keyring_free(back);
		free(c);
	}
	/* trailing byte */
	{
		uint8_t *c = malloc(n + 1);

		memcpy(c, b, n);
		c[n] = 0;
		expect_bad(c, n + 1, SC_ERR_CORRUPT);
		free(c);
	}
	sc_secmem_free(b);
	sc_keyring_free(kr);
	free(ct_a);
	free(ct_b);
}

/* Every truncation refused; every byte flipped either refused or decoded
 * to something that encodes back to exactly the flipped bytes. */
static void test_truncation_and_flips(void **state)
{
	char *ct_a = NULL, *ct_b = NULL;
	struct sc_keyring *kr = rich(&ct_a, &ct_b), *back;
	uint8_t *b = NULL, *c, *re;
	size_t n = 0, i, rn;

	(void)state;
	assert_int_equal(sc_keyring_encode(kr, &b, &n), SC_OK);
	for (i = 0; i < n; i++)
		expect_bad(b, i, SC_ERR_CORRUPT);
	c = malloc(n);
	assert_non_null(c);
	for (i = 0; i < n; i++) {
		memcpy(c, b, n);
		c[i] ^= 0xff;
		back = NULL;
		if (sc_keyring_decode(c, n, &back) != SC_OK) {
			assert_null(back);
			continue;
		}
		assert_int_equal(sc_keyring_encode(back, &re, &rn), SC_OK);
		assert_int_equal(rn, n);
		assert_memory_equal(re, c, n);
		sc_secmem_free(re);
		sc_keyring_free(back);
	}
	free(c);
	expect_bad(NULL, 0, SC_ERR_CORRUPT);
	expect_bad(b, SC_KEYRING_BLOB_MAX + 1, SC_ERR_CORRUPT);
	sc_secmem_free(b);
	sc_keyring_free(kr);
	free(ct_a);
	free(ct_b);
}

static void test_seal_open(void **state)
{
	char *ct_a = NULL, *ct_b = NULL;
	struct sc_keyring *kr = rich(&ct_a, &ct_b), *back = NULL;
	uint8_t key[SC_KEY_LEN], key2[SC_KEY_LEN], id[SC_VAULT_ID_LEN], id2[SC_VAULT_ID_LEN];
	uint8_t *s = NULL, *blob = NULL;
	size_t sn = 0, bn = 0, i;

	(void)state;
	sc_random(key, sizeof(key));
	memcpy(key2, key, sizeof(key));
	key2[0] ^= 1;
	sc_random(id, sizeof(id));
	memcpy(id2, id, sizeof(id));
	id2[15] ^= 1;
	assert_int_equal(sc_keyring_seal(kr, key, id, &s, &sn), SC_OK);
	assert_int_equal(sc_keyring_encode(kr, &blob, &bn), SC_OK);
	assert_int_equal(sn, bn + SC_SEAL_OVERHEAD);
	/* no key material in the sealed bytes */
	assert_null(memmem(s, sn, sc_keys_find(kr, "a")->v[0].material, 32));
	assert_int_equal(sc_keyring_open(key, id, s, sn, &back), SC_OK);
	same_meta(kr, back);
	sc_keyring_free(back);
	back = (struct sc_keyring *)1;
	/* another vault, another key, every flipped byte, every truncation */
	assert_int_equal(sc_keyring_open(key, id2, s, sn, &back), SC_ERR_CORRUPT);
	assert_null(back);
	assert_int_equal(sc_keyring_open(key2, id, s, sn, &back), SC_ERR_CORRUPT);
	for (i = 0; i < sn; i++) {
		s[i] ^= 0x01;
		assert_int_equal(sc_keyring_open(key, id, s, sn, &back), SC_ERR_CORRUPT);
		assert_null(back);
		s[i] ^= 0x01;
	}
	for (i = 0; i < sn; i += 7)
		assert_int_equal(sc_keyring_open(key, id, s, i, &back), SC_ERR_CORRUPT);
	assert_int_equal(
	    sc_keyring_open(key, id, s, SC_KEYRING_BLOB_MAX + SC_SEAL_OVERHEAD + 1, &back),
	    SC_ERR_CORRUPT);
	/* a sealed empty keyring opens to an empty keyring */
	sc_keyring_free(kr);
	free(s);
	assert_int_equal(sc_keyring_new(&kr), SC_OK);
	assert_int_equal(sc_keyring_seal(kr, key, id, &s, &sn), SC_OK);
	assert_int_equal(sc_keyring_open(key, id, s, sn, &back), SC_OK);
	assert_int_equal(sc_keyring_count(back), 0);
	sc_keyring_free(back);
	sc_keyring_free(kr);
	sc_keyring_free(NULL);
	sc_keys_ctx_free(NULL);
	sc_keys_ct_release(NULL);
	sc_secmem_free(blob);
	free(s);
	free(ct_a);
	free(ct_b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_corrupt_fields),
	    cmocka_unit_test(test_truncation_and_flips),
	    cmocka_unit_test(test_seal_open),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
