/* sanitize_ac.c - the sanitizer's matcher: a sampled 4-gram filter skips
 * text in which no pattern can start; an Aho-Corasick automaton scans the
 * rest in one pass. */
#include "run/sanitize_priv.h"

struct tnode {
	uint32_t child, sib, term;
	uint8_t b;
};

static int build(struct sc_sanitizer *z)
{
	struct tnode *t = NULL;
	uint32_t *rootc = NULL, *order = NULL, *parent = NULL, *term = NULL;
	size_t i, k, nn, bound, keep, off, sz[9], bits, entries;
	uint8_t *a;
	uint32_t id, head, tail, cur, x, prev;
	int r = SC_ERR_NOMEM;

	bound = 1;
	for (i = 0; i < z->npats; i++)
		bound += z->pats[i].len;
	t = sc_secmem_alloc(sc_sanitize_round64(bound * sizeof(*t)));
	rootc = sc_secmem_alloc(256 * sizeof(*rootc));
	if (t == NULL || rootc == NULL)
		goto out;
	nn = 1;
	keep = 0;
	for (i = 0; i < z->npats; i++) {
		const uint8_t *p = z->bytes + z->pats[i].off;

		cur = 0;
		for (k = 0; k < z->pats[i].len; k++) {
			uint8_t c = p[k];

			if (cur == 0) {
				if (rootc[c] == 0) {
					rootc[c] = (uint32_t)nn;
					t[nn].b = c;
					nn++;
				}
				cur = rootc[c];
				continue;
			}
			prev = 0;
			for (x = t[cur].child; x != 0 && t[x].b < c; x = t[x].sib)
				prev = x;
			if (x == 0 || t[x].b != c) {
				t[nn].b = c;
				t[nn].sib = x;
				if (prev)
					t[prev].sib = (uint32_t)nn;
				else
					t[cur].child = (uint32_t)nn;
				x = (uint32_t)nn++;
			}
			cur = x;
		}
		if (t[cur].term != 0)
			continue; /* a duplicate: the first label stays */
		z->pats[keep] = z->pats[i];
		t[cur].term = (uint32_t)++keep;
	}
	z->npats = keep;
	z->nstates = (uint32_t)nn;

	z->minlen = UINT32_MAX;
	z->maxlen = 0;
	z->total = 0;
	for (i = 0; i < z->npats; i++) {
		if (z->pats[i].len < z->minlen)
			z->minlen = z->pats[i].len;
		if (z->pats[i].len > z->maxlen)
			z->maxlen = z->pats[i].len;
		z->total += z->pats[i].len;
	}
	z->step = z->minlen - 3 < STEP_MAX ? z->minlen - 3 : STEP_MAX;
	/* about 1/64 of the bitmap set keeps false hits rare */
	entries = z->npats * z->step;
	for (bits = 12; bits < 26 && ((size_t)1 << bits) < entries * 64; bits++)
		;
	z->shift = (unsigned)(32 - bits);

	sz[0] = (nn + 1) * sizeof(uint32_t); /* cstart */
	sz[1] = nn * sizeof(uint32_t);       /* fail */
	sz[2] = nn * sizeof(uint32_t);       /* depth */
	sz[3] = nn * sizeof(uint32_t);       /* outlen */
	sz[4] = nn * sizeof(uint32_t);       /* outpat */
	sz[5] = 256 * sizeof(uint32_t);      /* root_next */
	sz[6] = nn;                          /* inbyte */
	sz[7] = ((size_t)1 << bits) / 8;     /* bitmap */
	sz[8] = 0;
	z->arena_len = 0;
	for (i = 0; i < 8; i++)
		z->arena_len += sc_sanitize_round64(sz[i]);
	z->arena = sc_secmem_alloc(z->arena_len);
	order = sc_secmem_alloc(sc_sanitize_round64(nn * sizeof(*order)));
	parent = sc_secmem_alloc(sc_sanitize_round64(nn * sizeof(*parent)));
	term = sc_secmem_alloc(sc_sanitize_round64(nn * sizeof(*term)));
	if (z->arena == NULL || order == NULL || parent == NULL || term == NULL)
		goto out;
	a = z->arena;
	off = 0;
	z->cstart = (uint32_t *)(void *)(a + off), off += sc_sanitize_round64(sz[0]);
	z->fail = (uint32_t *)(void *)(a + off), off += sc_sanitize_round64(sz[1]);
	z->depth = (uint32_t *)(void *)(a + off), off += sc_sanitize_round64(sz[2]);
	z->outlen = (uint32_t *)(void *)(a + off), off += sc_sanitize_round64(sz[3]);
	z->outpat = (uint32_t *)(void *)(a + off), off += sc_sanitize_round64(sz[4]);
	z->root_next = (uint32_t *)(void *)(a + off), off += sc_sanitize_round64(sz[5]);
	z->inbyte = a + off, off += sc_sanitize_round64(sz[6]);
	z->bitmap = (uint64_t *)(void *)(a + off);

	/* breadth-first renumbering */
	order[0] = 0;
	parent[0] = 0;
	head = 0;
	tail = 1;
	while (head < tail) {
		cur = order[head];
		z->cstart[head] = tail;
		if (head == 0) {
			for (k = 0; k < 256; k++) {
				if (rootc[k] != 0) {
					parent[tail] = head;
					order[tail++] = rootc[k];
				}
			}
		} else {
			for (x = t[cur].child; x != 0; x = t[x].sib) {
				parent[tail] = head;
				order[tail++] = x;
			}
		}
		head++;
	}
	z->cstart[nn] = (uint32_t)nn;
	z->depth[0] = 0;
	term[0] = 0;
	for (id = 1; id < nn; id++) {
		z->inbyte[id] = t[order[id]].b;
		z->depth[id] = z->depth[parent[id]] + 1;
		term[id] = t[order[id]].term;
	}
	for (id = z->cstart[0]; id < z->cstart[1]; id++)
		z->root_next[z->inbyte[id]] = id;
	z->fail[0] = 0;
	z->outlen[0] = 0;
	z->outpat[0] = 0;
	for (id = 1; id < nn; id++) {
		z->fail[id] =
		    parent[id] == ROOT ? ROOT : ac_next(z, z->fail[parent[id]], z->inbyte[id]);
		if (term[id] != 0) {
			z->outlen[id] = z->depth[id];
			z->outpat[id] = term[id] - 1;
		} else {
			z->outlen[id] = z->outlen[z->fail[id]];
			z->outpat[id] = z->outpat[z->fail[id]];
		}
	}
	for (i = 0; i < z->npats; i++) {
		const uint8_t *p = z->bytes + z->pats[i].off;

		for (k = 0; k < z->step; k++) {
			uint32_t h = (load32(p + k) * HASH_MUL) >> z->shift;

			z->bitmap[h >> 6] |= (uint64_t)1 << (h & 63);
		}
	}
	r = SC_OK;
out:
	sc_secmem_free(t);
	sc_secmem_free(rootc);
	sc_secmem_free(order);
	sc_secmem_free(parent);
	sc_secmem_free(term);
	return r;
}

int sc_sanitizer_compile(struct sc_sanitizer *z)
{
	int r;

	if (z == NULL || z->compiled)
		return SC_ERR_INVALID;
	if (z->npats > 0 && (r = build(z)) != SC_OK) {
		sc_secmem_free(z->arena);
		z->arena = NULL;
		return r;
	}
	z->compiled = true;
	return SC_OK;
}

size_t sc_sanitizer_pattern_count(const struct sc_sanitizer *z)
{
	return z != NULL && z->compiled ? z->npats : 0;
}

size_t sc_sanitizer_max_len(const struct sc_sanitizer *z)
{
	return z != NULL && z->compiled ? z->maxlen : 0;
}

int sc_sanitizer_pattern(const struct sc_sanitizer *z, size_t i, const uint8_t **bytes, size_t *len,
                         const char **label)
{
	if (bytes != NULL)
		*bytes = NULL;
	if (z == NULL || !z->compiled || i >= z->npats || bytes == NULL || len == NULL)
		return SC_ERR_INVALID;
	*bytes = z->bytes + z->pats[i].off;
	*len = z->pats[i].len;
	if (label != NULL)
		*label = z->repl[z->pats[i].label] + z->repl_len[z->pats[i].label] + 1;
	return SC_OK;
}

const char *sc_sanitizer_replacement(const struct sc_sanitizer *z, size_t i)
{
	if (z == NULL || !z->compiled || i >= z->npats)
		return NULL;
	return z->repl[z->pats[i].label];
}

void sc_sanitizer_free(struct sc_sanitizer *z)
{
	size_t i;

	if (z == NULL)
		return;
	if (z->base != NULL) {
		free(z->repl_arena);
		free(z->repl);
		free(z->repl_len);
		free(z);
		return;
	}
	sc_secmem_free(z->bytes);
	sc_secmem_free(z->arena);
	if (z->pats != NULL) {
		sc_wipe(z->pats, z->cappats * sizeof(*z->pats));
		free(z->pats);
	}
	for (i = 0; i < z->nlabels; i++)
		free(z->repl[i]);
	free(z->repl);
	free(z->repl_len);
	sc_wipe(z, sizeof(*z));
	free(z);
}
