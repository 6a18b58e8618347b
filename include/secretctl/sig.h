/* sig.h - signature algorithms behind one table (Ed25519, ECDSA P-256,
 * secp256k1 ECDSA and BIP-340 Schnorr): keys, signing, verification and
 * public-key encodings. Private keys live only in secmem. */
#ifndef SECRETCTL_SIG_H
#define SECRETCTL_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/status.h"

enum sc_sig_alg {
	SC_SIG_ED25519 = 1,  /* RFC 8032 Ed25519 (libsodium) */
	SC_SIG_P256 = 2,     /* ECDSA over NIST P-256 with SHA-256 (OpenSSL) */
	SC_SIG_SECP256K1 = 3 /* ECDSA low-S or BIP-340 Schnorr (libsecp256k1) */
};

enum sc_sig_scheme {
	SC_SIG_SCHEME_DEFAULT = 0, /* EdDSA for Ed25519, ECDSA for the others */
	SC_SIG_SCHEME_EDDSA = 1,
	SC_SIG_SCHEME_ECDSA = 2,
	SC_SIG_SCHEME_BIP340 = 3 /* secp256k1 only */
};

enum sc_sig_format {
	SC_SIG_FMT_DEFAULT = 0, /* DER for ECDSA; the only form for EdDSA/BIP-340 */
	SC_SIG_FMT_DER = 1,     /* ECDSA: canonical DER SEQUENCE { r, s } */
	SC_SIG_FMT_RAW = 2      /* ECDSA: r || s, 32 bytes each (P1363, "compact") */
};

enum sc_pub_format {
	SC_PUB_RAW = 0,     /* Ed25519 32 bytes; P-256 SEC1 uncompressed 65;
	                       secp256k1 SEC1 compressed 33 (BIP-340 x-only key:
	                       its last 32 bytes) */
	SC_PUB_HEX = 1,     /* the raw form in lower-case hex, NUL-terminated */
	SC_PUB_PEM = 2,     /* SubjectPublicKeyInfo PEM (OpenSSL), NUL-terminated;
	                       EC points are written uncompressed */
	SC_PUB_SSH = 3,     /* "ssh-ed25519 AAAA..." / "ecdsa-sha2-nistp256 AAAA...";
	                       no form for secp256k1 (SC_ERR_INVALID) */
	SC_PUB_SSH_BLOB = 4 /* the binary key blob inside SC_PUB_SSH (RFC 8709,
	                       RFC 5656): what an ssh-agent lists and is asked
	                       to sign with */
};

#define SC_SIG_PRIV_LEN 32 /* every algorithm: seed or scalar */
#define SC_SIG_PUB_MAX 65
#define SC_SIG_MAX 72 /* a DER ECDSA P-256/secp256k1 signature at most */
#define SC_SIG_DIGEST_LEN 32
/* The longest PEM/SSH/hex text of a public key, with its NUL. */
#define SC_SIG_PUB_TEXT_MAX 256
/* Messages are bounded by the caller's buffer, not here; the BIP-340 and
 * EdDSA paths sign the bytes given, ECDSA signs their SHA-256. */

struct sc_sig_opts {
	enum sc_sig_scheme scheme;
	enum sc_sig_format format;
	/* 1: msg is a 32-byte SHA-256 digest, signed as is. ECDSA only (and
	 * BIP-340, whose message is then checked to be 32 bytes); Ed25519
	 * refuses it (Ed25519ph hashes with SHA-512, not SHA-256). */
	int prehashed;
	/* BIP-340 only: 32 bytes of auxiliary randomness; NULL draws fresh
	 * random bytes (known-answer tests pass the vector's aux_rand). */
	const uint8_t *aux_rand;
};

/* A private key with its public key. Opaque; lives in secmem. */
struct sc_sig_key;

/* "ed25519", "ecdsa-p256", "secp256k1" <-> the enum. */
int sc_sig_alg_from_name(const char *name, enum sc_sig_alg *out) SC_WUR;
const char *sc_sig_alg_name(enum sc_sig_alg alg); /* NULL when unknown */
/* "eddsa", "ecdsa", "bip340" -> the enum. */
int sc_sig_scheme_from_name(const char *name, enum sc_sig_scheme *out) SC_WUR;

/* A fresh key from the system's randomness. */
int sc_sig_generate(enum sc_sig_alg alg, struct sc_sig_key **out) SC_WUR;
/* A key from its 32 private bytes (Ed25519 seed, or an ECDSA scalar in
 * [1, n-1]); used by the vault loader and known-answer tests. */
int sc_sig_key_from_private(enum sc_sig_alg alg, const uint8_t *priv, size_t len,
                            struct sc_sig_key **out) SC_WUR;
void sc_sig_key_free(struct sc_sig_key *k);
enum sc_sig_alg sc_sig_key_alg(const struct sc_sig_key *k);
/* The raw public key (SC_PUB_RAW form); *len set. */
int sc_sig_key_public(const struct sc_sig_key *k, uint8_t pub[SC_SIG_PUB_MAX], size_t *len) SC_WUR;

/* Private-key serialisation for sealing into the vault: a versioned blob
 * "SCSK" | version 1 | alg | 0x00 0x20 | 32 private bytes (40 bytes),
 * allocated in secmem (*out freed with sc_secmem_free). Parsing is strict:
 * exact length, known version and algorithm, a valid scalar. */
#define SC_SIG_KEYBLOB_LEN 40
int sc_sig_key_serialize(const struct sc_sig_key *k, uint8_t **out, size_t *out_len) SC_WUR;
int sc_sig_key_deserialize(const uint8_t *blob, size_t len, struct sc_sig_key **out) SC_WUR;

/* Sign msg (opts NULL: the algorithm's defaults). sig must hold
 * SC_SIG_MAX bytes; *sig_len set. SC_ERR_INVALID for a scheme, format or
 * prehash the algorithm does not have. */
int sc_sig_sign(const struct sc_sig_key *k, const struct sc_sig_opts *opts, const uint8_t *msg,
                size_t msg_len, uint8_t *sig, size_t *sig_len) SC_WUR;
/* Verify a signature by a raw public key (Ed25519 32 bytes; P-256 33 or 65;
 * secp256k1 33 or 65 for ECDSA, 32 or 33 for BIP-340). SC_OK only for a
 * valid signature; SC_ERR_CORRUPT for a wrong or malformed one (BER, high-S
 * on secp256k1, out-of-range r or s, wrong length), SC_ERR_INVALID for a
 * malformed public key or options. */
int sc_sig_verify(enum sc_sig_alg alg, const struct sc_sig_opts *opts, const uint8_t *pub,
                  size_t pub_len, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                  size_t sig_len) SC_WUR;

/* Encode a raw public key. out holds cap bytes; *out_len excludes the NUL
 * of the text forms. comment (SSH only) may be NULL. */
int sc_sig_pub_encode(enum sc_sig_alg alg, const uint8_t *pub, size_t pub_len,
                      enum sc_pub_format fmt, const char *comment, uint8_t *out, size_t cap,
                      size_t *out_len) SC_WUR;

/* OpenSSH forms (sig_ssh.c). The signature blob an ssh-agent returns for a
 * 64-byte signature (Ed25519 as made; P-256 in SC_SIG_FMT_RAW): "ssh-ed25519"
 * or "ecdsa-sha2-nistp256" with (mpint r, mpint s). secp256k1: none. */
int sc_sig_ssh_signature(enum sc_sig_alg alg, const uint8_t *sig, size_t sig_len, uint8_t *out,
                         size_t cap, size_t *out_len) SC_WUR;
/* An armored SSHSIG ("-----BEGIN SSH SIGNATURE-----", SHA-512 of msg) as
 * `ssh-keygen -Y sign -n ns` writes it; `ssh-keygen -Y verify` checks it.
 * out (cap bytes) gets NUL-terminated text; 1024 bytes are enough. */
#define SC_SIG_SSHSIG_MAX 1024
int sc_sig_sshsig(const struct sc_sig_key *k, const char *ns, const uint8_t *msg, size_t msg_len,
                  char *out, size_t cap, size_t *out_len) SC_WUR;

#endif
