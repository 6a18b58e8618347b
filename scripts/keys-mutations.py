#!/usr/bin/env python3
# keys-mutations.py - break src/lib/keys/ on purpose, one mutation at a time,
# and check that the unit tests test_keys_* catch each one (build: ci).
# Run from the top of a clean work tree: each file is restored with git.
# Usage: scripts/keys-mutations.py [index ...]
import subprocess, sys

if subprocess.run('git diff --quiet -- src/lib/keys', shell=True).returncode != 0:
    sys.exit('src/lib/keys has uncommitted changes: commit or stash them first')
muts = [
 ("refused transition allowed (deactivated->active)", "src/lib/keys/lifecycle.c",
  "[SC_KEY_DEACTIVATED] = {[SC_KEY_COMPROMISED] = 1,", "[SC_KEY_DEACTIVATED] = {[SC_KEY_ACTIVE] = 1, [SC_KEY_COMPROMISED] = 1,"),
 ("AAD missing the version", "src/lib/keys/ops.c",
  "sc_be32_put(a + o, version);", "sc_be32_put(a + o, version & 0);"),
 ("AAD missing the name", "src/lib/keys/ops.c",
  "memcpy(a + o, name, nl);", "memset(a + o, 'x', nl);"),
 ("AAD missing the type", "src/lib/keys/ops.c",
  "a[o++] = (uint8_t)type;", "a[o++] = (uint8_t)(type & 0);"),
 ("context unsorted (insertion order)", "src/lib/keys/context.c",
  "		if (d > 0)\n			break;", "		(void)d;"),
 ("context duplicates accepted", "src/lib/keys/context.c",
  "		if (d == 0) {", "		if (d == 0 && 0) {"),
 ("nonce counter limit ignored", "src/lib/keys/ops.c",
  "(is_aead(k->type) && v->used >= SC_KEYS_AEAD_LIMIT)) {", "0) {"),
 ("trim ignores references", "src/lib/keys/lifecycle.c",
  "		    (r = sc_keys_refs(kr, k, k->v[i].version)) != SC_OK)\n			return r;", "		    0)\n			return r;"),
 ("scheduled version still usable", "src/lib/keys/lifecycle.c",
  "if (v->destroy_at != 0 && v->state != SC_KEY_DESTROYED) {", "if (0) {"),
 ("compromised usable without the flag", "src/lib/keys/lifecycle.c",
  "[SC_KEY_COMPROMISED] = {[SC_KEY_OP_DECRYPT] = 2", "[SC_KEY_COMPROMISED] = {[SC_KEY_OP_DECRYPT] = 1"),
 ("destroy keeps the material", "src/lib/keys/lifecycle.c",
  "		sc_keys_erase_material(v);\n		v->destroyed = now;", "		v->destroyed = now;"),
 ("blob trailing bytes accepted", "src/lib/keys/blob.c",
  "	if (sc_buf_left(&b) != 0) {", "	if (0) {"),
 ("blob key order unchecked", "src/lib/keys/blob.c",
  "(prev != NULL && strcmp(prev, k->name) >= 0)", "(prev != NULL && 0)"),
 ("reload forgets the reservation", "src/lib/keys/blob.c",
  "	v->used = v->reserved; /* what", "	v->used = 0; /* what"),
 ("hmac verify compares nothing", "src/lib/keys/ops.c",
  "sc_memcmp_ct(want, ct.payload, SC_MAC_LEN) != 0", "0"),
 ("exportable latch ignored", "src/lib/keys/ops.c",
  "	if (!(k->flags & SC_KEY_EXPORTABLE)) {", "	if (0) {"),
 ("rotate_every ignored", "src/lib/keys/ops.c",
  "(k->rotate_every > 0 && o->now - v->created >= k->rotate_every) ||", "0 ||"),
 ("destroy days bound off by one", "src/lib/keys/lifecycle.c",
  "days > SC_KEYS_DESTROY_DAYS_MAX", "days > SC_KEYS_DESTROY_DAYS_MAX + 1"),
 ("base64 trailing bits unchecked", "src/lib/keys/ctfmt.c",
  "(rem == 2 && (b64_value((unsigned char)p[bl - 1]) & 0x0f) != 0)", "(rem == 2 && 0)"),
 ("base64url non-digits read as 'A'", "src/lib/keys/ctfmt.c",
  "		if ((t[i] = std_digit[(unsigned char)p[i]]) == 0) {",
  "		if ((t[i] = std_digit[(unsigned char)p[i]] ? std_digit[(unsigned char)p[i]] : 'A') == 0) {"),
 ("version leading zero accepted", "src/lib/keys/ctfmt.c",
  "if (p == end || *p < '1' || *p > '9')", "if (p == end || *p < '0' || *p > '9')"),
]
sel = sys.argv[1:]
missed = 0
for i,(name,f,old,new) in enumerate(muts):
    if sel and str(i) not in sel: continue
    s=open(f).read()
    if old not in s:
        print("MISSING", name); continue
    open(f,'w').write(s.replace(old,new,1))
    b=subprocess.run("cmake --build --preset ci -j2 2>&1",shell=True,capture_output=True,text=True)
    if b.returncode != 0:
        subprocess.run(["git","checkout","--",f]); missed += 1; print(f"{i:2} {name}: BUILD FAILED", [l for l in b.stdout.splitlines() if 'error' in l][:2]); continue
    t=subprocess.run("ctest --test-dir build -R test_keys 2>&1 | grep -E 'Failed|\\*\\*\\*'",shell=True,capture_output=True,text=True)
    subprocess.run(["git","checkout","--",f])
    fails=[l.split()[3] for l in t.stdout.splitlines() if 'unit/' in l]
    missed += not fails
    print(f"{i:2} {name}: {'CAUGHT by ' + ', '.join(fails) if fails else 'NOT CAUGHT'} ")
subprocess.run("cmake --build --preset ci -j2 >/dev/null 2>&1",shell=True)
sys.exit(1 if missed else 0)
