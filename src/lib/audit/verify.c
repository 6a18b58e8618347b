/* verify.c - verifying the audit chain: every line parsed, every MAC and
 * sequence number checked, and the head matched against the vault's anchor. */
#include "audit/audit_int.h"

/* ---- verification ---- */

static int bad(struct sc_audit_report *rep, uint64_t line, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(struct sc_audit_report *rep, uint64_t line, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	rep->bad_line = line;
	rep->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(rep->why, sizeof(rep->why), fmt, ap);
	va_end(ap);
	return SC_ERR_CORRUPT;
}

int sc_audit_verify_fd(int fd, const uint8_t key[SC_KEY_LEN], const struct sc_audit_anchor *anchor,
                       struct sc_audit_report *rep)
{
	struct lines l;
	struct mac_ctx m;
	struct sc_audit_entry *e = NULL;
	uint8_t expect_prev[SC_MAC_LEN], mac[SC_MAC_LEN], head_mac[SC_MAC_LEN];
	uint64_t expect_seq = 1, head_seq = 0;
	int anchor_seen =
	    anchor->seq == 0 && CRYPTO_memcmp(anchor->mac, sc_audit_zero_mac, SC_MAC_LEN) == 0;
	int r, complete, started = 0;
	const char *line;
	size_t len;

	memset(rep, 0, sizeof(*rep));
	rep->anchor_seq = anchor->seq;
	memset(expect_prev, 0, sizeof(expect_prev));
	memset(head_mac, 0, sizeof(head_mac));
	if ((r = sc_audit_lines_init(&l, fd)) != SC_OK)
		return r;
	if ((r = sc_audit_mac_ctx_init(&m, key)) != SC_OK) {
		sc_audit_lines_release(&l);
		return r;
	}
	if ((e = malloc(sizeof(*e))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		r = sc_audit_lines_next(&l, &line, &len, &complete);
		if (r == SC_ERR_NOT_FOUND)
			break;
		if (r == SC_ERR_TOOBIG) {
			struct stat sb;
			char last = '\n';

			/* at the end, without a newline: a torn tail, but longer
			 * than any append of ours can leave, so not ours */
			if (fstat(fd, &sb) == 0 && sb.st_size > 0)
				(void)sc_audit_pread_all(fd, &last, 1, sb.st_size - 1);
			if (last != '\n')
				r = bad(
				    rep, l.lineno, 0,
				    "a torn tail: the last line has no newline and is longer than "
				    "%d bytes (not an interrupted append)",
				    SC_AUDIT_LINE_MAX);
			else
				r = bad(rep, l.lineno, 0, "line longer than %d bytes",
				        SC_AUDIT_LINE_MAX);
			goto out;
		}
		if (r != SC_OK)
			goto out;
		if (!complete) {
			/* an append cut short before its newline: never acknowledged */
			rep->torn_tail = 1;
			break;
		}
		if (sc_audit_parse_line(line, len, e) != SC_OK) {
			r = bad(rep, l.lineno, 0, "line does not parse (%s)", sc_last_error());
			sc_clear_error();
			goto out;
		}
		if (e->kind == SC_AUDIT_PENDING) {
			/* failed unlocks wait in audit.pending, never here */
			r = bad(rep, l.lineno, 0, "a line without a MAC");
			goto out;
		}
		if ((r = sc_audit_mac_entry(&m, e, mac)) != SC_OK)
			goto out;
		if (e->kind == SC_AUDIT_CHECKPOINT) {
			if (started) {
				r = bad(rep, l.lineno, e->seq,
				        "a checkpoint in the middle of the log");
				goto out;
			}
			if (CRYPTO_memcmp(mac, e->mac, SC_MAC_LEN) != 0) {
				r = bad(rep, l.lineno, e->seq,
				        "the checkpoint's MAC does not match: altered or forged");
				goto out;
			}
			rep->checkpoint = 1;
			expect_seq = e->seq + 1;
			memcpy(expect_prev, e->prev, SC_MAC_LEN);
			head_seq = e->seq;
			memcpy(head_mac, e->prev, SC_MAC_LEN);
		} else {
			if (e->seq != expect_seq) {
				r = bad(rep, l.lineno, e->seq,
				        !started && e->seq > 1
				            ? "the log starts at entry %llu, without a checkpoint: "
				              "earlier entries were removed"
				            : "entry %llu out of sequence: entries removed, "
				              "reordered or duplicated",
				        (unsigned long long)e->seq);
				goto out;
			}
			if (CRYPTO_memcmp(e->prev, expect_prev, SC_MAC_LEN) != 0) {
				r = bad(rep, l.lineno, e->seq,
				        "'prev' does not match the MAC of the entry before it");
				goto out;
			}
			if (CRYPTO_memcmp(mac, e->mac, SC_MAC_LEN) != 0) {
				r = bad(rep, l.lineno, e->seq,
				        "the MAC does not match: the entry was altered");
				goto out;
			}
			if (!started || rep->first_seq == 0)
				rep->first_seq = e->seq;
			expect_seq = e->seq + 1;
			memcpy(expect_prev, mac, SC_MAC_LEN);
			head_seq = e->seq;
			memcpy(head_mac, mac, SC_MAC_LEN);
		}
		started = 1;
		rep->entries++;
		if (head_seq == anchor->seq &&
		    CRYPTO_memcmp(head_mac, anchor->mac, SC_MAC_LEN) == 0)
			anchor_seen = 1;
	}
	rep->last_seq = head_seq;
	if (head_seq < anchor->seq) {
		r = bad(rep, 0, head_seq + 1,
		        "truncated: the log ends at entry %llu but the vault's anchor is at entry "
		        "%llu",
		        (unsigned long long)head_seq, (unsigned long long)anchor->seq);
		goto out;
	}
	if (!anchor_seen) {
		r = bad(rep, 0, anchor->seq,
		        "the vault's anchor (entry %llu) is not in this log: the log was replaced "
		        "or rewritten",
		        (unsigned long long)anchor->seq);
		goto out;
	}
	rep->lag = head_seq - anchor->seq;
	r = SC_OK;
out:
	free(e);
	sc_audit_mac_ctx_release(&m);
	sc_audit_lines_release(&l);
	return r;
}

int sc_audit_verify(struct sc_vault *v, struct sc_audit_report *rep)
{
	struct sc_audit_anchor anchor;
	uint8_t *key = NULL;
	int fd = -1, r;

	memset(rep, 0, sizeof(*rep));
	if ((key = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_vault_audit_key(v, key)) != SC_OK)
		goto out;
	/* a shared lock: no append is half done (entry written, anchor not yet
	 * advanced) while we look */
	if ((r = sc_audit_log_open(sc_vault_dir(v), 0, LOCK_SH, &fd, NULL)) != SC_OK)
		goto out;
	if ((r = sc_vault_anchor_get(v, &anchor)) != SC_OK)
		goto out;
	r = sc_audit_verify_fd(fd, key, &anchor, rep);
	if (r == SC_OK || r == SC_ERR_CORRUPT)
		rep->pending = sc_audit_count_pending(sc_vault_dir(v));
out:
	if (fd >= 0)
		close(fd);
	sc_secmem_free(key);
	return r;
}
