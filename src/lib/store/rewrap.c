/* rewrap.c - `key rewrap --all NAME`: every item the reference index says
 * uses an older version of key NAME - a secret's record, a version kept in
 * its history - sealed again under the key's newest version, in batches.
 * Each batch is one transaction: the bodies rewritten in place (the same
 * record version, the same history row: the AAD and the authenticated
 * index do not change), the reference index and the keyring (its counters)
 * with them. So a crash at any point leaves every item under its old
 * version or its new one, never neither, and a rerun goes on from the
 * index: it is its own progress marker. */
#include "secretctl/keys.h"
#include "store/vault_int.h"

static int one_batch(struct sc_vault *v, const char *name, size_t batch,
                     struct sc_vault_rewrap_report *rep, int *done)
{
	struct sc_store_ref_place *pl = NULL, again;
	struct sc_keyring *kr = NULL;
	struct sc_key_meta m;
	struct sc_secret *s = NULL, *s2 = NULL;
	uint64_t gen0;
	size_t n = 0, i, nf, fields = 0, left = 0;
	int r;

	*done = 0;
	if ((pl = calloc(batch, sizeof(*pl))) == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_store_exec_kept(v, "BEGIN IMMEDIATE;")) != SC_OK) {
		free(pl);
		return r;
	}
	if ((r = sc_vault_keyring_load(v, &kr)) != SC_OK ||
	    (r = sc_keyring_key_meta(kr, name, &m)) != SC_OK)
		goto fail;
	rep->version = m.newest;
	gen0 = sc_keyring_generation(kr);
	if ((r = sc_store_refs_below(v, name, m.newest, pl, batch, &n)) != SC_OK)
		goto fail;
	if (n == 0) {
		*done = 1;
		goto fail; /* nothing to write: r is SC_OK */
	}
	v->refs_defer = 1;
	for (i = 0; i < n; i++) {
		if (pl[i].kind == SC_REF_RECORD) {
			struct entry e;

			memset(&e, 0, sizeof(e));
			e.id = pl[i].chain;
			e.version = pl[i].ver;
			r = sc_store_record_load(v, &e, NULL, &s);
		} else {
			r = sc_store_hist_row_get(v, pl[i].chain, pl[i].ver, pl[i].idx, NULL, &s);
		}
		if (r == SC_OK)
			r = sc_store_fk_rewrap(v, kr, name, m.newest, s, &s2, &nf);
		if (r == SC_OK)
			r = pl[i].kind == SC_REF_RECORD
			        ? sc_store_record_write(v, pl[i].chain, pl[i].ver, s2)
			        : sc_store_hist_row_put(v, pl[i].chain, pl[i].ver, pl[i].idx, s2);
		sc_secret_free(s);
		sc_secret_free(s2);
		s = s2 = NULL;
		if (r != SC_OK)
			goto fail;
		fields += nf;
	}
	v->refs_defer = 0;
	if ((r = sc_store_refs_flush(v)) != SC_OK)
		goto fail;
	/* the batch's first item must have left the old versions: a batch
	 * that moved nothing would come round again for ever */
	if ((r = sc_store_refs_below(v, name, m.newest, &again, 1, &left)) != SC_OK)
		goto fail;
	if (left > 0 && again.kind == pl[0].kind && again.chain == pl[0].chain &&
	    again.ver == pl[0].ver) {
		sc_set_error("the reference index still lists an item the rewrap wrote");
		r = SC_ERR_INTERNAL;
		goto fail;
	}
	if (sc_keyring_generation(kr) != gen0 && (r = sc_vault_keyring_save_in_txn(v, kr)) != SC_OK)
		goto fail;
	if ((r = sc_store_exec_kept(v, "COMMIT;")) != SC_OK)
		goto fail;
	rep->items += n;
	rep->fields += fields;
	rep->batches++;
	sc_keyring_free(kr);
	free(pl);
	return SC_OK;
fail:
	v->refs_defer = 0;
	sc_store_refs_drop(v); /* what the memory says is not what the row says */
	sc_store_rollback(v);
	sc_keyring_free(kr);
	free(pl);
	return r;
}

int sc_vault_key_rewrap_all(struct sc_vault *v, const char *name, size_t batch,
                            struct sc_vault_rewrap_report *rep)
{
	int r, done = 0;

	memset(rep, 0, sizeof(*rep));
	if (v == NULL || v->k == NULL)
		return SC_ERR_LOCKED;
	if ((r = sc_keys_name_valid(name)) != SC_OK)
		return r;
	if (batch == 0)
		batch = SC_REWRAP_BATCH_DEFAULT;
	if (batch > SC_REWRAP_BATCH_MAX)
		return SC_ERR_INVALID;
	while (!done)
		if ((r = one_batch(v, name, batch, rep, &done)) != SC_OK)
			return r;
	return SC_OK;
}
