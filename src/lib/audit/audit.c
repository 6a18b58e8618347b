/* audit.c - the tamper-evident audit log: HMAC-chained JSON Lines in the
 * vault directory, its head anchored in the sealed vault state.
 *
 * Each chained line carries its sequence number, the previous line's MAC and
 * its own MAC, HMAC-SHA-256 under the vault's audit key over a fixed binary
 * encoding of every field. The anchor {seq, mac} of the newest line lives in
 * the sealed vault state, so removing lines at the end is caught as well as
 * edits in the middle. Every writer holds an exclusive flock() on the log
 * from reading the head to advancing the anchor: one chain, no forks. Failed
 * unlocks (no key yet) are written as unMACed "pending" lines to a side file,
 * audit.pending, and taken into the chain by the next writer that has the
 * key, so that audit.log itself only ever grows (until a prune). The format
 * is ours and strict (fixed key order, no whitespace), which lets the
 * verifier parse it without building a JSON tree: see docs/AUDIT.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "secretctl/audit.h"

#define MAC_DOMAIN "secretctl/v1/audit-entry"
/* The binary encoding MACed for one entry can never exceed this. */
#define ENC_MAX                                                                                    \
	(sizeof(MAC_DOMAIN) + 1 + 8 + 8 + 4 * 6 + SC_AUDIT_OP_MAX + 8 + SC_AUDIT_CLIENT_MAX + 8 +  \
	 4 + SC_AUDIT_SECRETS_MAX * SC_MAC_LEN + SC_AUDIT_CMD_MAX + 8 + SC_AUDIT_CODE_MAX + 1 +    \
	 SC_MAC_LEN)
#define READ_CHUNK (1024 * 1024)
/* How far back an appender looks for the anchored entry when the anchor
 * lags (an append interrupted between fsync and the anchor update). */
#define LAG_WALK_MAX 64
#define TS_LEN 24 /* YYYY-MM-DDTHH:MM:SS.mmmZ */
/* Failed unlocks taken into the chain at once, at most (the file is
 * writable by whoever can write the vault directory). */
#define PENDING_FOLD_MAX 100000

static const uint8_t zero_mac[SC_MAC_LEN];

/* ---- names ---- */

static const char *const sources[] = {"cli", "mcp", "agent"};
static const char *const results[] = {"ok", "denied", "error"};
#define NSOURCES (sizeof(sources) / sizeof(sources[0]))
#define NRESULTS (sizeof(results) / sizeof(results[0]))

const char *sc_audit_code(int status)
{
	return sc_status_code(status);
}

const char *sc_audit_source_name(int source)
{
	return source >= 0 && (size_t)source < NSOURCES ? sources[source] : "?";
}

const char *sc_audit_result_name(int result)
{
	return result >= 0 && (size_t)result < NRESULTS ? results[result] : "?";
}

/* ---- time ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so parsing needs no timegm() and no time zone. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int digits(const char *p, int n, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_ts(const char *p, size_t n, int64_t *ms)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, s, f, dim;

	if (n != TS_LEN || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' ||
	    p[16] != ':' || p[19] != '.' || p[23] != 'Z')
		return -1;
	if (digits(p, 4, &y) || digits(p + 5, 2, &mo) || digits(p + 8, 2, &d) ||
	    digits(p + 11, 2, &h) || digits(p + 14, 2, &mi) || digits(p + 17, 2, &s) ||
	    digits(p + 20, 3, &f))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59)
		return -1;
	dim = mdays[mo - 1] + (mo == 2 && is_leap(y));
	if (d > dim)
		return -1;
	*ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 * 1000 + (int64_t)s * 1000 + f;
	return 0;
}

static int format_ts(int64_t ms, char out[TS_LEN + 1])
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (ms < 0 || gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999)
		return SC_ERR_INVALID;
	if (strftime(out, TS_LEN + 1, "%Y-%m-%dT%H:%M:%S.", &tm) != 20)
		return SC_ERR_INVALID;
	out[20] = (char)('0' + ms % 1000 / 100);
	out[21] = (char)('0' + ms % 100 / 10);
	out[22] = (char)('0' + ms % 10);
	out[23] = 'Z';
	out[24] = '\0';
	return SC_OK;
}

/* ---- the line format: writing ---- */

struct out {
	char *p;
	size_t n, cap;
	int over;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->over || o->cap - o->n < n) {
		o->over = 1;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
	char b[24];
	int k = snprintf(b, sizeof(b), "%llu", (unsigned long long)v);

	put(o, b, (size_t)k);
}

static void put_hex(struct out *o, const uint8_t *b, size_t n)
{
	char h[2 * SC_MAC_LEN + 1];

	sodium_bin2hex(h, sizeof(h), b, n);
	put(o, h, 2 * n);
}

/* Printable ASCII as is, '"' and '\\' escaped, every other byte as \u00XX:
 * any byte string round-trips and the line stays one valid JSON line. */
static void put_str(struct out *o, const char *s, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	put(o, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			char e[2] = {'\\', (char)ch};

			put(o, e, 2);
		} else if (ch >= 0x20 && ch < 0x7f) {
			put(o, (const char *)&ch, 1);
		} else {
			char e[6] = {'\\', 'u', '0', '0', hx[ch >> 4], hx[ch & 15]};

			put(o, e, 6);
		}
	}
	put(o, "\"", 1);
}

static void put_key(struct out *o, const char *key, int *first)
{
	if (!*first)
		put(o, ",", 1);
	*first = 0;
	put(o, "\"", 1);
	puts_(o, key);
	put(o, "\":", 2);
}

int sc_audit_format_line(const struct sc_audit_entry *e, char *buf, size_t cap, size_t *len)
{
	struct out o = {buf, 0, cap > 0 ? cap - 1 : 0, cap == 0};
	char ts[TS_LEN + 1];
	int first = 1;
	size_t i;

	*len = 0;
	if (e->kind < SC_AUDIT_ENTRY || e->kind > SC_AUDIT_PENDING || e->source < 0 ||
	    (size_t)e->source >= NSOURCES || e->result < 0 || (size_t)e->result >= NRESULTS ||
	    e->n_secrets > SC_AUDIT_SECRETS_MAX || e->client_len > SC_AUDIT_CLIENT_MAX ||
	    e->cmd_len > SC_AUDIT_CMD_MAX || format_ts(e->ts_ms, ts) != SC_OK)
		return SC_ERR_INVALID;
	put(&o, "{", 1);
	if (e->kind == SC_AUDIT_PENDING) {
		put_key(&o, "pending", &first);
		puts_(&o, "true");
	} else {
		put_key(&o, "seq", &first);
		put_u64(&o, e->seq);
	}
	put_key(&o, "ts", &first);
	put_str(&o, ts, TS_LEN);
	put_key(&o, "op", &first);
	put_str(&o, e->op, strlen(e->op));
	put_key(&o, "src", &first);
	puts_(&o, "\"");
	puts_(&o, sources[e->source]);
	puts_(&o, "\"");
	if (e->client_len > 0) {
		put_key(&o, "client", &first);
		put_str(&o, e->client, e->client_len);
	}
	put_key(&o, "pid", &first);
	put_u64(&o, e->pid);
	put_key(&o, "uid", &first);
	put_u64(&o, e->uid);
	if (e->n_secrets > 0) {
		put_key(&o, "secrets", &first);
		put(&o, "[", 1);
		for (i = 0; i < e->n_secrets; i++) {
			if (i > 0)
				put(&o, ",", 1);
			put(&o, "\"", 1);
			put_hex(&o, e->secrets[i], SC_MAC_LEN);
			put(&o, "\"", 1);
		}
		put(&o, "]", 1);
	}
	if (e->cmd_len > 0) {
		put_key(&o, "cmd", &first);
		put_str(&o, e->cmd, e->cmd_len);
	}
	put_key(&o, "result", &first);
	puts_(&o, "\"");
	puts_(&o, results[e->result]);
	puts_(&o, "\"");
	if (e->code[0] != '\0') {
		put_key(&o, "code", &first);
		put_str(&o, e->code, strlen(e->code));
	}
	if (e->late) {
		put_key(&o, "late", &first);
		puts_(&o, "true");
	}
	if (e->kind != SC_AUDIT_PENDING) {
		put_key(&o, "prev", &first);
		put(&o, "\"", 1);
		put_hex(&o, e->prev, SC_MAC_LEN);
		put(&o, "\"", 1);
		put_key(&o, "mac", &first);
		put(&o, "\"", 1);
		put_hex(&o, e->mac, SC_MAC_LEN);
		put(&o, "\"", 1);
	}
	put(&o, "}\n", 2);
	if (o.over || o.n > SC_AUDIT_LINE_MAX)
		return SC_ERR_TOOBIG;
	buf[o.n] = '\0';
	*len = o.n;
	return SC_OK;
}

/* ---- the line format: parsing ---- */

enum key {
	K_PENDING,
	K_SEQ,
	K_TS,
	K_OP,
	K_SRC,
	K_CLIENT,
	K_PID,
	K_UID,
	K_SECRETS,
	K_CMD,
	K_RESULT,
	K_CODE,
	K_LATE,
	K_PREV,
	K_MAC,
	K_COUNT
};

static const char *const keys[K_COUNT] = {"pending", "seq",  "ts",   "op",      "src",
                                          "client",  "pid",  "uid",  "secrets", "cmd",
                                          "result",  "code", "late", "prev",    "mac"};

struct parser {
	const char *p, *end;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A JSON string in our subset, decoded into out (at most max bytes). */
static int p_str(struct parser *ps, char *out, size_t max, size_t *len)
{
	const char *p = ps->p;
	size_t n = 0;

	if (p >= ps->end || *p != '"')
		return -1;
	p++;
	for (;;) {
		unsigned char ch;

		if (p >= ps->end)
			return -1;
		ch = (unsigned char)*p++;
		if (ch == '"')
			break;
		if (ch < 0x20 || ch >= 0x7f)
			return -1;
		if (ch == '\\') {
			if (p >= ps->end)
				return -1;
			ch = (unsigned char)*p++;
			if (ch == 'u') {
				int a, b;

				if (ps->end - p < 4 || p[0] != '0' || p[1] != '0')
					return -1;
				a = hexval(p[2]);
				b = hexval(p[3]);
				if (a < 0 || b < 0)
					return -1;
				ch = (unsigned char)(a << 4 | b);
				/* canonical: only what must be escaped is */
				if (ch >= 0x20 && ch < 0x7f)
					return -1;
				p += 4;
			} else if (ch != '"' && ch != '\\') {
				return -1;
			}
		}
		if (n == max)
			return -1;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	*len = n;
	ps->p = p;
	return 0;
}

/* A string that must be one of the names in tab; returns its index. */
static int p_enum(struct parser *ps, const char *const *tab, size_t ntab)
{
	char buf[16];
	size_t n, i;

	if (p_str(ps, buf, sizeof(buf) - 1, &n) != 0)
		return -1;
	for (i = 0; i < ntab; i++)
		if (strcmp(buf, tab[i]) == 0)
			return (int)i;
	return -1;
}

static int p_u64(struct parser *ps, uint64_t max, uint64_t *out)
{
	const char *p = ps->p;
	uint64_t v = 0;

	if (p >= ps->end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0' && p + 1 < ps->end && p[1] >= '0' && p[1] <= '9')
		return -1; /* no leading zeros */
	while (p < ps->end && *p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');

		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
		p++;
	}
	*out = v;
	ps->p = p;
	return 0;
}

/* Lower-case hex digit values plus one; 0 marks anything else. The
 * verifier decodes three or more of these per entry: no branches per digit. */
static const uint8_t hex1[256] = {
    ['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

static int p_hex32(struct parser *ps, uint8_t out[SC_MAC_LEN])
{
	const unsigned char *p = (const unsigned char *)ps->p;
	unsigned bad = 0;
	int i;

	if (ps->end - ps->p < 2 * SC_MAC_LEN + 2 || p[0] != '"' || p[2 * SC_MAC_LEN + 1] != '"')
		return -1;
	p++;
	for (i = 0; i < SC_MAC_LEN; i++) {
		unsigned a = hex1[p[2 * i]], b = hex1[p[2 * i + 1]];

		bad |= (a == 0) | (b == 0);
		out[i] = (uint8_t)((a - 1) << 4 | (b - 1));
	}
	if (bad)
		return -1;
	ps->p += 2 * SC_MAC_LEN + 2;
	return 0;
}

static int p_lit(struct parser *ps, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0)
		return -1;
	ps->p += n;
	return 0;
}

static int op_valid(const char *op)
{
	size_t i;

	if (op[0] < 'a' || op[0] > 'z')
		return 0;
	for (i = 1; op[i] != '\0'; i++)
		if (!((op[i] >= 'a' && op[i] <= 'z') || (op[i] >= '0' && op[i] <= '9') ||
		      op[i] == '.' || op[i] == '_' || op[i] == '-'))
			return 0;
	return i <= SC_AUDIT_OP_MAX;
}

static int code_valid(const char *c)
{
	size_t i;

	for (i = 0; c[i] != '\0'; i++)
		if (!((c[i] >= 'a' && c[i] <= 'z') || c[i] == '_'))
			return 0;
	return i > 0 && i <= SC_AUDIT_CODE_MAX;
}

/* The key at ps->p, which must come after `after` in the fixed order. */
static int p_key(struct parser *ps, int after)
{
	const char *p = ps->p, *q;
	int k;

	if (p >= ps->end || *p != '"')
		return -1;
	q = memchr(p + 1, '"', (size_t)(ps->end - p - 1));
	if (q == NULL || q + 1 >= ps->end || q[1] != ':')
		return -1;
	for (k = after + 1; k < K_COUNT; k++)
		if ((size_t)(q - p - 1) == strlen(keys[k]) &&
		    memcmp(p + 1, keys[k], (size_t)(q - p - 1)) == 0)
			break;
	if (k == K_COUNT)
		return -1; /* unknown, repeated or out of order */
	ps->p = q + 2;
	return k;
}

static int parse_fail(const char *what)
{
	sc_set_error("%s", what);
	return SC_ERR_CORRUPT;
}

int sc_audit_parse_line(const char *line, size_t len, struct sc_audit_entry *e)
{
	struct parser ps = {line, line + len};
	unsigned seen = 0;
	int last = -1, k;
	size_t n;
	uint64_t v;

	if (len > SC_AUDIT_LINE_MAX)
		return parse_fail("line too long");
	e->kind = SC_AUDIT_ENTRY;
	e->seq = 0;
	e->client[0] = e->cmd[0] = e->code[0] = e->op[0] = '\0';
	e->client_len = e->cmd_len = e->n_secrets = 0;
	e->late = 0;
	if (p_lit(&ps, "{") != 0)
		return parse_fail("not a JSON object");
	while (ps.p < ps.end && *ps.p != '}') {
		if (last >= 0 && p_lit(&ps, ",") != 0)
			return parse_fail("expected ','");
		if ((k = p_key(&ps, last)) < 0)
			return parse_fail("unknown, repeated or misplaced key");
		last = k;
		seen |= 1u << k;
		switch (k) {
		case K_PENDING:
			if (p_lit(&ps, "true") != 0)
				return parse_fail("bad 'pending'");
			e->kind = SC_AUDIT_PENDING;
			break;
		case K_SEQ:
			if (p_u64(&ps, INT64_MAX, &e->seq) != 0 || e->seq == 0)
				return parse_fail("bad 'seq'");
			break;
		case K_TS: {
			char ts[TS_LEN + 1];

			if (p_str(&ps, ts, TS_LEN, &n) != 0 || parse_ts(ts, n, &e->ts_ms) != 0)
				return parse_fail("bad 'ts'");
			break;
		}
		case K_OP:
			if (p_str(&ps, e->op, SC_AUDIT_OP_MAX, &n) != 0 || !op_valid(e->op))
				return parse_fail("bad 'op'");
			break;
		case K_SRC:
			if ((e->source = p_enum(&ps, sources, NSOURCES)) < 0)
				return parse_fail("bad 'src'");
			break;
		case K_CLIENT:
			if (p_str(&ps, e->client, SC_AUDIT_CLIENT_MAX, &e->client_len) != 0 ||
			    e->client_len == 0)
				return parse_fail("bad 'client'");
			break;
		case K_PID:
		case K_UID:
			if (p_u64(&ps, UINT32_MAX, &v) != 0)
				return parse_fail("bad 'pid' or 'uid'");
			*(k == K_PID ? &e->pid : &e->uid) = (uint32_t)v;
			break;
		case K_SECRETS:
			if (p_lit(&ps, "[") != 0)
				return parse_fail("bad 'secrets'");
			do {
				if (e->n_secrets == SC_AUDIT_SECRETS_MAX ||
				    p_hex32(&ps, e->secrets[e->n_secrets]) != 0)
					return parse_fail("bad 'secrets'");
				e->n_secrets++;
			} while (p_lit(&ps, ",") == 0);
			if (p_lit(&ps, "]") != 0)
				return parse_fail("bad 'secrets'");
			break;
		case K_CMD:
			if (p_str(&ps, e->cmd, SC_AUDIT_CMD_MAX, &e->cmd_len) != 0 ||
			    e->cmd_len == 0)
				return parse_fail("bad 'cmd'");
			break;
		case K_RESULT:
			if ((e->result = p_enum(&ps, results, NRESULTS)) < 0)
				return parse_fail("bad 'result'");
			break;
		case K_CODE:
			if (p_str(&ps, e->code, SC_AUDIT_CODE_MAX, &n) != 0 || !code_valid(e->code))
				return parse_fail("bad 'code'");
			break;
		case K_LATE:
			if (p_lit(&ps, "true") != 0)
				return parse_fail("bad 'late'");
			e->late = 1;
			break;
		case K_PREV:
		case K_MAC:
			if (p_hex32(&ps, k == K_PREV ? e->prev : e->mac) != 0)
				return parse_fail("bad 'prev' or 'mac'");
			break;
		default:
			return parse_fail("unknown key");
		}
	}
	if (p_lit(&ps, "}") != 0 || ps.p != ps.end)
		return parse_fail("trailing bytes after the object");
#define HAS(k) ((seen >> (k)) & 1u)
	if (!HAS(K_TS) || !HAS(K_OP) || !HAS(K_SRC) || !HAS(K_PID) || !HAS(K_UID) || !HAS(K_RESULT))
		return parse_fail("a required key is missing");
	if (e->kind == SC_AUDIT_PENDING) {
		if (HAS(K_SEQ) || HAS(K_LATE) || HAS(K_PREV) || HAS(K_MAC))
			return parse_fail("a pending line carries chain keys");
		memset(e->prev, 0, SC_MAC_LEN);
		memset(e->mac, 0, SC_MAC_LEN);
	} else {
		if (!HAS(K_SEQ) || !HAS(K_PREV) || !HAS(K_MAC))
			return parse_fail("a chain key is missing");
		if (strcmp(e->op, "checkpoint") == 0)
			e->kind = SC_AUDIT_CHECKPOINT;
	}
#undef HAS
	if ((e->result == SC_AUDIT_OK) != (e->code[0] == '\0'))
		return parse_fail("'code' goes with a failed result only");
	return SC_OK;
}

/* ---- the MAC ---- */

static void enc_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void enc_u64(uint8_t *p, uint64_t v)
{
	enc_u32(p, (uint32_t)(v >> 32));
	enc_u32(p + 4, (uint32_t)v);
}

static size_t enc_bytes(uint8_t *p, const void *s, size_t n)
{
	enc_u32(p, (uint32_t)n);
	memcpy(p + 4, s, n);
	return 4 + n;
}

/* Every field, each length-prefixed, in a fixed order, then the previous
 * MAC: no two different entries encode alike. */
static size_t encode(const struct sc_audit_entry *e, uint8_t *b)
{
	size_t k = 0;

	memcpy(b, MAC_DOMAIN, sizeof(MAC_DOMAIN));
	k += sizeof(MAC_DOMAIN);
	b[k++] = (uint8_t)e->kind;
	enc_u64(b + k, e->seq);
	k += 8;
	enc_u64(b + k, (uint64_t)e->ts_ms);
	k += 8;
	k += enc_bytes(b + k, e->op, strlen(e->op));
	k += enc_bytes(b + k, sources[e->source], strlen(sources[e->source]));
	k += enc_bytes(b + k, e->client, e->client_len);
	enc_u32(b + k, e->pid);
	enc_u32(b + k + 4, e->uid);
	k += 8;
	k += enc_bytes(b + k, e->secrets, e->n_secrets * SC_MAC_LEN);
	k += enc_bytes(b + k, e->cmd, e->cmd_len);
	k += enc_bytes(b + k, results[e->result], strlen(results[e->result]));
	k += enc_bytes(b + k, e->code, strlen(e->code));
	b[k++] = (uint8_t)(e->late != 0);
	memcpy(b + k, e->prev, SC_MAC_LEN);
	return k + SC_MAC_LEN;
}

/* HMAC-SHA-256 with the padded key blocks hashed once, so each entry costs
 * two context copies and the hashing of its own bytes. */
struct mac_ctx {
	EVP_MD_CTX *inner, *outer, *work;
	uint8_t *enc; /* ENC_MAX bytes */
};

static void mac_ctx_release(struct mac_ctx *m)
{
	EVP_MD_CTX_free(m->inner);
	EVP_MD_CTX_free(m->outer);
	EVP_MD_CTX_free(m->work);
	free(m->enc);
	memset(m, 0, sizeof(*m));
}

static int mac_ctx_init(struct mac_ctx *m, const uint8_t key[SC_KEY_LEN])
{
	uint8_t pad[64];
	int i, ok;

	memset(m, 0, sizeof(*m));
	m->inner = EVP_MD_CTX_new();
	m->outer = EVP_MD_CTX_new();
	m->work = EVP_MD_CTX_new();
	m->enc = malloc(ENC_MAX);
	if (m->inner == NULL || m->outer == NULL || m->work == NULL || m->enc == NULL) {
		mac_ctx_release(m);
		return SC_ERR_NOMEM;
	}
	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < SC_KEY_LEN; i++)
		pad[i] ^= key[i];
	ok = EVP_DigestInit_ex(m->inner, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(m->inner, pad, sizeof(pad));
	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < SC_KEY_LEN; i++)
		pad[i] ^= key[i];
	ok = ok && EVP_DigestInit_ex(m->outer, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(m->outer, pad, sizeof(pad));
	sc_wipe(pad, sizeof(pad));
	if (!ok) {
		mac_ctx_release(m);
		return SC_ERR_CRYPTO;
	}
	return SC_OK;
}

static int mac_entry(struct mac_ctx *m, const struct sc_audit_entry *e, uint8_t out[SC_MAC_LEN])
{
	uint8_t ih[SC_MAC_LEN];
	unsigned int n = 0;
	size_t len;

	if (e->source < 0 || (size_t)e->source >= NSOURCES || e->result < 0 ||
	    (size_t)e->result >= NRESULTS || e->n_secrets > SC_AUDIT_SECRETS_MAX ||
	    e->client_len > SC_AUDIT_CLIENT_MAX || e->cmd_len > SC_AUDIT_CMD_MAX ||
	    strlen(e->op) > SC_AUDIT_OP_MAX || strlen(e->code) > SC_AUDIT_CODE_MAX)
		return SC_ERR_INVALID;
	len = encode(e, m->enc);
	if (!EVP_MD_CTX_copy_ex(m->work, m->inner) || !EVP_DigestUpdate(m->work, m->enc, len) ||
	    !EVP_DigestFinal_ex(m->work, ih, &n) || !EVP_MD_CTX_copy_ex(m->work, m->outer) ||
	    !EVP_DigestUpdate(m->work, ih, sizeof(ih)) || !EVP_DigestFinal_ex(m->work, out, &n))
		return SC_ERR_CRYPTO;
	return SC_OK;
}

int sc_audit_mac(const uint8_t key[SC_KEY_LEN], const struct sc_audit_entry *e,
                 uint8_t out[SC_MAC_LEN])
{
	struct mac_ctx m;
	int r;

	if ((r = mac_ctx_init(&m, key)) != SC_OK)
		return r;
	r = mac_entry(&m, e, out);
	mac_ctx_release(&m);
	return r;
}

/* ---- the file: opening, locking ---- */

static char *log_path(const char *dir)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, SC_AUDIT_FILE) < 0)
		return NULL;
	return p;
}

static int check_fd(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		sc_set_error("'%s': %s", path, strerror(errno));
		return SC_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		sc_set_error("'%s' is not a regular file", path);
		return SC_ERR_PERM;
	}
	if (st.st_uid != geteuid()) {
		sc_set_error("'%s' is owned by uid %u, not by you", path, (unsigned)st.st_uid);
		return SC_ERR_PERM;
	}
	if ((st.st_mode & 077) != 0) {
		sc_set_error("'%s' is accessible by group or others; fix with: chmod 600 '%s'",
		             path, path);
		return SC_ERR_PERM;
	}
	return SC_OK;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = SC_OK;

	if (fd < 0 || fsync(fd) != 0) {
		sc_set_error("cannot sync '%s': %s", dir, strerror(errno));
		r = SC_ERR_IO;
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/* Open the log and lock it (LOCK_EX or LOCK_SH). A prune renames a new file
 * into place while others may wait for the old one's lock; whoever gets a
 * lock checks that its file is still the one at the path. *fd is -1 when the
 * log does not exist and create is not set. */
static int log_open(const char *dir, int create, int lock, int *fd, int *created)
{
	char *path = log_path(dir);
	struct stat a, b;
	int tries, f = -1, r = SC_ERR_BUSY, mode = lock == LOCK_EX ? O_RDWR | O_APPEND : O_RDONLY;

	*fd = -1;
	if (created != NULL)
		*created = 0;
	if (path == NULL)
		return SC_ERR_NOMEM;
	for (tries = 0; tries < 100; tries++) {
		f = open(path, mode | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
		if (f < 0 && errno == ENOENT && create) {
			f = open(path, mode | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
			         0600);
			if (f < 0 && errno == EEXIST)
				continue;
			if (f >= 0 && created != NULL)
				*created = 1;
		}
		if (f < 0) {
			if (errno == ENOENT && !create) {
				r = SC_OK;
				goto out;
			}
			r = errno == ELOOP ? SC_ERR_PERM : SC_ERR_IO;
			sc_set_error("'%s': %s", path,
			             errno == ELOOP ? "is a symbolic link; refused"
			                            : strerror(errno));
			goto out;
		}
		if ((r = check_fd(f, path)) != SC_OK)
			goto out;
		while (flock(f, lock) != 0) {
			if (errno != EINTR) {
				sc_set_error("cannot lock '%s': %s", path, strerror(errno));
				r = SC_ERR_IO;
				goto out;
			}
		}
		if (fstat(f, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			*fd = f;
			f = -1;
			r = SC_OK;
			goto out;
		}
		close(f); /* replaced while we waited: take the new one */
		f = -1;
		if (created != NULL)
			*created = 0;
	}
	sc_set_error("'%s' keeps being replaced", path);
	r = SC_ERR_BUSY;
out:
	if (f >= 0)
		close(f);
	free(path);
	return r;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			sc_set_error("cannot write the audit log: %s",
			             k < 0 ? strerror(errno) : "short write");
			return SC_ERR_IO;
		}
		p += k;
		n -= (size_t)k;
	}
	return SC_OK;
}

static int pread_all(int fd, char *buf, size_t n, off_t off)
{
	while (n > 0) {
		ssize_t k = pread(fd, buf, n, off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			sc_set_error("cannot read the audit log: %s",
			             k < 0 ? strerror(errno) : "file changed while reading");
			return SC_ERR_IO;
		}
		buf += k;
		n -= (size_t)k;
		off += k;
	}
	return SC_OK;
}

/* The side file of failed unlocks: opened (created when asked) and checked
 * like the log. The caller holds the log's lock. *fd is -1 when absent. */
static int pending_open(const char *dir, int create, int *fd, int *created)
{
	char *path;
	int f, r;

	*fd = -1;
	*created = 0;
	if (asprintf(&path, "%s/%s", dir, SC_AUDIT_PENDING_FILE) < 0)
		return SC_ERR_NOMEM;
	f = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (f < 0 && errno == ENOENT && create) {
		f = open(path,
		         O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
		         0600);
		*created = f >= 0;
	}
	if (f < 0) {
		r = errno == ENOENT ? SC_OK : errno == ELOOP ? SC_ERR_PERM : SC_ERR_IO;
		if (r != SC_OK)
			sc_set_error("'%s': %s", path,
			             errno == ELOOP ? "is a symbolic link; refused"
			                            : strerror(errno));
		free(path);
		return r;
	}
	if ((r = check_fd(f, path)) != SC_OK) {
		close(f);
		free(path);
		return r;
	}
	free(path);
	*fd = f;
	return SC_OK;
}

/* ---- the file: reading forward ---- */

struct lines {
	int fd;
	char *buf; /* READ_CHUNK + SC_AUDIT_LINE_MAX + 1 */
	size_t start, n;
	int eof;
	uint64_t lineno;
	off_t off; /* file offset of the next line */
};

static int lines_init(struct lines *l, int fd)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	if ((l->buf = malloc(READ_CHUNK + SC_AUDIT_LINE_MAX + 2)) == NULL)
		return SC_ERR_NOMEM;
	if (fd < 0)
		l->eof = 1;
	return SC_OK;
}

static void lines_release(struct lines *l)
{
	free(l->buf);
	l->buf = NULL;
}

/* The next line without its newline. SC_OK with *complete 0 for a last line
 * with no newline (an interrupted append); SC_ERR_NOT_FOUND at the end;
 * SC_ERR_TOOBIG for a line over the limit. */
static int lines_next(struct lines *l, const char **line, size_t *len, int *complete)
{
	char *nl;

	for (;;) {
		nl = l->n > 0 ? memchr(l->buf + l->start, '\n', l->n) : NULL;
		if (nl != NULL) {
			*line = l->buf + l->start;
			*len = (size_t)(nl - *line);
			*complete = 1;
			l->start += *len + 1;
			l->n -= *len + 1;
			l->lineno++;
			l->off += (off_t)*len + 1;
			return *len > SC_AUDIT_LINE_MAX ? SC_ERR_TOOBIG : SC_OK;
		}
		if (l->n > SC_AUDIT_LINE_MAX) {
			l->lineno++;
			return SC_ERR_TOOBIG;
		}
		if (l->eof) {
			if (l->n == 0)
				return SC_ERR_NOT_FOUND;
			*line = l->buf + l->start;
			*len = l->n;
			*complete = 0;
			l->start += l->n;
			l->off += (off_t)l->n;
			l->n = 0;
			l->lineno++;
			return SC_OK;
		}
		if (l->start > 0) {
			memmove(l->buf, l->buf + l->start, l->n);
			l->start = 0;
		}
		for (;;) {
			ssize_t k = read(l->fd, l->buf + l->n, READ_CHUNK);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				sc_set_error("cannot read the audit log: %s", strerror(errno));
				return SC_ERR_IO;
			}
			if (k == 0)
				l->eof = 1;
			l->n += (size_t)k;
			break;
		}
	}
}

/* How many failed unlocks wait in audit.pending (for reports only). */
static uint64_t count_pending(const char *dir)
{
	struct lines l;
	const char *line;
	size_t len;
	uint64_t n = 0;
	int fd, created, complete;

	if (pending_open(dir, 0, &fd, &created) != SC_OK || fd < 0)
		return 0;
	if (lines_init(&l, fd) == SC_OK) {
		while (lines_next(&l, &line, &len, &complete) != SC_ERR_NOT_FOUND)
			n++;
		lines_release(&l);
	}
	close(fd);
	sc_clear_error();
	return n;
}

/* ---- verification ---- */

static int bad(struct sc_audit_report *rep, uint64_t line, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(struct sc_audit_report *rep, uint64_t line, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	rep->bad_line = line;
	rep->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(rep->why, sizeof(rep->why), fmt, ap);
	va_end(ap);
	return SC_ERR_CORRUPT;
}

int sc_audit_verify_fd(int fd, const uint8_t key[SC_KEY_LEN], const struct sc_audit_anchor *anchor,
                       struct sc_audit_report *rep)
{
	struct lines l;
	struct mac_ctx m;
	struct sc_audit_entry *e = NULL;
	uint8_t expect_prev[SC_MAC_LEN], mac[SC_MAC_LEN], head_mac[SC_MAC_LEN];
	uint64_t expect_seq = 1, head_seq = 0;
	int anchor_seen = anchor->seq == 0 && CRYPTO_memcmp(anchor->mac, zero_mac, SC_MAC_LEN) == 0;
	int r, complete, started = 0;
	const char *line;
	size_t len;

	memset(rep, 0, sizeof(*rep));
	rep->anchor_seq = anchor->seq;
	memset(expect_prev, 0, sizeof(expect_prev));
	memset(head_mac, 0, sizeof(head_mac));
	if ((r = lines_init(&l, fd)) != SC_OK)
		return r;
	if ((r = mac_ctx_init(&m, key)) != SC_OK) {
		lines_release(&l);
		return r;
	}
	if ((e = malloc(sizeof(*e))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		r = lines_next(&l, &line, &len, &complete);
		if (r == SC_ERR_NOT_FOUND)
			break;
		if (r == SC_ERR_TOOBIG) {
			r = bad(rep, l.lineno, 0, "line longer than %d bytes", SC_AUDIT_LINE_MAX);
			goto out;
		}
		if (r != SC_OK)
			goto out;
		if (!complete) {
			/* an append cut short before its newline: never acknowledged */
			rep->torn_tail = 1;
			break;
		}
		if (sc_audit_parse_line(line, len, e) != SC_OK) {
			r = bad(rep, l.lineno, 0, "line does not parse (%s)", sc_last_error());
			sc_clear_error();
			goto out;
		}
		if (e->kind == SC_AUDIT_PENDING) {
			/* failed unlocks wait in audit.pending, never here */
			r = bad(rep, l.lineno, 0, "a line without a MAC");
			goto out;
		}
		if ((r = mac_entry(&m, e, mac)) != SC_OK)
			goto out;
		if (e->kind == SC_AUDIT_CHECKPOINT) {
			if (started) {
				r = bad(rep, l.lineno, e->seq,
				        "a checkpoint in the middle of the log");
				goto out;
			}
			if (CRYPTO_memcmp(mac, e->mac, SC_MAC_LEN) != 0) {
				r = bad(rep, l.lineno, e->seq,
				        "the checkpoint's MAC does not match: altered or forged");
				goto out;
			}
			rep->checkpoint = 1;
			expect_seq = e->seq + 1;
			memcpy(expect_prev, e->prev, SC_MAC_LEN);
			head_seq = e->seq;
			memcpy(head_mac, e->prev, SC_MAC_LEN);
		} else {
			if (e->seq != expect_seq) {
				r = bad(rep, l.lineno, e->seq,
				        !started && e->seq > 1
				            ? "the log starts at entry %llu, without a checkpoint: "
				              "earlier entries were removed"
				            : "entry %llu out of sequence: entries removed, "
				              "reordered or duplicated",
				        (unsigned long long)e->seq);
				goto out;
			}
			if (CRYPTO_memcmp(e->prev, expect_prev, SC_MAC_LEN) != 0) {
				r = bad(rep, l.lineno, e->seq,
				        "'prev' does not match the MAC of the entry before it");
				goto out;
			}
			if (CRYPTO_memcmp(mac, e->mac, SC_MAC_LEN) != 0) {
				r = bad(rep, l.lineno, e->seq,
				        "the MAC does not match: the entry was altered");
				goto out;
			}
			if (!started || rep->first_seq == 0)
				rep->first_seq = e->seq;
			expect_seq = e->seq + 1;
			memcpy(expect_prev, mac, SC_MAC_LEN);
			head_seq = e->seq;
			memcpy(head_mac, mac, SC_MAC_LEN);
		}
		started = 1;
		rep->entries++;
		if (head_seq == anchor->seq &&
		    CRYPTO_memcmp(head_mac, anchor->mac, SC_MAC_LEN) == 0)
			anchor_seen = 1;
	}
	rep->last_seq = head_seq;
	if (head_seq < anchor->seq) {
		r = bad(rep, 0, head_seq + 1,
		        "truncated: the log ends at entry %llu but the vault's anchor is at entry "
		        "%llu",
		        (unsigned long long)head_seq, (unsigned long long)anchor->seq);
		goto out;
	}
	if (!anchor_seen) {
		r = bad(rep, 0, anchor->seq,
		        "the vault's anchor (entry %llu) is not in this log: the log was replaced "
		        "or rewritten",
		        (unsigned long long)anchor->seq);
		goto out;
	}
	rep->lag = head_seq - anchor->seq;
	r = SC_OK;
out:
	free(e);
	mac_ctx_release(&m);
	lines_release(&l);
	return r;
}

int sc_audit_verify(struct sc_vault *v, struct sc_audit_report *rep)
{
	struct sc_audit_anchor anchor;
	uint8_t *key = NULL;
	int fd = -1, r;

	memset(rep, 0, sizeof(*rep));
	if ((key = sc_secmem_alloc(SC_KEY_LEN)) == NULL)
		return SC_ERR_NOMEM;
	if ((r = sc_vault_audit_key(v, key)) != SC_OK)
		goto out;
	/* a shared lock: no append is half done (entry written, anchor not yet
	 * advanced) while we look */
	if ((r = log_open(sc_vault_dir(v), 0, LOCK_SH, &fd, NULL)) != SC_OK)
		goto out;
	if ((r = sc_vault_anchor_get(v, &anchor)) != SC_OK)
		goto out;
	r = sc_audit_verify_fd(fd, key, &anchor, rep);
	if (r == SC_OK || r == SC_ERR_CORRUPT)
		rep->pending = count_pending(sc_vault_dir(v));
out:
	if (fd >= 0)
		close(fd);
	sc_secmem_free(key);
	return r;
}

/* ---- appending ---- */

/* What an appender needs to know about the end of the log. */
struct tail {
	off_t size;       /* file size */
	off_t end;        /* end of the last complete line */
	off_t head_start; /* start of the newest chained line, -1 if none found */
	int bad;          /* a line at the end does not parse */
};

/* The line that ends just before `end` (which follows a newline). */
static int line_before(int fd, off_t end, char *buf, off_t *start, size_t *len)
{
	size_t want = end < 1024 ? (size_t)end : 1024;
	char *nl;

	for (;;) {
		int r = pread_all(fd, buf, want, end - (off_t)want);

		if (r != SC_OK)
			return r;
		nl = want > 1 ? memrchr(buf, '\n', want - 1) : NULL;
		if (nl != NULL) {
			*start = end - (off_t)want + (nl - buf) + 1;
			break;
		}
		if ((off_t)want == end) {
			*start = 0;
			break;
		}
		if (want >= SC_AUDIT_LINE_MAX + 1)
			return SC_ERR_TOOBIG;
		want = end < SC_AUDIT_LINE_MAX + 1 ? (size_t)end : SC_AUDIT_LINE_MAX + 1;
	}
	*len = (size_t)(end - *start - 1);
	memmove(buf, buf + want - *len - 1, *len);
	return SC_OK;
}

static int read_entry_before(int fd, off_t end, char *buf, off_t *start, struct sc_audit_entry *e)
{
	size_t len;
	int r;

	if ((r = line_before(fd, end, buf, start, &len)) != SC_OK)
		return r;
	r = sc_audit_parse_line(buf, len, e);
	if (r != SC_OK)
		sc_clear_error();
	return r;
}

static int scan_tail(int fd, char *buf, struct sc_audit_entry *e, struct tail *t)
{
	struct stat st;
	off_t start;
	char last;
	int r;

	memset(t, 0, sizeof(*t));
	t->head_start = -1;
	if (fstat(fd, &st) != 0)
		return SC_ERR_IO;
	t->size = st.st_size;
	t->end = st.st_size;
	if (t->size > 0) {
		if ((r = pread_all(fd, &last, 1, t->size - 1)) != SC_OK)
			return r;
		if (last != '\n') {
			/* a torn last line: find where it starts */
			size_t len;
			off_t s;
			char *nl;
			size_t want = t->size < SC_AUDIT_LINE_MAX + 1 ? (size_t)t->size
			                                              : SC_AUDIT_LINE_MAX + 1;

			if ((r = pread_all(fd, buf, want, t->size - (off_t)want)) != SC_OK)
				return r;
			nl = memrchr(buf, '\n', want);
			if (nl == NULL && (off_t)want < t->size) {
				t->bad = 1; /* a torn line longer than any line may be */
				t->end = t->size;
				return SC_OK;
			}
			len = nl == NULL ? want : want - (size_t)(nl - buf) - 1;
			s = t->size - (off_t)len;
			t->end = s;
		}
	}
	if (t->end > 0) {
		if (read_entry_before(fd, t->end, buf, &start, e) != SC_OK ||
		    e->kind == SC_AUDIT_PENDING)
			t->bad = 1; /* the end does not parse: leave it for verify */
		else
			t->head_start = start;
	}
	return SC_OK;
}

/* Where the next entry chains from: the file's head when it is the anchored
 * entry or a valid continuation of it (the anchor lags after an append cut
 * short between fsync and the anchor update); otherwise the anchor itself,
 * so that whatever was done to the file stays visible to verify. */
static int chain_base(int fd, char *buf, struct mac_ctx *m, const struct tail *t,
                      const struct sc_audit_anchor *anchor, struct sc_audit_entry *e,
                      struct sc_audit_entry *f, uint64_t *seq, uint8_t mac[SC_MAC_LEN])
{
	uint8_t calc[SC_MAC_LEN], head_mac[SC_MAC_LEN];
	uint64_t head_seq;
	off_t start;
	int steps, r;

	*seq = anchor->seq;
	memcpy(mac, anchor->mac, SC_MAC_LEN);
	if (t->bad)
		return SC_OK;
	if (t->head_start < 0) /* no chained line at all */
		return SC_OK;
	if ((r = read_entry_before(fd, t->end, buf, &start, e)) != SC_OK)
		return SC_OK;
	head_seq = e->seq;
	memcpy(head_mac, e->kind == SC_AUDIT_CHECKPOINT ? e->prev : e->mac, SC_MAC_LEN);
	if (head_seq < anchor->seq)
		return SC_OK;
	if (head_seq == anchor->seq)
		return SC_OK; /* same seq: the anchor's MAC is the truth either way */
	/* the anchor lags: walk back to the anchored entry, checking each link */
	for (steps = 0; steps < LAG_WALK_MAX; steps++) {
		if (e->kind == SC_AUDIT_CHECKPOINT) {
			if (e->seq != anchor->seq ||
			    sc_memcmp_ct(e->prev, anchor->mac, SC_MAC_LEN) != 0)
				return SC_OK;
			break;
		}
		if ((r = mac_entry(m, e, calc)) != SC_OK)
			return r;
		if (sc_memcmp_ct(calc, e->mac, SC_MAC_LEN) != 0)
			return SC_OK;
		if (e->seq == anchor->seq) {
			if (sc_memcmp_ct(e->mac, anchor->mac, SC_MAC_LEN) != 0)
				return SC_OK;
			break;
		}
		if (e->seq == anchor->seq + 1 && anchor->seq == 0) {
			if (sc_memcmp_ct(e->prev, zero_mac, SC_MAC_LEN) != 0 ||
			    sc_memcmp_ct(anchor->mac, zero_mac, SC_MAC_LEN) != 0)
				return SC_OK;
			break;
		}
		if (start == 0 || read_entry_before(fd, start, buf, &start, f) != SC_OK ||
		    f->kind == SC_AUDIT_PENDING || f->seq + 1 != e->seq)
			return SC_OK;
		if (f->kind == SC_AUDIT_CHECKPOINT ? sc_memcmp_ct(f->prev, e->prev, SC_MAC_LEN) != 0
		                                   : sc_memcmp_ct(f->mac, e->prev, SC_MAC_LEN) != 0)
			return SC_OK;
		memcpy(e, f, sizeof(*e));
	}
	if (steps == LAG_WALK_MAX)
		return SC_OK;
	*seq = head_seq;
	memcpy(mac, head_mac, SC_MAC_LEN);
	return SC_OK;
}

static void fill_common(struct sc_audit_entry *e, const struct sc_audit_event *ev)
{
	const char *c;
	size_t n;

	e->source = ev->source;
	e->pid = (uint32_t)getpid();
	e->uid = (uint32_t)geteuid();
	e->late = 0;
	e->n_secrets = 0;
	e->client_len = 0;
	e->client[0] = '\0';
	if (ev->client != NULL) {
		n = strlen(ev->client);
		e->client_len = n > SC_AUDIT_CLIENT_MAX ? SC_AUDIT_CLIENT_MAX : n;
		memcpy(e->client, ev->client, e->client_len);
		e->client[e->client_len] = '\0';
	}
	e->cmd_len = 0;
	e->cmd[0] = '\0';
	if (ev->cmd != NULL) {
		c = strrchr(ev->cmd, '/');
		c = c != NULL && c[1] != '\0' ? c + 1 : ev->cmd;
		n = strlen(c);
		e->cmd_len = n > SC_AUDIT_CMD_MAX ? SC_AUDIT_CMD_MAX : n;
		memcpy(e->cmd, c, e->cmd_len);
		e->cmd[e->cmd_len] = '\0';
	}
	if (ev->status == SC_OK) {
		e->result = SC_AUDIT_OK;
		e->code[0] = '\0';
	} else {
		e->result = ev->status == SC_ERR_DENIED ? SC_AUDIT_DENIED : SC_AUDIT_ERROR;
		snprintf(e->code, sizeof(e->code), "%s", sc_audit_code(ev->status));
	}
}

static int event_valid(const struct sc_audit_event *ev)
{
	if (ev == NULL || ev->op == NULL || !op_valid(ev->op) ||
	    strcmp(ev->op, "checkpoint") == 0 || ev->source < 0 || (size_t)ev->source >= NSOURCES ||
	    (ev->n_names > 0 && ev->names == NULL))
		return SC_ERR_INVALID;
	if (ev->n_names > SC_AUDIT_SECRETS_MAX) {
		sc_set_error("more than %d secrets in one audit entry", SC_AUDIT_SECRETS_MAX);
		return SC_ERR_TOOBIG;
	}
	return SC_OK;
}

struct appender {
	char *line; /* SC_AUDIT_LINE_MAX + 2 */
	char *out;  /* what goes to the file in one write */
	size_t n, cap;
	struct sc_audit_entry *e, *f;
};

static int app_add(struct appender *a, struct mac_ctx *m, struct sc_audit_entry *e, uint64_t *seq,
                   uint8_t prev[SC_MAC_LEN])
{
	size_t len;
	char *nb;
	int r;

	e->seq = *seq + 1;
	memcpy(e->prev, prev, SC_MAC_LEN);
	if ((r = mac_entry(m, e, e->mac)) != SC_OK)
		return r;
	if ((r = sc_audit_format_line(e, a->line, SC_AUDIT_LINE_MAX + 2, &len)) != SC_OK)
		return r;
	if (a->cap - a->n < len) {
		size_t ncap = a->cap * 2 + len;

		if ((nb = realloc(a->out, ncap)) == NULL)
			return SC_ERR_NOMEM;
		a->out = nb;
		a->cap = ncap;
	}
	memcpy(a->out + a->n, a->line, len);
	a->n += len;
	*seq = e->seq;
	memcpy(prev, e->mac, SC_MAC_LEN);
	return SC_OK;
}

/* The body of append and fold, under the exclusive lock. ev may be NULL
 * (fold only). */
static int append_locked(struct sc_vault *v, int fd, int created, const struct sc_audit_event *ev,
                         size_t *folded)
{
	struct appender a = {0};
	struct mac_ctx m = {0};
	struct sc_audit_anchor anchor;
	struct tail t;
	struct lines l = {0};
	uint8_t *key = NULL, prev[SC_MAC_LEN];
	uint64_t seq;
	size_t i, nfold = 0;
	int r, pfd = -1, pcreated;

	if (folded != NULL)
		*folded = 0;
	a.line = malloc(SC_AUDIT_LINE_MAX + 2);
	a.e = malloc(sizeof(*a.e));
	a.f = malloc(sizeof(*a.f));
	key = sc_secmem_alloc(SC_KEY_LEN);
	if (a.line == NULL || a.e == NULL || a.f == NULL || key == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = sc_vault_audit_key(v, key)) != SC_OK || (r = mac_ctx_init(&m, key)) != SC_OK)
		goto out;
	if ((r = sc_vault_anchor_get(v, &anchor)) != SC_OK)
		goto out;
	if ((r = scan_tail(fd, a.line, a.e, &t)) != SC_OK)
		goto out;
	if ((r = chain_base(fd, a.line, &m, &t, &anchor, a.e, a.f, &seq, prev)) != SC_OK)
		goto out;

	/* failed unlocks waiting in audit.pending join the chain, marked late
	 * and with their own time; lines that do not parse are not ours */
	if ((r = pending_open(sc_vault_dir(v), 0, &pfd, &pcreated)) != SC_OK)
		goto out;
	if (pfd >= 0) {
		const char *line;
		size_t len;
		int complete;

		if ((r = lines_init(&l, pfd)) != SC_OK)
			goto out;
		while (nfold < PENDING_FOLD_MAX &&
		       lines_next(&l, &line, &len, &complete) != SC_ERR_NOT_FOUND) {
			if (!complete || sc_audit_parse_line(line, len, a.e) != SC_OK ||
			    a.e->kind != SC_AUDIT_PENDING) {
				sc_clear_error();
				continue;
			}
			a.e->kind = SC_AUDIT_ENTRY;
			a.e->late = 1;
			if ((r = app_add(&a, &m, a.e, &seq, prev)) != SC_OK)
				goto out;
			nfold++;
		}
	}
	if (ev != NULL) {
		memset(a.e, 0, sizeof(*a.e));
		a.e->kind = SC_AUDIT_ENTRY;
		a.e->ts_ms = now_ms();
		snprintf(a.e->op, sizeof(a.e->op), "%s", ev->op);
		fill_common(a.e, ev);
		for (i = 0; i < ev->n_names; i++)
			if ((r = sc_vault_blind_name(v, ev->names[i], a.e->secrets[i])) != SC_OK)
				goto out;
		a.e->n_secrets = ev->n_names;
		if ((r = app_add(&a, &m, a.e, &seq, prev)) != SC_OK)
			goto out;
	}
	if (a.n == 0 && t.end == t.size && pfd < 0) {
		r = SC_OK;
		goto out;
	}
	/* A torn last line is an append that never completed, so was never
	 * acknowledged: it goes (the only time the log shrinks outside a
	 * prune). One that is too long to be a line is ended and left for
	 * verify to report. */
	if (t.end < t.size) {
		if (!t.bad && ftruncate(fd, t.end) != 0) {
			sc_set_error("cannot truncate the audit log: %s", strerror(errno));
			r = SC_ERR_IO;
			goto out;
		}
		if (t.bad && (r = write_all(fd, "\n", 1)) != SC_OK)
			goto out;
	}
	if (a.n > 0 && (r = write_all(fd, a.out, a.n)) != SC_OK)
		goto out;
	if (fdatasync(fd) != 0) {
		sc_set_error("cannot sync the audit log: %s", strerror(errno));
		r = SC_ERR_IO;
		goto out;
	}
	if (created && (r = fsync_dir(sc_vault_dir(v))) != SC_OK)
		goto out;
	if (a.n > 0) {
		struct sc_audit_anchor na = {.seq = seq};

		memcpy(na.mac, prev, SC_MAC_LEN);
		if ((r = sc_vault_anchor_set(v, &na)) != SC_OK)
			goto out;
	}
	/* Only now are the failed unlocks in the chain. A crash before this
	 * truncate folds them again next time: recorded twice, never lost. */
	if (pfd >= 0 && (ftruncate(pfd, 0) != 0 || fdatasync(pfd) != 0)) {
		sc_set_error("cannot empty the audit's pending file: %s", strerror(errno));
		r = SC_ERR_IO;
		goto out;
	}
	if (folded != NULL)
		*folded = nfold;
	r = SC_OK;
out:
	if (pfd >= 0)
		close(pfd);
	lines_release(&l);
	mac_ctx_release(&m);
	sc_secmem_free(key);
	free(a.line);
	free(a.out);
	free(a.e);
	free(a.f);
	return r;
}

int sc_audit_append(struct sc_vault *v, const struct sc_audit_event *ev)
{
	int fd, created, r;

	if ((r = event_valid(ev)) != SC_OK)
		return r;
	if (!sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	if ((r = log_open(sc_vault_dir(v), 1, LOCK_EX, &fd, &created)) != SC_OK)
		return r;
	r = append_locked(v, fd, created, ev, NULL);
	close(fd);
	return r;
}

int sc_audit_fold(struct sc_vault *v, size_t *folded)
{
	int fd, r;

	if (folded != NULL)
		*folded = 0;
	if (!sc_vault_is_unlocked(v))
		return SC_ERR_LOCKED;
	if ((r = log_open(sc_vault_dir(v), 0, LOCK_EX, &fd, NULL)) != SC_OK || fd < 0)
		return r;
	r = append_locked(v, fd, 0, NULL, folded);
	close(fd);
	return r;
}

int sc_audit_append_pending(const char *vault_dir, const struct sc_audit_event *ev)
{
	struct sc_audit_entry *e = NULL;
	char *line = NULL, last;
	struct stat st;
	size_t len;
	int fd = -1, pfd = -1, created, pcreated, r;

	if ((r = event_valid(ev)) != SC_OK)
		return r;
	if (ev->n_names > 0)
		return SC_ERR_INVALID; /* no key to blind names with */
	e = calloc(1, sizeof(*e));
	line = malloc(SC_AUDIT_LINE_MAX + 2);
	if (e == NULL || line == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	e->kind = SC_AUDIT_PENDING;
	e->ts_ms = now_ms();
	snprintf(e->op, sizeof(e->op), "%s", ev->op);
	fill_common(e, ev);
	if ((r = sc_audit_format_line(e, line, SC_AUDIT_LINE_MAX + 2, &len)) != SC_OK)
		goto out;
	/* the log's lock guards the side file too */
	if ((r = log_open(vault_dir, 1, LOCK_EX, &fd, &created)) != SC_OK)
		goto out;
	if ((r = pending_open(vault_dir, 1, &pfd, &pcreated)) != SC_OK)
		goto out;
	/* a torn last line would swallow ours: end it (the fold skips it) */
	if (fstat(pfd, &st) == 0 && st.st_size > 0 &&
	    pread_all(pfd, &last, 1, st.st_size - 1) == SC_OK && last != '\n' &&
	    (r = write_all(pfd, "\n", 1)) != SC_OK)
		goto out;
	if ((r = write_all(pfd, line, len)) != SC_OK)
		goto out;
	if (fdatasync(pfd) != 0) {
		sc_set_error("cannot sync the audit's pending file: %s", strerror(errno));
		r = SC_ERR_IO;
		goto out;
	}
	if (created || pcreated)
		r = fsync_dir(vault_dir);
out:
	if (pfd >= 0)
		close(pfd);
	if (fd >= 0)
		close(fd);
	free(line);
	free(e);
	return r;
}

/* ---- pruning ---- */

int sc_audit_prune(struct sc_vault *v, int64_t before_ms, uint64_t *removed)
{
	struct sc_audit_report rep;
	struct sc_audit_anchor anchor;
	struct sc_audit_entry *e = NULL;
	struct mac_ctx m = {0};
	struct lines l = {0};
	uint8_t *key = NULL, last_mac[SC_MAC_LEN];
	uint64_t last_seq = 0, n = 0;
	off_t cut = 0;
	char *tmp = NULL, *line = NULL;
	const char *dir = sc_vault_dir(v), *s;
	size_t len;
	int fd = -1, out = -1, complete, r;

	if (removed != NULL)
		*removed = 0;
	if ((r = sc_audit_fold(v, NULL)) != SC_OK)
		return r;
	key = sc_secmem_alloc(SC_KEY_LEN);
	e = malloc(sizeof(*e));
	line = malloc(SC_AUDIT_LINE_MAX + 2);
	if (key == NULL || e == NULL || line == NULL) {
		r = SC_ERR_NOMEM;
		goto done;
	}
	if ((r = sc_vault_audit_key(v, key)) != SC_OK)
		goto done;
	if ((r = log_open(dir, 0, LOCK_EX, &fd, NULL)) != SC_OK || fd < 0)
		goto done;
	if ((r = sc_vault_anchor_get(v, &anchor)) != SC_OK)
		goto done;
	if ((r = sc_audit_verify_fd(fd, key, &anchor, &rep)) != SC_OK) {
		if (r == SC_ERR_CORRUPT)
			sc_set_error(
			    "the audit log does not verify (line %llu: %s); not pruning it",
			    (unsigned long long)rep.bad_line, rep.why);
		goto done;
	}
	/* the longest run of entries from the start older than the cut-off */
	if (lseek(fd, 0, SEEK_SET) < 0 || (r = lines_init(&l, fd)) != SC_OK) {
		r = r != SC_OK ? r : SC_ERR_IO;
		goto done;
	}
	while ((r = lines_next(&l, &s, &len, &complete)) == SC_OK && complete) {
		/* a checkpoint goes whatever its time: it is the prune before */
		if ((r = sc_audit_parse_line(s, len, e)) != SC_OK || e->kind == SC_AUDIT_PENDING ||
		    (e->kind == SC_AUDIT_ENTRY && e->ts_ms >= before_ms))
			break;
		if (e->kind == SC_AUDIT_ENTRY)
			n++;
		last_seq = e->seq;
		memcpy(last_mac, e->kind == SC_AUDIT_CHECKPOINT ? e->prev : e->mac, SC_MAC_LEN);
		cut = l.off;
	}
	sc_clear_error();
	if (cut == 0 || (n == 0 && rep.checkpoint)) {
		r = SC_OK; /* nothing older than the cut-off */
		goto done;
	}
	/* the checkpoint: where the chain resumes, MACed so it cannot be forged */
	memset(e, 0, sizeof(*e));
	e->kind = SC_AUDIT_CHECKPOINT;
	e->seq = last_seq;
	e->ts_ms = now_ms();
	snprintf(e->op, sizeof(e->op), "checkpoint");
	e->source = SC_AUDIT_SRC_CLI;
	e->pid = (uint32_t)getpid();
	e->uid = (uint32_t)geteuid();
	e->result = SC_AUDIT_OK;
	memcpy(e->prev, last_mac, SC_MAC_LEN);
	if ((r = mac_ctx_init(&m, key)) != SC_OK || (r = mac_entry(&m, e, e->mac)) != SC_OK ||
	    (r = sc_audit_format_line(e, line, SC_AUDIT_LINE_MAX + 2, &len)) != SC_OK)
		goto done;
	if (asprintf(&tmp, "%s/%s.prune-%ld", dir, SC_AUDIT_FILE, (long)getpid()) < 0) {
		tmp = NULL;
		r = SC_ERR_NOMEM;
		goto done;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		sc_set_error("cannot create '%s': %s", tmp, strerror(errno));
		r = SC_ERR_IO;
		goto done;
	}
	if ((r = write_all(out, line, len)) != SC_OK)
		goto fail;
	for (;;) {
		ssize_t k = pread(fd, line, SC_AUDIT_LINE_MAX, cut);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = SC_ERR_IO;
			goto fail;
		}
		if (k == 0)
			break;
		if ((r = write_all(out, line, (size_t)k)) != SC_OK)
			goto fail;
		cut += k;
	}
	if (fsync(out) != 0 || close(out) != 0) {
		out = -1;
		sc_set_error("cannot sync '%s': %s", tmp, strerror(errno));
		r = SC_ERR_IO;
		goto fail;
	}
	out = -1;
	{
		char *path = log_path(dir);

		if (path == NULL) {
			r = SC_ERR_NOMEM;
			goto fail;
		}
		if (rename(tmp, path) != 0) {
			sc_set_error("cannot replace '%s': %s", path, strerror(errno));
			free(path);
			r = SC_ERR_IO;
			goto fail;
		}
		free(path);
	}
	if ((r = fsync_dir(dir)) != SC_OK)
		goto done;
	if (removed != NULL)
		*removed = n;
	r = SC_OK;
	goto done;
fail:
	if (out >= 0)
		close(out);
	out = -1;
	unlink(tmp);
done:
	if (out >= 0)
		close(out);
	free(tmp);
	lines_release(&l);
	mac_ctx_release(&m);
	if (fd >= 0)
		close(fd);
	sc_secmem_free(key);
	free(line);
	free(e);
	return r;
}

/* ---- reading ---- */

struct sc_audit_reader {
	int fd;
	struct lines l;
};

int sc_audit_reader_open(const char *vault_dir, struct sc_audit_reader **out)
{
	struct sc_audit_reader *rd;
	int r;

	*out = NULL;
	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return SC_ERR_NOMEM;
	if ((r = log_open(vault_dir, 0, LOCK_SH, &rd->fd, NULL)) != SC_OK ||
	    (r = lines_init(&rd->l, rd->fd)) != SC_OK) {
		if (rd->fd >= 0)
			close(rd->fd);
		free(rd);
		return r;
	}
	*out = rd;
	return SC_OK;
}

int sc_audit_reader_next(struct sc_audit_reader *rd, struct sc_audit_entry *e)
{
	const char *line;
	size_t len;
	int complete, r;

	r = lines_next(&rd->l, &line, &len, &complete);
	if (r == SC_ERR_TOOBIG) {
		sc_set_error("audit log line %llu is longer than %d bytes",
		             (unsigned long long)rd->l.lineno, SC_AUDIT_LINE_MAX);
		return SC_ERR_CORRUPT;
	}
	if (r != SC_OK)
		return r;
	if (!complete)
		return SC_ERR_NOT_FOUND; /* an interrupted append: not an entry */
	if ((r = sc_audit_parse_line(line, len, e)) != SC_OK) {
		char why[128];

		snprintf(why, sizeof(why), "%s", sc_last_error());
		sc_set_error("audit log line %llu does not parse (%s)",
		             (unsigned long long)rd->l.lineno, why);
	}
	return r;
}

void sc_audit_reader_free(struct sc_audit_reader *rd)
{
	if (rd == NULL)
		return;
	if (rd->fd >= 0)
		close(rd->fd);
	lines_release(&rd->l);
	free(rd);
}
