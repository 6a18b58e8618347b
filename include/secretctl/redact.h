/* redact.h - the whole-vault sanitizer: every sensitive value in the vault
 * (and the vault password) compiled once and kept while the vault's
 * generation stands, so that every run redacts all of them, not only what
 * it injected (issue 11 item 4). Built by the process that holds the key. */
#ifndef SECRETCTL_REDACT_H
#define SECRETCTL_REDACT_H

#include "secretctl.h"
#include "sanitize.h"

/* Internal label of a vault value: "<name>\x1f<field>"; of the password:
 * SC_REDACT_PASSWORD_LABEL. They never reach output: a run relabels them
 * (sc_sanitizer_relabel) to its variable names or to SC_REDACT_LABEL. */
#define SC_REDACT_SEP '\x1f'
#define SC_REDACT_PASSWORD_LABEL "\x1fpassword"
/* What a value the run did not inject is redacted as. */
#define SC_REDACT_LABEL "secret"

struct sc_redact_cache;
struct sc_redact_ref;

/* A cache for one process. The password (may be NULL) is copied into
 * guarded memory and redacted in every sanitizer the cache builds. */
int sc_redact_cache_new(const char *pw, size_t pw_len, struct sc_redact_cache **out) SC_WUR;
/* References still held stay valid until put. */
void sc_redact_cache_free(struct sc_redact_cache *c);

/* The compiled sanitizer of every sensitive field value of every secret in
 * v, plus the password: reused while v's id and generation are those it
 * was built for, else rebuilt (one walk over the vault). The reference
 * keeps it alive for a run that is still going when a write makes a new
 * one; thread-safe. */
int sc_redact_get(struct sc_redact_cache *c, struct sc_vault *v, struct sc_redact_ref **out) SC_WUR;
const struct sc_sanitizer *sc_redact_sanitizer(const struct sc_redact_ref *ref);
/* The vault generation it was built at: a caller that read the secrets
 * of a run at that same generation knows they are all in it. */
uint64_t sc_redact_generation(const struct sc_redact_ref *ref);
void sc_redact_put(struct sc_redact_ref *ref);

/* Build one without a cache (a CLI run). */
int sc_redact_build(struct sc_vault *v, const char *pw, size_t pw_len,
                    struct sc_sanitizer **out) SC_WUR;

#endif
