/* rpc.c - the MCP server's one serialized writer: JSON-RPC results and
 * errors, one message per line. The method and tool layers send through it,
 * so neither depends on the other's file. */
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp.h"

void mcp_send(struct mcp_server *s, json_t *msg)
{
	char *text;

	text = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(msg);
	if (text == NULL)
		return;
	pthread_mutex_lock(&s->out_lock);
	/* A failed write means the client is gone; reading stdin will see EOF. */
	if (sc_fd_write_all(s->cfg.out_fd, text, strlen(text)) == SC_OK &&
	    sc_fd_write_all(s->cfg.out_fd, "\n", 1) != SC_OK) {
		/* nothing more to do: the next read sees EOF */
	}
	pthread_mutex_unlock(&s->out_lock);
	free(text);
}

void mcp_send_result(struct mcp_server *s, json_t *id, json_t *result)
{
	json_t *m = json_object();

	json_object_set_new(m, "jsonrpc", json_string("2.0"));
	json_object_set(m, "id", id);
	json_object_set_new(m, "result", result);
	mcp_send(s, m);
}

void mcp_send_result_raw(struct mcp_server *s, json_t *id, const char *result_json)
{
	char *idtext = json_dumps(id, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	static const char a[] = "{\"jsonrpc\":\"2.0\",\"id\":", b[] = ",\"result\":", c[] = "}\n";

	if (idtext == NULL)
		return;
	pthread_mutex_lock(&s->out_lock);
	if (sc_fd_write_all(s->cfg.out_fd, a, sizeof(a) - 1) == SC_OK &&
	    sc_fd_write_all(s->cfg.out_fd, idtext, strlen(idtext)) == SC_OK &&
	    sc_fd_write_all(s->cfg.out_fd, b, sizeof(b) - 1) == SC_OK &&
	    sc_fd_write_all(s->cfg.out_fd, result_json, strlen(result_json)) == SC_OK &&
	    sc_fd_write_all(s->cfg.out_fd, c, sizeof(c) - 1) != SC_OK) {
		/* as in mcp_send */
	}
	pthread_mutex_unlock(&s->out_lock);
	free(idtext);
}

void mcp_send_error(struct mcp_server *s, json_t *id, int code, const char *msg)
{
	json_t *m = json_object();

	json_object_set_new(m, "jsonrpc", json_string("2.0"));
	json_object_set(m, "id", id != NULL ? id : json_null());
	json_object_set_new(m, "error", json_pack("{s:i,s:s}", "code", code, "message", msg));
	mcp_send(s, m);
}
