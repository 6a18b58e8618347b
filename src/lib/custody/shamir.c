/* shamir.c - Shamir secret sharing arithmetic in GF(2^8) (the AES field, as
 * SLIP-0039 uses it), in constant time: no branch and no table index ever
 * depends on a share byte. */
#include <string.h>

#include "secretctl/secretctl.h"
#include "secretctl/shares.h"

/* Shift-and-add: for each bit of b, add a when the bit is set (mask, no
 * branch), then a *= x reduced by x^8 + x^4 + x^3 + x + 1. */
uint8_t sc_gf256_mul(uint8_t a, uint8_t b)
{
	unsigned int r = 0, aa = a, bb = b;
	int i;

	for (i = 0; i < 8; i++) {
		r ^= aa & (0u - (bb & 1u));
		bb >>= 1;
		aa = ((aa << 1) ^ (0x1bu & (0u - (aa >> 7)))) & 0xffu;
	}
	return (uint8_t)r;
}

/* a^254 = a^-1 (a^255 = 1 for a != 0), by a fixed chain of squarings and
 * multiplications: 254 = 0b11111110. */
uint8_t sc_gf256_inv(uint8_t a)
{
	uint8_t r = a, sq = a;
	int i;

	/* r = a^(2^7 - 1) = a^127 after six steps of r = r^2 * a */
	for (i = 0; i < 6; i++)
		r = sc_gf256_mul(sc_gf256_mul(r, r), sq);
	/* a^254 = (a^127)^2 */
	return sc_gf256_mul(r, r);
}

int sc_shamir_interpolate(const uint8_t *xs, const uint8_t *const *ys, size_t k, size_t len,
                          uint8_t x, uint8_t *out)
{
	size_t i, j, b;

	if (xs == NULL || ys == NULL || out == NULL || k == 0 || k > 255)
		return SC_ERR_INVALID;
	for (i = 0; i < k; i++) {
		if (ys[i] == NULL)
			return SC_ERR_INVALID;
		for (j = i + 1; j < k; j++)
			if (xs[i] == xs[j]) {
				sc_set_error("two shares have the same index");
				return SC_ERR_INVALID;
			}
	}
	memset(out, 0, len);
	for (i = 0; i < k; i++) {
		/* basis_i(x) = prod_{j != i} (x - x_j) / (x_i - x_j); minus is
		 * xor. The x are share indices, public, but go through the same
		 * constant-time field operations. */
		uint8_t num = 1, den = 1, basis;

		for (j = 0; j < k; j++) {
			if (j == i)
				continue;
			num = sc_gf256_mul(num, (uint8_t)(x ^ xs[j]));
			den = sc_gf256_mul(den, (uint8_t)(xs[i] ^ xs[j]));
		}
		basis = sc_gf256_mul(num, sc_gf256_inv(den));
		for (b = 0; b < len; b++)
			out[b] ^= sc_gf256_mul(ys[i][b], basis);
	}
	return SC_OK;
}
