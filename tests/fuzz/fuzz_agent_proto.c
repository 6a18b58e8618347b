/* fuzz_agent_proto.c - the unlock agent's request decoder and framing, fed
 * arbitrary bytes: first byte 0 decodes the rest as one frame body, any
 * other value pushes the rest through a socketpair and decodes every frame
 * read from it, as the agent does. Decoded requests must keep the
 * decoder's promises (bounds, counts, terminators). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "secretctl/agent.h"

static void check(const struct sc_agent_req *q)
{
	size_t i;

	if (q->op < SC_AGENT_OP_STATUS || q->op > SC_AGENT_OP_FORWARD || q->json == NULL)
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
