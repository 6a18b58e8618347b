/* opt.h - the command table's entry and the option tables that drive both
 * the parsing of a command's line and its help: one table per command, so
 * the two cannot drift. Long options are only ever taken whole. */
#ifndef SC_CLI_OPT_H
#define SC_CLI_OPT_H

#include <stddef.h>
#include <stdio.h>

struct cli;

/* struct cli_opt.flags */
#define CLI_OPT_ALIAS 0x1u   /* another spelling (the Go secretctl's) of one of ours */
#define CLI_OPT_REFUSED 0x2u /* a spelling we never take: help is the message */

struct cli_opt {
	int id;           /* what cli_parse_next returns (> 0) */
	char short_name;  /* 0: long only */
	const char *name; /* long name without "--"; NULL ends the table */
	const char *arg;  /* the value's metavariable; NULL for a flag */
	const char *help; /* one line (for a refused one: what to use instead) */
	unsigned flags;
};

/* struct cli_cmd.flags: what main does before the command runs (git's
 * cmd_struct RUN_SETUP and friends), so main has no special cases. */
#define CLI_NEEDS_VAULT 0x1u    /* find the vault directory first */
#define CLI_NEEDS_PASSWORD 0x2u /* may read the vault password (--password-fd checked) */
#define CLI_PASSTHROUGH 0x4u    /* options end at the first operand (run) */
#define CLI_NO_PROMPT 0x8u      /* never ask on the terminal (the MCP server) */
#define CLI_HIDDEN 0x10u        /* an alias command, not listed by 'help' */
#define CLI_KEY_NAMES                                                                              \
	0x20u /* its NAME operands (its subcommands' too) name keys,                               \
	         not secrets: completion offers no secret names */

struct cli_cmd {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv); /* NULL: has subcommands */
	unsigned flags;
	const char *operands;       /* after [OPTIONS] in the usage line, or NULL */
	const char *summary;        /* one line, for the command list */
	const char *description;    /* a paragraph for its help, or NULL */
	const struct cli_opt *opts; /* NULL: no options of its own */
	const struct cli_cmd *subs; /* subcommands, NULL-name ended */
};

/* Iterating over one command's line. After CLI_PARSE_END the operands
 * are ops[0..nops) (argv reordered in place: options may stand between
 * operands, except for CLI_PASSTHROUGH commands and after "--"). */
struct cli_parse {
	struct cli *c;
	const struct cli_cmd *cmd;
	int argc;
	char **argv;
	int i;
	char **ops;
	int nops;
	const char *val;     /* the value of the option just returned */
	const char *word;    /* that option as typed, for messages */
	const char *cluster; /* the rest of "-abc" being taken apart */
	int status;          /* the exit status after CLI_PARSE_EXIT */
};

#define CLI_PARSE_END 0
#define CLI_PARSE_EXIT (-1) /* help was printed (status 0) or a usage error */

/* argv[0] is the command's own name. */
void cli_parse_init(struct cli_parse *p, struct cli *c, int argc, char **argv);
int cli_parse_next(struct cli_parse *p);
/* Parse a line for a command without options of its own, with min_ops to
 * max_ops operands: CLI_PARSE_END to go on, or CLI_PARSE_EXIT to return
 * p->status (help printed, or a usage error). */
int cli_parse_none(struct cli *c, int argc, char **argv, int min_ops, int max_ops,
                   struct cli_parse *p);

/* Help for a command (its subcommands' too), generated from the tables. */
void cli_print_help(FILE *f, const struct cli_cmd *cmd, const char *path);
/* The short usage line(s) for a usage error. */
void cli_print_usage(FILE *f, const struct cli_cmd *cmd, const char *path);
/* The closest of the candidates to word by edit distance (transpositions
 * count one), or NULL when none is close. */
const char *cli_closest(const char *word, const char *const *cands, size_t n);
/* Look a command up in a table by its whole name. */
const struct cli_cmd *cli_find_cmd(const struct cli_cmd *table, const char *name);
/* Run a command from a table: a command with subcommands picks one from
 * argv[1] (with -h/--help and 'did you mean'). */
int cli_dispatch(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv);
#endif
