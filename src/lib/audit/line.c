/* line.c - the audit line format: names, timestamps, and a writer and a
 * strict parser of one JSON line that need no JSON tree. */
#include "audit/audit_int.h"

/* ---- names ---- */

const char *const sc_audit_sources[NSOURCES] = {"cli", "mcp", "agent"};
const char *const sc_audit_results[NRESULTS] = {"ok", "denied", "error"};

const char *sc_audit_code(int status)
{
	return sc_status_code(status);
}

const char *sc_audit_source_name(int source)
{
	return source >= 0 && (size_t)source < NSOURCES ? sc_audit_sources[source] : "?";
}

const char *sc_audit_result_name(int result)
{
	return result >= 0 && (size_t)result < NRESULTS ? sc_audit_results[result] : "?";
}

/* ---- time ---- */

int64_t sc_audit_now_ms(void)
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
	puts_(&o, sc_audit_sources[e->source]);
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
	puts_(&o, sc_audit_results[e->result]);
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

int sc_audit_op_valid(const char *op)
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
			if (p_str(&ps, e->op, SC_AUDIT_OP_MAX, &n) != 0 ||
			    !sc_audit_op_valid(e->op))
				return parse_fail("bad 'op'");
			break;
		case K_SRC:
			if ((e->source = p_enum(&ps, sc_audit_sources, NSOURCES)) < 0)
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
			if ((e->result = p_enum(&ps, sc_audit_results, NRESULTS)) < 0)
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
