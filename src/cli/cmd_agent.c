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
	char *sock = NULL, *exe = NULL;
	int r;

	if (cli_parse_none(c, argc, argv, 0, 0, &p) != CLI_PARSE_END)
		return p.status;
	memset(&o, 0, sizeof(o));
	o.vault_dir = c->vault_dir;
	o.foreground = 1;
	if (c->sys_owner)
		return cli_error(EXIT_PERM,
		                 "the vault belongs to the run user '%s': its agent runs as that "
		                 "user (docs/SYSTEM-AGENT.md)",
		                 c->sys->user);
	if (c->sys != NULL) {
		/* the run user's agent: its socket, its owners, and this binary
		 * to run forwarded commands with */
		if ((exe = realpath("/proc/self/exe", NULL)) == NULL)
			return cli_fail(SC_ERR_IO, "cannot find this program's path");
		o.sys = c->sys;
		o.exe = exe;
		o.confdir = sc_system_dir();
		r = agent_listen_system(c->sys, &o.listen_fd, &o.lock_fd);
		sock = r == SC_OK ? strdup(c->sys->socket) : NULL;
		if (r == SC_OK && sock == NULL)
			r = SC_ERR_NOMEM;
	} else {
		r = agent_listen(c->vault_dir, &o.listen_fd, &o.lock_fd, &sock);
	}
	if (r != SC_OK) {
		free(exe);
		return cli_fail(r, "cannot start the agent");
	}
	o.sock_path = sock;
	fprintf(stderr, "secretctl agent: serving '%s' on '%s' (locked; run 'secretctl unlock')\n",
	        c->vault_dir, sock);
	r = agent_serve(&o);
	close(o.lock_fd);
	free(sock);
	free(exe);
	return r == SC_OK ? EXIT_OK : cli_fail(r, "agent failed");
}
