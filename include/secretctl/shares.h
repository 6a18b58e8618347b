/* shares.h - recovery shares: constant-time Shamir secret sharing over
 * GF(256) and SLIP-0039 mnemonic shares (RS1024 checksum, digest share,
 * passphrase Feistel, one or two levels of groups). Secrets only in secmem. */
#ifndef SECRETCTL_SHARES_H
#define SECRETCTL_SHARES_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/status.h"

/* ---- Shamir over GF(2^8) (shamir.c) -------------------------------------- */

/* The field of AES/SLIP-0039: GF(2)[x] / (x^8 + x^4 + x^3 + x + 1). No
 * table is indexed by a secret: multiplication is shift-and-add with masks,
 * inversion is a^254. */
uint8_t sc_gf256_mul(uint8_t a, uint8_t b);
uint8_t sc_gf256_inv(uint8_t a); /* inv(0) = 0 */

/* Lagrange interpolation: out[len] = f(x) where f is the polynomial of
 * degree < k through (xs[i], ys[i][0..len)) byte-wise. The xs must be
 * distinct (SC_ERR_INVALID otherwise). */
int sc_shamir_interpolate(const uint8_t *xs, const uint8_t *const *ys, size_t k, size_t len,
                          uint8_t x, uint8_t *out) SC_WUR;

/* ---- SLIP-0039 shares (share.c, share_codec.c) --------------------------- */

#define SC_SHARE_SECRET_MIN 16 /* bytes; even lengths only */
#define SC_SHARE_SECRET_MAX 64
#define SC_SHARE_MAX 16 /* groups, and members per group */
#define SC_SHARE_ITER_EXP_MAX 15
/* words in one mnemonic: 7 of metadata and checksum + the value's */
#define SC_SHARE_WORDS_MIN 20
#define SC_SHARE_WORDS_MAX 59
/* the longest mnemonic text accepted (bytes, without the NUL) */
#define SC_SHARE_TEXT_MAX 1024

struct sc_share_group {
	uint8_t threshold; /* members needed, 1..count (1 only when count is 1) */
	uint8_t count;     /* members made, 1..16 */
};

/* What a share says about itself, without its value. */
struct sc_share_info {
	uint16_t identifier; /* 15 bits, random per split */
	int extendable;
	uint8_t iteration_exponent;
	uint8_t group_index, group_threshold, group_count;
	uint8_t member_index, member_threshold;
	size_t value_len; /* = the secret's length */
};

/* The mnemonics of one split, grouped. */
struct sc_share_set;

/*
 * Split secret (16..64 bytes, even) into SLIP-0039 mnemonics: group_threshold
 * of the groups[0..group_count) are needed, each with its own member
 * threshold. passphrase (NULL: none) is printable ASCII; it encrypts the
 * secret first (PBKDF2-HMAC-SHA256, 10000 << iteration_exponent iterations
 * in all), and a wrong one later gives a different secret, not an error.
 * Every threshold above 1 adds the digest share, so recovery detects a
 * wrong or forged share.
 */
int sc_shares_split(const uint8_t *secret, size_t len, const char *passphrase,
                    uint8_t iteration_exponent, int extendable, uint8_t group_threshold,
                    const struct sc_share_group *groups, size_t group_count,
                    struct sc_share_set **out) SC_WUR;
/* One group, threshold of count, no passphrase, extendable, exponent 1. */
int sc_shares_split_simple(const uint8_t *secret, size_t len, uint8_t threshold, uint8_t count,
                           struct sc_share_set **out) SC_WUR;
size_t sc_share_set_groups(const struct sc_share_set *set);
size_t sc_share_set_members(const struct sc_share_set *set, size_t group);
/* The mnemonic (words separated by one space, in secmem), or NULL. */
const char *sc_share_set_mnemonic(const struct sc_share_set *set, size_t group, size_t member);
void sc_share_set_free(struct sc_share_set *set);

/* Decode one mnemonic and check its RS1024 checksum; says nothing of the
 * value. SC_ERR_INVALID for an unknown word, a bad length or padding or
 * impossible parameters; SC_ERR_CORRUPT for a wrong checksum (a mistyped or
 * tampered share). */
int sc_share_inspect(const char *mnemonic, struct sc_share_info *info) SC_WUR;

/*
 * Recover the secret from mnemonics: exactly group_threshold groups, each
 * with exactly its member threshold of shares (a share given twice counts
 * once). *secret is allocated in secmem. SC_ERR_CORRUPT: a wrong checksum, or
 * a digest that does not match (a forged share, or shares of two splits with
 * the same identifier); SC_ERR_INVALID: shares of different splits
 * (identifier or parameters differ), too few or too many, two different
 * shares with one index, a malformed share. sc_last_error() says which.
 */
int sc_shares_combine(const char *const *mnemonics, size_t n, const char *passphrase,
                      uint8_t **secret, size_t *len) SC_WUR;

#endif
