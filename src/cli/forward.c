/* forward.c - signal forwarding for `run`, once for both paths (the key
 * here or in the agent): the handler writes the signal number into a
 * self-pipe whose read end is the run's ctl_fd. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* The write end of the self-pipe the handler feeds. */
static volatile sig_atomic_t ctl_wfd = -1;

static const int forwarded[CLI_FORWARD_NSIG] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static void forward_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (ctl_wfd >= 0)
		(void)!write(ctl_wfd, &b, 1);
	errno = saved;
}

int cli_forward_start(struct cli_forward *f)
{
	struct sigaction sa;
	size_t i;

	f->ctl[0] = f->ctl[1] = -1;
	f->installed = 0;
	if (pipe2(f->ctl, O_CLOEXEC | O_NONBLOCK) != 0)
		return SC_ERR_IO;
	ctl_wfd = f->ctl[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < CLI_FORWARD_NSIG; i++) {
		if (sigaction(forwarded[i], &sa, &f->old[i]) != 0) {
			cli_forward_stop(f);
			return SC_ERR_IO;
		}
		f->installed = i + 1;
	}
	/* a reader that goes away is the engine's business (EPIPE), not a
	 * reason for secretctl to die and leave the child behind */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return SC_OK;
}

void cli_forward_stop(struct cli_forward *f)
{
	size_t i;

	for (i = 0; i < f->installed; i++)
		sigaction(forwarded[i], &f->old[i], NULL);
	f->installed = 0;
	ctl_wfd = -1;
	if (f->ctl[0] >= 0)
		close(f->ctl[0]);
	if (f->ctl[1] >= 0)
		close(f->ctl[1]);
	f->ctl[0] = f->ctl[1] = -1;
}
