/* sig_int.h - the interface each signature backend implements (one file per
 * algorithm, as OpenSSH's sshkey.c keyimpls[]), and helpers they share. */
#ifndef SC_SIG_INT_H
#define SC_SIG_INT_H

#include <openssl/evp.h>

#include "secretctl/secretctl.h"
#include "secretctl/sig.h"
#include "secretctl/buf.h"

struct sc_sig_impl;

/* Allocated whole in secmem: the private part never leaves it. */
struct sc_sig_key {
	const struct sc_sig_impl *impl;
	uint8_t priv[SC_SIG_PRIV_LEN];
	uint8_t ext[64]; /* Ed25519: libsodium's seed || public key */
	uint8_t pub[SC_SIG_PUB_MAX];
	size_t pub_len;
};

struct sc_sig_impl {
	enum sc_sig_alg alg;
	const char *name;
	enum sc_sig_scheme default_scheme;
	/* Fill priv with a uniformly random valid private key. */
	int (*generate)(uint8_t priv[SC_SIG_PRIV_LEN]);
	/* Check k->priv and derive k->pub (and k->ext). */
	int (*load)(struct sc_sig_key *k);
	/* opts already resolved: scheme and format are never DEFAULT. */
	int (*sign)(const struct sc_sig_key *k, const struct sc_sig_opts *o, const uint8_t *msg,
	            size_t msg_len, uint8_t *sig, size_t *sig_len);
	int (*verify)(const struct sc_sig_opts *o, const uint8_t *pub, size_t pub_len,
	              const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len);
	/* The public key as an OpenSSL key (for SubjectPublicKeyInfo). */
	int (*pub_pkey)(const uint8_t *pub, size_t pub_len, EVP_PKEY **out);
	/* Append the SSH wire blob of the public key to b; NULL when SSH has
	 * no key type for the algorithm. */
	int (*pub_ssh)(const uint8_t *pub, size_t pub_len, struct sc_buf *b, const char **type);
};

extern const struct sc_sig_impl sc_sig_impl_ed25519;
extern const struct sc_sig_impl sc_sig_impl_p256;
extern const struct sc_sig_impl sc_sig_impl_secp256k1;

/* The message digest ECDSA signs: SHA-256 of msg, or msg itself when
 * prehashed (then exactly 32 bytes). */
int sc_sig_digest(const struct sc_sig_opts *o, const uint8_t *msg, size_t msg_len,
                  uint8_t out[SC_SIG_DIGEST_LEN]) SC_WUR;
/* Append an SSH "string" (uint32 length, bytes); b's errors are sticky, so
 * a run of these is checked once with sc_buf_status(). */
int sc_sig_ssh_put(struct sc_buf *b, const void *p, size_t n);
/* 1 when the 32-byte big-endian a is in [1, n-1]; constant time. */
int sc_sig_scalar_ok(const uint8_t a[32], const uint8_t n[32]);

#endif
