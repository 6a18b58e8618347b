/* elicit.h - requests the server sends the client during a tool call
 * (elicitation/create) and the answers the reading thread hands over. */
#ifndef SC_MCP_ELICIT_H
#define SC_MCP_ELICIT_H

#include <stdint.h>

#include "mcp/mcp.h"

/* How an elicitation ended. */
#define MCP_ELICIT_ACCEPT 0    /* *content: the answer's content object */
#define MCP_ELICIT_DECLINE 1   /* the user said no */
#define MCP_ELICIT_CANCEL 2    /* the user dismissed it */
#define MCP_ELICIT_TIMEOUT 3   /* no answer within the bound */
#define MCP_ELICIT_ABORTED 4   /* cancel_fd became readable (the call was cancelled) */
#define MCP_ELICIT_ERROR 5     /* the client answered with a JSON-RPC error */
#define MCP_ELICIT_MALFORMED 6 /* an answer that is not an ElicitResult */
#define MCP_ELICIT_FAILED 7    /* could not ask (out of memory) */

/* Ask the client: message and requestedSchema (stolen) in an
 * elicitation/create request, then wait up to timeout_ms for its answer,
 * or until cancel_fd (-1: none) is readable. On a timeout or cancel the
 * client is told (notifications/cancelled). Called from a job thread,
 * never from the one that reads requests. */
int mcp_elicit(struct mcp_server *s, int cancel_fd, const char *message, json_t *schema,
               uint32_t timeout_ms, json_t **content);
/* A response from the client (no method; result or error): hand it to the
 * request waiting for its id, if any. */
void mcp_elicit_response(struct mcp_server *s, json_t *msg);

#endif
