/* schema.c - the policy file's schema: every key, its type and bounds,
 * read from the YAML tree into the policy with a message naming the line. */
#include "policy/policy_int.h"

/* ---- schema --------------------------------------------------------------- */

static int is_null(const struct ynode *n)
{
	return n->kind == Y_SCALAR && n->plain &&
	       (n->str[0] == '\0' || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
	        strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0);
}

static const char *kind_name(const struct ynode *n)
{
	return n->kind == Y_SCALAR ? "a string" : n->kind == Y_SEQ ? "a list" : "a mapping";
}

static int want(struct pctx *c, const struct ynode *n, enum ykind k, const char *what)
{
	static const char *const names[] = {"a string", "a list", "a mapping"};

	if (n->kind != k)
		return sc_policy_perr(c, n->line, "%s must be %s, not %s", what, names[k],
		                      kind_name(n));
	return SC_OK;
}

/* Keys of a mapping: strings, each once. */
static int check_keys(struct pctx *c, const struct ynode *map)
{
	size_t i, j;

	for (i = 0; i < map->nkids; i += 2) {
		const struct ynode *k = map->kids[i];

		if (k->kind != Y_SCALAR)
			return sc_policy_perr(c, k->line, "mapping keys must be strings, not %s",
			                      kind_name(k));
		for (j = 0; j < i; j += 2) {
			if (strcmp(map->kids[j]->str, k->str) == 0)
				return sc_policy_perr(c, k->line,
				                      "duplicate key '%s' (first on line %d)",
				                      k->str, map->kids[j]->line);
		}
	}
	return SC_OK;
}

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int has_space(const char *s)
{
	return strpbrk(s, " \t\r\n\v\f") != NULL;
}

/* A command: a name (no '/', no whitespace, no glob) or an absolute path. */
static int valid_command(struct pctx *c, int line, const char *s)
{
	if (s[0] == '\0')
		return sc_policy_perr(c, line, "empty command");
	if (has_ctl(s) || has_space(s))
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
	if (has_ctl(s) || has_space(s))
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
	if ((r = want(c, n, Y_SCALAR, "an argument pattern")) != SC_OK)
		return r;
	if (has_ctl(n->str))
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
	if (n->kind != Y_SCALAR || is_null(n))
		return sc_policy_perr(c, n->line, "a command entry must be a string, not %s",
		                      is_null(n) ? "empty" : kind_name(n));
	if (has_ctl(n->str))
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

	if (is_null(v))
		return SC_OK;
	if ((r = want(c, v, Y_SEQ, key)) != SC_OK)
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
		    v->kind == Y_SCALAR ? v->str : kind_name(v));
	return SC_OK;
}

static int k_default_action(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	int r;

	if (is_null(v))
		return SC_OK;
	if ((r = want(c, v, Y_SCALAR, "default_action")) != SC_OK)
		return r;
	if (strcmp(v->str, "allow") == 0)
		p->default_allow = 1;
	else if (strcmp(v->str, "deny") == 0)
		p->default_allow = 0;
	else
		return sc_policy_perr(c, v->line,
		                      "default_action must be 'allow' or 'deny', not '%s'", v->str);
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

	if ((r = want(c, n, Y_SCALAR, what)) != SC_OK)
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

	if (is_null(v))
		return SC_OK;
	if ((r = want(c, v, Y_MAP, "env_aliases")) != SC_OK)
		return r;
	if ((r = check_keys(c, v)) != SC_OK)
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
		if (is_null(list))
			continue;
		if ((r = want(c, list, Y_SEQ, "an env alias")) != SC_OK)
			return r;
		if ((ea->a = calloc(list->nkids + 1, sizeof(*ea->a))) == NULL)
			return SC_ERR_NOMEM;
		for (j = 0; j < list->nkids; j++) {
			const struct ynode *m = list->kids[j], *pat = NULL, *tgt = NULL;
			size_t q;

			if ((r = want(c, m, Y_MAP, "an env alias entry")) != SC_OK)
				return r;
			if ((r = check_keys(c, m)) != SC_OK)
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

	if ((r = want(c, v, Y_SEQ, what)) != SC_OK)
		return r;
	if ((*out = calloc(v->nkids + 1, sizeof(**out))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < v->nkids; i++) {
		const struct ynode *s = v->kids[i];

		if ((r = want(c, s, Y_SCALAR, "a secret pattern")) != SC_OK)
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

	if (is_null(v))
		return SC_OK;
	if ((r = want(c, v, Y_SEQ, "rules")) != SC_OK)
		return r;
	for (i = 0; i < v->nkids; i++) {
		const struct ynode *m = v->kids[i], *cmd = NULL, *args = NULL, *secrets = NULL;
		struct cmdent *e;

		if ((r = want(c, m, Y_MAP, "a rule")) != SC_OK)
			return r;
		if ((r = check_keys(c, m)) != SC_OK)
			return r;
		for (q = 0; q < m->nkids; q += 2) {
			const char *k = m->kids[q]->str;

			if (strcmp(k, "command") == 0)
				cmd = m->kids[q + 1];
			else if (strcmp(k, "args") == 0)
				args = m->kids[q + 1];
			else if (strcmp(k, "secrets") == 0)
				secrets = m->kids[q + 1];
			else if (strcmp(k, "sha256") == 0 || strcmp(k, "files") == 0)
				continue; /* pins: read once the entry exists */
			else
				return sc_policy_perr(
				    c, m->kids[q]->line,
				    "unknown key '%s' in a rule (expected command, args, "
				    "secrets, sha256, files)",
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
		if (args != NULL) {
			if ((r = want(c, args, Y_SEQ, "args")) != SC_OK)
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

	if (is_null(v))
		return SC_OK;
	if ((r = want(c, v, Y_MAP, "secret_commands")) != SC_OK)
		return r;
	if ((r = check_keys(c, v)) != SC_OK)
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
		if ((r = want(c, val, Y_SEQ, "a secret_commands entry")) != SC_OK)
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
static int duration_value(struct pctx *c, const struct ynode *v, uint64_t *out)
{
	uint64_t ms;
	int r;

	if (v->kind != Y_SCALAR || v->str[0] == '\0')
		return sc_policy_perr(c, v->line,
		                      "max_timeout must be a duration like 60s, 5m or 1h");
	r = sc_duration_parse(v->str,
	                      SC_DUR_S | SC_DUR_M | SC_DUR_H | SC_DUR_BARE | SC_DUR_COMPOUND,
	                      100000000ULL * 1000, &ms);
	if (r == SC_ERR_TOOBIG)
		return sc_policy_perr(c, v->line, "max_timeout is out of range");
	if (r != SC_OK && v->str[0] >= '0' && v->str[0] <= '9')
		return sc_policy_perr(
		    c, v->line, "max_timeout '%s': units are s, m and h (whole seconds)", v->str);
	if (r != SC_OK)
		return sc_policy_perr(
		    c, v->line, "max_timeout '%s' is not a duration like 60s, 5m or 1h", v->str);
	*out = ms / 1000;
	return SC_OK;
}

static int k_limits(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	size_t i;
	int r;

	if (is_null(v))
		return SC_OK;
	if ((r = want(c, v, Y_MAP, "limits")) != SC_OK)
		return r;
	if ((r = check_keys(c, v)) != SC_OK)
		return r;
	for (i = 0; i < v->nkids; i += 2) {
		const char *k = v->kids[i]->str;
		const struct ynode *val = v->kids[i + 1];
		uint64_t x = 0;
		const char *suf;

		if (strcmp(k, "max_timeout") == 0) {
			if ((r = duration_value(c, val, &x)) != SC_OK)
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
		} else {
			return sc_policy_perr(c, v->kids[i]->line,
			                      "unknown key '%s' in limits (expected max_timeout, "
			                      "max_output_bytes, max_concurrent)",
			                      k);
		}
	}
	return SC_OK;
}

static int k_unsafe(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	size_t i;
	int r;

	if (is_null(v))
		return SC_OK;
	if ((r = want(c, v, Y_SEQ, "unsafe_allow_builtin_denied")) != SC_OK)
		return r;
	for (i = 0; i < v->nkids; i++) {
		const struct ynode *s = v->kids[i];
		int b;

		if ((r = want(c, s, Y_SCALAR, "a built-in denial")) != SC_OK)
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

	if ((r = want(c, v, Y_SCALAR, "cli_runs")) != SC_OK)
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

/* confinement: {mode: required | best-effort | off, write: [paths],
 * network: true | false} */
static int k_confinement(struct pctx *c, struct sc_policy *p, const struct ynode *v)
{
	size_t i, j;
	int r;

	if (is_null(v))
		return SC_OK;
	if ((r = want(c, v, Y_MAP, "confinement")) != SC_OK)
		return r;
	if ((r = check_keys(c, v)) != SC_OK)
		return r;
	for (i = 0; i < v->nkids; i += 2) {
		const char *k = v->kids[i]->str;
		const struct ynode *val = v->kids[i + 1];

		if (strcmp(k, "mode") == 0) {
			if ((r = want(c, val, Y_SCALAR, "confinement mode")) != SC_OK)
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
			if ((r = want(c, val, Y_SCALAR, "confinement network")) != SC_OK)
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
			if (is_null(val))
				continue;
			if ((r = want(c, val, Y_SEQ, "confinement write")) != SC_OK)
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

				if ((r = want(c, w, Y_SCALAR, "a write path")) != SC_OK)
					return r;
				if (w->str[0] != '/' || strcmp(w->str, "/") == 0 ||
				    has_ctl(w->str) || strlen(w->str) > PATH_MAX ||
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
    {"limits", k_limits},
    {"unsafe_allow_builtin_denied", k_unsafe},
    {"cli_runs", k_cli_runs},
    {"confinement", k_confinement},
};

#define ROOT_KEYS_LIST                                                                             \
	"version, default_action, allowed_commands, denied_commands, env_aliases, rules, "         \
	"secret_commands, limits, unsafe_allow_builtin_denied, cli_runs, confinement"

int sc_policy_from_tree(struct pctx *c, const struct ynode *root, struct sc_policy *p)
{
	size_t i, k;
	int r, have_version = 0;

	if (root == NULL || is_null(root))
		return sc_policy_perr(c, 1, "empty policy (it needs at least 'version: 1')");
	if (root->kind != Y_MAP)
		return sc_policy_perr(c, root->line, "the policy must be a mapping of keys, not %s",
		                      kind_name(root));
	if ((r = check_keys(c, root)) != SC_OK)
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
