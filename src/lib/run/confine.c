/* confine.c - the outside half of confinement: probe what the machine
 * offers and build the bubblewrap command line that runs the helper step
 * (confine_helper.c) inside fresh namespaces. docs/CONFINEMENT.md. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "secretctl/agent.h"
#include "secretctl/confine.h"

#include "run/confine_int.h"

/* Where bubblewrap may live: fixed, never the caller's PATH (a planted
 * "bwrap" would be a sandbox that confines nothing). */
static const char *const bwrap_paths[] = {"/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap",
                                          NULL};

/* The namespaces, for every mode that uses bubblewrap. --unshare-all
 * takes user, IPC, PID, network, UTS and cgroup; --unshare-user makes the
 * user namespace mandatory (--disable-userns needs it). */
static const char *const bwrap_base[] = {
    "--unshare-all", "--unshare-user",    "--disable-userns", "--cap-drop",
    "ALL",           "--die-with-parent", "--new-session",    NULL};

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static int probed;
static struct sc_confine_info probe_info;
static int override_bwrap = -1, override_landlock = -1;

void sc_confine_test_override(int bwrap, int landlock_abi)
{
	pthread_mutex_lock(&probe_lock);
	override_bwrap = bwrap > 0 ? -1 : bwrap; /* only ever takes away */
	override_landlock = landlock_abi > 0 ? -1 : landlock_abi;
	probed = 0;
	pthread_mutex_unlock(&probe_lock);
}

const char *sc_confine_level_name(enum sc_confine_level l)
{
	switch (l) {
	case SC_CONFINE_FULL:
		return "bubblewrap+landlock";
	case SC_CONFINE_NS:
		return "bubblewrap";
	case SC_CONFINE_LANDLOCK:
		return "landlock only";
	case SC_CONFINE_NONE:
		break;
	}
	return "none";
}

/* First line of s, control characters replaced, into buf. */
static void first_line(char *buf, size_t n, const uint8_t *s, size_t len)
{
	size_t i, k = 0;

	for (i = 0; i < len && s[i] != '\n' && k + 1 < n; i++)
		buf[k++] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
	buf[k] = '\0';
}

/* Does bubblewrap set up every namespace we use, here and now? Run it
 * with the same options as a real run, around `bwrap --version`. */
static void probe_bwrap(struct sc_confine_info *in)
{
	const char *argv[32];
	char *const envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
	struct sc_exec_opts o;
	struct sc_exec_result res;
	size_t i, k = 0;
	int r;

	in->bwrap = 0;
	for (i = 0; bwrap_paths[i] != NULL; i++)
		if (access(bwrap_paths[i], X_OK) == 0)
			break;
	if (bwrap_paths[i] == NULL) {
		snprintf(
		    in->why, sizeof(in->why),
		    "bubblewrap is not installed (no bwrap in /usr/bin, /usr/local/bin or /bin)");
		return;
	}
	snprintf(in->bwrap_path, sizeof(in->bwrap_path), "%s", bwrap_paths[i]);
	argv[k++] = in->bwrap_path;
	for (i = 0; bwrap_base[i] != NULL; i++)
		argv[k++] = bwrap_base[i];
	argv[k++] = "--ro-bind";
	argv[k++] = "/";
	argv[k++] = "/";
	argv[k++] = "--dev";
	argv[k++] = "/dev";
	argv[k++] = "--proc";
	argv[k++] = "/proc";
	argv[k++] = "--tmpfs";
	argv[k++] = "/tmp";
	argv[k++] = "--";
	argv[k++] = in->bwrap_path;
	argv[k++] = "--version";
	argv[k] = NULL;
	sc_exec_opts_init(&o);
	o.path = in->bwrap_path;
	o.argv = (char *const *)argv;
	o.envp = envp;
	o.cwd = "/";
	o.timeout_ms = 10000;
	o.capture_max = 512;
	r = sc_exec_run(&o, &res);
	if (r == SC_OK && res.exit_code == 0 && res.out_len > 0) {
		in->bwrap = 1;
	} else if (r != SC_OK) {
		snprintf(in->why, sizeof(in->why), "bubblewrap could not be started: %s",
		         sc_strerror(r));
	} else {
		char line[160];

		first_line(line, sizeof(line), res.err, res.err_len);
		snprintf(in->why, sizeof(in->why),
		         "bubblewrap cannot create the namespaces here (user namespaces "
		         "disabled?): %s",
		         line[0] ? line : "exit status");
	}
	sc_exec_result_release(&res);
}

void sc_confine_probe(struct sc_confine_info *out)
{
	pthread_mutex_lock(&probe_lock);
	if (!probed) {
		memset(&probe_info, 0, sizeof(probe_info));
		probe_info.landlock_abi = sc_confine_landlock_abi();
		if (override_landlock == 0 || getenv("SECRETCTL_TEST_NO_LANDLOCK") != NULL)
			probe_info.landlock_abi = 0;
		if (override_bwrap == 0 || getenv("SECRETCTL_TEST_NO_BWRAP") != NULL)
			snprintf(probe_info.why, sizeof(probe_info.why),
			         "bubblewrap disabled for a test");
		else
			probe_bwrap(&probe_info);
		probed = 1;
	}
	*out = probe_info;
	pthread_mutex_unlock(&probe_lock);
}

/* ---- the prepared command ---- */

struct sc_confine {
	enum sc_confine_level level;
	char *path;
	char **argv;
	size_t argc, cap;
	int oom;
};

static void push(struct sc_confine *cf, const char *s)
{
	char **p;

	if (cf->oom)
		return;
	if (cf->argc + 2 > cf->cap) {
		size_t n = cf->cap ? cf->cap * 2 : 64;

		if ((p = realloc(cf->argv, n * sizeof(*p))) == NULL) {
			cf->oom = 1;
			return;
		}
		cf->argv = p;
		cf->cap = n;
	}
	if ((cf->argv[cf->argc] = strdup(s)) == NULL) {
		cf->oom = 1;
		return;
	}
	cf->argv[++cf->argc] = NULL;
}

static void push2(struct sc_confine *cf, const char *a, const char *b)
{
	push(cf, a);
	push(cf, b);
}

static void push3(struct sc_confine *cf, const char *a, const char *b, const char *c)
{
	push(cf, a);
	push(cf, b);
	push(cf, c);
}

void sc_confine_free(struct sc_confine *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->argc; i++)
		free(cf->argv[i]);
	free(cf->argv);
	free(cf->path);
	free(cf);
}

const char *sc_confine_path(const struct sc_confine *cf)
{
	return cf->path;
}

char *const *sc_confine_argv(const struct sc_confine *cf)
{
	return cf->argv;
}

enum sc_confine_level sc_confine_level(const struct sc_confine *cf)
{
	return cf->level;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* The lists of canonical paths a run works with. */
struct paths {
	char *w[SC_CONFINE_MAX_PATHS + 2];
	size_t nw;
	char *h[SC_CONFINE_MAX_PATHS + 4];
	size_t nh;
};

static void paths_release(struct paths *p)
{
	size_t i;

	for (i = 0; i < p->nw; i++)
		free(p->w[i]);
	for (i = 0; i < p->nh; i++)
		free(p->h[i]);
}

/* Canonical form of an absolute path; NULL when it does not exist. */
static int canon(const char *p, char **out)
{
	*out = NULL;
	if (p == NULL || p[0] != '/')
		return SC_ERR_INVALID;
	if ((*out = realpath(p, NULL)) == NULL)
		return errno == ENOMEM ? SC_ERR_NOMEM : SC_ERR_NOT_FOUND;
	return SC_OK;
}

static int add_hide(struct paths *p, const char *path)
{
	char *c;
	int r;

	if (path == NULL || path[0] != '/')
		return SC_OK; /* an unset $XDG_RUNTIME_DIR and the like */
	if ((r = canon(path, &c)) == SC_ERR_NOT_FOUND)
		return SC_OK; /* nothing there to hide */
	if (r != SC_OK)
		return r;
	if (strcmp(c, "/") == 0 || p->nh >= sizeof(p->h) / sizeof(p->h[0])) {
		free(c);
		return SC_ERR_INVALID;
	}
	p->h[p->nh++] = c;
	return SC_OK;
}

static int collect(const struct sc_confine_opts *c, struct paths *p, char **why)
{
	char *agent_dir = NULL, *cp;
	size_t i;
	int r;

	if (c->nwrite > SC_CONFINE_MAX_PATHS || c->nhide > SC_CONFINE_MAX_PATHS) {
		*why = xasprintf("at most %d write and %d hidden paths", SC_CONFINE_MAX_PATHS,
		                 SC_CONFINE_MAX_PATHS);
		return SC_ERR_TOOBIG;
	}
	for (i = 0; i < c->nwrite; i++) {
		if ((r = canon(c->write_paths[i], &cp)) != SC_OK) {
			*why = xasprintf("write path '%s' %s", c->write_paths[i],
			                 r == SC_ERR_NOT_FOUND ? "does not exist"
			                                       : "is not an absolute path");
			return r == SC_ERR_NOMEM ? r : SC_ERR_INVALID;
		}
		if (strcmp(cp, "/") == 0) {
			free(cp);
			*why = xasprintf("'/' cannot be a write path");
			return SC_ERR_INVALID;
		}
		p->w[p->nw++] = cp;
	}
	for (i = 0; i < c->nhide; i++)
		if ((r = add_hide(p, c->hide_paths[i])) != SC_OK) {
			*why = xasprintf("cannot hide '%s'", c->hide_paths[i]);
			return r;
		}
	/* Always: the agents' sockets, and the user's runtime directory
	 * (session bus, systemd --user: both start processes outside). */
	if ((r = sc_agent_dir(&agent_dir)) == SC_OK)
		r = add_hide(p, agent_dir);
	free(agent_dir);
	if (r == SC_OK)
		r = add_hide(p, getenv("XDG_RUNTIME_DIR"));
	if (r == SC_OK)
		r = add_hide(p, "/run/user");
	if (r != SC_OK) {
		*why = xasprintf("cannot hide the runtime directories");
		return r;
	}
	for (i = 0; i < p->nw; i++) {
		size_t k;

		for (k = 0; k < p->nh; k++)
			if (sc_confine_path_under(p->w[i], p->h[k])) {
				*why = xasprintf("write path '%s' is inside a hidden directory",
				                 p->w[i]);
				return SC_ERR_INVALID;
			}
	}
	return SC_OK;
}

static int hidden(const struct paths *p, const char *path)
{
	size_t k;

	for (k = 0; k < p->nh; k++)
		if (sc_confine_path_under(path, p->h[k]))
			return 1;
	return 0;
}

static int writable(const struct paths *p, const char *path)
{
	size_t k;

	for (k = 0; k < p->nw; k++)
		if (sc_confine_path_under(path, p->w[k]))
			return 1;
	return 0;
}

/* The helper's own arguments, then the target. */
static void push_helper(struct sc_confine *cf, const char *helper, const struct paths *p, int abi,
                        int deny_tcp, int private_tmp, int landlock_excl, const char *path,
                        char *const *argv)
{
	char num[16];
	size_t i;

	push2(cf, helper, SC_CONFINE_HELPER_ARG);
	snprintf(num, sizeof(num), "%d", abi);
	push2(cf, "-l", num);
	if (deny_tcp)
		push(cf, "-N");
	for (i = 0; i < p->nw; i++)
		push2(cf, "-w", p->w[i]);
	if (private_tmp) {
		push2(cf, "-w", "/tmp");
		push2(cf, "-w", "/dev/shm");
	}
	for (i = 0; landlock_excl && i < p->nh; i++)
		push2(cf, "-x", p->h[i]);
	push2(cf, "--", path);
	for (i = 0; argv[i] != NULL; i++)
		push(cf, argv[i]);
}

/* Whether h, under /tmp, is inside a directory the sandbox brings back. */
static int brought_back(const struct paths *p, const char *cwd, const char *h)
{
	size_t i;

	if (cwd != NULL && sc_confine_path_under(cwd, "/tmp") && sc_confine_path_under(h, cwd))
		return 1;
	for (i = 0; i < p->nw; i++)
		if (sc_confine_path_under(h, p->w[i]))
			return 1;
	return 0;
}

static int build_bwrap(struct sc_confine *cf, const struct sc_confine_info *in,
                       const struct sc_confine_opts *c, const struct paths *p, const char *helper,
                       const char *path, char *const *argv, const char *cwd)
{
	size_t i;
	int full = in->landlock_abi > 0;

	cf->level = full ? SC_CONFINE_FULL : SC_CONFINE_NS;
	if ((cf->path = strdup(in->bwrap_path)) == NULL)
		return SC_ERR_NOMEM;
	push(cf, in->bwrap_path);
	for (i = 0; bwrap_base[i] != NULL; i++)
		push(cf, bwrap_base[i]);
	if (c->allow_net)
		push(cf, "--share-net");
	push3(cf, "--ro-bind", "/", "/");
	push2(cf, "--dev", "/dev");
	if (full) {
		/* a procfs of the new PID namespace: only the sandbox's own
		 * processes; Landlock keeps their files unreadable */
		push2(cf, "--proc", "/proc");
	} else {
		/* no Landlock to guard a procfs: none at all, only the
		 * machine-wide files */
		push2(cf, "--tmpfs", "/proc");
		for (i = 0; sc_confine_proc_files[i] != NULL; i++)
			push3(cf, "--ro-bind-try", sc_confine_proc_files[i],
			      sc_confine_proc_files[i]);
		push2(cf, "--remount-ro", "/proc");
	}
	push2(cf, "--tmpfs", "/tmp");
	/* The private /tmp covers the host's: bring back what this run needs
	 * from there, read-only (the helper, the program, the cwd); then the
	 * write paths over them; then the hidden paths over everything (a
	 * hidden path under /tmp exists in the sandbox only when something
	 * brought back contains it). */
	if (sc_confine_path_under(helper, "/tmp"))
		push3(cf, "--ro-bind", helper, helper);
	if (sc_confine_path_under(path, "/tmp") && !writable(p, path))
		push3(cf, "--ro-bind", path, path);
	if (cwd != NULL && sc_confine_path_under(cwd, "/tmp") && !writable(p, cwd))
		push3(cf, "--ro-bind", cwd, cwd);
	for (i = 0; i < p->nw; i++)
		push3(cf, "--bind", p->w[i], p->w[i]);
	for (i = 0; i < p->nh; i++)
		if (!sc_confine_path_under(p->h[i], "/tmp") || brought_back(p, cwd, p->h[i]))
			push2(cf, "--tmpfs", p->h[i]);
	if (cwd != NULL)
		push2(cf, "--chdir", cwd);
	push(cf, "--");
	push_helper(cf, helper, p, in->landlock_abi, 0, 1, 0, path, argv);
	return cf->oom ? SC_ERR_NOMEM : SC_OK;
}

static pthread_once_t self_once = PTHREAD_ONCE_INIT;
static char *self_exe;

static void find_self(void)
{
	self_exe = realpath("/proc/self/exe", NULL);
}

int sc_confine_prepare(const struct sc_confine_opts *c, const char *path, char *const *argv,
                       const char *cwd, struct sc_confine **out, char **why)
{
	struct sc_confine_info in;
	struct sc_confine *cf = NULL;
	struct paths p;
	char *ccwd = NULL;
	const char *helper;
	size_t i;
	int r;

	*out = NULL;
	*why = NULL;
	memset(&p, 0, sizeof(p));
	if (c == NULL || path == NULL || path[0] != '/' || argv == NULL || argv[0] == NULL)
		return SC_ERR_INVALID;
	helper = c->helper;
	if (helper == NULL) {
		pthread_once(&self_once, find_self);
		helper = self_exe;
	}
	if (helper == NULL || helper[0] != '/') {
		*why = xasprintf("the confinement helper (this program) cannot be found");
		return SC_ERR_INVALID;
	}
	sc_confine_probe(&in);
	if (!in.bwrap && !c->allow_unconfined) {
		*why = xasprintf("a run with secrets must be confined, and %s; Landlock alone "
		                 "cannot hide the agent's socket or end every process the run "
		                 "starts. Install bubblewrap and allow user namespaces, or set "
		                 "'unsafe_unconfined_runs: true' in the policy",
		                 in.why);
		return SC_ERR_DENIED;
	}
	if ((r = collect(c, &p, why)) != SC_OK)
		goto out;
	/* the cwd is named, so that bubblewrap never falls back to $HOME */
	if (cwd == NULL && (ccwd = getcwd(NULL, 0)) == NULL) {
		*why = xasprintf("the working directory cannot be found");
		r = SC_ERR_INVALID;
		goto out;
	}
	if (cwd != NULL && (r = canon(cwd, &ccwd)) != SC_OK) {
		*why = xasprintf("the working directory does not exist");
		r = r == SC_ERR_NOMEM ? r : SC_ERR_INVALID;
		goto out;
	}
	for (i = 0; i < 3; i++) {
		const char *what[] = {"the program", "the working directory", "the helper"};
		const char *q = i == 0 ? path : i == 1 ? ccwd : helper;

		if (q != NULL && hidden(&p, q)) {
			*why = xasprintf("%s is inside a hidden directory", what[i]);
			r = SC_ERR_INVALID;
			goto out;
		}
	}
	if ((cf = calloc(1, sizeof(*cf))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if (in.bwrap) {
		r = build_bwrap(cf, &in, c, &p, helper, path, argv, ccwd);
	} else if (in.landlock_abi > 0) {
		/* the opt-out, with what the kernel still offers */
		cf->level = SC_CONFINE_LANDLOCK;
		if ((cf->path = strdup(helper)) == NULL)
			r = SC_ERR_NOMEM;
		else
			push_helper(cf, helper, &p, in.landlock_abi, !c->allow_net, 0, 1, path,
			            argv);
		r = (r == SC_OK && cf->oom) ? SC_ERR_NOMEM : r;
	} else {
		cf->level = SC_CONFINE_NONE;
		if ((cf->path = strdup(path)) == NULL)
			r = SC_ERR_NOMEM;
		for (i = 0; argv[i] != NULL; i++)
			push(cf, argv[i]);
		r = (r == SC_OK && cf->oom) ? SC_ERR_NOMEM : r;
	}
	if (r == SC_OK) {
		*out = cf;
		cf = NULL;
	}
out:
	if (r == SC_ERR_NOMEM && *why == NULL)
		*why = xasprintf("out of memory");
	sc_confine_free(cf);
	free(ccwd);
	paths_release(&p);
	return r;
}

int sc_confine_exec_opts(const struct sc_confine_opts *c, struct sc_exec_opts *o,
                         struct sc_confine **hold, char **why)
{
	int r;

	*hold = NULL;
	if (o == NULL)
		return SC_ERR_INVALID;
	/* the identity check is of the target, not of the wrapper that
	 * takes its place in o->path */
	if ((r = sc_exec_check_id(o)) != SC_OK)
		return r;
	if ((r = sc_confine_prepare(c, o->path, o->argv, o->cwd, hold, why)) != SC_OK)
		return r;
	o->check_id = 0;
	o->path = sc_confine_path(*hold);
	o->argv = sc_confine_argv(*hold);
	return SC_OK;
}
