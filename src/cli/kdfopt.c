/* kdfopt.c - parsing of --kdf-memory, --kdf-time and fd numbers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kdfopt.h"

int cli_parse_fd(const char *s, int *fd)
{
	char *end;
	long v;

	errno = 0;
	if (*s < '0' || *s > '9') /* strtol would take " 3", "+3" and "-0" */
		return SC_ERR_INVALID;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 1024)
		return SC_ERR_INVALID;
	*fd = (int)v;
	return SC_OK;
}

int cli_parse_kdf_opt(int ch, const char *s, struct sc_kdf_params *kp)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		return SC_ERR_INVALID;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return SC_ERR_INVALID;
	if (ch == 't') {
		if (*end != '\0' || v < 1 || v > 64)
			return SC_ERR_INVALID;
		kp->t = (uint32_t)v;
		return SC_OK;
	}
	/* bound v before scaling it: a huge count of G must not wrap into range */
	if (v > 4ULL * 1024 * 1024)
		return SC_ERR_INVALID;
	if (strcmp(end, "M") == 0)
		v *= 1024;
	else if (strcmp(end, "G") == 0)
		v *= 1024 * 1024;
	else if (*end != '\0')
		return SC_ERR_INVALID;
	if (v < 8192 || v > 4ULL * 1024 * 1024)
		return SC_ERR_INVALID;
	kp->mem_kib = (uint32_t)v;
	return SC_OK;
}
