/* snapshot.c - a consistent copy of the vault database for a backup:
 * SQLite's online backup API copies every page inside one read transaction
 * into an in-memory database, which is then serialized as a whole file. The
 * key slots are read from that copy, so they match it. */
#include "secretctl/backup.h"
#include "store/vault_int.h"

void sc_vault_snapshot_release(struct sc_vault_snapshot *s)
{
	free(s->db);
	free(s->slots);
	free(s->log);
	free(s->pending);
	free(s->policy);
	memset(s, 0, sizeof(*s));
}

static int read_slots(sqlite3 *mem, struct sc_vault_snapshot *s)
{
	sqlite3_stmt *q = NULL;
	int rc, r = SC_OK;

	rc = sqlite3_prepare_v2(mem, "SELECT id, kind, params, wrapped FROM keyslots ORDER BY id",
	                        -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sc_store_db_err(mem, rc);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct sc_backup_slot *sl;
		int plen = sqlite3_column_bytes(q, 2), wlen = sqlite3_column_bytes(q, 3);

		if (s->nslots == SC_BACKUP_SLOTS_MAX || plen < 0 || wlen < 0 ||
		    (size_t)plen > SC_KEYSLOT_PARAMS_MAX || (size_t)wlen > SC_KEYSLOT_WRAPPED_MAX) {
			sc_set_error("the vault's key slot table is damaged");
			r = SC_ERR_CORRUPT;
			goto out;
		}
		if (s->slots == NULL &&
		    (s->slots = calloc(SC_BACKUP_SLOTS_MAX, sizeof(*s->slots))) == NULL) {
			r = SC_ERR_NOMEM;
			goto out;
		}
		sl = &s->slots[s->nslots++];
		sl->id = sqlite3_column_int64(q, 0);
		sl->kind = sqlite3_column_int(q, 1);
		sl->params_len = (size_t)plen;
		sl->wrapped_len = (size_t)wlen;
		if (plen > 0)
			memcpy(sl->params, sqlite3_column_blob(q, 2), (size_t)plen);
		if (wlen > 0)
			memcpy(sl->wrapped, sqlite3_column_blob(q, 3), (size_t)wlen);
	}
	if (rc != SQLITE_DONE)
		r = sc_store_db_err(mem, rc);
	else if (s->nslots == 0) {
		sc_set_error("the vault has no key slot");
		r = SC_ERR_CORRUPT;
	}
out:
	sqlite3_finalize(q);
	return r;
}

int sc_vault_snapshot_db(struct sc_vault *v, struct sc_vault_snapshot *s)
{
	sqlite3 *mem = NULL;
	sqlite3_backup *bk;
	sqlite3_int64 size = 0;
	unsigned char *p;
	int rc, r, tries;

	if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(mem);
		return SC_ERR_NOMEM;
	}
	if ((bk = sqlite3_backup_init(mem, "main", v->db, "main")) == NULL) {
		r = sc_store_db_err(mem, sqlite3_errcode(mem));
		goto out;
	}
	/* all pages in one step: one read transaction, one moment of the vault */
	for (tries = 0; tries < 200; tries++) {
		rc = sqlite3_backup_step(bk, -1);
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		sqlite3_sleep(50);
	}
	if (sqlite3_backup_finish(bk) != SQLITE_OK || rc != SQLITE_DONE) {
		r = rc == SQLITE_BUSY || rc == SQLITE_LOCKED
		        ? SC_ERR_BUSY
		        : sc_store_db_err(mem, sqlite3_errcode(mem));
		goto out;
	}
	if ((r = read_slots(mem, s)) != SC_OK)
		goto out;
	if ((p = sqlite3_serialize(mem, "main", &size, 0)) == NULL || size < 100) {
		sqlite3_free(p);
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((s->db = malloc((size_t)size)) == NULL) {
		sqlite3_free(p);
		r = SC_ERR_NOMEM;
		goto out;
	}
	memcpy(s->db, p, (size_t)size);
	sqlite3_free(p);
	s->db_len = (size_t)size;
	/* the file format's read and write versions: 2 is WAL, as a vault is */
	s->db[18] = 2;
	s->db[19] = 2;
	r = SC_OK;
out:
	sqlite3_close(mem);
	return r;
}
