/* test_frost_dkg.c - the DKG's failure cases: a tampered proof of knowledge
 * or round-2 share names its sender; wrong counts, duplicate or foreign
 * senders, mismatched group sizes and out-of-order calls are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/frost.h"
#include "custody/frost_int.h"

#define N 3

struct run {
	struct sc_frost_dkg *st[N];
	struct sc_frost_dkg_round1 *r1[N];
	struct sc_frost_dkg_round2 *r2[N][N - 1];
};

static void run_release(struct run *x)
{
	size_t i, j;

	for (i = 0; i < N; i++) {
		sc_frost_dkg_free(x->st[i]);
		sc_frost_dkg_round1_free(x->r1[i]);
		for (j = 0; j < N - 1; j++)
			sc_frost_dkg_round2_free(x->r2[i][j]);
	}
	memset(x, 0, sizeof(*x));
}

static void part1_all(struct run *x)
{
	uint16_t i;

	memset(x, 0, sizeof(*x));
	for (i = 0; i < N; i++)
		assert_int_equal(sc_frost_dkg_part1((uint16_t)(i + 1), 2, N, &x->st[i], &x->r1[i]),
		                 SC_OK);
}

static size_t others_of(struct run *x, size_t i, const struct sc_frost_dkg_round1 **out)
{
	size_t j, n = 0;

	for (j = 0; j < N; j++)
		if (j != i)
			out[n++] = x->r1[j];
	return n;
}

static void part2_all(struct run *x)
{
	const struct sc_frost_dkg_round1 *o[N];
	uint16_t culprit;
	size_t i;

	for (i = 0; i < N; i++)
		assert_int_equal(
		    sc_frost_dkg_part2(x->st[i], o, others_of(x, i, o), x->r2[i], &culprit), SC_OK);
}

static size_t mine_of(struct run *x, size_t i, const struct sc_frost_dkg_round2 **out)
{
	size_t j, k, n = 0;

	for (j = 0; j < N; j++)
		for (k = 0; j != i && k < N - 1; k++)
			if (sc_frost_dkg_round2_recipient(x->r2[j][k]) == i + 1)
				out[n++] = x->r2[j][k];
	return n;
}

static void test_bad_pok_named(void **state)
{
	const struct sc_frost_dkg_round1 *o[N];
	struct sc_frost_dkg_round2 *out[N] = {0};
	struct sc_frost_dkg_round1 *saved;
	struct run x;
	uint16_t culprit = 0;
	size_t k;

	(void)state;
	part1_all(&x);
	/* participant 3's proof is altered (mu, then R, then the commitment) */
	for (k = 0; k < 3; k++) {
		uint8_t *field = k == 0 ? x.r1[2]->mu : k == 1 ? x.r1[2]->r : x.r1[2]->commit;
		uint8_t keep[32];

		memcpy(keep, field, 32);
		if (k == 0) {
			field[0] ^= 1;
		} else {
			/* another valid point: the proof no longer matches */
			memcpy(field, x.r1[0]->commit, 32);
		}
		assert_int_equal(sc_frost_dkg_part2(x.st[0], o, others_of(&x, 0, o), out, &culprit),
		                 SC_ERR_CORRUPT);
		assert_int_equal(culprit, 3);
		assert_null(out[0]);
		memcpy(field, keep, 32);
	}
	/* someone replays participant 2's package as their own */
	saved = x.r1[2];
	x.r1[2] = sc_frost_dkg_round1_alloc(2, N);
	assert_non_null(x.r1[2]);
	memcpy(x.r1[2], x.r1[1], sizeof(*saved) + 2 * 32);
	x.r1[2]->id = 3;
	assert_int_equal(sc_frost_dkg_part2(x.st[0], o, others_of(&x, 0, o), out, &culprit),
	                 SC_ERR_CORRUPT);
	assert_int_equal(culprit, 3);
	sc_frost_dkg_round1_free(x.r1[2]);
	x.r1[2] = saved;
	/* intact, it goes through */
	part2_all(&x);
	run_release(&x);
}

static void test_bad_share_named(void **state)
{
	const struct sc_frost_dkg_round2 *m[N];
	struct sc_frost_key_package *kp = (void *)1;
	struct sc_frost_pubkeys *pub = (void *)1;
	struct run x;
	uint16_t culprit = 0;
	size_t n, k;

	(void)state;
	part1_all(&x);
	part2_all(&x);
	n = mine_of(&x, 0, m);
	assert_int_equal(n, 2);
	for (k = 0; k < n; k++) {
		struct sc_frost_dkg_round2 *q = (struct sc_frost_dkg_round2 *)m[k];

		q->share[5] ^= 0x10;
		assert_int_equal(sc_frost_dkg_part3(x.st[0], m, n, &kp, &pub, &culprit),
		                 SC_ERR_CORRUPT);
		assert_int_equal(culprit, sc_frost_dkg_round2_sender(q));
		assert_null(kp);
		assert_null(pub);
		q->share[5] ^= 0x10;
	}
	assert_int_equal(sc_frost_dkg_part3(x.st[0], m, n, &kp, &pub, &culprit), SC_OK);
	assert_int_equal(culprit, 0);
	/* done once: a second part3 is out of order */
	{
		struct sc_frost_key_package *kp2 = NULL;
		struct sc_frost_pubkeys *pub2 = NULL;

		assert_int_equal(sc_frost_dkg_part3(x.st[0], m, n, &kp2, &pub2, &culprit),
		                 SC_ERR_STATE);
	}
	sc_frost_key_package_free(kp);
	sc_frost_pubkeys_free(pub);
	run_release(&x);
}

static void test_refusals(void **state)
{
	const struct sc_frost_dkg_round1 *o[N];
	const struct sc_frost_dkg_round2 *m[N];
	struct sc_frost_dkg_round2 *out[N] = {0};
	struct sc_frost_dkg_round1 *other = NULL;
	struct sc_frost_dkg *ost = NULL, *st = (void *)1;
	struct sc_frost_dkg_round1 *r1 = (void *)1;
	struct sc_frost_key_package *kp = NULL;
	struct sc_frost_pubkeys *pub = NULL;
	struct run x;
	uint16_t culprit;
	size_t n;

	(void)state;
	/* parameters */
	assert_int_equal(sc_frost_dkg_part1(0, 2, 3, &st, &r1), SC_ERR_INVALID);
	assert_null(st);
	assert_null(r1);
	assert_int_equal(sc_frost_dkg_part1(4, 2, 3, &st, &r1), SC_ERR_INVALID);
	assert_int_equal(sc_frost_dkg_part1(1, 1, 3, &st, &r1), SC_ERR_INVALID);
	assert_int_equal(sc_frost_dkg_part1(1, 4, 3, &st, &r1), SC_ERR_INVALID);
	assert_int_equal(sc_frost_dkg_part1(1, 2, 256, &st, &r1), SC_ERR_INVALID);

	part1_all(&x);
	/* part3 before part2 */
	assert_int_equal(sc_frost_dkg_part3(x.st[0], m, 2, &kp, &pub, &culprit), SC_ERR_STATE);
	/* too few, duplicate sender, own package, a package of another group size */
	n = others_of(&x, 0, o);
	assert_int_equal(sc_frost_dkg_part2(x.st[0], o, n - 1, out, &culprit), SC_ERR_INVALID);
	o[1] = o[0];
	assert_int_equal(sc_frost_dkg_part2(x.st[0], o, n, out, &culprit), SC_ERR_INVALID);
	o[1] = x.r1[0];
	assert_int_equal(sc_frost_dkg_part2(x.st[0], o, n, out, &culprit), SC_ERR_INVALID);
	assert_int_equal(sc_frost_dkg_part1(3, 3, N, &ost, &other), SC_OK);
	o[1] = other;
	assert_int_equal(sc_frost_dkg_part2(x.st[0], o, n, out, &culprit), SC_ERR_INVALID);
	sc_frost_dkg_free(ost);
	sc_frost_dkg_round1_free(other);
	part2_all(&x);
	/* part2 twice */
	n = others_of(&x, 0, o);
	assert_int_equal(sc_frost_dkg_part2(x.st[0], o, n, out, &culprit), SC_ERR_STATE);
	/* round-2 packages: one for someone else, a duplicate sender, too few */
	n = mine_of(&x, 0, m);
	{
		const struct sc_frost_dkg_round2 *save = m[1];
		size_t k;

		/* m[1] is from 3 to 1: put 3's share for 2 in its place, so only
		 * the recipient is wrong */
		assert_int_equal(sc_frost_dkg_round2_sender(m[1]), 3);
		for (k = 0; k < N - 1; k++)
			if (sc_frost_dkg_round2_recipient(x.r2[2][k]) == 2)
				m[1] = x.r2[2][k];
		assert_int_equal(sc_frost_dkg_round2_recipient(m[1]), 2);
		assert_int_equal(sc_frost_dkg_part3(x.st[0], m, n, &kp, &pub, &culprit),
		                 SC_ERR_INVALID);
		m[1] = m[0];
		assert_int_equal(sc_frost_dkg_part3(x.st[0], m, n, &kp, &pub, &culprit),
		                 SC_ERR_INVALID);
		m[1] = save;
	}
	assert_int_equal(sc_frost_dkg_part3(x.st[0], m, n - 1, &kp, &pub, &culprit),
	                 SC_ERR_INVALID);
	assert_null(kp);
	assert_int_equal(sc_frost_dkg_part3(x.st[0], m, n, &kp, &pub, &culprit), SC_OK);
	sc_frost_key_package_free(kp);
	sc_frost_pubkeys_free(pub);
	run_release(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_pok_named),
	    cmocka_unit_test(test_bad_share_named),
	    cmocka_unit_test(test_refusals),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
