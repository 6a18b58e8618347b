/* fault.h - fault injection for unit tests (base/fault.c), in the manner
 * of SQLite's test_malloc.c: fail the Nth allocation or I/O call, and loop
 * N until the operation succeeds, so every error path runs under the
 * sanitizers. Off unless a test arms it; a disarmed check costs one load. */
#ifndef SECRETCTL_FAULT_H
#define SECRETCTL_FAULT_H

#include <stdint.h>

#include "secretctl/status.h"

#define SC_FAULT_ALLOC 1u /* secmem, and the allocators of SQLite and Jansson */
#define SC_FAULT_IO 2u    /* our own file I/O, and SQLite's through its VFS */
/* the audit log's own writes only (also counted under SC_FAULT_IO): an
 * append that cannot write its entry, whatever else the operation does */
#define SC_FAULT_AUDIT 4u

/* Hook SQLite's and Jansson's allocators and SQLite's VFS into the
 * counter. Call once, before sc_init() and before any SQLite call. */
int sc_fault_install(void) SC_WUR;
/* Count the calls of the kinds in `what` from now on; the nth (1-based)
 * fails, and with `sticky` every later one too. */
void sc_fault_arm(unsigned what, uint64_t nth, int sticky);
void sc_fault_disarm(void);
/* How many calls failed since the last arm. */
uint64_t sc_fault_failed(void);
/* Library code: 1 when this call of kind `what` must fail. */
int sc_fault_hit(unsigned what);

#endif
