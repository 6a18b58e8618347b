/* fuzz_agent_proto.c - the unlock agent's request decoder and framing, fed
 * arbitrary bytes: first byte 0 decodes the rest as one frame body, 2 checks
 * the rest as a key operation's batch attachment (sc_keyop_check: the
 * next two bytes the item count), any other value pushes the rest through a
 * socketpair and decodes every frame read from it, as the agent does.
 * Decoded requests must keep the decoder's promises (bounds, counts,
 * terminators; a key request's context canonical). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "secretctl/agent.h"
#include "secretctl/buf.h"
#include "secretctl/keyop.h"

/* A key request: a known operation on a valid key name, bounded counts,
 * the MAC or signature inside the attachment, and a context whose
 * encoding decodes back to itself. */
static void check_key(const struct sc_agent_req *q)
{
	struct sc_keys_ctx *back = NULL;
	uint8_t *e1 = NULL, *e2 = NULL;
	size_t l1 = 0, l2 = 0;

	if (q->kop <= 0 || q->kop >= SC_KEYOP_MAX || q->name == NULL ||
	    sc_keys_name_valid(q->name) != SC_OK || q->batch > SC_KEYOP_BATCH_MAX ||
	    q->aux_len > q->attach_len || q->attach_len > SC_AGENT_ATTACH_MAX ||
	    q->scheme > SC_SIG_SCHEME_BIP340 || q->sig_format > SC_SIG_FMT_RAW)
		abort();
	/* a passphrase: a signature's only, inside the attachment after aux */
	if (q->pp_len > SC_KEYOP_PP_MAX || q->pp_len > q->attach_len - q->aux_len ||
	    (q->pp_len > 0 && q->kop != SC_KEYOP_SIGN))
		abort();
	if (q->kctx == NULL)
		return;
	if (sc_keys_ctx_encode(q->kctx, &e1, &l1) != SC_OK ||
	    sc_keys_ctx_decode(e1, l1, &back) != SC_OK ||
	    sc_keys_ctx_encode(back, &e2, &l2) != SC_OK || l1 != l2 || memcmp(e1, e2, l1) != 0 ||
	    l1 > SC_KEYS_CTX_ENCODED_MAX || sc_keys_ctx_count(q->kctx) == 0)
		abort();
	free(e1);
	free(e2);
	sc_keys_ctx_free(back);
}

/* A batch attachment sc_keyop_check accepts: exactly count items, each
 * bounded, filling the buffer. */
static void check_batch(const uint8_t *p, size_t n)
{
	struct sc_keyop op;
	struct sc_buf b;
	const uint8_t *item;
	uint32_t len;
	size_t i;

	if (n < 2)
		return;
	memset(&op, 0, sizeof(op));
	op.kind = p[0] & 1 ? SC_KEYOP_DECRYPT : SC_KEYOP_ENCRYPT;
	op.name = "k";
	op.batch = (size_t)(p[0] >> 1) << 8 | p[1];
	op.in = p + 2;
	op.in_len = n - 2;
	if (op.batch == 0 || sc_keyop_check(&op) != SC_OK)
		return;
	sc_buf_init_reader(&b, op.in, op.in_len);
	for (i = 0; i < op.batch; i++)
		if (sc_buf_get_u32(&b, &len) != SC_OK || len > SC_KEYOP_IN_MAX ||
		    sc_buf_get_ptr(&b, len, &item) != SC_OK)
			abort();
	if (sc_buf_left(&b) != 0)
		abort();
}

static void check(const struct sc_agent_req *q)
{
	size_t i;

	if (q->op < SC_AGENT_OP_STATUS || q->op > SC_AGENT_OP_KEY || q->json == NULL)
		abort();
	if (q->op == SC_AGENT_OP_KEY) {
		check_key(q);
		return;
	}
	if (q->kop != 0 || q->kctx != NULL || q->batch != 0 || q->aux_len != 0)
		abort();
	/* attachments: unlock the key and at most a password after it,
	 * forward a password, nothing else any */
	if (q->op == SC_AGENT_OP_UNLOCK
	        ? q->attach_len < SC_KEY_LEN || q->attach_len > SC_KEY_LEN + SC_AGENT_PASSWORD_MAX
	    : q->op == SC_AGENT_OP_FORWARD
	        ? q->attach_len == 0 || q->attach_len > SC_AGENT_PASSWORD_MAX
	        : q->attach_len != 0)
		abort();
	if (q->op == SC_AGENT_OP_FORWARD) {
		if (q->argc == 0 || q->argc > SC_AGENT_ARGS_MAX || q->argv[q->argc] != NULL ||
		    q->argv[0][0] == '-' || q->argv[0][0] == '\0' || q->cwd == NULL ||
		    q->cwd[0] != '/')
			abort();
		for (i = 0; i < q->nenv; i++)
			if (strchr(q->env[i], '=') == NULL)
				abort();
		return;
	}
	if (q->op == SC_AGENT_OP_EXISTS || q->op == SC_AGENT_OP_FIELDS ||
	    q->op == SC_AGENT_OP_GET || q->op == SC_AGENT_OP_HISTORY)
		if (q->name == NULL || sc_name_valid(q->name) != SC_OK)
			abort();
	if (q->has_known && (q->op != SC_AGENT_OP_LIST || q->known_gen > INT64_MAX))
		abort();
	if (q->op != SC_AGENT_OP_RUN)
		return;
	if (q->argc == 0 || q->argc > SC_AGENT_ARGS_MAX || q->argv[q->argc] != NULL ||
	    q->nkeys == 0 || q->nkeys > SC_AGENT_ARGS_MAX || q->keys[q->nkeys] != NULL)
		abort();
	for (i = 0; i < q->argc; i++)
		if (strlen(q->argv[i]) > SC_AGENT_STRING_MAX)
			abort();
	for (i = 0; i < q->nenv; i++)
		if (strchr(q->env[i], '=') == NULL)
			abort();
	if (q->nenv > 0 && q->env[q->nenv] != NULL)
		abort();
	if (q->cwd != NULL && q->cwd[0] != '/')
		abort();
	if (q->capture_max > SC_AGENT_CAPTURE_MAX || (q->has_stdin && !q->stream))
		abort();
}

static void decode_one(const uint8_t *p, size_t n)
{
	struct sc_agent_req q;

	if (sc_agent_req_decode(p, n, &q) == SC_OK) {
		check(&q);
		sc_agent_req_release(&q);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	int sv[2], fds[SC_AGENT_FDS_MAX];
	size_t nfds, len, i;
	uint8_t *body;

	if (!init) {
		if (sc_init() != SC_OK)
			abort();
		init = 1;
	}
	if (size == 0)
		return 0;
	if (data[0] == 0 || size > 65536) {
		decode_one(data + 1, size - 1);
		return 0;
	}
	if (data[0] == 2) {
		check_batch(data + 1, size - 1);
		sc_clear_error();
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	if (write(sv[0], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	close(sv[0]);
	while (sc_agent_recv(sv[1], &body, &len, fds, SC_AGENT_FDS_MAX, &nfds) == SC_OK) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		decode_one(body, len);
		free(body);
	}
	close(sv[1]);
	sc_clear_error();
	return 0;
}
