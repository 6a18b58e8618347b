/* share_int.h - SLIP-0039 internals shared by the share codec, split and
 * combine, and the unit tests (which forge shares with valid checksums). */
#ifndef SC_SHARE_INT_H
#define SC_SHARE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/secretctl.h"
#include "secretctl/shares.h"

#define SC_SLIP39_WORDS 1024
#define SC_SLIP39_WORD_MAX 8
extern const char sc_slip39_words[SC_SLIP39_WORDS][SC_SLIP39_WORD_MAX];

/* Constant-time pieces (the unit test runs them under valgrind with the
 * secret marked undefined): the index of a NUL-padded word or -1, the word
 * at an index (all entries scanned), and the RS1024 polymod of the
 * customization string, n words and zeros trailing zero words. */
int sc_slip39_word_index(const char w[SC_SLIP39_WORD_MAX]);
void sc_slip39_word_at(uint32_t idx, char w[SC_SLIP39_WORD_MAX]);
uint32_t sc_rs1024_polymod(int extendable, const uint16_t *w, size_t n, size_t zeros);

/* One decoded share; lives in secmem (value is a piece of the secret). */
struct sc_share {
	uint16_t identifier; /* 15 bits */
	uint8_t extendable;  /* 0 or 1 */
	uint8_t iteration_exponent;
	uint8_t group_index;     /* 0..15 */
	uint8_t group_threshold; /* 1..16 */
	uint8_t group_count;     /* 1..16 */
	uint8_t member_index;    /* 0..15 */
	uint8_t member_threshold;
	size_t value_len;
	uint8_t value[SC_SHARE_SECRET_MAX];
};

/* Mnemonic -> share (checksum checked, every field validated). */
int sc_share_decode(const char *mnemonic, struct sc_share *out) SC_WUR;
/* Share -> mnemonic with a fresh checksum, allocated in secmem. */
int sc_share_encode(const struct sc_share *s, char **out) SC_WUR;

#endif
