/* fuzz_policy.c - libFuzzer target for the MCP policy reader and the run
 * decision: the input is a policy, optionally followed by a NUL byte and a
 * run (lines: command as given, resolved path, then arguments; a line
 * starting with '$' is a secret name). Every input must either fail
 * cleanly with a "line N: ..." message or give a policy whose decisions are
 * well-formed; and the exact rule "always" adds to it either is refused
 * cleanly or reads back and allows the run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secretctl/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RUN_ITEMS 64

static void check_reason(int r, const char *reason, size_t cap)
{
	size_t n = strnlen(reason, cap);

	if (n == cap)
		abort(); /* not terminated */
	if (strchr(reason, '\n') != NULL)
		abort(); /* a reason is one line: no forged lines for the agent */
	if (r == SC_ERR_DENIED && n == 0)
		abort(); /* a denial always says why */
	if (r != SC_OK && r != SC_ERR_DENIED && r != SC_ERR_INVALID)
		abort();
}

static void run_one(const struct sc_policy *p, const char *given, const char *resolved,
                    const char *const *args, size_t nargs, const char *const *secrets,
                    size_t nsecrets)
{
	char reason[256];
	int r = sc_policy_check_run(p, given, resolved, args, nargs, secrets, nsecrets, reason,
	                            sizeof(reason));

	check_reason(r, reason, sizeof(reason));
	/* No policy denies everything that is well-formed. */
	r = sc_policy_check_run(NULL, given, resolved, args, nargs, secrets, nsecrets, reason,
	                        sizeof(reason));
	if (r == SC_OK)
		abort();
	check_reason(r, reason, sizeof(reason));
}

/* "always" of an approval on this text: either a clean refusal, or a text
 * that parses and allows exactly the pinned run. */
static void pin_one(const char *text, size_t len, const char *resolved, const char *const *args,
                    size_t nargs, const char *const *secrets, size_t nsecrets)
{
	struct sc_policy *np = NULL;
	char *out = (char *)1, err[256], reason[256];
	size_t outlen = 1;
	int r, ask;

	r = sc_policy_pin_text(text, len, resolved, args, nargs, secrets, nsecrets, &out, &outlen,
	                       err, sizeof(err));
	if (r != SC_OK) {
		if (out != NULL || outlen != 0 || (r != SC_ERR_INVALID && r != SC_ERR_NOMEM))
			abort();
		return;
	}
	if (strlen(out) != outlen || outlen <= len)
		abort();
	if (sc_policy_parse(out, outlen, &np, err, sizeof(err)) != SC_OK)
		abort(); /* what was written must read back */
	r = sc_policy_decide_run(np, resolved, resolved, args, nargs, secrets, nsecrets, &ask,
	                         reason, sizeof(reason));
	if (r != SC_OK || ask)
		abort(); /* and allow the run */
	sc_policy_free(np);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed_args[] = {"-c", "env", "/proc/self/environ", "s3", "ls"};
	static const char *const fixed_secrets[] = {"aws/key", "db/password"};
	const uint8_t *nul = memchr(data, 0, size);
	size_t ylen = nul ? (size_t)(nul - data) : size;
	struct sc_policy *p = (struct sc_policy *)1, *p2 = NULL;
	char err[512], err2[512], out[SC_NAME_MAX + 1];
	char *run = NULL;
	const char *items[MAX_RUN_ITEMS], *secrets[MAX_RUN_ITEMS];
	size_t nitems = 0, nsecrets = 0;
	int r, r2;

	r = sc_policy_parse((const char *)data, ylen, &p, err, sizeof(err));
	if (r != SC_OK) {
		if (p != NULL)
			abort(); /* outputs stay NULL on failure */
		if (r == SC_ERR_INVALID && strncmp(err, "line ", 5) != 0)
			abort(); /* every schema error carries its line */
		return 0;
	}
	/* Parsing is deterministic. */
	r2 = sc_policy_parse((const char *)data, ylen, &p2, err2, sizeof(err2));
	if (r2 != SC_OK)
		abort();
	sc_policy_free(p2);

	run_one(p, "aws", "/usr/bin/aws", fixed_args + 3, 2, fixed_secrets, 2);
	run_one(p, "sh", "/usr/bin/dash", fixed_args, 2, NULL, 0);
	run_one(p, "cat", "/usr/bin/cat", fixed_args + 2, 1, NULL, 0);
	pin_one((const char *)data, ylen, "/usr/bin/aws", fixed_args + 3, 2, fixed_secrets, 2);
	(void)sc_policy_has_env(p, "prod");
	r = sc_policy_resolve_alias(p, "prod", "db/host", out, sizeof(out));
	if (r != SC_OK && r != SC_ERR_NOT_FOUND && r != SC_ERR_TOOBIG)
		abort();

	if (nul != NULL && (run = malloc(size - ylen)) != NULL) {
		char *s = run, *line;

		memcpy(run, nul + 1, size - ylen - 1);
		run[size - ylen - 1] = '\0';
		while ((line = strsep(&s, "\n")) != NULL) {
			if (line[0] == '$' && nsecrets < MAX_RUN_ITEMS)
				secrets[nsecrets++] = line + 1;
			else if (line[0] != '$' && nitems < MAX_RUN_ITEMS)
				items[nitems++] = line;
		}
		if (nitems >= 2) {
			run_one(p, items[0], items[1], items + 2, nitems - 2, secrets, nsecrets);
			if (items[1][0] == '/')
				pin_one((const char *)data, ylen, items[1], items + 2, nitems - 2,
				        secrets, nsecrets);
			for (size_t i = 0; i < nsecrets; i++) {
				r = sc_policy_resolve_alias(p, items[0], secrets[i], out,
				                            sizeof(out));
				if (r == SC_OK && strlen(out) >= sizeof(out))
					abort();
			}
		}
		free(run);
	}
	sc_policy_free(p);
	return 0;
}
