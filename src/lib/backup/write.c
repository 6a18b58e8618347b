/* write.c - writing a backup: the snapshot, its payload, and the stream of
 * sealed chunks (XChaCha20-Poly1305 secretstream, the header as every
 * chunk's AAD, the last chunk tagged final). */
#include <time.h>

#include "backup/backup_int.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_out(int fd, const void *p, size_t n)
{
	if (sc_fd_write_all(fd, p, n) != SC_OK) {
		int e = errno;

		sc_set_error("cannot write the backup: %s", strerror(e));
		return sc_status_from_errno(e);
	}
	return SC_OK;
}

/* Seal payload into fd: one chunk at a time, hdr as the AAD of each. */
static int seal_stream(int fd, const uint8_t *hdr, size_t hdr_len,
                       crypto_secretstream_xchacha20poly1305_state *st, const uint8_t *payload,
                       size_t len)
{
	uint64_t i, n = sc_bk_nchunks(len, BK_CHUNK);
	uint8_t *c = malloc(BK_CHUNK + BK_ABYTES);
	int r = SC_OK;

	if (c == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < n && r == SC_OK; i++) {
		size_t off = (size_t)i * BK_CHUNK, m = len - off < BK_CHUNK ? len - off : BK_CHUNK;
		unsigned char tag = i + 1 == n ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
		                               : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
		unsigned long long clen;

		if (crypto_secretstream_xchacha20poly1305_push(st, c, &clen, payload + off, m, hdr,
		                                               hdr_len, tag) != 0) {
			r = SC_ERR_CRYPTO;
			break;
		}
		r = write_out(fd, c, (size_t)clen);
	}
	free(c);
	return r;
}

int sc_backup_write(struct sc_vault *v, int fd, const char *pass, size_t pass_len,
                    const struct sc_kdf_params *kp, struct sc_backup_info *info)
{
	struct sc_kdf_params kdf = {SC_ARGON2_MEM_KIB_DEFAULT, SC_ARGON2_T_DEFAULT};
	crypto_secretstream_xchacha20poly1305_state *st = NULL;
	struct sc_vault_snapshot s = {0};
	struct bk_header h = {0};
	uint8_t *dek = NULL, *key = NULL, *payload = NULL, *hdr = NULL;
	size_t plen = 0, hlen;
	int r;

	if (kp != NULL)
		kdf = *kp;
	if (pass != NULL && (kdf.mem_kib < BK_KDF_MEM_MIN || kdf.mem_kib > BK_KDF_MEM_MAX ||
	                     kdf.t < 1 || kdf.t > BK_KDF_T_MAX)) {
		sc_set_error("the passphrase's Argon2id parameters are out of range (memory 8 MiB "
		             "to 1 GiB, 1 to %d passes)",
		             BK_KDF_T_MAX);
		return SC_ERR_INVALID;
	}
	if (!sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	dek = sc_secmem_alloc(SC_KEY_LEN);
	key = sc_secmem_alloc(SC_KEY_LEN);
	st = sc_secmem_alloc(sizeof(*st));
	hdr = malloc(BK_HEADER_MAX);
	if (dek == NULL || key == NULL || st == NULL || hdr == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = sc_vault_snapshot_take(v, &s)) != SC_OK ||
	    (r = sc_bk_payload_build(&s, &payload, &plen)) != SC_OK ||
	    (r = sc_vault_export_dek(v, dek)) != SC_OK)
		goto out;
	memcpy(h.vault_id, sc_vault_id(v), SC_VAULT_ID_LEN);
	h.created_ms = now_ms();
	h.payload_len = plen;
	h.chunk = BK_CHUNK;
	h.nslots = s.nslots;
	if (pass != NULL) {
		h.flags |= BK_FLAG_PASSPHRASE;
		h.kdf_mem = kdf.mem_kib;
		h.kdf_t = kdf.t;
		sc_random(h.salt, SC_SALT_LEN);
	}
	if ((r = sc_bk_key(dek, &h, pass, pass_len, key)) != SC_OK)
		goto out;
	if (crypto_secretstream_xchacha20poly1305_init_push(st, h.ss, key) != 0) {
		r = SC_ERR_CRYPTO;
		goto out;
	}
	if ((r = sc_bk_header_format(&h, s.slots, hdr, BK_HEADER_MAX, &hlen)) != SC_OK ||
	    (r = write_out(fd, hdr, hlen)) != SC_OK ||
	    (r = seal_stream(fd, hdr, hlen, st, payload, plen)) != SC_OK)
		goto out;
	if (fsync(fd) != 0) {
		sc_set_error("cannot sync the backup: %s", strerror(errno));
		r = sc_status_from_errno(errno);
		goto out;
	}
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		info->created_ms = h.created_ms;
		info->passphrase = pass != NULL;
		info->bytes = plen;
		info->nslots = s.nslots;
	}
out:
	sc_secmem_free(dek);
	sc_secmem_free(key);
	sc_secmem_free(st);
	free(hdr);
	free(payload);
	sc_vault_snapshot_release(&s);
	return r;
}
