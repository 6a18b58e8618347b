/* main.c - secretctl's entry point: process hardening, global options and
 * the command table. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "secretctl/confine.h"

extern char **environ;

static int cmd_version(struct cli *c, int argc, char **argv);
static int cmd_help(struct cli *c, int argc, char **argv);

#define PW CLI_NEEDS_PASSWORD
#define VAULT CLI_NEEDS_VAULT

static const struct cli_cmd mcp_policy_subs[] = {
    {"check", cmd_mcp_policy_check, VAULT, "[FILE]",
     "validate an MCP policy file (default: mcp-policy.yaml in the vault)", NULL, NULL, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

static const struct cli_cmd mcp_subs[] = {
    {"policy", NULL, VAULT, NULL, "work with the MCP policy file", NULL, NULL, mcp_policy_subs},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

static const struct cli_cmd password_subs[] = {
    {"change", cmd_passwd, VAULT | PW, NULL, "change the vault password (same as 'passwd')", NULL,
     cli_opts_passwd, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

static const struct cli_cmd setup_subs[] = {
    {"system-agent", cmd_setup_system_agent, 0, NULL,
     "run a vault's agent and its children as a dedicated system user",
     "Creates the run user (useradd), a vault directory and socket directory it owns,\n"
     "the root-owned /etc/secretctl/system-agent-UID.conf the CLI finds, and a systemd\n"
     "unit (or prints the start command). Afterwards no process of the owner's uid -\n"
     "an AI agent's shell included - can read a running child's environment or memory.\n"
     "See docs/SYSTEM-AGENT.md.",
     cli_opts_setup_sys, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

const struct cli_cmd cli_commands[] = {
    {"init", cmd_init, VAULT, NULL, "create a new vault",
     "The new password comes from --new-password-fd, --password-fd, SECRETCTL_PASSWORD,\n"
     "or the terminal (asked twice). Argon2id's defaults: 64 MiB, 3 passes.",
     cli_opts_init, NULL},
    {"set", cmd_set, VAULT | PW, "NAME",
     "store a secret (value from stdin, a file or the terminal)",
     "Values never come from the command line (argv is visible in ps): standard input\n"
     "(one trailing newline dropped), --value-file, --secret-field-file, or the terminal,\n"
     "where each value is asked twice unless --no-confirm. Setting a name again keeps\n"
     "the old version in the history.",
     cli_opts_set, NULL},
    {"get", cmd_get, VAULT | PW, "NAME", "print a secret's value",
     "Prints the field 'value', or the only field; a secret with several fields needs\n"
     "--field. Through an agent only when it was unlocked with --reveal.",
     cli_opts_get, NULL},
    {"list", cmd_list, VAULT | PW, NULL, "list secret names",
     "Names only, sorted; with --json each secret's metadata (never a value).", cli_opts_list,
     NULL},
    {"exists", cmd_exists, VAULT | PW, "NAME", "exit 0 if the secret exists, 1 if not", NULL, NULL,
     NULL},
    {"delete", cmd_delete, VAULT | PW, "NAME", "delete a secret (its history kept until --purge)",
     "The versions stay in the history: 'secretctl undelete NAME' brings the last one\n"
     "back. --purge erases every version, live or deleted, from the vault and its WAL.",
     cli_opts_delete, NULL},
    {"undelete", cmd_undelete, VAULT | PW, "NAME", "bring back a deleted secret", NULL, NULL, NULL},
    {"history", cmd_history, VAULT | PW, "NAME | prune [NAME]",
     "list a secret's versions and what changed (names, never values)",
     "Newest first: version (* the current one), when it was written, and the fields,\n"
     "bindings, tags, notes, URL or expiry added, removed or changed. 'history prune'\n"
     "erases versions beyond the retention (default 10, 'set --keep N'), or --keep N.",
     cli_opts_history_prune, NULL},
    {"rollback", cmd_rollback, VAULT | PW, "NAME",
     "make an earlier version the current one (as a new version)", NULL, cli_opts_rollback, NULL},
    {"edit", cmd_edit, VAULT | PW, "NAME", "change named parts of a secret, keeping the rest",
     "Each option changes one part; everything else stays. With none, $EDITOR opens on the\n"
     "public parts (never a sensitive value). The old version is kept in the\n"
     "history. Secret values come from stdin, a file or the terminal, never argv.",
     cli_opts_edit, NULL},
    {"show", cmd_show, VAULT | PW, "NAME", "show a secret's metadata and public fields",
     "Every field (sensitive values masked), bindings, tags, URL, notes and times. An\n"
     "unlocked agent answers in either mode, but sends no notes.",
     NULL, NULL},
    {"mv", cmd_mv, VAULT | PW, "OLD NEW", "rename a secret (its history moves with it)", NULL, NULL,
     NULL},
    {"cp", cmd_cp, VAULT | PW, "FROM TO", "copy a secret's current version to a new name", NULL,
     NULL, NULL},
    {"import", cmd_import, VAULT | PW, "FILE",
     "import secrets from a .env, a JSON export or another tool's export",
     "All or nothing: the file is parsed whole, then written in one transaction with its\n"
     "audit entry. Formats: env, json (ours), gosecretctl, 1password-csv, 1pux,\n"
     "bitwarden, lastpass, pass (FILE a password-store directory, decrypted by gpg).",
     cli_opts_import, NULL},
    {"export", cmd_export, VAULT | PW, "[PATTERN...]",
     "write secrets out in plaintext (.env or JSON); always asks for the password",
     "Never through an agent. -o FILE is created new with mode 0600; a .env is not\n"
     "printed to a terminal without --force. Audited, with the names exported.",
     cli_opts_export, NULL},
    {"backup", cmd_backup, VAULT | PW, "-o FILE | --verify FILE",
     "write the whole vault to one encrypted file, or check one",
     "All versions, key slots, the audit log and its anchor, from one consistent moment\n"
     "(writers may go on). Sealed under a key from the vault's data key, so a restore\n"
     "needs the vault password; --passphrase adds a second, separate one. See\n"
     "docs/BACKUP.md.",
     cli_opts_backup, NULL},
    {"restore", cmd_restore, VAULT | PW, "FILE",
     "restore a vault from a backup (everything checked before anything is written)",
     "The password is the vault's password when the backup was made. Refuses to\n"
     "replace a vault unless --force; 'audit verify' passes on the result.",
     cli_opts_restore, NULL},
    {"doctor", cmd_doctor, VAULT | PW, NULL,
     "report weak, duplicate and expiring secrets, permissions and policy risks",
     "Reads every value (hence the password) and prints no value. Duplicates are found by\n"
     "BLAKE2b keyed with a random key made for this run. Exit 0: nothing found; 1: the\n"
     "findings listed. 'secretctl security' (the Go secretctl's name) is the same.",
     cli_opts_doctor, NULL},
    {"security", cmd_doctor, VAULT | PW | CLI_HIDDEN, NULL, "the Go secretctl's name for 'doctor'",
     NULL, cli_opts_doctor, NULL},
    {"read", cmd_read, VAULT | PW, "secretctl://NAME[/FIELD]",
     "print a secret's value by reference (as 'get')",
     "The whole path names a secret first (its field 'value' or its only field);\n"
     "else the last segment is a field of the secret the rest names. Names hold only\n"
     "letters, digits, '.', '_', '-' and '/', so there is no percent-encoding.",
     cli_opts_read, NULL},
    {"inject", cmd_inject, VAULT | PW, NULL,
     "render {{ secretctl://NAME[/FIELD] }} references into a new 0600 file",
     "The output holds plaintext, so inject always asks for the vault password (an\n"
     "agent never serves it). FILE must not exist unless --force; an unknown reference\n"
     "or an unterminated '{{ secretctl://' is an error with its line, and no file is\n"
     "left. Other '{{' text is copied as it is.",
     cli_opts_inject, NULL},
    {"generate", cmd_generate, VAULT | PW, NULL, "make a random password or passphrase",
     "From libsodium's CSPRNG, each character (or word) uniform over its set\n"
     "(randombytes_uniform: no modulo bias). --words picks from the SLIP-0039 list of\n"
     "1024 words: 10 bits each. With --set the value is stored, never printed.",
     cli_opts_generate, NULL},
    {"passwd", cmd_passwd, VAULT | PW, NULL, "change the vault password",
     "Rewraps the data key under the new password; the secrets are not re-encrypted.\n"
     "'secretctl password change' (the Go secretctl's spelling) is the same command.",
     cli_opts_passwd, NULL},
    {"rekey", cmd_rekey, VAULT | PW, NULL,
     "replace the data key: re-encrypt everything under a new one",
     "A new data key version; every record, index bucket, history row and the sealed\n"
     "state sealed again under it in batches while reads go on (a kill leaves a vault\n"
     "that opens; run it again to finish); every key slot rewrapped, then the old key\n"
     "destroyed. A recovery slot cannot be rewrapped without its shares: --drop-slot.",
     cli_opts_rekey, NULL},
    {"password", NULL, VAULT | PW | CLI_HIDDEN, NULL, "the Go secretctl's 'password change'", NULL,
     NULL, password_subs},
    {"audit", NULL, VAULT | PW, NULL, "show, verify, export or prune the audit log", NULL, NULL,
     cli_audit_subs},
    {"key", NULL, VAULT | PW | CLI_KEY_NAMES, NULL,
     "named keys: create, rotate, encrypt, sign, lifecycle",
     "A keyring sealed inside the vault: versioned keys with SP 800-57 states, the sc:v1\n"
     "ciphertext format, encryption contexts, scheduled crypto-erase. See docs/KEYS.md.",
     NULL, cli_key_subs},
    {"keyslot", NULL, VAULT | PW, NULL, "the vault's key slots: add a token, list, remove",
     "Each slot wraps the data key: the password (slot 1 at init), PKCS#11 tokens and\n"
     "recovery shares ('secretctl recovery split').\n"
     "Either opens the vault; unlock with a token by --token URI (or SECRETCTL_TOKEN).",
     NULL, cli_keyslot_subs},
    {"recovery", NULL, VAULT | PW, NULL, "recovery shares: split a recovery key, open with them",
     "A recovery key slot whose key is split into SLIP-0039 shares: any T of N open the\n"
     "vault and set a new password. See docs/RECOVERY.md.",
     NULL, cli_recovery_subs},
    {"frost", NULL, VAULT, NULL, "threshold signatures across devices (FROST, RFC 9591)",
     "A T-of-N Ed25519 key made by a DKG among participants reached through commands\n"
     "(locally, or over ssh); each holds a share in its own vault's keyring, none the\n"
     "key. Signatures are plain Ed25519. See docs/CUSTODY.md.",
     NULL, cli_frost_subs},
    {"sign", cmd_sign, VAULT | PW | CLI_KEY_NAMES, "NAME",
     "sign a file or stdin with a signing key",
     "Ed25519 (RFC 8032), ECDSA P-256 (DER or raw), secp256k1 ECDSA (low-S) or BIP-340.\n"
     "The signature goes to stdout in base64, or its bytes to --out.",
     cli_opts_sign, NULL},
    {"verify", cmd_verify, VAULT | PW | CLI_KEY_NAMES, "NAME",
     "check a signature: exit 0 valid, 1 not", NULL, cli_opts_verify, NULL},
    {"ssh-agent", cmd_ssh_agent, VAULT | PW | CLI_KEY_NAMES, "KEY[,confirm][,lifetime=DUR]...",
     "serve ed25519 and ecdsa-p256 keys to ssh and git (OpenSSH agent protocol)",
     "Prints SSH_AUTH_SOCK for eval, then serves in the foreground until a signal or\n"
     "until every key's lifetime is over. Each signature loads the key for that call\n"
     "only and is recorded in the audit log; --confirm asks SSH_ASKPASS or the terminal.\n"
     "Keys cannot be added or removed through the socket. See docs/CUSTODY.md.",
     cli_opts_ssh_agent, NULL},
    {"run", cmd_run, VAULT | PW | CLI_PASSTHROUGH, "[--] COMMAND [ARGS...]",
     "run a command with secrets in its environment, output redacted",
     "Options end at COMMAND: what follows is the command's own. Each secret's fields\n"
     "become variables (the name upper-cased, '/', '-' and '.' as '_', or its bindings);\n"
     "every value is redacted from the output. Exit status: the command's own; 124 time\n"
     "out, 125 secretctl failed before the command started, 126 not executable, 127 not\n"
     "found. An unlocked agent runs the command itself (no value enters this process).",
     cli_opts_run, NULL},
    {"mcp-server", cmd_mcp_server, VAULT | CLI_NO_PROMPT, NULL,
     "serve AI agents over MCP (stdio); never returns a sensitive value",
     "Speaks JSON-RPC on standard input and output; never asks for a password: run\n"
     "'secretctl unlock' in a terminal first. Runs obey mcp-policy.yaml in the vault.",
     NULL, NULL},
    {"mcp", NULL, VAULT, NULL, "validate an MCP policy file", NULL, NULL, mcp_subs},
    {"unlock", cmd_unlock, VAULT | PW, NULL,
     "hand the key to the vault's agent (started if none runs)",
     "The agent keeps the key in locked memory and answers list, exists, run and the MCP\n"
     "server without the password until it locks (idle timeout, 'secretctl lock').",
     cli_opts_unlock, NULL},
    {"lock", cmd_lock, VAULT, NULL, "wipe the key from the agent", NULL, NULL, NULL},
    {"status", cmd_status, VAULT, NULL, "say whether the agent is unlocked, its mode and time left",
     "Exit 0 when unlocked, 1 when locked or no agent runs.", NULL, NULL},
    {"agent", cmd_agent, VAULT, NULL, "run the unlock agent in the foreground (starts locked)",
     NULL, NULL, NULL},
    {"setup", NULL, 0, NULL, "set up a dedicated run user for a vault (root)", NULL, NULL,
     setup_subs},
    {"completion", cmd_completion, 0, "bash|zsh|fish", "print a shell completion script",
     "Generated from the command table: commands, subcommands and options, and secret\n"
     "names when an agent is unlocked (asked with 'secretctl list' through the agent and\n"
     "SECRETCTL_NO_PROMPT=1: names only, never a prompt). Load it with\n"
     "'source <(secretctl completion bash)'.",
     NULL, NULL},
    {"version", cmd_version, 0, NULL, "print the version", NULL, NULL, NULL},
    {"help", cmd_help, 0, "[COMMAND [SUBCOMMAND]]", "show help",
     "With a command: its full help, the same as 'secretctl COMMAND --help'.", NULL, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

static void usage_all(FILE *f)
{
	const struct cli_cmd *cmd;

	fprintf(f, "usage: secretctl [--vault DIR] [--password-fd N] [--token URI] [--pin-fd N] "
	           "[--json] [-h|--help] "
	           "COMMAND [ARGS]\n\ncommands:\n");
	for (cmd = cli_commands; cmd->name != NULL; cmd++)
		if (!(cmd->flags & CLI_HIDDEN))
			fprintf(f, "  %-10s %s\n", cmd->name, cmd->summary);
	fprintf(f, "\nSee secretctl(1) or 'secretctl help COMMAND'.\n");
}

static int cmd_version(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;

	if (cli_parse_none(c, argc, argv, 0, 0, &p) != CLI_PARSE_END)
		return p.status;
	if (c->json)
		printf("{\"version\":\"%s\",\"vault_format\":%d}\n", SC_VERSION, SC_VAULT_FORMAT);
	else
		printf("secretctl %s (vault format %d)\n", SC_VERSION, SC_VAULT_FORMAT);
	return EXIT_OK;
}

/* An unknown command, with the closest one named. */
static int unknown_command(const struct cli_cmd *table, const char *prefix, const char *name)
{
	const char *cands[64], *best;
	size_t n = 0;

	for (; table->name != NULL && n < 64; table++)
		cands[n++] = table->name;
	if ((best = cli_closest(name, cands, n)) != NULL)
		return cli_error(EXIT_USAGE, "unknown command '%s%s'; did you mean '%s%s'?", prefix,
		                 name, prefix, best);
	return cli_error(EXIT_USAGE, "unknown command '%s%s'; see 'secretctl help'", prefix, name);
}

static json_t *cmd_json(const struct cli_cmd *cmd)
{
	json_t *o = json_pack("{s:s,s:s}", "name", cmd->name, "summary", cmd->summary), *a;
	const struct cli_opt *op;
	const struct cli_cmd *s;

	if (cmd->operands != NULL)
		json_object_set_new(o, "operands", json_string(cmd->operands));
	a = json_array();
	for (op = cmd->opts; op != NULL && op->name != NULL; op++) {
		json_t *j = json_pack("{s:s,s:s,s:b,s:b}", "name", op->name, "help", op->help,
		                      "alias", (op->flags & CLI_OPT_ALIAS) != 0, "refused",
		                      (op->flags & CLI_OPT_REFUSED) != 0);

		if (op->short_name)
			json_object_set_new(j, "short", json_sprintf("%c", op->short_name));
		if (op->arg != NULL)
			json_object_set_new(j, "value", json_string(op->arg));
		json_array_append_new(a, j);
	}
	json_object_set_new(o, "options", a);
	if (cmd->subs != NULL) {
		a = json_array();
		for (s = cmd->subs; s->name != NULL; s++)
			json_array_append_new(a, cmd_json(s));
		json_object_set_new(o, "subcommands", a);
	}
	return o;
}

static int cmd_help(struct cli *c, int argc, char **argv)
{
	const struct cli_cmd *cmd, *table = cli_commands;
	struct cli_parse p;
	char path[96] = "";
	int i, ch;

	cli_parse_init(&p, c, argc, argv);
	if ((ch = cli_parse_next(&p)) == CLI_PARSE_EXIT)
		return p.status;
	argc = p.nops + 1; /* the operands are the command's path */
	argv = p.ops - 1;
	if (argc < 2) {
		if (c->json) {
			json_t *a = json_array();
			char *s;

			for (cmd = cli_commands; cmd->name != NULL; cmd++)
				json_array_append_new(a, cmd_json(cmd));
			if ((s = json_dumps(a, JSON_COMPACT)) != NULL)
				puts(s);
			free(s);
			json_decref(a);
			return EXIT_OK;
		}
		usage_all(stdout);
		return EXIT_OK;
	}
	/* "help audit list": walk down the subcommands */
	for (i = 1, cmd = NULL; i < argc; i++) {
		const struct cli_cmd *next = cli_find_cmd(table, argv[i]);

		if (next == NULL) {
			char prefix[100];

			snprintf(prefix, sizeof(prefix), "%s%s", path, path[0] ? " " : "");
			return unknown_command(table, prefix, argv[i]);
		}
		cmd = next;
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s%s",
		         path[0] ? " " : "", cmd->name);
		if ((table = cmd->subs) == NULL && i + 1 < argc)
			return cli_error(EXIT_USAGE, "'%s' has no subcommand '%s'", path,
			                 argv[i + 1]);
	}
	if (c->json) {
		json_t *o = cmd_json(cmd);
		char *s = json_dumps(o, JSON_COMPACT);

		if (s != NULL)
			puts(s);
		free(s);
		json_decref(o);
		return EXIT_OK;
	}
	cli_print_help(stdout, cmd, path);
	return EXIT_OK;
}

/* Whether word is an option of cmd that takes its value as the next
 * argument ("-k", "--key"). */
static int takes_value(const struct cli_cmd *cmd, const char *word)
{
	const struct cli_opt *o;

	for (o = cmd->opts; o != NULL && o->name != NULL; o++) {
		if (o->arg == NULL)
			continue;
		if (word[0] == '-' && word[1] == o->short_name && word[2] == '\0')
			return 1;
		if (strncmp(word, "--", 2) == 0 && strcmp(word + 2, o->name) == 0)
			return 1;
	}
	return 0;
}

/*
 * Global options may stand before or after the command name (up to "--");
 * they are taken out of argv here so each command sees only its own. For
 * a CLI_PASSTHROUGH command (run), the child's command line starts at its
 * first operand, "--" or not: from there on nothing is taken
 * (`run -k x -- tool --json` and `run -k x tool --json` both pass --json to
 * tool).
 */
static int take_globals(struct cli *c, int *argc, char **argv)
{
	const struct cli_cmd *pass = NULL;
	int i, j = 0, n = *argc, cmd_seen = 0;

	for (i = 0; i < n; i++) {
		const char *a = argv[i], *val = NULL;
		int takes = 0;

		if (strcmp(a, "--") == 0) {
			while (i < n)
				argv[j++] = argv[i++];
			break;
		}
		if (pass != NULL && (a[0] != '-' || a[1] == '\0')) {
			/* the command to run: the rest belongs to it */
			while (i < n)
				argv[j++] = argv[i++];
			break;
		}
		if (pass != NULL && takes_value(pass, a) && i + 1 < n) {
			argv[j++] = argv[i++];
			argv[j++] = argv[i];
			continue;
		}
		if (!cmd_seen && a[0] != '-') {
			const struct cli_cmd *cmd = cli_find_cmd(cli_commands, a);

			cmd_seen = 1;
			if (cmd != NULL && (cmd->flags & CLI_PASSTHROUGH))
				pass = cmd;
			argv[j++] = argv[i];
			continue;
		}
		if (strcmp(a, "--vault") == 0 || strcmp(a, "--password-fd") == 0 ||
		    strcmp(a, "--token") == 0 || strcmp(a, "--pin-fd") == 0) {
			if (i + 1 >= n)
				return cli_error(EXIT_USAGE, "option '%s' needs a value", a);
			val = argv[++i];
			takes = 1;
		} else if (strncmp(a, "--vault=", 8) == 0 ||
		           strncmp(a, "--password-fd=", 14) == 0 ||
		           strncmp(a, "--token=", 8) == 0 || strncmp(a, "--pin-fd=", 9) == 0) {
			val = strchr(a, '=') + 1;
			takes = 1;
		} else if (strcmp(a, "--json") == 0) {
			c->json = 1;
			cli_set_json_errors(1);
			continue;
		}
		if (!takes) {
			argv[j++] = argv[i];
			continue;
		}
		if (strncmp(a, "--token", 7) == 0) {
			/* a URI is no secret (a PIN in it is refused when used) */
			if (*val == '\0')
				return cli_error(EXIT_USAGE, "--token needs a pkcs11: URI");
			c->token_uri = val;
		} else if (strncmp(a, "--pin-fd", 8) == 0) {
			char *end;
			long fd = strtol(val, &end, 10);

			if (*val == '\0' || *end != '\0' || fd < 0 || fd > 1024)
				return cli_error(
				    EXIT_USAGE, "--pin-fd needs a file descriptor number, not '%s'",
				    val);
			c->pin_fd = (int)fd;
		} else if (strncmp(a, "--vault", 7) == 0) {
			if (*val == '\0')
				return cli_error(EXIT_USAGE, "--vault needs a directory");
			free(c->vault_dir);
			if ((c->vault_dir = strdup(val)) == NULL)
				return cli_fail(SC_ERR_NOMEM, "out of memory");
		} else {
			char *end;
			long fd = strtol(val, &end, 10);

			if (*val == '\0' || *end != '\0' || fd < 0 || fd > 1024)
				return cli_error(
				    EXIT_USAGE,
				    "--password-fd needs a file descriptor number, not '%s'", val);
			c->password_fd = (int)fd;
		}
	}
	*argc = j;
	argv[j] = NULL;
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cli c = {.password_fd = -1, .pin_fd = -1};
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
	if (c.token_uri == NULL && getenv("SECRETCTL_TOKEN") != NULL &&
	    *getenv("SECRETCTL_TOKEN") != '\0')
		c.token_uri = getenv("SECRETCTL_TOKEN");
	if (nargc < 1 || strcmp(nargv[0], "--help") == 0 || strcmp(nargv[0], "-h") == 0) {
		usage_all(nargc < 1 ? stderr : stdout);
		r = nargc < 1 ? EXIT_USAGE : EXIT_OK;
		goto out;
	}
	if (strcmp(nargv[0], "--version") == 0)
		nargv[0] = (char *)"version";
	if ((cmd = cli_find_cmd(cli_commands, nargv[0])) == NULL) {
		r = nargv[0][0] == '-' ? cli_error(EXIT_USAGE,
		                                   "unknown option '%s'; see 'secretctl "
		                                   "help'",
		                                   nargv[0])
		                       : unknown_command(cli_commands, "", nargv[0]);
		goto out;
	}
	snprintf(c.path, sizeof(c.path), "%s", cmd->name);
	c.no_prompt = (cmd->flags & CLI_NO_PROMPT) != 0;
	/* a copy of the line: a command's option parsing reorders its argv,
	 * and a forward (system.c) sends the line as typed */
	c.fwd_argc = nargc;
	if ((c.fwd_argv = calloc((size_t)nargc + 1, sizeof(*c.fwd_argv))) == NULL) {
		r = cli_fail(SC_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(c.fwd_argv, nargv, (size_t)nargc * sizeof(*nargv));
	if ((cmd->flags & CLI_NEEDS_VAULT) && (r = cli_system_init(&c)) != EXIT_OK)
		goto out;
	/* scripts and shell completion: never ask on the terminal */
	if (getenv("SECRETCTL_NO_PROMPT") != NULL &&
	    strcmp(getenv("SECRETCTL_NO_PROMPT"), "0") != 0 &&
	    getenv("SECRETCTL_NO_PROMPT")[0] != '\0')
		c.no_prompt = 1;
	if ((cmd->flags & CLI_NEEDS_VAULT) && c.vault_dir == NULL &&
	    (r = sc_vault_default_dir(&c.vault_dir)) != SC_OK) {
		r = cli_fail(r, "cannot find the vault directory");
		goto out;
	}
	if ((cmd->flags & CLI_NEEDS_PASSWORD) && c.password_fd >= 0 &&
	    fcntl(c.password_fd, F_GETFD) < 0) {
		/* no password can come from there: the same as none given */
		r = cli_error(cli_exit_status(SC_ERR_LOCKED),
		              "--password-fd %d is not an open file descriptor", c.password_fd);
		goto out;
	}
	/* an owner's command the run user's agent does not serve goes to it
	 * whole (system.c) */
	if (c.sys_owner && !cli_system_native(&c, cmd))
		r = cli_system_forward(&c);
	else
		r = cli_dispatch(&c, cmd, nargc, nargv);
	if (fflush(stdout) != 0 && r == EXIT_OK)
		r = cli_fail(SC_ERR_IO, "cannot write to standard output");
out:
	cli_drop_env_password();
	cli_drop_kept_password();
	free(c.vault_dir);
	free(c.sys);
	free(c.fwd_argv);
	return r;
}
