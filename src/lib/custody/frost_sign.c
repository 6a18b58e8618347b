/* frost_sign.c - the two FROST signing rounds of RFC 9591 section 5:
 * commit, the signing package, binding factors, group commitment,
 * challenge, sign, verify_signature_share and aggregate. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/frost.h"
#include "custody/frost_int.h"

#define PREFIX_LEN (FROST_NE + 64 + 64)

/* ---- round one -------------------------------------------------------------- */

int sc_frost_commit_with_randomness(const struct sc_frost_key_package *kp,
                                    const uint8_t hiding_rand[32], const uint8_t binding_rand[32],
                                    struct sc_frost_nonce **nonce,
                                    struct sc_frost_commitment *commitment)
{
	struct sc_frost_nonce *n;
	int r;

	if (nonce != NULL)
		*nonce = NULL;
	if (kp == NULL || hiding_rand == NULL || binding_rand == NULL || nonce == NULL ||
	    commitment == NULL)
		return SC_ERR_INVALID;
	if ((n = sc_secmem_alloc(sizeof(*n))) == NULL)
		return SC_ERR_NOMEM;
	sc_frost_nonce_generate(n->hiding, hiding_rand, kp->signing_share);
	sc_frost_nonce_generate(n->binding, binding_rand, kp->signing_share);
	n->commitment.id = kp->id;
	if ((r = sc_frost_mul_base(n->commitment.hiding, n->hiding)) != SC_OK ||
	    (r = sc_frost_mul_base(n->commitment.binding, n->binding)) != SC_OK)
		goto fail;
	/* a zero nonce (probability 2^-252) has no serializable commitment */
	if (!sc_frost_point_valid(n->commitment.hiding) ||
	    !sc_frost_point_valid(n->commitment.binding)) {
		r = SC_ERR_CRYPTO;
		goto fail;
	}
	*commitment = n->commitment;
	*nonce = n;
	return SC_OK;
fail:
	sc_secmem_free(n);
	return r;
}

int sc_frost_commit(const struct sc_frost_key_package *kp, struct sc_frost_nonce **nonce,
                    struct sc_frost_commitment *commitment)
{
	uint8_t *rnd;
	int r;

	if (nonce != NULL)
		*nonce = NULL;
	if ((rnd = sc_secmem_alloc(64)) == NULL)
		return SC_ERR_NOMEM;
	sc_random(rnd, 64);
	r = sc_frost_commit_with_randomness(kp, rnd, rnd + 32, nonce, commitment);
	sc_secmem_free(rnd);
	return r;
}

const struct sc_frost_commitment *sc_frost_nonce_commitment(const struct sc_frost_nonce *nonce)
{
	return nonce == NULL ? NULL : &nonce->commitment;
}

void sc_frost_nonce_scalars(const struct sc_frost_nonce *n, uint8_t hiding[FROST_NS],
                            uint8_t binding[FROST_NS])
{
	memcpy(hiding, n->hiding, FROST_NS);
	memcpy(binding, n->binding, FROST_NS);
}

void sc_frost_nonce_free(struct sc_frost_nonce *nonce)
{
	sc_secmem_free(nonce);
}

/* ---- the signing package ---------------------------------------------------- */

int sc_frost_signing_package_new(const uint8_t group_key[SC_FROST_POINT_LEN],
                                 const struct sc_frost_commitment *commitments, size_t n,
                                 const uint8_t *msg, size_t msg_len,
                                 struct sc_frost_signing_package **out)
{
	struct sc_frost_signing_package *pkg = NULL;
	size_t i, j;
	int r = SC_ERR_INVALID;

	if (out != NULL)
		*out = NULL;
	if (group_key == NULL || commitments == NULL || out == NULL || (msg == NULL && msg_len))
		return SC_ERR_INVALID;
	if (n < 2 || n > SC_FROST_MAX_PARTICIPANTS) {
		sc_set_error("frost: %zu signers (2 to %u)", n, SC_FROST_MAX_PARTICIPANTS);
		return SC_ERR_INVALID;
	}
	if (msg_len > SC_FROST_MSG_MAX) {
		sc_set_error("frost: message of %zu bytes (at most %u)", msg_len, SC_FROST_MSG_MAX);
		return SC_ERR_TOOBIG;
	}
	if (!sc_frost_point_valid(group_key)) {
		sc_set_error("frost: invalid group key");
		return SC_ERR_INVALID;
	}
	if ((pkg = calloc(1, sizeof(*pkg))) == NULL)
		return SC_ERR_NOMEM;
	pkg->c = calloc(n, sizeof(*pkg->c));
	pkg->msg = malloc(msg_len > 0 ? msg_len : 1);
	if (pkg->c == NULL || pkg->msg == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	memcpy(pkg->group_key, group_key, FROST_NE);
	if (msg_len > 0)
		memcpy(pkg->msg, msg, msg_len);
	pkg->msg_len = msg_len;
	/* insertion sort by identifier; n is small */
	for (i = 0; i < n; i++) {
		const struct sc_frost_commitment *c = &commitments[i];

		if (c->id == 0 || c->id > SC_FROST_MAX_PARTICIPANTS) {
			sc_set_error("frost: identifier %u out of range", c->id);
			goto out;
		}
		if (!sc_frost_point_valid(c->hiding) || !sc_frost_point_valid(c->binding)) {
			sc_set_error("frost: commitment of %u is not a valid point", c->id);
			goto out;
		}
		for (j = i; j > 0 && pkg->c[j - 1].id > c->id; j--)
			pkg->c[j] = pkg->c[j - 1];
		pkg->c[j] = *c;
	}
	pkg->n = n;
	for (i = 0; i < n; i++) {
		if (i > 0 && pkg->c[i].id == pkg->c[i - 1].id) {
			sc_set_error("frost: identifier %u appears twice", pkg->c[i].id);
			goto out;
		}
		/* a repeated commitment point means a replayed or copied nonce */
		if (memcmp(pkg->c[i].hiding, pkg->c[i].binding, FROST_NE) == 0)
			goto dup;
		for (j = 0; j < i; j++)
			if (memcmp(pkg->c[i].hiding, pkg->c[j].hiding, FROST_NE) == 0 ||
			    memcmp(pkg->c[i].hiding, pkg->c[j].binding, FROST_NE) == 0 ||
			    memcmp(pkg->c[i].binding, pkg->c[j].hiding, FROST_NE) == 0 ||
			    memcmp(pkg->c[i].binding, pkg->c[j].binding, FROST_NE) == 0)
				goto dup;
	}
	*out = pkg;
	return SC_OK;
dup:
	sc_set_error("frost: a commitment point appears twice");
	r = SC_ERR_INVALID;
out:
	sc_frost_signing_package_free(pkg);
	return r;
}

size_t sc_frost_signing_package_count(const struct sc_frost_signing_package *pkg)
{
	return pkg->n;
}

const struct sc_frost_commitment *
sc_frost_signing_package_commitment(const struct sc_frost_signing_package *pkg, size_t i)
{
	return i < pkg->n ? &pkg->c[i] : NULL;
}

const uint8_t *sc_frost_signing_package_message(const struct sc_frost_signing_package *pkg,
                                                size_t *len)
{
	if (len != NULL)
		*len = pkg->msg_len;
	return pkg->msg;
}

const uint8_t *sc_frost_signing_package_group_key(const struct sc_frost_signing_package *pkg)
{
	return pkg->group_key;
}

void sc_frost_signing_package_free(struct sc_frost_signing_package *pkg)
{
	if (pkg == NULL)
		return;
	free(pkg->c);
	free(pkg->msg);
	free(pkg);
}

/* ---- binding factors, group commitment, challenge ------------------------------ */

/* group_public_key_enc || H4(msg) || H5(encode_group_commitment_list) */
static int binding_prefix(const struct sc_frost_signing_package *pkg, uint8_t prefix[PREFIX_LEN])
{
	uint8_t *enc, *p;
	size_t i;

	if ((enc = malloc(pkg->n * (FROST_NS + 2 * FROST_NE))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0, p = enc; i < pkg->n; i++) {
		sc_frost_scalar_from_id(p, pkg->c[i].id);
		memcpy(p + FROST_NS, pkg->c[i].hiding, FROST_NE);
		memcpy(p + FROST_NS + FROST_NE, pkg->c[i].binding, FROST_NE);
		p += FROST_NS + 2 * FROST_NE;
	}
	memcpy(prefix, pkg->group_key, FROST_NE);
	sc_frost_h4(prefix + FROST_NE, pkg->msg, pkg->msg_len);
	sc_frost_h5(prefix + FROST_NE + 64, enc, (size_t)(p - enc));
	free(enc);
	return SC_OK;
}

int sc_frost_binding_factor(const struct sc_frost_signing_package *pkg, size_t i,
                            uint8_t input[PREFIX_LEN + FROST_NS], uint8_t bf[FROST_NS])
{
	int r;

	if (pkg == NULL || i >= pkg->n)
		return SC_ERR_INVALID;
	if ((r = binding_prefix(pkg, input)) != SC_OK)
		return r;
	sc_frost_scalar_from_id(input + PREFIX_LEN, pkg->c[i].id);
	sc_frost_h1(bf, input, PREFIX_LEN + FROST_NS);
	return SC_OK;
}

/* What every party derives from a signing package alone. */
struct round {
	uint8_t *bf;   /* n binding factors */
	uint16_t *ids; /* n identifiers, the participant list */
	uint8_t gc[FROST_NE];
	uint8_t challenge[FROST_NS];
};

static void round_release(struct round *rd)
{
	free(rd->bf);
	free(rd->ids);
	rd->bf = NULL;
	rd->ids = NULL;
}

static int round_setup(const struct sc_frost_signing_package *pkg, struct round *rd)
{
	uint8_t in[PREFIX_LEN + FROST_NS], term[FROST_NE];
	size_t i;
	int r;

	rd->bf = malloc(pkg->n * FROST_NS);
	rd->ids = malloc(pkg->n * sizeof(*rd->ids));
	if (rd->bf == NULL || rd->ids == NULL) {
		r = SC_ERR_NOMEM;
		goto fail;
	}
	/* compute_binding_factors */
	if ((r = binding_prefix(pkg, in)) != SC_OK)
		goto fail;
	for (i = 0; i < pkg->n; i++) {
		rd->ids[i] = pkg->c[i].id;
		sc_frost_scalar_from_id(in + PREFIX_LEN, pkg->c[i].id);
		sc_frost_h1(rd->bf + i * FROST_NS, in, sizeof(in));
	}
	/* compute_group_commitment */
	sc_frost_point_identity(rd->gc);
	for (i = 0; i < pkg->n; i++) {
		if ((r = sc_frost_mul(term, rd->bf + i * FROST_NS, pkg->c[i].binding)) != SC_OK ||
		    (r = sc_frost_add(rd->gc, rd->gc, pkg->c[i].hiding)) != SC_OK ||
		    (r = sc_frost_add(rd->gc, rd->gc, term)) != SC_OK)
			goto fail;
	}
	/* compute_challenge: SerializeElement refuses the identity */
	if (sc_frost_point_is_identity(rd->gc)) {
		sc_set_error("frost: the group commitment is the identity");
		r = SC_ERR_CORRUPT;
		goto fail;
	}
	sc_frost_h2(rd->challenge, rd->gc, FROST_NE, pkg->group_key, FROST_NE, pkg->msg,
	            pkg->msg_len);
	return SC_OK;
fail:
	round_release(rd);
	return r;
}

static size_t find_id(const struct sc_frost_signing_package *pkg, uint16_t id)
{
	size_t i;

	for (i = 0; i < pkg->n; i++)
		if (pkg->c[i].id == id)
			return i;
	return (size_t)-1;
}

/* The package's signers against a group's threshold and size. */
static int package_fits(const struct sc_frost_signing_package *pkg, uint16_t min, uint16_t max)
{
	if (pkg->n < min || pkg->n > max || pkg->c[pkg->n - 1].id > max) {
		sc_set_error("frost: %zu signers up to identifier %u for a %u-of-%u group", pkg->n,
		             pkg->c[pkg->n - 1].id, min, max);
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

/* ---- round two ---------------------------------------------------------------- */

int sc_frost_sign(const struct sc_frost_key_package *kp, struct sc_frost_nonce **nonce,
                  const struct sc_frost_signing_package *pkg, struct sc_frost_sig_share *out)
{
	struct sc_frost_nonce *n = NULL;
	struct round rd = {0};
	uint8_t *t = NULL; /* scratch: lambda, binding*bf, lambda*sk*c */
	size_t me;
	int r = SC_ERR_INVALID;

	if (nonce != NULL) {
		n = *nonce; /* consumed whatever happens next */
		*nonce = NULL;
	}
	if (kp == NULL || n == NULL || pkg == NULL || out == NULL)
		goto out;
	memset(out, 0, sizeof(*out));
	if (memcmp(pkg->group_key, kp->group_key, FROST_NE) != 0) {
		sc_set_error("frost: the signing package is for another group key");
		goto out;
	}
	if ((r = package_fits(pkg, kp->min, kp->max)) != SC_OK)
		goto out;
	me = find_id(pkg, kp->id);
	if (me == (size_t)-1 || n->commitment.id != kp->id ||
	    memcmp(pkg->c[me].hiding, n->commitment.hiding, FROST_NE) != 0 ||
	    memcmp(pkg->c[me].binding, n->commitment.binding, FROST_NE) != 0) {
		sc_set_error("frost: the signing package lacks this participant's commitment");
		r = SC_ERR_INVALID;
		goto out;
	}
	if ((t = sc_secmem_alloc(3 * FROST_NS)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = round_setup(pkg, &rd)) != SC_OK)
		goto out;
	if ((r = sc_frost_lagrange(t, rd.ids, pkg->n, kp->id)) != SC_OK)
		goto out;
	/* z = hiding + binding * bf + lambda * sk * c */
	crypto_core_ed25519_scalar_mul(t + FROST_NS, n->binding, rd.bf + me * FROST_NS);
	crypto_core_ed25519_scalar_mul(t + 2 * FROST_NS, t, kp->signing_share);
	crypto_core_ed25519_scalar_mul(t + 2 * FROST_NS, t + 2 * FROST_NS, rd.challenge);
	crypto_core_ed25519_scalar_add(out->z, n->hiding, t + FROST_NS);
	crypto_core_ed25519_scalar_add(out->z, out->z, t + 2 * FROST_NS);
	out->id = kp->id;
	r = SC_OK;
out:
	if (r != SC_OK && out != NULL)
		memset(out, 0, sizeof(*out));
	round_release(&rd);
	sc_secmem_free(t);
	sc_frost_nonce_free(n);
	return r;
}

/* verify_signature_share with the round already set up. */
static int verify_share_rd(const struct sc_frost_pubkeys *pub,
                           const struct sc_frost_signing_package *pkg, const struct round *rd,
                           const struct sc_frost_sig_share *share)
{
	uint8_t comm[FROST_NE], l[FROST_NE], rr[FROST_NE], cl[FROST_NS];
	const uint8_t *pk;
	size_t i;
	int r;

	i = find_id(pkg, share->id);
	pk = sc_frost_pubkeys_verifying_share(pub, share->id);
	if (i == (size_t)-1 || pk == NULL)
		return SC_ERR_INVALID;
	if (!sc_frost_scalar_canonical(share->z))
		return SC_ERR_CORRUPT;
	if ((r = sc_frost_lagrange(cl, rd->ids, pkg->n, share->id)) != SC_OK)
		return r;
	crypto_core_ed25519_scalar_mul(cl, rd->challenge, cl);
	/* comm_share = hiding + binding * bf; r = comm_share + PK_i * c * lambda */
	if ((r = sc_frost_mul(comm, rd->bf + i * FROST_NS, pkg->c[i].binding)) != SC_OK ||
	    (r = sc_frost_add(comm, comm, pkg->c[i].hiding)) != SC_OK ||
	    (r = sc_frost_mul(rr, cl, pk)) != SC_OK || (r = sc_frost_add(rr, comm, rr)) != SC_OK ||
	    (r = sc_frost_mul_base(l, share->z)) != SC_OK)
		return r;
	return memcmp(l, rr, FROST_NE) == 0 ? SC_OK : SC_ERR_CORRUPT;
}

static int pub_matches(const struct sc_frost_pubkeys *pub,
                       const struct sc_frost_signing_package *pkg)
{
	if (memcmp(pub->group_key, pkg->group_key, FROST_NE) != 0) {
		sc_set_error("frost: the signing package is for another group key");
		return SC_ERR_INVALID;
	}
	return package_fits(pkg, pub->min, pub->max);
}

int sc_frost_verify_share(const struct sc_frost_pubkeys *pub,
                          const struct sc_frost_signing_package *pkg,
                          const struct sc_frost_sig_share *share)
{
	struct round rd = {0};
	int r;

	if (pub == NULL || pkg == NULL || share == NULL)
		return SC_ERR_INVALID;
	if ((r = pub_matches(pub, pkg)) != SC_OK)
		return r;
	if (find_id(pkg, share->id) == (size_t)-1) {
		sc_set_error("frost: no commitment from participant %u", share->id);
		return SC_ERR_INVALID;
	}
	if ((r = round_setup(pkg, &rd)) != SC_OK)
		return r;
	r = verify_share_rd(pub, pkg, &rd, share);
	if (r == SC_ERR_CORRUPT)
		sc_set_error("frost: the signature share of participant %u is invalid", share->id);
	round_release(&rd);
	return r;
}

int sc_frost_aggregate(const struct sc_frost_pubkeys *pub,
                       const struct sc_frost_signing_package *pkg,
                       const struct sc_frost_sig_share *shares, size_t n,
                       uint8_t sig[SC_FROST_SIG_LEN], uint16_t *culprit)
{
	struct round rd = {0};
	uint8_t z[FROST_NS], seen[SC_FROST_MAX_PARTICIPANTS + 1] = {0};
	size_t i;
	int r;

	if (culprit != NULL)
		*culprit = 0;
	if (pub == NULL || pkg == NULL || shares == NULL || sig == NULL || culprit == NULL)
		return SC_ERR_INVALID;
	memset(sig, 0, SC_FROST_SIG_LEN);
	if ((r = pub_matches(pub, pkg)) != SC_OK)
		return r;
	if (n != pkg->n) {
		sc_set_error("frost: %zu signature shares for %zu signers", n, pkg->n);
		return SC_ERR_INVALID;
	}
	for (i = 0; i < n; i++) {
		uint16_t id = shares[i].id;

		if (id == 0 || id > SC_FROST_MAX_PARTICIPANTS || seen[id] ||
		    find_id(pkg, id) == (size_t)-1) {
			sc_set_error("frost: a signature share from %u, not one per signer", id);
			return SC_ERR_INVALID;
		}
		seen[id] = 1;
		/* DeserializeScalar before aggregating */
		if (!sc_frost_scalar_canonical(shares[i].z)) {
			*culprit = id;
			sc_set_error("frost: participant %u sent a non-canonical share", id);
			return SC_ERR_CORRUPT;
		}
	}
	if ((r = round_setup(pkg, &rd)) != SC_OK)
		return r;
	memset(z, 0, sizeof(z));
	for (i = 0; i < n; i++)
		crypto_core_ed25519_scalar_add(z, z, shares[i].z);
	memcpy(sig, rd.gc, FROST_NE);
	memcpy(sig + FROST_NE, z, FROST_NS);
	if (crypto_sign_verify_detached(sig, pkg->msg, pkg->msg_len, pkg->group_key) == 0) {
		r = SC_OK;
		goto out;
	}
	/* identifiable abort: name the first participant whose share is bad */
	memset(sig, 0, SC_FROST_SIG_LEN);
	r = SC_ERR_CORRUPT;
	for (i = 0; i < pkg->n; i++) {
		size_t k;

		for (k = 0; k < n && shares[k].id != pkg->c[i].id; k++)
			;
		if (verify_share_rd(pub, pkg, &rd, &shares[k]) != SC_OK) {
			*culprit = shares[k].id;
			break;
		}
	}
	if (*culprit != 0)
		sc_set_error("frost: the signature share of participant %u is invalid", *culprit);
	else
		sc_set_error("frost: the aggregate signature does not verify");
out:
	round_release(&rd);
	return r;
}
