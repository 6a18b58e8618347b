/* schema_keys.c - the policy's keys: section: which named keys the MCP
 * tools may use, for which operations, under which encryption contexts,
 * and which ask the user each time (confirm: always); and the check the
 * key tools make against it. */
#include "policy/policy_int.h"

static const struct {
	const char *name;
	unsigned bit;
} key_ops[] = {
    {"encrypt", SC_POLICY_KEY_ENCRYPT},
    {"datakey", SC_POLICY_KEY_DATAKEY},
    {"sign", SC_POLICY_KEY_SIGN},
};

void sc_policy_keys_release(struct sc_policy *p)
{
	size_t i, j, k;

	for (i = 0; i < p->nkeys; i++) {
		struct keyent *e = &p->keys[i];

		free(e->name);
		for (j = 0; j < e->nctx; j++) {
			for (k = 0; k < e->ctx[j].n; k++) {
				free(e->ctx[j].k[k]);
				free(e->ctx[j].v[k]);
			}
			free(e->ctx[j].k);
			free(e->ctx[j].v);
		}
		free(e->ctx);
	}
	free(p->keys);
	p->keys = NULL;
	p->nkeys = 0;
}

static int parse_ops(struct pctx *c, const struct ynode *v, unsigned *ops)
{
	size_t i, k;
	int r;

	if ((r = sc_policy_want(c, v, Y_SEQ, "a key's operations")) != SC_OK)
		return r;
	if (v->nkids == 0)
		return sc_policy_perr(c, v->line, "a key's operations must name at least one");
	for (i = 0; i < v->nkids; i++) {
		const struct ynode *s = v->kids[i];

		if ((r = sc_policy_want(c, s, Y_SCALAR, "an operation")) != SC_OK)
			return r;
		for (k = 0; k < sizeof(key_ops) / sizeof(key_ops[0]); k++)
			if (strcmp(s->str, key_ops[k].name) == 0)
				break;
		if (k == sizeof(key_ops) / sizeof(key_ops[0]))
			return sc_policy_perr(c, s->line,
			                      "unknown key operation '%s' (encrypt, datakey, sign; "
			                      "decrypt and export are never offered to MCP)",
			                      s->str);
		if (*ops & key_ops[k].bit)
			return sc_policy_perr(c, s->line, "operation '%s' is listed twice", s->str);
		*ops |= key_ops[k].bit;
	}
	return SC_OK;
}

/* contexts: a list of mappings k: v ("*": any value), each a context a
 * request may carry exactly (the same keys). */
static int parse_contexts(struct pctx *c, const struct ynode *v, struct keyent *e)
{
	size_t i, j;
	int r;

	if ((r = sc_policy_want(c, v, Y_SEQ, "contexts")) != SC_OK)
		return r;
	if ((e->ctx = calloc(v->nkids ? v->nkids : 1, sizeof(*e->ctx))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < v->nkids; i++) {
		const struct ynode *m = v->kids[i];
		struct keyctx *x = &e->ctx[i];

		if ((r = sc_policy_want(c, m, Y_MAP, "a context")) != SC_OK ||
		    (r = sc_policy_check_keys(c, m)) != SC_OK)
			return r;
		if (m->nkids / 2 > SC_KEYS_CTX_PAIRS_MAX)
			return sc_policy_perr(c, m->line, "a context has at most %d pairs",
			                      SC_KEYS_CTX_PAIRS_MAX);
		if ((x->k = calloc(m->nkids / 2 + 1, sizeof(char *))) == NULL ||
		    (x->v = calloc(m->nkids / 2 + 1, sizeof(char *))) == NULL)
			return SC_ERR_NOMEM;
		e->nctx++;
		for (j = 0; j < m->nkids; j += 2) {
			const struct ynode *val = m->kids[j + 1];

			if ((r = sc_policy_want(c, val, Y_SCALAR, "a context value")) != SC_OK)
				return r;
			if (m->kids[j]->str[0] == '\0' || strchr(m->kids[j]->str, '=') != NULL ||
			    sc_policy_has_ctl(m->kids[j]->str) ||
			    strlen(m->kids[j]->str) > SC_KEYS_CTX_KEY_MAX ||
			    strlen(val->str) > SC_KEYS_CTX_VALUE_MAX)
				return sc_policy_perr(
				    c, m->kids[j]->line,
				    "context key '%s' is not valid (1-%d bytes, no "
				    "'=' or control character)",
				    m->kids[j]->str, SC_KEYS_CTX_KEY_MAX);
			if ((x->k[x->n] = strdup(m->kids[j]->str)) == NULL ||
			    (x->v[x->n] = strdup(val->str)) == NULL) {
				x->n++;
				return SC_ERR_NOMEM;
			}
			x->n++;
		}
	}
	return SC_OK;
}

static int parse_key(struct pctx *c, const struct ynode *m, struct keyent *e)
{
	int r, have_ops = 0;
	size_t i;

	e->line = m->line;
	if ((r = sc_policy_want(c, m, Y_MAP, "a key entry")) != SC_OK ||
	    (r = sc_policy_check_keys(c, m)) != SC_OK)
		return r;
	for (i = 0; i < m->nkids; i += 2) {
		const char *k = m->kids[i]->str;
		const struct ynode *v = m->kids[i + 1];

		if (strcmp(k, "name") == 0) {
			if ((r = sc_policy_want(c, v, Y_SCALAR, "a key's name")) != SC_OK)
				return r;
			if (sc_keys_name_valid(v->str) != SC_OK) {
				sc_clear_error();
				return sc_policy_perr(
				    c, v->line,
				    "'%s' is not a key name (1-64 of [A-Za-z0-9._-], "
				    "first a letter or digit)",
				    v->str);
			}
			if ((e->name = strdup(v->str)) == NULL)
				return SC_ERR_NOMEM;
		} else if (strcmp(k, "operations") == 0) {
			if ((r = parse_ops(c, v, &e->ops)) != SC_OK)
				return r;
			have_ops = 1;
		} else if (strcmp(k, "contexts") == 0) {
			if ((r = parse_contexts(c, v, e)) != SC_OK)
				return r;
		} else if (strcmp(k, "confirm") == 0) {
			if ((r = sc_policy_want(c, v, Y_SCALAR, "confirm")) != SC_OK)
				return r;
			if (strcmp(v->str, "always") == 0)
				e->confirm = 1;
			else if (strcmp(v->str, "never") != 0)
				return sc_policy_perr(
				    c, v->line, "confirm must be 'always' or 'never', not '%s'",
				    v->str);
		} else {
			return sc_policy_perr(c, m->kids[i]->line,
			                      "unknown key '%s' in a key entry (expected name, "
			                      "operations, contexts, confirm)",
			                      k);
		}
	}
	if (e->name == NULL)
		return sc_policy_perr(c, m->line, "a key entry needs 'name'");
	if (!have_ops)
		return sc_policy_perr(c, m->line, "key '%s' needs 'operations'", e->name);
	return SC_OK;
}

int sc_policy_k_keys(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	size_t i, j;
	int r;

	if (sc_policy_is_null(v))
		return SC_OK;
	if ((r = sc_policy_want(c, v, Y_SEQ, "keys")) != SC_OK)
		return r;
	if (v->nkids > SC_POLICY_KEYS_MAX)
		return sc_policy_perr(c, v->line, "keys lists at most %d keys", SC_POLICY_KEYS_MAX);
	if ((p->keys = calloc(v->nkids ? v->nkids : 1, sizeof(*p->keys))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < v->nkids; i++) {
		p->nkeys++;
		if ((r = parse_key(c, v->kids[i], &p->keys[i])) != SC_OK)
			return r;
		for (j = 0; j < i; j++)
			if (strcmp(p->keys[j].name, p->keys[i].name) == 0)
				return sc_policy_perr(c, v->kids[i]->line,
				                      "key '%s' is listed twice (first on line %d)",
				                      p->keys[i].name, p->keys[j].line);
	}
	return SC_OK;
}

/* ---- the check ---- */

static const struct keyent *find(const struct sc_policy *p, const char *name)
{
	size_t i;

	for (i = 0; p != NULL && i < p->nkeys; i++)
		if (strcmp(p->keys[i].name, name) == 0)
			return &p->keys[i];
	return NULL;
}

/* The request's context equals x: the same keys, each value equal or
 * allowed by "*". */
static int ctx_matches(const struct keyctx *x, const struct sc_keys_ctx *ctx)
{
	size_t i, j, n = sc_keys_ctx_count(ctx);

	if (n != x->n)
		return 0;
	for (i = 0; i < n; i++) {
		const char *k;
		const uint8_t *val;
		size_t kl, vl;

		if (sc_keys_ctx_at(ctx, i, &k, &kl, &val, &vl) != SC_OK)
			return 0;
		for (j = 0; j < x->n; j++)
			if (strlen(x->k[j]) == kl && memcmp(x->k[j], k, kl) == 0)
				break;
		if (j == x->n)
			return 0;
		if (strcmp(x->v[j], "*") == 0)
			continue;
		if (strlen(x->v[j]) != vl || memcmp(x->v[j], val, vl) != 0)
			return 0;
	}
	return 1;
}

int sc_policy_check_key(const struct sc_policy *p, const char *name, unsigned op,
                        const struct sc_keys_ctx *ctx, int *confirm, char *reason, size_t reasonlen)
{
	const struct keyent *e = find(p, name);
	size_t i;

	if (confirm != NULL)
		*confirm = 0;
	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (e == NULL) {
		if (reason != NULL)
			snprintf(reason, reasonlen,
			         "the policy names no key '%s' for MCP (add it under 'keys:')",
			         name);
		return SC_ERR_DENIED;
	}
	if ((e->ops & op) != op || op == 0) {
		if (reason != NULL)
			snprintf(reason, reasonlen,
			         "the policy does not allow this operation on key '%s' (its "
			         "operations: %s%s%s)",
			         name, e->ops & SC_POLICY_KEY_ENCRYPT ? "encrypt " : "",
			         e->ops & SC_POLICY_KEY_DATAKEY ? "datakey " : "",
			         e->ops & SC_POLICY_KEY_SIGN ? "sign" : "");
		return SC_ERR_DENIED;
	}
	if (op & (SC_POLICY_KEY_ENCRYPT | SC_POLICY_KEY_DATAKEY)) {
		int ok = e->nctx == 0 && sc_keys_ctx_count(ctx) == 0;

		for (i = 0; !ok && i < e->nctx; i++)
			ok = ctx_matches(&e->ctx[i], ctx);
		if (!ok) {
			if (reason != NULL)
				snprintf(
				    reason, reasonlen,
				    "the policy does not allow this encryption context for key "
				    "'%s' (see its 'contexts:')",
				    name);
			return SC_ERR_DENIED;
		}
	}
	if (confirm != NULL)
		*confirm = e->confirm;
	return SC_OK;
}

size_t sc_policy_key_count(const struct sc_policy *p)
{
	return p != NULL ? p->nkeys : 0;
}

const char *sc_policy_key_at(const struct sc_policy *p, size_t i, unsigned *ops, int *confirm)
{
	if (p == NULL || i >= p->nkeys)
		return NULL;
	if (ops != NULL)
		*ops = p->keys[i].ops;
	if (confirm != NULL)
		*confirm = p->keys[i].confirm;
	return p->keys[i].name;
}
