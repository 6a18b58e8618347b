/* jbatch.c - the JSON form of a key batch (`key encrypt|decrypt
 * --batch-json`): a JSON array of item objects, or JSON lines (one object
 * a line), each with its own input and encryption context, decoded
 * strictly and within bounds before anything is done. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "secretctl/keys.h"
#include "secretctl/secmem.h"

void sc_keys_jbatch_free(struct sc_keys_jbatch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		sc_keys_ctx_free(b->items[i].ctx);
		free(b->items[i].id);
	}
	free(b->items);
	sc_secmem_free(b->arena);
	memset(b, 0, sizeof(*b));
}

/* The detail of item i's refusal. */
#define BAD(i, ...)                                                                                \
	do {                                                                                       \
		char why_[256];                                                                    \
		snprintf(why_, sizeof(why_), __VA_ARGS__);                                         \
		sc_set_error("batch item %zu: %s", (i) + 1, why_);                                 \
	} while (0)

/* An input into the arena: a decoded string is never longer than its
 * JSON text, so the arena (the input's size) always has room. */
static int take_in(struct sc_keys_jbatch *b, json_t *v, int b64, size_t max, size_t i,
                   struct sc_keys_jitem *it)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), cap;
	uint8_t *dst;

	if (s == NULL) {
		BAD(i, "\"%s\" is a string", b64 ? "in_b64" : "in");
		return SC_ERR_INVALID;
	}
	if ((b64 ? n / 4 * 3 : n) > max + (b64 ? 2 : 0)) {
		BAD(i, "the input is larger than %zu bytes", max);
		return SC_ERR_TOOBIG;
	}
	cap = b->cap - b->used;
	if (n > cap)
		return SC_ERR_INTERNAL;
	dst = b->arena + b->used;
	it->in = dst;
	if (!b64) {
		memcpy(dst, s, n);
		it->in_len = n;
		b->used += n;
		return SC_OK;
	}
	if (sodium_base642bin(dst, cap, s, n, NULL, &it->in_len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0) {
		BAD(i, "\"in_b64\" is not standard padded base64");
		return SC_ERR_INVALID;
	}
	b->used += it->in_len;
	if (it->in_len > max) {
		BAD(i, "the input is larger than %zu bytes", max);
		return SC_ERR_TOOBIG;
	}
	return SC_OK;
}

static int take_ctx(json_t *v, size_t i, struct sc_keys_jitem *it)
{
	const char *k;
	json_t *val;
	int r;

	if (!json_is_object(v)) {
		BAD(i, "\"context\" is an object of strings");
		return SC_ERR_INVALID;
	}
	if (json_object_size(v) > SC_KEYS_CTX_PAIRS_MAX) {
		BAD(i, "a context holds at most %d pairs", SC_KEYS_CTX_PAIRS_MAX);
		return SC_ERR_TOOBIG;
	}
	if (json_object_size(v) == 0)
		return SC_OK; /* the empty context, as no context */
	if ((r = sc_keys_ctx_new(&it->ctx)) != SC_OK)
		return r;
	json_object_foreach(v, k, val)
	{
		if (!json_is_string(val)) {
			BAD(i, "context value of '%s' is not a string", k);
			return SC_ERR_INVALID;
		}
		if ((r = sc_keys_ctx_add(it->ctx, k, strlen(k),
		                         (const uint8_t *)json_string_value(val),
		                         json_string_length(val))) != SC_OK) {
			char why[200];

			snprintf(why, sizeof(why), "%s", sc_last_error());
			BAD(i, "context: %s", why[0] ? why : "a bad pair");
			return r;
		}
	}
	return SC_OK;
}

static int take_item(struct sc_keys_jbatch *b, json_t *o, size_t max, size_t i,
                     struct sc_keys_jitem *it)
{
	const char *k;
	json_t *v, *in, *in64;
	int r;

	if (!json_is_object(o)) {
		BAD(i, "not an object");
		return SC_ERR_INVALID;
	}
	json_object_foreach(o, k, v)
	{
		if (strcmp(k, "in") != 0 && strcmp(k, "in_b64") != 0 && strcmp(k, "context") != 0 &&
		    strcmp(k, "id") != 0) {
			BAD(i, "unknown member \"%.64s\" (in, in_b64, context, id)", k);
			return SC_ERR_INVALID;
		}
	}
	in = json_object_get(o, "in");
	in64 = json_object_get(o, "in_b64");
	if ((in == NULL) == (in64 == NULL)) {
		BAD(i, "exactly one of \"in\" and \"in_b64\" is needed");
		return SC_ERR_INVALID;
	}
	if ((r = take_in(b, in != NULL ? in : in64, in == NULL, max, i, it)) != SC_OK)
		return r;
	if ((v = json_object_get(o, "context")) != NULL && (r = take_ctx(v, i, it)) != SC_OK)
		return r;
	if ((v = json_object_get(o, "id")) != NULL) {
		/* any scalar, given back as it came */
		if (json_is_object(v) || json_is_array(v)) {
			BAD(i, "\"id\" is a string, number, boolean or null");
			return SC_ERR_INVALID;
		}
		if ((it->id = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) == NULL)
			return SC_ERR_NOMEM;
		if (strlen(it->id) > SC_KEYS_JBATCH_ID_MAX) {
			BAD(i, "\"id\" is longer than %d bytes", SC_KEYS_JBATCH_ID_MAX);
			return SC_ERR_TOOBIG;
		}
	}
	return SC_OK;
}

/* One more item slot. */
static int grow(struct sc_keys_jbatch *b, size_t *cap)
{
	struct sc_keys_jitem *n;

	if (b->n >= SC_KEYS_JBATCH_MAX) {
		sc_set_error("a batch holds at most %u items", SC_KEYS_JBATCH_MAX);
		return SC_ERR_TOOBIG;
	}
	if (b->n < *cap)
		return SC_OK;
	*cap = *cap ? *cap * 2 : 64;
	if ((n = realloc(b->items, *cap * sizeof(*n))) == NULL)
		return SC_ERR_NOMEM;
	b->items = n;
	return SC_OK;
}

static int parse_fail(const json_error_t *e, size_t line)
{
	if (line)
		sc_set_error("line %zu: not JSON: %s", line, e->text);
	else
		sc_set_error("not JSON (line %d, column %d): %s", e->line, e->column, e->text);
	return SC_ERR_INVALID;
}

int sc_keys_jbatch_parse(const uint8_t *buf, size_t len, size_t item_max,
                         struct sc_keys_jbatch *out)
{
	const size_t flags = JSON_REJECT_DUPLICATES;
	struct sc_keys_jbatch b = {NULL, 0, NULL, 0, 0};
	json_error_t e;
	size_t i = 0, cap = 0, line = 0;
	int r = SC_OK;

	memset(out, 0, sizeof(*out));
	if (len > SC_KEYS_JBATCH_BYTES_MAX) {
		sc_set_error("a JSON batch is at most %u bytes", SC_KEYS_JBATCH_BYTES_MAX);
		return SC_ERR_TOOBIG;
	}
	b.cap = len + 1;
	if ((b.arena = sc_secmem_alloc(b.cap)) == NULL)
		return SC_ERR_NOMEM;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
		i++;
	if (i < len && buf[i] == '[') {
		/* one array */
		json_t *a = json_loadb((const char *)buf, len, flags, &e);
		size_t k;

		if (a == NULL) {
			sc_keys_jbatch_free(&b);
			return parse_fail(&e, 0);
		}
		if (json_array_size(a) > SC_KEYS_JBATCH_MAX) {
			json_decref(a);
			sc_keys_jbatch_free(&b);
			sc_set_error("a batch holds at most %u items", SC_KEYS_JBATCH_MAX);
			return SC_ERR_TOOBIG;
		}
		for (k = 0; k < json_array_size(a) && r == SC_OK; k++) {
			if ((r = grow(&b, &cap)) != SC_OK)
				break;
			memset(&b.items[b.n], 0, sizeof(b.items[0]));
			b.n++;
			r = take_item(&b, json_array_get(a, k), item_max, k, &b.items[b.n - 1]);
		}
		json_decref(a);
	} else {
		/* JSON lines: one object a line, blank lines skipped */
		while (i < len && r == SC_OK) {
			const uint8_t *nl = memchr(buf + i, '\n', len - i);
			size_t l = nl != NULL ? (size_t)(nl - (buf + i)) : len - i, k = 0;
			json_t *o;

			line++;
			while (k < l &&
			       (buf[i + k] == ' ' || buf[i + k] == '\t' || buf[i + k] == '\r'))
				k++;
			if (k < l) {
				if ((o = json_loadb((const char *)buf + i, l, flags, &e)) == NULL) {
					r = parse_fail(&e, line);
					break;
				}
				if ((r = grow(&b, &cap)) == SC_OK) {
					memset(&b.items[b.n], 0, sizeof(b.items[0]));
					b.n++;
					r = take_item(&b, o, item_max, b.n - 1, &b.items[b.n - 1]);
				}
				json_decref(o);
			}
			i += l + 1;
		}
	}
	if (r == SC_OK && b.n == 0) {
		sc_set_error("the batch has no item");
		r = SC_ERR_INVALID;
	}
	if (r != SC_OK) {
		sc_keys_jbatch_free(&b);
		return r;
	}
	*out = b;
	return SC_OK;
}
