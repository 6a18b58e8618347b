/* readouts.c - audited reads that hand plaintext or a report out
 * (session.h): the entry is on disk before anything is handed back. */
#include <stdlib.h>
#include <string.h>

#include "secretctl/health.h"
#include "secretctl/inject.h"
#include "secretctl/rekey.h"
#include "secretctl/secretctl.h"
#include "session/session_int.h"

#define INJECT_NAMES_MAX 1024

struct names {
	const char *v[INJECT_NAMES_MAX];
	char *own[INJECT_NAMES_MAX];
	size_t n;
};

static int note_name(void *arg, const char *name)
{
	struct names *nm = arg;
	size_t i;

	for (i = 0; i < nm->n; i++)
		if (strcmp(nm->v[i], name) == 0)
			return SC_OK;
	if (nm->n == INJECT_NAMES_MAX)
		return SC_ERR_TOOBIG;
	if ((nm->own[nm->n] = strdup(name)) == NULL)
		return SC_ERR_NOMEM;
	nm->v[nm->n] = nm->own[nm->n];
	nm->n++;
	return SC_OK;
}

int sc_session_inject(struct sc_vault *v, const struct sc_session_who *who, const char *tpl,
                      size_t len, uint8_t **out, size_t *out_len, size_t *bad_line, char *why,
                      size_t cap, int *recorded)
{
	struct names *nm;
	size_t i;
	int r, a;

	if (recorded != NULL)
		*recorded = 0;
	if (who == NULL || out == NULL || out_len == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	*out_len = 0;
	if (v == NULL || !sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	if ((nm = calloc(1, sizeof(*nm))) == NULL)
		return SC_ERR_NOMEM;
	r = sc_inject_render(tpl, len, sc_secref_vault_get, v, note_name, nm, out, out_len,
	                     bad_line, why, cap);
	a = sc_sess_record(v, who, "inject", nm->v, nm->n, r);
	for (i = 0; i < nm->n; i++)
		free(nm->own[i]);
	free(nm);
	if (a == SC_OK && recorded != NULL)
		*recorded = 1;
	if (r == SC_OK && a != SC_OK) {
		/* nothing handed out without its entry */
		sc_secmem_free(*out);
		*out = NULL;
		*out_len = 0;
		r = a;
	}
	return r;
}

int sc_session_doctor(struct sc_vault *v, const struct sc_session_who *who, int64_t now,
                      int64_t within, void (*fn)(void *arg, const struct sc_health_finding *f),
                      void *arg, uint64_t *nsecrets, struct sc_dek_info *di, int64_t *since)
{
	int r;

	if (who == NULL || di == NULL || since == NULL)
		return SC_ERR_INVALID;
	if (v == NULL || !sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	r = sc_health_values(v, now, within, fn, arg, nsecrets);
	if (r == SC_OK)
		r = sc_vault_dek_info(v, di);
	if (r == SC_OK && di->created == 0)
		r = sc_health_dek_since(v, since);
	if (sc_sess_record(v, who, "doctor", NULL, 0, r) != SC_OK && r == SC_OK)
		r = SC_ERR_IO; /* read every value: not without its entry */
	return r;
}
