/* cmd_audit.c - `secretctl audit list|verify|export|prune`: read, check,
 * export and prune the tamper-evident audit log. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "cli/cli.h"
#include "secretctl/audit.h"

/* Blinded id -> name, for the secrets that still exist. */
struct name_map {
	struct mapped {
		uint8_t id[SC_MAC_LEN];
		char *name;
	} * m;
	size_t n, cap;
	struct sc_vault *v;
};

static int map_visit(const struct sc_secret *s, void *arg)
{
	struct name_map *nm = arg;
	struct mapped *nb;
	int r;

	if (nm->n == nm->cap) {
		size_t ncap = nm->cap ? nm->cap * 2 : 64;

		if ((nb = realloc(nm->m, ncap * sizeof(*nb))) == NULL)
			return SC_ERR_NOMEM;
		nm->m = nb;
		nm->cap = ncap;
	}
	if ((r = sc_vault_blind_name(nm->v, sc_secret_name(s), nm->m[nm->n].id)) != SC_OK)
		return r;
	if ((nm->m[nm->n].name = strdup(sc_secret_name(s))) == NULL)
		return SC_ERR_NOMEM;
	nm->n++;
	return 0;
}

static int cmp_mapped(const void *a, const void *b)
{
	return memcmp(((const struct mapped *)a)->id, ((const struct mapped *)b)->id, SC_MAC_LEN);
}

static int map_build(struct sc_vault *v, struct name_map *nm)
{
	int r;

	memset(nm, 0, sizeof(*nm));
	nm->v = v;
	if ((r = sc_vault_walk(v, map_visit, nm)) != SC_OK)
		return r;
	if (nm->n > 0)
		qsort(nm->m, nm->n, sizeof(*nm->m), cmp_mapped);
	return SC_OK;
}

static void map_release(struct name_map *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->m[i].name);
	free(nm->m);
	memset(nm, 0, sizeof(*nm));
}

static const char *map_find(const struct name_map *nm, const uint8_t id[SC_MAC_LEN])
{
	struct mapped key, *hit;

	if (nm->n == 0)
		return NULL;
	memcpy(key.id, id, SC_MAC_LEN);
	hit = bsearch(&key, nm->m, nm->n, sizeof(*nm->m), cmp_mapped);
	return hit ? hit->name : NULL;
}

/* Printable ASCII only, for the terminal and CSV (names a client chose). */
static void printable(const char *s, size_t n, char *out, size_t cap)
{
	size_t i;

	for (i = 0; i < n && i + 1 < cap; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

static void fmt_ts(int64_t ms, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)ms);
	else
		snprintf(buf + strlen(buf), len - strlen(buf), ".%03dZ", (int)(ms % 1000));
}

/* "name" when the secret still exists, else "#" and the first 8 bytes of
 * its blinded id in hex. */
static void secret_label(const struct name_map *nm, const uint8_t id[SC_MAC_LEN], char *buf,
                         size_t len)
{
	const char *name = map_find(nm, id);
	char hex[17];

	if (name != NULL) {
		snprintf(buf, len, "%s", name);
		return;
	}
	sodium_bin2hex(hex, sizeof(hex), id, 8);
	snprintf(buf, len, "#%s", hex);
}

static json_t *json_bytes(const char *s, size_t n)
{
	char clean[SC_AUDIT_CMD_MAX + SC_AUDIT_CLIENT_MAX + 1];
	json_t *j = json_stringn(s, n);

	if (j != NULL)
		return j;
	printable(s, n, clean, sizeof(clean));
	return json_string(clean);
}

static json_t *entry_json(const struct sc_audit_entry *e, const struct name_map *nm, int full)
{
	json_t *o = json_object(), *arr;
	char ts[40], hex[2 * SC_MAC_LEN + 1];
	size_t i;

	if (o == NULL)
		return NULL;
	if (e->kind == SC_AUDIT_PENDING)
		json_object_set_new(o, "seq", json_null());
	else
		json_object_set_new(o, "seq", json_integer((json_int_t)e->seq));
	fmt_ts(e->ts_ms, ts, sizeof(ts));
	json_object_set_new(o, "time", json_string(ts));
	json_object_set_new(o, "op", json_string(e->op));
	json_object_set_new(o, "source", json_string(sc_audit_source_name(e->source)));
	if (e->client_len > 0)
		json_object_set_new(o, "client", json_bytes(e->client, e->client_len));
	json_object_set_new(o, "pid", json_integer(e->pid));
	json_object_set_new(o, "uid", json_integer(e->uid));
	arr = json_array();
	for (i = 0; i < e->n_secrets; i++) {
		json_t *s = json_object();
		const char *name = map_find(nm, e->secrets[i]);

		sodium_bin2hex(hex, sizeof(hex), e->secrets[i], SC_MAC_LEN);
		json_object_set_new(s, "id", json_string(hex));
		json_object_set_new(s, "name", name ? json_string(name) : json_null());
		json_array_append_new(arr, s);
	}
	json_object_set_new(o, "secrets", arr);
	if (e->cmd_len > 0)
		json_object_set_new(o, "command", json_bytes(e->cmd, e->cmd_len));
	json_object_set_new(o, "result", json_string(sc_audit_result_name(e->result)));
	if (e->code[0] != '\0')
		json_object_set_new(o, "code", json_string(e->code));
	if (e->late)
		json_object_set_new(o, "late", json_true());
	if (e->kind == SC_AUDIT_PENDING)
		json_object_set_new(o, "pending", json_true());
	if (full && e->kind != SC_AUDIT_PENDING) {
		sodium_bin2hex(hex, sizeof(hex), e->prev, SC_MAC_LEN);
		json_object_set_new(o, "prev", json_string(hex));
		sodium_bin2hex(hex, sizeof(hex), e->mac, SC_MAC_LEN);
		json_object_set_new(o, "mac", json_string(hex));
	}
	return o;
}

#define AUDIT_W_SRC 24
#define AUDIT_W_OP 24
#define AUDIT_W_RES 8

static void print_text(const struct sc_audit_entry *e, const struct name_map *nm)
{
	char ts[40], src[SC_AUDIT_CLIENT_MAX + 8], res[SC_AUDIT_CODE_MAX + 8], who[300];
	char cmd[SC_AUDIT_CMD_MAX + 1];
	size_t i;

	fmt_ts(e->ts_ms, ts, sizeof(ts));
	if (e->client_len > 0) {
		char cl[SC_AUDIT_CLIENT_MAX + 1];

		printable(e->client, e->client_len, cl, sizeof(cl));
		snprintf(src, sizeof(src), "%s:%s", sc_audit_source_name(e->source), cl);
	} else {
		snprintf(src, sizeof(src), "%s", sc_audit_source_name(e->source));
	}
	/* the code only when it says more than the result ("denied:denied") */
	if (e->code[0] != '\0' && strcmp(e->code, sc_audit_result_name(e->result)) != 0)
		snprintf(res, sizeof(res), "%s:%s", sc_audit_result_name(e->result), e->code);
	else
		snprintf(res, sizeof(res), "%s", sc_audit_result_name(e->result));
	if (e->kind == SC_AUDIT_PENDING)
		printf("%-7s", "-");
	else
		printf("%-7llu", (unsigned long long)e->seq);
	/* widths that fit the usual values (the longest tool name is 24); a
	 * longer one still keeps two spaces before the next column */
	printf(" %s  %-*s  %-*s  %-*s", ts, AUDIT_W_SRC, src, AUDIT_W_OP, e->op, AUDIT_W_RES, res);
	for (i = 0; i < e->n_secrets; i++) {
		secret_label(nm, e->secrets[i], who, sizeof(who));
		printf("%s%s", i == 0 ? " " : ",", who);
	}
	if (e->cmd_len > 0) {
		printable(e->cmd, e->cmd_len, cmd, sizeof(cmd));
		printf(" -- %s", cmd);
	}
	if (e->late)
		printf(" (recorded late)");
	if (e->kind == SC_AUDIT_PENDING)
		printf(" (not yet chained)");
	putchar('\n');
}

/* A time bound: a duration ago ("7d") or a date. */
static int parse_when(const char *s, int64_t *ms)
{
	int64_t secs, t;

	if (cli_parse_duration(s, &secs) == SC_OK) {
		*ms = ((int64_t)time(NULL) - secs) * 1000;
		return SC_OK;
	}
	if (cli_parse_expiry(s, &t) != SC_OK)
		return SC_ERR_INVALID; /* sc_last_error() may say why */
	*ms = t * 1000;
	return SC_OK;
}

struct filter {
	int64_t since, until;
	const char *op;
};

static int matches(const struct filter *f, const struct sc_audit_entry *e)
{
	if (e->kind == SC_AUDIT_CHECKPOINT)
		return 0;
	if (e->ts_ms < f->since || e->ts_ms >= f->until)
		return 0;
	return f->op == NULL || strcmp(f->op, e->op) == 0;
}

/* Open, unlock, and take pending failed unlocks into the chain so that they
 * show; then the map of names for secrets that still exist. */
static int open_for_reading(struct cli *c, struct sc_vault **v, struct name_map *nm)
{
	int r;

	memset(nm, 0, sizeof(*nm));
	if ((r = cli_open_vault(c, 1, v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	if ((r = sc_audit_fold(*v, NULL)) != SC_OK)
		cli_warn("cannot take failed unlocks into the audit chain: %s",
		         sc_last_error()[0] ? sc_last_error() : sc_strerror(r));
	if ((r = map_build(*v, nm)) != SC_OK) {
		map_release(nm);
		return cli_fail(r, "cannot read the vault");
	}
	return EXIT_OK;
}

/* Visit the entries that match, in order; with limit, only the last
 * `limit` of them (a first pass counts). */
static int each_entry(struct cli *c, const struct filter *f, uint64_t limit,
                      void (*fn)(const struct sc_audit_entry *, void *), void *arg,
                      struct sc_audit_reader *rd)
{
	struct sc_audit_entry *e;
	uint64_t total = 0, i = 0, skip = 0;
	int pass, r = SC_OK;

	/* rd: a reader already open, for one pass (no limit), or NULL */
	if ((e = malloc(sizeof(*e))) == NULL) {
		sc_audit_reader_free(rd);
		return cli_fail(SC_ERR_NOMEM, "out of memory");
	}
	for (pass = limit > 0 ? 0 : 1; pass < 2; pass++) {
		if (rd == NULL && (r = sc_audit_reader_open(c->vault_dir, &rd)) != SC_OK)
			break;
		i = 0;
		while ((r = sc_audit_reader_next(rd, e)) == SC_OK) {
			if (!matches(f, e))
				continue;
			if (pass == 0)
				total++;
			else if (i++ >= skip)
				fn(e, arg);
		}
		sc_audit_reader_free(rd);
		rd = NULL;
		if (r != SC_ERR_NOT_FOUND)
			break;
		r = SC_OK;
		if (pass == 0 && total > limit)
			skip = total - limit;
	}
	free(e);
	if (r != SC_OK)
		return cli_fail(r, "cannot read the audit log");
	return EXIT_OK;
}

struct list_ctx {
	const struct name_map *nm;
	json_t *arr;
	int full;
	int csv;
};

static void list_one(const struct sc_audit_entry *e, void *arg)
{
	struct list_ctx *lc = arg;

	if (lc->arr != NULL)
		json_array_append_new(lc->arr, entry_json(e, lc->nm, lc->full));
	else
		print_text(e, lc->nm);
}

static int dump_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));

	if (s == NULL)
		return cli_fail(SC_ERR_NOMEM, "out of memory");
	puts(s);
	free(s);
	return EXIT_OK;
}

#define WHEN_HELP "7d, 12h, or YYYY-MM-DD[THH:MM[:SS]Z]"

const struct cli_opt cli_opts_audit_list[] = {
    {'s', 0, "since", "WHEN", "entries from WHEN on (" WHEN_HELP ")", 0},
    {'u', 0, "until", "WHEN", "entries before WHEN", 0},
    {'o', 0, "op", "OP", "only operation OP (get, set, run, unlock ...)", 0},
    {'l', 0, "limit", "N", "only the last N entries", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

/* the common --since/--until */
static int when_opt(struct cli *c, int ch, const char *val, struct filter *f)
{
	if (parse_when(val, ch == 's' ? &f->since : &f->until) != SC_OK)
		return cli_usage(c, "bad --%s '%s'%s%s (use " WHEN_HELP ")",
		                 ch == 's' ? "since" : "until", val, *sc_last_error() ? ": " : "",
		                 sc_last_error());
	return EXIT_OK;
}

static int audit_list(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct filter f = {INT64_MIN, INT64_MAX, NULL};
	struct list_ctx lc = {0};
	struct name_map nm;
	struct sc_vault *v = NULL;
	uint64_t limit = 0;
	char *end;
	int ch, rc;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		const char *optarg = p.val;

		switch (ch) {
		case 's':
		case 'u':
			if ((rc = when_opt(c, ch, optarg, &f)) != EXIT_OK)
				return rc;
			break;
		case 'o':
			f.op = optarg;
			break;
		case 'l':
			limit = strtoull(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end != '\0')
				return cli_usage(c, "bad --limit '%s' (a positive number)", optarg);
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
	if ((rc = open_for_reading(c, &v, &nm)) != EXIT_OK) {
		sc_vault_close(v);
		return rc;
	}
	lc.nm = &nm;
	if (c->json && (lc.arr = json_array()) == NULL) {
		rc = cli_fail(SC_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = each_entry(c, &f, limit, list_one, &lc, NULL);
	if (rc == EXIT_OK && lc.arr != NULL)
		rc = dump_json(lc.arr);
out:
	json_decref(lc.arr);
	map_release(&nm);
	sc_vault_close(v);
	return rc;
}

static int audit_verify(struct cli *c, int argc, char **argv)
{
	struct sc_audit_report rep;
	struct sc_vault *v = NULL;
	struct cli_parse p;
	int r;

	if (cli_parse_none(c, argc, argv, 0, 0, &p) != CLI_PARSE_END)
		return p.status;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	r = sc_audit_verify(v, &rep);
	sc_vault_close(v);
	if (r != SC_OK && r != SC_ERR_CORRUPT)
		return cli_fail(r, "cannot verify the audit log");
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "ok", json_boolean(r == SC_OK));
		json_object_set_new(o, "entries", json_integer((json_int_t)rep.entries));
		json_object_set_new(o, "first_seq", json_integer((json_int_t)rep.first_seq));
		json_object_set_new(o, "last_seq", json_integer((json_int_t)rep.last_seq));
		json_object_set_new(o, "anchor_seq", json_integer((json_int_t)rep.anchor_seq));
		json_object_set_new(o, "anchor_lag", json_integer((json_int_t)rep.lag));
		json_object_set_new(o, "pending", json_integer((json_int_t)rep.pending));
		json_object_set_new(o, "torn_tail", json_boolean(rep.torn_tail));
		json_object_set_new(o, "checkpoint", json_boolean(rep.checkpoint));
		if (r != SC_OK) {
			json_object_set_new(o, "bad_line", json_integer((json_int_t)rep.bad_line));
			json_object_set_new(o, "bad_seq", json_integer((json_int_t)rep.bad_seq));
			json_object_set_new(o, "error", json_string(rep.why));
		}
		dump_json(o);
		json_decref(o);
	}
	if (r != SC_OK) {
		char at[64] = "", seq[64] = "";

		if (rep.bad_line > 0)
			snprintf(at, sizeof(at), " at line %llu", (unsigned long long)rep.bad_line);
		if (rep.bad_seq > 0)
			snprintf(seq, sizeof(seq), " (entry %llu)",
			         (unsigned long long)rep.bad_seq);
		return cli_error(EXIT_AUDIT, "audit log verification failed%s%s: %s", at, seq,
		                 rep.why);
	}
	if (!c->json) {
		uint64_t n =
		    rep.entries - (uint64_t)rep.checkpoint; /* the checkpoint is no entry */

		if (rep.entries == 0)
			printf("audit log verified: empty");
		else if (n == 0)
			printf("audit log verified: a prune checkpoint only (entries up to %llu "
			       "pruned)",
			       (unsigned long long)rep.last_seq);
		else
			printf("audit log verified: %llu entr%s (%llu..%llu)%s",
			       (unsigned long long)n, n == 1 ? "y" : "ies",
			       (unsigned long long)rep.first_seq, (unsigned long long)rep.last_seq,
			       rep.checkpoint ? ", after a prune checkpoint" : "");
		printf(", anchored at entry %llu\n", (unsigned long long)rep.anchor_seq);
		if (rep.lag > 0)
			printf("note: the anchor lags by %llu valid entr%s (an interrupted append; "
			       "the next one repairs it)\n",
			       (unsigned long long)rep.lag, rep.lag == 1 ? "y" : "ies");
		if (rep.torn_tail)
			printf("note: the last line is incomplete (an interrupted append, never "
			       "acknowledged); the next append removes it\n");
		if (rep.pending > 0)
			printf("note: %llu failed unlock%s not yet chained (taken in at the next "
			       "unlock)\n",
			       (unsigned long long)rep.pending, rep.pending == 1 ? "" : "s");
	}
	return EXIT_OK;
}

/* A CSV cell: always quoted, quotes doubled, control bytes replaced, and a
 * leading = + - @ TAB or CR defused with a ' so no spreadsheet runs it. */
static void csv_cell(const char *s, int last)
{
	const char *p;

	putchar('"');
	if (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r')
		putchar('\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			fputs("\"\"", stdout);
		else
			putchar((unsigned char)*p >= 0x20 && *p != 0x7f ? *p : '?');
	}
	putchar('"');
	putchar(last ? '\n' : ',');
}

static void csv_one(const struct sc_audit_entry *e, void *arg)
{
	struct list_ctx *lc = arg;
	char buf[64], hex[2 * SC_MAC_LEN + 1], *names, *ids;
	char cl[SC_AUDIT_CLIENT_MAX + 1], cmd[SC_AUDIT_CMD_MAX + 1], label[300];
	size_t i, cap = e->n_secrets * 300 + 1, k = 0, m = 0;

	names = calloc(1, cap);
	ids = calloc(1, e->n_secrets * (2 * SC_MAC_LEN + 1) + 1);
	if (names == NULL || ids == NULL)
		goto out;
	for (i = 0; i < e->n_secrets; i++) {
		secret_label(lc->nm, e->secrets[i], label, sizeof(label));
		k += (size_t)snprintf(names + k, cap - k, "%s%s", i ? ";" : "", label);
		sodium_bin2hex(hex, sizeof(hex), e->secrets[i], SC_MAC_LEN);
		m += (size_t)sprintf(ids + m, "%s%s", i ? ";" : "", hex);
	}
	if (e->kind == SC_AUDIT_PENDING)
		csv_cell("", 0);
	else {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)e->seq);
		csv_cell(buf, 0);
	}
	fmt_ts(e->ts_ms, buf, sizeof(buf));
	csv_cell(buf, 0);
	csv_cell(e->op, 0);
	csv_cell(sc_audit_source_name(e->source), 0);
	printable(e->client, e->client_len, cl, sizeof(cl));
	csv_cell(cl, 0);
	snprintf(buf, sizeof(buf), "%u", e->pid);
	csv_cell(buf, 0);
	snprintf(buf, sizeof(buf), "%u", e->uid);
	csv_cell(buf, 0);
	csv_cell(names, 0);
	csv_cell(ids, 0);
	printable(e->cmd, e->cmd_len, cmd, sizeof(cmd));
	csv_cell(cmd, 0);
	csv_cell(sc_audit_result_name(e->result), 0);
	csv_cell(e->code, 0);
	csv_cell(e->late ? "true" : "false", 0);
	csv_cell(e->kind == SC_AUDIT_PENDING ? "true" : "false", 0);
	sodium_bin2hex(hex, sizeof(hex), e->prev, SC_MAC_LEN);
	csv_cell(e->kind == SC_AUDIT_PENDING ? "" : hex, 0);
	sodium_bin2hex(hex, sizeof(hex), e->mac, SC_MAC_LEN);
	csv_cell(e->kind == SC_AUDIT_PENDING ? "" : hex, 1);
out:
	free(names);
	free(ids);
}

const struct cli_opt cli_opts_audit_export[] = {
    {'f', 0, "format", "json|csv", "the output format (default json)", 0},
    {'o', 'o', "output", "FILE", "write to a new FILE (0600; refused if it exists)", 0},
    {'s', 0, "since", "WHEN", "entries from WHEN on (" WHEN_HELP ")", 0},
    {'u', 0, "until", "WHEN", "entries before WHEN", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

/* -o FILE: standard output goes to a new private file from here on. */
static int output_to(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return cli_error(errno == EEXIST ? EXIT_EXISTS : EXIT_FAIL,
		                 "cannot create '%s': %s", path,
		                 errno == EEXIST ? "it exists" : strerror(errno));
	fflush(stdout);
	if (dup2(fd, 1) < 0) {
		close(fd);
		return cli_error(EXIT_FAIL, "cannot write to '%s'", path);
	}
	close(fd);
	return EXIT_OK;
}

static int audit_export(struct cli *c, int argc, char **argv)
{
	struct filter f = {INT64_MIN, INT64_MAX, NULL};
	struct list_ctx lc = {0};
	struct name_map nm;
	struct sc_vault *v = NULL;
	struct sc_audit_reader *rd = NULL;
	struct cli_parse p;
	const char *format = "json", *output = NULL;
	int ch, rc, r, recorded = 0;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 'f':
			format = p.val;
			break;
		case 'o':
			output = p.val;
			break;
		case 's':
		case 'u':
			if ((rc = when_opt(c, ch, p.val, &f)) != EXIT_OK)
				return rc;
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
	if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0)
		return cli_usage(c, "unknown --format '%s' (json or csv)", format);
	if ((rc = open_for_reading(c, &v, &nm)) != EXIT_OK) {
		sc_vault_close(v);
		return rc;
	}
	/* as reads do: the entry is on disk before anything is printed, and
	 * nothing is printed without it (the export then holds it too) */
	if ((r = sc_session_audit_export(v, cli_who(), &rd, &recorded)) != SC_OK) {
		rc = cli_fail(r, recorded ? "cannot read the audit log"
		                          : "cannot write the audit log");
		map_release(&nm);
		sc_vault_close(v);
		return rc;
	}
	if (output != NULL && (rc = output_to(output)) != EXIT_OK) {
		sc_audit_reader_free(rd);
		map_release(&nm);
		sc_vault_close(v);
		return rc;
	}
	lc.nm = &nm;
	lc.full = 1;
	if (strcmp(format, "csv") == 0) {
		fputs("seq,time,op,source,client,pid,uid,secrets,secret_ids,command,result,code,"
		      "late,pending,prev,mac\n",
		      stdout);
		rc = each_entry(c, &f, 0, csv_one, &lc, rd);
	} else if ((lc.arr = json_array()) == NULL) {
		sc_audit_reader_free(rd);
		rc = cli_fail(SC_ERR_NOMEM, "out of memory");
	} else if ((rc = each_entry(c, &f, 0, list_one, &lc, rd)) == EXIT_OK) {
		rc = dump_json(lc.arr);
	}
	if (rc == EXIT_OK && output != NULL && (fflush(stdout) != 0 || fsync(1) != 0))
		rc = cli_error(EXIT_FAIL, "cannot write '%s': %s", output, strerror(errno));
	json_decref(lc.arr);
	map_release(&nm);
	sc_vault_close(v);
	return rc;
}

const struct cli_opt cli_opts_audit_prune[] = {
    {'b', 0, "before", "WHEN", "remove the entries older than WHEN (90d, or a date)", 0},
    {'B', 0, "older-than", "DUR", "the same as --before DUR (the Go secretctl's spelling)",
     CLI_OPT_ALIAS},
    {'n', 0, "dry-run", NULL, "only say how many entries would go", 0},
    {'f', 0, "force", NULL, "accepted for the Go secretctl: prune never asks", CLI_OPT_ALIAS},
    {0, 0, NULL, NULL, NULL, 0},
};

/* --dry-run: the entries prune would take, counted the way it cuts: the
 * run of entries from the start older than the cut-off. */
static int prune_count(struct cli *c, struct sc_vault *v, int64_t before, uint64_t *n)
{
	struct sc_audit_report rep;
	struct sc_audit_reader *rd = NULL;
	struct sc_audit_entry *e;
	int r;

	*n = 0;
	if ((r = sc_audit_verify(v, &rep)) != SC_OK)
		return r;
	if ((e = malloc(sizeof(*e))) == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_audit_reader_open(c->vault_dir, &rd)) == SC_OK) {
		while ((r = sc_audit_reader_next(rd, e)) == SC_OK) {
			if (e->kind == SC_AUDIT_PENDING ||
			    (e->kind == SC_AUDIT_ENTRY && e->ts_ms >= before))
				break;
			if (e->kind == SC_AUDIT_ENTRY)
				(*n)++;
		}
		if (r == SC_ERR_NOT_FOUND)
			r = SC_OK;
		sc_audit_reader_free(rd);
	}
	free(e);
	return r;
}

static int audit_prune(struct cli *c, int argc, char **argv)
{
	struct sc_vault *v = NULL;
	struct cli_parse p;
	int64_t before = 0;
	uint64_t removed = 0;
	int ch, r, have = 0, a, dry = 0;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		int64_t secs;

		switch (ch) {
		case 'B':
			if (cli_parse_duration(p.val, &secs) != SC_OK)
				return cli_usage(
				    c, "bad --older-than '%s' (a duration: 90d, 12h ...)", p.val);
			__attribute__((fallthrough)); /* a duration is a --before */
		case 'b':
			if (parse_when(p.val, &before) != SC_OK)
				return cli_usage(
				    c,
				    "bad --before '%s'%s%s (use 90d, or YYYY-MM-DD[THH:MM[:SS]Z])",
				    p.val, *sc_last_error() ? ": " : "", sc_last_error());
			have = 1;
			break;
		case 'n':
			dry = 1;
			break;
		case 'f':
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (!have)
		return cli_usage(c, "missing --before WHEN (or --older-than DUR)");
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	if (dry) {
		r = prune_count(c, v, before, &removed);
		sc_vault_close(v);
		if (r != SC_OK)
			return r == SC_ERR_CORRUPT ? (cli_fail(r, "cannot prune"), EXIT_AUDIT)
			                           : cli_fail(r, "cannot read the audit log");
		if (c->json)
			printf("{\"removed\":0,\"would_remove\":%llu,\"dry_run\":true}\n",
			       (unsigned long long)removed);
		else
			printf("would prune %llu entr%s (dry run: nothing removed)\n",
			       (unsigned long long)removed, removed == 1 ? "y" : "ies");
		return EXIT_OK;
	}
	/* the entry first, as intent, then the prune (the library) */
	r = sc_session_audit_prune(v, cli_who(), before, &removed, &a);
	sc_vault_close(v);
	if (r != SC_OK && !a)
		return cli_fail(r, "not pruning: cannot write the audit log");
	if (r != SC_OK)
		return r == SC_ERR_CORRUPT ? (cli_fail(r, "cannot prune"), EXIT_AUDIT)
		                           : cli_fail(r, "cannot prune the audit log");
	if (c->json)
		printf("{\"removed\":%llu}\n", (unsigned long long)removed);
	else
		printf("pruned %llu entr%s\n", (unsigned long long)removed,
		       removed == 1 ? "y" : "ies");
	return EXIT_OK;
}

#define AUDIT_FLAGS (CLI_NEEDS_VAULT | CLI_NEEDS_PASSWORD)

const struct cli_cmd cli_audit_subs[] = {
    {"list", audit_list, AUDIT_FLAGS, NULL, "show entries, oldest first",
     "Columns: seq, time, source[:client], operation, result, secrets, -- command.",
     cli_opts_audit_list, NULL},
    {"verify", audit_verify, AUDIT_FLAGS, NULL,
     "check the HMAC chain and its anchor in the vault (exit 10 when it fails)", NULL, NULL, NULL},
    {"export", audit_export, AUDIT_FLAGS, NULL, "every field of the entries, JSON or CSV", NULL,
     cli_opts_audit_export, NULL},
    {"prune", audit_prune, AUDIT_FLAGS, NULL,
     "remove old entries; a MACed checkpoint keeps the chain verifiable", NULL,
     cli_opts_audit_prune, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};
