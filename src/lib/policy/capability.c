/* capability.c - which programs run code they are given, and the pins that
 * let one of them receive a secret (issue 11 item 1; docs/POLICY.md
 * "Programs that run code").
 *
 * A program in the table below executes code taken from its arguments or
 * from files it reads (a script, a Makefile, a git config, an awk program).
 * Whoever chooses its arguments, or writes those files, chooses what it
 * does with the secrets in its environment: print them reversed, for one.
 * No argument lexer can see that, so such a program receives a secret only
 * through a rule that pins its whole argv exactly, with every script it is
 * given by an absolute path pinned by SHA-256 (`files:`), and optionally
 * the program itself (`sha256:`). Everything else in the table may still
 * run, without secrets. */
#include <sodium.h>

#include "policy/policy_int.h"

/* fnmatch patterns over a program's basename (the resolved real path's and
 * the name given; either counts). Kept in one place: docs/POLICY.md lists
 * the same names. */
static const char *const code_runners[] = {
    /* shells */
    "sh", "bash", "bash[0-9]*", "rbash", "dash", "ash", "zsh", "rzsh", "ksh", "ksh93", "mksh",
    "lksh", "pdksh", "oksh", "yash", "posh", "csh", "tcsh", "fish", "elvish", "nu", "xonsh", "pwsh",
    "pwsh-preview", "powershell",
    /* interpreters and runtimes */
    "python", "python[0-9]*", "pypy", "pypy[0-9]*", "ipython", "ipython[0-9]*", "perl",
    "perl[0-9]*", "ruby", "ruby[0-9]*", "jruby", "truffleruby", "irb", "node", "nodejs",
    "node[0-9]*", "bun", "deno", "php", "php[0-9]*", "php-cli", "lua", "lua[0-9]*", "luajit", "R",
    "Rscript", "julia", "tclsh", "tclsh[0-9]*", "wish", "wish[0-9]*", "guile", "guile[0-9]*",
    "racket", "sbcl", "clisp", "ocaml", "ghci", "runghc", "java", "jshell", "groovy", "scala",
    "kotlin", "dotnet", "osascript", "gdb", "lldb",
    /* text programs with a language */
    "awk", "gawk", "mawk", "nawk", "original-awk", "busybox", "toybox", "sed", "gsed", "jq", "gojq",
    "jaq", "yq", "m4", "gm4", "ed", "ex", "vi", "vim", "nvim", "emacs", "nano", "less", "more",
    "most", "man",
    /* builds and package runners: they run what the project's files say */
    "make", "gmake", "bmake", "cmake", "ninja", "meson", "scons", "bazel", "ant", "mvn", "gradle",
    "npm", "npx", "pnpm", "pnpx", "yarn", "corepack", "pip", "pip[0-9]*", "pipx", "poetry", "uv",
    "uvx", "cargo", "rustc", "go", "gcc", "gcc-[0-9]*", "g++", "cc", "c++", "clang", "clang-[0-9]*",
    "clang++", "tox", "nox", "rake", "bundle", "gem", "composer", "terraform", "tofu", "ansible",
    "ansible-playbook", "docker", "podman", "kubectl",
    /* programs with an option that runs a command or a hook */
    "git", "hg", "svn", "ssh", "scp", "sftp", "rsync", "tar", "gtar", "zip", "find", "gfind", "fd",
    "fdfind", "xargs", "parallel", "env", "timeout", "nice", "nohup", "stdbuf", "setsid", "watch",
    "script", "time", "expect", "flock", "tmux", "screen", "sudo", "doas", "su", "runuser",
    "setpriv", "strace", "ltrace", "chroot", "unshare", "nsenter", "bwrap", "firejail",
    "systemd-run", NULL};

int sc_policy_runs_code(const char *base)
{
	size_t i;

	if (base == NULL || base[0] == '\0')
		return 0;
	for (i = 0; code_runners[i] != NULL; i++)
		if (fnmatch(code_runners[i], base, 0) == 0)
			return 1;
	return 0;
}

/* ---- pins: `sha256:` (the program) and `files:` (scripts) ---------------- */

static int hex32(const char *s, uint8_t out[32])
{
	size_t n = 0;

	if (strlen(s) != 64)
		return -1;
	if (sodium_hex2bin(out, 32, s, 64, NULL, &n, NULL) != 0 || n != 32)
		return -1;
	return 0;
}

int sc_policy_pin_parse(struct pctx *c, const char *key, const struct ynode *v, struct cmdent *e)
{
	size_t i;

	if (strcmp(key, "sha256") == 0) {
		if (v->kind != Y_SCALAR || hex32(v->str, e->prog_sha) != 0)
			return sc_policy_perr(
			    c, v->line, "sha256 must be the program's SHA-256, 64 hex digits");
		e->has_prog_sha = 1;
		return SC_OK;
	}
	/* files: {"/abs/path/script.py": "<64 hex>", ...} */
	if (v->kind != Y_MAP)
		return sc_policy_perr(c, v->line,
		                      "files must be a map of absolute paths to SHA-256 digests");
	if (v->nkids / 2 > SC_POLICY_PINS_MAX)
		return sc_policy_perr(c, v->line, "files pins at most %d files",
		                      SC_POLICY_PINS_MAX);
	if ((e->files = calloc(v->nkids / 2 + 1, sizeof(*e->files))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i + 1 < v->nkids; i += 2) {
		const struct ynode *k = v->kids[i], *h = v->kids[i + 1];
		struct filepin *f = &e->files[e->nfiles];

		if (k->kind != Y_SCALAR || k->str[0] != '/' || strlen(k->str) >= PATH_MAX)
			return sc_policy_perr(c, k->line, "a pinned file needs an absolute path");
		if (h->kind != Y_SCALAR || hex32(h->str, f->sha) != 0)
			return sc_policy_perr(c, h->line,
			                      "the pin of '%s' must be its SHA-256, 64 hex digits",
			                      k->str);
		if ((f->path = strdup(k->str)) == NULL)
			return SC_ERR_NOMEM;
		e->nfiles++;
	}
	return SC_OK;
}

void sc_policy_pins_release(struct cmdent *e)
{
	size_t i;

	for (i = 0; i < e->nfiles; i++)
		free(e->files[i].path);
	free(e->files);
	e->files = NULL;
	e->nfiles = 0;
}

/* 1 when the file at path is a regular file whose SHA-256 is want; 0 when
 * it differs; -1 when it cannot be read (every case denies). */
static int file_is(const char *path, const uint8_t want[32])
{
	crypto_hash_sha256_state st;
	uint8_t buf[65536], got[32];
	struct stat sb;
	ssize_t k;
	int fd, ok;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)) < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	crypto_hash_sha256_init(&st);
	while ((k = read(fd, buf, sizeof(buf))) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			close(fd);
			return -1;
		}
		crypto_hash_sha256_update(&st, buf, (unsigned long long)k);
	}
	close(fd);
	crypto_hash_sha256_final(&st, got);
	ok = sodium_memcmp(got, want, 32) == 0;
	return ok ? 1 : 0;
}

int sc_policy_argpat_exact(const struct argpat *a)
{
	size_t i;

	if (a->rest)
		return 0;
	for (i = 0; i < a->ntok; i++)
		if (strpbrk(a->tok[i], "*?[\\") != NULL)
			return 0;
	return 1;
}

static int capdeny(char *reason, size_t reasonlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int capdeny(char *reason, size_t reasonlen, const char *fmt, ...)
{
	va_list ap;

	if (reason != NULL && reasonlen > 0) {
		va_start(ap, fmt);
		vsnprintf(reason, reasonlen, fmt, ap);
		va_end(ap);
	}
	return SC_ERR_DENIED;
}

int sc_policy_pins_check(const struct cmdent *e, const char *resolved, char *reason,
                         size_t reasonlen)
{
	size_t i;

	if (e == NULL)
		return SC_OK;
	if (e->has_prog_sha && file_is(resolved, e->prog_sha) != 1)
		return capdeny(reason, reasonlen,
		               "the program '%s' is not the one the rule on policy line %d pins by "
		               "sha256 (changed, or unreadable)",
		               resolved, e->line);
	for (i = 0; i < e->nfiles; i++)
		if (file_is(e->files[i].path, e->files[i].sha) != 1)
			return capdeny(
			    reason, reasonlen,
			    "the file '%s' is not the one the rule on policy line %d pins "
			    "by sha256 (changed, or unreadable)",
			    e->files[i].path, e->line);
	return SC_OK;
}

int sc_policy_capability_check(const struct cmdent *e, int pat, const char *name,
                               const char *const *args, size_t nargs, char *reason,
                               size_t reasonlen)
{
	size_t i, j;

	if (e == NULL || e->npats == 0 || pat < 0 || (size_t)pat >= e->npats ||
	    !sc_policy_argpat_exact(&e->pats[pat]))
		return capdeny(
		    reason, reasonlen,
		    "'%s' runs code it is given, so it receives a secret only through a "
		    "rule that pins its exact arguments (rules: - command: %s, args: "
		    "['...'], secrets: [...]; docs/POLICY.md); it may run without secrets",
		    name, name);
	/* a script given by its path must be pinned: its content is the code */
	for (i = 0; i < nargs; i++) {
		struct stat sb;

		if (args[i][0] != '/' || stat(args[i], &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		for (j = 0; j < e->nfiles; j++)
			if (strcmp(e->files[j].path, args[i]) == 0)
				break;
		if (j == e->nfiles)
			return capdeny(
			    reason, reasonlen,
			    "'%s' would run the file '%s' with a secret, and the rule on "
			    "policy line %d does not pin it (files: {\"%s\": <sha256>})",
			    name, args[i], e->line, args[i]);
	}
	return SC_OK;
}
