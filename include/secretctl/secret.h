/* secret.h - the secret model (names, fields, bindings, tags) and the
 * record body codec (store/secret.c, store/record.c). */
#ifndef SECRETCTL_SECRET_H
#define SECRETCTL_SECRET_H

#include "secretctl/status.h"

/* ---- the secret model (secret.c, record.c) ------------------------------- */

#define SC_NAME_MAX 256
#define SC_VALUE_MAX (1024 * 1024)
#define SC_FIELD_NAME_MAX 64
#define SC_FIELDS_MAX 64
#define SC_TAGS_MAX 32
#define SC_TAG_MAX 64
#define SC_BINDINGS_MAX 64
#define SC_ENV_NAME_MAX 128
#define SC_NOTES_MAX (64 * 1024)
#define SC_URL_MAX 2048
#define SC_HINT_MAX 256

/* Validation of the names the model uses; SC_OK or SC_ERR_NAME. */
int sc_name_valid(const char *name) SC_WUR;
int sc_field_name_valid(const char *name) SC_WUR;
int sc_env_name_valid(const char *name) SC_WUR;
int sc_tag_valid(const char *tag) SC_WUR;

/* A secret: name, fields (name, value, sensitive flag, hint), bindings
 * (ENV_NAME -> field), tags, notes, URL, expiry. Everything it holds lives
 * in guarded memory and is wiped when it is freed. */
struct sc_secret;

int sc_secret_new(struct sc_secret **out, const char *name) SC_WUR;
void sc_secret_free(struct sc_secret *s);
int sc_secret_add_field(struct sc_secret *s, const char *name, const void *value, size_t len,
                        int sensitive) SC_WUR;
int sc_secret_set_hint(struct sc_secret *s, const char *field, const char *hint) SC_WUR;
int sc_secret_add_binding(struct sc_secret *s, const char *env, const char *field) SC_WUR;
int sc_secret_add_tag(struct sc_secret *s, const char *tag) SC_WUR;
int sc_secret_set_notes(struct sc_secret *s, const char *notes) SC_WUR;
int sc_secret_set_url(struct sc_secret *s, const char *url) SC_WUR;
/* Unix seconds; 0 means no expiry. */
void sc_secret_set_expires(struct sc_secret *s, int64_t expires);

const char *sc_secret_name(const struct sc_secret *s);
size_t sc_secret_field_count(const struct sc_secret *s);
/* Field i: its name, value (not NUL-terminated by contract, though a NUL
 * follows it), length and flags. */
int sc_secret_field(const struct sc_secret *s, size_t i, const char **name, const uint8_t **value,
                    size_t *len, int *sensitive, const char **hint) SC_WUR;
/* Seal field's value under the named key (keys.h) when the secret is
 * written (NULL: no longer); the key's name is checked then. Reading it
 * back gives the plaintext, and the key's name. */
int sc_secret_set_field_key(struct sc_secret *s, const char *field, const char *key) SC_WUR;
const char *sc_secret_field_key(const struct sc_secret *s, size_t i); /* NULL: none */
/* Index of the field with this name, or -1. */
int sc_secret_field_index(const struct sc_secret *s, const char *name);
size_t sc_secret_binding_count(const struct sc_secret *s);
int sc_secret_binding(const struct sc_secret *s, size_t i, const char **env,
                      const char **field) SC_WUR;
size_t sc_secret_tag_count(const struct sc_secret *s);
const char *sc_secret_tag(const struct sc_secret *s, size_t i);
int sc_secret_has_tag(const struct sc_secret *s, const char *tag);
const char *sc_secret_notes(const struct sc_secret *s); /* NULL when unset */
const char *sc_secret_url(const struct sc_secret *s);   /* NULL when unset */
int64_t sc_secret_expires(const struct sc_secret *s);
int64_t sc_secret_created(const struct sc_secret *s);
int64_t sc_secret_updated(const struct sc_secret *s);
/* 1 when the secret has an expiry at or before `now`. */
int sc_secret_is_expired(const struct sc_secret *s, int64_t now);

/* Record body codec (the plaintext inside a sealed record). Encoding
 * allocates *out in secmem. Decoding is strict: every length bounded, no
 * trailing bytes, every name validated. */
int sc_record_encode(const struct sc_secret *s, uint8_t **out, size_t *out_len) SC_WUR;
int sc_record_decode(const uint8_t *buf, size_t len, struct sc_secret **out) SC_WUR;

#endif
