/* cmd_rekey.c - `secretctl rekey`: a new data key for the vault, every
 * record sealed again under it, the key slots rewrapped and the old key
 * destroyed (store/rekey.c does the work; this gathers the credentials and
 * says what was done). */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/agent_cmds.h"
#include "cli/cli.h"

const struct cli_opt cli_opts_rekey[] = {
    {'d', 0, "drop-slot", "N",
     "remove key slot N instead of rewrapping it (a recovery slot, a token that is gone)", 0},
    {'p', 0, "cryptoperiod", "DURATION",
     "the new data key's cryptoperiod, e.g. 1y, 180d (default: the vault's, else 1y)", 0},
    {'b', 0, "batch", "N", "records sealed again per transaction (default 2048)", 0},
    {0, 0, NULL, NULL, NULL, 0},
};

int cli_dek_describe(const struct sc_dek_info *d, int64_t since, int64_t now, char *buf, size_t len)
{
	int64_t t = d->created > 0 ? d->created : since, days = t > 0 ? (now - t) / 86400 : 0;
	int overdue = t > 0 && now - t > d->period;
	char when[32];

	if (d->created > 0) {
		cli_format_time(d->created, when, sizeof(when));
		snprintf(buf, len,
		         "version %" PRIu64 ", made %s (%" PRId64 " days ago; cryptoperiod %" PRId64
		         " days)%s%s",
		         d->version, when, days, d->period / 86400,
		         overdue ? ": past its cryptoperiod, run 'secretctl rekey'" : "",
		         d->rekey_pending
		             ? "; a rekey has begun: run 'secretctl rekey' to finish it"
		             : "");
	} else if (since > 0) {
		/* a vault from before the DEK's date was kept: its oldest trace */
		snprintf(
		    buf, len,
		    "at least %" PRId64 " days old (no key-age record exists: the oldest trace of "
		    "the vault, its first audit entry, oldest secret or vault.db; cryptoperiod "
		    "%" PRId64 " days)%s",
		    days, d->period / 86400,
		    overdue ? ": past its cryptoperiod, run 'secretctl rekey'" : "");
	} else {
		snprintf(buf, len, "of unknown age (nothing dates it)");
	}
	return overdue;
}

/* Which kinds of slot the rekey keeps (and so needs a credential for). */
static int kinds_kept(struct sc_vault *v, const int64_t *drop, size_t ndrop, int *pw, int *tok)
{
	struct sc_vault_slot *s = NULL;
	size_t i, j, n = 0;
	int r;

	*pw = *tok = 0;
	if ((r = sc_vault_slots_list(v, &s, &n)) != SC_OK)
		return r;
	for (i = 0; i < n; i++) {
		for (j = 0; j < ndrop && drop[j] != s[i].id; j++)
			;
		if (j < ndrop)
			continue;
		*pw |= s[i].kind == SC_KEYSLOT_PASSWORD;
		*tok |= s[i].kind == SC_KEYSLOT_PKCS11;
	}
	free(s);
	return SC_OK;
}

/* An unlocked agent holds the old key, which opens nothing now: lock it. */
static int lock_agent(struct cli *c)
{
	struct sc_agent_status st;
	int fd, locked = 0;

	if (sc_agent_connect(c->vault_dir, &fd) != SC_OK) {
		sc_clear_error();
		return 0;
	}
	if (sc_agent_status(fd, &st) == SC_OK && st.unlocked && sc_agent_lock(fd) == SC_OK)
		locked = 1;
	close(fd);
	sc_clear_error();
	return locked;
}

static void report(struct cli *c, const struct sc_rekey_report *rp, int agent_locked)
{
	size_t i;

	if (c->json) {
		json_t *o = json_pack(
		    "{s:b,s:I,s:I,s:b,s:I,s:I,s:I,s:I,s:b,s:b,s:b}", "rekeyed", 1, "old_version",
		    (json_int_t)rp->old_version, "new_version", (json_int_t)rp->new_version,
		    "resumed", rp->resumed, "records", (json_int_t)rp->records, "history",
		    (json_int_t)rp->history, "batches", (json_int_t)rp->batches, "slots_rewrapped",
		    (json_int_t)rp->rewrapped, "old_key_destroyed", 1, "wal_checkpointed",
		    rp->checkpointed, "agent_locked", agent_locked);
		json_t *d = json_array();

		for (i = 0; i < rp->dropped; i++)
			json_array_append_new(d, json_integer(rp->dropped_ids[i]));
		if (o != NULL)
			json_object_set_new(o, "slots_removed", d);
		else
			json_decref(d);
		cli_print_json(o);
		return;
	}
	printf("rekeyed: data key version %" PRIu64 " replaces version %" PRIu64 "%s; %" PRIu64
	       " records and %" PRIu64 " history rows sealed again in %" PRIu64 " transactions\n",
	       rp->new_version, rp->old_version,
	       rp->resumed ? " (an unfinished rekey resumed)" : "", rp->records, rp->history,
	       rp->batches);
	printf("key slots: %zu rewrapped", rp->rewrapped);
	for (i = 0; i < rp->dropped; i++)
		printf("%s%" PRId64, i == 0 ? "; removed: slot " : ", slot ", rp->dropped_ids[i]);
	printf("\n");
	printf("old data key (version %" PRIu64 ") destroyed: wiped from every key slot, its "
	       "cells zeroed (secure_delete)%s\n",
	       rp->old_version, rp->checkpointed ? ", the WAL checkpointed and truncated" : "");
	if (agent_locked)
		printf("the unlock agent held the old key and was locked: 'secretctl unlock' "
		       "again\n");
}

int cmd_rekey(struct cli *c, int argc, char **argv)
{
	struct cli_parse p;
	struct sc_rekey_opts o = {0};
	struct sc_rekey *rk = NULL;
	struct sc_vault *v = NULL;
	int64_t drop[SC_REKEY_DROP_MAX];
	const char *kept;
	char *pw = NULL, *pin = NULL;
	size_t kept_len, len;
	uint64_t n;
	int ch, r, want_pw, want_tok, by_token = c->token_uri != NULL, attempt, begun = 0;
	size_t i;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 'd':
			if (cli_parse_count(p.val, INT64_MAX, &n) != SC_OK)
				return cli_usage(c, "bad --drop-slot value '%s' (a slot number)",
				                 p.val);
			for (i = 0; i < o.ndrop && drop[i] != (int64_t)n; i++)
				;
			if (i < o.ndrop)
				break; /* given twice */
			if (o.ndrop == SC_REKEY_DROP_MAX)
				return cli_usage(c, "at most %d --drop-slot", SC_REKEY_DROP_MAX);
			drop[o.ndrop++] = (int64_t)n;
			break;
		case 'p':
			if (cli_parse_duration(p.val, &o.period) != SC_OK || o.period <= 0)
				return cli_usage(c, "bad --cryptoperiod value '%s' (e.g. 1y, 180d)",
				                 p.val);
			break;
		case 'b':
			if (cli_parse_count(p.val, SC_REKEY_BATCH_MAX, &n) != SC_OK)
				return cli_usage(c, "bad --batch value '%s' (1 to %d)", p.val,
				                 SC_REKEY_BATCH_MAX);
			o.batch = (size_t)n;
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 0)
		return cli_usage(c, "unexpected argument '%s'", p.ops[0]);
	o.drop = drop;
	if ((r = cli_open_vault(c, 1, &v)) != SC_OK)
		return cli_fail(r, "cannot unlock the vault");
	if ((r = kinds_kept(v, drop, o.ndrop, &want_pw, &want_tok)) != SC_OK)
		goto fail;
	/* what opened the vault (password or PIN) serves its own kind; the
	 * other is asked for when a slot of that kind is kept */
	if (!cli_kept_password(&kept, &kept_len)) {
		r = SC_ERR_INTERNAL;
		goto fail;
	}
	if (by_token) {
		o.pin = kept, o.pin_len = kept_len;
		if (want_pw && (r = cli_get_password(c, "Vault password: ", 0, &pw, &len)) != SC_OK)
			goto fail;
		if (pw != NULL)
			o.pw = pw, o.pw_len = len;
	} else {
		o.pw = kept, o.pw_len = kept_len;
		if (want_tok && (r = cli_get_pin(c, "Token PIN: ", &pin, &len)) != SC_OK)
			goto fail;
		if (pin != NULL)
			o.pin = pin, o.pin_len = len;
	}
	cli_slow_begin();
	r = sc_rekey_prepare(v, &o, &rk);
	cli_slow_end();
	if (r != SC_OK)
		goto fail; /* nothing changed */
	begun = 1;
	for (attempt = 0; attempt < 2; attempt++) {
		/* the migration, then the check, the slots, the old key dropped
		 * and the entry as one step (the library) */
		r = sc_session_rekey(v, cli_who(), rk);
		if (r != SC_ERR_CORRUPT || attempt > 0 || sc_rekey_restart(rk) != SC_OK)
			break;
		sc_clear_error();
	}
	if (r != SC_OK)
		goto fail;
	sc_rekey_done(rk);
	if (!sc_rekey_report(rk)->checkpointed) {
		cli_warn("%s", sc_last_error());
		sc_clear_error();
	}
	report(c, sc_rekey_report(rk), lock_agent(c));
	sc_rekey_free(rk);
	sc_secmem_free(pw);
	sc_secmem_free(pin);
	sc_vault_close(v);
	return EXIT_OK;
fail:
	sc_rekey_free(rk);
	sc_secmem_free(pw);
	sc_secmem_free(pin);
	sc_vault_close(v);
	return cli_fail(r, begun ? "the rekey stopped (the vault reads as before; run "
	                           "'secretctl rekey' again to finish it)"
	                         : "cannot rekey the vault");
}
