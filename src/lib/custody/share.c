/* share.c - SLIP-0039 split and recovery: the master secret encrypted with
 * the passphrase (a 4-round Feistel of PBKDF2-HMAC-SHA256), shared in two
 * levels (groups, then members) with a digest share at index 254 so that a
 * wrong or forged share is detected, never turned into a wrong secret. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/shares.h"
#include "secretctl/buf.h"
#include "custody/share_int.h"

#define DIGEST_LEN 4
#define DIGEST_INDEX 254
#define SECRET_INDEX 255
#define BASE_ITERATIONS 10000
#define ROUNDS 4
#define PASSPHRASE_MAX 256

struct sc_share_set {
	size_t groups;
	size_t members[SC_SHARE_MAX];
	char *mnemonic[SC_SHARE_MAX][SC_SHARE_MAX];
};

/* ---- the passphrase Feistel (SLIP-0039 "Encryption of the master secret")
 * --------------------------------------------------------------------- */

static int passphrase_ok(const char *pp, size_t *len)
{
	size_t i, n = pp != NULL ? strnlen(pp, PASSPHRASE_MAX + 1) : 0;

	if (n > PASSPHRASE_MAX) {
		sc_set_error("the passphrase is longer than %d characters", PASSPHRASE_MAX);
		return SC_ERR_TOOBIG;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)pp[i] < 32 || (unsigned char)pp[i] > 126) {
			sc_set_error("the passphrase must be printable ASCII");
			return SC_ERR_INVALID;
		}
	}
	*len = n;
	return SC_OK;
}

/*
 * Round i: F = PBKDF2-HMAC-SHA256(password = i || passphrase, salt = salt ||
 * R, (10000 << e) / 4 iterations, |R| bytes). The salt is "shamir" ||
 * identifier (2 bytes, big-endian), or empty for extendable shares. decrypt
 * runs the rounds backwards. Everything here lives in secmem.
 */
static int feistel(const uint8_t *in, size_t len, const char *pp, size_t pp_len, uint8_t iter_exp,
                   uint16_t identifier, int extendable, int decrypt, uint8_t *out)
{
	size_t half = len / 2, salt_len = extendable ? 0 : 8;
	uint8_t *buf, *l, *r, *f, *pw, *salt, *tmp;
	int round, i, rc = SC_ERR_CRYPTO;
	int iters = (int)((BASE_ITERATIONS << iter_exp) / ROUNDS);

	if (len % 2 != 0 || len > SC_SHARE_SECRET_MAX || iter_exp > SC_SHARE_ITER_EXP_MAX)
		return SC_ERR_INVALID;
	buf = sc_secmem_alloc(4 * half + 1 + pp_len + 8 + half);
	if (buf == NULL)
		return SC_ERR_NOMEM;
	l = buf;
	r = l + half;
	f = r + half;
	tmp = f + half;
	pw = tmp + half;
	salt = pw + 1 + pp_len;
	memcpy(l, in, half);
	memcpy(r, in + half, half);
	memcpy(pw + 1, pp, pp_len);
	if (!extendable) {
		memcpy(salt, "shamir", 6);
		sc_be16_put(salt + 6, identifier);
	}
	for (i = 0; i < ROUNDS; i++) {
		round = decrypt ? ROUNDS - 1 - i : i;
		pw[0] = (uint8_t)round;
		memcpy(salt + salt_len, r, half);
		if (PKCS5_PBKDF2_HMAC((const char *)pw, (int)(1 + pp_len), salt,
		                      (int)(salt_len + half), iters, EVP_sha256(), (int)half,
		                      f) != 1)
			goto out;
		/* (L, R) <- (R, L xor F) */
		memcpy(tmp, r, half);
		for (size_t b = 0; b < half; b++)
			r[b] = l[b] ^ f[b];
		memcpy(l, tmp, half);
	}
	/* the output is R || L */
	memcpy(out, r, half);
	memcpy(out + half, l, half);
	rc = SC_OK;
out:
	sc_secmem_free(buf);
	return rc;
}

/* ---- one level of sharing with its digest --------------------------------- */

static int digest_of(const uint8_t *random_part, size_t rlen, const uint8_t *secret, size_t len,
                     uint8_t out[DIGEST_LEN])
{
	uint8_t mac[SC_MAC_LEN];
	int r;

	/* HMAC-SHA256(key = the random part, message = the secret)[0..4) */
	if ((r = sc_hmac_sha256(random_part, rlen, secret, len, mac)) != SC_OK)
		return r;
	memcpy(out, mac, DIGEST_LEN);
	sc_wipe(mac, sizeof(mac));
	return SC_OK;
}

/*
 * threshold of count shares of secret (x = 0..count-1) into vals[i] (each
 * len bytes, secmem, allocated by the caller). Threshold 1: copies. Else
 * the polynomial through threshold-2 random shares at x = 0..t-3, the digest
 * share at 254 and the secret at 255.
 */
static int split_level(uint8_t threshold, uint8_t count, const uint8_t *secret, size_t len,
                       uint8_t *const *vals)
{
	uint8_t xs[SC_SHARE_MAX + 2];
	const uint8_t *ys[SC_SHARE_MAX + 2];
	uint8_t *digest_share;
	size_t i, k;
	int r;

	if (threshold < 1 || threshold > count || count > SC_SHARE_MAX)
		return SC_ERR_INVALID;
	if (threshold == 1) {
		for (i = 0; i < count; i++)
			memcpy(vals[i], secret, len);
		return SC_OK;
	}
	digest_share = sc_secmem_alloc(len);
	if (digest_share == NULL)
		return SC_ERR_NOMEM;
	k = 0;
	for (i = 0; i < (size_t)threshold - 2; i++) {
		sc_random(vals[i], len);
		xs[k] = (uint8_t)i;
		ys[k++] = vals[i];
	}
	sc_random(digest_share + DIGEST_LEN, len - DIGEST_LEN);
	if ((r = digest_of(digest_share + DIGEST_LEN, len - DIGEST_LEN, secret, len,
	                   digest_share)) != SC_OK)
		goto out;
	xs[k] = DIGEST_INDEX;
	ys[k++] = digest_share;
	xs[k] = SECRET_INDEX;
	ys[k++] = secret;
	for (i = (size_t)threshold - 2; i < count; i++)
		if ((r = sc_shamir_interpolate(xs, ys, k, len, (uint8_t)i, vals[i])) != SC_OK)
			goto out;
	r = SC_OK;
out:
	sc_secmem_free(digest_share);
	return r;
}

/* The secret from threshold shares (xs, ys), its digest checked. */
static int recover_level(uint8_t threshold, const uint8_t *xs, const uint8_t *const *ys, size_t len,
                         uint8_t *out)
{
	uint8_t *digest_share, want[DIGEST_LEN];
	int r;

	if (threshold == 1) {
		memcpy(out, ys[0], len);
		return SC_OK;
	}
	digest_share = sc_secmem_alloc(len);
	if (digest_share == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_shamir_interpolate(xs, ys, threshold, len, SECRET_INDEX, out)) != SC_OK ||
	    (r = sc_shamir_interpolate(xs, ys, threshold, len, DIGEST_INDEX, digest_share)) !=
	        SC_OK ||
	    (r = digest_of(digest_share + DIGEST_LEN, len - DIGEST_LEN, out, len, want)) != SC_OK)
		goto out;
	if (sc_memcmp_ct(want, digest_share, DIGEST_LEN) != 0) {
		sc_set_error("the shares' digest does not match: a share is wrong or forged");
		r = SC_ERR_CORRUPT;
		goto out;
	}
	r = SC_OK;
out:
	if (r != SC_OK)
		sc_wipe(out, len);
	sc_wipe(want, sizeof(want));
	sc_secmem_free(digest_share);
	return r;
}

/* ---- split ----------------------------------------------------------------- */

void sc_share_set_free(struct sc_share_set *set)
{
	size_t g, m;

	if (set == NULL)
		return;
	for (g = 0; g < SC_SHARE_MAX; g++)
		for (m = 0; m < SC_SHARE_MAX; m++)
			sc_secmem_free(set->mnemonic[g][m]);
	sc_secmem_free(set);
}

size_t sc_share_set_groups(const struct sc_share_set *set)
{
	return set != NULL ? set->groups : 0;
}

size_t sc_share_set_members(const struct sc_share_set *set, size_t group)
{
	return set != NULL && group < set->groups ? set->members[group] : 0;
}

const char *sc_share_set_mnemonic(const struct sc_share_set *set, size_t group, size_t member)
{
	if (set == NULL || group >= set->groups || member >= set->members[group])
		return NULL;
	return set->mnemonic[group][member];
}

int sc_shares_split(const uint8_t *secret, size_t len, const char *passphrase,
                    uint8_t iteration_exponent, int extendable, uint8_t group_threshold,
                    const struct sc_share_group *groups, size_t group_count,
                    struct sc_share_set **out)
{
	struct sc_share_set *set = NULL;
	struct sc_share *sh = NULL;
	uint8_t *work = NULL, *ems, *gvals[SC_SHARE_MAX], *mvals[SC_SHARE_MAX];
	uint8_t idb[2];
	size_t pp_len = 0, g, m;
	uint16_t identifier;
	int r;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if (secret == NULL || groups == NULL || len < SC_SHARE_SECRET_MIN ||
	    len > SC_SHARE_SECRET_MAX || len % 2 != 0) {
		sc_set_error("a secret to share is 16 to %d bytes, an even number",
		             SC_SHARE_SECRET_MAX);
		return SC_ERR_INVALID;
	}
	if (iteration_exponent > SC_SHARE_ITER_EXP_MAX || (extendable != 0 && extendable != 1) ||
	    group_count < 1 || group_count > SC_SHARE_MAX || group_threshold < 1 ||
	    group_threshold > group_count) {
		sc_set_error("the group threshold must be 1 to the number of groups (at most %d)",
		             SC_SHARE_MAX);
		return SC_ERR_INVALID;
	}
	for (g = 0; g < group_count; g++) {
		if (groups[g].count < 1 || groups[g].count > SC_SHARE_MAX ||
		    groups[g].threshold < 1 || groups[g].threshold > groups[g].count) {
			sc_set_error("a threshold must be 1 to the number of shares (at most %d)",
			             SC_SHARE_MAX);
			return SC_ERR_INVALID;
		}
		/* SLIP-0039: threshold 1 of several shares is copies of the
		 * secret; make it 1-of-1 instead */
		if (groups[g].threshold == 1 && groups[g].count > 1) {
			sc_set_error("a threshold of 1 with %u shares would make copies",
			             groups[g].count);
			return SC_ERR_INVALID;
		}
	}
	if ((r = passphrase_ok(passphrase, &pp_len)) != SC_OK)
		return r;

	r = SC_ERR_NOMEM;
	set = sc_secmem_alloc(sizeof(*set));
	sh = sc_secmem_alloc(sizeof(*sh));
	work = sc_secmem_alloc(len * (1 + 2 * SC_SHARE_MAX));
	if (set == NULL || sh == NULL || work == NULL)
		goto out;
	ems = work;
	for (g = 0; g < SC_SHARE_MAX; g++) {
		gvals[g] = work + len * (1 + g);
		mvals[g] = work + len * (1 + SC_SHARE_MAX + g);
	}
	sc_random(idb, sizeof(idb));
	identifier = (uint16_t)(((idb[0] << 8) | idb[1]) & 0x7fff);
	if ((r = feistel(secret, len, passphrase != NULL ? passphrase : "", pp_len,
	                 iteration_exponent, identifier, extendable, 0, ems)) != SC_OK)
		goto out;
	if ((r = split_level(group_threshold, (uint8_t)group_count, ems, len, gvals)) != SC_OK)
		goto out;
	set->groups = group_count;
	for (g = 0; g < group_count; g++) {
		if ((r = split_level(groups[g].threshold, groups[g].count, gvals[g], len, mvals)) !=
		    SC_OK)
			goto out;
		set->members[g] = groups[g].count;
		for (m = 0; m < groups[g].count; m++) {
			sh->identifier = identifier;
			sh->extendable = (uint8_t)extendable;
			sh->iteration_exponent = iteration_exponent;
			sh->group_index = (uint8_t)g;
			sh->group_threshold = group_threshold;
			sh->group_count = (uint8_t)group_count;
			sh->member_index = (uint8_t)m;
			sh->member_threshold = groups[g].threshold;
			sh->value_len = len;
			memcpy(sh->value, mvals[m], len);
			if ((r = sc_share_encode(sh, &set->mnemonic[g][m])) != SC_OK)
				goto out;
		}
	}
	*out = set;
	set = NULL;
	r = SC_OK;
out:
	sc_share_set_free(set);
	sc_secmem_free(sh);
	sc_secmem_free(work);
	return r;
}

int sc_shares_split_simple(const uint8_t *secret, size_t len, uint8_t threshold, uint8_t count,
                           struct sc_share_set **out)
{
	struct sc_share_group g = {threshold, count};

	return sc_shares_split(secret, len, NULL, 1, 1, 1, &g, 1, out);
}

/* ---- combine --------------------------------------------------------------- */

static int same_split(const struct sc_share *a, const struct sc_share *b)
{
	return a->identifier == b->identifier && a->extendable == b->extendable &&
	       a->iteration_exponent == b->iteration_exponent &&
	       a->group_threshold == b->group_threshold && a->group_count == b->group_count &&
	       a->value_len == b->value_len;
}

/* Decode every mnemonic into sh[], check they belong together, and sort
 * them into groups: members[g] lists the shares of group g. */
static int sort_shares(const char *const *mnemonics, size_t n, struct sc_share *sh, size_t *count,
                       uint8_t members[SC_SHARE_MAX][SC_SHARE_MAX], size_t nmem[SC_SHARE_MAX])
{
	size_t i, j, kept = 0;
	int r;

	for (i = 0; i < n; i++) {
		struct sc_share *s = &sh[kept];
		int dup = 0;

		if (mnemonics[i] == NULL)
			return SC_ERR_INVALID;
		if ((r = sc_share_decode(mnemonics[i], s)) != SC_OK) {
			/* keep the codec's detail (never a word), say which share */
			char detail[200];

			snprintf(detail, sizeof(detail), "%s", sc_last_error());
			sc_set_error("share %zu: %s", i + 1, detail);
			return r;
		}
		if (kept > 0 && !same_split(&sh[0], s)) {
			sc_set_error("share %zu belongs to another split (its identifier or "
			             "parameters differ)",
			             i + 1);
			return SC_ERR_INVALID;
		}
		for (j = 0; j < nmem[s->group_index]; j++) {
			const struct sc_share *o = &sh[members[s->group_index][j]];

			if (o->member_threshold != s->member_threshold) {
				sc_set_error(
				    "share %zu has another member threshold than its group", i + 1);
				return SC_ERR_INVALID;
			}
			if (o->member_index == s->member_index) {
				if (sc_memcmp_ct(o->value, s->value, s->value_len) != 0) {
					sc_set_error("shares with the same index differ");
					return SC_ERR_INVALID;
				}
				dup = 1;
			}
		}
		if (dup)
			continue; /* the same share twice counts once */
		if (nmem[s->group_index] == SC_SHARE_MAX)
			return SC_ERR_INVALID;
		members[s->group_index][nmem[s->group_index]++] = (uint8_t)kept;
		kept++;
	}
	*count = kept;
	return SC_OK;
}

int sc_shares_combine(const char *const *mnemonics, size_t n, const char *passphrase,
                      uint8_t **secret, size_t *len)
{
	uint8_t members[SC_SHARE_MAX][SC_SHARE_MAX], gxs[SC_SHARE_MAX], mxs[SC_SHARE_MAX];
	const uint8_t *ys[SC_SHARE_MAX];
	size_t nmem[SC_SHARE_MAX] = {0}, count = 0, groups = 0, pp_len = 0, g, j, vlen;
	struct sc_share *sh = NULL;
	uint8_t *work = NULL, *gsec[SC_SHARE_MAX], *ems, *result = NULL;
	int r;

	if (secret == NULL || len == NULL)
		return SC_ERR_INVALID;
	*secret = NULL;
	*len = 0;
	if (mnemonics == NULL || n == 0) {
		sc_set_error("no shares given");
		return SC_ERR_INVALID;
	}
	if (n > SC_SHARE_MAX * SC_SHARE_MAX) {
		sc_set_error("at most %d shares", SC_SHARE_MAX * SC_SHARE_MAX);
		return SC_ERR_TOOBIG;
	}
	if ((r = passphrase_ok(passphrase, &pp_len)) != SC_OK)
		return r;
	sh = sc_secmem_alloc(n * sizeof(*sh));
	if (sh == NULL)
		return SC_ERR_NOMEM;
	if ((r = sort_shares(mnemonics, n, sh, &count, members, nmem)) != SC_OK)
		goto out;
	r = SC_ERR_INVALID;
	for (g = 0; g < SC_SHARE_MAX; g++)
		if (nmem[g] > 0)
			groups++;
	if (groups < sh[0].group_threshold) {
		sc_set_error("%zu group(s) of shares given, %u needed", groups,
		             sh[0].group_threshold);
		goto out;
	}
	if (groups > sh[0].group_threshold) {
		sc_set_error("%zu groups of shares given, exactly %u wanted", groups,
		             sh[0].group_threshold);
		goto out;
	}
	for (g = 0; g < SC_SHARE_MAX; g++) {
		if (nmem[g] == 0)
			continue;
		if (g >= sh[0].group_count) {
			sc_set_error("a share names group %zu of %u", g + 1, sh[0].group_count);
			goto out;
		}
		if (nmem[g] != sh[members[g][0]].member_threshold) {
			sc_set_error("group %zu: %zu share(s) given, exactly %u needed", g + 1,
			             nmem[g], sh[members[g][0]].member_threshold);
			goto out;
		}
	}
	vlen = sh[0].value_len;
	r = SC_ERR_NOMEM;
	work = sc_secmem_alloc(vlen * (SC_SHARE_MAX + 1));
	result = sc_secmem_alloc(vlen);
	if (work == NULL || result == NULL)
		goto out;
	ems = work + vlen * SC_SHARE_MAX;
	/* each group's secret from its members, then the encrypted master
	 * secret from the groups' secrets: both levels check their digest */
	j = 0;
	for (g = 0; g < SC_SHARE_MAX; g++) {
		size_t m;

		if (nmem[g] == 0)
			continue;
		for (m = 0; m < nmem[g]; m++) {
			mxs[m] = sh[members[g][m]].member_index;
			ys[m] = sh[members[g][m]].value;
		}
		gsec[j] = work + vlen * j;
		if ((r = recover_level(sh[members[g][0]].member_threshold, mxs, ys, vlen,
		                       gsec[j])) != SC_OK)
			goto out;
		gxs[j] = (uint8_t)g;
		j++;
	}
	for (g = 0; g < j; g++)
		ys[g] = gsec[g];
	if ((r = recover_level(sh[0].group_threshold, gxs, ys, vlen, ems)) != SC_OK)
		goto out;
	if ((r = feistel(ems, vlen, passphrase != NULL ? passphrase : "", pp_len,
	                 sh[0].iteration_exponent, sh[0].identifier, sh[0].extendable, 1,
	                 result)) != SC_OK)
		goto out;
	*secret = result;
	*len = vlen;
	result = NULL;
	r = SC_OK;
out:
	(void)count;
	sc_secmem_free(result);
	sc_secmem_free(work);
	sc_secmem_free(sh);
	sc_wipe(members, sizeof(members));
	return r;
}
