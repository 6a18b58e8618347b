/* sanitize_int.h - internals of the sanitizer shared with its tests and
 * fuzzer: read access to the expanded pattern list the matcher was built from. */
#ifndef SECRETCTL_SANITIZE_INT_H
#define SECRETCTL_SANITIZE_INT_H

#include "secretctl/sanitize.h"

/* Pattern i (0 <= i < sc_sanitizer_pattern_count()) of a compiled
 * sanitizer, in matcher order, duplicates already removed (the first added
 * wins). *bytes points into guarded memory owned by z; *label is the label
 * of the value it was derived from. */
int sc_sanitizer_pattern(const struct sc_sanitizer *z, size_t i, const uint8_t **bytes, size_t *len,
                         const char **label) SC_WUR;

/* The replacement text for pattern i: "[REDACTED:label]". */
const char *sc_sanitizer_replacement(const struct sc_sanitizer *z, size_t i);

/* Longest compiled pattern (0 when there are none). */
size_t sc_sanitizer_max_len(const struct sc_sanitizer *z);

#endif
