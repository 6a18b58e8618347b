/* key_passphrase.c - the passphrase of a custody key (SC_KEY_PASSPHRASE,
 * keys/passphrase.c) for one command: from --passphrase-fd or the
 * terminal, into secmem, lent to the keyring for the command and wiped
 * after. Never from argv or the environment, never kept by the agent. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/key_cli.h"
#include "secretctl/keyop.h"
#include "secretctl/secmem.h"

#define PP_MIN 8

static int read_pp(struct cli *c, const char *name, int fd, int confirm, char **out, size_t *len)
{
	char prompt[160], *again = NULL;
	size_t alen = 0;
	int r;

	(void)c;
	if (fd >= 0)
		return cli_read_secret_fd(fd, out, len);
	snprintf(prompt, sizeof(prompt), "Passphrase for key '%s': ", name);
	if ((r = cli_read_tty_secret(prompt, out, len)) == SC_ERR_LOCKED) {
		sc_set_error("key '%s' needs its passphrase: use --passphrase-fd N or a terminal",
		             name);
		return SC_ERR_AUTH;
	}
	if (r != SC_OK || !confirm)
		return r;
	snprintf(prompt, sizeof(prompt), "Passphrase for key '%s' (again): ", name);
	if ((r = cli_read_tty_secret(prompt, &again, &alen)) == SC_OK &&
	    (alen != *len || sodium_memcmp(again, *out, alen) != 0)) {
		sc_set_error("the two passphrases differ");
		r = SC_ERR_INVALID;
	}
	sc_secmem_free(again);
	if (r != SC_OK) {
		sc_secmem_free(*out);
		*out = NULL;
	}
	return r;
}

int key_pp_read(struct cli *c, const char *name, int fd, struct key_pp *pp)
{
	int r;

	memset(pp, 0, sizeof(*pp));
	if ((r = read_pp(c, name, fd, 0, &pp->pp, &pp->len)) != SC_OK)
		return r;
	if (pp->len == 0 || pp->len > SC_KEYOP_PP_MAX) {
		key_pp_wipe(pp);
		sc_set_error("a key's passphrase is 1 to %u bytes", SC_KEYOP_PP_MAX);
		return SC_ERR_INVALID;
	}
	return SC_OK;
}

void key_pp_wipe(struct key_pp *pp)
{
	sc_secmem_free(pp->pp);
	memset(pp, 0, sizeof(*pp));
}

int key_pp_get(struct cli *c, struct key_session *ks, const char *name, int fd, int creating,
               const struct sc_kdf_params *kdf, struct key_pp *pp)
{
	struct sc_key_meta m;
	int r;

	memset(pp, 0, sizeof(*pp));
	if (!creating) {
		if (sc_keyring_key_meta(ks->kr, name, &m) != SC_OK)
			return SC_OK; /* the operation itself says there is no such key */
		if (!(m.flags & SC_KEY_PASSPHRASE)) {
			if (fd < 0)
				return SC_OK;
			sc_set_error("key '%s' has no passphrase (--passphrase-fd is for keys made "
			             "with --passphrase)",
			             name);
			return SC_ERR_INVALID;
		}
	}
	if ((r = read_pp(c, name, fd, creating && fd < 0, &pp->pp, &pp->len)) != SC_OK)
		return r;
	if (creating && pp->len < PP_MIN) {
		sc_secmem_free(pp->pp);
		pp->pp = NULL;
		sc_set_error("a key's passphrase is at least %d characters", PP_MIN);
		return SC_ERR_INVALID;
	}
	pp->kp.passphrase = (const uint8_t *)pp->pp;
	pp->kp.len = pp->len;
	if (kdf != NULL) {
		pp->kp.t = kdf->t;
		pp->kp.mem_kib = kdf->mem_kib;
	}
	sc_keyring_set_passphrase(ks->kr, &pp->kp);
	return SC_OK;
}

void key_pp_drop(struct key_session *ks, struct key_pp *pp)
{
	if (ks->kr != NULL)
		sc_keyring_set_passphrase(ks->kr, NULL);
	sc_secmem_free(pp->pp);
	memset(pp, 0, sizeof(*pp));
}
