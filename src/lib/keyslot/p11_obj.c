/* p11_obj.c - the keyring's named keys inside a PKCS#11 token: AES-256
 * and EC P-256 keys generated there under a CKA_ID of our choosing (never
 * extractable), found again by that id, AES-GCM and ECDSA done by the
 * token, the object's RFC 7512 URI, and C_DestroyObject. */
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "keyslot/p11_int.h"

#define FOUND_MAX 8

/* DER of the OID prime256v1 (1.2.840.10045.3.1.7), CKA_EC_PARAMS. */
static const uint8_t p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

static int check_args(const struct sc_p11_token *t, const uint8_t *id, size_t id_len)
{
	int r;

	if ((r = sc_p11_usable(t)) != SC_OK)
		return r;
	if (id == NULL || id_len == 0 || id_len > SC_P11_ID_MAX) {
		sc_set_error("token '%s': bad object id", t->label);
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

static int check_label(const struct sc_p11_token *t, const char *label)
{
	size_t n = label != NULL ? strnlen(label, SC_P11_LABEL_MAX + 1) : 0;

	if (n == 0 || n > SC_P11_LABEL_MAX) {
		sc_set_error("token '%s': no key label (or one over %d bytes)", t->label,
		             SC_P11_LABEL_MAX);
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

/* The objects with this CKA_ID (and class, unless (CK_ULONG)-1). The find
 * operation is always ended. */
static int find_id(struct sc_p11_token *t, CK_OBJECT_CLASS cls, const uint8_t *id, size_t id_len,
                   CK_OBJECT_HANDLE *h, CK_ULONG *n)
{
	CK_ATTRIBUTE tmpl[2];
	CK_ULONG nt = 0;
	CK_RV rv, rv2;

	*n = 0;
	tmpl[nt++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
	if (cls != (CK_ULONG)-1)
		tmpl[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
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

/* The one key of class cls and type under id, refused unless it stays in
 * the token (sensitive, never extractable): SC_ERR_NOT_FOUND when gone. */
static int key_by_id(struct sc_p11_token *t, CK_OBJECT_CLASS cls, CK_KEY_TYPE type,
                     const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_HANDLE h[FOUND_MAX];
	CK_BBOOL tok = 0, sens = 0, ext = 1;
	CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
	CK_ULONG n = 0;
	CK_RV rv;
	int r;

	if ((r = find_id(t, cls, id, id_len, h, &n)) != SC_OK)
		return r;
	if (n == 0) {
		sc_set_error("token '%s': the key object is not there (deleted?)", t->label);
		return SC_ERR_NOT_FOUND;
	}
	if (n > 1) {
		sc_set_error("token '%s': %lu key objects share one id", t->label,
		             (unsigned long)n);
		return SC_ERR_INVALID;
	}
	CK_ATTRIBUTE a[] = {
	    {CKA_TOKEN, &tok, sizeof(tok)},
	    {CKA_SENSITIVE, &sens, sizeof(sens)},
	    {CKA_EXTRACTABLE, &ext, sizeof(ext)},
	    {CKA_KEY_TYPE, &kt, sizeof(kt)},
	};
	if ((rv = t->f->C_GetAttributeValue(t->s, h[0], a, sizeof(a) / sizeof(a[0]))) != CKR_OK)
		return sc_p11_fail(t, rv, "C_GetAttributeValue");
	if (kt != type) {
		sc_set_error("token '%s': the key object has another key type", t->label);
		return SC_ERR_INVALID;
	}
	if (tok != CK_TRUE || sens != CK_TRUE || ext != CK_FALSE) {
		sc_set_error("token '%s': the key object is extractable or not sensitive: refused",
		             t->label);
		return SC_ERR_PERM;
	}
	*out = h[0];
	return SC_OK;
}

static int fresh_id(struct sc_p11_token *t, uint8_t id[SC_P11_ID_LEN])
{
	CK_OBJECT_HANDLE h[FOUND_MAX];
	CK_ULONG n = 0;
	int r;

	sc_random(id, SC_P11_ID_LEN);
	if ((r = find_id(t, (CK_ULONG)-1, id, SC_P11_ID_LEN, h, &n)) != SC_OK)
		return r;
	if (n > 0) {
		sc_set_error("token '%s': a random object id is taken", t->label);
		return SC_ERR_EXISTS;
	}
	return SC_OK;
}

/* A secret key generated in the token: AES-256 to encrypt/decrypt, or a
 * 32-byte generic secret to sign/verify (HMAC). */
static int secret_generate(struct sc_p11_token *t, const char *label, int hmac,
                           uint8_t id[SC_P11_ID_LEN])
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE type = hmac ? CKK_GENERIC_SECRET : CKK_AES;
	CK_ULONG len = 32;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_BBOOL *crypt = hmac ? &no : &yes, *mac = hmac ? &yes : &no;
	CK_MECHANISM mech = {hmac ? CKM_GENERIC_SECRET_KEY_GEN : CKM_AES_KEY_GEN, NULL, 0};
	CK_OBJECT_HANDLE h;
	CK_RV rv;
	int r;

	if ((r = sc_p11_usable(t)) != SC_OK || (r = check_label(t, label)) != SC_OK || id == NULL ||
	    (r = fresh_id(t, id)) != SC_OK)
		return r != SC_OK ? r : SC_ERR_INVALID;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},       {CKA_KEY_TYPE, &type, sizeof(type)},
	    {CKA_VALUE_LEN, &len, sizeof(len)},   {CKA_LABEL, (void *)label, strlen(label)},
	    {CKA_ID, id, SC_P11_ID_LEN},          {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_PRIVATE, &yes, sizeof(yes)},     {CKA_SENSITIVE, &yes, sizeof(yes)},
	    {CKA_EXTRACTABLE, &no, sizeof(no)},   {CKA_ENCRYPT, crypt, sizeof(*crypt)},
	    {CKA_DECRYPT, crypt, sizeof(*crypt)}, {CKA_WRAP, &no, sizeof(no)},
	    {CKA_UNWRAP, &no, sizeof(no)},        {CKA_SIGN, mac, sizeof(*mac)},
	    {CKA_VERIFY, mac, sizeof(*mac)},      {CKA_DERIVE, &no, sizeof(no)},
	};
	rv = t->f->C_GenerateKey(t->s, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &h);
	if (rv != CKR_OK)
		return sc_p11_fail(t, rv, "C_GenerateKey");
	return SC_OK;
}

int sc_p11_aes_generate_id(struct sc_p11_token *t, const char *label, uint8_t id[SC_P11_ID_LEN])
{
	return secret_generate(t, label, 0, id);
}

int sc_p11_hmac_generate_id(struct sc_p11_token *t, const char *label, uint8_t id[SC_P11_ID_LEN])
{
	return secret_generate(t, label, 1, id);
}

int sc_p11_hmac_id(struct sc_p11_token *t, const uint8_t *id, size_t id_len, const uint8_t *msg,
                   size_t msg_len, uint8_t mac[SC_P11_HMAC_LEN])
{
	CK_MECHANISM mech = {CKM_SHA256_HMAC, NULL, 0};
	CK_OBJECT_HANDLE h;
	CK_ULONG n = SC_P11_HMAC_LEN;
	CK_RV rv;
	int r;

	if ((r = check_args(t, id, id_len)) != SC_OK)
		return r;
	if ((msg == NULL && msg_len != 0) || mac == NULL) {
		sc_set_error("bad arguments to HMAC");
		return SC_ERR_INVALID;
	}
	if ((r = key_by_id(t, CKO_SECRET_KEY, CKK_GENERIC_SECRET, id, id_len, &h)) != SC_OK)
		return r;
	if ((rv = t->f->C_SignInit(t->s, &mech, h)) != CKR_OK)
		return sc_p11_fail(t, rv, "C_SignInit (HMAC)");
	rv = t->f->C_Sign(t->s, (CK_BYTE_PTR)(msg != NULL ? msg : (const uint8_t *)""), msg_len,
	                  mac, &n);
	if (rv != CKR_OK)
		return sc_p11_fail(t, rv, "C_Sign (HMAC)");
	if (n != SC_P11_HMAC_LEN) {
		sc_set_error("token '%s': an HMAC of %lu bytes", t->label, (unsigned long)n);
		return SC_ERR_CORRUPT;
	}
	return SC_OK;
}

/* CKA_EC_PARAMS of a curve, and the size of its public point. */
static int curve_params(int curve, const uint8_t **params, size_t *params_len, size_t *pub_len,
                        CK_KEY_TYPE *type, CK_MECHANISM_TYPE *gen)
{
	/* PrintableString "edwards25519": what SoftHSM 2.6 and PKCS#11 3.0 take */
	static const uint8_t ed25519[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
	                                  'd',  's',  '2', '5', '5', '1', '9'};

	if (curve == SC_P11_CURVE_P256) {
		*params = p256_oid;
		*params_len = sizeof(p256_oid);
		*pub_len = SC_P11_EC_PUB_LEN;
		*type = CKK_EC;
		*gen = CKM_EC_KEY_PAIR_GEN;
		return SC_OK;
	}
	if (curve == SC_P11_CURVE_ED25519) {
		*params = ed25519;
		*params_len = sizeof(ed25519);
		*pub_len = SC_P11_ED_PUB_LEN;
		*type = CKK_EC_EDWARDS;
		*gen = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		return SC_OK;
	}
	sc_set_error("unknown curve %d", curve);
	return SC_ERR_INVALID;
}

int sc_p11_ec_generate_id(struct sc_p11_token *t, const char *label, int curve,
                          uint8_t id[SC_P11_ID_LEN], uint8_t pub[SC_P11_EC_PUB_LEN],
                          size_t *pub_len)
{
	CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY, priv_cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE type;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM mech = {0, NULL, 0};
	CK_OBJECT_HANDLE hpub, hpriv;
	const uint8_t *params;
	size_t params_len, plen;
	uint8_t point[80];
	CK_RV rv;
	int r;

	if ((r = curve_params(curve, &params, &params_len, &plen, &type, &mech.mechanism)) !=
	        SC_OK ||
	    (r = sc_p11_usable(t)) != SC_OK || (r = check_label(t, label)) != SC_OK || id == NULL ||
	    pub == NULL || pub_len == NULL || (r = fresh_id(t, id)) != SC_OK)
		return r != SC_OK ? r : SC_ERR_INVALID;
	*pub_len = 0;
	CK_ATTRIBUTE pt[] = {
	    {CKA_CLASS, &pub_cls, sizeof(pub_cls)},
	    {CKA_KEY_TYPE, &type, sizeof(type)},
	    {CKA_LABEL, (void *)label, strlen(label)},
	    {CKA_ID, id, SC_P11_ID_LEN},
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_VERIFY, &yes, sizeof(yes)},
	    {CKA_ENCRYPT, &no, sizeof(no)},
	    {CKA_WRAP, &no, sizeof(no)},
	    {CKA_DERIVE, &no, sizeof(no)},
	    {CKA_EC_PARAMS, (void *)params, params_len},
	};
	CK_ATTRIBUTE st[] = {
	    {CKA_CLASS, &priv_cls, sizeof(priv_cls)},
	    {CKA_KEY_TYPE, &type, sizeof(type)},
	    {CKA_LABEL, (void *)label, strlen(label)},
	    {CKA_ID, id, SC_P11_ID_LEN},
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SENSITIVE, &yes, sizeof(yes)},
	    {CKA_EXTRACTABLE, &no, sizeof(no)},
	    {CKA_SIGN, &yes, sizeof(yes)},
	    {CKA_DECRYPT, &no, sizeof(no)},
	    {CKA_UNWRAP, &no, sizeof(no)},
	    {CKA_DERIVE, &no, sizeof(no)},
	};
	rv = t->f->C_GenerateKeyPair(t->s, &mech, pt, sizeof(pt) / sizeof(pt[0]), st,
	                             sizeof(st) / sizeof(st[0]), &hpub, &hpriv);
	if (rv != CKR_OK)
		return sc_p11_fail(t, rv, "C_GenerateKeyPair");
	CK_ATTRIBUTE pa = {CKA_EC_POINT, point, sizeof(point)};
	if ((rv = t->f->C_GetAttributeValue(t->s, hpub, &pa, 1)) != CKR_OK) {
		r = sc_p11_fail(t, rv, "C_GetAttributeValue (CKA_EC_POINT)");
		goto undo;
	}
	/* DER OCTET STRING { point } (PKCS#11 2.40), or the bare point; a
	 * P-256 point is SEC1 uncompressed (04 || X || Y) */
	if (pa.ulValueLen == plen + 2 && point[0] == 0x04 && point[1] == plen &&
	    (curve != SC_P11_CURVE_P256 || point[2] == 0x04)) {
		memcpy(pub, point + 2, plen);
		*pub_len = plen;
		return SC_OK;
	}
	if (pa.ulValueLen == plen && (curve != SC_P11_CURVE_P256 || point[0] == 0x04)) {
		memcpy(pub, point, plen);
		*pub_len = plen;
		return SC_OK;
	}
	sc_set_error("token '%s': unexpected CKA_EC_POINT of %lu bytes", t->label,
	             (unsigned long)pa.ulValueLen);
	r = SC_ERR_CORRUPT;
undo:
	(void)t->f->C_DestroyObject(t->s, hpriv);
	(void)t->f->C_DestroyObject(t->s, hpub);
	return r;
}

int sc_p11_gcm(struct sc_p11_token *t, const uint8_t *id, size_t id_len, int enc,
               const uint8_t iv[SC_P11_GCM_IV_LEN], const uint8_t *aad, size_t aad_len,
               const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	CK_GCM_PARAMS gp;
	CK_MECHANISM mech = {CKM_AES_GCM, &gp, sizeof(gp)};
	CK_OBJECT_HANDLE h;
	CK_ULONG n = *out_len;
	CK_RV rv;
	int r;

	if ((r = check_args(t, id, id_len)) != SC_OK)
		return r;
	if (iv == NULL || (in == NULL && in_len != 0) || out == NULL ||
	    (enc ? *out_len < in_len + SC_P11_GCM_TAG_LEN
	         : in_len < SC_P11_GCM_TAG_LEN || *out_len < in_len)) {
		sc_set_error("bad arguments to AES-GCM in the token");
		return SC_ERR_INVALID;
	}
	if ((r = key_by_id(t, CKO_SECRET_KEY, CKK_AES, id, id_len, &h)) != SC_OK)
		return r;
	memset(&gp, 0, sizeof(gp));
	gp.iv_ptr = (CK_BYTE_PTR)iv;
	gp.iv_len = SC_P11_GCM_IV_LEN;
	gp.iv_bits = SC_P11_GCM_IV_LEN * 8;
	gp.aad_ptr = (CK_BYTE_PTR)aad;
	gp.aad_len = aad_len;
	gp.tag_bits = SC_P11_GCM_TAG_LEN * 8;
	if (enc) {
		if ((rv = t->f->C_EncryptInit(t->s, &mech, h)) != CKR_OK)
			return sc_p11_fail(t, rv, "C_EncryptInit (AES-GCM)");
		rv = t->f->C_Encrypt(t->s, (CK_BYTE_PTR)in, in_len, out, &n);
		if (rv != CKR_OK)
			return sc_p11_fail(t, rv, "C_Encrypt (AES-GCM)");
		if (n != in_len + SC_P11_GCM_TAG_LEN) {
			sc_set_error("token '%s': AES-GCM gave %lu bytes", t->label,
			             (unsigned long)n);
			return SC_ERR_CRYPTO;
		}
	} else {
		if ((rv = t->f->C_DecryptInit(t->s, &mech, h)) != CKR_OK)
			return sc_p11_fail(t, rv, "C_DecryptInit (AES-GCM)");
		rv = t->f->C_Decrypt(t->s, (CK_BYTE_PTR)in, in_len, out, &n);
		if (rv != CKR_OK) {
			sc_wipe(out, *out_len);
			r = sc_p11_fail(t, rv, "C_Decrypt (AES-GCM)");
			/* a bad tag: modules differ in which code it gets */
			if (rv == CKR_ENCRYPTED_DATA_INVALID ||
			    rv == CKR_ENCRYPTED_DATA_LEN_RANGE || rv == CKR_FUNCTION_FAILED ||
			    rv == CKR_GENERAL_ERROR)
				r = SC_ERR_CORRUPT;
			return r;
		}
		if (n != in_len - SC_P11_GCM_TAG_LEN) {
			sc_wipe(out, *out_len);
			sc_set_error("token '%s': AES-GCM gave %lu bytes", t->label,
			             (unsigned long)n);
			return SC_ERR_CORRUPT;
		}
	}
	*out_len = n;
	return SC_OK;
}

int sc_p11_ec_sign_id(struct sc_p11_token *t, const uint8_t *id, size_t id_len, int curve,
                      const uint8_t *data, size_t data_len, uint8_t sig[SC_P11_EC_SIG_LEN])
{
	CK_MECHANISM mech = {curve == SC_P11_CURVE_ED25519 ? CKM_EDDSA : CKM_ECDSA, NULL, 0};
	CK_KEY_TYPE type = curve == SC_P11_CURVE_ED25519 ? CKK_EC_EDWARDS : CKK_EC;
	CK_OBJECT_HANDLE h;
	CK_ULONG n = SC_P11_EC_SIG_LEN;
	CK_RV rv;
	int r;

	if ((r = check_args(t, id, id_len)) != SC_OK)
		return r;
	if ((curve != SC_P11_CURVE_P256 && curve != SC_P11_CURVE_ED25519) ||
	    (data == NULL && data_len != 0) || sig == NULL ||
	    (curve == SC_P11_CURVE_P256 && data_len != 32)) {
		sc_set_error("bad arguments to sign");
		return SC_ERR_INVALID;
	}
	if ((r = key_by_id(t, CKO_PRIVATE_KEY, type, id, id_len, &h)) != SC_OK)
		return r;
	if ((rv = t->f->C_SignInit(t->s, &mech, h)) != CKR_OK)
		return sc_p11_fail(t, rv, "C_SignInit");
	rv = t->f->C_Sign(t->s, (CK_BYTE_PTR)(data != NULL ? data : (const uint8_t *)""), data_len,
	                  sig, &n);
	if (rv != CKR_OK)
		return sc_p11_fail(t, rv, "C_Sign");
	if (n != SC_P11_EC_SIG_LEN) {
		sc_set_error("token '%s': a signature of %lu bytes", t->label, (unsigned long)n);
		return SC_ERR_CORRUPT;
	}
	return SC_OK;
}

int sc_p11_destroy_id(struct sc_p11_token *t, const uint8_t *id, size_t id_len)
{
	CK_OBJECT_HANDLE h[FOUND_MAX];
	CK_ULONG n = 0, i;
	CK_RV rv;
	int r;

	if ((r = check_args(t, id, id_len)) != SC_OK)
		return r;
	if ((r = find_id(t, (CK_ULONG)-1, id, id_len, h, &n)) != SC_OK)
		return r;
	if (n == 0) {
		sc_set_error("token '%s': no object with this id", t->label);
		return SC_ERR_NOT_FOUND;
	}
	for (i = 0; i < n; i++)
		if ((rv = t->f->C_DestroyObject(t->s, h[i])) != CKR_OK)
			return sc_p11_fail(t, rv, "C_DestroyObject");
	return SC_OK;
}

/* A CK_TOKEN_INFO string field: blank-padded, as the token has it. */
static void pad(unsigned char *field, size_t cap, const char *s)
{
	size_t n = strlen(s);

	memset(field, ' ', cap);
	memcpy(field, s, n < cap ? n : cap);
}

int sc_p11_object_uri(const struct sc_p11_token *t, const char *label, const uint8_t *id,
                      size_t id_len, char **out)
{
	P11KitUri *uri;
	CK_TOKEN_INFO *ti;
	CK_ATTRIBUTE a;
	int r;

	*out = NULL;
	if ((r = check_args(t, id, id_len)) != SC_OK || (r = check_label(t, label)) != SC_OK)
		return r;
	if ((uri = p11_kit_uri_new()) == NULL)
		return SC_ERR_NOMEM;
	/* the token by label and serial (slots are renumbered: never slot-id) */
	ti = p11_kit_uri_get_token_info(uri);
	pad(ti->label, sizeof(ti->label), t->label);
	if (t->serial[0] != '\0')
		pad(ti->serialNumber, sizeof(ti->serialNumber), t->serial);
	if (t->module_path != NULL)
		p11_kit_uri_set_module_path(uri, t->module_path);
	a = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
	if (p11_kit_uri_set_attribute(uri, &a) != P11_KIT_URI_OK)
		goto fail;
	a = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
	if (p11_kit_uri_set_attribute(uri, &a) != P11_KIT_URI_OK)
		goto fail;
	if (p11_kit_uri_format(uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN_AND_MODULE, out) !=
	    P11_KIT_URI_OK)
		goto fail;
	p11_kit_uri_free(uri);
	if (strlen(*out) > SC_P11_URI_MAX) {
		free(*out);
		*out = NULL;
		sc_set_error("token '%s': the key's URI is longer than %d bytes", t->label,
		             SC_P11_URI_MAX);
		return SC_ERR_TOOBIG;
	}
	return SC_OK;
fail:
	p11_kit_uri_free(uri);
	sc_set_error("token '%s': cannot write the key's URI", t->label);
	return SC_ERR_NOMEM;
}

int sc_p11_uri_same_token(const char *a, const char *b)
{
	P11KitUri *ua = p11_kit_uri_new(), *ub = p11_kit_uri_new();
	int same = 0;

	if (ua != NULL && ub != NULL && a != NULL && b != NULL &&
	    p11_kit_uri_parse(a, P11_KIT_URI_FOR_ANY, ua) == P11_KIT_URI_OK &&
	    p11_kit_uri_parse(b, P11_KIT_URI_FOR_ANY, ub) == P11_KIT_URI_OK) {
		CK_TOKEN_INFO *ta = p11_kit_uri_get_token_info(ua);

		/* a names a token (label or serial) and b's token fits it */
		same = (ta->label[0] != 0 || ta->serialNumber[0] != 0) &&
		       p11_kit_uri_match_token_info(ua, p11_kit_uri_get_token_info(ub)) == 1;
	}
	if (ua != NULL)
		p11_kit_uri_free(ua);
	if (ub != NULL)
		p11_kit_uri_free(ub);
	return same;
}

int sc_p11_uri_names_object(const char *uri)
{
	P11KitUri *u = p11_kit_uri_new();
	CK_ATTRIBUTE *a;
	int named = 0;

	if (u != NULL && uri != NULL &&
	    p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u) == P11_KIT_URI_OK)
		named =
		    ((a = p11_kit_uri_get_attribute(u, CKA_LABEL)) != NULL && a->pValue != NULL) ||
		    ((a = p11_kit_uri_get_attribute(u, CKA_ID)) != NULL && a->pValue != NULL);
	if (u != NULL)
		p11_kit_uri_free(u);
	return named;
}
