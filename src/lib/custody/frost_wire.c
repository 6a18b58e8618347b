/* frost_wire.c - the FROST message formats (frost.h): one strict encoder and
 * decoder per message, every length checked, no trailing bytes, every
 * scalar and point validated, so each message has one encoding. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/buf.h"
#include "secretctl/frost.h"
#include "custody/frost_int.h"

/* Reading and writing go through the one bounded codec (buf.h); `bad`
 * also records a rule of the format broken after a read succeeded. */
struct rd {
	struct sc_buf b;
	int bad;
};

static const uint8_t *rd_take(struct rd *r, size_t n)
{
	const uint8_t *p = NULL;

	if (r->bad || sc_buf_get_ptr(&r->b, n, &p) != SC_OK) {
		r->bad = 1;
		return NULL;
	}
	return p;
}

static uint16_t rd_u16(struct rd *r)
{
	uint16_t v = 0;

	if (r->bad || sc_buf_get_u16(&r->b, &v) != SC_OK) {
		r->bad = 1;
		return 0;
	}
	return v;
}

static uint32_t rd_u32(struct rd *r)
{
	uint32_t v = 0;

	if (r->bad || sc_buf_get_u32(&r->b, &v) != SC_OK) {
		r->bad = 1;
		return 0;
	}
	return v;
}

static size_t rd_left(const struct rd *r)
{
	return sc_buf_left(&r->b);
}

static int rd_copy(struct rd *r, uint8_t *out, size_t n)
{
	const uint8_t *p = rd_take(r, n);

	if (p == NULL)
		return 0;
	memcpy(out, p, n);
	return 1;
}

/* A point that must pass DeserializeElement. */
static int rd_point(struct rd *r, uint8_t out[FROST_NE])
{
	if (!rd_copy(r, out, FROST_NE))
		return 0;
	if (!sc_frost_point_valid(out)) {
		r->bad = 1;
		return 0;
	}
	return 1;
}

/* A scalar that must pass DeserializeScalar. */
static int rd_scalar(struct rd *r, uint8_t out[FROST_NS])
{
	if (!rd_copy(r, out, FROST_NS))
		return 0;
	if (!sc_frost_scalar_canonical(out)) {
		r->bad = 1;
		return 0;
	}
	return 1;
}

static int rd_header(struct rd *r, const uint8_t *buf, size_t len, uint8_t type)
{
	const uint8_t *h;

	sc_buf_init_reader(&r->b, buf, buf == NULL ? 0 : len);
	r->bad = 0;
	h = rd_take(r, SC_FROST_HDR_LEN);
	if (h == NULL || h[0] != type || h[1] != SC_FROST_WIRE_VERSION ||
	    h[2] != SC_FROST_SUITE_ED25519_SHA512) {
		r->bad = 1;
		return 0;
	}
	return 1;
}

/* The identifier rule: 1..max. */
static uint16_t rd_id(struct rd *r, uint16_t max)
{
	uint16_t id = rd_u16(r);

	if (id == 0 || id > max)
		r->bad = 1;
	return id;
}

static int rd_params(struct rd *r, uint16_t *min, uint16_t *max)
{
	*min = rd_u16(r);
	*max = rd_u16(r);
	if (r->bad || !sc_frost_params_valid(*min, *max))
		r->bad = 1;
	return !r->bad;
}

static int rd_end(struct rd *r, const char *what)
{
	if (r->bad || rd_left(r) != 0) {
		sc_set_error("frost: malformed %s message", what);
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

/* A writer into the caller's buffer, sized up front; wr_end checks it. */
static void wr_put(struct sc_buf *w, const void *src, size_t n)
{
	(void)sc_buf_put(w, src, n); /* sticky: wr_end sees a failure */
}

static void wr_u16(struct sc_buf *w, uint16_t v)
{
	(void)sc_buf_put_u16(w, v);
}

static void wr_u32(struct sc_buf *w, uint32_t v)
{
	(void)sc_buf_put_u32(w, v);
}

static int wr_start(struct sc_buf *w, uint8_t *out, size_t cap, size_t need, uint8_t type)
{
	uint8_t h[SC_FROST_HDR_LEN] = {type, SC_FROST_WIRE_VERSION, SC_FROST_SUITE_ED25519_SHA512};

	if (out == NULL || cap < need) {
		sc_set_error("frost: %zu bytes needed to encode, %zu given", need, cap);
		return SC_ERR_TOOBIG;
	}
	sc_buf_init_fixed(w, out, need);
	wr_put(w, h, sizeof(h));
	return SC_OK;
}

static int wr_end(const struct sc_buf *w, size_t need)
{
	if (sc_buf_status(w) != SC_OK || w->len != need)
		return SC_ERR_INTERNAL; /* the size computed up front was wrong */
	return SC_OK;
}

/* ---- commitment and signature share ------------------------------------------ */

int sc_frost_commitment_encode(const struct sc_frost_commitment *c,
                               uint8_t out[SC_FROST_COMMITMENT_WIRE_LEN])
{
	struct sc_buf w;
	int r;

	if (c == NULL || c->id == 0 || c->id > SC_FROST_MAX_PARTICIPANTS)
		return SC_ERR_INVALID;
	if ((r = wr_start(&w, out, SC_FROST_COMMITMENT_WIRE_LEN, SC_FROST_COMMITMENT_WIRE_LEN,
	                  SC_FROST_MSG_COMMITMENT)) != SC_OK)
		return r;
	wr_u16(&w, c->id);
	wr_put(&w, c->hiding, FROST_NE);
	wr_put(&w, c->binding, FROST_NE);
	return wr_end(&w, SC_FROST_COMMITMENT_WIRE_LEN);
}

int sc_frost_commitment_decode(const uint8_t *buf, size_t len, struct sc_frost_commitment *out)
{
	struct sc_frost_commitment c;
	struct rd r;
	int st;

	if (out == NULL)
		return SC_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	rd_header(&r, buf, len, SC_FROST_MSG_COMMITMENT);
	c.id = rd_id(&r, SC_FROST_MAX_PARTICIPANTS);
	rd_point(&r, c.hiding);
	rd_point(&r, c.binding);
	if (!r.bad && memcmp(c.hiding, c.binding, FROST_NE) == 0)
		r.bad = 1;
	if ((st = rd_end(&r, "commitment")) != SC_OK)
		return st;
	*out = c;
	return SC_OK;
}

int sc_frost_sig_share_encode(const struct sc_frost_sig_share *s,
                              uint8_t out[SC_FROST_SIG_SHARE_WIRE_LEN])
{
	struct sc_buf w;
	int r;

	if (s == NULL || s->id == 0 || s->id > SC_FROST_MAX_PARTICIPANTS ||
	    !sc_frost_scalar_canonical(s->z))
		return SC_ERR_INVALID;
	if ((r = wr_start(&w, out, SC_FROST_SIG_SHARE_WIRE_LEN, SC_FROST_SIG_SHARE_WIRE_LEN,
	                  SC_FROST_MSG_SIG_SHARE)) != SC_OK)
		return r;
	wr_u16(&w, s->id);
	wr_put(&w, s->z, FROST_NS);
	return wr_end(&w, SC_FROST_SIG_SHARE_WIRE_LEN);
}

int sc_frost_sig_share_decode(const uint8_t *buf, size_t len, struct sc_frost_sig_share *out)
{
	struct sc_frost_sig_share s;
	struct rd r;
	int st;

	if (out == NULL)
		return SC_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	rd_header(&r, buf, len, SC_FROST_MSG_SIG_SHARE);
	s.id = rd_id(&r, SC_FROST_MAX_PARTICIPANTS);
	rd_scalar(&r, s.z);
	if ((st = rd_end(&r, "signature share")) != SC_OK)
		return st;
	*out = s;
	return SC_OK;
}

/* ---- signing package -------------------------------------------------------- */

size_t sc_frost_signing_package_wire_len(const struct sc_frost_signing_package *pkg)
{
	return SC_FROST_HDR_LEN + FROST_NE + 2 + pkg->n * (2 + 2 * FROST_NE) + 4 + pkg->msg_len;
}

int sc_frost_signing_package_encode(const struct sc_frost_signing_package *pkg, uint8_t *out,
                                    size_t cap, size_t *len)
{
	struct sc_buf w;
	size_t i, need;
	int r;

	if (len != NULL)
		*len = 0;
	if (pkg == NULL || len == NULL)
		return SC_ERR_INVALID;
	need = sc_frost_signing_package_wire_len(pkg);
	if ((r = wr_start(&w, out, cap, need, SC_FROST_MSG_SIGNING_PACKAGE)) != SC_OK)
		return r;
	wr_put(&w, pkg->group_key, FROST_NE);
	wr_u16(&w, (uint16_t)pkg->n);
	for (i = 0; i < pkg->n; i++) {
		wr_u16(&w, pkg->c[i].id);
		wr_put(&w, pkg->c[i].hiding, FROST_NE);
		wr_put(&w, pkg->c[i].binding, FROST_NE);
	}
	wr_u32(&w, (uint32_t)pkg->msg_len);
	if (pkg->msg_len > 0)
		wr_put(&w, pkg->msg, pkg->msg_len);
	if ((r = wr_end(&w, need)) != SC_OK)
		return r;
	*len = need;
	return SC_OK;
}

int sc_frost_signing_package_decode(const uint8_t *buf, size_t len,
                                    struct sc_frost_signing_package **out)
{
	struct sc_frost_commitment *c = NULL;
	uint8_t gk[FROST_NE];
	const uint8_t *msg = NULL;
	uint32_t msg_len;
	uint16_t n, i;
	struct rd r;
	int st;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if (len > SC_FROST_HDR_LEN + FROST_NE + 2 + SC_FROST_MAX_PARTICIPANTS * (2 + 2 * FROST_NE) +
	              4 + SC_FROST_MSG_MAX)
		return SC_ERR_TOOBIG;
	rd_header(&r, buf, len, SC_FROST_MSG_SIGNING_PACKAGE);
	rd_point(&r, gk);
	n = rd_u16(&r);
	if (n < 2 || n > SC_FROST_MAX_PARTICIPANTS || rd_left(&r) < (size_t)n * (2 + 2 * FROST_NE))
		r.bad = 1;
	if (!r.bad && (c = calloc(n, sizeof(*c))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; !r.bad && i < n; i++) {
		c[i].id = rd_id(&r, SC_FROST_MAX_PARTICIPANTS);
		/* the wire list is sorted, strictly: one encoding per package */
		if (i > 0 && c[i].id <= c[i - 1].id)
			r.bad = 1;
		rd_point(&r, c[i].hiding);
		rd_point(&r, c[i].binding);
	}
	msg_len = rd_u32(&r);
	if (msg_len > SC_FROST_MSG_MAX)
		r.bad = 1;
	else
		msg = rd_take(&r, msg_len);
	if ((st = rd_end(&r, "signing package")) == SC_OK)
		st = sc_frost_signing_package_new(gk, c, n, msg, msg_len, out);
	free(c);
	return st;
}

/* ---- DKG packages -------------------------------------------------------------- */

size_t sc_frost_dkg_round1_wire_len(const struct sc_frost_dkg_round1 *r1)
{
	return SC_FROST_HDR_LEN + 6 + (size_t)r1->min * FROST_NE + FROST_NE + FROST_NS;
}

int sc_frost_dkg_round1_encode(const struct sc_frost_dkg_round1 *r1, uint8_t *out, size_t cap,
                               size_t *len)
{
	struct sc_buf w;
	size_t need;
	int r;

	if (len != NULL)
		*len = 0;
	if (r1 == NULL || len == NULL)
		return SC_ERR_INVALID;
	need = sc_frost_dkg_round1_wire_len(r1);
	if ((r = wr_start(&w, out, cap, need, SC_FROST_MSG_DKG_ROUND1)) != SC_OK)
		return r;
	wr_u16(&w, r1->id);
	wr_u16(&w, r1->min);
	wr_u16(&w, r1->max);
	wr_put(&w, r1->commit, (size_t)r1->min * FROST_NE);
	wr_put(&w, r1->r, FROST_NE);
	wr_put(&w, r1->mu, FROST_NS);
	if ((r = wr_end(&w, need)) != SC_OK)
		return r;
	*len = need;
	return SC_OK;
}

int sc_frost_dkg_round1_decode(const uint8_t *buf, size_t len, struct sc_frost_dkg_round1 **out)
{
	struct sc_frost_dkg_round1 *r1 = NULL;
	uint16_t id, min, max, j;
	struct rd r;
	int st;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	rd_header(&r, buf, len, SC_FROST_MSG_DKG_ROUND1);
	id = rd_u16(&r);
	rd_params(&r, &min, &max);
	if (id == 0 || id > max || rd_left(&r) != (size_t)min * FROST_NE + FROST_NE + FROST_NS)
		r.bad = 1;
	if (!r.bad && (r1 = sc_frost_dkg_round1_alloc(min, max)) == NULL)
		return SC_ERR_NOMEM;
	for (j = 0; !r.bad && j < min; j++)
		rd_point(&r, r1->commit + (size_t)j * FROST_NE);
	if (!r.bad) {
		r1->id = id;
		rd_point(&r, r1->r);
		rd_scalar(&r, r1->mu);
	}
	if ((st = rd_end(&r, "DKG round-1")) != SC_OK) {
		sc_frost_dkg_round1_free(r1);
		return st;
	}
	*out = r1;
	return SC_OK;
}

int sc_frost_dkg_round2_encode(const struct sc_frost_dkg_round2 *r2,
                               uint8_t out[SC_FROST_DKG_ROUND2_WIRE_LEN])
{
	struct sc_buf w;
	int r;

	if (r2 == NULL)
		return SC_ERR_INVALID;
	if ((r = wr_start(&w, out, SC_FROST_DKG_ROUND2_WIRE_LEN, SC_FROST_DKG_ROUND2_WIRE_LEN,
	                  SC_FROST_MSG_DKG_ROUND2)) != SC_OK)
		return r;
	wr_u16(&w, r2->sender);
	wr_u16(&w, r2->recipient);
	wr_put(&w, r2->share, FROST_NS);
	return wr_end(&w, SC_FROST_DKG_ROUND2_WIRE_LEN);
}

int sc_frost_dkg_round2_decode(const uint8_t *buf, size_t len, struct sc_frost_dkg_round2 **out)
{
	struct sc_frost_dkg_round2 *r2;
	struct rd r;
	int st;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if ((r2 = sc_secmem_alloc(sizeof(*r2))) == NULL)
		return SC_ERR_NOMEM;
	rd_header(&r, buf, len, SC_FROST_MSG_DKG_ROUND2);
	r2->sender = rd_id(&r, SC_FROST_MAX_PARTICIPANTS);
	r2->recipient = rd_id(&r, SC_FROST_MAX_PARTICIPANTS);
	if (r2->sender == r2->recipient)
		r.bad = 1;
	rd_scalar(&r, r2->share);
	if ((st = rd_end(&r, "DKG round-2")) != SC_OK) {
		sc_frost_dkg_round2_free(r2);
		return st;
	}
	*out = r2;
	return SC_OK;
}

/* ---- keys --------------------------------------------------------------------- */

int sc_frost_key_package_encode(const struct sc_frost_key_package *kp,
                                uint8_t out[SC_FROST_KEY_PACKAGE_WIRE_LEN])
{
	struct sc_buf w;
	int r;

	if (kp == NULL)
		return SC_ERR_INVALID;
	if ((r = wr_start(&w, out, SC_FROST_KEY_PACKAGE_WIRE_LEN, SC_FROST_KEY_PACKAGE_WIRE_LEN,
	                  SC_FROST_MSG_KEY_PACKAGE)) != SC_OK)
		return r;
	wr_u16(&w, kp->id);
	wr_u16(&w, kp->min);
	wr_u16(&w, kp->max);
	wr_put(&w, kp->signing_share, FROST_NS);
	wr_put(&w, kp->verifying_share, FROST_NE);
	wr_put(&w, kp->group_key, FROST_NE);
	return wr_end(&w, SC_FROST_KEY_PACKAGE_WIRE_LEN);
}

int sc_frost_key_package_decode(const uint8_t *buf, size_t len, struct sc_frost_key_package **out)
{
	struct sc_frost_key_package *kp;
	uint8_t vs[FROST_NE];
	struct rd r;
	int st;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if ((kp = sc_secmem_alloc(sizeof(*kp))) == NULL)
		return SC_ERR_NOMEM;
	rd_header(&r, buf, len, SC_FROST_MSG_KEY_PACKAGE);
	kp->id = rd_u16(&r);
	rd_params(&r, &kp->min, &kp->max);
	if (kp->id == 0 || kp->id > kp->max)
		r.bad = 1;
	rd_scalar(&r, kp->signing_share);
	rd_point(&r, kp->verifying_share);
	rd_point(&r, kp->group_key);
	/* the verifying share must be the signing share's */
	if (!r.bad && (sc_frost_mul_base(vs, kp->signing_share) != SC_OK ||
	               memcmp(vs, kp->verifying_share, FROST_NE) != 0))
		r.bad = 1;
	if ((st = rd_end(&r, "key package")) != SC_OK) {
		sc_frost_key_package_free(kp);
		return st;
	}
	*out = kp;
	return SC_OK;
}

size_t sc_frost_pubkeys_wire_len(const struct sc_frost_pubkeys *pub)
{
	return SC_FROST_HDR_LEN + 4 + FROST_NE + (size_t)pub->max * FROST_NE;
}

int sc_frost_pubkeys_encode(const struct sc_frost_pubkeys *pub, uint8_t *out, size_t cap,
                            size_t *len)
{
	struct sc_buf w;
	size_t need;
	int r;

	if (len != NULL)
		*len = 0;
	if (pub == NULL || len == NULL)
		return SC_ERR_INVALID;
	need = sc_frost_pubkeys_wire_len(pub);
	if ((r = wr_start(&w, out, cap, need, SC_FROST_MSG_PUBKEYS)) != SC_OK)
		return r;
	wr_u16(&w, pub->min);
	wr_u16(&w, pub->max);
	wr_put(&w, pub->group_key, FROST_NE);
	wr_put(&w, pub->shares, (size_t)pub->max * FROST_NE);
	if ((r = wr_end(&w, need)) != SC_OK)
		return r;
	*len = need;
	return SC_OK;
}

int sc_frost_pubkeys_decode(const uint8_t *buf, size_t len, struct sc_frost_pubkeys **out)
{
	struct sc_frost_pubkeys *pub = NULL;
	uint16_t min, max, i;
	struct rd r;
	int st;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	rd_header(&r, buf, len, SC_FROST_MSG_PUBKEYS);
	rd_params(&r, &min, &max);
	if (rd_left(&r) != FROST_NE + (size_t)max * FROST_NE)
		r.bad = 1;
	if (!r.bad && (pub = sc_frost_pubkeys_alloc(min, max)) == NULL)
		return SC_ERR_NOMEM;
	if (!r.bad)
		rd_point(&r, pub->group_key);
	for (i = 0; !r.bad && i < max; i++)
		rd_point(&r, pub->shares + (size_t)i * FROST_NE);
	/* distinct identifiers have distinct shares on a degree >= 1 polynomial */
	for (i = 1; !r.bad && i < max; i++) {
		uint16_t k;

		for (k = 0; k < i; k++)
			if (memcmp(pub->shares + (size_t)i * FROST_NE,
			           pub->shares + (size_t)k * FROST_NE, FROST_NE) == 0)
				r.bad = 1;
	}
	if ((st = rd_end(&r, "public key")) != SC_OK) {
		sc_frost_pubkeys_free(pub);
		return st;
	}
	*out = pub;
	return SC_OK;
}

size_t sc_frost_share_wire_len(const struct sc_frost_share *share)
{
	return SC_FROST_HDR_LEN + 6 + FROST_NS + (size_t)share->min * FROST_NE;
}

int sc_frost_share_encode(const struct sc_frost_share *share, uint8_t *out, size_t cap, size_t *len)
{
	struct sc_buf w;
	size_t need;
	int r;

	if (len != NULL)
		*len = 0;
	if (share == NULL || len == NULL)
		return SC_ERR_INVALID;
	need = sc_frost_share_wire_len(share);
	if ((r = wr_start(&w, out, cap, need, SC_FROST_MSG_SHARE)) != SC_OK)
		return r;
	wr_u16(&w, share->id);
	wr_u16(&w, share->min);
	wr_u16(&w, share->max);
	wr_put(&w, share->secret, FROST_NS);
	wr_put(&w, share->vss, (size_t)share->min * FROST_NE);
	if ((r = wr_end(&w, need)) != SC_OK)
		return r;
	*len = need;
	return SC_OK;
}

int sc_frost_share_decode(const uint8_t *buf, size_t len, struct sc_frost_share **out)
{
	struct sc_frost_share *sh = NULL;
	uint16_t id, min, max, j;
	struct rd r;
	int st;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	rd_header(&r, buf, len, SC_FROST_MSG_SHARE);
	id = rd_u16(&r);
	rd_params(&r, &min, &max);
	if (id == 0 || id > max || rd_left(&r) != FROST_NS + (size_t)min * FROST_NE)
		r.bad = 1;
	if (!r.bad && (sh = sc_frost_share_alloc(min, max)) == NULL)
		return SC_ERR_NOMEM;
	if (!r.bad) {
		sh->id = id;
		rd_scalar(&r, sh->secret);
	}
	for (j = 0; !r.bad && j < min; j++)
		rd_point(&r, sh->vss + (size_t)j * FROST_NE);
	if ((st = rd_end(&r, "dealer share")) != SC_OK) {
		sc_frost_share_free(sh);
		return st;
	}
	*out = sh;
	return SC_OK;
}
