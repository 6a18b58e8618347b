/* test_sig_tools.c - our signatures and public keys checked by other
 * implementations' command-line tools: `openssl pkeyutl -verify` and
 * `openssl dgst` for every algorithm, `ssh-keygen -l`/`-e` on our OpenSSH
 * lines, `ssh-keygen -Y verify` on our SSHSIG files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/sig.h"

static const enum sc_sig_alg all_algs[] = {SC_SIG_ED25519, SC_SIG_P256, SC_SIG_SECP256K1};

/* ---- OpenSSL's and OpenSSH's command line check our output -------------- */

static int run(const char *const argv[])
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void put_file(const char *dir, const char *name, const void *p, size_t n, char *path,
                     size_t cap)
{
	FILE *f;

	snprintf(path, cap, "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void make_tmpdir(char *dir, size_t cap)
{
	const char *base = getenv("SC_TEST_TMP");

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	(void)mkdir(base, 0700);
	snprintf(dir, cap, "%s/sigXXXXXX", base);
	assert_non_null(mkdtemp(dir));
}

static void test_openssl_cli_verifies(void **state)
{
	static const uint8_t msg[] = "signed by secretctl, checked by openssl pkeyutl";
	char dir[256], pem[300], mfile[300], dfile[300], sfile[300], bfile[300];
	size_t a;

	(void)state;
	make_tmpdir(dir, sizeof(dir));
	for (a = 0; a < sizeof(all_algs) / sizeof(all_algs[0]); a++) {
		enum sc_sig_alg alg = all_algs[a];
		uint8_t pub[SC_SIG_PUB_MAX], text[SC_SIG_PUB_TEXT_MAX], sig[SC_SIG_MAX], dgst[32];
		size_t publ, tl, sl;
		struct sc_sig_key *k;
		int rounds;

		assert_int_equal(sc_sig_generate(alg, &k), SC_OK);
		assert_int_equal(sc_sig_key_public(k, pub, &publ), SC_OK);
		assert_int_equal(
		    sc_sig_pub_encode(alg, pub, publ, SC_PUB_PEM, NULL, text, sizeof(text), &tl),
		    SC_OK);
		put_file(dir, "pub.pem", text, tl, pem, sizeof(pem));
		put_file(dir, "msg", msg, sizeof(msg), mfile, sizeof(mfile));
		crypto_hash_sha256(dgst, msg, sizeof(msg));
		put_file(dir, "dgst", dgst, sizeof(dgst), dfile, sizeof(dfile));
		/* several signatures: DER lengths vary with leading zeros */
		for (rounds = 0; rounds < 8; rounds++) {
			assert_int_equal(sc_sig_sign(k, NULL, msg, sizeof(msg), sig, &sl), SC_OK);
			put_file(dir, "sig", sig, sl, sfile, sizeof(sfile));
			sig[sl / 2] ^= 0x04;
			put_file(dir, "bad", sig, sl, bfile, sizeof(bfile));
			if (alg == SC_SIG_ED25519) {
				const char *ok[] = {"openssl", "pkeyutl",  "-verify", "-pubin",
				                    "-inkey",  pem,        "-rawin",  "-in",
				                    mfile,     "-sigfile", sfile,     NULL};
				const char *no[] = {"openssl", "pkeyutl",  "-verify", "-pubin",
				                    "-inkey",  pem,        "-rawin",  "-in",
				                    mfile,     "-sigfile", bfile,     NULL};

				assert_int_equal(run(ok), 0);
				assert_int_not_equal(run(no), 0);
			} else {
				/* ECDSA: pkeyutl verifies the SHA-256 digest */
				const char *ok[] = {"openssl",  "pkeyutl", "-verify", "-pubin",
				                    "-inkey",   pem,       "-in",     dfile,
				                    "-sigfile", sfile,     NULL};
				const char *no[] = {"openssl",  "pkeyutl", "-verify", "-pubin",
				                    "-inkey",   pem,       "-in",     dfile,
				                    "-sigfile", bfile,     NULL};
				const char *dg[] = {"openssl",    "dgst", "-sha256", "-verify", pem,
				                    "-signature", sfile,  mfile,     NULL};

				assert_int_equal(run(ok), 0);
				assert_int_not_equal(run(no), 0);
				assert_int_equal(run(dg), 0);
			}
		}
		/* OpenSSH reads our SSH line: its fingerprint is SHA-256 of the
		 * blob we encoded, and (P-256) it converts back to our PEM */
		if (alg != SC_SIG_SECP256K1) {
			char kfile[300], conv[300], sh[1024], line[512], want[128];
			uint8_t blob[128], fp[32];
			size_t bl;
			const char *cmd[] = {"sh", "-c", NULL, NULL};
			const char *cmp[] = {"cmp", "-s", pem, conv, NULL};
			char *sp;
			FILE *pp;

			assert_int_equal(sc_sig_pub_encode(alg, pub, publ, SC_PUB_SSH, "t", text,
			                                   sizeof(text), &tl),
			                 SC_OK);
			text[tl] = '\n';
			put_file(dir, "key.pub", text, tl + 1, kfile, sizeof(kfile));
			text[tl] = '\0';
			sp = strchr((char *)text, ' ');
			*strrchr((char *)text, ' ') = '\0';
			assert_int_equal(sodium_base642bin(blob, sizeof(blob), sp + 1,
			                                   strlen(sp + 1), NULL, &bl, NULL,
			                                   sodium_base64_VARIANT_ORIGINAL),
			                 0);
			crypto_hash_sha256(fp, blob, bl);
			memcpy(want, "SHA256:", 7);
			sodium_bin2base64(want + 7, sizeof(want) - 7, fp, sizeof(fp),
			                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
			snprintf(sh, sizeof(sh), "ssh-keygen -l -E sha256 -f '%s'", kfile);
			pp = popen(sh, "r");
			assert_non_null(pp);
			assert_non_null(fgets(line, sizeof(line), pp));
			assert_int_equal(pclose(pp), 0);
			if (strstr(line, want) == NULL)
				fail_msg("ssh-keygen fingerprint '%s', want '%s'", line, want);
			if (alg == SC_SIG_P256) {
				snprintf(conv, sizeof(conv), "%s/conv.pem", dir);
				snprintf(sh, sizeof(sh), "ssh-keygen -e -m PKCS8 -f '%s' > '%s'",
				         kfile, conv);
				cmd[2] = sh;
				assert_int_equal(run(cmd), 0);
				assert_int_equal(run(cmp), 0);
			}
		}
		sc_sig_key_free(k);
	}
	{
		const char *rm[] = {"rm", "-rf", dir, NULL};

		assert_int_equal(run(rm), 0);
	}
}

/* ssh-keygen -Y verify checks our SSHSIG files, and the agent's signature
 * blob has RFC 5656's mpints (a leading 00 when the top bit is set, none
 * for leading zero bytes). */
static void test_sshsig_verify(void **state)
{
	static const uint8_t msg[] = "a commit to sign\n";
	enum sc_sig_alg algs[2] = {SC_SIG_ED25519, SC_SIG_P256};
	uint8_t raw[64], blob[160], pub[SC_SIG_PUB_MAX], line[SC_SIG_PUB_TEXT_MAX + 32];
	char dir[256], sigf[300], msgf[300], allowed[300], sh[1400], text[SC_SIG_SSHSIG_MAX];
	size_t bl, publ, ll, tl;
	int i, round;

	(void)state;
	memset(raw, 0, sizeof(raw));
	raw[0] = 0x80;      /* r: top bit set -> 33-byte mpint */
	raw[32 + 1] = 0x01; /* s: one leading zero byte -> 31-byte mpint */
	assert_int_equal(sc_sig_ssh_signature(SC_SIG_P256, raw, 64, blob, sizeof(blob), &bl),
	                 SC_OK);
	assert_int_equal(bl, 4 + 19 + 4 + (4 + 33) + (4 + 31));
	assert_memory_equal(blob + 4, "ecdsa-sha2-nistp256", 19);
	assert_int_equal(blob[4 + 19 + 4 + 3], 33);
	assert_int_equal(blob[4 + 19 + 4 + 4], 0x00);
	assert_int_equal(blob[4 + 19 + 4 + 5], 0x80);
	assert_int_equal(blob[4 + 19 + 4 + 37 + 3], 31);
	assert_int_equal(sc_sig_ssh_signature(SC_SIG_ED25519, raw, 64, blob, sizeof(blob), &bl),
	                 SC_OK);
	assert_int_equal(bl, 4 + 11 + 4 + 64);
	assert_int_equal(sc_sig_ssh_signature(SC_SIG_SECP256K1, raw, 64, blob, sizeof(blob), &bl),
	                 SC_ERR_INVALID);
	assert_int_equal(sc_sig_ssh_signature(SC_SIG_P256, raw, 63, blob, sizeof(blob), &bl),
	                 SC_ERR_INVALID);

	make_tmpdir(dir, sizeof(dir));
	put_file(dir, "msg", msg, sizeof(msg) - 1, msgf, sizeof(msgf));
	for (i = 0; i < 2; i++) {
		struct sc_sig_key *k;

		assert_int_equal(sc_sig_generate(algs[i], &k), SC_OK);
		assert_int_equal(sc_sig_key_public(k, pub, &publ), SC_OK);
		memcpy(line, "me@test ", 8);
		assert_int_equal(sc_sig_pub_encode(algs[i], pub, publ, SC_PUB_SSH, NULL, line + 8,
		                                   sizeof(line) - 9, &ll),
		                 SC_OK);
		line[8 + ll] = '\n';
		put_file(dir, "allowed", line, 9 + ll, allowed, sizeof(allowed));
		for (round = 0; round < 4; round++) {
			const char *cmd[] = {"sh", "-c", sh, NULL};

			assert_int_equal(
			    sc_sig_sshsig(k, "git", msg, sizeof(msg) - 1, text, sizeof(text), &tl),
			    SC_OK);
			assert_int_equal(strlen(text), tl);
			put_file(dir, "msg.sig", text, tl, sigf, sizeof(sigf));
			snprintf(sh, sizeof(sh),
			         "ssh-keygen -Y verify -f '%s' -I me@test -n git -s '%s' < '%s'",
			         allowed, sigf, msgf);
			assert_int_equal(run(cmd), 0);
			/* another namespace, another signer, another message fail */
			snprintf(sh, sizeof(sh),
			         "ssh-keygen -Y verify -f '%s' -I me@test -n file -s '%s' < '%s'",
			         allowed, sigf, msgf);
			assert_int_not_equal(run(cmd), 0);
			snprintf(sh, sizeof(sh),
			         "ssh-keygen -Y verify -f '%s' -I you@test -n git -s '%s' < '%s'",
			         allowed, sigf, msgf);
			assert_int_not_equal(run(cmd), 0);
			snprintf(sh, sizeof(sh),
			         "echo x | ssh-keygen -Y verify -f '%s' -I me@test -n git -s '%s'",
			         allowed, sigf);
			assert_int_not_equal(run(cmd), 0);
		}
		assert_int_equal(sc_sig_sshsig(k, "", msg, 1, text, sizeof(text), &tl),
		                 SC_ERR_INVALID);
		assert_int_equal(sc_sig_sshsig(k, "git", msg, 1, text, 100, &tl), SC_ERR_TOOBIG);
		sc_sig_key_free(k);
	}
	{
		struct sc_sig_key *k;
		const char *rm[] = {"rm", "-rf", dir, NULL};

		assert_int_equal(sc_sig_generate(SC_SIG_SECP256K1, &k), SC_OK);
		assert_int_equal(sc_sig_sshsig(k, "git", msg, 1, text, sizeof(text), &tl),
		                 SC_ERR_INVALID);
		sc_sig_key_free(k);
		assert_int_equal(run(rm), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_openssl_cli_verifies),
	    cmocka_unit_test(test_sshsig_verify),
	};

	if (sc_init() != SC_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
