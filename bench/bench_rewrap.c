/* bench_rewrap.c - `key rewrap --all` of a loaded vault in process: N
 * secrets sealed under a named key, the key rotated, every item sealed
 * again under the new version (issue 12's target: 100,000 records in at
 * most 3 s).
 *
 *   bench_rewrap load DIR N           create DIR (Argon2 8 MiB, t=1), key
 *                                     "bench", N secrets sealed under it
 *   bench_rewrap measure DIR R [B]    R rotations and rewraps (B items a
 *                                     batch), medians
 *
 * Figures in milliseconds, one line each, "name value". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secretctl/keys.h"
#include "secretctl/secretctl.h"

#define PW "bench-password-1"
#define BATCH 1000

static const struct sc_kdf_params small_kdf = {8192, 1};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int die(const char *what, int r)
{
	fprintf(stderr, "bench_rewrap: %s: %s %s\n", what, sc_strerror(r), sc_last_error());
	exit(1);
}

static void keyring_change(struct sc_vault *v, int create)
{
	struct sc_keyring *kr;
	int r;

	if ((r = sc_vault_keyring_load(v, &kr)) != SC_OK)
		die("keyring", r);
	r = create ? sc_keyring_create(kr, "bench", SC_KEY_AES256_GCM, NULL, time(NULL))
	           : sc_keyring_rotate(kr, "bench", time(NULL), NULL);
	if (r != SC_OK)
		die("key", r);
	if ((r = sc_vault_txn_begin(v)) != SC_OK ||
	    (r = sc_vault_keyring_save_in_txn(v, kr)) != SC_OK ||
	    (r = sc_vault_txn_commit(v)) != SC_OK)
		die("save", r);
	sc_keyring_free(kr);
}

static void load(const char *dir, size_t n)
{
	struct sc_vault *v;
	struct sc_secret *s;
	char name[64], value[64];
	size_t i;
	int r;

	if ((r = sc_vault_create(dir, PW, strlen(PW), &small_kdf)) != SC_OK)
		die("create", r);
	if ((r = sc_vault_open(dir, &v)) != SC_OK ||
	    (r = sc_vault_unlock(v, PW, strlen(PW))) != SC_OK)
		die("open", r);
	keyring_change(v, 1);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "bench/group%03zu/secret%06zu", i % 1000, i);
		snprintf(value, sizeof(value), "bench-value-%zu-0123456789abcdef", i);
		if (i % BATCH == 0) {
			if ((r = sc_vault_txn_begin(v)) != SC_OK)
				die("begin", r);
			sc_vault_refs_defer(v); /* the index written once a batch */
		}
		if ((r = sc_secret_new(&s, name)) != SC_OK ||
		    (r = sc_secret_add_field(s, "value", value, strlen(value), 1)) != SC_OK ||
		    (r = sc_secret_set_field_key(s, "value", "bench")) != SC_OK)
			die("secret", r);
		if ((r = sc_vault_put_in_txn(v, s)) != SC_OK)
			die("put", r);
		sc_secret_free(s);
		if ((i % BATCH == BATCH - 1 || i == n - 1) &&
		    ((r = sc_vault_refs_flush(v)) != SC_OK ||
		     (r = sc_vault_txn_commit(v)) != SC_OK))
			die("commit", r);
	}
	sc_vault_close(v);
	printf("loaded %zu\n", n);
}

static void measure(const char *dir, size_t runs, size_t batch)
{
	double *all = calloc(runs, sizeof(double));
	struct sc_vault_rewrap_report rep;
	struct sc_vault_key_refs kr;
	struct sc_secret *s;
	struct sc_vault *v;
	size_t i;
	double t0;
	int r;

	if (all == NULL)
		die("calloc", SC_ERR_NOMEM);
	if ((r = sc_vault_open(dir, &v)) != SC_OK ||
	    (r = sc_vault_unlock(v, PW, strlen(PW))) != SC_OK)
		die("open", r);
	for (i = 0; i < runs; i++) {
		keyring_change(v, 0);
		t0 = now_ms();
		if ((r = sc_vault_key_rewrap_all(v, "bench", batch, &rep)) != SC_OK)
			die("rewrap", r);
		all[i] = now_ms() - t0;
		fprintf(stderr, "rewrap %zu: to version %u, %llu items, %llu batches, %.0f ms\n",
		        i + 1, rep.version, (unsigned long long)rep.items,
		        (unsigned long long)rep.batches, all[i]);
	}
	if ((r = sc_vault_key_refs(v, "bench", rep.version, &kr)) != SC_OK)
		die("refs", r);
	/* one value read back through its new version */
	if ((r = sc_vault_get(v, "bench/group007/secret000007", &s)) != SC_OK)
		die("get", r);
	sc_secret_free(s);
	sc_vault_close(v);
	printf("items %llu\n", (unsigned long long)(kr.records + kr.history));
	printf("rewrap_all_ms %.1f\n", median(all, runs));
	free(all);
}

int main(int argc, char **argv)
{
	int r;

	if ((r = sc_init()) != SC_OK)
		die("init", r);
	if (argc == 4 && strcmp(argv[1], "load") == 0) {
		load(argv[2], strtoul(argv[3], NULL, 10));
		return 0;
	}
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "measure") == 0) {
		measure(argv[2], strtoul(argv[3], NULL, 10),
		        argc == 5 ? strtoul(argv[4], NULL, 10) : 0);
		return 0;
	}
	fprintf(stderr, "usage: bench_rewrap load DIR N | measure DIR R [BATCH]\n");
	return 2;
}
