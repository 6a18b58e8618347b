/* runenv.c - the environment a `run` child gets: key patterns resolved
 * against the vault, secrets turned into variables (refusing the ones that
 * steer loaders and interpreters), a small base environment, and the
 * sanitizer that redacts every injected sensitive value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "secretctl/exec.h"
#include "secretctl/redact.h"
#include "secretctl/secref.h"

/* More variables than this is a mistake (a "**" over a big vault). */
#define RUNENV_VARS_MAX 4096

/* ---- glob ---------------------------------------------------------------- */

int sc_glob_is_pattern(const char *pattern)
{
	return pattern != NULL && strpbrk(pattern, "*?") != NULL;
}

int sc_glob_valid(const char *pattern)
{
	size_t n, i, stars = 0;

	if (pattern == NULL)
		return SC_ERR_NAME;
	n = strlen(pattern);
	if (n == 0 || n > SC_NAME_MAX || pattern[0] == '/' || pattern[n - 1] == '/')
		return SC_ERR_NAME;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)pattern[i];

		stars = (c == '*') ? stars + 1 : 0;
		if (stars > 2)
			return SC_ERR_NAME;
		if (c == '/' && pattern[i + 1] == '/')
			return SC_ERR_NAME;
		if (c == '.' && pattern[i + 1] == '.')
			return SC_ERR_NAME;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '/' || c == '-' || c == '*' || c == '?'))
			return SC_ERR_NAME;
	}
	return SC_OK;
}

/* Dynamic programming over (pattern position, name position), bottom-up,
 * keeping four pattern rows: linear in |pattern| * |name| whatever the
 * stars, so no pattern can make a walk over a large vault slow. */
int sc_glob_match(const char *pat, const char *name)
{
	unsigned char rows[4][SC_NAME_MAX + 2];
	size_t np, nn, i, j;

	if (pat == NULL || name == NULL)
		return 0;
	np = strlen(pat);
	nn = strlen(name);
	if (np > SC_NAME_MAX || nn > SC_NAME_MAX)
		return 0;
	memset(rows, 0, sizeof(rows));
#define DP(a, b) rows[(a) % 4][b]
	for (j = 0; j <= nn; j++)
		DP(np, j) = (j == nn);
	for (i = np; i-- > 0;) {
		for (j = nn + 1; j-- > 0;) {
			unsigned char c = (unsigned char)pat[i], v;
			int more = j < nn;

			if (c == '*' && pat[i + 1] == '*') {
				v = DP(i + 2, j) || (more && DP(i, j + 1));
				/* "**\/" at a segment start may stand for no segment */
				if (!v && pat[i + 2] == '/' && (i == 0 || pat[i - 1] == '/') &&
				    (j == 0 || name[j - 1] == '/'))
					v = DP(i + 3, j);
			} else if (c == '*') {
				v = DP(i + 1, j) || (more && name[j] != '/' && DP(i, j + 1));
			} else if (c == '?') {
				v = more && name[j] != '/' && DP(i + 1, j + 1);
			} else {
				v = more && (unsigned char)name[j] == c && DP(i + 1, j + 1);
			}
			DP(i, j) = v;
		}
	}
	return DP(0, 0);
#undef DP
}

/* ---- variable names ------------------------------------------------------ */

static int append_mapped(char *buf, size_t bufsz, size_t *pos, const char *s)
{
	for (; *s != '\0'; s++) {
		char c = *s;

		if (*pos + 1 >= bufsz)
			return SC_ERR_NAME;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (c == '/' || c == '-' || c == '.')
			c = '_';
		buf[(*pos)++] = c;
	}
	buf[*pos] = '\0';
	return SC_OK;
}

int sc_runenv_var_name(const char *prefix, const char *secret, const char *field, char *buf,
                       size_t bufsz)
{
	size_t pos = 0, plen;
	int r;

	if (buf == NULL || bufsz == 0 || secret == NULL)
		return SC_ERR_INVALID;
	buf[0] = '\0';
	if (prefix != NULL) {
		plen = strlen(prefix);
		if (plen + 1 >= bufsz)
			return SC_ERR_NAME;
		memcpy(buf, prefix, plen + 1);
		pos = plen;
	}
	if ((r = append_mapped(buf, bufsz, &pos, secret)) != SC_OK)
		return r;
	if (field != NULL && strcmp(field, "value") != 0) {
		if ((r = append_mapped(buf, bufsz, &pos, "_")) != SC_OK ||
		    (r = append_mapped(buf, bufsz, &pos, field)) != SC_OK)
			return r;
	}
	return sc_env_name_valid(buf);
}

/* Variables a secret may never set: each changes what code the child, its
 * dynamic loader, its shell or its interpreter runs, or where it reads its
 * configuration from (and so what commands that configuration runs).
 *  - loader and libc: LD_*, DYLD_*, GCONV_PATH, GLIBC_TUNABLES, MALLOC_*,
 *    LOCPATH, NLSPATH, HOSTALIASES, RES_OPTIONS, LOCALDOMAIN, TZDIR, TMPDIR
 *    (glibc drops these for setuid programs for the same reason)
 *  - shells: PATH, HOME (dotfiles: .bashrc, .gitconfig, .ssh/config),
 *    SHELL, ENV, BASH_ENV, BASH_FUNC_*, SHELLOPTS, BASHOPTS, PS4,
 *    PROMPT_COMMAND, IFS, CDPATH, GLOBIGNORE, ZDOTDIR, XDG_CONFIG_HOME,
 *    XDG_CONFIG_DIRS
 *  - interpreters: PYTHONSTARTUP, PYTHONPATH, PYTHONHOME, PYTHONUSERBASE,
 *    PYTHONEXECUTABLE, PYTHONBREAKPOINT, PYTHONINSPECT, NODE_OPTIONS,
 *    NODE_PATH, PERL5OPT, PERL5LIB, PERLLIB, PERL5DB, RUBYOPT, RUBYLIB,
 *    JAVA_TOOL_OPTIONS, _JAVA_OPTIONS, JDK_JAVA_OPTIONS, CLASSPATH, PHPRC,
 *    PHP_INI_SCAN_DIR
 *  - programs that run a command named in a variable: GIT_SSH_COMMAND,
 *    GIT_SSH, GIT_EXEC_PATH, GIT_ASKPASS, SSH_ASKPASS, GIT_EDITOR,
 *    GIT_PAGER, GIT_PROXY_COMMAND, GIT_EXTERNAL_DIFF, GIT_CONFIG,
 *    GIT_CONFIG_* (COUNT/KEY_n/VALUE_n set any config, core.sshCommand
 *    included), GIT_CONFIG_PARAMETERS, GIT_TEMPLATE_DIR, EDITOR, VISUAL,
 *    PAGER, BROWSER, LESSOPEN, LESSCLOSE
 *  - SECRETCTL_*: secretctl's own settings, never from a secret.
 * Compared without regard to case, to be strict. */
static const char *const deny_exact[] = {
    "GCONV_PATH",
    "GLIBC_TUNABLES",
    "LOCPATH",
    "NLSPATH",
    "HOSTALIASES",
    "RES_OPTIONS",
    "LOCALDOMAIN",
    "TZDIR",
    "TMPDIR",
    "PATH",
    "HOME",
    "SHELL",
    "ENV",
    "BASH_ENV",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "PROMPT_COMMAND",
    "IFS",
    "CDPATH",
    "GLOBIGNORE",
    "ZDOTDIR",
    "XDG_CONFIG_HOME",
    "XDG_CONFIG_DIRS",
    "PYTHONSTARTUP",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONUSERBASE",
    "PYTHONEXECUTABLE",
    "PYTHONBREAKPOINT",
    "PYTHONINSPECT",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "PERL5DB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "CLASSPATH",
    "PHPRC",
    "PHP_INI_SCAN_DIR",
    "GIT_SSH_COMMAND",
    "GIT_SSH",
    "GIT_EXEC_PATH",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_EDITOR",
    "GIT_PAGER",
    "GIT_PROXY_COMMAND",
    "GIT_EXTERNAL_DIFF",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_TEMPLATE_DIR",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "BROWSER",
    "LESSOPEN",
    "LESSCLOSE",
    NULL,
};
static const char *const deny_prefix[] = {
    "LD_", "DYLD_", "MALLOC_", "BASH_FUNC_", "GIT_CONFIG_", "SECRETCTL_", NULL,
};

int sc_runenv_var_allowed(const char *var)
{
	size_t i;

	if (var == NULL)
		return SC_ERR_INVALID;
	for (i = 0; deny_exact[i] != NULL; i++)
		if (strcasecmp(var, deny_exact[i]) == 0)
			return SC_ERR_DENIED;
	for (i = 0; deny_prefix[i] != NULL; i++)
		if (strncasecmp(var, deny_prefix[i], strlen(deny_prefix[i])) == 0)
			return SC_ERR_DENIED;
	return SC_OK;
}

/* ---- the build ----------------------------------------------------------- */

struct inj {
	char var[SC_ENV_NAME_MAX + 1];
	const uint8_t *value; /* inside a secret kept until the build ends */
	size_t len;
	int sensitive;
	const char *sname, *fname; /* the secret and field (same lifetime) */
};

struct strlist {
	char **v;
	size_t n, cap;
};

struct sc_runenv {
	char **envp;  /* base copies (malloc) + arena pointers */
	size_t nbase; /* envp[0..nbase) are malloc'd copies */
	char *arena;  /* secmem: every "VAR=value" injected */
	struct sc_sanitizer *z;
	struct strlist vars, secrets, shorts;
};

static int strlist_add(struct strlist *l, const char *s)
{
	char **nv, *d;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;

		nv = realloc(l->v, nc * sizeof(*nv));
		if (nv == NULL)
			return SC_ERR_NOMEM;
		l->v = nv;
		l->cap = nc;
	}
	if ((d = strdup(s)) == NULL)
		return SC_ERR_NOMEM;
	l->v[l->n++] = d;
	return SC_OK;
}

static int strlist_has(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

static void strlist_release(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_detail(char **detail, const char *what)
{
	if (detail != NULL && *detail == NULL && what != NULL)
		*detail = strdup(what);
}

struct walk_ctx {
	const struct sc_runenv_opts *o;
	unsigned char *matched; /* per pattern */
	struct strlist *names;
	int r;
};

static int walk_cb(const struct sc_secret *s, void *arg)
{
	struct walk_ctx *w = arg;
	const char *name = sc_secret_name(s);
	size_t i;
	int hit = 0;

	for (i = 0; i < w->o->npatterns; i++) {
		if (!sc_glob_is_pattern(w->o->patterns[i]) ||
		    !sc_glob_match(w->o->patterns[i], name))
			continue;
		w->matched[i] = 1;
		hit = 1;
	}
	if (hit && !strlist_has(w->names, name) && (w->r = strlist_add(w->names, name)) != SC_OK)
		return w->r;
	return 0;
}

/* Names of the secrets the patterns select, sorted, each once. */
static int select_names(struct sc_vault *v, const struct sc_runenv_opts *o, struct strlist *names,
                        char **detail)
{
	struct walk_ctx w = {o, NULL, names, SC_OK};
	size_t i;
	int r = SC_OK, globs = 0;

	for (i = 0; i < o->npatterns; i++) {
		if ((r = sc_glob_valid(o->patterns[i])) != SC_OK) {
			set_detail(detail, o->patterns[i]);
			return r;
		}
		if (sc_glob_is_pattern(o->patterns[i])) {
			globs = 1;
		} else if ((r = sc_name_valid(o->patterns[i])) != SC_OK) {
			set_detail(detail, o->patterns[i]);
			return r;
		}
	}
	if (globs) {
		if ((w.matched = calloc(o->npatterns, 1)) == NULL)
			return SC_ERR_NOMEM;
		r = sc_vault_walk(v, walk_cb, &w);
		if (r == SC_OK)
			r = w.r;
		for (i = 0; r == SC_OK && i < o->npatterns; i++) {
			if (sc_glob_is_pattern(o->patterns[i]) && !w.matched[i]) {
				set_detail(detail, o->patterns[i]);
				r = SC_ERR_NOT_FOUND;
			}
		}
		free(w.matched);
		if (r != SC_OK)
			return r;
	}
	for (i = 0; i < o->npatterns; i++)
		if (!sc_glob_is_pattern(o->patterns[i]) && !strlist_has(names, o->patterns[i]) &&
		    (r = strlist_add(names, o->patterns[i])) != SC_OK)
			return r;
	if (names->n > 1)
		qsort(names->v, names->n, sizeof(*names->v), cmp_str);
	return SC_OK;
}

static int add_inj(struct inj *inj, size_t *ninj, const char *var, const uint8_t *value, size_t len,
                   int sensitive, const char *sname, const char *fname, char **detail)
{
	size_t i;
	int r;

	if ((r = sc_env_name_valid(var)) != SC_OK || (r = sc_runenv_var_allowed(var)) != SC_OK) {
		set_detail(detail, var);
		return r;
	}
	for (i = 0; i < *ninj; i++) {
		if (strcmp(inj[i].var, var) == 0) {
			set_detail(detail, var);
			return SC_ERR_EXISTS;
		}
	}
	/* an environment string ends at the first NUL: never inject a cut value */
	if (len > 0 && memchr(value, '\0', len) != NULL) {
		set_detail(detail, var);
		return SC_ERR_INVALID;
	}
	if (*ninj >= RUNENV_VARS_MAX)
		return SC_ERR_TOOBIG;
	memcpy(inj[*ninj].var, var, strlen(var) + 1);
	inj[*ninj].value = value;
	inj[*ninj].len = len;
	inj[*ninj].sensitive = sensitive;
	inj[*ninj].sname = sname;
	inj[*ninj].fname = fname;
	(*ninj)++;
	return SC_OK;
}

static int secret_injections(const struct sc_runenv_opts *o, const struct sc_secret *s,
                             struct inj *inj, size_t *ninj, char **detail)
{
	char var[SC_ENV_NAME_MAX + 1];
	const char *fname, *env, *hint;
	const uint8_t *val;
	size_t i, nb = sc_secret_binding_count(s), len;
	int r, sens, fi;

	if (nb > 0) {
		/* explicit bindings are used verbatim, without the prefix */
		for (i = 0; i < nb; i++) {
			if ((r = sc_secret_binding(s, i, &env, &fname)) != SC_OK)
				return r;
			fi = sc_secret_field_index(s, fname);
			if (fi < 0) {
				set_detail(detail, env);
				return SC_ERR_NOT_FOUND;
			}
			if ((r = sc_secret_field(s, (size_t)fi, &fname, &val, &len, &sens,
			                         &hint)) != SC_OK ||
			    (r = add_inj(inj, ninj, env, val, len, sens, sc_secret_name(s), fname,
			                 detail)) != SC_OK)
				return r;
		}
		return SC_OK;
	}
	for (i = 0; i < sc_secret_field_count(s); i++) {
		if ((r = sc_secret_field(s, i, &fname, &val, &len, &sens, &hint)) != SC_OK)
			return r;
		r = sc_runenv_var_name(o->prefix, sc_secret_name(s), fname, var, sizeof(var));
		if (r != SC_OK) {
			set_detail(detail, var[0] ? var : sc_secret_name(s));
			return r;
		}
		if ((r = add_inj(inj, ninj, var, val, len, sens, sc_secret_name(s), fname,
		                 detail)) != SC_OK)
			return r;
	}
	return SC_OK;
}

static int base_allowed(const char *entry, size_t nlen, int clean)
{
	static const char *const keep[] = {"PATH",   "HOME", "USER", "LOGNAME", "LANG",
	                                   "LC_ALL", "TERM", "TZ",   NULL};
	size_t i;

	if (nlen >= 10 && strncmp(entry, "SECRETCTL_", 10) == 0)
		return 0;
	if (!clean)
		return 1;
	for (i = 0; keep[i] != NULL; i++)
		if (strlen(keep[i]) == nlen && strncmp(entry, keep[i], nlen) == 0)
			return 1;
	return 0;
}

static int name_in_env(char **envp, size_t n, const char *entry, size_t nlen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strncmp(envp[i], entry, nlen) == 0 && envp[i][nlen] == '=')
			return 1;
	return 0;
}

static int inj_has(const struct inj *inj, size_t ninj, const char *entry, size_t nlen)
{
	size_t i;

	for (i = 0; i < ninj; i++)
		if (strlen(inj[i].var) == nlen && strncmp(inj[i].var, entry, nlen) == 0)
			return 1;
	return 0;
}

static int assemble(struct sc_runenv *re, const struct sc_runenv_opts *o, const struct inj *inj,
                    size_t ninj)
{
	size_t nbase = 0, i, total = 0, pos = 0, vl, nlen;
	const char *eq;
	char *p;

	for (i = 0; o->base_env != NULL && o->base_env[i] != NULL; i++)
		nbase++;
	re->envp = calloc(nbase + ninj + 1, sizeof(*re->envp));
	if (re->envp == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < nbase; i++) {
		const char *e = o->base_env[i];

		eq = strchr(e, '=');
		if (eq == NULL || eq == e)
			continue;
		nlen = (size_t)(eq - e);
		if (!base_allowed(e, nlen, o->clean_env) || inj_has(inj, ninj, e, nlen) ||
		    name_in_env(re->envp, re->nbase, e, nlen))
			continue;
		if ((re->envp[re->nbase] = strdup(e)) == NULL)
			return SC_ERR_NOMEM;
		re->nbase++;
	}
	for (i = 0; i < ninj; i++)
		total += strlen(inj[i].var) + 1 + inj[i].len + 1;
	if (ninj == 0)
		return SC_OK;
	re->arena = sc_secmem_alloc(total);
	if (re->arena == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < ninj; i++) {
		p = re->arena + pos;
		vl = strlen(inj[i].var);
		memcpy(p, inj[i].var, vl);
		p[vl] = '=';
		if (inj[i].len > 0)
			memcpy(p + vl + 1, inj[i].value, inj[i].len);
		p[vl + 1 + inj[i].len] = '\0';
		re->envp[re->nbase + i] = p;
		pos += vl + 1 + inj[i].len + 1;
	}
	return SC_OK;
}

struct relabel {
	const struct inj *inj;
	size_t ninj;
};

/* The whole-vault label "name\x1ffield" of an injected value: its variable. */
static const char *relabel_map(void *arg, const char *label)
{
	const struct relabel *rl = arg;
	const char *sep = strchr(label, SC_REDACT_SEP);
	size_t i;

	if (sep == NULL)
		return NULL;
	for (i = 0; i < rl->ninj; i++)
		if (rl->inj[i].sensitive && strlen(rl->inj[i].sname) == (size_t)(sep - label) &&
		    strncmp(rl->inj[i].sname, label, (size_t)(sep - label)) == 0 &&
		    strcmp(rl->inj[i].fname, sep + 1) == 0)
			return rl->inj[i].var;
	return NULL;
}

static int make_sanitizer(struct sc_runenv *re, const struct sc_runenv_opts *o,
                          const struct inj *inj, size_t ninj)
{
	struct relabel rl = {inj, ninj};
	size_t i;
	int r, added;

	if (o->vault_sanitizer != NULL) {
		/* every value in the vault, named for this run */
		for (i = 0; i < ninj; i++)
			if (inj[i].sensitive && inj[i].len > 0 &&
			    inj[i].len < SC_SANITIZE_MIN_LEN &&
			    (r = strlist_add(&re->shorts, inj[i].var)) != SC_OK)
				return r;
		return sc_sanitizer_relabel(o->vault_sanitizer, relabel_map, &rl, SC_REDACT_LABEL,
		                            &re->z);
	}
	if ((r = sc_sanitizer_new(&re->z)) != SC_OK)
		return r;
	for (i = 0; i < ninj; i++) {
		if (!inj[i].sensitive)
			continue;
		added = 0;
		if ((r = sc_sanitizer_add(re->z, inj[i].value, inj[i].len, inj[i].var, &added)) !=
		    SC_OK)
			return r;
		if (!added && inj[i].len > 0 && (r = strlist_add(&re->shorts, inj[i].var)) != SC_OK)
			return r;
	}
	return sc_sanitizer_compile(re->z);
}

/* The references: each resolved to a secret and field, its variable
 * added as a binding would be. refsecs[] keeps the secrets alive. */
static int ref_injections(struct sc_vault *v, const struct sc_runenv_opts *o, int64_t now,
                          struct sc_secret **refsecs, struct inj *inj, size_t *ninj,
                          struct strlist *secrets, char **detail)
{
	char name[SC_NAME_MAX + 1], what[SC_NAME_MAX + SC_SECREF_SCHEME_LEN + 1];
	const char *fname, *hint;
	const uint8_t *val;
	size_t i, len;
	int r, fi, sens;

	for (i = 0; i < o->nrefs; i++) {
		snprintf(what, sizeof(what), "%s%s", SC_SECREF_SCHEME, o->ref_paths[i]);
		r = sc_secref_resolve(sc_secref_vault_get, v, o->ref_paths[i], &refsecs[i], &fi,
		                      name, sizeof(name));
		if (r != SC_OK) {
			set_detail(detail, what);
			return r;
		}
		if (sc_secret_is_expired(refsecs[i], now)) {
			set_detail(detail, name);
			return SC_ERR_EXPIRED;
		}
		if ((r = sc_secret_field(refsecs[i], (size_t)fi, &fname, &val, &len, &sens,
		                         &hint)) != SC_OK ||
		    (r = add_inj(inj, ninj, o->ref_vars[i], val, len, sens,
		                 sc_secret_name(refsecs[i]), fname, detail)) != SC_OK)
			return r;
		if (!strlist_has(secrets, name) && (r = strlist_add(secrets, name)) != SC_OK)
			return r;
	}
	if (secrets->n > 1)
		qsort(secrets->v, secrets->n, sizeof(*secrets->v), cmp_str);
	return SC_OK;
}

int sc_runenv_build(struct sc_vault *v, const struct sc_runenv_opts *o, struct sc_runenv **out,
                    char **detail)
{
	struct sc_secret **refsecs = NULL;
	struct strlist names = {0};
	struct sc_secret **secs = NULL;
	struct sc_runenv *re = NULL;
	struct inj *inj = NULL;
	size_t ninj = 0, want = 0, i;
	int64_t now;
	int r;

	if (out != NULL)
		*out = NULL;
	if (detail != NULL)
		*detail = NULL;
	if (v == NULL || o == NULL || out == NULL || (o->npatterns > 0 && o->patterns == NULL) ||
	    (o->nrefs > 0 && (o->ref_vars == NULL || o->ref_paths == NULL)) ||
	    o->nrefs > RUNENV_VARS_MAX)
		return SC_ERR_INVALID;
	if (o->prefix != NULL && o->prefix[0] != '\0' && sc_env_name_valid(o->prefix) != SC_OK) {
		set_detail(detail, o->prefix);
		return SC_ERR_NAME;
	}
	now = o->now ? o->now : (int64_t)time(NULL);
	if ((re = calloc(1, sizeof(*re))) == NULL)
		return SC_ERR_NOMEM;
	if ((r = select_names(v, o, &names, detail)) != SC_OK)
		goto out;
	if ((secs = calloc(names.n + 1, sizeof(*secs))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < names.n; i++) {
		size_t nb;

		r = sc_vault_get(v, names.v[i], &secs[i]);
		if (r != SC_OK) {
			set_detail(detail, names.v[i]);
			goto out;
		}
		if (sc_secret_is_expired(secs[i], now)) {
			set_detail(detail, names.v[i]);
			r = SC_ERR_EXPIRED;
			goto out;
		}
		/* a variable for each binding, or else for each field */
		nb = sc_secret_binding_count(secs[i]);
		want += nb > 0 ? nb : sc_secret_field_count(secs[i]);
	}
	want += o->nrefs;
	if (want > RUNENV_VARS_MAX) {
		r = SC_ERR_TOOBIG;
		goto out;
	}
	if ((inj = calloc(want + 1, sizeof(*inj))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < names.n; i++)
		if ((r = secret_injections(o, secs[i], inj, &ninj, detail)) != SC_OK ||
		    (r = strlist_add(&re->secrets, names.v[i])) != SC_OK)
			goto out;
	if (o->nrefs > 0 &&
	    ((refsecs = calloc(o->nrefs, sizeof(*refsecs))) == NULL ||
	     (r = ref_injections(v, o, now, refsecs, inj, &ninj, &re->secrets, detail)) != SC_OK)) {
		if (refsecs == NULL)
			r = SC_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < ninj; i++)
		if ((r = strlist_add(&re->vars, inj[i].var)) != SC_OK)
			goto out;
	if ((r = assemble(re, o, inj, ninj)) != SC_OK)
		goto out;
	if (!o->no_sanitize && (r = make_sanitizer(re, o, inj, ninj)) != SC_OK)
		goto out;
	*out = re;
	re = NULL;
out:
	if (secs != NULL)
		for (i = 0; i < names.n; i++)
			sc_secret_free(secs[i]);
	free(secs);
	if (refsecs != NULL)
		for (i = 0; i < o->nrefs; i++)
			sc_secret_free(refsecs[i]);
	free(refsecs);
	if (inj != NULL) {
		/* only pointers and names, but names say which secrets exist */
		sc_wipe(inj, ninj * sizeof(*inj));
		free(inj);
	}
	strlist_release(&names);
	sc_runenv_free(re);
	return r;
}

void sc_runenv_free(struct sc_runenv *re)
{
	size_t i;

	if (re == NULL)
		return;
	if (re->envp != NULL) {
		for (i = 0; i < re->nbase; i++)
			free(re->envp[i]);
		free(re->envp);
	}
	sc_secmem_free(re->arena); /* wipes every injected value */
	sc_sanitizer_free(re->z);
	strlist_release(&re->vars);
	strlist_release(&re->secrets);
	strlist_release(&re->shorts);
	free(re);
}

char *const *sc_runenv_envp(const struct sc_runenv *r)
{
	return r->envp;
}

const struct sc_sanitizer *sc_runenv_sanitizer(const struct sc_runenv *r)
{
	return r->z;
}

size_t sc_runenv_var_count(const struct sc_runenv *r)
{
	return r->vars.n;
}

const char *sc_runenv_var(const struct sc_runenv *r, size_t i)
{
	return i < r->vars.n ? r->vars.v[i] : NULL;
}

size_t sc_runenv_secret_count(const struct sc_runenv *r)
{
	return r->secrets.n;
}

const char *sc_runenv_secret(const struct sc_runenv *r, size_t i)
{
	return i < r->secrets.n ? r->secrets.v[i] : NULL;
}

size_t sc_runenv_short_count(const struct sc_runenv *r)
{
	return r->shorts.n;
}

const char *sc_runenv_short(const struct sc_runenv *r, size_t i)
{
	return i < r->shorts.n ? r->shorts.v[i] : NULL;
}
