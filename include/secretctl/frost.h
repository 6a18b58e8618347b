/* frost.h - FROST threshold Schnorr signatures (RFC 9591), FROST(Ed25519,
 * SHA-512): trusted-dealer split, a DKG with proofs of knowledge, the two
 * signing rounds, share verification, aggregation, and the wire formats. */
#ifndef SECRETCTL_FROST_H
#define SECRETCTL_FROST_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/secretctl.h"

#define SC_FROST_SCALAR_LEN 32
#define SC_FROST_POINT_LEN 32
#define SC_FROST_SIG_LEN 64
/* Identifiers are 1..max; max is at most this. */
#define SC_FROST_MAX_PARTICIPANTS 255
/* Largest message a signing package carries. */
#define SC_FROST_MSG_MAX (1024 * 1024)

/* ---- wire formats ---------------------------------------------------------
 * Every message starts with: type (1 byte) | version (1) | ciphersuite (1).
 * Integers are big-endian; identifiers, min and max are 2 bytes; scalars and
 * points are the RFC's 32-byte encodings. Decoders reject a wrong type,
 * version or suite, a bad length, trailing bytes, non-canonical scalars,
 * invalid or identity points, zero or out-of-range identifiers, duplicates
 * and broken threshold rules. Each message has exactly one encoding, so the
 * bytes can be signed or compared. */
#define SC_FROST_WIRE_VERSION 1
#define SC_FROST_SUITE_ED25519_SHA512 1
enum sc_frost_msg_type {
	SC_FROST_MSG_COMMITMENT = 0x01,      /* round 1: a signer's commitment */
	SC_FROST_MSG_SIGNING_PACKAGE = 0x02, /* round 2 request: commitments + message */
	SC_FROST_MSG_SIG_SHARE = 0x03,       /* round 2 answer: a signature share */
	SC_FROST_MSG_DKG_ROUND1 = 0x04,      /* DKG: commitments + proof of knowledge */
	SC_FROST_MSG_DKG_ROUND2 = 0x05,      /* DKG: one recipient's secret share */
	SC_FROST_MSG_KEY_PACKAGE = 0x06,     /* a participant's key (secret) */
	SC_FROST_MSG_PUBKEYS = 0x07,         /* the group key and verifying shares */
	SC_FROST_MSG_SHARE = 0x08,           /* dealer -> participant share + VSS (secret) */
};
#define SC_FROST_HDR_LEN 3
#define SC_FROST_COMMITMENT_WIRE_LEN (SC_FROST_HDR_LEN + 2 + 2 * SC_FROST_POINT_LEN)
#define SC_FROST_SIG_SHARE_WIRE_LEN (SC_FROST_HDR_LEN + 2 + SC_FROST_SCALAR_LEN)
#define SC_FROST_DKG_ROUND2_WIRE_LEN (SC_FROST_HDR_LEN + 4 + SC_FROST_SCALAR_LEN)
#define SC_FROST_KEY_PACKAGE_WIRE_LEN                                                              \
	(SC_FROST_HDR_LEN + 6 + SC_FROST_SCALAR_LEN + 2 * SC_FROST_POINT_LEN)

/* ---- public values -------------------------------------------------------- */

/* A signer's round-1 output: public. */
struct sc_frost_commitment {
	uint16_t id;
	uint8_t hiding[SC_FROST_POINT_LEN];
	uint8_t binding[SC_FROST_POINT_LEN];
};

/* A signer's round-2 output: public. */
struct sc_frost_sig_share {
	uint16_t id;
	uint8_t z[SC_FROST_SCALAR_LEN];
};

/* ---- keys ----------------------------------------------------------------- */

/* A participant's key: identifier, min (threshold), max, signing share
 * (secret, in secmem), verifying share, group key. */
struct sc_frost_key_package;
/* The group's public keys: min, max, group key, verifying share of every
 * identifier 1..max. What a coordinator needs. */
struct sc_frost_pubkeys;
/* What a trusted dealer hands one participant: its identifier, min, max,
 * secret share (secmem) and the VSS commitment (min points). */
struct sc_frost_share;

/* Trusted-dealer split (RFC 9591 appendix C): a random polynomial of degree
 * min-1 with constant term `secret` (32-byte canonical non-zero scalar; NULL:
 * a fresh random key). 2 <= min <= max <= SC_FROST_MAX_PARTICIPANTS. Fills
 * shares[0..max-1] (identifier i+1); free each with sc_frost_share_free. */
int sc_frost_dealer_split(const uint8_t *secret, uint16_t min, uint16_t max,
                          struct sc_frost_share **shares) SC_WUR;
/* vss_verify the share against its commitment (SC_ERR_CORRUPT when it does
 * not match), then derive the participant's key package and, when pub is
 * not NULL, the group's public keys. */
int sc_frost_share_verify(const struct sc_frost_share *share, struct sc_frost_key_package **kp,
                          struct sc_frost_pubkeys **pub) SC_WUR;
uint16_t sc_frost_share_id(const struct sc_frost_share *share);
/* The FROST secret of an Ed25519 key: its RFC 8032 scalar (the clamped low
 * half of SHA-512(seed)) reduced mod L, so that secret * B is the key's
 * public key. secret should be secmem. */
int sc_frost_secret_from_seed(const uint8_t seed[32], uint8_t secret[SC_FROST_SCALAR_LEN]) SC_WUR;
void sc_frost_share_free(struct sc_frost_share *share);

uint16_t sc_frost_key_package_id(const struct sc_frost_key_package *kp);
uint16_t sc_frost_key_package_min(const struct sc_frost_key_package *kp);
uint16_t sc_frost_key_package_max(const struct sc_frost_key_package *kp);
const uint8_t *sc_frost_key_package_group_key(const struct sc_frost_key_package *kp);
const uint8_t *sc_frost_key_package_verifying_share(const struct sc_frost_key_package *kp);
void sc_frost_key_package_free(struct sc_frost_key_package *kp);

uint16_t sc_frost_pubkeys_min(const struct sc_frost_pubkeys *pub);
uint16_t sc_frost_pubkeys_max(const struct sc_frost_pubkeys *pub);
const uint8_t *sc_frost_pubkeys_group_key(const struct sc_frost_pubkeys *pub);
/* The verifying share of identifier id (1..max), or NULL. */
const uint8_t *sc_frost_pubkeys_verifying_share(const struct sc_frost_pubkeys *pub, uint16_t id);
void sc_frost_pubkeys_free(struct sc_frost_pubkeys *pub);

/* ---- signing -------------------------------------------------------------- */

/* One use of a pair of nonces, in secmem. Made by sc_frost_commit, consumed
 * (wiped and freed, *nonce set to NULL) by sc_frost_sign whatever its
 * outcome, so a nonce can never sign twice. Never serialized. */
struct sc_frost_nonce;
/* The coordinator's round-2 request: group key, the commitment list sorted
 * by identifier, the message. */
struct sc_frost_signing_package;

/* Round 1: fresh nonces hedged with the signing share (nonce_generate), and
 * their commitment. */
int sc_frost_commit(const struct sc_frost_key_package *kp, struct sc_frost_nonce **nonce,
                    struct sc_frost_commitment *commitment) SC_WUR;
/* The commitment a nonce was made with. */
const struct sc_frost_commitment *sc_frost_nonce_commitment(const struct sc_frost_nonce *nonce);
void sc_frost_nonce_free(struct sc_frost_nonce *nonce);

/* Build a signing package: copies and sorts the commitments; rejects fewer
 * than 2 or more than SC_FROST_MAX_PARTICIPANTS, zero identifiers, duplicate
 * identifiers or commitments, invalid or identity points, an invalid group
 * key, a message over SC_FROST_MSG_MAX. */
int sc_frost_signing_package_new(const uint8_t group_key[SC_FROST_POINT_LEN],
                                 const struct sc_frost_commitment *commitments, size_t n,
                                 const uint8_t *msg, size_t msg_len,
                                 struct sc_frost_signing_package **out) SC_WUR;
size_t sc_frost_signing_package_count(const struct sc_frost_signing_package *pkg);
const struct sc_frost_commitment *
sc_frost_signing_package_commitment(const struct sc_frost_signing_package *pkg, size_t i);
const uint8_t *sc_frost_signing_package_message(const struct sc_frost_signing_package *pkg,
                                                size_t *len);
const uint8_t *sc_frost_signing_package_group_key(const struct sc_frost_signing_package *pkg);
void sc_frost_signing_package_free(struct sc_frost_signing_package *pkg);

/* Round 2: the signature share of kp over pkg with *nonce, which is consumed.
 * Refuses (SC_ERR_INVALID) a package for another group key, without this
 * participant's identifier and exact commitment, with fewer than min or
 * identifiers above max; SC_ERR_CORRUPT when the group commitment is the
 * identity. */
int sc_frost_sign(const struct sc_frost_key_package *kp, struct sc_frost_nonce **nonce,
                  const struct sc_frost_signing_package *pkg,
                  struct sc_frost_sig_share *out) SC_WUR;
/* verify_signature_share: SC_OK when the share is valid for its identifier,
 * SC_ERR_CORRUPT when not, SC_ERR_INVALID when the identifier is not in pkg. */
int sc_frost_verify_share(const struct sc_frost_pubkeys *pub,
                          const struct sc_frost_signing_package *pkg,
                          const struct sc_frost_sig_share *share) SC_WUR;
/* Aggregate one share per signer of pkg (any order) into an Ed25519
 * signature (R || z) and verify it under the group key. When it does not
 * verify, every share is checked and *culprit names the first bad one
 * (SC_ERR_CORRUPT). *culprit is 0 when no participant is to blame. */
int sc_frost_aggregate(const struct sc_frost_pubkeys *pub,
                       const struct sc_frost_signing_package *pkg,
                       const struct sc_frost_sig_share *shares, size_t n,
                       uint8_t sig[SC_FROST_SIG_LEN], uint16_t *culprit) SC_WUR;
/* Plain Ed25519 verification (RFC 8032, libsodium): SC_OK or SC_ERR_CORRUPT. */
int sc_frost_verify(const uint8_t group_key[SC_FROST_POINT_LEN], const uint8_t *msg, size_t msg_len,
                    const uint8_t sig[SC_FROST_SIG_LEN]) SC_WUR;

/* ---- distributed key generation ------------------------------------------------
 * Pedersen DKG with proofs of knowledge (FROST paper, figure 1), as
 * ZcashFoundation/frost does it: every participant 1..max runs part1, sends
 * its round-1 package to all (the transport must make all see the same
 * set: sign and echo the canonical bytes), runs part2 on the others'
 * packages and sends each round-2 package to its recipient alone (secret:
 * encrypted channel), then runs part3. */
struct sc_frost_dkg;        /* a participant's state: its polynomial (secmem) */
struct sc_frost_dkg_round1; /* public: commitment to the polynomial + PoK */
struct sc_frost_dkg_round2; /* secret: f_sender(recipient) */

int sc_frost_dkg_part1(uint16_t id, uint16_t min, uint16_t max, struct sc_frost_dkg **state,
                       struct sc_frost_dkg_round1 **out) SC_WUR;
/* r1: the round-1 packages of the max-1 others, any order. Verifies each
 * proof of knowledge (SC_ERR_CORRUPT, *culprit = its sender) and fills
 * out[i] with the round-2 package for r1[i]'s sender. */
int sc_frost_dkg_part2(struct sc_frost_dkg *state, const struct sc_frost_dkg_round1 *const *r1,
                       size_t n, struct sc_frost_dkg_round2 **out, uint16_t *culprit) SC_WUR;
/* r2: the round-2 packages addressed to this participant by the max-1
 * others. Verifies each share against its sender's commitment
 * (SC_ERR_CORRUPT, *culprit = the sender), then derives the key package and
 * the group's public keys. */
int sc_frost_dkg_part3(struct sc_frost_dkg *state, const struct sc_frost_dkg_round2 *const *r2,
                       size_t n, struct sc_frost_key_package **kp, struct sc_frost_pubkeys **pub,
                       uint16_t *culprit) SC_WUR;
void sc_frost_dkg_free(struct sc_frost_dkg *state);
uint16_t sc_frost_dkg_round1_sender(const struct sc_frost_dkg_round1 *r1);
void sc_frost_dkg_round1_free(struct sc_frost_dkg_round1 *r1);
uint16_t sc_frost_dkg_round2_sender(const struct sc_frost_dkg_round2 *r2);
uint16_t sc_frost_dkg_round2_recipient(const struct sc_frost_dkg_round2 *r2);
void sc_frost_dkg_round2_free(struct sc_frost_dkg_round2 *r2);

/* ---- encoders and decoders --------------------------------------------------
 * Variable-length encoders write into out[0..cap) and set *len;
 * SC_ERR_TOOBIG when cap is short (sc_frost_*_wire_len gives the size).
 * Secret messages (key package, round-2 package, dealer share) must be
 * encoded into secmem; their decoders read them into secmem. Decoders set
 * *out to NULL on failure. */
int sc_frost_commitment_encode(const struct sc_frost_commitment *c,
                               uint8_t out[SC_FROST_COMMITMENT_WIRE_LEN]) SC_WUR;
int sc_frost_commitment_decode(const uint8_t *buf, size_t len,
                               struct sc_frost_commitment *out) SC_WUR;
int sc_frost_sig_share_encode(const struct sc_frost_sig_share *s,
                              uint8_t out[SC_FROST_SIG_SHARE_WIRE_LEN]) SC_WUR;
int sc_frost_sig_share_decode(const uint8_t *buf, size_t len,
                              struct sc_frost_sig_share *out) SC_WUR;

size_t sc_frost_signing_package_wire_len(const struct sc_frost_signing_package *pkg);
int sc_frost_signing_package_encode(const struct sc_frost_signing_package *pkg, uint8_t *out,
                                    size_t cap, size_t *len) SC_WUR;
int sc_frost_signing_package_decode(const uint8_t *buf, size_t len,
                                    struct sc_frost_signing_package **out) SC_WUR;

size_t sc_frost_dkg_round1_wire_len(const struct sc_frost_dkg_round1 *r1);
int sc_frost_dkg_round1_encode(const struct sc_frost_dkg_round1 *r1, uint8_t *out, size_t cap,
                               size_t *len) SC_WUR;
int sc_frost_dkg_round1_decode(const uint8_t *buf, size_t len,
                               struct sc_frost_dkg_round1 **out) SC_WUR;
int sc_frost_dkg_round2_encode(const struct sc_frost_dkg_round2 *r2,
                               uint8_t out[SC_FROST_DKG_ROUND2_WIRE_LEN]) SC_WUR;
int sc_frost_dkg_round2_decode(const uint8_t *buf, size_t len,
                               struct sc_frost_dkg_round2 **out) SC_WUR;

int sc_frost_key_package_encode(const struct sc_frost_key_package *kp,
                                uint8_t out[SC_FROST_KEY_PACKAGE_WIRE_LEN]) SC_WUR;
/* Also checks that the verifying share is the signing share's. */
int sc_frost_key_package_decode(const uint8_t *buf, size_t len,
                                struct sc_frost_key_package **out) SC_WUR;

size_t sc_frost_pubkeys_wire_len(const struct sc_frost_pubkeys *pub);
int sc_frost_pubkeys_encode(const struct sc_frost_pubkeys *pub, uint8_t *out, size_t cap,
                            size_t *len) SC_WUR;
int sc_frost_pubkeys_decode(const uint8_t *buf, size_t len, struct sc_frost_pubkeys **out) SC_WUR;

size_t sc_frost_share_wire_len(const struct sc_frost_share *share);
int sc_frost_share_encode(const struct sc_frost_share *share, uint8_t *out, size_t cap,
                          size_t *len) SC_WUR;
int sc_frost_share_decode(const uint8_t *buf, size_t len, struct sc_frost_share **out) SC_WUR;

#endif
