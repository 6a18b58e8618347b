/* backup_int.h - the backup file's format, shared by its parts (backup/):
 * the header (format.c), the writer (write.c), the reader (read.c) and the
 * restore (restore.c). The layout is in docs/BACKUP.md. */
#ifndef SC_BACKUP_BACKUP_INT_H
#define SC_BACKUP_BACKUP_INT_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/backup.h"

#define BK_MAGIC "SCBACKUP"
#define BK_VERSION 1
#define BK_FLAG_PASSPHRASE 1u
#define BK_CHUNK (64 * 1024)
#define BK_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define BK_SSHDR crypto_secretstream_xchacha20poly1305_HEADERBYTES
/* magic, version, flags, vault id, created, payload length, chunk size,
 * Argon2id memory, passes and salt, number of slots */
#define BK_FIXED_LEN (8 + 4 + 4 + SC_VAULT_ID_LEN + 8 + 8 + 4 + 4 + 4 + SC_SALT_LEN + 4)
#define BK_SLOT_LEN_MAX (8 + 4 + 4 + SC_KEYSLOT_PARAMS_MAX + 4 + SC_KEYSLOT_WRAPPED_MAX)
#define BK_HEADER_MAX (BK_FIXED_LEN + SC_BACKUP_SLOTS_MAX * BK_SLOT_LEN_MAX + BK_SSHDR)
/* The passphrase's Argon2id: what a reader accepts (a hostile header must
 * not make it allocate or spin without bound). */
#define BK_KDF_MEM_MIN (8 * 1024)
#define BK_KDF_MEM_MAX (1024 * 1024)
#define BK_KDF_T_MAX 16

/* Payload entries: 'F', name length (1 byte), name, size (8), bytes; 'E'. */
#define BK_ENTRY_FILE 'F'
#define BK_ENTRY_END 'E'
#define BK_NAME_DB "vault.db"

struct bk_header {
	uint32_t flags;
	uint8_t vault_id[SC_VAULT_ID_LEN];
	int64_t created_ms;
	uint64_t payload_len;
	uint32_t chunk;
	uint32_t kdf_mem, kdf_t;
	uint8_t salt[SC_SALT_LEN];
	size_t nslots;
	struct sc_backup_slot *slots; /* malloc'd */
	uint8_t ss[BK_SSHDR];
};

struct sc_backup {
	uint8_t *file; /* the whole file */
	size_t file_len;
	struct bk_header h;
	size_t hdr_len;                 /* the header's bytes: the AAD of every chunk */
	uint8_t *dek;                   /* secmem, after unlock */
	uint8_t *payload;               /* after unlock */
	struct sc_vault_snapshot files; /* after unlock: the files, parsed */
};

/* format.c */
int sc_bk_header_format(const struct bk_header *h, const struct sc_backup_slot *slots, uint8_t *out,
                        size_t cap, size_t *len);
int sc_bk_header_parse(const uint8_t *p, size_t n, struct bk_header *h, size_t *len);
void sc_bk_header_release(struct bk_header *h);
/* The stream key: HKDF of the DEK over the vault id, and with a passphrase
 * BLAKE2b keyed with that over the passphrase's Argon2id output. */
int sc_bk_key(const uint8_t dek[SC_KEY_LEN], const struct bk_header *h, const char *pass,
              size_t pass_len, uint8_t key[SC_KEY_LEN]);
/* Number of chunks of a payload; the file length it implies. */
uint64_t sc_bk_nchunks(uint64_t payload_len, uint32_t chunk);
/* Read a whole regular file (at most max bytes). */
int sc_bk_read_file(int fd, const char *what, size_t max, uint8_t **buf, size_t *len);
/* The payload of a snapshot, and back. */
int sc_bk_payload_build(const struct sc_vault_snapshot *s, uint8_t **out, size_t *len);
int sc_bk_payload_parse(const uint8_t *p, size_t n, struct sc_vault_snapshot *s);

#endif
