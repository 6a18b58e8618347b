/* confine_helper.c - the inside half of confinement: in the sandbox
 * bubblewrap made (where mounts are done and Landlock no longer stands in
 * their way), restrict this process with Landlock and a seccomp filter,
 * then execve the target. Every step that fails stops the run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "secretctl/confine.h"

#include "run/confine_int.h"

/* Debian 12's <linux/landlock.h> stops at ABI 2; newer kernels know more. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#define LL_NET_BIND_TCP (1ULL << 0)        /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)     /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)        /* ABI 6 */

/* The ruleset attribute as ABI 6 has it; older kernels get a prefix. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define FS_READ                                                                                    \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_FILE_READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE)
#define FS_WRITE                                                                                   \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                           \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |                            \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM |                               \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_REFER |  \
	 LANDLOCK_ACCESS_FS_TRUNCATE)
#define FS_FILE_WRITE (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)
#define FS_FILE_RIGHTS                                                                             \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |                               \
	 LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                             \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

#define MAX_DEPTH 32

static uint64_t fs_handled(int abi)
{
	uint64_t m = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */

	if (abi >= 2)
		m |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		m |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		m |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return m;
}

struct ll {
	int fd;
	uint64_t handled;
	const char *const *excl; /* not granted to read: /proc, /dev, hidden paths */
	size_t nexcl;
	const char *failed; /* the path of the first rule that failed */
	int err;
};

/* Grant access beneath path (a file or a directory); a path that does not
 * exist is skipped. */
static void rule(struct ll *l, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd;

	if (l->err)
		return;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return;
	}
	if (!S_ISDIR(st.st_mode))
		access &= FS_FILE_RIGHTS;
	pb.allowed_access = access & l->handled;
	pb.parent_fd = fd;
	if (pb.allowed_access != 0 &&
	    syscall(SYS_landlock_add_rule, l->fd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0) {
		l->err = errno;
		l->failed = path;
	}
	close(fd);
}

/* Read and execute everywhere except beneath the excluded paths: a path
 * with an excluded one inside is split into its entries. */
static void grant_tree(struct ll *l, const char *path, int depth)
{
	char child[PATH_MAX];
	struct dirent *de;
	struct stat st;
	size_t i;
	int inside = 0, n;
	DIR *d;

	for (i = 0; i < l->nexcl; i++) {
		if (strcmp(l->excl[i], path) == 0)
			return;
		if (sc_confine_path_under(l->excl[i], path))
			inside = 1;
	}
	if (!inside) {
		rule(l, path, FS_READ);
		return;
	}
	if (depth >= MAX_DEPTH || (d = opendir(path)) == NULL) {
		l->err = depth >= MAX_DEPTH ? ELOOP : errno;
		l->failed = path;
		return;
	}
	while (!l->err && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n = snprintf(child, sizeof(child), "%s%s%s", path, strcmp(path, "/") ? "/" : "",
		             de->d_name);
		if (n < 0 || (size_t)n >= sizeof(child))
			continue;
		/* a symlink is not followed here: what it points to is granted
		 * (or not) where it lives */
		if (lstat(child, &st) != 0 || S_ISLNK(st.st_mode))
			continue;
		grant_tree(l, child, depth + 1);
	}
	closedir(d);
}

struct helper_args {
	int abi, deny_tcp;
	const char *w[SC_CONFINE_MAX_PATHS + 4];
	size_t nw;
	const char *x[SC_CONFINE_MAX_PATHS + 8];
	size_t nx;
	const char *path;
	char **argv;
};

static int landlock_apply(const struct helper_args *a)
{
	static const char *const dev_rw[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/tty",
	                                     "/dev/pts",  "/dev/ptmx", NULL};
	static const char *const dev_r[] = {"/dev/random", "/dev/urandom", NULL};
	struct ll_ruleset_attr ra;
	struct ll l;
	size_t i, size;
	int kabi = sc_confine_landlock_abi();

	if (kabi < a->abi) {
		fprintf(stderr, "secretctl: confinement: the kernel's Landlock ABI is %d, not %d\n",
		        kabi, a->abi);
		return -1;
	}
	memset(&ra, 0, sizeof(ra));
	memset(&l, 0, sizeof(l));
	l.handled = ra.handled_access_fs = fs_handled(a->abi);
	size = sizeof(ra.handled_access_fs);
	if (a->abi >= 4) {
		size += sizeof(ra.handled_access_net);
		if (a->deny_tcp)
			ra.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	}
	if (a->abi >= 6) {
		size += sizeof(ra.scoped);
		ra.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	}
	l.fd = (int)syscall(SYS_landlock_create_ruleset, &ra, size, 0);
	if (l.fd < 0) {
		fprintf(stderr, "secretctl: confinement: landlock_create_ruleset: %s\n",
		        strerror(errno));
		return -1;
	}
	l.excl = a->x;
	l.nexcl = a->nx;
	/* reading: everything but /proc, /dev and the hidden paths; listing
	 * directories everywhere (names only) */
	grant_tree(&l, "/", 0);
	rule(&l, "/", LANDLOCK_ACCESS_FS_READ_DIR);
	/* /proc: only machine-wide files, never a process's own (environ,
	 * mem, maps, cmdline ...), this one's included */
	for (i = 0; sc_confine_proc_files[i] != NULL; i++)
		rule(&l, sc_confine_proc_files[i],
		     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR);
	for (i = 0; dev_rw[i] != NULL; i++)
		rule(&l, dev_rw[i],
		     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
		         LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_IOCTL_DEV |
		         LANDLOCK_ACCESS_FS_TRUNCATE);
	for (i = 0; dev_r[i] != NULL; i++)
		rule(&l, dev_r[i], LANDLOCK_ACCESS_FS_READ_FILE);
	/* writing: only where the run may */
	for (i = 0; i < a->nw; i++)
		rule(&l, a->w[i], FS_READ | FS_WRITE);
	if (l.err) {
		fprintf(stderr, "secretctl: confinement: landlock rule for '%s': %s\n", l.failed,
		        strerror(l.err));
		close(l.fd);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_landlock_restrict_self, l.fd, 0) != 0) {
		fprintf(stderr, "secretctl: confinement: landlock_restrict_self: %s\n",
		        strerror(errno));
		close(l.fd);
		return -1;
	}
	close(l.fd);
	return 0;
}

/* ---- seccomp: what neither namespaces nor Landlock take away ---- */

#if defined(__x86_64__)
#define SC_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SC_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SC_AUDIT_ARCH
/* Reading another process's memory or stealing its fds (ptrace,
 * process_vm_readv, pidfd_getfd: a sibling of the bound program that it
 * gave a clean environment could otherwise read the secret out of it),
 * the kernel keyrings (not namespaced), perf, and re-arranging mounts or
 * namespaces. EPERM, as an unprivileged process would get. */
static const long denied_syscalls[] = {
    SYS_ptrace,          SYS_process_vm_readv, SYS_process_vm_writev, SYS_pidfd_getfd,
    SYS_perf_event_open, SYS_keyctl,           SYS_add_key,           SYS_request_key,
    SYS_mount,           SYS_umount2,          SYS_pivot_root,        SYS_setns,
    SYS_unshare,         SYS_open_tree,        SYS_move_mount,        SYS_fsopen,
    SYS_fsmount,         SYS_fspick,           SYS_mount_setattr,
};

static int seccomp_apply(void)
{
	struct sock_filter f[8 + 2 * (sizeof(denied_syscalls) / sizeof(denied_syscalls[0]))];
	struct sock_fprog prog;
	size_t i, k = 0;

	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                      offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SC_AUDIT_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                      offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	/* the x32 ABI's numbers alias the same calls */
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
#endif
	for (i = 0; i < sizeof(denied_syscalls) / sizeof(denied_syscalls[0]); i++) {
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		                                      (uint32_t)denied_syscalls[i], 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)k;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		fprintf(stderr, "secretctl: confinement: seccomp: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}
#else
static int seccomp_apply(void)
{
	fprintf(stderr, "secretctl: confinement: no seccomp filter for this architecture\n");
	return -1;
}
#endif

/* ---- the helper ---- */

static int usage(const char *what)
{
	fprintf(stderr, "secretctl: confinement: bad helper arguments: %s\n", what);
	return SC_CONFINE_EXIT_FAILED;
}

static int parse(int argc, char **argv, struct helper_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->abi = -1;
	a->x[a->nx++] = "/proc";
	a->x[a->nx++] = "/dev";
	for (i = 2; i < argc; i++) {
		const char *o = argv[i];

		if (strcmp(o, "--") == 0)
			break;
		if (strcmp(o, "-N") == 0) {
			a->deny_tcp = 1;
			continue;
		}
		if (i + 1 >= argc)
			return -1;
		if (strcmp(o, "-l") == 0) {
			char *end;
			long v = strtol(argv[++i], &end, 10);

			if (*end != '\0' || v < 0 || v > 1000)
				return -1;
			a->abi = (int)v;
		} else if (strcmp(o, "-w") == 0 && a->nw < sizeof(a->w) / sizeof(a->w[0]) &&
		           argv[i + 1][0] == '/') {
			a->w[a->nw++] = argv[++i];
		} else if (strcmp(o, "-x") == 0 && a->nx < sizeof(a->x) / sizeof(a->x[0]) &&
		           argv[i + 1][0] == '/') {
			a->x[a->nx++] = argv[++i];
		} else {
			return -1;
		}
	}
	if (a->abi < 0 || i + 2 >= argc + 0 || argv[i + 1][0] != '/')
		return -1;
	a->path = argv[i + 1];
	a->argv = &argv[i + 2];
	return a->argv[0] == NULL ? -1 : 0;
}

int sc_confine_helper_main(int argc, char **argv, char **envp)
{
	struct helper_args a;

	if (argc < 2 || strcmp(argv[1], SC_CONFINE_HELPER_ARG) != 0 || parse(argc, argv, &a) != 0)
		return usage(
		    "expected -l ABI [-N] [-w PATH]... [-x PATH]... -- PATH ARGV0 [ARG]...");
	if (a.abi > 0 && landlock_apply(&a) != 0)
		return SC_CONFINE_EXIT_FAILED;
	if (seccomp_apply() != 0)
		return SC_CONFINE_EXIT_FAILED;
	/* nothing of ours goes on into the target */
	if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0) {
		int fd;

		for (fd = 3; fd < 1024; fd++)
			(void)close(fd);
	}
	execve(a.path, a.argv, envp);
	fprintf(stderr, "secretctl: %s: %s\n", a.argv[0], strerror(errno));
	return errno == ENOENT ? SC_EXEC_EXIT_NOEXEC : SC_EXEC_EXIT_NOTEXEC;
}
