/* quote.c - what the CLI's messages print of outside text (names, paths,
 * options, the library's details): control bytes escaped, so that a name
 * like $'x\e]0;PWNED\a' cannot drive the terminal nor a newline split a
 * one-line message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* The length of the valid UTF-8 sequence at s (1-4), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	/* overlong, surrogate or beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t cli_escape(char *out, size_t cap, const char *in)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, n;
	char esc[7];
	size_t elen;

	if (cap == 0)
		return 0;
	while (*s != '\0') {
		n = utf8_len(s);
		elen = 0;
		if (n == 1 && (*s < 0x20 || *s == 0x7f)) {
			/* C0 and DEL */
			esc[elen++] = '\\';
			switch (*s) {
			case '\n':
				esc[elen++] = 'n';
				break;
			case '\t':
				esc[elen++] = 't';
				break;
			case '\r':
				esc[elen++] = 'r';
				break;
			case 0x1b:
				esc[elen++] = 'e';
				break;
			default:
				esc[elen++] = 'x';
				esc[elen++] = hex[*s >> 4];
				esc[elen++] = hex[*s & 15];
			}
			n = 1;
		} else if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) {
			/* C1 (U+0080-U+009F), as UTF-8 */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[s[1] >> 4];
			esc[5] = hex[s[1] & 15];
			elen = 6;
		} else if (n == 0) {
			/* not UTF-8: a lone byte 0x80-0x9f is C1 to an 8-bit terminal */
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[*s >> 4];
			esc[3] = hex[*s & 15];
			elen = 4;
			n = 1;
		}
		if (elen == 0) {
			if (o + n >= cap)
				break;
			memcpy(out + o, s, n);
			o += n;
		} else {
			if (o + elen >= cap)
				break;
			memcpy(out + o, esc, elen);
			o += elen;
		}
		s += n;
	}
	out[o] = '\0';
	return o;
}

void cli_put_escaped(FILE *f, const char *s)
{
	char buf[4 * 1024 + 1];

	/* six bytes at most for each byte of input */
	while (*s != '\0') {
		size_t take = strnlen(s, 680), k;
		char part[681];

		/* keep a UTF-8 sequence whole across parts */
		while (take < strlen(s) && take > 0 && ((unsigned char)s[take] & 0xc0) == 0x80)
			take--;
		if (take == 0)
			take = 1;
		memcpy(part, s, take);
		part[take] = '\0';
		k = cli_escape(buf, sizeof(buf), part);
		fwrite(buf, 1, k, f);
		s += take;
	}
}

void cli_vput(FILE *f, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	cli_put_escaped(f, msg);
}

void cli_say(const char *fmt, ...)
{
	va_list ap;

	fputs("secretctl: ", stderr);
	va_start(ap, fmt);
	cli_vput(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
