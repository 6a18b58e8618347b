/* confirm.c - a yes or no from the person at the terminal: the prompt on
 * /dev/tty, what was typed ahead thrown away, "y" or "yes" within the
 * time given is yes; anything else, no terminal, EOF or silence is no.
 * poll(), not a signal, so nothing else in the process is interrupted. */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_confirm_tty(const char *prompt, int timeout_s)
{
	char line[16];
	struct pollfd pf;
	size_t n = 0;
	time_t end = time(NULL) + timeout_s;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), r = SC_ERR_DENIED;

	if (fd < 0)
		return SC_ERR_LOCKED;
	(void)tcflush(fd, TCIFLUSH);
	if (write(fd, prompt, strlen(prompt)) < 0 || write(fd, " [y/N] ", 7) < 0) {
		(void)close(fd);
		return SC_ERR_DENIED;
	}
	while (n + 1 < sizeof(line) && time(NULL) < end) {
		pf.fd = fd;
		pf.events = POLLIN;
		if (poll(&pf, 1, (int)(end - time(NULL)) * 1000) <= 0 || read(fd, line + n, 1) <= 0)
			break;
		if (line[n] == '\n') {
			line[n] = '\0';
			r = strcmp(line, "y") == 0 || strcmp(line, "yes") == 0 ? SC_OK
			                                                       : SC_ERR_DENIED;
			break;
		}
		n++;
	}
	(void)close(fd);
	return r;
}
