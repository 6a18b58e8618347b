/* fuzz_audit.c - the audit log line parser and the verifier, fed whole
 * files: never a crash, and every line the parser accepts formats back to a
 * line that parses to the same entry (the writer and parser agree). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "secretctl/audit.h"

static const uint8_t key[SC_KEY_LEN] = {7};

static void check_line(const char *line, size_t len)
{
	static struct sc_audit_entry e, g;
	static char out[SC_AUDIT_LINE_MAX + 2];
	size_t n;

	if (sc_audit_parse_line(line, len, &e) != SC_OK)
		return;
	if (sc_audit_format_line(&e, out, sizeof(out), &n) != SC_OK)
		abort();
	if (sc_audit_parse_line(out, n - 1, &g) != SC_OK)
		abort();
	/* strict and canonical: the same bytes come back */
	if (n - 1 != len || memcmp(out, line, len) != 0)
		abort();
	if (e.kind != SC_AUDIT_PENDING) {
		uint8_t m1[SC_MAC_LEN], m2[SC_MAC_LEN];

		if (sc_audit_mac(key, &e, m1) != SC_OK || sc_audit_mac(key, &g, m2) != SC_OK ||
		    memcmp(m1, m2, SC_MAC_LEN) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	struct sc_audit_anchor anchor = {0};
	struct sc_audit_report rep;
	const char *p = (const char *)data, *nl;
	size_t left = size;
	int fd;

	if (!inited) {
		if (sc_init() != SC_OK)
			abort();
		inited = 1;
	}
	/* each line alone */
	while (left > 0) {
		nl = memchr(p, '\n', left);
		size_t len = nl ? (size_t)(nl - p) : left;

		check_line(p, len);
		if (nl == NULL)
			break;
		left -= len + 1;
		p = nl + 1;
	}
	/* the whole input as a log, through the streaming verifier */
	fd = memfd_create("audit", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	(void)!sc_audit_verify_fd(fd, key, &anchor, &rep);
	close(fd);
	return 0;
}
