/* key_token.c - the token of the keyring's keys that live in one: opened
 * (its PIN from --pin-fd or the terminal, never argv or the environment)
 * for the commands that need it, handed to the keyring, closed with the
 * session on every path. */
#include <string.h>

#include "cli/key_cli.h"
#include "secretctl/p11.h"

int key_token_open(struct cli *c, struct key_session *ks, const char *uri)
{
	struct sc_p11_token *t = NULL;
	unsigned flags = 0;
	const char *kept = NULL;
	char *pin = NULL;
	size_t len = 0;
	int r;

	if (ks->tok != NULL)
		return SC_OK;
	/* the vault was opened with this token's PIN (--token): its --pin-fd
	 * is read, and the PIN is kept; another token's PIN is asked for */
	if (c->token_uri != NULL && sc_p11_uri_same_token(c->token_uri, uri) &&
	    cli_kept_password(&kept, &len)) {
		r = sc_p11_open(uri, kept, len, &flags, &t);
	} else {
		if ((r = cli_get_pin(c, "Token PIN: ", &pin, &len)) != SC_OK)
			return r;
		r = sc_p11_open(uri, pin, len, &flags, &t);
		sc_secmem_free(pin);
	}
	/* a locked PIN is no wrong PIN: the token is not usable */
	if (r == SC_ERR_AUTH && (flags & SC_P11_PIN_LOCKED))
		r = SC_ERR_TOKEN;
	if (r != SC_OK)
		return r;
	ks->tok = t;
	sc_keyring_set_token(ks->kr, t);
	return SC_OK;
}

int key_token(struct cli *c, struct key_session *ks, const char *name)
{
	struct sc_key_meta m;
	char uri[SC_P11_URI_MAX + 1];

	if (name == NULL || sc_keyring_key_meta(ks->kr, name, &m) != SC_OK ||
	    !(m.flags & SC_KEY_IN_TOKEN)) {
		sc_clear_error();
		return SC_OK; /* the operation says what is wrong */
	}
	if (sc_keyring_token_uri(ks->kr, name, 0, uri, sizeof(uri)) != SC_OK) {
		sc_clear_error();
		return SC_OK; /* every version destroyed: the lifecycle says so */
	}
	return key_token_open(c, ks, uri);
}

void key_token_close(struct key_session *ks)
{
	if (ks->kr != NULL)
		sc_keyring_set_token(ks->kr, NULL);
	sc_p11_close(ks->tok);
	ks->tok = NULL;
}
