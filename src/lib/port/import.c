/* import.c - the import entry points: the format table, the .1pux archive
 * (a zip read from memory with libzip, its export.data parsed), and one
 * password-store entry. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <zip.h>

#include "port/port_int.h"
#include "secretctl/secmem.h"

/* the 1PUX export.data is text; refuse an archive that claims more */
#define ONEPUX_DATA_MAX (64u * 1024 * 1024)

static int parse_1pux_zip(const uint8_t *in, size_t len, struct sc_import_set *set)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *z;
	zip_file_t *f = NULL;
	zip_stat_t st;
	uint8_t *buf = NULL;
	zip_int64_t got;
	int r = SC_ERR_INVALID;

	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(in, len, 0, &ze)) == NULL) {
		zip_error_fini(&ze);
		return SC_ERR_NOMEM;
	}
	if ((z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze)) == NULL) {
		sc_set_error("not a zip archive (a .1pux is one): %s", zip_error_strerror(&ze));
		zip_source_free(src);
		zip_error_fini(&ze);
		return SC_ERR_INVALID;
	}
	zip_stat_init(&st);
	if (zip_stat(z, "export.data", 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
		sc_set_error("no export.data in the archive");
		goto out;
	}
	if (st.size > ONEPUX_DATA_MAX) {
		sc_set_error("export.data: larger than %u bytes", ONEPUX_DATA_MAX);
		r = SC_ERR_TOOBIG;
		goto out;
	}
	if ((buf = sc_secmem_alloc((size_t)st.size + 1)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((f = zip_fopen(z, "export.data", 0)) == NULL ||
	    (got = zip_fread(f, buf, st.size)) < 0 || (zip_uint64_t)got != st.size) {
		sc_set_error("export.data: cannot be read from the archive: %s", zip_strerror(z));
		goto out;
	}
	r = sc_import_parse_1pux(buf, (size_t)st.size, set);
	if (r != SC_OK) {
		char msg[400];

		snprintf(msg, sizeof(msg), "%s", sc_last_error());
		sc_set_error("export.data: %s", msg);
	}
out:
	if (f != NULL)
		zip_fclose(f);
	if (buf != NULL)
		sc_secmem_free(buf);
	zip_discard(z);
	zip_error_fini(&ze);
	return r;
}

static int parse(int format, const uint8_t *buf, size_t len, struct sc_import_set *set)
{
	switch (format) {
	case SC_IMPORT_ENV:
		return sc_import_parse_env(buf, len, set);
	case SC_IMPORT_JSON:
		return sc_import_parse_json(buf, len, set);
	case SC_IMPORT_GOSECRETCTL:
		return sc_import_parse_gosecretctl(buf, len, set);
	case SC_IMPORT_1PASSWORD_CSV:
		return sc_import_parse_1password_csv(buf, len, set);
	case SC_IMPORT_1PUX:
		return parse_1pux_zip(buf, len, set);
	case SC_IMPORT_BITWARDEN:
		return sc_import_parse_bitwarden(buf, len, set);
	case SC_IMPORT_LASTPASS:
		return sc_import_parse_lastpass(buf, len, set);
	}
	return SC_ERR_INVALID;
}

int sc_import_parse(int format, const uint8_t *buf, size_t len, struct sc_import_set *set)
{
	int r = parse(format, buf, len, set);

	/* the sink's failure, not the codec's reading of it, is the story; on
	 * the codec's own error the unfinished last secret is not handed on */
	if (sc_import_set_failed(set) || r == SC_OK)
		return sc_import_set_finish(set);
	return r;
}

/* pass(1): the first line is the password; "key: value" lines after it
 * become public fields (otpauth:// sensitive), the rest the notes. */
int sc_import_pass_entry(struct sc_import_set *set, const char *name, const uint8_t *buf,
                         size_t len)
{
	const char *p = (const char *)buf, *end = p + len, *nl;
	struct sc_secret *s;
	char *notes = NULL, *line = NULL;
	size_t nn = 0;
	int r;

	if (memchr(buf, '\0', len) != NULL) {
		sc_set_error("a NUL byte in the decrypted entry");
		return SC_ERR_INVALID;
	}
	if ((r = sc_import_set_add(set, name, &s)) != SC_OK) {
		sc_set_error("'%s' is not a valid secret name", name);
		return r == SC_ERR_EXISTS ? SC_ERR_INVALID : r;
	}
	nl = memchr(p, '\n', len);
	if ((r = sc_import_add_text(
	         s, "password", p, (size_t)((nl ? nl : end) - p) - (nl && nl > p && nl[-1] == '\r'),
	         1)) != SC_OK)
		return r;
	if (nl == NULL)
		return SC_OK;
	if ((notes = sc_secmem_alloc(len + 1)) == NULL ||
	    (line = sc_secmem_alloc(len + 1)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	for (p = nl + 1; p < end; p = nl + 1) {
		const char *colon;
		size_t n;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		memcpy(line, p, n);
		line[n] = '\0';
		colon = strchr(line, ':');
		if (colon != NULL && colon > line && colon[1] == ' ' && colon - line <= 40 &&
		    strncmp(line, "otpauth", 7) != 0) {
			char key[48];
			int sens;

			memcpy(key, line, (size_t)(colon - line));
			key[colon - line] = '\0';
			sens = strstr(colon + 2, "otpauth://") == colon + 2 ||
			       strcasecmp(key, "password") == 0 || strcasecmp(key, "pin") == 0;
			/* "url: ..." (browserpass, pass-import) is the secret's URL */
			if (!(strcasecmp(key, "url") == 0 && sc_secret_url(s) == NULL &&
			      sc_secret_set_url(s, colon + 2) == SC_OK) &&
			    (r = sc_import_add_text(s, key, colon + 2, strlen(colon + 2), sens)) !=
			        SC_OK)
				goto out;
		} else if (strncmp(line, "otpauth://", 10) == 0) {
			if ((r = sc_import_add_text(s, "totp", line, n, 1)) != SC_OK)
				goto out;
		} else {
			memcpy(notes + nn, line, n);
			nn += n;
			notes[nn++] = '\n';
		}
		if (nl == end)
			break;
	}
	while (nn > 0 && notes[nn - 1] == '\n')
		nn--;
	notes[nn] = '\0';
	r = sc_import_set_notes(s, notes);
	if (r != SC_OK)
		sc_set_error("the notes hold control characters");
out:
	sc_secmem_free(notes);
	sc_secmem_free(line);
	return r;
}
