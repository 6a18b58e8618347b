/* bench_audit.c - what the audit log costs: `audit verify` throughput on a
 * generated log of N entries (default 1,000,000), and the cost of one
 * append beside what durability alone costs on the same disk (a bare
 * append + fdatasync, and a bare anchor update in the vault).
 * Usage: bench_audit [ENTRIES] [DIR]   (DIR on the disk to measure) */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "secretctl/audit.h"

#define PW "bench-password-1"
#define RUNS 3
#define APPENDS 200

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_audit: %s: %s %s\n", what, sc_strerror(r), sc_last_error());
	exit(1);
}

/* Write n entries, chained under key, the way the CLI writes them: one
 * or two secrets, a run with a command now and then, an MCP client. */
static void generate(const char *path, const uint8_t *key, uint64_t n, struct sc_audit_anchor *a)
{
	static const char *const ops[] = {"get", "set", "run", "list", "secret_run", "exists"};
	struct sc_audit_entry *e = calloc(1, sizeof(*e));
	char *line = malloc(SC_AUDIT_LINE_MAX + 2), *buf = malloc(1 << 20);
	size_t len, used = 0;
	uint64_t i;
	int fd, r;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (e == NULL || line == NULL || buf == NULL || fd < 0)
		die("generate", SC_ERR_IO);
	memset(a, 0, sizeof(*a));
	for (i = 0; i < n; i++) {
		memset(e, 0, offsetof(struct sc_audit_entry, secrets));
		e->kind = SC_AUDIT_ENTRY;
		e->seq = i + 1;
		e->ts_ms = 1763800000000 + (int64_t)i * 37;
		strcpy(e->op, ops[i % 6]);
		e->source = i % 6 == 4 ? SC_AUDIT_SRC_MCP : SC_AUDIT_SRC_CLI;
		if (e->source == SC_AUDIT_SRC_MCP) {
			strcpy(e->client, "claude-code");
			e->client_len = 11;
		}
		e->pid = 10000 + (uint32_t)(i % 30000);
		e->uid = 1000;
		e->n_secrets = 1 + i % 2;
		memset(e->secrets[0], (int)(i & 0xff), SC_MAC_LEN);
		memset(e->secrets[1], 0x5a, SC_MAC_LEN);
		if (i % 6 == 2 || i % 6 == 4) {
			strcpy(e->cmd, "terraform");
			e->cmd_len = 9;
		}
		e->result = i % 17 == 0 ? SC_AUDIT_ERROR : SC_AUDIT_OK;
		e->code[0] = '\0';
		if (e->result != SC_AUDIT_OK)
			strcpy(e->code, "not_found");
		e->late = 0;
		memcpy(e->prev, a->mac, SC_MAC_LEN);
		if ((r = sc_audit_mac(key, e, e->mac)) != SC_OK ||
		    (r = sc_audit_format_line(e, line, SC_AUDIT_LINE_MAX + 2, &len)) != SC_OK)
			die("generate", r);
		a->seq = e->seq;
		memcpy(a->mac, e->mac, SC_MAC_LEN);
		if (used + len > (1 << 20)) {
			if (write(fd, buf, used) != (ssize_t)used)
				die("write", SC_ERR_IO);
			used = 0;
		}
		memcpy(buf + used, line, len);
		used += len;
	}
	if (write(fd, buf, used) != (ssize_t)used || fsync(fd) != 0)
		die("write", SC_ERR_IO);
	close(fd);
	free(e);
	free(line);
	free(buf);
}

int main(int argc, char **argv)
{
	static const struct sc_kdf_params kp = {8192, 1};
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	const char *base = argc > 2 ? argv[2] : ".";
	char dir[1024], path[1200], raw[1200];
	double t[APPENDS], bare[APPENDS], anch[APPENDS], both[APPENDS], vt[RUNS], vc[RUNS], t0, c0;
	struct sc_audit_anchor a, small;
	struct sc_audit_report rep;
	struct sc_vault *v = NULL;
	uint8_t *key;
	struct stat st;
	int i, fd, r;
	char line[256];

	if (sc_init() != SC_OK || (key = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/bench-audit.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", SC_ERR_IO);
	snprintf(path, sizeof(path), "%s/v", dir);
	if ((r = sc_vault_create(path, PW, strlen(PW), &kp)) != SC_OK ||
	    (r = sc_vault_open(path, &v)) != SC_OK ||
	    (r = sc_vault_unlock(v, PW, strlen(PW))) != SC_OK ||
	    (r = sc_vault_audit_key(v, key)) != SC_OK)
		die("vault", r);
	snprintf(path, sizeof(path), "%s/v/%s", dir, SC_AUDIT_FILE);

	/* 1. what durability alone costs here (a ~250-byte append + fdatasync;
	 * the anchor update alone, one SQLite commit in WAL mode with
	 * synchronous=FULL; both one after the other, as an audited operation
	 * needs them) beside 2. sc_audit_append on a small log. The four are
	 * interleaved so that all see the same disk, which others share. */
	snprintf(raw, sizeof(raw), "%s/raw.log", dir);
	fd = open(raw, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	if (fd < 0 || (r = sc_vault_anchor_get(v, &small)) != SC_OK)
		die("setup", SC_ERR_IO);
	for (i = 0; i < APPENDS; i++) {
		const char *names[] = {"api/key"};
		struct sc_audit_event ev = {.op = "get", .names = names, .n_names = 1};

		t0 = now();
		if (write(fd, line, sizeof(line)) != (ssize_t)sizeof(line) || fdatasync(fd) != 0)
			die("raw append", SC_ERR_IO);
		bare[i] = now() - t0;
		t0 = now();
		if ((r = sc_vault_anchor_set(v, &small)) != SC_OK)
			die("anchor", r);
		anch[i] = now() - t0;
		t0 = now();
		if (write(fd, line, sizeof(line)) != (ssize_t)sizeof(line) || fdatasync(fd) != 0 ||
		    (r = sc_vault_anchor_set(v, &small)) != SC_OK)
			die("raw append + anchor", SC_ERR_IO);
		both[i] = now() - t0;
		/* the real anchor goes on from where sc_audit_append left it */
		t0 = now();
		if ((r = sc_audit_append(v, &ev)) != SC_OK)
			die("append", r);
		t[i] = now() - t0;
		if ((r = sc_vault_anchor_get(v, &small)) != SC_OK)
			die("anchor", r);
	}
	close(fd);
	printf("durability on %s (median of %d):\n", base, APPENDS);
	printf("  bare append + fdatasync             %8.3f ms\n", median(bare, APPENDS) * 1e3);
	printf("  bare anchor update (SQLite commit)  %8.3f ms\n", median(anch, APPENDS) * 1e3);
	printf("  both, one after the other           %8.3f ms   <- what durability costs\n",
	       median(both, APPENDS) * 1e3);
	printf("  sc_audit_append, small log          %8.3f ms\n", median(t, APPENDS) * 1e3);
	printf("  append beyond durability            %8.3f ms\n",
	       (median(t, APPENDS) - median(both, APPENDS)) * 1e3);

	/* 3. verify N entries, then append on that big log */
	generate(path, key, n, &a);
	if ((r = sc_vault_anchor_set(v, &a)) != SC_OK)
		die("anchor", r);
	if (stat(path, &st) != 0)
		die("stat", SC_ERR_IO);
	for (i = 0; i < RUNS; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		t0 = now();
		c0 = cpu();
		if ((r = sc_audit_verify_fd(fd, key, &a, &rep)) != SC_OK)
			die("verify", r);
		vc[i] = cpu() - c0;
		vt[i] = now() - t0;
		close(fd);
		if (rep.entries != n)
			die("verify count", SC_ERR_INTERNAL);
	}
	{
		double m = median(vt, RUNS), c = median(vc, RUNS);

		/* CPU time too: on a shared machine the wall clock also counts
		 * the time others had the core */
		printf(
		    "verify %llu entries (%.1f MB, warm cache, median of %d): wall %.3f s = %.0f "
		    "entries/s (%.0f MB/s); cpu %.3f s = %.0f entries/s\n",
		    (unsigned long long)n, (double)st.st_size / 1e6, RUNS, m, (double)n / m,
		    (double)st.st_size / 1e6 / m, c, (double)n / c);
	}
	t0 = now();
	if ((r = sc_audit_verify(v, &rep)) != SC_OK)
		die("sc_audit_verify", r);
	printf("sc_audit_verify (lock + anchor + verify)          %.3f s\n", now() - t0);
	fd = open(raw, O_WRONLY | O_APPEND | O_CLOEXEC);
	for (i = 0; i < APPENDS / 4; i++) {
		struct sc_audit_event ev = {.op = "get"};

		if ((r = sc_vault_anchor_get(v, &small)) != SC_OK)
			die("anchor", r);
		t0 = now();
		if (write(fd, line, sizeof(line)) != (ssize_t)sizeof(line) || fdatasync(fd) != 0 ||
		    (r = sc_vault_anchor_set(v, &small)) != SC_OK)
			die("raw append + anchor", SC_ERR_IO);
		both[i] = now() - t0;
		t0 = now();
		if ((r = sc_audit_append(v, &ev)) != SC_OK)
			die("append", r);
		t[i] = now() - t0;
	}
	close(fd);
	printf("on the %llu-entry log (median of %d): durability %.3f ms, sc_audit_append "
	       "%.3f ms, beyond durability %.3f ms\n",
	       (unsigned long long)n, APPENDS / 4, median(both, APPENDS / 4) * 1e3,
	       median(t, APPENDS / 4) * 1e3,
	       (median(t, APPENDS / 4) - median(both, APPENDS / 4)) * 1e3);
	sc_vault_close(v);
	sc_secmem_free(key);
	snprintf(raw, sizeof(raw), "rm -rf '%s'", dir);
	if (system(raw) != 0)
		return 1;
	return 0;
}
