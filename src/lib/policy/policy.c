/* policy.c - the MCP command policy: a strict reader of mcp-policy.yaml (the
 * Go secretctl's shape plus our extensions) and the run decision. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "secretctl/policy.h"

/* ---- a small YAML tree built from libyaml events ------------------------ */

/* Our own tree rather than libyaml's document API: it lets us refuse
 * anchors, aliases and tags outright (no alias bombs, no type games) and
 * bound depth and node count while reading. */
enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ykind kind;
	int line;            /* 1-based */
	int plain;           /* scalar written without quotes */
	char *str;           /* scalar value, NUL-terminated */
	struct ynode **kids; /* map: key, value, key, value, ... */
	size_t nkids, cap;
};

struct pctx {
	char *err;
	size_t errlen;
};

static int perr(struct pctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(struct pctx *c, int line, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err != NULL && c->errlen > 0)
		snprintf(c->err, c->errlen, "line %d: %s", line, msg);
	sc_set_error("line %d: %s", line, msg);
	return SC_ERR_INVALID;
}

static void ynode_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		ynode_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static int ynode_add(struct ynode *parent, struct ynode *kid)
{
	if (parent->nkids == parent->cap) {
		size_t ncap = parent->cap ? parent->cap * 2 : 8;
		struct ynode **nk = realloc(parent->kids, ncap * sizeof(*nk));

		if (nk == NULL)
			return SC_ERR_NOMEM;
		parent->kids = nk;
		parent->cap = ncap;
	}
	parent->kids[parent->nkids++] = kid;
	return SC_OK;
}

static int ytree_build(const char *buf, size_t len, struct ynode **root, struct pctx *c)
{
	yaml_parser_t ps;
	yaml_event_t ev;
	struct ynode *stack[SC_POLICY_MAX_DEPTH];
	size_t depth = 0, count = 0;
	int docs = 0, done = 0, r = SC_OK;

	*root = NULL;
	if (!yaml_parser_initialize(&ps))
		return SC_ERR_NOMEM;
	yaml_parser_set_input_string(&ps, (const unsigned char *)buf, len);
	while (!done) {
		struct ynode *n = NULL;
		int line;

		if (!yaml_parser_parse(&ps, &ev)) {
			if (ps.error == YAML_MEMORY_ERROR)
				r = SC_ERR_NOMEM;
			else
				r = perr(c, (int)ps.problem_mark.line + 1, "malformed YAML: %s%s%s",
				         ps.problem ? ps.problem : "syntax error",
				         ps.context ? " " : "", ps.context ? ps.context : "");
			goto out;
		}
		line = (int)ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
		case YAML_NO_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				r = perr(c, line, "only one YAML document is allowed");
			break;
		case YAML_ALIAS_EVENT:
			r = perr(c, line, "YAML aliases (*name) are not supported");
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			const yaml_char_t *anchor, *tag;

			if (ev.type == YAML_SCALAR_EVENT) {
				anchor = ev.data.scalar.anchor;
				tag = ev.data.scalar.tag;
			} else if (ev.type == YAML_SEQUENCE_START_EVENT) {
				anchor = ev.data.sequence_start.anchor;
				tag = ev.data.sequence_start.tag;
			} else {
				anchor = ev.data.mapping_start.anchor;
				tag = ev.data.mapping_start.tag;
			}
			if (anchor != NULL) {
				r = perr(c, line, "YAML anchors (&name) are not supported");
				break;
			}
			if (tag != NULL) {
				r = perr(c, line, "YAML tags (!tag) are not supported");
				break;
			}
			if (++count > SC_POLICY_MAX_NODES) {
				r = perr(c, line, "too many YAML nodes (at most %d)",
				         SC_POLICY_MAX_NODES);
				break;
			}
			if ((n = calloc(1, sizeof(*n))) == NULL) {
				r = SC_ERR_NOMEM;
				break;
			}
			n->line = line;
			if (ev.type == YAML_SCALAR_EVENT) {
				size_t slen = ev.data.scalar.length;

				n->kind = Y_SCALAR;
				n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				if (slen > SC_POLICY_MAX_STRING) {
					ynode_free(n);
					r = perr(c, line, "string too long (at most %d bytes)",
					         SC_POLICY_MAX_STRING);
					break;
				}
				if (memchr(ev.data.scalar.value, 0, slen) != NULL) {
					ynode_free(n);
					r = perr(c, line, "NUL byte in a string");
					break;
				}
				if ((n->str = malloc(slen + 1)) == NULL) {
					ynode_free(n);
					r = SC_ERR_NOMEM;
					break;
				}
				memcpy(n->str, ev.data.scalar.value, slen);
				n->str[slen] = '\0';
			} else {
				n->kind = ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
			}
			if (depth == 0) {
				/* One document, so the root is set once. */
				*root = n;
			} else if (stack[depth - 1]->nkids >=
			           (stack[depth - 1]->kind == Y_MAP ? 2 : 1) *
			               SC_POLICY_MAX_ITEMS) {
				ynode_free(n);
				r = perr(c, line, "too many entries (at most %d)",
				         SC_POLICY_MAX_ITEMS);
				break;
			} else if ((r = ynode_add(stack[depth - 1], n)) != SC_OK) {
				ynode_free(n);
				break;
			}
			if (n->kind != Y_SCALAR) {
				if (depth == SC_POLICY_MAX_DEPTH) {
					r = perr(c, line, "nested too deeply (at most %d levels)",
					         SC_POLICY_MAX_DEPTH);
					break;
				}
				stack[depth++] = n;
			}
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		}
		yaml_event_delete(&ev);
		if (r != SC_OK)
			goto out;
	}
out:
	yaml_parser_delete(&ps);
	if (r != SC_OK) {
		ynode_free(*root);
		*root = NULL;
	}
	return r;
}

/* ---- the policy ----------------------------------------------------------- */

struct argpat {
	char **tok;
	size_t ntok;
	int rest;   /* ended in a lone "*": any number of further arguments */
	char *text; /* as written, for reasons */
};

/* A command entry: allowed_commands / denied_commands item, rule, or a
 * command of a secret_commands binding. */
struct cmdent {
	char *cmd;  /* a name, or an absolute path */
	char *real; /* realpath(cmd) at load time, for a path */
	int is_path;
	struct argpat *pats;
	size_t npats; /* 0: any arguments */
	char **secrets;
	size_t nsecrets;
	int has_secrets;
	int line;
};

struct binding {
	char *glob;
	struct cmdent *cmds;
	size_t ncmds;
	int line;
};

struct alias {
	char *pattern;
	char *target;
};

struct envalias {
	char *env;
	struct alias *a;
	size_t n;
};

#define BUILTIN_MAX 128

struct sc_policy {
	int default_allow;
	int cli_runs_policy;
	struct cmdent *allowed; /* allowed_commands, then rules */
	size_t nallowed;
	struct cmdent *denied;
	size_t ndenied;
	struct binding *bind;
	size_t nbind;
	struct envalias *env;
	size_t nenv;
	struct sc_policy_limits lim;
	unsigned char lifted[BUILTIN_MAX];
};

static void argpat_release(struct argpat *a)
{
	size_t i;

	for (i = 0; i < a->ntok; i++)
		free(a->tok[i]);
	free(a->tok);
	free(a->text);
}

static void cmdent_release(struct cmdent *e)
{
	size_t i;

	free(e->cmd);
	free(e->real);
	for (i = 0; i < e->npats; i++)
		argpat_release(&e->pats[i]);
	free(e->pats);
	for (i = 0; i < e->nsecrets; i++)
		free(e->secrets[i]);
	free(e->secrets);
}

void sc_policy_free(struct sc_policy *p)
{
	size_t i, j;

	if (p == NULL)
		return;
	for (i = 0; i < p->nallowed; i++)
		cmdent_release(&p->allowed[i]);
	free(p->allowed);
	for (i = 0; i < p->ndenied; i++)
		cmdent_release(&p->denied[i]);
	free(p->denied);
	for (i = 0; i < p->nbind; i++) {
		free(p->bind[i].glob);
		for (j = 0; j < p->bind[i].ncmds; j++)
			cmdent_release(&p->bind[i].cmds[j]);
		free(p->bind[i].cmds);
	}
	free(p->bind);
	for (i = 0; i < p->nenv; i++) {
		free(p->env[i].env);
		for (j = 0; j < p->env[i].n; j++) {
			free(p->env[i].a[j].pattern);
			free(p->env[i].a[j].target);
		}
		free(p->env[i].a);
	}
	free(p->env);
	free(p);
}

static struct sc_policy *policy_new(void)
{
	struct sc_policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->lim.max_timeout_sec = SC_POLICY_TIMEOUT_DEFAULT;
	p->lim.max_output_bytes = SC_POLICY_OUTPUT_DEFAULT;
	p->lim.max_concurrent = SC_POLICY_CONCURRENT_DEFAULT;
	return p;
}

int sc_policy_deny_all(struct sc_policy **out)
{
	if (out == NULL)
		return SC_ERR_INVALID;
	*out = policy_new();
	return *out ? SC_OK : SC_ERR_NOMEM;
}

/* ---- built-in denials ----------------------------------------------------- */

/* A check returns 1 (and the offending argument's index in *at, or
 * (size_t)-1) when the arguments make the run unsafe. */
typedef int (*bi_check_fn)(const char *const *args, size_t nargs, size_t *at);

struct builtin {
	const char *id;           /* what unsafe_allow_builtin_denied names */
	const char *const *names; /* fnmatch patterns over a basename */
	bi_check_fn check;        /* NULL: the command itself is denied */
	const char *why;
};

/* "-abc", not "-" nor "--long". */
static int is_cluster(const char *a)
{
	return a[0] == '-' && a[1] != '\0' && a[1] != '-';
}

/* Any short-option cluster holding a letter of `code`, scanning each
 * cluster up to a letter of `stop` (whose argument is the rest of the
 * cluster). Every argument is scanned, not only those before the first
 * operand: interpreters differ in where options end, and an option's
 * argument can make a later "-c" look like an operand (python -W -- -c). */
static int any_cluster(const char *const *args, size_t nargs, const char *code, const char *stop,
                       size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		const char *c;

		if (!is_cluster(args[i]))
			continue;
		for (c = args[i] + 1; *c; c++) {
			if (strchr(code, *c) != NULL) {
				*at = i;
				return 1;
			}
			if (strchr(stop, *c) != NULL)
				break;
		}
	}
	return 0;
}

/* "--name" or "--name=..." */
static int is_long(const char *a, const char *name)
{
	size_t n = strlen(name);

	return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

static int chk_sh(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "c", "", at);
}

static int chk_fish(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	if (any_cluster(args, nargs, "cC", "", at))
		return 1;
	/* fish takes getopt_long abbreviations: --comm is --command. */
	for (i = 0; i < nargs; i++) {
		const char *a = args[i];
		size_t n;

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
			continue;
		n = strcspn(a + 2, "=");
		if (strncmp("command", a + 2, n) == 0 || strncmp("init-command", a + 2, n) == 0) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static int chk_python(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "c", "WX", at);
}

static int chk_perl(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "eE", "MmI", at);
}

static int chk_ruby(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "e", "rIECx", at);
}

static int has_data_url(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (strstr(args[i], "data:") != NULL) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static int chk_node(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	if (any_cluster(args, nargs, "ep", "", at))
		return 1;
	for (i = 0; i < nargs; i++) {
		if (is_long(args[i], "--eval") || is_long(args[i], "--print")) {
			*at = i;
			return 1;
		}
	}
	/* --import data:text/javascript,... is inline code too. */
	return has_data_url(args, nargs, at);
}

static int chk_deno(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (strcmp(args[i], "eval") == 0 || is_long(args[i], "--eval") ||
		    strcmp(args[i], "-e") == 0) {
			*at = i;
			return 1;
		}
	}
	return has_data_url(args, nargs, at);
}

static int chk_php(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "rBRE", "cdz", at);
}

static int chk_lua(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "e", "l", at);
}

static int chk_e(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	if (any_cluster(args, nargs, "e", "", at))
		return 1;
	for (i = 0; i < nargs; i++) {
		if (is_long(args[i], "--expr") || is_long(args[i], "--eval")) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

/* PowerShell takes any prefix of -Command / -EncodedCommand, with one or
 * two dashes, in any case. */
static int chk_pwsh(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		const char *a = args[i];

		if (a[0] != '-')
			continue;
		a += a[1] == '-' ? 2 : 1;
		if (*a == 'c' || *a == 'C' || *a == 'e' || *a == 'E') {
			*at = i;
			return 1;
		}
	}
	return 0;
}

/* awk's program is inline unless it comes from -f before the first
 * operand; gawk's -e/--source adds inline code to any program file. */
static int chk_awk(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;
	int from_file = 0, operands = 0;

	for (i = 0; i < nargs; i++) {
		const char *a = args[i];

		if (strncmp(a, "-e", 2) == 0 || strncmp(a, "--source", 8) == 0 ||
		    strncmp(a, "--so", 4) == 0) {
			*at = i;
			return 1;
		}
		if (operands)
			continue;
		if (strcmp(a, "--") == 0 || a[0] != '-' || a[1] == '\0') {
			operands = 1;
			continue;
		}
		if (strncmp(a, "-f", 2) == 0 || strncmp(a, "--file", 6) == 0 ||
		    strncmp(a, "-E", 2) == 0 || strncmp(a, "--exec", 6) == 0) {
			from_file = 1;
			if (strcmp(a, "-f") == 0 || strcmp(a, "-E") == 0 ||
			    strcmp(a, "--file") == 0 || strcmp(a, "--exec") == 0)
				i++;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "-F") == 0) {
			i++;
		}
	}
	if (!from_file) {
		*at = (size_t)-1;
		return 1;
	}
	return 0;
}

/* GNU sed runs shell commands with 'e' and s///e; --sandbox (before any
 * "--") refuses them and the r/w commands. */
static int chk_sed(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (strcmp(args[i], "--") == 0)
			break;
		if (strcmp(args[i], "--sandbox") == 0)
			return 0;
	}
	*at = (size_t)-1;
	return 1;
}

/* jq's env / $ENV and yq's env() / strenv() read the environment. */
static int chk_jq(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (strstr(args[i], "env") != NULL || strstr(args[i], "ENV") != NULL) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static int chk_find(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		const char *a = args[i];

		if (strcmp(a, "-exec") == 0 || strcmp(a, "-execdir") == 0 ||
		    strcmp(a, "-ok") == 0 || strcmp(a, "-okdir") == 0) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static int chk_fd(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	if (any_cluster(args, nargs, "xX", "", at))
		return 1;
	for (i = 0; i < nargs; i++) {
		if (strncmp(args[i], "--exec", 6) == 0) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

/* BSD-style "ps e" / "ps axe" prints every process's environment. */
static int chk_ps(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		const char *a = args[i];
		size_t n = strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

		if (a[0] != '-' && a[0] != '\0' && a[n] == '\0' && strchr(a, 'e') != NULL) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

/* Does arg reach /proc/<pid>/.../<leaf>? The argument is split into
 * '/'-separated components ("//" and "." dropped) wherever it starts
 * ("@/proc/..", "--file=/proc/..", "file:///proc/.."); a component equal to
 * the leaf denies when an earlier component ends in "proc", names a process
 * ("self", "thread-self", digits: cwd may be /proc), or is ".." (existing
 * symlinks lead into /proc/self: /dev/fd/../environ, /etc/mtab/../environ).
 * So /proc/self/task/1/environ and /proc//self/./environ are caught. */
static int reaches_proc(const char *arg, const char *leaf)
{
	const char *s = arg;
	size_t leaflen = strlen(leaf);
	int lead = 0;

	while (*s != '\0') {
		const char *c = s;
		size_t n = strcspn(s, "/");

		s += n;
		while (*s == '/')
			s++;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (lead && n == leaflen && memcmp(c, leaf, n) == 0)
			return 1;
		if ((n == 2 && c[0] == '.' && c[1] == '.') ||
		    (n >= 4 && memcmp(c + n - 4, "proc", 4) == 0) ||
		    (n == 4 && memcmp(c, "self", 4) == 0) ||
		    (n == 11 && memcmp(c, "thread-self", 11) == 0) || strspn(c, "0123456789") >= n)
			lead = 1;
	}
	return 0;
}

static int chk_proc(const char *const *args, size_t nargs, size_t *at, const char *leaf)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (reaches_proc(args[i], leaf)) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static int chk_proc_environ(const char *const *args, size_t nargs, size_t *at)
{
	return chk_proc(args, nargs, at, "environ");
}

static int chk_proc_mem(const char *const *args, size_t nargs, size_t *at)
{
	return chk_proc(args, nargs, at, "mem");
}

static int chk_proc_cmdline(const char *const *args, size_t nargs, size_t *at)
{
	return chk_proc(args, nargs, at, "cmdline");
}

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define ENV_WHY "prints the environment, which holds the injected secrets"
#define LAUNCH_WHY "runs another command, which would escape the policy"
#define LAUNCHER(n)                                                                                \
	{                                                                                          \
		"launcher:" n, NAMES(n), NULL, LAUNCH_WHY                                          \
	}
#define INLINE_WHY "runs inline code"

static const char *const any_name[] = {"*", NULL};

static const struct builtin builtins[] = {
    {"env", NAMES("env"), NULL, ENV_WHY},
    {"printenv", NAMES("printenv"), NULL, ENV_WHY},
    {"set", NAMES("set"), NULL, ENV_WHY},
    {"export", NAMES("export"), NULL, ENV_WHY},
    {"declare", NAMES("declare"), NULL, ENV_WHY},
    {"typeset", NAMES("typeset"), NULL, ENV_WHY},
    {"proc-environ", any_name, chk_proc_environ,
     "reaches /proc/<pid>/environ, a process's environment"},
    {"proc-mem", any_name, chk_proc_mem, "reaches /proc/<pid>/mem, a process's memory"},
    {"proc-cmdline", any_name, chk_proc_cmdline,
     "reaches /proc/<pid>/cmdline, another process's arguments"},
    {"inline-code:sh",
     NAMES("sh", "bash", "bash[0-9]*", "rbash", "dash", "ash", "zsh", "rzsh", "ksh", "ksh93",
           "mksh", "lksh", "pdksh", "oksh", "yash", "posh", "csh", "tcsh"),
     chk_sh, INLINE_WHY},
    {"inline-code:fish", NAMES("fish"), chk_fish, INLINE_WHY},
    {"inline-code:python",
     NAMES("python", "python[0-9]*", "pypy", "pypy[0-9]*", "ipython", "ipython[0-9]*"), chk_python,
     INLINE_WHY},
    {"inline-code:perl", NAMES("perl", "perl[0-9]*"), chk_perl, INLINE_WHY},
    {"inline-code:ruby", NAMES("ruby", "ruby[0-9]*", "jruby", "truffleruby"), chk_ruby, INLINE_WHY},
    {"inline-code:node", NAMES("node", "nodejs", "node[0-9]*", "bun"), chk_node, INLINE_WHY},
    {"inline-code:deno", NAMES("deno"), chk_deno, INLINE_WHY},
    {"inline-code:php", NAMES("php", "php[0-9]*", "php-cli"), chk_php, INLINE_WHY},
    {"inline-code:lua", NAMES("lua", "lua[0-9]*", "luajit"), chk_lua, INLINE_WHY},
    {"inline-code:r", NAMES("R", "Rscript"), chk_e, INLINE_WHY},
    {"inline-code:osascript", NAMES("osascript"), chk_e, INLINE_WHY},
    {"inline-code:pwsh", NAMES("pwsh", "pwsh-preview", "powershell"), chk_pwsh, INLINE_WHY},
    {"inline-code:awk", NAMES("awk", "gawk", "mawk", "nawk", "original-awk"), chk_awk,
     "runs an inline awk program (awk can read ENVIRON and run commands); use -f FILE"},
    {"inline-code:sed", NAMES("sed", "gsed"), chk_sed,
     "can run shell commands (the 'e' command); pass --sandbox"},
    {"env-read:jq", NAMES("jq", "gojq", "jaq", "yq"), chk_jq,
     "reads the environment (env, $ENV, strenv)"},
    {"exec-option:find", NAMES("find", "gfind"), chk_find,
     "runs another command (-exec, -execdir, -ok, -okdir)"},
    {"exec-option:fd", NAMES("fd", "fdfind"), chk_fd, "runs another command (-x, --exec)"},
    {"env-read:ps", NAMES("ps"), chk_ps, "prints processes' environments (BSD 'e' option)"},
    LAUNCHER("xargs"),
    LAUNCHER("nice"),
    LAUNCHER("nohup"),
    LAUNCHER("timeout"),
    LAUNCHER("stdbuf"),
    LAUNCHER("setsid"),
    LAUNCHER("sudo"),
    LAUNCHER("doas"),
    LAUNCHER("su"),
    LAUNCHER("runuser"),
    LAUNCHER("pkexec"),
    LAUNCHER("sg"),
    LAUNCHER("chroot"),
    LAUNCHER("unshare"),
    LAUNCHER("nsenter"),
    LAUNCHER("flock"),
    LAUNCHER("chrt"),
    LAUNCHER("ionice"),
    LAUNCHER("taskset"),
    LAUNCHER("numactl"),
    LAUNCHER("prlimit"),
    LAUNCHER("setpriv"),
    LAUNCHER("capsh"),
    LAUNCHER("firejail"),
    LAUNCHER("bwrap"),
    LAUNCHER("systemd-run"),
    LAUNCHER("strace"),
    LAUNCHER("ltrace"),
    LAUNCHER("gdb"),
    LAUNCHER("lldb"),
    LAUNCHER("watch"),
    LAUNCHER("script"),
    LAUNCHER("time"),
    LAUNCHER("parallel"),
    LAUNCHER("expect"),
    LAUNCHER("rlwrap"),
    LAUNCHER("fakeroot"),
    LAUNCHER("proot"),
    LAUNCHER("busybox"),
    LAUNCHER("toybox"),
    LAUNCHER("command"),
    LAUNCHER("exec"),
    LAUNCHER("eval"),
    LAUNCHER("builtin"),
    LAUNCHER("source"),
    LAUNCHER("vi"),
    LAUNCHER("vim"),
    LAUNCHER("nvim"),
    LAUNCHER("ex"),
    LAUNCHER("emacs"),
};

#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))
_Static_assert(NBUILTINS <= BUILTIN_MAX, "raise BUILTIN_MAX");

size_t sc_policy_builtin_count(void)
{
	return NBUILTINS;
}

const char *sc_policy_builtin_id(size_t i)
{
	return i < NBUILTINS ? builtins[i].id : NULL;
}

const char *sc_policy_builtin_why(size_t i)
{
	return i < NBUILTINS ? builtins[i].why : NULL;
}

static int builtin_find(const char *id)
{
	size_t i;

	for (i = 0; i < NBUILTINS; i++)
		if (strcmp(builtins[i].id, id) == 0)
			return (int)i;
	return -1;
}

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
		return perr(c, n->line, "%s must be %s, not %s", what, names[k], kind_name(n));
	return SC_OK;
}

/* Keys of a mapping: strings, each once. */
static int check_keys(struct pctx *c, const struct ynode *map)
{
	size_t i, j;

	for (i = 0; i < map->nkids; i += 2) {
		const struct ynode *k = map->kids[i];

		if (k->kind != Y_SCALAR)
			return perr(c, k->line, "mapping keys must be strings, not %s",
			            kind_name(k));
		for (j = 0; j < i; j += 2) {
			if (strcmp(map->kids[j]->str, k->str) == 0)
				return perr(c, k->line, "duplicate key '%s' (first on line %d)",
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
		return perr(c, line, "empty command");
	if (has_ctl(s) || has_space(s))
		return perr(c, line, "command '%s' holds whitespace or control characters", s);
	if (strpbrk(s, "*?[") != NULL)
		return perr(c, line,
		            "command '%s': command names are not patterns (use "
		            "default_action: allow to allow every command)",
		            s);
	if (strchr(s, '/') != NULL && s[0] != '/')
		return perr(c, line, "command '%s' must be a name or an absolute path", s);
	if (strlen(s) > PATH_MAX)
		return perr(c, line, "command '%s' is too long", s);
	if (s[0] == '/' && (strstr(s, "/./") != NULL || strstr(s, "/../") != NULL ||
	                    strstr(s, "//") != NULL || s[strlen(s) - 1] == '/'))
		return perr(c, line, "command path '%s' is not in canonical form", s);
	return SC_OK;
}

static int valid_glob(struct pctx *c, int line, const char *s, const char *what)
{
	if (s[0] == '\0')
		return perr(c, line, "empty %s", what);
	if (strlen(s) > SC_NAME_MAX)
		return perr(c, line, "%s '%s' is longer than %d bytes", what, s, SC_NAME_MAX);
	if (has_ctl(s) || has_space(s))
		return perr(c, line, "%s '%s' holds whitespace or control characters", what, s);
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
			r = perr(c, line, "too many tokens in a pattern (at most %d)",
			         SC_POLICY_MAX_TOKENS);
			goto fail;
		}
		while (*s != '\0' && *s != ' ' && *s != '\t') {
			if (*s == '\'' || *s == '"') {
				char q = *s++;

				while (*s != '\0' && *s != q)
					buf[bl++] = *s++;
				if (*s != q) {
					r = perr(c, line, "unterminated quote in a pattern");
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
		return perr(c, n->line, "argument pattern holds control characters");
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
		return perr(c, n->line, "a command entry must be a string, not %s",
		            is_null(n) ? "empty" : kind_name(n));
	if (has_ctl(n->str))
		return perr(c, n->line, "command entry holds control characters");
	if ((r = tokenize(c, n->line, n->str, &tok, &ntok)) != SC_OK)
		return r;
	if (ntok == 0) {
		free(tok);
		return perr(c, n->line, "empty command");
	}
	if ((r = valid_command(c, n->line, tok[0])) != SC_OK)
		goto fail;
	if (ntok > 1 && !allow_args) {
		r = perr(c, n->line, "'%s': only a command name or path belongs here", n->str);
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
		return perr(c, v->line,
		            "unsupported policy version '%s' (this build reads version: 1)",
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
		return perr(c, v->line, "default_action must be 'allow' or 'deny', not '%s'",
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

	if ((r = want(c, n, Y_SCALAR, what)) != SC_OK)
		return r;
	if ((r = valid_glob(c, n->line, n->str, what)) != SC_OK)
		return r;
	star = strchr(n->str, '*');
	if (star != NULL && star[1] != '\0')
		return perr(c, n->line, "%s '%s': '*' may only end it", what, n->str);
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
			return perr(c, k->line, "env alias name '%s' must not hold '*'", k->str);
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
					return perr(c, m->kids[q]->line,
					            "unknown key '%s' in an env alias (expected "
					            "pattern, target)",
					            m->kids[q]->str);
			}
			if (pat == NULL || tgt == NULL)
				return perr(c, m->line,
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
			else
				return perr(c, m->kids[q]->line,
				            "unknown key '%s' in a rule (expected command, args, "
				            "secrets)",
				            k);
		}
		if (cmd == NULL)
			return perr(c, m->line, "a rule needs a command");
		if ((r = push_cmdent(&p->allowed, &p->nallowed, &e)) != SC_OK)
			return r;
		if ((r = cmdent_from_string(c, cmd, e, 0)) != SC_OK)
			return r;
		e->line = m->line;
		if (args != NULL) {
			if ((r = want(c, args, Y_SEQ, "args")) != SC_OK)
				return r;
			if (args->nkids == 0)
				return perr(c, args->line,
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
			return perr(c, val->line,
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
		return perr(c, v->line, "%s must be a positive number", what);
	for (s = v->str; *s >= '0' && *s <= '9'; s++) {
		if (x > 1000000000000ULL)
			return perr(c, v->line, "%s is out of range", what);
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*out = x;
	*suffix = s;
	return SC_OK;
}

/* "90", "90s", "5m", "1h", "1m30s" -> seconds. */
static int duration_value(struct pctx *c, const struct ynode *v, uint64_t *out)
{
	const char *s, *suf;
	uint64_t total = 0;

	if (v->kind != Y_SCALAR || v->str[0] == '\0')
		return perr(c, v->line, "max_timeout must be a duration like 60s, 5m or 1h");
	s = v->str;
	if (strspn(s, "0123456789") == strlen(s))
		return uint_value(c, v, "max_timeout", out, &suf);
	while (*s != '\0') {
		uint64_t x = 0, mul;
		const char *d = s;

		while (*s >= '0' && *s <= '9') {
			if (x > 100000000ULL)
				return perr(c, v->line, "max_timeout is out of range");
			x = x * 10 + (uint64_t)(*s++ - '0');
		}
		if (s == d)
			return perr(c, v->line,
			            "max_timeout '%s' is not a duration like 60s, 5m or 1h",
			            v->str);
		if (*s == 'h')
			mul = 3600;
		else if (*s == 'm' && s[1] != 's')
			mul = 60;
		else if (*s == 's')
			mul = 1;
		else
			return perr(c, v->line,
			            "max_timeout '%s': units are s, m and h (whole seconds)",
			            v->str);
		s++;
		total += x * mul;
		if (total > 100000000ULL)
			return perr(c, v->line, "max_timeout is out of range");
	}
	*out = total;
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
				return perr(c, val->line,
				            "max_timeout must be between 1s and %ds (%dh)",
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
				return perr(c, val->line,
				            "max_output_bytes '%s': write bytes, or a number with "
				            "KiB or MiB",
				            val->str);
			if (x < 1 || x > SC_POLICY_OUTPUT_MAX)
				return perr(c, val->line,
				            "max_output_bytes must be between 1 and %d (64MiB)",
				            SC_POLICY_OUTPUT_MAX);
			p->lim.max_output_bytes = x;
		} else if (strcmp(k, "max_concurrent") == 0) {
			if ((r = uint_value(c, val, "max_concurrent", &x, &suf)) != SC_OK)
				return r;
			if (*suf != '\0' || x < 1 || x > SC_POLICY_CONCURRENT_MAX)
				return perr(c, val->line, "max_concurrent must be between 1 and %d",
				            SC_POLICY_CONCURRENT_MAX);
			p->lim.max_concurrent = (uint32_t)x;
		} else {
			return perr(c, v->kids[i]->line,
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
		if ((b = builtin_find(s->str)) < 0)
			return perr(c, s->line,
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
		p->cli_runs_policy = 0;
	else if (strcmp(v->str, "policy") == 0)
		p->cli_runs_policy = 1;
	else
		return perr(c, v->line, "cli_runs must be 'allow' or 'policy', not '%s'", v->str);
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
};

#define ROOT_KEYS_LIST                                                                             \
	"version, default_action, allowed_commands, denied_commands, env_aliases, rules, "         \
	"secret_commands, limits, unsafe_allow_builtin_denied, cli_runs"

static int policy_from_tree(struct pctx *c, const struct ynode *root, struct sc_policy *p)
{
	size_t i, k;
	int r, have_version = 0;

	if (root == NULL || is_null(root))
		return perr(c, 1, "empty policy (it needs at least 'version: 1')");
	if (root->kind != Y_MAP)
		return perr(c, root->line, "the policy must be a mapping of keys, not %s",
		            kind_name(root));
	if ((r = check_keys(c, root)) != SC_OK)
		return r;
	for (i = 0; i < root->nkids; i += 2) {
		const struct ynode *key = root->kids[i];

		for (k = 0; k < sizeof(root_keys) / sizeof(root_keys[0]); k++)
			if (strcmp(root_keys[k].key, key->str) == 0)
				break;
		if (k == sizeof(root_keys) / sizeof(root_keys[0]))
			return perr(c, key->line, "unknown key '%s' (expected one of: %s)",
			            key->str, ROOT_KEYS_LIST);
		if (k == 0)
			have_version = 1;
		if ((r = root_keys[k].fn(c, p, root->kids[i + 1])) != SC_OK)
			return r;
	}
	if (!have_version)
		return perr(c, root->line, "missing required key 'version' (add 'version: 1')");
	return SC_OK;
}

int sc_policy_parse(const char *buf, size_t len, struct sc_policy **out, char *err, size_t errlen)
{
	struct pctx c = {err, errlen};
	struct ynode *root = NULL;
	struct sc_policy *p = NULL;
	int r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || (buf == NULL && len > 0))
		return SC_ERR_INVALID;
	*out = NULL;
	if (len > SC_POLICY_MAX_BYTES) {
		perr(&c, 1, "policy is larger than %d bytes", SC_POLICY_MAX_BYTES);
		return SC_ERR_TOOBIG;
	}
	if ((r = ytree_build(buf ? buf : "", len, &root, &c)) != SC_OK)
		goto out;
	if ((p = policy_new()) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = policy_from_tree(&c, root, p)) != SC_OK)
		goto out;
	*out = p;
	p = NULL;
out:
	ynode_free(root);
	sc_policy_free(p);
	return r;
}

/* realpath() of every absolute command, so that an entry naming a symlink
 * matches the program it points to. */
static int resolve_one(struct cmdent *e)
{
	if (!e->is_path)
		return SC_OK;
	e->real = realpath(e->cmd, NULL);
	if (e->real == NULL && errno == ENOMEM)
		return SC_ERR_NOMEM;
	return SC_OK;
}

static int resolve_paths(struct sc_policy *p)
{
	size_t i, j;
	int r;

	for (i = 0; i < p->nallowed; i++)
		if ((r = resolve_one(&p->allowed[i])) != SC_OK)
			return r;
	for (i = 0; i < p->ndenied; i++)
		if ((r = resolve_one(&p->denied[i])) != SC_OK)
			return r;
	for (i = 0; i < p->nbind; i++)
		for (j = 0; j < p->bind[i].ncmds; j++)
			if ((r = resolve_one(&p->bind[i].cmds[j])) != SC_OK)
				return r;
	return SC_OK;
}

static int lerr(char *err, size_t errlen, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int lerr(char *err, size_t errlen, int r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	sc_set_error("%s", msg);
	return r;
}

int sc_policy_load(const char *path, struct sc_policy **out, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	char perrbuf[448];
	size_t len = 0;
	int fd = -1, r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || path == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return lerr(err, errlen, SC_ERR_NOT_FOUND,
			            "'%s' does not exist: secret_run is denied until a policy "
			            "allows commands",
			            path);
		if (errno == ELOOP)
			return lerr(err, errlen, SC_ERR_PERM,
			            "'%s' is a symlink; replace it with a regular file", path);
		return lerr(err, errlen, SC_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		r = lerr(err, errlen, SC_ERR_IO, "cannot stat '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = lerr(err, errlen, SC_ERR_PERM, "'%s' is not a regular file", path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		r = lerr(err, errlen, SC_ERR_PERM,
		         "'%s' is owned by uid %u, not by you (uid %u); fix with: chown %u '%s'",
		         path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = lerr(err, errlen, SC_ERR_PERM,
		         "'%s' is accessible by group or others (mode %04o); fix with: chmod 600 "
		         "'%s'",
		         path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_size > SC_POLICY_MAX_BYTES) {
		r = lerr(err, errlen, SC_ERR_TOOBIG, "'%s' is larger than %d bytes", path,
		         SC_POLICY_MAX_BYTES);
		goto out;
	}
	if ((buf = malloc(SC_POLICY_MAX_BYTES + 1)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	/* Read to EOF with a bound: the file may have grown since fstat. */
	for (;;) {
		ssize_t n = read(fd, buf + len, SC_POLICY_MAX_BYTES + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = lerr(err, errlen, SC_ERR_IO, "cannot read '%s': %s", path,
			         strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SC_POLICY_MAX_BYTES) {
			r = lerr(err, errlen, SC_ERR_TOOBIG, "'%s' is larger than %d bytes", path,
			         SC_POLICY_MAX_BYTES);
			goto out;
		}
	}
	if ((r = sc_policy_parse(buf, len, out, perrbuf, sizeof(perrbuf))) != SC_OK) {
		if (r != SC_ERR_NOMEM)
			lerr(err, errlen, r, "%s: %s", path, perrbuf);
		goto out;
	}
	if ((r = resolve_paths(*out)) != SC_OK) {
		sc_policy_free(*out);
		*out = NULL;
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

void sc_policy_limits(const struct sc_policy *p, struct sc_policy_limits *out)
{
	if (out == NULL)
		return;
	if (p != NULL) {
		*out = p->lim;
		return;
	}
	out->max_timeout_sec = SC_POLICY_TIMEOUT_DEFAULT;
	out->max_output_bytes = SC_POLICY_OUTPUT_DEFAULT;
	out->max_concurrent = SC_POLICY_CONCURRENT_DEFAULT;
}

int sc_policy_cli_runs_obey(const struct sc_policy *p)
{
	return p != NULL && p->cli_runs_policy;
}

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
	for (i = 0; i < NBUILTINS; i++) {
		const struct builtin *b = &builtins[i];

		if (b->check == NULL || b->names == any_name || b->names[1] == NULL)
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
	 * aws. */
	return strcmp(q->gbase, e->cmd) == 0 && same_program(e->cmd, q->rbase, 1);
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

	for (i = 0; i < NBUILTINS; i++) {
		const struct builtin *b = &builtins[i];
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
		if (b->names == any_name)
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
	char c1[80], c2[80], c3[80];
	size_t i, j;
	int r;

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
		if (args_match(e, &q) < 0) {
			if (args_fail == NULL)
				args_fail = e;
			continue;
		}
		if (!secrets_fit(e, secret_names, nsecrets)) {
			if (sec_fail == NULL)
				sec_fail = e;
			continue;
		}
		goto allowed;
	}
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

allowed:
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
