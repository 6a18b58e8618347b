/* cmd_completion.c - `secretctl completion bash|zsh|fish`: a completion
 * script generated from the command table (main.c), so it cannot drift
 * from the commands. Secret names come from `secretctl list` with
 * SECRETCTL_NO_PROMPT=1 and no password in the environment: an unlocked
 * agent answers (names only); anything else gives no names, at once. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* What an option's value is: "file", "dir", "name" or "value". */
static const char *arg_kind(const char *meta)
{
	if (strstr(meta, "DIR") != NULL)
		return "dir";
	if (strstr(meta, "FILE") != NULL || strstr(meta, "TEMPLATE") != NULL)
		return "file";
	if (strstr(meta, "NAME") != NULL || strstr(meta, "PATTERN") != NULL)
		return "name";
	return "value";
}

/* What a command's operands are: "ref", "name", "choice:a b", "command",
 * "file" or "" (nothing to complete). */
static void operand_kind(const struct cli_cmd *cmd, int keys, char *buf, size_t cap)
{
	const char *o = cmd->operands, *p;

	buf[0] = '\0';
	if (o == NULL || keys || (cmd->flags & CLI_KEY_NAMES))
		return;
	if (strstr(o, "secretctl://") != NULL) {
		snprintf(buf, cap, "ref");
		return;
	}
	if (strstr(o, "NAME") || strstr(o, "OLD") || strstr(o, "FROM")) {
		snprintf(buf, cap, "name");
		return;
	}
	if (strstr(o, "COMMAND") != NULL) {
		snprintf(buf, cap, "command");
		return;
	}
	if (strstr(o, "FILE") != NULL) {
		snprintf(buf, cap, "file");
		return;
	}
	for (p = o; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '|'))
			return;
	snprintf(buf, cap, "choice:%s", o);
	for (p = buf; *p != '\0'; p++)
		if (*p == '|')
			buf[p - buf] = ' ';
}

static void path_join(char *out, size_t cap, const char *path, const char *name)
{
	snprintf(out, cap, "%s%s%s", path, path[0] ? " " : "", name);
}

/* ---- bash (and zsh through bashcompinit) ---- */

static void bash_subs(const struct cli_cmd *table, const char *path)
{
	const struct cli_cmd *c;
	char sub[128];

	printf("\t\"%s\") echo \"", path);
	for (c = table; c->name != NULL; c++)
		if (!(c->flags & CLI_HIDDEN))
			printf("%s%s", c == table ? "" : " ", c->name);
	printf("\" ;;\n");
	for (c = table; c->name != NULL; c++)
		if (c->subs != NULL && !(c->flags & CLI_HIDDEN)) {
			path_join(sub, sizeof(sub), path, c->name);
			bash_subs(c->subs, sub);
		}
}

static void bash_opts(const struct cli_cmd *table, const char *path)
{
	const struct cli_cmd *c;
	const struct cli_opt *o;
	char sub[128];

	for (c = table; c->name != NULL; c++) {
		if (c->flags & CLI_HIDDEN)
			continue;
		path_join(sub, sizeof(sub), path, c->name);
		printf("\t\"%s\") echo \"--help", sub);
		for (o = c->opts; o != NULL && o->name != NULL; o++)
			if (!(o->flags & CLI_OPT_REFUSED))
				printf(" --%s", o->name);
		printf("\" ;;\n");
		if (c->subs != NULL)
			bash_opts(c->subs, sub);
	}
}

static void bash_optargs(const struct cli_cmd *table, const char *path)
{
	const struct cli_cmd *c;
	const struct cli_opt *o;
	char sub[128];

	for (c = table; c->name != NULL; c++) {
		if (c->flags & CLI_HIDDEN)
			continue;
		path_join(sub, sizeof(sub), path, c->name);
		for (o = c->opts; o != NULL && o->name != NULL; o++) {
			if (o->arg == NULL || (o->flags & CLI_OPT_REFUSED))
				continue;
			printf("\t\"%s --%s\"", sub, o->name);
			if (o->short_name)
				printf(" | \"%s -%c\"", sub, o->short_name);
			printf(") echo %s ;;\n", arg_kind(o->arg));
		}
		if (c->subs != NULL)
			bash_optargs(c->subs, sub);
	}
}

static void bash_operands(const struct cli_cmd *table, const char *path, int keys)
{
	const struct cli_cmd *c;
	char sub[128], kind[128];

	for (c = table; c->name != NULL; c++) {
		if (c->flags & CLI_HIDDEN)
			continue;
		path_join(sub, sizeof(sub), path, c->name);
		operand_kind(c, keys, kind, sizeof(kind));
		if (kind[0] != '\0')
			printf("\t\"%s\") echo \"%s\" ;;\n", sub, kind);
		if (c->subs != NULL)
			bash_operands(c->subs, sub, keys || (c->flags & CLI_KEY_NAMES));
	}
}

static const char bash_main[] =
    "# the names of the secrets, from an unlocked agent only: no password in the\n"
    "# environment, never a prompt, at most 3 seconds\n"
    "_secretctl_names() {\n"
    "\tlocal v=()\n"
    "\t[ -n \"$_secretctl_vault\" ] && v=(--vault \"$_secretctl_vault\")\n"
    "\tSECRETCTL_NO_PROMPT=1 timeout 3 env -u SECRETCTL_PASSWORD \"${COMP_WORDS[0]}\" \"${v[@]}\" "
    "list </dev/null 2>/dev/null\n"
    "}\n"
    "\n"
    "_secretctl() {\n"
    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev= path= i w kind subs full\n"
    "\t_secretctl_vault=\n"
    "\tCOMPREPLY=()\n"
    "\t[ \"$COMP_CWORD\" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
    "\t\tw=${COMP_WORDS[i]}\n"
    "\t\tcase $w in\n"
    "\t\t--vault) _secretctl_vault=${COMP_WORDS[i+1]}; ((i++)); continue ;;\n"
    "\t\t--password-fd) ((i++)); continue ;;\n"
    "\t\t--)\n"
    "\t\t\tCOMPREPLY=($(compgen -c -- \"$cur\"))\n"
    "\t\t\treturn ;;\n"
    "\t\t-*)\n"
    "\t\t\t[ -n \"$(_secretctl_optarg \"$path $w\")\" ] && ((i++))\n"
    "\t\t\tcontinue ;;\n"
    "\t\tesac\n"
    "\t\tsubs=\" $(_secretctl_subs \"$path\") \"\n"
    "\t\t[[ $subs == *\" $w \"* ]] && path=${path:+$path }$w\n"
    "\tdone\n"
    "\tif [ \"$COMP_CWORD\" -gt 1 ] && [[ $prev == -* ]]; then\n"
    "\t\tcase $prev in --vault) kind=dir ;; --password-fd) kind=value ;;\n"
    "\t\t*) kind=$(_secretctl_optarg \"$path $prev\") ;; esac\n"
    "\t\tcase $kind in\n"
    "\t\tfile) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
    "\t\tdir) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n"
    "\t\tname) COMPREPLY=($(compgen -W \"$(_secretctl_names)\" -- \"$cur\")); return ;;\n"
    "\t\tvalue) return ;;\n"
    "\t\tesac\n"
    "\tfi\n"
    "\tif [[ $cur == -* ]]; then\n"
    "\t\tif [ -z \"$path\" ]; then\n"
    "\t\t\tCOMPREPLY=($(compgen -W \"--vault --password-fd --json --help --version\" -- "
    "\"$cur\"))\n"
    "\t\telse\n"
    "\t\t\tCOMPREPLY=($(compgen -W \"$(_secretctl_opts \"$path\") --json\" -- \"$cur\"))\n"
    "\t\tfi\n"
    "\t\treturn\n"
    "\tfi\n"
    "\tsubs=$(_secretctl_subs \"$path\")\n"
    "\tif [ -n \"$subs\" ]; then\n"
    "\t\tCOMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
    "\t\treturn\n"
    "\tfi\n"
    "\tkind=$(_secretctl_operand \"$path\")\n"
    "\tcase $kind in\n"
    "\tname) COMPREPLY=($(compgen -W \"$(_secretctl_names)\" -- \"$cur\")) ;;\n"
    "\tref)\n"
    "\t\t# ':' breaks words in bash: complete the whole word, then keep what\n"
    "\t\t# follows its last ':'\n"
    "\t\tfull=${COMP_LINE:0:COMP_POINT}\n"
    "\t\tfull=${full##* }\n"
    "\t\tCOMPREPLY=($(compgen -W \"$(_secretctl_names | sed 's|^|secretctl://|')\" -- "
    "\"$full\"))\n"
    "\t\tif [[ $full == *:* ]]; then\n"
    "\t\t\tfor i in \"${!COMPREPLY[@]}\"; do COMPREPLY[i]=${COMPREPLY[i]#\"${full%:*}:\"}; "
    "done\n"
    "\t\tfi ;;\n"
    "\tcommand) COMPREPLY=($(compgen -c -- \"$cur\")) ;;\n"
    "\tfile) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
    "\tchoice:*) COMPREPLY=($(compgen -W \"${kind#choice:}\" -- \"$cur\")) ;;\n"
    "\tesac\n"
    "}\n"
    "complete -F _secretctl secretctl\n";

static void bash_script(void)
{
	printf("# bash completion for secretctl, generated by 'secretctl completion bash'\n"
	       "# (secretctl %s); load with: source <(secretctl completion bash)\n\n",
	       SC_VERSION);
	printf("_secretctl_subs() {\n\tcase $1 in\n");
	bash_subs(cli_commands, "");
	printf("\tesac\n}\n\n_secretctl_opts() {\n\tcase $1 in\n");
	bash_opts(cli_commands, "");
	printf("\tesac\n}\n\n# an option that takes a value: what the value is\n"
	       "_secretctl_optarg() {\n\tcase $1 in\n");
	bash_optargs(cli_commands, "");
	printf("\tesac\n}\n\n_secretctl_operand() {\n\tcase $1 in\n");
	bash_operands(cli_commands, "", 0);
	printf("\tesac\n}\n\n%s", bash_main);
}

/* ---- fish ---- */

static void fish_quoted(const char *s)
{
	putchar('\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('\'');
}

#define FISH_LIST                                                                                  \
	"env SECRETCTL_NO_PROMPT=1 timeout 3 env -u SECRETCTL_PASSWORD secretctl list "            \
	"</dev/null 2>/dev/null"
static const char fish_names[] = "(" FISH_LIST ")";
static const char fish_refs[] = "(" FISH_LIST " | string replace -r \"^\" secretctl://)";

static void fish_table(const struct cli_cmd *table, const char *parent, int keys)
{
	const struct cli_cmd *c;
	const struct cli_opt *o;
	char kind[128];

	for (c = table; c->name != NULL; c++) {
		if (c->flags & CLI_HIDDEN)
			continue;
		if (parent == NULL)
			printf("complete -c secretctl -n __fish_use_subcommand -f -a %s -d ",
			       c->name);
		else
			printf("complete -c secretctl -n '__fish_seen_subcommand_from %s; and not "
			       "__fish_seen_subcommand_from",
			       parent);
		if (parent != NULL) {
			const struct cli_cmd *s;

			for (s = table; s->name != NULL; s++)
				printf(" %s", s->name);
			printf("' -f -a %s -d ", c->name);
		}
		fish_quoted(c->summary);
		putchar('\n');
		for (o = c->opts; o != NULL && o->name != NULL; o++) {
			if (o->flags & CLI_OPT_REFUSED)
				continue;
			printf("complete -c secretctl -n '__fish_seen_subcommand_from %s' -l %s",
			       c->name, o->name);
			if (o->short_name)
				printf(" -s %c", o->short_name);
			if (o->arg != NULL) {
				const char *k = arg_kind(o->arg);

				printf(" -r");
				if (strcmp(k, "name") == 0)
					printf(" -f -a '%s'", fish_names);
				else if (strcmp(k, "value") == 0)
					printf(" -f");
			}
			printf(" -d ");
			fish_quoted(o->help);
			putchar('\n');
		}
		operand_kind(c, keys, kind, sizeof(kind));
		if (strcmp(kind, "name") == 0)
			printf("complete -c secretctl -n '__fish_seen_subcommand_from %s' -f -a "
			       "'%s'\n",
			       c->name, fish_names);
		else if (strcmp(kind, "ref") == 0)
			printf("complete -c secretctl -n '__fish_seen_subcommand_from %s' -f -a "
			       "'%s'\n",
			       c->name, fish_refs);
		else if (strncmp(kind, "choice:", 7) == 0)
			printf("complete -c secretctl -n '__fish_seen_subcommand_from %s' -f -a "
			       "'%s'\n",
			       c->name, kind + 7);
		if (c->subs != NULL)
			fish_table(c->subs, c->name, keys || (c->flags & CLI_KEY_NAMES));
	}
}

static void fish_script(void)
{
	printf("# fish completion for secretctl, generated by 'secretctl completion fish'\n"
	       "# (secretctl %s); load with: secretctl completion fish | source\n",
	       SC_VERSION);
	printf("complete -c secretctl -n __fish_use_subcommand -l vault -r -a '(__fish_complete_"
	       "directories)' -d 'the vault directory'\n"
	       "complete -c secretctl -n __fish_use_subcommand -l password-fd -r -f -d 'read the "
	       "password from fd N'\n"
	       "complete -c secretctl -l json -d 'JSON output and errors'\n"
	       "complete -c secretctl -s h -l help -d 'show help'\n");
	fish_table(cli_commands, NULL, 0);
}

int cmd_completion(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	const char *sh;

	if (cli_parse_none(c, argc, argv, 1, 1, &p) != CLI_PARSE_END)
		return p.status;
	sh = p.ops[0];
	if (strcmp(sh, "bash") == 0) {
		bash_script();
	} else if (strcmp(sh, "zsh") == 0) {
		/* zsh runs the bash functions through bashcompinit */
		printf("#compdef secretctl\n# zsh completion for secretctl, generated by "
		       "'secretctl completion zsh';\n# load with: source <(secretctl completion "
		       "zsh)\nautoload -U +X compinit && compinit\nautoload -U +X bashcompinit && "
		       "bashcompinit\n");
		bash_script();
	} else if (strcmp(sh, "fish") == 0) {
		fish_script();
	} else {
		return cli_usage(c, "unknown shell '%s' (bash, zsh or fish)", sh);
	}
	return EXIT_OK;
}
