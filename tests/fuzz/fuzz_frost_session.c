/* fuzz_frost_session.c - libFuzzer target for what a FROST session reads
 * from its peer: the first byte picks the reader, the rest is the peer's
 * byte stream (through a pipe, as a participant's stdin) or a group record.
 *   0  the first request (sc_frost_request_recv)
 *   1  the coordinator's group record: what decodes re-encodes the same
 *   2  a key generation participant after a fixed KG_BEGIN (2-of-3, id 1):
 *      the round-1 set and round-2 set decoders; no share may come out
 *   3  a signing participant after a SG_BEGIN: the signing package reader
 *   4  a split participant after a fixed SP_BEGIN (2-of-3, id 1): the
 *      dealer share's reader (its size, the seal); no share may come out
 *   5  a dealer of a 2-of-2 split whose two participants both answer the
 *      stream: the hello and completion readers; no group may come out
 *   6, 7 as 3
 * Nothing may crash, hang past the read deadline, or succeed on garbage. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "secretctl/frost_session.h"
#include "secretctl/secretctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STREAM_MAX 60000 /* below a pipe's buffer: written at once, no thread */

static uint8_t id_sk[crypto_sign_SECRETKEYBYTES];
static int drain = -1; /* the read end of the answers' pipe, kept open */
static int drain2 = -1;

static int id_sign(void *arg, const uint8_t *msg, size_t len, uint8_t sig[SC_FROST_ID_SIG_LEN])
{
	(void)arg;
	return crypto_sign_detached(sig, NULL, msg, len, id_sk) == 0 ? SC_OK : SC_ERR_CRYPTO;
}

/* A peer whose stream is data (then EOF) and whose answers go nowhere. */
static int peer(struct sc_frost_peer *p, const uint8_t *data, size_t size)
{
	int in[2], out[2];

	if (size > STREAM_MAX || pipe(in) != 0)
		return -1;
	if (pipe(out) != 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	/* answers are small; a pipe holds them all */
	(void)fcntl(out[1], F_SETFL, O_NONBLOCK);
	if (size > 0 && write(in[1], data, size) != (ssize_t)size)
		abort();
	close(in[1]);
	memset(p, 0, sizeof(*p));
	p->from = in[0];
	p->to = out[1];
	p->timeout_ms = 1000;
	drain = out[0];
	return 0;
}

static void unpeer(struct sc_frost_peer *p)
{
	close(p->from);
	close(p->to);
	close(drain);
	drain = -1;
}

static void group(const uint8_t *data, size_t size)
{
	struct sc_frost_group g;
	uint8_t *enc = NULL;
	size_t len = 0;

	if (sc_frost_group_decode(data, size, &g) != SC_OK) {
		if (g.members != NULL || g.pub != NULL)
			abort();
		return;
	}
	if (sc_frost_group_encode(&g, &enc, &len) != SC_OK || len != size ||
	    memcmp(enc, data, size) != 0)
		abort();
	free(enc);
	sc_frost_group_release(&g);
}

static void keygen(const uint8_t *data, size_t size)
{
	struct sc_frost_request rq;
	struct sc_frost_identity id;
	struct sc_frost_key_package *kp = (void *)1;
	struct sc_frost_pubkeys *pub = (void *)1;
	struct sc_frost_peer p;
	uint8_t seed[32] = {7};

	crypto_sign_seed_keypair(id.pub, id_sk, seed);
	id.sign = id_sign;
	id.arg = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.type = SC_FROST_F_KG_BEGIN;
	rq.id = 1;
	rq.min = 2;
	rq.max = 3;
	memcpy(rq.group, "fuzz", 5);
	if (peer(&p, data, size) != 0)
		return;
	/* the set must hold our own fresh package as sent: garbage never passes */
	if (sc_frost_kg_participate(&p, &rq, &id, NULL, NULL, &kp, &pub) == SC_OK)
		abort();
	if (kp != NULL || pub != NULL)
		abort();
	unpeer(&p);
}

static void sign(const uint8_t *data, size_t size)
{
	static struct sc_frost_key_package *kp;
	struct sc_frost_request rq;
	struct sc_frost_peer p;

	if (kp == NULL) {
		struct sc_frost_share *sh[2] = {NULL, NULL};

		if (sc_frost_dealer_split(NULL, 2, 2, sh) != SC_OK ||
		    sc_frost_share_verify(sh[0], &kp, NULL) != SC_OK)
			abort();
		sc_frost_share_free(sh[0]);
		sc_frost_share_free(sh[1]);
	}
	memset(&rq, 0, sizeof(rq));
	rq.type = SC_FROST_F_SG_BEGIN;
	rq.id = 1;
	memcpy(rq.group, "fuzz", 5);
	memcpy(rq.group_key, sc_frost_key_package_group_key(kp), SC_FROST_POINT_LEN);
	if (peer(&p, data, size) != 0)
		return;
	/* our commitment is fresh: no stream can hold it, so none signs */
	if (sc_frost_sign_participate(&p, &rq, kp, NULL, NULL) == SC_OK)
		abort();
	unpeer(&p);
}

static void split_part(const uint8_t *data, size_t size)
{
	struct sc_frost_request rq;
	struct sc_frost_identity id;
	struct sc_frost_key_package *kp = (void *)1;
	struct sc_frost_pubkeys *pub = (void *)1;
	struct sc_frost_peer p;
	uint8_t seed[32] = {9};

	crypto_sign_seed_keypair(id.pub, id_sk, seed);
	id.sign = id_sign;
	id.arg = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.type = SC_FROST_F_SP_BEGIN;
	rq.id = 1;
	rq.min = 2;
	rq.max = 3;
	memcpy(rq.group, "fuzz", 5);
	if (peer(&p, data, size) != 0)
		return;
	/* the share must be sealed to our fresh box key: garbage never opens */
	if (sc_frost_split_participate(&p, &rq, &id, &kp, &pub) == SC_OK)
		abort();
	if (kp != NULL || pub != NULL)
		abort();
	unpeer(&p);
}

static void split_dealer(const uint8_t *data, size_t size)
{
	struct sc_frost_share *sh[2] = {NULL, NULL};
	struct sc_frost_pubkeys *pub = (void *)1;
	uint8_t ids[2][SC_FROST_ID_PUB_LEN];
	struct sc_frost_peer p[2];
	size_t culprit = 0;

	if (sc_frost_dealer_split(NULL, 2, 2, sh) != SC_OK)
		abort();
	if (peer(&p[0], data, size) != 0)
		goto out;
	drain2 = drain;
	if (peer(&p[1], data, size) != 0) {
		close(drain2);
		drain = -1;
		close(p[0].from);
		close(p[0].to);
		goto out;
	}
	/* a hello signs this run's random session: no stream can hold one */
	if (sc_frost_split_coordinate(p, 2, "fuzz", sh, ids, &pub, &culprit) == SC_OK ||
	    pub != NULL || culprit < 1 || culprit > 2)
		abort();
	unpeer(&p[1]);
	close(p[0].from);
	close(p[0].to);
	close(drain2);
	drain2 = -1;
out:
	sc_frost_share_free(sh[0]);
	sc_frost_share_free(sh[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sc_frost_request rq;
	struct sc_frost_peer p;

	if (!ready) {
		if (sc_init() != SC_OK)
			abort();
		ready = 1;
	}
	if (size < 1)
		return 0;
	switch (data[0] & 7) {
	case 0:
		if (peer(&p, data + 1, size - 1) != 0)
			return 0;
		if (sc_frost_request_recv(&p, &rq) == SC_OK &&
		    (!sc_frost_name_valid(rq.group) ||
		     (rq.type != SC_FROST_F_KG_BEGIN && rq.type != SC_FROST_F_SP_BEGIN &&
		      rq.type != SC_FROST_F_SG_BEGIN)))
			abort();
		unpeer(&p);
		break;
	case 1:
		group(data + 1, size - 1);
		break;
	case 2:
		keygen(data + 1, size - 1);
		break;
	case 4:
		split_part(data + 1, size - 1);
		break;
	case 5:
		split_dealer(data + 1, size - 1);
		break;
	default:
		sign(data + 1, size - 1);
		break;
	}
	return 0;
}
