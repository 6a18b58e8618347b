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

#define BATCH_OPT                                                                                  \
	{                                                                                          \
		'b', 0, "batch", NULL, "one item a line in, one a line out (at most 100000)", 0    \
	}
#define BATCH_JSON_OPT                                                                             \
	{                                                                                          \
		'J', 0, "batch-json", NULL,                                                        \
		    "a JSON array (or JSON lines) of {in|in_b64, context, id} in, a JSON array "   \
		    "out; a failing item fails alone",                                             \
		    0                                                                              \
	}
const struct cli_opt cli_opts_key_encrypt[] = {CTX_OPT,   IN_OPT,         OUT_OPT,
                                               BATCH_OPT, BATCH_JSON_OPT, OPT_END};
const struct cli_opt cli_opts_key_decrypt[] = {
    CTX_OPT,
    IN_OPT,
    OUT_OPT,
    BATCH_OPT,
    BATCH_JSON_OPT,
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
	int allow_compromised, wrapped_only, batch, batch_json;
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
		case 'b':
			a->batch = 1;
			break;
		case 'J':
			a->batch_json = 1;
			break;
		case 'A':
		case 'n': /* cli_key_rewrap_all's */
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
	if (a->batch_json && (a->batch || a->ctx != NULL || a->name == NULL)) {
		*status =
		    cli_usage(c, "%s",
		              a->name == NULL ? "--batch-json needs the key's name"
		                              : "--batch-json takes no --batch or --context (each "
		                                "item carries its own context)");
		args_release(a);
		return CLI_PARSE_EXIT;
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

/* --batch: the lines of text (a last one without its newline too) as a
 * batch's items, u32 length + bytes, into secmem. */
static int lines_to_batch(const uint8_t *text, size_t len, uint8_t **out, size_t *out_len,
                          size_t *count)
{
	struct sc_buf b;
	size_t i = 0, n = 0;

	*out = NULL;
	*out_len = *count = 0;
	sc_buf_init(&b, len + 4 * (len + 1) + 4, SC_BUF_SECURE);
	while (i < len) {
		const uint8_t *nl = memchr(text + i, '\n', len - i);
		size_t l = nl != NULL ? (size_t)(nl - (text + i)) : len - i;

		if (++n > SC_KEYOP_BATCH_MAX) {
			sc_buf_release(&b);
			sc_set_error("a batch holds at most %u lines", SC_KEYOP_BATCH_MAX);
			return SC_ERR_TOOBIG;
		}
		if (sc_buf_put_u32(&b, (uint32_t)l) != SC_OK ||
		    sc_buf_put(&b, text + i, l) != SC_OK)
			break;
		i += l + 1;
	}
	if (sc_buf_status(&b) != SC_OK) {
		int r = sc_buf_status(&b);

		sc_buf_release(&b);
		return r;
	}
	if (n == 0) {
		sc_buf_release(&b);
		sc_set_error("the batch has no line");
		return SC_ERR_INVALID;
	}
	*out = sc_buf_steal(&b, out_len);
	*count = n;
	return SC_OK;
}

/* A batch's output, one item a line; an item holding a newline cannot be
 * a line, and fails the whole output before any of it is written. */
static int emit_batch(const char *out, const uint8_t *buf, size_t len)
{
	struct sc_buf in, txt;
	const uint8_t *p;
	uint32_t n;
	int r;

	sc_buf_init_reader(&in, buf, len);
	sc_buf_init(&txt, len + 1, SC_BUF_SECURE);
	while (sc_buf_left(&in) > 0) {
		if (sc_buf_get_u32(&in, &n) != SC_OK || sc_buf_get_ptr(&in, n, &p) != SC_OK) {
			sc_buf_release(&txt);
			return SC_ERR_CORRUPT;
		}
		if (memchr(p, '\n', n) != NULL) {
			sc_buf_release(&txt);
			sc_set_error("a plaintext holds a newline: it cannot be a line of --batch");
			return SC_ERR_INVALID;
		}
		(void)sc_buf_put(&txt, p, n);
		(void)sc_buf_put_u8(&txt, '\n');
	}
	if ((r = sc_buf_status(&txt)) == SC_OK)
		r = emit(out, sc_buf_ptr(&txt), txt.len, 0);
	sc_buf_release(&txt);
	return r;
}

int cli_key_encrypt(struct cli *c, int argc, char **argv)
{
	struct sc_keyop_result res;
	struct sc_keyop op;
	struct key_args a;
	uint8_t *pt = NULL, *items = NULL;
	size_t len, ilen = 0, count = 0;
	int r, st;

	memset(&res, 0, sizeof(res));
	if (parse_args(c, argc, argv, 1, &a, &r) != CLI_PARSE_END)
		return r;
	if (a.batch_json) {
		r = cli_key_batch_json(c, SC_KEYOP_ENCRYPT, a.name, a.in, a.out, 0);
		args_release(&a);
		return r;
	}
	if ((st = key_read_input(a.in, a.batch ? SC_KEYOP_OUT_MAX : SC_KEYS_PLAINTEXT_MAX, 0, &pt,
	                         &len)) != SC_OK) {
		r = input_fail(st, a.in);
		goto out;
	}
	if (a.batch && (st = lines_to_batch(pt, len, &items, &ilen, &count)) != SC_OK) {
		r = cli_fail(st, "cannot read the batch");
		goto out;
	}
	memset(&op, 0, sizeof(op));
	op.kind = SC_KEYOP_ENCRYPT;
	op.name = a.name;
	op.ctx = a.ctx;
	op.in = a.batch ? items : pt;
	op.in_len = a.batch ? ilen : len;
	op.batch = count;
	if ((r = key_run(c, &op, &res, &st)) != EXIT_OK)
		goto out;
	if (st != SC_OK) {
		r = key_fail(st, "encrypt with key", a.name);
		goto out;
	}
	st = a.batch ? emit_batch(a.out, res.out, res.out_len)
	             : emit(a.out, res.out, res.out_len, 1);
	r = st == SC_OK ? EXIT_OK : cli_fail(st, "cannot write the ciphertext");
out:
	sc_keyop_result_release(&res);
	sc_secmem_free(items);
	sc_secmem_free(pt);
	args_release(&a);
	return r;
}

/* decrypt --batch: each line a ciphertext text of the key NAME. */
static int decrypt_batch(struct cli *c, struct key_args *a)
{
	struct sc_keyop_result res;
	struct sc_keyop op;
	uint8_t *text = NULL, *items = NULL;
	size_t len, ilen = 0, count = 0;
	int r, st;

	memset(&res, 0, sizeof(res));
	if (a->name == NULL) {
		r = cli_usage(c, "--batch needs the key's name");
		goto out;
	}
	if ((st = key_read_input(a->in, SC_KEYOP_OUT_MAX, 0, &text, &len)) != SC_OK) {
		r = input_fail(st, a->in);
		goto out;
	}
	if ((st = lines_to_batch(text, len, &items, &ilen, &count)) != SC_OK) {
		r = cli_fail(st, "cannot read the batch");
		goto out;
	}
	memset(&op, 0, sizeof(op));
	op.kind = SC_KEYOP_DECRYPT;
	op.name = a->name;
	op.ctx = a->ctx;
	op.allow_compromised = a->allow_compromised;
	op.in = items;
	op.in_len = ilen;
	op.batch = count;
	if ((r = key_run(c, &op, &res, &st)) != EXIT_OK)
		goto out;
	if (st == SC_ERR_CORRUPT && *sc_last_error() == '\0')
		sc_set_error("tampered with, or made under another key, version or context");
	if (st != SC_OK) {
		r = key_fail(st, "decrypt with key", a->name);
		goto out;
	}
	st = emit_batch(a->out, res.out, res.out_len);
	r = st == SC_OK ? EXIT_OK : cli_fail(st, "cannot write the output");
out:
	sc_keyop_result_release(&res);
	sc_secmem_free(items);
	sc_secmem_free(text);
	return r;
}

/* decrypt and rewrap: the ciphertext text in, the key it names checked. */
static int decrypt_or_rewrap(struct cli *c, int argc, char **argv, int rewrap)
{
	struct sc_keys_info info = {0, 0, 0};
	struct sc_keys_ct parsed = {{0}, 0, NULL, 0};
	struct sc_keyop_result res;
	struct key_session ks;
	struct key_args a;
	uint8_t *text = NULL, *pt = NULL;
	size_t len, pt_len = 0;
	char *ct = NULL;
	const char *name;
	int r, st;

	memset(&res, 0, sizeof(res));
	if (parse_args(c, argc, argv, rewrap, &a, &r) != CLI_PARSE_END)
		return r;
	if (rewrap && (a.batch || a.batch_json)) {
		/* the option table is decrypt's: a batch of rewraps is not built */
		args_release(&a);
		return cli_usage(c, "rewrap takes one text (no --batch or --batch-json)");
	}
	if (a.batch_json) {
		r = cli_key_batch_json(c, SC_KEYOP_DECRYPT, a.name, a.in, a.out,
		                       a.allow_compromised);
		args_release(&a);
		return r;
	}
	if (a.batch) {
		r = decrypt_batch(c, &a);
		args_release(&a);
		return r;
	}
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
	if (!rewrap) {
		struct sc_keyop op;

		memset(&op, 0, sizeof(op));
		op.kind = SC_KEYOP_DECRYPT;
		op.name = name;
		op.ctx = a.ctx;
		op.allow_compromised = a.allow_compromised;
		op.in = text;
		op.in_len = len;
		if ((r = key_run(c, &op, &res, &st)) != EXIT_OK)
			goto out;
		pt = res.out;
		pt_len = res.out_len;
		res.out = NULL;
	} else {
		struct sc_keys_opts o = {key_now(), a.ctx, 0, a.allow_compromised};

		if ((r = key_open(c, &ks)) != EXIT_OK)
			goto out;
		st = key_token(c, &ks, name);
		if (st == SC_OK)
			st =
			    sc_keyring_rewrap(ks.kr, name, &o, (const char *)text, len, &ct, &info);
		st = key_commit_info(c, &ks, "key.rewrap", name, &info, st);
		if (st == SC_OK)
			key_say(name, &info);
		key_close(&ks);
	}
	if (st == SC_ERR_CORRUPT && *sc_last_error() == '\0')
		sc_set_error("tampered with, or made under another key, version or context");
	if (st != SC_OK) {
		r = key_fail(st, rewrap ? "rewrap with key" : "decrypt with key", name);
		goto out;
	}
	st = rewrap ? emit(a.out, ct, strlen(ct), 1) : emit(a.out, pt, pt_len, 0);
	r = st == SC_OK ? EXIT_OK : cli_fail(st, "cannot write the output");
out:
	sc_keyop_result_release(&res);
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
	int i;

	/* --all: the vault's own items, not a text (cmd_key_rewrap.c) */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--all") == 0 || strncmp(argv[i], "--items-per-batch", 17) == 0)
			return cli_key_rewrap_all(c, argc, argv);
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
	struct sc_keyop_result res;
	struct sc_keyop op;
	struct key_args a;
	char *b64 = NULL;
	int r, st;

	memset(&res, 0, sizeof(res));
	if (parse_args(c, argc, argv, 1, &a, &r) != CLI_PARSE_END)
		return r;
	memset(&op, 0, sizeof(op));
	op.kind = SC_KEYOP_DATAKEY;
	op.name = a.name;
	op.ctx = a.ctx;
	op.wrapped_only = a.wrapped_only;
	if ((r = key_run(c, &op, &res, &st)) != EXIT_OK)
		goto out;
	if (st != SC_OK) {
		r = key_fail(st, "make a data key with key", a.name);
		goto out;
	}
	if (res.plain != NULL && (b64 = b64_secmem(res.plain, SC_KEYS_DATAKEY_LEN)) == NULL) {
		r = cli_fail(SC_ERR_NOMEM, "cannot encode the data key");
		goto out;
	}
	if (c->json) {
		json_t *o = json_pack("{s:s%,s:i}", "wrapped", (const char *)res.out, res.out_len,
		                      "version", (json_int_t)res.info.version);

		if (b64 != NULL)
			json_object_set_new(o, "plaintext_base64", json_string(b64));
		r = key_print_json(o) == SC_OK ? EXIT_OK : EXIT_FAIL;
		goto out;
	}
	printf("%.*s\n", (int)res.out_len, (const char *)res.out);
	if (b64 != NULL)
		printf("%s\n", b64);
	r = fflush(stdout) == 0 ? EXIT_OK : cli_fail(SC_ERR_IO, "cannot write the data key");
out:
	sc_secmem_free(b64);
	sc_keyop_result_release(&res);
	args_release(&a);
	return r;
}

int cli_key_hmac(struct cli *c, int argc, char **argv)
{
	struct sc_keyop_result res;
	struct sc_keyop op;
	struct key_args a;
	uint8_t *msg = NULL;
	size_t len;
	int r, st;

	memset(&res, 0, sizeof(res));
	if (parse_args(c, argc, argv, 1, &a, &r) != CLI_PARSE_END)
		return r;
	if ((st = key_read_input(a.in, SC_KEYS_PLAINTEXT_MAX, 0, &msg, &len)) != SC_OK) {
		r = input_fail(st, a.in);
		goto out;
	}
	memset(&op, 0, sizeof(op));
	op.kind = a.mac != NULL ? SC_KEYOP_HMAC_VERIFY : SC_KEYOP_HMAC;
	op.name = a.name;
	op.allow_compromised = a.allow_compromised;
	op.in = msg;
	op.in_len = len;
	if (a.mac != NULL) {
		op.aux = (const uint8_t *)a.mac;
		op.aux_len = strlen(a.mac);
	}
	if ((r = key_run(c, &op, &res, &st)) != EXIT_OK)
		goto out;
	if (a.mac != NULL && st == SC_ERR_CORRUPT) {
		sc_clear_error();
		r = cli_error(EXIT_FAIL, "the MAC does not match (key '%s')", a.name);
		goto out;
	}
	if (st != SC_OK) {
		r = key_fail(st, "hmac with key", a.name);
		goto out;
	}
	if (a.mac == NULL)
		st = emit(NULL, res.out, res.out_len, 1);
	else
		cli_say("the MAC matches (key '%s', version %u)", a.name, res.info.version);
	r = st == SC_OK ? EXIT_OK : cli_fail(st, "cannot write the MAC");
out:
	sc_keyop_result_release(&res);
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
