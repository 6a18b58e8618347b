/* audit.h - the tamper-evident audit log: an HMAC-chained JSON Lines file in
 * the vault directory whose head is anchored inside the sealed vault state. */
#ifndef SECRETCTL_AUDIT_H
#define SECRETCTL_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/vault.h"

#define SC_AUDIT_FILE "audit.log"
/* Failed unlocks wait here, unMACed, until the next keyed append. */
#define SC_AUDIT_PENDING_FILE "audit.pending"
/* Hard bounds on what the parser accepts and the writer produces. */
#define SC_AUDIT_LINE_MAX (64 * 1024)
#define SC_AUDIT_SECRETS_MAX 512
#define SC_AUDIT_OP_MAX 32      /* [a-z][a-z0-9._-]* */
#define SC_AUDIT_CLIENT_MAX 128 /* bytes, after decoding */
#define SC_AUDIT_CMD_MAX 255    /* bytes, after decoding (a file name) */
#define SC_AUDIT_CODE_MAX 32

enum sc_audit_source { SC_AUDIT_SRC_CLI = 0, SC_AUDIT_SRC_MCP, SC_AUDIT_SRC_AGENT };
enum sc_audit_result { SC_AUDIT_OK = 0, SC_AUDIT_DENIED, SC_AUDIT_ERROR };
enum sc_audit_kind {
	SC_AUDIT_ENTRY = 1,      /* a chained entry */
	SC_AUDIT_CHECKPOINT = 2, /* first line after a prune: where the chain resumes */
	SC_AUDIT_PENDING = 3     /* a failed unlock, not yet chained (audit.pending only) */
};

/* What happened, as a front end describes it. */
struct sc_audit_event {
	const char *op;           /* "get", "set", "run", "secret_run", ... */
	int source;               /* enum sc_audit_source */
	const char *client;       /* the MCP client's name, or NULL */
	const char *const *names; /* secret names involved (blinded before writing) */
	size_t n_names;
	const char *cmd; /* for runs: the command (only its basename is kept), else NULL */
	int status;      /* the outcome: SC_OK, SC_ERR_DENIED (denied), or any error */
};

/* One parsed line of the log. Strings are NUL-terminated copies. */
struct sc_audit_entry {
	int kind; /* enum sc_audit_kind */
	uint64_t seq;
	int64_t ts_ms; /* UTC, milliseconds since the epoch */
	char op[SC_AUDIT_OP_MAX + 1];
	int source;
	char client[SC_AUDIT_CLIENT_MAX + 1];
	size_t client_len;
	uint32_t pid, uid;
	size_t n_secrets;
	uint8_t secrets[SC_AUDIT_SECRETS_MAX][SC_MAC_LEN];
	char cmd[SC_AUDIT_CMD_MAX + 1];
	size_t cmd_len;
	int result; /* enum sc_audit_result */
	char code[SC_AUDIT_CODE_MAX + 1];
	int late; /* a failed unlock taken into the chain after the fact */
	uint8_t prev[SC_MAC_LEN];
	uint8_t mac[SC_MAC_LEN];
};

/* What `audit verify` found. On failure, bad_line (1-based) names the first
 * bad line, bad_seq its sequence number when it had one, and why says what
 * is wrong with it. */
struct sc_audit_report {
	uint64_t entries;   /* chained lines checked, checkpoint included */
	uint64_t pending;   /* failed unlocks in audit.pending, not yet chained */
	uint64_t first_seq; /* first chained entry (after a checkpoint) */
	uint64_t last_seq;  /* the chain head found in the file */
	uint64_t anchor_seq;
	uint64_t lag;   /* valid entries past the anchor: an interrupted append */
	int torn_tail;  /* an incomplete last line: an interrupted append */
	int checkpoint; /* the log starts with a prune checkpoint */
	uint64_t bad_line;
	uint64_t bad_seq;
	char why[200];
};

/* The status name kept in an entry's "code" ("auth", "not_found", ...). */
const char *sc_audit_code(int status);
const char *sc_audit_source_name(int source);
const char *sc_audit_result_name(int result);

/* An audited write: the write (apply, run inside the vault's write
 * transaction, e.g. sc_vault_put_in_txn) and its entry (ev, status SC_OK)
 * as one step. Under the log's lock: the write, then the entry appended and
 * fdatasync'd, then the anchor advanced in the write's own transaction,
 * then COMMIT. If apply fails nothing is written and its status returned;
 * if the entry cannot be written the write is rolled back; if the commit
 * fails the entry is cut off again. SC_OK means both are durable. */
typedef int (*sc_audit_apply_fn)(struct sc_vault *v, void *arg);
int sc_audit_append_with(struct sc_vault *v, const struct sc_audit_event *ev,
                         sc_audit_apply_fn apply, void *arg) SC_WUR;

/* Take the log's lock shared, as readers do (a backup's snapshot): every
 * audited write waits until fd is closed. *fd is -1 when there is no log. */
int sc_audit_lock_shared(const char *vault_dir, int *fd) SC_WUR;

/* Record an event: folds pending failed unlocks into the chain, appends
 * the entry, fsyncs it and advances the anchor, all under an exclusive
 * lock on the log so that several processes form one chain. Needs an
 * unlocked vault. The entry is on disk when this returns SC_OK. */
int sc_audit_append(struct sc_vault *v, const struct sc_audit_event *ev) SC_WUR;
/* Record a failed unlock without a MAC (there is no key) in audit.pending;
 * the next sc_audit_append or sc_audit_fold takes it into the chain. */
int sc_audit_append_pending(const char *vault_dir, const struct sc_audit_event *ev) SC_WUR;
/* Take pending lines into the chain now; *folded (may be NULL) counts them. */
int sc_audit_fold(struct sc_vault *v, size_t *folded) SC_WUR;

/* Check the whole chain and the anchor. SC_OK when intact (rep says if the
 * anchor lags or the tail is torn); SC_ERR_CORRUPT when tampered with, rep
 * naming the first bad line; other statuses for I/O failures. */
int sc_audit_verify(struct sc_vault *v, struct sc_audit_report *rep) SC_WUR;
/* The same on an open log, with the key and anchor given (tests, bench). */
int sc_audit_verify_fd(int fd, const uint8_t key[SC_KEY_LEN], const struct sc_audit_anchor *anchor,
                       struct sc_audit_report *rep) SC_WUR;

/* Remove the entries older than `before` (unix ms), starting what remains
 * with a MACed checkpoint so the chain still verifies; refuses to prune a
 * log that does not verify. *removed (may be NULL) counts removed entries. */
int sc_audit_prune(struct sc_vault *v, int64_t before_ms, uint64_t *removed) SC_WUR;

/* Reading the log in order (under a shared lock). next returns SC_OK with
 * an entry, SC_ERR_NOT_FOUND at the end, SC_ERR_CORRUPT for a line that
 * does not parse (sc_last_error names the line). No MAC is checked here. */
struct sc_audit_reader;
int sc_audit_reader_open(const char *vault_dir, struct sc_audit_reader **out) SC_WUR;
int sc_audit_reader_next(struct sc_audit_reader *rd, struct sc_audit_entry *e) SC_WUR;
void sc_audit_reader_free(struct sc_audit_reader *rd);

/* The line format, exposed for tests, the fuzzer and the benchmark. parse
 * takes one line without its newline and is strict: fixed key order, no
 * whitespace, every value bounded. */
int sc_audit_parse_line(const char *line, size_t len, struct sc_audit_entry *e) SC_WUR;
/* Compute e->mac from the other fields (kind ENTRY or CHECKPOINT). */
int sc_audit_mac(const uint8_t key[SC_KEY_LEN], const struct sc_audit_entry *e,
                 uint8_t out[SC_MAC_LEN]) SC_WUR;
/* Write e as one line with its newline; *len excludes the NUL. */
int sc_audit_format_line(const struct sc_audit_entry *e, char *buf, size_t cap, size_t *len) SC_WUR;

#endif
