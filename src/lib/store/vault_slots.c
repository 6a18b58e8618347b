/* vault_slots.c - the key-slot table beyond the password: add a PKCS#11
 * token slot to an unlocked vault, list the slots, remove one (never the
 * last), unlock through a token slot (its PIN, no Argon2).
 *
 * A slot's row (keyslots: id, kind, params, wrapped) is bound by the AAD of
 * its wrapped DEK to the vault and its id, as the password slot is; what
 * the list shows beside it (when it was made, when it last opened the
 * vault) is in keyslot_info, made with the first token slot, and public. */
#include <p11-kit/uri.h>

#include "store/vault_int.h"
#include "secretctl/p11.h"

static const char info_schema[] = "CREATE TABLE IF NOT EXISTS keyslot_info (id INTEGER PRIMARY KEY,"
                                  " created INTEGER NOT NULL, last_used INTEGER);";

/* ---- the token slot's URI, for the list and for matching ---- */

static void blank_cut(char *dst, size_t cap, const unsigned char *src, size_t n)
{
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The token label (or serial) and object label a stored URI names. */
static void uri_names(const char *text, struct sc_vault_slot *s)
{
	P11KitUri *uri = p11_kit_uri_new();
	CK_TOKEN_INFO *ti;
	CK_ATTRIBUTE *a;

	if (uri == NULL || p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, uri) != P11_KIT_URI_OK) {
		p11_kit_uri_free(uri);
		return;
	}
	ti = p11_kit_uri_get_token_info(uri);
	blank_cut(s->token, sizeof(s->token), ti->label, sizeof(ti->label));
	if (s->token[0] == '\0')
		blank_cut(s->token, sizeof(s->token), ti->serialNumber, sizeof(ti->serialNumber));
	a = p11_kit_uri_get_attribute(uri, CKA_LABEL);
	if (a != NULL && a->pValue != NULL)
		blank_cut(s->label, sizeof(s->label), a->pValue, a->ulValueLen);
	p11_kit_uri_free(uri);
}

/* Whether the slot's stored URI names the token the given URI names. */
static int uri_matches(const char *given, const char *stored)
{
	P11KitUri *g = p11_kit_uri_new(), *st = p11_kit_uri_new();
	int m = 0;

	if (strcmp(given, stored) == 0) {
		m = 1;
	} else if (g != NULL && st != NULL &&
	           p11_kit_uri_parse(given, P11_KIT_URI_FOR_ANY, g) == P11_KIT_URI_OK &&
	           p11_kit_uri_parse(stored, P11_KIT_URI_FOR_ANY, st) == P11_KIT_URI_OK) {
		m = p11_kit_uri_match_token_info(g, p11_kit_uri_get_token_info(st));
	}
	p11_kit_uri_free(g);
	p11_kit_uri_free(st);
	return m;
}

/* ---- add ---- */

/* A new slot of kind k, with cred and the kind's opts, with its row of
 * keyslot_info, inside the caller's transaction. */
static int slot_add_in_txn(struct sc_vault *v, int k, const void *cred, size_t cred_len,
                           const void *opts, int64_t *id)
{
	const struct sc_keyslot_kind *kind = sc_keyslot_kind(k);
	uint8_t params[SC_KEYSLOT_PARAMS_MAX], wrapped[SC_KEYSLOT_WRAPPED_MAX];
	size_t plen = 0, wlen = 0;
	sqlite3_stmt *q = NULL;
	struct sc_keyslot_ctx c = {.vault_id = v->id};
	int rc, r;

	*id = 0;
	sc_clear_error();
	if (kind == NULL)
		return SC_ERR_INTERNAL;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	/* a new slot would wrap the DEK the rekey is replacing */
	if ((r = sc_store_rekey_refuse(v)) != SC_OK)
		return r;
	rc = sc_store_prepare_fixed(v->db, "SELECT coalesce(max(id), 0) + 1 FROM keyslots", 0, &q);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		c.slot_id = sqlite3_column_int64(q, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (rc != SQLITE_DONE)
		return sc_store_db_err(v->db, rc);
	/* a token generates its key (or has it) and wraps; the PIN stays here */
	if ((r = kind->wrap(&c, v->k->dek, cred, cred_len, opts, params, &plen, wrapped, &wlen)) !=
	    SC_OK)
		return r;
	if ((r = sc_store_exec_sql(v->db, info_schema)) != SC_OK)
		return r;
	rc = sc_store_prepare_fixed(
	    v->db, "INSERT INTO keyslots (id, kind, params, wrapped) VALUES (?, ?, ?, ?)", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, c.slot_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 2, k);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 3, params, (int)plen, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 4, wrapped, (int)wlen, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	q = NULL;
	if (rc == SQLITE_DONE)
		rc = sc_store_prepare_fixed(
		    v->db, "INSERT OR REPLACE INTO keyslot_info (id, created) VALUES (?, ?)", 0,
		    &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, c.slot_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 2, (sqlite3_int64)time(NULL));
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sc_store_db_err(v->db, rc);
	*id = c.slot_id;
	return SC_OK;
}

/* the end of a transaction of its own: committed after r SC_OK, else rolled back */
static int in_own_txn(struct sc_vault *v, int r)
{
	if (r == SC_OK && (r = sc_store_exec_kept(v, "COMMIT;")) == SC_OK)
		return SC_OK;
	sc_store_rollback(v);
	return r;
}

int sc_vault_slot_add_pkcs11_in_txn(struct sc_vault *v, const char *uri, const void *pin,
                                    size_t pin_len, int64_t *id)
{
	return slot_add_in_txn(v, SC_KEYSLOT_PKCS11, pin, pin_len, uri, id);
}

int sc_vault_slot_add_pkcs11(struct sc_vault *v, const char *uri, const void *pin, size_t pin_len,
                             int64_t *id)
{
	int r;

	*id = 0;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_store_exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		return r;
	r = in_own_txn(v, sc_vault_slot_add_pkcs11_in_txn(v, uri, pin, pin_len, id));
	if (r != SC_OK)
		*id = 0;
	return r;
}

int sc_vault_slot_add_recovery_in_txn(struct sc_vault *v, const uint8_t *key,
                                      const struct sc_keyslot_recovery *rec, int64_t *id)
{
	return slot_add_in_txn(v, SC_KEYSLOT_RECOVERY, key, SC_RECOVERY_KEY_LEN, rec, id);
}

int sc_vault_slot_add_recovery(struct sc_vault *v, const uint8_t *key,
                               const struct sc_keyslot_recovery *rec, int64_t *id)
{
	int r;

	*id = 0;
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_store_exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		return r;
	r = in_own_txn(v, sc_vault_slot_add_recovery_in_txn(v, key, rec, id));
	if (r != SC_OK)
		*id = 0;
	return r;
}

/* ---- list ---- */

static int has_info(struct sc_vault *v)
{
	sqlite3_stmt *q = NULL;
	int rc, has = 0;

	rc = sc_store_prepare_fixed(
	    v->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'keyslot_info'", 0,
	    &q);
	if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		has = 1;
	sqlite3_finalize(q);
	return has;
}

int sc_vault_slots_list(struct sc_vault *v, struct sc_vault_slot **out, size_t *n)
{
	static const char with_info[] =
	    "SELECT k.id, k.kind, k.params, i.created, i.last_used FROM keyslots k"
	    " LEFT JOIN keyslot_info i ON i.id = k.id ORDER BY k.id";
	static const char bare[] = "SELECT id, kind, params, NULL, NULL FROM keyslots ORDER BY id";
	struct sc_vault_slot *a = NULL, *s;
	sqlite3_stmt *q = NULL;
	size_t cnt = 0;
	int rc, r = SC_OK;

	*out = NULL;
	*n = 0;
	sc_clear_error();
	rc = sc_store_prepare_fixed(v->db, has_info(v) ? with_info : bare, 0, &q);
	if (rc != SQLITE_OK)
		return sc_store_db_err(v->db, rc);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((s = realloc(a, (cnt + 1) * sizeof(*a))) == NULL) {
			r = SC_ERR_NOMEM;
			goto out;
		}
		a = s;
		s = &a[cnt++];
		memset(s, 0, sizeof(*s));
		s->id = sqlite3_column_int64(q, 0);
		s->kind = sqlite3_column_int(q, 1);
		s->created = sqlite3_column_int64(q, 3);
		s->last_used = sqlite3_column_int64(q, 4);
		if (s->kind == SC_KEYSLOT_PKCS11) {
			char uri[SC_KEYSLOT_PARAMS_MAX];
			const uint8_t *p = sqlite3_column_blob(q, 2);
			size_t pl = (size_t)sqlite3_column_bytes(q, 2);

			/* params: u8 version, u16 length, the URI (pkcs11.c) */
			if (p != NULL && pl > 3 && pl - 3 < sizeof(uri)) {
				memcpy(uri, p + 3, pl - 3);
				uri[pl - 3] = '\0';
				snprintf(s->uri, sizeof(s->uri), "%s", uri);
				uri_names(uri, s);
			}
		} else if (s->kind == SC_KEYSLOT_RECOVERY) {
			struct sc_keyslot_recovery rec;

			if (sc_keyslot_recovery_params(sqlite3_column_blob(q, 2),
			                               (size_t)sqlite3_column_bytes(q, 2),
			                               &rec) == SC_OK)
				snprintf(s->label, sizeof(s->label), "%u of %u shares, split %u",
				         rec.threshold, rec.count, rec.identifier);
		}
	}
	if (rc != SQLITE_DONE) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	*out = a;
	*n = cnt;
	a = NULL;
out:
	sqlite3_finalize(q);
	free(a);
	return r;
}

/* ---- remove ---- */

int sc_vault_slot_remove_in_txn(struct sc_vault *v, int64_t id)
{
	sqlite3_stmt *q = NULL;
	int64_t total = 0;
	int rc, r, info = has_info(v);

	sc_clear_error();
	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_store_rekey_refuse(v)) != SC_OK)
		return r;
	rc = sc_store_prepare_fixed(v->db, "SELECT count(*), count(id = ? OR NULL) FROM keyslots",
	                            0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, id);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		total = sqlite3_column_int64(q, 0);
		rc = sqlite3_column_int64(q, 1) == 1 ? SQLITE_DONE : SQLITE_NOTFOUND;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (rc == SQLITE_NOTFOUND) {
		sc_set_error("no key slot %lld (see 'secretctl keyslot list')", (long long)id);
		return SC_ERR_NOT_FOUND;
	}
	if (rc != SQLITE_DONE)
		return sc_store_db_err(v->db, rc);
	if (total <= 1) {
		sc_set_error(
		    "slot %lld is the vault's last key slot: add another before removing it",
		    (long long)id);
		return SC_ERR_DENIED;
	}
	rc = sc_store_prepare_fixed(v->db, "DELETE FROM keyslots WHERE id = ?", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	q = NULL;
	if (rc == SQLITE_DONE && info) {
		rc = sc_store_prepare_fixed(v->db, "DELETE FROM keyslot_info WHERE id = ?", 0, &q);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(q, 1, id);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(q);
		sqlite3_finalize(q);
	}
	return rc == SQLITE_DONE ? SC_OK : sc_store_db_err(v->db, rc);
}

int sc_vault_slot_remove(struct sc_vault *v, int64_t id)
{
	int r;

	if (v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_store_exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK)
		return r;
	if ((r = in_own_txn(v, sc_vault_slot_remove_in_txn(v, id))) != SC_OK)
		return r;
	/* no WAL frame keeps the removed slot's wrapped key */
	return sc_vault_checkpoint(v);
}

/* ---- unlock through a token ---- */

static void touch(struct sc_vault *v, int64_t id)
{
	sqlite3_stmt *q = NULL;

	/* best effort: a read-only vault or a busy one keeps the old date */
	if (v->readonly || !has_info(v))
		return;
	if (sc_store_prepare_fixed(v->db,
	                           "INSERT INTO keyslot_info (id, created, last_used) VALUES (?1, "
	                           "?2, ?2) ON CONFLICT(id) DO UPDATE SET last_used = ?2",
	                           0, &q) == SQLITE_OK &&
	    sqlite3_bind_int64(q, 1, id) == SQLITE_OK &&
	    sqlite3_bind_int64(q, 2, (sqlite3_int64)time(NULL)) == SQLITE_OK)
		(void)sqlite3_step(q);
	sqlite3_finalize(q);
}

int sc_vault_unlock_pkcs11(struct sc_vault *v, const char *uri, const void *pin, size_t pin_len,
                           unsigned *pin_flags)
{
	const struct sc_keyslot_kind *kind = sc_keyslot_kind(SC_KEYSLOT_PKCS11);
	struct sc_vault_slot s;
	sqlite3_stmt *q = NULL;
	uint8_t *dek = NULL;
	int64_t used = 0;
	int rc, r = SC_ERR_NOT_FOUND;

	sc_clear_error();
	if (pin_flags != NULL)
		*pin_flags = 0;
	if (kind == NULL)
		return SC_ERR_INTERNAL;
	if ((dek = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	rc = sc_store_prepare_fixed(
	    v->db, "SELECT id, params, wrapped FROM keyslots WHERE kind = ? ORDER BY id", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 1, SC_KEYSLOT_PKCS11);
	if (rc != SQLITE_OK) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct sc_keyslot_ctx c = {.vault_id = v->id,
		                           .slot_id = sqlite3_column_int64(q, 0)};
		const uint8_t *p = sqlite3_column_blob(q, 1);
		size_t pl = (size_t)sqlite3_column_bytes(q, 1);

		memset(&s, 0, sizeof(s));
		if (p != NULL && pl > 3 && pl - 3 < sizeof(s.uri)) {
			memcpy(s.uri, p + 3, pl - 3);
			s.uri[pl - 3] = '\0';
		}
		if (uri != NULL && !uri_matches(uri, s.uri))
			continue;
		/* one login per slot: a wrong PIN is not tried on the next one
		 * (each try counts against the token's PIN counter) */
		r = kind->unwrap(&c, p, pl, sqlite3_column_blob(q, 2),
		                 (size_t)sqlite3_column_bytes(q, 2), pin, pin_len, dek);
		if (pin_flags != NULL)
			*pin_flags = sc_keyslot_pkcs11_pin_flags();
		if (r == SC_OK)
			used = c.slot_id;
		if (r == SC_ERR_NOT_FOUND) {
			sc_set_error("token slot %lld: the key '%s' is no longer in the token",
			             (long long)c.slot_id, s.uri);
			r = SC_ERR_TOKEN;
		}
		break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (r == SC_ERR_NOT_FOUND) {
		sc_set_error(uri != NULL ? "the vault has no key slot for token '%.200s'"
		                         : "the vault has no token key slot%.0s",
		             uri != NULL ? uri : "");
		r = SC_ERR_AUTH;
		goto out;
	}
	if (r != SC_OK)
		goto out;
	if ((r = sc_vault_unlock_dek(v, dek)) == SC_OK)
		touch(v, used);
out:
	sqlite3_finalize(q);
	sc_secmem_free(dek);
	return r;
}

/* ---- unlock with a recovery key ---- */

int sc_vault_unlock_recovery(struct sc_vault *v, const uint8_t *key, int64_t *slot)
{
	const struct sc_keyslot_kind *kind = sc_keyslot_kind(SC_KEYSLOT_RECOVERY);
	sqlite3_stmt *q = NULL;
	uint8_t *dek = NULL;
	int rc, r = SC_ERR_NOT_FOUND;

	sc_clear_error();
	*slot = 0;
	if (kind == NULL)
		return SC_ERR_INTERNAL;
	if ((dek = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	rc = sc_store_prepare_fixed(
	    v->db, "SELECT id, params, wrapped FROM keyslots WHERE kind = ? ORDER BY id", 0, &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(q, 1, SC_KEYSLOT_RECOVERY);
	if (rc != SQLITE_OK) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	/* no KDF: trying each recovery slot costs one HKDF and one open */
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct sc_keyslot_ctx c = {.vault_id = v->id,
		                           .slot_id = sqlite3_column_int64(q, 0)};

		r = kind->unwrap(&c, sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1),
		                 sqlite3_column_blob(q, 2), (size_t)sqlite3_column_bytes(q, 2), key,
		                 SC_RECOVERY_KEY_LEN, dek);
		if (r == SC_OK) {
			*slot = c.slot_id;
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (r == SC_ERR_NOT_FOUND) {
		sc_set_error(
		    "the vault has no recovery slot ('secretctl recovery split' makes one)");
		r = SC_ERR_AUTH;
		goto out;
	}
	if (r != SC_OK) {
		sc_set_error("these shares open no recovery slot of this vault (shares of another "
		             "vault, or of a split whose slot was removed)");
		goto out;
	}
	if ((r = sc_vault_unlock_dek(v, dek)) == SC_OK)
		touch(v, *slot);
out:
	sqlite3_finalize(q);
	sc_secmem_free(dek);
	return r;
}
