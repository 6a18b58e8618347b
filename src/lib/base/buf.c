/* buf.c - the bounded buffer and big-endian codec (semantics: buf.h). */
#include <stdlib.h>
#include <string.h>

#include "secretctl/buf.h"
#include "secretctl/secmem.h"

void sc_buf_init(struct sc_buf *b, size_t max, unsigned flags)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
	b->flags = flags;
}

void sc_buf_init_fixed(struct sc_buf *b, void *mem, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->d = mem;
	b->cap = b->max = cap;
	b->fixed = 1;
}

void sc_buf_init_reader(struct sc_buf *b, const void *data, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->d = (uint8_t *)data; /* never written through */
	b->len = b->cap = b->max = len;
	b->fixed = 1;
}

void sc_buf_release(struct sc_buf *b)
{
	if (!b->fixed && b->d != NULL) {
		if (b->flags & SC_BUF_SECURE)
			sc_secmem_free(b->d);
		else {
			sc_wipe(b->d, b->cap);
			free(b->d);
		}
	}
	b->d = NULL;
	b->len = b->cap = b->off = 0;
}

uint8_t *sc_buf_steal(struct sc_buf *b, size_t *len)
{
	uint8_t *d = b->d;

	*len = b->len;
	b->d = NULL;
	b->len = b->cap = b->off = 0;
	return d;
}

int sc_buf_status(const struct sc_buf *b)
{
	return b->err;
}

size_t sc_buf_left(const struct sc_buf *b)
{
	return b->len - b->off;
}

const uint8_t *sc_buf_ptr(const struct sc_buf *b)
{
	return b->d + b->off;
}

static int fail(struct sc_buf *b, int r)
{
	if (b->err == SC_OK)
		b->err = r;
	return b->err;
}

uint8_t *sc_buf_reserve(struct sc_buf *b, size_t n)
{
	size_t want;
	uint8_t *d;

	if (b->err != SC_OK)
		return NULL;
	if (n > b->max - b->len) {
		fail(b, SC_ERR_TOOBIG);
		return NULL;
	}
	if (n > b->cap - b->len) {
		if (b->fixed) {
			fail(b, SC_ERR_TOOBIG);
			return NULL;
		}
		want = b->cap ? b->cap : 64;
		while (want - b->len < n)
			want = want > b->max / 2 ? b->max : want * 2;
		if (b->flags & SC_BUF_SECURE)
			d = sc_secmem_realloc(b->d, want);
		else if ((d = malloc(want)) != NULL && b->d != NULL) {
			memcpy(d, b->d, b->len);
			sc_wipe(b->d, b->cap);
			free(b->d);
		}
		if (d == NULL) {
			fail(b, SC_ERR_NOMEM);
			return NULL;
		}
		b->d = d;
		b->cap = want;
	}
	d = b->d + b->len;
	b->len += n;
	return d;
}

int sc_buf_put(struct sc_buf *b, const void *p, size_t n)
{
	uint8_t *d;

	if (n == 0)
		return b->err;
	if ((d = sc_buf_reserve(b, n)) == NULL)
		return b->err;
	memcpy(d, p, n);
	return SC_OK;
}

int sc_buf_put_uint(struct sc_buf *b, uint64_t v, int bytes)
{
	uint8_t *d;
	int i;

	if (bytes < 1 || bytes > 8 || (bytes < 8 && v >> (8 * bytes) != 0))
		return fail(b, SC_ERR_INTERNAL);
	if ((d = sc_buf_reserve(b, (size_t)bytes)) == NULL)
		return b->err;
	for (i = 0; i < bytes; i++)
		d[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	return SC_OK;
}

int sc_buf_put_u8(struct sc_buf *b, uint8_t v)
{
	return sc_buf_put_uint(b, v, 1);
}

int sc_buf_put_u16(struct sc_buf *b, uint16_t v)
{
	return sc_buf_put_uint(b, v, 2);
}

int sc_buf_put_u32(struct sc_buf *b, uint32_t v)
{
	return sc_buf_put_uint(b, v, 4);
}

int sc_buf_put_u64(struct sc_buf *b, uint64_t v)
{
	return sc_buf_put_uint(b, v, 8);
}

int sc_buf_get_ptr(struct sc_buf *b, size_t n, const uint8_t **p)
{
	if (b->err != SC_OK)
		return b->err;
	if (n > b->len - b->off)
		return fail(b, SC_ERR_CORRUPT);
	*p = b->d + b->off;
	b->off += n;
	return SC_OK;
}

int sc_buf_get(struct sc_buf *b, void *p, size_t n)
{
	const uint8_t *s;
	int r;

	if ((r = sc_buf_get_ptr(b, n, &s)) != SC_OK)
		return r;
	if (n > 0)
		memcpy(p, s, n);
	return SC_OK;
}

int sc_buf_get_uint(struct sc_buf *b, int bytes, uint64_t *v)
{
	const uint8_t *s;
	int i, r;

	if (bytes < 1 || bytes > 8)
		return fail(b, SC_ERR_INTERNAL);
	if ((r = sc_buf_get_ptr(b, (size_t)bytes, &s)) != SC_OK)
		return r;
	*v = 0;
	for (i = 0; i < bytes; i++)
		*v = (*v << 8) | s[i];
	return SC_OK;
}

int sc_buf_get_u8(struct sc_buf *b, uint8_t *v)
{
	uint64_t x;
	int r = sc_buf_get_uint(b, 1, &x);

	if (r == SC_OK)
		*v = (uint8_t)x;
	return r;
}

int sc_buf_get_u16(struct sc_buf *b, uint16_t *v)
{
	uint64_t x;
	int r = sc_buf_get_uint(b, 2, &x);

	if (r == SC_OK)
		*v = (uint16_t)x;
	return r;
}

int sc_buf_get_u32(struct sc_buf *b, uint32_t *v)
{
	uint64_t x;
	int r = sc_buf_get_uint(b, 4, &x);

	if (r == SC_OK)
		*v = (uint32_t)x;
	return r;
}

int sc_buf_get_u64(struct sc_buf *b, uint64_t *v)
{
	return sc_buf_get_uint(b, 8, v);
}

void sc_be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void sc_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void sc_be64_put(uint8_t *p, uint64_t v)
{
	sc_be32_put(p, (uint32_t)(v >> 32));
	sc_be32_put(p + 4, (uint32_t)v);
}

uint16_t sc_be16_get(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t sc_be32_get(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

uint64_t sc_be64_get(const uint8_t *p)
{
	return ((uint64_t)sc_be32_get(p) << 32) | sc_be32_get(p + 4);
}
