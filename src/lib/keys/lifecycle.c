/* lifecycle.c - SP 800-57 key states per version: the transition and
 * operation tables, time-driven activation and destruction, scheduled
 * crypto-erase, trim, floors and flags. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "keys/keys_int.h"

#define DAY 86400

static const char *const state_names[SC_KEY_STATE_MAX] = {
    [SC_KEY_PREACTIVE] = "pre-activation", [SC_KEY_ACTIVE] = "active",
    [SC_KEY_SUSPENDED] = "suspended",      [SC_KEY_DEACTIVATED] = "deactivated",
    [SC_KEY_COMPROMISED] = "compromised",  [SC_KEY_DESTROYED] = "destroyed",
};

const char *sc_key_state_name(int state)
{
	if (state <= 0 || state >= SC_KEY_STATE_MAX)
		return "?";
	return state_names[state];
}

/*
 * SP 800-57 Part 1 Rev. 5 §7 (Figure 3): a version goes from pre-activation
 * to active, compromised or destroyed; from active to suspended,
 * deactivated, compromised or destroyed; from suspended back to active or
 * on to deactivated, compromised or destroyed; from deactivated only to
 * compromised or destroyed; from compromised only to destroyed; destroyed
 * is final. Nothing goes back to pre-activation, and nothing but a
 * suspension is undone.
 */
static const unsigned char transitions[SC_KEY_STATE_MAX][SC_KEY_STATE_MAX] = {
    [SC_KEY_PREACTIVE] = {[SC_KEY_ACTIVE] = 1, [SC_KEY_COMPROMISED] = 1, [SC_KEY_DESTROYED] = 1},
    [SC_KEY_ACTIVE] = {[SC_KEY_SUSPENDED] = 1,
                       [SC_KEY_DEACTIVATED] = 1,
                       [SC_KEY_COMPROMISED] = 1,
                       [SC_KEY_DESTROYED] = 1},
    [SC_KEY_SUSPENDED] = {[SC_KEY_ACTIVE] = 1,
                          [SC_KEY_DEACTIVATED] = 1,
                          [SC_KEY_COMPROMISED] = 1,
                          [SC_KEY_DESTROYED] = 1},
    [SC_KEY_DEACTIVATED] = {[SC_KEY_COMPROMISED] = 1, [SC_KEY_DESTROYED] = 1},
    [SC_KEY_COMPROMISED] = {[SC_KEY_DESTROYED] = 1},
};

/* What each state permits: 1 yes, 2 only with allow_compromised. */
static const unsigned char ops[SC_KEY_STATE_MAX][SC_KEY_OP_MAX] = {
    [SC_KEY_ACTIVE] = {[SC_KEY_OP_ENCRYPT] = 1,
                       [SC_KEY_OP_DECRYPT] = 1,
                       [SC_KEY_OP_SIGN] = 1,
                       [SC_KEY_OP_VERIFY] = 1},
    [SC_KEY_DEACTIVATED] = {[SC_KEY_OP_DECRYPT] = 1, [SC_KEY_OP_VERIFY] = 1},
    [SC_KEY_COMPROMISED] = {[SC_KEY_OP_DECRYPT] = 2, [SC_KEY_OP_VERIFY] = 2},
};

int sc_key_transition_allowed(int from, int to)
{
	if (from <= 0 || from >= SC_KEY_STATE_MAX || to <= 0 || to >= SC_KEY_STATE_MAX)
		return 0;
	return transitions[from][to];
}

int sc_key_op_allowed(int state, int op, int allow_compromised)
{
	if (state <= 0 || state >= SC_KEY_STATE_MAX || op < 0 || op >= SC_KEY_OP_MAX)
		return 0;
	return ops[state][op] == 1 || (ops[state][op] == 2 && allow_compromised);
}

static const char *op_name(int op)
{
	static const char *const names[SC_KEY_OP_MAX] = {"encrypt", "decrypt", "sign", "verify"};

	return op >= 0 && op < SC_KEY_OP_MAX ? names[op] : "use";
}

static void fmt_time(int64_t t, char *buf, size_t n)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "@%lld", (long long)t);
}

/* The refusal for op in v's state, naming the way out. */
static int refuse(const struct kkey *k, const struct kver *v, int op)
{
	const char *n = k->name;
	unsigned ver = v->version;
	char when[32];

	switch (v->state) {
	case SC_KEY_PREACTIVE:
		fmt_time(v->activate_at, when, sizeof(when));
		sc_set_error("version %u of key '%s' is pre-activation until %s: wait, or activate "
		             "it (key activate %s --version %u)",
		             ver, n, when, n, ver);
		break;
	case SC_KEY_ACTIVE:
		sc_set_error("version %u of key '%s' is a %s key: it cannot %s", ver, n,
		             sc_key_type_name(k->type), op_name(op));
		break;
	case SC_KEY_SUSPENDED:
		sc_set_error("version %u of key '%s' is suspended: resume it (key resume %s "
		             "--version %u)",
		             ver, n, n, ver);
		break;
	case SC_KEY_DEACTIVATED:
		sc_set_error("version %u of key '%s' is deactivated (decrypt and verify only): "
		             "rotate to a new version (key rotate %s)",
		             ver, n, n);
		break;
	case SC_KEY_COMPROMISED:
		if (op == SC_KEY_OP_DECRYPT || op == SC_KEY_OP_VERIFY)
			sc_set_error("version %u of key '%s' is compromised: %s with "
			             "--allow-compromised, then rewrap under a new version "
			             "(key rotate %s)",
			             ver, n, op_name(op), n);
		else
			sc_set_error("version %u of key '%s' is compromised: it can never %s "
			             "again; rotate to a new version (key rotate %s)",
			             ver, n, op_name(op), n);
		break;
	default:
		sc_set_error("version %u of key '%s' was destroyed (crypto-erased): nothing can "
		             "use it again",
		             ver, n);
		break;
	}
	return SC_ERR_STATE;
}

int sc_keys_check_op(const struct kkey *k, const struct kver *v, int op, int allow_compromised,
                     int64_t now)
{
	char when[32];

	(void)now;
	if (v->destroy_at != 0 && v->state != SC_KEY_DESTROYED) {
		fmt_time(v->destroy_at, when, sizeof(when));
		sc_set_error("version %u of key '%s' is scheduled for destruction on %s: cancel it "
		             "(key cancel-destroy %s --version %u)",
		             v->version, k->name, when, k->name, v->version);
		return SC_ERR_STATE;
	}
	if ((op == SC_KEY_OP_DECRYPT || op == SC_KEY_OP_VERIFY) && v->version < k->min_decrypt) {
		sc_set_error(
		    "version %u of key '%s' is below its min_decrypt_version %u: lower the "
		    "floor (key config %s --min-decrypt-version %u)",
		    v->version, k->name, k->min_decrypt, k->name, v->version);
		return SC_ERR_STATE;
	}
	if ((op == SC_KEY_OP_ENCRYPT || op == SC_KEY_OP_SIGN) && v->version < k->min_encrypt) {
		sc_set_error("version %u of key '%s' is below its min_encrypt_version %u: use the "
		             "newest version",
		             v->version, k->name, k->min_encrypt);
		return SC_ERR_STATE;
	}
	if (!sc_key_op_allowed(v->state, op, allow_compromised))
		return refuse(k, v, op);
	return SC_OK;
}

int sc_keys_move(struct kkey *k, struct kver *v, int to, int64_t now)
{
	if (!sc_key_transition_allowed(v->state, to)) {
		sc_set_error("version %u of key '%s' is %s: it cannot become %s%s", v->version,
		             k->name, sc_key_state_name(v->state), sc_key_state_name(to),
		             v->state == SC_KEY_DEACTIVATED && to == SC_KEY_ACTIVE
		                 ? " again; rotate to a new version instead"
		                 : "");
		return SC_ERR_STATE;
	}
	switch (to) {
	case SC_KEY_ACTIVE:
		v->activated = now;
		break;
	case SC_KEY_SUSPENDED:
		v->suspended = now;
		break;
	case SC_KEY_DEACTIVATED:
		v->deactivated = now;
		break;
	case SC_KEY_COMPROMISED:
		v->compromised = now;
		break;
	case SC_KEY_DESTROYED:
		sc_keys_erase_material(v);
		v->destroyed = now;
		v->destroy_at = 0;
		break;
	default:
		return SC_ERR_INTERNAL;
	}
	v->state = (uint8_t)to;
	return SC_OK;
}

int sc_keys_refs(struct sc_keyring *kr, const struct kkey *k, uint32_t version)
{
	uint64_t n = 0;
	int r;

	if (kr->refs == NULL)
		return SC_OK;
	if ((r = kr->refs(k->name, version, &n, kr->refs_arg)) != SC_OK)
		return r;
	if (n > 0) {
		sc_set_error("version %u of key '%s' is used by %llu item%s: rewrap them first "
		             "(key rewrap --all %s)",
		             version, k->name, (unsigned long long)n, n == 1 ? "" : "s", k->name);
		return SC_ERR_BUSY;
	}
	return SC_OK;
}

/* Look a version up, saying when it was trimmed or never existed. */
static int find_version(const struct kkey *k, uint32_t version, struct kver **out)
{
	*out = sc_keys_version(k, version);
	if (*out != NULL)
		return SC_OK;
	if (version > 0 && version < k->min_available)
		sc_set_error("version %u of key '%s' was trimmed (crypto-erased)", version,
		             k->name);
	else
		sc_set_error("key '%s' has no version %u (newest: %u)", k->name, version,
		             k->next_version - 1);
	return SC_ERR_NOT_FOUND;
}

int sc_keys_tick_key(struct sc_keyring *kr, struct kkey *k, int64_t now)
{
	int first = SC_OK, r;
	size_t i;

	for (i = 0; i < k->nv; i++) {
		struct kver *v = &k->v[i];

		if (v->state == SC_KEY_PREACTIVE && v->destroy_at == 0 && v->activate_at != 0 &&
		    v->activate_at <= now) {
			if ((r = sc_keys_move(k, v, SC_KEY_ACTIVE, v->activate_at)) != SC_OK)
				return r;
			kr->gen++;
		}
		if (v->destroy_at != 0 && v->destroy_at <= now && v->state != SC_KEY_DESTROYED) {
			/* still referenced (or unknown): stays scheduled and unusable */
			if ((r = sc_keys_refs(kr, k, v->version)) != SC_OK) {
				if (first == SC_OK)
					first = r;
				continue;
			}
			/* a token's object is destroyed there first: without the
			 * token the version stays scheduled (and unusable) */
			if (k->flags & SC_KEY_IN_TOKEN) {
				if (kr->tok == NULL)
					continue;
				if ((r = sc_keys_tok_destroy(kr->tok, k, v)) != SC_OK) {
					if (first == SC_OK)
						first = r;
					continue;
				}
			}
			if ((r = sc_keys_move(k, v, SC_KEY_DESTROYED, now)) != SC_OK)
				return r;
			kr->gen++;
		}
	}
	return first;
}

int sc_keyring_tick(struct sc_keyring *kr, int64_t now)
{
	int first = SC_OK, r;
	size_t i;

	for (i = 0; i < kr->nk; i++)
		if ((r = sc_keys_tick_key(kr, kr->k[i], now)) != SC_OK && first == SC_OK)
			first = r;
	return first;
}

int sc_keyring_set_state(struct sc_keyring *kr, const char *name, uint32_t version,
                         enum sc_key_state to, int64_t now)
{
	struct kkey *k;
	struct kver *v;
	int r, tr;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (to == SC_KEY_DESTROYED || to == SC_KEY_PREACTIVE || (int)to <= 0 ||
	    to >= SC_KEY_STATE_MAX) {
		sc_set_error("a version is destroyed only by scheduling it (key destroy %s "
		             "--version %u) or by trim",
		             name, version);
		return SC_ERR_INVALID;
	}
	tr = sc_keys_tick_key(kr, k, now);
	(void)tr; /* a due destruction that waits for its references changes nothing here */
	if ((r = find_version(k, version, &v)) != SC_OK)
		return r;
	if (v->state == to)
		return SC_OK;
	/* marking a compromise is always possible; anything else waits for
	 * the scheduled destruction to be cancelled */
	if (v->destroy_at != 0 && to != SC_KEY_COMPROMISED)
		return sc_keys_check_op(k, v, SC_KEY_OP_DECRYPT, 1, now);
	if ((r = sc_keys_move(k, v, to, now)) != SC_OK)
		return r;
	if (to == SC_KEY_ACTIVE && v->activate_at > now)
		v->activate_at = now; /* activated by hand before its date */
	kr->gen++;
	return SC_OK;
}

int sc_keyring_schedule_destroy(struct sc_keyring *kr, const char *name, uint32_t version,
                                unsigned days, int64_t now)
{
	struct kkey *k;
	struct kver *v;
	size_t i, n = 0;
	int r;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (days == 0)
		days = SC_KEYS_DESTROY_DAYS_DEFAULT;
	if (days < SC_KEYS_DESTROY_DAYS_MIN || days > SC_KEYS_DESTROY_DAYS_MAX) {
		sc_set_error("destruction is scheduled %d to %d days ahead, not %u",
		             SC_KEYS_DESTROY_DAYS_MIN, SC_KEYS_DESTROY_DAYS_MAX, days);
		return SC_ERR_INVALID;
	}
	if (version != 0) {
		if ((r = find_version(k, version, &v)) != SC_OK)
			return r;
		if (v->state == SC_KEY_DESTROYED)
			return refuse(k, v, SC_KEY_OP_DECRYPT);
		if (v->destroy_at != 0)
			return sc_keys_check_op(k, v, SC_KEY_OP_DECRYPT, 1, now);
	}
	/* every reference is checked before anything changes */
	for (i = 0; i < k->nv; i++) {
		v = &k->v[i];
		if ((version == 0 || v->version == version) && v->state != SC_KEY_DESTROYED &&
		    v->destroy_at == 0) {
			if ((r = sc_keys_refs(kr, k, v->version)) != SC_OK)
				return r;
			n++;
		}
	}
	if (n == 0) {
		sc_set_error("key '%s' has no version left to destroy", name);
		return SC_ERR_STATE;
	}
	for (i = 0; i < k->nv; i++) {
		v = &k->v[i];
		if ((version == 0 || v->version == version) && v->state != SC_KEY_DESTROYED &&
		    v->destroy_at == 0)
			v->destroy_at = now + (int64_t)days * DAY;
	}
	kr->gen++;
	return SC_OK;
}

int sc_keyring_cancel_destroy(struct sc_keyring *kr, const char *name, uint32_t version)
{
	struct kkey *k;
	struct kver *v;
	size_t i, n = 0;
	int r;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (version != 0 && (r = find_version(k, version, &v)) != SC_OK)
		return r;
	for (i = 0; i < k->nv; i++) {
		v = &k->v[i];
		if ((version == 0 || v->version == version) && v->destroy_at != 0) {
			v->destroy_at = 0;
			n++;
		}
	}
	if (n == 0) {
		if (version != 0 && (v = sc_keys_version(k, version))->state == SC_KEY_DESTROYED)
			return refuse(k, v, SC_KEY_OP_DECRYPT);
		sc_set_error("key '%s' has no version scheduled for destruction", name);
		return SC_ERR_STATE;
	}
	kr->gen++;
	return SC_OK;
}

int sc_keyring_trim(struct sc_keyring *kr, const char *name, uint32_t below)
{
	struct kkey *k;
	size_t i, n;
	int r;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (below <= k->min_available)
		return SC_OK;
	if (below > k->min_decrypt || below > k->min_encrypt) {
		sc_set_error("key '%s': trim below %u needs min_decrypt_version and "
		             "min_encrypt_version at %u or more (now %u and %u): raise them first "
		             "(key config %s --min-decrypt-version %u --min-encrypt-version %u)",
		             name, below, below, k->min_decrypt, k->min_encrypt, name, below,
		             below);
		return SC_ERR_STATE;
	}
	n = below - k->min_available; /* < nv: the floors are <= newest */
	for (i = 0; i < n; i++)
		if (k->v[i].state != SC_KEY_DESTROYED &&
		    (r = sc_keys_refs(kr, k, k->v[i].version)) != SC_OK)
			return r;
	/* a token's objects go first; a failure stops the trim (an object
	 * already destroyed stays so: its version then says it is gone) */
	for (i = 0; i < n && (k->flags & SC_KEY_IN_TOKEN); i++)
		if ((r = sc_keys_tok_destroy(kr->tok, k, &k->v[i])) != SC_OK)
			return r;
	for (i = 0; i < n; i++)
		sc_keys_erase_material(&k->v[i]);
	memmove(k->v, k->v + n, (k->nv - n) * sizeof(*k->v));
	k->nv -= n;
	k->min_available = below;
	kr->gen++;
	return SC_OK;
}

int sc_keyring_set_exportable(struct sc_keyring *kr, const char *name)
{
	struct kkey *k;
	int r;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (k->flags & SC_KEY_IN_TOKEN) {
		sc_set_error("key '%s' lives in a token and never leaves it", name);
		return SC_ERR_DENIED;
	}
	if (k->flags & SC_KEY_PASSPHRASE) {
		sc_set_error("key '%s' is sealed under a passphrase and never leaves the vault",
		             name);
		return SC_ERR_DENIED;
	}
	if (!(k->flags & SC_KEY_EXPORTABLE)) {
		k->flags |= SC_KEY_EXPORTABLE; /* one way: nothing clears it */
		kr->gen++;
	}
	return SC_OK;
}

int sc_keyring_set_rotate_every(struct sc_keyring *kr, const char *name, int64_t secs)
{
	struct kkey *k;
	int r;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (secs < 0) {
		sc_set_error("a rotation period is not negative");
		return SC_ERR_INVALID;
	}
	k->rotate_every = secs;
	kr->gen++;
	return SC_OK;
}

/* A floor outside [min_available, newest], with the way out. */
static int bad_floor(const struct kkey *k, const char *which, uint32_t v)
{
	uint32_t newest = k->next_version - 1;

	sc_set_error("key '%s': min_%s_version must be between %u and %u, not %u%s", k->name, which,
	             k->min_available, newest, v,
	             v > newest ? " (for a floor above the newest version, make that version "
	                          "first: key rotate)"
	             : k->min_available > 1 ? " (the versions below were trimmed)"
	                                    : "");
	return SC_ERR_INVALID;
}

int sc_keyring_set_floors(struct sc_keyring *kr, const char *name, uint32_t dec, uint32_t enc)
{
	struct kkey *k;
	uint32_t d, e, newest;
	int r;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	d = dec != 0 ? dec : k->min_decrypt;
	e = enc != 0 ? enc : k->min_encrypt;
	newest = k->next_version - 1;
	/* Vault transit's rules: each floor between the oldest version kept
	 * and the newest, raised or lowered at will, and the encrypt floor
	 * never under the decrypt one (what it encrypts must decrypt) */
	if (d < k->min_available || d > newest)
		return bad_floor(k, "decrypt", d);
	if (e < k->min_available || e > newest)
		return bad_floor(k, "encrypt", e);
	if (e < d) {
		sc_set_error("key '%s': min_encrypt_version %u would be below min_decrypt_version "
		             "%u (it would make texts that cannot be decrypted): raise both "
		             "(key config %s --min-decrypt-version %u --min-encrypt-version %u)",
		             name, e, d, name, d, d);
		return SC_ERR_STATE;
	}
	if (d != k->min_decrypt || e != k->min_encrypt) {
		k->min_decrypt = d;
		k->min_encrypt = e;
		kr->gen++;
	}
	return SC_OK;
}

int sc_keyring_set_min_decrypt(struct sc_keyring *kr, const char *name, uint32_t v)
{
	if (v == 0)
		return sc_keyring_set_floors(kr, name, UINT32_MAX, 0);
	return sc_keyring_set_floors(kr, name, v, 0);
}

int sc_keyring_set_min_encrypt(struct sc_keyring *kr, const char *name, uint32_t v)
{
	if (v == 0)
		return sc_keyring_set_floors(kr, name, 0, UINT32_MAX);
	return sc_keyring_set_floors(kr, name, 0, v);
}

int sc_keyring_set_require_context(struct sc_keyring *kr, const char *name, int on)
{
	struct kkey *k;
	int r;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (on && k->type != SC_KEY_AES256_GCM && k->type != SC_KEY_CHACHA20_POLY1305) {
		sc_set_error("key '%s' is a %s key: only encryption keys take a context", name,
		             sc_key_type_name(k->type));
		return SC_ERR_INVALID;
	}
	if (((k->flags & SC_KEY_REQUIRE_CONTEXT) != 0) != (on != 0)) {
		k->flags ^= SC_KEY_REQUIRE_CONTEXT;
		kr->gen++;
	}
	return SC_OK;
}

int sc_keyring_set_confirm(struct sc_keyring *kr, const char *name)
{
	struct kkey *k;
	int r;

	if ((r = sc_keys_lookup(kr, name, &k)) != SC_OK)
		return r;
	if (!sc_key_type_is_signing(k->type)) {
		sc_set_error("key '%s' is a %s key: only signing keys ask for a confirmation", name,
		             sc_key_type_name(k->type));
		return SC_ERR_INVALID;
	}
	if (!(k->flags & SC_KEY_CONFIRM)) {
		k->flags |= SC_KEY_CONFIRM; /* one way: nothing clears it */
		kr->gen++;
	}
	return SC_OK;
}

int sc_keyring_token_due(const struct sc_keyring *kr, const char *name, int64_t now)
{
	const struct kkey *k = sc_keys_find(kr, name);
	size_t i;

	if (k == NULL || !(k->flags & SC_KEY_IN_TOKEN))
		return 0;
	for (i = 0; i < k->nv; i++)
		if (k->v[i].destroy_at != 0 && k->v[i].destroy_at <= now &&
		    k->v[i].state != SC_KEY_DESTROYED)
			return 1;
	return 0;
}
