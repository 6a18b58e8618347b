/* generate.c - random passwords and passphrases (generate.h): every
 * character or word is randombytes_uniform(n), uniform over n without
 * modulo bias; the result lives in secmem. */
#include <string.h>

#include <sodium.h>

#include "secretctl/secretctl.h"
#include "secretctl/generate.h"
#include "custody/share_int.h"

static const char set_digits[] = "0123456789";
static const char set_lower[] = "abcdefghijklmnopqrstuvwxyz";
static const char set_upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char set_hexd[] = "0123456789abcdef";

static void add_chars(char *set, const char *chars)
{
	size_t n = strlen(set);

	for (; *chars != '\0'; chars++)
		if (strchr(set, *chars) == NULL && n < SC_GEN_SET_MAX)
			set[n++] = *chars;
	set[n] = '\0';
}

int sc_gen_charset_add(char set[SC_GEN_SET_MAX + 1], const char *spec)
{
	const char *p;

	if (spec == NULL || spec[0] == '\0')
		return SC_ERR_INVALID;
	if (strcmp(spec, "alnum") == 0 || strcmp(spec, "alpha") == 0) {
		add_chars(set, set_lower);
		add_chars(set, set_upper);
		if (spec[2] == 'n')
			add_chars(set, set_digits);
		return SC_OK;
	}
	if (strcmp(spec, "digits") == 0) {
		add_chars(set, set_digits);
		return SC_OK;
	}
	if (strcmp(spec, "hex") == 0) {
		add_chars(set, set_hexd);
		return SC_OK;
	}
	if (strcmp(spec, "symbols") == 0) {
		char all[95];
		int c, i = 0;

		for (c = '!'; c <= '~'; c++)
			all[i++] = (char)c;
		all[i] = '\0';
		add_chars(set, all);
		return SC_OK;
	}
	for (p = spec; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return SC_ERR_INVALID;
	add_chars(set, spec);
	return SC_OK;
}

int sc_gen_password(const char *set, size_t len, char **out, size_t *out_len)
{
	size_t n, i;
	char *buf;

	*out = NULL;
	*out_len = 0;
	if (set == NULL || (n = strlen(set)) < 2 || n > SC_GEN_SET_MAX || len < SC_GEN_LENGTH_MIN ||
	    len > SC_GEN_LENGTH_MAX)
		return SC_ERR_INVALID;
	if ((buf = sc_secmem_alloc(len + 1)) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < len; i++)
		buf[i] = set[randombytes_uniform((uint32_t)n)];
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return SC_OK;
}

const char *sc_gen_word(size_t i, char buf[9])
{
	if (i >= SC_SLIP39_WORDS)
		return NULL;
	memcpy(buf, sc_slip39_words[i], SC_SLIP39_WORD_MAX);
	buf[SC_SLIP39_WORD_MAX] = '\0';
	return buf;
}

int sc_gen_words(size_t n, char sep, char **out, size_t *out_len)
{
	size_t i, pos = 0, cap;
	char *buf, w[9];

	*out = NULL;
	*out_len = 0;
	if (n < SC_GEN_WORDS_MIN || n > SC_GEN_WORDS_MAX)
		return SC_ERR_INVALID;
	cap = n * (SC_SLIP39_WORD_MAX + 1) + 1;
	if ((buf = sc_secmem_alloc(cap)) == NULL)
		return SC_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		size_t wl;

		(void)sc_gen_word(randombytes_uniform(SC_SLIP39_WORDS), w);
		wl = strlen(w);
		if (i > 0)
			buf[pos++] = sep;
		memcpy(buf + pos, w, wl);
		pos += wl;
	}
	buf[pos] = '\0';
	sc_wipe(w, sizeof(w));
	*out = buf;
	*out_len = pos;
	return SC_OK;
}

/* log2(n) without libm: the integer part, then the fraction bit by bit by
 * squaring (40 bits are more than a 4096-character password needs). */
static double log2_of(size_t n)
{
	double x = (double)n, r = 0, bit = 1;
	int i;

	while (x >= 2) {
		x /= 2;
		r += 1;
	}
	for (i = 0; i < 40; i++) {
		x *= x;
		bit /= 2;
		if (x >= 2) {
			x /= 2;
			r += bit;
		}
	}
	return r;
}

unsigned sc_gen_password_bits(size_t set_size, size_t len)
{
	return set_size < 2 ? 0 : (unsigned)((double)len * log2_of(set_size));
}
