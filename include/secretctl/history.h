/* history.h - a secret's versions: every write keeps the previous version,
 * sealed like the current one (AAD: vault id, chain, version and the
 * blinded name); history, get by version, rollback, retention, delete that
 * keeps the history until purge, undelete, rename and copy (store/history.c,
 * store/versions.c, store/diff.c). */
#ifndef SECRETCTL_HISTORY_H
#define SECRETCTL_HISTORY_H

#include "secretctl/vault.h"

/* Versions kept per secret, the current one included, unless the secret
 * has its own setting (--keep). */
#define SC_HISTORY_KEEP_DEFAULT 10
#define SC_HISTORY_KEEP_MAX 1000

/* One kept version of a secret, oldest first: its number, its contents
 * (valid during the call only) and whether it is the current one. A
 * non-zero return stops the walk and is returned. */
typedef int (*sc_history_fn)(uint64_t version, const struct sc_secret *s, int current, void *arg);

/* Every kept version of name. A deleted secret (still in the history) is
 * walked too, with *deleted set and no version current; a live one wins
 * over deleted ones of the same name. SC_ERR_NOT_FOUND when neither. */
int sc_vault_history(struct sc_vault *v, const char *name, sc_history_fn fn, void *arg,
                     int *deleted) SC_WUR;
/* Version `version` of name (live, else the newest deleted one). */
int sc_vault_get_version(struct sc_vault *v, const char *name, uint64_t version,
                         struct sc_secret **out) SC_WUR;
/* The current version's number and the retention of a live secret
 * (keep: versions kept, the current one included). */
int sc_vault_version(struct sc_vault *v, const char *name, uint64_t *version,
                     unsigned *keep) SC_WUR;

/* The writes, inside the caller's transaction (sc_vault_txn_begin, or the
 * audit log's sc_audit_append_with), like sc_vault_put_in_txn. */
/* put, setting the retention to keep (0: leave it as it is). */
int sc_vault_put_keep_in_txn(struct sc_vault *v, const struct sc_secret *s, unsigned keep) SC_WUR;
/* A new version equal to version *to (0: the newest kept before the
 * current, and *to says which it was); *made gets the new version. */
int sc_vault_rollback_in_txn(struct sc_vault *v, const char *name, uint64_t *to,
                             uint64_t *made) SC_WUR;
/* Bring back the newest deleted secret of this name at its last version
 * (*version). SC_ERR_EXISTS when a live secret has the name. */
int sc_vault_undelete_in_txn(struct sc_vault *v, const char *name, uint64_t *version) SC_WUR;
/* Erase every version of name, live and deleted. The rows are deleted with
 * secure_delete on; call sc_vault_erase_wal after the commit so no copy of
 * a freed page stays in the WAL. */
int sc_vault_purge_in_txn(struct sc_vault *v, const char *name) SC_WUR;
int sc_vault_erase_wal(struct sc_vault *v) SC_WUR;
/* Rename (the history moves with it, every version sealed again under the
 * new name) and copy (the current version only). SC_ERR_EXISTS when to is
 * taken. */
int sc_vault_rename_in_txn(struct sc_vault *v, const char *from, const char *to) SC_WUR;
int sc_vault_copy_in_txn(struct sc_vault *v, const char *from, const char *to) SC_WUR;
/* Keep at most keep versions (the current one included) of name, or of
 * every live secret when name is NULL; *dropped counts the versions erased. */
int sc_vault_prune_in_txn(struct sc_vault *v, const char *name, unsigned keep,
                          size_t *dropped) SC_WUR;

/* What changed between two versions, by name, never by value: fn gets
 * SC_DIFF_ADDED, _REMOVED or _CHANGED, what ("field", "binding", "tag",
 * "notes", "url", "expires") and the part's name (NULL for notes, url,
 * expires). a may be NULL (everything in b is added). */
enum { SC_DIFF_ADDED = 1, SC_DIFF_REMOVED, SC_DIFF_CHANGED };
typedef int (*sc_diff_fn)(int kind, const char *what, const char *name, void *arg);
int sc_secret_diff(const struct sc_secret *a, const struct sc_secret *b, sc_diff_fn fn,
                   void *arg) SC_WUR;

/* What changed in each kept version, by name only, from the version before
 * it (the first kept one against nothing when it is version 1). For the
 * history command in both unlock modes: the agent sends these, never the
 * versions themselves. */
struct sc_history_change {
	int kind;                       /* SC_DIFF_* */
	char what[16];                  /* "field", "binding", "tag", "notes", "url", "expires" */
	char name[SC_ENV_NAME_MAX + 1]; /* "" for notes, url, expires */
};
struct sc_history_version {
	uint64_t version;
	int64_t time; /* when it was written */
	int current;
	int base_missing; /* the version before it is no longer kept */
	size_t n;
	const struct sc_history_change *changes;
};
typedef int (*sc_history_changes_fn)(const struct sc_history_version *hv, void *arg);
int sc_vault_history_changes(struct sc_vault *v, const char *name, sc_history_changes_fn fn,
                             void *arg, int *deleted) SC_WUR;

/* Editing a secret part by part (store/secret_edit.c): a copy that can be
 * changed (under a new name when name is not NULL; times and expiry kept),
 * and removal of one part (SC_ERR_NOT_FOUND when absent). */
int sc_secret_clone(const struct sc_secret *s, const char *name, struct sc_secret **out) SC_WUR;
int sc_secret_remove_field(struct sc_secret *s, const char *name) SC_WUR;
int sc_secret_remove_binding(struct sc_secret *s, const char *env) SC_WUR;
int sc_secret_remove_tag(struct sc_secret *s, const char *tag) SC_WUR;
void sc_secret_clear_notes(struct sc_secret *s);
void sc_secret_clear_url(struct sc_secret *s);

#endif
