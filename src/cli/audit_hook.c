/* audit_hook.c - who the CLI is for the library's audited operations
 * (session.h: every operation writes its own entry there), and the one
 * outcome the CLI still records itself: key.rotate (key_common.c). */
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

int cli_audit(struct cli *c, struct sc_vault *v, const char *op, const char *const *names, size_t n,
              const char *cmd, int status)
{
	struct sc_audit_event ev = {
	    .op = op,
	    .source = SC_AUDIT_SRC_CLI,
	    .names = names,
	    .n_names = n,
	    .cmd = cmd,
	    .status = status,
	};
	char detail[512];
	int r;

	(void)c;
	if (v == NULL || !sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	/* keep the operation's own error detail for its message */
	snprintf(detail, sizeof(detail), "%s", sc_last_error());
	r = sc_audit_append(v, &ev);
	if (r == SC_ERR_READONLY) {
		/* a vault on a read-only file system can be read, not written:
		 * nothing can change it, and its log cannot take the entry. Say
		 * so rather than refuse the read (docs/AUDIT.md, open items). */
		/* not cli_warn: util.c calls into this file (no import circle); op
		 * is one of ours, nothing to escape */
		fprintf(stderr,
		        "secretctl: warning: the vault is on a read-only file system: this %s "
		        "is not recorded in the audit log\n",
		        op);
		sc_clear_error();
		r = SC_OK;
	}
	if (detail[0] != '\0')
		sc_set_error("%s", detail);
	return r;
}
