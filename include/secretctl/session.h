/* session.h - the session layer (session/): how a front end gets at the
 * vault, with the audit of what it does made inside the library, the same
 * way on every path (CLI, MCP server, agent). */
#ifndef SECRETCTL_SESSION_H
#define SECRETCTL_SESSION_H

#include <stddef.h>

#include "secretctl/audit.h"
#include "secretctl/history.h"
#include "secretctl/vault.h"

/* Unlock an opened vault with a password. A wrong password (SC_ERR_AUTH)
 * is recorded in the audit log as a failed unlock from source (enum
 * sc_audit_source): without a MAC, since there is no key, and taken into
 * the chain at the next unlock. *recorded (may be NULL) is 0 when that
 * entry could not be written. Keeps sc_last_error() of the unlock. */
int sc_session_unlock(struct sc_vault *v, int source, const char *pw, size_t pw_len,
                      int *recorded) SC_WUR;

/* The same through a token slot (sc_vault_unlock_pkcs11): a wrong PIN is
 * recorded as a failed unlock. */
int sc_session_unlock_token(struct sc_vault *v, int source, const char *uri, const void *pin,
                            size_t pin_len, unsigned *pin_flags, int *recorded) SC_WUR;

/* ---- a session: the read operations, through the agent or here ----
 *
 * A front end (the CLI, the MCP server) asks its questions of a session.
 * An unlocked agent answers when one runs (and writes the audit entry);
 * otherwise, or once it has said it is locked, the session gets an
 * unlocked vault from the front end's acquire hook (which asks for the
 * password) and answers here, writing the same audit entry as the agent
 * would: the same op, names, source, client and status. No answer is
 * given unless its entry is on disk. */
struct sc_agent_list_gen;
struct sc_secret;

struct sc_session_hooks {
	/* An unlocked vault for one operation, held until release. SC_OK and
	 * *v, or an error with its reason in sc_last_error(). */
	int (*acquire)(void *arg, struct sc_vault **v);
	void (*release)(void *arg);
	/* 1 when the front end already holds an unlocked vault: the agent is
	 * then not asked (may be NULL: never) */
	int (*holds_vault)(void *arg);
	/* a line worth telling the user (may be NULL) */
	void (*warn)(void *arg, const char *msg);
	void *arg;
};

struct sc_session_cfg {
	const char *vault_dir;
	int origin;         /* SC_AGENT_ORIGIN_CLI or SC_AGENT_ORIGIN_MCP */
	const char *client; /* the MCP client's name, read at each entry (may be NULL) */
	int no_agent;       /* never ask the agent */
	/* a vault on a read-only file system: answer reads without their
	 * entry, with a warning (the CLI), instead of refusing (the MCP server) */
	int readonly_unaudited;
	struct sc_session_hooks hooks;
};

struct sc_session;

int sc_session_new(const struct sc_session_cfg *cfg, struct sc_session **out) SC_WUR;
void sc_session_free(struct sc_session *s);

/* Each returns the operation's status. When the operation succeeded but
 * its audit entry could not be written, nothing is returned and the
 * status is the audit write's, with sc_session_unaudited() 1. */
int sc_session_unaudited(const struct sc_session *s);
/* The acquire hook's failure for the last operation (SC_OK when none):
 * the vault could not be unlocked here, its reason in sc_last_error(). */
int sc_session_open_status(const struct sc_session *s);
/* 1 when the last answer came from the agent. */
int sc_session_via_agent(const struct sc_session *s);

/* A connection to an unlocked agent, for what the front end hands it
 * whole (a run): SC_OK and *fd, or SC_ERR_LOCKED when no agent runs, it is
 * locked, the front end holds the vault, or no_agent: then the front end
 * opens the vault itself. An agent at its connection limit is asked again
 * for about 1.3 s; *busy (may be NULL) says it stayed busy. */
int sc_session_agent(struct sc_session *s, int *fd, int *busy) SC_WUR;

/* Every secret's metadata (op "list"; "secret_list" from MCP). With known
 * and gen, as sc_agent_list: fn is not called when the vault's
 * generation equals known's. */
int sc_session_list(struct sc_session *s, sc_vault_walk_fn fn, void *arg,
                    const struct sc_agent_list_gen *known, struct sc_agent_list_gen *gen) SC_WUR;
int sc_session_exists(struct sc_session *s, const char *name, int *exists) SC_WUR;
/* Metadata, non-sensitive values kept (op "show"; the tool's name from
 * MCP, where "secret_exists" of a missing name is a successful look-up). */
int sc_session_fields(struct sc_session *s, const char *tool, const char *name,
                      struct sc_secret **out) SC_WUR;
/* The whole secret, values included (op "get"): an agent in use-only mode
 * refuses it, and the session then opens the vault itself. */
int sc_session_get(struct sc_session *s, const char *name, struct sc_secret **out) SC_WUR;
/* An earlier version (op "get"): here, with the password (the agent hands
 * out current values only). */
int sc_session_get_version(struct sc_session *s, const char *name, uint64_t version,
                           struct sc_secret **out) SC_WUR;
/* What changed in each version (op "history"). */
int sc_session_history(struct sc_session *s, const char *name, sc_history_changes_fn fn, void *arg,
                       int *deleted) SC_WUR;

/* ---- audited operations on an unlocked vault (session/writes.c) ----
 *
 * Each does one operation and writes its audit entry itself (op and
 * names as docs/AUDIT.md lists them), so a front end never writes one. A
 * write and its entry are one step (sc_audit_append_with): on SC_OK both
 * are durable, on anything else neither, and the failure is then recorded
 * as an outcome when the log can take it. Each keeps the failure's
 * sc_last_error(). */
struct sc_session_who {
	int source;         /* enum sc_audit_source */
	const char *client; /* the MCP client's name, or NULL */
	/* A vault on a read-only file system cannot take an entry: the
	 * outcome goes unrecorded and warn is told so (NULL: refused). */
	void (*warn)(void *arg, const char *msg);
	void *arg;
};

/* Store s (op "set"). Unless replace, a new version that would drop parts
 * of the current one is refused with SC_ERR_DENIED and dropped names them
 * (never values). keep: versions kept (as sc_vault_put_keep_in_txn). A
 * field the current version seals under a named key stays sealed under it:
 * s's field is given that key. */
struct sc_session_set {
	int replace;
	unsigned keep;
	uint64_t version;  /* out: the version written */
	char dropped[512]; /* out, on SC_ERR_DENIED */
};
int sc_session_set(struct sc_vault *v, const struct sc_session_who *who, struct sc_secret *s,
                   struct sc_session_set *io) SC_WUR;
/* Store a generated value (op "generate", the name as given): path is
 * NAME[/FIELD]: an existing secret of that whole name (its field "value",
 * or its only field); else FIELD of an existing NAME; else a new secret
 * of that whole name with the field "value". A refusal (a secret of
 * several fields, none named) is SC_ERR_INVALID with why said by name. */
struct sc_session_gen {
	char name[SC_NAME_MAX + 1];        /* out: the secret written */
	char field[SC_FIELD_NAME_MAX + 1]; /* out: its field */
	uint64_t version;                  /* out */
	char why[2 * SC_NAME_MAX + 64];    /* out: a refusal's reason */
};
int sc_session_generate(struct sc_vault *v, const struct sc_session_who *who, const char *path,
                        const char *val, size_t len, struct sc_session_gen *out) SC_WUR;
/* Delete name (op "delete"), its versions kept; with purge every version
 * too (op "purge"; the caller then erases the WAL, sc_vault_erase_wal). */
int sc_session_delete(struct sc_vault *v, const struct sc_session_who *who, const char *name,
                      int purge) SC_WUR;

/* Plaintext out of the vault (op "export", at most SC_AUDIT_SECRETS_MAX
 * names an entry): the entries are made durable first, as intent, then
 * buf is written to a new file at path (0600, O_EXCL, fsynced; removed
 * again if the write fails) or to fd 1 when path is NULL. A write that
 * fails after its entries is recorded as an "export" error entry.
 * *recorded (may be NULL) says whether the entries were on disk. */
int sc_session_export(struct sc_vault *v, const struct sc_session_who *who,
                      const char *const *names, size_t n, const char *path, const char *buf,
                      size_t len, int *recorded) SC_WUR;

/* The versions (session/writes_versions.c), each one audited step as above.
 * rollback (op "rollback"): a new version equal to *to (0: the one before
 * the current; *to says which), *made the new one. undelete (op
 * "undelete"): *version brought back. prune (op "history-prune", name
 * NULL: every secret): keep versions, *dropped erased (then the caller
 * erases the WAL). rename and copy (ops "mv", "cp"; both names). */
int sc_session_rollback(struct sc_vault *v, const struct sc_session_who *who, const char *name,
                        uint64_t *to, uint64_t *made) SC_WUR;
int sc_session_undelete(struct sc_vault *v, const struct sc_session_who *who, const char *name,
                        uint64_t *version) SC_WUR;
int sc_session_prune(struct sc_vault *v, const struct sc_session_who *who, const char *name,
                     unsigned keep, size_t *dropped) SC_WUR;
int sc_session_rename(struct sc_vault *v, const struct sc_session_who *who, const char *from,
                      const char *to, int copy) SC_WUR;

/* Change a secret in place (op "edit"): in the write's transaction the
 * current version (cur, its number cur_version) is read, fn changes next
 * (a copy of cur), and next is written as a new version with keep (as
 * sc_vault_put_keep_in_txn); fn's error writes nothing. *version gets
 * the version written. */
typedef int (*sc_session_edit_fn)(const struct sc_secret *cur, uint64_t cur_version,
                                  struct sc_secret *next, void *arg);
int sc_session_edit(struct sc_vault *v, const struct sc_session_who *who, const char *name,
                    unsigned keep, sc_session_edit_fn fn, void *arg, uint64_t *version) SC_WUR;

/* The key slots (session/writes_slots.c), each one audited step as
 * above. passwd (op "passwd"; "recovery.open" with after_recovery, the
 * password set after an unlock by recovery shares): the password slot
 * rewrapped with kp (then the caller runs sc_vault_checkpoint). A token
 * slot added (op "keyslot.add"). A recovery split (op "recovery.split"):
 * a random key split into rec->count SLIP-0039 shares, any rec->threshold
 * of which give it back (rec->identifier set), *set the shares (free with
 * sc_share_set_free; show them only on SC_OK), *id the slot the key
 * wraps the DEK in. A slot removed (op "keyslot.remove"; the WAL
 * checkpointed after, its status returned). */
struct sc_kdf_params;
int sc_session_passwd(struct sc_vault *v, const struct sc_session_who *who, const char *pw,
                      size_t pw_len, const struct sc_kdf_params *kp, int after_recovery) SC_WUR;
int sc_session_slot_add_pkcs11(struct sc_vault *v, const struct sc_session_who *who,
                               const char *uri, const void *pin, size_t pin_len,
                               int64_t *id) SC_WUR;
struct sc_share_set;
int sc_session_recovery_split(struct sc_vault *v, const struct sc_session_who *who,
                              struct sc_keyslot_recovery *rec, struct sc_share_set **set,
                              int64_t *id) SC_WUR;
int sc_session_slot_remove(struct sc_vault *v, const struct sc_session_who *who, int64_t id) SC_WUR;

/* A backup of v to a new file at path (op "backup"; sc_backup_write):
 * the file is created (0600, O_EXCL), the entry made durable as intent
 * (so the backup holds it too), the backup written; a backup that then
 * fails is removed and recorded as a "backup" error entry. *failed_at
 * (may be NULL) says where it stopped: SC_SESSION_AT_CREATE (nothing
 * made), SC_SESSION_AT_AUDIT (the entry: file removed), SC_SESSION_AT_WRITE. */
#define SC_SESSION_AT_CREATE 1
#define SC_SESSION_AT_AUDIT 2
#define SC_SESSION_AT_WRITE 3
struct sc_backup_info;
int sc_session_backup(struct sc_vault *v, const struct sc_session_who *who, const char *path,
                      const char *pass, size_t pass_len, const struct sc_kdf_params *kp,
                      struct sc_backup_info *info, int *failed_at) SC_WUR;

/* Reads that hand something out (session/readouts.c), each with its
 * entry on disk before anything is handed back, and nothing handed back
 * without it (*recorded, may be NULL, is 0 then).
 * inject (op "inject", the secrets the references resolved to): tpl
 * rendered as sc_inject_render into *out (secmem). A render that fails
 * returns its status (line, why) and is recorded as that outcome.
 * doctor (op "doctor"): sc_health_values (findings to fn), the DEK's
 * info and, for a vault older than that record, sc_health_dek_since. */
int sc_session_inject(struct sc_vault *v, const struct sc_session_who *who, const char *tpl,
                      size_t len, uint8_t **out, size_t *out_len, size_t *bad_line, char *why,
                      size_t cap, int *recorded) SC_WUR;
struct sc_health_finding;
struct sc_dek_info;
int sc_session_doctor(struct sc_vault *v, const struct sc_session_who *who, int64_t now,
                      int64_t within, void (*fn)(void *arg, const struct sc_health_finding *f),
                      void *arg, uint64_t *nsecrets, struct sc_dek_info *di, int64_t *since) SC_WUR;

/* audit prune (op "audit.prune", session/writes_audit.c): the entry first,
 * as intent (a prune the log cannot record does not happen; a prune up
 * to now removes it, and its checkpoint records the prune), then
 * sc_audit_prune; a prune that fails is recorded as an error entry. */
int sc_session_audit_prune(struct sc_vault *v, const struct sc_session_who *who, int64_t before_ms,
                           uint64_t *removed, int *recorded) SC_WUR;
/* The log read out whole (op "audit.export"): its entry on disk first,
 * then *rd reads the log from the start (the entry included); no reader
 * without the entry. *recorded (may be NULL) says whether it was. */
struct sc_audit_reader;
int sc_session_audit_export(struct sc_vault *v, const struct sc_session_who *who,
                            struct sc_audit_reader **rd, int *recorded) SC_WUR;

/* An import (op "import"): apply writes the secrets named in names
 * inside the write's transaction (sc_vault_put_keep_in_txn and the like);
 * the writes and the entry of the first SC_AUDIT_SECRETS_MAX names are
 * one step, the entries of the names after them are appended after the
 * commit. *logged (may be NULL) counts the names in the log: less than n
 * when one of those later entries could not be written. */
int sc_session_import(struct sc_vault *v, const struct sc_session_who *who,
                      const char *const *names, size_t n, sc_audit_apply_fn apply, void *arg,
                      size_t *logged) SC_WUR;

/* A prepared rekey carried out (op "rekey"; rekey.h): sc_rekey_migrate,
 * its failure recorded (a rerun goes on), then the check, the slots
 * rewrapped and the old key dropped with the entry as one step
 * (sc_rekey_finish_in_txn). SC_ERR_CORRUPT: see sc_rekey_restart. The
 * caller then runs sc_rekey_done. */
struct sc_rekey;
int sc_session_rekey(struct sc_vault *v, const struct sc_session_who *who,
                     struct sc_rekey *rk) SC_WUR;

/* Every item of the vault sealed under an older version of key name
 * sealed again under the newest (sc_vault_key_rewrap_all), and one entry
 * "key.rewrap-all" saying how it ended: each batch is durable with its
 * index update before it, so a crash leaves items under either version
 * and a rerun goes on. */
struct sc_vault_rewrap_report;
int sc_session_key_rewrap_all(struct sc_vault *v, const struct sc_session_who *who,
                              const char *name, size_t batch,
                              struct sc_vault_rewrap_report *rep) SC_WUR;

#endif
