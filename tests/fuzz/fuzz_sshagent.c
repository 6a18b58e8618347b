/* fuzz_sshagent.c - libFuzzer target for the ssh-agent protocol's request
 * parser (sshagent/wire.c), what any process of the owner's uid can send
 * to `secretctl ssh-agent`. Oracle: a parse fails cleanly, or its fields
 * lie inside the input and, written out again, give back exactly the
 * input (a sign request has nothing after its flags; a list request has
 * no body). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secretctl/secretctl.h"
#include "secretctl/sshagent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return p >= data && n <= size && (size_t)(p - data) <= size - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_sshagent_req req;
	uint8_t *again;
	size_t k = 0;
	int r = sc_sshagent_parse(data, size, &req);

	if (r != SC_OK) {
		if (r != SC_ERR_CORRUPT && r != SC_ERR_TOOBIG)
			abort();
		return 0;
	}
	if (size == 0 || req.type != data[0])
		abort();
	if (req.type == SC_SSHAGENT_REQUEST_IDENTITIES && size != 1)
		abort();
	if (req.type != SC_SSHAGENT_SIGN_REQUEST)
		return 0;
	if (!inside(req.key_blob, req.key_blob_len, data, size) ||
	    !inside(req.data, req.data_len, data, size))
		abort();
	if ((again = malloc(1 + 4 + req.key_blob_len + 4 + req.data_len + 4)) == NULL)
		return 0;
	again[k++] = req.type;
	sc_be32_put(again + k, (uint32_t)req.key_blob_len);
	k += 4;
	memcpy(again + k, req.key_blob, req.key_blob_len);
	k += req.key_blob_len;
	sc_be32_put(again + k, (uint32_t)req.data_len);
	k += 4;
	memcpy(again + k, req.data, req.data_len);
	k += req.data_len;
	sc_be32_put(again + k, req.flags);
	k += 4;
	if (k != size || memcmp(again, data, size) != 0)
		abort();
	free(again);
	return 0;
}
