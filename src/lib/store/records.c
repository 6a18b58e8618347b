/* records.c - the vault's records: blinded lookup, get, put, delete, the
 * generation and the audit anchor, and the verified walk over every record.
 * A record's AAD binds vault id, record id and version. */
#include "secretctl/keys.h"
#include "store/vault_int.h"

/* ---- records ---- */

static void record_aad(const struct sc_vault *v, uint64_t id, uint64_t version, uint8_t *aad,
                       size_t *n)
{
	static const char dom[] = "secretctl/v1/record";
	size_t k = 0;

	memcpy(aad, dom, sizeof(dom));
	k += sizeof(dom);
	memcpy(aad + k, v->id, ID_LEN);
	k += ID_LEN;
	sc_be64_put(aad + k, id);
	k += 8;
	sc_be64_put(aad + k, version);
	k += 8;
	*n = k;
}

/* Decrypt the sealed body of record (id, version) into *pt (secmem scratch,
 * grown as needed); *pt_len gets the plaintext length. gk, when not NULL,
 * holds v->k->rec keyed for a walk (gko the old version's during a rekey). */
static int record_open(struct sc_vault *v, struct sc_gcm_key *gk, struct sc_gcm_key *gko,
                       uint64_t id, uint64_t version, const uint8_t *body, size_t len, uint8_t **pt,
                       size_t *pt_cap, size_t *pt_len)
{
	uint8_t aad[64];
	size_t aad_len, n;

	if (body == NULL || len < SC_SEAL_OVERHEAD || len > RECORD_MAX + SC_SEAL_OVERHEAD)
		return SC_ERR_CORRUPT;
	n = len - SC_SEAL_OVERHEAD;
	if (*pt == NULL || *pt_cap < n + 1) {
		sc_secmem_free(*pt);
		*pt_cap = 0;
		if ((*pt = sc_secmem_alloc(n + 1)) == NULL)
			return SC_ERR_NOMEM;
		*pt_cap = n + 1;
	}
	record_aad(v, id, version, aad, &aad_len);
	*pt_len = n;
	if (gk != NULL) {
		int r = sc_gcm_key_open(gk, aad, aad_len, body, len, *pt);

		if (r != SC_OK && gko != NULL)
			r = sc_gcm_key_open(gko, aad, aad_len, body, len, *pt);
		return r;
	}
	return sc_store_open_either(v, 0, aad, aad_len, body, len, *pt);
}

static int record_load(struct sc_vault *v, const struct entry *e, const char *want_name,
                       struct sc_secret **out)
{
	sqlite3_stmt *q = NULL;
	uint8_t *pt = NULL;
	size_t cap = 0, n;
	int rc, r;

	*out = NULL;
	rc = sc_store_stmt_prepare(v, "SELECT body FROM records WHERE id = ?", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)e->id);
	if (rc != SQLITE_OK) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		/* the authenticated index lists it: its absence is tampering */
		r = rc == SQLITE_DONE ? SC_ERR_CORRUPT : sc_store_db_err(v->db, rc);
		goto out;
	}
	if ((r = record_open(v, NULL, NULL, e->id, e->version, sqlite3_column_blob(q, 0),
	                     (size_t)sqlite3_column_bytes(q, 0), &pt, &cap, &n)) != SC_OK)
		goto out;
	if ((r = sc_record_decode(pt, n, out)) != SC_OK) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if (want_name != NULL && strcmp((*out)->name, want_name) != 0) {
		sc_secret_free(*out);
		*out = NULL;
		r = SC_ERR_CORRUPT;
	}
out:
	sc_secmem_free(pt);
	sc_store_stmt_done(v, q);
	return r;
}

/* ---- public: records ---- */

/* mk, when not NULL, holds v->k->idx keyed for a walk. */
static int blind_with(struct sc_vault *v, struct sc_mac_key *mk, const char *name,
                      uint8_t idx[SC_MAC_LEN])
{
	static const char dom[] = "secretctl/v1/name\0";
	uint8_t buf[sizeof(dom) + SC_NAME_MAX];
	size_t n = strlen(name);
	int r;

	if (n > SC_NAME_MAX)
		return SC_ERR_NAME;
	memcpy(buf, dom, sizeof(dom));
	memcpy(buf + sizeof(dom), name, n);
	if (mk != NULL)
		r = sc_mac_key_mac(mk, buf, sizeof(dom) + n, idx);
	else
		r = sc_hmac_sha256(v->k->idx, SC_KEY_LEN, buf, sizeof(dom) + n, idx);
	sc_wipe(buf, sizeof(buf));
	return r;
}

static int blind(struct sc_vault *v, const char *name, uint8_t idx[SC_MAC_LEN])
{
	return blind_with(v, NULL, name, idx);
}

int sc_vault_blind_name(struct sc_vault *v, const char *name, uint8_t out[SC_MAC_LEN])
{
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	return blind(v, name, out);
}

int sc_vault_audit_key(struct sc_vault *v, uint8_t out[SC_KEY_LEN])
{
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	memcpy(out, v->k->audit, SC_KEY_LEN);
	return SC_OK;
}

static int begin_read(struct sc_vault *v)
{
	return sc_store_exec_kept(v, "BEGIN;");
}

static void end_txn(struct sc_vault *v, int ok)
{
	if (sc_store_exec_kept(v, ok ? "COMMIT;" : "ROLLBACK;") != SC_OK && ok)
		sc_store_rollback(v);
}

/* get and exists also run inside a write the caller holds (set checks what
 * it would replace in the same transaction as the write). */
int sc_store_begin_read(struct sc_vault *v, int *began)
{
	*began = 0;
	if (!sqlite3_get_autocommit(v->db))
		return SC_OK;
	*began = 1;
	return begin_read(v);
}

void sc_store_end_read(struct sc_vault *v, int began)
{
	if (began)
		end_txn(v, 0);
}

int sc_store_blind(struct sc_vault *v, const char *name, uint8_t idx[SC_MAC_LEN])
{
	return blind(v, name, idx);
}

int sc_store_record_load(struct sc_vault *v, const struct entry *e, const char *want_name,
                         struct sc_secret **out)
{
	return record_load(v, e, want_name, out);
}

int sc_vault_get(struct sc_vault *v, const char *name, struct sc_secret **out)
{
	struct state st;
	struct bucket bk = {0};
	struct entry *e;
	uint8_t idx[SC_MAC_LEN];
	int r, began;

	*out = NULL;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_name_valid(name)) != SC_OK)
		return r;
	if ((r = blind(v, name, idx)) != SC_OK)
		return r;
	if ((r = sc_store_begin_read(v, &began)) != SC_OK)
		return r;
	if ((r = sc_store_state_read(v, &st)) != SC_OK ||
	    (r = sc_store_bucket_read(v, &st, idx[0], &bk)) != SC_OK)
		goto out;
	if ((e = sc_store_bucket_find(&bk, idx)) == NULL) {
		r = SC_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = record_load(v, e, name, out)) == SC_OK) {
		struct sc_keyring *kr = NULL;

		/* the one way out for a value: sealed fields opened here */
		r = sc_store_fk_open(v, &kr, out);
		sc_keyring_free(kr);
	}
out:
	sc_store_end_read(v, began);
	sc_store_bucket_release(&bk);
	return r;
}

int sc_vault_exists(struct sc_vault *v, const char *name, int *exists)
{
	struct state st;
	struct bucket bk = {0};
	uint8_t idx[SC_MAC_LEN];
	int r, began;

	*exists = 0;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_name_valid(name)) != SC_OK)
		return r;
	if ((r = blind(v, name, idx)) != SC_OK)
		return r;
	if ((r = sc_store_begin_read(v, &began)) != SC_OK)
		return r;
	if ((r = sc_store_state_read(v, &st)) == SC_OK &&
	    (r = sc_store_bucket_read(v, &st, idx[0], &bk)) == SC_OK)
		*exists = sc_store_bucket_find(&bk, idx) != NULL;
	sc_store_end_read(v, began);
	sc_store_bucket_release(&bk);
	return r;
}

static int record_write(struct sc_vault *v, uint64_t id, uint64_t version,
                        const struct sc_secret *s)
{
	sqlite3_stmt *q = NULL;
	uint8_t *pt = NULL, *sealed = NULL, aad[64];
	size_t len, aad_len;
	int rc, r;

	if ((r = sc_record_encode(s, &pt, &len)) != SC_OK)
		return r;
	if (len > RECORD_MAX) {
		r = SC_ERR_TOOBIG;
		goto out;
	}
	if ((sealed = malloc(len + SC_SEAL_OVERHEAD)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	record_aad(v, id, version, aad, &aad_len);
	if ((r = sc_seal(v->k->rec, aad, aad_len, pt, len, sealed)) != SC_OK)
		goto out;
	rc =
	    sc_store_stmt_prepare(v, "INSERT OR REPLACE INTO records (id, body) VALUES (?, ?)", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, sealed, (int)(len + SC_SEAL_OVERHEAD), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
	if (r == SC_OK)
		r = sc_store_refs_note(v, SC_REF_RECORD, id, version, NULL, s);
out:
	sc_store_stmt_done(v, q);
	sc_secmem_free(pt);
	free(sealed);
	return r;
}

int sc_store_record_reseal(struct sc_vault *v, const struct entry *e)
{
	sqlite3_stmt *q = NULL;
	uint8_t *pt = NULL, *sealed = NULL, aad[64];
	size_t cap = 0, n, aad_len;
	int rc, r;

	rc = sc_store_stmt_prepare(v, "SELECT body FROM records WHERE id = ?", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)e->id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? SC_ERR_CORRUPT : sc_store_db_err(v->db, rc);
		sc_store_stmt_done(v, q);
		return r;
	}
	r = record_open(v, NULL, NULL, e->id, e->version, sqlite3_column_blob(q, 0),
	                (size_t)sqlite3_column_bytes(q, 0), &pt, &cap, &n);
	sc_store_stmt_done(v, q);
	q = NULL;
	if (r != SC_OK)
		goto out;
	if ((sealed = malloc(n + SC_SEAL_OVERHEAD)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	/* the same plaintext under the same AAD, under the newest record key */
	record_aad(v, e->id, e->version, aad, &aad_len);
	if ((r = sc_seal(v->k->rec, aad, aad_len, pt, n, sealed)) != SC_OK)
		goto out;
	rc = sc_store_stmt_prepare(v, "UPDATE records SET body = ? WHERE id = ?", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 1, sealed, (int)(n + SC_SEAL_OVERHEAD), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 2, (sqlite3_int64)e->id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
	sc_store_stmt_done(v, q);
out:
	sc_secmem_free(pt);
	free(sealed);
	return r;
}

int sc_store_record_write(struct sc_vault *v, uint64_t id, uint64_t version,
                          const struct sc_secret *s)
{
	return record_write(v, id, version, s);
}

int sc_store_record_delete(struct sc_vault *v, uint64_t id)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = sc_store_stmt_prepare(v, "DELETE FROM records WHERE id = ?", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sc_store_stmt_done(v, q);
	if (rc != SQLITE_DONE)
		return sc_store_db_err(v->db, rc);
	return sc_store_refs_note(v, SC_REF_RECORD, id, 0, NULL, NULL);
}

static int new_record_id(struct sc_vault *v, uint64_t *id)
{
	sqlite3_stmt *q = NULL;
	int rc, tries;

	/* Random ids keep creation order off the disk. */
	for (tries = 0; tries < 16; tries++) {
		sc_random(id, sizeof(*id));
		*id &= INT64_MAX;
		if (*id == 0)
			continue;
		rc = sc_store_stmt_prepare(v, "SELECT 1 FROM records WHERE id = ?", &q);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)*id);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(q);
		sc_store_stmt_done(v, q);
		if (rc == SQLITE_DONE) {
			int used, r;

			/* nor the id of a deleted secret's kept history */
			if ((r = sc_store_hist_chain_used(v, *id, &used)) != SC_OK)
				return r;
			if (!used)
				return SC_OK;
			continue;
		}
		if (rc != SQLITE_ROW)
			return sc_store_db_err(v->db, rc);
	}
	return SC_ERR_INTERNAL;
}

/* Write s (or, with s NULL, delete name) in one transaction. */
static int modify_body(struct sc_vault *v, const char *name, const struct sc_secret *s,
                       unsigned keep);

static int modify(struct sc_vault *v, const char *name, const struct sc_secret *s)
{
	int r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_store_exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		return r;
	if ((r = modify_body(v, name, s, 0)) == SC_OK)
		r = sc_store_exec_kept(v, "COMMIT;");
	if (r != SC_OK)
		sc_store_rollback(v);
	return r;
}

int sc_vault_txn_begin(struct sc_vault *v)
{
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	return sc_store_exec_kept(v, "BEGIN IMMEDIATE;");
}

int sc_vault_txn_commit(struct sc_vault *v)
{
	int r = sc_store_exec_kept(v, "COMMIT;");

	if (r != SC_OK)
		sc_store_rollback(v);
	return r;
}

void sc_vault_txn_rollback(struct sc_vault *v)
{
	sc_store_rollback(v);
}

int sc_vault_put_in_txn(struct sc_vault *v, const struct sc_secret *s)
{
	int r;

	if ((r = sc_name_valid(s->name)) != SC_OK)
		return r;
	if (v->k == NULL || sqlite3_get_autocommit(v->db))
		return v->k == NULL ? SC_ERR_LOCKED : SC_ERR_INTERNAL;
	return modify_body(v, s->name, s, 0);
}

int sc_store_put_keep(struct sc_vault *v, const struct sc_secret *s, unsigned keep)
{
	int r;

	if ((r = sc_name_valid(s->name)) != SC_OK)
		return r;
	if (v->k == NULL || sqlite3_get_autocommit(v->db))
		return v->k == NULL ? SC_ERR_LOCKED : SC_ERR_INTERNAL;
	return modify_body(v, s->name, s, keep);
}

int sc_vault_delete_in_txn(struct sc_vault *v, const char *name)
{
	int r;

	if ((r = sc_name_valid(name)) != SC_OK)
		return r;
	if (v->k == NULL || sqlite3_get_autocommit(v->db))
		return v->k == NULL ? SC_ERR_LOCKED : SC_ERR_INTERNAL;
	return modify_body(v, name, NULL, 0);
}

/* One write: inside the caller's transaction, which it commits or rolls
 * back (modify() for a write of its own, the audit log for an audited one). */
static int modify_body(struct sc_vault *v, const char *name, const struct sc_secret *s,
                       unsigned keep)
{
	struct state st;
	struct bucket bk = {0};
	struct entry *e;
	struct sc_secret *old = NULL, *sealed = NULL, tmp;
	uint8_t idx[SC_MAC_LEN];
	uint64_t gen;
	unsigned b;
	int r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = blind(v, name, idx)) != SC_OK)
		return r;
	b = idx[0];
	if ((r = sc_store_state_read(v, &st)) != SC_OK ||
	    (r = sc_store_bucket_read(v, &st, b, &bk)) != SC_OK)
		goto out;
	gen = st.gen + 1;
	e = sc_store_bucket_find(&bk, idx);
	if (s == NULL) {
		sqlite3_stmt *q = NULL;
		int rc;

		if (e == NULL) {
			r = SC_ERR_NOT_FOUND;
			goto out;
		}
		/* the last version stays in the history until a purge */
		if ((r = record_load(v, e, name, &old)) != SC_OK ||
		    (r = sc_store_hist_on_delete(v, e->id, idx, e->version, old)) != SC_OK)
			goto out;
		rc = sc_store_stmt_prepare(v, "DELETE FROM records WHERE id = ?", &q);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)e->id);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(q);
		sc_store_stmt_done(v, q);
		if (rc != SQLITE_DONE) {
			r = sc_store_db_err(v->db, rc);
			goto out;
		}
		if ((r = sc_store_refs_note(v, SC_REF_RECORD, e->id, 0, NULL, NULL)) != SC_OK)
			goto out;
		*e = bk.e[bk.n - 1];
		bk.n--;
	} else {
		/* fields named for a key are sealed under it first (fieldkeys.c) */
		if ((r = sc_store_fk_seal(v, s, &sealed)) != SC_OK)
			goto out;
		tmp = sealed != NULL ? *sealed : *s;
		tmp.updated = (int64_t)time(NULL);
		tmp.created = tmp.updated;
		if (e != NULL) {
			/* keep the creation time; reading it also proves the old record */
			if ((r = record_load(v, e, name, &old)) != SC_OK)
				goto out;
			tmp.created = old->created;
			/* the old version is kept, sealed under the history's AAD */
			if ((r = sc_store_hist_on_write(v, e->id, idx, e->version, gen, old,
			                                keep)) != SC_OK)
				goto out;
		} else {
			if ((r = sc_store_bucket_reserve(&bk, bk.n + 1)) != SC_OK)
				goto out;
			e = &bk.e[bk.n];
			memcpy(e->idx, idx, SC_MAC_LEN);
			if ((r = new_record_id(v, &e->id)) != SC_OK)
				goto out;
			bk.n++;
			if ((r = sc_store_hist_on_write(v, e->id, idx, 0, gen, NULL, keep)) !=
			    SC_OK)
				goto out;
		}
		e->version = gen;
		if ((r = record_write(v, e->id, gen, &tmp)) != SC_OK)
			goto out;
	}
	st.gen = gen;
	st.bver[b] = gen;
	if ((r = sc_store_bucket_write(v, b, gen, &bk)) != SC_OK ||
	    (r = sc_store_state_write(v, &st)) != SC_OK)
		goto out;
out:
	sc_secret_free(old);
	sc_secret_free(sealed);
	sc_store_bucket_release(&bk);
	return r;
}

int sc_vault_put(struct sc_vault *v, const struct sc_secret *s)
{
	int r;

	if ((r = sc_name_valid(s->name)) != SC_OK)
		return r;
	return modify(v, s->name, s);
}

int sc_vault_delete(struct sc_vault *v, const char *name)
{
	int r;

	if ((r = sc_name_valid(name)) != SC_OK)
		return r;
	return modify(v, name, NULL);
}

int sc_vault_generation(struct sc_vault *v, uint64_t *gen)
{
	struct state st;
	int r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = begin_read(v)) != SC_OK)
		return r;
	r = sc_store_state_read(v, &st);
	end_txn(v, 0);
	if (r == SC_OK)
		*gen = st.gen;
	return r;
}

int sc_vault_anchor_get(struct sc_vault *v, struct sc_audit_anchor *out)
{
	struct state st;
	int r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = begin_read(v)) != SC_OK)
		return r;
	r = sc_store_state_read(v, &st);
	end_txn(v, 0);
	if (r == SC_OK)
		*out = st.anchor;
	return r;
}

int sc_vault_anchor_set(struct sc_vault *v, const struct sc_audit_anchor *a)
{
	struct state st;
	int r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if (!sqlite3_get_autocommit(v->db)) {
		/* inside an audited write: the anchor commits with the write */
		if ((r = sc_store_state_read(v, &st)) == SC_OK) {
			st.anchor = *a;
			r = sc_store_state_write(v, &st);
		}
		return r;
	}
	/* The audit entry this anchors is already fdatasync'd. The anchor's own
	 * WAL commit skips its sync: a crashed process loses nothing (the frame
	 * is in the OS), and a power loss can only leave the anchor behind a
	 * durable entry, which verify reports as lag. The next FULL commit of
	 * the vault syncs it too. Saves one fdatasync per audited operation. */
	if ((r = sc_store_exec_kept(v, "PRAGMA synchronous = NORMAL;")) != SC_OK)
		return r;
	if ((r = sc_store_exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		goto out;
	if ((r = sc_store_state_read(v, &st)) == SC_OK) {
		st.anchor = *a;
		r = sc_store_state_write(v, &st);
	}
	if (r == SC_OK)
		r = sc_store_exec_kept(v, "COMMIT;");
	if (r != SC_OK)
		sc_store_rollback(v);
out:
	if (sc_store_exec_kept(v, "PRAGMA synchronous = FULL;") != SC_OK && r == SC_OK)
		r = SC_ERR_DB;
	return r;
}

/* ---- walking every record ---- */

/*
 * Sort entries by record id: an LSD radix sort over 11-bit digits, with only
 * as many passes as the largest id needs (ids are random 63-bit numbers:
 * six). qsort's comparisons cost a 100k-record walk ~20 ms; this, a few.
 */
static int sort_by_id(struct bucket *b)
{
	enum { BITS = 11, RADIX = 1 << BITS };
	struct entry *tmp, *src = b->e, *dst;
	size_t count[RADIX], i, pos;
	uint64_t max = 0;
	unsigned shift;

	if (b->n < 2)
		return SC_OK;
	for (i = 0; i < b->n; i++)
		if (b->e[i].id > max)
			max = b->e[i].id;
	if ((tmp = malloc(b->n * sizeof(*tmp))) == NULL)
		return SC_ERR_NOMEM;
	dst = tmp;
	for (shift = 0; shift < 64 && (max >> shift) != 0; shift += BITS) {
		struct entry *t;

		memset(count, 0, sizeof(count));
		for (i = 0; i < b->n; i++)
			count[(src[i].id >> shift) & (RADIX - 1)]++;
		for (i = 0, pos = 0; i < RADIX; i++) {
			size_t c = count[i];

			count[i] = pos;
			pos += c;
		}
		for (i = 0; i < b->n; i++)
			dst[count[(src[i].id >> shift) & (RADIX - 1)]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != b->e)
		memcpy(b->e, src, b->n * sizeof(*src));
	/* entries hold blinded names only, but leave no copy behind */
	sc_wipe(tmp, b->n * sizeof(*tmp));
	free(tmp);
	return SC_OK;
}

int sc_vault_count(struct sc_vault *v, size_t *count)
{
	struct state st;
	struct bucket all = {0};
	int r;

	*count = 0;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = begin_read(v)) != SC_OK)
		return r;
	if ((r = sc_store_state_read(v, &st)) != SC_OK)
		goto out;
	if ((r = sc_store_buckets_read_all(v, &st, &all)) == SC_OK)
		*count = all.n;
out:
	end_txn(v, 0);
	sc_store_bucket_release(&all);
	return r;
}

static int walk(struct sc_vault *v, sc_vault_walk_fn fn, void *arg, int open)
{
	struct sc_keyring *kr = NULL;
	struct sc_secret *opened = NULL;
	struct state st;
	struct bucket all = {0};
	struct sc_secret s;
	struct sc_gcm_key *gk = NULL, *gko = NULL;
	struct sc_mac_key *mk = NULL;
	sqlite3_stmt *q = NULL;
	uint8_t *pt = NULL, *arena = NULL;
	size_t pt_cap = 0, arena_cap = 0, n, seen = 0;
	int rc, r, began;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	/* inside a transaction too (a rekey's last check, in its write) */
	if ((r = sc_store_begin_read(v, &began)) != SC_OK)
		return r;
	/* keyed once for the walk: no key schedule or HMAC pads per record */
	if ((r = sc_gcm_key_new(v->k->rec, &gk)) != SC_OK ||
	    (r = sc_mac_key_new(v->k->idx, SC_KEY_LEN, &mk)) != SC_OK ||
	    (r = sc_store_state_read(v, &st)) != SC_OK)
		goto out;
	/* the state read may have taken up a rekey begun since the unlock */
	sc_gcm_key_free(gk);
	gk = NULL;
	if ((r = sc_gcm_key_new(v->k->rec, &gk)) != SC_OK ||
	    (sc_store_old_key(v, 0) != NULL &&
	     (r = sc_gcm_key_new(sc_store_old_key(v, 0), &gko)) != SC_OK))
		goto out;
	if ((r = sc_store_buckets_read_all(v, &st, &all)) != SC_OK)
		goto out;
	if ((r = sort_by_id(&all)) != SC_OK)
		goto out;
	rc = sc_store_stmt_prepare(v, "SELECT id, body FROM records ORDER BY id", &q);
	if (rc != SQLITE_OK) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);
		uint8_t idx[SC_MAC_LEN];

		/* rows come in id order, like the sorted index: walk both */
		if (seen >= all.n || all.e[seen].id != id) {
			r = SC_ERR_CORRUPT; /* a row the index does not list */
			goto out;
		}
		if ((r = record_open(v, gk, gko, id, all.e[seen].version, sqlite3_column_blob(q, 1),
		                     (size_t)sqlite3_column_bytes(q, 1), &pt, &pt_cap, &n)) !=
		    SC_OK)
			goto out;
		if (sc_record_decode_into(pt, n, &s, &arena, &arena_cap) != SC_OK) {
			r = SC_ERR_CORRUPT;
			goto out;
		}
		/* the record must sit under its own name's index entry */
		if ((r = blind_with(v, mk, s.name, idx)) != SC_OK)
			goto out;
		if (memcmp(idx, all.e[seen].idx, SC_MAC_LEN) != 0) {
			r = SC_ERR_CORRUPT;
			goto out;
		}
		seen++;
		/* sealed fields opened for the walker, the keyring read once;
		 * for metadata (open 2) left out: values empty, never the text */
		if (open == 1 && (r = sc_store_fk_open_copy(v, &kr, &s, &opened)) != SC_OK)
			goto out;
		if (open == 2 && (r = sc_store_fk_blank_copy(&s, &opened)) != SC_OK)
			goto out;
		r = fn(opened != NULL ? opened : &s, arg);
		sc_secret_free(opened);
		opened = NULL;
		if (r != 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	r = seen == all.n ? SC_OK : SC_ERR_CORRUPT; /* an indexed record is missing */
out:
	sc_store_stmt_done(v, q);
	sc_store_end_read(v, began);
	sc_gcm_key_free(gk);
	sc_gcm_key_free(gko);
	sc_mac_key_free(mk);
	if (arena != NULL)
		sc_wipe(arena, arena_cap);
	sc_secmem_free(arena);
	sc_secmem_free(pt);
	sc_store_bucket_release(&all);
	sc_keyring_free(kr);
	return r;
}

int sc_vault_walk(struct sc_vault *v, sc_vault_walk_fn fn, void *arg)
{
	return walk(v, fn, arg, 1);
}

int sc_store_walk_sealed(struct sc_vault *v, sc_vault_walk_fn fn, void *arg)
{
	return walk(v, fn, arg, 0);
}

int sc_vault_walk_meta(struct sc_vault *v, sc_vault_walk_fn fn, void *arg)
{
	return walk(v, fn, arg, 2);
}
