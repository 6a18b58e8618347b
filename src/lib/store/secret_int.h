/* secret_int.h - the secret model's insides, shared by secret.c, record.c
 * and vault.c. */
#ifndef SC_SECRET_INT_H
#define SC_SECRET_INT_H

#include "secretctl/secretctl.h"

#define SC_FIELD_KEY_MAX 64 /* SC_KEY_NAME_MAX */

struct sc_field {
	char *name;
	uint8_t *value; /* NUL follows value[len] */
	size_t len;
	int sensitive;
	char *hint;
	/* sealed under a named key (fieldkeys.c): key names it; wrapped says
	 * value is then the sc:v1 text, else the plaintext still to seal */
	char key[SC_FIELD_KEY_MAX + 1];
	int wrapped;
};

struct sc_binding {
	char *env;
	char *field;
};

struct sc_secret {
	char *name;
	struct sc_field fields[SC_FIELDS_MAX];
	size_t nfields;
	struct sc_binding bindings[SC_BINDINGS_MAX];
	size_t nbindings;
	char *tags[SC_TAGS_MAX];
	size_t ntags;
	char *notes;
	char *url;
	int64_t expires, created, updated;
	/* When decoded, every string above points into this one secmem block
	 * (owned unless borrowed); when built, each string is its own block. */
	uint8_t *arena;
	size_t arena_cap;
	int arena_borrowed;
};

/* Decode into a caller-owned struct, reusing *arena (grown as needed,
 * secmem). Used by the vault walk so 100k records cost no 100k mmaps. */
int sc_record_decode_into(const uint8_t *buf, size_t len, struct sc_secret *s, uint8_t **arena,
                          size_t *arena_cap) SC_WUR;
/* Encoding in two steps, into a caller's buffer of exactly the length. */
size_t sc_record_encoded_len(const struct sc_secret *s);
int sc_record_encode_buf(const struct sc_secret *s, uint8_t *buf, size_t len) SC_WUR;
/* Release what a struct holds (not the arena when borrowed). */
void sc_secret_release(struct sc_secret *s);

#endif
