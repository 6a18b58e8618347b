/* fieldkeys.c - a secret's fields sealed under a named key (keys.h): two
 * layers, the field's value an sc:v1 ciphertext of the key's newest
 * version inside the record, and the record sealed under the DEK as every
 * record is. The context binds the field's name and the vault:
 *
 *   sc.field=FIELD  sc.vault=HEX(vault id)
 *
 * not the secret's name, so a rename (which keeps the line and its
 * history) keeps every value readable; the record's own AAD binds its
 * place. Values are opened only on the way out (records.c, versions.c),
 * so a version that is suspended, destroyed or below the key's floor
 * makes the read fail with the key's lifecycle error: crypto-erase. */
#include <sodium.h>

#include "secretctl/keys.h"
#include "store/vault_int.h"

static int field_ctx(const struct sc_vault *v, const char *field, struct sc_keys_ctx **out)
{
	char hex[2 * ID_LEN + 1];
	int r;

	*out = NULL;
	sodium_bin2hex(hex, sizeof(hex), v->id, ID_LEN);
	if ((r = sc_keys_ctx_new(out)) != SC_OK)
		return r;
	if ((r = sc_keys_ctx_add(*out, "sc.field", 8, (const uint8_t *)field, strlen(field))) !=
	        SC_OK ||
	    (r = sc_keys_ctx_add(*out, "sc.vault", 8, (const uint8_t *)hex, strlen(hex))) !=
	        SC_OK) {
		sc_keys_ctx_free(*out);
		*out = NULL;
	}
	return r;
}

static int replace_value(struct sc_field *f, const void *val, size_t len, int wrapped)
{
	char *p = sc_secmem_dup(val, len);

	if (p == NULL)
		return SC_ERR_NOMEM;
	sc_secmem_free(f->value);
	f->value = (uint8_t *)p;
	f->len = len;
	f->wrapped = wrapped;
	return SC_OK;
}

int sc_store_fk_seal(struct sc_vault *v, const struct sc_secret *s, struct sc_secret **out)
{
	struct sc_secret *c = NULL;
	struct sc_keyring *kr = NULL;
	struct sc_keys_ctx *ctx = NULL;
	uint64_t gen0 = 0;
	size_t i;
	int r = SC_OK;

	*out = NULL;
	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].key[0] != '\0' && !s->fields[i].wrapped)
			break;
	if (i == s->nfields)
		return SC_OK;
	if ((r = sc_secret_clone(s, NULL, &c)) != SC_OK ||
	    (r = sc_vault_keyring_load(v, &kr)) != SC_OK)
		goto out;
	gen0 = sc_keyring_generation(kr);
	for (i = 0; i < c->nfields; i++) {
		struct sc_field *f = &c->fields[i];
		struct sc_keys_opts o = {0};
		char *text = NULL;

		if (f->key[0] == '\0' || f->wrapped)
			continue;
		if ((r = sc_keys_name_valid(f->key)) != SC_OK ||
		    (r = field_ctx(v, f->name, &ctx)) != SC_OK)
			goto out;
		o.now = (int64_t)time(NULL);
		o.ctx = ctx;
		r = sc_keyring_encrypt(kr, f->key, &o, f->value, f->len, &text, NULL);
		sc_keys_ctx_free(ctx);
		ctx = NULL;
		if (r == SC_OK)
			r = replace_value(f, text, strlen(text), 1);
		free(text);
		if (r != SC_OK)
			goto out;
	}
	/* a counter reservation or a rotation the encryption made is saved
	 * with the record, in its transaction */
	if (sc_keyring_generation(kr) != gen0 && (r = sc_vault_keyring_save_in_txn(v, kr)) != SC_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	sc_secret_free(c);
	sc_keyring_free(kr);
	return r;
}

int sc_store_fk_open_copy(struct sc_vault *v, struct sc_keyring **kr, const struct sc_secret *s,
                          struct sc_secret **out)
{
	struct sc_secret *c = NULL;
	struct sc_keys_ctx *ctx = NULL;
	size_t i;
	int r;

	*out = NULL;
	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].wrapped)
			break;
	if (i == s->nfields)
		return SC_OK;
	if ((r = sc_secret_clone(s, NULL, &c)) != SC_OK)
		goto fail;
	if (*kr == NULL && (r = sc_vault_keyring_load(v, kr)) != SC_OK)
		goto fail;
	for (i = 0; i < c->nfields; i++) {
		struct sc_field *f = &c->fields[i];
		struct sc_keys_opts o = {0};
		uint8_t *pt = NULL;
		size_t pt_len = 0;

		if (!f->wrapped)
			continue;
		if ((r = field_ctx(v, f->name, &ctx)) != SC_OK)
			goto fail;
		o.now = (int64_t)time(NULL);
		o.ctx = ctx;
		r = sc_keyring_decrypt(*kr, f->key, &o, (const char *)f->value, f->len, &pt,
		                       &pt_len, NULL);
		sc_keys_ctx_free(ctx);
		ctx = NULL;
		if (r == SC_OK)
			r = replace_value(f, pt, pt_len, 0);
		sc_secmem_free(pt);
		if (r != SC_OK) {
			char keep[400];

			/* the key's own detail says the state and the way out */
			snprintf(keep, sizeof(keep), "%s", sc_last_error());
			sc_set_error("field '%s' of '%s' is sealed under key '%s': %s", f->name,
			             c->name, f->key, keep[0] ? keep : sc_status_code(r));
			goto fail;
		}
	}
	*out = c;
	return SC_OK;
fail:
	sc_secret_free(c);
	return r;
}

int sc_store_fk_open(struct sc_vault *v, struct sc_keyring **kr, struct sc_secret **s)
{
	struct sc_secret *c;
	int r = sc_store_fk_open_copy(v, kr, *s, &c);

	if (r != SC_OK || c != NULL) {
		sc_secret_free(*s);
		*s = c;
	}
	return r;
}

int sc_store_fk_blank_copy(const struct sc_secret *s, struct sc_secret **out)
{
	struct sc_secret *c = NULL;
	size_t i;
	int r;

	*out = NULL;
	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].wrapped)
			break;
	if (i == s->nfields)
		return SC_OK;
	if ((r = sc_secret_clone(s, NULL, &c)) != SC_OK)
		return r;
	for (i = 0; i < c->nfields; i++)
		if (c->fields[i].wrapped && (r = replace_value(&c->fields[i], "", 0, 0)) != SC_OK) {
			sc_secret_free(c);
			return r;
		}
	*out = c;
	return SC_OK;
}

int sc_store_fk_rewrap(struct sc_vault *v, struct sc_keyring *kr, const char *name, uint32_t below,
                       const struct sc_secret *s, struct sc_secret **out, size_t *nfields)
{
	struct sc_secret *c = NULL;
	struct sc_keys_ctx *ctx = NULL;
	struct sc_keys_ct ct;
	size_t i;
	int r;

	*out = NULL;
	*nfields = 0;
	if ((r = sc_secret_clone(s, NULL, &c)) != SC_OK)
		return r;
	for (i = 0; i < c->nfields; i++) {
		struct sc_field *f = &c->fields[i];
		struct sc_keys_opts o = {0};
		char *text = NULL;
		uint32_t ver;

		if (!f->wrapped || strcmp(f->key, name) != 0)
			continue;
		if (sc_keys_ct_parse((const char *)f->value, f->len, &ct) != SC_OK) {
			r = SC_ERR_CORRUPT;
			goto out;
		}
		ver = ct.version;
		sc_keys_ct_release(&ct);
		if (ver >= below)
			continue;
		if ((r = field_ctx(v, f->name, &ctx)) != SC_OK)
			goto out;
		o.now = (int64_t)time(NULL);
		o.ctx = ctx;
		/* opened and sealed again inside the keyring: the plaintext only
		 * ever in its guarded memory */
		r = sc_keyring_rewrap(kr, name, &o, (const char *)f->value, f->len, &text, NULL);
		sc_keys_ctx_free(ctx);
		ctx = NULL;
		if (r == SC_OK)
			r = replace_value(f, text, strlen(text), 1);
		free(text);
		if (r != SC_OK) {
			char keep[400];

			snprintf(keep, sizeof(keep), "%s", sc_last_error());
			sc_set_error("field '%s' of '%s': %s", f->name, c->name,
			             keep[0] ? keep : sc_status_code(r));
			goto out;
		}
		(*nfields)++;
	}
	*out = c;
	c = NULL;
out:
	sc_secret_free(c);
	return r;
}
