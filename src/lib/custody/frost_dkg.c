/* frost_dkg.c - distributed key generation for FROST: Pedersen's DKG with a
 * Schnorr proof of knowledge of each constant term (Komlo-Goldberg, FROST,
 * figure 1), in the form ZcashFoundation/frost uses, so no party ever
 * holds the group secret. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/frost.h"
#include "custody/frost_int.h"

struct sc_frost_dkg_round1 *sc_frost_dkg_round1_alloc(uint16_t min, uint16_t max)
{
	struct sc_frost_dkg_round1 *r1;

	if (!sc_frost_params_valid(min, max))
		return NULL;
	if ((r1 = calloc(1, sizeof(*r1) + (size_t)min * FROST_NE)) == NULL)
		return NULL;
	r1->min = min;
	r1->max = max;
	return r1;
}

uint16_t sc_frost_dkg_round1_sender(const struct sc_frost_dkg_round1 *r1)
{
	return r1->id;
}

const uint8_t *sc_frost_dkg_round1_commitment(const struct sc_frost_dkg_round1 *r1, size_t j)
{
	return j < r1->min ? r1->commit + j * FROST_NE : NULL;
}

const uint8_t *sc_frost_dkg_round1_proof_r(const struct sc_frost_dkg_round1 *r1)
{
	return r1->r;
}

const uint8_t *sc_frost_dkg_round1_proof_mu(const struct sc_frost_dkg_round1 *r1)
{
	return r1->mu;
}

void sc_frost_dkg_round1_free(struct sc_frost_dkg_round1 *r1)
{
	free(r1);
}

uint16_t sc_frost_dkg_round2_sender(const struct sc_frost_dkg_round2 *r2)
{
	return r2->sender;
}

uint16_t sc_frost_dkg_round2_recipient(const struct sc_frost_dkg_round2 *r2)
{
	return r2->recipient;
}

const uint8_t *sc_frost_dkg_round2_share(const struct sc_frost_dkg_round2 *r2)
{
	return r2->share;
}

void sc_frost_dkg_round2_free(struct sc_frost_dkg_round2 *r2)
{
	sc_secmem_free(r2);
}

void sc_frost_dkg_free(struct sc_frost_dkg *state)
{
	if (state == NULL)
		return;
	free(state->commits);
	sc_secmem_free(state);
}

/* c = HDKG(SerializeScalar(id) || phi_0 || R) */
static void pok_challenge(uint8_t c[FROST_NS], const struct sc_frost_dkg_round1 *r1)
{
	uint8_t in[FROST_NS + 2 * FROST_NE];

	sc_frost_scalar_from_id(in, r1->id);
	memcpy(in + FROST_NS, r1->commit, FROST_NE);
	memcpy(in + FROST_NS + FROST_NE, r1->r, FROST_NE);
	sc_frost_hdkg(c, in, sizeof(in));
}

int sc_frost_dkg_round1_check(const struct sc_frost_dkg_round1 *r1)
{
	uint8_t c[FROST_NS], lhs[FROST_NE], rhs[FROST_NE];
	size_t j;
	int r;

	if (r1->id == 0 || r1->id > r1->max || !sc_frost_params_valid(r1->min, r1->max) ||
	    !sc_frost_scalar_canonical(r1->mu) || !sc_frost_point_valid(r1->r))
		return SC_ERR_CORRUPT;
	for (j = 0; j < r1->min; j++)
		if (!sc_frost_point_valid(r1->commit + j * FROST_NE))
			return SC_ERR_CORRUPT;
	/* mu * B == R + c * phi_0 */
	pok_challenge(c, r1);
	if ((r = sc_frost_mul_base(lhs, r1->mu)) != SC_OK ||
	    (r = sc_frost_mul(rhs, c, r1->commit)) != SC_OK ||
	    (r = sc_frost_add(rhs, r1->r, rhs)) != SC_OK)
		return SC_ERR_CORRUPT;
	return memcmp(lhs, rhs, FROST_NE) == 0 ? SC_OK : SC_ERR_CORRUPT;
}

int sc_frost_dkg_part1_with(uint16_t id, uint16_t min, uint16_t max, const uint8_t *coeffs,
                            const uint8_t k[FROST_NS], struct sc_frost_dkg **state,
                            struct sc_frost_dkg_round1 **out)
{
	struct sc_frost_dkg *st = NULL;
	struct sc_frost_dkg_round1 *r1 = NULL;
	uint8_t *t = NULL;
	uint16_t j;
	int r = SC_ERR_INVALID;

	if (state != NULL)
		*state = NULL;
	if (out != NULL)
		*out = NULL;
	if (coeffs == NULL || k == NULL || state == NULL || out == NULL)
		return SC_ERR_INVALID;
	if (!sc_frost_params_valid(min, max) || id == 0 || id > max) {
		sc_set_error("frost: participant %u of a %u-of-%u group", id, min, max);
		return SC_ERR_INVALID;
	}
	for (j = 0; j <= min; j++) {
		const uint8_t *c = j < min ? coeffs + (size_t)j * FROST_NS : k;

		if (!sc_frost_scalar_canonical(c) || sc_frost_scalar_is_zero(c)) {
			sc_set_error("frost: a DKG coefficient is zero or not canonical");
			return SC_ERR_INVALID;
		}
	}
	st = sc_secmem_alloc(sizeof(*st) + (size_t)min * FROST_NS);
	r1 = sc_frost_dkg_round1_alloc(min, max);
	t = sc_secmem_alloc(FROST_NS);
	if (st == NULL || r1 == NULL || t == NULL ||
	    (st->commits = calloc((size_t)max * min, FROST_NE)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	st->id = r1->id = id;
	st->min = min;
	st->max = max;
	memcpy(st->coeff, coeffs, (size_t)min * FROST_NS);
	for (j = 0; j < min; j++)
		if ((r = sc_frost_mul_base(r1->commit + (size_t)j * FROST_NE,
		                           coeffs + (size_t)j * FROST_NS)) != SC_OK)
			goto out;
	/* proof of knowledge of a_0: R = k*B, mu = k + a_0 * c */
	if ((r = sc_frost_mul_base(r1->r, k)) != SC_OK)
		goto out;
	pok_challenge(t, r1);
	crypto_core_ed25519_scalar_mul(t, coeffs, t);
	crypto_core_ed25519_scalar_add(r1->mu, k, t);
	memcpy(st->commits + (size_t)(id - 1) * min * FROST_NE, r1->commit, (size_t)min * FROST_NE);
	st->stage = 1;
	*state = st;
	*out = r1;
	st = NULL;
	r1 = NULL;
	r = SC_OK;
out:
	sc_secmem_free(t);
	sc_frost_dkg_free(st);
	sc_frost_dkg_round1_free(r1);
	return r;
}

int sc_frost_dkg_part1(uint16_t id, uint16_t min, uint16_t max, struct sc_frost_dkg **state,
                       struct sc_frost_dkg_round1 **out)
{
	uint8_t *rnd;
	uint16_t j;
	int r;

	if (state != NULL)
		*state = NULL;
	if (out != NULL)
		*out = NULL;
	if (!sc_frost_params_valid(min, max)) {
		sc_set_error("frost: threshold %u of %u is not 2 <= min <= max <= %u", min, max,
		             SC_FROST_MAX_PARTICIPANTS);
		return SC_ERR_INVALID;
	}
	if ((rnd = sc_secmem_alloc((size_t)(min + 1) * FROST_NS)) == NULL)
		return SC_ERR_NOMEM;
	for (j = 0; j <= min; j++)
		crypto_core_ed25519_scalar_random(rnd + (size_t)j * FROST_NS); /* ]0, L[ */
	r = sc_frost_dkg_part1_with(id, min, max, rnd, rnd + (size_t)min * FROST_NS, state, out);
	sc_secmem_free(rnd);
	return r;
}

int sc_frost_dkg_part2(struct sc_frost_dkg *st, const struct sc_frost_dkg_round1 *const *r1,
                       size_t n, struct sc_frost_dkg_round2 **out, uint16_t *culprit)
{
	uint8_t seen[SC_FROST_MAX_PARTICIPANTS + 1] = {0};
	size_t i;
	int r = SC_ERR_INVALID;

	if (culprit != NULL)
		*culprit = 0;
	if (st == NULL || r1 == NULL || out == NULL || culprit == NULL)
		return SC_ERR_INVALID;
	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (st->stage != 1) {
		sc_set_error("frost: DKG part 2 out of order");
		return SC_ERR_STATE;
	}
	if (n != (size_t)st->max - 1) {
		sc_set_error("frost: %zu round-1 packages for %u other participants", n,
		             st->max - 1);
		return SC_ERR_INVALID;
	}
	for (i = 0; i < n; i++) {
		const struct sc_frost_dkg_round1 *p = r1[i];

		if (p == NULL || p->id == 0 || p->id > st->max || p->id == st->id || seen[p->id] ||
		    p->min != st->min || p->max != st->max) {
			sc_set_error("frost: round-1 package %zu has a bad sender or group size",
			             i);
			return SC_ERR_INVALID;
		}
		seen[p->id] = 1;
		if (sc_frost_dkg_round1_check(p) != SC_OK) {
			*culprit = p->id;
			sc_set_error("frost: the proof of knowledge of participant %u is invalid",
			             p->id);
			return SC_ERR_CORRUPT;
		}
	}
	for (i = 0; i < n; i++) {
		struct sc_frost_dkg_round2 *q = sc_secmem_alloc(sizeof(*q));

		if (q == NULL) {
			r = SC_ERR_NOMEM;
			goto fail;
		}
		out[i] = q;
		q->sender = st->id;
		q->recipient = r1[i]->id;
		sc_frost_poly_eval(q->share, st->coeff, st->min, q->recipient);
		memcpy(st->commits + (size_t)(r1[i]->id - 1) * st->min * FROST_NE, r1[i]->commit,
		       (size_t)st->min * FROST_NE);
	}
	st->stage = 2;
	return SC_OK;
fail:
	for (i = 0; i < n; i++) {
		sc_frost_dkg_round2_free(out[i]);
		out[i] = NULL;
	}
	return r;
}

int sc_frost_dkg_part3(struct sc_frost_dkg *st, const struct sc_frost_dkg_round2 *const *r2,
                       size_t n, struct sc_frost_key_package **kp, struct sc_frost_pubkeys **pub,
                       uint16_t *culprit)
{
	uint8_t seen[SC_FROST_MAX_PARTICIPANTS + 1] = {0};
	struct sc_frost_key_package *k = NULL;
	struct sc_frost_pubkeys *p = NULL;
	uint8_t *sum = NULL, expect[FROST_NE], got[FROST_NE];
	size_t i, j, row = (size_t)st->min * FROST_NE;
	int r = SC_ERR_INVALID;

	if (kp != NULL)
		*kp = NULL;
	if (pub != NULL)
		*pub = NULL;
	if (culprit != NULL)
		*culprit = 0;
	if (st == NULL || r2 == NULL || kp == NULL || pub == NULL || culprit == NULL)
		return SC_ERR_INVALID;
	if (st->stage != 2) {
		sc_set_error("frost: DKG part 3 out of order");
		return SC_ERR_STATE;
	}
	if (n != (size_t)st->max - 1) {
		sc_set_error("frost: %zu round-2 packages for %u other participants", n,
		             st->max - 1);
		return SC_ERR_INVALID;
	}
	for (i = 0; i < n; i++) {
		const struct sc_frost_dkg_round2 *q = r2[i];

		if (q == NULL || q->recipient != st->id || q->sender == 0 || q->sender > st->max ||
		    q->sender == st->id || seen[q->sender]) {
			sc_set_error("frost: round-2 package %zu has a bad sender or recipient", i);
			return SC_ERR_INVALID;
		}
		seen[q->sender] = 1;
	}
	if ((k = sc_secmem_alloc(sizeof(*k))) == NULL || (sum = malloc(row)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	/* each share must be the sender's committed polynomial at our identifier */
	sc_frost_poly_eval(k->signing_share, st->coeff, st->min, st->id);
	for (i = 0; i < n; i++) {
		const struct sc_frost_dkg_round2 *q = r2[i];

		if (!sc_frost_scalar_canonical(q->share) ||
		    sc_frost_poly_commit_eval(expect, st->commits + (q->sender - 1) * row, st->min,
		                              st->id) != SC_OK ||
		    sc_frost_mul_base(got, q->share) != SC_OK ||
		    memcmp(expect, got, FROST_NE) != 0) {
			*culprit = q->sender;
			sc_set_error("frost: the DKG share from participant %u does not match its "
			             "commitment",
			             q->sender);
			r = SC_ERR_CORRUPT;
			goto out;
		}
		crypto_core_ed25519_scalar_add(k->signing_share, k->signing_share, q->share);
	}
	/* the group's commitment is the sum of everyone's */
	memcpy(sum, st->commits, row);
	for (i = 1; i < st->max; i++)
		for (j = 0; j < st->min; j++)
			if ((r = sc_frost_add(sum + j * FROST_NE, sum + j * FROST_NE,
			                      st->commits + i * row + j * FROST_NE)) != SC_OK)
				goto out;
	if (!sc_frost_point_valid(sum)) {
		sc_set_error("frost: the DKG's group key is the identity");
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((r = sc_frost_group_info(sum, st->min, st->max, &p)) != SC_OK)
		goto out;
	k->id = st->id;
	k->min = st->min;
	k->max = st->max;
	memcpy(k->group_key, p->group_key, FROST_NE);
	if ((r = sc_frost_mul_base(k->verifying_share, k->signing_share)) != SC_OK)
		goto out;
	if (memcmp(k->verifying_share, sc_frost_pubkeys_verifying_share(p, st->id), FROST_NE) !=
	    0) {
		r = SC_ERR_INTERNAL; /* every share checked above: cannot happen */
		goto out;
	}
	sodium_memzero(st->coeff, (size_t)st->min * FROST_NS);
	st->stage = 3;
	*kp = k;
	*pub = p;
	k = NULL;
	p = NULL;
	r = SC_OK;
out:
	free(sum);
	sc_frost_key_package_free(k);
	sc_frost_pubkeys_free(p);
	return r;
}
