/* prune.c - pruning old audit entries: a checkpoint line carries the chain
 * over the removed lines, so verification still covers the rest. */
#include "audit/audit_int.h"

/* ---- pruning ---- */

int sc_audit_prune(struct sc_vault *v, int64_t before_ms, uint64_t *removed)
{
	struct sc_audit_report rep;
	struct sc_audit_anchor anchor;
	struct sc_audit_entry *e = NULL;
	struct mac_ctx m = {0};
	struct lines l = {0};
	uint8_t *key = NULL, last_mac[SC_MAC_LEN];
	uint64_t last_seq = 0, n = 0;
	off_t cut = 0;
	char *tmp = NULL, *line = NULL;
	const char *dir = sc_vault_dir(v), *s;
	size_t len;
	int fd = -1, out = -1, complete, r;

	if (removed != NULL)
		*removed = 0;
	if ((r = sc_audit_fold(v, NULL)) != SC_OK)
		return r;
	key = sc_secmem_alloc(SC_KEY_LEN);
	e = malloc(sizeof(*e));
	line = malloc(SC_AUDIT_LINE_MAX + 2);
	if (key == NULL || e == NULL || line == NULL) {
		r = SC_ERR_NOMEM;
		goto done;
	}
	if ((r = sc_vault_audit_key(v, key)) != SC_OK)
		goto done;
	if ((r = sc_audit_log_open(dir, 0, LOCK_EX, &fd, NULL)) != SC_OK || fd < 0)
		goto done;
	if ((r = sc_vault_anchor_get(v, &anchor)) != SC_OK)
		goto done;
	if ((r = sc_audit_verify_fd(fd, key, &anchor, &rep)) != SC_OK) {
		if (r == SC_ERR_CORRUPT)
			sc_set_error(
			    "the audit log does not verify (line %llu: %s); not pruning it",
			    (unsigned long long)rep.bad_line, rep.why);
		goto done;
	}
	/* the longest run of entries from the start older than the cut-off */
	if (lseek(fd, 0, SEEK_SET) < 0 || (r = sc_audit_lines_init(&l, fd)) != SC_OK) {
		r = r != SC_OK ? r : SC_ERR_IO;
		goto done;
	}
	while ((r = sc_audit_lines_next(&l, &s, &len, &complete)) == SC_OK && complete) {
		/* a checkpoint goes whatever its time: it is the prune before */
		if ((r = sc_audit_parse_line(s, len, e)) != SC_OK || e->kind == SC_AUDIT_PENDING ||
		    (e->kind == SC_AUDIT_ENTRY && e->ts_ms >= before_ms))
			break;
		if (e->kind == SC_AUDIT_ENTRY)
			n++;
		last_seq = e->seq;
		memcpy(last_mac, e->kind == SC_AUDIT_CHECKPOINT ? e->prev : e->mac, SC_MAC_LEN);
		cut = l.off;
	}
	sc_clear_error();
	if (cut == 0 || (n == 0 && rep.checkpoint)) {
		r = SC_OK; /* nothing older than the cut-off */
		goto done;
	}
	/* the checkpoint: where the chain resumes, MACed so it cannot be forged */
	memset(e, 0, sizeof(*e));
	e->kind = SC_AUDIT_CHECKPOINT;
	e->seq = last_seq;
	e->ts_ms = sc_audit_now_ms();
	snprintf(e->op, sizeof(e->op), "checkpoint");
	e->source = SC_AUDIT_SRC_CLI;
	e->pid = (uint32_t)getpid();
	e->uid = (uint32_t)geteuid();
	e->result = SC_AUDIT_OK;
	memcpy(e->prev, last_mac, SC_MAC_LEN);
	if ((r = sc_audit_mac_ctx_init(&m, key)) != SC_OK ||
	    (r = sc_audit_mac_entry(&m, e, e->mac)) != SC_OK ||
	    (r = sc_audit_format_line(e, line, SC_AUDIT_LINE_MAX + 2, &len)) != SC_OK)
		goto done;
	if (asprintf(&tmp, "%s/%s.prune-%ld", dir, SC_AUDIT_FILE, (long)getpid()) < 0) {
		tmp = NULL;
		r = SC_ERR_NOMEM;
		goto done;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		sc_set_error("cannot create '%s': %s", tmp, strerror(errno));
		r = sc_status_from_errno(errno);
		goto done;
	}
	if ((r = sc_audit_write_all(out, line, len)) != SC_OK)
		goto fail;
	for (;;) {
		ssize_t k = pread(fd, line, SC_AUDIT_LINE_MAX, cut);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = SC_ERR_IO;
			goto fail;
		}
		if (k == 0)
			break;
		if ((r = sc_audit_write_all(out, line, (size_t)k)) != SC_OK)
			goto fail;
		cut += k;
	}
	if (fsync(out) != 0 || close(out) != 0) {
		out = -1;
		sc_set_error("cannot sync '%s': %s", tmp, strerror(errno));
		r = sc_status_from_errno(errno);
		goto fail;
	}
	out = -1;
	{
		char *path = sc_audit_log_path(dir);

		if (path == NULL) {
			r = SC_ERR_NOMEM;
			goto fail;
		}
		if (rename(tmp, path) != 0) {
			sc_set_error("cannot replace '%s': %s", path, strerror(errno));
			free(path);
			r = sc_status_from_errno(errno);
			goto fail;
		}
		free(path);
	}
	if ((r = sc_audit_fsync_dir(dir)) != SC_OK)
		goto done;
	if (removed != NULL)
		*removed = n;
	r = SC_OK;
	goto done;
fail:
	if (out >= 0)
		close(out);
	out = -1;
	unlink(tmp);
done:
	if (out >= 0)
		close(out);
	free(tmp);
	sc_audit_lines_release(&l);
	sc_audit_mac_ctx_release(&m);
	if (fd >= 0)
		close(fd);
	sc_secmem_free(key);
	free(line);
	free(e);
	return r;
}
