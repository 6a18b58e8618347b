/* test_audit.c - the audit log: line format and strict parser, the MAC over
 * the documented encoding, verification against every tamper case, anchor
 * lag and torn-tail repair, failed unlocks folded in, prune, and several
 * processes appending at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "secretctl/audit.h"

#define PW "audit-test-password"
#define NLINES 20

static const uint8_t key[SC_KEY_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                        12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                        23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static char tmpdir[512];

static void make_tmpdir(const char *tag, char *out, size_t len)
{
	const char *tmp = getenv("SC_TEST_TMP");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	mkdir(tmp, 0700);
	snprintf(out, len, "%s/audit-%s.XXXXXX", tmp, tag);
	assert_non_null(mkdtemp(out));
}

static void rm_rf(const char *dir)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static struct sc_audit_entry *new_entry(void)
{
	struct sc_audit_entry *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	return e;
}

/* A full entry: every optional field set, awkward bytes in the strings. */
static void fill(struct sc_audit_entry *e, uint64_t seq)
{
	memset(e, 0, sizeof(*e));
	e->kind = SC_AUDIT_ENTRY;
	e->seq = seq;
	e->ts_ms = 1763800000123 + (int64_t)seq;
	strcpy(e->op, "secret_run");
	e->source = SC_AUDIT_SRC_MCP;
	memcpy(e->client, "cl\"ie\\nt\x01\xff", 10);
	e->client_len = 10;
	e->pid = 4242;
	e->uid = 1000;
	e->n_secrets = 2;
	memset(e->secrets[0], 0xab, SC_MAC_LEN);
	memset(e->secrets[1], 0x01, SC_MAC_LEN);
	strcpy(e->cmd, "make\n");
	e->cmd_len = 5;
	e->result = SC_AUDIT_ERROR;
	strcpy(e->code, "not_found");
	e->late = 1;
}

static void test_roundtrip(void **state)
{
	struct sc_audit_entry *e = new_entry(), *g = new_entry();
	char buf[SC_AUDIT_LINE_MAX + 2];
	size_t len;

	(void)state;
	fill(e, 7);
	memset(e->prev, 0x11, SC_MAC_LEN);
	assert_int_equal(sc_audit_mac(key, e, e->mac), SC_OK);
	assert_int_equal(sc_audit_format_line(e, buf, sizeof(buf), &len), SC_OK);
	assert_true(len > 0 && buf[len - 1] == '\n');
	assert_null(memchr(buf, '\n', len - 1));
	assert_non_null(strstr(buf, "\"client\":\"cl\\\"ie\\\\nt\\u0001\\u00ff\""));
	assert_non_null(strstr(buf, "\"cmd\":\"make\\u000a\""));
	assert_non_null(strstr(buf, "\"ts\":\"2025-11-22T08:26:40.130Z\""));
	assert_int_equal(sc_audit_parse_line(buf, len - 1, g), SC_OK);
	assert_int_equal(g->kind, SC_AUDIT_ENTRY);
	assert_int_equal(g->seq, 7);
	assert_int_equal(g->ts_ms, e->ts_ms);
	assert_string_equal(g->op, "secret_run");
	assert_int_equal(g->source, SC_AUDIT_SRC_MCP);
	assert_int_equal(g->client_len, 10);
	assert_memory_equal(g->client, e->client, 10);
	assert_int_equal(g->pid, 4242);
	assert_int_equal(g->uid, 1000);
	assert_int_equal(g->n_secrets, 2);
	assert_memory_equal(g->secrets, e->secrets, 2 * SC_MAC_LEN);
	assert_int_equal(g->cmd_len, 5);
	assert_memory_equal(g->cmd, "make\n", 5);
	assert_int_equal(g->result, SC_AUDIT_ERROR);
	assert_string_equal(g->code, "not_found");
	assert_int_equal(g->late, 1);
	assert_memory_equal(g->prev, e->prev, SC_MAC_LEN);
	assert_memory_equal(g->mac, e->mac, SC_MAC_LEN);
	free(e);
	free(g);
}

/* The MAC is HMAC-SHA-256 over the encoding docs/AUDIT.md documents. */
static void put32(uint8_t *p, size_t *k, uint32_t v)
{
	p[(*k)++] = (uint8_t)(v >> 24);
	p[(*k)++] = (uint8_t)(v >> 16);
	p[(*k)++] = (uint8_t)(v >> 8);
	p[(*k)++] = (uint8_t)v;
}

static void putb(uint8_t *p, size_t *k, const void *s, size_t n)
{
	put32(p, k, (uint32_t)n);
	memcpy(p + *k, s, n);
	*k += n;
}

static void test_mac_encoding(void **state)
{
	struct sc_audit_entry *e = new_entry();
	uint8_t enc[4096], want[SC_MAC_LEN], got[SC_MAC_LEN];
	size_t k = 0;

	(void)state;
	fill(e, 0x0102030405060708ull);
	memset(e->prev, 0x5a, SC_MAC_LEN);
	memcpy(enc, "secretctl/v1/audit-entry", 25); /* with its NUL */
	k = 25;
	enc[k++] = SC_AUDIT_ENTRY;
	put32(enc, &k, 0x01020304);
	put32(enc, &k, 0x05060708);
	put32(enc, &k, (uint32_t)((uint64_t)e->ts_ms >> 32));
	put32(enc, &k, (uint32_t)e->ts_ms);
	putb(enc, &k, "secret_run", 10);
	putb(enc, &k, "mcp", 3);
	putb(enc, &k, e->client, 10);
	put32(enc, &k, 4242);
	put32(enc, &k, 1000);
	putb(enc, &k, e->secrets, 2 * SC_MAC_LEN);
	putb(enc, &k, "make\n", 5);
	putb(enc, &k, "error", 5);
	putb(enc, &k, "not_found", 9);
	enc[k++] = 1;
	memcpy(enc + k, e->prev, SC_MAC_LEN);
	k += SC_MAC_LEN;
	assert_int_equal(sc_hmac_sha256(key, SC_KEY_LEN, enc, k, want), SC_OK);
	assert_int_equal(sc_audit_mac(key, e, got), SC_OK);
	assert_memory_equal(got, want, SC_MAC_LEN);
	free(e);
}

/* Every field is covered: changing any one changes the MAC. */
static void test_mac_covers_every_field(void **state)
{
	struct sc_audit_entry *e = new_entry(), *g = new_entry();
	uint8_t base[SC_MAC_LEN], m[SC_MAC_LEN];
	int i;

	(void)state;
	fill(e, 3);
	assert_int_equal(sc_audit_mac(key, e, base), SC_OK);
	for (i = 0; i < 16; i++) {
		memcpy(g, e, sizeof(*g));
		switch (i) {
		case 0:
			g->kind = SC_AUDIT_CHECKPOINT;
			break;
		case 1:
			g->seq++;
			break;
		case 2:
			g->ts_ms++;
			break;
		case 3:
			g->op[0] = 'x';
			break;
		case 4:
			g->source = SC_AUDIT_SRC_AGENT;
			break;
		case 5:
			g->client[0] ^= 1;
			break;
		case 6:
			g->client_len--;
			break;
		case 7:
			g->pid++;
			break;
		case 8:
			g->uid++;
			break;
		case 9:
			g->secrets[1][31] ^= 1;
			break;
		case 10:
			g->n_secrets = 1;
			break;
		case 11:
			g->cmd[0] = 'n';
			break;
		case 12:
			g->result = SC_AUDIT_DENIED;
			break;
		case 13:
			strcpy(g->code, "auth");
			break;
		case 14:
			g->late = 0;
			break;
		case 15:
			g->prev[0] ^= 1;
			break;
		}
		assert_int_equal(sc_audit_mac(key, g, m), SC_OK);
		assert_memory_not_equal(m, base, SC_MAC_LEN);
	}
	free(e);
	free(g);
}

static void test_parser_strict(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{}",
	    "{\"seq\":1}",
	    " {\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"cli\",\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"cli\",\"pid\":1,\"uid\":0,\"result\":\"ok\"} ",
	    /* keys out of order, repeated, unknown */
	    "{\"pending\":true,\"op\":\"unlock\",\"ts\":\"2026-01-01T00:00:00.000Z\",\"src\":"
	    "\"cli\",\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"ts\":\"2026-01-01T00:00:00."
	    "000Z\",\"op\":\"unlock\",\"src\":\"cli\",\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"cli\",\"x\":1,\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    /* values */
	    "{\"pending\":true,\"ts\":\"2026-02-30T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"cli\",\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00Z\",\"op\":\"unlock\",\"src\":\"cli\","
	    "\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"Unlock\",\"src\":"
	    "\"cli\",\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"web\",\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"cli\",\"pid\":01,\"uid\":0,\"result\":\"ok\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"cli\",\"pid\":4294967296,\"uid\":0,\"result\":\"ok\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"cli\",\"pid\":1,\"uid\":0,\"result\":\"ok\",\"code\":\"auth\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"cli\",\"pid\":1,\"uid\":0,\"result\":\"error\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"cli\",\"client\":\"\\u0041\",\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"cli\",\"client\":\"\\n\",\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":"
	    "\"cli\",\"client\":\"\",\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    /* a pending line with chain keys; a chained one without */
	    "{\"pending\":true,\"seq\":1,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\","
	    "\"src\":\"cli\",\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    "{\"seq\":1,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":\"cli\","
	    "\"pid\":1,\"uid\":0,\"result\":\"ok\"}",
	    "{\"seq\":0,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"get\",\"src\":\"cli\",\"pid\":"
	    "1,\"uid\":0,\"result\":\"ok\",\"prev\":"
	    "\"0000000000000000000000000000000000000000000000000000000000000000\",\"mac\":"
	    "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
	    "{\"seq\":1,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"get\",\"src\":\"cli\",\"pid\":"
	    "1,\"uid\":0,\"result\":\"ok\",\"prev\":"
	    "\"000000000000000000000000000000000000000000000000000000000000000A\",\"mac\":"
	    "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
	    "{\"seq\":1,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"get\",\"src\":\"cli\",\"pid\":"
	    "1,\"uid\":0,\"secrets\":[],\"result\":\"ok\",\"prev\":"
	    "\"0000000000000000000000000000000000000000000000000000000000000000\",\"mac\":"
	    "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
	};
	static const char good[] = "{\"pending\":true,\"ts\":\"2024-02-29T23:59:59.999Z\",\"op\":"
	                           "\"unlock\",\"src\":\"cli\","
	                           "\"pid\":1,\"uid\":0,\"result\":\"error\",\"code\":\"auth\"}";
	struct sc_audit_entry *e = new_entry();
	char *big;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sc_audit_parse_line(bad[i], strlen(bad[i]), e) != SC_ERR_CORRUPT)
			fail_msg("accepted bad line %zu: %s", i, bad[i]);
	}
	assert_int_equal(sc_audit_parse_line(good, strlen(good), e), SC_OK);
	assert_int_equal(e->kind, SC_AUDIT_PENDING);
	assert_int_equal(e->ts_ms, 1709251199999);
	/* a line over the limit, and more secrets than allowed */
	big = malloc(SC_AUDIT_LINE_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', SC_AUDIT_LINE_MAX + 1);
	assert_int_equal(sc_audit_parse_line(big, SC_AUDIT_LINE_MAX + 1, e), SC_ERR_CORRUPT);
	{
		size_t k = 0, n;

		k += (size_t)sprintf(
		    big, "{\"seq\":1,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"get\","
		         "\"src\":\"cli\",\"pid\":1,\"uid\":0,\"secrets\":[");
		for (n = 0; n <= SC_AUDIT_SECRETS_MAX; n++)
			k += (size_t)sprintf(big + k, "%s\"%064d\"", n ? "," : "", 0);
		k += (size_t)sprintf(
		    big + k, "],\"result\":\"ok\",\"prev\":\"%064d\",\"mac\":\"%064d\"}", 0, 0);
		assert_true(k < SC_AUDIT_LINE_MAX);
		assert_int_equal(sc_audit_parse_line(big, k, e), SC_ERR_CORRUPT);
	}
	free(big);
	free(e);
}

/* ---- verification of generated logs (no vault: key and anchor given) ---- */

struct genlog {
	char *text;
	size_t len;
	size_t off[NLINES + 2]; /* start of each line; off[n] = len */
	size_t n;
	struct sc_audit_anchor anchor;
};

static void gen(struct genlog *g, size_t n, int checkpoint)
{
	struct sc_audit_entry *e = new_entry();
	char line[SC_AUDIT_LINE_MAX + 2];
	uint8_t prev[SC_MAC_LEN] = {0};
	uint64_t seq = 0;
	size_t len, i, cap = 1 << 20;

	memset(g, 0, sizeof(*g));
	g->text = malloc(cap);
	assert_non_null(g->text);
	if (checkpoint) {
		memset(e, 0, sizeof(*e));
		e->kind = SC_AUDIT_CHECKPOINT;
		e->seq = seq = 41;
		e->ts_ms = 1763800000000;
		strcpy(e->op, "checkpoint");
		memset(prev, 0x77, SC_MAC_LEN);
		memcpy(e->prev, prev, SC_MAC_LEN);
		assert_int_equal(sc_audit_mac(key, e, e->mac), SC_OK);
		assert_int_equal(sc_audit_format_line(e, line, sizeof(line), &len), SC_OK);
		g->off[g->n++] = g->len;
		memcpy(g->text + g->len, line, len);
		g->len += len;
	}
	for (i = 0; i < n; i++) {
		fill(e, ++seq);
		e->n_secrets = i % 3;
		e->late = i == 4;
		if (i % 2 == 0) {
			e->result = SC_AUDIT_OK;
			e->code[0] = '\0';
		}
		memcpy(e->prev, prev, SC_MAC_LEN);
		assert_int_equal(sc_audit_mac(key, e, e->mac), SC_OK);
		memcpy(prev, e->mac, SC_MAC_LEN);
		assert_int_equal(sc_audit_format_line(e, line, sizeof(line), &len), SC_OK);
		g->off[g->n++] = g->len;
		memcpy(g->text + g->len, line, len);
		g->len += len;
	}
	g->off[g->n] = g->len;
	g->anchor.seq = seq;
	memcpy(g->anchor.mac, prev, SC_MAC_LEN);
	free(e);
}

/* Verify text (len bytes) against anchor; the status, and rep. */
static int verify_text(const char *text, size_t len, const struct sc_audit_anchor *anchor,
                       struct sc_audit_report *rep)
{
	char path[600];
	int fd, r;

	snprintf(path, sizeof(path), "%s/log.XXXXXX", tmpdir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	r = sc_audit_verify_fd(fd, key, anchor, rep);
	close(fd);
	return r;
}

/* Build a text from line indexes (-1 ends), then expect a failure at line want_line. */
static void expect_bad(const struct genlog *g, const int *idx, const struct sc_audit_anchor *a,
                       uint64_t want_line, const char *why_part)
{
	struct sc_audit_report rep;
	char *t = malloc(g->len + 1024);
	size_t n = 0;
	int r;

	assert_non_null(t);
	for (; *idx >= 0; idx++) {
		memcpy(t + n, g->text + g->off[*idx], g->off[*idx + 1] - g->off[*idx]);
		n += g->off[*idx + 1] - g->off[*idx];
	}
	r = verify_text(t, n, a, &rep);
	if (r != SC_ERR_CORRUPT)
		fail_msg("tampering not detected (status %d)", r);
	assert_int_equal(rep.bad_line, want_line);
	if (why_part != NULL && strstr(rep.why, why_part) == NULL)
		fail_msg("why '%s' lacks '%s'", rep.why, why_part);
	free(t);
}

static void test_verify_tamper_table(void **state)
{
	struct genlog g;
	struct sc_audit_report rep;
	struct sc_audit_anchor a;
	int all[NLINES + 1], i, k;
	char *t;

	(void)state;
	gen(&g, NLINES, 0);
	for (i = 0; i < NLINES; i++)
		all[i] = i;
	all[NLINES] = -1;
	assert_int_equal(verify_text(g.text, g.len, &g.anchor, &rep), SC_OK);
	assert_int_equal(rep.entries, NLINES);
	assert_int_equal(rep.first_seq, 1);
	assert_int_equal(rep.last_seq, NLINES);
	assert_int_equal(rep.lag, 0);

	/* every byte of every line flipped: detected at that line */
	t = malloc(g.len);
	assert_non_null(t);
	for (i = 0; i < NLINES; i += 3) {
		size_t b;

		for (b = g.off[i]; b < g.off[i + 1] - 1; b++) {
			memcpy(t, g.text, g.len);
			t[b] ^= 0x01;
			if (verify_text(t, g.len, &g.anchor, &rep) != SC_ERR_CORRUPT)
				fail_msg("flip of byte %zu of line %d not detected", b - g.off[i],
				         i + 1);
			assert_int_equal(rep.bad_line, (uint64_t)i + 1);
		}
	}
	free(t);

	{ /* a middle entry deleted */
		int idx[NLINES + 1];

		for (i = 0, k = 0; i < NLINES; i++)
			if (i != 9)
				idx[k++] = i;
		idx[k] = -1;
		expect_bad(&g, idx, &g.anchor, 10, "out of sequence");
	}
	{ /* two entries swapped */
		int idx[NLINES + 1];

		memcpy(idx, all, sizeof(all));
		idx[5] = 6;
		idx[6] = 5;
		expect_bad(&g, idx, &g.anchor, 6, "out of sequence");
	}
	{ /* an entry duplicated */
		int idx[NLINES + 2];

		memcpy(idx, all, sizeof(all));
		memmove(idx + 4, idx + 3, (NLINES - 3 + 1) * sizeof(int));
		expect_bad(&g, idx, &g.anchor, 5, "out of sequence");
	}
	{ /* the last one, the last ten, all of them truncated */
		int idx[NLINES + 1];

		memcpy(idx, all, sizeof(all));
		idx[NLINES - 1] = -1;
		expect_bad(&g, idx, &g.anchor, 0, "truncated");
		idx[NLINES - 10] = -1;
		expect_bad(&g, idx, &g.anchor, 0, "truncated");
		idx[0] = -1;
		expect_bad(&g, idx, &g.anchor, 0, "truncated");
	}
	{ /* the first entries removed: no checkpoint stands in for them */
		int idx[NLINES + 1];

		for (i = 3; i <= NLINES; i++)
			idx[i - 3] = i < NLINES ? i : -1;
		expect_bad(&g, idx, &g.anchor, 1, "earlier entries were removed");
	}
	/* an older copy of the file: the anchor is ahead of it */
	expect_bad(&g, (int[]){0, 1, 2, 3, -1}, &g.anchor, 0, "truncated");
	/* the anchor's entry replaced by another with the same seq */
	a = g.anchor;
	a.mac[0] ^= 1;
	expect_bad(&g, all, &a, 0, "not in this log");
	/* an anchor ahead by one */
	a = g.anchor;
	a.seq++;
	expect_bad(&g, all, &a, 0, "truncated");
	/* a log whose lines were made under another key */
	{
		struct sc_audit_report r2;
		uint8_t other[SC_KEY_LEN];

		memset(other, 9, sizeof(other));
		char path[600];
		int fd;

		snprintf(path, sizeof(path), "%s/k.XXXXXX", tmpdir);
		fd = mkstemp(path);
		assert_true(fd >= 0);
		unlink(path);
		assert_int_equal(write(fd, g.text, g.len), (ssize_t)g.len);
		lseek(fd, 0, SEEK_SET);
		assert_int_equal(sc_audit_verify_fd(fd, other, &g.anchor, &r2), SC_ERR_CORRUPT);
		assert_int_equal(r2.bad_line, 1);
		close(fd);
	}
	free(g.text);
}

static const char pending_line[] =
    "{\"pending\":true,\"ts\":\"2026-01-01T00:00:00.000Z\",\"op\":\"unlock\",\"src\":\"cli\","
    "\"pid\":1,\"uid\":0,\"result\":\"error\",\"code\":\"auth\"}\n";

static void test_verify_lag_torn_pending(void **state)
{
	struct genlog g;
	struct sc_audit_report rep;
	struct sc_audit_anchor a;
	char *t;
	size_t n, pl = strlen(pending_line);

	(void)state;
	gen(&g, NLINES, 0);
	t = malloc(g.len + 4 * pl + 64);
	assert_non_null(t);

	/* the anchor one behind (an append cut short before the anchor
	 * update): valid, reported as lag */
	{
		struct sc_audit_entry *e = new_entry();

		assert_int_equal(sc_audit_parse_line(g.text + g.off[NLINES - 2],
		                                     g.off[NLINES - 1] - g.off[NLINES - 2] - 1, e),
		                 SC_OK);
		a.seq = e->seq;
		memcpy(a.mac, e->mac, SC_MAC_LEN);
		free(e);
	}
	assert_int_equal(verify_text(g.text, g.len, &a, &rep), SC_OK);
	assert_int_equal(rep.lag, 1);
	/* a torn last line (no newline): never acknowledged, reported */
	memcpy(t, g.text, g.len);
	memcpy(t + g.len, "{\"seq\":21,\"ts\":", 15);
	assert_int_equal(verify_text(t, g.len + 15, &g.anchor, &rep), SC_OK);
	assert_int_equal(rep.torn_tail, 1);
	/* but a torn anchored entry is a truncation */
	assert_int_equal(verify_text(t, g.len - 5, &g.anchor, &rep), SC_ERR_CORRUPT);
	/* a line without a MAC: rejected wherever it stands (failed unlocks
	 * wait in audit.pending, not in the log), at the end too */
	memcpy(t + g.len, pending_line, pl);
	assert_int_equal(verify_text(t, g.len + pl, &g.anchor, &rep), SC_ERR_CORRUPT);
	assert_int_equal(rep.bad_line, NLINES + 1);
	n = g.off[3];
	memcpy(t, g.text, n);
	memcpy(t + n, pending_line, pl);
	memcpy(t + n + pl, g.text + n, g.len - n);
	assert_int_equal(verify_text(t, g.len + pl, &g.anchor, &rep), SC_ERR_CORRUPT);
	assert_int_equal(rep.bad_line, 4);
	free(t);
	free(g.text);

	/* a checkpoint starts the chain; anywhere else it is rejected */
	gen(&g, 5, 1);
	assert_int_equal(verify_text(g.text, g.len, &g.anchor, &rep), SC_OK);
	assert_int_equal(rep.checkpoint, 1);
	assert_int_equal(rep.first_seq, 42);
	assert_int_equal(rep.last_seq, 46);
	expect_bad(&g, (int[]){1, 0, 2, 3, 4, 5, -1}, &g.anchor, 1, NULL);
	expect_bad(&g, (int[]){0, 2, 3, 4, 5, -1}, &g.anchor, 2, "out of sequence");
	/* a checkpoint alone: the anchor is its (seq, prev) */
	a.seq = 41;
	memset(a.mac, 0x77, SC_MAC_LEN);
	expect_bad(&g, (int[]){0, -1}, &g.anchor, 0, "truncated");
	{
		struct sc_audit_report r2;

		assert_int_equal(verify_text(g.text, g.off[1], &a, &r2), SC_OK);
		assert_int_equal(r2.entries, 1);
	}
	free(g.text);
}

/* ---- against a real vault ---- */

struct fx {
	char dir[600];
	struct sc_vault *v;
};

static int vault_setup(void **state)
{
	static const struct sc_kdf_params kp = {8192, 1};
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	make_tmpdir("vault", f->dir, sizeof(f->dir));
	if (sc_vault_create(f->dir, PW, strlen(PW), &kp) != SC_OK ||
	    sc_vault_open(f->dir, &f->v) != SC_OK || sc_vault_unlock(f->v, PW, strlen(PW)) != SC_OK)
		return -1;
	*state = f;
	return 0;
}

static int vault_teardown(void **state)
{
	struct fx *f = *state;

	sc_vault_close(f->v);
	rm_rf(f->dir);
	free(f);
	return 0;
}

static void append(struct sc_vault *v, const char *op, int status)
{
	const char *names[] = {"api/key", "db/password"};
	struct sc_audit_event ev = {
	    .op = op, .source = SC_AUDIT_SRC_CLI, .names = names, .n_names = 2, .status = status};

	assert_int_equal(sc_audit_append(v, &ev), SC_OK);
}

static char *log_file(const struct fx *f)
{
	static char p[700];

	snprintf(p, sizeof(p), "%s/%s", f->dir, SC_AUDIT_FILE);
	return p;
}

static void file_append(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap);
	close(fd);
	return n;
}

static void test_vault_append_verify(void **state)
{
	struct fx *f = *state;
	struct sc_audit_report rep;
	struct sc_audit_anchor a, prev_anchor;
	struct sc_audit_reader *rd;
	struct sc_audit_entry *e = new_entry();
	uint8_t id[SC_MAC_LEN];
	struct stat st;
	static char before[64 * 1024];
	off_t before_size;
	size_t folded;
	int i, n = 0;

	append(f->v, "set", SC_OK);
	append(f->v, "get", SC_ERR_NOT_FOUND);
	append(f->v, "run", SC_ERR_DENIED);
	assert_int_equal(stat(log_file(f), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.entries, 3);
	assert_int_equal(sc_vault_anchor_get(f->v, &a), SC_OK);
	assert_int_equal(a.seq, 3);

	/* names are blinded: the log holds the vault's blind ids, no names */
	assert_int_equal(sc_vault_blind_name(f->v, "api/key", id), SC_OK);
	assert_int_equal(sc_audit_reader_open(f->dir, &rd), SC_OK);
	while (sc_audit_reader_next(rd, e) == SC_OK) {
		n++;
		assert_int_equal(e->n_secrets, 2);
		assert_memory_equal(e->secrets[0], id, SC_MAC_LEN);
		assert_int_equal(e->pid, (uint32_t)getpid());
	}
	sc_audit_reader_free(rd);
	assert_int_equal(n, 3);
	{
		char cmd[800];

		snprintf(cmd, sizeof(cmd), "grep -q 'api/key' '%s'", log_file(f));
		assert_int_not_equal(system(cmd), 0);
	}

	/* the anchor lags (crash between fsync and anchor update): verify
	 * passes reporting it, the next append repairs it, no fork */
	prev_anchor = a;
	append(f->v, "get", SC_OK);
	assert_int_equal(sc_vault_anchor_set(f->v, &prev_anchor), SC_OK);
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.lag, 1);
	append(f->v, "get", SC_OK);
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.lag, 0);
	assert_int_equal(rep.entries, 5);

	/* a torn last line: verify passes, the next append removes it */
	file_append(log_file(f), "{\"seq\":6,\"ts\":\"20");
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.torn_tail, 1);
	append(f->v, "list", SC_OK);
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.torn_tail, 0);
	assert_int_equal(rep.entries, 6);

	/* failed unlocks: pending lines in audit.pending, folded in by the
	 * next append; audit.log only grows */
	{
		char pend[700];

		snprintf(pend, sizeof(pend), "%s/%s", f->dir, SC_AUDIT_PENDING_FILE);
		assert_int_equal(stat(log_file(f), &st), 0);
		before_size = st.st_size;
		assert_int_equal(read_file(log_file(f), before, sizeof(before)), before_size);
		(void)pend;
	}
	{
		struct sc_audit_event ev = {.op = "unlock",
		                            .source = SC_AUDIT_SRC_MCP,
		                            .client = "claude-code",
		                            .status = SC_ERR_AUTH};

		assert_int_equal(sc_audit_append_pending(f->dir, &ev), SC_OK);
		assert_int_equal(sc_audit_append_pending(f->dir, &ev), SC_OK);
		ev.names = (const char *const[]){"x"};
		ev.n_names = 1;
		assert_int_equal(sc_audit_append_pending(f->dir, &ev), SC_ERR_INVALID);
	}
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.pending, 2);
	{
		char pend[700];

		snprintf(pend, sizeof(pend), "%s/%s", f->dir, SC_AUDIT_PENDING_FILE);
		assert_int_equal(stat(pend, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_true(st.st_size > 0);
		assert_int_equal(stat(log_file(f), &st), 0);
		assert_int_equal(st.st_size, before_size); /* nothing in the log yet */
		assert_int_equal(sc_audit_fold(f->v, &folded), SC_OK);
		assert_int_equal(folded, 2);
		assert_int_equal(stat(pend, &st), 0);
		assert_int_equal(st.st_size, 0);
		/* the log grew: what was there is still there, byte for byte */
		{
			char *now = malloc(sizeof(before) * 2);

			assert_non_null(now);
			assert_true(read_file(log_file(f), now, sizeof(before) * 2) > before_size);
			assert_memory_equal(now, before, (size_t)before_size);
			free(now);
		}
	}
	assert_int_equal(sc_audit_fold(f->v, &folded), SC_OK);
	assert_int_equal(folded, 0);
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.pending, 0);
	assert_int_equal(rep.entries, 8);
	assert_int_equal(sc_audit_reader_open(f->dir, &rd), SC_OK);
	for (i = 0; i < 8; i++)
		assert_int_equal(sc_audit_reader_next(rd, e), SC_OK);
	assert_int_equal(sc_audit_reader_next(rd, e), SC_ERR_NOT_FOUND);
	sc_audit_reader_free(rd);
	assert_int_equal(e->late, 1);
	assert_string_equal(e->client, "claude-code");
	assert_string_equal(e->code, "auth");
	assert_int_equal(e->source, SC_AUDIT_SRC_MCP);

	/* tampering then appending: the append chains from the anchor, so
	 * the damage stays visible */
	assert_int_equal(truncate(log_file(f), 0), 0);
	append(f->v, "get", SC_OK);
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_ERR_CORRUPT);
	assert_int_equal(rep.bad_line, 1);

	/* bad events */
	{
		struct sc_audit_event ev = {.op = "checkpoint", .source = SC_AUDIT_SRC_CLI};

		assert_int_equal(sc_audit_append(f->v, &ev), SC_ERR_INVALID);
		ev.op = "Bad Op";
		assert_int_equal(sc_audit_append(f->v, &ev), SC_ERR_INVALID);
		ev.op = "get";
		ev.n_names = SC_AUDIT_SECRETS_MAX + 1;
		ev.names = (const char *const[]){"a"};
		assert_int_equal(sc_audit_append(f->v, &ev), SC_ERR_TOOBIG);
	}
	free(e);
}

static void test_vault_prune(void **state)
{
	struct fx *f = *state;
	struct sc_audit_report rep;
	uint64_t removed;
	struct timespec ts;
	int64_t cut;
	int i;

	for (i = 0; i < 5; i++)
		append(f->v, "get", SC_OK);
	usleep(20000);
	clock_gettime(CLOCK_REALTIME, &ts);
	cut = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	usleep(20000);
	for (i = 0; i < 3; i++)
		append(f->v, "set", SC_OK);
	assert_int_equal(sc_audit_prune(f->v, cut, &removed), SC_OK);
	assert_int_equal(removed, 5);
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.checkpoint, 1);
	assert_int_equal(rep.first_seq, 6);
	assert_int_equal(rep.entries, 4);
	/* nothing older: no change */
	assert_int_equal(sc_audit_prune(f->v, cut, &removed), SC_OK);
	assert_int_equal(removed, 0);
	/* everything: a checkpoint alone, then appends continue the chain */
	assert_int_equal(sc_audit_prune(f->v, INT64_MAX, &removed), SC_OK);
	assert_int_equal(removed, 3);
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.entries, 1);
	append(f->v, "get", SC_OK);
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.last_seq, 9);
	/* a log that does not verify is not pruned */
	assert_int_equal(truncate(log_file(f), 10), 0);
	assert_int_equal(sc_audit_prune(f->v, INT64_MAX, &removed), SC_ERR_CORRUPT);
}

/* Several processes appending at once: one chain with every entry. */
static void test_vault_concurrent(void **state)
{
	struct fx *f = *state;
	struct sc_audit_report rep;
	pid_t kids[4];
	int i, j, st;

	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			struct sc_vault *v = NULL;
			int bad = 0;

			if (sc_vault_open(f->dir, &v) != SC_OK ||
			    sc_vault_unlock(v, PW, strlen(PW)) != SC_OK)
				_exit(2);
			for (j = 0; j < 50; j++) {
				struct sc_audit_event ev = {
				    .op = "get", .source = SC_AUDIT_SRC_AGENT, .status = SC_OK};

				bad |= sc_audit_append(v, &ev) != SC_OK;
				if (j % 10 == 0) {
					struct sc_audit_event pe = {.op = "unlock",
					                            .status = SC_ERR_AUTH};

					bad |= sc_audit_append_pending(f->dir, &pe) != SC_OK;
				}
			}
			sc_vault_close(v);
			_exit(bad);
		}
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(sc_audit_fold(f->v, NULL), SC_OK);
	assert_int_equal(sc_audit_verify(f->v, &rep), SC_OK);
	assert_int_equal(rep.entries, 4 * 50 + 4 * 5);
	assert_int_equal(rep.anchor_seq, 4 * 50 + 4 * 5);
	assert_int_equal(rep.pending, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_mac_encoding),
	    cmocka_unit_test(test_mac_covers_every_field),
	    cmocka_unit_test(test_parser_strict),
	    cmocka_unit_test(test_verify_tamper_table),
	    cmocka_unit_test(test_verify_lag_torn_pending),
	    cmocka_unit_test_setup_teardown(test_vault_append_verify, vault_setup, vault_teardown),
	    cmocka_unit_test_setup_teardown(test_vault_prune, vault_setup, vault_teardown),
	    cmocka_unit_test_setup_teardown(test_vault_concurrent, vault_setup, vault_teardown),
	};
	int r;

	if (sc_init() != SC_OK)
		return 1;
	make_tmpdir("logs", tmpdir, sizeof(tmpdir));
	r = cmocka_run_group_tests_name("audit", tests, NULL, NULL);
	rm_rf(tmpdir);
	return r;
}
