/* keyop.h - one named-key operation as data (keys/keyop.c): what the CLI,
 * the unlock agent and the MCP server ask of the keyring, applied by one
 * table, and committed (the keyring saved with its audit entry) the same
 * way wherever it runs. */
#ifndef SECRETCTL_KEYOP_H
#define SECRETCTL_KEYOP_H

#include <stddef.h>
#include <stdint.h>

#include "secretctl/keys.h"
#include "secretctl/sig.h"

struct sc_vault;

enum sc_keyop_kind {
	SC_KEYOP_ENCRYPT = 1,
	SC_KEYOP_DECRYPT,
	SC_KEYOP_DATAKEY,
	SC_KEYOP_HMAC,
	SC_KEYOP_HMAC_VERIFY,
	SC_KEYOP_SIGN,
	SC_KEYOP_VERIFY,
	SC_KEYOP_PUBKEY,
	SC_KEYOP_INFO, /* out: the type's name; info.version: the newest version */
	SC_KEYOP_MAX
};

/* A batch: at most this many items, each as one call would take it. */
#define SC_KEYOP_BATCH_MAX 100000u
/* The most a single input may hold (a plaintext or message, or a
 * ciphertext's text). */
#define SC_KEYOP_IN_MAX SC_KEYS_CT_TEXT_MAX
/* A batch's whole output at most (SC_ERR_TOOBIG past it): what one agent
 * reply carries. */
#define SC_KEYOP_OUT_MAX (16u * 1024 * 1024)
/* A custody key's passphrase, as one signature takes it: at most this
 * many bytes. */
#define SC_KEYOP_PP_MAX 1024u

struct sc_keyop {
	int kind;                      /* enum sc_keyop_kind */
	const char *name;              /* a valid key name */
	const struct sc_keys_ctx *ctx; /* NULL: the empty context */
	uint32_t version;              /* 0: the newest (sign, verify, hmac, pubkey) */
	int allow_compromised;         /* decrypt, verify, hmac-verify */
	int wrapped_only;              /* datakey: no plaintext data key */
	struct sc_sig_opts so;         /* sign, verify (aux_rand always NULL) */
	/* the input: a plaintext (encrypt), an sc:v1 text (decrypt), a
	 * message (hmac, sign, verify); none for datakey and pubkey. With
	 * batch > 0 (encrypt and decrypt only) it holds batch items, each a
	 * u32 big-endian length and that many bytes. */
	const uint8_t *in;
	size_t in_len;
	size_t batch;
	/* the MAC's text (hmac-verify) or the signature's bytes (verify) */
	const uint8_t *aux;
	size_t aux_len;
	/* sign: a person confirmed this very signature (the CLI's terminal,
	 * MCP's elicitation). A key made with SC_KEY_CONFIRM signs nothing
	 * without it (SC_ERR_DENIED); the unlock agent never sets it. */
	int confirmed;
	/* sign: the passphrase of a key made with SC_KEY_PASSPHRASE (borrowed,
	 * in the caller's secmem), used for this one signature and dropped
	 * from the keyring before the call returns; NULL: none given. Given
	 * for a key without one: SC_ERR_INVALID. */
	const uint8_t *passphrase;
	size_t passphrase_len;
};

struct sc_keyop_result {
	/* secmem: the ciphertext text, plaintext, MAC text, signature, raw
	 * public key or wrapped data key; for a batch, one item per input in
	 * the same u32-length form. Empty for the verifies. */
	uint8_t *out;
	size_t out_len;
	uint8_t *plain; /* datakey unless wrapped_only: SC_KEYS_DATAKEY_LEN, secmem */
	int alg;        /* pubkey: enum sc_sig_alg */
	struct sc_keys_info info;
};

const char *sc_keyop_kind_name(int kind);                /* "encrypt", ..., "?" */
int sc_keyop_kind_parse(const char *s, int *out) SC_WUR; /* SC_ERR_INVALID */
/* The audit log's op: "key.encrypt", "key.sign", ... */
const char *sc_keyop_audit_op(int kind);
/* 1 when the kind may come as a batch. */
int sc_keyop_batchable(int kind);

void sc_keyop_result_release(struct sc_keyop_result *r);

/* Check an operation's shape before it is applied: a valid name, the
 * input present when the kind needs one and bounded, a well-formed batch
 * (every item inside the buffer, the count exact, each item bounded).
 * SC_ERR_INVALID, SC_ERR_TOOBIG or SC_ERR_NAME with a detail. */
int sc_keyop_check(const struct sc_keyop *op) SC_WUR;

/* Apply it to a keyring (lifecycle, context, rotation on use and the
 * counters are the keyring's). A batch stops at the first failing item
 * and gives nothing. res is filled only on SC_OK. */
int sc_keyop_apply(struct sc_keyring *kr, const struct sc_keyop *op, int64_t now,
                   struct sc_keyop_result *res) SC_WUR;

/* The audit op of a use of a compromised version (allow_compromised) is
 * the operation's with this appended: "key.decrypt.compromised". */
#define SC_KEYOP_COMPROMISED_SUFFIX ".compromised"

/* Who an entry is written for. */
struct sc_keyop_who {
	int source;         /* enum sc_audit_source */
	const char *client; /* the MCP client, or NULL */
};

/* Record the outcome st of op (the audit op) on key name, for who: when st is SC_OK and
 * the keyring's generation moved past gen0, the keyring is saved and the
 * entry written in one transaction (both or neither); otherwise the
 * outcome is appended. A compromised version used (info->compromised)
 * marks the entry's op with SC_KEYOP_COMPROMISED_SUFFIX. A rotation made
 * on the way is recorded as its own
 * "key.rotate" entry. Objects a token made for a keyring that is not
 * saved are destroyed again. SC_OK means the caller may hand out the result;
 * anything else fails closed. The operation's error detail survives. */
int sc_keyop_commit(struct sc_vault *v, struct sc_keyring *kr, uint64_t gen0,
                    const struct sc_keyop_who *who, const char *op, const char *name,
                    const struct sc_keys_info *info, int st) SC_WUR;

#endif
