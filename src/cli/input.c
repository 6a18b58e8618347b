/* input.c - values for set and edit: from a file, standard input or the
 * terminal (asked twice), never from argv. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_read_value_file(const char *path, uint8_t **buf, size_t *len)
{
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		sc_set_error("'%s': %s", path, strerror(errno));
		return SC_ERR_NOT_FOUND;
	}
	r = cli_read_fd(fd, SC_VALUE_MAX, buf, len);
	close(fd);
	if (r == SC_ERR_TOOBIG)
		sc_set_error("'%s' is larger than %d bytes", path, SC_VALUE_MAX);
	return r;
}

/* A secret value from stdin (one trailing newline stripped) or, on a
 * terminal, asked for without echo. */
int cli_read_secret_input(const char *secret, const char *field, int confirm, int *stdin_used,
                          uint8_t **buf, size_t *len)
{
	char prompt[SC_NAME_MAX + SC_FIELD_NAME_MAX + 32];
	int r;

	if (isatty(0)) {
		char *again = NULL;
		size_t again_len;

		snprintf(prompt, sizeof(prompt), "Value for %s (%s): ", secret, field);
		if ((r = cli_read_tty_secret(prompt, (char **)buf, len)) != SC_OK || !confirm)
			return r;
		/* a typo in a value nobody sees is found only when it is used:
		 * ask twice, as pass insert does */
		snprintf(prompt, sizeof(prompt), "Repeat the value for %s (%s): ", secret, field);
		if ((r = cli_read_tty_secret(prompt, &again, &again_len)) == SC_OK &&
		    (again_len != *len || sc_memcmp_ct(again, *buf, *len) != 0)) {
			sc_set_error("the two values do not match; nothing was stored");
			r = SC_ERR_INVALID;
		}
		sc_secmem_free(again);
		if (r != SC_OK) {
			sc_secmem_free(*buf);
			*buf = NULL;
		}
		return r;
	}
	if (*stdin_used) {
		sc_set_error("only one value can come from standard input; use "
		             "--secret-field-file F=FILE for the others");
		return SC_ERR_INVALID;
	}
	*stdin_used = 1;
	if ((r = cli_read_fd(0, SC_VALUE_MAX + 1, buf, len)) != SC_OK)
		return r;
	if (*len > 0 && (*buf)[*len - 1] == '\n')
		(*buf)[--*len] = '\0';
	if (*len > SC_VALUE_MAX) {
		sc_set_error("the value is larger than %d bytes", SC_VALUE_MAX);
		return SC_ERR_TOOBIG;
	}
	return SC_OK;
}

int cli_split_eq(char *arg, char **val)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		return SC_ERR_INVALID;
	*eq = '\0';
	*val = eq + 1;
	return SC_OK;
}
