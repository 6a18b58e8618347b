#!/bin/sh
# The main job on a throwaway vault: store secrets, list them, and let a
# command use one without the value ever showing in its output.
set -eu
bin=${1:-build/secretctl}
bin=$(readlink -f "$bin")
vault=$(mktemp -d)/vault
trap 'rm -rf "$(dirname "$vault")"' EXIT INT TERM
export SECRETCTL_VAULT_DIR="$vault"
pwfile=$(mktemp)
printf 'demo-password-%s\n' "$$" >"$pwfile"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "secretctl init"
"$bin" init --password-fd 3 3<"$pwfile"
say "printf 'sk-demo-1234567890abcdef' | secretctl set openai/api-key --tag ai"
printf 'sk-demo-1234567890abcdef' | "$bin" set openai/api-key --tag ai --password-fd 3 3<"$pwfile"
say "printf 'hunter2hunter2' | secretctl set db/prod --secret-field password --field host=db.internal --binding PGPASSWORD=password --binding PGHOST=host"
printf 'hunter2hunter2' | "$bin" set db/prod --secret-field password --field host=db.internal \
	--binding PGPASSWORD=password --binding PGHOST=host --password-fd 3 3<"$pwfile"
say "secretctl list"
"$bin" list --password-fd 3 3<"$pwfile"
say "secretctl list --json"
"$bin" list --json --password-fd 3 3<"$pwfile"
if "$bin" help run >/dev/null 2>&1; then
	say "secretctl run -k openai/api-key -- sh -c 'echo key is \$OPENAI_API_KEY; printf %s \$OPENAI_API_KEY | base64'"
	"$bin" run -k openai/api-key --password-fd 3 -- sh -c \
		'echo "key is $OPENAI_API_KEY"; printf %s "$OPENAI_API_KEY" | base64' 3<"$pwfile"
	say "secretctl run -k db/prod -- sh -c 'echo connecting to \$PGHOST with \$PGPASSWORD'"
	"$bin" run -k db/prod --password-fd 3 -- sh -c 'echo "connecting to $PGHOST with $PGPASSWORD"' 3<"$pwfile"
fi
say "ls -l $vault; grep -c sk-demo $vault/* (no plaintext on disk)"
ls -l "$vault"
if grep -aq sk-demo "$vault"/*; then echo "PLAINTEXT FOUND ON DISK" >&2; exit 1; fi
echo "no plaintext found in the vault files"
rm -f "$pwfile"
