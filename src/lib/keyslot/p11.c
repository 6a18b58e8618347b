/* p11.c - PKCS#11 tokens through p11-kit: RFC 7512 URIs, module loading
 * and C_Initialize once per process (again after fork), finding a token by
 * label or serial, a logged-in session, and CK_RV -> sc_status. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
#include <sodium.h>

#include "keyslot/p11_int.h"

#define MODULES_MAX 8
#define SLOTS_MAX 64
#define LOGINS_MAX 16

/* Modules loaded by path, and p11-kit's registered ones: loaded and
 * initialized once per process; a forked child initializes them again. */
struct module {
	char *path;
	CK_FUNCTION_LIST *f;
};
/* Tokens this process is logged in to. PKCS#11 login state belongs to the
 * application, not the session, so a second C_Login answers
 * CKR_USER_ALREADY_LOGGED_IN whatever the PIN: keep a keyed hash of the
 * PIN that did log in and hold the second one to it. */
struct login {
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	unsigned refs;
	uint8_t mac[crypto_generichash_BYTES];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t init_pid;
static struct module modules[MODULES_MAX];
static size_t n_modules;
static CK_FUNCTION_LIST **registered;
static struct login logins[LOGINS_MAX];
static uint8_t *pin_key; /* secmem, crypto_generichash_KEYBYTES */

int sc_p11_fail(const struct sc_p11_token *t, CK_RV rv, const char *what)
{
	const char *tok = t != NULL ? t->label : "?";

	sc_set_error("token '%s': %s: %s", tok, what, p11_kit_strerror(rv));
	switch (rv) {
	case CKR_HOST_MEMORY:
		return SC_ERR_NOMEM;
	case CKR_PIN_INCORRECT:
	case CKR_PIN_LEN_RANGE:
		return SC_ERR_AUTH;
	case CKR_OBJECT_HANDLE_INVALID:
	case CKR_KEY_HANDLE_INVALID:
		return SC_ERR_NOT_FOUND;
	case CKR_WRAPPED_KEY_INVALID:
	case CKR_WRAPPED_KEY_LEN_RANGE:
	case CKR_ENCRYPTED_DATA_INVALID:
	case CKR_ENCRYPTED_DATA_LEN_RANGE:
		return SC_ERR_CORRUPT;
	case CKR_MECHANISM_INVALID:
	case CKR_KEY_TYPE_INCONSISTENT:
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
	case CKR_KEY_UNEXTRACTABLE:
	case CKR_TEMPLATE_INCONSISTENT:
	case CKR_TEMPLATE_INCOMPLETE:
	case CKR_ATTRIBUTE_VALUE_INVALID:
		return SC_ERR_INVALID;
	default:
		/* removed, not present, session gone, device error, locked PIN,
		 * not logged in: all say "the token is not usable now" */
		return SC_ERR_TOKEN;
	}
}

int sc_p11_usable(const struct sc_p11_token *t)
{
	if (t == NULL) {
		sc_set_error("no token session");
		return SC_ERR_INVALID;
	}
	if (t->pid != getpid()) {
		sc_set_error("token '%s': its session was opened before fork", t->label);
		return SC_ERR_TOKEN;
	}
	return SC_OK;
}

/* Under lock: a forked child finalizes and initializes every module again
 * (PKCS#11 2.40 section 6.7.7; p11-kit's managed modules need it). */
static void refork_locked(void)
{
	size_t i;

	if (init_pid == getpid())
		return;
	if (init_pid != 0) {
		for (i = 0; i < n_modules; i++) {
			(void)p11_kit_module_finalize(modules[i].f);
			(void)p11_kit_module_initialize(modules[i].f);
		}
		if (registered != NULL) {
			(void)p11_kit_modules_finalize(registered);
			(void)p11_kit_modules_initialize(registered, NULL);
		}
		/* logins[] stays: a module that keeps its state across fork
		 * (SoftHSM does) keeps the login the parent's PIN made */
	}
	init_pid = getpid();
}

/* Under lock: the module at an absolute path, loaded once. */
static int module_by_path(const char *path, CK_FUNCTION_LIST **out)
{
	CK_FUNCTION_LIST *f;
	CK_RV rv;
	size_t i;

	for (i = 0; i < n_modules; i++)
		if (strcmp(modules[i].path, path) == 0) {
			*out = modules[i].f;
			return SC_OK;
		}
	if (path[0] != '/') {
		sc_set_error("module-path '%s' is not absolute", path);
		return SC_ERR_INVALID;
	}
	if (n_modules == MODULES_MAX) {
		sc_set_error("more than %d PKCS#11 modules", MODULES_MAX);
		return SC_ERR_TOOBIG;
	}
	if ((f = p11_kit_module_load(path, 0)) == NULL) {
		sc_set_error("cannot load PKCS#11 module '%s': %s", path,
		             p11_kit_message() != NULL ? p11_kit_message() : "unknown error");
		return SC_ERR_TOKEN;
	}
	if ((rv = p11_kit_module_initialize(f)) != CKR_OK) {
		sc_set_error("PKCS#11 module '%s': C_Initialize: %s", path, p11_kit_strerror(rv));
		p11_kit_module_release(f);
		return SC_ERR_TOKEN;
	}
	if ((modules[n_modules].path = strdup(path)) == NULL) {
		(void)p11_kit_module_finalize(f);
		p11_kit_module_release(f);
		return SC_ERR_NOMEM;
	}
	modules[n_modules++].f = f;
	*out = f;
	return SC_OK;
}

/* Under lock: the token the URI matches, in the given modules. */
static int find_token(P11KitUri *uri, CK_FUNCTION_LIST **mods, size_t n_mods,
                      struct sc_p11_token *t)
{
	CK_SLOT_ID slots[SLOTS_MAX];
	CK_TOKEN_INFO ti;
	CK_INFO mi;
	CK_ULONG n, j;
	CK_RV rv;
	size_t i, found = 0;

	for (i = 0; i < n_mods; i++) {
		if (mods[i]->C_GetInfo(&mi) != CKR_OK || !p11_kit_uri_match_module_info(uri, &mi))
			continue;
		n = SLOTS_MAX;
		if ((rv = mods[i]->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
			if (rv == CKR_BUFFER_TOO_SMALL) {
				sc_set_error("a PKCS#11 module has more than %d slots", SLOTS_MAX);
				return SC_ERR_TOOBIG;
			}
			continue;
		}
		for (j = 0; j < n; j++) {
			if (mods[i]->C_GetTokenInfo(slots[j], &ti) != CKR_OK ||
			    !(ti.flags & CKF_TOKEN_INITIALIZED) ||
			    !p11_kit_uri_match_token_info(uri, &ti))
				continue;
			if (found++ > 0) {
				sc_set_error(
				    "two tokens match the URI: name its token= and serial=");
				return SC_ERR_INVALID;
			}
			t->f = mods[i];
			t->slot = slots[j];
			memcpy(t->label, ti.label, sizeof(ti.label));
			t->label[p11_kit_space_strlen(ti.label, sizeof(ti.label))] = '\0';
			memcpy(t->serial, ti.serialNumber, sizeof(ti.serialNumber));
			t->serial[p11_kit_space_strlen(ti.serialNumber, sizeof(ti.serialNumber))] =
			    '\0';
		}
	}
	return found == 1 ? SC_OK : SC_ERR_NOT_FOUND;
}

/* Under lock: which modules the URI asks for. */
static int modules_for(P11KitUri *uri, CK_FUNCTION_LIST **one, CK_FUNCTION_LIST ***mods,
                       size_t *n_mods)
{
	const char *path = p11_kit_uri_get_module_path(uri);
	int r;

	if (path != NULL) {
		if ((r = module_by_path(path, one)) != SC_OK)
			return r;
		*mods = one;
		*n_mods = 1;
		return SC_OK;
	}
	if (registered == NULL && (registered = p11_kit_modules_load_and_initialize(0)) == NULL) {
		sc_set_error("cannot load the registered PKCS#11 modules: %s",
		             p11_kit_message() != NULL ? p11_kit_message() : "unknown error");
		return SC_ERR_TOKEN;
	}
	*mods = registered;
	for (*n_mods = 0; registered[*n_mods] != NULL; (*n_mods)++)
		;
	return SC_OK;
}

static int parse_uri(const char *text, P11KitUri *uri, struct sc_p11_token *t)
{
	CK_TOKEN_INFO *ti;
	CK_ATTRIBUTE *a;
	int r;

	if (strnlen(text, SC_P11_URI_MAX + 1) > SC_P11_URI_MAX) {
		sc_set_error("token URI longer than %d bytes", SC_P11_URI_MAX);
		return SC_ERR_TOOBIG;
	}
	if ((r = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, uri)) != P11_KIT_URI_OK) {
		sc_set_error("bad token URI: %s", p11_kit_uri_message(r));
		return SC_ERR_INVALID;
	}
	if (p11_kit_uri_get_pin_value(uri) != NULL || p11_kit_uri_get_pin_source(uri) != NULL) {
		sc_set_error("a PIN in the token URI is refused: give it on a file descriptor");
		return SC_ERR_INVALID;
	}
	if (p11_kit_uri_get_slot_id(uri) != (CK_SLOT_ID)-1) {
		sc_set_error("slot-id in a token URI is refused (slots are renumbered): name "
		             "token= or serial=");
		return SC_ERR_INVALID;
	}
	ti = p11_kit_uri_get_token_info(uri);
	if (ti->label[0] == 0 && ti->serialNumber[0] == 0) {
		sc_set_error("the token URI names no token: add token= or serial=");
		return SC_ERR_INVALID;
	}
	a = p11_kit_uri_get_attribute(uri, CKA_LABEL);
	if (a != NULL && a->pValue != NULL) {
		if (a->ulValueLen == 0 || a->ulValueLen > SC_P11_LABEL_MAX ||
		    memchr(a->pValue, '\0', a->ulValueLen) != NULL) {
			sc_set_error(
			    "object label in the token URI is empty, too long or has a NUL");
			return SC_ERR_INVALID;
		}
		memcpy(t->obj, a->pValue, a->ulValueLen);
		t->obj[a->ulValueLen] = '\0';
	}
	return SC_OK;
}

static struct login *login_find_locked(const struct sc_p11_token *t)
{
	size_t i;

	for (i = 0; i < LOGINS_MAX; i++)
		if (logins[i].refs > 0 && logins[i].f == t->f && logins[i].slot == t->slot)
			return &logins[i];
	return NULL;
}

static int pin_mac(const uint8_t *pin, size_t pin_len, uint8_t mac[crypto_generichash_BYTES])
{
	if (pin_key == NULL) {
		if ((pin_key = sc_secmem_alloc(crypto_generichash_KEYBYTES)) == NULL)
			return SC_ERR_NOMEM;
		randombytes_buf(pin_key, crypto_generichash_KEYBYTES);
	}
	crypto_generichash(mac, crypto_generichash_BYTES, pin, pin_len, pin_key,
	                   crypto_generichash_KEYBYTES);
	return SC_OK;
}

/* Under lock: log in, or hold a PIN to the one that already logged in. */
static int login_locked(struct sc_p11_token *t, const uint8_t *pin, size_t pin_len,
                        unsigned *pin_flags)
{
	uint8_t mac[crypto_generichash_BYTES];
	CK_TOKEN_INFO ti;
	struct login *l;
	CK_RV rv;
	size_t i;
	int r;

	if ((r = pin_mac(pin != NULL ? pin : (const uint8_t *)"", pin_len, mac)) != SC_OK)
		return r;
	rv = t->f->C_Login(t->s, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)pin_len);
	if (rv == CKR_USER_ALREADY_LOGGED_IN) {
		if ((l = login_find_locked(t)) == NULL) {
			sc_set_error("token '%s' is logged in by something else in this process",
			             t->label);
			return SC_ERR_TOKEN;
		}
		if (sc_memcmp_ct(l->mac, mac, sizeof(mac)) != 0) {
			sc_set_error("token '%s': wrong PIN", t->label);
			return SC_ERR_AUTH;
		}
		l->refs++;
		return SC_OK;
	}
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE) {
		if (t->f->C_GetTokenInfo(t->slot, &ti) == CKR_OK && pin_flags != NULL)
			*pin_flags =
			    ((ti.flags & CKF_USER_PIN_COUNT_LOW) ? SC_P11_PIN_COUNT_LOW : 0) |
			    ((ti.flags & CKF_USER_PIN_FINAL_TRY) ? SC_P11_PIN_FINAL_TRY : 0) |
			    ((ti.flags & CKF_USER_PIN_LOCKED) ? SC_P11_PIN_LOCKED : 0);
		sc_set_error("token '%s': wrong PIN%s", t->label,
		             pin_flags == NULL || *pin_flags == 0 ? ""
		             : (*pin_flags & SC_P11_PIN_LOCKED)   ? " (the PIN is now locked)"
		             : (*pin_flags & SC_P11_PIN_FINAL_TRY)
		                 ? " (the token allows one more try)"
		                 : " (the token reports few tries left)");
		return SC_ERR_AUTH;
	}
	if (rv == CKR_PIN_LOCKED) {
		if (pin_flags != NULL)
			*pin_flags = SC_P11_PIN_LOCKED;
		sc_set_error("token '%s': the user PIN is locked", t->label);
		return SC_ERR_TOKEN;
	}
	if (rv != CKR_OK)
		return sc_p11_fail(t, rv, "C_Login");
	if ((l = login_find_locked(t)) != NULL) {
		/* a real login where a stale entry was (after fork) */
		memcpy(l->mac, mac, sizeof(mac));
		l->refs++;
		return SC_OK;
	}
	for (i = 0; i < LOGINS_MAX && logins[i].refs > 0; i++)
		;
	if (i == LOGINS_MAX) {
		(void)t->f->C_Logout(t->s);
		sc_set_error("more than %d tokens open", LOGINS_MAX);
		return SC_ERR_TOOBIG;
	}
	logins[i].f = t->f;
	logins[i].slot = t->slot;
	logins[i].refs = 1;
	memcpy(logins[i].mac, mac, sizeof(mac));
	return SC_OK;
}

int sc_p11_open(const char *uri_text, const void *pin, size_t pin_len, unsigned *pin_flags,
                struct sc_p11_token **out)
{
	struct sc_p11_token *t = NULL;
	CK_FUNCTION_LIST *one[1], **mods;
	P11KitUri *uri = NULL;
	uint8_t *pin_copy = NULL;
	size_t n_mods;
	CK_RV rv;
	int r, locked = 0, session = 0;

	if (out != NULL)
		*out = NULL;
	if (pin_flags != NULL)
		*pin_flags = 0;
	if (uri_text == NULL || out == NULL || (pin == NULL && pin_len != 0) ||
	    pin_len > SC_P11_PIN_MAX) {
		sc_set_error("bad arguments to open a token");
		return SC_ERR_INVALID;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL || (uri = p11_kit_uri_new()) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = parse_uri(uri_text, uri, t)) != SC_OK)
		goto out;
	if (pin != NULL && (pin_copy = sc_secmem_alloc(pin_len + 1)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if (pin != NULL)
		memcpy(pin_copy, pin, pin_len);
	pthread_mutex_lock(&lock);
	locked = 1;
	refork_locked();
	if ((r = modules_for(uri, one, &mods, &n_mods)) != SC_OK)
		goto out;
	if ((r = find_token(uri, mods, n_mods, t)) != SC_OK) {
		if (r == SC_ERR_NOT_FOUND) {
			sc_set_error("no token matches '%.200s': is it plugged in?", uri_text);
			r = SC_ERR_TOKEN;
		}
		goto out;
	}
	t->pid = getpid();
	if (p11_kit_uri_get_module_path(uri) != NULL &&
	    (t->module_path = strdup(p11_kit_uri_get_module_path(uri))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	rv = t->f->C_OpenSession(t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &t->s);
	if (rv != CKR_OK) {
		r = sc_p11_fail(t, rv, "C_OpenSession");
		goto out;
	}
	session = 1;
	if (pin_copy == NULL) {
		CK_TOKEN_INFO ti;

		if ((rv = t->f->C_GetTokenInfo(t->slot, &ti)) != CKR_OK) {
			r = sc_p11_fail(t, rv, "C_GetTokenInfo");
			goto out;
		}
		if (!(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH)) {
			sc_set_error("token '%s' needs a PIN", t->label);
			r = SC_ERR_LOCKED;
			goto out;
		}
	}
	if ((r = login_locked(t, pin_copy, pin_len, pin_flags)) != SC_OK)
		goto out;
	*out = t;
	t = NULL;
	session = 0;
out:
	if (session)
		(void)t->f->C_CloseSession(t->s);
	if (locked)
		pthread_mutex_unlock(&lock);
	sc_secmem_free(pin_copy);
	if (uri != NULL)
		p11_kit_uri_free(uri);
	if (t != NULL)
		free(t->module_path);
	free(t);
	return r;
}

void sc_p11_close(struct sc_p11_token *t)
{
	struct login *l;

	if (t == NULL)
		return;
	pthread_mutex_lock(&lock);
	if (t->pid == getpid() && init_pid == t->pid) {
		if ((l = login_find_locked(t)) != NULL && --l->refs == 0)
			sc_wipe(l, sizeof(*l));
		/* the last session closed logs the application out */
		(void)t->f->C_CloseSession(t->s);
	}
	pthread_mutex_unlock(&lock);
	free(t->module_path);
	sc_wipe(t, sizeof(*t));
	free(t);
}

void sc_p11_shutdown(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < n_modules; i++) {
		if (init_pid == getpid())
			(void)p11_kit_module_finalize(modules[i].f);
		p11_kit_module_release(modules[i].f);
		free(modules[i].path);
	}
	memset(modules, 0, sizeof(modules));
	n_modules = 0;
	if (registered != NULL) {
		if (init_pid == getpid())
			(void)p11_kit_modules_finalize(registered);
		p11_kit_modules_release(registered);
		registered = NULL;
	}
	sc_wipe(logins, sizeof(logins));
	sc_secmem_free(pin_key);
	pin_key = NULL;
	init_pid = 0;
	pthread_mutex_unlock(&lock);
}

const char *sc_p11_token_label(const struct sc_p11_token *t)
{
	return t != NULL ? t->label : "";
}
