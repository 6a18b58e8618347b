/* cmd_sign.c - signing keys: `secretctl sign`, `secretctl verify` and
 * `secretctl key pubkey`. The private key is opened from the keyring for
 * one call and wiped (keys/sign.c); nothing here ever sees it. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/kdfopt.h"
#include "cli/key_cli.h"

#define OPT_END                                                                                    \
	{                                                                                          \
		0, 0, NULL, NULL, NULL, 0                                                          \
	}
#define SIGN_OPTS                                                                                  \
	{'i', 0, "in", "FILE", "the message: FILE ('-' or none: standard input)", 0},              \
	    {'p', 0, "prehashed", "sha256", "the input is a 32-byte SHA-256 digest (ECDSA)", 0},   \
	    {'s', 0, "scheme", "SCHEME", "ecdsa or bip340 (secp256k1); eddsa (ed25519)", 0},       \
	    {'f', 0, "sig-format", "FORMAT", "ECDSA: der (the default) or raw (r||s)", 0},         \
	{                                                                                          \
		'v', 0, "version", "N", "sign or verify with this version (default: the newest)",  \
		    0                                                                              \
	}

const struct cli_opt cli_opts_sign[] = {
    SIGN_OPTS,
    {'o', 0, "out", "FILE", "write the signature's bytes to FILE (default: base64)", 0},
    {'F', 0, "passphrase-fd", "N", "a passphrase key's passphrase from fd N (else the terminal)",
     0},
    OPT_END};
const struct cli_opt cli_opts_verify[] = {
    SIGN_OPTS,
    {'S', 0, "signature", "FILE", "the signature: its bytes, or base64 text", 0},
    {'C', 0, "allow-compromised", NULL, "verify with a version marked compromised", 0},
    OPT_END};
const struct cli_opt cli_opts_key_pubkey[] = {
    {'f', 0, "format", "FORMAT", "pem (default), ssh, hex or raw", 0},
    {'v', 0, "version", "N", "this version (default: the newest)", 0},
    OPT_END};

struct sign_args {
	const char *name, *in, *out, *sig;
	struct sc_sig_opts so;
	uint32_t version;
	int allow_compromised;
	int ppfd; /* --passphrase-fd, -1 when not given */
};

static int parse(struct cli *c, int argc, char **argv, struct sign_args *a, int *status)
{
	struct cli_parse p;
	int ch;

	memset(a, 0, sizeof(*a));
	a->ppfd = -1;
	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		switch (ch) {
		case 'i':
			a->in = p.val;
			break;
		case 'o':
			a->out = p.val;
			break;
		case 'S':
			a->sig = p.val;
			break;
		case 'C':
			a->allow_compromised = 1;
			break;
		case 'F':
			if (cli_parse_fd(p.val, &a->ppfd) != SC_OK) {
				*status = cli_usage(
				    c, "bad --passphrase-fd '%s' (a file descriptor)", p.val);
				return CLI_PARSE_EXIT;
			}
			break;
		case 'p':
			if (strcmp(p.val, "sha256") != 0) {
				*status = cli_usage(c, "bad --prehashed '%s' (only sha256)", p.val);
				return CLI_PARSE_EXIT;
			}
			a->so.prehashed = 1;
			break;
		case 's':
			if (sc_sig_scheme_from_name(p.val, &a->so.scheme) != SC_OK) {
				sc_clear_error();
				*status =
				    cli_usage(c, "bad --scheme '%s' (eddsa, ecdsa, bip340)", p.val);
				return CLI_PARSE_EXIT;
			}
			break;
		case 'f':
			if (strcmp(p.val, "der") == 0) {
				a->so.format = SC_SIG_FMT_DER;
			} else if (strcmp(p.val, "raw") == 0) {
				a->so.format = SC_SIG_FMT_RAW;
			} else {
				*status = cli_usage(c, "bad --sig-format '%s' (der, raw)", p.val);
				return CLI_PARSE_EXIT;
			}
			break;
		case 'v':
			if (key_parse_version(p.val, &a->version) != SC_OK) {
				*status = cli_usage(c, "bad version '%s' (a number from 1)", p.val);
				return CLI_PARSE_EXIT;
			}
			break;
		}
	}
	if (ch == CLI_PARSE_EXIT) {
		*status = p.status;
		return CLI_PARSE_EXIT;
	}
	if (p.nops != 1) {
		*status = cli_usage(c, "%s", p.nops ? "one key name" : "a key name is needed");
		return CLI_PARSE_EXIT;
	}
	a->name = p.ops[0];
	return key_check_name(c, a->name, status);
}

int cmd_sign(struct cli *c, int argc, char **argv)
{
	struct sc_keyop_result res;
	struct sc_keyop op;
	struct sign_args a;
	uint8_t *msg = NULL, sig[SC_SIG_MAX];
	char b64[sodium_base64_ENCODED_LEN(SC_SIG_MAX, sodium_base64_VARIANT_ORIGINAL)];
	size_t len, sig_len = 0;
	int r, st;

	memset(&res, 0, sizeof(res));
	if (parse(c, argc, argv, &a, &r) != CLI_PARSE_END)
		return r;
	if ((st = key_read_input(a.in, SC_KEYS_PLAINTEXT_MAX, 0, &msg, &len)) != SC_OK)
		return cli_fail(st, "cannot read '%s'", a.in != NULL ? a.in : "-");
	memset(&op, 0, sizeof(op));
	op.kind = SC_KEYOP_SIGN;
	op.name = a.name;
	op.version = a.version;
	op.so = a.so;
	op.in = msg;
	op.in_len = len;
	/* a custody key's passphrase, if it has one: asked for this one
	 * signature (key_run) */
	c->passphrase_fd = a.ppfd + 1;
	if ((r = key_run(c, &op, &res, &st)) != EXIT_OK)
		goto out;
	if (st != SC_OK) {
		r = key_fail(st, "sign with key", a.name);
		goto out;
	}
	sig_len = res.out_len <= SC_SIG_MAX ? res.out_len : 0;
	memcpy(sig, res.out, sig_len);
	if (a.out != NULL) {
		st = key_write_file(a.out, sig, sig_len);
	} else {
		sodium_bin2base64(b64, sizeof(b64), sig, sig_len, sodium_base64_VARIANT_ORIGINAL);
		st = puts(b64) >= 0 && fflush(stdout) == 0 ? SC_OK : SC_ERR_IO;
	}
	r = st == SC_OK ? EXIT_OK : cli_fail(st, "cannot write the signature");
out:
	sc_keyop_result_release(&res);
	sc_secmem_free(msg);
	return r;
}

/* The signature file: base64 text (one trailing newline allowed), or the
 * bytes themselves. */
static int read_signature(const char *path, uint8_t sig[SC_SIG_MAX], size_t *sig_len)
{
	uint8_t *buf = NULL;
	size_t len;
	int r;

	if ((r = key_read_input(path, 4 * SC_SIG_MAX, 0, &buf, &len)) != SC_OK)
		return r;
	if (len > 0 && buf[len - 1] == '\n' &&
	    sodium_base642bin(sig, SC_SIG_MAX, (const char *)buf, len - 1, NULL, sig_len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) == 0) {
		r = SC_OK;
	} else if (sodium_base642bin(sig, SC_SIG_MAX, (const char *)buf, len, NULL, sig_len, NULL,
	                             sodium_base64_VARIANT_ORIGINAL) == 0) {
		r = SC_OK;
	} else if (len <= SC_SIG_MAX) {
		memcpy(sig, buf, len);
		*sig_len = len;
		r = SC_OK;
	} else {
		sc_set_error("'%s' is not a signature (its bytes, or base64)", path);
		r = SC_ERR_INVALID;
	}
	sc_secmem_free(buf);
	return r;
}

int cmd_verify(struct cli *c, int argc, char **argv)
{
	struct sc_keyop_result res;
	struct sc_keyop op;
	struct sign_args a;
	uint8_t *msg = NULL, sig[SC_SIG_MAX];
	size_t len, sig_len = 0;
	int r, st;

	if (parse(c, argc, argv, &a, &r) != CLI_PARSE_END)
		return r;
	memset(&res, 0, sizeof(res));
	if (a.sig == NULL)
		return cli_usage(c, "--signature is needed");
	if ((a.in == NULL || strcmp(a.in, "-") == 0) && strcmp(a.sig, "-") == 0)
		return cli_usage(c, "the message and the signature cannot both be standard input");
	if ((st = read_signature(a.sig, sig, &sig_len)) != SC_OK)
		return cli_fail(st, "cannot read the signature");
	if ((st = key_read_input(a.in, SC_KEYS_PLAINTEXT_MAX, 0, &msg, &len)) != SC_OK)
		return cli_fail(st, "cannot read '%s'", a.in != NULL ? a.in : "-");
	memset(&op, 0, sizeof(op));
	op.kind = SC_KEYOP_VERIFY;
	op.name = a.name;
	op.version = a.version;
	op.allow_compromised = a.allow_compromised;
	op.so = a.so;
	op.in = msg;
	op.in_len = len;
	op.aux = sig;
	op.aux_len = sig_len;
	if ((r = key_run(c, &op, &res, &st)) != EXIT_OK)
		goto out;
	if (st == SC_ERR_CORRUPT) {
		sc_clear_error();
		r = cli_error(EXIT_FAIL, "the signature does not verify (key '%s')", a.name);
		goto out;
	}
	if (st != SC_OK) {
		r = key_fail(st, "verify with key", a.name);
		goto out;
	}
	cli_say("the signature verifies (key '%s', version %u)", a.name, res.info.version);
	r = EXIT_OK;
out:
	sc_keyop_result_release(&res);
	sc_secmem_free(msg);
	return r;
}

int cli_key_pubkey(struct cli *c, int argc, char **argv)
{
	enum sc_pub_format fmt = SC_PUB_PEM;
	struct sc_keyop_result res;
	struct sc_keyop op;
	struct cli_parse p;
	uint8_t pub[SC_SIG_PUB_MAX], text[SC_SIG_PUB_TEXT_MAX];
	size_t pub_len = 0, text_len = 0;
	uint32_t ver = 0;
	const char *name;
	int ch, r, st, alg = 0;

	cli_parse_init(&p, c, argc, argv);
	while ((ch = cli_parse_next(&p)) > 0) {
		if (ch == 'v' && key_parse_version(p.val, &ver) != SC_OK)
			return cli_usage(c, "bad version '%s' (a number from 1)", p.val);
		if (ch != 'f')
			continue;
		if (strcmp(p.val, "pem") == 0)
			fmt = SC_PUB_PEM;
		else if (strcmp(p.val, "ssh") == 0)
			fmt = SC_PUB_SSH;
		else if (strcmp(p.val, "hex") == 0)
			fmt = SC_PUB_HEX;
		else if (strcmp(p.val, "raw") == 0)
			fmt = SC_PUB_RAW;
		else
			return cli_usage(c, "bad --format '%s' (pem, ssh, hex, raw)", p.val);
	}
	if (ch == CLI_PARSE_EXIT)
		return p.status;
	if (p.nops != 1)
		return cli_usage(c, "%s", p.nops ? "one key name" : "a key name is needed");
	name = p.ops[0];
	if (key_check_name(c, name, &r) != CLI_PARSE_END)
		return r;
	memset(&op, 0, sizeof(op));
	op.kind = SC_KEYOP_PUBKEY;
	op.name = name;
	op.version = ver;
	/* a public key is given for any version that can still verify */
	op.allow_compromised = 1;
	if ((r = key_run(c, &op, &res, &st)) != EXIT_OK)
		return r;
	if (st == SC_OK) {
		pub_len = res.out_len <= sizeof(pub) ? res.out_len : 0;
		memcpy(pub, res.out, pub_len);
		alg = res.alg;
	}
	sc_keyop_result_release(&res);
	if (st == SC_OK && fmt != SC_PUB_RAW)
		st = sc_sig_pub_encode(alg, pub, pub_len, fmt, name, text, sizeof(text), &text_len);
	if (st == SC_ERR_INVALID && fmt == SC_PUB_SSH)
		sc_set_error("OpenSSH has no form for %s keys (pem, hex, raw)",
		             sc_sig_alg_name(alg));
	if (st != SC_OK)
		return key_fail(st, "give the public key of", name);
	if (fmt == SC_PUB_RAW)
		st = fwrite(pub, 1, pub_len, stdout) == pub_len ? SC_OK : SC_ERR_IO;
	else
		st = fwrite(text, 1, text_len, stdout) == text_len &&
		             (text_len == 0 || text[text_len - 1] == '\n' || putchar('\n') != EOF)
		         ? SC_OK
		         : SC_ERR_IO;
	if (st == SC_OK && fflush(stdout) != 0)
		st = SC_ERR_IO;
	return st == SC_OK ? EXIT_OK : cli_fail(st, "cannot write the public key");
}
