/* tools_ask.h - a run left to a person (policy `ask`): what the user is
 * shown and how the answer is read (tools_ask.c). */
#ifndef SC_MCP_TOOLS_ASK_H
#define SC_MCP_TOOLS_ASK_H

#include "mcp/elicit.h"
#include "mcp/tools_int.h"

/* The most of program, argv and secrets a question shows; a run that needs
 * more is denied rather than shown in part. */
#define MCP_ASK_SHOW_MAX (16 * 1024)

/* The answer's content. */
#define MCP_ASK_ONCE 0
#define MCP_ASK_ALWAYS 1
#define MCP_ASK_DENY 2
#define MCP_ASK_BAD 3

/* The run the user is asked about, and on approval the run that may go. */
struct mcp_approval {
	char *cmd;  /* argv[0] as the agent wrote it */
	char *path; /* the real program */
	char **args;
	size_t nargs;
	char **secrets; /* names, after patterns and aliases */
	size_t nsecrets;
	char *reason;  /* the policy's, why it asks */
	char *warning; /* for the result ("always" could not be written), or NULL */
};

int mcp_approval_fill(struct mcp_approval *a, const char *cmd, const char *path,
                      const char *const *args, size_t nargs, const char *const *secrets,
                      size_t nsecrets, const char *reason);
void mcp_approval_release(struct mcp_approval *a);
/* 1 when this run is the approved one: the same program, arguments and
 * secrets. */
int mcp_approval_covers(const struct mcp_approval *a, const char *path, const char *const *args,
                        size_t nargs, const char *const *secrets, size_t nsecrets);
/* The question (malloc'd), or NULL when it would exceed MCP_ASK_SHOW_MAX
 * or memory ran out. */
char *mcp_ask_message(const struct mcp_approval *a, const char *policy_path);
json_t *mcp_ask_schema(void);
/* MCP_ASK_* from an accepted answer's content. */
int mcp_ask_decision(json_t *content);
/* Why nothing ran, for an MCP_ELICIT_* other than ACCEPT. */
const char *mcp_ask_refusal(int outcome);

#endif
