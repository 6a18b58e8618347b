/* pin.c - "always" of an approval: a rule that allows exactly one run
 * (its real program, every argument literally, its secrets by name), added
 * to the policy file without touching the rest of it, atomically. */
#include <time.h>

#include "policy/policy_int.h"

struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *np = sc_fault_hit(SC_FAULT_ALLOC) ? NULL : realloc(b->p, cap);

		if (np == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* s as an fnmatch pattern that matches s only: \ before * ? [ and \. */
static void sb_literal(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		if (strchr("*?[\\", *s) != NULL)
			sb_add(b, "\\", 1);
		sb_add(b, s, 1);
	}
}

/* A YAML double-quoted scalar: only " and \ need escaping (control
 * characters were refused before). */
static void sb_yaml_quoted(struct sbuf *b, const char *s)
{
	sb_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_add(b, "\\", 1);
		sb_add(b, s, 1);
	}
	sb_add(b, "\"", 1);
}

/* One argument as one token of an argument pattern (policy/schema.c's
 * tokenizer: quotes group, no escapes, a backslash stays for fnmatch): the
 * literal pattern in single quotes, a ' itself in double quotes. */
static void sb_arg_token(struct sbuf *b, const char *arg)
{
	struct sbuf lit = {0};
	const char *s;

	sb_literal(&lit, arg);
	if (lit.oom) {
		free(lit.p);
		b->oom = 1;
		return;
	}
	sb_add(b, "'", 1);
	for (s = lit.p != NULL ? lit.p : ""; *s; s++) {
		if (*s == '\'')
			sb_str(b, "'\"'\"'");
		else
			sb_add(b, s, 1);
	}
	sb_add(b, "'", 1);
	free(lit.p);
}

static int perr(char *err, size_t errlen, int r, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	sc_set_error("%s", msg);
	return r;
}

/* The rule as one YAML flow mapping. */
static int pin_rule(const char *resolved, const char *const *args, size_t nargs,
                    const char *const *secrets, size_t nsecrets, char **out, char *err,
                    size_t errlen)
{
	struct sbuf pat = {0}, rule = {0};
	size_t i;

	*out = NULL;
	if (resolved == NULL || resolved[0] != '/' || sc_policy_has_ctl(resolved))
		return perr(err, errlen, SC_ERR_INVALID, "the program's path cannot be pinned");
	if (nargs > SC_POLICY_MAX_TOKENS)
		return perr(err, errlen, SC_ERR_INVALID,
		            "too many arguments to pin in a rule (at most 64)");
	for (i = 0; i < nargs; i++) {
		if (sc_policy_has_ctl(args[i])) {
			free(pat.p);
			return perr(err, errlen, SC_ERR_INVALID,
			            "an argument holds control characters, which a rule cannot "
			            "match");
		}
		if (i > 0)
			sb_add(&pat, " ", 1);
		sb_arg_token(&pat, args[i]);
	}
	if (pat.n > SC_POLICY_MAX_STRING) {
		free(pat.p);
		return perr(err, errlen, SC_ERR_INVALID,
		            "the arguments are too long to pin in a rule");
	}
	sb_str(&rule, "{command: ");
	sb_yaml_quoted(&rule, resolved);
	sb_str(&rule, ", args: [");
	sb_yaml_quoted(&rule, pat.p != NULL ? pat.p : "");
	sb_str(&rule, "], secrets: [");
	for (i = 0; i < nsecrets; i++) {
		struct sbuf lit = {0};

		if (sc_policy_has_ctl(secrets[i])) {
			free(pat.p);
			free(rule.p);
			return perr(err, errlen, SC_ERR_INVALID, "a secret name cannot be pinned");
		}
		sb_literal(&lit, secrets[i]);
		if (i > 0)
			sb_str(&rule, ", ");
		sb_yaml_quoted(&rule, lit.p != NULL ? lit.p : "");
		rule.oom |= lit.oom;
		free(lit.p);
	}
	sb_str(&rule, "]}");
	free(pat.p);
	if (pat.oom || rule.oom) {
		free(rule.p);
		return SC_ERR_NOMEM;
	}
	*out = rule.p;
	return SC_OK;
}

static const struct ynode *root_key(const struct ynode *root, const char *key)
{
	size_t i;

	for (i = 0; i + 1 < root->nkids; i += 2)
		if (root->kids[i]->kind == Y_SCALAR && strcmp(root->kids[i]->str, key) == 0)
			return root->kids[i + 1];
	return NULL;
}

/* buf with the rule put in: a new item first in a block or flow `rules:`
 * list, or a new `rules:` at the end. */
static int pin_insert(const char *buf, size_t len, const char *rule, struct sbuf *nb, char *err,
                      size_t errlen)
{
	struct pctx c = {NULL, 0};
	struct ynode *root = NULL;
	const struct ynode *rules;
	char stamp[64] = "", comment[128];
	time_t now = time(NULL);
	struct tm tm;
	int r = SC_OK;

	if (gmtime_r(&now, &tm) != NULL)
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(comment, sizeof(comment), "  # approved by the user through the MCP client, %s\n",
	         stamp);
	if ((r = sc_policy_ytree_build(buf, len, &root, &c)) != SC_OK) {
		sc_clear_error();
		return r == SC_ERR_NOMEM ? r : perr(err, errlen, r, "the policy does not parse");
	}
	if (root == NULL || root->kind != Y_MAP) {
		r = perr(err, errlen, SC_ERR_INVALID, "the policy is not a mapping of keys");
		goto out;
	}
	rules = root_key(root, "rules");
	if (rules == NULL) {
		if (root->flow || root->col != 0) {
			r = perr(err, errlen, SC_ERR_INVALID,
			         "the policy's keys are not in block style at column 0");
			goto out;
		}
		sb_add(nb, buf, len);
		if (len > 0 && buf[len - 1] != '\n')
			sb_str(nb, "\n");
		sb_str(nb, "rules:\n  - ");
		sb_str(nb, rule);
		sb_str(nb, comment);
	} else if (rules->kind == Y_SEQ && rules->flow && rules->off < len &&
	           buf[rules->off] == '[') {
		sb_add(nb, buf, rules->off + 1);
		sb_str(nb, rule);
		if (rules->nkids > 0)
			sb_str(nb, ", ");
		sb_add(nb, buf + rules->off + 1, len - rules->off - 1);
	} else if (rules->kind == Y_SEQ && !rules->flow && rules->off < len &&
	           rules->off >= rules->col && buf[rules->off] == '-' &&
	           strspn(buf + rules->off - rules->col, " ") == rules->col) {
		size_t ls = rules->off - rules->col, i;

		sb_add(nb, buf, ls);
		for (i = 0; i < rules->col; i++)
			sb_str(nb, " ");
		sb_str(nb, "- ");
		sb_str(nb, rule);
		sb_str(nb, comment);
		sb_add(nb, buf + ls, len - ls);
	} else {
		r = perr(err, errlen, SC_ERR_INVALID,
		         "the policy's 'rules' is not a list a rule can be added to (write "
		         "'rules: []' for none)");
		goto out;
	}
	if (nb->oom)
		r = SC_ERR_NOMEM;
out:
	sc_policy_ynode_free(root);
	return r;
}

int sc_policy_pin_text(const char *buf, size_t len, const char *resolved, const char *const *args,
                       size_t nargs, const char *const *secrets, size_t nsecrets, char **out,
                       size_t *outlen, char *err, size_t errlen)
{
	struct sc_policy *p0 = NULL, *p1 = NULL;
	struct sbuf nb = {0};
	char *rule = NULL, why[256];
	int r, ask;

	if (out == NULL || outlen == NULL || buf == NULL || (args == NULL && nargs > 0) ||
	    (secrets == NULL && nsecrets > 0))
		return SC_ERR_INVALID;
	*out = NULL;
	*outlen = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((r = sc_policy_parse(buf, len, &p0, NULL, 0)) != SC_OK) {
		r = r == SC_ERR_NOMEM ? r : perr(err, errlen, r, "the policy does not parse");
		goto out;
	}
	if ((r = pin_rule(resolved, args, nargs, secrets, nsecrets, &rule, err, errlen)) != SC_OK)
		goto out;
	if ((r = pin_insert(buf, len, rule, &nb, err, errlen)) != SC_OK)
		goto out;
	/* The new text must read as the old plus one rule, and that rule must
	 * allow the run: otherwise nothing is written. */
	if ((r = sc_policy_parse(nb.p, nb.n, &p1, why, sizeof(why))) != SC_OK) {
		r = r == SC_ERR_NOMEM ? r
		                      : perr(err, errlen, SC_ERR_INVALID,
		                             "the rule would not read back as written");
		goto out;
	}
	if (p1->nallowed != p0->nallowed + 1 || p1->ndenied != p0->ndenied ||
	    p1->nbind != p0->nbind || p1->nenv != p0->nenv ||
	    p1->default_allow != p0->default_allow || p1->default_ask != p0->default_ask) {
		r = perr(err, errlen, SC_ERR_INVALID, "the rule would change other entries");
		goto out;
	}
	r = sc_policy_decide_run(p1, resolved, resolved, args, nargs, secrets, nsecrets, &ask, why,
	                         sizeof(why));
	sc_clear_error();
	if (r != SC_OK) {
		r = perr(err, errlen, SC_ERR_INVALID,
		         "the policy's other entries would still refuse or ask for this run");
		goto out;
	}
	*out = nb.p;
	*outlen = nb.n;
	nb.p = NULL;
out:
	free(nb.p);
	free(rule);
	sc_policy_free(p0);
	sc_policy_free(p1);
	return r;
}

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, r;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return SC_ERR_INVALID;
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return SC_ERR_IO;
	r = fsync(fd) == 0 ? SC_OK : SC_ERR_IO;
	close(fd);
	return r;
}

int sc_policy_pin_add(const char *path, const char *resolved, const char *const *args, size_t nargs,
                      const char *const *secrets, size_t nsecrets, char *err, size_t errlen)
{
	struct stat st, now;
	char *buf = NULL, *nbuf = NULL, tmp[PATH_MAX];
	size_t len = 0, nlen = 0;
	int fd = -1, r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL)
		return SC_ERR_INVALID;
	tmp[0] = '\0';
	if ((r = sc_policy_read_file(path, &buf, &len, &st, err, errlen)) != SC_OK)
		return r;
	if ((r = sc_policy_pin_text(buf, len, resolved, args, nargs, secrets, nsecrets, &nbuf,
	                            &nlen, err, errlen)) != SC_OK)
		goto out;
	if (nlen > SC_POLICY_MAX_BYTES) {
		r = perr(err, errlen, SC_ERR_TOOBIG, "the policy would grow over 256 KiB");
		goto out;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		tmp[0] = '\0';
		r = perr(err, errlen, SC_ERR_INVALID, "the policy's path is too long");
		goto out;
	}
	if ((fd = sc_fault_hit(SC_FAULT_IO) ? (errno = EIO, -1) : mkostemp(tmp, O_CLOEXEC)) < 0) {
		tmp[0] = '\0';
		r = perr(err, errlen, sc_status_from_errno(errno),
		         "cannot create a file beside the policy");
		goto out;
	}
	if (fchmod(fd, st.st_mode & 0700) != 0 || sc_fd_write_all(fd, nbuf, nlen) != SC_OK ||
	    (sc_fault_hit(SC_FAULT_IO) ? (errno = EIO, 1) : fsync(fd) != 0)) {
		r = perr(err, errlen, sc_status_from_errno(errno), "cannot write the new policy");
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = perr(err, errlen, sc_status_from_errno(errno), "cannot write the new policy");
		goto out;
	}
	fd = -1;
	/* Only over the file that was read (an edit meanwhile wins). */
	if (lstat(path, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino ||
	    now.st_size != st.st_size || now.st_mtim.tv_sec != st.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
		r = perr(err, errlen, SC_ERR_BUSY, "the policy file changed meanwhile");
		goto out;
	}
	if (rename(tmp, path) != 0) {
		r = perr(err, errlen, sc_status_from_errno(errno), "cannot replace the policy");
		goto out;
	}
	tmp[0] = '\0';
	if ((r = fsync_dir(path)) != SC_OK)
		r = perr(err, errlen, r,
		         "the new policy is in place, but its directory's sync failed");
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	free(buf);
	free(nbuf);
	return r;
}
