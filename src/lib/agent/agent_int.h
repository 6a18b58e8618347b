/* agent_int.h - the agent wire protocol's insides shared by its parts
 * (agent/): request decoding, framing, the client. */
#ifndef SC_AGENT_AGENT_INT_H
#define SC_AGENT_AGENT_INT_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "store/secret_int.h"
#include "secretctl/secretctl.h"

/* Shared between the parts of this module. */
int sc_agent_write_all(int fd, const uint8_t *p, size_t n);
/* client.c: one request and its reply (a refusal becomes its status),
 * a request for op, and the MCP caller's name and tool added to one. */
int sc_agent_call(int fd, json_t *req, const void *attach, size_t alen, json_t **reply);
json_t *sc_agent_new_req(int op);
int sc_agent_add_caller(json_t *req, int origin, const char *tool);
int sc_agent_vault_id_from_hex(const char *vh, uint8_t out[SC_VAULT_ID_LEN]);

#endif
