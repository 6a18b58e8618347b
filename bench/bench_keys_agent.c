/* bench_keys_agent.c - named keys used inside the unlock agent, from one
 * process, without process start-up: encrypt and decrypt of 1 KiB one call
 * at a time (connect + request + audited reply), the same in batches of
 * 10,000, and a signature by each signing type. Usage: bench_keys_agent
 * VAULT_DIR [N] (bench/keys_agent.sh makes the keys and unlocks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "secretctl/agent.h"
#include "secretctl/buf.h"
#include "secretctl/keyop.h"

#define BATCH 10000
#define PT_LEN 1024

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%-44s p50 %7.3f  p90 %7.3f  min %7.3f  ms\n", what, t[n / 2], t[n * 9 / 10], t[0]);
}

static const char *dir;
static long agent_pid;

/* CPU time (user + system) of the agent and of this process, in ms: what
 * a batch costs on one core whatever else the machine runs. */
static double cpu_ms(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	struct timespec ts;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", agent_pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL)
			(void)sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			             &ut, &st);
		fclose(f);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)(ut + st) * 1e3 / (double)sysconf(_SC_CLK_TCK) + ts.tv_sec * 1e3 +
	       ts.tv_nsec / 1e6;
}

/* One operation on a fresh connection (as a CLI call makes it), or on fd. */
static int one(int fd, const struct sc_keyop *op, struct sc_keyop_result *res)
{
	int own = fd < 0, r;

	if (own && sc_agent_connect(dir, &fd) != SC_OK) {
		fprintf(stderr, "bench_keys_agent: no agent for '%s'\n", dir);
		exit(1);
	}
	r = sc_agent_key(fd, SC_AGENT_ORIGIN_CLI, NULL, op, res);
	if (own)
		close(fd);
	if (r != SC_OK) {
		fprintf(stderr, "bench_keys_agent: %s: %s (%s)\n", sc_keyop_kind_name(op->kind),
		        sc_strerror(r), sc_last_error());
		exit(1);
	}
	return r;
}

static void timed(const char *label, int reuse, const struct sc_keyop *op, double *t, int n)
{
	struct sc_keyop_result res;
	int i, fd = -1;

	if (reuse && sc_agent_connect(dir, &fd) != SC_OK)
		exit(1);
	for (i = 0; i < n; i++) {
		double t0 = now_ms();

		one(fd, op, &res);
		t[i] = now_ms() - t0;
		sc_keyop_result_release(&res);
	}
	if (fd >= 0)
		close(fd);
	report(label, t, n);
}

int main(int argc, char **argv)
{
	static const char *sig_keys[] = {"b-ed25519", "b-p256", "b-k1"};
	struct sc_keyop op;
	struct sc_keyop_result res, ct;
	struct sc_buf b;
	uint8_t pt[PT_LEN], *items;
	size_t ilen, k;
	double *t, t0, ms, c0, cpu;
	int n = argc > 2 ? atoi(argv[2]) : 200, i;

	if (argc < 2 || n < 1 || sc_init() != SC_OK)
		return 2;
	dir = argv[1];
	{
		struct sc_agent_status st;
		int fd;

		if (sc_agent_connect(dir, &fd) != SC_OK || sc_agent_status(fd, &st) != SC_OK)
			return 1;
		close(fd);
		agent_pid = (long)st.pid;
	}
	if ((t = calloc((size_t)n, sizeof(*t))) == NULL)
		return 1;
	memset(pt, 'x', sizeof(pt));
	memset(&op, 0, sizeof(op));
	op.kind = SC_KEYOP_ENCRYPT;
	op.name = "b-aes";
	op.in = pt;
	op.in_len = sizeof(pt);
	timed("encrypt 1 KiB, connect + call (audited)", 0, &op, t, n);
	timed("encrypt 1 KiB, one connection (audited)", 1, &op, t, n);
	one(-1, &op, &ct);
	op.kind = SC_KEYOP_DECRYPT;
	op.in = ct.out;
	op.in_len = ct.out_len;
	timed("decrypt 1 KiB, connect + call (audited)", 0, &op, t, n);
	sc_keyop_result_release(&ct);

	/* batches: 10,000 plaintexts in one request, one audit entry */
	sc_buf_init(&b, SC_KEYOP_OUT_MAX, SC_BUF_SECURE);
	for (i = 0; i < BATCH; i++) {
		(void)sc_buf_put_u32(&b, PT_LEN);
		(void)sc_buf_put(&b, pt, PT_LEN);
	}
	if (sc_buf_status(&b) != SC_OK)
		return 1;
	items = sc_buf_steal(&b, &ilen);
	for (k = 0; k < 3; k++) {
		memset(&op, 0, sizeof(op));
		op.kind = SC_KEYOP_ENCRYPT;
		op.name = "b-aes";
		op.in = items;
		op.in_len = ilen;
		op.batch = BATCH;
		t0 = now_ms();
		c0 = cpu_ms();
		one(-1, &op, &ct);
		ms = now_ms() - t0;
		cpu = cpu_ms() - c0;
		printf("%-36s wall %7.1f ms %7.0f ops/s; CPU %6.1f ms %7.0f ops/s\n",
		       "encrypt batch of 10,000 x 1 KiB", ms, BATCH / (ms / 1e3), cpu,
		       BATCH / (cpu / 1e3));
		op.kind = SC_KEYOP_DECRYPT;
		op.in = ct.out;
		op.in_len = ct.out_len;
		t0 = now_ms();
		c0 = cpu_ms();
		one(-1, &op, &res);
		ms = now_ms() - t0;
		cpu = cpu_ms() - c0;
		printf("%-36s wall %7.1f ms %7.0f ops/s; CPU %6.1f ms %7.0f ops/s\n",
		       "decrypt batch of 10,000 x 1 KiB", ms, BATCH / (ms / 1e3), cpu,
		       BATCH / (cpu / 1e3));
		if (res.out_len != ilen || memcmp(res.out, items, ilen) != 0) {
			fprintf(stderr, "bench_keys_agent: the batch did not come back\n");
			return 1;
		}
		sc_keyop_result_release(&res);
		sc_keyop_result_release(&ct);
	}
	sc_secmem_free(items);

	for (k = 0; k < sizeof(sig_keys) / sizeof(sig_keys[0]); k++) {
		char label[64];

		memset(&op, 0, sizeof(op));
		op.kind = SC_KEYOP_SIGN;
		op.name = sig_keys[k];
		op.in = pt;
		op.in_len = 32;
		snprintf(label, sizeof(label), "sign %s, connect + call (audited)",
		         sig_keys[k] + 2);
		timed(label, 0, &op, t, n);
	}
	free(t);
	return 0;
}
