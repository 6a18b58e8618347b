/* buf.h - the one bounded buffer and big-endian codec (base/buf.c), in the
 * spirit of OpenSSH's sshbuf and curl's dynbuf: every record, state, audit
 * line and agent frame is built and read through it. */
#ifndef SECRETCTL_BUF_H
#define SECRETCTL_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/status.h"

/*
 * A writer grows up to a hard maximum (SC_ERR_TOOBIG beyond it); with
 * SC_BUF_SECURE its memory is secmem, wiped on every move and on release.
 * A fixed writer fills caller memory of a known size. A reader walks a
 * caller's bytes; every get checks what is left and fails with
 * SC_ERR_CORRUPT instead of reading past the end. Errors are sticky: after
 * the first failure every call fails the same way, so a run of puts or
 * gets can be checked once at the end with sc_buf_status().
 */
#define SC_BUF_SECURE 1u

struct sc_buf {
	uint8_t *d;
	size_t len; /* bytes held */
	size_t cap; /* bytes allocated (writer) */
	size_t max; /* hard maximum (writer) */
	size_t off; /* read position (reader) */
	unsigned flags;
	int fixed; /* d is the caller's: never grown or freed */
	int err;   /* first failure, sticky */
};

void sc_buf_init(struct sc_buf *b, size_t max, unsigned flags);
void sc_buf_init_fixed(struct sc_buf *b, void *mem, size_t cap);
void sc_buf_init_reader(struct sc_buf *b, const void *data, size_t len);
/* Free (and with SC_BUF_SECURE wipe) what a writer holds. */
void sc_buf_release(struct sc_buf *b);
/* Hand the bytes to the caller (free with sc_secmem_free when SECURE, else
 * free()); the buffer is left empty. */
uint8_t *sc_buf_steal(struct sc_buf *b, size_t *len);
int sc_buf_status(const struct sc_buf *b) SC_WUR;
size_t sc_buf_left(const struct sc_buf *b);
const uint8_t *sc_buf_ptr(const struct sc_buf *b);

/* Make room for n more bytes and return where they go (NULL on failure). */
uint8_t *sc_buf_reserve(struct sc_buf *b, size_t n);
int sc_buf_put(struct sc_buf *b, const void *p, size_t n);
int sc_buf_put_u8(struct sc_buf *b, uint8_t v);
int sc_buf_put_u16(struct sc_buf *b, uint16_t v);
int sc_buf_put_u32(struct sc_buf *b, uint32_t v);
int sc_buf_put_u64(struct sc_buf *b, uint64_t v);
/* An unsigned of `bytes` (1..8) bytes, big-endian. */
int sc_buf_put_uint(struct sc_buf *b, uint64_t v, int bytes);

int sc_buf_get(struct sc_buf *b, void *p, size_t n) SC_WUR;
/* Point at the next n bytes and skip them (no copy). */
int sc_buf_get_ptr(struct sc_buf *b, size_t n, const uint8_t **p) SC_WUR;
int sc_buf_get_u8(struct sc_buf *b, uint8_t *v) SC_WUR;
int sc_buf_get_u16(struct sc_buf *b, uint16_t *v) SC_WUR;
int sc_buf_get_u32(struct sc_buf *b, uint32_t *v) SC_WUR;
int sc_buf_get_u64(struct sc_buf *b, uint64_t *v) SC_WUR;
int sc_buf_get_uint(struct sc_buf *b, int bytes, uint64_t *v) SC_WUR;

/* Fixed-place big-endian fields (headers whose size is known up front). */
void sc_be16_put(uint8_t *p, uint16_t v);
void sc_be32_put(uint8_t *p, uint32_t v);
void sc_be64_put(uint8_t *p, uint64_t v);
uint16_t sc_be16_get(const uint8_t *p);
uint32_t sc_be32_get(const uint8_t *p);
uint64_t sc_be64_get(const uint8_t *p);

#endif
