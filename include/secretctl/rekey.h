/* rekey.h - replacing the vault's DEK (store/rekey.c, store/dek.c): a new
 * DEK version, every record, bucket, history row and the sealed state
 * sealed again under it in bounded batches while others read, resumable
 * after a crash; then every key slot rewrapped (or removed, when asked) and
 * the old version erased. docs/KEYS.md, "Rekey". */
#ifndef SECRETCTL_REKEY_H
#define SECRETCTL_REKEY_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/status.h"
#include "secretctl/vault.h"

/* A DEK older than its cryptoperiod is reported (status, doctor); the
 * default: one year (PCI DSS asks yearly; SP 800-57 allows up to two). */
#define SC_DEK_PERIOD_DEFAULT (365 * 86400)
/* Records sealed again in one transaction (a bucket is never split). */
#define SC_REKEY_BATCH_DEFAULT 2048
#define SC_REKEY_BATCH_MAX 1000000
#define SC_REKEY_DROP_MAX 16

/* The public facts of the vault's DEK, readable without unlocking. */
struct sc_dek_info {
	uint64_t version;  /* 1 for the DEK made at init */
	int64_t created;   /* Unix seconds; 0: not recorded (a vault from before) */
	int64_t period;    /* seconds */
	int period_set;    /* 0: the default */
	int rekey_pending; /* a rekey has begun and not finished */
};
int sc_vault_dek_info(struct sc_vault *v, struct sc_dek_info *out) SC_WUR;

/* What a rekey needs to rewrap the slots: the password of the password
 * slots, the PIN of the token slots (either may be NULL when the vault has
 * no slot of that kind, or all of them are dropped). drop lists the slots
 * to remove instead (a recovery slot cannot be rewrapped without its
 * shares; a token that is gone). period: the new DEK's cryptoperiod in
 * seconds (0: keep the vault's). batch: records a transaction (0: the
 * default). */
struct sc_rekey_opts {
	const char *pw;
	size_t pw_len;
	const void *pin;
	size_t pin_len;
	const int64_t *drop;
	size_t ndrop;
	int64_t period;
	size_t batch;
};

/* What a rekey did, for the report. */
struct sc_rekey_report {
	uint64_t old_version, new_version;
	int resumed;      /* it went on from an earlier, unfinished run */
	uint64_t records; /* records sealed again by this run */
	uint64_t history; /* history rows and heads sealed again by this run */
	uint64_t batches; /* transactions of this run */
	size_t rewrapped; /* key slots rewrapped */
	size_t dropped;   /* key slots removed */
	int64_t dropped_ids[SC_REKEY_DROP_MAX];
	int checkpointed; /* the WAL was folded and truncated */
};

struct sc_rekey;
/* Check that every key slot can be rewrapped (or is dropped) and wrap the
 * new DEK for each: nothing on disk changes. v unlocked. SC_ERR_DENIED for
 * a slot that cannot be rewrapped (the message names it and the way out),
 * SC_ERR_AUTH for a password or PIN that does not open its slot,
 * SC_ERR_TOKEN for an absent token, SC_ERR_BUSY while a key slot is being
 * changed. A rekey left unfinished is taken up where it stopped. */
int sc_rekey_prepare(struct sc_vault *v, const struct sc_rekey_opts *o,
                     struct sc_rekey **out) SC_WUR;
/* Begin (one transaction: the new DEK sealed under the old, the state and
 * the keyring under the new) and seal every record, bucket and history
 * row again, one batch a transaction; readers go on meanwhile. */
int sc_rekey_migrate(struct sc_rekey *rk) SC_WUR;
/* Inside a transaction the caller holds (sc_audit_append_with): check that
 * everything opens under the new DEK alone, rewrap or remove the slots,
 * drop the old version. SC_ERR_CORRUPT when something does not (nothing is
 * dropped; sc_rekey_restart then makes the next run go over it all). */
int sc_rekey_finish_in_txn(struct sc_rekey *rk) SC_WUR;
/* After the commit: the handle keeps the new keys alone; the WAL is folded
 * and truncated so no page of the old version remains (report's
 * checkpointed 0 when another process held it open: warn). */
void sc_rekey_done(struct sc_rekey *rk);
int sc_rekey_restart(struct sc_rekey *rk) SC_WUR;
const struct sc_rekey_report *sc_rekey_report(const struct sc_rekey *rk);
void sc_rekey_free(struct sc_rekey *rk);

#endif
