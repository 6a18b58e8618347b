/* cmd_mcp.c - `secretctl mcp-server` (MCP over stdio) and
 * `secretctl mcp policy check [FILE]`. */
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mcp/mcp.h"
#include "secretctl/agent.h"
#include "secretctl/policy.h"

struct unlock_ctx {
	struct cli *c;
	char *pw; /* secmem: the password that opened the vault, for the sanitizer */
	size_t pw_len;
};

static int mcp_password(void *arg, const char **pw, size_t *len)
{
	struct unlock_ctx *u = arg;

	*pw = u->pw;
	*len = u->pw_len;
	return u->pw != NULL;
}

/* The MCP server never prompts: stdin is the protocol, and a prompt on the
 * terminal would land in the middle of the user's agent session. */
static int mcp_unlock(void *arg, struct sc_vault **out, char *msg, size_t msglen)
{
	struct unlock_ctx *u = arg;
	struct sc_vault *v = NULL;
	char *pw = NULL;
	size_t len;
	int r;

	*out = NULL;
	if (u->c->sys_owner) {
		snprintf(msg, msglen,
		         "the vault is locked: its agent (run user '%s') is locked or not running; "
		         "the user must run 'secretctl unlock' in a terminal; then call the tool "
		         "again",
		         u->c->sys->user);
		return SC_ERR_LOCKED;
	}
	if ((r = sc_vault_open(u->c->vault_dir, &v)) != SC_OK) {
		snprintf(msg, msglen, "cannot open the vault: %s%s%s", sc_strerror(r),
		         sc_last_error()[0] ? ": " : "", sc_last_error());
		sc_clear_error();
		return r;
	}
	if ((r = cli_get_password(u->c, "", 0, &pw, &len)) != SC_OK) {
		if (cli_no_agent())
			snprintf(
			    msg, msglen,
			    "the vault is locked: SECRETCTL_NO_AGENT is set in the MCP server's "
			    "environment, so it does not use 'secretctl unlock'; the user must "
			    "give it the password or remove that variable");
		else {
			/* say where the agent was looked for: a server started with
			 * another environment looks elsewhere than the terminal */
			char *sock = NULL;

			if (sc_agent_paths(u->c->vault_dir, &sock, NULL) != SC_OK)
				sock = NULL;
			snprintf(
			    msg, msglen,
			    "the vault is locked: no unlocked agent answered at '%s'; the user "
			    "must run 'secretctl unlock' in a terminal (no password is needed in "
			    "the MCP server's configuration; with another XDG_RUNTIME_DIR than "
			    "the server's, the agent is elsewhere); then call the tool again",
			    sock != NULL ? sock : "?");
			free(sock);
		}
		sc_vault_close(v);
		sc_clear_error();
		return SC_ERR_LOCKED;
	}
	/* a wrong password is in the audit log, as from the CLI */
	r = sc_session_unlock(v, SC_AUDIT_SRC_MCP, pw, len, NULL);
	if (r == SC_OK && u->pw == NULL) {
		u->pw = pw;
		u->pw_len = len;
	} else {
		sc_secmem_free(pw);
	}
	if (r != SC_OK) {
		snprintf(msg, msglen,
		         "cannot unlock the vault: %s; the user must fix this, not you",
		         sc_strerror(r));
		sc_vault_close(v);
		sc_clear_error();
		return r;
	}
	*out = v;
	return SC_OK;
}

static int mcp_server_cmd(struct cli *c, int argc, char **argv)
{
	struct unlock_ctx u = {.c = c};
	struct mcp_config cfg = {0};
	struct mcp_server *s = NULL;
	struct cli_parse p;
	int r;

	if (cli_parse_none(c, argc, argv, 0, 0, &p) != CLI_PARSE_END)
		return p.status;
	c->no_prompt = 1;
	/* a dedicated run user's vault: with the password, the whole server
	 * runs as the run user (its children too); without, through the agent */
	if (c->sys_owner && cli_password_given(c))
		return cli_system_forward(c);
	/* a client that goes away must not kill us mid-write */
	signal(SIGPIPE, SIG_IGN);
	cfg.vault_dir = c->vault_dir;
	cfg.unlock = mcp_unlock;
	cfg.unlock_arg = &u;
	cfg.password = mcp_password;
	cfg.out_fd = 1;
	cfg.no_agent = cli_no_agent(); /* as for every other command */
	cfg.policy_in_agent = c->sys_owner;
	if ((r = mcp_server_new(&cfg, &s)) != SC_OK)
		return cli_fail(r, "cannot start the MCP server");
	r = mcp_server_serve(s, 0);
	mcp_server_free(s);
	sc_secmem_free(u.pw);
	return r == SC_OK ? EXIT_OK : cli_fail(r, "MCP server failed");
}

int cmd_mcp_server(struct cli *c, int argc, char **argv)
{
	return mcp_server_cmd(c, argc, argv);
}

/* `secretctl mcp policy check [FILE]`: validate a policy file the way the
 * server will read it. */
/* cli_runs as `mcp policy check` shows it: "default" is the unset value
 * (runs through the agent obey the policy, runs with the password do not) */
static const char *cli_runs_name(const struct sc_policy *p)
{
	switch (sc_policy_cli_runs(p)) {
	case SC_POLICY_CLI_RUNS_ALLOW:
		return "allow";
	case SC_POLICY_CLI_RUNS_POLICY:
		return "policy";
	default:
		return "default";
	}
}

static void report_text(void *arg, int warning, const char *line)
{
	(void)arg;
	printf("  %s%s\n", warning ? "warning: " : "", line);
}

static void report_json(void *arg, int warning, const char *line)
{
	json_array_append_new(arg, json_pack("{s:s,s:b}", "text", line, "warning", warning));
}

int cmd_mcp_policy_check(struct cli *c, int argc, char **argv)
{
	struct sc_policy *p = NULL;
	struct sc_policy_limits lim;
	struct cli_parse cp;
	char err[512] = "", *path = NULL;
	int r;

	if (cli_parse_none(c, argc, argv, 0, 1, &cp) != CLI_PARSE_END)
		return cp.status;
	if (cp.nops == 1)
		path = strdup(cp.ops[0]);
	else if (asprintf(&path, "%s/%s", c->vault_dir, SC_POLICY_FILE) < 0)
		path = NULL;
	if (path == NULL)
		return cli_fail(SC_ERR_NOMEM, "out of memory");
	r = sc_policy_load(path, &p, err, sizeof(err));
	sc_clear_error();
	if (r == SC_ERR_NOT_FOUND) {
		r = cli_fail(r, "no policy file '%s' (without one, every MCP run is denied)", path);
	} else if (r != SC_OK) {
		r = cli_error(r == SC_ERR_PERM ? EXIT_PERM : EXIT_USAGE,
		              "policy '%s' is invalid: %s", path, err[0] ? err : sc_strerror(r));
	} else if (c->json) {
		json_t *o;
		char *s;

		sc_policy_limits(p, &lim);
		o = json_pack("{s:s,s:b,s:I,s:I,s:I,s:s}", "policy", path, "valid", 1,
		              "max_timeout", (json_int_t)lim.max_timeout_sec, "max_output_bytes",
		              (json_int_t)lim.max_output_bytes, "max_concurrent",
		              (json_int_t)lim.max_concurrent, "cli_runs", cli_runs_name(p));
		if (o != NULL) {
			json_t *lines = json_array();

			sc_policy_report(p, report_json, lines);
			json_object_set_new(o, "report", lines);
		}
		if ((s = json_dumps(o, JSON_COMPACT)) != NULL)
			puts(s);
		free(s);
		json_decref(o);
		r = EXIT_OK;
	} else {
		sc_policy_limits(p, &lim);
		printf("policy '%s' is valid (max_timeout %us, max_output_bytes %llu, "
		       "max_concurrent %u, cli_runs %s)\n",
		       path, lim.max_timeout_sec, (unsigned long long)lim.max_output_bytes,
		       lim.max_concurrent, cli_runs_name(p));
		sc_policy_report(p, report_text, NULL);
		r = EXIT_OK;
	}
	sc_policy_free(p);
	free(path);
	return r;
}
