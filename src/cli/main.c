/* main.c - secretctl's entry point: process hardening, global options and
 * the command table. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "secretctl/confine.h"

extern char **environ;

static int cmd_version(struct cli *c, int argc, char **argv);
static int cmd_help(struct cli *c, int argc, char **argv);

const struct cli_cmd cli_commands[] = {
    {"init", cmd_init, "init [--new-password-fd N] [--kdf-memory SIZE] [--kdf-time N]",
     "create a new vault"},
    {"set", cmd_set,
     "set NAME [--value-file FILE] [--field F=VALUE]... [--secret-field F]...\n"
     "           [--secret-field-file F=FILE]... [--binding ENV=FIELD]... [--tag T]...\n"
     "           [--notes TEXT] [--url URL] [--expires DUR|DATE] [--hint F=TEXT]...",
     "store a secret (value from stdin, a file or the terminal)"},
    {"get", cmd_get, "get NAME [--field F] [--raw] [--json]", "print a secret's value"},
    {"list", cmd_list, "list [--tag T] [--expiring DUR] [--expired] [--json]", "list secret names"},
    {"exists", cmd_exists, "exists NAME", "exit 0 if the secret exists, 1 if not"},
    {"delete", cmd_delete, "delete NAME", "delete a secret"},
    {"passwd", cmd_passwd, "passwd [--new-password-fd N] [--kdf-memory SIZE] [--kdf-time N]",
     "change the vault password"},
    {"audit", cmd_audit,
     "audit list [--since T] [--until T] [--op OP] [--limit N] [--json]\n"
     "       secretctl audit verify [--json]\n"
     "       secretctl audit export [--format json|csv]\n"
     "       secretctl audit prune --before DATE",
     "show, verify, export or prune the audit log"},
    {"run", cmd_run,
     "run -k|--key PATTERN... [--env-prefix P] [--timeout DUR] [--no-sanitize] [--clean-env]\n"
     "           [--] COMMAND [ARGS...]",
     "run a command with secrets in its environment, output redacted"},
    {"mcp-server", cmd_mcp_server, "mcp-server",
     "serve AI agents over MCP (stdio); never returns a sensitive value"},
    {"mcp", cmd_mcp, "mcp policy check [FILE]",
     "validate an MCP policy file (default: mcp-policy.yaml in the vault)"},
    {"unlock", cmd_unlock, "unlock [--timeout DUR] [--reveal]",
     "hand the key to the vault's agent (started if none runs)"},
    {"lock", cmd_lock, "lock", "wipe the key from the agent"},
    {"status", cmd_status, "status", "say whether the agent is unlocked, its mode and time left"},
    {"agent", cmd_agent, "agent", "run the unlock agent in the foreground (starts locked)"},
    {"version", cmd_version, "version", "print the version"},
    {"help", cmd_help, "help [COMMAND]", "show help"},
    {NULL, NULL, NULL, NULL},
};

static void usage_all(FILE *f)
{
	const struct cli_cmd *cmd;

	fprintf(f, "usage: secretctl [--vault DIR] [--password-fd N] [--json] COMMAND [ARGS]\n\n"
	           "commands:\n");
	for (cmd = cli_commands; cmd->name != NULL; cmd++)
		fprintf(f, "  %-10s %s\n", cmd->name, cmd->summary);
	fprintf(f, "\nSee secretctl(1) or 'secretctl help COMMAND'.\n");
}

static int cmd_version(struct cli *c, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cli_usage(c, "unexpected argument '%s'", argv[1]);
	if (c->json)
		printf("{\"version\":\"%s\",\"vault_format\":%d}\n", SC_VERSION, SC_VAULT_FORMAT);
	else
		printf("secretctl %s (vault format %d)\n", SC_VERSION, SC_VAULT_FORMAT);
	return EXIT_OK;
}

static const struct cli_cmd *find_cmd(const char *name)
{
	const struct cli_cmd *cmd;

	for (cmd = cli_commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	return NULL;
}

static int cmd_help(struct cli *c, int argc, char **argv)
{
	const struct cli_cmd *cmd;

	if (argc < 2) {
		usage_all(stdout);
		return EXIT_OK;
	}
	if ((cmd = find_cmd(argv[1])) == NULL)
		return cli_usage(c, "unknown command '%s'", argv[1]);
	printf("usage: secretctl %s\n\n%s\n", cmd->usage, cmd->summary);
	return EXIT_OK;
}

/* `run` options that take their value as the next argument. */
static int run_opt_takes_value(const char *a)
{
	return strcmp(a, "-k") == 0 || strcmp(a, "--key") == 0 || strcmp(a, "--env-prefix") == 0 ||
	       strcmp(a, "--timeout") == 0;
}

/*
 * Global options may stand before or after the command name (up to "--");
 * they are taken out of argv here so each command sees only its own. For
 * `run`, the child's command line starts at its first operand, "--" or not:
 * from there on nothing is taken (`run -k x -- tool --json` and
 * `run -k x tool --json` both pass --json to tool).
 */
static int take_globals(struct cli *c, int *argc, char **argv)
{
	int i, j = 0, n = *argc, cmd_seen = 0, is_run = 0;

	for (i = 0; i < n; i++) {
		const char *a = argv[i], *val = NULL;
		int takes = 0;

		if (strcmp(a, "--") == 0) {
			while (i < n)
				argv[j++] = argv[i++];
			break;
		}
		if (is_run && (a[0] != '-' || a[1] == '\0')) {
			/* the command to run: the rest belongs to it */
			while (i < n)
				argv[j++] = argv[i++];
			break;
		}
		if (is_run && run_opt_takes_value(a) && i + 1 < n) {
			argv[j++] = argv[i++];
			argv[j++] = argv[i];
			continue;
		}
		if (!cmd_seen && a[0] != '-') {
			cmd_seen = 1;
			is_run = strcmp(a, "run") == 0;
			argv[j++] = argv[i];
			continue;
		}
		if (strcmp(a, "--vault") == 0 || strcmp(a, "--password-fd") == 0) {
			if (i + 1 >= n)
				return cli_fail(SC_ERR_INVALID, "option '%s' needs a value", a);
			val = argv[++i];
			takes = 1;
		} else if (strncmp(a, "--vault=", 8) == 0 ||
		           strncmp(a, "--password-fd=", 14) == 0) {
			val = strchr(a, '=') + 1;
			takes = 1;
		} else if (strcmp(a, "--json") == 0) {
			c->json = 1;
			continue;
		}
		if (!takes) {
			argv[j++] = argv[i];
			continue;
		}
		if (strncmp(a, "--vault", 7) == 0) {
			if (*val == '\0')
				return cli_fail(SC_ERR_INVALID, "--vault needs a directory");
			free(c->vault_dir);
			if ((c->vault_dir = strdup(val)) == NULL)
				return cli_fail(SC_ERR_NOMEM, "out of memory");
		} else {
			char *end;
			long fd = strtol(val, &end, 10);

			if (*val == '\0' || *end != '\0' || fd < 0 || fd > 1024)
				return cli_fail(SC_ERR_INVALID,
				                "--password-fd needs a file descriptor "
				                "number, not '%s'",
				                val);
			c->password_fd = (int)fd;
		}
	}
	*argc = j;
	argv[j] = NULL;
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cli c = {.password_fd = -1};
	const struct cli_cmd *cmd;
	int r, nargc;
	char **nargv;

	/* The confinement helper step, inside a sandbox, before anything
	 * reads the environment (it is the target's, secrets included, and
	 * goes on to it unchanged): docs/CONFINEMENT.md. */
	if (argc > 1 && strcmp(argv[1], SC_CONFINE_HELPER_ARG) == 0)
		return sc_confine_helper_main(argc, argv, environ);
	/* Before anything can hold a secret: no core dumps, not dumpable,
	 * umask 077, fds 0-2 open. Then take SECRETCTL_PASSWORD out of the
	 * environment so no child ever inherits it. */
	if (sc_harden_process() != SC_OK || sc_init() != SC_OK) {
		fprintf(stderr, "secretctl: cannot initialize (hardening or crypto library)\n");
		return EXIT_FAIL;
	}
	cli_take_env_password();
	cli_json_init();

	nargc = argc - 1;
	nargv = argv + 1;
	if ((r = take_globals(&c, &nargc, nargv)) != EXIT_OK)
		goto out;
	if (nargc < 1 || strcmp(nargv[0], "--help") == 0 || strcmp(nargv[0], "-h") == 0) {
		usage_all(nargc < 1 ? stderr : stdout);
		r = nargc < 1 ? EXIT_USAGE : EXIT_OK;
		goto out;
	}
	if (strcmp(nargv[0], "--version") == 0)
		nargv[0] = (char *)"version";
	if ((cmd = find_cmd(nargv[0])) == NULL) {
		r = cli_fail(SC_ERR_INVALID, "unknown command '%s'; see 'secretctl help'",
		             nargv[0]);
		goto out;
	}
	c.cmd = cmd->name;
	if (c.vault_dir == NULL && (r = sc_vault_default_dir(&c.vault_dir)) != SC_OK &&
	    strcmp(cmd->name, "help") != 0 && strcmp(cmd->name, "version") != 0) {
		r = cli_fail(r, "cannot find the vault directory");
		goto out;
	}
	optind = 0; /* reset getopt for the command's own parsing */
	opterr = 0; /* commands report bad options in their own words */
	r = cmd->fn(&c, nargc, nargv);
	if (fflush(stdout) != 0 && r == EXIT_OK)
		r = cli_fail(SC_ERR_IO, "cannot write to standard output");
out:
	cli_drop_env_password();
	free(c.vault_dir);
	return r;
}
