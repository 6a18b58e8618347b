#!/bin/sh
# make-kat-vault.sh - made tests/data/kat-vault-v1 once; kept for the record
# and for the next format version (write it to a new kat-vault-vN, never
# over an old one: every build must keep opening each checked-in fixture).
#   usage: scripts/make-kat-vault.sh BIN OUTDIR
# The contents are listed in tests/data/kat-vault-v1/README.md and checked
# by tests/cli/kat.bats.
set -eu
bin=$1 out=$2
[ ! -e "$out" ] || { echo "'$out' exists: a fixture is made once" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
export SECRETCTL_VAULT_DIR="$out" SECRETCTL_PASSWORD='kat-vault-password-v1'
unset SECRETCTL_NO_AGENT
"$bin" init --kdf-memory 8192 --kdf-time 1
printf 'plain-value-0001' | "$bin" set kat/plain
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' | "$bin" set kat/binary --value-file /dev/stdin
printf 'pg-S3cret/Pass+word=' | "$bin" set kat/db --secret-field password \
	--field host=db.internal --field user=app --binding PGPASSWORD=password \
	--binding PGHOST=host --tag db --tag prod --notes 'rotate monthly' \
	--url https://db.example.com --expires 2099-05-01T00:00:00Z --hint password='the usual'
for v in 1 2 3; do printf 'version-%s' "$v" | "$bin" set kat/history; done
printf 'deleted-value' | "$bin" set kat/deleted
"$bin" delete kat/deleted
printf '\303\274n\303\257c\303\266d\303\251-\342\234\223-value' | "$bin" set kat/unicode --tag ci
# only vault.db and audit.log: the WAL is checkpointed and gone on close
ls -A "$out"
