/* writes_slots.c - the audited operations on the key slots (session.h):
 * each the change and its entry in one step (sc_sess_write). */
#include "secretctl/rekey.h"
#include "secretctl/secretctl.h"
#include "secretctl/shares.h"
#include "session/session_int.h"

struct slot_txn {
	const char *pw, *uri;
	size_t len;
	const void *cred;
	const struct sc_kdf_params *kp;
	const struct sc_keyslot_recovery *rec;
	int64_t id, *out;
};

static int passwd_in_txn(struct sc_vault *v, void *arg)
{
	const struct slot_txn *t = arg;

	return sc_vault_passwd_in_txn(v, t->pw, t->len, t->kp);
}

int sc_session_passwd(struct sc_vault *v, const struct sc_session_who *who, const char *pw,
                      size_t pw_len, const struct sc_kdf_params *kp, int after_recovery)
{
	struct slot_txn t = {.pw = pw, .len = pw_len, .kp = kp};

	if (who == NULL || pw == NULL)
		return SC_ERR_INVALID;
	return sc_sess_write(v, who, after_recovery ? "recovery.open" : "passwd", NULL, 0,
	                     passwd_in_txn, &t);
}

static int add_pkcs11_in_txn(struct sc_vault *v, void *arg)
{
	struct slot_txn *t = arg;

	return sc_vault_slot_add_pkcs11_in_txn(v, t->uri, t->cred, t->len, t->out);
}

int sc_session_slot_add_pkcs11(struct sc_vault *v, const struct sc_session_who *who,
                               const char *uri, const void *pin, size_t pin_len, int64_t *id)
{
	struct slot_txn t = {.uri = uri, .cred = pin, .len = pin_len, .out = id};
	int r;

	if (who == NULL || id == NULL)
		return SC_ERR_INVALID;
	if ((r = sc_sess_write(v, who, "keyslot.add", NULL, 0, add_pkcs11_in_txn, &t)) != SC_OK)
		*id = 0;
	return r;
}

static int add_recovery_in_txn(struct sc_vault *v, void *arg)
{
	struct slot_txn *t = arg;

	return sc_vault_slot_add_recovery_in_txn(v, t->cred, t->rec, t->out);
}

int sc_session_recovery_split(struct sc_vault *v, const struct sc_session_who *who,
                              struct sc_keyslot_recovery *rec, struct sc_share_set **set,
                              int64_t *id)
{
	struct sc_share_info info;
	struct slot_txn t = {.rec = rec, .out = id};
	uint8_t *key;
	int r;

	if (who == NULL || rec == NULL || set == NULL || id == NULL)
		return SC_ERR_INVALID;
	*set = NULL;
	*id = 0;
	if ((key = sc_secmem_alloc(SC_RECOVERY_KEY_LEN)) == NULL) {
		(void)sc_sess_record(v, who, "recovery.split", NULL, 0, SC_ERR_NOMEM);
		return SC_ERR_NOMEM;
	}
	sc_random(key, SC_RECOVERY_KEY_LEN);
	r = sc_shares_split_simple(key, SC_RECOVERY_KEY_LEN, rec->threshold, rec->count, set);
	if (r == SC_OK && (r = sc_share_inspect(sc_share_set_mnemonic(*set, 0, 0), &info)) == SC_OK)
		rec->identifier = info.identifier;
	/* the slot exists only once the shares are made; they are shown
	 * only once the slot and its entry are stored */
	t.cred = key;
	if (r == SC_OK)
		r = sc_sess_write(v, who, "recovery.split", NULL, 0, add_recovery_in_txn, &t);
	else
		(void)sc_sess_record(v, who, "recovery.split", NULL, 0, r);
	sc_secmem_free(key);
	if (r != SC_OK) {
		sc_share_set_free(*set);
		*set = NULL;
		*id = 0;
	}
	return r;
}

static int remove_in_txn(struct sc_vault *v, void *arg)
{
	const struct slot_txn *t = arg;

	return sc_vault_slot_remove_in_txn(v, t->id);
}

int sc_session_slot_remove(struct sc_vault *v, const struct sc_session_who *who, int64_t id)
{
	struct slot_txn t = {.id = id};
	int r;

	if (who == NULL)
		return SC_ERR_INVALID;
	if ((r = sc_sess_write(v, who, "keyslot.remove", NULL, 0, remove_in_txn, &t)) != SC_OK)
		return r;
	/* no WAL frame keeps the removed slot's wrapped key */
	return sc_vault_checkpoint(v);
}

/* ---- rekey ---- */

static int rekey_in_txn(struct sc_vault *v, void *arg)
{
	(void)v;
	return sc_rekey_finish_in_txn(arg);
}

int sc_session_rekey(struct sc_vault *v, const struct sc_session_who *who, struct sc_rekey *rk)
{
	int r;

	if (who == NULL || rk == NULL)
		return SC_ERR_INVALID;
	if ((r = sc_rekey_migrate(rk)) != SC_OK) {
		/* the vault reads as before under either key; a rerun goes on */
		(void)sc_sess_record(v, who, "rekey", NULL, 0, r);
		return r;
	}
	/* the check, the slots, the old key dropped and the entry: one step */
	return sc_sess_write(v, who, "rekey", NULL, 0, rekey_in_txn, rk);
}

/* ---- rewrap --all ---- */

int sc_session_key_rewrap_all(struct sc_vault *v, const struct sc_session_who *who,
                              const char *name, size_t batch, struct sc_vault_rewrap_report *rep)
{
	int r, a;

	if (who == NULL || name == NULL || rep == NULL)
		return SC_ERR_INVALID;
	/* each batch is durable with its index update; the run's one entry
	 * says how it ended (a rerun goes on where a crash left it) */
	r = sc_vault_key_rewrap_all(v, name, batch, rep);
	a = sc_sess_record(v, who, "key.rewrap-all", &name, 1, r);
	return r != SC_OK ? r : a;
}
