/* state.c - what every part of the daemon shares: logging (stderr in the
 * foreground, syslog as a daemon), the clock, the key lock, audit. */
#include "agent/agent_int.h"

/* ---- logging: stderr in the foreground, syslog (authpriv) as a daemon ---- */

int agent_log_stderr;

void agent_log(int prio, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (agent_log_stderr)
		fprintf(stderr, "secretctl agent: %s\n", msg);
	else
		syslog(LOG_AUTHPRIV | prio, "%s", msg);
}

int64_t agent_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

void agent_wake_main(struct agent *a)
{
	(void)!write(a->wake[1], "x", 1);
}

void agent_list_cache_drop(struct agent *a)
{
	if (a->list_cache.buf != NULL)
		sc_wipe(a->list_cache.buf, a->list_cache.len);
	sc_secmem_free(a->list_cache.buf);
	memset(&a->list_cache, 0, sizeof(a->list_cache));
}

void agent_lock_key(struct agent *a, const char *why)
{
	agent_list_cache_drop(a);
	/* runs still going keep their own reference until they end */
	sc_redact_cache_free(a->redact);
	a->redact = NULL;
	if (a->vault == NULL)
		return;
	sc_vault_close(a->vault);
	a->vault = NULL;
	a->reveal = 0;
	agent_log(LOG_INFO, "locked (%s)", why);
}

int agent_audit(struct agent *a, const struct sc_agent_req *q, const char *op,
                const char *const *names, size_t n, const char *cmd, int status)
{
	/* the same entry as the MCP server writes with its own key: the tool
	 * as the op, the client's name */
	int mcp = q->origin == SC_AGENT_ORIGIN_MCP;
	struct sc_audit_event ev = {
	    .op = mcp && q->tool != NULL ? q->tool : op,
	    .source = agent_audit_source(q->origin),
	    .client = mcp ? q->client : NULL,
	    .names = names,
	    .n_names = n,
	    .cmd = cmd,
	    .status = status,
	};
	char detail[512];
	int r;

	snprintf(detail, sizeof(detail), "%s", sc_last_error());
	r = sc_audit_append(a->vault, &ev);
	if (r != SC_OK)
		agent_log(LOG_ERR, "cannot write the audit log: %s", sc_strerror(r));
	sc_clear_error();
	if (detail[0] != '\0')
		sc_set_error("%s", detail);
	return r;
}

/* Record a keyed operation in the vault's audit log, as the CLI does for
 * its own; caller holds a->lock with the vault unlocked. The operation's
 * error detail survives. */

int agent_audit_source(int origin)
{
	return origin == SC_AGENT_ORIGIN_MCP ? SC_AUDIT_SRC_MCP : SC_AUDIT_SRC_AGENT;
}
