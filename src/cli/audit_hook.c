/* audit_hook.c - who the CLI is for the library's audited operations
 * (session.h: every operation writes its own entry there; the CLI
 * writes none itself). */
#include <string.h>

#include "cli/cli.h"
#include "secretctl/audit.h"
#include "secretctl/session.h"

/* the readonly note as it always was: plain text, whatever --json says
 * (not cli_warn: util.c calls into this file, no import circle) */
static void who_warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "secretctl: warning: %s\n", msg);
}

const struct sc_session_who *cli_who(void)
{
	static const struct sc_session_who who = {.source = SC_AUDIT_SRC_CLI, .warn = who_warn};

	return &who;
}
