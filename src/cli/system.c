/* system.c - the CLI under a dedicated run user (docs/SYSTEM-AGENT.md):
 * the vault belongs to a system user and only its agent touches it. An
 * owner's commands that the agent serves (list, run, lock ...) talk to it
 * as usual; every other command, and any that would open the vault, goes
 * to the agent whole with the vault password and runs there as the run
 * user, on our terminal's fds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/agent_cmds.h"

extern char **environ;

int cli_system_init(struct cli *c)
{
	struct sc_system_conf *s;
	const char *given = c->vault_dir;
	int r;

	if (given == NULL) {
		const char *e = getenv("SECRETCTL_VAULT_DIR");

		given = e != NULL && e[0] != '\0' ? e : NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return cli_fail(SC_ERR_NOMEM, "out of memory");
	if ((r = sc_system_conf_find(s)) != SC_OK) {
		free(s);
		if (r == SC_ERR_NOT_FOUND) {
			sc_clear_error();
			return EXIT_OK;
		}
		/* fail closed: a configuration someone else could have written
		 * might send the password to their socket */
		return cli_fail(r, "refusing the dedicated run user's configuration");
	}
	/* another vault, named on purpose: the ordinary mode for it */
	if (given != NULL && strcmp(given, s->vault) != 0) {
		free(s);
		return EXIT_OK;
	}
	free(c->vault_dir);
	if ((c->vault_dir = strdup(s->vault)) == NULL) {
		free(s);
		return cli_fail(SC_ERR_NOMEM, "out of memory");
	}
	c->sys = s;
	c->sys_owner = getuid() != s->uid;
	sc_agent_use_system(s);
	return EXIT_OK;
}

int cli_system_native(const struct cli *c, const struct cli_cmd *cmd)
{
	static const char *const native[] = {"list",   "exists",     "get", "history", "show",
	                                     "read",   "generate",   "run", "status",  "lock",
	                                     "unlock", "mcp-server", NULL};
	int i;

	/* help is answered here, without a password */
	for (i = 1; i < c->fwd_argc; i++) {
		if (strcmp(c->fwd_argv[i], "--") == 0)
			break;
		if (strcmp(c->fwd_argv[i], "-h") == 0 || strcmp(c->fwd_argv[i], "--help") == 0)
			return 1;
	}
	if (!(cmd->flags & CLI_NEEDS_VAULT))
		return 1;
	for (i = 0; native[i] != NULL; i++)
		if (strcmp(cmd->name, native[i]) == 0)
			return 1;
	return 0;
}

int cli_system_forward(struct cli *c)
{
	char cwd[PATH_MAX], *pw = NULL;
	const char **argv = NULL;
	const int fds[3] = {0, 1, 2};
	size_t len = 0;
	int fd = -1, r, i, n = 0, status = EXIT_FAIL;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	if ((argv = calloc((size_t)c->fwd_argc + 2, sizeof(*argv))) == NULL)
		return cli_fail(SC_ERR_NOMEM, "out of memory");
	/* the command first (a global option may follow it) */
	for (i = 0; i < c->fwd_argc; i++) {
		argv[n++] = c->fwd_argv[i];
		if (i == 0 && c->json)
			argv[n++] = "--json";
	}
	if ((r = sc_agent_connect(c->vault_dir, &fd)) != SC_OK) {
		status = r == SC_ERR_NOT_FOUND
		             ? cli_error(cli_exit_status(SC_ERR_NO_VAULT),
		                         "the vault belongs to the run user '%s' and its agent is "
		                         "not running (docs/SYSTEM-AGENT.md says how to start it)",
		                         c->sys->user)
		             : cli_fail(r, "cannot reach the run user's agent");
		goto out;
	}
	if ((r = cli_get_password(c, "Vault password: ", 0, &pw, &len)) != SC_OK) {
		status = cli_fail(r, "'%s' needs the vault password", c->fwd_argv[0]);
		goto out;
	}
	if (len == 0) {
		status = cli_error(EXIT_AUTH, "'%s' needs the vault password: it was empty",
		                   c->fwd_argv[0]);
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	cli_slow_begin();
	r = sc_agent_forward(fd, argv, environ, cwd, pw, len, fds, &status);
	cli_slow_end();
	if (r != SC_OK)
		status =
		    cli_fail(r, r == SC_ERR_AUTH ? "cannot unlock the vault"
		                                 : "the run user's agent did not run the command");
out:
	sc_secmem_free(pw);
	if (fd >= 0)
		close(fd);
	free(argv);
	return status;
}

const char *cli_system_mode_line(const struct cli *c)
{
	/* as the owner, or as the run user a forwarded command runs as */
	if (c->sys != NULL)
		return "children run as the dedicated run user; the owner's uid cannot read their "
		       "environment or memory";
	return "children run as you: any process of your uid (an AI agent's shell too) can "
	       "read a running child's environment; 'secretctl setup system-agent' (root) "
	       "moves the vault and its runs under a dedicated user";
}
