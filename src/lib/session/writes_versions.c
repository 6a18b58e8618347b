/* writes_versions.c - the audited operations on a secret's versions (session.h):
 * each the write and its entry in one step (sc_sess_write). */
#include <string.h>

#include "secretctl/secretctl.h"
#include "session/session_int.h"

struct vtxn {
	const char *name, *to_name;
	uint64_t *a, *b;
	unsigned keep;
	size_t *dropped;
	int copy;
	sc_session_edit_fn fn;
	void *arg;
};

static int rollback_in_txn(struct sc_vault *v, void *arg)
{
	struct vtxn *t = arg;

	return sc_vault_rollback_in_txn(v, t->name, t->a, t->b);
}

int sc_session_rollback(struct sc_vault *v, const struct sc_session_who *who, const char *name,
                        uint64_t *to, uint64_t *made)
{
	struct vtxn t = {.name = name, .a = to, .b = made};

	if (who == NULL || name == NULL || to == NULL || made == NULL)
		return SC_ERR_INVALID;
	return sc_sess_write(v, who, "rollback", &name, 1, rollback_in_txn, &t);
}

static int undelete_in_txn(struct sc_vault *v, void *arg)
{
	struct vtxn *t = arg;

	return sc_vault_undelete_in_txn(v, t->name, t->a);
}

int sc_session_undelete(struct sc_vault *v, const struct sc_session_who *who, const char *name,
                        uint64_t *version)
{
	struct vtxn t = {.name = name, .a = version};

	if (who == NULL || name == NULL || version == NULL)
		return SC_ERR_INVALID;
	return sc_sess_write(v, who, "undelete", &name, 1, undelete_in_txn, &t);
}

static int prune_in_txn(struct sc_vault *v, void *arg)
{
	struct vtxn *t = arg;

	return sc_vault_prune_in_txn(v, t->name, t->keep, t->dropped);
}

int sc_session_prune(struct sc_vault *v, const struct sc_session_who *who, const char *name,
                     unsigned keep, size_t *dropped)
{
	struct vtxn t = {.name = name, .keep = keep, .dropped = dropped};

	if (who == NULL || dropped == NULL)
		return SC_ERR_INVALID;
	*dropped = 0;
	return sc_sess_write(v, who, "history-prune", &name, name != NULL, prune_in_txn, &t);
}

static int rename_in_txn(struct sc_vault *v, void *arg)
{
	struct vtxn *t = arg;

	return t->copy ? sc_vault_copy_in_txn(v, t->name, t->to_name)
	               : sc_vault_rename_in_txn(v, t->name, t->to_name);
}

int sc_session_rename(struct sc_vault *v, const struct sc_session_who *who, const char *from,
                      const char *to, int copy)
{
	struct vtxn t = {.name = from, .to_name = to, .copy = copy};
	const char *names[2] = {from, to};

	if (who == NULL || from == NULL || to == NULL)
		return SC_ERR_INVALID;
	return sc_sess_write(v, who, copy ? "cp" : "mv", names, 2, rename_in_txn, &t);
}

static int edit_in_txn(struct sc_vault *v, void *arg)
{
	struct vtxn *t = arg;
	struct sc_secret *cur = NULL, *s = NULL;
	uint64_t now;
	unsigned keep;
	int r;

	/* read, change and write in one transaction: nothing in between */
	if ((r = sc_vault_get(v, t->name, &cur)) != SC_OK ||
	    (r = sc_vault_version(v, t->name, &now, &keep)) != SC_OK ||
	    (r = sc_secret_clone(cur, NULL, &s)) != SC_OK)
		goto out;
	if ((r = t->fn(cur, now, s, t->arg)) != SC_OK)
		goto out;
	if ((r = sc_vault_put_keep_in_txn(v, s, t->keep)) == SC_OK)
		r = sc_vault_version(v, t->name, t->a, &keep);
out:
	sc_secret_free(cur);
	sc_secret_free(s);
	return r;
}

int sc_session_edit(struct sc_vault *v, const struct sc_session_who *who, const char *name,
                    unsigned keep, sc_session_edit_fn fn, void *arg, uint64_t *version)
{
	struct vtxn t = {.name = name, .keep = keep, .fn = fn, .arg = arg, .a = version};

	if (who == NULL || name == NULL || fn == NULL || version == NULL)
		return SC_ERR_INVALID;
	*version = 0;
	return sc_sess_write(v, who, "edit", &name, 1, edit_in_txn, &t);
}
