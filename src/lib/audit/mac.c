/* mac.c - the MAC of an audit entry: HMAC-SHA-256 under the vault's audit
 * key over a fixed binary encoding of every field and the previous MAC. */
#include "audit/audit_int.h"

/* ---- the MAC ---- */

const uint8_t sc_audit_zero_mac[SC_MAC_LEN];

static void put_bytes(struct sc_buf *b, const void *s, size_t n)
{
	sc_buf_put_u32(b, (uint32_t)n);
	sc_buf_put(b, s, n);
}

/* Every field, each length-prefixed, in a fixed order, then the previous
 * MAC: no two different entries encode alike. */
static int encode(const struct sc_audit_entry *e, uint8_t *enc, size_t *len)
{
	const char *src = sc_audit_source_name(e->source), *res = sc_audit_result_name(e->result);
	struct sc_buf b;

	sc_buf_init_fixed(&b, enc, ENC_MAX);
	sc_buf_put(&b, MAC_DOMAIN, sizeof(MAC_DOMAIN));
	sc_buf_put_u8(&b, (uint8_t)e->kind);
	sc_buf_put_u64(&b, e->seq);
	sc_buf_put_u64(&b, (uint64_t)e->ts_ms);
	put_bytes(&b, e->op, strlen(e->op));
	put_bytes(&b, src, strlen(src));
	put_bytes(&b, e->client, e->client_len);
	sc_buf_put_u32(&b, e->pid);
	sc_buf_put_u32(&b, e->uid);
	put_bytes(&b, e->secrets, e->n_secrets * SC_MAC_LEN);
	put_bytes(&b, e->cmd, e->cmd_len);
	put_bytes(&b, res, strlen(res));
	put_bytes(&b, e->code, strlen(e->code));
	sc_buf_put_u8(&b, (uint8_t)(e->late != 0));
	sc_buf_put(&b, e->prev, SC_MAC_LEN);
	*len = b.len;
	return sc_buf_status(&b);
}

void sc_audit_mac_ctx_release(struct mac_ctx *m)
{
	EVP_MD_CTX_free(m->inner);
	EVP_MD_CTX_free(m->outer);
	EVP_MD_CTX_free(m->work);
	free(m->enc);
	memset(m, 0, sizeof(*m));
}

int sc_audit_mac_ctx_init(struct mac_ctx *m, const uint8_t key[SC_KEY_LEN])
{
	uint8_t pad[64];
	int i, ok;

	memset(m, 0, sizeof(*m));
	m->inner = EVP_MD_CTX_new();
	m->outer = EVP_MD_CTX_new();
	m->work = EVP_MD_CTX_new();
	m->enc = malloc(ENC_MAX);
	if (m->inner == NULL || m->outer == NULL || m->work == NULL || m->enc == NULL) {
		sc_audit_mac_ctx_release(m);
		return SC_ERR_NOMEM;
	}
	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < SC_KEY_LEN; i++)
		pad[i] ^= key[i];
	ok = EVP_DigestInit_ex(m->inner, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(m->inner, pad, sizeof(pad));
	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < SC_KEY_LEN; i++)
		pad[i] ^= key[i];
	ok = ok && EVP_DigestInit_ex(m->outer, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(m->outer, pad, sizeof(pad));
	sc_wipe(pad, sizeof(pad));
	if (!ok) {
		sc_audit_mac_ctx_release(m);
		return SC_ERR_CRYPTO;
	}
	return SC_OK;
}

int sc_audit_mac_entry(struct mac_ctx *m, const struct sc_audit_entry *e, uint8_t out[SC_MAC_LEN])
{
	uint8_t ih[SC_MAC_LEN];
	unsigned int n = 0;
	size_t len;

	if (e->source < 0 || (size_t)e->source >= NSOURCES || e->result < 0 ||
	    (size_t)e->result >= NRESULTS || e->n_secrets > SC_AUDIT_SECRETS_MAX ||
	    e->client_len > SC_AUDIT_CLIENT_MAX || e->cmd_len > SC_AUDIT_CMD_MAX ||
	    strlen(e->op) > SC_AUDIT_OP_MAX || strlen(e->code) > SC_AUDIT_CODE_MAX)
		return SC_ERR_INVALID;
	if (encode(e, m->enc, &len) != SC_OK)
		return SC_ERR_INTERNAL;
	if (!EVP_MD_CTX_copy_ex(m->work, m->inner) || !EVP_DigestUpdate(m->work, m->enc, len) ||
	    !EVP_DigestFinal_ex(m->work, ih, &n) || !EVP_MD_CTX_copy_ex(m->work, m->outer) ||
	    !EVP_DigestUpdate(m->work, ih, sizeof(ih)) || !EVP_DigestFinal_ex(m->work, out, &n))
		return SC_ERR_CRYPTO;
	return SC_OK;
}

int sc_audit_mac(const uint8_t key[SC_KEY_LEN], const struct sc_audit_entry *e,
                 uint8_t out[SC_MAC_LEN])
{
	struct mac_ctx m;
	int r;

	if ((r = sc_audit_mac_ctx_init(&m, key)) != SC_OK)
		return r;
	r = sc_audit_mac_entry(&m, e, out);
	sc_audit_mac_ctx_release(&m);
	return r;
}
