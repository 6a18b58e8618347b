/* agent_cmds.h - what the agent commands (agent, unlock, lock, status)
 * and the CLI's agent client share. */
#ifndef SC_CLI_AGENT_CMDS_H
#define SC_CLI_AGENT_CMDS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "agent/daemon.h"
#include "cli/cli.h"
#include "secretctl/exec.h"

/* Shared between the parts of this module. */
void cli_print_json(json_t *o);
void cli_format_dur(uint32_t s, char *buf, size_t len);

#endif
