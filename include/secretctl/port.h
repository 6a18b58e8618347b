/* port.h - import and export codecs (port/): the files other tools (and
 * our own export) write, parsed into a set of secrets; and our JSON export
 * written from secrets. Pure codecs: no I/O but the bytes given, no
 * printing. Errors name the place in the input through sc_last_error():
 * "line 12: ..." or "items[3].login: ...". */
#ifndef SECRETCTL_PORT_H
#define SECRETCTL_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/secret.h"
#include "secretctl/status.h"

/* The largest input file an import reads. */
#define SC_IMPORT_FILE_MAX (256u * 1024 * 1024)
/* Our JSON export's "format" and "version" keys. */
#define SC_EXPORT_FORMAT_NAME "secretctl-export"
#define SC_EXPORT_VERSION 1

enum sc_import_format {
	SC_IMPORT_ENV = 0,
	SC_IMPORT_JSON,          /* our own export (SC_EXPORT_FORMAT_NAME) */
	SC_IMPORT_GOSECRETCTL,   /* the Go secretctl's export --format=json [--with-metadata] */
	SC_IMPORT_1PASSWORD_CSV, /* 1Password's CSV export (header row) */
	SC_IMPORT_1PUX,          /* a 1Password .1pux archive (a zip with export.data) */
	SC_IMPORT_BITWARDEN,     /* Bitwarden's unencrypted JSON export */
	SC_IMPORT_LASTPASS,      /* LastPass's CSV export */
	SC_IMPORT_PASS           /* a password-store entry (the decrypted text) */
};

/* A set of secrets being imported, in input order, with the names unique.
 * Names are prefix + the name the input gives: exact for env, json and
 * gosecretctl (an invalid one is an error), made from titles for the
 * password managers (sc_import_set_title). */
struct sc_import_set;

/* Each secret, once the codec has finished it, goes to sink (which may
 * change it, e.g. add tags) and is then wiped: an input of any size is
 * never held whole in guarded memory. A sink's failure stops the parse
 * with its status and message. sink NULL: the secrets are only checked.
 * The set keeps every name, in input order. */
typedef int (*sc_import_sink_fn)(struct sc_secret *s, void *arg);
int sc_import_set_new(struct sc_import_set **out, const char *prefix, sc_import_sink_fn sink,
                      void *arg) SC_WUR;
void sc_import_set_free(struct sc_import_set *set);
size_t sc_import_set_count(const struct sc_import_set *set);
const char *sc_import_set_name(const struct sc_import_set *set, size_t i);
/* Hand the last secret to the sink; the sink's first failure, if any,
 * with its message. sc_import_parse calls it. */
int sc_import_set_finish(struct sc_import_set *set) SC_WUR;
/* 1 once the sink has failed (the codec's own message is then moot). */
int sc_import_set_failed(const struct sc_import_set *set);
/* Values the input had that hold nothing (KEY= in a .env), not imported. */
size_t sc_import_set_empty(const struct sc_import_set *set);
void sc_import_set_note_empty(struct sc_import_set *set);
/* A new secret named prefix + name, owned by the set until the next one
 * is added: SC_ERR_NAME for an invalid name, SC_ERR_EXISTS when the input
 * names it twice. */
int sc_import_set_add(struct sc_import_set *set, const char *name, struct sc_secret **out) SC_WUR;
/* The same for a title from a password manager: folder/title with every
 * run of characters a name cannot hold turned into one '-', and "-2",
 * "-3" ... added when the input has that name already. */
int sc_import_set_title(struct sc_import_set *set, const char *folder, const char *title,
                        struct sc_secret **out) SC_WUR;
/* A field name made from a label the same way (lower-cased, at most
 * SC_FIELD_NAME_MAX bytes), made unique within s ("-2" ...); out holds
 * SC_FIELD_NAME_MAX + 1 bytes. */
int sc_import_field_name(const struct sc_secret *s, const char *label, char *out) SC_WUR;
/* Add a field from text, skipping an empty one (*added 0). */
int sc_import_add_text(struct sc_secret *s, const char *label, const char *value, size_t len,
                       int sensitive) SC_WUR;
/* Notes from foreign text: CR dropped, other control characters refused. */
int sc_import_set_notes(struct sc_secret *s, const char *notes) SC_WUR;

/* Parse buf (len bytes) in format into set. */
int sc_import_parse(int format, const uint8_t *buf, size_t len, struct sc_import_set *set) SC_WUR;
/* One entry of a password store: the decrypted text of NAME.gpg (first
 * line the password, then "key: value" lines and notes). */
int sc_import_pass_entry(struct sc_import_set *set, const char *name, const uint8_t *buf,
                         size_t len) SC_WUR;

/* ---- export ---- */
/* A .env line for variable var and value (quoted when it needs to be),
 * appended to *out (secmem, grown; *len, *cap). SC_ERR_INVALID for a
 * value with a NUL byte. */
int sc_export_env_line(const char *var, const uint8_t *value, size_t len, char **out,
                       size_t *out_len, size_t *cap) SC_WUR;
/* Our JSON export: begin, add secrets, finish into *out (secmem, NUL-
 * terminated, *len without it). */
struct sc_export_json;
int sc_export_json_new(struct sc_export_json **out) SC_WUR;
int sc_export_json_add(struct sc_export_json *ej, const struct sc_secret *s) SC_WUR;
int sc_export_json_finish(struct sc_export_json *ej, char **out, size_t *len) SC_WUR;
void sc_export_json_free(struct sc_export_json *ej);

#endif
