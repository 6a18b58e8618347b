/* secretctl.h - the umbrella header of the secretctl core library: every
 * module's public API. The library never prints and never exits; every
 * call returns an sc_status. One header per module sits beside this one. */
#ifndef SECRETCTL_SECRETCTL_H
#define SECRETCTL_SECRETCTL_H

/* base/ */
#include "secretctl/status.h"
#include "secretctl/secmem.h"
#include "secretctl/buf.h"
#include "secretctl/fdio.h"
#include "secretctl/duration.h"
#include "secretctl/fault.h"
/* crypto/ */
#include "secretctl/crypto.h"
#include "secretctl/sig.h"
/* store/ */
#include "secretctl/secret.h"
#include "secretctl/vault.h"
#include "secretctl/history.h"
/* keyslot/ */
#include "secretctl/keyslot.h"
#include "secretctl/rekey.h"
#include "secretctl/p11.h"
#include "secretctl/shares.h"
#include "secretctl/frost.h"
#include "secretctl/keys.h"
/* audit/ policy/ */
#include "secretctl/audit.h"
#include "secretctl/policy.h"
/* run/ */
#include "secretctl/sanitize.h"
#include "secretctl/exec.h"
/* agent/ */
#include "secretctl/agent.h"
#include "secretctl/run.h"
/* session/ */
#include "secretctl/session.h"

#endif
