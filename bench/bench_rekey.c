/* bench_rekey.c - a rekey of a loaded vault in process: the slots' new
 * wraps, the batches, the last check and the old key's erasure, each
 * timed (issue 12's target: 100,000 records in at most 3 s).
 *
 *   bench_rekey load DIR N           create DIR (Argon2 8 MiB, t=1), put N secrets
 *   bench_rekey measure DIR R [B]    R rekeys (B records a batch), medians
 *
 * Figures in milliseconds, one line each, "name value". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	fprintf(stderr, "bench_rekey: %s: %s %s\n", what, sc_strerror(r), sc_last_error());
	exit(1);
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
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "bench/group%03zu/secret%06zu", i % 1000, i);
		snprintf(value, sizeof(value), "bench-value-%zu-0123456789abcdef", i);
		if (i % BATCH == 0 && (r = sc_vault_txn_begin(v)) != SC_OK)
			die("begin", r);
		if ((r = sc_secret_new(&s, name)) != SC_OK ||
		    (r = sc_secret_add_field(s, "value", value, strlen(value), 1)) != SC_OK)
			die("secret", r);
		if ((r = sc_vault_put_in_txn(v, s)) != SC_OK)
			die("put", r);
		sc_secret_free(s);
		if ((i % BATCH == BATCH - 1 || i == n - 1) && (r = sc_vault_txn_commit(v)) != SC_OK)
			die("commit", r);
	}
	sc_vault_close(v);
	printf("loaded %zu\n", n);
}

static void measure(const char *dir, size_t runs, size_t batch)
{
	double *prep = calloc(runs, sizeof(double)), *mig = calloc(runs, sizeof(double)),
	       *fin = calloc(runs, sizeof(double)), *all = calloc(runs, sizeof(double));
	struct sc_rekey_opts o = {.pw = PW, .pw_len = strlen(PW), .batch = batch};
	const struct sc_rekey_report *rp = NULL;
	struct sc_vault *v;
	struct sc_rekey *rk;
	size_t i, count = 0;
	double t0, t1, t2, t3;
	int r;

	if (prep == NULL || mig == NULL || fin == NULL || all == NULL)
		die("calloc", SC_ERR_NOMEM);
	if ((r = sc_vault_open(dir, &v)) != SC_OK ||
	    (r = sc_vault_unlock(v, PW, strlen(PW))) != SC_OK)
		die("open", r);
	for (i = 0; i < runs; i++) {
		t0 = now_ms();
		if ((r = sc_rekey_prepare(v, &o, &rk)) != SC_OK)
			die("prepare", r);
		t1 = now_ms();
		if ((r = sc_rekey_migrate(rk)) != SC_OK)
			die("migrate", r);
		t2 = now_ms();
		if ((r = sc_vault_txn_begin(v)) != SC_OK ||
		    (r = sc_rekey_finish_in_txn(rk)) != SC_OK ||
		    (r = sc_vault_txn_commit(v)) != SC_OK)
			die("finish", r);
		sc_rekey_done(rk);
		t3 = now_ms();
		rp = sc_rekey_report(rk);
		if (!rp->checkpointed)
			die("checkpoint", SC_ERR_BUSY);
		prep[i] = t1 - t0, mig[i] = t2 - t1, fin[i] = t3 - t2, all[i] = t3 - t0;
		fprintf(
		    stderr,
		    "rekey %zu: version %llu, %llu records, %llu history, %llu batches, %.0f ms\n",
		    i + 1, (unsigned long long)rp->new_version, (unsigned long long)rp->records,
		    (unsigned long long)rp->history, (unsigned long long)rp->batches, all[i]);
		sc_rekey_free(rk);
	}
	if ((r = sc_vault_count(v, &count)) != SC_OK)
		die("count", r);
	sc_vault_close(v);
	printf("records %zu\n", count);
	printf("rekey_prepare_ms %.1f\n", median(prep, runs));
	printf("rekey_migrate_ms %.1f\n", median(mig, runs));
	printf("rekey_finish_ms %.1f\n", median(fin, runs));
	printf("rekey_total_ms %.1f\n", median(all, runs));
	free(prep);
	free(mig);
	free(fin);
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
	fprintf(stderr, "usage: bench_rekey load DIR N | measure DIR RUNS [BATCH]\n");
	return 2;
}
