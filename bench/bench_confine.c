/* bench_confine.c - what confinement adds to a run: sc_exec_run of `true`
 * bare, under bubblewrap alone and under bubblewrap + Landlock + seccomp
 * (this binary is the helper step). Usage: bench_confine [runs] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secretctl/confine.h"

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* mode 0: bare; 1: confined as the probe finds the machine */
static int measure(const char *label, int mode, int runs)
{
	char *argv[] = {(char *)"true", NULL};
	char *envp[] = {(char *)"PATH=/usr/bin:/bin", (char *)"BENCH_SECRET=bench-value-0123456789",
	                NULL};
	struct sc_confine_opts c;
	double *t = calloc((size_t)runs, sizeof(*t));
	int i;

	if (t == NULL)
		return 1;
	memset(&c, 0, sizeof(c));
	for (i = -3; i < runs; i++) {
		struct sc_exec_opts o;
		struct sc_exec_result res;
		struct sc_confine *hold = NULL;
		char *why = NULL;
		double t0 = now_ms();

		sc_exec_opts_init(&o);
		o.path = "/bin/true";
		o.argv = argv;
		o.envp = envp;
		o.capture_max = 4096;
		if (mode && sc_confine_exec_opts(&c, &o, &hold, &why) != SC_OK) {
			fprintf(stderr, "bench_confine: %s\n", why ? why : "cannot confine");
			return 1;
		}
		if (sc_exec_run(&o, &res) != SC_OK || res.exit_code != 0) {
			fprintf(stderr, "bench_confine: run failed (%.*s)\n", (int)res.err_len,
			        res.err ? (const char *)res.err : "");
			return 1;
		}
		sc_exec_result_release(&res);
		sc_confine_free(hold);
		if (i >= 0)
			t[i] = now_ms() - t0;
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp);
	printf("%-34s median %6.2f ms  min %6.2f ms  (%d runs)\n", label, t[runs / 2], t[0], runs);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = 200;

	if (argc > 1 && strcmp(argv[1], SC_CONFINE_HELPER_ARG) == 0)
		return sc_confine_helper_main(argc, argv, environ);
	if (argc > 1)
		runs = atoi(argv[1]);
	if (runs < 1 || sc_init() != SC_OK)
		return 2;
	if (measure("run true, bare", 0, runs) != 0)
		return 1;
	if (measure("run true, bubblewrap+landlock", 1, runs) != 0)
		return 1;
	sc_confine_test_override(-1, 0);
	if (measure("run true, bubblewrap only", 1, runs) != 0)
		return 1;
	sc_confine_test_override(0, -1);
	return 0;
}
