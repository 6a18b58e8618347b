/* cmd_lock.c - `secretctl lock` and `secretctl status`. */
#include <time.h>

#include "cli/agent_cmds.h"

/* ---- secretctl lock / status ---- */

/* CLI_PARSE_END, or CLI_PARSE_EXIT with *status to return. */
static int no_args(struct cli *c, int argc, char **argv, int *status)
{
	struct cli_parse p;

	if (cli_parse_none(c, argc, argv, 0, 0, &p) == CLI_PARSE_END)
		return CLI_PARSE_END;
	*status = p.status;
	return CLI_PARSE_EXIT;
}

int cmd_lock(struct cli *c, int argc, char **argv)
{
	int r, fd;

	if (no_args(c, argc, argv, &r) != CLI_PARSE_END)
		return r;
	r = sc_agent_connect(c->vault_dir, &fd);
	if (r == SC_ERR_NOT_FOUND || r == SC_ERR_NO_VAULT) {
		sc_clear_error();
		if (!c->json)
			printf("locked (no agent was running)\n");
		else
			printf("{\"locked\":true,\"agent\":false}\n");
		return EXIT_OK;
	}
	if (r != SC_OK)
		return cli_fail(r, "cannot reach the agent");
	r = sc_agent_lock(fd);
	close(fd);
	if (r != SC_OK)
		return cli_fail(r, "cannot lock the agent");
	if (c->json)
		printf("{\"locked\":true,\"agent\":true}\n");
	else
		printf("locked\n");
	return EXIT_OK;
}

/* How a `secretctl run` through the agent is treated, from the policy as
 * the pipeline reads it at each run (issue 18): a key for JSON and words. */
static void cli_runs_mode(const char *vault_dir, const char **key, const char **words)
{
	struct sc_policy *p = NULL;
	char path[4096];
	int r = SC_ERR_INVALID;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", vault_dir, SC_POLICY_FILE) < sizeof(path))
		r = sc_policy_load(path, &p, NULL, 0);
	sc_clear_error();
	if (r == SC_ERR_NOT_FOUND) {
		*key = "refused";
		*words = "refused (no mcp-policy.yaml)";
	} else if (r != SC_OK) {
		*key = "refused";
		*words = "refused (mcp-policy.yaml is invalid)";
	} else if (sc_policy_cli_runs(p) == SC_POLICY_CLI_RUNS_ALLOW) {
		*key = "allow";
		*words = "unrestricted, sanitized (cli_runs: allow)";
	} else {
		*key = "policy";
		*words = "obey mcp-policy.yaml, confined, as MCP runs do";
	}
	sc_policy_free(p);
}

/* The DEK's age and cryptoperiod (public: no key needed), into o for
 * --json, else a line; a warning past the cryptoperiod. Said while no
 * agent holds the key (see the end of cmd_status). */
static void dek_status(struct cli *c, json_t *o)
{
	struct sc_vault *v = NULL;
	struct sc_dek_info d;
	char buf[512];
	int over;

	if (c->sys_owner || sc_vault_open(c->vault_dir, &v) != SC_OK) {
		sc_clear_error();
		return; /* the run user's vault, or none: the agent's word only */
	}
	if (sc_vault_dek_info(v, &d) == SC_OK) {
		over = cli_dek_describe(&d, 0, (int64_t)time(NULL), buf, sizeof(buf));
		if (o != NULL)
			json_object_set_new(o, "data_key",
			                    json_pack("{s:I,s:I,s:I,s:b,s:b}", "version",
			                              (json_int_t)d.version, "created",
			                              (json_int_t)d.created, "cryptoperiod",
			                              (json_int_t)d.period, "past_cryptoperiod",
			                              over, "rekey_pending", d.rekey_pending));
		else
			printf("dek:    %s\n", buf);
		if (over)
			cli_warn("the data key is past its cryptoperiod: run 'secretctl rekey'");
		if (d.rekey_pending)
			cli_warn("a rekey has begun and not finished: run 'secretctl rekey'");
	}
	sc_clear_error();
	sc_vault_close(v);
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	const char *runs_key, *runs_words;

	struct sc_agent_status st;
	char dur[32], left[32];
	int r, fd;

	if (no_args(c, argc, argv, &r) != CLI_PARSE_END)
		return r;
	r = sc_agent_connect(c->vault_dir, &fd);
	if (r == SC_ERR_NOT_FOUND || r == SC_ERR_NO_VAULT) {
		sc_clear_error();
		char *sock = NULL;

		/* where it looked, for a process with another environment */
		if (c->sys != NULL)
			sock = strdup(c->sys->socket);
		else if (sc_agent_paths(c->vault_dir, &sock, NULL) != SC_OK)
			sock = NULL;
		sc_clear_error();
		if (c->json) {
			json_t *o = json_pack("{s:s,s:b,s:b,s:s?}", "vault", c->vault_dir, "agent",
			                      0, "unlocked", 0, "socket", sock);

			if (o != NULL)
				dek_status(c, o);
			cli_print_json(o);
		} else {
			printf("vault:  %s\nstate:  locked (no agent answers at '%s')\n",
			       c->vault_dir, sock != NULL ? sock : "?");
			dek_status(c, NULL);
		}
		free(sock);
		return EXIT_FAIL;
	}
	if (r != SC_OK)
		return cli_fail(r, "cannot reach the agent");
	r = sc_agent_status(fd, &st);
	close(fd);
	if (r != SC_OK)
		return cli_fail(r, "cannot ask the agent");
	cli_format_dur(st.timeout_s, dur, sizeof(dur));
	cli_format_dur(st.idle_left_s, left, sizeof(left));
	if (c->sys_owner) {
		/* the policy is the run user's file, out of our reach (and an AI's) */
		runs_key = "policy";
		runs_words = "obey the run user's mcp-policy.yaml, confined";
	} else {
		cli_runs_mode(c->vault_dir, &runs_key, &runs_words);
	}
	if (c->json) {
		json_t *o = json_pack("{s:s,s:b,s:I,s:b}", "vault", c->vault_dir, "agent", 1, "pid",
		                      (json_int_t)st.pid, "unlocked", st.unlocked);

		if (o != NULL && st.unlocked) {
			json_object_set_new(o, "mode",
			                    json_string(st.reveal ? "reveal" : "use-only"));
			json_object_set_new(o, "timeout", json_integer(st.timeout_s));
			json_object_set_new(o, "idle_left", json_integer(st.idle_left_s));
			json_object_set_new(o, "runs", json_integer(st.runs));
			json_object_set_new(o, "cli_runs", json_string(runs_key));
			/* without a dedicated run user a child is a process of this uid */
			json_object_set_new(o, "run_user",
			                    json_string(c->sys != NULL ? c->sys->user : "owner"));
		}
		cli_print_json(o);
	} else if (st.unlocked) {
		printf("vault:  %s\nagent:  pid %lld\nstate:  unlocked\nmode:   %s\n"
		       "locks:  in %s (idle timeout %s)\nruns:   'secretctl run' without the "
		       "password: %s\n"
		       "        %s\n",
		       c->vault_dir, (long long)st.pid, st.reveal ? "reveal" : "use-only", left,
		       dur, runs_words, cli_system_mode_line(c));
	} else {
		printf("vault:  %s\nagent:  pid %lld\nstate:  locked\nruns:   %s\n", c->vault_dir,
		       (long long)st.pid, cli_system_mode_line(c));
		dek_status(c, NULL);
	}
	/* not beside an unlocked agent: a connection of ours closing last can
	 * race the agent's own re-open of the vault (an agent issue); doctor
	 * says the same with the key */
	return st.unlocked ? EXIT_OK : EXIT_FAIL;
}
