/* cmd_inject.c - `secretctl inject -i TEMPLATE -o FILE`: the template's
 * "{{ secretctl://NAME[/FIELD] }}" references replaced by their values
 * (store/inject.c) in a new 0600 file. The file holds plaintext, so this
 * always asks for the vault password (never an agent), as export does. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "secretctl/inject.h"

#define INJECT_NAMES_MAX 1024

const struct cli_opt cli_opts_inject[] = {
    {'i', 'i', "in", "TEMPLATE", "the template (required)", 0},
    {'o', 'o', "out", "FILE", "the file to write, 0600 (required; must not exist)", 0},
    {'f', 0, "force", NULL, "replace FILE if it exists (written aside, then renamed)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

/* Write all of buf to a new file: O_CREAT|O_EXCL 0600 at path, or (force)
 * beside it under a temporary name, then renamed over it. Nothing is left
 * behind on failure. */
static int write_out(const char *path, const uint8_t *buf, size_t len, int force)
{
	char *tmp = NULL, *dup = NULL;
	const char *target = path;
	int fd = -1, r = SC_OK, i;

	if (force) {
		if ((dup = strdup(path)) == NULL)
			return SC_ERR_NOMEM;
		for (i = 0; i < 100 && fd < 0; i++) {
			free(tmp);
			tmp = NULL;
			if (asprintf(&tmp, "%s/.%s.%ld.%d.tmp", dirname(dup),
			             strrchr(path, '/') ? strrchr(path, '/') + 1 : path,
			             (long)getpid(), i) < 0) {
				tmp = NULL;
				r = SC_ERR_NOMEM;
				break;
			}
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
			if (fd < 0 && errno != EEXIST)
				break;
		}
		target = tmp;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	}
	if (fd < 0) {
		if (r == SC_OK)
			r = errno == EEXIST ? SC_ERR_EXISTS : sc_status_from_errno(errno);
		if (r != SC_ERR_EXISTS)
			sc_set_error("'%s': %s", path, strerror(errno));
		free(tmp);
		free(dup);
		return r;
	}
	if ((r = sc_fd_write_all(fd, buf, len)) == SC_OK && fsync(fd) != 0)
		r = sc_status_from_errno(errno);
	if (close(fd) != 0 && r == SC_OK)
		r = sc_status_from_errno(errno);
	if (r == SC_OK && force && rename(tmp, path) != 0) {
		r = sc_status_from_errno(errno);
		sc_set_error("cannot rename onto '%s': %s", path, strerror(errno));
	}
	if (r != SC_OK)
		(void)unlink(target);
	free(tmp);
	free(dup);
	return r;
}

int cmd_inject(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	const char *in = NULL, *out = NULL;
	struct sc_vault *v = NULL;
	uint8_t *tpl = NULL, *res = NULL;
	size_t tlen = 0, rlen = 0, line = 0;
	char why[512];
	struct stat st;
	int ch, r, rc = EXIT_FAIL, force = 0, recorded = 0;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		if (ch == 'i')
			in = p.val;
		else if (ch == 'o')
			out = p.val;
		else if (ch == 'f')
			force = 1;
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "too many arguments");
	if (in == NULL || out == NULL)
		return cli_usage(c, "inject needs -i TEMPLATE and -o FILE");
	if (out[0] == '\0')
		return cli_usage(c, "-o needs a file name");
	if (!force && lstat(out, &st) == 0)
		return cli_error(EXIT_EXISTS, "'%s' exists; give --force to replace it", out);
	if (force && lstat(out, &st) == 0 && !S_ISREG(st.st_mode))
		return cli_error(EXIT_USAGE, "'%s' is not a regular file", out);
	if ((r = cli_read_value_file(in, &tpl, &tlen)) != SC_OK)
		return cli_fail(r, "cannot read the template");
	/* plaintext leaves the vault: the password, always */
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK) {
		rc = cli_fail(r, "cannot unlock the vault");
		goto out;
	}
	/* the render and its entry; nothing handed back without it */
	r = sc_session_inject(v, cli_who(), (const char *)tpl, tlen, &res, &rlen, &line, why,
	                      sizeof(why), &recorded);
	if (r != SC_OK && recorded) {
		if (r == SC_ERR_INVALID || r == SC_ERR_NOT_FOUND)
			rc = cli_error(r == SC_ERR_NOT_FOUND ? EXIT_NOTFOUND : EXIT_USAGE,
			               "%s:%zu: %s", in, line, why);
		else
			rc = cli_fail(r, "cannot render '%s'", in);
		goto out;
	}
	if (r != SC_OK) {
		rc = cli_fail(r, "cannot write the audit log");
		goto out;
	}
	if ((r = write_out(out, res, rlen, force)) != SC_OK) {
		rc = r == SC_ERR_EXISTS
		         ? cli_error(EXIT_EXISTS, "'%s' exists; give --force to replace it", out)
		         : cli_fail(r, "cannot write '%s'", out);
		goto out;
	}
	rc = EXIT_OK;
out:
	sc_vault_close(v);
	sc_secmem_free(tpl);
	sc_secmem_free(res);
	return rc;
}
