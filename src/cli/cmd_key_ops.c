/* cmd_key_ops.c - the keyring's operations on data: `key encrypt`,
 * `decrypt`, `rewrap`, `datakey`, `hmac` and `export`. Each reads its input
 * into secmem, runs one library call, records the outcome in the audit log
 * (with the keyring saved when the call changed it) and only then prints. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/key_cli.h"

#define CTX_OPT                                                                                    \
	{                                                                                          \
		'c', 0, "context", "K=V", "an encryption context pair (repeatable)", 0             \
	}
#define IN_OPT                                                                                     \
	{                                                                                          \
		'i', 0, "in", "FILE", "read FILE ('-' or none: standard input)", 0                 \
	}
#define OUT_OPT                                                                                    \
	{                                                                                          \
		'o', 0, "out", "FILE", "write to FILE (0600) instead of standard output", 0        \
	}
#define OPT_END                                                                                    \
	{                                                                                          \
		0, 0, NULL, NULL, NULL, 0                                                          \
	}

const struct cli_opt cli_opts_key_encrypt[] = {CTX_OPT, IN_OPT, OUT_OPT, OPT_END};
const struct cli_opt cli_opts_key_decrypt[] = {
    CTX_OPT,
    IN_OPT,
    OUT_OPT,
    {'C', 0, "allow-compromised", NULL, "use a version marked compromised (said loudly)", 0},
    OPT_END};
const struct cli_opt cli_opts_key_datakey[] = {
    CTX_OPT, {'w', 0, "wrapped-only", NULL, "print only the wrapped key", 0}, OPT_END};
const struct cli_opt cli_opts_key_hmac[] = {
    IN_OPT,
    {'m', 0, "verify", "MAC", "check MAC (an sc:v1 text) instead of making one", 0},
    {'C', 0, "allow-compromised", NULL, "verify with a version marked compromised", 0},
    OPT_END};

/* What the operations' command lines hold. */
struct key_args {
	const char *name, *in, *out, *mac;
	struct sc_keys_ctx *ctx;
	int allow_compromised, wrapped_only;
};

static void args_release(struct key_args *a)
{
	sc_keys_ctx_free(a->ctx);
	memset(a, 0, sizeof(*a));
}

/* Parse options and min..1 NAME operand. CLI_PARSE_END or CLI_PARSE_EXIT
 * with *status. */
static int parse_args(struct cli *c, int argc, char **argv, int min_ops, struct key_args *a,
                      int *status)
{
	struct cli_parse p;
	int ch, r;

	memset(a, 0, sizeof(*a));
	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 'c':
			if ((r = key_ctx_add(&a->ctx, p.val)) != SC_OK) {
				char msg[512];

				snprintf(msg, sizeof(msg), "%s", sc_last_error());
				sc_clear_error();
				*status = cli_usage(c, "bad --context '%s': %s", p.val, msg);
				args_release(a);
				return CLI_PARSE_EXIT;
			}
			break;
		case 'i':
			a->in = p.val;
			break;
		case 'o':
			a->out = p.val;
			break;
		case 'm':
			a->mac = p.val;
			break;
		case 'C':
			a->allow_compromised = 1;
			break;
		case 'w':
			a->wrapped_only = 1;
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT) {
		*status = p.status;
		args_release(a);
		return CLI_PARSE_EXIT;
	}
	if (p.nops > 1 || p.nops < min_ops) {
		*status = cli_usage(c, "%s", p.nops ? "one key name" : "a key name is needed");
		args_release(a);
		return CLI_PARSE_EXIT;
	}
	if (p.nops == 1) {
		a->name = p.ops[0];
		if (key_check_name(c, a->name, status) != CLI_PARSE_END) {
			args_release(a);
			return CLI_PARSE_EXIT;
		}
	}
	return CLI_PARSE_END;
}

/* buf to --out or standard output; nl adds a newline (text forms). */
static int emit(const char *out, const void *buf, size_t len, int nl)
{
	if (out != NULL)
		return key_write_file(out, buf, len); /* a file gets the bytes alone */
	if (fwrite(buf, 1, len, stdout) != len || (nl && putchar('\n') == EOF) ||
	    fflush(stdout) != 0)
		return SC_ERR_IO;
	return SC_OK;
}

static int input_fail(int st, const char *in)
{
	return cli_fail(st, "cannot read '%s'", in != NULL ? in : "-");
}

int cli_key_encrypt(struct cli *c, int argc, char **argv)
{
	struct sc_keys_info info = {0, 0, 0};
	struct key_session ks;
	struct key_args a;
	uint8_t *pt = NULL;
	size_t len;
	char *ct = NULL;
	int r, st;

	if (parse_args(c, argc, argv, 1, &a, &r) != CLI_PARSE_END)
		return r;
	if ((st = key_read_input(a.in, SC_KEYS_PLAINTEXT_MAX, 0, &pt, &len)) != SC_OK) {
		r = input_fail(st, a.in);
		goto out;
	}
	if ((r = key_open(c, &ks)) != EXIT_OK)
		goto out;
	{
		struct sc_keys_opts o = {key_now(), a.ctx, 0, 0};

		if ((st = key_token(c, &ks, a.name)) == SC_OK)
			st = sc_keyring_encrypt(ks.kr, a.name, &o, pt, len, &ct, &info);
	}
	st = key_commit(c, &ks, "key.encrypt", a.name, st);
	if (st == SC_OK)
		key_note(c, &ks, a.name, &info);
	key_close(&ks);
	if (st != SC_OK) {
		r = key_fail(st, "encrypt with key", a.name);
		goto out;
	}
	st = emit(a.out, ct, strlen(ct), 1);
	r = st == SC_OK ? EXIT_OK : cli_fail(st, "cannot write the ciphertext");
out:
	free(ct);
	sc_secmem_free(pt);
	args_release(&a);
	return r;
}

/* decrypt and rewrap: the ciphertext text in, the key it names checked. */
static int decrypt_or_rewrap(struct cli *c, int argc, char **argv, int rewrap)
{
	struct sc_keys_info info = {0, 0, 0};
	struct sc_keys_ct parsed = {{0}, 0, NULL, 0};
	struct key_session ks;
	struct key_args a;
	uint8_t *text = NULL, *pt = NULL;
	size_t len, pt_len = 0;
	char *ct = NULL;
	const char *name;
	int r, st;

	if (parse_args(c, argc, argv, rewrap, &a, &r) != CLI_PARSE_END)
		return r;
	if ((st = key_read_input(a.in, KEY_IN_MAX, 1, &text, &len)) != SC_OK) {
		r = input_fail(st, a.in);
		goto out;
	}
	/* the key's name comes from the text (for the audit entry); a NAME
	 * operand must be the same */
	if ((st = sc_keys_ct_parse((const char *)text, len, &parsed)) != SC_OK) {
		r = cli_fail(SC_ERR_INVALID, "cannot %s", rewrap ? "rewrap" : "decrypt");
		goto out;
	}
	name = a.name != NULL ? a.name : parsed.name;
	if ((r = key_open(c, &ks)) != EXIT_OK)
		goto out;
	{
		struct sc_keys_opts o = {key_now(), a.ctx, 0, a.allow_compromised};

		st = key_token(c, &ks, name);
		if (st == SC_OK && rewrap)
			st =
			    sc_keyring_rewrap(ks.kr, name, &o, (const char *)text, len, &ct, &info);
		else if (st == SC_OK)
			st = sc_keyring_decrypt(ks.kr, name, &o, (const char *)text, len, &pt,
			                        &pt_len, &info);
	}
	st = key_commit(c, &ks, rewrap ? "key.rewrap" : "key.decrypt", name, st);
	if (st == SC_OK)
		key_note(c, &ks, name, &info);
	key_close(&ks);
	if (st == SC_ERR_CORRUPT && *sc_last_error() == '\0')
		sc_set_error("tampered with, or made under another key, version or context");
	if (st != SC_OK) {
		r = key_fail(st, rewrap ? "rewrap with key" : "decrypt with key", name);
		goto out;
	}
	st = rewrap ? emit(a.out, ct, strlen(ct), 1) : emit(a.out, pt, pt_len, 0);
	r = st == SC_OK ? EXIT_OK : cli_fail(st, "cannot write the output");
out:
	sc_keys_ct_release(&parsed);
	free(ct);
	sc_secmem_free(pt);
	sc_secmem_free(text);
	args_release(&a);
	return r;
}

int cli_key_decrypt(struct cli *c, int argc, char **argv)
{
	return decrypt_or_rewrap(c, argc, argv, 0);
}

int cli_key_rewrap(struct cli *c, int argc, char **argv)
{
	return decrypt_or_rewrap(c, argc, argv, 1);
}

/* Base64 (standard, padded) of len bytes into secmem. */
static char *b64_secmem(const uint8_t *buf, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *s = sc_secmem_alloc(n);

	if (s != NULL)
		sodium_bin2base64(s, n, buf, len, sodium_base64_VARIANT_ORIGINAL);
	return s;
}

int cli_key_datakey(struct cli *c, int argc, char **argv)
{
	struct sc_keys_info info = {0, 0, 0};
	struct key_session ks;
	struct key_args a;
	uint8_t *plain = NULL;
	char *wrapped = NULL, *b64 = NULL;
	int r, st;

	if (parse_args(c, argc, argv, 1, &a, &r) != CLI_PARSE_END)
		return r;
	if ((r = key_open(c, &ks)) != EXIT_OK)
		goto out;
	{
		struct sc_keys_opts o = {key_now(), a.ctx, 0, 0};

		if ((st = key_token(c, &ks, a.name)) == SC_OK)
			st = sc_keyring_datakey(ks.kr, a.name, &o, &wrapped,
			                        a.wrapped_only ? NULL : &plain, &info);
	}
	st = key_commit(c, &ks, "key.datakey", a.name, st);
	if (st == SC_OK)
		key_note(c, &ks, a.name, &info);
	key_close(&ks);
	if (st != SC_OK) {
		r = key_fail(st, "make a data key with key", a.name);
		goto out;
	}
	if (plain != NULL && (b64 = b64_secmem(plain, SC_KEYS_DATAKEY_LEN)) == NULL) {
		r = cli_fail(SC_ERR_NOMEM, "cannot encode the data key");
		goto out;
	}
	if (c->json) {
		json_t *o =
		    json_pack("{s:s,s:i}", "wrapped", wrapped, "version", (json_int_t)info.version);

		if (b64 != NULL)
			json_object_set_new(o, "plaintext_base64", json_string(b64));
		r = key_print_json(o) == SC_OK ? EXIT_OK : EXIT_FAIL;
		goto out;
	}
	printf("%s\n", wrapped);
	if (b64 != NULL)
		printf("%s\n", b64);
	r = fflush(stdout) == 0 ? EXIT_OK : cli_fail(SC_ERR_IO, "cannot write the data key");
out:
	sc_secmem_free(b64);
	sc_secmem_free(plain);
	free(wrapped);
	args_release(&a);
	return r;
}

int cli_key_hmac(struct cli *c, int argc, char **argv)
{
	struct sc_keys_info info = {0, 0, 0};
	struct key_session ks;
	struct key_args a;
	uint8_t *msg = NULL;
	size_t len;
	char *mac = NULL;
	int r, st;

	if (parse_args(c, argc, argv, 1, &a, &r) != CLI_PARSE_END)
		return r;
	if ((st = key_read_input(a.in, SC_KEYS_PLAINTEXT_MAX, 0, &msg, &len)) != SC_OK) {
		r = input_fail(st, a.in);
		goto out;
	}
	if ((r = key_open(c, &ks)) != EXIT_OK)
		goto out;
	{
		struct sc_keys_opts o = {key_now(), NULL, 0, a.allow_compromised};

		st = key_token(c, &ks, a.name);
		if (st == SC_OK && a.mac != NULL)
			st = sc_keyring_hmac_verify(ks.kr, a.name, &o, msg, len, a.mac,
			                            strlen(a.mac), &info);
		else if (st == SC_OK)
			st = sc_keyring_hmac(ks.kr, a.name, &o, msg, len, &mac, &info);
	}
	st = key_commit(c, &ks, a.mac != NULL ? "key.hmac-verify" : "key.hmac", a.name, st);
	if (st == SC_OK)
		key_note(c, &ks, a.name, &info);
	key_close(&ks);
	if (a.mac != NULL && st == SC_ERR_CORRUPT) {
		sc_clear_error();
		r = cli_error(EXIT_FAIL, "the MAC does not match (key '%s')", a.name);
		goto out;
	}
	if (st != SC_OK) {
		r = key_fail(st, "hmac with key", a.name);
		goto out;
	}
	if (mac != NULL)
		st = emit(NULL, mac, strlen(mac), 1);
	else
		cli_say("the MAC matches (key '%s', version %u)", a.name, info.version);
	r = st == SC_OK ? EXIT_OK : cli_fail(st, "cannot write the MAC");
out:
	free(mac);
	sc_secmem_free(msg);
	args_release(&a);
	return r;
}

int cli_key_export(struct cli *c, int argc, char **argv)
{
	struct key_session ks;
	struct cli_parse p;
	struct sc_key_meta m;
	uint8_t *mat = NULL;
	size_t len = 0;
	uint32_t ver = 0;
	const char *name;
	char *b64 = NULL;
	int ch, r, st;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0)
		if (ch == 'v' && key_parse_version(p.val, &ver) != SC_OK)
			return cli_usage(c, "bad version '%s' (a number from 1)", p.val);
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, "%s", p.nops ? "one key name" : "a key name is needed");
	name = p.ops[0];
	if (key_check_name(c, name, &r) != CLI_PARSE_END)
		return r;
	if ((r = key_open(c, &ks)) != EXIT_OK)
		return r;
	st = sc_keyring_key_meta(ks.kr, name, &m);
	if (st == SC_OK)
		st = sc_keyring_export(ks.kr, name, ver ? ver : m.newest, &mat, &len);
	st = key_commit(c, &ks, "key.export", name, st);
	key_close(&ks);
	if (st != SC_OK) {
		r = key_fail(st, "export key", name);
		goto out;
	}
	/* a signing key's material is its sig.h key blob: give the 32
	 * private bytes (an Ed25519 seed, an ECDSA scalar) as other tools
	 * take them */
	if (sc_key_type_is_signing(m.type) && len == SC_SIG_KEYBLOB_LEN)
		b64 = b64_secmem(mat + len - SC_SIG_PRIV_LEN, SC_SIG_PRIV_LEN);
	else
		b64 = b64_secmem(mat, len);
	if (b64 == NULL) {
		r = cli_fail(SC_ERR_NOMEM, "cannot encode the key");
		goto out;
	}
	st = emit(NULL, b64, strlen(b64), 1);
	r = st == SC_OK ? EXIT_OK : cli_fail(st, "cannot write the key");
out:
	sc_secmem_free(b64);
	sc_secmem_free(mat);
	return r;
}
