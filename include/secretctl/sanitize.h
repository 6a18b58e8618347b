/* sanitize.h - streaming redaction of secret values (and their common
 * encodings) from a child's output. */
#ifndef SECRETCTL_SANITIZE_H
#define SECRETCTL_SANITIZE_H

#include "secretctl/vault.h" /* and everything the old secretctl.h declared */

/* Values shorter than this are not pattern-matched (too many false hits). */
#define SC_SANITIZE_MIN_LEN 4
/* Upper bound on the bytes of all expanded patterns of one sanitizer (a
 * value expands to 30 to 100 times its length); sc_sanitizer_add fails
 * with SC_ERR_TOOBIG beyond it. */
#define SC_SANITIZE_MAX_BYTES (16u * 1024 * 1024)
/* Longest label accepted by sc_sanitizer_add. */
#define SC_SANITIZE_LABEL_MAX 256

/*
 * What gets redacted. Each added value (length >= SC_SANITIZE_MIN_LEN)
 * expands into byte patterns: the raw value; hex (lower, upper); base64
 * (standard and URL-safe alphabets) of the value at the three alignments
 * k = 0, 1, 2 inside a longer encoded string -- the characters whose six
 * bits come from the value alone -- plus, where the value ends the encoded
 * data, that form with the final partial character, unpadded and padded;
 * percent-encoding (every byte %XX; unreserved characters literal; also
 * with '+' for space and with '/' literal), each with upper- and lower-case
 * hex digits; JSON string escaping (with '/' literal and as "\/", \uXXXX
 * hex digits in either case, also with non-ASCII as \uXXXX); and each line
 * of a multi-line value (a trailing '\r' dropped). Patterns shorter than
 * SC_SANITIZE_MIN_LEN are dropped; duplicates keep the first label added.
 *
 * Output semantics (exactly; the fuzzer's reference implements this):
 * take every occurrence of every pattern in the whole stream as a half-open
 * interval [start, end). Intervals that share at least one byte are joined,
 * transitively, into components (intervals that merely touch are not).
 * Each component is replaced by "[REDACTED:label]", the label being that of
 * the longest pattern occurring at the component's first byte; every other
 * byte is copied unchanged. The result does not depend on how the stream is
 * split into feeds. A byte is emitted as soon as no continuation of the
 * stream could make it part of an occurrence, so at most
 * (longest pattern - 1) bytes of the input are held back.
 */

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

/* A sanitizer that matches exactly what the compiled base matches, sharing
 * its matcher (base must outlive it and every stream of it), but names what
 * it redacts in its own words: each label L of base becomes map(arg, L), or
 * default_label when that is NULL. A run uses it on the whole-vault
 * sanitizer (redact.h): its own variables by name, every other value as
 * one word that names nothing. Freed with sc_sanitizer_free. */
int sc_sanitizer_relabel(const struct sc_sanitizer *base,
                         const char *(*map)(void *arg, const char *label), void *arg,
                         const char *default_label, struct sc_sanitizer **out) SC_WUR;

int sc_sanitize_stream_new(const struct sc_sanitizer *z, struct sc_sanitize_stream **out) SC_WUR;
/* Feed bytes; emits everything that can no longer be part of a match. */
int sc_sanitize_feed(struct sc_sanitize_stream *st, const uint8_t *in, size_t len, sc_sink_fn sink,
                     void *arg) SC_WUR;
/* End of stream: emits what was held back. */
int sc_sanitize_finish(struct sc_sanitize_stream *st, sc_sink_fn sink, void *arg) SC_WUR;
void sc_sanitize_stream_free(struct sc_sanitize_stream *st);

#endif
