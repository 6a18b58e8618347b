/* test_sanitize.c - the streaming sanitizer: every encoding, every split of
 * the input, overlaps, nesting, many secrets, short values, binary data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "secretctl/sanitize.h"
#include "run/sanitize_int.h"

struct out {
	uint8_t *p;
	size_t len, cap;
	int fail_after; /* sink fails once this many calls were made (0: never) */
	int calls;
};

static int collect(void *arg, const uint8_t *b, size_t n)
{
	struct out *o = arg;

	o->calls++;
	if (o->fail_after > 0 && o->calls >= o->fail_after)
		return 42;
	assert_true(n > 0);
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->p = realloc(o->p, o->cap);
		assert_non_null(o->p);
	}
	memcpy(o->p + o->len, b, n);
	o->len += n;
	return 0;
}

/* Feed `in` cut at the given offsets (ascending), then finish. */
static void feed_cuts(const struct sc_sanitizer *z, const uint8_t *in, size_t len,
                      const size_t *cuts, size_t ncuts, struct out *o)
{
	struct sc_sanitize_stream *st;
	size_t i, prev = 0;

	o->len = 0;
	assert_int_equal(sc_sanitize_stream_new(z, &st), SC_OK);
	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		assert_int_equal(sc_sanitize_feed(st, in + prev, end - prev, collect, o), SC_OK);
		prev = end;
	}
	assert_int_equal(sc_sanitize_finish(st, collect, o), SC_OK);
	sc_sanitize_stream_free(st);
}

static void feed_bytes(const struct sc_sanitizer *z, const uint8_t *in, size_t len, struct out *o)
{
	struct sc_sanitize_stream *st;
	size_t i, maxlen = sc_sanitizer_max_len(z);

	o->len = 0;
	assert_int_equal(sc_sanitize_stream_new(z, &st), SC_OK);
	for (i = 0; i < len; i++) {
		assert_int_equal(sc_sanitize_feed(st, in + i, 1, collect, o), SC_OK);
	}
	assert_int_equal(sc_sanitize_finish(st, collect, o), SC_OK);
	sc_sanitize_stream_free(st);
	(void)maxlen;
}

#define assert_out(o, exp, elen)                                                                   \
	do {                                                                                       \
		if ((o)->len != (elen) || memcmp((o)->p, (exp), (elen)) != 0)                      \
			print_error("got %zu bytes %.*s\n", (o)->len,                              \
			            (int)((o)->len < 300 ? (o)->len : 300), (const char *)(o)->p); \
		assert_int_equal((o)->len, (elen));                                                \
		assert_memory_equal((o)->p, (exp), (elen));                                        \
	} while (0)

/* One-shot, cut at every offset, cut at every pair of offsets, and a byte
 * at a time: all must give exactly `exp`. */
static void check_all_splits(const struct sc_sanitizer *z, const uint8_t *in, size_t len,
                             const uint8_t *exp, size_t elen)
{
	struct out o = {0};
	size_t cuts[2], a, b;

	feed_cuts(z, in, len, NULL, 0, &o);
	assert_out(&o, exp, elen);
	for (a = 0; a <= len; a++) {
		cuts[0] = a;
		feed_cuts(z, in, len, cuts, 1, &o);
		assert_out(&o, exp, elen);
	}
	if (len <= 200) {
		for (a = 1; a < len; a++) {
			for (b = a + 1; b < len; b++) {
				cuts[0] = a;
				cuts[1] = b;
				feed_cuts(z, in, len, cuts, 2, &o);
				assert_out(&o, exp, elen);
			}
		}
	}
	feed_bytes(z, in, len, &o);
	assert_out(&o, exp, elen);
	free(o.p);
}

struct secret_def {
	const char *value;
	size_t len;
	const char *label;
};

struct tcase {
	const char *name;
	struct secret_def secrets[2];
	size_t nsecrets;
	const char *in;
	size_t ilen;
	const char *exp;
	size_t elen;
};

/* Inputs and expected outputs follow the rules in sanitize.h: the encoded
 * forms were produced with Python's base64, urllib.parse and json modules,
 * and each expected output was checked against an independent reference. */
static const struct tcase cases[] = {
    {"raw",
     {
         {"s3cr3t-value", 12, "API_KEY"},
     },
     1,
     "token=s3cr3t-value end",
     22,
     "token=[REDACTED:API_KEY] end",
     28},
    {"hex",
     {
         {"s3cr3t-value", 12, "K"},
     },
     1,
     "lo=7333637233742d76616c7565 up=7333637233742D76616C7565.",
     56,
     "lo=[REDACTED:K] up=[REDACTED:K].",
     32},
    {"basic_auth",
     {
         {"s3cr3t-value", 12, "PW"},
     },
     1,
     "Authorization: Basic dXNlcjpzM2NyM3QtdmFsdWU=\x0d\x0a",
     47,
     "Authorization: Basic dXNlcjp[REDACTED:PW]\x0d\x0a",
     43},
    {"b64_end_k0_std_pad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<czNjcjN0LXZhbHVl>",
     18,
     "<[REDACTED:S]>",
     14},
    {"b64_end_k0_std_nopad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<czNjcjN0LXZhbHVl>",
     18,
     "<[REDACTED:S]>",
     14},
    {"b64_mid_k0_std_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<czNjcjN0LXZhbHVldGFpbCE=>",
     26,
     "<[REDACTED:S]dGFpbCE=>",
     22},
    {"b64_end_k0_url_pad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<czNjcjN0LXZhbHVl>",
     18,
     "<[REDACTED:S]>",
     14},
    {"b64_end_k0_url_nopad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<czNjcjN0LXZhbHVl>",
     18,
     "<[REDACTED:S]>",
     14},
    {"b64_mid_k0_url_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<czNjcjN0LXZhbHVldGFpbCE=>",
     26,
     "<[REDACTED:S]dGFpbCE=>",
     22},
    {"b64_end_k1_std_pad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHMzY3IzdC12YWx1ZQ==>",
     22,
     "<eH[REDACTED:S]>",
     16},
    {"b64_end_k1_std_nopad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHMzY3IzdC12YWx1ZQ>",
     20,
     "<eH[REDACTED:S]>",
     16},
    {"b64_mid_k1_std_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHMzY3IzdC12YWx1ZXRhaWwh>",
     26,
     "<eH[REDACTED:S]XRhaWwh>",
     23},
    {"b64_end_k1_url_pad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHMzY3IzdC12YWx1ZQ==>",
     22,
     "<eH[REDACTED:S]>",
     16},
    {"b64_end_k1_url_nopad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHMzY3IzdC12YWx1ZQ>",
     20,
     "<eH[REDACTED:S]>",
     16},
    {"b64_mid_k1_url_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHMzY3IzdC12YWx1ZXRhaWwh>",
     26,
     "<eH[REDACTED:S]XRhaWwh>",
     23},
    {"b64_end_k2_std_pad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHlzM2NyM3QtdmFsdWU=>",
     22,
     "<eHl[REDACTED:S]>",
     17},
    {"b64_end_k2_std_nopad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHlzM2NyM3QtdmFsdWU>",
     21,
     "<eHl[REDACTED:S]>",
     17},
    {"b64_mid_k2_std_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHlzM2NyM3QtdmFsdWV0YWlsIQ==>",
     30,
     "<eHl[REDACTED:S]V0YWlsIQ==>",
     27},
    {"b64_end_k2_url_pad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHlzM2NyM3QtdmFsdWU=>",
     22,
     "<eHl[REDACTED:S]>",
     17},
    {"b64_end_k2_url_nopad_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHlzM2NyM3QtdmFsdWU>",
     21,
     "<eHl[REDACTED:S]>",
     17},
    {"b64_mid_k2_url_S",
     {
         {"s3cr3t-value", 12, "S"},
     },
     1,
     "<eHlzM2NyM3QtdmFsdWV0YWlsIQ==>",
     30,
     "<eHl[REDACTED:S]V0YWlsIQ==>",
     27},
    {"b64_end_k0_std_pad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<YT5iP2N+fj4+Pz94eg==>",
     22,
     "<[REDACTED:T]>",
     14},
    {"b64_end_k0_std_nopad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<YT5iP2N+fj4+Pz94eg>",
     20,
     "<[REDACTED:T]>",
     14},
    {"b64_mid_k0_std_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<YT5iP2N+fj4+Pz94enRhaWwh>",
     26,
     "<[REDACTED:T]nRhaWwh>",
     21},
    {"b64_end_k0_url_pad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<YT5iP2N-fj4-Pz94eg==>",
     22,
     "<[REDACTED:T]>",
     14},
    {"b64_end_k0_url_nopad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<YT5iP2N-fj4-Pz94eg>",
     20,
     "<[REDACTED:T]>",
     14},
    {"b64_mid_k0_url_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<YT5iP2N-fj4-Pz94enRhaWwh>",
     26,
     "<[REDACTED:T]nRhaWwh>",
     21},
    {"b64_end_k1_std_pad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eGE+Yj9jfn4+Pj8/eHo=>",
     22,
     "<eG[REDACTED:T]>",
     16},
    {"b64_end_k1_std_nopad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eGE+Yj9jfn4+Pj8/eHo>",
     21,
     "<eG[REDACTED:T]>",
     16},
    {"b64_mid_k1_std_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eGE+Yj9jfn4+Pj8/eHp0YWlsIQ==>",
     30,
     "<eG[REDACTED:T]p0YWlsIQ==>",
     26},
    {"b64_end_k1_url_pad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eGE-Yj9jfn4-Pj8_eHo=>",
     22,
     "<eG[REDACTED:T]>",
     16},
    {"b64_end_k1_url_nopad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eGE-Yj9jfn4-Pj8_eHo>",
     21,
     "<eG[REDACTED:T]>",
     16},
    {"b64_mid_k1_url_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eGE-Yj9jfn4-Pj8_eHp0YWlsIQ==>",
     30,
     "<eG[REDACTED:T]p0YWlsIQ==>",
     26},
    {"b64_end_k2_std_pad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eHlhPmI/Y35+Pj4/P3h6>",
     22,
     "<eHl[REDACTED:T]>",
     17},
    {"b64_end_k2_std_nopad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eHlhPmI/Y35+Pj4/P3h6>",
     22,
     "<eHl[REDACTED:T]>",
     17},
    {"b64_mid_k2_std_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eHlhPmI/Y35+Pj4/P3h6dGFpbCE=>",
     30,
     "<eHl[REDACTED:T]dGFpbCE=>",
     25},
    {"b64_end_k2_url_pad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eHlhPmI_Y35-Pj4_P3h6>",
     22,
     "<eHl[REDACTED:T]>",
     17},
    {"b64_end_k2_url_nopad_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eHlhPmI_Y35-Pj4_P3h6>",
     22,
     "<eHl[REDACTED:T]>",
     17},
    {"b64_mid_k2_url_T",
     {
         {"a>b?c~~>>??xz", 13, "T"},
     },
     1,
     "<eHlhPmI_Y35-Pj4_P3h6dGFpbCE=>",
     30,
     "<eHl[REDACTED:T]dGFpbCE=>",
     25},
    {"percent",
     {
         {"p@ss w/rd+1", 11, "P"},
     },
     1,
     "q=p%40ss%20w%2Frd%2B1 p%40ss%20w%2frd%2b1 p%40ss+w%2Frd%2B1 p%40ss%20w/rd%2B1 "
     "%70%40%73%73%20%77%2F%72%64%2B%31 %70%40%73%73%20%77%2f%72%64%2b%31&",
     146,
     "q=[REDACTED:P] [REDACTED:P] [REDACTED:P] [REDACTED:P] [REDACTED:P] [REDACTED:P]&",
     80},
    {"json",
     {
         {"He said \"hi\" \\ a/b\x0a\x09\x65nd\x01\x1f", 25, "J"},
     },
     1,
     "{\"v\":\"He said \\\"hi\\\" \\\\ a/b\\n\\tend\\u0001\\u001f\",\"w\":\"He said \\\"hi\\\" "
     "\\\\ a\\/b\\n\\tend\\u0001\\u001f\",\"x\":\"He said \\\"hi\\\" \\\\ "
     "a/b\\n\\tend\\u0001\\u001F\"}",
     143,
     "{\"v\":\"[REDACTED:J]\",\"w\":\"[REDACTED:J]\",\"x\":\"[REDACTED:J]\"}",
     58},
    {"json_unicode",
     {
         {"p\xc3\xa4ssw\xc3\xb6rd\xe2\x82\xac\xf0\x9f\x98\x80", 17, "U"},
     },
     1,
     "\"p\\u00e4ssw\\u00f6rd\\u20ac\\ud83d\\ude00\" "
     "\"p\xc3\xa4ssw\xc3\xb6rd\xe2\x82\xac\xf0\x9f\x98\x80\" "
     "\"p\\u00E4ssw\\u00F6rd\\u20AC\\uD83D\\uDE00\"",
     97,
     "\"[REDACTED:U]\" \"[REDACTED:U]\" \"[REDACTED:U]\"",
     44},
    {"multiline",
     {
         {"-----BEGIN "
          "KEY-----"
          "\x0d\x0aMIIBVwIBADANBgkqhkiG9w0B\x0d\x0a\x41QEFAASCAUEwggE9AgEAAkEA\x0d\x0a\x61\x62\x0d"
          "\x0a-----END KEY-----\x0d\x0a",
          96, "PEM"},
     },
     1,
     "line: MIIBVwIBADANBgkqhkiG9w0B\x0a\x61nd AQEFAASCAUEwggE9AgEAAkEA and ab.\x0a-----BEGIN "
     "KEY-----"
     "\x0d\x0aMIIBVwIBADANBgkqhkiG9w0B\x0d\x0a\x41QEFAASCAUEwggE9AgEAAkEA\x0d\x0a\x61\x62\x0d\x0a--"
     "---END KEY-----\x0d\x0a",
     164,
     "line: [REDACTED:PEM]\x0a\x61nd [REDACTED:PEM] and ab.\x0a[REDACTED:PEM]",
     62},
    {"overlap",
     {
         {"abcdef", 6, "A"},
         {"defghi", 6, "B"},
     },
     2,
     "xxabcdefghiyy abcdefdefghi",
     26,
     "xx[REDACTED:A]yy [REDACTED:A][REDACTED:B]",
     41},
    {"nested",
     {
         {"outer-INNER-outer", 17, "A"},
         {"INNER", 5, "B"},
     },
     2,
     "INNER and outer-INNER-outer.",
     28,
     "[REDACTED:B] and [REDACTED:A].",
     30},
    {"leftmost_longest",
     {
         {"abcd", 4, "SHORT"},
         {"abcdefgh", 8, "LONG"},
     },
     2,
     "abcdefgh abcdxyz",
     16,
     "[REDACTED:LONG] [REDACTED:SHORT]xyz",
     35},
    {"left_extend",
     {
         {"abc1", 4, "INNER"},
         {"xxabc1def", 9, "OUTER"},
     },
     2,
     "_xxabc1def_xxabc1de_",
     20,
     "_[REDACTED:OUTER]_xx[REDACTED:INNER]de_",
     39},
    {"self_overlap_chain",
     {
         {"aaaa", 4, "A"},
     },
     1,
     "baaaaaaaaab aaab",
     16,
     "b[REDACTED:A]b aaab",
     19},
    {"min_len",
     {
         {"abc", 3, "SHORT"},
         {"wxyz", 4, "FOUR"},
     },
     2,
     "abc wxyz abcwxyz",
     16,
     "abc [REDACTED:FOUR] abc[REDACTED:FOUR]",
     38},
    {"binary",
     {
         {"\x00\x01\x02\xff\xfe\x80\x0a\x0d\x1b\x00", 10, "BIN"},
     },
     1,
     "\x00\x00\xff\x00\x01\x02\xff\xfe\x80\x0a\x0d\x1b\x00\x00\x00\x01\x02\xff\xfe\x80\x0a\x0d\x1b"
     "\x1b[0m",
     27,
     "\x00\x00\xff[REDACTED:BIN]\x00[REDACTED:BIN]\x0a\x0d\x1b\x1b[0m",
     39},
};

static struct sc_sanitizer *make(const struct secret_def *s, size_t n)
{
	struct sc_sanitizer *z;
	size_t i;
	int added;

	assert_int_equal(sc_sanitizer_new(&z), SC_OK);
	for (i = 0; i < n; i++) {
		assert_int_equal(
		    sc_sanitizer_add(z, (const uint8_t *)s[i].value, s[i].len, s[i].label, &added),
		    SC_OK);
		assert_int_equal(added, s[i].len >= SC_SANITIZE_MIN_LEN);
	}
	assert_int_equal(sc_sanitizer_compile(z), SC_OK);
	return z;
}

static void test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		struct sc_sanitizer *z = make(c->secrets, c->nsecrets);

		print_message("case %s\n", c->name);
		check_all_splits(z, (const uint8_t *)c->in, c->ilen, (const uint8_t *)c->exp,
		                 c->elen);
		sc_sanitizer_free(z);
	}
}

/* Pattern counts of known values (raw, base64 x alignments x alphabets x
 * endings, hex, percent, JSON, lines; after removing duplicates). */
static void test_pattern_count(void **state)
{
	static const struct {
		const char *v;
		size_t len, count;
	} t[] = {
	    {"abcd", 4, 10},
	    {"s3cr3t-value", 12, 12},
	    {"p@ss w/rd+1", 11, 19},
	    {"He said \"hi\"\\/\n\t\x01", 18, 21},
	    {"p\xc3\xa4ssw\xc3\xb6rd\xe2\x82\xac\xf0\x9f\x98\x80", 17, 19},
	};
	struct sc_sanitizer *z;
	const uint8_t *b;
	const char *label;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct secret_def d = {t[i].v, t[i].len, "L"};

		z = make(&d, 1);
		assert_int_equal(sc_sanitizer_pattern_count(z), t[i].count);
		assert_int_equal(sc_sanitizer_pattern(z, 0, &b, &len, &label), SC_OK);
		assert_int_equal(len, t[i].len);
		assert_memory_equal(b, t[i].v, len);
		assert_string_equal(label, "L");
		assert_string_equal(sc_sanitizer_replacement(z, 0), "[REDACTED:L]");
		assert_int_equal(sc_sanitizer_pattern(z, t[i].count, &b, &len, &label),
		                 SC_ERR_INVALID);
		sc_sanitizer_free(z);
	}
}

static void test_min_len(void **state)
{
	struct sc_sanitizer *z;
	struct out o = {0};
	int added = -1;
	static const char in[] = "abc ab a abcd";
	static const char exp[] = "abc ab a [REDACTED:FOUR]";

	(void)state;
	assert_int_equal(sc_sanitizer_new(&z), SC_OK);
	assert_int_equal(sc_sanitizer_add(z, (const uint8_t *)"abc", 3, "THREE", &added), SC_OK);
	assert_int_equal(added, 0);
	assert_int_equal(sc_sanitizer_add(z, (const uint8_t *)"", 0, "EMPTY", &added), SC_OK);
	assert_int_equal(added, 0);
	assert_int_equal(sc_sanitizer_add(z, (const uint8_t *)"abcd", 4, "FOUR", &added), SC_OK);
	assert_int_equal(added, 1);
	assert_int_equal(sc_sanitizer_compile(z), SC_OK);
	feed_cuts(z, (const uint8_t *)in, sizeof(in) - 1, NULL, 0, &o);
	assert_out(&o, exp, sizeof(exp) - 1);
	free(o.p);
	sc_sanitizer_free(z);
}

static void test_no_secrets(void **state)
{
	struct sc_sanitizer *z;
	struct out o = {0};
	static const char in[] = "nothing to hide\n\0binary\xff";

	(void)state;
	assert_int_equal(sc_sanitizer_new(&z), SC_OK);
	assert_int_equal(sc_sanitizer_compile(z), SC_OK);
	assert_int_equal(sc_sanitizer_pattern_count(z), 0);
	check_all_splits(z, (const uint8_t *)in, sizeof(in) - 1, (const uint8_t *)in,
	                 sizeof(in) - 1);
	free(o.p);
	sc_sanitizer_free(z);
}

/* Output is held back only while it could still be part of a match. */
static void test_holdback(void **state)
{
	struct secret_def d = {"abcdefgh", 8, "X"};
	struct sc_sanitizer *z = make(&d, 1);
	struct sc_sanitize_stream *st;
	struct out o = {0};
	size_t i, maxlen = sc_sanitizer_max_len(z);
	static const char noise[] = "The quick brown fox jumps over the lazy dog 0123456789 "
	                            "abcdefg! YWJjZGVm%61%62%63 abcde";

	(void)state;
	assert_int_equal(sc_sanitize_stream_new(z, &st), SC_OK);
	assert_int_equal(sc_sanitize_feed(st, (const uint8_t *)"log: abcd", 9, collect, &o), SC_OK);
	assert_out(&o, "log: ", 5);
	assert_int_equal(sc_sanitize_feed(st, (const uint8_t *)"efgh tail", 9, collect, &o), SC_OK);
	assert_out(&o, "log: [REDACTED:X] tail", 22);
	assert_int_equal(sc_sanitize_feed(st, (const uint8_t *)" abc", 4, collect, &o), SC_OK);
	assert_out(&o, "log: [REDACTED:X] tail ", 23);
	assert_int_equal(sc_sanitize_finish(st, collect, &o), SC_OK);
	assert_out(&o, "log: [REDACTED:X] tail abc", 26);
	/* no feed after finish */
	assert_int_equal(sc_sanitize_feed(st, (const uint8_t *)"x", 1, collect, &o),
	                 SC_ERR_INVALID);
	sc_sanitize_stream_free(st);

	/* byte at a time: never more than maxlen - 1 bytes pending */
	o.len = 0;
	assert_int_equal(sc_sanitize_stream_new(z, &st), SC_OK);
	for (i = 0; i < sizeof(noise) - 1; i++) {
		assert_int_equal(sc_sanitize_feed(st, (const uint8_t *)noise + i, 1, collect, &o),
		                 SC_OK);
		assert_true(o.len + maxlen - 1 >= i + 1);
	}
	assert_int_equal(sc_sanitize_finish(st, collect, &o), SC_OK);
	assert_out(&o, noise, sizeof(noise) - 1);
	sc_sanitize_stream_free(st);
	free(o.p);
	sc_sanitizer_free(z);
}

/* Deterministic generator for test data. */
static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void append(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (*len + n > *cap) {
		*cap = (*len + n) * 2 + 64;
		*buf = realloc(*buf, *cap);
		assert_non_null(*buf);
	}
	memcpy(*buf + *len, p, n);
	*len += n;
}

/* 100 secrets at once, each appearing raw, as hex, and as padded base64,
 * between separators no pattern can touch; fed whole, in odd chunks and a
 * byte at a time. */
static void test_many_secrets(void **state)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char vals[100][48], labels[100][16], enc[128];
	struct sc_sanitizer *z;
	uint8_t *in = NULL, *exp = NULL;
	size_t inlen = 0, incap = 0, elen = 0, ecap = 0, i, k, n, cut;
	size_t cuts[1024];
	struct out o = {0};
	int added;

	(void)state;
	assert_int_equal(sc_sanitizer_new(&z), SC_OK);
	for (i = 0; i < 100; i++) {
		n = 16 + rnd() % 25;
		for (k = 0; k < n; k++)
			vals[i][k] = alnum[rnd() % 62];
		vals[i][n] = '\0';
		snprintf(labels[i], sizeof(labels[i]), "SECRET_%02zu", i);
		assert_int_equal(
		    sc_sanitizer_add(z, (const uint8_t *)vals[i], n, labels[i], &added), SC_OK);
		assert_int_equal(added, 1);
	}
	assert_int_equal(sc_sanitizer_compile(z), SC_OK);
	assert_true(sc_sanitizer_pattern_count(z) >= 100 * 8);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < 100; i++) {
			char repl[64];
			const char *form = vals[i];

			n = strlen(vals[i]);
			if (k == 1) {
				for (size_t b = 0; b < n; b++)
					snprintf(enc + 2 * b, 3, "%02x", (unsigned char)vals[i][b]);
				form = enc;
			} else if (k == 2) {
				static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
				                          "opqrstuvwxyz0123456789+/";
				const unsigned char *v = (const unsigned char *)vals[i];
				size_t e = 0;

				for (size_t b = 0; b < n; b += 3) {
					uint32_t w = (uint32_t)v[b] << 16;

					if (b + 1 < n)
						w |= (uint32_t)v[b + 1] << 8;
					if (b + 2 < n)
						w |= v[b + 2];
					enc[e++] = b64[(w >> 18) & 63];
					enc[e++] = b64[(w >> 12) & 63];
					enc[e++] = b + 1 < n ? b64[(w >> 6) & 63] : '=';
					enc[e++] = b + 2 < n ? b64[w & 63] : '=';
				}
				enc[e] = '\0';
				form = enc;
			}
			append(&in, &inlen, &incap, " | k=", 5);
			append(&in, &inlen, &incap, form, strlen(form));
			append(&exp, &elen, &ecap, " | k=", 5);
			snprintf(repl, sizeof(repl), "[REDACTED:%.15s]", labels[i]);
			append(&exp, &elen, &ecap, repl, strlen(repl));
			/* binary between them: no shortcut for non-text */
			append(&in, &inlen, &incap, "\n\0\x01\xff", 4);
			append(&exp, &elen, &ecap, "\n\0\x01\xff", 4);
		}
	}
	feed_cuts(z, in, inlen, NULL, 0, &o);
	assert_out(&o, exp, elen);
	feed_bytes(z, in, inlen, &o);
	assert_out(&o, exp, elen);
	for (n = 0, cut = 0; n < 1024; n++) {
		cut += 1 + rnd() % 97;
		if (cut >= inlen)
			break;
		cuts[n] = cut;
	}
	feed_cuts(z, in, inlen, cuts, n, &o);
	assert_out(&o, exp, elen);
	free(in);
	free(exp);
	free(o.p);
	sc_sanitizer_free(z);
}

/* A value that is a long run of one byte and input that keeps almost
 * matching it: the matcher stays linear and exact. */
static void test_repetitive(void **state)
{
	struct secret_def d[2] = {{"aaaaaaaaaaaaaaaaaaaab", 21, "A"},
	                          {"aaaaaaaaaaaaaaaaaaaaaaaaab", 26, "B"}};
	struct sc_sanitizer *z = make(d, 2);
	static uint8_t in[200000];
	struct out o = {0};
	size_t cuts[3] = {1, 70001, 123457};

	(void)state;
	memset(in, 'a', sizeof(in));
	in[sizeof(in) - 1] = 'b';
	feed_cuts(z, in, sizeof(in), cuts, 3, &o);
	assert_int_equal(o.len, sizeof(in) - 26 + strlen("[REDACTED:B]"));
	assert_memory_equal(o.p + sizeof(in) - 26, "[REDACTED:B]", 12);
	assert_int_equal(o.p[0], 'a');
	free(o.p);
	sc_sanitizer_free(z);
}

/* Long runs of clean output between redactions keep their order. */
static void test_large_runs(void **state)
{
	struct secret_def d = {"Sup3r-Secret!", 13, "PW"};
	struct sc_sanitizer *z = make(&d, 1);
	static const size_t gaps[] = {1, 5000, 9000, 30000, 70000, 3};
	uint8_t *in = NULL, *exp = NULL;
	size_t inlen = 0, incap = 0, elen = 0, ecap = 0, i, k, n;
	size_t cuts[64];
	struct out o = {0};

	(void)state;
	for (i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
		for (k = 0; k < gaps[i]; k++) {
			uint8_t c = (uint8_t)(' ' + (k * 7 + i) % 90);

			append(&in, &inlen, &incap, &c, 1);
			append(&exp, &elen, &ecap, &c, 1);
		}
		append(&in, &inlen, &incap, "=Sup3r-Secret!", 14);
		append(&exp, &elen, &ecap, "=[REDACTED:PW]", 14);
	}
	feed_cuts(z, in, inlen, NULL, 0, &o);
	assert_out(&o, exp, elen);
	for (n = 0, k = 0; n < 64; n++) {
		k += 1 + rnd() % 20000;
		if (k >= inlen)
			break;
		cuts[n] = k;
	}
	feed_cuts(z, in, inlen, cuts, n, &o);
	assert_out(&o, exp, elen);
	free(in);
	free(exp);
	free(o.p);
	sc_sanitizer_free(z);
}

static void test_sink_error(void **state)
{
	struct secret_def d = {"abcdefgh", 8, "X"};
	struct sc_sanitizer *z = make(&d, 1);
	struct sc_sanitize_stream *st;
	struct out o = {0};

	(void)state;
	o.fail_after = 1;
	assert_int_equal(sc_sanitize_stream_new(z, &st), SC_OK);
	assert_int_equal(sc_sanitize_feed(st, (const uint8_t *)"hello world\n", 12, collect, &o),
	                 42);
	assert_int_equal(sc_sanitize_feed(st, (const uint8_t *)"more\n", 5, collect, &o), 42);
	assert_int_equal(sc_sanitize_finish(st, collect, &o), 42);
	sc_sanitize_stream_free(st);
	free(o.p);
	sc_sanitizer_free(z);
}

static void test_invalid(void **state)
{
	struct sc_sanitizer *z;
	struct sc_sanitize_stream *st = (void *)1;
	char label[SC_SANITIZE_LABEL_MAX + 2];
	int added = -1;

	(void)state;
	assert_int_equal(sc_sanitizer_new(NULL), SC_ERR_INVALID);
	assert_int_equal(sc_sanitizer_new(&z), SC_OK);
	assert_int_equal(sc_sanitize_stream_new(z, &st), SC_ERR_INVALID); /* not compiled */
	assert_null(st);
	memset(label, 'L', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	assert_int_equal(sc_sanitizer_add(z, (const uint8_t *)"abcdef", 6, label, &added),
	                 SC_ERR_INVALID);
	assert_int_equal(added, 0);
	assert_int_equal(sc_sanitizer_add(z, (const uint8_t *)"abcdef", 6, NULL, NULL),
	                 SC_ERR_INVALID);
	assert_int_equal(sc_sanitizer_add(z, NULL, 6, "X", NULL), SC_ERR_INVALID);
	assert_int_equal(sc_sanitizer_add(z, (const uint8_t *)"abcdef", 6, "X", NULL), SC_OK);
	assert_int_equal(sc_sanitizer_compile(z), SC_OK);
	assert_int_equal(sc_sanitizer_compile(z), SC_ERR_INVALID);
	assert_int_equal(sc_sanitizer_add(z, (const uint8_t *)"ghijkl", 6, "Y", NULL),
	                 SC_ERR_INVALID);
	assert_int_equal(sc_sanitize_stream_new(z, &st), SC_OK);
	assert_int_equal(sc_sanitize_feed(st, NULL, 1, collect, NULL), SC_ERR_INVALID);
	assert_int_equal(sc_sanitize_feed(st, (const uint8_t *)"x", 1, NULL, NULL), SC_ERR_INVALID);
	sc_sanitize_stream_free(st);
	sc_sanitizer_free(z);
	sc_sanitizer_free(NULL);
	sc_sanitize_stream_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),      cmocka_unit_test(test_pattern_count),
	    cmocka_unit_test(test_min_len),    cmocka_unit_test(test_no_secrets),
	    cmocka_unit_test(test_holdback),   cmocka_unit_test(test_many_secrets),
	    cmocka_unit_test(test_repetitive), cmocka_unit_test(test_large_runs),
	    cmocka_unit_test(test_sink_error), cmocka_unit_test(test_invalid),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
