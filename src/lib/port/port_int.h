/* port_int.h - the codecs inside port/, one per input format. */
#ifndef SC_PORT_INT_H
#define SC_PORT_INT_H

#include <jansson.h>

#include "secretctl/port.h"

int sc_import_parse_env(const uint8_t *in, size_t len, struct sc_import_set *set);
int sc_import_parse_json(const uint8_t *in, size_t len, struct sc_import_set *set);
int sc_import_parse_gosecretctl(const uint8_t *in, size_t len, struct sc_import_set *set);
int sc_import_parse_bitwarden(const uint8_t *in, size_t len, struct sc_import_set *set);
int sc_import_parse_1pux(const uint8_t *in, size_t len, struct sc_import_set *set);
int sc_import_parse_lastpass(const uint8_t *in, size_t len, struct sc_import_set *set);
int sc_import_parse_1password_csv(const uint8_t *in, size_t len, struct sc_import_set *set);

/* Load JSON (bounded depth by Jansson), naming line and column on error. */
int sc_port_json_load(const uint8_t *in, size_t len, json_t **out);
/* A member that must be a string (or absent/null: *out NULL). */
int sc_port_json_str(json_t *obj, const char *key, const char *path, const char **out);

#endif
