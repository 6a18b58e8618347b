/* fuzz_cli_parse.c - libFuzzer target for the CLI's value parsers: durations
 * ("30d"), expiry dates ("2024-02-29T10:00Z"), KDF sizes ("64M") and passes,
 * fd numbers, and the escaping of outside text in messages. The first byte
 * picks the parser, the rest is the text. Each
 * parser is held to an oracle: what it accepts must mean what it says
 * (the number computed again without overflow, a date read back the same). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/kdfopt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* util.c's usage messages look commands up here (main.c has the real one) */
const struct cli_cmd cli_commands[] = {{NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL}};

/* 128 bits: room to compute every accepted value again without overflow
 * (__extension__: the replay build is gcc -pedantic) */
__extension__ typedef unsigned __int128 u128;

/* The leading decimal digits of s as a 128-bit number (saturating). */
static u128 digits(const char *s, const char **end)
{
	u128 v = 0;

	while (*s >= '0' && *s <= '9') {
		if (v < ((u128)1 << 100))
			v = v * 10 + (unsigned)(*s - '0');
		s++;
	}
	*end = s;
	return v;
}

static void check_duration(const char *s)
{
	int64_t secs = -1;
	const char *end;
	u128 v, mult;

	if (cli_parse_duration(s, &secs) != SC_OK)
		return;
	v = digits(s, &end);
	switch (*end) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	case 'y':
		mult = 365 * 86400;
		break;
	default:
		abort(); /* accepted an unknown unit */
	}
	if (end == s || end[1] != '\0' || secs < 0 || (u128)secs != v * mult)
		abort();
}

static void check_expiry(const char *s)
{
	int64_t when, d;
	char back[64];

	if (cli_parse_expiry(s, &when) != SC_OK || cli_parse_duration(s, &d) == SC_OK)
		return;
	/* a date: it reads back as written ("YYYY-MM-DD", then the time) */
	cli_format_time(when, back, sizeof(back));
	if (strncmp(back, s, 10) != 0)
		abort();
	if (s[10] == 'T') {
		size_t n = strlen(s + 11);

		/* HH:MMZ or HH:MM:SSZ, and the zone given */
		if (s[10 + n] != 'Z' || strncmp(back + 11, s + 11, n - 1) != 0)
			abort();
		if (n == 6 && strcmp(back + 16, ":00Z") != 0)
			abort();
	} else if (s[10] != '\0' || strcmp(back + 10, "T00:00:00Z") != 0) {
		abort();
	}
}

static void check_kdf(int ch, const char *s)
{
	struct sc_kdf_params kp = {0};
	const char *end;
	u128 v;

	if (cli_parse_kdf_opt(ch, s, &kp) != SC_OK)
		return;
	v = digits(s, &end);
	if (ch == 't') {
		if (*end != '\0' || v != kp.t || v < 1 || v > 64)
			abort();
		return;
	}
	if (strcmp(end, "M") == 0)
		v *= 1024;
	else if (strcmp(end, "G") == 0)
		v *= 1024 * 1024;
	else if (*end != '\0')
		abort();
	if (v != kp.mem_kib || v < 8192 || v > 4ULL * 1024 * 1024)
		abort(); /* e.g. a wrapped multiplication */
}

static void check_fd(const char *s)
{
	int fd = -1;
	const char *end;

	if (cli_parse_fd(s, &fd) != SC_OK)
		return;
	if (digits(s, &end) != (unsigned)fd || *end != '\0' || fd < 0 || fd > 1024)
		abort();
}

/* What cli_escape writes holds no control byte (C0, DEL, C1 as UTF-8) and
 * is valid UTF-8, and it stays within its buffer. */
static void check_escape(const char *s, size_t cap)
{
	char out[2048];
	const unsigned char *p = (const unsigned char *)out;
	size_t n = cli_escape(out, cap, s), len;

	if (n >= cap || out[n] != '\0' || strlen(out) != n)
		abort();
	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f)
			abort();
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
			abort();
		len = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 0;
		if (len == 0 || *p > 0xf4)
			abort();
		for (size_t i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				abort();
		p += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > 256)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0:
		check_duration(s);
		break;
	case 1:
		check_expiry(s);
		break;
	case 2:
		check_kdf('m', s);
		break;
	case 3:
		check_kdf('t', s);
		break;
	case 4:
		check_fd(s);
		break;
	default:
		check_escape(s, 1 + (size_t)data[0] * 7);
		break;
	}
	free(s);
	return 0;
}
