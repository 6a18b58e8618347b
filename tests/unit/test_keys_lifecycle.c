/* test_keys_lifecycle.c - SP 800-57 states of key versions: every transition
 * (allowed and refused) against a table written here from the standard,
 * what each state lets a version do, time-driven activation, scheduled
 * destruction with cancel, trim and the reference hook, floors and flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys/keys_int.h"

#define T0 1700000000
#define DAY 86400

enum { P = SC_KEY_PREACTIVE, A, S, D, C, X };

/* SP 800-57 Part 1 Rev. 5, section 7 (Figure 3): the allowed transitions,
 * written out independently of lifecycle.c's table. */
static const int allowed_pairs[][2] = {
    {P, A}, {P, C}, {P, X}, {A, S}, {A, D}, {A, C}, {A, X},
    {S, A}, {S, D}, {S, C}, {S, X}, {D, C}, {D, X}, {C, X},
};

static int expect_allowed(int from, int to)
{
	size_t i;

	for (i = 0; i < sizeof(allowed_pairs) / sizeof(allowed_pairs[0]); i++)
		if (allowed_pairs[i][0] == from && allowed_pairs[i][1] == to)
			return 1;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(sc_init(), SC_OK);
	return 0;
}

static struct sc_keyring *ring(void)
{
	struct sc_keyring *kr = NULL;

	assert_int_equal(sc_keyring_new(&kr), SC_OK);
	return kr;
}

static int state_of(struct sc_keyring *kr, const char *name, uint32_t version)
{
	struct sc_key_version_meta m;
	struct sc_key_meta km;

	assert_int_equal(sc_keyring_key_meta(kr, name, &km), SC_OK);
	assert_true(version >= km.min_available);
	assert_int_equal(sc_keyring_version_at(kr, name, version - km.min_available, &m), SC_OK);
	assert_int_equal(m.version, version);
	return (int)m.state;
}

/* A keyring with key "k" (aes256-gcm) whose version 1 is in state st. */
static struct sc_keyring *ring_in(int st)
{
	struct sc_keyring *kr = ring();
	struct sc_key_params p = {0, 0, 0};

	if (st == P)
		p.activate_at = T0 + 1000;
	assert_int_equal(sc_keyring_create(kr, "k", SC_KEY_AES256_GCM, &p, T0), SC_OK);
	if (st == S || st == D || st == C)
		assert_int_equal(sc_keyring_set_state(kr, "k", 1, (enum sc_key_state)st, T0),
		                 SC_OK);
	if (st == X) {
		assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 7, T0), SC_OK);
		assert_int_equal(sc_keyring_tick(kr, T0 + 7 * DAY), SC_OK);
	}
	assert_int_equal(state_of(kr, "k", 1), st);
	return kr;
}

static void test_table_matches_standard(void **state)
{
	int from, to;

	(void)state;
	for (from = 0; from <= SC_KEY_STATE_MAX; from++)
		for (to = 0; to <= SC_KEY_STATE_MAX; to++)
			assert_int_equal(sc_key_transition_allowed(from, to),
			                 from >= P && from <= X && to >= P && to <= X &&
			                     expect_allowed(from, to));
}

/* Every (from, to) through the public call: allowed ones happen, refused
 * ones are SC_ERR_STATE, name the state and change nothing. */
static void test_every_transition(void **state)
{
	int from, to;

	(void)state;
	for (from = P; from <= X; from++)
		for (to = P; to <= X; to++) {
			struct sc_keyring *kr = ring_in(from);
			uint64_t gen = sc_keyring_generation(kr);
			int r = sc_keyring_set_state(kr, "k", 1, (enum sc_key_state)to, T0 + 10);

			if (to == P || to == X) {
				/* never by hand: pre-activation is only at birth,
				 * destruction only scheduled or by trim */
				assert_int_equal(r, SC_ERR_INVALID);
				assert_int_equal(state_of(kr, "k", 1), from);
			} else if (from == to) {
				assert_int_equal(r, SC_OK);
				assert_int_equal(sc_keyring_generation(kr), gen);
			} else if (expect_allowed(from, to)) {
				assert_int_equal(r, SC_OK);
				assert_int_equal(state_of(kr, "k", 1), to);
				assert_true(sc_keyring_generation(kr) > gen);
			} else {
				assert_int_equal(r, SC_ERR_STATE);
				assert_int_equal(state_of(kr, "k", 1), from);
				assert_int_equal(sc_keyring_generation(kr), gen);
				assert_non_null(strstr(sc_last_error(), sc_key_state_name(from)));
			}
			sc_keyring_free(kr);
		}
}

static void test_transition_timestamps(void **state)
{
	struct sc_keyring *kr = ring_in(A);
	struct sc_key_version_meta m;

	(void)state;
	assert_int_equal(sc_keyring_set_state(kr, "k", 1, SC_KEY_SUSPENDED, T0 + 5), SC_OK);
	assert_int_equal(sc_keyring_set_state(kr, "k", 1, SC_KEY_ACTIVE, T0 + 6), SC_OK);
	assert_int_equal(sc_keyring_set_state(kr, "k", 1, SC_KEY_DEACTIVATED, T0 + 7), SC_OK);
	assert_int_equal(sc_keyring_set_state(kr, "k", 1, SC_KEY_COMPROMISED, T0 + 8), SC_OK);
	assert_int_equal(sc_keyring_version_at(kr, "k", 0, &m), SC_OK);
	assert_int_equal(m.created, T0);
	assert_int_equal(m.suspended, T0 + 5);
	assert_int_equal(m.activated, T0 + 6);
	assert_int_equal(m.deactivated, T0 + 7);
	assert_int_equal(m.compromised, T0 + 8);
	/* deactivated never becomes active again, and the error says why */
	sc_keyring_free(kr);
	kr = ring_in(D);
	assert_int_equal(sc_keyring_set_state(kr, "k", 1, SC_KEY_ACTIVE, T0), SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "rotate"));
	sc_keyring_free(kr);
}

/* What each state permits, through real operations: a ciphertext made
 * while version 1 was active, then version 1 moved to each state. */
static void test_ops_per_state(void **state)
{
	static const uint8_t msg[] = "attack at dawn";
	static const char *const way_out[X + 1] = {[P] = "key activate",
	                                           [S] = "key resume",
	                                           [D] = "key rotate",
	                                           [C] = "--allow-compromised",
	                                           [X] = "crypto-erased"};
	int st;

	(void)state;
	for (st = P; st <= X; st++) {
		struct sc_keyring *kr = ring_in(A);
		struct sc_keys_opts o = {T0 + 1, NULL, 0, 0};
		struct sc_keys_info info;
		char *ct = NULL, *ct2 = NULL;
		uint8_t *pt = NULL;
		size_t n = 0;
		int enc, dec;

		assert_int_equal(sc_keyring_encrypt(kr, "k", &o, msg, sizeof(msg), &ct, NULL),
		                 SC_OK);
		if (st == S || st == D || st == C)
			assert_int_equal(
			    sc_keyring_set_state(kr, "k", 1, (enum sc_key_state)st, T0 + 1), SC_OK);
		if (st == X) {
			assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 7, T0 + 1), SC_OK);
			o.now = T0 + 1 + 7 * DAY;
		}
		if (st == P) {
			/* nothing returns to pre-activation: a key born in it */
			struct sc_key_params p = {0, 0, T0 + 1000};

			assert_int_equal(sc_keyring_create(kr, "p", SC_KEY_AES256_GCM, &p, T0),
			                 SC_OK);
			enc = sc_keyring_encrypt(kr, "p", &o, msg, sizeof(msg), &ct2, &info);
			assert_int_equal(enc, SC_ERR_STATE);
			assert_non_null(strstr(sc_last_error(), way_out[P]));
			assert_null(ct2);
			free(ct);
			sc_keyring_free(kr);
			continue;
		}
		enc = sc_keyring_encrypt(kr, "k", &o, msg, sizeof(msg), &ct2, &info);
		if (enc != SC_OK)
			assert_non_null(strstr(sc_last_error(), sc_key_state_name(st)));
		dec = sc_keyring_decrypt(kr, "k", &o, ct, strlen(ct), &pt, &n, &info);
		if (st == A) {
			assert_int_equal(enc, SC_OK);
			assert_int_equal(dec, SC_OK);
			assert_int_equal(n, sizeof(msg));
			assert_memory_equal(pt, msg, sizeof(msg));
		} else {
			assert_int_equal(enc, SC_ERR_STATE);
			assert_null(ct2);
			if (st == D) {
				assert_int_equal(dec, SC_OK);
				assert_memory_equal(pt, msg, sizeof(msg));
			} else {
				assert_int_equal(dec, SC_ERR_STATE);
				assert_null(pt);
				assert_non_null(strstr(sc_last_error(), way_out[st]));
			}
		}
		if (st == C) {
			/* with the explicit flag, and reported */
			o.allow_compromised = 1;
			assert_int_equal(
			    sc_keyring_decrypt(kr, "k", &o, ct, strlen(ct), &pt, &n, &info), SC_OK);
			assert_int_equal(info.compromised, 1);
			assert_memory_equal(pt, msg, sizeof(msg));
			/* still never for encryption */
			assert_int_equal(
			    sc_keyring_encrypt(kr, "k", &o, msg, sizeof(msg), &ct2, NULL),
			    SC_ERR_STATE);
		}
		sc_secmem_free(pt);
		free(ct);
		free(ct2);
		sc_keyring_free(kr);
	}
}

static void test_op_table(void **state)
{
	(void)state;
	/* the table itself: written out from the issue */
	assert_true(sc_key_op_allowed(A, SC_KEY_OP_ENCRYPT, 0));
	assert_true(sc_key_op_allowed(A, SC_KEY_OP_DECRYPT, 0));
	assert_true(sc_key_op_allowed(A, SC_KEY_OP_SIGN, 0));
	assert_true(sc_key_op_allowed(A, SC_KEY_OP_VERIFY, 0));
	assert_false(sc_key_op_allowed(D, SC_KEY_OP_ENCRYPT, 0));
	assert_false(sc_key_op_allowed(D, SC_KEY_OP_SIGN, 0));
	assert_true(sc_key_op_allowed(D, SC_KEY_OP_DECRYPT, 0));
	assert_true(sc_key_op_allowed(D, SC_KEY_OP_VERIFY, 0));
	assert_false(sc_key_op_allowed(C, SC_KEY_OP_DECRYPT, 0));
	assert_true(sc_key_op_allowed(C, SC_KEY_OP_DECRYPT, 1));
	assert_true(sc_key_op_allowed(C, SC_KEY_OP_VERIFY, 1));
	assert_false(sc_key_op_allowed(C, SC_KEY_OP_ENCRYPT, 1));
	assert_false(sc_key_op_allowed(C, SC_KEY_OP_SIGN, 1));
	for (int op = 0; op < SC_KEY_OP_MAX; op++) {
		assert_false(sc_key_op_allowed(P, op, 1));
		assert_false(sc_key_op_allowed(S, op, 1));
		assert_false(sc_key_op_allowed(X, op, 1));
	}
	assert_false(sc_key_op_allowed(0, 0, 1));
	assert_false(sc_key_op_allowed(A, SC_KEY_OP_MAX, 1));
}

static void test_activate_at(void **state)
{
	struct sc_keyring *kr = ring_in(P);
	struct sc_keys_opts o = {T0 + 999, NULL, 0, 0};
	struct sc_key_version_meta m;
	char *ct = NULL;

	(void)state;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"x", 1, &ct, NULL),
	                 SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "pre-activation until"));
	o.now = T0 + 1000; /* the date comes: active on the next use */
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"x", 1, &ct, NULL),
	                 SC_OK);
	assert_int_equal(sc_keyring_version_at(kr, "k", 0, &m), SC_OK);
	assert_int_equal(m.state, SC_KEY_ACTIVE);
	assert_int_equal(m.activated, T0 + 1000);
	free(ct);
	sc_keyring_free(kr);
	/* or by hand before the date */
	kr = ring_in(P);
	assert_int_equal(sc_keyring_set_state(kr, "k", 1, SC_KEY_ACTIVE, T0 + 3), SC_OK);
	assert_int_equal(sc_keyring_version_at(kr, "k", 0, &m), SC_OK);
	assert_int_equal(m.activated, T0 + 3);
	sc_keyring_free(kr);
}

struct refs {
	uint32_t version; /* the version with references */
	uint64_t count;
	int fail;
	int calls;
};

static int refs_fn(const char *name, uint32_t version, uint64_t *count, void *arg)
{
	struct refs *r = arg;

	r->calls++;
	assert_string_equal(name, "k");
	if (r->fail)
		return SC_ERR_DB;
	*count = version == r->version ? r->count : 0;
	return SC_OK;
}

static void test_schedule_destroy(void **state)
{
	struct sc_keyring *kr = ring_in(A);
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	struct sc_key_version_meta m;
	uint8_t *mat = NULL, *pt = NULL;
	size_t n = 0;
	char *ct = NULL, *ct2 = NULL;

	(void)state;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"v", 1, &ct, NULL),
	                 SC_OK);
	/* bounds: 7..30 days, 0 = 30 */
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 6, T0), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 31, T0), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 2, 7, T0), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 0, T0), SC_OK);
	assert_int_equal(sc_keyring_version_at(kr, "k", 0, &m), SC_OK);
	assert_int_equal(m.destroy_at, T0 + 30 * DAY);
	assert_int_equal(m.state, SC_KEY_ACTIVE);
	/* scheduled twice: refused, with the way out */
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 7, T0), SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "cancel-destroy"));
	/* while scheduled it does nothing, not even decrypt or a state change */
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"v", 1, &ct2, NULL),
	                 SC_ERR_STATE);
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, ct, strlen(ct), &pt, &n, NULL),
	                 SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "scheduled for destruction"));
	assert_int_equal(sc_keyring_set_state(kr, "k", 1, SC_KEY_SUSPENDED, T0), SC_ERR_STATE);
	/* cancel: back to what it was */
	assert_int_equal(sc_keyring_cancel_destroy(kr, "k", 1), SC_OK);
	assert_int_equal(sc_keyring_cancel_destroy(kr, "k", 1), SC_ERR_STATE);
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, ct, strlen(ct), &pt, &n, NULL), SC_OK);
	sc_secmem_free(pt);
	pt = NULL;
	/* scheduled again; a day early nothing happens, then crypto-erase */
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 7, T0), SC_OK);
	assert_int_equal(sc_keyring_tick(kr, T0 + 7 * DAY - 1), SC_OK);
	assert_int_equal(state_of(kr, "k", 1), SC_KEY_ACTIVE);
	assert_int_equal(sc_keyring_tick(kr, T0 + 7 * DAY), SC_OK);
	assert_int_equal(sc_keyring_version_at(kr, "k", 0, &m), SC_OK);
	assert_int_equal(m.state, SC_KEY_DESTROYED);
	assert_int_equal(m.destroyed, T0 + 7 * DAY);
	assert_int_equal(m.destroy_at, 0);
	assert_null(sc_keys_find(kr, "k")->v[0].material);
	assert_int_equal(sc_keyring_cancel_destroy(kr, "k", 1), SC_ERR_STATE);
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, ct, strlen(ct), &pt, &n, NULL),
	                 SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "destroyed"));
	assert_int_equal(sc_keyring_set_exportable(kr, "k"), SC_OK);
	assert_int_equal(sc_keyring_export(kr, "k", 1, &mat, &n), SC_ERR_STATE);
	free(ct);
	sc_keyring_free(kr);
}

/* Destruction is allowed from every live state (SP 800-57: pre-activation,
 * active, suspended, deactivated, compromised -> destroyed), only by
 * scheduling it: while scheduled the version does nothing, cancel gives
 * back the state it had, and the due date crypto-erases it. */
static void test_destroy_from_every_state(void **state)
{
	int st;

	(void)state;
	for (st = P; st <= C; st++) {
		struct sc_keyring *kr = ring_in(st);
		struct sc_keys_opts o = {T0 + 1, NULL, 0, 1};
		char *ct = NULL;

		assert_true(expect_allowed(st, X));
		assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 7, T0), SC_OK);
		assert_int_equal(
		    sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"x", 1, &ct, NULL),
		    SC_ERR_STATE);
		assert_non_null(strstr(sc_last_error(), "key cancel-destroy k --version 1"));
		assert_null(ct);
		/* a compromise can still be marked while scheduled */
		if (st != C) {
			assert_int_equal(sc_keyring_cancel_destroy(kr, "k", 1), SC_OK);
			assert_int_equal(state_of(kr, "k", 1), st);
			assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 7, T0), SC_OK);
		}
		/* pre-activation past its date: destroyed, never activated first */
		assert_int_equal(sc_keyring_tick(kr, T0 + 7 * DAY), SC_OK);
		assert_int_equal(state_of(kr, "k", 1), X);
		assert_null(sc_keys_find(kr, "k")->v[0].material);
		/* destroyed is final: nothing schedules, cancels or moves it */
		assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 7, T0 + 7 * DAY),
		                 SC_ERR_STATE);
		assert_int_equal(sc_keyring_cancel_destroy(kr, "k", 1), SC_ERR_STATE);
		assert_int_equal(sc_keyring_set_state(kr, "k", 1, SC_KEY_COMPROMISED, T0 + 7 * DAY),
		                 SC_ERR_STATE);
		sc_keyring_free(kr);
	}
}

/* info.compromised names the compromised version used, not a yes: a
 * decrypt under version 2, and a rewrap of a version-2 text under 3. */
static void test_compromised_info(void **state)
{
	struct sc_keyring *kr = ring_in(A);
	struct sc_keys_opts o = {T0 + 1, NULL, 0, 0};
	struct sc_keys_info info;
	char *ct = NULL, *re = NULL;
	uint8_t *pt = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(sc_keyring_rotate(kr, "k", T0, NULL), SC_OK);
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"x", 1, &ct, &info),
	                 SC_OK);
	assert_int_equal(info.compromised, 0);
	assert_int_equal(sc_keyring_rotate(kr, "k", T0, NULL), SC_OK);
	assert_int_equal(sc_keyring_set_state(kr, "k", 2, SC_KEY_COMPROMISED, T0 + 1), SC_OK);
	o.allow_compromised = 1;
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, ct, strlen(ct), &pt, &n, &info), SC_OK);
	assert_int_equal(info.version, 2);
	assert_int_equal(info.compromised, 2);
	sc_secmem_free(pt);
	assert_int_equal(sc_keyring_rewrap(kr, "k", &o, ct, strlen(ct), &re, &info), SC_OK);
	assert_int_equal(info.version, 3);
	assert_int_equal(info.compromised, 2);
	free(re);
	re = NULL;
	/* the flag alone says nothing: an active version is not reported */
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"y", 1, &re, &info),
	                 SC_OK);
	assert_int_equal(info.compromised, 0);
	free(re);
	free(ct);
	sc_keyring_free(kr);
}

static void test_destroy_refused_while_referenced(void **state)
{
	struct sc_keyring *kr = ring_in(A);
	struct refs rf = {1, 14, 0, 0};

	(void)state;
	assert_int_equal(sc_keyring_rotate(kr, "k", T0, NULL), SC_OK);
	sc_keyring_set_refs(kr, refs_fn, &rf);
	/* scheduling refuses, names the count and the way out */
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 1, 7, T0), SC_ERR_BUSY);
	assert_non_null(strstr(sc_last_error(), "14 items"));
	assert_non_null(strstr(sc_last_error(), "rewrap"));
	/* all versions: refused as a whole, nothing scheduled */
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 0, 7, T0), SC_ERR_BUSY);
	{
		struct sc_key_version_meta m;

		assert_int_equal(sc_keyring_version_at(kr, "k", 1, &m), SC_OK);
		assert_int_equal(m.destroy_at, 0);
	}
	/* a failing hook fails closed */
	rf.fail = 1;
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 2, 7, T0), SC_ERR_DB);
	rf.fail = 0;
	/* scheduled while free, referenced by the time it is due: it waits */
	rf.count = 0;
	assert_int_equal(sc_keyring_schedule_destroy(kr, "k", 0, 7, T0), SC_OK);
	rf.count = 2;
	assert_int_equal(sc_keyring_tick(kr, T0 + 8 * DAY), SC_ERR_BUSY);
	assert_int_equal(state_of(kr, "k", 1), SC_KEY_ACTIVE);
	assert_int_equal(state_of(kr, "k", 2), SC_KEY_DESTROYED);
	rf.count = 0;
	assert_int_equal(sc_keyring_tick(kr, T0 + 9 * DAY), SC_OK);
	assert_int_equal(state_of(kr, "k", 1), SC_KEY_DESTROYED);
	sc_keyring_free(kr);
}

static void test_trim(void **state)
{
	struct sc_keyring *kr = ring_in(A);
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	struct refs rf = {2, 3, 0, 0};
	struct sc_key_meta km;
	char *ct1 = NULL;
	uint8_t *pt = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"1", 1, &ct1, NULL),
	                 SC_OK);
	assert_int_equal(sc_keyring_rotate(kr, "k", T0, NULL), SC_OK);
	assert_int_equal(sc_keyring_rotate(kr, "k", T0, NULL), SC_OK);
	/* floors first: trim below 3 needs both at 3 */
	assert_int_equal(sc_keyring_trim(kr, "k", 3), SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "min-decrypt-version"));
	assert_int_equal(sc_keyring_set_min_encrypt(kr, "k", 3), SC_OK);
	assert_int_equal(sc_keyring_trim(kr, "k", 3), SC_ERR_STATE);
	assert_int_equal(sc_keyring_set_min_decrypt(kr, "k", 3), SC_OK);
	assert_int_equal(sc_keyring_set_min_encrypt(kr, "k", 4), SC_ERR_INVALID);
	/* below the decrypt floor, version 1 no longer decrypts */
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, ct1, strlen(ct1), &pt, &n, NULL),
	                 SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "min_decrypt_version"));
	/* references hold it */
	sc_keyring_set_refs(kr, refs_fn, &rf);
	assert_int_equal(sc_keyring_trim(kr, "k", 3), SC_ERR_BUSY);
	assert_int_equal(sc_keyring_key_meta(kr, "k", &km), SC_OK);
	assert_int_equal(km.nversions, 3);
	rf.count = 0;
	assert_int_equal(sc_keyring_trim(kr, "k", 3), SC_OK);
	assert_int_equal(sc_keyring_key_meta(kr, "k", &km), SC_OK);
	assert_int_equal(km.nversions, 1);
	assert_int_equal(km.min_available, 3);
	assert_int_equal(km.newest, 3);
	/* floors can no longer go below what is left */
	assert_int_equal(sc_keyring_set_min_decrypt(kr, "k", 2), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, ct1, strlen(ct1), &pt, &n, NULL),
	                 SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "trimmed"));
	assert_null(pt);
	/* a new version does not reuse a trimmed number */
	{
		uint32_t v = 0;

		assert_int_equal(sc_keyring_rotate(kr, "k", T0, &v), SC_OK);
		assert_int_equal(v, 4);
	}
	free(ct1);
	sc_keyring_free(kr);
}

static void test_flags(void **state)
{
	struct sc_keyring *kr = ring();
	struct sc_key_params p = {SC_KEY_REQUIRE_CONTEXT, 0, 0};
	struct sc_key_meta km;
	uint8_t *m = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(sc_keyring_create(kr, "k", SC_KEY_AES256_GCM, &p, T0), SC_OK);
	assert_int_equal(sc_keyring_export(kr, "k", 1, &m, &n), SC_ERR_DENIED);
	assert_null(m);
	assert_int_equal(sc_keyring_set_exportable(kr, "k"), SC_OK);
	assert_int_equal(sc_keyring_set_exportable(kr, "k"), SC_OK);
	assert_int_equal(sc_keyring_key_meta(kr, "k", &km), SC_OK);
	assert_int_equal(km.flags, SC_KEY_EXPORTABLE | SC_KEY_REQUIRE_CONTEXT);
	assert_int_equal(sc_keyring_export(kr, "k", 1, &m, &n), SC_OK);
	assert_int_equal(n, 32);
	assert_memory_equal(m, sc_keys_find(kr, "k")->v[0].material, 32);
	sc_secmem_free(m);
	/* bad parameters */
	p.flags = 0x80;
	assert_int_equal(sc_keyring_create(kr, "j", SC_KEY_AES256_GCM, &p, T0), SC_ERR_INVALID);
	p.flags = SC_KEY_REQUIRE_CONTEXT;
	assert_int_equal(sc_keyring_create(kr, "j", SC_KEY_HMAC_SHA256, &p, T0), SC_ERR_INVALID);
	p.flags = 0;
	p.rotate_every = -1;
	assert_int_equal(sc_keyring_create(kr, "j", SC_KEY_AES256_GCM, &p, T0), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_create(kr, "k", SC_KEY_AES256_GCM, NULL, T0), SC_ERR_EXISTS);
	assert_int_equal(sc_keyring_create(kr, "j", (enum sc_key_type)0, NULL, T0), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_create(kr, "j", SC_KEY_TYPE_MAX, NULL, T0), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_set_rotate_every(kr, "k", -5), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_set_state(kr, "nope", 1, SC_KEY_ACTIVE, T0), SC_ERR_NOT_FOUND);
	assert_int_equal(sc_keyring_set_state(kr, "k", 9, SC_KEY_SUSPENDED, T0), SC_ERR_NOT_FOUND);
	sc_keyring_free(kr);
}

/* The floors as `key config` sets them: raised and lowered within
 * [min_available, newest], encrypt never under decrypt, both or neither. */
static void test_floors(void **state)
{
	struct sc_keyring *kr = ring();
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	struct sc_key_meta km;
	char *ct1 = NULL, *ct = NULL;
	uint8_t *pt = NULL;
	size_t n = 0;
	uint64_t g;

	(void)state;
	assert_int_equal(sc_keyring_create(kr, "k", SC_KEY_AES256_GCM, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"1", 1, &ct1, NULL),
	                 SC_OK);
	assert_int_equal(sc_keyring_rotate(kr, "k", T0, NULL), SC_OK);
	assert_int_equal(sc_keyring_rotate(kr, "k", T0, NULL), SC_OK);
	/* above the newest, or 0 and out of range: refused, nothing changed */
	g = sc_keyring_generation(kr);
	assert_int_equal(sc_keyring_set_floors(kr, "k", 0, 4), SC_ERR_INVALID);
	assert_non_null(strstr(sc_last_error(), "between 1 and 3, not 4"));
	assert_non_null(strstr(sc_last_error(), "key rotate"));
	assert_int_equal(sc_keyring_set_floors(kr, "k", 4, 4), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_set_min_decrypt(kr, "k", 0), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_set_floors(kr, "nope", 1, 1), SC_ERR_NOT_FOUND);
	/* the encrypt floor under the decrypt one: refused as a whole */
	assert_int_equal(sc_keyring_set_floors(kr, "k", 3, 2), SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "--min-decrypt-version 3 --min-encrypt-version 3"));
	assert_int_equal(sc_keyring_set_min_decrypt(kr, "k", 2), SC_ERR_STATE);
	assert_int_equal(sc_keyring_generation(kr), g);
	assert_int_equal(sc_keyring_key_meta(kr, "k", &km), SC_OK);
	assert_int_equal(km.min_decrypt, 1);
	assert_int_equal(km.min_encrypt, 1);
	/* both at once: raised */
	assert_int_equal(sc_keyring_set_floors(kr, "k", 2, 3), SC_OK);
	assert_true(sc_keyring_generation(kr) != g);
	assert_int_equal(sc_keyring_key_meta(kr, "k", &km), SC_OK);
	assert_int_equal(km.min_decrypt, 2);
	assert_int_equal(km.min_encrypt, 3);
	/* what they mean: v1 no longer decrypts, v2 no longer encrypts */
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, ct1, strlen(ct1), &pt, &n, NULL),
	                 SC_ERR_STATE);
	assert_non_null(strstr(sc_last_error(), "key config k --min-decrypt-version 1"));
	o.version = 2;
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"2", 1, &ct, NULL),
	                 SC_ERR_STATE);
	assert_null(ct);
	o.version = 0;
	/* the same values again change nothing (no save needed) */
	g = sc_keyring_generation(kr);
	assert_int_equal(sc_keyring_set_floors(kr, "k", 2, 3), SC_OK);
	assert_int_equal(sc_keyring_generation(kr), g);
	/* lowered again: v1 decrypts once more */
	assert_int_equal(sc_keyring_set_floors(kr, "k", 1, 0), SC_OK);
	assert_int_equal(sc_keyring_decrypt(kr, "k", &o, ct1, strlen(ct1), &pt, &n, NULL), SC_OK);
	assert_int_equal(n, 1);
	sc_secmem_free(pt);
	assert_int_equal(sc_keyring_set_min_encrypt(kr, "k", 1), SC_OK);
	assert_int_equal(sc_keyring_key_meta(kr, "k", &km), SC_OK);
	assert_int_equal(km.min_encrypt, 1);
	free(ct1);
	sc_keyring_free(kr);
}

static int keygen32(int type, uint8_t *m, size_t cap, size_t *len, void *arg)
{
	(void)type;
	(void)arg;
	assert_true(cap >= 32);
	memset(m, 0x42, 32);
	*len = 32;
	return SC_OK;
}

/* require_context on and off; confirm a latch like exportable. */
static void test_config_flags(void **state)
{
	struct sc_keyring *kr = ring();
	struct sc_keys_opts o = {T0, NULL, 0, 0};
	struct sc_key_meta km;
	char *ct = NULL;
	uint64_t g;

	(void)state;
	sc_keyring_set_sig_keygen(kr, keygen32, NULL);
	assert_int_equal(sc_keyring_create(kr, "k", SC_KEY_CHACHA20_POLY1305, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "h", SC_KEY_HMAC_SHA256, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_create(kr, "s", SC_KEY_ED25519, NULL, T0), SC_OK);
	assert_int_equal(sc_keyring_set_require_context(kr, "k", 1), SC_OK);
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"x", 1, &ct, NULL),
	                 SC_ERR_INVALID);
	assert_null(ct);
	assert_int_equal(sc_keyring_set_require_context(kr, "k", 0), SC_OK);
	assert_int_equal(sc_keyring_encrypt(kr, "k", &o, (const uint8_t *)"x", 1, &ct, NULL),
	                 SC_OK);
	free(ct);
	g = sc_keyring_generation(kr);
	assert_int_equal(sc_keyring_set_require_context(kr, "h", 1), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_set_require_context(kr, "s", 1), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_set_require_context(kr, "k", 0), SC_OK);
	assert_int_equal(sc_keyring_generation(kr), g);
	/* confirm: signing keys only, and set once for good */
	assert_int_equal(sc_keyring_set_confirm(kr, "k"), SC_ERR_INVALID);
	assert_int_equal(sc_keyring_set_confirm(kr, "s"), SC_OK);
	assert_int_equal(sc_keyring_set_confirm(kr, "s"), SC_OK);
	assert_int_equal(sc_keyring_key_meta(kr, "s", &km), SC_OK);
	assert_int_equal(km.flags, SC_KEY_CONFIRM);
	/* the rotation period: set, then off */
	assert_int_equal(sc_keyring_set_rotate_every(kr, "k", 90 * DAY), SC_OK);
	assert_int_equal(sc_keyring_key_meta(kr, "k", &km), SC_OK);
	assert_int_equal(km.rotate_every, 90 * DAY);
	assert_int_equal(sc_keyring_set_rotate_every(kr, "k", 0), SC_OK);
	assert_int_equal(sc_keyring_key_meta(kr, "k", &km), SC_OK);
	assert_int_equal(km.rotate_every, 0);
	sc_keyring_free(kr);
}

static void test_names(void **state)
{
	char longname[SC_KEY_NAME_MAX + 2];

	(void)state;
	assert_int_equal(sc_keys_name_valid("a"), SC_OK);
	assert_int_equal(sc_keys_name_valid("Prod.db-key_2"), SC_OK);
	assert_int_equal(sc_keys_name_valid(""), SC_ERR_NAME);
	assert_int_equal(sc_keys_name_valid(NULL), SC_ERR_NAME);
	assert_int_equal(sc_keys_name_valid("-a"), SC_ERR_NAME);
	assert_int_equal(sc_keys_name_valid(".a"), SC_ERR_NAME);
	assert_int_equal(sc_keys_name_valid("a:b"), SC_ERR_NAME);
	assert_int_equal(sc_keys_name_valid("a b"), SC_ERR_NAME);
	assert_int_equal(sc_keys_name_valid("a/b"), SC_ERR_NAME);
	assert_int_equal(sc_keys_name_valid("\xc3\xa9"), SC_ERR_NAME);
	memset(longname, 'a', sizeof(longname));
	longname[SC_KEY_NAME_MAX] = '\0';
	assert_int_equal(sc_keys_name_valid(longname), SC_OK);
	longname[SC_KEY_NAME_MAX] = 'a';
	longname[SC_KEY_NAME_MAX + 1] = '\0';
	assert_int_equal(sc_keys_name_valid(longname), SC_ERR_NAME);
	/* the type names round trip */
	for (int t = 1; t < SC_KEY_TYPE_MAX; t++) {
		enum sc_key_type back;

		assert_int_equal(sc_key_type_parse(sc_key_type_name(t), &back), SC_OK);
		assert_int_equal((int)back, t);
	}
	{
		enum sc_key_type back;

		assert_int_equal(sc_key_type_parse("aes128-gcm", &back), SC_ERR_INVALID);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_matches_standard),
	    cmocka_unit_test(test_every_transition),
	    cmocka_unit_test(test_transition_timestamps),
	    cmocka_unit_test(test_ops_per_state),
	    cmocka_unit_test(test_op_table),
	    cmocka_unit_test(test_activate_at),
	    cmocka_unit_test(test_schedule_destroy),
	    cmocka_unit_test(test_destroy_from_every_state),
	    cmocka_unit_test(test_compromised_info),
	    cmocka_unit_test(test_destroy_refused_while_referenced),
	    cmocka_unit_test(test_trim),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_floors),
	    cmocka_unit_test(test_config_flags),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
