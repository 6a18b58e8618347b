/* duration.h - the one duration grammar of the tree (base/duration.c):
 * "500ms", "30s", "5m", "2h", "7d", "2w", "1y", "1m30s", or a bare number
 * of seconds, each caller allowing the units it documents. */
#ifndef SECRETCTL_DURATION_H
#define SECRETCTL_DURATION_H

#include <stdint.h>

#include "secretctl/status.h"

#define SC_DUR_MS (1u << 0)
#define SC_DUR_S (1u << 1)
#define SC_DUR_M (1u << 2)
#define SC_DUR_H (1u << 3)
#define SC_DUR_D (1u << 4)
#define SC_DUR_W (1u << 5)
#define SC_DUR_Y (1u << 6) /* 365 days */
#define SC_DUR_UNITS 0x7fu
#define SC_DUR_BARE (1u << 8)     /* a plain number counts seconds */
#define SC_DUR_COMPOUND (1u << 9) /* several groups: "1m30s" */

/* Parse s as a duration in milliseconds. SC_ERR_INVALID when it is not one
 * in the grammar flags allow (no digits, a unit not allowed, junk after),
 * SC_ERR_TOOBIG when it is over max_ms. */
int sc_duration_parse(const char *s, unsigned flags, uint64_t max_ms, uint64_t *ms) SC_WUR;

#endif
