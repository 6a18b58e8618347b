/* fuzz_sig.c - libFuzzer target for what the signature table parses from
 * outside: the sealed key blob, public keys and signatures (DER, r || s,
 * 64-byte EdDSA/BIP-340) under every algorithm and option. A parse either
 * fails cleanly or the key signs and verifies its own signature. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secretctl/secretctl.h"
#include "secretctl/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static const uint8_t msg[] = "fuzz";
	struct sc_sig_key *k = NULL;
	struct sc_sig_opts o;
	uint8_t sel, pub[SC_SIG_PUB_MAX], sig[SC_SIG_MAX], text[SC_SIG_PUB_TEXT_MAX];
	size_t publ, sl, tl, pl;

	if (!ready) {
		if (sc_init() != SC_OK)
			abort();
		ready = 1;
	}
	if (sc_sig_key_deserialize(data, size, &k) == SC_OK) {
		if (sc_sig_key_public(k, pub, &publ) != SC_OK ||
		    sc_sig_sign(k, NULL, msg, sizeof(msg), sig, &sl) != SC_OK ||
		    sc_sig_verify(sc_sig_key_alg(k), NULL, pub, publ, msg, sizeof(msg), sig, sl) !=
		        SC_OK)
			abort();
		sc_sig_key_free(k);
	} else if (k != NULL) {
		abort();
	}
	if (size < 2)
		return 0;
	/* byte 0: algorithm, scheme, format, prehash; byte 1: public key
	 * length; then the key, the message digest (32 bytes) and the
	 * signature */
	sel = data[0];
	pl = data[1] % (SC_SIG_PUB_MAX + 1);
	data += 2;
	size -= 2;
	if (size < pl + 32)
		return 0;
	o = (struct sc_sig_opts){.scheme = (enum sc_sig_scheme)((sel >> 2) & 3),
	                         .format = (enum sc_sig_format)((sel >> 4) & 3),
	                         .prehashed = (sel >> 6) & 1};
	(void)sc_sig_verify((enum sc_sig_alg)((sel & 3)), &o, data, pl, data + pl, 32,
	                    data + pl + 32, size - pl - 32);
	(void)sc_sig_pub_encode((enum sc_sig_alg)(sel & 3), data, pl,
	                        (enum sc_pub_format)((sel >> 4) & 3), NULL, text, sizeof(text),
	                        &tl);
	return 0;
}
