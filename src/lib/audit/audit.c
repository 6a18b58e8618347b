/* audit.c - appending to the tamper-evident audit log: HMAC-chained JSON
 * Lines in the vault directory, the chain head anchored in the sealed vault
 * state; failed unlocks wait unMACed in a pending file until the next keyed
 * append folds them in (docs/AUDIT.md). */
#include "audit/audit_int.h"

/* ---- appending ---- */

/* What an appender needs to know about the end of the log. */
struct tail {
	off_t size;       /* file size */
	off_t end;        /* end of the last complete line */
	off_t head_start; /* start of the newest chained line, -1 if none found */
	int bad;          /* a line at the end does not parse */
	int unended;      /* the file does not end with a newline */
};

/* The line that ends just before `end` (which follows a newline). */
static int line_before(int fd, off_t end, char *buf, off_t *start, size_t *len)
{
	size_t want = end < 1024 ? (size_t)end : 1024;
	char *nl;

	for (;;) {
		int r = sc_audit_pread_all(fd, buf, want, end - (off_t)want);

		if (r != SC_OK)
			return r;
		nl = want > 1 ? memrchr(buf, '\n', want - 1) : NULL;
		if (nl != NULL) {
			*start = end - (off_t)want + (nl - buf) + 1;
			break;
		}
		if ((off_t)want == end) {
			*start = 0;
			break;
		}
		if (want >= SC_AUDIT_LINE_MAX + 1)
			return SC_ERR_TOOBIG;
		want = end < SC_AUDIT_LINE_MAX + 1 ? (size_t)end : SC_AUDIT_LINE_MAX + 1;
	}
	*len = (size_t)(end - *start - 1);
	memmove(buf, buf + want - *len - 1, *len);
	return SC_OK;
}

static int read_entry_before(int fd, off_t end, char *buf, off_t *start, struct sc_audit_entry *e)
{
	size_t len;
	int r;

	if ((r = line_before(fd, end, buf, start, &len)) != SC_OK)
		return r;
	r = sc_audit_parse_line(buf, len, e);
	if (r != SC_OK)
		sc_clear_error();
	return r;
}

static int scan_tail(int fd, char *buf, struct sc_audit_entry *e, struct tail *t)
{
	struct stat st;
	off_t start;
	char last;
	int r;

	memset(t, 0, sizeof(*t));
	t->head_start = -1;
	if (fstat(fd, &st) != 0)
		return SC_ERR_IO;
	t->size = st.st_size;
	t->end = st.st_size;
	if (t->size > 0) {
		if ((r = sc_audit_pread_all(fd, &last, 1, t->size - 1)) != SC_OK)
			return r;
		if (last != '\n') {
			t->unended = 1;
			/* a torn last line: find where it starts */
			size_t len;
			off_t s;
			char *nl;
			size_t want = t->size < SC_AUDIT_LINE_MAX + 1 ? (size_t)t->size
			                                              : SC_AUDIT_LINE_MAX + 1;

			if ((r = sc_audit_pread_all(fd, buf, want, t->size - (off_t)want)) != SC_OK)
				return r;
			nl = memrchr(buf, '\n', want);
			if (nl == NULL && (off_t)want < t->size) {
				t->bad = 1; /* a torn line longer than any line may be */
				t->end = t->size;
				return SC_OK;
			}
			len = nl == NULL ? want : want - (size_t)(nl - buf) - 1;
			s = t->size - (off_t)len;
			t->end = s;
		}
	}
	if (t->end > 0) {
		if (read_entry_before(fd, t->end, buf, &start, e) != SC_OK ||
		    e->kind == SC_AUDIT_PENDING)
			t->bad = 1; /* the end does not parse: leave it for verify */
		else
			t->head_start = start;
	}
	return SC_OK;
}

/* Where the next entry chains from: the file's head when it is the anchored
 * entry or a valid continuation of it (the anchor lags after an append cut
 * short between fsync and the anchor update); otherwise the anchor itself,
 * so that whatever was done to the file stays visible to verify. */
static int chain_base(int fd, char *buf, struct mac_ctx *m, const struct tail *t,
                      const struct sc_audit_anchor *anchor, struct sc_audit_entry *e,
                      struct sc_audit_entry *f, uint64_t *seq, uint8_t mac[SC_MAC_LEN])
{
	uint8_t calc[SC_MAC_LEN], head_mac[SC_MAC_LEN];
	uint64_t head_seq;
	off_t start;
	int steps, r;

	*seq = anchor->seq;
	memcpy(mac, anchor->mac, SC_MAC_LEN);
	if (t->bad)
		return SC_OK;
	if (t->head_start < 0) /* no chained line at all */
		return SC_OK;
	if ((r = read_entry_before(fd, t->end, buf, &start, e)) != SC_OK)
		return SC_OK;
	head_seq = e->seq;
	memcpy(head_mac, e->kind == SC_AUDIT_CHECKPOINT ? e->prev : e->mac, SC_MAC_LEN);
	if (head_seq < anchor->seq)
		return SC_OK;
	if (head_seq == anchor->seq)
		return SC_OK; /* same seq: the anchor's MAC is the truth either way */
	/* the anchor lags: walk back to the anchored entry, checking each link */
	for (steps = 0; steps < LAG_WALK_MAX; steps++) {
		if (e->kind == SC_AUDIT_CHECKPOINT) {
			if (e->seq != anchor->seq ||
			    sc_memcmp_ct(e->prev, anchor->mac, SC_MAC_LEN) != 0)
				return SC_OK;
			break;
		}
		if ((r = sc_audit_mac_entry(m, e, calc)) != SC_OK)
			return r;
		if (sc_memcmp_ct(calc, e->mac, SC_MAC_LEN) != 0)
			return SC_OK;
		if (e->seq == anchor->seq) {
			if (sc_memcmp_ct(e->mac, anchor->mac, SC_MAC_LEN) != 0)
				return SC_OK;
			break;
		}
		if (e->seq == anchor->seq + 1 && anchor->seq == 0) {
			if (sc_memcmp_ct(e->prev, sc_audit_zero_mac, SC_MAC_LEN) != 0 ||
			    sc_memcmp_ct(anchor->mac, sc_audit_zero_mac, SC_MAC_LEN) != 0)
				return SC_OK;
			break;
		}
		if (start == 0 || read_entry_before(fd, start, buf, &start, f) != SC_OK ||
		    f->kind == SC_AUDIT_PENDING || f->seq + 1 != e->seq)
			return SC_OK;
		if (f->kind == SC_AUDIT_CHECKPOINT ? sc_memcmp_ct(f->prev, e->prev, SC_MAC_LEN) != 0
		                                   : sc_memcmp_ct(f->mac, e->prev, SC_MAC_LEN) != 0)
			return SC_OK;
		memcpy(e, f, sizeof(*e));
	}
	if (steps == LAG_WALK_MAX)
		return SC_OK;
	*seq = head_seq;
	memcpy(mac, head_mac, SC_MAC_LEN);
	return SC_OK;
}

static void fill_common(struct sc_audit_entry *e, const struct sc_audit_event *ev)
{
	const char *c;
	size_t n;

	e->source = ev->source;
	e->pid = (uint32_t)getpid();
	e->uid = (uint32_t)geteuid();
	e->late = 0;
	e->n_secrets = 0;
	e->client_len = 0;
	e->client[0] = '\0';
	if (ev->client != NULL) {
		n = strlen(ev->client);
		e->client_len = n > SC_AUDIT_CLIENT_MAX ? SC_AUDIT_CLIENT_MAX : n;
		memcpy(e->client, ev->client, e->client_len);
		e->client[e->client_len] = '\0';
	}
	e->cmd_len = 0;
	e->cmd[0] = '\0';
	if (ev->cmd != NULL) {
		c = strrchr(ev->cmd, '/');
		c = c != NULL && c[1] != '\0' ? c + 1 : ev->cmd;
		n = strlen(c);
		e->cmd_len = n > SC_AUDIT_CMD_MAX ? SC_AUDIT_CMD_MAX : n;
		memcpy(e->cmd, c, e->cmd_len);
		e->cmd[e->cmd_len] = '\0';
	}
	if (ev->status == SC_OK) {
		e->result = SC_AUDIT_OK;
		e->code[0] = '\0';
	} else {
		e->result = ev->status == SC_ERR_DENIED ? SC_AUDIT_DENIED : SC_AUDIT_ERROR;
		snprintf(e->code, sizeof(e->code), "%s", sc_audit_code(ev->status));
	}
}

static int event_valid(const struct sc_audit_event *ev)
{
	if (ev == NULL || ev->op == NULL || !sc_audit_op_valid(ev->op) ||
	    strcmp(ev->op, "checkpoint") == 0 || ev->source < 0 || (size_t)ev->source >= NSOURCES ||
	    (ev->n_names > 0 && ev->names == NULL))
		return SC_ERR_INVALID;
	if (ev->n_names > SC_AUDIT_SECRETS_MAX) {
		sc_set_error("more than %d secrets in one audit entry", SC_AUDIT_SECRETS_MAX);
		return SC_ERR_TOOBIG;
	}
	return SC_OK;
}

struct appender {
	char *line; /* SC_AUDIT_LINE_MAX + 2 */
	char *out;  /* what goes to the file in one write */
	size_t n, cap;
	struct sc_audit_entry *e, *f;
};

static int app_add(struct appender *a, struct mac_ctx *m, struct sc_audit_entry *e, uint64_t *seq,
                   uint8_t prev[SC_MAC_LEN])
{
	size_t len;
	char *nb;
	int r;

	e->seq = *seq + 1;
	memcpy(e->prev, prev, SC_MAC_LEN);
	if ((r = sc_audit_mac_entry(m, e, e->mac)) != SC_OK)
		return r;
	if ((r = sc_audit_format_line(e, a->line, SC_AUDIT_LINE_MAX + 2, &len)) != SC_OK)
		return r;
	if (a->cap - a->n < len) {
		size_t ncap = a->cap * 2 + len;

		if ((nb = realloc(a->out, ncap)) == NULL)
			return SC_ERR_NOMEM;
		a->out = nb;
		a->cap = ncap;
	}
	memcpy(a->out + a->n, a->line, len);
	a->n += len;
	*seq = e->seq;
	memcpy(prev, e->mac, SC_MAC_LEN);
	return SC_OK;
}

/* The body of append and fold, under the exclusive lock. ev may be NULL
 * (fold only). */
static int append_locked(struct sc_vault *v, int fd, int created, const struct sc_audit_event *ev,
                         size_t *folded, sc_audit_apply_fn apply, void *apply_arg)
{
	int in_txn = 0;
	off_t undo = -1;
	struct appender a = {0};
	struct mac_ctx m = {0};
	struct sc_audit_anchor anchor;
	struct tail t;
	struct lines l = {0};
	uint8_t *key = NULL, prev[SC_MAC_LEN];
	uint64_t seq;
	size_t i, nfold = 0;
	int r, pfd = -1, pcreated;

	if (folded != NULL)
		*folded = 0;
	a.line = malloc(SC_AUDIT_LINE_MAX + 2);
	a.e = malloc(sizeof(*a.e));
	a.f = malloc(sizeof(*a.f));
	key = sc_secmem_alloc(SC_KEY_LEN);
	if (a.line == NULL || a.e == NULL || a.f == NULL || key == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = sc_vault_audit_key(v, key)) != SC_OK ||
	    (r = sc_audit_mac_ctx_init(&m, key)) != SC_OK)
		goto out;
	if ((r = sc_vault_anchor_get(v, &anchor)) != SC_OK)
		goto out;
	if ((r = scan_tail(fd, a.line, a.e, &t)) != SC_OK)
		goto out;
	if ((r = chain_base(fd, a.line, &m, &t, &anchor, a.e, a.f, &seq, prev)) != SC_OK)
		goto out;

	/* failed unlocks waiting in audit.pending join the chain, marked late
	 * and with their own time; lines that do not parse are not ours */
	if ((r = sc_audit_pending_open(sc_vault_dir(v), 0, &pfd, &pcreated)) != SC_OK)
		goto out;
	if (pfd >= 0) {
		const char *line;
		size_t len;
		int complete;

		if ((r = sc_audit_lines_init(&l, pfd)) != SC_OK)
			goto out;
		while (nfold < PENDING_FOLD_MAX &&
		       sc_audit_lines_next(&l, &line, &len, &complete) != SC_ERR_NOT_FOUND) {
			if (!complete || sc_audit_parse_line(line, len, a.e) != SC_OK ||
			    a.e->kind != SC_AUDIT_PENDING) {
				sc_clear_error();
				continue;
			}
			a.e->kind = SC_AUDIT_ENTRY;
			a.e->late = 1;
			if ((r = app_add(&a, &m, a.e, &seq, prev)) != SC_OK)
				goto out;
			nfold++;
		}
	}
	if (ev != NULL) {
		memset(a.e, 0, sizeof(*a.e));
		a.e->kind = SC_AUDIT_ENTRY;
		a.e->ts_ms = sc_audit_now_ms();
		snprintf(a.e->op, sizeof(a.e->op), "%s", ev->op);
		fill_common(a.e, ev);
		for (i = 0; i < ev->n_names; i++)
			if ((r = sc_vault_blind_name(v, ev->names[i], a.e->secrets[i])) != SC_OK)
				goto out;
		a.e->n_secrets = ev->n_names;
		if ((r = app_add(&a, &m, a.e, &seq, prev)) != SC_OK)
			goto out;
	}
	if (a.n == 0 && t.end == t.size && !t.unended && pfd < 0) {
		r = SC_OK;
		goto out;
	}
	/* An audited write: the write itself, in a transaction that also
	 * carries the anchor of its entry and commits only once the entry is on
	 * disk. Nothing is logged when the write fails (the caller records the
	 * failure as any other outcome). */
	if (apply != NULL) {
		if ((r = sc_vault_txn_begin(v)) != SC_OK)
			goto out;
		in_txn = 1;
		if ((r = apply(v, apply_arg)) != SC_OK)
			goto out;
	}
	/* A torn last line is an append that never completed, so was never
	 * acknowledged: it goes (the only time the log shrinks outside a
	 * prune). One that is too long to be a line is ended and left for
	 * verify to report. */
	if (t.end < t.size || t.unended) {
		/* a tail too long to be ours has end == size: it is ended with
		 * a newline, so the new entry starts a line of its own */
		if (!t.bad && ftruncate(fd, t.end) != 0) {
			sc_set_error("cannot truncate '%s/%s': %s", sc_vault_dir(v), SC_AUDIT_FILE,
			             strerror(errno));
			r = sc_status_from_errno(errno);
			goto out;
		}
		if (t.bad && (r = sc_audit_write_all(fd, "\n", 1)) != SC_OK)
			goto out;
	}
	if (apply != NULL && (undo = lseek(fd, 0, SEEK_END)) < 0) {
		r = SC_ERR_IO;
		goto out;
	}
	if (a.n > 0 && (r = sc_audit_write_all(fd, a.out, a.n)) != SC_OK)
		goto out;
	if (fdatasync(fd) != 0) {
		sc_set_error("cannot sync '%s/%s': %s", sc_vault_dir(v), SC_AUDIT_FILE,
		             strerror(errno));
		r = sc_status_from_errno(errno);
		goto out;
	}
	if (created && (r = sc_audit_fsync_dir(sc_vault_dir(v))) != SC_OK)
		goto out;
	if (a.n > 0) {
		struct sc_audit_anchor na = {.seq = seq};

		memcpy(na.mac, prev, SC_MAC_LEN);
		if ((r = sc_vault_anchor_set(v, &na)) != SC_OK)
			goto out;
	}
	if (in_txn) {
		in_txn = 0;
		if ((r = sc_vault_txn_commit(v)) != SC_OK)
			goto out;
		undo = -1; /* the write and its entry are both in */
	}
	/* Only now are the failed unlocks in the chain. A crash before this
	 * truncate folds them again next time: recorded twice, never lost. */
	if (pfd >= 0 && (ftruncate(pfd, 0) != 0 || fdatasync(pfd) != 0)) {
		sc_set_error("cannot empty the audit's pending file: %s", strerror(errno));
		r = sc_status_from_errno(errno);
		goto out;
	}
	if (folded != NULL)
		*folded = nfold;
	r = SC_OK;
out:
	if (in_txn)
		sc_vault_txn_rollback(v);
	if (r != SC_OK && undo >= 0) {
		/* the write did not happen: its entry goes too (it may be
		 * whole in the page cache though its sync failed). Should this
		 * fail as well, the entry stays past the anchor: verify shows
		 * the lag, and docs/AUDIT.md says what that means. */
		int e = errno;
		char keep[512];

		snprintf(keep, sizeof(keep), "%s", sc_last_error());
		if (ftruncate(fd, undo) == 0)
			(void)fdatasync(fd);
		sc_set_error("%s", keep);
		errno = e;
	}
	if (pfd >= 0)
		close(pfd);
	sc_audit_lines_release(&l);
	sc_audit_mac_ctx_release(&m);
	sc_secmem_free(key);
	free(a.line);
	free(a.out);
	free(a.e);
	free(a.f);
	return r;
}

int sc_audit_append(struct sc_vault *v, const struct sc_audit_event *ev)
{
	int fd, created, r;

	if ((r = event_valid(ev)) != SC_OK)
		return r;
	if (!sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	if ((r = sc_audit_log_open(sc_vault_dir(v), 1, LOCK_EX, &fd, &created)) != SC_OK)
		return r;
	r = append_locked(v, fd, created, ev, NULL, NULL, NULL);
	close(fd);
	return r;
}

int sc_audit_append_with(struct sc_vault *v, const struct sc_audit_event *ev,
                         sc_audit_apply_fn apply, void *arg)
{
	int fd, created, r;

	if (apply == NULL || ev == NULL || ev->status != SC_OK)
		return SC_ERR_INVALID;
	if ((r = event_valid(ev)) != SC_OK)
		return r;
	if (!sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	if ((r = sc_audit_log_open(sc_vault_dir(v), 1, LOCK_EX, &fd, &created)) != SC_OK)
		return r;
	r = append_locked(v, fd, created, ev, NULL, apply, arg);
	close(fd);
	return r;
}

int sc_audit_fold(struct sc_vault *v, size_t *folded)
{
	int fd, r;

	if (folded != NULL)
		*folded = 0;
	if (!sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	if ((r = sc_audit_log_open(sc_vault_dir(v), 0, LOCK_EX, &fd, NULL)) != SC_OK || fd < 0)
		return r;
	r = append_locked(v, fd, 0, NULL, folded, NULL, NULL);
	close(fd);
	return r;
}

int sc_audit_append_pending(const char *vault_dir, const struct sc_audit_event *ev)
{
	struct sc_audit_entry *e = NULL;
	char *line = NULL, last;
	struct stat st;
	size_t len;
	int fd = -1, pfd = -1, created, pcreated, r;

	if ((r = event_valid(ev)) != SC_OK)
		return r;
	if (ev->n_names > 0)
		return SC_ERR_INVALID; /* no key to blind names with */
	e = calloc(1, sizeof(*e));
	line = malloc(SC_AUDIT_LINE_MAX + 2);
	if (e == NULL || line == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	e->kind = SC_AUDIT_PENDING;
	e->ts_ms = sc_audit_now_ms();
	snprintf(e->op, sizeof(e->op), "%s", ev->op);
	fill_common(e, ev);
	if ((r = sc_audit_format_line(e, line, SC_AUDIT_LINE_MAX + 2, &len)) != SC_OK)
		goto out;
	/* the log's lock guards the side file too */
	if ((r = sc_audit_log_open(vault_dir, 1, LOCK_EX, &fd, &created)) != SC_OK)
		goto out;
	if ((r = sc_audit_pending_open(vault_dir, 1, &pfd, &pcreated)) != SC_OK)
		goto out;
	/* a torn last line would swallow ours: end it (the fold skips it) */
	if (fstat(pfd, &st) == 0 && st.st_size > 0 &&
	    sc_audit_pread_all(pfd, &last, 1, st.st_size - 1) == SC_OK && last != '\n' &&
	    (r = sc_audit_write_all(pfd, "\n", 1)) != SC_OK)
		goto out;
	if ((r = sc_audit_write_all(pfd, line, len)) != SC_OK)
		goto out;
	if (fdatasync(pfd) != 0) {
		sc_set_error("cannot sync the audit's pending file: %s", strerror(errno));
		r = sc_status_from_errno(errno);
		goto out;
	}
	if (created || pcreated)
		r = sc_audit_fsync_dir(vault_dir);
out:
	if (pfd >= 0)
		close(pfd);
	if (fd >= 0)
		close(fd);
	free(line);
	free(e);
	return r;
}
