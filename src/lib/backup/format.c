/* format.c - the backup file's header, its key, and the payload that lists
 * the vault's files (docs/BACKUP.md has the layout). */
#include "backup/backup_int.h"

static const char *const file_names[] = {BK_NAME_DB, SC_AUDIT_FILE, SC_AUDIT_PENDING_FILE,
                                         SC_POLICY_FILE};

int sc_bk_header_format(const struct bk_header *h, const struct sc_backup_slot *slots, uint8_t *out,
                        size_t cap, size_t *len)
{
	struct sc_buf b;
	size_t i;

	sc_buf_init_fixed(&b, out, cap);
	sc_buf_put(&b, BK_MAGIC, 8);
	sc_buf_put_u32(&b, BK_VERSION);
	sc_buf_put_u32(&b, h->flags);
	sc_buf_put(&b, h->vault_id, SC_VAULT_ID_LEN);
	sc_buf_put_u64(&b, (uint64_t)h->created_ms);
	sc_buf_put_u64(&b, h->payload_len);
	sc_buf_put_u32(&b, h->chunk);
	sc_buf_put_u32(&b, h->kdf_mem);
	sc_buf_put_u32(&b, h->kdf_t);
	sc_buf_put(&b, h->salt, SC_SALT_LEN);
	sc_buf_put_u32(&b, (uint32_t)h->nslots);
	for (i = 0; i < h->nslots; i++) {
		sc_buf_put_u64(&b, (uint64_t)slots[i].id);
		sc_buf_put_u32(&b, (uint32_t)slots[i].kind);
		sc_buf_put_u32(&b, (uint32_t)slots[i].params_len);
		sc_buf_put(&b, slots[i].params, slots[i].params_len);
		sc_buf_put_u32(&b, (uint32_t)slots[i].wrapped_len);
		sc_buf_put(&b, slots[i].wrapped, slots[i].wrapped_len);
	}
	sc_buf_put(&b, h->ss, BK_SSHDR);
	*len = b.len;
	return sc_buf_status(&b);
}

static int bad(const char *why)
{
	sc_set_error("not a secretctl backup, or damaged: %s", why);
	return SC_ERR_CORRUPT;
}

int sc_bk_header_parse(const uint8_t *p, size_t n, struct bk_header *h, size_t *len)
{
	struct sc_buf b;
	const uint8_t *magic;
	uint32_t ver, ns, u;
	uint64_t created;
	size_t i;

	memset(h, 0, sizeof(*h));
	sc_buf_init_reader(&b, p, n);
	if (sc_buf_get_ptr(&b, 8, &magic) != SC_OK || memcmp(magic, BK_MAGIC, 8) != 0)
		return bad("no backup header");
	if (sc_buf_get_u32(&b, &ver) != SC_OK)
		return bad("header cut short");
	if (ver != BK_VERSION) {
		sc_set_error("backup format %u is not supported by this secretctl", (unsigned)ver);
		return SC_ERR_VERSION;
	}
	if (sc_buf_get_u32(&b, &h->flags) != SC_OK ||
	    sc_buf_get(&b, h->vault_id, SC_VAULT_ID_LEN) != SC_OK ||
	    sc_buf_get_u64(&b, &created) != SC_OK || sc_buf_get_u64(&b, &h->payload_len) != SC_OK ||
	    sc_buf_get_u32(&b, &h->chunk) != SC_OK || sc_buf_get_u32(&b, &h->kdf_mem) != SC_OK ||
	    sc_buf_get_u32(&b, &h->kdf_t) != SC_OK ||
	    sc_buf_get(&b, h->salt, SC_SALT_LEN) != SC_OK || sc_buf_get_u32(&b, &ns) != SC_OK)
		return bad("header cut short");
	h->created_ms = (int64_t)created;
	if ((h->flags & ~BK_FLAG_PASSPHRASE) != 0)
		return bad("unknown flags");
	if (h->chunk != BK_CHUNK)
		return bad("unexpected chunk size");
	if (h->payload_len == 0 || h->payload_len > SC_BACKUP_MAX)
		return bad("payload length out of range");
	if ((h->flags & BK_FLAG_PASSPHRASE) != 0 &&
	    (h->kdf_mem < BK_KDF_MEM_MIN || h->kdf_mem > BK_KDF_MEM_MAX || h->kdf_t < 1 ||
	     h->kdf_t > BK_KDF_T_MAX))
		return bad("passphrase parameters out of range");
	if (ns == 0 || ns > SC_BACKUP_SLOTS_MAX)
		return bad("number of key slots out of range");
	if ((h->slots = calloc(ns, sizeof(*h->slots))) == NULL)
		return SC_ERR_NOMEM;
	h->nslots = ns;
	for (i = 0; i < ns; i++) {
		struct sc_backup_slot *s = &h->slots[i];
		uint64_t id;

		if (sc_buf_get_u64(&b, &id) != SC_OK || sc_buf_get_u32(&b, &u) != SC_OK)
			goto cut;
		s->id = (int64_t)id;
		s->kind = (int)u;
		if (sc_buf_get_u32(&b, &u) != SC_OK || u > SC_KEYSLOT_PARAMS_MAX ||
		    sc_buf_get(&b, s->params, u) != SC_OK)
			goto cut;
		s->params_len = u;
		if (sc_buf_get_u32(&b, &u) != SC_OK || u > SC_KEYSLOT_WRAPPED_MAX ||
		    sc_buf_get(&b, s->wrapped, u) != SC_OK)
			goto cut;
		s->wrapped_len = u;
	}
	if (sc_buf_get(&b, h->ss, BK_SSHDR) != SC_OK)
		goto cut;
	*len = b.off;
	return SC_OK;
cut:
	sc_bk_header_release(h);
	return bad("key slots damaged or cut short");
}

void sc_bk_header_release(struct bk_header *h)
{
	free(h->slots);
	h->slots = NULL;
	h->nslots = 0;
}

int sc_bk_key(const uint8_t dek[SC_KEY_LEN], const struct bk_header *h, const char *pass,
              size_t pass_len, uint8_t key[SC_KEY_LEN])
{
	static const char info[] = "secretctl/v1/backup";
	static const char dom[] = "secretctl/v1/backup-passphrase";
	uint8_t *kv = sc_secmem_alloc(2 * SC_KEY_LEN);
	crypto_generichash_state st;
	int r;

	if (kv == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_hkdf(dek, SC_KEY_LEN, h->vault_id, SC_VAULT_ID_LEN, (const uint8_t *)info,
	                 sizeof(info) - 1, kv, SC_KEY_LEN)) != SC_OK)
		goto out;
	if ((h->flags & BK_FLAG_PASSPHRASE) == 0) {
		memcpy(key, kv, SC_KEY_LEN);
		goto out;
	}
	if (pass == NULL) {
		sc_set_error("this backup is also sealed with a passphrase; give it with "
		             "--passphrase or --passphrase-fd");
		r = SC_ERR_AUTH;
		goto out;
	}
	if ((r = sc_argon2id(pass, pass_len, h->salt, h->kdf_mem, h->kdf_t, kv + SC_KEY_LEN,
	                     SC_KEY_LEN)) != SC_OK)
		goto out;
	if (crypto_generichash_init(&st, kv, SC_KEY_LEN, SC_KEY_LEN) != 0 ||
	    crypto_generichash_update(&st, (const uint8_t *)dom, sizeof(dom) - 1) != 0 ||
	    crypto_generichash_update(&st, kv + SC_KEY_LEN, SC_KEY_LEN) != 0 ||
	    crypto_generichash_final(&st, key, SC_KEY_LEN) != 0)
		r = SC_ERR_CRYPTO;
	sodium_memzero(&st, sizeof(st));
out:
	sc_secmem_free(kv);
	return r;
}

uint64_t sc_bk_nchunks(uint64_t payload_len, uint32_t chunk)
{
	return payload_len == 0 ? 1 : (payload_len + chunk - 1) / chunk;
}

int sc_bk_read_file(int fd, const char *what, size_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *b;
	int r;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) != 0) {
		sc_set_error("'%s': %s", what, strerror(errno));
		return SC_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		sc_set_error("'%s' is not a regular file", what);
		return SC_ERR_INVALID;
	}
	if ((uint64_t)st.st_size > max) {
		sc_set_error("'%s' is larger than %zu bytes", what, max);
		return SC_ERR_TOOBIG;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL)
		return SC_ERR_NOMEM;
	if (st.st_size > 0 && (r = sc_fd_read_all(fd, b, (size_t)st.st_size)) != SC_OK) {
		sc_set_error("cannot read '%s': %s", what,
		             r == SC_ERR_IO ? strerror(errno) : "it changed while being read");
		free(b);
		return SC_ERR_IO;
	}
	*buf = b;
	*len = (size_t)st.st_size;
	return SC_OK;
}

int sc_bk_payload_build(const struct sc_vault_snapshot *s, uint8_t **out, size_t *len)
{
	const uint8_t *data[4] = {s->db, s->log, s->pending, s->policy};
	const size_t lens[4] = {s->db_len, s->log_len, s->pending_len, s->policy_len};
	size_t i, total = 1;
	uint8_t *p, *q;

	*out = NULL;
	for (i = 0; i < 4; i++)
		if (data[i] != NULL)
			total += 2 + strlen(file_names[i]) + 8 + lens[i];
	if (total > SC_BACKUP_MAX) {
		sc_set_error("the vault is larger than a backup can hold");
		return SC_ERR_TOOBIG;
	}
	if ((p = q = malloc(total)) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < 4; i++) {
		size_t nl = strlen(file_names[i]);

		if (data[i] == NULL)
			continue;
		*q++ = BK_ENTRY_FILE;
		*q++ = (uint8_t)nl;
		memcpy(q, file_names[i], nl);
		q += nl;
		sc_be64_put(q, lens[i]);
		q += 8;
		if (lens[i] > 0)
			memcpy(q, data[i], lens[i]);
		q += lens[i];
	}
	*q++ = BK_ENTRY_END;
	*out = p;
	*len = (size_t)(q - p);
	return SC_OK;
}

int sc_bk_payload_parse(const uint8_t *p, size_t n, struct sc_vault_snapshot *s)
{
	uint8_t **bufs[4] = {&s->db, &s->log, &s->pending, &s->policy};
	size_t *lens[4] = {&s->db_len, &s->log_len, &s->pending_len, &s->policy_len};
	struct sc_buf b;
	uint8_t type, nl;
	const uint8_t *name, *data;
	uint64_t sz;
	size_t i;

	memset(s, 0, sizeof(*s));
	sc_buf_init_reader(&b, p, n);
	for (;;) {
		if (sc_buf_get_u8(&b, &type) != SC_OK)
			goto bad;
		if (type == BK_ENTRY_END)
			break;
		if (type != BK_ENTRY_FILE || sc_buf_get_u8(&b, &nl) != SC_OK ||
		    sc_buf_get_ptr(&b, nl, &name) != SC_OK || sc_buf_get_u64(&b, &sz) != SC_OK ||
		    sz > sc_buf_left(&b) || sc_buf_get_ptr(&b, (size_t)sz, &data) != SC_OK)
			goto bad;
		for (i = 0; i < 4; i++)
			if (strlen(file_names[i]) == nl && memcmp(file_names[i], name, nl) == 0)
				break;
		if (i == 4 || *bufs[i] != NULL)
			goto bad; /* a name we never write, or twice */
		if ((*bufs[i] = malloc(sz > 0 ? (size_t)sz : 1)) == NULL) {
			sc_vault_snapshot_release(s);
			return SC_ERR_NOMEM;
		}
		memcpy(*bufs[i], data, (size_t)sz);
		*lens[i] = (size_t)sz;
	}
	if (sc_buf_left(&b) != 0 || s->db == NULL || s->db_len < 100)
		goto bad;
	return SC_OK;
bad:
	sc_vault_snapshot_release(s);
	sc_set_error("the backup's contents are malformed");
	return SC_ERR_CORRUPT;
}
