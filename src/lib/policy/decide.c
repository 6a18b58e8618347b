/* decide.c - the run decision: a command, its arguments and the secrets
 * it asks for, against the built-in denials and the policy's rules. */
#include "policy/policy_int.h"

/* ---- the run decision ----------------------------------------------------- */

static const char *base_of(const char *s)
{
	const char *b = strrchr(s, '/');

	return b ? b + 1 : s;
}

/* For quoting agent-supplied text in a reason: no control characters (no
 * forged lines), bounded. */
static const char *clean(const char *s, char *buf, size_t n)
{
	size_t i = 0;

	for (; *s && i + 4 < n; s++)
		buf[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	if (*s) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static int deny(char *reason, size_t reasonlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int deny(char *reason, size_t reasonlen, const char *fmt, ...)
{
	va_list ap;

	if (reason != NULL && reasonlen > 0) {
		va_start(ap, fmt);
		vsnprintf(reason, reasonlen, fmt, ap);
		va_end(ap);
	}
	return SC_ERR_DENIED;
}

static int is_multicall(const char *base)
{
	return strcmp(base, "busybox") == 0 || strcmp(base, "toybox") == 0;
}

static int name_hit(const char *const *names, const char *base)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (fnmatch(names[i], base, 0) == 0)
			return 1;
	return 0;
}

/* Does the program behind resolved basename rbase count as `name`? The
 * same name; a versioned build of it (python3 -> python3.11, perl ->
 * perl5.36); a member of the same built-in family, which has the same power
 * (sh -> dash, awk -> mawk, fd -> fdfind); or, when multicall is set, a
 * multi-call binary, which runs the applet its argv[0] names. */
static int same_program(const char *name, const char *rbase, int multicall)
{
	size_t n = strlen(name), i;

	if (strcmp(name, rbase) == 0 || (multicall && is_multicall(rbase)))
		return 1;
	if (strncmp(name, rbase, n) == 0 && rbase[n] != '\0' &&
	    strspn(rbase + n, "0123456789.") == strlen(rbase + n))
		return 1;
	for (i = 0; i < sc_policy_nbuiltins; i++) {
		const struct builtin *b = &sc_policy_builtins[i];

		if (b->check == NULL || b->names == sc_policy_any_name || b->names[1] == NULL)
			continue;
		if (name_hit(b->names, name) && name_hit(b->names, rbase))
			return 1;
	}
	return 0;
}

struct runq {
	const char *given, *gbase, *resolved, *rbase;
	const char *const *args;
	size_t nargs;
};

/* Does the program run code it is given? By the real path's name or the
 * name given (a multi-call binary runs the applet argv[0] names). */
static int runs_code(const struct runq *q)
{
	return sc_policy_runs_code(q->rbase) || sc_policy_runs_code(q->gbase);
}

static int cmd_matches(const struct cmdent *e, const struct runq *q, int for_deny)
{
	if (e->is_path) {
		if (strcmp(q->resolved, e->cmd) == 0 ||
		    (e->real != NULL && strcmp(q->resolved, e->real) == 0))
			return 1;
		return for_deny && strcmp(q->given, e->cmd) == 0;
	}
	/* Deny on either name (denying sh denies bash and dash too). */
	if (for_deny)
		return same_program(e->cmd, q->rbase, 0) || same_program(e->cmd, q->gbase, 0);
	/* Allow on both names: a look-alike "aws" that resolves to sh is not
	 * aws. And only a name: a command given as a path ("/tmp/x/cat",
	 * "./cat": a program planted anywhere) matches only a path entry;
	 * names resolve through the server's PATH (issue 11). */
	if (strchr(q->given, '/') != NULL)
		return 0;
	return strcmp(q->gbase, e->cmd) == 0 &&
	       (same_program(e->cmd, q->rbase, 1) ||
	        (e->real != NULL && strcmp(q->resolved, e->real) == 0));
}

static int argpat_match(const struct argpat *a, const char *const *args, size_t nargs)
{
	size_t i;

	if (nargs < a->ntok || (!a->rest && nargs != a->ntok))
		return 0;
	for (i = 0; i < a->ntok; i++)
		if (fnmatch(a->tok[i], args[i], 0) != 0)
			return 0;
	return 1;
}

/* Index of the first pattern the arguments match, or -1. */
static int args_match(const struct cmdent *e, const struct runq *q)
{
	size_t i;

	if (e->npats == 0)
		return 0;
	for (i = 0; i < e->npats; i++)
		if (argpat_match(&e->pats[i], q->args, q->nargs))
			return (int)i;
	return -1;
}

static int check_builtins(const struct sc_policy *p, const struct runq *q, char *reason,
                          size_t reasonlen)
{
	char c1[80], c2[40];
	/* A multi-call binary run under an applet's name is that applet. */
	const char *rbase = is_multicall(q->rbase) && !is_multicall(q->gbase) ? q->gbase : q->rbase;
	size_t i;

	for (i = 0; i < sc_policy_nbuiltins; i++) {
		const struct builtin *b = &sc_policy_builtins[i];
		const char *who;
		size_t at = (size_t)-1;

		if (p->lifted[i])
			continue;
		if (name_hit(b->names, rbase))
			who = rbase;
		else if (name_hit(b->names, q->gbase))
			who = q->gbase;
		else
			continue;
		if (b->check == NULL)
			return deny(reason, reasonlen,
			            "command '%s' is always denied: it %s (built-in rule '%s')",
			            clean(who, c1, sizeof(c1)), b->why, b->id);
		if (!b->check(q->args, q->nargs, &at))
			continue;
		if (b->names == sc_policy_any_name)
			return deny(reason, reasonlen,
			            "argument %zu is always denied: it %s (built-in rule '%s')",
			            at + 1, b->why, b->id);
		if (at != (size_t)-1 && q->args[at][0] == '-')
			return deny(reason, reasonlen,
			            "'%s %s' %s and is always denied; run a script file or an "
			            "allowed command instead (built-in rule '%s')",
			            clean(who, c1, sizeof(c1)), clean(q->args[at], c2, sizeof(c2)),
			            b->why, b->id);
		if (at != (size_t)-1)
			return deny(reason, reasonlen,
			            "'%s' with argument %zu %s and is always denied (built-in rule "
			            "'%s')",
			            clean(who, c1, sizeof(c1)), at + 1, b->why, b->id);
		return deny(reason, reasonlen,
		            "'%s' %s; it is denied otherwise (built-in rule '%s')",
		            clean(who, c1, sizeof(c1)), b->why, b->id);
	}
	return SC_OK;
}

static int secrets_fit(const struct cmdent *e, const char *const *secrets, size_t nsecrets)
{
	size_t i, j;

	if (!e->has_secrets)
		return 1;
	for (i = 0; i < nsecrets; i++) {
		for (j = 0; j < e->nsecrets; j++)
			if (fnmatch(e->secrets[j], secrets[i], 0) == 0)
				break;
		if (j == e->nsecrets)
			return 0;
	}
	return 1;
}

int sc_policy_check_run(const struct sc_policy *p, const char *cmd_as_given,
                        const char *resolved_path, const char *const *args, size_t nargs,
                        const char *const *secret_names, size_t nsecrets, char *reason,
                        size_t reasonlen)
{
	struct runq q;
	const struct cmdent *named = NULL, *args_fail = NULL, *sec_fail = NULL, *res_fail = NULL;
	const struct cmdent *hit = NULL;      /* the entry that allowed the run */
	const struct cmdent *cap_fail = NULL; /* allowed it, but cannot carry secrets */
	int cap_pat = -1;
	char c1[80], c2[80], c3[80];
	size_t i, j;
	int r, pat = -1;

	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (cmd_as_given == NULL || cmd_as_given[0] == '\0' || resolved_path == NULL ||
	    resolved_path[0] != '/' || (args == NULL && nargs > 0) ||
	    (secret_names == NULL && nsecrets > 0))
		return SC_ERR_INVALID;
	for (i = 0; i < nargs; i++)
		if (args[i] == NULL)
			return SC_ERR_INVALID;
	for (i = 0; i < nsecrets; i++)
		if (secret_names[i] == NULL)
			return SC_ERR_INVALID;
	q.given = cmd_as_given;
	q.gbase = base_of(cmd_as_given);
	q.resolved = resolved_path;
	q.rbase = base_of(resolved_path);
	q.args = args;
	q.nargs = nargs;
	if (q.gbase[0] == '\0' || q.rbase[0] == '\0')
		return SC_ERR_INVALID;
	clean(q.gbase, c1, sizeof(c1));

	if (p == NULL)
		return deny(reason, reasonlen,
		            "no MCP policy: secret_run is disabled until the user creates "
		            "mcp-policy.yaml in the vault directory allowing commands");

	if ((r = check_builtins(p, &q, reason, reasonlen)) != SC_OK)
		return r;

	for (i = 0; i < p->ndenied; i++) {
		const struct cmdent *e = &p->denied[i];

		if (cmd_matches(e, &q, 1) && args_match(e, &q) >= 0)
			return deny(reason, reasonlen,
			            "command '%s' is denied by denied_commands (policy line %d)",
			            c1, e->line);
	}

	/* A command that allowed_commands or rules name may only run as one of
	 * them allows, whatever default_action says. */
	for (i = 0; i < p->nallowed; i++) {
		const struct cmdent *e = &p->allowed[i];

		if (!cmd_matches(e, &q, 0)) {
			if (!e->is_path && strcmp(q.gbase, e->cmd) == 0 && res_fail == NULL)
				res_fail = e;
			continue;
		}
		named = e;
		if ((pat = args_match(e, &q)) < 0) {
			if (args_fail == NULL)
				args_fail = e;
			continue;
		}
		if (!secrets_fit(e, secret_names, nsecrets)) {
			if (sec_fail == NULL)
				sec_fail = e;
			continue;
		}
		/* a program that runs code: only an exact pin carries secrets;
		 * another entry may still pin it, so look on */
		if (nsecrets > 0 && runs_code(&q) &&
		    sc_policy_capability_check(e, pat, c1, q.args, q.nargs, NULL, 0) != SC_OK) {
			if (cap_fail == NULL)
				cap_fail = e, cap_pat = pat;
			continue;
		}
		hit = e;
		goto allowed;
	}
	if (cap_fail != NULL)
		return sc_policy_capability_check(cap_fail, cap_pat, c1, q.args, q.nargs, reason,
		                                  reasonlen);
	if (sec_fail != NULL)
		return deny(reason, reasonlen,
		            "a requested secret may not be injected into '%s' (the rule on policy "
		            "line %d limits its secrets)",
		            c1, sec_fail->line);
	if (args_fail != NULL)
		return deny(reason, reasonlen,
		            "arguments to '%s' match none of the patterns the policy allows for it "
		            "(e.g. '%s %s' on line %d)",
		            c1, c1, clean(args_fail->pats[0].text, c2, sizeof(c2)),
		            args_fail->line);
	if (named == NULL && res_fail != NULL && strchr(q.given, '/') != NULL)
		return deny(reason, reasonlen,
		            "command '%s' is given as a path, and '%s' is allowed by name only, "
		            "which is not allowed for a path; call it by its name, or allow that "
		            "program by its path",
		            c1, clean(res_fail->cmd, c3, sizeof(c3)));
	if (named == NULL && res_fail != NULL)
		return deny(reason, reasonlen,
		            "command '%s' resolves to '%s', which is not '%s'; allow that program "
		            "by its path, or call it by its own name",
		            c1, clean(q.resolved, c2, sizeof(c2)),
		            clean(res_fail->cmd, c3, sizeof(c3)));
	if (!p->default_allow)
		return deny(reason, reasonlen,
		            "command '%s' is not allowed by the MCP policy (default_action: deny); "
		            "ask the user to add it to allowed_commands in mcp-policy.yaml",
		            c1);
	/* default_action: allow never hands a secret to a program that runs code */
	if (nsecrets > 0 && runs_code(&q))
		return sc_policy_capability_check(NULL, -1, c1, q.args, q.nargs, reason, reasonlen);

allowed:
	if ((r = sc_policy_pins_check(hit, q.resolved, reason, reasonlen)) != SC_OK)
		return r;
	/* secret_commands: every binding a secret matches must name this
	 * command. */
	for (i = 0; i < nsecrets; i++) {
		for (j = 0; j < p->nbind; j++) {
			const struct binding *b = &p->bind[j];
			size_t k;

			if (fnmatch(b->glob, secret_names[i], 0) != 0)
				continue;
			for (k = 0; k < b->ncmds; k++)
				if (cmd_matches(&b->cmds[k], &q, 0))
					break;
			if (k == b->ncmds)
				return deny(reason, reasonlen,
				            "a requested secret may only be injected into the "
				            "commands secret_commands '%s' lists (policy line %d), "
				            "not into '%s'",
				            clean(b->glob, c2, sizeof(c2)), b->line, c1);
		}
	}
	return SC_OK;
}

int sc_policy_resolve_alias(const struct sc_policy *p, const char *env, const char *key, char *out,
                            size_t outlen)
{
	const struct envalias *ea = NULL;
	size_t i, n;

	if (key == NULL || out == NULL || outlen == 0)
		return SC_ERR_INVALID;
	out[0] = '\0';
	if (env == NULL || env[0] == '\0')
		goto unchanged;
	if (p != NULL)
		for (i = 0; i < p->nenv; i++)
			if (strcmp(p->env[i].env, env) == 0)
				ea = &p->env[i];
	if (ea == NULL)
		return SC_ERR_NOT_FOUND;
	for (i = 0; i < ea->n; i++) {
		const char *pat = ea->a[i].pattern, *tgt = ea->a[i].target;
		size_t pl = strlen(pat), tl = strlen(tgt);

		if (pl > 0 && pat[pl - 1] == '*') {
			const char *suffix;

			if (strncmp(key, pat, pl - 1) != 0)
				continue;
			suffix = key + pl - 1;
			if (tl > 0 && tgt[tl - 1] == '*')
				tl--;
			if (tl + strlen(suffix) + 1 > outlen)
				return SC_ERR_TOOBIG;
			memcpy(out, tgt, tl);
			strcpy(out + tl, suffix);
			return SC_OK;
		}
		if (strcmp(key, pat) == 0) {
			if (tl + 1 > outlen)
				return SC_ERR_TOOBIG;
			memcpy(out, tgt, tl + 1);
			return SC_OK;
		}
	}
unchanged:
	n = strlen(key);
	if (n + 1 > outlen)
		return SC_ERR_TOOBIG;
	memcpy(out, key, n + 1);
	return SC_OK;
}

int sc_policy_has_env(const struct sc_policy *p, const char *env)
{
	size_t i;

	if (p == NULL || env == NULL)
		return 0;
	for (i = 0; i < p->nenv; i++)
		if (strcmp(p->env[i].env, env) == 0)
			return 1;
	return 0;
}
