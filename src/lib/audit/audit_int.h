/* audit_int.h - the audit log's insides shared by its parts (audit/): the
 * line format, the MAC, the file and its locking. */
#ifndef SC_AUDIT_AUDIT_INT_H
#define SC_AUDIT_AUDIT_INT_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "secretctl/secretctl.h"

#define MAC_DOMAIN "secretctl/v1/audit-entry"
/* The binary encoding MACed for one entry can never exceed this. */
#define ENC_MAX                                                                                    \
	(sizeof(MAC_DOMAIN) + 1 + 8 + 8 + 4 * 6 + SC_AUDIT_OP_MAX + 8 + SC_AUDIT_CLIENT_MAX + 8 +  \
	 4 + SC_AUDIT_SECRETS_MAX * SC_MAC_LEN + SC_AUDIT_CMD_MAX + 8 + SC_AUDIT_CODE_MAX + 1 +    \
	 SC_MAC_LEN)
#define READ_CHUNK (1024 * 1024)
/* How far back an appender looks for the anchored entry when the anchor
 * lags (an append interrupted between fsync and the anchor update). */
#define LAG_WALK_MAX 64
#define TS_LEN 24 /* YYYY-MM-DDTHH:MM:SS.mmmZ */
/* Failed unlocks taken into the chain at once, at most (the file is
 * writable by whoever can write the vault directory). */
#define PENDING_FOLD_MAX 100000

#define NSOURCES 3
#define NRESULTS 3
extern const char *const sc_audit_sources[NSOURCES];
extern const char *const sc_audit_results[NRESULTS];
extern const uint8_t sc_audit_zero_mac[SC_MAC_LEN];

/* HMAC-SHA-256 with the padded key blocks hashed once, so each entry costs
 * two context copies and the hashing of its own bytes. */
struct mac_ctx {
	EVP_MD_CTX *inner, *outer, *work;
	uint8_t *enc; /* ENC_MAX bytes */
};

struct lines {
	int fd;
	char *buf; /* READ_CHUNK + SC_AUDIT_LINE_MAX + 1 */
	size_t start, n;
	int eof;
	uint64_t lineno;
	off_t off; /* file offset of the next line */
};

/* Shared between the parts of this module. */
int64_t sc_audit_now_ms(void);
int sc_audit_op_valid(const char *op);
void sc_audit_mac_ctx_release(struct mac_ctx *m);
int sc_audit_mac_ctx_init(struct mac_ctx *m, const uint8_t key[SC_KEY_LEN]);
int sc_audit_mac_entry(struct mac_ctx *m, const struct sc_audit_entry *e, uint8_t out[SC_MAC_LEN]);
char *sc_audit_log_path(const char *dir);
int sc_audit_fsync_dir(const char *dir);
int sc_audit_log_open(const char *dir, int create, int lock, int *fd, int *created);
int sc_audit_write_all(int fd, const char *p, size_t n);
int sc_audit_pread_all(int fd, char *buf, size_t n, off_t off);
int sc_audit_pending_open(const char *dir, int create, int *fd, int *created);
int sc_audit_lines_init(struct lines *l, int fd);
void sc_audit_lines_release(struct lines *l);
int sc_audit_lines_next(struct lines *l, const char **line, size_t *len, int *complete);
uint64_t sc_audit_count_pending(const char *dir);

#endif
