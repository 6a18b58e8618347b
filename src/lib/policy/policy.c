/* policy.c - the MCP command policy (mcp-policy.yaml, the Go secretctl's
 * shape plus our extensions): the policy object, parse, load, limits. */
#include "policy/policy_int.h"

static void argpat_release(struct argpat *a)
{
	size_t i;

	for (i = 0; i < a->ntok; i++)
		free(a->tok[i]);
	free(a->tok);
	free(a->text);
}

static void cmdent_release(struct cmdent *e)
{
	size_t i;

	free(e->cmd);
	free(e->real);
	for (i = 0; i < e->npats; i++)
		argpat_release(&e->pats[i]);
	free(e->pats);
	for (i = 0; i < e->nsecrets; i++)
		free(e->secrets[i]);
	free(e->secrets);
	sc_policy_pins_release(e);
}

void sc_policy_free(struct sc_policy *p)
{
	size_t i, j;

	if (p == NULL)
		return;
	for (i = 0; i < p->nallowed; i++)
		cmdent_release(&p->allowed[i]);
	free(p->allowed);
	for (i = 0; i < p->ndenied; i++)
		cmdent_release(&p->denied[i]);
	free(p->denied);
	for (i = 0; i < p->nbind; i++) {
		free(p->bind[i].glob);
		for (j = 0; j < p->bind[i].ncmds; j++)
			cmdent_release(&p->bind[i].cmds[j]);
		free(p->bind[i].cmds);
	}
	free(p->bind);
	for (i = 0; i < p->nenv; i++) {
		free(p->env[i].env);
		for (j = 0; j < p->env[i].n; j++) {
			free(p->env[i].a[j].pattern);
			free(p->env[i].a[j].target);
		}
		free(p->env[i].a);
	}
	free(p->env);
	for (i = 0; i < p->nconf_write; i++)
		free(p->conf_write[i]);
	free(p->conf_write);
	sc_policy_keys_release(p);
	free(p);
}

static struct sc_policy *policy_new(void)
{
	struct sc_policy *p = sc_fault_hit(SC_FAULT_ALLOC) ? NULL : calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->lim.max_timeout_sec = SC_POLICY_TIMEOUT_DEFAULT;
	p->lim.max_output_bytes = SC_POLICY_OUTPUT_DEFAULT;
	p->lim.max_concurrent = SC_POLICY_CONCURRENT_DEFAULT;
	p->lim.ask_timeout_sec = SC_POLICY_ASK_TIMEOUT_DEFAULT;
	return p;
}

int sc_policy_deny_all(struct sc_policy **out)
{
	if (out == NULL)
		return SC_ERR_INVALID;
	*out = policy_new();
	return *out ? SC_OK : SC_ERR_NOMEM;
}

int sc_policy_parse(const char *buf, size_t len, struct sc_policy **out, char *err, size_t errlen)
{
	struct pctx c = {err, errlen};
	struct ynode *root = NULL;
	struct sc_policy *p = NULL;
	int r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || (buf == NULL && len > 0))
		return SC_ERR_INVALID;
	*out = NULL;
	if (len > SC_POLICY_MAX_BYTES) {
		sc_policy_perr(&c, 1, "policy is larger than %d bytes", SC_POLICY_MAX_BYTES);
		return SC_ERR_TOOBIG;
	}
	if (buf != NULL && memchr(buf, '\0', len) != NULL) {
		/* libyaml stops at a NUL and calls what came before the whole
		 * file ("empty policy" for a file that starts with one) */
		const char *nul = memchr(buf, '\0', len), *q;
		int line = 1;

		for (q = buf; q < nul; q++)
			line += *q == '\n';
		r = sc_policy_perr(&c, line, "not a text file (a NUL byte at offset %zu)",
		                   (size_t)(nul - buf));
		goto out;
	}
	if ((r = sc_policy_ytree_build(buf ? buf : "", len, &root, &c)) != SC_OK)
		goto out;
	if ((p = policy_new()) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = sc_policy_from_tree(&c, root, p)) != SC_OK)
		goto out;
	*out = p;
	p = NULL;
out:
	sc_policy_ynode_free(root);
	sc_policy_free(p);
	return r;
}

/* Where the system's own programs are: a bare name found here, in a
 * root-owned directory nobody else can write, may be a wrapper or an
 * alternative (psql -> pg_wrapper, editor -> vim.basic). */
static const char *const system_dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                          "/usr/bin",        "/sbin",          "/bin"};

static int root_only(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_uid == 0 && (st.st_mode & 022) == 0;
}

/* The real path of the system program a bare name means, or NULL. */
static char *system_real(const char *name)
{
	char buf[PATH_MAX], *real;
	size_t i;

	for (i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++) {
		if (!root_only(system_dirs[i]))
			continue;
		if (snprintf(buf, sizeof(buf), "%s/%s", system_dirs[i], name) >= (int)sizeof(buf))
			continue;
		if (access(buf, X_OK) != 0)
			continue;
		if ((real = realpath(buf, NULL)) == NULL)
			return NULL;
		if (root_only(real))
			return real;
		free(real);
		return NULL;
	}
	return NULL;
}

/* realpath() of every absolute command, so that an entry naming a symlink
 * matches the program it points to; for a bare name, the real path of the
 * system program of that name, so that "psql" allows /usr/bin/psql, which
 * is pg_wrapper (a look-alike elsewhere on PATH resolves to something
 * else and stays refused). */
static int resolve_one(struct cmdent *e)
{
	if (!e->is_path) {
		errno = 0;
		if ((e->real = system_real(e->cmd)) == NULL && errno == ENOMEM)
			return SC_ERR_NOMEM;
		return SC_OK;
	}
	e->real = realpath(e->cmd, NULL);
	if (e->real == NULL && errno == ENOMEM)
		return SC_ERR_NOMEM;
	return SC_OK;
}

static int resolve_paths(struct sc_policy *p)
{
	size_t i, j;
	int r;

	for (i = 0; i < p->nallowed; i++)
		if ((r = resolve_one(&p->allowed[i])) != SC_OK)
			return r;
	for (i = 0; i < p->ndenied; i++)
		if ((r = resolve_one(&p->denied[i])) != SC_OK)
			return r;
	for (i = 0; i < p->nbind; i++)
		for (j = 0; j < p->bind[i].ncmds; j++)
			if ((r = resolve_one(&p->bind[i].cmds[j])) != SC_OK)
				return r;
	return SC_OK;
}

static int lerr(char *err, size_t errlen, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int lerr(char *err, size_t errlen, int r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	sc_set_error("%s", msg);
	return r;
}

int sc_policy_read_file(const char *path, char **bufp, size_t *lenp, struct stat *stp, char *err,
                        size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd = -1, r = SC_OK;

	*bufp = NULL;
	*lenp = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return lerr(err, errlen, SC_ERR_NOT_FOUND,
			            "'%s' does not exist: secret_run is denied until a policy "
			            "allows commands",
			            path);
		if (errno == ELOOP)
			return lerr(err, errlen, SC_ERR_PERM,
			            "'%s' is a symlink; replace it with a regular file", path);
		return lerr(err, errlen, SC_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		r = lerr(err, errlen, SC_ERR_IO, "cannot stat '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = lerr(err, errlen, SC_ERR_PERM, "'%s' is not a regular file", path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		r = lerr(err, errlen, SC_ERR_PERM,
		         "'%s' is owned by uid %u, not by you (uid %u); fix with: chown %u '%s'",
		         path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = lerr(err, errlen, SC_ERR_PERM,
		         "'%s' is accessible by group or others (mode %04o); fix with: chmod 600 "
		         "'%s'",
		         path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_size > SC_POLICY_MAX_BYTES) {
		r = lerr(err, errlen, SC_ERR_TOOBIG, "'%s' is larger than %d bytes", path,
		         SC_POLICY_MAX_BYTES);
		goto out;
	}
	if ((buf = sc_fault_hit(SC_FAULT_ALLOC) ? NULL : malloc(SC_POLICY_MAX_BYTES + 1)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	/* Read to EOF with a bound: the file may have grown since fstat. */
	for (;;) {
		ssize_t n = sc_fault_hit(SC_FAULT_IO)
		                ? (errno = EIO, -1)
		                : read(fd, buf + len, SC_POLICY_MAX_BYTES + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = lerr(err, errlen, SC_ERR_IO, "cannot read '%s': %s", path,
			         strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SC_POLICY_MAX_BYTES) {
			r = lerr(err, errlen, SC_ERR_TOOBIG, "'%s' is larger than %d bytes", path,
			         SC_POLICY_MAX_BYTES);
			goto out;
		}
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	*stp = st;
	buf = NULL;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

int sc_policy_load(const char *path, struct sc_policy **out, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	char perrbuf[448];
	size_t len = 0;
	int r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || path == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if ((r = sc_policy_read_file(path, &buf, &len, &st, err, errlen)) != SC_OK)
		return r;
	if ((r = sc_policy_parse(buf, len, out, perrbuf, sizeof(perrbuf))) != SC_OK) {
		if (r != SC_ERR_NOMEM)
			lerr(err, errlen, r, "%s: %s", path, perrbuf);
		goto out;
	}
	if ((r = resolve_paths(*out)) != SC_OK) {
		sc_policy_free(*out);
		*out = NULL;
	}
out:
	free(buf);
	return r;
}

void sc_policy_limits(const struct sc_policy *p, struct sc_policy_limits *out)
{
	if (out == NULL)
		return;
	if (p != NULL) {
		*out = p->lim;
		return;
	}
	out->max_timeout_sec = SC_POLICY_TIMEOUT_DEFAULT;
	out->max_output_bytes = SC_POLICY_OUTPUT_DEFAULT;
	out->max_concurrent = SC_POLICY_CONCURRENT_DEFAULT;
	out->ask_timeout_sec = SC_POLICY_ASK_TIMEOUT_DEFAULT;
}

void sc_policy_confinement(const struct sc_policy *p, struct sc_policy_confinement *out)
{
	memset(out, 0, sizeof(*out));
	if (p == NULL)
		return;
	out->mode = p->conf_mode;
	out->network = p->conf_net;
	out->write = (const char *const *)p->conf_write;
	out->nwrite = p->nconf_write;
}

int sc_policy_cli_runs(const struct sc_policy *p)
{
	return p != NULL ? p->cli_runs : SC_POLICY_CLI_RUNS_DEFAULT;
}

int sc_policy_cli_runs_obey(const struct sc_policy *p)
{
	return sc_policy_cli_runs(p) == SC_POLICY_CLI_RUNS_POLICY;
}
