/* sanitize_stream.c - a sanitizer stream: feed bytes, get them back with
 * every match replaced, holding back only what may start a secret. */
#include "run/sanitize_priv.h"

/* ---- streams ------------------------------------------------------------ */

int sc_sanitize_stream_new(const struct sc_sanitizer *z, struct sc_sanitize_stream **out)
{
	struct sc_sanitize_stream *st;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if (z == NULL || !z->compiled)
		return SC_ERR_INVALID;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return SC_ERR_NOMEM;
	st->z = z;
	if (z->npats > 0) {
		st->cap = sc_sanitize_round64((size_t)z->maxlen + STEP_MAX + 8 + CHUNK);
		st->buf = sc_secmem_alloc(st->cap);
		/* after each flush, open components all meet the last maxlen
		 * bytes and each spans at least minlen of them */
		st->capcomps = z->maxlen / SC_SANITIZE_MIN_LEN + 4;
		st->comps = calloc(st->capcomps, sizeof(*st->comps));
		st->obuf = malloc(OBUF_CAP);
		if (st->buf == NULL || st->comps == NULL || st->obuf == NULL) {
			sc_sanitize_stream_free(st);
			return SC_ERR_NOMEM;
		}
	}
	*out = st;
	return SC_OK;
}

void sc_sanitize_stream_free(struct sc_sanitize_stream *st)
{
	if (st == NULL)
		return;
	sc_secmem_free(st->buf);
	free(st->comps);
	if (st->obuf != NULL) {
		sc_wipe(st->obuf, OBUF_CAP);
		free(st->obuf);
	}
	sc_wipe(st, sizeof(*st));
	free(st);
}

static void flush_obuf(struct sc_sanitize_stream *st)
{
	int r;

	if (st->olen == 0 || st->err != 0)
		return;
	r = st->sink(st->arg, st->obuf, st->olen);
	st->olen = 0;
	if (r != 0)
		st->err = r;
}

static void emit(struct sc_sanitize_stream *st, const uint8_t *p, size_t n)
{
	int r;

	if (st->err != 0 || n == 0)
		return;
	if (st->olen + n > OBUF_CAP || n >= OBUF_CAP / 2)
		flush_obuf(st);
	if (n >= OBUF_CAP / 2) {
		/* large runs go straight through, after what is queued */
		if (st->err == 0 && (r = st->sink(st->arg, p, n)) != 0)
			st->err = r;
		return;
	}
	memcpy(st->obuf + st->olen, p, n);
	st->olen += n;
}

static void emit_raw(struct sc_sanitize_stream *st, uint64_t from, uint64_t to)
{
	if (to > from)
		emit(st, st->buf + (from - st->base), (size_t)(to - from));
}

/* Write out everything before frontier f, where no later occurrence can
 * start. A component's label is final once it starts before f, or starts at
 * f with the longest pattern there is. */
static void flush_to(struct sc_sanitize_stream *st, uint64_t f)
{
	const struct sc_sanitizer *z = st->z;
	size_t k, keep;
	struct comp *c;
	uint32_t lab;

	for (k = 0; k < st->ncomps; k++) {
		c = &st->comps[k];
		if (c->emitted)
			continue;
		if (c->cs > f || (c->cs == f && c->pat_len < z->maxlen))
			break;
		emit_raw(st, st->out, c->cs);
		lab = z->pats[c->pat].label;
		emit(st, (const uint8_t *)z->repl[lab], z->repl_len[lab]);
		c->emitted = true;
		st->out = c->ce;
	}
	if (st->out < f) {
		emit_raw(st, st->out, f);
		st->out = f;
	}
	for (k = 0; k < st->ncomps && st->comps[k].emitted && st->comps[k].ce <= f; k++)
		;
	keep = st->ncomps - k;
	if (k > 0 && keep > 0)
		memmove(st->comps, st->comps + k, keep * sizeof(*st->comps));
	st->ncomps = keep;
}

/* An occurrence [s, e) of pattern p that is the longest ending at e; they
 * arrive in order of e, so a new one can only join the last components. */
static void add_interval(struct sc_sanitize_stream *st, uint64_t s, uint64_t e, uint32_t p,
                         uint64_t frontier)
{
	size_t k = st->ncomps;
	struct comp *c;

	while (k > 0 && st->comps[k - 1].ce > s)
		k--;
	if (k == st->ncomps) {
		c = &st->comps[st->ncomps++];
		c->cs = s;
		c->ce = e;
		c->pat = p;
		c->pat_len = (uint32_t)(e - s);
		c->emitted = false;
	} else {
		c = &st->comps[k];
		/* the longest occurrence at the first byte names the component;
		 * one that starts at or before it is longer (later end) */
		if (s <= c->cs) {
			c->cs = s;
			c->pat = p;
			c->pat_len = (uint32_t)(e - s);
		}
		c->ce = e;
		if (c->emitted && st->out < e)
			st->out = e;
		st->ncomps = k + 1;
	}
	if (st->ncomps == st->capcomps)
		flush_to(st, frontier);
}

/* Advance the matcher over all buffered bytes. Skip mode tests the sample
 * of each block of `step` bytes; on a hit (or at the end of the data) the
 * automaton runs from the block start and goes back to skipping at a block
 * boundary once every partial match it tracks began after the last block
 * whose sample hit. Each byte meets the automaton at most once. */
static void run(struct sc_sanitize_stream *st)
{
	const struct sc_sanitizer *z = st->z;
	const uint32_t step = z->step;
	const uint64_t pos = st->base + st->used;
	const uint8_t *buf = st->buf;
	uint32_t s;
	uint64_t j;
	size_t off;

	for (;;) {
		if (!st->dfa) {
			off = (size_t)(st->g - st->base);
			while (off + step + 3 <= st->used) {
				if (filter_hit(z, buf + off + step - 1))
					break;
				off += step;
			}
			st->g = st->base + off;
			st->dfa = true;
			st->j = st->g;
			st->state = ROOT;
			st->last_hit_end = st->g + step;
			st->next_bound = st->g + step;
		}
		s = st->state;
		j = st->j;
		while (j < pos) {
			if (j == st->next_bound) {
				off = (size_t)(j - st->base);
				if (off + step + 3 > st->used ||
				    filter_hit(z, buf + off + step - 1)) {
					st->last_hit_end = j + step;
				} else if (j - z->depth[s] >= st->last_hit_end) {
					st->dfa = false;
					st->g = j + step;
					break;
				}
				st->next_bound += step;
			}
			s = ac_next(z, s, buf[j - st->base]);
			j++;
			if (z->outlen[s] != 0)
				add_interval(st, j - z->outlen[s], j, z->outpat[s],
				             j - z->depth[s]);
		}
		st->state = s;
		st->j = j;
		if (st->dfa)
			return;
	}
}

static uint64_t frontier(const struct sc_sanitize_stream *st)
{
	return st->dfa ? st->j - st->z->depth[st->state] : st->g;
}

static void compact(struct sc_sanitize_stream *st)
{
	uint64_t keep = st->dfa ? st->j : st->g;
	size_t drop;

	if (st->out < keep)
		keep = st->out;
	drop = (size_t)(keep - st->base);
	if (drop == 0)
		return;
	memmove(st->buf, st->buf + drop, st->used - drop);
	sc_wipe(st->buf + st->used - drop, drop);
	st->used -= drop;
	st->base = keep;
}

int sc_sanitize_feed(struct sc_sanitize_stream *st, const uint8_t *in, size_t len, sc_sink_fn sink,
                     void *arg)
{
	size_t n;
	int r;

	if (st == NULL || sink == NULL || (in == NULL && len > 0) || st->finished)
		return SC_ERR_INVALID;
	if (st->err != 0)
		return st->err;
	if (st->z->npats == 0) {
		if (len > 0 && (r = sink(arg, in, len)) != 0)
			st->err = r;
		return st->err;
	}
	st->sink = sink;
	st->arg = arg;
	while (len > 0 && st->err == 0) {
		compact(st);
		n = st->cap - st->used;
		if (n > len)
			n = len;
		memcpy(st->buf + st->used, in, n);
		st->used += n;
		in += n;
		len -= n;
		run(st);
		flush_to(st, frontier(st));
	}
	flush_obuf(st);
	return st->err;
}

int sc_sanitize_finish(struct sc_sanitize_stream *st, sc_sink_fn sink, void *arg)
{
	if (st == NULL || sink == NULL || st->finished)
		return SC_ERR_INVALID;
	st->finished = true;
	if (st->err != 0)
		return st->err;
	if (st->z->npats == 0)
		return SC_OK;
	st->sink = sink;
	st->arg = arg;
	run(st);
	/* nothing follows: every open component is complete */
	flush_to(st, st->base + st->used);
	flush_obuf(st);
	if (st->buf != NULL)
		sc_wipe(st->buf, st->cap);
	return st->err;
}
