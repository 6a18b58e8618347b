/* open.c - opening the vault for a command: the password (three tries
 * at a terminal), the unlock through the session layer; for an owner of a
 * dedicated run user's vault, the whole command goes to its agent
 * (system.c) instead. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "secretctl/session.h"

/* Whether the password will be asked for on the terminal. */
static int password_from_tty(const struct cli *c)
{
	return !cli_password_given(c) && !c->no_prompt;
}

/* On the terminal itself, as the prompt. */
static void tty_say(const char *msg)
{
	int fd = open("/dev/tty", O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return;
	(void)!write(fd, msg, strlen(msg));
	close(fd);
}

/* The password (or token PIN) that last opened the vault (secmem), kept so that a run's
 * sanitizer and an agent can redact it (issue 11): freed at exit. */
static char *kept_pw;
static size_t kept_len;

int cli_kept_password(const char **pw, size_t *len)
{
	*pw = kept_pw;
	*len = kept_pw != NULL ? kept_len : 0;
	return kept_pw != NULL;
}

void cli_drop_kept_password(void)
{
	sc_secmem_free(kept_pw);
	kept_pw = NULL;
	kept_len = 0;
}

int cli_open_vault(struct cli *c, int unlock, struct sc_vault **out)
{
	struct sc_vault *v = NULL;
	char *pw = NULL;
	size_t len;
	int r, tries;

	*out = NULL;
	/* an owner cannot open the run user's vault: the whole command goes
	 * to its agent, and its exit status is ours (system.c) */
	if (c->sys_owner) {
		fflush(stdout);
		exit(cli_system_forward(c));
	}
	if ((r = sc_vault_open(c->vault_dir, &v)) != SC_OK)
		return r;
	/* a person at the terminal gets three tries (as sudo gives); a
	 * password from an fd or the environment one */
	if (unlock && c->token_uri != NULL) {
		/* --token or SECRETCTL_TOKEN: the token slot, its PIN (token.c) */
		if ((r = cli_unlock_token(c, v, &pw, &len)) != SC_OK)
			goto fail;
		/* kept like a password: a run's sanitizer and the agent redact it */
		cli_drop_kept_password();
		kept_pw = pw;
		kept_len = len;
		pw = NULL;
		unlock = 0;
	}
	for (tries = 1; unlock; tries++) {
		int tty = password_from_tty(c);

		if ((r = cli_get_password(c, "Vault password: ", 0, &pw, &len)) != SC_OK)
			goto fail;
		int recorded;

		cli_slow_begin();
		/* the session layer records each wrong password in the audit log */
		r = sc_session_unlock(v, SC_AUDIT_SRC_CLI, pw, len, &recorded);
		cli_slow_end();
		if (r == SC_OK) {
			cli_drop_kept_password();
			kept_pw = pw;
			kept_len = len;
		} else {
			sc_secmem_free(pw);
		}
		if (!recorded)
			cli_warn("cannot record the failed unlock in the audit log");
		if (r == SC_ERR_AUTH && tty && tries < CLI_PASSWORD_TRIES) {
			sc_clear_error();
			tty_say("Wrong password; try again.\n");
			continue;
		}
		if (r != SC_OK)
			goto fail;
		break;
	}
	*out = v;
	return SC_OK;
fail:
	sc_vault_close(v);
	return r;
}
