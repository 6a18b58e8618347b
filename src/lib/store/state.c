/* state.c - the sealed state (a generation counter, the audit anchor and
 * the version of each of 256 index buckets) and the sealed buckets (record
 * id, version and blinded name of each record): together they authenticate
 * the record set, so a swapped, rolled-back, deleted or re-inserted record
 * is an error. */
#include "store/vault_int.h"

/* ---- the plaintexts' codecs (pure: the fuzz target's way in) ----
 *
 *   state:  "SCS1" u64 gen u64 anchor.seq anchor.mac[32] u64 bver[256]
 *           or "SCS2", the same fields, then the keyring row's MAC[32]
 *   bucket: "SCB1" u32 n, n x (u64 id u64 version idx[32])
 */

int sc_store_state_parse(const uint8_t *pt, size_t len, struct state *st)
{
	size_t i;

	/* the magic says which length it must have: no SCS1 body with a tail */
	if (len == STATE_LEN) {
		if (memcmp(pt, STATE_MAGIC, 4) != 0)
			return SC_ERR_CORRUPT;
	} else if (len == STATE2_LEN) {
		if (memcmp(pt, STATE2_MAGIC, 4) != 0)
			return SC_ERR_CORRUPT;
	} else {
		return SC_ERR_CORRUPT;
	}
	st->gen = sc_be64_get(pt + 4);
	st->anchor.seq = sc_be64_get(pt + 12);
	memcpy(st->anchor.mac, pt + 20, SC_MAC_LEN);
	for (i = 0; i < NBUCKETS; i++)
		st->bver[i] = sc_be64_get(pt + 20 + SC_MAC_LEN + 8 * i);
	st->has_keyring = len == STATE2_LEN;
	if (st->has_keyring)
		memcpy(st->kr_mac, pt + STATE_LEN, SC_MAC_LEN);
	else
		memset(st->kr_mac, 0, SC_MAC_LEN);
	return SC_OK;
}

size_t sc_store_state_format(const struct state *st, uint8_t pt[STATE2_LEN])
{
	size_t i;

	/* a vault without a keyring keeps the SCS1 state byte for byte */
	memcpy(pt, st->has_keyring ? STATE2_MAGIC : STATE_MAGIC, 4);
	sc_be64_put(pt + 4, st->gen);
	sc_be64_put(pt + 12, st->anchor.seq);
	memcpy(pt + 20, st->anchor.mac, SC_MAC_LEN);
	for (i = 0; i < NBUCKETS; i++)
		sc_be64_put(pt + 20 + SC_MAC_LEN + 8 * i, st->bver[i]);
	if (!st->has_keyring)
		return STATE_LEN;
	memcpy(pt + STATE_LEN, st->kr_mac, SC_MAC_LEN);
	return STATE2_LEN;
}

int sc_store_bucket_parse(const uint8_t *pt, size_t len, struct bucket *bk)
{
	size_t n, i;
	int r;

	if (len < 8 || memcmp(pt, BUCKET_MAGIC, 4) != 0)
		return SC_ERR_CORRUPT;
	n = sc_be32_get(pt + 4);
	if ((len - 8) / ENTRY_LEN != n || (len - 8) % ENTRY_LEN != 0)
		return SC_ERR_CORRUPT;
	if ((r = sc_store_bucket_reserve(bk, bk->n + n)) != SC_OK)
		return r;
	for (i = 0; i < n; i++) {
		const uint8_t *p = pt + 8 + i * ENTRY_LEN;
		struct entry *e = &bk->e[bk->n + i];

		e->id = sc_be64_get(p);
		e->version = sc_be64_get(p + 8);
		memcpy(e->idx, p + 16, SC_MAC_LEN);
	}
	bk->n += n;
	return SC_OK;
}

size_t sc_store_bucket_format_len(const struct bucket *bk)
{
	return 8 + bk->n * ENTRY_LEN;
}

void sc_store_bucket_format(const struct bucket *bk, uint8_t *pt)
{
	size_t i;

	memcpy(pt, BUCKET_MAGIC, 4);
	sc_be32_put(pt + 4, (uint32_t)bk->n);
	for (i = 0; i < bk->n; i++) {
		uint8_t *p = pt + 8 + i * ENTRY_LEN;

		sc_be64_put(p, bk->e[i].id);
		sc_be64_put(p + 8, bk->e[i].version);
		memcpy(p + 16, bk->e[i].idx, SC_MAC_LEN);
	}
}

/* ---- the sealed state and buckets ---- */

static void state_aad(const struct sc_vault *v, uint8_t *aad, size_t *n)
{
	static const char dom[] = "secretctl/v1/state";

	memcpy(aad, dom, sizeof(dom));
	memcpy(aad + sizeof(dom), v->id, ID_LEN);
	*n = sizeof(dom) + ID_LEN;
}

int sc_store_state_read(struct sc_vault *v, struct state *st)
{
	sqlite3_stmt *q = NULL;
	uint8_t aad[64], pt[STATE2_LEN];
	const uint8_t *body;
	size_t aad_len, len;
	int rc, r;

	rc = sc_store_stmt_prepare(v, "SELECT body FROM state WHERE id = 1", &q);
	if (rc != SQLITE_OK)
		return sc_store_db_err(v->db, rc);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? SC_ERR_CORRUPT : sc_store_db_err(v->db, rc);
		goto out;
	}
	body = sqlite3_column_blob(q, 0);
	len = (size_t)sqlite3_column_bytes(q, 0);
	if (body == NULL ||
	    (len != STATE_LEN + SC_SEAL_OVERHEAD && len != STATE2_LEN + SC_SEAL_OVERHEAD)) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	len -= SC_SEAL_OVERHEAD;
	state_aad(v, aad, &aad_len);
	r = sc_store_open_either(v, 1, aad, aad_len, body, len + SC_SEAL_OVERHEAD, pt);
	/* a rekey begun (or ended) since this handle was unlocked sealed the
	 * state under the new DEK: take up the vault's keys as they are now */
	if (r != SC_OK && sc_store_keys_reload(v) == SC_OK)
		r = sc_store_open_either(v, 1, aad, aad_len, body, len + SC_SEAL_OVERHEAD, pt);
	if (r != SC_OK)
		goto out;
	r = sc_store_state_parse(pt, len, st);
out:
	sc_store_stmt_done(v, q);
	return r;
}

/* One sealed row's body (NULL, 0 when the table or row is absent). */
static int row_body(struct sc_vault *v, const char *table, const char *sql, uint8_t **out,
                    size_t *len)
{
	sqlite3_stmt *q = NULL;
	int rc, r = SC_OK;

	*out = NULL;
	*len = 0;
	rc = sc_store_stmt_prepare(
	    v, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sc_store_stmt_done(v, q);
	q = NULL;
	if (rc == SQLITE_DONE)
		return SC_OK;
	if (rc != SQLITE_ROW)
		return sc_store_db_err(v->db, rc);
	if ((rc = sc_store_stmt_prepare(v, sql, &q)) == SQLITE_OK &&
	    (rc = sqlite3_step(q)) == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(q, 0);
		if (*len == 0 || sqlite3_column_blob(q, 0) == NULL)
			r = SC_ERR_CORRUPT;
		else if ((*out = malloc(*len)) == NULL)
			r = SC_ERR_NOMEM;
		else
			memcpy(*out, sqlite3_column_blob(q, 0), *len);
	} else if (rc != SQLITE_DONE) {
		r = sc_store_db_err(v->db, rc);
	}
	sc_store_stmt_done(v, q);
	if (r != SC_OK)
		*len = 0;
	return r;
}

int sc_store_anchor_mac(struct sc_vault *v, uint8_t mac[SC_MAC_LEN], int *has_refs)
{
	static const char kr_dom[] = "secretctl/v1/keyring-row";
	static const char refs_dom[] = "secretctl/v1/keyrefs-row";
	uint8_t *kr = NULL, *refs = NULL, *buf = NULL;
	size_t kr_len, refs_len, n;
	int r;

	*has_refs = 0;
	if ((r = row_body(v, "keyring", "SELECT body FROM keyring WHERE id = 1", &kr, &kr_len)) !=
	        SC_OK ||
	    (r = row_body(v, "keyrefs", "SELECT tag FROM keyrefs WHERE id = 1", &refs,
	                  &refs_len)) != SC_OK)
		goto out;
	if (kr == NULL) {
		sc_set_error("the vault's keyring is missing");
		r = SC_ERR_CORRUPT;
		goto out;
	}
	/* without a reference index: the MAC of the keyring row alone, as
	 * vaults made before the index have it; with one, of its nonce and
	 * GCM tag too, which only that row has (sealed under the keyring key:
	 * no other body opens with them), so a large index is not hashed
	 * on every write */
	if (refs != NULL && refs_len != SC_SEAL_OVERHEAD) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	n = sizeof(kr_dom) + kr_len + (refs ? sizeof(refs_dom) + SC_SEAL_OVERHEAD : 0);
	if ((buf = malloc(n)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	memcpy(buf, kr_dom, sizeof(kr_dom));
	memcpy(buf + sizeof(kr_dom), kr, kr_len);
	if (refs != NULL) {
		uint8_t *p = buf + sizeof(kr_dom) + kr_len;

		memcpy(p, refs_dom, sizeof(refs_dom));
		memcpy(p + sizeof(refs_dom), refs, SC_SEAL_OVERHEAD); /* nonce || tag */
		*has_refs = 1;
	}
	r = sc_hmac_sha256(v->k->keyring, SC_KEY_LEN, buf, n, mac);
out:
	free(kr);
	free(refs);
	free(buf);
	return r;
}

int sc_store_state_write(struct sc_vault *v, const struct state *st_in)
{
	sqlite3_stmt *q = NULL;
	uint8_t aad[64], pt[STATE2_LEN], sealed[STATE2_LEN + SC_SEAL_OVERHEAD];
	struct state stc = *st_in, *st = &stc;
	size_t aad_len, len;
	int rc, r, has_refs;

	/* the keyring row's anchor is always what the rows are now: a caller's
	 * state read before a row changed in its transaction cannot undo it */
	if (st->has_keyring && (r = sc_store_anchor_mac(v, st->kr_mac, &has_refs)) != SC_OK)
		return r;
	len = sc_store_state_format(st, pt);
	state_aad(v, aad, &aad_len);
	if ((r = sc_seal(v->k->meta, aad, aad_len, pt, len, sealed)) != SC_OK)
		return r;
	rc = sc_store_stmt_prepare(v, "INSERT OR REPLACE INTO state (id, body) VALUES (1, ?)", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 1, sealed, (int)(len + SC_SEAL_OVERHEAD), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sc_store_stmt_done(v, q);
	return rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
}

static void bucket_aad(const struct sc_vault *v, unsigned b, uint64_t ver, uint8_t *aad, size_t *n)
{
	static const char dom[] = "secretctl/v1/bucket";
	size_t k = 0;

	memcpy(aad, dom, sizeof(dom));
	k += sizeof(dom);
	memcpy(aad + k, v->id, ID_LEN);
	k += ID_LEN;
	aad[k++] = (uint8_t)b;
	sc_be64_put(aad + k, ver);
	k += 8;
	*n = k;
}

void sc_store_bucket_release(struct bucket *bk)
{
	free(bk->e);
	memset(bk, 0, sizeof(*bk));
}

int sc_store_bucket_reserve(struct bucket *bk, size_t n)
{
	struct entry *e;
	size_t cap;

	if (n <= bk->cap)
		return SC_OK;
	cap = bk->cap ? bk->cap * 2 : 16;
	while (cap < n)
		cap *= 2;
	if ((e = realloc(bk->e, cap * sizeof(*e))) == NULL)
		return SC_ERR_NOMEM;
	bk->e = e;
	bk->cap = cap;
	return SC_OK;
}

/* Open bucket b's sealed body (gk: v->k->meta keyed, or NULL) and append its
 * entries to bk. */
static int bucket_decode(struct sc_vault *v, struct sc_gcm_key *gk, struct sc_gcm_key *gko,
                         const struct state *st, unsigned b, const uint8_t *body, size_t len,
                         struct bucket *bk)
{
	uint8_t aad[64], *pt;
	size_t aad_len;
	int r;

	if (body == NULL || len < SC_SEAL_OVERHEAD + 8)
		return SC_ERR_CORRUPT;
	len -= SC_SEAL_OVERHEAD;
	if ((pt = malloc(len)) == NULL)
		return SC_ERR_NOMEM;
	bucket_aad(v, b, st->bver[b], aad, &aad_len);
	if (gk != NULL) {
		r = sc_gcm_key_open(gk, aad, aad_len, body, len + SC_SEAL_OVERHEAD, pt);
		if (r != SC_OK && gko != NULL)
			r = sc_gcm_key_open(gko, aad, aad_len, body, len + SC_SEAL_OVERHEAD, pt);
	} else {
		r = sc_store_open_either(v, 1, aad, aad_len, body, len + SC_SEAL_OVERHEAD, pt);
	}
	if (r != SC_OK)
		goto out;
	r = sc_store_bucket_parse(pt, len, bk);
out:
	free(pt);
	return r;
}

/* Read bucket b at the version the state names; version 0 is empty. */
int sc_store_bucket_read(struct sc_vault *v, const struct state *st, unsigned b, struct bucket *bk)
{
	sqlite3_stmt *q = NULL;
	int rc, r;

	memset(bk, 0, sizeof(*bk));
	rc = sc_store_stmt_prepare(v, "SELECT body FROM buckets WHERE id = ?", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 1, (int)b);
	if (rc != SQLITE_OK) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	rc = sqlite3_step(q);
	if (st->bver[b] == 0) {
		/* A bucket never written has no row; once written, its row stays
		 * (empty or not) and its version is never 0 again. A row here
		 * means the state was rolled back under newer buckets. */
		r = rc == SQLITE_DONE  ? SC_OK
		    : rc == SQLITE_ROW ? SC_ERR_CORRUPT
		                       : sc_store_db_err(v->db, rc);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? SC_ERR_CORRUPT : sc_store_db_err(v->db, rc);
		goto out;
	}
	r = bucket_decode(v, NULL, NULL, st, b, sqlite3_column_blob(q, 0),
	                  (size_t)sqlite3_column_bytes(q, 0), bk);
out:
	sc_store_stmt_done(v, q);
	if (r != SC_OK)
		sc_store_bucket_release(bk);
	return r;
}

/* Every bucket's entries, appended to all, in one query: the same checks as
 * sc_store_bucket_read() on each of the 256 (a row for every written bucket, none
 * for a bucket never written), without 256 statements and key set-ups. */
int sc_store_buckets_read_all(struct sc_vault *v, const struct state *st, struct bucket *all)
{
	struct sc_gcm_key *gk = NULL, *gko = NULL;
	sqlite3_stmt *q = NULL;
	uint8_t seen[NBUCKETS] = {0};
	unsigned b;
	int rc, r;

	if ((r = sc_gcm_key_new(v->k->meta, &gk)) != SC_OK)
		return r;
	if (sc_store_old_key(v, 1) != NULL &&
	    (r = sc_gcm_key_new(sc_store_old_key(v, 1), &gko)) != SC_OK) {
		sc_gcm_key_free(gk);
		return r;
	}
	rc = sc_store_stmt_prepare(v, "SELECT id, body FROM buckets ORDER BY id", &q);
	if (rc != SQLITE_OK) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(q, 0);

		/* an unknown row, or one for a bucket the state says was never
		 * written (the state rolled back under newer buckets) */
		if (id < 0 || id >= NBUCKETS || st->bver[id] == 0) {
			r = SC_ERR_CORRUPT;
			goto out;
		}
		seen[id] = 1;
		if ((r = bucket_decode(v, gk, gko, st, (unsigned)id, sqlite3_column_blob(q, 1),
		                       (size_t)sqlite3_column_bytes(q, 1), all)) != SC_OK)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	for (b = 0; b < NBUCKETS; b++)
		if (st->bver[b] != 0 && !seen[b]) {
			r = SC_ERR_CORRUPT; /* a written bucket's row is gone */
			goto out;
		}
	r = SC_OK;
out:
	sc_store_stmt_done(v, q);
	sc_gcm_key_free(gk);
	sc_gcm_key_free(gko);
	return r;
}

int sc_store_bucket_write(struct sc_vault *v, unsigned b, uint64_t ver, const struct bucket *bk)
{
	sqlite3_stmt *q = NULL;
	uint8_t aad[64], *pt, *sealed;
	size_t aad_len, len = sc_store_bucket_format_len(bk);
	int rc, r;

	pt = malloc(len);
	sealed = malloc(len + SC_SEAL_OVERHEAD);
	if (pt == NULL || sealed == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	sc_store_bucket_format(bk, pt);
	bucket_aad(v, b, ver, aad, &aad_len);
	if ((r = sc_seal(v->k->meta, aad, aad_len, pt, len, sealed)) != SC_OK)
		goto out;
	rc =
	    sc_store_stmt_prepare(v, "INSERT OR REPLACE INTO buckets (id, body) VALUES (?, ?)", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 1, (int)b);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, sealed, (int)(len + SC_SEAL_OVERHEAD), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
out:
	sc_store_stmt_done(v, q);
	free(pt);
	free(sealed);
	return r;
}

struct entry *sc_store_bucket_find(struct bucket *bk, const uint8_t idx[SC_MAC_LEN])
{
	size_t i;

	/* A bucket holds ~1/256 of the vault: a linear scan is a few µs even at
	 * 100k secrets. Blinded indexes are not secret from the index holder,
	 * so memcmp is fine here. */
	for (i = 0; i < bk->n; i++)
		if (memcmp(bk->e[i].idx, idx, SC_MAC_LEN) == 0)
			return &bk->e[i];
	return NULL;
}
