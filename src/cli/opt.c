/* opt.c - the option parser and the help generator, both driven by the
 * command's own table; whole long names only (no getopt abbreviations), and
 * "did you mean" by edit distance for a mistyped option or command. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define HELP_COL 28

static const struct cli_opt help_opt = {'?', 'h', "help", NULL, "show this help and exit", 0};

/* ---- edit distance ---- */

/* Optimal string alignment distance ("lsit" -> "list" is 1), on at most
 * 63 bytes of each word; longer words are never suggested. */
static size_t osa_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[64][64];

	if (la >= 64 || lb >= 64)
		return (size_t)-1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1, v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

const char *cli_closest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t i, bd = (size_t)-1, len = strlen(word);

	if (len == 0)
		return NULL;
	/* an abbreviation names what it abbreviates */
	for (i = 0; i < n; i++)
		if (strncmp(cands[i], word, len) == 0)
			return cands[i];
	for (i = 0; i < n; i++) {
		size_t d = osa_distance(word, cands[i]);

		if (d < bd) {
			bd = d;
			best = cands[i];
		}
	}
	/* close: at most 2 edits, and fewer than half the word */
	if (best == NULL || bd > 2 || bd * 2 >= len)
		return NULL;
	return best;
}

const struct cli_cmd *cli_find_cmd(const struct cli_cmd *table, const char *name)
{
	for (; table != NULL && table->name != NULL; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

/* ---- help ---- */

static void usage_line(FILE *f, const char *lead, const struct cli_cmd *cmd, const char *path)
{
	fprintf(f, "%s secretctl %s%s%s%s\n", lead, path, cmd->opts != NULL ? " [OPTIONS]" : "",
	        cmd->operands ? " " : "", cmd->operands ? cmd->operands : "");
}

void cli_print_usage(FILE *f, const struct cli_cmd *cmd, const char *path)
{
	const struct cli_cmd *s;
	char sub[128];
	int first = 1;

	if (cmd->subs == NULL) {
		usage_line(f, "usage:", cmd, path);
		return;
	}
	for (s = cmd->subs; s->name != NULL; s++) {
		if (s->flags & CLI_HIDDEN)
			continue;
		snprintf(sub, sizeof(sub), "%s %s", path, s->name);
		if (s->subs != NULL) {
			cli_print_usage(f, s, sub);
			continue;
		}
		usage_line(f, first ? "usage:" : "      ", s, sub);
		first = 0;
	}
}

static void print_opt(FILE *f, const struct cli_opt *o)
{
	char left[96];
	int n;

	n = snprintf(left, sizeof(left), "  %c%c%s--%s%s%s", o->short_name ? '-' : ' ',
	             o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
	             o->arg ? " " : "", o->arg ? o->arg : "");
	if (n < 0)
		return;
	if (n >= HELP_COL - 1)
		fprintf(f, "%s\n%*s", left, HELP_COL, "");
	else
		fprintf(f, "%-*s", HELP_COL, left);
	fprintf(f, "%s%s\n", o->flags & CLI_OPT_REFUSED ? "not accepted: " : "", o->help);
}

static void print_opts(FILE *f, const struct cli_cmd *cmd, const char *title)
{
	const struct cli_opt *o;

	fprintf(f, "\n%s:\n", title);
	for (o = cmd->opts; o != NULL && o->name != NULL; o++)
		print_opt(f, o);
	print_opt(f, &help_opt);
}

/* Each leaf subcommand's description and options, however deep. */
static void print_sub_opts(FILE *f, const struct cli_cmd *cmd, const char *path)
{
	const struct cli_cmd *s;
	char sub[128], title[160];

	for (s = cmd->subs; s->name != NULL; s++) {
		if (s->flags & CLI_HIDDEN)
			continue;
		snprintf(sub, sizeof(sub), "%s %s", path, s->name);
		if (s->subs != NULL) {
			print_sub_opts(f, s, sub);
			continue;
		}
		if (s->description != NULL)
			fprintf(f, "\n'%s': %s\n", sub, s->description);
		snprintf(title, sizeof(title), "'%s' options", sub);
		print_opts(f, s, title);
	}
}

void cli_print_help(FILE *f, const struct cli_cmd *cmd, const char *path)
{
	const struct cli_cmd *s;

	cli_print_usage(f, cmd, path);
	fprintf(f, "\n%s.\n", cmd->summary);
	if (cmd->description != NULL)
		fprintf(f, "\n%s\n", cmd->description);
	if (cmd->subs == NULL) {
		print_opts(f, cmd, "options");
	} else {
		fprintf(f, "\nsubcommands:\n");
		for (s = cmd->subs; s->name != NULL; s++)
			fprintf(f, "  %-12s%s%s\n", s->name, s->summary,
			        s->flags & CLI_HIDDEN ? " (alias)" : "");
		print_sub_opts(f, cmd, path);
	}
	if (cmd->flags & CLI_NEEDS_PASSWORD)
		fprintf(f,
		        "\nThe vault password comes from --password-fd N, SECRETCTL_PASSWORD, or "
		        "the terminal\n(three tries), unless an unlocked agent answers.\n");
	fprintf(f,
	        "\nglobal options: --vault DIR, --password-fd N, --token URI, --pin-fd N, --json "
	        "(see 'secretctl help')\n");
}

/* A usage error: the message, then (without --json) the usage lines. */
int cli_usage(struct cli *c, const char *fmt, ...)
{
	char msg[1024];
	int status =
	    c->entry != NULL && (c->entry->flags & CLI_PASSTHROUGH) ? EXIT_RUN_FAIL : EXIT_USAGE;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)cli_error_help(status, c->entry != NULL ? c->path : NULL, msg);
	if (!cli_json_errors() && c->entry != NULL) {
		cli_print_usage(stderr, c->entry, c->path);
		fprintf(stderr, "see 'secretctl help %s'\n", c->path);
	}
	return status;
}

/* ---- parsing ---- */

void cli_parse_init(struct cli_parse *p, struct cli *c, int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->cmd = c->entry;
	p->argc = argc;
	p->argv = argv;
	p->i = 1;
	p->ops = argv + 1;
}

static int usage_status(const struct cli_parse *p)
{
	return p->cmd != NULL && (p->cmd->flags & CLI_PASSTHROUGH) ? EXIT_RUN_FAIL : EXIT_USAGE;
}

static int parse_fail(struct cli_parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int parse_fail(struct cli_parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)cli_usage(p->c, "%s", msg);
	p->status = usage_status(p);
	return CLI_PARSE_EXIT;
}

static const struct cli_opt *find_long(const struct cli_cmd *cmd, const char *name, size_t len)
{
	const struct cli_opt *o;

	for (o = cmd->opts; o != NULL && o->name != NULL; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	if (len == 4 && strncmp(name, "help", 4) == 0)
		return &help_opt;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_cmd *cmd, char ch)
{
	const struct cli_opt *o;

	for (o = cmd->opts; o != NULL && o->name != NULL; o++)
		if (o->short_name == ch)
			return o;
	return ch == 'h' ? &help_opt : NULL;
}

static int unknown_long(struct cli_parse *p, const char *word, size_t len)
{
	const char *cands[64], *best;
	char typed[64];
	const struct cli_opt *o;
	size_t n = 0;

	snprintf(typed, sizeof(typed), "%.*s", (int)(len < 60 ? len : 60), word);
	for (o = p->cmd->opts; o != NULL && o->name != NULL && n < 63; o++)
		cands[n++] = o->name;
	cands[n++] = "help";
	if ((best = cli_closest(typed, cands, n)) == NULL)
		return parse_fail(p, "unknown option '--%s'", typed);
	if (strncmp(best, typed, strlen(typed)) == 0)
		return parse_fail(p,
		                  "unknown option '--%s' (options are never abbreviated); did "
		                  "you mean '--%s'?",
		                  typed, best);
	return parse_fail(p, "unknown option '--%s'; did you mean '--%s'?", typed, best);
}

/* An option was found: refuse it, take its value, or print the help. */
static int take(struct cli_parse *p, const struct cli_opt *o, const char *inline_val)
{
	if (o->flags & CLI_OPT_REFUSED)
		return parse_fail(p, "option '%s' is not accepted: %s", p->word, o->help);
	if (o == &help_opt) {
		if (inline_val != NULL)
			return parse_fail(p, "option '--help' takes no value");
		cli_print_help(stdout, p->cmd, p->c->path);
		p->status = EXIT_OK;
		return CLI_PARSE_EXIT;
	}
	if (o->arg == NULL) {
		if (inline_val != NULL)
			return parse_fail(p, "option '%s' takes no value", p->word);
		p->val = NULL;
		return o->id;
	}
	if (inline_val == NULL) {
		if (p->i >= p->argc)
			return parse_fail(p, "option '%s' needs a value (%s)", p->word, o->arg);
		inline_val = p->argv[p->i++];
	}
	p->val = inline_val;
	return o->id;
}

int cli_parse_next(struct cli_parse *p)
{
	static char shortword[3] = "-?";
	const struct cli_opt *o;
	const char *a;

	if (p->cluster != NULL && *p->cluster != '\0') {
		char ch = *p->cluster++;

		shortword[1] = ch;
		p->word = shortword;
		if ((o = find_short(p->cmd, ch)) == NULL)
			return parse_fail(p, "unknown option '-%c'", ch);
		if (o->arg != NULL && *p->cluster != '\0') {
			a = p->cluster; /* -kVALUE */
			p->cluster = NULL;
			return take(p, o, a);
		}
		if (*p->cluster == '\0')
			p->cluster = NULL;
		return take(p, o, NULL);
	}
	p->cluster = NULL;
	while (p->i < p->argc) {
		a = p->argv[p->i];
		if (strcmp(a, "--") == 0) {
			p->i++;
			while (p->i < p->argc)
				p->ops[p->nops++] = p->argv[p->i++];
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			p->ops[p->nops++] = p->argv[p->i++];
			if (p->cmd->flags & CLI_PASSTHROUGH) {
				/* the command to run: everything after it is its own */
				while (p->i < p->argc)
					p->ops[p->nops++] = p->argv[p->i++];
				break;
			}
			continue;
		}
		p->i++;
		p->word = a;
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			static char word[72];

			if ((o = find_long(p->cmd, name, len)) == NULL)
				return unknown_long(p, name, len);
			snprintf(word, sizeof(word), "--%s", o->name);
			p->word = word;
			return take(p, o, eq ? eq + 1 : NULL);
		}
		p->cluster = a + 1;
		return cli_parse_next(p);
	}
	p->ops[p->nops] = NULL;
	return CLI_PARSE_END;
}

int cli_parse_none(struct cli *c, int argc, char **argv, int min_ops, int max_ops,
                   struct cli_parse *p)
{
	int ch;

	cli_parse_init(p, c, argc, argv);
	if ((ch = cli_parse_next(p)) == CLI_PARSE_EXIT)
		return CLI_PARSE_EXIT;
	if (ch != CLI_PARSE_END)
		p->status = cli_usage(c, "option '%s' is not for this command", p->word);
	else if (p->nops < min_ops)
		p->status = cli_usage(c, "missing %s",
		                      c->entry->operands ? c->entry->operands : "argument");
	else if (p->nops > max_ops)
		p->status = cli_usage(c, "unexpected argument '%s'", p->ops[max_ops]);
	else
		return CLI_PARSE_END;
	return CLI_PARSE_EXIT;
}

/* ---- dispatch ---- */

int cli_dispatch(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	const struct cli_cmd *s;
	const char *cands[32], *best;
	size_t n = 0, len;

	c->entry = cmd;
	if (cmd->subs == NULL)
		return cmd->fn(c, argc, argv);
	if (argc < 2) {
		char list[256] = "";

		for (s = cmd->subs; s->name != NULL; s++)
			if (!(s->flags & CLI_HIDDEN))
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				         list[0] ? ", " : "", s->name);
		return cli_usage(c, "missing subcommand (%s)", list);
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_print_help(stdout, cmd, c->path);
		return EXIT_OK;
	}
	if ((s = cli_find_cmd(cmd->subs, argv[1])) == NULL) {
		for (s = cmd->subs; s->name != NULL && n < 32; s++)
			cands[n++] = s->name;
		if ((best = cli_closest(argv[1], cands, n)) != NULL)
			return cli_usage(c, "unknown subcommand '%s %s'; did you mean '%s %s'?",
			                 c->path, argv[1], c->path, best);
		return cli_usage(c, "unknown subcommand '%s %s'", c->path, argv[1]);
	}
	len = strlen(c->path);
	snprintf(c->path + len, sizeof(c->path) - len, " %s", s->name);
	return cli_dispatch(c, s, argc - 1, argv + 1);
}
