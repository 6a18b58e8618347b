/* schema.c - the policy file's schema: every key, its type and bounds,
 * read from the YAML tree into the policy with a message naming the line. */
#include "policy/policy_int.h"

/* ---- schema --------------------------------------------------------------- */

static int has_space(const char *s)
{
	return strpbrk(s, " \t\r\n\v\f") != NULL;
}

/* A command: a name (no '/', no whitespace, no glob) or an absolute path. */
static int valid_command(struct pctx *c, int line, const char *s)
{
	if (s[0] == '\0')
		return sc_policy_perr(c, line, "empty command");
	if (sc_policy_has_ctl(s) || has_space(s))
		return sc_policy_perr(c, line,
		                      "command '%s' holds whitespace or control characters", s);
	if (strpbrk(s, "*?[") != NULL)
		return sc_policy_perr(c, line,
		                      "command '%s': command names are not patterns (use "
		                      "default_action: allow to allow every command)",
		                      s);
	if (strchr(s, '/') != NULL && s[0] != '/')
		return sc_policy_perr(c, line, "command '%s' must be a name or an absolute path",
		                      s);
	if (strlen(s) > PATH_MAX)
		return sc_policy_perr(c, line, "command '%s' is too long", s);
	if (s[0] == '/' && (strstr(s, "/./") != NULL || strstr(s, "/../") != NULL ||
	                    strstr(s, "//") != NULL || s[strlen(s) - 1] == '/'))
		return sc_policy_perr(c, line, "command path '%s' is not in canonical form", s);
	return SC_OK;
}

static int valid_glob(struct pctx *c, int line, const char *s, const char *what)
{
	if (s[0] == '\0')
		return sc_policy_perr(c, line, "empty %s", what);
	if (strlen(s) > SC_NAME_MAX)
		return sc_policy_perr(c, line, "%s '%s' is longer than %d bytes", what, s,
		                      SC_NAME_MAX);
	if (sc_policy_has_ctl(s) || has_space(s))
		return sc_policy_perr(c, line, "%s '%s' holds whitespace or control characters",
		                      what, s);
	return SC_OK;
}

/* Split "s3 ls '*.txt' *" into tokens; quotes group, no escapes (a
 * backslash stays for fnmatch). */
static int tokenize(struct pctx *c, int line, const char *s, char ***out, size_t *nout)
{
	char **tok = NULL;
	size_t n = 0;
	int r = SC_OK;

	*out = NULL;
	*nout = 0;
	for (;;) {
		char buf[SC_POLICY_MAX_STRING + 1];
		size_t bl = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (n == SC_POLICY_MAX_TOKENS) {
			r = sc_policy_perr(c, line, "too many tokens in a pattern (at most %d)",
			                   SC_POLICY_MAX_TOKENS);
			goto fail;
		}
		while (*s != '\0' && *s != ' ' && *s != '\t') {
			if (*s == '\'' || *s == '"') {
				char q = *s++;

				while (*s != '\0' && *s != q)
					buf[bl++] = *s++;
				if (*s != q) {
					r = sc_policy_perr(c, line,
					                   "unterminated quote in a pattern");
					goto fail;
				}
				s++;
			} else {
				buf[bl++] = *s++;
			}
		}
		buf[bl] = '\0';
		{
			char **nt = realloc(tok, (n + 1) * sizeof(*nt));

			if (nt == NULL) {
				r = SC_ERR_NOMEM;
				goto fail;
			}
			tok = nt;
			if ((tok[n] = strdup(buf)) == NULL) {
				r = SC_ERR_NOMEM;
				goto fail;
			}
			n++;
		}
	}
	*out = tok;
	*nout = n;
	return SC_OK;
fail:
	while (n > 0)
		free(tok[--n]);
	free(tok);
	return r;
}

/* An argument pattern from tokens (the command already taken off). */
static int argpat_from(struct argpat *a, char **tok, size_t ntok, const char *text)
{
	memset(a, 0, sizeof(*a));
	if ((a->text = strdup(text)) == NULL)
		return SC_ERR_NOMEM;
	a->tok = tok;
	a->ntok = ntok;
	if (ntok > 0 && strcmp(tok[ntok - 1], "*") == 0) {
		a->rest = 1;
		free(tok[ntok - 1]);
		a->ntok--;
	}
	return SC_OK;
}

static int argpat_parse(struct pctx *c, const struct ynode *n, struct argpat *a)
{
	char **tok;
	size_t ntok, i;
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = sc_policy_want(c, n, Y_SCALAR, "an argument pattern")) != SC_OK)
		return r;
	if (sc_policy_has_ctl(n->str))
		return sc_policy_perr(c, n->line, "argument pattern holds control characters");
	if ((r = tokenize(c, n->line, n->str, &tok, &ntok)) != SC_OK)
		return r;
	if ((r = argpat_from(a, tok, ntok, n->str)) != SC_OK) {
		for (i = 0; i < ntok; i++)
			free(tok[i]);
		free(tok);
		a->tok = NULL;
		a->ntok = 0;
	}
	return r;
}

static int push_cmdent(struct cmdent **v, size_t *n, struct cmdent **slot)
{
	struct cmdent *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return SC_ERR_NOMEM;
	*v = nv;
	*slot = &nv[*n];
	memset(*slot, 0, sizeof(**slot));
	(*n)++;
	return SC_OK;
}

/* "aws" or "aws s3 ls *" (allowed_commands / denied_commands item). */
static int cmdent_from_string(struct pctx *c, const struct ynode *n, struct cmdent *e,
                              int allow_args)
{
	char **tok;
	size_t ntok, i;
	int r;

	e->line = n->line;
	if (n->kind != Y_SCALAR || sc_policy_is_null(n))
		return sc_policy_perr(c, n->line, "a command entry must be a string, not %s",
		                      sc_policy_is_null(n) ? "empty" : sc_policy_kind_name(n));
	if (sc_policy_has_ctl(n->str))
		return sc_policy_perr(c, n->line, "command entry holds control characters");
	if ((r = tokenize(c, n->line, n->str, &tok, &ntok)) != SC_OK)
		return r;
	if (ntok == 0) {
		free(tok);
		return sc_policy_perr(c, n->line, "empty command");
	}
	if ((r = valid_command(c, n->line, tok[0])) != SC_OK)
		goto fail;
	if (ntok > 1 && !allow_args) {
		r = sc_policy_perr(c, n->line, "'%s': only a command name or path belongs here",
		                   n->str);
		goto fail;
	}
	e->cmd = tok[0];
	e->is_path = tok[0][0] == '/';
	tok[0] = NULL;
	if (ntok > 1) {
		const char *text = n->str + strcspn(n->str, " \t");

		text += strspn(text, " \t");
		if ((e->pats = calloc(1, sizeof(*e->pats))) == NULL) {
			r = SC_ERR_NOMEM;
			goto fail;
		}
		memmove(tok, tok + 1, (ntok - 1) * sizeof(*tok));
		if ((r = argpat_from(&e->pats[0], tok, ntok - 1, text)) != SC_OK) {
			ntok--;
			goto fail;
		}
		e->npats = 1;
		return SC_OK;
	}
	free(tok);
	return SC_OK;
fail:
	for (i = 0; i < ntok; i++)
		free(tok[i]);
	free(tok);
	return r;
}

static int parse_cmd_list(struct pctx *c, const struct ynode *v, struct cmdent **list, size_t *n,
                          const char *key)
{
	size_t i;
	int r;

	if (sc_policy_is_null(v))
		return SC_OK;
	if ((r = sc_policy_want(c, v, Y_SEQ, key)) != SC_OK)
		return r;
	for (i = 0; i < v->nkids; i++) {
		struct cmdent *e;

		if ((r = push_cmdent(list, n, &e)) != SC_OK)
			return r;
		if ((r = cmdent_from_string(c, v->kids[i], e, 1)) != SC_OK)
			return r;
	}
	return SC_OK;
}

static int k_version(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	(void)p;
	if (v->kind != Y_SCALAR || !v->plain || strcmp(v->str, "1") != 0)
		return sc_policy_perr(
		    c, v->line, "unsupported policy version '%s' (this build reads version: 1)",
		    v->kind == Y_SCALAR ? v->str : sc_policy_kind_name(v));
	return SC_OK;
}

static int k_default_action(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	int r;

	if (sc_policy_is_null(v))
		return SC_OK;
	if ((r = sc_policy_want(c, v, Y_SCALAR, "default_action")) != SC_OK)
		return r;
	p->default_allow = p->default_ask = 0;
	if (strcmp(v->str, "allow") == 0)
		p->default_allow = 1;
	else if (strcmp(v->str, "ask") == 0)
		p->default_ask = 1; /* a person approves each run (MCP elicitation) */
	else if (strcmp(v->str, "deny") != 0)
		return sc_policy_perr(c, v->line,
		                      "default_action must be 'allow', 'deny' or 'ask', not '%s'",
		                      v->str);
	return SC_OK;
}

static int k_allowed(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	return parse_cmd_list(c, v, &p->allowed, &p->nallowed, "allowed_commands");
}

static int k_denied(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	return parse_cmd_list(c, v, &p->denied, &p->ndenied, "denied_commands");
}

/* Go's alias patterns: a trailing '*' is the only wildcard. */
static int valid_alias_part(struct pctx *c, const struct ynode *n, const char *what)
{
	const char *star;
	int r;

	if ((r = sc_policy_want(c, n, Y_SCALAR, what)) != SC_OK)
		return r;
	if ((r = valid_glob(c, n->line, n->str, what)) != SC_OK)
		return r;
	star = strchr(n->str, '*');
	if (star != NULL && star[1] != '\0')
		return sc_policy_perr(c, n->line, "%s '%s': '*' may only end it", what, n->str);
	return SC_OK;
}

static int k_env_aliases(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	size_t i, j;
	int r;

	if (sc_policy_is_null(v))
		return SC_OK;
	if ((r = sc_policy_want(c, v, Y_MAP, "env_aliases")) != SC_OK)
		return r;
	if ((r = sc_policy_check_keys(c, v)) != SC_OK)
		return r;
	if ((p->env = calloc(v->nkids / 2 + 1, sizeof(*p->env))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < v->nkids; i += 2) {
		const struct ynode *k = v->kids[i], *list = v->kids[i + 1];
		struct envalias *ea = &p->env[p->nenv++];

		if ((r = valid_glob(c, k->line, k->str, "env alias name")) != SC_OK)
			return r;
		if (strchr(k->str, '*') != NULL)
			return sc_policy_perr(c, k->line, "env alias name '%s' must not hold '*'",
			                      k->str);
		if ((ea->env = strdup(k->str)) == NULL)
			return SC_ERR_NOMEM;
		if (sc_policy_is_null(list))
			continue;
		if ((r = sc_policy_want(c, list, Y_SEQ, "an env alias")) != SC_OK)
			return r;
		if ((ea->a = calloc(list->nkids + 1, sizeof(*ea->a))) == NULL)
			return SC_ERR_NOMEM;
		for (j = 0; j < list->nkids; j++) {
			const struct ynode *m = list->kids[j], *pat = NULL, *tgt = NULL;
			size_t q;

			if ((r = sc_policy_want(c, m, Y_MAP, "an env alias entry")) != SC_OK)
				return r;
			if ((r = sc_policy_check_keys(c, m)) != SC_OK)
				return r;
			for (q = 0; q < m->nkids; q += 2) {
				if (strcmp(m->kids[q]->str, "pattern") == 0)
					pat = m->kids[q + 1];
				else if (strcmp(m->kids[q]->str, "target") == 0)
					tgt = m->kids[q + 1];
				else
					return sc_policy_perr(
					    c, m->kids[q]->line,
					    "unknown key '%s' in an env alias (expected "
					    "pattern, target)",
					    m->kids[q]->str);
			}
			if (pat == NULL || tgt == NULL)
				return sc_policy_perr(c, m->line,
				                      "an env alias needs both pattern and target");
			if ((r = valid_alias_part(c, pat, "alias pattern")) != SC_OK ||
			    (r = valid_alias_part(c, tgt, "alias target")) != SC_OK)
				return r;
			if ((ea->a[ea->n].pattern = strdup(pat->str)) == NULL)
				return SC_ERR_NOMEM;
			ea->n++;
			if ((ea->a[ea->n - 1].target = strdup(tgt->str)) == NULL)
				return SC_ERR_NOMEM;
		}
	}
	return SC_OK;
}

static int str_list(struct pctx *c, const struct ynode *v, const char *what, char ***out, size_t *n)
{
	size_t i;
	int r;

	if ((r = sc_policy_want(c, v, Y_SEQ, what)) != SC_OK)
		return r;
	if ((*out = calloc(v->nkids + 1, sizeof(**out))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < v->nkids; i++) {
		const struct ynode *s = v->kids[i];

		if ((r = sc_policy_want(c, s, Y_SCALAR, "a secret pattern")) != SC_OK)
			return r;
		if ((r = valid_glob(c, s->line, s->str, "secret pattern")) != SC_OK)
			return r;
		if (((*out)[i] = strdup(s->str)) == NULL)
			return SC_ERR_NOMEM;
		(*n)++;
	}
	return SC_OK;
}

static int k_rules(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	size_t i, q, j;
	int r;

	if (sc_policy_is_null(v))
		return SC_OK;
	if ((r = sc_policy_want(c, v, Y_SEQ, "rules")) != SC_OK)
		return r;
	for (i = 0; i < v->nkids; i++) {
		const struct ynode *m = v->kids[i], *cmd = NULL, *args = NULL, *secrets = NULL,
		                   *action = NULL;
		struct cmdent *e;

		if ((r = sc_policy_want(c, m, Y_MAP, "a rule")) != SC_OK)
			return r;
		if ((r = sc_policy_check_keys(c, m)) != SC_OK)
			return r;
		for (q = 0; q < m->nkids; q += 2) {
			const char *k = m->kids[q]->str;

			if (strcmp(k, "command") == 0)
				cmd = m->kids[q + 1];
			else if (strcmp(k, "args") == 0)
				args = m->kids[q + 1];
			else if (strcmp(k, "secrets") == 0)
				secrets = m->kids[q + 1];
			else if (strcmp(k, "action") == 0)
				action = m->kids[q + 1];
			else if (strcmp(k, "sha256") == 0 || strcmp(k, "files") == 0)
				continue; /* pins: read once the entry exists */
			else
				return sc_policy_perr(
				    c, m->kids[q]->line,
				    "unknown key '%s' in a rule (expected command, args, "
				    "secrets, action, sha256, files)",
				    k);
		}
		if (cmd == NULL)
			return sc_policy_perr(c, m->line, "a rule needs a command");
		if ((r = push_cmdent(&p->allowed, &p->nallowed, &e)) != SC_OK)
			return r;
		if ((r = cmdent_from_string(c, cmd, e, 0)) != SC_OK)
			return r;
		e->line = m->line;
		for (q = 0; q < m->nkids; q += 2)
			if ((strcmp(m->kids[q]->str, "sha256") == 0 ||
			     strcmp(m->kids[q]->str, "files") == 0) &&
			    (r = sc_policy_pin_parse(c, m->kids[q]->str, m->kids[q + 1], e)) !=
			        SC_OK)
				return r;
		if (action != NULL) {
			if ((r = sc_policy_want(c, action, Y_SCALAR, "a rule's action")) != SC_OK)
				return r;
			if (strcmp(action->str, "ask") == 0)
				e->ask = 1;
			else if (strcmp(action->str, "allow") != 0)
				return sc_policy_perr(
				    c, action->line,
				    "a rule's action must be 'allow' or 'ask', not '%s'",
				    action->str);
		}
		if (args != NULL) {
			if ((r = sc_policy_want(c, args, Y_SEQ, "args")) != SC_OK)
				return r;
			if (args->nkids == 0)
				return sc_policy_perr(
				    c, args->line,
				    "args is empty, which would allow nothing (write \"\" "
				    "for no arguments, or leave args out)");
			if ((e->pats = calloc(args->nkids, sizeof(*e->pats))) == NULL)
				return SC_ERR_NOMEM;
			for (j = 0; j < args->nkids; j++) {
				if ((r = argpat_parse(c, args->kids[j], &e->pats[j])) != SC_OK)
					return r;
				e->npats++;
			}
		}
		if (secrets != NULL) {
			e->has_secrets = 1;
			if ((r = str_list(c, secrets, "secrets", &e->secrets, &e->nsecrets)) !=
			    SC_OK)
				return r;
		}
	}
	return SC_OK;
}

static int k_secret_commands(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	size_t i, j;
	int r;

	if (sc_policy_is_null(v))
		return SC_OK;
	if ((r = sc_policy_want(c, v, Y_MAP, "secret_commands")) != SC_OK)
		return r;
	if ((r = sc_policy_check_keys(c, v)) != SC_OK)
		return r;
	if ((p->bind = calloc(v->nkids / 2 + 1, sizeof(*p->bind))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < v->nkids; i += 2) {
		const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
		struct binding *b = &p->bind[p->nbind++];

		b->line = k->line;
		if ((r = valid_glob(c, k->line, k->str, "secret pattern")) != SC_OK)
			return r;
		if ((b->glob = strdup(k->str)) == NULL)
			return SC_ERR_NOMEM;
		if (val->kind == Y_SCALAR) {
			/* A lone command instead of a list of one. */
			if ((b->cmds = calloc(1, sizeof(*b->cmds))) == NULL)
				return SC_ERR_NOMEM;
			b->ncmds = 1;
			if ((r = cmdent_from_string(c, val, &b->cmds[0], 0)) != SC_OK)
				return r;
			continue;
		}
		if ((r = sc_policy_want(c, val, Y_SEQ, "a secret_commands entry")) != SC_OK)
			return r;
		if (val->nkids == 0)
			return sc_policy_perr(
			    c, val->line,
			    "secret_commands '%s' lists no command (remove the secret's "
			    "entry, or deny it with an allowed command list)",
			    k->str);
		if ((b->cmds = calloc(val->nkids, sizeof(*b->cmds))) == NULL)
			return SC_ERR_NOMEM;
		for (j = 0; j < val->nkids; j++) {
			b->ncmds++;
			if ((r = cmdent_from_string(c, val->kids[j], &b->cmds[j], 0)) != SC_OK)
				return r;
		}
	}
	return SC_OK;
}

static int k_unsafe(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	size_t i;
	int r;

	if (sc_policy_is_null(v))
		return SC_OK;
	if ((r = sc_policy_want(c, v, Y_SEQ, "unsafe_allow_builtin_denied")) != SC_OK)
		return r;
	for (i = 0; i < v->nkids; i++) {
		const struct ynode *s = v->kids[i];
		int b;

		if ((r = sc_policy_want(c, s, Y_SCALAR, "a built-in denial")) != SC_OK)
			return r;
		if ((b = sc_policy_builtin_find(s->str)) < 0)
			return sc_policy_perr(
			    c, s->line,
			    "unknown built-in denial '%s' (see docs/POLICY.md for the ids, "
			    "e.g. printenv, inline-code:python, proc-environ)",
			    s->str);
		p->lifted[b] = 1;
	}
	return SC_OK;
}

static int k_cli_runs(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	int r;

	if ((r = sc_policy_want(c, v, Y_SCALAR, "cli_runs")) != SC_OK)
		return r;
	if (strcmp(v->str, "allow") == 0)
		p->cli_runs = SC_POLICY_CLI_RUNS_ALLOW;
	else if (strcmp(v->str, "policy") == 0)
		p->cli_runs = SC_POLICY_CLI_RUNS_POLICY;
	else
		return sc_policy_perr(c, v->line, "cli_runs must be 'allow' or 'policy', not '%s'",
		                      v->str);
	return SC_OK;
}

struct key_handler {
	const char *key;
	int (*fn)(struct pctx *c, struct sc_policy *p, const struct ynode *v);
};

static const struct key_handler root_keys[] = {
    {"version", k_version},
    {"default_action", k_default_action},
    {"allowed_commands", k_allowed},
    {"denied_commands", k_denied},
    {"env_aliases", k_env_aliases},
    {"rules", k_rules},
    {"secret_commands", k_secret_commands},
    {"limits", sc_policy_k_limits},
    {"unsafe_allow_builtin_denied", k_unsafe},
    {"cli_runs", k_cli_runs},
    {"confinement", sc_policy_k_confinement},
    {"keys", sc_policy_k_keys},
};

#define ROOT_KEYS_LIST                                                                             \
	"version, default_action, allowed_commands, denied_commands, env_aliases, rules, "         \
	"secret_commands, limits, unsafe_allow_builtin_denied, cli_runs, confinement, keys"

int sc_policy_from_tree(struct pctx *c, const struct ynode *root, struct sc_policy *p)
{
	size_t i, k;
	int r, have_version = 0;

	if (root == NULL || sc_policy_is_null(root))
		return sc_policy_perr(c, 1, "empty policy (it needs at least 'version: 1')");
	if (root->kind != Y_MAP)
		return sc_policy_perr(c, root->line, "the policy must be a mapping of keys, not %s",
		                      sc_policy_kind_name(root));
	if ((r = sc_policy_check_keys(c, root)) != SC_OK)
		return r;
	for (i = 0; i < root->nkids; i += 2) {
		const struct ynode *key = root->kids[i];

		for (k = 0; k < sizeof(root_keys) / sizeof(root_keys[0]); k++)
			if (strcmp(root_keys[k].key, key->str) == 0)
				break;
		if (k == sizeof(root_keys) / sizeof(root_keys[0]))
			return sc_policy_perr(c, key->line,
			                      "unknown key '%s' (expected one of: %s)", key->str,
			                      ROOT_KEYS_LIST);
		if (k == 0)
			have_version = 1;
		if ((r = root_keys[k].fn(c, p, root->kids[i + 1])) != SC_OK)
			return r;
	}
	if (!have_version)
		return sc_policy_perr(c, root->line,
		                      "missing required key 'version' (add 'version: 1')");
	return SC_OK;
}
