/* versions.c - the operations over a secret's versions (history.h): walk
 * the history, get a version, rollback, undelete, purge, rename, copy and
 * prune, each inside one transaction. The rows and heads are history.c's. */
#include "secretctl/keys.h"
#include "store/vault_int.h"

/* ---- where a name lives ---- */

/* The live index entry of idx (*e NULL when none); bk holds the bucket. */
static int find_live(struct sc_vault *v, const uint8_t idx[SC_MAC_LEN], struct state *st,
                     struct bucket *bk, struct entry **e)
{
	int r;

	*e = NULL;
	if ((r = sc_store_state_read(v, st)) != SC_OK ||
	    (r = sc_store_bucket_read(v, st, idx[0], bk)) != SC_OK)
		return r;
	*e = sc_store_bucket_find(bk, idx);
	return SC_OK;
}

static int live_has(const struct bucket *all, uint64_t chain, uint64_t *ver)
{
	size_t i;

	for (i = 0; i < all->n; i++)
		if (all->e[i].id == chain) {
			*ver = all->e[i].version;
			return 1;
		}
	return 0;
}

/* Visit the head of every chain: live ones under their record's version,
 * deleted ones under 0; a head that opens under neither is tampering. */
typedef int (*head_fn)(struct sc_vault *v, uint64_t chain, uint64_t anchor, struct hist_head *h,
                       void *arg);

static int each_head(struct sc_vault *v, head_fn fn, void *arg)
{
	struct state st;
	struct bucket all = {0};
	sqlite3_stmt *q = NULL;
	int rc, r;

	if (!sc_store_hist_enabled(v))
		return SC_OK;
	if ((r = sc_store_state_read(v, &st)) != SC_OK ||
	    (r = sc_store_buckets_read_all(v, &st, &all)) != SC_OK)
		goto out;
	/* not the cached statement: fn may use the cache while this steps */
	if ((rc = sqlite3_prepare_v2(v->db, "SELECT chain, body FROM history WHERE ver = 0", -1, &q,
	                             NULL)) != SQLITE_OK) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct hist_head h;
		uint64_t chain = (uint64_t)sqlite3_column_int64(q, 0), anchor = 0;

		(void)live_has(&all, chain, &anchor);
		if ((r = sc_store_head_open(v, chain, anchor, sqlite3_column_blob(q, 1),
		                            (size_t)sqlite3_column_bytes(q, 1), &h)) != SC_OK)
			goto out;
		if (anchor == 0 && !h.deleted) {
			sc_store_head_release(&h);
			r = SC_ERR_CORRUPT; /* a live chain's head without its record */
			goto out;
		}
		r = fn(v, chain, anchor, &h, arg);
		sc_store_head_release(&h);
		if (r != SC_OK)
			goto out;
	}
	r = rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
out:
	sqlite3_finalize(q);
	sc_store_bucket_release(&all);
	return r;
}

struct find_deleted {
	const uint8_t *idx;
	uint64_t chain;
	int64_t at;
	int found;
};

static int find_deleted_one(struct sc_vault *v, uint64_t chain, uint64_t anchor,
                            struct hist_head *h, void *arg)
{
	struct find_deleted *f = arg;

	(void)v;
	if (anchor != 0 || sc_memcmp_ct(h->idx, f->idx, SC_MAC_LEN) != 0)
		return SC_OK;
	if (!f->found || h->deleted_at >= f->at) {
		f->found = 1;
		f->chain = chain;
		f->at = h->deleted_at;
	}
	return SC_OK;
}

/* The newest deleted chain of idx, its head in h. SC_ERR_NOT_FOUND if none. */
static int find_deleted(struct sc_vault *v, const uint8_t idx[SC_MAC_LEN], uint64_t *chain,
                        struct hist_head *h)
{
	struct find_deleted f = {idx, 0, 0, 0};
	int found, r;

	memset(h, 0, sizeof(*h));
	if ((r = each_head(v, find_deleted_one, &f)) != SC_OK)
		return r;
	if (!f.found)
		return SC_ERR_NOT_FOUND;
	*chain = f.chain;
	if ((r = sc_store_head_read(v, f.chain, 0, h, &found)) != SC_OK)
		return r;
	return found ? SC_OK : SC_ERR_CORRUPT;
}

/* A secret's line of versions as the readers see it. */
struct line {
	uint64_t chain;
	uint8_t idx[SC_MAC_LEN];
	struct hist_head h;
	struct entry live; /* when !deleted */
	int deleted;
};

static int line_open(struct sc_vault *v, const char *name, struct line *ln)
{
	struct state st;
	struct bucket bk = {0};
	struct entry *e;
	int found, r;

	memset(ln, 0, sizeof(*ln));
	if ((r = sc_store_blind(v, name, ln->idx)) != SC_OK)
		return r;
	if ((r = find_live(v, ln->idx, &st, &bk, &e)) != SC_OK)
		goto out;
	if (e != NULL) {
		ln->live = *e;
		ln->chain = e->id;
		r = sc_store_head_read(v, e->id, e->version, &ln->h, &found);
		if (r == SC_OK && !found)
			ln->h.cur = 1; /* written before the history: one version */
		goto out;
	}
	ln->deleted = 1;
	r = find_deleted(v, ln->idx, &ln->chain, &ln->h);
out:
	sc_store_bucket_release(&bk);
	return r;
}

static void line_release(struct line *ln)
{
	sc_store_head_release(&ln->h);
}

/* Load version ver of the line (the live record for the current one). */
static int line_load(struct sc_vault *v, const struct line *ln, const char *name, uint64_t ver,
                     struct sc_secret **out)
{
	size_t i;

	*out = NULL;
	if (!ln->deleted && ver == ln->h.cur)
		return sc_store_record_load(v, &ln->live, name, out);
	for (i = 0; i < ln->h.n; i++)
		if (ln->h.vers[i] == ver)
			return sc_store_hist_row_get(v, ln->chain, ver, ln->idx, name, out);
	return SC_ERR_NOT_FOUND;
}

/* ---- readers ---- */

/* Every kept version, oldest first; fn owns the secret it gets. */
typedef int (*walk_fn)(uint64_t ver, struct sc_secret *s, int current, void *arg);

static int walk_line(struct sc_vault *v, const char *name, walk_fn fn, void *arg, int *deleted)
{
	struct line ln;
	struct sc_keyring *kr = NULL;
	struct sc_secret *s;
	size_t i;
	int r, began;

	*deleted = 0;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_name_valid(name)) != SC_OK)
		return r;
	if ((r = sc_store_begin_read(v, &began)) != SC_OK)
		return r;
	if ((r = line_open(v, name, &ln)) != SC_OK)
		goto out;
	*deleted = ln.deleted;
	for (i = 0; i < ln.h.n; i++) {
		if ((r = sc_store_hist_row_get(v, ln.chain, ln.h.vers[i], ln.idx, name, &s)) !=
		        SC_OK ||
		    (r = sc_store_fk_open(v, &kr, &s)) != SC_OK)
			goto out;
		if ((r = fn(ln.h.vers[i], s, 0, arg)) != 0)
			goto out;
	}
	if (!ln.deleted) {
		if ((r = sc_store_record_load(v, &ln.live, name, &s)) != SC_OK ||
		    (r = sc_store_fk_open(v, &kr, &s)) != SC_OK)
			goto out;
		r = fn(ln.h.cur, s, 1, arg);
	}
out:
	sc_keyring_free(kr);
	line_release(&ln);
	sc_store_end_read(v, began);
	return r;
}

struct user_walk {
	sc_history_fn fn;
	void *arg;
};

static int user_walk_one(uint64_t ver, struct sc_secret *s, int current, void *arg)
{
	struct user_walk *w = arg;
	int r = w->fn(ver, s, current, w->arg);

	sc_secret_free(s);
	return r;
}

int sc_vault_history(struct sc_vault *v, const char *name, sc_history_fn fn, void *arg,
                     int *deleted)
{
	struct user_walk w = {fn, arg};

	return walk_line(v, name, user_walk_one, &w, deleted);
}

struct changes {
	sc_history_changes_fn fn;
	void *arg;
	struct sc_secret *prev;
	struct sc_history_change *c;
	size_t n, cap;
};

static int change_add(int kind, const char *what, const char *name, void *arg)
{
	struct changes *ch = arg;
	struct sc_history_change *p;

	if (ch->n == ch->cap) {
		size_t cap = ch->cap ? ch->cap * 2 : 16;

		if (cap > 4 * (SC_FIELDS_MAX + SC_BINDINGS_MAX + SC_TAGS_MAX) ||
		    (p = realloc(ch->c, cap * sizeof(*p))) == NULL)
			return SC_ERR_NOMEM;
		ch->c = p;
		ch->cap = cap;
	}
	p = &ch->c[ch->n++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	snprintf(p->what, sizeof(p->what), "%s", what);
	if (name != NULL)
		snprintf(p->name, sizeof(p->name), "%s", name);
	return SC_OK;
}

static int changes_one(uint64_t ver, struct sc_secret *s, int current, void *arg)
{
	struct changes *ch = arg;
	struct sc_history_version hv;
	/* the oldest kept version, when earlier ones were pruned: no diff */
	int missing = ch->prev == NULL && ver > 1;
	int r = SC_OK;

	ch->n = 0;
	if (!missing)
		r = sc_secret_diff(ch->prev, s, change_add, ch);
	if (r == SC_OK) {
		memset(&hv, 0, sizeof(hv));
		hv.version = ver;
		hv.time = s->updated;
		hv.current = current;
		hv.base_missing = missing;
		hv.n = ch->n;
		hv.changes = ch->c;
		r = ch->fn(&hv, ch->arg);
	}
	sc_secret_free(ch->prev);
	ch->prev = s;
	return r;
}

int sc_vault_history_changes(struct sc_vault *v, const char *name, sc_history_changes_fn fn,
                             void *arg, int *deleted)
{
	struct changes ch;
	int r;

	memset(&ch, 0, sizeof(ch));
	ch.fn = fn;
	ch.arg = arg;
	r = walk_line(v, name, changes_one, &ch, deleted);
	sc_secret_free(ch.prev);
	free(ch.c);
	return r;
}

int sc_vault_get_version(struct sc_vault *v, const char *name, uint64_t version,
                         struct sc_secret **out)
{
	struct line ln;
	struct sc_keyring *kr = NULL;
	int r, began;

	*out = NULL;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_name_valid(name)) != SC_OK)
		return r;
	if ((r = sc_store_begin_read(v, &began)) != SC_OK)
		return r;
	if ((r = line_open(v, name, &ln)) == SC_OK)
		r = line_load(v, &ln, name, version, out);
	if (r == SC_OK)
		r = sc_store_fk_open(v, &kr, out);
	sc_keyring_free(kr);
	line_release(&ln);
	sc_store_end_read(v, began);
	return r;
}

int sc_vault_version(struct sc_vault *v, const char *name, uint64_t *version, unsigned *keep)
{
	struct line ln;
	int r, began;

	*version = 0;
	*keep = 0;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_name_valid(name)) != SC_OK)
		return r;
	if ((r = sc_store_begin_read(v, &began)) != SC_OK)
		return r;
	if ((r = line_open(v, name, &ln)) == SC_OK && ln.deleted)
		r = SC_ERR_NOT_FOUND;
	if (r == SC_OK) {
		*version = ln.h.cur;
		*keep = sc_store_hist_keep(&ln.h);
	}
	line_release(&ln);
	sc_store_end_read(v, began);
	return r;
}

/* ---- writers (inside the caller's transaction) ---- */

static int in_txn(struct sc_vault *v)
{
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if (sqlite3_get_autocommit(v->db))
		return SC_ERR_INTERNAL;
	if (!sc_store_hist_enabled(v)) {
		sc_set_error(
		    "this vault predates the history (format 1 on a read-only file system)");
		return SC_ERR_READONLY;
	}
	return SC_OK;
}

int sc_vault_put_keep_in_txn(struct sc_vault *v, const struct sc_secret *s, unsigned keep)
{
	if (keep > SC_HISTORY_KEEP_MAX)
		return SC_ERR_INVALID;
	return sc_store_put_keep(v, s, keep);
}

int sc_vault_rollback_in_txn(struct sc_vault *v, const char *name, uint64_t *to_io, uint64_t *made)
{
	uint64_t to = *to_io;
	struct line ln;
	struct sc_secret *s = NULL;
	int r;

	*made = 0;
	if ((r = in_txn(v)) != SC_OK || (r = sc_name_valid(name)) != SC_OK)
		return r;
	if ((r = line_open(v, name, &ln)) != SC_OK)
		goto out;
	if (ln.deleted) {
		r = SC_ERR_NOT_FOUND;
		goto out;
	}
	if (to == 0) {
		if (ln.h.n == 0) {
			sc_set_error("'%s' has no earlier version", name);
			r = SC_ERR_NOT_FOUND;
			goto out;
		}
		to = ln.h.vers[ln.h.n - 1];
	}
	if (to == ln.h.cur) {
		sc_set_error("version %llu is the current one", (unsigned long long)to);
		r = SC_ERR_INVALID;
		goto out;
	}
	if ((r = line_load(v, &ln, name, to, &s)) != SC_OK)
		goto out;
	if ((r = sc_store_put_keep(v, s, 0)) == SC_OK) {
		*made = ln.h.cur + 1;
		*to_io = to;
	}
out:
	sc_secret_free(s);
	line_release(&ln);
	return r;
}

/* Put entry (chain, idx) back into the index with s as its record. */
static int index_insert(struct sc_vault *v, const uint8_t idx[SC_MAC_LEN], uint64_t chain,
                        const struct sc_secret *s, uint64_t *gen)
{
	struct state st;
	struct bucket bk = {0};
	struct entry *e;
	int r;

	if ((r = find_live(v, idx, &st, &bk, &e)) != SC_OK)
		goto out;
	if (e != NULL) {
		r = SC_ERR_EXISTS;
		goto out;
	}
	if ((r = sc_store_bucket_reserve(&bk, bk.n + 1)) != SC_OK)
		goto out;
	*gen = st.gen + 1;
	e = &bk.e[bk.n++];
	e->id = chain;
	e->version = *gen;
	memcpy(e->idx, idx, SC_MAC_LEN);
	st.gen = *gen;
	st.bver[idx[0]] = *gen;
	if ((r = sc_store_record_write(v, chain, *gen, s)) != SC_OK ||
	    (r = sc_store_bucket_write(v, idx[0], *gen, &bk)) != SC_OK)
		goto out;
	r = sc_store_state_write(v, &st);
out:
	sc_store_bucket_release(&bk);
	return r;
}

/* Take idx's entry out of the index (the record row stays for the caller). */
static int index_remove(struct sc_vault *v, const uint8_t idx[SC_MAC_LEN])
{
	struct state st;
	struct bucket bk = {0};
	struct entry *e;
	uint64_t gen;
	int r;

	if ((r = find_live(v, idx, &st, &bk, &e)) != SC_OK)
		goto out;
	if (e == NULL) {
		r = SC_ERR_NOT_FOUND;
		goto out;
	}
	*e = bk.e[bk.n - 1];
	bk.n--;
	gen = st.gen + 1;
	st.gen = gen;
	st.bver[idx[0]] = gen;
	if ((r = sc_store_bucket_write(v, idx[0], gen, &bk)) != SC_OK)
		goto out;
	r = sc_store_state_write(v, &st);
out:
	sc_store_bucket_release(&bk);
	return r;
}

int sc_vault_undelete_in_txn(struct sc_vault *v, const char *name, uint64_t *version)
{
	struct line ln;
	struct sc_secret *s = NULL;
	uint64_t gen;
	int r;

	*version = 0;
	if ((r = in_txn(v)) != SC_OK || (r = sc_name_valid(name)) != SC_OK)
		return r;
	if ((r = line_open(v, name, &ln)) != SC_OK)
		goto out;
	if (!ln.deleted) {
		r = SC_ERR_EXISTS;
		goto out;
	}
	/* the last version becomes the record again; the others stay rows */
	if (ln.h.n == 0 || ln.h.vers[ln.h.n - 1] != ln.h.cur) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((r = line_load(v, &ln, name, ln.h.cur, &s)) != SC_OK ||
	    (r = index_insert(v, ln.idx, ln.chain, s, &gen)) != SC_OK ||
	    (r = sc_store_hist_row_del(v, ln.chain, ln.h.cur)) != SC_OK)
		goto out;
	ln.h.n--;
	ln.h.deleted = 0;
	ln.h.deleted_at = 0;
	if ((r = sc_store_head_write(v, ln.chain, gen, &ln.h)) == SC_OK)
		*version = ln.h.cur;
out:
	sc_secret_free(s);
	line_release(&ln);
	return r;
}

struct purge {
	const uint8_t *idx;
	uint64_t *chains;
	size_t n;
	int err;
};

static int purge_collect(struct sc_vault *v, uint64_t chain, uint64_t anchor, struct hist_head *h,
                         void *arg)
{
	struct purge *p = arg;
	uint64_t *c;

	(void)v;
	if (anchor != 0 || sc_memcmp_ct(h->idx, p->idx, SC_MAC_LEN) != 0)
		return SC_OK;
	if ((c = realloc(p->chains, (p->n + 1) * sizeof(*c))) == NULL)
		return SC_ERR_NOMEM;
	p->chains = c;
	p->chains[p->n++] = chain;
	return SC_OK;
}

int sc_vault_purge_in_txn(struct sc_vault *v, const char *name)
{
	struct state st;
	struct bucket bk = {0};
	struct entry *e;
	struct purge p;
	uint8_t idx[SC_MAC_LEN];
	size_t i;
	int r, any = 0;

	memset(&p, 0, sizeof(p));
	if ((r = in_txn(v)) != SC_OK || (r = sc_name_valid(name)) != SC_OK)
		return r;
	if ((r = sc_store_blind(v, name, idx)) != SC_OK)
		return r;
	p.idx = idx;
	/* the deleted lines first: each_head reads the live ones from the index */
	if ((r = each_head(v, purge_collect, &p)) != SC_OK)
		goto out;
	for (i = 0; i < p.n; i++, any = 1)
		if ((r = sc_store_hist_chain_del(v, p.chains[i])) != SC_OK)
			goto out;
	if ((r = find_live(v, idx, &st, &bk, &e)) != SC_OK)
		goto out;
	if (e != NULL) {
		uint64_t chain = e->id;

		any = 1;
		if ((r = index_remove(v, idx)) != SC_OK ||
		    (r = sc_store_record_delete(v, chain)) != SC_OK ||
		    (r = sc_store_hist_chain_del(v, chain)) != SC_OK)
			goto out;
	}
	r = any ? SC_OK : SC_ERR_NOT_FOUND;
out:
	free(p.chains);
	sc_store_bucket_release(&bk);
	return r;
}

int sc_vault_erase_wal(struct sc_vault *v)
{
	int rc;

	/* secure_delete zeroed the freed cells in the database; fold the WAL
	 * in and truncate it so no frame holding them survives either */
	rc = sqlite3_wal_checkpoint_v2(v->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (rc != SQLITE_OK) {
		sc_set_error("erased, but old pages may remain in '%s-wal' until the next "
		             "checkpoint (another process holds the vault open)",
		             v->db_path);
		return SC_ERR_BUSY;
	}
	return SC_OK;
}

int sc_vault_rename_in_txn(struct sc_vault *v, const char *from, const char *to)
{
	struct line ln;
	struct sc_secret *s = NULL, *cur = NULL, *moved = NULL;
	uint8_t nidx[SC_MAC_LEN];
	uint64_t gen;
	size_t i;
	int r, exists;

	if ((r = in_txn(v)) != SC_OK || (r = sc_name_valid(from)) != SC_OK ||
	    (r = sc_name_valid(to)) != SC_OK)
		return r;
	if ((r = line_open(v, from, &ln)) != SC_OK)
		goto out;
	if (ln.deleted) {
		r = SC_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = sc_vault_exists(v, to, &exists)) != SC_OK)
		goto out;
	if (exists || strcmp(from, to) == 0) {
		r = SC_ERR_EXISTS;
		goto out;
	}
	if ((r = sc_store_blind(v, to, nidx)) != SC_OK)
		goto out;
	/* every kept version is sealed again under the new name */
	for (i = 0; i < ln.h.n; i++) {
		if ((r = sc_store_hist_row_get(v, ln.chain, ln.h.vers[i], ln.idx, from, &s)) !=
		        SC_OK ||
		    (r = sc_secret_clone(s, to, &moved)) != SC_OK ||
		    (r = sc_store_hist_row_put(v, ln.chain, ln.h.vers[i], nidx, moved)) != SC_OK)
			goto out;
		sc_secret_free(s);
		sc_secret_free(moved);
		s = moved = NULL;
	}
	if ((r = sc_store_record_load(v, &ln.live, from, &cur)) != SC_OK ||
	    (r = sc_secret_clone(cur, to, &moved)) != SC_OK)
		goto out;
	moved->updated = (int64_t)time(NULL);
	if ((r = index_remove(v, ln.idx)) != SC_OK ||
	    (r = index_insert(v, nidx, ln.chain, moved, &gen)) != SC_OK)
		goto out;
	memcpy(ln.h.idx, nidx, SC_MAC_LEN);
	r = sc_store_head_write(v, ln.chain, gen, &ln.h);
out:
	sc_secret_free(s);
	sc_secret_free(cur);
	sc_secret_free(moved);
	line_release(&ln);
	return r;
}

int sc_vault_copy_in_txn(struct sc_vault *v, const char *from, const char *to)
{
	struct sc_secret *s = NULL, *c = NULL;
	int r, exists;

	if ((r = in_txn(v)) != SC_OK || (r = sc_name_valid(to)) != SC_OK)
		return r;
	if ((r = sc_vault_exists(v, to, &exists)) != SC_OK)
		return r;
	if (exists)
		return SC_ERR_EXISTS;
	if ((r = sc_vault_get(v, from, &s)) != SC_OK)
		return r;
	if ((r = sc_secret_clone(s, to, &c)) == SC_OK)
		r = sc_store_put_keep(v, c, 0);
	sc_secret_free(s);
	sc_secret_free(c);
	return r;
}

struct prune {
	const uint8_t *idx; /* NULL: every chain */
	unsigned keep;      /* 0: each chain's own setting */
	size_t *dropped;
	int matched;
};

static int prune_one(struct sc_vault *v, uint64_t chain, uint64_t anchor, struct hist_head *h,
                     void *arg)
{
	struct prune *p = arg;
	size_t before = *p->dropped;
	int r;

	if (p->idx != NULL && sc_memcmp_ct(h->idx, p->idx, SC_MAC_LEN) != 0)
		return SC_OK;
	p->matched = 1;
	if ((r = sc_store_hist_trim(v, chain, h, p->keep ? p->keep : sc_store_hist_keep(h),
	                            p->dropped)) != SC_OK)
		return r;
	return *p->dropped == before ? SC_OK : sc_store_head_write(v, chain, anchor, h);
}

int sc_vault_prune_in_txn(struct sc_vault *v, const char *name, unsigned keep, size_t *dropped)
{
	struct prune p = {NULL, keep, dropped, 0};
	uint8_t idx[SC_MAC_LEN];
	int r;

	*dropped = 0;
	if ((r = in_txn(v)) != SC_OK)
		return r;
	if (keep > SC_HISTORY_KEEP_MAX)
		return SC_ERR_INVALID;
	if (name != NULL) {
		if ((r = sc_name_valid(name)) != SC_OK ||
		    (r = sc_store_blind(v, name, idx)) != SC_OK)
			return r;
		p.idx = idx;
	}
	if ((r = each_head(v, prune_one, &p)) != SC_OK)
		return r;
	if (name != NULL && !p.matched) {
		int exists;

		/* a secret written before the history has one version: nothing to do */
		if ((r = sc_vault_exists(v, name, &exists)) != SC_OK)
			return r;
		return exists ? SC_OK : SC_ERR_NOT_FOUND;
	}
	return SC_OK;
}
