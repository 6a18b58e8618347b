/* confine.h - confinement of a run's child with the kernel's own facilities:
 * bubblewrap (user, mount, PID, network, IPC, UTS namespaces) and Landlock,
 * applied inside the sandbox by a re-executed helper just before the target.
 * Design, guarantees and limits: docs/CONFINEMENT.md. */
#ifndef SECRETCTL_CONFINE_H
#define SECRETCTL_CONFINE_H

#include "secretctl.h"
#include "exec.h"

/* argv[1] of the helper step. A binary that may serve as the helper (the
 * secretctl binary, a test binary) checks for it first thing in main(),
 * before it reads its environment or initialises anything:
 *
 *   if (argc > 1 && strcmp(argv[1], SC_CONFINE_HELPER_ARG) == 0)
 *           return sc_confine_helper_main(argc, argv, environ);
 */
#define SC_CONFINE_HELPER_ARG "__confine-exec"

/* Exit status of the helper when it could not confine or exec (the
 * target never ran): 126 as for "found but not executable". */
#define SC_CONFINE_EXIT_FAILED 126

#define SC_CONFINE_MAX_PATHS 64 /* write and hide paths, each */

/* What this machine offers (probed once per process, then cached). */
struct sc_confine_info {
	int bwrap;        /* bubblewrap found and it set up the namespaces here */
	int landlock_abi; /* the kernel's Landlock ABI; 0: none */
	char bwrap_path[256];
	char why[256]; /* when bwrap is 0: what failed, for the user */
};

/* How a prepared command is confined. */
enum sc_confine_level {
	SC_CONFINE_NONE = 0,     /* not at all (only with allow_unconfined) */
	SC_CONFINE_LANDLOCK = 1, /* Landlock + seccomp, no namespaces (allow_unconfined) */
	SC_CONFINE_NS = 2,       /* bubblewrap; no procfs inside (no Landlock) */
	SC_CONFINE_FULL = 3,     /* bubblewrap, fresh procfs, Landlock + seccomp */
};

struct sc_confine_opts {
	/* Absolute path of the helper binary (see SC_CONFINE_HELPER_ARG);
	 * NULL: this process's own executable. */
	const char *helper;
	/* Absolute, existing paths the child may write beneath; everything
	 * else is read-only and the private /tmp is the only scratch. */
	const char *const *write_paths;
	size_t nwrite;
	/* Absolute paths made empty (a tmpfs over a directory): the vault
	 * directory, say. The agents' socket directory, $XDG_RUNTIME_DIR and
	 * /run/user are always hidden. A missing path is skipped. */
	const char *const *hide_paths;
	size_t nhide;
	int allow_net; /* keep the host's network (default: none at all) */
	/* The policy's explicit opt-out: when bubblewrap is not usable, run
	 * with what there is (Landlock alone, or nothing) instead of refusing. */
	int allow_unconfined;
};

struct sc_confine;

/* Probe (once; thread-safe) and copy what was found into *out. */
void sc_confine_probe(struct sc_confine_info *out);

/* Prepare the confined form of a command: path (absolute, resolved),
 * argv (argv[0] as the policy checked it), cwd (NULL: the caller's). The
 * result's path and argv replace the command's in sc_exec_opts; the
 * environment is passed through unchanged (bubblewrap does not touch it),
 * so the child still receives exactly envp.
 *
 * SC_ERR_DENIED when bubblewrap is not usable and allow_unconfined is 0,
 * with why (malloc'd) saying what is missing and how to opt out;
 * SC_ERR_INVALID for a relative, missing or hidden path (the cwd inside a
 * hidden directory, a write path under a hidden one). */
int sc_confine_prepare(const struct sc_confine_opts *c, const char *path, char *const *argv,
                       const char *cwd, struct sc_confine **out, char **why) SC_WUR;
const char *sc_confine_path(const struct sc_confine *cf);
char *const *sc_confine_argv(const struct sc_confine *cf);
enum sc_confine_level sc_confine_level(const struct sc_confine *cf);
void sc_confine_free(struct sc_confine *cf);

/* Rewrite exec options in place to run their command confined: o->path
 * and o->argv are replaced by the prepared ones (which *hold keeps alive
 * until sc_confine_free), o->cwd is kept (bubblewrap starts there and
 * changes into it inside). The one call every run path makes. */
int sc_confine_exec_opts(const struct sc_confine_opts *c, struct sc_exec_opts *o,
                         struct sc_confine **hold, char **why) SC_WUR;

struct sc_policy;
/* The one call a run path makes: confine o's command as the policy says
 * (its `confinement:` settings; p NULL: the defaults, required, nothing
 * writable, no network), hiding vault_dir. With `mode: off` *hold stays
 * NULL and o is unchanged. Errors as sc_confine_prepare. */
int sc_confine_run(const struct sc_policy *p, const char *vault_dir, struct sc_exec_opts *o,
                   struct sc_confine **hold, char **why) SC_WUR;

/* A short description of a level ("bubblewrap+landlock", ...). */
const char *sc_confine_level_name(enum sc_confine_level l);

/* The in-sandbox step: parse the helper's arguments, apply Landlock and
 * the seccomp filter, close every fd above 2 and execve the target with
 * envp. Returns (an exit status) only when that failed, after one line on
 * stderr; the target never runs unconfined. */
int sc_confine_helper_main(int argc, char **argv, char **envp);

/* Tests: forget the probe and pretend bubblewrap is (not) usable:
 * -1 probes again, 0 makes it unusable. Landlock likewise with abi -1 / 0. */
void sc_confine_test_override(int bwrap, int landlock_abi);

#endif
