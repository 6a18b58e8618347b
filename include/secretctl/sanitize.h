/* sanitize.h - streaming redaction of secret values (and their common
 * encodings) from a child's output. */
#ifndef SECRETCTL_SANITIZE_H
#define SECRETCTL_SANITIZE_H

#include "secretctl.h"

/* Values shorter than this are not pattern-matched (too many false hits). */
#define SC_SANITIZE_MIN_LEN 4

/* A compiled set of patterns, shared read-only by any number of streams. */
struct sc_sanitizer;
/* Per-output-stream state (one for stdout, one for stderr). */
struct sc_sanitize_stream;

/* Receives sanitized bytes; a non-zero return aborts the feed with it. */
typedef int (*sc_sink_fn)(void *arg, const uint8_t *buf, size_t len);

int sc_sanitizer_new(struct sc_sanitizer **out) SC_WUR;
/* Add a secret value; label (e.g. the variable name) appears in the
 * replacement "[REDACTED:label]". Values shorter than SC_SANITIZE_MIN_LEN
 * are ignored (returns SC_OK; *added set to 0 when non-NULL). */
int sc_sanitizer_add(struct sc_sanitizer *z, const uint8_t *value, size_t len, const char *label,
		     int *added) SC_WUR;
/* Build the matcher; no add after this. */
int sc_sanitizer_compile(struct sc_sanitizer *z) SC_WUR;
/* Number of byte patterns in the compiled matcher. */
size_t sc_sanitizer_pattern_count(const struct sc_sanitizer *z);
void sc_sanitizer_free(struct sc_sanitizer *z);

int sc_sanitize_stream_new(const struct sc_sanitizer *z, struct sc_sanitize_stream **out) SC_WUR;
/* Feed bytes; emits everything that can no longer be part of a match. */
int sc_sanitize_feed(struct sc_sanitize_stream *st, const uint8_t *in, size_t len, sc_sink_fn sink,
		     void *arg) SC_WUR;
/* End of stream: emits what was held back. */
int sc_sanitize_finish(struct sc_sanitize_stream *st, sc_sink_fn sink, void *arg) SC_WUR;
void sc_sanitize_stream_free(struct sc_sanitize_stream *st);

#endif
