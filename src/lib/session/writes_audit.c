/* writes_audit.c - the audited operations on the audit log itself
 * (session.h): its entry first, as intent. */
#include "secretctl/secretctl.h"
#include "session/session_int.h"

int sc_session_audit_prune(struct sc_vault *v, const struct sc_session_who *who, int64_t before_ms,
                           uint64_t *removed, int *recorded)
{
	int r;

	if (recorded != NULL)
		*recorded = 0;
	if (who == NULL)
		return SC_ERR_INVALID;
	/* The entry first: a prune the log cannot record does not happen. (A
	 * prune up to now removes this entry too; its checkpoint, MACed, then
	 * records the prune: who, when, up to which entry.) */
	if ((r = sc_sess_record(v, who, "audit.prune", NULL, 0, SC_OK)) != SC_OK)
		return r;
	if (recorded != NULL)
		*recorded = 1;
	if ((r = sc_audit_prune(v, before_ms, removed)) != SC_OK)
		(void)sc_sess_record(v, who, "audit.prune", NULL, 0, r); /* if it can be */
	return r;
}

int sc_session_audit_export(struct sc_vault *v, const struct sc_session_who *who,
                            struct sc_audit_reader **rd, int *recorded)
{
	int r;

	if (recorded != NULL)
		*recorded = 0;
	if (who == NULL || rd == NULL)
		return SC_ERR_INVALID;
	*rd = NULL;
	/* as reads do: the entry is on disk before anything is read out, and
	 * nothing is without it (the export then holds it too) */
	if ((r = sc_sess_record(v, who, "audit.export", NULL, 0, SC_OK)) != SC_OK)
		return r;
	if (recorded != NULL)
		*recorded = 1;
	return sc_audit_reader_open(sc_vault_dir(v), rd);
}
