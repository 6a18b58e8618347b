/* builtins.c - the built-in denials: commands that print the environment,
 * launch other commands or run inline code, and their argument checks. */
#include "policy/policy_int.h"

static int is_cluster(const char *a)
{
	return a[0] == '-' && a[1] != '\0' && a[1] != '-';
}

/* Any short-option cluster holding a letter of `code`, scanning each
 * cluster up to a letter of `stop` (whose argument is the rest of the
 * cluster). Every argument is scanned, not only those before the first
 * operand: interpreters differ in where options end, and an option's
 * argument can make a later "-c" look like an operand (python -W -- -c). */
static int any_cluster(const char *const *args, size_t nargs, const char *code, const char *stop,
                       size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		const char *c;

		if (!is_cluster(args[i]))
			continue;
		for (c = args[i] + 1; *c; c++) {
			if (strchr(code, *c) != NULL) {
				*at = i;
				return 1;
			}
			if (strchr(stop, *c) != NULL)
				break;
		}
	}
	return 0;
}

/* "--name" or "--name=..." */
static int is_long(const char *a, const char *name)
{
	size_t n = strlen(name);

	return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

static int chk_sh(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "c", "", at);
}

static int chk_fish(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	if (any_cluster(args, nargs, "cC", "", at))
		return 1;
	/* fish takes getopt_long abbreviations: --comm is --command. */
	for (i = 0; i < nargs; i++) {
		const char *a = args[i];
		size_t n;

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
			continue;
		n = strcspn(a + 2, "=");
		if (strncmp("command", a + 2, n) == 0 || strncmp("init-command", a + 2, n) == 0) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static int chk_python(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "c", "WX", at);
}

static int chk_perl(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "eE", "MmI", at);
}

static int chk_ruby(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "e", "rIECx", at);
}

static int has_data_url(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (strstr(args[i], "data:") != NULL) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static int chk_node(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	if (any_cluster(args, nargs, "ep", "", at))
		return 1;
	for (i = 0; i < nargs; i++) {
		if (is_long(args[i], "--eval") || is_long(args[i], "--print")) {
			*at = i;
			return 1;
		}
	}
	/* --import data:text/javascript,... is inline code too. */
	return has_data_url(args, nargs, at);
}

static int chk_deno(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (strcmp(args[i], "eval") == 0 || is_long(args[i], "--eval") ||
		    strcmp(args[i], "-e") == 0) {
			*at = i;
			return 1;
		}
	}
	return has_data_url(args, nargs, at);
}

static int chk_php(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "rBRE", "cdz", at);
}

static int chk_lua(const char *const *args, size_t nargs, size_t *at)
{
	return any_cluster(args, nargs, "e", "l", at);
}

static int chk_e(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	if (any_cluster(args, nargs, "e", "", at))
		return 1;
	for (i = 0; i < nargs; i++) {
		if (is_long(args[i], "--expr") || is_long(args[i], "--eval")) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

/* PowerShell takes any prefix of -Command / -EncodedCommand, with one or
 * two dashes, in any case. */
static int chk_pwsh(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		const char *a = args[i];

		if (a[0] != '-')
			continue;
		a += a[1] == '-' ? 2 : 1;
		if (*a == 'c' || *a == 'C' || *a == 'e' || *a == 'E') {
			*at = i;
			return 1;
		}
	}
	return 0;
}

/* awk's program is inline unless it comes from -f before the first
 * operand; gawk's -e/--source adds inline code to any program file. */
static int chk_awk(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;
	int from_file = 0, operands = 0;

	for (i = 0; i < nargs; i++) {
		const char *a = args[i];

		if (strncmp(a, "-e", 2) == 0 || strncmp(a, "--source", 8) == 0 ||
		    strncmp(a, "--so", 4) == 0) {
			*at = i;
			return 1;
		}
		if (operands)
			continue;
		if (strcmp(a, "--") == 0 || a[0] != '-' || a[1] == '\0') {
			operands = 1;
			continue;
		}
		if (strncmp(a, "-f", 2) == 0 || strncmp(a, "--file", 6) == 0 ||
		    strncmp(a, "-E", 2) == 0 || strncmp(a, "--exec", 6) == 0) {
			from_file = 1;
			if (strcmp(a, "-f") == 0 || strcmp(a, "-E") == 0 ||
			    strcmp(a, "--file") == 0 || strcmp(a, "--exec") == 0)
				i++;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "-F") == 0) {
			i++;
		}
	}
	if (!from_file) {
		*at = (size_t)-1;
		return 1;
	}
	return 0;
}

/* GNU sed runs shell commands with 'e' and s///e; --sandbox (before any
 * "--") refuses them and the r/w commands. */
static int chk_sed(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (strcmp(args[i], "--") == 0)
			break;
		if (strcmp(args[i], "--sandbox") == 0)
			return 0;
	}
	*at = (size_t)-1;
	return 1;
}

/* jq's env / $ENV and yq's env() / strenv() read the environment. */
static int chk_jq(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (strstr(args[i], "env") != NULL || strstr(args[i], "ENV") != NULL) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static int chk_find(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		const char *a = args[i];

		if (strcmp(a, "-exec") == 0 || strcmp(a, "-execdir") == 0 ||
		    strcmp(a, "-ok") == 0 || strcmp(a, "-okdir") == 0) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static int chk_fd(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	if (any_cluster(args, nargs, "xX", "", at))
		return 1;
	for (i = 0; i < nargs; i++) {
		if (strncmp(args[i], "--exec", 6) == 0) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

/* BSD-style "ps e" / "ps axe" prints every process's environment. */
static int chk_ps(const char *const *args, size_t nargs, size_t *at)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		const char *a = args[i];
		size_t n = strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

		if (a[0] != '-' && a[0] != '\0' && a[n] == '\0' && strchr(a, 'e') != NULL) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

/* Does arg reach /proc/<pid>/.../<leaf>? The argument is split into
 * '/'-separated components ("//" and "." dropped) wherever it starts
 * ("@/proc/..", "--file=/proc/..", "file:///proc/.."); a component equal to
 * the leaf denies when an earlier component ends in "proc", names a process
 * ("self", "thread-self", digits: cwd may be /proc), or is ".." (existing
 * symlinks lead into /proc/self: /dev/fd/../environ, /etc/mtab/../environ).
 * So /proc/self/task/1/environ and /proc//self/./environ are caught. */
static int reaches_proc(const char *arg, const char *leaf)
{
	const char *s = arg;
	size_t leaflen = strlen(leaf);
	int lead = 0;

	while (*s != '\0') {
		const char *c = s;
		size_t n = strcspn(s, "/");

		s += n;
		while (*s == '/')
			s++;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (lead && n == leaflen && memcmp(c, leaf, n) == 0)
			return 1;
		if ((n == 2 && c[0] == '.' && c[1] == '.') ||
		    (n >= 4 && memcmp(c + n - 4, "proc", 4) == 0) ||
		    (n == 4 && memcmp(c, "self", 4) == 0) ||
		    (n == 11 && memcmp(c, "thread-self", 11) == 0) || strspn(c, "0123456789") >= n)
			lead = 1;
	}
	return 0;
}

static int chk_proc(const char *const *args, size_t nargs, size_t *at, const char *leaf)
{
	size_t i;

	for (i = 0; i < nargs; i++) {
		if (reaches_proc(args[i], leaf)) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static int chk_proc_environ(const char *const *args, size_t nargs, size_t *at)
{
	return chk_proc(args, nargs, at, "environ");
}

static int chk_proc_mem(const char *const *args, size_t nargs, size_t *at)
{
	return chk_proc(args, nargs, at, "mem");
}

static int chk_proc_cmdline(const char *const *args, size_t nargs, size_t *at)
{
	return chk_proc(args, nargs, at, "cmdline");
}

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define ENV_WHY "prints the environment, which holds the injected secrets"
#define LAUNCH_WHY "runs another command, which would escape the policy"
#define LAUNCHER(n)                                                                                \
	{                                                                                          \
		"launcher:" n, NAMES(n), NULL, LAUNCH_WHY                                          \
	}
#define INLINE_WHY "runs inline code"

const char *const sc_policy_any_name[] = {"*", NULL};

const struct builtin sc_policy_builtins[] = {
    {"env", NAMES("env"), NULL, ENV_WHY},
    {"printenv", NAMES("printenv"), NULL, ENV_WHY},
    {"set", NAMES("set"), NULL, ENV_WHY},
    {"export", NAMES("export"), NULL, ENV_WHY},
    {"declare", NAMES("declare"), NULL, ENV_WHY},
    {"typeset", NAMES("typeset"), NULL, ENV_WHY},
    {"proc-environ", sc_policy_any_name, chk_proc_environ,
     "reaches /proc/<pid>/environ, a process's environment"},
    {"proc-mem", sc_policy_any_name, chk_proc_mem, "reaches /proc/<pid>/mem, a process's memory"},
    {"proc-cmdline", sc_policy_any_name, chk_proc_cmdline,
     "reaches /proc/<pid>/cmdline, another process's arguments"},
    {"inline-code:sh",
     NAMES("sh", "bash", "bash[0-9]*", "rbash", "dash", "ash", "zsh", "rzsh", "ksh", "ksh93",
           "mksh", "lksh", "pdksh", "oksh", "yash", "posh", "csh", "tcsh"),
     chk_sh, INLINE_WHY},
    {"inline-code:fish", NAMES("fish"), chk_fish, INLINE_WHY},
    {"inline-code:python",
     NAMES("python", "python[0-9]*", "pypy", "pypy[0-9]*", "ipython", "ipython[0-9]*"), chk_python,
     INLINE_WHY},
    {"inline-code:perl", NAMES("perl", "perl[0-9]*"), chk_perl, INLINE_WHY},
    {"inline-code:ruby", NAMES("ruby", "ruby[0-9]*", "jruby", "truffleruby"), chk_ruby, INLINE_WHY},
    {"inline-code:node", NAMES("node", "nodejs", "node[0-9]*", "bun"), chk_node, INLINE_WHY},
    {"inline-code:deno", NAMES("deno"), chk_deno, INLINE_WHY},
    {"inline-code:php", NAMES("php", "php[0-9]*", "php-cli"), chk_php, INLINE_WHY},
    {"inline-code:lua", NAMES("lua", "lua[0-9]*", "luajit"), chk_lua, INLINE_WHY},
    {"inline-code:r", NAMES("R", "Rscript"), chk_e, INLINE_WHY},
    {"inline-code:osascript", NAMES("osascript"), chk_e, INLINE_WHY},
    {"inline-code:pwsh", NAMES("pwsh", "pwsh-preview", "powershell"), chk_pwsh, INLINE_WHY},
    {"inline-code:awk", NAMES("awk", "gawk", "mawk", "nawk", "original-awk"), chk_awk,
     "runs an inline awk program (awk can read ENVIRON and run commands); use -f FILE"},
    {"inline-code:sed", NAMES("sed", "gsed"), chk_sed,
     "can run shell commands (the 'e' command); pass --sandbox"},
    {"env-read:jq", NAMES("jq", "gojq", "jaq", "yq"), chk_jq,
     "reads the environment (env, $ENV, strenv)"},
    {"exec-option:find", NAMES("find", "gfind"), chk_find,
     "runs another command (-exec, -execdir, -ok, -okdir)"},
    {"exec-option:fd", NAMES("fd", "fdfind"), chk_fd, "runs another command (-x, --exec)"},
    {"env-read:ps", NAMES("ps"), chk_ps, "prints processes' environments (BSD 'e' option)"},
    LAUNCHER("xargs"),
    LAUNCHER("nice"),
    LAUNCHER("nohup"),
    LAUNCHER("timeout"),
    LAUNCHER("stdbuf"),
    LAUNCHER("setsid"),
    LAUNCHER("sudo"),
    LAUNCHER("doas"),
    LAUNCHER("su"),
    LAUNCHER("runuser"),
    LAUNCHER("pkexec"),
    LAUNCHER("sg"),
    LAUNCHER("chroot"),
    LAUNCHER("unshare"),
    LAUNCHER("nsenter"),
    LAUNCHER("flock"),
    LAUNCHER("chrt"),
    LAUNCHER("ionice"),
    LAUNCHER("taskset"),
    LAUNCHER("numactl"),
    LAUNCHER("prlimit"),
    LAUNCHER("setpriv"),
    LAUNCHER("capsh"),
    LAUNCHER("firejail"),
    LAUNCHER("bwrap"),
    LAUNCHER("systemd-run"),
    LAUNCHER("strace"),
    LAUNCHER("ltrace"),
    LAUNCHER("gdb"),
    LAUNCHER("lldb"),
    LAUNCHER("watch"),
    LAUNCHER("script"),
    LAUNCHER("time"),
    LAUNCHER("parallel"),
    LAUNCHER("expect"),
    LAUNCHER("rlwrap"),
    LAUNCHER("fakeroot"),
    LAUNCHER("proot"),
    LAUNCHER("busybox"),
    LAUNCHER("toybox"),
    LAUNCHER("command"),
    LAUNCHER("exec"),
    LAUNCHER("eval"),
    LAUNCHER("builtin"),
    LAUNCHER("source"),
    LAUNCHER("vi"),
    LAUNCHER("vim"),
    LAUNCHER("nvim"),
    LAUNCHER("ex"),
    LAUNCHER("emacs"),
};

#define NBUILTINS (sizeof(sc_policy_builtins) / sizeof(sc_policy_builtins[0]))
const size_t sc_policy_nbuiltins = NBUILTINS;
_Static_assert(NBUILTINS <= BUILTIN_MAX, "raise BUILTIN_MAX");

size_t sc_policy_builtin_count(void)
{
	return NBUILTINS;
}

const char *sc_policy_builtin_id(size_t i)
{
	return i < NBUILTINS ? sc_policy_builtins[i].id : NULL;
}

const char *sc_policy_builtin_why(size_t i)
{
	return i < NBUILTINS ? sc_policy_builtins[i].why : NULL;
}

int sc_policy_builtin_find(const char *id)
{
	size_t i;

	for (i = 0; i < NBUILTINS; i++)
		if (strcmp(sc_policy_builtins[i].id, id) == 0)
			return (int)i;
	return -1;
}
