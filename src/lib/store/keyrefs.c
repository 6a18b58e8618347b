/* keyrefs.c - the reference index: which named key versions (keys.h) the
 * vault's own ciphertexts use. A body holds sc:v1 fields (fieldkeys.c);
 * each place a body lives - a secret's record (by its id) or one kept
 * version in the history (chain, version) - is an item, listed once per
 * key version its fields use. The index is one row sealed under the
 * keyring sub-key (AAD: domain, vault id), and its MAC is anchored in the
 * state with the keyring row's (state.c), so it cannot be rolled back,
 * swapped or deleted alone: it names which secrets use which key, and the
 * disk never shows that. Every write of a body updates it in the same
 * transaction (records.c, history.c call sc_store_refs_note).
 *
 *   "SCK1" u16 nnames { u8 len, name } u32 n { u8 kind, u64 chain, u64 ver,
 *   idx[32], u16 name, u32 key version }      sorted, no duplicate
 *
 * ver is the record's version (its AAD's) or the kept version's number;
 * idx the blinded name a kept version's AAD binds (zero for a record):
 * what a rewrap needs to open the body again.
 */
#include "secretctl/keys.h"
#include "store/vault_int.h"

#define REFS_MAGIC "SCK1"
#define REFS_NAMES_MAX SC_KEYRING_KEYS_MAX
#define REF_LEN (1 + 8 + 8 + SC_MAC_LEN + 2 + 4)

static const char refs_aad_dom[] = "secretctl/v1/keyrefs";

struct ref {
	uint8_t kind;
	uint64_t chain, ver;
	uint8_t idx[SC_MAC_LEN];
	uint16_t key;
	uint32_t kver;
};

struct sc_store_refs {
	char (*names)[SC_KEY_NAME_MAX + 1];
	size_t nnames;
	struct ref *e;
	size_t n, cap;
	/* the sealed row this copy was read from or written as: nonce || tag */
	uint8_t tag[SC_SEAL_OVERHEAD];
	size_t sealed_len;
	int dirty; /* changed in memory, not written (deferred) */
};

void sc_store_refs_free(struct sc_store_refs *x)
{
	if (x == NULL)
		return;
	free(x->names);
	free(x->e);
	free(x);
}

/* The order of places: kind, chain, then (a kept version) its number. A
 * record is one place per id whatever its version. */
static int place_cmp(int kind, uint64_t chain, uint64_t ver, const struct ref *b)
{
	if (kind != b->kind)
		return kind < b->kind ? -1 : 1;
	if (chain != b->chain)
		return chain < b->chain ? -1 : 1;
	if (kind == SC_REF_HISTORY && ver != b->ver)
		return ver < b->ver ? -1 : 1;
	return 0;
}

static int ref_cmp(const struct ref *a, const struct ref *b)
{
	int c = place_cmp(a->kind, a->chain, a->ver, b);

	if (c != 0)
		return c;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->kver != b->kver)
		return a->kver < b->kver ? -1 : 1;
	return 0;
}

static void refs_aad(const struct sc_vault *v, uint8_t *aad, size_t *n)
{
	memcpy(aad, refs_aad_dom, sizeof(refs_aad_dom));
	memcpy(aad + sizeof(refs_aad_dom), v->id, ID_LEN);
	*n = sizeof(refs_aad_dom) + ID_LEN;
}

static int parse(const uint8_t *pt, size_t len, struct sc_store_refs *x)
{
	struct sc_buf b;
	uint64_t nn, n, u;
	size_t i;
	const uint8_t *p;

	sc_buf_init_reader(&b, pt, len);
	if (sc_buf_get_ptr(&b, 4, &p) != SC_OK || memcmp(p, REFS_MAGIC, 4) != 0 ||
	    sc_buf_get_uint(&b, 2, &nn) != SC_OK || nn > REFS_NAMES_MAX)
		return SC_ERR_CORRUPT;
	if (nn > 0 && (x->names = calloc((size_t)nn, sizeof(*x->names))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < nn; i++) {
		if (sc_buf_get_uint(&b, 1, &u) != SC_OK || u == 0 || u > SC_KEY_NAME_MAX ||
		    sc_buf_get_ptr(&b, (size_t)u, &p) != SC_OK)
			return SC_ERR_CORRUPT;
		memcpy(x->names[i], p, (size_t)u);
		x->names[i][u] = '\0';
		if (sc_keys_name_valid(x->names[i]) != SC_OK)
			return SC_ERR_CORRUPT;
		x->nnames = i + 1;
	}
	if (sc_buf_get_uint(&b, 4, &n) != SC_OK || n > sc_buf_left(&b) / REF_LEN ||
	    sc_buf_left(&b) != n * REF_LEN)
		return SC_ERR_CORRUPT;
	if (n > 0 && (x->e = malloc((size_t)n * sizeof(*x->e))) == NULL)
		return SC_ERR_NOMEM;
	x->cap = (size_t)n;
	for (i = 0; i < n; i++) {
		struct ref *e = &x->e[i];
		uint64_t kind, key, kver;

		if (sc_buf_get_uint(&b, 1, &kind) != SC_OK ||
		    sc_buf_get_uint(&b, 8, &e->chain) != SC_OK ||
		    sc_buf_get_uint(&b, 8, &e->ver) != SC_OK ||
		    sc_buf_get_ptr(&b, SC_MAC_LEN, &p) != SC_OK ||
		    sc_buf_get_uint(&b, 2, &key) != SC_OK || sc_buf_get_uint(&b, 4, &kver) != SC_OK)
			return SC_ERR_CORRUPT;
		e->kind = (uint8_t)kind;
		memcpy(e->idx, p, SC_MAC_LEN);
		e->key = (uint16_t)key;
		e->kver = (uint32_t)kver;
		if ((kind != SC_REF_RECORD && kind != SC_REF_HISTORY) || key >= nn || kver == 0 ||
		    (i > 0 && ref_cmp(&x->e[i - 1], e) >= 0))
			return SC_ERR_CORRUPT;
		x->n = i + 1;
	}
	return SC_OK;
}

/* The row as it is on disk (SC_OK with *x NULL: no index yet); checked
 * against the state's anchor unless it is the copy already held. */
static int load(struct sc_vault *v, struct sc_store_refs **out)
{
	sqlite3_stmt *q = NULL;
	struct sc_store_refs *x = NULL;
	struct state st;
	uint8_t aad[64], mac[SC_MAC_LEN], *pt = NULL, *body = NULL, tagcol[SC_SEAL_OVERHEAD];
	size_t len, aad_len;
	int rc, r, has_refs;

	*out = NULL;
	if (v->refs != NULL && v->refs->dirty) {
		*out = v->refs;
		return SC_OK;
	}
	rc = sc_store_stmt_prepare(v,
	                           "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
	                           "'keyrefs'",
	                           &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sc_store_stmt_done(v, q);
	q = NULL;
	if (rc == SQLITE_DONE)
		return SC_OK;
	if (rc != SQLITE_ROW)
		return sc_store_db_err(v->db, rc);
	rc = sc_store_stmt_prepare(v, "SELECT tag, body FROM keyrefs WHERE id = 1", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		sc_store_stmt_done(v, q);
		return SC_OK;
	}
	if (rc != SQLITE_ROW) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	len = (size_t)sqlite3_column_bytes(q, 1);
	if (sqlite3_column_blob(q, 1) == NULL || len < SC_SEAL_OVERHEAD + 10 || len > (64u << 20) ||
	    sqlite3_column_bytes(q, 0) != SC_SEAL_OVERHEAD || sqlite3_column_blob(q, 0) == NULL) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	memcpy(tagcol, sqlite3_column_blob(q, 0), SC_SEAL_OVERHEAD);
	/* a copy: the checks below read the row through statements of their own */
	if ((body = malloc(len)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	memcpy(body, sqlite3_column_blob(q, 1), len);
	sc_store_stmt_done(v, q);
	q = NULL;
	/* the anchor binds the tag column: it must be the body's own */
	if (memcmp(tagcol, body, SC_NONCE_LEN) != 0 ||
	    memcmp(tagcol + SC_NONCE_LEN, body + len - SC_TAG_LEN, SC_TAG_LEN) != 0) {
		sc_set_error("the vault's key reference index does not match its tag");
		r = SC_ERR_CORRUPT;
		goto out;
	}
	/* the copy held is the one whose random nonce and tag these are */
	if (v->refs != NULL && v->refs->sealed_len == len &&
	    memcmp(v->refs->tag, body, SC_NONCE_LEN) == 0 &&
	    memcmp(v->refs->tag + SC_NONCE_LEN, body + len - SC_TAG_LEN, SC_TAG_LEN) == 0) {
		*out = v->refs;
		r = SC_OK;
		goto out;
	}
	if ((r = sc_store_state_read(v, &st)) != SC_OK ||
	    (r = sc_store_anchor_mac(v, mac, &has_refs)) != SC_OK)
		goto out;
	if (!st.has_keyring || sc_memcmp_ct(mac, st.kr_mac, SC_MAC_LEN) != 0) {
		sc_set_error(
		    "the vault's key reference index is not the one its sealed state names "
		    "(rolled back or replaced)");
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((pt = malloc(len - SC_SEAL_OVERHEAD)) == NULL || (x = calloc(1, sizeof(*x))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	refs_aad(v, aad, &aad_len);
	if ((r = sc_open(v->k->keyring, aad, aad_len, body, len, pt)) != SC_OK)
		goto out;
	if ((r = parse(pt, len - SC_SEAL_OVERHEAD, x)) != SC_OK) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	memcpy(x->tag, body, SC_NONCE_LEN);
	memcpy(x->tag + SC_NONCE_LEN, body + len - SC_TAG_LEN, SC_TAG_LEN);
	x->sealed_len = len;
	sc_store_refs_free(v->refs);
	v->refs = x;
	x = NULL;
	*out = v->refs;
out:
	if (r == SC_ERR_CORRUPT && sc_last_error()[0] == '\0')
		sc_set_error("the vault's key reference index does not open");
	sc_store_stmt_done(v, q);
	free(body);
	free(pt);
	sc_store_refs_free(x);
	return r;
}

/* Seal x and write it as the row; the state's write anchors it. */
static int save(struct sc_vault *v, struct sc_store_refs *x)
{
	sqlite3_stmt *q = NULL;
	struct state st;
	struct sc_buf w;
	uint8_t aad[64], *pt = NULL, *sealed = NULL, tag[SC_SEAL_OVERHEAD];
	size_t len, aad_len, i, nused = 0;
	uint16_t *remap = NULL;
	int rc, r;

	/* drop the names no entry uses any more */
	if (x->nnames > 0 && (remap = calloc(x->nnames, sizeof(*remap))) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < x->n; i++)
		remap[x->e[i].key] = 1;
	for (i = 0; i < x->nnames; i++)
		if (remap[i]) {
			if (nused != i)
				memcpy(x->names[nused], x->names[i], sizeof(x->names[0]));
			remap[i] = (uint16_t)nused++;
		}
	for (i = 0; i < x->n; i++)
		x->e[i].key = remap[x->e[i].key];
	x->nnames = nused;
	free(remap);
	len = 4 + 2 + 4 + x->n * REF_LEN;
	for (i = 0; i < x->nnames; i++)
		len += 1 + strlen(x->names[i]);
	if ((pt = malloc(len)) == NULL || (sealed = malloc(len + SC_SEAL_OVERHEAD)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	sc_buf_init_fixed(&w, pt, len);
	sc_buf_put(&w, REFS_MAGIC, 4);
	sc_buf_put_uint(&w, x->nnames, 2);
	for (i = 0; i < x->nnames; i++) {
		sc_buf_put_uint(&w, strlen(x->names[i]), 1);
		sc_buf_put(&w, x->names[i], strlen(x->names[i]));
	}
	sc_buf_put_uint(&w, x->n, 4);
	for (i = 0; i < x->n; i++) {
		sc_buf_put_u8(&w, x->e[i].kind);
		sc_buf_put_uint(&w, x->e[i].chain, 8);
		sc_buf_put_uint(&w, x->e[i].ver, 8);
		sc_buf_put(&w, x->e[i].idx, SC_MAC_LEN);
		sc_buf_put_uint(&w, x->e[i].key, 2);
		sc_buf_put_uint(&w, x->e[i].kver, 4);
	}
	if (sc_buf_status(&w) != SC_OK || w.len != len) {
		r = SC_ERR_INTERNAL;
		goto out;
	}
	refs_aad(v, aad, &aad_len);
	if ((r = sc_seal(v->k->keyring, aad, aad_len, pt, len, sealed)) != SC_OK)
		goto out;
	/* the row's nonce and tag in a column of their own, before the body:
	 * the state's anchor reads them without the body's pages */
	memcpy(tag, sealed, SC_NONCE_LEN);
	memcpy(tag + SC_NONCE_LEN, sealed + len + SC_SEAL_OVERHEAD - SC_TAG_LEN, SC_TAG_LEN);
	if ((r = sc_store_exec_sql(v->db, "CREATE TABLE IF NOT EXISTS keyrefs (id INTEGER PRIMARY "
	                                  "KEY CHECK (id = 1), tag BLOB NOT NULL, body BLOB NOT "
	                                  "NULL);")) != SC_OK)
		goto out;
	rc = sc_store_stmt_prepare(
	    v, "INSERT OR REPLACE INTO keyrefs (id, tag, body) VALUES (1, ?, ?)", &q);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 1, tag, SC_SEAL_OVERHEAD, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 2, sealed, (int)(len + SC_SEAL_OVERHEAD), SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sc_store_stmt_done(v, q);
	if (rc != SQLITE_DONE) {
		r = sc_store_db_err(v->db, rc);
		goto out;
	}
	if ((r = sc_store_state_read(v, &st)) != SC_OK)
		goto out;
	if (!st.has_keyring) {
		sc_set_error("the vault has no keyring for its key reference index");
		r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((r = sc_store_state_write(v, &st)) != SC_OK)
		goto out;
	memcpy(x->tag, tag, sizeof(tag));
	x->sealed_len = len + SC_SEAL_OVERHEAD;
	x->dirty = 0;
out:
	free(pt);
	free(sealed);
	return r;
}

static int name_index(struct sc_store_refs *x, const char *name, uint16_t *out)
{
	size_t i;
	char(*nn)[SC_KEY_NAME_MAX + 1];

	for (i = 0; i < x->nnames; i++)
		if (strcmp(x->names[i], name) == 0) {
			*out = (uint16_t)i;
			return SC_OK;
		}
	if (x->nnames >= REFS_NAMES_MAX)
		return SC_ERR_TOOBIG;
	if ((nn = realloc(x->names, (x->nnames + 1) * sizeof(*nn))) == NULL)
		return SC_ERR_NOMEM;
	x->names = nn;
	snprintf(x->names[x->nnames], sizeof(x->names[0]), "%s", name);
	*out = (uint16_t)x->nnames++;
	return SC_OK;
}

/* The refs of one body: a key version per wrapped field, deduplicated. */
static int body_refs(struct sc_store_refs *x, int kind, uint64_t chain, uint64_t ver,
                     const uint8_t *idx, const struct sc_secret *s, struct ref *out, size_t *n)
{
	size_t i, j;
	int r;

	*n = 0;
	for (i = 0; s != NULL && i < s->nfields; i++) {
		struct sc_keys_ct ct;
		struct ref e;

		memset(&e, 0, sizeof(e));
		if (!s->fields[i].wrapped)
			continue;
		if (sc_keys_ct_parse((const char *)s->fields[i].value, s->fields[i].len, &ct) !=
		    SC_OK)
			return SC_ERR_INTERNAL;
		e.kind = (uint8_t)kind;
		e.chain = chain;
		e.ver = ver;
		if (idx != NULL)
			memcpy(e.idx, idx, SC_MAC_LEN);
		else
			memset(e.idx, 0, SC_MAC_LEN);
		e.kver = ct.version;
		r = name_index(x, ct.name, &e.key);
		sc_keys_ct_release(&ct);
		if (r != SC_OK)
			return r;
		for (j = 0; j < *n && ref_cmp(&out[j], &e) != 0; j++)
			;
		if (j == *n)
			out[(*n)++] = e;
	}
	return SC_OK;
}

static int has_wrapped(const struct sc_secret *s)
{
	size_t i;

	for (i = 0; s != NULL && i < s->nfields; i++)
		if (s->fields[i].wrapped)
			return 1;
	return 0;
}

/* The first entry at or after the place (binary search). */
static size_t place_lower(const struct sc_store_refs *x, int kind, uint64_t chain, uint64_t ver)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (place_cmp(kind, chain, ver, &x->e[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int by_ref(const void *a, const void *b)
{
	return ref_cmp(a, b);
}

int sc_store_refs_note(struct sc_vault *v, int kind, uint64_t chain, uint64_t ver,
                       const uint8_t *idx, const struct sc_secret *s)
{
	struct sc_store_refs *x;
	struct ref add[SC_FIELDS_MAX];
	size_t nadd = 0, lo, hi;
	int r, whole = kind == SC_REF_HISTORY && ver == 0 && s == NULL;

	if ((r = load(v, &x)) != SC_OK)
		return r;
	if (x == NULL) {
		if (!has_wrapped(s))
			return SC_OK; /* no index, and nothing for one */
		if ((x = calloc(1, sizeof(*x))) == NULL)
			return SC_ERR_NOMEM;
		sc_store_refs_free(v->refs);
		v->refs = x;
	}
	if ((r = body_refs(x, kind, chain, ver, idx, s, add, &nadd)) != SC_OK)
		goto fail;
	qsort(add, nadd, sizeof(*add), by_ref);
	/* the place's entries, contiguous in the sorted index (the whole
	 * chain's kept versions for a purge) */
	lo = whole ? place_lower(x, kind, chain, 0) : place_lower(x, kind, chain, ver);
	for (hi = lo; hi < x->n && x->e[hi].kind == kind && x->e[hi].chain == chain &&
	              (whole || place_cmp(kind, chain, ver, &x->e[hi]) == 0);
	     hi++)
		;
	if (hi - lo == nadd) {
		size_t i;

		for (i = 0; i < nadd && ref_cmp(&x->e[lo + i], &add[i]) == 0 &&
		            x->e[lo + i].ver == add[i].ver &&
		            memcmp(x->e[lo + i].idx, add[i].idx, SC_MAC_LEN) == 0;
		     i++)
			;
		if (i == nadd)
			return SC_OK; /* unchanged */
	}
	if (hi - lo != nadd) {
		if (x->n - (hi - lo) + nadd > x->cap) {
			size_t cap = (x->n + nadd) * 2;
			struct ref *ne;

			if ((ne = realloc(x->e, cap * sizeof(*ne))) == NULL) {
				r = SC_ERR_NOMEM;
				goto fail;
			}
			x->e = ne;
			x->cap = cap;
		}
		memmove(x->e + lo + nadd, x->e + hi, (x->n - hi) * sizeof(*x->e));
		x->n = x->n - (hi - lo) + nadd;
	}
	if (nadd > 0)
		memcpy(x->e + lo, add, nadd * sizeof(*add));
	x->dirty = 1;
	if (v->refs_defer)
		return SC_OK;
	if ((r = save(v, x)) != SC_OK)
		goto fail;
	return SC_OK;
fail:
	/* the copy held no longer says what the row says */
	sc_store_refs_free(v->refs);
	v->refs = NULL;
	return r;
}

int sc_store_refs_flush(struct sc_vault *v)
{
	int r;

	if (v->refs == NULL || !v->refs->dirty)
		return SC_OK;
	if ((r = save(v, v->refs)) != SC_OK)
		sc_store_refs_drop(v);
	return r;
}

void sc_store_refs_drop(struct sc_vault *v)
{
	sc_store_refs_free(v->refs);
	v->refs = NULL;
}

int sc_store_refs_reseal(struct sc_vault *v, const uint8_t old_key[SC_KEY_LEN])
{
	struct sc_store_refs *x;
	uint8_t cur[SC_KEY_LEN];
	int r;

	/* read under the keyring key it was sealed with, written under v's */
	memcpy(cur, v->k->keyring, SC_KEY_LEN);
	memcpy(v->k->keyring, old_key, SC_KEY_LEN);
	sc_store_refs_drop(v);
	r = load(v, &x);
	memcpy(v->k->keyring, cur, SC_KEY_LEN);
	sc_wipe(cur, sizeof(cur));
	if (r != SC_OK || x == NULL)
		return r;
	x->dirty = 1;
	return sc_store_refs_flush(v);
}

void sc_vault_refs_defer(struct sc_vault *v)
{
	v->refs_defer = 1;
}

int sc_vault_refs_flush(struct sc_vault *v)
{
	v->refs_defer = 0;
	return sc_store_refs_flush(v);
}

void sc_vault_refs_abandon(struct sc_vault *v)
{
	v->refs_defer = 0;
	sc_store_refs_drop(v);
}

/* ---- queries ---- */

int sc_vault_key_refs(struct sc_vault *v, const char *name, uint32_t version,
                      struct sc_vault_key_refs *out)
{
	struct sc_store_refs *x;
	size_t i;
	int r, began, key = -1;

	memset(out, 0, sizeof(*out));
	if (v == NULL || v->k == NULL)
		return SC_ERR_LOCKED;
	/* a read transaction of its own unless the caller holds one */
	began = sqlite3_get_autocommit(v->db) != 0;
	if (began && (r = sc_store_exec_kept(v, "BEGIN;")) != SC_OK)
		return r;
	if ((r = load(v, &x)) == SC_OK && x != NULL) {
		for (i = 0; i < x->nnames; i++)
			if (strcmp(x->names[i], name) == 0)
				key = (int)i;
		for (i = 0; key >= 0 && i < x->n; i++) {
			const struct ref *e = &x->e[i];

			if (e->key != key || (version != 0 && e->kver != version))
				continue;
			/* one item per place, whatever the number of its versions */
			if (i > 0 && x->e[i - 1].kind == e->kind && x->e[i - 1].chain == e->chain &&
			    x->e[i - 1].ver == e->ver && x->e[i - 1].key == e->key && version == 0)
				continue;
			if (e->kind == SC_REF_RECORD)
				out->records++;
			else
				out->history++;
		}
	}
	if (began)
		(void)sc_store_exec_kept(v, "ROLLBACK;");
	return r;
}

int sc_store_refs_below(struct sc_vault *v, const char *name, uint32_t below,
                        struct sc_store_ref_place *out, size_t cap, size_t *n)
{
	struct sc_store_refs *x;
	size_t i;
	int r, key = -1;

	*n = 0;
	if ((r = load(v, &x)) != SC_OK || x == NULL)
		return r;
	for (i = 0; i < x->nnames; i++)
		if (strcmp(x->names[i], name) == 0)
			key = (int)i;
	for (i = 0; key >= 0 && i < x->n && *n < cap; i++) {
		const struct ref *e = &x->e[i];

		if (e->key != key || e->kver >= below)
			continue;
		if (*n > 0 && out[*n - 1].kind == e->kind && out[*n - 1].chain == e->chain &&
		    out[*n - 1].ver == e->ver)
			continue;
		out[*n].kind = e->kind;
		out[*n].chain = e->chain;
		out[*n].ver = e->ver;
		memcpy(out[*n].idx, e->idx, SC_MAC_LEN);
		(*n)++;
	}
	return SC_OK;
}
