/* confine_common.c - what both halves of confinement use: the /proc
 * files a confined program may read, a path test, the Landlock ABI. */
#include <linux/landlock.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "run/confine_int.h"

/* Global, per-machine /proc files a program may read when there is no
 * procfs inside (NS mode binds the host's; they hold no process's data). */
const char *const sc_confine_proc_files[] = {"/proc/cpuinfo",     "/proc/meminfo", "/proc/stat",
                                             "/proc/loadavg",     "/proc/uptime",  "/proc/version",
                                             "/proc/filesystems", "/proc/sys",     NULL};

/* 1 when p is d or beneath it (both canonical, absolute). */
int sc_confine_path_under(const char *p, const char *d)
{
	size_t n = strlen(d);

	if (n == 1 && d[0] == '/')
		return 1;
	return strncmp(p, d, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int sc_confine_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}
