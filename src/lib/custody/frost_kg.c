/* frost_kg.c - FROST key generation between devices: the Pedersen DKG with
 * proofs of knowledge (frost_dkg.c) run by a coordinator that only relays.
 * Round-1 packages are signed by each participant's identity key and
 * echoed (each signs the hash of the set it saw, and checks everyone else
 * saw the same); round-2 packages are sealed with crypto_box between keys
 * signed in round 1, so the coordinator never learns a share. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "secretctl/buf.h"
#include "secretctl/frost_session.h"
#include "secretctl/secmem.h"

/* Key generation sessions are bounded well below the identifier space so
 * that every frame stays small. */
#define KG_MAX_MEMBERS 32
#define R1_WIRE_MAX (16 + 2 * SC_FROST_POINT_LEN + KG_MAX_MEMBERS * SC_FROST_POINT_LEN)
#define R1_FRAME_MAX (2 * 32 + 2 + R1_WIRE_MAX + SC_FROST_ID_SIG_LEN)
#define R1_SET_MAX (2 + KG_MAX_MEMBERS * (2 + R1_FRAME_MAX))
#define BOX_LEN (SC_FROST_DKG_ROUND2_WIRE_LEN + crypto_box_MACBYTES)
#define BOX_ENTRY (2 + crypto_box_NONCEBYTES + BOX_LEN)
#define R2_FRAME_MAX (SC_FROST_ID_SIG_LEN + 2 + KG_MAX_MEMBERS * BOX_ENTRY)
#define R2_SET_MAX (KG_MAX_MEMBERS * SC_FROST_ID_SIG_LEN + 2 + KG_MAX_MEMBERS * BOX_ENTRY)
#define PUB_WIRE_MAX (16 + SC_FROST_POINT_LEN * (KG_MAX_MEMBERS + 1))
#define DONE_MAX (2 + PUB_WIRE_MAX + SC_FROST_ID_SIG_LEN)

static const char CTX_R1[] = "secretctl frost dkg round1 v1";
static const char CTX_ECHO[] = "secretctl frost dkg echo v1";
static const char CTX_DONE[] = "secretctl frost dkg done v1";

/* One signed round-1 package, pointing into its frame. */
struct r1_entry {
	const uint8_t *id_pub, *box_pub, *r1, *sig;
	size_t r1_len;
	struct sc_frost_dkg_round1 *dec;
};

static int bad(const char *why)
{
	sc_set_error("%s", why);
	return SC_ERR_CORRUPT;
}

/* What a round-1 signature covers: the session, the group, the sender's
 * place, its keys and its package. */
static int r1_signed(struct sc_buf *m, const uint8_t *session, const char *group, uint16_t id,
                     uint16_t min, uint16_t max, const uint8_t *id_pub, const uint8_t *box_pub,
                     const uint8_t *r1, size_t r1_len)
{
	sc_buf_init(m, 2 * R1_FRAME_MAX, 0);
	(void)sc_buf_put(m, CTX_R1, sizeof(CTX_R1));
	(void)sc_buf_put(m, session, SC_FROST_SESSION_LEN);
	(void)sc_buf_put_u8(m, (uint8_t)strlen(group));
	(void)sc_buf_put(m, group, strlen(group));
	(void)sc_buf_put_u16(m, id);
	(void)sc_buf_put_u16(m, min);
	(void)sc_buf_put_u16(m, max);
	(void)sc_buf_put(m, id_pub, SC_FROST_ID_PUB_LEN);
	(void)sc_buf_put(m, box_pub, crypto_box_PUBLICKEYBYTES);
	(void)sc_buf_put(m, r1, r1_len);
	return sc_buf_status(m);
}

/* Parse and check one signed round-1 package from identifier `id`. */
static int r1_parse(const uint8_t *p, size_t len, const struct sc_frost_request *rq, uint16_t id,
                    struct r1_entry *e)
{
	struct sc_buf b, m;
	uint16_t n;
	int r;

	memset(e, 0, sizeof(*e));
	sc_buf_init_reader(&b, p, len);
	if (sc_buf_get_ptr(&b, SC_FROST_ID_PUB_LEN, &e->id_pub) != SC_OK ||
	    sc_buf_get_ptr(&b, crypto_box_PUBLICKEYBYTES, &e->box_pub) != SC_OK ||
	    sc_buf_get_u16(&b, &n) != SC_OK || n > R1_WIRE_MAX ||
	    sc_buf_get_ptr(&b, n, &e->r1) != SC_OK ||
	    sc_buf_get_ptr(&b, SC_FROST_ID_SIG_LEN, &e->sig) != SC_OK || sc_buf_left(&b) != 0)
		return bad("a malformed round-1 package");
	e->r1_len = n;
	if (sc_frost_dkg_round1_decode(e->r1, n, &e->dec) != SC_OK ||
	    sc_frost_dkg_round1_sender(e->dec) != id)
		return bad("a malformed round-1 package, or one from another identifier");
	if ((r = r1_signed(&m, rq->session, rq->group, id, rq->min, rq->max, e->id_pub, e->box_pub,
	                   e->r1, n)) != SC_OK)
		return r;
	r = crypto_sign_verify_detached(e->sig, sc_buf_ptr(&m), m.len, e->id_pub) == 0
	        ? SC_OK
	        : SC_ERR_CORRUPT;
	sc_buf_release(&m);
	if (r != SC_OK)
		return bad("a round-1 package whose identity signature does not verify");
	return SC_OK;
}

static void r1_release(struct r1_entry *e, size_t n)
{
	for (size_t i = 0; e != NULL && i < n; i++)
		sc_frost_dkg_round1_free(e[i].dec);
}

static void echo_msg(uint8_t out[sizeof(CTX_ECHO) + SC_FROST_SESSION_LEN + 32],
                     const uint8_t *session, const uint8_t *set, size_t set_len)
{
	memcpy(out, CTX_ECHO, sizeof(CTX_ECHO));
	memcpy(out + sizeof(CTX_ECHO), session, SC_FROST_SESSION_LEN);
	crypto_generichash(out + sizeof(CTX_ECHO) + SC_FROST_SESSION_LEN, 32, set, set_len, NULL,
	                   0);
}
#define ECHO_LEN (sizeof(CTX_ECHO) + SC_FROST_SESSION_LEN + 32)

static int done_verify(const uint8_t *session, const uint8_t *pw, size_t pw_len, const uint8_t *sig,
                       const uint8_t *id_pub)
{
	struct sc_buf m;
	int r;

	sc_buf_init(&m, DONE_MAX + 64, 0);
	(void)sc_buf_put(&m, CTX_DONE, sizeof(CTX_DONE));
	(void)sc_buf_put(&m, session, SC_FROST_SESSION_LEN);
	(void)sc_buf_put(&m, pw, pw_len);
	if ((r = sc_buf_status(&m)) == SC_OK && id_pub == NULL)
		return SC_ERR_INTERNAL;
	if (r == SC_OK)
		r = crypto_sign_verify_detached(sig, sc_buf_ptr(&m), m.len, id_pub) == 0
		        ? SC_OK
		        : SC_ERR_CORRUPT;
	sc_buf_release(&m);
	return r;
}

/* ---- the coordinator ------------------------------------------------------- */

struct kg_peer {
	uint8_t *r1; /* its KG_R1 payload */
	size_t r1_len;
	uint8_t *r2; /* its KG_R2 payload */
	size_t r2_len;
};

static int send_kg_begin(struct sc_frost_peer *p, const struct sc_frost_request *rq)
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
	return sc_frost_frame_send(p, SC_FROST_F_KG_BEGIN, mem, b.len);
}

/* Check a KG_R2 payload's shape: an echo signature, then n-1 sealed
 * packages to distinct recipients other than the sender. */
static int r2_check(const uint8_t *p, size_t len, uint16_t n, uint16_t sender)
{
	uint8_t seen[KG_MAX_MEMBERS + 1] = {0};
	struct sc_buf b;
	uint16_t cnt, to;

	sc_buf_init_reader(&b, p, len);
	if (sc_buf_left(&b) < SC_FROST_ID_SIG_LEN + 2)
		return bad("a malformed round-2 message");
	b.off = SC_FROST_ID_SIG_LEN;
	if (sc_buf_get_u16(&b, &cnt) != SC_OK || cnt != n - 1 ||
	    sc_buf_left(&b) != (size_t)cnt * BOX_ENTRY)
		return bad("a malformed round-2 message");
	for (uint16_t k = 0; k < cnt; k++) {
		if (sc_buf_get_u16(&b, &to) != SC_OK || to < 1 || to > n || to == sender ||
		    seen[to])
			return bad("a round-2 message with a bad recipient");
		seen[to] = 1;
		b.off += BOX_ENTRY - 2;
	}
	return SC_OK;
}

int sc_frost_kg_coordinate(struct sc_frost_peer *peers, uint16_t n, uint16_t min, const char *group,
                           uint8_t (*id_pubs)[SC_FROST_ID_PUB_LEN], struct sc_frost_pubkeys **pub,
                           size_t *culprit)
{
	static const uint8_t t_r1 = SC_FROST_F_KG_R1, t_r2 = SC_FROST_F_KG_R2,
	                     t_done = SC_FROST_F_KG_DONE;
	struct sc_frost_request rq;
	struct kg_peer *kp = NULL;
	struct sc_buf set, out;
	uint8_t echo[ECHO_LEN], *pl = NULL, *first = NULL, type;
	size_t i, len = 0, first_len = 0;
	int r;

	*pub = NULL;
	*culprit = 0;
	sc_buf_init(&set, R1_SET_MAX, 0);
	sc_buf_init(&out, R2_SET_MAX, 0);
	if (n < 2 || n > KG_MAX_MEMBERS || min < 2 || min > n || !sc_frost_name_valid(group)) {
		sc_set_error("a key generation is 2 to %d participants, threshold 2 to n",
		             KG_MAX_MEMBERS);
		return SC_ERR_INVALID;
	}
	memset(&rq, 0, sizeof(rq));
	randombytes_buf(rq.session, sizeof(rq.session));
	rq.min = min;
	rq.max = n;
	memcpy(rq.group, group, strlen(group) + 1);
	if ((kp = calloc(n, sizeof(*kp))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		rq.id = (uint16_t)(i + 1);
		if ((r = send_kg_begin(&peers[i], &rq)) != SC_OK)
			goto peer;
	}
	/* round 1: every package signed; the set is then echoed to all */
	(void)sc_buf_put_u16(&set, n);
	for (i = 0; i < n; i++) {
		struct r1_entry e = {0};

		r = sc_frost_frame_recv(&peers[i], &t_r1, 1, R1_FRAME_MAX, 0, &type, &kp[i].r1,
		                        &kp[i].r1_len);
		if (r == SC_OK)
			r = r1_parse(kp[i].r1, kp[i].r1_len, &rq, (uint16_t)(i + 1), &e);
		if (r == SC_OK)
			memcpy(id_pubs[i], e.id_pub, SC_FROST_ID_PUB_LEN);
		r1_release(&e, 1);
		if (r != SC_OK)
			goto peer;
		for (size_t k = 0; k < i; k++)
			if (sodium_memcmp(id_pubs[k], id_pubs[i], SC_FROST_ID_PUB_LEN) == 0) {
				r = bad("its identity key is another participant's");
				goto peer;
			}
		(void)sc_buf_put_u16(&set, (uint16_t)kp[i].r1_len);
		(void)sc_buf_put(&set, kp[i].r1, kp[i].r1_len);
	}
	if ((r = sc_buf_status(&set)) != SC_OK)
		goto out;
	echo_msg(echo, rq.session, sc_buf_ptr(&set), set.len);
	for (i = 0; i < n; i++)
		if ((r = sc_frost_frame_send(&peers[i], SC_FROST_F_KG_R1_SET, sc_buf_ptr(&set),
		                             set.len)) != SC_OK)
			goto peer;
	/* round 2: each signs the hash of the set it saw, and seals a share
	 * to every other participant */
	for (i = 0; i < n; i++) {
		r = sc_frost_frame_recv(&peers[i], &t_r2, 1, R2_FRAME_MAX, 0, &type, &kp[i].r2,
		                        &kp[i].r2_len);
		if (r == SC_OK)
			r = r2_check(kp[i].r2, kp[i].r2_len, n, (uint16_t)(i + 1));
		if (r == SC_OK &&
		    crypto_sign_verify_detached(kp[i].r2, echo, sizeof(echo), id_pubs[i]) != 0)
			r = bad("its echo signature does not verify");
		if (r != SC_OK)
			goto peer;
	}
	for (i = 0; i < n; i++) {
		sc_buf_release(&out);
		sc_buf_init(&out, R2_SET_MAX, 0);
		for (size_t k = 0; k < n; k++)
			(void)sc_buf_put(&out, kp[k].r2, SC_FROST_ID_SIG_LEN);
		(void)sc_buf_put_u16(&out, (uint16_t)(n - 1));
		for (size_t k = 0; k < n; k++) {
			const uint8_t *e = kp[k].r2 + SC_FROST_ID_SIG_LEN + 2;

			for (size_t j = 0; k != i && j + 1 < n; j++, e += BOX_ENTRY)
				if (sc_be16_get(e) == i + 1) {
					(void)sc_buf_put_u16(&out, (uint16_t)(k + 1));
					(void)sc_buf_put(&out, e + 2, BOX_ENTRY - 2);
				}
		}
		if ((r = sc_buf_status(&out)) != SC_OK)
			goto out;
		if ((r = sc_frost_frame_send(&peers[i], SC_FROST_F_KG_R2_SET, sc_buf_ptr(&out),
		                             out.len)) != SC_OK)
			goto peer;
	}
	/* done: every participant stored its share and derived the same keys */
	for (i = 0; i < n; i++) {
		struct sc_buf b;
		const uint8_t *pw = NULL, *sig = NULL;
		uint16_t pwl = 0;

		free(pl);
		pl = NULL;
		if ((r = sc_frost_frame_recv(&peers[i], &t_done, 1, DONE_MAX, 0, &type, &pl,
		                             &len)) != SC_OK)
			goto peer;
		sc_buf_init_reader(&b, pl, len);
		if (sc_buf_get_u16(&b, &pwl) != SC_OK || sc_buf_get_ptr(&b, pwl, &pw) != SC_OK ||
		    sc_buf_get_ptr(&b, SC_FROST_ID_SIG_LEN, &sig) != SC_OK ||
		    sc_buf_left(&b) != 0 ||
		    done_verify(rq.session, pw, pwl, sig, id_pubs[i]) != SC_OK) {
			r = bad("a malformed or unsigned completion");
			goto peer;
		}
		if (i == 0) {
			if ((r = sc_frost_pubkeys_decode(pw, pwl, pub)) != SC_OK) {
				r = bad("malformed public keys");
				goto peer;
			}
			first = pl;
			first_len = len;
			pl = NULL;
		} else if (len != first_len || memcmp(pl, first, 2 + pwl) != 0) {
			r = bad("its public keys differ from the others'");
			goto peer;
		}
	}
	if (sc_frost_pubkeys_min(*pub) != min || sc_frost_pubkeys_max(*pub) != n) {
		r = bad("the public keys have another threshold");
		goto out;
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
	for (i = 0; kp != NULL && i < n; i++) {
		free(kp[i].r1);
		free(kp[i].r2);
	}
	free(kp);
	free(pl);
	free(first);
	sc_buf_release(&set);
	sc_buf_release(&out);
	return r;
}

/* ---- the participant ---------------------------------------------------------- */

struct kg_part {
	struct sc_frost_dkg *st;
	struct sc_frost_dkg_round1 *r1;
	struct sc_frost_dkg_round2 **r2out, **r2in;
	struct r1_entry *e;
	uint8_t *mine, *set, *r2set, *box_sk, *r2w;
	size_t mine_len, set_len, r2set_len;
	struct sc_buf msg;
};

static int part_round1(struct sc_frost_peer *coord, const struct sc_frost_request *rq,
                       const struct sc_frost_identity *id, struct kg_part *k,
                       uint8_t box_pk[crypto_box_PUBLICKEYBYTES])
{
	uint8_t w[R1_WIRE_MAX], sig[SC_FROST_ID_SIG_LEN];
	size_t wl = 0;
	struct sc_buf b;
	int r;

	if ((r = sc_frost_dkg_part1(rq->id, rq->min, rq->max, &k->st, &k->r1)) != SC_OK)
		return r;
	if (sc_frost_dkg_round1_wire_len(k->r1) > sizeof(w))
		return SC_ERR_TOOBIG;
	if ((r = sc_frost_dkg_round1_encode(k->r1, w, sizeof(w), &wl)) != SC_OK)
		return r;
	if ((k->box_sk = sc_secmem_alloc(crypto_box_SECRETKEYBYTES)) == NULL)
		return SC_ERR_NOMEM;
	if (crypto_box_keypair(box_pk, k->box_sk) != 0)
		return SC_ERR_CRYPTO;
	if ((r = r1_signed(&k->msg, rq->session, rq->group, rq->id, rq->min, rq->max, id->pub,
	                   box_pk, w, wl)) != SC_OK ||
	    (r = id->sign(id->arg, sc_buf_ptr(&k->msg), k->msg.len, sig)) != SC_OK)
		return r;
	sc_buf_init(&b, R1_FRAME_MAX, 0);
	(void)sc_buf_put(&b, id->pub, SC_FROST_ID_PUB_LEN);
	(void)sc_buf_put(&b, box_pk, crypto_box_PUBLICKEYBYTES);
	(void)sc_buf_put_u16(&b, (uint16_t)wl);
	(void)sc_buf_put(&b, w, wl);
	(void)sc_buf_put(&b, sig, sizeof(sig));
	if ((r = sc_buf_status(&b)) == SC_OK)
		r = sc_frost_frame_send(coord, SC_FROST_F_KG_R1, sc_buf_ptr(&b), b.len);
	k->mine = sc_buf_steal(&b, &k->mine_len);
	return r;
}

/* The echoed set: every package signed, ours unchanged, identities distinct. */
static int part_check_set(const struct sc_frost_request *rq, struct kg_part *k,
                          void (*show)(void *, uint16_t, const uint8_t *), void *show_arg)
{
	struct sc_buf b;
	uint16_t cnt, len;
	const uint8_t *p;
	int r;

	sc_buf_init_reader(&b, k->set, k->set_len);
	if (sc_buf_get_u16(&b, &cnt) != SC_OK || cnt != rq->max)
		return bad("a round-1 set of the wrong size");
	if ((k->e = calloc(cnt, sizeof(*k->e))) == NULL)
		return SC_ERR_NOMEM;
	for (uint16_t i = 0; i < cnt; i++) {
		if (sc_buf_get_u16(&b, &len) != SC_OK || sc_buf_get_ptr(&b, len, &p) != SC_OK)
			return bad("a malformed round-1 set");
		if ((r = r1_parse(p, len, rq, (uint16_t)(i + 1), &k->e[i])) != SC_OK)
			return r;
		if (i + 1 == rq->id && (len != k->mine_len || memcmp(p, k->mine, len) != 0))
			return bad("the round-1 set does not hold our package as we sent it");
		for (uint16_t j = 0; j < i; j++)
			if (sodium_memcmp(k->e[j].id_pub, k->e[i].id_pub, SC_FROST_ID_PUB_LEN) == 0)
				return bad("two participants share an identity key");
		if (show != NULL)
			show(show_arg, (uint16_t)(i + 1), k->e[i].id_pub);
	}
	if (sc_buf_left(&b) != 0)
		return bad("a malformed round-1 set");
	return SC_OK;
}

static int part_round2(struct sc_frost_peer *coord, const struct sc_frost_request *rq,
                       const struct sc_frost_identity *id, struct kg_part *k,
                       const uint8_t echo[ECHO_LEN])
{
	const struct sc_frost_dkg_round1 **others = NULL;
	uint16_t n = rq->max, culprit = 0;
	uint8_t sig[SC_FROST_ID_SIG_LEN];
	struct sc_buf b;
	size_t j = 0;
	int r;

	sc_buf_init(&b, R2_FRAME_MAX, 0);
	if ((others = calloc(n, sizeof(*others))) == NULL ||
	    (k->r2out = calloc(n, sizeof(*k->r2out))) == NULL ||
	    (k->r2w = sc_secmem_alloc(SC_FROST_DKG_ROUND2_WIRE_LEN)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	for (uint16_t i = 0; i < n; i++)
		if (i + 1 != rq->id)
			others[j++] = k->e[i].dec;
	if ((r = sc_frost_dkg_part2(k->st, others, n - 1, k->r2out, &culprit)) != SC_OK) {
		sc_set_error("participant %u's proof of knowledge does not verify", culprit);
		goto out;
	}
	if ((r = id->sign(id->arg, echo, ECHO_LEN, sig)) != SC_OK)
		goto out;
	(void)sc_buf_put(&b, sig, sizeof(sig));
	(void)sc_buf_put_u16(&b, (uint16_t)(n - 1));
	for (j = 0; j + 1 < n; j++) {
		uint16_t to = sc_frost_dkg_round2_recipient(k->r2out[j]);
		uint8_t nonce[crypto_box_NONCEBYTES], *box;

		if (to < 1 || to > n ||
		    (r = sc_frost_dkg_round2_encode(k->r2out[j], k->r2w)) != SC_OK)
			goto out;
		randombytes_buf(nonce, sizeof(nonce));
		(void)sc_buf_put_u16(&b, to);
		(void)sc_buf_put(&b, nonce, sizeof(nonce));
		if ((box = sc_buf_reserve(&b, BOX_LEN)) == NULL ||
		    crypto_box_easy(box, k->r2w, SC_FROST_DKG_ROUND2_WIRE_LEN, nonce,
		                    k->e[to - 1].box_pub, k->box_sk) != 0) {
			r = SC_ERR_CRYPTO;
			goto out;
		}
	}
	if ((r = sc_buf_status(&b)) == SC_OK)
		r = sc_frost_frame_send(coord, SC_FROST_F_KG_R2, sc_buf_ptr(&b), b.len);
out:
	free(others);
	sc_buf_release(&b);
	return r;
}

static int part_open(const struct sc_frost_request *rq, struct kg_part *k,
                     const uint8_t echo[ECHO_LEN])
{
	uint8_t seen[KG_MAX_MEMBERS + 1] = {0};
	uint16_t n = rq->max, cnt, from;
	const uint8_t *sig, *nonce, *box;
	struct sc_buf b;

	sc_buf_init_reader(&b, k->r2set, k->r2set_len);
	for (uint16_t i = 0; i < n; i++) {
		if (sc_buf_get_ptr(&b, SC_FROST_ID_SIG_LEN, &sig) != SC_OK)
			return bad("a malformed round-2 set");
		/* everyone saw the same round-1 set as we did */
		if (crypto_sign_verify_detached(sig, echo, ECHO_LEN, k->e[i].id_pub) != 0) {
			sc_set_error("participant %u saw another round-1 set", i + 1);
			return SC_ERR_CORRUPT;
		}
	}
	if (sc_buf_get_u16(&b, &cnt) != SC_OK || cnt != n - 1 ||
	    sc_buf_left(&b) != (size_t)cnt * BOX_ENTRY)
		return bad("a malformed round-2 set");
	if ((k->r2in = calloc(n, sizeof(*k->r2in))) == NULL)
		return SC_ERR_NOMEM;
	for (uint16_t i = 0; i < cnt; i++) {
		if (sc_buf_get_u16(&b, &from) != SC_OK || from < 1 || from > n || from == rq->id ||
		    seen[from] || sc_buf_get_ptr(&b, crypto_box_NONCEBYTES, &nonce) != SC_OK ||
		    sc_buf_get_ptr(&b, BOX_LEN, &box) != SC_OK)
			return bad("a round-2 set with a bad sender");
		seen[from] = 1;
		if (crypto_box_open_easy(k->r2w, box, BOX_LEN, nonce, k->e[from - 1].box_pub,
		                         k->box_sk) != 0 ||
		    sc_frost_dkg_round2_decode(k->r2w, SC_FROST_DKG_ROUND2_WIRE_LEN, &k->r2in[i]) !=
		        SC_OK ||
		    sc_frost_dkg_round2_sender(k->r2in[i]) != from ||
		    sc_frost_dkg_round2_recipient(k->r2in[i]) != rq->id) {
			sc_set_error("participant %u's sealed share does not open", from);
			return SC_ERR_CORRUPT;
		}
	}
	return SC_OK;
}

int sc_frost_kg_participate(struct sc_frost_peer *coord, const struct sc_frost_request *rq,
                            const struct sc_frost_identity *id,
                            void (*show)(void *arg, uint16_t who,
                                         const uint8_t pub[SC_FROST_ID_PUB_LEN]),
                            void *show_arg, struct sc_frost_key_package **kp,
                            struct sc_frost_pubkeys **pub)
{
	static const uint8_t t_set = SC_FROST_F_KG_R1_SET, t_r2set = SC_FROST_F_KG_R2_SET;
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES], echo[ECHO_LEN], type;
	struct kg_part k;
	uint16_t culprit = 0;
	int r;

	*kp = NULL;
	*pub = NULL;
	memset(&k, 0, sizeof(k));
	sc_buf_init(&k.msg, 1, 0);
	if (rq->type != SC_FROST_F_KG_BEGIN || rq->max > KG_MAX_MEMBERS) {
		sc_frost_frame_refuse(coord, "a key generation of more than 32 participants");
		return SC_ERR_INVALID;
	}
	if ((r = part_round1(coord, rq, id, &k, box_pk)) != SC_OK)
		goto out;
	if ((r = sc_frost_frame_recv(coord, &t_set, 1, R1_SET_MAX, 0, &type, &k.set, &k.set_len)) !=
	        SC_OK ||
	    (r = part_check_set(rq, &k, show, show_arg)) != SC_OK)
		goto out;
	echo_msg(echo, rq->session, k.set, k.set_len);
	if ((r = part_round2(coord, rq, id, &k, echo)) != SC_OK)
		goto out;
	if ((r = sc_frost_frame_recv(coord, &t_r2set, 1, R2_SET_MAX, 0, &type, &k.r2set,
	                             &k.r2set_len)) != SC_OK ||
	    (r = part_open(rq, &k, echo)) != SC_OK)
		goto out;
	if ((r = sc_frost_dkg_part3(k.st, (const struct sc_frost_dkg_round2 *const *)k.r2in,
	                            rq->max - 1, kp, pub, &culprit)) != SC_OK)
		sc_set_error("participant %u's share does not match its commitment", culprit);
out:
	if (r != SC_OK && r != SC_ERR_TIMEOUT && r != SC_ERR_NOT_FOUND && r != SC_ERR_DENIED)
		sc_frost_frame_refuse(coord, sc_last_error());
	r1_release(k.e, k.e != NULL ? rq->max : 0);
	free(k.e);
	for (uint16_t i = 0; i < rq->max; i++) {
		if (k.r2out != NULL)
			sc_frost_dkg_round2_free(k.r2out[i]);
		if (k.r2in != NULL)
			sc_frost_dkg_round2_free(k.r2in[i]);
	}
	free(k.r2out);
	free(k.r2in);
	sc_frost_dkg_free(k.st);
	sc_frost_dkg_round1_free(k.r1);
	sc_secmem_free(k.box_sk);
	sc_secmem_free(k.r2w);
	free(k.mine);
	free(k.set);
	free(k.r2set);
	sc_buf_release(&k.msg);
	return r;
}

int sc_frost_kg_done(struct sc_frost_peer *coord, const struct sc_frost_request *rq,
                     const struct sc_frost_identity *id, const struct sc_frost_pubkeys *pub)
{
	uint8_t pw[PUB_WIRE_MAX], sig[SC_FROST_ID_SIG_LEN];
	size_t pwl = 0;
	struct sc_buf m, b;
	int r;

	if (sc_frost_pubkeys_wire_len(pub) > sizeof(pw) ||
	    (r = sc_frost_pubkeys_encode(pub, pw, sizeof(pw), &pwl)) != SC_OK)
		return SC_ERR_TOOBIG;
	sc_buf_init(&m, DONE_MAX + 64, 0);
	(void)sc_buf_put(&m, CTX_DONE, sizeof(CTX_DONE));
	(void)sc_buf_put(&m, rq->session, SC_FROST_SESSION_LEN);
	(void)sc_buf_put(&m, pw, pwl);
	if ((r = sc_buf_status(&m)) == SC_OK)
		r = id->sign(id->arg, sc_buf_ptr(&m), m.len, sig);
	sc_buf_release(&m);
	if (r != SC_OK)
		return r;
	sc_buf_init(&b, DONE_MAX, 0);
	(void)sc_buf_put_u16(&b, (uint16_t)pwl);
	(void)sc_buf_put(&b, pw, pwl);
	(void)sc_buf_put(&b, sig, sizeof(sig));
	if ((r = sc_buf_status(&b)) == SC_OK)
		r = sc_frost_frame_send(coord, SC_FROST_F_KG_DONE, sc_buf_ptr(&b), b.len);
	sc_buf_release(&b);
	return r;
}
