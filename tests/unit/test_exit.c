/* test_exit.c - the exit statuses: every status exits with a code that
 * EXIT STATUS lists, and man/secretctl.1 says, code
 * by code, word for word, what the table says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"

/* util.c's usage messages look commands up here (main.c has the real one) */
const struct cli_cmd cli_commands[] = {{NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL}};

#ifndef SC_SOURCE_DIR
#error "SC_SOURCE_DIR must name the source tree"
#endif

static void test_every_status_has_one_code(void **state)
{
	int st, found;
	size_t i, j;

	(void)state;
	assert_int_equal(cli_exit_status(SC_OK), EXIT_OK);
	/* every status's exit code is one the man page documents */
	for (st = 1; st < SC_STATUS_MAX; st++) {
		found = 0;
		for (i = 0; i < cli_exits_count; i++)
			found |= cli_exits[i].code == cli_exit_status(st);
		if (!found || cli_exit_status(st) == EXIT_OK)
			fail_msg("status %d (%s) exits %d, which EXIT STATUS does not list", st,
			         sc_strerror(st), cli_exit_status(st));
	}
	assert_int_equal(cli_exit_status(SC_ERR_EXPIRED), 8);
	assert_int_equal(cli_exit_status(SC_ERR_READONLY), EXIT_READONLY);
	assert_int_equal(cli_exit_status(SC_ERR_NOSPACE), EXIT_NOSPACE);
	assert_int_equal(cli_exit_status(SC_ERR_STATE), EXIT_DENIED);
	assert_int_equal(cli_exit_status(SC_ERR_TOKEN), EXIT_TOKEN);
	assert_int_equal(cli_exit_status(SC_ERR_IO), EXIT_FAIL);
	/* distinct codes, in the man page's order */
	for (i = 0; i < cli_exits_count; i++)
		for (j = i + 1; j < cli_exits_count; j++)
			assert_int_not_equal(cli_exits[i].code, cli_exits[j].code);
}

/* The EXIT STATUS section as "LABEL\nTEXT\n\n" per item, from the man page. */
static char *man_section(void)
{
	FILE *f = fopen(SC_SOURCE_DIR "/man/secretctl.1", "r");
	char line[1024];
	char *out = calloc(1, 1 << 16);
	size_t n = 0;
	int in = 0, first = 1;

	assert_non_null(f);
	assert_non_null(out);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, ".Sh ", 4) == 0) {
			in = strcmp(line, ".Sh EXIT STATUS\n") == 0;
			continue;
		}
		if (!in || strncmp(line, ".Bl ", 4) == 0 || strcmp(line, ".El\n") == 0)
			continue;
		if (strncmp(line, ".It ", 4) == 0) {
			n += (size_t)snprintf(out + n, (1 << 16) - n, "%s%s", first ? "" : "\n",
			                      line + 4);
			first = 0;
			continue;
		}
		n += (size_t)snprintf(out + n, (1 << 16) - n, "%s", line);
	}
	fclose(f);
	/* drop the last item's final newline, as the table's texts have none */
	if (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	return out;
}

static char *table_section(void)
{
	char *out = calloc(1, 1 << 16);
	size_t i, n = 0;

	assert_non_null(out);
	for (i = 0; i < cli_exits_count; i++) {
		if (cli_exits[i].code >= 0)
			n += (size_t)snprintf(out + n, (1 << 16) - n, "%s%d\n%s", i ? "\n\n" : "",
			                      cli_exits[i].code, cli_exits[i].man);
		else
			n += (size_t)snprintf(out + n, (1 << 16) - n, "%s128+ Ns Ar N\n%s",
			                      i ? "\n\n" : "", cli_exits[i].man);
	}
	return out;
}

static void test_man_page_says_what_the_table_says(void **state)
{
	char *man = man_section(), *tab = table_section();

	(void)state;
	if (strcmp(man, tab) != 0) {
		size_t i, k;

		fprintf(stderr, "man/secretctl.1 EXIT STATUS should read:\n"
		                ".Sh EXIT STATUS\n.Bl -tag -width Ds -compact\n");
		for (i = 0; i < cli_exits_count; i++) {
			if (cli_exits[i].code >= 0)
				fprintf(stderr, ".It %d\n", cli_exits[i].code);
			else
				fprintf(stderr, ".It 128+ Ns Ar N\n");
			fprintf(stderr, "%s\n", cli_exits[i].man);
		}
		fprintf(stderr, ".El\n");
		for (k = 0; man[k] == tab[k]; k++)
			;
		fail_msg("they part at byte %zu: man '%.40s' / table '%.40s'", k, man + k, tab + k);
	}
	free(man);
	free(tab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_status_has_one_code),
	    cmocka_unit_test(test_man_page_says_what_the_table_says),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
