/* kdfopt.h - parsing of --kdf-memory, --kdf-time and fd numbers. */
#ifndef SC_CLI_KDFOPT_H
#define SC_CLI_KDFOPT_H

#include "secretctl/secretctl.h"

int cli_parse_fd(const char *s, int *fd);
/* ch 'm': memory in KiB or with a MiB/GiB suffix ("64M", "1G"); 't': passes. */
int cli_parse_kdf_opt(int ch, const char *s, struct sc_kdf_params *kp);
#endif
