/* wire.c - the ssh-agent protocol's messages (draft-miller-ssh-agent):
 * the two requests this agent answers, parsed strictly, and its three
 * answers. Every frame is a uint32 length, then a type byte and its body;
 * strings are a uint32 length and that many bytes. */
#include <string.h>

#include "secretctl/secretctl.h"
#include "secretctl/sshagent.h"

static int get_string(struct sc_buf *b, const uint8_t **p, size_t *len)
{
	uint32_t n;

	if (sc_buf_get_u32(b, &n) != SC_OK || n > sc_buf_left(b) ||
	    sc_buf_get_ptr(b, n, p) != SC_OK)
		return SC_ERR_CORRUPT;
	*len = n;
	return SC_OK;
}

int sc_sshagent_parse(const uint8_t *msg, size_t len, struct sc_sshagent_req *req)
{
	struct sc_buf b;

	if (req == NULL)
		return SC_ERR_INVALID;
	memset(req, 0, sizeof(*req));
	if (len > SC_SSHAGENT_MSG_MAX) {
		sc_set_error("an ssh-agent message over %u bytes", SC_SSHAGENT_MSG_MAX);
		return SC_ERR_TOOBIG;
	}
	if (msg == NULL || len == 0) {
		sc_set_error("an empty ssh-agent message");
		return SC_ERR_CORRUPT;
	}
	sc_buf_init_reader(&b, msg, len);
	if (sc_buf_get_u8(&b, &req->type) != SC_OK)
		return SC_ERR_CORRUPT;
	switch (req->type) {
	case SC_SSHAGENT_REQUEST_IDENTITIES:
		break;
	case SC_SSHAGENT_SIGN_REQUEST:
		if (get_string(&b, &req->key_blob, &req->key_blob_len) != SC_OK ||
		    get_string(&b, &req->data, &req->data_len) != SC_OK ||
		    sc_buf_get_u32(&b, &req->flags) != SC_OK) {
			sc_set_error("a malformed ssh-agent sign request");
			return SC_ERR_CORRUPT;
		}
		break;
	default:
		/* not ours to parse: answered FAILURE as a whole */
		return SC_OK;
	}
	if (sc_buf_left(&b) != 0) {
		sc_set_error("%zu stray bytes after an ssh-agent request", sc_buf_left(&b));
		return SC_ERR_CORRUPT;
	}
	return SC_OK;
}

/* The frame's length word, filled in once its body is written. */
static size_t frame_begin(struct sc_buf *out)
{
	size_t at = out->len;

	(void)sc_buf_put_u32(out, 0);
	return at;
}

static int frame_end(struct sc_buf *out, size_t at)
{
	int r = sc_buf_status(out);

	if (r != SC_OK)
		return r;
	sc_be32_put(out->d + at, (uint32_t)(out->len - at - 4));
	return SC_OK;
}

static void put_string(struct sc_buf *out, const void *p, size_t n)
{
	(void)sc_buf_put_u32(out, (uint32_t)n);
	(void)sc_buf_put(out, p, n);
}

int sc_sshagent_put_failure(struct sc_buf *out)
{
	size_t at = frame_begin(out);

	(void)sc_buf_put_u8(out, SC_SSHAGENT_FAILURE);
	return frame_end(out, at);
}

int sc_sshagent_put_signature(struct sc_buf *out, const uint8_t *sig, size_t sig_len)
{
	size_t at = frame_begin(out);

	(void)sc_buf_put_u8(out, SC_SSHAGENT_SIGN_RESPONSE);
	put_string(out, sig, sig_len);
	return frame_end(out, at);
}

int sc_sshagent_put_identities(struct sc_buf *out, size_t n, const uint8_t *const *blobs,
                               const size_t *blob_lens, const char *const *comments)
{
	size_t at = frame_begin(out), i;

	(void)sc_buf_put_u8(out, SC_SSHAGENT_IDENTITIES_ANSWER);
	(void)sc_buf_put_u32(out, (uint32_t)n);
	for (i = 0; i < n; i++) {
		put_string(out, blobs[i], blob_lens[i]);
		put_string(out, comments[i], strlen(comments[i]));
	}
	return frame_end(out, at);
}
