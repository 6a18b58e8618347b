/* elicit.c - requests from the server to the client in the middle of a
 * tool call (elicitation/create, MCP 2025-06-18): send one, wait for its
 * answer (the reading thread hands it over) with a bound and a way out,
 * and check the answer strictly: it is outside input. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcp/elicit.h"

struct mcp_pending {
	struct mcp_pending *next;
	json_int_t id;
	int fd[2];     /* the reader writes a byte when reply is set */
	json_t *reply; /* the whole response message */
};

static void cancel_request(struct mcp_server *s, json_int_t id, const char *why)
{
	mcp_send(s, json_pack("{s:s,s:s,s:{s:I,s:s}}", "jsonrpc", "2.0", "method",
	                      "notifications/cancelled", "params", "requestId", id, "reason", why));
}

void mcp_elicit_response(struct mcp_server *s, json_t *msg)
{
	json_t *id = json_object_get(msg, "id");
	struct mcp_pending *p;
	char one = 1;

	if (!json_is_integer(id))
		return; /* not an id we gave: nothing waits for it */
	pthread_mutex_lock(&s->pending_lock);
	for (p = s->pending; p != NULL; p = p->next)
		if (p->id == json_integer_value(id) && p->reply == NULL) {
			/* a copy: the reader frees msg after this returns */
			if ((p->reply = json_deep_copy(msg)) == NULL)
				p->reply = json_null();
			if (write(p->fd[1], &one, 1) != 1) {
				/* the pipe is empty and ours: cannot fail */
			}
			break;
		}
	pthread_mutex_unlock(&s->pending_lock);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The answer's shape (MCP ElicitResult): {action, content?, _meta?}; the
 * caller checks content against what it asked for. */
static int check_reply(json_t *reply, json_t **content)
{
	json_t *res = json_object_get(reply, "result"), *action, *c, *meta;
	const char *a, *key;
	json_t *v;

	if (json_object_get(reply, "error") != NULL)
		return res != NULL ? MCP_ELICIT_MALFORMED : MCP_ELICIT_ERROR;
	if (!json_is_object(res))
		return MCP_ELICIT_MALFORMED;
	json_object_foreach(reply, key, v)
	{
		if (strcmp(key, "jsonrpc") != 0 && strcmp(key, "id") != 0 &&
		    strcmp(key, "result") != 0)
			return MCP_ELICIT_MALFORMED;
	}
	json_object_foreach(res, key, v)
	{
		if (strcmp(key, "action") != 0 && strcmp(key, "content") != 0 &&
		    strcmp(key, "_meta") != 0)
			return MCP_ELICIT_MALFORMED;
	}
	action = json_object_get(res, "action");
	c = json_object_get(res, "content");
	meta = json_object_get(res, "_meta");
	if (!json_is_string(action) || (meta != NULL && !json_is_object(meta)))
		return MCP_ELICIT_MALFORMED;
	a = json_string_value(action);
	if (strcmp(a, "accept") == 0) {
		if (!json_is_object(c))
			return MCP_ELICIT_MALFORMED;
		*content = json_incref(c);
		return MCP_ELICIT_ACCEPT;
	}
	/* decline and cancel carry no content (or null) */
	if (c != NULL && !json_is_null(c))
		return MCP_ELICIT_MALFORMED;
	if (strcmp(a, "decline") == 0)
		return MCP_ELICIT_DECLINE;
	if (strcmp(a, "cancel") == 0)
		return MCP_ELICIT_CANCEL;
	return MCP_ELICIT_MALFORMED;
}

int mcp_elicit(struct mcp_server *s, int cancel_fd, const char *message, json_t *schema,
               uint32_t timeout_ms, json_t **content)
{
	struct mcp_pending *p, **pp;
	json_t *req;
	int64_t until;
	int out = MCP_ELICIT_FAILED;

	*content = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL || pipe2(p->fd, O_CLOEXEC) != 0) {
		free(p);
		json_decref(schema);
		return MCP_ELICIT_FAILED;
	}
	pthread_mutex_lock(&s->pending_lock);
	p->id = ++s->next_request_id;
	p->next = s->pending;
	s->pending = p;
	pthread_mutex_unlock(&s->pending_lock);
	req = json_pack("{s:s,s:I,s:s,s:{s:s,s:o}}", "jsonrpc", "2.0", "id", p->id, "method",
	                "elicitation/create", "params", "message", message, "requestedSchema",
	                schema);
	if (req == NULL)
		goto out;
	mcp_send(s, req);
	until = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd pf[2] = {{p->fd[0], POLLIN, 0}, {cancel_fd, POLLIN, 0}};
		int64_t left = until - now_ms();
		int k;

		if (left <= 0) {
			out = MCP_ELICIT_TIMEOUT;
			cancel_request(s, p->id, "no answer in time: the run was denied");
			break;
		}
		k = poll(pf, cancel_fd >= 0 ? 2 : 1, left > 60000 ? 60000 : (int)left);
		if (k < 0 && errno != EINTR)
			break;
		if (k > 0 && (pf[0].revents & POLLIN)) {
			pthread_mutex_lock(&s->pending_lock);
			out = json_is_object(p->reply) ? check_reply(p->reply, content)
			                               : MCP_ELICIT_MALFORMED;
			pthread_mutex_unlock(&s->pending_lock);
			break;
		}
		if (k > 0 && cancel_fd >= 0 && pf[1].revents != 0) {
			out = MCP_ELICIT_ABORTED;
			cancel_request(s, p->id, "the tool call was cancelled");
			break;
		}
	}
out:
	pthread_mutex_lock(&s->pending_lock);
	for (pp = &s->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	pthread_mutex_unlock(&s->pending_lock);
	json_decref(p->reply);
	close(p->fd[0]);
	close(p->fd[1]);
	free(p);
	return out;
}
