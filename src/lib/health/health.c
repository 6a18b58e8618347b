/* health.c - the checks behind `secretctl doctor`: weak and duplicate
 * values, expiry, permissions, the data key's age. Values are looked at
 * inside the walk and never leave it: what is kept is a length, a strength
 * and a keyed hash under a key made for this call. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/health.h"

static const char *const kind_names[SC_HEALTH_NKINDS] = {
    "short", "low_entropy", "duplicate", "expired", "expiring", "permissions", "old_dek", "policy",
};

const char *sc_health_kind_name(int kind)
{
	return kind >= 0 && kind < SC_HEALTH_NKINDS ? kind_names[kind] : "unknown";
}

double sc_health_strength(const uint8_t *v, size_t len)
{
	unsigned counts[256] = {0};
	int lower = 0, upper = 0, digit = 0, symbol = 0, other = 0;
	double classes = 0, h = 0, by_class, by_shannon;
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		uint8_t c = v[i];

		counts[c]++;
		if (c >= 'a' && c <= 'z')
			lower = 1;
		else if (c >= 'A' && c <= 'Z')
			upper = 1;
		else if (c >= '0' && c <= '9')
			digit = 1;
		else if (c >= 0x21 && c <= 0x7e)
			symbol = 1;
		else
			other = 1;
	}
	classes = 26.0 * lower + 26.0 * upper + 10.0 * digit + 33.0 * symbol + 128.0 * other;
	for (i = 0; i < 256; i++)
		if (counts[i] > 0) {
			double p = (double)counts[i] / (double)len;

			h -= p * log2(p);
		}
	by_class = (double)len * log2(classes < 2 ? 2 : classes);
	by_shannon = (double)len * h;
	return by_class < by_shannon ? by_class : by_shannon;
}

struct item {
	char *subject; /* "NAME/FIELD", or NAME for an expiry */
	int is_field;
	size_t len;
	double bits;
	int64_t expires;
	uint8_t hash[32];
};

struct walk {
	const uint8_t *key;
	struct item *it;
	size_t n, cap;
	uint64_t secrets;
};

static int push(struct walk *w, struct item *i)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct item *n = realloc(w->it, cap * sizeof(*n));

		if (n == NULL)
			return SC_ERR_NOMEM;
		w->it = n;
		w->cap = cap;
	}
	w->it[w->n++] = *i;
	return SC_OK;
}

static int visit(const struct sc_secret *s, void *arg)
{
	struct walk *w = arg;
	size_t i;

	w->secrets++;
	if (sc_secret_expires(s) != 0) {
		struct item e = {0};

		e.expires = sc_secret_expires(s);
		if ((e.subject = strdup(sc_secret_name(s))) == NULL || push(w, &e) != SC_OK) {
			free(e.subject);
			return SC_ERR_NOMEM;
		}
	}
	for (i = 0; i < sc_secret_field_count(s); i++) {
		struct item f = {0};
		const char *fname, *hint;
		const uint8_t *val;
		int sens;

		if (sc_secret_field(s, i, &fname, &val, &f.len, &sens, &hint) != SC_OK)
			return SC_ERR_INTERNAL;
		if (!sens)
			continue;
		f.is_field = 1;
		f.bits = sc_health_strength(val, f.len);
		crypto_generichash(f.hash, sizeof(f.hash), val, f.len, w->key, 32);
		if (asprintf(&f.subject, "%s/%s", sc_secret_name(s), fname) < 0)
			return SC_ERR_NOMEM;
		if (push(w, &f) != SC_OK) {
			free(f.subject);
			return SC_ERR_NOMEM;
		}
	}
	return 0;
}

static int by_subject(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->is_field != y->is_field)
		return x->is_field - y->is_field;
	return strcmp(x->subject, y->subject);
}

static int by_hash(const void *a, const void *b)
{
	const struct item *const *x = a, *const *y = b;
	int c = memcmp((*x)->hash, (*y)->hash, 32);

	return c ? c : strcmp((*x)->subject, (*y)->subject);
}

static void report(struct walk *w, int64_t now, int64_t within, sc_health_fn fn, void *arg)
{
	struct item **f = NULL;
	size_t i, j, nf = 0;

	if (w->n > 0) /* qsort(NULL, 0, ...) is undefined */
		qsort(w->it, w->n, sizeof(*w->it), by_subject);
	for (i = 0; i < w->n; i++) {
		struct item *it = &w->it[i];
		struct sc_health_finding x = {0};

		x.subject = it->subject;
		if (!it->is_field) {
			if (it->expires <= now) {
				x.kind = SC_HEALTH_EXPIRED;
				x.n = now - it->expires;
				fn(arg, &x);
			} else if (it->expires - now <= within) {
				x.kind = SC_HEALTH_EXPIRING;
				x.n = it->expires - now;
				fn(arg, &x);
			}
			continue;
		}
		if (it->len < SC_HEALTH_MIN_LEN) {
			x.kind = SC_HEALTH_SHORT;
			x.n = (int64_t)it->len;
			fn(arg, &x);
		} else if (it->bits < SC_HEALTH_MIN_BITS) {
			x.kind = SC_HEALTH_LOW_ENTROPY;
			x.n = (int64_t)it->bits;
			fn(arg, &x);
		}
	}
	if ((f = malloc((w->n ? w->n : 1) * sizeof(*f))) == NULL)
		return;
	for (i = 0; i < w->n; i++)
		if (w->it[i].is_field)
			f[nf++] = &w->it[i];
	if (nf > 0) /* qsort(NULL, 0, ...) is undefined */
		qsort(f, nf, sizeof(*f), by_hash);
	/* each value held by more than one field: the first, then each other */
	for (i = 0; i < nf; i = j) {
		for (j = i + 1; j < nf && memcmp(f[i]->hash, f[j]->hash, 32) == 0; j++) {
			struct sc_health_finding x = {SC_HEALTH_DUPLICATE, f[j]->subject,
			                              f[i]->subject, (int64_t)(j - i + 1)};

			fn(arg, &x);
		}
	}
	free(f);
}

int sc_health_values(struct sc_vault *v, int64_t now, int64_t within, sc_health_fn fn, void *arg,
                     uint64_t *nsecrets)
{
	struct walk w = {0};
	uint8_t *key = sc_secmem_alloc(32);
	size_t i;
	int r;

	*nsecrets = 0;
	if (key == NULL)
		return SC_ERR_NOMEM;
	sc_random(key, 32);
	w.key = key;
	r = sc_vault_walk(v, visit, &w);
	sc_secmem_free(key); /* the hashes cannot be recomputed after this */
	if (r == SC_OK)
		report(&w, now, within, fn, arg);
	*nsecrets = w.secrets;
	for (i = 0; i < w.n; i++)
		free(w.it[i].subject);
	sodium_memzero(w.it, w.n * sizeof(*w.it));
	free(w.it);
	return r;
}

static void perm_check(const char *path, int is_dir, sc_health_fn fn, void *arg)
{
	struct stat st;
	struct sc_health_finding x = {SC_HEALTH_PERMISSIONS, path, NULL, 0};

	if (lstat(path, &st) != 0)
		return;
	x.n = (int64_t)(st.st_mode & 07777);
	if (S_ISLNK(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0 ||
	    (is_dir && !S_ISDIR(st.st_mode)))
		fn(arg, &x);
}

int sc_health_permissions(const char *dir, sc_health_fn fn, void *arg)
{
	struct dirent *e;
	struct stat st;
	char *copy, *parent;
	DIR *d;

	perm_check(dir, 1, fn, arg);
	if ((copy = strdup(dir)) == NULL)
		return SC_ERR_NOMEM;
	parent = dirname(copy);
	/* a parent others may write without the sticky bit: the vault can be
	 * renamed away and replaced */
	if (stat(parent, &st) == 0 && (st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0) {
		struct sc_health_finding x = {SC_HEALTH_PERMISSIONS, parent, NULL,
		                              (int64_t)(st.st_mode & 07777)};

		fn(arg, &x);
	}
	free(copy);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? SC_ERR_NO_VAULT : SC_OK;
	while ((e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&p, "%s/%s", dir, e->d_name) < 0) {
			closedir(d);
			return SC_ERR_NOMEM;
		}
		if (lstat(p, &st) == 0 && !S_ISSOCK(st.st_mode))
			perm_check(p, 0, fn, arg);
		free(p);
	}
	closedir(d);
	return SC_OK;
}

static int oldest(const struct sc_secret *s, void *arg)
{
	int64_t *t = arg, c = sc_secret_created(s);

	if (c > 0 && (*t == 0 || c < *t))
		*t = c;
	return 0;
}

int sc_health_dek_since(struct sc_vault *v, int64_t *since)
{
	struct sc_audit_reader *rd = NULL;
	struct sc_audit_entry *e = NULL;
	struct statx sx;
	char *db = NULL;
	int64_t t = 0;
	int r;

	*since = 0;
	if ((r = sc_vault_walk(v, oldest, &t)) != SC_OK)
		return r;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return SC_ERR_NOMEM;
	if (sc_audit_reader_open(sc_vault_dir(v), &rd) == SC_OK &&
	    sc_audit_reader_next(rd, e) == SC_OK && e->ts_ms > 0 && (t == 0 || e->ts_ms / 1000 < t))
		t = e->ts_ms / 1000;
	sc_audit_reader_free(rd);
	free(e);
	sc_clear_error();
	if (asprintf(&db, "%s/vault.db", sc_vault_dir(v)) >= 0 &&
	    statx(AT_FDCWD, db, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) == 0 &&
	    (sx.stx_mask & STATX_BTIME) != 0 && sx.stx_btime.tv_sec > 0 &&
	    (t == 0 || sx.stx_btime.tv_sec < t))
		t = sx.stx_btime.tv_sec;
	free(db);
	*since = t;
	return SC_OK;
}
