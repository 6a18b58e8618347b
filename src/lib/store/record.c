/* record.c - the record body codec: the plaintext sealed inside each vault
 * record. Big-endian, length-prefixed, strictly validated on decode.
 *
 *   "SCR1" u8 kind(=1)
 *   u16 name_len, name
 *   i64 created, updated, expires
 *   u8 nfields   { u8 len, name; u8 flags(bit0 sensitive); u16 len, hint; u32 len, value }
 *   u8 nbindings { u8 len, env; u8 len, field }
 *   u8 ntags     { u8 len, tag }
 *   u32 len, notes; u16 len, url          (absent = length 0)
 *
 * "SCR2" is the same body for a secret with a field sealed under a named
 * key (fieldkeys.c): its flags gain bit1, and such a field's value is the
 * sc:v1 text of keys.h (which names the key and version). A secret
 * without one is written as SCR1, so older vaults keep their bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "secretctl/keys.h"
#include "store/secret_int.h"

#define MAGIC "SCR1"
#define MAGIC2 "SCR2"
#define FLAG_SENSITIVE 1u
#define FLAG_WRAPPED 2u
#define KIND_SECRET 1

static void put_str(struct sc_buf *w, const char *s, int lenbytes)
{
	size_t n = s ? strlen(s) : 0;

	sc_buf_put_uint(w, n, lenbytes);
	sc_buf_put(w, s, n);
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

size_t sc_record_encoded_len(const struct sc_secret *s)
{
	size_t i, need;

	need = 4 + 1 + 2 + slen(s->name) + 24 + 1 + 1 + 1 + 4 + slen(s->notes) + 2 + slen(s->url);
	for (i = 0; i < s->nfields; i++)
		need += 1 + slen(s->fields[i].name) + 1 + 2 + slen(s->fields[i].hint) + 4 +
		        s->fields[i].len;
	for (i = 0; i < s->nbindings; i++)
		need += 2 + slen(s->bindings[i].env) + slen(s->bindings[i].field);
	for (i = 0; i < s->ntags; i++)
		need += 1 + slen(s->tags[i]);
	return need;
}

int sc_record_encode_buf(const struct sc_secret *s, uint8_t *buf, size_t len)
{
	struct sc_buf w;
	size_t i;
	int v2 = 0;

	if (len != sc_record_encoded_len(s))
		return SC_ERR_INTERNAL;
	for (i = 0; i < s->nfields; i++) {
		/* a value still to seal under its key is never written */
		if (s->fields[i].key[0] != '\0' && !s->fields[i].wrapped)
			return SC_ERR_INTERNAL;
		v2 |= s->fields[i].wrapped;
	}
	sc_buf_init_fixed(&w, buf, len);
	sc_buf_put(&w, v2 ? MAGIC2 : MAGIC, 4);
	sc_buf_put_u8(&w, KIND_SECRET);
	put_str(&w, s->name, 2);
	sc_buf_put_uint(&w, (uint64_t)s->created, 8);
	sc_buf_put_uint(&w, (uint64_t)s->updated, 8);
	sc_buf_put_uint(&w, (uint64_t)s->expires, 8);
	sc_buf_put_u8(&w, (uint8_t)s->nfields);
	for (i = 0; i < s->nfields; i++) {
		put_str(&w, s->fields[i].name, 1);
		sc_buf_put_u8(&w, (uint8_t)((s->fields[i].sensitive ? FLAG_SENSITIVE : 0) |
		                            (s->fields[i].wrapped ? FLAG_WRAPPED : 0)));
		put_str(&w, s->fields[i].hint, 2);
		sc_buf_put_uint(&w, s->fields[i].len, 4);
		sc_buf_put(&w, s->fields[i].value, s->fields[i].len);
	}
	sc_buf_put_u8(&w, (uint8_t)s->nbindings);
	for (i = 0; i < s->nbindings; i++) {
		put_str(&w, s->bindings[i].env, 1);
		put_str(&w, s->bindings[i].field, 1);
	}
	sc_buf_put_u8(&w, (uint8_t)s->ntags);
	for (i = 0; i < s->ntags; i++)
		put_str(&w, s->tags[i], 1);
	put_str(&w, s->notes, 4);
	put_str(&w, s->url, 2);
	return sc_buf_status(&w) == SC_OK && w.len == len ? SC_OK : SC_ERR_INTERNAL;
}

int sc_record_encode(const struct sc_secret *s, uint8_t **out, size_t *out_len)
{
	size_t need = sc_record_encoded_len(s);
	uint8_t *p;
	int r;

	*out = NULL;
	*out_len = 0;
	if ((p = sc_secmem_alloc(need)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_record_encode_buf(s, p, need)) != SC_OK) {
		sc_secmem_free(p);
		return r;
	}
	*out = p;
	*out_len = need;
	return SC_OK;
}

/* ---- decoding ---- */

struct rbuf {
	struct sc_buf b; /* the record body, read through the bounded codec */
	uint8_t *arena;  /* strings are copied here, NUL-terminated */
	size_t arena_off, arena_cap;
};

static int get_uint(struct rbuf *r, int bytes, uint64_t *v)
{
	return sc_buf_get_uint(&r->b, bytes, v) == SC_OK ? SC_OK : SC_ERR_CORRUPT;
}

/* Copy the next n bytes into the arena with a NUL after them. */
static int get_bytes(struct rbuf *r, size_t n, uint8_t **out)
{
	const uint8_t *p;

	if (r->arena_cap - r->arena_off < n + 1 || sc_buf_get_ptr(&r->b, n, &p) != SC_OK)
		return SC_ERR_CORRUPT;
	*out = r->arena + r->arena_off;
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	r->arena_off += n + 1;
	return SC_OK;
}

/* A length-prefixed text with no NUL inside; empty gives NULL when
 * allow_absent. */
static int get_text(struct rbuf *r, int lenbytes, size_t max, int allow_absent, char **out)
{
	uint64_t n;
	uint8_t *p;
	int rc;

	*out = NULL;
	if ((rc = get_uint(r, lenbytes, &n)) != SC_OK)
		return rc;
	if (n > max)
		return SC_ERR_CORRUPT;
	if (n == 0 && allow_absent)
		return SC_OK;
	if ((rc = get_bytes(r, (size_t)n, &p)) != SC_OK)
		return rc;
	if (memchr(p, '\0', (size_t)n) != NULL)
		return SC_ERR_CORRUPT;
	*out = (char *)p;
	return SC_OK;
}

/* The key a wrapped field's sc:v1 text names (checked, not opened). */
static int wrapped_key(struct sc_field *f)
{
	struct sc_keys_ct ct;

	if (sc_keys_ct_parse((const char *)f->value, f->len, &ct) != SC_OK)
		return SC_ERR_CORRUPT;
	memcpy(f->key, ct.name, sizeof(f->key));
	sc_keys_ct_release(&ct);
	return SC_OK;
}

static int decode(struct rbuf *r, struct sc_secret *s)
{
	uint64_t v, n, i, j;
	int rc;

	const uint8_t *magic;
	uint8_t kind;
	int v2, any = 0;

	if (sc_buf_get_ptr(&r->b, 4, &magic) != SC_OK ||
	    (memcmp(magic, MAGIC, 4) != 0 && memcmp(magic, MAGIC2, 4) != 0) ||
	    sc_buf_get_u8(&r->b, &kind) != SC_OK || kind != KIND_SECRET)
		return SC_ERR_CORRUPT;
	v2 = memcmp(magic, MAGIC2, 4) == 0;
	if ((rc = get_text(r, 2, SC_NAME_MAX, 0, &s->name)) != SC_OK)
		return rc;
	if (sc_name_valid(s->name) != SC_OK)
		return SC_ERR_CORRUPT;
	if ((rc = get_uint(r, 8, &v)) != SC_OK)
		return rc;
	s->created = (int64_t)v;
	if ((rc = get_uint(r, 8, &v)) != SC_OK)
		return rc;
	s->updated = (int64_t)v;
	if ((rc = get_uint(r, 8, &v)) != SC_OK)
		return rc;
	s->expires = (int64_t)v;
	if (s->created < 0 || s->updated < 0 || s->expires < 0)
		return SC_ERR_CORRUPT;

	if ((rc = get_uint(r, 1, &n)) != SC_OK)
		return rc;
	if (n > SC_FIELDS_MAX)
		return SC_ERR_CORRUPT;
	for (i = 0; i < n; i++) {
		struct sc_field *f = &s->fields[i];

		if ((rc = get_text(r, 1, SC_FIELD_NAME_MAX, 0, &f->name)) != SC_OK)
			return rc;
		if (sc_field_name_valid(f->name) != SC_OK)
			return SC_ERR_CORRUPT;
		for (j = 0; j < i; j++)
			if (strcmp(s->fields[j].name, f->name) == 0)
				return SC_ERR_CORRUPT;
		if ((rc = get_uint(r, 1, &v)) != SC_OK)
			return rc;
		if (v > (v2 ? (FLAG_SENSITIVE | FLAG_WRAPPED) : FLAG_SENSITIVE))
			return SC_ERR_CORRUPT;
		f->sensitive = (int)(v & FLAG_SENSITIVE);
		f->wrapped = (v & FLAG_WRAPPED) != 0;
		if ((rc = get_text(r, 2, SC_HINT_MAX, 1, &f->hint)) != SC_OK)
			return rc;
		if ((rc = get_uint(r, 4, &v)) != SC_OK)
			return rc;
		if (v > SC_VALUE_MAX)
			return SC_ERR_CORRUPT;
		if ((rc = get_bytes(r, (size_t)v, &f->value)) != SC_OK)
			return rc;
		f->len = (size_t)v;
		s->nfields = (size_t)i + 1;
		if (f->wrapped && (rc = wrapped_key(f)) != SC_OK)
			return rc;
		any |= f->wrapped;
	}
	if (v2 && !any)
		return SC_ERR_CORRUPT; /* SCR2 only for a secret with such a field */

	if ((rc = get_uint(r, 1, &n)) != SC_OK)
		return rc;
	if (n > SC_BINDINGS_MAX)
		return SC_ERR_CORRUPT;
	for (i = 0; i < n; i++) {
		struct sc_binding *b = &s->bindings[i];

		if ((rc = get_text(r, 1, SC_ENV_NAME_MAX, 0, &b->env)) != SC_OK ||
		    (rc = get_text(r, 1, SC_FIELD_NAME_MAX, 0, &b->field)) != SC_OK)
			return rc;
		if (sc_env_name_valid(b->env) != SC_OK || sc_field_name_valid(b->field) != SC_OK)
			return SC_ERR_CORRUPT;
		for (j = 0; j < i; j++)
			if (strcmp(s->bindings[j].env, b->env) == 0)
				return SC_ERR_CORRUPT;
		s->nbindings = (size_t)i + 1;
	}

	if ((rc = get_uint(r, 1, &n)) != SC_OK)
		return rc;
	if (n > SC_TAGS_MAX)
		return SC_ERR_CORRUPT;
	for (i = 0; i < n; i++) {
		if ((rc = get_text(r, 1, SC_TAG_MAX, 0, &s->tags[i])) != SC_OK)
			return rc;
		if (sc_tag_valid(s->tags[i]) != SC_OK)
			return SC_ERR_CORRUPT;
		s->ntags = (size_t)i + 1;
	}
	if ((rc = get_text(r, 4, SC_NOTES_MAX, 1, &s->notes)) != SC_OK ||
	    (rc = get_text(r, 2, SC_URL_MAX, 1, &s->url)) != SC_OK)
		return rc;
	if (sc_buf_left(&r->b) != 0)
		return SC_ERR_CORRUPT;
	return SC_OK;
}

int sc_record_decode_into(const uint8_t *buf, size_t len, struct sc_secret *s, uint8_t **arena,
                          size_t *arena_cap)
{
	struct rbuf r = {0};
	int rc;

	memset(s, 0, sizeof(*s));
	if (len > SC_FIELDS_MAX * ((size_t)SC_VALUE_MAX + 512) + 2 * SC_NOTES_MAX)
		return SC_ERR_CORRUPT;
	/* Every string gains one NUL; there are fewer strings than bytes. */
	if (*arena == NULL || *arena_cap < len + 1) {
		sc_secmem_free(*arena);
		*arena_cap = 0;
		if ((*arena = sc_secmem_alloc(len + 1)) == NULL)
			return SC_ERR_NOMEM;
		*arena_cap = len + 1;
	}
	sc_buf_init_reader(&r.b, buf, len);
	r.arena = *arena;
	r.arena_cap = *arena_cap;
	s->arena = *arena;
	s->arena_cap = *arena_cap;
	s->arena_borrowed = 1;
	if ((rc = decode(&r, s)) != SC_OK) {
		sc_wipe(*arena, r.arena_off);
		memset(s, 0, sizeof(*s));
	}
	return rc;
}

int sc_record_decode(const uint8_t *buf, size_t len, struct sc_secret **out)
{
	struct sc_secret *s;
	uint8_t *arena = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SC_ERR_NOMEM;
	if ((rc = sc_record_decode_into(buf, len, s, &arena, &cap)) != SC_OK) {
		sc_secmem_free(arena);
		free(s);
		return rc;
	}
	s->arena_borrowed = 0;
	*out = s;
	return SC_OK;
}
