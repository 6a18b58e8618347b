/* frost_int.h - FROST internals shared by the frost*.c files and the tests:
 * the object layouts, the Ed25519 group and hash primitives (H1..H5), and
 * hooks that take fixed randomness so that the RFC 9591 vectors replay. */
#ifndef SECRETCTL_FROST_INT_H
#define SECRETCTL_FROST_INT_H

#include "secretctl/secretctl.h"
#include "secretctl/frost.h"

#define FROST_NS SC_FROST_SCALAR_LEN
#define FROST_NE SC_FROST_POINT_LEN
#define FROST_CONTEXT "FROST-ED25519-SHA512-v1"

struct sc_frost_key_package { /* allocated in secmem */
	uint16_t id, min, max;
	uint8_t signing_share[FROST_NS];
	uint8_t verifying_share[FROST_NE];
	uint8_t group_key[FROST_NE];
};

struct sc_frost_pubkeys {
	uint16_t min, max;
	uint8_t group_key[FROST_NE];
	uint8_t shares[]; /* max * FROST_NE: identifier i at (i-1) */
};

struct sc_frost_share { /* allocated in secmem */
	uint16_t id, min, max;
	uint8_t secret[FROST_NS];
	uint8_t vss[]; /* min * FROST_NE: commitments to the coefficients */
};

struct sc_frost_nonce { /* allocated in secmem */
	uint8_t hiding[FROST_NS];
	uint8_t binding[FROST_NS];
	struct sc_frost_commitment commitment;
};

struct sc_frost_signing_package {
	uint8_t group_key[FROST_NE];
	size_t n;
	struct sc_frost_commitment *c; /* n, strictly ascending identifiers */
	size_t msg_len;
	uint8_t *msg;
};

struct sc_frost_dkg_round1 {
	uint16_t id, min, max;
	uint8_t r[FROST_NE];  /* proof of knowledge: R */
	uint8_t mu[FROST_NS]; /* proof of knowledge: mu */
	uint8_t commit[];     /* min * FROST_NE */
};

struct sc_frost_dkg_round2 { /* allocated in secmem */
	uint16_t sender, recipient;
	uint8_t share[FROST_NS];
};

struct sc_frost_dkg { /* allocated in secmem */
	uint16_t id, min, max;
	int stage;        /* 1 after part1, 2 after part2, 3 done */
	uint8_t *commits; /* max * min * FROST_NE, by identifier - 1 */
	uint8_t coeff[];  /* min * FROST_NS: the secret polynomial */
};

/* ---- group and hashes (frost_ed25519.c) ---------------------------------- */

/* 1 when s is a canonical scalar (< L), in constant time. */
int sc_frost_scalar_canonical(const uint8_t s[FROST_NS]);
int sc_frost_scalar_is_zero(const uint8_t s[FROST_NS]);
void sc_frost_scalar_from_id(uint8_t out[FROST_NS], uint16_t id);
/* 1 when p is a canonical point of the prime-order subgroup, not the identity. */
int sc_frost_point_valid(const uint8_t p[FROST_NE]);
int sc_frost_point_is_identity(const uint8_t p[FROST_NE]);
void sc_frost_point_identity(uint8_t out[FROST_NE]);
/* s*B and s*P; a zero scalar gives the identity. SC_ERR_CRYPTO on a bad P. */
int sc_frost_mul_base(uint8_t out[FROST_NE], const uint8_t s[FROST_NS]) SC_WUR;
int sc_frost_mul(uint8_t out[FROST_NE], const uint8_t s[FROST_NS],
                 const uint8_t p[FROST_NE]) SC_WUR;
int sc_frost_add(uint8_t out[FROST_NE], const uint8_t a[FROST_NE],
                 const uint8_t b[FROST_NE]) SC_WUR;

/* The RFC's hashes: H1 "rho", H2 (no context: RFC 8032), H3 "nonce",
 * H4 "msg", H5 "com"; and HDKG "dkg" for the DKG's proofs (as ZF's frost).
 * Each takes the message in up to three pieces (NULL, 0 for none). */
void sc_frost_h1(uint8_t out[FROST_NS], const uint8_t *m, size_t len);
void sc_frost_h2(uint8_t out[FROST_NS], const uint8_t *a, size_t alen, const uint8_t *b,
                 size_t blen, const uint8_t *c, size_t clen);
void sc_frost_h3(uint8_t out[FROST_NS], const uint8_t *m, size_t len);
void sc_frost_h4(uint8_t out[64], const uint8_t *m, size_t len);
void sc_frost_h5(uint8_t out[64], const uint8_t *m, size_t len);
void sc_frost_hdkg(uint8_t out[FROST_NS], const uint8_t *m, size_t len);

/* nonce_generate(secret) with the 32 random bytes given. */
void sc_frost_nonce_generate(uint8_t out[FROST_NS], const uint8_t rand32[32],
                             const uint8_t secret[FROST_NS]);
/* f(x) for the coefficients c[0..t-1] (c[0] the constant term). */
void sc_frost_poly_eval(uint8_t out[FROST_NS], const uint8_t *c, size_t t, uint16_t x);
/* sum_j commit[j] * x^j: the public image of f(x). */
int sc_frost_poly_commit_eval(uint8_t out[FROST_NE], const uint8_t *commit, size_t t,
                              uint16_t x) SC_WUR;
/* derive_interpolating_value(ids, id): SC_ERR_INVALID when id is absent, an
 * identifier repeats or is zero. */
int sc_frost_lagrange(uint8_t out[FROST_NS], const uint16_t *ids, size_t n, uint16_t id) SC_WUR;

/* ---- hooks for known-answer tests: fixed randomness. Never for real use. */

int sc_frost_commit_with_randomness(const struct sc_frost_key_package *kp,
                                    const uint8_t hiding_rand[32], const uint8_t binding_rand[32],
                                    struct sc_frost_nonce **nonce,
                                    struct sc_frost_commitment *commitment) SC_WUR;
void sc_frost_nonce_scalars(const struct sc_frost_nonce *n, uint8_t hiding[FROST_NS],
                            uint8_t binding[FROST_NS]);
/* coeffs: min-1 scalars, the polynomial's non-constant coefficients. */
int sc_frost_dealer_split_with(const uint8_t secret[FROST_NS], const uint8_t *coeffs, uint16_t min,
                               uint16_t max, struct sc_frost_share **shares) SC_WUR;
/* The binding factor input (group key || H4(msg) || H5(list) || id) and
 * the binding factor of commitment i of pkg. */
int sc_frost_binding_factor(const struct sc_frost_signing_package *pkg, size_t i,
                            uint8_t input[FROST_NE + 128 + FROST_NS], uint8_t bf[FROST_NS]) SC_WUR;
/* coeffs: min scalars (coeffs[0] the secret); k: the proof's nonce. */
int sc_frost_dkg_part1_with(uint16_t id, uint16_t min, uint16_t max, const uint8_t *coeffs,
                            const uint8_t k[FROST_NS], struct sc_frost_dkg **state,
                            struct sc_frost_dkg_round1 **out) SC_WUR;
const uint8_t *sc_frost_dkg_round1_commitment(const struct sc_frost_dkg_round1 *r1, size_t j);
const uint8_t *sc_frost_dkg_round1_proof_r(const struct sc_frost_dkg_round1 *r1);
const uint8_t *sc_frost_dkg_round1_proof_mu(const struct sc_frost_dkg_round1 *r1);
const uint8_t *sc_frost_dkg_round2_share(const struct sc_frost_dkg_round2 *r2);
const uint8_t *sc_frost_key_package_signing_share(const struct sc_frost_key_package *kp);

/* Allocators shared by the builders and the decoders. */
struct sc_frost_pubkeys *sc_frost_pubkeys_alloc(uint16_t min, uint16_t max);
struct sc_frost_share *sc_frost_share_alloc(uint16_t min, uint16_t max);
struct sc_frost_dkg_round1 *sc_frost_dkg_round1_alloc(uint16_t min, uint16_t max);
/* The threshold rules: 2 <= min <= max <= SC_FROST_MAX_PARTICIPANTS. */
int sc_frost_params_valid(uint16_t min, uint16_t max);
/* derive_group_info from a VSS commitment (for the DKG: the sum of all). */
int sc_frost_group_info(const uint8_t *vss, uint16_t min, uint16_t max,
                        struct sc_frost_pubkeys **out) SC_WUR;
/* The proof-of-knowledge check of a round-1 package. */
int sc_frost_dkg_round1_check(const struct sc_frost_dkg_round1 *r1) SC_WUR;

/* ---- FROST(secp256k1, SHA-256) (frost_secp256k1.c) ----------------------
 * Scalars are 32 bytes big-endian, points 33-byte compressed SEC1. Over
 * plain arrays, checked against the RFC 9591 vectors; not yet behind the
 * objects and wire formats of frost.h. Commitment lists must be sorted. */
#define SC_FROST_K1_POINT_LEN 33
#define SC_FROST_K1_SIG_LEN (33 + 32)
#define SC_FROST_K1_RHO_INPUT_LEN (33 + 32 + 32 + 32)
struct sc_frost_k1_commitment {
	uint16_t id;
	uint8_t hiding[SC_FROST_K1_POINT_LEN];
	uint8_t binding[SC_FROST_K1_POINT_LEN];
};
/* RFC 9380 section 5.3.1 with SHA-256 */
int sc_frost_k1_expand_message_xmd(uint8_t *out, size_t out_len, const uint8_t *msg, size_t msg_len,
                                   const uint8_t *dst, size_t dst_len) SC_WUR;
int sc_frost_k1_scalar_canonical(const uint8_t s[32]);
int sc_frost_k1_point_valid(const uint8_t p[SC_FROST_K1_POINT_LEN]);
int sc_frost_k1_mul_base(uint8_t out[SC_FROST_K1_POINT_LEN], const uint8_t s[32]) SC_WUR;
void sc_frost_k1_nonce_generate(uint8_t out[32], const uint8_t rand32[32],
                                const uint8_t secret[32]);
/* shares: max * 32 (identifier i at i-1); vss: min * 33 */
int sc_frost_k1_split_with(const uint8_t secret[32], const uint8_t *coeffs, uint16_t min,
                           uint16_t max, uint8_t *shares, uint8_t *vss) SC_WUR;
int sc_frost_k1_vss_verify(uint16_t id, const uint8_t share[32], const uint8_t *vss,
                           uint16_t min) SC_WUR;
int sc_frost_k1_binding_factor(const uint8_t gpk[SC_FROST_K1_POINT_LEN],
                               const struct sc_frost_k1_commitment *c, size_t n, const uint8_t *msg,
                               size_t msg_len, size_t i, uint8_t input[SC_FROST_K1_RHO_INPUT_LEN],
                               uint8_t bf[32]) SC_WUR;
int sc_frost_k1_sign(uint16_t id, const uint8_t sk[32], const uint8_t gpk[SC_FROST_K1_POINT_LEN],
                     const uint8_t hiding[32], const uint8_t binding[32], const uint8_t *msg,
                     size_t msg_len, const struct sc_frost_k1_commitment *c, size_t n,
                     uint8_t z[32]) SC_WUR;
int sc_frost_k1_verify_share(uint16_t id, const uint8_t pk_i[SC_FROST_K1_POINT_LEN],
                             const uint8_t gpk[SC_FROST_K1_POINT_LEN], const uint8_t *msg,
                             size_t msg_len, const struct sc_frost_k1_commitment *c, size_t n,
                             const uint8_t z[32]) SC_WUR;
/* zs: n signature shares in the order of c; sig = R || z, verified */
int sc_frost_k1_aggregate(const uint8_t gpk[SC_FROST_K1_POINT_LEN], const uint8_t *msg,
                          size_t msg_len, const struct sc_frost_k1_commitment *c, size_t n,
                          const uint8_t *zs, uint8_t sig[SC_FROST_K1_SIG_LEN]) SC_WUR;
int sc_frost_k1_verify(const uint8_t gpk[SC_FROST_K1_POINT_LEN], const uint8_t *msg, size_t msg_len,
                       const uint8_t sig[SC_FROST_K1_SIG_LEN]) SC_WUR;

#endif
