/* test_record.c - the record body codec and the name rules: round trips of
 * everything a secret holds, then a strict decoder that refuses every
 * truncation, oversized length, trailing byte, bad magic, invalid name and
 * duplicate. Malformed records are written by hand here, independently of
 * sc_record_encode, so a bug shared by encoder and decoder cannot hide. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/secret_int.h"

/* ---- a hand-written record writer that remembers where each length
 * and count field sits */

#define MAXLEN 64

struct lenfield {
	size_t off;
	int width;    /* bytes */
	int is_count; /* a count of entries, not a byte length */
	uint64_t max; /* the bound the decoder must enforce */
};

struct rb {
	uint8_t *p;
	size_t len, cap;
	struct lenfield lf[MAXLEN];
	size_t nlf;
};

static void rb_put(struct rb *b, const void *src, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void rb_uint(struct rb *b, uint64_t v, int width)
{
	uint8_t x[8];
	int i;

	for (i = 0; i < width; i++)
		x[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
	rb_put(b, x, (size_t)width);
}

static void rb_len(struct rb *b, uint64_t v, int width, int is_count, uint64_t max)
{
	assert_true(b->nlf < MAXLEN);
	b->lf[b->nlf].off = b->len;
	b->lf[b->nlf].width = width;
	b->lf[b->nlf].is_count = is_count;
	b->lf[b->nlf].max = max;
	b->nlf++;
	rb_uint(b, v, width);
}

static void rb_str(struct rb *b, const char *s, int width, uint64_t max)
{
	size_t n = s ? strlen(s) : 0;

	rb_len(b, n, width, 0, max);
	rb_put(b, s, n);
}

struct spec {
	const char *name;
	const char *f1, *f2; /* field names */
	const char *env, *bfield;
	const char *tag1, *tag2;
	const char *hint;
	const char *notes, *url;
	int64_t created, updated, expires;
	uint8_t sensitive;
	size_t big_len; /* length of field 2's value */
};

static const struct spec good = {
    .name = "prod/db.main-1_x",
    .f1 = "password",
    .f2 = "blob",
    .env = "DB_PASSWORD",
    .bfield = "password",
    .tag1 = "prod",
    .tag2 = "team:db@x",
    .hint = "rotate monthly",
    .notes = "line one\nline two",
    .url = "https://db.example/",
    .created = 1700000000,
    .updated = 1700000001,
    .expires = 1800000000,
    .sensitive = 1,
    .big_len = 5,
};

static const uint8_t val1[] = {'s', 0, 'c', 0xff, 0, 'r'};

static void build(struct rb *b, const struct spec *s)
{
	uint8_t *big;

	memset(b, 0, sizeof(*b));
	rb_put(b, "SCR1", 4);
	rb_uint(b, 1, 1);
	rb_str(b, s->name, 2, SC_NAME_MAX);
	rb_uint(b, (uint64_t)s->created, 8);
	rb_uint(b, (uint64_t)s->updated, 8);
	rb_uint(b, (uint64_t)s->expires, 8);
	rb_len(b, 2, 1, 1, SC_FIELDS_MAX);
	rb_str(b, s->f1, 1, SC_FIELD_NAME_MAX);
	rb_uint(b, s->sensitive, 1);
	rb_str(b, s->hint, 2, SC_HINT_MAX);
	rb_len(b, sizeof(val1), 4, 0, SC_VALUE_MAX);
	rb_put(b, val1, sizeof(val1));
	rb_str(b, s->f2, 1, SC_FIELD_NAME_MAX);
	rb_uint(b, 0, 1);
	rb_str(b, NULL, 2, SC_HINT_MAX);
	rb_len(b, s->big_len, 4, 0, SC_VALUE_MAX);
	big = malloc(s->big_len + 1);
	assert_non_null(big);
	memset(big, 'B', s->big_len);
	rb_put(b, big, s->big_len);
	free(big);
	rb_len(b, 1, 1, 1, SC_BINDINGS_MAX);
	rb_str(b, s->env, 1, SC_ENV_NAME_MAX);
	rb_str(b, s->bfield, 1, SC_FIELD_NAME_MAX);
	rb_len(b, 2, 1, 1, SC_TAGS_MAX);
	rb_str(b, s->tag1, 1, SC_TAG_MAX);
	rb_str(b, s->tag2, 1, SC_TAG_MAX);
	rb_str(b, s->notes, 4, SC_NOTES_MAX);
	rb_str(b, s->url, 2, SC_URL_MAX);
}

static int decode_status(const uint8_t *p, size_t n)
{
	struct sc_secret *s = NULL;
	int r = sc_record_decode(p, n, &s);

	if (r == SC_OK)
		assert_non_null(s);
	else
		assert_null(s);
	sc_secret_free(s);
	return r;
}

/* ---- round trips */

static struct sc_secret *full_secret(void)
{
	struct sc_secret *s;

	assert_int_equal(sc_secret_new(&s, "team/app/db-main"), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "password", val1, sizeof(val1), 1), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "user", "admin", 5, 0), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "empty", "", 0, 1), SC_OK);
	assert_int_equal(sc_secret_set_hint(s, "password", "from the ops vault"), SC_OK);
	assert_int_equal(sc_secret_add_binding(s, "DB_PASSWORD", "password"), SC_OK);
	assert_int_equal(sc_secret_add_binding(s, "DB_USER", "user"), SC_OK);
	assert_int_equal(sc_secret_add_tag(s, "prod"), SC_OK);
	assert_int_equal(sc_secret_add_tag(s, "team:db"), SC_OK);
	assert_int_equal(sc_secret_set_notes(s, "rotate on the 1st\n\tand tell ops"), SC_OK);
	assert_int_equal(sc_secret_set_url(s, "https://db.example/console?x=1"), SC_OK);
	sc_secret_set_expires(s, 1900000000);
	s->created = 1700000000; /* set by the vault; the codec must carry them */
	s->updated = 1700000123;
	return s;
}

static void assert_same(const struct sc_secret *a, const struct sc_secret *b)
{
	size_t i;

	assert_string_equal(sc_secret_name(a), sc_secret_name(b));
	assert_int_equal(sc_secret_field_count(a), sc_secret_field_count(b));
	for (i = 0; i < sc_secret_field_count(a); i++) {
		const char *na, *nb, *ha, *hb;
		const uint8_t *va, *vb;
		size_t la, lb;
		int sa, sb;

		assert_int_equal(sc_secret_field(a, i, &na, &va, &la, &sa, &ha), SC_OK);
		assert_int_equal(sc_secret_field(b, i, &nb, &vb, &lb, &sb, &hb), SC_OK);
		assert_string_equal(na, nb);
		assert_int_equal(la, lb);
		assert_memory_equal(va, vb, la);
		assert_int_equal(vb[lb], 0); /* a NUL follows the value */
		assert_int_equal(sa, sb);
		if (ha == NULL)
			assert_null(hb);
		else
			assert_string_equal(ha, hb);
	}
	assert_int_equal(sc_secret_binding_count(a), sc_secret_binding_count(b));
	for (i = 0; i < sc_secret_binding_count(a); i++) {
		const char *ea, *fa, *eb, *fb;

		assert_int_equal(sc_secret_binding(a, i, &ea, &fa), SC_OK);
		assert_int_equal(sc_secret_binding(b, i, &eb, &fb), SC_OK);
		assert_string_equal(ea, eb);
		assert_string_equal(fa, fb);
	}
	assert_int_equal(sc_secret_tag_count(a), sc_secret_tag_count(b));
	for (i = 0; i < sc_secret_tag_count(a); i++)
		assert_string_equal(sc_secret_tag(a, i), sc_secret_tag(b, i));
	if (sc_secret_notes(a) == NULL)
		assert_null(sc_secret_notes(b));
	else
		assert_string_equal(sc_secret_notes(a), sc_secret_notes(b));
	if (sc_secret_url(a) == NULL)
		assert_null(sc_secret_url(b));
	else
		assert_string_equal(sc_secret_url(a), sc_secret_url(b));
	assert_int_equal(sc_secret_expires(a), sc_secret_expires(b));
	assert_int_equal(sc_secret_created(a), sc_secret_created(b));
	assert_int_equal(sc_secret_updated(a), sc_secret_updated(b));
}

static void roundtrip(const struct sc_secret *s)
{
	struct sc_secret *d = NULL;
	uint8_t *buf = NULL, *buf2 = NULL;
	size_t n = 0, n2 = 0;

	assert_int_equal(sc_record_encode(s, &buf, &n), SC_OK);
	assert_int_equal(sc_record_decode(buf, n, &d), SC_OK);
	assert_same(s, d);
	/* re-encoding the decoded secret gives the same bytes */
	assert_int_equal(sc_record_encode(d, &buf2, &n2), SC_OK);
	assert_int_equal(n, n2);
	assert_memory_equal(buf, buf2, n);
	sc_secret_free(d);
	sc_secmem_free(buf);
	sc_secmem_free(buf2);
}

static void test_roundtrip_full(void **state)
{
	struct sc_secret *s = full_secret();

	(void)state;
	roundtrip(s);
	assert_int_equal(sc_secret_field_index(s, "user"), 1);
	assert_true(sc_secret_has_tag(s, "prod"));
	sc_secret_free(s);
}

static void test_roundtrip_minimal(void **state)
{
	struct sc_secret *s, *d;
	uint8_t *buf;
	size_t n;

	(void)state;
	/* a name and nothing else */
	assert_int_equal(sc_secret_new(&s, "a"), SC_OK);
	roundtrip(s);
	assert_int_equal(sc_record_encode(s, &buf, &n), SC_OK);
	assert_int_equal(sc_record_decode(buf, n, &d), SC_OK);
	assert_int_equal(sc_secret_field_count(d), 0);
	assert_null(sc_secret_notes(d));
	assert_null(sc_secret_url(d));
	assert_int_equal(sc_secret_expires(d), 0);
	sc_secret_free(d);
	sc_secmem_free(buf);
	sc_secret_free(s);
}

static void test_roundtrip_limits(void **state)
{
	struct sc_secret *s;
	uint8_t *big;
	char name[SC_NAME_MAX + 2], fname[16], env[16], tag[SC_TAG_MAX + 2];
	size_t i;

	(void)state;
	/* a 1 MiB value (the limit) with every byte value in it, NULs included */
	big = malloc(SC_VALUE_MAX + 1);
	assert_non_null(big);
	for (i = 0; i <= SC_VALUE_MAX; i++)
		big[i] = (uint8_t)(i * 131 + (i >> 8));
	memset(name, 'n', SC_NAME_MAX);
	name[SC_NAME_MAX] = '\0';
	assert_int_equal(sc_secret_new(&s, name), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "big", big, SC_VALUE_MAX, 1), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "over", big, SC_VALUE_MAX + 1, 1), SC_ERR_TOOBIG);
	/* the most fields, bindings and tags a secret may have */
	for (i = 1; i < SC_FIELDS_MAX; i++) {
		snprintf(fname, sizeof(fname), "f%zu", i);
		assert_int_equal(sc_secret_add_field(s, fname, "v", 1, 0), SC_OK);
	}
	assert_int_equal(sc_secret_add_field(s, "one-more", "v", 1, 0), SC_ERR_TOOBIG);
	for (i = 0; i < SC_BINDINGS_MAX; i++) {
		snprintf(env, sizeof(env), "E_%zu", i);
		assert_int_equal(sc_secret_add_binding(s, env, "big"), SC_OK);
	}
	assert_int_equal(sc_secret_add_binding(s, "E_MORE", "big"), SC_ERR_TOOBIG);
	for (i = 0; i < SC_TAGS_MAX; i++) {
		memset(tag, 'a' + (int)(i % 26), SC_TAG_MAX);
		tag[SC_TAG_MAX] = '\0';
		tag[0] = (char)('0' + i / 26);
		assert_int_equal(sc_secret_add_tag(s, tag), SC_OK);
	}
	assert_int_equal(sc_secret_add_tag(s, "more"), SC_ERR_TOOBIG);
	roundtrip(s);
	sc_secret_free(s);
	free(big);
}

static void test_secret_setters(void **state)
{
	struct sc_secret *s;
	char buf[SC_NOTES_MAX + 2];

	(void)state;
	assert_int_equal(sc_secret_new(&s, "../x"), SC_ERR_NAME);
	assert_null(s);
	assert_int_equal(sc_secret_new(&s, "ok"), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "v", "1", 1, 1), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "v", "2", 1, 1), SC_ERR_EXISTS);
	assert_int_equal(sc_secret_add_field(s, "bad name", "2", 1, 1), SC_ERR_NAME);
	assert_int_equal(sc_secret_set_hint(s, "nope", "h"), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_secret_set_hint(s, "v", "two\nlines"), SC_ERR_INVALID);
	assert_int_equal(sc_secret_add_binding(s, "1BAD", "v"), SC_ERR_NAME);
	assert_int_equal(sc_secret_add_binding(s, "GOOD", "v"), SC_OK);
	assert_int_equal(sc_secret_add_binding(s, "GOOD", "v"), SC_ERR_EXISTS);
	assert_int_equal(sc_secret_add_tag(s, "a b"), SC_ERR_NAME);
	assert_int_equal(sc_secret_add_tag(s, "t"), SC_OK);
	assert_int_equal(sc_secret_add_tag(s, "t"), SC_OK); /* idempotent */
	assert_int_equal(sc_secret_tag_count(s), 1);
	assert_int_equal(sc_secret_set_url(s, "http://x/\n"), SC_ERR_INVALID);
	assert_int_equal(sc_secret_set_notes(s, "bell\a"), SC_ERR_INVALID);
	memset(buf, 'x', SC_NOTES_MAX + 1);
	buf[SC_NOTES_MAX + 1] = '\0';
	assert_int_equal(sc_secret_set_notes(s, buf), SC_ERR_TOOBIG);
	buf[SC_NOTES_MAX] = '\0';
	assert_int_equal(sc_secret_set_notes(s, buf), SC_OK);
	sc_secret_set_expires(s, -5);
	assert_int_equal(sc_secret_expires(s), 0);
	sc_secret_set_expires(s, 100);
	assert_true(sc_secret_is_expired(s, 100));
	assert_false(sc_secret_is_expired(s, 99));
	roundtrip(s);
	sc_secret_free(s);
}

/* The hand-written record and the library's encoder agree byte for byte,
 * so the malformed variants below are variants of a real record. */
static void test_writer_matches_encoder(void **state)
{
	struct rb b;
	struct sc_secret *d = NULL;
	uint8_t *buf = NULL;
	size_t n = 0;

	(void)state;
	build(&b, &good);
	assert_int_equal(sc_record_decode(b.p, b.len, &d), SC_OK);
	assert_string_equal(sc_secret_name(d), good.name);
	assert_int_equal(sc_secret_field_count(d), 2);
	assert_int_equal(sc_secret_created(d), good.created);
	assert_int_equal(sc_secret_updated(d), good.updated);
	assert_int_equal(sc_secret_expires(d), good.expires);
	assert_int_equal(sc_record_encode(d, &buf, &n), SC_OK);
	assert_int_equal(n, b.len);
	assert_memory_equal(buf, b.p, n);
	sc_secmem_free(buf);
	sc_secret_free(d);
	free(b.p);
}

/* ---- the name rules */

static void test_name_rules(void **state)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
	    {"a", 1},
	    {"A", 1},
	    {"0", 1},
	    {"db", 1},
	    {"prod/db/password", 1},
	    {"a.b", 1},
	    {"a-b_c.d", 1},
	    {"a/b.c/d-e", 1},
	    {"a.", 1},
	    {"a-", 1},
	    {"a_", 1},
	    {"_a", 1},
	    {"a/_b", 1},
	    {"a.b.c", 1},
	    {"a/b.", 1},
	    {"", 0},
	    {".", 0},
	    {"..", 0},
	    {".a", 0},
	    {"-a", 0},
	    {"/a", 0},
	    {"a/", 0},
	    {"a//b", 0},
	    {"a/../b", 0},
	    {"a/./b", 0},
	    {"a/.b", 0},
	    {"a/-b", 0},
	    {"a..b", 0},
	    {"a b", 0},
	    {"a\tb", 0},
	    {"a\nb", 0},
	    {"a:b", 0},
	    {"a*b", 0},
	    {"a?b", 0},
	    {"a\\b", 0},
	    {"a@b", 0},
	    {"a%b", 0},
	    {"a=b", 0},
	    {"caf\xc3\xa9", 0},
	    {"\x7f", 0},
	    {"a\x01", 0},
	};
	char name[SC_NAME_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = sc_name_valid(cases[i].name);

		if (r != (cases[i].ok ? SC_OK : SC_ERR_NAME))
			fail_msg("sc_name_valid(\"%s\") = %d, want %s", cases[i].name, r,
			         cases[i].ok ? "valid" : "invalid");
	}
	assert_int_equal(sc_name_valid(NULL), SC_ERR_NAME);
	memset(name, 'x', sizeof(name));
	name[SC_NAME_MAX] = '\0';
	assert_int_equal(sc_name_valid(name), SC_OK);
	name[SC_NAME_MAX] = 'x';
	name[SC_NAME_MAX + 1] = '\0';
	assert_int_equal(sc_name_valid(name), SC_ERR_NAME);
}

static void test_other_name_rules(void **state)
{
	char buf[SC_ENV_NAME_MAX + 2];

	(void)state;
	/* field names */
	assert_int_equal(sc_field_name_valid("password"), SC_OK);
	assert_int_equal(sc_field_name_valid("api_key-2.v"), SC_OK);
	assert_int_equal(sc_field_name_valid(""), SC_ERR_NAME);
	assert_int_equal(sc_field_name_valid("-x"), SC_ERR_NAME);
	assert_int_equal(sc_field_name_valid(".x"), SC_ERR_NAME);
	assert_int_equal(sc_field_name_valid("a/b"), SC_ERR_NAME);
	assert_int_equal(sc_field_name_valid("a b"), SC_ERR_NAME);
	assert_int_equal(sc_field_name_valid(NULL), SC_ERR_NAME);
	memset(buf, 'f', SC_FIELD_NAME_MAX);
	buf[SC_FIELD_NAME_MAX] = '\0';
	assert_int_equal(sc_field_name_valid(buf), SC_OK);
	buf[SC_FIELD_NAME_MAX] = 'f';
	buf[SC_FIELD_NAME_MAX + 1] = '\0';
	assert_int_equal(sc_field_name_valid(buf), SC_ERR_NAME);
	/* environment variable names */
	assert_int_equal(sc_env_name_valid("DB_PASSWORD"), SC_OK);
	assert_int_equal(sc_env_name_valid("_x1"), SC_OK);
	assert_int_equal(sc_env_name_valid("1X"), SC_ERR_NAME);
	assert_int_equal(sc_env_name_valid("A-B"), SC_ERR_NAME);
	assert_int_equal(sc_env_name_valid("A=B"), SC_ERR_NAME);
	assert_int_equal(sc_env_name_valid(""), SC_ERR_NAME);
	memset(buf, 'E', SC_ENV_NAME_MAX);
	buf[SC_ENV_NAME_MAX] = '\0';
	assert_int_equal(sc_env_name_valid(buf), SC_OK);
	buf[SC_ENV_NAME_MAX] = 'E';
	buf[SC_ENV_NAME_MAX + 1] = '\0';
	assert_int_equal(sc_env_name_valid(buf), SC_ERR_NAME);
	/* tags */
	assert_int_equal(sc_tag_valid("team:db@x+y/z.w_v-u"), SC_OK);
	assert_int_equal(sc_tag_valid(""), SC_ERR_NAME);
	assert_int_equal(sc_tag_valid("a b"), SC_ERR_NAME);
	assert_int_equal(sc_tag_valid("a,b"), SC_ERR_NAME);
	memset(buf, 't', SC_TAG_MAX + 1);
	buf[SC_TAG_MAX + 1] = '\0';
	assert_int_equal(sc_tag_valid(buf), SC_ERR_NAME);
	buf[SC_TAG_MAX] = '\0';
	assert_int_equal(sc_tag_valid(buf), SC_OK);
}

/* ---- the decoder refuses */

static void test_decode_truncated(void **state)
{
	struct rb b;
	struct sc_secret *s = full_secret();
	uint8_t *buf;
	size_t n, i;

	(void)state;
	build(&b, &good);
	for (i = 0; i < b.len; i++)
		if (decode_status(b.p, i) != SC_ERR_CORRUPT)
			fail_msg("hand-written record truncated to %zu of %zu bytes: accepted", i,
			         b.len);
	free(b.p);
	assert_int_equal(sc_record_encode(s, &buf, &n), SC_OK);
	for (i = 0; i < n; i++)
		if (decode_status(buf, i) != SC_ERR_CORRUPT)
			fail_msg("encoded record truncated to %zu of %zu bytes: accepted", i, n);
	assert_int_equal(decode_status(NULL, 0), SC_ERR_CORRUPT);
	sc_secmem_free(buf);
	sc_secret_free(s);
}

static void set_uint(uint8_t *p, uint64_t v, int width)
{
	int i;

	for (i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static void test_decode_length_too_large(void **state)
{
	struct rb b;
	size_t i, nlf;
	uint8_t *copy;

	(void)state;
	build(&b, &good);
	nlf = b.nlf;
	assert_int_equal(decode_status(b.p, b.len), SC_OK);
	copy = malloc(b.len);
	assert_non_null(copy);
	for (i = 0; i < nlf; i++) {
		const struct lenfield *f = &b.lf[i];
		size_t after = b.len - f->off - (size_t)f->width;
		uint64_t wide = f->width == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * f->width)) - 1;
		uint64_t tries[3];
		size_t t, ntries = 0;

		if (f->is_count) {
			/* one past the bound, and the widest value */
			tries[ntries++] = f->max + 1;
			tries[ntries++] = wide;
		} else {
			/* longer than what is left, past the bound, the widest */
			if (after + 1 <= wide)
				tries[ntries++] = after + 1;
			if (f->max + 1 <= wide)
				tries[ntries++] = f->max + 1;
			tries[ntries++] = wide;
		}
		for (t = 0; t < ntries; t++) {
			memcpy(copy, b.p, b.len);
			set_uint(copy + f->off, tries[t], f->width);
			if (decode_status(copy, b.len) != SC_ERR_CORRUPT)
				fail_msg("length field %zu (offset %zu, %d bytes) set to %llu: "
				         "accepted",
				         i, f->off, f->width, (unsigned long long)tries[t]);
		}
	}
	free(copy);
	free(b.p);
}

/* A length past its bound is refused even when the bytes are there. */
static void test_decode_over_bounds(void **state)
{
	struct spec sp = good;
	struct rb b;
	char name[SC_NAME_MAX + 2], notes[SC_NOTES_MAX + 2], url[SC_URL_MAX + 2],
	    hint[SC_HINT_MAX + 2];

	(void)state;
	/* a value one byte over 1 MiB */
	sp.big_len = SC_VALUE_MAX + 1;
	build(&b, &sp);
	assert_int_equal(decode_status(b.p, b.len), SC_ERR_CORRUPT);
	free(b.p);
	/* exactly 1 MiB is fine */
	sp.big_len = SC_VALUE_MAX;
	build(&b, &sp);
	assert_int_equal(decode_status(b.p, b.len), SC_OK);
	free(b.p);

	sp = good;
	memset(name, 'n', sizeof(name));
	name[SC_NAME_MAX + 1] = '\0';
	sp.name = name;
	build(&b, &sp);
	assert_int_equal(decode_status(b.p, b.len), SC_ERR_CORRUPT);
	free(b.p);

	sp = good;
	memset(notes, 'x', sizeof(notes));
	notes[SC_NOTES_MAX + 1] = '\0';
	sp.notes = notes;
	build(&b, &sp);
	assert_int_equal(decode_status(b.p, b.len), SC_ERR_CORRUPT);
	free(b.p);

	sp = good;
	memset(url, 'u', sizeof(url));
	url[SC_URL_MAX + 1] = '\0';
	sp.url = url;
	build(&b, &sp);
	assert_int_equal(decode_status(b.p, b.len), SC_ERR_CORRUPT);
	free(b.p);

	sp = good;
	memset(hint, 'h', sizeof(hint));
	hint[SC_HINT_MAX + 1] = '\0';
	sp.hint = hint;
	build(&b, &sp);
	assert_int_equal(decode_status(b.p, b.len), SC_ERR_CORRUPT);
	free(b.p);
}

static void test_decode_trailing_and_magic(void **state)
{
	struct rb b;
	uint8_t *copy;
	size_t i;

	(void)state;
	build(&b, &good);
	copy = malloc(b.len + 16);
	assert_non_null(copy);
	/* trailing bytes, zero or not */
	memcpy(copy, b.p, b.len);
	copy[b.len] = 0;
	assert_int_equal(decode_status(copy, b.len + 1), SC_ERR_CORRUPT);
	memset(copy + b.len, 'A', 16);
	assert_int_equal(decode_status(copy, b.len + 16), SC_ERR_CORRUPT);
	/* each byte of the magic, and the kind */
	for (i = 0; i < 5; i++) {
		memcpy(copy, b.p, b.len);
		copy[i] ^= 0x20;
		assert_int_equal(decode_status(copy, b.len), SC_ERR_CORRUPT);
	}
	memcpy(copy, b.p, b.len);
	copy[4] = 0;
	assert_int_equal(decode_status(copy, b.len), SC_ERR_CORRUPT);
	copy[4] = 2;
	assert_int_equal(decode_status(copy, b.len), SC_ERR_CORRUPT);
	free(copy);
	free(b.p);
}

static void test_decode_bad_content(void **state)
{
	static const struct {
		const char *what;
		struct spec sp;
	} bad[] = {
	    {"secret name '../x'", {.name = "../x"}},
	    {"secret name 'a//b'", {.name = "a//b"}},
	    {"secret name ''", {.name = ""}},
	    {"secret name '-a'", {.name = "-a"}},
	    {"field name 'a b'", {.f1 = "a b"}},
	    {"field name ''", {.f1 = ""}},
	    {"field name '.x'", {.f2 = ".x"}},
	    {"env name '1X'", {.env = "1X"}},
	    {"env name 'A-B'", {.env = "A-B"}},
	    {"env name ''", {.env = ""}},
	    {"binding field 'a/b'", {.bfield = "a/b"}},
	    {"tag 'a b'", {.tag1 = "a b"}},
	    {"tag ''", {.tag2 = ""}},
	    {"duplicate field", {.f2 = "password"}},
	    {"sensitive flag 2", {.sensitive = 2}},
	    {"sensitive flag 255", {.sensitive = 255}},
	    {"negative created", {.created = -1}},
	    {"negative updated", {.updated = INT64_MIN}},
	    {"negative expires", {.expires = -100}},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct spec sp = good;
		const struct spec *m = &bad[i].sp;
		struct rb b;

		/* overlay what the case sets on the good record */
		if (m->name)
			sp.name = m->name;
		if (m->f1)
			sp.f1 = m->f1;
		if (m->f2)
			sp.f2 = m->f2;
		if (m->env)
			sp.env = m->env;
		if (m->bfield)
			sp.bfield = m->bfield;
		if (m->tag1)
			sp.tag1 = m->tag1;
		if (m->tag2)
			sp.tag2 = m->tag2;
		if (m->sensitive)
			sp.sensitive = m->sensitive;
		if (m->created)
			sp.created = m->created;
		if (m->updated)
			sp.updated = m->updated;
		if (m->expires)
			sp.expires = m->expires;
		build(&b, &sp);
		if (decode_status(b.p, b.len) != SC_ERR_CORRUPT)
			fail_msg("record with %s: accepted", bad[i].what);
		free(b.p);
	}
}

/* A NUL inside any text is refused: it would cut the name short. */
static void test_decode_nul_in_text(void **state)
{
	struct rb b;
	size_t i;

	(void)state;
	build(&b, &good);
	for (i = 0; i < b.nlf; i++) {
		const struct lenfield *f = &b.lf[i];
		uint64_t n = 0;
		int k;
		uint8_t save;

		if (f->is_count || f->max == SC_VALUE_MAX)
			continue; /* counts and values (binary) */
		for (k = 0; k < f->width; k++)
			n = (n << 8) | b.p[f->off + (size_t)k];
		if (n == 0)
			continue;
		save = b.p[f->off + (size_t)f->width];
		b.p[f->off + (size_t)f->width] = 0;
		if (decode_status(b.p, b.len) != SC_ERR_CORRUPT)
			fail_msg("NUL at the start of the text at offset %zu: accepted", f->off);
		b.p[f->off + (size_t)f->width] = save;
	}
	assert_int_equal(decode_status(b.p, b.len), SC_OK);
	free(b.p);
}

/* Two bindings of one variable are as ambiguous as two fields of one name. */
static void test_decode_duplicate_binding(void **state)
{
	struct rb b;

	(void)state;
	memset(&b, 0, sizeof(b));
	rb_put(&b, "SCR1", 4);
	rb_uint(&b, 1, 1);
	rb_str(&b, "x", 2, SC_NAME_MAX);
	rb_uint(&b, 0, 8);
	rb_uint(&b, 0, 8);
	rb_uint(&b, 0, 8);
	rb_uint(&b, 1, 1); /* one field */
	rb_str(&b, "v", 1, SC_FIELD_NAME_MAX);
	rb_uint(&b, 0, 1);
	rb_str(&b, NULL, 2, SC_HINT_MAX);
	rb_uint(&b, 1, 4);
	rb_put(&b, "1", 1);
	rb_uint(&b, 2, 1); /* two bindings of X */
	rb_str(&b, "X", 1, SC_ENV_NAME_MAX);
	rb_str(&b, "v", 1, SC_FIELD_NAME_MAX);
	rb_str(&b, "X", 1, SC_ENV_NAME_MAX);
	rb_str(&b, "v", 1, SC_FIELD_NAME_MAX);
	rb_uint(&b, 0, 1);
	rb_uint(&b, 0, 4);
	rb_uint(&b, 0, 2);
	assert_int_equal(decode_status(b.p, b.len), SC_ERR_CORRUPT);
	/* the same with distinct variables decodes */
	b.p[b.len - 7 - 3] = 'Y';
	assert_int_equal(decode_status(b.p, b.len), SC_OK);
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_full),
	    cmocka_unit_test(test_roundtrip_minimal),
	    cmocka_unit_test(test_roundtrip_limits),
	    cmocka_unit_test(test_secret_setters),
	    cmocka_unit_test(test_writer_matches_encoder),
	    cmocka_unit_test(test_name_rules),
	    cmocka_unit_test(test_other_name_rules),
	    cmocka_unit_test(test_decode_truncated),
	    cmocka_unit_test(test_decode_length_too_large),
	    cmocka_unit_test(test_decode_over_bounds),
	    cmocka_unit_test(test_decode_trailing_and_magic),
	    cmocka_unit_test(test_decode_bad_content),
	    cmocka_unit_test(test_decode_nul_in_text),
	    cmocka_unit_test(test_decode_duplicate_binding),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
