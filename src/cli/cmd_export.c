/* cmd_export.c - `secretctl export [PATTERN...] --format env|json`: the
 * secrets in plaintext, on purpose. So it always asks for the vault
 * password (never an agent; the MCP server has no such tool), writes -o
 * files new and 0600, will not print a .env to a terminal without
 * --force, and is audited (blinded names) before a byte is written. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "secretctl/port.h"
#include "secretctl/session.h"

const struct cli_opt cli_opts_export[] = {
    {'f', 0, "format", "env|json", "env (KEY=VALUE lines, the default) or json (everything)", 0},
    {'o', 'o', "output", "FILE", "write to a new FILE (0600; refused if it exists)", 0},
    {'F', 0, "force", NULL, "print a .env to a terminal all the same", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

struct names {
	char **v;
	size_t n, cap;
	char **pats;
	size_t npats;
	unsigned char *hit; /* per pattern: matched something */
};

static int want(struct names *nm, const char *name)
{
	size_t i;
	int any = nm->npats == 0;

	for (i = 0; i < nm->npats; i++)
		if (sc_glob_is_pattern(nm->pats[i]) ? sc_glob_match(nm->pats[i], name)
		                                    : strcmp(nm->pats[i], name) == 0) {
			nm->hit[i] = 1;
			any = 1;
		}
	return any;
}

static int collect(const struct sc_secret *s, void *arg)
{
	struct names *nm = arg;
	char **nv;

	if (!want(nm, sc_secret_name(s)))
		return 0;
	if (nm->n == nm->cap) {
		size_t cap = nm->cap ? nm->cap * 2 : 64;

		if ((nv = realloc(nm->v, cap * sizeof(*nv))) == NULL)
			return SC_ERR_NOMEM;
		nm->v = nv;
		nm->cap = cap;
	}
	if ((nm->v[nm->n] = strdup(sc_secret_name(s))) == NULL)
		return SC_ERR_NOMEM;
	nm->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct var {
	char name[SC_ENV_NAME_MAX + 1];
	const char *secret;
};

static int cmp_var(const void *a, const void *b)
{
	return strcmp(((const struct var *)a)->name, ((const struct var *)b)->name);
}

/* One secret's lines: its bindings, else one variable per field, named as
 * `run` names them. */
static int env_secret(const struct sc_secret *s, const char *sname, struct var **vars,
                      size_t *nvars, size_t *vcap, char **out, size_t *len, size_t *cap)
{
	size_t i, nb = sc_secret_binding_count(s), n = nb ? nb : sc_secret_field_count(s);
	const char *fname, *env, *hint;
	const uint8_t *val;
	size_t vlen;
	int r, sens, fi;

	for (i = 0; i < n; i++) {
		struct var *v;

		if (*nvars == *vcap) {
			size_t nc = *vcap ? *vcap * 2 : 64;

			if ((v = realloc(*vars, nc * sizeof(*v))) == NULL)
				return SC_ERR_NOMEM;
			*vars = v;
			*vcap = nc;
		}
		v = &(*vars)[*nvars];
		v->secret = sname; /* outlives s, for the clash message */
		if (nb) {
			if ((r = sc_secret_binding(s, i, &env, &fname)) != SC_OK)
				return r;
			if ((fi = sc_secret_field_index(s, fname)) < 0)
				return SC_ERR_NOT_FOUND;
			snprintf(v->name, sizeof(v->name), "%s", env);
		} else {
			fi = (int)i;
			if ((r = sc_secret_field(s, i, &fname, &val, &vlen, &sens, &hint)) != SC_OK)
				return r;
			if ((r = sc_runenv_var_name(NULL, sc_secret_name(s), fname, v->name,
			                            sizeof(v->name))) != SC_OK) {
				sc_set_error("'%s' gives no variable name for field '%s'",
				             sc_secret_name(s), fname);
				return r;
			}
		}
		if ((r = sc_secret_field(s, (size_t)fi, &fname, &val, &vlen, &sens, &hint)) !=
		    SC_OK)
			return r;
		if ((r = sc_export_env_line(v->name, val, vlen, out, len, cap)) != SC_OK) {
			sc_set_error("'%s' field '%s' holds a NUL byte, which a .env cannot",
			             sc_secret_name(s), fname);
			return r;
		}
		(*nvars)++;
	}
	return SC_OK;
}

static int dup_vars(struct var *vars, size_t n)
{
	size_t i;

	if (n > 0) /* qsort(NULL, 0, ...) is undefined */
		qsort(vars, n, sizeof(*vars), cmp_var);
	for (i = 1; i < n; i++)
		if (strcmp(vars[i].name, vars[i - 1].name) == 0) {
			sc_set_error("'%s' and '%s' both give variable %s (export them apart, or "
			             "use --format json)",
			             vars[i - 1].secret, vars[i].secret, vars[i].name);
			return SC_ERR_EXISTS;
		}
	return SC_OK;
}

int cmd_export(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct names nm = {0};
	struct sc_vault *v = NULL;
	struct sc_export_json *ej = NULL;
	struct var *vars = NULL;
	size_t nvars = 0, vcap = 0, len = 0, cap = 0, i;
	const char *format = "env", *output = NULL;
	char *out = NULL;
	struct stat st;
	int ch, r, rc = EXIT_FAIL, force = 0, json, recorded = 0;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 'f':
			format = p.val;
			break;
		case 'o':
			output = p.val;
			break;
		case 'F':
			force = 1;
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (strcmp(format, "env") != 0 && strcmp(format, "json") != 0)
		return cli_usage(c, "unknown --format '%s' (env or json)", format);
	json = strcmp(format, "json") == 0;
	for (i = 0; i < (size_t)p.nops; i++)
		if (sc_glob_valid(p.ops[i]) != SC_OK)
			return cli_usage(c, "invalid name or pattern '%s'", p.ops[i]);
	if (output == NULL && !json && !force && isatty(1))
		return cli_error(EXIT_USAGE,
		                 "not printing secrets to a terminal; use -o FILE, a pipe, or "
		                 "--force");
	if (output != NULL && lstat(output, &st) == 0)
		return cli_error(EXIT_EXISTS,
		                 "cannot create '%s': it exists (export never "
		                 "overwrites a file)",
		                 output);
	nm.pats = p.ops;
	nm.npats = (size_t)p.nops;
	if (nm.npats > 0 && (nm.hit = calloc(nm.npats, 1)) == NULL)
		return cli_fail(SC_ERR_NOMEM, "out of memory");
	/* plaintext leaves the vault: the password, always (never an agent) */
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK) {
		rc = cli_fail(r, "cannot unlock the vault");
		goto out;
	}
	if ((r = sc_vault_walk(v, collect, &nm)) != SC_OK) {
		rc = cli_fail(r, "cannot read the vault");
		goto out;
	}
	for (i = 0; i < nm.npats; i++)
		if (!nm.hit[i]) {
			rc = cli_error(EXIT_NOTFOUND, "no secret matches '%s'", nm.pats[i]);
			goto out;
		}
	if (nm.n > 0) /* qsort of NULL, 0 is undefined */
		qsort(nm.v, nm.n, sizeof(*nm.v), cmp_str);
	if (json && (r = sc_export_json_new(&ej)) != SC_OK) {
		rc = cli_fail(r, "out of memory");
		goto out;
	}
	for (i = 0; i < nm.n; i++) {
		struct sc_secret *s = NULL;

		if ((r = sc_vault_get(v, nm.v[i], &s)) == SC_OK)
			r = json ? sc_export_json_add(ej, s)
			         : env_secret(s, nm.v[i], &vars, &nvars, &vcap, &out, &len, &cap);
		sc_secret_free(s);
		if (r != SC_OK) {
			rc = cli_fail(r, "cannot export '%s'", nm.v[i]);
			goto out;
		}
	}
	if (json)
		r = sc_export_json_finish(ej, &out, &len);
	else
		r = dup_vars(vars, nvars);
	if (r != SC_OK) {
		rc = cli_fail(r == SC_ERR_EXISTS ? SC_ERR_INVALID : r, "cannot export");
		goto out;
	}
	/* recorded before anything is written: an export the log cannot take
	 * does not happen (the library writes the entries, then the output) */
	r = sc_session_export(v, cli_who(), (const char *const *)nm.v, nm.n, output, out, len,
	                      &recorded);
	if (r != SC_OK && !recorded) {
		rc = cli_fail(r, "cannot record the export in the audit log");
		goto out;
	}
	if (r != SC_OK) {
		rc = cli_fail(r, "cannot write the export");
		goto out;
	}
	if (output != NULL)
		cli_say("exported %zu secret%s to '%s' (plaintext: delete it when done)", nm.n,
		        nm.n == 1 ? "" : "s", output);
	rc = EXIT_OK;
out:
	for (i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	free(nm.hit);
	free(vars);
	sc_export_json_free(ej);
	sc_secmem_free(out);
	sc_vault_close(v);
	return rc;
}
