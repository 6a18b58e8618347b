/* writes.c - audited operations (session.h): each writes its own audit
 * entry, a write with its entry in one step, so whichever front end calls
 * one gets the entry without writing it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "secretctl/backup.h"
#include "secretctl/fdio.h"
#include "secretctl/secref.h"
#include "secretctl/secretctl.h"
#include "session/session_int.h"

int sc_sess_record(struct sc_vault *v, const struct sc_session_who *who, const char *op,
                   const char *const *names, size_t n, int status)
{
	struct sc_audit_event ev = {
	    .op = op,
	    .source = who->source,
	    .client = who->client,
	    .names = names,
	    .n_names = n,
	    .status = status,
	};
	char detail[512], msg[160];
	int r;

	if (v == NULL || !sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	/* keep the operation's own error detail for its message */
	snprintf(detail, sizeof(detail), "%s", sc_last_error());
	r = sc_audit_append(v, &ev);
	if (r == SC_ERR_READONLY && who->warn != NULL) {
		/* a vault on a read-only file system can be read, not written:
		 * nothing can change it, and its log cannot take the entry. Say
		 * so rather than refuse the read (docs/AUDIT.md, open items). */
		snprintf(msg, sizeof(msg),
		         "the vault is on a read-only file system: this %s is not recorded in the "
		         "audit log",
		         op);
		who->warn(who->arg, msg);
		sc_clear_error();
		r = SC_OK;
	}
	if (detail[0] != '\0')
		sc_set_error("%s", detail);
	return r;
}

int sc_sess_write(struct sc_vault *v, const struct sc_session_who *who, const char *op,
                  const char *const *names, size_t n, sc_audit_apply_fn fn, void *arg)
{
	struct sc_audit_event ev = {
	    .op = op,
	    .source = who->source,
	    .client = who->client,
	    .names = names,
	    .n_names = n,
	    .status = SC_OK,
	};
	int r;

	if (v == NULL || !sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	if ((r = sc_audit_append_with(v, &ev, fn, arg)) != SC_OK)
		(void)sc_sess_record(v, who, op, names, n, r); /* the failure, if it can be */
	return r;
}

/* ---- set ---- */

struct set_txn {
	struct sc_secret *s;
	struct sc_session_set *io;
};

static void drop_add(struct sc_session_set *io, const char *what, const char *name)
{
	size_t n = strlen(io->dropped);

	snprintf(io->dropped + n, sizeof(io->dropped) - n, "%s%s%s%s", n ? ", " : "", what,
	         name ? " " : "", name ? name : "");
}

static int drop_seen(int kind, const char *what, const char *name, void *arg)
{
	/* a set drops what the current version has and the new one lacks */
	if (kind == SC_DIFF_REMOVED && strcmp(what, "expires") != 0)
		drop_add(arg, what, name);
	return 0;
}

static int put_in_txn(struct sc_vault *v, void *arg)
{
	struct set_txn *t = arg;
	struct sc_secret *old = NULL;
	unsigned keep;
	int r;

	r = sc_vault_get(v, sc_secret_name(t->s), &old);
	if (r == SC_OK) {
		size_t i;
		int j;

		/* a field sealed under a key stays so: a set never drops a key */
		for (i = 0; i < sc_secret_field_count(t->s) && r == SC_OK; i++) {
			const char *fname;

			if (sc_secret_field_key(t->s, i) != NULL ||
			    sc_secret_field(t->s, i, &fname, NULL, NULL, NULL, NULL) != SC_OK ||
			    (j = sc_secret_field_index(old, fname)) < 0 ||
			    sc_secret_field_key(old, (size_t)j) == NULL)
				continue;
			r = sc_secret_set_field_key(t->s, fname,
			                            sc_secret_field_key(old, (size_t)j));
		}
	}
	if (r == SC_OK && !t->io->replace) {
		r = sc_secret_diff(old, t->s, drop_seen, t->io);
		if (r == SC_OK && t->io->dropped[0] != '\0') {
			sc_set_error("it would drop %s", t->io->dropped);
			r = SC_ERR_DENIED;
		}
	} else if (r == SC_ERR_NOT_FOUND) {
		r = SC_OK;
	}
	sc_secret_free(old);
	if (r == SC_OK)
		r = sc_vault_put_keep_in_txn(v, t->s, t->io->keep);
	if (r == SC_OK)
		r = sc_vault_version(v, sc_secret_name(t->s), &t->io->version, &keep);
	return r;
}

int sc_session_set(struct sc_vault *v, const struct sc_session_who *who, struct sc_secret *s,
                   struct sc_session_set *io)
{
	struct set_txn t = {.s = s, .io = io};
	const char *name;

	if (s == NULL || io == NULL || who == NULL)
		return SC_ERR_INVALID;
	name = sc_secret_name(s);
	io->version = 0;
	io->dropped[0] = '\0';
	return sc_sess_write(v, who, "set", &name, 1, put_in_txn, &t);
}

/* ---- delete ---- */

static int delete_in_txn(struct sc_vault *v, void *name)
{
	return sc_vault_delete_in_txn(v, name);
}

static int purge_in_txn(struct sc_vault *v, void *name)
{
	return sc_vault_purge_in_txn(v, name);
}

int sc_session_delete(struct sc_vault *v, const struct sc_session_who *who, const char *name,
                      int purge)
{
	if (name == NULL || who == NULL)
		return SC_ERR_INVALID;
	return sc_sess_write(v, who, purge ? "purge" : "delete", &name, 1,
	                     purge ? purge_in_txn : delete_in_txn, (void *)name);
}

/* ---- generate ---- */

struct gen_txn {
	const char *path, *val;
	size_t len;
	struct sc_session_gen *out;
};

/* NAME[/FIELD]: an existing secret of that whole name (its field "value",
 * or its only field); else FIELD of an existing NAME; else a new secret of
 * that whole name with the field "value". */
static int gen_in_txn(struct sc_vault *v, void *arg)
{
	struct gen_txn *g = arg;
	struct sc_session_gen *t = g->out;
	struct sc_secret *cur = NULL, *s = NULL;
	const char *slash = strrchr(g->path, '/'), *fname;
	unsigned keep;
	int r, i;

	snprintf(t->name, sizeof(t->name), "%s", g->path);
	snprintf(t->field, sizeof(t->field), "value");
	r = sc_vault_get(v, g->path, &cur);
	if (r == SC_ERR_NOT_FOUND && slash != NULL && sc_field_name_valid(slash + 1) == SC_OK) {
		snprintf(t->name, sizeof(t->name), "%.*s", (int)(slash - g->path), g->path);
		r = sc_vault_get(v, t->name, &cur);
		if (r == SC_OK)
			snprintf(t->field, sizeof(t->field), "%s", slash + 1);
		else if (r == SC_ERR_NOT_FOUND)
			snprintf(t->name, sizeof(t->name), "%s", g->path);
	}
	if (r == SC_ERR_NOT_FOUND) {
		r = sc_secret_new(&s, t->name);
	} else if (r == SC_OK) {
		if (strcmp(t->name, g->path) == 0) {
			if ((i = sc_secret_pick_field(cur, NULL)) == -2) {
				snprintf(t->why, sizeof(t->why),
				         "'%s' has several fields; name one: --set %s/FIELD",
				         t->name, t->name);
				r = SC_ERR_INVALID;
				goto out;
			}
			if (i >= 0 && sc_secret_field(cur, (size_t)i, &fname, NULL, NULL, NULL,
			                              NULL) == SC_OK)
				snprintf(t->field, sizeof(t->field), "%s", fname);
		}
		r = sc_secret_clone(cur, NULL, &s);
		if (r == SC_OK && (r = sc_secret_remove_field(s, t->field)) == SC_ERR_NOT_FOUND)
			r = SC_OK;
	}
	if (r != SC_OK)
		goto out;
	if ((r = sc_secret_add_field(s, t->field, g->val, g->len, 1)) != SC_OK ||
	    (r = sc_vault_put_keep_in_txn(v, s, 0)) != SC_OK)
		goto out;
	r = sc_vault_version(v, t->name, &t->version, &keep);
out:
	sc_secret_free(cur);
	sc_secret_free(s);
	return r;
}

int sc_session_generate(struct sc_vault *v, const struct sc_session_who *who, const char *path,
                        const char *val, size_t len, struct sc_session_gen *out)
{
	struct gen_txn g = {.path = path, .val = val, .len = len, .out = out};

	if (who == NULL || path == NULL || val == NULL || out == NULL)
		return SC_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	return sc_sess_write(v, who, "generate", &path, 1, gen_in_txn, &g);
}

/* ---- export ---- */

static int write_out(const char *path, const char *buf, size_t len)
{
	int fd, r;

	if (path == NULL)
		return sc_fd_write_all(1, buf, len);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		sc_set_error("'%s': %s", path, errno == EEXIST ? "it exists" : strerror(errno));
		return errno == EEXIST ? SC_ERR_EXISTS : sc_status_from_errno(errno);
	}
	r = sc_fd_write_all(fd, buf, len);
	if (r == SC_OK && fsync(fd) != 0)
		r = sc_status_from_errno(errno);
	if (close(fd) != 0 && r == SC_OK)
		r = sc_status_from_errno(errno);
	if (r != SC_OK) {
		sc_set_error("'%s': %s", path, strerror(errno));
		unlink(path); /* no half-written file of plaintext */
	}
	return r;
}

int sc_session_export(struct sc_vault *v, const struct sc_session_who *who,
                      const char *const *names, size_t n, const char *path, const char *buf,
                      size_t len, int *recorded)
{
	size_t i;
	int r = SC_OK;

	if (recorded != NULL)
		*recorded = 0;
	if (who == NULL || (n > 0 && names == NULL) || (len > 0 && buf == NULL))
		return SC_ERR_INVALID;
	/* the intent, durable before anything is written: an export the log
	 * cannot take does not happen */
	if (n == 0)
		r = sc_sess_record(v, who, "export", NULL, 0, SC_OK);
	for (i = 0; i < n && r == SC_OK; i += SC_AUDIT_SECRETS_MAX) {
		size_t k = n - i < SC_AUDIT_SECRETS_MAX ? n - i : SC_AUDIT_SECRETS_MAX;

		r = sc_sess_record(v, who, "export", names + i, k, SC_OK);
	}
	if (r != SC_OK)
		return r;
	if (recorded != NULL)
		*recorded = 1;
	if (path == NULL && len == 0)
		return SC_OK;
	if ((r = write_out(path, buf != NULL ? buf : "", len)) != SC_OK)
		(void)sc_sess_record(v, who, "export", NULL, 0, r); /* what became of it */
	return r;
}

/* ---- backup ---- */

int sc_session_backup(struct sc_vault *v, const struct sc_session_who *who, const char *path,
                      const char *pass, size_t pass_len, const struct sc_kdf_params *kp,
                      struct sc_backup_info *info, int *failed_at)
{
	int fd, r, at;

	if (failed_at == NULL)
		failed_at = &at;
	*failed_at = SC_SESSION_AT_CREATE;
	if (who == NULL || path == NULL || info == NULL)
		return SC_ERR_INVALID;
	if (v == NULL || !sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		int e = errno;

		sc_set_error("'%s': %s", path, strerror(e));
		return e == EEXIST ? SC_ERR_EXISTS : sc_status_from_errno(e);
	}
	/* the intent, durable first: a backup the log cannot take is not made */
	if ((r = sc_sess_record(v, who, "backup", NULL, 0, SC_OK)) != SC_OK) {
		*failed_at = SC_SESSION_AT_AUDIT;
		close(fd);
		unlink(path);
		return r;
	}
	*failed_at = SC_SESSION_AT_WRITE;
	r = sc_backup_write(v, fd, pass, pass_len, kp, info);
	if (close(fd) != 0 && r == SC_OK) {
		sc_set_error("'%s': %s", path, strerror(errno));
		r = SC_ERR_IO;
	}
	if (r != SC_OK) {
		unlink(path);
		(void)sc_sess_record(v, who, "backup", NULL, 0, r); /* what became of it */
		return r;
	}
	*failed_at = 0;
	return SC_OK;
}

/* ---- import ---- */

int sc_session_import(struct sc_vault *v, const struct sc_session_who *who,
                      const char *const *names, size_t n, sc_audit_apply_fn apply, void *arg,
                      size_t *logged)
{
	size_t i, first = n < SC_AUDIT_SECRETS_MAX ? n : SC_AUDIT_SECRETS_MAX, done;
	int r;

	if (logged == NULL)
		logged = &done;
	*logged = 0;
	if (who == NULL || apply == NULL || (n > 0 && names == NULL))
		return SC_ERR_INVALID;
	/* one transaction with its audit entry (the first names; the rest in
	 * the entries that follow, as an audit entry holds at most 512) */
	if ((r = sc_sess_write(v, who, "import", names, first, apply, arg)) != SC_OK)
		return r;
	*logged = first;
	for (i = first; i < n; i += SC_AUDIT_SECRETS_MAX) {
		size_t k = n - i < SC_AUDIT_SECRETS_MAX ? n - i : SC_AUDIT_SECRETS_MAX;

		if (sc_sess_record(v, who, "import", names + i, k, SC_OK) != SC_OK)
			break;
		*logged = i + k;
	}
	sc_clear_error();
	return SC_OK;
}
