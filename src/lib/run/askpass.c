/* askpass.c - a yes or no from a person through an askpass program
 * (semantics: exec.h), for keys that confirm each signature: the unlock
 * agent and `secretctl ssh-agent` have no terminal of their own. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "secretctl/exec.h"

extern char **environ;

#define ENV_MAX 4096

const char *sc_exec_askpass(void)
{
	const char *p = getenv("SSH_ASKPASS");

	if (p == NULL || p[0] != '/' || access(p, X_OK) != 0)
		return NULL;
	return p;
}

/* The environment as it is, with SSH_ASKPASS_PROMPT=confirm in place of
 * any other value: built before the spawn, nothing is set in this
 * (perhaps threaded) process. */
static char **confirm_env(void)
{
	static char prompt_var[] = "SSH_ASKPASS_PROMPT=confirm";
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL && n < ENV_MAX)
		n++;
	if ((env = calloc(n + 2, sizeof(*env))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "SSH_ASKPASS_PROMPT=", 19) != 0)
			env[k++] = environ[i];
	env[k++] = prompt_var;
	env[k] = NULL;
	return env;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sc_exec_askpass_confirm(const char *program, const char *prompt, int timeout_s)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char *argv[3];
	char **env;
	sigset_t none;
	int64_t end;
	pid_t pid, w;
	int status = 0, r;

	if (program == NULL || program[0] != '/' || prompt == NULL)
		return SC_ERR_INVALID;
	if ((env = confirm_env()) == NULL)
		return SC_ERR_NOMEM;
	argv[0] = (char *)program;
	argv[1] = (char *)prompt;
	argv[2] = NULL;
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	/* its own process group (killed whole on no answer), no blocked signal */
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
	r = posix_spawn(&pid, program, &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env);
	if (r != 0) {
		sc_set_error("cannot start the askpass program '%s': %s", program, strerror(r));
		return SC_ERR_NOEXEC;
	}
	end = now_ms() + (int64_t)timeout_s * 1000;
	for (;;) {
		if ((w = waitpid(pid, &status, WNOHANG)) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? SC_OK
			                                                     : SC_ERR_DENIED;
		if (w < 0 && errno != EINTR)
			return SC_ERR_DENIED;
		if (now_ms() >= end)
			break;
		(void)usleep(50000);
	}
	(void)kill(-pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	return SC_ERR_TIMEOUT;
}
