/* p11_key.c - keys inside a PKCS#11 token: AES-256 wrapping keys and EC
 * P-256 key pairs generated there (never extractable), DEK wrap/unwrap with
 * CKM_AES_KEY_WRAP_PAD, ECDSA signing, attributes and C_DestroyObject. */
#include <string.h>

#include <openssl/evp.h>

#include "keyslot/p11_int.h"

#define FOUND_MAX 8

/* DER of the OID prime256v1 (1.2.840.10045.3.1.7), CKA_EC_PARAMS. */
static const uint8_t p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

static int pick_label(const struct sc_p11_token *t, const char *label, const char **out)
{
	size_t n;

	if (label == NULL)
		label = t->obj;
	n = strnlen(label, SC_P11_LABEL_MAX + 1);
	if (n == 0 || n > SC_P11_LABEL_MAX) {
		sc_set_error("token '%s': no key label (or one over %d bytes)", t->label,
		             SC_P11_LABEL_MAX);
		return SC_ERR_INVALID;
	}
	*out = label;
	return SC_OK;
}

/* The objects of a class (and key type, unless (CK_ULONG)-1; class too,
 * unless (CK_ULONG)-1) under a label. The find operation is always ended. */
static int find(struct sc_p11_token *t, CK_OBJECT_CLASS cls, CK_KEY_TYPE type, const char *label,
                CK_OBJECT_HANDLE *h, CK_ULONG *n)
{
	CK_ATTRIBUTE tmpl[3];
	CK_ULONG nt = 0;
	CK_RV rv, rv2;

	tmpl[nt++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
	if (cls != (CK_ULONG)-1)
		tmpl[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
	if (type != (CK_ULONG)-1)
		tmpl[nt++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &type, sizeof(type)};
	if ((rv = t->f->C_FindObjectsInit(t->s, tmpl, nt)) != CKR_OK)
		return sc_p11_fail(t, rv, "C_FindObjectsInit");
	rv = t->f->C_FindObjects(t->s, h, FOUND_MAX, n);
	rv2 = t->f->C_FindObjectsFinal(t->s);
	if (rv != CKR_OK)
		return sc_p11_fail(t, rv, "C_FindObjects");
	if (rv2 != CKR_OK)
		return sc_p11_fail(t, rv2, "C_FindObjectsFinal");
	return SC_OK;
}

static int find_one(struct sc_p11_token *t, CK_OBJECT_CLASS cls, CK_KEY_TYPE type,
                    const char *label, const char *what, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_HANDLE found[FOUND_MAX];
	CK_ULONG n = 0;
	int r;

	if ((r = find(t, cls, type, label, found, &n)) != SC_OK)
		return r;
	if (n == 0) {
		sc_set_error("token '%s': no %s '%s' (deleted?)", t->label, what, label);
		return SC_ERR_NOT_FOUND;
	}
	if (n > 1) {
		sc_set_error("token '%s': %lu objects are %s '%s': the label is ambiguous",
		             t->label, (unsigned long)n, what, label);
		return SC_ERR_INVALID;
	}
	*h = found[0];
	return SC_OK;
}

static int read_info(struct sc_p11_token *t, CK_OBJECT_HANDLE h, struct sc_p11_key_info *info)
{
	CK_BBOOL tok = 0, sens = 0, ext = 1, asens = 0, next = 0;
	CK_ULONG vlen = 0;
	CK_ATTRIBUTE a[] = {
	    {CKA_TOKEN, &tok, sizeof(tok)},
	    {CKA_SENSITIVE, &sens, sizeof(sens)},
	    {CKA_EXTRACTABLE, &ext, sizeof(ext)},
	    {CKA_ALWAYS_SENSITIVE, &asens, sizeof(asens)},
	    {CKA_NEVER_EXTRACTABLE, &next, sizeof(next)},
	    {CKA_VALUE_LEN, &vlen, sizeof(vlen)},
	};
	CK_RV rv;

	rv = t->f->C_GetAttributeValue(t->s, h, a, sizeof(a) / sizeof(a[0]));
	/* CKA_VALUE_LEN is no attribute of an EC key: that alone is fine */
	if (rv != CKR_OK && !(rv == CKR_ATTRIBUTE_TYPE_INVALID && a[5].ulValueLen == (CK_ULONG)-1 &&
	                      a[0].ulValueLen != (CK_ULONG)-1 && a[2].ulValueLen != (CK_ULONG)-1))
		return sc_p11_fail(t, rv, "C_GetAttributeValue");
	info->token = tok == CK_TRUE;
	info->sensitive = sens == CK_TRUE;
	info->extractable = ext == CK_TRUE;
	info->always_sensitive = asens == CK_TRUE;
	info->never_extractable = next == CK_TRUE;
	info->value_len = a[5].ulValueLen == (CK_ULONG)-1 ? 0 : (unsigned long)vlen;
	return SC_OK;
}

/* The AES key under a label, refused unless it stays in the token: a key
 * the user named might have been made extractable by another tool. */
static int aes_key(struct sc_p11_token *t, const char *label, CK_OBJECT_HANDLE *h)
{
	struct sc_p11_key_info info;
	int r;

	if ((r = find_one(t, CKO_SECRET_KEY, CKK_AES, label, "AES key", h)) != SC_OK)
		return r;
	if ((r = read_info(t, *h, &info)) != SC_OK)
		return r;
	if (info.extractable || !info.sensitive || !info.token) {
		sc_set_error("token '%s': AES key '%s' is extractable or not sensitive: refused",
		             t->label, label);
		return SC_ERR_PERM;
	}
	return SC_OK;
}

int sc_p11_aes_generate(struct sc_p11_token *t, const char *label)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE type = CKK_AES;
	CK_ULONG len = 32;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
	CK_OBJECT_HANDLE h, found[FOUND_MAX];
	CK_ULONG n = 0;
	CK_RV rv;
	int r;

	if ((r = sc_p11_usable(t)) != SC_OK || (r = pick_label(t, label, &label)) != SC_OK)
		return r;
	if ((r = find(t, CKO_SECRET_KEY, CKK_AES, label, found, &n)) != SC_OK)
		return r;
	if (n > 0) {
		sc_set_error("token '%s': an AES key '%s' exists", t->label, label);
		return SC_ERR_EXISTS;
	}
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},     {CKA_KEY_TYPE, &type, sizeof(type)},
	    {CKA_VALUE_LEN, &len, sizeof(len)}, {CKA_LABEL, (void *)label, strlen(label)},
	    {CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
	    {CKA_WRAP, &yes, sizeof(yes)},      {CKA_UNWRAP, &yes, sizeof(yes)},
	    {CKA_ENCRYPT, &no, sizeof(no)},     {CKA_DECRYPT, &no, sizeof(no)},
	    {CKA_SIGN, &no, sizeof(no)},        {CKA_VERIFY, &no, sizeof(no)},
	    {CKA_DERIVE, &no, sizeof(no)},
	};
	rv = t->f->C_GenerateKey(t->s, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &h);
	if (rv != CKR_OK)
		return sc_p11_fail(t, rv, "C_GenerateKey");
	return SC_OK;
}

int sc_p11_aes_find(struct sc_p11_token *t, const char *label)
{
	CK_OBJECT_HANDLE h;
	int r;

	if ((r = sc_p11_usable(t)) != SC_OK || (r = pick_label(t, label, &label)) != SC_OK)
		return r;
	return aes_key(t, label, &h);
}

/* C_WrapKey takes a key object, not bytes, and SoftHSM offers
 * CKM_AES_KEY_WRAP_PAD for wrap/unwrap only (not C_Encrypt): so the DEK
 * goes in as a session object (never stored in the token), sensitive so
 * it cannot be read back, extractable so it can be wrapped, and is
 * destroyed at once. */
int sc_p11_wrap(struct sc_p11_token *t, const char *label, const uint8_t dek[SC_P11_DEK_LEN],
                uint8_t *out, size_t *out_len)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE type = CKK_GENERIC_SECRET;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	CK_OBJECT_HANDLE kek, obj;
	CK_ULONG n = SC_P11_WRAPPED_MAX;
	CK_RV rv;
	int r;

	if (out_len != NULL)
		*out_len = 0;
	if (dek == NULL || out == NULL || out_len == NULL) {
		sc_set_error("bad arguments to wrap");
		return SC_ERR_INVALID;
	}
	if ((r = sc_p11_usable(t)) != SC_OK || (r = pick_label(t, label, &label)) != SC_OK)
		return r;
	if ((r = aes_key(t, label, &kek)) != SC_OK)
		return r;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_KEY_TYPE, &type, sizeof(type)},
	    {CKA_TOKEN, &no, sizeof(no)},
	    {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SENSITIVE, &yes, sizeof(yes)},
	    {CKA_EXTRACTABLE, &yes, sizeof(yes)},
	    {CKA_VALUE, (void *)dek, SC_P11_DEK_LEN},
	};
	if ((rv = t->f->C_CreateObject(t->s, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &obj)) != CKR_OK)
		return sc_p11_fail(t, rv, "C_CreateObject (the DEK as a session key)");
	rv = t->f->C_WrapKey(t->s, &mech, kek, obj, out, &n);
	(void)t->f->C_DestroyObject(t->s, obj);
	if (rv != CKR_OK) {
		sc_wipe(out, SC_P11_WRAPPED_MAX);
		return sc_p11_fail(t, rv, "C_WrapKey");
	}
	*out_len = n;
	return SC_OK;
}

int sc_p11_unwrap(struct sc_p11_token *t, const char *label, const uint8_t *wrapped,
                  size_t wrapped_len, uint8_t dek[SC_P11_DEK_LEN])
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE type = CKK_GENERIC_SECRET;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	CK_OBJECT_HANDLE kek, obj = CK_INVALID_HANDLE;
	uint8_t *val = NULL;
	CK_RV rv;
	int r;

	if (wrapped == NULL || dek == NULL || wrapped_len == 0 ||
	    wrapped_len > SC_P11_WRAPPED_MAX) {
		sc_set_error("bad arguments to unwrap (wrapped size %zu)", wrapped_len);
		return SC_ERR_INVALID;
	}
	if ((r = sc_p11_usable(t)) != SC_OK || (r = pick_label(t, label, &label)) != SC_OK)
		return r;
	if ((r = aes_key(t, label, &kek)) != SC_OK)
		return r;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},   {CKA_KEY_TYPE, &type, sizeof(type)},
	    {CKA_TOKEN, &no, sizeof(no)},     {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SENSITIVE, &no, sizeof(no)}, {CKA_EXTRACTABLE, &yes, sizeof(yes)},
	};
	rv = t->f->C_UnwrapKey(t->s, &mech, kek, (CK_BYTE_PTR)wrapped, wrapped_len, tmpl,
	                       sizeof(tmpl) / sizeof(tmpl[0]), &obj);
	if (rv != CKR_OK) {
		r = sc_p11_fail(t, rv, "C_UnwrapKey");
		/* modules differ in which code a failed integrity check gets */
		if (rv == CKR_FUNCTION_FAILED || rv == CKR_GENERAL_ERROR)
			r = SC_ERR_CORRUPT;
		goto out;
	}
	if ((val = sc_secmem_alloc(SC_P11_WRAPPED_MAX)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	CK_ATTRIBUTE va = {CKA_VALUE, val, SC_P11_WRAPPED_MAX};
	if ((rv = t->f->C_GetAttributeValue(t->s, obj, &va, 1)) != CKR_OK) {
		r = sc_p11_fail(t, rv, "C_GetAttributeValue (the unwrapped DEK)");
		goto out;
	}
	if (va.ulValueLen != SC_P11_DEK_LEN) {
		sc_set_error("token '%s': the unwrapped key has %lu bytes, not %d", t->label,
		             (unsigned long)va.ulValueLen, SC_P11_DEK_LEN);
		r = SC_ERR_CORRUPT;
		goto out;
	}
	memcpy(dek, val, SC_P11_DEK_LEN);
	r = SC_OK;
out:
	if (obj != CK_INVALID_HANDLE)
		(void)t->f->C_DestroyObject(t->s, obj);
	sc_secmem_free(val);
	return r;
}

int sc_p11_ec_generate(struct sc_p11_token *t, const char *label, uint8_t pub[SC_P11_EC_PUB_LEN])
{
	CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY, priv_cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE type = CKK_EC;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_OBJECT_HANDLE hpub, hpriv, found[FOUND_MAX];
	uint8_t point[80];
	CK_ULONG n = 0;
	CK_RV rv;
	int r;

	if ((r = sc_p11_usable(t)) != SC_OK || (r = pick_label(t, label, &label)) != SC_OK)
		return r;
	if ((r = find(t, (CK_ULONG)-1, (CK_ULONG)-1, label, found, &n)) != SC_OK)
		return r;
	if (n > 0) {
		sc_set_error("token '%s': objects labelled '%s' exist", t->label, label);
		return SC_ERR_EXISTS;
	}
	CK_ATTRIBUTE pt[] = {
	    {CKA_CLASS, &pub_cls, sizeof(pub_cls)},
	    {CKA_KEY_TYPE, &type, sizeof(type)},
	    {CKA_LABEL, (void *)label, strlen(label)},
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_VERIFY, &yes, sizeof(yes)},
	    {CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid)},
	};
	CK_ATTRIBUTE st[] = {
	    {CKA_CLASS, &priv_cls, sizeof(priv_cls)},
	    {CKA_KEY_TYPE, &type, sizeof(type)},
	    {CKA_LABEL, (void *)label, strlen(label)},
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SENSITIVE, &yes, sizeof(yes)},
	    {CKA_EXTRACTABLE, &no, sizeof(no)},
	    {CKA_SIGN, &yes, sizeof(yes)},
	    {CKA_DECRYPT, &no, sizeof(no)},
	    {CKA_DERIVE, &no, sizeof(no)},
	};
	rv = t->f->C_GenerateKeyPair(t->s, &mech, pt, sizeof(pt) / sizeof(pt[0]), st,
	                             sizeof(st) / sizeof(st[0]), &hpub, &hpriv);
	if (rv != CKR_OK)
		return sc_p11_fail(t, rv, "C_GenerateKeyPair");
	CK_ATTRIBUTE pa = {CKA_EC_POINT, point, sizeof(point)};
	if ((rv = t->f->C_GetAttributeValue(t->s, hpub, &pa, 1)) != CKR_OK)
		return sc_p11_fail(t, rv, "C_GetAttributeValue (CKA_EC_POINT)");
	/* DER OCTET STRING { 04 || X || Y } (PKCS#11 2.40), or the bare point */
	if (pa.ulValueLen == SC_P11_EC_PUB_LEN + 2 && point[0] == 0x04 &&
	    point[1] == SC_P11_EC_PUB_LEN && point[2] == 0x04)
		memcpy(pub, point + 2, SC_P11_EC_PUB_LEN);
	else if (pa.ulValueLen == SC_P11_EC_PUB_LEN && point[0] == 0x04)
		memcpy(pub, point, SC_P11_EC_PUB_LEN);
	else {
		sc_set_error("token '%s': unexpected CKA_EC_POINT of %lu bytes", t->label,
		             (unsigned long)pa.ulValueLen);
		return SC_ERR_CORRUPT;
	}
	return SC_OK;
}

int sc_p11_ec_sign(struct sc_p11_token *t, const char *label, const uint8_t *msg, size_t msg_len,
                   uint8_t sig[SC_P11_EC_SIG_LEN])
{
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_OBJECT_HANDLE h;
	uint8_t digest[32];
	unsigned int dlen = 0;
	CK_ULONG n = SC_P11_EC_SIG_LEN;
	CK_RV rv;
	int r;

	if ((msg == NULL && msg_len != 0) || sig == NULL) {
		sc_set_error("bad arguments to sign");
		return SC_ERR_INVALID;
	}
	if ((r = sc_p11_usable(t)) != SC_OK || (r = pick_label(t, label, &label)) != SC_OK)
		return r;
	if ((r = find_one(t, CKO_PRIVATE_KEY, CKK_EC, label, "EC private key", &h)) != SC_OK)
		return r;
	if (EVP_Digest(msg != NULL ? msg : (const uint8_t *)"", msg_len, digest, &dlen,
	               EVP_sha256(), NULL) != 1 ||
	    dlen != sizeof(digest)) {
		sc_set_error("SHA-256 failed");
		return SC_ERR_CRYPTO;
	}
	if ((rv = t->f->C_SignInit(t->s, &mech, h)) != CKR_OK)
		return sc_p11_fail(t, rv, "C_SignInit");
	if ((rv = t->f->C_Sign(t->s, digest, sizeof(digest), sig, &n)) != CKR_OK)
		return sc_p11_fail(t, rv, "C_Sign");
	if (n != SC_P11_EC_SIG_LEN) {
		sc_set_error("token '%s': a P-256 signature of %lu bytes", t->label,
		             (unsigned long)n);
		return SC_ERR_CORRUPT;
	}
	return SC_OK;
}

int sc_p11_key_info(struct sc_p11_token *t, const char *label, struct sc_p11_key_info *info)
{
	CK_OBJECT_HANDLE h;
	int r;

	if (info == NULL) {
		sc_set_error("bad arguments to key info");
		return SC_ERR_INVALID;
	}
	memset(info, 0, sizeof(*info));
	if ((r = sc_p11_usable(t)) != SC_OK || (r = pick_label(t, label, &label)) != SC_OK)
		return r;
	r = find_one(t, CKO_SECRET_KEY, (CK_ULONG)-1, label, "secret key", &h);
	if (r == SC_ERR_NOT_FOUND)
		r = find_one(t, CKO_PRIVATE_KEY, (CK_ULONG)-1, label, "secret or private key", &h);
	if (r != SC_OK)
		return r;
	return read_info(t, h, info);
}

int sc_p11_destroy(struct sc_p11_token *t, const char *label)
{
	CK_OBJECT_HANDLE found[FOUND_MAX];
	CK_ULONG n = 0, i;
	CK_RV rv;
	int r;

	if ((r = sc_p11_usable(t)) != SC_OK || (r = pick_label(t, label, &label)) != SC_OK)
		return r;
	if ((r = find(t, (CK_ULONG)-1, (CK_ULONG)-1, label, found, &n)) != SC_OK)
		return r;
	if (n == 0) {
		sc_set_error("token '%s': no object '%s'", t->label, label);
		return SC_ERR_NOT_FOUND;
	}
	for (i = 0; i < n; i++)
		if ((rv = t->f->C_DestroyObject(t->s, found[i])) != CKR_OK)
			return sc_p11_fail(t, rv, "C_DestroyObject");
	return SC_OK;
}
