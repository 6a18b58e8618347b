/* policy_int.h - the policy's insides shared by its parts (policy/): the
 * YAML tree, the parsed policy and the built-in denials' table. */
#ifndef SC_POLICY_POLICY_INT_H
#define SC_POLICY_POLICY_INT_H

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "secretctl/secretctl.h"

/* ---- a small YAML tree built from libyaml events ------------------------ */

/* Our own tree rather than libyaml's document API: it lets us refuse
 * anchors, aliases and tags outright (no alias bombs, no type games) and
 * bound depth and node count while reading. */
enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ykind kind;
	int line;            /* 1-based */
	int plain;           /* scalar written without quotes */
	int flow;            /* a collection written [..] or {..} */
	size_t off, col;     /* where it starts: byte offset, column (0-based) */
	char *str;           /* scalar value, NUL-terminated */
	struct ynode **kids; /* map: key, value, key, value, ... */
	size_t nkids, cap;
};

struct pctx {
	char *err;
	size_t errlen;
};

/* ---- the policy ----------------------------------------------------------- */

struct argpat {
	char **tok;
	size_t ntok;
	int rest;   /* ended in a lone "*": any number of further arguments */
	char *text; /* as written, for reasons */
};

/* A file a rule pins by its SHA-256 (capability.c). */
struct filepin {
	char *path;
	uint8_t sha[32];
};

#define SC_POLICY_PINS_MAX 64

/* A command entry: allowed_commands / denied_commands item, rule, or a
 * command of a secret_commands binding. */
struct cmdent {
	char *cmd;  /* a name, or an absolute path */
	char *real; /* realpath(cmd) at load time, for a path; for a bare name
	             * the system program's (system_real) */
	int is_path;
	struct argpat *pats;
	size_t npats; /* 0: any arguments */
	char **secrets;
	size_t nsecrets;
	int has_secrets;
	uint8_t prog_sha[32]; /* rules: sha256: the program itself */
	int has_prog_sha;
	struct filepin *files; /* rules: files: scripts it runs */
	size_t nfiles;
	int ask; /* a rule with action: ask: a person approves each run */
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

/* keys: one named key the MCP tools may use (schema_keys.c) */
struct keyctx {
	char **k, **v; /* a context's pairs; a value "*" allows any */
	size_t n;
};

struct keyent {
	char *name;
	unsigned ops; /* SC_POLICY_KEY_* */
	int confirm;  /* confirm: always */
	struct keyctx *ctx;
	size_t nctx; /* 0: only the empty context */
	int line;
};

#define BUILTIN_MAX 128

struct sc_policy {
	int default_allow;
	int default_ask;        /* default_action: ask */
	int cli_runs;           /* enum sc_policy_cli_runs */
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
	/* confinement: of MCP children (docs/CONFINEMENT.md) */
	int conf_mode, conf_net;
	char **conf_write;
	size_t nconf_write;
	/* keys: (schema_keys.c) */
	struct keyent *keys;
	size_t nkeys;
};

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

extern const struct builtin sc_policy_builtins[];
extern const size_t sc_policy_nbuiltins;
extern const char *const sc_policy_any_name[];

/* Shared between the parts of this module. */
int sc_policy_perr(struct pctx *c, int line, const char *fmt, ...);
void sc_policy_ynode_free(struct ynode *n);
int sc_policy_ytree_build(const char *buf, size_t len, struct ynode **root, struct pctx *c);
int sc_policy_builtin_find(const char *id);
int sc_policy_from_tree(struct pctx *c, const struct ynode *root, struct sc_policy *p);
/* capability.c: a rule's `sha256:` or `files:` (key names which); the
 * pins' release; the pins checked against the files now; and whether the
 * allow entry e (its pattern pat matched; e NULL: default_action) lets a
 * program that runs code receive secrets with these arguments. */
/* 1 when a pattern matches one argv only: no glob character, no rest */
int sc_policy_argpat_exact(const struct argpat *a);
int sc_policy_pin_parse(struct pctx *c, const char *key, const struct ynode *v, struct cmdent *e);
void sc_policy_pins_release(struct cmdent *e);
int sc_policy_pins_check(const struct cmdent *e, const char *resolved, char *reason,
                         size_t reasonlen);
int sc_policy_capability_check(const struct cmdent *e, int pat, const char *name,
                               const char *const *args, size_t nargs, char *reason,
                               size_t reasonlen);
/* Schema helpers over the tree (yaml.c). */
int sc_policy_is_null(const struct ynode *n);
const char *sc_policy_kind_name(const struct ynode *n);
int sc_policy_want(struct pctx *c, const struct ynode *n, enum ykind k, const char *what);
int sc_policy_check_keys(struct pctx *c, const struct ynode *map);
int sc_policy_has_ctl(const char *s);
/* limits: and confinement: (schema_limits.c) */
int sc_policy_k_limits(struct pctx *c, struct sc_policy *p, const struct ynode *v);
int sc_policy_k_confinement(struct pctx *c, struct sc_policy *p, const struct ynode *v);
/* keys: (schema_keys.c) */
int sc_policy_k_keys(struct pctx *c, struct sc_policy *p, const struct ynode *v);
void sc_policy_keys_release(struct sc_policy *p);
/* The policy file read with the checks sc_policy_load makes (owner, mode,
 * no symlink, a regular file, the size bound): *buf malloc'd, NUL-ended;
 * *st the file's. */
int sc_policy_read_file(const char *path, char **buf, size_t *len, struct stat *st, char *err,
                        size_t errlen);

#endif
