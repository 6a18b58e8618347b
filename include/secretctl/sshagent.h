/* sshagent.h - the vault's signing keys served over OpenSSH's agent
 * protocol (draft-miller-ssh-agent), so that `ssh`, `git` and `ssh-keygen
 * -Y sign` use a key that never leaves the vault. sshagent/wire.c is the
 * codec; sshagent/serve.c the keys served, each request's decision, its
 * audit entry and the connection loop. */
#ifndef SECRETCTL_SSHAGENT_H
#define SECRETCTL_SSHAGENT_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/buf.h"
#include "secretctl/status.h"

struct sc_vault;

/* OpenSSH's own bound on one message (AGENT_MAX_LEN), the length word
 * not counted. */
#define SC_SSHAGENT_MSG_MAX (256u * 1024u)
/* Keys one agent serves, and connections it holds at once. */
#define SC_SSHAGENT_KEYS_MAX 64
#define SC_SSHAGENT_CONNS_MAX 128
/* A wire public key: "ecdsa-sha2-nistp256" "nistp256" and 65 bytes fit. */
#define SC_SSHAGENT_BLOB_MAX 128

/* The message numbers this agent reads or writes. */
enum {
	SC_SSHAGENT_FAILURE = 5,
	SC_SSHAGENT_SUCCESS = 6,
	SC_SSHAGENT_REQUEST_IDENTITIES = 11,
	SC_SSHAGENT_IDENTITIES_ANSWER = 12,
	SC_SSHAGENT_SIGN_REQUEST = 13,
	SC_SSHAGENT_SIGN_RESPONSE = 14
};

/* One request, parsed. The pointers point into the message. */
struct sc_sshagent_req {
	uint8_t type;
	const uint8_t *key_blob; /* SIGN_REQUEST only */
	size_t key_blob_len;
	const uint8_t *data;
	size_t data_len;
	uint32_t flags;
};

/* Parse one message (its type byte first, the length word already taken
 * off). Strict: a SIGN_REQUEST has exactly its three fields and nothing
 * after; REQUEST_IDENTITIES has no body. Any other type is parsed as its
 * type alone (the agent answers FAILURE). SC_ERR_CORRUPT for a malformed
 * message, SC_ERR_TOOBIG past SC_SSHAGENT_MSG_MAX. */
int sc_sshagent_parse(const uint8_t *msg, size_t len, struct sc_sshagent_req *req) SC_WUR;

/* Answers, each a whole frame (length word first) appended to out. */
int sc_sshagent_put_failure(struct sc_buf *out) SC_WUR;
int sc_sshagent_put_signature(struct sc_buf *out, const uint8_t *sig, size_t sig_len) SC_WUR;
/* IDENTITIES_ANSWER of n keys: blobs[i] (blob_lens[i]) with comments[i]. */
int sc_sshagent_put_identities(struct sc_buf *out, size_t n, const uint8_t *const *blobs,
                               const size_t *blob_lens, const char *const *comments) SC_WUR;

/* ---- the agent -------------------------------------------------------- */

struct sc_sshagent;

/* Who asks, from SO_PEERCRED and /proc: shown in a confirmation and kept
 * (the program's name) in the audit entry. */
struct sc_sshagent_peer {
	int pid;
	unsigned uid;
	const char *program; /* basename of the peer's executable, or "?" */
};

/* Asked before each signature by a key served with confirm: SC_OK to
 * sign, anything else refuses (SC_ERR_DENIED). digest is the SHA-256 of
 * the data to be signed. */
typedef int (*sc_sshagent_confirm_fn)(const char *key, const struct sc_sshagent_peer *peer,
                                      const uint8_t digest[32], void *arg);

/* An agent over an unlocked vault (borrowed: sc_sshagent_free leaves it
 * open). confirm may be NULL only when no key asks for it. */
int sc_sshagent_new(struct sc_vault *v, sc_sshagent_confirm_fn confirm, void *arg,
                    struct sc_sshagent **out) SC_WUR;
void sc_sshagent_free(struct sc_sshagent *a);
/*
 * Serve key name: an ed25519 or ecdsa-p256 key of the keyring, software
 * (not in a token), whose newest version may sign now. That version is
 * served, as its public key is what servers know; a rotation later does
 * not change it. lifetime_s > 0: the key is dropped that many seconds
 * after now. SC_ERR_NOT_FOUND for no such key, SC_ERR_INVALID for another
 * type or a token key, SC_ERR_EXISTS when it is served already, or the
 * keyring's status (a state that may not sign).
 */
int sc_sshagent_add(struct sc_sshagent *a, const char *name, int confirm, int64_t lifetime_s,
                    int64_t now) SC_WUR;
/* Keys still served at now (their lifetime not over). */
size_t sc_sshagent_live(const struct sc_sshagent *a, int64_t now);

/*
 * Answer one message from peer into out (a whole frame). A signature is
 * made with the keyring loaded for it alone and freed after, under the
 * lifecycle rules of the key, and is recorded in the audit log ("ssh-agent
 * .sign") before it is handed out; a refusal (unknown key, lifetime over,
 * confirmation declined, a state that may not sign) is recorded and
 * answered FAILURE. SC_OK when out holds the answer; an error only when
 * no answer can be made (the connection is then closed).
 */
int sc_sshagent_handle(struct sc_sshagent *a, const uint8_t *msg, size_t len,
                       const struct sc_sshagent_peer *peer, int64_t now, struct sc_buf *out) SC_WUR;

/*
 * Accept and serve connections on listen_fd (a bound, listening Unix
 * socket) until *stop becomes nonzero (a signal handler sets it) or no key
 * is left. Peers whose uid is not uid are closed unanswered; at most
 * SC_SSHAGENT_CONNS_MAX connections at once, the one idle longest closed
 * for a new one; see loop.c for the other bounds. SC_OK when it stopped.
 */
int sc_sshagent_serve(struct sc_sshagent *a, int listen_fd, unsigned uid,
                      volatile int *stop) SC_WUR;

#endif
