/* fuzz_mcp.c - libFuzzer target for the MCP server's framing and dispatch:
 * the input is a stream of lines as a client would send them. The vault is
 * locked, so tool calls exercise argument checking and error paths. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcp/mcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int locked(void *arg, struct sc_vault **v, char *msg, size_t msglen)
{
	(void)arg;
	*v = NULL;
	snprintf(msg, msglen, "locked");
	return SC_ERR_LOCKED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int devnull = -1;
	struct mcp_config cfg = {0};
	struct mcp_server *s;
	const char *p = (const char *)data, *end = p + size;

	if (devnull < 0) {
		if (sc_init() != SC_OK)
			abort();
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	}
	cfg.vault_dir = "/nonexistent/secretctl-fuzz";
	cfg.unlock = locked;
	cfg.out_fd = devnull;
	if (mcp_server_new(&cfg, &s) != SC_OK)
		abort();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > MCP_LINE_MAX)
			mcp_server_handle_oversize(s);
		else
			mcp_server_handle_line(s, p, n);
		p += n + (nl != NULL);
	}
	mcp_server_free(s);
	return 0;
}
