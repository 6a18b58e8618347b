/* schema_limits.c - the policy file's limits: and confinement: keys: the
 * bounds of every run and how MCP children are confined. */
#include "policy/policy_int.h"

static int uint_value(struct pctx *c, const struct ynode *v, const char *what, uint64_t *out,
                      const char **suffix)
{
	const char *s;
	uint64_t x = 0;

	if (v->kind != Y_SCALAR || v->str[0] < '0' || v->str[0] > '9')
		return sc_policy_perr(c, v->line, "%s must be a positive number", what);
	for (s = v->str; *s >= '0' && *s <= '9'; s++) {
		if (x > 1000000000000ULL)
			return sc_policy_perr(c, v->line, "%s is out of range", what);
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*out = x;
	*suffix = s;
	return SC_OK;
}

/* "90", "90s", "5m", "1h", "1m30s" -> seconds (the one duration grammar,
 * whole seconds in s, m and h). */
static int duration_value(struct pctx *c, const struct ynode *v, const char *what, uint64_t *out)
{
	uint64_t ms;
	int r;

	if (v->kind != Y_SCALAR || v->str[0] == '\0')
		return sc_policy_perr(c, v->line, "%s must be a duration like 60s, 5m or 1h", what);
	r = sc_duration_parse(v->str,
	                      SC_DUR_S | SC_DUR_M | SC_DUR_H | SC_DUR_BARE | SC_DUR_COMPOUND,
	                      100000000ULL * 1000, &ms);
	if (r == SC_ERR_TOOBIG)
		return sc_policy_perr(c, v->line, "%s is out of range", what);
	if (r != SC_OK && v->str[0] >= '0' && v->str[0] <= '9')
		return sc_policy_perr(c, v->line, "%s '%s': units are s, m and h (whole seconds)",
		                      what, v->str);
	if (r != SC_OK)
		return sc_policy_perr(c, v->line, "%s '%s' is not a duration like 60s, 5m or 1h",
		                      what, v->str);
	*out = ms / 1000;
	return SC_OK;
}

int sc_policy_k_limits(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	size_t i;
	int r;

	if (sc_policy_is_null(v))
		return SC_OK;
	if ((r = sc_policy_want(c, v, Y_MAP, "limits")) != SC_OK)
		return r;
	if ((r = sc_policy_check_keys(c, v)) != SC_OK)
		return r;
	for (i = 0; i < v->nkids; i += 2) {
		const char *k = v->kids[i]->str;
		const struct ynode *val = v->kids[i + 1];
		uint64_t x = 0;
		const char *suf;

		if (strcmp(k, "max_timeout") == 0) {
			if ((r = duration_value(c, val, "max_timeout", &x)) != SC_OK)
				return r;
			if (x < 1 || x > SC_POLICY_TIMEOUT_MAX)
				return sc_policy_perr(
				    c, val->line, "max_timeout must be between 1s and %ds (%dh)",
				    SC_POLICY_TIMEOUT_MAX, SC_POLICY_TIMEOUT_MAX / 3600);
			p->lim.max_timeout_sec = (uint32_t)x;
		} else if (strcmp(k, "max_output_bytes") == 0) {
			if ((r = uint_value(c, val, "max_output_bytes", &x, &suf)) != SC_OK)
				return r;
			if (strcmp(suf, "K") == 0 || strcmp(suf, "KiB") == 0)
				x *= 1024;
			else if (strcmp(suf, "M") == 0 || strcmp(suf, "MiB") == 0)
				x *= 1024 * 1024;
			else if (*suf != '\0')
				return sc_policy_perr(
				    c, val->line,
				    "max_output_bytes '%s': write bytes, or a number with "
				    "KiB or MiB",
				    val->str);
			if (x < 1 || x > SC_POLICY_OUTPUT_MAX)
				return sc_policy_perr(
				    c, val->line,
				    "max_output_bytes must be between 1 and %d (64MiB)",
				    SC_POLICY_OUTPUT_MAX);
			p->lim.max_output_bytes = x;
		} else if (strcmp(k, "max_concurrent") == 0) {
			if ((r = uint_value(c, val, "max_concurrent", &x, &suf)) != SC_OK)
				return r;
			if (*suf != '\0' || x < 1 || x > SC_POLICY_CONCURRENT_MAX)
				return sc_policy_perr(c, val->line,
				                      "max_concurrent must be between 1 and %d",
				                      SC_POLICY_CONCURRENT_MAX);
			p->lim.max_concurrent = (uint32_t)x;
		} else if (strcmp(k, "ask_timeout") == 0) {
			if ((r = duration_value(c, val, "ask_timeout", &x)) != SC_OK)
				return r;
			if (x < 1 || x > SC_POLICY_ASK_TIMEOUT_MAX)
				return sc_policy_perr(
				    c, val->line, "ask_timeout must be between 1s and %ds (%dm)",
				    SC_POLICY_ASK_TIMEOUT_MAX, SC_POLICY_ASK_TIMEOUT_MAX / 60);
			p->lim.ask_timeout_sec = (uint32_t)x;
		} else {
			return sc_policy_perr(c, v->kids[i]->line,
			                      "unknown key '%s' in limits (expected max_timeout, "
			                      "max_output_bytes, max_concurrent, ask_timeout)",
			                      k);
		}
	}
	return SC_OK;
}

/* confinement: {mode: required | best-effort | off, write: [paths],
 * network: true | false} */
int sc_policy_k_confinement(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	size_t i, j;
	int r;

	if (sc_policy_is_null(v))
		return SC_OK;
	if ((r = sc_policy_want(c, v, Y_MAP, "confinement")) != SC_OK)
		return r;
	if ((r = sc_policy_check_keys(c, v)) != SC_OK)
		return r;
	for (i = 0; i < v->nkids; i += 2) {
		const char *k = v->kids[i]->str;
		const struct ynode *val = v->kids[i + 1];

		if (strcmp(k, "mode") == 0) {
			if ((r = sc_policy_want(c, val, Y_SCALAR, "confinement mode")) != SC_OK)
				return r;
			if (strcmp(val->str, "required") == 0)
				p->conf_mode = SC_POLICY_CONFINE_REQUIRED;
			else if (strcmp(val->str, "best-effort") == 0)
				p->conf_mode = SC_POLICY_CONFINE_BEST_EFFORT;
			else if (strcmp(val->str, "off") == 0)
				p->conf_mode = SC_POLICY_CONFINE_OFF;
			else
				return sc_policy_perr(
				    c, val->line,
				    "confinement mode must be 'required', 'best-effort' or "
				    "'off', not '%s'",
				    val->str);
		} else if (strcmp(k, "network") == 0) {
			if ((r = sc_policy_want(c, val, Y_SCALAR, "confinement network")) != SC_OK)
				return r;
			if (strcmp(val->str, "true") == 0)
				p->conf_net = 1;
			else if (strcmp(val->str, "false") == 0)
				p->conf_net = 0;
			else
				return sc_policy_perr(c, val->line,
				                      "network must be true or false, not '%s'",
				                      val->str);
		} else if (strcmp(k, "write") == 0) {
			if (sc_policy_is_null(val))
				continue;
			if ((r = sc_policy_want(c, val, Y_SEQ, "confinement write")) != SC_OK)
				return r;
			if (val->nkids > SC_POLICY_CONFINE_WRITE_MAX)
				return sc_policy_perr(c, val->line, "at most %d write paths",
				                      SC_POLICY_CONFINE_WRITE_MAX);
			for (j = 0; j < p->nconf_write; j++)
				free(p->conf_write[j]);
			free(p->conf_write);
			p->nconf_write = 0;
			if ((p->conf_write = calloc(val->nkids + 1, sizeof(char *))) == NULL)
				return SC_ERR_NOMEM;
			for (j = 0; j < val->nkids; j++) {
				const struct ynode *w = val->kids[j];

				if ((r = sc_policy_want(c, w, Y_SCALAR, "a write path")) != SC_OK)
					return r;
				if (w->str[0] != '/' || strcmp(w->str, "/") == 0 ||
				    sc_policy_has_ctl(w->str) || strlen(w->str) > PATH_MAX ||
				    strstr(w->str, "/./") != NULL ||
				    strstr(w->str, "/../") != NULL || strstr(w->str, "//") != NULL)
					return sc_policy_perr(
					    c, w->line,
					    "write path '%s' must be an absolute path in "
					    "canonical form, not '/'",
					    w->str);
				if ((p->conf_write[j] = strdup(w->str)) == NULL)
					return SC_ERR_NOMEM;
				p->nconf_write++;
			}
		} else {
			return sc_policy_perr(
			    c, v->kids[i]->line,
			    "unknown key '%s' in confinement (expected mode, write, network)", k);
		}
	}
	return SC_OK;
}
