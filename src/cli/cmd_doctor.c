/* cmd_doctor.c - `secretctl doctor` (and `security`, the Go secretctl's
 * name): weak, duplicate, expired and expiring values, loose permissions,
 * the data key's age, policy rules that let secrets reach programs that
 * run code, and how runs are isolated. The checks are health/'s and the
 * policy report's; this words them. Exit 0: nothing found; 1: findings. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "secretctl/health.h"

const struct cli_opt cli_opts_doctor[] = {
    {'w', 0, "within", "DURATION", "report secrets expiring within DURATION (default 30d)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

/* How runs are isolated today, in one place (the system agent will change
 * what it says). */
struct out {
	json_t *arr; /* --json */
	size_t n;
};

static void add(struct out *o, const char *kind, const char *subject, const char *text)
{
	o->n++;
	if (o->arr != NULL) {
		json_array_append_new(o->arr, json_pack("{s:s,s:s,s:s}", "kind", kind, "subject",
		                                        subject, "detail", text));
		return;
	}
	printf("  %-12s ", kind);
	cli_put_escaped(stdout, subject);
	printf(": ");
	cli_put_escaped(stdout, text);
	printf("\n");
}

static void days(char *b, size_t n, int64_t secs)
{
	int64_t d = secs / 86400;

	if (d >= 1)
		snprintf(b, n, "%lld day%s", (long long)d, d == 1 ? "" : "s");
	else
		snprintf(b, n, "%lld hour%s", (long long)(secs / 3600),
		         secs / 3600 == 1 ? "" : "s");
}

static void on_finding(void *arg, const struct sc_health_finding *f)
{
	struct out *o = arg;
	char t[256], d[64];

	switch (f->kind) {
	case SC_HEALTH_SHORT:
		snprintf(t, sizeof(t), "%lld bytes long (fewer than %d)", (long long)f->n,
		         SC_HEALTH_MIN_LEN);
		break;
	case SC_HEALTH_LOW_ENTROPY:
		snprintf(t, sizeof(t), "about %lld bits of strength (below %d)", (long long)f->n,
		         SC_HEALTH_MIN_BITS);
		break;
	case SC_HEALTH_DUPLICATE:
		snprintf(t, sizeof(t), "the same value as %s", f->other);
		break;
	case SC_HEALTH_EXPIRED:
		days(d, sizeof(d), f->n);
		snprintf(t, sizeof(t), "expired %s ago", d);
		break;
	case SC_HEALTH_EXPIRING:
		days(d, sizeof(d), f->n);
		snprintf(t, sizeof(t), "expires in %s", d);
		break;
	case SC_HEALTH_PERMISSIONS:
		snprintf(t, sizeof(t),
		         "mode %04llo: not yours, a symbolic link, or open to group or others "
		         "(chmod go-rwx)",
		         (unsigned long long)f->n);
		break;
	default:
		snprintf(t, sizeof(t), "finding");
	}
	add(o, sc_health_kind_name(f->kind), f->subject, t);
}

static void on_policy(void *arg, int warning, const char *line)
{
	if (warning)
		add(arg, sc_health_kind_name(SC_HEALTH_POLICY), SC_POLICY_FILE, line);
}

/* The policy file's warnings (mcp policy check's report). */
static void policy_findings(struct cli *c, struct out *o, const char **note)
{
	struct sc_policy *p = NULL;
	char err[512] = "", *path;
	int r;

	*note = NULL;
	if (asprintf(&path, "%s/%s", c->vault_dir, SC_POLICY_FILE) < 0)
		return;
	r = sc_policy_load(path, &p, err, sizeof(err));
	sc_clear_error();
	if (r == SC_ERR_NOT_FOUND)
		*note = "no MCP policy file: every MCP run is denied";
	else if (r != SC_OK)
		add(o, sc_health_kind_name(SC_HEALTH_POLICY), SC_POLICY_FILE,
		    err[0] ? err : "the policy file does not load");
	else
		sc_policy_report(p, on_policy, o);
	sc_policy_free(p);
	free(path);
}

int cmd_doctor(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct out o = {0};
	struct sc_vault *v = NULL;
	const char *pnote = NULL;
	int64_t within = 30 * 86400, now = (int64_t)time(NULL), since = 0;
	uint64_t nsecrets = 0;
	struct sc_dek_info di = {0};
	char dek[512] = "";
	int ch, r;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0)
		if (ch == 'w' && cli_parse_duration(p.val, &within) != SC_OK)
			return cli_usage(c, "bad --within value '%s' (e.g. 30d, 12h)", p.val);
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
	if (c->json)
		o.arr = json_array();
	else
		printf("secretctl doctor: vault '%s'\n", c->vault_dir);
	if ((r = sc_health_permissions(c->vault_dir, on_finding, &o)) != SC_OK &&
	    r != SC_ERR_NO_VAULT)
		goto fail;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK) {
		if (r == SC_ERR_PERM && o.n > 0) {
			/* the vault will not open like this: say so, with the findings */
			add(&o, sc_health_kind_name(SC_HEALTH_PERMISSIONS), c->vault_dir,
			    "the vault refuses to open until this is fixed; values not checked");
			goto report;
		}
		goto fail;
	}
	/* every value read, and the entry: not without it */
	r = sc_session_doctor(v, cli_who(), now, within, on_finding, &o, &nsecrets, &di, &since);
	sc_vault_close(v);
	if (r != SC_OK)
		goto fail;
	if (cli_dek_describe(&di, since, now, dek, sizeof(dek)))
		add(&o, sc_health_kind_name(SC_HEALTH_OLD_DEK), "data key", dek);
	else if (di.rekey_pending)
		add(&o, sc_health_kind_name(SC_HEALTH_OLD_DEK), "data key",
		    "a rekey has begun and not finished: run 'secretctl rekey'");
	if (di.created > 0)
		since = di.created;
	policy_findings(c, &o, &pnote);
report:
	if (o.arr != NULL) {
		json_t *j = json_pack("{s:s,s:b,s:I,s:o,s:s,s:s}", "vault", c->vault_dir, "clean",
		                      o.n == 0, "secrets", (json_int_t)nsecrets, "findings", o.arr,
		                      "data_key", dek, "run_mode", cli_system_mode_line(c));
		char *s;

		if (j != NULL && since > 0)
			json_object_set_new(j, "data_key_since", json_integer(since));
		if ((s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL) != NULL)
			puts(s);
		free(s);
		json_decref(j);
	} else {
		if (dek[0] != '\0')
			printf("data key: %s\n", dek);
		if (pnote != NULL)
			printf("policy: %s\n", pnote);
		printf("run mode: %s\n", cli_system_mode_line(c));
		printf("%llu secret%s checked, %zu finding%s\n", (unsigned long long)nsecrets,
		       nsecrets == 1 ? "" : "s", o.n, o.n == 1 ? "" : "s");
	}
	return o.n == 0 ? EXIT_OK : EXIT_FAIL;
fail:
	json_decref(o.arr);
	return cli_fail(r, "cannot check the vault");
}
