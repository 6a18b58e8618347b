/* rekey.c - replacing the DEK (rekey.h): the slots' new wraps made first
 * (nothing changes if one cannot be), then a begin step, the batches, and
 * a last step in the caller's audited transaction that checks everything
 * opens under the new DEK alone before the old one is dropped.
 *
 * The journal is three meta rows: rekey_key (the new DEK sealed under the
 * old version's meta key: whoever opens a slot, which still wraps the old
 * DEK, gets both), rekey_phase (0: the records in id order, each with its
 * history chain; 1: the index buckets; 2: the chains of deleted secrets;
 * 3: all sealed again) and rekey_cursor (the last record or chain done, or
 * the next bucket). Records and chains go in id order, their B-trees'
 * order, so a page is written once in all, not once a batch. Every batch moves the cursor in its
 * own transaction, so a kill leaves the work done so far and a rerun goes on from there; between
 * the begin and the end every writer seals under the new DEK and every reader opens under either
 * (dek.c). */
#include "store/vault_int.h"
#include "secretctl/keys.h"
#include "secretctl/rekey.h"

struct plan_slot {
	int64_t id;
	int kind, drop;
	uint8_t *old_params; /* as read, to see that nobody changed the slot */
	size_t old_plen;
	uint8_t params[SC_KEYSLOT_PARAMS_MAX], wrapped[SC_KEYSLOT_WRAPPED_MAX];
	size_t plen, wlen;
};

struct sc_rekey {
	struct sc_vault *v;
	struct plan_slot *slots;
	size_t n, batch;
	int64_t period;
	uint8_t *next; /* secmem: the new DEK */
	struct sc_rekey_report rep;
	/* the index sorted by id, as of the bucket versions in idx_bver */
	struct bucket idx;
	uint64_t idx_bver[NBUCKETS];
	int idx_ok;
};

#define PHASE_RECORDS 0
#define PHASE_BUCKETS 1
#define PHASE_HISTORY 2
#define PHASE_DONE 3

void sc_rekey_free(struct sc_rekey *rk)
{
	size_t i;

	if (rk == NULL)
		return;
	for (i = 0; i < rk->n; i++)
		free(rk->slots[i].old_params);
	if (rk->slots != NULL)
		sc_wipe(rk->slots, rk->n * sizeof(*rk->slots));
	free(rk->slots);
	sc_secmem_free(rk->next);
	sc_store_bucket_release(&rk->idx);
	free(rk);
}

const struct sc_rekey_report *sc_rekey_report(const struct sc_rekey *rk)
{
	return &rk->rep;
}

/* ---- prepare: a new wrap for every slot kept ---- */

static int dropped(const struct sc_rekey_opts *o, int64_t id)
{
	size_t i;

	for (i = 0; i < o->ndrop; i++)
		if (o->drop[i] == id)
			return 1;
	return 0;
}

/* The new DEK wrapped for slot s with the credential of its kind, once the
 * credential is shown to open the slot as it is. */
static int plan_wrap(struct sc_rekey *rk, const struct sc_rekey_opts *o, struct plan_slot *s,
                     const uint8_t *wrapped, size_t wlen)
{
	const struct sc_keyslot_kind *kind = sc_keyslot_kind(s->kind);
	struct sc_keyslot_ctx c = {.vault_id = rk->v->id, .slot_id = s->id};
	struct sc_kdf_params kp;
	char uri[SC_KEYSLOT_PARAMS_MAX + 1];
	const void *cred = NULL, *opts = NULL;
	uint8_t *dek = NULL;
	size_t cred_len = 0;
	int r;

	if (s->kind == SC_KEYSLOT_PASSWORD) {
		if (sc_keyslot_password_params(s->old_params, s->old_plen, &kp) != SC_OK)
			return SC_ERR_CORRUPT;
		cred = o->pw, cred_len = o->pw_len, opts = &kp;
	} else if (s->kind == SC_KEYSLOT_PKCS11) {
		/* params: u8 version, u16 length, the URI */
		if (s->old_plen <= 3 || s->old_plen - 3 > SC_KEYSLOT_PARAMS_MAX)
			return SC_ERR_CORRUPT;
		memcpy(uri, s->old_params + 3, s->old_plen - 3);
		uri[s->old_plen - 3] = '\0';
		cred = o->pin, cred_len = o->pin_len, opts = uri;
	} else {
		sc_set_error("key slot %lld is a %s slot: rekey cannot rewrap it without its "
		             "shares; pass --drop-slot %lld to remove it (then 'secretctl recovery "
		             "split' makes a new one)",
		             (long long)s->id, kind != NULL ? kind->name : "unknown",
		             (long long)s->id);
		return SC_ERR_DENIED;
	}
	if (kind == NULL)
		return SC_ERR_INTERNAL;
	if (cred == NULL) {
		sc_set_error("key slot %lld is a %s slot and no %s was given for it",
		             (long long)s->id, kind->name,
		             s->kind == SC_KEYSLOT_PASSWORD ? "password" : "PIN");
		return SC_ERR_AUTH;
	}
	if ((dek = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	r = kind->unwrap(&c, s->old_params, s->old_plen, wrapped, wlen, cred, cred_len, dek);
	if (r == SC_OK && sc_memcmp_ct(dek, rk->v->k->dek, SC_KEY_LEN) != 0)
		r = SC_ERR_AUTH;
	if (r == SC_ERR_NOT_FOUND)
		r = SC_ERR_TOKEN;
	if (r == SC_ERR_AUTH || r == SC_ERR_TOKEN) {
		sc_set_error(
		    "key slot %lld (%s): the %s does not open it%s; pass --drop-slot %lld to "
		    "remove it instead",
		    (long long)s->id, kind->name,
		    s->kind == SC_KEYSLOT_PASSWORD ? "password" : "token or its PIN",
		    r == SC_ERR_TOKEN ? " (token absent, or its key gone)" : "", (long long)s->id);
		goto out;
	}
	if (r != SC_OK)
		goto out;
	r = kind->wrap(&c, rk->next, cred, cred_len, opts, s->params, &s->plen, s->wrapped,
	               &s->wlen);
out:
	sc_secmem_free(dek);
	return r;
}

static int plan_slots(struct sc_rekey *rk, const struct sc_rekey_opts *o)
{
	sqlite3_stmt *q = NULL;
	struct plan_slot *s;
	size_t i, kept = 0, seen = 0;
	int rc, r = SC_OK;

	rc = sc_store_prepare_fixed(
	    rk->v->db, "SELECT id, kind, params, wrapped FROM keyslots ORDER BY id", 0, &q);
	if (rc != SQLITE_OK)
		return sc_store_db_err(rk->v->db, rc);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(q, 2);
		size_t pl = (size_t)sqlite3_column_bytes(q, 2);

		if ((s = realloc(rk->slots, (rk->n + 1) * sizeof(*s))) == NULL) {
			r = SC_ERR_NOMEM;
			goto out;
		}
		rk->slots = s;
		s = &rk->slots[rk->n++];
		memset(s, 0, sizeof(*s));
		s->id = sqlite3_column_int64(q, 0);
		s->kind = sqlite3_column_int(q, 1);
		s->drop = dropped(o, s->id);
		if ((s->old_params = malloc(pl + 1)) == NULL) {
			r = SC_ERR_NOMEM;
			goto out;
		}
		if (pl > 0)
			memcpy(s->old_params, p, pl);
		s->old_plen = pl;
		if (s->drop) {
			seen++;
			continue;
		}
		kept++;
		if ((r = plan_wrap(rk, o, s, sqlite3_column_blob(q, 3),
		                   (size_t)sqlite3_column_bytes(q, 3))) != SC_OK)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = sc_store_db_err(rk->v->db, rc);
		goto out;
	}
	if (seen != o->ndrop) {
		for (i = 0; i < o->ndrop; i++) {
			size_t j;

			for (j = 0; j < rk->n && rk->slots[j].id != o->drop[i]; j++)
				;
			if (j == rk->n) {
				sc_set_error("no key slot %lld (see 'secretctl keyslot list')",
				             (long long)o->drop[i]);
				break;
			}
		}
		r = SC_ERR_NOT_FOUND;
		goto out;
	}
	if (kept == 0) {
		sc_set_error("rekey would remove every key slot: keep at least one");
		r = SC_ERR_DENIED;
	}
out:
	sqlite3_finalize(q);
	return r;
}

int sc_rekey_prepare(struct sc_vault *v, const struct sc_rekey_opts *o, struct sc_rekey **out)
{
	struct sc_rekey *rk = NULL;
	int r;

	*out = NULL;
	sc_clear_error();
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if (v->readonly) {
		sc_set_error("the vault is on a read-only file system");
		return SC_ERR_READONLY;
	}
	if (o->batch > SC_REKEY_BATCH_MAX || o->ndrop > SC_REKEY_DROP_MAX || o->period < 0)
		return SC_ERR_INVALID;
	/* a rekey begun by another process since we unlocked */
	(void)sc_store_keys_reload(v);
	sc_clear_error();
	if ((rk = calloc(1, sizeof(*rk))) == NULL ||
	    (rk->next = sc_secmem_alloc(SC_KEY_LEN)) == NULL) {
		r = SC_ERR_NOMEM;
		goto fail;
	}
	rk->v = v;
	rk->batch = o->batch ? o->batch : SC_REKEY_BATCH_DEFAULT;
	rk->period = o->period;
	rk->rep.old_version = v->k->ver;
	rk->rep.new_version = v->k->ver + 1;
	if (v->k->rekeying) {
		memcpy(rk->next, v->k->next, SC_KEY_LEN);
		rk->rep.resumed = 1;
	} else {
		sc_random(rk->next, SC_KEY_LEN);
	}
	if ((r = plan_slots(rk, o)) != SC_OK)
		goto fail;
	*out = rk;
	return SC_OK;
fail:
	sc_rekey_free(rk);
	return r;
}

/* ---- begin ---- */

static int journal_get(struct sc_vault *v, uint64_t *phase, uint64_t *cursor)
{
	int found, r;

	if ((r = sc_store_meta_u64(v->db, "rekey_phase", phase, &found)) != SC_OK)
		return r;
	if (!found || *phase > PHASE_DONE)
		return SC_ERR_CORRUPT;
	return sc_store_meta_u64(v->db, "rekey_cursor", cursor, &found);
}

static int journal_put(struct sc_vault *v, uint64_t phase, uint64_t cursor)
{
	int r;

	if ((r = sc_store_meta_put_u64(v->db, "rekey_phase", phase)) != SC_OK)
		return r;
	return sc_store_meta_put_u64(v->db, "rekey_cursor", cursor);
}

/* One transaction: the new DEK sealed under the old meta key, the keyring
 * and the state sealed under the new; from its commit on, every process
 * writes under the new DEK. */
static int begin(struct sc_rekey *rk)
{
	struct sc_vault *v = rk->v;
	struct sc_keyring *kr = NULL;
	struct keys *old = v->k, *k = NULL, *t = NULL;
	uint8_t aad[96], sealed[SC_KEY_LEN + SC_SEAL_OVERHEAD];
	struct state st;
	size_t aad_len;
	int r;

	if ((r = sc_store_exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		return r;
	if ((r = sc_store_rekey_refuse(v)) != SC_OK) {
		sc_set_error("another rekey began meanwhile: run 'secretctl rekey' again");
		goto fail;
	}
	if ((r = sc_store_state_read(v, &st)) != SC_OK)
		goto fail;
	if (v->k != old) {
		/* the keys changed under us: our slot wraps are stale */
		old = v->k;
		sc_set_error("the vault's keys changed meanwhile: run 'secretctl rekey' again");
		r = SC_ERR_BUSY;
		goto fail;
	}
	if (st.has_keyring && (r = sc_vault_keyring_load(v, &kr)) != SC_OK)
		goto fail;
	sc_store_dek_aad(v, "secretctl/v1/rekey", old->ver, old->ver + 1, aad, &aad_len);
	if ((r = sc_seal(old->meta, aad, aad_len, rk->next, SC_KEY_LEN, sealed)) != SC_OK ||
	    (r = sc_store_meta_put(v->db, "rekey_key", sealed, (int)sizeof(sealed))) != SC_OK ||
	    (r = journal_put(v, PHASE_RECORDS, 0)) != SC_OK)
		goto fail;
	if ((k = sc_secmem_alloc(sizeof(*k))) == NULL ||
	    (t = sc_secmem_alloc(sizeof(*t))) == NULL) {
		r = SC_ERR_NOMEM;
		goto fail;
	}
	memcpy(k, old, sizeof(*k));
	if ((r = sc_store_derive_keys(v, rk->next, t)) != SC_OK)
		goto fail;
	memcpy(k->old_rec, old->rec, SC_KEY_LEN);
	memcpy(k->old_meta, old->meta, SC_KEY_LEN);
	memcpy(k->rec, t->rec, SC_KEY_LEN);
	memcpy(k->meta, t->meta, SC_KEY_LEN);
	memcpy(k->keyring, t->keyring, SC_KEY_LEN);
	memcpy(k->next, rk->next, SC_KEY_LEN);
	k->rekeying = 1;
	v->k = k;
	/* the reference index goes with the keyring, under its new key */
	if (kr != NULL) {
		if ((r = sc_store_refs_reseal(v, old->keyring)) == SC_OK)
			r = sc_vault_keyring_save_in_txn(v, kr);
	} else {
		r = sc_store_state_write(v, &st);
	}
	if (r != SC_OK || (r = sc_store_exec_kept(v, "COMMIT;")) != SC_OK)
		goto fail;
	sc_secmem_free(old);
	sc_secmem_free(t);
	sc_keyring_free(kr);
	rk->rep.batches++;
	return SC_OK;
fail:
	sc_store_rollback(v);
	if (v->k == k)
		v->k = old;
	sc_secmem_free(k);
	sc_secmem_free(t);
	sc_keyring_free(kr);
	return r;
}

/* ---- the batches ---- */

static int by_id(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The index sorted by record id (a chain's id is its record's). */
static int index_sorted(struct sc_vault *v, struct bucket *all)
{
	struct state st;
	int r;

	memset(all, 0, sizeof(*all));
	if ((r = sc_store_state_read(v, &st)) != SC_OK ||
	    (r = sc_store_buckets_read_all(v, &st, all)) != SC_OK)
		return r;
	if (all->n > 1)
		qsort(all->e, all->n, sizeof(*all->e), by_id);
	return SC_OK;
}

/* A chain's anchor: its record's version while it lives, else 0. */
static uint64_t anchor_of(const struct bucket *all, uint64_t chain)
{
	struct entry key = {.id = chain}, *e;

	e = all->n ? bsearch(&key, all->e, all->n, sizeof(*all->e), by_id) : NULL;
	return e != NULL ? e->version : 0;
}

static int chain_pass(struct sc_vault *v, uint64_t chain, uint64_t anchor, int reseal,
                      uint64_t *rows);

/* The records after *cursor in id order, each with its history chain
 * (anchored to its version), until batch records. The index is kept from
 * batch to batch while no bucket changes. */
static int batch_records(struct sc_rekey *rk, uint64_t *cursor, uint64_t *phase)
{
	struct sc_vault *v = rk->v;
	struct state st;
	size_t lo, hi, mid, done = 0;
	int r;

	if ((r = sc_store_state_read(v, &st)) != SC_OK)
		return r;
	if (!rk->idx_ok || memcmp(rk->idx_bver, st.bver, sizeof(st.bver)) != 0) {
		rk->idx_ok = 0;
		sc_store_bucket_release(&rk->idx);
		if ((r = sc_store_buckets_read_all(v, &st, &rk->idx)) != SC_OK)
			return r;
		if (rk->idx.n > 1)
			qsort(rk->idx.e, rk->idx.n, sizeof(*rk->idx.e), by_id);
		memcpy(rk->idx_bver, st.bver, sizeof(st.bver));
		rk->idx_ok = 1;
	}
	for (lo = 0, hi = rk->idx.n; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		if (rk->idx.e[mid].id <= *cursor)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < rk->idx.n && done < rk->batch; lo++, done++) {
		const struct entry *e = &rk->idx.e[lo];

		if ((r = sc_store_record_reseal(v, e)) != SC_OK ||
		    (r = chain_pass(v, e->id, e->version, 1, &rk->rep.history)) != SC_OK)
			return r;
		*cursor = e->id;
	}
	rk->rep.records += done;
	if (lo >= rk->idx.n) {
		*phase = PHASE_BUCKETS;
		*cursor = 0;
	}
	return SC_OK;
}

/* Buckets from *cursor on, until batch entries. */
static int batch_buckets(struct sc_rekey *rk, uint64_t *cursor, uint64_t *phase)
{
	struct sc_vault *v = rk->v;
	struct state st;
	struct bucket bk = {0};
	uint64_t b = *cursor;
	size_t done = 0;
	int r;

	if ((r = sc_store_state_read(v, &st)) != SC_OK)
		return r;
	for (; b < NBUCKETS && done < rk->batch; b++) {
		if (st.bver[b] == 0)
			continue;
		if ((r = sc_store_bucket_read(v, &st, (unsigned)b, &bk)) != SC_OK ||
		    (r = sc_store_bucket_write(v, (unsigned)b, st.bver[b], &bk)) != SC_OK)
			goto out;
		done += bk.n + 1;
		sc_store_bucket_release(&bk);
	}
	*cursor = b;
	if (b >= NBUCKETS) {
		*phase = PHASE_HISTORY;
		*cursor = 0;
	}
out:
	sc_store_bucket_release(&bk);
	return r;
}

/* Open (and, when reseal, seal again under the newest keys) one chain's
 * head and every row it lists; *rows counts them. */
static int chain_pass(struct sc_vault *v, uint64_t chain, uint64_t anchor, int reseal,
                      uint64_t *rows)
{
	struct hist_head h;
	struct sc_secret *s = NULL;
	size_t i;
	int found, r;

	if ((r = sc_store_head_read(v, chain, anchor, &h, &found)) != SC_OK)
		return r;
	if (!found)
		return SC_OK; /* rows without a head: nothing reads them */
	if (reseal && (r = sc_store_head_write(v, chain, anchor, &h)) != SC_OK)
		goto out;
	for (i = 0; i < h.n; i++) {
		if (reseal) {
			if ((r = sc_store_hist_row_reseal(v, chain, h.vers[i], h.idx)) != SC_OK)
				goto out;
			continue;
		}
		if ((r = sc_store_hist_row_get(v, chain, h.vers[i], h.idx, NULL, &s)) != SC_OK)
			goto out;
		sc_secret_free(s);
		s = NULL;
	}
	*rows += h.n + 1;
out:
	sc_secret_free(s);
	sc_store_head_release(&h);
	return r;
}

/* The chains after *cursor (all of them when limit is 0), through
 * chain_pass. Checking, each at its anchor from the index; sealing again
 * (phase 1), the deleted ones only, anchored to 0: a live chain's head does
 * not open so, and its bucket's batch did it (one that came back to life
 * behind that batch is caught by the last check, which then makes the run
 * go over everything again). */
static int chains(struct sc_vault *v, uint64_t *cursor, size_t limit, int reseal, uint64_t *rows,
                  int *more)
{
	struct bucket all = {0};
	sqlite3_stmt *q = NULL;
	uint64_t done = 0, seen = 0;
	int rc, r;

	*more = 0;
	if (!sc_store_hist_enabled(v))
		return SC_OK;
	if (!reseal && (r = index_sorted(v, &all)) != SC_OK)
		return r;
	rc = sc_store_prepare_fixed(
	    v->db, "SELECT DISTINCT chain FROM history WHERE chain > ? ORDER BY chain", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)*cursor);
	if (rc != SQLITE_OK) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint64_t chain = (uint64_t)sqlite3_column_int64(q, 0);

		if (limit != 0 && seen >= limit) {
			*more = 1;
			break;
		}
		seen++;
		r = chain_pass(v, chain, reseal ? 0 : anchor_of(&all, chain), reseal, &done);
		if (reseal && (r == SC_ERR_CORRUPT || r == SC_ERR_AUTH))
			r = SC_OK; /* a live chain */
		if (r != SC_OK)
			goto out;
		*cursor = chain;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	*rows += done;
	r = SC_OK;
out:
	sqlite3_finalize(q);
	sc_store_bucket_release(&all);
	return r;
}

static int batch(struct sc_rekey *rk, uint64_t *phase)
{
	struct sc_vault *v = rk->v;
	uint64_t cursor;
	int r, more;

	if ((r = sc_store_exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		return r;
	if ((r = journal_get(v, phase, &cursor)) != SC_OK)
		goto fail;
	if (*phase == PHASE_RECORDS) {
		r = batch_records(rk, &cursor, phase);
	} else if (*phase == PHASE_BUCKETS) {
		r = batch_buckets(rk, &cursor, phase);
	} else if (*phase == PHASE_HISTORY) {
		r = chains(v, &cursor, rk->batch, 1, &rk->rep.history, &more);
		if (r == SC_OK && !more)
			*phase = PHASE_DONE;
	} else {
		sc_store_rollback(v);
		return SC_OK;
	}
	if (r != SC_OK || (r = journal_put(v, *phase, cursor)) != SC_OK ||
	    (r = sc_store_exec_kept(v, "COMMIT;")) != SC_OK)
		goto fail;
	rk->rep.batches++;
	return SC_OK;
fail:
	sc_store_rollback(v);
	return r;
}

int sc_rekey_migrate(struct sc_rekey *rk)
{
	uint64_t phase = PHASE_RECORDS;
	int r;

	sc_clear_error();
	if (!rk->v->k->rekeying && (r = begin(rk)) != SC_OK)
		return r;
	while (phase != PHASE_DONE) {
		if ((r = batch(rk, &phase)) != SC_OK)
			return r;
		/* a gap between batches: a writer waiting in SQLite's busy
		 * handler (every read is audited: a write) gets its turn */
		usleep(1000);
	}
	return SC_OK;
}

int sc_rekey_restart(struct sc_rekey *rk)
{
	struct sc_vault *v = rk->v;
	int r;

	if ((r = sc_store_exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		return r;
	rk->idx_ok = 0;
	if ((r = journal_put(v, PHASE_RECORDS, 0)) != SC_OK ||
	    (r = sc_store_exec_kept(v, "COMMIT;")) != SC_OK) {
		sc_store_rollback(v);
		return r;
	}
	return SC_OK;
}

/* ---- the end: check, rewrap, drop the old version ---- */

static int noop(const struct sc_secret *s, void *arg)
{
	(void)s;
	(void)arg;
	return 0;
}

/* Everything opens under the new DEK alone. */
static int check_new_only(struct sc_rekey *rk)
{
	struct sc_vault *v = rk->v;
	struct sc_keyring *kr = NULL;
	uint64_t cursor = 0, rows = 0;
	int r, more;

	v->strict = 1;
	r = sc_store_walk_sealed(v, noop, NULL);
	if (r == SC_OK)
		r = chains(v, &cursor, 0, 0, &rows, &more);
	if (r == SC_OK && (r = sc_vault_keyring_load(v, &kr)) == SC_OK)
		sc_keyring_free(kr); /* the named keys, if any, open too */
	v->strict = 0;
	if (r == SC_ERR_CORRUPT || r == SC_ERR_AUTH) {
		sc_set_error("some of the vault does not open under the new data key yet: nothing "
		             "was dropped; run 'secretctl rekey' again");
		r = SC_ERR_CORRUPT;
	}
	return r;
}

static int slot_step(struct sc_vault *v, const char *sql, const struct plan_slot *s, int rewrap)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = sc_store_prepare_fixed(v->db, sql, 0, &q);
	if (rc == SQLITE_OK && rewrap) {
		rc = sqlite3_bind_blob(q, 1, s->params, (int)s->plen, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_blob(q, 2, s->wrapped, (int)s->wlen, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(q, 3, s->id);
	} else if (rc == SQLITE_OK) {
		rc = sqlite3_bind_int64(q, 1, s->id);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
}

/* The slots are still the ones the wraps were made for. */
static int slots_unchanged(struct sc_rekey *rk)
{
	sqlite3_stmt *q = NULL;
	size_t i = 0;
	int rc, same = 1;

	rc = sc_store_prepare_fixed(rk->v->db, "SELECT id, kind, params FROM keyslots ORDER BY id",
	                            0, &q);
	if (rc != SQLITE_OK)
		return sc_store_db_err(rk->v->db, rc);
	while (same && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const struct plan_slot *s = &rk->slots[i];

		same = i < rk->n && s->id == sqlite3_column_int64(q, 0) &&
		       s->kind == sqlite3_column_int(q, 1) &&
		       (size_t)sqlite3_column_bytes(q, 2) == s->old_plen &&
		       (s->old_plen == 0 ||
		        memcmp(sqlite3_column_blob(q, 2), s->old_params, s->old_plen) == 0);
		i++;
	}
	sqlite3_finalize(q);
	if (same && rc != SQLITE_DONE)
		return sc_store_db_err(rk->v->db, rc);
	if (!same || i != rk->n) {
		sc_set_error(
		    "the vault's key slots changed meanwhile: run 'secretctl rekey' again");
		return SC_ERR_BUSY;
	}
	return SC_OK;
}

static int has_table(struct sc_vault *v, const char *name)
{
	sqlite3_stmt *q = NULL;
	int has = 0;

	if (sc_store_prepare_fixed(v->db,
	                           "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
	                           0, &q) == SQLITE_OK &&
	    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		has = 1;
	sqlite3_finalize(q);
	return has;
}

int sc_rekey_finish_in_txn(struct sc_rekey *rk)
{
	struct sc_vault *v = rk->v;
	uint8_t aad[96], carry[2 * SC_KEY_LEN], sealed[2 * SC_KEY_LEN + SC_SEAL_OVERHEAD];
	uint64_t phase, cursor;
	size_t aad_len, i;
	int r, info = has_table(v, "keyslot_info");

	if (sqlite3_get_autocommit(v->db) || !v->k->rekeying)
		return SC_ERR_INTERNAL;
	rk->rep.rewrapped = rk->rep.dropped = 0;
	if ((r = journal_get(v, &phase, &cursor)) != SC_OK)
		return r;
	if (phase != PHASE_DONE) {
		sc_set_error("the rekey has not sealed everything again yet");
		return SC_ERR_BUSY;
	}
	if ((r = check_new_only(rk)) != SC_OK || (r = slots_unchanged(rk)) != SC_OK)
		return r;
	for (i = 0; i < rk->n; i++) {
		const struct plan_slot *s = &rk->slots[i];

		if (s->drop) {
			r = slot_step(v, "DELETE FROM keyslots WHERE id = ?", s, 0);
			if (r == SC_OK && info)
				r = slot_step(v, "DELETE FROM keyslot_info WHERE id = ?", s, 0);
			if (r == SC_OK && rk->rep.dropped < SC_REKEY_DROP_MAX)
				rk->rep.dropped_ids[rk->rep.dropped++] = s->id;
		} else {
			r = slot_step(v, "UPDATE keyslots SET params = ?, wrapped = ? WHERE id = ?",
			              s, 1);
			rk->rep.rewrapped++;
		}
		if (r != SC_OK)
			return r;
	}
	/* the index and audit keys go on, sealed under the new version */
	memcpy(carry, v->k->idx, SC_KEY_LEN);
	memcpy(carry + SC_KEY_LEN, v->k->audit, SC_KEY_LEN);
	sc_store_dek_aad(v, "secretctl/v1/dek-carry", rk->rep.new_version, 0, aad, &aad_len);
	r = sc_seal(v->k->meta, aad, aad_len, carry, sizeof(carry), sealed);
	sc_wipe(carry, sizeof(carry));
	if (r != SC_OK ||
	    (r = sc_store_meta_put(v->db, "dek_carry", sealed, (int)sizeof(sealed))) != SC_OK ||
	    (r = sc_store_meta_put_u64(v->db, "dek_version", rk->rep.new_version)) != SC_OK ||
	    (r = sc_store_meta_put_u64(v->db, "dek_created", (uint64_t)time(NULL))) != SC_OK ||
	    (rk->period > 0 &&
	     (r = sc_store_meta_put_u64(v->db, "dek_period", (uint64_t)rk->period)) != SC_OK) ||
	    (r = sc_store_meta_del(v->db, "rekey_key")) != SC_OK ||
	    (r = sc_store_meta_del(v->db, "rekey_phase")) != SC_OK ||
	    (r = sc_store_meta_del(v->db, "rekey_cursor")) != SC_OK)
		return r;
	return SC_OK;
}

void sc_rekey_done(struct sc_rekey *rk)
{
	struct sc_vault *v = rk->v;

	/* the handle goes on under the new DEK alone */
	memcpy(v->k->dek, rk->next, SC_KEY_LEN);
	v->k->ver = rk->rep.new_version;
	v->k->rekeying = 0;
	sc_wipe(v->k->next, SC_KEY_LEN);
	sc_wipe(v->k->old_rec, SC_KEY_LEN);
	sc_wipe(v->k->old_meta, SC_KEY_LEN);
	/* secure_delete zeroed the old cells; fold the WAL, whose frames hold
	 * pages of the old version, and truncate it */
	rk->rep.checkpointed = sqlite3_wal_checkpoint_v2(v->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	                                                 NULL, NULL) == SQLITE_OK;
	if (!rk->rep.checkpointed)
		sc_set_error("another process holds the vault open: pages of the old data key may "
		             "remain in '%s-wal' until the next checkpoint",
		             v->db_path);
}
