/* sig_util.c - what the signature backends share: the digest ECDSA signs,
 * SSH string framing and the constant-time scalar range check. Its own file
 * so the table (sig.c) and the backends depend on it one way only. */
#include <string.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/sig.h"
#include "crypto/sig_int.h"

int sc_sig_digest(const struct sc_sig_opts *o, const uint8_t *msg, size_t msg_len,
                  uint8_t out[SC_SIG_DIGEST_LEN])
{
	if (msg == NULL && msg_len > 0)
		return SC_ERR_INVALID;
	if (o->prehashed) {
		if (msg_len != SC_SIG_DIGEST_LEN) {
			sc_set_error("a prehashed message must be a 32-byte SHA-256 digest");
			return SC_ERR_INVALID;
		}
		memcpy(out, msg, SC_SIG_DIGEST_LEN);
		return SC_OK;
	}
	if (crypto_hash_sha256(out, msg, msg_len) != 0)
		return SC_ERR_CRYPTO;
	return SC_OK;
}

int sc_sig_ssh_put(struct sc_buf *b, const void *p, size_t n)
{
	(void)sc_buf_put_uint(b, n, 4); /* fails, and sticks, past 32 bits */
	return sc_buf_put(b, p, n);
}

int sc_sig_scalar_ok(const uint8_t a[32], const uint8_t n[32])
{
	unsigned int borrow = 0, nonzero = 0;
	int i;

	/* a - n, least significant byte first: a < n leaves a borrow. */
	for (i = 31; i >= 0; i--) {
		unsigned int d = (unsigned int)a[i] - n[i] - borrow;

		borrow = (d >> 8) & 1;
		nonzero |= a[i];
	}
	return (int)(borrow & ((nonzero + 0xff) >> 8));
}
