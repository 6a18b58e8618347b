/* run_envfile.c - `run --env-file FILE`: the file read and parsed (syntax:
 * secretctl/envfile.h) into the run's references and plain variables. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "secretctl/envfile.h"

int cli_run_envfile_load(const char *path, struct cli_run_envfile *ef)
{
	uint8_t *buf = NULL;
	size_t len = 0, line = 0, i;
	char why[256];
	struct sc_envfile f;
	int r;

	if ((r = cli_read_value_file(path, &buf, &len)) != SC_OK) {
		r = cli_error(EXIT_RUN_FAIL, "cannot read the env file: %s",
		              sc_last_error()[0] ? sc_last_error() : sc_strerror(r));
		sc_clear_error();
		return r;
	}
	r = sc_envfile_parse((const char *)buf, len, &f, &line, why, sizeof(why));
	sc_secmem_free(buf);
	if (r == SC_ERR_INVALID)
		return cli_error(EXIT_RUN_FAIL, "%s:%zu: %s", path, line, why);
	if (r == SC_ERR_TOOBIG)
		return cli_error(EXIT_RUN_FAIL, "%s: larger than %d bytes", path, SC_ENVFILE_MAX);
	if (r != SC_OK)
		return cli_fail(r, "cannot read the env file '%s'", path);
	for (i = 0; i < f.n; i++) {
		struct sc_envfile_entry *e = &f.e[i];
		char *s;

		if (e->is_ref) {
			if (ef->nrefs == CLI_RUN_REFS_MAX) {
				sc_envfile_release(&f);
				return cli_error(EXIT_RUN_FAIL, "%s:%zu: more than %d references",
				                 path, e->line, CLI_RUN_REFS_MAX);
			}
			if ((ef->vars[ef->nrefs] = strdup(e->key)) == NULL ||
			    (ef->paths[ef->nrefs] = strdup(e->value)) == NULL) {
				ef->nrefs++;
				sc_envfile_release(&f);
				return cli_fail(SC_ERR_NOMEM, "out of memory");
			}
			ef->nrefs++;
			continue;
		}
		if (ef->nplain == CLI_RUN_REFS_MAX) {
			sc_envfile_release(&f);
			return cli_error(EXIT_RUN_FAIL, "%s:%zu: more than %d variables", path,
			                 e->line, CLI_RUN_REFS_MAX);
		}
		if (asprintf(&s, "%s=%s", e->key, e->value) < 0) {
			sc_envfile_release(&f);
			return cli_fail(SC_ERR_NOMEM, "out of memory");
		}
		ef->plain[ef->nplain++] = s;
	}
	sc_envfile_release(&f);
	return EXIT_OK;
}

/* The environment the run starts from: the file's plain variables first
 * (they win over the caller's of the same name), then environ. */
int cli_run_envfile_env(struct cli_run_envfile *ef, char **environ_in)
{
	size_t n = 0, i, k = 0;

	while (environ_in != NULL && environ_in[n] != NULL)
		n++;
	if ((ef->env = calloc(n + ef->nplain + 1, sizeof(*ef->env))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < ef->nplain; i++)
		ef->env[k++] = ef->plain[i];
	for (i = 0; i < n; i++)
		ef->env[k++] = environ_in[i];
	return SC_OK;
}

void cli_run_envfile_release(struct cli_run_envfile *ef)
{
	size_t i;

	for (i = 0; i < ef->nrefs; i++) {
		free(ef->vars[i]);
		free(ef->paths[i]);
	}
	for (i = 0; i < ef->nplain; i++) {
		sc_wipe(ef->plain[i], strlen(ef->plain[i]));
		free(ef->plain[i]);
	}
	free(ef->env);
	memset(ef, 0, sizeof(*ef));
}
