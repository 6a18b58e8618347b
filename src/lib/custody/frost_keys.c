/* frost_keys.c - FROST keys: a participant's key package, the group's public
 * keys, and the trusted dealer of RFC 9591 appendix C (Shamir split of the
 * group secret, vss_commit, vss_verify, derive_group_info). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/frost.h"
#include "custody/frost_int.h"

/* ---- key package ------------------------------------------------------------ */

uint16_t sc_frost_key_package_id(const struct sc_frost_key_package *kp)
{
	return kp->id;
}

uint16_t sc_frost_key_package_min(const struct sc_frost_key_package *kp)
{
	return kp->min;
}

uint16_t sc_frost_key_package_max(const struct sc_frost_key_package *kp)
{
	return kp->max;
}

const uint8_t *sc_frost_key_package_group_key(const struct sc_frost_key_package *kp)
{
	return kp->group_key;
}

const uint8_t *sc_frost_key_package_verifying_share(const struct sc_frost_key_package *kp)
{
	return kp->verifying_share;
}

const uint8_t *sc_frost_key_package_signing_share(const struct sc_frost_key_package *kp)
{
	return kp->signing_share;
}

void sc_frost_key_package_free(struct sc_frost_key_package *kp)
{
	sc_secmem_free(kp);
}

/* ---- public keys -------------------------------------------------------------- */

struct sc_frost_pubkeys *sc_frost_pubkeys_alloc(uint16_t min, uint16_t max)
{
	struct sc_frost_pubkeys *pub;

	if (!sc_frost_params_valid(min, max))
		return NULL;
	pub = calloc(1, sizeof(*pub) + (size_t)max * FROST_NE);
	if (pub == NULL)
		return NULL;
	pub->min = min;
	pub->max = max;
	return pub;
}

uint16_t sc_frost_pubkeys_min(const struct sc_frost_pubkeys *pub)
{
	return pub->min;
}

uint16_t sc_frost_pubkeys_max(const struct sc_frost_pubkeys *pub)
{
	return pub->max;
}

const uint8_t *sc_frost_pubkeys_group_key(const struct sc_frost_pubkeys *pub)
{
	return pub->group_key;
}

const uint8_t *sc_frost_pubkeys_verifying_share(const struct sc_frost_pubkeys *pub, uint16_t id)
{
	if (pub == NULL || id == 0 || id > pub->max)
		return NULL;
	return pub->shares + (size_t)(id - 1) * FROST_NE;
}

void sc_frost_pubkeys_free(struct sc_frost_pubkeys *pub)
{
	free(pub);
}

/* derive_group_info: the group key is the commitment to the constant term,
 * participant i's verifying share the commitment's value at i. */
static int group_info(const uint8_t *vss, uint16_t min, uint16_t max, struct sc_frost_pubkeys **out)
{
	struct sc_frost_pubkeys *pub;
	uint16_t i;
	int r;

	*out = NULL;
	if ((pub = sc_frost_pubkeys_alloc(min, max)) == NULL)
		return SC_ERR_NOMEM;
	memcpy(pub->group_key, vss, FROST_NE);
	for (i = 1; i <= max; i++) {
		uint8_t *y = pub->shares + (size_t)(i - 1) * FROST_NE;

		if ((r = sc_frost_poly_commit_eval(y, vss, min, i)) != SC_OK)
			goto fail;
		if (!sc_frost_point_valid(y)) {
			sc_set_error("frost: verifying share %u is the identity", i);
			r = SC_ERR_CORRUPT;
			goto fail;
		}
	}
	*out = pub;
	return SC_OK;
fail:
	free(pub);
	return r;
}

/* ---- the trusted dealer ------------------------------------------------------- */

struct sc_frost_share *sc_frost_share_alloc(uint16_t min, uint16_t max)
{
	struct sc_frost_share *sh;

	if (!sc_frost_params_valid(min, max))
		return NULL;
	sh = sc_secmem_alloc(sizeof(*sh) + (size_t)min * FROST_NE);
	if (sh == NULL)
		return NULL;
	sh->min = min;
	sh->max = max;
	return sh;
}

uint16_t sc_frost_share_id(const struct sc_frost_share *share)
{
	return share->id;
}

void sc_frost_share_free(struct sc_frost_share *share)
{
	sc_secmem_free(share);
}

int sc_frost_dealer_split_with(const uint8_t secret[FROST_NS], const uint8_t *coeffs, uint16_t min,
                               uint16_t max, struct sc_frost_share **shares)
{
	uint8_t *poly = NULL, *vss = NULL;
	uint16_t i, j;
	int r = SC_ERR_INVALID;

	if (shares == NULL)
		return SC_ERR_INVALID;
	for (i = 0; i < max; i++)
		shares[i] = NULL;
	if (secret == NULL || coeffs == NULL || !sc_frost_params_valid(min, max)) {
		sc_set_error("frost: threshold %u of %u is not 2 <= min <= max <= %u", min, max,
		             SC_FROST_MAX_PARTICIPANTS);
		return SC_ERR_INVALID;
	}
	/* secret_share_shard: coefficients = [secret] + the others */
	poly = sc_secmem_alloc((size_t)min * FROST_NS);
	vss = malloc((size_t)min * FROST_NE);
	if (poly == NULL || vss == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	memcpy(poly, secret, FROST_NS);
	memcpy(poly + FROST_NS, coeffs, (size_t)(min - 1) * FROST_NS);
	for (j = 0; j < min; j++) {
		const uint8_t *c = poly + (size_t)j * FROST_NS;

		/* a zero coefficient has no serializable commitment (and a zero
		 * secret no group key) */
		if (!sc_frost_scalar_canonical(c) || sc_frost_scalar_is_zero(c)) {
			sc_set_error("frost: a polynomial coefficient is zero or not canonical");
			r = SC_ERR_INVALID;
			goto out;
		}
		/* vss_commit */
		if ((r = sc_frost_mul_base(vss + (size_t)j * FROST_NE, c)) != SC_OK)
			goto out;
	}
	for (i = 1; i <= max; i++) {
		struct sc_frost_share *sh = sc_frost_share_alloc(min, max);

		if (sh == NULL) {
			r = SC_ERR_NOMEM;
			goto out;
		}
		shares[i - 1] = sh;
		sh->id = i;
		sc_frost_poly_eval(sh->secret, poly, min, i);
		memcpy(sh->vss, vss, (size_t)min * FROST_NE);
	}
	r = SC_OK;
out:
	sc_secmem_free(poly);
	free(vss);
	if (r != SC_OK)
		for (i = 0; i < max; i++) {
			sc_frost_share_free(shares[i]);
			shares[i] = NULL;
		}
	return r;
}

int sc_frost_dealer_split(const uint8_t *secret, uint16_t min, uint16_t max,
                          struct sc_frost_share **shares)
{
	uint8_t *s = NULL, *coeffs = NULL;
	uint16_t j;
	int r;

	if (shares == NULL || !sc_frost_params_valid(min, max)) {
		sc_set_error("frost: threshold %u of %u is not 2 <= min <= max <= %u", min, max,
		             SC_FROST_MAX_PARTICIPANTS);
		return SC_ERR_INVALID;
	}
	s = sc_secmem_alloc(FROST_NS);
	coeffs = sc_secmem_alloc((size_t)(min - 1) * FROST_NS);
	if (s == NULL || coeffs == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if (secret != NULL)
		memcpy(s, secret, FROST_NS);
	else
		crypto_core_ed25519_scalar_random(s); /* in ]0, L[ */
	for (j = 0; j + 1 < min; j++)
		crypto_core_ed25519_scalar_random(coeffs + (size_t)j * FROST_NS);
	r = sc_frost_dealer_split_with(s, coeffs, min, max, shares);
out:
	sc_secmem_free(s);
	sc_secmem_free(coeffs);
	return r;
}

int sc_frost_share_verify(const struct sc_frost_share *share, struct sc_frost_key_package **kp,
                          struct sc_frost_pubkeys **pub)
{
	struct sc_frost_key_package *k = NULL;
	struct sc_frost_pubkeys *p = NULL;
	uint8_t expect[FROST_NE];
	int r;

	if (kp != NULL)
		*kp = NULL;
	if (pub != NULL)
		*pub = NULL;
	if (share == NULL || kp == NULL || share->id == 0 || share->id > share->max ||
	    !sc_frost_params_valid(share->min, share->max))
		return SC_ERR_INVALID;
	if ((k = sc_secmem_alloc(sizeof(*k))) == NULL)
		return SC_ERR_NOMEM;
	/* vss_verify: S_i = sk_i * B must equal sum_j C_j * i^j */
	if ((r = sc_frost_mul_base(k->verifying_share, share->secret)) != SC_OK)
		goto out;
	if ((r = sc_frost_poly_commit_eval(expect, share->vss, share->min, share->id)) != SC_OK)
		goto out;
	if (!sc_frost_point_valid(k->verifying_share) ||
	    memcmp(expect, k->verifying_share, FROST_NE) != 0) {
		sc_set_error("frost: share %u does not match the dealer's commitment", share->id);
		r = SC_ERR_CORRUPT;
		goto out;
	}
	k->id = share->id;
	k->min = share->min;
	k->max = share->max;
	memcpy(k->signing_share, share->secret, FROST_NS);
	memcpy(k->group_key, share->vss, FROST_NE);
	if (pub != NULL && (r = group_info(share->vss, share->min, share->max, &p)) != SC_OK)
		goto out;
	*kp = k;
	k = NULL;
	if (pub != NULL)
		*pub = p;
	r = SC_OK;
out:
	sc_frost_key_package_free(k);
	return r;
}

int sc_frost_group_info(const uint8_t *vss, uint16_t min, uint16_t max,
                        struct sc_frost_pubkeys **out)
{
	return group_info(vss, min, max, out);
}
