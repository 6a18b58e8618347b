/* test_agent_proto.c - the unlock agent's wire protocol: the strict request
 * decoder (every op, every refusal), framing over a real socketpair with
 * attachments and passed fds, metadata records, and socket paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "secretctl/agent.h"
#include "secretctl/audit.h"

static int decode(const char *json, struct sc_agent_req *q)
{
	return sc_agent_req_decode((const uint8_t *)json, strlen(json), q);
}

static void expect_refused(const char *json, int want)
{
	struct sc_agent_req q;
	int r = decode(json, &q);

	if (r != want)
		fail_msg("%s: got %d (%s), want %d", json, r, sc_strerror(r), want);
	assert_null(q.json);
	assert_int_equal(q.op, 0);
}

static void test_decode_simple_ops(void **state)
{
	struct sc_agent_req q;

	(void)state;
	assert_int_equal(decode("{\"v\":1,\"op\":\"status\"}", &q), SC_OK);
	assert_int_equal(q.op, SC_AGENT_OP_STATUS);
	sc_agent_req_release(&q);
	assert_int_equal(decode("{\"op\":\"lock\",\"v\":1}", &q), SC_OK);
	assert_int_equal(q.op, SC_AGENT_OP_LOCK);
	sc_agent_req_release(&q);
	assert_int_equal(decode("{\"v\":1,\"op\":\"list\"}", &q), SC_OK);
	assert_int_equal(q.op, SC_AGENT_OP_LIST);
	sc_agent_req_release(&q);
	assert_int_equal(decode("{\"v\":1,\"op\":\"exists\",\"name\":\"db/pass\"}", &q), SC_OK);
	assert_int_equal(q.op, SC_AGENT_OP_EXISTS);
	assert_string_equal(q.name, "db/pass");
	sc_agent_req_release(&q);
	assert_int_equal(decode("{\"v\":1,\"op\":\"get\",\"name\":\"a\"}", &q), SC_OK);
	assert_int_equal(q.op, SC_AGENT_OP_GET);
	sc_agent_req_release(&q);
	assert_int_equal(decode("{\"v\":1,\"op\":\"fields\",\"name\":\"a\"}", &q), SC_OK);
	assert_int_equal(q.op, SC_AGENT_OP_FIELDS);
	sc_agent_req_release(&q);
	assert_int_equal(
	    decode("{\"v\":1,\"op\":\"unlock\",\"attach\":32,\"timeout\":60,\"reveal\":true}", &q),
	    SC_OK);
	assert_int_equal(q.op, SC_AGENT_OP_UNLOCK);
	assert_int_equal(q.attach_len, SC_KEY_LEN);
	assert_int_equal(q.timeout_s, 60);
	assert_true(q.reveal);
	sc_agent_req_release(&q);
	/* the key and the password after it; a forward with its password */
	assert_int_equal(decode("{\"v\":1,\"op\":\"unlock\",\"attach\":1056}", &q), SC_OK);
	assert_int_equal(q.attach_len, SC_KEY_LEN + SC_AGENT_PASSWORD_MAX);
	sc_agent_req_release(&q);
	assert_int_equal(decode("{\"v\":1,\"op\":\"forward\",\"argv\":[\"audit\",\"verify\"],"
	                        "\"cwd\":\"/tmp\",\"env\":[\"A=1\"],\"attach\":12}",
	                        &q),
	                 SC_OK);
	assert_int_equal(q.op, SC_AGENT_OP_FORWARD);
	assert_int_equal(q.argc, 2);
	assert_string_equal(q.cwd, "/tmp");
	sc_agent_req_release(&q);
}

/* list may name the list the caller holds: vault id and generation,
 * together, well formed */
static void test_decode_list_known(void **state)
{
	static const uint8_t vid[SC_VAULT_ID_LEN] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
	                                             0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	                                             0xcc, 0xdd, 0xee, 0xff};
	struct sc_agent_req q;

	(void)state;
	assert_int_equal(decode("{\"v\":1,\"op\":\"list\",\"known_gen\":42,"
	                        "\"known_vault\":\"00112233445566778899aabbccddeeff\"}",
	                        &q),
	                 SC_OK);
	assert_true(q.has_known);
	assert_int_equal(q.known_gen, 42);
	assert_memory_equal(q.known_vault, vid, sizeof(vid));
	sc_agent_req_release(&q);
	assert_int_equal(decode("{\"v\":1,\"op\":\"list\",\"origin\":1}", &q), SC_OK);
	assert_false(q.has_known);
	sc_agent_req_release(&q);
	/* one without the other, a short or bad id, a negative generation */
	expect_refused("{\"v\":1,\"op\":\"list\",\"known_gen\":42}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"list\","
	               "\"known_vault\":\"00112233445566778899aabbccddeeff\"}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"list\",\"known_gen\":1,"
	               "\"known_vault\":\"00112233445566778899aabbccddee\"}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"list\",\"known_gen\":1,"
	               "\"known_vault\":\"00112233445566778899aabbccddeefg\"}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"list\",\"known_gen\":-1,"
	               "\"known_vault\":\"00112233445566778899aabbccddeeff\"}",
	               SC_ERR_INVALID);
	/* only list takes them */
	expect_refused("{\"v\":1,\"op\":\"exists\",\"name\":\"a\",\"known_gen\":1}",
	               SC_ERR_INVALID);
}

/* an MCP-origin request may say which client and tool ask (for the
 * agent's audit entry); a CLI one may not, and both are bounded */
static void test_decode_caller(void **state)
{
	struct sc_agent_req q;
	char big[SC_AUDIT_CLIENT_MAX + 64];

	(void)state;
	assert_int_equal(decode("{\"v\":1,\"op\":\"fields\",\"name\":\"a\",\"origin\":1,"
	                        "\"client\":\"claude-code\",\"tool\":\"secret_get_masked\"}",
	                        &q),
	                 SC_OK);
	assert_string_equal(q.client, "claude-code");
	assert_string_equal(q.tool, "secret_get_masked");
	sc_agent_req_release(&q);
	assert_int_equal(decode("{\"v\":1,\"op\":\"list\",\"origin\":1,\"client\":\"x\"}", &q),
	                 SC_OK);
	assert_string_equal(q.client, "x");
	assert_null(q.tool);
	sc_agent_req_release(&q);
	assert_int_equal(decode("{\"v\":1,\"op\":\"exists\",\"name\":\"a\"}", &q), SC_OK);
	assert_null(q.client);
	assert_null(q.tool);
	sc_agent_req_release(&q);
	/* only for MCP */
	expect_refused("{\"v\":1,\"op\":\"exists\",\"name\":\"a\",\"client\":\"x\"}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"exists\",\"name\":\"a\",\"origin\":0,\"tool\":\"x\"}",
	               SC_ERR_INVALID);
	/* a tool is [a-z_]+; a client printable */
	expect_refused("{\"v\":1,\"op\":\"exists\",\"name\":\"a\",\"origin\":1,\"tool\":\"Run\"}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"exists\",\"name\":\"a\",\"origin\":1,\"tool\":\"\"}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"exists\",\"name\":\"a\",\"origin\":1,"
	               "\"client\":\"a\\nb\"}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"exists\",\"name\":\"a\",\"origin\":1,\"client\":7}",
	               SC_ERR_INVALID);
	/* list takes no tool (the agent names it) */
	expect_refused("{\"v\":1,\"op\":\"list\",\"origin\":1,\"tool\":\"secret_list\"}",
	               SC_ERR_INVALID);
	/* bounded */
	memset(big, 'c', sizeof(big));
	snprintf(big, sizeof(big), "{\"v\":1,\"op\":\"list\",\"origin\":1,\"client\":\"%0*d\"}",
	         SC_AUDIT_CLIENT_MAX + 1, 0);
	expect_refused(big, SC_ERR_TOOBIG);
}

static void test_decode_run(void **state)
{
	struct sc_agent_req q;

	(void)state;
	assert_int_equal(decode("{\"v\":1,\"op\":\"run\",\"argv\":[\"/bin/echo\",\"hi\"],"
	                        "\"keys\":[\"db/*\",\"api/key\"],\"env\":[\"PATH=/bin\",\"A=\"],"
	                        "\"cwd\":\"/tmp\",\"prefix\":\"X_\",\"timeout_ms\":1500,"
	                        "\"clean_env\":true,\"origin\":1,\"stream\":true,\"stdin\":true,"
	                        "\"line_buffered\":false,\"path\":\"/usr/bin\"}",
	                        &q),
	                 SC_OK);
	assert_int_equal(q.op, SC_AGENT_OP_RUN);
	assert_int_equal(q.argc, 2);
	assert_string_equal(q.argv[0], "/bin/echo");
	assert_string_equal(q.argv[1], "hi");
	assert_null(q.argv[2]);
	assert_int_equal(q.nkeys, 2);
	assert_string_equal(q.keys[1], "api/key");
	assert_int_equal(q.nenv, 2);
	assert_null(q.env[2]);
	assert_string_equal(q.cwd, "/tmp");
	assert_string_equal(q.prefix, "X_");
	assert_string_equal(q.path_env, "/usr/bin");
	assert_int_equal(q.timeout_ms, 1500);
	assert_true(q.clean_env);
	assert_int_equal(q.origin, SC_AGENT_ORIGIN_MCP);
	assert_true(q.stream);
	assert_true(q.has_stdin);
	assert_false(q.no_sanitize);
	sc_agent_req_release(&q);
	assert_int_equal(decode("{\"v\":1,\"op\":\"run\",\"argv\":[\"./x\"],\"keys\":[\"k\"],"
	                        "\"exe\":\"/opt/x\"}",
	                        &q),
	                 SC_OK);
	assert_string_equal(q.exe, "/opt/x");
	assert_int_equal(q.origin, SC_AGENT_ORIGIN_CLI);
	sc_agent_req_release(&q);
	assert_int_equal(decode("{\"v\":1,\"op\":\"list\",\"origin\":1}", &q), SC_OK);
	assert_int_equal(q.origin, SC_AGENT_ORIGIN_MCP);
	sc_agent_req_release(&q);
	/* the smallest run */
	assert_int_equal(
	    decode("{\"v\":1,\"op\":\"run\",\"argv\":[\"true\"],\"keys\":[\"k\"]}", &q), SC_OK);
	assert_null(q.env);
	assert_null(q.cwd);
	assert_int_equal(q.capture_max, 0);
	sc_agent_req_release(&q);
}

static void test_decode_refusals(void **state)
{
	char *big;
	size_t i;

	(void)state;
	expect_refused("", SC_ERR_INVALID);
	expect_refused("[]", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"status\"} trailing", SC_ERR_INVALID);
	expect_refused("{\"op\":\"status\"}", SC_ERR_INVALID);
	expect_refused("{\"v\":\"1\",\"op\":\"status\"}", SC_ERR_INVALID);
	expect_refused("{\"v\":2,\"op\":\"status\"}", SC_ERR_VERSION);
	expect_refused("{\"v\":1,\"op\":\"nope\"}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":7}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"status\",\"op\":\"lock\"}", SC_ERR_INVALID);
	/* members the op does not take */
	expect_refused("{\"v\":1,\"op\":\"status\",\"name\":\"a\"}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"list\",\"argv\":[]}", SC_ERR_INVALID);
	/* names */
	expect_refused("{\"v\":1,\"op\":\"get\"}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"get\",\"name\":5}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"get\",\"name\":\"../etc\"}", SC_ERR_NAME);
	expect_refused("{\"v\":1,\"op\":\"get\",\"name\":\"a\\u0000b\"}", SC_ERR_INVALID);
	/* attachments: only unlock (a key, then at most a password) and
	 * forward (a password) */
	expect_refused("{\"v\":1,\"op\":\"unlock\"}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"unlock\",\"attach\":31}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"unlock\",\"attach\":1057}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"forward\",\"argv\":[\"list\"],\"cwd\":\"/\"}",
	               SC_ERR_INVALID);
	expect_refused(
	    "{\"v\":1,\"op\":\"forward\",\"argv\":[\"list\"],\"cwd\":\"/\",\"attach\":1025}",
	    SC_ERR_INVALID);
	expect_refused(
	    "{\"v\":1,\"op\":\"forward\",\"argv\":[\"--vault\"],\"cwd\":\"/\",\"attach\":8}",
	    SC_ERR_INVALID);
	expect_refused(
	    "{\"v\":1,\"op\":\"forward\",\"argv\":[\"list\"],\"cwd\":\"rel\",\"attach\":8}",
	    SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"forward\",\"argv\":[\"list\"],\"cwd\":\"/\","
	               "\"env\":[\"NOEQUALS\"],\"attach\":8}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"unlock\",\"attach\":-32}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"status\",\"attach\":32}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"unlock\",\"attach\":32,\"timeout\":99999999}",
	               SC_ERR_TOOBIG);
	expect_refused("{\"v\":1,\"op\":\"unlock\",\"attach\":32,\"reveal\":1}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"status\",\"origin\":1}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"list\",\"origin\":\"mcp\"}", SC_ERR_INVALID);
	/* runs */
	expect_refused("{\"v\":1,\"op\":\"run\",\"argv\":[\"x\"],\"keys\":[\"k\"],\"exe\":\"x\"}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"run\",\"keys\":[\"k\"]}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"run\",\"argv\":[],\"keys\":[\"k\"]}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"run\",\"argv\":[\"\"],\"keys\":[\"k\"]}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"run\",\"argv\":[\"x\"],\"keys\":[]}", SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"run\",\"argv\":[\"x\"],\"keys\":[\"a b\"]}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"run\",\"argv\":[\"x\",3],\"keys\":[\"k\"]}",
	               SC_ERR_INVALID);
	expect_refused(
	    "{\"v\":1,\"op\":\"run\",\"argv\":[\"x\"],\"keys\":[\"k\"],\"env\":[\"NOEQ\"]}",
	    SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"run\",\"argv\":[\"x\"],\"keys\":[\"k\"],\"cwd\":\"rel\"}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"run\",\"argv\":[\"x\"],\"keys\":[\"k\"],\"origin\":2}",
	               SC_ERR_TOOBIG);
	expect_refused("{\"v\":1,\"op\":\"run\",\"argv\":[\"x\"],\"keys\":[\"k\"],\"stdin\":true}",
	               SC_ERR_INVALID);
	expect_refused("{\"v\":1,\"op\":\"run\",\"argv\":[\"x\"],\"keys\":[\"k\"],"
	               "\"capture_max\":4194305}",
	               SC_ERR_TOOBIG);
	expect_refused("{\"v\":1,\"op\":\"run\",\"argv\":[\"x\"],\"keys\":[\"k\"],"
	               "\"timeout_ms\":4294967296}",
	               SC_ERR_TOOBIG);
	/* counts and sizes */
	big = malloc(SC_AGENT_FRAME_MAX + 64);
	assert_non_null(big);
	strcpy(big, "{\"v\":1,\"op\":\"run\",\"keys\":[\"k\"],\"argv\":[");
	for (i = 0; i <= SC_AGENT_ARGS_MAX; i++)
		strcat(big, i ? ",\"a\"" : "\"a\"");
	strcat(big, "]}");
	expect_refused(big, SC_ERR_TOOBIG);
	strcpy(big, "{\"v\":1,\"op\":\"run\",\"keys\":[\"k\"],\"argv\":[\"");
	memset(big + strlen(big), 'x', SC_AGENT_STRING_MAX + 1);
	big[43 + SC_AGENT_STRING_MAX + 1] = '\0';
	strcat(big, "\"]}");
	expect_refused(big, SC_ERR_TOOBIG);
	assert_int_equal(sc_agent_req_decode((const uint8_t *)big, SC_AGENT_FRAME_MAX + 1,
	                                     &(struct sc_agent_req){0}),
	                 SC_ERR_TOOBIG);
	free(big);
}

/* ---- framing ---- */

static void test_frame_roundtrip(void **state)
{
	int sv[2], p[2], got[SC_AGENT_FDS_MAX];
	uint8_t key[SC_KEY_LEN], *att = NULL, *body = NULL;
	struct sc_agent_req q;
	size_t len, nfds;
	json_t *m;
	char buf[8];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(p), 0);
	sc_random(key, sizeof(key));
	m = json_pack("{s:s,s:i,s:b}", "op", "unlock", "timeout", 30, "reveal", 0);
	assert_int_equal(sc_agent_send(sv[0], m, key, sizeof(key), &p[1], 1), SC_OK);
	json_decref(m);
	assert_int_equal(sc_agent_recv(sv[1], &body, &len, got, SC_AGENT_FDS_MAX, &nfds), SC_OK);
	assert_int_equal(nfds, 1);
	assert_int_equal(sc_agent_req_decode(body, len, &q), SC_OK);
	free(body);
	assert_int_equal(q.op, SC_AGENT_OP_UNLOCK);
	assert_int_equal(q.attach_len, SC_KEY_LEN);
	assert_int_equal(sc_agent_recv_attach(sv[1], q.attach_len, &att), SC_OK);
	assert_memory_equal(att, key, sizeof(key));
	sc_secmem_free(att);
	sc_agent_req_release(&q);
	/* the fd that came across is the pipe's write end */
	assert_int_equal(write(got[0], "ok", 2), 2);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 2);
	assert_true((fcntl(got[0], F_GETFD) & FD_CLOEXEC) != 0);
	close(got[0]);
	/* a clean EOF is NOT_FOUND; EOF inside a frame is an I/O error */
	assert_int_equal(write(sv[0], "\0\0", 2), 2);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(sc_agent_recv(sv[1], &body, &len, NULL, 0, NULL), SC_ERR_IO);
	assert_int_equal(sc_agent_recv(sv[1], &body, &len, NULL, 0, NULL), SC_ERR_NOT_FOUND);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

static void test_frame_limits(void **state)
{
	uint8_t hdr[4] = {0, 0x20, 0, 0}; /* 2 MiB announced */
	int sv[2], p[2], got[1], fds[3];
	uint8_t *body;
	size_t len, nfds;
	json_t *m;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], hdr, 4), 4);
	assert_int_equal(sc_agent_recv(sv[1], &body, &len, NULL, 0, NULL), SC_ERR_TOOBIG);
	assert_null(body);
	/* an empty frame is refused too */
	memset(hdr, 0, 4);
	assert_int_equal(write(sv[0], hdr, 4), 4);
	assert_int_equal(sc_agent_recv(sv[1], &body, &len, NULL, 0, NULL), SC_ERR_TOOBIG);
	/* more fds than the receiver takes: the extra ones are closed */
	assert_int_equal(pipe(p), 0);
	fds[0] = fds[1] = fds[2] = p[1];
	m = json_pack("{s:s}", "op", "status");
	assert_int_equal(sc_agent_send(sv[0], m, NULL, 0, fds, 3), SC_OK);
	assert_int_equal(sc_agent_recv(sv[1], &body, &len, got, 1, &nfds), SC_OK);
	assert_int_equal(nfds, 1);
	free(body);
	close(got[0]);
	/* at most SC_AGENT_FDS_MAX may be sent */
	assert_int_equal(sc_agent_send(sv[0], m, NULL, 0, (int[4]){0, 1, 2, 3}, 4), SC_ERR_INVALID);
	json_decref(m);
	/* attachments are bounded */
	assert_int_equal(sc_agent_recv_attach(sv[1], SC_AGENT_ATTACH_MAX + 1, &body),
	                 SC_ERR_TOOBIG);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* ---- metadata records ---- */

static void test_meta_encode(void **state)
{
	struct sc_secret *s = NULL, *m = NULL;
	const char *fname, *hint;
	const uint8_t *val;
	uint8_t *rec = NULL;
	size_t rl, vlen;
	int sens;

	(void)state;
	assert_int_equal(sc_secret_new(&s, "db/main"), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "password", "hunter2-long-value", 18, 1), SC_OK);
	assert_int_equal(sc_secret_add_field(s, "user", "admin", 5, 0), SC_OK);
	assert_int_equal(sc_secret_set_hint(s, "password", "rotated monthly"), SC_OK);
	assert_int_equal(sc_secret_add_binding(s, "PGPASSWORD", "password"), SC_OK);
	assert_int_equal(sc_secret_add_tag(s, "prod"), SC_OK);
	assert_int_equal(sc_secret_set_notes(s, "the notes may be sensitive"), SC_OK);
	assert_int_equal(sc_secret_set_url(s, "https://db.example"), SC_OK);
	sc_secret_set_expires(s, 4102444800);
	assert_int_equal(sc_agent_meta_encode(s, 0, &rec, &rl), SC_OK);
	assert_null(memmem(rec, rl, "hunter2", 7));
	assert_null(memmem(rec, rl, "admin", 5));
	assert_null(memmem(rec, rl, "sensitive", 9));
	assert_int_equal(sc_record_decode(rec, rl, &m), SC_OK);
	assert_string_equal(sc_secret_name(m), "db/main");
	assert_int_equal(sc_secret_field_count(m), 2);
	assert_int_equal(sc_secret_field(m, 0, &fname, &val, &vlen, &sens, &hint), SC_OK);
	assert_string_equal(fname, "password");
	assert_int_equal(vlen, 0);
	assert_true(sens);
	assert_string_equal(hint, "rotated monthly");
	assert_int_equal(sc_secret_field(m, 1, &fname, &val, &vlen, &sens, &hint), SC_OK);
	assert_int_equal(vlen, 0);
	assert_false(sens);
	assert_int_equal(sc_secret_binding_count(m), 1);
	assert_true(sc_secret_has_tag(m, "prod"));
	assert_string_equal(sc_secret_notes(m), "-");
	assert_string_equal(sc_secret_url(m), "https://db.example");
	assert_int_equal(sc_secret_expires(m), 4102444800);
	assert_int_equal(sc_secret_created(m), sc_secret_created(s));
	sc_secret_free(m);
	sc_secmem_free(rec);
	/* fields (keep_plain): non-sensitive values stay, sensitive ones go */
	assert_int_equal(sc_agent_meta_encode(s, 1, &rec, &rl), SC_OK);
	assert_null(memmem(rec, rl, "hunter2", 7));
	assert_non_null(memmem(rec, rl, "admin", 5));
	assert_int_equal(sc_record_decode(rec, rl, &m), SC_OK);
	assert_int_equal(sc_secret_field(m, 1, &fname, &val, &vlen, &sens, &hint), SC_OK);
	assert_int_equal(vlen, 5);
	assert_memory_equal(val, "admin", 5);
	assert_int_equal(sc_secret_field(m, 0, &fname, &val, &vlen, &sens, &hint), SC_OK);
	assert_int_equal(vlen, 0);
	/* the source is untouched */
	assert_int_equal(sc_secret_field(s, 0, &fname, &val, &vlen, &sens, &hint), SC_OK);
	assert_int_equal(vlen, 18);
	sc_secret_free(m);
	sc_secret_free(s);
	sc_secmem_free(rec);
}

/* ---- paths ---- */

static char base[4096];

static void test_paths(void **state)
{
	char a[4200], b[4200], rel[4300], *s1, *s2, *s3, *l1, *dir;
	char cwd[4096];

	(void)state;
	snprintf(a, sizeof(a), "%s/va", base);
	snprintf(b, sizeof(b), "%s/vb", base);
	assert_int_equal(mkdir(a, 0700), 0);
	assert_int_equal(mkdir(b, 0700), 0);
	setenv("XDG_RUNTIME_DIR", base, 1);
	assert_int_equal(sc_agent_paths(a, &s1, &l1), SC_OK);
	assert_int_equal(sc_agent_paths(b, &s2, NULL), SC_OK);
	assert_string_not_equal(s1, s2);
	assert_non_null(strstr(s1, "/secretctl/"));
	assert_non_null(strstr(l1, ".lock"));
	/* the same vault by another spelling is the same agent */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(base), 0);
	snprintf(rel, sizeof(rel), "./va/../va");
	assert_int_equal(sc_agent_paths(rel, &s3, NULL), SC_OK);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(s1, s3);
	free(s3);
	assert_int_equal(sc_agent_paths("/nonexistent/vault", &s3, NULL), SC_ERR_NO_VAULT);
	free(s1);
	free(s2);
	free(l1);
	/* the directory: created 0700, refused when loose, foreign or a link */
	assert_int_equal(sc_agent_dir(&dir), SC_OK);
	assert_int_equal(sc_agent_dir_check(dir, 0), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_agent_dir_check(dir, 1), SC_OK);
	assert_int_equal(chmod(dir, 0750), 0);
	assert_int_equal(sc_agent_dir_check(dir, 1), SC_ERR_PERM);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(symlink(a, dir), 0);
	assert_int_equal(sc_agent_dir_check(dir, 1), SC_ERR_PERM);
	assert_int_equal(unlink(dir), 0);
	/* with nobody listening there is no agent */
	{
		int fd;

		assert_int_equal(sc_agent_dir_check(dir, 1), SC_OK);
		assert_int_equal(sc_agent_connect(a, &fd), SC_ERR_NOT_FOUND);
		assert_int_equal(fd, -1);
	}
	free(dir);
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(sc_agent_dir(&dir), SC_OK);
	assert_non_null(strstr(dir, "/tmp/secretctl-"));
	free(dir);
	sc_clear_error();
}

static int setup_all(void **state)
{
	const char *t = getenv("SC_TEST_TMP");

	(void)state;
	if (sc_init() != SC_OK)
		return -1;
	if (t != NULL)
		mkdir(t, 0700);
	snprintf(base, sizeof(base), "%s/agent-XXXXXX", t ? t : "/tmp");
	if (mkdtemp(base) == NULL)
		return -1;
	return 0;
}

static int teardown_all(void **state)
{
	char cmd[4200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_simple_ops),
	    cmocka_unit_test(test_decode_run),
	    cmocka_unit_test(test_decode_list_known),
	    cmocka_unit_test(test_decode_caller),
	    cmocka_unit_test(test_decode_refusals),
	    cmocka_unit_test(test_frame_roundtrip),
	    cmocka_unit_test(test_frame_limits),
	    cmocka_unit_test(test_meta_encode),
	    cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
