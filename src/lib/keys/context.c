/* context.c - encryption contexts: k=v pairs kept sorted by key, with one
 * canonical length-prefixed encoding that ciphertexts bind as AAD. */
#include <stdlib.h>
#include <string.h>

#include "keys/keys_int.h"

struct pair {
	char *key; /* malloc'd, NUL-terminated */
	size_t klen;
	uint8_t *value; /* malloc'd (a NUL follows) */
	size_t vlen;
};

struct sc_keys_ctx {
	struct pair p[SC_KEYS_CTX_PAIRS_MAX];
	size_t n;
	size_t encoded; /* length of the encoding */
};

int sc_keys_ctx_new(struct sc_keys_ctx **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return SC_ERR_NOMEM;
	(*out)->encoded = 2;
	return SC_OK;
}

void sc_keys_ctx_free(struct sc_keys_ctx *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->p[i].key);
		free(c->p[i].value);
	}
	free(c);
}

size_t sc_keys_ctx_count(const struct sc_keys_ctx *c)
{
	return c != NULL ? c->n : 0;
}

/* Bytewise order, a prefix first: the order of the encoding. */
static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

int sc_keys_ctx_add(struct sc_keys_ctx *c, const char *key, size_t key_len, const uint8_t *value,
                    size_t value_len)
{
	struct pair np;
	size_t i, at, grow;

	if (key == NULL || key_len == 0) {
		sc_set_error("an encryption context key is not empty");
		return SC_ERR_INVALID;
	}
	if (key_len > SC_KEYS_CTX_KEY_MAX || value_len > SC_KEYS_CTX_VALUE_MAX) {
		sc_set_error("an encryption context key has at most %d bytes, a value %d",
		             SC_KEYS_CTX_KEY_MAX, SC_KEYS_CTX_VALUE_MAX);
		return SC_ERR_TOOBIG;
	}
	for (i = 0; i < key_len; i++) {
		unsigned char ch = (unsigned char)key[i];

		if (ch < 0x20 || ch == 0x7f || ch == '=') {
			sc_set_error("an encryption context key has no '=' or control character");
			return SC_ERR_INVALID;
		}
	}
	if (value == NULL && value_len > 0)
		return SC_ERR_INVALID;
	for (at = 0; at < c->n; at++) {
		int d = key_cmp(c->p[at].key, c->p[at].klen, key, key_len);

		if (d == 0) {
			sc_set_error("encryption context key '%.*s' is given twice", (int)key_len,
			             key);
			return SC_ERR_INVALID;
		}
		if (d > 0)
			break;
	}
	grow = 2 + key_len + 4 + value_len;
	if (c->n >= SC_KEYS_CTX_PAIRS_MAX || c->encoded + grow > SC_KEYS_CTX_ENCODED_MAX) {
		sc_set_error("an encryption context has at most %d pairs and %d bytes",
		             SC_KEYS_CTX_PAIRS_MAX, SC_KEYS_CTX_ENCODED_MAX);
		return SC_ERR_TOOBIG;
	}
	np.key = malloc(key_len + 1);
	np.value = malloc(value_len + 1);
	if (np.key == NULL || np.value == NULL) {
		free(np.key);
		free(np.value);
		return SC_ERR_NOMEM;
	}
	memcpy(np.key, key, key_len);
	np.key[key_len] = '\0';
	if (value_len > 0)
		memcpy(np.value, value, value_len);
	np.value[value_len] = 0;
	np.klen = key_len;
	np.vlen = value_len;
	memmove(&c->p[at + 1], &c->p[at], (c->n - at) * sizeof(c->p[0]));
	c->p[at] = np;
	c->n++;
	c->encoded += grow;
	return SC_OK;
}

int sc_keys_ctx_add_kv(struct sc_keys_ctx *c, const char *kv)
{
	const char *eq;
	size_t n;

	if (kv == NULL || (eq = strchr(kv, '=')) == NULL) {
		sc_set_error("an encryption context is given as key=value");
		return SC_ERR_INVALID;
	}
	n = strlen(eq + 1);
	return sc_keys_ctx_add(c, kv, (size_t)(eq - kv), (const uint8_t *)(eq + 1), n);
}

size_t sc_keys_ctx_encoded_len(const struct sc_keys_ctx *c)
{
	return c != NULL ? c->encoded : 2;
}

void sc_keys_ctx_write(const struct sc_keys_ctx *c, uint8_t *out)
{
	size_t i, n = sc_keys_ctx_count(c);

	sc_be16_put(out, (uint16_t)n);
	out += 2;
	for (i = 0; i < n; i++) {
		const struct pair *p = &c->p[i];

		sc_be16_put(out, (uint16_t)p->klen);
		memcpy(out + 2, p->key, p->klen);
		out += 2 + p->klen;
		sc_be32_put(out, (uint32_t)p->vlen);
		if (p->vlen > 0)
			memcpy(out + 4, p->value, p->vlen);
		out += 4 + p->vlen;
	}
}

int sc_keys_ctx_encode(const struct sc_keys_ctx *c, uint8_t **out, size_t *out_len)
{
	size_t n = sc_keys_ctx_encoded_len(c);

	*out = NULL;
	*out_len = 0;
	if ((*out = malloc(n)) == NULL)
		return SC_ERR_NOMEM;
	sc_keys_ctx_write(c, *out);
	*out_len = n;
	return SC_OK;
}

int sc_keys_ctx_decode(const uint8_t *enc, size_t len, struct sc_keys_ctx **out)
{
	struct sc_keys_ctx *c = NULL;
	struct sc_buf b;
	uint16_t n, kl;
	uint32_t vl;
	const uint8_t *k, *v;
	size_t i;
	int r;

	*out = NULL;
	if (len > SC_KEYS_CTX_ENCODED_MAX)
		return SC_ERR_TOOBIG;
	if ((r = sc_keys_ctx_new(&c)) != SC_OK)
		return r;
	sc_buf_init_reader(&b, enc, len);
	r = sc_buf_get_u16(&b, &n) == SC_OK && n <= SC_KEYS_CTX_PAIRS_MAX ? SC_OK : SC_ERR_INVALID;
	for (i = 0; r == SC_OK && i < n; i++) {
		if (sc_buf_get_u16(&b, &kl) != SC_OK || sc_buf_get_ptr(&b, kl, &k) != SC_OK ||
		    sc_buf_get_u32(&b, &vl) != SC_OK || sc_buf_get_ptr(&b, vl, &v) != SC_OK) {
			r = SC_ERR_INVALID;
			break;
		}
		/* sorted and without duplicates: each key after the last */
		if (c->n > 0 &&
		    key_cmp(c->p[c->n - 1].key, c->p[c->n - 1].klen, (const char *)k, kl) >= 0) {
			r = SC_ERR_INVALID;
			break;
		}
		if (memchr(k, '\0', kl) != NULL) {
			r = SC_ERR_INVALID;
			break;
		}
		r = sc_keys_ctx_add(c, (const char *)k, kl, v, vl);
	}
	if (r == SC_OK && sc_buf_left(&b) != 0)
		r = SC_ERR_INVALID;
	if (r != SC_OK) {
		sc_keys_ctx_free(c);
		if (r != SC_ERR_NOMEM && *sc_last_error() == '\0')
			sc_set_error("a malformed encryption context");
		return r == SC_ERR_NOMEM ? r : SC_ERR_INVALID;
	}
	*out = c;
	return SC_OK;
}

int sc_keys_ctx_at(const struct sc_keys_ctx *c, size_t i, const char **key, size_t *key_len,
                   const uint8_t **value, size_t *value_len)
{
	if (c == NULL || i >= c->n)
		return SC_ERR_NOT_FOUND;
	*key = c->p[i].key;
	*key_len = c->p[i].klen;
	*value = c->p[i].value;
	*value_len = c->p[i].vlen;
	return SC_OK;
}
