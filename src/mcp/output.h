/* output.h - a run's captured output as the JSON text of an MCP reply,
 * bounded by what it costs once encoded (issue 11 item 7). */
#ifndef SC_MCP_OUTPUT_H
#define SC_MCP_OUTPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The most one tool result may cost on the wire, whatever the policy's
 * max_output_bytes: the SDK client keeps a whole line in memory. */
#define MCP_REPLY_MAX (2u * 1024 * 1024)

struct mcp_output {
	json_t *text;          /* the string to put in the result */
	size_t cost;           /* bytes it adds to the reply line (both copies) */
	uint64_t cut_bytes;    /* input bytes left out for the budget */
	uint64_t binary_bytes; /* bytes that were not text (shown as U+FFFD, one per run) */
};

/* Encode n bytes of output as a JSON string of at most budget bytes on the
 * reply line. The reply carries each string twice: in structuredContent
 * (json_dumps with JSON_ENSURE_ASCII) and inside the text content (that
 * dump, escaped again); the cost counts both. Valid UTF-8 text (tab,
 * newline and carriage return included) is kept; each run of other bytes
 * (invalid UTF-8, NUL and other control characters) becomes one U+FFFD and
 * is counted in binary_bytes. Output is cut at a character boundary once
 * the budget is spent. out->text is NULL only when out of memory. */
void mcp_output_encode(const uint8_t *p, size_t n, size_t budget, struct mcp_output *out);

/* The cost on the reply line of one code point, as mcp_output_encode
 * counts it (exposed for the tests). */
size_t mcp_output_cost(uint32_t cp);

#endif
