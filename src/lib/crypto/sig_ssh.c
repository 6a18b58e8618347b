/* sig_ssh.c - our signatures in OpenSSH's forms: the wire signature blob an
 * ssh-agent returns (RFC 8709 for Ed25519, RFC 5656 for ECDSA), and the
 * armored SSHSIG file of `ssh-keygen -Y sign` (OpenSSH PROTOCOL.sshsig). */
#include <string.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/sig.h"
#include "crypto/sig_int.h"

/* An SSH mpint of a 32-byte big-endian unsigned integer: no leading zero
 * bytes, one 00 in front when the top bit is set. */
static void put_mpint(struct sc_buf *b, const uint8_t v[32])
{
	size_t i = 0, n;

	while (i < 32 && v[i] == 0)
		i++;
	n = 32 - i;
	if (n > 0 && (v[i] & 0x80) != 0) {
		(void)sc_buf_put_u32(b, (uint32_t)(n + 1));
		(void)sc_buf_put_u8(b, 0);
	} else {
		(void)sc_buf_put_u32(b, (uint32_t)n);
	}
	(void)sc_buf_put(b, v + i, n);
}

int sc_sig_ssh_signature(enum sc_sig_alg alg, const uint8_t *sig, size_t sig_len, uint8_t *out,
                         size_t cap, size_t *out_len)
{
	uint8_t inner[2 * (4 + 33)];
	struct sc_buf b, in;
	int r;

	if (out_len == NULL)
		return SC_ERR_INVALID;
	*out_len = 0;
	if (sig == NULL || out == NULL || sig_len != 64)
		return SC_ERR_INVALID;
	sc_buf_init_fixed(&b, out, cap);
	switch (alg) {
	case SC_SIG_ED25519:
		(void)sc_sig_ssh_put(&b, "ssh-ed25519", 11);
		(void)sc_sig_ssh_put(&b, sig, 64);
		break;
	case SC_SIG_P256:
		/* string "ecdsa-sha2-nistp256", string (mpint r, mpint s) */
		sc_buf_init_fixed(&in, inner, sizeof(inner));
		put_mpint(&in, sig);
		put_mpint(&in, sig + 32);
		if ((r = sc_buf_status(&in)) != SC_OK)
			return r;
		(void)sc_sig_ssh_put(&b, "ecdsa-sha2-nistp256", 19);
		(void)sc_sig_ssh_put(&b, inner, in.len);
		break;
	default:
		sc_set_error("OpenSSH has no signature type for %s", sc_sig_alg_name(alg));
		return SC_ERR_INVALID;
	}
	if ((r = sc_buf_status(&b)) != SC_OK)
		return r;
	*out_len = b.len;
	return SC_OK;
}

#define SSHSIG_MAGIC "SSHSIG"
#define SSHSIG_HASH "sha512"
#define SSHSIG_WRAP 70

int sc_sig_sshsig(const struct sc_sig_key *k, const char *ns, const uint8_t *msg, size_t msg_len,
                  char *out, size_t cap, size_t *out_len)
{
	static const char begin[] = "-----BEGIN SSH SIGNATURE-----\n",
	                  end[] = "-----END SSH SIGNATURE-----\n";
	struct sc_sig_opts o = {.scheme = SC_SIG_SCHEME_DEFAULT, .format = SC_SIG_FMT_DEFAULT};
	uint8_t h[crypto_hash_sha512_BYTES], tosign[256], pubblob[128], sig[SC_SIG_MAX],
	    sshsig[128], blob[512];
	struct sc_buf tb, pb, bb;
	char b64[700];
	const char *type;
	size_t nsl, sl, ssl, b64l, i, pos;
	int r;

	if (out_len == NULL)
		return SC_ERR_INVALID;
	*out_len = 0;
	if (k == NULL || ns == NULL || out == NULL || (msg == NULL && msg_len > 0))
		return SC_ERR_INVALID;
	nsl = strlen(ns);
	if (nsl == 0 || nsl > 64) {
		sc_set_error("an SSH signature namespace is 1 to 64 characters");
		return SC_ERR_INVALID;
	}
	if (k->impl->pub_ssh == NULL) {
		sc_set_error("OpenSSH has no key type for %s", k->impl->name);
		return SC_ERR_INVALID;
	}
	if (k->impl->alg == SC_SIG_P256)
		o.format = SC_SIG_FMT_RAW;
	sc_buf_init_fixed(&pb, pubblob, sizeof(pubblob));
	if ((r = k->impl->pub_ssh(k->pub, k->pub_len, &pb, &type)) != SC_OK)
		return r;
	/* signed data: "SSHSIG" ns reserved hash_alg H(message) */
	crypto_hash_sha512(h, msg, msg_len);
	sc_buf_init_fixed(&tb, tosign, sizeof(tosign));
	(void)sc_buf_put(&tb, SSHSIG_MAGIC, 6);
	(void)sc_sig_ssh_put(&tb, ns, nsl);
	(void)sc_sig_ssh_put(&tb, "", 0);
	(void)sc_sig_ssh_put(&tb, SSHSIG_HASH, 6);
	(void)sc_sig_ssh_put(&tb, h, sizeof(h));
	if ((r = sc_buf_status(&tb)) != SC_OK)
		return r;
	if ((r = sc_sig_sign(k, &o, tosign, tb.len, sig, &sl)) != SC_OK ||
	    (r = sc_sig_ssh_signature(k->impl->alg, sig, sl, sshsig, sizeof(sshsig), &ssl)) !=
	        SC_OK)
		return r;
	/* the blob: "SSHSIG" uint32(1) key ns reserved hash_alg signature */
	sc_buf_init_fixed(&bb, blob, sizeof(blob));
	(void)sc_buf_put(&bb, SSHSIG_MAGIC, 6);
	(void)sc_buf_put_u32(&bb, 1);
	(void)sc_sig_ssh_put(&bb, pubblob, pb.len);
	(void)sc_sig_ssh_put(&bb, ns, nsl);
	(void)sc_sig_ssh_put(&bb, "", 0);
	(void)sc_sig_ssh_put(&bb, SSHSIG_HASH, 6);
	(void)sc_sig_ssh_put(&bb, sshsig, ssl);
	if ((r = sc_buf_status(&bb)) != SC_OK)
		return r;
	b64l = sodium_base64_encoded_len(bb.len, sodium_base64_VARIANT_ORIGINAL);
	if (b64l > sizeof(b64))
		return SC_ERR_TOOBIG;
	sodium_bin2base64(b64, sizeof(b64), blob, bb.len, sodium_base64_VARIANT_ORIGINAL);
	b64l--; /* without the NUL */
	if (sizeof(begin) - 1 + b64l + b64l / SSHSIG_WRAP + 1 + sizeof(end) > cap)
		return SC_ERR_TOOBIG;
	pos = sizeof(begin) - 1;
	memcpy(out, begin, pos);
	for (i = 0; i < b64l; i += SSHSIG_WRAP) {
		size_t n = b64l - i < SSHSIG_WRAP ? b64l - i : SSHSIG_WRAP;

		memcpy(out + pos, b64 + i, n);
		pos += n;
		out[pos++] = '\n';
	}
	memcpy(out + pos, end, sizeof(end));
	pos += sizeof(end) - 1;
	*out_len = pos;
	(void)type;
	return SC_OK;
}
