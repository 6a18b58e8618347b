/* bench_sanitize.c - throughput of the streaming sanitizer on generated log
 * text with 1, 10 and 100 secrets, beside a naive memmem-per-pattern
 * redactor and plain memcpy of the same data. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "secretctl/sanitize.h"
#include "run/sanitize_int.h"

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

static void make_secret(char *s, size_t i)
{
	static const char *prefix[] = {"sk_live_", "ghp_", "AKIA", "xoxb-", "", "pw:"};
	size_t n = 24 + rnd() % 17, k;

	strcpy(s, prefix[i % 6]);
	for (k = strlen(s); k < n; k++)
		s[k] = alnum[rnd() % 62];
	if (i % 4 == 3)
		s[n / 2] = "+/=&%@!"[rnd() % 7];
	s[n] = '\0';
}

/* Log-like lines, base64 lines and hex lines; every ~8 KiB one of the
 * secrets appears raw, hex-encoded or base64-encoded in "user:secret". */
static size_t gen_line(char *o, char secrets[][48], size_t nsecrets, size_t *since)
{
	static const char *lvl[] = {"INFO ", "DEBUG", "WARN ", "ERROR"};
	static const char *path[] = {"/api/v1/items", "/healthz", "/api/v2/users/search",
	                             "/static/app.js", "/login"};
	uint8_t raw[64];
	char tmp[200];
	size_t n = 0, k;
	uint32_t r = rnd() % 100;

	if (*since > 8192 && nsecrets > 0) {
		const char *s = secrets[rnd() % nsecrets];

		*since = 0;
		switch (rnd() % 3) {
		case 0:
			return (size_t)sprintf(o, "2024-05-17T10:00:00.000Z DEBUG env token=%s\n",
			                       s);
		case 1:
			sodium_bin2hex(tmp, sizeof(tmp), (const uint8_t *)s, strlen(s));
			return (size_t)sprintf(o, "dump: %s\n", tmp);
		default: {
			char up[64];

			snprintf(up, sizeof(up), "user:%s", s);
			sodium_bin2base64(tmp, sizeof(tmp), (const uint8_t *)up, strlen(up),
			                  sodium_base64_VARIANT_ORIGINAL);
			return (size_t)sprintf(o, "> Authorization: Basic %s\n", tmp);
		}
		}
	}
	if (r < 70) {
		n = (size_t)sprintf(
		    o,
		    "2024-05-17T%02u:%02u:%02u.%03uZ %s [worker-%02u] GET %s?page=%u "
		    "status=%u latency=%ums req=%08x user=",
		    rnd() % 24, rnd() % 60, rnd() % 60, rnd() % 1000, lvl[rnd() % 4], rnd() % 16,
		    path[rnd() % 5], rnd() % 50, 200 + (rnd() % 4) * 100, rnd() % 900, rnd());
		for (k = 0, r = 4 + rnd() % 8; k < r; k++)
			o[n++] = alnum[26 + rnd() % 26];
		o[n++] = '\n';
	} else if (r < 85) {
		for (k = 0; k < 57; k++)
			raw[k] = (uint8_t)rnd();
		sodium_bin2base64(tmp, sizeof(tmp), raw, 57, sodium_base64_VARIANT_ORIGINAL);
		n = (size_t)sprintf(o, "%s\n", tmp);
	} else {
		for (k = 0; k < 32; k++)
			raw[k] = (uint8_t)rnd();
		sodium_bin2hex(tmp, sizeof(tmp), raw, 32);
		n = (size_t)sprintf(o, "sha256=%s ok\n", tmp);
	}
	*since += n;
	return n;
}

struct count {
	size_t bytes;
	uint8_t *copy; /* when non-NULL, collect the output here */
};

static int sink(void *arg, const uint8_t *p, size_t n)
{
	struct count *c = arg;

	if (c->copy != NULL)
		memcpy(c->copy + c->bytes, p, n);
	c->bytes += n;
	return 0;
}

static double run_sanitizer(const struct sc_sanitizer *z, const uint8_t *data, size_t len,
                            struct count *c)
{
	struct sc_sanitize_stream *st;
	double t0;
	size_t off, n;

	if (sc_sanitize_stream_new(z, &st) != SC_OK)
		exit(1);
	t0 = now();
	for (off = 0; off < len; off += n) {
		n = len - off < FEED ? len - off : FEED;
		if (sc_sanitize_feed(st, data + off, n, sink, c) != SC_OK)
			exit(1);
	}
	if (sc_sanitize_finish(st, sink, c) != SC_OK)
		exit(1);
	t0 = now() - t0;
	sc_sanitize_stream_free(st);
	return t0;
}

struct iv {
	size_t s, e, pat;
};

static int iv_cmp(const void *a, const void *b)
{
	const struct iv *x = a, *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->e > y->e ? -1 : x->e < y->e;
}

/* The naive way: memmem every pattern over the whole buffer, then write
 * the buffer with the (merged) hits replaced. */
static double run_naive(const struct sc_sanitizer *z, const uint8_t *data, size_t len, uint8_t *out,
                        size_t *outlen)
{
	size_t np = sc_sanitizer_pattern_count(z), i, n = 0, cap = 1024, pos = 0, o = 0;
	struct iv *v = malloc(cap * sizeof(*v));
	double t0 = now();

	for (i = 0; i < np; i++) {
		const uint8_t *p, *hit, *from = data;
		size_t plen;

		if (sc_sanitizer_pattern(z, i, &p, &plen, NULL) != SC_OK)
			exit(1);
		while ((hit = memmem(from, len - (size_t)(from - data), p, plen)) != NULL) {
			if (n == cap)
				v = realloc(v, (cap *= 2) * sizeof(*v));
			v[n].s = (size_t)(hit - data);
			v[n].e = v[n].s + plen;
			v[n++].pat = i;
			from = hit + 1;
		}
	}
	qsort(v, n, sizeof(*v), iv_cmp);
	for (i = 0; i < n;) {
		size_t cs = v[i].s, ce = v[i].e;
		const char *r = sc_sanitizer_replacement(z, v[i].pat);

		for (i++; i < n && v[i].s < ce; i++)
			if (v[i].e > ce)
				ce = v[i].e;
		memcpy(out + o, data + pos, cs - pos);
		o += cs - pos;
		memcpy(out + o, r, strlen(r));
		o += strlen(r);
		pos = ce;
	}
	memcpy(out + o, data + pos, len - pos);
	o += len - pos;
	t0 = now() - t0;
	*outlen = o;
	free(v);
	return t0;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	size_t total = (argc > 1 ? (size_t)atol(argv[1]) : 256) << 20;
	static const size_t counts[] = {1, 10, 100};
	static const size_t naive_mib[] = {64, 8, 2};
	static char secrets[100][48];
	uint8_t *data, *copy, *out1, *out2;
	char line[512];
	size_t len = 0, since = 0, i, k, ci;
	double t, times[3], memcpy_mbs, adv_mbs = 0;
	size_t adv_mib = 0;
	struct count c;

	if (sc_init() != SC_OK)
		return 1;
	for (i = 0; i < 100; i++)
		make_secret(secrets[i], i);
	data = malloc(total + 512);
	copy = malloc(FEED);
	if (data == NULL || copy == NULL)
		return 1;
	/* one text for every row: secrets injected are drawn from all 100, so
	 * the 1- and 10-secret rows see some of theirs and pass the rest */
	while (len < total) {
		size_t n = gen_line(line, secrets, 100, &since);

		if (len + n > total)
			n = total - len;
		memcpy(data + len, line, n);
		len += n;
	}

	for (k = 0; k < 3; k++) {
		t = now();
		for (i = 0; i < len; i += FEED)
			memcpy(copy, data + i, len - i < FEED ? len - i : FEED);
		times[k] = now() - t;
		if (copy[0] == 0xff) /* keep the copies */
			puts("");
	}
	qsort(times, 3, sizeof(times[0]), dcmp);
	memcpy_mbs = (double)len / 1e6 / times[1];
	printf("input: %zu MiB of generated log text (log lines, base64 lines, hex lines),\n"
	       "fed in %d KiB chunks; median of 3 runs; one core\n\n",
	       len >> 20, FEED / 1024);
	printf("%-8s %9s %9s %14s %16s %14s\n", "secrets", "patterns", "max len", "sanitize MB/s",
	       "naive MB/s", "memcpy MB/s");
	for (ci = 0; ci < 3; ci++) {
		struct sc_sanitizer *z;
		size_t nlen = naive_mib[ci] << 20, o1, o2;
		double tn;

		if (sc_sanitizer_new(&z) != SC_OK)
			return 1;
		for (i = 0; i < counts[ci]; i++) {
			char label[16];

			snprintf(label, sizeof(label), "S%d", (int)i);
			if (sc_sanitizer_add(z, (const uint8_t *)secrets[i], strlen(secrets[i]),
			                     label, NULL) != SC_OK)
				return 1;
		}
		if (sc_sanitizer_compile(z) != SC_OK)
			return 1;
		for (k = 0; k < 3; k++) {
			c.bytes = 0;
			c.copy = NULL;
			times[k] = run_sanitizer(z, data, len, &c);
		}
		qsort(times, 3, sizeof(times[0]), dcmp);
		/* the naive run doubles as a check of the sanitizer's output */
		if (nlen > len)
			nlen = len;
		out1 = malloc(nlen * 2 + 4096);
		out2 = malloc(nlen * 2 + 4096);
		tn = run_naive(z, data, nlen, out2, &o2);
		c.bytes = 0;
		c.copy = out1;
		run_sanitizer(z, data, nlen, &c);
		o1 = c.bytes;
		if (o1 != o2 || memcmp(out1, out2, o1) != 0) {
			size_t d = 0;

			while (d < o1 && d < o2 && out1[d] == out2[d])
				d++;
			fprintf(stderr,
			        "bench_sanitize: output differs from the naive one at %zu (%zu vs "
			        "%zu)\n[%.*s]\n[%.*s]\n",
			        d, o1, o2, 200, (char *)out1 + (d > 100 ? d - 100 : 0), 200,
			        (char *)out2 + (d > 100 ? d - 100 : 0));
			return 1;
		}
		printf("%-8zu %9zu %9zu %14.0f %9.0f (%2zu MiB) %14.0f\n", counts[ci],
		       sc_sanitizer_pattern_count(z), sc_sanitizer_max_len(z),
		       (double)len / 1e6 / times[1], (double)nlen / 1e6 / tn, nlen >> 20,
		       memcpy_mbs);
		free(out1);
		free(out2);
		if (ci == 2) {
			/* worst case for the filter: text made of 20-byte
			 * prefixes of the secrets, so every sample hits and the
			 * automaton runs over every byte */
			size_t alen = len < ((size_t)32 << 20) ? len : ((size_t)32 << 20), a = 0;
			uint8_t *adv = malloc(alen + 64);

			while (a < alen) {
				const char *sp = secrets[rnd() % 100];

				memcpy(adv + a, sp, 20);
				adv[a + 20] = ' ';
				a += 21;
			}
			for (k = 0; k < 3; k++) {
				c.bytes = 0;
				c.copy = NULL;
				times[k] = run_sanitizer(z, adv, alen, &c);
			}
			qsort(times, 3, sizeof(times[0]), dcmp);
			adv_mbs = (double)alen / 1e6 / times[1];
			adv_mib = alen >> 20;
			free(adv);
		}
		sc_sanitizer_free(z);
	}
	printf("\nworst case, 100 secrets, %zu MiB of 20-byte secret prefixes (no sample\n"
	       "skipped, automaton on every byte): %.0f MB/s\n",
	       adv_mib, adv_mbs);
	printf("\nnaive: memmem of each pattern over a slice of the same text (size in\n"
	       "parentheses; its rate is per byte, so it extrapolates to the whole input);\n"
	       "its output on that slice is checked to equal the sanitizer's.\n");
	free(data);
	free(copy);
	return 0;
}
