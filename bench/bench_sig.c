/* bench_sig.c - in-process cost of the signature table and recovery shares:
 * per algorithm and scheme, one signature from the sealed key blob (load,
 * sign, wipe: what the agent does per request, without the passphrase KDF)
 * and one verification; a 3-of-5 split and recovery. Prints medians and p99
 * in microseconds. Usage: bench_sig [iterations] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secretctl/secretctl.h"
#include "secretctl/shares.h"
#include "secretctl/sig.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%-34s p50 %8.1f us   p99 %8.1f us\n", what, t[n / 2], t[(n * 99) / 100]);
}

int main(int argc, char **argv)
{
	static const struct {
		enum sc_sig_alg alg;
		enum sc_sig_scheme scheme;
		const char *name;
	} cases[] = {
	    {SC_SIG_ED25519, SC_SIG_SCHEME_EDDSA, "ed25519"},
	    {SC_SIG_P256, SC_SIG_SCHEME_ECDSA, "ecdsa-p256"},
	    {SC_SIG_SECP256K1, SC_SIG_SCHEME_ECDSA, "secp256k1 ecdsa"},
	    {SC_SIG_SECP256K1, SC_SIG_SCHEME_BIP340, "secp256k1 bip340"},
	};
	int n = argc > 1 ? atoi(argv[1]) : 1000, i;
	uint8_t msg[32] = {1}, sig[SC_SIG_MAX], pub[SC_SIG_PUB_MAX], *blob, *got;
	size_t c, sl, publ, bl, len;
	double *t;
	char what[64];

	if (n < 10 || sc_init() != SC_OK)
		return 2;
	t = calloc((size_t)n, sizeof(*t));
	if (t == NULL)
		return 2;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct sc_sig_opts o = {.scheme = cases[c].scheme};
		struct sc_sig_key *k;

		if (sc_sig_generate(cases[c].alg, &k) != SC_OK ||
		    sc_sig_key_public(k, pub, &publ) != SC_OK ||
		    sc_sig_key_serialize(k, &blob, &bl) != SC_OK)
			return 1;
		sc_sig_key_free(k);
		for (i = 0; i < n; i++) {
			double t0 = now_us();

			if (sc_sig_key_deserialize(blob, bl, &k) != SC_OK ||
			    sc_sig_sign(k, &o, msg, sizeof(msg), sig, &sl) != SC_OK)
				return 1;
			sc_sig_key_free(k);
			t[i] = now_us() - t0;
		}
		snprintf(what, sizeof(what), "%s load+sign", cases[c].name);
		report(what, t, n);
		for (i = 0; i < n; i++) {
			double t0 = now_us();

			if (sc_sig_verify(cases[c].alg, &o, pub, publ, msg, sizeof(msg), sig, sl) !=
			    SC_OK)
				return 1;
			t[i] = now_us() - t0;
		}
		snprintf(what, sizeof(what), "%s verify", cases[c].name);
		report(what, t, n);
		sc_secmem_free(blob);
	}
	{
		struct sc_share_set *set;
		const char *m[3];
		int reps = n / 10;

		for (i = 0; i < reps; i++) {
			double t0 = now_us();

			if (sc_shares_split_simple(msg, sizeof(msg), 3, 5, &set) != SC_OK)
				return 1;
			t[i] = now_us() - t0;
			if (i + 1 < reps)
				sc_share_set_free(set);
		}
		report("shares split 3-of-5 (32 bytes)", t, reps);
		m[0] = sc_share_set_mnemonic(set, 0, 0);
		m[1] = sc_share_set_mnemonic(set, 0, 2);
		m[2] = sc_share_set_mnemonic(set, 0, 4);
		for (i = 0; i < reps; i++) {
			double t0 = now_us();

			if (sc_shares_combine(m, 3, NULL, &got, &len) != SC_OK)
				return 1;
			sc_secmem_free(got);
			t[i] = now_us() - t0;
		}
		report("shares combine 3 of 5", t, reps);
		sc_share_set_free(set);
	}
	free(t);
	return 0;
}
