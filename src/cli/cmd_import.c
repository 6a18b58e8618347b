/* cmd_import.c - `secretctl import FILE --format F`: secrets from a .env,
 * our JSON export, or another tool's export, written in one transaction
 * with its audit entry: all of them or, on any error, none. The file is
 * parsed whole before the vault is unlocked. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/import.h"
#include "secretctl/history.h"

const struct cli_opt cli_opts_import[] = {
    {'f', 0, "format", "F",
     "env, json, gosecretctl, 1password-csv, 1pux, bitwarden, lastpass or pass", 0},
    {'n', 0, "dry-run", NULL, "parse and check, say what would happen, change nothing", 0},
    {'p', 0, "prefix", "P", "put P before every name (e.g. 'app/')", 0},
    {'t', 0, "tag", "T", "tag every imported secret with T (repeatable)", 0},
    {'c', 0, "on-conflict", "ACTION",
     "a name the vault has: error (the default: import nothing), skip, or replace (the "
     "old version kept in the history)",
     0},
    {0, 0, NULL, NULL, NULL, 0},
};

static const struct {
	const char *name;
	int format;
} formats[] = {
    {"env", SC_IMPORT_ENV},
    {"json", SC_IMPORT_JSON},
    {"gosecretctl", SC_IMPORT_GOSECRETCTL},
    {"1password-csv", SC_IMPORT_1PASSWORD_CSV},
    {"1pux", SC_IMPORT_1PUX},
    {"bitwarden", SC_IMPORT_BITWARDEN},
    {"lastpass", SC_IMPORT_LASTPASS},
    {"pass", SC_IMPORT_PASS},
};

enum { ON_ERROR, ON_SKIP, ON_REPLACE };

/* Files this large (in secrets) show progress on a terminal. */
#define PROGRESS_MIN 1000

struct plan {
	struct sc_import_set *set; /* the first pass: names, in order */
	unsigned char *exists;     /* per secret: the vault has the name */
	int on_conflict;
	int progress;
	int format;
	const char *file, *prefix;
	const uint8_t *buf;
	size_t len;
	const char *const *tags;
	size_t ntags;
	size_t imported, replaced, skipped;
	const char *conflict; /* the first name the vault has */
	/* the second pass, inside the transaction */
	struct sc_vault *v;
	size_t at;
};

static int add_tags(struct plan *pl, struct sc_secret *s)
{
	size_t k;
	int r;

	for (k = 0; k < pl->ntags; k++)
		if ((r = sc_secret_add_tag(s, pl->tags[k])) != SC_OK && r != SC_ERR_EXISTS) {
			sc_set_error("'%s' has too many tags for --tag", sc_secret_name(s));
			return SC_ERR_INVALID;
		}
	return SC_OK;
}

/* the first pass: every secret checked, then dropped */
static int check_sink(struct sc_secret *s, void *arg)
{
	return add_tags(arg, s);
}

/* the second pass: each secret written as the codec finishes it */
static int write_sink(struct sc_secret *s, void *arg)
{
	struct plan *pl = arg;
	size_t i = pl->at++, n = sc_import_set_count(pl->set);
	int r, ex;

	if (i >= n || strcmp(sc_secret_name(s), sc_import_set_name(pl->set, i)) != 0) {
		sc_set_error("'%s' changed while the import ran", pl->file);
		return SC_ERR_BUSY;
	}
	if (pl->progress && (i % 500 == 0 || i + 1 == n))
		cli_import_progress("importing", i + 1, n);
	if ((r = add_tags(pl, s)) != SC_OK ||
	    (r = sc_vault_exists(pl->v, sc_secret_name(s), &ex)) != SC_OK)
		return r;
	if (ex != pl->exists[i]) {
		sc_set_error("'%s' was %s while the import ran; run it again", sc_secret_name(s),
		             ex ? "created" : "deleted");
		return SC_ERR_BUSY;
	}
	if (ex && pl->on_conflict == ON_SKIP)
		return SC_OK;
	if ((r = sc_vault_put_keep_in_txn(pl->v, s, 0)) != SC_OK)
		sc_set_error("'%s' cannot be stored", sc_secret_name(s));
	return r;
}

static int parse_into(struct plan *pl, struct sc_import_set *set, int progress)
{
	if (pl->format == SC_IMPORT_PASS)
		return cli_import_pass(pl->file, set, progress);
	return sc_import_parse(pl->format, pl->buf, pl->len, set);
}

static int apply(struct sc_vault *v, void *arg)
{
	struct plan *pl = arg;
	struct sc_import_set *set = NULL;
	int r;

	pl->v = v;
	pl->at = 0;
	if ((r = sc_import_set_new(&set, pl->prefix, write_sink, pl)) != SC_OK)
		return r;
	r = parse_into(pl, set, 0);
	if (r == SC_OK && pl->at != sc_import_set_count(pl->set)) {
		sc_set_error("'%s' changed while the import ran", pl->file);
		r = SC_ERR_BUSY;
	}
	sc_import_set_free(set);
	return r;
}

static int read_input(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		sc_set_error("'%s': %s", path, strerror(errno));
		return errno == ENOENT ? SC_ERR_NOT_FOUND : sc_status_from_errno(errno);
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		sc_set_error("'%s' is a directory (only --format pass reads one)", path);
		return SC_ERR_INVALID;
	}
	r = cli_read_fd(fd, SC_IMPORT_FILE_MAX, buf, len);
	close(fd);
	if (r == SC_ERR_TOOBIG)
		sc_set_error("'%s' is larger than %u bytes", path, SC_IMPORT_FILE_MAX);
	return r;
}

static int summary(struct cli *c, const struct plan *pl, int dry)
{
	size_t empty = sc_import_set_empty(pl->set);

	if (c->json) {
		json_t *o =
		    json_pack("{s:b,s:I,s:I,s:I,s:I}", "dry_run", dry, "imported",
		              (json_int_t)pl->imported, "replaced", (json_int_t)pl->replaced,
		              "skipped", (json_int_t)pl->skipped, "empty", (json_int_t)empty);
		char *txt = json_dumps(o, JSON_COMPACT);

		if (txt != NULL)
			puts(txt);
		free(txt);
		json_decref(o);
		return EXIT_OK;
	}
	printf(dry ? "would import %zu, replace %zu, skip %zu"
	           : "imported %zu, replaced %zu, "
	             "skipped %zu",
	       pl->imported, pl->replaced, pl->skipped);
	if (empty > 0)
		printf(" (%zu empty value%s left out)", empty, empty == 1 ? "" : "s");
	putchar('\n');
	return EXIT_OK;
}

/* What the import writes, for the audit: imported and replaced names. */
static const char **written_names(const struct plan *pl, size_t *n)
{
	size_t i, total = sc_import_set_count(pl->set);
	const char **v = calloc(total ? total : 1, sizeof(*v));

	*n = 0;
	if (v == NULL)
		return NULL;
	for (i = 0; i < total; i++)
		if (!(pl->exists[i] && pl->on_conflict == ON_SKIP))
			v[(*n)++] = sc_import_set_name(pl->set, i);
	return v;
}

int cmd_import(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct plan pl = {0};
	struct sc_vault *v = NULL;
	const char *fmt = NULL, *prefix = NULL, *file, *tags[SC_TAGS_MAX], **names = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, ntags = 0, i, n, nnames = 0, logged = 0;
	int ch, r, rc = EXIT_FAIL, format = -1, dry = 0;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 'f':
			fmt = p.val;
			break;
		case 'n':
			dry = 1;
			break;
		case 'p':
			prefix = p.val;
			break;
		case 't':
			if (ntags == SC_TAGS_MAX)
				return cli_usage(c, "too many tags (at most %d)", SC_TAGS_MAX);
			if (sc_tag_valid(p.val) != SC_OK)
				return cli_usage(c, "invalid tag '%s' (1-64 of [A-Za-z0-9._:/@+-])",
				                 p.val);
			tags[ntags++] = p.val;
			break;
		case 'c':
			if (strcmp(p.val, "error") == 0)
				pl.on_conflict = ON_ERROR;
			else if (strcmp(p.val, "skip") == 0)
				pl.on_conflict = ON_SKIP;
			else if (strcmp(p.val, "replace") == 0)
				pl.on_conflict = ON_REPLACE;
			else
				return cli_usage(
				    c, "bad --on-conflict '%s' (error, skip or replace)", p.val);
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, p.nops < 1 ? "missing FILE" : "one FILE at a time");
	file = p.ops[0];
	if (fmt == NULL)
		return cli_usage(c, "--format is needed (env, json, gosecretctl, 1password-csv, "
		                    "1pux, bitwarden, lastpass or pass)");
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(fmt, formats[i].name) == 0)
			format = formats[i].format;
	if (format < 0)
		return cli_usage(c,
		                 "unknown --format '%s' (env, json, gosecretctl, "
		                 "1password-csv, 1pux, bitwarden, lastpass or pass)",
		                 fmt);
	if (prefix != NULL) {
		char probe[SC_NAME_MAX + 2];

		if ((size_t)snprintf(probe, sizeof(probe), "%sx", prefix) >= sizeof(probe) ||
		    sc_name_valid(probe) != SC_OK)
			return cli_usage(c, "invalid --prefix '%s' (the start of a secret name)",
			                 prefix);
	}
	pl.format = format;
	pl.file = file;
	pl.prefix = prefix;
	pl.tags = tags;
	pl.ntags = ntags;
	if ((r = sc_import_set_new(&pl.set, prefix, check_sink, &pl)) != SC_OK)
		return cli_fail(r, "out of memory");

	/* the whole file parsed first: bad input changes nothing, asks nothing;
	 * the transaction parses it again and writes each secret as it comes */
	if (format != SC_IMPORT_PASS && (r = read_input(file, &buf, &len)) != SC_OK) {
		rc = cli_fail(r, "cannot read the input");
		goto out;
	}
	pl.buf = buf;
	pl.len = len;
	r = parse_into(&pl, pl.set, isatty(2));
	if (r != SC_OK) {
		rc = cli_error(
		    cli_exit_status(r == SC_ERR_NAME || r == SC_ERR_EXISTS ? SC_ERR_INVALID : r),
		    "cannot import '%s': %s", file, sc_last_error());
		goto out;
	}
	n = sc_import_set_count(pl.set);
	if ((pl.exists = calloc(n ? n : 1, 1)) == NULL) {
		rc = cli_fail(SC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK) {
		rc = cli_fail(r, "cannot unlock the vault");
		goto out;
	}
	for (i = 0; i < n; i++) {
		int ex;
		const char *name = sc_import_set_name(pl.set, i);

		if ((r = sc_vault_exists(v, name, &ex)) != SC_OK) {
			rc = cli_fail(r, "cannot read the vault");
			goto out;
		}
		pl.exists[i] = (unsigned char)ex;
		if (!ex)
			pl.imported++;
		else if (pl.on_conflict == ON_SKIP)
			pl.skipped++;
		else if (pl.on_conflict == ON_REPLACE)
			pl.replaced++;
		else if (pl.conflict == NULL)
			pl.conflict = name;
	}
	if (pl.conflict != NULL) {
		rc = cli_error(EXIT_EXISTS,
		               "not importing: '%s' exists in the vault (and %zu more); use "
		               "--on-conflict skip or --on-conflict replace",
		               pl.conflict, pl.replaced + pl.skipped + n - pl.imported - 1);
		goto out;
	}
	if (dry) {
		rc = summary(c, &pl, 1);
		goto out;
	}
	pl.progress = isatty(2) && n >= PROGRESS_MIN;
	if ((names = written_names(&pl, &nnames)) == NULL) {
		rc = cli_fail(SC_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the writes and their audit entries (the library) */
	r = sc_session_import(v, cli_who(), names, nnames, apply, &pl, &logged);
	if (r != SC_OK) {
		rc = cli_fail(r, "nothing imported");
		goto out;
	}
	if (logged < nnames)
		cli_warn("imported, but the names after the first %zu are not all in the "
		         "audit log",
		         logged);
	rc = summary(c, &pl, 0);
out:
	free(names);
	free(pl.exists);
	sc_secmem_free(buf);
	sc_import_set_free(pl.set);
	sc_vault_close(v);
	return rc;
}
