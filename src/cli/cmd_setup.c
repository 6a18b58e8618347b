/* cmd_setup.c - `secretctl setup system-agent` (root): a dedicated run
 * user for an owner's vault (docs/SYSTEM-AGENT.md). Creates the system
 * user with useradd, the vault and socket directories it owns, the
 * root-owned configuration the CLI finds, and a systemd unit (or the
 * start command, without systemd); --migrate moves an existing vault under
 * it and --undo moves it back, both without decrypting anything. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/agent_cmds.h"

extern char **environ;

enum { O_USER = 1, O_OWNER, O_ROOT, O_MIGRATE, O_FROM, O_UNDO, O_NO_START };

const struct cli_opt cli_opts_setup_sys[] = {
    {O_USER, 0, "user", "NAME",
     "the run user to create or use, one per vault (default: secretctl-OWNER)", 0},
    {O_OWNER, 0, "owner", "USER",
     "the vault's owner (default: $SUDO_USER); again to admit more uids", 0},
    {O_ROOT, 0, "root", "DIR", "make everything under DIR (tests, images) and start nothing", 0},
    {O_MIGRATE, 0, "migrate", NULL, "move the owner's existing vault under the run user", 0},
    {O_FROM, 0, "from", "DIR", "the vault to migrate (default: ~OWNER/.secretctl)", 0},
    {O_UNDO, 0, "undo", NULL, "move the vault back to its owner and remove the setup", 0},
    {O_NO_START, 0, "no-start", NULL, "write the systemd unit but do not start it", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

struct setup {
	struct sc_system_conf sc;
	char root[PATH_MAX], confdir[PATH_MAX], base[PATH_MAX], rundir[PATH_MAX];
	char owner_name[SC_SYSTEM_USER_MAX + 1], owner_home[PATH_MAX], from[PATH_MAX];
	uid_t owner;
	gid_t owner_gid;
	int migrate, undo, no_start;
	const char *user;
};

/* ---- small steps ---- */

/* snprintf whose truncation empties the buffer: a cut path names nothing
 * (every input that makes one is bounded before it gets here). */
__attribute__((format(printf, 3, 4))) static void sfmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
}

static int spawn_wait(const char *const *argv, int pwfd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = 0, r;

	posix_spawn_file_actions_init(&fa);
	if (pwfd >= 0)
		posix_spawn_file_actions_adddup2(&fa, pwfd, 3);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		sc_set_error("cannot run '%s': %s", argv[0], strerror(r));
		return SC_ERR_NOEXEC;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		sc_set_error("'%s' failed (status %d)", argv[0],
		             WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return SC_ERR_IO;
	}
	return SC_OK;
}

/* mkdir -p for the path's missing parents (root's, 0755), then the last
 * one with uid, gid and mode. */
static int make_dir(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	char buf[PATH_MAX], *p;
	struct stat st;

	sfmt(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(buf, 0755) == 0) {
			/* our umask is 077: a parent others must traverse is opened up */
			if (chmod(buf, 0755) != 0)
				return sc_status_from_errno(errno);
		} else if (errno != EEXIST) {
			sc_set_error("cannot create '%s': %s", buf, strerror(errno));
			return sc_status_from_errno(errno);
		}
		*p = '/';
	}
	if (mkdir(path, mode) != 0 && errno != EEXIST) {
		sc_set_error("cannot create '%s': %s", path, strerror(errno));
		return sc_status_from_errno(errno);
	}
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		sc_set_error("'%s' is not a directory", path);
		return SC_ERR_PERM;
	}
	if (chown(path, uid, gid) != 0 || chmod(path, mode) != 0) {
		sc_set_error("cannot set the owner of '%s': %s", path, strerror(errno));
		return sc_status_from_errno(errno);
	}
	return SC_OK;
}

/* Write text to path atomically (a temporary file renamed), root's, mode. */
static int write_file(const char *path, const char *text, mode_t mode)
{
	char tmp[PATH_MAX + 16];
	size_t n = strlen(text);
	int fd;

	sfmt(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0) {
		sc_set_error("cannot create '%s': %s", tmp, strerror(errno));
		return sc_status_from_errno(errno);
	}
	if (write(fd, text, n) != (ssize_t)n || fchmod(fd, mode) != 0 || fsync(fd) != 0 ||
	    close(fd) != 0 || rename(tmp, path) != 0) {
		sc_set_error("cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
		return sc_status_from_errno(errno);
	}
	return SC_OK;
}

static int find_owner(struct setup *s, const char *who)
{
	struct passwd *pw;
	char *end;
	unsigned long u = strtoul(who, &end, 10);

	pw = (*who != '\0' && *end == '\0') ? getpwuid((uid_t)u) : getpwnam(who);
	if (pw == NULL) {
		sc_set_error("no user '%s'", who);
		return SC_ERR_NOT_FOUND;
	}
	if (pw->pw_uid == 0) {
		sc_set_error("the owner cannot be root: root can read every process anyway");
		return SC_ERR_INVALID;
	}
	if (s->sc.nowners == SC_SYSTEM_OWNERS_MAX) {
		sc_set_error("at most %d owners", SC_SYSTEM_OWNERS_MAX);
		return SC_ERR_TOOBIG;
	}
	if (s->sc.nowners == 0) {
		s->owner = pw->pw_uid;
		s->owner_gid = pw->pw_gid;
		sfmt(s->owner_name, sizeof(s->owner_name), "%s", pw->pw_name);
		sfmt(s->owner_home, sizeof(s->owner_home), "%s", pw->pw_dir);
	}
	s->sc.owners[s->sc.nowners++] = pw->pw_uid;
	return SC_OK;
}

/* The run user: found, or made by useradd as a system user with no login
 * and no home of its own to write to. */
static void conf_path(const struct setup *s, uid_t uid, char *buf, size_t len);

/* A user that exists already serves as the run user only if it is a
 * system account without a login, and serves no other vault: two vaults
 * under one uid could each read the other's files and running children. */
static int run_user_fits(const struct setup *s, const struct passwd *pw)
{
	struct sc_system_conf cur;
	char path[PATH_MAX];
	const char *sh = pw->pw_shell != NULL ? pw->pw_shell : "";
	size_t n = strlen(sh);
	int r;

	if (pw->pw_uid >= 1000 ||
	    !((n >= 7 && strcmp(sh + n - 7, "nologin") == 0) || strcmp(sh, "/bin/false") == 0 ||
	      strcmp(sh, "/usr/bin/false") == 0)) {
		sc_set_error("'%s' is not a system account without a login (uid %lu, shell '%s'); "
		             "name a new one with --user",
		             pw->pw_name, (unsigned long)pw->pw_uid, sh);
		return SC_ERR_INVALID;
	}
	conf_path(s, pw->pw_uid, path, sizeof(path));
	if ((r = sc_system_conf_load(path, &cur)) == SC_ERR_NOT_FOUND) {
		sc_clear_error();
		return SC_OK;
	}
	if (r != SC_OK)
		return r;
	if (strcmp(cur.vault, s->sc.vault) != 0) {
		sc_set_error(
		    "'%s' already serves the vault '%s': a run user serves one vault; name "
		    "another with --user",
		    pw->pw_name, cur.vault);
		return SC_ERR_EXISTS;
	}
	return SC_OK;
}

static int run_user(struct setup *s)
{
	struct passwd *pw = getpwnam(s->user);
	int r;

	if (pw != NULL && (r = run_user_fits(s, pw)) != SC_OK)
		return r;
	if (pw == NULL) {
		const char *argv[] = {"useradd",      "--system",
		                      "--user-group", "--no-create-home",
		                      "--home-dir",   s->base,
		                      "--shell",      "/usr/sbin/nologin",
		                      "--comment",    "secretctl dedicated run user",
		                      s->user,        NULL};
		if ((r = spawn_wait(argv, -1)) != SC_OK)
			return r;
		if ((pw = getpwnam(s->user)) == NULL) {
			sc_set_error("useradd made no user '%s'", s->user);
			return SC_ERR_IO;
		}
	}
	if (pw->pw_uid == 0) {
		sc_set_error("the run user cannot be root");
		return SC_ERR_INVALID;
	}
	if (sc_system_admits(&s->sc, pw->pw_uid)) {
		sc_set_error("the run user cannot be one of the owners");
		return SC_ERR_INVALID;
	}
	sfmt(s->sc.user, sizeof(s->sc.user), "%s", s->user);
	s->sc.uid = pw->pw_uid;
	s->sc.gid = pw->pw_gid;
	return SC_OK;
}

static void conf_path(const struct setup *s, uid_t uid, char *buf, size_t len)
{
	if (sc_system_conf_path(s->confdir, uid, buf, len) != SC_OK)
		buf[0] = '\0';
}

static int write_confs(struct setup *s)
{
	char path[PATH_MAX], *text = NULL;
	size_t i;
	int r;

	if ((r = sc_system_conf_format(&s->sc, &text)) != SC_OK)
		return r;
	/* one per uid it names: each finds its own by its uid */
	for (i = 0; i <= s->sc.nowners && r == SC_OK; i++) {
		conf_path(s, i < s->sc.nowners ? s->sc.owners[i] : s->sc.uid, path, sizeof(path));
		r = write_file(path, text, 0644);
	}
	free(text);
	return r;
}

static void remove_confs(const struct setup *s)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i <= s->sc.nowners; i++) {
		conf_path(s, i < s->sc.nowners ? s->sc.owners[i] : s->sc.uid, path, sizeof(path));
		unlink(path);
	}
}

/* The start command, for a machine without systemd (and for the unit). */
static void start_command(const struct setup *s, const char *exe, char *buf, size_t len)
{
	int custom = strcmp(s->confdir, SC_SYSTEM_DIR_DEFAULT) != 0;

	sfmt(buf, len,
	     "setpriv --reuid=%lu --regid=%lu --clear-groups --no-new-privs -- env %s%s%s%s "
	     "agent",
	     (unsigned long)s->sc.uid, (unsigned long)s->sc.gid,
	     custom ? "SECRETCTL_SYSTEM_DIR=" : "", custom ? s->confdir : "", custom ? " " : "",
	     exe);
}

static int write_unit(const struct setup *s, const char *exe, char *unit, size_t ulen)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], text[4096];
	int custom = strcmp(s->confdir, SC_SYSTEM_DIR_DEFAULT) != 0;

	sfmt(dir, sizeof(dir), "%s/etc/systemd/system", s->root);
	sfmt(unit, ulen, "secretctl-agent-%s.service", s->owner_name);
	sfmt(path, sizeof(path), "%s/%s", dir, unit);
	sfmt(text, sizeof(text),
	     "# Written by 'secretctl setup system-agent'.\n"
	     "[Unit]\nDescription=secretctl agent for %s (run user %s)\n\n"
	     "[Service]\nUser=%s\nGroup=%s\n%s%s%s"
	     "ExecStart=%s agent\nRestart=on-failure\nNoNewPrivileges=yes\n"
	     "UMask=0077\nLimitCORE=0\n\n[Install]\nWantedBy=multi-user.target\n",
	     s->owner_name, s->sc.user, s->sc.user, s->sc.user,
	     custom ? "Environment=SECRETCTL_SYSTEM_DIR=" : "", custom ? s->confdir : "",
	     custom ? "\n" : "", exe);
	if (make_dir(dir, 0, 0, 0755) != SC_OK)
		return SC_ERR_IO;
	return write_file(path, text, 0644);
}

/* systemd runs here (as sd_booted() tells): /run/systemd/system exists */
static int systemd_running(void)
{
	struct stat st;

	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- the two directions ---- */

static int do_setup(struct cli *c, struct setup *s)
{
	char cmd[PATH_MAX * 3], unit[128], *exe = realpath("/proc/self/exe", NULL);
	struct stat st;
	int r;

	if (exe == NULL)
		return cli_fail(SC_ERR_IO, "cannot find this program's path");
	sfmt(s->sc.vault, sizeof(s->sc.vault), "%s/%s", s->base, s->owner_name);
	if ((r = run_user(s)) != SC_OK) {
		free(exe);
		return cli_fail(r, "cannot use the run user '%s'", s->user);
	}
	if (s->from[0] == '\0')
		sfmt(s->from, sizeof(s->from), "%s/.secretctl", s->owner_home);
	if ((r = make_dir(s->confdir, 0, 0, 0755)) != SC_OK ||
	    (r = make_dir(s->base, s->sc.uid, s->sc.gid, 0700)) != SC_OK ||
	    (r = make_dir(s->rundir, s->sc.uid, s->sc.gid, 0755)) != SC_OK) {
		free(exe);
		return cli_fail(r, "cannot set up the directories");
	}
	if (s->migrate) {
		sfmt(s->sc.from, sizeof(s->sc.from), "%s", s->from);
		if ((r = sc_vault_relocate(s->from, s->owner, s->sc.vault, s->sc.uid, s->sc.gid)) !=
		    SC_OK) {
			free(exe);
			return cli_fail(r, "cannot move the vault '%s'", s->from);
		}
		printf("moved the vault '%s' to '%s' (byte for byte, owned by '%s')\n", s->from,
		       s->sc.vault, s->sc.user);
	} else if (stat(s->sc.vault, &st) != 0) {
		/* a new vault, made by the run user itself: init on a pipe */
		char uid[32], gid[32], *pw = NULL;
		const char *argv[] = {"setpriv", uid,       gid,         "--clear-groups", "--",
		                      exe,       "--vault", s->sc.vault, "--password-fd",  "3",
		                      "init",    NULL};
		size_t len;
		int pp[2];

		sfmt(uid, sizeof(uid), "--reuid=%lu", (unsigned long)s->sc.uid);
		sfmt(gid, sizeof(gid), "--regid=%lu", (unsigned long)s->sc.gid);
		if ((r = cli_get_new_password(c, -1, &pw, &len)) != SC_OK) {
			free(exe);
			return cli_fail(r, "no password for the new vault");
		}
		if (pipe(pp) != 0 || write(pp[1], pw, len) != (ssize_t)len ||
		    write(pp[1], "\n", 1) != 1) {
			sc_secmem_free(pw);
			free(exe);
			return cli_fail(SC_ERR_IO, "cannot pass the password on");
		}
		sc_secmem_free(pw);
		close(pp[1]);
		r = spawn_wait(argv, pp[0]);
		close(pp[0]);
		if (r != SC_OK) {
			free(exe);
			return cli_fail(r, "cannot create the vault as '%s'", s->sc.user);
		}
	}
	sfmt(s->sc.socket, sizeof(s->sc.socket), "%s/%s.sock", s->rundir, s->owner_name);
	if (strlen(s->rundir) + strlen(s->owner_name) + 6 > SC_SYSTEM_SOCK_MAX) {
		free(exe);
		return cli_error(EXIT_USAGE, "the socket path under '%s' is too long", s->rundir);
	}
	if ((r = write_confs(s)) != SC_OK) {
		free(exe);
		return cli_fail(r, "cannot write the configuration");
	}
	start_command(s, exe, cmd, sizeof(cmd));
	r = write_unit(s, exe, unit, sizeof(unit));
	if (r == SC_OK && s->root[0] == '\0' && !s->no_start && systemd_running()) {
		const char *reload[] = {"systemctl", "daemon-reload", NULL};
		const char *enable[] = {"systemctl", "enable", "--now", unit, NULL};

		if ((r = spawn_wait(reload, -1)) == SC_OK && (r = spawn_wait(enable, -1)) == SC_OK)
			printf("started %s\n", unit);
	} else {
		printf("start the agent (no systemd here, or --root/--no-start) with:\n  %s\n",
		       cmd);
	}
	printf("the vault of '%s' now lives under the run user '%s': its children run as '%s', "
	       "out of your uid's reach; 'secretctl unlock' as %s unlocks it\n",
	       s->owner_name, s->sc.user, s->sc.user, s->owner_name);
	free(exe);
	return r == SC_OK ? EXIT_OK : cli_fail(r, "cannot install the service");
}

static int do_undo(struct setup *s)
{
	char path[PATH_MAX], unit[PATH_MAX + 128];
	struct sc_system_conf cur;
	const char *to;
	int r;

	conf_path(s, s->owner, path, sizeof(path));
	if ((r = sc_system_conf_load(path, &cur)) != SC_OK)
		return cli_fail(r, "no dedicated run user is set up for '%s'", s->owner_name);
	to = s->from[0] ? s->from : cur.from[0] ? cur.from : NULL;
	if (to == NULL) {
		sfmt(s->from, sizeof(s->from), "%s/.secretctl", s->owner_home);
		to = s->from;
	}
	if ((r = sc_vault_relocate(cur.vault, cur.uid, to, s->owner, s->owner_gid)) != SC_OK)
		return cli_fail(r, "cannot move the vault back to '%s'", to);
	s->sc = cur;
	remove_confs(s);
	sfmt(unit, sizeof(unit), "%s/etc/systemd/system/secretctl-agent-%s.service", s->root,
	     s->owner_name);
	if (unlink(unit) == 0 && s->root[0] == '\0' && systemd_running()) {
		const char *reload[] = {"systemctl", "daemon-reload", NULL};

		(void)spawn_wait(reload, -1);
	}
	printf("moved the vault back to '%s' (owned by '%s'); the agent of '%s' stops as its "
	       "vault leaves; 'userdel %s' removes the run user\n",
	       to, s->owner_name, cur.user, cur.user);
	return EXIT_OK;
}

int cmd_setup_system_agent(struct cli *c, int argc, char **argv)
{
	static struct setup s;
	struct cli_parse p;
	const char *owners[SC_SYSTEM_OWNERS_MAX];
	size_t nown = 0, i;
	int ch, r;

	memset(&s, 0, sizeof(s));
	s.user = NULL;
	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case O_USER:
			s.user = p.val;
			break;
		case O_OWNER:
			if (nown == SC_SYSTEM_OWNERS_MAX)
				return cli_usage(c, "at most %d --owner", SC_SYSTEM_OWNERS_MAX);
			owners[nown++] = p.val;
			break;
		case O_ROOT:
			if (p.val[0] != '/' || strlen(p.val) > 200)
				return cli_usage(c, "--root needs an absolute directory");
			sfmt(s.root, sizeof(s.root), "%s", p.val);
			break;
		case O_MIGRATE:
			s.migrate = 1;
			break;
		case O_FROM:
			if (p.val[0] != '/')
				return cli_usage(c, "--from needs an absolute directory");
			sfmt(s.from, sizeof(s.from), "%s", p.val);
			break;
		case O_UNDO:
			s.undo = 1;
			break;
		case O_NO_START:
			s.no_start = 1;
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
	if (s.migrate && s.undo)
		return cli_usage(c, "--migrate and --undo go separately");
	if (geteuid() != 0)
		return cli_error(EXIT_PERM, "'setup system-agent' needs root: it creates a system "
		                            "user and root-owned files (run it with sudo)");
	if (nown == 0) {
		const char *su = getenv("SUDO_USER");

		if (su == NULL || su[0] == '\0')
			return cli_usage(c, "name the vault's owner: --owner USER");
		owners[nown++] = su;
	}
	for (i = 0; i < nown; i++)
		if ((r = find_owner(&s, owners[i])) != SC_OK)
			return cli_fail(r, "bad --owner '%s'", owners[i]);
	if (s.user == NULL) {
		/* one run user per vault, named after its owner */
		static char name[SC_SYSTEM_USER_MAX + 1];

		if (strlen(s.owner_name) > SC_SYSTEM_USER_MAX - 10)
			return cli_usage(c, "the owner's name is too long for 'secretctl-OWNER': "
			                    "name the run user with --user");
		sfmt(name, sizeof(name), "secretctl-%s", s.owner_name);
		s.user = name;
	}
	sfmt(s.confdir, sizeof(s.confdir), "%s/etc/secretctl", s.root);
	sfmt(s.base, sizeof(s.base), "%s/var/lib/secretctl", s.root);
	sfmt(s.rundir, sizeof(s.rundir), "%s/run/secretctl", s.root);
	if (s.root[0] == '\0')
		sfmt(s.confdir, sizeof(s.confdir), "%s", sc_system_dir());
	return s.undo ? do_undo(&s) : do_setup(c, &s);
}
