/* test_frost_split.c - the trusted dealer between devices, in process: an
 * Ed25519 key's scalar split 2-of-3 over pipes (participants on threads),
 * every pair's signature verifying under the key's own public key; a
 * participant facing a hand-made dealer (a share off its commitment, for
 * another identifier, of another size, not sealed to it); a dealer facing
 * hand-made participants (a hello badly signed or of the wrong size, one
 * identity twice, other public keys or a bad signature at the end); the
 * first request's bounds. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "secretctl/buf.h"
#include "secretctl/frost_session.h"
#include "secretctl/secretctl.h"

#define N 3
#define HELLO_LEN (32 + 32 + 64)

struct member {
	struct sc_frost_peer coord; /* its end */
	struct sc_frost_identity id;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	struct sc_frost_key_package *kp;
	struct sc_frost_pubkeys *pub;
	struct sc_frost_pubkeys *done_pub; /* NULL: its own */
	int bad_done;                      /* its completion's signature spoilt */
	int status;
};

static int id_sign(void *arg, const uint8_t *msg, size_t len, uint8_t sig[SC_FROST_ID_SIG_LEN])
{
	struct member *m = arg;

	return crypto_sign_detached(sig, NULL, msg, len, m->sk) == 0 ? SC_OK : SC_ERR_CRYPTO;
}

static int id_sign_spoilt(void *arg, const uint8_t *msg, size_t len,
                          uint8_t sig[SC_FROST_ID_SIG_LEN])
{
	int r = id_sign(arg, msg, len, sig);

	sig[0] ^= 1;
	return r;
}

static void link_peers(struct sc_frost_peer *c, struct sc_frost_peer *p)
{
	int down[2], up[2];

	assert_int_equal(pipe(down), 0);
	assert_int_equal(pipe(up), 0);
	memset(c, 0, sizeof(*c));
	memset(p, 0, sizeof(*p));
	c->to = down[1];
	c->from = up[0];
	p->from = down[0];
	p->to = up[1];
	c->timeout_ms = p->timeout_ms = 5000;
}

static void unlink_peer(struct sc_frost_peer *p)
{
	close(p->to);
	close(p->from);
}

static void member_init(struct member *m, const uint8_t *seed)
{
	memset(m, 0, sizeof(*m));
	if (seed != NULL)
		crypto_sign_seed_keypair(m->id.pub, m->sk, seed);
	else
		crypto_sign_keypair(m->id.pub, m->sk);
	m->id.sign = id_sign;
	m->id.arg = m;
}

static void member_release(struct member *m)
{
	sc_frost_key_package_free(m->kp);
	sc_frost_pubkeys_free(m->pub);
	m->kp = NULL;
	m->pub = NULL;
}

static void *part_thread(void *arg)
{
	struct member *m = arg;
	struct sc_frost_request rq;

	m->status = sc_frost_request_recv(&m->coord, &rq);
	if (m->status == SC_OK && rq.type != SC_FROST_F_SP_BEGIN)
		m->status = SC_ERR_INVALID;
	if (m->status == SC_OK)
		m->status = sc_frost_split_participate(&m->coord, &rq, &m->id, &m->kp, &m->pub);
	if (m->bad_done)
		m->id.sign = id_sign_spoilt;
	if (m->status == SC_OK)
		m->status = sc_frost_split_done(&m->coord, &rq, &m->id,
		                                m->done_pub != NULL ? m->done_pub : m->pub);
	return NULL;
}

/* Run the dealer with members[0..n) on threads. */
static int deal(struct member *ms, uint16_t n, struct sc_frost_share **shares,
                uint8_t (*ids)[SC_FROST_ID_PUB_LEN], struct sc_frost_pubkeys **pub, size_t *culprit)
{
	struct sc_frost_peer peers[N];
	pthread_t th[N];
	int r;

	for (uint16_t i = 0; i < n; i++) {
		link_peers(&peers[i], &ms[i].coord);
		assert_int_equal(pthread_create(&th[i], NULL, part_thread, &ms[i]), 0);
	}
	r = sc_frost_split_coordinate(peers, n, "unit", shares, ids, pub, culprit);
	for (uint16_t i = 0; i < n; i++) {
		unlink_peer(&peers[i]);
		pthread_join(th[i], NULL);
		unlink_peer(&ms[i].coord);
	}
	return r;
}

/* Sign msg in process with the key packages of a and b, aggregated. */
static void sign_pair(struct member *ms, const struct sc_frost_pubkeys *pub, int a, int b,
                      const uint8_t *msg, size_t len, uint8_t sig[SC_FROST_SIG_LEN])
{
	struct sc_frost_nonce *nonce[2] = {NULL, NULL};
	struct sc_frost_commitment cm[2];
	struct sc_frost_sig_share sh[2];
	struct sc_frost_signing_package *pkg = NULL;
	int who[2] = {a, b};
	uint16_t culprit = 9;

	for (int i = 0; i < 2; i++)
		assert_int_equal(sc_frost_commit(ms[who[i]].kp, &nonce[i], &cm[i]), SC_OK);
	assert_int_equal(
	    sc_frost_signing_package_new(sc_frost_pubkeys_group_key(pub), cm, 2, msg, len, &pkg),
	    SC_OK);
	for (int i = 0; i < 2; i++)
		assert_int_equal(sc_frost_sign(ms[who[i]].kp, &nonce[i], pkg, &sh[i]), SC_OK);
	assert_int_equal(sc_frost_aggregate(pub, pkg, sh, 2, sig, &culprit), SC_OK);
	sc_frost_signing_package_free(pkg);
}

static void test_split_key_every_pair(void **state)
{
	static const uint8_t msg[] = "test_frost_split";
	uint8_t seed[32], pk[32], sk[64], secret[32], sig[SC_FROST_SIG_LEN];
	uint8_t ids[N][SC_FROST_ID_PUB_LEN];
	struct sc_frost_share *shares[N] = {NULL};
	struct sc_frost_pubkeys *pub = NULL;
	struct member ms[N];
	size_t culprit = 9;

	(void)state;
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	assert_int_equal(sc_frost_secret_from_seed(seed, secret), SC_OK);
	assert_int_equal(sc_frost_dealer_split(secret, 2, N, shares), SC_OK);
	for (int i = 0; i < N; i++)
		member_init(&ms[i], NULL);
	assert_int_equal(deal(ms, N, shares, ids, &pub, &culprit), SC_OK);
	assert_int_equal(culprit, 0);
	/* the group key is the Ed25519 key's public key */
	assert_memory_equal(sc_frost_pubkeys_group_key(pub), pk, 32);
	for (int i = 0; i < N; i++) {
		assert_int_equal(ms[i].status, SC_OK);
		assert_memory_equal(ids[i], ms[i].id.pub, SC_FROST_ID_PUB_LEN);
		assert_int_equal(sc_frost_key_package_id(ms[i].kp), i + 1);
		assert_memory_equal(sc_frost_key_package_group_key(ms[i].kp), pk, 32);
	}
	for (int a = 0; a < N; a++)
		for (int b = 0; b < N; b++) {
			if (a == b)
				continue;
			sign_pair(ms, pub, a, b, msg, sizeof(msg), sig);
			assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg), pk), 0);
		}
	for (int i = 0; i < N; i++) {
		member_release(&ms[i]);
		sc_frost_share_free(shares[i]);
	}
	sc_frost_pubkeys_free(pub);
}

/* ---- a participant facing a hand-made dealer --------------------------------- */

static void send_begin(struct sc_frost_peer *p, const uint8_t *session, uint16_t id, uint16_t min,
                       uint16_t max)
{
	uint8_t mem[128];
	struct sc_buf b;

	sc_buf_init_fixed(&b, mem, sizeof(mem));
	(void)sc_buf_put(&b, session, 32);
	(void)sc_buf_put_u16(&b, id);
	(void)sc_buf_put_u16(&b, min);
	(void)sc_buf_put_u16(&b, max);
	(void)sc_buf_put_u8(&b, 4);
	(void)sc_buf_put(&b, "unit", 4);
	assert_int_equal(sc_buf_status(&b), SC_OK);
	assert_int_equal(sc_frost_frame_send(p, SC_FROST_F_SP_BEGIN, mem, b.len), SC_OK);
}

enum tamper { T_SECRET, T_ID, T_VSS, T_SHORT, T_UNSEALED, T_OTHER_BOX };

/* Deal share 1 of a 2-of-3 split to one participant, changed as t says;
 * it must refuse, keep nothing and say why (an ERROR frame). */
static void bad_share(enum tamper t, const char *why)
{
	uint8_t session[32], w[512], sealed[600], *pl = NULL, type, opk[32], osk[32];
	static const uint8_t t_hello = SC_FROST_F_SP_HELLO, t_done = SC_FROST_F_SP_DONE;
	struct sc_frost_share *shares[N] = {NULL};
	struct sc_frost_peer c;
	struct member m;
	pthread_t th;
	size_t wl = 0, len = 0;

	assert_int_equal(sc_frost_dealer_split(NULL, 2, N, shares), SC_OK);
	assert_int_equal(sc_frost_share_encode(shares[t == T_ID ? 1 : 0], w, sizeof(w), &wl),
	                 SC_OK);
	member_init(&m, NULL);
	link_peers(&c, &m.coord);
	assert_int_equal(pthread_create(&th, NULL, part_thread, &m), 0);
	randombytes_buf(session, sizeof(session));
	send_begin(&c, session, 1, 2, N);
	assert_int_equal(sc_frost_frame_recv(&c, &t_hello, 1, HELLO_LEN, 0, &type, &pl, &len),
	                 SC_OK);
	assert_int_equal(len, HELLO_LEN);
	if (t == T_SECRET)
		w[9] ^= 1; /* the scalar's low byte: still canonical, now off the commitment */
	if (t == T_VSS)
		memcpy(w + 9 + 32 + 32, w + 9 + 32, 32); /* C_1 := C_0: a valid point, wrong */
	if (t == T_SHORT)
		wl -= 32;
	crypto_box_keypair(opk, osk);
	assert_int_equal(crypto_box_seal(sealed, w, wl, t == T_OTHER_BOX ? opk : pl + 32), 0);
	if (t == T_UNSEALED)
		assert_int_equal(sc_frost_frame_send(&c, SC_FROST_F_SP_SHARE, w, wl), SC_OK);
	else
		assert_int_equal(
		    sc_frost_frame_send(&c, SC_FROST_F_SP_SHARE, sealed, crypto_box_SEALBYTES + wl),
		    SC_OK);
	free(pl);
	pl = NULL;
	/* its answer is a refusal, never a completion */
	assert_int_equal(sc_frost_frame_recv(&c, &t_done, 1, 4096, 0, &type, &pl, &len),
	                 SC_ERR_DENIED);
	assert_non_null(strstr(c.error, why));
	unlink_peer(&c);
	pthread_join(th, NULL);
	unlink_peer(&m.coord);
	assert_int_not_equal(m.status, SC_OK);
	assert_null(m.kp);
	assert_null(m.pub);
	for (int i = 0; i < N; i++)
		sc_frost_share_free(shares[i]);
}

static void test_participant_refuses_bad_shares(void **state)
{
	(void)state;
	bad_share(T_SECRET, "does not match its commitment");
	bad_share(T_VSS, "does not match its commitment");
	bad_share(T_ID, "another identifier");
	bad_share(T_SHORT, "wrong size");
	bad_share(T_UNSEALED, "wrong size");
	bad_share(T_OTHER_BOX, "does not open");
}

/* ---- a dealer facing hand-made participants ------------------------------------ */

struct fake {
	struct sc_frost_peer coord;
	uint8_t sk[crypto_sign_SECRETKEYBYTES], pk[32];
	int mode; /* 0: a hello with a bad signature; 1: a hello too long */
};

static void *fake_thread(void *arg)
{
	struct fake *f = arg;
	struct sc_frost_request rq;
	uint8_t hello[HELLO_LEN + 1], bsk[32];
	struct sc_buf m;

	if (sc_frost_request_recv(&f->coord, &rq) != SC_OK)
		return NULL;
	memcpy(hello, f->pk, 32);
	crypto_box_keypair(hello + 32, bsk);
	/* the message a hello signs, as docs/CUSTODY.md gives it */
	sc_buf_init(&m, 512, 0);
	(void)sc_buf_put(&m, "secretctl frost split hello v1", 31);
	(void)sc_buf_put(&m, rq.session, 32);
	(void)sc_buf_put_u8(&m, (uint8_t)strlen(rq.group));
	(void)sc_buf_put(&m, rq.group, strlen(rq.group));
	(void)sc_buf_put_u16(&m, rq.id);
	(void)sc_buf_put_u16(&m, rq.min);
	(void)sc_buf_put_u16(&m, rq.max);
	(void)sc_buf_put(&m, hello, 64);
	crypto_sign_detached(hello + 64, NULL, sc_buf_ptr(&m), m.len, f->sk);
	sc_buf_release(&m);
	if (f->mode == 0)
		hello[70] ^= 1;
	/* the dealer may hang up first: the outcome is the dealer's to check */
	if (sc_frost_frame_send(&f->coord, SC_FROST_F_SP_HELLO, hello,
	                        f->mode == 1 ? sizeof(hello) : HELLO_LEN) != SC_OK)
		return NULL;
	return NULL;
}

static void fake_hello(int mode, int signed_ok_first)
{
	struct sc_frost_share *shares[2] = {NULL, NULL};
	struct sc_frost_peer peers[2];
	struct sc_frost_pubkeys *pub = (void *)1;
	uint8_t ids[2][SC_FROST_ID_PUB_LEN];
	struct fake f[2];
	pthread_t th[2];
	size_t culprit = 0;

	assert_int_equal(sc_frost_dealer_split(NULL, 2, 2, shares), SC_OK);
	for (int i = 0; i < 2; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		crypto_sign_keypair(f[i].pk, f[i].sk);
		/* the first fake is honest when asked: the second is named */
		f[i].mode = i == 0 && signed_ok_first ? 2 : mode;
		link_peers(&peers[i], &f[i].coord);
		assert_int_equal(pthread_create(&th[i], NULL, fake_thread, &f[i]), 0);
	}
	assert_int_equal(sc_frost_split_coordinate(peers, 2, "unit", shares, ids, &pub, &culprit),
	                 SC_ERR_CORRUPT);
	assert_int_equal(culprit, signed_ok_first ? 2 : 1);
	assert_null(pub);
	for (int i = 0; i < 2; i++) {
		unlink_peer(&peers[i]);
		pthread_join(th[i], NULL);
		unlink_peer(&f[i].coord);
		sc_frost_share_free(shares[i]);
	}
}

static void test_dealer_refuses_bad_participants(void **state)
{
	struct sc_frost_share *shares[N] = {NULL}, *other[N] = {NULL};
	struct sc_frost_pubkeys *pub = (void *)1, *opub = NULL;
	struct sc_frost_key_package *okp = NULL;
	uint8_t ids[N][SC_FROST_ID_PUB_LEN], seed[32] = {42};
	struct member ms[N];
	size_t culprit = 0;

	(void)state;
	fake_hello(0, 1);
	fake_hello(0, 0);
	/* a hello one byte too long is refused by the frame reader's bound */
	fake_hello(1, 1);
	assert_int_equal(sc_frost_dealer_split(NULL, 2, N, shares), SC_OK);
	/* one identity key for two participants */
	member_init(&ms[0], NULL);
	member_init(&ms[1], seed);
	member_init(&ms[2], seed);
	assert_int_equal(deal(ms, N, shares, ids, &pub, &culprit), SC_ERR_CORRUPT);
	assert_int_equal(culprit, 3);
	assert_null(pub);
	for (int i = 0; i < N; i++)
		member_release(&ms[i]);
	/* a participant that reports other public keys at the end is named */
	assert_int_equal(sc_frost_dealer_split(NULL, 2, N, other), SC_OK);
	assert_int_equal(sc_frost_share_verify(other[0], &okp, &opub), SC_OK);
	for (int i = 0; i < N; i++)
		member_init(&ms[i], NULL);
	ms[1].done_pub = opub;
	pub = (void *)1;
	assert_int_equal(deal(ms, N, shares, ids, &pub, &culprit), SC_ERR_CORRUPT);
	assert_int_equal(culprit, 2);
	assert_null(pub);
	assert_non_null(strstr(sc_last_error(), "differ from the dealer's"));
	for (int i = 0; i < N; i++)
		member_release(&ms[i]);
	/* and one whose completion is not signed by its identity key */
	for (int i = 0; i < N; i++)
		member_init(&ms[i], NULL);
	ms[2].bad_done = 1;
	pub = (void *)1;
	assert_int_equal(deal(ms, N, shares, ids, &pub, &culprit), SC_ERR_CORRUPT);
	assert_int_equal(culprit, 3);
	assert_null(pub);
	assert_non_null(strstr(sc_last_error(), "completion whose identity signature"));
	for (int i = 0; i < N; i++) {
		member_release(&ms[i]);
		sc_frost_share_free(shares[i]);
		sc_frost_share_free(other[i]);
	}
	sc_frost_key_package_free(okp);
	sc_frost_pubkeys_free(opub);
	/* shares that are not identifiers 1..n of one split are refused at once */
	assert_int_equal(sc_frost_dealer_split(NULL, 2, N, shares), SC_OK);
	other[0] = shares[0];
	other[1] = shares[2];
	pub = (void *)1;
	assert_int_equal(sc_frost_split_coordinate(NULL, 2, "unit", other, ids, &pub, &culprit),
	                 SC_ERR_INVALID);
	for (int i = 0; i < N; i++)
		sc_frost_share_free(shares[i]);
}

/* The first request, SP_BEGIN, through a pipe: the same bounds as KG_BEGIN. */
static int request(const uint8_t *payload, size_t len, struct sc_frost_request *rq)
{
	struct sc_frost_peer p, c;
	int r;

	link_peers(&c, &p);
	assert_int_equal(sc_frost_frame_send(&c, SC_FROST_F_SP_BEGIN, payload, len), SC_OK);
	close(c.to);
	c.to = -1;
	r = sc_frost_request_recv(&p, rq);
	close(c.from);
	unlink_peer(&p);
	return r;
}

static void test_split_request(void **state)
{
	uint8_t pl[32 + 7 + 4 + 1];
	struct sc_frost_request rq;

	(void)state;
	memset(pl, 7, 32);
	sc_be16_put(pl + 32, 2); /* id */
	sc_be16_put(pl + 34, 2); /* min */
	sc_be16_put(pl + 36, 3); /* max */
	pl[38] = 4;
	memcpy(pl + 39, "unit", 4);
	assert_int_equal(request(pl, 43, &rq), SC_OK);
	assert_int_equal(rq.type, SC_FROST_F_SP_BEGIN);
	assert_int_equal(rq.id, 2);
	assert_int_equal(rq.min, 2);
	assert_int_equal(rq.max, 3);
	assert_string_equal(rq.group, "unit");
	/* a trailing byte, a truncated name */
	assert_int_equal(request(pl, 44, &rq), SC_ERR_CORRUPT);
	assert_int_equal(request(pl, 42, &rq), SC_ERR_CORRUPT);
	/* min above max, min 1, identifier 0 or above max */
	sc_be16_put(pl + 34, 4);
	assert_int_equal(request(pl, 43, &rq), SC_ERR_CORRUPT);
	sc_be16_put(pl + 34, 1);
	assert_int_equal(request(pl, 43, &rq), SC_ERR_CORRUPT);
	sc_be16_put(pl + 34, 2);
	sc_be16_put(pl + 32, 0);
	assert_int_equal(request(pl, 43, &rq), SC_ERR_CORRUPT);
	sc_be16_put(pl + 32, 4);
	assert_int_equal(request(pl, 43, &rq), SC_ERR_CORRUPT);
	/* a group name that is not one */
	sc_be16_put(pl + 32, 1);
	memcpy(pl + 39, "u/it", 4);
	assert_int_equal(request(pl, 43, &rq), SC_ERR_CORRUPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_key_every_pair),
	    cmocka_unit_test(test_split_request),
	    cmocka_unit_test(test_participant_refuses_bad_shares),
	    cmocka_unit_test(test_dealer_refuses_bad_participants),
	};

	/* a hand-made peer may write after the other end hung up */
	signal(SIGPIPE, SIG_IGN);
	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
