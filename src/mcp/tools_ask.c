/* tools_ask.c - what a run the policy leaves to a person shows the user
 * (program, argv, secrets), the choice it offers (once, always, deny), and
 * the strict reading of the answer. The flow itself is in tools_run.c. */
#include "mcp/tools_ask.h"

void mcp_approval_release(struct mcp_approval *a)
{
	size_t i;

	free(a->cmd);
	free(a->path);
	for (i = 0; a->args != NULL && i < a->nargs; i++)
		free(a->args[i]);
	free(a->args);
	for (i = 0; a->secrets != NULL && i < a->nsecrets; i++)
		free(a->secrets[i]);
	free(a->secrets);
	free(a->reason);
	free(a->warning);
	memset(a, 0, sizeof(*a));
}

static char **dup_list(const char *const *v, size_t n)
{
	char **out = calloc(n + 1, sizeof(*out));
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((out[i] = strdup(v[i])) == NULL) {
			while (i > 0)
				free(out[--i]);
			free(out);
			return NULL;
		}
	return out;
}

int mcp_approval_fill(struct mcp_approval *a, const char *cmd, const char *path,
                      const char *const *args, size_t nargs, const char *const *secrets,
                      size_t nsecrets, const char *reason)
{
	memset(a, 0, sizeof(*a));
	a->nargs = nargs;
	a->nsecrets = nsecrets;
	if ((a->cmd = strdup(cmd)) == NULL || (a->path = strdup(path)) == NULL ||
	    (a->args = dup_list(args, nargs)) == NULL ||
	    (a->secrets = dup_list(secrets, nsecrets)) == NULL ||
	    (a->reason = strdup(reason)) == NULL) {
		a->nargs = a->args != NULL ? nargs : 0;
		a->nsecrets = 0;
		mcp_approval_release(a);
		return SC_ERR_NOMEM;
	}
	return SC_OK;
}

static int same_list(char *const *a, size_t na, const char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

int mcp_approval_covers(const struct mcp_approval *a, const char *path, const char *const *args,
                        size_t nargs, const char *const *secrets, size_t nsecrets)
{
	return strcmp(a->path, path) == 0 && same_list(a->args, a->nargs, args, nargs) &&
	       same_list(a->secrets, a->nsecrets, secrets, nsecrets);
}

/* A JSON string or array as the user reads it: quoted, escaped, ASCII, so
 * that an argument cannot forge a line of the question or hide behind
 * invisible characters. */
static char *quoted(json_t *v)
{
	char *t =
	    v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY) : NULL;

	json_decref(v);
	return t;
}

static json_t *list_json(const char *first, char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	if (a == NULL)
		return NULL;
	if (first != NULL && json_array_append_new(a, json_string(first)) != 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0)
			goto fail;
	return a;
fail:
	json_decref(a);
	return NULL;
}

char *mcp_ask_message(const struct mcp_approval *a, const char *policy_path)
{
	char *prog = quoted(json_string(a->path)), *given = quoted(json_string(a->cmd));
	char *argv = quoted(list_json(a->cmd, a->args, a->nargs));
	char *sec = quoted(list_json(NULL, a->secrets, a->nsecrets));
	char *msg = NULL;

	if (prog != NULL && given != NULL && argv != NULL && sec != NULL &&
	    strlen(argv) + strlen(sec) + strlen(prog) <= MCP_ASK_SHOW_MAX &&
	    asprintf(&msg,
	             "An AI agent asks secretctl to run a program with secrets in its "
	             "environment. Approve it only if you expect this exact command.\n"
	             "program: %s (called as %s)\n"
	             "argv: %s\n"
	             "secrets: %s\n"
	             "why you are asked: %s\n"
	             "once: run it this time. always: run it, and add a rule to %s that "
	             "allows exactly this program, these arguments and these secrets from "
	             "now on. deny: do not run it.",
	             prog, given, argv, sec, a->reason, policy_path) < 0)
		msg = NULL;
	free(prog);
	free(given);
	free(argv);
	free(sec);
	return msg;
}

json_t *mcp_ask_schema(void)
{
	return json_pack("{s:s,s:{s:{s:s,s:s,s:s,s:[s,s,s],s:[s,s,s]}},s:[s]}", "type", "object",
	                 "properties", "decision", "type", "string", "title",
	                 "Run this command with these secrets?", "description",
	                 "once, always (adds an exact rule to the policy), or deny", "enum", "once",
	                 "always", "deny", "enumNames", "Allow once", "Always allow exactly this",
	                 "Deny", "required", "decision");
}

int mcp_ask_decision(json_t *content)
{
	json_t *d = json_object_get(content, "decision");
	const char *v;

	/* exactly {"decision": one of the three}: nothing more, nothing else */
	if (!json_is_object(content) || json_object_size(content) != 1 || !json_is_string(d))
		return MCP_ASK_BAD;
	v = json_string_value(d);
	if (strcmp(v, "once") == 0)
		return MCP_ASK_ONCE;
	if (strcmp(v, "always") == 0)
		return MCP_ASK_ALWAYS;
	if (strcmp(v, "deny") == 0)
		return MCP_ASK_DENY;
	return MCP_ASK_BAD;
}

const char *mcp_ask_refusal(int outcome)
{
	switch (outcome) {
	case MCP_ELICIT_DECLINE:
		return "the user declined the run; nothing was run";
	case MCP_ELICIT_CANCEL:
		return "the user dismissed the approval request without choosing; nothing was "
		       "run";
	case MCP_ELICIT_TIMEOUT:
		return "the user did not answer the approval request in time (the policy's "
		       "limits.ask_timeout); nothing was run";
	case MCP_ELICIT_ABORTED:
		return "the call was cancelled while waiting for the user's approval; nothing "
		       "was run";
	case MCP_ELICIT_ERROR:
		return "the MCP client answered the approval request with an error; nothing "
		       "was run";
	case MCP_ELICIT_MALFORMED:
		return "the MCP client's answer to the approval request was malformed; nothing "
		       "was run";
	default:
		return "the user could not be asked for approval; nothing was run";
	}
}
