/* dek.c - the DEK's versions: which keys a DEK gives the vault as it is
 * now (the version, the index and audit keys carried across rekeys, a
 * running rekey's new DEK), the opening of what either version sealed, and
 * the public facts of the DEK (when made, its cryptoperiod).
 *
 * meta rows: dek_version (u64; absent: 1), dek_created, dek_period (u64
 * Unix seconds / seconds; absent: not known / the default), dek_carry (the
 * carried index and audit keys, sealed under the version's meta key; absent
 * for version 1, whose own they are), and while a rekey runs rekey_key (the
 * new DEK sealed under the old meta key) and rekey_phase, rekey_cursor (rekey.c). */
#include "store/vault_int.h"
#include "secretctl/rekey.h"

/* ---- the sub-keys ---- */

int sc_store_derive_keys(const struct sc_vault *v, const uint8_t dek[SC_KEY_LEN], struct keys *k)
{
	static const struct {
		const char *info;
		size_t off;
	} sub[] = {
	    {"secretctl/v1/record", offsetof(struct keys, rec)},
	    {"secretctl/v1/index", offsetof(struct keys, idx)},
	    {"secretctl/v1/meta", offsetof(struct keys, meta)},
	    {"secretctl/v1/audit", offsetof(struct keys, audit)},
	    {"secretctl/v1/keyring", offsetof(struct keys, keyring)},
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if ((r = sc_hkdf(dek, SC_KEY_LEN, v->id, ID_LEN, (const uint8_t *)sub[i].info,
		                 strlen(sub[i].info), (uint8_t *)k + sub[i].off, SC_KEY_LEN)) !=
		    SC_OK)
			return r;
	return SC_OK;
}

void sc_store_dek_aad(const struct sc_vault *v, const char *dom, uint64_t a, uint64_t b,
                      uint8_t *aad, size_t *n)
{
	size_t k = strlen(dom) + 1;

	memcpy(aad, dom, k);
	memcpy(aad + k, v->id, ID_LEN);
	k += ID_LEN;
	sc_be64_put(aad + k, a);
	sc_be64_put(aad + k + 8, b);
	*n = k + 16;
}

int sc_store_meta_u64(sqlite3 *db, const char *key, uint64_t *val, int *found)
{
	sqlite3_stmt *q = NULL;
	int rc;

	*val = 0;
	*found = 0;
	rc = sc_store_prepare_fixed(db, "SELECT value FROM meta WHERE key = ?", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(q, 0) != 8) {
			sqlite3_finalize(q);
			return SC_ERR_CORRUPT;
		}
		*val = sc_be64_get(sqlite3_column_blob(q, 0));
		*found = 1;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SC_OK : sc_store_db_err(db, rc);
}

int sc_store_meta_put_u64(sqlite3 *db, const char *key, uint64_t val)
{
	uint8_t b[8];

	sc_be64_put(b, val);
	return sc_store_meta_put(db, key, b, 8);
}

int sc_store_meta_del(sqlite3 *db, const char *key)
{
	sqlite3_stmt *q = NULL;
	int rc;

	rc = sc_store_prepare_fixed(db, "DELETE FROM meta WHERE key = ?", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SC_OK : sc_store_db_err(db, rc);
}

/* A read transaction unless the caller holds one (as records.c's, which
 * depends on this file). */
static int dek_begin_read(struct sc_vault *v, int *began)
{
	*began = 0;
	if (!sqlite3_get_autocommit(v->db))
		return SC_OK;
	*began = 1;
	return sc_store_exec_kept(v, "BEGIN;");
}

static void dek_end_read(struct sc_vault *v, int began)
{
	if (began)
		(void)sc_store_exec_kept(v, "ROLLBACK;");
}

/* Open meta row key, sealed under mkey with the AAD of (dom, a, b), into
 * out (len bytes); *found 0 when the row is absent. */
static int sealed_row(struct sc_vault *v, const char *key, const char *dom, uint64_t a, uint64_t b,
                      const uint8_t *mkey, uint8_t *out, size_t len, int *found)
{
	sqlite3_stmt *q = NULL;
	uint8_t aad[96];
	size_t aad_len;
	int rc, r;

	*found = 0;
	rc = sc_store_prepare_fixed(v->db, "SELECT value FROM meta WHERE key = ?", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(q);
		return SC_OK;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(q);
		return sc_store_db_err(v->db, rc);
	}
	*found = 1;
	if ((size_t)sqlite3_column_bytes(q, 0) != len + SC_SEAL_OVERHEAD) {
		sqlite3_finalize(q);
		return SC_ERR_CORRUPT;
	}
	sc_store_dek_aad(v, dom, a, b, aad, &aad_len);
	r = sc_open(mkey, aad, aad_len, sqlite3_column_blob(q, 0), len + SC_SEAL_OVERHEAD, out);
	sqlite3_finalize(q);
	return r == SC_OK ? SC_OK : SC_ERR_AUTH;
}

int sc_store_keys_load(struct sc_vault *v, struct keys *k)
{
	struct keys *t = NULL;
	uint8_t *carry = NULL;
	uint64_t ver;
	int found, began = 0, r;

	if ((r = dek_begin_read(v, &began)) != SC_OK)
		return r;
	if ((r = sc_store_meta_u64(v->db, "dek_version", &ver, &found)) != SC_OK)
		goto out;
	if (!found)
		ver = 1;
	k->rekeying = 0;
	k->ver = ver;
	if ((r = sc_store_derive_keys(v, k->dek, k)) != SC_OK)
		goto out;
	if ((carry = sc_secmem_alloc(2 * SC_KEY_LEN)) == NULL ||
	    (t = sc_secmem_alloc(sizeof(*t))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = sealed_row(v, "dek_carry", "secretctl/v1/dek-carry", ver, 0, k->meta, carry,
	                    2 * SC_KEY_LEN, &found)) != SC_OK)
		goto out;
	if (!found && ver != 1) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if (found) {
		memcpy(k->idx, carry, SC_KEY_LEN);
		memcpy(k->audit, carry + SC_KEY_LEN, SC_KEY_LEN);
	}
	/* a rekey from ver to ver + 1 has begun: write under the new DEK */
	if ((r = sealed_row(v, "rekey_key", "secretctl/v1/rekey", ver, ver + 1, k->meta, k->next,
	                    SC_KEY_LEN, &found)) != SC_OK ||
	    !found)
		goto out;
	if ((r = sc_store_derive_keys(v, k->next, t)) != SC_OK)
		goto out;
	memcpy(k->old_rec, k->rec, SC_KEY_LEN);
	memcpy(k->old_meta, k->meta, SC_KEY_LEN);
	memcpy(k->rec, t->rec, SC_KEY_LEN);
	memcpy(k->meta, t->meta, SC_KEY_LEN);
	memcpy(k->keyring, t->keyring, SC_KEY_LEN);
	k->rekeying = 1;
out:
	dek_end_read(v, began);
	sc_secmem_free(carry);
	sc_secmem_free(t);
	return r;
}

int sc_store_keys_reload(struct sc_vault *v)
{
	struct keys *k;
	int r;

	if (v->k == NULL || v->reloading)
		return SC_ERR_LOCKED;
	if ((k = sc_secmem_alloc(sizeof(*k))) == NULL)
		return SC_ERR_NOMEM;
	memcpy(k->dek, v->k->dek, SC_KEY_LEN);
	v->reloading = 1;
	r = sc_store_keys_load(v, k);
	v->reloading = 0;
	if (r == SC_OK && sc_memcmp_ct(k, v->k, sizeof(*k)) == 0)
		r = SC_ERR_NOT_FOUND; /* nothing changed */
	if (r != SC_OK) {
		sc_secmem_free(k);
		return r;
	}
	sc_secmem_free(v->k);
	v->k = k;
	return SC_OK;
}

int sc_store_open_either(struct sc_vault *v, int meta, const uint8_t *aad, size_t aad_len,
                         const uint8_t *body, size_t len, uint8_t *pt)
{
	int r = sc_open(meta ? v->k->meta : v->k->rec, aad, aad_len, body, len, pt);

	if (r != SC_OK && v->k->rekeying && !v->strict)
		r = sc_open(meta ? v->k->old_meta : v->k->old_rec, aad, aad_len, body, len, pt);
	return r;
}

const uint8_t *sc_store_old_key(const struct sc_vault *v, int meta)
{
	if (v->k == NULL || !v->k->rekeying || v->strict)
		return NULL;
	return meta ? v->k->old_meta : v->k->old_rec;
}

int sc_store_rekey_refuse(struct sc_vault *v)
{
	sqlite3_stmt *q = NULL;
	int rc, busy = 0;

	rc = sc_store_prepare_fixed(v->db, "SELECT 1 FROM meta WHERE key = 'rekey_key'", 0, &q);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
		busy = 1;
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sc_store_db_err(v->db, rc);
	if (!busy)
		return SC_OK;
	sc_set_error("a rekey of the vault has begun and not finished: run 'secretctl rekey' to "
	             "finish it first");
	return SC_ERR_BUSY;
}

/* ---- public: the DEK's facts ---- */

int sc_vault_dek_info(struct sc_vault *v, struct sc_dek_info *out)
{
	uint64_t val;
	int found, r, began = 0;

	memset(out, 0, sizeof(*out));
	sc_clear_error();
	if ((r = dek_begin_read(v, &began)) != SC_OK)
		return r;
	if ((r = sc_store_meta_u64(v->db, "dek_version", &val, &found)) != SC_OK)
		goto out;
	out->version = found ? val : 1;
	if ((r = sc_store_meta_u64(v->db, "dek_created", &val, &found)) != SC_OK)
		goto out;
	out->created = found ? (int64_t)val : 0;
	if ((r = sc_store_meta_u64(v->db, "dek_period", &val, &found)) != SC_OK)
		goto out;
	out->period = found && val > 0 ? (int64_t)val : SC_DEK_PERIOD_DEFAULT;
	out->period_set = found;
	if ((r = sc_store_meta_u64(v->db, "rekey_phase", &val, &found)) != SC_OK)
		goto out;
	out->rekey_pending = found;
out:
	dek_end_read(v, began);
	return r;
}
