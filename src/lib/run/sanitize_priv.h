/* sanitize_priv.h - the sanitizer's insides shared by its three parts:
 * the pattern set, the automaton's tables, a stream's state. */
#ifndef SC_RUN_SANITIZE_PRIV_H
#define SC_RUN_SANITIZE_PRIV_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "run/sanitize_int.h"

#define STEP_MAX 16
#define CHUNK (64 * 1024)
#define OBUF_CAP (16 * 1024)
#define HASH_MUL 0x9E3779B1u
#define ROOT 0u

struct pat {
	uint32_t off; /* into z->bytes */
	uint32_t len;
	uint32_t label;
};

struct sc_sanitizer {
	uint8_t *bytes; /* pattern bytes, concatenated (secmem) */
	size_t nbytes, capbytes;
	size_t total; /* bytes of the kept patterns */
	struct pat *pats;
	size_t npats, cappats;
	char **repl; /* "[REDACTED:label]" per label */
	size_t *repl_len;
	size_t nlabels, caplabels;
	bool compiled;
	/* a relabelled view (sc_sanitizer_relabel): the matcher below and the
	 * patterns are base's; repl, repl_len and repl_arena are its own */
	const struct sc_sanitizer *base;
	char *repl_arena;

	/* The automaton, states numbered in breadth-first order so that the
	 * children of state s are the states cstart[s] .. cstart[s+1]-1. */
	void *arena; /* secmem: everything below lives in it */
	size_t arena_len;
	uint32_t nstates;
	uint32_t *cstart;
	uint32_t *fail;
	uint32_t *depth;
	uint32_t *outlen; /* longest pattern that is a suffix of the state, or 0 */
	uint32_t *outpat;
	uint32_t *root_next;
	uint8_t *inbyte; /* the byte on the edge into each state */
	uint64_t *bitmap;
	unsigned shift;
	uint32_t step, minlen, maxlen;
};

struct comp {
	uint64_t cs, ce;
	uint32_t pat; /* longest pattern occurring at cs */
	uint32_t pat_len;
	bool emitted; /* replacement already written */
};

struct sc_sanitize_stream {
	const struct sc_sanitizer *z;
	uint8_t *buf; /* input bytes [base, base + used) (secmem) */
	size_t cap, used;
	uint64_t base;
	/* filter state: skipping at grid point g, or running the automaton
	 * at j in `state` */
	bool dfa;
	uint64_t g;
	uint64_t j, last_hit_end, next_bound;
	uint32_t state;
	uint64_t out;       /* first byte neither written nor redacted */
	struct comp *comps; /* not yet final components, in order */
	size_t ncomps, capcomps;
	uint8_t *obuf;
	size_t olen;
	sc_sink_fn sink;
	void *arg;
	int err;
	bool finished;
};

/* ---- the automaton -------------------------------------------------------- */

static inline uint32_t child_of(const struct sc_sanitizer *z, uint32_t s, uint8_t c)
{
	uint32_t lo = z->cstart[s], hi = z->cstart[s + 1], mid;

	if (hi - lo <= 8) {
		for (; lo < hi; lo++)
			if (z->inbyte[lo] == c)
				return lo;
		return ROOT;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (z->inbyte[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < z->cstart[s + 1] && z->inbyte[lo] == c) ? lo : ROOT;
}

static inline uint32_t ac_next(const struct sc_sanitizer *z, uint32_t s, uint8_t c)
{
	uint32_t t;

	for (;;) {
		if (s == ROOT)
			return z->root_next[c];
		if ((t = child_of(z, s, c)) != ROOT)
			return t;
		s = z->fail[s];
	}
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline bool filter_hit(const struct sc_sanitizer *z, const uint8_t *p)
{
	uint32_t h = (load32(p) * HASH_MUL) >> z->shift;

	return (z->bitmap[h >> 6] >> (h & 63)) & 1;
}

/* Temporary trie: children as sorted sibling lists (root: a dense table). */

/* Shared between the parts of this module. */
size_t sc_sanitize_round64(size_t n);

#endif
