/* test_shares.c - GF(256) Shamir and SLIP-0039 shares: the field against a
 * plain reference, every case of SLIP-0039's vectors.json, 3-of-5 from every
 * 3-subset and never from 2, tampered, foreign and forged shares, groups,
 * passphrases, bad input, and the constant-time pieces run under valgrind
 * with the secret marked undefined (a branch or table index on it fails). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>
#include <valgrind/memcheck.h>

#include "secretctl/secretctl.h"
#include "secretctl/shares.h"
#include "custody/share_int.h"
#include "testdata.h"

/* ---- the field ----------------------------------------------------------- */

/* A plain, branchy reference multiplication (the textbook "xtime" loop). */
static uint8_t ref_mul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;

	while (b) {
		if (b & 1)
			r ^= a;
		a = (uint8_t)((a & 0x80) ? ((a << 1) ^ 0x1b) : (a << 1));
		b >>= 1;
	}
	return r;
}

static void test_gf256(void **state)
{
	unsigned int a, b;

	(void)state;
	/* FIPS-197 section 4.2: {57} . {83} = {c1}, {57} . {13} = {fe} */
	assert_int_equal(sc_gf256_mul(0x57, 0x83), 0xc1);
	assert_int_equal(sc_gf256_mul(0x57, 0x13), 0xfe);
	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++)
			if (sc_gf256_mul((uint8_t)a, (uint8_t)b) != ref_mul((uint8_t)a, (uint8_t)b))
				fail_msg("gf256 %02x * %02x", a, b);
	assert_int_equal(sc_gf256_inv(0), 0);
	for (a = 1; a < 256; a++)
		if (sc_gf256_mul((uint8_t)a, sc_gf256_inv((uint8_t)a)) != 1)
			fail_msg("gf256 inverse of %02x", a);
}

static void test_interpolate(void **state)
{
	/* f(x) = 0x42 + 0x11 x + 0x07 x^2 byte 0, and a second byte */
	uint8_t xs[3] = {1, 2, 3}, y[3][2], out[2], fx;
	const uint8_t *ys[3] = {y[0], y[1], y[2]};
	unsigned int x;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		uint8_t xi = xs[i], x2 = sc_gf256_mul(xi, xi);

		y[i][0] = (uint8_t)(0x42 ^ sc_gf256_mul(0x11, xi) ^ sc_gf256_mul(0x07, x2));
		y[i][1] = (uint8_t)(0x99 ^ sc_gf256_mul(0xfe, xi) ^ sc_gf256_mul(0x01, x2));
	}
	for (x = 0; x < 256; x++) {
		uint8_t x2 = sc_gf256_mul((uint8_t)x, (uint8_t)x);

		assert_int_equal(sc_shamir_interpolate(xs, ys, 3, 2, (uint8_t)x, out), SC_OK);
		fx = (uint8_t)(0x42 ^ sc_gf256_mul(0x11, (uint8_t)x) ^ sc_gf256_mul(0x07, x2));
		assert_int_equal(out[0], fx);
		fx = (uint8_t)(0x99 ^ sc_gf256_mul(0xfe, (uint8_t)x) ^ x2);
		assert_int_equal(out[1], fx);
	}
	xs[2] = 1;
	assert_int_equal(sc_shamir_interpolate(xs, ys, 3, 2, 0, out), SC_ERR_INVALID);
	assert_int_equal(sc_shamir_interpolate(xs, ys, 0, 2, 0, out), SC_ERR_INVALID);
}

/* ---- the word list ---------------------------------------------------------- */

static void test_wordlist(void **state)
{
	char *text = td_read("slip39_wordlist.txt", NULL), *w, *save = NULL;
	int i = 0;

	(void)state;
	for (w = strtok_r(text, "\n", &save); w != NULL; w = strtok_r(NULL, "\n", &save), i++) {
		char padded[SC_SLIP39_WORD_MAX] = {0};

		assert_true(i < SC_SLIP39_WORDS);
		assert_true(strlen(w) <= SC_SLIP39_WORD_MAX);
		memcpy(padded, w, strlen(w));
		if (memcmp(padded, sc_slip39_words[i], SC_SLIP39_WORD_MAX) != 0)
			fail_msg("word %d: table has '%.8s', the list '%s'", i, sc_slip39_words[i],
			         w);
		assert_int_equal(sc_slip39_word_index(padded), i);
	}
	assert_int_equal(i, SC_SLIP39_WORDS);
	free(text);
}

/* ---- SLIP-0039's vectors.json (trezor/python-shamir-mnemonic) ------------ */

static void test_slip39_vectors(void **state)
{
	char *path = td_path("slip39_vectors.json");
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err), *v;
	size_t i;
	int valid = 0, invalid = 0;

	(void)state;
	if (root == NULL)
		fail_msg("%s: %s", path, err.text);
	json_array_foreach(root, i, v)
	{
		const char *desc = json_string_value(json_array_get(v, 0));
		json_t *ms = json_array_get(v, 1);
		const char *want = json_string_value(json_array_get(v, 2));
		const char *list[64];
		uint8_t *secret = NULL;
		size_t n = json_array_size(ms), k, len;
		int r;

		assert_true(n > 0 && n <= 64);
		for (k = 0; k < n; k++)
			list[k] = json_string_value(json_array_get(ms, k));
		/* the vectors were made with the passphrase "TREZOR" */
		r = sc_shares_combine(list, n, "TREZOR", &secret, &len);
		if (want[0] != '\0') {
			uint8_t *w;
			size_t wl;

			if (r != SC_OK)
				fail_msg("vector '%s': %d (%s)", desc, r, sc_last_error());
			w = td_unhex(want, &wl);
			assert_non_null(w);
			assert_int_equal(len, wl);
			if (memcmp(secret, w, wl) != 0)
				fail_msg("vector '%s': wrong master secret", desc);
			free(w);
			sc_secmem_free(secret);
			/* each share decodes and encodes back to the same words */
			for (k = 0; k < n; k++) {
				struct sc_share *s = sc_secmem_alloc(sizeof(*s));
				char *again;

				assert_int_equal(sc_share_decode(list[k], s), SC_OK);
				assert_int_equal(sc_share_encode(s, &again), SC_OK);
				assert_string_equal(again, list[k]);
				sc_secmem_free(again);
				sc_secmem_free(s);
			}
			valid++;
		} else {
			int expect = SC_ERR_INVALID;

			if (r == SC_OK)
				fail_msg("vector '%s': accepted", desc);
			assert_null(secret);
			if (strstr(desc, "invalid checksum") != NULL ||
			    strstr(desc, "invalid digest") != NULL)
				expect = SC_ERR_CORRUPT;
			if (r != expect)
				fail_msg("vector '%s': status %d, want %d (%s)", desc, r, expect,
				         sc_last_error());
			invalid++;
		}
	}
	assert_int_equal(valid, 15);
	assert_int_equal(invalid, 30);
	json_decref(root);
	free(path);
}

/* ---- 3 of 5 --------------------------------------------------------------- */

static void test_three_of_five(void **state)
{
	uint8_t secret[32], *got;
	struct sc_share_set *set;
	const char *m[5], *pick[5];
	size_t len, a, b, c, d;
	struct sc_share_info info;

	(void)state;
	sc_random(secret, sizeof(secret));
	assert_int_equal(sc_shares_split_simple(secret, sizeof(secret), 3, 5, &set), SC_OK);
	assert_int_equal(sc_share_set_groups(set), 1);
	assert_int_equal(sc_share_set_members(set, 0), 5);
	assert_null(sc_share_set_mnemonic(set, 0, 5));
	assert_null(sc_share_set_mnemonic(set, 1, 0));
	for (a = 0; a < 5; a++) {
		m[a] = sc_share_set_mnemonic(set, 0, a);
		assert_non_null(m[a]);
		assert_int_equal(sc_share_inspect(m[a], &info), SC_OK);
		assert_int_equal(info.member_index, a);
		assert_int_equal(info.member_threshold, 3);
		assert_int_equal(info.group_count, 1);
		assert_int_equal(info.value_len, 32);
		assert_int_equal(info.extendable, 1);
		assert_int_equal(info.iteration_exponent, 1);
	}
	/* every 3-subset, in either order */
	for (a = 0; a < 5; a++)
		for (b = a + 1; b < 5; b++)
			for (c = b + 1; c < 5; c++) {
				pick[0] = m[c];
				pick[1] = m[a];
				pick[2] = m[b];
				assert_int_equal(sc_shares_combine(pick, 3, NULL, &got, &len),
				                 SC_OK);
				assert_int_equal(len, 32);
				assert_memory_equal(got, secret, 32);
				sc_secmem_free(got);
			}
	/* no 2-subset, and a share given twice is still one */
	for (a = 0; a < 5; a++)
		for (b = a + 1; b < 5; b++) {
			pick[0] = m[a];
			pick[1] = m[b];
			assert_int_equal(sc_shares_combine(pick, 2, NULL, &got, &len),
			                 SC_ERR_INVALID);
			assert_null(got);
			pick[2] = m[a];
			assert_int_equal(sc_shares_combine(pick, 3, NULL, &got, &len),
			                 SC_ERR_INVALID);
		}
	/* one, and four (exactly the threshold is asked for) */
	assert_int_equal(sc_shares_combine(m, 1, NULL, &got, &len), SC_ERR_INVALID);
	assert_int_equal(sc_shares_combine(m, 4, NULL, &got, &len), SC_ERR_INVALID);
	/* the same 3 with a 4th identical copy work */
	for (d = 0; d < 3; d++)
		pick[d] = m[d];
	pick[3] = m[1];
	assert_int_equal(sc_shares_combine(pick, 4, NULL, &got, &len), SC_OK);
	assert_memory_equal(got, secret, 32);
	sc_secmem_free(got);
	sc_share_set_free(set);
}

/* Change word w of a mnemonic to its neighbour in the list. */
static char *change_word(const char *mn, size_t w)
{
	char *copy = strdup(mn), *out = malloc(strlen(mn) + 16), *tok, *save = NULL;
	size_t i = 0;

	assert_non_null(copy);
	assert_non_null(out);
	out[0] = '\0';
	for (tok = strtok_r(copy, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save), i++) {
		char padded[SC_SLIP39_WORD_MAX] = {0}, nw[SC_SLIP39_WORD_MAX + 1] = {0};
		int idx;

		if (i > 0)
			strcat(out, " ");
		if (i != w) {
			strcat(out, tok);
			continue;
		}
		memcpy(padded, tok, strlen(tok));
		idx = sc_slip39_word_index(padded);
		assert_true(idx >= 0);
		memcpy(nw, sc_slip39_words[(idx + 1) % SC_SLIP39_WORDS], SC_SLIP39_WORD_MAX);
		strcat(out, nw);
	}
	free(copy);
	return out;
}

static void test_tampered_share(void **state)
{
	uint8_t secret[16], *got;
	struct sc_share_set *set;
	struct sc_share_info info;
	const char *pick[3];
	size_t len, w, words;
	char *bad;

	(void)state;
	sc_random(secret, sizeof(secret));
	assert_int_equal(sc_shares_split_simple(secret, sizeof(secret), 3, 5, &set), SC_OK);
	assert_int_equal(sc_share_inspect(sc_share_set_mnemonic(set, 0, 0), &info), SC_OK);
	words = 20;
	/* any one word changed, anywhere, fails the checksum */
	for (w = 0; w < words; w++) {
		bad = change_word(sc_share_set_mnemonic(set, 0, 0), w);
		assert_int_equal(sc_share_inspect(bad, &info), SC_ERR_CORRUPT);
		pick[0] = bad;
		pick[1] = sc_share_set_mnemonic(set, 0, 1);
		pick[2] = sc_share_set_mnemonic(set, 0, 2);
		assert_int_equal(sc_shares_combine(pick, 3, NULL, &got, &len), SC_ERR_CORRUPT);
		assert_null(got);
		assert_int_equal(strncmp(sc_last_error(), "share 1: ", 9), 0);
		assert_non_null(strstr(sc_last_error(), "checksum"));
		free(bad);
	}
	sc_share_set_free(set);
}

static void test_foreign_share(void **state)
{
	uint8_t secret[16], *got;
	struct sc_share_set *one, *two;
	struct sc_share_info i1, i2;
	const char *pick[3];
	size_t len;

	(void)state;
	sc_random(secret, sizeof(secret));
	assert_int_equal(sc_shares_split_simple(secret, sizeof(secret), 3, 5, &one), SC_OK);
	/* the same secret split again: another identifier (retry the 1 in
	 * 32768 chance of the same one) */
	do {
		assert_int_equal(sc_shares_split_simple(secret, sizeof(secret), 3, 5, &two), SC_OK);
		assert_int_equal(sc_share_inspect(sc_share_set_mnemonic(one, 0, 0), &i1), SC_OK);
		assert_int_equal(sc_share_inspect(sc_share_set_mnemonic(two, 0, 0), &i2), SC_OK);
		if (i1.identifier == i2.identifier) {
			sc_share_set_free(two);
			two = NULL;
		}
	} while (two == NULL);
	pick[0] = sc_share_set_mnemonic(one, 0, 0);
	pick[1] = sc_share_set_mnemonic(one, 0, 1);
	pick[2] = sc_share_set_mnemonic(two, 0, 2);
	assert_int_equal(sc_shares_combine(pick, 3, NULL, &got, &len), SC_ERR_INVALID);
	assert_non_null(strstr(sc_last_error(), "another split"));
	assert_null(got);
	sc_share_set_free(one);
	sc_share_set_free(two);
}

/* A share whose value was changed and whose checksum was made again: only
 * the digest share can tell. Also a share of another split relabelled with
 * this split's identifier. */
static void test_forged_share(void **state)
{
	uint8_t secret[32], *got;
	struct sc_share_set *set, *other;
	struct sc_share *s = sc_secmem_alloc(sizeof(*s));
	struct sc_share_info info;
	const char *pick[3];
	char *forged;
	size_t len, byte;
	uint16_t id;

	(void)state;
	sc_random(secret, sizeof(secret));
	assert_int_equal(sc_shares_split_simple(secret, sizeof(secret), 3, 5, &set), SC_OK);
	pick[1] = sc_share_set_mnemonic(set, 0, 3);
	pick[2] = sc_share_set_mnemonic(set, 0, 4);
	for (byte = 0; byte < 32; byte += 7) {
		assert_int_equal(sc_share_decode(sc_share_set_mnemonic(set, 0, 1), s), SC_OK);
		s->value[byte] ^= 0x01;
		assert_int_equal(sc_share_encode(s, &forged), SC_OK);
		assert_int_equal(sc_share_inspect(forged, &info), SC_OK); /* checksum valid */
		pick[0] = forged;
		assert_int_equal(sc_shares_combine(pick, 3, NULL, &got, &len), SC_ERR_CORRUPT);
		assert_non_null(strstr(sc_last_error(), "digest"));
		assert_null(got);
		sc_secmem_free(forged);
	}
	assert_int_equal(sc_share_decode(sc_share_set_mnemonic(set, 0, 0), s), SC_OK);
	id = s->identifier;
	assert_int_equal(sc_shares_split_simple(secret, sizeof(secret), 3, 5, &other), SC_OK);
	assert_int_equal(sc_share_decode(sc_share_set_mnemonic(other, 0, 0), s), SC_OK);
	s->identifier = id;
	assert_int_equal(sc_share_encode(s, &forged), SC_OK);
	pick[0] = forged;
	assert_int_equal(sc_shares_combine(pick, 3, NULL, &got, &len), SC_ERR_CORRUPT);
	sc_secmem_free(forged);
	sc_secmem_free(s);
	sc_share_set_free(other);
	sc_share_set_free(set);
}

static void test_groups_and_passphrase(void **state)
{
	static const struct sc_share_group groups[3] = {{2, 3}, {1, 1}, {3, 5}};
	uint8_t secret[32], *got;
	struct sc_share_set *set;
	const char *pick[6];
	size_t len;

	(void)state;
	sc_random(secret, sizeof(secret));
	assert_int_equal(
	    sc_shares_split(secret, sizeof(secret), "correct horse", 0, 0, 2, groups, 3, &set),
	    SC_OK);
	assert_int_equal(sc_share_set_groups(set), 3);
	assert_int_equal(sc_share_set_members(set, 2), 5);
	/* group 0 (2 of 3) and group 2 (3 of 5) */
	pick[0] = sc_share_set_mnemonic(set, 0, 2);
	pick[1] = sc_share_set_mnemonic(set, 2, 4);
	pick[2] = sc_share_set_mnemonic(set, 0, 0);
	pick[3] = sc_share_set_mnemonic(set, 2, 0);
	pick[4] = sc_share_set_mnemonic(set, 2, 2);
	assert_int_equal(sc_shares_combine(pick, 5, "correct horse", &got, &len), SC_OK);
	assert_memory_equal(got, secret, 32);
	sc_secmem_free(got);
	/* group 1 (1 of 1) and group 0 */
	pick[0] = sc_share_set_mnemonic(set, 1, 0);
	pick[1] = sc_share_set_mnemonic(set, 0, 1);
	pick[2] = sc_share_set_mnemonic(set, 0, 2);
	assert_int_equal(sc_shares_combine(pick, 3, "correct horse", &got, &len), SC_OK);
	assert_memory_equal(got, secret, 32);
	sc_secmem_free(got);
	/* a wrong passphrase gives another secret (SLIP-0039: no oracle) */
	assert_int_equal(sc_shares_combine(pick, 3, "wrong horse", &got, &len), SC_OK);
	assert_memory_not_equal(got, secret, 32);
	sc_secmem_free(got);
	/* a group short of its threshold; one group only; three groups */
	assert_int_equal(sc_shares_combine(pick, 2, "correct horse", &got, &len), SC_ERR_INVALID);
	assert_int_equal(sc_shares_combine(pick + 1, 2, "correct horse", &got, &len),
	                 SC_ERR_INVALID);
	pick[3] = sc_share_set_mnemonic(set, 2, 0);
	pick[4] = sc_share_set_mnemonic(set, 2, 1);
	pick[5] = sc_share_set_mnemonic(set, 2, 3);
	assert_int_equal(sc_shares_combine(pick, 6, "correct horse", &got, &len), SC_ERR_INVALID);
	/* the passphrase is printable ASCII */
	assert_int_equal(sc_shares_combine(pick, 3, "caf\xc3\xa9", &got, &len), SC_ERR_INVALID);
	sc_share_set_free(set);
}

static void test_split_bounds(void **state)
{
	static const struct sc_share_group one_of_three = {1, 3}, four_of_three = {4, 3},
	                                   zero = {0, 3}, seventeen = {2, 17};
	uint8_t secret[66] = {0};
	struct sc_share_set *set;
	struct sc_share_group many[17];
	size_t i;

	(void)state;
	assert_int_equal(sc_shares_split_simple(secret, 14, 2, 3, &set), SC_ERR_INVALID);
	assert_null(set);
	assert_int_equal(sc_shares_split_simple(secret, 17, 2, 3, &set), SC_ERR_INVALID);
	assert_int_equal(sc_shares_split_simple(secret, 66, 2, 3, &set), SC_ERR_INVALID);
	assert_int_equal(sc_shares_split(secret, 16, NULL, 1, 1, 1, &one_of_three, 1, &set),
	                 SC_ERR_INVALID);
	assert_int_equal(sc_shares_split(secret, 16, NULL, 1, 1, 1, &four_of_three, 1, &set),
	                 SC_ERR_INVALID);
	assert_int_equal(sc_shares_split(secret, 16, NULL, 1, 1, 1, &zero, 1, &set),
	                 SC_ERR_INVALID);
	assert_int_equal(sc_shares_split(secret, 16, NULL, 1, 1, 1, &seventeen, 1, &set),
	                 SC_ERR_INVALID);
	assert_int_equal(sc_shares_split(secret, 16, NULL, 16, 1, 1, &zero, 1, &set),
	                 SC_ERR_INVALID);
	for (i = 0; i < 17; i++)
		many[i] = (struct sc_share_group){1, 1};
	assert_int_equal(sc_shares_split(secret, 16, NULL, 1, 1, 2, many, 17, &set),
	                 SC_ERR_INVALID);
	assert_int_equal(sc_shares_split(secret, 16, NULL, 1, 1, 3, many, 2, &set), SC_ERR_INVALID);
	assert_int_equal(sc_shares_split(secret, 16, "\t", 1, 1, 1, many, 1, &set), SC_ERR_INVALID);
	/* the largest: 64 bytes, 16 groups of 16 */
	for (i = 0; i < 16; i++)
		many[i] = (struct sc_share_group){16, 16};
	assert_int_equal(sc_shares_split(secret, 64, NULL, 0, 1, 16, many, 16, &set), SC_OK);
	{
		struct sc_share_info info;
		size_t words = 1;
		const char *m = sc_share_set_mnemonic(set, 15, 15), *p;

		for (p = m; *p; p++)
			words += *p == ' ';
		assert_int_equal(words, SC_SHARE_WORDS_MAX);
		assert_int_equal(sc_share_inspect(m, &info), SC_OK);
		assert_int_equal(info.group_index, 15);
		assert_int_equal(info.member_index, 15);
		assert_int_equal(info.value_len, 64);
	}
	sc_share_set_free(set);
}

static void test_mnemonic_parsing(void **state)
{
	uint8_t secret[16];
	struct sc_share_set *set;
	struct sc_share_info info;
	const char *m;
	char buf[2048], *p;
	size_t i;

	(void)state;
	sc_random(secret, sizeof(secret));
	assert_int_equal(sc_shares_split_simple(secret, sizeof(secret), 2, 3, &set), SC_OK);
	m = sc_share_set_mnemonic(set, 0, 0);
	/* upper case, tabs, newlines and extra spaces are fine */
	snprintf(buf, sizeof(buf), "  \t%s\n", m);
	for (p = buf; *p; p++) {
		if (*p >= 'a' && *p <= 'z' && (p - buf) % 3 == 0)
			*p = (char)(*p - 'a' + 'A');
		if (*p == ' ' && (p - buf) % 2 == 0)
			*p = '\t';
	}
	assert_int_equal(sc_share_inspect(buf, &info), SC_OK);
	/* a word not in the list, a too-long word, a non-letter */
	snprintf(buf, sizeof(buf), "%s zzzz", m);
	assert_int_equal(sc_share_inspect(buf, &info), SC_ERR_INVALID);
	snprintf(buf, sizeof(buf), "academics %s", m);
	assert_int_equal(sc_share_inspect(buf, &info), SC_ERR_INVALID);
	snprintf(buf, sizeof(buf), "%s acid1", m);
	assert_int_equal(sc_share_inspect(buf, &info), SC_ERR_INVALID);
	/* too short, too many words, too long a text */
	assert_int_equal(sc_share_inspect("academic acid acne", &info), SC_ERR_INVALID);
	assert_int_equal(sc_share_inspect("", &info), SC_ERR_INVALID);
	buf[0] = '\0';
	for (i = 0; i < SC_SHARE_WORDS_MAX + 1; i++)
		strcat(buf, "acid ");
	assert_int_equal(sc_share_inspect(buf, &info), SC_ERR_TOOBIG);
	memset(buf, ' ', SC_SHARE_TEXT_MAX + 1);
	buf[SC_SHARE_TEXT_MAX + 1] = '\0';
	assert_int_equal(sc_share_inspect(buf, &info), SC_ERR_TOOBIG);
	/* one word dropped: a length of no value size, or a checksum failure */
	snprintf(buf, sizeof(buf), "%s", m);
	*strrchr(buf, ' ') = '\0';
	assert_int_not_equal(sc_share_inspect(buf, &info), SC_OK);
	sc_share_set_free(set);
}

/* ---- constant time, checked by valgrind ----------------------------------- */

/* Run in a child under valgrind: every secret input is marked undefined, so
 * memcheck reports any branch or memory index computed from it. */
static int ct_child(void)
{
	uint8_t a[64], b[64], xs[3] = {1, 2, 3}, y[3][32], out[32];
	const uint8_t *ys[3] = {y[0], y[1], y[2]};
	uint16_t words[20];
	char w[SC_SLIP39_WORD_MAX];
	uint32_t chk = 0;
	int i, k = 0;

	sc_random(a, sizeof(a));
	sc_random(b, sizeof(b));
	sc_random(y, sizeof(y));
	for (i = 0; i < 20; i++)
		words[i] = (uint16_t)(a[i] | ((b[i] & 3) << 8));
	memcpy(w, sc_slip39_words[a[0]], sizeof(w));
	VALGRIND_MAKE_MEM_UNDEFINED(a, sizeof(a));
	VALGRIND_MAKE_MEM_UNDEFINED(b, sizeof(b));
	VALGRIND_MAKE_MEM_UNDEFINED(y, sizeof(y));
	VALGRIND_MAKE_MEM_UNDEFINED(words, sizeof(words));
	VALGRIND_MAKE_MEM_UNDEFINED(w, sizeof(w));
	for (i = 0; i < 64; i++) {
		out[i % 32] = sc_gf256_mul(a[i], b[i]);
		out[i % 32] ^= sc_gf256_inv(a[i]);
	}
	if (sc_shamir_interpolate(xs, ys, 3, 32, 255, out) != SC_OK)
		return 2;
	sc_slip39_word_at(words[0], w);
	k = sc_slip39_word_index(w);
	chk = sc_rs1024_polymod(1, words, 20, 3);
	/* the results are secret too; declassify them only to use them */
	VALGRIND_MAKE_MEM_DEFINED(out, sizeof(out));
	VALGRIND_MAKE_MEM_DEFINED(&k, sizeof(k));
	VALGRIND_MAKE_MEM_DEFINED(&chk, sizeof(chk));
	return (k >= 0 && chk != 0xffffffffu) ? 0 : 3;
}

static void test_constant_time_valgrind(void **state)
{
	char self[4096];
	ssize_t n;
	pid_t pid;
	int st;

	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip(); /* valgrind cannot run an ASan binary; the plain build runs this */
#endif
	if (access("/usr/bin/valgrind", X_OK) != 0)
		skip();
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/usr/bin/valgrind", "valgrind", "-q", "--error-exitcode=99",
		      "--track-origins=yes", self, "--ct-child", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0)
		fail_msg("the constant-time check under valgrind failed (exit %d): a branch or "
		         "index depends on a secret",
		         WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gf256),
	    cmocka_unit_test(test_interpolate),
	    cmocka_unit_test(test_wordlist),
	    cmocka_unit_test(test_slip39_vectors),
	    cmocka_unit_test(test_three_of_five),
	    cmocka_unit_test(test_tampered_share),
	    cmocka_unit_test(test_foreign_share),
	    cmocka_unit_test(test_forged_share),
	    cmocka_unit_test(test_groups_and_passphrase),
	    cmocka_unit_test(test_split_bounds),
	    cmocka_unit_test(test_mnemonic_parsing),
	    cmocka_unit_test(test_constant_time_valgrind),
	};

	if (sc_init() != SC_OK)
		return 1;
	if (argc == 2 && strcmp(argv[1], "--ct-child") == 0)
		return ct_child();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
