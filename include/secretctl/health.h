/* health.h - the checks behind `secretctl doctor` (health/): weak and
 * duplicate values, expired and expiring secrets, loose permissions, the
 * data key's age. The library finds; the caller words and prints. */
#ifndef SECRETCTL_HEALTH_H
#define SECRETCTL_HEALTH_H

#include <stdint.h>

#include "secretctl/secret.h"
#include "secretctl/vault.h"

/* A sensitive value shorter than this is "short". */
#define SC_HEALTH_MIN_LEN 12
/* A sensitive value whose estimated strength (the lesser of its length
 * times log2 of its character classes' size, and its length times its
 * Shannon entropy per byte) is below this many bits is "low entropy". */
#define SC_HEALTH_MIN_BITS 50
/* A data key older than this is "old" (SP 800-57's longest originator
 * period for a symmetric data-encryption key: 2 years). */
#define SC_HEALTH_DEK_MAX_AGE (730 * 86400)

enum sc_health_kind {
	SC_HEALTH_SHORT = 0,
	SC_HEALTH_LOW_ENTROPY,
	SC_HEALTH_DUPLICATE,
	SC_HEALTH_EXPIRED,
	SC_HEALTH_EXPIRING,
	SC_HEALTH_PERMISSIONS,
	SC_HEALTH_OLD_DEK,
	SC_HEALTH_POLICY,
	SC_HEALTH_NKINDS
};
/* "short", "low_entropy", "duplicate", ... (stable: the JSON uses them) */
const char *sc_health_kind_name(int kind);

/* One finding. subject: a secret name, "NAME/FIELD", or a path; other: the
 * duplicate's "NAME/FIELD", the finding's number (bits, seconds) in n. No
 * value, and nothing derived from one but a length or a strength. */
struct sc_health_finding {
	int kind;
	const char *subject;
	const char *other;
	int64_t n;
};
typedef void (*sc_health_fn)(void *arg, const struct sc_health_finding *f);

/* The estimated strength in bits of a value (see SC_HEALTH_MIN_BITS). */
double sc_health_strength(const uint8_t *v, size_t len);

/* Every secret's sensitive fields (weak, duplicate: compared by BLAKE2b
 * keyed with a random key made for this call and wiped after it) and
 * expiry (expired at now; expiring: within `within` seconds). *nsecrets
 * counts the secrets seen. Findings in a stable order. */
int sc_health_values(struct sc_vault *v, int64_t now, int64_t within, sc_health_fn fn, void *arg,
                     uint64_t *nsecrets) SC_WUR;
/* The vault directory and every file in it: owned by us, no group or other
 * access; its parent not writable by others without the sticky bit. n is
 * the mode. Works without opening the vault. */
int sc_health_permissions(const char *dir, sc_health_fn fn, void *arg) SC_WUR;
/* The data key's age. No key-age metadata is kept (the DEK is made at init
 * and never rotated: passwd rewraps it), so this is a lower bound: the
 * oldest of the first audit entry, the oldest secret's creation time and
 * vault.db's birth time. *since is unix seconds, 0 when nothing dates it. */
int sc_health_dek_since(struct sc_vault *v, int64_t *since) SC_WUR;

#endif
