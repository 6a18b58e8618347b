/* vault_keyring.c - the vault's keyring (keys.h) kept as one sealed row: sealed
 * with sc_keyring_seal under the keyring sub-key, and its MAC anchored in
 * the sealed state (SCS2), so the row is authenticated with the record
 * set: a row rolled back, swapped in from another vault, or deleted is an
 * error. Writes happen inside the caller's transaction, with the audit
 * entry (sc_audit_append_with). */
#include "secretctl/keys.h"
#include "store/vault_int.h"

static int table_exists(struct sc_vault *v, int *exists)
{
	sqlite3_stmt *q = NULL;
	int rc;

	*exists = 0;
	rc = sqlite3_prepare_v2(v->db,
	                        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
	                        "'keyring'",
	                        -1, &q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		*exists = 1;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
}

/* A sealed row's identity: its random nonce and its GCM tag. */
static void origin_of(const uint8_t *sealed, size_t len, uint8_t tag[SC_KEYRING_ORIGIN_LEN])
{
	memcpy(tag, sealed, SC_NONCE_LEN);
	memcpy(tag + SC_NONCE_LEN, sealed + len - SC_TAG_LEN, SC_TAG_LEN);
}

/* Refuse to save a copy of the keyring read before another command saved
 * its own: the later save would drop what the other made (a version a
 * secret is sealed under, a counter reservation). */
static int check_origin(struct sc_vault *v, const struct sc_keyring *kr)
{
	sqlite3_stmt *q = NULL;
	uint8_t want[SC_KEYRING_ORIGIN_LEN], have[SC_KEYRING_ORIGIN_LEN];
	int rc, r = SC_OK, exists, known;

	if ((r = table_exists(v, &exists)) != SC_OK)
		return r;
	known = sc_keyring_get_origin(kr, want);
	if (!exists)
		return known ? SC_ERR_CORRUPT : SC_OK;
	rc = sqlite3_prepare_v2(v->db, "SELECT body FROM keyring WHERE id = 1", -1, &q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(q, 0);

		if (sqlite3_column_blob(q, 0) == NULL || len < SC_SEAL_OVERHEAD)
			r = SC_ERR_CORRUPT;
		else
			origin_of(sqlite3_column_blob(q, 0), len, have);
		if (r == SC_OK && (!known || sc_memcmp_ct(want, have, sizeof(want)) != 0)) {
			sc_set_error(
			    "the vault's keyring changed since this command read it (another "
			    "command saved it meanwhile): run it again");
			r = SC_ERR_BUSY;
		}
	} else if (rc != SQLITE_DONE) {
		r = sc_store_db_err(v->db, rc);
	}
	sqlite3_finalize(q);
	return r;
}

/* The keyring's reference hook: the vault's index (keyrefs.c) counts
 * every item, current or kept in a history, that uses the version. */
static int refs_hook(const char *name, uint32_t version, uint64_t *count, void *arg)
{
	struct sc_vault_key_refs n;
	int r;

	*count = 0;
	if ((r = sc_vault_key_refs(arg, name, version, &n)) != SC_OK)
		return r;
	*count = n.records + n.history;
	return SC_OK;
}

static void install_hooks(struct sc_vault *v, struct sc_keyring *kr)
{
	sc_keyring_set_refs(kr, refs_hook, v);
	sc_keyring_set_sig_keygen(kr, sc_keys_sig_keygen, NULL);
	/* one process, one command: every reservation is saved with it */
	sc_keyring_set_reserve(kr, 1);
}

int sc_vault_keyring_load(struct sc_vault *v, struct sc_keyring **out)
{
	sqlite3_stmt *q = NULL;
	struct sc_keyring *kr = NULL;
	struct state st;
	uint8_t mac[SC_MAC_LEN];
	const uint8_t *body;
	size_t len;
	uint8_t tag[SC_KEYRING_ORIGIN_LEN];
	int r, rc, exists, has_refs;

	*out = NULL;
	if (v == NULL || v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_store_state_read(v, &st)) != SC_OK || (r = table_exists(v, &exists)) != SC_OK)
		return r;
	if (!exists || !st.has_keyring) {
		if (exists != st.has_keyring) {
			/* a state that anchors a keyring with no table, or the reverse */
			sc_set_error("the vault's keyring does not match its sealed state");
			return SC_ERR_CORRUPT;
		}
		if ((r = sc_keyring_new(&kr)) != SC_OK)
			return r;
		goto done;
	}
	rc = sqlite3_prepare_v2(v->db, "SELECT body FROM keyring WHERE id = 1", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sc_store_db_err(v->db, rc);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? SC_ERR_CORRUPT : sc_store_db_err(v->db, rc);
		if (r == SC_ERR_CORRUPT)
			sc_set_error("the vault's keyring is missing");
		goto out;
	}
	body = sqlite3_column_blob(q, 0);
	len = (size_t)sqlite3_column_bytes(q, 0);
	if (body == NULL || len == 0) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((r = sc_store_anchor_mac(v, mac, &has_refs)) != SC_OK)
		goto out;
	if (sc_memcmp_ct(mac, st.kr_mac, SC_MAC_LEN) != 0) {
		sc_set_error("the vault's keyring is not the one its sealed state names "
		             "(rolled back or replaced)");
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((r = sc_keyring_open(v->k->keyring, v->id, body, len, &kr)) != SC_OK)
		goto out;
	origin_of(body, len, tag);
	sc_keyring_set_origin(kr, tag);
done:
	install_hooks(v, kr);
	*out = kr;
	kr = NULL;
	r = SC_OK;
out:
	sqlite3_finalize(q);
	sc_keyring_free(kr);
	return r;
}

int sc_vault_keyring_save_in_txn(struct sc_vault *v, const struct sc_keyring *kr)
{
	sqlite3_stmt *q = NULL;
	uint8_t *sealed = NULL;
	size_t len = 0;
	struct state st;
	int r, rc;

	if (v == NULL || v->k == NULL)
		return SC_ERR_LOCKED;
	if (sqlite3_get_autocommit(v->db))
		return SC_ERR_INVALID; /* only inside the caller's transaction */
	if ((r = sc_store_state_read(v, &st)) != SC_OK || (r = check_origin(v, kr)) != SC_OK)
		return r;
	if ((r = sc_keyring_seal(kr, v->k->keyring, v->id, &sealed, &len)) != SC_OK)
		return r;
	if (len > INT_MAX) {
		r = SC_ERR_TOOBIG;
		goto out;
	}
	st.has_keyring = 1; /* the state's write anchors the row */
	if ((r = sc_store_exec_sql(v->db, "CREATE TABLE IF NOT EXISTS keyring (id INTEGER PRIMARY "
	                                  "KEY CHECK (id = 1), body BLOB NOT NULL);")) != SC_OK)
		goto out;
	rc = sqlite3_prepare_v2(v->db, "INSERT OR REPLACE INTO keyring (id, body) VALUES (1, ?)",
	                        -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 1, sealed, (int)len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_DONE) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	if ((r = sc_store_state_write(v, &st)) == SC_OK) {
		uint8_t tag[SC_KEYRING_ORIGIN_LEN];

		/* the copy saved is the one on disk now (a rolled-back transaction
		 * leaves it saying so: the next save is refused, not lost) */
		origin_of(sealed, len, tag);
		sc_keyring_set_origin((struct sc_keyring *)kr, tag);
	}
out:
	sqlite3_finalize(q);
	free(sealed);
	return r;
}
