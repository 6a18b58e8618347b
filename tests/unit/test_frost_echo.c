/* test_frost_echo.c - the broadcast-consistency check of FROST key
 * generation against an equivocating coordinator, in process: a hand-made
 * coordinator relays three real participants (threads) as frost_kg.c's
 * coordinator does, but shows participant 1 a round-1 set in which
 * participant 3's package is one it made itself, under an identity key of
 * its own, correctly signed. Every participant must notice (the echo
 * signatures over the set's hash disagree) before it opens a share, and
 * none may come out with a key. The same relay without the swap succeeds,
 * so the failure is the equivocation's. */
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
#define BOX_ENTRY (2 + crypto_box_NONCEBYTES + SC_FROST_DKG_ROUND2_WIRE_LEN + crypto_box_MACBYTES)

struct member {
	struct sc_frost_peer coord;
	struct sc_frost_identity id;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	struct sc_frost_key_package *kp;
	struct sc_frost_pubkeys *pub;
	int status;
	char error[256];
};

static int id_sign(void *arg, const uint8_t *msg, size_t len, uint8_t sig[SC_FROST_ID_SIG_LEN])
{
	struct member *m = arg;

	return crypto_sign_detached(sig, NULL, msg, len, m->sk) == 0 ? SC_OK : SC_ERR_CRYPTO;
}

static void *part_thread(void *arg)
{
	struct member *m = arg;
	struct sc_frost_request rq;

	m->status = sc_frost_request_recv(&m->coord, &rq);
	if (m->status == SC_OK)
		m->status =
		    sc_frost_kg_participate(&m->coord, &rq, &m->id, NULL, NULL, &m->kp, &m->pub);
	snprintf(m->error, sizeof(m->error), "%s", sc_last_error());
	return NULL;
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

/* A KG_R1 payload for identifier 3 made by the coordinator: a real DKG
 * round-1 package, signed by an identity key of the coordinator's own as
 * frost_kg.c's r1_signed lays the message out. */
static void forge_r1(const uint8_t *session, struct sc_buf *out)
{
	uint8_t pk[32], sk[64], bpk[32], bsk[32], w[512], sig[64];
	struct sc_frost_dkg *st = NULL;
	struct sc_frost_dkg_round1 *r1 = NULL;
	struct sc_buf m;
	size_t wl = 0;

	crypto_sign_keypair(pk, sk);
	crypto_box_keypair(bpk, bsk);
	assert_int_equal(sc_frost_dkg_part1(3, 2, N, &st, &r1), SC_OK);
	assert_int_equal(sc_frost_dkg_round1_encode(r1, w, sizeof(w), &wl), SC_OK);
	sc_buf_init(&m, 4096, 0);
	(void)sc_buf_put(&m, "secretctl frost dkg round1 v1", 30);
	(void)sc_buf_put(&m, session, 32);
	(void)sc_buf_put_u8(&m, 4);
	(void)sc_buf_put(&m, "unit", 4);
	(void)sc_buf_put_u16(&m, 3);
	(void)sc_buf_put_u16(&m, 2);
	(void)sc_buf_put_u16(&m, N);
	(void)sc_buf_put(&m, pk, 32);
	(void)sc_buf_put(&m, bpk, 32);
	(void)sc_buf_put(&m, w, wl);
	assert_int_equal(sc_buf_status(&m), SC_OK);
	crypto_sign_detached(sig, NULL, sc_buf_ptr(&m), m.len, sk);
	sc_buf_release(&m);
	sc_buf_init(out, 4096, 0);
	(void)sc_buf_put(out, pk, 32);
	(void)sc_buf_put(out, bpk, 32);
	(void)sc_buf_put_u16(out, (uint16_t)wl);
	(void)sc_buf_put(out, w, wl);
	(void)sc_buf_put(out, sig, 64);
	assert_int_equal(sc_buf_status(out), SC_OK);
	sc_frost_dkg_free(st);
	sc_frost_dkg_round1_free(r1);
}

static void set_of(struct sc_buf *set, uint8_t **r1, size_t *r1_len)
{
	sc_buf_init(set, 1 << 16, 0);
	(void)sc_buf_put_u16(set, N);
	for (int i = 0; i < N; i++) {
		(void)sc_buf_put_u16(set, (uint16_t)r1_len[i]);
		(void)sc_buf_put(set, r1[i], r1_len[i]);
	}
	assert_int_equal(sc_buf_status(set), SC_OK);
}

/* Relay one key generation among members; equivocate: show participant 1
 * a set with a forged package 3. */
static void relay(struct member *ms, int equivocate)
{
	static const uint8_t t_r1 = SC_FROST_F_KG_R1, t_r2 = SC_FROST_F_KG_R2;
	struct sc_frost_peer peers[N];
	pthread_t th[N];
	uint8_t session[32], *r1[N], *r2[N], type;
	size_t r1_len[N], r2_len[N];
	struct sc_buf set_a, set_b, forged;

	randombytes_buf(session, sizeof(session));
	for (int i = 0; i < N; i++) {
		uint8_t begin[32 + 7 + 4];

		link_peers(&peers[i], &ms[i].coord);
		assert_int_equal(pthread_create(&th[i], NULL, part_thread, &ms[i]), 0);
		memcpy(begin, session, 32);
		sc_be16_put(begin + 32, (uint16_t)(i + 1));
		sc_be16_put(begin + 34, 2);
		sc_be16_put(begin + 36, N);
		begin[38] = 4;
		memcpy(begin + 39, "unit", 4);
		assert_int_equal(
		    sc_frost_frame_send(&peers[i], SC_FROST_F_KG_BEGIN, begin, sizeof(begin)),
		    SC_OK);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(
		    sc_frost_frame_recv(&peers[i], &t_r1, 1, 1 << 16, 0, &type, &r1[i], &r1_len[i]),
		    SC_OK);
	set_of(&set_a, r1, r1_len);
	if (equivocate) {
		uint8_t *real = r1[2];
		size_t real_len = r1_len[2];

		forge_r1(session, &forged);
		r1[2] = (uint8_t *)sc_buf_ptr(&forged);
		r1_len[2] = forged.len;
		set_of(&set_b, r1, r1_len);
		r1[2] = real;
		r1_len[2] = real_len;
	} else {
		set_of(&set_b, r1, r1_len);
	}
	for (int i = 0; i < N; i++) {
		const struct sc_buf *s = i == 0 ? &set_b : &set_a;

		assert_int_equal(
		    sc_frost_frame_send(&peers[i], SC_FROST_F_KG_R1_SET, sc_buf_ptr(s), s->len),
		    SC_OK);
	}
	/* each signs the hash of the set it saw: participant 1 signs set B's */
	for (int i = 0; i < N; i++)
		assert_int_equal(
		    sc_frost_frame_recv(&peers[i], &t_r2, 1, 1 << 16, 0, &type, &r2[i], &r2_len[i]),
		    SC_OK);
	for (int i = 0; i < N; i++) {
		struct sc_buf out;

		sc_buf_init(&out, 1 << 16, 0);
		for (int k = 0; k < N; k++)
			(void)sc_buf_put(&out, r2[k], 64);
		(void)sc_buf_put_u16(&out, N - 1);
		for (int k = 0; k < N; k++) {
			const uint8_t *e = r2[k] + 64 + 2;

			for (int j = 0; k != i && j + 1 < N; j++, e += BOX_ENTRY)
				if (sc_be16_get(e) == i + 1) {
					(void)sc_buf_put_u16(&out, (uint16_t)(k + 1));
					(void)sc_buf_put(&out, e + 2, BOX_ENTRY - 2);
				}
		}
		assert_int_equal(sc_buf_status(&out), SC_OK);
		assert_int_equal(
		    sc_frost_frame_send(&peers[i], SC_FROST_F_KG_R2_SET, sc_buf_ptr(&out), out.len),
		    SC_OK);
		sc_buf_release(&out);
	}
	for (int i = 0; i < N; i++) {
		unlink_peer(&peers[i]);
		pthread_join(th[i], NULL);
		unlink_peer(&ms[i].coord);
		free(r1[i]);
		free(r2[i]);
	}
	sc_buf_release(&set_a);
	sc_buf_release(&set_b);
	if (equivocate)
		sc_buf_release(&forged);
}

static void members_init(struct member *ms)
{
	for (int i = 0; i < N; i++) {
		memset(&ms[i], 0, sizeof(ms[i]));
		crypto_sign_keypair(ms[i].id.pub, ms[i].sk);
		ms[i].id.sign = id_sign;
		ms[i].id.arg = &ms[i];
	}
}

static void members_release(struct member *ms)
{
	for (int i = 0; i < N; i++) {
		sc_frost_key_package_free(ms[i].kp);
		sc_frost_pubkeys_free(ms[i].pub);
	}
}

static void test_honest_relay_completes(void **state)
{
	struct member ms[N];

	(void)state;
	members_init(ms);
	relay(ms, 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(ms[i].status, SC_OK);
		assert_memory_equal(sc_frost_pubkeys_group_key(ms[i].pub),
		                    sc_frost_pubkeys_group_key(ms[0].pub), SC_FROST_POINT_LEN);
	}
	members_release(ms);
}

static void test_equivocating_coordinator_detected(void **state)
{
	struct member ms[N];

	(void)state;
	members_init(ms);
	relay(ms, 1);
	/* participant 1 (set B) sees 2 signed set A; 2 and 3 see 1 signed set B */
	assert_int_equal(ms[0].status, SC_ERR_CORRUPT);
	assert_string_equal(ms[0].error, "participant 2 saw another round-1 set");
	for (int i = 1; i < N; i++) {
		assert_int_equal(ms[i].status, SC_ERR_CORRUPT);
		assert_string_equal(ms[i].error, "participant 1 saw another round-1 set");
	}
	for (int i = 0; i < N; i++) {
		assert_null(ms[i].kp);
		assert_null(ms[i].pub);
	}
	members_release(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_honest_relay_completes),
	    cmocka_unit_test(test_equivocating_coordinator_detected),
	};

	signal(SIGPIPE, SIG_IGN);
	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
