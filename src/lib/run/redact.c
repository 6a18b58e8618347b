/* redact.c - the whole-vault sanitizer and its cache: one walk over the
 * vault adds every sensitive value; the compiled matcher is kept, shared
 * by reference, until the vault's generation moves on. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "secretctl/redact.h"

struct sc_redact_ref {
	struct sc_sanitizer *z;
	unsigned refs; /* atomic: a run's reference outlives the cache */
	uint64_t gen;  /* the vault generation it was built at */
};

struct sc_redact_cache {
	pthread_mutex_t lock;
	char *pw; /* secmem */
	size_t pw_len;
	uint8_t vault_id[SC_VAULT_ID_LEN];
	uint64_t gen;
	struct sc_redact_ref *cur; /* the cache's own reference */
};

struct walk {
	struct sc_sanitizer *z;
	char label[SC_SANITIZE_LABEL_MAX + 1];
};

static int visit(const struct sc_secret *s, void *arg)
{
	struct walk *w = arg;
	const char *name = sc_secret_name(s), *fname, *hint;
	const uint8_t *val;
	size_t i, len, nl;
	int sens, r;

	for (i = 0; i < sc_secret_field_count(s); i++) {
		if ((r = sc_secret_field(s, i, &fname, &val, &len, &sens, &hint)) != SC_OK)
			return r;
		if (!sens)
			continue;
		nl = strlen(name);
		if (nl + 1 + strlen(fname) > SC_SANITIZE_LABEL_MAX)
			return SC_ERR_NAME;
		memcpy(w->label, name, nl);
		w->label[nl] = SC_REDACT_SEP;
		strcpy(w->label + nl + 1, fname);
		if ((r = sc_sanitizer_add(w->z, val, len, w->label, NULL)) != SC_OK)
			return r;
	}
	return SC_OK;
}

int sc_redact_build(struct sc_vault *v, const char *pw, size_t pw_len, struct sc_sanitizer **out)
{
	struct walk w;
	int r;

	*out = NULL;
	if (v == NULL)
		return SC_ERR_INVALID;
	memset(&w, 0, sizeof(w));
	if ((r = sc_sanitizer_new(&w.z)) != SC_OK)
		return r;
	if (pw != NULL && pw_len > 0 &&
	    (r = sc_sanitizer_add(w.z, (const uint8_t *)pw, pw_len, SC_REDACT_PASSWORD_LABEL,
	                          NULL)) != SC_OK)
		goto out;
	if ((r = sc_vault_walk(v, visit, &w)) != SC_OK)
		goto out;
	if ((r = sc_sanitizer_compile(w.z)) != SC_OK)
		goto out;
	*out = w.z;
	w.z = NULL;
out:
	sc_wipe(w.label, sizeof(w.label));
	sc_sanitizer_free(w.z);
	return r;
}

int sc_redact_cache_new(const char *pw, size_t pw_len, struct sc_redact_cache **out)
{
	struct sc_redact_cache *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SC_ERR_NOMEM;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return SC_ERR_NOMEM;
	}
	if (pw != NULL && pw_len > 0) {
		if ((c->pw = sc_secmem_dup(pw, pw_len)) == NULL) {
			pthread_mutex_destroy(&c->lock);
			free(c);
			return SC_ERR_NOMEM;
		}
		c->pw_len = pw_len;
	}
	*out = c;
	return SC_OK;
}

static void ref_drop(struct sc_redact_ref *ref)
{
	if (ref != NULL && __atomic_sub_fetch(&ref->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		sc_sanitizer_free(ref->z);
		free(ref);
	}
}

void sc_redact_cache_free(struct sc_redact_cache *c)
{
	if (c == NULL)
		return;
	/* runs still going keep their references; the last put frees it */
	pthread_mutex_lock(&c->lock);
	ref_drop(c->cur);
	c->cur = NULL;
	pthread_mutex_unlock(&c->lock);
	sc_secmem_free(c->pw);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int sc_redact_get(struct sc_redact_cache *c, struct sc_vault *v, struct sc_redact_ref **out)
{
	struct sc_redact_ref *ref;
	struct sc_sanitizer *z = NULL;
	uint64_t gen;
	int r;

	*out = NULL;
	if (c == NULL || v == NULL)
		return SC_ERR_INVALID;
	if ((r = sc_vault_generation(v, &gen)) != SC_OK)
		return r;
	pthread_mutex_lock(&c->lock);
	if (c->cur != NULL && c->gen == gen &&
	    memcmp(c->vault_id, sc_vault_id(v), SC_VAULT_ID_LEN) == 0) {
		__atomic_add_fetch(&c->cur->refs, 1, __ATOMIC_ACQ_REL);
		*out = c->cur;
		pthread_mutex_unlock(&c->lock);
		return SC_OK;
	}
	/* Build under the lock: runs that arrive meanwhile wait for this one
	 * build rather than each make their own. */
	r = sc_redact_build(v, c->pw, c->pw_len, &z);
	if (r == SC_OK && (ref = calloc(1, sizeof(*ref))) == NULL)
		r = SC_ERR_NOMEM;
	if (r != SC_OK) {
		pthread_mutex_unlock(&c->lock);
		sc_sanitizer_free(z);
		return r;
	}
	ref->z = z;
	ref->gen = gen;
	ref->refs = 2; /* the cache's and the caller's */
	if (c->cur != NULL)
		ref_drop(c->cur);
	c->cur = ref;
	c->gen = gen;
	memcpy(c->vault_id, sc_vault_id(v), SC_VAULT_ID_LEN);
	*out = ref;
	pthread_mutex_unlock(&c->lock);
	return SC_OK;
}

const struct sc_sanitizer *sc_redact_sanitizer(const struct sc_redact_ref *ref)
{
	return ref != NULL ? ref->z : NULL;
}

uint64_t sc_redact_generation(const struct sc_redact_ref *ref)
{
	return ref != NULL ? ref->gen : UINT64_MAX;
}

void sc_redact_put(struct sc_redact_ref *ref)
{
	ref_drop(ref);
}
