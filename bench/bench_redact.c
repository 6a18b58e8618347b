/* bench_redact.c - the whole-vault sanitizer: build time (one walk over a
 * vault of N secrets, then compile) and throughput of one stream over log
 * text that holds some of them, at 1,000 and 10,000 secrets.
 * Usage: bench_redact [MiB of text, default 256] [dir for the vault] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "secretctl/redact.h"

#define FEED (64 * 1024)

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static void make_value(char *s)
{
	static const char *prefix[] = {"sk_live_", "ghp_", "AKIA", "xoxb-", "", "pw:"};
	size_t n = 24 + rnd() % 17, k;

	strcpy(s, prefix[rnd() % 6]);
	for (k = strlen(s); k < n; k++)
		s[k] = alnum[rnd() % 62];
	s[n] = '\0';
}

static int sink(void *arg, const uint8_t *buf, size_t len)
{
	size_t *n = arg;

	(void)buf;
	*n += len;
	return 0;
}

static int bench(const char *dir, size_t nsec, size_t total)
{
	static const struct sc_kdf_params kdf = {8192, 1};
	char path[4096], name[64], (*vals)[48] = calloc(nsec, 48);
	struct sc_vault *v = NULL;
	struct sc_sanitizer *z = NULL;
	struct sc_sanitize_stream *st = NULL;
	uint8_t *text = malloc(total);
	size_t i, pos = 0, out = 0;
	double t0, t1, t2;
	int r;

	if (vals == NULL || text == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/bench-redact-%zu-%d", dir, nsec, (int)getpid());
	if ((r = sc_vault_create(path, "bench-pw-123", 12, &kdf)) != SC_OK ||
	    (r = sc_vault_open(path, &v)) != SC_OK ||
	    (r = sc_vault_unlock(v, "bench-pw-123", 12)) != SC_OK)
		goto fail;
	for (i = 0; i < nsec; i++) {
		struct sc_secret *s = NULL;

		make_value(vals[i]);
		snprintf(name, sizeof(name), "app/s%zu", i);
		if ((r = sc_secret_new(&s, name)) != SC_OK ||
		    (r = sc_secret_add_field(s, "value", vals[i], strlen(vals[i]), 1)) != SC_OK ||
		    (r = sc_vault_put(v, s)) != SC_OK) {
			sc_secret_free(s);
			goto fail;
		}
		sc_secret_free(s);
	}
	t0 = now();
	if ((r = sc_redact_build(v, "bench-pw-123", 12, &z)) != SC_OK)
		goto fail;
	t1 = now();
	/* log-like text; about every 8 KiB one of the secrets */
	while (pos < total) {
		char line[256];
		int n = snprintf(line, sizeof(line),
		                 "2026-12-02T17:%02u:%02u.%03uZ INFO req=%08x path=/api/v1/items "
		                 "status=200 dur=%ums\n",
		                 rnd() % 60, rnd() % 60, rnd() % 1000, rnd(), rnd() % 900);

		if (rnd() % 80 == 0)
			n = snprintf(line, sizeof(line), "token=%s\n", vals[rnd() % nsec]);
		if (pos + (size_t)n > total)
			n = (int)(total - pos);
		memcpy(text + pos, line, (size_t)n);
		pos += (size_t)n;
	}
	if ((r = sc_sanitize_stream_new(z, &st)) != SC_OK)
		goto fail;
	t2 = now();
	for (i = 0; i < total; i += FEED)
		if ((r = sc_sanitize_feed(st, text + i, total - i < FEED ? total - i : FEED, sink,
		                          &out)) != SC_OK)
			goto fail;
	if ((r = sc_sanitize_finish(st, sink, &out)) != SC_OK)
		goto fail;
	printf("%6zu secrets: walk+compile %7.1f ms, %8zu patterns, %6.2f GB/s over %zu MiB "
	       "(%zu bytes out)\n",
	       nsec, (t1 - t0) * 1e3, sc_sanitizer_pattern_count(z),
	       (double)total / (now() - t2) / 1e9, total >> 20, out);
fail:
	if (r != SC_OK)
		fprintf(stderr, "bench_redact: %s %s\n", sc_strerror(r), sc_last_error());
	sc_sanitize_stream_free(st);
	sc_sanitizer_free(z);
	sc_vault_close(v);
	if (strlen(path) < 4000) {
		char cmd[4096 + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
		(void)!system(cmd);
	}
	free(text);
	free(vals);
	return r != SC_OK;
}

int main(int argc, char **argv)
{
	size_t total = (argc > 1 ? (size_t)atol(argv[1]) : 256) << 20;
	const char *dir = argc > 2 ? argv[2] : "/dev/shm";

	if (sc_init() != SC_OK)
		return 2;
	return bench(dir, 1000, total) || bench(dir, 10000, total);
}
