/* tools_args.c - what every MCP tool uses: its result or error, and the
 * checks of its arguments. */
#include "mcp/tools_int.h"

/* ---- results ---- */

void mcp_send_tool_result(struct mcp_server *s, json_t *id, json_t *structured)
{
	char *text = json_dumps(structured, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_t *res;

	res = json_pack("{s:[{s:s,s:s}],s:o,s:b}", "content", "type", "text", "text",
	                text ? text : "{}", "structuredContent", structured, "isError", 0);
	free(text);
	mcp_send_result(s, id, res);
}

void mcp_send_tool_error(struct mcp_server *s, json_t *id, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mcp_send_result(
	    s, id,
	    json_pack("{s:[{s:s,s:s}],s:b}", "content", "type", "text", "text", msg, "isError", 1));
}

const char *mcp_check_args(json_t *args, const char *const *strings, const char *const *arrays,
                           const char *const *required)
{
	const char *key;
	json_t *val;
	size_t i;

	json_object_foreach(args, key, val)
	{
		int known = 0;

		for (i = 0; strings[i] != NULL; i++)
			if (strcmp(key, strings[i]) == 0) {
				if (!json_is_string(val))
					return "argument has the wrong type (want a string)";
				if (json_string_length(val) > MCP_STRING_MAX)
					return "argument string too long";
				if (strlen(json_string_value(val)) != json_string_length(val))
					return "argument holds a NUL byte";
				known = 1;
			}
		for (i = 0; arrays != NULL && arrays[i] != NULL; i++)
			if (strcmp(key, arrays[i]) == 0) {
				size_t j;
				json_t *el;

				if (!json_is_array(val))
					return "argument has the wrong type (want an array of "
					       "strings)";
				if (json_array_size(val) > MCP_ARGS_MAX)
					return "too many array entries";
				json_array_foreach(val, j, el)
				{
					if (!json_is_string(el))
						return "array entries must be strings";
					if (json_string_length(el) > MCP_STRING_MAX ||
					    strlen(json_string_value(el)) != json_string_length(el))
						return "array entry too long or holds a NUL byte";
				}
				known = 1;
			}
		if (!known)
			return "unknown argument";
	}
	for (i = 0; required[i] != NULL; i++)
		if (json_object_get(args, required[i]) == NULL)
			return "missing a required argument";
	return NULL;
}

/* Check arguments against a tool's shape: only known keys, right types,
 * bounded sizes. Returns a message or NULL. */

const char *mcp_arg_str(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}
