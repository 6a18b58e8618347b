/* confine_int.h - what the two halves of confinement share (confine.c
 * outside the sandbox, confine_helper.c inside). */
#ifndef SC_CONFINE_INT_H
#define SC_CONFINE_INT_H

/* Machine-wide /proc files a confined program may read (NULL-terminated). */
extern const char *const sc_confine_proc_files[];

/* The kernel's Landlock ABI version; 0 when Landlock is off or missing. */
int sc_confine_landlock_abi(void);
/* 1 when the canonical absolute path p is d or beneath it. */
int sc_confine_path_under(const char *p, const char *d);

#endif
