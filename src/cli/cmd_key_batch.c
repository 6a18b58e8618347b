/* cmd_key_batch.c - `key encrypt|decrypt NAME --batch-json`: items that
 * each carry their own input and encryption context (keys.h, the JSON
 * batch), results in order as one JSON array, a failing item reported in
 * its place without losing the others.
 *
 * The items are grouped by context (the agent's and the library's batch
 * take one context) and each group goes as one batch, through the agent
 * when one is unlocked, else on the vault opened once here; a group that
 * fails is run again item by item, so that only the failing items fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/key_cli.h"
#include "secretctl/agent.h"
#include "secretctl/buf.h"
#include "secretctl/session.h"

/* One group's chunk at most: room for its output in one agent reply. */
#define CHUNK_OUT_MAX (SC_KEYOP_OUT_MAX / 2)

struct item_res {
	const uint8_t *out; /* in one of the run's chunk outputs */
	size_t len;
	int st; /* SC_OK, or the item's failure */
	char *why;
};

struct jrun {
	struct cli *c;
	int kind, allow_compromised;
	const char *name;
	const struct sc_keys_jbatch *b;
	struct item_res *res;
	int agent; /* an unlocked agent answers */
	struct key_session ks;
	int open, exit_st; /* the vault here; a failure to open it (an exit status) */
	struct sc_keys_info info;
	size_t ok, failed, first_failed;
	uint8_t **outs; /* each chunk's output (secmem), kept to the end */
	size_t nouts, capouts;
};

/* One batch op through the agent or on the vault here. */
static int run_op(struct jrun *j, const struct sc_keyop *op, struct sc_keyop_result *res)
{
	struct cli_session cs;
	int fd = -1, st, r = SC_ERR_LOCKED;

	memset(res, 0, sizeof(*res));
	if (j->agent) {
		if (cli_session_open(j->c, &cs) == SC_OK) {
			r = sc_session_agent(cs.s, &fd, NULL);
			cli_session_close(&cs);
		}
		if (r == SC_OK) {
			st = sc_agent_key(fd, SC_AGENT_ORIGIN_CLI, NULL, op, res);
			close(fd);
			/* locked since, or a key the agent does not use (a token's):
			 * here, as key_run does */
			if (st != SC_ERR_LOCKED && st != SC_ERR_TOKEN && st != SC_ERR_AUTH)
				return st;
			sc_keyop_result_release(res);
		}
		sc_clear_error();
		j->agent = 0;
	}
	if (!j->open) {
		if ((j->exit_st = key_open(j->c, &j->ks)) != EXIT_OK)
			return SC_ERR_LOCKED;
		j->open = 1;
		if ((st = key_token(j->c, &j->ks, j->name)) != SC_OK)
			return st;
	}
	return sc_keyop_apply(j->ks.kr, op, key_now(), res);
}

static void note_info(struct jrun *j, const struct sc_keys_info *in)
{
	j->info.version = in->version > j->info.version ? in->version : j->info.version;
	j->info.rotated |= in->rotated;
	if (j->info.compromised == 0)
		j->info.compromised = in->compromised;
}

/* Items idx[0..n) (one context) as one batch; their results, or st. */
static int run_chunk(struct jrun *j, const size_t *idx, size_t n)
{
	const struct sc_keys_jitem *first = &j->b->items[idx[0]];
	struct sc_keyop_result res;
	struct sc_keyop op;
	struct sc_buf in, rd;
	size_t i, need = 0;
	int st;

	for (i = 0; i < n; i++)
		need += 4 + j->b->items[idx[i]].in_len;
	sc_buf_init(&in, need + 1, SC_BUF_SECURE);
	for (i = 0; i < n; i++) {
		(void)sc_buf_put_u32(&in, (uint32_t)j->b->items[idx[i]].in_len);
		(void)sc_buf_put(&in, j->b->items[idx[i]].in, j->b->items[idx[i]].in_len);
	}
	if ((st = sc_buf_status(&in)) != SC_OK) {
		sc_buf_release(&in);
		return st;
	}
	memset(&op, 0, sizeof(op));
	op.kind = j->kind;
	op.name = j->name;
	op.ctx = first->ctx;
	op.allow_compromised = j->allow_compromised;
	op.in = sc_buf_ptr(&in);
	op.in_len = in.len;
	op.batch = n;
	st = run_op(j, &op, &res);
	sc_buf_release(&in);
	if (st != SC_OK) {
		sc_keyop_result_release(&res);
		return st;
	}
	/* the items point into the chunk's output: one guarded block a chunk */
	if (j->nouts == j->capouts) {
		size_t nc = j->capouts ? j->capouts * 2 : 16;
		uint8_t **no = realloc(j->outs, nc * sizeof(*no));

		if (no == NULL) {
			sc_keyop_result_release(&res);
			return SC_ERR_NOMEM;
		}
		j->outs = no;
		j->capouts = nc;
	}
	sc_buf_init_reader(&rd, res.out, res.out_len);
	for (i = 0; i < n; i++) {
		const uint8_t *p;
		uint32_t l;

		if (sc_buf_get_u32(&rd, &l) != SC_OK || sc_buf_get_ptr(&rd, l, &p) != SC_OK) {
			sc_keyop_result_release(&res);
			return SC_ERR_CORRUPT;
		}
		j->res[idx[i]].out = p;
		j->res[idx[i]].len = l;
	}
	j->outs[j->nouts++] = res.out;
	res.out = NULL;
	j->ok += n;
	note_info(j, &res.info);
	sc_keyop_result_release(&res);
	return SC_OK;
}

/* A chunk; when it fails as a whole, its halves, down to the failing
 * items alone (a few bad items cost a few requests each, not one request
 * per good item). */
static int run_or_split(struct jrun *j, const size_t *idx, size_t n)
{
	struct item_res *ir = &j->res[idx[0]];
	int st, r;

	if ((st = run_chunk(j, idx, n)) == SC_OK || j->exit_st != EXIT_OK)
		return j->exit_st;
	if (n > 1) {
		sc_clear_error();
		if ((r = run_or_split(j, idx, n / 2)) != EXIT_OK)
			return r;
		return run_or_split(j, idx + n / 2, n - n / 2);
	}
	ir->st = st;
	if (st == SC_ERR_CORRUPT && *sc_last_error() == '\0')
		sc_set_error("tampered with, or made under another key, version or context");
	ir->why = strdup(*sc_last_error() ? sc_last_error() : sc_strerror(st));
	sc_clear_error();
	/* items run grouped by context: the first failure is the input's first */
	if (j->failed++ == 0 || idx[0] < j->first_failed)
		j->first_failed = idx[0];
	return EXIT_OK;
}

/* The items ordered by context encoding, then by position. */
struct keyed {
	uint8_t *enc;
	size_t len, at;
};

static int by_ctx(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int d = memcmp(x->enc, y->enc, n);

	if (d == 0 && x->len != y->len)
		d = x->len < y->len ? -1 : 1;
	if (d == 0)
		d = x->at < y->at ? -1 : x->at > y->at;
	return d;
}

static int run_all(struct jrun *j)
{
	struct keyed *ks = calloc(j->b->n, sizeof(*ks));
	size_t *idx = calloc(j->b->n, sizeof(*idx));
	size_t i, s, e;
	int r = EXIT_OK;

	if (ks == NULL || idx == NULL) {
		r = cli_fail(SC_ERR_NOMEM, "cannot run the batch");
		goto out;
	}
	for (i = 0; i < j->b->n; i++) {
		if (sc_keys_ctx_encode(j->b->items[i].ctx, &ks[i].enc, &ks[i].len) != SC_OK) {
			r = cli_fail(SC_ERR_NOMEM, "cannot run the batch");
			goto out;
		}
		ks[i].at = i;
	}
	qsort(ks, j->b->n, sizeof(*ks), by_ctx);
	for (i = 0; i < j->b->n; i++)
		idx[i] = ks[i].at;
	/* runs of one context, cut where the output would pass a reply */
	for (s = 0; s < j->b->n && r == EXIT_OK; s = e) {
		size_t est = 0;

		for (e = s; e < j->b->n; e++) {
			size_t l = j->b->items[idx[e]].in_len;
			size_t one = j->kind == SC_KEYOP_ENCRYPT ? l / 3 * 4 + 160 : l + 8;

			if (e > s && (ks[e].len != ks[s].len ||
			              memcmp(ks[e].enc, ks[s].enc, ks[s].len) != 0 ||
			              est + one > CHUNK_OUT_MAX || e - s >= SC_KEYOP_BATCH_MAX))
				break;
			est += one;
		}
		r = run_or_split(j, idx + s, e - s);
	}
out:
	for (i = 0; ks != NULL && i < j->b->n; i++)
		free(ks[i].enc);
	free(ks);
	free(idx);
	return r;
}

/* An item's result as JSON: a decrypted plaintext as a string when it is
 * UTF-8, else in base64. */
static json_t *item_json(const struct jrun *j, size_t i)
{
	const struct item_res *ir = &j->res[i];
	json_t *o = json_object(), *v;

	if (o == NULL)
		return NULL;
	if (j->b->items[i].id != NULL &&
	    (v = json_loads(j->b->items[i].id, JSON_DECODE_ANY, NULL)) != NULL)
		json_object_set_new(o, "id", v);
	json_object_set_new(o, "ok", json_boolean(ir->st == SC_OK));
	if (ir->st != SC_OK) {
		json_object_set_new(o, "error",
		                    json_pack("{s:s,s:i,s:s}", "code", sc_status_code(ir->st),
		                              "exit_status", sc_status_exit(ir->st), "message",
		                              ir->why != NULL ? ir->why : sc_strerror(ir->st)));
		return o;
	}
	if ((v = json_stringn((const char *)ir->out, ir->len)) != NULL) {
		json_object_set_new(o, "out", v);
	} else {
		size_t n = sodium_base64_ENCODED_LEN(ir->len, sodium_base64_VARIANT_ORIGINAL);
		char *b = sc_secmem_alloc(n);

		if (b == NULL) {
			json_decref(o);
			return NULL;
		}
		sodium_bin2base64(b, n, ir->out, ir->len, sodium_base64_VARIANT_ORIGINAL);
		json_object_set_new(o, "out_b64", json_string(b));
		sc_secmem_free(b);
	}
	return o;
}

int cli_key_batch_json(struct cli *c, int kind, const char *name, const char *in, const char *outp,
                       int allow_compromised)
{
	struct sc_keys_jbatch b = {NULL, 0, NULL, 0, 0};
	struct jrun j;
	uint8_t *text = NULL;
	size_t len, i;
	json_t *arr = NULL;
	char *s = NULL;
	int r, st;

	memset(&j, 0, sizeof(j));
	if ((st = key_read_input(in, SC_KEYS_JBATCH_BYTES_MAX, 0, &text, &len)) != SC_OK)
		return cli_fail(st, "cannot read '%s'", in != NULL ? in : "-");
	st = sc_keys_jbatch_parse(
	    text, len, kind == SC_KEYOP_ENCRYPT ? SC_KEYS_PLAINTEXT_MAX : KEY_IN_MAX, &b);
	sc_secmem_free(text);
	if (st != SC_OK)
		return cli_fail(st, "cannot read the JSON batch");
	j.c = c;
	j.kind = kind;
	j.name = name;
	j.allow_compromised = allow_compromised;
	j.b = &b;
	j.agent = 1;
	if ((j.res = calloc(b.n, sizeof(*j.res))) == NULL) {
		r = cli_fail(SC_ERR_NOMEM, "cannot run the batch");
		goto out;
	}
	if ((r = run_all(&j)) != EXIT_OK)
		goto out;
	if (j.open) {
		/* what succeeded is saved and recorded before any of it is
		 * printed; the failures get their own entry */
		st = key_commit_info(c, &j.ks, sc_keyop_audit_op(kind), name, &j.info,
		                     j.ok > 0 ? SC_OK : j.res[j.first_failed].st);
		if (j.ok > 0 && st != SC_OK) {
			r = key_fail(st, "record the batch of key", name);
			goto out;
		}
		if (j.ok > 0 && j.failed > 0)
			(void)key_commit(c, &j.ks, sc_keyop_audit_op(kind), name,
			                 j.res[j.first_failed].st);
		sc_clear_error();
	}
	if (j.ok > 0)
		key_say(name, &j.info);
	arr = json_array();
	for (i = 0; arr != NULL && i < b.n; i++)
		if (json_array_append_new(arr, item_json(&j, i)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	if (arr == NULL || (s = json_dumps(arr, JSON_COMPACT)) == NULL) {
		r = cli_fail(SC_ERR_NOMEM, "cannot write the batch's results");
		goto out;
	}
	if (outp != NULL)
		st = key_write_file(outp, (const uint8_t *)s, strlen(s));
	else
		st = fputs(s, stdout) >= 0 && putchar('\n') != EOF && fflush(stdout) == 0
		         ? SC_OK
		         : SC_ERR_IO;
	if (st != SC_OK) {
		r = cli_fail(st, "cannot write the batch's results");
		goto out;
	}
	if (j.failed > 0) {
		const struct item_res *f = &j.res[j.first_failed];

		r = cli_error(sc_status_exit(f->st),
		              "%zu of %zu batch items failed (first: item %zu: %s)", j.failed, b.n,
		              j.first_failed + 1, f->why != NULL ? f->why : "");
	}
out:
	if (j.open)
		key_close(&j.ks);
	else if (j.exit_st != EXIT_OK)
		r = j.exit_st;
	for (i = 0; j.res != NULL && i < b.n; i++)
		free(j.res[i].why);
	for (i = 0; i < j.nouts; i++)
		sc_secmem_free(j.outs[i]);
	free(j.outs);
	free(j.res);
	free(s);
	json_decref(arr);
	sc_keys_jbatch_free(&b);
	return r;
}
