/* bench_keys.c - keyring operations in process, on 1 KiB plaintexts: the
 * latency of one call (median of many) and the rate of a batch of 10,000,
 * for encrypt and decrypt (aes256-gcm and chacha20-poly1305), rewrap,
 * datakey and hmac. The agent's socket round trip is not included.
 *
 *   bench_keys [batch, default 10000]
 *
 * One line each: "name value unit". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secretctl/keys.h"

#define PT_LEN 1024
#define SINGLE 2001

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_keys: %s: %s %s\n", what, sc_strerror(r), sc_last_error());
	exit(1);
}

enum op { ENC, DEC, REWRAP, DATAKEY, HMAC };

/* One call of op; ct is the input for decrypt/rewrap. */
static void one(struct sc_keyring *kr, const char *name, enum op op, const struct sc_keys_opts *o,
                const uint8_t *pt, const char *ct)
{
	char *out = NULL;
	uint8_t *p = NULL;
	size_t n = 0;
	int r;

	switch (op) {
	case ENC:
		r = sc_keyring_encrypt(kr, name, o, pt, PT_LEN, &out, NULL);
		break;
	case DEC:
		r = sc_keyring_decrypt(kr, name, o, ct, strlen(ct), &p, &n, NULL);
		break;
	case REWRAP:
		r = sc_keyring_rewrap(kr, name, o, ct, strlen(ct), &out, NULL);
		break;
	case DATAKEY:
		r = sc_keyring_datakey(kr, name, o, &out, &p, NULL);
		break;
	default:
		r = sc_keyring_hmac(kr, name, o, pt, PT_LEN, &out, NULL);
		break;
	}
	if (r != SC_OK)
		die(name, r);
	free(out);
	sc_secmem_free(p);
}

static void measure(struct sc_keyring *kr, const char *label, const char *name, enum op op,
                    const struct sc_keys_opts *o, const uint8_t *pt, const char *ct, int batch)
{
	static double lat[SINGLE];
	double t0;
	int i;

	for (i = 0; i < SINGLE; i++) {
		t0 = now_us();
		one(kr, name, op, o, pt, ct);
		lat[i] = now_us() - t0;
	}
	qsort(lat, SINGLE, sizeof(lat[0]), cmp_double);
	printf("%s_single_median %.2f us\n", label, lat[SINGLE / 2]);
	t0 = now_us();
	for (i = 0; i < batch; i++)
		one(kr, name, op, o, pt, ct);
	printf("%s_batch%d %.0f ops/s\n", label, batch, batch / ((now_us() - t0) / 1e6));
}

int main(int argc, char **argv)
{
	static uint8_t pt[PT_LEN];
	struct sc_keyring *kr = NULL;
	struct sc_keys_ctx *c = NULL;
	struct sc_keys_opts o = {1700000000, NULL, 0, 0};
	char *ct_a = NULL, *ct_c = NULL;
	int batch = argc > 1 ? atoi(argv[1]) : 10000, r;

	if (batch <= 0)
		batch = 10000;
	if ((r = sc_init()) != SC_OK)
		die("init", r);
	memset(pt, 'x', sizeof(pt));
	if ((r = sc_keyring_new(&kr)) != SC_OK ||
	    (r = sc_keyring_create(kr, "aes", SC_KEY_AES256_GCM, NULL, o.now)) != SC_OK ||
	    (r = sc_keyring_create(kr, "chacha", SC_KEY_CHACHA20_POLY1305, NULL, o.now)) != SC_OK ||
	    (r = sc_keyring_create(kr, "mac", SC_KEY_HMAC_SHA256, NULL, o.now)) != SC_OK)
		die("create", r);
	/* a context of two pairs, as a caller would give */
	if ((r = sc_keys_ctx_new(&c)) != SC_OK ||
	    (r = sc_keys_ctx_add_kv(c, "tenant=acme")) != SC_OK ||
	    (r = sc_keys_ctx_add_kv(c, "app=db")) != SC_OK)
		die("context", r);
	o.ctx = c;
	if ((r = sc_keyring_encrypt(kr, "aes", &o, pt, PT_LEN, &ct_a, NULL)) != SC_OK ||
	    (r = sc_keyring_encrypt(kr, "chacha", &o, pt, PT_LEN, &ct_c, NULL)) != SC_OK)
		die("encrypt", r);
	measure(kr, "aes256gcm_encrypt_1k", "aes", ENC, &o, pt, NULL, batch);
	measure(kr, "aes256gcm_decrypt_1k", "aes", DEC, &o, NULL, ct_a, batch);
	measure(kr, "chacha20poly1305_encrypt_1k", "chacha", ENC, &o, pt, NULL, batch);
	measure(kr, "chacha20poly1305_decrypt_1k", "chacha", DEC, &o, NULL, ct_c, batch);
	measure(kr, "aes256gcm_rewrap_1k", "aes", REWRAP, &o, NULL, ct_a, batch);
	measure(kr, "aes256gcm_datakey", "aes", DATAKEY, &o, NULL, NULL, batch);
	o.ctx = NULL;
	measure(kr, "hmac_sha256_1k", "mac", HMAC, &o, pt, NULL, batch);
	free(ct_a);
	free(ct_c);
	sc_keys_ctx_free(c);
	sc_keyring_free(kr);
	return 0;
}
