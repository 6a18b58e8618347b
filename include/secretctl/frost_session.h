/* frost_session.h - FROST between devices: the framed stdio transport to a
 * participant's command, the session messages of key generation (a DKG
 * whose round-1 packages are signed by identity keys and echoed) and of
 * signing, and the group record a coordinator keeps. See docs/CUSTODY.md. */
#ifndef SECRETCTL_FROST_SESSION_H
#define SECRETCTL_FROST_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "secretctl/frost.h"
#include "secretctl/secretctl.h"

/* ---- frames -----------------------------------------------------------------
 * A frame is u32 big-endian length L, then L bytes: a type byte and the
 * payload (1 <= L <= SC_FROST_FRAME_MAX). Each read has a deadline; a frame
 * longer than the reader's bound for its type is refused before it is read. */
#define SC_FROST_FRAME_MAX (SC_FROST_MSG_MAX + 65536)
#define SC_FROST_ERROR_MAX 200 /* a peer's refusal text */
#define SC_FROST_NAME_MAX 48   /* group and participant names: [A-Za-z0-9._-] */
#define SC_FROST_COMMAND_MAX 1024
#define SC_FROST_SESSION_LEN 32
#define SC_FROST_ID_PUB_LEN 32 /* an Ed25519 identity key */
#define SC_FROST_ID_SIG_LEN 64

enum sc_frost_frame_type {
	SC_FROST_F_KG_BEGIN = 0x10,   /* coordinator: session, id, min, max, group */
	SC_FROST_F_KG_R1 = 0x11,      /* participant: identity, box key, round 1, signature */
	SC_FROST_F_KG_R1_SET = 0x12,  /* coordinator: every signed round-1 package (the echo) */
	SC_FROST_F_KG_R2 = 0x13,      /* participant: echo signature, sealed round-2 packages */
	SC_FROST_F_KG_R2_SET = 0x14,  /* coordinator: the echo signatures, its sealed packages */
	SC_FROST_F_KG_DONE = 0x15,    /* participant: its public keys, signed; share stored */
	SC_FROST_F_SG_BEGIN = 0x20,   /* coordinator: group, group key, id */
	SC_FROST_F_SG_COMMIT = 0x21,  /* participant: its commitment */
	SC_FROST_F_SG_PACKAGE = 0x22, /* coordinator: the signing package */
	SC_FROST_F_SG_SHARE = 0x23,   /* participant: its signature share */
	SC_FROST_F_SP_BEGIN = 0x30,   /* dealer: session, id, min, max, group */
	SC_FROST_F_SP_HELLO = 0x31,   /* participant: identity, box key, signature */
	SC_FROST_F_SP_SHARE = 0x32,   /* dealer: its dealer share (0x08), sealed to the box key */
	SC_FROST_F_SP_DONE = 0x33,    /* participant: its public keys, signed; share stored */
	SC_FROST_F_ERROR = 0x7f,      /* participant: it refuses (a short text) */
};

/* One end of a session: fds to write to and read from, the child's pid
 * (coordinator side; 0 on the participant side) and the read deadline. */
struct sc_frost_peer {
	int to, from;
	pid_t pid;
	uint32_t timeout_ms;
	char error[SC_FROST_ERROR_MAX + 1]; /* the peer's ERROR text, when it sent one */
};

/* Run `/bin/sh -c command` with pipes on its stdin and stdout (stderr
 * shared with ours, so its prompts and notes reach the terminal), in its
 * own process group, envp its environment, no other fd open. */
int sc_frost_peer_spawn(const char *command, char *const *envp, uint32_t timeout_ms,
                        struct sc_frost_peer *p) SC_WUR;
/* The participant's end on stdin and stdout. */
void sc_frost_peer_stdio(struct sc_frost_peer *p, uint32_t timeout_ms);
/* Close both fds; a child still running after a short grace is killed
 * (its whole process group). */
void sc_frost_peer_close(struct sc_frost_peer *p);
/* Close both fds only (the child sees the end of the session); a later
 * sc_frost_peer_close reaps it. Hang up on every peer first, then close
 * each, so that they wind down together. */
void sc_frost_peer_hangup(struct sc_frost_peer *p);

int sc_frost_frame_send(struct sc_frost_peer *p, uint8_t type, const uint8_t *payload,
                        size_t len) SC_WUR;
/* Read one frame of a type in want[0..nwant) with payload at most max
 * bytes into *payload (malloc'd; secure: secmem). SC_ERR_TIMEOUT past the
 * deadline, SC_ERR_NOT_FOUND at EOF before a frame, SC_ERR_CORRUPT for a
 * truncated, oversized or unexpected frame, SC_ERR_DENIED for an ERROR
 * frame (its text in p->error). */
int sc_frost_frame_recv(struct sc_frost_peer *p, const uint8_t *want, size_t nwant, size_t max,
                        int secure, uint8_t *type, uint8_t **payload, size_t *len) SC_WUR;
/* Send an ERROR frame (best effort). */
void sc_frost_frame_refuse(struct sc_frost_peer *p, const char *text);

/* ---- identity ---------------------------------------------------------------
 * A participant's long-term Ed25519 key (its vault's keyring key
 * "frost-identity"), signing its round-1 package, its echo and its DONE. */
struct sc_frost_identity {
	uint8_t pub[SC_FROST_ID_PUB_LEN];
	int (*sign)(void *arg, const uint8_t *msg, size_t len, uint8_t sig[SC_FROST_ID_SIG_LEN]);
	void *arg;
};

/* 1 when name is a valid group or participant name. */
int sc_frost_name_valid(const char *name);

/* ---- what a participant is asked first --------------------------------------- */
struct sc_frost_request {
	uint8_t type; /* SC_FROST_F_KG_BEGIN, SC_FROST_F_SP_BEGIN or SC_FROST_F_SG_BEGIN */
	char group[SC_FROST_NAME_MAX + 1];
	uint16_t id, min, max;                 /* key generation, split */
	uint8_t session[SC_FROST_SESSION_LEN]; /* key generation, split */
	uint8_t group_key[SC_FROST_POINT_LEN]; /* signing */
};
int sc_frost_request_recv(struct sc_frost_peer *p, struct sc_frost_request *req) SC_WUR;

/* ---- key generation (frost_kg.c) ---------------------------------------------
 * The coordinator runs the DKG through peers[0..n) (identifier i+1): it
 * relays, never sees a secret share (round-2 packages are sealed with
 * crypto_box between keys each participant signs in round 1), and checks
 * that every participant derived the same public keys. On failure
 * *culprit is the failing peer's index + 1 (0: none to blame). */
int sc_frost_kg_coordinate(struct sc_frost_peer *peers, uint16_t n, uint16_t min, const char *group,
                           uint8_t (*id_pubs)[SC_FROST_ID_PUB_LEN], struct sc_frost_pubkeys **pub,
                           size_t *culprit) SC_WUR;
/* The participant's rounds after a KG_BEGIN request: on SC_OK *kp (its
 * share, secmem) and *pub; the caller stores *kp, then calls
 * sc_frost_kg_done. show (may be NULL) is told the identities of the
 * round-1 set before round 2, so its terminal can show their fingerprints. */
int sc_frost_kg_participate(struct sc_frost_peer *coord, const struct sc_frost_request *req,
                            const struct sc_frost_identity *id,
                            void (*show)(void *arg, uint16_t who,
                                         const uint8_t pub[SC_FROST_ID_PUB_LEN]),
                            void *show_arg, struct sc_frost_key_package **kp,
                            struct sc_frost_pubkeys **pub) SC_WUR;
int sc_frost_kg_done(struct sc_frost_peer *coord, const struct sc_frost_request *req,
                     const struct sc_frost_identity *id, const struct sc_frost_pubkeys *pub) SC_WUR;

/* ---- trusted-dealer split (frost_split.c) ------------------------------------
 * The dealer hands shares[i] (identifier i+1, from sc_frost_dealer_split,
 * all of one threshold, n of them) to peers[i]: SP_BEGIN; the participant's
 * SP_HELLO (its identity key and a fresh X25519 box key, signed by the
 * identity key over the session, group and place); SP_SHARE, the dealer
 * share (0x08: the share and the VSS commitment) sealed to that box key
 * (crypto_box_seal); the participant's SP_DONE, its public keys signed.
 * The dealer checks that every participant derived its own public keys.
 * The caller wipes the shares after. *culprit: index + 1 of the failing
 * peer, 0 when none. */
int sc_frost_split_coordinate(struct sc_frost_peer *peers, uint16_t n, const char *group,
                              struct sc_frost_share *const *shares,
                              uint8_t (*id_pubs)[SC_FROST_ID_PUB_LEN],
                              struct sc_frost_pubkeys **pub, size_t *culprit) SC_WUR;
/* The participant's side after a SP_BEGIN request: on SC_OK its share,
 * checked against the dealer's VSS commitment (a share that does not
 * verify is refused: SC_ERR_CORRUPT), as *kp (secmem) and *pub; the
 * caller stores *kp, then calls sc_frost_split_done. */
int sc_frost_split_participate(struct sc_frost_peer *coord, const struct sc_frost_request *req,
                               const struct sc_frost_identity *id, struct sc_frost_key_package **kp,
                               struct sc_frost_pubkeys **pub) SC_WUR;
int sc_frost_split_done(struct sc_frost_peer *coord, const struct sc_frost_request *req,
                        const struct sc_frost_identity *id,
                        const struct sc_frost_pubkeys *pub) SC_WUR;

/* ---- signing (frost_session.c) -------------------------------------------------
 * The coordinator's two rounds with peers[0..n), ids[i] the identifier of
 * peers[i]; aggregates and verifies under the group key. *culprit: index + 1
 * of the peer that failed or gave a bad share, 0 when none. */
int sc_frost_sign_coordinate(struct sc_frost_peer *peers, const uint16_t *ids, size_t n,
                             const char *group, const struct sc_frost_pubkeys *pub,
                             const uint8_t *msg, size_t msg_len, uint8_t sig[SC_FROST_SIG_LEN],
                             size_t *culprit) SC_WUR;
/* The participant's side after a SG_BEGIN request: commits (fresh nonce,
 * in secmem only), reads the package, asks confirm (may be NULL; anything
 * but SC_OK refuses), signs once and answers. A frame after the answer is
 * refused: the nonce is gone. */
int sc_frost_sign_participate(struct sc_frost_peer *coord, const struct sc_frost_request *req,
                              const struct sc_frost_key_package *kp,
                              int (*confirm)(void *arg, const struct sc_frost_signing_package *pkg),
                              void *confirm_arg) SC_WUR;

/* ---- the group record (frost_group.c) ------------------------------------------
 * What a coordinator keeps of a group: its name, the participants (name,
 * command, identity key) by identifier, and the public keys. All public. */
struct sc_frost_member {
	char name[SC_FROST_NAME_MAX + 1];
	char command[SC_FROST_COMMAND_MAX + 1];
	uint8_t id_pub[SC_FROST_ID_PUB_LEN];
};
struct sc_frost_group {
	char name[SC_FROST_NAME_MAX + 1];
	uint16_t n;
	struct sc_frost_member *members; /* n, identifier i+1 at i */
	struct sc_frost_pubkeys *pub;
};
void sc_frost_group_release(struct sc_frost_group *g);
int sc_frost_group_encode(const struct sc_frost_group *g, uint8_t **out, size_t *len) SC_WUR;
int sc_frost_group_decode(const uint8_t *buf, size_t len, struct sc_frost_group *g) SC_WUR;
/* dir/frost/NAME.group: saved new (SC_ERR_EXISTS when there), loaded, listed. */
int sc_frost_group_save(const char *dir, const struct sc_frost_group *g) SC_WUR;
int sc_frost_group_load(const char *dir, const char *name, struct sc_frost_group *g) SC_WUR;
/* The group names, sorted (malloc'd array of malloc'd strings). */
int sc_frost_group_list(const char *dir, char ***names, size_t *n) SC_WUR;

/* ---- a participant's keyring (frost_keyring.c) --------------------------------
 * Its share of group G is the keyring key "frost.G" of type frost-ed25519
 * (material: the key package); its identity key is the ed25519 key
 * "frost-identity", made on first use. */
#define SC_FROST_IDENTITY_KEY "frost-identity"
struct sc_keyring;
/* "frost." + group into out (SC_KEY_NAME_MAX + 1 bytes). */
int sc_frost_share_key_name(const char *group, char *out, size_t cap) SC_WUR;
/* Store kp as a new key (SC_ERR_EXISTS when the group has a share here). */
int sc_frost_keyring_store(struct sc_keyring *kr, const char *group,
                           const struct sc_frost_key_package *kp, int64_t now) SC_WUR;
/* The share of group, after the keyring's lifecycle checks (a suspended,
 * compromised or destroyed share does not sign). */
int sc_frost_keyring_load(struct sc_keyring *kr, const char *group, int64_t now,
                          struct sc_frost_key_package **kp) SC_WUR;
/* The identity key (made when missing: *made set) as a signer. The keyring
 * must outlive id. */
struct sc_frost_keyring_identity {
	struct sc_keyring *kr;
	int64_t now;
};
int sc_frost_keyring_identity(struct sc_frost_keyring_identity *ki, struct sc_frost_identity *id,
                              int *made) SC_WUR;

#endif
