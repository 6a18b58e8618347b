/* token.c - unlocking with a hardware token: the PIN (from --pin-fd or
 * the terminal, never argv or the environment), the token slot's unlock,
 * and what a wrong PIN says of the tries left. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "secretctl/p11.h"
#include "secretctl/session.h"

int cli_get_pin(struct cli *c, const char *prompt, char **pin, size_t *len)
{
	int r;

	*pin = NULL;
	*len = 0;
	if (c->pin_fd >= 0) {
		if (fcntl(c->pin_fd, F_GETFD) < 0) {
			sc_set_error("--pin-fd %d is not an open file descriptor", c->pin_fd);
			return SC_ERR_LOCKED;
		}
		return cli_read_secret_fd(c->pin_fd, pin, len);
	}
	if (c->no_prompt) {
		sc_set_error("no token PIN given: use --pin-fd N");
		return SC_ERR_LOCKED;
	}
	if ((r = cli_read_tty_secret(prompt, pin, len)) == SC_ERR_LOCKED)
		sc_set_error("no token PIN given: use --pin-fd N or run on a terminal");
	return r;
}

int cli_unlock_token(struct cli *c, struct sc_vault *v, char **pin_out, size_t *pin_len)
{
	unsigned flags = 0;
	char *pin = NULL;
	size_t len;
	int r, tries;

	for (tries = 1;; tries++) {
		int tty = c->pin_fd < 0;

		if ((r = cli_get_pin(c, "Token PIN: ", &pin, &len)) != SC_OK)
			return r;
		int recorded;

		/* the session layer records each wrong PIN in the audit log */
		r = sc_session_unlock_token(v, SC_AUDIT_SRC_CLI, c->token_uri, pin, len, &flags,
		                            &recorded);
		if (r == SC_OK) {
			/* the caller keeps it, for the sanitizer and the agent */
			*pin_out = pin;
			*pin_len = len;
		} else {
			sc_secmem_free(pin);
		}
		pin = NULL;
		if (!recorded)
			cli_warn("cannot record the failed unlock in the audit log");
		/* a locked PIN is no wrong PIN: the token is not usable */
		if (r == SC_ERR_AUTH && (flags & SC_P11_PIN_LOCKED))
			r = SC_ERR_TOKEN;
		/* the terminal gets another try unless the token has one left */
		if (r == SC_ERR_AUTH && flags != 0 && tty && tries < CLI_PASSWORD_TRIES &&
		    !(flags & SC_P11_PIN_FINAL_TRY)) {
			int fd = open("/dev/tty", O_WRONLY | O_CLOEXEC | O_NOCTTY);

			if (fd >= 0) {
				const char *m = "Wrong PIN; try again.\n";

				(void)!write(fd, m, strlen(m));
				close(fd);
			}
			sc_clear_error();
			continue;
		}
		return r;
	}
}
