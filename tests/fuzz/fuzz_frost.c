/* fuzz_frost.c - libFuzzer target for every FROST message decoder: the first
 * byte is the message type and picks the decoder; what decodes must
 * re-encode to exactly the same bytes (one encoding per message) and keep
 * the format's rules, and outputs stay NULL on failure. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secretctl/secretctl.h"
#include "secretctl/frost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[SC_FROST_HDR_LEN + 34 + SC_FROST_MAX_PARTICIPANTS * 66 + 4 + SC_FROST_MSG_MAX];

static void same(size_t len, const uint8_t *data, size_t size)
{
	if (len != size || memcmp(out, data, size) != 0)
		abort();
}

static void signing_package(const uint8_t *data, size_t size)
{
	struct sc_frost_signing_package *p = (void *)1;
	size_t len, i, mlen;

	if (sc_frost_signing_package_decode(data, size, &p) != SC_OK) {
		if (p != NULL)
			abort();
		return;
	}
	if (sc_frost_signing_package_count(p) < 2)
		abort();
	for (i = 1; i < sc_frost_signing_package_count(p); i++)
		if (sc_frost_signing_package_commitment(p, i - 1)->id >=
		    sc_frost_signing_package_commitment(p, i)->id)
			abort();
	(void)sc_frost_signing_package_message(p, &mlen);
	if (mlen > SC_FROST_MSG_MAX)
		abort();
	if (sc_frost_signing_package_encode(p, out, sizeof(out), &len) != SC_OK)
		abort();
	same(len, data, size);
	sc_frost_signing_package_free(p);
}

static void dkg_round1(const uint8_t *data, size_t size)
{
	struct sc_frost_dkg_round1 *p = (void *)1;
	size_t len;

	if (sc_frost_dkg_round1_decode(data, size, &p) != SC_OK) {
		if (p != NULL)
			abort();
		return;
	}
	if (sc_frost_dkg_round1_encode(p, out, sizeof(out), &len) != SC_OK)
		abort();
	same(len, data, size);
	sc_frost_dkg_round1_free(p);
}

static void dkg_round2(const uint8_t *data, size_t size)
{
	struct sc_frost_dkg_round2 *p = (void *)1;

	if (sc_frost_dkg_round2_decode(data, size, &p) != SC_OK) {
		if (p != NULL)
			abort();
		return;
	}
	if (sc_frost_dkg_round2_sender(p) == sc_frost_dkg_round2_recipient(p) ||
	    sc_frost_dkg_round2_encode(p, out) != SC_OK)
		abort();
	same(SC_FROST_DKG_ROUND2_WIRE_LEN, data, size);
	sc_frost_dkg_round2_free(p);
}

static void key_package(const uint8_t *data, size_t size)
{
	struct sc_frost_key_package *p = (void *)1;

	if (sc_frost_key_package_decode(data, size, &p) != SC_OK) {
		if (p != NULL)
			abort();
		return;
	}
	if (sc_frost_key_package_id(p) == 0 ||
	    sc_frost_key_package_id(p) > sc_frost_key_package_max(p) ||
	    sc_frost_key_package_encode(p, out) != SC_OK)
		abort();
	same(SC_FROST_KEY_PACKAGE_WIRE_LEN, data, size);
	sc_frost_key_package_free(p);
}

static void pubkeys(const uint8_t *data, size_t size)
{
	struct sc_frost_pubkeys *p = (void *)1;
	size_t len;

	if (sc_frost_pubkeys_decode(data, size, &p) != SC_OK) {
		if (p != NULL)
			abort();
		return;
	}
	if (sc_frost_pubkeys_min(p) < 2 || sc_frost_pubkeys_min(p) > sc_frost_pubkeys_max(p) ||
	    sc_frost_pubkeys_verifying_share(p, 0) != NULL ||
	    sc_frost_pubkeys_verifying_share(p, sc_frost_pubkeys_max(p)) == NULL ||
	    sc_frost_pubkeys_encode(p, out, sizeof(out), &len) != SC_OK)
		abort();
	same(len, data, size);
	sc_frost_pubkeys_free(p);
}

static void share(const uint8_t *data, size_t size)
{
	struct sc_frost_share *p = (void *)1;
	struct sc_frost_key_package *kp = NULL;
	size_t len;
	int r;

	if (sc_frost_share_decode(data, size, &p) != SC_OK) {
		if (p != NULL)
			abort();
		return;
	}
	if (sc_frost_share_encode(p, out, sizeof(out), &len) != SC_OK)
		abort();
	same(len, data, size);
	/* the VSS check runs on what decodes, and fails cleanly; a big group
	 * (max 255) costs min * max point multiplications, too slow to fuzz */
	if (size > 3 + 6 + 32 + 16 * 32) {
		sc_frost_share_free(p);
		return;
	}
	r = sc_frost_share_verify(p, &kp, NULL);
	if ((r == SC_OK) != (kp != NULL))
		abort();
	sc_frost_key_package_free(kp);
	sc_frost_share_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sc_frost_commitment c;
	struct sc_frost_sig_share s;

	if (!ready) {
		if (sc_init() != SC_OK)
			abort();
		ready = 1;
	}
	if (size == 0)
		return 0;
	switch (data[0]) {
	case SC_FROST_MSG_COMMITMENT:
		if (sc_frost_commitment_decode(data, size, &c) == SC_OK) {
			if (sc_frost_commitment_encode(&c, out) != SC_OK)
				abort();
			same(SC_FROST_COMMITMENT_WIRE_LEN, data, size);
		}
		break;
	case SC_FROST_MSG_SIGNING_PACKAGE:
		signing_package(data, size);
		break;
	case SC_FROST_MSG_SIG_SHARE:
		if (sc_frost_sig_share_decode(data, size, &s) == SC_OK) {
			if (sc_frost_sig_share_encode(&s, out) != SC_OK)
				abort();
			same(SC_FROST_SIG_SHARE_WIRE_LEN, data, size);
		}
		break;
	case SC_FROST_MSG_DKG_ROUND1:
		dkg_round1(data, size);
		break;
	case SC_FROST_MSG_DKG_ROUND2:
		dkg_round2(data, size);
		break;
	case SC_FROST_MSG_KEY_PACKAGE:
		key_package(data, size);
		break;
	case SC_FROST_MSG_PUBKEYS:
		pubkeys(data, size);
		break;
	case SC_FROST_MSG_SHARE:
		share(data, size);
		break;
	default:
		/* every decoder refuses a type that is not its own */
		if (sc_frost_commitment_decode(data, size, &c) == SC_OK ||
		    sc_frost_sig_share_decode(data, size, &s) == SC_OK)
			abort();
		break;
	}
	return 0;
}
