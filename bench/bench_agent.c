/* bench_agent.c - the unlock agent's own cost, without process start-up:
 * round trips of status, exists, list and a run of `true` against a running,
 * unlocked agent, from one process. Usage: bench_agent VAULT_DIR [N]
 * (bench/agent.sh runs it; the agent must be unlocked for VAULT_DIR). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "secretctl/agent.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int count(const struct sc_secret *s, void *arg)
{
	(void)s;
	++*(size_t *)arg;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%-34s median %7.3f  min %7.3f  ms\n", what, t[n / 2], t[0]);
}

int main(int argc, char **argv)
{
	const char *key = "bench/key1", *targv[] = {"true", NULL}, *keys[] = {"bench/key1"};
	struct sc_agent_status st;
	struct sc_exec_result res;
	struct sc_agent_run run = {0};
	double *t;
	int n = argc > 2 ? atoi(argv[2]) : 200, i, fd, ex;
	size_t seen;

	if (argc < 2 || n < 1 || sc_init() != SC_OK)
		return 2;
	if ((t = calloc((size_t)n, sizeof(*t))) == NULL)
		return 1;
	run.argv = targv;
	run.keys = keys;
	run.nkeys = 1;
	run.stdin_fd = run.out_fd = run.err_fd = -1;
#define TIMED(label, body)                                                                         \
	for (i = 0; i < n; i++) {                                                                  \
		double t0 = now_ms();                                                              \
		if (sc_agent_connect(argv[1], &fd) != SC_OK) {                                     \
			fprintf(stderr, "bench_agent: no agent for '%s'\n", argv[1]);              \
			return 1;                                                                  \
		}                                                                                  \
		body;                                                                              \
		close(fd);                                                                         \
		t[i] = now_ms() - t0;                                                              \
	}                                                                                          \
	report(label, t, n)
	TIMED("connect + status (no audit)", if (sc_agent_status(fd, &st) != SC_OK) return 1);
	TIMED("connect + exists (audited)",
	      if (sc_agent_exists(fd, SC_AGENT_ORIGIN_CLI, key, &ex) != SC_OK) return 1);
	TIMED("connect + list (audited)", seen = 0;
	      if (sc_agent_walk(fd, SC_AGENT_ORIGIN_CLI, count, &seen) != SC_OK) return 1);
	TIMED("connect + run true (audited)",
	      if (sc_agent_run(fd, &run, -1, &res, NULL) != SC_OK || res.exit_code != 0) return 1;
	      sc_exec_result_release(&res));
	free(t);
	return 0;
}
