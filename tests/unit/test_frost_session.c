/* test_frost_session.c - FROST between devices, in process: a 2-of-3 key
 * generation and signatures by each pair over pipes (participants on
 * threads), the frame reader's refusals (type, bound, truncation, EOF,
 * deadline, a peer's ERROR), and the coordinator's group record. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "secretctl/buf.h"
#include "secretctl/frost_session.h"
#include "secretctl/secretctl.h"

#define N 3

struct member {
	struct sc_frost_peer coord; /* its end */
	struct sc_frost_identity id;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	struct sc_frost_key_package *kp;
	struct sc_frost_pubkeys *pub;
	int status;
};

static int id_sign(void *arg, const uint8_t *msg, size_t len, uint8_t sig[SC_FROST_ID_SIG_LEN])
{
	struct member *m = arg;

	return crypto_sign_detached(sig, NULL, msg, len, m->sk) == 0 ? SC_OK : SC_ERR_CRYPTO;
}

/* Two pipes: the coordinator's peer c and the participant's end p. */
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

static void *keygen_thread(void *arg)
{
	struct member *m = arg;
	struct sc_frost_request rq;

	m->status = sc_frost_request_recv(&m->coord, &rq);
	if (m->status == SC_OK)
		m->status =
		    sc_frost_kg_participate(&m->coord, &rq, &m->id, NULL, NULL, &m->kp, &m->pub);
	if (m->status == SC_OK)
		m->status = sc_frost_kg_done(&m->coord, &rq, &m->id, m->pub);
	return NULL;
}

static void *sign_thread(void *arg)
{
	struct member *m = arg;
	struct sc_frost_request rq;

	m->status = sc_frost_request_recv(&m->coord, &rq);
	if (m->status == SC_OK)
		m->status = sc_frost_sign_participate(&m->coord, &rq, m->kp, NULL, NULL);
	return NULL;
}

static struct member members[N];
static struct sc_frost_pubkeys *group_pub;

static void keygen(void)
{
	struct sc_frost_peer peers[N];
	pthread_t th[N];
	uint8_t ids[N][SC_FROST_ID_PUB_LEN];
	size_t culprit = 9;

	for (int i = 0; i < N; i++) {
		memset(&members[i], 0, sizeof(members[i]));
		crypto_sign_keypair(members[i].id.pub, members[i].sk);
		members[i].id.sign = id_sign;
		members[i].id.arg = &members[i];
		link_peers(&peers[i], &members[i].coord);
		assert_int_equal(pthread_create(&th[i], NULL, keygen_thread, &members[i]), 0);
	}
	assert_int_equal(sc_frost_kg_coordinate(peers, N, 2, "unit", ids, &group_pub, &culprit),
	                 SC_OK);
	assert_int_equal(culprit, 0);
	for (int i = 0; i < N; i++) {
		unlink_peer(&peers[i]);
		pthread_join(th[i], NULL);
		unlink_peer(&members[i].coord);
		assert_int_equal(members[i].status, SC_OK);
		assert_memory_equal(ids[i], members[i].id.pub, SC_FROST_ID_PUB_LEN);
		assert_int_equal(sc_frost_key_package_id(members[i].kp), i + 1);
		assert_memory_equal(sc_frost_key_package_group_key(members[i].kp),
		                    sc_frost_pubkeys_group_key(group_pub), SC_FROST_POINT_LEN);
	}
}

static void release(void)
{
	for (int i = 0; i < N; i++) {
		sc_frost_key_package_free(members[i].kp);
		sc_frost_pubkeys_free(members[i].pub);
	}
	sc_frost_pubkeys_free(group_pub);
	group_pub = NULL;
}

static int sign_with(int a, int b, uint8_t sig[SC_FROST_SIG_LEN], size_t *culprit)
{
	static const uint8_t msg[] = "test_frost_session";
	struct sc_frost_peer peers[2];
	pthread_t th[2];
	int who[2] = {a, b}, r;
	uint16_t ids[2] = {(uint16_t)(a + 1), (uint16_t)(b + 1)};

	for (int i = 0; i < 2; i++) {
		link_peers(&peers[i], &members[who[i]].coord);
		assert_int_equal(pthread_create(&th[i], NULL, sign_thread, &members[who[i]]), 0);
	}
	r = sc_frost_sign_coordinate(peers, ids, 2, "unit", group_pub, msg, sizeof(msg), sig,
	                             culprit);
	for (int i = 0; i < 2; i++) {
		unlink_peer(&peers[i]);
		pthread_join(th[i], NULL);
		unlink_peer(&members[who[i]].coord);
	}
	if (r == SC_OK)
		assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg),
		                                             sc_frost_pubkeys_group_key(group_pub)),
		                 0);
	return r;
}

static void test_keygen_and_every_pair(void **state)
{
	uint8_t sig[SC_FROST_SIG_LEN], first[SC_FROST_SIG_LEN];
	size_t culprit = 9;

	(void)state;
	keygen();
	assert_int_equal(sign_with(0, 1, first, &culprit), SC_OK);
	assert_int_equal(culprit, 0);
	assert_int_equal(sign_with(0, 2, sig, &culprit), SC_OK);
	assert_int_equal(sign_with(2, 1, sig, &culprit), SC_OK);
	/* fresh nonces: the same message signs differently every time */
	assert_int_equal(sign_with(0, 1, sig, &culprit), SC_OK);
	assert_memory_not_equal(sig, first, SC_FROST_SIG_LEN);
	release();
}

/* The frame reader, fed by hand. */
static int feed(const uint8_t *bytes, size_t n, uint8_t want, size_t max, uint32_t timeout_ms,
                int keep_open, struct sc_frost_peer *p, uint8_t **pl, size_t *len)
{
	int fds[2], r;
	uint8_t type;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], bytes, n), (ssize_t)n);
	if (!keep_open)
		close(fds[1]);
	memset(p, 0, sizeof(*p));
	p->from = fds[0];
	p->to = -1;
	p->timeout_ms = timeout_ms;
	r = sc_frost_frame_recv(p, &want, 1, max, 0, &type, pl, len);
	close(fds[0]);
	if (keep_open)
		close(fds[1]);
	return r;
}

static void test_frames(void **state)
{
	static const uint8_t ok[] = {0, 0, 0, 4, 0x21, 'a', 'b', 'c'};
	static const uint8_t other[] = {0, 0, 0, 4, 0x23, 'a', 'b', 'c'};
	static const uint8_t big[] = {0, 0, 0, 9, 0x21, 'a', 'b', 'c'};
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x21};
	static const uint8_t zero[] = {0, 0, 0, 0, 0x21};
	static const uint8_t err[] = {0, 0, 0, 5, 0x7f, 'n', 'o', '\n', 0x1b};
	struct sc_frost_peer p;
	uint8_t *pl = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(feed(ok, sizeof(ok), 0x21, 3, 1000, 0, &p, &pl, &len), SC_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(pl, "abc", 3);
	free(pl);
	assert_int_equal(feed(other, sizeof(other), 0x21, 3, 1000, 0, &p, &pl, &len),
	                 SC_ERR_CORRUPT);
	assert_null(pl);
	/* over the bound for its type, however much is sent */
	assert_int_equal(feed(ok, sizeof(ok), 0x21, 2, 1000, 0, &p, &pl, &len), SC_ERR_CORRUPT);
	assert_int_equal(feed(huge, sizeof(huge), 0x21, SC_FROST_FRAME_MAX, 1000, 0, &p, &pl, &len),
	                 SC_ERR_CORRUPT);
	assert_int_equal(feed(zero, sizeof(zero), 0x21, 3, 1000, 0, &p, &pl, &len), SC_ERR_CORRUPT);
	/* truncated, the end of the stream, silence */
	assert_int_equal(feed(big, sizeof(big), 0x21, 16, 1000, 0, &p, &pl, &len), SC_ERR_CORRUPT);
	assert_int_equal(feed(ok, 3, 0x21, 3, 1000, 0, &p, &pl, &len), SC_ERR_CORRUPT);
	assert_int_equal(feed(ok, 0, 0x21, 3, 1000, 0, &p, &pl, &len), SC_ERR_NOT_FOUND);
	assert_int_equal(feed(ok, 0, 0x21, 3, 100, 1, &p, &pl, &len), SC_ERR_TIMEOUT);
	assert_int_equal(feed(big, sizeof(big), 0x21, 16, 100, 1, &p, &pl, &len), SC_ERR_TIMEOUT);
	/* a refusal: its text kept printable */
	assert_int_equal(feed(err, sizeof(err), 0x21, 3, 1000, 0, &p, &pl, &len), SC_ERR_DENIED);
	assert_string_equal(p.error, "no??");
	assert_null(pl);
}

static void test_group_record(void **state)
{
	char dir[] = "/tmp/test_frost_session.XXXXXX", path[128], **names = NULL;
	struct sc_frost_group g, h;
	struct sc_frost_member m[N];
	uint8_t *enc = NULL;
	size_t len = 0, n = 0;

	(void)state;
	keygen();
	memset(&g, 0, sizeof(g));
	memset(m, 0, sizeof(m));
	memcpy(g.name, "unit", 5);
	g.n = N;
	g.members = m;
	g.pub = group_pub;
	for (int i = 0; i < N; i++) {
		snprintf(m[i].name, sizeof(m[i].name), "p%d", i);
		snprintf(m[i].command, sizeof(m[i].command),
		         "ssh host%d secretctl frost participate", i);
		memcpy(m[i].id_pub, members[i].id.pub, SC_FROST_ID_PUB_LEN);
	}
	assert_non_null(mkdtemp(dir));
	assert_int_equal(sc_frost_group_save(dir, &g), SC_OK);
	assert_int_equal(sc_frost_group_save(dir, &g), SC_ERR_EXISTS);
	assert_int_equal(sc_frost_group_load(dir, "unit", &h), SC_OK);
	assert_int_equal(h.n, N);
	assert_string_equal(h.members[2].command, "ssh host2 secretctl frost participate");
	assert_memory_equal(sc_frost_pubkeys_group_key(h.pub),
	                    sc_frost_pubkeys_group_key(group_pub), SC_FROST_POINT_LEN);
	sc_frost_group_release(&h);
	assert_int_equal(sc_frost_group_list(dir, &names, &n), SC_OK);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "unit");
	free(names[0]);
	free(names);
	assert_int_equal(sc_frost_group_load(dir, "other", &h), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_frost_group_load(dir, "../x", &h), SC_ERR_NAME);
	/* every truncation and a trailing byte are refused */
	assert_int_equal(sc_frost_group_encode(&g, &enc, &len), SC_OK);
	for (size_t k = 0; k < len; k++)
		assert_int_not_equal(sc_frost_group_decode(enc, k, &h), SC_OK);
	enc = realloc(enc, len + 1);
	assert_non_null(enc);
	enc[len] = 0;
	assert_int_equal(sc_frost_group_decode(enc, len + 1, &h), SC_ERR_CORRUPT);
	free(enc);
	/* a record others can read or write is not ours */
	snprintf(path, sizeof(path), "%s/frost/unit.group", dir);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(sc_frost_group_load(dir, "unit", &h), SC_ERR_PERM);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/frost", dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(dir), 0);
	release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keygen_and_every_pair),
	    cmocka_unit_test(test_frames),
	    cmocka_unit_test(test_group_record),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
