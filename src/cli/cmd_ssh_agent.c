/* cmd_ssh_agent.c - `secretctl ssh-agent`: the vault's ed25519 and
 * ecdsa-p256 keys served to ssh, git and ssh-keygen over OpenSSH's agent
 * protocol (sshagent/), with a confirmation and a lifetime per key as
 * `ssh-add -c -t` gives them. This file makes the socket, asks the
 * confirmations and prints; the library decides and signs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <poll.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "secretctl/duration.h"
#include "secretctl/exec.h"
#include "secretctl/sshagent.h"

/* A lifetime: at most a year, as a key's own rotation period is. */
#define LIFETIME_MAX_MS (UINT64_C(366) * 86400 * 1000)
/* How long a confirmation may take before it counts as no (default;
 * --confirm-timeout). */
#define CONFIRM_TIMEOUT_S 60
static int confirm_timeout_s = CONFIRM_TIMEOUT_S;

const struct cli_opt cli_opts_ssh_agent[] = {
    {'a', 0, "socket", "PATH", "listen on PATH (default: a new directory in $TMPDIR or /tmp)", 0},
    {'c', 0, "confirm", NULL, "ask before every signature by each key (SSH_ASKPASS or the tty)", 0},
    {'t', 0, "lifetime", "DUR", "drop each key DUR after start (30s, 10m, 8h, 7d)", 0},
    {'T', 0, "confirm-timeout", "DUR", "no answer to a confirmation in DUR is no (default 60s)", 0},
    {0, 0, NULL, NULL, NULL, 0}};

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int parse_lifetime(const char *s, int64_t *out)
{
	uint64_t ms;

	if (sc_duration_parse(s, SC_DUR_S | SC_DUR_M | SC_DUR_H | SC_DUR_D | SC_DUR_W | SC_DUR_BARE,
	                      LIFETIME_MAX_MS, &ms) != SC_OK ||
	    ms < 1000) {
		sc_clear_error();
		return SC_ERR_INVALID;
	}
	*out = (int64_t)(ms / 1000);
	return SC_OK;
}

static int confirm(const char *key, const struct sc_sshagent_peer *peer, const uint8_t digest[32],
                   void *arg)
{
	char hex[2 * 32 + 1], prompt[512];
	const char *askpass = sc_exec_askpass();

	(void)arg;
	sodium_bin2hex(hex, sizeof(hex), digest, 32);
	snprintf(prompt, sizeof(prompt),
	         "secretctl ssh-agent: allow key '%s' to sign for %s (pid %d)?\n"
	         "SHA-256 of the data: %s",
	         key, peer->program, peer->pid, hex);
	if (askpass != NULL)
		return sc_exec_askpass_confirm(askpass, prompt, confirm_timeout_s) == SC_OK
		           ? SC_OK
		           : SC_ERR_DENIED;
	return cli_confirm_tty(prompt, confirm_timeout_s) == SC_OK ? SC_OK : SC_ERR_DENIED;
}

static int can_confirm(void)
{
	const char *askpass = getenv("SSH_ASKPASS");
	int fd;

	if (askpass != NULL && askpass[0] != '\0')
		return sc_exec_askpass() != NULL;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return 0;
	(void)close(fd);
	return 1;
}

/* "NAME[,confirm][,lifetime=DUR]": a key with its own settings. */
static int add_key(struct cli *c, struct sc_sshagent *a, char *spec, int confirm_all,
                   int64_t lifetime_all, int64_t now)
{
	char *save = NULL, *name = strtok_r(spec, ",", &save), *opt;
	int cf = confirm_all, r;
	int64_t lt = lifetime_all;

	if (name == NULL)
		return cli_usage(c, "an empty key operand");
	while ((opt = strtok_r(NULL, ",", &save)) != NULL) {
		if (strcmp(opt, "confirm") == 0)
			cf = 1;
		else if (strncmp(opt, "lifetime=", 9) == 0 && parse_lifetime(opt + 9, &lt) == SC_OK)
			continue;
		else
			return cli_usage(c, "bad setting '%s' for key '%s' (confirm, lifetime=DUR)",
			                 opt, name);
	}
	if (cf && !can_confirm())
		return cli_usage(c,
		                 "key '%s' asks for confirmation: set SSH_ASKPASS to a program, "
		                 "or run the agent on a terminal",
		                 name);
	if ((r = sc_sshagent_add(a, name, cf, lt, now)) != SC_OK)
		return cli_fail(r, "cannot serve key '%s'", name);
	return EXIT_OK;
}

/* A socket file of ours that nobody listens on any more (not a symlink,
 * not another kind of file, not another user's). */
static int stale_socket(const struct sockaddr_un *sa)
{
	struct stat st;
	int s, r;

	if (lstat(sa->sun_path, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_uid != getuid())
		return 0;
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	r = connect(s, (const struct sockaddr *)sa, sizeof(*sa)) != 0 ? errno : 0;
	(void)close(s);
	return r == ECONNREFUSED;
}

/* Bind the socket at path (or at a new directory's agent.PID), 0600. */
static int listen_at(const char *path, char *dir, size_t dcap, char *sock, size_t scap, int *fd)
{
	struct sockaddr_un sa;
	mode_t old;
	int s, r;

	dir[0] = '\0';
	if (path == NULL) {
		const char *tmp = getenv("TMPDIR");

		snprintf(dir, dcap, "%s/secretctl-ssh-XXXXXX",
		         tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
		if (mkdtemp(dir) == NULL) {
			sc_set_error("cannot make a directory for the socket: %s", strerror(errno));
			dir[0] = '\0';
			return SC_ERR_IO;
		}
		snprintf(sock, scap, "%s/agent.%ld", dir, (long)getpid());
	} else {
		snprintf(sock, scap, "%s", path);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		sc_set_error("socket path '%s' is too long", sock);
		return SC_ERR_INVALID;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return sc_status_from_errno(errno);
	old = umask(0177);
	r = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r != 0 && errno == EADDRINUSE && path != NULL && stale_socket(&sa)) {
		/* what an agent killed before it could tidy up left: nobody
		 * answers on it, and it is ours */
		(void)unlink(sock);
		old = umask(0177);
		r = bind(s, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
	}
	if (r != 0 || listen(s, 16) != 0) {
		int e = errno;

		(void)close(s);
		sc_set_error("cannot listen on '%s': %s", sock, strerror(e));
		return e == EADDRINUSE ? SC_ERR_EXISTS : sc_status_from_errno(e);
	}
	*fd = s;
	return SC_OK;
}

int cmd_ssh_agent(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_vault *v = NULL;
	struct sc_sshagent *a = NULL;
	struct sigaction sa;
	const char *path = NULL;
	char dir[PATH_MAX], sock[PATH_MAX];
	int64_t lifetime = 0, now = (int64_t)time(NULL);
	int ch, confirm_all = 0, lfd = -1, rc = EXIT_OK, i, r, bound = 0;

	dir[0] = '\0';

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		if (ch == 'a')
			path = p.val;
		else if (ch == 'c')
			confirm_all = 1;
		else if (ch == 't' && parse_lifetime(p.val, &lifetime) != SC_OK)
			return cli_usage(c, "bad --lifetime '%s' (1s to 366d: 30s, 10m, 8h, 7d)",
			                 p.val);
		else if (ch == 'T') {
			int64_t secs;

			if (parse_lifetime(p.val, &secs) != SC_OK || secs > 3600)
				return cli_usage(c, "bad --confirm-timeout '%s' (1s to 1h)", p.val);
			confirm_timeout_s = (int)secs;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops == 0)
		return cli_usage(c, "name the keys to serve (ed25519 or ecdsa-p256)");
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	if ((r = sc_sshagent_new(v, confirm, NULL, &a)) != SC_OK) {
		rc = cli_fail(r, "cannot start the ssh-agent");
		goto out;
	}
	for (i = 0; i < p.nops; i++)
		if ((rc = add_key(c, a, p.ops[i], confirm_all, lifetime, now)) != EXIT_OK)
			goto out;
	if ((r = listen_at(path, dir, sizeof(dir), sock, sizeof(sock), &lfd)) != SC_OK) {
		rc = cli_fail(r, "cannot make the agent's socket");
		goto out;
	}
	bound = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	/* what `eval "$(secretctl ssh-agent KEY &)"` needs, then stdout
	 * closed so that the command substitution ends */
	printf("SSH_AUTH_SOCK=%s; export SSH_AUTH_SOCK;\nSSH_AGENT_PID=%ld; export "
	       "SSH_AGENT_PID;\n",
	       sock, (long)getpid());
	if (fflush(stdout) != 0) {
		rc = cli_fail(SC_ERR_IO, "cannot write to standard output");
		goto out;
	}
	{
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			(void)dup2(fd, STDOUT_FILENO);
			(void)close(fd);
		}
	}
	fprintf(stderr, "secretctl: ssh-agent: serving %d key%s on %s\n", p.nops,
	        p.nops == 1 ? "" : "s", sock);
	r = sc_sshagent_serve(a, lfd, (unsigned)getuid(), &stop_flag);
	if (!stop_flag && r == SC_OK)
		fprintf(stderr, "secretctl: ssh-agent: every key's lifetime is over\n");
	rc = r == SC_OK ? EXIT_OK : cli_fail(r, "the ssh-agent failed");
out:
	if (lfd >= 0)
		(void)close(lfd);
	if (bound)
		(void)unlink(sock);
	if (dir[0] != '\0')
		(void)rmdir(dir);
	sc_sshagent_free(a);
	sc_vault_close(v);
	return rc;
}
