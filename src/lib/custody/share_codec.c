/* share_codec.c - the SLIP-0039 mnemonic format: 10-bit words from the 1024
 * word list, the identifier/exponent and group/member fields, the share
 * value with its padding, and the RS1024 checksum. Words are looked up and
 * chosen by scanning the whole list, so no access depends on a share. */
#include <string.h>

#include "secretctl/secretctl.h"
#include "secretctl/shares.h"
#include "custody/share_int.h"

#define ID_EXP_WORDS 2
#define PARAM_WORDS 2
#define CHECKSUM_WORDS 3
#define META_WORDS (ID_EXP_WORDS + PARAM_WORDS + CHECKSUM_WORDS)

/* ---- RS1024 (SLIP-0039 "Checksum"): a Reed-Solomon code over GF(1024)
 * whose generator's coefficients are these ten constants. ----------------- */

static const uint32_t rs_gen[10] = {0xE0E040,   0x1C1C080,  0x3838100,  0x7070200,  0xE0E0009,
                                    0x1C0C2412, 0x38086C24, 0x3090FC48, 0x21B1F890, 0x3F3F120};

static uint32_t rs_step(uint32_t chk, uint32_t v)
{
	uint32_t b = chk >> 20;
	int i;

	chk = ((chk & 0xFFFFF) << 10) ^ v;
	for (i = 0; i < 10; i++)
		chk ^= rs_gen[i] & (0u - ((b >> i) & 1u));
	return chk;
}

static const char *custom_string(int extendable)
{
	return extendable ? "shamir_extendable" : "shamir";
}

uint32_t sc_rs1024_polymod(int extendable, const uint16_t *w, size_t n, size_t zeros)
{
	const char *cs = custom_string(extendable);
	uint32_t chk = 1;
	size_t i;

	for (i = 0; cs[i] != '\0'; i++)
		chk = rs_step(chk, (uint8_t)cs[i]);
	for (i = 0; i < n; i++)
		chk = rs_step(chk, w[i]);
	for (i = 0; i < zeros; i++)
		chk = rs_step(chk, 0);
	return chk;
}

/* ---- words --------------------------------------------------------------- */

/* 0 - 1 when x == 0, else 0, for 64-bit x; constant time. */
static uint64_t ct_zero64(uint64_t x)
{
	return ((x | (0 - x)) >> 63) - 1;
}

static uint64_t word64(const char w[SC_SLIP39_WORD_MAX])
{
	uint64_t v;

	memcpy(&v, w, sizeof(v));
	return v;
}

int sc_slip39_word_index(const char w[SC_SLIP39_WORD_MAX])
{
	uint64_t want = word64(w), idx = 0, found = 0;
	int i;

	/* each entry compared as one 64-bit word: no early exit */
	for (i = 0; i < SC_SLIP39_WORDS; i++) {
		uint64_t eq = ct_zero64(word64(sc_slip39_words[i]) ^ want);

		idx |= (uint64_t)i & eq;
		found |= eq;
	}
	/* -1 when no entry matched, without a branch */
	return (int)(uint32_t)((idx & found) | (~found & 0xffffffffu));
}

void sc_slip39_word_at(uint32_t idx, char w[SC_SLIP39_WORD_MAX])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < SC_SLIP39_WORDS; i++)
		v |= word64(sc_slip39_words[i]) & ct_zero64((uint64_t)((uint32_t)i ^ idx));
	memcpy(w, &v, sizeof(v));
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Split text into word indices; lower-cases ASCII letters. */
static int parse_words(const char *text, uint16_t *idx, size_t *n)
{
	size_t len, i = 0, count = 0;
	char w[SC_SLIP39_WORD_MAX];
	int r = SC_ERR_INVALID;

	len = strnlen(text, SC_SHARE_TEXT_MAX + 1);
	if (len > SC_SHARE_TEXT_MAX) {
		sc_set_error("a share is at most %d characters", SC_SHARE_TEXT_MAX);
		return SC_ERR_TOOBIG;
	}
	while (i < len) {
		size_t wl = 0;
		int k;

		while (i < len && is_space(text[i]))
			i++;
		if (i == len)
			break;
		memset(w, 0, sizeof(w));
		while (i < len && !is_space(text[i])) {
			char c = text[i++];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c < 'a' || c > 'z' || wl == SC_SLIP39_WORD_MAX) {
				sc_set_error("word %zu of the share is not in the SLIP-0039 list",
				             count + 1);
				goto out;
			}
			w[wl++] = c;
		}
		if (count == SC_SHARE_WORDS_MAX) {
			sc_set_error("a share has at most %d words", SC_SHARE_WORDS_MAX);
			r = SC_ERR_TOOBIG;
			goto out;
		}
		if ((k = sc_slip39_word_index(w)) < 0) {
			sc_set_error("word %zu of the share is not in the SLIP-0039 list",
			             count + 1);
			goto out;
		}
		idx[count++] = (uint16_t)k;
	}
	*n = count;
	r = SC_OK;
out:
	sc_wipe(w, sizeof(w));
	return r;
}

/* ---- decode and encode --------------------------------------------------- */

int sc_share_decode(const char *mnemonic, struct sc_share *s)
{
	uint16_t idx[SC_SHARE_WORDS_MAX];
	size_t n = 0, vw, total, pad, k;
	uint32_t v, padbits = 0;
	int r;

	if (mnemonic == NULL || s == NULL)
		return SC_ERR_INVALID;
	memset(s, 0, sizeof(*s));
	if ((r = parse_words(mnemonic, idx, &n)) != SC_OK)
		goto out;
	r = SC_ERR_INVALID;
	if (n < SC_SHARE_WORDS_MIN) {
		sc_set_error("a share has at least %d words, this one %zu", SC_SHARE_WORDS_MIN, n);
		goto out;
	}
	vw = n - META_WORDS;
	total = vw * 10;
	pad = total % 16;
	if (pad > 8) {
		sc_set_error("a share of %zu words is not a valid length", n);
		goto out;
	}
	v = ((uint32_t)idx[0] << 10) | idx[1];
	s->identifier = (uint16_t)(v >> 5);
	s->extendable = (uint8_t)((v >> 4) & 1);
	s->iteration_exponent = (uint8_t)(v & 15);
	if (sc_rs1024_polymod(s->extendable, idx, n, 0) != 1) {
		sc_set_error("the share's checksum is wrong: a word is mistyped or changed");
		r = SC_ERR_CORRUPT;
		goto out;
	}
	v = ((uint32_t)idx[2] << 10) | idx[3];
	s->group_index = (uint8_t)(v >> 16);
	s->group_threshold = (uint8_t)(((v >> 12) & 15) + 1);
	s->group_count = (uint8_t)(((v >> 8) & 15) + 1);
	s->member_index = (uint8_t)((v >> 4) & 15);
	s->member_threshold = (uint8_t)((v & 15) + 1);
	if (s->group_threshold > s->group_count) {
		sc_set_error("the share's group threshold is above its group count");
		goto out;
	}
	/* the value: vw words, the top pad bits zero */
	s->value_len = (total - pad) / 8;
	if (s->value_len < SC_SHARE_SECRET_MIN || s->value_len > SC_SHARE_SECRET_MAX ||
	    s->value_len % 2 != 0) {
		sc_set_error("the share's value is %zu bytes (16 to %d, even)", s->value_len,
		             SC_SHARE_SECRET_MAX);
		goto out;
	}
	for (k = 0; k < total; k++) {
		uint32_t bit =
		    ((uint32_t)idx[ID_EXP_WORDS + PARAM_WORDS + k / 10] >> (9 - k % 10)) & 1;

		if (k < pad)
			padbits |= bit;
		else
			s->value[(k - pad) / 8] |= (uint8_t)(bit << (7 - (k - pad) % 8));
	}
	if (padbits != 0) {
		sc_set_error("the share's padding bits are not zero");
		goto out;
	}
	r = SC_OK;
out:
	sc_wipe(idx, sizeof(idx));
	if (r != SC_OK)
		sc_wipe(s, sizeof(*s));
	return r;
}

int sc_share_encode(const struct sc_share *s, char **out)
{
	uint16_t idx[SC_SHARE_WORDS_MAX];
	char w[SC_SLIP39_WORD_MAX + 1];
	size_t vw, n, total, pad, k, pos = 0;
	uint32_t v, chk;
	char *text = NULL;
	int r = SC_ERR_INVALID;

	if (out == NULL)
		return SC_ERR_INVALID;
	*out = NULL;
	if (s == NULL || s->identifier > 0x7fff || s->extendable > 1 ||
	    s->iteration_exponent > SC_SHARE_ITER_EXP_MAX || s->group_index > 15 ||
	    s->group_threshold < 1 || s->group_threshold > s->group_count ||
	    s->group_count > SC_SHARE_MAX || s->member_index > 15 || s->member_threshold < 1 ||
	    s->member_threshold > SC_SHARE_MAX || s->value_len < SC_SHARE_SECRET_MIN ||
	    s->value_len > SC_SHARE_SECRET_MAX || s->value_len % 2 != 0)
		return SC_ERR_INVALID;
	memset(idx, 0, sizeof(idx));
	vw = (s->value_len * 8 + 9) / 10;
	n = vw + META_WORDS;
	total = vw * 10;
	pad = total - s->value_len * 8;
	v = ((uint32_t)s->identifier << 5) | ((uint32_t)s->extendable << 4) | s->iteration_exponent;
	idx[0] = (uint16_t)(v >> 10);
	idx[1] = (uint16_t)(v & 1023);
	v = ((uint32_t)s->group_index << 16) | ((uint32_t)(s->group_threshold - 1) << 12) |
	    ((uint32_t)(s->group_count - 1) << 8) | ((uint32_t)s->member_index << 4) |
	    (uint32_t)(s->member_threshold - 1);
	idx[2] = (uint16_t)(v >> 10);
	idx[3] = (uint16_t)(v & 1023);
	for (k = pad; k < total; k++) {
		uint32_t bit = (s->value[(k - pad) / 8] >> (7 - (k - pad) % 8)) & 1;

		idx[ID_EXP_WORDS + PARAM_WORDS + k / 10] |= (uint16_t)(bit << (9 - k % 10));
	}
	chk = sc_rs1024_polymod(s->extendable, idx, n - CHECKSUM_WORDS, CHECKSUM_WORDS) ^ 1;
	idx[n - 3] = (uint16_t)((chk >> 20) & 1023);
	idx[n - 2] = (uint16_t)((chk >> 10) & 1023);
	idx[n - 1] = (uint16_t)(chk & 1023);

	text = sc_secmem_alloc(n * (SC_SLIP39_WORD_MAX + 1) + 1);
	if (text == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	for (k = 0; k < n; k++) {
		size_t wl;

		sc_slip39_word_at(idx[k], w);
		w[SC_SLIP39_WORD_MAX] = '\0';
		/* the layout of the text follows the word lengths, as any
		 * printing of it will; the choice of word did not branch */
		wl = strlen(w);
		if (k > 0)
			text[pos++] = ' ';
		memcpy(text + pos, w, wl);
		pos += wl;
	}
	text[pos] = '\0';
	*out = text;
	r = SC_OK;
out:
	sc_wipe(idx, sizeof(idx));
	sc_wipe(w, sizeof(w));
	return r;
}

int sc_share_inspect(const char *mnemonic, struct sc_share_info *info)
{
	struct sc_share *s;
	int r;

	if (info == NULL)
		return SC_ERR_INVALID;
	memset(info, 0, sizeof(*info));
	s = sc_secmem_alloc(sizeof(*s));
	if (s == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_share_decode(mnemonic, s)) == SC_OK) {
		info->identifier = s->identifier;
		info->extendable = s->extendable;
		info->iteration_exponent = s->iteration_exponent;
		info->group_index = s->group_index;
		info->group_threshold = s->group_threshold;
		info->group_count = s->group_count;
		info->member_index = s->member_index;
		info->member_threshold = s->member_threshold;
		info->value_len = s->value_len;
	}
	sc_secmem_free(s);
	return r;
}
