/* report.c - what a policy lets through, rule by rule, for `secretctl mcp
 * policy check`: which secrets can reach which programs, and a warning for
 * each rule that lets a secret reach a program able to read files it is
 * given (issue 11 item 1). The library formats; the caller prints. */
#include "policy/policy_int.h"

/* Programs that read (or send) files named in their arguments: a secret in
 * their environment is not the risk, what they can read is. */
static const char *const file_readers[] = {
    "cat",       "tac",     "head",  "tail",   "less", "more", "grep",  "egrep",   "fgrep",
    "rg",        "ag",      "cp",    "mv",     "dd",   "od",   "xxd",   "hexdump", "base64",
    "base32",    "rev",     "nl",    "cut",    "sort", "uniq", "paste", "tr",      "wc",
    "strings",   "diff",    "cmp",   "curl",   "wget", "scp",  "rsync", "tar",     "zip",
    "gzip",      "zcat",    "bzip2", "xz",     "zstd", "file", "stat",  "openssl", "gpg",
    "sha256sum", "md5sum",  "iconv", "column", "fold", "fmt",  "pr",    "split",   "csplit",
    "tee",       "install", "ln",    "ls",     "du",   "psql", "mysql", "sqlite3", "aws",
    "gsutil",    "az",      "gh",    NULL};

static int reads_files(const char *base)
{
	size_t i;

	for (i = 0; file_readers[i] != NULL; i++)
		if (strcmp(file_readers[i], base) == 0)
			return 1;
	return 0;
}

static const char *base_of(const char *s)
{
	const char *b = strrchr(s, '/');

	return b ? b + 1 : s;
}

/* The secrets an entry lets in, as words: its own list, or every one. */
static void secrets_words(const struct cmdent *e, char *buf, size_t n)
{
	size_t i, used = 0;

	if (!e->has_secrets) {
		snprintf(buf, n, "every secret");
		return;
	}
	if (e->nsecrets == 0) {
		snprintf(buf, n, "no secret");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < e->nsecrets && used + 1 < n; i++) {
		int k = snprintf(buf + used, n - used, "%s'%s'", i ? ", " : "", e->secrets[i]);

		if (k < 0 || (size_t)k >= n - used)
			break;
		used += (size_t)k;
	}
}

static void say(sc_policy_report_fn fn, void *arg, int warn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(sc_policy_report_fn fn, void *arg, int warn, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(arg, warn, line);
}

static void report_entry(const struct cmdent *e, sc_policy_report_fn fn, void *arg)
{
	const char *base = base_of(e->cmd);
	char sec[512];
	size_t i, npin = 0;

	secrets_words(e, sec, sizeof(sec));
	for (i = 0; i < e->npats; i++)
		npin += sc_policy_argpat_exact(&e->pats[i]);
	if (e->ask)
		say(fn, arg, 0, "line %d: '%s': asks the user before each run", e->line, e->cmd);
	if (sc_policy_runs_code(base)) {
		if (npin == 0) {
			say(fn, arg, 0,
			    "line %d: '%s' runs code it is given: it runs without secrets (no "
			    "exact "
			    "argv pin)",
			    e->line, e->cmd);
			return;
		}
		say(fn, arg, 0,
		    "line %d: '%s' runs code it is given: %s only with %zu exact argv pin%s%s",
		    e->line, e->cmd, sec, npin, npin == 1 ? "" : "s",
		    e->nfiles ? ", its pinned files unchanged" : "");
		for (i = 0; i < e->npats; i++)
			if (sc_policy_argpat_exact(&e->pats[i]))
				for (size_t a = 0; a < e->pats[i].ntok; a++)
					if (e->pats[i].tok[a][0] != '/' &&
					    strchr(e->pats[i].tok[a], '.') &&
					    e->pats[i].tok[a][0] != '-')
						say(fn, arg, 1,
						    "line %d: '%s' is given '%s' by a relative "
						    "name: the "
						    "working directory decides what runs; give it "
						    "by its "
						    "absolute path and pin it with files:",
						    e->line, e->cmd, e->pats[i].tok[a]);
		return;
	}
	say(fn, arg, 0, "line %d: '%s'%s: %s can reach it", e->line, e->cmd,
	    e->npats ? " (with the argument patterns listed)" : " (any arguments)", sec);
	if (reads_files(base) && !(e->has_secrets && e->nsecrets == 0))
		say(fn, arg, 1,
		    "line %d: '%s' reads files it is given: with a secret in it, it can print or "
		    "send any file the run can read (confinement hides /proc and the vault)",
		    e->line, e->cmd);
	else if (e->npats == 0 && !(e->has_secrets && e->nsecrets == 0))
		say(fn, arg, 1,
		    "line %d: '%s' takes any arguments with %s: give it argument patterns, or "
		    "secrets: [...]",
		    e->line, e->cmd, sec);
}

void sc_policy_report(const struct sc_policy *p, sc_policy_report_fn fn, void *arg)
{
	size_t i, j;

	if (p == NULL || fn == NULL)
		return;
	for (i = 0; i < p->nallowed; i++)
		report_entry(&p->allowed[i], fn, arg);
	for (i = 0; i < p->nbind; i++) {
		const struct binding *b = &p->bind[i];
		char cmds[512];
		size_t used = 0;

		cmds[0] = '\0';
		for (j = 0; j < b->ncmds && used + 1 < sizeof(cmds); j++) {
			int k = snprintf(cmds + used, sizeof(cmds) - used, "%s'%s'", j ? ", " : "",
			                 b->cmds[j].cmd);

			if (k < 0 || (size_t)k >= sizeof(cmds) - used)
				break;
			used += (size_t)k;
		}
		say(fn, arg, 0, "line %d: secrets matching '%s' reach only %s", b->line, b->glob,
		    cmds);
	}
	if (p->default_allow)
		say(fn, arg, 1,
		    "default_action: allow: every program no entry names (and that runs no code) "
		    "can receive every secret");
	else if (p->default_ask)
		say(fn, arg, 0, "default_action: ask: a run no entry allows is put to the user");
}
