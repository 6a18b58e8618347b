/* bench_vault.c - vault latencies on this machine, in process: open+unlock
 * (default and small Argon2 parameters), get, exists, set, list (a full
 * verified walk) and count, at a given number of secrets.
 *
 *   bench_vault unlock DIR        create DIR with the default KDF, time open+unlock
 *   bench_vault load DIR N        create DIR (Argon2 8 MiB, t=1), put N secrets
 *   bench_vault measure DIR N     time the operations on a loaded vault
 *
 * Figures are medians in milliseconds; one line each, "name value". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secretctl/secretctl.h"

#define PW "bench-password-1"
#define VALUE "bench-secret-value-0123456789abcdef"

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
	fprintf(stderr, "bench_vault: %s: %s %s\n", what, sc_strerror(r), sc_last_error());
	exit(1);
}

static struct sc_vault *open_unlocked(const char *dir)
{
	struct sc_vault *v;
	int r;

	if ((r = sc_vault_open(dir, &v)) != SC_OK)
		die("open", r);
	if ((r = sc_vault_unlock(v, PW, strlen(PW))) != SC_OK)
		die("unlock", r);
	return v;
}

static void name_of(char *buf, size_t cap, size_t i)
{
	snprintf(buf, cap, "bench/group%03zu/secret%06zu", i % 1000, i);
}

static void put(struct sc_vault *v, const char *name, const char *value)
{
	struct sc_secret *s;
	int r;

	if ((r = sc_secret_new(&s, name)) != SC_OK ||
	    (r = sc_secret_add_field(s, "value", value, strlen(value), 1)) != SC_OK ||
	    (r = sc_secret_add_tag(s, "bench")) != SC_OK)
		die("secret", r);
	if ((r = sc_vault_put(v, s)) != SC_OK)
		die("put", r);
	sc_secret_free(s);
}

/* Open+unlock, median of runs. */
static double time_unlock(const char *dir, int runs)
{
	double t[32];
	int i;

	for (i = 0; i < runs; i++) {
		double t0 = now_ms();
		struct sc_vault *v = open_unlocked(dir);

		t[i] = now_ms() - t0;
		sc_vault_close(v);
	}
	return median(t, (size_t)runs);
}

static int cmd_unlock(const char *dir)
{
	int r;

	if ((r = sc_vault_create(dir, PW, strlen(PW), NULL)) != SC_OK)
		die("create", r);
	printf("unlock_default_ms %.2f\n", time_unlock(dir, 5));
	return 0;
}

static int cmd_load(const char *dir, size_t n)
{
	struct sc_vault *v;
	double t0, t1;
	size_t i;
	char name[64];
	int r;

	if ((r = sc_vault_create(dir, PW, strlen(PW), &small_kdf)) != SC_OK)
		die("create", r);
	v = open_unlocked(dir);
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		name_of(name, sizeof(name), i);
		put(v, name, VALUE);
		if ((i + 1) % 10000 == 0)
			fprintf(stderr, "  loaded %zu in %.1f s\n", i + 1, (now_ms() - t0) / 1e3);
	}
	t1 = now_ms();
	sc_vault_close(v);
	printf("load_n %zu\nload_total_s %.2f\nload_per_put_ms %.3f\n", n, (t1 - t0) / 1e3,
	       n ? (t1 - t0) / (double)n : 0.0);
	return 0;
}

struct list_acc {
	size_t n, bytes;
};

static int list_cb(const struct sc_secret *s, void *arg)
{
	struct list_acc *a = arg;

	a->n++;
	a->bytes += strlen(sc_secret_name(s));
	return 0;
}

static int cmd_measure(const char *dir, size_t n)
{
	enum { GETS = 1000, SETS = 100, LISTS = 5 };
	static double t[GETS];
	struct sc_vault *v;
	struct sc_secret *s;
	char name[64];
	size_t i, count;
	int r, exists;

	srand(12345);
	printf("secrets %zu\n", n);
	printf("open_unlock_ms %.2f\n", time_unlock(dir, 9));
	v = open_unlocked(dir);

	for (i = 0; i < GETS; i++) {
		double t0;

		name_of(name, sizeof(name), (size_t)rand() % n);
		t0 = now_ms();
		if ((r = sc_vault_get(v, name, &s)) != SC_OK)
			die("get", r);
		t[i] = now_ms() - t0;
		sc_secret_free(s);
	}
	printf("get_ms %.3f\n", median(t, GETS));

	for (i = 0; i < GETS; i++) {
		double t0;

		name_of(name, sizeof(name), (size_t)rand() % n);
		t0 = now_ms();
		if ((r = sc_vault_exists(v, name, &exists)) != SC_OK || !exists)
			die("exists", r);
		t[i] = now_ms() - t0;
	}
	printf("exists_ms %.3f\n", median(t, GETS));

	/* replace existing secrets: a durable transaction each (synchronous=FULL) */
	for (i = 0; i < SETS; i++) {
		double t0;

		name_of(name, sizeof(name), (size_t)rand() % n);
		t0 = now_ms();
		put(v, name, VALUE "-updated");
		t[i] = now_ms() - t0;
	}
	printf("set_ms %.3f\n", median(t, SETS));

	for (i = 0; i < LISTS; i++) {
		struct list_acc a = {0};
		double t0 = now_ms();

		if ((r = sc_vault_walk(v, list_cb, &a)) != SC_OK)
			die("walk", r);
		t[i] = now_ms() - t0;
		if (a.n != n)
			die("walk count", SC_ERR_INTERNAL);
	}
	printf("list_ms %.2f\n", median(t, LISTS));

	for (i = 0; i < LISTS; i++) {
		double t0 = now_ms();

		if ((r = sc_vault_count(v, &count)) != SC_OK)
			die("count", r);
		t[i] = now_ms() - t0;
		if (count != n)
			die("count value", SC_ERR_INTERNAL);
	}
	printf("count_ms %.3f\n", median(t, LISTS));
	sc_vault_close(v);
	return 0;
}

int main(int argc, char **argv)
{
	if (sc_init() != SC_OK)
		return 1;
	if (argc == 3 && strcmp(argv[1], "unlock") == 0)
		return cmd_unlock(argv[2]);
	if (argc == 4 && strcmp(argv[1], "load") == 0)
		return cmd_load(argv[2], strtoul(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "measure") == 0)
		return cmd_measure(argv[2], strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: bench_vault unlock DIR | load DIR N | measure DIR N\n");
	return 2;
}
