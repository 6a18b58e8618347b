/* history.c - the sealed history of each secret: one row per kept older
 * version and a head per chain (vault_int.h says what binds each). The
 * write hooks here are called by records.c inside its transaction. */
#include "store/vault_int.h"

#define HEAD_MAGIC "SCH1"
#define HEAD_FIXED (4 + SC_MAC_LEN + 8 + 4 + 1 + 8 + 4)

int sc_store_hist_enabled(const struct sc_vault *v)
{
	return v->format >= 2;
}

static void head_aad(const struct sc_vault *v, uint64_t chain, uint64_t anchor, uint8_t *aad,
                     size_t *n)
{
	static const char dom[] = "secretctl/v2/history-head";
	size_t k = sizeof(dom);

	memcpy(aad, dom, sizeof(dom));
	memcpy(aad + k, v->id, ID_LEN);
	k += ID_LEN;
	sc_be64_put(aad + k, chain);
	sc_be64_put(aad + k + 8, anchor);
	*n = k + 16;
}

static void row_aad(const struct sc_vault *v, uint64_t chain, uint64_t ver,
                    const uint8_t idx[SC_MAC_LEN], uint8_t *aad, size_t *n)
{
	static const char dom[] = "secretctl/v2/history";
	size_t k = sizeof(dom);

	memcpy(aad, dom, sizeof(dom));
	memcpy(aad + k, v->id, ID_LEN);
	k += ID_LEN;
	sc_be64_put(aad + k, chain);
	sc_be64_put(aad + k + 8, ver);
	memcpy(aad + k + 16, idx, SC_MAC_LEN);
	*n = k + 16 + SC_MAC_LEN;
}

void sc_store_head_release(struct hist_head *h)
{
	free(h->vers);
	memset(h, 0, sizeof(*h));
}

unsigned sc_store_hist_keep(const struct hist_head *h)
{
	return h->keep ? h->keep : SC_HISTORY_KEEP_DEFAULT;
}

int sc_store_head_open(struct sc_vault *v, uint64_t chain, uint64_t anchor, const uint8_t *body,
                       size_t len, struct hist_head *h)
{
	uint8_t aad[96], *pt = NULL;
	size_t aad_len, n, i;
	int r;

	memset(h, 0, sizeof(*h));
	if (body == NULL || len < SC_SEAL_OVERHEAD + HEAD_FIXED ||
	    len > SC_SEAL_OVERHEAD + HEAD_FIXED + 8 * (SC_HISTORY_KEEP_MAX + 1))
		return SC_ERR_CORRUPT;
	n = len - SC_SEAL_OVERHEAD;
	if ((pt = malloc(n)) == NULL)
		return SC_ERR_NOMEM;
	head_aad(v, chain, anchor, aad, &aad_len);
	if ((r = sc_store_open_either(v, 1, aad, aad_len, body, len, pt)) != SC_OK)
		goto out;
	r = SC_ERR_CORRUPT;
	if (memcmp(pt, HEAD_MAGIC, 4) != 0)
		goto out;
	memcpy(h->idx, pt + 4, SC_MAC_LEN);
	h->cur = sc_be64_get(pt + 4 + SC_MAC_LEN);
	h->keep = sc_be32_get(pt + 12 + SC_MAC_LEN);
	h->deleted = pt[16 + SC_MAC_LEN];
	h->deleted_at = (int64_t)sc_be64_get(pt + 17 + SC_MAC_LEN);
	h->n = sc_be32_get(pt + 25 + SC_MAC_LEN);
	if (h->deleted > 1 || h->keep > SC_HISTORY_KEEP_MAX || h->cur == 0 ||
	    n != HEAD_FIXED + 8 * h->n || h->n > SC_HISTORY_KEEP_MAX)
		goto out;
	if (h->n > 0 && (h->vers = malloc(h->n * sizeof(*h->vers))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < h->n; i++) {
		h->vers[i] = sc_be64_get(pt + HEAD_FIXED + 8 * i);
		/* ascending, none above the newest (which is a row only once deleted) */
		if (h->vers[i] == 0 || (i > 0 && h->vers[i] <= h->vers[i - 1]) ||
		    h->vers[i] > h->cur || (!h->deleted && h->vers[i] == h->cur))
			goto out;
	}
	r = SC_OK;
out:
	free(pt);
	if (r != SC_OK)
		sc_store_head_release(h);
	return r;
}

int sc_store_head_read(struct sc_vault *v, uint64_t chain, uint64_t anchor, struct hist_head *h,
                       int *found)
{
	sqlite3_stmt *q = NULL;
	int rc, r;

	memset(h, 0, sizeof(*h));
	h->cur = 1;
	*found = 0;
	if (!sc_store_hist_enabled(v))
		return SC_OK;
	rc = sc_store_stmt_prepare(v, "SELECT body FROM history WHERE chain = ? AND ver = 0", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)chain);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		r = SC_OK;
	} else if (rc == SQLITE_ROW) {
		r = sc_store_head_open(v, chain, anchor, sqlite3_column_blob(q, 0),
		                       (size_t)sqlite3_column_bytes(q, 0), h);
		*found = r == SC_OK;
	} else {
		r = sc_store_db_err(v->db, rc);
	}
	sc_store_stmt_done(v, q);
	return r;
}

int sc_store_head_write(struct sc_vault *v, uint64_t chain, uint64_t anchor,
                        const struct hist_head *h)
{
	sqlite3_stmt *q = NULL;
	uint8_t aad[96], *pt, *sealed;
	size_t aad_len, n = HEAD_FIXED + 8 * h->n, i;
	int rc, r;

	if (h->n > SC_HISTORY_KEEP_MAX)
		return SC_ERR_INTERNAL;
	pt = malloc(n);
	sealed = malloc(n + SC_SEAL_OVERHEAD);
	if (pt == NULL || sealed == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	memcpy(pt, HEAD_MAGIC, 4);
	memcpy(pt + 4, h->idx, SC_MAC_LEN);
	sc_be64_put(pt + 4 + SC_MAC_LEN, h->cur);
	sc_be32_put(pt + 12 + SC_MAC_LEN, h->keep);
	pt[16 + SC_MAC_LEN] = h->deleted ? 1 : 0;
	sc_be64_put(pt + 17 + SC_MAC_LEN, (uint64_t)h->deleted_at);
	sc_be32_put(pt + 25 + SC_MAC_LEN, (uint32_t)h->n);
	for (i = 0; i < h->n; i++)
		sc_be64_put(pt + HEAD_FIXED + 8 * i, h->vers[i]);
	head_aad(v, chain, anchor, aad, &aad_len);
	if ((r = sc_seal(v->k->meta, aad, aad_len, pt, n, sealed)) != SC_OK)
		goto out;
	rc = sc_store_stmt_prepare(
	    v, "INSERT OR REPLACE INTO history (chain, ver, body) VALUES (?, 0, ?)", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)chain);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, sealed, (int)(n + SC_SEAL_OVERHEAD), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sc_store_stmt_done(v, q);
	r = rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
out:
	free(pt);
	free(sealed);
	return r;
}

int sc_store_hist_row_put(struct sc_vault *v, uint64_t chain, uint64_t ver,
                          const uint8_t idx[SC_MAC_LEN], const struct sc_secret *s)
{
	sqlite3_stmt *q = NULL;
	uint8_t aad[128], *pt = NULL, *sealed = NULL;
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
	row_aad(v, chain, ver, idx, aad, &aad_len);
	if ((r = sc_seal(v->k->rec, aad, aad_len, pt, len, sealed)) != SC_OK)
		goto out;
	rc = sc_store_stmt_prepare(
	    v, "INSERT OR REPLACE INTO history (chain, ver, body) VALUES (?, ?, ?)", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)chain);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 2, (sqlite3_int64)ver);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 3, sealed, (int)(len + SC_SEAL_OVERHEAD), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
	if (r == SC_OK)
		r = sc_store_refs_note(v, SC_REF_HISTORY, chain, ver, idx, s);
out:
	sc_store_stmt_done(v, q);
	sc_secmem_free(pt);
	free(sealed);
	return r;
}

int sc_store_hist_row_get(struct sc_vault *v, uint64_t chain, uint64_t ver,
                          const uint8_t idx[SC_MAC_LEN], const char *want_name,
                          struct sc_secret **out)
{
	sqlite3_stmt *q = NULL;
	uint8_t aad[128], *pt = NULL;
	const uint8_t *body;
	size_t aad_len, len;
	int rc, r;

	*out = NULL;
	rc = sc_store_stmt_prepare(v, "SELECT body FROM history WHERE chain = ? AND ver = ?", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)chain);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 2, (sqlite3_int64)ver);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		/* the head lists it: a missing row is tampering */
		r = rc == SQLITE_DONE ? SC_ERR_CORRUPT : sc_store_db_err(v->db, rc);
		goto out;
	}
	body = sqlite3_column_blob(q, 0);
	len = (size_t)sqlite3_column_bytes(q, 0);
	if (body == NULL || len < SC_SEAL_OVERHEAD || len > RECORD_MAX + SC_SEAL_OVERHEAD) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((pt = sc_secmem_alloc(len - SC_SEAL_OVERHEAD + 1)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	row_aad(v, chain, ver, idx, aad, &aad_len);
	if ((r = sc_store_open_either(v, 0, aad, aad_len, body, len, pt)) != SC_OK)
		goto out;
	if (sc_record_decode(pt, len - SC_SEAL_OVERHEAD, out) != SC_OK ||
	    (want_name != NULL && strcmp((*out)->name, want_name) != 0)) {
		sc_secret_free(*out);
		*out = NULL;
		r = SC_ERR_CORRUPT;
	}
out:
	sc_secmem_free(pt);
	sc_store_stmt_done(v, q);
	return r;
}

int sc_store_hist_row_reseal(struct sc_vault *v, uint64_t chain, uint64_t ver,
                             const uint8_t idx[SC_MAC_LEN])
{
	sqlite3_stmt *q = NULL;
	uint8_t aad[128], *pt = NULL, *sealed = NULL;
	size_t aad_len, len = 0;
	int rc, r;

	rc = sc_store_stmt_prepare(v, "SELECT body FROM history WHERE chain = ? AND ver = ?", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)chain);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 2, (sqlite3_int64)ver);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? SC_ERR_CORRUPT : sc_store_db_err(v->db, rc);
		goto out;
	}
	len = (size_t)sqlite3_column_bytes(q, 0);
	if (sqlite3_column_blob(q, 0) == NULL || len < SC_SEAL_OVERHEAD ||
	    len > RECORD_MAX + SC_SEAL_OVERHEAD) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((pt = sc_secmem_alloc(len - SC_SEAL_OVERHEAD + 1)) == NULL ||
	    (sealed = malloc(len)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	row_aad(v, chain, ver, idx, aad, &aad_len);
	if ((r = sc_store_open_either(v, 0, aad, aad_len, sqlite3_column_blob(q, 0), len, pt)) !=
	        SC_OK ||
	    (r = sc_seal(v->k->rec, aad, aad_len, pt, len - SC_SEAL_OVERHEAD, sealed)) != SC_OK)
		goto out;
	sc_store_stmt_done(v, q);
	rc =
	    sc_store_stmt_prepare(v, "UPDATE history SET body = ? WHERE chain = ? AND ver = ?", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 1, sealed, (int)len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 2, (sqlite3_int64)chain);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 3, (sqlite3_int64)ver);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
out:
	sc_store_stmt_done(v, q);
	sc_secmem_free(pt);
	free(sealed);
	return r;
}

static int exec_chain(struct sc_vault *v, const char *sql, uint64_t chain, uint64_t ver)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = sc_store_stmt_prepare(v, sql, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)chain);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(q) > 1)
		rc = sqlite3_bind_int64(q, 2, (sqlite3_int64)ver);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sc_store_stmt_done(v, q);
	return rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
}

int sc_store_hist_row_del(struct sc_vault *v, uint64_t chain, uint64_t ver)
{
	int r = exec_chain(v, "DELETE FROM history WHERE chain = ? AND ver = ?", chain, ver);

	return r != SC_OK ? r : sc_store_refs_note(v, SC_REF_HISTORY, chain, ver, NULL, NULL);
}

int sc_store_hist_chain_del(struct sc_vault *v, uint64_t chain)
{
	int r;

	if (!sc_store_hist_enabled(v))
		return SC_OK;
	if ((r = exec_chain(v, "DELETE FROM history WHERE chain = ?", chain, 0)) != SC_OK)
		return r;
	return sc_store_refs_note(v, SC_REF_HISTORY, chain, 0, NULL, NULL);
}

int sc_store_hist_chain_used(struct sc_vault *v, uint64_t chain, int *used)
{
	sqlite3_stmt *q = NULL;
	int rc;

	*used = 0;
	if (!sc_store_hist_enabled(v))
		return SC_OK;
	rc = sc_store_stmt_prepare(v, "SELECT 1 FROM history WHERE chain = ? LIMIT 1", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)chain);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sc_store_stmt_done(v, q);
	*used = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
}

int sc_store_hist_trim(struct sc_vault *v, uint64_t chain, struct hist_head *h, unsigned keep,
                       size_t *dropped)
{
	size_t rows_kept = h->deleted ? keep : keep - 1, drop, i;
	int r;

	if (keep == 0 || h->n <= rows_kept)
		return SC_OK;
	drop = h->n - rows_kept;
	for (i = 0; i < drop; i++)
		if ((r = sc_store_hist_row_del(v, chain, h->vers[i])) != SC_OK)
			return r;
	memmove(h->vers, h->vers + drop, rows_kept * sizeof(*h->vers));
	h->n = rows_kept;
	if (dropped != NULL)
		*dropped += drop;
	return SC_OK;
}

static int head_append(struct hist_head *h, uint64_t ver)
{
	uint64_t *p;

	if ((p = realloc(h->vers, (h->n + 1) * sizeof(*p))) == NULL)
		return SC_ERR_NOMEM;
	h->vers = p;
	h->vers[h->n++] = ver;
	return SC_OK;
}

int sc_store_hist_on_write(struct sc_vault *v, uint64_t chain, const uint8_t idx[SC_MAC_LEN],
                           uint64_t old_anchor, uint64_t new_anchor, const struct sc_secret *old,
                           unsigned keep)
{
	struct hist_head h = {0};
	int found, r;

	if (!sc_store_hist_enabled(v))
		return SC_OK;
	if (old != NULL) {
		if ((r = sc_store_head_read(v, chain, old_anchor, &h, &found)) != SC_OK)
			goto out;
		if (!found)
			memcpy(h.idx, idx, SC_MAC_LEN);
		if ((r = sc_store_hist_row_put(v, chain, h.cur, idx, old)) != SC_OK ||
		    (r = head_append(&h, h.cur)) != SC_OK)
			goto out;
		h.cur++;
	} else {
		h.cur = 1;
		memcpy(h.idx, idx, SC_MAC_LEN);
	}
	if (keep != 0)
		h.keep = keep;
	if ((r = sc_store_hist_trim(v, chain, &h, sc_store_hist_keep(&h), NULL)) != SC_OK)
		goto out;
	r = sc_store_head_write(v, chain, new_anchor, &h);
out:
	sc_store_head_release(&h);
	return r;
}

int sc_store_hist_on_delete(struct sc_vault *v, uint64_t chain, const uint8_t idx[SC_MAC_LEN],
                            uint64_t old_anchor, const struct sc_secret *old)
{
	struct hist_head h = {0};
	int found, r;

	if (!sc_store_hist_enabled(v))
		return SC_OK;
	if ((r = sc_store_head_read(v, chain, old_anchor, &h, &found)) != SC_OK)
		goto out;
	if (!found)
		memcpy(h.idx, idx, SC_MAC_LEN);
	if ((r = sc_store_hist_row_put(v, chain, h.cur, idx, old)) != SC_OK ||
	    (r = head_append(&h, h.cur)) != SC_OK)
		goto out;
	h.deleted = 1;
	h.deleted_at = (int64_t)time(NULL);
	if ((r = sc_store_hist_trim(v, chain, &h, sc_store_hist_keep(&h), NULL)) != SC_OK)
		goto out;
	r = sc_store_head_write(v, chain, 0, &h);
out:
	sc_store_head_release(&h);
	return r;
}
