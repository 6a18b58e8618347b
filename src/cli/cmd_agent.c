/* cmd_agent.c - `secretctl agent`: the agent's state in one line or JSON. */
#include "cli/agent_cmds.h"

void cli_format_dur(uint32_t s, char *buf, size_t len)
{
	if (s >= 3600)
		snprintf(buf, len, "%uh%02um%02us", s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		snprintf(buf, len, "%um%02us", s / 60, s % 60);
	else
		snprintf(buf, len, "%us", s);
}

/* ---- secretctl agent ---- */

int cmd_agent(struct cli *c, int argc, char **argv)
{
	struct agent_opts o;
	struct cli_parse p;
	char *sock = NULL;
	int r;

	if (cli_parse_none(c, argc, argv, 0, 0, &p) != CLI_PARSE_END)
		return p.status;
	memset(&o, 0, sizeof(o));
	o.vault_dir = c->vault_dir;
	o.foreground = 1;
	if ((r = agent_listen(c->vault_dir, &o.listen_fd, &o.lock_fd, &sock)) != SC_OK)
		return cli_fail(r, "cannot start the agent");
	o.sock_path = sock;
	fprintf(stderr, "secretctl agent: serving '%s' on '%s' (locked; run 'secretctl unlock')\n",
	        c->vault_dir, sock);
	r = agent_serve(&o);
	close(o.lock_fd);
	free(sock);
	return r == SC_OK ? EXIT_OK : cli_fail(r, "agent failed");
}
