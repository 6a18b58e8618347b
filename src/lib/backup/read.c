/* read.c - reading a backup: the header parsed, a password slot opened,
 * the key derived, and every chunk decrypted and authenticated up to the
 * final tag, with nothing after it, before any of it is used. */
#include "backup/backup_int.h"

int sc_backup_open(const char *path, struct sc_backup **out)
{
	struct sc_backup *b;
	uint64_t n;
	int fd, r;

	*out = NULL;
	sc_clear_error();
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return SC_ERR_NOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = errno == ENOENT ? SC_ERR_NOT_FOUND : sc_status_from_errno(errno);
		sc_set_error("cannot open '%s': %s", path, strerror(errno));
		free(b);
		return r;
	}
	r = sc_bk_read_file(fd, path, SC_BACKUP_MAX + BK_HEADER_MAX, &b->file, &b->file_len);
	close(fd);
	if (r != SC_OK)
		goto fail;
	if ((r = sc_bk_header_parse(b->file, b->file_len, &b->h, &b->hdr_len)) != SC_OK)
		goto fail;
	/* the length the header implies, exactly: a cut or an addition is
	 * refused before any work */
	n = sc_bk_nchunks(b->h.payload_len, b->h.chunk);
	if (b->file_len - b->hdr_len != b->h.payload_len + n * BK_ABYTES) {
		sc_set_error("the backup is %s (%zu bytes where %llu were expected)",
		             b->file_len - b->hdr_len < b->h.payload_len + n * BK_ABYTES
		                 ? "truncated"
		                 : "longer than its header says",
		             b->file_len,
		             (unsigned long long)(b->hdr_len + b->h.payload_len + n * BK_ABYTES));
		r = SC_ERR_CORRUPT;
		goto fail;
	}
	*out = b;
	return SC_OK;
fail:
	sc_backup_free(b);
	return r;
}

int sc_backup_needs_passphrase(const struct sc_backup *b)
{
	return (b->h.flags & BK_FLAG_PASSPHRASE) != 0;
}

/* The DEK from the first password slot the password opens. */
static int open_slot(struct sc_backup *b, const char *pw, size_t pw_len)
{
	const struct sc_keyslot_kind *kind = sc_keyslot_kind(SC_KEYSLOT_PASSWORD);
	size_t i, tried = 0;
	int r = SC_ERR_AUTH;

	if (kind == NULL)
		return SC_ERR_INTERNAL;
	for (i = 0; i < b->h.nslots; i++) {
		const struct sc_backup_slot *s = &b->h.slots[i];
		struct sc_keyslot_ctx c = {.vault_id = b->h.vault_id, .slot_id = s->id};

		if (s->kind != SC_KEYSLOT_PASSWORD)
			continue;
		tried++;
		r = kind->unwrap(&c, s->params, s->params_len, s->wrapped, s->wrapped_len, pw,
		                 pw_len, b->dek);
		if (r == SC_OK)
			return SC_OK;
		if (r != SC_ERR_AUTH && r != SC_ERR_CORRUPT)
			return r;
	}
	if (tried == 0) {
		sc_set_error("the backup has no password slot");
		return SC_ERR_CORRUPT;
	}
	sc_set_error("wrong password for this backup (the vault's password when it was made)");
	return SC_ERR_AUTH;
}

static int open_stream(struct sc_backup *b, const uint8_t key[SC_KEY_LEN])
{
	crypto_secretstream_xchacha20poly1305_state *st = sc_secmem_alloc(sizeof(*st));
	const uint8_t *c = b->file + b->hdr_len;
	uint64_t i, n = sc_bk_nchunks(b->h.payload_len, b->h.chunk);
	size_t off = 0;
	int r = SC_OK;

	if (st == NULL)
		return SC_ERR_NOMEM;
	if ((b->payload = malloc((size_t)b->h.payload_len)) == NULL) {
		sc_secmem_free(st);
		return SC_ERR_NOMEM;
	}
	if (crypto_secretstream_xchacha20poly1305_init_pull(st, b->h.ss, key) != 0) {
		r = SC_ERR_CORRUPT;
		goto out;
	}
	for (i = 0; i < n; i++) {
		size_t m =
		    b->h.payload_len - off < b->h.chunk ? b->h.payload_len - off : b->h.chunk;
		unsigned long long mlen;
		unsigned char tag;

		if (crypto_secretstream_xchacha20poly1305_pull(st, b->payload + off, &mlen, &tag, c,
		                                               m + BK_ABYTES, b->file,
		                                               b->hdr_len) != 0 ||
		    mlen != m) {
			if (i == 0 && sc_backup_needs_passphrase(b))
				sc_set_error("the backup does not open: wrong passphrase, or its "
				             "header or first chunk was changed");
			else
				sc_set_error("the backup was changed: its header or chunk %llu of "
				             "%llu does not authenticate",
				             (unsigned long long)i + 1, (unsigned long long)n);
			r = i == 0 && sc_backup_needs_passphrase(b) ? SC_ERR_AUTH : SC_ERR_CORRUPT;
			goto out;
		}
		if ((tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) != (i + 1 == n)) {
			sc_set_error("the backup's chunks were cut or reordered");
			r = SC_ERR_CORRUPT;
			goto out;
		}
		c += m + BK_ABYTES;
		off += m;
	}
out:
	sc_secmem_free(st);
	if (r != SC_OK) {
		free(b->payload);
		b->payload = NULL;
	}
	return r;
}

int sc_backup_unlock(struct sc_backup *b, const char *pw, size_t pw_len, const char *pass,
                     size_t pass_len)
{
	uint8_t *key = NULL;
	int r;

	sc_clear_error();
	if (b->payload != NULL)
		return SC_OK;
	if (b->dek == NULL && (b->dek = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	if ((key = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = open_slot(b, pw, pw_len)) != SC_OK ||
	    (r = sc_bk_key(b->dek, &b->h, pass, pass_len, key)) != SC_OK ||
	    (r = open_stream(b, key)) != SC_OK)
		goto out;
	r = sc_bk_payload_parse(b->payload, (size_t)b->h.payload_len, &b->files);
out:
	sc_secmem_free(key);
	return r;
}

void sc_backup_free(struct sc_backup *b)
{
	if (b == NULL)
		return;
	sc_secmem_free(b->dek);
	free(b->file);
	free(b->payload);
	sc_bk_header_release(&b->h);
	sc_vault_snapshot_release(&b->files);
	free(b);
}
