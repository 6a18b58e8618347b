/* sig_ssh.c - our signatures in OpenSSH's forms: the wire signature blob an
 * ssh-agent returns (RFC 8709 for Ed25519, RFC 5656 for ECDSA), and the
 * armored SSHSIG file of `ssh-keygen -Y sign` (OpenSSH PROTOCOL.sshsig). */
#include <string.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/sig.h"
#include "crypto/sig_int.h"

/* An SSH mpint of a 32-byte big-endian unsigned integer. */
static int put_mpint(uint8_t *blob, size_t cap, size_t *pos, const uint8_t v[32])
{
	uint8_t tmp[33];
	size_t i = 0, n;

	while (i < 32 && v[i] == 0)
		i++;
	n = 32 - i;
	if (n > 0 && (v[i] & 0x80) != 0) {
		tmp[0] = 0;
		memcpy(tmp + 1, v + i, n);
		return sc_sig_ssh_put(blob, cap, pos, tmp, n + 1);
	}
	memcpy(tmp, v + i, n);
	return sc_sig_ssh_put(blob, cap, pos, tmp, n);
}

int sc_sig_ssh_signature(enum sc_sig_alg alg, const uint8_t *sig, size_t sig_len, uint8_t *out,
                         size_t cap, size_t *out_len)
{
	uint8_t inner[2 * (4 + 33)];
	size_t pos = 0, ipos = 0;
	int r;

	if (out_len == NULL)
		return SC_ERR_INVALID;
	*out_len = 0;
	if (sig == NULL || out == NULL || sig_len != 64)
		return SC_ERR_INVALID;
	switch (alg) {
	case SC_SIG_ED25519:
		if ((r = sc_sig_ssh_put(out, cap, &pos, "ssh-ed25519", 11)) != SC_OK ||
		    (r = sc_sig_ssh_put(out, cap, &pos, sig, 64)) != SC_OK)
			return r;
		break;
	case SC_SIG_P256:
		/* string "ecdsa-sha2-nistp256", string (mpint r, mpint s) */
		if ((r = put_mpint(inner, sizeof(inner), &ipos, sig)) != SC_OK ||
		    (r = put_mpint(inner, sizeof(inner), &ipos, sig + 32)) != SC_OK ||
		    (r = sc_sig_ssh_put(out, cap, &pos, "ecdsa-sha2-nistp256", 19)) != SC_OK ||
		    (r = sc_sig_ssh_put(out, cap, &pos, inner, ipos)) != SC_OK)
			return r;
		break;
	default:
		sc_set_error("OpenSSH has no signature type for %s", sc_sig_alg_name(alg));
		return SC_ERR_INVALID;
	}
	*out_len = pos;
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
	struct sc_sig_opts raw = {.scheme = SC_SIG_SCHEME_DEFAULT, .format = SC_SIG_FMT_DEFAULT};
	uint8_t h[crypto_hash_sha512_BYTES], tosign[256], pubblob[128], sig[SC_SIG_MAX],
	    sshsig[128], blob[512];
	char b64[700];
	const char *type;
	size_t nsl, tl = 6, pl, sl, ssl, bl = 6, b64l, i, pos;
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
		raw.format = SC_SIG_FMT_RAW;
	if ((r = k->impl->pub_ssh(k->pub, k->pub_len, pubblob, sizeof(pubblob), &pl, &type)) !=
	    SC_OK)
		return r;
	/* signed data: "SSHSIG" ns reserved hash_alg H(message) */
	crypto_hash_sha512(h, msg, msg_len);
	memcpy(tosign, SSHSIG_MAGIC, 6);
	if ((r = sc_sig_ssh_put(tosign, sizeof(tosign), &tl, ns, nsl)) != SC_OK ||
	    (r = sc_sig_ssh_put(tosign, sizeof(tosign), &tl, "", 0)) != SC_OK ||
	    (r = sc_sig_ssh_put(tosign, sizeof(tosign), &tl, SSHSIG_HASH, 6)) != SC_OK ||
	    (r = sc_sig_ssh_put(tosign, sizeof(tosign), &tl, h, sizeof(h))) != SC_OK)
		return r;
	if ((r = sc_sig_sign(k, &raw, tosign, tl, sig, &sl)) != SC_OK ||
	    (r = sc_sig_ssh_signature(k->impl->alg, sig, sl, sshsig, sizeof(sshsig), &ssl)) !=
	        SC_OK)
		return r;
	/* the blob: "SSHSIG" uint32(1) key ns reserved hash_alg signature */
	memcpy(blob, SSHSIG_MAGIC, 6);
	blob[bl++] = 0;
	blob[bl++] = 0;
	blob[bl++] = 0;
	blob[bl++] = 1;
	if ((r = sc_sig_ssh_put(blob, sizeof(blob), &bl, pubblob, pl)) != SC_OK ||
	    (r = sc_sig_ssh_put(blob, sizeof(blob), &bl, ns, nsl)) != SC_OK ||
	    (r = sc_sig_ssh_put(blob, sizeof(blob), &bl, "", 0)) != SC_OK ||
	    (r = sc_sig_ssh_put(blob, sizeof(blob), &bl, SSHSIG_HASH, 6)) != SC_OK ||
	    (r = sc_sig_ssh_put(blob, sizeof(blob), &bl, sshsig, ssl)) != SC_OK)
		return r;
	b64l = sodium_base64_encoded_len(bl, sodium_base64_VARIANT_ORIGINAL);
	if (b64l > sizeof(b64))
		return SC_ERR_TOOBIG;
	sodium_bin2base64(b64, sizeof(b64), blob, bl, sodium_base64_VARIANT_ORIGINAL);
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
