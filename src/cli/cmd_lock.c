/* cmd_lock.c - `secretctl lock` and `secretctl status`. */
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

int cmd_status(struct cli *c, int argc, char **argv)
{
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
		if (sc_agent_paths(c->vault_dir, &sock, NULL) != SC_OK)
			sock = NULL;
		sc_clear_error();
		if (c->json)
			cli_print_json(json_pack("{s:s,s:b,s:b,s:s?}", "vault", c->vault_dir,
			                         "agent", 0, "unlocked", 0, "socket", sock));
		else
			printf("vault:  %s\nstate:  locked (no agent answers at '%s')\n",
			       c->vault_dir, sock != NULL ? sock : "?");
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
	if (c->json) {
		json_t *o = json_pack("{s:s,s:b,s:I,s:b}", "vault", c->vault_dir, "agent", 1, "pid",
		                      (json_int_t)st.pid, "unlocked", st.unlocked);

		if (o != NULL && st.unlocked) {
			json_object_set_new(o, "mode",
			                    json_string(st.reveal ? "reveal" : "use-only"));
			json_object_set_new(o, "timeout", json_integer(st.timeout_s));
			json_object_set_new(o, "idle_left", json_integer(st.idle_left_s));
			json_object_set_new(o, "runs", json_integer(st.runs));
		}
		cli_print_json(o);
	} else if (st.unlocked) {
		printf("vault:  %s\nagent:  pid %lld\nstate:  unlocked\nmode:   %s\n"
		       "locks:  in %s (idle timeout %s)\n",
		       c->vault_dir, (long long)st.pid, st.reveal ? "reveal" : "use-only", left,
		       dur);
	} else {
		printf("vault:  %s\nagent:  pid %lld\nstate:  locked\n", c->vault_dir,
		       (long long)st.pid);
	}
	return st.unlocked ? EXIT_OK : EXIT_FAIL;
}
