/* generate.h - random passwords and passphrases from libsodium's CSPRNG
 * (crypto/generate.c): each character or word drawn with
 * randombytes_uniform, which is uniform (no modulo bias). */
#ifndef SECRETCTL_GENERATE_H
#define SECRETCTL_GENERATE_H

#include <stddef.h>

#define SC_GEN_LENGTH_MIN 4
#define SC_GEN_LENGTH_MAX 4096
#define SC_GEN_LENGTH_DEFAULT 32
#define SC_GEN_WORDS_MIN 1
#define SC_GEN_WORDS_MAX 64
/* the SLIP-0039 word list: 1024 words, 10 bits each */
#define SC_GEN_WORDLIST_SIZE 1024
#define SC_GEN_SET_MAX 95

/* A character set: the named ones ("alnum", "alpha", "digits", "hex" (lower
 * case), "symbols": all printable ASCII but space) or any other string,
 * taken as its own characters (printable ASCII, space included). add
 * merges into set (NUL-terminated, each character once, at most
 * SC_GEN_SET_MAX + 1 bytes). SC_ERR_INVALID on a character outside
 * printable ASCII. */
int sc_gen_charset_add(char set[SC_GEN_SET_MAX + 1], const char *spec);

/* len characters drawn from set (at least 2 of them) into *out (secmem,
 * NUL-terminated). */
int sc_gen_password(const char *set, size_t len, char **out, size_t *out_len);
/* n words from the list, joined by sep (one character), into *out. */
int sc_gen_words(size_t n, char sep, char **out, size_t *out_len);
/* The word at index i of the list (for tests and help), or NULL. */
const char *sc_gen_word(size_t i, char buf[9]);

/* Entropy in bits (floor(len * log2(|set|)) and 10 bits a word). */
unsigned sc_gen_password_bits(size_t set_size, size_t len);
#endif
