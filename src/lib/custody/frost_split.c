/* frost_split.c - a trusted dealer's split (RFC 9591 appendix C) handed out
 * between devices: the dealer sends each participant its share and the VSS
 * commitment sealed to a box key the participant signed with its identity
 * key; the participant checks the share against the commitment before it
 * keeps it, and answers its public keys, signed; the dealer checks all
 * derived the same keys. See docs/CUSTODY.md, "frost split". */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "custody/frost_int.h"
#include "secretctl/buf.h"
#include "secretctl/frost_session.h"
#include "secretctl/secmem.h"

/* A split is bounded like a key generation, so every frame stays small. */
#define SP_MAX_MEMBERS 32
#define HELLO_LEN (SC_FROST_ID_PUB_LEN + crypto_box_PUBLICKEYBYTES + SC_FROST_ID_SIG_LEN)
#define SHARE_WIRE_MAX (SC_FROST_HDR_LEN + 6 + FROST_NS + SP_MAX_MEMBERS * FROST_NE)
#define SHARE_FRAME_MAX (crypto_box_SEALBYTES + SHARE_WIRE_MAX)
#define PUB_WIRE_MAX (SC_FROST_HDR_LEN + 4 + FROST_NE * (SP_MAX_MEMBERS + 1))
#define DONE_MAX (2 + PUB_WIRE_MAX + SC_FROST_ID_SIG_LEN)

static const char CTX_HELLO[] = "secretctl frost split hello v1";
static const char CTX_DONE[] = "secretctl frost split done v1";

static int bad(const char *why)
{
	sc_set_error("%s", why);
	return SC_ERR_CORRUPT;
}

/* The wire size of a dealer share of threshold min. */
static size_t share_wire_len(uint16_t min)
{
	return SC_FROST_HDR_LEN + 6 + FROST_NS + (size_t)min * FROST_NE;
}

/* What a hello's signature covers: the session, the group, the place, the
 * participant's identity and the box key its share is sealed to. */
static int hello_signed(struct sc_buf *m, const struct sc_frost_request *rq, const uint8_t *id_pub,
                        const uint8_t *box_pub)
{
	size_t gl = strlen(rq->group);

	sc_buf_init(m, 256, 0);
	(void)sc_buf_put(m, CTX_HELLO, sizeof(CTX_HELLO));
	(void)sc_buf_put(m, rq->session, SC_FROST_SESSION_LEN);
	(void)sc_buf_put_u8(m, (uint8_t)gl);
	(void)sc_buf_put(m, rq->group, gl);
	(void)sc_buf_put_u16(m, rq->id);
	(void)sc_buf_put_u16(m, rq->min);
	(void)sc_buf_put_u16(m, rq->max);
	(void)sc_buf_put(m, id_pub, SC_FROST_ID_PUB_LEN);
	(void)sc_buf_put(m, box_pub, crypto_box_PUBLICKEYBYTES);
	return sc_buf_status(m);
}

static int done_signed(struct sc_buf *m, const uint8_t *session, const uint8_t *pw, size_t pw_len)
{
	sc_buf_init(m, DONE_MAX + 64, 0);
	(void)sc_buf_put(m, CTX_DONE, sizeof(CTX_DONE));
	(void)sc_buf_put(m, session, SC_FROST_SESSION_LEN);
	(void)sc_buf_put(m, pw, pw_len);
	return sc_buf_status(m);
}

static int sig_ok(const uint8_t *sig, const struct sc_buf *m, const uint8_t *pub)
{
	return crypto_sign_verify_detached(sig, sc_buf_ptr(m), m->len, pub) == 0;
}

/* ---- the dealer --------------------------------------------------------------- */

static int send_begin(struct sc_frost_peer *p, const struct sc_frost_request *rq)
{
	uint8_t mem[SC_FROST_SESSION_LEN + 7 + SC_FROST_NAME_MAX];
	struct sc_buf b;

	sc_buf_init_fixed(&b, mem, sizeof(mem));
	(void)sc_buf_put(&b, rq->session, SC_FROST_SESSION_LEN);
	(void)sc_buf_put_u16(&b, rq->id);
	(void)sc_buf_put_u16(&b, rq->min);
	(void)sc_buf_put_u16(&b, rq->max);
	(void)sc_buf_put_u8(&b, (uint8_t)strlen(rq->group));
	(void)sc_buf_put(&b, rq->group, strlen(rq->group));
	if (sc_buf_status(&b) != SC_OK)
		return SC_ERR_INTERNAL;
	return sc_frost_frame_send(p, SC_FROST_F_SP_BEGIN, mem, b.len);
}

/* A hello: exactly identity key, box key, signature, the signature good. */
static int hello_check(const uint8_t *pl, size_t len, const struct sc_frost_request *rq)
{
	struct sc_buf m;
	int ok;

	if (len != HELLO_LEN)
		return bad("a malformed hello");
	if (hello_signed(&m, rq, pl, pl + SC_FROST_ID_PUB_LEN) != SC_OK) {
		sc_buf_release(&m);
		return SC_ERR_NOMEM;
	}
	ok = sig_ok(pl + SC_FROST_ID_PUB_LEN + crypto_box_PUBLICKEYBYTES, &m, pl);
	sc_buf_release(&m);
	return ok ? SC_OK : bad("a hello whose identity signature does not verify");
}

/* A completion: u16 length, public keys, signature; the keys the dealer's. */
static int done_check(const uint8_t *pl, size_t len, const uint8_t *session, const uint8_t *want,
                      size_t want_len, const uint8_t *id_pub)
{
	const uint8_t *pw = NULL, *sig = NULL;
	struct sc_buf b, m;
	uint16_t pwl = 0;
	int ok;

	sc_buf_init_reader(&b, pl, len);
	if (sc_buf_get_u16(&b, &pwl) != SC_OK || sc_buf_get_ptr(&b, pwl, &pw) != SC_OK ||
	    sc_buf_get_ptr(&b, SC_FROST_ID_SIG_LEN, &sig) != SC_OK || sc_buf_left(&b) != 0)
		return bad("a malformed completion");
	if (done_signed(&m, session, pw, pwl) != SC_OK) {
		sc_buf_release(&m);
		return SC_ERR_NOMEM;
	}
	ok = sig_ok(sig, &m, id_pub);
	sc_buf_release(&m);
	if (!ok)
		return bad("a completion whose identity signature does not verify");
	if (pwl != want_len || memcmp(pw, want, want_len) != 0)
		return bad("its public keys differ from the dealer's");
	return SC_OK;
}

/* Seal shares[i] to box_pub and send it: the wire copy lives in secmem. */
static int send_share(struct sc_frost_peer *p, const struct sc_frost_share *share,
                      const uint8_t *box_pub)
{
	size_t wl = sc_frost_share_wire_len(share), len = 0;
	uint8_t *w = sc_secmem_alloc(wl), *sealed = malloc(crypto_box_SEALBYTES + wl);
	int r;

	if (w == NULL || sealed == NULL) {
		r = SC_ERR_NOMEM;
	} else if ((r = sc_frost_share_encode(share, w, wl, &len)) == SC_OK) {
		r = crypto_box_seal(sealed, w, len, box_pub) == 0 ? SC_OK : SC_ERR_CRYPTO;
		if (r == SC_OK)
			r = sc_frost_frame_send(p, SC_FROST_F_SP_SHARE, sealed,
			                        crypto_box_SEALBYTES + len);
	}
	sc_secmem_free(w);
	free(sealed);
	return r;
}

int sc_frost_split_coordinate(struct sc_frost_peer *peers, uint16_t n, const char *group,
                              struct sc_frost_share *const *shares,
                              uint8_t (*id_pubs)[SC_FROST_ID_PUB_LEN],
                              struct sc_frost_pubkeys **pub, size_t *culprit)
{
	static const uint8_t t_hello = SC_FROST_F_SP_HELLO, t_done = SC_FROST_F_SP_DONE;
	struct sc_frost_key_package *kp0 = NULL;
	struct sc_frost_request rq;
	uint8_t(*box)[crypto_box_PUBLICKEYBYTES] = NULL, pw[PUB_WIRE_MAX], *pl = NULL, type;
	size_t i = 0, len = 0, pwl = 0;
	int r;

	*pub = NULL;
	*culprit = 0;
	if (n < 2 || n > SP_MAX_MEMBERS || !sc_frost_name_valid(group) || shares == NULL) {
		sc_set_error("a split is 2 to %d participants", SP_MAX_MEMBERS);
		return SC_ERR_INVALID;
	}
	for (i = 0; i < n; i++)
		if (shares[i] == NULL || sc_frost_share_id(shares[i]) != i + 1 ||
		    shares[i]->max != n || shares[i]->min != shares[0]->min) {
			sc_set_error("share %zu is not identifier %zu of %u", i + 1, i + 1, n);
			return SC_ERR_INVALID;
		}
	/* the keys every participant must derive: the dealer's own */
	if ((r = sc_frost_share_verify(shares[0], &kp0, pub)) != SC_OK)
		return r;
	sc_frost_key_package_free(kp0);
	if (sc_frost_pubkeys_wire_len(*pub) > sizeof(pw) ||
	    (r = sc_frost_pubkeys_encode(*pub, pw, sizeof(pw), &pwl)) != SC_OK) {
		r = SC_ERR_TOOBIG;
		goto out;
	}
	if ((box = calloc(n, sizeof(*box))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	memset(&rq, 0, sizeof(rq));
	randombytes_buf(rq.session, sizeof(rq.session));
	rq.type = SC_FROST_F_SP_BEGIN;
	rq.min = shares[0]->min;
	rq.max = n;
	memcpy(rq.group, group, strlen(group) + 1);
	for (i = 0; i < n; i++) {
		rq.id = (uint16_t)(i + 1);
		if ((r = send_begin(&peers[i], &rq)) != SC_OK)
			goto peer;
	}
	/* each names its identity and the box key to seal its share to */
	for (i = 0; i < n; i++) {
		rq.id = (uint16_t)(i + 1);
		free(pl);
		pl = NULL;
		if ((r = sc_frost_frame_recv(&peers[i], &t_hello, 1, HELLO_LEN, 0, &type, &pl,
		                             &len)) != SC_OK ||
		    (r = hello_check(pl, len, &rq)) != SC_OK)
			goto peer;
		memcpy(id_pubs[i], pl, SC_FROST_ID_PUB_LEN);
		memcpy(box[i], pl + SC_FROST_ID_PUB_LEN, crypto_box_PUBLICKEYBYTES);
		for (size_t k = 0; k < i; k++)
			if (sodium_memcmp(id_pubs[k], id_pubs[i], SC_FROST_ID_PUB_LEN) == 0) {
				r = bad("its identity key is another participant's");
				goto peer;
			}
	}
	for (i = 0; i < n; i++)
		if ((r = send_share(&peers[i], shares[i], box[i])) != SC_OK)
			goto peer;
	/* each checked its share against the commitment and stored it */
	for (i = 0; i < n; i++) {
		free(pl);
		pl = NULL;
		if ((r = sc_frost_frame_recv(&peers[i], &t_done, 1, DONE_MAX, 0, &type, &pl,
		                             &len)) != SC_OK ||
		    (r = done_check(pl, len, rq.session, pw, pwl, id_pubs[i])) != SC_OK)
			goto peer;
	}
	r = SC_OK;
	goto out;
peer:
	*culprit = i + 1;
out:
	if (r != SC_OK) {
		sc_frost_pubkeys_free(*pub);
		*pub = NULL;
	}
	free(box);
	free(pl);
	return r;
}

/* ---- the participant ------------------------------------------------------------ */

/* Open the sealed share, decode it (secmem) and check it is ours. */
static int open_share(const uint8_t *pl, size_t len, const struct sc_frost_request *rq,
                      const uint8_t *box_pk, const uint8_t *box_sk, struct sc_frost_share **out)
{
	size_t wl = share_wire_len(rq->min);
	uint8_t *w;
	int r;

	*out = NULL;
	if (len != crypto_box_SEALBYTES + wl)
		return bad("a dealer share of the wrong size");
	if ((w = sc_secmem_alloc(wl)) == NULL)
		return SC_ERR_NOMEM;
	if (crypto_box_seal_open(w, pl, len, box_pk, box_sk) != 0)
		r = bad("the dealer's share does not open (not sealed to this participant)");
	else if (sc_frost_share_decode(w, wl, out) != SC_OK)
		r = bad("a malformed dealer share");
	else if ((*out)->id != rq->id || (*out)->min != rq->min || (*out)->max != rq->max)
		r = bad("a dealer share for another identifier or threshold");
	else
		r = SC_OK;
	sc_secmem_free(w);
	if (r != SC_OK) {
		sc_frost_share_free(*out);
		*out = NULL;
	}
	return r;
}

int sc_frost_split_participate(struct sc_frost_peer *coord, const struct sc_frost_request *rq,
                               const struct sc_frost_identity *id, struct sc_frost_key_package **kp,
                               struct sc_frost_pubkeys **pub)
{
	static const uint8_t t_share = SC_FROST_F_SP_SHARE;
	uint8_t hello[HELLO_LEN], *box_sk = NULL, *pl = NULL, type;
	struct sc_frost_share *share = NULL;
	struct sc_buf m;
	size_t len = 0;
	int r;

	*kp = NULL;
	*pub = NULL;
	sc_buf_init(&m, 1, 0);
	if (rq->type != SC_FROST_F_SP_BEGIN || rq->max > SP_MAX_MEMBERS) {
		sc_set_error("a split of more than %d participants", SP_MAX_MEMBERS);
		sc_frost_frame_refuse(coord, sc_last_error());
		return SC_ERR_INVALID;
	}
	if ((box_sk = sc_secmem_alloc(crypto_box_SECRETKEYBYTES)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	memcpy(hello, id->pub, SC_FROST_ID_PUB_LEN);
	if (crypto_box_keypair(hello + SC_FROST_ID_PUB_LEN, box_sk) != 0) {
		r = SC_ERR_CRYPTO;
		goto out;
	}
	sc_buf_release(&m);
	if ((r = hello_signed(&m, rq, id->pub, hello + SC_FROST_ID_PUB_LEN)) != SC_OK ||
	    (r = id->sign(id->arg, sc_buf_ptr(&m), m.len,
	                  hello + SC_FROST_ID_PUB_LEN + crypto_box_PUBLICKEYBYTES)) != SC_OK ||
	    (r = sc_frost_frame_send(coord, SC_FROST_F_SP_HELLO, hello, sizeof(hello))) != SC_OK)
		goto out;
	if ((r = sc_frost_frame_recv(coord, &t_share, 1, SHARE_FRAME_MAX, 0, &type, &pl, &len)) !=
	        SC_OK ||
	    (r = open_share(pl, len, rq, hello + SC_FROST_ID_PUB_LEN, box_sk, &share)) != SC_OK)
		goto out;
	/* vss_verify before anything is kept: a share off the commitment is refused */
	if ((r = sc_frost_share_verify(share, kp, pub)) != SC_OK)
		sc_set_error("the dealer's share does not match its commitment");
out:
	if (r != SC_OK && r != SC_ERR_TIMEOUT && r != SC_ERR_NOT_FOUND && r != SC_ERR_DENIED)
		sc_frost_frame_refuse(coord, sc_last_error());
	sc_frost_share_free(share);
	sc_secmem_free(box_sk);
	sc_buf_release(&m);
	free(pl);
	return r;
}

int sc_frost_split_done(struct sc_frost_peer *coord, const struct sc_frost_request *rq,
                        const struct sc_frost_identity *id, const struct sc_frost_pubkeys *pub)
{
	uint8_t pw[PUB_WIRE_MAX], sig[SC_FROST_ID_SIG_LEN];
	size_t pwl = 0;
	struct sc_buf m, b;
	int r;

	if (sc_frost_pubkeys_wire_len(pub) > sizeof(pw) ||
	    sc_frost_pubkeys_encode(pub, pw, sizeof(pw), &pwl) != SC_OK)
		return SC_ERR_TOOBIG;
	if ((r = done_signed(&m, rq->session, pw, pwl)) == SC_OK)
		r = id->sign(id->arg, sc_buf_ptr(&m), m.len, sig);
	sc_buf_release(&m);
	if (r != SC_OK)
		return r;
	sc_buf_init(&b, DONE_MAX, 0);
	(void)sc_buf_put_u16(&b, (uint16_t)pwl);
	(void)sc_buf_put(&b, pw, pwl);
	(void)sc_buf_put(&b, sig, sizeof(sig));
	if ((r = sc_buf_status(&b)) == SC_OK)
		r = sc_frost_frame_send(coord, SC_FROST_F_SP_DONE, sc_buf_ptr(&b), b.len);
	sc_buf_release(&b);
	return r;
}

int sc_frost_secret_from_seed(const uint8_t seed[32], uint8_t secret[SC_FROST_SCALAR_LEN])
{
	uint8_t *h = sc_secmem_alloc(crypto_hash_sha512_BYTES);

	if (h == NULL)
		return SC_ERR_NOMEM;
	/* RFC 8032 5.1.5: the clamped low half of SHA-512(seed), reduced mod L
	 * (the same point: B has order L) */
	crypto_hash_sha512(h, seed, 32);
	h[0] &= 248;
	h[31] &= 127;
	h[31] |= 64;
	memset(h + 32, 0, 32);
	crypto_core_ed25519_scalar_reduce(secret, h);
	sc_secmem_free(h);
	return SC_OK;
}
