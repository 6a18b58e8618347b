/* envfile.h - the .env files of `run --env-file` (run/envfile.c): one
 * KEY=VALUE a line. Blank lines and lines starting with '#' are skipped;
 * "export " may stand before KEY; KEY is a variable name ([A-Za-z_][A-Za-z0-9_]*);
 * VALUE is bare (up to a " #" comment, surrounding blanks dropped),
 * 'single-quoted' (taken as is) or "double-quoted" (\n \t \r \\ \" \$ and
 * \' escapes), each on its one line, with only a comment after the closing
 * quote. A VALUE that starts with "secretctl://" is a secret reference
 * (secref.h) and must be a valid one. A KEY given twice is an error. */
#ifndef SECRETCTL_ENVFILE_H
#define SECRETCTL_ENVFILE_H

#include <stddef.h>

#define SC_ENVFILE_MAX (1024 * 1024) /* bytes */
#define SC_ENVFILE_LINES_MAX 4096    /* entries */

struct sc_envfile_entry {
	char *key;
	char *value; /* plain: the value; ref: the reference's path */
	int is_ref;
	size_t line;
};

struct sc_envfile {
	struct sc_envfile_entry *e;
	size_t n;
};

/* Parse buf. On SC_ERR_INVALID, *bad_line is the line (1-based) and why
 * (cap bytes) says what is wrong with it, never its value. */
int sc_envfile_parse(const char *buf, size_t len, struct sc_envfile *out, size_t *bad_line,
                     char *why, size_t cap);
/* Free (and wipe: plain values may be sensitive too) what parse made. */
void sc_envfile_release(struct sc_envfile *f);
#endif
