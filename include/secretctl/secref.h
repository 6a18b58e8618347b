/* secref.h - secret references, "secretctl://NAME[/FIELD]" (store/secref.c):
 * what `run --env-file`, `read` and `inject` take.
 *
 * Syntax (strict): the scheme "secretctl://" (lower case), then a path that
 * is a valid secret name (letters, digits, '.', '_', '-', '/'; no empty
 * segment, none starting with '.' or '-', no trailing '/'). Nothing else:
 * no percent-encoding (every character a name may hold is already safe in
 * a URI, so '%' is refused like any other), no query, no fragment, no host.
 *
 * Resolution: the whole path names a secret first (its field "value", or
 * its only field); failing that, the last segment is a field of the secret
 * the rest names. */
#ifndef SECRETCTL_SECREF_H
#define SECRETCTL_SECREF_H

#include "secretctl/secret.h"

#define SC_SECREF_SCHEME "secretctl://"
#define SC_SECREF_SCHEME_LEN 12

/* 1 when s starts with the scheme (a reference, valid or not). */
int sc_secref_is_ref(const char *s);
/* SC_OK with *path (pointing into uri) when uri is a valid reference;
 * SC_ERR_INVALID otherwise. */
int sc_secref_parse(const char *uri, const char **path) SC_WUR;

/* The field a reference (or `get`) picks: field named -> its index, or -1;
 * none named -> "value", else the only field, else -2 (several). */
int sc_secret_pick_field(const struct sc_secret *s, const char *field);

/* How to fetch a secret by name (the vault, or an agent). SC_OK with *out,
 * SC_ERR_NOT_FOUND, or another status (passed on). */
typedef int (*sc_secref_get_fn)(void *arg, const char *name, struct sc_secret **out);

/* Resolve a path (see above): SC_OK with *out (the caller frees) and *fi a
 * field index; SC_ERR_NOT_FOUND when neither reading names a secret and
 * field; SC_ERR_INVALID when the secret has several fields and the path
 * names none. *name_out (cap bytes, may be NULL) gets the secret's name
 * whenever a secret was found. */
int sc_secref_resolve(sc_secref_get_fn get, void *arg, const char *path, struct sc_secret **out,
                      int *fi, char *name_out, size_t cap) SC_WUR;

struct sc_vault;
/* A getter over an unlocked vault (arg: the struct sc_vault *). */
int sc_secref_vault_get(void *arg, const char *name, struct sc_secret **out);

#endif
