/* confine_policy.c - the one call every run path makes to confine its
 * child as the policy says: the policy's confinement settings and the
 * vault directory become sc_confine_opts, and the exec options are
 * rewritten in place. */
#include <stdlib.h>
#include <string.h>

#include "secretctl/confine.h"
#include "secretctl/policy.h"

int sc_confine_run(const struct sc_policy *p, const char *vault_dir, struct sc_exec_opts *o,
                   struct sc_confine **hold, char **why)
{
	struct sc_policy_confinement pc;
	struct sc_confine_opts c;
	const char *hide[1];

	*hold = NULL;
	*why = NULL;
	sc_policy_confinement(p, &pc);
	if (pc.mode == SC_POLICY_CONFINE_OFF)
		return SC_OK; /* the policy's explicit, unsafe opt-out */
	memset(&c, 0, sizeof(c));
	c.write_paths = pc.write;
	c.nwrite = pc.nwrite;
	c.allow_net = pc.network;
	c.allow_unconfined = pc.mode == SC_POLICY_CONFINE_BEST_EFFORT;
	if (vault_dir != NULL) {
		hide[0] = vault_dir;
		c.hide_paths = hide;
		c.nhide = 1;
	}
	return sc_confine_exec_opts(&c, o, hold, why);
}
