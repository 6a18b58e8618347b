/* bench_backup.c - a large vault made fast for bench/backup.sh: N secrets
 * put through the library in transactions of 1000 (bench_vault's load
 * makes one durable transaction per secret, minutes for 100k).
 *   bench_backup load DIR N     create DIR (Argon2 8 MiB, t=1), put N secrets */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secretctl/secretctl.h"

#define PW "bench-password-1"
#define BATCH 1000

static const struct sc_kdf_params small_kdf = {8192, 1};

static int die(const char *what, int r)
{
	fprintf(stderr, "bench_backup: %s: %s %s\n", what, sc_strerror(r), sc_last_error());
	exit(1);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sc_vault *v;
	char name[64], value[64];
	size_t i, n;
	double t0;
	int r;

	if (argc != 4 || strcmp(argv[1], "load") != 0) {
		fprintf(stderr, "usage: bench_backup load DIR N\n");
		return 2;
	}
	n = strtoul(argv[3], NULL, 10);
	if ((r = sc_init()) != SC_OK)
		die("init", r);
	if ((r = sc_vault_create(argv[2], PW, strlen(PW), &small_kdf)) != SC_OK)
		die("create", r);
	if ((r = sc_vault_open(argv[2], &v)) != SC_OK ||
	    (r = sc_vault_unlock(v, PW, strlen(PW))) != SC_OK)
		die("open", r);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		struct sc_secret *s;

		if (i % BATCH == 0 && (r = sc_vault_txn_begin(v)) != SC_OK)
			die("begin", r);
		snprintf(name, sizeof(name), "bench/group%03zu/secret%06zu", i % 1000, i);
		snprintf(value, sizeof(value), "bench-value-%06zu-0123456789abcdef", i);
		if ((r = sc_secret_new(&s, name)) != SC_OK ||
		    (r = sc_secret_add_field(s, "value", value, strlen(value), 1)) != SC_OK ||
		    (r = sc_secret_add_tag(s, "bench")) != SC_OK)
			die("secret", r);
		if ((r = sc_vault_put_in_txn(v, s)) != SC_OK)
			die("put", r);
		sc_secret_free(s);
		if ((i + 1) % BATCH == 0 || i + 1 == n) {
			if ((r = sc_vault_txn_commit(v)) != SC_OK)
				die("commit", r);
		}
	}
	printf("loaded %zu secrets in %.1f s\n", n, now_s() - t0);
	sc_vault_close(v);
	return 0;
}
